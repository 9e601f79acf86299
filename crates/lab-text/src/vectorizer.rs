//! scikit-learn 1.x's `TfidfVectorizer` / `CountVectorizer` with the lab's settings
//! ([`VectorizerConfig`]) and its defaults otherwise (lowercase, `(?u)\b\w\w+\b`, no n-grams,
//! `max_df=1.0`, `min_df=1`, smooth idf, l2 norm, no sublinear tf):
//!
//! - fit on the training reviews: every token counted (stop words dropped), the vocabulary is
//!   the `max_features` terms of the highest total count, then sorted alphabetically (a term's
//!   column is its alphabetical rank, as in `vocabulary_`); scikit-learn picks among terms tied
//!   at the cut-off count with an unstable sort, so which of those it keeps is arbitrary: here
//!   the alphabetically first ones;
//! - idf = ln((1 + n) / (1 + df)) + 1 over the n training reviews;
//! - TF-IDF rows: count × idf, each row divided by its l2 norm (an empty row stays empty);
//!   Counts rows: the counts.
//!
//! Everything is computed in `f64` as scikit-learn does, then stored as `f32`.

use lab_data::SparseRows;
use lab_spec::ConfigError;
use lab_spec::text::{StopWords, VectorizerConfig, Weighting};
use rustc_hash::FxHashMap;

use crate::stop_words::ENGLISH_STOP_WORDS;
use crate::tokenize::for_each_token;

/// A vectorizer's error names the field at fault, as a config's does (`vectorizer` for an
/// empty vocabulary, `vectorizer.max_features` for a bad setting).
pub type TextError = ConfigError;

/// The field of an error about the vectorizer as a whole.
pub const FIELD: &str = "vectorizer";

/// A fitted vectorizer: its vocabulary and idf, ready to turn reviews into rows.
#[derive(Clone, Debug)]
pub struct Vectorizer {
    config: VectorizerConfig,
    /// The terms, alphabetical: column `c` is `vocabulary[c]`.
    vocabulary: Vec<String>,
    columns: FxHashMap<String, u32>,
    /// The smooth idf of each column.
    idf: Vec<f64>,
}

/// Counting the training reviews: each distinct token gets an id as it is first seen.
#[derive(Default)]
struct Counts {
    ids: FxHashMap<String, u32>,
    terms: Vec<String>,
    stop: Vec<bool>,
    /// Total count and document frequency of each id.
    tf: Vec<u64>,
    df: Vec<u64>,
    /// Each review's `(id, count)`, reviews one after the other (`doc_ptr` as in CSR).
    entries: Vec<(u32, u32)>,
    doc_ptr: Vec<usize>,
}

impl Counts {
    fn of(config: &VectorizerConfig, docs: &[&str]) -> Self {
        let english = config.stop_words == StopWords::English;
        let mut c = Counts {
            doc_ptr: vec![0],
            ..Counts::default()
        };
        let mut term = String::new();
        let mut ids_in_doc: Vec<u32> = Vec::new();
        for doc in docs {
            ids_in_doc.clear();
            for_each_token(doc, &mut term, |t, _, _| {
                let id = match c.ids.get(t) {
                    Some(&id) => id,
                    None => {
                        let id = c.terms.len() as u32;
                        c.ids.insert(t.to_owned(), id);
                        c.terms.push(t.to_owned());
                        c.stop
                            .push(english && ENGLISH_STOP_WORDS.binary_search(&t).is_ok());
                        c.tf.push(0);
                        c.df.push(0);
                        id
                    }
                };
                if !c.stop[id as usize] {
                    ids_in_doc.push(id);
                }
            });
            for (id, n) in run_lengths(&mut ids_in_doc) {
                c.tf[id as usize] += u64::from(n);
                c.df[id as usize] += 1;
                c.entries.push((id, n));
            }
            c.doc_ptr.push(c.entries.len());
        }
        c
    }
}

/// `ids` sorted, as `(id, how many times)`.
fn run_lengths(ids: &mut [u32]) -> impl Iterator<Item = (u32, u32)> + '_ {
    ids.sort_unstable();
    ids.chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len() as u32))
}

