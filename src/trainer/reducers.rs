//! How the worker's replies change what the page knows: plain functions over the views, so
//! every transition is tested natively.

use lab_spec::tuning::{SearchEvent, TrialStatus};
use lab_spec::{Event, StopReason};

use lab_spec::ClassificationReport;
use lab_spec::worker::{Prediction, WhichWeights};

use super::views::{
    ActivationsView, CheckpointAsk, DataState, PredictionsView, RunStatus, RunView, SearchStatus,
    SearchView, WeightsView,
};

/// A run's event. The run stays "running" after `Finished` until the test-set evaluation
/// arrives.
pub fn apply_event(r: &mut RunView, event: Event) {
    match event {
        Event::Started {
            epochs,
            batches_per_epoch,
            ..
        } => {
            r.total_epochs = epochs;
            r.batches_per_epoch = batches_per_epoch;
        }
        Event::Batch(p) => {
            r.batch_losses.push((
                p.epoch as f64 - 1.0 + p.batch as f64 / p.batches.max(1) as f64,
                p.loss,
            ));
            r.progress = Some(p);
        }
        Event::Epoch(logs) => r.epochs.push(logs),
        Event::Callback(action) => r.actions.push(action),
        // TerminateOnNaN is off (else the run ends with its callback action): the first NaN
        // is said in the status; the engine reports it again in each later epoch.
        Event::NanLoss { epoch, batch } => {
            r.nan_loss.get_or_insert((epoch, batch));
        }
        // A second `Finished` comes only when Stop cut the test-set evaluation: the run ends
        // there, stopped by the learner, with no test results.
        Event::Finished(summary) if r.summary.is_some() => {
            r.status = RunStatus::Finished(summary.reason);
            r.summary = Some(summary);
            r.progress = None;
            r.rename();
        }
        Event::Finished(summary) => r.summary = Some(summary),
        Event::Evaluated(report) => {
            r.report = Some(report);
            r.status = RunStatus::Finished(
                r.summary
                    .as_ref()
                    .map_or(StopReason::Completed, |s| s.reason),
            );
            r.rename();
        }
        Event::Failed { message } => {
            r.status = RunStatus::Failed(message);
            r.rename();
        }
    }
}

/// A search's event.
pub fn apply_search_event(s: &mut SearchView, event: SearchEvent) {
    match event {
        SearchEvent::TrialStarted(t) => {
            s.trials.push(t);
            s.current = Some(s.trials.len() - 1);
            s.progress = None;
        }
        SearchEvent::Batch(p) => s.progress = Some(p),
        SearchEvent::Epoch(logs) => {
            if let Some(t) = s.current.and_then(|i| s.trials.get_mut(i)) {
                t.history.push(&logs);
            }
        }
        SearchEvent::TrialFinished(t) => {
            if let Some(slot) = s.trials.iter_mut().find(|x| x.id == t.id) {
                *slot = t;
            }
            s.current = None;
        }
        SearchEvent::SearchFinished(summary) => {
            s.status = SearchStatus::Finished(summary);
            s.current = None;
        }
        SearchEvent::TrialFailed { message } => s.messages.push(message),
        SearchEvent::NanLoss { .. } => {}
    }
}

/// The worker's `RunFailed`: while the best checkpoint of that (finished) run is being
/// evaluated, the evaluation failed, not the run; otherwise the run failed.
pub fn fail_run(
    runs: &mut [RunView],
    checkpoint: &mut Option<CheckpointAsk>,
    run: u32,
    message: String,
) {
    if let Some(ask) = checkpoint
        .as_mut()
        .filter(|a| a.run == run && a.failed.is_none())
    {
        ask.failed = Some(message);
    } else if let Some(r) = runs.iter_mut().find(|r| r.id == run) {
        r.status = RunStatus::Failed(message);
        r.rename();
    }
}

/// A search that could not start or crashed: its running trial ends as failed.
pub fn fail_search(s: &mut SearchView, message: String) {
    s.status = SearchStatus::Failed(message);
    s.current = None;
    s.progress = None;
    for t in s
        .trials
        .iter_mut()
        .filter(|t| t.status == TrialStatus::Running)
    {
        t.status = TrialStatus::Failed;
    }
}

