//! Keras' callbacks as configs: what EarlyStopping, ModelCheckpoint, ReduceLROnPlateau and
//! TerminateOnNaN watch (`Monitor`, `Mode`) and their settings, with Keras' defaults. The
//! engine runs them; "is this better?" is [`crate::Objective`].

use serde::{Deserialize, Serialize};

/// Whether a monitored quantity should go down or up. `auto` decides from its name as Keras
/// does: anything with `acc` in it is maximized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Auto,
    Min,
    Max,
}

/// A quantity of the epoch logs that callbacks can watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Monitor {
    Loss,
    Accuracy,
    #[default]
    ValLoss,
    ValAccuracy,
}

impl Monitor {
    pub fn name(&self) -> &'static str {
        match self {
            Monitor::Loss => "loss",
            Monitor::Accuracy => "accuracy",
            Monitor::ValLoss => "val_loss",
            Monitor::ValAccuracy => "val_accuracy",
        }
    }

    /// Resolves `auto` the way Keras does.
    pub fn resolve(&self, mode: Mode) -> Mode {
        match mode {
            Mode::Auto if matches!(self, Monitor::Accuracy | Monitor::ValAccuracy) => Mode::Max,
            Mode::Auto => Mode::Min,
            m => m,
        }
    }
}

fn patience_default() -> usize {
    0
}
pub(crate) fn yes() -> bool {
    true
}

/// `keras.callbacks.EarlyStopping`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStoppingConfig {
    #[serde(default)]
    pub monitor: Monitor,
    #[serde(default)]
    pub min_delta: f64,
    #[serde(default = "patience_default")]
    pub patience: usize,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub restore_best_weights: bool,
    #[serde(default)]
    pub start_from_epoch: usize,
}

impl Default for EarlyStoppingConfig {
    fn default() -> Self {
        Self {
            monitor: Monitor::ValLoss,
            min_delta: 0.0,
            patience: 0,
            mode: Mode::Auto,
            baseline: None,
            restore_best_weights: false,
            start_from_epoch: 0,
        }
    }
}

/// `keras.callbacks.ModelCheckpoint`; the weights are kept in memory as bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCheckpointConfig {
    #[serde(default)]
    pub monitor: Monitor,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default = "yes")]
    pub save_best_only: bool,
}

impl Default for ModelCheckpointConfig {
    fn default() -> Self {
        Self {
            monitor: Monitor::ValLoss,
            mode: Mode::Auto,
            save_best_only: true,
        }
    }
}

fn factor_default() -> f64 {
    0.1
}
fn plateau_patience() -> usize {
    10
}
fn plateau_min_delta() -> f64 {
    1e-4
}

/// `keras.callbacks.ReduceLROnPlateau`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReduceLrOnPlateauConfig {
    #[serde(default)]
    pub monitor: Monitor,
    #[serde(default = "factor_default")]
    pub factor: f64,
    #[serde(default = "plateau_patience")]
    pub patience: usize,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default = "plateau_min_delta")]
    pub min_delta: f64,
    #[serde(default)]
    pub cooldown: usize,
    #[serde(default)]
    pub min_lr: f64,
}

impl Default for ReduceLrOnPlateauConfig {
    fn default() -> Self {
        Self {
            monitor: Monitor::ValLoss,
            factor: factor_default(),
            patience: plateau_patience(),
            mode: Mode::Auto,
            min_delta: plateau_min_delta(),
            cooldown: 0,
            min_lr: 0.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbacksConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStoppingConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_checkpoint: Option<ModelCheckpointConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_lr_on_plateau: Option<ReduceLrOnPlateauConfig>,
    #[serde(default = "yes")]
    pub terminate_on_nan: bool,
}

impl Default for CallbacksConfig {
    fn default() -> Self {
        Self {
            early_stopping: None,
            model_checkpoint: None,
            reduce_lr_on_plateau: None,
            terminate_on_nan: true,
        }
    }
}
