//! `lab`: the command-line trainer of Tuning Lab, for teachers and for measuring the engine.
//!
//! ```text
//! lab train --config FILE [--data DIR] [--subset N] [--seed S] [--epochs N] [--backend flex|ndarray] [--save-weights FILE]
//! lab evaluate --weights FILE.safetensors [--config FILE] [--data DIR] [--backend flex|ndarray]
//! lab summary --config FILE
//! lab bench [--backend flex|ndarray] [--steps N]
//! lab tune --plan --max-epochs M --factor F [--iterations I]
//! lab tune --config FILE [--data DIR] [--subset N] [--seed S] [--backend flex|ndarray] [--retrain]
//! ```

mod args;
mod bench;
mod evaluate;
mod imdb;
mod train;
mod tune;

use args::Args;

const USAGE: &str = "usage:
  lab train --config FILE [--data DIR] [--subset N] [--seed S] [--epochs N] [--backend flex|ndarray] [--save-weights FILE]
  lab evaluate --weights FILE.safetensors [--config FILE] [--data DIR] [--backend flex|ndarray]
  lab summary --config FILE
  lab bench [--backend flex|ndarray] [--steps N]
  lab tune --plan --max-epochs M --factor F [--iterations I]
  lab tune --config FILE [--data DIR] [--subset N] [--seed S] [--backend flex|ndarray] [--retrain]";

fn main() {
    let result = Args::parse().and_then(|args| match args.command.as_str() {
        "train" => train::train(&args),
        "evaluate" => evaluate::run(&args),
        "summary" => train::summary(&args),
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
