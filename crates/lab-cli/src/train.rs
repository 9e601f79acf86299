//! `lab train` (train, evaluate on the test set, print JSON lines) and `lab summary`.

use anyhow::{Context, Result, anyhow};
use futures::executor::block_on;
use lab_engine::lab_spec::dataset::DatasetKind;
use lab_engine::lab_spec::{ClassificationReport, Event, TrainingConfig};
use lab_engine::session::{train_and_evaluate, train_and_evaluate_sparse};
use lab_engine::training::{Observer, RunOptions};
use serde_json::json;

use crate::args::Args;

const MISSING_CONFIG: &str = "--config FILE is required";

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

pub fn train(args: &Args) -> Result<()> {
    args.check_known(&[
        "config",
        "data",
        "subset",
        "seed",
        "epochs",
        "backend",
        "save-weights",
    ])?;
    let mut config: TrainingConfig = args.config("training config", MISSING_CONFIG)?;
    if let Some(s) = args.parsed("subset")? {
        config.subset = Some(s);
    }
    if let Some(s) = args.parsed("seed")? {
        config.seed = s;
    }
    if let Some(e) = args.parsed("epochs")? {
        config.epochs = e;
    }
    let device = args.device()?;
    let run = match config.dataset {
        DatasetKind::FashionMnist => block_on(train_and_evaluate(
            &config,
            &args.data()?,
            &device,
            &mut Printer,
            &RunOptions::default(),
        ))?,
        DatasetKind::Imdb => block_on(train_and_evaluate_sparse(
            &config,
            &crate::imdb::sparse_data(args.get("data"), &config.vectorizer())?,
            &device,
            &mut Printer,
            &RunOptions::default(),
        ))?,
    };
    let (report, summary) = (&run.report, &run.outcome.summary);
    if let Some(path) = args.get("save-weights") {
        let bytes = block_on(lab_engine::weights::to_bytes_with_config(
            &run.outcome.model,
            &config,
        ))?;
        std::fs::write(path, bytes).with_context(|| format!("writing {path}"))?;
    }
    eprintln!("{report}");
    println!(
        "{}",
        json!({
            "test": test_json(report),
            "best_epoch": summary.best_epoch,
            "stopped_epoch": summary.stopped_epoch,
            "weights_epoch": summary.weights_epoch,
            "reason": summary.reason,
        })
    );
    Ok(())
}

/// The test-set report as JSON (what `lab train` and `lab evaluate` print).
pub fn test_json(report: &ClassificationReport) -> serde_json::Value {
    let per_class: Vec<_> = report
        .per_class
        .iter()
        .map(|c| json!({"class": c.name, "precision": c.precision, "recall": c.recall, "f1": c.f1, "support": c.support}))
        .collect();
    let mut test = json!({
        "accuracy": report.accuracy,
        "loss": report.loss,
        "macro_f1": report.macro_avg.f1,
        "weighted_f1": report.weighted_avg.f1,
        "confusion_matrix": report.confusion_matrix,
        "per_class": per_class,
    });
    // A binary task (IMDB) also reports the positive class's F1, as seed 004's `f1_score`.
    if let Some(f1) = report.f1() {
        test["f1"] = json!(f1);
    }
    test
}

pub fn summary(args: &Args) -> Result<()> {
    args.check_known(&["config"])?;
    let config: TrainingConfig = args.config("training config", MISSING_CONFIG)?;
    let summary = config
        .model
        .summary()
        .map_err(|e| anyhow!("invalid config: {e}"))?;
    println!("{summary}");
    Ok(())
}
