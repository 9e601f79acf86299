//! The first Dense layer on sparse rows multiplies only their non-zero entries
//! (`lab_engine::sparse_batch`). Training on sparse rows gives what training on the same rows
//! densified gives (loss, penalty, validation, class weights, dropout, the trained weights and
//! the predictions; also for the baseline, whose first Dense layer is its head), a model that
//! starts with Dropout takes the densified path, and an IMDB-shaped run (10,000 features,
//! ~120 non-zero entries per review, batch 512, the regularized model) learns.

mod common;

use burn::tensor::Device;
use futures::executor::block_on;
use lab_engine::data::Split;
use lab_engine::lab_data::SparseRows;
use lab_engine::lab_spec::*;
use lab_engine::session::{SparseData, test_probabilities, train_and_evaluate_sparse};
use lab_engine::training::{Recorder, RunOptions, TrainOutcome, fit, predict};
use rand::{Rng, SeedableRng};

/// `n` "reviews" over `features` words: the first 2% of the words are positive, the next 2%
/// negative, the rest neutral. Each review holds `class_words` words of its class and
/// `neutral` neutral ones, l2-normalized like TF-IDF rows. Labels alternate 0, 1.
fn reviews(
    n: usize,
    features: usize,
    class_words: usize,
    neutral: usize,
    seed: u64,
) -> (SparseRows, Vec<u8>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let band = (features / 50) as u32;
    let mut rows = SparseRows::new(features);
    let mut labels = Vec::new();
    for i in 0..n {
        let label = (i % 2) as u8;
        let base = if label == 1 { 0 } else { band };
        let mut entries: Vec<(u32, f32)> = Vec::new();
        let mut add = |c: u32, v: f32| {
            if !entries.iter().any(|&(e, _)| e == c) {
                entries.push((c, v));
            }
        };
        for _ in 0..class_words {
            add(base + rng.random_range(0..band), rng.random_range(0.3..1.0));
        }
        for _ in 0..neutral {
            add(
                rng.random_range(2 * band..features as u32),
                rng.random_range(0.1..1.0),
            );
        }
        let norm = entries.iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
        for e in &mut entries {
            e.1 /= norm;
        }
        rows.push_row(&mut entries);
        labels.push(label);
    }
    (rows, labels)
}

/// The same rows densified.
fn densified(rows: &SparseRows, labels: &[u8]) -> Split {
    let all: Vec<usize> = (0..rows.len()).collect();
    let mut x = Vec::new();
    rows.densify_into(&all, &mut x);
    Split::dense(x, rows.n_cols, labels.to_vec())
}

fn train_on(config: &TrainingConfig, train: &Split, val: &Split) -> TrainOutcome {
    block_on(fit(
        config,
        train,
        Some(val),
        &common::device(),
        &mut Recorder::default(),
        &RunOptions::default(),
    ))
    .unwrap()
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(b) {
        assert!(
            (x - y).abs() <= 1e-4 * y.abs().max(1.0),
            "{what}: {a:?} vs {b:?}"
        );
    }
}

