//! Seed 004's MLP hypermodel: which names it reads, which are active for a given layer count,
//! and sampled values → a model spec and a training config.

use super::config::TunerConfig;
use super::space::{HpValue, Values};
use crate::error::ConfigError;
use crate::limits::{MAX_LAYERS, MAX_UNITS};
use crate::model::{Activation, InputKind, LayerSpec, ModelSpec, Regularizer};
use crate::training::{
    CallbacksConfig, Mode, ModelCheckpointConfig, Monitor, OptimizerConfig, TrainingConfig,
};

/// The hyperparameter names the MLP hypermodel reads; `{i}` is a layer index from 0.
pub const HYPERMODEL_NAMES: &str = "n_layers, units_{i}, l2_{i}, drop_{i}, lr, activation";

pub(crate) fn known_name(name: &str) -> bool {
    if matches!(name, "n_layers" | "lr" | "activation") {
        return true;
    }
    ["units_", "l2_", "drop_"].iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|i| !i.is_empty() && i.chars().all(|c| c.is_ascii_digit()))
    })
}

/// The layer index of a layer-indexed name (`units_2` → 2).
pub fn layer_index(name: &str) -> Option<usize> {
    ["units_", "l2_", "drop_"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .and_then(|i| i.parse().ok())
}

impl TunerConfig {
    /// The largest layer count the space allows.
    pub(crate) fn max_layers(&self) -> usize {
        self.hyperparameters
            .iter()
            .find(|h| h.name() == "n_layers")
            .map(|h| {
                h.extremes()
                    .iter()
                    .filter_map(HpValue::as_f64)
                    .fold(1.0, f64::max) as usize
            })
            .unwrap_or(1)
    }

    /// Whether a hyperparameter matters given the values sampled so far (`units_2` only when
    /// `n_layers` > 2). Hyperparameters are sampled in the order of the list.
    pub fn is_active(&self, name: &str, values: &Values) -> bool {
        match layer_index(name) {
            Some(i) => {
                let n = values
                    .get("n_layers")
                    .and_then(HpValue::as_f64)
                    .unwrap_or(1.0) as usize;
                i < n
            }
            None => true,
        }
    }

    /// The model and training config for one trial's values, trained for `epochs`.
    pub fn training_config(
        &self,
        values: &Values,
        epochs: usize,
    ) -> Result<TrainingConfig, ConfigError> {
        // A value as the learner wrote it (an i64 shown exactly, not as its f64).
        let shown = |name: &str| values.get(name).map(HpValue::to_string).unwrap_or_default();
        let num = |name: &str, default: f64| -> Result<f64, ConfigError> {
            match values.get(name) {
                None => Ok(default),
                Some(v) => v.as_f64().ok_or_else(|| {
                    ConfigError::new(
                        format!("hyperparameters.{name}"),
                        format!("must be a number (got {v})"),
                    )
                }),
            }
        };
        let activation = match values.get("activation") {
            None => Activation::Relu,
            Some(HpValue::Text(s)) => Activation::parse(s).ok_or_else(|| {
                ConfigError::new(
                    "hyperparameters.activation",
                    format!("unknown activation {s:?}"),
                )
            })?,
            Some(v) => {
                return Err(ConfigError::new(
                    "hyperparameters.activation",
                    format!("must be an activation name (got {v})"),
                ));
            }
        };
        let n_layers = num("n_layers", 1.0)?;
        if !(n_layers >= 0.0 && n_layers.fract() == 0.0) {
            return Err(ConfigError::new(
                "hyperparameters.n_layers",
                format!("must be a whole number ≥ 0 (got {n_layers})"),
            ));
        }
        // Checked before the layers are built: a huge count must not be looped over.
        if n_layers > MAX_LAYERS as f64 {
            return Err(ConfigError::new(
                "hyperparameters.n_layers",
                format!(
                    "the lab allows at most {MAX_LAYERS} layers (got {})",
                    shown("n_layers")
                ),
            ));
        }
        let mut layers = Vec::new();
        for i in 0..n_layers as usize {
            let units = num(&format!("units_{i}"), 128.0)?;
            if !(units >= 1.0 && units.fract() == 0.0) {
                return Err(ConfigError::new(
                    format!("hyperparameters.units_{i}"),
                    format!("must be a whole number ≥ 1 (got {units})"),
                ));
            }
            if units > MAX_UNITS as f64 {
                return Err(ConfigError::new(
                    format!("hyperparameters.units_{i}"),
                    format!(
                        "at most {MAX_UNITS} units fit a browser lab (got {})",
                        shown(&format!("units_{i}"))
                    ),
                ));
            }
            let l2 = num(&format!("l2_{i}"), 0.0)?;
            layers.push(LayerSpec::Dense {
                units: units as usize,
                activation,
                kernel_regularizer: (l2 != 0.0).then_some(Regularizer { l1: 0.0, l2 }),
            });
            let drop = num(&format!("drop_{i}"), 0.0)?;
            if drop != 0.0 {
                layers.push(LayerSpec::Dropout { rate: drop });
            }
        }
        let lr = num("lr", 1e-3)?;
        Ok(TrainingConfig {
            name: Some("tuned".into()),
            model: ModelSpec {
                input: InputKind::Flat,
                layers,
                head_regularizer: None,
            },
            optimizer: OptimizerConfig::adam(lr),
            batch_size: self.batch_size,
            epochs,
            validation_split: self.validation_split,
            seed: self.seed,
            shuffle: true,
            normalization: self.normalization,
            subset: self.subset,
            class_weight: None,
            callbacks: CallbacksConfig {
                early_stopping: None,
                // Keras Tuner keeps each trial's best epoch: a promoted trial starts from it.
                model_checkpoint: Some(ModelCheckpointConfig {
                    monitor: self.objective,
                    mode: Mode::Auto,
                    save_best_only: true,
                }),
                reduce_lr_on_plateau: None,
                terminate_on_nan: true,
            },
        })
    }

    /// "Retrain best": the values' model for `retrain_epochs`, with step 7's callbacks
    /// (EarlyStopping on val_loss, patience 3, restoring the best weights; ModelCheckpoint).
    pub fn retrain_config(&self, values: &Values) -> Result<TrainingConfig, ConfigError> {
        let mut c = self.training_config(values, self.retrain_epochs)?;
        c.name = Some("tuned: best of the search".into());
        c.callbacks = CallbacksConfig {
            early_stopping: Some(crate::training::EarlyStoppingConfig {
                monitor: Monitor::ValLoss,
                patience: 3,
                restore_best_weights: true,
                ..Default::default()
            }),
            model_checkpoint: Some(ModelCheckpointConfig::default()),
            reduce_lr_on_plateau: None,
            terminate_on_nan: true,
        };
        Ok(c)
    }
}
