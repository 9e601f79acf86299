//! A whole run or search as every caller does it — the worker, `lab train`, `lab tune`, the
//! tests: check the config against the data, prepare (subset, split, normalization), train,
//! normalize the test set with the training split's statistics, evaluate. Written once here,
//! for images ([`FashionMnist`]) and for text as sparse feature rows ([`SparseData`]: no
//! normalization; a first Dense layer multiplies only each batch's non-zero entries, see
//! [`crate::sparse_batch`], any other first layer gets the batch densified).
//!
//! A Stop that comes during the test-set evaluation ([`train_and_evaluate_stoppable`]) ends
//! the run there: its training stays as it was, it gets no test results, and its observer
//! hears a last [`Event::Finished`] whose reason is [`StopReason::UserStop`].

use burn::tensor::Device;
use lab_data::files::FashionMnist;
use lab_data::{Dataset, SparseRows};
use lab_spec::tuning::{SearchEvent, TunerConfig, Values};
use lab_spec::{ClassificationReport, ConfigError, Event, StopReason, TrainingConfig};

use crate::data::{Normalizer, Prepared, Split, prepare, prepare_sparse};
use crate::evaluate::evaluate_with_predictions_until;
use crate::evaluate::predict_probabilities;
use crate::model::Network;
use crate::training::{
    FitInputs, Observer, RunOptions, TrainError, TrainOutcome, evaluate_with_predictions, fit_with,
};
use crate::tuner::{SearchOutcome, search};

/// A trained and evaluated run.
pub struct RunResult {
    /// The final model (restored if EarlyStopping says so), the summary, the checkpoint.
    pub outcome: TrainOutcome,
    /// Test-set metrics of the final model.
    pub report: ClassificationReport,
    /// The predicted class of every test image, in the test set's order.
    pub predictions: Vec<u8>,
    /// The normalization fitted on the training split (to apply to any later input).
    pub normalizer: Normalizer,
}

/// How a run that can be stopped during its test-set evaluation ended.
pub enum RunEnd {
    /// Trained and evaluated.
    Evaluated(Box<RunResult>),
    /// Stop came during the test-set evaluation: the trained run (its summary's reason is now
    /// [`StopReason::UserStop`]), without test results.
    StoppedInEvaluation(Box<TrainOutcome>),
}