/// scikit-learn's smooth idf: ln((1 + n) / (1 + df)) + 1, the division done first as there.
fn smooth_idf(n_docs: usize, df: u64) -> f64 {
    ((n_docs as f64 + 1.0) / (df as f64 + 1.0)).ln() + 1.0
}

impl Vectorizer {
    /// Fits the vocabulary and idf on `docs` (the training reviews).
    pub fn fit(config: &VectorizerConfig, docs: &[&str]) -> Result<Self, TextError> {
        Ok(Self::fit_counts(config, docs)?.0)
    }

    /// Fits on `docs` and returns their rows too, reading them once (scikit-learn's
    /// `fit_transform`; the same rows as `fit` then `transform`).
    pub fn fit_transform(
        config: &VectorizerConfig,
        docs: &[&str],
    ) -> Result<(Self, SparseRows), TextError> {
        let (v, counts, column_of_id) = Self::fit_counts(config, docs)?;
        let mut rows = SparseRows::new(v.vocabulary.len());
        let mut row = Vec::new();
        for d in 0..docs.len() {
            row.clear();
            row.extend(
                counts.entries[counts.doc_ptr[d]..counts.doc_ptr[d + 1]]
                    .iter()
                    .filter_map(|&(id, n)| {
                        let col = column_of_id[id as usize];
                        (col != u32::MAX).then_some((col, n))
                    }),
            );
            v.push_row(&mut rows, &mut row);
        }
        Ok((v, rows))
    }

    /// The fitted vectorizer, the counts it was fitted on, and each id's column (`u32::MAX`
    /// when the term is not in the vocabulary).
    fn fit_counts(
        config: &VectorizerConfig,
        docs: &[&str],
    ) -> Result<(Self, Counts, Vec<u32>), TextError> {
        config.validate()?;
        let counts = Counts::of(config, docs);
        let mut kept: Vec<u32> = (0..counts.terms.len() as u32)
            .filter(|&id| counts.tf[id as usize] > 0)
            .collect();
        if kept.is_empty() {
            let why = if counts.terms.is_empty() {
                "the reviews hold no words of two letters or more"
            } else {
                "every word of the reviews is a stop word"
            };
            return Err(ConfigError::new(
                FIELD,
                format!("empty vocabulary: {why}, so there is nothing to count"),
            ));
        }
        if kept.len() > config.max_features {
            // The most frequent first; among equal counts, alphabetical.
            kept.sort_unstable_by(|&a, &b| {
                let (a, b) = (a as usize, b as usize);
                counts.tf[b]
                    .cmp(&counts.tf[a])
                    .then_with(|| counts.terms[a].cmp(&counts.terms[b]))
            });
            kept.truncate(config.max_features);
        }
        kept.sort_unstable_by(|&a, &b| counts.terms[a as usize].cmp(&counts.terms[b as usize]));
        let mut column_of_id = vec![u32::MAX; counts.terms.len()];
        for (col, &id) in kept.iter().enumerate() {
            column_of_id[id as usize] = col as u32;
        }
        let vocabulary: Vec<String> = kept
            .iter()
            .map(|&id| counts.terms[id as usize].clone())
            .collect();
        let columns = vocabulary
            .iter()
            .enumerate()
            .map(|(col, t)| (t.clone(), col as u32))
            .collect();
        let idf = kept
            .iter()
            .map(|&id| smooth_idf(docs.len(), counts.df[id as usize]))
            .collect();
        let v = Vectorizer {
            config: *config,
            vocabulary,
            columns,
            idf,
        };
        Ok((v, counts, column_of_id))
    }

    /// The rows of `docs` (any reviews: the training ones or the test ones) with the fitted
    /// vocabulary and idf; words outside the vocabulary are ignored.
    pub fn transform(&self, docs: &[&str]) -> SparseRows {
        let mut rows = SparseRows::new(self.vocabulary.len());
        let mut term = String::new();
        let mut cols = Vec::new();
        let mut row = Vec::new();
        for doc in docs {
            cols.clear();
            for_each_token(doc, &mut term, |t, _, _| {
                if let Some(&col) = self.columns.get(t) {
                    cols.push(col);
                }
            });
            row.clear();
            row.extend(run_lengths(&mut cols));
            self.push_row(&mut rows, &mut row);
        }
        rows
    }

