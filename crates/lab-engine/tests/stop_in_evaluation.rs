//! Stop during the test-set evaluation (`session::train_and_evaluate_stoppable`): the run ends
//! there, stopped by the learner, its training history intact and without test results; when
//! nobody stops, the results are those of `train_and_evaluate`, number for number.

mod common;

use burn::tensor::Device;
use futures::executor::block_on;
use lab_engine::lab_data::files::FashionMnist;
use lab_engine::lab_spec::*;
use lab_engine::session::{RunEnd, train_and_evaluate, train_and_evaluate_stoppable};
use lab_engine::training::{Observer, Recorder, RunOptions};

fn data() -> FashionMnist {
    FashionMnist {
        train: common::synthetic(20, 21),
        test: common::synthetic(7, 22),
    }
}

fn config() -> TrainingConfig {
    let mut c = TrainingConfig::new(ModelSpec::mlp(&[16]));
    c.epochs = 3;
    c.batch_size = 32;
    c.optimizer = OptimizerConfig::adam(0.003);
    c
}

/// Evaluation in batches of 10: the 70 test images are 7 batches per pass (loss, predictions).
fn options() -> RunOptions {
    RunOptions {
        eval_batch_size: 10,
        ..RunOptions::default()
    }
}

/// Keeps the events; once training has finished, counts the polls between evaluation
/// batches and asks to stop at poll `stop_at` (never when `None`).
struct StopsInEvaluation {
    events: Vec<Event>,
    stop_at: Option<usize>,
    polls_after_training: usize,
}

impl StopsInEvaluation {
    fn new(stop_at: Option<usize>) -> Self {
        Self {
            events: Vec::new(),
            stop_at,
            polls_after_training: 0,
        }
    }

    fn finished(&self) -> Vec<&RunSummary> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Finished(s) => Some(s),
                _ => None,
            })
            .collect()
    }
}

impl Observer for StopsInEvaluation {
    fn event(&mut self, event: Event) {
        self.events.push(event);
    }

    fn stop_requested(&mut self) -> bool {
        if self.finished().is_empty() {
            return false;
        }
        self.polls_after_training += 1;
        self.stop_at.is_some_and(|n| self.polls_after_training >= n)
    }
}

fn run(observer: &mut impl Observer) -> RunEnd {
    block_on(train_and_evaluate_stoppable(
        &config(),
        &data(),
        &Device::flex(),
        observer,
        &options(),
    ))
    .unwrap()
}

#[test]
fn stop_once_evaluation_starts_ends_the_run_stopped_with_its_history_and_no_report() {
    let mut observer = StopsInEvaluation::new(Some(1));
    let RunEnd::StoppedInEvaluation(outcome) = run(&mut observer) else {
        panic!("the run was evaluated although Stop came before its first evaluation batch")
    };
    let s = &outcome.summary;
    assert_eq!(s.reason, StopReason::UserStop);
    assert_eq!((s.epochs.len(), s.history.loss.len()), (3, 3));
    assert_eq!(s.stopped_epoch, 3);
    // Training's own end, then the run's: stopped by the learner, same history.
    let finished = observer.finished();
    assert_eq!(finished.len(), 2);
    assert_eq!(finished[0].reason, StopReason::Completed);
    assert_eq!(finished[1], s);
    assert_eq!(finished[1].history, finished[0].history);
    assert!(matches!(observer.events.last(), Some(Event::Finished(_))));
    assert!(
        !observer
            .events
            .iter()
            .any(|e| matches!(e, Event::Evaluated(_) | Event::Failed { .. }))
    );
}

#[test]
fn stop_between_evaluation_batches_is_honoured_in_the_middle() {
    // Poll 4 comes before the 4th of the test set's 7 batches; poll 7 before the last.
    for at in [4, 7] {
        let mut observer = StopsInEvaluation::new(Some(at));
        assert!(matches!(run(&mut observer), RunEnd::StoppedInEvaluation(_)));
        assert_eq!(observer.polls_after_training, at);
    }
}

#[test]
fn without_stop_the_results_are_those_of_train_and_evaluate_and_every_batch_is_polled() {
    let mut observer = StopsInEvaluation::new(None);
    let RunEnd::Evaluated(stoppable) = run(&mut observer) else {
        panic!("nobody stopped")
    };
    // One pass over the test set's 7 batches gives the loss and the predictions.
    assert_eq!(observer.polls_after_training, 7);
    assert_eq!(observer.finished().len(), 1);
    let plain = block_on(train_and_evaluate(
        &config(),
        &data(),
        &Device::flex(),
        &mut Recorder::default(),
        &options(),
    ))
    .unwrap();
    assert_eq!(stoppable.predictions, plain.predictions);
    assert_eq!(stoppable.report, plain.report);
    let (a, b) = (stoppable.report.loss.unwrap(), plain.report.loss.unwrap());
    assert_eq!(a.to_bits(), b.to_bits());
    // The same training (all but the wall times).
    let (a, b) = (&stoppable.outcome.summary, &plain.outcome.summary);
    assert_eq!(
        (&a.history.loss, &a.history.val_loss),
        (&b.history.loss, &b.history.val_loss)
    );
    assert_eq!((a.reason, a.weights_epoch), (b.reason, b.weights_epoch));
    assert_eq!(stoppable.normalizer, plain.normalizer);
}

#[test]
fn a_run_stopped_during_training_still_gets_its_test_results() {
    // Stop after the first batch: training ends there, and what was trained is evaluated.
    let mut observer = Recorder::stopping_after(1);
    let RunEnd::Evaluated(result) = run(&mut observer) else {
        panic!("a run stopped during training is evaluated to the end")
    };
    assert_eq!(result.outcome.summary.reason, StopReason::UserStop);
    assert_eq!(result.predictions.len(), data().test.len());
    let finished = observer
        .events
        .iter()
        .filter(|e| matches!(e, Event::Finished(_)))
        .count();
    assert_eq!(finished, 1);
}
