//! The search's plan before it starts: every bracket and round of the schedule, the epochs
//! each trains, and an estimate of the whole search's time: the speed measured on this machine
//! with the run whose model is closest in size to the search's, scaled by the models' sizes
//! (multiply-adds per image).

use lab_spec::tuning::{Plan, TunerConfig, Values};
use lab_spec::{Shape, Summary};
use leptos::prelude::*;

use crate::logic::format_duration;
use crate::trainer::{RunView, Trainer};

/// Seconds a number of epochs takes at `speed` samples/s (validation adds about a tenth).
pub(super) fn estimate_s(epochs: usize, train_samples: usize, speed: f64) -> f64 {
    epochs as f64 * train_samples as f64 / speed.max(1.0) * 1.1
}

/// Multiply-adds of one image through a model, from its summary: each weight of a Dense or
/// Conv2D layer once per output position, plus one per activation (pooling, dropout, ...).
pub(super) fn cost_per_image(summary: &Summary) -> f64 {
    summary
        .rows
        .iter()
        .map(|r| {
            let positions = match r.output_shape {
                Shape::Image { h, w, .. } => h * w,
                Shape::Flat(_) => 1,
            };
            r.params as f64 * positions as f64 + r.output_shape.features() as f64
        })
        .sum()
}

/// Configurations drawn to size a search's models.
const SIZE_DRAWS: usize = 32;

/// The mean [`cost_per_image`] of the search's models, over [`SIZE_DRAWS`] configurations
/// spread evenly over its space (a fixed draw: the estimate does not move by itself).
pub(super) fn search_cost(config: &TunerConfig) -> Option<f64> {
    const GOLDEN: f64 = 0.618_033_988_749_895;
    let costs: Vec<f64> = (0..SIZE_DRAWS)
        .filter_map(|k| {
            let values: Values = config
                .hyperparameters
                .iter()
                .enumerate()
                .map(|(j, hp)| {
                    let u = ((k as f64 + 0.5) / SIZE_DRAWS as f64 + j as f64 * GOLDEN).fract();
                    (hp.name().to_string(), hp.value_at(u))
                })
                .collect();
            let model = config.training_config(&values, 1).ok()?.model;
            model.summary().ok().map(|s| cost_per_image(&s))
        })
        .collect();
    (!costs.is_empty()).then(|| costs.iter().sum::<f64>() / costs.len() as f64)
}

/// A speed measured on this machine: run `run` trained `samples_per_s` with a model of `cost`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Measured {
    pub run: u32,
    pub samples_per_s: f64,
    pub cost: f64,
}

/// The measured run whose model is closest in size to `cost` (the newest among equals).
pub(super) fn closest_measured(runs: &[RunView], cost: f64) -> Option<Measured> {
    runs.iter()
        .filter_map(|r| {
            let p = r.progress.as_ref()?;
            let summary = r.config.model.summary().ok()?;
            (p.samples_per_s.is_finite() && p.samples_per_s > 0.0).then(|| Measured {
                run: r.id,
                samples_per_s: p.samples_per_s,
                cost: cost_per_image(&summary).max(1.0),
            })
        })
        .min_by(|a, b| {
            let off = |m: &Measured| (m.cost / cost).ln().abs();
            off(a).total_cmp(&off(b)).then(b.run.cmp(&a.run))
        })
}

/// Seconds `epochs` epochs of `train_samples` images take with models of `cost`, at the
/// speed of `measured` scaled by the models' sizes.
pub(super) fn scaled_estimate_s(
    epochs: usize,
    train_samples: usize,
    measured: Measured,
    cost: f64,
) -> f64 {
    estimate_s(
        epochs,
        train_samples,
        measured.samples_per_s * measured.cost / cost.max(1.0),
    )
}

/// "235 k", "1.2 M".
fn amount(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1} M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.0} k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

