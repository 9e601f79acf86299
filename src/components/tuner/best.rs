//! The end of a search: the best trial's hyperparameters (the active ones, in the space's
//! order) and the button that retrains them with step 7's callbacks.

use lab_spec::TrainingConfig;
use lab_spec::tuning::{Trial, TunerConfig};
use leptos::prelude::*;

use crate::components::action_note::ActionNote;
use crate::trainer::Trainer;
use crate::trainer::pending::ActionKind;

/// The best trial's active values as (name, value) rows, in the space's order.
fn best_rows(config: &TunerConfig, best: &Trial) -> Vec<(String, String)> {
    config
        .hyperparameters
        .iter()
        .filter(|h| config.is_active(h.name(), &best.values))
        .filter_map(|h| {
            best.values
                .get(h.name())
                .map(|v| (h.name().to_string(), v.to_string()))
        })
        .collect()
}

/// The best values of a search; "Retrain best" hands their training config (with the quick-run
/// subset) to `on_retrain`, or reports in `error` why it cannot be built or was refused.
#[component]
pub(super) fn BestValues(
    trainer: Trainer,
    config: TunerConfig,
    best: Trial,
    #[prop(into)] subset: Signal<Option<usize>>,
    on_retrain: Callback<TrainingConfig, Result<(), String>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    // The retraining is a step-8 run.
    let kind = ActionKind::Train(8);
    let enabled = Signal::derive(move || trainer.button(kind).enabled);
    let rows = best_rows(&config, &best)
        .into_iter()
        .map(|(n, v)| view! { <tr><td><code>{n}</code></td><td>{v}</td></tr> })
        .collect_view();
    let summary = format!(
        "Trial {} · {} {:.4} (epoch {})",
        best.id,
        config.objective.name(),
        best.score.unwrap_or(f64::NAN),
        best.best_epoch.unwrap_or(0)
    );
    let label = format!(
        "Retrain best ({} epochs, with step 7's callbacks)",
        config.retrain_epochs
    );
    let values = best.values;
    let retrain = move |_| match config.retrain_config(&values) {
        Ok(mut c) => {
            if let Some(n) = subset.get_untracked() {
                c.subset = Some(n);
            }
            error.set(on_retrain.run(c).err());
        }
        Err(e) => error.set(Some(e.to_string())),
    };
    view! {
        <h3>"Best hyperparameters"</h3>
        <p>{summary}</p>
        <table class="best" data-testid="best-values"><tbody>{rows}</tbody></table>
        <button class="primary" data-testid="retrain-best" prop:disabled=move || !enabled.get() on:click=retrain>
            {label}
        </button>
        <ActionNote trainer kind testid="retrain" only_before=true />
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::tuning::{HpValue, TrialStatus};

    #[test]
    fn only_the_active_values_are_listed_in_the_space_order() {
        let config = TunerConfig::seed_004();
        let mut values = lab_spec::tuning::Values::default();
        for h in &config.hyperparameters {
            values.insert(h.name().to_string(), HpValue::Int(1));
        }
        let best = Trial {
            score: Some(0.8),
            best_epoch: Some(1),
            status: TrialStatus::Completed,
            ..Trial::new("0000", values, 1)
        };
        let rows = best_rows(&config, &best);
        let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
        // n_layers = 1: only the first layer's values apply.
        assert_eq!(names, ["n_layers", "units_0", "l2_0", "drop_0", "lr"]);
        assert_eq!(rows[0].1, HpValue::Int(1).to_string());
    }
}
