//! A whole search as the learner sets it up: the space, the algorithm and its budget, how each
//! trial trains; its validation and the schedule it runs.

use serde::{Deserialize, Serialize};

use super::hyperband::{BracketPlan, Plan, RoundPlan, hyperband_plan};
use super::hypermodel::Hypermodel;
use super::space::{HpValue, HyperParameter, Sampling, Values};
use super::trials::Trial;
use crate::dataset::DatasetKind;
use crate::error::ConfigError;
use crate::limits::{MAX_EPOCHS, MAX_SEED, seed_message};
use crate::objective::Objective;
use crate::text::VectorizerConfig;
use crate::training::{Mode, Monitor, Normalization};

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
    /// The data set every trial trains on; absent in JSON for Fashion-MNIST.
    #[serde(default, skip_serializing_if = "DatasetKind::is_fashion_mnist")]
    pub dataset: DatasetKind,
    /// How reviews become features (IMDB only; absent means seed 004's settings there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vectorizer: Option<VectorizerConfig>,
    /// Keras' `class_weight` of every trial (seed 004 passes its class weights on IMDB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<Vec<f64>>,
    /// The model each trial builds: seed 004's MLP (absent in JSON) or a small CNN.
    #[serde(default, skip_serializing_if = "Hypermodel::is_mlp")]
    pub hypermodel: Hypermodel,
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
            dataset: DatasetKind::FashionMnist,
            vectorizer: None,
            class_weight: None,
            hypermodel: Hypermodel::Mlp,
        }
    }

    /// Seed 004's IMDB search: `n_layers` 1–3, `units_i` ∈ {64, 128, 256}, `l2_i` log
    /// 1e-4…1e-2, `drop_i` 0…0.5 step 0.1, `lr` log 1e-4…1e-2; Hyperband max_epochs 5,
    /// factor 3; batch 512, the TF-IDF vectorizer and class weights of seed 004.
    pub fn seed_004_imdb() -> Self {
        let mut c = Self::seed_004();
        for hp in &mut c.hyperparameters {
            if let HyperParameter::Choice { name, values } = hp
                && name.starts_with("units_")
            {
                *values = vec![HpValue::Int(64), HpValue::Int(128), HpValue::Int(256)];
            }
        }
        c.name = Some("seed 004: IMDB reviews MLP".into());
        c.dataset = DatasetKind::Imdb;
        c.vectorizer = Some(VectorizerConfig::default());
        c.class_weight = Some(crate::binary::class_weights_from_counts(
            &crate::binary::IMDB_TRAIN_COUNTS,
        ));
        c
    }

    /// The vectorizer of an IMDB search: the config's, or seed 004's when it names none.
    pub fn vectorizer(&self) -> VectorizerConfig {
        self.vectorizer.unwrap_or_default()
    }

    /// What the search optimizes: `val_accuracy` maximized, `val_loss` minimized.
    pub fn objective(&self) -> Objective {
        Objective::new(self.objective, Mode::Auto)
    }

    /// The best scored trial of `trials` (the first one on ties).
    pub fn best_trial<'a>(&self, trials: &'a [Trial]) -> Option<&'a Trial> {
        self.objective()
            .best_by(trials.iter().map(|t| t.score))
            .map(|(i, _)| &trials[i])
    }

    /// Checks the space, the algorithm, the seed, and that the lowest and highest values build
    /// valid models within the lab's limits. `available`: the number of training images, when
    /// known. Nothing in it can overflow or panic, whatever the config holds.
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
            if !self.hypermodel.known_name(hp.name()) {
                return Err(ConfigError::new(
                    field,
                    format!(
                        "the {} hypermodel does not use {:?}; it reads {}",
                        self.hypermodel.label(),
                        hp.name(),
                        self.hypermodel.names()
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
                if !(1..=MAX_EPOCHS).contains(&max_epochs) {
                    return Err(ConfigError::new(
                        "algorithm.max_epochs",
                        format!("must be between 1 and {MAX_EPOCHS} (got {max_epochs})"),
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
                if !(1..=MAX_EPOCHS).contains(&epochs) {
                    return Err(ConfigError::new(
                        "algorithm.epochs",
                        format!("must be between 1 and {MAX_EPOCHS} (got {epochs})"),
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
        if !(1..=MAX_EPOCHS).contains(&self.retrain_epochs) {
            return Err(ConfigError::new(
                "retrain_epochs",
                format!(
                    "must be between 1 and {MAX_EPOCHS} (got {})",
                    self.retrain_epochs
                ),
            ));
        }
        // Trial i trains with seed + i: every one of those must stay a browser-exact number.
        let trials = self.plan().trials() as u64;
        let max_seed = MAX_SEED.saturating_sub(trials);
        if self.seed > max_seed {
            return Err(ConfigError::new(
                "seed",
                if self.seed > MAX_SEED {
                    seed_message(&self.seed.to_string())
                } else {
                    format!(
                        "must be at most {max_seed}: trial i trains with seed + i, and each of the {trials} trials' seeds must stay within {MAX_SEED} (2^53 − 1), the largest whole number a browser carries exactly (got {})",
                        self.seed
                    )
                },
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
                let n = i64::try_from(self.max_layers()).unwrap_or(i64::MAX);
                values.insert(self.hypermodel.count_name().into(), HpValue::Int(n));
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
        let count = self.hypermodel.count_name();
        let layer_counts: Vec<usize> = match self.hyperparameters.iter().find(|h| h.name() == count)
        {
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
                if hp.name() == count {
                    continue;
                }
                if self
                    .hypermodel
                    .block_index(hp.name())
                    .is_some_and(|i| i >= n)
                {
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
                total_epochs: max_trials.saturating_mul(epochs),
            },
        }
    }
}
