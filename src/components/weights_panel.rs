//! A run's weights as files: "Download weights" (the final ones) and "Download best
//! checkpoint" of a finished run, and "Load weights…" (a file picker, or a file dropped on the
//! zone) into the step's current architecture. The files are safetensors (Keras layer names
//! and layouts, the training config in their metadata). A loaded file becomes a new run of the
//! step, evaluated on the test set; a file that does not fit says what differs, and nothing
//! changes.

use lab_spec::TrainingConfig;
use lab_spec::worker::WhichWeights;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::trainer::Trainer;

/// A run's name as a file name: lower-case letters, digits, `.` and `-` (the rest become
/// `-`, never two in a row), at most 80 characters; "weights" when nothing is left.
pub fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_end_matches(['-', '.']).chars().take(80).collect();
    while out.ends_with(['-', '.']) {
        out.pop();
    }
    if out.is_empty() {
        "weights".into()
    } else {
        out
    }
}

/// The file a run's weights are saved as: `<slug>.safetensors`, the best checkpoint's as
/// `<slug>-best.safetensors`.
pub fn file_name(label: &str, which: WhichWeights) -> String {
    match which {
        WhichWeights::Final => format!("{}.safetensors", slug(label)),
        WhichWeights::Best => format!("{}-best.safetensors", slug(label)),
    }
}

/// "Download weights" and, when the run kept a best checkpoint, "Download best checkpoint".
/// A run restored after a reload has them once its stored weights are given back to the worker;
/// until then (or when they were not kept) it says so instead.
#[component]
pub fn DownloadWeights(
    trainer: Trainer,
    run: u32,
    /// The run's name (the file is named after it).
    label: String,
    /// The run kept a best checkpoint (ModelCheckpoint).
    has_best: bool,
) -> impl IntoView {
    let label = StoredValue::new(label);
    let without = Memo::new(move |_| trainer.without_weights(run));
    let ask = move || {
        trainer
            .weights
            .with(|w| w.download.clone().filter(|a| a.run == run))
    };
    let busy = move |which| ask().is_some_and(|a| a.which == which && a.failed.is_none());
    let download = move |which| {
        let name = label.with_value(|l| file_name(l, which));
        trainer.download_weights(run, which, name)
    };
    move || {
        match without.get() {
        Some(text) => view! {
            <p class="note" data-testid="weights-unavailable">{text}</p>
        }
        .into_any(),
        None => view! {
            <div class="controls weights-download">
                <button data-testid="download-weights" prop:disabled=move || busy(WhichWeights::Final)
                    on:click=move |_| download(WhichWeights::Final)>"Download weights"</button>
                {has_best.then(|| view! {
                    <button data-testid="download-best" prop:disabled=move || busy(WhichWeights::Best)
                        on:click=move |_| download(WhichWeights::Best)>"Download best checkpoint"</button>
                })}
                <span class="hint">" .safetensors: Keras layer names, the training config inside"</span>
                {move || ask().and_then(|a| a.failed).map(|e| view! {
                    <p class="error" data-testid="download-error">{format!("The weights could not be downloaded: {e}")}</p>
                })}
            </div>
        }
        .into_any(),
    }
    }
}

/// The file of a change or drop event: the first one picked or dropped.
fn first_file(files: Option<web_sys::FileList>) -> Option<gloo_file::File> {
    files.and_then(|f| f.get(0)).map(gloo_file::File::from)
}

/// The files dropped with a drag event (read through `dataTransfer`).
fn dropped_files(ev: &web_sys::Event) -> Option<web_sys::FileList> {
    let transfer = js_sys::Reflect::get(ev, &"dataTransfer".into()).ok()?;
    let files = js_sys::Reflect::get(&transfer, &"files".into()).ok()?;
    files.dyn_into().ok()
}

/// "Load weights…": a file input and a drop zone. The file's bytes are loaded into the
/// architecture the step's fields show (`config`) and evaluated on the test set as a new run.
#[component]
pub fn LoadWeights(
    trainer: Trainer,
    step: u8,
    /// The step's config as its fields show it.
    #[prop(into)]
    config: Signal<TrainingConfig>,
) -> impl IntoView {
    // A file the page itself could not read.
    let read_error = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);
    let take = move |file: Option<gloo_file::File>| {
        let Some(file) = file else { return };
        let name = file.name();
        let config = config.get_untracked();
        wasm_bindgen_futures::spawn_local(async move {
            match gloo_file::futures::read_as_bytes(&file).await {
                Ok(bytes) => {
                    read_error.set(None);
                    trainer.load_weights(step, name, config, bytes);
                }
                Err(e) => read_error.set(Some(format!("{name} could not be read ({e})"))),
            }
        });
    };
    let ask = move || {
        trainer
            .weights
            .with(|w| w.load.clone().filter(|a| a.step == step))
    };
    let loading = move || ask().is_some_and(|a| a.failed.is_none());
    let on_change = move |ev: web_sys::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(input) = input {
            take(first_file(input.files()));
            // The same file can be picked again (after editing the model, say).
            input.set_value("");
        }
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if !loading() {
            take(first_file(dropped_files(&ev)));
        }
    };
    let error = move || {
        read_error.get().or_else(|| {
            ask().and_then(|a| {
                a.failed
                    .map(|e| format!("{} could not be loaded: {e}", a.file))
            })
        })
    };
    view! {
        <div class="weights-drop" class:dragging=move || dragging.get() data-testid="weights-drop"
            on:dragover=move |ev: web_sys::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <label class="weights-load">
                "Load weights… "
                <input type="file" accept=".safetensors" data-testid="load-weights"
                    prop:disabled=loading on:change=on_change />
            </label>
            <span class="hint">" or drop a .safetensors file here: it is loaded into the model above and evaluated on the test set as a new run"</span>
            {move || ask().filter(|a| a.failed.is_none()).map(|a| view! {
                <p class="note" data-testid="weights-loading">{format!("loading {} and evaluating it on the test set…", a.file)}</p>
            })}
            {move || error().map(|e| view! { <p class="error" data-testid="weights-error">{e}</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_name_becomes_a_file_name() {
        assert_eq!(
            file_name(
                "Dense 256-128 relu · lr 1e-3 · batch 512 · 5 epochs",
                WhichWeights::Final
            ),
            "dense-256-128-relu-lr-1e-3-batch-512-5-epochs.safetensors"
        );
        assert_eq!(
            file_name("loaded: my model.safetensors", WhichWeights::Best),
            "loaded-my-model.safetensors-best.safetensors"
        );
        assert_eq!(slug(" · Ünïcode ·"), "n-code");
        assert_eq!(slug("···"), "weights");
        assert_eq!(slug(&"a ".repeat(100)).len(), 79);
    }
}
