//! `#/bench`: times training in this browser (used by `cargo xtask bench`); not in the
//! navigation.

use lab_spec::worker::BenchModel;
use leptos::prelude::*;

use crate::trainer::pending::waits_for;
use crate::trainer::{DataState, Trainer};

/// The benchmarks, in order: (model, batch size, steps). One at a time: the worker refuses a
/// second run while one is in progress.
pub const PLAN: [(BenchModel, usize, usize); 3] = [
    (BenchModel::Mlp, 128, 30),
    (BenchModel::Mlp, 512, 20),
    (BenchModel::Cnn, 128, 3),
];

/// What the page says while the benchmarks wait, run or end: `done` of them are back.
pub fn status(data: &DataState, backend_ready: bool, done: usize, error: Option<&str>) -> String {
    if let Some(e) = error {
        return format!("The benchmark stopped: {e}");
    }
    match data {
        DataState::Failed(_) => {
            "The benchmark cannot run: the data could not be loaded (see above).".into()
        }
        DataState::Ready(_) if backend_ready => match done {
            n if n < PLAN.len() => format!("Running benchmark {} of {}…", n + 1, PLAN.len()),
            _ => "All benchmarks done.".into(),
        },
        _ => format!("The benchmark starts when {}.", waits_for(data)),
    }
}

#[component]
pub fn Bench(trainer: Trainer) -> impl IntoView {
    let sent = StoredValue::new(0usize);
    // Sends the next benchmark once the data and backend are ready and the previous one is back
    // (none after one failed).
    Effect::new(move |_| {
        let ready = trainer.data.with(|d| matches!(d, DataState::Ready(_)))
            && trainer.backend.with(Option::is_some)
            && trainer.bench_error.with(Option::is_none);
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
            .filter_map(|b| crate::json::to_string(b).ok())
            .collect::<Vec<_>>()
            .join("\n")
    };
    view! {
        <article>
            <h2>"Benchmark"</h2>
            <p>"Training samples per second in this browser, after a warm-up: the MLP 784-256-128-10 at batch 128 and 512, and the small CNN."</p>
            <p class="note" data-testid="bench-status">{move || {
                let backend_ready = trainer.backend.with(Option::is_some);
                let done = trainer.bench.with(Vec::len);
                let error = trainer.bench_error.get();
                trainer.data.with(|d| status(d, backend_ready, done, error.as_deref()))
            }}</p>
            <pre data-testid="bench-results" data-count=move || trainer.bench.get().len()>{lines}</pre>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_says_what_the_benchmark_waits_for_and_how_far_it_is() {
        let loading = DataState::Loading {
            loaded: 1_000_000,
            total: 4_000_000,
        };
        assert_eq!(
            status(&loading, true, 0, None),
            "The benchmark starts when the data is ready (1.0 / 4.0 MB loaded)."
        );
        let failed = DataState::Failed("truncated".into());
        assert!(status(&failed, true, 0, None).contains("cannot run"));
        let ready = DataState::Ready(lab_spec::worker::DataSummary {
            train_counts: vec![10; 10],
            test_counts: vec![10; 10],
            naive_baseline_accuracy: 0.1,
            samples: vec![],
            from_cache: true,
            source: "files you picked".into(),
        });
        assert_eq!(
            status(&ready, false, 0, None),
            "The benchmark starts when the training backend is ready."
        );
        assert_eq!(status(&ready, true, 1, None), "Running benchmark 2 of 3…");
        assert_eq!(status(&ready, true, 3, None), "All benchmarks done.");
        assert_eq!(
            status(&ready, true, 1, Some("out of memory")),
            "The benchmark stopped: out of memory"
        );
    }
}