/// The worker is gone: whatever was running failed with `message`.
pub fn fail_running(runs: &mut [RunView], search: Option<&mut SearchView>, message: &str) {
    for r in runs.iter_mut().filter(|r| r.is_running()) {
        r.status = RunStatus::Failed(message.to_string());
        r.progress = None;
        r.rename();
    }
    if let Some(s) = search.filter(|s| s.is_running()) {
        fail_search(s, message.to_string());
    }
}

/// Whether the page replaces a crashed worker with a fresh one: yes when the crashed one had
/// loaded the data (the fresh one loads it again, from the browser's cache), so that the
/// next run works. A worker that crashed before that would likely crash again: the data is
/// marked failed instead, and a reload starts over.
pub fn restarts_after_crash(data: &DataState) -> bool {
    matches!(data, DataState::Ready(_))
}

/// What the learner reads when the worker crashed: `detail` is what the browser said (a
/// panic and running out of memory both end in "RuntimeError: unreachable").
pub fn crash_message(detail: &str, restarted: bool) -> String {
    let next = if restarted {
        "a fresh worker has been started, so you can train again (a smaller model or batch size needs less memory)"
    } else {
        "reload the page to start it again"
    };
    format!(
        "the training worker crashed (out of memory, or an internal error: {detail}); {next}",
        detail = detail.trim()
    )
}

/// A fresh worker replaced the crashed one: it holds no run's predictions nor checkpoint, so
/// every run is marked as such (as after a reload).
pub fn worker_replaced(runs: &mut [RunView]) {
    for r in runs {
        r.restored = true;
        r.progress = None;
    }
}

/// Run `run` was given back to the worker from its stored weights (after a reload, or to a
/// fresh worker after a crash): its checkpoint, downloads, predictions and drill-downs work
/// again; nothing else of it changes.
pub fn restored(runs: &mut [RunView], run: u32) {
    if let Some(r) = runs.iter_mut().find(|r| r.id == run) {
        r.restored = false;
    }
}

/// Weights loaded as run `run` (the answer to the current [`LoadAsk`]): they become a finished
/// run of the ask's step, with its test report.
pub fn loaded(
    runs: &mut Vec<RunView>,
    weights: &mut WeightsView,
    run: u32,
    report: ClassificationReport,
    backend: String,
    now: f64,
) {
    let Some(ask) = weights.load.take_if(|a| a.run == run && a.failed.is_none()) else {
        return;
    };
    let view = RunView::loaded(run, ask.step, &ask.file, ask.config, backend, report, now);
    runs.push(view);
}

/// Weights that could not be loaded as run `run`: the ask says why; no run is added.
pub fn load_failed(weights: &mut WeightsView, run: u32, message: String) {
    if let Some(ask) = weights.load.as_mut().filter(|a| a.run == run) {
        ask.failed = Some(message);
    }
}

/// A download that could not be had: its ask says why.
pub fn download_failed(weights: &mut WeightsView, run: u32, which: WhichWeights, message: String) {
    if let Some(ask) = weights
        .download
        .as_mut()
        .filter(|a| a.run == run && a.which == which)
    {
        ask.failed = Some(message);
    }
}

/// Test images per page of the predictions grid.
pub const PREDICTIONS_PAGE: usize = 24;

/// A page of run `run`'s predictions is asked for: with `more`, the next page of the grid shown
/// (same run and filter); else a new, empty grid. Returns where the page starts.
pub fn ask_predictions(
    weights: &mut WeightsView,
    run: u32,
    only_mistakes: bool,
    more: bool,
) -> usize {
    let same = |g: &PredictionsView| g.run == run && g.only_mistakes == only_mistakes;
    match weights.predictions.as_mut().filter(|g| more && same(g)) {
        Some(grid) => {
            grid.loading = true;
            grid.failed = None;
            grid.items.len()
        }
        None => {
            weights.predictions = Some(PredictionsView {
                run,
                only_mistakes,
                items: Vec::new(),
                total: 0,
                loading: true,
                failed: None,
            });
            0
        }
    }
}

/// Run `run`'s predictions cannot be had: its grid says why.
pub fn predictions_failed(weights: &mut WeightsView, run: u32, message: String) {
    if let Some(grid) = weights.predictions.as_mut().filter(|g| g.run == run) {
        grid.loading = false;
        grid.failed = Some(message);
    }
}

