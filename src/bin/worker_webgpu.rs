//! The WebGPU training worker's entry point (a dedicated Web Worker; see `src/worker/`):
//! burn's wgpu backend.

fn main() {
    #[cfg(all(target_arch = "wasm32", feature = "webgpu-worker"))]
    tuning_lab::protocol::register_worker();
}
