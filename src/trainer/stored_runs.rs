//! What the browser keeps of the learner's runs, as plain data: one record per run (the run
//! and when it was first stored), the search, the pinned baseline. Saved when an epoch ends or
//! a status, a name or a report changes (a signature of those, never every batch), one
//! record per write, so a failed write (a full storage) costs only that change. After a reload
//! or a browser restart whatever was training comes back interrupted, with its curves. The
//! IndexedDB calls are in [`super::run_db`]; this file has no browser in it.
//!
//! NaN and ±Infinity (a loss that diverged) are stored by name and read back
//! (`lab_spec::finite`).

use std::collections::{BTreeMap, BTreeSet};

use lab_spec::tuning::TrialStatus;
use serde::{Deserialize, Serialize};

use super::views::{RunView, SearchStatus, SearchView};

/// Where earlier builds kept a tab's runs (sessionStorage): read once, stored, removed.
pub const LEGACY_SESSION_KEY: &str = "tuning-lab.session.v1";

/// A tab's runs and search as earlier builds saved them in sessionStorage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LegacySession {
    pub runs: Vec<RunView>,
    pub search: Option<SearchView>,
}

/// One stored run: the run, and when it was first stored (milliseconds since 1970, for the
/// date the learner reads).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredRun {
    pub created_ms: f64,
    pub run: RunView,
}

/// What a record's text is: JSON (`crate::json`), so that what was stored can be read back by
/// any later build.
pub fn encode<T: Serialize>(value: &T) -> Result<String, String> {
    crate::json::to_string(value)
}

pub fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
    crate::json::from_str(text)
}

/// The text earlier builds left in sessionStorage, read back; nothing there is no session.
pub fn parse_legacy(saved: Option<&str>) -> Result<LegacySession, String> {
    saved.map_or(Ok(LegacySession::default()), decode)
}

/// A run as it comes back after a reload or in another tab: what was still training is marked
/// interrupted (its curves up to the last finished epoch are kept), and it is `restored` (the
/// worker that held its predictions and checkpoint is gone).
pub fn after_reload(mut run: RunView) -> RunView {
    run.restored = true;
    run.interrupt_by_reload();
    run.progress = None;
    run
}

/// The search as it comes back after a reload: a running one failed, its finished trials kept.
pub fn search_after_reload(mut s: SearchView) -> SearchView {
    if s.is_running() {
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
    s
}

/// What changes a run's record: its epochs, status, name and reports (not batch progress).
pub fn run_signature(r: &RunView) -> String {
    format!(
        "{}:{:?}:{}:{}:{}",
        r.epochs.len(),
        r.status,
        r.report.is_some(),
        r.checkpoint_report.as_ref().map_or(0, |(e, _)| *e),
        r.label
    )
}

/// What changes the search's record: its epochs and status.
pub fn search_signature(s: Option<&SearchView>) -> String {
    s.map_or(String::new(), |s| {
        format!("{}:{}:{:?}", s.id, s.epochs_done(), s.status)
    })
}

/// The writes that bring the stored records (`stored`: id → signature) to the runs of the
/// page (`now`, in their order): the runs to put, the ids to delete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub put: Vec<u32>,
    pub delete: Vec<u32>,
}

pub fn changes(stored: &BTreeMap<u32, String>, now: &[(u32, String)]) -> Changes {
    let put = now
        .iter()
        .filter(|(id, sig)| stored.get(id) != Some(sig))
        .map(|(id, _)| *id)
        .collect();
    let ids: BTreeSet<u32> = now.iter().map(|(id, _)| *id).collect();
    let delete = stored
        .keys()
        .filter(|id| !ids.contains(id))
        .copied()
        .collect();
    Changes { put, delete }
}

/// Gives every run of `incoming` whose id is in `taken` (or taken by an earlier incoming run) a
/// fresh id after every id in use, and returns the ids it changed (old → new). A run that is
/// not in a worker can change its id; one that trains cannot.
pub fn renumber(taken: &BTreeSet<u32>, incoming: &mut [StoredRun]) -> Vec<(u32, u32)> {
    let mut used = taken.clone();
    let mut next = taken
        .iter()
        .chain(incoming.iter().map(|s| &s.run.id))
        .max()
        .map_or(1, |m| m + 1);
    let mut changed = Vec::new();
    for s in incoming.iter_mut() {
        if !used.insert(s.run.id) {
            changed.push((s.run.id, next));
            s.run.id = next;
            used.insert(next);
            next += 1;
        }
    }
    changed
}

