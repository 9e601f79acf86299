//! `#/bench`: times training in this browser (used by `cargo xtask bench`); not in the
//! navigation.

use lab_spec::worker::BenchModel;
use leptos::prelude::*;

use crate::trainer::{DataState, Trainer};

/// The benchmarks, in order: (model, batch size, steps). One at a time: the worker refuses a
/// second run while one is in progress.
pub const PLAN: [(BenchModel, usize, usize); 3] = [
    (BenchModel::Mlp, 128, 30),
    (BenchModel::Mlp, 512, 20),
    (BenchModel::Cnn, 128, 3),
];

#[component]
pub fn Bench(trainer: Trainer) -> impl IntoView {
    let sent = StoredValue::new(0usize);
    // Sends the next benchmark once the data and backend are ready and the previous one is back.
    Effect::new(move |_| {
        let ready =
            matches!(trainer.data.get(), DataState::Ready(_)) && trainer.backend.get().is_some();
        let done = trainer.bench.with(Vec::len);
        let next = sent.get_value();
        if ready && next == done && next < PLAN.len() {
            let (model, batch, steps) = PLAN[next];
            sent.set_value(next + 1);
            trainer.bench(model, batch, steps);
        }
    });
    let lines = move || {
        trainer
            .bench
            .get()
            .iter()
            .filter_map(|b| serde_json::to_string(b).ok())
            .collect::<Vec<_>>()
            .join("\n")
    };
    view! {
        <article>
            <h2>"Benchmark"</h2>
            <p>"Training samples per second in this browser, after a warm-up: the MLP 784-256-128-10 at batch 128 and 512, and the small CNN."</p>
            <pre data-testid="bench-results" data-count=move || trainer.bench.get().len()>{lines}</pre>
        </article>
    }
}
