//! The WebGPU warm-up: while the learner reads, the worker trains the lab's starting dense
//! shapes on synthetic data so that the kernels are compiled before the first real epoch. A
//! request for real work cancels it and waits for its current batch to end.

use burn::tensor::Device;
use lab_engine::data::Split;
use lab_engine::training::fit;
use lab_spec::{ModelSpec, TrainingConfig};
use web_time::Instant;

use super::backend::run_options;
use super::console::{info, warn};
use super::sink::{EventSink, Route, yield_to_event_loop};
use super::state::Flag;

/// The warm-up's state: `running` while the kernels compile; a request for real work raises
/// `cancel`, and the warm-up ends after its current batch.
#[derive(Default)]
pub struct WarmUp {
    pub running: Flag,
    pub cancel: Flag,
}

/// The warm-up's runs: one epoch of each dense shape the lab starts with (the baseline at
/// batch 32, the 256-128 MLP at 512), on two batches of synthetic data.
#[cfg_attr(not(feature = "webgpu-worker"), allow(dead_code))]
fn warm_up_runs() -> Vec<(TrainingConfig, Split)> {
    [
        (ModelSpec::baseline(), 32),
        (ModelSpec::mlp(&[256, 128]), 512),
    ]
    .into_iter()
    .map(|(spec, batch)| {
        let mut config = TrainingConfig::new(spec);
        config.batch_size = batch;
        config.epochs = 1;
        config.validation_split = 0.0;
        let n = 2 * batch;
        let split = Split::images(
            vec![0.5; n * lab_data::PIXELS],
            (0..n).map(|i| (i % 10) as u8).collect(),
        );
        (config, split)
    })
    .collect()
}

/// Compiles the WebGPU kernels of the lab's dense models (forward, backward, Adam, validation)
/// on synthetic data while the learner reads, so that the first real epoch does not wait for
/// shader compilation. A request for real work cancels it (see [`settle_warm_up`]).
#[cfg_attr(not(feature = "webgpu-worker"), allow(dead_code))]
pub async fn warm_up(device: Device, warm_up: &WarmUp) {
    warm_up.running.raise();
    warm_up.cancel.lower();
    let started = Instant::now();
    let options = run_options(true);
    for (config, split) in warm_up_runs() {
        if warm_up.cancel.is_raised() {
            break;
        }
        let mut quiet = EventSink::new(Route::Nowhere, warm_up.cancel.clone());
        let trained = fit(
            &config,
            &split,
            Some(&split),
            &device.clone().autodiff(),
            &mut quiet,
            &options,
        )
        .await;
        if let Err(e) = trained {
            warn(&format!("WebGPU warm-up failed: {e}"));
            break;
        }
    }
    warm_up.running.lower();
    info(&format!(
        "WebGPU warm-up {} after {:.1} s",
        if warm_up.cancel.is_raised() {
            "cut short"
        } else {
            "done"
        },
        started.elapsed().as_secs_f64()
    ));
}

/// Ends the WebGPU warm-up, if one runs, before real work starts on the device.
pub async fn settle_warm_up(warm_up: &WarmUp) {
    if !warm_up.running.is_raised() {
        return;
    }
    warm_up.cancel.raise();
    while warm_up.running.is_raised() {
        yield_to_event_loop().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::backend::wants_flex;

    #[test]
    fn the_warm_up_covers_the_dense_starting_shapes() {
        let runs = warm_up_runs();
        assert_eq!(runs.len(), 2);
        for (config, split) in &runs {
            assert_eq!(split.len(), 2 * config.batch_size);
            assert_eq!(
                split.x.dense().map(<[f32]>::len),
                Some(split.len() * lab_data::PIXELS)
            );
            assert_eq!((config.epochs, config.validation_split), (1, 0.0));
            assert!(!wants_flex(&config.model));
        }
    }

    #[test]
    fn settling_without_a_warm_up_returns_at_once() {
        let warm_up = WarmUp::default();
        futures::executor::block_on(settle_warm_up(&warm_up));
        assert!(!warm_up.cancel.is_raised());
    }
}
