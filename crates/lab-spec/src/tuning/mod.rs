//! Step 8, hyperparameter search, as plain data and pure functions: Keras Tuner's
//! hyperparameter kinds ([`space`]), the search config and its validation ([`config`]), seed
//! 004's MLP hypermodel and the choice of hypermodel ([`hypermodel`]), the small CNN's
//! ([`cnn`]), Hyperband's schedule ([`hyperband`]), trials and the
//! events of a running search ([`trials`]). Sampling and running trials live in the engine.

pub mod cnn;
pub mod config;
pub mod hyperband;
pub mod hypermodel;
pub mod space;
pub mod trials;

pub use cnn::CNN_HYPERMODEL_NAMES;
pub use config::{Algorithm, TunerConfig};
pub use hyperband::{BracketPlan, HyperbandMath, Plan, RoundPlan, hyperband_plan};
pub use hypermodel::{HYPERMODEL_NAMES, Hypermodel, layer_index};
pub use space::{HpValue, HyperParameter, MAX_GRID_VALUES, Sampling, Values};
pub use trials::{SearchEvent, SearchSummary, Trial, TrialStatus, trials_csv};

#[cfg(test)]
mod tests;