/// A page of predictions: the first page replaces the grid, the next one (asked for with
/// "more") is appended; a page for another run, filter or place (an older ask) is dropped.
pub fn apply_predictions(
    weights: &mut WeightsView,
    run: u32,
    offset: usize,
    only_mistakes: bool,
    items: Vec<Prediction>,
    total: usize,
) {
    let Some(grid) = weights
        .predictions
        .as_mut()
        .filter(|g| g.run == run && g.only_mistakes == only_mistakes)
    else {
        return;
    };
    if offset == 0 {
        grid.items = items;
    } else if offset == grid.items.len() {
        grid.items.extend(items);
    } else {
        return;
    }
    grid.total = total;
    grid.loading = false;
    grid.failed = None;
}

/// The worker is gone: a download, a load or a page of predictions under way fails with
/// `message`.
pub fn fail_weights(weights: &mut WeightsView, message: &str) {
    if let Some(ask) = weights.download.as_mut().filter(|a| a.failed.is_none()) {
        ask.failed = Some(message.to_string());
    }
    if let Some(ask) = weights.load.as_mut().filter(|a| a.failed.is_none()) {
        ask.failed = Some(message.to_string());
    }
    if let Some(grid) = weights.predictions.as_mut().filter(|g| g.loading) {
        grid.loading = false;
        grid.failed = Some(message.to_string());
    }
    if let Some(seen) = weights.activations.as_mut().filter(|a| a.loading) {
        seen.loading = false;
        seen.failed = Some(message.to_string());
    }
}

/// What run `run`'s `which` weights see of test image `index` is asked for: the view waits for
/// it, still showing the run's last answer.
pub fn ask_activations(weights: &mut WeightsView, run: u32, which: WhichWeights, index: usize) {
    let seen = weights
        .activations
        .take()
        .filter(|a| a.run == run)
        .and_then(|a| a.seen);
    weights.activations = Some(ActivationsView {
        run,
        which,
        index,
        loading: true,
        seen,
        failed: None,
    });
}

/// An answer of the worker: shown if it answers the last ask (an older one is dropped).
pub fn apply_activations(weights: &mut WeightsView, seen: lab_spec::worker::SeenActivations) {
    if let Some(view) = weights
        .activations
        .as_mut()
        .filter(|a| (a.run, a.which, a.index) == (seen.run, seen.which, seen.index))
    {
        view.loading = false;
        view.failed = None;
        view.seen = Some(seen);
    }
}

/// The last ask cannot be answered: the view says why.
pub fn activations_failed(
    weights: &mut WeightsView,
    (run, which, index): (u32, WhichWeights, usize),
    message: String,
) {
    if let Some(view) = weights
        .activations
        .as_mut()
        .filter(|a| (a.run, a.which, a.index) == (run, which, index))
    {
        view.loading = false;
        view.failed = Some(message);
    }
}

/// The fastest training speed seen (samples/s), for estimates.
pub fn fastest_speed(runs: &[RunView], search: Option<&SearchView>) -> Option<f64> {
    runs.iter()
        .filter_map(|r| r.progress.as_ref())
        .chain(search.and_then(|s| s.progress.as_ref()))
        .map(|p| p.samples_per_s)
        .reduce(f64::max)
}

#[cfg(test)]
mod tests {
    use lab_spec::tuning::{SearchSummary, Trial, TrialStatus, TunerConfig};
    use lab_spec::{
        BatchProgress, ClassificationReport, EpochLogs, History, RunSummary, TrainingConfig,
    };

    use super::*;

    fn run() -> RunView {
        RunView::new(
            1,
            5,
            "baseline".into(),
            TrainingConfig::new(lab_spec::ModelSpec::baseline()),
            "cpu".into(),
            0.0,
        )
    }

    fn batch(epoch: usize, batch: usize, batches: usize, speed: f64) -> BatchProgress {
        BatchProgress {
            epoch,
            batch,
            batches,
            loss: 1.0,
            samples_per_s: speed,
            ms_per_batch: 1.0,
        }
    }

