//! Nothing the learner asks for is dropped silently. A Train or Search pressed while the data
//! loads (or the training backend starts) is accepted and waits here, then starts when both
//! are ready; Stop cancels it; if the data cannot be loaded it is dropped with the reason.
//! A button that cannot be used says why beside it. Plain types and functions, tested
//! natively; the trainer applies them and the panels draw [`Button`].

use lab_spec::tuning::TunerConfig;
use lab_spec::{ConfigError, TrainingConfig};

use super::views::{DataState, RunView, SearchView};

/// Which button asks: Train of a step (8 is "Retrain best") or Search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    Train(u8),
    Search,
}

impl ActionKind {
    /// The action in the learner's words: "step 5's run", "the retraining", "the search".
    pub fn name(self) -> String {
        match self {
            ActionKind::Train(8) => "the retraining of the best".into(),
            ActionKind::Train(step) => format!("step {step}'s run"),
            ActionKind::Search => "the search".into(),
        }
    }

    /// "The run", "The search": the subject of a message on the action's own panel.
    fn subject(self) -> &'static str {
        match self {
            ActionKind::Train(_) => "The run",
            ActionKind::Search => "The search",
        }
    }
}

/// An action the learner asked for, with everything needed to carry it out later.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Train {
        step: u8,
        label: String,
        config: TrainingConfig,
    },
    Search(TunerConfig),
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Train { step, .. } => ActionKind::Train(*step),
            Action::Search(_) => ActionKind::Search,
        }
    }

    /// Checks the config; `available` is the number of training images, when known.
    pub fn validate(&self, available: Option<usize>) -> Result<(), ConfigError> {
        match self {
            Action::Train { config, .. } => config.validate(available),
            Action::Search(config) => config.validate(available),
        }
    }
}

/// The action waiting for the data, or why the last one was dropped.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Pending {
    #[default]
    Nothing,
    Waiting(Box<Action>),
    Dropped {
        kind: ActionKind,
        reason: String,
    },
}

impl Pending {
    pub fn waiting(&self) -> Option<ActionKind> {
        match self {
            Pending::Waiting(a) => Some(a.kind()),
            _ => None,
        }
    }
}

/// What occupies the worker: a run or a search in progress, or an action waiting to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Busy {
    Free,
    Running(ActionKind),
    Waiting(ActionKind),
}

impl Busy {
    pub fn of(runs: &[RunView], search: Option<&SearchView>, pending: &Pending) -> Busy {
        if let Some(r) = runs.iter().find(|r| r.is_running()) {
            Busy::Running(ActionKind::Train(r.step))
        } else if search.is_some_and(SearchView::is_running) {
            Busy::Running(ActionKind::Search)
        } else if let Some(kind) = pending.waiting() {
            Busy::Waiting(kind)
        } else {
            Busy::Free
        }
    }

    pub fn is_busy(self) -> bool {
        self != Busy::Free
    }
}

/// Whether the Stop beside `kind`'s button applies: only while that action runs or waits.
/// Another step's run is stopped from its own step.
pub fn stoppable(kind: ActionKind, busy: Busy) -> bool {
    busy == Busy::Running(kind) || busy == Busy::Waiting(kind)
}

/// What pressing a button does now.
#[derive(Clone, Debug, PartialEq)]
pub enum Gate {
    /// It starts at once.
    Now,
    /// It is accepted and starts when the data and the backend are ready.
    WhenReady,
    /// The button is disabled, for this reason.
    Closed(String),
}

