//! The CPU training worker's entry point (a dedicated Web Worker; see `src/worker/`): burn's
//! ndarray and flex backends.

fn main() {
    #[cfg(all(target_arch = "wasm32", feature = "worker"))]
    tuning_lab::protocol::register_worker();
}