    fn logs(epoch: usize) -> EpochLogs {
        EpochLogs {
            epoch,
            loss: 0.5,
            accuracy: 0.8,
            val_loss: Some(0.6),
            val_accuracy: Some(0.78),
            lr: 1e-3,
            regularization_loss: 0.0,
            seconds: 1.0,
        }
    }

    fn summary(reason: StopReason) -> RunSummary {
        RunSummary {
            history: History::default(),
            epochs: vec![],
            reason,
            stopped_epoch: 1,
            best_epoch: Some(1),
            weights_epoch: 1,
            saw_nan: false,
        }
    }

    fn report() -> ClassificationReport {
        let avg = lab_spec::Averages {
            precision: 0.8,
            recall: 0.8,
            f1: 0.8,
            support: 10,
        };
        ClassificationReport {
            accuracy: 0.8,
            loss: None,
            confusion_matrix: vec![],
            per_class: vec![],
            macro_avg: avg.clone(),
            weighted_avg: avg,
        }
    }

    #[test]
    fn a_run_is_finished_only_when_its_evaluation_arrives() {
        let mut r = run();
        apply_event(
            &mut r,
            Event::Started {
                epochs: 3,
                batches_per_epoch: 10,
                train_samples: 100,
                val_samples: 20,
            },
        );
        assert_eq!((r.total_epochs, r.batches_per_epoch), (3, 10));
        apply_event(&mut r, Event::Batch(batch(2, 5, 10, 100.0)));
        assert_eq!(r.batch_losses, vec![(1.5, 1.0)], "epoch 2, half way");
        apply_event(&mut r, Event::Epoch(logs(1)));
        apply_event(&mut r, Event::Finished(summary(StopReason::EarlyStopping)));
        assert!(r.is_running(), "still evaluating");
        apply_event(&mut r, Event::Evaluated(report()));
        assert_eq!(r.status, RunStatus::Finished(StopReason::EarlyStopping));
        assert_eq!(r.epochs.len(), 1);
    }

    #[test]
    fn a_stop_during_the_test_set_evaluation_ends_the_run_stopped_without_results() {
        let mut r = run();
        apply_event(&mut r, Event::Finished(summary(StopReason::Completed)));
        assert!(r.is_running(), "evaluating");
        apply_event(&mut r, Event::Finished(summary(StopReason::UserStop)));
        assert_eq!(r.status, RunStatus::Finished(StopReason::UserStop));
        assert!(r.report.is_none());
        assert_eq!(
            r.status_text(),
            "stopped by you during the test-set evaluation · no test results"
        );
    }

    #[test]
    fn a_run_is_renamed_by_how_it_ended_and_shows_its_final_progress() {
        let mut r = run();
        r.rename();
        assert_eq!(r.label, "no hidden layer · lr 1e-3 · batch 32 · 5 epochs");
        apply_event(
            &mut r,
            Event::Started {
                epochs: 5,
                batches_per_epoch: 10,
                train_samples: 100,
                val_samples: 20,
            },
        );
        assert_eq!(r.progress_line(), (0.0, "epoch 1/5 · starting".into()));
        apply_event(&mut r, Event::Batch(batch(2, 5, 10, 100.0)));
        assert_eq!(r.progress_line(), (0.3, "epoch 2/5 · batch 5/10".into()));
        apply_event(&mut r, Event::Epoch(logs(1)));
        apply_event(&mut r, Event::Finished(summary(StopReason::UserStop)));
        apply_event(&mut r, Event::Evaluated(report()));
        assert_eq!(
            r.label,
            "no hidden layer · lr 1e-3 · batch 32 · stopped by you after 1/5 epochs"
        );
        // Ended: the epochs trained, not the batch it was at.
        assert_eq!(r.progress_line(), (0.2, "epoch 1/5".into()));
        // A crash ends a running run with its final state, not a live line.
        let mut c = run();
        c.total_epochs = 8;
        c.epochs = vec![logs(1), logs(2)];
        c.progress = Some(batch(3, 1, 10, 100.0));
        let mut runs = vec![c];
        fail_running(&mut runs, None, "the worker crashed");
        assert_eq!(runs[0].progress_line(), (0.25, "epoch 2/8".into()));
        assert!(
            runs[0].label.ends_with("failed after 2/5 epochs"),
            "{}",
            runs[0].label
        );
    }

