//! The worker's lines on the browser console (natively, in tests: stderr). The page's tests
//! and the bench read some of them (the WebGPU warm-up, the memory after each run).

#[cfg(target_arch = "wasm32")]
pub fn info(message: &str) {
    web_sys::console::info_1(&message.into());
}

#[cfg(target_arch = "wasm32")]
pub fn warn(message: &str) {
    web_sys::console::warn_1(&message.into());
}

#[cfg(not(target_arch = "wasm32"))]
pub fn info(message: &str) {
    eprintln!("{message}");
}

#[cfg(not(target_arch = "wasm32"))]
pub fn warn(message: &str) {
    eprintln!("{message}");
}
