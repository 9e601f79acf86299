//! `use_trainer`: the page's handle on the training worker. Components read its signals
//! (read-only) and call its methods (`start`, `stop`, `tune`, ...); the replies of the worker
//! change the state through the plain functions of [`reducers`]. A Train or Search asked for
//! before the data and the backend are ready waits in [`pending`] and starts when they are.
//!
//! Nothing the worker does can wedge the page: a request that cannot be encoded is refused
//! with the reason (no run is left "training"), and a worker that crashes (a panic, running
//! out of memory) fails what was running and, once it had loaded the data, is replaced by a
//! fresh one started with the same backend plan and data source (`Trainer::restart`).

pub mod backend_probe;
pub mod bridge;
pub mod decoding;
pub mod pending;
pub mod persist;
pub mod reducers;
pub mod run_db;
pub mod stored_runs;
pub mod stored_weights;
pub mod text;
pub mod views;

use lab_spec::backend_plan::BackendPlan;
use lab_spec::dataset::DatasetKind;
use lab_spec::text::VectorizerConfig;
use lab_spec::tuning::TunerConfig;
use lab_spec::worker::{
    BackendChoice, BenchModel, BenchResult, DataSource, Reply, Request, WhichWeights,
};
use lab_spec::{Normalization, TrainingConfig};
use leptos::prelude::*;

use self::bridge::Bridge;
use self::pending::{Action, ActionKind, Busy, Button, Gate, Pending};
pub use self::views::{ActivationsView, DownloadAsk, LoadAsk, PredictionsView, WeightsView};
pub use self::views::{
    BackendInfo, CellImages, CheckpointAsk, DataState, RunStatus, RunView, SearchStatus, SearchView,
};

/// The run id the worker uses when a benchmark fails (`RunFailed { run: 0 }`); runs are
/// numbered from 1.
const BENCH_RUN: u32 = 0;

/// What became of a Train or Search that was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Started {
    /// It started: the run's or search's id.
    Now(u32),
    /// It waits for the data or the backend, and starts when they are ready.
    WhenReady,
}

/// The writable side of the trainer's state: only the trainer itself writes.
#[derive(Clone, Copy)]
struct Writers {
    backend: WriteSignal<Option<BackendInfo>>,
    data: WriteSignal<DataState>,
    runs: WriteSignal<Vec<RunView>>,
    cell_images: WriteSignal<Option<CellImages>>,
    preview: WriteSignal<Option<(Vec<u8>, Vec<f32>)>>,
    bench: WriteSignal<Vec<BenchResult>>,
    search: WriteSignal<Option<SearchView>>,
    pending: WriteSignal<Pending>,
    checkpoint: WriteSignal<Option<CheckpointAsk>>,
    bench_error: WriteSignal<Option<String>>,
    data_choice: WriteSignal<Option<String>>,
    weights: WriteSignal<WeightsView>,
    text: WriteSignal<text::TextView>,
    dataset: WriteSignal<DatasetKind>,
}

