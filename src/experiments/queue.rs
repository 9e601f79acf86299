//! An experiment's variants trained one after the other: which starts next, when the
//! experiment is done, and what Stop cancels. A plain state machine over the trainer's runs;
//! the page's box only carries out what it says (start this variant now) and tells it what
//! became of the start and of the runs.

use lab_spec::{StopReason, TrainingConfig};

use super::plan::Variant;
use crate::trainer::{RunStatus, RunView, Started};

/// Where the queue is.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    /// Variant `i` is to be started now.
    Next(usize),
    /// Variant `i` was accepted and waits for the data: its run is the first of the step
    /// after run `after` that trains its config.
    Waiting { variant: usize, after: u32 },
    /// Variant `i` trains as run `run`.
    Running { variant: usize, run: u32 },
    /// Every variant has trained.
    Done,
    /// It ended before the last variant, for this reason; `variant` is where.
    Stopped { variant: usize, why: Why },
}

/// Why an experiment ended early.
#[derive(Clone, Debug, PartialEq)]
pub enum Why {
    /// The learner pressed Stop (here or under the chart).
    Stop,
    /// A variant could not start, for this reason.
    Refused(String),
}

/// One experiment in progress (or the last one, once it ended).
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    /// The experiment's id (`plan::Experiment::id`).
    pub experiment: &'static str,
    pub step: u8,
    pub variants: Vec<Variant>,
    pub state: State,
    /// The runs its variants trained, in order.
    pub runs: Vec<u32>,
}

impl Queue {
    pub fn new(experiment: &'static str, step: u8, variants: Vec<Variant>) -> Self {
        let state = if variants.is_empty() {
            State::Done
        } else {
            State::Next(0)
        };
        Self {
            experiment,
            step,
            variants,
            state,
            runs: Vec::new(),
        }
    }

    /// Whether a variant trains, waits or is about to start.
    pub fn is_active(&self) -> bool {
        matches!(
            self.state,
            State::Next(_) | State::Waiting { .. } | State::Running { .. }
        )
    }

    /// The variant to start now, if any.
    pub fn next(&self) -> Option<(usize, &Variant)> {
        match self.state {
            State::Next(i) => self.variants.get(i).map(|v| (i, v)),
            _ => None,
        }
    }

    /// What became of starting the variant [`Queue::next`] gave; `last_run` is the highest
    /// run id before it was asked for.
    pub fn started(&mut self, result: Result<Started, String>, last_run: u32) {
        let State::Next(variant) = self.state else {
            return;
        };
        self.state = match result {
            Ok(Started::Now(run)) => {
                self.runs.push(run);
                State::Running { variant, run }
            }
            Ok(Started::WhenReady) => State::Waiting {
                variant,
                after: last_run,
            },
            Err(reason) => State::Stopped {
                variant,
                why: Why::Refused(reason),
            },
        };
    }

    /// Follows the runs: a waiting variant that started, a variant that ended (the next one
    /// is due; a variant stopped by the learner ends the experiment). `waiting` says whether
    /// a Train still waits for the data (a cancelled one ends the experiment). Returns whether
    /// anything changed.
    pub fn observe(&mut self, runs: &[RunView], waiting: bool) -> bool {
        let before = self.state.clone();
        if let State::Waiting { variant, after } = self.state {
            let config: &TrainingConfig = &self.variants[variant].config;
            if let Some(r) = runs
                .iter()
                .find(|r| r.id > after && r.step == self.step && r.config == *config)
            {
                self.runs.push(r.id);
                self.state = State::Running { variant, run: r.id };
            } else if !waiting {
                self.state = State::Stopped {
                    variant,
                    why: Why::Stop,
                };
            }
        }
        if let State::Running { variant, run } = self.state {
            let status = runs.iter().find(|r| r.id == run).map(|r| &r.status);
            match status {
                Some(RunStatus::Running) => {}
                Some(RunStatus::Finished(StopReason::UserStop)) => {
                    self.state = State::Stopped {
                        variant,
                        why: Why::Stop,
                    }
                }
                // Completed, stopped early, ended on a NaN loss, failed (a crash: a fresh
                // worker takes the next one) or gone: the next variant is due.
                _ => {
                    self.state = if variant + 1 < self.variants.len() {
                        State::Next(variant + 1)
                    } else {
                        State::Done
                    }
                }
            }
        }
        self.state != before
    }

