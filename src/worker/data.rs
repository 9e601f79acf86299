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

/// What the ready line says of picked files.
pub const PICKED: &str = "files you picked";

/// Where loaded data came from: the browser's cache or not, and the source in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub from_cache: bool,
    pub source: String,
}

/// Loads the data; returns it and where it came from.
pub async fn load(source: DataSource, outbox: &Outbox) -> Result<(FashionMnist, Origin), String> {
    match source {
        DataSource::Files(files) => {
            let files: Vec<Vec<u8>> = files.into_iter().map(|b| b.into_vec()).collect();
            let origin = Origin {
                from_cache: false,
                source: PICKED.into(),
            };
            Ok((decode(&files)?, origin))
        }
        DataSource::Url(base) => {
            let (data, from_cache) = fetch(&base, outbox).await?;
            let origin = Origin {
                from_cache,
                source: describe_base(&base),
            };
            Ok((data, origin))
        }
    }
}

/// A download base in words: a path on this site (`./data/fashion-mnist/` is
/// "this site (data/fashion-mnist/)"), or the URL of another one as it is.
pub fn describe_base(base: &str) -> String {
    let has_scheme = base.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if has_scheme || base.starts_with("//") {
        base.to_string()
    } else {
        format!("this site ({})", base.trim_start_matches("./"))
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

/// Decodes the four files (downloaded or picked; IDX, gzip or plain), in the order of
/// [`FILE_NAMES`]. Any bytes give the data or an error that names the file at fault
/// ("train-images-idx3-ubyte.gz: truncated IDX file: …"), both files of a pair only when they
/// disagree on the number of items.
pub fn decode(files: &[Vec<u8>]) -> Result<FashionMnist, String> {
    let [train_images, train_labels, test_images, test_labels] = files else {
        return Err(format!("pick the four files ({})", FILE_NAMES.join(", ")));
    };
    let pair = |images: &[u8], labels: &[u8], i: usize| {
        Dataset::from_idx_bytes(images, labels)
            .map_err(|e| e.message(FILE_NAMES[i], FILE_NAMES[i + 1]))
    };
    Ok(FashionMnist {
        train: pair(train_images, train_labels, 0)?,
        test: pair(test_images, test_labels, 2)?,
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
pub fn summary(data: &FashionMnist, origin: Origin) -> DataSummary {
    DataSummary {
        train_counts: data.train.class_counts().to_vec(),
        test_counts: data.test.class_counts().to_vec(),
        naive_baseline_accuracy: data.test.naive_baseline_accuracy(),
        samples: samples(&data.train, SAMPLES_PER_CLASS),
        from_cache: origin.from_cache,
        source: origin.source,
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
        let data = decode(&files(&train, &test)).unwrap();
        assert_eq!(data.train, train);
        let origin = Origin {
            from_cache: false,
            source: PICKED.into(),
        };
        let summary = summary(&data, origin);
        assert_eq!(summary.train_counts, vec![12; NUM_CLASSES]);
        assert_eq!(summary.test_counts, vec![4; NUM_CLASSES]);
        assert_eq!(summary.samples[0].len(), SAMPLES_PER_CLASS);
        assert!(!summary.from_cache);
        assert_eq!(summary.source, "files you picked");
    }

    #[test]
    fn the_source_is_said_in_words() {
        assert_eq!(
            describe_base("./data/fashion-mnist/"),
            "this site (data/fashion-mnist/)"
        );
        assert_eq!(describe_base("/mirror/data/"), "this site (/mirror/data/)");
        assert_eq!(describe_base("data/"), "this site (data/)");
        for url in [
            "https://other.example/data/",
            "http://localhost:8000/d/",
            "//cdn.example/fm/",
        ] {
            assert_eq!(describe_base(url), url);
        }
    }

    #[test]
    fn wrong_files_are_named() {
        let f = files(&toy(2), &toy(1));
        assert_eq!(
            decode(&f[..3]).unwrap_err(),
            format!("pick the four files ({})", FILE_NAMES.join(", "))
        );
        // The label file where the images belong: the image file is named, alone.
        let swapped = vec![f[1].clone(), f[0].clone(), f[2].clone(), f[3].clone()];
        assert_eq!(
            decode(&swapped).unwrap_err(),
            "train-images-idx3-ubyte.gz: unexpected IDX shape 20, expected n×28×28 images"
        );
    }

    /// Each error names the file at fault: the images, the labels, or both when they disagree.
    #[test]
    fn a_decode_error_names_the_bad_file() {
        let f = files(&toy(2), &toy(1));
        let with = |i: usize, bytes: Vec<u8>| {
            let mut f = f.clone();
            f[i] = bytes;
            decode(&f).unwrap_err()
        };
        let cut = |i: usize| f[i][..f[i].len() - 4].to_vec();
        assert_eq!(
            with(0, cut(0)),
            format!(
                "train-images-idx3-ubyte.gz: truncated IDX file: the header announces {} data bytes but the file holds {}",
                20 * PIXELS,
                20 * PIXELS - 4
            )
        );
        assert_eq!(
            with(1, cut(1)),
            "train-labels-idx1-ubyte.gz: truncated IDX file: the header announces 20 data bytes but the file holds 16"
        );
        assert!(
            with(2, b"<!DOCTYPE html>".to_vec())
                .starts_with("t10k-images-idx3-ubyte.gz: not an IDX file"),
        );
        assert!(with(3, vec![0x1f, 0x8b, 8, 0]).starts_with("t10k-labels-idx1-ubyte.gz: "));
        // The test labels of the training set: the pair disagrees, both are named.
        assert_eq!(
            with(3, f[1].clone()),
            "t10k-images-idx3-ubyte.gz / t10k-labels-idx1-ubyte.gz: the image file holds 10 images but the label file holds 20 labels"
        );
    }

    /// The pair seen in the wild (5478275×28×28 over 304 bytes, a product that wraps to 304 on
    /// wasm32, and as many labels): an error naming the image file, not a panic.
    #[test]
    fn the_crafted_file_is_refused_and_named() {
        let mut images = vec![0, 0, 8, 3];
        for d in [5_478_275u32, 28, 28] {
            images.extend_from_slice(&d.to_be_bytes());
        }
        images.extend_from_slice(&[0; 304]);
        let mut labels = vec![0, 0, 8, 1];
        labels.extend_from_slice(&5_478_275u32.to_be_bytes());
        labels.resize(labels.len() + 5_478_275, 0);
        let f = files(&toy(2), &toy(1));
        let crafted = vec![images, labels, f[2].clone(), f[3].clone()];
        assert_eq!(
            decode(&crafted).unwrap_err(),
            "train-images-idx3-ubyte.gz: corrupt IDX header: it announces 5478275 items, more than the 1000000 this lab accepts (Fashion-MNIST's largest file has 60000)"
        );
    }
}
