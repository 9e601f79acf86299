//! `lab tune`: print Hyperband's schedule, or run a search natively (and retrain its best
//! configuration with `--retrain`).

use anyhow::{Result, anyhow, bail};
use futures::executor::block_on;
use lab_engine::lab_spec::dataset::DatasetKind;
use lab_engine::lab_spec::tuning::{SearchEvent, TunerConfig, hyperband_plan};
use lab_engine::lab_spec::{EpochLogs, Event};
use lab_engine::session::{train_and_evaluate, train_and_evaluate_sparse, tune, tune_sparse};
use lab_engine::training::{Observer, RunOptions};
use serde_json::json;

use crate::args::Args;

/// What a search runs on: Fashion-MNIST's images or IMDB's vectorized reviews.
enum Data {
    Images(lab_engine::lab_data::files::FashionMnist),
    Reviews(lab_engine::session::SparseData),
}

/// One JSON line per finished trial on stdout; a line per epoch on stderr (the retraining's
/// epochs too).
struct TrialPrinter;

fn print_epoch(l: &EpochLogs) {
    eprintln!(
        "  epoch {}: loss {:.4} val_loss {:.4} val_accuracy {:.4} ({:.1} s)",
        l.epoch,
        l.loss,
        l.val_loss.unwrap_or(f64::NAN),
        l.val_accuracy.unwrap_or(f64::NAN),
        l.seconds
    );
}

impl Observer<SearchEvent> for TrialPrinter {
    fn event(&mut self, event: SearchEvent) {
        match event {
            SearchEvent::TrialStarted(t) => eprintln!(
                "trial {} (bracket {}, round {}): epochs {}→{} {}",
                t.id,
                t.bracket,
                t.round,
                t.initial_epoch,
                t.epochs,
                serde_json::to_string(&t.values).unwrap_or_default()
            ),
            SearchEvent::Epoch(l) => print_epoch(&l),
            SearchEvent::TrialFinished(t) => println!(
                "{}",
                json!({
                    "trial_id": t.id, "values": t.values, "bracket": t.bracket, "round": t.round,
                    "initial_epoch": t.initial_epoch, "epochs": t.epochs, "parent": t.parent,
                    "score": t.score, "best_epoch": t.best_epoch, "status": t.status,
                    "seconds": t.seconds,
                })
            ),
            SearchEvent::TrialFailed { message } => eprintln!("{message}"),
            _ => {}
        }
    }
}

impl Observer for TrialPrinter {
    fn event(&mut self, event: Event) {
        if let Event::Epoch(l) = event {
            print_epoch(&l);
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
    let mut config: TunerConfig =
        args.config("tuner config", "--config FILE (or --plan) is required")?;
    if let Some(s) = args.parsed("subset")? {
        config.subset = Some(s);
    }
    if let Some(s) = args.parsed("seed")? {
        config.seed = s;
    }
    let device = args.device()?;
    let data = match config.dataset {
        DatasetKind::FashionMnist => Data::Images(args.data()?),
        DatasetKind::Imdb => Data::Reviews(crate::imdb::sparse_data(
            args.get("data"),
            &config.vectorizer(),
        )?),
    };
    let options = RunOptions::default();
    let outcome = match &data {
        Data::Images(d) => block_on(tune(
            &config,
            &d.train,
            &device,
            &mut TrialPrinter,
            &options,
        ))?,
        Data::Reviews(d) => block_on(tune_sparse(
            &config,
            &d.train,
            &d.train_labels,
            &device,
            &mut TrialPrinter,
            &options,
        ))?,
    };
    let s = &outcome.summary;
    let mut last = json!({
        "best_trial": s.best_trial, "best_values": s.best_values, "best_score": s.best_score,
        "objective": s.objective, "trials": s.trials, "epochs_trained": s.epochs_trained,
        "seconds": s.seconds, "reason": s.reason,
    });
    if args.get("retrain").is_some()
        && let Some(values) = &s.best_values
    {
        // The retraining sees the search's subset, split and normalization: `retrain_config`
        // keeps them.
        let retrain = config
            .retrain_config(values)
            .map_err(|e| anyhow!("invalid config: {e}"))?;
        eprintln!(
            "retraining the best configuration for {} epochs",
            retrain.epochs
        );
        let run = match &data {
            Data::Images(d) => block_on(train_and_evaluate(
                &retrain,
                d,
                &device,
                &mut TrialPrinter,
                &options,
            ))?,
            Data::Reviews(d) => block_on(train_and_evaluate_sparse(
                &retrain,
                d,
                &device,
                &mut TrialPrinter,
                &options,
            ))?,
        };
        let (report, summary) = (&run.report, &run.outcome.summary);
        eprintln!("{report}");
        last["retrain"] = json!({
            "epochs": summary.stopped_epoch, "weights_epoch": summary.weights_epoch,
            "test_accuracy": report.accuracy, "macro_f1": report.macro_avg.f1, "f1": report.f1(),
            "seconds": summary.history.seconds.iter().sum::<f64>(),
        });
    }
    println!("{last}");
    Ok(())
}
