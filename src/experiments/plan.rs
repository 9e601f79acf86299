//! The guided experiments as data: the question each asks, the step and data set it belongs
//! to, how much it trains, the setting each variant changes in the step's current config, and
//! what to look for once the variants have trained. The numbers said in the texts were measured
//! with the steps' default models on 5,000 images, or on 5,000 reviews for IMDB's (the `lab`
//! CLI, seed 42).

use lab_spec::{
    DatasetKind, EarlyStoppingConfig, LayerSpec, OptimizerConfig, ReduceLrOnPlateauConfig,
    TrainingConfig,
};

use crate::run_name::number;

/// How much each variant trains: a stratified subset and a few epochs, so an experiment takes
/// about a minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub subset: usize,
    pub epochs: usize,
    /// A batch size of its own, when the experiment needs one (else the step's).
    pub batch_size: Option<usize>,
}

/// The one setting a variant changes in the step's config.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Setting {
    /// A fixed learning rate (ReduceLROnPlateau off).
    LearningRate(f64),
    /// A learning rate that ReduceLROnPlateau multiplies by `factor` when val_loss has not
    /// improved for `patience` epochs.
    Plateau {
        learning_rate: f64,
        factor: f64,
        patience: usize,
    },
    BatchSize(usize),
    /// Seed 004's "do we need both?": the step's Dropout and L1/L2 kept (Dropout 0.5 added
    /// after each Dense layer when it has none) or removed, and EarlyStopping on or off.
    Guard {
        regularization: bool,
        early_stopping: bool,
    },
    /// No class weights, or one class of a data set weighted (the others 1).
    ClassWeight(Option<(DatasetKind, usize, f64)>),
}

/// EarlyStopping in the "do we need both?" experiment: val_loss, 3 epochs of patience, the
/// best epoch's weights restored.
pub const PATIENCE: usize = 3;
/// The Dropout rate added when the step's model has none (seed 004's).
pub const DROPOUT: f64 = 0.5;

impl Setting {
    /// The variant in a few words: "lr 1e-4", "batch 32", "EarlyStopping only".
    pub fn describe(&self) -> String {
        match *self {
            Setting::LearningRate(lr) => format!("lr {}", number(lr)),
            Setting::Plateau {
                learning_rate,
                factor,
                patience,
            } => format!(
                "lr {} with ReduceLROnPlateau (×{} after {patience} epoch{} without progress)",
                number(learning_rate),
                number(factor),
                if patience == 1 { "" } else { "s" }
            ),
            Setting::BatchSize(b) => format!("batch {b}"),
            Setting::Guard {
                regularization: false,
                early_stopping: true,
            } => "EarlyStopping only (no Dropout, no L1/L2)".into(),
            Setting::Guard {
                regularization: true,
                early_stopping: false,
            } => "Dropout and L1/L2 only (no EarlyStopping)".into(),
            Setting::Guard {
                regularization: true,
                early_stopping: true,
            } => "both".into(),
            Setting::Guard { .. } => "neither".into(),
            Setting::ClassWeight(None) => "no class weights".into(),
            Setting::ClassWeight(Some((dataset, class, weight))) => {
                format!(
                    "{} weighted {}",
                    dataset.class_names()[class],
                    number(weight)
                )
            }
        }
    }

    /// Changes `config` by this setting.
    pub fn apply(&self, config: &mut TrainingConfig) {
        match *self {
            Setting::LearningRate(lr) => {
                set_learning_rate(&mut config.optimizer, lr);
                config.callbacks.reduce_lr_on_plateau = None;
            }
            Setting::Plateau {
                learning_rate,
                factor,
                patience,
            } => {
                set_learning_rate(&mut config.optimizer, learning_rate);
                config.callbacks.reduce_lr_on_plateau = Some(ReduceLrOnPlateauConfig {
                    factor,
                    patience,
                    ..Default::default()
                });
            }
            Setting::BatchSize(b) => config.batch_size = b,
            Setting::Guard {
                regularization,
                early_stopping,
            } => {
                if regularization {
                    add_dropout_if_none(&mut config.model.layers);
                } else {
                    remove_regularization(config);
                }
                config.callbacks.early_stopping = early_stopping.then(|| EarlyStoppingConfig {
                    patience: PATIENCE,
                    restore_best_weights: true,
                    ..Default::default()
                });
            }
            Setting::ClassWeight(w) => {
                config.class_weight = w.map(|(dataset, class, weight)| {
                    let mut all = vec![1.0; dataset.class_names().len()];
                    all[class] = weight;
                    all
                });
            }
        }
    }
}

