//! The browser's side of loading the data: the four files downloaded with progress replies,
//! kept in the Cache API for the next visit when they come from the worker's own origin (data
//! from another origin is used for the session only, never cached: `origin.rs`). A copy that
//! does not decode (or cannot be read) is deleted, so Retry downloads it afresh. A download that receives nothing for
//! [`STALL_SECONDS`], or more than [`MAX_DOWNLOAD_BYTES`], is aborted. Failures reach the learner in plain words (`fetch_error.rs`).

use std::future::Future;
use std::pin::pin;

use futures::future::{Either, select};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Reflect, Uint8Array};
use lab_data::FILE_NAMES;
use lab_data::files::FashionMnist;
use lab_spec::worker::Reply;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Cache, DedicatedWorkerGlobalScope, RequestInit, Response};
use web_time::Instant;

use super::data::decode;
use super::fetch_error::{self, MAX_DOWNLOAD_BYTES, STALL_SECONDS};
use super::origin::same_origin;
use super::sink::Outbox;

const CACHE_NAME: &str = "tuning-lab-data-v1";
/// Milliseconds between two progress replies.
const PROGRESS_EVERY_MS: u128 = 100;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Downloads the four files under `base` (or takes them from the cache), decodes them and
/// updates the cache. Returns the data and whether all of it came from the cache.
///
/// The files are decoded in full before anything is cached; when they do not decode, all four
/// cached copies are deleted (downloaded or cached ones alike), so Retry and a reload fetch
/// them afresh instead of failing on the same bytes again. Files from another origin than the
/// worker's do not touch the cache at all: downloaded each time, used for the session only.
pub async fn fetch(base: &str, outbox: &Outbox) -> Result<(FashionMnist, bool), String> {
    let progress = |loaded, total| Reply::DataProgress { loaded, total };
    fetch_set(base, &FILE_NAMES, decode, progress, outbox).await
}

