//! Tests of the search space, the tuner config, the hypermodel, the plan and the CSV export.

mod space_config_and_plan {
    use crate::tuning::*;

    #[test]
    fn seed_space_is_valid_and_builds_the_seed_model() {
        let c = TunerConfig::seed_004();
        c.validate(Some(60_000)).unwrap();
        let mut v = Values::new();
        v.insert("n_layers".into(), HpValue::Int(2));
        v.insert("units_0".into(), HpValue::Int(256));
        v.insert("l2_0".into(), HpValue::Float(1e-3));
        v.insert("drop_0".into(), HpValue::Float(0.5));
        v.insert("units_1".into(), HpValue::Int(128));
        v.insert("drop_1".into(), HpValue::Float(0.0));
        v.insert("units_2".into(), HpValue::Int(256));
        v.insert("lr".into(), HpValue::Float(3e-4));
        let t = c.training_config(&v, 5).unwrap();
        assert_eq!(
            t.model.layers.len(),
            3,
            "dense, dropout, dense: units_2 unused"
        );
        assert_eq!(t.optimizer.learning_rate(), 3e-4);
        assert_eq!(t.batch_size, 512);
        let s = t.model.summary().unwrap();
        assert_eq!(
            s.total_params,
            784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
        );
    }

    #[test]
    fn grids_follow_keras_tuner() {
        let drop = HyperParameter::Float {
            name: "d".into(),
            min_value: 0.0,
            max_value: 0.5,
            step: Some(0.1),
            sampling: Sampling::Linear,
        };
        let g: Vec<f64> = drop
            .grid()
            .unwrap()
            .iter()
            .filter_map(HpValue::as_f64)
            .collect();
        assert_eq!(g, vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]);
        let int = HyperParameter::Int {
            name: "n".into(),
            min_value: 1,
            max_value: 3,
            step: 1,
        };
        assert_eq!(int.cardinality(), Some(3));
        assert_eq!(int.value_at(0.0), HpValue::Int(1));
        assert_eq!(int.value_at(0.999), HpValue::Int(3));
        let lr = HyperParameter::Float {
            name: "lr".into(),
            min_value: 1e-4,
            max_value: 1e-2,
            step: None,
            sampling: Sampling::Log,
        };
        let mid = lr.value_at(0.5).as_f64().unwrap();
        assert!(
            (mid - 1e-3).abs() < 1e-12,
            "log sampling: the middle is 1e-3, got {mid}"
        );
    }

    #[test]
    fn bad_spaces_name_the_field() {
        let mut c = TunerConfig::seed_004();
        c.hyperparameters[0] = HyperParameter::Int {
            name: "n_layers".into(),
            min_value: 3,
            max_value: 1,
            step: 1,
        };
        let e = c.validate(None).unwrap_err();
        assert_eq!(e.field, "hyperparameters.n_layers");
        assert!(e.message.contains("inverted"), "{e}");
        let mut c = TunerConfig::seed_004();
        c.algorithm = Algorithm::Hyperband {
            max_epochs: 5,
            factor: 1,
            hyperband_iterations: 1,
        };
        assert_eq!(c.validate(None).unwrap_err().field, "algorithm.factor");
        let mut c = TunerConfig::seed_004();
        c.algorithm = Algorithm::Hyperband {
            max_epochs: 0,
            factor: 3,
            hyperband_iterations: 1,
        };
        assert_eq!(c.validate(None).unwrap_err().field, "algorithm.max_epochs");
        let mut c = TunerConfig::seed_004();
        c.hyperparameters.push(HyperParameter::Choice {
            name: "units_9".into(),
            values: vec![],
        });
        assert!(
            c.validate(None)
                .unwrap_err()
                .message
                .contains("at least one")
        );
        let mut c = TunerConfig::seed_004();
        c.hyperparameters.push(HyperParameter::Boolean {
            name: "momentum".into(),
        });
        assert!(
            c.validate(None)
                .unwrap_err()
                .message
                .contains("does not use")
        );
        let mut c = TunerConfig::seed_004();
        c.hyperparameters[1] = HyperParameter::Choice {
            name: "units_0".into(),
            values: vec![HpValue::Int(0)],
        };
        let e = c.validate(None).unwrap_err();
        assert!(e.field.contains("units"), "{e}");
    }

    #[test]
    fn seed_space_size_counts_active_values_only() {
        let mut c = TunerConfig::seed_004();
        // Make every float discrete to count: lr and l2 fixed.
        for h in &mut c.hyperparameters {
            if h.name() == "lr" || h.name().starts_with("l2_") {
                *h = HyperParameter::Fixed {
                    name: h.name().to_string(),
                    value: HpValue::Float(1e-3),
                };
            }
        }
        // n_layers=1: 2·6; 2: (2·6)²; 3: (2·6)³.
        assert_eq!(c.space_size(), Some(12 + 144 + 1728));
        assert_eq!(TunerConfig::seed_004().space_size(), None);
    }

    #[test]
    fn plan_of_an_invalid_schedule_is_empty() {
        assert_eq!(hyperband_plan(5, 1, 1).trials(), 0);
        assert_eq!(hyperband_plan(0, 3, 1).trials(), 0);
    }

    #[test]
    fn plan_of_the_seed() {
        let p = hyperband_plan(5, 3, 1);
        let shape: Vec<Vec<(usize, usize)>> = p
            .brackets
            .iter()
            .map(|b| b.rounds.iter().map(|r| (r.trials, r.epochs)).collect())
            .collect();
        assert_eq!(shape, vec![vec![(5, 2), (2, 5)], vec![(3, 5)]]);
        assert_eq!(p.total_epochs, 5 * 2 + 2 * 3 + 3 * 5);
    }

    #[test]
    fn csv_has_a_column_per_hyperparameter() {
        let c = TunerConfig::seed_004();
        let mut values = Values::new();
        values.insert("n_layers".into(), HpValue::Int(1));
        values.insert("units_1".into(), HpValue::Int(256));
        let t = Trial {
            bracket: 1,
            score: Some(0.8),
            best_epoch: Some(2),
            status: TrialStatus::Completed,
            seconds: 1.0,
            ..Trial::new("0000", values, 2)
        };
        let csv = trials_csv(&c, &[t]);
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(header.len(), row.len());
        assert_eq!(row[0], "0000");
        let units_1 = header.iter().position(|h| *h == "units_1").unwrap();
        assert_eq!(row[units_1], "", "inactive with n_layers=1");
    }
}

