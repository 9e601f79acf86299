//! A whole run and a whole search as callers start them (`lab_engine::session`), on small
//! synthetic data.

mod common;

use burn::tensor::Device;
use futures::executor::block_on;
use lab_engine::lab_data::files::FashionMnist;
use lab_engine::lab_spec::tuning::{
    Algorithm, HpValue, HyperParameter, SearchEvent, TunerConfig, Values,
};
use lab_engine::lab_spec::*;
use lab_engine::session::{train_and_evaluate, tune};
use lab_engine::training::{Recorder, RunOptions, TrainError};

fn data() -> FashionMnist {
    FashionMnist {
        train: common::synthetic(20, 11),
        test: common::synthetic(7, 12),
    }
}

fn config(epochs: usize) -> TrainingConfig {
    let mut c = TrainingConfig::new(ModelSpec::mlp(&[16]));
    c.epochs = epochs;
    c.batch_size = 32;
    c.optimizer = OptimizerConfig::adam(0.003);
    c
}

fn field(err: TrainError) -> String {
    match err {
        TrainError::Config(e) => e.field,
        other => panic!("not a config error: {other}"),
    }
}

#[test]
fn train_and_evaluate_predicts_every_test_item() {
    let data = data();
    let mut rec = Recorder::default();
    let run = block_on(train_and_evaluate(
        &config(3),
        &data,
        &Device::flex(),
        &mut rec,
        &RunOptions::default(),
    ))
    .unwrap();
    assert_eq!(run.predictions.len(), data.test.len());
    let agree = run
        .predictions
        .iter()
        .zip(&data.test.labels)
        .filter(|(p, l)| p == l)
        .count();
    assert_eq!(run.report.accuracy, agree as f64 / data.test.len() as f64);
    let counted: usize = run.report.confusion_matrix.iter().flatten().sum();
    assert_eq!(counted, data.test.len());
    assert!(run.report.loss.is_some_and(f64::is_finite));
    let s = &run.outcome.summary;
    assert_eq!(s.epochs.len(), 3);
    assert_eq!(s.history.loss.len(), 3);
    assert_eq!((s.stopped_epoch, s.weights_epoch), (3, 3));
    assert_eq!(s.reason, StopReason::Completed);
    // Scale normalization, fitted on the training split.
    assert_eq!(run.normalizer.scale[0], 255.0);
    assert!(matches!(rec.events.last(), Some(Event::Finished(_))));
}

#[test]
fn train_and_evaluate_checks_the_config_against_the_data_first() {
    let mut cfg = config(1);
    cfg.batch_size = 190; // 200 images, 160 of them for training
    let mut rec = Recorder::default();
    let err = block_on(train_and_evaluate(
        &cfg,
        &data(),
        &Device::flex(),
        &mut rec,
        &RunOptions::default(),
    ))
    .err()
    .unwrap();
    assert!(err.to_string().contains("160 training samples"), "{err}");
    assert_eq!(field(err), "batch_size");
    assert!(rec.events.is_empty());
}

fn tiny_search() -> TunerConfig {
    let mut c = TunerConfig::seed_004();
    c.algorithm = Algorithm::RandomSearch {
        max_trials: 2,
        epochs: 1,
    };
    c.batch_size = 32;
    c.hyperparameters = vec![HyperParameter::Choice {
        name: "units_0".into(),
        values: vec![HpValue::Int(8), HpValue::Int(16)],
    }];
    c
}

/// The error of a search that must not start, and the events it sent (none expected).
fn refused_search(c: &TunerConfig) -> (TrainError, Vec<SearchEvent>) {
    let mut rec = Recorder::<SearchEvent>::default();
    let err = block_on(tune(
        c,
        &data().train,
        &Device::flex(),
        &mut rec,
        &RunOptions::default(),
    ))
    .err()
    .unwrap();
    (err, rec.events)
}

#[test]
fn tune_refuses_an_invalid_config_naming_the_field() {
    let mut c = tiny_search();
    c.validation_split = 0.0;
    let (err, events) = refused_search(&c);
    assert_eq!(field(err), "validation_split");
    assert!(events.is_empty());

    let mut c = tiny_search();
    c.subset = Some(20); // 16 for training, fewer than a batch
    let (err, events) = refused_search(&c);
    assert_eq!(field(err), "batch_size");
    assert!(events.is_empty());
}

#[test]
fn tune_runs_a_tiny_search() {
    let config = tiny_search();
    let mut rec = Recorder::default();
    let out = block_on(tune(
        &config,
        &data().train,
        &Device::flex(),
        &mut rec,
        &RunOptions::default(),
    ))
    .unwrap();
    assert_eq!(out.trials.len(), 2);
    assert_eq!(out.summary.trials, 2);
    assert_eq!(out.summary.reason, "completed");
    for t in &out.trials {
        assert_eq!(t.history.epochs(), 1);
        assert!(t.score.is_some_and(|s| (0.0..=1.0).contains(&s)), "{t:?}");
    }
    let best = config.best_trial(&out.trials).unwrap();
    assert_eq!(out.summary.best_trial.as_ref(), Some(&best.id));
    assert_eq!(out.summary.best_score, best.score);
    let started = rec
        .events
        .iter()
        .filter(|e| matches!(e, SearchEvent::TrialStarted(_)))
        .count();
    assert_eq!(started, 2);
    assert!(matches!(
        rec.events.last(),
        Some(SearchEvent::SearchFinished(_))
    ));
}

/// `lab tune --retrain` (and the page's "retrain best") prepare the retraining run from its
/// own config: it must select the search's subset, split and normalization.
#[test]
fn the_retraining_config_prepares_the_searchs_data() {
    let mut c = tiny_search();
    c.subset = Some(150);
    c.seed = 9;
    c.normalization = Normalization::Standardize;
    let values = Values::from([("units_0".to_string(), HpValue::Int(16))]);
    let search = c.training_config(&Default::default(), 1).unwrap();
    let retrain = c.retrain_config(&values).unwrap();
    let train = data().train;
    let (a, b) = (
        lab_engine::data::prepare(&train, &search),
        lab_engine::data::prepare(&train, &retrain),
    );
    assert_eq!(a.train, b.train);
    assert_eq!(a.val, b.val);
    assert_eq!(a.normalizer, b.normalizer);
}
