//! The training worker: holds the decoded data and the backend, runs the engine, streams
//! replies to the page. Nothing here blocks the page: it runs in a dedicated Web Worker.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::{Function, Promise, Reflect, Uint8Array};
use lab_data::files::FashionMnist;
use lab_data::{Dataset, FILE_NAMES};
use lab_engine::data::{Normalizer, prepare};
use lab_engine::training::{
    Checkpoint, Observer, RunOptions, evaluate, evaluate_with_predictions, fit,
};
use lab_engine::weights;
use lab_spec::tuning::TunerConfig;
use lab_spec::worker::{
    BackendChoice, BenchModel, BenchResult, DataSource, DataSummary, Reply, Request,
};
use lab_spec::{Event, InputKind, LayerSpec, TrainingConfig};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Cache, DedicatedWorkerGlobalScope, MessageEvent, Response};
use web_time::Instant;

const CACHE_NAME: &str = "tuning-lab-data-v1";
const SAMPLES_PER_CLASS: usize = 8;

#[derive(Clone)]
enum Backend {
    WebGpu(Device),
    Cpu,
}

struct RunStore {
    input: InputKind,
    normalizer: Normalizer,
    predictions: Vec<u8>,
    checkpoint: Option<Checkpoint>,
    spec: lab_spec::ModelSpec,
    cpu: bool,
}

#[derive(Default)]
struct State {
    backend: Option<Backend>,
    data: Option<Rc<FashionMnist>>,
    runs: HashMap<u32, RunStore>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
    static STOP: Rc<Cell<bool>> = Rc::new(Cell::new(false));
    /// True while the WebGPU kernels are warmed up after start-up.
    static WARMING: Rc<Cell<bool>> = Rc::new(Cell::new(false));
    /// Set by a request for real work: the warm-up ends after its current batch.
    static WARM_CANCEL: Rc<Cell<bool>> = Rc::new(Cell::new(false));
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(reply: &Reply) {
    match serde_wasm_bindgen::to_value(reply) {
        Ok(v) => {
            if let Err(e) = scope().post_message(&v) {
                web_sys::console::error_2(&"worker: postMessage failed".into(), &e);
            }
        }
        Err(e) => {
            web_sys::console::error_1(&format!("worker: cannot serialize a reply: {e}").into())
        }
    }
}

/// Lets the worker's event loop run (a Stop message can arrive) — a macrotask, not a microtask.
async fn yield_to_event_loop() {
    let promise = Promise::new(&mut |resolve: Function, _| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
    });
    let _ = JsFuture::from(promise).await;
}

/// Starts the worker: registers the message handler.
pub fn start() {
    console_error_panic_hook::set_once();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        match serde_wasm_bindgen::from_value::<Request>(event.data()) {
            Ok(Request::Stop) => STOP.with(|s| s.set(true)),
            Ok(request) => spawn_local(handle(request)),
            Err(e) => web_sys::console::error_1(&format!("worker: unreadable request: {e}").into()),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    post(&Reply::Alive);
}

async fn handle(request: Request) {
    match request {
        Request::Init { backend } => init(backend).await,
        Request::LoadData { source } => load_data(source).await,
        Request::Train { run, config } => {
            if let Err(message) = train(run, config).await {
                post(&Reply::RunFailed { run, message });
            }
        }
        Request::Tune { search, config } => {
            if let Err(message) = tune(search, config).await {
                post(&Reply::SearchFailed { search, message });
            }
        }
        Request::EvaluateCheckpoint { run } => {
            if let Err(message) = evaluate_checkpoint(run).await {
                post(&Reply::RunFailed { run, message });
            }
        }
        Request::Misclassified {
            run,
            actual,
            predicted,
        } => misclassified(run, actual, predicted),
        Request::Preview {
            index,
            normalization,
        } => preview(index, normalization),
        Request::Bench {
            model,
            batch,
            steps,
        } => {
            if let Err(message) = bench(model, batch, steps).await {
                post(&Reply::RunFailed { run: 0, message });
            }
        }
        Request::Stop => {}
    }
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn string_of(obj: &JsValue, key: &str) -> String {
    get(obj, key).as_string().unwrap_or_default()
}

/// Asks `navigator.gpu` for an adapter: (description, is a software fallback).
async fn probe_adapter() -> Result<(String, bool), String> {
    let navigator: JsValue = scope().navigator().into();
    let gpu = get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
    }
    let request: Function = get(&gpu, "requestAdapter")
        .dyn_into()
        .map_err(|_| "navigator.gpu.requestAdapter is missing".to_string())?;
    let promise: Promise = request
        .call0(&gpu)
        .map_err(|e| format!("requestAdapter failed: {e:?}"))?
        .dyn_into()
        .map_err(|_| "requestAdapter did not return a promise".to_string())?;
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| format!("requestAdapter failed: {e:?}"))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("the browser offers no WebGPU adapter".into());
    }
    let info = get(&adapter, "info");
    let fallback = get(&info, "isFallbackAdapter")
        .as_bool()
        .or_else(|| get(&adapter, "isFallbackAdapter").as_bool())
        .unwrap_or(false);
    let parts: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .map(|k| string_of(&info, k))
        .filter(|s| !s.is_empty())
        .collect();
    let mut desc = if parts.is_empty() {
        "unknown adapter".to_string()
    } else {
        parts.join(" ")
    };
    if fallback {
        desc.push_str(" (software fallback)");
    }
    Ok((desc, fallback))
}

