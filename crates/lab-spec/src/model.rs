//! Model specs: the layers a learner stacks, as plain data. A spec is what a form edits, a URL
//! carries and a JSON file holds; the engine builds a burn model from it.

use serde::{Deserialize, Serialize};

pub use crate::summary::{Shape, Summary, SummaryRow, group};

/// Number of classes of the softmax head every model ends with.
pub use crate::dataset::NUM_CLASSES;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    #[default]
    Linear,
}

impl Activation {
    /// Parses Keras' name (`"relu"`, `"tanh"`, `"sigmoid"`, `"linear"`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "relu" => Some(Self::Relu),
            "tanh" => Some(Self::Tanh),
            "sigmoid" => Some(Self::Sigmoid),
            "linear" => Some(Self::Linear),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    #[default]
    Valid,
    Same,
}

/// How the data enters the model: images flattened to 784 features, images as one 28×28
/// channel, or `n` features of a text vectorizer (JSON `{"features": 10000}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    #[default]
    Flat,
    Image,
    Features(usize),
}

/// The output layer every model ends with: `Dense(10, softmax)` for the ten clothing classes,
/// or `Dense(1, sigmoid)` for a binary task (a review positive or not). Its activation lives
/// in the loss (the numerically safe form).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Head {
    #[default]
    Softmax,
    Sigmoid,
}

impl Head {
    /// The head's units: 10 or 1.
    pub fn units(self) -> usize {
        match self {
            Head::Softmax => NUM_CLASSES,
            Head::Sigmoid => 1,
        }
    }

    /// The number of classes it tells apart: 10 or 2.
    pub fn classes(self) -> usize {
        match self {
            Head::Softmax => NUM_CLASSES,
            Head::Sigmoid => 2,
        }
    }

    pub fn is_softmax(&self) -> bool {
        *self == Head::Softmax
    }

    /// Keras' name of the activation (`"softmax"`, `"sigmoid"`).
    pub fn activation_name(self) -> &'static str {
        match self {
            Head::Softmax => "softmax",
            Head::Sigmoid => "sigmoid",
        }
    }
}

/// Keras' kernel regularizers: `l1` is `L1(l1)`, `l2` is `L2(l2)`, both is `L1L2(l1, l2)`.
/// The penalty `l1·Σ|w| + l2·Σw²` over the layer's kernel is added to the loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Regularizer {
    #[serde(default)]
    pub l1: f64,
    #[serde(default)]
    pub l2: f64,
}

impl Regularizer {
    pub fn is_active(&self) -> bool {
        self.l1 != 0.0 || self.l2 != 0.0
    }
}

fn default_pool() -> usize {
    2
}
fn one() -> usize {
    1
}

/// One layer of the stack. JSON: `{"type": "dense", "units": 256, "activation": "relu"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum LayerSpec {
    Dense {
        units: usize,
        #[serde(default)]
        activation: Activation,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_regularizer: Option<Regularizer>,
    },
    Dropout {
        rate: f64,
    },
    #[serde(rename = "batchnorm")]
    BatchNorm {},
    #[serde(rename = "conv2d")]
    Conv2D {
        filters: usize,
        kernel_size: usize,
        #[serde(default = "one")]
        strides: usize,
        #[serde(default)]
        padding: Padding,
        #[serde(default)]
        activation: Activation,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_regularizer: Option<Regularizer>,
    },
    #[serde(rename = "maxpool2d")]
    MaxPool2D {
        #[serde(default = "default_pool")]
        pool_size: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strides: Option<usize>,
    },
    Flatten {},
}

impl LayerSpec {
    /// Keras' class name, as a summary shows it.
    pub fn keras_name(&self) -> &'static str {
        match self {
            LayerSpec::Dense { .. } => "Dense",
            LayerSpec::Dropout { .. } => "Dropout",
            LayerSpec::BatchNorm {} => "BatchNormalization",
            LayerSpec::Conv2D { .. } => "Conv2D",
            LayerSpec::MaxPool2D { .. } => "MaxPooling2D",
            LayerSpec::Flatten {} => "Flatten",
        }
    }

    pub(crate) fn base_name(&self) -> &'static str {
        match self {
            LayerSpec::Dense { .. } => "dense",
            LayerSpec::Dropout { .. } => "dropout",
            LayerSpec::BatchNorm {} => "batch_normalization",
            LayerSpec::Conv2D { .. } => "conv2d",
            LayerSpec::MaxPool2D { .. } => "max_pooling2d",
            LayerSpec::Flatten {} => "flatten",
        }
    }

    pub fn kernel_regularizer(&self) -> Option<Regularizer> {
        match self {
            LayerSpec::Dense {
                kernel_regularizer, ..
            }
            | LayerSpec::Conv2D {
                kernel_regularizer, ..
            } => kernel_regularizer.filter(Regularizer::is_active),
            _ => None,
        }
    }
}

