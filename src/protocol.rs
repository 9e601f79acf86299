//! What the page and the training worker share to talk: the reactor type [`TrainingWorker`]
//! (gloo-worker's reactor: one `Request` in, any number of `Reply`s out) and the codec its
//! messages travel in. Both builds compile this file; only the worker's (feature `worker`)
//! gives the reactor a body, so the page's wasm carries the types, not burn.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use gloo_worker::reactor::{Reactor, ReactorRegistrar, ReactorScope, ReactorSpawner};
use gloo_worker::{Codec, Registrable, Spawnable};
use lab_spec::worker::{Reply, Request};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// gloo-worker's messages as plain JS values (serde-wasm-bindgen). gloo's default, bincode,
/// cannot read our internally tagged enums (`#[serde(tag = "...")]`); byte buffers travel as
/// `Uint8Array`s. A message that does not (de)serialize is a bug of this build (both ends are
/// compiled from the same types): it throws a JS exception, which in the worker reaches the
/// page as a crash.
#[derive(Debug)]
pub struct SerdeWasm;

impl Codec for SerdeWasm {
    fn encode<I>(input: I) -> JsValue
    where
        I: Serialize,
    {
        serde_wasm_bindgen::to_value(&input).unwrap_or_else(|e| {
            wasm_bindgen::throw_str(&format!("cannot encode a worker message: {e}"))
        })
    }

    fn decode<O>(input: JsValue) -> O
    where
        O: for<'de> Deserialize<'de>,
    {
        serde_wasm_bindgen::from_value(input).unwrap_or_else(|e| {
            wasm_bindgen::throw_str(&format!("cannot decode a worker message: {e}"))
        })
    }
}

/// The worker bin's start: the panic hook, then the reactor's registration (the page then
/// connects to it).
#[cfg(all(target_arch = "wasm32", feature = "worker"))]
pub fn register_worker() {
    console_error_panic_hook::set_once();
    TrainingWorker::registrar().register();
}

/// The training worker as a gloo reactor: it reads [`Request`]s and streams [`Reply`]s. The
/// page spawns it (`TrainingWorker::spawner()`), the worker bin registers it
/// (`TrainingWorker::registrar().register()`); both use [`SerdeWasm`].
pub struct TrainingWorker {
    inner: Pin<Box<dyn Future<Output = ()>>>,
}

impl Reactor for TrainingWorker {
    type Scope = ReactorScope<Request, Reply>;

    fn create(scope: Self::Scope) -> Self {
        #[cfg(feature = "worker")]
        let inner = Box::pin(crate::worker::serve(scope));
        // The page only spawns the worker: it never runs the reactor itself.
        #[cfg(not(feature = "worker"))]
        let inner = Box::pin(async move { drop(scope) });
        Self { inner }
    }
}

impl Future for TrainingWorker {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner.as_mut().poll(cx)
    }
}

impl Registrable for TrainingWorker {
    type Registrar = ReactorRegistrar<Self, SerdeWasm>;

    fn registrar() -> Self::Registrar {
        ReactorRegistrar::new()
    }
}

impl Spawnable for TrainingWorker {
    type Spawner = ReactorSpawner<Self, SerdeWasm>;

    fn spawner() -> Self::Spawner {
        ReactorSpawner::new()
    }
}
