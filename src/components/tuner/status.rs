//! The search's progress line: the running trial (bracket, round, epoch, batch, speed, ETA)
//! or how the search ended, the epochs done of the plan, the best score so far, and the
//! messages of failed trials.

use leptos::prelude::*;

use crate::logic::format_duration;
use crate::trainer::{SearchStatus, SearchView, now_ms};

/// How a finished search ended, from its summary's reason.
fn end_text(reason: &str) -> &'static str {
    match reason {
        "stopped" => "stopped by you",
        "exhausted" => "ended: every configuration the sampler could find was tried",
        _ => "finished",
    }
}

/// The best trial so far and its score, or that none has finished.
fn best_text(s: &SearchView) -> String {
    s.best()
        .map(|t| {
            format!(
                "best so far: {} {:.4} (trial {})",
                s.config.objective.name(),
                t.score.unwrap_or(f64::NAN),
                t.id
            )
        })
        .unwrap_or_else(|| "no trial finished yet".into())
}

/// What the search is doing, `elapsed_s` seconds after it started.
fn state_text(s: &SearchView, elapsed_s: f64) -> String {
    match &s.status {
        SearchStatus::Running => match s.current.and_then(|i| s.trials.get(i)) {
            Some(t) => {
                let total = s.config.plan().total_epochs;
                let done = s.epochs_done();
                let epoch = t.initial_epoch + t.history.epochs() + 1;
                let batch = s.progress.as_ref().map_or(String::new(), |p| {
                    format!(
                        " · batch {}/{} · {:.0} samples/s · {}",
                        p.batch, p.batches, p.samples_per_s, s.backend
                    )
                });
                let eta = (done > 0).then(|| {
                    format_duration(elapsed_s / done as f64 * total.saturating_sub(done) as f64)
                });
                format!(
                    "running trial {} (bracket {}, round {}) · epoch {}/{}{batch} · ETA {}",
                    t.id,
                    t.bracket,
                    t.round,
                    epoch.min(t.epochs),
                    t.epochs,
                    eta.unwrap_or_else(|| "–".into())
                )
            }
            None => "starting…".to_string(),
        },
        SearchStatus::Finished(summary) => format!(
            "search {} after {} trials, {} epochs, {}",
            end_text(&summary.reason),
            summary.trials,
            summary.epochs_trained,
            format_duration(summary.seconds)
        ),
        SearchStatus::Failed(e) => format!("search failed: {e}"),
    }
}

#[component]
pub(super) fn SearchProgress(#[prop(into)] search: Signal<Option<SearchView>>) -> impl IntoView {
    move || {
        let s = search.get()?;
        let total = s.config.plan().total_epochs;
        let done = s.epochs_done();
        let state = state_text(&s, (now_ms() - s.started_at) / 1000.0);
        let best = best_text(&s);
        let messages = s.messages.clone();
        Some(view! {
            <div class="progress" data-testid="search-progress">
                <progress max="1" value=(done as f64 / total.max(1) as f64).min(1.0)></progress>
                <span data-testid="search-status">{state}</span>
                <span>{format!(" · {done}/{total} epochs · ")}</span>
                <b data-testid="best-so-far">{best}</b>
                <ul class="actions">{messages.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
            </div>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::tuning::{SearchSummary, Trial, TrialStatus, TunerConfig};

    fn search(trials: Vec<Trial>, status: SearchStatus) -> SearchView {
        SearchView {
            id: 1,
            config: TunerConfig::seed_004(),
            status,
            current: trials.len().checked_sub(1),
            trials,
            progress: None,
            messages: Vec::new(),
            started_at: 0.0,
            backend: "cpu".into(),
        }
    }

    fn trial(id: &str, val_accuracy: &[f64], score: Option<f64>) -> Trial {
        let history = lab_spec::History {
            loss: vec![0.5; val_accuracy.len()],
            accuracy: vec![0.8; val_accuracy.len()],
            val_accuracy: val_accuracy.to_vec(),
            ..Default::default()
        };
        Trial {
            bracket: 1,
            score,
            status: if score.is_some() {
                TrialStatus::Completed
            } else {
                TrialStatus::Running
            },
            history,
            ..Trial::new(id, Default::default(), 2)
        }
    }

    #[test]
    fn a_running_search_names_its_trial_and_eta() {
        let s = search(vec![], SearchStatus::Running);
        assert_eq!(state_text(&s, 0.0), "starting…");
        assert_eq!(best_text(&s), "no trial finished yet");
        let s = search(
            vec![
                trial("0000", &[0.8, 0.85], Some(0.85)),
                trial("0001", &[0.7], None),
            ],
            SearchStatus::Running,
        );
        // 3 of the plan's 31 epochs in 30 s: 28 left at 10 s each.
        assert_eq!(
            state_text(&s, 30.0),
            "running trial 0001 (bracket 1, round 0) · epoch 2/2 · ETA 4 min 40 s"
        );
        assert_eq!(
            best_text(&s),
            "best so far: val_accuracy 0.8500 (trial 0000)"
        );
    }

    #[test]
    fn an_ended_search_says_why() {
        let summary = |reason: &str| SearchSummary {
            trials: 4,
            best_trial: None,
            best_values: None,
            best_score: None,
            objective: "val_accuracy".into(),
            epochs_trained: 12,
            seconds: 75.0,
            reason: reason.into(),
        };
        let s = search(vec![], SearchStatus::Finished(summary("stopped")));
        assert_eq!(
            state_text(&s, 0.0),
            "search stopped by you after 4 trials, 12 epochs, 1 min 15 s"
        );
        let s = search(vec![], SearchStatus::Finished(summary("completed")));
        assert!(state_text(&s, 0.0).starts_with("search finished after"));
        assert!(end_text("exhausted").contains("every configuration"));
        let s = search(vec![], SearchStatus::Failed("out of memory".into()));
        assert_eq!(state_text(&s, 0.0), "search failed: out of memory");
    }
}
