//! The compute backend of this worker build: the CPU worker (feature `worker`) trains on
//! ndarray or flex, per model; the WebGPU worker (feature `webgpu-worker`) on its WebGPU
//! device. The page chooses which worker to start (`lab_spec::backend_plan`, probing the
//! adapter itself) and sends its plan in `Init`; the WebGPU warm-up is in `warm_up.rs`.

use burn::tensor::Device;
use lab_engine::training::RunOptions;
use lab_spec::ModelSpec;
use lab_spec::backend_plan::BackendPlan;
use lab_spec::worker::Reply;
#[cfg(feature = "worker")]
use lab_spec::{InputKind, LayerSpec};

/// The backend the worker trains on.
#[derive(Clone)]
pub enum Backend {
    #[cfg(feature = "webgpu-worker")]
    WebGpu(Device),
    /// ndarray or flex, per model (see [`cpu_device`]).
    #[cfg(feature = "worker")]
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
            #[cfg(feature = "webgpu-worker")]
            Backend::WebGpu(_) => "webgpu",
            #[cfg(feature = "worker")]
            Backend::Cpu => "cpu",
        }
    }

    /// The device `spec` trains on here, and the loop's options.
    pub fn target(&self, spec: &ModelSpec) -> Target {
        let _ = spec;
        match self {
            #[cfg(feature = "webgpu-worker")]
            Backend::WebGpu(device) => Target {
                device: device.clone(),
                options: run_options(true),
                name: "webgpu",
                cpu: false,
            },
            #[cfg(feature = "worker")]
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
#[cfg(feature = "worker")]
pub(super) fn wants_flex(spec: &ModelSpec) -> bool {
    matches!(spec.input, InputKind::Features(_))
        || spec
            .layers
            .iter()
            .any(|l| matches!(l, LayerSpec::Conv2D { .. } | LayerSpec::MaxPool2D { .. }))
}

/// The CPU backend for a model and its name: ndarray (SIMD) is the fastest for dense layers
/// in the browser, flex for convolutions (see the README's figures).
#[cfg(feature = "worker")]
#[allow(deprecated)] // burn 0.22 deprecates ndarray, still the fastest for MLPs on wasm
pub fn cpu_device(spec: &ModelSpec) -> (Device, &'static str) {
    if wants_flex(spec) {
        (Device::flex(), "cpu (flex)")
    } else {
        (Device::ndarray(), "cpu (ndarray)")
    }
}

/// The device a kept run's weights are evaluated on: where the run trained when this worker
/// has that backend, else this worker's own (a run kept from a WebGPU session and given back
/// to the CPU worker, or the other way round; a weights file is the same on both).
pub fn checkpoint_device(
    backend: Option<&Backend>,
    trained_on_cpu: bool,
    spec: &ModelSpec,
) -> Result<Device, String> {
    let _ = (trained_on_cpu, spec);
    match backend {
        #[cfg(feature = "webgpu-worker")]
        Some(Backend::WebGpu(device)) if !(trained_on_cpu && cfg!(feature = "worker")) => {
            Ok(device.clone())
        }
        #[cfg(feature = "worker")]
        _ => Ok(cpu_device(spec).0),
        #[cfg(not(feature = "worker"))]
        _ => Err("the backend is not ready yet".into()),
    }
}

/// Starts the backend the page planned; returns it and the `Ready` reply, or the reply that
/// asks the page for the CPU worker instead.
#[cfg(feature = "worker")]
pub async fn start(plan: BackendPlan) -> Result<(Backend, Reply), Reply> {
    // Both backends are built in only with `--all-features`.
    #[cfg(feature = "webgpu-worker")]
    if plan.is_webgpu() {
        return start_webgpu(plan).await;
    }
    Ok(start_cpu(plan))
}

#[cfg(not(feature = "worker"))]
pub async fn start(plan: BackendPlan) -> Result<(Backend, Reply), Reply> {
    start_webgpu(plan).await
}

/// The CPU backend and its `Ready` reply, with the plan's reason.
#[cfg(feature = "worker")]
fn start_cpu(plan: BackendPlan) -> (Backend, Reply) {
    let (adapter, note) = match plan {
        BackendPlan::Cpu { adapter, note } => (adapter, note),
        // The page starts the WebGPU worker for a WebGPU plan; should this one get it, it
        // trains on the CPU and says so.
        BackendPlan::WebGpu { adapter } => (
            Some(adapter),
            "this worker has no WebGPU backend; training on the CPU".into(),
        ),
    };
    let ready = Reply::Ready {
        backend: Backend::Cpu.name().into(),
        adapter,
        note: Some(note),
    };
    (Backend::Cpu, ready)
}

/// The WebGPU device on the planned adapter, or the CPU plan the page starts the CPU worker
/// with (the device did not start; a CPU plan sent here).
#[cfg(feature = "webgpu-worker")]
async fn start_webgpu(plan: BackendPlan) -> Result<(Backend, Reply), Reply> {
    let adapter = match plan {
        BackendPlan::WebGpu { adapter } => adapter,
        cpu => return Err(Reply::NeedsCpu { plan: cpu }),
    };
    match web::webgpu_device().await {
        Ok(device) => {
            let backend = Backend::WebGpu(device);
            let ready = Reply::Ready {
                backend: backend.name().into(),
                adapter: Some(adapter),
                note: None,
            };
            Ok((backend, ready))
        }
        Err(why) => Err(Reply::NeedsCpu {
            plan: BackendPlan::webgpu_failed(Some(adapter), &why),
        }),
    }
}

/// The browser's WebGPU device.
#[cfg(all(target_arch = "wasm32", feature = "webgpu-worker"))]
mod web {
    use burn::tensor::Device;

    pub async fn webgpu_device() -> Result<Device, String> {
        Device::wgpu_options()
            .init_async()
            .await
            .map_err(|e| format!("{e:?}"))
    }
}

/// Natively there is no WebGPU.
#[cfg(all(not(target_arch = "wasm32"), feature = "webgpu-worker"))]
mod web {
    use burn::tensor::Device;

    pub async fn webgpu_device() -> Result<Device, String> {
        Err("this is not a browser".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_worker_starts_with_the_plans_reason() {
        let note = "CPU chosen in the URL (backend=cpu)";
        let plan = BackendPlan::Cpu {
            adapter: None,
            note: note.into(),
        };
        let (backend, ready) = futures::executor::block_on(start(plan)).ok().unwrap();
        assert!(matches!(backend, Backend::Cpu));
        assert_eq!(
            ready,
            Reply::Ready {
                backend: "cpu".into(),
                adapter: None,
                note: Some(note.into()),
            }
        );
    }

    #[test]
    fn a_webgpu_plan_sent_to_the_cpu_worker_trains_on_the_cpu_and_says_so() {
        let plan = BackendPlan::WebGpu {
            adapter: "acme gpu".into(),
        };
        let (backend, ready) = futures::executor::block_on(start(plan)).ok().unwrap();
        assert!(matches!(backend, Backend::Cpu));
        assert_eq!(
            ready,
            Reply::Ready {
                backend: "cpu".into(),
                adapter: Some("acme gpu".into()),
                note: Some("this worker has no WebGPU backend; training on the CPU".into()),
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
        let checkpoint = checkpoint_device(Some(&Backend::Cpu), true, &ModelSpec::small_cnn());
        assert!(checkpoint.unwrap() == Device::flex());
    }
}
