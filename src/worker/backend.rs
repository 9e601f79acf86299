//! The compute backend: the WebGPU adapter probe, the choice between WebGPU and the CPU (a
//! plain decision table), the CPU device per model and the training loop's options per
//! backend. The WebGPU warm-up is in `warm_up.rs`.

use burn::tensor::Device;
use lab_engine::training::RunOptions;
use lab_spec::worker::{BackendChoice, Reply};
use lab_spec::{InputKind, LayerSpec, ModelSpec};

/// The backend the worker trains on.
#[derive(Clone)]
pub enum Backend {
    WebGpu(Device),
    /// ndarray or flex, per model (see [`cpu_device`]).
    Cpu,
}

/// Where and how one model trains.
pub struct Target {
    /// The plain (inference) device; training runs on its autodiff form.
    pub device: Device,
    pub options: RunOptions,
    /// "webgpu", "cpu (ndarray)" or "cpu (flex)".
    pub name: &'static str,
    pub cpu: bool,
}

impl Backend {
    /// The name the page shows: "webgpu" or "cpu".
    pub fn name(&self) -> &'static str {
        match self {
            Backend::WebGpu(_) => "webgpu",
            Backend::Cpu => "cpu",
        }
    }

    /// The device `spec` trains on here, and the loop's options.
    pub fn target(&self, spec: &ModelSpec) -> Target {
        match self {
            Backend::WebGpu(device) => Target {
                device: device.clone(),
                options: run_options(true),
                name: "webgpu",
                cpu: false,
            },
            Backend::Cpu => {
                let (device, name) = cpu_device(spec);
                Target {
                    device,
                    options: run_options(false),
                    name,
                    cpu: true,
                }
            }
        }
    }
}

/// The training loop's options on each backend, for runs, searches, benchmarks and the
/// warm-up alike: on WebGPU the running loss is read back every 10 batches (each read stalls
/// the queue); on the CPU after every batch.
pub fn run_options(webgpu: bool) -> RunOptions {
    RunOptions {
        loss_read_every: if webgpu { 10 } else { 1 },
        ..RunOptions::default()
    }
}

/// True for models with convolutions and for sparse text features (the first layer's row
/// gather and scatter-add run about twice as fast on flex), which train fastest on flex;
/// dense image models on ndarray.
pub(super) fn wants_flex(spec: &ModelSpec) -> bool {
    matches!(spec.input, InputKind::Features(_))
        || spec
            .layers
            .iter()
            .any(|l| matches!(l, LayerSpec::Conv2D { .. } | LayerSpec::MaxPool2D { .. }))
}

/// The CPU backend for a model and its name: ndarray (SIMD) is the fastest for dense layers
/// in the browser, flex for convolutions (see the README's figures).
#[allow(deprecated)] // burn 0.22 deprecates ndarray, still the fastest for MLPs on wasm
pub fn cpu_device(spec: &ModelSpec) -> (Device, &'static str) {
    if wants_flex(spec) {
        (Device::flex(), "cpu (flex)")
    } else {
        (Device::ndarray(), "cpu (ndarray)")
    }
}

/// The device a run's checkpoint is evaluated on: where the run trained.
pub fn checkpoint_device(
    backend: Option<&Backend>,
    trained_on_cpu: bool,
    spec: &ModelSpec,
) -> Device {
    match (backend, trained_on_cpu) {
        (Some(Backend::WebGpu(device)), false) => device.clone(),
        _ => cpu_device(spec).0,
    }
}

/// What the adapter probe found.
#[derive(Clone, Debug, PartialEq)]
pub struct Adapter {
    pub description: String,
    /// A software fallback adapter (slower than the CPU backend).
    pub fallback: bool,
}

/// What [`plan`] decides.
#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    Cpu {
        adapter: Option<String>,
        note: String,
    },
    /// Start a WebGPU device on this adapter (the CPU if it does not start).
    WebGpu { adapter: String },
}

/// The backend decision table. `probe` is the adapter probe's result, `None` when the CPU was
/// chosen (nothing is probed then).
pub fn plan(choice: BackendChoice, probe: Option<Result<Adapter, String>>) -> Plan {
    let probe = match probe {
        Some(probe) if choice != BackendChoice::Cpu => probe,
        _ => {
            return Plan::Cpu {
                adapter: None,
                note: "CPU chosen in the URL (backend=cpu)".into(),
            };
        }
    };
    match probe {
        Err(why) => Plan::Cpu {
            adapter: None,
            note: format!("WebGPU unavailable: {why}; training on the CPU"),
        },
        Ok(adapter) if adapter.fallback && choice == BackendChoice::Auto => Plan::Cpu {
            adapter: Some(adapter.description),
            note: "the only WebGPU adapter is a software fallback, slower than the CPU backend here; add backend=webgpu to the URL to use it anyway".into(),
        },
        Ok(adapter) => Plan::WebGpu {
            adapter: adapter.description,
        },
    }
}

/// The note when the WebGPU device does not start on a probed adapter.
pub fn webgpu_failed(why: &str) -> String {
    format!("WebGPU failed to start ({why}); training on the CPU")
}

