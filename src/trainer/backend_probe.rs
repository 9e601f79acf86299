//! The page's WebGPU adapter probe: before it starts a training worker, the page asks the
//! browser for an adapter (`navigator.gpu.requestAdapter()`) and decides with
//! `lab_spec::backend_plan::plan` which of the two worker builds to start, so that a learner
//! downloads only the one the lab trains on.

use js_sys::{Function, Promise, Reflect};
use lab_spec::backend_plan::{Adapter, BackendPlan};
use lab_spec::worker::BackendChoice;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The worker's loader for a plan: Trunk's `data-loader-shim` of the `worker` bin (CPU) or of
/// the `worker-webgpu` bin (see index.html).
pub fn worker_url(plan: &BackendPlan) -> &'static str {
    if plan.is_webgpu() {
        "./worker-webgpu_loader.js"
    } else {
        "./worker_loader.js"
    }
}

/// Why there is no WebGPU, when the browser has no `navigator.gpu`.
const NO_WEBGPU: &str = "this browser has no WebGPU (navigator.gpu is missing)";

/// The plan known without waiting: the CPU when it was chosen in the URL or the browser has
/// no `navigator.gpu`; `None` when the adapter must be asked for ([`probe_plan`]).
pub fn plan_now(choice: BackendChoice) -> Option<BackendPlan> {
    use lab_spec::backend_plan::plan;
    if choice == BackendChoice::Cpu {
        return Some(plan(choice, None));
    }
    match gpu() {
        Some(_) => None,
        None => Some(plan(choice, Some(Err(NO_WEBGPU.into())))),
    }
}

/// How long the page waits for the browser's adapter before it trains on the CPU.
const PROBE_TIMEOUT_MS: u32 = 5_000;

/// The plan after asking the browser for an adapter (the CPU if it does not answer within
/// [`PROBE_TIMEOUT_MS`]: nothing waits on a browser that never answers).
pub async fn probe_plan(choice: BackendChoice) -> BackendPlan {
    use futures::future::{Either, select};
    let timeout = gloo_timers::future::TimeoutFuture::new(PROBE_TIMEOUT_MS);
    let probe = match select(Box::pin(probe_adapter()), timeout).await {
        Either::Left((probe, _)) => probe,
        Either::Right(((), _)) => Err(format!(
            "the browser did not answer the request for a WebGPU adapter within {} s",
            PROBE_TIMEOUT_MS / 1000
        )),
    };
    lab_spec::backend_plan::plan(choice, Some(probe))
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn string_of(obj: &JsValue, key: &str) -> String {
    get(obj, key).as_string().unwrap_or_default()
}

/// `navigator.gpu`, when the browser has it.
fn gpu() -> Option<JsValue> {
    let navigator = get(&js_sys::global(), "navigator");
    let gpu = get(&navigator, "gpu");
    (!gpu.is_undefined() && !gpu.is_null()).then_some(gpu)
}

/// Asks `navigator.gpu` for an adapter and describes it.
async fn probe_adapter() -> Result<Adapter, String> {
    let gpu = gpu().ok_or(NO_WEBGPU)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_plan_starts_its_own_worker() {
        let gpu = BackendPlan::WebGpu {
            adapter: "acme".into(),
        };
        let cpu = BackendPlan::webgpu_failed(Some("acme".into()), "lost");
        assert_eq!(worker_url(&gpu), "./worker-webgpu_loader.js");
        assert_eq!(worker_url(&cpu), "./worker_loader.js");
    }

    #[test]
    fn the_cpu_chosen_in_the_url_needs_no_probe() {
        assert_eq!(
            plan_now(BackendChoice::Cpu),
            Some(BackendPlan::Cpu {
                adapter: None,
                note: "CPU chosen in the URL (backend=cpu)".into()
            })
        );
    }
}
