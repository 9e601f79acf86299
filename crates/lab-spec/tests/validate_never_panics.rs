//! Property tests: `TrainingConfig::validate` and `TunerConfig::validate` never panic (nor
//! hang), whatever a config holds — huge, negative, NaN or infinite numbers, long or odd layer
//! lists, JSON with any leaf replaced. A refusal is fine; a panic in a worker wedges a run.

use lab_spec::DatasetKind;
use lab_spec::model::{Activation, Head, InputKind, LayerSpec, ModelSpec, Padding, Regularizer};
use lab_spec::text::VectorizerConfig;
use lab_spec::training::{
    CallbacksConfig, EarlyStoppingConfig, Mode, ModelCheckpointConfig, Monitor, Normalization,
    OptimizerConfig, ReduceLrOnPlateauConfig, TrainingConfig,
};
use lab_spec::tuning::{Algorithm, HpValue, HyperParameter, Hypermodel, Sampling, TunerConfig};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

const CASES: u32 = 256;

/// Any float: ordinary ones, the edges, NaN and the infinities.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.0..1.0f64,
        2 => any::<f64>(),
        1 => prop::sample::select(vec![
            0.0, -0.0, 1.0, -1.0, 10.0, 1e-300, 1e308, -1e308, f64::MAX, f64::MIN,
            f64::MIN_POSITIVE, f64::EPSILON, f64::NAN, f64::INFINITY, f64::NEG_INFINITY,
        ]),
    ]
}

/// Any count: small ones (which build real models), the limits' edges, and huge ones.
fn count() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0..40usize,
        2 => 0..5000usize,
        1 => prop::sample::select(vec![63, 64, 65, 512, 513, 1000, 1001, 4096, 4097, 60_000]),
        1 => any::<usize>(),
        1 => Just(usize::MAX),
    ]
}

fn seed() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0..1000u64,
        1 => (1u64 << 53) - 20..(1u64 << 53) + 20,
        1 => any::<u64>(),
    ]
}

fn activation() -> impl Strategy<Value = Activation> {
    prop::sample::select(vec![
        Activation::Relu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Linear,
    ])
}

fn regularizer() -> impl Strategy<Value = Option<Regularizer>> {
    prop::option::of((float(), float()).prop_map(|(l1, l2)| Regularizer { l1, l2 }))
}

fn layer() -> BoxedStrategy<LayerSpec> {
    prop_oneof![
        (count(), activation(), regularizer()).prop_map(|(units, activation, r)| {
            LayerSpec::Dense {
                units,
                activation,
                kernel_regularizer: r,
            }
        }),
        float().prop_map(|rate| LayerSpec::Dropout { rate }),
        Just(LayerSpec::BatchNorm {}),
        (
            count(),
            count(),
            count(),
            any::<bool>(),
            activation(),
            regularizer()
        )
            .prop_map(|(filters, kernel_size, strides, same, activation, r)| {
                LayerSpec::Conv2D {
                    filters,
                    kernel_size,
                    strides,
                    padding: if same { Padding::Same } else { Padding::Valid },
                    activation,
                    kernel_regularizer: r,
                }
            }),
        (count(), prop::option::of(count()))
            .prop_map(|(pool_size, strides)| LayerSpec::MaxPool2D { pool_size, strides }),
        Just(LayerSpec::Flatten {}),
    ]
    .boxed()
}

fn model() -> BoxedStrategy<ModelSpec> {
    let layers = prop_oneof![
        8 => prop::collection::vec(layer(), 0..8),
        1 => prop::collection::vec(layer(), 60..70),
        1 => (layer(), 0..20_000usize).prop_map(|(l, n)| vec![l; n]),
    ];
    let input = prop_oneof![
        Just(InputKind::Flat),
        Just(InputKind::Image),
        count().prop_map(InputKind::Features),
    ];
    (input, layers, regularizer(), any::<bool>())
        .prop_map(|(input, layers, head, sigmoid)| ModelSpec {
            input,
            layers,
            head_regularizer: head,
            head: if sigmoid {
                Head::Sigmoid
            } else {
                Head::Softmax
            },
        })
        .boxed()
}