mod limits {
    use crate::limits::MAX_SEED;
    use crate::tuning::*;

    fn int(name: &str, min_value: i64, max_value: i64, step: i64) -> HyperParameter {
        HyperParameter::Int {
            name: name.into(),
            min_value,
            max_value,
            step,
        }
    }

    #[test]
    fn a_seed_stays_browser_exact_for_every_trial() {
        let mut c = TunerConfig::seed_004();
        assert_eq!(c.plan().trials(), 10);
        c.seed = MAX_SEED - 10;
        assert!(c.validate(None).is_ok());
        c.seed = MAX_SEED - 9;
        let err = c.validate(None).unwrap_err();
        assert_eq!(err.field, "seed");
        assert!(
            err.message
                .starts_with("must be at most 9007199254740981: trial i trains with seed + i"),
            "{err}"
        );
        c.seed = u64::MAX;
        let err = c.validate(None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "seed: must be at most 9007199254740991 (2^53 − 1), the largest whole number a \
             browser carries exactly (got 18446744073709551615)"
        );
    }

    #[test]
    fn huge_int_ranges_are_refused_and_never_overflow() {
        let all = int("units_0", i64::MIN, i64::MAX, 1);
        let err = all.validate("hyperparameters.units_0").unwrap_err();
        assert_eq!(
            err.message,
            "the range has 18,446,744,073,709,551,616 values; the lab allows at most 10,000 \
             (raise step or narrow the range)"
        );
        assert_eq!(all.grid().map(|g| g.len()), Some(MAX_GRID_VALUES));
        assert_eq!(
            all.extremes(),
            vec![HpValue::Int(i64::MIN), HpValue::Int(i64::MAX)]
        );
        let top = int("n_layers", i64::MAX - 2, i64::MAX, 1);
        assert_eq!(top.cardinality(), Some(3), "stops at i64::MAX");
        let wide = int("n_layers", 1, i64::MAX, i64::MAX / 4);
        assert_eq!(
            wide.extremes(),
            vec![HpValue::Int(1), HpValue::Int(1 + 4 * (i64::MAX / 4))]
        );
        let mut c = TunerConfig::seed_004();
        c.hyperparameters[0] = top;
        let err = c.validate(None).unwrap_err();
        assert_eq!(err.field, "hyperparameters.n_layers");
        assert_eq!(
            err.message,
            "the lab allows at most 64 layers (got 9223372036854775805)"
        );
    }

