//! A model on a split without gradients: validation loss and accuracy, predicted classes, the
//! test-set report. Also the loss itself (sparse categorical cross-entropy for the softmax
//! head, binary cross-entropy for the sigmoid head), shared with the training step, and the
//! small device helpers both use.
//!
//! The `_until` forms poll an [`Observer`] between batches, as training does: they yield
//! there (a browser worker reads its messages) and end with `None` once Stop is asked for.
//! Their results are the same numbers as the plain forms' when nobody asks to stop.

use burn::tensor::activation::{log_softmax, sigmoid, softmax};
use burn::tensor::{Device, Int, Tensor};
use lab_spec::dataset::{CLASS_NAMES, IMDB_CLASS_NAMES};
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

/// Keras clips a sigmoid output into `[1e-7, 1 − 1e-7]` (in `f32`: `1 − 2⁻²³`) before its
/// `binary_crossentropy`; as logits, that is this range.
pub(crate) const LOGIT_MIN: f32 = -16.118_095;
pub(crate) const LOGIT_MAX: f32 = 15.942_385;

/// Per-sample binary cross-entropy `[batch]` of the sigmoid head's logits `[batch, 1]`
/// against 0/1 labels, computed stably from the logits: `softplus(z) − y·z`, which is
/// `−(y·log p + (1 − y)·log(1 − p))` with `p = sigmoid(z)`; `z` clipped as Keras clips `p`.
pub(crate) fn binary_cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [b, _] = logits.dims();
    let z = logits.reshape([b]).clamp(LOGIT_MIN, LOGIT_MAX);
    z.clone().exp().log1p() - targets.float() * z
}

/// Whether `model` ends with the sigmoid head (one output unit).
pub(crate) fn is_binary(model: &Network) -> bool {
    model.head.kernel.dims()[1] == 1
}

/// The loss per sample `[batch]` of the head's logits: sparse categorical cross-entropy for
/// the softmax head, binary cross-entropy for the sigmoid head.
pub(crate) fn per_sample_loss(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    if logits.dims()[1] == 1 {
        binary_cross_entropy(logits, targets)
    } else {
        cross_entropy(logits, targets)
    }
}

