//! A model on a split without gradients: validation loss and accuracy, predicted classes, the
//! test-set report. Also the loss itself (sparse categorical cross-entropy), shared with the
//! training step, and the small device helpers both use.
//!
//! The `_until` forms poll an [`Observer`] between batches, as training does: they yield
//! there (a browser worker reads its messages) and end with `None` once Stop is asked for.
//! Their results are the same numbers as the plain forms' when nobody asks to stop.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor};
use lab_spec::{ClassificationReport, InputKind};

use crate::data::Split;
use crate::metrics::classification_report;
use crate::model::Network;
use crate::observer::Observer;
use crate::training::TrainError;

/// The observer of an evaluation that runs to the end: it never asks to stop.
struct ToTheEnd;

impl Observer for ToTheEnd {
    fn event(&mut self, _: lab_spec::Event) {}
}

/// Between two batches of an evaluation: yields, then says whether to go on.
async fn goes_on(observer: &mut impl Observer) -> bool {
    observer.between_batches().await;
    !observer.stop_requested()
}

/// Per-sample cross-entropy `[batch]` of logits against integer labels.
pub(crate) fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [b, _] = logits.dims();
    log_softmax(logits, 1)
        .gather(1, targets.reshape([b, 1]))
        .reshape([b])
        .neg()
}

/// Adds `x` to a running sum kept on the device.
pub(crate) fn accumulate<const D: usize, K>(sum: &mut Option<Tensor<D, K>>, x: Tensor<D, K>)
where
    K: burn::tensor::kind::Numeric,
{
    *sum = Some(match sum.take() {
        Some(s) => s + x,
        None => x,
    });
}

pub(crate) fn device_err(e: impl std::fmt::Debug) -> TrainError {
    TrainError::Device(format!("{e:?}"))
}

/// Reads a one-element float tensor back (async: on WebGPU a sync read panics).
pub(crate) async fn read_f64(t: Tensor<1>) -> Result<f64, TrainError> {
    Ok(t.into_scalar_async::<f32>().await.map_err(device_err)? as f64)
}

/// Reads a one-element integer tensor back.
pub(crate) async fn read_count(t: Tensor<1, Int>) -> Result<f64, TrainError> {
    Ok(t.into_scalar_async::<i64>().await.map_err(device_err)? as f64)
}

/// Mean loss (with the penalty) and accuracy of `model` over `split`, without gradients.
pub async fn validate(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
) -> Result<(f64, f64), TrainError> {
    let Some(result) =
        validate_until(model, input, split, device, batch_size, &mut ToTheEnd).await?
    else {
        unreachable!("an evaluation to the end is never stopped")
    };
    Ok(result)
}

/// [`validate`], polling `observer` between batches: `None` once it asks to stop.
pub async fn validate_until(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
    observer: &mut impl Observer,
) -> Result<Option<(f64, f64)>, TrainError> {
    let n = split.len();
    let order: Vec<usize> = (0..n).collect();
    let mut loss_sum: Option<Tensor<1>> = None;
    let mut correct: Option<Tensor<1, Int>> = None;
    for chunk in order.chunks(batch_size.max(1)) {
        if !goes_on(observer).await {
            return Ok(None);
        }
        let (x, y) = split.batch(chunk, device);
        let logits = model.forward(x, input);
        let c = logits
            .clone()
            .argmax(1)
            .reshape([chunk.len()])
            .equal(y.clone())
            .int()
            .sum();
        let l = cross_entropy(logits, y).sum();
        accumulate(&mut loss_sum, l);
        accumulate(&mut correct, c);
    }
    let (Some(loss_sum), Some(correct)) = (loss_sum, correct) else {
        return Ok(Some((f64::NAN, 0.0)));
    };
    let penalty = match model.penalty() {
        Some(p) => read_f64(p).await?,
        None => 0.0,
    };
    let loss = read_f64(loss_sum).await? / n as f64;
    let correct = read_count(correct).await?;
    Ok(Some((loss + penalty, correct / n as f64)))
}

/// Predicted classes for every item of `split`.
pub async fn predict(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
) -> Result<Vec<u8>, TrainError> {
    let Some(preds) = predict_until(model, input, split, device, batch_size, &mut ToTheEnd).await?
    else {
        unreachable!("an evaluation to the end is never stopped")
    };
    Ok(preds)
}

/// [`predict`], polling `observer` between batches: `None` once it asks to stop.
pub async fn predict_until(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
    observer: &mut impl Observer,
) -> Result<Option<Vec<u8>>, TrainError> {
    let order: Vec<usize> = (0..split.len()).collect();
    let mut preds = Vec::new();
    for chunk in order.chunks(batch_size.max(1)) {
        if !goes_on(observer).await {
            return Ok(None);
        }
        let (x, _) = split.batch(chunk, device);
        preds.push(model.forward(x, input).argmax(1).reshape([chunk.len()]));
    }
    if preds.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let all = Tensor::cat(preds, 0)
        .into_data_async()
        .await
        .map_err(device_err)?;
    let values = all.try_to_vec_as::<i64>().map_err(device_err)?;
    Ok(Some(values.into_iter().map(|v| v as u8).collect()))
}

/// Test-set metrics of `model`: loss, accuracy, confusion matrix, per-class report.
pub async fn evaluate(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
) -> Result<ClassificationReport, TrainError> {
    Ok(
        evaluate_with_predictions(model, input, split, device, batch_size)
            .await?
            .0,
    )
}

/// [`evaluate`], also returning the predicted class of every item.
pub async fn evaluate_with_predictions(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
) -> Result<(ClassificationReport, Vec<u8>), TrainError> {
    let mut to_the_end = ToTheEnd;
    let until =
        evaluate_with_predictions_until(model, input, split, device, batch_size, &mut to_the_end);
    let Some(evaluated) = until.await? else {
        unreachable!("an evaluation to the end is never stopped")
    };
    Ok(evaluated)
}

/// [`evaluate_with_predictions`], polling `observer` between batches: `None` once it asks to
/// stop (no report then).
pub async fn evaluate_with_predictions_until(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
    observer: &mut impl Observer,
) -> Result<Option<(ClassificationReport, Vec<u8>)>, TrainError> {
    let Some((loss, _)) = validate_until(model, input, split, device, batch_size, observer).await?
    else {
        return Ok(None);
    };
    let Some(preds) = predict_until(model, input, split, device, batch_size, observer).await?
    else {
        return Ok(None);
    };
    let mut report = classification_report(&split.y, &preds, &lab_data::CLASS_NAMES);
    report.loss = Some(loss);
    Ok(Some((report, preds)))
}
