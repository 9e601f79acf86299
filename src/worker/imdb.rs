//! The IMDB half of the worker: the reviews (downloaded with progress as Fashion-MNIST is,
//! `download.rs`, or taken from the Cache API), vectorized with a run's settings in the worker
//! (the last vectorizer and its rows are kept, so runs with the same settings do not vectorize
//! again), and the jobs on them: train (Stop works as for images), tune, evaluate a checkpoint,
//! the reviews of a confusion-matrix cell and a review's top-weighted terms, each review with
//! the byte spans of its terms to highlight. The matrix is never densified: the engine builds
//! dense batches on the fly.

use std::rc::Rc;

use lab_data::imdb::{self, Imdb, Reviews, TEST_FILE, TRAIN_FILE};
use lab_engine::data::Normalizer;
use lab_engine::model::Network;
use lab_engine::session::{self, SparseData};
use lab_engine::training::{TrainError, evaluate, evaluate_with_predictions};
use lab_engine::weights;
use lab_spec::text::VectorizerConfig;
use lab_spec::tuning::{TunerConfig, Values};
use lab_spec::worker::{Reply, ReviewTerms, SampleReview, TextSummary};
use lab_spec::{ClassificationReport, TrainingConfig};
use lab_text::Vectorizer;
use web_time::Instant;

use super::backend::{checkpoint_device, run_options};
use super::console;
use super::data::{Origin, describe_base};
use super::run_store::RunStore;
use super::sink::{EventSink, Outbox, Route};
use super::state::State;
use super::warm_up::settle_warm_up;

/// The two files, in the order they are fetched and decoded (natively only the tests decode).
#[cfg_attr(not(any(target_arch = "wasm32", test)), allow(dead_code))]
pub const FILES: [&str; 2] = [TRAIN_FILE, TEST_FILE];
/// Sample reviews in the summary (half of each label) and their beginning's length.
pub const SAMPLES: usize = 6;
pub const SAMPLE_CHARS: usize = 400;
/// Terms highlighted in a review.
pub const TOP_TERMS: usize = 10;
/// Reviews sent for one confusion-matrix cell.
pub const CELL_REVIEWS: usize = 12;

/// The reviews vectorized with one set of settings: the fitted vectorizer and the rows.
pub struct Vectorized {
    pub config: VectorizerConfig,
    pub vectorizer: Vectorizer,
    pub data: SparseData,
    /// Seconds taken: fitting on the training reviews and transforming them, then
    /// transforming the test reviews (`cargo xtask bench` reads them from the console).
    pub train_seconds: f64,
    pub test_seconds: f64,
}

/// The console line after vectorizing, which `cargo xtask bench` reads: `vectorized 25000
/// training reviews in 1.23 s and 25000 test reviews in 0.45 s (10000 features, …)`.
pub fn vectorized_line(train: usize, test: usize, v: &Vectorized) -> String {
    format!(
        "vectorized {train} training reviews in {:.2} s and {test} test reviews in {:.2} s \
         ({} features, {:?} stop words, {:?})",
        v.train_seconds,
        v.test_seconds,
        v.vectorizer.vocabulary().len(),
        v.config.stop_words,
        v.config.weighting,
    )
}

/// The console line after an IMDB run trained, which `cargo xtask bench` reads: `IMDB run 3
/// epoch seconds: 12.34, 11.90`.
pub fn epoch_seconds_line(run: u32, epochs: &[lab_spec::EpochLogs]) -> String {
    let seconds: Vec<String> = epochs.iter().map(|e| format!("{:.2}", e.seconds)).collect();
    format!("IMDB run {run} epoch seconds: {}", seconds.join(", "))
}

/// Decodes the two files (gzip or plain); the error names the file at fault.
#[cfg_attr(not(any(target_arch = "wasm32", test)), allow(dead_code))]
pub fn decode(files: &[Vec<u8>]) -> Result<Imdb, String> {
    let [train, test] = files else {
        return Err(format!(
            "the IMDB data needs two files ({})",
            FILES.join(", ")
        ));
    };
    let read = |bytes: &[u8], name: &str| imdb::parse(bytes).map_err(|e| format!("{name}: {e}"));
    Ok(Imdb {
        train: read(train, TRAIN_FILE)?,
        test: read(test, TEST_FILE)?,
    })
}

