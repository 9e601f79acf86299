//! Step 8: the hyperparameter search, retraining its best configuration, and the comparison
//! of steps 5–8 on the test set.

use lab_spec::TrainingConfig;
use lab_spec::tuning::TunerConfig;
use leptos::prelude::*;

use crate::components::builder::Level;
use crate::components::run_panel::RunPanel;
use crate::components::tuner::TunerPanel;
use crate::logic::UrlOverrides;
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

/// The latest run of `step` with a test-set report: its row of the comparison.
pub fn latest_reported(runs: &[RunView], step: u8) -> Option<&RunView> {
    runs.iter()
        .rev()
        .find(|r| r.step == step && r.report.is_some())
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
) -> impl IntoView {
    let subset = Signal::derive(move || quick.with(|q| q.subset));
    let on_retrain = Callback::new(move |c: TrainingConfig| {
        on_retrain_config.run(c.clone());
        trainer
            .start(8, "tuned: best of the search".into(), c)
            .map(|_| ())
    });
    // The retraining's panel: once there is a step-8 run, or one waits for the data or was
    // dropped (its panel says so).
    let has_retrain = move || {
        trainer.runs.with(|rs| rs.iter().any(|r| r.step == 8))
            || trainer.pending.with(concerns_retraining)
    };
    let comparison = move || {
        let rows = [5u8, 6, 7, 8]
            .into_iter()
            .filter_map(|step| {
                let r = trainer.runs.with(|rs| latest_reported(rs, step).cloned())?;
                let rep = r.report.clone()?;
                Some(view! {
                    <tr data-testid=format!("compare-{step}")>
                        <td>{format!("step {step}")}</td><td>{r.label.clone()}</td>
                        <td>{format!("{:.4}", rep.accuracy)}</td><td>{format!("{:.4}", rep.macro_avg.f1)}</td>
                    </tr>
                })
            })
            .collect::<Vec<_>>();
        (!rows.is_empty()).then(|| view! {
            <table class="compare" data-testid="comparison">
                <thead><tr><th>"step"</th><th>"run"</th><th>"test accuracy"</th><th>"macro-F1"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        })
    };
    view! {
        <article>
            <h2>"8 · Tune"</h2>
            <p><b>"Hyperband"</b>" (Keras Tuner's schedule) tries many configurations for a few epochs, keeps the best third (with "
                <i>"factor"</i>" 3) and trains those longer — a promoted trial continues from its parent's weights instead of starting over.                 Brackets trade many short trials against few long ones; the most aggressive bracket runs first. The plan below shows                 every round before anything runs. "<b>"RandomSearch"</b>" trains every trial for the same number of epochs: compare the two at equal budgets.                 The objective is measured on the validation split; the test set waits for the retrained winner. "
                <b>"Exercise:"</b>" retrain the best configuration and beat the best test accuracy of steps 5–7."</p>
            <TunerPanel trainer config=search subset on_retrain />
            {comparison}
            <Show when=has_retrain>
                <h3>"Retrained best (beside your step 5–7 runs)"</h3>
                <RunPanel trainer step=8 config=retrain on_config=on_retrain_config level=Level::Regularize overlay=vec![5, 6, 7] quick />
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
