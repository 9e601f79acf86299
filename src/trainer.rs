//! `use_trainer`: the page's handle on the training worker. It sends typed requests and turns
//! the worker's replies into signals; components only read those signals and call `start`,
//! `stop` and friends.

use std::cell::RefCell;

use lab_spec::tuning::{SearchSummary, Trial, TrialStatus, TunerConfig};
use lab_spec::worker::{BackendChoice, DataSource, DataSummary, Reply, Request};
use lab_spec::{
    BatchProgress, CallbackAction, ClassificationReport, EpochLogs, Event, RunSummary, StopReason,
    TrainingConfig,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    /// Requests made before the worker said it is alive (a worker drops messages that arrive
    /// before its wasm has loaded and set its handler).
    static PENDING: RefCell<Option<Vec<JsValue>>> = const { RefCell::new(Some(Vec::new())) };
}

#[derive(Clone, Debug, PartialEq)]
pub struct BackendInfo {
    pub name: String,
    pub adapter: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DataState {
    Loading { loaded: u64, total: u64 },
    Ready(DataSummary),
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RunStatus {
    Running,
    Finished(StopReason),
    Failed(String),
}

/// Everything the page knows about one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: u32,
    pub step: u8,
    pub label: String,
    pub config: TrainingConfig,
    pub status: RunStatus,
    pub epochs: Vec<EpochLogs>,
    pub total_epochs: usize,
    pub batches_per_epoch: usize,
    pub progress: Option<BatchProgress>,
    /// Running training loss within epochs: (fractional epoch, loss).
    pub batch_losses: Vec<(f64, f64)>,
    pub actions: Vec<CallbackAction>,
    pub summary: Option<RunSummary>,
    pub report: Option<ClassificationReport>,
    pub checkpoint_report: Option<(usize, ClassificationReport)>,
    pub started_at: f64,
    pub visible: bool,
    pub backend: String,
    /// Restored after a reload: the worker no longer holds its predictions or checkpoint.
    #[serde(default)]
    pub restored: bool,
}

impl RunView {
    pub fn is_running(&self) -> bool {
        self.status == RunStatus::Running
    }
}

/// Where a search (step 8) stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SearchStatus {
    Running,
    Finished(SearchSummary),
    Failed(String),
}

/// Everything the page knows about the current search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchView {
    pub id: u32,
    pub config: TunerConfig,
    pub status: SearchStatus,
    /// Every trial so far; the running one grows epoch by epoch.
    pub trials: Vec<Trial>,
    /// Index of the running trial.
    pub current: Option<usize>,
    pub progress: Option<BatchProgress>,
    /// Trials that failed, with the reason.
    pub messages: Vec<String>,
    pub started_at: f64,
    pub backend: String,
}

impl SearchView {
    pub fn is_running(&self) -> bool {
        self.status == SearchStatus::Running
    }

    /// The best scored trial so far (the first one on ties).
    pub fn best(&self) -> Option<&Trial> {
        self.config.best_trial(&self.trials)
    }

    /// Epochs trained so far, the running trial's included.
    pub fn epochs_done(&self) -> usize {
        self.trials.iter().map(|t| t.history.epochs()).sum()
    }
}

/// Misclassified test images sent for one confusion-matrix cell.
#[derive(Clone, Debug, PartialEq)]
pub struct CellImages {
    pub run: u32,
    pub actual: u8,
    pub predicted: u8,
    pub images: Vec<Vec<u8>>,
}

#[derive(Clone, Copy)]
pub struct Trainer {
    pub backend: RwSignal<Option<BackendInfo>>,
    pub data: RwSignal<DataState>,
    pub runs: RwSignal<Vec<RunView>>,
    pub cell_images: RwSignal<Option<CellImages>>,
    pub preview: RwSignal<Option<(Vec<u8>, Vec<f32>)>>,
    pub bench: RwSignal<Vec<lab_spec::worker::BenchResult>>,
    pub search: RwSignal<Option<SearchView>>,
    next_id: StoredValue<u32>,
    data_base: StoredValue<String>,
}

pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

fn send(request: &Request) {
    let value = match serde_wasm_bindgen::to_value(request) {
        Ok(v) => v,
        Err(e) => {
            web_sys::console::error_1(&format!("cannot serialize a request: {e}").into());
            return;
        }
    };
    let queued = PENDING.with(|p| match p.borrow_mut().as_mut() {
        Some(queue) => {
            queue.push(value.clone());
            true
        }
        None => false,
    });
    if !queued {
        post_now(&value);
    }
}

