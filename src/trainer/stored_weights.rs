//! What the browser keeps of the runs' weights, as plain data: when a run finishes (or weights
//! are loaded as a run), its final weights and its best checkpoint are asked from the worker
//! and stored beside the run's record, so that after a reload (or in a new tab) the run is
//! given back to the worker and "Use the best checkpoint", "Download weights", the predictions
//! grid and the confusion-matrix drill-down work without training it again. The life is the
//! worker's: the weights of the newest [`WEIGHTS_RUNS`] runs within [`WEIGHTS_BYTES`], the
//! newest run's always. The IndexedDB calls are in [`super::run_db`]; the glue in
//! [`super::persist`]; this file has no browser in it.

use std::collections::BTreeMap;

use lab_spec::CallbackAction;
use lab_spec::worker::WhichWeights;

use super::views::RunView;

/// A megabyte as the lab states sizes: 10^6 bytes.
pub const MB: usize = 1_000_000;
/// The most bytes of weights kept (final and best together, over all runs; the newest run's are
/// always kept), as in the worker.
pub const WEIGHTS_BYTES: usize = 256 * MB;
/// The most runs whose weights are kept, as in the worker.
pub const WEIGHTS_RUNS: usize = 20;

/// The key of a weights file in the `weights` store: `"12/final"`, `"12/best"`.
pub fn key(run: u32, which: WhichWeights) -> String {
    format!("{run}/{}", which_name(which))
}

fn which_name(which: WhichWeights) -> &'static str {
    match which {
        WhichWeights::Final => "final",
        WhichWeights::Best => "best",
    }
}

/// The run and the weights a key names; `None` for anything else.
pub fn parse_key(key: &str) -> Option<(u32, WhichWeights)> {
    let (run, which) = key.split_once('/')?;
    let which = match which {
        "final" => WhichWeights::Final,
        "best" => WhichWeights::Best,
        _ => return None,
    };
    Some((run.parse().ok()?, which))
}

/// What is stored of one run's weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunWeights {
    /// The bytes of the final weights (0: none).
    pub final_bytes: usize,
    /// The bytes of the best checkpoint, if one is stored.
    pub best_bytes: Option<usize>,
}

impl RunWeights {
    pub fn bytes(&self) -> usize {
        self.final_bytes + self.best_bytes.unwrap_or(0)
    }
}

/// The stored weights by run, from the sizes kept beside them (key → bytes). A run is usable
/// only with its final weights: a checkpoint alone (or a key that names nothing) is returned
/// among the keys to delete.
pub fn index(sizes: &[(String, f64)]) -> (BTreeMap<u32, RunWeights>, Vec<String>) {
    let mut runs: BTreeMap<u32, RunWeights> = BTreeMap::new();
    let mut stray = Vec::new();
    for (k, bytes) in sizes {
        let bytes = if bytes.is_finite() && *bytes >= 0.0 {
            *bytes as usize
        } else {
            0
        };
        match parse_key(k) {
            Some((run, WhichWeights::Final)) if bytes > 0 => {
                runs.entry(run).or_default().final_bytes = bytes
            }
            Some((run, WhichWeights::Best)) if bytes > 0 => {
                runs.entry(run).or_default().best_bytes = Some(bytes)
            }
            _ => stray.push(k.clone()),
        }
    }
    let orphans: Vec<u32> = runs
        .iter()
        .filter(|(_, w)| w.final_bytes == 0)
        .map(|(run, _)| *run)
        .collect();
    for run in orphans {
        runs.remove(&run);
        stray.push(key(run, WhichWeights::Best));
    }
    (runs, stray)
}

/// How much is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub bytes: usize,
    pub runs: usize,
}

impl Limits {
    /// What the lab keeps (the worker's limits).
    pub const LAB: Limits = Limits {
        bytes: WEIGHTS_BYTES,
        runs: WEIGHTS_RUNS,
    };
}

/// The runs whose weights go (`kept`: run → bytes; larger ids are newer): the newest runs are
/// kept as long as they fit in `limits` together, the newest always; every older one goes, as
/// the worker drops the oldest first.
pub fn to_delete(kept: &BTreeMap<u32, usize>, limits: Limits) -> Vec<u32> {
    let mut total = 0;
    let mut count = 0;
    let mut full = false;
    let mut gone = Vec::new();
    for (&run, &bytes) in kept.iter().rev() {
        let fits = count < limits.runs && total + bytes <= limits.bytes;
        if !full && (fits || count == 0) {
            total += bytes;
            count += 1;
        } else {
            full = true;
            gone.push(run);
        }
    }
    gone.reverse();
    gone
}

