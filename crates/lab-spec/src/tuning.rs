//! Step 8, hyperparameter search: Keras Tuner's hyperparameter kinds, seed 004's MLP
//! hypermodel (sampled values → a model and a training config), the search config and
//! Hyperband's schedule. Pure functions only; sampling and running trials live in the engine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::model::{Activation, InputKind, LayerSpec, ModelSpec, Regularizer};
use crate::training::{
    CallbacksConfig, Mode, ModelCheckpointConfig, Monitor, Normalization, OptimizerConfig,
    TrainingConfig,
};

/// How a numeric hyperparameter is sampled between its bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Sampling {
    #[default]
    Linear,
    Log,
}

/// One sampled value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HpValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl HpValue {
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            HpValue::Int(v) => Some(v as f64),
            HpValue::Float(v) => Some(v),
            _ => None,
        }
    }

    /// A stable text form, used for duplicate detection and tables.
    pub fn key(&self) -> String {
        match self {
            HpValue::Bool(b) => b.to_string(),
            HpValue::Int(v) => v.to_string(),
            HpValue::Float(v) => format!("{v:e}"),
            HpValue::Text(s) => format!("{s:?}"),
        }
    }
}

impl std::fmt::Display for HpValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HpValue::Bool(b) => write!(f, "{b}"),
            HpValue::Int(v) => write!(f, "{v}"),
            HpValue::Float(v) if *v != 0.0 && (v.abs() < 1e-2 || v.abs() >= 1e4) => {
                write!(f, "{v:.2e}")
            }
            HpValue::Float(v) => write!(f, "{}", (v * 1e4).round() / 1e4),
            HpValue::Text(s) => write!(f, "{s}"),
        }
    }
}

/// The values of one trial, by name.
pub type Values = BTreeMap<String, HpValue>;

fn one_i() -> i64 {
    1
}

/// Keras Tuner's hyperparameter kinds. JSON: `{"type": "float", "name": "lr", "min_value": 1e-4,
/// "max_value": 1e-2, "sampling": "log"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum HyperParameter {
    /// `hp.Int(name, min_value, max_value, step)`: both bounds included.
    Int {
        name: String,
        min_value: i64,
        max_value: i64,
        #[serde(default = "one_i")]
        step: i64,
    },
    /// `hp.Float(name, min_value, max_value, step, sampling)`. With a step the values lie on a
    /// grid (`min + k·step`, or `min·step^k` with log sampling); without one they are continuous.
    Float {
        name: String,
        min_value: f64,
        max_value: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<f64>,
        #[serde(default)]
        sampling: Sampling,
    },
    /// `hp.Choice(name, values)`.
    Choice { name: String, values: Vec<HpValue> },
    /// `hp.Boolean(name)`.
    Boolean { name: String },
    /// `hp.Fixed(name, value)`.
    Fixed { name: String, value: HpValue },
}

