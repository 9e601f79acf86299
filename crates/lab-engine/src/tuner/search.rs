//! [`search`]: a whole search on prepared data, the [`Oracle`] deciding each next trial and the
//! engine's loop training it (a promoted trial continues from its parent's best-epoch weights).

use std::collections::HashMap;

use burn::tensor::Device;
use lab_spec::tuning::{SearchEvent, SearchSummary, Trial, TrialStatus, TunerConfig};
use lab_spec::{CallbackAction, ConfigError, Event, History, StopReason};
use web_time::Instant;

use super::Oracle;
use crate::data::Prepared;
use crate::training::{FitInputs, Observer, RunOptions, TrainError, fit_with};

/// Forwards a trial's progress (batches, epochs, NaN) to the search's observer.
struct TrialObserver<'a, O: Observer<SearchEvent>> {
    inner: &'a mut O,
}

impl<O: Observer<SearchEvent>> Observer for TrialObserver<'_, O> {
    fn event(&mut self, event: Event) {
        let forwarded = match event {
            Event::Batch(p) => SearchEvent::Batch(p),
            Event::Epoch(l) => SearchEvent::Epoch(l),
            Event::NanLoss { epoch, batch } => SearchEvent::NanLoss {
                epoch,
                batch,
                terminated: false,
            },
            Event::Callback(CallbackAction::TerminatedOnNan { epoch, batch }) => {
                SearchEvent::NanLoss {
                    epoch,
                    batch,
                    terminated: true,
                }
            }
            _ => return,
        };
        self.inner.event(forwarded);
    }

    fn stop_requested(&mut self) -> bool {
        self.inner.stop_requested()
    }

    fn between_batches(&mut self) -> impl std::future::Future<Output = ()> {
        self.inner.between_batches()
    }
}

/// A finished search.
pub struct SearchOutcome {
    pub trials: Vec<Trial>,
    pub summary: SearchSummary,
}

/// Runs a search on prepared data (prepare it with [`TunerConfig::training_config`]'s subset,
/// split, seed and normalization: every trial sees the same split). Trial `i` is seeded with
/// `config.seed + i`. Stop (the observer's) ends the running trial and the search, keeping what
/// finished.
pub async fn search(
    config: &TunerConfig,
    data: &Prepared,
    device: &Device,
    observer: &mut impl Observer<SearchEvent>,
    options: &RunOptions,
) -> Result<SearchOutcome, TrainError> {
    let mut oracle = Oracle::new(config)?;
    if config.batch_size > data.train.len() {
        return Err(ConfigError::new(
            "batch_size",
            format!(
                "{} is larger than the {} training samples",
                config.batch_size,
                data.train.len()
            ),
        )
        .into());
    }
    let started = Instant::now();
    let mut checkpoints: HashMap<usize, Vec<u8>> = HashMap::new();
    let reason = loop {
        if observer.stop_requested() {
            break "stopped";
        }
        let index = match oracle.next_trial() {
            Ok(i) => i,
            Err(done) => break done.name(),
        };
        let trial = oracle.trials()[index].clone();
        observer.event(SearchEvent::TrialStarted(trial.clone()));
        let t0 = Instant::now();
        let mut status = TrialStatus::Failed;
        let mut history = History::default();
        match config.training_config(&trial.values, trial.epochs) {
            Ok(mut cfg) => {
                cfg.seed = config.seed.wrapping_add(index as u64);
                let parent = trial
                    .parent
                    .as_ref()
                    .and_then(|p| p.parse::<usize>().ok())
                    .and_then(|p| checkpoints.get(&p))
                    .map(Vec::as_slice);
                let opts = RunOptions {
                    initial_epoch: trial.initial_epoch,
                    ..options.clone()
                };
                let mut fwd = TrialObserver {
                    inner: &mut *observer,
                };
                let inputs = FitInputs::prepared(&cfg, data, device);
                match fit_with(inputs, parent, &mut fwd, &opts).await {
                    Ok(outcome) => {
                        status = match outcome.summary.reason {
                            StopReason::Completed | StopReason::EarlyStopping => {
                                TrialStatus::Completed
                            }
                            StopReason::UserStop => TrialStatus::Stopped,
                            StopReason::TerminatedOnNan => TrialStatus::Failed,
                        };
                        history = outcome.summary.history;
                        if let Some(cp) = outcome.checkpoint {
                            checkpoints.insert(index, cp.bytes);
                        }
                    }
                    Err(TrainError::Device(e)) => return Err(TrainError::Device(e)),
                    Err(e) => observer.event(SearchEvent::TrialFailed {
                        message: format!("trial {}: {e}", trial.id),
                    }),
                }
            }
            Err(e) => observer.event(SearchEvent::TrialFailed {
                message: format!("trial {}: {e}", trial.id),
            }),
        }
        oracle.end_trial(index, status, history, t0.elapsed().as_secs_f64());
        observer.event(SearchEvent::TrialFinished(oracle.trials()[index].clone()));
        let keep = oracle.may_be_promoted();
        checkpoints.retain(|i, _| keep.contains(i));
        if status == TrialStatus::Stopped {
            break "stopped";
        }
    };
    let best = oracle.best().cloned();
    let summary = SearchSummary {
        trials: oracle.trials().len(),
        best_trial: best.as_ref().map(|t| t.id.clone()),
        best_values: best.as_ref().map(|t| t.values.clone()),
        best_score: best.as_ref().and_then(|t| t.score),
        objective: config.objective.name().to_string(),
        epochs_trained: oracle.trials().iter().map(|t| t.history.epochs()).sum(),
        seconds: started.elapsed().as_secs_f64(),
        reason: reason.to_string(),
    };
    observer.event(SearchEvent::SearchFinished(summary.clone()));
    Ok(SearchOutcome {
        trials: oracle.trials().to_vec(),
        summary,
    })
}