fn post_now(value: &JsValue) {
    WORKER.with(|w| {
        if let Some(worker) = w.borrow().as_ref()
            && let Err(e) = worker.post_message(value)
        {
            web_sys::console::error_2(&"postMessage to the worker failed".into(), &e);
        }
    });
}

/// The worker listens: send what was queued.
fn flush_pending() {
    if let Some(queue) = PENDING.with(|p| p.borrow_mut().take()) {
        for value in queue {
            post_now(&value);
        }
    }
}

impl Trainer {
    pub fn running(&self) -> bool {
        self.runs.with(|r| r.iter().any(RunView::is_running))
            || self
                .search
                .with(|s| s.as_ref().is_some_and(SearchView::is_running))
    }

    /// The number of training images of the loaded data (0 while loading).
    pub fn available(&self) -> usize {
        self.data.with_untracked(|d| match d {
            DataState::Ready(s) => s.train_counts.iter().sum::<usize>(),
            _ => 0,
        })
    }

    /// What a run or a search needs before it starts: nothing else running, the data loaded,
    /// a valid config. Returns a fresh id and the backend's name.
    fn begin(
        &self,
        validate: impl FnOnce(usize) -> Result<(), lab_spec::ConfigError>,
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
        self.search.set(Some(SearchView {
            id,
            config: config.clone(),
            status: SearchStatus::Running,
            trials: Vec::new(),
            current: None,
            progress: None,
            messages: Vec::new(),
            started_at: now_ms(),
            backend,
        }));
        send(&Request::Tune { search: id, config });
        Ok(())
    }

    /// The fastest training speed seen in this session (samples/s), for estimates.
    pub fn measured_speed(&self) -> Option<f64> {
        let runs = self.runs.with_untracked(|rs| {
            rs.iter()
                .filter_map(|r| r.progress.as_ref().map(|p| p.samples_per_s))
                .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))))
        });
        let search = self.search.with_untracked(|s| {
            s.as_ref()
                .and_then(|s| s.progress.as_ref().map(|p| p.samples_per_s))
        });
        match (runs, search) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Starts a run of `step`; returns its id, or the reason it cannot start.
    pub fn start(&self, step: u8, label: String, config: TrainingConfig) -> Result<u32, String> {
        let (id, backend) = self.begin(|available| config.validate(Some(available)))?;
        self.runs.update(|runs| {
            runs.push(RunView {
                id,
                step,
                label,
                config: config.clone(),
                status: RunStatus::Running,
                epochs: Vec::new(),
                total_epochs: config.epochs,
                batches_per_epoch: 0,
                progress: None,
                batch_losses: Vec::new(),
                actions: Vec::new(),
                summary: None,
                report: None,
                checkpoint_report: None,
                started_at: now_ms(),
                visible: true,
                backend,
                restored: false,
            })
        });
        send(&Request::Train { run: id, config });
        Ok(id)
    }

    pub fn bench(&self, model: lab_spec::worker::BenchModel, batch: usize, steps: usize) {
        send(&Request::Bench {
            model,
            batch,
            steps,
        });
    }

    pub fn stop(&self) {
        send(&Request::Stop);
    }

    pub fn evaluate_checkpoint(&self, run: u32) {
        send(&Request::EvaluateCheckpoint { run });
    }

    pub fn misclassified(&self, run: u32, actual: u8, predicted: u8) {
        send(&Request::Misclassified {
            run,
            actual,
            predicted,
        });
    }

    pub fn preview(&self, index: usize, normalization: lab_spec::Normalization) {
        send(&Request::Preview {
            index,
            normalization,
        });
    }

    pub fn load_default_data(&self) {
        self.data.set(DataState::Loading {
            loaded: 0,
            total: 0,
        });
        send(&Request::LoadData {
            source: DataSource::Url(self.data_base.get_value()),
        });
    }

    pub fn load_files(&self, files: Vec<Vec<u8>>) {
        self.data.set(DataState::Loading {
            loaded: 0,
            total: 0,
        });
        send(&Request::LoadData {
            source: DataSource::Files(files.into_iter().map(serde_bytes::ByteBuf::from).collect()),
        });
    }

    pub fn toggle_visible(&self, run: u32) {
        self.runs.update(|runs| {
            if let Some(r) = runs.iter_mut().find(|r| r.id == run) {
                r.visible = !r.visible;
            }
        });
    }

    fn on_reply(&self, reply: Reply) {
        match reply {
            Reply::Alive => flush_pending(),
            Reply::Ready {
                backend,
                adapter,
                note,
            } => self.backend.set(Some(BackendInfo {
                name: backend,
                adapter,
                note,
            })),
            Reply::DataProgress { loaded, total } => {
                self.data.set(DataState::Loading { loaded, total })
            }
            Reply::DataReady(summary) => self.data.set(DataState::Ready(summary)),
            Reply::DataFailed { message } => self.data.set(DataState::Failed(message)),
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
            } => self.cell_images.set(Some(CellImages {
                run,
                actual,
                predicted,
                images,
            })),
            Reply::Preview { raw, normalized } => self.preview.set(Some((raw, normalized))),
            Reply::Bench(result) => self.bench.update(|b| b.push(result)),
            Reply::Run { run, event } => self.update_run(run, |r| apply_event(r, event)),
            Reply::Search { search, event } => self.search.update(|s| {
                if let Some(s) = s.as_mut().filter(|s| s.id == search) {
                    apply_search_event(s, event);
                }
            }),
            Reply::SearchFailed { search, message } => self.search.update(|s| {
                if let Some(s) = s.as_mut().filter(|s| s.id == search) {
                    s.status = SearchStatus::Failed(message);
                    s.current = None;
                }
            }),
        }
    }

    fn update_run(&self, run: u32, f: impl FnOnce(&mut RunView)) {
        self.runs.update(|runs| {
            if let Some(r) = runs.iter_mut().find(|r| r.id == run) {
                f(r);
            }
        });
    }
}

