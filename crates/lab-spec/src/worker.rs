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
    /// Pick the backend (and warm it up).
    Init {
        backend: BackendChoice,
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
