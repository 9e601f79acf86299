//! The messages between the page and the training worker. The page asks; the worker answers
//! with a stream of replies. Both sides (de)serialize them with serde-wasm-bindgen.
//!
//! Weights travel as the bytes of a safetensors file (Keras layer names and layouts, the
//! training config in its metadata: `lab_engine::weights`):
//! - `Weights { run, which }` → `Weights { run, which, bytes }`, or `WeightsUnavailable` with
//!   the reason (the run kept no checkpoint; its weights are no longer kept). The worker keeps
//!   the final weights (and the best checkpoint) of its newest finished runs.
//! - `LoadWeights { run, config, bytes }` loads the bytes into `config.model` (all or
//!   nothing), evaluates them on the test set like a finished run and keeps them as run `run`'s
//!   final weights (so `Weights`, `Predictions` and `Misclassified` work for `run` afterwards):
//!   `Loaded { run, report }`, or `LoadFailed { run, message }` naming the first difference
//!   (or that the file is not a weights file); then nothing is kept. A stored run's weights
//!   are given back to a fresh worker this way.
//! - `Predictions { run, offset, count, only_mistakes }` → `Predictions { .. }`, a page of test
//!   images with their predicted class and its probability, or `PredictionsUnavailable`.
//! - `RestoreRun { run, config, final_weights, checkpoint }` gives a run kept in the browser's
//!   storage back to a fresh worker without making a new run: the final weights are evaluated
//!   on the test set for the predictions, the checkpoint kept as it is: `Restored { run }`
//!   (nothing of the run's history or results changes), or `RestoreFailed` with the reason.
//! - `Activations { run, which, index }` → `Activations(SeenActivations)`: what the run's
//!   final weights (or best checkpoint) see of test image `index` — each Conv2D / MaxPooling2D
//!   layer's feature maps and the first Conv2D's filters as greyscale bytes, the class
//!   probabilities —, or `ActivationsUnavailable` with the reason. For a run still training,
//!   `Final` means the weights as its last finished epoch left them (`training` is set and
//!   `epoch` says which): the page asks again at each epoch's end.

use serde::{Deserialize, Serialize};

use crate::events::Event;
use crate::training::{Normalization, TrainingConfig};

/// Which compute backend the worker trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// WebGPU on a hardware adapter, else the CPU.
    #[default]
    Auto,
    Webgpu,
    Cpu,
}

impl BackendChoice {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "webgpu" => Some(Self::Webgpu),
            "cpu" => Some(Self::Cpu),
            _ => None,
        }
    }
}

/// Where the data comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DataSource {
    /// The four official files under this URL (ending in `/`).
    Url(String),
    /// The four files' bytes, in the order of `lab_data::FILE_NAMES` (picked from disk).
    Files(Vec<serde_bytes::ByteBuf>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)] // messages live only while they travel
pub enum Request {
    /// Start the backend the page chose (and warm it up).
    Init {
        plan: crate::backend_plan::BackendPlan,
    },
    LoadData {
        source: DataSource,
    },
    Train {
        run: u32,
        config: TrainingConfig,
    },
    /// Run a hyperparameter search (step 8); Stop ends it, keeping the finished trials.
    Tune {
        search: u32,
        config: crate::tuning::TunerConfig,
    },
    Stop,
    /// Evaluate a run's ModelCheckpoint weights on the test set.
    EvaluateCheckpoint {
        run: u32,
    },
    /// Test images of `actual` class predicted as `predicted` by a run's final model.
    Misclassified {
        run: u32,
        actual: u8,
        predicted: u8,
    },
    /// One training image before and after normalization.
    Preview {
        index: usize,
        normalization: Normalization,
    },
    /// Times `steps` training steps (after a warm-up) of the benchmark MLP or CNN.
    Bench {
        model: BenchModel,
        batch: usize,
        steps: usize,
    },
    /// A finished run's weights as a safetensors file (its config in the metadata).
    Weights {
        run: u32,
        which: WhichWeights,
    },
    /// Loads a safetensors file into `config.model`, evaluates it on the test set (normalized
    /// as `config`'s training split is) and keeps it as run `run`.
    LoadWeights {
        run: u32,
        config: TrainingConfig,
        bytes: serde_bytes::ByteBuf,
    },
    /// `count` test images from `offset` on (of all, or of the mistakes only) with what run
    /// `run`'s final model predicts for them.
    Predictions {
        run: u32,
        offset: usize,
        count: usize,
        only_mistakes: bool,
    },
    /// Gives back run `run`, trained (or loaded) before a reload, from its stored weights: its
    /// predictions are computed again from `final_weights`; no new run is made.
    RestoreRun {
        run: u32,
        config: TrainingConfig,
        final_weights: serde_bytes::ByteBuf,
        checkpoint: Option<CheckpointFile>,
    },
    /// What run `run`'s `which` weights see of test image `index`.
    Activations {
        run: u32,
        which: WhichWeights,
        index: usize,
    },
    /// Loads the IMDB reviews (`train.bin.gz`, `test.bin.gz` under `base`, ending in `/`):
    /// `ImdbProgress` while they download, then `ImdbReady` or `ImdbFailed`. Already loaded:
    /// `ImdbReady` at once.
    LoadImdb {
        base: String,
    },
    /// Training review `index` vectorized with `vectorizer` (fitted on the training reviews):
    /// `Reply::ReviewTerms`, or `Reply::TermsFailed` (an invalid setting, an empty vocabulary).
    TopTerms {
        vectorizer: crate::text::VectorizerConfig,
        index: usize,
    },
    /// The test reviews of `actual` class that run `run` predicted as `predicted` (IMDB runs):
    /// `Reply::Reviews`.
    Reviews {
        run: u32,
        actual: u8,
        predicted: u8,
    },
}

