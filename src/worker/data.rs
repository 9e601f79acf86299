//! The data: the four files from the page (picked from disk) or from the server (see
//! `download.rs`), decoded into Fashion-MNIST, and the summary the page shows (class counts,
//! the naive baseline, a few sample images per class).

use lab_data::files::FashionMnist;
use lab_data::{Dataset, FILE_NAMES, NUM_CLASSES};
use lab_spec::worker::{DataSource, DataSummary};
use serde_bytes::ByteBuf;

use super::sink::Outbox;

/// Sample images per class in the summary.
pub const SAMPLES_PER_CLASS: usize = 8;

/// Loads the data; returns it and whether it came from the browser's cache.
pub async fn load(source: DataSource, outbox: &Outbox) -> Result<(FashionMnist, bool), String> {
    match source {
        DataSource::Files(files) => {
            let files: Vec<Vec<u8>> = files.into_iter().map(|b| b.into_vec()).collect();
            Ok((decode_picked(&files)?, false))
        }
        DataSource::Url(base) => fetch(&base, outbox).await,
    }
}

#[cfg(target_arch = "wasm32")]
async fn fetch(base: &str, outbox: &Outbox) -> Result<(FashionMnist, bool), String> {
    super::download::fetch(base, outbox).await
}

/// Natively (tests) there is no server to download from.
#[cfg(not(target_arch = "wasm32"))]
async fn fetch(base: &str, _outbox: &Outbox) -> Result<(FashionMnist, bool), String> {
    Err(format!(
        "{base}: downloading needs a browser; pick the files"
    ))
}

/// The four files a learner picked, in the order of [`FILE_NAMES`].
pub fn decode_picked(files: &[Vec<u8>]) -> Result<FashionMnist, String> {
    if files.len() != FILE_NAMES.len() {
        return Err(format!("pick the four files ({})", FILE_NAMES.join(", ")));
    }
    decode(files)
}

/// Decodes the four files (IDX, gzip or plain), in the order of [`FILE_NAMES`].
pub fn decode(files: &[Vec<u8>]) -> Result<FashionMnist, String> {
    let pair = |i: usize| {
        Dataset::from_idx_bytes(&files[i], &files[i + 1])
            .map_err(|e| format!("{} / {}: {e}", FILE_NAMES[i], FILE_NAMES[i + 1]))
    };
    Ok(FashionMnist {
        train: pair(0)?,
        test: pair(2)?,
    })
}

/// The first `per_class` training images of each class: `samples[class]` lists them.
pub fn samples(train: &Dataset, per_class: usize) -> Vec<Vec<ByteBuf>> {
    let mut samples = vec![Vec::new(); NUM_CLASSES];
    for i in 0..train.len() {
        let class = &mut samples[train.labels[i] as usize];
        if class.len() < per_class {
            class.push(ByteBuf::from(train.image(i)));
        }
        if samples.iter().all(|s| s.len() == per_class) {
            break;
        }
    }
    samples
}

/// What the page shows of the loaded data.
pub fn summary(data: &FashionMnist, from_cache: bool) -> DataSummary {
    DataSummary {
        train_counts: data.train.class_counts().to_vec(),
        test_counts: data.test.class_counts().to_vec(),
        naive_baseline_accuracy: data.test.naive_baseline_accuracy(),
        samples: samples(&data.train, SAMPLES_PER_CLASS),
        from_cache,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use lab_data::PIXELS;
    use lab_data::idx::to_bytes;

    use super::*;

    /// `per_class` images of each class, class-major order reversed so that the first images
    /// are all of class 9; image `i` is filled with `i % 251`.
    pub(crate) fn toy(per_class: usize) -> Dataset {
        let mut d = Dataset::default();
        for i in 0..per_class * NUM_CLASSES {
            d.images
                .extend(std::iter::repeat_n((i % 251) as u8, PIXELS));
            d.labels.push((NUM_CLASSES - 1 - i / per_class) as u8);
        }
        d
    }

    /// The four IDX files of a toy training and test set.
    pub(crate) fn files(train: &Dataset, test: &Dataset) -> Vec<Vec<u8>> {
        [train, test]
            .iter()
            .flat_map(|d| {
                let (images, labels) = d.to_idx();
                [to_bytes(&images), to_bytes(&labels)]
            })
            .collect()
    }

    #[test]
    fn samples_take_the_first_images_of_each_class() {
        let train = toy(10);
        let s = samples(&train, 3);
        assert_eq!(s.len(), NUM_CLASSES);
        assert!(s.iter().all(|c| c.len() == 3));
        // Class 9 comes first: images 0, 1, 2.
        assert_eq!(s[9][2].to_vec(), vec![2; PIXELS]);
        assert_eq!(s[0][0].to_vec(), vec![90; PIXELS]);
    }

    #[test]
    fn a_class_with_few_images_gives_what_it_has() {
        let mut train = toy(2);
        train.labels[0] = 0; // class 9 keeps one image, class 0 gets three
        let s = samples(&train, SAMPLES_PER_CLASS);
        assert_eq!(s[9].len(), 1);
        assert_eq!(s[0].len(), 3);
    }

    #[test]
    fn picked_files_decode_into_a_summary() {
        let (train, test) = (toy(12), toy(4));
        let data = decode_picked(&files(&train, &test)).unwrap();
        assert_eq!(data.train, train);
        let summary = summary(&data, false);
        assert_eq!(summary.train_counts, vec![12; NUM_CLASSES]);
        assert_eq!(summary.test_counts, vec![4; NUM_CLASSES]);
        assert_eq!(summary.samples[0].len(), SAMPLES_PER_CLASS);
        assert!(!summary.from_cache);
    }

    #[test]
    fn wrong_files_are_named() {
        let f = files(&toy(2), &toy(1));
        assert_eq!(
            decode_picked(&f[..3]).unwrap_err(),
            format!("pick the four files ({})", FILE_NAMES.join(", "))
        );
        let swapped = vec![f[1].clone(), f[0].clone(), f[2].clone(), f[3].clone()];
        let e = decode_picked(&swapped).unwrap_err();
        assert!(
            e.starts_with(&format!("{} / {}: ", FILE_NAMES[0], FILE_NAMES[1])),
            "{e}"
        );
    }
}
