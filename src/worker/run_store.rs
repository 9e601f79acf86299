//! What the worker keeps of its finished runs for their drill-downs ("Use the best checkpoint",
//! a confusion-matrix cell's images, the predictions grid) and downloads ("Download weights"),
//! with a bounded life: the weights (final and best checkpoint) of the newest [`WEIGHTS_RUNS`]
//! runs within [`WEIGHTS_BYTES`], the predicted classes of the newest [`PREDICTION_RUNS`].
//! The oldest go first. A request for what was dropped is answered in plain words, saying what
//! the lab keeps and that training the run again brings it back. After a reload the page gives
//! the stored runs back ([`Runs::restore`]), each in its place by age.

use std::collections::{BTreeSet, VecDeque};

use lab_engine::data::Normalizer;
use lab_engine::training::Checkpoint;
use lab_spec::TrainingConfig;

/// A megabyte as the worker states sizes: 10^6 bytes.
pub const MB: usize = 1_000_000;
/// The most weights kept (final and best checkpoints together), over all runs (the newest
/// run's are always kept: the lab's parameter limit makes each at most 200 MB).
pub const WEIGHTS_BYTES: usize = 256 * MB;
/// The most runs whose weights are kept.
pub const WEIGHTS_RUNS: usize = 20;
/// The most runs whose predictions are kept (10,000 bytes each, one per test image).
pub const PREDICTION_RUNS: usize = 200;

/// How much the store keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub weights_bytes: usize,
    pub weights_runs: usize,
    pub prediction_runs: usize,
}

impl Limits {
    /// What the lab keeps.
    pub const LAB: Limits = Limits {
        weights_bytes: WEIGHTS_BYTES,
        weights_runs: WEIGHTS_RUNS,
        prediction_runs: PREDICTION_RUNS,
    };
}

/// What a finished run leaves for the drill-downs and downloads.
pub struct RunStore {
    /// What it trained (or was loaded) with: its model, its normalization.
    pub config: TrainingConfig,
    pub normalizer: Normalizer,
    /// The predicted class of every test image.
    pub predictions: Vec<u8>,
    /// The final weights as a safetensors file with the config in its metadata (`None` when
    /// the device could not give them back).
    pub final_weights: Option<Vec<u8>>,
    pub checkpoint: Option<Checkpoint>,
    /// Trained on the CPU (its weights are evaluated there too).
    pub cpu: bool,
}

impl RunStore {
    fn weights_bytes(&self) -> usize {
        self.checkpoint.as_ref().map_or(0, |c| c.bytes.len())
            + self.final_weights.as_ref().map_or(0, Vec::len)
    }

    fn has_weights(&self) -> bool {
        self.checkpoint.is_some() || self.final_weights.is_some()
    }
}

/// A kept run and whether its weights were dropped to make room.
struct Entry {
    run: u32,
    store: RunStore,
    weights_dropped: bool,
}

/// The finished runs, oldest first, within [`Limits`].
pub struct Runs {
    limits: Limits,
    entries: VecDeque<Entry>,
    /// Runs dropped whole (their predictions too).
    forgotten: BTreeSet<u32>,
}

impl Default for Runs {
    fn default() -> Self {
        Self::new(Limits::LAB)
    }
}