    #[test]
    fn fine_float_grids_and_huge_units_are_refused() {
        let fine = HyperParameter::Float {
            name: "drop_0".into(),
            min_value: 0.0,
            max_value: 0.5,
            step: Some(1e-9),
            sampling: Sampling::Linear,
        };
        let err = fine.validate("hyperparameters.drop_0").unwrap_err();
        assert!(
            err.message.starts_with("the range has 500,000,001 values"),
            "{err}"
        );
        let mut c = TunerConfig::seed_004();
        c.hyperparameters[1] = HyperParameter::Fixed {
            name: "units_0".into(),
            value: HpValue::Float(1e300),
        };
        let err = c.validate(None).unwrap_err();
        assert_eq!(err.field, "hyperparameters.units_0");
        assert!(err.message.starts_with("at most 4096 units"), "{err}");
    }
}

mod file_tests {
    #[test]
    fn configs_tune_json_is_the_seed_search() {
        let c: crate::tuning::TunerConfig =
            serde_json::from_str(include_str!("../../../../configs/tune.json")).unwrap();
        assert_eq!(c, crate::tuning::TunerConfig::seed_004());
    }
}

mod imdb {
    use crate::dataset::DatasetKind;
    use crate::model::{Head, InputKind, LayerSpec};
    use crate::tuning::*;

    #[test]
    fn seed_004s_imdb_space_builds_binary_models() {
        let c = TunerConfig::seed_004_imdb();
        c.validate(Some(25_000)).unwrap();
        assert_eq!(c.batch_size, 512);
        assert_eq!(
            c.algorithm,
            Algorithm::Hyperband {
                max_epochs: 5,
                factor: 3,
                hyperband_iterations: 1
            }
        );
        let units: Vec<&HyperParameter> = c
            .hyperparameters
            .iter()
            .filter(|h| h.name().starts_with("units_"))
            .collect();
        assert_eq!(units.len(), 3);
        for u in units {
            let HyperParameter::Choice { values, .. } = u else {
                panic!("{u:?}")
            };
            assert_eq!(
                values,
                &[HpValue::Int(64), HpValue::Int(128), HpValue::Int(256)]
            );
        }
        let mut v = Values::new();
        v.insert("n_layers".into(), HpValue::Int(2));
        v.insert("units_0".into(), HpValue::Int(64));
        v.insert("l2_0".into(), HpValue::Float(1e-3));
        v.insert("drop_0".into(), HpValue::Float(0.2));
        v.insert("units_1".into(), HpValue::Int(256));
        v.insert("lr".into(), HpValue::Float(3e-4));
        let t = c.training_config(&v, 5).unwrap();
        t.validate(Some(25_000)).unwrap();
        assert_eq!(t.dataset, DatasetKind::Imdb);
        assert_eq!(t.model.input, InputKind::Features(10_000));
        assert_eq!(t.model.head, Head::Sigmoid);
        assert_eq!(t.class_weight, Some(vec![1.0, 1.0]));
        assert_eq!(t.batch_size, 512);
        assert!(matches!(
            t.model.layers[0],
            LayerSpec::Dense { units: 64, .. }
        ));
        let s = t.model.summary().unwrap();
        // 10000 → 64 → (dropout) → 256 → 1.
        let params: Vec<usize> = s.rows.iter().map(|r| r.params).collect();
        assert_eq!(params, [640_064, 0, 16_640, 257]);
        let retrain = c.retrain_config(&v).unwrap();
        assert_eq!(retrain.epochs, 10);
        retrain.validate(Some(25_000)).unwrap();
        // The Fashion-MNIST search is unchanged: no dataset, vectorizer or class weights.
        let json = serde_json::to_string(&TunerConfig::seed_004()).unwrap();
        assert!(
            !json.contains("dataset")
                && !json.contains("vectorizer")
                && !json.contains("class_weight")
        );
    }

