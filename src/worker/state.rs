//! What the worker keeps between requests, in one value the reactor shares with its jobs:
//! the backend, the decoded data, the finished runs' predictions and weights (final and best
//! checkpoint, within the budget of `run_store.rs`), the Stop flag and the WebGPU warm-up's state.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use lab_data::files::FashionMnist;

use super::backend::Backend;
use super::run_store::Runs;
use super::warm_up::WarmUp;

/// A shared yes/no: raised by one side (a Stop request, a cancelled warm-up), read by a job
/// between batches.
#[derive(Clone, Debug, Default)]
pub struct Flag(Rc<Cell<bool>>);

impl Flag {
    pub fn raise(&self) {
        self.0.set(true);
    }

    pub fn lower(&self) {
        self.0.set(false);
    }

    pub fn is_raised(&self) -> bool {
        self.0.get()
    }
}

/// The worker's state.
#[derive(Default)]
pub struct State {
    pub backend: RefCell<Option<Backend>>,
    pub data: RefCell<Option<Rc<FashionMnist>>>,
    /// The IMDB reviews, once loaded (only when the learner chose them), and the last
    /// vectorizer with its rows (`imdb.rs`).
    pub imdb: RefCell<Option<Rc<lab_data::imdb::Imdb>>>,
    pub vectorized: RefCell<Option<Rc<super::imdb::Vectorized>>>,
    /// Raised while the reviews load: a stored IMDB run given back meanwhile waits for them.
    pub imdb_loading: Flag,
    /// The finished runs' drill-downs and weights (trained or loaded), the oldest dropped
    /// first.
    pub runs: RefCell<Runs>,
    /// The CNN run in training: its weights as its last finished epoch left them
    /// (`activations.rs`), shown by "what the network sees" while it trains.
    pub live: RefCell<Option<super::activations::LiveRun>>,
    /// Raised by `Request::Stop`; lowered when a `Train` or `Tune` request is read (before
    /// its job waits for the warm-up), so that a Stop sent after it is never cleared.
    pub stop: Flag,
    pub warm_up: WarmUp,
}

impl State {
    /// The backend and the data, once both are ready.
    pub fn ready(&self) -> Result<(Backend, Rc<FashionMnist>), String> {
        let backend = self
            .backend
            .borrow()
            .clone()
            .ok_or("the backend is not ready yet")?;
        let data = self
            .data
            .borrow()
            .clone()
            .ok_or("the data is not loaded yet")?;
        Ok((backend, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_is_shared_by_its_clones() {
        let flag = Flag::default();
        let seen_by_a_job = flag.clone();
        assert!(!seen_by_a_job.is_raised());
        flag.raise();
        assert!(seen_by_a_job.is_raised());
        seen_by_a_job.lower();
        assert!(!flag.is_raised());
    }

    #[test]
    fn nothing_is_ready_before_init_and_data() {
        let state = State::default();
        assert_eq!(
            state.ready().err().as_deref(),
            Some("the backend is not ready yet")
        );
        *state.backend.borrow_mut() = Some(Backend::Cpu);
        assert_eq!(
            state.ready().err().as_deref(),
            Some("the data is not loaded yet")
        );
    }
}