/// Rounds away float noise such as `0.30000000000000004`.
fn tidy(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 12 - v.abs().log10().ceil() as i32;
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

impl HyperParameter {
    pub fn name(&self) -> &str {
        match self {
            HyperParameter::Int { name, .. }
            | HyperParameter::Float { name, .. }
            | HyperParameter::Choice { name, .. }
            | HyperParameter::Boolean { name }
            | HyperParameter::Fixed { name, .. } => name,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            HyperParameter::Int { .. } => "int",
            HyperParameter::Float { .. } => "float",
            HyperParameter::Choice { .. } => "choice",
            HyperParameter::Boolean { .. } => "boolean",
            HyperParameter::Fixed { .. } => "fixed",
        }
    }

    /// Every value of a discrete hyperparameter, in order; `None` for a continuous float.
    pub fn grid(&self) -> Option<Vec<HpValue>> {
        match self {
            HyperParameter::Int {
                min_value,
                max_value,
                step,
                ..
            } => Some(
                (0..)
                    .map(|k| min_value + k * step.max(&1))
                    .take_while(|v| v <= max_value)
                    .map(HpValue::Int)
                    .collect(),
            ),
            HyperParameter::Float {
                min_value,
                max_value,
                step: Some(step),
                sampling,
                ..
            } => {
                let limit = max_value + step.abs() * 1e-9 + max_value.abs() * 1e-12;
                let mut out = Vec::new();
                for k in 0..10_000 {
                    let v = match sampling {
                        Sampling::Linear => tidy(min_value + k as f64 * step),
                        Sampling::Log => tidy(min_value * step.powi(k)),
                    };
                    if v > limit {
                        break;
                    }
                    out.push(HpValue::Float(v.min(*max_value)));
                }
                Some(out)
            }
            HyperParameter::Float { step: None, .. } => None,
            HyperParameter::Choice { values, .. } => Some(values.clone()),
            HyperParameter::Boolean { .. } => Some(vec![HpValue::Bool(false), HpValue::Bool(true)]),
            HyperParameter::Fixed { value, .. } => Some(vec![value.clone()]),
        }
    }

    /// The value for a uniform draw `u` in [0, 1) — Keras Tuner's `prob_to_value`.
    pub fn value_at(&self, u: f64) -> HpValue {
        let u = u.clamp(0.0, 1.0 - 1e-12);
        match self {
            HyperParameter::Float {
                min_value,
                max_value,
                step: None,
                sampling,
                ..
            } => HpValue::Float(match sampling {
                Sampling::Linear => min_value + u * (max_value - min_value),
                Sampling::Log => (min_value.ln() + u * (max_value.ln() - min_value.ln())).exp(),
            }),
            _ => {
                let grid = self.grid().unwrap_or_default();
                let i = ((u * grid.len() as f64) as usize).min(grid.len().saturating_sub(1));
                grid[i].clone()
            }
        }
    }

    /// The smallest and largest value (for checking that every configuration can be built).
    pub fn extremes(&self) -> Vec<HpValue> {
        match self {
            HyperParameter::Float {
                min_value,
                max_value,
                step: None,
                ..
            } => vec![HpValue::Float(*min_value), HpValue::Float(*max_value)],
            _ => {
                let grid = self.grid().unwrap_or_default();
                let mut out: Vec<HpValue> = grid.first().into_iter().cloned().collect();
                out.extend(grid.last().cloned());
                out
            }
        }
    }

    /// How many distinct values it has; `None` when continuous.
    pub fn cardinality(&self) -> Option<usize> {
        self.grid().map(|g| g.len())
    }

    pub fn validate(&self, field: &str) -> Result<(), ConfigError> {
        let err = |m: String| Err(ConfigError::new(field, m));
        if self.name().trim().is_empty() {
            return err("a hyperparameter needs a name".into());
        }
        match self {
            HyperParameter::Int {
                min_value,
                max_value,
                step,
                ..
            } => {
                if min_value > max_value {
                    return err(format!(
                        "the range is inverted: min_value {min_value} > max_value {max_value}"
                    ));
                }
                if *step < 1 {
                    return err(format!("step must be ≥ 1 (got {step})"));
                }
            }
            HyperParameter::Float {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => {
                if !(min_value.is_finite() && max_value.is_finite()) {
                    return err("min_value and max_value must be numbers".into());
                }
                if min_value > max_value {
                    return err(format!(
                        "the range is inverted: min_value {min_value} > max_value {max_value}"
                    ));
                }
                if min_value == max_value {
                    return err(format!(
                        "the range [{min_value}, {max_value}] is empty (use a fixed value)"
                    ));
                }
                if *sampling == Sampling::Log && *min_value <= 0.0 {
                    return err(format!(
                        "log sampling needs min_value > 0 (got {min_value})"
                    ));
                }
                if let Some(step) = step {
                    let ok = match sampling {
                        Sampling::Linear => step.is_finite() && *step > 0.0,
                        Sampling::Log => step.is_finite() && *step > 1.0,
                    };
                    if !ok {
                        return err(format!(
                            "step must be > {} (got {step})",
                            if *sampling == Sampling::Log { 1 } else { 0 }
                        ));
                    }
                }
            }
            HyperParameter::Choice { values, .. } => {
                if values.is_empty() {
                    return err("a choice needs at least one value".into());
                }
            }
            HyperParameter::Boolean { .. } | HyperParameter::Fixed { .. } => {}
        }
        Ok(())
    }
}

/// The search algorithm and its budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Algorithm {
    /// `kt.Hyperband(max_epochs, factor, hyperband_iterations)`.
    Hyperband {
        max_epochs: usize,
        factor: usize,
        #[serde(default = "one_u")]
        hyperband_iterations: usize,
    },
    /// `kt.RandomSearch(max_trials)`, every trial trained for `epochs`.
    RandomSearch { max_trials: usize, epochs: usize },
}

fn one_u() -> usize {
    1
}
fn objective_default() -> Monitor {
    Monitor::ValAccuracy
}
fn batch_default() -> usize {
    512
}
fn split_default() -> f64 {
    0.2
}
fn seed_default() -> u64 {
    42
}
fn retrain_default() -> usize {
    10
}

/// A whole search: the space, the algorithm, how each trial trains. JSON file for
/// `lab tune --config`, and the state of the step 8 form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TunerConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub hyperparameters: Vec<HyperParameter>,
    pub algorithm: Algorithm,
    /// `val_accuracy` (maximized) or `val_loss` (minimized).
    #[serde(default = "objective_default")]
    pub objective: Monitor,
    #[serde(default = "batch_default")]
    pub batch_size: usize,
    #[serde(default = "split_default")]
    pub validation_split: f64,
    /// Seeds the sampling of configurations and every trial's training.
    #[serde(default = "seed_default")]
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<usize>,
    #[serde(default)]
    pub normalization: Normalization,
    /// Epochs of the "retrain best" run (seed 004: 10).
    #[serde(default = "retrain_default")]
    pub retrain_epochs: usize,
}

