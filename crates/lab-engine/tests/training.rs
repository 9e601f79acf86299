//! The training loop on the CPU backend, on small synthetic data.

mod common;

use futures::executor::block_on;
use lab_engine::data::prepare;
use lab_engine::lab_spec::*;
use lab_engine::training::{Recorder, RunOptions, evaluate, fit};
use lab_engine::weights;

fn config(model: ModelSpec, epochs: usize) -> TrainingConfig {
    let mut c = TrainingConfig::new(model);
    c.epochs = epochs;
    c.batch_size = 32;
    c.optimizer = OptimizerConfig::adam(0.003);
    c
}

#[test]
fn loss_goes_down_and_history_has_keras_keys() {
    let data = common::synthetic(30, 1);
    let cfg = config(ModelSpec::mlp(&[32]), 3);
    let p = prepare(&data, &cfg);
    let device = common::device();
    let mut rec = Recorder::default();
    let out = block_on(fit(
        &cfg,
        &p.train,
        p.val.as_ref(),
        &device,
        &mut rec,
        &RunOptions::default(),
    ))
    .unwrap();
    let h = &out.summary.history;
    assert_eq!(h.loss.len(), 3);
    assert_eq!(h.val_accuracy.len(), 3);
    assert!(h.loss[2] < h.loss[0], "{:?}", h.loss);
    assert!(h.val_accuracy[2] > 0.9, "{:?}", h.val_accuracy);
    let json = serde_json::to_value(h).unwrap();
    for key in ["loss", "accuracy", "val_loss", "val_accuracy", "lr"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert!(matches!(
        rec.events[0],
        Event::Started {
            train_samples: 240,
            val_samples: 60,
            ..
        }
    ));
    assert!(rec.events.iter().any(|e| matches!(e, Event::Batch(_))));
    assert!(matches!(rec.events.last(), Some(Event::Finished(_))));
}

#[test]
fn same_seed_same_history() {
    let data = common::synthetic(20, 2);
    let mut cfg = config(ModelSpec::mlp(&[16]), 2);
    cfg.model.layers.push(LayerSpec::Dropout { rate: 0.3 });
    let p = prepare(&data, &cfg);
    let run = |seed: u64| {
        let mut c = cfg.clone();
        c.seed = seed;
        let mut rec = Recorder::default();
        block_on(fit(
            &c,
            &p.train,
            p.val.as_ref(),
            &common::device(),
            &mut rec,
            &RunOptions::default(),
        ))
        .unwrap()
        .summary
        .history
    };
    let a = run(5);
    assert_eq!(a.loss, run(5).loss);
    assert_eq!(a.val_loss, run(5).val_loss);
    assert_ne!(a.loss, run(6).loss);
}

#[test]
fn every_layer_kind_and_optimizer_trains() {
    let data = common::synthetic(10, 3);
    let cnn = ModelSpec {
        input: InputKind::Image,
        layers: vec![
            LayerSpec::Conv2D {
                filters: 4,
                kernel_size: 3,
                strides: 1,
                padding: Padding::Same,
                activation: Activation::Relu,
                kernel_regularizer: Some(Regularizer { l1: 1e-4, l2: 1e-3 }),
            },
            LayerSpec::BatchNorm {},
            LayerSpec::MaxPool2D {
                pool_size: 2,
                strides: None,
            },
            LayerSpec::Flatten {},
            LayerSpec::Dense {
                units: 8,
                activation: Activation::Tanh,
                kernel_regularizer: Some(Regularizer { l1: 0.0, l2: 1e-3 }),
            },
            LayerSpec::BatchNorm {},
            LayerSpec::Dropout { rate: 0.2 },
            LayerSpec::Dense {
                units: 8,
                activation: Activation::Sigmoid,
                kernel_regularizer: None,
            },
        ],
        head_regularizer: None,
        head: Head::Softmax,
    };
    for opt in [
        OptimizerConfig::Sgd {
            learning_rate: 0.05,
            momentum: 0.9,
            nesterov: true,
        },
        serde_json::from_str(r#"{"type": "rmsprop"}"#).unwrap(),
        OptimizerConfig::adam(0.01),
    ] {
        let mut cfg = config(cnn.clone(), 2);
        cfg.optimizer = opt.clone();
        cfg.class_weight = Some(vec![1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]);
        let p = prepare(&data, &cfg);
        let mut rec = Recorder::default();
        let out = block_on(fit(
            &cfg,
            &p.train,
            p.val.as_ref(),
            &common::device(),
            &mut rec,
            &RunOptions::default(),
        ))
        .unwrap();
        let last = out.summary.epochs.last().unwrap();
        assert!(last.loss.is_finite(), "{opt:?}");
        assert!(last.regularization_loss > 0.0, "{opt:?}");
        assert!(last.val_loss.unwrap() > 0.0);
    }
}

#[test]
fn stop_request_ends_the_run_within_a_batch() {
    let data = common::synthetic(30, 4);
    let cfg = config(ModelSpec::mlp(&[16]), 50);
    let p = prepare(&data, &cfg);
    let mut rec = Recorder::stopping_after(3);
    let opts = RunOptions {
        progress_interval_s: 0.0,
        ..Default::default()
    };
    let out = block_on(fit(
        &cfg,
        &p.train,
        p.val.as_ref(),
        &common::device(),
        &mut rec,
        &opts,
    ))
    .unwrap();
    assert_eq!(out.summary.reason, StopReason::UserStop);
    assert_eq!(out.summary.stopped_epoch, 0);
    let batches = rec
        .events
        .iter()
        .filter(|e| matches!(e, Event::Batch(_)))
        .count();
    assert_eq!(batches, 3);
}

#[test]
fn early_stopping_restores_the_best_epochs_weights() {
    // A model that overfits a small training set: val_loss rises after a few epochs.
    let data = common::synthetic(12, 5);
    let mut cfg = config(ModelSpec::mlp(&[128, 128]), 40);
    cfg.optimizer = OptimizerConfig::adam(0.01);
    cfg.batch_size = 16;
    cfg.validation_split = 0.5;
    cfg.callbacks.early_stopping = Some(EarlyStoppingConfig {
        patience: 2,
        restore_best_weights: true,
        ..Default::default()
    });
    cfg.callbacks.model_checkpoint = Some(ModelCheckpointConfig::default());
    // Noisier data so that it can overfit.
    let mut noisy = data.clone();
    for (i, l) in noisy.labels.iter_mut().enumerate() {
        if i % 3 == 0 {
            *l = ((*l as usize + i) % 10) as u8;
        }
    }
    let p = prepare(&noisy, &cfg);
    let device = common::device();
    let mut rec = Recorder::default();
    let out = block_on(fit(
        &cfg,
        &p.train,
        p.val.as_ref(),
        &device,
        &mut rec,
        &RunOptions::default(),
    ))
    .unwrap();
    let s = &out.summary;
    assert_eq!(
        s.reason,
        StopReason::EarlyStopping,
        "{:?}",
        s.history.val_loss
    );
    let best = s.best_epoch.unwrap();
    assert!(best < s.stopped_epoch);
    assert_eq!(s.weights_epoch, best);
    let best_val_loss = s.epochs[best - 1].val_loss.unwrap();
    // The restored model's val_loss equals the best epoch's.
    let val = p.val.as_ref().unwrap();
    let report = block_on(evaluate(
        &out.model,
        cfg.model.input,
        val,
        &device.clone().inner(),
        1000,
    ))
    .unwrap();
    assert!(
        (report.loss.unwrap() - best_val_loss).abs() < 1e-5,
        "{} vs {best_val_loss}",
        report.loss.unwrap()
    );
    assert!(rec.events.iter().any(|e| matches!(e, Event::Callback(CallbackAction::RestoredBestWeights { epoch, .. }) if *epoch == best)));
    // The checkpoint holds the same epoch, and loading it gives the same val_loss.
    let cp = out.checkpoint.unwrap();
    assert_eq!(cp.epoch, best);
    let loaded = weights::load(&cp.bytes, &cfg.model, &device.clone().inner()).unwrap();
    let again = block_on(evaluate(
        &loaded,
        cfg.model.input,
        val,
        &device.inner(),
        1000,
    ))
    .unwrap();
    assert!((again.loss.unwrap() - best_val_loss).abs() < 1e-5);
    assert_eq!(again.confusion_matrix, report.confusion_matrix);
}

#[test]
fn nan_loss_terminates_or_is_reported() {
    let data = common::synthetic(10, 6);
    let mut cfg = config(ModelSpec::mlp(&[16]), 3);
    let mut p = prepare(&data, &cfg);
    let lab_engine::data::Inputs::Dense { values, .. } = &mut p.train.x else {
        unreachable!("images are dense")
    };
    values[5 * 784 + 100] = f32::NAN; // one bad pixel poisons the loss and then the weights
    let mut rec = Recorder::default();
    let out = block_on(fit(
        &cfg,
        &p.train,
        p.val.as_ref(),
        &common::device(),
        &mut rec,
        &RunOptions::default(),
    ))
    .unwrap();
    assert_eq!(out.summary.reason, StopReason::TerminatedOnNan);
    assert!(
        rec.events
            .iter()
            .any(|e| matches!(e, Event::Callback(CallbackAction::TerminatedOnNan { .. })))
    );

    cfg.callbacks.terminate_on_nan = false;
    let mut rec = Recorder::default();
    let out = block_on(fit(
        &cfg,
        &p.train,
        p.val.as_ref(),
        &common::device(),
        &mut rec,
        &RunOptions::default(),
    ))
    .unwrap();
    assert_eq!(out.summary.reason, StopReason::Completed);
    assert!(out.summary.saw_nan);
    assert!(
        rec.events
            .iter()
            .any(|e| matches!(e, Event::NanLoss { .. }))
    );
}

#[test]
fn invalid_config_is_refused_before_training() {
    let data = common::synthetic(5, 7);
    let mut cfg = config(ModelSpec::mlp(&[16]), 1);
    let p = prepare(&data, &cfg);
    cfg.batch_size = 1000;
    let mut rec = Recorder::default();
    let err = block_on(fit(
        &cfg,
        &p.train,
        p.val.as_ref(),
        &common::device(),
        &mut rec,
        &RunOptions::default(),
    ))
    .err()
    .unwrap();
    assert!(err.to_string().contains("batch_size"), "{err}");
    assert!(rec.events.is_empty());
}