/// What storing run `run`'s weights (`bytes` in all) beside the `stored` ones does: whether
/// they are written (not when they are older than everything that fits), and which runs'
/// weights are deleted once they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub write: bool,
    pub delete: Vec<u32>,
}

pub fn plan(stored: &BTreeMap<u32, RunWeights>, run: u32, bytes: usize, limits: Limits) -> Plan {
    let mut sizes: BTreeMap<u32, usize> = stored.iter().map(|(r, w)| (*r, w.bytes())).collect();
    sizes.insert(run, bytes);
    let mut delete = to_delete(&sizes, limits);
    let write = !delete.contains(&run);
    delete.retain(|r| *r != run);
    Plan { write, delete }
}

/// The best checkpoint a run kept, as its callbacks said: the epoch, the monitored quantity and
/// its value of the last checkpoint ModelCheckpoint saved.
pub fn checkpoint_of(run: &RunView) -> Option<(usize, String, f64)> {
    run.actions.iter().rev().find_map(|a| match a {
        CallbackAction::CheckpointSaved {
            epoch,
            monitor,
            value,
        } => Some((*epoch, monitor.clone(), *value)),
        _ => None,
    })
}

/// Whether run `r`'s weights are in this page's worker now and should be stored: it finished
/// with test-set results (trained here, or weights loaded as a run) and was not restored.
pub fn worth_storing(r: &RunView) -> bool {
    !r.restored && !r.is_running() && r.report.is_some()
}

/// The runs to ask the worker's weights of (`known`: already stored or asked for), with
/// whether a best checkpoint is asked for too.
pub fn to_fetch(runs: &[RunView], known: impl Fn(u32) -> bool) -> Vec<(u32, bool)> {
    runs.iter()
        .filter(|r| worth_storing(r) && !known(r.id))
        .map(|r| (r.id, checkpoint_of(r).is_some()))
        .collect()
}

/// The runs to give back to the worker, newest first (the ones most likely used next), at most
/// [`WEIGHTS_RUNS`]: those the worker does not hold (restored after a reload or a crash) whose
/// weights are stored, except the ones that could not be given back.
pub fn to_restore(
    runs: &[RunView],
    stored: &BTreeMap<u32, RunWeights>,
    failed: impl Fn(u32) -> bool,
) -> Vec<u32> {
    let mut ids: Vec<u32> = runs
        .iter()
        .filter(|r| r.restored && r.report.is_some() && stored.contains_key(&r.id) && !failed(r.id))
        .map(|r| r.id)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.truncate(WEIGHTS_RUNS);
    ids
}

/// The weights of one run on their way from the worker: stored once the final weights and,
/// when one is asked for, the best checkpoint (or the word that there is none) have arrived.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fetch {
    pub final_weights: Option<Vec<u8>>,
    /// `None` while the best checkpoint is awaited; `Some(None)` when there is none.
    pub best: Option<Option<Vec<u8>>>,
    /// The final weights cannot be had: nothing is stored.
    pub failed: bool,
}

impl Fetch {
    /// A fetch of the final weights, and of the best checkpoint with `best`.
    pub fn new(best: bool) -> Fetch {
        Fetch {
            final_weights: None,
            best: (!best).then_some(None),
            failed: false,
        }
    }

    /// The file `which` has arrived (`Some`), or the worker said it has none (`None`).
    pub fn arrived(&mut self, which: WhichWeights, bytes: Option<Vec<u8>>) {
        match which {
            WhichWeights::Final => match bytes {
                Some(b) => self.final_weights = Some(b),
                None => self.failed = true,
            },
            WhichWeights::Best => self.best = Some(bytes),
        }
    }

    /// Everything asked for has been answered.
    pub fn done(&self) -> bool {
        self.failed || (self.final_weights.is_some() && self.best.is_some())
    }
}

/// What the learner reads when a run's weights could not be stored (the browser's error `name`
/// and `message`): the weights stored before are kept; this run works until a reload.
pub fn weights_not_saved_message(run: u32, name: &str, message: &str) -> String {
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
        "The weights of run {run} could not be saved in this browser ({why}): the run works until a reload, and the weights saved before are kept; after a reload its best checkpoint, downloads and predictions need it trained again. Deleting runs you no longer need in My runs makes room."
    )
}