/// What pressing Train or Search does, given the data, the backend and what occupies the
/// worker (one thing at a time).
pub fn gate(data: &DataState, backend_ready: bool, busy: Busy) -> Gate {
    match busy {
        Busy::Running(kind) => {
            return Gate::Closed(format!("{} is in progress: stop it first", kind.name()));
        }
        Busy::Waiting(kind) => {
            return Gate::Closed(format!(
                "{} waits for the data: stop it first to cancel it",
                kind.name()
            ));
        }
        Busy::Free => {}
    }
    match data {
        DataState::Failed(_) => {
            Gate::Closed("the data could not be loaded (see above): load it first".into())
        }
        DataState::Loading { .. } => Gate::WhenReady,
        DataState::Ready(_) if backend_ready => Gate::Now,
        DataState::Ready(_) => Gate::WhenReady,
    }
}

/// How far the data has loaded, for a progress bar (`None` before the size is known or once
/// it is no longer loading).
pub fn load_fraction(data: &DataState) -> Option<f64> {
    match *data {
        DataState::Loading { loaded, total } if total > 0 => {
            Some((loaded as f64 / total as f64).min(1.0))
        }
        _ => None,
    }
}

/// What a waiting action waits for, and how far the loading is: "the data is ready (8.2 /
/// 26.3 MB loaded)".
pub fn waits_for(data: &DataState) -> String {
    match *data {
        DataState::Loading { loaded, total } if total > 0 => format!(
            "the data is ready ({:.1} / {:.1} MB loaded)",
            loaded as f64 / 1e6,
            total as f64 / 1e6
        ),
        DataState::Loading { .. } | DataState::Failed(_) => "the data is ready".into(),
        DataState::Ready(_) => "the training backend is ready".into(),
    }
}

/// Asks for `action` through `gate`: the action to carry out now, or none when it waits
/// (then `pending` holds it); a closed gate refuses with its reason. A waiting action's config
/// is checked at once, as far as it can be without the data.
pub fn request(
    pending: &mut Pending,
    action: Action,
    gate: Gate,
) -> Result<Option<Action>, String> {
    match gate {
        Gate::Closed(reason) => Err(reason),
        Gate::Now => {
            *pending = Pending::Nothing;
            Ok(Some(action))
        }
        Gate::WhenReady => {
            action.validate(None).map_err(|e| e.to_string())?;
            *pending = Pending::Waiting(Box::new(action));
            Ok(None)
        }
    }
}

/// The data or the backend changed: returns the waiting action once both are ready (it is
/// no longer pending then); drops it with the reason if the data failed; forgets a dropped
/// action's message once the data loads again (its cause is gone).
pub fn settle(pending: &mut Pending, data: &DataState, backend_ready: bool) -> Option<Action> {
    match (std::mem::take(pending), data) {
        (Pending::Waiting(action), DataState::Ready(_)) if backend_ready => Some(*action),
        (Pending::Waiting(action), DataState::Failed(_)) => {
            *pending = dropped(action.kind(), "the data could not be loaded (see above)");
            None
        }
        (Pending::Dropped { .. }, DataState::Loading { .. }) => None,
        (other, _) => {
            *pending = other;
            None
        }
    }
}

/// The waiting action (if any) cannot start, for `reason` (the worker crashed, ...).
pub fn drop_waiting(pending: &mut Pending, reason: &str) {
    if let Some(kind) = pending.waiting() {
        *pending = dropped(kind, reason);
    }
}

/// An action that was accepted and could not start, with the reason.
pub fn dropped(kind: ActionKind, reason: &str) -> Pending {
    Pending::Dropped {
        kind,
        reason: format!("{} did not start: {reason}", kind.subject()),
    }
}

/// Stop pressed: a waiting action is cancelled (true), else the worker is to stop.
pub fn cancel(pending: &mut Pending) -> bool {
    let waiting = pending.waiting().is_some();
    if waiting {
        *pending = Pending::Nothing;
    }
    waiting
}

/// The learner edits `kind`'s settings: a message about its dropped action goes.
pub fn dismiss(pending: &mut Pending, kind: ActionKind) {
    if matches!(pending, Pending::Dropped { kind: k, .. } if *k == kind) {
        *pending = Pending::Nothing;
    }
}

