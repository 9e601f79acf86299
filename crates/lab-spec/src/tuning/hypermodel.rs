//! The hypermodels a search builds from its values — seed 004's MLP (Fashion-MNIST's and
//! IMDB's: the same Dense stack, the task's input and head) or a small CNN ([`super::cnn`]) —:
//! which names each reads, which are active for a given layer or block count, and sampled
//! values → a model spec and a training config.

use serde::{Deserialize, Serialize};

use super::cnn::{CNN_HYPERMODEL_NAMES, CNN_INDEXED, cnn_layers};
use super::config::TunerConfig;
use super::space::{HpValue, Values};
use crate::dataset::DatasetKind;
use crate::error::ConfigError;
use crate::limits::{MAX_LAYERS, MAX_UNITS};
use crate::model::{Activation, Head, InputKind, LayerSpec, ModelSpec, Regularizer};
use crate::training::{
    CallbacksConfig, Mode, ModelCheckpointConfig, Monitor, OptimizerConfig, TrainingConfig,
};

/// The hyperparameter names the MLP hypermodel reads; `{i}` is a layer index from 0.
pub const HYPERMODEL_NAMES: &str = "n_layers, units_{i}, l2_{i}, drop_{i}, lr, activation";

/// The MLP's layer-indexed names.
const MLP_INDEXED: [&str; 3] = ["units_", "l2_", "drop_"];

/// Which model a search builds from each trial's values. Absent in JSON for the MLP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Hypermodel {
    /// Seed 004's Dense stack: `n_layers` × (Dense `units_i` with L2 `l2_i`, Dropout `drop_i`).
    #[default]
    Mlp,
    /// `conv_blocks` × (Conv2D `filters_i` of `kernel_i`×`kernel_i`, padding "same", then
    /// MaxPooling2D 2), Flatten, Dropout `dropout`, Dense `units` (Fashion-MNIST only).
    Cnn,
}

/// `name`'s index when it is one of `prefixes` followed by digits (`units_2` → 2).
fn indexed(prefixes: &[&str], name: &str) -> Option<usize> {
    prefixes
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .and_then(|i| i.parse().ok())
}

/// Whether `name` is one of `prefixes` followed by at least one digit, and nothing else.
fn is_indexed(prefixes: &[&str], name: &str) -> bool {
    prefixes.iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|i| !i.is_empty() && i.chars().all(|c| c.is_ascii_digit()))
    })
}

impl Hypermodel {
    pub fn is_mlp(&self) -> bool {
        *self == Hypermodel::Mlp
    }

    /// Its short name in messages: "MLP", "CNN".
    pub fn label(self) -> &'static str {
        match self {
            Hypermodel::Mlp => "MLP",
            Hypermodel::Cnn => "CNN",
        }
    }

    /// The names it reads, as a learner reads them.
    pub fn names(self) -> &'static str {
        match self {
            Hypermodel::Mlp => HYPERMODEL_NAMES,
            Hypermodel::Cnn => CNN_HYPERMODEL_NAMES,
        }
    }

    /// The hyperparameter that counts its repeated part: `n_layers` or `conv_blocks`.
    pub fn count_name(self) -> &'static str {
        match self {
            Hypermodel::Mlp => "n_layers",
            Hypermodel::Cnn => "conv_blocks",
        }
    }

    /// The layer or block index of an indexed name (`units_2` → 2, `filters_1` → 1).
    pub fn block_index(self, name: &str) -> Option<usize> {
        match self {
            Hypermodel::Mlp => indexed(&MLP_INDEXED, name),
            Hypermodel::Cnn => indexed(&CNN_INDEXED, name),
        }
    }

    /// Whether it reads `name`.
    pub(crate) fn known_name(self, name: &str) -> bool {
        match self {
            Hypermodel::Mlp => {
                matches!(name, "n_layers" | "lr" | "activation") || is_indexed(&MLP_INDEXED, name)
            }
            Hypermodel::Cnn => {
                matches!(
                    name,
                    "conv_blocks" | "dropout" | "units" | "lr" | "activation"
                ) || is_indexed(&CNN_INDEXED, name)
            }
        }
    }
}

