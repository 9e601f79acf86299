//! Step 8's search: Hyperband's schedule against Keras Tuner's own oracle, reproducibility,
//! promotions continuing their parent, RandomSearch, stopping, an exhausted space.

mod common;

use futures::executor::block_on;
use lab_engine::data::prepare;
use lab_engine::lab_spec::tuning::{
    Algorithm, HpValue, HyperParameter, Sampling, SearchEvent, TrialStatus, TunerConfig,
    hyperband_plan,
};
use lab_engine::training::{Observer, Recorder, RunOptions};
use lab_engine::tuner::{Done, Oracle, SearchOutcome, search};
use serde::Deserialize;

#[derive(Deserialize)]
struct KtTrial {
    id: String,
    bracket: usize,
    round: usize,
    initial_epoch: usize,
    epochs: usize,
    parent: Option<String>,
    score: f64,
}

#[derive(Deserialize)]
struct KtSchedule {
    max_epochs: usize,
    factor: usize,
    trials: Vec<KtTrial>,
}

fn one_float_space(algorithm: Algorithm) -> TunerConfig {
    let mut c = TunerConfig::seed_004();
    c.hyperparameters = vec![HyperParameter::Float {
        name: "lr".into(),
        min_value: 1e-4,
        max_value: 1e-2,
        step: None,
        sampling: Sampling::Log,
    }];
    c.algorithm = algorithm;
    c
}

/// Fixture written by `tests/fixtures/keras_tuner_hyperband.py` with keras-tuner 1.4.8: the
/// trials its `HyperbandOracle` creates when each trial ends before the next is asked for.
#[test]
fn hyperband_creates_the_trials_keras_tuner_creates() {
    let fixture: Vec<KtSchedule> =
        serde_json::from_str(include_str!("fixtures/keras_tuner_hyperband.json")).unwrap();
    let pairs: Vec<(usize, usize)> = fixture.iter().map(|s| (s.max_epochs, s.factor)).collect();
    for needed in [(5, 3), (10, 3), (27, 3), (9, 2), (81, 3)] {
        assert!(pairs.contains(&needed), "fixture lacks {needed:?}");
    }
    for schedule in &fixture {
        let config = one_float_space(Algorithm::Hyperband {
            max_epochs: schedule.max_epochs,
            factor: schedule.factor,
            hyperband_iterations: 1,
        });
        let mut oracle = Oracle::new(&config).unwrap();
        let label = format!(
            "max_epochs {}, factor {}",
            schedule.max_epochs, schedule.factor
        );
        for (n, kt) in schedule.trials.iter().enumerate() {
            let i = oracle
                .next_trial()
                .unwrap_or_else(|d| panic!("{label}: ended ({d:?}) before trial {n}"));
            let t = &oracle.trials()[i];
            assert_eq!(
                (
                    t.id.as_str(),
                    t.bracket,
                    t.round,
                    t.initial_epoch,
                    t.epochs,
                    t.parent.as_deref()
                ),
                (
                    kt.id.as_str(),
                    kt.bracket,
                    kt.round,
                    kt.initial_epoch,
                    kt.epochs,
                    kt.parent.as_deref()
                ),
                "{label}: trial {n}"
            );
            oracle.end_trial_with_score(i, kt.score);
        }
        assert_eq!(
            oracle.next_trial(),
            Err(Done::Completed),
            "{label}: one trial too many"
        );

        // The printed plan describes the same trials and counts their epochs.
        let plan = hyperband_plan(schedule.max_epochs, schedule.factor, 1);
        assert_eq!(plan.trials(), schedule.trials.len(), "{label}");
        let trained: usize = schedule
            .trials
            .iter()
            .map(|t| t.epochs - t.initial_epoch)
            .sum();
        assert_eq!(plan.total_epochs, trained, "{label}");
        let mut order: Vec<usize> = schedule.trials.iter().map(|t| t.bracket).collect();
        order.dedup();
        let plan_order: Vec<usize> = plan.brackets.iter().map(|b| b.bracket).collect();
        assert_eq!(plan_order, order, "{label}: brackets in the order they run");
    }
}