    /// Appends one review's row from its `(column, count)` pairs (sorted by column).
    fn push_row(&self, rows: &mut SparseRows, counts: &mut [(u32, u32)]) {
        let mut entries: Vec<(u32, f32)> = match self.config.weighting {
            Weighting::Counts => counts.iter().map(|&(c, n)| (c, n as f32)).collect(),
            Weighting::Tfidf => {
                let w: Vec<f64> = counts
                    .iter()
                    .map(|&(c, n)| f64::from(n) * self.idf[c as usize])
                    .collect();
                let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
                let norm = if norm == 0.0 { 1.0 } else { norm };
                counts
                    .iter()
                    .zip(&w)
                    .map(|(&(c, _), &x)| (c, (x / norm) as f32))
                    .collect()
            }
        };
        rows.push_row(&mut entries);
    }

    /// The settings it was fitted with.
    pub fn config(&self) -> &VectorizerConfig {
        &self.config
    }

    /// The terms, alphabetical: column `c` holds `vocabulary()[c]`.
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// The column of `term` (lowercase), if it is in the vocabulary.
    pub fn column(&self, term: &str) -> Option<u32> {
        self.columns.get(term).copied()
    }

    /// Each column's smooth idf (used by TF-IDF only; counts ignore it).
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// The `k` highest-weighted terms of a row (`SparseRows::row`), highest first; equal
    /// weights in alphabetical order.
    pub fn top_terms(&self, row: (&[u32], &[f32]), k: usize) -> Vec<(String, f32)> {
        let (cols, values) = row;
        let mut entries: Vec<(u32, f32)> =
            cols.iter().copied().zip(values.iter().copied()).collect();
        entries.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        entries
            .into_iter()
            .take(k)
            .filter_map(|(c, v)| Some((self.vocabulary.get(c as usize)?.clone(), v)))
            .collect()
    }