/// The layer index of an MLP layer-indexed name (`units_2` → 2).
pub fn layer_index(name: &str) -> Option<usize> {
    Hypermodel::Mlp.block_index(name)
}

/// A value as the learner wrote it (an i64 shown exactly, not as its f64).
pub(super) fn shown(values: &Values, name: &str) -> String {
    values.get(name).map(HpValue::to_string).unwrap_or_default()
}

/// A numeric value, `default` when absent; the field is named when it is not a number.
pub(super) fn number(values: &Values, name: &str, default: f64) -> Result<f64, ConfigError> {
    match values.get(name) {
        None => Ok(default),
        Some(v) => v.as_f64().ok_or_else(|| {
            ConfigError::new(
                format!("hyperparameters.{name}"),
                format!("must be a number (got {v})"),
            )
        }),
    }
}

/// The Dense stack of seed 004's hypermodel.
fn mlp_layers(values: &Values, activation: Activation) -> Result<Vec<LayerSpec>, ConfigError> {
    let shown = |name: &str| shown(values, name);
    let num = |name: &str, default: f64| number(values, name, default);
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
    Ok(layers)
}

impl TunerConfig {
    /// The largest layer (or block) count the space allows.
    pub(crate) fn max_layers(&self) -> usize {
        let count = self.hypermodel.count_name();
        self.hyperparameters
            .iter()
            .find(|h| h.name() == count)
            .map(|h| {
                h.extremes()
                    .iter()
                    .filter_map(HpValue::as_f64)
                    .fold(1.0, f64::max) as usize
            })
            .unwrap_or(1)
    }

    /// Whether a hyperparameter matters given the values sampled so far (`units_2` only when
    /// `n_layers` > 2, `filters_1` only when `conv_blocks` > 1). Hyperparameters are sampled
    /// in the order of the list.
    pub fn is_active(&self, name: &str, values: &Values) -> bool {
        match self.hypermodel.block_index(name) {
            Some(i) => {
                let n = values
                    .get(self.hypermodel.count_name())
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
        let layers = match self.hypermodel {
            Hypermodel::Mlp => mlp_layers(values, activation)?,
            Hypermodel::Cnn => cnn_layers(values, activation)?,
        };
        let lr = number(values, "lr", 1e-3)?;
        // The task's input and head: Fashion-MNIST's flat images and softmax, or IMDB's
        // vectorized reviews and sigmoid.
        let (input, head, vectorizer) = match (self.dataset, self.hypermodel) {
            (DatasetKind::FashionMnist, Hypermodel::Mlp) => (InputKind::Flat, Head::Softmax, None),
            (DatasetKind::FashionMnist, Hypermodel::Cnn) => (InputKind::Image, Head::Softmax, None),
            (DatasetKind::Imdb, Hypermodel::Cnn) => {
                return Err(ConfigError::new(
                    "hypermodel",
                    "a CNN reads images; IMDB reviews are word features (search an MLP on them)",
                ));
            }
            (DatasetKind::Imdb, Hypermodel::Mlp) => {
                let v = self.vectorizer();
                (InputKind::Features(v.max_features), Head::Sigmoid, Some(v))
            }
        };
        Ok(TrainingConfig {
            name: Some("tuned".into()),
            dataset: self.dataset,
            vectorizer,
            model: ModelSpec {
                input,
                layers,
                head_regularizer: None,
                head,
            },
            optimizer: OptimizerConfig::adam(lr),
            batch_size: self.batch_size,
            epochs,
            validation_split: self.validation_split,
            seed: self.seed,
            shuffle: true,
            normalization: self.normalization,
            subset: self.subset,
            class_weight: self.class_weight.clone(),
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
            threshold: 0.5,
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