/// What a run whose weights the worker does not hold says in place of its drill-downs (the
/// downloads, the predictions grid, a confusion-matrix cell's images): `coming_back` while its
/// stored weights are being given back, else why it has none (`failed`: why giving them back
/// did not work).
pub fn without_weights_text(coming_back: bool, failed: Option<&str>) -> String {
    match (coming_back, failed) {
        (true, _) => {
            "This run's weights are being brought back from this browser's storage…".to_string()
        }
        (false, Some(why)) => format!(
            "This run's weights could not be brought back from this browser's storage ({why}); train it again to use them."
        ),
        (false, None) => format!(
            "This run's weights were not kept in this browser (it keeps those of the newest {WEIGHTS_RUNS} runs, {} MB at most); train it again to use them.",
            WEIGHTS_BYTES / MB
        ),
    }
}

#[cfg(test)]
mod tests {
    use lab_spec::{ModelSpec, StopReason, TrainingConfig};

    use super::super::views::RunStatus;
    use super::*;

    fn finished(id: u32) -> RunView {
        let mut r = RunView::new(
            id,
            5,
            "baseline".into(),
            TrainingConfig::new(ModelSpec::baseline()),
            "cpu".into(),
            0.0,
        );
        r.status = RunStatus::Finished(StopReason::Completed);
        let avg = lab_spec::Averages {
            precision: 0.8,
            recall: 0.8,
            f1: 0.8,
            support: 10,
        };
        r.report = Some(lab_spec::ClassificationReport {
            accuracy: 0.8,
            loss: None,
            confusion_matrix: vec![],
            per_class: vec![],
            macro_avg: avg.clone(),
            weighted_avg: avg,
        });
        r
    }

    fn weights(final_bytes: usize, best_bytes: Option<usize>) -> RunWeights {
        RunWeights {
            final_bytes,
            best_bytes,
        }
    }

