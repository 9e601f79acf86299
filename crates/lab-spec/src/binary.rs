//! The binary task (IMDB reviews, negative or positive) as data: seed 004's class weights and
//! its three IMDB models (steps 5–7) as training configs.

use crate::dataset::DatasetKind;
use crate::model::ModelSpec;
use crate::text::VectorizerConfig;
use crate::training::{OptimizerConfig, TrainingConfig};

/// The IMDB training set's class counts: 12,500 negative and 12,500 positive reviews.
pub const IMDB_TRAIN_COUNTS: [usize; 2] = [12_500, 12_500];

/// Seed 004's class weights: `weight_c = total / (classes · count_c)` (for two classes,
/// `(1 / count_c) · (total / 2)`), from the labels `0..classes`. A class with no sample gets 0
/// (it never meets the loss).
pub fn class_weights(labels: &[u8], classes: usize) -> Vec<f64> {
    let mut counts = vec![0usize; classes];
    for &l in labels {
        if let Some(c) = counts.get_mut(l as usize) {
            *c += 1;
        }
    }
    class_weights_from_counts(&counts)
}

/// [`class_weights`] from the counts per class.
pub fn class_weights_from_counts(counts: &[usize]) -> Vec<f64> {
    let total: usize = counts.iter().sum();
    let k = counts.len() as f64;
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                0.0
            } else {
                total as f64 / (k * c as f64)
            }
        })
        .collect()
}

/// An IMDB run of `model` with seed 004's settings: Adam (Keras' defaults), validation split
/// 0.2, the vectorizer `TfidfVectorizer(max_features=10000, stop_words='english')` and the
/// class weights of IMDB's balanced training set (1.0 each).
pub fn imdb_config(
    name: &str,
    model: ModelSpec,
    batch_size: usize,
    epochs: usize,
) -> TrainingConfig {
    TrainingConfig {
        name: Some(name.to_string()),
        dataset: DatasetKind::Imdb,
        vectorizer: Some(VectorizerConfig::default()),
        optimizer: OptimizerConfig::adam(0.001),
        batch_size,
        epochs,
        validation_split: 0.2,
        class_weight: Some(class_weights_from_counts(&IMDB_TRAIN_COUNTS)),
        ..TrainingConfig::new(model)
    }
}

fn features() -> usize {
    VectorizerConfig::default().max_features
}

/// Step 5 on IMDB: `Dense(1, sigmoid)` on the 10,000 TF-IDF features, batch 32, 5 epochs.
pub fn imdb_baseline() -> TrainingConfig {
    imdb_config(
        "IMDB baseline: Dense(1, sigmoid)",
        ModelSpec::binary(features(), &[]),
        32,
        5,
    )
}

/// Step 6 on IMDB: Dense(128) → Dense(64) → Dense(1, sigmoid), batch 512, 15 epochs.
pub fn imdb_overfit() -> TrainingConfig {
    imdb_config(
        "IMDB overfit: 128-64",
        ModelSpec::binary(features(), &[128, 64]),
        512,
        15,
    )
}