/// The page's handle on the worker: read-only signals and the requests it can make.
#[derive(Clone, Copy)]
pub struct Trainer {
    pub backend: ReadSignal<Option<BackendInfo>>,
    pub data: ReadSignal<DataState>,
    pub runs: ReadSignal<Vec<RunView>>,
    pub cell_images: ReadSignal<Option<CellImages>>,
    pub preview: ReadSignal<Option<(Vec<u8>, Vec<f32>)>>,
    pub bench: ReadSignal<Vec<BenchResult>>,
    pub search: ReadSignal<Option<SearchView>>,
    /// A Train or Search waiting for the data, or why the last one did not start.
    pub pending: ReadSignal<Pending>,
    /// "Use the best checkpoint" being evaluated, or why it could not be.
    pub checkpoint: ReadSignal<Option<CheckpointAsk>>,
    /// Why a benchmark failed.
    pub bench_error: ReadSignal<Option<String>>,
    /// Weights files downloaded or loaded, and the predictions grid.
    pub weights: ReadSignal<WeightsView>,
    /// Why the stored runs cannot be kept or could not all be read back (`persist`).
    pub session_error: ReadSignal<Option<String>>,
    /// Why the newest change of the runs could not be stored (a full storage); `None` once
    /// that record is written.
    pub save_error: ReadSignal<Option<String>>,
    /// The stored runs' dates and the pinned baseline (`persist`).
    pub saved: persist::Saved,
    /// The other origin a link's data would come from: nothing is loaded until the learner
    /// chooses that data or the lab's own ([`Trainer::choose_data`]).
    pub data_choice: ReadSignal<Option<String>>,
    /// The IMDB reviews: their data state, summary, a review's terms, a cell's reviews.
    pub text: ReadSignal<text::TextView>,
    /// The data set the learner works on; `data` is its state.
    pub dataset: ReadSignal<DatasetKind>,
    /// Fashion-MNIST's data state while IMDB is chosen (and the other way round in `text`).
    fashion: StoredValue<DataState>,
    set: Writers,
    bridge: StoredValue<Option<Bridge>, LocalStorage>,
    next_id: StoredValue<u32>,
    data_base: StoredValue<String>,
    /// The backend chosen (`None` while the page asks the browser for a WebGPU adapter), and
    /// where the data was last loaded from: a fresh worker that replaces a crashed one starts
    /// with them.
    plan: StoredValue<Option<BackendPlan>>,
    source: StoredValue<DataSource>,
    /// The requests made while the backend is being chosen: the worker gets them, in order,
    /// once it is started (as gloo queues those made before a worker listens).
    queued: StoredValue<Option<Vec<Request>>>,
}

pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

impl Trainer {
    /// Sends `request` to the worker, or says why it cannot be sent.
    fn send(&self, request: &Request) -> Result<(), String> {
        let sent = self
            .bridge
            .with_value(|b| b.as_ref().map(|b| b.send(request)));
        if let Some(sent) = sent {
            return sent;
        }
        // While the backend is being chosen, the request waits for the worker.
        let queued = self
            .queued
            .try_update_value(|q| q.as_mut().map(|q| q.push(request.clone())))
            .flatten();
        queued.ok_or_else(|| "the training worker is not running".into())
    }

    /// Sends a request whose failure has no place of its own on the page (Stop, a preview).
    fn send_or_log(&self, request: &Request) {
        if let Err(e) = self.send(request) {
            web_sys::console::error_1(&format!("a request to the training worker: {e}").into());
        }
    }

    pub fn running(&self) -> bool {
        self.runs.with(|r| r.iter().any(RunView::is_running))
            || self
                .search
                .with(|s| s.as_ref().is_some_and(SearchView::is_running))
    }

    /// What occupies the worker: a run or search in progress, or an action waiting (tracked).
    pub fn busy(&self) -> Busy {
        self.runs.with(|runs| {
            self.search
                .with(|s| self.pending.with(|p| Busy::of(runs, s.as_ref(), p)))
        })
    }

    /// The button that asks for `kind`: enabled or not, and what it says beside it (tracked).
    pub fn button(&self, kind: ActionKind) -> Button {
        let busy = self.busy();
        let backend_ready = self.backend.with(Option::is_some);
        self.data.with(|d| {
            self.pending
                .with(|p| pending::button(kind, d, backend_ready, busy, p))
        })
    }

    /// The number of training images of the loaded data (0 while loading).
    pub fn available(&self) -> usize {
        self.data.with_untracked(DataState::train_images)
    }

    /// Starts a search, or accepts it to start when the data is ready; the previous search's
    /// trials are replaced when it starts.
    pub fn tune(&self, config: TunerConfig) -> Result<Started, String> {
        self.ask(Action::Search(config))
    }

    /// Starts a run of `step`, or accepts it to start when the data is ready; or the reason it
    /// cannot be accepted.
    pub fn start(
        &self,
        step: u8,
        label: String,
        config: TrainingConfig,
    ) -> Result<Started, String> {
        self.ask(Action::Train {
            step,
            label,
            config,
        })
    }

