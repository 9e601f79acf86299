//! Exercise progress, the chosen metric and the data set last worked on, kept in the browser's
//! localStorage (a link's `dataset=` wins over the stored one).

use std::collections::BTreeSet;

use gloo_storage::{LocalStorage, Storage};
use lab_spec::DatasetKind;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

const KEY: &str = "tuning-lab.progress.v1";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub done: BTreeSet<u8>,
    pub metric: String,
    /// Fashion-MNIST in progress saved before IMDB came.
    #[serde(default)]
    pub dataset: DatasetKind,
}

#[derive(Clone, Copy)]
pub struct Progress {
    pub done: RwSignal<BTreeSet<u8>>,
    pub metric: RwSignal<String>,
    pub dataset: RwSignal<DatasetKind>,
}

impl Progress {
    pub fn load() -> Self {
        // Missing, unreadable or from an older shape: start afresh.
        let saved: Saved = LocalStorage::get(KEY).unwrap_or_default();
        let metric = if saved.metric.is_empty() {
            "accuracy".to_string()
        } else {
            saved.metric
        };
        let p = Progress {
            done: RwSignal::new(saved.done),
            metric: RwSignal::new(metric),
            dataset: RwSignal::new(saved.dataset),
        };
        Effect::new(move |_| {
            let saved = Saved {
                done: p.done.get(),
                metric: p.metric.get(),
                dataset: p.dataset.get(),
            };
            // Storage can be full or disabled; progress then lasts as long as the tab.
            let _ = LocalStorage::set(KEY, &saved);
        });
        p
    }

    pub fn complete(&self, step: u8) {
        if !self.done.with_untracked(|d| d.contains(&step)) {
            self.done.update(|d| {
                d.insert(step);
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
        let saved = Saved {
            dataset: DatasetKind::Imdb,
            ..old
        };
        let json = serde_json::to_string(&saved).unwrap();
        assert!(json.contains(r#""dataset":"imdb""#), "{json}");
        assert_eq!(serde_json::from_str::<Saved>(&json).unwrap(), saved);
    }
}
