//! `lab evaluate`: load a weights file into the model of a config, evaluate it on the test set
//! (the course's "build the same architecture again, `load_weights()`, predict"). The test set
//! is normalized with the statistics of the config's training split, as after training.

use anyhow::{Context, Result, anyhow};
use futures::executor::block_on;
use lab_engine::data::prepare;
use lab_engine::lab_spec::TrainingConfig;
use lab_engine::training::{RunOptions, evaluate_with_predictions};
use lab_engine::weights;
use serde_json::json;

use crate::args::Args;
use crate::train::test_json;

pub fn run(args: &Args) -> Result<()> {
    args.check_known(&["config", "weights", "data", "backend"])?;
    let path = args
        .get("weights")
        .ok_or_else(|| anyhow!("--weights FILE.safetensors is required"))?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    // The config of --config, else the one the weights file carries.
    let config: TrainingConfig = match args.get("config") {
        Some(_) => args.config("training config", "unused")?,
        None => weights::config_of(&bytes)
            .with_context(|| path.to_string())?
            .ok_or_else(|| {
                anyhow!("{path} has no training config in its metadata: pass --config FILE")
            })?,
    };
    config
        .validate(None)
        .map_err(|e| anyhow!("invalid config: {e}"))?;
    let data = args.data()?;
    let device = args.device()?;
    let model = weights::load(&bytes, &config.model, &device)
        .with_context(|| path.to_string())?
        .with_threshold(config.threshold);
    let prepared = prepare(&data.train, &config);
    let test = prepared.normalizer.apply(&data.test);
    let (report, _) = block_on(evaluate_with_predictions(
        &model,
        config.model.input,
        &test,
        &device,
        RunOptions::default().eval_batch_size,
    ))?;
    eprintln!("{report}");
    println!("{}", json!({ "weights": path, "test": test_json(&report) }));
    Ok(())
}
