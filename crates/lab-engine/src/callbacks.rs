//! Keras callbacks as plain state machines over epoch logs. The training loop feeds them each
//! epoch's logs and carries out what they decide (snapshot weights, stop, change the learning
//! rate), so their logic is tested here on scripted histories, without a model.
//!
//! Semantics follow Keras 3 (`keras/src/callbacks/`); epochs are 0-based inside and 1-based in
//! the events, as Keras prints them. One difference: EarlyStopping's `restore_best_weights`
//! restores at the end of every run (as Keras 3 does), and also when the learner presses Stop.

use lab_spec::{
    CallbackAction, CallbacksConfig, EarlyStoppingConfig, EpochLogs, ModelCheckpointConfig,
    Monitor, Objective, ReduceLrOnPlateauConfig,
};

/// `keras.callbacks.EarlyStopping`.
#[derive(Clone, Debug)]
pub struct EarlyStopping {
    config: EarlyStoppingConfig,
    objective: Objective,
    wait: usize,
    best: Option<f64>,
    /// 0-based epoch of the best value (or, with restore_best_weights, of the first snapshot).
    pub best_epoch: Option<usize>,
    /// 0-based epoch at which it stopped the run.
    pub stopped_epoch: Option<usize>,
    has_snapshot: bool,
}

impl EarlyStopping {
    pub fn new(config: EarlyStoppingConfig) -> Self {
        Self {
            objective: Objective::new(config.monitor, config.mode),
            config,
            wait: 0,
            best: None,
            best_epoch: None,
            stopped_epoch: None,
            has_snapshot: false,
        }
    }

    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Returns (snapshot the current weights, stop training).
    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochLogs) -> (bool, bool) {
        let Some(current) = logs.get(self.config.monitor) else {
            return (false, false);
        };
        if epoch < self.config.start_from_epoch {
            return (false, false);
        }
        let mut snapshot = false;
        if self.config.restore_best_weights && !self.has_snapshot {
            // If best weights were never set, the current weights are the best (Keras).
            snapshot = true;
            self.has_snapshot = true;
            self.best_epoch = Some(epoch);
        }
        self.wait += 1;
        let improved = match self.best {
            None => !current.is_nan(),
            Some(best) => self
                .objective
                .better_by(current, best, self.config.min_delta),
        };
        if improved {
            self.best = Some(current);
            self.best_epoch = Some(epoch);
            snapshot = self.config.restore_best_weights;
            let beats_baseline = self
                .config
                .baseline
                .is_none_or(|b| self.objective.better_by(current, b, self.config.min_delta));
            if beats_baseline {
                self.wait = 0;
            }
            return (snapshot, false);
        }
        if self.wait >= self.config.patience && epoch > 0 {
            self.stopped_epoch = Some(epoch);
            return (snapshot, true);
        }
        (snapshot, false)
    }
}

/// `keras.callbacks.ModelCheckpoint`, keeping the weights in memory.
#[derive(Clone, Debug)]
pub struct ModelCheckpoint {
    config: ModelCheckpointConfig,
    objective: Objective,
    best: Option<f64>,
    pub best_epoch: Option<usize>,
}

impl ModelCheckpoint {
    pub fn new(config: ModelCheckpointConfig) -> Self {
        Self {
            objective: Objective::new(config.monitor, config.mode),
            config,
            best: None,
            best_epoch: None,
        }
    }

    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Whether to save the current weights.
    fn on_epoch_end(&mut self, epoch: usize, logs: &EpochLogs) -> Option<f64> {
        let current = logs.get(self.config.monitor)?;
        if !self.config.save_best_only {
            self.best_epoch = Some(epoch);
            self.best = Some(current);
            return Some(current);
        }
        let improved = match self.best {
            None => !current.is_nan(),
            Some(best) => self.objective.better(current, best),
        };
        if improved {
            self.best = Some(current);
            self.best_epoch = Some(epoch);
            Some(current)
        } else {
            None
        }
    }
}

/// `keras.callbacks.ReduceLROnPlateau`.
#[derive(Clone, Debug)]
pub struct ReduceLrOnPlateau {
    config: ReduceLrOnPlateauConfig,
    objective: Objective,
    best: f64,
    wait: usize,
    cooldown_counter: usize,
}

impl ReduceLrOnPlateau {
    pub fn new(config: ReduceLrOnPlateauConfig) -> Self {
        let objective = Objective::new(config.monitor, config.mode);
        Self {
            best: objective.worst(),
            objective,
            config,
            wait: 0,
            cooldown_counter: 0,
        }
    }

