//! Step 8: the hyperparameter search, retraining its best configuration, and the comparison
//! of steps 5–8 on the test set.

use lab_spec::tuning::TunerConfig;
use lab_spec::{DatasetKind, TrainingConfig};
use leptos::prelude::*;

use crate::components::builder::Level;
use crate::components::run_panel::RunPanel;
use crate::components::tuner::TunerPanel;
use crate::exercises::best_by_test_accuracy;
use crate::logic::UrlOverrides;
use crate::run_name::run_name;
use crate::trainer::pending::{ActionKind, Pending};
use crate::trainer::{RunView, Trainer};

/// Whether the waiting or dropped action is the retraining (a step-8 run).
pub fn concerns_retraining(pending: &Pending) -> bool {
    match pending {
        Pending::Waiting(a) => a.kind() == ActionKind::Train(8),
        Pending::Dropped { kind, .. } => *kind == ActionKind::Train(8),
        Pending::Nothing => false,
    }
}

/// The comparison's rows: for steps 5–8, each step's best finished run on the data the
/// retrained best used (its latest run's subset; else `subset`, the form's) — the highest
/// test accuracy, not the latest run, which may have been stopped after one epoch.
pub fn comparison_rows(runs: &[RunView], subset: Option<usize>) -> Vec<(u8, &RunView)> {
    let subset = runs
        .iter()
        .rev()
        .find(|r| r.step == 8)
        .map_or(subset, |r| r.config.subset);
    [5u8, 6, 7, 8]
        .into_iter()
        .filter_map(|step| best_by_test_accuracy(runs, step, subset).map(|r| (step, r)))
        .collect()
}

