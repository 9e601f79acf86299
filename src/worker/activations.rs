//! "What the network sees": a finished run's final weights (or its best checkpoint) applied to
//! one test image, normalized as the run's training data was; every Conv2D / MaxPooling2D
//! layer's feature maps and the first Conv2D's filters go to the page as greyscale bytes, each
//! map scaled from its own lowest value to its highest, so the message stays small (the small
//! CNN's maps are about 36 kB).
//!
//! While a CNN trains, its job's observer ([`LiveSink`]) keeps the model as each epoch's end
//! leaves it ([`LiveRun`]: a clone that shares its tensors, no copy, nothing per batch); a
//! request for that run's `Final` weights is answered from it (`training`, with the epoch), so
//! the page shows the filters forming, one forward pass of one image per epoch.

use burn::module::Module;
use burn::tensor::Device;
use lab_data::Dataset;
use lab_engine::activations::{self as engine, Activations, Filters, LayerOutput};
use lab_engine::data::Normalizer;
use lab_engine::model::Network;
use lab_engine::training::Observer;
use lab_engine::weights;
use lab_spec::worker::{FeatureMaps, Reply, SeenActivations, WhichWeights};
use lab_spec::{Event, LayerSpec, TrainingConfig};

use super::backend::{Target, checkpoint_device};
use super::sink::{EventSink, Outbox};
use super::state::State;

/// A CNN run in training, as "what the network sees" needs it.
pub struct LiveRun {
    pub run: u32,
    pub config: TrainingConfig,
    /// The plain device the run trains on (its autodiff form's inner device).
    pub device: Device,
    /// The last finished epoch (1-based) and the model it left; `None` before the first ends.
    pub latest: Option<(usize, Network)>,
    /// The run's normalizer, fitted on its training split when first needed.
    pub normalizer: Option<Normalizer>,
}

/// The normalizer a run of `config` fits on `train_full`: on the training part of its subset
/// and validation split, as `lab_engine::data::prepare` does (without normalizing the splits).
pub fn training_normalizer(train_full: &Dataset, config: &TrainingConfig) -> Normalizer {
    let subset;
    let data = match config.subset {
        Some(n) => {
            subset = train_full.stratified_subset(n, config.seed);
            &subset
        }
        None => train_full,
    };
    if config.validation_split > 0.0 {
        let (train, _) = data.stratified_split(config.validation_split, config.seed);
        Normalizer::fit(config.normalization, &train)
    } else {
        Normalizer::fit(config.normalization, data)
    }
}

/// A run's observer: its events go on to the page ([`EventSink`]); for a model with a Conv2D,
/// each epoch's model is kept in [`State::live`] until the sink is dropped (the run's own
/// weights kept, or the run failed).
pub struct LiveSink<'a> {
    events: EventSink,
    state: &'a State,
    run: u32,
    keeps: bool,
}

impl<'a> LiveSink<'a> {
    pub fn new(
        events: EventSink,
        state: &'a State,
        run: u32,
        config: &TrainingConfig,
        target: &Target,
    ) -> Self {
        let keeps = config
            .model
            .layers
            .iter()
            .any(|l| matches!(l, LayerSpec::Conv2D { .. }));
        if keeps {
            *state.live.borrow_mut() = Some(LiveRun {
                run,
                config: config.clone(),
                device: target.device.clone(),
                latest: None,
                normalizer: None,
            });
        }
        Self {
            events,
            state,
            run,
            keeps,
        }
    }
}

impl Drop for LiveSink<'_> {
    fn drop(&mut self) {
        let mut live = self.state.live.borrow_mut();
        if live.as_ref().is_some_and(|l| l.run == self.run) {
            *live = None;
        }
    }
}

impl Observer<Event> for LiveSink<'_> {
    fn event(&mut self, event: Event) {
        Observer::<Event>::event(&mut self.events, event);
    }

    fn stop_requested(&mut self) -> bool {
        Observer::<Event>::stop_requested(&mut self.events)
    }

    async fn between_batches(&mut self) {
        Observer::<Event>::between_batches(&mut self.events).await;
    }

    fn epoch_model(&mut self, epoch: usize, model: &Network) {
        if !self.keeps {
            return;
        }
        if let Some(live) = self
            .state
            .live
            .borrow_mut()
            .as_mut()
            .filter(|l| l.run == self.run)
        {
            live.latest = Some((epoch, model.valid()));
        }
    }
}

