//! The vectorizer against scikit-learn 1.9 on 2,778 IMDB training reviews and 500 test
//! reviews (tests/fixtures/make_fixtures.py; the texts are in the fixture): the vocabulary, the
//! idf, and the rows of TF-IDF and counts, fitted on the training reviews and applied to both.

use std::collections::HashSet;
use std::io::Read;

use lab_data::SparseRows;
use lab_spec::text::{StopWords, VectorizerConfig, Weighting};
use lab_text::Vectorizer;
use serde::Deserialize;

#[derive(Deserialize)]
struct Row {
    row: usize,
    columns: Vec<u32>,
    values: Vec<f64>,
}

#[derive(Deserialize)]
struct Summary {
    nnz: Vec<usize>,
    sums: Vec<f64>,
}

#[derive(Deserialize)]
struct Rows {
    train: Vec<Row>,
    test: Vec<Row>,
    train_summary: Summary,
    test_summary: Summary,
}

#[derive(Deserialize)]
struct Fixture {
    max_features: usize,
    train_texts: Vec<String>,
    test_texts: Vec<String>,
    sklearn_vocabulary: Vec<String>,
    sklearn_counts: Vec<u64>,
    cutoff_count: u64,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    tfidf: Rows,
    counts: Rows,
}

fn fixture() -> Fixture {
    let gz = include_bytes!("fixtures/sklearn_imdb.json.gz");
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut json)
        .expect("the fixture is gzip");
    serde_json::from_slice(&json).expect("the fixture's JSON")
}

fn config(f: &Fixture, weighting: Weighting) -> VectorizerConfig {
    VectorizerConfig {
        max_features: f.max_features,
        stop_words: StopWords::English,
        weighting,
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Each column's total over the rows.
fn column_sums(rows: &SparseRows) -> Vec<u64> {
    let mut sums = vec![0u64; rows.n_cols];
    for (&c, &v) in rows.indices.iter().zip(&rows.values) {
        sums[c as usize] += v as u64;
    }
    sums
}

/// The stored rows and every row's entry count and sum, within `tol`.
fn check_rows(name: &str, ours: &SparseRows, rows: &[Row], summary: &Summary, tol: f64) {
    assert_eq!(ours.len(), summary.nnz.len(), "{name}: rows");
    for r in rows {
        let (cols, values) = ours.row(r.row);
        assert_eq!(cols, &r.columns[..], "{name} row {}: columns", r.row);
        for (i, (&a, &b)) in values.iter().zip(&r.values).enumerate() {
            assert!(
                (f64::from(a) - b).abs() <= tol,
                "{name} row {} column {}: {a} vs scikit-learn's {b}",
                r.row,
                cols[i]
            );
        }
    }
    for (row, (&nnz, &sum)) in summary.nnz.iter().zip(&summary.sums).enumerate() {
        let (cols, values) = ours.row(row);
        assert_eq!(cols.len(), nnz, "{name} row {row}: entries");
        let ours: f64 = values.iter().map(|&v| f64::from(v)).sum();
        assert!(
            (ours - sum).abs() <= tol * 100.0,
            "{name} row {row}: sum {ours} vs scikit-learn's {sum}"
        );
    }
}

#[test]
fn vocabulary_matches_scikit_learn_up_to_ties_at_the_cut_off() {
    let f = fixture();
    let (v, counts) =
        Vectorizer::fit_transform(&config(&f, Weighting::Counts), &strs(&f.train_texts)).unwrap();
    // The lab's choice among the tied terms: the alphabetically first ones.
    assert_eq!(v.vocabulary(), &f.vocabulary[..]);
    // Against scikit-learn's own choice: the same terms above the cut-off count, and every
    // term where the two differ is at the cut-off count in both.
    let our_counts = column_sums(&counts);
    let ours: HashSet<&str> = v.vocabulary().iter().map(String::as_str).collect();
    let theirs: HashSet<&str> = f.sklearn_vocabulary.iter().map(String::as_str).collect();
    assert_eq!(ours.len(), theirs.len());
    for (t, &n) in f.sklearn_vocabulary.iter().zip(&f.sklearn_counts) {
        assert!(n >= f.cutoff_count);
        if n > f.cutoff_count {
            assert!(ours.contains(t.as_str()), "{t} ({n}) is missing");
        } else if !ours.contains(t.as_str()) {
            assert_eq!(n, f.cutoff_count, "{t}");
        }
    }
    for (t, &n) in v.vocabulary().iter().zip(&our_counts) {
        if let Some(i) = f.sklearn_vocabulary.iter().position(|s| s == t) {
            assert_eq!(n, f.sklearn_counts[i], "{t}: count");
        } else {
            assert_eq!(
                n, f.cutoff_count,
                "{t} is not scikit-learn's and above the cut-off"
            );
        }
    }
    let differ = ours.symmetric_difference(&theirs).count();
    eprintln!(
        "cut-off count {}: {differ} tied terms differ from scikit-learn's choice",
        f.cutoff_count
    );
}

#[test]
fn tfidf_idf_and_rows_match_scikit_learn() {
    let f = fixture();
    let c = config(&f, Weighting::Tfidf);
    let (v, train) = Vectorizer::fit_transform(&c, &strs(&f.train_texts)).unwrap();
    assert_eq!(v.vocabulary(), &f.vocabulary[..]);
    assert_eq!(v.idf().len(), f.idf.len());
    for (i, (&a, &b)) in v.idf().iter().zip(&f.idf).enumerate() {
        assert!(
            (a - b).abs() < 1e-12,
            "idf of {}: {a} vs {b}",
            f.vocabulary[i]
        );
    }
    check_rows(
        "tfidf train",
        &train,
        &f.tfidf.train,
        &f.tfidf.train_summary,
        1e-6,
    );
    let test = v.transform(&strs(&f.test_texts));
    check_rows(
        "tfidf test",
        &test,
        &f.tfidf.test,
        &f.tfidf.test_summary,
        1e-6,
    );
    // fit then transform gives fit_transform's rows.
    let fitted = Vectorizer::fit(&c, &strs(&f.train_texts)).unwrap();
    assert_eq!(fitted.transform(&strs(&f.train_texts)), train);
}

#[test]
fn counts_match_scikit_learn() {
    let f = fixture();
    let (v, train) =
        Vectorizer::fit_transform(&config(&f, Weighting::Counts), &strs(&f.train_texts)).unwrap();
    check_rows(
        "counts train",
        &train,
        &f.counts.train,
        &f.counts.train_summary,
        0.0,
    );
    let test = v.transform(&strs(&f.test_texts));
    check_rows(
        "counts test",
        &test,
        &f.counts.test,
        &f.counts.test_summary,
        0.0,
    );
}
