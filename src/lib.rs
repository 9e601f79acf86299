//! Tuning Lab's web app: a Leptos page (this crate's `tuning-lab` bin) and the training worker
//! (the `worker` bin). The page never trains: it sends requests to the worker and draws what
//! comes back. Burn and the engine come with the `worker` feature, which only the worker bin is built
//! with, so the page's wasm does not carry them.

pub mod app;
pub mod chart;
pub mod components;
pub mod dataset_choice;
pub mod download;
pub mod exercises;
pub mod experiments;
pub mod form_restore;
pub mod json;
pub mod logic;
pub mod model_input;
pub mod presets;
pub mod progress;
pub mod protocol;
pub mod route_notice;
pub mod run_name;
pub mod steps;
pub mod trainer;
#[cfg(feature = "worker-common")]
pub mod worker;

/// Mounts the page.
pub fn start_app() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