    fn ask(&self, action: Action) -> Result<Started, String> {
        let busy = self.runs.with_untracked(|runs| {
            self.search.with_untracked(|s| {
                self.pending
                    .with_untracked(|p| Busy::of(runs, s.as_ref(), p))
            })
        });
        let backend_ready = self.backend.with_untracked(Option::is_some);
        let gate: Gate = self
            .data
            .with_untracked(|d| pending::gate(d, backend_ready, busy));
        let mut p = self.pending.get_untracked();
        let now = pending::request(&mut p, action, gate)?;
        self.set.pending.set(p);
        match now {
            Some(action) => self.launch(action).map(Started::Now),
            None => Ok(Started::WhenReady),
        }
    }

    /// Carries out `action` on the loaded data: checks its config against the data, gives it
    /// a fresh id and sends it to the worker. It is shown as running only once it was sent: a
    /// request that cannot be sent is refused with the reason.
    fn launch(&self, action: Action) -> Result<u32, String> {
        action
            .validate(Some(self.available()))
            .map_err(|e| e.to_string())?;
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let backend = self
            .backend
            .get_untracked()
            .map(|b| b.name)
            .unwrap_or_default();
        match action {
            Action::Train {
                step,
                label,
                config,
            } => {
                let request = Request::Train {
                    run: id,
                    config: config.clone(),
                };
                self.send(&request).map_err(unsendable)?;
                let view = RunView::new(id, step, label, config, backend, now_ms());
                self.set.runs.update(|runs| runs.push(view));
            }
            Action::Search(config) => {
                let request = Request::Tune {
                    search: id,
                    config: config.clone(),
                };
                self.send(&request).map_err(unsendable)?;
                self.set
                    .search
                    .set(Some(SearchView::new(id, config, backend, now_ms())));
            }
        }
        Ok(id)
    }

    /// The data or the backend changed: starts the waiting action once both are ready, or
    /// drops it if the data failed.
    fn settle(&self) {
        let backend_ready = self.backend.with_untracked(Option::is_some);
        let mut p = self.pending.get_untracked();
        let now = self
            .data
            .with_untracked(|d| pending::settle(&mut p, d, backend_ready));
        if let Some(action) = now {
            let kind = action.kind();
            if let Err(reason) = self.launch(action) {
                p = pending::dropped(kind, &reason);
            }
        }
        if self.pending.with_untracked(|old| *old != p) {
            self.set.pending.set(p);
        }
    }

    /// The learner edits the settings of `kind`: the message of its dropped action goes.
    pub fn dismiss(&self, kind: ActionKind) {
        let mut p = self.pending.get_untracked();
        pending::dismiss(&mut p, kind);
        if self.pending.with_untracked(|old| *old != p) {
            self.set.pending.set(p);
        }
    }

    /// The fastest training speed seen in this session (samples/s), for estimates.
    pub fn measured_speed(&self) -> Option<f64> {
        self.runs.with_untracked(|runs| {
            self.search
                .with_untracked(|s| reducers::fastest_speed(runs, s.as_ref()))
        })
    }

    pub fn bench(&self, model: BenchModel, batch: usize, steps: usize) {
        let request = Request::Bench {
            model,
            batch,
            steps,
        };
        if let Err(e) = self.send(&request) {
            self.set.bench_error.set(Some(unsendable(e)));
        }
    }

    /// Stop: cancels a waiting Train or Search, else stops what runs.
    pub fn stop(&self) {
        let mut p = self.pending.get_untracked();
        if pending::cancel(&mut p) {
            self.set.pending.set(p);
        } else {
            self.send_or_log(&Request::Stop);
        }
    }

    /// Evaluates `run`'s best checkpoint on the test set; [`Trainer::checkpoint`] says it is
    /// under way until the report (or the reason it failed) arrives.
    pub fn evaluate_checkpoint(&self, run: u32) {
        let failed = self
            .send(&Request::EvaluateCheckpoint { run })
            .err()
            .map(unsendable);
        self.set.checkpoint.set(Some(CheckpointAsk { run, failed }));
    }

