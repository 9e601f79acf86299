//! The lab's limits: how large a model, a run and a seed may be so that a browser tab can
//! train it. Each limit is named here once; `validate()` refuses a value past one with a
//! message naming the field. Every size is computed with saturating arithmetic, so a check
//! never overflows, whatever a config holds.

use crate::error::ConfigError;
use crate::summary::{Summary, group};

/// The largest seed: 2^53 − 1. A seed crosses to the worker and back as a JavaScript number,
/// which holds whole numbers exactly only up to this one.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// Hidden layers a model may stack.
pub const MAX_LAYERS: usize = 64;

/// Parameters a model may hold (its weights, gradients and the optimizer's moments all live in
/// the tab's memory).
pub const MAX_PARAMS: u64 = 50_000_000;

/// Units of a Dense layer.
pub const MAX_UNITS: usize = 4096;

/// Filters of a Conv2D layer.
pub const MAX_FILTERS: usize = 512;

/// The side of a Conv2D kernel: no larger than the 28×28 image.
pub const MAX_KERNEL_SIZE: usize = 28;

/// Features of a vectorized input (`model.input.features`): the vectorizer's own limit, so
/// that a dense batch of 512 rows stays around 100 MB.
pub const MAX_INPUT_FEATURES: usize = crate::text::MAX_FEATURES_LIMIT;

/// Epochs of a run.
pub const MAX_EPOCHS: usize = 1000;

/// The largest learning rate.
pub const MAX_LEARNING_RATE: f64 = 10.0;

/// Bytes a batch's activations may take: 1 GB.
pub const MAX_ACTIVATION_BYTES: u64 = 1_000_000_000;

/// Copies of each activation a training step keeps: the forward value, its gradient, and
/// one more for what the backward pass saves (a ReLU mask, a pre-activation).
pub const ACTIVATION_COPIES: u64 = 3;

/// Bytes of one `f32` value.
const BYTES_PER_VALUE: u64 = 4;

/// Refuses a seed past [`MAX_SEED`]; `field` names it (`seed`).
pub fn check_seed(field: &str, seed: u64) -> Result<(), ConfigError> {
    if seed > MAX_SEED {
        return Err(ConfigError::new(field, seed_message(&seed.to_string())));
    }
    Ok(())
}

/// The message for a seed past [`MAX_SEED`], with the value as the learner wrote it (a typed
/// seed may not even fit 64 bits).
pub fn seed_message(got: &str) -> String {
    format!(
        "must be at most {MAX_SEED} (2^53 − 1), the largest whole number a browser carries exactly (got {got})"
    )
}

/// Bytes of activations one training step over a batch of `batch_size` needs: the input and
/// every layer's output (the summary's rows), as `f32`, times [`ACTIVATION_COPIES`].
pub fn activation_bytes(summary: &Summary, input_features: usize, batch_size: usize) -> u64 {
    let per_sample = summary
        .rows
        .iter()
        .map(|r| r.output_shape.features() as u64)
        .fold(input_features as u64, u64::saturating_add);
    per_sample
        .saturating_mul(batch_size as u64)
        .saturating_mul(BYTES_PER_VALUE)
        .saturating_mul(ACTIVATION_COPIES)
}

/// Refuses a batch whose activations exceed [`MAX_ACTIVATION_BYTES`]; the error names
/// `batch_size`, the knob that always helps.
pub fn check_activation_memory(
    summary: &Summary,
    input_features: usize,
    batch_size: usize,
) -> Result<(), ConfigError> {
    let bytes = activation_bytes(summary, input_features, batch_size);
    if bytes > MAX_ACTIVATION_BYTES {
        return Err(ConfigError::new(
            "batch_size",
            format!(
                "this model needs {} per batch of {}; the lab allows {} — lower batch_size or the layer sizes",
                gigabytes(bytes),
                group(batch_size),
                gigabytes(MAX_ACTIVATION_BYTES)
            ),
        ));
    }
    Ok(())
}

