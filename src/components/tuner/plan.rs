//! The search's plan before it starts: every bracket and round of the schedule, the epochs
//! each trains, and an estimate of the whole search's time from the speed measured so far.

use lab_spec::tuning::{Plan, TunerConfig};
use leptos::prelude::*;

use crate::logic::format_duration;
use crate::trainer::Trainer;

/// Seconds a number of epochs takes at `speed` samples/s (validation adds about a tenth).
pub(super) fn estimate_s(epochs: usize, train_samples: usize, speed: f64) -> f64 {
    epochs as f64 * train_samples as f64 / speed.max(1.0) * 1.1
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
        let estimate = match (trainer.measured_speed(), available) {
            (_, 0) => "the estimate needs the data".to_string(),
            (Some(speed), _) => format!(
                "≈ {} at {:.0} samples/s (the fastest speed measured on this machine so far; bigger models are slower)",
                format_duration(estimate_s(plan.total_epochs, train_samples, speed)),
                speed
            ),
            (None, _) => "train a model in steps 5–7 (or start the search) to measure this machine's speed; the estimate follows".to_string(),
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
                <p data-testid="plan-total">{format!("{} trials, {} epochs in total on {} training images — {}.",
                    plan.trials(), plan.total_epochs, train_samples, estimate)}</p>
            </div>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_scales_with_epochs() {
        assert!((estimate_s(31, 48_000, 48_000.0) - 34.1).abs() < 1e-9);
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
