//! Exercise progress and the chosen metric, kept in the browser's localStorage.

use std::collections::BTreeSet;

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

const KEY: &str = "tuning-lab.progress.v1";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub done: BTreeSet<u8>,
    pub metric: String,
}

#[derive(Clone, Copy)]
pub struct Progress {
    pub done: RwSignal<BTreeSet<u8>>,
    pub metric: RwSignal<String>,
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
        };
        Effect::new(move |_| {
            let saved = Saved {
                done: p.done.get(),
                metric: p.metric.get(),
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
