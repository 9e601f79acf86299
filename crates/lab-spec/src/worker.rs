//! The messages between the page and the training worker. The page asks; the worker answers
//! with a stream of replies. Both sides (de)serialize them with serde-wasm-bindgen.

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
}