fn monitor() -> impl Strategy<Value = Monitor> {
    prop::sample::select(vec![
        Monitor::Loss,
        Monitor::Accuracy,
        Monitor::ValLoss,
        Monitor::ValAccuracy,
    ])
}

fn optimizer() -> BoxedStrategy<OptimizerConfig> {
    prop_oneof![
        (float(), float(), any::<bool>()).prop_map(|(learning_rate, momentum, nesterov)| {
            OptimizerConfig::Sgd {
                learning_rate,
                momentum,
                nesterov,
            }
        }),
        (float(), float(), float(), float()).prop_map(
            |(learning_rate, beta_1, beta_2, epsilon)| {
                OptimizerConfig::Adam {
                    learning_rate,
                    beta_1,
                    beta_2,
                    epsilon,
                }
            }
        ),
        (float(), float(), float(), float(), any::<bool>()).prop_map(
            |(learning_rate, rho, momentum, epsilon, centered)| OptimizerConfig::RmsProp {
                learning_rate,
                rho,
                momentum,
                epsilon,
                centered,
            }
        ),
    ]
    .boxed()
}

fn callbacks() -> BoxedStrategy<CallbacksConfig> {
    let es = (
        monitor(),
        float(),
        count(),
        prop::option::of(float()),
        any::<bool>(),
    )
        .prop_map(
            |(monitor, min_delta, patience, baseline, restore)| EarlyStoppingConfig {
                monitor,
                min_delta,
                patience,
                mode: Mode::Auto,
                baseline,
                restore_best_weights: restore,
                start_from_epoch: patience / 2,
            },
        );
    let cp = monitor().prop_map(|monitor| ModelCheckpointConfig {
        monitor,
        mode: Mode::Max,
        save_best_only: true,
    });
    let rl = (monitor(), float(), count(), float(), float()).prop_map(
        |(monitor, factor, patience, min_delta, min_lr)| ReduceLrOnPlateauConfig {
            monitor,
            factor,
            patience,
            mode: Mode::Min,
            min_delta,
            cooldown: patience,
            min_lr,
        },
    );
    (
        prop::option::of(es),
        prop::option::of(cp),
        prop::option::of(rl),
        any::<bool>(),
    )
        .prop_map(
            |(early_stopping, model_checkpoint, reduce, nan)| CallbacksConfig {
                early_stopping,
                model_checkpoint,
                reduce_lr_on_plateau: reduce,
                terminate_on_nan: nan,
            },
        )
        .boxed()
}

fn training_config() -> BoxedStrategy<TrainingConfig> {
    (
        model(),
        optimizer(),
        (count(), count(), float(), seed()),
        (
            any::<bool>(),
            prop::option::of(count()),
            prop::option::of(prop::collection::vec(float(), 0..12)),
            // Mostly the default, so that valid configs stay within reach.
            prop_oneof![3 => Just(0.5), 1 => float()],
        ),
        callbacks(),
    )
        .prop_map(
            |(
                model,
                optimizer,
                (batch_size, epochs, split, seed),
                (std, subset, cw, threshold),
                callbacks,
            )| {
                TrainingConfig {
                    name: None,
                    // IMDB when the model's input is a vectorizer's, with a vectorizer of any
                    // size (coherent or not).
                    dataset: match model.input {
                        InputKind::Features(_) => DatasetKind::Imdb,
                        _ => DatasetKind::FashionMnist,
                    },
                    vectorizer: match model.input {
                        InputKind::Features(n) if n % 3 != 0 => Some(VectorizerConfig {
                            max_features: if n % 3 == 1 { n } else { n / 2 },
                            ..Default::default()
                        }),
                        _ => None,
                    },
                    model,
                    optimizer,
                    batch_size,
                    epochs,
                    validation_split: split,
                    seed,
                    shuffle: true,
                    normalization: if std {
                        Normalization::Standardize
                    } else {
                        Normalization::Scale
                    },
                    subset,
                    class_weight: cw,
                    callbacks,
                    threshold,
                }
            },
        )
        .boxed()
}