impl Runs {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            entries: VecDeque::new(),
            forgotten: BTreeSet::new(),
        }
    }

    /// Keeps run `run` as the newest (replacing an older store of the same number), then drops
    /// the oldest runs' weights beyond the limits, and the oldest runs beyond
    /// [`Limits::prediction_runs`].
    pub fn insert(&mut self, run: u32, store: RunStore) {
        self.entries.retain(|e| e.run != run);
        let at = self.entries.len();
        self.place(run, store, at);
    }

    /// Keeps run `run`, given back from the browser's storage after a reload, in its place by
    /// age (run ids grow with age): before the runs with a larger id, so that the runs trained
    /// since and the newer restored ones stay newer. Then the limits apply as for
    /// [`Runs::insert`] — a restored run older than everything kept within the limits keeps
    /// nothing of its weights.
    pub fn restore(&mut self, run: u32, store: RunStore) {
        self.entries.retain(|e| e.run != run);
        let at = self
            .entries
            .iter()
            .position(|e| e.run > run)
            .unwrap_or(self.entries.len());
        self.place(run, store, at);
    }

    /// Puts run `run` at place `at` (0 is the oldest), then applies the limits.
    fn place(&mut self, run: u32, store: RunStore, at: usize) {
        self.forgotten.remove(&run);
        self.entries.insert(
            at,
            Entry {
                run,
                store,
                weights_dropped: false,
            },
        );
        while self.over_weights_limits() {
            // The oldest weights, never the newest run's.
            let newest = self.entries.len() - 1;
            let Some(oldest) = self
                .entries
                .iter_mut()
                .take(newest)
                .find(|e| e.store.has_weights())
            else {
                break;
            };
            oldest.store.checkpoint = None;
            oldest.store.final_weights = None;
            oldest.weights_dropped = true;
        }
        while self.entries.len() > self.limits.prediction_runs.max(1) {
            if let Some(gone) = self.entries.pop_front() {
                self.forgotten.insert(gone.run);
            }
        }
    }

    fn over_weights_limits(&self) -> bool {
        let (runs, bytes) = self.weights_kept();
        runs > self.limits.weights_runs || bytes > self.limits.weights_bytes
    }

    /// How many runs keep weights, and the bytes of all their weights.
    pub fn weights_kept(&self) -> (usize, usize) {
        self.entries
            .iter()
            .filter(|e| e.store.has_weights())
            .fold((0, 0), |(n, bytes), e| {
                (n + 1, bytes + e.store.weights_bytes())
            })
    }

    /// How many best checkpoints are kept, and their bytes.
    pub fn checkpoints_kept(&self) -> (usize, usize) {
        self.entries
            .iter()
            .filter_map(|e| e.store.checkpoint.as_ref())
            .fold((0, 0), |(n, bytes), c| (n + 1, bytes + c.bytes.len()))
    }

    fn entry(&self, run: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.run == run)
    }

    /// Run `run` with its best checkpoint, or why there is none, in the learner's words.
    pub fn checkpoint(&self, run: u32) -> Result<(&RunStore, &Checkpoint), String> {
        if self.forgotten.contains(&run) {
            return Err(self.checkpoint_dropped());
        }
        let entry = self.entry(run).ok_or("no finished run with that number")?;
        match &entry.store.checkpoint {
            Some(checkpoint) => Ok((&entry.store, checkpoint)),
            None if entry.weights_dropped => Err(self.checkpoint_dropped()),
            None => Err("this run kept no checkpoint (turn ModelCheckpoint on)".into()),
        }
    }

    /// Run `run` with its final weights, or why they are gone, in the learner's words.
    pub fn final_weights(&self, run: u32) -> Result<(&RunStore, &[u8]), String> {
        if self.forgotten.contains(&run) {
            return Err(self.weights_dropped());
        }
        let entry = self.entry(run).ok_or("no finished run with that number")?;
        match &entry.store.final_weights {
            Some(bytes) => Ok((&entry.store, bytes)),
            None if entry.weights_dropped => Err(self.weights_dropped()),
            None => Err(
                "this run's final weights could not be read back from the device; train it again"
                    .into(),
            ),
        }
    }

    /// Run `run`'s predictions on the test set, or why they are gone, in the learner's words.
    pub fn predictions(&self, run: u32) -> Result<&RunStore, String> {
        if self.forgotten.contains(&run) {
            return Err(format!(
                "this run's predictions are no longer kept: the lab keeps those of the newest \
                 {} runs; train it again to see its misclassified images",
                self.limits.prediction_runs
            ));
        }
        self.entry(run)
            .map(|e| &e.store)
            .ok_or_else(|| "no finished run with that number".into())
    }

    /// What a request for a dropped checkpoint is told.
    fn checkpoint_dropped(&self) -> String {
        format!(
            "this run's best checkpoint is no longer kept: the lab keeps the best checkpoints of \
             the newest {} runs ({} MB at most); train it again to get it back",
            self.limits.weights_runs,
            self.limits.weights_bytes / MB
        )
    }

    /// What a request for dropped final weights is told.
    fn weights_dropped(&self) -> String {
        format!(
            "this run's weights are no longer kept: the lab keeps the weights of the newest {} \
             runs ({} MB at most); train it again to get them back",
            self.limits.weights_runs,
            self.limits.weights_bytes / MB
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::Normalization;

    /// A stored run whose checkpoint and final weights (if any) have these many bytes.
    fn with_weights(checkpoint: Option<usize>, final_weights: Option<usize>) -> RunStore {
        RunStore {
            config: lab_spec::TrainingConfig::new(lab_spec::ModelSpec::baseline()),
            normalizer: Normalizer::fit(Normalization::Scale, &Default::default()),
            predictions: vec![1, 2, 3],
            final_weights: final_weights.map(|bytes| vec![0; bytes]),
            checkpoint: checkpoint.map(|bytes| Checkpoint {
                epoch: 1,
                monitor: "val_loss".into(),
                value: 0.5,
                bytes: vec![0; bytes],
            }),
            cpu: true,
        }
    }

    /// A stored run whose checkpoint (if any) has `bytes` bytes, without final weights.
    fn stored(checkpoint: Option<usize>) -> RunStore {
        with_weights(checkpoint, None)
    }

    fn limits(bytes: usize, runs: usize, predictions: usize) -> Limits {
        Limits {
            weights_bytes: bytes,
            weights_runs: runs,
            prediction_runs: predictions,
        }
    }

    fn kept(runs: &Runs, ids: impl IntoIterator<Item = u32>) -> Vec<u32> {
        ids.into_iter()
            .filter(|&id| runs.checkpoint(id).is_ok())
            .collect()
    }

    #[test]
    fn the_lab_keeps_256_mb_of_weights_of_20_runs_and_200_runs_of_predictions() {
        assert_eq!(Limits::LAB, limits(256_000_000, 20, 200));
        // The largest model the lab allows fits on its own.
        assert!(lab_spec::limits::MAX_PARAMS * 4 < WEIGHTS_BYTES as u64);
        // The 21st run's checkpoint pushes out the first's; the message says what is kept.
        let mut runs = Runs::default();
        for id in 1..=21 {
            runs.insert(id, stored(Some(8)));
        }
        assert_eq!(runs.checkpoints_kept(), (20, 160));
        assert_eq!(
            runs.checkpoint(1).err().unwrap(),
            "this run's best checkpoint is no longer kept: the lab keeps the best checkpoints of \
             the newest 20 runs (256 MB at most); train it again to get it back"
        );
        assert!(runs.checkpoint(2).is_ok());
    }

    /// The page stores the weights of the runs the worker keeps, no more.
    #[test]
    fn the_page_keeps_weights_within_the_same_limits() {
        use crate::trainer::stored_weights;
        assert_eq!(stored_weights::WEIGHTS_BYTES, WEIGHTS_BYTES);
        assert_eq!(stored_weights::WEIGHTS_RUNS, WEIGHTS_RUNS);
    }

    #[test]
    fn the_oldest_checkpoints_go_first_when_the_bytes_run_out() {
        let mut runs = Runs::new(limits(100, 10, 10));
        for id in 1..=3 {
            runs.insert(id, stored(Some(40)));
        }
        // 120 bytes > 100: run 1's checkpoint goes, its predictions stay.
        assert_eq!(kept(&runs, 1..=3), [2, 3]);
        assert_eq!(runs.checkpoints_kept(), (2, 80));
        assert_eq!(runs.predictions(1).unwrap().predictions, [1, 2, 3]);
        assert!(
            runs.checkpoint(1)
                .err()
                .unwrap()
                .starts_with("this run's best checkpoint is no longer kept")
        );
        // A big one pushes out all older ones; runs without a checkpoint take no room.
        runs.insert(4, stored(None));
        runs.insert(5, stored(Some(90)));
        assert_eq!(kept(&runs, 1..=5), [5]);
        assert_eq!(runs.checkpoints_kept(), (1, 90));
        assert_eq!(
            runs.checkpoint(4).err().unwrap(),
            "this run kept no checkpoint (turn ModelCheckpoint on)"
        );
    }

    #[test]
    fn the_newest_runs_checkpoint_is_kept_even_alone_over_the_budget() {
        let mut runs = Runs::new(limits(100, 10, 10));
        runs.insert(1, stored(Some(30)));
        runs.insert(2, stored(Some(150)));
        assert_eq!(kept(&runs, 1..=2), [2]);
        assert_eq!(runs.checkpoints_kept(), (1, 150));
    }

    #[test]
    fn at_most_n_checkpoints_are_kept() {
        let mut runs = Runs::new(limits(usize::MAX, 3, 10));
        for id in 1..=5 {
            runs.insert(id, stored(Some(1)));
        }
        assert_eq!(kept(&runs, 1..=5), [3, 4, 5]);
        assert_eq!(runs.checkpoints_kept(), (3, 3));
    }

    #[test]
    fn the_oldest_runs_are_forgotten_beyond_the_predictions_limit() {
        let mut runs = Runs::new(limits(usize::MAX, 10, 3));
        for id in 10..15 {
            runs.insert(id, stored(Some(1)));
        }
        assert_eq!(runs.entries.len(), 3);
        assert!(runs.predictions(12).is_ok());
        assert_eq!(
            runs.predictions(11).err().unwrap(),
            "this run's predictions are no longer kept: the lab keeps those of the newest 3 \
             runs; train it again to see its misclassified images"
        );
        assert!(
            runs.checkpoint(10)
                .err()
                .unwrap()
                .starts_with("this run's best checkpoint is no longer kept")
        );
        // A number the worker never saw.
        assert_eq!(
            runs.predictions(99).err().unwrap(),
            "no finished run with that number"
        );
        assert_eq!(
            runs.checkpoint(99).err().unwrap(),
            "no finished run with that number"
        );
    }

    #[test]
    fn a_run_stored_again_becomes_the_newest() {
        let mut runs = Runs::new(limits(100, 2, 10));
        runs.insert(1, stored(Some(10)));
        runs.insert(2, stored(Some(10)));
        runs.insert(1, stored(Some(20)));
        runs.insert(3, stored(Some(10)));
        // Run 1 was stored after run 2: run 2's checkpoint is the oldest.
        assert_eq!(kept(&runs, 1..=3), [1, 3]);
        assert_eq!(runs.entries.len(), 3);
        assert_eq!(runs.checkpoint(1).unwrap().1.bytes.len(), 20);
    }

    #[test]
    fn final_weights_share_the_budget_and_go_with_the_checkpoint() {
        let mut runs = Runs::new(limits(100, 10, 10));
        runs.insert(1, with_weights(Some(30), Some(30)));
        runs.insert(2, with_weights(None, Some(30)));
        assert_eq!(runs.weights_kept(), (2, 90));
        assert_eq!(runs.final_weights(1).unwrap().1.len(), 30);
        // 120 bytes > 100: run 1's weights go, both of them; run 2's stay.
        runs.insert(3, with_weights(None, Some(30)));
        assert_eq!(runs.weights_kept(), (2, 60));
        assert_eq!(runs.checkpoints_kept(), (0, 0));
        assert_eq!(
            runs.final_weights(1).err().unwrap(),
            // (100 bytes are 0 MB.)
            "this run's weights are no longer kept: the lab keeps the weights of the newest 10 \
             runs (0 MB at most); train it again to get them back"
        );
        assert!(
            runs.checkpoint(1)
                .err()
                .unwrap()
                .starts_with("this run's best checkpoint is no longer kept")
        );
        assert!(runs.final_weights(2).is_ok());
        // Weights the device did not give back, and a run the worker never saw.
        runs.insert(4, with_weights(None, None));
        assert!(
            runs.final_weights(4)
                .err()
                .unwrap()
                .starts_with("this run's final weights could not be read back")
        );
        assert_eq!(
            runs.final_weights(99).err().unwrap(),
            "no finished run with that number"
        );
    }

    #[test]
    fn a_restored_run_takes_its_place_by_age() {
        let mut runs = Runs::new(limits(100, 3, 10));
        // Trained after the reload: run 9.
        runs.insert(9, stored(Some(10)));
        // Given back newest first: 8, then 5, then 3.
        for id in [8, 5, 3] {
            runs.restore(id, with_weights(Some(10), Some(10)));
        }
        let order: Vec<u32> = runs.entries.iter().map(|e| e.run).collect();
        assert_eq!(order, [3, 5, 8, 9]);
        // Three runs keep weights: the oldest, run 3, was given back with nothing kept.
        assert_eq!(kept(&runs, [3, 5, 8, 9]), [5, 8, 9]);
        assert!(runs.predictions(3).is_ok());
        assert!(
            runs.final_weights(3)
                .err()
                .unwrap()
                .contains("no longer kept")
        );
        // A run trained now is still the newest: the oldest weights (run 5's) make room.
        runs.insert(10, stored(Some(10)));
        assert_eq!(kept(&runs, [3, 5, 8, 9, 10]), [8, 9, 10]);
        // Given back again (a fresh worker after a crash), a run replaces its earlier entry.
        runs.restore(8, with_weights(None, Some(40)));
        assert_eq!(runs.entries.iter().filter(|e| e.run == 8).count(), 1);
        assert_eq!(runs.final_weights(8).unwrap().1.len(), 40);
    }

    #[test]
    fn a_run_counts_once_toward_the_runs_limit_whatever_weights_it_keeps() {
        let mut runs = Runs::new(limits(usize::MAX, 2, 10));
        runs.insert(1, with_weights(Some(1), Some(1)));
        runs.insert(2, with_weights(None, Some(1)));
        assert_eq!(runs.weights_kept(), (2, 3));
        runs.insert(3, with_weights(Some(1), None));
        assert_eq!(runs.weights_kept(), (2, 2));
        assert!(runs.final_weights(1).is_err());
        assert!(runs.final_weights(2).is_ok());
    }
}