    /// The new learning rate, when it changes.
    fn on_epoch_end(&mut self, logs: &EpochLogs, lr: f64) -> Option<f64> {
        let current = logs.get(self.config.monitor)?;
        let in_cooldown = self.cooldown_counter > 0;
        if in_cooldown {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        if self
            .objective
            .better_by(current, self.best, self.config.min_delta)
        {
            self.best = current;
            self.wait = 0;
        } else if self.cooldown_counter == 0 {
            self.wait += 1;
            if self.wait >= self.config.patience && lr > self.config.min_lr {
                let new_lr = (lr * self.config.factor).max(self.config.min_lr);
                self.cooldown_counter = self.config.cooldown;
                self.wait = 0;
                return Some(new_lr);
            }
        }
        None
    }
}

/// What the training loop must do after an epoch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochDecision {
    /// Keep the current weights as the checkpoint (ModelCheckpoint).
    pub save_checkpoint: bool,
    /// Keep the current weights as early stopping's best.
    pub save_best_for_restore: bool,
    pub stop: bool,
    pub new_lr: Option<f64>,
    /// Events to report, in order.
    pub actions: Vec<CallbackAction>,
}

/// All configured callbacks together.
#[derive(Clone, Debug)]
pub struct Callbacks {
    pub early_stopping: Option<EarlyStopping>,
    pub checkpoint: Option<ModelCheckpoint>,
    pub reduce_lr: Option<ReduceLrOnPlateau>,
    pub terminate_on_nan: bool,
}

impl Callbacks {
    pub fn new(config: &CallbacksConfig) -> Self {
        Self {
            early_stopping: config.early_stopping.clone().map(EarlyStopping::new),
            checkpoint: config.model_checkpoint.clone().map(ModelCheckpoint::new),
            reduce_lr: config
                .reduce_lr_on_plateau
                .clone()
                .map(ReduceLrOnPlateau::new),
            terminate_on_nan: config.terminate_on_nan,
        }
    }

    /// `epoch` is 0-based; `logs.epoch` is 1-based.
    pub fn on_epoch_end(&mut self, epoch: usize, logs: &EpochLogs) -> EpochDecision {
        let mut d = EpochDecision::default();
        if let Some(cp) = &mut self.checkpoint
            && let Some(value) = cp.on_epoch_end(epoch, logs)
        {
            d.save_checkpoint = true;
            d.actions.push(CallbackAction::CheckpointSaved {
                epoch: epoch + 1,
                monitor: cp.config.monitor.name().into(),
                value,
            });
        }
        if let Some(rl) = &mut self.reduce_lr
            && let Some(to) = rl.on_epoch_end(logs, logs.lr)
        {
            d.new_lr = Some(to);
            d.actions.push(CallbackAction::ReducedLearningRate {
                epoch: epoch + 1,
                from: logs.lr,
                to,
            });
        }
        if let Some(es) = &mut self.early_stopping {
            let (snapshot, stop) = es.on_epoch_end(epoch, logs);
            d.save_best_for_restore = snapshot;
            if stop {
                d.stop = true;
                d.actions.push(CallbackAction::EarlyStopped {
                    epoch: epoch + 1,
                    best_epoch: es.best_epoch.map(|e| e + 1),
                });
            }
        }
        d
    }

    /// The 1-based epoch whose weights early stopping will restore at the end, with its value.
    pub fn restore_target(&self) -> Option<(usize, Option<f64>, Monitor)> {
        let es = self.early_stopping.as_ref()?;
        if !es.config.restore_best_weights {
            return None;
        }
        es.best_epoch.map(|e| (e + 1, es.best, es.config.monitor))
    }

