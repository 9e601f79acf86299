//! The decoders of what the page reads back: the worker's replies and the stored runs, search
//! and earlier sessions. They are a quarter of the page's code (serde writes one decoder per
//! type, and a reply holds most of the lab's types), and nothing of the first paint needs them,
//! so `cargo xtask dist` puts them in a piece of wasm of their own (wasm-split, as the steps'
//! pages in `steps::pages`): the page fetches it as it starts ([`preload`]), beside the worker's
//! script, and then keeps it. Natively, in the tests and in the workers' builds (which never
//! read a reply), they are plain calls.
//!
//! A piece that cannot be fetched (offline before the lab was ever kept) loses nothing: a stored
//! record stays as it is, named as unreadable with the reason; the worker's replies wait, in
//! order, while the bridge fetches the piece again.

// wasm-split's macro declares the import/export pair of each split function with
// `#[unsafe(no_mangle)]` and an `unsafe extern "C"` block; nothing here is otherwise unsafe.
#![allow(unsafe_code)]

use lab_spec::worker::Reply;
use leptos::wasm_split::SplitLoaderError;
#[cfg(not(feature = "worker-common"))]
use leptos::wasm_split::wasm_split;
use wasm_bindgen::JsValue;

use super::stored_runs::{self, LegacySession, StoredRun};
use super::views::SearchView;

/// Why a value was not decoded.
#[derive(Debug, PartialEq)]
pub enum DecodeError {
    /// The decoders' piece could not be fetched (offline before the lab was ever kept, a
    /// deploy that replaced it); a later call fetches it anew.
    Unavailable,
    /// What the value lacks.
    Invalid(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Unavailable => f.write_str(
                "the part of the lab that reads it could not be downloaded (offline?); reload to try again",
            ),
            DecodeError::Invalid(message) => f.write_str(message),
        }
    }
}

impl From<SplitLoaderError> for DecodeError {
    fn from(_: SplitLoaderError) -> Self {
        DecodeError::Unavailable
    }
}

impl From<String> for DecodeError {
    fn from(message: String) -> Self {
        DecodeError::Invalid(message)
    }
}

/// A split function's call: awaited where the function is split off, plain where it is not.
#[cfg(not(feature = "worker-common"))]
macro_rules! call {
    ($e:expr) => {
        $e.await
    };
}
#[cfg(feature = "worker-common")]
macro_rules! call {
    ($e:expr) => {
        $e
    };
}

/// A reply of the worker, as it arrived (see `protocol::EncodedReply`).
pub async fn reply(value: JsValue) -> Result<Reply, DecodeError> {
    call!(decode_reply(value))
}

/// A reply of the worker, as [`reply`], fetching the decoders' piece again (after 0.5 s, then
/// twice as long each time, up to 8 s) until it arrives: a reply is never dropped for want of
/// it, and the caller, awaiting each in turn, keeps their order.
pub async fn reply_when_available(value: JsValue) -> Result<Reply, DecodeError> {
    let mut wait_ms = 500;
    loop {
        match reply(value.clone()).await {
            Err(DecodeError::Unavailable) => {
                web_sys::console::warn_1(
                    &"the part of the lab that reads the worker's replies could not be downloaded; trying again".into(),
                );
                gloo_timers::future::TimeoutFuture::new(wait_ms).await;
                wait_ms = (wait_ms * 2).min(8_000);
            }
            decoded => return decoded,
        }
    }
}

/// A stored run's record.
pub async fn stored_run(text: String) -> Result<StoredRun, String> {
    call!(decode_stored_run(text)).map_err(|e| e.to_string())
}

/// The stored search's record.
pub async fn search(text: String) -> Result<SearchView, String> {
    call!(decode_search(text)).map_err(|e| e.to_string())
}

/// The runs an earlier build kept in this tab's sessionStorage.
pub async fn legacy_session(text: String) -> Result<LegacySession, String> {
    call!(decode_legacy_session(text)).map_err(|e| e.to_string())
}

/// Fetches the decoders' piece now, as the page starts, so that neither the worker's first reply
/// nor the stored runs wait for it; one that does not arrive is fetched again when it is needed.
pub async fn preload() {
    #[cfg(not(feature = "worker-common"))]
    if preload_decoders().await.is_err() {
        web_sys::console::warn_1(
            &"the part of the lab that reads the worker's replies could not be downloaded yet"
                .into(),
        );
    }
}

#[cfg_attr(
    not(feature = "worker-common"),
    wasm_split(
        decoding,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        preload(preload_decoders)
    )
)]
fn decode_reply(value: JsValue) -> Result<Reply, DecodeError> {
    Ok(crate::protocol::decode(value)?)
}

#[cfg_attr(
    not(feature = "worker-common"),
    wasm_split(decoding, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn decode_stored_run(text: String) -> Result<StoredRun, DecodeError> {
    Ok(stored_runs::decode(&text)?)
}

#[cfg_attr(
    not(feature = "worker-common"),
    wasm_split(decoding, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn decode_search(text: String) -> Result<SearchView, DecodeError> {
    Ok(stored_runs::decode(&text)?)
}

#[cfg_attr(
    not(feature = "worker-common"),
    wasm_split(decoding, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn decode_legacy_session(text: String) -> Result<LegacySession, DecodeError> {
    Ok(stored_runs::parse_legacy(Some(&text))?)
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use lab_spec::tuning::TunerConfig;
    use lab_spec::{ModelSpec, TrainingConfig};

    use super::*;
    use crate::trainer::stored_runs::encode;
    use crate::trainer::views::RunView;

    #[test]
    fn stored_records_read_back_through_the_decoders() {
        let run = StoredRun {
            created_ms: 1.7e12,
            run: RunView::new(
                2,
                5,
                "baseline".into(),
                TrainingConfig::new(ModelSpec::baseline()),
                "cpu".into(),
                1.0,
            ),
        };
        let text = encode(&run).unwrap();
        assert_eq!(block_on(stored_run(text)).unwrap(), run);
        let search_view = SearchView::new(3, TunerConfig::seed_004(), "cpu".into(), 0.0);
        let text = encode(&search_view).unwrap();
        assert_eq!(block_on(search(text)).unwrap(), search_view);
        let legacy = LegacySession {
            runs: vec![run.run],
            search: None,
        };
        let text = encode(&legacy).unwrap();
        assert_eq!(block_on(legacy_session(text)).unwrap(), legacy);
    }

    #[test]
    fn a_record_that_cannot_be_read_says_what_it_lacks() {
        let e = block_on(stored_run(r#"{"run": 3}"#.into())).unwrap_err();
        assert!(
            e.contains("created_ms") || e.contains("invalid type"),
            "{e}"
        );
        assert!(block_on(search("[".into())).is_err());
    }

    #[test]
    fn a_piece_that_did_not_arrive_is_named_apart_from_a_bad_value() {
        let e = DecodeError::Unavailable.to_string();
        assert!(e.contains("could not be downloaded"), "{e}");
        assert_eq!(
            DecodeError::from("missing field `run`".to_string()).to_string(),
            "missing field `run`"
        );
    }
}