/// The hyperparameter names the MLP hypermodel reads; `{i}` is a layer index from 0.
pub const HYPERMODEL_NAMES: &str = "n_layers, units_{i}, l2_{i}, drop_{i}, lr, activation";

fn known_name(name: &str) -> bool {
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
    /// Seed 004's search: `n_layers` 1–3, `units_i` ∈ {128, 256}, `l2_i` log 1e-4…1e-2,
    /// `drop_i` 0…0.5 step 0.1, `lr` log 1e-4…1e-2; Hyperband max_epochs 5, factor 3.
    pub fn seed_004() -> Self {
        let mut hps = vec![HyperParameter::Int {
            name: "n_layers".into(),
            min_value: 1,
            max_value: 3,
            step: 1,
        }];
        for i in 0..3 {
            hps.push(HyperParameter::Choice {
                name: format!("units_{i}"),
                values: vec![HpValue::Int(128), HpValue::Int(256)],
            });
            hps.push(HyperParameter::Float {
                name: format!("l2_{i}"),
                min_value: 1e-4,
                max_value: 1e-2,
                step: None,
                sampling: Sampling::Log,
            });
            hps.push(HyperParameter::Float {
                name: format!("drop_{i}"),
                min_value: 0.0,
                max_value: 0.5,
                step: Some(0.1),
                sampling: Sampling::Linear,
            });
        }
        hps.push(HyperParameter::Float {
            name: "lr".into(),
            min_value: 1e-4,
            max_value: 1e-2,
            step: None,
            sampling: Sampling::Log,
        });
        Self {
            name: Some("seed 004: Fashion-MNIST MLP".into()),
            hyperparameters: hps,
            algorithm: Algorithm::Hyperband {
                max_epochs: 5,
                factor: 3,
                hyperband_iterations: 1,
            },
            objective: Monitor::ValAccuracy,
            batch_size: batch_default(),
            validation_split: split_default(),
            seed: seed_default(),
            subset: None,
            normalization: Normalization::Scale,
            retrain_epochs: retrain_default(),
        }
    }

    /// `max` for accuracy, `min` for loss.
    pub fn direction(&self) -> Mode {
        self.objective.resolve(Mode::Auto)
    }

    /// Whether `a` is a better score than `b`.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match self.direction() {
            Mode::Max => a > b,
            _ => a < b,
        }
    }

    /// The best scored trial of `trials` (the first one on ties).
    pub fn best_trial<'a>(&self, trials: &'a [Trial]) -> Option<&'a Trial> {
        let mut best: Option<&Trial> = None;
        for t in trials {
            if let Some(s) = t.score
                && best.is_none_or(|b| self.better(s, b.score.unwrap_or(f64::NAN)))
            {
                best = Some(t);
            }
        }
        best
    }

    /// The largest layer count the space allows.
    fn max_layers(&self) -> usize {
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
        let mut layers = Vec::new();
        for i in 0..n_layers as usize {
            let units = num(&format!("units_{i}"), 128.0)?;
            if !(units >= 1.0 && units.fract() == 0.0) {
                return Err(ConfigError::new(
                    format!("hyperparameters.units_{i}"),
                    format!("must be a whole number ≥ 1 (got {units})"),
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

    /// Checks the space, the algorithm and that the lowest and highest values build valid
    /// models. `available`: the number of training images, when known.
    pub fn validate(&self, available: Option<usize>) -> Result<(), ConfigError> {
        if self.hyperparameters.is_empty() {
            return Err(ConfigError::new(
                "hyperparameters",
                "the search space is empty",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, hp) in self.hyperparameters.iter().enumerate() {
            let field = if hp.name().trim().is_empty() {
                format!("hyperparameters[{i}]")
            } else {
                format!("hyperparameters.{}", hp.name())
            };
            hp.validate(&field)?;
            if !known_name(hp.name()) {
                return Err(ConfigError::new(
                    field,
                    format!(
                        "the MLP hypermodel does not use {:?}; it reads {HYPERMODEL_NAMES}",
                        hp.name()
                    ),
                ));
            }
            if !seen.insert(hp.name().to_string()) {
                return Err(ConfigError::new(field, "appears twice"));
            }
        }
        match self.algorithm {
            Algorithm::Hyperband {
                max_epochs,
                factor,
                hyperband_iterations,
            } => {
                if factor < 2 {
                    return Err(ConfigError::new(
                        "algorithm.factor",
                        format!("must be an integer ≥ 2 (got {factor})"),
                    ));
                }
                if !(1..=1000).contains(&max_epochs) {
                    return Err(ConfigError::new(
                        "algorithm.max_epochs",
                        format!("must be between 1 and 1000 (got {max_epochs})"),
                    ));
                }
                if !(1..=10).contains(&hyperband_iterations) {
                    return Err(ConfigError::new(
                        "algorithm.hyperband_iterations",
                        format!("must be between 1 and 10 (got {hyperband_iterations})"),
                    ));
                }
            }
            Algorithm::RandomSearch { max_trials, epochs } => {
                if !(1..=1000).contains(&max_trials) {
                    return Err(ConfigError::new(
                        "algorithm.max_trials",
                        format!("must be between 1 and 1000 (got {max_trials})"),
                    ));
                }
                if !(1..=1000).contains(&epochs) {
                    return Err(ConfigError::new(
                        "algorithm.epochs",
                        format!("must be between 1 and 1000 (got {epochs})"),
                    ));
                }
            }
        }
        if !matches!(self.objective, Monitor::ValAccuracy | Monitor::ValLoss) {
            return Err(ConfigError::new(
                "objective",
                format!(
                    "must be val_accuracy or val_loss (got {})",
                    self.objective.name()
                ),
            ));
        }
        if !(self.validation_split > 0.0 && self.validation_split < 1.0) {
            return Err(ConfigError::new(
                "validation_split",
                format!(
                    "must be in (0, 1): the objective is measured on validation data (got {})",
                    self.validation_split
                ),
            ));
        }
        if !(1..=1000).contains(&self.retrain_epochs) {
            return Err(ConfigError::new(
                "retrain_epochs",
                format!("must be between 1 and 1000 (got {})", self.retrain_epochs),
            ));
        }
        // Build the corner configurations: all lowest values, all highest, with every layer.
        for pick_last in [false, true] {
            let mut values = Values::new();
            for hp in &self.hyperparameters {
                let ends = hp.extremes();
                let v = if pick_last { ends.last() } else { ends.first() };
                if let Some(v) = v {
                    values.insert(hp.name().to_string(), v.clone());
                }
            }
            if pick_last {
                values.insert("n_layers".into(), HpValue::Int(self.max_layers() as i64));
            }
            self.training_config(&values, 1)?
                .validate(available)
                .map_err(|e| {
                    ConfigError::new(
                        e.field.clone(),
                        format!(
                            "{} (with the {} values of the space)",
                            e.message,
                            if pick_last { "highest" } else { "lowest" }
                        ),
                    )
                })?;
        }
        Ok(())
    }

    /// The number of distinct configurations, when the space is discrete (counting only active
    /// hyperparameters, like the duplicate check does).
    pub fn space_size(&self) -> Option<u128> {
        let layer_counts: Vec<usize> =
            match self.hyperparameters.iter().find(|h| h.name() == "n_layers") {
                Some(h) => h
                    .grid()?
                    .iter()
                    .filter_map(HpValue::as_f64)
                    .map(|v| v as usize)
                    .collect(),
                None => vec![1],
            };
        let mut total: u128 = 0;
        for n in layer_counts {
            let mut size: u128 = 1;
            for hp in &self.hyperparameters {
                if hp.name() == "n_layers" {
                    continue;
                }
                if layer_index(hp.name()).is_some_and(|i| i >= n) {
                    continue;
                }
                size = size.saturating_mul(hp.cardinality()? as u128);
            }
            total = total.saturating_add(size);
        }
        Some(total)
    }

    /// The schedule this config runs: Hyperband's brackets, or RandomSearch as one bracket of
    /// `max_trials` × `epochs`.
    pub fn plan(&self) -> Plan {
        match self.algorithm {
            Algorithm::Hyperband {
                max_epochs,
                factor,
                hyperband_iterations,
            } => hyperband_plan(max_epochs, factor, hyperband_iterations),
            Algorithm::RandomSearch { max_trials, epochs } => Plan {
                brackets: vec![BracketPlan {
                    bracket: 0,
                    rounds: vec![RoundPlan {
                        round: 0,
                        trials: max_trials,
                        epochs,
                    }],
                }],
                total_epochs: max_trials * epochs,
            },
        }
    }
}

/// One round of a bracket: how many trials, trained up to which epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundPlan {
    pub round: usize,
    pub trials: usize,
    pub epochs: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BracketPlan {
    pub bracket: usize,
    pub rounds: Vec<RoundPlan>,
}

/// The whole schedule, brackets in the order they run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub brackets: Vec<BracketPlan>,
    /// Epochs actually trained: a promoted trial only adds its new epochs.
    pub total_epochs: usize,
}

impl Plan {
    pub fn trials(&self) -> usize {
        self.brackets
            .iter()
            .flat_map(|b| &b.rounds)
            .map(|r| r.trials)
            .sum()
    }
}

/// Keras Tuner's Hyperband arithmetic (`keras_tuner/src/tuners/hyperband.py`), with the same
/// floating-point steps so that the sizes match it exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HyperbandMath {
    pub max_epochs: usize,
    pub factor: usize,
}

impl HyperbandMath {
    /// `_get_num_brackets`.
    pub fn num_brackets(&self) -> usize {
        // Keras Tuner refuses factor < 2; with it this loop would never end.
        if self.factor < 2 || self.max_epochs == 0 {
            return 0;
        }
        let mut epochs = self.max_epochs as f64;
        let mut brackets = 0;
        while epochs >= 1.0 {
            epochs /= self.factor as f64;
            brackets += 1;
        }
        brackets
    }

    /// `_get_num_rounds`.
    pub fn num_rounds(&self, bracket: usize) -> usize {
        bracket + 1
    }

    /// `_get_size`: trials in `round` of `bracket`.
    pub fn size(&self, bracket: usize, round: usize) -> usize {
        let log = (self.max_epochs as f64).ln() / (self.factor as f64).ln();
        let bracket0_end_size = (1.0 + log).ceil();
        let bracket_end_size = bracket0_end_size / (bracket + 1) as f64;
        (bracket_end_size * (self.factor as f64).powi((bracket - round) as i32)).ceil() as usize
    }

    /// `_get_epochs`: the epoch a trial of `round` of `bracket` trains up to.
    pub fn epochs(&self, bracket: usize, round: usize) -> usize {
        (self.max_epochs as f64 / (self.factor as f64).powi((bracket - round) as i32)).ceil()
            as usize
    }
}

/// The schedule of `kt.Hyperband(max_epochs, factor, hyperband_iterations)`: the most
/// aggressive bracket first.
pub fn hyperband_plan(max_epochs: usize, factor: usize, iterations: usize) -> Plan {
    let hb = HyperbandMath { max_epochs, factor };
    let mut brackets = Vec::new();
    let mut total = 0;
    for _ in 0..iterations {
        for bracket in (0..hb.num_brackets()).rev() {
            let rounds: Vec<RoundPlan> = (0..hb.num_rounds(bracket))
                .map(|round| RoundPlan {
                    round,
                    trials: hb.size(bracket, round),
                    epochs: hb.epochs(bracket, round),
                })
                .collect();
            let mut before = 0;
            for r in &rounds {
                total += r.trials * (r.epochs - before);
                before = r.epochs;
            }
            brackets.push(BracketPlan { bracket, rounds });
        }
    }
    Plan {
        brackets,
        total_epochs: total,
    }
}

/// How a trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialStatus {
    Running,
    Completed,
    /// Stopped by the learner; its epochs so far are kept but it is not scored.
    Stopped,
    /// NaN loss or a device error.
    Failed,
}

impl TrialStatus {
    pub fn name(&self) -> &'static str {
        match self {
            TrialStatus::Running => "running",
            TrialStatus::Completed => "completed",
            TrialStatus::Stopped => "stopped",
            TrialStatus::Failed => "failed",
        }
    }
}

/// One trial of a search, as the table shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// `"0000"`, `"0001"`, … as Keras Tuner numbers them.
    pub id: String,
    pub values: Values,
    pub bracket: usize,
    pub round: usize,
    /// The epoch it starts from (the parent's `epochs` for a promoted trial, else 0).
    pub initial_epoch: usize,
    /// The epoch it trains up to.
    pub epochs: usize,
    /// The trial whose weights it continues from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The best objective value over its epochs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Epoch (absolute) of the best objective value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_epoch: Option<usize>,
    pub status: TrialStatus,
    /// The epochs it trained, numbered from `initial_epoch + 1`.
    pub history: crate::events::History,
    pub seconds: f64,
}

impl Trial {
    /// The values that matter for this trial, in the space's order, as `name=value` text.
    pub fn describe(&self, config: &TunerConfig) -> String {
        config
            .hyperparameters
            .iter()
            .filter(|h| config.is_active(h.name(), &self.values))
            .filter_map(|h| {
                self.values
                    .get(h.name())
                    .map(|v| format!("{}={v}", h.name()))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The end of a search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSummary {
    pub trials: usize,
    pub best_trial: Option<String>,
    pub best_values: Option<Values>,
    pub best_score: Option<f64>,
    pub objective: String,
    /// Epochs trained over all trials.
    pub epochs_trained: usize,
    pub seconds: f64,
    /// Why it ended: "completed", "stopped" (by the learner), "exhausted" (every configuration
    /// of the space was tried) or "failed".
    pub reason: String,
}

/// Trials as CSV: id, bracket, round, epochs, status, score, then one column per
/// hyperparameter (empty where it does not apply).
pub fn trials_csv(config: &TunerConfig, trials: &[Trial]) -> String {
    let mut out = String::from("trial_id,bracket,round,initial_epoch,epochs,parent,status,score");
    for h in &config.hyperparameters {
        out.push(',');
        out.push_str(h.name());
    }
    out.push('\n');
    for t in trials {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}",
            t.id,
            t.bracket,
            t.round,
            t.initial_epoch,
            t.epochs,
            t.parent.clone().unwrap_or_default(),
            t.status.name(),
            t.score.map(|s| s.to_string()).unwrap_or_default()
        ));
        for h in &config.hyperparameters {
            out.push(',');
            if config.is_active(h.name(), &t.values)
                && let Some(v) = t.values.get(h.name())
            {
                match v {
                    HpValue::Text(s) => out.push_str(s),
                    HpValue::Float(f) => out.push_str(&f.to_string()),
                    other => out.push_str(&other.to_string()),
                }
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_space_is_valid_and_builds_the_seed_model() {
        let c = TunerConfig::seed_004();
        c.validate(Some(60_000)).unwrap();
        let mut v = Values::new();
        v.insert("n_layers".into(), HpValue::Int(2));
        v.insert("units_0".into(), HpValue::Int(256));
        v.insert("l2_0".into(), HpValue::Float(1e-3));
        v.insert("drop_0".into(), HpValue::Float(0.5));
        v.insert("units_1".into(), HpValue::Int(128));
        v.insert("drop_1".into(), HpValue::Float(0.0));
        v.insert("units_2".into(), HpValue::Int(256));
        v.insert("lr".into(), HpValue::Float(3e-4));
        let t = c.training_config(&v, 5).unwrap();
        assert_eq!(
            t.model.layers.len(),
            3,
            "dense, dropout, dense: units_2 unused"
        );
        assert_eq!(t.optimizer.learning_rate(), 3e-4);
        assert_eq!(t.batch_size, 512);
        let s = t.model.summary().unwrap();
        assert_eq!(
            s.total_params,
            784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
        );
    }

    #[test]
    fn grids_follow_keras_tuner() {
        let drop = HyperParameter::Float {
            name: "d".into(),
            min_value: 0.0,
            max_value: 0.5,
            step: Some(0.1),
            sampling: Sampling::Linear,
        };
        let g: Vec<f64> = drop
            .grid()
            .unwrap()
            .iter()
            .filter_map(HpValue::as_f64)
            .collect();
        assert_eq!(g, vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]);
        let int = HyperParameter::Int {
            name: "n".into(),
            min_value: 1,
            max_value: 3,
            step: 1,
        };
        assert_eq!(int.cardinality(), Some(3));
        assert_eq!(int.value_at(0.0), HpValue::Int(1));
        assert_eq!(int.value_at(0.999), HpValue::Int(3));
        let lr = HyperParameter::Float {
            name: "lr".into(),
            min_value: 1e-4,
            max_value: 1e-2,
            step: None,
            sampling: Sampling::Log,
        };
        let mid = lr.value_at(0.5).as_f64().unwrap();
        assert!(
            (mid - 1e-3).abs() < 1e-12,
            "log sampling: the middle is 1e-3, got {mid}"
        );
    }

    #[test]
    fn bad_spaces_name_the_field() {
        let mut c = TunerConfig::seed_004();
        c.hyperparameters[0] = HyperParameter::Int {
            name: "n_layers".into(),
            min_value: 3,
            max_value: 1,
            step: 1,
        };
        let e = c.validate(None).unwrap_err();
        assert_eq!(e.field, "hyperparameters.n_layers");
        assert!(e.message.contains("inverted"), "{e}");
        let mut c = TunerConfig::seed_004();
        c.algorithm = Algorithm::Hyperband {
            max_epochs: 5,
            factor: 1,
            hyperband_iterations: 1,
        };
        assert_eq!(c.validate(None).unwrap_err().field, "algorithm.factor");
        let mut c = TunerConfig::seed_004();
        c.algorithm = Algorithm::Hyperband {
            max_epochs: 0,
            factor: 3,
            hyperband_iterations: 1,
        };
        assert_eq!(c.validate(None).unwrap_err().field, "algorithm.max_epochs");
        let mut c = TunerConfig::seed_004();
        c.hyperparameters.push(HyperParameter::Choice {
            name: "units_9".into(),
            values: vec![],
        });
        assert!(
            c.validate(None)
                .unwrap_err()
                .message
                .contains("at least one")
        );
        let mut c = TunerConfig::seed_004();
        c.hyperparameters.push(HyperParameter::Boolean {
            name: "momentum".into(),
        });
        assert!(
            c.validate(None)
                .unwrap_err()
                .message
                .contains("does not use")
        );
        let mut c = TunerConfig::seed_004();
        c.hyperparameters[1] = HyperParameter::Choice {
            name: "units_0".into(),
            values: vec![HpValue::Int(0)],
        };
        let e = c.validate(None).unwrap_err();
        assert!(e.field.contains("units"), "{e}");
    }

    #[test]
    fn seed_space_size_counts_active_values_only() {
        let mut c = TunerConfig::seed_004();
        // Make every float discrete to count: lr and l2 fixed.
        for h in &mut c.hyperparameters {
            if h.name() == "lr" || h.name().starts_with("l2_") {
                *h = HyperParameter::Fixed {
                    name: h.name().to_string(),
                    value: HpValue::Float(1e-3),
                };
            }
        }
        // n_layers=1: 2·6; 2: (2·6)²; 3: (2·6)³.
        assert_eq!(c.space_size(), Some(12 + 144 + 1728));
        assert_eq!(TunerConfig::seed_004().space_size(), None);
    }

    #[test]
    fn plan_of_an_invalid_schedule_is_empty() {
        assert_eq!(hyperband_plan(5, 1, 1).trials(), 0);
        assert_eq!(hyperband_plan(0, 3, 1).trials(), 0);
    }

    #[test]
    fn plan_of_the_seed() {
        let p = hyperband_plan(5, 3, 1);
        let shape: Vec<Vec<(usize, usize)>> = p
            .brackets
            .iter()
            .map(|b| b.rounds.iter().map(|r| (r.trials, r.epochs)).collect())
            .collect();
        assert_eq!(shape, vec![vec![(5, 2), (2, 5)], vec![(3, 5)]]);
        assert_eq!(p.total_epochs, 5 * 2 + 2 * 3 + 3 * 5);
    }

    #[test]
    fn csv_has_a_column_per_hyperparameter() {
        let c = TunerConfig::seed_004();
        let mut values = Values::new();
        values.insert("n_layers".into(), HpValue::Int(1));
        values.insert("units_1".into(), HpValue::Int(256));
        let t = Trial {
            id: "0000".into(),
            values,
            bracket: 1,
            round: 0,
            initial_epoch: 0,
            epochs: 2,
            parent: None,
            score: Some(0.8),
            best_epoch: Some(2),
            status: TrialStatus::Completed,
            history: Default::default(),
            seconds: 1.0,
        };
        let csv = trials_csv(&c, &[t]);
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(header.len(), row.len());
        assert_eq!(row[0], "0000");
        let units_1 = header.iter().position(|h| *h == "units_1").unwrap();
        assert_eq!(row[units_1], "", "inactive with n_layers=1");
    }
}

#[cfg(test)]
mod file_tests {
    #[test]
    fn configs_tune_json_is_the_seed_search() {
        let c: super::TunerConfig =
            serde_json::from_str(include_str!("../../../configs/tune.json")).unwrap();
        assert_eq!(c, super::TunerConfig::seed_004());
    }
}