    /// The tokens of `text` that are features: `(start, end, column)`, byte spans in `text`
    /// (to highlight a review's terms).
    pub fn feature_spans(&self, text: &str) -> Vec<(usize, usize, u32)> {
        let mut out = Vec::new();
        for_each_token(text, &mut String::new(), |t, s, e| {
            if let Some(&col) = self.columns.get(t) {
                out.push((s, e, col));
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(
        max_features: usize,
        stop_words: StopWords,
        weighting: Weighting,
    ) -> VectorizerConfig {
        VectorizerConfig {
            max_features,
            stop_words,
            weighting,
        }
    }

    const DOCS: [&str; 4] = [
        "The movie was great, a great movie!",
        "The plot was dull and the acting dull.",
        "Great acting; the plot? Dull.",
        "zebra",
    ];

    #[test]
    fn counts_drop_stop_words_and_sort_the_vocabulary() {
        let c = config(100, StopWords::English, Weighting::Counts);
        let (v, rows) = Vectorizer::fit_transform(&c, &DOCS).unwrap();
        // "the", "was", "and", "a" are stop words.
        assert_eq!(
            v.vocabulary(),
            ["acting", "dull", "great", "movie", "plot", "zebra"]
        );
        assert_eq!(rows.len(), 4);
        assert_eq!(rows.row(0), (&[2u32, 3][..], &[2.0f32, 2.0][..]));
        assert_eq!(rows.row(1), (&[0u32, 1, 4][..], &[1.0f32, 2.0, 1.0][..]));
        assert_eq!(v.transform(&DOCS), rows);
        let none = config(100, StopWords::None, Weighting::Counts);
        let v = Vectorizer::fit(&none, &DOCS).unwrap();
        assert!(v.column("the").is_some() && v.column("was").is_some());
        assert_eq!(v.column("a"), None); // one letter: never a token
    }

    #[test]
    fn max_features_keeps_the_most_frequent_and_breaks_ties_alphabetically() {
        // Totals: dull 3, great 3, acting 2, movie 2, plot 2, zebra 1.
        let c = config(3, StopWords::English, Weighting::Counts);
        let v = Vectorizer::fit(&c, &DOCS).unwrap();
        // "acting", "movie" and "plot" tie at 2: the alphabetically first is kept.
        assert_eq!(v.vocabulary(), ["acting", "dull", "great"]);
        let c = config(1, StopWords::English, Weighting::Counts);
        assert_eq!(Vectorizer::fit(&c, &DOCS).unwrap().vocabulary(), ["dull"]);
    }

    #[test]
    fn tfidf_is_count_times_smooth_idf_l2_normalised() {
        let c = config(100, StopWords::English, Weighting::Tfidf);
        let (v, rows) = Vectorizer::fit_transform(&c, &DOCS).unwrap();
        // "great" is in 2 of 4 reviews: ln(5/3) + 1.
        let great = v.column("great").unwrap() as usize;
        assert!((v.idf()[great] - ((5.0f64 / 3.0).ln() + 1.0)).abs() < 1e-15);
        let zebra = v.column("zebra").unwrap() as usize;
        assert!((v.idf()[zebra] - ((5.0f64 / 2.0).ln() + 1.0)).abs() < 1e-15);
        for r in 0..rows.len() {
            let norm: f64 = rows.row(r).1.iter().map(|&x| f64::from(x).powi(2)).sum();
            assert!((norm - 1.0).abs() < 1e-6, "row {r}: {norm}");
        }
        // Row 0: great ×2 (in two reviews) and movie ×2 (in one).
        let (g, m) = ((5.0f64 / 3.0).ln() + 1.0, (5.0f64 / 2.0).ln() + 1.0);
        let n = (g * g + m * m).sqrt();
        assert_eq!(rows.row(0).0, [great as u32, v.column("movie").unwrap()]);
        assert_eq!(rows.row(0).1, [(g / n) as f32, (m / n) as f32]);
        // A review with no known word is an empty row, not NaN.
        let empty = v.transform(&["nothing known here", ""]);
        assert_eq!((empty.len(), empty.nnz()), (2, 0));
    }

    #[test]
    fn top_terms_and_spans() {
        let c = config(100, StopWords::English, Weighting::Tfidf);
        let (v, rows) = Vectorizer::fit_transform(&c, &DOCS).unwrap();
        let top = v.top_terms(rows.row(1), 2);
        assert_eq!(top[0].0, "dull");
        assert_eq!(top.len(), 2);
        assert!(top[0].1 > top[1].1);
        assert_eq!(v.top_terms(rows.row(3), 5), [("zebra".to_owned(), 1.0)]);
        let text = "A DULL Zebra, the end.";
        let spans: Vec<&str> = v
            .feature_spans(text)
            .iter()
            .map(|&(s, e, _)| &text[s..e])
            .collect();
        assert_eq!(spans, ["DULL", "Zebra"]);
    }

    #[test]
    fn an_empty_vocabulary_names_the_vectorizer() {
        let c = config(10, StopWords::English, Weighting::Tfidf);
        let err = Vectorizer::fit(&c, &["The and of it, a b c", "were them"]).unwrap_err();
        assert_eq!(err.field, "vectorizer");
        assert!(err.message.contains("stop word"), "{err}");
        let err = Vectorizer::fit(&c, &["a b ! ?", ""]).unwrap_err();
        assert_eq!(err.field, "vectorizer");
        assert!(err.message.contains("no words"), "{err}");
        assert_eq!(Vectorizer::fit(&c, &[]).unwrap_err().field, "vectorizer");
        let zero = config(0, StopWords::English, Weighting::Tfidf);
        assert_eq!(
            Vectorizer::fit(&zero, &DOCS).unwrap_err().field,
            "vectorizer.max_features"
        );
    }

    #[test]
    fn stop_words_are_scikit_learns() {
        assert_eq!(ENGLISH_STOP_WORDS.len(), 318);
        assert!(ENGLISH_STOP_WORDS.is_sorted());
        for w in [
            "the",
            "and",
            "whereafter",
            "amoungst",
            "bill",
            "cry",
            "ltd",
            "un",
        ] {
            assert!(ENGLISH_STOP_WORDS.binary_search(&w).is_ok(), "{w}");
        }
        for w in ["movie", "film", "don", "good", "bad", "t", "s"] {
            assert!(ENGLISH_STOP_WORDS.binary_search(&w).is_err(), "{w}");
        }
    }
}
