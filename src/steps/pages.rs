//! The steps' pages, each group in its own piece of wasm that the browser fetches the first time
//! one of its steps is opened: the page's first download holds the shell (header, navigation,
//! runs, data status, the trainer) and none of the steps' views. `cargo xtask dist` splits the
//! page's module at the functions marked `wasm_split` below (wasm-split, through Leptos's
//! re-export); natively, and in the tests, they are plain calls.
//!
//! The groups: steps 1–4 (`first_steps`), steps 5–7 (`training_steps`), step 8 (`tune_step`)
//! and the benchmark (`bench_page`). What two groups share (the run panel, the chart, …) is
//! split into a piece of its own that both fetch.
//!
//! A piece brings a function that builds its pages (`Build`); the shell calls it synchronously in
//! its own reactive scope, so a page lives and is disposed as it did before the split (building
//! the view inside an async task let a page outlive the scope that owned its signals). A piece
//! that cannot be fetched (offline before the lab was ever kept, a deploy that replaced it) does
//! not end the page: the step says so, with a button that tries again.

// wasm-split's macro declares the import/export pair of each split function with
// `#[unsafe(no_mangle)]` and an `unsafe extern "C"` block; nothing here is otherwise unsafe.
#![allow(unsafe_code)]

use lab_spec::text::VectorizerConfig;
use lab_spec::tuning::TunerConfig;
use lab_spec::{DatasetKind, Normalization, TrainingConfig};
use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
#[cfg(not(feature = "worker-common"))]
use leptos::wasm_split::wasm_split;

use crate::logic::UrlOverrides;
use crate::steps::bench::Bench;
use crate::steps::define::Step1;
use crate::steps::metrics::Step2;
use crate::steps::prepare::Step4;
use crate::steps::protocol::Step3;
use crate::steps::text::{TextStep1, TextStep2, TextStep3, TextStep4};
use crate::steps::text_training::TEXT_TRAINING_STEPS;
use crate::steps::training::{TRAINING_STEPS, TrainingStepPage};
use crate::steps::tune::Step8;
use crate::trainer::Trainer;

/// What the steps share, owned by the shell (`app.rs`): plain signals, so a page can be built
/// from it wherever its code was loaded.
#[derive(Clone, Copy)]
pub struct Shared {
    pub trainer: Trainer,
    /// Step 2's metric, highlighted in the charts.
    pub metric: RwSignal<String>,
    /// Step 3: the protocol of every training step.
    pub validation_split: RwSignal<f64>,
    pub seed: RwSignal<u64>,
    /// Step 4: the preparation (Fashion-MNIST) and the vectorizer (IMDB).
    pub normalization: RwSignal<Normalization>,
    pub vectorizer: RwSignal<VectorizerConfig>,
    /// Steps 5–7's configs, for Fashion-MNIST and for IMDB.
    pub configs: [RwSignal<TrainingConfig>; 3],
    pub text_configs: [RwSignal<TrainingConfig>; 3],
    /// Step 8: the search's form and the config of "retrain best", per data set.
    pub search: RwSignal<TunerConfig>,
    pub retrain: RwSignal<TrainingConfig>,
    pub text_search: RwSignal<TunerConfig>,
    pub text_retrain: RwSignal<TrainingConfig>,
    /// The link's quick-run subset and epochs.
    pub quick: Memo<UrlOverrides>,
}

impl Shared {
    pub fn configs_of(&self, dataset: DatasetKind) -> [RwSignal<TrainingConfig>; 3] {
        match dataset {
            DatasetKind::FashionMnist => self.configs,
            DatasetKind::Imdb => self.text_configs,
        }
    }
}

/// Which page to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageKey {
    /// 1–8; ignored for the benchmark.
    pub step: u8,
    pub dataset: DatasetKind,
    pub bench: bool,
}

/// The groups of pages whose code comes in one piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    FirstSteps,
    TrainingSteps,
    TuneStep,
    Bench,
}

impl PageKey {
    pub fn group(&self) -> Group {
        match (self.bench, self.step) {
            (true, _) => Group::Bench,
            (_, 1..=4) => Group::FirstSteps,
            (_, 5..=7) => Group::TrainingSteps,
            _ => Group::TuneStep,
        }
    }
}

/// Builds a group's page: a function of the group's piece, called by the shell in its own
/// reactive scope once the piece has arrived, as any component is.
pub type Build = fn(Shared, PageKey) -> AnyView;

/// Why a page is not shown: its piece of the lab could not be fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLoadError;

impl From<SplitLoaderError> for PageLoadError {
    fn from(_: SplitLoaderError) -> Self {
        PageLoadError
    }
}

