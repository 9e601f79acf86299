//! From the data of a run to the float arrays the model trains on: subset, stratified
//! validation split, normalization (statistics from the training split only), mini-batches.
//! A split holds dense images (Fashion-MNIST, normalized) or sparse rows (IMDB's TF-IDF
//! features: 25,000 × 10,000 dense floats would be 1 GB), batched as they are
//! ([`Split::batch_input`], for a first Dense layer's sparse product) or densified one batch
//! at a time ([`Split::batch`]).

use burn::tensor::{Device, Int, Tensor, TensorData};
use lab_data::dataset::stratified_indices;
use lab_data::{Dataset, PIXELS, SparseRows};
use lab_spec::{Normalization, TrainingConfig};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::sparse_batch::{Batch, SparseBatch};

/// A split's inputs: dense rows of `width` floats, or sparse rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Inputs {
    /// Row-major, `width` floats per item (normalized images: `width` = 784).
    Dense { values: Vec<f32>, width: usize },
    /// One sparse row per item (a vectorizer's output).
    Sparse(SparseRows),
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs::Dense {
            values: Vec::new(),
            width: PIXELS,
        }
    }
}

impl Inputs {
    /// Features per item.
    pub fn width(&self) -> usize {
        match self {
            Inputs::Dense { width, .. } => *width,
            Inputs::Sparse(rows) => rows.n_cols,
        }
    }

    /// The dense values, when the inputs are dense.
    pub fn dense(&self) -> Option<&[f32]> {
        match self {
            Inputs::Dense { values, .. } => Some(values),
            Inputs::Sparse(_) => None,
        }
    }

    /// The dense values, when the inputs are dense.
    pub fn into_dense(self) -> Option<Vec<f32>> {
        match self {
            Inputs::Dense { values, .. } => Some(values),
            Inputs::Sparse(_) => None,
        }
    }
}

/// Inputs (normalized images, or sparse feature rows) and their labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    pub x: Inputs,
    pub y: Vec<u8>,
}

impl Split {
    /// Normalized images, `PIXELS` floats each.
    pub fn images(x: Vec<f32>, y: Vec<u8>) -> Self {
        Self::dense(x, PIXELS, y)
    }

    /// Dense rows of `width` floats each.
    pub fn dense(values: Vec<f32>, width: usize, y: Vec<u8>) -> Self {
        Self {
            x: Inputs::Dense { values, width },
            y,
        }
    }

    /// Sparse rows (one per label).
    pub fn sparse(rows: SparseRows, y: Vec<u8>) -> Self {
        Self {
            x: Inputs::Sparse(rows),
            y,
        }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Features per item (784 for images).
    pub fn width(&self) -> usize {
        self.x.width()
    }

    /// A batch of the items at `indices`: inputs `[n, features]` (sparse rows densified here,
    /// only this batch's) and labels `[n]`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let width = self.width();
        let mut x = Vec::with_capacity(indices.len() * width);
        match &self.x {
            Inputs::Dense { values, .. } => {
                for &i in indices {
                    x.extend_from_slice(&values[i * width..(i + 1) * width]);
                }
            }
            Inputs::Sparse(rows) => rows.densify_into(indices, &mut x),
        }
        (
            Tensor::from_data(TensorData::new(x, [indices.len(), width]), device),
            self.labels(indices, device),
        )
    }

    /// A batch of the items at `indices` as the model takes it ([`Network::forward_batch`]):
    /// dense rows as in [`Split::batch`], sparse rows kept sparse (a first Dense layer then
    /// multiplies only their non-zero entries); and the labels `[n]`.
    ///
    /// [`Network::forward_batch`]: crate::model::Network::forward_batch
    pub fn batch_input(&self, indices: &[usize], device: &Device) -> (Batch, Tensor<1, Int>) {
        match &self.x {
            Inputs::Dense { .. } => {
                let (x, y) = self.batch(indices, device);
                (Batch::Dense(x), y)
            }
            Inputs::Sparse(rows) => {
                let x = SparseBatch::new(rows, indices, device);
                (Batch::Sparse(x), self.labels(indices, device))
            }
        }
    }

    /// The labels `[n]` of the items at `indices`.
    fn labels(&self, indices: &[usize], device: &Device) -> Tensor<1, Int> {
        let y: Vec<i64> = indices.iter().map(|&i| self.y[i] as i64).collect();
        Tensor::from_data(TensorData::new(y, [indices.len()]), device)
    }

    /// The items at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Split {
        let y = indices.iter().map(|&i| self.y[i]).collect();
        match &self.x {
            Inputs::Dense { values, width } => {
                let w = *width;
                let mut x = Vec::with_capacity(indices.len() * w);
                for &i in indices {
                    x.extend_from_slice(&values[i * w..(i + 1) * w]);
                }
                Split::dense(x, w, y)
            }
            Inputs::Sparse(rows) => Split::sparse(rows.select(indices), y),
        }
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

