//! Plain serde types shared by every part of Tuning Lab — the page, the training worker, the
//! engine and the command-line trainer: model specs and their Keras-style summary, training
//! configs with their validation, training events, classification reports. No burn here: the
//! page depends on this crate and stays small.

pub mod backend_plan;
pub mod binary;
pub mod callbacks;
pub mod dataset;
pub mod error;
pub mod events;
pub mod export;
pub mod finite;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod objective;
pub mod optimizer;
pub mod summary;
pub mod text;
pub mod training;
pub mod tuning;
pub mod worker;

pub use dataset::DatasetKind;
pub use error::ConfigError;
pub use events::{
    BatchProgress, CallbackAction, EpochLogs, Event, History, RunSummary, StopReason,
};
pub use metrics::{Averages, ClassMetrics, ClassificationReport};
pub use model::{
    Activation, Head, InputKind, LayerSpec, ModelSpec, NUM_CLASSES, Padding, Regularizer, Shape,
    Summary,
};
pub use objective::Objective;
pub use training::{
    CallbacksConfig, EarlyStoppingConfig, Mode, ModelCheckpointConfig, Monitor, Normalization,
    OptimizerConfig, ReduceLrOnPlateauConfig, TrainingConfig,
};
