//! One async training loop for every backend (the custom-training-loop shape): seeded
//! shuffling, mini-batches, sparse categorical cross-entropy plus the regularization penalty,
//! Keras' optimizers, callbacks, events. The caller picks the device; on WebGPU every read-back
//! is async, and the loop reads the loss back at most once per batch.
//!
//! This file is the run: its inputs, the checks before it starts, what spans epochs
//! (callbacks, ModelCheckpoint, EarlyStopping's restore, the summary) and the types callers
//! use. One epoch's batches are in `epoch.rs`; evaluation ([`crate::evaluate`]) and the
//! observers ([`crate::observer`]) are re-exported here.

use burn::module::Module;
use burn::tensor::Device;
use lab_spec::{
    CallbackAction, ConfigError, EpochLogs, Event, History, Mode, ModelSpec, Monitor, Objective,
    RunSummary, StopReason, TrainingConfig,
};

use crate::callbacks::Callbacks;
use crate::data::{Prepared, Split};
use crate::epoch::{EpochEnd, EpochRunner};
use crate::model::Network;
use crate::weights::{self, WeightsError};

pub use crate::evaluate::{evaluate, evaluate_with_predictions, predict, validate};
pub use crate::observer::{BatchEvent, Observer, Recorder};

/// Knobs of the loop that are not part of the learner's config.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Minimum seconds between two batch-progress events (the first and last batch of an
    /// epoch are always reported).
    pub progress_interval_s: f64,
    /// Read the running loss back every this many batches (1 on CPU; more on WebGPU, where each
    /// read stalls the queue). NaN detection happens at these reads.
    pub loss_read_every: usize,
    /// Batch size for validation and evaluation (no gradients, so it can be larger).
    pub eval_batch_size: usize,
    /// Keras' `fit(initial_epoch=...)`: the epochs before it count as done, so training runs
    /// epochs `initial_epoch + 1 ..= config.epochs` (a promoted Hyperband trial).
    pub initial_epoch: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            progress_interval_s: 0.25,
            loss_read_every: 1,
            eval_batch_size: 1000,
            initial_epoch: 0,
        }
    }
}

/// Why a run could not start or went wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    Config(ConfigError),
    Weights(WeightsError),
    Device(String),
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::Config(e) => write!(f, "invalid config: {e}"),
            TrainError::Weights(e) => write!(f, "{e}"),
            TrainError::Device(e) => write!(f, "the device failed: {e}"),
        }
    }
}

impl std::error::Error for TrainError {}

impl From<ConfigError> for TrainError {
    fn from(e: ConfigError) -> Self {
        TrainError::Config(e)
    }
}

impl From<WeightsError> for TrainError {
    fn from(e: WeightsError) -> Self {
        TrainError::Weights(e)
    }
}

/// ModelCheckpoint's kept weights.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// 1-based.
    pub epoch: usize,
    pub monitor: String,
    pub value: f64,
    pub bytes: Vec<u8>,
}

/// A finished run: the final model (restored if early stopping says so), its summary, and the
/// checkpoint if ModelCheckpoint was on.
pub struct TrainOutcome {
    pub model: Network,
    pub summary: RunSummary,
    pub checkpoint: Option<Checkpoint>,
}

/// What a run trains on, borrowed together: the config, the training and validation splits,
/// and the autodiff device. Every stage of a run needs all four, so they travel as one value
/// (`Copy`, only references) instead of four parameters; [`FitInputs::prepared`] builds it
/// from [`crate::data::prepare`]'s output.
#[derive(Clone, Copy)]
pub struct FitInputs<'a> {
    pub config: &'a TrainingConfig,
    pub train: &'a Split,
    pub val: Option<&'a Split>,
    /// An autodiff device (`Device::flex().autodiff()`, a WebGPU device's `.autodiff()`, ...).
    pub device: &'a Device,
}

impl<'a> FitInputs<'a> {
    /// `config` on `data`'s training and validation splits.
    pub fn prepared(config: &'a TrainingConfig, data: &'a Prepared, device: &'a Device) -> Self {
        Self {
            config,
            train: &data.train,
            val: data.val.as_ref(),
            device,
        }
    }
}

