//! The learner's runs in IndexedDB, through the `idb` crate: one database per origin, so the
//! runs are there after a reload, in a new tab and after a browser restart. Two object
//! stores: `runs` (one record per run, keyed by its id, a [`StoredRun`] as JSON text) and
//! `meta` (the search under `"search"`, the pinned baseline under `"pin"`). Each write is one
//! record in a transaction of its own, so a refused write (a full storage) loses only that
//! change. What is stored and when is decided in [`super::stored_runs`]; this file only
//! talks to the browser.

use idb::builder::{DatabaseBuilder, ObjectStoreBuilder};
use idb::{Database, ObjectStore, TransactionMode, TransactionResult};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbTransaction;

use super::stored_runs::{Restored, StoredRun, decode, encode, parse_pin};

const NAME: &str = "tuning-lab";
const VERSION: u32 = 1;
const RUNS: &str = "runs";
const META: &str = "meta";
pub const SEARCH_KEY: &str = "search";
pub const PIN_KEY: &str = "pin";

/// Why the browser refused: its error's `name` (`QuotaExceededError`, ...) and `message`.
#[derive(Clone, Debug, PartialEq)]
pub struct DbError {
    pub name: String,
    pub message: String,
}

impl DbError {
    fn from_dom(e: &web_sys::DomException) -> DbError {
        DbError {
            name: e.name(),
            message: e.message(),
        }
    }
}

impl From<idb::Error> for DbError {
    fn from(e: idb::Error) -> DbError {
        use idb::Error as E;
        // The browser's exception, where the call threw one (`put` on a full storage can).
        let thrown = match &e {
            E::DomException(d) => Some(d.clone()),
            E::UpdateFailed(v)
            | E::AddFailed(v)
            | E::DeleteFailed(v)
            | E::GetFailed(v)
            | E::GetAllFailed(v)
            | E::GetAllKeysFailed(v)
            | E::TransactionOpenFailed(v)
            | E::IndexedDbOpenFailed(v) => v.dyn_ref::<web_sys::DomException>().cloned(),
            _ => None,
        };
        thrown.map_or_else(
            || DbError {
                name: "IndexedDB".into(),
                message: e.to_string(),
            },
            |d| DbError::from_dom(&d),
        )
    }
}

/// An open connection to the lab's database.
pub struct RunDb {
    db: Database,
}

impl RunDb {
    /// Opens the database, creating its stores the first time.
    pub async fn open() -> Result<RunDb, DbError> {
        let db = DatabaseBuilder::new(NAME)
            .version(VERSION)
            .add_object_store(ObjectStoreBuilder::new(RUNS))
            .add_object_store(ObjectStoreBuilder::new(META))
            .build()
            .await?;
        Ok(RunDb { db })
    }

    /// Every stored run (oldest id first), the search and the pin; a record that cannot be
    /// read is named in `unreadable` and left as it is.
    pub async fn read(&self) -> Result<Restored, DbError> {
        let tx = self
            .db
            .transaction(&[RUNS, META], TransactionMode::ReadOnly)?;
        let runs = tx.object_store(RUNS)?;
        let meta = tx.object_store(META)?;
        let keys = runs.get_all_keys(None, None)?;
        let values = runs.get_all(None, None)?;
        let search = meta.get(JsValue::from_str(SEARCH_KEY))?;
        let pin = meta.get(JsValue::from_str(PIN_KEY))?;
        let (keys, values) = (keys.await?, values.await?);
        let (search, pin) = (search.await?, pin.await?);
        let mut restored = Restored::default();
        for (key, value) in keys.iter().zip(values) {
            let name = format!("run {}", key.as_f64().unwrap_or(f64::NAN));
            match value
                .as_string()
                .ok_or("not text".to_string())
                .and_then(|t| decode::<StoredRun>(&t))
            {
                Ok(s) => restored.runs.push(s),
                Err(reason) => {
                    restored.unreadable.push((name, reason));
                    // Keys are run ids (u32), stored as numbers.
                    if let Some(id) = key
                        .as_f64()
                        .filter(|k| k.fract() == 0.0 && *k >= 0.0 && *k <= f64::from(u32::MAX))
                    {
                        restored.unreadable_ids.push(id as u32);
                    }
                }
            }
        }
        if let Some(text) = search.and_then(|s| s.as_string()) {
            match decode(&text) {
                Ok(s) => restored.search = Some(s),
                Err(reason) => restored.unreadable.push(("the search".into(), reason)),
            }
        }
        restored.pinned = pin.and_then(|p| p.as_string()).and_then(|p| parse_pin(&p));
        Ok(restored)
    }

    /// Stores `run` under its id, replacing its earlier record.
    pub async fn put_run(&self, run: &StoredRun) -> Result<(), DbError> {
        let text = encode(run).map_err(|message| DbError {
            name: "the run could not be written".into(),
            message,
        })?;
        let key = JsValue::from(run.run.id);
        self.write(RUNS, |s| {
            s.put(&JsValue::from_str(&text), Some(&key)).map(drop)
        })
        .await
    }

    pub async fn delete_run(&self, id: u32) -> Result<(), DbError> {
        self.write(RUNS, |s| s.delete(JsValue::from(id)).map(drop))
            .await
    }

    /// Stores `text` under `key` in `meta`, or deletes the record for `None`.
    pub async fn put_meta(&self, key: &str, text: Option<&str>) -> Result<(), DbError> {
        let key = JsValue::from_str(key);
        self.write(META, |s| match text {
            Some(t) => s.put(&JsValue::from_str(t), Some(&key)).map(drop),
            None => s.delete(key.clone()).map(drop),
        })
        .await
    }

    /// One read-write transaction on `store` with the requests `ask` places, waited for until
    /// it commits. A transaction the browser aborts (a full storage aborts at commit) says why.
    async fn write(
        &self,
        store: &str,
        ask: impl FnOnce(&ObjectStore) -> Result<(), idb::Error>,
    ) -> Result<(), DbError> {
        let tx = self.db.transaction(&[store], TransactionMode::ReadWrite)?;
        ask(&tx.object_store(store)?)?;
        let raw: IdbTransaction = tx.into();
        let outcome = idb::Transaction::from(raw.clone()).await;
        let refused = |fallback: DbError| raw.error().map_or(fallback, |e| DbError::from_dom(&e));
        match outcome {
            Ok(TransactionResult::Committed) => Ok(()),
            Ok(TransactionResult::Aborted) => Err(refused(DbError {
                name: "AbortError".into(),
                message: "the browser aborted the write".into(),
            })),
            Err(e) => Err(refused(e.into())),
        }
    }
}