    /// Asks for `run`'s weights, saved as `file_name` when they arrive; [`Trainer::weights`]
    /// says it is under way, or why it failed.
    pub fn download_weights(&self, run: u32, which: WhichWeights, file_name: String) {
        let failed = self.send(&Request::Weights { run, which }).err();
        let ask = DownloadAsk {
            run,
            which,
            file_name,
            failed: failed.map(unsendable),
        };
        self.set.weights.update(|w| w.download = Some(ask));
    }

    /// Loads the weights file `file` (its `bytes`) into `config`'s model: once evaluated on
    /// the test set it becomes a new run of `step`; else [`Trainer::weights`] says why not.
    pub fn load_weights(&self, step: u8, file: String, config: TrainingConfig, bytes: Vec<u8>) {
        let run = self.next_id.get_value();
        self.next_id.set_value(run + 1);
        let bytes = serde_bytes::ByteBuf::from(bytes);
        let request = Request::LoadWeights {
            run,
            config: config.clone(),
            bytes,
        };
        let failed = self.send(&request).err().map(unsendable);
        let ask = LoadAsk {
            run,
            step,
            file,
            config,
            failed,
        };
        self.set.weights.update(|w| w.load = Some(ask));
    }

    /// Asks for a page of `run`'s predictions: the next page of the grid shown with `more`,
    /// else a new grid from the first.
    pub fn predictions(&self, run: u32, only_mistakes: bool, more: bool) {
        let mut weights = self.weights.get_untracked();
        let offset = reducers::ask_predictions(&mut weights, run, only_mistakes, more);
        let request = Request::Predictions {
            run,
            offset,
            count: reducers::PREDICTIONS_PAGE,
            only_mistakes,
        };
        if let Err(e) = self.send(&request) {
            reducers::predictions_failed(&mut weights, run, unsendable(e));
        }
        self.set.weights.set(weights);
    }

    /// Asks what `run`'s `which` weights see of test image `index`; [`Trainer::weights`]'s
    /// `activations` says it is on its way, then shows it (or why not).
    pub fn activations(&self, run: u32, which: WhichWeights, index: usize) {
        let mut weights = self.weights.get_untracked();
        reducers::ask_activations(&mut weights, run, which, index);
        if let Err(e) = self.send(&Request::Activations { run, which, index }) {
            reducers::activations_failed(&mut weights, (run, which, index), unsendable(e));
        }
        self.set.weights.set(weights);
    }

    pub fn misclassified(&self, run: u32, actual: u8, predicted: u8) {
        self.send_or_log(&Request::Misclassified {
            run,
            actual,
            predicted,
        });
    }

    pub fn preview(&self, index: usize, normalization: Normalization) {
        self.send_or_log(&Request::Preview {
            index,
            normalization,
        });
    }

    pub fn load_default_data(&self) {
        if self.dataset.get_untracked() == DatasetKind::Imdb {
            self.load_imdb();
            return;
        }
        self.load(DataSource::Url(self.data_base.get_value()));
    }

    /// Works on `dataset` from now on: `data` becomes its state; the reviews are asked for the
    /// first time IMDB is chosen (or again after they failed). The other data set stays loaded.
    pub fn select_dataset(&self, dataset: DatasetKind) {
        if self.dataset.get_untracked() == dataset {
            return;
        }
        self.set.dataset.set(dataset);
        if self
            .text
            .with_untracked(|t| text::needs_loading(dataset, t))
        {
            self.load_imdb();
        } else {
            let data = self
                .text
                .with_untracked(|t| self.fashion.with_value(|f| text::data_of(dataset, f, t)));
            self.set_data(data);
        }
    }

    /// Asks the worker for the IMDB reviews.
    fn load_imdb(&self) {
        self.put_imdb(DataState::Loading {
            loaded: 0,
            total: 0,
        });
        let base = text::IMDB_DATA.to_string();
        if let Err(e) = self.send(&Request::LoadImdb { base }) {
            self.put_imdb(DataState::Failed(unsendable(e)));
        }
    }

