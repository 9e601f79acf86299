//! The learner's runs in IndexedDB, through the `idb` crate: one database per origin, so the
//! runs are there after a reload, in a new tab and after a browser restart. Four object
//! stores: `runs` (one record per run, keyed by its id, a [`StoredRun`] as JSON text),
//! `meta` (the search under `"search"`, the pinned baseline under `"pin"`), `weights` (a run's
//! final weights and best checkpoint as safetensors bytes, keyed `"12/final"`, `"12/best"`) and
//! `weight_sizes` (the bytes of each, under the same key, so that what is kept can be weighed
//! without reading the files). Each write is one record — or one run's weights with their sizes
//! — in a transaction of its own, so a refused write (a full storage) loses only that change.
//! Version 2 added the two weights stores; an older database keeps its runs and meta. What is
//! stored and when is decided in [`super::stored_runs`] and [`super::stored_weights`]; this
//! file only talks to the browser.

use idb::builder::{DatabaseBuilder, ObjectStoreBuilder};
use idb::{Database, TransactionMode, TransactionResult};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbTransaction;

use lab_spec::worker::WhichWeights;

use super::decoding;
use super::stored_runs::{Restored, StoredRun, encode, parse_pin};
use super::stored_weights::key as weights_key;

const NAME: &str = "tuning-lab";
/// 1: runs and meta; 2: the weights stores too.
const VERSION: u32 = 2;
const RUNS: &str = "runs";
const META: &str = "meta";
const WEIGHTS: &str = "weights";
const WEIGHT_SIZES: &str = "weight_sizes";
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
    /// Opens the database, creating its missing stores (all the first time, the weights stores
    /// in a database of version 1; the stores there are kept with their records).
    pub async fn open() -> Result<RunDb, DbError> {
        let db = DatabaseBuilder::new(NAME)
            .version(VERSION)
            .add_object_store(ObjectStoreBuilder::new(RUNS))
            .add_object_store(ObjectStoreBuilder::new(META))
            .add_object_store(ObjectStoreBuilder::new(WEIGHTS))
            .add_object_store(ObjectStoreBuilder::new(WEIGHT_SIZES))
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
            let decoded = match value.as_string() {
                Some(text) => decoding::stored_run(text).await,
                None => Err("not text".to_string()),
            };
            match decoded {
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
            match decoding::search(text).await {
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
        self.write(&[RUNS], |tx| {
            tx.object_store(RUNS)?
                .put(&JsValue::from_str(&text), Some(&key))
                .map(drop)
        })
        .await
    }

    pub async fn delete_run(&self, id: u32) -> Result<(), DbError> {
        self.write(&[RUNS], |tx| {
            tx.object_store(RUNS)?.delete(JsValue::from(id)).map(drop)
        })
        .await
    }

    /// The size of every stored weights file: (its key, its bytes).
    pub async fn weight_sizes(&self) -> Result<Vec<(String, f64)>, DbError> {
        let tx = self
            .db
            .transaction(&[WEIGHT_SIZES], TransactionMode::ReadOnly)?;
        let sizes = tx.object_store(WEIGHT_SIZES)?;
        let keys = sizes.get_all_keys(None, None)?;
        let values = sizes.get_all(None, None)?;
        let (keys, values) = (keys.await?, values.await?);
        Ok(keys
            .iter()
            .zip(values)
            .map(|(k, v)| {
                (
                    k.as_string().unwrap_or_default(),
                    v.as_f64().unwrap_or(f64::NAN),
                )
            })
            .collect())
    }

    /// Stores run `run`'s final weights and best checkpoint (removing a best checkpoint stored
    /// before when there is none now), with their sizes, in one transaction: all or nothing.
    pub async fn put_weights(
        &self,
        run: u32,
        final_weights: &[u8],
        best: Option<&[u8]>,
    ) -> Result<(), DbError> {
        self.write(&[WEIGHTS, WEIGHT_SIZES], |tx| {
            let files = tx.object_store(WEIGHTS)?;
            let sizes = tx.object_store(WEIGHT_SIZES)?;
            for (which, bytes) in [
                (WhichWeights::Final, Some(final_weights)),
                (WhichWeights::Best, best),
            ] {
                let key = JsValue::from_str(&weights_key(run, which));
                match bytes {
                    Some(b) => {
                        let value = js_sys::Uint8Array::from(b);
                        files.put(&value, Some(&key))?;
                        sizes.put(&JsValue::from(b.len() as f64), Some(&key))?;
                    }
                    None => {
                        files.delete(key.clone())?;
                        sizes.delete(key)?;
                    }
                }
            }
            Ok(())
        })
        .await
    }

    /// Run `run`'s stored final weights and best checkpoint (`None` where nothing is stored).
    pub async fn get_weights(
        &self,
        run: u32,
    ) -> Result<(Option<Vec<u8>>, Option<Vec<u8>>), DbError> {
        let tx = self.db.transaction(&[WEIGHTS], TransactionMode::ReadOnly)?;
        let files = tx.object_store(WEIGHTS)?;
        let final_weights = files.get(JsValue::from_str(&weights_key(run, WhichWeights::Final)))?;
        let best = files.get(JsValue::from_str(&weights_key(run, WhichWeights::Best)))?;
        let (final_weights, best) = (final_weights.await?, best.await?);
        let bytes = |v: Option<JsValue>| {
            v.and_then(|v| v.dyn_into::<js_sys::Uint8Array>().ok())
                .map(|a| a.to_vec())
        };
        Ok((bytes(final_weights), bytes(best)))
    }

    /// Deletes the weights files under `keys` with their sizes, in one transaction.
    pub async fn delete_weights(&self, keys: &[String]) -> Result<(), DbError> {
        self.write(&[WEIGHTS, WEIGHT_SIZES], |tx| {
            let files = tx.object_store(WEIGHTS)?;
            let sizes = tx.object_store(WEIGHT_SIZES)?;
            for k in keys {
                files.delete(JsValue::from_str(k))?;
                sizes.delete(JsValue::from_str(k))?;
            }
            Ok(())
        })
        .await
    }

    /// Deletes run `run`'s weights (final and best) with their sizes.
    pub async fn delete_run_weights(&self, run: u32) -> Result<(), DbError> {
        let keys = [WhichWeights::Final, WhichWeights::Best].map(|w| weights_key(run, w));
        self.delete_weights(&keys).await
    }

    /// Stores `text` under `key` in `meta`, or deletes the record for `None`.
    pub async fn put_meta(&self, key: &str, text: Option<&str>) -> Result<(), DbError> {
        let key = JsValue::from_str(key);
        self.write(&[META], |tx| {
            let s = tx.object_store(META)?;
            match text {
                Some(t) => s.put(&JsValue::from_str(t), Some(&key)).map(drop),
                None => s.delete(key.clone()).map(drop),
            }
        })
        .await
    }

    /// One read-write transaction on `stores` with the requests `ask` places, waited for until
    /// it commits. A transaction the browser aborts (a full storage aborts at commit) says why.
    async fn write(
        &self,
        stores: &[&str],
        ask: impl FnOnce(&idb::Transaction) -> Result<(), idb::Error>,
    ) -> Result<(), DbError> {
        let tx = self.db.transaction(stores, TransactionMode::ReadWrite)?;
        ask(&tx)?;
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