/// What a button shows beside itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// Why it is disabled.
    Blocked(String),
    /// It is enabled, and what it asks for will wait: for what.
    WillWait(String),
    /// Its action was accepted and waits: for what, and how far the loading is.
    Waiting(String),
    /// Its action was accepted and could not start: why.
    Dropped(String),
}

/// The state of the button that asks for `kind`.
#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    pub enabled: bool,
    pub note: Option<Note>,
}

/// The button for `kind` and its note. A run or search in progress of the same kind is shown
/// by its own progress line, so the button is then disabled without a note.
pub fn button(
    kind: ActionKind,
    data: &DataState,
    backend_ready: bool,
    busy: Busy,
    pending: &Pending,
) -> Button {
    let gate = gate(data, backend_ready, busy);
    let enabled = !matches!(gate, Gate::Closed(_));
    let note = match (gate, pending) {
        (_, Pending::Waiting(a)) if a.kind() == kind => Some(Note::Waiting(format!(
            "{} starts when {} · Stop cancels it",
            kind.subject(),
            waits_for(data)
        ))),
        (Gate::Closed(_), _) if busy == Busy::Running(kind) => None,
        (_, Pending::Dropped { kind: k, reason }) if *k == kind => {
            Some(Note::Dropped(reason.clone()))
        }
        (Gate::Closed(reason), _) => Some(Note::Blocked(reason)),
        (Gate::WhenReady, _) => Some(Note::WillWait(format!(
            "You can press it now: it starts when {}",
            waits_for(data)
        ))),
        (Gate::Now, _) => None,
    };
    Button { enabled, note }
}

#[cfg(test)]
mod tests {
    use lab_spec::ModelSpec;
    use lab_spec::worker::DataSummary;

    use super::*;
    use crate::trainer::views::RunStatus;

    fn loading(loaded: u64, total: u64) -> DataState {
        DataState::Loading { loaded, total }
    }

    fn ready() -> DataState {
        DataState::Ready(DataSummary {
            train_counts: vec![6000; 10],
            test_counts: vec![1000; 10],
            naive_baseline_accuracy: 0.1,
            samples: vec![],
            from_cache: false,
            source: "files you picked".into(),
        })
    }

    fn failed() -> DataState {
        DataState::Failed("train-labels-idx1-ubyte.gz: truncated".into())
    }

    fn train(step: u8) -> Action {
        let mut config = TrainingConfig::new(ModelSpec::baseline());
        config.subset = Some(2000);
        Action::Train {
            step,
            label: "baseline".into(),
            config,
        }
    }

    #[test]
    fn train_pressed_while_loading_waits_and_starts_when_data_and_backend_are_ready() {
        let mut p = Pending::Nothing;
        let g = gate(&loading(8_200_000, 26_300_000), false, Busy::Free);
        assert_eq!(g, Gate::WhenReady);
        assert_eq!(request(&mut p, train(5), g), Ok(None));
        assert_eq!(p.waiting(), Some(ActionKind::Train(5)));
        // Progress keeps it waiting.
        assert_eq!(
            settle(&mut p, &loading(20_000_000, 26_300_000), false),
            None
        );
        assert_eq!(p, Pending::Waiting(Box::new(train(5))));
        // The data is ready, the backend not yet: still waiting.
        assert_eq!(settle(&mut p, &ready(), false), None);
        assert_eq!(waits_for(&ready()), "the training backend is ready");
        // Both ready: it starts, and nothing is pending any more.
        assert_eq!(settle(&mut p, &ready(), true), Some(train(5)));
        assert_eq!(p, Pending::Nothing);
        // Settling again starts nothing twice.
        assert_eq!(settle(&mut p, &ready(), true), None);
    }

    #[test]
    fn with_data_and_backend_ready_it_starts_at_once() {
        let mut p = Pending::Nothing;
        let g = gate(&ready(), true, Busy::Free);
        assert_eq!(g, Gate::Now);
        assert_eq!(request(&mut p, train(6), g), Ok(Some(train(6))));
        assert_eq!(p, Pending::Nothing);
    }