/// Downloads (or takes from the cache) and decodes the reviews under `base`.
#[cfg(target_arch = "wasm32")]
pub async fn load(base: &str, outbox: &Outbox) -> Result<(Imdb, Origin), String> {
    let progress = |loaded, total| Reply::ImdbProgress { loaded, total };
    let (data, from_cache) =
        super::download::fetch_set(base, &FILES, decode, progress, outbox).await?;
    let source = describe_base(base);
    Ok((data, Origin { from_cache, source }))
}

/// Natively (tests) there is no server to download from.
#[cfg(not(target_arch = "wasm32"))]
pub async fn load(base: &str, _outbox: &Outbox) -> Result<(Imdb, Origin), String> {
    Err(format!(
        "{}: downloading needs a browser",
        describe_base(base)
    ))
}

/// Words in a review, as the vectorizer's tokenizer counts them.
fn words(text: &str) -> usize {
    lab_text::tokens(text).count()
}

/// The beginning of `text`, at most `max` bytes, cut at a character boundary ("…" added).
pub fn beginning(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text[..end].trim_end())
}

/// What step 1 shows of the reviews: class counts, the naive baseline, lengths, samples of
/// both labels (alternating, the first of each in the training set's order).
pub fn summary(data: &Imdb, origin: Origin) -> TextSummary {
    let train_counts = data.train.label_counts().to_vec();
    let test_counts = data.test.label_counts().to_vec();
    let test_total: usize = test_counts.iter().sum();
    let naive = if test_total == 0 {
        0.0
    } else {
        *test_counts.iter().max().unwrap_or(&0) as f64 / test_total as f64
    };
    let mut lengths: Vec<usize> = data.train.texts.iter().map(|t| words(t)).collect();
    lengths.sort_unstable();
    let mean = if lengths.is_empty() {
        0.0
    } else {
        lengths.iter().sum::<usize>() as f64 / lengths.len() as f64
    };
    let median = lengths.get(lengths.len() / 2).copied().unwrap_or(0);
    let mut samples = Vec::new();
    let mut per_label = [0usize; 2];
    for (i, (text, &label)) in data.train.texts.iter().zip(&data.train.labels).enumerate() {
        let l = usize::from(label.min(1));
        if per_label[l] < SAMPLES / 2 {
            per_label[l] += 1;
            samples.push(SampleReview {
                index: i,
                label,
                text: beginning(text, SAMPLE_CHARS),
                words: words(text),
            });
        }
        if samples.len() == SAMPLES {
            break;
        }
    }
    // Alternate negative and positive.
    samples.sort_by_key(|s| {
        let rank = samples_rank(&data.train, s.index);
        (rank, s.label)
    });
    TextSummary {
        train_counts,
        test_counts,
        naive_baseline_accuracy: naive,
        samples,
        mean_words: mean,
        median_words: median,
        from_cache: origin.from_cache,
        source: origin.source,
    }
}

/// The place of review `index` among the reviews of its label.
fn samples_rank(reviews: &Reviews, index: usize) -> usize {
    let label = reviews.labels[index];
    reviews.labels[..index]
        .iter()
        .filter(|&&l| l == label)
        .count()
}

/// The reviews vectorized with `config`: the kept ones when the settings are the same, else
/// fitted on the training reviews now (the time said on the console) and kept instead.
pub fn vectorized(state: &State, config: &VectorizerConfig) -> Result<Rc<Vectorized>, String> {
    if let Some(v) = state.vectorized.borrow().as_ref()
        && v.config == *config
    {
        return Ok(v.clone());
    }
    let data = state
        .imdb
        .borrow()
        .clone()
        .ok_or("the IMDB reviews are not loaded yet")?;
    // The previous rows go first: only one set is held at a time.
    *state.vectorized.borrow_mut() = None;
    let v = Rc::new(vectorize(&data, config)?);
    console::info(&vectorized_line(data.train.len(), data.test.len(), &v));
    *state.vectorized.borrow_mut() = Some(v.clone());
    Ok(v)
}