    #[test]
    fn a_reload_interrupts_a_running_run_consistently() {
        let mut r = run();
        r.total_epochs = 8;
        r.epochs = vec![logs(1), logs(2)];
        r.progress = Some(batch(3, 4, 10, 100.0));
        r.interrupt_by_reload();
        let text = r.status_text();
        assert_eq!(
            text,
            "failed: interrupted by a page reload after epoch 2 of 8: its curves are kept; train again to start a new run"
        );
        assert!(!text.contains("continue"));
        assert_eq!(r.progress_line().1, "epoch 2/8");
        // A finished run is left as it was.
        let mut done = run();
        done.status = RunStatus::Finished(StopReason::Completed);
        let before = done.clone();
        done.interrupt_by_reload();
        assert_eq!(done, before);
    }

    #[test]
    fn a_nan_loss_with_terminate_on_nan_off_is_said_once_in_the_status() {
        let mut r = run();
        apply_event(&mut r, Event::NanLoss { epoch: 1, batch: 3 });
        apply_event(&mut r, Event::Epoch(logs(1)));
        apply_event(&mut r, Event::NanLoss { epoch: 2, batch: 1 });
        assert!(r.actions.is_empty(), "not a TerminateOnNaN action");
        assert_eq!(r.nan_loss, Some((1, 3)), "the first one");
        assert_eq!(
            r.status_text(),
            "training · the loss became NaN at epoch 1, batch 3 (TerminateOnNaN is off, so training went on)"
        );
        apply_event(&mut r, Event::Finished(summary(StopReason::Completed)));
        apply_event(&mut r, Event::Evaluated(report()));
        let text = r.status_text();
        assert!(
            text.starts_with("finished · the loss became NaN at epoch 1, batch 3"),
            "{text}"
        );
        assert_eq!(text.matches("NaN").count(), 2, "{text}");
        // TerminateOnNaN on: its action ends the run, and the status says it.
        let mut t = run();
        apply_event(
            &mut t,
            Event::Callback(lab_spec::CallbackAction::TerminatedOnNan { epoch: 1, batch: 3 }),
        );
        apply_event(
            &mut t,
            Event::Finished(summary(StopReason::TerminatedOnNan)),
        );
        apply_event(&mut t, Event::Evaluated(report()));
        assert_eq!(t.status_text(), "terminated: the loss became NaN");
        apply_event(
            &mut r,
            Event::Failed {
                message: "boom".into(),
            },
        );
        assert_eq!(r.status, RunStatus::Failed("boom".into()));
    }

    fn trial(id: &str) -> Trial {
        Trial::new(id, Default::default(), 2)
    }

    #[test]
    fn a_search_grows_its_running_trial_and_replaces_it_when_finished() {
        let mut s = SearchView::new(7, TunerConfig::seed_004(), "cpu".into(), 0.0);
        apply_search_event(&mut s, SearchEvent::TrialStarted(trial("0000")));
        assert_eq!(s.current, Some(0));
        apply_search_event(&mut s, SearchEvent::Epoch(logs(1)));
        apply_search_event(&mut s, SearchEvent::Epoch(logs(2)));
        assert_eq!(s.epochs_done(), 2);
        let mut done = trial("0000");
        done.status = TrialStatus::Completed;
        done.score = Some(0.8);
        apply_search_event(&mut s, SearchEvent::TrialFinished(done));
        assert_eq!(s.current, None);
        assert_eq!(s.best().map(|t| t.id.as_str()), Some("0000"));
        apply_search_event(
            &mut s,
            SearchEvent::TrialFailed {
                message: "trial 0001: bad".into(),
            },
        );
        assert_eq!(s.messages.len(), 1);
        let summary = SearchSummary {
            trials: 1,
            best_trial: Some("0000".into()),
            best_values: None,
            best_score: Some(0.8),
            objective: "val_accuracy".into(),
            epochs_trained: 2,
            seconds: 1.0,
            reason: "completed".into(),
        };
        apply_search_event(&mut s, SearchEvent::SearchFinished(summary));
        assert!(!s.is_running());
    }

