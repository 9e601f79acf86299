//! The runs that survive: at the start, the runs stored in IndexedDB (and, once, a session an
//! earlier build kept in this tab's sessionStorage) come back into the trainer; from then on
//! every change of a run's record ([`stored_runs::run_signature`]), of the search and of the
//! pin is written, one record per write. Rename, delete, pin and clear all are the trainer's
//! methods here. What is decided is plain code in [`stored_runs`]; the browser calls are in
//! [`super::run_db`].

use std::collections::BTreeMap;
use std::rc::Rc;

use gloo_storage::{SessionStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::run_db::{DbError, PIN_KEY, RunDb, SEARCH_KEY};
use super::stored_runs::{
    self, LEGACY_SESSION_KEY, StoredRun, after_reload, changes, encode, parse_legacy, pin_text,
    run_signature, save_failed_message, search_after_reload, search_signature,
};
use super::{RunView, Trainer};

/// What the page shows of the stored runs beside the runs themselves.
#[derive(Clone, Copy)]
pub struct Saved {
    /// When each run was first stored (ms since 1970).
    pub dates: ReadSignal<BTreeMap<u32, f64>>,
    /// The run drawn in every training step's chart as the baseline.
    pub pinned: ReadSignal<Option<u32>>,
    /// The stored runs have been read (or could not be).
    pub loaded: ReadSignal<bool>,
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
            set_dates,
            set_pinned,
            set_loaded,
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
        for (old, _) in stored_runs::merge(&mut restored, &live) {
            // Renumbered: its record under the old id is replaced by the live run's.
            stored.remove(&old);
        }
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
        let keeping = move || keep(trainer, db, stored, search_stored, failures);
        match owner {
            Some(owner) => owner.with(keeping),
            None => keeping(),
        }
    });
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
    let legacy = match parse_legacy(Some(&text)) {
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
                }
                failures.report(format!("run {id}"), outcome);
            }
            for id in todo.delete {
                let outcome = db.delete_run(id).await;
                failures.report(format!("run {id}"), outcome);
            }
        });
    });
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

impl Trainer {
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
