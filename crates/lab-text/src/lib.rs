//! Reviews into features (step 4 on IMDB), without any tensor library: scikit-learn 1.x's
//! `TfidfVectorizer` and `CountVectorizer` with the settings of
//! [`lab_spec::text::VectorizerConfig`], producing [`lab_data::SparseRows`].
//!
//! - [`tokenize`]: Python's `str.lower()` then the token pattern `(?u)\b\w\w+\b` (runs of two or
//!   more of Python's word characters), with the tokens' byte spans in the original text.
//! - [`stop_words`]: scikit-learn's English stop-word list.
//! - [`vectorizer`]: the vocabulary (the `max_features` most frequent terms of the training
//!   reviews, then alphabetical), the smooth idf, counts or l2-normalised TF-IDF rows.

pub mod stop_words;
pub mod tokenize;
pub mod vectorizer;
mod word_chars;

pub use tokenize::tokens;
pub use vectorizer::{TextError, Vectorizer};