/// One review with its highest-weighted terms: their byte spans in `text` to highlight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewTerms {
    /// Its place in its set (training or test).
    pub index: usize,
    pub text: String,
    /// 0 negative, 1 positive.
    pub label: u8,
    /// The highest-weighted terms, highest first, with their weights.
    pub terms: Vec<(String, f32)>,
    /// Byte spans `(start, end)` in `text` of every occurrence of those terms.
    pub spans: Vec<(u32, u32)>,
}

/// What the IMDB reviews look like once loaded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextSummary {
    /// Reviews per class (negative, positive).
    pub train_counts: Vec<usize>,
    pub test_counts: Vec<usize>,
    pub naive_baseline_accuracy: f64,
    /// A few training reviews, both labels (texts cut to a few hundred characters).
    pub samples: Vec<SampleReview>,
    /// Mean and median length of the training reviews, in words.
    pub mean_words: f64,
    pub median_words: usize,
    pub from_cache: bool,
    pub source: String,
}

/// A training review as step 1 shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleReview {
    pub index: usize,
    pub label: u8,
    /// The review's beginning (all of it when short).
    pub text: String,
    pub words: usize,
}

/// One layer's maps (or the first Conv2D's filters) as greyscale images: each map scaled
/// from its own lowest value (0, black) to its highest (255, white), so the message stays small.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureMaps {
    /// Keras' layer name: `conv2d`, `max_pooling2d`, `conv2d_1`.
    pub name: String,
    /// Keras' class name: `Conv2D`, `MaxPooling2D`.
    pub kind: String,
    pub height: usize,
    pub width: usize,
    /// One `height × width` image per channel (per filter), row after row.
    pub maps: Vec<serde_bytes::ByteBuf>,
}

/// What a run's weights see of one test image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeenActivations {
    pub run: u32,
    pub which: WhichWeights,
    /// The test image's place in the test set, its 784 grey values and its class.
    pub index: usize,
    pub image: serde_bytes::ByteBuf,
    pub true_class: u8,
    /// Every Conv2D and MaxPooling2D layer, in the model's order.
    pub layers: Vec<FeatureMaps>,
    /// The first Conv2D's filters (of its first input channel).
    pub filters: Option<FeatureMaps>,
    /// The probability of each class.
    pub probabilities: Vec<f32>,
    /// How many test images there are (the last index is one less).
    pub test_images: usize,
    /// The epoch (1-based) the weights are from: the last finished one of a run still
    /// training, the best checkpoint's; `None` for a finished run's final weights.
    #[serde(default)]
    pub epoch: Option<usize>,
    /// The run was still training: the weights as its last finished epoch left them.
    #[serde(default)]
    pub training: bool,
}

/// A run's best checkpoint as stored: the epoch ModelCheckpoint kept and the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointFile {
    /// 1-based.
    pub epoch: usize,
    pub monitor: String,
    #[serde(with = "crate::finite")]
    pub value: f64,
    pub bytes: serde_bytes::ByteBuf,
}

