//! Training configs: the model, optimizer, batch size, epochs, validation split,
//! normalization, callbacks, and their validation. Defaults are Keras' where Keras has one.

use serde::{Deserialize, Serialize};

use crate::callbacks::yes;
pub use crate::callbacks::{
    CallbacksConfig, EarlyStoppingConfig, Mode, ModelCheckpointConfig, Monitor,
    ReduceLrOnPlateauConfig,
};
use crate::dataset::DatasetKind;
use crate::error::ConfigError;
use crate::limits::{MAX_EPOCHS, check_activation_memory, check_seed};
use crate::model::{Head, InputKind, ModelSpec};
pub use crate::optimizer::OptimizerConfig;
use crate::text::VectorizerConfig;

/// Pixel scaling before the model sees the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// `x / 255`, into [0, 1] (seed 004's choice).
    #[default]
    Scale,
    /// Per-pixel `(x − mean) / std`, with the statistics of the training split only.
    Standardize,
}

fn batch_default() -> usize {
    32
}
fn epochs_default() -> usize {
    5
}
fn split_default() -> f64 {
    0.2
}
fn seed_default() -> u64 {
    42
}
fn threshold_default() -> f64 {
    0.5
}
fn is_threshold_default(t: &f64) -> bool {
    *t == threshold_default()
}

/// Everything one training run needs besides the data and the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The data set; absent in JSON for Fashion-MNIST.
    #[serde(default, skip_serializing_if = "DatasetKind::is_fashion_mnist")]
    pub dataset: DatasetKind,
    /// How reviews become features (IMDB only; absent means seed 004's settings there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vectorizer: Option<VectorizerConfig>,
    pub model: ModelSpec,
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    #[serde(default = "batch_default")]
    pub batch_size: usize,
    #[serde(default = "epochs_default")]
    pub epochs: usize,
    /// Fraction of the training data held out for validation (Keras' `validation_split`).
    #[serde(default = "split_default")]
    pub validation_split: f64,
    /// Seeds weight initialization, dropout, shuffling and the validation split.
    #[serde(default = "seed_default")]
    pub seed: u64,
    #[serde(default = "yes")]
    pub shuffle: bool,
    #[serde(default)]
    pub normalization: Normalization,
    /// Train on a stratified subset of this many training images (before the validation split).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<usize>,
    /// Keras' `class_weight`: one weight per class (10, or 2 for a binary task), scaling each
    /// sample's loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<Vec<f64>>,
    #[serde(default)]
    pub callbacks: CallbacksConfig,
    /// The decision threshold of a binary task (the sigmoid head): a sample counts as positive
    /// when the model's probability of the positive class is above it. 0.5 by default (Keras'
    /// `binary_accuracy`); absent from JSON then. Accuracy, precision, recall, F1 and the
    /// confusion matrix follow it. Ignored for the softmax head (the largest probability wins).
    #[serde(
        default = "threshold_default",
        skip_serializing_if = "is_threshold_default"
    )]
    pub threshold: f64,
}

impl TrainingConfig {
    pub fn new(model: ModelSpec) -> Self {
        Self {
            name: None,
            dataset: DatasetKind::FashionMnist,
            vectorizer: None,
            model,
            optimizer: OptimizerConfig::default(),
            batch_size: batch_default(),
            epochs: epochs_default(),
            validation_split: split_default(),
            seed: seed_default(),
            shuffle: true,
            normalization: Normalization::Scale,
            subset: None,
            class_weight: None,
            callbacks: CallbacksConfig::default(),
            threshold: threshold_default(),
        }
    }

    /// The vectorizer of an IMDB run: the config's, or seed 004's when it names none.
    pub fn vectorizer(&self) -> VectorizerConfig {
        self.vectorizer.unwrap_or_default()
    }

