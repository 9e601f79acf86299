//! Keras' `model.summary()`: each layer's output shape and parameter count, equal to Keras'.
//! It is also the shape checker: an impossible stack (a kernel larger than its input, a
//! Conv2D after a Flatten) is an error naming the layer's field.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::model::{InputKind, LayerSpec, ModelSpec, NUM_CLASSES, Padding, Regularizer};

/// The shape of the activations between layers (batch dimension left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Shape {
    /// `(features,)`
    Flat(usize),
    /// `(height, width, channels)`, written in Keras' channels-last order.
    Image { h: usize, w: usize, c: usize },
}

impl Shape {
    pub fn features(&self) -> usize {
        match *self {
            Shape::Flat(n) => n,
            Shape::Image { h, w, c } => h * w * c,
        }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Flat(n) => write!(f, "(None, {n})"),
            Shape::Image { h, w, c } => write!(f, "(None, {h}, {w}, {c})"),
        }
    }
}

/// One row of a Keras-style summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Keras' automatic name, e.g. `dense_1`.
    pub name: String,
    /// Keras' class name, e.g. `Dense`.
    pub kind: String,
    pub output_shape: Shape,
    pub params: usize,
    pub trainable_params: usize,
}

/// A Keras-style model summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub rows: Vec<SummaryRow>,
    pub total_params: usize,
    pub trainable_params: usize,
    pub non_trainable_params: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rule = "─".repeat(66);
        writeln!(f, "Model: \"sequential\"")?;
        writeln!(f, "{rule}")?;
        writeln!(
            f,
            "{:<32}{:<24}{:>10}",
            "Layer (type)", "Output Shape", "Param #"
        )?;
        writeln!(f, "{}", "━".repeat(66))?;
        for (i, row) in self.rows.iter().enumerate() {
            let layer = format!("{} ({})", row.name, row.kind);
            writeln!(
                f,
                "{:<32}{:<24}{:>10}",
                layer,
                row.output_shape.to_string(),
                group(row.params)
            )?;
            if i + 1 < self.rows.len() {
                writeln!(f, "{rule}")?;
            }
        }
        writeln!(f, "{}", "━".repeat(66))?;
        writeln!(f, " Total params: {}", group(self.total_params))?;
        writeln!(f, " Trainable params: {}", group(self.trainable_params))?;
        write!(
            f,
            " Non-trainable params: {}",
            group(self.non_trainable_params)
        )
    }
}

/// `200960` → `200,960`.
pub fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn check_regularizer(field: &str, r: &Option<Regularizer>) -> Result<(), ConfigError> {
    if let Some(r) = r {
        for (name, v) in [("l1", r.l1), ("l2", r.l2)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError::new(
                    format!("{field}.{name}"),
                    format!("must be a finite number ≥ 0 (got {v})"),
                ));
            }
        }
    }
    Ok(())
}

impl ModelSpec {
    /// The input shape this spec expects.
    pub fn input_shape(&self) -> Shape {
        match self.input {
            InputKind::Flat => Shape::Flat(28 * 28),
            InputKind::Image => Shape::Image { h: 28, w: 28, c: 1 },
        }
    }

