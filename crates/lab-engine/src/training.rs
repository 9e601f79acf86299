//! One async training loop for every backend (the custom-training-loop shape): seeded
//! shuffling, mini-batches, sparse categorical cross-entropy plus the regularization penalty,
//! Keras' optimizers, callbacks, events. The caller picks the device; on WebGPU every read-back
//! here is already async, and the loop reads the loss back at most once per batch.

use std::future::Future;

use burn::module::Module;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, RmsPropConfig, SgdConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use lab_spec::{
    BatchProgress, CallbackAction, ClassificationReport, ConfigError, EpochLogs, Event, History,
    InputKind, OptimizerConfig, RunSummary, StopReason, TrainingConfig,
};
use web_time::Instant;

use crate::callbacks::Callbacks;
use crate::data::{Split, epoch_order};
use crate::metrics::classification_report;
use crate::model::Network;
use crate::weights::{self, WeightsError};

/// Receives a run's events and says when to stop.
pub trait Observer {
    fn event(&mut self, event: Event);

    /// Polled between batches; `true` ends the run after the current batch.
    fn stop_requested(&mut self) -> bool {
        false
    }

    /// Awaited between batches. A browser worker yields to its event loop here, so that a Stop
    /// message can arrive; natively it does nothing.
    fn between_batches(&mut self) -> impl Future<Output = ()> {
        async {}
    }
}

/// Collects events in a vector (tests, the CLI).
#[derive(Default)]
pub struct Recorder {
    pub events: Vec<Event>,
    pub stop_after_batches: Option<usize>,
    batches: usize,
}

impl Recorder {
    /// A recorder that asks to stop once `n` batch events have arrived.
    pub fn stopping_after(n: usize) -> Self {
        Self {
            stop_after_batches: Some(n),
            ..Default::default()
        }
    }
}

impl Observer for Recorder {
    fn event(&mut self, event: Event) {
        if matches!(event, Event::Batch(_)) {
            self.batches += 1;
        }
        self.events.push(event);
    }

    fn stop_requested(&mut self) -> bool {
        self.stop_after_batches.is_some_and(|n| self.batches >= n)
    }
}

/// Knobs of the loop that are not part of the learner's config.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Minimum seconds between two batch-progress events (the first and last batch of an
    /// epoch are always reported).
    pub progress_interval_s: f64,
    /// Read the running loss back every this many batches (1 on CPU; more on WebGPU, where each
    /// read stalls the queue). NaN detection happens at these reads.
    pub loss_read_every: usize,
    /// Batch size for validation and evaluation (no gradients, so it can be larger).
    pub eval_batch_size: usize,
    /// Keras' `fit(initial_epoch=...)`: the epochs before it count as done, so training runs
    /// epochs `initial_epoch + 1 ..= config.epochs` (a promoted Hyperband trial).
    pub initial_epoch: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            progress_interval_s: 0.25,
            loss_read_every: 1,
            eval_batch_size: 1000,
            initial_epoch: 0,
        }
    }
}

/// Why a run could not start or went wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    Config(ConfigError),
    Weights(WeightsError),
    Device(String),
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::Config(e) => write!(f, "invalid config: {e}"),
            TrainError::Weights(e) => write!(f, "{e}"),
            TrainError::Device(e) => write!(f, "the device failed: {e}"),
        }
    }
}

impl std::error::Error for TrainError {}

impl From<ConfigError> for TrainError {
    fn from(e: ConfigError) -> Self {
        TrainError::Config(e)
    }
}

impl From<WeightsError> for TrainError {
    fn from(e: WeightsError) -> Self {
        TrainError::Weights(e)
    }
}

/// ModelCheckpoint's kept weights.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// 1-based.
    pub epoch: usize,
    pub monitor: String,
    pub value: f64,
    pub bytes: Vec<u8>,
}

/// A finished run: the final model (restored if early stopping says so), its summary, and the
/// checkpoint if ModelCheckpoint was on.
pub struct TrainOutcome {
    pub model: Network,
    pub summary: RunSummary,
    pub checkpoint: Option<Checkpoint>,
}