    #[test]
    fn a_waiting_action_is_dropped_with_the_reason_when_the_data_fails() {
        let mut p = Pending::Waiting(Box::new(Action::Search(TunerConfig::seed_004())));
        assert_eq!(settle(&mut p, &failed(), true), None);
        assert_eq!(
            p,
            Pending::Dropped {
                kind: ActionKind::Search,
                reason: "The search did not start: the data could not be loaded (see above)".into()
            }
        );
        // The message stays while the data is failed, and goes once it loads again.
        assert_eq!(settle(&mut p, &failed(), true), None);
        assert!(matches!(p, Pending::Dropped { .. }));
        assert_eq!(settle(&mut p, &loading(0, 0), false), None);
        assert_eq!(p, Pending::Nothing);
    }

    #[test]
    fn stop_cancels_a_waiting_action() {
        let mut p = Pending::Waiting(Box::new(train(5)));
        assert!(
            cancel(&mut p),
            "cancelled here, nothing to send to the worker"
        );
        assert_eq!(p, Pending::Nothing);
        assert_eq!(
            settle(&mut p, &ready(), true),
            None,
            "it does not start later"
        );
        assert!(
            !cancel(&mut p),
            "nothing waits: the worker is asked to stop"
        );
    }

    #[test]
    fn a_crash_drops_the_waiting_action_and_editing_clears_the_message() {
        let mut p = Pending::Waiting(Box::new(train(7)));
        drop_waiting(&mut p, "the training worker crashed");
        assert_eq!(
            p,
            dropped(ActionKind::Train(7), "the training worker crashed")
        );
        dismiss(&mut p, ActionKind::Train(5));
        assert!(matches!(p, Pending::Dropped { .. }), "another step's edit");
        dismiss(&mut p, ActionKind::Train(7));
        assert_eq!(p, Pending::Nothing);
    }

    #[test]
    fn a_waiting_action_with_an_invalid_config_is_refused_at_once() {
        let mut p = Pending::Nothing;
        let Action::Train { mut config, .. } = train(5) else {
            unreachable!()
        };
        config.batch_size = 0;
        let bad = Action::Train {
            step: 5,
            label: "bad".into(),
            config,
        };
        let err = request(&mut p, bad, Gate::WhenReady).unwrap_err();
        assert!(err.contains("batch_size"), "{err}");
        assert_eq!(p, Pending::Nothing);
    }

    #[test]
    fn one_thing_at_a_time_and_the_closed_gate_says_why() {
        let mut run = RunView::new(
            1,
            5,
            "baseline".into(),
            TrainingConfig::new(ModelSpec::baseline()),
            "cpu".into(),
            0.0,
        );
        let runs = vec![run.clone()];
        let busy = Busy::of(&runs, None, &Pending::Nothing);
        assert_eq!(busy, Busy::Running(ActionKind::Train(5)));
        assert_eq!(
            gate(&ready(), true, busy),
            Gate::Closed("step 5's run is in progress: stop it first".into())
        );
        run.status = RunStatus::Failed("x".into());
        let waiting = Pending::Waiting(Box::new(Action::Search(TunerConfig::seed_004())));
        let busy = Busy::of(&[run], None, &waiting);
        assert_eq!(busy, Busy::Waiting(ActionKind::Search));
        let mut p = waiting.clone();
        assert_eq!(
            request(&mut p, train(8), gate(&loading(1, 2), false, busy)),
            Err("the search waits for the data: stop it first to cancel it".into())
        );
        assert_eq!(p, waiting, "the waiting search is kept");
        assert_eq!(
            gate(&failed(), true, Busy::Free),
            Gate::Closed("the data could not be loaded (see above): load it first".into())
        );
    }

