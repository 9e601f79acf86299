//! `lab`: the command-line trainer of Tuning Lab, for teachers and for measuring the engine.
//!
//! ```text
//! lab train --config FILE [--data DIR] [--subset N] [--seed S] [--epochs N] [--backend flex|ndarray] [--save-weights FILE]
//! lab summary --config FILE
//! lab bench [--backend flex|ndarray] [--steps N]
//! lab tune --plan --max-epochs M --factor F [--iterations I]
//! lab tune --config FILE [--data DIR] [--subset N] [--seed S] [--backend flex|ndarray] [--retrain]
//! ```

mod bench;
mod tune;

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use burn::tensor::Device;
use futures::executor::block_on;
use lab_engine::data::prepare;
use lab_engine::lab_data::files::load_dir;
use lab_engine::lab_spec::{Event, TrainingConfig};
use lab_engine::training::{Observer, RunOptions, evaluate, fit};
use serde_json::json;

/// Options that take no value.
const SWITCHES: &[&str] = &["plan", "retrain"];

/// Parsed `--flag value` pairs.
struct Args {
    command: String,
    flags: Vec<(String, String)>,
}

impl Args {
    fn parse() -> Result<Self> {
        let mut it = std::env::args().skip(1);
        let command = it.next().unwrap_or_default();
        let mut flags = Vec::new();
        while let Some(flag) = it.next() {
            let Some(name) = flag.strip_prefix("--") else {
                bail!("unexpected argument {flag:?}");
            };
            if SWITCHES.contains(&name) {
                flags.push((name.to_string(), String::new()));
                continue;
            }
            let value = it.next().ok_or_else(|| anyhow!("--{name} needs a value"))?;
            flags.push((name.to_string(), value));
        }
        Ok(Self { command, flags })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn parsed<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>> {
        self.get(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| anyhow!("--{name}: {v:?} is not a valid value"))
            })
            .transpose()
    }

    fn check_known(&self, known: &[&str]) -> Result<()> {
        for (n, _) in &self.flags {
            if !known.contains(&n.as_str()) {
                bail!(
                    "unknown option --{n} for `lab {}` (known: --{})",
                    self.command,
                    known.join(", --")
                );
            }
        }
        Ok(())
    }
}

/// A CPU device by name.
pub fn cpu_device(name: &str) -> Result<Device> {
    match name {
        "flex" => Ok(Device::flex()),
        #[allow(deprecated)] // burn 0.22 deprecates ndarray, but it is the fastest CPU backend here
        "ndarray" => Ok(Device::ndarray()),
        other => bail!("--backend: unknown backend {other:?} (flex or ndarray)"),
    }
}

fn read_config(args: &Args) -> Result<TrainingConfig> {
    let path = args
        .get("config")
        .ok_or_else(|| anyhow!("--config FILE is required"))?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    serde_json::from_str(&text).with_context(|| format!("{path} is not a valid training config"))
}

/// Prints one JSON line per epoch (stdout) and callback actions (stderr).
struct Printer;

impl Observer for Printer {
    fn event(&mut self, event: Event) {
        match event {
            Event::Epoch(l) => println!(
                "{}",
                json!({
                    "epoch": l.epoch, "loss": l.loss, "accuracy": l.accuracy,
                    "val_loss": l.val_loss, "val_accuracy": l.val_accuracy,
                    "lr": l.lr, "seconds": l.seconds,
                })
            ),
            Event::Callback(action) => eprintln!("{action}"),
            Event::NanLoss { epoch, batch } => {
                eprintln!("warning: NaN loss at epoch {epoch}, batch {batch}")
            }
            _ => {}
        }
    }
}

fn train(args: &Args) -> Result<()> {
    args.check_known(&[
        "config",
        "data",
        "subset",
        "seed",
        "epochs",
        "backend",
        "save-weights",
    ])?;
    let mut config = read_config(args)?;
    if let Some(s) = args.parsed("subset")? {
        config.subset = Some(s);
    }
    if let Some(s) = args.parsed("seed")? {
        config.seed = s;
    }
    if let Some(e) = args.parsed("epochs")? {
        config.epochs = e;
    }
    let dir = PathBuf::from(args.get("data").unwrap_or("static/data/fashion-mnist"));
    let data = load_dir(&dir).map_err(anyhow::Error::msg)?;
    config
        .validate(Some(data.train.len()))
        .map_err(|e| anyhow!("invalid config: {e}"))?;
    let device = cpu_device(args.get("backend").unwrap_or(bench::DEFAULT_BACKEND))?;
    let prepared = prepare(&data.train, &config);
    let outcome = block_on(fit(
        &config,
        &prepared.train,
        prepared.val.as_ref(),
        &device.clone().autodiff(),
        &mut Printer,
        &RunOptions::default(),
    ))?;
    let test = prepared.normalizer.apply(&data.test);
    let report = block_on(evaluate(
        &outcome.model,
        config.model.input,
        &test,
        &device,
        1000,
    ))?;
    if let Some(path) = args.get("save-weights") {
        let bytes = block_on(lab_engine::weights::to_bytes(&outcome.model, &config.model))?;
        std::fs::write(path, bytes).with_context(|| format!("writing {path}"))?;
    }
    eprintln!("{report}");
    let per_class: Vec<_> = report
        .per_class
        .iter()
        .map(|c| json!({"class": c.name, "precision": c.precision, "recall": c.recall, "f1": c.f1, "support": c.support}))
        .collect();
    println!(
        "{}",
        json!({
            "test": {
                "accuracy": report.accuracy,
                "loss": report.loss,
                "macro_f1": report.macro_avg.f1,
                "weighted_f1": report.weighted_avg.f1,
                "confusion_matrix": report.confusion_matrix,
                "per_class": per_class,
            },
            "best_epoch": outcome.summary.best_epoch,
            "stopped_epoch": outcome.summary.stopped_epoch,
            "weights_epoch": outcome.summary.weights_epoch,
            "reason": outcome.summary.reason,
        })
    );
    Ok(())
}

fn summary(args: &Args) -> Result<()> {
    args.check_known(&["config"])?;
    let config = read_config(args)?;
    let summary = config
        .model
        .summary()
        .map_err(|e| anyhow!("invalid config: {e}"))?;
    println!("{summary}");
    Ok(())
}

const USAGE: &str = "usage:
  lab train --config FILE [--data DIR] [--subset N] [--seed S] [--epochs N] [--backend flex|ndarray] [--save-weights FILE]
  lab summary --config FILE
  lab bench [--backend flex|ndarray] [--steps N]
  lab tune --plan --max-epochs M --factor F [--iterations I]
  lab tune --config FILE [--data DIR] [--subset N] [--seed S] [--backend flex|ndarray] [--retrain]";

fn main() {
    let result = Args::parse().and_then(|args| match args.command.as_str() {
        "train" => train(&args),
        "summary" => summary(&args),
        "bench" => bench::run(&args),
        "tune" => tune::run(&args),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2)
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
