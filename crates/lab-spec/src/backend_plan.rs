//! Which backend the lab trains on, decided by the page before it starts a training worker:
//! there is one worker build per backend (the CPU one with burn's ndarray and flex, the
//! WebGPU one with burn's wgpu), so the page asks the browser for a WebGPU adapter itself and
//! downloads only the worker it needs. [`plan`] is the decision table; the worker it starts
//! gets the [`BackendPlan`] in `Request::Init`.

use serde::{Deserialize, Serialize};

use crate::worker::BackendChoice;

/// What the WebGPU adapter probe found.
#[derive(Clone, Debug, PartialEq)]
pub struct Adapter {
    pub description: String,
    /// A software fallback adapter (slower than the CPU backend).
    pub fallback: bool,
}

/// The backend the page chose, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum BackendPlan {
    /// Train on the CPU; `note` says why (shown beside the backend's name).
    Cpu {
        adapter: Option<String>,
        note: String,
    },
    /// Start a WebGPU device on this adapter (the CPU worker if it does not start).
    WebGpu { adapter: String },
}

impl BackendPlan {
    /// The CPU, for a WebGPU device that did not start on `adapter`.
    pub fn webgpu_failed(adapter: Option<String>, why: &str) -> Self {
        BackendPlan::Cpu {
            adapter,
            note: format!("WebGPU failed to start ({why}); training on the CPU"),
        }
    }

    pub fn is_webgpu(&self) -> bool {
        matches!(self, BackendPlan::WebGpu { .. })
    }
}

/// The backend decision table. `probe` is the adapter probe's result, `None` when the CPU was
/// chosen (nothing is probed then).
pub fn plan(choice: BackendChoice, probe: Option<Result<Adapter, String>>) -> BackendPlan {
    let probe = match probe {
        Some(probe) if choice != BackendChoice::Cpu => probe,
        _ => {
            return BackendPlan::Cpu {
                adapter: None,
                note: "CPU chosen in the URL (backend=cpu)".into(),
            };
        }
    };
    match probe {
        Err(why) => BackendPlan::Cpu {
            adapter: None,
            note: format!("WebGPU unavailable: {why}; training on the CPU"),
        },
        Ok(adapter) if adapter.fallback && choice == BackendChoice::Auto => BackendPlan::Cpu {
            adapter: Some(adapter.description),
            note: "the only WebGPU adapter is a software fallback, slower than the CPU backend here; add backend=webgpu to the URL to use it anyway".into(),
        },
        Ok(adapter) => BackendPlan::WebGpu {
            adapter: adapter.description,
        },
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

    fn cpu(adapter: Option<&str>, note: &str) -> BackendPlan {
        BackendPlan::Cpu {
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
        let gpu = BackendPlan::WebGpu {
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
    }

    #[test]
    fn a_device_that_does_not_start_means_the_cpu_with_the_reason() {
        assert_eq!(
            BackendPlan::webgpu_failed(Some("acme gpu".into()), "lost"),
            cpu(
                Some("acme gpu"),
                "WebGPU failed to start (lost); training on the CPU"
            )
        );
        assert!(!BackendPlan::webgpu_failed(None, "x").is_webgpu());
    }

    #[test]
    fn a_plan_travels_as_json_and_back() {
        for p in [
            cpu(None, "why"),
            BackendPlan::WebGpu {
                adapter: "acme".into(),
            },
        ] {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<BackendPlan>(&json).unwrap(), p);
        }
    }
}