fn apply_event(r: &mut RunView, event: Event) {
    match event {
        Event::Started {
            epochs,
            batches_per_epoch,
            ..
        } => {
            r.total_epochs = epochs;
            r.batches_per_epoch = batches_per_epoch;
        }
        Event::Batch(p) => {
            r.batch_losses.push((
                p.epoch as f64 - 1.0 + p.batch as f64 / p.batches.max(1) as f64,
                p.loss,
            ));
            r.progress = Some(p);
        }
        Event::Epoch(logs) => r.epochs.push(logs),
        Event::Callback(action) => r.actions.push(action),
        Event::NanLoss { epoch, batch } => r
            .actions
            .push(CallbackAction::TerminatedOnNan { epoch, batch }),
        Event::Finished(summary) => {
            // The run stays "running" until the test-set evaluation arrives.
            r.summary = Some(summary);
        }
        Event::Evaluated(report) => {
            r.report = Some(report);
            r.status = RunStatus::Finished(
                r.summary
                    .as_ref()
                    .map_or(StopReason::Completed, |s| s.reason),
            );
        }
        Event::Failed { message } => r.status = RunStatus::Failed(message),
        // Search events travel as `Reply::Search`, never for a single run.
        Event::TrialStarted(_) | Event::TrialFinished(_) | Event::SearchFinished(_) => {}
    }
}

fn apply_search_event(s: &mut SearchView, event: Event) {
    match event {
        Event::TrialStarted(t) => {
            s.trials.push(t);
            s.current = Some(s.trials.len() - 1);
            s.progress = None;
        }
        Event::Batch(p) => s.progress = Some(p),
        Event::Epoch(logs) => {
            if let Some(t) = s.current.and_then(|i| s.trials.get_mut(i)) {
                t.history.push(&logs);
            }
        }
        Event::TrialFinished(t) => {
            if let Some(slot) = s.trials.iter_mut().find(|x| x.id == t.id) {
                *slot = t;
            }
            s.current = None;
        }
        Event::SearchFinished(summary) => {
            s.status = SearchStatus::Finished(summary);
            s.current = None;
        }
        Event::Failed { message } => s.messages.push(message),
        _ => {}
    }
}

/// What survives a reload (sessionStorage: per tab, gone when the tab closes).
#[derive(Serialize, Deserialize)]
struct Session {
    runs: Vec<RunView>,
    search: Option<SearchView>,
}