/// Step 7 on IMDB: the overfitting model with L2(1e-3) on both hidden kernels and
/// Dropout(0.5) after each, batch 512, 15 epochs.
pub fn imdb_regularized() -> TrainingConfig {
    imdb_config(
        "IMDB regularized: L2 1e-3 + Dropout 0.5",
        ModelSpec::binary_regularized(features(), &[128, 64], 1e-3, 0.5),
        512,
        15,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Head, InputKind};

    #[test]
    fn class_weights_follow_seed_004s_formula() {
        assert_eq!(class_weights_from_counts(&IMDB_TRAIN_COUNTS), [1.0, 1.0]);
        // 3 negatives, 1 positive: total 4 → 4 / (2 · 3) and 4 / (2 · 1).
        let w = class_weights(&[0, 0, 1, 0], 2);
        assert!((w[0] - 2.0 / 3.0).abs() < 1e-12 && w[1] == 2.0, "{w:?}");
        assert_eq!(class_weights(&[0, 0], 2), [0.5, 0.0]);
        assert_eq!(class_weights(&[], 2), [0.0, 0.0]);
    }

    #[test]
    fn the_three_imdb_models_validate_and_round_trip() {
        for c in [imdb_baseline(), imdb_overfit(), imdb_regularized()] {
            c.validate(Some(25_000)).unwrap();
            let json = serde_json::to_string(&c).unwrap();
            assert!(json.contains(r#""dataset":"imdb""#), "{json}");
            assert!(json.contains(r#""input":{"features":10000}"#), "{json}");
            assert!(json.contains(r#""head":"sigmoid""#), "{json}");
            let back: TrainingConfig = serde_json::from_str(&json).unwrap();
            assert_eq!(back, c);
        }
        assert_eq!(
            (imdb_baseline().batch_size, imdb_baseline().epochs),
            (32, 5)
        );
        assert_eq!(
            (imdb_overfit().batch_size, imdb_overfit().epochs),
            (512, 15)
        );
    }

    #[test]
    fn the_imdb_presets_summaries_equal_keras() {
        // Keras 3: Input(10000) → Dense(1, sigmoid): 10,001 params.
        let s = imdb_baseline().model.summary().unwrap();
        assert_eq!(s.rows.len(), 1);
        assert_eq!(
            (s.rows[0].name.as_str(), s.rows[0].output_shape.to_string()),
            ("dense", "(None, 1)".to_string())
        );
        assert_eq!(s.total_params, 10_001);
        // 10000 → 128 → 64 → 1: 1,280,128 + 8,256 + 65.
        let s = imdb_overfit().model.summary().unwrap();
        let rows: Vec<(&str, String, usize)> = s
            .rows
            .iter()
            .map(|r| (r.name.as_str(), r.output_shape.to_string(), r.params))
            .collect();
        assert_eq!(
            rows,
            [
                ("dense", "(None, 128)".to_string(), 1_280_128),
                ("dense_1", "(None, 64)".to_string(), 8_256),
                ("dense_2", "(None, 1)".to_string(), 65),
            ]
        );
        assert_eq!(s.total_params, 1_288_449);
        // With Dropout after each hidden layer: same counts, Keras' names.
        let s = imdb_regularized().model.summary().unwrap();
        let names: Vec<&str> = s.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["dense", "dropout", "dense_1", "dropout_1", "dense_2"]
        );
        let params: Vec<usize> = s.rows.iter().map(|r| r.params).collect();
        assert_eq!(params, [1_280_128, 0, 8_256, 0, 65]);
        assert!(s.to_string().contains("Total params: 1,288,449"), "{s}");
    }

    #[test]
    fn an_incoherent_imdb_config_names_its_field() {
        let field = |c: &TrainingConfig| c.validate(None).unwrap_err().field;
        let mut c = imdb_baseline();
        c.model.head = Head::Softmax;
        assert_eq!(field(&c), "model.head");
        let mut c = imdb_baseline();
        c.model.input = InputKind::Features(5_000);
        let err = c.validate(None).unwrap_err();
        assert_eq!(err.field, "model.input");
        assert!(
            err.message.contains(r#""input": {"features": 10000}"#),
            "{err}"
        );
        let mut c = imdb_baseline();
        c.model.input = InputKind::Flat;
        assert_eq!(field(&c), "model.input");
        let mut c = imdb_baseline();
        c.class_weight = Some(vec![1.0; 10]);
        let err = c.validate(None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "class_weight: needs 2 weights, one per class (got 10)"
        );
        let mut c = imdb_baseline();
        c.vectorizer = Some(VectorizerConfig {
            max_features: 0,
            ..Default::default()
        });
        assert_eq!(field(&c), "vectorizer.max_features");
        let mut c = imdb_baseline();
        c.normalization = crate::training::Normalization::Standardize;
        assert_eq!(field(&c), "normalization");
        // The image half refuses the text parts.
        let mut c = TrainingConfig::new(ModelSpec::baseline());
        c.vectorizer = Some(VectorizerConfig::default());
        assert_eq!(field(&c), "vectorizer");
        let mut c = TrainingConfig::new(ModelSpec::baseline());
        c.model.head = Head::Sigmoid;
        assert_eq!(field(&c), "model.head");
        let c = TrainingConfig::new(ModelSpec::binary(784, &[]));
        assert_eq!(field(&c), "model.input");
    }

    #[test]
    fn a_vectorizer_left_out_means_seed_004s() {
        let json =
            r#"{"dataset": "imdb", "model": {"input": {"features": 10000}, "head": "sigmoid"}}"#;
        let c: TrainingConfig = serde_json::from_str(json).unwrap();
        assert_eq!(c.vectorizer(), VectorizerConfig::default());
        c.validate(None).unwrap();
    }
}