fn tiny_search(algorithm: Algorithm) -> TunerConfig {
    let mut c = TunerConfig::seed_004();
    c.algorithm = algorithm;
    c.batch_size = 32;
    c.hyperparameters.retain(|h| {
        !(h.name().ends_with("_1") || h.name().ends_with("_2") || h.name() == "n_layers")
    });
    c.hyperparameters[0] = HyperParameter::Choice {
        name: "units_0".into(),
        values: vec![HpValue::Int(8), HpValue::Int(16)],
    };
    c
}

fn run(config: &TunerConfig, recorder: &mut impl Observer<SearchEvent>) -> SearchOutcome {
    let data = common::synthetic(20, 3);
    let prepared = prepare(
        &data,
        &config.training_config(&Default::default(), 1).unwrap(),
    );
    block_on(search(
        config,
        &prepared,
        &common::device(),
        recorder,
        &RunOptions::default(),
    ))
    .unwrap()
}

#[test]
fn a_seeded_search_is_reproducible_and_promotions_continue_their_parent() {
    let config = tiny_search(Algorithm::Hyperband {
        max_epochs: 2,
        factor: 2,
        hyperband_iterations: 1,
    });
    let mut rec = Recorder::default();
    let a = run(&config, &mut rec);
    let b = run(&config, &mut Recorder::default());
    assert_eq!(a.trials.len(), 5, "(2, 2): 2 + 1 + 2 trials");
    for (x, y) in a.trials.iter().zip(&b.trials) {
        assert_eq!(x.values, y.values);
        let (hx, hy) = (&x.history, &y.history);
        assert_eq!(
            (&hx.loss, &hx.accuracy, &hx.val_loss, &hx.val_accuracy),
            (&hy.loss, &hy.accuracy, &hy.val_loss, &hy.val_accuracy),
            "trial {}",
            x.id
        );
        assert_eq!(x.score, y.score);
    }
    assert_eq!(a.summary.best_score, b.summary.best_score);
    assert_eq!(a.summary.reason, "completed");
    assert!(a.trials.iter().all(|t| t.status == TrialStatus::Completed));

    let child = a.trials.iter().find(|t| t.parent.is_some()).unwrap();
    let parent = a
        .trials
        .iter()
        .find(|t| Some(&t.id) == child.parent.as_ref())
        .unwrap();
    assert_eq!((child.initial_epoch, child.epochs), (1, 2));
    assert_eq!(child.values, parent.values);
    assert_eq!(child.history.epochs(), 1, "only epoch 2 is trained again");
    assert_eq!(child.best_epoch, Some(2));
    // It continues from the parent's weights: its epoch starts where the parent ended, so
    // its training loss is below the parent's first (from scratch) epoch.
    assert!(
        child.history.loss[0] < parent.history.loss[0],
        "child {:?} vs parent {:?}",
        child.history.loss,
        parent.history.loss
    );
    // The epoch events of the promoted trial are numbered from initial_epoch + 1.
    let mut current = None;
    for e in &rec.events {
        match e {
            SearchEvent::TrialStarted(t) => current = Some(t.id.clone()),
            SearchEvent::Epoch(l) if current.as_ref() == Some(&child.id) => assert_eq!(l.epoch, 2),
            _ => {}
        }
    }
    let finished = rec
        .events
        .iter()
        .filter(|e| matches!(e, SearchEvent::TrialFinished(_)))
        .count();
    assert_eq!(finished, 5);
    assert!(matches!(
        rec.events.last(),
        Some(SearchEvent::SearchFinished(_))
    ));
}