/// The estimate's sentence: the time, and what it is based on.
fn estimate_text(
    epochs: usize,
    train_samples: usize,
    runs: &[RunView],
    cost: Option<f64>,
    fastest: Option<f64>,
) -> String {
    match (cost, cost.and_then(|c| closest_measured(runs, c))) {
        (Some(cost), Some(m)) => format!(
            "≈ {} — run {}'s speed on this machine ({:.0} samples/s with {} multiply-adds per \
             sample) scaled to this search's models (≈ {} per sample on average)",
            format_duration(scaled_estimate_s(epochs, train_samples, m, cost)),
            m.run,
            m.samples_per_s,
            amount(m.cost),
            amount(cost)
        ),
        _ => match fastest {
            Some(speed) => format!(
                "≈ {} at {:.0} samples/s (the fastest speed measured on this machine so far; \
                 bigger models are slower)",
                format_duration(estimate_s(epochs, train_samples, speed)),
                speed
            ),
            None => "train a model in steps 5–7 (or start the search) to measure this \
                     machine's speed; the estimate follows"
                .to_string(),
        },
    }
}

/// One round of one bracket as the plan's table shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PlanRow {
    bracket: usize,
    round: usize,
    trials: usize,
    /// The epoch its trials train up to.
    epochs: usize,
    /// The epoch its trials continue from (0 in the first round).
    from: usize,
    /// Epochs the round trains: its trials × the new epochs of each.
    trained: usize,
}

impl PlanRow {
    fn epochs_text(&self) -> String {
        if self.round == 0 {
            format!("{}", self.epochs)
        } else {
            format!("{} (continues from {})", self.epochs, self.from)
        }
    }
}

/// The plan's rounds in the order they run; a promoted trial only adds its new epochs.
fn plan_rows(plan: &Plan) -> Vec<PlanRow> {
    plan.brackets
        .iter()
        .flat_map(|b| {
            let mut before = 0;
            b.rounds.iter().map(move |r| {
                let from = before;
                before = r.epochs;
                PlanRow {
                    bracket: b.bracket,
                    round: r.round,
                    trials: r.trials,
                    epochs: r.epochs,
                    from,
                    trained: r.trials * (r.epochs - from),
                }
            })
        })
        .collect()
}

