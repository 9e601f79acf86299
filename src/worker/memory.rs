//! The worker's memory after each run, one console line, so that a soak (`cargo xtask bench
//! --soak`) can follow it run by run: the wasm memory (it never shrinks; freed memory is
//! reused, so a flat line means nothing is kept that should not be) and the checkpoints kept.

use super::run_store::MB;

/// `worker memory after run 12: 83.4 MB wasm (checkpoints kept: 8, 21.0 MB)`; without a wasm
/// memory to read (natively), that part says so.
pub fn memory_line(
    run: u32,
    wasm_bytes: Option<u64>,
    checkpoints: usize,
    checkpoint_bytes: usize,
) -> String {
    let mb = |bytes: f64| format!("{:.1} MB", bytes / MB as f64);
    let wasm = wasm_bytes.map_or_else(|| "no wasm memory".into(), |b| mb(b as f64) + " wasm");
    format!(
        "worker memory after run {run}: {wasm} (checkpoints kept: {checkpoints}, {})",
        mb(checkpoint_bytes as f64)
    )
}

/// The size of this worker's wasm memory in bytes (none natively).
#[cfg(target_arch = "wasm32")]
pub fn wasm_memory_bytes() -> Option<u64> {
    use wasm_bindgen::JsCast;
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().dyn_into().ok()?;
    let buffer: js_sys::ArrayBuffer = memory.buffer().dyn_into().ok()?;
    Some(u64::from(buffer.byte_length()))
}

#[cfg(not(target_arch = "wasm32"))]
pub fn wasm_memory_bytes() -> Option<u64> {
    None
}

/// Logs [`memory_line`] on the console (the soak reads it from there).
pub fn log_memory(run: u32, checkpoints: usize, checkpoint_bytes: usize) {
    let bytes = wasm_memory_bytes();
    super::console::info(&memory_line(run, bytes, checkpoints, checkpoint_bytes));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_gives_megabytes_with_one_decimal() {
        assert_eq!(
            memory_line(12, Some(83_400_000), 8, 21_000_000),
            "worker memory after run 12: 83.4 MB wasm (checkpoints kept: 8, 21.0 MB)"
        );
        assert_eq!(
            memory_line(1, Some(1_048_576 * 17), 0, 0),
            "worker memory after run 1: 17.8 MB wasm (checkpoints kept: 0, 0.0 MB)"
        );
        assert_eq!(
            memory_line(3, None, 1, 13_025_320),
            "worker memory after run 3: no wasm memory (checkpoints kept: 1, 13.0 MB)"
        );
    }
}