    /// IMDB's new data state; the page's when IMDB is the chosen data set.
    fn put_imdb(&self, data: DataState) {
        self.set.text.update(|t| t.data = Some(data.clone()));
        if self.dataset.get_untracked() == DatasetKind::Imdb {
            self.set_data(data);
        }
    }

    /// Fashion-MNIST's new data state; the page's when it is the chosen data set.
    fn put_fashion(&self, data: DataState) {
        self.fashion.set_value(data.clone());
        if self.dataset.get_untracked() == DatasetKind::FashionMnist {
            self.set_data(data);
        }
    }

    /// Training review `index` with its top-weighted terms under `vectorizer` (step 4).
    pub fn top_terms(&self, vectorizer: VectorizerConfig, index: usize) {
        self.set
            .text
            .update(|t| t.terms = Some(text::TermsView::Asked));
        if let Err(e) = self.send(&Request::TopTerms { vectorizer, index }) {
            self.set
                .text
                .update(|t| t.terms = Some(text::TermsView::Failed(unsendable(e))));
        }
    }

    /// The test reviews of a confusion-matrix cell of IMDB run `run`.
    pub fn reviews(&self, run: u32, actual: u8, predicted: u8) {
        self.set.text.update(|t| t.cell = None);
        self.send_or_log(&Request::Reviews {
            run,
            actual,
            predicted,
        });
    }

    /// The learner chose where the data comes from (the folder `data_base`): it is loaded,
    /// and Retry and a fresh worker load it from there.
    pub fn choose_data(&self, data_base: String) {
        self.set.data_choice.set(None);
        self.data_base.set_value(data_base);
        self.load_default_data();
    }

    pub fn load_files(&self, files: Vec<Vec<u8>>) {
        self.load(DataSource::Files(
            files.into_iter().map(serde_bytes::ByteBuf::from).collect(),
        ));
    }

    /// Loads the data from `source`, which a fresh worker would load again.
    fn load(&self, source: DataSource) {
        self.put_fashion(DataState::Loading {
            loaded: 0,
            total: 0,
        });
        let sent = self.send(&Request::LoadData {
            source: source.clone(),
        });
        self.source.set_value(source);
        if let Err(e) = sent {
            self.put_fashion(DataState::Failed(unsendable(e)));
        }
    }

    /// The data could not be read on the page's side (a picked file, ...).
    pub fn report_data_error(&self, message: String) {
        self.set_data(DataState::Failed(message));
    }

    /// The data's new state; what waits for the data follows it.
    fn set_data(&self, data: DataState) {
        self.set.data.set(data);
        self.settle();
    }

    pub fn toggle_visible(&self, run: u32) {
        self.update_run(run, |r| r.visible = !r.visible);
    }

    fn update_run(&self, run: u32, f: impl FnOnce(&mut RunView)) {
        self.set.runs.update(|runs| {
            if let Some(r) = runs.iter_mut().find(|r| r.id == run) {
                f(r);
            }
        });
    }

    fn update_search(&self, search: u32, f: impl FnOnce(&mut SearchView)) {
        self.set.search.update(|s| {
            if let Some(s) = s.as_mut().filter(|s| s.id == search) {
                f(s);
            }
        });
    }

