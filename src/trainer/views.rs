//! What the page knows about the worker, the data, each run and the search: plain types that
//! the reducers update and the components draw.

use lab_spec::tuning::{SearchSummary, Trial, TunerConfig};
use lab_spec::worker::DataSummary;
use lab_spec::{
    BatchProgress, CallbackAction, ClassificationReport, EpochLogs, RunSummary, StopReason,
    TrainingConfig,
};
use serde::{Deserialize, Serialize};

use crate::run_name::{Ended, run_name};

#[derive(Clone, Debug, PartialEq)]
pub struct BackendInfo {
    pub name: String,
    pub adapter: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DataState {
    Loading { loaded: u64, total: u64 },
    Ready(DataSummary),
    Failed(String),
}

impl DataState {
    /// The number of training images of the loaded data (0 while loading).
    pub fn train_images(&self) -> usize {
        match self {
            DataState::Ready(s) => s.train_counts.iter().sum(),
            _ => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RunStatus {
    Running,
    Finished(StopReason),
    Failed(String),
}

/// Everything the page knows about one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: u32,
    pub step: u8,
    pub label: String,
    pub config: TrainingConfig,
    pub status: RunStatus,
    pub epochs: Vec<EpochLogs>,
    pub total_epochs: usize,
    pub batches_per_epoch: usize,
    pub progress: Option<BatchProgress>,
    /// Running training loss within epochs: (fractional epoch, loss); NaN and ±Infinity are
    /// kept (also in sessionStorage).
    #[serde(with = "lab_spec::finite::pairs")]
    pub batch_losses: Vec<(f64, f64)>,
    pub actions: Vec<CallbackAction>,
    /// Where the loss first became NaN (or infinite) while TerminateOnNaN was off, so training
    /// went on: (epoch, batch). Said once, in the status.
    #[serde(default)]
    pub nan_loss: Option<(usize, usize)>,
    pub summary: Option<RunSummary>,
    pub report: Option<ClassificationReport>,
    pub checkpoint_report: Option<(usize, ClassificationReport)>,
    pub started_at: f64,
    pub visible: bool,
    pub backend: String,
    /// Restored after a reload, or kept while a crashed worker was replaced: the worker does not
    /// hold its predictions or checkpoint — until its weights, kept in the browser, are given
    /// back to it (`Reply::Restored`), if they were kept.
    #[serde(default)]
    pub restored: bool,
}

impl RunView {
    /// A run that has just been asked for.
    pub fn new(
        id: u32,
        step: u8,
        label: String,
        config: TrainingConfig,
        backend: String,
        started_at: f64,
    ) -> Self {
        Self {
            id,
            step,
            label,
            total_epochs: config.epochs,
            config,
            status: RunStatus::Running,
            epochs: Vec::new(),
            batches_per_epoch: 0,
            progress: None,
            batch_losses: Vec::new(),
            actions: Vec::new(),
            nan_loss: None,
            summary: None,
            report: None,
            checkpoint_report: None,
            started_at,
            visible: true,
            backend,
            restored: false,
        }
    }

    pub fn is_running(&self) -> bool {
        self.status == RunStatus::Running
    }

    /// How the run ended, for its name; `None` while it runs.
    pub fn ended(&self) -> Option<Ended> {
        let n = self.epochs.len();
        match &self.status {
            RunStatus::Running => None,
            RunStatus::Finished(StopReason::Completed) => Some(Ended::Completed(n)),
            RunStatus::Finished(StopReason::UserStop) => Some(Ended::StoppedByYou(n)),
            RunStatus::Finished(StopReason::EarlyStopping) => Some(Ended::StoppedEarly(n)),
            RunStatus::Finished(StopReason::TerminatedOnNan) => Some(Ended::NaN(n)),
            RunStatus::Failed(_) => Some(Ended::Failed(n)),
        }
    }

    /// Names the run from its settings and how it ended (after its status changed).
    pub fn rename(&mut self) {
        self.label = run_name(self.step, &self.config, self.ended());
    }

    /// The page was reloaded while this run trained: it ends as interrupted after the epochs
    /// it finished, which are kept; a new Train starts a new run (nothing resumes).
    pub fn interrupt_by_reload(&mut self) {
        if self.is_running() {
            self.progress = None;
            self.status = RunStatus::Failed(format!(
                "interrupted by a page reload after epoch {} of {}: its curves are kept; train again to start a new run",
                self.epochs.len(),
                self.total_epochs
            ));
            self.rename();
        }
    }

    /// The progress line: how far the run is (0…1) and where. A running run shows its
    /// current epoch and batch; a run that ended shows the epochs it trained, never a live
    /// line ("epoch 1/5 · batch 0/250") that no longer moves.
    pub fn progress_line(&self) -> (f64, String) {
        let total = self.total_epochs.max(1);
        match (&self.progress, self.is_running()) {
            (Some(p), true) => {
                let batches = p.batches.max(1);
                let done = (p.epoch.saturating_sub(1) * batches + p.batch) as f64
                    / (total * batches) as f64;
                (
                    done.min(1.0),
                    format!(
                        "epoch {}/{} · batch {}/{}",
                        p.epoch, self.total_epochs, p.batch, p.batches
                    ),
                )
            }
            (None, true) => (0.0, format!("epoch 1/{} · starting", self.total_epochs)),
            // Weights loaded from a file: nothing was trained here.
            (_, false) if self.total_epochs == 0 && self.epochs.is_empty() => (
                1.0,
                "weights loaded from a file, not trained here".to_string(),
            ),
            (_, false) => {
                let n = self.epochs.len();
                (
                    (n as f64 / total as f64).min(1.0),
                    format!("epoch {n}/{}", self.total_epochs),
                )
            }
        }
    }

    /// The run's status in words, as its progress line shows it: "training", "finished",
    /// "failed: …", with a NaN loss said once when training went on after it.
    pub fn status_text(&self) -> String {
        let reason_text = |reason: StopReason| match reason {
            StopReason::Completed => "finished",
            StopReason::EarlyStopping => "stopped early",
            StopReason::UserStop => "stopped by you",
            StopReason::TerminatedOnNan => "terminated: the loss became NaN",
        };
        let status = match &self.status {
            RunStatus::Running => match &self.summary {
                Some(s) => format!("{} · evaluating on the test set…", reason_text(s.reason)),
                None => "training".to_string(),
            },
            // Stop cut the test-set evaluation (the only way a finished run has no report).
            RunStatus::Finished(StopReason::UserStop) if self.report.is_none() => {
                "stopped by you during the test-set evaluation · no test results".to_string()
            }
            RunStatus::Finished(reason) => reason_text(*reason).to_string(),
            RunStatus::Failed(e) => return format!("failed: {e}"),
        };
        match self.nan_loss {
            Some((epoch, batch)) => format!(
                "{status} · the loss became NaN at epoch {epoch}, batch {batch} (TerminateOnNaN is off, so training went on)"
            ),
            None => status,
        }
    }
}

/// Where a search (step 8) stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SearchStatus {
    Running,
    Finished(SearchSummary),
    Failed(String),
}

/// Everything the page knows about the current search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchView {
    pub id: u32,
    pub config: TunerConfig,
    pub status: SearchStatus,
    /// Every trial so far; the running one grows epoch by epoch.
    pub trials: Vec<Trial>,
    /// Index of the running trial.
    pub current: Option<usize>,
    pub progress: Option<BatchProgress>,
    /// Trials that failed, with the reason.
    pub messages: Vec<String>,
    pub started_at: f64,
    pub backend: String,
}

impl SearchView {
    /// A search that has just been asked for.
    pub fn new(id: u32, config: TunerConfig, backend: String, started_at: f64) -> Self {
        Self {
            id,
            config,
            status: SearchStatus::Running,
            trials: Vec::new(),
            current: None,
            progress: None,
            messages: Vec::new(),
            started_at,
            backend,
        }
    }

