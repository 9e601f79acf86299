//! Keras' `model.summary()`: each layer's output shape and parameter count, equal to Keras'.
//! It is also the shape checker: an impossible stack (a kernel larger than its input, a
//! Conv2D after a Flatten) is an error naming the layer's field, and so is a model past the
//! lab's limits (layers, units, filters, parameters; see [`crate::limits`]).

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::limits::{
    MAX_FILTERS, MAX_INPUT_FEATURES, MAX_KERNEL_SIZE, MAX_LAYERS, MAX_PARAMS, MAX_UNITS,
};
use crate::model::{InputKind, LayerSpec, ModelSpec, Padding, Regularizer};

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
            Shape::Image { h, w, c } => h.saturating_mul(w).saturating_mul(c),
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
    group_u128(n as u128)
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
            InputKind::Features(n) => Shape::Flat(n),
        }
    }

    /// Checks every layer and computes the summary: output shapes and parameter counts, equal
    /// to Keras' (`Dense` 784→256 has 200,960). An invalid layer is an error naming its field;
    /// so is a model with more than [`MAX_LAYERS`] layers or [`MAX_PARAMS`] parameters.
    pub fn summary(&self) -> Result<Summary, ConfigError> {
        if self.layers.len() > MAX_LAYERS {
            return Err(ConfigError::new(
                "model.layers",
                format!(
                    "the lab allows at most {MAX_LAYERS} layers (got {})",
                    group(self.layers.len())
                ),
            ));
        }
        if let InputKind::Features(n) = self.input
            && !(1..=MAX_INPUT_FEATURES).contains(&n)
        {
            return Err(ConfigError::new(
                "model.input.features",
                format!(
                    "must be between 1 and {} (got {})",
                    group(MAX_INPUT_FEATURES),
                    group(n)
                ),
            ));
        }
        let mut shape = self.input_shape();
        // Parameters are counted in u64 with saturation: a count past the limit is refused
        // below, never overflowed (usize is 32 bits in the browser).
        let mut rows: Vec<(SummaryRow, u64, u64)> = Vec::new();
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
                    if units > MAX_UNITS {
                        return Err(ConfigError::new(
                            field("units"),
                            format!("at most {MAX_UNITS} units fit a browser lab (got {units})"),
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
                    let p = dense_params(inp, units);
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
                    let channels = channels as u64;
                    (
                        shape,
                        channels.saturating_mul(4),
                        channels.saturating_mul(2),
                    )
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
                    if filters == 0 || filters > MAX_FILTERS {
                        return Err(ConfigError::new(
                            field("filters"),
                            format!("must be between 1 and {MAX_FILTERS} (got {filters})"),
                        ));
                    }
                    if kernel_size == 0 || kernel_size > MAX_KERNEL_SIZE {
                        return Err(ConfigError::new(
                            field("kernel_size"),
                            format!("must be between 1 and {MAX_KERNEL_SIZE} (got {kernel_size})"),
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
                    let p = (kernel_size as u64)
                        .saturating_mul(kernel_size as u64)
                        .saturating_mul(c as u64)
                        .saturating_mul(filters as u64)
                        .saturating_add(filters as u64);
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
            rows.push((
                SummaryRow {
                    name: name_for(layer.base_name()),
                    kind: layer.keras_name().into(),
                    output_shape: out,
                    params: 0,
                    trainable_params: 0,
                },
                params,
                trainable,
            ));
            shape = out;
        }
        check_regularizer("model.head_regularizer", &self.head_regularizer)?;
        let Shape::Flat(inp) = shape else {
            return Err(ConfigError::new(
                "model.layers",
                format!(
                    "the {} head needs flat input but gets {shape}: end the layers with a Flatten",
                    self.head.activation_name()
                ),
            ));
        };
        let p = dense_params(inp, self.head.units());
        rows.push((
            SummaryRow {
                name: name_for("dense"),
                kind: "Dense".into(),
                output_shape: Shape::Flat(self.head.units()),
                params: 0,
                trainable_params: 0,
            },
            p,
            p,
        ));
        let total = rows
            .iter()
            .fold(0u64, |sum, (_, p, _)| sum.saturating_add(*p));
        if total > MAX_PARAMS {
            return Err(too_many_params(self, &rows, total));
        }
        // Within MAX_PARAMS, every count fits a usize.
        let count = |p: u64| usize::try_from(p).unwrap_or(usize::MAX);
        let rows: Vec<SummaryRow> = rows
            .into_iter()
            .map(|(row, p, t)| SummaryRow {
                params: count(p),
                trainable_params: count(t),
                ..row
            })
            .collect();
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

/// A Dense layer's kernel and bias: `inputs × units + units`.
fn dense_params(inputs: usize, units: usize) -> u64 {
    (inputs as u64)
        .saturating_mul(units as u64)
        .saturating_add(units as u64)
}

/// The error for a model past [`MAX_PARAMS`]: it names the field of the layer holding the
/// most parameters (its units or filters; the last of equals), since that is what to lower.
fn too_many_params(spec: &ModelSpec, rows: &[(SummaryRow, u64, u64)], total: u64) -> ConfigError {
    let Some((i, (row, most, _))) = rows.iter().enumerate().max_by_key(|(_, (_, p, _))| *p) else {
        return ConfigError::new("model.layers", "the model has no layers");
    };
    let field = match spec.layers.get(i) {
        Some(LayerSpec::Dense { .. }) => format!("model.layers[{i}].units"),
        Some(LayerSpec::Conv2D { .. }) => format!("model.layers[{i}].filters"),
        Some(_) => format!("model.layers[{i}]"),
        None => "model.layers".to_string(),
    };
    let whose = if i < spec.layers.len() {
        format!("this layer ({}) has", row.name)
    } else {
        format!(
            "the {} head ({}) has",
            spec.head.activation_name(),
            row.name
        )
    };
    ConfigError::new(
        field,
        format!(
            "this model has {} parameters; the lab allows {} — {whose} {} of them",
            group_u64(total),
            group_u64(MAX_PARAMS),
            group_u64(*most),
        ),
    )
}

/// [`group`] for counts that may not fit a usize in the browser (usize is 32 bits there).
pub fn group_u64(n: u64) -> String {
    group_u128(n.into())
}

/// [`group`] for any count.
pub fn group_u128(n: u128) -> String {
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

#[cfg(test)]
mod tests {
    use crate::limits::{MAX_LAYERS, MAX_PARAMS};
    use crate::model::{Activation, Head, InputKind, LayerSpec, ModelSpec, Padding};

    fn dense(units: usize) -> LayerSpec {
        LayerSpec::Dense {
            units,
            activation: Activation::Relu,
            kernel_regularizer: None,
        }
    }

    fn conv(filters: usize, kernel_size: usize) -> LayerSpec {
        LayerSpec::Conv2D {
            filters,
            kernel_size,
            strides: 1,
            padding: Padding::Same,
            activation: Activation::Relu,
            kernel_regularizer: None,
        }
    }

    #[test]
    fn batch_norm_counts_as_keras_does_half_of_it_non_trainable() {
        // Keras 3: Input(784) → Dense(256) → BatchNormalization → Dropout(0.3) → Dense(128)
        // → BatchNormalization → Dense(10, softmax). model.summary() prints
        //   batch_normalization (BatchNormalization)   (None, 256)   1,024
        //   batch_normalization_1 (BatchNormalization) (None, 128)     512
        //   Total params: 236,682 · Trainable params: 235,914 · Non-trainable params: 768
        // (BatchNormalization on C channels: gamma, beta, moving mean and moving variance, 4C
        // params of which the 2C moving statistics are non-trainable.)
        let spec = ModelSpec::mlp(&[]);
        let spec = ModelSpec {
            layers: vec![
                dense(256),
                LayerSpec::BatchNorm {},
                LayerSpec::Dropout { rate: 0.3 },
                dense(128),
                LayerSpec::BatchNorm {},
            ],
            ..spec
        };
        let s = spec.summary().unwrap();
        let rows: Vec<(&str, &str, usize, usize)> = s
            .rows
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.kind.as_str(),
                    r.params,
                    r.trainable_params,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("dense", "Dense", 200_960, 200_960),
                ("batch_normalization", "BatchNormalization", 1_024, 512),
                ("dropout", "Dropout", 0, 0),
                ("dense_1", "Dense", 32_896, 32_896),
                ("batch_normalization_1", "BatchNormalization", 512, 256),
                ("dense_2", "Dense", 1_290, 1_290),
            ]
        );
        assert_eq!(s.total_params, 236_682);
        assert_eq!(s.trainable_params, 235_914);
        assert_eq!(s.non_trainable_params, 768);
        let text = s.to_string();
        assert!(text.ends_with(
            " Total params: 236,682\n Trainable params: 235,914\n Non-trainable params: 768"
        ));
        // Without BatchNorm nothing is non-trainable.
        assert_eq!(
            ModelSpec::mlp(&[256])
                .summary()
                .unwrap()
                .non_trainable_params,
            0
        );
    }

    #[test]
    fn a_model_of_1_64_billion_parameters_is_refused_at_its_largest_layer() {
        // Conv2D(512, 1, "same") → Flatten → Dense(4096): 401,408 × 4096 + 4096 in one layer.
        let spec = ModelSpec {
            input: InputKind::Image,
            layers: vec![conv(512, 1), LayerSpec::Flatten {}, dense(4096)],
            head_regularizer: None,
            head: Head::Softmax,
        };
        let err = spec.summary().unwrap_err();
        assert_eq!(err.field, "model.layers[2].units");
        assert_eq!(
            err.message,
            "this model has 1,644,213,258 parameters; the lab allows 50,000,000 — this layer \
             (dense) has 1,644,171,264 of them"
        );
        // When the head holds the most, the layers as a whole are named.
        let mut layers = vec![conv(512, 3); 22];
        layers.push(LayerSpec::Flatten {});
        let spec = ModelSpec {
            input: InputKind::Image,
            layers,
            head_regularizer: None,
            head: Head::Softmax,
        };
        let err = spec.summary().unwrap_err();
        assert_eq!(err.field, "model.layers");
        assert_eq!(
            err.message,
            "this model has 53,575,178 parameters; the lab allows 50,000,000 — the softmax head \
             (dense) has 4,014,090 of them"
        );
    }

    #[test]
    fn up_to_the_parameter_limit_a_model_passes() {
        // 784→4096→4096→4096: 37.1 million parameters.
        let s = ModelSpec::mlp(&[4096, 4096, 4096]).summary().unwrap();
        assert_eq!(
            s.total_params,
            784 * 4096 + 4096 + 2 * (4096 * 4096 + 4096) + 40_970
        );
        assert!(s.total_params as u64 <= MAX_PARAMS);
        let err = ModelSpec::mlp(&[4096; 4]).summary().unwrap_err();
        assert_eq!(
            err.field, "model.layers[3].units",
            "the last of the largest"
        );
        assert!(
            err.message.starts_with("this model has 53,600,266 "),
            "{err}"
        );
    }

    #[test]
    fn ten_thousand_layers_are_refused_at_once() {
        let started = std::time::Instant::now();
        let err = ModelSpec::mlp(&[8; 10_000]).summary().unwrap_err();
        assert_eq!(err.field, "model.layers");
        assert_eq!(err.message, "the lab allows at most 64 layers (got 10,000)");
        assert!(started.elapsed().as_millis() < 100);
        assert!(ModelSpec::mlp(&[8; MAX_LAYERS]).summary().is_ok());
        assert!(ModelSpec::mlp(&[8; MAX_LAYERS + 1]).summary().is_err());
    }

    #[test]
    fn huge_sizes_are_refused_without_overflow() {
        let err = ModelSpec::mlp(&[usize::MAX]).summary().unwrap_err();
        assert_eq!(err.field, "model.layers[0].units");
        assert_eq!(
            err.message,
            format!("at most 4096 units fit a browser lab (got {})", usize::MAX)
        );
        let image = |layers| ModelSpec {
            input: InputKind::Image,
            layers,
            head_regularizer: None,
            head: Head::Softmax,
        };
        let err = image(vec![conv(8, usize::MAX), LayerSpec::Flatten {}])
            .summary()
            .unwrap_err();
        assert_eq!(err.field, "model.layers[0].kernel_size");
        assert_eq!(
            err.message,
            format!("must be between 1 and 28 (got {})", usize::MAX)
        );
        assert!(
            image(vec![conv(8, 28), LayerSpec::Flatten {}])
                .summary()
                .is_ok()
        );
        let err = image(vec![conv(513, 3)]).summary().unwrap_err();
        assert_eq!(err.field, "model.layers[0].filters");
        let strided = LayerSpec::Conv2D {
            filters: 8,
            kernel_size: 3,
            strides: usize::MAX,
            padding: Padding::Same,
            activation: Activation::Relu,
            kernel_regularizer: None,
        };
        let pool = LayerSpec::MaxPool2D {
            pool_size: 1,
            strides: Some(usize::MAX),
        };
        let s = image(vec![strided, pool, LayerSpec::Flatten {}])
            .summary()
            .unwrap();
        assert_eq!(s.rows[2].output_shape.to_string(), "(None, 8)");
    }
}
