//! What the page knows about the worker, the data, each run and the search: plain types that
//! the reducers update and the components draw.

use lab_spec::tuning::{SearchSummary, Trial, TunerConfig};
use lab_spec::worker::DataSummary;
use lab_spec::{
    BatchProgress, CallbackAction, ClassificationReport, EpochLogs, RunSummary, StopReason,
    TrainingConfig,
};
use serde::{Deserialize, Serialize};

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
    /// Restored after a reload, or kept while a crashed worker was replaced: the worker no
    /// longer holds its predictions or checkpoint.
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
}
