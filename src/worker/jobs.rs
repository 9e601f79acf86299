//! The worker's jobs, one per request: train a run, tune (a search), evaluate a run's
//! checkpoint, find misclassified test images, give a run's weights, load weights as a run,
//! give back a stored run after a reload, predict a page of test images, preview a
//! normalization, benchmark. Runs and searches go through the engine's shared pipeline
//! (`lab_engine::session`); each job sends its replies to the [`Outbox`] and returns the
//! message of what went wrong, if anything.

use lab_data::Dataset;
use lab_engine::data::{Normalizer, prepare};
use lab_engine::model::Network;
use lab_engine::session::{self, RunEnd, RunResult};
use lab_engine::training::{Checkpoint, TrainError, evaluate, evaluate_with_predictions, fit};
use lab_engine::weights;
use lab_spec::tuning::{TunerConfig, Values};
use lab_spec::worker::{BenchModel, BenchResult, CheckpointFile, Prediction, Reply, WhichWeights};
use lab_spec::{DatasetKind, Event, ModelSpec, Normalization, TrainingConfig};
use web_time::Instant;

use super::activations::LiveSink;
use super::backend::{checkpoint_device, run_options};
use super::console;
use super::run_store::RunStore;
use super::sink::{EventSink, Outbox, Route};
use super::state::{Flag, State};
use super::warm_up::settle_warm_up;

/// Misclassified images sent for one confusion-matrix cell.
pub const CELL_IMAGES: usize = 24;
/// The most predictions sent for one request.
pub const MAX_PREDICTIONS: usize = 240;

/// Trains and evaluates run `run`, keeping what its drill-downs need (within the store's
/// budget). A Stop during the test-set evaluation ends it there, without test results.
pub async fn train(
    state: &State,
    outbox: &Outbox,
    run: u32,
    config: TrainingConfig,
) -> Result<(), String> {
    if config.dataset == DatasetKind::Imdb {
        return super::imdb::train(state, outbox, run, config).await;
    }
    settle_warm_up(&state.warm_up).await;
    let (backend, data) = state.ready()?;
    let target = backend.target(&config.model);
    // The stop flag was lowered when the request was read: a Stop during the warm-up counts.
    let events = EventSink::new(Route::Run(run, outbox.clone()), state.stop.clone());
    // A CNN's weights of each epoch end, for what the network sees while it trains.
    let mut sink = LiveSink::new(events, state, run, &config, &target);
    let end = session::train_and_evaluate_stoppable(
        &config,
        &data,
        &target.device,
        &mut sink,
        &target.options,
    )
    .await
    .map_err(|e| e.to_string())?;
    let kept = keep_run(state, outbox, run, config, end, target.cpu).await;
    // The run's own weights are kept now: the last epoch's go.
    drop(sink);
    kept
}

/// What a finished run leaves: its store (config, normalizer, predictions, final weights, best
/// checkpoint), then its test results sent to the page. A run stopped during the test-set
/// evaluation leaves nothing: its last `Finished` (reason: stopped by you) has gone out, and the
/// page shows it stopped, with its history and without test results.
pub(super) async fn keep_run(
    state: &State,
    outbox: &Outbox,
    run: u32,
    config: TrainingConfig,
    end: RunEnd,
    cpu: bool,
) -> Result<(), String> {
    let RunResult {
        outcome,
        report,
        predictions,
        normalizer,
    } = match end {
        RunEnd::Evaluated(result) => *result,
        RunEnd::StoppedInEvaluation(_) => return Ok(()),
    };
    let final_weights = final_weights(&outcome.model, &config, run).await;
    state.runs.borrow_mut().insert(
        run,
        RunStore {
            config,
            normalizer,
            predictions,
            final_weights,
            checkpoint: outcome.checkpoint,
            cpu,
        },
    );
    outbox.post(Reply::Run {
        run,
        event: Event::Evaluated(report),
    });
    Ok(())
}