    /// Stop: the rest of the queue is cancelled (the caller stops the variant in progress).
    pub fn stop(&mut self) {
        let variant = match self.state {
            State::Next(v) => v,
            State::Waiting { variant, .. } | State::Running { variant, .. } => variant,
            State::Done | State::Stopped { .. } => return,
        };
        self.state = State::Stopped {
            variant,
            why: Why::Stop,
        };
    }

    /// Where it is, in the learner's words.
    pub fn status(&self) -> String {
        let n = self.variants.len();
        let what = |i: usize| self.variants.get(i).map_or("", |v| v.what.as_str());
        match &self.state {
            State::Next(i) => format!("Starting variant {} of {n}: {}", i + 1, what(*i)),
            State::Waiting { variant, .. } => format!(
                "Variant {} of {n} ({}) starts when the data is ready",
                variant + 1,
                what(*variant)
            ),
            State::Running { variant, run } => format!(
                "Training variant {} of {n}: {} (run {run})",
                variant + 1,
                what(*variant)
            ),
            State::Done => format!(
                "All {n} variants trained: runs {} in the chart above.",
                self.run_list()
            ),
            State::Stopped { variant, why } => {
                let rest = match n - variant - 1 {
                    0 => String::new(),
                    1 => " The last variant was not trained.".into(),
                    r => format!(" The {r} after it were not trained."),
                };
                match why {
                    Why::Stop => format!(
                        "Stopped during variant {} of {n} ({}).{rest}",
                        variant + 1,
                        what(*variant)
                    ),
                    Why::Refused(reason) => format!(
                        "Variant {} of {n} ({}) could not start: {reason}.{rest}",
                        variant + 1,
                        what(*variant)
                    ),
                }
            }
        }
    }

