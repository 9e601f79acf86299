//! A whole run or search as every caller does it — the worker, `lab train`, `lab tune`, the
//! tests: check the config against the data, prepare (subset, split, normalization), train,
//! normalize the test set with the training split's statistics, evaluate. Written once here.
//!
//! A Stop that comes during the test-set evaluation ([`train_and_evaluate_stoppable`]) ends
//! the run there: its training stays as it was, it gets no test results, and its observer
//! hears a last [`Event::Finished`] whose reason is [`StopReason::UserStop`].

use burn::tensor::Device;
use lab_data::Dataset;
use lab_data::files::FashionMnist;
use lab_spec::tuning::{SearchEvent, TunerConfig, Values};
use lab_spec::{ClassificationReport, Event, StopReason, TrainingConfig};

use crate::data::{Normalizer, prepare};
use crate::evaluate::evaluate_with_predictions_until;
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
    let (outcome, normalizer) = train(config, data, observer, device, options).await?;
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
    let (mut outcome, normalizer) = train(config, data, observer, device, options).await?;
    let test = normalizer.apply(&data.test);
    let (model, input, batch) = (&outcome.model, config.model.input, options.eval_batch_size);
    let evaluated = if outcome.summary.reason == StopReason::UserStop {
        Some(evaluate_with_predictions(model, input, &test, device, batch).await?)
    } else {
        evaluate_with_predictions_until(model, input, &test, device, batch, observer).await?
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

/// The training half of a run: checked against the data, prepared, fitted; with the
/// normalization fitted on its training split.
async fn train(
    config: &TrainingConfig,
    data: &FashionMnist,
    observer: &mut impl Observer,
    device: &Device,
    options: &RunOptions,
) -> Result<(TrainOutcome, Normalizer), TrainError> {
    config.validate(Some(data.train.len()))?;
    let prepared = prepare(&data.train, config);
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
