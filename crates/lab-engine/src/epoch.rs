//! Inside one epoch: the mini-batch steps (forward → cross-entropy (categorical for the softmax
//! head, binary for the sigmoid head) + penalty → `backward` →
//! `GradientsParams::from_grads` → `ModuleOptimizer::step`), the running loss read back at most
//! once per batch (NaN is detected at those reads), batch-progress events, then validation.
//! What spans epochs (callbacks, checkpoint, restore, the summary) is in `training.rs`.

use burn::module::Module;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, RmsPropConfig, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use lab_spec::{BatchProgress, CallbackAction, EpochLogs, Event, OptimizerConfig, StopReason};
use web_time::Instant;

use crate::data::epoch_order;
use crate::evaluate::{accumulate, per_sample_loss, predicted, read_count, read_f64, validate};
use crate::model::Network;
use crate::training::{FitInputs, Observer, RunOptions, TrainError};

/// Keras' optimizer `config` as burn's (see ARCHITECTURE.md for how they match).
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

/// How an epoch ended.
pub(crate) enum EpochEnd {
    /// Every batch ran and the model was validated.
    Logs(EpochLogs),
    /// The run ends inside the epoch (Stop, TerminateOnNaN); the epoch has no logs.
    Interrupted(StopReason),
}

/// What one run's epochs share: its inputs, the optimizer (whose state carries over), the
/// class weights. It trains one epoch at a time; the model goes in and comes back out, since
/// the optimizer step consumes it (a clone would keep a second reference to every parameter).
pub(crate) struct EpochRunner<'a> {
    inputs: FitInputs<'a>,
    options: &'a RunOptions,
    optim: ModuleOptimizer,
    /// `class_weight` as f32, indexed by label.
    class_weight: Option<Vec<f32>>,
    /// Validation runs on the inference form of the training device.
    eval_device: Device,
    /// Batches per epoch.
    pub batches: usize,
    /// Whether a running loss read back in this run was NaN or infinite.
    pub saw_nan: bool,
}

impl<'a> EpochRunner<'a> {
    pub fn new(inputs: FitInputs<'a>, options: &'a RunOptions) -> Self {
        let config = inputs.config;
        Self {
            optim: optimizer(&config.optimizer),
            class_weight: config
                .class_weight
                .as_ref()
                .map(|w| w.iter().map(|&v| v as f32).collect()),
            eval_device: inputs.device.clone().inner(),
            batches: inputs.train.len().div_ceil(config.batch_size),
            saw_nan: false,
            inputs,
            options,
        }
    }

    /// Trains `model` for epoch `epoch` (0-based) at learning rate `lr`, then validates it.
    /// Returns the model as the last step left it (also when the epoch is interrupted).
    pub async fn run(
        &mut self,
        mut model: Network,
        epoch: usize,
        lr: f64,
        observer: &mut impl Observer,
    ) -> Result<(Network, EpochEnd), TrainError> {
        let started = Instant::now();
        let config = self.inputs.config;
        let order = epoch_order(self.inputs.train.len(), config.seed, epoch, config.shuffle);
        let mut sums = Sums::default();
        let mut progress = Progress::new(epoch + 1, self.batches, started, self.options);
        let mut nan_reported = false;
        for (b, chunk) in order.chunks(config.batch_size).enumerate() {
            if observer.stop_requested() {
                return Ok((model, EpochEnd::Interrupted(StopReason::UserStop)));
            }
            model = self.step(model, chunk, lr, &mut sums);
            let batch = b + 1;
            let last = batch == self.batches;
            if last || batch % self.options.loss_read_every.max(1) == 0 {
                let running = sums.running_loss().await?;
                if !running.is_finite() && !nan_reported {
                    self.saw_nan = true;
                    nan_reported = true;
                    let epoch = epoch + 1;
                    if config.callbacks.terminate_on_nan {
                        observer.event(Event::Callback(CallbackAction::TerminatedOnNan {
                            epoch,
                            batch,
                        }));
                        return Ok((model, EpochEnd::Interrupted(StopReason::TerminatedOnNan)));
                    }
                    observer.event(Event::NanLoss { epoch, batch });
                }
                if let Some(p) = progress.report(Instant::now(), batch, running, sums.seen) {
                    observer.event(Event::Batch(p));
                }
            }
            observer.between_batches().await;
        }
        let (loss, accuracy, regularization_loss) = sums.means().await?;
        let (val_loss, val_accuracy) = self.validate(&model).await?;
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
        Ok((model, EpochEnd::Logs(logs)))
    }