/// The id after every id in use (runs and searches share the numbering).
pub fn next_id(runs: &[RunView], search: Option<&SearchView>, at_least: u32) -> u32 {
    runs.iter()
        .map(|r| r.id)
        .chain(search.map(|s| s.id))
        .max()
        .map_or(at_least, |m| at_least.max(m + 1))
}

/// What was read back at the start.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Restored {
    pub runs: Vec<StoredRun>,
    pub search: Option<SearchView>,
    pub pinned: Option<u32>,
    /// Records that could not be read: (their key, the reason). They are left as they are.
    pub unreadable: Vec<(String, String)>,
    /// The ids of the run records that could not be read: no new run takes them.
    pub unreadable_ids: Vec<u32>,
}

/// The stored runs and the page's own (`live`: runs that started before the stored ones were
/// read, already in the worker) together: the stored first, any of them whose id a live run
/// took renumbered (and the pin with it). Returns the runs in order, the ids renumbered.
pub fn merge(restored: &mut Restored, live: &[RunView]) -> Vec<(u32, u32)> {
    let taken: BTreeSet<u32> = live
        .iter()
        .map(|r| r.id)
        .chain(restored.unreadable_ids.iter().copied())
        .collect();
    let changed = renumber(&taken, &mut restored.runs);
    if let Some(pin) = restored.pinned.as_mut()
        && let Some((_, new)) = changed.iter().find(|(old, _)| old == pin)
    {
        *pin = *new;
    }
    changed
}

/// The pin as stored: a run id, or none.
pub fn pin_text(pin: Option<u32>) -> String {
    pin.map_or(String::new(), |id| id.to_string())
}

