//! The eight steps of the lab (and the benchmark page), one module each. Every step is a
//! component that reads signals and reports the learner's choices through callbacks; the shell
//! (`app.rs`) owns the state they share.

pub mod bench;
pub mod define;
pub mod metrics;
pub mod pages;
pub mod prepare;
pub mod protocol;
pub mod text;
pub mod text_training;
pub mod training;
pub mod tune;

/// The steps' names in the navigation, step 1 first.
pub const STEPS: [&str; 8] = [
    "Define the problem",
    "Choose metrics",
    "Evaluation protocol",
    "Prepare the data",
    "Baseline",
    "Scale up until it overfits",
    "Regularize",
    "Tune",
];