    #[test]
    fn keys_name_the_run_and_which_weights() {
        assert_eq!(key(12, WhichWeights::Final), "12/final");
        assert_eq!(key(12, WhichWeights::Best), "12/best");
        for which in [WhichWeights::Final, WhichWeights::Best] {
            assert_eq!(
                parse_key(&key(4_000_000_000, which)),
                Some((4_000_000_000, which))
            );
        }
        for bad in ["12", "12/other", "x/final", "-1/best", "", "/final"] {
            assert_eq!(parse_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_index_keeps_runs_with_final_weights_and_names_the_strays() {
        let sizes = [
            ("3/final".to_string(), 100.0),
            ("3/best".to_string(), 40.0),
            ("5/final".to_string(), 10.0),
            ("7/best".to_string(), 20.0),
            ("junk".to_string(), 1.0),
            ("8/final".to_string(), f64::NAN),
        ];
        let (runs, stray) = index(&sizes);
        assert_eq!(
            runs,
            BTreeMap::from([(3, weights(100, Some(40))), (5, weights(10, None))])
        );
        assert_eq!(runs[&3].bytes(), 140);
        assert_eq!(stray, ["junk", "8/final", "7/best"]);
    }

    #[test]
    fn the_newest_20_runs_within_256_mb_are_kept_as_in_the_worker() {
        assert_eq!(
            Limits::LAB,
            Limits {
                bytes: 256_000_000,
                runs: 20
            }
        );
        let many: BTreeMap<u32, usize> = (1..=22).map(|r| (r, 1)).collect();
        assert_eq!(to_delete(&many, Limits::LAB), [1, 2]);
        let limits = Limits {
            bytes: 100,
            runs: 10,
        };
        // Newest first: 9 (50) and 7 (40) fit; 5 (20) does not, so 5 and everything older go
        // (the worker drops the oldest first, never skipping one).
        let sizes = BTreeMap::from([(2, 1), (5, 20), (7, 40), (9, 50)]);
        assert_eq!(to_delete(&sizes, limits), [2, 5]);
        // The newest run is kept even alone over the budget.
        let big = BTreeMap::from([(1, 10), (4, 500)]);
        assert_eq!(to_delete(&big, limits), [1]);
        assert!(to_delete(&BTreeMap::new(), limits).is_empty());
    }

    #[test]
    fn a_new_runs_weights_are_written_first_then_older_ones_make_room() {
        let limits = Limits {
            bytes: 100,
            runs: 2,
        };
        let stored = BTreeMap::from([(1, weights(30, Some(10))), (2, weights(30, None))]);
        assert_eq!(
            plan(&stored, 3, 30, limits),
            Plan {
                write: true,
                delete: vec![1]
            }
        );
        // Stored again (a new tab's fetch of the same run) it replaces its own record.
        assert_eq!(
            plan(&stored, 2, 60, limits),
            Plan {
                write: true,
                delete: vec![]
            }
        );
        // A run older than everything that fits is not written.
        let full = BTreeMap::from([(5, weights(50, None)), (6, weights(50, None))]);
        assert_eq!(
            plan(&full, 4, 10, limits),
            Plan {
                write: false,
                delete: vec![]
            }
        );
        // The newest run alone over the budget: written, everything else goes.
        assert_eq!(
            plan(&full, 7, 300, limits),
            Plan {
                write: true,
                delete: vec![5, 6]
            }
        );
    }

    #[test]
    fn the_checkpoint_is_the_last_one_modelcheckpoint_saved() {
        let mut r = finished(1);
        assert_eq!(checkpoint_of(&r), None);
        r.actions = vec![
            CallbackAction::CheckpointSaved {
                epoch: 1,
                monitor: "val_loss".into(),
                value: 0.5,
            },
            CallbackAction::ReducedLearningRate {
                epoch: 2,
                from: 0.1,
                to: 0.01,
            },
            CallbackAction::CheckpointSaved {
                epoch: 3,
                monitor: "val_loss".into(),
                value: 0.4,
            },
            CallbackAction::EarlyStopped {
                epoch: 5,
                best_epoch: Some(3),
            },
        ];
        assert_eq!(checkpoint_of(&r), Some((3, "val_loss".into(), 0.4)));
    }

    #[test]
    fn finished_runs_of_this_worker_are_fetched_once_and_restored_ones_given_back() {
        let mut with_checkpoint = finished(2);
        with_checkpoint.actions = vec![CallbackAction::CheckpointSaved {
            epoch: 1,
            monitor: "val_loss".into(),
            value: 0.5,
        }];
        let mut running = finished(3);
        running.status = RunStatus::Running;
        let mut no_results = finished(4);
        no_results.report = None;
        let mut restored = finished(5);
        restored.restored = true;
        let runs = vec![finished(1), with_checkpoint, running, no_results, restored];
        assert_eq!(to_fetch(&runs, |_| false), [(1, false), (2, true)]);
        assert_eq!(to_fetch(&runs, |id| id == 1), [(2, true)]);

        let mut older = finished(1);
        older.restored = true;
        let mut unstored = finished(6);
        unstored.restored = true;
        let runs = vec![older, finished(2), runs[4].clone(), unstored];
        let stored = BTreeMap::from([
            (1, weights(1, None)),
            (2, weights(1, None)),
            (5, weights(1, Some(1))),
        ]);
        assert_eq!(to_restore(&runs, &stored, |_| false), [5, 1]);
        assert_eq!(to_restore(&runs, &stored, |id| id == 5), [1]);
        let many: Vec<RunView> = (1..=25)
            .map(|id| {
                let mut r = finished(id);
                r.restored = true;
                r
            })
            .collect();
        let all: BTreeMap<u32, RunWeights> = (1..=25).map(|id| (id, weights(1, None))).collect();
        let back = to_restore(&many, &all, |_| false);
        assert_eq!((back.len(), back[0], back[19]), (20, 25, 6));
    }

    #[test]
    fn a_fetch_is_done_when_everything_asked_for_has_been_answered() {
        let mut f = Fetch::new(true);
        assert!(!f.done());
        f.arrived(WhichWeights::Final, Some(vec![1]));
        assert!(!f.done());
        f.arrived(WhichWeights::Best, None);
        assert!(f.done());
        assert_eq!(f.best, Some(None));
        let mut f = Fetch::new(false);
        f.arrived(WhichWeights::Final, Some(vec![1]));
        assert!(f.done());
        let mut f = Fetch::new(true);
        f.arrived(WhichWeights::Final, None);
        assert!(f.done() && f.failed);
    }

    #[test]
    fn the_learner_reads_what_was_kept_and_what_to_do() {
        let full = weights_not_saved_message(3, "QuotaExceededError", "");
        assert!(
            full.starts_with(
                "The weights of run 3 could not be saved in this browser (the browser's storage for this site is full)"
            ),
            "{full}"
        );
        assert!(full.contains("the weights saved before are kept"));
        assert!(
            weights_not_saved_message(3, "AbortError", "aborted").contains("(AbortError: aborted)")
        );
        assert_eq!(
            without_weights_text(false, None),
            "This run's weights were not kept in this browser (it keeps those of the newest 20 runs, 256 MB at most); train it again to use them."
        );
        assert!(without_weights_text(true, Some("x")).contains("being brought back"));
        assert!(without_weights_text(false, Some("no data")).contains("(no data)"));
    }
}
