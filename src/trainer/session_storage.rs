//! What survives a reload: the tab's runs and search, kept in sessionStorage (per tab, gone
//! when the tab closes). Saved when an epoch ends or a status changes, not on every batch.
//! NaN and ±Infinity (a loss that diverged) are saved by name and read back
//! (`lab_spec::finite`). A saved session that cannot be read is never overwritten silently:
//! it is copied under [`UNREADABLE_KEY`] first, and [`restore`] says so. A save that fails
//! (a full storage) is said too ([`keep`]), until a later one succeeds.

use gloo_storage::errors::StorageError;
use gloo_storage::{SessionStorage, Storage};
use lab_spec::tuning::TrialStatus;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::views::{RunView, SearchStatus, SearchView};

const SESSION_KEY: &str = "tuning-lab.session.v1";

/// Where a saved session that could not be read is kept (the next save replaces the other).
pub const UNREADABLE_KEY: &str = "tuning-lab.session.v1.unreadable";

/// The runs and search of a tab.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub runs: Vec<RunView>,
    pub search: Option<SearchView>,
}

impl Session {
    /// The id after every id in use.
    pub fn next_id(&self) -> u32 {
        self.runs
            .iter()
            .map(|r| r.id)
            .chain(self.search.as_ref().map(|s| s.id))
            .max()
            .map_or(1, |m| m + 1)
    }

    /// The session as it comes back after a reload: whatever was still training is marked
    /// interrupted (its curves up to the last finished epoch are kept) and every run
    /// `restored` (the worker's predictions and checkpoints did not survive).
    pub fn after_reload(mut self) -> Session {
        for r in &mut self.runs {
            r.restored = true;
            r.interrupt_by_reload();
            r.progress = None;
        }
        if let Some(s) = self.search.as_mut().filter(|s| s.is_running()) {
            s.status = SearchStatus::Failed(format!(
                "interrupted by a page reload after {} trials: the finished ones are kept",
                s.trials
                    .iter()
                    .filter(|t| t.status == TrialStatus::Completed)
                    .count()
            ));
            s.current = None;
            s.progress = None;
            for t in &mut s.trials {
                if t.status == TrialStatus::Running {
                    t.status = TrialStatus::Stopped;
                }
            }
        }
        self
    }