/// A model: the hidden layers, then a `Dense(10, softmax)` head (or `Dense(1, sigmoid)`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    #[serde(default)]
    pub input: InputKind,
    #[serde(default)]
    pub layers: Vec<LayerSpec>,
    /// Kernel regularizer of the head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_regularizer: Option<Regularizer>,
    /// The output layer; absent in JSON for the softmax head.
    #[serde(default, skip_serializing_if = "Head::is_softmax")]
    pub head: Head,
}

impl ModelSpec {
    /// Seed 004's baseline: a single `Dense(10, softmax)`.
    pub fn baseline() -> Self {
        Self::default()
    }

    /// The benchmark CNN: two 3×3 ReLU convolutions with 2×2 max pooling, then Dense(128).
    pub fn small_cnn() -> Self {
        let conv = |filters| LayerSpec::Conv2D {
            filters,
            kernel_size: 3,
            strides: 1,
            padding: Padding::Valid,
            activation: Activation::Relu,
            kernel_regularizer: None,
        };
        let pool = || LayerSpec::MaxPool2D {
            pool_size: 2,
            strides: None,
        };
        Self {
            input: InputKind::Image,
            layers: vec![
                conv(32),
                pool(),
                conv(64),
                pool(),
                LayerSpec::Flatten {},
                LayerSpec::Dense {
                    units: 128,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
            ],
            head_regularizer: None,
            head: Head::Softmax,
        }
    }

    /// A multi-layer perceptron with the given hidden widths (ReLU).
    pub fn mlp(hidden: &[usize]) -> Self {
        Self {
            input: InputKind::Flat,
            layers: hidden
                .iter()
                .map(|&units| LayerSpec::Dense {
                    units,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                })
                .collect(),
            head_regularizer: None,
            head: Head::Softmax,
        }
    }

    /// A binary classifier on `features` inputs (a text vectorizer's): the given hidden
    /// widths (ReLU), then `Dense(1, sigmoid)`. `binary(10_000, &[])` is seed 004's IMDB
    /// baseline, `binary(10_000, &[128, 64])` its overfitting model.
    pub fn binary(features: usize, hidden: &[usize]) -> Self {
        Self {
            input: InputKind::Features(features),
            head: Head::Sigmoid,
            ..Self::mlp(hidden)
        }
    }

    /// Seed 004's regularized IMDB model: each hidden Dense with L2(`l2`), followed by
    /// Dropout(`rate`), then `Dense(1, sigmoid)`.
    pub fn binary_regularized(features: usize, hidden: &[usize], l2: f64, rate: f64) -> Self {
        let mut spec = Self::binary(features, &[]);
        for &units in hidden {
            spec.layers.push(LayerSpec::Dense {
                units,
                activation: Activation::Relu,
                kernel_regularizer: Some(Regularizer { l1: 0.0, l2 }),
            });
            spec.layers.push(LayerSpec::Dropout { rate });
        }
        spec
    }

    /// The number of features one input holds (784 for images).
    pub fn input_features(&self) -> usize {
        self.input_shape().features()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(units: usize) -> LayerSpec {
        LayerSpec::Dense {
            units,
            activation: Activation::Relu,
            kernel_regularizer: None,
        }
    }

    #[test]
    fn counts_equal_keras() {
        let s = ModelSpec::mlp(&[256, 128]).summary().unwrap();
        let params: Vec<usize> = s.rows.iter().map(|r| r.params).collect();
        assert_eq!(params, vec![200_960, 32_896, 1_290]);
        assert_eq!(s.total_params, 235_146);
        assert_eq!(s.rows[0].name, "dense");
        assert_eq!(s.rows[2].name, "dense_2");
        assert_eq!(ModelSpec::baseline().summary().unwrap().total_params, 7_850);
    }

    #[test]
    fn cnn_shapes_and_counts_equal_keras() {
        let spec = ModelSpec {
            input: InputKind::Image,
            layers: vec![
                LayerSpec::Conv2D {
                    filters: 32,
                    kernel_size: 3,
                    strides: 1,
                    padding: Padding::Valid,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
                LayerSpec::MaxPool2D {
                    pool_size: 2,
                    strides: None,
                },
                LayerSpec::Conv2D {
                    filters: 64,
                    kernel_size: 3,
                    strides: 1,
                    padding: Padding::Same,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
                LayerSpec::BatchNorm {},
                LayerSpec::MaxPool2D {
                    pool_size: 2,
                    strides: None,
                },
                LayerSpec::Flatten {},
                LayerSpec::Dropout { rate: 0.5 },
                dense(128),
            ],
            head_regularizer: None,
            head: Head::Softmax,
        };
        let s = spec.summary().unwrap();
        let shapes: Vec<String> = s.rows.iter().map(|r| r.output_shape.to_string()).collect();
        assert_eq!(
            shapes,
            [
                "(None, 26, 26, 32)",
                "(None, 13, 13, 32)",
                "(None, 13, 13, 64)",
                "(None, 13, 13, 64)",
                "(None, 6, 6, 64)",
                "(None, 2304)",
                "(None, 2304)",
                "(None, 128)",
                "(None, 10)"
            ]
        );
        let params: Vec<usize> = s.rows.iter().map(|r| r.params).collect();
        assert_eq!(params, [320, 0, 18_496, 256, 0, 0, 0, 295_040, 1_290]);
        assert_eq!(s.non_trainable_params, 128);
        let text = s.to_string();
        assert!(text.contains("conv2d_1 (Conv2D)"), "{text}");
        assert!(text.contains("Total params: 315,402"), "{text}");
    }

    #[test]
    fn invalid_layers_name_their_field() {
        let mut spec = ModelSpec::mlp(&[0]);
        assert_eq!(spec.summary().unwrap_err().field, "model.layers[0].units");
        spec.layers = vec![dense(8), LayerSpec::Dropout { rate: 1.5 }];
        assert_eq!(spec.summary().unwrap_err().field, "model.layers[1].rate");
        spec.layers = vec![
            LayerSpec::Flatten {},
            LayerSpec::Conv2D {
                filters: 8,
                kernel_size: 3,
                strides: 1,
                padding: Padding::Valid,
                activation: Activation::Relu,
                kernel_regularizer: None,
            },
        ];
        spec.input = InputKind::Image;
        let err = spec.summary().unwrap_err();
        assert_eq!(err.field, "model.layers[1].type");
        assert!(err.message.contains("cannot follow a Flatten"), "{err}");
        spec.layers = vec![LayerSpec::MaxPool2D {
            pool_size: 2,
            strides: None,
        }];
        assert_eq!(spec.summary().unwrap_err().field, "model.layers");
        spec.layers = vec![LayerSpec::Dense {
            units: 4,
            activation: Activation::Relu,
            kernel_regularizer: Some(Regularizer { l1: -1.0, l2: 0.0 }),
        }];
        spec.input = InputKind::Flat;
        assert_eq!(
            spec.summary().unwrap_err().field,
            "model.layers[0].kernel_regularizer.l1"
        );
    }

    #[test]
    fn json_names_are_keras_like_and_unknown_values_are_refused() {
        let json = r#"{"layers": [{"type": "dense", "units": 256, "activation": "relu",
                       "kernel_regularizer": {"l2": 0.001}}, {"type": "dropout", "rate": 0.5}]}"#;
        let spec: ModelSpec = serde_json::from_str(json).unwrap();
        assert_eq!(
            spec.layers[0].kernel_regularizer(),
            Some(Regularizer { l1: 0.0, l2: 0.001 })
        );
        let bad = r#"{"layers": [{"type": "dense", "units": 4, "activation": "swish"}]}"#;
        let err = serde_json::from_str::<ModelSpec>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("swish"), "{err}");
        let back: ModelSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
        assert_eq!(back, spec);
    }
}
