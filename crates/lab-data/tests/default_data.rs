//! The default data written by `cargo xtask data` (which `cargo xtask test` runs first).

use std::path::Path;

use lab_data::files::load_dir;

#[test]
fn default_data_is_the_official_split() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../static/data/fashion-mnist");
    let data = load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(data.train.len(), 60_000);
    assert_eq!(data.test.len(), 10_000);
    assert_eq!(data.train.class_counts(), [6_000; 10]);
    assert_eq!(data.test.class_counts(), [1_000; 10]);
    assert!((data.train.naive_baseline_accuracy() - 0.1).abs() < 1e-12);
    // Real images: not blank, and the mean pixel of Fashion-MNIST is about 72.9.
    let mean =
        data.train.images.iter().map(|&p| p as f64).sum::<f64>() / data.train.images.len() as f64;
    assert!((60.0..85.0).contains(&mean), "mean pixel {mean}");
}