    /// The 1-based best epoch by the checkpoint's monitor, else early stopping's.
    pub fn best_epoch(&self) -> Option<usize> {
        self.checkpoint
            .as_ref()
            .and_then(|c| c.best_epoch)
            .or_else(|| self.early_stopping.as_ref().and_then(|e| e.best_epoch))
            .map(|e| e + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(epoch: usize, val_loss: f64) -> EpochLogs {
        EpochLogs {
            epoch: epoch + 1,
            loss: 1.0,
            accuracy: 0.5,
            val_loss: Some(val_loss),
            val_accuracy: Some(1.0 - val_loss),
            lr: 0.001,
            regularization_loss: 0.0,
            seconds: 0.1,
        }
    }

    /// Feeds a scripted val_loss history; returns (stop epoch (0-based), snapshots taken).
    fn run(cb: &mut Callbacks, values: &[f64]) -> (Option<usize>, Vec<usize>) {
        let mut snaps = Vec::new();
        for (e, &v) in values.iter().enumerate() {
            let d = cb.on_epoch_end(e, &logs(e, v));
            if d.save_best_for_restore {
                snaps.push(e);
            }
            if d.stop {
                return (Some(e), snaps);
            }
        }
        (None, snaps)
    }

    fn es(patience: usize) -> EarlyStoppingConfig {
        EarlyStoppingConfig {
            patience,
            restore_best_weights: true,
            ..Default::default()
        }
    }

    #[test]
    fn early_stopping_waits_patience_epochs_after_the_best() {
        let cfg = CallbacksConfig {
            early_stopping: Some(es(2)),
            ..Default::default()
        };
        let mut cb = Callbacks::new(&cfg);
        let (stop, snaps) = run(&mut cb, &[0.9, 0.7, 0.6, 0.65, 0.66, 0.5]);
        assert_eq!(stop, Some(4)); // best at epoch 2 (0-based), two epochs without improvement
        assert_eq!(snaps, vec![0, 1, 2]);
        assert_eq!(cb.restore_target().map(|t| t.0), Some(3));
    }

    #[test]
    fn min_delta_counts_small_gains_as_no_improvement() {
        let cfg = CallbacksConfig {
            early_stopping: Some(EarlyStoppingConfig {
                min_delta: 0.05,
                ..es(1)
            }),
            ..Default::default()
        };
        let mut cb = Callbacks::new(&cfg);
        let (stop, _) = run(&mut cb, &[0.9, 0.88, 0.87]);
        assert_eq!(stop, Some(1));
    }

    #[test]
    fn baseline_must_be_beaten_to_reset_patience() {
        let cfg = CallbacksConfig {
            early_stopping: Some(EarlyStoppingConfig {
                baseline: Some(0.5),
                ..es(2)
            }),
            ..Default::default()
        };
        let mut cb = Callbacks::new(&cfg);
        // Improving, but never below the baseline: the wait is never reset, so the first epoch
        // without improvement stops the run (without a baseline it would wait two more).
        let (stop, _) = run(&mut cb, &[0.9, 0.8, 0.85, 0.86]);
        assert_eq!(stop, Some(2));
        let mut plain = Callbacks::new(&CallbacksConfig {
            early_stopping: Some(es(2)),
            ..Default::default()
        });
        assert_eq!(run(&mut plain, &[0.9, 0.8, 0.85, 0.86]).0, Some(3));
    }

    #[test]
    fn start_from_epoch_ignores_warm_up_epochs() {
        let cfg = CallbacksConfig {
            early_stopping: Some(EarlyStoppingConfig {
                start_from_epoch: 3,
                ..es(0)
            }),
            ..Default::default()
        };
        let mut cb = Callbacks::new(&cfg);
        let (stop, snaps) = run(&mut cb, &[0.5, 0.9, 0.9, 0.8, 0.85]);
        assert_eq!(stop, Some(4));
        assert_eq!(snaps, vec![3]);
    }

    #[test]
    fn accuracy_is_maximized_in_auto_mode() {
        let cfg = CallbacksConfig {
            early_stopping: Some(EarlyStoppingConfig {
                monitor: Monitor::ValAccuracy,
                ..es(1)
            }),
            model_checkpoint: Some(ModelCheckpointConfig {
                monitor: Monitor::ValAccuracy,
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut cb = Callbacks::new(&cfg);
        // val_accuracy = 1 - val_loss: 0.1, 0.3, 0.2 → best epoch 2 (1-based)
        let (stop, _) = run(&mut cb, &[0.9, 0.7, 0.8]);
        assert_eq!(stop, Some(2));
        assert_eq!(cb.best_epoch(), Some(2));
    }

    #[test]
    fn checkpoint_saves_only_improvements() {
        let cfg = CallbacksConfig {
            model_checkpoint: Some(ModelCheckpointConfig::default()),
            ..Default::default()
        };
        let mut cb = Callbacks::new(&cfg);
        let saved: Vec<bool> = [0.9, 0.8, 0.85, 0.8, 0.7]
            .iter()
            .enumerate()
            .map(|(e, &v)| cb.on_epoch_end(e, &logs(e, v)).save_checkpoint)
            .collect();
        assert_eq!(saved, [true, true, false, false, true]);
        assert_eq!(cb.best_epoch(), Some(5));
    }

    #[test]
    fn reduce_lr_on_plateau_with_cooldown_and_floor() {
        let mut rl = ReduceLrOnPlateau::new(ReduceLrOnPlateauConfig {
            factor: 0.5,
            patience: 1,
            cooldown: 2,
            min_lr: 0.0003,
            min_delta: 0.0,
            ..Default::default()
        });
        let mut lr = 0.001;
        let mut lrs = Vec::new();
        for (e, v) in [0.5, 0.6, 0.6, 0.6, 0.6, 0.6].into_iter().enumerate() {
            if let Some(new) = rl.on_epoch_end(&logs(e, v), lr) {
                lr = new;
            }
            lrs.push(lr);
        }
        // plateau at epoch 1 → halve; epoch 2 in cooldown; epoch 3 → halve, floored at 0.0003.
        assert_eq!(lrs, [0.001, 0.0005, 0.0005, 0.0003, 0.0003, 0.0003]);
    }
}