/// Trains a fresh model from `config` on `train`, validating on `val`. `device` must be an
/// autodiff device (`Device::flex().autodiff()`, a WebGPU device's `.autodiff()`, ...).
pub async fn fit(
    config: &TrainingConfig,
    train: &Split,
    val: Option<&Split>,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<TrainOutcome, TrainError> {
    fit_from(config, None, train, val, device, observer, options).await
}

/// [`fit`], starting from saved `weights` (bytes of [`crate::weights::to_bytes`]) instead of a
/// fresh initialization when given. With `options.initial_epoch` this is how a promoted
/// Hyperband trial continues its parent.
pub async fn fit_from(
    config: &TrainingConfig,
    weights: Option<&[u8]>,
    train: &Split,
    val: Option<&Split>,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<TrainOutcome, TrainError> {
    let inputs = FitInputs {
        config,
        train,
        val,
        device,
    };
    fit_with(inputs, weights, observer, options).await
}

/// [`fit_from`] with its inputs as one value: validates the config, seeds the device, builds
/// the model (or loads `weights`) and trains it.
#[allow(clippy::await_holding_lock)] // the turn is held for the whole run on purpose
pub async fn fit_with(
    inputs: FitInputs<'_>,
    weights: Option<&[u8]>,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<TrainOutcome, TrainError> {
    let FitInputs { config, device, .. } = inputs;
    config.validate(None)?;
    // burn's random generator is global per backend: runs in one process take turns, so that a
    // seed gives the same weights and dropout masks whatever else runs (tests run in parallel).
    // On wasm (one thread) a second run in the same worker is refused rather than waited for.
    #[cfg(target_arch = "wasm32")]
    let _turn = RNG_TURN
        .try_lock()
        .map_err(|_| ConfigError::new("run", "another run is in progress in this worker"))?;
    #[cfg(not(target_arch = "wasm32"))]
    let _turn = RNG_TURN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(config.seed);
    let model = match weights {
        Some(bytes) => weights::load(bytes, &config.model, device)?,
        None => Network::new(&config.model, device)?,
    };
    fit_model(model, inputs, observer, options).await
}

static RNG_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Continues training `model` (for instance loaded from a checkpoint) on `inputs`: epochs
/// `options.initial_epoch + 1 ..= config.epochs`, each followed by the callbacks.
pub async fn fit_model(
    mut model: Network,
    inputs: FitInputs<'_>,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<TrainOutcome, TrainError> {
    let FitInputs {
        config, train, val, ..
    } = inputs;
    check_can_start(config, train.len(), options.initial_epoch)?;
    model.threshold = config.threshold;
    let mut runner = EpochRunner::new(inputs, options);
    observer.event(Event::Started {
        epochs: config.epochs,
        batches_per_epoch: runner.batches,
        train_samples: train.len(),
        val_samples: val.map_or(0, Split::len),
    });
    let mut run = RunState::new(config);
    let mut reason = StopReason::Completed;
    for epoch in options.initial_epoch..config.epochs {
        let (trained, end) = runner.run(model, epoch, run.lr, observer).await?;
        model = trained;
        let logs = match end {
            EpochEnd::Logs(logs) => logs,
            EpochEnd::Interrupted(why) => {
                reason = why;
                break;
            }
        };
        if run.end_epoch(logs, &model, &config.model, observer).await? {
            reason = StopReason::EarlyStopping;
            break;
        }
    }
    Ok(run.finish(
        model,
        reason,
        options.initial_epoch,
        runner.saw_nan,
        observer,
    ))
}

/// The checks a run makes once its training split is known.
fn check_can_start(
    config: &TrainingConfig,
    train_samples: usize,
    initial_epoch: usize,
) -> Result<(), ConfigError> {
    if config.batch_size > train_samples {
        return Err(ConfigError::new(
            "batch_size",
            format!(
                "{} is larger than the {train_samples} training samples",
                config.batch_size
            ),
        ));
    }
    if initial_epoch >= config.epochs {
        return Err(ConfigError::new(
            "initial_epoch",
            format!(
                "{initial_epoch} leaves no epoch to train (epochs is {})",
                config.epochs
            ),
        ));
    }
    Ok(())
}

/// What a run keeps from one epoch to the next besides the model and the optimizer: the
/// callbacks' state, the learning rate they set, the logs, EarlyStopping's best weights,
/// ModelCheckpoint's bytes.
struct RunState {
    callbacks: Callbacks,
    lr: f64,
    history: History,
    epochs: Vec<EpochLogs>,
    best_for_restore: Option<Network>,
    checkpoint: Option<Checkpoint>,
}

impl RunState {
    fn new(config: &TrainingConfig) -> Self {
        Self {
            callbacks: Callbacks::new(&config.callbacks),
            lr: config.optimizer.learning_rate(),
            history: History::default(),
            epochs: Vec::new(),
            best_for_restore: None,
            checkpoint: None,
        }
    }

    /// Records an epoch's `logs`, runs the callbacks and carries out their decisions (keep the
    /// weights for a restore, save the checkpoint, change the learning rate, report). `true`
    /// when EarlyStopping ends the run.
    async fn end_epoch(
        &mut self,
        logs: EpochLogs,
        model: &Network,
        spec: &ModelSpec,
        observer: &mut impl Observer,
    ) -> Result<bool, TrainError> {
        self.history.push(&logs);
        self.epochs.push(logs.clone());
        observer.epoch_model(logs.epoch, model);
        observer.event(Event::Epoch(logs.clone()));
        let decision = self.callbacks.on_epoch_end(logs.epoch - 1, &logs);
        if decision.save_best_for_restore {
            self.best_for_restore = Some(model.clone());
        }
        if decision.save_checkpoint
            && let Some(CallbackAction::CheckpointSaved { monitor, value, .. }) = decision
                .actions
                .iter()
                .find(|a| matches!(a, CallbackAction::CheckpointSaved { .. }))
        {
            self.checkpoint = Some(Checkpoint {
                epoch: logs.epoch,
                monitor: monitor.clone(),
                value: *value,
                bytes: weights::to_bytes(&model.valid(), spec).await?,
            });
        }
        if let Some(new_lr) = decision.new_lr {
            self.lr = new_lr;
        }
        for action in decision.actions {
            observer.event(Event::Callback(action));
        }
        Ok(decision.stop)
    }

    /// The outcome: EarlyStopping's best weights restored when it asks for them (Keras 3
    /// restores at the end of every run, Stop included), and the summary.
    fn finish(
        self,
        mut model: Network,
        reason: StopReason,
        initial_epoch: usize,
        saw_nan: bool,
        observer: &mut impl Observer,
    ) -> TrainOutcome {
        let stopped_epoch = self.epochs.last().map_or(initial_epoch, |e| e.epoch);
        let mut weights_epoch = stopped_epoch;
        if let (Some(best), Some((epoch, value, monitor))) =
            (self.best_for_restore, self.callbacks.restore_target())
            && epoch != stopped_epoch
        {
            model = best;
            weights_epoch = epoch;
            observer.event(Event::Callback(CallbackAction::RestoredBestWeights {
                epoch,
                monitor: monitor.name().into(),
                value: value.unwrap_or(f64::NAN),
            }));
        }
        let best_epoch = self
            .callbacks
            .best_epoch()
            .or_else(|| best_epoch_by_val_loss(&self.epochs));
        let summary = RunSummary {
            history: self.history,
            epochs: self.epochs,
            reason,
            stopped_epoch,
            best_epoch,
            weights_epoch,
            saw_nan,
        };
        observer.event(Event::Finished(summary.clone()));
        TrainOutcome {
            model: model.valid(),
            summary,
            checkpoint: self.checkpoint,
        }
    }
}

/// The best epoch (1-based) by val_loss, the first on ties; epochs without a finite val_loss
/// never count. The summary's best epoch when no callback monitors one.
fn best_epoch_by_val_loss(epochs: &[EpochLogs]) -> Option<usize> {
    Objective::new(Monitor::ValLoss, Mode::Auto)
        .best_by(epochs.iter().map(|e| e.val_loss))
        .map(|(i, _)| epochs[i].epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(epoch: usize, val_loss: Option<f64>) -> EpochLogs {
        EpochLogs {
            epoch,
            loss: 1.0,
            accuracy: 0.5,
            val_loss,
            val_accuracy: None,
            lr: 0.001,
            regularization_loss: 0.0,
            seconds: 0.1,
        }
    }

    #[test]
    fn best_epoch_by_val_loss_takes_the_first_lowest_finite_value() {
        let epochs = [
            logs(3, Some(0.5)),
            logs(4, Some(0.3)),
            logs(5, Some(f64::NAN)),
            logs(6, Some(0.3)),
        ];
        assert_eq!(best_epoch_by_val_loss(&epochs), Some(4));
        assert_eq!(best_epoch_by_val_loss(&[logs(1, None)]), None);
        assert_eq!(best_epoch_by_val_loss(&[logs(1, Some(-f64::NAN))]), None);
        assert_eq!(best_epoch_by_val_loss(&[]), None);
    }

    #[test]
    fn a_run_needs_a_batch_and_an_epoch_to_train() {
        let mut config = TrainingConfig::new(ModelSpec::mlp(&[4]));
        config.batch_size = 32;
        config.epochs = 3;
        assert!(check_can_start(&config, 32, 2).is_ok());
        let e = check_can_start(&config, 31, 0).unwrap_err();
        assert_eq!(e.field, "batch_size");
        assert!(
            e.message.contains("larger than the 31 training samples"),
            "{e}"
        );
        let e = check_can_start(&config, 100, 3).unwrap_err();
        assert_eq!(e.field, "initial_epoch");
        assert_eq!(e.message, "3 leaves no epoch to train (epochs is 3)");
    }
}
