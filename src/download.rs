//! Files the learner takes away: the browser saves a Blob under a name (an `<a download>`
//! clicked on a Blob URL). Used by the exports, the weights and the search's trials.

use wasm_bindgen::JsCast;

/// Makes the browser download `blob` as the file `name`.
pub fn save_blob(name: &str, blob: gloo_file::Blob) {
    let url = gloo_file::ObjectUrl::from(blob);
    if let Some(a) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    // The URL is revoked when it drops: keep it until the browser has started the download.
    gloo_timers::callback::Timeout::new(10_000, move || drop(url)).forget();
}

/// Makes the browser download `text` (of type `mime`) as the file `name`.
pub fn save_text(name: &str, mime: &str, text: &str) {
    save_blob(name, gloo_file::Blob::new_with_options(text, Some(mime)));
}

/// Makes the browser download `bytes` as the file `name`.
pub fn save_bytes(name: &str, bytes: &[u8]) {
    save_blob(
        name,
        gloo_file::Blob::new_with_options(bytes, Some("application/octet-stream")),
    );
}
