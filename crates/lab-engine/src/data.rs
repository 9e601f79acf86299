//! From a [`Dataset`] of bytes to the float arrays the model trains on: subset, stratified
//! validation split, normalization (statistics from the training split only), mini-batches.

use burn::tensor::{Device, Int, Tensor, TensorData};
use lab_data::{Dataset, PIXELS};
use lab_spec::{Normalization, TrainingConfig};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Normalized images (`PIXELS` floats each) and their labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    pub x: Vec<f32>,
    pub y: Vec<u8>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// A batch of the items at `indices`: inputs `[n, 784]` and labels `[n]`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let mut x = Vec::with_capacity(indices.len() * PIXELS);
        let mut y = Vec::with_capacity(indices.len());
        for &i in indices {
            x.extend_from_slice(&self.x[i * PIXELS..(i + 1) * PIXELS]);
            y.push(self.y[i] as i64);
        }
        (
            Tensor::from_data(TensorData::new(x, [indices.len(), PIXELS]), device),
            Tensor::from_data(TensorData::new(y, [indices.len()]), device),
        )
    }
}

/// Per-pixel normalization: `(x − shift) / scale`.
#[derive(Clone, Debug, PartialEq)]
pub struct Normalizer {
    pub shift: Vec<f32>,
    pub scale: Vec<f32>,
}

impl Normalizer {
    /// The normalizer `kind` fitted on `fit_on` (the training split).
    pub fn fit(kind: Normalization, fit_on: &Dataset) -> Self {
        match kind {
            Normalization::Scale => Self {
                shift: vec![0.0; PIXELS],
                scale: vec![255.0; PIXELS],
            },
            Normalization::Standardize => {
                let n = fit_on.len().max(1) as f64;
                let mut sum = vec![0f64; PIXELS];
                let mut sq = vec![0f64; PIXELS];
                for img in fit_on.images.chunks_exact(PIXELS) {
                    for (p, &v) in img.iter().enumerate() {
                        sum[p] += v as f64;
                        sq[p] += (v as f64) * (v as f64);
                    }
                }
                let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
                let scale = sq
                    .iter()
                    .zip(&mean)
                    .map(|(s, m)| {
                        let std = (s / n - m * m).max(0.0).sqrt();
                        // A pixel that never changes (a border pixel) is only shifted.
                        if std < 1e-6 { 1.0 } else { std as f32 }
                    })
                    .collect();
                Self {
                    shift: mean.iter().map(|&m| m as f32).collect(),
                    scale,
                }
            }
        }
    }

    pub fn apply(&self, d: &Dataset) -> Split {
        let x = d
            .images
            .chunks_exact(PIXELS)
            .flat_map(|img| {
                img.iter()
                    .zip(self.shift.iter().zip(&self.scale))
                    .map(|(&v, (&s, &k))| (v as f32 - s) / k)
            })
            .collect();
        Split {
            x,
            y: d.labels.clone(),
        }
    }
}

/// What a run trains and validates on.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub train: Split,
    pub val: Option<Split>,
    pub normalizer: Normalizer,
}

/// Applies the config's subset, validation split and normalization to the training data.
pub fn prepare(train_full: &Dataset, config: &TrainingConfig) -> Prepared {
    let data = match config.subset {
        Some(n) => train_full.stratified_subset(n, config.seed),
        None => train_full.clone(),
    };
    let (train, val) = if config.validation_split > 0.0 {
        let (t, v) = data.stratified_split(config.validation_split, config.seed);
        (t, Some(v))
    } else {
        (data, None)
    };
    let normalizer = Normalizer::fit(config.normalization, &train);
    Prepared {
        train: normalizer.apply(&train),
        val: val.map(|v| normalizer.apply(&v)),
        normalizer,
    }
}

/// The order of the training items in epoch `epoch` (0-based): shuffled with a seed derived
/// from the run's seed and the epoch, or in order.
pub fn epoch_order(n: usize, seed: u64, epoch: usize, shuffle: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if shuffle {
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ epoch as u64);
        order.shuffle(&mut rng);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::ModelSpec;

    fn toy() -> Dataset {
        let mut d = Dataset::default();
        for i in 0..100 {
            d.images
                .extend((0..PIXELS).map(|p| ((i * 7 + p) % 256) as u8));
            d.labels.push((i % 10) as u8);
        }
        d
    }

    #[test]
    fn scale_divides_by_255() {
        let d = toy();
        let s = Normalizer::fit(Normalization::Scale, &d).apply(&d);
        assert_eq!(s.x[1], 1.0 / 255.0);
        assert!(s.x.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn standardize_uses_training_statistics_only() {
        let mut cfg = TrainingConfig::new(ModelSpec::baseline());
        cfg.normalization = Normalization::Standardize;
        let p = prepare(&toy(), &cfg);
        assert_eq!(p.train.len(), 80);
        assert_eq!(p.val.as_ref().unwrap().len(), 20);
        // Each pixel of the training split has mean ≈ 0 and std ≈ 1.
        let n = p.train.len() as f64;
        for px in [0, 400, 783] {
            let col: Vec<f64> = (0..p.train.len())
                .map(|i| p.train.x[i * PIXELS + px] as f64)
                .collect();
            let mean = col.iter().sum::<f64>() / n;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            assert!(
                mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3,
                "pixel {px}: {mean} {var}"
            );
        }
    }

    #[test]
    fn epoch_order_is_a_seeded_permutation() {
        let a = epoch_order(50, 1, 0, true);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_eq!(a, epoch_order(50, 1, 0, true));
        assert_ne!(a, epoch_order(50, 1, 1, true));
        assert_eq!(epoch_order(5, 1, 0, false), vec![0, 1, 2, 3, 4]);
    }
}