/// Trains `config` on `data.train` and evaluates the result on `data.test`. `device` is the
/// plain (inference) device; training runs on its autodiff form. The evaluation runs to its
/// end (`lab train`, the tests); see [`train_and_evaluate_stoppable`] for the browser's.
pub async fn train_and_evaluate(
    config: &TrainingConfig,
    data: &FashionMnist,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<RunResult, TrainError> {
    config.validate(Some(data.train.len()))?;
    let prepared = prepare(&data.train, config);
    let (outcome, normalizer) = train(config, prepared, observer, device, options).await?;
    let test = normalizer.apply(&data.test);
    let (report, predictions) = evaluate_with_predictions(
        &outcome.model,
        config.model.input,
        &test,
        device,
        options.eval_batch_size,
    )
    .await?;
    Ok(RunResult {
        outcome,
        report,
        predictions,
        normalizer,
    })
}

/// [`train_and_evaluate`], where a Stop asked for during the test-set evaluation ends the run
/// there ([`RunEnd::StoppedInEvaluation`], announced by a last `Finished` event whose reason
/// is `UserStop`). A run already stopped during training is evaluated to the end: the learner
/// gets the test results of what was trained. Results are the same as
/// [`train_and_evaluate`]'s when nobody stops.
pub async fn train_and_evaluate_stoppable(
    config: &TrainingConfig,
    data: &FashionMnist,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<RunEnd, TrainError> {
    config.validate(Some(data.train.len()))?;
    let prepared = prepare(&data.train, config);
    let (outcome, normalizer) = train(config, prepared, observer, device, options).await?;
    let test = normalizer.apply(&data.test);
    evaluate_stoppable(
        config, outcome, normalizer, &test, device, observer, options,
    )
    .await
}

/// The test-set half of a stoppable run.
async fn evaluate_stoppable(
    config: &TrainingConfig,
    mut outcome: TrainOutcome,
    normalizer: Normalizer,
    test: &Split,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<RunEnd, TrainError> {
    let (model, input, batch) = (&outcome.model, config.model.input, options.eval_batch_size);
    let evaluated = if outcome.summary.reason == StopReason::UserStop {
        Some(evaluate_with_predictions(model, input, test, device, batch).await?)
    } else {
        evaluate_with_predictions_until(model, input, test, device, batch, observer).await?
    };
    let Some((report, predictions)) = evaluated else {
        outcome.summary.reason = StopReason::UserStop;
        observer.event(Event::Finished(outcome.summary.clone()));
        return Ok(RunEnd::StoppedInEvaluation(Box::new(outcome)));
    };
    Ok(RunEnd::Evaluated(Box::new(RunResult {
        outcome,
        report,
        predictions,
        normalizer,
    })))
}

/// The training half of a run on its prepared (checked, split, normalized) data; with the
/// normalization fitted on its training split.
async fn train(
    config: &TrainingConfig,
    prepared: Prepared,
    observer: &mut impl Observer,
    device: &Device,
    options: &RunOptions,
) -> Result<(TrainOutcome, Normalizer), TrainError> {
    let autodiff = device.clone().autodiff();
    let inputs = FitInputs::prepared(config, &prepared, &autodiff);
    let outcome = fit_with(inputs, None, observer, options).await?;
    // The splits are freed here, before the test set is normalized.
    Ok((outcome, prepared.normalizer))
}

/// Runs a search on `train`: every trial on the same subset, split and normalization (those
/// of `config`). `device` is the plain device; trials train on its autodiff form.
pub async fn tune(
    config: &TunerConfig,
    train: &Dataset,
    device: &Device,
    observer: &mut impl Observer<SearchEvent>,
    options: &RunOptions,
) -> Result<SearchOutcome, TrainError> {
    config.validate(Some(train.len()))?;
    let base = config.training_config(&Values::new(), 1)?;
    let prepared = prepare(train, &base);
    search(
        config,
        &prepared,
        &device.clone().autodiff(),
        observer,
        options,
    )
    .await
}

/// A text run's data: the vectorized reviews as sparse rows, with their 0/1 labels
/// (1 = positive). The vectorizer was fitted on `train` only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseData {
    pub train: SparseRows,
    pub train_labels: Vec<u8>,
    pub test: SparseRows,
    pub test_labels: Vec<u8>,
}

impl SparseData {
    /// The test set as a split (its rows copied: a few MB of non-zero entries).
    pub fn test_split(&self) -> Split {
        Split::sparse(self.test.clone(), self.test_labels.clone())
    }
}

/// Checks `config` against sparse rows: their width is the model's input, one label per row,
/// every label a class of the head.
fn check_sparse(
    config: &TrainingConfig,
    rows: &SparseRows,
    labels: &[u8],
    part: &str,
) -> Result<(), ConfigError> {
    let features = config.model.input_features();
    if rows.n_cols != features {
        return Err(ConfigError::new(
            "model.input",
            format!(
                "the model takes {features} features but the {part} data has {}",
                rows.n_cols
            ),
        ));
    }
    if rows.len() != labels.len() {
        return Err(ConfigError::new(
            "data",
            format!(
                "the {part} data has {} rows but {} labels",
                rows.len(),
                labels.len()
            ),
        ));
    }
    let classes = config.model.head.classes();
    if let Some(bad) = labels.iter().find(|&&l| l as usize >= classes) {
        return Err(ConfigError::new(
            "data",
            format!("the {part} data has label {bad}; the model knows {classes} classes"),
        ));
    }
    Ok(())
}

/// Checks `config` against a text run's data and prepares it: seeded stratified subset and
/// validation split (seed 004's `train_test_split(..., stratify=y)`), no normalization.
fn prepare_text(config: &TrainingConfig, data: &SparseData) -> Result<Prepared, TrainError> {
    config.validate(Some(data.train.len()))?;
    check_sparse(config, &data.train, &data.train_labels, "training")?;
    check_sparse(config, &data.test, &data.test_labels, "test")?;
    Ok(prepare_sparse(&data.train, &data.train_labels, config))
}

/// [`train_and_evaluate`] for text: trains `config` (an IMDB config: `{"features": n}` input,
/// the sigmoid head) on `data.train`'s stratified 80/20 split (`validation_split`), evaluates
/// on `data.test`. The report has two classes (`negative`, `positive`); its
/// [`ClassificationReport::f1`] is the positive class's F1. `normalizer` is the identity.
pub async fn train_and_evaluate_sparse(
    config: &TrainingConfig,
    data: &SparseData,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<RunResult, TrainError> {
    let prepared = prepare_text(config, data)?;
    let (outcome, normalizer) = train(config, prepared, observer, device, options).await?;
    let test = data.test_split();
    let (report, predictions) = evaluate_with_predictions(
        &outcome.model,
        config.model.input,
        &test,
        device,
        options.eval_batch_size,
    )
    .await?;
    Ok(RunResult {
        outcome,
        report,
        predictions,
        normalizer,
    })
}

/// [`train_and_evaluate_stoppable`] for text (see [`train_and_evaluate_sparse`]).
pub async fn train_and_evaluate_sparse_stoppable(
    config: &TrainingConfig,
    data: &SparseData,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<RunEnd, TrainError> {
    let prepared = prepare_text(config, data)?;
    let (outcome, normalizer) = train(config, prepared, observer, device, options).await?;
    let test = data.test_split();
    evaluate_stoppable(
        config, outcome, normalizer, &test, device, observer, options,
    )
    .await
}

/// The probability of the positive class of every test review (in `data.test`'s order), for
/// the predictions grid: what seed 004's `model.predict(X_test)` gives.
pub async fn test_probabilities(
    model: &Network,
    config: &TrainingConfig,
    data: &SparseData,
    device: &Device,
    options: &RunOptions,
) -> Result<Vec<f32>, TrainError> {
    check_sparse(config, &data.test, &data.test_labels, "test")?;
    let test = data.test_split();
    predict_probabilities(
        model,
        config.model.input,
        &test,
        device,
        options.eval_batch_size,
    )
    .await
}

/// [`tune`] for text: every trial on the same stratified subset and validation split of the
/// sparse rows `train` (labels `labels`), without normalization.
pub async fn tune_sparse(
    config: &TunerConfig,
    train: &SparseRows,
    labels: &[u8],
    device: &Device,
    observer: &mut impl Observer<SearchEvent>,
    options: &RunOptions,
) -> Result<SearchOutcome, TrainError> {
    config.validate(Some(train.len()))?;
    let base = config.training_config(&Values::new(), 1)?;
    check_sparse(&base, train, labels, "training")?;
    let prepared = prepare_sparse(train, labels, &base);
    search(
        config,
        &prepared,
        &device.clone().autodiff(),
        observer,
        options,
    )
    .await
}