/// Runs a search on the loaded data: every trial on the same split, on this worker's backend.
pub async fn tune(
    state: &State,
    outbox: &Outbox,
    search: u32,
    config: TunerConfig,
) -> Result<(), String> {
    if config.dataset == DatasetKind::Imdb {
        return super::imdb::tune(state, outbox, search, config).await;
    }
    settle_warm_up(&state.warm_up).await;
    let (backend, data) = state.ready()?;
    let invalid = |e: lab_spec::ConfigError| format!("invalid search: {e}");
    // The device is chosen for the search's base model, so the config must build one.
    config.validate(Some(data.train.len())).map_err(invalid)?;
    let base = config.training_config(&Values::new(), 1).map_err(invalid)?;
    let target = backend.target(&base.model);
    let mut sink = EventSink::new(Route::Search(search, outbox.clone()), state.stop.clone());
    session::tune(
        &config,
        &data.train,
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

/// Evaluates run `run`'s ModelCheckpoint weights on the test set (the reason in words when
/// the run kept none, or it was dropped to make room for newer ones).
pub async fn evaluate_checkpoint(state: &State, outbox: &Outbox, run: u32) -> Result<(), String> {
    let imdb_run = state
        .runs
        .borrow()
        .predictions(run)
        .is_ok_and(|s| s.config.dataset == DatasetKind::Imdb);
    if imdb_run {
        return super::imdb::evaluate_checkpoint(state, outbox, run).await;
    }
    let (model, input, test, device, batch, epoch) = {
        let runs = state.runs.borrow();
        let (stored, checkpoint) = runs.checkpoint(run)?;
        let data = state
            .data
            .borrow()
            .clone()
            .ok_or("the data is not loaded")?;
        let spec = &stored.config.model;
        let device = checkpoint_device(state.backend.borrow().as_ref(), stored.cpu, spec)?;
        let model = weights::load(&checkpoint.bytes, spec, &device).map_err(|e| e.to_string())?;
        let test = stored.normalizer.apply(&data.test);
        let batch = run_options(!stored.cpu).eval_batch_size;
        (model, spec.input, test, device, batch, checkpoint.epoch)
    };
    let report = evaluate(&model, input, &test, &device, batch)
        .await
        .map_err(|e| e.to_string())?;
    outbox.post(Reply::Checkpoint { run, epoch, report });
    Ok(())
}

/// Run `run`'s weights as a safetensors file with its config in the metadata: the final ones
/// as kept, the best checkpoint written again with the config (ModelCheckpoint keeps it with
/// the spec only).
pub async fn weights_file(state: &State, run: u32, which: WhichWeights) -> Result<Vec<u8>, String> {
    let (checkpoint, config, device) = {
        let runs = state.runs.borrow();
        if which == WhichWeights::Final {
            return Ok(runs.final_weights(run)?.1.to_vec());
        }
        let (stored, checkpoint) = runs.checkpoint(run)?;
        let config = stored.config.clone();
        let device = checkpoint_device(state.backend.borrow().as_ref(), stored.cpu, &config.model)?;
        (checkpoint.bytes.clone(), config, device)
    };
    let model = weights::load(&checkpoint, &config.model, &device).map_err(|e| e.to_string())?;
    weights::to_bytes_with_config(&model, &config)
        .await
        .map_err(|e| e.to_string())
}

/// Sends run `run`'s weights, or why it has none.
pub async fn send_weights(state: &State, outbox: &Outbox, run: u32, which: WhichWeights) {
    outbox.post(match weights_file(state, run, which).await {
        Ok(bytes) => Reply::Weights {
            run,
            which,
            bytes: serde_bytes::ByteBuf::from(bytes),
        },
        Err(message) => Reply::WeightsUnavailable {
            run,
            which,
            message,
        },
    });
}

/// Loads `bytes` into `config.model` (all or nothing), evaluates it on the test set (normalized
/// with the statistics of `config`'s training split, as a run of `config` is) and keeps it as
/// run `run`, with its predictions. On an error nothing is kept.
pub async fn load_weights(
    state: &State,
    outbox: &Outbox,
    run: u32,
    config: TrainingConfig,
    bytes: Vec<u8>,
) -> Result<(), String> {
    let (model, report, mut store) = evaluate_file(state, config, bytes, false).await?;
    store.final_weights = final_weights(&model, &store.config, run).await;
    state.runs.borrow_mut().insert(run, store);
    outbox.post(Reply::Loaded { run, report });
    Ok(())
}

/// Gives back run `run` from its stored weights (after a reload): the final weights kept as
/// they are and evaluated on the test set for the predictions, the checkpoint kept as it was;
/// the run takes its place by age among the kept runs. On an error nothing is kept.
pub async fn restore_run(
    state: &State,
    outbox: &Outbox,
    run: u32,
    config: TrainingConfig,
    final_weights: Vec<u8>,
    checkpoint: Option<CheckpointFile>,
) -> Result<(), String> {
    let (_, _, mut store) = evaluate_file(state, config, final_weights, true).await?;
    store.checkpoint = checkpoint.map(|c| Checkpoint {
        epoch: c.epoch,
        monitor: c.monitor,
        value: c.value,
        bytes: c.bytes.into_vec(),
    });
    state.runs.borrow_mut().restore(run, store);
    outbox.post(Reply::Restored { run });
    Ok(())
}

/// `bytes` loaded into `config.model` (all or nothing) and evaluated on the test set,
/// normalized with the statistics of `config`'s training split as a run of `config` is: the
/// model, its report and what the run leaves, without a checkpoint. With `keep_bytes` the file
/// is the run's final weights; else it is dropped once loaded and the run has none yet.
async fn evaluate_file(
    state: &State,
    config: TrainingConfig,
    bytes: Vec<u8>,
    keep_bytes: bool,
) -> Result<(Network, lab_spec::ClassificationReport, RunStore), String> {
    if config.dataset == DatasetKind::Imdb {
        return super::imdb::evaluate_file(state, config, bytes, keep_bytes).await;
    }
    settle_warm_up(&state.warm_up).await;
    let (backend, data) = state.ready()?;
    config
        .validate(Some(data.train.len()))
        .map_err(|e| format!("invalid config: {e}"))?;
    let target = backend.target(&config.model);
    let model = weights::load(&bytes, &config.model, &target.device).map_err(|e| e.to_string())?;
    let final_weights = keep_bytes.then_some(bytes);
    let normalizer = prepare(&data.train, &config).normalizer;
    let test = normalizer.apply(&data.test);
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
        normalizer,
        predictions,
        final_weights,
        checkpoint: None,
        cpu: target.cpu,
    };
    Ok((model, report, store))
}

/// A run's final weights as a file with its config, kept for "Download weights" and the
/// predictions grid; a model whose values cannot be read back keeps none (said on the console).
async fn final_weights(model: &Network, config: &TrainingConfig, run: u32) -> Option<Vec<u8>> {
    weights::to_bytes_with_config(model, config)
        .await
        .inspect_err(|e| console::info(&format!("the final weights of run {run}: {e}")))
        .ok()
}

/// The test images a page of predictions shows — all of them, or those `predictions` gets
/// wrong — `count` from `offset` on; and how many there are in all.
pub fn prediction_indices(
    labels: &[u8],
    predictions: &[u8],
    only_mistakes: bool,
    offset: usize,
    count: usize,
) -> (Vec<usize>, usize) {
    let shown: Vec<usize> = (0..labels.len())
        .filter(|&i| !only_mistakes || predictions.get(i).is_some_and(|&p| p != labels[i]))
        .collect();
    let page = shown.iter().copied().skip(offset).take(count).collect();
    (page, shown.len())
}

/// The softmax probabilities of every item of `split`, one row of 10 per item.
async fn probabilities(
    model: &lab_engine::model::Network,
    input: lab_spec::InputKind,
    split: &lab_engine::data::Split,
    device: &burn::tensor::Device,
) -> Result<Vec<Vec<f32>>, String> {
    if split.is_empty() {
        return Ok(Vec::new());
    }
    let all: Vec<usize> = (0..split.len()).collect();
    let (x, _) = split.batch(&all, device);
    let p = burn::tensor::activation::softmax(model.forward(x, input), 1);
    let [_, classes] = p.dims();
    let values = p
        .into_data_async()
        .await
        .map_err(|e| format!("could not read the predictions back: {e:?}"))?
        .try_to_vec_as::<f32>()
        .map_err(|e| format!("could not read the predictions back: {e:?}"))?;
    Ok(values.chunks(classes).map(<[f32]>::to_vec).collect())
}

/// A page of run `run`'s predictions (its final model on the test set): each image with its
/// true class, the predicted one and that class's probability.
pub async fn predictions(
    state: &State,
    outbox: &Outbox,
    run: u32,
    offset: usize,
    count: usize,
    only_mistakes: bool,
) -> Result<(), String> {
    let (model, input, split, device, indices, predicted, total, data) = {
        let runs = state.runs.borrow();
        let (stored, bytes) = runs.final_weights(run)?;
        if stored.config.dataset == DatasetKind::Imdb {
            return Err(
                "this grid shows test images; for reviews, click a cell of the \
                 confusion matrix"
                    .into(),
            );
        }
        let data = state
            .data
            .borrow()
            .clone()
            .ok_or("the data is not loaded")?;
        let (indices, total) = prediction_indices(
            &data.test.labels,
            &stored.predictions,
            only_mistakes,
            offset,
            count.min(MAX_PREDICTIONS),
        );
        // The classes of the confusion matrix (the argmax of the same model).
        let predicted: Vec<u8> = indices
            .iter()
            .map(|&i| stored.predictions.get(i).copied().unwrap_or_default())
            .collect();
        let spec = &stored.config.model;
        let device = checkpoint_device(state.backend.borrow().as_ref(), stored.cpu, spec)?;
        let model = weights::load(bytes, spec, &device).map_err(|e| e.to_string())?;
        let split = stored.normalizer.apply(&data.test.select(&indices));
        let input = spec.input;
        (model, input, split, device, indices, predicted, total, data)
    };
    let rows = probabilities(&model, input, &split, &device).await?;
    let items = indices
        .into_iter()
        .zip(predicted)
        .zip(rows)
        .map(|((index, predicted), row)| Prediction {
            index,
            image: serde_bytes::ByteBuf::from(data.test.image(index)),
            true_class: data.test.labels[index],
            predicted,
            probability: row.get(usize::from(predicted)).copied().unwrap_or(f32::NAN),
        })
        .collect();
    outbox.post(Reply::Predictions {
        run,
        offset,
        only_mistakes,
        items,
        total,
    });
    Ok(())
}

/// Indices of the test images of class `actual` that a run predicted as `predicted`, the
/// first `limit` of them.
pub fn misclassified_indices(
    labels: &[u8],
    predictions: &[u8],
    actual: u8,
    predicted: u8,
    limit: usize,
) -> Vec<usize> {
    (0..labels.len())
        .filter(|&i| labels[i] == actual && predictions.get(i) == Some(&predicted))
        .take(limit)
        .collect()
}

/// Sends the test images of one confusion-matrix cell (none when the run's predictions or the
/// data are gone: the page has no message for that reply, so the reason goes to the console).
pub fn misclassified(state: &State, outbox: &Outbox, run: u32, actual: u8, predicted: u8) {
    let (indices, images) = {
        let runs = state.runs.borrow();
        let data = state.data.borrow();
        let stored = runs
            .predictions(run)
            .inspect_err(|why| console::info(&format!("misclassified images of run {run}: {why}")));
        match (stored.ok(), data.as_ref()) {
            (Some(stored), Some(data)) => {
                let indices = misclassified_indices(
                    &data.test.labels,
                    &stored.predictions,
                    actual,
                    predicted,
                    CELL_IMAGES,
                );
                let images = indices
                    .iter()
                    .map(|&i| serde_bytes::ByteBuf::from(data.test.image(i)))
                    .collect();
                (indices, images)
            }
            _ => (Vec::new(), Vec::new()),
        }
    };
    outbox.post(Reply::Images {
        run,
        actual,
        predicted,
        images,
        indices,
    });
}

/// Training image `index` (the last one past the end) before and after `normalization`, fitted
/// as a run fits it (on the training part of the default 20 % validation split).
pub fn preview_image(
    train: &Dataset,
    index: usize,
    normalization: Normalization,
) -> Option<(Vec<u8>, Vec<f32>)> {
    if train.is_empty() {
        return None;
    }
    let i = index.min(train.len() - 1);
    let (fit_on, _) = train.stratified_split(0.2, 42);
    let normalizer = Normalizer::fit(normalization, &fit_on);
    let one = train.select(&[i]);
    let normalized = normalizer.apply(&one).x.into_dense()?;
    Some((one.images, normalized))
}

/// Sends a preview (nothing before the data is loaded).
pub fn preview(state: &State, outbox: &Outbox, index: usize, normalization: Normalization) {
    let data = state.data.borrow().clone();
    if let Some((raw, normalized)) =
        data.and_then(|d| preview_image(&d.train, index, normalization))
    {
        outbox.post(Reply::Preview { raw, normalized });
    }
}

/// The benchmark's config: one epoch of `model` at `batch`, no validation.
pub fn bench_config(model: BenchModel, batch: usize) -> TrainingConfig {
    let spec = match model {
        BenchModel::Mlp => ModelSpec::mlp(&[256, 128]),
        BenchModel::Cnn => ModelSpec::small_cnn(),
    };
    let mut config = TrainingConfig::new(spec);
    config.batch_size = batch;
    config.epochs = 1;
    config.validation_split = 0.0;
    config
}

/// Times `steps` training steps as a learner's run does them (same options), after a warm-up
/// run of two steps. Stop does not end it.
pub async fn bench(
    state: &State,
    outbox: &Outbox,
    model: BenchModel,
    batch: usize,
    steps: usize,
) -> Result<(), String> {
    settle_warm_up(&state.warm_up).await;
    let (backend, data) = state.ready()?;
    let config = bench_config(model, batch);
    let target = backend.target(&config.model);
    let autodiff = target.device.clone().autodiff();
    // Trains `config` on its first `samples` images; returns (samples, seconds).
    let timed = async |samples: usize| -> Result<(usize, f64), String> {
        let mut run = config.clone();
        run.subset = Some(samples);
        let prepared = prepare(&data.train, &run);
        let mut quiet = EventSink::new(Route::Nowhere, Flag::default());
        let started = Instant::now();
        fit(
            &run,
            &prepared.train,
            None,
            &autodiff,
            &mut quiet,
            &target.options,
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok((prepared.train.len(), started.elapsed().as_secs_f64()))
    };
    let (_, warmup_s) = timed(batch * 2).await?;
    let (samples, seconds) = timed(batch * steps).await?;
    outbox.post(Reply::Bench(BenchResult {
        location: "browser".into(),
        backend: target.name.into(),
        model,
        batch,
        samples_per_s: (samples as f64 / seconds).round(),
        warmup_s,
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::data::tests::toy;

    #[test]
    fn misclassified_takes_the_cell_in_test_order() {
        let labels = [1, 2, 1, 1, 1, 0];
        let predictions = [2, 2, 2, 1, 2, 2];
        assert_eq!(
            misclassified_indices(&labels, &predictions, 1, 2, 24),
            [0, 2, 4]
        );
        assert_eq!(
            misclassified_indices(&labels, &predictions, 1, 2, 2),
            [0, 2]
        );
        assert!(misclassified_indices(&labels, &predictions, 3, 2, 24).is_empty());
        // Fewer predictions than labels: the rest count as unknown.
        assert_eq!(
            misclassified_indices(&labels, &predictions[..1], 1, 2, 24),
            [0]
        );
    }

    #[test]
    fn the_preview_index_is_clamped_to_the_last_image() {
        let train = toy(5);
        let (raw, normalized) = preview_image(&train, 1_000, Normalization::Scale).unwrap();
        assert_eq!(raw, train.image(train.len() - 1));
        assert_eq!(normalized.len(), raw.len());
        assert!((normalized[0] - raw[0] as f32 / 255.0).abs() < 1e-6);
        assert_eq!(
            preview_image(&train, 3, Normalization::Scale).unwrap().0,
            train.image(3)
        );
        assert!(preview_image(&Dataset::default(), 0, Normalization::Scale).is_none());
    }

    #[test]
    fn the_bench_config_is_one_epoch_without_validation() {
        let c = bench_config(BenchModel::Cnn, 64);
        assert_eq!(c.model, ModelSpec::small_cnn());
        assert_eq!((c.batch_size, c.epochs, c.validation_split), (64, 1, 0.0));
        assert_eq!(
            bench_config(BenchModel::Mlp, 8).model,
            ModelSpec::mlp(&[256, 128])
        );
    }

    /// A worker on the CPU with a toy dataset.
    fn ready_state() -> State {
        let state = State::default();
        *state.backend.borrow_mut() = Some(super::super::backend::Backend::Cpu);
        *state.data.borrow_mut() = Some(std::rc::Rc::new(lab_data::files::FashionMnist {
            train: toy(30),
            test: toy(10),
        }));
        state
    }

    #[test]
    fn a_stored_run_is_given_back_with_its_checkpoint_and_predictions() {
        use futures::executor::block_on;
        let mut config = TrainingConfig::new(ModelSpec::baseline());
        (config.batch_size, config.epochs) = (16, 2);
        config.callbacks.model_checkpoint = Some(lab_spec::ModelCheckpointConfig::default());
        let (outbox, mut replies) = Outbox::channel();
        let trained = ready_state();
        block_on(train(&trained, &outbox, 1, config.clone())).unwrap();
        let final_bytes = block_on(weights_file(&trained, 1, WhichWeights::Final)).unwrap();
        let best = block_on(weights_file(&trained, 1, WhichWeights::Best)).unwrap();
        let (epoch, monitor, value) = {
            let runs = trained.runs.borrow();
            let c = runs.checkpoint(1).unwrap().1;
            (c.epoch, c.monitor.clone(), c.value)
        };
        block_on(evaluate_checkpoint(&trained, &outbox, 1)).unwrap();
        let checkpoint_reports = |replies: Vec<Reply>| -> Vec<_> {
            replies
                .into_iter()
                .filter_map(|r| match r {
                    Reply::Checkpoint {
                        run: 1,
                        epoch,
                        report,
                    } => Some((epoch, report)),
                    _ => None,
                })
                .collect()
        };
        let before: Vec<Reply> = std::iter::from_fn(|| replies.try_recv().ok()).collect();
        let before = checkpoint_reports(before);

        // A fresh worker (after a reload): run 1 comes back from its files, no new run.
        let fresh = ready_state();
        let checkpoint = CheckpointFile {
            epoch,
            monitor,
            value,
            bytes: serde_bytes::ByteBuf::from(best),
        };
        let restore = restore_run(
            &fresh,
            &outbox,
            1,
            config.clone(),
            final_bytes.clone(),
            Some(checkpoint),
        );
        block_on(restore).unwrap();
        block_on(evaluate_checkpoint(&fresh, &outbox, 1)).unwrap();
        let after: Vec<Reply> = std::iter::from_fn(|| replies.try_recv().ok()).collect();
        assert_eq!(after[0], Reply::Restored { run: 1 });
        assert!(
            !after.iter().any(|r| matches!(r, Reply::Run { .. })),
            "{after:?}"
        );
        assert_eq!(
            checkpoint_reports(after),
            before,
            "the same checkpoint, the same report"
        );
        assert_eq!(
            fresh.runs.borrow().predictions(1).unwrap().predictions,
            trained.runs.borrow().predictions(1).unwrap().predictions
        );
        assert_eq!(
            block_on(weights_file(&fresh, 1, WhichWeights::Final)).unwrap(),
            final_bytes
        );

        // Files that are no weights: nothing is kept, and the reason says so.
        let junk = restore_run(&fresh, &outbox, 2, config, b"junk".to_vec(), None);
        assert!(
            block_on(junk)
                .unwrap_err()
                .contains("not a safetensors file")
        );
        assert_eq!(
            fresh.runs.borrow().final_weights(2).err().unwrap(),
            "no finished run with that number"
        );
    }
}