    fn on_reply(&self, reply: Reply) {
        match reply {
            Reply::Alive => {}
            Reply::Ready {
                backend,
                adapter,
                note,
            } => {
                self.set.backend.set(Some(BackendInfo {
                    name: backend,
                    adapter,
                    note,
                }));
                self.settle();
            }
            Reply::NeedsCpu { plan } => {
                // The WebGPU device did not start: the CPU worker takes over, with the reason.
                self.plan.set_value(Some(plan));
                if let Err(e) = self.restart() {
                    self.set_data(DataState::Failed(format!(
                        "the CPU training worker could not start: {e}"
                    )));
                }
            }
            Reply::DataProgress { loaded, total } => {
                self.put_fashion(DataState::Loading { loaded, total })
            }
            Reply::DataReady(summary) => self.put_fashion(DataState::Ready(summary)),
            Reply::DataFailed { message } => self.put_fashion(DataState::Failed(message)),
            Reply::ImdbProgress { loaded, total } => {
                self.put_imdb(DataState::Loading { loaded, total })
            }
            Reply::ImdbReady(summary) => {
                let data = DataState::Ready(text::as_data_summary(&summary));
                self.set.text.update(|t| t.summary = Some(summary));
                self.put_imdb(data);
            }
            Reply::ImdbFailed { message } => self.put_imdb(DataState::Failed(message)),
            Reply::ReviewTerms {
                vectorizer,
                vocabulary,
                review,
            } => self.set.text.update(|t| {
                t.terms = Some(text::TermsView::Ready {
                    vectorizer,
                    vocabulary,
                    review,
                })
            }),
            Reply::TermsFailed { message } => self
                .set
                .text
                .update(|t| t.terms = Some(text::TermsView::Failed(message))),
            Reply::Reviews {
                run,
                actual,
                predicted,
                reviews,
                message,
            } => self.set.text.update(|t| {
                t.cell = Some(text::CellReviews {
                    run,
                    actual,
                    predicted,
                    reviews,
                    message,
                })
            }),
            Reply::RunFailed { run, message } if run == BENCH_RUN => {
                self.set.bench_error.set(Some(message))
            }
            Reply::RunFailed { run, message } => self.set.runs.update(|runs| {
                self.set
                    .checkpoint
                    .update(|ask| reducers::fail_run(runs, ask, run, message))
            }),
            Reply::Checkpoint { run, epoch, report } => {
                self.update_run(run, |r| r.checkpoint_report = Some((epoch, report)));
                if self
                    .checkpoint
                    .with_untracked(|a| a.as_ref().is_some_and(|a| a.run == run))
                {
                    self.set.checkpoint.set(None);
                }
            }
            Reply::Images {
                run,
                actual,
                predicted,
                images,
                indices,
            } => self.set.cell_images.set(Some(CellImages {
                run,
                actual,
                predicted,
                images: images.into_iter().map(|i| i.into_vec()).collect(),
                indices,
            })),
            Reply::Preview { raw, normalized } => self.set.preview.set(Some((raw, normalized))),
            Reply::Bench(result) => self.set.bench.update(|b| b.push(result)),
            Reply::Run { run, event } => self.update_run(run, |r| reducers::apply_event(r, event)),
            Reply::Search { search, event } => {
                self.update_search(search, |s| reducers::apply_search_event(s, event))
            }
            Reply::SearchFailed { search, message } => {
                self.update_search(search, |s| reducers::fail_search(s, message))
            }
            Reply::Weights { run, which, bytes } => {
                let ask = self.weights.with_untracked(|w| w.download.clone());
                if let Some(ask) = ask.filter(|a| a.run == run && a.which == which) {
                    crate::download::save_bytes(&ask.file_name, &bytes);
                    self.set.weights.update(|w| w.download = None);
                }
                // Kept in the browser's storage if they were asked for that.
                persist::weights_arrived(*self, run, which, Some(&bytes));
            }
            Reply::WeightsUnavailable {
                run,
                which,
                message,
            } => {
                persist::weights_arrived(*self, run, which, None);
                self.set
                    .weights
                    .update(|w| reducers::download_failed(w, run, which, message))
            }
            Reply::Restored { run } => {
                self.set.runs.update(|runs| reducers::restored(runs, run));
                persist::restore_done(*self, run, None);
            }
            Reply::RestoreFailed { run, message } => {
                persist::restore_done(*self, run, Some(message))
            }
            Reply::Loaded { run, report } => {
                let backend = self.backend.get_untracked().map(|b| b.name);
                self.set.runs.update(|runs| {
                    self.set.weights.update(|w| {
                        let backend = backend.unwrap_or_default();
                        reducers::loaded(runs, w, run, report, backend, now_ms())
                    })
                })
            }
            Reply::LoadFailed { run, message } => self
                .set
                .weights
                .update(|w| reducers::load_failed(w, run, message)),
            Reply::Predictions {
                run,
                offset,
                only_mistakes,
                items,
                total,
            } => self.set.weights.update(|w| {
                reducers::apply_predictions(w, run, offset, only_mistakes, items, total)
            }),
            Reply::PredictionsUnavailable { run, message } => self
                .set
                .weights
                .update(|w| reducers::predictions_failed(w, run, message)),
            Reply::Activations(seen) => self
                .set
                .weights
                .update(|w| reducers::apply_activations(w, seen)),
            Reply::ActivationsUnavailable {
                run,
                which,
                index,
                message,
            } => self
                .set
                .weights
                .update(|w| reducers::activations_failed(w, (run, which, index), message)),
        }
    }