    pub fn is_running(&self) -> bool {
        self.status == SearchStatus::Running
    }

    /// The best scored trial so far (the first one on ties).
    pub fn best(&self) -> Option<&Trial> {
        self.config.best_trial(&self.trials)
    }

    /// Epochs trained so far, the running trial's included.
    pub fn epochs_done(&self) -> usize {
        self.trials.iter().map(|t| t.history.epochs()).sum()
    }
}

/// "Use the best checkpoint" pressed for `run`: evaluating on the test set while `failed` is
/// `None`, else why it could not be evaluated. Not part of the run, so a failure leaves the
/// finished run as it was.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointAsk {
    pub run: u32,
    pub failed: Option<String>,
}

/// Misclassified test images sent for one confusion-matrix cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellImages {
    pub run: u32,
    pub actual: u8,
    pub predicted: u8,
    pub images: Vec<Vec<u8>>,
    /// Each image's place in the test set (empty from an older worker).
    pub indices: Vec<usize>,
}

/// "Download weights" (or "Download best checkpoint") pressed for `run`: under way while
/// `failed` is `None`; saved as `file_name`.
#[derive(Clone, Debug, PartialEq)]
pub struct DownloadAsk {
    pub run: u32,
    pub which: lab_spec::worker::WhichWeights,
    pub file_name: String,
    pub failed: Option<String>,
}

/// "Load weights…" of step `step`: the file `file` being loaded as run `run` into `config`'s
/// model while `failed` is `None`, else why it could not be (no run was added).
#[derive(Clone, Debug, PartialEq)]
pub struct LoadAsk {
    pub run: u32,
    pub step: u8,
    pub file: String,
    pub config: TrainingConfig,
    pub failed: Option<String>,
}

/// The predictions grid of run `run`: the pages received so far, of `total` test images (or
/// mistakes, with `only_mistakes`).
#[derive(Clone, Debug, PartialEq)]
pub struct PredictionsView {
    pub run: u32,
    pub only_mistakes: bool,
    pub items: Vec<lab_spec::worker::Prediction>,
    pub total: usize,
    /// A page was asked for and has not arrived.
    pub loading: bool,
    pub failed: Option<String>,
}

/// "What the network sees" of run `run`: the last asked for (`which` weights, test image
/// `index`), on its way while `loading`; `seen` is the last answer (kept while the next one
/// comes), `failed` why the last ask could not be answered.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationsView {
    pub run: u32,
    pub which: lab_spec::worker::WhichWeights,
    pub index: usize,
    pub loading: bool,
    pub seen: Option<lab_spec::worker::SeenActivations>,
    pub failed: Option<String>,
}

/// The weights files and predictions the page asked the worker for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightsView {
    pub download: Option<DownloadAsk>,
    pub load: Option<LoadAsk>,
    pub predictions: Option<PredictionsView>,
    /// What the network sees (one run's, one image at a time).
    pub activations: Option<ActivationsView>,
}

impl RunView {
    /// A run made of weights loaded from the file `file` into `config`'s model and evaluated
    /// on the test set: finished, with its report and no training history.
    pub fn loaded(
        id: u32,
        step: u8,
        file: &str,
        config: TrainingConfig,
        backend: String,
        report: ClassificationReport,
        started_at: f64,
    ) -> Self {
        let mut run = Self::new(
            id,
            step,
            format!("loaded: {file}"),
            config,
            backend,
            started_at,
        );
        run.total_epochs = 0;
        run.status = RunStatus::Finished(StopReason::Completed);
        run.report = Some(report);
        run
    }
}
