//! The page's end of the worker protocol: spawns the training worker (gloo-worker's reactor
//! bridge to [`TrainingWorker`]), sends typed requests, hands every reply (and a crash) to the
//! callbacks it was given (decoded by [`super::decoding`]). gloo queues the requests made
//! before the worker's wasm has loaded.
//!
//! A crash (a panic, which ends in a wasm `unreachable`; running out of memory; a script that
//! does not load) fires `error` on the `Worker` object. gloo keeps that object to itself, so
//! [`spawn_watched`] sees it being constructed: for the one synchronous call that spawns the
//! worker, the global `Worker` constructor is wrapped in a `Proxy` whose `construct` trap
//! keeps the new worker (and a constructor's exception), then put back. Dropping a [`Bridge`]
//! ends its worker: the page replaces a crashed worker with a fresh one (see `trainer`).
//!
//! [`Bridge::send`] encodes a request before gloo sees it: gloo's codec can only fail by
//! throwing a JS exception out of the page's handler, so a request that cannot be encoded is
//! refused here with the reason instead.

use std::cell::RefCell;
use std::rc::Rc;

use futures::StreamExt;
use futures::future::{AbortHandle, abortable};
use gloo_worker::Spawnable;
use gloo_worker::reactor::ReactorBridge;
use js_sys::{Array, Function, Object, Proxy, Reflect};
use lab_spec::worker::{Reply, Request};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Worker;

use super::decoding;
use crate::protocol::{self, TrainingWorker};

/// A running training worker; dropping it ends the worker.
pub struct Bridge {
    bridge: Rc<RefCell<ReactorBridge<TrainingWorker>>>,
    /// The worker, when it was seen being constructed.
    worker: Option<Worker>,
    /// Ends the loop that hands the replies to `on_reply`.
    replies: AbortHandle,
}

impl Bridge {
    /// Starts the worker whose loader is `url` (Trunk's `data-loader-shim` of a worker bin: a
    /// classic script that loads the `no-modules` wasm-bindgen output, see index.html);
    /// `on_reply` gets each reply, `on_crash` what the crash said (the error's text, such as
    /// "Uncaught RuntimeError: unreachable"). Neither is called once the bridge is dropped.
    pub fn spawn(
        url: &str,
        on_reply: impl Fn(Reply) + 'static,
        on_crash: impl Fn(String) + 'static,
    ) -> Result<Self, String> {
        let (bridge, worker) = spawn_watched(|| {
            TrainingWorker::spawner()
                .with_loader(true)
                .as_module(false)
                .spawn(url)
        });
        let worker = match worker {
            Some(Ok(worker)) => {
                let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event| {
                    on_crash(error_message(&event))
                });
                worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
                // Kept for the page's life: it may be running when the bridge is dropped
                // (a crash replaces the worker), and `Drop` unhooks it.
                on_error.forget();
                Some(worker)
            }
            Some(Err(e)) => return Err(format!("the training worker could not start: {e:?}")),
            None => {
                web_sys::console::warn_1(
                    &"the training worker's crashes will not be reported (its Worker was not seen)"
                        .into(),
                );
                None
            }
        };
        let bridge = Rc::new(RefCell::new(bridge));
        let replies = bridge.clone();
        let (forward, handle) = abortable(async move {
            // The borrow lasts one poll, so `send` can run between replies.
            let mut replies =
                futures::stream::poll_fn(move |cx| replies.borrow_mut().poll_next_unpin(cx));
            while let Some(encoded) = replies.next().await {
                // Decoded in turn, so the replies keep their order while the decoders' piece
                // of the page arrives.
                match decoding::reply_when_available(encoded.into_js()).await {
                    Ok(reply) => on_reply(reply),
                    Err(e) => web_sys::console::error_1(
                        &format!("cannot decode a worker message: {e}").into(),
                    ),
                }
            }
        });
        wasm_bindgen_futures::spawn_local(async move {
            let _ = forward.await;
        });
        Ok(Self {
            bridge,
            worker,
            replies: handle,
        })
    }

    /// Sends a request (gloo queues it until the worker listens), or says why it cannot be
    /// encoded: it is encoded here first, so that gloo never meets a value it cannot encode.
    pub fn send(&self, request: &Request) -> Result<(), String> {
        protocol::encode(request)?;
        self.bridge.borrow().send_input(request.clone());
        Ok(())
    }
}

impl Drop for Bridge {
    /// Ends the worker: no reply nor crash of it reaches the page afterwards.
    fn drop(&mut self) {
        self.replies.abort();
        if let Some(worker) = &self.worker {
            worker.set_onerror(None);
            worker.terminate();
        }
    }
}

/// The text of a worker's `error` event: an `ErrorEvent`'s message, or, for a plain `Event`
/// (the script did not load), a sentence saying so.
fn error_message(event: &web_sys::Event) -> String {
    Reflect::get(event, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "its script did not load".into())
}

/// Runs `spawn`, which constructs one Web Worker, and returns its result and that worker
/// (`Err`: the constructor threw; `None`: no worker was seen). The global `Worker` is a
/// `Proxy` of itself during the call only.
fn spawn_watched<T>(spawn: impl FnOnce() -> T) -> (T, Option<Result<Worker, JsValue>>) {
    let global = js_sys::global();
    let name = JsValue::from_str("Worker");
    let original = Reflect::get(&global, &name).unwrap_or(JsValue::UNDEFINED);
    let seen: Rc<RefCell<Option<Result<Worker, JsValue>>>> = Rc::default();
    let keep = seen.clone();
    let construct = Closure::<dyn FnMut(Function, Array) -> JsValue>::new(
        move |target: Function, args: Array| match Reflect::construct(&target, &args) {
            Ok(worker) => {
                *keep.borrow_mut() = Some(Ok(worker.clone().unchecked_into()));
                worker
            }
            Err(e) => {
                *keep.borrow_mut() = Some(Err(e));
                // A stand-in for gloo, which would panic on a constructor's exception; the
                // bridge is dropped before it posts anything.
                Object::new().into()
            }
        },
    );
    let handler = Object::new();
    let installed = original.is_function()
        && Reflect::set(&handler, &"construct".into(), construct.as_ref()).unwrap_or(false)
        && Reflect::set(&global, &name, &Proxy::new(&original, &handler)).unwrap_or(false);
    let out = spawn();
    if installed {
        let _ = Reflect::set(&global, &name, &original);
    }
    drop(construct);
    let worker = seen.borrow_mut().take();
    (out, worker)
}
