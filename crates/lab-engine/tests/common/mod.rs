//! Small synthetic Fashion-MNIST-shaped data for the engine tests: each class is a bright
//! square at its own place, plus noise, so a model can learn it in a few steps.
#![allow(dead_code)]

use burn::tensor::Device;
use lab_engine::lab_data::{Dataset, PIXELS};
use rand::{Rng, SeedableRng};

pub fn synthetic(per_class: usize, seed: u64) -> Dataset {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut d = Dataset::default();
    for i in 0..per_class * 10 {
        let class = i % 10;
        let (r0, c0) = (2 + (class / 5) * 12, 2 + (class % 5) * 5);
        for p in 0..PIXELS {
            let (r, c) = (p / 28, p % 28);
            let on = (r0..r0 + 10).contains(&r) && (c0..c0 + 5).contains(&c);
            let base: i32 = if on { 200 } else { 20 };
            d.images
                .push((base + rng.random_range(-20..20)).clamp(0, 255) as u8);
        }
        d.labels.push(class as u8);
    }
    d
}

/// The CPU training device used by the native tests.
pub fn device() -> Device {
    Device::flex().autodiff()
}