/// `values` as greyscale: the lowest finite value 0 (black), the highest 255 (white), linear in
/// between; a map whose finite values are all equal (a ReLU that never fired) is all black, and
/// so is a value that is not finite.
pub fn grey(values: &[f32]) -> Vec<u8> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = hi - lo;
    values
        .iter()
        .map(|&v| {
            if !(v.is_finite() && span > 0.0 && span.is_finite()) {
                0
            } else {
                // Within [0, 255] by construction; `as` saturates anyway.
                (((v - lo) / span) * 255.0).round() as u8
            }
        })
        .collect()
}

/// A layer's output (map after map) as one greyscale image per channel.
pub fn layer_maps(layer: &LayerOutput) -> FeatureMaps {
    let [h, w, _] = layer.shape;
    let maps = layer
        .values
        .chunks(h * w)
        .map(|map| serde_bytes::ByteBuf::from(grey(map)))
        .collect();
    FeatureMaps {
        name: layer.name.clone(),
        kind: layer.kind.clone(),
        height: h,
        width: w,
        maps,
    }
}

/// The first Conv2D's filters (Keras' `[kh, kw, in, filters]`), of their first input channel
/// (the image's only one), one greyscale image each.
pub fn filter_maps(filters: &Filters) -> FeatureMaps {
    let [kh, kw, inputs, n] = filters.shape;
    let maps = (0..n)
        .map(|f| {
            let kernel: Vec<f32> = (0..kh * kw)
                .map(|yx| filters.values[yx * inputs * n + f])
                .collect();
            serde_bytes::ByteBuf::from(grey(&kernel))
        })
        .collect();
    FeatureMaps {
        name: filters.name.clone(),
        kind: "Conv2D".into(),
        height: kh,
        width: kw,
        maps,
    }
}

/// What the page is sent of `seen`.
pub struct Image {
    pub index: usize,
    pub pixels: Vec<u8>,
    pub true_class: u8,
    pub test_images: usize,
}

/// Which weights were shown: the epoch they are from (`None`: a finished run's final weights)
/// and whether the run was still training.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Shown {
    pub epoch: Option<usize>,
    pub training: bool,
}

pub fn reply(
    run: u32,
    which: WhichWeights,
    image: Image,
    seen: &Activations,
    shown: Shown,
) -> SeenActivations {
    SeenActivations {
        run,
        which,
        index: image.index,
        image: serde_bytes::ByteBuf::from(image.pixels),
        true_class: image.true_class,
        layers: seen.layers.iter().map(layer_maps).collect(),
        filters: seen.filters.as_ref().map(filter_maps),
        probabilities: seen.probabilities.clone(),
        test_images: image.test_images,
        epoch: shown.epoch,
        training: shown.training,
    }
}

/// Sends what run `run`'s `which` weights see of test image `index`, or why it cannot.
pub async fn send(state: &State, outbox: &Outbox, run: u32, which: WhichWeights, index: usize) {
    outbox.post(match activations(state, run, which, index).await {
        Ok(seen) => Reply::Activations(seen),
        Err(message) => Reply::ActivationsUnavailable {
            run,
            which,
            index,
            message,
        },
    });
}

/// What one request is computed from.
struct Inputs {
    model: Network,
    spec: lab_spec::ModelSpec,
    normalizer: Normalizer,
    device: Device,
    shown: Shown,
}

/// The weights of run `run` in training (`Final`: as its last finished epoch left them), if
/// it is the run in training; an error before its first epoch ends.
fn live_inputs(
    state: &State,
    run: u32,
    which: WhichWeights,
    train_full: &Dataset,
) -> Option<Result<Inputs, String>> {
    let mut live = state.live.borrow_mut();
    let live = live
        .as_mut()
        .filter(|l| l.run == run && which == WhichWeights::Final)?;
    let Some((epoch, model)) = live.latest.clone() else {
        return Some(Err(
            "the first epoch has not finished yet: the maps come at its end".into(),
        ));
    };
    let normalizer = live
        .normalizer
        .get_or_insert_with(|| training_normalizer(train_full, &live.config))
        .clone();
    Some(Ok(Inputs {
        model,
        spec: live.config.model.clone(),
        normalizer,
        device: live.device.clone(),
        shown: Shown {
            epoch: Some(epoch),
            training: true,
        },
    }))
}