    #[test]
    fn an_imdb_search_with_a_mismatched_vectorizer_is_still_coherent() {
        let mut c = TunerConfig::seed_004_imdb();
        c.vectorizer = Some(crate::text::VectorizerConfig {
            max_features: 2_000,
            ..Default::default()
        });
        c.validate(None).unwrap();
        let t = c.training_config(&Values::new(), 1).unwrap();
        assert_eq!(t.model.input, InputKind::Features(2_000));
        c.class_weight = Some(vec![1.0; 10]);
        assert_eq!(c.validate(None).unwrap_err().field, "class_weight");
    }

    #[test]
    fn the_imdb_tuner_file_is_seed_004s() {
        let c: TunerConfig =
            serde_json::from_str(include_str!("../../../../configs/imdb/tuner.json")).unwrap();
        let expected = TunerConfig::seed_004_imdb();
        assert_eq!(
            c,
            expected,
            "{}",
            serde_json::to_string_pretty(&expected).unwrap()
        );
    }

    #[test]
    fn the_imdb_config_files_are_the_presets() {
        for (json, preset) in [
            (
                include_str!("../../../../configs/imdb/baseline.json"),
                crate::binary::imdb_baseline(),
            ),
            (
                include_str!("../../../../configs/imdb/overfit.json"),
                crate::binary::imdb_overfit(),
            ),
            (
                include_str!("../../../../configs/imdb/regularized.json"),
                crate::binary::imdb_regularized(),
            ),
        ] {
            let c: crate::TrainingConfig = serde_json::from_str(json).unwrap();
            assert_eq!(c, preset);
            c.validate(Some(25_000)).unwrap();
        }
    }
}

mod cnn {
    use crate::dataset::DatasetKind;
    use crate::model::{InputKind, LayerSpec, Padding};
    use crate::summary::Shape;
    use crate::tuning::*;

