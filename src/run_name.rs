//! A run's name from what it really trained: the layers, the regularization, the
//! optimizer's learning rate, the batch size, the data (a subset is said) and the epochs run
//! (a run stopped by the learner, by EarlyStopping or by a NaN loss says so). Never a
//! preset's name: a 3-unit model is "Dense 3 relu", whatever step it was trained in. (Each
//! run's colour is the chart's: `components::chart::run_color` of its place in the tab.)

use lab_spec::{
    Activation, LayerSpec, Normalization, OptimizerConfig, Regularizer, TrainingConfig,
};

/// How a run ended, for its name (`None` while it is planned or running).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Every planned epoch was trained (this many).
    Completed(usize),
    /// The learner pressed Stop after this many epochs.
    StoppedByYou(usize),
    /// EarlyStopping ended it after this many epochs.
    StoppedEarly(usize),
    /// TerminateOnNaN ended it after this many full epochs.
    NaN(usize),
    /// It failed or was interrupted after this many epochs.
    Failed(usize),
}

/// "Dense 256-128 relu · L2 1e-3 · Dropout 0.5 · lr 1e-3 · batch 128 · subset 2000 · 4 epochs";
/// step 8's retraining starts with "tuned · ".
pub fn run_name(step: u8, config: &TrainingConfig, ended: Option<Ended>) -> String {
    let mut parts = model_parts(config);
    parts.push(optimizer_part(&config.optimizer));
    parts.push(format!("batch {}", config.batch_size));
    if config.normalization == Normalization::Standardize {
        parts.push("standardized".into());
    }
    if let Some(es) = &config.callbacks.early_stopping {
        parts.push(format!("EarlyStopping {}", es.patience));
    }
    if config.callbacks.reduce_lr_on_plateau.is_some() {
        parts.push("ReduceLROnPlateau".into());
    }
    if config.class_weight.is_some() {
        parts.push("class weights".into());
    }
    if let Some(s) = config.subset {
        parts.push(format!("subset {s}"));
    }
    parts.push(epochs_part(config.epochs, ended));
    let name = parts.join(" · ");
    if step == 8 {
        format!("tuned · {name}")
    } else {
        name
    }
}

/// The model: its Dense (or Conv2D) stack, then its regularization.
fn model_parts(config: &TrainingConfig) -> Vec<String> {
    let layers = &config.model.layers;
    let mut parts = Vec::new();
    let convs: Vec<(usize, usize, Activation)> = layers
        .iter()
        .filter_map(|l| match l {
            LayerSpec::Conv2D {
                filters,
                kernel_size,
                activation,
                ..
            } => Some((*filters, *kernel_size, *activation)),
            _ => None,
        })
        .collect();
    if !convs.is_empty() {
        let kernels: Vec<usize> = convs.iter().map(|c| c.1).collect();
        let kernel = if kernels.iter().all(|&k| k == kernels[0]) {
            format!(" {0}×{0}", kernels[0])
        } else {
            String::new()
        };
        let sizes: Vec<(usize, Activation)> = convs.iter().map(|c| (c.0, c.2)).collect();
        parts.push(format!("Conv2D{kernel} {}", stack(&sizes)));
    }
    let pools = layers
        .iter()
        .filter(|l| matches!(l, LayerSpec::MaxPool2D { .. }))
        .count();
    if pools > 0 {
        parts.push(times("MaxPool", pools));
    }
    let dense: Vec<(usize, Activation)> = layers
        .iter()
        .filter_map(|l| match l {
            LayerSpec::Dense {
                units, activation, ..
            } => Some((*units, *activation)),
            _ => None,
        })
        .collect();
    if !dense.is_empty() {
        parts.push(format!("Dense {}", stack(&dense)));
    } else if convs.is_empty() {
        parts.push("no hidden layer".into());
    }
    let regs: Vec<Regularizer> = layers
        .iter()
        .filter(|l| matches!(l, LayerSpec::Dense { .. } | LayerSpec::Conv2D { .. }))
        .map(|l| l.kernel_regularizer().unwrap_or_default())
        .collect();
    let l1: Vec<f64> = regs.iter().map(|r| r.l1).collect();
    let l2: Vec<f64> = regs.iter().map(|r| r.l2).collect();
    for (kind, values) in [("L1", l1), ("L2", l2)] {
        if values.iter().any(|&v| v != 0.0) {
            parts.push(format!("{kind} {}", same_or_each(&values)));
        }
    }
    if let Some(head) = config.model.head_regularizer.filter(Regularizer::is_active) {
        for (kind, v) in [("L1", head.l1), ("L2", head.l2)] {
            if v != 0.0 {
                parts.push(format!("head {kind} {}", number(v)));
            }
        }
    }
    let rates: Vec<f64> = layers
        .iter()
        .filter_map(|l| match l {
            LayerSpec::Dropout { rate } => Some(*rate),
            _ => None,
        })
        .collect();
    if !rates.is_empty() {
        parts.push(format!("Dropout {}", same_or_each(&rates)));
    }
    let norms = layers
        .iter()
        .filter(|l| matches!(l, LayerSpec::BatchNorm {}))
        .count();
    if norms > 0 {
        parts.push(times("BatchNorm", norms));
    }
    parts
}

