//! Exports of a search's trials: CSV (one column per hyperparameter) and JSON, downloaded
//! through a Blob URL.

use crate::download::save_text;
use lab_spec::tuning::{Trial, TunerConfig, trials_csv};
use leptos::prelude::*;

/// The trials as pretty JSON (the same objects the search events carry).
fn trials_json(trials: &[Trial]) -> String {
    crate::json::to_string_pretty(trials).unwrap_or_default()
}

/// The "Export CSV" and "Export JSON" buttons of a search.
#[component]
pub(super) fn ExportButtons(config: TunerConfig, trials: Vec<Trial>) -> impl IntoView {
    let csv = trials_csv(&config, &trials);
    let json = trials_json(&trials);
    view! {
        <div class="controls">
            <button data-testid="export-csv" on:click=move |_| save_text("trials.csv", "text/csv", &csv)>"Export CSV"</button>
            <button data-testid="export-json" on:click=move |_| save_text("trials.json", "application/json", &json)>"Export JSON"</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_the_trials() {
        assert_eq!(trials_json(&[]), "[]");
        let history = lab_spec::History {
            val_accuracy: vec![0.8, 0.85],
            ..Default::default()
        };
        let trial = Trial {
            bracket: 1,
            score: Some(0.85),
            best_epoch: Some(2),
            status: lab_spec::tuning::TrialStatus::Completed,
            history,
            seconds: 1.5,
            ..Trial::new("0000", Default::default(), 2)
        };
        let back: Vec<Trial> =
            serde_json::from_str(&trials_json(std::slice::from_ref(&trial))).unwrap();
        assert_eq!(back, vec![trial]);
    }
}
