//! What a training run tells its caller: batch progress, epoch logs, callback actions, the end.
//! The same values travel from the worker to the page and are printed by the CLI. (A search's
//! events are `tuning::SearchEvent`; they use these types, never the other way round.)
//! A loss can become NaN or infinite: every number here keeps such a value through JSON
//! ([`crate::finite`]), so a history with a NaN reads back as it was.

use serde::{Deserialize, Serialize};

use crate::metrics::ClassificationReport;

/// The logs of one finished epoch, with Keras' keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochLogs {
    /// 1-based, as Keras prints it.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches, including the regularization penalty.
    #[serde(with = "crate::finite")]
    pub loss: f64,
    #[serde(with = "crate::finite")]
    pub accuracy: f64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::finite::option"
    )]
    pub val_loss: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::finite::option"
    )]
    pub val_accuracy: Option<f64>,
    /// The learning rate used during the epoch.
    #[serde(with = "crate::finite")]
    pub lr: f64,
    /// The regularization penalty's share of `loss` (0 without regularizers).
    #[serde(with = "crate::finite")]
    pub regularization_loss: f64,
    /// Wall time of the epoch, validation included.
    #[serde(with = "crate::finite")]
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
    #[serde(with = "crate::finite::vec")]
    pub loss: Vec<f64>,
    #[serde(with = "crate::finite::vec")]
    pub accuracy: Vec<f64>,
    #[serde(with = "crate::finite::vec")]
    pub val_loss: Vec<f64>,
    #[serde(with = "crate::finite::vec")]
    pub val_accuracy: Vec<f64>,
    #[serde(with = "crate::finite::vec")]
    pub lr: Vec<f64>,
    #[serde(with = "crate::finite::vec")]
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
    #[serde(with = "crate::finite")]
    pub loss: f64,
    #[serde(with = "crate::finite")]
    pub samples_per_s: f64,
    #[serde(with = "crate::finite")]
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
        #[serde(with = "crate::finite")]
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
        #[serde(with = "crate::finite")]
        value: f64,
    },
    /// ReduceLROnPlateau lowered the learning rate.
    ReducedLearningRate {
        epoch: usize,
        #[serde(with = "crate::finite")]
        from: f64,
        #[serde(with = "crate::finite")]
        to: f64,
    },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Averages;

    /// Equal, NaN included (`NaN != NaN`).
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    fn json<T: Serialize + for<'de> Deserialize<'de>>(value: &T) -> T {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }

    fn logs() -> EpochLogs {
        EpochLogs {
            epoch: 2,
            loss: f64::NAN,
            accuracy: 0.1,
            val_loss: Some(f64::INFINITY),
            val_accuracy: Some(0.1),
            lr: 10.0,
            regularization_loss: f64::NEG_INFINITY,
            seconds: 1.5,
        }
    }

    #[test]
    fn epoch_logs_and_history_keep_nan_and_infinities_through_json() {
        let l = logs();
        let text = serde_json::to_string(&l).unwrap();
        assert!(
            text.contains(r#""loss":"NaN""#) && text.contains(r#""val_loss":"Infinity""#),
            "{text}"
        );
        let back = json(&l);
        assert!(back.loss.is_nan());
        assert_eq!(back.val_loss, Some(f64::INFINITY));
        assert_eq!(back.regularization_loss, f64::NEG_INFINITY);
        assert_eq!((back.epoch, back.accuracy, back.lr), (2, 0.1, 10.0));

        let mut history = History::default();
        history.push(&EpochLogs {
            epoch: 1,
            loss: 2.3,
            ..logs()
        });
        history.push(&l);
        let back = json(&history);
        assert_eq!(back.epochs(), 2);
        assert!(back.loss[1].is_nan() && same(back.loss[0], 2.3));
        assert_eq!(back.val_loss, vec![f64::INFINITY, f64::INFINITY]);
    }

    #[test]
    fn events_summaries_and_reports_keep_non_finite_values_through_json() {
        // Internally tagged enums buffer their fields before reading them: the names survive.
        let Event::Epoch(back) = json(&Event::Epoch(logs())) else {
            panic!("an epoch event")
        };
        assert!(back.loss.is_nan());
        let batch = BatchProgress {
            epoch: 1,
            batch: 3,
            batches: 4,
            loss: f64::NAN,
            samples_per_s: f64::INFINITY,
            ms_per_batch: 0.0,
        };
        let Event::Batch(back) = json(&Event::Batch(batch)) else {
            panic!("a batch event")
        };
        assert!(back.loss.is_nan() && back.samples_per_s.is_infinite());
        let action = CallbackAction::ReducedLearningRate {
            epoch: 1,
            from: f64::INFINITY,
            to: f64::NAN,
        };
        assert!(matches!(
            json(&Event::Callback(action)),
            Event::Callback(CallbackAction::ReducedLearningRate { from, to, .. })
                if from == f64::INFINITY && to.is_nan()
        ));

        let mut history = History::default();
        history.push(&logs());
        let summary = RunSummary {
            history,
            epochs: vec![logs()],
            reason: StopReason::Completed,
            stopped_epoch: 1,
            best_epoch: None,
            weights_epoch: 1,
            saw_nan: true,
        };
        let back = json(&Event::Finished(summary));
        let Event::Finished(back) = back else {
            panic!("a finished event")
        };
        assert!(back.history.loss[0].is_nan() && back.epochs[0].loss.is_nan());
        assert!(back.saw_nan);

        let avg = Averages {
            precision: f64::NAN,
            recall: 0.1,
            f1: 0.0,
            support: 10,
        };
        let report = ClassificationReport {
            accuracy: 0.1,
            loss: Some(f64::NAN),
            confusion_matrix: vec![vec![10]],
            per_class: vec![],
            macro_avg: avg.clone(),
            weighted_avg: avg,
        };
        let Event::Evaluated(back) = json(&Event::Evaluated(report)) else {
            panic!("an evaluated event")
        };
        assert!(back.loss.is_some_and(f64::is_nan) && back.macro_avg.precision.is_nan());
        assert_eq!(back.confusion_matrix, vec![vec![10]]);
    }
}