    /// What changes the saved copy: epochs, statuses, reports (not batch progress).
    pub fn signature(runs: &[RunView], search: Option<&SearchView>) -> String {
        let runs = runs
            .iter()
            .map(|r| {
                format!(
                    "{}:{}:{:?}:{}",
                    r.id,
                    r.epochs.len(),
                    r.status,
                    r.report.is_some()
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let search = search.map_or(String::new(), |s| {
            format!("{}:{}:{:?}", s.id, s.epochs_done(), s.status)
        });
        format!("{runs}|{search}")
    }
}

/// The saved text of a session, read back; an empty session and the reason when it cannot be
/// read (nothing saved is no reason).
pub fn parse(saved: Option<&str>) -> Result<Session, String> {
    saved.map_or(Ok(Session::default()), |text| {
        serde_json::from_str(text).map_err(|e| e.to_string())
    })
}

/// What [`restore`] says when the saved session could not be read.
pub fn unreadable_message(reason: &str) -> String {
    format!(
        "The runs saved in this tab could not be restored ({reason}). They are kept in sessionStorage under \"{UNREADABLE_KEY}\"."
    )
}

/// The tab's session before this load, as it comes back after a reload, and a message when
/// what was saved could not be read (it is kept under [`UNREADABLE_KEY`] first, so that the
/// next save does not erase it).
pub fn restore() -> (Session, Option<String>) {
    let saved = SessionStorage::raw().get_item(SESSION_KEY).ok().flatten();
    match parse(saved.as_deref()) {
        Ok(session) => (session.after_reload(), None),
        Err(reason) => {
            if let Some(text) = &saved {
                let _ = SessionStorage::raw().set_item(UNREADABLE_KEY, text);
            }
            let message = unreadable_message(&reason);
            web_sys::console::warn_1(&message.as_str().into());
            (Session::default(), Some(message))
        }
    }
}

/// What the learner reads when the session could not be saved: the browser's error `name`
/// and `message` (a full storage is `QuotaExceededError`). What was saved before stays as it
/// was, so a reload brings back the runs up to the last save.
pub fn save_failed_message(name: &str, message: &str) -> String {
    let quota = name == "QuotaExceededError"
        || name == "NS_ERROR_DOM_QUOTA_REACHED"
        || message.to_lowercase().contains("quota");
    let why = if quota {
        "it is full".to_string()
    } else if message.is_empty() {
        name.to_string()
    } else {
        format!("{name}: {message}")
    };
    format!(
        "Your runs could not be saved in this tab's storage ({why}): they are still here, but a reload would lose the newest ones."
    )
}

/// [`save_failed_message`] for what `SessionStorage::set` returned.
fn save_error(error: &StorageError) -> String {
    match error {
        StorageError::JsError(e) => save_failed_message(&e.name, &e.message),
        other => save_failed_message("the session could not be written", &other.to_string()),
    }
}

/// Saves the session whenever its [`Session::signature`] changes; `failed` says why the last
/// save failed (a full storage, in very long sessions), and goes back to `None` once a save
/// succeeds. The page keeps working either way.
pub fn keep(
    runs: ReadSignal<Vec<RunView>>,
    search: ReadSignal<Option<SearchView>>,
    failed: WriteSignal<Option<String>>,
) {
    let signature =
        Memo::new(move |_| runs.with(|r| search.with(|s| Session::signature(r, s.as_ref()))));
    let last = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        // Read (not only track) the memo: a memo that was never read has no sources yet.
        let _ = signature.get();
        let session = Session {
            runs: runs.get_untracked(),
            search: search.get_untracked(),
        };
        let outcome = SessionStorage::set(SESSION_KEY, &session)
            .err()
            .map(|e| save_error(&e));
        if let Some(message) = &outcome {
            web_sys::console::warn_1(&message.as_str().into());
        }
        if last.get_value() != outcome {
            last.set_value(outcome.clone());
            failed.set(outcome);
        }
    });
}

#[cfg(test)]
mod tests {
    use lab_spec::TrainingConfig;
    use lab_spec::tuning::TunerConfig;

    use super::super::views::RunStatus;
    use super::*;

    fn run(id: u32) -> RunView {
        let mut r = RunView::new(
            id,
            5,
            "baseline".into(),
            TrainingConfig::new(lab_spec::ModelSpec::baseline()),
            "cpu".into(),
            1.0,
        );
        r.batch_losses = vec![(0.1, 2.0)];
        r
    }

    #[test]
    fn a_session_survives_json() {
        let session = Session {
            runs: vec![run(3)],
            search: Some(SearchView::new(
                4,
                TunerConfig::seed_004(),
                "cpu".into(),
                0.0,
            )),
        };
        let back: Session =
            serde_json::from_str(&serde_json::to_string(&session).unwrap()).unwrap();
        assert_eq!(back, session);
        assert_eq!(back.next_id(), 5);
        assert_eq!(Session::default().next_id(), 1);
    }

    #[test]
    fn a_reload_marks_what_ran_as_interrupted_and_keeps_its_curves() {
        let mut done = run(1);
        done.status = RunStatus::Finished(lab_spec::StopReason::Completed);
        let session = Session {
            runs: vec![done, run(2)],
            search: Some(SearchView::new(
                3,
                TunerConfig::seed_004(),
                "cpu".into(),
                0.0,
            )),
        }
        .after_reload();
        assert!(session.runs.iter().all(|r| r.restored));
        assert!(matches!(session.runs[0].status, RunStatus::Finished(_)));
        assert!(
            matches!(&session.runs[1].status, RunStatus::Failed(m) if m.contains("interrupted by a page reload after epoch 0"))
        );
        assert_eq!(session.runs[1].batch_losses, vec![(0.1, 2.0)]);
        let search = session.search.unwrap();
        assert!(matches!(&search.status, SearchStatus::Failed(m) if m.contains("after 0 trials")));
    }