async fn init(choice: BackendChoice) {
    let probe = if choice == BackendChoice::Cpu {
        None
    } else {
        Some(probe_adapter().await)
    };
    let (backend, adapter, note) = match (choice, probe) {
        (BackendChoice::Cpu, _) => (Backend::Cpu, None, Some("CPU chosen in the URL (backend=cpu)".to_string())),
        (_, Some(Err(why))) => (Backend::Cpu, None, Some(format!("WebGPU unavailable: {why}; training on the CPU"))),
        (BackendChoice::Auto, Some(Ok((desc, true)))) => (
            Backend::Cpu,
            Some(desc),
            Some("the only WebGPU adapter is a software fallback, slower than the CPU backend here; add backend=webgpu to the URL to use it anyway".to_string()),
        ),
        (_, Some(Ok((desc, _)))) => match Device::wgpu_options().init_async().await {
            Ok(device) => (Backend::WebGpu(device), Some(desc), None),
            Err(e) => (Backend::Cpu, Some(desc), Some(format!("WebGPU failed to start ({e:?}); training on the CPU"))),
        },
        (_, None) => unreachable!("probed unless the CPU was asked for"),
    };
    let name = match &backend {
        Backend::WebGpu(_) => "webgpu",
        Backend::Cpu => "cpu",
    };
    STATE.with(|s| s.borrow_mut().backend = Some(backend.clone()));
    post(&Reply::Ready {
        backend: name.into(),
        adapter,
        note,
    });
    if let Backend::WebGpu(device) = backend {
        warm_up(device).await;
    }
}

/// Compiles the WebGPU kernels of the lab's dense models (forward, backward, Adam, validation)
/// on synthetic data while the learner reads, so that the first real epoch does not wait for
/// shader compilation. A request for a run cancels it (see [`settle_warm_up`]).
async fn warm_up(device: Device) {
    WARMING.with(|w| w.set(true));
    let cancel = WARM_CANCEL.with(|c| c.clone());
    cancel.set(false);
    let started = Instant::now();
    let options = RunOptions {
        loss_read_every: 10,
        ..RunOptions::default()
    };
    for (spec, batch) in [
        (lab_spec::ModelSpec::baseline(), 32),
        (lab_spec::ModelSpec::mlp(&[256, 128]), 512),
    ] {
        if cancel.get() {
            break;
        }
        let mut config = TrainingConfig::new(spec);
        config.batch_size = batch;
        config.epochs = 1;
        config.validation_split = 0.0;
        let n = 2 * batch;
        let split = lab_engine::data::Split {
            x: vec![0.5; n * lab_data::PIXELS],
            y: (0..n).map(|i| (i % 10) as u8).collect(),
        };
        let mut quiet = WorkerObserver {
            run: 0,
            search: false,
            stop: cancel.clone(),
            last_yield: Instant::now(),
            silent: true,
        };
        if let Err(e) = fit(
            &config,
            &split,
            Some(&split),
            &device.clone().autodiff(),
            &mut quiet,
            &options,
        )
        .await
        {
            web_sys::console::warn_1(&format!("WebGPU warm-up failed: {e}").into());
            break;
        }
    }
    WARMING.with(|w| w.set(false));
    web_sys::console::info_1(
        &format!(
            "WebGPU warm-up {} after {:.1} s",
            if cancel.get() { "cut short" } else { "done" },
            started.elapsed().as_secs_f64()
        )
        .into(),
    );
}