    /// Checks every layer and computes the summary: output shapes and parameter counts, equal
    /// to Keras' (`Dense` 784→256 has 200,960). An invalid layer is an error naming its field.
    pub fn summary(&self) -> Result<Summary, ConfigError> {
        let mut shape = self.input_shape();
        let mut rows = Vec::new();
        let mut counts = std::collections::HashMap::<&str, usize>::new();
        let mut name_for = |base: &'static str| {
            let n = counts.entry(base).or_insert(0);
            let name = if *n == 0 {
                base.to_string()
            } else {
                format!("{base}_{n}")
            };
            *n += 1;
            name
        };
        for (i, layer) in self.layers.iter().enumerate() {
            let field = |f: &str| format!("model.layers[{i}].{f}");
            let (out, params, trainable) = match *layer {
                LayerSpec::Dense {
                    units,
                    ref kernel_regularizer,
                    ..
                } => {
                    if units == 0 {
                        return Err(ConfigError::new(
                            field("units"),
                            "must be at least 1 (got 0)",
                        ));
                    }
                    if units > 4096 {
                        return Err(ConfigError::new(
                            field("units"),
                            format!("at most 4096 units fit a browser lab (got {units})"),
                        ));
                    }
                    check_regularizer(&field("kernel_regularizer"), kernel_regularizer)?;
                    let Shape::Flat(inp) = shape else {
                        return Err(ConfigError::new(
                            field("type"),
                            format!(
                                "Dense needs flat input but gets {shape}: add a Flatten layer before it"
                            ),
                        ));
                    };
                    let p = inp * units + units;
                    (Shape::Flat(units), p, p)
                }
                LayerSpec::Dropout { rate } => {
                    if !(rate.is_finite() && (0.0..1.0).contains(&rate)) {
                        return Err(ConfigError::new(
                            field("rate"),
                            format!("must be in [0, 1) (got {rate})"),
                        ));
                    }
                    (shape, 0, 0)
                }
                LayerSpec::BatchNorm {} => {
                    let channels = match shape {
                        Shape::Flat(n) => n,
                        Shape::Image { c, .. } => c,
                    };
                    // gamma, beta trainable; moving mean and variance not.
                    (shape, 4 * channels, 2 * channels)
                }
                LayerSpec::Conv2D {
                    filters,
                    kernel_size,
                    strides,
                    padding,
                    ref kernel_regularizer,
                    ..
                } => {
                    let Shape::Image { h, w, c } = shape else {
                        return Err(ConfigError::new(
                            field("type"),
                            format!(
                                "Conv2D needs image input but gets {shape}: {}",
                                if i == 0 {
                                    "set \"input\": \"image\"".to_string()
                                } else {
                                    "a Conv2D cannot follow a Flatten or Dense layer".to_string()
                                }
                            ),
                        ));
                    };
                    if filters == 0 || filters > 512 {
                        return Err(ConfigError::new(
                            field("filters"),
                            format!("must be between 1 and 512 (got {filters})"),
                        ));
                    }
                    if kernel_size == 0 {
                        return Err(ConfigError::new(
                            field("kernel_size"),
                            "must be at least 1 (got 0)",
                        ));
                    }
                    if strides == 0 {
                        return Err(ConfigError::new(
                            field("strides"),
                            "must be at least 1 (got 0)",
                        ));
                    }
                    check_regularizer(&field("kernel_regularizer"), kernel_regularizer)?;
                    let (oh, ow) = match padding {
                        Padding::Same => (h.div_ceil(strides), w.div_ceil(strides)),
                        Padding::Valid => {
                            if kernel_size > h || kernel_size > w {
                                return Err(ConfigError::new(
                                    field("kernel_size"),
                                    format!(
                                        "{kernel_size}×{kernel_size} does not fit the {h}×{w} input with padding \"valid\""
                                    ),
                                ));
                            }
                            (
                                (h - kernel_size) / strides + 1,
                                (w - kernel_size) / strides + 1,
                            )
                        }
                    };
                    let p = kernel_size * kernel_size * c * filters + filters;
                    (
                        Shape::Image {
                            h: oh,
                            w: ow,
                            c: filters,
                        },
                        p,
                        p,
                    )
                }
                LayerSpec::MaxPool2D { pool_size, strides } => {
                    let Shape::Image { h, w, c } = shape else {
                        return Err(ConfigError::new(
                            field("type"),
                            format!("MaxPooling2D needs image input but gets {shape}"),
                        ));
                    };
                    if pool_size == 0 || pool_size > h || pool_size > w {
                        return Err(ConfigError::new(
                            field("pool_size"),
                            format!("must be between 1 and {} (got {pool_size})", h.min(w)),
                        ));
                    }
                    let s = strides.unwrap_or(pool_size);
                    if s == 0 {
                        return Err(ConfigError::new(
                            field("strides"),
                            "must be at least 1 (got 0)",
                        ));
                    }
                    let out = Shape::Image {
                        h: (h - pool_size) / s + 1,
                        w: (w - pool_size) / s + 1,
                        c,
                    };
                    (out, 0, 0)
                }
                LayerSpec::Flatten {} => (Shape::Flat(shape.features()), 0, 0),
            };
            rows.push(SummaryRow {
                name: name_for(layer.base_name()),
                kind: layer.keras_name().into(),
                output_shape: out,
                params,
                trainable_params: trainable,
            });
            shape = out;
        }
        check_regularizer("model.head_regularizer", &self.head_regularizer)?;
        let Shape::Flat(inp) = shape else {
            return Err(ConfigError::new(
                "model.layers",
                format!(
                    "the softmax head needs flat input but gets {shape}: end the layers with a Flatten"
                ),
            ));
        };
        let p = inp * NUM_CLASSES + NUM_CLASSES;
        rows.push(SummaryRow {
            name: name_for("dense"),
            kind: "Dense".into(),
            output_shape: Shape::Flat(NUM_CLASSES),
            params: p,
            trainable_params: p,
        });
        let total_params = rows.iter().map(|r| r.params).sum();
        let trainable_params = rows.iter().map(|r| r.trainable_params).sum();
        Ok(Summary {
            rows,
            total_params,
            trainable_params,
            non_trainable_params: total_params - trainable_params,
        })
    }
}