    #[test]
    fn the_button_says_whether_it_waits_is_blocked_or_was_dropped() {
        let data = loading(8_200_000, 26_300_000);
        let free = button(
            ActionKind::Train(5),
            &data,
            false,
            Busy::Free,
            &Pending::Nothing,
        );
        assert!(free.enabled);
        assert_eq!(
            free.note,
            Some(Note::WillWait(
                "You can press it now: it starts when the data is ready (8.2 / 26.3 MB loaded)"
                    .into()
            ))
        );
        let p = Pending::Waiting(Box::new(train(5)));
        let busy = Busy::Waiting(ActionKind::Train(5));
        let own = button(ActionKind::Train(5), &data, false, busy, &p);
        assert!(!own.enabled);
        assert_eq!(
            own.note,
            Some(Note::Waiting(
                "The run starts when the data is ready (8.2 / 26.3 MB loaded) · Stop cancels it"
                    .into()
            ))
        );
        let other = button(ActionKind::Train(6), &data, false, busy, &p);
        assert_eq!(
            other.note,
            Some(Note::Blocked(
                "step 5's run waits for the data: stop it first to cancel it".into()
            ))
        );
        // Its own run in progress is shown by the progress line: no note.
        let running = Busy::Running(ActionKind::Search);
        let b = button(
            ActionKind::Search,
            &ready(),
            true,
            running,
            &Pending::Nothing,
        );
        assert_eq!((b.enabled, b.note), (false, None));
        // Ready: nothing to say.
        let b = button(
            ActionKind::Search,
            &ready(),
            true,
            Busy::Free,
            &Pending::Nothing,
        );
        assert_eq!((b.enabled, b.note), (true, None));
        // A dropped action says why on its own panel only.
        let d = dropped(ActionKind::Search, "the training worker crashed");
        let b = button(ActionKind::Search, &ready(), true, Busy::Free, &d);
        assert_eq!(
            b.note,
            Some(Note::Dropped(
                "The search did not start: the training worker crashed".into()
            ))
        );
        assert_eq!(
            button(ActionKind::Train(5), &ready(), true, Busy::Free, &d).note,
            None
        );
        // Dropped because the data failed: that one message, not the data's reason again.
        let d = dropped(
            ActionKind::Train(5),
            "the data could not be loaded (see above)",
        );
        let b = button(ActionKind::Train(5), &failed(), true, Busy::Free, &d);
        assert!(!b.enabled);
        assert_eq!(
            b.note,
            Some(Note::Dropped(
                "The run did not start: the data could not be loaded (see above)".into()
            ))
        );
        // Failed data: disabled, with the reason.
        let b = button(
            ActionKind::Train(5),
            &failed(),
            true,
            Busy::Free,
            &Pending::Nothing,
        );
        assert!(!b.enabled);
        assert!(matches!(b.note, Some(Note::Blocked(r)) if r.contains("could not be loaded")));
    }

    #[test]
    fn stop_applies_only_to_its_own_step() {
        let five = ActionKind::Train(5);
        let six = ActionKind::Train(6);
        assert!(stoppable(six, Busy::Running(six)));
        assert!(stoppable(five, Busy::Waiting(five)));
        // Step 6 trains: step 5's Stop does not stop it.
        assert!(!stoppable(five, Busy::Running(six)));
        assert!(!stoppable(five, Busy::Waiting(six)));
        assert!(!stoppable(
            ActionKind::Train(7),
            Busy::Running(ActionKind::Search)
        ));
        assert!(!stoppable(five, Busy::Free));
    }

    #[test]
    fn the_load_progress_is_a_fraction_once_the_size_is_known() {
        assert_eq!(load_fraction(&loading(0, 0)), None);
        assert_eq!(load_fraction(&loading(5, 20)), Some(0.25));
        assert_eq!(load_fraction(&ready()), None);
        assert_eq!(waits_for(&loading(0, 0)), "the data is ready");
    }
}