/// Picks and starts the backend; returns it and the `Ready` reply.
pub async fn start(choice: BackendChoice) -> (Backend, Reply) {
    let probe = if choice == BackendChoice::Cpu {
        None
    } else {
        Some(web::probe_adapter().await)
    };
    let (backend, adapter, note) = match plan(choice, probe) {
        Plan::Cpu { adapter, note } => (Backend::Cpu, adapter, Some(note)),
        Plan::WebGpu { adapter } => match web::webgpu_device().await {
            Ok(device) => (Backend::WebGpu(device), Some(adapter), None),
            Err(why) => (Backend::Cpu, Some(adapter), Some(webgpu_failed(&why))),
        },
    };
    let ready = Reply::Ready {
        backend: backend.name().into(),
        adapter,
        note,
    };
    (backend, ready)
}

/// The browser's side: `navigator.gpu` and the WebGPU device.
#[cfg(target_arch = "wasm32")]
mod web {
    use burn::tensor::Device;
    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::DedicatedWorkerGlobalScope;

    use super::Adapter;

    fn get(obj: &JsValue, key: &str) -> JsValue {
        Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
    }

    fn string_of(obj: &JsValue, key: &str) -> String {
        get(obj, key).as_string().unwrap_or_default()
    }

    /// Asks `navigator.gpu` for an adapter.
    pub async fn probe_adapter() -> Result<Adapter, String> {
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let navigator: JsValue = scope.navigator().into();
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
        let mut description = if parts.is_empty() {
            "unknown adapter".to_string()
        } else {
            parts.join(" ")
        };
        if fallback {
            description.push_str(" (software fallback)");
        }
        Ok(Adapter {
            description,
            fallback,
        })
    }

    pub async fn webgpu_device() -> Result<Device, String> {
        Device::wgpu_options()
            .init_async()
            .await
            .map_err(|e| format!("{e:?}"))
    }
}

/// Natively (tests) there is no WebGPU: the worker trains on the CPU.
#[cfg(not(target_arch = "wasm32"))]
mod web {
    use burn::tensor::Device;

    use super::Adapter;

    pub async fn probe_adapter() -> Result<Adapter, String> {
        Err("this is not a browser".into())
    }

    pub async fn webgpu_device() -> Result<Device, String> {
        Err("this is not a browser".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(fallback: bool) -> Adapter {
        Adapter {
            description: "acme gpu".into(),
            fallback,
        }
    }

    fn cpu(adapter: Option<&str>, note: &str) -> Plan {
        Plan::Cpu {
            adapter: adapter.map(Into::into),
            note: note.into(),
        }
    }

    #[test]
    fn the_backend_decision_table() {
        use BackendChoice::{Auto, Cpu, Webgpu};
        let chosen = "CPU chosen in the URL (backend=cpu)";
        let fallback_note = "the only WebGPU adapter is a software fallback, slower than the CPU backend here; add backend=webgpu to the URL to use it anyway";
        let missing = || Some(Err("no navigator.gpu".to_string()));
        let unavailable = "WebGPU unavailable: no navigator.gpu; training on the CPU";
        let gpu = Plan::WebGpu {
            adapter: "acme gpu".into(),
        };
        let cases = [
            (Cpu, None, cpu(None, chosen)),
            (Cpu, Some(Ok(adapter(false))), cpu(None, chosen)),
            (Auto, missing(), cpu(None, unavailable)),
            (Webgpu, missing(), cpu(None, unavailable)),
            (
                Auto,
                Some(Ok(adapter(true))),
                cpu(Some("acme gpu"), fallback_note),
            ),
            (Webgpu, Some(Ok(adapter(true))), gpu.clone()),
            (Auto, Some(Ok(adapter(false))), gpu.clone()),
            (Webgpu, Some(Ok(adapter(false))), gpu),
        ];
        for (choice, probe, expected) in cases {
            assert_eq!(
                plan(choice, probe.clone()),
                expected,
                "{choice:?} {probe:?}"
            );
        }
        assert_eq!(
            webgpu_failed("lost"),
            "WebGPU failed to start (lost); training on the CPU"
        );
    }

    #[test]
    fn starting_natively_falls_back_to_the_cpu() {
        let (backend, ready) = futures::executor::block_on(start(BackendChoice::Auto));
        assert!(matches!(backend, Backend::Cpu));
        assert_eq!(
            ready,
            Reply::Ready {
                backend: "cpu".into(),
                adapter: None,
                note: Some("WebGPU unavailable: this is not a browser; training on the CPU".into()),
            }
        );
    }

    #[test]
    fn each_backend_has_its_loop_options() {
        assert_eq!(run_options(true).loss_read_every, 10);
        assert_eq!(run_options(false).loss_read_every, 1);
        let default = RunOptions::default();
        for webgpu in [true, false] {
            let o = run_options(webgpu);
            assert_eq!(o.eval_batch_size, default.eval_batch_size);
            assert_eq!(o.progress_interval_s, default.progress_interval_s);
            assert_eq!(o.initial_epoch, 0);
        }
    }

    #[test]
    fn convolutions_and_text_train_on_flex_dense_image_models_on_ndarray() {
        assert_eq!(cpu_device(&ModelSpec::small_cnn()).1, "cpu (flex)");
        assert_eq!(cpu_device(&ModelSpec::mlp(&[256, 128])).1, "cpu (ndarray)");
        assert_eq!(
            cpu_device(&ModelSpec::binary(10_000, &[128, 64])).1,
            "cpu (flex)"
        );
        let target = Backend::Cpu.target(&ModelSpec::baseline());
        assert_eq!((target.name, target.cpu), ("cpu (ndarray)", true));
        assert_eq!(target.options.loss_read_every, 1);
        assert_eq!(Backend::Cpu.name(), "cpu");
    }
}