    #[test]
    fn a_crash_fails_what_runs_and_keeps_what_finished() {
        let mut a = run();
        a.status = RunStatus::Finished(StopReason::Completed);
        let mut b = run();
        b.id = 2;
        b.epochs.push(logs(1));
        let mut runs = vec![a.clone(), b];
        let mut s = SearchView::new(3, TunerConfig::seed_004(), "cpu".into(), 0.0);
        let mut done = trial("0000");
        done.status = TrialStatus::Completed;
        s.trials = vec![done.clone(), trial("0001")];
        s.current = Some(1);
        fail_running(&mut runs, Some(&mut s), "the worker crashed");
        assert_eq!(runs[0], a);
        assert_eq!(
            runs[1].status,
            RunStatus::Failed("the worker crashed".into())
        );
        assert_eq!(runs[1].epochs.len(), 1, "its curves are kept");
        assert_eq!(runs[1].status_text(), "failed: the worker crashed");
        assert_eq!(s.status, SearchStatus::Failed("the worker crashed".into()));
        assert_eq!(s.current, None);
        assert_eq!(s.trials[0], done, "a finished trial is kept");
        assert_eq!(
            s.trials[1].status,
            TrialStatus::Failed,
            "no trial stays running"
        );
    }

    #[test]
    fn a_crashed_worker_is_replaced_once_it_had_the_data() {
        let ready = DataState::Ready(lab_spec::worker::DataSummary {
            train_counts: vec![6000; 10],
            test_counts: vec![1000; 10],
            naive_baseline_accuracy: 0.1,
            samples: vec![],
            from_cache: true,
            source: "this site (data/fashion-mnist/)".into(),
        });
        assert!(restarts_after_crash(&ready));
        // Crashed while loading (a fresh one would likely crash again): no restart.
        assert!(!restarts_after_crash(&DataState::Loading {
            loaded: 1,
            total: 2
        }));
        assert!(!restarts_after_crash(&DataState::Failed("x".into())));
        assert_eq!(
            crash_message("Uncaught RuntimeError: unreachable\n", true),
            "the training worker crashed (out of memory, or an internal error: Uncaught RuntimeError: unreachable); a fresh worker has been started, so you can train again (a smaller model or batch size needs less memory)"
        );
        assert!(crash_message("x", false).ends_with("reload the page to start it again"));

        // The runs stay; none of them has predictions or a checkpoint in the fresh worker.
        let mut a = run();
        a.status = RunStatus::Finished(StopReason::Completed);
        a.progress = Some(batch(1, 1, 1, 500.0));
        let mut runs = vec![a.clone()];
        worker_replaced(&mut runs);
        assert!(runs[0].restored && runs[0].progress.is_none());
        assert_eq!((&runs[0].status, &runs[0].epochs), (&a.status, &a.epochs));
    }

    #[test]
    fn a_failed_checkpoint_evaluation_leaves_the_finished_run_alone() {
        let mut done = run();
        done.status = RunStatus::Finished(StopReason::Completed);
        let mut runs = vec![done.clone()];
        let mut ask = Some(CheckpointAsk {
            run: 1,
            failed: None,
        });
        fail_run(&mut runs, &mut ask, 1, "no checkpoint was kept".into());
        assert_eq!(runs[0], done);
        assert_eq!(
            ask.and_then(|a| a.failed).as_deref(),
            Some("no checkpoint was kept")
        );
        // Without a checkpoint asked for, the run itself failed.
        let mut ask = None;
        fail_run(&mut runs, &mut ask, 1, "out of memory".into());
        assert_eq!(runs[0].status, RunStatus::Failed("out of memory".into()));
    }

    #[test]
    fn the_fastest_speed_of_runs_and_search() {
        let mut a = run();
        a.progress = Some(batch(1, 1, 1, 500.0));
        let mut s = SearchView::new(3, TunerConfig::seed_004(), "cpu".into(), 0.0);
        assert_eq!(fastest_speed(&[], Some(&s)), None);
        s.progress = Some(batch(1, 1, 1, 900.0));
        assert_eq!(fastest_speed(&[a.clone()], Some(&s)), Some(900.0));
        assert_eq!(fastest_speed(&[a], None), Some(500.0));
    }