/// Which weights of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhichWeights {
    /// The weights the run ended with (restored by EarlyStopping if it says so).
    Final,
    /// The best checkpoint of ModelCheckpoint.
    Best,
}

/// One test image with a model's prediction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Its place in the test set.
    pub index: usize,
    /// 784 grey values.
    pub image: serde_bytes::ByteBuf,
    pub true_class: u8,
    pub predicted: u8,
    /// The softmax probability of the predicted class.
    pub probability: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BenchModel {
    /// 784-256-128-10, Adam.
    Mlp,
    /// `ModelSpec::small_cnn()`, Adam.
    Cnn,
}

/// One benchmark figure, as `cargo xtask bench` prints it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    #[serde(rename = "where")]
    pub location: String,
    pub backend: String,
    pub model: BenchModel,
    pub batch: usize,
    pub samples_per_s: f64,
    /// Seconds of the warm-up (shader compilation on WebGPU).
    pub warmup_s: f64,
}

/// What the data looks like, sent once it is decoded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    pub train_counts: Vec<usize>,
    pub test_counts: Vec<usize>,
    pub naive_baseline_accuracy: f64,
    /// A few training images per class: `samples[class]` is a list of 784-byte images
    /// (bytes, so that they cross to the page as one typed array each, not 784 numbers).
    pub samples: Vec<Vec<serde_bytes::ByteBuf>>,
    /// True when the files came from the browser's cache.
    pub from_cache: bool,
    /// Where the files came from, in words: "this site (data/fashion-mnist/)", a URL such as
    /// "https://other.example/data/", or "files you picked".
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// The worker has started and listens (gloo queues the requests sent before it).
    Alive,
    /// The backend is ready. `adapter` describes the WebGPU adapter, if any.
    Ready {
        backend: String,
        adapter: Option<String>,
        note: Option<String>,
    },
    /// The WebGPU worker's device did not start (or it was asked for the CPU, which it does
    /// not have): the page replaces it with the CPU worker, which starts with this plan.
    NeedsCpu {
        plan: crate::backend_plan::BackendPlan,
    },
    DataProgress {
        loaded: u64,
        total: u64,
    },
    DataReady(DataSummary),
    DataFailed {
        message: String,
    },
    Run {
        run: u32,
        event: Event,
    },
    /// A run could not start (invalid config, no data) or crashed.
    RunFailed {
        run: u32,
        message: String,
    },
    Checkpoint {
        run: u32,
        epoch: usize,
        report: crate::metrics::ClassificationReport,
    },
    Images {
        run: u32,
        actual: u8,
        predicted: u8,
        images: Vec<serde_bytes::ByteBuf>,
        /// Each image's place in the test set (to show what the network sees of it).
        #[serde(default)]
        indices: Vec<usize>,
    },
    Preview {
        #[serde(with = "serde_bytes")]
        raw: Vec<u8>,
        normalized: Vec<f32>,
    },
    Bench(BenchResult),
    /// A search's progress: `TrialStarted`, the running trial's `Batch` and `Epoch` events,
    /// `TrialFinished`, `SearchFinished`.
    Search {
        search: u32,
        event: crate::tuning::SearchEvent,
    },
    /// A search could not start (invalid space, no data) or crashed.
    SearchFailed {
        search: u32,
        message: String,
    },
    /// A run's weights as a safetensors file.
    Weights {
        run: u32,
        which: WhichWeights,
        bytes: serde_bytes::ByteBuf,
    },
    /// Why a run's weights cannot be had, in the learner's words.
    WeightsUnavailable {
        run: u32,
        which: WhichWeights,
        message: String,
    },
    /// Weights loaded as run `run`, with their test-set report.
    Loaded {
        run: u32,
        report: crate::metrics::ClassificationReport,
    },
    /// Weights that could not be loaded (nothing was kept): what differs, or what is wrong
    /// with the file.
    LoadFailed {
        run: u32,
        message: String,
    },
    /// A page of run `run`'s predictions: `items` from `offset` on, of `total` (all test
    /// images, or the mistakes only).
    Predictions {
        run: u32,
        offset: usize,
        only_mistakes: bool,
        items: Vec<Prediction>,
        total: usize,
    },
    /// Why a run's predictions cannot be computed.
    PredictionsUnavailable {
        run: u32,
        message: String,
    },
    /// Run `run` was given back from its stored weights (`Request::RestoreRun`).
    Restored {
        run: u32,
    },
    /// Run `run` could not be given back (nothing was kept).
    RestoreFailed {
        run: u32,
        message: String,
    },
    Activations(SeenActivations),
    /// The IMDB files downloading: bytes so far of `total`.
    ImdbProgress {
        loaded: u64,
        total: u64,
    },
    ImdbReady(TextSummary),
    /// The IMDB files could not be had or read: the message names the file.
    ImdbFailed {
        message: String,
    },
    /// A training review's top-weighted terms (`Request::TopTerms`), with the vocabulary's size.
    ReviewTerms {
        vectorizer: crate::text::VectorizerConfig,
        vocabulary: usize,
        review: ReviewTerms,
    },
    TermsFailed {
        message: String,
    },
    /// The test reviews of one confusion-matrix cell (`Request::Reviews`), or why there are none.
    Reviews {
        run: u32,
        actual: u8,
        predicted: u8,
        reviews: Vec<ReviewTerms>,
        message: Option<String>,
    },
    /// Why what a run's weights see cannot be shown.
    ActivationsUnavailable {
        run: u32,
        which: WhichWeights,
        index: usize,
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restore_carries_its_checkpoint_and_a_nan_value() {
        let restore = Request::RestoreRun {
            run: 4,
            config: TrainingConfig::new(crate::ModelSpec::baseline()),
            final_weights: serde_bytes::ByteBuf::from(vec![4, 5]),
            checkpoint: Some(CheckpointFile {
                epoch: 2,
                monitor: "val_loss".into(),
                value: f64::NAN,
                bytes: serde_bytes::ByteBuf::from(vec![6]),
            }),
        };
        let text = serde_json::to_string(&restore).unwrap();
        let back = serde_json::from_str::<Request>(&text).unwrap();
        let Request::RestoreRun {
            run: 4,
            final_weights,
            checkpoint: Some(c),
            ..
        } = &back
        else {
            panic!("{back:?}");
        };
        assert_eq!(final_weights.as_slice(), [4, 5]);
        assert!(c.value.is_nan() && c.bytes.as_slice() == [6] && c.epoch == 2);
        let text = serde_json::to_string(&Reply::Restored { run: 4 }).unwrap();
        assert_eq!(
            serde_json::from_str::<Reply>(&text).unwrap(),
            Reply::Restored { run: 4 }
        );
    }

    #[test]
    fn weights_messages_round_trip_with_their_bytes() {
        assert_eq!(
            serde_json::to_string(&WhichWeights::Best).unwrap(),
            "\"best\""
        );
        let request = Request::LoadWeights {
            run: 3,
            config: TrainingConfig::new(crate::ModelSpec::baseline()),
            bytes: serde_bytes::ByteBuf::from(vec![1, 2, 3]),
        };
        let text = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), request);
        let reply = Reply::Predictions {
            run: 3,
            offset: 24,
            only_mistakes: true,
            items: vec![Prediction {
                index: 7,
                image: serde_bytes::ByteBuf::from(vec![0; 784]),
                true_class: 1,
                predicted: 2,
                probability: 0.5,
            }],
            total: 25,
        };
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<Reply>(&text).unwrap(), reply);
    }

    #[test]
    fn activations_round_trip_with_their_maps() {
        let request = Request::Activations {
            run: 2,
            which: WhichWeights::Best,
            index: 41,
        };
        let text = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), request);
        let maps = |name: &str, n: usize| FeatureMaps {
            name: name.into(),
            kind: "Conv2D".into(),
            height: 2,
            width: 3,
            maps: vec![serde_bytes::ByteBuf::from(vec![0, 51, 102, 153, 204, 255]); n],
        };
        let reply = Reply::Activations(SeenActivations {
            run: 2,
            which: WhichWeights::Final,
            index: 41,
            image: serde_bytes::ByteBuf::from(vec![7; 784]),
            true_class: 9,
            layers: vec![maps("conv2d", 4), maps("conv2d_1", 2)],
            filters: Some(maps("conv2d", 4)),
            probabilities: vec![0.1; 10],
            test_images: 10_000,
            epoch: Some(3),
            training: true,
        });
        let text = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<Reply>(&text).unwrap(), reply);
    }
}