fn available() -> impl Strategy<Value = Option<usize>> {
    prop::option::of(count())
}

/// Any JSON leaf: numbers of every size and sign, strings, booleans, null.
fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        float().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            Value::from(u64::MAX),
            Value::from(9_007_199_254_740_993u64),
            Value::from(4_294_967_295u64),
            Value::from(-1),
            Value::from(0),
            Value::from(1e308),
            Value::from("relu"),
            Value::from("dense"),
            Value::Bool(true),
            Value::Null,
            Value::Array(vec![]),
        ]),
        "[a-z_0-9]{0,12}".prop_map(Value::from),
    ]
}

/// Every leaf's position in a JSON tree, as a list of keys/indices.
fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(Value::from(k.as_str()));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Value::from(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn replace_at(v: &mut Value, path: &[Value], leaf: Value) {
    let mut at = v;
    for key in path {
        at = match key {
            Value::String(k) => &mut at[k.as_str()],
            _ => &mut at[key.as_u64().unwrap_or(0) as usize],
        };
    }
    *at = leaf;
}

/// A real config's JSON with up to three leaves replaced by anything.
fn mutated_json<T: serde::Serialize>(base: T) -> impl Strategy<Value = Value> {
    let base = serde_json::to_value(base).expect("a config serializes");
    let mut paths = Vec::new();
    leaves(&base, &mut Vec::new(), &mut paths);
    prop::collection::vec((any::<Index>(), json_leaf()), 1..4).prop_map(move |edits| {
        let mut v = base.clone();
        for (i, leaf) in edits {
            replace_at(&mut v, &paths[i.index(paths.len())], leaf);
        }
        v
    })
}

fn hp_value() -> impl Strategy<Value = HpValue> {
    prop_oneof![
        any::<bool>().prop_map(HpValue::Bool),
        prop_oneof![0..300i64, any::<i64>()].prop_map(HpValue::Int),
        float().prop_map(HpValue::Float),
        "[a-z]{0,8}".prop_map(HpValue::Text),
    ]
}

fn hp_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "n_layers",
            "lr",
            "activation",
            "units_0",
            "conv_blocks",
            "filters_0",
            "kernel_1",
            "dropout",
            "units",
            "units_1",
            "units_63",
            "units_64",
            "l2_0",
            "drop_0",
            "drop_2",
            "",
            "momentum",
            "units_",
            "units_99999999999999999999",
        ])
        .prop_map(String::from),
        "[a-z_0-9]{0,10}",
    ]
}

fn int_bound() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => -5..300i64,
        1 => any::<i64>(),
        1 => prop::sample::select(vec![i64::MIN, i64::MAX, i64::MAX - 1, 0, 1, 64, 65]),
    ]
}

fn hyperparameter() -> BoxedStrategy<HyperParameter> {
    prop_oneof![
        (hp_name(), int_bound(), int_bound(), int_bound()).prop_map(
            |(name, min_value, max_value, step)| HyperParameter::Int {
                name,
                min_value,
                max_value,
                step,
            }
        ),
        (
            hp_name(),
            float(),
            float(),
            prop::option::of(float()),
            any::<bool>()
        )
            .prop_map(
                |(name, min_value, max_value, step, log)| HyperParameter::Float {
                    name,
                    min_value,
                    max_value,
                    step,
                    sampling: if log { Sampling::Log } else { Sampling::Linear },
                }
            ),
        (hp_name(), prop::collection::vec(hp_value(), 0..5))
            .prop_map(|(name, values)| HyperParameter::Choice { name, values }),
        hp_name().prop_map(|name| HyperParameter::Boolean { name }),
        (hp_name(), hp_value()).prop_map(|(name, value)| HyperParameter::Fixed { name, value }),
    ]
    .boxed()
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        (count(), count(), count()).prop_map(|(max_epochs, factor, iterations)| {
            Algorithm::Hyperband {
                max_epochs,
                factor,
                hyperband_iterations: iterations,
            }
        }),
        (count(), count())
            .prop_map(|(max_trials, epochs)| Algorithm::RandomSearch { max_trials, epochs }),
    ]
}

