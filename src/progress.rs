//! Exercise progress (per data set), the chosen metric and the data set last worked on, kept in
//! the browser's localStorage (a link's `dataset=` wins over the stored one).

use std::collections::BTreeSet;

use gloo_storage::{LocalStorage, Storage};
use lab_spec::DatasetKind;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

const KEY: &str = "tuning-lab.progress.v1";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    /// The steps done on Fashion-MNIST (progress saved before IMDB came is Fashion-MNIST's).
    pub done: BTreeSet<u8>,
    /// The steps done on IMDB.
    #[serde(default)]
    pub imdb_done: BTreeSet<u8>,
    pub metric: String,
    /// Fashion-MNIST in progress saved before IMDB came.
    #[serde(default)]
    pub dataset: DatasetKind,
}

/// The steps done, one set per data set: an exercise passed on one is not passed on the other.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Done {
    pub fashion_mnist: BTreeSet<u8>,
    pub imdb: BTreeSet<u8>,
}

impl Done {
    pub fn of(&self, dataset: DatasetKind) -> &BTreeSet<u8> {
        match dataset {
            DatasetKind::FashionMnist => &self.fashion_mnist,
            DatasetKind::Imdb => &self.imdb,
        }
    }

    pub fn of_mut(&mut self, dataset: DatasetKind) -> &mut BTreeSet<u8> {
        match dataset {
            DatasetKind::FashionMnist => &mut self.fashion_mnist,
            DatasetKind::Imdb => &mut self.imdb,
        }
    }

    pub fn contains(&self, dataset: DatasetKind, step: u8) -> bool {
        self.of(dataset).contains(&step)
    }
}

impl Saved {
    pub fn done(&self) -> Done {
        Done {
            fashion_mnist: self.done.clone(),
            imdb: self.imdb_done.clone(),
        }
    }
}

#[derive(Clone, Copy)]
pub struct Progress {
    pub done: RwSignal<Done>,
    pub metric: RwSignal<String>,
    pub dataset: RwSignal<DatasetKind>,
}

impl Progress {
    pub fn load() -> Self {
        // Missing, unreadable or from an older shape: start afresh.
        let saved: Saved = LocalStorage::raw()
            .get_item(KEY)
            .ok()
            .flatten()
            .and_then(|text| crate::json::from_str(&text).ok())
            .unwrap_or_default();
        let metric = if saved.metric.is_empty() {
            "accuracy".to_string()
        } else {
            saved.metric.clone()
        };
        let p = Progress {
            done: RwSignal::new(saved.done()),
            metric: RwSignal::new(metric),
            dataset: RwSignal::new(saved.dataset),
        };
        Effect::new(move |_| {
            let done = p.done.get();
            let saved = Saved {
                done: done.fashion_mnist,
                imdb_done: done.imdb,
                metric: p.metric.get(),
                dataset: p.dataset.get(),
            };
            // Storage can be full or disabled; progress then lasts as long as the tab.
            if let Ok(text) = crate::json::to_string(&saved) {
                let _ = LocalStorage::raw().set_item(KEY, &text);
            }
        });
        p
    }

    /// Marks `step` done on `dataset`.
    pub fn complete(&self, dataset: DatasetKind, step: u8) {
        if !self.done.with_untracked(|d| d.contains(dataset, step)) {
            self.done.update(|d| {
                d.of_mut(dataset).insert(step);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_saved_before_imdb_reads_as_fashion_mnist() {
        let old: Saved = serde_json::from_str(r#"{"done":[5],"metric":"accuracy"}"#).unwrap();
        assert_eq!(old.dataset, DatasetKind::FashionMnist);
        assert!(old.done().contains(DatasetKind::FashionMnist, 5));
        assert!(!old.done().contains(DatasetKind::Imdb, 5));
        let saved = Saved {
            dataset: DatasetKind::Imdb,
            ..old
        };
        let json = serde_json::to_string(&saved).unwrap();
        assert!(json.contains(r#""dataset":"imdb""#), "{json}");
        assert_eq!(serde_json::from_str::<Saved>(&json).unwrap(), saved);
    }

    #[test]
    fn each_data_set_keeps_its_own_steps_done() {
        let mut done = Done::default();
        done.of_mut(DatasetKind::FashionMnist).insert(5);
        done.of_mut(DatasetKind::Imdb).insert(6);
        assert!(done.contains(DatasetKind::FashionMnist, 5));
        assert!(!done.contains(DatasetKind::Imdb, 5));
        assert!(done.contains(DatasetKind::Imdb, 6));
        assert!(!done.contains(DatasetKind::FashionMnist, 6));
        let saved = Saved {
            done: done.fashion_mnist.clone(),
            imdb_done: done.imdb.clone(),
            metric: "accuracy".into(),
            dataset: DatasetKind::Imdb,
        };
        let json = serde_json::to_string(&saved).unwrap();
        assert_eq!(serde_json::from_str::<Saved>(&json).unwrap().done(), done);
    }
}
