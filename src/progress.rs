//! Exercise progress and the chosen metric, kept in the browser's localStorage.

use std::collections::BTreeSet;

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

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

impl Progress {
    pub fn load() -> Self {
        let saved: Saved = storage()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
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
            if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(&saved)) {
                let _ = s.set_item(KEY, &json);
            }
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