/// Ends the WebGPU warm-up, if one runs, before real work starts on the device.
async fn settle_warm_up() {
    if !WARMING.with(|w| w.get()) {
        return;
    }
    WARM_CANCEL.with(|c| c.set(true));
    while WARMING.with(|w| w.get()) {
        yield_to_event_loop().await;
    }
}

/// The CPU backend for a model: ndarray (SIMD) is the fastest for dense layers in the
/// browser, flex for convolutions (see the README's figures).
#[allow(deprecated)] // burn 0.22 deprecates ndarray, still the fastest for MLPs on wasm
fn cpu_device(spec: &lab_spec::ModelSpec) -> (Device, &'static str) {
    if spec
        .layers
        .iter()
        .any(|l| matches!(l, LayerSpec::Conv2D { .. } | LayerSpec::MaxPool2D { .. }))
    {
        (Device::flex(), "cpu (flex)")
    } else {
        (Device::ndarray(), "cpu (ndarray)")
    }
}

async fn read_body(
    response: &Response,
    loaded: &mut u64,
    total: &mut u64,
) -> Result<Vec<u8>, String> {
    let length: u64 = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    *total += length;
    let body = response.body().ok_or("the response has no body")?;
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| "cannot read the response")?;
    let mut out = Vec::with_capacity(length as usize);
    let mut last_post = Instant::now();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("download interrupted: {e:?}"))?;
        if get(&chunk, "done").as_bool().unwrap_or(true) {
            break;
        }
        let bytes = Uint8Array::new(&get(&chunk, "value"));
        *loaded += bytes.length() as u64;
        out.extend(bytes.to_vec());
        if last_post.elapsed().as_millis() > 100 {
            post(&Reply::DataProgress {
                loaded: *loaded,
                total: (*total).max(*loaded),
            });
            last_post = Instant::now();
        }
    }
    Ok(out)
}

async fn open_cache() -> Option<Cache> {
    let global: web_sys::WorkerGlobalScope = scope().unchecked_into();
    let caches = global.caches().ok()?;
    JsFuture::from(caches.open(CACHE_NAME))
        .await
        .ok()?
        .dyn_into()
        .ok()
}

/// Downloads the four files (or takes them from the cache). Returns (bytes, from cache).
async fn fetch_files(base: &str, cache: Option<&Cache>) -> Result<(Vec<Vec<u8>>, bool), String> {
    let mut files = Vec::new();
    let mut all_cached = true;
    let (mut loaded, mut total) = (0u64, 0u64);
    for name in FILE_NAMES {
        let url = format!("{base}{name}");
        if let Some(cache) = cache
            && let Ok(hit) = JsFuture::from(cache.match_with_str(&url)).await
            && let Ok(response) = hit.dyn_into::<Response>()
        {
            let buffer = JsFuture::from(response.array_buffer().map_err(|e| format!("{e:?}"))?)
                .await
                .map_err(|e| format!("{name}: reading the cached copy failed: {e:?}"))?;
            files.push(Uint8Array::new(&buffer).to_vec());
            continue;
        }
        all_cached = false;
        let response: Response = JsFuture::from(scope().fetch_with_str(&url))
            .await
            .map_err(|e| format!("{name}: download failed ({e:?})"))?
            .dyn_into()
            .map_err(|_| format!("{name}: not a response"))?;
        if !response.ok() {
            return Err(format!(
                "{name}: the server answered {} {} for {url}",
                response.status(),
                response.status_text()
            ));
        }
        files.push(
            read_body(&response, &mut loaded, &mut total)
                .await
                .map_err(|e| format!("{name}: {e}"))?,
        );
    }
    post(&Reply::DataProgress {
        loaded: total.max(loaded),
        total: total.max(loaded),
    });
    Ok((files, all_cached))
}