/// Fits `config` on the training reviews and transforms both sets.
pub fn vectorize(data: &Imdb, config: &VectorizerConfig) -> Result<Vectorized, String> {
    let started = Instant::now();
    let train: Vec<&str> = data.train.texts.iter().map(String::as_str).collect();
    let (vectorizer, rows) =
        Vectorizer::fit_transform(config, &train).map_err(|e| e.to_string())?;
    let train_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let test: Vec<&str> = data.test.texts.iter().map(String::as_str).collect();
    let test_rows = vectorizer.transform(&test);
    Ok(Vectorized {
        config: *config,
        vectorizer,
        train_seconds,
        test_seconds: started.elapsed().as_secs_f64(),
        data: SparseData {
            train: rows,
            train_labels: data.train.labels.clone(),
            test: test_rows,
            test_labels: data.test.labels.clone(),
        },
    })
}

/// Review `text` with its `k` highest-weighted terms and the spans of their occurrences.
pub fn review_terms(
    vectorizer: &Vectorizer,
    index: usize,
    text: &str,
    label: u8,
    k: usize,
) -> ReviewTerms {
    let rows = vectorizer.transform(&[text]);
    let terms = if rows.is_empty() {
        Vec::new()
    } else {
        vectorizer.top_terms(rows.row(0), k)
    };
    let columns: Vec<u32> = terms
        .iter()
        .filter_map(|(t, _)| vectorizer.column(t))
        .collect();
    let spans = vectorizer
        .feature_spans(text)
        .into_iter()
        .filter(|(_, _, c)| columns.contains(c))
        .map(|(s, e, _)| (s as u32, e as u32))
        .collect();
    ReviewTerms {
        index,
        text: text.to_string(),
        label,
        terms,
        spans,
    }
}

/// Trains and evaluates an IMDB run on the reviews vectorized with its settings.
pub async fn train(
    state: &State,
    outbox: &Outbox,
    run: u32,
    config: TrainingConfig,
) -> Result<(), String> {
    settle_warm_up(&state.warm_up).await;
    let backend = state
        .backend
        .borrow()
        .clone()
        .ok_or("the backend is not ready yet")?;
    config
        .validate(None)
        .map_err(|e| format!("invalid config: {e}"))?;
    let v = vectorized(state, &config.vectorizer())?;
    let target = backend.target(&config.model);
    let mut sink = EventSink::new(Route::Run(run, outbox.clone()), state.stop.clone());
    let end = session::train_and_evaluate_sparse_stoppable(
        &config,
        &v.data,
        &target.device,
        &mut sink,
        &target.options,
    )
    .await
    .map_err(|e| e.to_string())?;
    if let session::RunEnd::Evaluated(result) = &end {
        console::info(&epoch_seconds_line(run, &result.outcome.summary.epochs));
    }
    super::jobs::keep_run(state, outbox, run, config, end, target.cpu).await
}

/// Runs a search on the vectorized training reviews.
pub async fn tune(
    state: &State,
    outbox: &Outbox,
    search: u32,
    config: TunerConfig,
) -> Result<(), String> {
    settle_warm_up(&state.warm_up).await;
    let backend = state
        .backend
        .borrow()
        .clone()
        .ok_or("the backend is not ready yet")?;
    let invalid = |e: lab_spec::ConfigError| format!("invalid search: {e}");
    config.validate(None).map_err(invalid)?;
    let base = config.training_config(&Values::new(), 1).map_err(invalid)?;
    let v = vectorized(state, &base.vectorizer())?;
    let target = backend.target(&base.model);
    let mut sink = EventSink::new(Route::Search(search, outbox.clone()), state.stop.clone());
    session::tune_sparse(
        &config,
        &v.data.train,
        &v.data.train_labels,
        &target.device,
        &mut sink,
        &target.options,
    )
    .await
    .map_err(|e| match e {
        TrainError::Config(e) => invalid(e),
        e => e.to_string(),
    })?;
    Ok(())
}