    #[test]
    fn a_session_with_nan_and_infinite_values_is_restored_as_it_was() {
        let mut r = run(1);
        r.status = RunStatus::Finished(lab_spec::StopReason::Completed);
        r.batch_losses = vec![(0.5, 2.3), (1.0, f64::NAN), (1.5, f64::INFINITY)];
        r.nan_loss = Some((1, 7));
        let logs = lab_spec::EpochLogs {
            epoch: 1,
            loss: f64::NAN,
            accuracy: 0.1,
            val_loss: Some(f64::NAN),
            val_accuracy: Some(0.1),
            lr: 10.0,
            regularization_loss: 0.0,
            seconds: 2.0,
        };
        r.epochs = vec![logs.clone()];
        let mut history = lab_spec::History::default();
        history.push(&logs);
        r.summary = Some(lab_spec::RunSummary {
            history,
            epochs: vec![logs],
            reason: lab_spec::StopReason::Completed,
            stopped_epoch: 1,
            best_epoch: None,
            weights_epoch: 1,
            saw_nan: true,
        });
        let saved = serde_json::to_string(&Session {
            runs: vec![r],
            search: None,
        })
        .unwrap();
        assert!(saved.contains(r#""loss":"NaN""#), "{saved}");
        let back = parse(Some(&saved)).unwrap().after_reload();
        let r = &back.runs[0];
        assert!(r.epochs[0].loss.is_nan() && r.epochs[0].val_loss.is_some_and(f64::is_nan));
        assert!(r.batch_losses[1].1.is_nan());
        assert_eq!(r.batch_losses[2], (1.5, f64::INFINITY));
        let summary = r.summary.as_ref().unwrap();
        assert!(summary.history.loss[0].is_nan() && summary.history.val_loss[0].is_nan());
        assert_eq!(r.nan_loss, Some((1, 7)));
        assert!(
            r.status_text()
                .starts_with("finished · the loss became NaN")
        );
    }

    #[test]
    fn a_session_saved_with_null_for_nan_is_restored_and_an_unreadable_one_is_reported() {
        // What an earlier build saved for a NaN loss.
        let mut value = serde_json::to_value(Session {
            runs: vec![run(2)],
            search: None,
        })
        .unwrap();
        value["runs"][0]["batch_losses"] = serde_json::json!([[0.5, null]]);
        let back = parse(Some(&value.to_string())).unwrap();
        assert!(back.runs[0].batch_losses[0].1.is_nan());

        assert_eq!(parse(None), Ok(Session::default()), "nothing saved");
        let reason = parse(Some(r#"{"runs": 3}"#)).unwrap_err();
        let message = unreadable_message(&reason);
        assert!(message.contains("could not be restored"), "{message}");
        assert!(message.contains(UNREADABLE_KEY), "{message}");
    }

    #[test]
    fn a_failed_save_says_why_and_that_the_runs_are_still_here() {
        let full = save_failed_message(
            "QuotaExceededError",
            "Failed to execute 'setItem' on 'Storage': Setting the value of 'tuning-lab.session.v1' exceeded the quota.",
        );
        assert_eq!(
            full,
            "Your runs could not be saved in this tab's storage (it is full): they are still here, but a reload would lose the newest ones."
        );
        // Firefox's name for it, and a quota named only in the message.
        assert_eq!(save_failed_message("NS_ERROR_DOM_QUOTA_REACHED", ""), full);
        assert_eq!(save_failed_message("Error", "Quota exceeded"), full);
        let denied = save_failed_message("SecurityError", "The operation is insecure.");
        assert!(
            denied.contains("(SecurityError: The operation is insecure.)"),
            "{denied}"
        );
        assert!(denied.ends_with("a reload would lose the newest ones."));
        let json = serde_json::from_str::<u8>("x").unwrap_err();
        let written = save_error(&StorageError::SerdeError(json));
        assert!(
            written.contains("(the session could not be written: expected value"),
            "{written}"
        );
    }

    #[test]
    fn the_signature_ignores_batch_progress() {
        let mut a = run(1);
        let before = Session::signature(std::slice::from_ref(&a), None);
        a.batch_losses.push((0.2, 1.0));
        assert_eq!(Session::signature(std::slice::from_ref(&a), None), before);
        a.status = RunStatus::Failed("x".into());
        assert_ne!(Session::signature(&[a], None), before);
    }
}
