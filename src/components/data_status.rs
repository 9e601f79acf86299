//! The data's status line under the header: where the data comes from (a link's `data=` on
//! another origin is loaded only once the learner confirms it), the download's progress, the
//! data ready, or why it failed with Retry and the file picker. The decisions and the texts
//! are plain functions with native tests; the component only shows them.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::logic::data_file_order;
use crate::trainer::{DataState, Trainer};

/// The lab's own data, relative to the page.
pub const LAB_DATA: &str = "./data/fashion-mnist/";

/// Where a link's `data=` says the data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataLink {
    /// A folder on the page's own origin (the lab's own data without `data=`): loaded at once.
    Load(String),
    /// A folder on another origin, named: loaded only when the learner confirms it.
    Ask { base: String, origin: String },
}

impl DataLink {
    /// Decides from the link's `data` (`None`: no `data=`), the page's origin and the origin
    /// `data` resolves to against the page (`None`: it does not resolve). A `data` that is not
    /// a folder (no trailing `/`) is ignored, as before: the lab's own data is loaded. An origin
    /// that is `"null"` (`file:`, `data:`) is never the page's: the link itself is named.
    pub fn decide(data: Option<&str>, page_origin: &str, data_origin: Option<&str>) -> DataLink {
        let Some(data) = data.filter(|d| d.ends_with('/')) else {
            return DataLink::Load(LAB_DATA.to_string());
        };
        match data_origin.filter(|o| !o.is_empty() && *o != "null") {
            Some(origin) if origin == page_origin => DataLink::Load(data.to_string()),
            Some(origin) => DataLink::Ask {
                base: data.to_string(),
                origin: origin.to_string(),
            },
            None => DataLink::Ask {
                base: data.to_string(),
                origin: data.to_string(),
            },
        }
    }

    /// [`DataLink::decide`] for this page: `data` resolved with `web_sys::Url` against
    /// `location.href`.
    pub fn of_page(data: Option<&str>) -> DataLink {
        let href = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        let origin_of = |url: &str, base: Option<&str>| {
            let url = match base {
                Some(base) => web_sys::Url::new_with_base(url, base),
                None => web_sys::Url::new(url),
            };
            url.ok().map(|u| u.origin())
        };
        let page_origin = origin_of(&href, None).unwrap_or_default();
        let data_origin = data.and_then(|d| origin_of(d, Some(&href)));
        DataLink::decide(data, &page_origin, data_origin.as_deref())
    }
}

/// What the confirmation says about data from `origin`.
pub fn confirm_text(origin: &str) -> String {
    format!(
        "This link loads its training data from {origin} — not from this lab. Data from elsewhere can be altered (e.g. wrong labels). Load it?"
    )
}

/// The download's progress: "starting…" until the worker knows a size, then the megabytes.
pub fn loading_text(loaded: u64, total: u64) -> String {
    let mb = |bytes: u64| bytes as f64 / 1e6;
    match (loaded, total) {
        (0, 0) => "starting…".to_string(),
        (loaded, 0) => format!("{:.1} MB", mb(loaded)),
        (loaded, total) => format!("{:.1} / {:.1} MB", mb(loaded), mb(total)),
    }
}

/// Reads the picked official files (gzipped or not) and hands them to the worker in
/// [`lab_spec::dataset::FILE_NAMES`] order; a missing or unreadable file is reported as the
/// data's error.
async fn load_picked_files(trainer: Trainer, files: gloo_file::FileList) {
    match read_picked_files(&files).await {
        Ok(ordered) => trainer.load_files(ordered),
        Err(message) => trainer.report_data_error(message),
    }
}

async fn read_picked_files(files: &[gloo_file::File]) -> Result<Vec<Vec<u8>>, String> {
    let names: Vec<String> = files.iter().map(gloo_file::File::name).collect();
    let mut ordered = Vec::new();
    for i in data_file_order(&names)? {
        let file = &files[i];
        let bytes = gloo_file::futures::read_as_bytes(file)
            .await
            .map_err(|e| format!("{}: could not be read ({e})", file.name()))?;
        ordered.push(bytes);
    }
    Ok(ordered)
}