fn decode(files: &[Vec<u8>]) -> Result<FashionMnist, String> {
    let pair = |i: usize| {
        Dataset::from_idx_bytes(&files[i], &files[i + 1])
            .map_err(|e| format!("{} / {}: {e}", FILE_NAMES[i], FILE_NAMES[i + 1]))
    };
    Ok(FashionMnist {
        train: pair(0)?,
        test: pair(2)?,
    })
}

async fn load_data(source: DataSource) {
    let result: Result<(FashionMnist, bool), String> = async {
        match source {
            DataSource::Files(files) => {
                if files.len() != 4 {
                    return Err(format!("pick the four files ({})", FILE_NAMES.join(", ")));
                }
                let files: Vec<Vec<u8>> = files.into_iter().map(|b| b.into_vec()).collect();
                Ok((decode(&files)?, false))
            }
            DataSource::Url(base) => {
                let cache = open_cache().await;
                let (files, from_cache) = fetch_files(&base, cache.as_ref()).await?;
                let data = decode(&files);
                if let Some(cache) = &cache {
                    for (name, bytes) in FILE_NAMES.iter().zip(&files) {
                        let url = format!("{base}{name}");
                        if data.is_err() {
                            // A corrupt copy must not stay cached.
                            let _ = JsFuture::from(cache.delete_with_str(&url)).await;
                        } else if !from_cache {
                            let mut copy = bytes.clone();
                            if let Ok(response) = Response::new_with_opt_u8_array(Some(&mut copy)) {
                                let _ = JsFuture::from(cache.put_with_str(&url, &response)).await;
                            }
                        }
                    }
                }
                Ok((data?, from_cache))
            }
        }
    }
    .await;
    match result {
        Ok((data, from_cache)) => {
            let mut samples = vec![Vec::new(); 10];
            for i in 0..data.train.len() {
                let c = data.train.labels[i] as usize;
                if samples[c].len() < SAMPLES_PER_CLASS {
                    samples[c].push(data.train.image(i).to_vec());
                }
                if samples.iter().all(|s| s.len() == SAMPLES_PER_CLASS) {
                    break;
                }
            }
            let summary = DataSummary {
                train_counts: data.train.class_counts().to_vec(),
                test_counts: data.test.class_counts().to_vec(),
                naive_baseline_accuracy: data.test.naive_baseline_accuracy(),
                samples,
                from_cache,
            };
            STATE.with(|s| s.borrow_mut().data = Some(Rc::new(data)));
            post(&Reply::DataReady(summary));
        }
        Err(message) => post(&Reply::DataFailed { message }),
    }
}

struct WorkerObserver {
    run: u32,
    /// Events of a search go out as `Reply::Search`.
    search: bool,
    stop: Rc<Cell<bool>>,
    last_yield: Instant,
    /// Benchmarks send no events.
    silent: bool,
}

impl Observer for WorkerObserver {
    fn event(&mut self, event: Event) {
        if self.silent {
            return;
        }
        if self.search {
            post(&Reply::Search {
                search: self.run,
                event,
            });
        } else {
            post(&Reply::Run {
                run: self.run,
                event,
            });
        }
    }

    fn stop_requested(&mut self) -> bool {
        self.stop.get()
    }

    async fn between_batches(&mut self) {
        // Yield every ~30 ms: often enough for Stop to land within a batch, rarely enough to
        // cost nothing measurable.
        if self.last_yield.elapsed().as_millis() >= 30 {
            yield_to_event_loop().await;
            self.last_yield = Instant::now();
        }
    }
}