fn optimizer(config: &OptimizerConfig) -> ModuleOptimizer {
    match *config {
        OptimizerConfig::Sgd {
            momentum, nesterov, ..
        } => {
            let momentum = (momentum > 0.0).then_some(MomentumConfig {
                momentum,
                dampening: 0.0,
                nesterov,
            });
            SgdConfig::new().with_momentum(momentum).init()
        }
        OptimizerConfig::Adam {
            beta_1,
            beta_2,
            epsilon,
            ..
        } => AdamConfig::new()
            .with_beta_1(beta_1 as f32)
            .with_beta_2(beta_2 as f32)
            .with_epsilon(epsilon as f32)
            .init(),
        OptimizerConfig::RmsProp {
            rho,
            momentum,
            epsilon,
            centered,
            ..
        } => RmsPropConfig::new()
            .with_alpha(rho as f32)
            .with_momentum(momentum as f32)
            .with_epsilon(epsilon as f32)
            .with_centered(centered)
            .init(),
    }
}

/// Per-sample cross-entropy `[batch]` of logits against integer labels.
fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [b, _] = logits.dims();
    log_softmax(logits, 1)
        .gather(1, targets.reshape([b, 1]))
        .reshape([b])
        .neg()
}

/// Adds `x` to a running sum kept on the device.
fn accumulate<const D: usize, K>(sum: &mut Option<Tensor<D, K>>, x: Tensor<D, K>)
where
    K: burn::tensor::kind::Numeric,
{
    *sum = Some(match sum.take() {
        Some(s) => s + x,
        None => x,
    });
}

fn device_err(e: impl std::fmt::Debug) -> TrainError {
    TrainError::Device(format!("{e:?}"))
}

/// Mean loss (with the penalty) and accuracy of `model` over `split`, without gradients.
pub async fn validate(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
) -> Result<(f64, f64), TrainError> {
    let n = split.len();
    let order: Vec<usize> = (0..n).collect();
    let mut loss_sum: Option<Tensor<1>> = None;
    let mut correct: Option<Tensor<1, Int>> = None;
    for chunk in order.chunks(batch_size.max(1)) {
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
        return Ok((f64::NAN, 0.0));
    };
    let penalty = match model.penalty() {
        Some(p) => p.into_scalar_async::<f32>().await.map_err(device_err)? as f64,
        None => 0.0,
    };
    let loss = loss_sum
        .into_scalar_async::<f32>()
        .await
        .map_err(device_err)? as f64
        / n as f64;
    let correct = correct
        .into_scalar_async::<i64>()
        .await
        .map_err(device_err)? as f64;
    Ok((loss + penalty, correct / n as f64))
}

/// Predicted classes for every item of `split`.
pub async fn predict(
    model: &Network,
    input: InputKind,
    split: &Split,
    device: &Device,
    batch_size: usize,
) -> Result<Vec<u8>, TrainError> {
    let order: Vec<usize> = (0..split.len()).collect();
    let mut preds = Vec::new();
    for chunk in order.chunks(batch_size.max(1)) {
        let (x, _) = split.batch(chunk, device);
        preds.push(model.forward(x, input).argmax(1).reshape([chunk.len()]));
    }
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
    let (loss, _) = validate(model, input, split, device, batch_size).await?;
    let preds = predict(model, input, split, device, batch_size).await?;
    let mut report = classification_report(&split.y, &preds, &lab_data::CLASS_NAMES);
    report.loss = Some(loss);
    Ok((report, preds))
}