/// [`fetch`] for any set of files under `base`: `names` downloaded (or taken from the cache)
/// with progress replies made by `progress`, decoded together by `decode` (whose error names
/// the file at fault), cached only when they decode.
pub async fn fetch_set<T>(
    base: &str,
    names: &[&str],
    decode: impl Fn(&[Vec<u8>]) -> Result<T, String>,
    progress: fn(u64, u64) -> Reply,
    outbox: &Outbox,
) -> Result<(T, bool), String> {
    let own = own_origin();
    let ours = names
        .iter()
        .all(|name| same_origin(&format!("{base}{name}"), &own));
    let cache = if ours { open_cache().await } else { None };
    let (files, from_cache) = fetch_files(base, names, cache.as_ref(), progress, outbox).await?;
    let data = decode(&files);
    if let Some(cache) = &cache {
        for (name, bytes) in names.iter().zip(&files) {
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

/// Bytes downloaded so far, over all files, and when the page last heard of them.
struct Progress {
    loaded: u64,
    total: u64,
    last_post: Instant,
    /// The reply that says it (Fashion-MNIST's or IMDB's).
    reply: fn(u64, u64) -> Reply,
}

impl Progress {
    fn post(&mut self, outbox: &Outbox) {
        outbox.post((self.reply)(self.loaded, self.total.max(self.loaded)));
        self.last_post = Instant::now();
    }
}

/// `self.location.origin` of the worker ("null" when it cannot be read: nothing is ours then).
fn own_origin() -> String {
    get(&get(&scope(), "location"), "origin")
        .as_string()
        .unwrap_or_else(|| "null".into())
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

/// The cached copy of `url`, if there is one that can be read. One that cannot is deleted
/// (and downloaded again).
async fn cached(cache: &Cache, url: &str) -> Option<Vec<u8>> {
    let hit = JsFuture::from(cache.match_with_str(url)).await.ok()?;
    let response = hit.dyn_into::<Response>().ok()?;
    let read = match response.array_buffer() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(e) => Err(e),
    };
    match read {
        Ok(buffer) => Some(Uint8Array::new(&buffer).to_vec()),
        Err(_) => {
            let _ = JsFuture::from(cache.delete_with_str(url)).await;
            None
        }
    }
}

/// Downloads the four files (or takes them from the cache). Returns (bytes, all from cache).
async fn fetch_files(
    base: &str,
    names: &[&str],
    cache: Option<&Cache>,
    reply: fn(u64, u64) -> Reply,
    outbox: &Outbox,
) -> Result<(Vec<Vec<u8>>, bool), String> {
    let mut files = Vec::new();
    let mut all_cached = true;
    let mut progress = Progress {
        loaded: 0,
        total: 0,
        last_post: Instant::now(),
        reply,
    };
    // Every file not in the cache is requested first and its body read after: the total is
    // known from the four responses' headers before the first body byte is counted, so it
    // does not grow mid-load.
    let mut slots: Vec<Result<Vec<u8>, Opened>> = Vec::new();
    for &name in names {
        let url = format!("{base}{name}");
        if let Some(cache) = cache
            && let Some(bytes) = cached(cache, &url).await
        {
            slots.push(Ok(bytes));
            continue;
        }
        all_cached = false;
        let opened = open(name, &url).await?;
        progress.total += opened.length;
        slots.push(Err(opened));
    }
    for (name, slot) in names.iter().zip(slots) {
        files.push(match slot {
            Ok(bytes) => bytes,
            Err(opened) => read_body(name, &opened, &mut progress, outbox).await?,
        });
    }
    // The end: all bytes are in (a content-length may differ from the decoded body's).
    progress.loaded = progress.total.max(progress.loaded);
    progress.post(outbox);
    Ok((files, all_cached))
}

/// The JavaScript error's `name` (`TypeError`, `AbortError`, ...): all a message needs of it.
fn error_name(error: &JsValue) -> Option<String> {
    get(error, "name").as_string()
}

/// `future`, unless nothing settles it for [`STALL_SECONDS`]: then the request is aborted
/// (its body stream too) and `None` is returned.
async fn unless_stalled<F: Future>(
    future: F,
    abort: Option<&AbortController>,
) -> Option<F::Output> {
    let timeout = TimeoutFuture::new(STALL_SECONDS * 1000);
    match select(pin!(future), timeout).await {
        Either::Left((output, _)) => Some(output),
        Either::Right(_) => {
            if let Some(abort) = abort {
                abort.abort();
            }
            None
        }
    }
}

/// A request whose response headers have arrived, its body not read yet.
struct Opened {
    response: Response,
    abort: Option<AbortController>,
    /// The announced content-length (0 when there is none).
    length: u64,
}

/// Requests one file and waits for its headers, aborting it when it stalls.
async fn open(name: &str, url: &str) -> Result<Opened, String> {
    let abort = AbortController::new().ok();
    let init = RequestInit::new();
    if let Some(abort) = &abort {
        init.set_signal(Some(&abort.signal()));
    }
    let request = JsFuture::from(scope().fetch_with_str_and_init(url, &init));
    let response: Response = unless_stalled(request, abort.as_ref())
        .await
        .ok_or_else(|| fetch_error::stalled(name))?
        .map_err(|e| fetch_error::request_failed(name, error_name(&e).as_deref()))?
        .dyn_into()
        .map_err(|_| fetch_error::request_failed(name, None))?;
    if !response.ok() {
        return Err(fetch_error::http_status(
            name,
            url,
            response.status(),
            &response.status_text(),
        ));
    }
    let length: u64 = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(Opened {
        response,
        abort,
        length,
    })
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Reads a response's body chunk by chunk, posting progress at most every 100 ms; aborts when
/// no chunk arrives for [`STALL_SECONDS`].
async fn read_body(
    name: &str,
    opened: &Opened,
    progress: &mut Progress,
    outbox: &Outbox,
) -> Result<Vec<u8>, String> {
    let Opened {
        response,
        abort,
        length,
    } = opened;
    let (abort, length) = (abort.as_ref(), *length);
    let interrupted =
        |e: Option<&JsValue>| fetch_error::body_failed(name, e.and_then(error_name).as_deref());
    let body = response.body().ok_or_else(|| interrupted(None))?;
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| interrupted(None))?;
    // The announced length only sizes the buffer up to the largest file there is.
    let mut out = Vec::with_capacity(length.min(64 << 20) as usize);
    progress.last_post = Instant::now();
    loop {
        let chunk = unless_stalled(JsFuture::from(reader.read()), abort)
            .await
            .ok_or_else(|| fetch_error::stalled(name))?
            .map_err(|e| interrupted(Some(&e)))?;
        if get(&chunk, "done").as_bool().unwrap_or(true) {
            break;
        }
        let bytes = Uint8Array::new(&get(&chunk, "value"));
        progress.loaded += bytes.length() as u64;
        out.extend(bytes.to_vec());
        if out.len() > MAX_DOWNLOAD_BYTES {
            if let Some(abort) = abort {
                abort.abort();
            }
            return Err(fetch_error::too_large(name));
        }
        if progress.last_post.elapsed().as_millis() > PROGRESS_EVERY_MS {
            progress.post(outbox);
        }
    }
    Ok(out)
}
