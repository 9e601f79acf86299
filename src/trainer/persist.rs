//! The runs that survive: at the start, the runs stored in IndexedDB (and, once, a session an
//! earlier build kept in this tab's sessionStorage) come back into the trainer; from then on
//! every change of a run's record ([`stored_runs::run_signature`]), of the search and of the
//! pin is written, one record per write. Rename, delete, pin and clear all are the trainer's
//! methods here. What is decided is plain code in [`stored_runs`]; the browser calls are in
//! [`super::run_db`].
//!
//! The runs' weights too ([`stored_weights`]): when a run finishes with test-set results (or
//! weights are loaded as a run), its final weights and best checkpoint are asked from the worker
//! and stored beside its record, in a transaction of their own; deleting the run deletes them.
//! Once the data is loaded (after a reload, in a new tab, with a fresh worker after a crash),
//! the stored runs the worker does not hold are given back to it one after the other, newest
//! first (`Request::RestoreRun`): no new run is made, and their checkpoint, downloads,
//! predictions and drill-downs work again.

use std::collections::BTreeMap;
use std::rc::Rc;

use gloo_storage::{SessionStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;

use std::collections::BTreeSet;

use lab_spec::dataset::DatasetKind;
use lab_spec::worker::{CheckpointFile, Request, WhichWeights};

use super::run_db::{DbError, PIN_KEY, RunDb, SEARCH_KEY};
use super::stored_runs::{
    self, LEGACY_SESSION_KEY, StoredRun, after_reload, changes, encode, pin_text, run_signature,
    save_failed_message, search_after_reload, search_signature,
};
use super::stored_weights::{self, Fetch, Limits, RunWeights};
use super::{DataState, RunView, Trainer, unsendable};

/// What the page shows of the stored runs beside the runs themselves.
#[derive(Clone, Copy)]
pub struct Saved {
    /// When each run was first stored (ms since 1970).
    pub dates: ReadSignal<BTreeMap<u32, f64>>,
    /// The run drawn in every training step's chart as the baseline.
    pub pinned: ReadSignal<Option<u32>>,
    /// The stored runs have been read (or could not be).
    pub loaded: ReadSignal<bool>,
    /// The runs' stored weights.
    pub weights: Weights,
    set_dates: WriteSignal<BTreeMap<u32, f64>>,
    set_pinned: WriteSignal<Option<u32>>,
    set_loaded: WriteSignal<bool>,
}

impl Saved {
    pub fn new() -> Saved {
        let (dates, set_dates) = signal(BTreeMap::new());
        let (pinned, set_pinned) = signal(None);
        let (loaded, set_loaded) = signal(false);
        Saved {
            dates,
            pinned,
            loaded,
            weights: Weights::new(),
            set_dates,
            set_pinned,
            set_loaded,
        }
    }
}

/// The runs' weights in the browser's storage: what is stored, what is on its way from the
/// worker, the run being given back to the worker.
#[derive(Clone, Copy)]
pub struct Weights {
    /// The runs whose weights are stored, with their sizes.
    pub stored: ReadSignal<BTreeMap<u32, RunWeights>>,
    /// The runs that could not be given back to the worker, with why.
    pub failed: ReadSignal<BTreeMap<u32, String>>,
    set_stored: WriteSignal<BTreeMap<u32, RunWeights>>,
    set_failed: WriteSignal<BTreeMap<u32, String>>,
    /// The runs whose weights were asked from the worker in this page (each once, unless
    /// their write failed).
    asked: StoredValue<BTreeSet<u32>>,
    /// The runs whose weights the browser refused to store: asked again after the next write
    /// that works (there is room again).
    unsaved: StoredValue<BTreeSet<u32>>,
    fetching: StoredValue<BTreeMap<u32, Fetch>>,
    /// The run being given back to the worker.
    restoring: StoredValue<Option<u32>>,
    /// Counts the workers (a fresh one after a crash): a restore read for an earlier one is
    /// not sent to the next.
    generation: StoredValue<u64>,
    db: StoredValue<Option<Rc<RunDb>>, LocalStorage>,
    failures: StoredValue<Option<Failures>>,
}

impl Weights {
    fn new() -> Weights {
        let (stored, set_stored) = signal(BTreeMap::new());
        let (failed, set_failed) = signal(BTreeMap::new());
        Weights {
            stored,
            failed,
            set_stored,
            set_failed,
            asked: StoredValue::new(BTreeSet::new()),
            unsaved: StoredValue::new(BTreeSet::new()),
            fetching: StoredValue::new(BTreeMap::new()),
            restoring: StoredValue::new(None),
            generation: StoredValue::new(0),
            db: StoredValue::new_local(None),
            failures: StoredValue::new(None),
        }
    }

    fn say(&self, record: String, message: Option<String>) {
        if let Some(f) = self.failures.get_value() {
            f.say(record, message);
        }
    }
}

impl Default for Saved {
    fn default() -> Self {
        Saved::new()
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Why writes failed, per record ("run 3", "search", "pin"): the page shows the first until
/// that record is written or gone.
#[derive(Clone, Copy)]
struct Failures {
    failed: StoredValue<BTreeMap<String, String>>,
    shown: WriteSignal<Option<String>>,
}

impl Failures {
    fn report(&self, record: String, outcome: Result<(), DbError>) {
        let message = outcome
            .err()
            .map(|e| save_failed_message(&e.name, &e.message));
        self.say(record, message);
    }

    /// Shows `message` for `record` (`None`: that record is written or gone).
    fn say(&self, record: String, message: Option<String>) {
        if let Some(m) = &message {
            web_sys::console::warn_1(&format!("{record}: {m}").into());
        }
        self.failed.update_value(|f| {
            match message {
                Some(m) => f.insert(record, m),
                None => f.remove(&record),
            };
        });
        let first = self.failed.with_value(|f| f.values().next().cloned());
        self.shown.set(first);
    }
}

/// Reads the stored runs into `trainer` (after any it started meanwhile, whose ids they give
/// way to), then keeps them stored. `restore_error` says why nothing can be kept or what
/// could not be read; `save_error`, why the newest change could not be written.
pub fn start(
    trainer: Trainer,
    restore_error: WriteSignal<Option<String>>,
    save_error: WriteSignal<Option<String>>,
) {
    // The effects that keep the runs belong to the page, as the trainer's signals do.
    let owner = Owner::current();
    spawn_local(async move {
        let db = match RunDb::open().await {
            Ok(db) => Rc::new(db),
            Err(e) => return unavailable(trainer, restore_error, &e),
        };
        let mut restored = match db.read().await {
            Ok(r) => r,
            Err(e) => return unavailable(trainer, restore_error, &e),
        };
        let mut messages: Vec<String> = stored_runs::unreadable_message(&restored.unreadable)
            .into_iter()
            .collect();
        // Signatures of the records as stored: what is not in here (or differs) is written.
        let mut stored: BTreeMap<u32, String> = BTreeMap::new();
        let runs: Vec<StoredRun> = std::mem::take(&mut restored.runs)
            .into_iter()
            .map(|s| StoredRun {
                created_ms: s.created_ms,
                run: after_reload(s.run),
            })
            .collect();
        for s in &runs {
            stored.insert(s.run.id, run_signature(&s.run));
        }
        restored.runs = runs;
        if let Some(m) = migrate(&db, &mut restored, &mut stored).await {
            messages.push(m);
        }
        let live = trainer.runs.get_untracked();
        let mut renumbered = Vec::new();
        for (old, _) in stored_runs::merge(&mut restored, &live) {
            // Renumbered: its record under the old id is replaced by the live run's.
            stored.remove(&old);
            renumbered.push(old);
        }
        // The weights of the runs read back (or left unreadable, as they are); those of a run
        // that has no record, or was renumbered, go.
        let keep_weights_of: BTreeSet<u32> = restored
            .runs
            .iter()
            .map(|s| s.run.id)
            .filter(|id| !renumbered.contains(id))
            .chain(restored.unreadable_ids.iter().copied())
            .collect();
        read_weights(&db, trainer.saved.weights, &keep_weights_of, &renumbered).await;
        let saved = trainer.saved;
        saved.set_dates.set(
            restored
                .runs
                .iter()
                .map(|s| (s.run.id, s.created_ms))
                .collect(),
        );
        saved.set_pinned.set(restored.pinned);
        let search = trainer
            .search
            .get_untracked()
            .or_else(|| restored.search.map(search_after_reload));
        let search_stored = search_signature(search.as_ref());
        let all: Vec<RunView> = restored
            .runs
            .into_iter()
            .map(|s| s.run)
            .chain(live)
            .collect();
        let unreadable_next = restored.unreadable_ids.iter().max().map_or(1, |m| m + 1);
        let next = stored_runs::next_id(
            &all,
            search.as_ref(),
            trainer.next_id.get_value().max(unreadable_next),
        );
        trainer.next_id.set_value(next);
        trainer.set.runs.set(all);
        trainer.set.search.set(search);
        if !messages.is_empty() {
            restore_error.set(Some(messages.join(" ")));
        }
        saved.set_loaded.set(true);
        let failures = Failures {
            failed: StoredValue::new(BTreeMap::new()),
            shown: save_error,
        };
        trainer.saved.weights.failures.set_value(Some(failures));
        trainer.saved.weights.db.set_value(Some(db.clone()));
        let keeping = move || keep(trainer, db, stored, search_stored, failures);
        match owner {
            Some(owner) => owner.with(keeping),
            None => keeping(),
        }
    });
}

/// Reads which weights are stored (their sizes): those of the runs in `keep` are known from now
/// on, the rest (a run without a record, a renumbered one, a checkpoint without its final
/// weights) are deleted. Weights that cannot be read are not used (the runs still are).
async fn read_weights(db: &RunDb, weights: Weights, keep: &BTreeSet<u32>, renumbered: &[u32]) {
    let sizes = match db.weight_sizes().await {
        Ok(s) => s,
        Err(e) => {
            let m = format!(
                "the stored weights could not be read: {}: {}",
                e.name, e.message
            );
            web_sys::console::warn_1(&m.into());
            return;
        }
    };
    let (mut index, mut stray) = stored_weights::index(&sizes);
    let gone: Vec<u32> = index
        .keys()
        .filter(|id| !keep.contains(id) || renumbered.contains(id))
        .copied()
        .collect();
    for id in gone {
        index.remove(&id);
        stray.extend([WhichWeights::Final, WhichWeights::Best].map(|w| stored_weights::key(id, w)));
    }
    if !stray.is_empty()
        && let Err(e) = db.delete_weights(&stray).await
    {
        let m = format!(
            "stray weights could not be deleted: {}: {}",
            e.name, e.message
        );
        web_sys::console::warn_1(&m.into());
    }
    weights.set_stored.set(index);
}

/// Nothing can be kept: the page says why and works without.
fn unavailable(trainer: Trainer, restore_error: WriteSignal<Option<String>>, e: &DbError) {
    let message = stored_runs::unavailable_message(&format!("{}: {}", e.name, e.message));
    web_sys::console::warn_1(&message.as_str().into());
    restore_error.set(Some(message));
    trainer.saved.set_loaded.set(true);
}

/// Moves the runs an earlier build kept in this tab's sessionStorage into the database (read
/// once; removed once every one of them is stored). Returns what the learner should read if
/// they could not be read.
async fn migrate(
    db: &RunDb,
    restored: &mut stored_runs::Restored,
    stored: &mut BTreeMap<u32, String>,
) -> Option<String> {
    let text = SessionStorage::raw()
        .get_item(LEGACY_SESSION_KEY)
        .ok()
        .flatten()?;
    let legacy = match super::decoding::legacy_session(text).await {
        Ok(l) => l,
        Err(reason) => {
            return Some(format!(
                "The runs an earlier version kept in this tab could not be read ({reason}); they are left in sessionStorage under \"{LEGACY_SESSION_KEY}\"."
            ));
        }
    };
    let created_ms = now();
    let mut incoming: Vec<StoredRun> = legacy
        .runs
        .into_iter()
        .map(|run| StoredRun {
            created_ms,
            run: after_reload(run),
        })
        .collect();
    let taken = restored
        .runs
        .iter()
        .map(|s| s.run.id)
        .chain(restored.unreadable_ids.iter().copied())
        .collect();
    stored_runs::renumber(&taken, &mut incoming);
    let mut all_stored = true;
    for s in &incoming {
        match db.put_run(s).await {
            Ok(()) => {
                stored.insert(s.run.id, run_signature(&s.run));
            }
            Err(_) => all_stored = false,
        }
    }
    if restored.search.is_none()
        && let Some(search) = legacy.search
    {
        let search = search_after_reload(search);
        let written = match encode(&search) {
            Ok(t) => db.put_meta(SEARCH_KEY, Some(&t)).await.is_ok(),
            Err(_) => false,
        };
        all_stored &= written;
        restored.search = Some(search);
    }
    restored.runs.extend(incoming);
    if all_stored {
        SessionStorage::delete(LEGACY_SESSION_KEY);
    }
    None
}

/// Writes each change from now on: a run whose signature changed is put, a run no longer on
/// the page is deleted, the search and the pin are put when they change.
fn keep(
    trainer: Trainer,
    db: Rc<RunDb>,
    stored: BTreeMap<u32, String>,
    search_stored: String,
    failures: Failures,
) {
    let db = StoredValue::new_local(db);
    let stored = StoredValue::new(stored);
    let signatures = Memo::new(move |_| {
        trainer.runs.with(|rs| {
            rs.iter()
                .map(|r| (r.id, run_signature(r)))
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |_| {
        let now_sigs = signatures.get();
        let todo = stored.with_value(|m| changes(m, &now_sigs));
        if todo.put.is_empty() && todo.delete.is_empty() {
            return;
        }
        stored.update_value(|m| {
            for (id, sig) in now_sigs.iter().filter(|(id, _)| todo.put.contains(id)) {
                m.insert(*id, sig.clone());
            }
            for id in &todo.delete {
                m.remove(id);
            }
        });
        let created = now();
        trainer.saved.set_dates.update(|d| {
            for id in &todo.put {
                d.entry(*id).or_insert(created);
            }
            for id in &todo.delete {
                d.remove(id);
            }
        });
        let dates = trainer.saved.dates.get_untracked();
        let records: Vec<StoredRun> = trainer.runs.with_untracked(|rs| {
            rs.iter()
                .filter(|r| todo.put.contains(&r.id))
                .map(|r| StoredRun {
                    created_ms: dates.get(&r.id).copied().unwrap_or(created),
                    run: r.clone(),
                })
                .collect()
        });
        let db = db.get_value();
        spawn_local(async move {
            for s in records {
                let id = s.run.id;
                let outcome = db.put_run(&s).await;
                if outcome.is_err() {
                    // Not stored: written again with the next change.
                    stored.update_value(|m| {
                        m.remove(&id);
                    });
                } else {
                    retry_unsaved_weights(trainer);
                }
                failures.report(format!("run {id}"), outcome);
            }
            for id in todo.delete {
                let outcome = db.delete_run(id).await;
                failures.report(format!("run {id}"), outcome);
                forget_weights(&db, trainer.saved.weights, id).await;
            }
        });
    });
    keep_weights(trainer);
    let search_signature_now =
        Memo::new(move |_| trainer.search.with(|s| search_signature(s.as_ref())));
    let last_search = StoredValue::new(search_stored);
    Effect::new(move |_| {
        let sig = search_signature_now.get();
        if last_search.with_value(|l| *l == sig) {
            return;
        }
        last_search.set_value(sig);
        let text = trainer
            .search
            .with_untracked(|s| s.as_ref().map(encode).transpose());
        let db = db.get_value();
        spawn_local(async move {
            let outcome = match text {
                Ok(text) => db.put_meta(SEARCH_KEY, text.as_deref()).await,
                Err(message) => Err(DbError {
                    name: "the search could not be written".into(),
                    message,
                }),
            };
            if outcome.is_err() {
                last_search.set_value(String::new());
            }
            failures.report("the search".into(), outcome);
        });
    });
    let pinned = trainer.saved.pinned;
    Effect::new(move |previous: Option<Option<u32>>| {
        let pin = pinned.get();
        if previous.is_some_and(|p| p != pin) {
            let db = db.get_value();
            spawn_local(async move {
                let outcome = db.put_meta(PIN_KEY, Some(&pin_text(pin))).await;
                failures.report("the pin".into(), outcome);
            });
        }
        pin
    });
}

/// Deletes run `id`'s weights (the run is gone): stored, or still on their way.
async fn forget_weights(db: &RunDb, weights: Weights, id: u32) {
    weights.fetching.update_value(|f| {
        f.remove(&id);
    });
    weights.unsaved.update_value(|u| {
        u.remove(&id);
    });
    let mut message = None;
    if weights.stored.with_untracked(|s| s.contains_key(&id)) {
        match db.delete_run_weights(id).await {
            Ok(()) => weights.set_stored.update(|s| {
                s.remove(&id);
            }),
            Err(e) => message = Some(save_failed_message(&e.name, &e.message)),
        }
    }
    weights.say(format!("weights of run {id}"), message);
}

/// From now on: asks the worker for the weights of each run that finishes with results, and
/// gives the stored runs back to the worker once the data is loaded.
fn keep_weights(trainer: Trainer) {
    let weights = trainer.saved.weights;
    let finished = Memo::new(move |_| {
        trainer.runs.with(|rs| {
            rs.iter()
                .filter(|r| stored_weights::worth_storing(r))
                .map(|r| r.id)
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |_| {
        // Read, not only tracked: a memo nobody reads is never computed, so it would never
        // hear of the runs changing.
        finished.with(|_| ());
        fetch_new_weights(trainer);
    });
    // A run is given back once the worker holds its data set: Fashion-MNIST's runs once the
    // images are loaded, IMDB's once the reviews are (when IMDB is chosen, even after a reload
    // on Fashion-MNIST). The chosen data set's state and IMDB's are followed.
    let data_ready = Memo::new(move |_| {
        let ready = |d: &DataState| matches!(d, DataState::Ready(_));
        (
            trainer.dataset.get(),
            trainer.data.with(ready),
            trainer.text.with(|t| t.data.as_ref().is_some_and(ready)),
        )
    });
    // The worker that holds the runs: a fresh one (after a crash) holds none, and what was
    // being given back went with the old one.
    Effect::new(move |_| {
        data_ready.with(|_| ()); // a memo that is only track()ed is never computed
        if trainer.backend.with(Option::is_some) {
            restore_next(trainer);
        } else if let Some(run) = weights.restoring.get_value() {
            weights.restoring.set_value(None);
            weights.generation.update_value(|g| *g += 1);
            restore_failed(
                weights,
                run,
                "the training worker stopped while it was being given back".into(),
            );
        }
    });
}

/// Asks the worker for the weights of the runs that finished with results and are neither
/// stored nor asked for.
fn fetch_new_weights(trainer: Trainer) {
    let weights = trainer.saved.weights;
    let todo = trainer.runs.with_untracked(|rs| {
        weights.stored.with_untracked(|stored| {
            weights.asked.with_value(|asked| {
                stored_weights::to_fetch(rs, |id| asked.contains(&id) || stored.contains_key(&id))
            })
        })
    });
    for (run, best) in todo {
        fetch_weights(trainer, run, best);
    }
}

/// A write worked, so there may be room again: the weights the browser refused are asked for
/// and stored again.
fn retry_unsaved_weights(trainer: Trainer) {
    let weights = trainer.saved.weights;
    let again = weights
        .unsaved
        .try_update_value(std::mem::take)
        .unwrap_or_default();
    if again.is_empty() {
        return;
    }
    weights
        .asked
        .update_value(|a| a.retain(|id| !again.contains(id)));
    fetch_new_weights(trainer);
}

/// Asks the worker for run `run`'s final weights (and its best checkpoint with `best`).
fn fetch_weights(trainer: Trainer, run: u32, best: bool) {
    let weights = trainer.saved.weights;
    weights.asked.update_value(|a| {
        a.insert(run);
    });
    weights.fetching.update_value(|f| {
        f.insert(run, Fetch::new(best));
    });
    let asks = [
        Some(WhichWeights::Final),
        best.then_some(WhichWeights::Best),
    ];
    for which in asks.into_iter().flatten() {
        if let Err(e) = trainer.send(&Request::Weights { run, which }) {
            web_sys::console::warn_1(&format!("the weights of run {run}: {e}").into());
            weights.fetching.update_value(|f| {
                f.remove(&run);
            });
            return;
        }
    }
}

/// The worker answered a request for run `run`'s `which` weights (`None`: it has none): once
/// everything asked for has come, the weights are stored.
pub(super) fn weights_arrived(
    trainer: Trainer,
    run: u32,
    which: WhichWeights,
    bytes: Option<&[u8]>,
) {
    let weights = trainer.saved.weights;
    let done = weights
        .fetching
        .try_update_value(|f| {
            let fetch = f.get_mut(&run)?;
            fetch.arrived(which, bytes.map(<[u8]>::to_vec));
            if fetch.done() { f.remove(&run) } else { None }
        })
        .flatten();
    let Some(fetch) = done else { return };
    let Some(final_weights) = fetch.final_weights.filter(|_| !fetch.failed) else {
        // The worker no longer has them: nothing more can be stored (nor said) of them.
        weights.say(format!("weights of run {run}"), None);
        return;
    };
    let best = fetch.best.flatten();
    spawn_local(async move { store_weights(trainer, run, final_weights, best).await });
}

/// Stores run `run`'s weights, then deletes the oldest ones beyond the limits (only once the
/// new ones are stored: a full storage loses nothing already stored).
async fn store_weights(trainer: Trainer, run: u32, final_weights: Vec<u8>, best: Option<Vec<u8>>) {
    let weights = trainer.saved.weights;
    let Some(db) = weights.db.get_value() else {
        return;
    };
    let exists = |run| {
        trainer
            .runs
            .with_untracked(|rs| rs.iter().any(|r| r.id == run))
    };
    if !exists(run) {
        return;
    }
    let sizes = RunWeights {
        final_bytes: final_weights.len(),
        best_bytes: best.as_ref().map(Vec::len),
    };
    let plan = weights
        .stored
        .with_untracked(|s| stored_weights::plan(s, run, sizes.bytes(), Limits::LAB));
    if !plan.write {
        return;
    }
    let record = format!("weights of run {run}");
    if let Err(e) = db.put_weights(run, &final_weights, best.as_deref()).await {
        let message = stored_weights::weights_not_saved_message(run, &e.name, &e.message);
        weights.say(record, Some(message));
        weights.unsaved.update_value(|u| {
            u.insert(run);
        });
        return;
    }
    weights.say(record, None);
    weights.set_stored.update(|s| {
        s.insert(run, sizes);
    });
    // Deleted while it was written: it goes too.
    let gone = plan.delete.into_iter().chain((!exists(run)).then_some(run));
    for old in gone {
        if db.delete_run_weights(old).await.is_ok() {
            weights.set_stored.update(|s| {
                s.remove(&old);
            });
        }
    }
}

/// Gives the next stored run the worker does not hold back to it (one at a time, newest first),
/// once the data and the backend are ready.
fn restore_next(trainer: Trainer) {
    let weights = trainer.saved.weights;
    if weights.restoring.get_value().is_some() {
        return;
    }
    let alive = trainer.backend.with_untracked(Option::is_some);
    let Some(db) = weights.db.get_value().filter(|_| alive) else {
        return;
    };
    let next = trainer.runs.with_untracked(|rs| {
        // The runs of a data set the worker does not hold yet wait for it (not failed).
        let waiting: BTreeSet<u32> = rs
            .iter()
            .filter(|r| !holds_data(trainer, r.config.dataset))
            .map(|r| r.id)
            .collect();
        weights.stored.with_untracked(|s| {
            weights.failed.with_untracked(|f| {
                stored_weights::to_restore(rs, s, |id| f.contains_key(&id) || waiting.contains(&id))
            })
        })
    });
    let Some(&run) = next.first() else { return };
    weights.restoring.set_value(Some(run));
    let generation = weights.generation.get_value();
    spawn_local(async move {
        let read = db.get_weights(run).await;
        if weights.generation.get_value() != generation {
            // A fresh worker: it starts over.
            return;
        }
        let run_view = trainer.runs.with_untracked(|rs| {
            rs.iter()
                .find(|r| r.id == run && r.restored)
                .map(|r| (r.config.clone(), stored_weights::checkpoint_of(r)))
        });
        let Some((config, checkpoint)) = run_view else {
            // Deleted (or given back) meanwhile.
            return restore_done(trainer, run, None);
        };
        let (final_weights, best) = match read {
            Ok((Some(f), best)) => (f, best),
            Ok((None, _)) => {
                return restore_done(
                    trainer,
                    run,
                    Some("its weights are no longer stored".into()),
                );
            }
            Err(e) => {
                return restore_done(trainer, run, Some(format!("{}: {}", e.name, e.message)));
            }
        };
        let checkpoint = best
            .zip(checkpoint)
            .map(|(bytes, (epoch, monitor, value))| CheckpointFile {
                epoch,
                monitor,
                value,
                bytes: serde_bytes::ByteBuf::from(bytes),
            });
        let request = Request::RestoreRun {
            run,
            config,
            final_weights: serde_bytes::ByteBuf::from(final_weights),
            checkpoint,
        };
        if let Err(e) = trainer.send(&request) {
            restore_done(trainer, run, Some(unsendable(e)));
        }
    });
}

/// Whether the worker holds the data of `dataset` (loaded, whichever data set is chosen).
fn holds_data(trainer: Trainer, dataset: DatasetKind) -> bool {
    let ready = |d: &DataState| matches!(d, DataState::Ready(_));
    match dataset {
        DatasetKind::FashionMnist => trainer.fashion.with_value(ready),
        DatasetKind::Imdb => trainer
            .text
            .with_untracked(|t| t.data.as_ref().is_some_and(ready)),
    }
}

/// Run `run` was given back to the worker (`failed`: why it could not be): the next one is.
pub(super) fn restore_done(trainer: Trainer, run: u32, failed: Option<String>) {
    let weights = trainer.saved.weights;
    if weights.restoring.get_value() == Some(run) {
        weights.restoring.set_value(None);
    }
    if let Some(why) = failed {
        restore_failed(weights, run, why);
    }
    restore_next(trainer);
}

fn restore_failed(weights: Weights, run: u32, why: String) {
    web_sys::console::warn_1(&format!("run {run} could not be given back: {why}").into());
    weights.set_failed.update(|f| {
        f.insert(run, why);
    });
}

impl Trainer {
    /// What run `run` says in place of its downloads, predictions and drill-downs when the
    /// worker does not hold its weights (after a reload, until they are given back, or when
    /// they were not kept); `None` when it does (tracked).
    pub fn without_weights(&self, run: u32) -> Option<String> {
        let restored = self
            .runs
            .with(|rs| rs.iter().any(|r| r.id == run && r.restored));
        if !restored {
            return None;
        }
        let weights = self.saved.weights;
        let failed = weights.failed.with(|f| f.get(&run).cloned());
        let stored = weights.stored.with(|s| s.contains_key(&run));
        Some(stored_weights::without_weights_text(
            stored && failed.is_none(),
            failed.as_deref(),
        ))
    }

    /// Gives run `id` the learner's `name` (kept as typed, trimmed; an empty name is refused).
    pub fn rename_run(&self, id: u32, name: &str) -> Result<(), String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("a run's name cannot be empty".into());
        }
        self.update_run(id, |r| r.label = name.to_string());
        Ok(())
    }

    /// Deletes run `id` from the page and the browser's storage (not while it trains).
    pub fn delete_run(&self, id: u32) {
        self.set
            .runs
            .update(|rs| rs.retain(|r| r.id != id || r.is_running()));
        if self.saved.pinned.get_untracked() == Some(id) {
            self.saved.set_pinned.set(None);
        }
    }

    /// Deletes every run and the search, except what is training now.
    pub fn clear_runs(&self) {
        self.set.runs.update(|rs| rs.retain(RunView::is_running));
        if self
            .search
            .with_untracked(|s| s.as_ref().is_some_and(|s| !s.is_running()))
        {
            self.set.search.set(None);
        }
        self.saved.set_pinned.set(None);
    }

    /// Pins run `id` as the baseline drawn in every training step's chart (`None` unpins).
    pub fn pin(&self, id: Option<u32>) {
        self.saved.set_pinned.set(id);
    }
}