    /// The worker crashed, saying `detail`: what was running failed, and a fresh worker
    /// replaces it once it had loaded the data (a waiting action then keeps waiting for the
    /// fresh one); otherwise the data is marked failed and the waiting action dropped.
    fn on_crash(&self, detail: String) {
        let restarted = self.data.with_untracked(reducers::restarts_after_crash)
            && self.restart().map_or_else(
                |e| {
                    let e = format!("a fresh training worker could not start: {e}");
                    web_sys::console::error_1(&e.into());
                    false
                },
                |()| true,
            );
        let message = reducers::crash_message(&detail, restarted);
        self.set.runs.update(|runs| {
            self.set
                .search
                .update(|s| reducers::fail_running(runs, s.as_mut(), &message));
            if restarted {
                reducers::worker_replaced(runs);
            }
        });
        if self
            .checkpoint
            .with_untracked(|a| a.as_ref().is_some_and(|a| a.failed.is_none()))
        {
            self.set.checkpoint.update(|a| {
                if let Some(a) = a {
                    a.failed = Some(message.clone());
                }
            });
        }
        self.set.bench_error.set(Some(message.clone()));
        self.set
            .weights
            .update(|w| reducers::fail_weights(w, &message));
        if !restarted {
            let mut p = self.pending.get_untracked();
            pending::drop_waiting(&mut p, &message);
            if self.pending.with_untracked(|old| *old != p) {
                self.set.pending.set(p);
            }
            self.set_data(DataState::Failed(message));
        }
    }

    /// Replaces the worker with a fresh one (the old one is ended first, so none of its
    /// replies arrive after this), started with the same backend plan and data source. The
    /// runs and search stay as they are; a waiting action starts once the fresh worker is
    /// ready, as at the page's start.
    fn restart(&self) -> Result<(), String> {
        self.bridge.set_value(None);
        self.set.backend.set(None);
        let imdb_asked = self.text.with_untracked(|t| t.data.is_some());
        self.put_fashion(DataState::Loading {
            loaded: 0,
            total: 0,
        });
        let plan = self
            .plan
            .get_value()
            .unwrap_or_else(|| lab_spec::backend_plan::plan(BackendChoice::Cpu, None));
        self.start_worker(plan)?;
        let source = self.source.get_value();
        self.send(&Request::LoadData { source })?;
        // The fresh worker has no reviews: they come back from the Cache API.
        if imdb_asked {
            self.load_imdb();
        }
        Ok(())
    }

    /// Starts the worker of `plan` and sends it `Init`, then the requests queued while the
    /// plan was being made.
    fn start_worker(&self, plan: BackendPlan) -> Result<(), String> {
        self.plan.set_value(Some(plan.clone()));
        self.bridge
            .set_value(Some(spawn_bridge(*self, backend_probe::worker_url(&plan))?));
        self.send(&Request::Init { plan })?;
        let queued = self.queued.try_update_value(Option::take).flatten();
        for request in queued.unwrap_or_default() {
            self.send(&request)?;
        }
        Ok(())
    }

    /// Starts the worker of `plan`, or says on the page why it could not start.
    fn start_or_fail(&self, plan: BackendPlan) {
        if let Err(e) = self.start_worker(plan) {
            self.queued.set_value(None);
            self.set_data(DataState::Failed(e));
        }
    }
}

/// Why a request could not be sent, as the place that asked for it shows it.
fn unsendable(reason: String) -> String {
    format!("the training worker could not be sent this request: {reason}")
}

