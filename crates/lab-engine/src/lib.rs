//! The training engine of Tuning Lab: plain Rust on burn, no web dependency. The same code
//! trains in the browser's worker (WebGPU or CPU) and natively (tests, the `lab` CLI); the
//! backend is chosen by the caller through the [`burn::tensor::Device`] it passes in.

pub mod activations;
pub mod callbacks;
pub mod conv;
pub mod data;
mod epoch;
pub mod evaluate;
pub mod metrics;
pub mod model;
pub mod observer;
pub mod session;
pub mod sparse_batch;
pub mod training;
pub mod tuner;
pub mod weights;

pub use lab_data;
pub use lab_spec;