    fn run_list(&self) -> String {
        let ids: Vec<String> = self.runs.iter().map(u32::to_string).collect();
        match ids.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(n: usize) -> Vec<Variant> {
        (0..n)
            .map(|i| {
                let mut config = crate::presets::overfit();
                config.batch_size = 32 << i;
                Variant {
                    what: format!("batch {}", config.batch_size),
                    config,
                }
            })
            .collect()
    }

    fn run(id: u32, step: u8, config: &TrainingConfig, status: RunStatus) -> RunView {
        let mut r = RunView::new(id, step, String::new(), config.clone(), "cpu".into(), 0.0);
        r.status = status;
        r
    }

    const DONE: RunStatus = RunStatus::Finished(StopReason::Completed);
    const RUNNING: RunStatus = RunStatus::Running;

    #[test]
    fn the_variants_run_one_after_the_other_then_it_is_done() {
        let mut q = Queue::new("batch-size", 6, variants(3));
        assert!(q.is_active());
        let mut runs = vec![run(1, 5, &crate::presets::baseline(), DONE)];
        for (i, id) in [(0, 2), (1, 3), (2, 4)] {
            let (next, v) = q.next().unwrap();
            assert_eq!(next, i);
            let config = v.config.clone();
            q.started(Ok(Started::Now(id)), id - 1);
            assert_eq!(q.next(), None, "one at a time");
            runs.push(run(id, 6, &config, RUNNING));
            assert!(!q.observe(&runs, false), "still training");
            assert_eq!(
                q.state,
                State::Running {
                    variant: i,
                    run: id
                }
            );
            runs.last_mut().unwrap().status = if i == 1 {
                // A NaN loss or EarlyStopping ends a variant, not the experiment.
                RunStatus::Finished(StopReason::TerminatedOnNan)
            } else {
                DONE
            };
            assert!(q.observe(&runs, false));
        }
        assert_eq!(q.state, State::Done);
        assert!(!q.is_active());
        assert_eq!(q.runs, [2, 3, 4]);
        assert_eq!(
            q.status(),
            "All 3 variants trained: runs 2, 3 and 4 in the chart above."
        );
    }

    #[test]
    fn stop_ends_the_variant_in_progress_and_cancels_the_rest() {
        let mut q = Queue::new("batch-size", 6, variants(3));
        let config = q.next().unwrap().1.config.clone();
        q.started(Ok(Started::Now(1)), 0);
        let mut runs = vec![run(1, 6, &config, DONE)];
        q.observe(&runs, false);
        let config = q.next().unwrap().1.config.clone();
        q.started(Ok(Started::Now(2)), 1);
        runs.push(run(2, 6, &config, RUNNING));
        assert_eq!(q.status(), "Training variant 2 of 3: batch 64 (run 2)");
        q.stop();
        assert!(!q.is_active());
        assert_eq!(q.next(), None);
        // The stopped run's end changes nothing more.
        runs[1].status = RunStatus::Finished(StopReason::UserStop);
        assert!(!q.observe(&runs, false));
        assert_eq!(
            q.status(),
            "Stopped during variant 2 of 3 (batch 64). The last variant was not trained."
        );
        // Stop after the end is nothing.
        let before = q.clone();
        q.stop();
        assert_eq!(q, before);
    }

    #[test]
    fn a_variant_stopped_under_the_chart_ends_the_experiment_too() {
        let mut q = Queue::new("batch-size", 6, variants(3));
        let config = q.next().unwrap().1.config.clone();
        q.started(Ok(Started::Now(7)), 6);
        let runs = vec![run(
            7,
            6,
            &config,
            RunStatus::Finished(StopReason::UserStop),
        )];
        assert!(q.observe(&runs, false));
        assert_eq!(
            q.state,
            State::Stopped {
                variant: 0,
                why: Why::Stop
            }
        );
        assert_eq!(
            q.status(),
            "Stopped during variant 1 of 3 (batch 32). The 2 after it were not trained."
        );
    }

    #[test]
    fn a_refused_start_ends_it_with_the_reason() {
        let mut q = Queue::new("batch-size", 6, variants(2));
        q.started(Err("step 7's run is in progress: stop it first".into()), 0);
        assert!(!q.is_active());
        assert_eq!(
            q.status(),
            "Variant 1 of 2 (batch 32) could not start: step 7's run is in progress: stop it first. \
             The last variant was not trained."
        );
    }

    #[test]
    fn a_variant_that_waits_for_the_data_is_found_when_it_starts_or_ends_it_if_cancelled() {
        let mut q = Queue::new("batch-size", 6, variants(2));
        let config = q.next().unwrap().1.config.clone();
        q.started(Ok(Started::WhenReady), 3);
        assert_eq!(q.next(), None);
        assert!(q.is_active());
        assert_eq!(
            q.status(),
            "Variant 1 of 2 (batch 32) starts when the data is ready"
        );
        // Still waiting; an older run with the same config is not it, nor another step's.
        let mut runs = vec![run(3, 6, &config, DONE), run(4, 7, &config, RUNNING)];
        assert!(!q.observe(&runs, true));
        runs[1].status = DONE;
        runs.push(run(5, 6, &config, RUNNING));
        assert!(q.observe(&runs, false));
        assert_eq!(q.state, State::Running { variant: 0, run: 5 });
        assert_eq!(q.runs, [5]);

        // Stop pressed while the variant waited: the waiting Train is cancelled.
        let mut q = Queue::new("batch-size", 6, variants(2));
        q.started(Ok(Started::WhenReady), 5);
        assert!(q.observe(&runs, false));
        assert_eq!(
            q.state,
            State::Stopped {
                variant: 0,
                why: Why::Stop
            }
        );
    }

    #[test]
    fn a_failed_variant_lets_the_next_one_start() {
        let mut q = Queue::new("batch-size", 6, variants(2));
        let config = q.next().unwrap().1.config.clone();
        q.started(Ok(Started::Now(1)), 0);
        let runs = vec![run(
            1,
            6,
            &config,
            RunStatus::Failed("the training worker stopped".into()),
        )];
        assert!(q.observe(&runs, false));
        assert_eq!(q.state, State::Next(1));
        assert!(Queue::new("none", 6, Vec::new()).state == State::Done);
    }
}
