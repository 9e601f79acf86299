//! IMDB for the CLI: the reviews `cargo xtask data` converted, turned into TF-IDF (or count)
//! rows by the config's vectorizer — fitted on the training reviews only, as seed 004 does.

use anyhow::{Result, anyhow};
use lab_engine::lab_data::imdb::load_dir;
use lab_engine::lab_spec::text::VectorizerConfig;
use lab_engine::session::SparseData;
use lab_text::Vectorizer;
use web_time::Instant;

/// Where the reviews are unless `--data` says otherwise (what `cargo xtask data` writes).
pub const DEFAULT_DIR: &str = "static/data/imdb";

fn texts(reviews: &[String]) -> Vec<&str> {
    reviews.iter().map(String::as_str).collect()
}

/// The reviews in `dir` (or the default folder), vectorized with `settings`.
pub fn sparse_data(dir: Option<&str>, settings: &VectorizerConfig) -> Result<SparseData> {
    let imdb =
        load_dir(std::path::Path::new(dir.unwrap_or(DEFAULT_DIR))).map_err(|e| anyhow!(e))?;
    let started = Instant::now();
    let (vectorizer, train) = Vectorizer::fit_transform(settings, &texts(&imdb.train.texts))
        .map_err(|e| anyhow!("invalid config: {e}"))?;
    let test = vectorizer.transform(&texts(&imdb.test.texts));
    eprintln!(
        "vectorized {} training and {} test reviews into {} features in {:.2} s",
        train.len(),
        test.len(),
        vectorizer.vocabulary().len(),
        started.elapsed().as_secs_f64()
    );
    Ok(SparseData {
        train,
        train_labels: imdb.train.labels,
        test,
        test_labels: imdb.test.labels,
    })
}
