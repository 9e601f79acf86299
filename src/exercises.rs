//! The exercises of steps 5–8: when a step counts as done, as plain functions over the tab's
//! runs (the page's progress effect only calls [`passed`]). Each check looks at the latest
//! finished run of its step.

use lab_spec::EpochLogs;

use crate::logic::best_epoch;
use crate::trainer::{RunStatus, RunView};

/// The steps that have an exercise.
pub const EXERCISE_STEPS: [u8; 4] = [5, 6, 7, 8];

/// Step 5: the baseline must reach this validation accuracy in some epoch.
pub const BASELINE_VAL_ACCURACY: f64 = 0.80;

/// Step 6: the last validation loss must be this factor above the best one…
pub const OVERFIT_RISE: f64 = 1.05;

/// …at least this many epochs after the best epoch (while the training loss kept falling).
pub const OVERFIT_EPOCHS_AFTER_BEST: usize = 2;

/// Whether the exercise of `step` is passed by `runs` (false for a step without one).
pub fn passed(step: u8, runs: &[RunView]) -> bool {
    match step {
        5 => baseline_passed(runs),
        6 => overfit_passed(runs),
        7 => regularized_passed(runs),
        8 => tuned_passed(runs),
        _ => false,
    }
}

/// The latest run of `step` that finished (not running, not failed).
pub fn latest_finished(runs: &[RunView], step: u8) -> Option<&RunView> {
    runs.iter()
        .rev()
        .find(|r| r.step == step && matches!(r.status, RunStatus::Finished(_)))
}

/// Step 5: the latest baseline reached [`BASELINE_VAL_ACCURACY`] in some epoch.
pub fn baseline_passed(runs: &[RunView]) -> bool {
    latest_finished(runs, 5).is_some_and(|r| {
        r.epochs
            .iter()
            .filter_map(|e| e.val_accuracy)
            .any(|a| a >= BASELINE_VAL_ACCURACY)
    })
}

/// Step 6: the latest run overfits visibly ([`is_visible_overfit`]).
pub fn overfit_passed(runs: &[RunView]) -> bool {
    latest_finished(runs, 6).is_some_and(|r| is_visible_overfit(&r.epochs))
}

