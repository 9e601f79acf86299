//! The browser's side of loading the data: the four files downloaded with progress replies,
//! kept in the Cache API for the next visit (a copy that does not decode is deleted).

use js_sys::{Reflect, Uint8Array};
use lab_data::FILE_NAMES;
use lab_data::files::FashionMnist;
use lab_spec::worker::Reply;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, DedicatedWorkerGlobalScope, Response};
use web_time::Instant;

use super::data::decode;
use super::sink::Outbox;

const CACHE_NAME: &str = "tuning-lab-data-v1";
/// Milliseconds between two progress replies.
const PROGRESS_EVERY_MS: u128 = 100;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Downloads the four files under `base` (or takes them from the cache), decodes them and
/// updates the cache. Returns the data and whether all of it came from the cache.
pub async fn fetch(base: &str, outbox: &Outbox) -> Result<(FashionMnist, bool), String> {
    let cache = open_cache().await;
    let (files, from_cache) = fetch_files(base, cache.as_ref(), outbox).await?;
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

/// Bytes downloaded so far, over all files, and when the page last heard of them.
struct Progress {
    loaded: u64,
    total: u64,
    last_post: Instant,
}

impl Progress {
    fn post(&mut self, outbox: &Outbox) {
        outbox.post(Reply::DataProgress {
            loaded: self.loaded,
            total: self.total.max(self.loaded),
        });
        self.last_post = Instant::now();
    }
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

/// Downloads the four files (or takes them from the cache). Returns (bytes, all from cache).
async fn fetch_files(
    base: &str,
    cache: Option<&Cache>,
    outbox: &Outbox,
) -> Result<(Vec<Vec<u8>>, bool), String> {
    let mut files = Vec::new();
    let mut all_cached = true;
    let mut progress = Progress {
        loaded: 0,
        total: 0,
        last_post: Instant::now(),
    };
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
            read_body(&response, &mut progress, outbox)
                .await
                .map_err(|e| format!("{name}: {e}"))?,
        );
    }
    // The end: all bytes are in (a content-length may differ from the decoded body's).
    progress.loaded = progress.total.max(progress.loaded);
    progress.post(outbox);
    Ok((files, all_cached))
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Reads a response's body chunk by chunk, posting progress at most every 100 ms.
async fn read_body(
    response: &Response,
    progress: &mut Progress,
    outbox: &Outbox,
) -> Result<Vec<u8>, String> {
    let length: u64 = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    progress.total += length;
    let body = response.body().ok_or("the response has no body")?;
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| "cannot read the response")?;
    let mut out = Vec::with_capacity(length as usize);
    progress.last_post = Instant::now();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("download interrupted: {e:?}"))?;
        if get(&chunk, "done").as_bool().unwrap_or(true) {
            break;
        }
        let bytes = Uint8Array::new(&get(&chunk, "value"));
        progress.loaded += bytes.length() as u64;
        out.extend(bytes.to_vec());
        if progress.last_post.elapsed().as_millis() > PROGRESS_EVERY_MS {
            progress.post(outbox);
        }
    }
    Ok(out)
}