const SESSION_KEY: &str = "tuning-lab.session.v1";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The runs and search of this tab before a reload. Whatever was still training is marked
/// interrupted: its curves up to the last finished epoch are kept.
fn restore_session() -> Session {
    let mut session = session_storage()
        .and_then(|s| s.get_item(SESSION_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str::<Session>(&json).ok())
        .unwrap_or(Session {
            runs: Vec::new(),
            search: None,
        });
    for r in &mut session.runs {
        r.restored = true;
        r.progress = None;
        if r.is_running() {
            r.status = RunStatus::Failed(format!(
                "interrupted by a page reload after epoch {}: its curves are kept; train again to continue",
                r.epochs.len()
            ));
        }
    }
    if let Some(s) = session.search.as_mut().filter(|s| s.is_running()) {
        s.status = SearchStatus::Failed(format!(
            "interrupted by a page reload after {} trials: the finished ones are kept",
            s.trials
                .iter()
                .filter(|t| t.status == TrialStatus::Completed)
                .count()
        ));
        s.current = None;
        s.progress = None;
        for t in &mut s.trials {
            if t.status == TrialStatus::Running {
                t.status = TrialStatus::Stopped;
            }
        }
    }
    session
}

/// Saves the session whenever an epoch ends or a status changes (not on every batch).
fn keep_session(trainer: Trainer) {
    let signature = Memo::new(move |_| {
        let runs = trainer.runs.with(|rs| {
            rs.iter()
                .map(|r| {
                    format!(
                        "{}:{}:{:?}:{}",
                        r.id,
                        r.epochs.len(),
                        r.status,
                        r.report.is_some()
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        });
        let search = trainer.search.with(|s| {
            s.as_ref().map_or(String::new(), |s| {
                format!("{}:{}:{:?}", s.id, s.epochs_done(), s.status)
            })
        });
        format!("{runs}|{search}")
    });
    Effect::new(move |_| {
        // Read (not only track) the memo: a memo that was never read has no sources yet.
        let _ = signature.get();
        let session = Session {
            runs: trainer.runs.get_untracked(),
            search: trainer.search.get_untracked(),
        };
        if let (Some(storage), Ok(json)) = (session_storage(), serde_json::to_string(&session)) {
            // Full storage (very long sessions): keep going without saving.
            let _ = storage.set_item(SESSION_KEY, &json);
        }
    });
}

/// Starts the worker (once) and returns the trainer handle. `data_base` is the URL of the
/// folder holding the four data files.
pub fn use_trainer(backend: BackendChoice, data_base: String) -> Trainer {
    let session = restore_session();
    let next_id = session
        .runs
        .iter()
        .map(|r| r.id)
        .chain(session.search.as_ref().map(|s| s.id))
        .max()
        .map_or(1, |m| m + 1);
    let trainer = Trainer {
        backend: RwSignal::new(None),
        data: RwSignal::new(DataState::Loading {
            loaded: 0,
            total: 0,
        }),
        runs: RwSignal::new(session.runs),
        cell_images: RwSignal::new(None),
        preview: RwSignal::new(None),
        bench: RwSignal::new(Vec::new()),
        search: RwSignal::new(session.search),
        next_id: StoredValue::new(next_id),
        data_base: StoredValue::new(data_base),
    };
    let worker = match Worker::new("./worker_loader.js") {
        Ok(w) => w,
        Err(e) => {
            trainer.data.set(DataState::Failed(format!(
                "the training worker could not start: {e:?}"
            )));
            return trainer;
        }
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match serde_wasm_bindgen::from_value::<Reply>(event.data()) {
            Ok(reply) => trainer.on_reply(reply),
            Err(e) => {
                web_sys::console::error_1(&format!("unreadable reply from the worker: {e}").into())
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error =
        Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
            let message = format!("the training worker crashed: {}", event.message());
            trainer.runs.update(|runs| {
                for r in runs.iter_mut().filter(|r| r.is_running()) {
                    r.status = RunStatus::Failed(message.clone());
                }
            });
            trainer.search.update(|s| {
                if let Some(s) = s.as_mut().filter(|s| s.is_running()) {
                    s.status = SearchStatus::Failed(message.clone());
                }
            });
            if !matches!(trainer.data.get_untracked(), DataState::Ready(_)) {
                trainer.data.set(DataState::Failed(message));
            }
        });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    WORKER.with(|w| *w.borrow_mut() = Some(worker));
    keep_session(trainer);
    send(&Request::Init { backend });
    trainer.load_default_data();
    trainer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_survives_json() {
        let run = RunView {
            id: 3,
            step: 5,
            label: "baseline".into(),
            config: crate::presets::baseline(),
            status: RunStatus::Running,
            epochs: vec![],
            total_epochs: 5,
            batches_per_epoch: 10,
            progress: None,
            batch_losses: vec![(0.1, 2.0)],
            actions: vec![],
            summary: None,
            report: None,
            checkpoint_report: None,
            started_at: 1.0,
            visible: true,
            backend: "cpu".into(),
            restored: false,
        };
        let session = Session {
            runs: vec![run.clone()],
            search: None,
        };
        let back: Session =
            serde_json::from_str(&serde_json::to_string(&session).unwrap()).unwrap();
        assert_eq!(back.runs, vec![run]);
    }
}
