fn main() {
    #[cfg(target_arch = "wasm32")]
    tuning_lab::worker::start();
}
