//! What a training run tells its caller: batch progress, epoch logs, callback actions, the end.
//! The same values travel from the worker to the page and are printed by the CLI. (A search's
//! events are `tuning::SearchEvent`; they use these types, never the other way round.)

use serde::{Deserialize, Serialize};

use crate::metrics::ClassificationReport;

/// The logs of one finished epoch, with Keras' keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochLogs {
    /// 1-based, as Keras prints it.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches, including the regularization penalty.
    pub loss: f64,
    pub accuracy: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_accuracy: Option<f64>,
    /// The learning rate used during the epoch.
    pub lr: f64,
    /// The regularization penalty's share of `loss` (0 without regularizers).
    pub regularization_loss: f64,
    /// Wall time of the epoch, validation included.
    pub seconds: f64,
}

impl EpochLogs {
    pub fn get(&self, monitor: crate::training::Monitor) -> Option<f64> {
        use crate::training::Monitor::*;
        match monitor {
            Loss => Some(self.loss),
            Accuracy => Some(self.accuracy),
            ValLoss => self.val_loss,
            ValAccuracy => self.val_accuracy,
        }
    }
}

/// Keras' `History.history`: one list per key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub loss: Vec<f64>,
    pub accuracy: Vec<f64>,
    pub val_loss: Vec<f64>,
    pub val_accuracy: Vec<f64>,
    pub lr: Vec<f64>,
    pub seconds: Vec<f64>,
}

impl History {
    pub fn push(&mut self, logs: &EpochLogs) {
        self.loss.push(logs.loss);
        self.accuracy.push(logs.accuracy);
        if let Some(v) = logs.val_loss {
            self.val_loss.push(v);
        }
        if let Some(v) = logs.val_accuracy {
            self.val_accuracy.push(v);
        }
        self.lr.push(logs.lr);
        self.seconds.push(logs.seconds);
    }

    pub fn epochs(&self) -> usize {
        self.loss.len()
    }

    /// The values of one key, epoch by epoch.
    pub fn values(&self, monitor: crate::training::Monitor) -> &[f64] {
        use crate::training::Monitor::*;
        match monitor {
            Loss => &self.loss,
            Accuracy => &self.accuracy,
            ValLoss => &self.val_loss,
            ValAccuracy => &self.val_accuracy,
        }
    }
}

/// Progress within an epoch, sent a few times per second at most.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchProgress {
    pub epoch: usize,
    /// Batches done in this epoch.
    pub batch: usize,
    pub batches: usize,
    /// Running mean of the training loss over the epoch so far.
    pub loss: f64,
    pub samples_per_s: f64,
    pub ms_per_batch: f64,
}

/// Something a callback did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallbackAction {
    /// ModelCheckpoint kept the weights of this epoch.
    CheckpointSaved {
        epoch: usize,
        monitor: String,
        value: f64,
    },
    /// EarlyStopping ended the run.
    EarlyStopped {
        epoch: usize,
        best_epoch: Option<usize>,
    },
    /// EarlyStopping put the weights of `epoch` back.
    RestoredBestWeights {
        epoch: usize,
        monitor: String,
        value: f64,
    },
    /// ReduceLROnPlateau lowered the learning rate.
    ReducedLearningRate { epoch: usize, from: f64, to: f64 },
    /// TerminateOnNaN ended the run.
    TerminatedOnNan { epoch: usize, batch: usize },
}

impl std::fmt::Display for CallbackAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallbackAction::CheckpointSaved {
                epoch,
                monitor,
                value,
            } => {
                write!(
                    f,
                    "checkpoint: saved the weights of epoch {epoch} ({monitor} = {value:.4})"
                )
            }
            CallbackAction::EarlyStopped { epoch, best_epoch } => match best_epoch {
                Some(b) => write!(
                    f,
                    "early stopping: stopped at epoch {epoch}, best epoch was {b}"
                ),
                None => write!(f, "early stopping: stopped at epoch {epoch}"),
            },
            CallbackAction::RestoredBestWeights {
                epoch,
                monitor,
                value,
            } => {
                write!(
                    f,
                    "early stopping: restored the weights of epoch {epoch} ({monitor} = {value:.4})"
                )
            }
            CallbackAction::ReducedLearningRate { epoch, from, to } => {
                write!(
                    f,
                    "reduce LR on plateau: epoch {epoch}, learning rate {from:.3e} → {to:.3e}"
                )
            }
            CallbackAction::TerminatedOnNan { epoch, batch } => {
                write!(
                    f,
                    "terminate on NaN: the loss became NaN at epoch {epoch}, batch {batch}"
                )
            }
        }
    }
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Completed,
    EarlyStopping,
    TerminatedOnNan,
    UserStop,
}

/// A whole run's outcome (weights travel separately, as bytes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub history: History,
    pub epochs: Vec<EpochLogs>,
    pub reason: StopReason,
    /// The last epoch trained (1-based; 0 if none finished).
    pub stopped_epoch: usize,
    /// The best epoch by the checkpoint's (or early stopping's) monitor, else by val_loss.
    pub best_epoch: Option<usize>,
    /// The epoch whose weights the final model holds.
    pub weights_epoch: usize,
    /// True when a NaN loss was seen (and TerminateOnNaN was off, so training went on).
    pub saw_nan: bool,
}

/// Everything a run emits, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        epochs: usize,
        batches_per_epoch: usize,
        train_samples: usize,
        val_samples: usize,
    },
    Batch(BatchProgress),
    Epoch(EpochLogs),
    Callback(CallbackAction),
    /// A NaN or infinite loss seen with TerminateOnNaN off: reported, not hidden.
    NanLoss {
        epoch: usize,
        batch: usize,
    },
    Finished(RunSummary),
    Evaluated(ClassificationReport),
    Failed {
        message: String,
    },
}