/// The predicted class `[batch]` of the head's logits: the largest for softmax; for sigmoid
/// positive when `p > threshold`, that is `z > ln(t / (1 − t))`; at 0.5 that is `z > 0`
/// (Keras' `binary_accuracy` and seed 004's `predict(x) > 0.5`).
pub(crate) fn predicted(logits: Tensor<2>, threshold: f64) -> Tensor<1, Int> {
    let [b, units] = logits.dims();
    if units == 1 {
        let cut = (threshold / (1.0 - threshold)).ln();
        logits.reshape([b]).greater_elem(cut as f32).int()
    } else {
        logits.argmax(1).reshape([b])
    }
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

/// Runs `model` over `split` in order, `batch_size` items at a time, handing each batch's
/// logits and labels to `each`; polls `observer` before every batch. False once it asks to
/// stop (the batches after that are not run).
async fn forward_batches_until(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
    observer: &mut impl Observer,
    mut each: impl FnMut(Tensor<2>, Tensor<1, Int>),
) -> bool {
    let order: Vec<usize> = (0..split.len()).collect();
    for chunk in order.chunks(batch_size.max(1)) {
        if !goes_on(observer).await {
            return false;
        }
        let (x, y) = split.batch_input(chunk, device);
        each(model.forward_batch(x, input), y);
    }
    true
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
    let mut loss_sum: Option<Tensor<1>> = None;
    let mut correct: Option<Tensor<1, Int>> = None;
    let each = |logits: Tensor<2>, y: Tensor<1, Int>| {
        let c = predicted(logits.clone(), model.threshold)
            .equal(y.clone())
            .int()
            .sum();
        accumulate(&mut loss_sum, per_sample_loss(logits, y).sum());
        accumulate(&mut correct, c);
    };
    if !forward_batches_until(model, input, split, device, batch_size, observer, each).await {
        return Ok(None);
    }
    let (Some(loss_sum), Some(correct)) = (loss_sum, correct) else {
        return Ok(Some((f64::NAN, 0.0)));
    };
    let loss = mean_loss(model, loss_sum, n).await?;
    let correct = read_count(correct).await?;
    Ok(Some((loss, correct / n as f64)))
}

/// The loss Keras reports over `n` items whose per-sample losses sum to `loss_sum`: their
/// mean plus the model's weight penalty.
async fn mean_loss(model: &Network, loss_sum: Tensor<1>, n: usize) -> Result<f64, TrainError> {
    let penalty = match model.penalty() {
        Some(p) => read_f64(p).await?,
        None => 0.0,
    };
    Ok(read_f64(loss_sum).await? / n as f64 + penalty)
}

/// The predicted classes of a split's batches, in order, read back in one go.
async fn read_predictions(preds: Vec<Tensor<1, Int>>) -> Result<Vec<u8>, TrainError> {
    if preds.is_empty() {
        return Ok(Vec::new());
    }
    let all = Tensor::cat(preds, 0)
        .into_data_async()
        .await
        .map_err(device_err)?;
    let values = all.try_to_vec_as::<i64>().map_err(device_err)?;
    Ok(values.into_iter().map(|v| v as u8).collect())
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
    let mut preds = Vec::new();
    let each = |logits, _| preds.push(predicted(logits, model.threshold));
    if !forward_batches_until(model, input, split, device, batch_size, observer, each).await {
        return Ok(None);
    }
    Ok(Some(read_predictions(preds).await?))
}

/// The head's outputs after its activation for every item of `split`, `units` per item in the
/// split's order: the sigmoid head's probability of the positive class (one per item), or the
/// softmax head's ten class probabilities.
pub async fn predict_probabilities(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
) -> Result<Vec<f32>, TrainError> {
    let order: Vec<usize> = (0..split.len()).collect();
    let mut out = Vec::with_capacity(split.len() * model.head.kernel.dims()[1]);
    for chunk in order.chunks(batch_size.max(1)) {
        let (x, _) = split.batch_input(chunk, device);
        let logits = model.forward_batch(x, input);
        let p = if is_binary(model) {
            sigmoid(logits)
        } else {
            softmax(logits, 1)
        };
        let data = p.into_data_async().await.map_err(device_err)?;
        out.extend(data.try_to_vec_as::<f32>().map_err(device_err)?);
    }
    Ok(out)
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
/// stop (no report then). One forward pass over the split gives both the loss and the
/// predicted classes.
pub async fn evaluate_with_predictions_until(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
    observer: &mut impl Observer,
) -> Result<Option<(ClassificationReport, Vec<u8>)>, TrainError> {
    let mut loss_sum: Option<Tensor<1>> = None;
    let mut batches = Vec::new();
    let each = |logits: Tensor<2>, y| {
        batches.push(predicted(logits.clone(), model.threshold));
        accumulate(&mut loss_sum, per_sample_loss(logits, y).sum());
    };
    if !forward_batches_until(model, input, split, device, batch_size, observer, each).await {
        return Ok(None);
    }
    let loss = match loss_sum {
        Some(sum) => mean_loss(model, sum, split.len()).await?,
        None => f64::NAN,
    };
    let preds = read_predictions(batches).await?;
    let names: &[&str] = if is_binary(model) {
        &IMDB_CLASS_NAMES
    } else {
        &CLASS_NAMES
    };
    let mut report = classification_report(&split.y, &preds, names);
    report.loss = Some(loss);
    Ok(Some((report, preds)))
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use super::*;

    fn values(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_to_vec_as::<f32>().unwrap()
    }

    #[test]
    fn binary_cross_entropy_equals_keras_on_sigmoid_outputs() {
        let device = Device::flex();
        let z = [0.0f32, 2.0, -3.0, 20.0, -20.0, 4.0];
        let y = [1i64, 0, 0, 0, 1, 1];
        let logits = Tensor::<2>::from_data(TensorData::new(z.to_vec(), [6, 1]), &device);
        let labels = Tensor::<1, Int>::from_data(TensorData::new(y.to_vec(), [6]), &device);
        let got = values(binary_cross_entropy(logits.clone(), labels.clone()));
        // Keras 3: keras.losses.binary_crossentropy(y, sigmoid(z)) per sample, by hand:
        // −log σ(0) = ln 2; −log(1 − σ(2)); −log(1 − σ(−3)); p = σ(20) clipped to 1 − 2⁻²³
        // gives −log(2⁻²³); p = σ(−20) clipped to 1e-7 gives −log(1e-7); −log σ(4).
        let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
        let expected = [
            std::f64::consts::LN_2,
            -(1.0 - sigmoid(2.0)).ln(),
            -(1.0 - sigmoid(-3.0)).ln(),
            15.942_385_152_878_742,
            16.118_095_639_272_223,
            -sigmoid(4.0).ln(),
        ];
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            assert!((*g as f64 - e).abs() < 1e-5, "sample {i}: {g} vs {e}");
        }
        // The same dispatch the training step and validation use.
        let via = values(per_sample_loss(logits.clone(), labels));
        assert_eq!(via, got);
        let at = |t: f64| -> Vec<i64> {
            predicted(logits.clone(), t)
                .into_data()
                .try_to_vec_as::<i64>()
                .unwrap()
        };
        assert_eq!(at(0.5), [0, 1, 0, 1, 0, 1], "positive when p > 0.5");
        // σ(2) = 0.88 and σ(4) = 0.98: at 0.9 the first turns negative; σ(0) = 0.5 is not above
        // 0.5 but is above 0.3, as σ(−3) = 0.047 is above 0.01.
        assert_eq!(at(0.9), [0, 0, 0, 1, 0, 1]);
        assert_eq!(at(0.3), [1, 1, 0, 1, 0, 1]);
        assert_eq!(at(0.01), [1, 1, 1, 1, 0, 1]);
    }

    #[test]
    fn ten_logits_keep_the_categorical_loss() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_data(TensorData::new(vec![0.0f32; 10], [1, 10]), &device);
        let labels = Tensor::<1, Int>::from_data(TensorData::new(vec![3i64], [1]), &device);
        let got = values(per_sample_loss(logits, labels))[0] as f64;
        assert!((got - 10f64.ln()).abs() < 1e-6, "{got}");
    }
}