/// The plan of `config` (with the quick-run subset applied) and its time estimate.
#[component]
pub(super) fn PlanView(
    trainer: Trainer,
    #[prop(into)] config: Signal<TunerConfig>,
) -> impl IntoView {
    move || {
        let c = config.get();
        if c.validate(None).is_err() {
            return view! { <p class="muted" data-testid="plan">"Fix the settings above to see the plan."</p> }.into_any();
        }
        let plan = c.plan();
        let available = trainer.available();
        let train_samples = c
            .training_config(&Default::default(), 1)
            .map(|t| t.train_samples(available))
            .unwrap_or(0);
        let estimate = if available == 0 {
            "the estimate needs the data".to_string()
        } else {
            let cost = search_cost(&c);
            trainer.runs.with_untracked(|runs| {
                // Speeds measured on the same data set (reviews are sparse rows, images dense).
                estimate_text(
                    plan.total_epochs,
                    train_samples,
                    &crate::exercises::of_dataset(runs, c.dataset),
                    cost,
                    trainer.measured_speed(),
                )
            })
        };
        let rows = plan_rows(&plan)
            .into_iter()
            .map(|r| {
                view! {
                    <tr>
                        <td>{r.bracket}</td><td>{r.round}</td><td>{r.trials}</td>
                        <td>{r.epochs_text()}</td>
                        <td>{r.trained}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="plan" data-testid="plan" data-trials=plan.trials() data-total-epochs=plan.total_epochs>
                <table>
                    <thead><tr><th>"bracket"</th><th>"round"</th><th>"trials"</th><th>"epochs (up to)"</th><th>"epochs trained"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <p data-testid="plan-total">{format!("{} trials, {} epochs in total on {} training {} — {}.",
                    plan.trials(), plan.total_epochs, train_samples,
                    if c.dataset == lab_spec::DatasetKind::Imdb { "reviews" } else { "images" }, estimate)}</p>
            </div>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use lab_spec::{BatchProgress, ModelSpec, TrainingConfig};

    #[test]
    fn estimate_scales_with_epochs() {
        assert!((estimate_s(31, 48_000, 48_000.0) - 34.1).abs() < 1e-9);
    }

    fn cost(model: &ModelSpec) -> f64 {
        cost_per_image(&model.summary().unwrap())
    }

    /// A finished run of `model` that trained at `speed` samples/s.
    fn measured_run(id: u32, model: ModelSpec, speed: f64) -> RunView {
        let mut r = RunView::new(
            id,
            5,
            "run".into(),
            TrainingConfig::new(model),
            "cpu".into(),
            0.0,
        );
        r.progress = Some(BatchProgress {
            epoch: 1,
            batch: 10,
            batches: 10,
            loss: 1.0,
            samples_per_s: speed,
            ms_per_batch: 1.0,
        });
        r
    }

    #[test]
    fn a_models_cost_counts_its_weights_once_per_output_position() {
        // Dense(10) on 784 pixels: 7,850 weights, 10 outputs.
        assert_eq!(cost(&ModelSpec::baseline()), 7_860.0);
        // Dense 256 → 128 → 10.
        let mlp = cost(&ModelSpec::mlp(&[256, 128]));
        assert_eq!(mlp, (200_960 + 256 + 32_896 + 128 + 1_290 + 10) as f64);
        // A convolution's weights work at every position: far more than its parameters.
        let cnn = ModelSpec::small_cnn();
        let params = cnn.summary().unwrap().total_params as f64;
        assert!(cost(&cnn) > 10.0 * params, "{} vs {params}", cost(&cnn));
    }

    #[test]
    fn the_search_is_sized_from_its_own_space() {
        let seed = TunerConfig::seed_004();
        let c = search_cost(&seed).unwrap();
        // 1–3 hidden layers of 128 or 256 units: between the smallest and the largest model.
        let smallest = cost(&ModelSpec::mlp(&[128]));
        let largest = cost(&ModelSpec::mlp(&[256, 256, 256]));
        assert!(c > smallest && c < largest, "{smallest} < {c} < {largest}");
        assert_eq!(search_cost(&seed), Some(c), "a fixed draw");
    }

    #[test]
    fn the_estimate_uses_the_closest_model_measured_and_scales_with_size() {
        let baseline = measured_run(1, ModelSpec::baseline(), 20_000.0);
        let mlp = measured_run(2, ModelSpec::mlp(&[256, 128]), 5_000.0);
        let runs = [baseline.clone(), mlp];
        let search = cost(&ModelSpec::mlp(&[256, 128])) * 2.0;
        let m = closest_measured(&runs, search).unwrap();
        assert_eq!(m.run, 2);
        // Twice the model: half the measured speed, so twice the time.
        let s = scaled_estimate_s(5, 10_000, m, search);
        assert!((s - estimate_s(5, 10_000, 2_500.0)).abs() < 1e-9, "{s}");
        // With only the baseline measured, a bigger search takes longer than at its speed.
        let only = closest_measured(std::slice::from_ref(&baseline), search).unwrap();
        assert!(scaled_estimate_s(5, 10_000, only, search) > estimate_s(5, 10_000, 20_000.0));
        assert!(closest_measured(&[], search).is_none());
        let text = estimate_text(5, 10_000, &runs, Some(search), Some(20_000.0));
        assert!(
            text.contains("run 2's speed on this machine (5000 samples/s"),
            "{text}"
        );
        assert!(estimate_text(5, 10_000, &[], Some(search), None).contains("train a model"));
    }

    #[test]
    fn rows_add_up_to_the_plan_and_later_rounds_continue() {
        let plan = TunerConfig::seed_004().plan();
        let rows = plan_rows(&plan);
        assert_eq!(
            rows.iter().map(|r| r.trained).sum::<usize>(),
            plan.total_epochs
        );
        assert_eq!(rows.iter().map(|r| r.trials).sum::<usize>(), plan.trials());
        for r in &rows {
            if r.round == 0 {
                assert_eq!(r.from, 0);
                assert_eq!(r.epochs_text(), r.epochs.to_string());
            } else {
                assert!(r.from > 0 && r.from < r.epochs, "{r:?}");
                assert!(r.epochs_text().contains("continues from"));
            }
        }
    }
}
