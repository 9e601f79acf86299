//! `lab bench`: training throughput of the engine natively, one JSON object per line:
//! `{"where": "native", "backend", "model", "batch", "samples_per_s"}`.
//! The IMDB line also gives `epoch_s`; `--model imdb-regularized` runs it alone.

use anyhow::Result;
use futures::executor::block_on;
use lab_engine::data::{Split, prepare};
use lab_engine::lab_spec::{ModelSpec, OptimizerConfig, TrainingConfig};
use lab_engine::training::{Recorder, RunOptions, fit};
use serde_json::json;
use web_time::Instant;

use burn::tensor::Device;

use crate::args::{Args, cpu_device};

pub fn run(args: &Args) -> Result<()> {
    args.check_known(&["backend", "steps", "data", "model"])?;
    let steps: usize = args.parsed("steps")?.unwrap_or(40);
    let backends: Vec<String> = match args.get("backend") {
        Some(b) => vec![b.to_string()],
        None => vec!["flex".into(), "ndarray".into()],
    };
    match args.get("model") {
        None => {}
        Some(IMDB_MODEL) => return imdb(&backends),
        Some(other) => anyhow::bail!("--model: unknown {other:?} (only {IMDB_MODEL} runs alone)"),
    }
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
            let device = device.clone().autodiff();
            let seconds = warm_then_time(
                &warm,
                &warm_data.train,
                &config,
                &prepared.train,
                None,
                &device,
            )?;
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
    imdb(&backends)
}

/// Trains `warm` on `warm_data` (the warm-up, untimed), then `config` on `train` (validated
/// on `val`): the seconds of the second.
fn warm_then_time(
    warm: &TrainingConfig,
    warm_data: &Split,
    config: &TrainingConfig,
    train: &Split,
    val: Option<&Split>,
    device: &Device,
) -> Result<f64> {
    let run = |config, data, val| {
        block_on(fit(
            config,
            data,
            val,
            device,
            &mut Recorder::default(),
            &RunOptions::default(),
        ))
    };
    run(warm, warm_data, None)?;
    let started = Instant::now();
    run(config, train, val)?;
    Ok(started.elapsed().as_secs_f64())
}

/// The IMDB line's name; `--model imdb-regularized` runs that line alone.
const IMDB_MODEL: &str = "imdb-regularized";
const IMDB_CONFIG: &str = include_str!("../../../configs/imdb/regularized.json");

/// `{"model": "imdb-regularized", "epoch_s", ...}`: one epoch of configs/imdb/regularized.json
/// (TF-IDF of 10,000 features; 20,000 training reviews at batch 512, then validation on the
/// other 5,000, as Keras times an epoch), after a warm-up of two batches. Skipped, with a note,
/// when the reviews are not there (`cargo xtask data` fetches them).
fn imdb(backends: &[String]) -> Result<()> {
    let dir = std::path::Path::new(crate::imdb::DEFAULT_DIR);
    if !dir.join("train.bin.gz").exists() {
        eprintln!(
            "no IMDB reviews in {} (cargo xtask data): no {IMDB_MODEL} line",
            dir.display()
        );
        return Ok(());
    }
    let mut config: TrainingConfig = serde_json::from_str(IMDB_CONFIG)?;
    config.epochs = 1;
    let data = crate::imdb::sparse_data(None, &config.vectorizer())?;
    let prepared = lab_engine::data::prepare_sparse(&data.train, &data.train_labels, &config);
    let warm_rows: Vec<usize> = (0..2 * config.batch_size).collect();
    let warm = prepared.train.select(&warm_rows);
    for backend in backends {
        let device = cpu_device(backend)?.autodiff();
        let seconds = warm_then_time(
            &config,
            &warm,
            &config,
            &prepared.train,
            prepared.val.as_ref(),
            &device,
        )?;
        println!(
            "{}",
            json!({
                "where": "native",
                "backend": backend,
                "model": IMDB_MODEL,
                "batch": config.batch_size,
                "epoch_s": (seconds * 1000.0).round() / 1000.0,
                "samples_per_s": (prepared.train.len() as f64 / seconds).round(),
            })
        );
    }
    Ok(())
}