/// `6_200_000_000` → `6.2 GB`, `1_000_000_000` → `1 GB`.
pub fn gigabytes(bytes: u64) -> String {
    let gb = bytes as f64 / 1e9;
    if gb >= 100.0 || (gb * 10.0).round() % 10.0 == 0.0 {
        format!("{gb:.0} GB")
    } else {
        format!("{gb:.1} GB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activation, Head, InputKind, LayerSpec, ModelSpec, Padding};

    #[test]
    fn seeds_up_to_2_pow_53_minus_1_pass() {
        assert_eq!(MAX_SEED, 9_007_199_254_740_991);
        assert!(check_seed("seed", MAX_SEED).is_ok());
        assert!(check_seed("seed", 0).is_ok());
        let err = check_seed("seed", 1 << 53).unwrap_err();
        assert_eq!(err.field, "seed");
        assert_eq!(
            err.message,
            "must be at most 9007199254740991 (2^53 − 1), the largest whole number a browser \
             carries exactly (got 9007199254740992)"
        );
        assert!(check_seed("seed", u64::MAX).is_err());
    }

    #[test]
    fn gigabytes_read_plainly() {
        assert_eq!(gigabytes(1_000_000_000), "1 GB");
        assert_eq!(gigabytes(6_200_000_000), "6.2 GB");
        assert_eq!(gigabytes(4_960_000_000), "5 GB");
        assert_eq!(gigabytes(123_400_000_000), "123 GB");
        assert_eq!(gigabytes(u64::MAX), "18446744074 GB");
    }

    fn wide_cnn() -> ModelSpec {
        ModelSpec {
            input: InputKind::Image,
            layers: vec![
                LayerSpec::Conv2D {
                    filters: 512,
                    kernel_size: 1,
                    strides: 1,
                    padding: Padding::Same,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
                LayerSpec::Flatten {},
                LayerSpec::Dense {
                    units: 64,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
            ],
            head_regularizer: None,
            head: Head::Softmax,
        }
    }

    #[test]
    fn the_memory_budget_counts_every_layer_output_per_batch() {
        let spec = wide_cnn();
        let s = spec.summary().unwrap();
        // 784 input + 401,408 (conv) + 401,408 (flatten) + 64 + 10 values per image.
        let per_sample = 784 + 2 * 28 * 28 * 512 + 64 + 10;
        assert_eq!(activation_bytes(&s, 784, 1), per_sample * 4 * 3);
        assert!(check_activation_memory(&s, 784, 32).is_ok(), "309 MB");
        let err = check_activation_memory(&s, 784, 512).unwrap_err();
        assert_eq!(err.field, "batch_size");
        assert_eq!(
            err.message,
            "this model needs 4.9 GB per batch of 512; the lab allows 1 GB — lower batch_size \
             or the layer sizes"
        );
        // Saturates instead of overflowing.
        assert_eq!(activation_bytes(&s, usize::MAX, usize::MAX), u64::MAX);
    }

    #[test]
    fn text_models_are_budgeted_on_their_features() {
        // Seed 004's regularized IMDB model at batch 512: (10,000 + 128 + 128 + 64 + 64 + 1)
        // values per review × 4 bytes × 3 copies × 512 = 63.8 MB.
        let spec = ModelSpec::binary_regularized(10_000, &[128, 64], 1e-3, 0.5);
        let s = spec.summary().unwrap();
        let per_sample = 10_000 + 128 + 128 + 64 + 64 + 1;
        assert_eq!(
            activation_bytes(&s, spec.input_features(), 512),
            per_sample * 4 * 3 * 512
        );
        assert!(check_activation_memory(&s, spec.input_features(), 512).is_ok());
        // The widest vectorizer with the widest layers stays under the parameter limit...
        let wide = ModelSpec::binary(MAX_INPUT_FEATURES, &[512]);
        assert!(wide.summary().is_ok());
        // ...and past the feature limit the input is named.
        let err = ModelSpec::binary(MAX_INPUT_FEATURES + 1, &[])
            .summary()
            .unwrap_err();
        assert_eq!(err.field, "model.input.features");
        assert_eq!(err.message, "must be between 1 and 50,000 (got 50,001)");
        assert_eq!(
            ModelSpec::binary(0, &[]).summary().unwrap_err().field,
            "model.input.features"
        );
        // A batch far past the budget names batch_size.
        let err = check_activation_memory(&s, spec.input_features(), 10_000).unwrap_err();
        assert_eq!(err.field, "batch_size");
        // Saturates instead of overflowing.
        assert_eq!(activation_bytes(&s, usize::MAX, usize::MAX), u64::MAX);
    }
}