/// The backend and the data, once both are ready.
fn ready() -> Result<(Backend, Rc<FashionMnist>), String> {
    let (backend, data) = STATE.with(|s| {
        let s = s.borrow();
        (s.backend.clone(), s.data.clone())
    });
    let backend = backend.ok_or("the backend is not ready yet")?;
    let data = data.ok_or("the data is not loaded yet")?;
    Ok((backend, data))
}

/// The device a model trains on and the loop's options: on WebGPU the running loss is read
/// back every 10 batches; on the CPU, see [`cpu_device`]. The flag says "CPU".
fn training_device(backend: &Backend, spec: &lab_spec::ModelSpec) -> (Device, RunOptions, bool) {
    match backend {
        Backend::WebGpu(device) => (
            device.clone(),
            RunOptions {
                loss_read_every: 10,
                ..RunOptions::default()
            },
            false,
        ),
        Backend::Cpu => (cpu_device(spec).0, RunOptions::default(), true),
    }
}

async fn train(run: u32, config: TrainingConfig) -> Result<(), String> {
    settle_warm_up().await;
    let (backend, data) = ready()?;
    config
        .validate(Some(data.train.len()))
        .map_err(|e| format!("invalid config: {e}"))?;
    let (device, options, cpu) = training_device(&backend, &config.model);
    let prepared = prepare(&data.train, &config);
    let stop = STOP.with(|s| s.clone());
    stop.set(false);
    let mut observer = WorkerObserver {
        run,
        search: false,
        stop,
        last_yield: Instant::now(),
        silent: false,
    };
    let outcome = fit(
        &config,
        &prepared.train,
        prepared.val.as_ref(),
        &device.clone().autodiff(),
        &mut observer,
        &options,
    )
    .await
    .map_err(|e| e.to_string())?;
    let test = prepared.normalizer.apply(&data.test);
    let (report, predictions) = evaluate_with_predictions(
        &outcome.model,
        config.model.input,
        &test,
        &device,
        options.eval_batch_size,
    )
    .await
    .map_err(|e| e.to_string())?;
    STATE.with(|s| {
        s.borrow_mut().runs.insert(
            run,
            RunStore {
                input: config.model.input,
                normalizer: prepared.normalizer.clone(),
                predictions,
                checkpoint: outcome.checkpoint,
                spec: config.model.clone(),
                cpu,
            },
        )
    });
    post(&Reply::Run {
        run,
        event: Event::Evaluated(report),
    });
    Ok(())
}

