//! The binary task on sparse rows (IMDB's shape) on the CPU backend: a synthetic separable
//! "review" problem trains, class weights scale the loss as Keras' do, weights round-trip.

mod common;

use burn::module::Module;
use futures::executor::block_on;
use lab_engine::data::{Split, prepare_sparse};
use lab_engine::lab_data::SparseRows;
use lab_engine::lab_spec::text::VectorizerConfig;
use lab_engine::lab_spec::*;
use lab_engine::session::{SparseData, test_probabilities, train_and_evaluate_sparse};
use lab_engine::training::{Recorder, RunOptions, evaluate_with_predictions, fit, predict};
use lab_engine::weights;
use rand::{Rng, SeedableRng};

const FEATURES: usize = 500;

/// `n` "reviews" over `FEATURES` words: words 0–49 are positive, 50–99 negative, the rest
/// neutral. Each review holds 3 words of its class and 10 neutral ones, l2-normalized like
/// TF-IDF rows. Labels alternate 0, 1.
fn reviews(n: usize, seed: u64) -> (SparseRows, Vec<u8>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut rows = SparseRows::new(FEATURES);
    let mut labels = Vec::new();
    for i in 0..n {
        let label = (i % 2) as u8;
        let base = if label == 1 { 0 } else { 50 };
        let mut entries: Vec<(u32, f32)> = Vec::new();
        let mut add = |c: u32, v: f32| {
            if !entries.iter().any(|&(e, _)| e == c) {
                entries.push((c, v));
            }
        };
        for _ in 0..3 {
            add(base + rng.random_range(0..50), rng.random_range(0.5..1.0));
        }
        for _ in 0..10 {
            add(
                rng.random_range(100..FEATURES as u32),
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

fn data() -> SparseData {
    let (train, train_labels) = reviews(2_000, 1);
    let (test, test_labels) = reviews(500, 2);
    SparseData {
        train,
        train_labels,
        test,
        test_labels,
    }
}

/// An IMDB-shaped config on `FEATURES` features.
fn config(hidden: &[usize], batch_size: usize, epochs: usize) -> TrainingConfig {
    let mut c = binary::imdb_config(
        "synthetic",
        ModelSpec::binary(FEATURES, hidden),
        batch_size,
        epochs,
    );
    c.vectorizer = Some(VectorizerConfig {
        max_features: FEATURES,
        ..Default::default()
    });
    c
}

fn run(c: &TrainingConfig) -> lab_engine::session::RunResult {
    let device = burn::tensor::Device::flex();
    block_on(train_and_evaluate_sparse(
        c,
        &data(),
        &device,
        &mut Recorder::default(),
        &RunOptions::default(),
    ))
    .unwrap()
}

#[test]
fn the_baseline_learns_a_separable_sparse_problem() {
    let c = config(&[], 32, 5);
    c.validate(None).unwrap();
    let r = run(&c);
    let h = &r.outcome.summary.history;
    assert_eq!(h.loss.len(), 5);
    assert!(h.loss[4] < h.loss[0], "{:?}", h.loss);
    assert!(h.val_accuracy[4] > 0.95, "{:?}", h.val_accuracy);
    assert!(r.report.accuracy > 0.95, "{}", r.report);
    assert_eq!(r.report.confusion_matrix.len(), 2);
    assert_eq!(r.report.per_class[1].name, "positive");
    assert!(r.report.f1().unwrap() > 0.95, "{}", r.report);
    assert_eq!(r.predictions.len(), 500);
    assert!(r.report.loss.unwrap() < h.loss[0]);
}

#[test]
fn the_two_layer_model_learns_it_too_and_gives_probabilities() {
    let c = config(&[128, 64], 512, 15);
    let r = run(&c);
    assert!(r.report.accuracy > 0.95, "{}", r.report);
    let device = burn::tensor::Device::flex();
    let d = data();
    let p = block_on(test_probabilities(
        &r.outcome.model,
        &c,
        &d,
        &device,
        &RunOptions::default(),
    ))
    .unwrap();
    assert_eq!(p.len(), 500);
    assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
    // The predicted class is `p > 0.5`, as seed 004's `predict(x) > 0.5`.
    let from_p: Vec<u8> = p.iter().map(|&v| (v > 0.5) as u8).collect();
    let agree = from_p
        .iter()
        .zip(&r.predictions)
        .filter(|(a, b)| a == b)
        .count();
    assert!(agree >= 499, "{agree}");
}

#[test]
fn a_higher_threshold_turns_some_positives_negative() {
    let mut c = config(&[], 32, 3);
    c.threshold = 0.9;
    c.validate(None).unwrap();
    let r = run(&c);
    let d = data();
    let device = burn::tensor::Device::flex();
    let p = block_on(test_probabilities(
        &r.outcome.model,
        &c,
        &d,
        &device,
        &RunOptions::default(),
    ))
    .unwrap();
    // The predicted class is `p > 0.9`, and the report counts those predictions.
    let from_p: Vec<u8> = p.iter().map(|&v| (v > 0.9) as u8).collect();
    let agree = from_p
        .iter()
        .zip(&r.predictions)
        .filter(|(a, b)| a == b)
        .count();
    assert!(agree >= 499, "{agree}");
    let m = &r.report.confusion_matrix;
    let called_positive = r.predictions.iter().filter(|&&v| v == 1).count();
    assert_eq!(m[0][1] + m[1][1], called_positive);
    // The same model at 0.5: some positives it finds are negative at 0.9.
    let test = Split::sparse(d.test.clone(), d.test_labels.clone());
    let (half, _) = block_on(evaluate_with_predictions(
        &r.outcome.model.clone().with_threshold(0.5),
        c.model.input,
        &test,
        &device,
        RunOptions::default().eval_batch_size,
    ))
    .unwrap();
    let h = &half.confusion_matrix;
    assert!(
        m[1][0] > h[1][0],
        "more positives called negative: {m:?} vs {h:?}"
    );
    assert!(m[1][1] < h[1][1], "{m:?} vs {h:?}");
    assert_eq!(
        m[1][0] + m[1][1],
        h[1][0] + h[1][1],
        "the true classes stay"
    );
    assert_eq!(
        half.loss, r.report.loss,
        "the loss does not depend on the threshold"
    );
    assert!(r.report.f1() != half.f1());
}

/// The mean loss of one epoch of one batch (the loss before the step) with `class_weight`.
fn first_batch_loss(class_weight: Option<Vec<f64>>) -> f64 {
    let (rows, labels) = reviews(64, 3);
    let mut c = config(&[8], 64, 1);
    c.validation_split = 0.0;
    c.shuffle = false;
    c.class_weight = class_weight;
    let p = prepare_sparse(&rows, &labels, &c);
    let out = block_on(fit(
        &c,
        &p.train,
        None,
        &common::device(),
        &mut Recorder::default(),
        &RunOptions::default(),
    ))
    .unwrap();
    out.summary.history.loss[0]
}

#[test]
fn class_weights_scale_each_samples_loss_as_keras_does() {
    // Keras: sum over the batch of weight × loss, divided by the batch size (not by the sum of
    // the weights), the same convention as the ten-class path.
    let plain = first_batch_loss(None);
    let neg = first_batch_loss(Some(vec![1.0, 0.0]));
    let pos = first_batch_loss(Some(vec![0.0, 1.0]));
    let mixed = first_batch_loss(Some(vec![1.0, 3.0]));
    assert!((neg + pos - plain).abs() < 1e-5, "{neg} + {pos} vs {plain}");
    assert!((neg + 3.0 * pos - mixed).abs() < 1e-5, "{mixed}");
    assert!((first_batch_loss(Some(vec![1.0, 1.0])) - plain).abs() < 1e-6);
}

#[test]
fn a_binary_model_round_trips_through_safetensors() {
    let c = config(&[16], 64, 1);
    let d = data();
    let p = prepare_sparse(&d.train, &d.train_labels, &c);
    let out = block_on(fit(
        &c,
        &p.train,
        p.val.as_ref(),
        &common::device(),
        &mut Recorder::default(),
        &RunOptions::default(),
    ))
    .unwrap();
    let device = burn::tensor::Device::flex();
    let model = out.model.valid();
    let bytes = block_on(weights::to_bytes_with_config(&model, &c)).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("dense.kernel").unwrap().shape(), [FEATURES, 16]);
    assert_eq!(st.tensor("dense_1.kernel").unwrap().shape(), [16, 1]);
    assert_eq!(st.tensor("dense_1.bias").unwrap().shape(), [1]);
    let loaded = weights::load(&bytes, &c.model, &device).unwrap();
    let test = Split::sparse(d.test.clone(), d.test_labels.clone());
    let a = block_on(predict(&model, c.model.input, &test, &device, 100)).unwrap();
    let b = block_on(predict(&loaded, c.model.input, &test, &device, 100)).unwrap();
    assert_eq!(a, b);
    // A ten-class model's weights do not fit the binary spec.
    let err = weights::load(&bytes, &ModelSpec::mlp(&[16]), &device).unwrap_err();
    assert!(matches!(err, weights::WeightsError::Mismatch(_)), "{err}");
}

#[test]
fn data_that_does_not_fit_the_config_names_the_field() {
    let mut d = data();
    let c = config(&[], 32, 1);
    d.test.n_cols = FEATURES + 1;
    let device = burn::tensor::Device::flex();
    let err = block_on(train_and_evaluate_sparse(
        &c,
        &d,
        &device,
        &mut Recorder::default(),
        &RunOptions::default(),
    ))
    .err()
    .unwrap();
    let lab_engine::training::TrainError::Config(e) = err else {
        panic!("{err}")
    };
    assert_eq!(e.field, "model.input");
    assert_eq!(
        e.message,
        "the model takes 500 features but the test data has 501"
    );
}

#[test]
fn a_search_runs_on_sparse_rows() {
    use lab_engine::lab_spec::tuning::*;
    let mut c = TunerConfig::seed_004_imdb();
    c.vectorizer = Some(VectorizerConfig {
        max_features: FEATURES,
        ..Default::default()
    });
    c.algorithm = Algorithm::RandomSearch {
        max_trials: 2,
        epochs: 2,
    };
    c.batch_size = 64;
    c.hyperparameters = vec![HyperParameter::Choice {
        name: "units_0".into(),
        values: vec![HpValue::Int(8), HpValue::Int(16)],
    }];
    let d = data();
    let device = burn::tensor::Device::flex();
    let out = block_on(lab_engine::session::tune_sparse(
        &c,
        &d.train,
        &d.train_labels,
        &device,
        &mut Recorder::default(),
        &RunOptions::default(),
    ))
    .unwrap();
    assert_eq!(out.trials.len(), 2);
    let best = c.best_trial(&out.trials).unwrap();
    // Well above chance (0.5). Not pinned tighter: other tests of this binary draw from burn's
    // global generator outside a run's turn, so a trial's initial weights can differ
    // (measured: 0.88 once in 8 parallel runs, above 0.9 otherwise).
    assert!(best.score.unwrap() > 0.8, "{:?}", best.score);
}