    fn load_ask(run: u32) -> super::super::views::LoadAsk {
        super::super::views::LoadAsk {
            run,
            step: 5,
            file: "baseline.safetensors".into(),
            config: TrainingConfig::new(lab_spec::ModelSpec::baseline()),
            failed: None,
        }
    }

    #[test]
    fn a_run_given_back_to_the_worker_changes_nothing_but_that() {
        let mut r = run();
        r.status = RunStatus::Finished(StopReason::Completed);
        r.report = Some(report());
        let mut runs = vec![r];
        worker_replaced(&mut runs);
        let before = runs[0].clone();
        restored(&mut runs, 99);
        assert_eq!(runs[0], before, "another run");
        restored(&mut runs, before.id);
        assert!(!runs[0].restored);
        assert_eq!(
            RunView {
                restored: true,
                ..runs[0].clone()
            },
            before
        );
    }

    #[test]
    fn loaded_weights_become_a_finished_run_of_the_step_and_a_failure_adds_none() {
        let mut runs = vec![run()];
        let mut weights = WeightsView {
            load: Some(load_ask(7)),
            ..Default::default()
        };
        // An answer to another ask changes nothing.
        loaded(&mut runs, &mut weights, 6, report(), "cpu".into(), 1.0);
        assert_eq!(runs.len(), 1);
        loaded(&mut runs, &mut weights, 7, report(), "cpu".into(), 1.0);
        assert_eq!(weights.load, None);
        let r = runs.last().unwrap();
        assert_eq!(
            (r.id, r.step, r.label.as_str()),
            (7, 5, "loaded: baseline.safetensors")
        );
        assert_eq!(r.status, RunStatus::Finished(StopReason::Completed));
        assert_eq!(r.report.as_ref().map(|r| r.accuracy), Some(0.8));
        assert!(r.epochs.is_empty() && !r.is_running());
        assert_eq!(
            r.progress_line(),
            (
                1.0,
                "weights loaded from a file, not trained here".to_string()
            )
        );

        weights.load = Some(load_ask(8));
        load_failed(
            &mut weights,
            8,
            "the weights do not fit this model: layer 0 …".into(),
        );
        assert_eq!(
            weights.load.as_ref().and_then(|a| a.failed.as_deref()),
            Some("the weights do not fit this model: layer 0 …")
        );
        // A late answer to the failed ask adds no run either.
        loaded(&mut runs, &mut weights, 8, report(), "cpu".into(), 1.0);
        assert_eq!(runs.len(), 2);
    }

    fn prediction(index: usize) -> Prediction {
        Prediction {
            index,
            image: serde_bytes::ByteBuf::from(vec![0; 784]),
            true_class: 1,
            predicted: 2,
            probability: 0.6,
        }
    }

    #[test]
    fn pages_of_predictions_replace_or_extend_the_grid_of_their_run_and_filter() {
        let grid = |only_mistakes| super::super::views::PredictionsView {
            run: 3,
            only_mistakes,
            items: Vec::new(),
            total: 0,
            loading: true,
            failed: None,
        };
        let mut weights = WeightsView {
            predictions: Some(grid(true)),
            ..Default::default()
        };
        let indices = |w: &WeightsView| -> Vec<usize> {
            w.predictions
                .as_ref()
                .unwrap()
                .items
                .iter()
                .map(|p| p.index)
                .collect()
        };
        apply_predictions(
            &mut weights,
            3,
            0,
            true,
            vec![prediction(4), prediction(9)],
            5,
        );
        assert_eq!(indices(&weights), [4, 9]);
        assert!(!weights.predictions.as_ref().unwrap().loading);
        // "More": appended at its place; a stale page (wrong place, other filter, other run)
        // is dropped.
        apply_predictions(&mut weights, 3, 2, true, vec![prediction(12)], 5);
        apply_predictions(&mut weights, 3, 1, true, vec![prediction(99)], 5);
        apply_predictions(&mut weights, 3, 0, false, vec![prediction(98)], 100);
        apply_predictions(&mut weights, 4, 0, true, vec![prediction(97)], 5);
        assert_eq!(indices(&weights), [4, 9, 12]);
        assert_eq!(weights.predictions.as_ref().unwrap().total, 5);

        fail_weights(&mut weights, "crashed");
        assert_eq!(
            weights.predictions.as_ref().unwrap().failed,
            None,
            "nothing was under way"
        );
        weights.predictions = Some(grid(false));
        weights.load = Some(load_ask(9));
        fail_weights(&mut weights, "crashed");
        assert_eq!(
            weights.predictions.as_ref().unwrap().failed.as_deref(),
            Some("crashed")
        );
        assert_eq!(
            weights.load.as_ref().unwrap().failed.as_deref(),
            Some("crashed")
        );
    }

