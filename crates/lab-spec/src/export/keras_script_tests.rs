use super::*;

/// `configs/baseline.json`.
const BASELINE: &str = r#"{
  "name": "baseline: Dense(10, softmax)",
  "model": { "input": "flat", "layers": [] },
  "optimizer": { "type": "adam", "learning_rate": 0.001 },
  "batch_size": 32,
  "epochs": 5,
  "validation_split": 0.2,
  "seed": 42
}"#;

/// Every layer kind, every regularizer form, SGD with Nesterov momentum, standardization, a
/// subset, class weights and all four callbacks.
const EVERYTHING: &str = r#"{
  "model": {
    "input": "image",
    "layers": [
      { "type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu",
        "kernel_regularizer": { "l2": 0.0001 } },
      { "type": "batchnorm" },
      { "type": "maxpool2d", "pool_size": 2 },
      { "type": "conv2d", "filters": 16, "kernel_size": 5, "strides": 2, "activation": "tanh" },
      { "type": "maxpool2d", "pool_size": 2, "strides": 1 },
      { "type": "flatten" },
      { "type": "dense", "units": 32, "activation": "sigmoid",
        "kernel_regularizer": { "l1": 1e-5, "l2": 0.001 } },
      { "type": "dropout", "rate": 0.25 },
      { "type": "dense", "units": 16, "kernel_regularizer": { "l1": 0.01 } }
    ],
    "head_regularizer": { "l2": 0.0005 }
  },
  "optimizer": { "type": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": true },
  "batch_size": 64,
  "epochs": 3,
  "validation_split": 0.1,
  "seed": 7,
  "shuffle": false,
  "normalization": "standardize",
  "subset": 3000,
  "class_weight": [1, 1, 1, 1, 1, 1, 2, 1, 1, 1],
  "callbacks": {
    "early_stopping": { "monitor": "val_accuracy", "min_delta": 0.001, "patience": 2,
      "baseline": 0.5, "restore_best_weights": true, "start_from_epoch": 1 },
    "model_checkpoint": { "monitor": "val_loss", "mode": "min" },
    "reduce_lr_on_plateau": { "monitor": "loss", "factor": 0.5, "patience": 1, "cooldown": 1,
      "min_lr": 1e-6 },
    "terminate_on_nan": true
  }
}"#;

fn config(json: &str) -> TrainingConfig {
    let c: TrainingConfig = serde_json::from_str(json).unwrap();
    c.validate(None).unwrap();
    c
}

/// The script is compared whole with a file: the files are runnable as they are
/// (`KERAS_BACKEND=jax python fixtures/baseline.py --data static/data/fashion-mnist`).
#[test]
fn the_baseline_script_is_pinned() {
    let about = "Tuning Lab run 1 · baseline: Dense(10, softmax)\nTest accuracy in the lab: 0.8400";
    assert_eq!(
        keras_script(&config(BASELINE), about),
        include_str!("fixtures/baseline.py")
    );
}

#[test]
fn a_script_with_every_layer_optimizer_setting_and_callback_is_pinned() {
    assert_eq!(
        keras_script(&config(EVERYTHING), ""),
        include_str!("fixtures/everything.py")
    );
}

#[test]
fn rmsprop_no_validation_a_large_seed_and_no_callbacks() {
    let mut c = config(BASELINE);
    c.optimizer =
        serde_json::from_str(r#"{"type": "rmsprop", "momentum": 0.5, "centered": true}"#).unwrap();
    c.validation_split = 0.0;
    c.normalization = Normalization::Standardize;
    c.seed = (1 << 53) - 1;
    c.callbacks.terminate_on_nan = false;
    let s = keras_script(&c, "line one\nline\rtwo\n");
    assert!(
        s.starts_with("# line one\n# line two\n#\n# A Keras 3 script"),
        "{s}"
    );
    for part in [
        "optimizer=keras.optimizers.RMSprop(\n            learning_rate=0.001,\n            \
         rho=0.9,\n            momentum=0.5,\n            epsilon=1e-07,\n            \
         centered=True,\n        ),\n",
        "# NumPy seeds must be below 2**32: the lab's seed 9007199254740991 is taken modulo \
         2**32.\nSEED = 9007199254740991 % 2**32\n",
        "    # Per-pixel standardization with the training data's statistics.\n    \
         fit_on = x_train\n",
        "    callbacks = []\n",
        "        shuffle=SHUFFLE,\n        callbacks=callbacks,\n",
    ] {
        assert!(s.contains(part), "{part}\n--- not in ---\n{s}");
    }
    assert!(!s.contains("validation_split="), "{s}");
    assert!(!s.contains("SUBSET"), "{s}");
}
