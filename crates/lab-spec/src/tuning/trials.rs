//! Trials of a search as the table shows them, the end of a search, the CSV export, and the
//! events a running search sends.

use serde::{Deserialize, Serialize};

use super::config::TunerConfig;
use super::space::{HpValue, Values};
use crate::events::{BatchProgress, EpochLogs, History};

/// How a trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialStatus {
    Running,
    Completed,
    /// Stopped by the learner; its epochs so far are kept but it is not scored.
    Stopped,
    /// NaN loss or a device error.
    Failed,
}

impl TrialStatus {
    pub fn name(&self) -> &'static str {
        match self {
            TrialStatus::Running => "running",
            TrialStatus::Completed => "completed",
            TrialStatus::Stopped => "stopped",
            TrialStatus::Failed => "failed",
        }
    }
}

/// One trial of a search, as the table shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// `"0000"`, `"0001"`, … as Keras Tuner numbers them.
    pub id: String,
    pub values: Values,
    pub bracket: usize,
    pub round: usize,
    /// The epoch it starts from (the parent's `epochs` for a promoted trial, else 0).
    pub initial_epoch: usize,
    /// The epoch it trains up to.
    pub epochs: usize,
    /// The trial whose weights it continues from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The best objective value over its epochs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Epoch (absolute) of the best objective value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_epoch: Option<usize>,
    pub status: TrialStatus,
    /// The epochs it trained, numbered from `initial_epoch + 1`.
    pub history: History,
    pub seconds: f64,
}

impl Trial {
    /// A trial as the oracle creates it: running, trained up to `epochs`, in bracket 0 round
    /// 0 from scratch unless the caller says otherwise (`Trial { bracket, .. Trial::new(..) }`).
    pub fn new(id: impl Into<String>, values: Values, epochs: usize) -> Self {
        Self {
            id: id.into(),
            values,
            bracket: 0,
            round: 0,
            initial_epoch: 0,
            epochs,
            parent: None,
            score: None,
            best_epoch: None,
            status: TrialStatus::Running,
            history: History::default(),
            seconds: 0.0,
        }
    }

    /// The values that matter for this trial, in the space's order, as `name=value` text.
    pub fn describe(&self, config: &TunerConfig) -> String {
        config
            .hyperparameters
            .iter()
            .filter(|h| config.is_active(h.name(), &self.values))
            .filter_map(|h| {
                self.values
                    .get(h.name())
                    .map(|v| format!("{}={v}", h.name()))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The end of a search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSummary {
    pub trials: usize,
    pub best_trial: Option<String>,
    pub best_values: Option<Values>,
    pub best_score: Option<f64>,
    pub objective: String,
    /// Epochs trained over all trials.
    pub epochs_trained: usize,
    pub seconds: f64,
    /// Why it ended: "completed", "stopped" (by the learner), "exhausted" (every configuration
    /// of the space was tried) or "failed".
    pub reason: String,
}

/// Trials as CSV: id, bracket, round, epochs, status, score, then one column per
/// hyperparameter (empty where it does not apply).
pub fn trials_csv(config: &TunerConfig, trials: &[Trial]) -> String {
    let mut out = String::from("trial_id,bracket,round,initial_epoch,epochs,parent,status,score");
    for h in &config.hyperparameters {
        out.push(',');
        out.push_str(h.name());
    }
    out.push('\n');
    for t in trials {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}",
            t.id,
            t.bracket,
            t.round,
            t.initial_epoch,
            t.epochs,
            t.parent.clone().unwrap_or_default(),
            t.status.name(),
            t.score.map(|s| s.to_string()).unwrap_or_default()
        ));
        for h in &config.hyperparameters {
            out.push(',');
            if config.is_active(h.name(), &t.values)
                && let Some(v) = t.values.get(h.name())
            {
                match v {
                    HpValue::Text(s) => out.push_str(s),
                    HpValue::Float(f) => out.push_str(&f.to_string()),
                    other => out.push_str(&other.to_string()),
                }
            }
        }
        out.push('\n');
    }
    out
}

/// What a running search tells its caller, in order: for each trial `TrialStarted`, its
/// `Batch` and `Epoch` progress (and NaN reports), `TrialFinished`; last `SearchFinished`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // events live only while they travel
pub enum SearchEvent {
    /// A trial starts; the `Batch` and `Epoch` events that follow are its.
    TrialStarted(Trial),
    Batch(BatchProgress),
    Epoch(EpochLogs),
    /// The running trial's loss became NaN (`terminated`: TerminateOnNaN ended the trial).
    NanLoss {
        epoch: usize,
        batch: usize,
        terminated: bool,
    },
    /// A trial ended, with its score and history.
    TrialFinished(Trial),
    /// A trial could not train (its config does not build, ...); the search goes on.
    TrialFailed {
        message: String,
    },
    /// The search ended (completed, stopped, or every configuration tried).
    SearchFinished(SearchSummary),
}
