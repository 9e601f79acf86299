//! "Export as a Keras script": a runnable Python file (Keras 3) that rebuilds a run's model,
//! compiles it with the run's optimizer, loss and metric, fits it with the run's settings and
//! callbacks on Fashion-MNIST and prints its test accuracy — the bridge to Colab.
//!
//! What stays the lab's own and how the script does it:
//! - the data: `keras.datasets.fashion_mnist.load_data()`, or `--data DIR` with the four
//!   official gzip IDX files (read with numpy and gzip);
//! - the normalization: `/ 255`, or per-pixel standardization with the statistics of the
//!   training part only (Keras' `validation_split` holds out the *last* part of the arrays,
//!   so the statistics come from the part before it);
//! - the validation split: the lab holds out a random stratified sample; the script uses
//!   Keras' `validation_split`, which takes the last part of the training data (Fashion-MNIST's
//!   files are in random order, so both are fair samples);
//! - a subset: a seeded stratified sample with numpy, as the lab's;
//! - ModelCheckpoint: the lab keeps the weights in memory, Keras in a `.weights.h5` file; the
//!   script evaluates them at the end, like the lab's "Use the best checkpoint".
//!
//! The lab and Keras draw different random numbers, so the curves come out close, not equal.

use crate::callbacks::{Mode, Monitor};
use crate::dataset::FILE_NAMES;
use crate::export::python::{bool_literal, float_literal, str_literal};
use crate::model::{Activation, InputKind, LayerSpec, NUM_CLASSES, Padding, Regularizer};
use crate::training::{Normalization, OptimizerConfig, TrainingConfig};

/// Lines longer than this are broken into one argument per line (as black does).
const LINE: usize = 88;
/// NumPy's seeds (inside `keras.utils.set_random_seed`) must be below 2^32.
const NUMPY_SEEDS: u64 = 1 << 32;
/// Where Keras' ModelCheckpoint writes the weights.
const CHECKPOINT_FILE: &str = "best.weights.h5";

/// A call `head(args…)` at `indent` spaces: on one line when it fits, else one argument per
/// line with a trailing comma.
fn call(indent: usize, head: &str, args: &[String]) -> String {
    let one = format!("{}{head}({})", " ".repeat(indent), args.join(", "));
    if one.len() <= LINE || args.is_empty() {
        return one;
    }
    let pad = " ".repeat(indent + 4);
    let lines: String = args.iter().map(|a| format!("{pad}{a},\n")).collect();
    format!(
        "{}{head}(\n{lines}{})",
        " ".repeat(indent),
        " ".repeat(indent)
    )
}

fn activation(a: Activation) -> String {
    let name = match a {
        Activation::Relu => "relu",
        Activation::Tanh => "tanh",
        Activation::Sigmoid => "sigmoid",
        Activation::Linear => "linear",
    };
    format!("activation={}", str_literal(name))
}

/// `kernel_regularizer=...` when the layer has an active one.
fn regularizer(r: Option<Regularizer>) -> Option<String> {
    let r = r.filter(Regularizer::is_active)?;
    let value = match (r.l1 != 0.0, r.l2 != 0.0) {
        (true, false) => format!("regularizers.L1({})", float_literal(r.l1)),
        (false, true) => format!("regularizers.L2({})", float_literal(r.l2)),
        _ => format!(
            "regularizers.L1L2(l1={}, l2={})",
            float_literal(r.l1),
            float_literal(r.l2)
        ),
    };
    Some(format!("kernel_regularizer={value}"))
}

/// One layer as Keras source (without indentation).
fn layer(l: &LayerSpec) -> (String, Vec<String>) {
    match l {
        LayerSpec::Dense {
            units,
            activation: a,
            ..
        } => {
            let mut args = vec![units.to_string(), activation(*a)];
            args.extend(regularizer(l.kernel_regularizer()));
            ("layers.Dense".into(), args)
        }
        LayerSpec::Dropout { rate } => ("layers.Dropout".into(), vec![float_literal(*rate)]),
        LayerSpec::BatchNorm {} => ("layers.BatchNormalization".into(), vec![]),
        LayerSpec::Conv2D {
            filters,
            kernel_size,
            strides,
            padding,
            activation: a,
            ..
        } => {
            let padding = match padding {
                Padding::Valid => "valid",
                Padding::Same => "same",
            };
            let mut args = vec![
                filters.to_string(),
                format!("kernel_size={kernel_size}"),
                format!("strides={strides}"),
                format!("padding={}", str_literal(padding)),
                activation(*a),
            ];
            args.extend(regularizer(l.kernel_regularizer()));
            ("layers.Conv2D".into(), args)
        }
        LayerSpec::MaxPool2D { pool_size, strides } => (
            "layers.MaxPooling2D".into(),
            vec![
                format!("pool_size={pool_size}"),
                format!(
                    "strides={}",
                    strides.map_or("None".into(), |s| s.to_string())
                ),
            ],
        ),
        LayerSpec::Flatten {} => ("layers.Flatten".into(), vec![]),
    }
}

