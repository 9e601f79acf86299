//! `use_trainer`: the page's handle on the training worker. Components read its signals
//! (read-only) and call its methods (`start`, `stop`, `tune`, ...); the replies of the worker
//! change the state through the plain functions of [`reducers`].

pub mod bridge;
pub mod reducers;
pub mod session_storage;
pub mod views;

use lab_spec::tuning::TunerConfig;
use lab_spec::worker::{BackendChoice, BenchModel, BenchResult, DataSource, Reply, Request};
use lab_spec::{ConfigError, Normalization, TrainingConfig};
use leptos::prelude::*;

use self::bridge::Bridge;
use self::session_storage::Session;
pub use self::views::{
    BackendInfo, CellImages, DataState, RunStatus, RunView, SearchStatus, SearchView,
};

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
    set: Writers,
    bridge: StoredValue<Option<Bridge>, LocalStorage>,
    next_id: StoredValue<u32>,
    data_base: StoredValue<String>,
}

pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

impl Trainer {
    fn send(&self, request: &Request) {
        self.bridge.with_value(|b| {
            if let Some(b) = b {
                b.send(request);
            }
        });
    }

    pub fn running(&self) -> bool {
        self.runs.with(|r| r.iter().any(RunView::is_running))
            || self
                .search
                .with(|s| s.as_ref().is_some_and(SearchView::is_running))
    }

    /// The number of training images of the loaded data (0 while loading).
    pub fn available(&self) -> usize {
        self.data.with_untracked(DataState::train_images)
    }

    /// What a run or a search needs before it starts: nothing else running, the data loaded,
    /// a valid config. Returns a fresh id and the backend's name.
    fn begin(
        &self,
        validate: impl FnOnce(usize) -> Result<(), ConfigError>,
    ) -> Result<(u32, String), String> {
        if self.running() {
            return Err("a run is already in progress: stop it first".into());
        }
        if !matches!(self.data.get_untracked(), DataState::Ready(_)) {
            return Err("the data is not loaded yet".into());
        }
        validate(self.available()).map_err(|e| e.to_string())?;
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let backend = self
            .backend
            .get_untracked()
            .map(|b| b.name)
            .unwrap_or_default();
        Ok((id, backend))
    }

    /// Starts a search; the previous one's trials are replaced.
    pub fn tune(&self, config: TunerConfig) -> Result<(), String> {
        let (id, backend) = self.begin(|available| config.validate(Some(available)))?;
        self.set
            .search
            .set(Some(SearchView::new(id, config.clone(), backend, now_ms())));
        self.send(&Request::Tune { search: id, config });
        Ok(())
    }

    /// The fastest training speed seen in this session (samples/s), for estimates.
    pub fn measured_speed(&self) -> Option<f64> {
        self.runs.with_untracked(|runs| {
            self.search
                .with_untracked(|s| reducers::fastest_speed(runs, s.as_ref()))
        })
    }

    /// Starts a run of `step`; returns its id, or the reason it cannot start.
    pub fn start(&self, step: u8, label: String, config: TrainingConfig) -> Result<u32, String> {
        let (id, backend) = self.begin(|available| config.validate(Some(available)))?;
        let view = RunView::new(id, step, label, config.clone(), backend, now_ms());
        self.set.runs.update(|runs| runs.push(view));
        self.send(&Request::Train { run: id, config });
        Ok(id)
    }

    pub fn bench(&self, model: BenchModel, batch: usize, steps: usize) {
        self.send(&Request::Bench {
            model,
            batch,
            steps,
        });
    }

    pub fn stop(&self) {
        self.send(&Request::Stop);
    }

    pub fn evaluate_checkpoint(&self, run: u32) {
        self.send(&Request::EvaluateCheckpoint { run });
    }

    pub fn misclassified(&self, run: u32, actual: u8, predicted: u8) {
        self.send(&Request::Misclassified {
            run,
            actual,
            predicted,
        });
    }

