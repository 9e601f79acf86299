//! The CNN hypermodel of step 8: `conv_blocks` × (Conv2D `filters_i` of `kernel_i`×`kernel_i`
//! with padding "same", then MaxPooling2D 2), Flatten, Dropout `dropout`, Dense `units` —
//! values → layers — and its search, [`TunerConfig::small_cnn`].

use super::config::{Algorithm, TunerConfig};
use super::hypermodel::{Hypermodel, number, shown};
use super::space::{HpValue, HyperParameter, Sampling, Values};
use crate::error::ConfigError;
use crate::limits::{MAX_FILTERS, MAX_KERNEL_SIZE, MAX_LAYERS, MAX_UNITS};
use crate::model::{Activation, LayerSpec, Padding};
use crate::training::Normalization;

/// The hyperparameter names the CNN hypermodel reads; `{i}` is a block index from 0.
pub const CNN_HYPERMODEL_NAMES: &str =
    "conv_blocks, filters_{i}, kernel_{i}, dropout, units, lr, activation";

/// The CNN's block-indexed names.
pub(super) const CNN_INDEXED: [&str; 2] = ["filters_", "kernel_"];

/// The most conv blocks: each is two layers, and the lab allows [`MAX_LAYERS`].
const MAX_BLOCKS: usize = MAX_LAYERS / 2 - 2;

/// A whole number `name` (or `default`) within `min..=max`; `what` names the unit in the
/// message ("filters").
fn whole(
    values: &Values,
    name: &str,
    default: f64,
    (min, max): (usize, usize),
    what: &str,
) -> Result<usize, ConfigError> {
    let v = number(values, name, default)?;
    let field = format!("hyperparameters.{name}");
    if !(v >= min as f64 && v.fract() == 0.0) {
        return Err(ConfigError::new(
            field,
            format!("must be a whole number ≥ {min} (got {v})"),
        ));
    }
    if v > max as f64 {
        return Err(ConfigError::new(
            field,
            format!(
                "at most {max} {what} fit a browser lab (got {})",
                shown(values, name)
            ),
        ));
    }
    Ok(v as usize)
}

/// The CNN's hidden layers for one trial's values.
pub(super) fn cnn_layers(
    values: &Values,
    activation: Activation,
) -> Result<Vec<LayerSpec>, ConfigError> {
    // Checked before the blocks are built: a huge count must not be looped over.
    let blocks = whole(values, "conv_blocks", 1.0, (1, MAX_BLOCKS), "conv blocks")?;
    let mut layers = Vec::new();
    for i in 0..blocks {
        let filters = whole(
            values,
            &format!("filters_{i}"),
            32.0,
            (1, MAX_FILTERS),
            "filters",
        )?;
        let kernel_size = whole(
            values,
            &format!("kernel_{i}"),
            3.0,
            (1, MAX_KERNEL_SIZE),
            "pixels of kernel",
        )?;
        layers.push(LayerSpec::Conv2D {
            filters,
            kernel_size,
            strides: 1,
            padding: Padding::Same,
            activation,
            kernel_regularizer: None,
        });
        layers.push(LayerSpec::MaxPool2D {
            pool_size: 2,
            strides: None,
        });
    }
    layers.push(LayerSpec::Flatten {});
    let dropout = number(values, "dropout", 0.0)?;
    if dropout != 0.0 {
        layers.push(LayerSpec::Dropout { rate: dropout });
    }
    let units = whole(values, "units", 128.0, (1, MAX_UNITS), "units")?;
    layers.push(LayerSpec::Dense {
        units,
        activation,
        kernel_regularizer: None,
    });
    Ok(layers)
}

impl TunerConfig {
    /// A small CNN's search on Fashion-MNIST: `conv_blocks` 1–2, `filters_i` ∈ {16, 32, 64},
    /// `kernel_i` ∈ {3, 5}, `dropout` 0…0.5 step 0.1, `units` ∈ {64, 128}, `lr` log
    /// 1e-4…1e-2; Hyperband max_epochs 5, factor 3; batch 128 (the small CNN's).
    pub fn small_cnn() -> Self {
        let mut hps = vec![HyperParameter::Int {
            name: "conv_blocks".into(),
            min_value: 1,
            max_value: 2,
            step: 1,
        }];
        for i in 0..2 {
            hps.push(HyperParameter::Choice {
                name: format!("filters_{i}"),
                values: vec![HpValue::Int(16), HpValue::Int(32), HpValue::Int(64)],
            });
            hps.push(HyperParameter::Choice {
                name: format!("kernel_{i}"),
                values: vec![HpValue::Int(3), HpValue::Int(5)],
            });
        }
        hps.push(HyperParameter::Float {
            name: "dropout".into(),
            min_value: 0.0,
            max_value: 0.5,
            step: Some(0.1),
            sampling: Sampling::Linear,
        });
        hps.push(HyperParameter::Choice {
            name: "units".into(),
            values: vec![HpValue::Int(64), HpValue::Int(128)],
        });
        hps.push(HyperParameter::Float {
            name: "lr".into(),
            min_value: 1e-4,
            max_value: 1e-2,
            step: None,
            sampling: Sampling::Log,
        });
        Self {
            name: Some("Fashion-MNIST small CNN".into()),
            hyperparameters: hps,
            algorithm: Algorithm::Hyperband {
                max_epochs: 5,
                factor: 3,
                hyperband_iterations: 1,
            },
            batch_size: 128,
            normalization: Normalization::Scale,
            hypermodel: Hypermodel::Cnn,
            ..Self::seed_004()
        }
    }
}