#[component]
pub fn Step8(
    trainer: Trainer,
    /// The search's form (the tuner panel edits it).
    search: RwSignal<TunerConfig>,
    /// The config of "retrain best", as the learner edited it.
    #[prop(into)]
    retrain: Signal<TrainingConfig>,
    #[prop(into)] on_retrain_config: Callback<TrainingConfig>,
    /// Quick-run overrides from the URL.
    #[prop(into)]
    quick: Signal<UrlOverrides>,
    /// The learner's success metric (step 2), highlighted in the chart.
    #[prop(into)]
    metric: Signal<String>,
) -> impl IntoView {
    let subset = Signal::derive(move || quick.with(|q| q.subset));
    let on_retrain = Callback::new(move |c: TrainingConfig| {
        on_retrain_config.run(c.clone());
        let label = run_name(8, &c, None);
        trainer.start(8, label, c).map(|_| ())
    });
    // The retraining's panel: once there is a step-8 run, or one waits for the data or was
    // dropped (its panel says so).
    let has_retrain = move || {
        let dataset = retrain.with(|c| c.dataset);
        trainer.runs.with(|rs| {
            rs.iter()
                .any(|r| r.step == 8 && r.config.dataset == dataset)
        }) || trainer.pending.with(concerns_retraining)
    };
    let imdb = move || retrain.with(|c| c.dataset) == DatasetKind::Imdb;
    let comparison = move || {
        let form_subset = retrain.with(|c| c.subset).or(subset.get());
        let dataset = retrain.with(|c| c.dataset);
        let rows = trainer.runs.with(|rs| {
            let rs = crate::exercises::of_dataset(rs, dataset);
            comparison_rows(&rs, form_subset)
                .into_iter()
                .filter_map(|(step, r)| {
                    let rep = r.report.as_ref()?;
                    // On the reviews: the positive class's F1.
                    let f1 = rep.f1().filter(|_| dataset == DatasetKind::Imdb);
                    Some((
                        step,
                        r.id,
                        r.label.clone(),
                        rep.accuracy,
                        f1.unwrap_or(rep.macro_avg.f1),
                    ))
                })
                .collect::<Vec<_>>()
        });
        (!rows.is_empty()).then(|| view! {
            <p class="note">"Each step's best run (highest test accuracy) on the same data as the retrained best:"</p>
            <table class="compare" data-testid="comparison">
                <thead><tr><th>"step"</th><th>"run"</th><th>"test accuracy"</th><th>{if dataset == DatasetKind::Imdb { "F1" } else { "macro-F1" }}</th></tr></thead>
                <tbody>{rows.into_iter().map(|(step, id, label, acc, f1)| view! {
                    <tr data-testid=format!("compare-{step}")>
                        <td>{format!("step {step}")}</td><td>{format!("run {id} · {label}")}</td>
                        <td>{format!("{acc:.4}")}</td><td>{format!("{f1:.4}")}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        })
    };
    view! {
        <article>
            <h2>"8 · Tune"</h2>
            <p><b>"Hyperband"</b>" (Keras Tuner's schedule) tries many configurations for a few epochs, keeps the best third (with "
                <i>"factor"</i>" 3) and trains those longer — a promoted trial continues from its parent's weights instead of starting over.                 Brackets trade many short trials against few long ones; the most aggressive bracket runs first. The plan below shows                 every round before anything runs. "<b>"RandomSearch"</b>" trains every trial for the same number of epochs: compare the two at equal budgets.                 The objective is measured on the validation split; the test set waits for the retrained winner. "
                <b>"Exercise:"</b>" retrain the best configuration and beat the test accuracy of your best step-7 run on the same data. \
                The search explores step 7's kind of model (Dense layers with L2 and Dropout), so step 7 is its yardstick; the table \
                compares all four steps. "
                {move || if imdb() {
                    "On the reviews it is a close race: natively the retrained best (0.8636) edges past the regularized model (0.8613), \
                    while the course's own search came out below it (0.842 against 0.857–0.860) — a search tuned on 5,000 validation \
                    reviews can overfit them."
                } else {
                    "The exercise was tuned to the notebook: its tuned model (0.8704) beats the regularized one \
                    (0.8617) but not the unregularized step-6 model (0.8834)."
                }}</p>
            {move || (!imdb()).then(|| view! {
                <p class="note" data-testid="cnn-search-note">"Search: a small CNN swaps the space for convolution blocks (how many, their filters and \
                    kernel sizes), dropout and the Dense layer's units — Hyperband on convolutional networks. Its trials take longer than an \
                    MLP's: the plan's estimate says how long, and a URL subset (e.g. ?subset=2000) keeps a first try short."</p>
            })}
            {move || imdb().then(|| view! {
                <p data-testid="text-search">"On the IMDB reviews the search tries 1 to 3 hidden Dense layers of 64, 128 or 256 units, \
                    each with its own L2 strength and Dropout rate, and the learning rate, on the features of step 4 (batch 512, \
                    Hyperband with at most 5 epochs and factor 3)."</p>
            })}
            <TunerPanel trainer config=search subset on_retrain />
            {comparison}
            <Show when=has_retrain>
                <h3>"Retrained best (beside your step 5–7 runs)"</h3>
                <RunPanel trainer step=8 config=retrain on_config=on_retrain_config level=Level::Regularize overlay=vec![5, 6, 7] quick metric />
            </Show>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use lab_spec::tuning::TunerConfig;

    use super::*;
    use crate::trainer::pending::{Action, dropped};

    #[test]
    fn the_comparison_takes_each_steps_best_run_on_the_retrained_data() {
        use crate::trainer::RunStatus;
        use lab_spec::{Averages, ClassificationReport, StopReason};
        let run = |id: u32, step: u8, subset: Option<usize>, accuracy: f64, status: RunStatus| {
            let mut config = crate::presets::baseline();
            config.subset = subset;
            let mut r = RunView::new(id, step, String::new(), config, "cpu".into(), 0.0);
            r.status = status;
            let avg = Averages {
                precision: accuracy,
                recall: accuracy,
                f1: accuracy,
                support: 1,
            };
            r.report = Some(ClassificationReport {
                accuracy,
                loss: None,
                confusion_matrix: vec![],
                per_class: vec![],
                macro_avg: avg.clone(),
                weighted_avg: avg,
            });
            r
        };
        let done = RunStatus::Finished(StopReason::Completed);
        let stopped = RunStatus::Finished(StopReason::UserStop);
        let runs = vec![
            run(1, 6, None, 0.8834, done.clone()),
            run(2, 6, None, 0.70, stopped), // later, stopped after one epoch
            run(3, 7, Some(2000), 0.80, done.clone()),
            run(4, 7, None, 0.8617, done.clone()),
            run(5, 8, None, 0.8704, done.clone()),
        ];
        let rows: Vec<(u8, u32)> = comparison_rows(&runs, Some(2000))
            .iter()
            .map(|(s, r)| (*s, r.id))
            .collect();
        // The retrained best used all the data: full-data runs, each step's best.
        assert_eq!(rows, [(6, 1), (7, 4), (8, 5)]);
        // Before any retraining, the form's data decides.
        let rows: Vec<(u8, u32)> = comparison_rows(&runs[..4], Some(2000))
            .iter()
            .map(|(s, r)| (*s, r.id))
            .collect();
        assert_eq!(rows, [(7, 3)]);
    }

    #[test]
    fn the_retraining_panel_shows_a_waiting_or_dropped_retraining_only() {
        let retrain = Action::Train {
            step: 8,
            label: "tuned".into(),
            config: TrainingConfig::new(lab_spec::ModelSpec::baseline()),
        };
        assert!(concerns_retraining(&Pending::Waiting(Box::new(retrain))));
        assert!(concerns_retraining(&dropped(ActionKind::Train(8), "x")));
        assert!(!concerns_retraining(&Pending::Waiting(Box::new(
            Action::Search(TunerConfig::seed_004())
        ))));
        assert!(!concerns_retraining(&dropped(ActionKind::Train(5), "x")));
        assert!(!concerns_retraining(&Pending::Nothing));
    }
}
