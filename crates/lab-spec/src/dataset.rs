//! The data sets' fixed facts, in one place for every part: which data set a config trains on,
//! Fashion-MNIST's image size, classes and the names of its four official files, IMDB's two
//! classes. lab-data reads the files with them; the page labels its views with them (so the
//! page does not depend on lab-data).

use serde::{Deserialize, Serialize};

/// The data set a config trains on. JSON: `"fashion-mnist"` (the default) or `"imdb"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    /// Fashion-MNIST: 28×28 grey images of ten clothing classes.
    #[default]
    FashionMnist,
    /// The Large Movie Review Dataset (Maas et al., ACL 2011): reviews, negative or positive.
    Imdb,
}

impl DatasetKind {
    pub fn is_fashion_mnist(&self) -> bool {
        *self == DatasetKind::FashionMnist
    }

    /// The name in configs and URLs (`fashion-mnist`, `imdb`).
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::FashionMnist => "fashion-mnist",
            DatasetKind::Imdb => "imdb",
        }
    }

    /// The class names, by label.
    pub fn class_names(self) -> &'static [&'static str] {
        match self {
            DatasetKind::FashionMnist => &CLASS_NAMES,
            DatasetKind::Imdb => &IMDB_CLASS_NAMES,
        }
    }
}

/// IMDB's class names, by label (1 = positive, the class whose precision, recall and F1 a
/// binary report gives).
pub const IMDB_CLASS_NAMES: [&str; 2] = ["negative", "positive"];

/// Side of an image in pixels.
pub const SIDE: usize = 28;
/// Pixels per image (28 × 28).
pub const PIXELS: usize = SIDE * SIDE;
/// Number of classes.
pub const NUM_CLASSES: usize = 10;
/// Fashion-MNIST's class names, by label.
pub const CLASS_NAMES: [&str; NUM_CLASSES] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The official file names, in the order train images, train labels, test images, test labels.
pub const FILE_NAMES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_names_are_the_urls() {
        for kind in [DatasetKind::FashionMnist, DatasetKind::Imdb] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<DatasetKind>(&json).unwrap(), kind);
        }
        assert_eq!(DatasetKind::default(), DatasetKind::FashionMnist);
        assert_eq!(DatasetKind::Imdb.class_names(), ["negative", "positive"]);
        assert_eq!(DatasetKind::FashionMnist.class_names().len(), NUM_CLASSES);
    }
}