/// Evaluates an IMDB run's checkpoint on the test reviews (vectorized with its settings).
pub async fn evaluate_checkpoint(state: &State, outbox: &Outbox, run: u32) -> Result<(), String> {
    let (config, bytes, epoch, cpu) = {
        let runs = state.runs.borrow();
        let (stored, checkpoint) = runs.checkpoint(run)?;
        (
            stored.config.clone(),
            checkpoint.bytes.clone(),
            checkpoint.epoch,
            stored.cpu,
        )
    };
    let v = vectorized(state, &config.vectorizer())?;
    let spec = &config.model;
    let device = checkpoint_device(state.backend.borrow().as_ref(), cpu, spec)?;
    let model = weights::load(&bytes, spec, &device)
        .map_err(|e| e.to_string())?
        .with_threshold(config.threshold);
    let test = v.data.test_split();
    let report = evaluate(
        &model,
        spec.input,
        &test,
        &device,
        run_options(!cpu).eval_batch_size,
    )
    .await
    .map_err(|e| e.to_string())?;
    outbox.post(Reply::Checkpoint { run, epoch, report });
    Ok(())
}

/// [`super::jobs`]' `evaluate_file` for an IMDB config: `bytes` loaded into `config.model`
/// and evaluated on the test reviews vectorized with its settings.
pub async fn evaluate_file(
    state: &State,
    config: TrainingConfig,
    bytes: Vec<u8>,
    keep_bytes: bool,
) -> Result<(Network, ClassificationReport, RunStore), String> {
    settle_warm_up(&state.warm_up).await;
    // A stored run given back at the page's start: the reviews may still be on their way.
    while state.imdb_loading.is_raised() {
        gloo_timers::future::TimeoutFuture::new(200).await;
    }
    let backend = state
        .backend
        .borrow()
        .clone()
        .ok_or("the backend is not ready yet")?;
    config
        .validate(None)
        .map_err(|e| format!("invalid config: {e}"))?;
    let v = vectorized(state, &config.vectorizer())?;
    let target = backend.target(&config.model);
    let model = weights::load(&bytes, &config.model, &target.device)
        .map_err(|e| e.to_string())?
        .with_threshold(config.threshold);
    let test = v.data.test_split();
    let (report, predictions) = evaluate_with_predictions(
        &model,
        config.model.input,
        &test,
        &target.device,
        target.options.eval_batch_size,
    )
    .await
    .map_err(|e| e.to_string())?;
    let store = RunStore {
        config,
        normalizer: Normalizer::identity(v.data.test.n_cols),
        predictions,
        final_weights: keep_bytes.then_some(bytes),
        checkpoint: None,
        cpu: target.cpu,
    };
    Ok((model, report, store))
}

/// Sends the test reviews of one confusion-matrix cell of an IMDB run, with their top terms.
pub fn reviews(state: &State, outbox: &Outbox, run: u32, actual: u8, predicted: u8) {
    let found = (|| -> Result<Vec<ReviewTerms>, String> {
        let (predictions, config) = {
            let runs = state.runs.borrow();
            let stored = runs.predictions(run)?;
            (stored.predictions.clone(), stored.config.vectorizer())
        };
        let data = state
            .imdb
            .borrow()
            .clone()
            .ok_or("the IMDB reviews are not loaded")?;
        let v = vectorized(state, &config)?;
        let indices = super::jobs::misclassified_indices(
            &data.test.labels,
            &predictions,
            actual,
            predicted,
            CELL_REVIEWS,
        );
        Ok(indices
            .into_iter()
            .map(|i| {
                let (text, label) = (&data.test.texts[i], data.test.labels[i]);
                review_terms(&v.vectorizer, i, text, label, TOP_TERMS)
            })
            .collect())
    })();
    let (reviews, message) = match found {
        Ok(r) => (r, None),
        Err(why) => (Vec::new(), Some(why)),
    };
    outbox.post(Reply::Reviews {
        run,
        actual,
        predicted,
        reviews,
        message,
    });
}

