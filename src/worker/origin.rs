//! Whether a data URL is on the worker's own origin, the one the Cache API may keep copies
//! for. Data from another origin is used for the session only: it is never cached silently.
//!
//! The check errs on the side of "another origin": a URL is ours only when it is a plain
//! relative path, or an absolute URL that starts with our origin followed by `/`. Anything the
//! browser might read differently (a scheme-relative `//host`, `/\host`, a backslash, spaces or
//! control characters, an explicit port, userinfo) counts as another origin, so at worst a copy
//! of our own is not cached.

/// True when `url` (as given to `fetch`, relative to the worker's location) is on `own_origin`
/// (`self.location.origin`, such as `https://lab.example` or `http://127.0.0.1:8080`).
pub fn same_origin(url: &str, own_origin: &str) -> bool {
    if url.is_empty() || url.chars().any(|c| c <= ' ' || c == '\\' || c == '\u{7f}') {
        return false;
    }
    if own_origin.is_empty() || own_origin == "null" {
        // An opaque origin (a `file:` page, a sandbox) has no copies of its own to keep.
        return false;
    }
    // A scheme: letters, digits, `+-.` before the first `:` that comes before any `/?#`.
    let head_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let has_scheme = url[..head_end].contains(':');
    if !has_scheme {
        // A path on our origin, unless it names a host (`//host/...`).
        return !url.starts_with("//");
    }
    let Some(rest) = strip_prefix_ignore_case(url, own_origin) else {
        return false;
    };
    rest.starts_with('/')
}

/// `s` without `prefix`, compared without regard to ASCII case (scheme and host are).
fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "https://lab.example";

    #[test]
    fn relative_paths_are_ours() {
        for url in [
            "data/fashion-mnist/train-images-idx3-ubyte.gz",
            "./data/fashion-mnist/t10k-labels-idx1-ubyte.gz",
            "/data/x.gz",
            "../data/x.gz",
            "data/a:b.gz",
        ] {
            assert!(same_origin(url, OWN), "{url}");
        }
    }

    #[test]
    fn absolute_urls_are_ours_only_on_our_origin() {
        assert!(same_origin("https://lab.example/data/x.gz", OWN));
        assert!(same_origin("HTTPS://LAB.example/data/x.gz", OWN));
        assert!(same_origin(
            "http://127.0.0.1:8080/data/x.gz",
            "http://127.0.0.1:8080"
        ));
        for url in [
            "https://other.example/data/x.gz",
            "http://lab.example/data/x.gz",
            "https://lab.example.evil.test/data/x.gz",
            "https://lab.example@evil.test/data/x.gz",
            "https://lab.example:444/data/x.gz",
            "https://lab.example",
            "//other.example/data/x.gz",
            "//lab.example/data/x.gz",
            "data:application/gzip;base64,AAAA",
            "blob:https://lab.example/1234",
        ] {
            assert!(!same_origin(url, OWN), "{url}");
        }
        assert!(!same_origin(
            "http://127.0.0.1:8081/data/x.gz",
            "http://127.0.0.1:8080"
        ));
    }

    #[test]
    fn anything_a_browser_might_read_otherwise_is_not_ours() {
        for url in [
            "/\\other.example/x.gz",
            "\\\\other.example/x.gz",
            "https:\\\\lab.example\\x.gz",
            " //other.example/x.gz",
            "/\t/other.example/x.gz",
            "data/x\n.gz",
            "",
        ] {
            assert!(!same_origin(url, OWN), "{url:?}");
        }
        // A page without an origin of its own caches nothing.
        assert!(!same_origin("data/x.gz", "null"));
        assert!(!same_origin("data/x.gz", ""));
    }
}
