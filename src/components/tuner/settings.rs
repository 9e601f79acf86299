//! The search settings: the algorithm and its budget (Hyperband's max_epochs, factor and
//! iterations, or RandomSearch's trials and epochs), the objective, seed, batch size and the
//! retraining epochs.

use lab_spec::Monitor;
use lab_spec::tuning::{Algorithm, TunerConfig};
use leptos::prelude::*;

use super::space_editor::parse;

/// Applies a form value to the config, or says what is wrong with it.
type Apply = fn(&mut TunerConfig, &str) -> Result<(), String>;

/// The algorithm picked in the form with its default budget.
fn default_algorithm(hyperband: bool) -> Algorithm {
    if hyperband {
        Algorithm::Hyperband {
            max_epochs: 5,
            factor: 3,
            hyperband_iterations: 1,
        }
    } else {
        // The same epoch budget as the seed's Hyperband: 31 epochs ≈ 6 trials × 5.
        Algorithm::RandomSearch {
            max_trials: 6,
            epochs: 5,
        }
    }
}

#[component]
pub(super) fn SearchSettings(
    config: RwSignal<TunerConfig>,
    error: RwSignal<Option<String>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let set = move |f: Apply| {
        move |ev: web_sys::Event| {
            let v = event_target_value(&ev);
            let mut r = Ok(());
            config.update(|c| r = f(c, &v));
            error.set(r.err());
        }
    };
    let number = move |label: &'static str,
                       testid: &'static str,
                       value: Signal<String>,
                       f: Apply| {
        view! {
            <label class="field"><span>{label}</span>
                <input type="text" inputmode="decimal" data-testid=testid prop:value=move || value.get()
                    prop:disabled=move || disabled.get() on:change=set(f) />
            </label>
        }
    };
    let is_hyperband = move || config.with(|c| matches!(c.algorithm, Algorithm::Hyperband { .. }));
    let algo_field = move |pick: fn(&Algorithm) -> Option<usize>| {
        Signal::derive(move || {
            config.with(|c| {
                pick(&c.algorithm)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            })
        })
    };
    view! {
        <div class="settings" data-testid="search-settings">
            <label class="field"><span>"algorithm"</span>
                <select data-testid="algorithm" prop:disabled=move || disabled.get() on:change=move |ev| {
                    let hb = event_target_value(&ev) == "hyperband";
                    config.update(|c| c.algorithm = default_algorithm(hb));
                }>
                    <option value="hyperband" selected=is_hyperband>"Hyperband"</option>
                    <option value="random_search" selected=move || !is_hyperband()>"RandomSearch"</option>
                </select>
            </label>
            <Show when=is_hyperband fallback=move || view! {
                {number("max_trials", "max-trials", algo_field(|a| match a { Algorithm::RandomSearch { max_trials, .. } => Some(*max_trials), _ => None }),
                    |c, v| { if let Algorithm::RandomSearch { max_trials, .. } = &mut c.algorithm { *max_trials = parse("algorithm.max_trials", v)?; } Ok(()) })}
                {number("epochs per trial", "trial-epochs", algo_field(|a| match a { Algorithm::RandomSearch { epochs, .. } => Some(*epochs), _ => None }),
                    |c, v| { if let Algorithm::RandomSearch { epochs, .. } = &mut c.algorithm { *epochs = parse("algorithm.epochs", v)?; } Ok(()) })}
            }>
                {number("max_epochs", "max-epochs", algo_field(|a| match a { Algorithm::Hyperband { max_epochs, .. } => Some(*max_epochs), _ => None }),
                    |c, v| { if let Algorithm::Hyperband { max_epochs, .. } = &mut c.algorithm { *max_epochs = parse("algorithm.max_epochs", v)?; } Ok(()) })}
                {number("factor", "factor", algo_field(|a| match a { Algorithm::Hyperband { factor, .. } => Some(*factor), _ => None }),
                    |c, v| { if let Algorithm::Hyperband { factor, .. } = &mut c.algorithm { *factor = parse("algorithm.factor", v)?; } Ok(()) })}
                {number("hyperband_iterations", "iterations", algo_field(|a| match a { Algorithm::Hyperband { hyperband_iterations, .. } => Some(*hyperband_iterations), _ => None }),
                    |c, v| { if let Algorithm::Hyperband { hyperband_iterations, .. } = &mut c.algorithm { *hyperband_iterations = parse("algorithm.hyperband_iterations", v)?; } Ok(()) })}
            </Show>
            <label class="field"><span>"objective"</span>
                <select data-testid="objective" prop:disabled=move || disabled.get() on:change=move |ev| {
                    let loss = event_target_value(&ev) == "val_loss";
                    config.update(|c| c.objective = if loss { Monitor::ValLoss } else { Monitor::ValAccuracy });
                }>
                    <option value="val_accuracy" selected=move || config.with(|c| c.objective == Monitor::ValAccuracy)>"val_accuracy (max)"</option>
                    <option value="val_loss" selected=move || config.with(|c| c.objective == Monitor::ValLoss)>"val_loss (min)"</option>
                </select>
            </label>
            {number("seed", "tune-seed", Signal::derive(move || config.with(|c| c.seed.to_string())),
                |c, v| { c.seed = parse("seed", v)?; Ok(()) })}
            {number("batch_size", "tune-batch", Signal::derive(move || config.with(|c| c.batch_size.to_string())),
                |c, v| { c.batch_size = parse("batch_size", v)?; Ok(()) })}
            {number("retrain epochs", "retrain-epochs", Signal::derive(move || config.with(|c| c.retrain_epochs.to_string())),
                |c, v| { c.retrain_epochs = parse("retrain_epochs", v)?; Ok(()) })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_default_to_the_seed_budget_of_about_31_epochs() {
        let mut c = TunerConfig::seed_004();
        c.algorithm = default_algorithm(true);
        assert_eq!(c.plan().total_epochs, 31);
        c.algorithm = default_algorithm(false);
        assert!(matches!(
            c.algorithm,
            Algorithm::RandomSearch {
                max_trials: 6,
                epochs: 5
            }
        ));
        assert_eq!(c.plan().total_epochs, 30);
    }
}