fn optimizer(o: &OptimizerConfig) -> (String, Vec<String>) {
    let f = |name: &str, v: f64| format!("{name}={}", float_literal(v));
    let b = |name: &str, v: bool| format!("{name}={}", bool_literal(v));
    match *o {
        OptimizerConfig::Sgd {
            learning_rate,
            momentum,
            nesterov,
        } => (
            "keras.optimizers.SGD".into(),
            vec![
                f("learning_rate", learning_rate),
                f("momentum", momentum),
                b("nesterov", nesterov),
            ],
        ),
        OptimizerConfig::Adam {
            learning_rate,
            beta_1,
            beta_2,
            epsilon,
        } => (
            "keras.optimizers.Adam".into(),
            vec![
                f("learning_rate", learning_rate),
                f("beta_1", beta_1),
                f("beta_2", beta_2),
                f("epsilon", epsilon),
            ],
        ),
        OptimizerConfig::RmsProp {
            learning_rate,
            rho,
            momentum,
            epsilon,
            centered,
        } => (
            "keras.optimizers.RMSprop".into(),
            vec![
                f("learning_rate", learning_rate),
                f("rho", rho),
                f("momentum", momentum),
                f("epsilon", epsilon),
                b("centered", centered),
            ],
        ),
    }
}

fn monitor(m: Monitor) -> String {
    format!("monitor={}", str_literal(m.name()))
}

fn mode(m: Mode) -> String {
    let name = match m {
        Mode::Auto => "auto",
        Mode::Min => "min",
        Mode::Max => "max",
    };
    format!("mode={}", str_literal(name))
}

/// The callbacks list's items, each at 8 spaces.
fn callbacks(config: &TrainingConfig) -> Vec<String> {
    let cb = &config.callbacks;
    let mut out = Vec::new();
    if let Some(es) = &cb.early_stopping {
        out.push(call(
            8,
            "keras.callbacks.EarlyStopping",
            &[
                monitor(es.monitor),
                format!("min_delta={}", float_literal(es.min_delta)),
                format!("patience={}", es.patience),
                mode(es.mode),
                format!(
                    "baseline={}",
                    es.baseline.map_or("None".into(), float_literal)
                ),
                format!(
                    "restore_best_weights={}",
                    bool_literal(es.restore_best_weights)
                ),
                format!("start_from_epoch={}", es.start_from_epoch),
            ],
        ));
    }
    if let Some(mc) = &cb.model_checkpoint {
        out.push(call(
            8,
            "keras.callbacks.ModelCheckpoint",
            &[
                "CHECKPOINT".into(),
                monitor(mc.monitor),
                mode(mc.mode),
                format!("save_best_only={}", bool_literal(mc.save_best_only)),
                "save_weights_only=True".into(),
            ],
        ));
    }
    if let Some(rl) = &cb.reduce_lr_on_plateau {
        out.push(call(
            8,
            "keras.callbacks.ReduceLROnPlateau",
            &[
                monitor(rl.monitor),
                format!("factor={}", float_literal(rl.factor)),
                format!("patience={}", rl.patience),
                mode(rl.mode),
                format!("min_delta={}", float_literal(rl.min_delta)),
                format!("cooldown={}", rl.cooldown),
                format!("min_lr={}", float_literal(rl.min_lr)),
            ],
        ));
    }
    if cb.terminate_on_nan {
        out.push(call(8, "keras.callbacks.TerminateOnNaN", &[]));
    }
    out
}

