//! Serving a built lab: tower-http's `ServeDir` on axum/tokio. It answers with the
//! precompressed `.br`/`.gz` copy that `publish` wrote when the browser accepts it, answers
//! conditional requests (`If-Modified-Since` → 304) and ranges, and this file adds the caching
//! policy: content-hashed files are immutable, everything else is revalidated.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::services::ServeDir;

/// Files whose name carries a hash of their content (they never change under that name).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else: kept, but revalidated with the server (`Last-Modified`) before each use.
pub const REVALIDATE: &str = "no-cache";

/// Whether a file name carries a content hash the way Trunk writes it: `name-<hex>.ext`, or
/// `name-<hex>_bg.wasm` for a wasm-bindgen module (`publish` names the boot script the same
/// way). Trunk writes the 64-bit hash as lower-case hex without leading zeros, so 16 digits or
/// a few fewer (12 to 16 accepted).
pub fn is_content_hashed(file_name: &str) -> bool {
    let stem = file_name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(name, hash)| {
        !name.is_empty()
            && (12..=16).contains(&hash.len())
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The `Cache-Control` of a request path.
pub fn cache_control(path: &str) -> &'static str {
    let file_name = path.rsplit('/').next().unwrap_or_default();
    if is_content_hashed(file_name) {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

async fn caching(request: Request, next: Next) -> Response {
    let policy = cache_control(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    // ServeDir picks the body by Accept-Encoding, for every path.
    headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// The app: `dir` with its precompressed copies, under the caching policy. The data files
/// (`*.gz` under data/) are served as they are, as `application/gzip` without a
/// Content-Encoding: the worker gunzips them itself.
fn app(dir: &Path) -> axum::Router {
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    axum::Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(caching))
}

/// Serves `dir` on `listener` until the process ends (a single-threaded runtime: files are
/// read on tokio's blocking pool).
fn serve_on(listener: TcpListener, dir: &Path) -> Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let app = app(dir);
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, app).await
    })?;
    Ok(())
}

/// Serves `dir` on `addr` until killed.
pub fn serve(dir: &Path, addr: &str) -> Result<()> {
    let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    eprintln!(
        "xtask: the lab is at http://{}/ (serving {}; Ctrl-C stops)",
        listener.local_addr()?,
        dir.display()
    );
    serve_on(listener, dir)
}

/// Serves `dir` on a free local port in the background; returns the base URL.
#[allow(clippy::disallowed_methods)] // xtask is native: threads are fine here
pub fn serve_in_background(dir: &Path) -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/", listener.local_addr()?);
    let dir: PathBuf = dir.to_path_buf();
    std::thread::spawn(move || {
        if let Err(e) = serve_on(listener, &dir) {
            eprintln!("xtask: serving {} stopped: {e:#}", dir.display());
        }
    });
    Ok(url)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    #[test]
    fn trunks_hashed_names_are_immutable_the_rest_is_revalidated() {
        for name in [
            "main-3d8293055d3f13cb.css",
            "tuning-lab-b981f62c95d6b544.js",
            "tuning-lab-b981f62c95d6b544_bg.wasm",
            // Trunk writes the u64 without leading zeros: one build in 16 has 15 digits.
            "tuning-lab-cf6d733c8fbaad4_bg.wasm",
            "boot-0123456789abcdef.js",
        ] {
            assert!(is_content_hashed(name), "{name}");
            assert_eq!(cache_control(&format!("/sub/{name}")), IMMUTABLE);
        }
        for path in [
            "/",
            "/index.html",
            "/sw.js",
            "/worker.js",
            "/worker_bg.wasm",
            "/worker_loader.js",
            "/worker-webgpu_bg.wasm",
            "/worker-webgpu_loader.js",
            "/data/fashion-mnist/train-images-idx3-ubyte.gz",
            "/main-3d8293055d.css",       // 11 digits
            "/main-3D8293055D3F13CB.css", // not Trunk's lower case
            "/-3d8293055d3f13cb.css",
        ] {
            assert_eq!(cache_control(path), REVALIDATE, "{path}");
        }
    }

    /// One raw HTTP/1.1 request; returns the head (header names lower-cased) and the body.
    fn get(url: &str, path: &str, headers: &str) -> (String, Vec<u8>) {
        let addr = url.trim_start_matches("http://").trim_end_matches('/');
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\r\n"
        )
        .expect("write");
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).expect("read");
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a head");
        let head = String::from_utf8_lossy(&bytes[..split])
            .lines()
            .map(|l| match l.split_once(':') {
                Some((name, value)) => format!("{}:{value}", name.to_lowercase()),
                None => l.to_lowercase(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        (head, bytes[split + 4..].to_vec())
    }

    #[test]
    fn serves_precompressed_copies_data_as_is_and_revalidates() {
        let dir = std::env::temp_dir().join(format!("xtask-serve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("data")).expect("mkdir");
        std::fs::write(dir.join("index.html"), "<!DOCTYPE html>").expect("write");
        std::fs::write(dir.join("app-0123456789abcdef_bg.wasm"), b"\0asm raw").expect("write");
        std::fs::write(dir.join("app-0123456789abcdef_bg.wasm.gz"), b"gz copy").expect("write");
        std::fs::write(dir.join("app-0123456789abcdef_bg.wasm.br"), b"br copy").expect("write");
        std::fs::write(dir.join("data/labels.gz"), b"\x1f\x8b gzip bytes").expect("write");
        let url = serve_in_background(&dir).expect("serve");

        let wasm = "/app-0123456789abcdef_bg.wasm";
        let (head, body) = get(&url, wasm, "Accept-Encoding: gzip, deflate, br, zstd\r\n");
        assert!(head.contains("content-encoding: br"), "{head}");
        assert!(head.contains("content-type: application/wasm"), "{head}");
        assert!(
            head.contains(&format!("cache-control: {IMMUTABLE}")),
            "{head}"
        );
        assert!(head.contains("vary: accept-encoding"), "{head}");
        assert_eq!(body, b"br copy");
        let (head, body) = get(&url, wasm, "Accept-Encoding: gzip\r\n");
        assert!(head.contains("content-encoding: gzip"), "{head}");
        assert_eq!(body, b"gz copy");
        let (head, body) = get(&url, wasm, "");
        assert!(!head.contains("content-encoding"), "{head}");
        assert_eq!(body, b"\0asm raw");

        // The data: its own bytes, no Content-Encoding, whatever the browser accepts.
        let (head, body) = get(&url, "/data/labels.gz", "Accept-Encoding: gzip, br\r\n");
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(!head.contains("content-encoding"), "{head}");
        assert!(head.contains("content-type: application/gzip"), "{head}");
        assert_eq!(body, b"\x1f\x8b gzip bytes");

        // The page: revalidated, and a revalidation with its Last-Modified is a 304.
        let (head, body) = get(&url, "/", "");
        assert!(head.contains("cache-control: no-cache"), "{head}");
        assert_eq!(body, b"<!DOCTYPE html>");
        let modified = head
            .lines()
            .find_map(|l| l.strip_prefix("last-modified: "))
            .expect("a Last-Modified")
            .to_owned();
        let (head, _) = get(
            &url,
            "/index.html",
            &format!("If-Modified-Since: {modified}\r\n"),
        );
        assert!(head.starts_with("http/1.1 304"), "{head}");

        let (head, _) = get(&url, "/missing.js", "");
        assert!(head.starts_with("http/1.1 404"), "{head}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
