//! A whole run or search as every caller does it — the worker, `lab train`, `lab tune`, the
//! tests: check the config against the data, prepare (subset, split, normalization), train,
//! normalize the test set with the training split's statistics, evaluate. Written once here.

use burn::tensor::Device;
use lab_data::Dataset;
use lab_data::files::FashionMnist;
use lab_spec::tuning::{SearchEvent, TunerConfig, Values};
use lab_spec::{ClassificationReport, TrainingConfig};

use crate::data::{Normalizer, prepare};
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

/// Trains `config` on `data.train` and evaluates the result on `data.test`. `device` is the
/// plain (inference) device; training runs on its autodiff form.
pub async fn train_and_evaluate(
    config: &TrainingConfig,
    data: &FashionMnist,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<RunResult, TrainError> {
    config.validate(Some(data.train.len()))?;
    let prepared = prepare(&data.train, config);
    let autodiff = device.clone().autodiff();
    let inputs = FitInputs::prepared(config, &prepared, &autodiff);
    let outcome = fit_with(inputs, None, observer, options).await?;
    let test = prepared.normalizer.apply(&data.test);
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
        normalizer: prepared.normalizer,
    })
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
