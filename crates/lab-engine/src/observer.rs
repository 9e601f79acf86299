//! Who receives a run's (or a search's) events: the [`Observer`] trait the loop reports to and
//! polls for Stop, and [`Recorder`], which keeps them (tests, the CLI).

use std::future::Future;

use lab_spec::Event;
use lab_spec::tuning::SearchEvent;

/// Receives a run's (or a search's) events and says when to stop. `E` is [`Event`] for a run,
/// [`SearchEvent`] for a search.
pub trait Observer<E = Event> {
    fn event(&mut self, event: E);

    /// Polled between batches; `true` ends the run after the current batch.
    fn stop_requested(&mut self) -> bool {
        false
    }

    /// Awaited between batches. A browser worker yields to its event loop here, so that a Stop
    /// message can arrive; natively it does nothing.
    fn between_batches(&mut self) -> impl Future<Output = ()> {
        async {}
    }
}

/// Events that report batch progress (what [`Recorder::stopping_after`] counts).
pub trait BatchEvent {
    fn is_batch(&self) -> bool;
}

impl BatchEvent for Event {
    fn is_batch(&self) -> bool {
        matches!(self, Event::Batch(_))
    }
}

impl BatchEvent for SearchEvent {
    fn is_batch(&self) -> bool {
        matches!(self, SearchEvent::Batch(_))
    }
}

/// Collects events in a vector (tests, the CLI).
pub struct Recorder<E = Event> {
    pub events: Vec<E>,
    pub stop_after_batches: Option<usize>,
    batches: usize,
}

impl<E> Default for Recorder<E> {
    fn default() -> Self {
        Self {
            events: Vec::new(),
            stop_after_batches: None,
            batches: 0,
        }
    }
}

impl<E> Recorder<E> {
    /// A recorder that asks to stop once `n` batch events have arrived.
    pub fn stopping_after(n: usize) -> Self {
        Self {
            stop_after_batches: Some(n),
            ..Default::default()
        }
    }
}

impl<E: BatchEvent> Observer<E> for Recorder<E> {
    fn event(&mut self, event: E) {
        if event.is_batch() {
            self.batches += 1;
        }
        self.events.push(event);
    }

    fn stop_requested(&mut self) -> bool {
        self.stop_after_batches.is_some_and(|n| self.batches >= n)
    }
}