/// "256-128 relu" when the activations agree, else "256 relu-128 tanh".
fn stack(layers: &[(usize, Activation)]) -> String {
    let act = |a: Activation| format!("{a:?}").to_lowercase();
    let sizes = |f: &dyn Fn(&(usize, Activation)) -> String| {
        layers.iter().map(f).collect::<Vec<_>>().join("-")
    };
    if layers.iter().all(|l| l.1 == layers[0].1) {
        format!("{} {}", sizes(&|l| l.0.to_string()), act(layers[0].1))
    } else {
        sizes(&|l| format!("{} {}", l.0, act(l.1)))
    }
}

fn times(what: &str, n: usize) -> String {
    if n == 1 {
        what.to_string()
    } else {
        format!("{what} ×{n}")
    }
}

/// One value when all agree, else each layer's: "0.5" or "0.5/0.3".
fn same_or_each(values: &[f64]) -> String {
    if values.iter().all(|&v| v == values[0]) {
        number(values[0])
    } else {
        values
            .iter()
            .map(|&v| number(v))
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn optimizer_part(o: &OptimizerConfig) -> String {
    let lr = number(o.learning_rate());
    match o {
        OptimizerConfig::Adam { .. } => format!("lr {lr}"),
        OptimizerConfig::Sgd { .. } => format!("SGD lr {lr}"),
        OptimizerConfig::RmsProp { .. } => format!("RMSprop lr {lr}"),
    }
}

fn epochs_part(planned: usize, ended: Option<Ended>) -> String {
    let plural = |n: usize| if n == 1 { "epoch" } else { "epochs" };
    match ended {
        None => format!("{planned} {}", plural(planned)),
        Some(Ended::Completed(n)) => format!("{n} {}", plural(n)),
        Some(Ended::StoppedByYou(n)) => format!("stopped by you after {n}/{planned} epochs"),
        Some(Ended::StoppedEarly(n)) => format!("stopped early after {n}/{planned} epochs"),
        Some(Ended::NaN(n)) => format!("NaN loss after {n}/{planned} epochs"),
        Some(Ended::Failed(n)) => format!("failed after {n}/{planned} epochs"),
    }
}

/// A setting as a learner writes it: "0.5", "10", "1e-3", "3.16e-4".
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let a = x.abs();
    if a == 0.0 {
        return "0".into();
    }
    if (0.01..10_000.0).contains(&a) {
        let s = format!("{x:.4}");
        return s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    let s = format!("{x:.2e}");
    let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}e{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::{EarlyStoppingConfig, ModelSpec};

    #[test]
    fn the_presets_are_named_from_their_settings() {
        let c = crate::presets::overfit();
        assert_eq!(
            run_name(6, &c, None),
            "Dense 256-128 relu · lr 1e-3 · batch 512 · 15 epochs"
        );
        let c = crate::presets::regularized();
        assert_eq!(
            run_name(7, &c, Some(Ended::Completed(15))),
            "Dense 256-128 relu · L2 1e-3 · Dropout 0.5 · lr 1e-3 · batch 512 · 15 epochs"
        );
        let c = crate::presets::baseline();
        assert_eq!(
            run_name(5, &c, None),
            "no hidden layer · lr 1e-3 · batch 32 · 5 epochs"
        );
        assert!(run_name(8, &c, None).starts_with("tuned · no hidden layer"));
    }

    #[test]
    fn what_the_learner_changed_is_in_the_name() {
        let mut c = crate::presets::overfit();
        if let LayerSpec::Dense { units, .. } = &mut c.model.layers[0] {
            *units = 3;
        }
        c.model.layers.truncate(1);
        c.optimizer = OptimizerConfig::Sgd {
            learning_rate: 10.0,
            momentum: 0.9,
            nesterov: false,
        };
        c.batch_size = 5000;
        c.subset = Some(2000);
        c.epochs = 4;
        assert_eq!(
            run_name(6, &c, None),
            "Dense 3 relu · SGD lr 10 · batch 5000 · subset 2000 · 4 epochs"
        );
        // Mixed activations, per-layer rates and regularizers, callbacks.
        let mut c = TrainingConfig::new(ModelSpec::mlp(&[64, 32]));
        if let LayerSpec::Dense {
            activation,
            kernel_regularizer,
            ..
        } = &mut c.model.layers[1]
        {
            *activation = Activation::Tanh;
            *kernel_regularizer = Some(Regularizer {
                l1: 0.0,
                l2: 3.16e-4,
            });
        }
        c.model.layers.insert(1, LayerSpec::Dropout { rate: 0.3 });
        c.model.layers.push(LayerSpec::Dropout { rate: 0.2 });
        c.model.layers.push(LayerSpec::BatchNorm {});
        c.callbacks.early_stopping = Some(EarlyStoppingConfig {
            patience: 3,
            ..Default::default()
        });
        c.optimizer = OptimizerConfig::adam(0.0025);
        assert_eq!(
            run_name(7, &c, Some(Ended::StoppedEarly(9))),
            format!(
                "Dense 64 relu-32 tanh · L2 0/3.16e-4 · Dropout 0.3/0.2 · BatchNorm · lr 2.5e-3 · \
                 batch {} · EarlyStopping 3 · stopped early after 9/{} epochs",
                c.batch_size, c.epochs
            )
        );
        let cnn: TrainingConfig =
            serde_json::from_str(include_str!("../configs/cnn.json")).unwrap();
        assert!(
            run_name(7, &cnn, None).starts_with(
                "Conv2D 3×3 32-64 relu · MaxPool ×2 · Dense 128 relu · Dropout 0.3 · lr 1e-3"
            ),
            "{}",
            run_name(7, &cnn, None)
        );
    }

    #[test]
    fn how_a_run_ended_is_said() {
        let c = crate::presets::baseline();
        let name = |e| run_name(5, &c, Some(e));
        assert!(name(Ended::Completed(5)).ends_with(" · 5 epochs"));
        assert!(name(Ended::Completed(1)).ends_with(" · 1 epoch"));
        assert!(name(Ended::StoppedByYou(1)).ends_with(" · stopped by you after 1/5 epochs"));
        assert!(name(Ended::StoppedEarly(3)).ends_with(" · stopped early after 3/5 epochs"));
        assert!(name(Ended::NaN(0)).ends_with(" · NaN loss after 0/5 epochs"));
        assert!(name(Ended::Failed(2)).ends_with(" · failed after 2/5 epochs"));
    }

    #[test]
    fn numbers_read_as_written() {
        let cases = [
            (0.5, "0.5"),
            (0.01, "0.01"),
            (10.0, "10"),
            (0.001, "1e-3"),
            (1e-4, "1e-4"),
            (3.16e-4, "3.16e-4"),
            (0.0, "0"),
            (0.25, "0.25"),
            (128.0, "128"),
            (9.999e-3, "1e-2"),
        ];
        for (x, s) in cases {
            assert_eq!(number(x), s, "{x}");
        }
    }
}