fn set_learning_rate(o: &mut OptimizerConfig, lr: f64) {
    match o {
        OptimizerConfig::Sgd { learning_rate, .. }
        | OptimizerConfig::Adam { learning_rate, .. }
        | OptimizerConfig::RmsProp { learning_rate, .. } => *learning_rate = lr,
    }
}

fn add_dropout_if_none(layers: &mut Vec<LayerSpec>) {
    if layers
        .iter()
        .any(|l| matches!(l, LayerSpec::Dropout { .. }))
    {
        return;
    }
    let mut out = Vec::with_capacity(layers.len() * 2);
    for l in layers.drain(..) {
        let dense = matches!(l, LayerSpec::Dense { .. });
        out.push(l);
        if dense {
            out.push(LayerSpec::Dropout { rate: DROPOUT });
        }
    }
    if !out.iter().any(|l| matches!(l, LayerSpec::Dropout { .. })) {
        out.push(LayerSpec::Dropout { rate: DROPOUT });
    }
    *layers = out;
}

fn remove_regularization(config: &mut TrainingConfig) {
    let model = &mut config.model;
    model
        .layers
        .retain(|l| !matches!(l, LayerSpec::Dropout { .. }));
    for l in &mut model.layers {
        if let LayerSpec::Dense {
            kernel_regularizer, ..
        }
        | LayerSpec::Conv2D {
            kernel_regularizer, ..
        } = l
        {
            *kernel_regularizer = None;
        }
    }
    model.head_regularizer = None;
}

/// One guided experiment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Experiment {
    /// For the page's test ids: "learning-rate".
    pub id: &'static str,
    /// The step it belongs to (its runs are that step's).
    pub step: u8,
    /// The data set its texts were measured on (it is offered on that one only).
    pub dataset: DatasetKind,
    pub question: &'static str,
    /// What is compared and why, in a few sentences.
    pub explanation: &'static str,
    pub size: Size,
    pub variants: &'static [Setting],
    /// Said once the variants have trained.
    pub look_for: &'static str,
}

/// One run of an experiment: what it changes and the config it trains.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub what: String,
    pub config: TrainingConfig,
}

impl Experiment {
    /// Its size, with the URL's quick-run subset and epochs when the link sets them.
    pub fn size(&self, subset: Option<usize>, epochs: Option<usize>) -> Size {
        Size {
            subset: subset.unwrap_or(self.size.subset),
            epochs: epochs.unwrap_or(self.size.epochs),
            batch_size: self.size.batch_size,
        }
    }

    /// The configs it trains: the step's `base` at `size`, each with its one setting changed.
    pub fn variants(&self, base: &TrainingConfig, size: Size) -> Vec<Variant> {
        self.variants
            .iter()
            .map(|setting| {
                let mut config = base.clone();
                config.subset = Some(size.subset);
                config.epochs = size.epochs;
                if let Some(b) = size.batch_size {
                    config.batch_size = b;
                }
                setting.apply(&mut config);
                Variant {
                    what: setting.describe(),
                    config,
                }
            })
            .collect()
    }

    /// What it costs, said before it starts: "6 runs × 10 epochs on 5,000 images" (reviews on
    /// IMDB).
    pub fn cost(&self, size: Size) -> String {
        let runs = self.variants.len();
        let up_to = self.variants.iter().any(|s| {
            matches!(
                s,
                Setting::Guard {
                    early_stopping: true,
                    ..
                }
            )
        });
        let epochs = if size.epochs == 1 { "epoch" } else { "epochs" };
        let items = match self.dataset {
            DatasetKind::FashionMnist => "images",
            DatasetKind::Imdb => "reviews",
        };
        let mut text = format!(
            "{runs} runs × {}{} {epochs} on {} {items}",
            if up_to { "up to " } else { "" },
            size.epochs,
            thousands(size.subset)
        );
        if let Some(b) = size.batch_size {
            text.push_str(&format!(", batch {b}"));
        }
        text
    }
}