/// Trains a fresh model from `config` on `train`, validating on `val`. `device` must be an
/// autodiff device (`Device::flex().autodiff()`, a WebGPU device's `.autodiff()`, ...).
pub async fn fit(
    config: &TrainingConfig,
    train: &Split,
    val: Option<&Split>,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<TrainOutcome, TrainError> {
    fit_from(config, None, train, val, device, observer, options).await
}

/// [`fit`], starting from saved `weights` (bytes of [`crate::weights::to_bytes`]) instead of a
/// fresh initialization when given. With `options.initial_epoch` this is how a promoted
/// Hyperband trial continues its parent.
#[allow(clippy::await_holding_lock)] // the turn is held for the whole run on purpose
pub async fn fit_from(
    config: &TrainingConfig,
    weights: Option<&[u8]>,
    train: &Split,
    val: Option<&Split>,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<TrainOutcome, TrainError> {
    config.validate(None)?;
    // burn's random generator is global per backend: runs in one process take turns, so that a
    // seed gives the same weights and dropout masks whatever else runs (tests run in parallel).
    // On wasm (one thread) a second run in the same worker is refused rather than waited for.
    #[cfg(target_arch = "wasm32")]
    let _turn = RNG_TURN
        .try_lock()
        .map_err(|_| ConfigError::new("run", "another run is in progress in this worker"))?;
    #[cfg(not(target_arch = "wasm32"))]
    let _turn = RNG_TURN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(config.seed);
    let model = match weights {
        Some(bytes) => weights::load(bytes, &config.model, device)?,
        None => Network::new(&config.model, device)?,
    };
    fit_model(model, config, train, val, device, observer, options).await
}

static RNG_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Continues training `model` (for instance loaded from a checkpoint) with `config`.
pub async fn fit_model(
    mut model: Network,
    config: &TrainingConfig,
    train: &Split,
    val: Option<&Split>,
    device: &Device,
    observer: &mut impl Observer,
    options: &RunOptions,
) -> Result<TrainOutcome, TrainError> {
    let n = train.len();
    if config.batch_size > n {
        return Err(ConfigError::new(
            "batch_size",
            format!(
                "{} is larger than the {n} training samples",
                config.batch_size
            ),
        )
        .into());
    }
    let eval_device = device.clone().inner();
    let input = config.model.input;
    let mut optim = optimizer(&config.optimizer);
    let mut lr = config.optimizer.learning_rate();
    let mut callbacks = Callbacks::new(&config.callbacks);
    let class_weight: Option<Vec<f32>> = config
        .class_weight
        .as_ref()
        .map(|w| w.iter().map(|&v| v as f32).collect());
    let batches = n.div_ceil(config.batch_size);
    if options.initial_epoch >= config.epochs {
        return Err(ConfigError::new(
            "initial_epoch",
            format!(
                "{} leaves no epoch to train (epochs is {})",
                options.initial_epoch, config.epochs
            ),
        )
        .into());
    }
    observer.event(Event::Started {
        epochs: config.epochs,
        batches_per_epoch: batches,
        train_samples: n,
        val_samples: val.map_or(0, Split::len),
    });

    let mut history = History::default();
    let mut epochs = Vec::new();
    let mut best_for_restore: Option<Network> = None;
    let mut checkpoint: Option<Checkpoint> = None;
    let mut reason = StopReason::Completed;
    let mut saw_nan = false;

    'epochs: for epoch in options.initial_epoch..config.epochs {
        let started = Instant::now();
        let order = epoch_order(n, config.seed, epoch, config.shuffle);
        let mut loss_sum: Option<Tensor<1>> = None;
        let mut penalty_sum: Option<Tensor<1>> = None;
        let mut correct: Option<Tensor<1, Int>> = None;
        let mut seen = 0usize;
        let mut last_progress: Option<Instant> = None;
        let mut nan_reported = false;
        for (b, chunk) in order.chunks(config.batch_size).enumerate() {
            if observer.stop_requested() {
                reason = StopReason::UserStop;
                break 'epochs;
            }
            let bs = chunk.len();
            let (x, y) = train.batch(chunk, device);
            let logits = model.forward(x, input);
            let per_sample = cross_entropy(logits.clone(), y.clone());
            let data_loss = match &class_weight {
                Some(w) => {
                    let weights: Vec<f32> = chunk.iter().map(|&i| w[train.y[i] as usize]).collect();
                    let weights = Tensor::<1>::from_data(TensorData::new(weights, [bs]), device);
                    (per_sample * weights).sum().div_scalar(bs as f64)
                }
                None => per_sample.mean(),
            };
            let penalty = model.penalty();
            let loss = match &penalty {
                Some(p) => data_loss + p.clone(),
                None => data_loss,
            };
            let batch_correct = logits.argmax(1).reshape([bs]).equal(y).int().sum().inner();
            let batch_loss = loss.clone().inner().mul_scalar(bs as f64);
            accumulate(&mut loss_sum, batch_loss);
            if let Some(p) = penalty {
                accumulate(&mut penalty_sum, p.inner().mul_scalar(bs as f64));
            }
            accumulate(&mut correct, batch_correct);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
            seen += bs;

            let last = b + 1 == batches;
            let read_now = last || (b + 1) % options.loss_read_every.max(1) == 0;
            if read_now {
                let running = loss_sum
                    .clone()
                    .expect("set above")
                    .into_scalar_async::<f32>()
                    .await
                    .map_err(device_err)? as f64
                    / seen as f64;
                if !running.is_finite() && !nan_reported {
                    saw_nan = true;
                    nan_reported = true;
                    if callbacks.terminate_on_nan {
                        observer.event(Event::Callback(CallbackAction::TerminatedOnNan {
                            epoch: epoch + 1,
                            batch: b + 1,
                        }));
                        reason = StopReason::TerminatedOnNan;
                        break 'epochs;
                    }
                    observer.event(Event::NanLoss {
                        epoch: epoch + 1,
                        batch: b + 1,
                    });
                }
                let now = Instant::now();
                let due = last_progress.is_none_or(|t| {
                    now.duration_since(t).as_secs_f64() >= options.progress_interval_s
                });
                if due || last {
                    let elapsed = now.duration_since(started).as_secs_f64().max(1e-9);
                    observer.event(Event::Batch(BatchProgress {
                        epoch: epoch + 1,
                        batch: b + 1,
                        batches,
                        loss: running,
                        samples_per_s: seen as f64 / elapsed,
                        ms_per_batch: 1000.0 * elapsed / (b + 1) as f64,
                    }));
                    last_progress = Some(now);
                }
            }
            observer.between_batches().await;
        }

        let loss = loss_sum
            .expect("an epoch has at least one batch")
            .into_scalar_async::<f32>()
            .await
            .map_err(device_err)? as f64
            / seen as f64;
        let regularization_loss = match penalty_sum {
            Some(p) => p.into_scalar_async::<f32>().await.map_err(device_err)? as f64 / seen as f64,
            None => 0.0,
        };
        let accuracy = correct
            .expect("an epoch has at least one batch")
            .into_scalar_async::<i64>()
            .await
            .map_err(device_err)? as f64
            / seen as f64;
        let (val_loss, val_accuracy) = match val {
            Some(v) if !v.is_empty() => {
                let (l, a) = validate(
                    &model.valid(),
                    input,
                    v,
                    &eval_device,
                    options.eval_batch_size,
                )
                .await?;
                (Some(l), Some(a))
            }
            _ => (None, None),
        };
        let logs = EpochLogs {
            epoch: epoch + 1,
            loss,
            accuracy,
            val_loss,
            val_accuracy,
            lr,
            regularization_loss,
            seconds: started.elapsed().as_secs_f64(),
        };
        history.push(&logs);
        epochs.push(logs.clone());
        observer.event(Event::Epoch(logs.clone()));

        let decision = callbacks.on_epoch_end(epoch, &logs);
        if decision.save_best_for_restore {
            best_for_restore = Some(model.clone());
        }
        if decision.save_checkpoint
            && let Some(CallbackAction::CheckpointSaved { monitor, value, .. }) = decision
                .actions
                .iter()
                .find(|a| matches!(a, CallbackAction::CheckpointSaved { .. }))
        {
            checkpoint = Some(Checkpoint {
                epoch: epoch + 1,
                monitor: monitor.clone(),
                value: *value,
                bytes: weights::to_bytes(&model.valid(), &config.model).await?,
            });
        }
        if let Some(new_lr) = decision.new_lr {
            lr = new_lr;
        }
        for action in decision.actions {
            observer.event(Event::Callback(action));
        }
        if decision.stop {
            reason = StopReason::EarlyStopping;
            break;
        }
    }

    let stopped_epoch = epochs.last().map_or(options.initial_epoch, |e| e.epoch);
    let mut weights_epoch = stopped_epoch;
    if let (Some(best), Some((epoch, value, monitor))) =
        (best_for_restore, callbacks.restore_target())
        && epoch != stopped_epoch
    {
        model = best;
        weights_epoch = epoch;
        observer.event(Event::Callback(CallbackAction::RestoredBestWeights {
            epoch,
            monitor: monitor.name().into(),
            value: value.unwrap_or(f64::NAN),
        }));
    }
    let best_epoch = callbacks.best_epoch().or_else(|| {
        epochs
            .iter()
            .filter_map(|e| e.val_loss.map(|v| (e.epoch, v)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(e, _)| e)
    });
    let summary = RunSummary {
        history,
        epochs,
        reason,
        stopped_epoch,
        best_epoch,
        weights_epoch,
        saw_nan,
    };
    observer.event(Event::Finished(summary.clone()));
    Ok(TrainOutcome {
        model: model.valid(),
        summary,
        checkpoint,
    })
}
