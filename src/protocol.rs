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
/// `Uint8Array`s. 64-bit integers (`u64`, `usize`: a seed, a sample count) travel as `BigInt`s,
/// so every value crosses exactly: a plain JS number holds integers only up to 2^53, and
/// serde-wasm-bindgen refuses a larger one. Its deserializer reads a `u64`/`usize` from a
/// `BigInt` as well as from a plain number (`deserialize_u64`; `deserialize_any`, which
/// internally tagged enums use, turns a `BigInt` into an `i64` or `u64`), while `u8`–`u32`
/// stay plain numbers. NaN and ±Infinity are plain JS numbers here (and names in JSON, see
/// `lab_spec::finite`).
///
/// [`encode`] says why a value cannot be encoded; the page encodes every request with it
/// before handing it to gloo (see `trainer::bridge`), because gloo's `Codec::encode` has no way
/// to fail but throwing a JS exception, which would leave the page's handler half done. A reply
/// the worker cannot encode throws in the worker, and the page sees that as a crash.
#[derive(Debug)]
pub struct SerdeWasm;

/// The codec's serializer: 64-bit integers as `BigInt`s, the rest serde-wasm-bindgen's defaults.
const SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);

/// `value` as the JS value the worker's messages travel as, or why it cannot be one.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, String> {
    value.serialize(&SERIALIZER).map_err(|e| e.to_string())
}

/// The `T` that `value` holds (as [`encode`] wrote it), or why it holds none.
pub fn decode<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        // Its errors are JS `Error`s, printed as "Error: …".
        let e = e.to_string();
        e.strip_prefix("Error: ").map_or(e.clone(), str::to_owned)
    })
}

/// A [`Reply`] as it travels to the page: encoded by the worker (with [`encode`], as every
/// message is), and carried through gloo's codec as the JS value it already is. The page
/// decodes it with `trainer::decoding`, whose code is in a piece of the page's wasm of its own:
/// were gloo to decode it, the decoders of every type a reply holds would be in the code the
/// page needs before its first paint.
#[derive(Debug, Serialize, Deserialize)]
pub struct EncodedReply(#[serde(with = "serde_wasm_bindgen::preserve")] JsValue);

impl EncodedReply {
    /// `reply`, encoded. A reply that cannot be encoded throws (the page sees the worker
    /// crash), as gloo's codec did.
    pub fn new(reply: &Reply) -> Self {
        Self(encode(reply).unwrap_or_else(|e| {
            wasm_bindgen::throw_str(&format!("cannot encode a worker message: {e}"))
        }))
    }

    pub fn into_js(self) -> JsValue {
        self.0
    }
}

impl Codec for SerdeWasm {
    fn encode<I>(input: I) -> JsValue
    where
        I: Serialize,
    {
        encode(&input).unwrap_or_else(|e| {
            wasm_bindgen::throw_str(&format!("cannot encode a worker message: {e}"))
        })
    }

    fn decode<O>(input: JsValue) -> O
    where
        O: for<'de> Deserialize<'de>,
    {
        decode(input).unwrap_or_else(|e| {
            wasm_bindgen::throw_str(&format!("cannot decode a worker message: {e}"))
        })
    }
}

/// A worker bin's start: the static constructors, the panic hook, then the reactor's
/// registration (the page then connects to it).
#[cfg(all(target_arch = "wasm32", feature = "worker-common"))]
pub fn register_worker() {
    run_static_constructors_once();
    console_error_panic_hook::set_once();
    TrainingWorker::registrar().register();
}

/// Runs the module's static constructors (burn's kernel registrations, through `inventory`)
/// once, now.
///
/// A Rust binary links as a WebAssembly "command": unless the code calls
/// `__wasm_call_ctors` itself, wasm-ld wraps *every* export so that it runs all static
/// constructors before the export's body. wasm-bindgen's glue calls exports such as
/// `__externref_table_alloc` for each JS value that crosses into wasm, so every value the
/// worker sent (a batch event, each pixel of the data summary) re-ran the registrations:
/// 13 of the 15 s between "downloaded" and "data ready" went there. Calling it explicitly
/// (from the bin's `main`, through [`register_worker`]) tells wasm-ld not to wrap the exports.
#[cfg(all(target_arch = "wasm32", feature = "worker-common"))]
#[allow(unsafe_code)]
fn run_static_constructors_once() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    // SAFETY: the linker's constructor function, called once, before any other code of the
    // module runs (main is the first thing wasm-bindgen's start calls).
    unsafe { __wasm_call_ctors() }
}

/// The training worker as a gloo reactor: it reads [`Request`]s and streams [`Reply`]s. The
/// page spawns it (`TrainingWorker::spawner()`), the worker bin registers it
/// (`TrainingWorker::registrar().register()`); both use [`SerdeWasm`].
pub struct TrainingWorker {
    inner: Pin<Box<dyn Future<Output = ()>>>,
}

impl Reactor for TrainingWorker {
    type Scope = ReactorScope<Request, EncodedReply>;

    fn create(scope: Self::Scope) -> Self {
        // The worker's body sends plain replies; each is encoded on its way out.
        #[cfg(feature = "worker-common")]
        let inner = {
            use futures::{SinkExt, StreamExt};
            use gloo_worker::reactor::ReactorScoped;
            let (to_page, requests) = scope.split();
            let to_page = to_page.with(|reply: Reply| {
                std::future::ready(Ok::<_, std::convert::Infallible>(EncodedReply::new(&reply)))
            });
            Box::pin(crate::worker::serve(ReactorScope::new(
                requests.fuse(),
                to_page,
            )))
        };
        // The page only spawns the worker: it never runs the reactor itself.
        #[cfg(not(feature = "worker-common"))]
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