/// "5,000".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Shirt: the class most often confused with others (T-shirt/top, Pullover, Coat).
/// "What does the learning rate do?": five fixed rates, then 0.01 with ReduceLROnPlateau (on
/// either data set).
const LEARNING_RATES: &[Setting] = &[
    Setting::LearningRate(1e-4),
    Setting::LearningRate(1e-3),
    Setting::LearningRate(1e-2),
    Setting::LearningRate(1e-1),
    Setting::LearningRate(10.0),
    Setting::Plateau {
        learning_rate: 1e-2,
        factor: 0.2,
        patience: 1,
    },
];

/// "EarlyStopping or Dropout": EarlyStopping only, Dropout and L1/L2 only, both (on either
/// data set).
const GUARDS: &[Setting] = &[
    Setting::Guard {
        regularization: false,
        early_stopping: true,
    },
    Setting::Guard {
        regularization: true,
        early_stopping: false,
    },
    Setting::Guard {
        regularization: true,
        early_stopping: true,
    },
];

const SHIRT: usize = 6;

pub static EXPERIMENTS: [Experiment; 8] = [
    Experiment {
        id: "learning-rate",
        step: 6,
        dataset: DatasetKind::FashionMnist,
        question: "What does the learning rate do?",
        explanation: "The learning rate is the size of each step the optimizer takes down the loss. \
             Your step-6 model is trained with five fixed rates, from 1e-4 to 10, and once starting at 0.01 \
             with ReduceLROnPlateau, which lowers the rate when val_loss stops improving.",
        size: Size {
            subset: 5000,
            epochs: 10,
            batch_size: None,
        },
        variants: LEARNING_RATES,
        look_for: "1e-4 is too small: after 10 epochs its loss still falls steeply, far above the others. \
             1e-3 and 0.01 learn well, 0.01 faster at first but with a jumpier val_loss. 0.1 and 10 are too large: \
             the loss explodes in the first epoch (the chart clips it) and the model is stuck near chance \
             (val_accuracy about 0.1) — its steps overshoot and it never recovers. With ReduceLROnPlateau the rate \
             drops to 2e-3 the first time val_loss stalls (the callback says so under the chart), and the curves \
             settle lower than with 0.01 kept.",
    },
    Experiment {
        id: "batch-size",
        step: 6,
        dataset: DatasetKind::FashionMnist,
        question: "Small or large batches?",
        explanation: "The batch size is how many images each step of the optimizer averages its gradient over. \
             Batch 32 makes 16 times as many steps per epoch as batch 512, each from a noisier estimate.",
        size: Size {
            subset: 5000,
            epochs: 5,
            batch_size: None,
        },
        variants: &[Setting::BatchSize(32), Setting::BatchSize(512)],
        look_for: "In the same 5 epochs, batch 32 gets further (lower loss, higher accuracy): it made 16 times as \
             many updates, and its running loss within each epoch (the faint line) is noisier. \
             Batch 512 takes fewer, steadier steps, and on a GPU each epoch takes less time; it needs more epochs (or a larger learning rate) to get as far. Neither is \
             \"right\": the batch size trades updates per epoch against the cost and noise of each.",
    },
    Experiment {
        id: "stop-or-dropout",
        step: 7,
        dataset: DatasetKind::FashionMnist,
        question: "EarlyStopping or Dropout — do we need both?",
        explanation: "If EarlyStopping prevents overfitting, why bother with Dropout and L2? They act at different times: \
             EarlyStopping at the end of training (it stops once val_loss has not improved for 3 epochs and restores \
             the best epoch's weights), Dropout and L2 during training (they shape the learning path from the start). \
             Three runs of your step-7 model: EarlyStopping only, Dropout and L1/L2 only, and both. Batch 64, so that \
             5,000 images give enough steps to overfit within 20 epochs.",
        size: Size {
            subset: 5000,
            epochs: 20,
            batch_size: Some(64),
        },
        variants: GUARDS,
        look_for: "EarlyStopping alone is reactive: its training loss pulls away from val_loss, val_loss stops \
             improving, and a few epochs later it stops (about epoch 16 with the default model), keeping its best \
             epoch's weights. With Dropout and L1/L2 the two losses stay close and val_loss is still falling at epoch \
             20, so in \"both\" EarlyStopping has nothing to stop yet: regularization delays overfitting, and \
             EarlyStopping is the safety net for when it starts. Their losses sit higher because the L1/L2 penalty is \
             part of them: compare the gap between the solid and dashed curves and the val_accuracy, not the loss \
             levels. The course's advice: use both — regularization finds a better solution, EarlyStopping saves \
             the time and the late-stage degradation.",
    },
    Experiment {
        id: "class-weights",
        step: 7,
        dataset: DatasetKind::FashionMnist,
        question: "What do class weights do?",
        explanation: "Keras' class_weight multiplies each image's loss by the weight of its class, so the model pays more \
             for mistakes on that class. For an imbalanced data set they are computed as total / (classes × count), \
             which makes a rare class count as much as a common one. Fashion-MNIST has 6,000 training images of every \
             class, so those weights are all 1 and change nothing. To see what a weight does, two runs of your step-7 \
             model: without class weights, and with Shirt — the class most often confused with others — weighted 5.",
        size: Size {
            subset: 5000,
            epochs: 10,
            batch_size: None,
        },
        variants: &[
            Setting::ClassWeight(None),
            Setting::ClassWeight(Some((DatasetKind::FashionMnist, SHIRT, 5.0))),
        ],
        look_for: "Pick each run in the test-set results below and compare the Shirt row: with Shirt weighted 5 the model \
             answers \"Shirt\" far more often, so Shirt's recall rises while its precision falls, and T-shirt/top, \
             Pullover and Coat lose recall — the mistakes move to other classes, and the overall accuracy drops a \
             little. On an imbalanced data set that trade is the point: a rare class is found more often, at the \
             price of some false alarms.",
    },
    // IMDB: the same questions on the step's text models, measured on 5,000 reviews (4,000 to
    // train on, 1,000 to validate, 10,000 TF-IDF features).
    Experiment {
        id: "imdb-learning-rate",
        step: 6,
        dataset: DatasetKind::Imdb,
        question: "What does the learning rate do?",
        explanation: "The learning rate is the size of each step the optimizer takes down the loss. \
             Your step-6 text model is trained with five fixed rates, from 1e-4 to 10, and once starting at 0.01 \
             with ReduceLROnPlateau, which lowers the rate when val_loss stops improving.",
        size: Size {
            subset: 5000,
            epochs: 10,
            batch_size: None,
        },
        variants: LEARNING_RATES,
        look_for: "1e-4 is too small: after 10 epochs its loss has only fallen from 0.69 to 0.64 and val_accuracy \
             is still climbing (0.79). 1e-3 learns steadily: val_loss is lowest around epoch 7 (0.34, val_accuracy \
             0.86) and then turns up. 0.01 and 0.1 learn the 4,000 training reviews by heart within three epochs: \
             the training loss drops to almost 0 while val_loss, best after the first epoch, climbs above 1.2. \
             10 is far too large: the model is stuck at val_accuracy 0.5 — the same class for every review, chance \
             on these balanced classes — its steps overshoot and it never recovers. With ReduceLROnPlateau the rate \
             drops to 2e-3 once val_loss stops improving after epoch 2, and keeps dropping (the callback says so \
             under the chart): val_loss settles near 0.59 instead of climbing past 1.2, though its best epoch is \
             still the first.",
    },
    Experiment {
        id: "imdb-batch-size",
        step: 6,
        dataset: DatasetKind::Imdb,
        question: "Small or large batches?",
        explanation: "The batch size is how many reviews each step of the optimizer averages its gradient over. \
             On 4,000 training reviews batch 32 makes 125 steps per epoch and batch 512 (this step's) makes 8: \
             16 times fewer, each from a less noisy estimate.",
        size: Size {
            subset: 5000,
            epochs: 5,
            batch_size: None,
        },
        variants: &[Setting::BatchSize(32), Setting::BatchSize(512)],
        look_for: "Batch 32 reaches its lowest val_loss after the first epoch (0.34, val_accuracy 0.86) and then \
             overfits: its training accuracy reaches 1.0 by epoch 4 and val_loss climbs to 0.54. Batch 512 is still \
             learning at epoch 5: both losses are still falling (val_loss 0.38, val_accuracy 0.85), and its test \
             accuracy ends a little higher (0.839 against 0.830). With 10,000 features for 4,000 reviews, many small \
             steps mostly reach the overfitting sooner; a large batch takes fewer, steadier steps and needs more \
             epochs (or a larger learning rate) to get as far. Neither is \"right\": the batch size trades updates \
             per epoch against the cost and noise of each.",
    },
    Experiment {
        id: "imdb-stop-or-dropout",
        step: 7,
        dataset: DatasetKind::Imdb,
        question: "EarlyStopping or Dropout — do we need both?",
        explanation: "If EarlyStopping prevents overfitting, why bother with Dropout and L2? They act at different times: \
             EarlyStopping at the end of training (it stops once val_loss has not improved for 3 epochs and restores \
             the best epoch's weights), Dropout and L2 during training (they shape the learning path from the start). \
             Three runs of your step-7 text model: EarlyStopping only, Dropout and L1/L2 only, and both. Batch 64, so \
             that 5,000 reviews give enough steps to overfit within 20 epochs.",
        size: Size {
            subset: 5000,
            epochs: 20,
            batch_size: Some(64),
        },
        variants: GUARDS,
        look_for: "On the reviews the model overfits fast, even with Dropout and L2: in all three runs val_loss is \
             lowest at epoch 2. EarlyStopping alone stops at epoch 5 and keeps epoch 2's weights (test accuracy about \
             0.83). Dropout and L1/L2 alone slow the overfitting — the training loss stays higher — but nothing stops \
             the run: val_loss climbs from 0.49 to about 0.6, val_accuracy drifts down from 0.86 to 0.82, and the \
             final weights are epoch 20's (test accuracy about 0.82). \"Both\" stops at epoch 5 with epoch 2's \
             regularized weights and has the best test accuracy of the three (about 0.855). Their losses sit higher \
             because the L1/L2 penalty is part of them: compare the gap between the solid and dashed curves and the \
             val_accuracy, not the loss levels. The course's advice holds: use both — regularization finds a better \
             solution, EarlyStopping keeps it.",
    },
    Experiment {
        id: "imdb-class-weights",
        step: 7,
        dataset: DatasetKind::Imdb,
        question: "What do class weights do?",
        explanation: "Keras' class_weight multiplies each review's loss by the weight of its class, so the model pays \
             more for mistakes on that class. Computed as total / (classes × count) they are 1.0 for both IMDB classes \
             (12,500 training reviews each): the course's class weights change nothing here. To see what a weight \
             does, two runs of your step-7 model: without class weights, and with positive weighted 2.",
        size: Size {
            subset: 5000,
            epochs: 10,
            batch_size: None,
        },
        variants: &[
            Setting::ClassWeight(None),
            Setting::ClassWeight(Some((DatasetKind::Imdb, 1, 2.0))),
        ],
        look_for: "Pick each run in the test-set results below and compare the two rows: with positive weighted 2 the \
             model says \"positive\" far more often. For its first epochs it answers positive to every review \
             (val_accuracy 0.5), then recovers; at the end positive recall is about 0.95 instead of 0.86 and its \
             precision about 0.75 instead of 0.85, while negative recall falls to about 0.68. Accuracy drops (about \
             0.81 against 0.85) and so does F1 (0.84 against 0.85): F1 rewards the recall gained but pays for the \
             false alarms. On an imbalanced data set that trade is the point: a rare class is found more often, at \
             the price of some false alarms.",
    },
];