pub fn parse_pin(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

/// What the learner reads when a change could not be stored: the browser's error `name` and
/// `message` (a full storage is `QuotaExceededError`). Every record stored before stays as it
/// was, so a reload brings back the runs up to the last write that worked.
pub fn save_failed_message(name: &str, message: &str) -> String {
    let quota = name == "QuotaExceededError"
        || name == "NS_ERROR_DOM_QUOTA_REACHED"
        || message.to_lowercase().contains("quota");
    let why = if quota {
        "the browser's storage for this site is full".to_string()
    } else if message.is_empty() {
        name.to_string()
    } else {
        format!("{name}: {message}")
    };
    format!(
        "Your newest changes could not be saved in this browser ({why}): the runs are still here and the ones saved before are kept, but a reload would lose the newest changes. Deleting runs you no longer need in My runs makes room."
    )
}

/// What the learner reads when the stored runs could not be read at all (no IndexedDB, a
/// private window that refuses it, ...): the lab works, nothing is kept.
pub fn unavailable_message(reason: &str) -> String {
    format!(
        "Your runs cannot be kept in this browser ({reason}): the lab works, but a reload loses them."
    )
}

/// What the learner reads when some stored records could not be read back.
pub fn unreadable_message(unreadable: &[(String, String)]) -> Option<String> {
    let (key, reason) = unreadable.first()?;
    Some(format!(
        "{} saved record{} could not be read back and {} left as {} (the first, {key}: {reason}).",
        unreadable.len(),
        if unreadable.len() == 1 { "" } else { "s" },
        if unreadable.len() == 1 { "is" } else { "are" },
        if unreadable.len() == 1 {
            "it was"
        } else {
            "they were"
        },
    ))
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

    fn stored(id: u32) -> StoredRun {
        StoredRun {
            created_ms: 1.7e12,
            run: run(id),
        }
    }

    #[test]
    fn a_record_survives_its_text() {
        let s = stored(3);
        assert_eq!(decode::<StoredRun>(&encode(&s).unwrap()).unwrap(), s);
        let search = SearchView::new(4, TunerConfig::seed_004(), "cpu".into(), 0.0);
        assert_eq!(
            decode::<SearchView>(&encode(&search).unwrap()).unwrap(),
            search
        );
        assert!(decode::<StoredRun>(r#"{"run": 3}"#).is_err());
    }

    #[test]
    fn a_reload_marks_what_ran_as_interrupted_and_keeps_its_curves() {
        let mut done = run(1);
        done.status = RunStatus::Finished(lab_spec::StopReason::Completed);
        let done = after_reload(done);
        let running = after_reload(run(2));
        assert!(done.restored && running.restored);
        assert!(matches!(done.status, RunStatus::Finished(_)));
        assert!(
            matches!(&running.status, RunStatus::Failed(m) if m.contains("interrupted by a page reload after epoch 0"))
        );
        assert_eq!(running.batch_losses, vec![(0.1, 2.0)]);
        let search = search_after_reload(SearchView::new(
            3,
            TunerConfig::seed_004(),
            "cpu".into(),
            0.0,
        ));
        assert!(matches!(&search.status, SearchStatus::Failed(m) if m.contains("after 0 trials")));
    }

    #[test]
    fn a_run_with_nan_and_infinite_values_is_restored_as_it_was() {
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
        r.epochs = vec![logs];
        let text = encode(&StoredRun {
            created_ms: 0.0,
            run: r,
        })
        .unwrap();
        assert!(text.contains(r#""loss":"NaN""#), "{text}");
        let back = after_reload(decode::<StoredRun>(&text).unwrap().run);
        assert!(back.epochs[0].loss.is_nan() && back.epochs[0].val_loss.is_some_and(f64::is_nan));
        assert!(back.batch_losses[1].1.is_nan());
        assert_eq!(back.batch_losses[2], (1.5, f64::INFINITY));
        assert_eq!(back.nan_loss, Some((1, 7)));
    }

    /// The record of tests/e2e/fixtures/earlier-build-run.json: a run that diverged, as serde_json
    /// writes it (what every earlier build stored). The end-to-end test puts that text in the
    /// browser's IndexedDB: the page, which reads and writes JSON through the browser
    /// (`crate::json`), must list it and write it back as the same JSON value.
    fn earlier_builds_run() -> StoredRun {
        let mut r = run(7);
        r.status = RunStatus::Finished(lab_spec::StopReason::TerminatedOnNan);
        r.total_epochs = 5;
        r.batches_per_epoch = 4;
        r.batch_losses = vec![(0.25, 2.3), (1.0, 1.5), (1.75, f64::NAN)];
        let epoch = |epoch, loss, val: Option<f64>| lab_spec::EpochLogs {
            epoch,
            loss,
            accuracy: 0.5,
            val_loss: val,
            val_accuracy: val.map(|_| 0.25),
            lr: 0.001,
            regularization_loss: 0.0,
            seconds: 1.5,
        };
        r.epochs = vec![epoch(1, 1.5, Some(1.25)), epoch(2, f64::INFINITY, None)];
        r.rename();
        StoredRun {
            created_ms: 1_767_225_600_000.0,
            run: r,
        }
    }

    #[test]
    fn the_fixture_is_what_serde_json_writes() {
        let fixture = include_str!("../../tests/e2e/fixtures/earlier-build-run.json");
        let written = encode(&earlier_builds_run()).unwrap();
        assert_eq!(fixture.trim_end(), written);
        assert!(written.contains(r#""loss":"Infinity""#), "{written}");
        let back = decode::<StoredRun>(fixture).unwrap();
        assert!(back.run.batch_losses[2].1.is_nan());
        assert_eq!(back.run.epochs[1].val_loss, None);
    }

    #[test]
    fn an_old_tab_session_is_read_once_and_an_unreadable_one_is_refused() {
        // What an earlier build saved for a NaN loss (null).
        let mut value = serde_json::to_value(LegacySession {
            runs: vec![run(2)],
            search: None,
        })
        .unwrap();
        value["runs"][0]["batch_losses"] = serde_json::json!([[0.5, null]]);
        let back = parse_legacy(Some(&value.to_string())).unwrap();
        assert!(back.runs[0].batch_losses[0].1.is_nan());
        assert_eq!(parse_legacy(None), Ok(LegacySession::default()));
        assert!(parse_legacy(Some(r#"{"runs": 3}"#)).is_err());
    }

    #[test]
    fn only_changed_runs_are_written_and_removed_ones_deleted() {
        let stored: BTreeMap<u32, String> = [
            (1, "a".to_string()),
            (2, "b".to_string()),
            (3, "c".to_string()),
        ]
        .into();
        let now = [
            (1, "a".to_string()),
            (3, "c2".to_string()),
            (4, "d".to_string()),
        ];
        assert_eq!(
            changes(&stored, &now),
            Changes {
                put: vec![3, 4],
                delete: vec![2]
            }
        );
        assert_eq!(changes(&stored, &[]).delete, vec![1, 2, 3], "clear all");
        let same: Vec<(u32, String)> = stored.clone().into_iter().collect();
        assert_eq!(changes(&stored, &same), Changes::default());
    }

    #[test]
    fn the_signature_ignores_batch_progress_but_not_a_new_name() {
        let mut a = run(1);
        let before = run_signature(&a);
        a.batch_losses.push((0.2, 1.0));
        assert_eq!(run_signature(&a), before);
        a.label = "my best".into();
        assert_ne!(run_signature(&a), before);
        let renamed = run_signature(&a);
        a.status = RunStatus::Failed("x".into());
        assert_ne!(run_signature(&a), renamed);
        assert_eq!(search_signature(None), "");
    }

    #[test]
    fn stored_runs_give_way_to_live_ones_and_ids_continue_after_the_largest() {
        // Two runs started in this page before the stored ones were read (ids 1 and 2).
        let live = [run(1), run(2)];
        let mut restored = Restored {
            runs: vec![stored(2), stored(5), stored(1)],
            search: None,
            pinned: Some(1),
            ..Restored::default()
        };
        let changed = merge(&mut restored, &live);
        assert_eq!(changed, vec![(2, 6), (1, 7)]);
        let ids: Vec<u32> = restored.runs.iter().map(|s| s.run.id).collect();
        assert_eq!(ids, [6, 5, 7]);
        assert_eq!(restored.pinned, Some(7), "the pin follows its run");
        let all: Vec<RunView> = restored
            .runs
            .iter()
            .map(|s| s.run.clone())
            .chain(live.clone())
            .collect();
        assert_eq!(next_id(&all, None, 1), 8);
        let search = SearchView::new(12, TunerConfig::seed_004(), "cpu".into(), 0.0);
        assert_eq!(next_id(&all, Some(&search), 1), 13);
        assert_eq!(next_id(&[], None, 4), 4, "never backwards");
        // Nothing live: nothing changes.
        let mut alone = Restored {
            runs: vec![stored(3), stored(9)],
            ..Restored::default()
        };
        assert!(merge(&mut alone, &[]).is_empty());
        // A record that could not be read keeps its id: a renumbered run goes past it.
        let mut beside = Restored {
            runs: vec![stored(1)],
            unreadable_ids: vec![4],
            ..Restored::default()
        };
        assert_eq!(merge(&mut beside, &[run(1)]), vec![(1, 5)]);
        // Two incoming runs with one id (an old tab's run beside a stored one).
        let mut twins = [stored(4), stored(4)];
        assert_eq!(renumber(&BTreeSet::new(), &mut twins), vec![(4, 5)]);
    }

    #[test]
    fn the_pin_is_stored_as_text() {
        assert_eq!(parse_pin(&pin_text(Some(12))), Some(12));
        assert_eq!(parse_pin(&pin_text(None)), None);
    }

    #[test]
    fn a_failed_write_says_why_and_that_nothing_stored_is_lost() {
        let full = save_failed_message("QuotaExceededError", "The quota has been exceeded.");
        assert_eq!(
            full,
            "Your newest changes could not be saved in this browser (the browser's storage for this site is full): the runs are still here and the ones saved before are kept, but a reload would lose the newest changes. Deleting runs you no longer need in My runs makes room."
        );
        assert_eq!(save_failed_message("NS_ERROR_DOM_QUOTA_REACHED", ""), full);
        assert_eq!(save_failed_message("Error", "Quota exceeded"), full);
        let denied =
            save_failed_message("InvalidStateError", "The database connection is closing.");
        assert!(
            denied.contains("(InvalidStateError: The database connection is closing.)"),
            "{denied}"
        );
        assert!(unavailable_message("no IndexedDB").contains("a reload loses them"));
        assert_eq!(unreadable_message(&[]), None);
        let one = unreadable_message(&[("run 3".into(), "expected value".into())]).unwrap();
        assert_eq!(
            one,
            "1 saved record could not be read back and is left as it was (the first, run 3: expected value)."
        );
    }
}
