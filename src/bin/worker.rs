fn main() {
    #[cfg(all(target_arch = "wasm32", feature = "worker"))]
    tuning_lab::protocol::register_worker();
}
