//! Labelled 28×28 grey images, as the four official Fashion-MNIST files hold them, and the
//! seeded stratified splits the lab trains on.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::idx::{self, IdxArray, IdxError};

pub use lab_spec::dataset::{CLASS_NAMES, FILE_NAMES, NUM_CLASSES, PIXELS, SIDE};

/// Images (row-major bytes, `PIXELS` per image) and their labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dataset {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Dataset {
    /// Builds a dataset from an IDX image array (`[n, 28, 28]`) and an IDX label array (`[n]`).
    pub fn from_idx(images: IdxArray, labels: IdxArray) -> Result<Self, IdxError> {
        if images.dims.len() != 3 || images.dims[1] != SIDE || images.dims[2] != SIDE {
            return Err(IdxError::WrongShape {
                expected: "[n, 28, 28] images".into(),
                found: images.dims,
            });
        }
        if labels.dims.len() != 1 {
            return Err(IdxError::WrongShape {
                expected: "[n] labels".into(),
                found: labels.dims,
            });
        }
        if images.dims[0] != labels.dims[0] {
            return Err(IdxError::CountMismatch {
                images: images.dims[0],
                labels: labels.dims[0],
            });
        }
        if let Some((index, &label)) = labels
            .data
            .iter()
            .enumerate()
            .find(|(_, l)| **l as usize >= NUM_CLASSES)
        {
            return Err(IdxError::BadLabel {
                index,
                label,
                classes: NUM_CLASSES,
            });
        }
        Ok(Self {
            images: images.data,
            labels: labels.data,
        })
    }

    /// Parses an image file and a label file (gzip or plain IDX).
    pub fn from_idx_bytes(images: &[u8], labels: &[u8]) -> Result<Self, IdxError> {
        Self::from_idx(idx::parse(images)?, idx::parse(labels)?)
    }

    /// The two IDX arrays of this dataset.
    pub fn to_idx(&self) -> (IdxArray, IdxArray) {
        (
            IdxArray {
                dims: vec![self.len(), SIDE, SIDE],
                data: self.images.clone(),
            },
            IdxArray {
                dims: vec![self.len()],
                data: self.labels.clone(),
            },
        )
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }

    /// The items at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let mut images = Vec::with_capacity(indices.len() * PIXELS);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            images.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        Dataset { images, labels }
    }

    /// How many items each class has.
    pub fn class_counts(&self) -> [usize; NUM_CLASSES] {
        let mut counts = [0; NUM_CLASSES];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// The accuracy of always answering the most frequent class (the "naive baseline").
    pub fn naive_baseline_accuracy(&self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        *self.class_counts().iter().max().unwrap_or(&0) as f64 / self.len() as f64
    }

    /// Splits off a stratified, seeded fraction (Keras' `validation_split`): within each class
    /// the items are shuffled with `seed` and `round(fraction × class size)` of them go to the
    /// second part. Both parts keep the original order of the items they hold.
    pub fn stratified_split(&self, fraction: f64, seed: u64) -> (Dataset, Dataset) {
        let (keep, split) = stratified_indices(
            &self.labels,
            |n| (fraction * n as f64).round() as usize,
            seed,
        );
        (self.select(&keep), self.select(&split))
    }

    /// A stratified, seeded subset of about `n` items (each class keeps its share).
    pub fn stratified_subset(&self, n: usize, seed: u64) -> Dataset {
        if n >= self.len() {
            return self.clone();
        }
        let fraction = n as f64 / self.len() as f64;
        let (_, subset) = stratified_indices(
            &self.labels,
            |c| (fraction * c as f64).round() as usize,
            seed,
        );
        self.select(&subset)
    }
}

/// Indices split in two, per class: `take(class_size)` items of each class (chosen by a seeded
/// shuffle) go to the second list. Both lists are sorted.
pub fn stratified_indices(
    labels: &[u8],
    take: impl Fn(usize) -> usize,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut keep = Vec::new();
    let mut taken = Vec::new();
    for class in 0..NUM_CLASSES as u8 {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        members.shuffle(&mut rng);
        let k = take(members.len()).min(members.len());
        taken.extend_from_slice(&members[..k]);
        keep.extend_from_slice(&members[k..]);
    }
    keep.sort_unstable();
    taken.sort_unstable();
    (keep, taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10 classes × `per_class` items; every image is filled with its own index.
    pub(crate) fn toy(per_class: usize) -> Dataset {
        let mut d = Dataset::default();
        for i in 0..per_class * NUM_CLASSES {
            d.images
                .extend(std::iter::repeat_n((i % 251) as u8, PIXELS));
            d.labels.push((i % NUM_CLASSES) as u8);
        }
        d
    }

    #[test]
    fn validation_split_is_stratified_disjoint_and_seeded() {
        let d = toy(50);
        let (train, val) = d.stratified_split(0.2, 7);
        assert_eq!(train.len(), 400);
        assert_eq!(val.len(), 100);
        assert_eq!(val.class_counts(), [10; NUM_CLASSES]);
        assert_eq!(d.stratified_split(0.2, 7), (train.clone(), val.clone()));
        assert_ne!(d.stratified_split(0.2, 8).1, val);
    }

    #[test]
    fn subset_keeps_class_shares() {
        let d = toy(100);
        let s = d.stratified_subset(200, 1);
        assert_eq!(s.len(), 200);
        assert_eq!(s.class_counts(), [20; NUM_CLASSES]);
        assert_eq!(d.stratified_subset(5000, 1).len(), 1000);
    }

    #[test]
    fn naive_baseline_is_the_majority_share() {
        let mut d = toy(10);
        d.labels[1] = 0; // class 0 now has 11 of 100
        assert!((d.naive_baseline_accuracy() - 0.11).abs() < 1e-12);
    }

    #[test]
    fn idx_pair_checks_counts_shapes_and_labels() {
        let d = toy(2);
        let (imgs, mut labels) = d.to_idx();
        assert_eq!(Dataset::from_idx(imgs.clone(), labels.clone()).unwrap(), d);
        labels.dims = vec![19];
        labels.data.pop();
        let err = Dataset::from_idx(imgs.clone(), labels).unwrap_err();
        assert_eq!(
            err,
            IdxError::CountMismatch {
                images: 20,
                labels: 19
            }
        );
        let (_, mut labels) = d.to_idx();
        labels.data[3] = 12;
        assert!(matches!(
            Dataset::from_idx(imgs.clone(), labels.clone()),
            Err(IdxError::BadLabel {
                index: 3,
                label: 12,
                ..
            })
        ));
        // A label file given where the images belong.
        assert!(matches!(
            Dataset::from_idx(labels.clone(), labels),
            Err(IdxError::WrongShape { .. })
        ));
    }
}