#[cfg(test)]
mod one_pass {
    use futures::executor::block_on;
    use lab_spec::{ModelSpec, Regularizer};

    use super::*;

    /// The test report's single pass gives the loss `validate` gives (penalty included) and
    /// the classes `predict` gives, with a last batch shorter than the others.
    #[test]
    fn the_report_equals_validate_and_predict() {
        let device = Device::flex();
        let mut spec = ModelSpec::mlp(&[16]);
        if let Some(lab_spec::LayerSpec::Dense {
            kernel_regularizer, ..
        }) = spec.layers.first_mut()
        {
            *kernel_regularizer = Some(Regularizer { l1: 0.0, l2: 1e-3 });
        }
        let model = Network::new(&spec, &device).unwrap();
        let n = 250;
        let x: Vec<f32> = (0..n * lab_spec::dataset::PIXELS)
            .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let y: Vec<u8> = (0..n).map(|i| (i * 3 % 10) as u8).collect();
        let split = Split::images(x, y);
        let input = spec.input;
        let (loss, accuracy) = block_on(validate(&model, input, &split, &device, 64)).unwrap();
        let classes = block_on(predict(&model, input, &split, &device, 64)).unwrap();
        let (report, preds) = block_on(evaluate_with_predictions(
            &model, input, &split, &device, 64,
        ))
        .unwrap();
        assert_eq!(preds, classes);
        let report_loss = report.loss.unwrap();
        assert!((report_loss - loss).abs() < 1e-6, "{report_loss} vs {loss}");
        assert!(model.penalty().is_some());
        let right = preds.iter().zip(&split.y).filter(|(p, y)| p == y).count();
        assert!((right as f64 / n as f64 - accuracy).abs() < 1e-12);
    }
}