    /// One optimization step on the training items `chunk`: forward → cross-entropy (weighted
    /// by `class_weight` when set) + the regularization penalty → backward → optimizer step.
    /// The batch's loss, penalty and correct count are added to `sums` on the device; nothing
    /// is read back here.
    fn step(&mut self, model: Network, chunk: &[usize], lr: f64, sums: &mut Sums) -> Network {
        let FitInputs {
            config,
            train,
            device,
            ..
        } = self.inputs;
        let bs = chunk.len();
        let (x, y) = train.batch_input(chunk, device);
        let logits = model.forward_batch(x, config.model.input);
        let per_sample = per_sample_loss(logits.clone(), y.clone());
        let data_loss = match &self.class_weight {
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
        let batch_correct = predicted(logits, config.threshold)
            .equal(y)
            .int()
            .sum()
            .inner();
        accumulate(&mut sums.loss, loss.clone().inner().mul_scalar(bs as f64));
        if let Some(p) = penalty {
            accumulate(&mut sums.penalty, p.inner().mul_scalar(bs as f64));
        }
        accumulate(&mut sums.correct, batch_correct);
        sums.seen += bs;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.optim.step(lr, model, grads)
    }

    /// `(val_loss, val_accuracy)` on the validation split, when there is one.
    async fn validate(&self, model: &Network) -> Result<(Option<f64>, Option<f64>), TrainError> {
        match self.inputs.val {
            Some(v) if !v.is_empty() => {
                let (loss, accuracy) = validate(
                    &model.valid(),
                    self.inputs.config.model.input,
                    v,
                    &self.eval_device,
                    self.options.eval_batch_size,
                )
                .await?;
                Ok((Some(loss), Some(accuracy)))
            }
            _ => Ok((None, None)),
        }
    }
}

/// The epoch's training sums so far, kept on the device (each batch's mean times its size).
#[derive(Default)]
struct Sums {
    loss: Option<Tensor<1>>,
    penalty: Option<Tensor<1>>,
    correct: Option<Tensor<1, Int>>,
    seen: usize,
}

impl Sums {
    /// The mean loss over the samples seen so far (one read-back).
    async fn running_loss(&self) -> Result<f64, TrainError> {
        let loss = self.loss.clone().expect("read after a step");
        Ok(read_f64(loss).await? / self.seen as f64)
    }

    /// `(loss, accuracy, regularization_loss)`: means over the epoch's samples.
    async fn means(self) -> Result<(f64, f64, f64), TrainError> {
        let n = self.seen as f64;
        let loss = read_f64(self.loss.expect("an epoch has at least one batch")).await? / n;
        let penalty = match self.penalty {
            Some(p) => read_f64(p).await? / n,
            None => 0.0,
        };
        let correct = read_count(self.correct.expect("an epoch has at least one batch")).await?;
        Ok((loss, correct / n, penalty))
    }
}

/// Batch-progress events of one epoch: one at the first read-back, then at most one every
/// `progress_interval_s`, and always one for the last batch.
struct Progress {
    /// 1-based.
    epoch: usize,
    batches: usize,
    interval_s: f64,
    started: Instant,
    last_sent: Option<Instant>,
}

impl Progress {
    fn new(epoch: usize, batches: usize, started: Instant, options: &RunOptions) -> Self {
        Self {
            epoch,
            batches,
            interval_s: options.progress_interval_s,
            started,
            last_sent: None,
        }
    }

    /// The event for `batch` (1-based), with the running `loss` after `seen` samples, if due
    /// at `now`.
    fn report(
        &mut self,
        now: Instant,
        batch: usize,
        loss: f64,
        seen: usize,
    ) -> Option<BatchProgress> {
        let due = self
            .last_sent
            .is_none_or(|t| now.duration_since(t).as_secs_f64() >= self.interval_s);
        if !due && batch != self.batches {
            return None;
        }
        self.last_sent = Some(now);
        let elapsed = now.duration_since(self.started).as_secs_f64().max(1e-9);
        Some(BatchProgress {
            epoch: self.epoch,
            batch,
            batches: self.batches,
            loss,
            samples_per_s: seen as f64 / elapsed,
            ms_per_batch: 1000.0 * elapsed / batch as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn progress_reports_the_first_batch_then_every_interval_and_the_last() {
        let t0 = Instant::now();
        let options = RunOptions {
            progress_interval_s: 1.0,
            ..Default::default()
        };
        let mut p = Progress::new(3, 5, t0, &options);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let first = p
            .report(at(100), 1, 2.0, 10)
            .expect("the first is always sent");
        assert_eq!((first.epoch, first.batch, first.batches), (3, 1, 5));
        assert_eq!(first.loss, 2.0);
        assert!((first.samples_per_s - 100.0).abs() < 1e-6);
        assert!((first.ms_per_batch - 100.0).abs() < 1e-6);
        assert!(p.report(at(600), 2, 1.9, 20).is_none());
        assert!(p.report(at(1100), 3, 1.8, 30).is_some());
        assert!(p.report(at(1200), 4, 1.7, 40).is_none());
        let last = p
            .report(at(1300), 5, 1.6, 50)
            .expect("the last is always sent");
        assert!((last.ms_per_batch - 260.0).abs() < 1e-6);
    }
}
