//! How long vectorizing IMDB takes (a benchmark, not a test):
//! `cargo run --release -p lab-text --example vectorize_imdb [DIR]` (default
//! `static/data/imdb`, written by `cargo xtask data`).

use std::path::PathBuf;

use lab_spec::text::{VectorizerConfig, Weighting};
use lab_text::Vectorizer;
use web_time::Instant;

fn main() -> Result<(), String> {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("static/data/imdb"), PathBuf::from);
    let started = Instant::now();
    let data = lab_data::imdb::load_dir(&dir)?;
    println!(
        "read {} + {} reviews in {:.2} s",
        data.train.len(),
        data.test.len(),
        started.elapsed().as_secs_f64()
    );
    let train: Vec<&str> = data.train.texts.iter().map(String::as_str).collect();
    let test: Vec<&str> = data.test.texts.iter().map(String::as_str).collect();
    for weighting in [Weighting::Tfidf, Weighting::Counts] {
        let config = VectorizerConfig {
            weighting,
            ..VectorizerConfig::default()
        };
        let started = Instant::now();
        let (v, rows) = Vectorizer::fit_transform(&config, &train).map_err(|e| e.to_string())?;
        let fit = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let test_rows = v.transform(&test);
        let transform = started.elapsed().as_secs_f64();
        println!(
            "{weighting:?}, max_features {}: fit_transform of {} training reviews {fit:.2} s \
             ({} non-zeros, {:.1} MB as CSR), transform of {} test reviews {transform:.2} s",
            config.max_features,
            rows.len(),
            rows.nnz(),
            (rows.nnz() * 8 + rows.indptr.len() * 8) as f64 / 1e6,
            test_rows.len(),
        );
        let top = v.top_terms(rows.row(12_500), 8);
        println!("  the first positive training review's top terms: {top:?}");
    }
    Ok(())
}