const READ_IDX: &str = r#"def read_idx(path):
    """One gzip IDX file as a uint8 array; the magic number's last byte is the rank."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def load_data(folder):
    """Fashion-MNIST as ((x_train, y_train), (x_test, y_test)), uint8 images and labels."""
    if folder is None:
        return keras.datasets.fashion_mnist.load_data()
    arrays = [read_idx(os.path.join(folder, name)) for name in FILES]
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])
"#;

const SUBSET_FN: &str = r#"

def stratified_subset(x, y, n, seed):
    """About n items picked at random (seeded), each class keeping its share."""
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        keep.append(rng.permutation(members)[: round(n * len(members) / len(y))])
    keep = np.sort(np.concatenate(keep))
    return x[keep], y[keep]
"#;

/// The Keras 3 script of `config`. `about` (the run's name, its result in the lab) heads the
/// file as comment lines.
pub fn keras_script(config: &TrainingConfig, about: &str) -> String {
    let mut s = String::new();
    for line in about.lines() {
        let line: String = line
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        s.push_str(format!("# {line}").trim_end());
        s.push('\n');
    }
    if !about.is_empty() {
        s.push_str("#\n");
    }
    s.push_str(
        "# A Keras 3 script written by Tuning Lab: it rebuilds the run's model, compiles and fits it
# with the run's settings on Fashion-MNIST, then evaluates it on the test set. Keras runs on
# JAX, TensorFlow or PyTorch: choose with the KERAS_BACKEND environment variable.
#
#   python this_file.py                # Fashion-MNIST through keras.datasets (downloads it)
#   python this_file.py --data DIR     # a folder with the four official .gz files
#   python this_file.py --epochs 3     # fewer (or more) epochs than the run's
#
# The lab and Keras draw different random numbers (initial weights, shuffling, dropout), and
# the lab holds out a random stratified validation sample where Keras' validation_split takes
# the last part of the training data: the results come out close to the lab's, not equal.

import argparse
import gzip
import os

import numpy as np

import keras
from keras import layers, regularizers

",
    );
    // Settings.
    s.push_str(&format!("EPOCHS = {}\n", config.epochs));
    s.push_str(&format!("BATCH_SIZE = {}\n", config.batch_size));
    s.push_str(&format!(
        "VALIDATION_SPLIT = {}\n",
        float_literal(config.validation_split)
    ));
    s.push_str(&format!("SHUFFLE = {}\n", bool_literal(config.shuffle)));
    if config.seed < NUMPY_SEEDS {
        s.push_str(&format!("SEED = {}\n", config.seed));
    } else {
        s.push_str(&format!(
            "# NumPy seeds must be below 2**32: the lab's seed {} is taken modulo 2**32.\n\
             SEED = {} % 2**32\n",
            config.seed, config.seed
        ));
    }
    if let Some(n) = config.subset {
        s.push_str(&format!("SUBSET = {n}\n"));
    }
    if let Some(w) = &config.class_weight {
        let items: Vec<String> = w
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{i}: {}", float_literal(*v)))
            .collect();
        s.push_str(&format!("CLASS_WEIGHT = {{{}}}\n", items.join(", ")));
    }
    if config.callbacks.model_checkpoint.is_some() {
        s.push_str(&format!("CHECKPOINT = {}\n", str_literal(CHECKPOINT_FILE)));
    }
    s.push_str("FILES = (\n");
    for f in FILE_NAMES {
        s.push_str(&format!("    {},\n", str_literal(f)));
    }
    s.push_str(")\n\n\n");
    s.push_str(READ_IDX);
    if config.subset.is_some() {
        s.push_str(SUBSET_FN);
    }
    // The model.
    let (shape, input) = match config.model.input {
        InputKind::Flat => ("(-1, 784)".into(), "keras.Input(shape=(784,))".to_string()),
        InputKind::Image => (
            "(-1, 28, 28, 1)".into(),
            "keras.Input(shape=(28, 28, 1))".into(),
        ),
        // IMDB's script is not written yet (issue 14): its input shape at least is right.
        InputKind::Features(n) => (format!("(-1, {n})"), format!("keras.Input(shape=({n},))")),
    };
    s.push_str("\n\ndef build_model():\n    return keras.Sequential(\n        [\n");
    s.push_str(&format!("            {input},\n"));
    for l in &config.model.layers {
        let (head, args) = layer(l);
        s.push_str(&call(12, &head, &args));
        s.push_str(",\n");
    }
    let mut head_args = vec![NUM_CLASSES.to_string(), "activation=\"softmax\"".into()];
    head_args.extend(regularizer(config.model.head_regularizer));
    s.push_str(&call(12, "layers.Dense", &head_args));
    s.push_str(",\n        ]\n    )\n");
    // main(): data.
    s.push_str(
        r#"

def main():
    parser = argparse.ArgumentParser(description="Train the Tuning Lab run's model with Keras.")
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="a folder with the four Fashion-MNIST .gz files (default: keras.datasets)",
    )
    parser.add_argument(
        "--epochs", type=int, default=EPOCHS, help=f"epochs to train (default: {EPOCHS})"
    )
    args = parser.parse_args()

    keras.utils.set_random_seed(SEED)
    (x_train, y_train), (x_test, y_test) = load_data(args.data)
"#,
    );
    if config.subset.is_some() {
        s.push_str("    x_train, y_train = stratified_subset(x_train, y_train, SUBSET, SEED)\n");
    }
    s.push_str(&format!(
        "    x_train = x_train.reshape{shape}.astype(\"float32\")\n    \
         x_test = x_test.reshape{shape}.astype(\"float32\")\n"
    ));
    match config.normalization {
        Normalization::Scale => s.push_str(
            "    # Pixels scaled to [0, 1].\n    x_train /= 255.0\n    x_test /= 255.0\n",
        ),
        Normalization::Standardize => {
            let fit_on = if config.validation_split > 0.0 {
                "    # Per-pixel standardization with the statistics of the training part only:\n    \
                 # validation_split holds out the items from int(n * (1 - VALIDATION_SPLIT)) on.\n    \
                 fit_on = x_train[: int(len(x_train) * (1 - VALIDATION_SPLIT))]\n"
            } else {
                "    # Per-pixel standardization with the training data's statistics.\n    \
                 fit_on = x_train\n"
            };
            s.push_str(fit_on);
            s.push_str(
                "    mean = fit_on.mean(axis=0, dtype=\"float64\")\n    \
                 std = fit_on.std(axis=0, dtype=\"float64\")\n    \
                 std[std < 1e-6] = 1.0  # a pixel that never changes is only shifted\n    \
                 x_train = ((x_train - mean) / std).astype(\"float32\")\n    \
                 x_test = ((x_test - mean) / std).astype(\"float32\")\n",
            );
        }
    }
    // Compile.
    let (opt, opt_args) = optimizer(&config.optimizer);
    s.push_str("\n    model = build_model()\n    model.summary()\n    model.compile(\n");
    s.push_str(&call(8, &format!("optimizer={opt}"), &opt_args));
    s.push_str(
        ",\n        loss=\"sparse_categorical_crossentropy\",\n        metrics=[\"accuracy\"],\n    )\n",
    );
    // Callbacks and fit.
    let cbs = callbacks(config);
    if cbs.is_empty() {
        s.push_str("    callbacks = []\n");
    } else {
        s.push_str("    callbacks = [\n");
        for c in cbs {
            s.push_str(&c);
            s.push_str(",\n");
        }
        s.push_str("    ]\n");
    }
    s.push_str(
        "    model.fit(\n        x_train,\n        y_train,\n        epochs=args.epochs,\n        \
         batch_size=BATCH_SIZE,\n",
    );
    if config.validation_split > 0.0 {
        s.push_str("        validation_split=VALIDATION_SPLIT,\n");
    }
    s.push_str("        shuffle=SHUFFLE,\n");
    if config.class_weight.is_some() {
        s.push_str("        class_weight=CLASS_WEIGHT,\n");
    }
    s.push_str("        callbacks=callbacks,\n        verbose=2,  # one line per epoch\n    )\n");
    // Evaluate.
    s.push_str(
        "\n    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)\n    \
         print(f\"test loss: {test_loss:.4f}\")\n    \
         print(f\"test accuracy: {test_accuracy:.4f}\")\n",
    );
    if let Some(mc) = &config.callbacks.model_checkpoint {
        let which = if mc.save_best_only {
            "the best epoch's weights"
        } else {
            "the last epoch's weights"
        };
        s.push_str(&format!(
            "    # ModelCheckpoint kept {which}: the lab's \"Use the best checkpoint\".\n    \
             if os.path.exists(CHECKPOINT):\n        \
             model.load_weights(CHECKPOINT)\n        \
             _, checkpoint_accuracy = model.evaluate(x_test, y_test, verbose=0)\n        \
             print(f\"checkpoint test accuracy: {{checkpoint_accuracy:.4f}}\")\n"
        ));
    }
    s.push_str("\n\nif __name__ == \"__main__\":\n    main()\n");
    s
}

#[cfg(test)]
#[path = "keras_script_tests.rs"]
mod tests;