fn tuner_config() -> BoxedStrategy<TunerConfig> {
    let space = prop_oneof![
        prop::collection::vec(hyperparameter(), 0..8),
        // The seed's space with one hyperparameter replaced: deep paths get exercised.
        (any::<Index>(), hyperparameter()).prop_map(|(i, hp)| {
            let mut hps = TunerConfig::seed_004().hyperparameters;
            let at = i.index(hps.len());
            hps[at] = hp;
            hps
        }),
    ];
    (
        space,
        algorithm(),
        monitor(),
        (count(), float(), seed(), prop::option::of(count()), count()),
    )
        .prop_map(
            |(hyperparameters, algorithm, objective, (batch, split, seed, subset, retrain))| {
                TunerConfig {
                    name: None,
                    hyperparameters,
                    algorithm,
                    objective,
                    batch_size: batch,
                    validation_split: split,
                    seed,
                    subset,
                    normalization: Normalization::Scale,
                    retrain_epochs: retrain,
                    dataset: if retrain % 2 == 0 {
                        DatasetKind::Imdb
                    } else {
                        DatasetKind::FashionMnist
                    },
                    vectorizer: None,
                    class_weight: None,
                    hypermodel: if seed % 3 == 0 {
                        Hypermodel::Cnn
                    } else {
                        Hypermodel::Mlp
                    },
                }
            },
        )
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn training_validate_never_panics(c in training_config(), n in available()) {
        let _ = c.validate(n);
        let _ = c.model.summary();
    }

    #[test]
    fn training_validate_of_any_json_never_panics(
        v in prop_oneof![
            mutated_json(TrainingConfig::new(ModelSpec::small_cnn())),
            mutated_json(TrainingConfig::new(ModelSpec::mlp(&[256, 128]))),
        ],
        n in available(),
    ) {
        if let Ok(c) = serde_json::from_value::<TrainingConfig>(v) {
            let _ = c.validate(n);
        }
    }

    #[test]
    fn tuner_validate_never_panics(c in tuner_config(), n in available()) {
        if c.validate(n).is_ok() {
            // A valid search also plans and sizes its space without trouble.
            let _ = c.plan();
            let _ = c.space_size();
        }
    }

    #[test]
    fn tuner_validate_of_any_json_never_panics(
        v in mutated_json(TunerConfig::seed_004()),
        n in available(),
    ) {
        if let Ok(c) = serde_json::from_value::<TunerConfig>(v) {
            let _ = c.validate(n);
        }
    }
}

/// The property tests do reach valid configs, not only refusals.
#[test]
fn the_generators_reach_valid_configs() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let valid = (0..2000)
        .filter(|_| {
            let c = training_config().new_tree(&mut runner).unwrap().current();
            c.validate(None).is_ok()
        })
        .count();
    assert!(valid > 0, "no valid training config in 2000");
    let valid = (0..500)
        .filter(|_| {
            let v = mutated_json(TunerConfig::seed_004())
                .new_tree(&mut runner)
                .unwrap()
                .current();
            serde_json::from_value::<TunerConfig>(v).is_ok_and(|c| c.validate(None).is_ok())
        })
        .count();
    assert!(valid > 0, "no valid tuner config in 500");
}