#[test]
fn random_search_runs_max_trials_without_duplicates_and_stops_when_exhausted() {
    let config = tiny_search(Algorithm::RandomSearch {
        max_trials: 3,
        epochs: 1,
    });
    let out = run(&config, &mut Recorder::default());
    assert_eq!(out.trials.len(), 3);
    assert!(out.trials.iter().all(|t| t.history.epochs() == 1));

    // A space with one configuration: the second draw collides, the search ends cleanly.
    let mut one = config.clone();
    one.hyperparameters = vec![HyperParameter::Fixed {
        name: "units_0".into(),
        value: HpValue::Int(8),
    }];
    let out = run(&one, &mut Recorder::default());
    assert_eq!(out.trials.len(), 1);
    assert_eq!(out.summary.reason, "exhausted");
    assert!(out.summary.best_score.is_some());
}

#[test]
fn stop_keeps_the_finished_trials() {
    let config = tiny_search(Algorithm::Hyperband {
        max_epochs: 2,
        factor: 2,
        hyperband_iterations: 1,
    });
    let out = run(&config, &mut StopInSecondTrial::default());
    assert_eq!(out.summary.reason, "stopped");
    assert_eq!(out.trials.len(), 2);
    assert_eq!(out.trials[0].status, TrialStatus::Completed);
    assert_eq!(out.trials[1].status, TrialStatus::Stopped);
    assert_eq!(out.trials[1].score, None, "a stopped trial is not scored");
    assert_eq!(out.summary.best_trial.as_deref(), Some("0000"));
}

/// Asks to stop once the second trial has reported its first batch.
#[derive(Default)]
struct StopInSecondTrial {
    started: usize,
    batches_in_second: usize,
}

impl Observer<SearchEvent> for StopInSecondTrial {
    fn event(&mut self, event: SearchEvent) {
        match event {
            SearchEvent::TrialStarted(_) => self.started += 1,
            SearchEvent::Batch(_) if self.started == 2 => self.batches_in_second += 1,
            _ => {}
        }
    }

    fn stop_requested(&mut self) -> bool {
        self.batches_in_second > 0
    }
}

/// The CNN hypermodel through the whole search: a tiny Hyperband on 300 Fashion-MNIST-shaped
/// images trains conv trials, promotes one from its parent's weights and scores them all.
#[test]
fn a_tiny_hyperband_tuner_search_trains_cnn_trials() {
    let mut config = TunerConfig::small_cnn();
    config.algorithm = Algorithm::Hyperband {
        max_epochs: 2,
        factor: 2,
        hyperband_iterations: 1,
    };
    config.batch_size = 32;
    let data = common::synthetic(30, 5);
    assert_eq!(data.len(), 300);
    let mut rec = Recorder::default();
    // The plain device, as every caller passes it: trials train on its autodiff form.
    let out = block_on(lab_engine::session::tune(
        &config,
        &data,
        &burn::tensor::Device::flex(),
        &mut rec,
        &RunOptions::default(),
    ))
    .unwrap();
    assert_eq!(out.summary.reason, "completed");
    assert_eq!(out.trials.len(), 5, "(2, 2): 2 + 1 + 2 trials");
    assert!(
        out.trials.iter().any(|t| t.parent.is_some()),
        "a promoted trial"
    );
    for t in &out.trials {
        assert_eq!(t.status, TrialStatus::Completed, "trial {}", t.id);
        assert!(t.score.is_some_and(|s| s > 0.0), "trial {} scored", t.id);
        assert!(t.values.contains_key("conv_blocks") && t.values.contains_key("filters_0"));
        let model = config.training_config(&t.values, t.epochs).unwrap().model;
        let convs = model
            .layers
            .iter()
            .filter(|l| l.keras_name() == "Conv2D")
            .count();
        let blocks = t.values["conv_blocks"].as_f64().unwrap() as usize;
        assert_eq!(convs, blocks, "trial {}: one Conv2D per block", t.id);
        assert!(model.summary().is_ok());
    }
    assert!(
        out.summary.best_score.unwrap() > 0.1,
        "{:?}",
        out.summary.best_score
    );
    assert!(matches!(
        rec.events.last(),
        Some(SearchEvent::SearchFinished(_))
    ));
}