/// The weights of finished run `run`, as it keeps them.
fn kept_inputs(state: &State, run: u32, which: WhichWeights) -> Result<Inputs, String> {
    let runs = state.runs.borrow();
    let (stored, bytes, epoch) = match which {
        WhichWeights::Final => {
            let (stored, bytes) = runs.final_weights(run)?;
            (stored, bytes, None)
        }
        WhichWeights::Best => {
            let (stored, checkpoint) = runs.checkpoint(run)?;
            (stored, checkpoint.bytes.as_slice(), Some(checkpoint.epoch))
        }
    };
    let spec = stored.config.model.clone();
    let device = checkpoint_device(state.backend.borrow().as_ref(), stored.cpu, &spec)?;
    let model = weights::load(bytes, &spec, &device).map_err(|e| e.to_string())?;
    Ok(Inputs {
        model,
        spec,
        normalizer: stored.normalizer.clone(),
        device,
        shown: Shown {
            epoch,
            training: false,
        },
    })
}

async fn activations(
    state: &State,
    run: u32,
    which: WhichWeights,
    index: usize,
) -> Result<SeenActivations, String> {
    let data = state
        .data
        .borrow()
        .clone()
        .ok_or("the data is not loaded")?;
    let test_images = data.test.len();
    if index >= test_images {
        return Err(format!(
            "there are {test_images} test images: pick a number from 0 to {}",
            test_images.saturating_sub(1)
        ));
    }
    let inputs = match live_inputs(state, run, which, &data.train) {
        Some(live) => live?,
        None => kept_inputs(state, run, which)?,
    };
    let one = data.test.select(&[index]);
    let normalized = inputs
        .normalizer
        .apply(&one)
        .x
        .into_dense()
        .ok_or("this run's inputs are not images")?;
    let image = Image {
        index,
        pixels: one.images,
        true_class: one.labels[0],
        test_images,
    };
    let seen =
        engine::activations(&inputs.model, &inputs.spec, &normalized, &inputs.device).await?;
    Ok(reply(run, which, image, &seen, inputs.shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_map_is_scaled_from_its_lowest_to_its_highest_value() {
        assert_eq!(grey(&[-1.0, 0.0, 1.0]), [0, 128, 255]);
        assert_eq!(grey(&[2.0, 4.0, 3.0, 2.5]), [0, 255, 128, 64]);
        // A ReLU that never fired, and an empty map.
        assert_eq!(grey(&[0.0; 4]), [0; 4]);
        assert!(grey(&[]).is_empty());
        // Values that are not finite are black and do not stretch the scale.
        assert_eq!(grey(&[f32::NAN, 1.0, 3.0, f32::INFINITY]), [0, 0, 255, 0]);
    }

    #[test]
    fn a_layer_is_cut_into_one_image_per_channel() {
        // 2 channels of 1×3: the first rises, the second falls.
        let layer = LayerOutput {
            name: "conv2d".into(),
            kind: "Conv2D".into(),
            shape: [1, 3, 2],
            values: vec![0.0, 1.0, 2.0, 5.0, 4.0, 3.0],
        };
        let maps = layer_maps(&layer);
        assert_eq!((maps.height, maps.width), (1, 3));
        assert_eq!(maps.maps.len(), 2);
        assert_eq!(maps.maps[0].as_slice(), [0, 128, 255]);
        assert_eq!(maps.maps[1].as_slice(), [255, 128, 0]);
        assert_eq!(maps.name, "conv2d");
    }

    #[test]
    fn each_filter_is_read_from_keras_layout() {
        // [kh 1, kw 2, in 1, filters 3]: Keras' index is (x·in + i)·filters + f.
        let filters = Filters {
            name: "conv2d".into(),
            shape: [1, 2, 1, 3],
            values: vec![0.0, 1.0, 2.0, 1.0, 0.0, 2.0],
        };
        let maps = filter_maps(&filters);
        assert_eq!((maps.height, maps.width, maps.maps.len()), (1, 2, 3));
        // Filter 0: (0, 1) → rising; filter 1: (1, 0) → falling; filter 2: (2, 2) → flat.
        assert_eq!(maps.maps[0].as_slice(), [0, 255]);
        assert_eq!(maps.maps[1].as_slice(), [255, 0]);
        assert_eq!(maps.maps[2].as_slice(), [0, 0]);
    }

    use futures::executor::block_on;
    use lab_spec::{ModelSpec, Normalization};

    use crate::worker::backend::Backend;
    use crate::worker::data::tests::toy;
    use crate::worker::state::Flag;

    /// A worker on the CPU with `train` and ten test images per class.
    fn ready_state(train: Dataset) -> State {
        let state = State::default();
        *state.backend.borrow_mut() = Some(Backend::Cpu);
        *state.data.borrow_mut() = Some(std::rc::Rc::new(lab_data::files::FashionMnist {
            train,
            test: toy(1),
        }));
        state
    }

    /// What the worker answers to an activations request.
    fn ask(state: &State, run: u32, which: WhichWeights, index: usize) -> Reply {
        let (outbox, mut replies) = Outbox::channel();
        block_on(send(state, &outbox, run, which, index));
        let mut all: Vec<Reply> = std::iter::from_fn(|| replies.try_recv().ok()).collect();
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    fn unavailable(reply: &Reply) -> Option<&str> {
        match reply {
            Reply::ActivationsUnavailable { message, .. } => Some(message),
            _ => None,
        }
    }

    /// 60 training images (six per class) whose pixels all differ.
    fn varied() -> Dataset {
        let mut d = Dataset::default();
        for i in 0..60usize {
            d.images
                .extend((0..784usize).map(|p| ((i * 7 + p * 13 + p * p) % 256) as u8));
            d.labels.push((i % 10) as u8);
        }
        d
    }

    fn cnn_config() -> TrainingConfig {
        let mut config = TrainingConfig::new(ModelSpec::small_cnn());
        (config.batch_size, config.epochs) = (8, 2);
        config.normalization = Normalization::Standardize;
        config
    }

    #[test]
    fn the_normalizer_of_a_run_in_training_is_the_one_it_fits() {
        let train = varied();
        let mut config = cnn_config();
        for (subset, split) in [(None, 0.2), (Some(30), 0.2), (Some(40), 0.0), (None, 0.0)] {
            (config.subset, config.validation_split) = (subset, split);
            assert_eq!(
                training_normalizer(&train, &config),
                lab_engine::data::prepare(&train, &config).normalizer,
                "subset {subset:?}, validation split {split}"
            );
        }
    }

    #[test]
    fn a_cnn_in_training_is_seen_with_its_last_finished_epochs_weights() {
        let state = ready_state(varied());
        let config = cnn_config();
        let target = Backend::Cpu.target(&config.model);
        let events = EventSink::new(super::super::sink::Route::Nowhere, Flag::default());
        let mut sink = LiveSink::new(events, &state, 7, &config, &target);
        // Before the first epoch ends there is nothing to show yet.
        let before = ask(&state, 7, WhichWeights::Final, 3);
        assert_eq!(
            unavailable(&before),
            Some("the first epoch has not finished yet: the maps come at its end")
        );

        // Epoch 2 ends with these weights (on the training device, as the loop has them).
        let model = Network::new(&config.model, &target.device.clone().autodiff()).unwrap();
        Observer::<Event>::epoch_model(&mut sink, 2, &model);
        let Reply::Activations(seen) = ask(&state, 7, WhichWeights::Final, 3) else {
            panic!("no activations");
        };
        assert_eq!(
            (seen.run, seen.index, seen.epoch, seen.training),
            (7, 3, Some(2), true)
        );
        // Exactly what those weights make of test image 3, normalized as the run's data is.
        let data = state.data.borrow().clone().unwrap();
        let normalizer = lab_engine::data::prepare(&data.train, &config).normalizer;
        let image = normalizer
            .apply(&data.test.select(&[3]))
            .x
            .into_dense()
            .unwrap();
        let expected = block_on(engine::activations(
            &model.valid(),
            &config.model,
            &image,
            &target.device,
        ))
        .unwrap();
        assert_eq!(seen.probabilities, expected.probabilities);
        assert_eq!(
            seen.layers[0].maps[0].as_slice(),
            layer_maps(&expected.layers[0]).maps[0].as_slice()
        );

        // A later epoch replaces them.
        let later = Network::new(&config.model, &target.device.clone().autodiff()).unwrap();
        Observer::<Event>::epoch_model(&mut sink, 3, &later);
        let Reply::Activations(seen) = ask(&state, 7, WhichWeights::Final, 3) else {
            panic!("no activations");
        };
        assert_eq!(seen.epoch, Some(3));
        assert_ne!(seen.probabilities, expected.probabilities);
        // The best checkpoint is a finished run's; another run is not this one.
        assert!(unavailable(&ask(&state, 7, WhichWeights::Best, 3)).is_some());
        assert!(unavailable(&ask(&state, 8, WhichWeights::Final, 3)).is_some());

        // The run's job ends: its epoch weights go.
        drop(sink);
        assert!(state.live.borrow().is_none());
        assert_eq!(
            unavailable(&ask(&state, 7, WhichWeights::Final, 3)),
            Some("no finished run with that number")
        );
    }

    #[test]
    fn a_model_without_convolutions_keeps_no_epoch_weights() {
        let state = ready_state(varied());
        let config = TrainingConfig::new(ModelSpec::mlp(&[8]));
        let target = Backend::Cpu.target(&config.model);
        let events = EventSink::new(super::super::sink::Route::Nowhere, Flag::default());
        let mut sink = LiveSink::new(events, &state, 1, &config, &target);
        let model = Network::new(&config.model, &target.device).unwrap();
        Observer::<Event>::epoch_model(&mut sink, 1, &model);
        assert!(state.live.borrow().is_none());
    }

    #[test]
    fn a_trained_cnn_is_seen_with_its_final_weights_and_best_checkpoint_once_it_ends() {
        let state = ready_state(varied());
        let mut config = cnn_config();
        config.callbacks.model_checkpoint = Some(lab_spec::ModelCheckpointConfig::default());
        let (outbox, _replies) = Outbox::channel();
        block_on(super::super::jobs::train(&state, &outbox, 2, config)).unwrap();
        assert!(
            state.live.borrow().is_none(),
            "the epoch weights went with the job"
        );
        let Reply::Activations(last) = ask(&state, 2, WhichWeights::Final, 0) else {
            panic!("no final weights");
        };
        assert_eq!((last.epoch, last.training), (None, false));
        let Reply::Activations(best) = ask(&state, 2, WhichWeights::Best, 0) else {
            panic!("no checkpoint");
        };
        let kept = state.runs.borrow().checkpoint(2).unwrap().1.epoch;
        assert_eq!((best.epoch, best.training), (Some(kept), false));
    }

    #[test]
    fn a_cells_images_come_with_their_places_in_the_test_set() {
        // (What a click on a confusion-matrix image shows.)
        let state = ready_state(varied());
        let mut config = TrainingConfig::new(ModelSpec::baseline());
        (config.batch_size, config.epochs) = (8, 1);
        let (outbox, mut replies) = Outbox::channel();
        block_on(super::super::jobs::train(&state, &outbox, 3, config)).unwrap();
        let _ = std::iter::from_fn(|| replies.try_recv().ok()).count();
        let test = state.data.borrow().clone().unwrap().test.clone();
        let mut shown = 0;
        for (actual, predicted) in (0..10u8).flat_map(|a| (0..10u8).map(move |p| (a, p))) {
            super::super::jobs::misclassified(&state, &outbox, 3, actual, predicted);
            let Some(Reply::Images {
                images, indices, ..
            }) = replies.try_recv().ok()
            else {
                panic!("no images");
            };
            assert_eq!(images.len(), indices.len());
            for (image, &i) in images.iter().zip(&indices) {
                assert_eq!(image.as_slice(), test.image(i));
                assert_eq!(test.labels[i], actual);
            }
            shown += indices.len();
        }
        assert_eq!(shown, test.len(), "every test image is in one cell");
    }

    #[test]
    fn the_reply_carries_the_small_cnns_maps_as_greyscale() {
        let spec = lab_spec::ModelSpec::small_cnn();
        let device = burn::tensor::Device::flex();
        let model = lab_engine::model::Network::new(&spec, &device).unwrap();
        let image: Vec<f32> = (0..784).map(|i| (i % 28) as f32 / 28.0).collect();
        let seen = futures::executor::block_on(engine::activations(&model, &spec, &image, &device))
            .unwrap();
        let pixels = vec![9; 784];
        let r = reply(
            4,
            WhichWeights::Best,
            Image {
                index: 12,
                pixels: pixels.clone(),
                true_class: 3,
                test_images: 10_000,
            },
            &seen,
            Shown::default(),
        );
        let shapes: Vec<(&str, usize, usize, usize)> = r
            .layers
            .iter()
            .map(|l| (l.name.as_str(), l.height, l.width, l.maps.len()))
            .collect();
        assert_eq!(
            shapes,
            [
                ("conv2d", 26, 26, 32),
                ("max_pooling2d", 13, 13, 32),
                ("conv2d_1", 11, 11, 64),
                ("max_pooling2d_1", 5, 5, 64)
            ]
        );
        assert!(
            r.layers
                .iter()
                .all(|l| l.maps.iter().all(|m| m.len() == l.height * l.width))
        );
        let f = r.filters.unwrap();
        assert_eq!((f.height, f.width, f.maps.len()), (3, 3, 32));
        assert_eq!((r.run, r.index, r.true_class), (4, 12, 3));
        assert_eq!(r.image.into_vec(), pixels);
        assert_eq!(r.probabilities.len(), 10);
    }
}
