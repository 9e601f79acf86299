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

/// Which file of an image/label pair an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairFile {
    Images,
    Labels,
    /// Both, as when they disagree on the number of items.
    Both,
}

/// An error in an image/label pair, with the file at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairError {
    pub file: PairFile,
    pub error: IdxError,
}

impl PairError {
    fn images(error: IdxError) -> Self {
        Self {
            file: PairFile::Images,
            error,
        }
    }

    fn labels(error: IdxError) -> Self {
        Self {
            file: PairFile::Labels,
            error,
        }
    }

    /// The message naming the file at fault: `"{images}: {error}"`, `"{labels}: {error}"`,
    /// or `"{images} / {labels}: {error}"` when both are.
    pub fn message(&self, images: &str, labels: &str) -> String {
        match self.file {
            PairFile::Images => format!("{images}: {}", self.error),
            PairFile::Labels => format!("{labels}: {}", self.error),
            PairFile::Both => format!("{images} / {labels}: {}", self.error),
        }
    }
}

impl std::fmt::Display for PairError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message("the image file", "the label file"))
    }
}

impl std::error::Error for PairError {}

/// Checks that `array` holds exactly the data its dimensions announce.
fn check_data(array: &IdxArray) -> Result<usize, IdxError> {
    let expected = idx::data_bytes(&array.dims)?;
    let found = array.data.len();
    if found < expected {
        return Err(IdxError::Truncated { expected, found });
    }
    if found > expected {
        return Err(IdxError::TrailingBytes { expected, found });
    }
    Ok(expected)
}

impl Dataset {
    /// Builds a dataset from an IDX image array (`[n, 28, 28]`) and an IDX label array (`[n]`).
    /// Nothing about the arrays is trusted: their shapes, their sizes (checked arithmetic,
    /// capped at [`idx::MAX_ITEMS`] items), their data lengths and the labels are checked, and
    /// the error names the file at fault.
    pub fn from_idx(images: IdxArray, labels: IdxArray) -> Result<Self, PairError> {
        let &[n, SIDE, SIDE] = images.dims.as_slice() else {
            return Err(PairError::images(IdxError::WrongShape {
                expected: "n×28×28 images".into(),
                found: images.dims,
            }));
        };
        check_data(&images).map_err(PairError::images)?;
        let &[m] = labels.dims.as_slice() else {
            return Err(PairError::labels(IdxError::WrongShape {
                expected: "n labels".into(),
                found: labels.dims,
            }));
        };
        check_data(&labels).map_err(PairError::labels)?;
        if n != m {
            return Err(PairError {
                file: PairFile::Both,
                error: IdxError::CountMismatch {
                    images: n,
                    labels: m,
                },
            });
        }
        if let Some((index, &label)) = labels
            .data
            .iter()
            .enumerate()
            .find(|(_, l)| usize::from(**l) >= NUM_CLASSES)
        {
            return Err(PairError::labels(IdxError::BadLabel {
                index,
                label,
                classes: NUM_CLASSES,
            }));
        }
        Ok(Self {
            images: images.data,
            labels: labels.data,
        })
    }

    /// Parses an image file and a label file (gzip or plain IDX). Never panics: any bytes give
    /// a dataset or an error naming the file at fault.
    pub fn from_idx_bytes(images: &[u8], labels: &[u8]) -> Result<Self, PairError> {
        let images = idx::parse(images).map_err(PairError::images)?;
        let labels = idx::parse(labels).map_err(PairError::labels)?;
        Self::from_idx(images, labels)
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
            PairError {
                file: PairFile::Both,
                error: IdxError::CountMismatch {
                    images: 20,
                    labels: 19
                }
            }
        );
        assert_eq!(
            err.message("a.gz", "b.gz"),
            "a.gz / b.gz: the image file holds 20 images but the label file holds 19 labels"
        );
        let (_, mut labels) = d.to_idx();
        labels.data[3] = 12;
        let err = Dataset::from_idx(imgs.clone(), labels.clone()).unwrap_err();
        assert!(
            matches!(
                err,
                PairError {
                    file: PairFile::Labels,
                    error: IdxError::BadLabel {
                        index: 3,
                        label: 12,
                        ..
                    }
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.message("a.gz", "b.gz"),
            "b.gz: label 12 at index 3 is not a class (expected 0..9)"
        );
        // A label file given where the images belong.
        let err = Dataset::from_idx(labels.clone(), labels).unwrap_err();
        assert_eq!(err.file, PairFile::Images);
        assert_eq!(
            err.message("a.gz", "b.gz"),
            "a.gz: unexpected IDX shape 20, expected n×28×28 images"
        );
    }

    /// `IdxArray`'s fields are public: an array whose data disagrees with its dimensions is
    /// refused, never indexed.
    #[test]
    fn arrays_whose_data_disagree_with_their_dims_are_refused() {
        let d = toy(2);
        let (mut imgs, labels) = d.to_idx();
        imgs.data.truncate(304);
        let err = Dataset::from_idx(imgs, labels.clone()).unwrap_err();
        assert_eq!(
            err,
            PairError {
                file: PairFile::Images,
                error: IdxError::Truncated {
                    expected: 20 * PIXELS,
                    found: 304
                }
            }
        );
        let (imgs, mut labels) = d.to_idx();
        labels.data.push(0);
        assert!(matches!(
            Dataset::from_idx(imgs, labels),
            Err(PairError {
                file: PairFile::Labels,
                error: IdxError::TrailingBytes { .. }
            })
        ));
        // The wasm32 wrap: 5478275 × 784 is 304 modulo 2^32, and the data is 304 bytes.
        let imgs = IdxArray {
            dims: vec![5_478_275, SIDE, SIDE],
            data: vec![0; 304],
        };
        let labels = IdxArray {
            dims: vec![5_478_275],
            data: vec![0; 5_478_275],
        };
        assert_eq!(
            Dataset::from_idx(imgs, labels).unwrap_err(),
            PairError {
                file: PairFile::Images,
                error: IdxError::TooManyItems {
                    items: 5_478_275,
                    max: idx::MAX_ITEMS
                }
            }
        );
    }

    /// The pair seen in the wild: an image file of 5478275×28×28 holding 304 bytes and a label
    /// file of the same count. An error naming the image file, not a panic.
    #[test]
    fn the_crafted_pair_is_an_error_naming_the_image_file() {
        let mut images = vec![0, 0, 8, 3];
        for d in [5_478_275u32, 28, 28] {
            images.extend_from_slice(&d.to_be_bytes());
        }
        images.extend_from_slice(&[0; 304]);
        let mut labels = vec![0, 0, 8, 1];
        labels.extend_from_slice(&5_478_275u32.to_be_bytes());
        labels.extend(std::iter::repeat_n(0, 5_478_275));
        let err = Dataset::from_idx_bytes(&images, &labels).unwrap_err();
        assert_eq!(err.file, PairFile::Images);
        assert_eq!(
            err.message(FILE_NAMES[0], FILE_NAMES[1]),
            "train-images-idx3-ubyte.gz: corrupt IDX header: it announces 5478275 items, more than the 1000000 this lab accepts (Fashion-MNIST's largest file has 60000)"
        );
        // A good image file with that label file: the label file is named.
        let (good, _) = toy(1).to_idx();
        let err = Dataset::from_idx_bytes(&idx::to_bytes(&good), &labels).unwrap_err();
        assert_eq!(err.file, PairFile::Labels);
    }
}
