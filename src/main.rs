fn main() {
    tuning_lab::start_app();
}
