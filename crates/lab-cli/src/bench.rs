//! `lab bench`: training throughput of the engine natively, one JSON object per line:
//! `{"where": "native", "backend", "model", "batch", "samples_per_s"}`.

use anyhow::Result;
use futures::executor::block_on;
use lab_engine::data::prepare;
use lab_engine::lab_spec::{ModelSpec, OptimizerConfig, TrainingConfig};
use lab_engine::training::{Recorder, RunOptions, fit};
use serde_json::json;
use web_time::Instant;

use crate::args::{Args, cpu_device};

pub fn run(args: &Args) -> Result<()> {
    args.check_known(&["backend", "steps", "data"])?;
    let steps: usize = args.parsed("steps")?.unwrap_or(40);
    let backends: Vec<String> = match args.get("backend") {
        Some(b) => vec![b.to_string()],
        None => vec!["flex".into(), "ndarray".into()],
    };
    let data = args.data()?;
    let cases = [
        ("mlp", ModelSpec::mlp(&[256, 128]), 128usize),
        ("mlp", ModelSpec::mlp(&[256, 128]), 512),
        ("cnn", ModelSpec::small_cnn(), 128),
    ];
    for backend in &backends {
        let device = cpu_device(backend)?;
        for (name, spec, batch) in &cases {
            let mut config = TrainingConfig::new(spec.clone());
            config.optimizer = OptimizerConfig::adam(0.001);
            config.batch_size = *batch;
            config.validation_split = 0.0;
            config.shuffle = true;
            let cnn_steps = if *name == "cnn" {
                steps.div_ceil(4)
            } else {
                steps
            };
            // One warm-up epoch of a few batches, then the timed epoch.
            config.subset = Some(batch * (cnn_steps + 2));
            let prepared = prepare(&data.train, &config);
            config.epochs = 1;
            let mut warm = config.clone();
            warm.subset = Some(batch * 2);
            let warm_data = prepare(&data.train, &warm);
            block_on(fit(
                &warm,
                &warm_data.train,
                None,
                &device.clone().autodiff(),
                &mut Recorder::default(),
                &RunOptions::default(),
            ))?;
            let started = Instant::now();
            block_on(fit(
                &config,
                &prepared.train,
                None,
                &device.clone().autodiff(),
                &mut Recorder::default(),
                &RunOptions::default(),
            ))?;
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{}",
                json!({
                    "where": "native",
                    "backend": backend,
                    "model": name,
                    "batch": batch,
                    "samples_per_s": (prepared.train.len() as f64 / seconds).round(),
                })
            );
        }
    }
    Ok(())
}
