//! A download's failures in plain words: what the learner reads when a file cannot be fetched,
//! instead of a `JsValue(TypeError…)` with a JavaScript stack. Plain functions of the file's
//! name and the JavaScript error's `name`, so that `download.rs` (wasm only) stays thin and the
//! wording is tested natively.

/// Seconds without a byte after which a download counts as stalled and is aborted.
pub const STALL_SECONDS: u32 = 20;

/// The download of `name` received nothing for [`STALL_SECONDS`].
pub fn stalled(name: &str) -> String {
    format!("the download of {name} stalled (no data for {STALL_SECONDS} s)")
}

/// The request for `name` failed before the server answered. `error_name` is the rejected
/// JavaScript error's `name` (`TypeError` for a network error, `AbortError`, ...), if any.
pub fn request_failed(name: &str, error_name: Option<&str>) -> String {
    match error_name {
        Some("AbortError") => format!("the download of {name} was cancelled"),
        Some("TimeoutError") => stalled(name),
        Some("SecurityError" | "NotAllowedError") => {
            format!("the browser did not allow downloading {name}")
        }
        // `TypeError` is what every browser rejects `fetch` with when the network fails, the
        // server cannot be reached or (from another site) does not allow this page to read it.
        _ => format!("could not reach the server for {name} (network error)"),
    }
}

/// The most bytes one download may bring: the largest plain IDX file accepted (its data and
/// the longest header). More is not a Fashion-MNIST file; the download is aborted.
pub const MAX_DOWNLOAD_BYTES: usize = lab_data::idx::MAX_DATA_BYTES + 4 + 4 * 255;

/// The server sent more than [`MAX_DOWNLOAD_BYTES`] for `name`.
pub fn too_large(name: &str) -> String {
    format!(
        "{name}: the server sent more than {} MB, more than any Fashion-MNIST file",
        MAX_DOWNLOAD_BYTES / 1_000_000
    )
}

/// The body of `name` stopped arriving with an error (the connection dropped).
pub fn body_failed(name: &str, error_name: Option<&str>) -> String {
    match error_name {
        Some("AbortError") => format!("the download of {name} was cancelled"),
        _ => format!("the download of {name} was interrupted (network error)"),
    }
}

/// The server answered `name`'s request with an HTTP error. HTTP/2 sends no reason phrase,
/// so the common ones are filled in.
pub fn http_status(name: &str, url: &str, status: u16, status_text: &str) -> String {
    let reason = match (status_text.trim(), status) {
        ("", 403) => "Forbidden",
        ("", 404) => "Not Found",
        ("", 410) => "Gone",
        ("", 429) => "Too Many Requests",
        ("", 500) => "Internal Server Error",
        ("", 502) => "Bad Gateway",
        ("", 503) => "Service Unavailable",
        ("", 504) => "Gateway Timeout",
        (text, _) => text,
    };
    let status = if reason.is_empty() {
        status.to_string()
    } else {
        format!("{status} {reason}")
    };
    format!("{name}: the server answered {status} for {url}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "train-images-idx3-ubyte.gz";

    #[test]
    fn a_network_error_is_said_plainly() {
        for error in [Some("TypeError"), None, Some("SomethingNew")] {
            let m = request_failed(NAME, error);
            assert_eq!(
                m,
                "could not reach the server for train-images-idx3-ubyte.gz (network error)"
            );
        }
        assert_eq!(
            body_failed(NAME, Some("TypeError")),
            "the download of train-images-idx3-ubyte.gz was interrupted (network error)"
        );
        assert_eq!(
            request_failed(NAME, Some("SecurityError")),
            "the browser did not allow downloading train-images-idx3-ubyte.gz"
        );
    }

    #[test]
    fn a_stall_names_the_file_and_the_limit() {
        assert_eq!(
            stalled(NAME),
            "the download of train-images-idx3-ubyte.gz stalled (no data for 20 s)"
        );
        assert_eq!(request_failed(NAME, Some("TimeoutError")), stalled(NAME));
        assert_eq!(
            request_failed(NAME, Some("AbortError")),
            "the download of train-images-idx3-ubyte.gz was cancelled"
        );
    }

    #[test]
    fn an_http_error_has_its_reason_even_over_http2() {
        let url = "./data/fashion-mnist/train-images-idx3-ubyte.gz";
        assert_eq!(
            http_status(NAME, url, 404, ""),
            "train-images-idx3-ubyte.gz: the server answered 404 Not Found for ./data/fashion-mnist/train-images-idx3-ubyte.gz"
        );
        assert_eq!(
            http_status(NAME, url, 404, "File Not Found"),
            format!("{NAME}: the server answered 404 File Not Found for {url}")
        );
        assert_eq!(
            http_status(NAME, url, 418, ""),
            format!("{NAME}: the server answered 418 for {url}")
        );
    }

    #[test]
    fn no_message_carries_javascript() {
        assert_eq!(
            too_large(NAME),
            "train-images-idx3-ubyte.gz: the server sent more than 784 MB, more than any Fashion-MNIST file"
        );
        let all = [
            too_large(NAME),
            request_failed(NAME, Some("TypeError")),
            body_failed(NAME, None),
            stalled(NAME),
        ];
        for m in all {
            assert!(m.contains(NAME), "{m}");
            assert!(!m.contains("JsValue") && !m.contains("TypeError"), "{m}");
        }
    }
}