/// The data's status; while a link's data from another origin waits for the learner's choice
/// ([`Trainer::data_choice`]), that choice: `linked` is the link's folder.
#[component]
pub fn DataStatus(trainer: Trainer, #[prop(optional)] linked: Option<String>) -> impl IntoView {
    let on_files = move |ev: web_sys::Event| {
        let files = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files());
        if let Some(files) = files {
            wasm_bindgen_futures::spawn_local(load_picked_files(trainer, files.into()));
        }
    };
    // The IMDB reviews: their own words; no file picker (they come from the lab's own files).
    let imdb = move || trainer.dataset.get() == lab_spec::DatasetKind::Imdb;
    let status = move || {
        view! {
            {move || match trainer.data.get() {
                DataState::Loading { loaded, total } => view! {
                    <div class="data-status" data-testid="data-loading">
                        {if imdb() { "Loading the IMDB reviews… " } else { "Loading Fashion-MNIST… " }}
                        <progress max=total.max(1) value=loaded></progress>
                        {format!(" {}", loading_text(loaded, total))}
                    </div>
                }.into_any(),
                DataState::Ready(s) => view! {
                    <div class="data-status ok" data-testid="data-ready">
                        {format!("{} ready: {} training and {} test {} from {}{}",
                            if imdb() { "IMDB reviews" } else { "Fashion-MNIST" },
                            s.train_counts.iter().sum::<usize>(), s.test_counts.iter().sum::<usize>(),
                            if imdb() { "reviews" } else { "images" },
                            s.source, if s.from_cache { ", read from the browser cache" } else { "" })}
                    </div>
                }.into_any(),
                DataState::Failed(message) => view! {
                    <div class="data-status failed" data-testid="data-error">
                        <p>{format!("The data could not be loaded: {message}")}</p>
                        <button data-testid="data-retry" on:click=move |_| trainer.load_default_data()>"Retry"</button>
                        {move || (!imdb()).then(|| view! {
                            <label class="inline">" or pick the four official IDX files from disk: "
                                <input type="file" multiple data-testid="data-files" on:change=on_files />
                            </label>
                        })}
                    </div>
                }.into_any(),
            }}
        }
    };
    let base = linked.unwrap_or_else(|| LAB_DATA.to_string());
    view! {
        {move || match trainer.data_choice.get() {
            Some(origin) => view! {
                <div class="data-status" data-testid="data-waiting">
                    "Fashion-MNIST is not loaded yet: it waits for your choice of where it comes from."
                </div>
                <DataConfirm trainer base=base.clone() origin />
            }.into_any(),
            None => status().into_any(),
        }}
    }
}

/// Asks before a link's data from another origin is loaded: the link's folder `base` (on
/// `origin`), or the lab's own data.
#[component]
fn DataConfirm(trainer: Trainer, base: String, origin: String) -> impl IntoView {
    view! {
        <div class="data-confirm" data-testid="data-confirm" role="alertdialog">
            <p>{confirm_text(&origin)}</p>
            <button data-testid="data-confirm-load" on:click=move |_| trainer.choose_data(base.clone())>"Load it"</button>
            " "
            <button data-testid="data-confirm-default" on:click=move |_| trainer.choose_data(LAB_DATA.to_string())>
                "Use the lab's own data"
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "http://127.0.0.1:8080";

    #[test]
    fn the_labs_own_data_and_a_folder_of_the_same_origin_load_at_once() {
        assert_eq!(
            DataLink::decide(None, PAGE, None),
            DataLink::Load(LAB_DATA.into())
        );
        assert_eq!(
            DataLink::decide(Some("./mirror/fm/"), PAGE, Some(PAGE)),
            DataLink::Load("./mirror/fm/".into())
        );
        assert_eq!(
            DataLink::decide(Some("http://127.0.0.1:8080/x/"), PAGE, Some(PAGE)),
            DataLink::Load("http://127.0.0.1:8080/x/".into())
        );
        // Not a folder: ignored, as before.
        assert_eq!(
            DataLink::decide(
                Some("https://elsewhere.example/x"),
                PAGE,
                Some("https://elsewhere.example")
            ),
            DataLink::Load(LAB_DATA.into())
        );
    }

    #[test]
    fn another_origin_asks_first_and_names_it() {
        let link = DataLink::decide(
            Some("https://elsewhere.example/x/"),
            PAGE,
            Some("https://elsewhere.example"),
        );
        assert_eq!(
            link,
            DataLink::Ask {
                base: "https://elsewhere.example/x/".into(),
                origin: "https://elsewhere.example".into()
            }
        );
        // Another port is another origin.
        assert!(matches!(
            DataLink::decide(Some("http://127.0.0.1:9000/fm/"), PAGE, Some("http://127.0.0.1:9000")),
            DataLink::Ask { origin, .. } if origin == "http://127.0.0.1:9000"
        ));
        // An origin the browser calls "null", or none at all: the link itself is named.
        for origin in [Some("null"), None, Some("")] {
            assert_eq!(
                DataLink::decide(Some("data:text/plain,x/"), PAGE, origin),
                DataLink::Ask {
                    base: "data:text/plain,x/".into(),
                    origin: "data:text/plain,x/".into()
                },
                "{origin:?}"
            );
        }
        // A page whose own origin is "null" trusts nothing by origin.
        assert!(matches!(
            DataLink::decide(Some("./fm/"), "null", Some("null")),
            DataLink::Ask { .. }
        ));
    }

    #[test]
    fn the_confirmation_says_where_and_why() {
        assert_eq!(
            confirm_text("https://elsewhere.example"),
            "This link loads its training data from https://elsewhere.example — not from this lab. Data from elsewhere can be altered (e.g. wrong labels). Load it?"
        );
    }

    #[test]
    fn the_progress_says_starting_until_a_size_is_known() {
        assert_eq!(loading_text(0, 0), "starting…");
        assert_eq!(loading_text(1_500_000, 0), "1.5 MB");
        assert_eq!(loading_text(0, 30_700_000), "0.0 / 30.7 MB");
        assert_eq!(loading_text(12_340_000, 30_700_000), "12.3 / 30.7 MB");
    }
}