/// Sends training review `index` (the last one past the end) with its top-weighted terms under
/// `config`, or why it cannot (an invalid setting, an empty vocabulary, no reviews yet).
pub fn top_terms(state: &State, outbox: &Outbox, config: VectorizerConfig, index: usize) {
    let found = (|| -> Result<Reply, String> {
        config.validate().map_err(|e| e.to_string())?;
        let data = state
            .imdb
            .borrow()
            .clone()
            .ok_or("the IMDB reviews are not loaded yet")?;
        if data.train.is_empty() {
            return Err("there are no training reviews".into());
        }
        let v = vectorized(state, &config)?;
        let i = index.min(data.train.len() - 1);
        let review = review_terms(
            &v.vectorizer,
            i,
            &data.train.texts[i],
            data.train.labels[i],
            TOP_TERMS,
        );
        Ok(Reply::ReviewTerms {
            vectorizer: config,
            vocabulary: v.vectorizer.vocabulary().len(),
            review,
        })
    })();
    outbox.post(found.unwrap_or_else(|message| Reply::TermsFailed { message }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::Event;
    use lab_spec::text::{StopWords, Weighting};

    fn toy() -> Imdb {
        let reviews = |texts: &[(&str, u8)]| Reviews {
            texts: texts.iter().map(|(t, _)| t.to_string()).collect(),
            labels: texts.iter().map(|(_, l)| *l).collect(),
        };
        Imdb {
            train: reviews(&[
                ("a great film, great acting", 1),
                ("a dull film, awful plot", 0),
                ("great fun and a great cast", 1),
                ("awful, dull and boring", 0),
            ]),
            test: reviews(&[("great plot", 1), ("boring film", 0)]),
        }
    }

    fn config(max_features: usize) -> VectorizerConfig {
        VectorizerConfig {
            max_features,
            stop_words: StopWords::English,
            weighting: Weighting::Tfidf,
        }
    }

    #[test]
    fn the_bench_lines_give_the_vectorizing_and_epoch_seconds() {
        let mut v = vectorize(&toy(), &config(100)).unwrap();
        assert!(v.train_seconds >= 0.0 && v.test_seconds >= 0.0);
        (v.train_seconds, v.test_seconds) = (1.234, 0.5);
        let line = vectorized_line(4, 2, &v);
        assert!(
            line.starts_with(
                "vectorized 4 training reviews in 1.23 s and 2 test reviews in 0.50 s ("
            ),
            "{line}"
        );
        let epoch = |seconds| lab_spec::EpochLogs {
            epoch: 1,
            loss: 0.5,
            accuracy: 0.8,
            val_loss: None,
            val_accuracy: None,
            lr: 1e-3,
            regularization_loss: 0.0,
            seconds,
        };
        assert_eq!(
            epoch_seconds_line(3, &[epoch(12.345), epoch(11.9)]),
            "IMDB run 3 epoch seconds: 12.35, 11.90"
        );
    }

    #[test]
    fn the_files_decode_and_a_bad_one_is_named() {
        let data = toy();
        let files = vec![imdb::to_gzip_bytes(&data.train), imdb::to_bytes(&data.test)];
        let back = decode(&files).unwrap();
        assert_eq!(back.train.texts, data.train.texts);
        assert_eq!(back.test.labels, data.test.labels);
        let bad = vec![files[0].clone(), b"<!DOCTYPE html>".to_vec()];
        assert!(decode(&bad).unwrap_err().starts_with("test.bin.gz: "));
        let cut = vec![files[0][..10].to_vec(), files[1].clone()];
        assert!(decode(&cut).unwrap_err().starts_with("train.bin.gz: "));
        assert!(decode(&files[..1]).unwrap_err().contains("two files"));
    }

    #[test]
    fn the_summary_counts_labels_and_alternates_samples() {
        let origin = Origin {
            from_cache: true,
            source: "this site (data/imdb/)".into(),
        };
        let s = summary(&toy(), origin);
        assert_eq!(s.train_counts, [2, 2]);
        assert_eq!(s.test_counts, [1, 1]);
        assert_eq!(s.naive_baseline_accuracy, 0.5);
        let labels: Vec<u8> = s.samples.iter().map(|r| r.label).collect();
        assert_eq!(labels, [0, 1, 0, 1]);
        assert_eq!(s.samples[1].text, "a great film, great acting");
        assert_eq!(s.samples[1].words, 4, "words of two letters or more");
        assert!(s.from_cache);
        assert_eq!(beginning("héllo world", 2), "h…");
        assert_eq!(beginning("short", 400), "short");
    }

    #[test]
    fn top_terms_are_highlighted_where_they_occur() {
        let data = toy();
        let v = vectorize(&data, &config(10)).unwrap();
        assert_eq!(v.data.train.len(), 4);
        assert_eq!(v.data.test.n_cols, v.vectorizer.vocabulary().len());
        let text = &data.train.texts[0];
        let r = review_terms(&v.vectorizer, 0, text, 1, 1);
        assert_eq!(r.terms.len(), 1);
        assert_eq!(r.terms[0].0, "great");
        let spans: Vec<&str> = r
            .spans
            .iter()
            .map(|&(s, e)| &text[s as usize..e as usize])
            .collect();
        assert_eq!(spans, ["great", "great"]);
    }

    #[test]
    fn an_empty_vocabulary_names_the_field() {
        let data = toy();
        let err = vectorize(&data, &config(0)).err().unwrap();
        assert!(err.starts_with("vectorizer."), "{err}");
        let only_stop_words = Imdb {
            train: Reviews {
                texts: vec!["the and a".into()],
                labels: vec![0],
            },
            test: data.test,
        };
        let err = vectorize(&only_stop_words, &config(10)).err().unwrap();
        assert!(err.starts_with("vectorizer"), "{err}");
    }

    #[test]
    fn a_cell_lists_its_reviews_and_a_run_without_predictions_says_why() {
        let state = State::default();
        *state.imdb.borrow_mut() = Some(Rc::new(toy()));
        let (outbox, mut replies) = Outbox::channel();
        reviews(&state, &outbox, 3, 1, 0);
        let Ok(Reply::Reviews {
            reviews, message, ..
        }) = replies.try_recv()
        else {
            panic!("no reviews reply");
        };
        assert!(reviews.is_empty());
        assert!(message.is_some());
        top_terms(&state, &outbox, config(10), 99);
        let Ok(Reply::ReviewTerms {
            review, vocabulary, ..
        }) = replies.try_recv()
        else {
            panic!("no terms reply");
        };
        assert_eq!(review.index, 3, "clamped to the last review");
        assert!(vocabulary > 0 && !review.terms.is_empty());
        top_terms(&state, &outbox, config(0), 0);
        assert!(
            matches!(replies.try_recv(), Ok(Reply::TermsFailed { message }) if message.contains("max_features"))
        );
    }

    /// A whole IMDB run through the worker's Train job: vectorized once (the same settings
    /// again reuse the rows), trained, evaluated with two classes; a cell lists its reviews.
    #[test]
    fn an_imdb_run_trains_and_its_cells_list_reviews() {
        use futures::executor::block_on;
        let state = State::default();
        *state.backend.borrow_mut() = Some(super::super::backend::Backend::Cpu);
        let mut data = toy();
        // 40 reviews: enough for a stratified split.
        let base = data.train.clone();
        for _ in 0..9 {
            data.train.texts.extend(base.texts.iter().cloned());
            data.train.labels.extend(base.labels.iter().copied());
        }
        *state.imdb.borrow_mut() = Some(Rc::new(data));
        let mut c = lab_spec::binary::imdb_baseline();
        c.vectorizer = Some(config(6));
        c.model.input = lab_spec::InputKind::Features(6);
        (c.batch_size, c.epochs) = (8, 2);
        let (outbox, mut replies) = Outbox::channel();
        block_on(super::super::jobs::train(&state, &outbox, 1, c.clone())).unwrap();
        let replies: Vec<Reply> = std::iter::from_fn(|| replies.try_recv().ok()).collect();
        let report = replies
            .iter()
            .find_map(|r| match r {
                Reply::Run {
                    run: 1,
                    event: Event::Evaluated(report),
                } => Some(report.clone()),
                _ => None,
            })
            .expect("an evaluated run");
        assert_eq!(report.confusion_matrix.len(), 2);
        assert_eq!(report.per_class[1].name, "positive");
        assert!(report.f1().is_some());
        let kept = state.vectorized.borrow().clone().unwrap();
        assert!(Rc::ptr_eq(&kept, &vectorized(&state, &config(6)).unwrap()));
        // Every cell answers: reviews (maybe none) and no message.
        let (outbox, mut replies) = Outbox::channel();
        reviews(&state, &outbox, 1, 1, 0);
        let Ok(Reply::Reviews {
            message, reviews, ..
        }) = replies.try_recv()
        else {
            panic!("no reviews reply");
        };
        assert_eq!(message, None);
        assert!(reviews.iter().all(|r| r.label == 1));
        // The checkpoint-less run says so when its checkpoint is asked for.
        let e = block_on(super::super::jobs::evaluate_checkpoint(&state, &outbox, 1));
        assert!(e.is_err());
    }
}