    fn values(pairs: &[(&str, HpValue)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn the_small_cnn_space_builds_conv_blocks_keras_counts() {
        let c = TunerConfig::small_cnn();
        c.validate(Some(60_000)).unwrap();
        assert_eq!(c.hypermodel, Hypermodel::Cnn);
        assert_eq!(c.batch_size, 128);
        let v = values(&[
            ("conv_blocks", HpValue::Int(2)),
            ("filters_0", HpValue::Int(32)),
            ("kernel_0", HpValue::Int(3)),
            ("filters_1", HpValue::Int(64)),
            ("kernel_1", HpValue::Int(5)),
            ("dropout", HpValue::Float(0.3)),
            ("units", HpValue::Int(128)),
            ("lr", HpValue::Float(3e-4)),
        ]);
        let t = c.training_config(&v, 5).unwrap();
        t.validate(Some(60_000)).unwrap();
        assert_eq!(t.model.input, InputKind::Image);
        assert_eq!(t.optimizer.learning_rate(), 3e-4);
        assert!(matches!(
            t.model.layers[2],
            LayerSpec::Conv2D {
                filters: 64,
                kernel_size: 5,
                padding: Padding::Same,
                ..
            }
        ));
        let s = t.model.summary().unwrap();
        let rows: Vec<(&str, Vec<usize>, usize)> = s
            .rows
            .iter()
            .map(|r| {
                let shape = match r.output_shape {
                    Shape::Flat(n) => vec![n],
                    Shape::Image { h, w, c } => vec![h, w, c],
                };
                (r.kind.as_str(), shape, r.params)
            })
            .collect();
        // Keras: 28×28×1 → same-padded convs, each pool halves the side.
        assert_eq!(
            rows,
            [
                ("Conv2D", vec![28, 28, 32], 3 * 3 * 32 + 32),
                ("MaxPooling2D", vec![14, 14, 32], 0),
                ("Conv2D", vec![14, 14, 64], 5 * 5 * 32 * 64 + 64),
                ("MaxPooling2D", vec![7, 7, 64], 0),
                ("Flatten", vec![3136], 0),
                ("Dropout", vec![3136], 0),
                ("Dense", vec![128], 3136 * 128 + 128),
                ("Dense", vec![10], 128 * 10 + 10),
            ]
        );
        // One block: filters_1 and kernel_1 do not apply, and do not count.
        let one = values(&[("conv_blocks", HpValue::Int(1))]);
        assert!(c.is_active("filters_0", &one) && c.is_active("dropout", &one));
        assert!(!c.is_active("filters_1", &one) && !c.is_active("kernel_1", &one));
        // 1 block: 3 × 2; 2 blocks: (3 × 2)²; times dropout 6, units 2; lr continuous.
        let mut discrete = c.clone();
        discrete.hyperparameters.retain(|h| h.name() != "lr");
        assert_eq!(discrete.space_size(), Some((6 + 36) * 6 * 2));
        let retrain = c.retrain_config(&v).unwrap();
        retrain.validate(Some(60_000)).unwrap();
        assert_eq!(retrain.model, t.model);
    }

    #[test]
    fn a_cnn_search_refuses_mlp_names_impossible_shapes_and_imdb() {
        let mut c = TunerConfig::small_cnn();
        c.hyperparameters.push(HyperParameter::Fixed {
            name: "units_0".into(),
            value: HpValue::Int(128),
        });
        let e = c.validate(None).unwrap_err();
        assert_eq!(e.field, "hyperparameters.units_0");
        assert!(e.message.contains("CNN hypermodel") && e.message.contains("conv_blocks"));
        // The MLP does not read the CNN's names either.
        let mut m = TunerConfig::seed_004();
        m.hyperparameters.push(HyperParameter::Fixed {
            name: "filters_0".into(),
            value: HpValue::Int(32),
        });
        let e = m.validate(None).unwrap_err();
        assert!(e.message.contains("MLP hypermodel"), "{e}");

        // Five blocks pool 28 down to nothing: the highest corner is refused, naming a layer.
        let mut deep = TunerConfig::small_cnn();
        deep.hyperparameters[0] = HyperParameter::Int {
            name: "conv_blocks".into(),
            min_value: 1,
            max_value: 5,
            step: 1,
        };
        let e = deep.validate(None).unwrap_err();
        assert!(e.field.starts_with("model.layers["), "{e}");
        assert!(e.message.contains("highest"), "{e}");
        // Four blocks still fit (28 → 14 → 7 → 3 → 1).
        deep.hyperparameters[0] = HyperParameter::Int {
            name: "conv_blocks".into(),
            min_value: 1,
            max_value: 4,
            step: 1,
        };
        deep.validate(None).unwrap();

        let mut imdb = TunerConfig::small_cnn();
        imdb.dataset = DatasetKind::Imdb;
        assert_eq!(imdb.validate(None).unwrap_err().field, "hypermodel");

        let bad = |name: &str, v: HpValue| {
            let c = TunerConfig::small_cnn();
            let e = c.training_config(&values(&[(name, v)]), 1).unwrap_err();
            assert_eq!(e.field, format!("hyperparameters.{name}"));
            e.message
        };
        assert!(bad("conv_blocks", HpValue::Int(0)).contains("≥ 1"));
        assert!(bad("conv_blocks", HpValue::Int(i64::MAX)).contains("at most"));
        assert!(bad("filters_0", HpValue::Float(2.5)).contains("whole"));
        assert!(bad("filters_0", HpValue::Int(100_000)).contains("filters"));
        assert!(bad("kernel_0", HpValue::Text("big".into())).contains("number"));
        assert!(bad("units", HpValue::Int(0)).contains("≥ 1"));
    }

    #[test]
    fn the_cnn_tuner_file_is_the_small_cnn_search_and_the_mlp_json_is_unchanged() {
        let c: TunerConfig =
            serde_json::from_str(include_str!("../../../../configs/tuner-cnn.json")).unwrap();
        let expected = TunerConfig::small_cnn();
        assert_eq!(
            c,
            expected,
            "{}",
            serde_json::to_string_pretty(&expected).unwrap()
        );
        let json = serde_json::to_string(&TunerConfig::seed_004()).unwrap();
        assert!(!json.contains("hypermodel"));
        assert!(
            serde_json::to_string(&expected)
                .unwrap()
                .contains(r#""hypermodel":"cnn""#)
        );
    }
}
