//! `lab tune`: print Hyperband's schedule, or run a search natively.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use futures::executor::block_on;
use lab_engine::data::prepare;
use lab_engine::lab_data::files::load_dir;
use lab_engine::lab_spec::Event;
use lab_engine::lab_spec::tuning::{TunerConfig, Values, hyperband_plan};
use lab_engine::training::{Observer, RunOptions, evaluate, fit};
use lab_engine::tuner::search;
use serde_json::json;

use crate::{Args, cpu_device};

/// One JSON line per finished trial on stdout; a line per epoch on stderr.
struct TrialPrinter;

impl Observer for TrialPrinter {
    fn event(&mut self, event: Event) {
        match event {
            Event::TrialStarted(t) => eprintln!(
                "trial {} (bracket {}, round {}): epochs {}→{} {}",
                t.id,
                t.bracket,
                t.round,
                t.initial_epoch,
                t.epochs,
                serde_json::to_string(&t.values).unwrap_or_default()
            ),
            Event::Epoch(l) => eprintln!(
                "  epoch {}: loss {:.4} val_loss {:.4} val_accuracy {:.4} ({:.1} s)",
                l.epoch,
                l.loss,
                l.val_loss.unwrap_or(f64::NAN),
                l.val_accuracy.unwrap_or(f64::NAN),
                l.seconds
            ),
            Event::TrialFinished(t) => println!(
                "{}",
                json!({
                    "trial_id": t.id, "values": t.values, "bracket": t.bracket, "round": t.round,
                    "initial_epoch": t.initial_epoch, "epochs": t.epochs, "parent": t.parent,
                    "score": t.score, "best_epoch": t.best_epoch, "status": t.status,
                    "seconds": t.seconds,
                })
            ),
            Event::Failed { message } => eprintln!("{message}"),
            _ => {}
        }
    }
}

fn plan(args: &Args) -> Result<()> {
    args.check_known(&["plan", "max-epochs", "factor", "iterations"])?;
    let max_epochs: usize = args
        .parsed("max-epochs")?
        .ok_or_else(|| anyhow!("--plan needs --max-epochs M"))?;
    let factor: usize = args
        .parsed("factor")?
        .ok_or_else(|| anyhow!("--plan needs --factor F"))?;
    let iterations: usize = args.parsed("iterations")?.unwrap_or(1);
    if factor < 2 {
        bail!("--factor must be an integer ≥ 2 (got {factor})");
    }
    if max_epochs < 1 {
        bail!("--max-epochs must be ≥ 1 (got {max_epochs})");
    }
    if iterations < 1 {
        bail!("--iterations must be ≥ 1 (got {iterations})");
    }
    println!(
        "{}",
        serde_json::to_string(&hyperband_plan(max_epochs, factor, iterations))?
    );
    Ok(())
}

pub fn run(args: &Args) -> Result<()> {
    if args.get("plan").is_some() {
        return plan(args);
    }
    args.check_known(&["config", "data", "subset", "seed", "backend", "retrain"])?;
    let path = args
        .get("config")
        .ok_or_else(|| anyhow!("--config FILE (or --plan) is required"))?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let mut config: TunerConfig = serde_json::from_str(&text)
        .with_context(|| format!("{path} is not a valid tuner config"))?;
    if let Some(s) = args.parsed("subset")? {
        config.subset = Some(s);
    }
    if let Some(s) = args.parsed("seed")? {
        config.seed = s;
    }
    let dir = PathBuf::from(args.get("data").unwrap_or("static/data/fashion-mnist"));
    let data = load_dir(&dir).map_err(anyhow::Error::msg)?;
    config
        .validate(Some(data.train.len()))
        .map_err(|e| anyhow!("invalid config: {e}"))?;
    let device = cpu_device(args.get("backend").unwrap_or(crate::bench::DEFAULT_BACKEND))?;
    let prepared = prepare(
        &data.train,
        &config
            .training_config(&Values::new(), 1)
            .map_err(|e| anyhow!("invalid config: {e}"))?,
    );
    let outcome = block_on(search(
        &config,
        &prepared,
        &device.clone().autodiff(),
        &mut TrialPrinter,
        &RunOptions::default(),
    ))?;
    let s = &outcome.summary;
    let mut last = json!({
        "best_trial": s.best_trial, "best_values": s.best_values, "best_score": s.best_score,
        "objective": s.objective, "trials": s.trials, "epochs_trained": s.epochs_trained,
        "seconds": s.seconds, "reason": s.reason,
    });
    if args.get("retrain").is_some()
        && let Some(values) = &s.best_values
    {
        let retrain = config
            .retrain_config(values)
            .map_err(|e| anyhow!("invalid config: {e}"))?;
        eprintln!(
            "retraining the best configuration for {} epochs",
            retrain.epochs
        );
        let run = block_on(fit(
            &retrain,
            &prepared.train,
            prepared.val.as_ref(),
            &device.clone().autodiff(),
            &mut TrialPrinter,
            &RunOptions::default(),
        ))?;
        let test = prepared.normalizer.apply(&data.test);
        let report = block_on(evaluate(
            &run.model,
            retrain.model.input,
            &test,
            &device,
            1000,
        ))?;
        eprintln!("{report}");
        last["retrain"] = json!({
            "epochs": run.summary.stopped_epoch, "weights_epoch": run.summary.weights_epoch,
            "test_accuracy": report.accuracy, "macro_f1": report.macro_avg.f1,
            "seconds": run.summary.history.seconds.iter().sum::<f64>(),
        });
    }
    println!("{last}");
    Ok(())
}