/// Runs a search on the loaded data: every trial on the same split, on this worker's backend.
async fn tune(search: u32, config: TunerConfig) -> Result<(), String> {
    settle_warm_up().await;
    let (backend, data) = ready()?;
    config
        .validate(Some(data.train.len()))
        .map_err(|e| format!("invalid search: {e}"))?;
    let base = config
        .training_config(&Default::default(), 1)
        .map_err(|e| format!("invalid search: {e}"))?;
    let (device, options, _) = training_device(&backend, &base.model);
    let prepared = prepare(&data.train, &base);
    let stop = STOP.with(|s| s.clone());
    stop.set(false);
    let mut observer = WorkerObserver {
        run: search,
        search: true,
        stop,
        last_yield: Instant::now(),
        silent: false,
    };
    lab_engine::tuner::search(
        &config,
        &prepared,
        &device.autodiff(),
        &mut observer,
        &options,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

async fn evaluate_checkpoint(run: u32) -> Result<(), String> {
    let (backend, data, found) = STATE.with(|s| {
        let s = s.borrow();
        let found = s.runs.get(&run).map(|r| {
            (
                r.checkpoint.clone(),
                r.spec.clone(),
                r.input,
                r.normalizer.clone(),
                r.cpu,
            )
        });
        (s.backend.clone(), s.data.clone(), found)
    });
    let (checkpoint, spec, input, normalizer, cpu) =
        found.ok_or("no finished run with that number")?;
    let checkpoint = checkpoint.ok_or("this run kept no checkpoint (turn ModelCheckpoint on)")?;
    let data = data.ok_or("the data is not loaded")?;
    let device = match (backend, cpu) {
        (Some(Backend::WebGpu(d)), false) => d,
        _ => cpu_device(&spec).0,
    };
    let model = weights::load(&checkpoint.bytes, &spec, &device).map_err(|e| e.to_string())?;
    let test = normalizer.apply(&data.test);
    let report = evaluate(&model, input, &test, &device, 1000)
        .await
        .map_err(|e| e.to_string())?;
    post(&Reply::Checkpoint {
        run,
        epoch: checkpoint.epoch,
        report,
    });
    Ok(())
}

fn misclassified(run: u32, actual: u8, predicted: u8) {
    let images = STATE.with(|s| {
        let s = s.borrow();
        let (Some(r), Some(data)) = (s.runs.get(&run), s.data.as_ref()) else {
            return Vec::new();
        };
        (0..data.test.len())
            .filter(|&i| data.test.labels[i] == actual && r.predictions.get(i) == Some(&predicted))
            .take(24)
            .map(|i| data.test.image(i).to_vec())
            .collect()
    });
    post(&Reply::Images {
        run,
        actual,
        predicted,
        images,
    });
}

fn preview(index: usize, normalization: lab_spec::Normalization) {
    let out = STATE.with(|s| {
        let s = s.borrow();
        let data = s.data.as_ref()?;
        let i = index.min(data.train.len().saturating_sub(1));
        let (train, _) = data.train.stratified_split(0.2, 42);
        let normalizer = Normalizer::fit(normalization, &train);
        let one = data.train.select(&[i]);
        Some((one.images.clone(), normalizer.apply(&one).x))
    });
    if let Some((raw, normalized)) = out {
        post(&Reply::Preview { raw, normalized });
    }
}

/// Times training steps as a learner's run does them (same options), after a warm-up run.
async fn bench(model: BenchModel, batch: usize, steps: usize) -> Result<(), String> {
    settle_warm_up().await;
    let (backend, data) = ready()?;
    let spec = match model {
        BenchModel::Mlp => lab_spec::ModelSpec::mlp(&[256, 128]),
        BenchModel::Cnn => lab_spec::ModelSpec::small_cnn(),
    };
    let mut config = TrainingConfig::new(spec);
    config.batch_size = batch;
    config.epochs = 1;
    config.validation_split = 0.0;
    let (device, options, name) = match &backend {
        Backend::WebGpu(d) => (
            d.clone(),
            RunOptions {
                loss_read_every: 10,
                ..RunOptions::default()
            },
            "webgpu".to_string(),
        ),
        Backend::Cpu => {
            let (d, n) = cpu_device(&config.model);
            (d, RunOptions::default(), n.to_string())
        }
    };
    let mut warm = config.clone();
    warm.subset = Some(batch * 2);
    let warm_data = prepare(&data.train, &warm);
    let stop = Rc::new(Cell::new(false));
    let started = Instant::now();
    let mut quiet = WorkerObserver {
        run: 0,
        search: false,
        stop: stop.clone(),
        last_yield: Instant::now(),
        silent: true,
    };
    fit(
        &warm,
        &warm_data.train,
        None,
        &device.clone().autodiff(),
        &mut quiet,
        &options,
    )
    .await
    .map_err(|e| e.to_string())?;
    let warmup_s = started.elapsed().as_secs_f64();
    config.subset = Some(batch * steps);
    let prepared = prepare(&data.train, &config);
    let started = Instant::now();
    fit(
        &config,
        &prepared.train,
        None,
        &device.autodiff(),
        &mut quiet,
        &options,
    )
    .await
    .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    post(&Reply::Bench(BenchResult {
        location: "browser".into(),
        backend: name,
        model,
        batch,
        samples_per_s: (prepared.train.len() as f64 / seconds).round(),
        warmup_s,
    }));
    Ok(())
}