/// Trains `spec` on 300 sparse rows and on the same rows densified (same seed, so the same
/// weights and dropout masks), and checks that both runs are the same run.
fn sparse_and_dense_agree(spec: ModelSpec) {
    let features = 300;
    let (rows, labels) = reviews(300, features, 3, 12, 5);
    let (val_rows, val_labels) = reviews(100, features, 3, 12, 6);
    let mut config = binary::imdb_config("sparse vs dense", spec, 32, 3);
    config.vectorizer = Some(text::VectorizerConfig {
        max_features: features,
        ..Default::default()
    });
    config.class_weight = Some(vec![1.0, 3.0]);
    let sparse = train_on(
        &config,
        &Split::sparse(rows.clone(), labels.clone()),
        &Split::sparse(val_rows.clone(), val_labels.clone()),
    );
    let dense = train_on(
        &config,
        &densified(&rows, &labels),
        &densified(&val_rows, &val_labels),
    );
    let (s, d) = (&sparse.summary.history, &dense.summary.history);
    assert_eq!(s.loss.len(), 3);
    close(&s.loss, &d.loss, "loss");
    close(&s.val_loss, &d.val_loss, "val_loss");
    close(&s.accuracy, &d.accuracy, "accuracy");
    close(&s.val_accuracy, &d.val_accuracy, "val_accuracy");
    let penalties = |o: &TrainOutcome| -> Vec<f64> {
        o.summary
            .epochs
            .iter()
            .map(|e| e.regularization_loss)
            .collect()
    };
    close(&penalties(&sparse), &penalties(&dense), "penalty");
    for ((name, a, _), (_, b, _)) in sparse
        .model
        .named_tensors()
        .into_iter()
        .zip(dense.model.named_tensors())
    {
        let a = a.into_data().try_to_vec_as::<f32>().unwrap();
        let b = b.into_data().try_to_vec_as::<f32>().unwrap();
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(worst < 1e-4, "{name} differs by {worst}");
    }
    let device = Device::flex();
    let p_sparse = block_on(predict(
        &sparse.model,
        config.model.input,
        &Split::sparse(val_rows.clone(), val_labels.clone()),
        &device,
        64,
    ))
    .unwrap();
    let p_dense = block_on(predict(
        &dense.model,
        config.model.input,
        &densified(&val_rows, &val_labels),
        &device,
        64,
    ))
    .unwrap();
    assert_eq!(p_sparse, p_dense);
}

#[test]
fn the_regularized_model_trains_alike_on_sparse_and_on_densified_rows() {
    sparse_and_dense_agree(ModelSpec::binary_regularized(300, &[16, 8], 1e-3, 0.5));
}

#[test]
fn the_baseline_whose_head_is_its_first_layer_trains_alike() {
    sparse_and_dense_agree(ModelSpec::binary(300, &[]));
}

#[test]
fn a_model_starting_with_dropout_trains_alike_on_the_densified_path() {
    let mut spec = ModelSpec::binary(300, &[16]);
    spec.layers.insert(0, LayerSpec::Dropout { rate: 0.2 });
    sparse_and_dense_agree(spec);
}

#[test]
fn an_imdb_shaped_regularized_run_learns() {
    // 10,000 features, ~120 non-zero entries per review (4 of its class), batch 512.
    let features = 10_000;
    let (train, train_labels) = reviews(2_560, features, 4, 116, 1);
    let (test, test_labels) = reviews(500, features, 4, 116, 2);
    let data = SparseData {
        train,
        train_labels,
        test,
        test_labels,
    };
    let mut config = binary::imdb_config(
        "IMDB-shaped",
        ModelSpec::binary_regularized(features, &[128, 64], 1e-3, 0.5),
        512,
        6,
    );
    config.vectorizer = Some(text::VectorizerConfig {
        max_features: features,
        ..Default::default()
    });
    let device = Device::flex();
    let options = RunOptions::default();
    let run = block_on(train_and_evaluate_sparse(
        &config,
        &data,
        &device,
        &mut Recorder::default(),
        &options,
    ))
    .unwrap();
    let h = &run.outcome.summary.history;
    assert!(h.loss[5] < h.loss[0], "{:?}", h.loss);
    assert!(h.val_accuracy[5] > 0.9, "{:?}", h.val_accuracy);
    assert!(run.report.accuracy > 0.9, "{}", run.report);
    let p = block_on(test_probabilities(
        &run.outcome.model,
        &config,
        &data,
        &device,
        &options,
    ))
    .unwrap();
    let from_p: Vec<u8> = p.iter().map(|&v| (v > 0.5) as u8).collect();
    assert_eq!(from_p.len(), 500);
    let agree = from_p
        .iter()
        .zip(&run.predictions)
        .filter(|(a, b)| a == b)
        .count();
    assert!(agree >= 499, "{agree}");
}