/// Step 7: the latest regularized run's best val_loss is below the latest step-6 run's.
pub fn regularized_passed(runs: &[RunView]) -> bool {
    let (Some(r7), Some(r6)) = (latest_finished(runs, 7), latest_finished(runs, 6)) else {
        return false;
    };
    match (best_val_loss(&r7.epochs), best_val_loss(&r6.epochs)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

/// Step 8: the latest retrained best's test accuracy beats the best test accuracy of the
/// latest finished runs of steps 5–7 (one of them must have a test report).
pub fn tuned_passed(runs: &[RunView]) -> bool {
    let Some(tuned) = latest_finished(runs, 8).and_then(|r| r.report.as_ref().map(|r| r.accuracy))
    else {
        return false;
    };
    let before = [5, 6, 7]
        .into_iter()
        .filter_map(|s| {
            latest_finished(runs, s).and_then(|r| r.report.as_ref().map(|r| r.accuracy))
        })
        .fold(f64::NEG_INFINITY, f64::max);
    before.is_finite() && tuned > before
}

/// The lowest val_loss of a run.
pub fn best_val_loss(epochs: &[EpochLogs]) -> Option<f64> {
    epochs
        .iter()
        .filter_map(|e| e.val_loss)
        .min_by(f64::total_cmp)
}

/// A visible overfit: validation loss at least [`OVERFIT_RISE`] times its best,
/// [`OVERFIT_EPOCHS_AFTER_BEST`] or more epochs after the best, while the training loss kept
/// falling.
pub fn is_visible_overfit(epochs: &[EpochLogs]) -> bool {
    let (Some(best), Some(best_loss), Some(last)) =
        (best_epoch(epochs), best_val_loss(epochs), epochs.last())
    else {
        return false;
    };
    let Some(last_val) = last.val_loss else {
        return false;
    };
    let train_at_best = epochs[best - 1].loss;
    last.epoch >= best + OVERFIT_EPOCHS_AFTER_BEST
        && last_val > best_loss * OVERFIT_RISE
        && last.loss < train_at_best
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::{Averages, ClassificationReport, StopReason};

    /// Epoch logs from (training loss, val_loss, val_accuracy) per epoch.
    fn epochs(values: &[(f64, f64, f64)]) -> Vec<EpochLogs> {
        values
            .iter()
            .enumerate()
            .map(|(i, &(loss, val_loss, val_accuracy))| EpochLogs {
                epoch: i + 1,
                loss,
                accuracy: 0.5,
                val_loss: Some(val_loss),
                val_accuracy: Some(val_accuracy),
                lr: 0.001,
                regularization_loss: 0.0,
                seconds: 1.0,
            })
            .collect()
    }

    fn report(accuracy: f64) -> ClassificationReport {
        let avg = Averages {
            precision: accuracy,
            recall: accuracy,
            f1: accuracy,
            support: 100,
        };
        ClassificationReport {
            accuracy,
            loss: None,
            confusion_matrix: Vec::new(),
            per_class: Vec::new(),
            macro_avg: avg.clone(),
            weighted_avg: avg,
        }
    }

    fn run(step: u8, status: RunStatus, epochs: Vec<EpochLogs>) -> RunView {
        RunView {
            status,
            total_epochs: epochs.len(),
            epochs,
            batches_per_epoch: 10,
            ..RunView::new(
                0,
                step,
                format!("step {step}"),
                crate::presets::baseline(),
                "cpu".into(),
                0.0,
            )
        }
    }

    fn finished(step: u8, epochs: Vec<EpochLogs>) -> RunView {
        run(step, RunStatus::Finished(StopReason::Completed), epochs)
    }

    fn with_report(mut r: RunView, accuracy: f64) -> RunView {
        r.report = Some(report(accuracy));
        r
    }

    /// Training loss falls; val_loss bottoms out at epoch 3 and ends 11 % above it.
    fn overfitting() -> Vec<EpochLogs> {
        epochs(&[
            (1.0, 0.6, 0.7),
            (0.8, 0.5, 0.8),
            (0.6, 0.45, 0.85),
            (0.5, 0.47, 0.85),
            (0.4, 0.5, 0.84),
        ])
    }

    #[test]
    fn visible_overfit_needs_the_rise_the_distance_and_a_falling_training_loss() {
        let run = overfitting();
        assert!(is_visible_overfit(&run));
        // One epoch after the best only.
        assert!(!is_visible_overfit(&run[..4]));
        // Still improving.
        assert!(!is_visible_overfit(&run[..3]));
        // The rise is below 5 %.
        let mut small = run.clone();
        small[4].val_loss = Some(0.46);
        assert!(!is_visible_overfit(&small));
        // The training loss went back up.
        let mut train_up = run.clone();
        train_up[4].loss = 0.7;
        assert!(!is_visible_overfit(&train_up));
        assert!(!is_visible_overfit(&[]));
        assert_eq!(best_val_loss(&run), Some(0.45));
        assert_eq!(best_val_loss(&[]), None);
    }

    #[test]
    fn step_5_needs_the_validation_accuracy_in_the_latest_finished_run() {
        let good = finished(5, epochs(&[(1.0, 0.6, 0.75), (0.8, 0.5, 0.80)]));
        let weak = finished(5, epochs(&[(1.0, 0.6, 0.75), (0.8, 0.5, 0.79)]));
        assert!(passed(5, std::slice::from_ref(&good)));
        assert!(!passed(5, std::slice::from_ref(&weak)));
        // The latest finished run counts, not the best one.
        assert!(!passed(5, &[good.clone(), weak.clone()]));
        // A running or failed run after a good one does not hide it.
        let running = run(5, RunStatus::Running, Vec::new());
        let failed = run(5, RunStatus::Failed("x".into()), Vec::new());
        assert!(passed(5, &[good.clone(), running, failed]));
        // Another step's run does not count.
        let mut other = good;
        other.step = 6;
        assert!(!passed(5, &[other]));
        assert!(!passed(5, &[]));
    }

    #[test]
    fn step_6_needs_a_visible_overfit() {
        assert!(passed(6, &[finished(6, overfitting())]));
        assert!(!passed(6, &[finished(6, overfitting()[..4].to_vec())]));
        assert!(!passed(
            6,
            &[run(6, RunStatus::Failed("x".into()), overfitting())]
        ));
    }

    #[test]
    fn step_7_needs_a_lower_best_val_loss_than_the_latest_step_6_run() {
        let r6 = finished(6, overfitting()); // best val_loss 0.45
        let better = finished(7, epochs(&[(1.0, 0.5, 0.8), (0.9, 0.40, 0.86)]));
        let equal = finished(7, epochs(&[(1.0, 0.5, 0.8), (0.9, 0.45, 0.86)]));
        assert!(passed(7, &[r6.clone(), better.clone()]));
        assert!(!passed(7, &[r6.clone(), equal]));
        // Without a finished step-6 run there is nothing to beat.
        assert!(!passed(7, std::slice::from_ref(&better)));
        // The latest step-6 run is the one to beat.
        let lower6 = finished(6, epochs(&[(1.0, 0.35, 0.9)]));
        assert!(!passed(7, &[r6, lower6, better]));
    }

    #[test]
    fn step_8_needs_a_tuned_test_accuracy_above_steps_5_to_7() {
        let r5 = with_report(finished(5, Vec::new()), 0.84);
        let r7 = with_report(finished(7, Vec::new()), 0.88);
        let tuned = with_report(finished(8, Vec::new()), 0.89);
        let tie = with_report(finished(8, Vec::new()), 0.88);
        assert!(passed(8, &[r5.clone(), r7.clone(), tuned.clone()]));
        assert!(!passed(8, &[r5.clone(), r7, tie]));
        // Nothing to compare with: not passed.
        assert!(!passed(8, std::slice::from_ref(&tuned)));
        // A step-8 run without a test report does not count.
        assert!(!passed(8, &[r5, finished(8, Vec::new())]));
        assert!(!passed(4, &[tuned]));
    }
}
