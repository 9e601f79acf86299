//! The training worker's entry point (a dedicated Web Worker; see `src/worker/`).

fn main() {
    #[cfg(all(target_arch = "wasm32", feature = "worker"))]
    {
        run_static_constructors_once();
        tuning_lab::protocol::register_worker();
    }
}

/// Runs the module's static constructors (burn's kernel registrations, through `inventory`)
/// once, now.
///
/// A Rust binary links as a WebAssembly "command": unless the code calls
/// `__wasm_call_ctors` itself, wasm-ld wraps *every* export so that it runs all static
/// constructors before the export's body. wasm-bindgen's glue calls exports such as
/// `__externref_table_alloc` for each JS value that crosses into wasm, so every value the
/// worker sent (a batch event, each pixel of the data summary) re-ran the registrations:
/// 13 of the 15 s between "downloaded" and "data ready" went there. Calling it explicitly
/// here tells wasm-ld not to wrap the exports.
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
#[allow(unsafe_code)]
fn run_static_constructors_once() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    // SAFETY: the linker's constructor function, called once, before any other code of the
    // module runs (main is the first thing wasm-bindgen's start calls).
    unsafe { __wasm_call_ctors() }
}