    /// Checks that the data set, the vectorizer and the model's input and head belong
    /// together: IMDB needs `{"features": vectorizer.max_features}` input and the sigmoid
    /// head; Fashion-MNIST needs image input (flat or not) and the softmax head.
    pub fn check_task(&self) -> Result<(), ConfigError> {
        let model = &self.model;
        match self.dataset {
            DatasetKind::Imdb => {
                let vectorizer = self.vectorizer();
                vectorizer.validate()?;
                let n = vectorizer.max_features;
                if model.input != InputKind::Features(n) {
                    return Err(ConfigError::new(
                        "model.input",
                        format!(
                            "IMDB reviews enter the model as the vectorizer's {n} features: \
                             set \"input\": {{\"features\": {n}}}"
                        ),
                    ));
                }
                if model.head != Head::Sigmoid {
                    return Err(ConfigError::new(
                        "model.head",
                        "IMDB is a binary task (negative or positive): set \"head\": \"sigmoid\", \
                         one output unit",
                    ));
                }
                if self.normalization != Normalization::Scale {
                    return Err(ConfigError::new(
                        "normalization",
                        "applies to images only: TF-IDF features are already normalized",
                    ));
                }
            }
            DatasetKind::FashionMnist => {
                if self.vectorizer.is_some() {
                    return Err(ConfigError::new(
                        "vectorizer",
                        "applies to IMDB reviews only (set \"dataset\": \"imdb\")",
                    ));
                }
                if let InputKind::Features(_) = model.input {
                    return Err(ConfigError::new(
                        "model.input",
                        "Fashion-MNIST images enter as \"flat\" (784 features) or \"image\" (28×28)",
                    ));
                }
                if model.head != Head::Softmax {
                    return Err(ConfigError::new(
                        "model.head",
                        "Fashion-MNIST has ten classes: the model needs the softmax head",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The number of training samples left after the subset and the validation split.
    pub fn train_samples(&self, available: usize) -> usize {
        let n = self.subset.map_or(available, |s| s.min(available));
        n.saturating_sub((self.validation_split * n as f64).round() as usize)
    }

    /// Checks every field. `available` is the number of training images, when known: the batch
    /// size may not exceed what is left for training. The lab's limits
    /// ([`crate::limits`]: layers, parameters, a batch's memory, epochs, the seed) are
    /// checked here too; nothing in it can overflow or panic, whatever the config holds.
    pub fn validate(&self, available: Option<usize>) -> Result<(), ConfigError> {
        let summary = self.model.summary()?;
        self.check_task()?;
        self.optimizer.validate()?;
        if self.epochs == 0 || self.epochs > MAX_EPOCHS {
            return Err(ConfigError::new(
                "epochs",
                format!("must be between 1 and {MAX_EPOCHS} (got {})", self.epochs),
            ));
        }
        check_seed("seed", self.seed)?;
        if !(self.validation_split.is_finite() && (0.0..1.0).contains(&self.validation_split)) {
            return Err(ConfigError::new(
                "validation_split",
                format!("must be in [0, 1) (got {})", self.validation_split),
            ));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(ConfigError::new(
                "threshold",
                format!(
                    "must be between 0 and 1, exclusive (got {})",
                    self.threshold
                ),
            ));
        }
        if self.subset == Some(0) {
            return Err(ConfigError::new("subset", "must be at least 1 (got 0)"));
        }
        if self.batch_size == 0 {
            return Err(ConfigError::new("batch_size", "must be at least 1 (got 0)"));
        }
        if let Some(available) = available {
            let n = self.train_samples(available);
            if self.batch_size > n {
                return Err(ConfigError::new(
                    "batch_size",
                    format!(
                        "{} is larger than the {n} training samples",
                        self.batch_size
                    ),
                ));
            }
        }
        check_activation_memory(
            &summary,
            self.model.input_shape().features(),
            self.batch_size,
        )?;
        if let Some(w) = &self.class_weight {
            let classes = self.model.head.classes();
            if w.len() != classes {
                return Err(ConfigError::new(
                    "class_weight",
                    format!("needs {classes} weights, one per class (got {})", w.len()),
                ));
            }
            if let Some((i, v)) = w
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(ConfigError::new(
                    format!("class_weight[{i}]"),
                    format!("must be a finite number ≥ 0 (got {v})"),
                ));
            }
        }
        let needs_val = |m: Monitor| matches!(m, Monitor::ValLoss | Monitor::ValAccuracy);
        let cb = &self.callbacks;
        let mut monitors = Vec::new();
        if let Some(es) = &cb.early_stopping {
            if !(es.min_delta.is_finite() && es.min_delta >= 0.0) {
                return Err(ConfigError::new(
                    "callbacks.early_stopping.min_delta",
                    format!("must be a number ≥ 0 (got {})", es.min_delta),
                ));
            }
            monitors.push(("callbacks.early_stopping.monitor", es.monitor));
        }
        if let Some(mc) = &cb.model_checkpoint {
            monitors.push(("callbacks.model_checkpoint.monitor", mc.monitor));
        }
        if let Some(rl) = &cb.reduce_lr_on_plateau {
            if !(rl.factor.is_finite() && rl.factor > 0.0 && rl.factor < 1.0) {
                return Err(ConfigError::new(
                    "callbacks.reduce_lr_on_plateau.factor",
                    format!("must be in (0, 1) (got {})", rl.factor),
                ));
            }
            if !(rl.min_lr.is_finite() && rl.min_lr >= 0.0) {
                return Err(ConfigError::new(
                    "callbacks.reduce_lr_on_plateau.min_lr",
                    format!("must be a number ≥ 0 (got {})", rl.min_lr),
                ));
            }
            if !(rl.min_delta.is_finite() && rl.min_delta >= 0.0) {
                return Err(ConfigError::new(
                    "callbacks.reduce_lr_on_plateau.min_delta",
                    format!("must be a number ≥ 0 (got {})", rl.min_delta),
                ));
            }
            monitors.push(("callbacks.reduce_lr_on_plateau.monitor", rl.monitor));
        }
        if self.validation_split == 0.0
            && let Some((field, m)) = monitors.into_iter().find(|(_, m)| needs_val(*m))
        {
            return Err(ConfigError::new(
                field,
                format!("monitors {} but validation_split is 0", m.name()),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_defaults() {
        let c: TrainingConfig = serde_json::from_str(r#"{"model": {}}"#).unwrap();
        assert_eq!(c.batch_size, 32);
        assert_eq!(c.validation_split, 0.2);
        assert_eq!(c.optimizer, OptimizerConfig::adam(0.001));
        assert!(c.callbacks.terminate_on_nan);
        let o: OptimizerConfig = serde_json::from_str(r#"{"type": "rmsprop"}"#).unwrap();
        assert_eq!(
            o,
            OptimizerConfig::RmsProp {
                learning_rate: 0.001,
                rho: 0.9,
                momentum: 0.0,
                epsilon: 1e-7,
                centered: false
            }
        );
        let o: OptimizerConfig = serde_json::from_str(r#"{"type": "sgd"}"#).unwrap();
        assert_eq!(o.learning_rate(), 0.01);
        let rl = ReduceLrOnPlateauConfig::default();
        assert_eq!((rl.factor, rl.patience, rl.min_delta), (0.1, 10, 1e-4));
        assert_eq!(Monitor::ValAccuracy.resolve(Mode::Auto), Mode::Max);
        assert_eq!(Monitor::ValLoss.resolve(Mode::Auto), Mode::Min);
    }

    #[test]
    fn invalid_values_name_their_field() {
        let base = TrainingConfig::new(ModelSpec::mlp(&[16]));
        let field = |c: &TrainingConfig| c.validate(Some(1000)).unwrap_err().field;
        let mut c = base.clone();
        c.optimizer = OptimizerConfig::adam(-0.1);
        assert_eq!(field(&c), "optimizer.learning_rate");
        let mut c = base.clone();
        c.batch_size = 0;
        assert_eq!(field(&c), "batch_size");
        c.batch_size = 801;
        let err = c.validate(Some(1000)).unwrap_err();
        assert_eq!(err.field, "batch_size");
        assert!(err.message.contains("800 training samples"), "{err}");
        c.batch_size = 800;
        assert!(c.validate(Some(1000)).is_ok());
        let mut c = base.clone();
        c.epochs = 0;
        assert_eq!(field(&c), "epochs");
        let mut c = base.clone();
        c.validation_split = 1.0;
        assert_eq!(field(&c), "validation_split");
        let mut c = base.clone();
        c.class_weight = Some(vec![1.0; 3]);
        assert_eq!(field(&c), "class_weight");
        let mut c = base.clone();
        c.callbacks.reduce_lr_on_plateau = Some(ReduceLrOnPlateauConfig {
            factor: 1.5,
            ..Default::default()
        });
        assert_eq!(field(&c), "callbacks.reduce_lr_on_plateau.factor");
        let mut c = base.clone();
        c.validation_split = 0.0;
        c.callbacks.early_stopping = Some(EarlyStoppingConfig::default());
        assert_eq!(field(&c), "callbacks.early_stopping.monitor");
        let mut c = base;
        c.model
            .layers
            .push(crate::model::LayerSpec::Dropout { rate: 1.5 });
        assert_eq!(field(&c), "model.layers[1].rate");
    }

    #[test]
    fn seeds_must_cross_to_the_browser_exactly() {
        let mut c = TrainingConfig::new(ModelSpec::mlp(&[16]));
        c.seed = (1 << 53) - 1;
        assert!(c.validate(None).is_ok());
        c.seed = 1 << 53;
        let err = c.validate(None).unwrap_err();
        assert_eq!(err.field, "seed");
        assert_eq!(
            err.to_string(),
            "seed: must be at most 9007199254740991 (2^53 − 1), the largest whole number a \
             browser carries exactly (got 9007199254740992)"
        );
        c.seed = u64::MAX;
        assert_eq!(c.validate(None).unwrap_err().field, "seed");
    }

    #[test]
    fn a_batch_past_the_memory_budget_names_batch_size() {
        let mut c = TrainingConfig::new(ModelSpec {
            input: crate::model::InputKind::Image,
            layers: vec![
                crate::model::LayerSpec::Conv2D {
                    filters: 64,
                    kernel_size: 3,
                    strides: 1,
                    padding: crate::model::Padding::Same,
                    activation: crate::model::Activation::Relu,
                    kernel_regularizer: None,
                },
                crate::model::LayerSpec::Flatten {},
            ],
            head_regularizer: None,
            head: crate::model::Head::Softmax,
        });
        // (784 + 2 × 50,176 + 10) values per image × 4 bytes × 3 = 1.21 MB.
        c.batch_size = 512;
        assert!(c.validate(None).is_ok(), "622 MB");
        c.batch_size = 1024;
        let err = c.validate(None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "batch_size: this model needs 1.2 GB per batch of 1,024; the lab allows 1 GB — \
             lower batch_size or the layer sizes"
        );
        c.batch_size = usize::MAX;
        assert_eq!(c.validate(None).unwrap_err().field, "batch_size");
    }

    #[test]
    fn out_of_range_training_knobs_say_their_limit() {
        let base = TrainingConfig::new(ModelSpec::mlp(&[16]));
        let message = |c: &TrainingConfig| c.validate(None).unwrap_err().to_string();
        let mut c = base.clone();
        c.epochs = 1001;
        assert_eq!(message(&c), "epochs: must be between 1 and 1000 (got 1001)");
        c.epochs = 1000;
        assert!(c.validate(None).is_ok());
        let mut c = base.clone();
        c.optimizer = OptimizerConfig::adam(1e308);
        assert_eq!(
            message(&c),
            "optimizer.learning_rate: must be a number in (0, 10] (got 1e308)"
        );
        let mut c = base;
        c.model = ModelSpec::mlp(&[4_294_967_295]);
        assert_eq!(
            message(&c),
            "model.layers[0].units: at most 4096 units fit a browser lab (got 4294967295)"
        );
    }

    #[test]
    fn a_threshold_outside_zero_one_names_threshold() {
        let base = TrainingConfig::new(ModelSpec::mlp(&[16]));
        for t in [0.0, 1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            let mut c = base.clone();
            c.threshold = t;
            let err = c.validate(None).unwrap_err();
            assert_eq!(err.field, "threshold", "{t}");
            assert!(err.message.contains("between 0 and 1"), "{err}");
        }
        let mut c = base;
        c.threshold = 1.5;
        assert_eq!(
            c.validate(None).unwrap_err().to_string(),
            "threshold: must be between 0 and 1, exclusive (got 1.5)"
        );
        for t in [0.001, 0.5, 0.7, 0.999] {
            c.threshold = t;
            assert!(c.validate(None).is_ok(), "{t}");
        }
    }

    #[test]
    fn the_default_threshold_is_absent_from_json() {
        let c: TrainingConfig = serde_json::from_str(r#"{"model": {}}"#).unwrap();
        assert_eq!(c.threshold, 0.5);
        let json = serde_json::to_string(&c).unwrap();
        assert!(!json.contains("threshold"), "{json}");
        let c: TrainingConfig = serde_json::from_str(r#"{"model": {}, "threshold": 0.6}"#).unwrap();
        assert_eq!(c.threshold, 0.6);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""threshold":0.6"#), "{json}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<TrainingConfig>(r#"{"model": {}, "epoch": 3}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("epoch"), "{err}");
    }
}