    pub fn preview(&self, index: usize, normalization: Normalization) {
        self.send(&Request::Preview {
            index,
            normalization,
        });
    }

    pub fn load_default_data(&self) {
        self.set.data.set(DataState::Loading {
            loaded: 0,
            total: 0,
        });
        self.send(&Request::LoadData {
            source: DataSource::Url(self.data_base.get_value()),
        });
    }

    pub fn load_files(&self, files: Vec<Vec<u8>>) {
        self.set.data.set(DataState::Loading {
            loaded: 0,
            total: 0,
        });
        self.send(&Request::LoadData {
            source: DataSource::Files(files.into_iter().map(serde_bytes::ByteBuf::from).collect()),
        });
    }

    /// The data could not be read on the page's side (a picked file, ...).
    pub fn report_data_error(&self, message: String) {
        self.set.data.set(DataState::Failed(message));
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
            } => self.set.backend.set(Some(BackendInfo {
                name: backend,
                adapter,
                note,
            })),
            Reply::DataProgress { loaded, total } => {
                self.set.data.set(DataState::Loading { loaded, total })
            }
            Reply::DataReady(summary) => self.set.data.set(DataState::Ready(summary)),
            Reply::DataFailed { message } => self.set.data.set(DataState::Failed(message)),
            Reply::RunFailed { run, message } => {
                self.update_run(run, |r| r.status = RunStatus::Failed(message))
            }
            Reply::Checkpoint { run, epoch, report } => {
                self.update_run(run, |r| r.checkpoint_report = Some((epoch, report)))
            }
            Reply::Images {
                run,
                actual,
                predicted,
                images,
            } => self.set.cell_images.set(Some(CellImages {
                run,
                actual,
                predicted,
                images: images.into_iter().map(|i| i.into_vec()).collect(),
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
        }
    }

    fn on_crash(&self, message: String) {
        self.set.runs.update(|runs| {
            self.set
                .search
                .update(|s| reducers::fail_running(runs, s.as_mut(), &message))
        });
        if !matches!(self.data.get_untracked(), DataState::Ready(_)) {
            self.set.data.set(DataState::Failed(message));
        }
    }
}

/// Starts the worker (once) and returns the trainer handle. `data_base` is the URL of the
/// folder holding the four data files.
pub fn use_trainer(backend: BackendChoice, data_base: String) -> Trainer {
    let session: Session = session_storage::restore();
    let next_id = session.next_id();
    let (backend_r, backend_w) = signal(None);
    let (data_r, data_w) = signal(DataState::Loading {
        loaded: 0,
        total: 0,
    });
    let (runs_r, runs_w) = signal(session.runs);
    let (cells_r, cells_w) = signal(None);
    let (preview_r, preview_w) = signal(None);
    let (bench_r, bench_w) = signal(Vec::new());
    let (search_r, search_w) = signal(session.search);
    let trainer = Trainer {
        backend: backend_r,
        data: data_r,
        runs: runs_r,
        cell_images: cells_r,
        preview: preview_r,
        bench: bench_r,
        search: search_r,
        set: Writers {
            backend: backend_w,
            data: data_w,
            runs: runs_w,
            cell_images: cells_w,
            preview: preview_w,
            bench: bench_w,
            search: search_w,
        },
        bridge: StoredValue::new_local(None),
        next_id: StoredValue::new(next_id),
        data_base: StoredValue::new(data_base),
    };
    match Bridge::spawn(
        move |reply| trainer.on_reply(reply),
        move |message| trainer.on_crash(message),
    ) {
        Ok(bridge) => trainer.bridge.set_value(Some(bridge)),
        Err(message) => {
            trainer.set.data.set(DataState::Failed(message));
            return trainer;
        }
    }
    session_storage::keep(trainer.runs, trainer.search);
    trainer.send(&Request::Init { backend });
    trainer.load_default_data();
    trainer
}