/// The page builder of `group`, its code fetched first if this is the first time it is asked
/// for (a piece that arrived is kept; one that failed is fetched anew on the next call).
#[cfg(not(feature = "worker-common"))]
pub async fn load(group: Group) -> Result<Build, PageLoadError> {
    match group {
        Group::FirstSteps => first_steps().await,
        Group::TrainingSteps => training_steps().await,
        Group::TuneStep => tune_step().await,
        Group::Bench => bench_page().await,
    }
}

/// The workers' builds compile this crate too, and never show a page: there the split points
/// are left out, as their exports would keep every step's views in the worker's wasm.
#[cfg(feature = "worker-common")]
pub async fn load(group: Group) -> Result<Build, PageLoadError> {
    Ok(builder(group))
}

#[cfg(not(feature = "worker-common"))]
#[wasm_split(first_steps, wasm_split_path = ::leptos::wasm_split, fallible)]
fn first_steps() -> Result<Build, PageLoadError> {
    Ok(first_steps_page)
}

#[cfg(not(feature = "worker-common"))]
#[wasm_split(training_steps, wasm_split_path = ::leptos::wasm_split, fallible)]
fn training_steps() -> Result<Build, PageLoadError> {
    Ok(training_steps_page)
}

#[cfg(not(feature = "worker-common"))]
#[wasm_split(tune_step, wasm_split_path = ::leptos::wasm_split, fallible)]
fn tune_step() -> Result<Build, PageLoadError> {
    Ok(tune_step_page)
}

#[cfg(not(feature = "worker-common"))]
#[wasm_split(bench_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn bench_page() -> Result<Build, PageLoadError> {
    Ok(bench_page_view)
}

/// The function that builds `group`'s pages, where nothing is split.
#[cfg(feature = "worker-common")]
fn builder(group: Group) -> Build {
    match group {
        Group::FirstSteps => first_steps_page,
        Group::TrainingSteps => training_steps_page,
        Group::TuneStep => tune_step_page,
        Group::Bench => bench_page_view,
    }
}

fn bench_page_view(shared: Shared, _: PageKey) -> AnyView {
    let trainer = shared.trainer;
    view! { <Bench trainer /> }.into_any()
}

fn first_steps_page(shared: Shared, key: PageKey) -> AnyView {
    let Shared {
        trainer,
        metric,
        validation_split,
        seed,
        normalization,
        vectorizer,
        ..
    } = shared;
    let on_metric = move |m| metric.set(m);
    let on_validation_split = move |v| validation_split.set(v);
    let on_seed = move |v| seed.set(v);
    match (key.step, key.dataset) {
        (1, DatasetKind::Imdb) => view! { <TextStep1 trainer /> }.into_any(),
        (2, DatasetKind::Imdb) => view! { <TextStep2 metric on_metric /> }.into_any(),
        (3, DatasetKind::Imdb) => view! {
            <TextStep3 trainer validation_split seed on_validation_split on_seed />
        }
        .into_any(),
        (_, DatasetKind::Imdb) => view! {
            <TextStep4 trainer vectorizer on_vectorizer=move |v| vectorizer.set(v) />
        }
        .into_any(),
        (1, _) => view! { <Step1 trainer /> }.into_any(),
        (2, _) => view! { <Step2 metric on_metric /> }.into_any(),
        (3, _) => view! {
            <Step3 trainer validation_split seed on_validation_split on_seed />
        }
        .into_any(),
        _ => view! {
            <Step4 trainer normalization on_normalization=move |n| normalization.set(n) />
        }
        .into_any(),
    }
}

fn training_steps_page(shared: Shared, key: PageKey) -> AnyView {
    let i = usize::from(key.step.clamp(5, 7) - 5);
    let steps = match key.dataset {
        DatasetKind::Imdb => &TEXT_TRAINING_STEPS,
        DatasetKind::FashionMnist => &TRAINING_STEPS,
    };
    let (step, config) = (&steps[i], shared.configs_of(key.dataset)[i]);
    let Shared {
        trainer,
        quick,
        metric,
        ..
    } = shared;
    view! {
        <TrainingStepPage trainer step config on_config=move |c| config.set(c) quick metric />
    }
    .into_any()
}

fn tune_step_page(shared: Shared, key: PageKey) -> AnyView {
    let (search, retrain) = match key.dataset {
        DatasetKind::Imdb => (shared.text_search, shared.text_retrain),
        DatasetKind::FashionMnist => (shared.search, shared.retrain),
    };
    let Shared {
        trainer,
        quick,
        metric,
        ..
    } = shared;
    view! {
        <Step8 trainer search retrain on_retrain_config=move |c| retrain.set(c) quick metric />
    }
    .into_any()
}