    #[test]
    fn more_asks_for_the_next_page_of_the_grid_shown_else_a_new_grid_starts() {
        let mut weights = WeightsView::default();
        assert_eq!(ask_predictions(&mut weights, 3, false, true), 0);
        apply_predictions(
            &mut weights,
            3,
            0,
            false,
            vec![prediction(0), prediction(1)],
            9,
        );
        assert_eq!(ask_predictions(&mut weights, 3, false, true), 2);
        assert!(weights.predictions.as_ref().unwrap().loading);
        // Another filter or run: a new grid.
        assert_eq!(ask_predictions(&mut weights, 3, true, true), 0);
        assert!(weights.predictions.as_ref().unwrap().items.is_empty());
        predictions_failed(&mut weights, 3, "no longer kept".into());
        let grid = weights.predictions.as_ref().unwrap();
        assert_eq!(
            (grid.loading, grid.failed.as_deref()),
            (false, Some("no longer kept"))
        );

        weights.download = Some(super::super::views::DownloadAsk {
            run: 2,
            which: WhichWeights::Best,
            file_name: "x.safetensors".into(),
            failed: None,
        });
        download_failed(&mut weights, 2, WhichWeights::Final, "other".into());
        assert_eq!(weights.download.as_ref().unwrap().failed, None);
        download_failed(&mut weights, 2, WhichWeights::Best, "no checkpoint".into());
        assert_eq!(
            weights.download.as_ref().unwrap().failed.as_deref(),
            Some("no checkpoint")
        );
    }

    #[test]
    fn what_the_network_sees_answers_the_last_ask_only() {
        let seen =
            |run: u32, which: WhichWeights, index: usize| lab_spec::worker::SeenActivations {
                run,
                which,
                index,
                image: serde_bytes::ByteBuf::from(vec![0; 784]),
                true_class: 1,
                layers: Vec::new(),
                filters: None,
                probabilities: vec![0.1; 10],
                test_images: 10_000,
                epoch: None,
                training: false,
            };
        let mut w = WeightsView::default();
        ask_activations(&mut w, 3, WhichWeights::Best, 0);
        assert!(w.activations.as_ref().unwrap().loading);
        // An answer to another ask (an older image, the other weights) is dropped.
        apply_activations(&mut w, seen(3, WhichWeights::Best, 5));
        apply_activations(&mut w, seen(3, WhichWeights::Final, 0));
        assert!(w.activations.as_ref().unwrap().seen.is_none());
        apply_activations(&mut w, seen(3, WhichWeights::Best, 0));
        let a = w.activations.clone().unwrap();
        assert!(!a.loading && a.seen.as_ref().unwrap().index == 0);
        // The next image: the last answer stays shown until it comes.
        ask_activations(&mut w, 3, WhichWeights::Best, 1);
        let a = w.activations.clone().unwrap();
        assert!(a.loading && a.seen.as_ref().unwrap().index == 0);
        activations_failed(&mut w, (3, WhichWeights::Best, 0), "old".into());
        assert_eq!(w.activations.as_ref().unwrap().failed, None);
        activations_failed(&mut w, (3, WhichWeights::Best, 1), "no checkpoint".into());
        let a = w.activations.clone().unwrap();
        assert_eq!(
            (a.loading, a.failed.as_deref()),
            (false, Some("no checkpoint"))
        );
        // Another run starts afresh; a crash fails what is on its way.
        ask_activations(&mut w, 4, WhichWeights::Final, 0);
        assert!(w.activations.as_ref().unwrap().seen.is_none());
        fail_weights(&mut w, "crashed");
        let a = w.activations.unwrap();
        assert_eq!((a.loading, a.failed.as_deref()), (false, Some("crashed")));
    }
}