/// Starts the worker `url` loads, whose replies and crash go to `trainer`.
fn spawn_bridge(trainer: Trainer, url: &str) -> Result<Bridge, String> {
    Bridge::spawn(
        url,
        move |reply| trainer.on_reply(reply),
        move |detail| trainer.on_crash(detail),
    )
}

/// Starts the worker (once) and returns the trainer handle. `data_base` is the URL of the
/// folder holding the four data files; `ask_first`, the other origin it is on when the
/// learner has to confirm it first: then nothing is loaded until [`Trainer::choose_data`].
pub fn use_trainer(
    backend: BackendChoice,
    data_base: String,
    ask_first: Option<String>,
) -> Trainer {
    let (backend_r, backend_w) = signal(None);
    let (data_r, data_w) = signal(DataState::Loading {
        loaded: 0,
        total: 0,
    });
    let (runs_r, runs_w) = signal(Vec::new());
    let (cells_r, cells_w) = signal(None);
    let (preview_r, preview_w) = signal(None);
    let (bench_r, bench_w) = signal(Vec::new());
    let (search_r, search_w) = signal(None);
    let (pending_r, pending_w) = signal(Pending::Nothing);
    let (checkpoint_r, checkpoint_w) = signal(None);
    let (bench_error_r, bench_error_w) = signal(None);
    let (weights_r, weights_w) = signal(WeightsView::default());
    let (session_error_r, session_error_w) = signal(None);
    let (save_error_r, save_error_w) = signal(None);
    let asks = ask_first.is_some();
    let (data_choice_r, data_choice_w) = signal(ask_first);
    let (text_r, text_w) = signal(text::TextView::default());
    let (dataset_r, dataset_w) = signal(DatasetKind::FashionMnist);
    let source = DataSource::Url(data_base.clone());
    let trainer = Trainer {
        backend: backend_r,
        data: data_r,
        runs: runs_r,
        cell_images: cells_r,
        preview: preview_r,
        bench: bench_r,
        search: search_r,
        pending: pending_r,
        checkpoint: checkpoint_r,
        bench_error: bench_error_r,
        weights: weights_r,
        session_error: session_error_r,
        save_error: save_error_r,
        saved: persist::Saved::new(),
        data_choice: data_choice_r,
        text: text_r,
        dataset: dataset_r,
        fashion: StoredValue::new(DataState::Loading {
            loaded: 0,
            total: 0,
        }),
        set: Writers {
            backend: backend_w,
            data: data_w,
            runs: runs_w,
            cell_images: cells_w,
            preview: preview_w,
            bench: bench_w,
            search: search_w,
            pending: pending_w,
            checkpoint: checkpoint_w,
            bench_error: bench_error_w,
            weights: weights_w,
            data_choice: data_choice_w,
            text: text_w,
            dataset: dataset_w,
        },
        bridge: StoredValue::new_local(None),
        next_id: StoredValue::new(1),
        data_base: StoredValue::new(data_base),
        plan: StoredValue::new(None),
        source: StoredValue::new(source),
        // Requests wait here until the worker is started, below.
        queued: StoredValue::new(Some(Vec::new())),
    };
    // The decoders of the replies and the stored runs, fetched beside the worker's script.
    leptos::task::spawn_local(decoding::preload());
    persist::start(trainer, session_error_w, save_error_w);
    // The worker of the backend the lab trains on: known at once for the CPU (chosen, or no
    // WebGPU in this browser), else after the browser's adapter probe (a few milliseconds);
    // meanwhile the requests below wait in `queued`.
    match backend_probe::plan_now(backend) {
        Some(plan) => {
            trainer.start_or_fail(plan);
            if trainer.bridge.with_value(Option::is_none) {
                return trainer;
            }
        }
        None => leptos::task::spawn_local(async move {
            let plan = backend_probe::probe_plan(backend).await;
            trainer.start_or_fail(plan);
        }),
    }
    if !asks {
        trainer.load_default_data();
    }
    trainer
}