    /// No normalization for `width` features (`(x − 0) / 1`): what a text run reports, its
    /// TF-IDF features being normalized already.
    pub fn identity(width: usize) -> Self {
        Self {
            shift: vec![0.0; width],
            scale: vec![1.0; width],
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
        Split::images(x, d.labels.clone())
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

/// Applies the config's subset and validation split to sparse training rows (a text run):
/// both stratified and seeded as for images (seed 004's `train_test_split(..., stratify=y)`),
/// no normalization. `labels` holds one label per row.
///
/// # Panics
/// If `labels` and `rows` differ in length (a caller's bug).
pub fn prepare_sparse(rows: &SparseRows, labels: &[u8], config: &TrainingConfig) -> Prepared {
    assert_eq!(rows.len(), labels.len(), "one label per row");
    let all: Vec<usize> = (0..labels.len()).collect();
    let chosen = match config.subset {
        Some(n) if n < labels.len() => {
            let fraction = n as f64 / labels.len() as f64;
            stratified_indices(
                labels,
                |c| (fraction * c as f64).round() as usize,
                config.seed,
            )
            .1
        }
        _ => all,
    };
    let chosen_labels: Vec<u8> = chosen.iter().map(|&i| labels[i]).collect();
    let (train, val) = if config.validation_split > 0.0 {
        let split = config.validation_split;
        let (keep, taken) = stratified_indices(
            &chosen_labels,
            |c| (split * c as f64).round() as usize,
            config.seed,
        );
        let pick = |ix: &[usize]| -> Vec<usize> { ix.iter().map(|&i| chosen[i]).collect() };
        (pick(&keep), Some(pick(&taken)))
    } else {
        (chosen, None)
    };
    let split =
        |ix: &[usize]| Split::sparse(rows.select(ix), ix.iter().map(|&i| labels[i]).collect());
    Prepared {
        train: split(&train),
        val: val.as_deref().map(split),
        normalizer: Normalizer::identity(rows.n_cols),
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
        let x = s.x.dense().unwrap();
        assert_eq!(x[1], 1.0 / 255.0);
        assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
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
                .map(|i| p.train.x.dense().unwrap()[i * PIXELS + px] as f64)
                .collect();
            let mean = col.iter().sum::<f64>() / n;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            assert!(
                mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3,
                "pixel {px}: {mean} {var}"
            );
        }
    }

    fn rows(n: usize) -> (SparseRows, Vec<u8>) {
        let mut m = SparseRows::new(6);
        let mut labels = Vec::new();
        for i in 0..n {
            m.push_row(&mut [((i % 6) as u32, i as f32)]);
            labels.push((i % 4 == 0) as u8);
        }
        (m, labels)
    }

    #[test]
    fn sparse_batches_are_densified_per_batch() {
        let (m, labels) = rows(10);
        let split = Split::sparse(m, labels);
        assert_eq!(split.width(), 6);
        let device = Device::flex();
        let (x, y) = split.batch(&[7, 2], &device);
        assert_eq!(x.dims(), [2, 6]);
        let x = x.into_data().try_to_vec_as::<f32>().unwrap();
        assert_eq!(
            x,
            [0.0, 7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]
        );
        let y = y.into_data().try_to_vec_as::<i64>().unwrap();
        assert_eq!(y, [0, 0]);
        assert_eq!(split.select(&[4]).y, [1]);
    }

    #[test]
    fn model_batches_keep_sparse_rows_sparse_and_dense_rows_dense() {
        let device = Device::flex();
        let (m, labels) = rows(10);
        let sparse = Split::sparse(m, labels);
        let (x, y) = sparse.batch_input(&[7, 2], &device);
        assert!(matches!(x, Batch::Sparse(_)));
        let dense = |t: Tensor<2>| t.into_data().try_to_vec_as::<f32>().unwrap();
        assert_eq!(
            dense(x.into_dense()),
            dense(sparse.batch(&[7, 2], &device).0)
        );
        assert_eq!(y.into_data().try_to_vec_as::<i64>().unwrap(), [0, 0]);
        let images = Split::dense(vec![1.0, 2.0, 3.0, 4.0], 2, vec![3, 4]);
        let (x, y) = images.batch_input(&[1], &device);
        assert!(matches!(x, Batch::Dense(_)));
        assert_eq!(dense(x.into_dense()), [3.0, 4.0]);
        assert_eq!(y.into_data().try_to_vec_as::<i64>().unwrap(), [4]);
    }

    #[test]
    fn sparse_preparation_is_a_stratified_seeded_split_without_normalization() {
        let (m, labels) = rows(100);
        let mut cfg = TrainingConfig::new(ModelSpec::binary(6, &[]));
        cfg.seed = 7;
        let p = prepare_sparse(&m, &labels, &cfg);
        let val = p.val.as_ref().unwrap();
        assert_eq!((p.train.len(), val.len()), (80, 20));
        // 25 positives: 5 of them held out, as train_test_split(stratify=y) does.
        assert_eq!(val.y.iter().filter(|&&l| l == 1).count(), 5);
        assert_eq!(p.normalizer, Normalizer::identity(6));
        // Values are the rows' own: no scaling.
        let Inputs::Sparse(r) = &p.train.x else {
            panic!("sparse stays sparse")
        };
        assert!(r.values.iter().all(|v| v.fract() == 0.0));
        assert_eq!(prepare_sparse(&m, &labels, &cfg).val, p.val, "seeded");
        cfg.seed = 8;
        assert_ne!(prepare_sparse(&m, &labels, &cfg).val, p.val);
        cfg.subset = Some(40);
        let p = prepare_sparse(&m, &labels, &cfg);
        assert_eq!(p.train.len() + p.val.unwrap().len(), 40);
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
