//! What a learner takes away from a run: its history as CSV and JSON with Keras' keys
//! (`history`), and the run as a Keras 3 script (`keras_script`). Plain text, built here so
//! native tests pin it; the page only downloads it. `python` writes numbers and strings the
//! way Python does.

pub mod history;
pub mod keras_script;
pub mod python;

pub use history::{history_csv, history_json};
pub use keras_script::keras_script;