/// The experiments of `step` on `dataset` (none outside steps 6 and 7).
pub fn experiments_of(step: u8, dataset: DatasetKind) -> impl Iterator<Item = &'static Experiment> {
    EXPERIMENTS
        .iter()
        .filter(move |e| e.step == step && e.dataset == dataset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_name::run_name;

    fn experiment(id: &str) -> &'static Experiment {
        EXPERIMENTS.iter().find(|e| e.id == id).unwrap()
    }

    #[test]
    fn steps_6_and_7_have_their_experiments() {
        let ids = |s| {
            experiments_of(s, DatasetKind::FashionMnist)
                .map(|e| e.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(6), ["learning-rate", "batch-size"]);
        assert_eq!(ids(7), ["stop-or-dropout", "class-weights"]);
        assert!(ids(5).is_empty());
        assert!(ids(8).is_empty());
        // The reviews have their own, told apart by their ids (one queue for the page).
        let imdb = |s| {
            experiments_of(s, DatasetKind::Imdb)
                .map(|e| e.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(imdb(6), ["imdb-learning-rate", "imdb-batch-size"]);
        assert_eq!(imdb(7), ["imdb-stop-or-dropout", "imdb-class-weights"]);
        assert!(imdb(5).is_empty() && imdb(8).is_empty());
        let mut all: Vec<&str> = EXPERIMENTS.iter().map(|e| e.id).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), EXPERIMENTS.len());
    }

    #[test]
    fn every_variant_of_every_experiment_is_a_valid_config_of_its_step() {
        for e in &EXPERIMENTS {
            let base = match (e.dataset, e.step) {
                (DatasetKind::FashionMnist, 6) => crate::presets::overfit(),
                (DatasetKind::FashionMnist, _) => crate::presets::regularized(),
                (DatasetKind::Imdb, 6) => lab_spec::binary::imdb_overfit(),
                (DatasetKind::Imdb, _) => lab_spec::binary::imdb_regularized(),
            };
            assert_eq!(base.dataset, e.dataset);
            for size in [e.size(None, None), e.size(Some(2000), Some(1))] {
                let variants = e.variants(&base, size);
                assert_eq!(variants.len(), e.variants.len());
                for v in &variants {
                    v.config
                        .validate(Some(60_000))
                        .unwrap_or_else(|err| panic!("{} · {}: {err}", e.id, v.what));
                    assert_eq!(v.config.subset, Some(size.subset));
                    assert_eq!(v.config.epochs, size.epochs);
                }
                // The runs are told apart in the chart's legend by their names.
                let mut names: Vec<String> = variants
                    .iter()
                    .map(|v| run_name(e.step, &v.config, None))
                    .collect();
                names.sort();
                names.dedup();
                assert_eq!(names.len(), variants.len(), "{}", e.id);
            }
        }
    }

    #[test]
    fn the_learning_rates_change_only_the_rate_and_are_named_by_it() {
        let e = experiment("learning-rate");
        let base = crate::presets::overfit();
        let v = e.variants(&base, e.size(None, None));
        let names: Vec<String> = v.iter().map(|v| run_name(6, &v.config, None)).collect();
        assert_eq!(
            names[0],
            "Dense 256-128 relu · lr 1e-4 · batch 512 · subset 5000 · 10 epochs"
        );
        assert!(names[4].contains("· lr 10 ·"), "{}", names[4]);
        assert!(
            names[5].contains("lr 0.01 · batch 512 · ReduceLROnPlateau"),
            "{}",
            names[5]
        );
        let plateau = v[5].config.callbacks.reduce_lr_on_plateau.clone().unwrap();
        assert_eq!((plateau.factor, plateau.patience), (0.2, 1));
        for x in &v {
            assert_eq!(x.config.model, base.model);
            assert_eq!(x.config.batch_size, base.batch_size);
        }
        // A fixed rate turns a learner's ReduceLROnPlateau off; the optimizer's kind stays.
        let mut sgd = base.clone();
        sgd.optimizer = OptimizerConfig::Sgd {
            learning_rate: 0.01,
            momentum: 0.9,
            nesterov: false,
        };
        sgd.callbacks.reduce_lr_on_plateau = Some(Default::default());
        let v = e.variants(&sgd, e.size(None, None));
        assert_eq!(v[0].config.callbacks.reduce_lr_on_plateau, None);
        assert_eq!(
            v[0].config.optimizer,
            OptimizerConfig::Sgd {
                learning_rate: 1e-4,
                momentum: 0.9,
                nesterov: false
            }
        );
        assert_eq!(v[3].what, "lr 0.1");
    }

    #[test]
    fn the_url_makes_an_experiment_quick_and_the_cost_says_so() {
        let e = experiment("learning-rate");
        assert_eq!(
            e.cost(e.size(None, None)),
            "6 runs × 10 epochs on 5,000 images"
        );
        assert_eq!(
            e.cost(e.size(Some(2000), Some(1))),
            "6 runs × 1 epoch on 2,000 images"
        );
        let e = experiment("stop-or-dropout");
        assert_eq!(
            e.cost(e.size(None, None)),
            "3 runs × up to 20 epochs on 5,000 images, batch 64"
        );
        assert_eq!(thousands(60000), "60,000");
        assert_eq!(thousands(512), "512");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn do_we_need_both_runs_the_three() {
        let e = experiment("stop-or-dropout");
        let base = crate::presets::regularized();
        let v = e.variants(&base, e.size(None, None));
        let names: Vec<String> = v.iter().map(|v| run_name(7, &v.config, None)).collect();
        assert_eq!(
            names,
            [
                "Dense 256-128 relu · lr 1e-3 · batch 64 · EarlyStopping 3 · subset 5000 · 20 epochs",
                "Dense 256-128 relu · L2 1e-3 · Dropout 0.5 · lr 1e-3 · batch 64 · subset 5000 · 20 epochs",
                "Dense 256-128 relu · L2 1e-3 · Dropout 0.5 · lr 1e-3 · batch 64 · EarlyStopping 3 · subset 5000 · 20 epochs",
            ]
        );
        assert!(
            v[0].config
                .callbacks
                .early_stopping
                .as_ref()
                .unwrap()
                .restore_best_weights
        );
        // A step-7 model without Dropout gets seed 004's 0.5 after each Dense layer.
        let plain = crate::presets::overfit();
        let v = e.variants(&plain, e.size(None, None));
        let rates: Vec<usize> = v[1]
            .config
            .model
            .layers
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, LayerSpec::Dropout { rate } if *rate == DROPOUT))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(rates, [1, 3]);
        assert_eq!(v[0].config.model, plain.model);
    }

    #[test]
    fn class_weights_weight_shirt_only() {
        let e = experiment("class-weights");
        let mut base = crate::presets::regularized();
        base.class_weight = Some(vec![2.0; 10]);
        let v = e.variants(&base, e.size(None, None));
        assert_eq!(v[0].config.class_weight, None);
        let w = v[1].config.class_weight.clone().unwrap();
        assert_eq!(w[SHIRT], 5.0);
        assert_eq!(w.iter().filter(|&&x| x == 1.0).count(), 9);
        assert_eq!(v[1].what, "Shirt weighted 5");
        assert!(run_name(7, &v[1].config, None).contains("class weights"));
    }

    #[test]
    fn on_the_reviews_positive_is_weighted_and_the_cost_counts_reviews() {
        let e = experiment("imdb-class-weights");
        let base = lab_spec::binary::imdb_regularized();
        let v = e.variants(&base, e.size(None, None));
        assert_eq!(v[0].config.class_weight, None);
        assert_eq!(v[1].config.class_weight, Some(vec![1.0, 2.0]));
        assert_eq!(v[1].what, "positive weighted 2");
        v[1].config.validate(None).unwrap();
        let e = experiment("imdb-stop-or-dropout");
        assert_eq!(
            e.cost(e.size(None, None)),
            "3 runs × up to 20 epochs on 5,000 reviews, batch 64"
        );
        // The text model keeps its input and head.
        let v = e.variants(&base, e.size(None, None));
        assert!(
            v.iter().all(|v| v.config.model.input == base.model.input
                && v.config.model.head == base.model.head)
        );
    }
}
