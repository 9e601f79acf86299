//! Step 4: preparing the data: the normalization (x / 255 or standardization), shown on one
//! image before and after.

use lab_spec::{InputKind, Normalization};
use leptos::prelude::*;

use crate::components::Digit;
use crate::trainer::{DataState, Trainer};

/// The image row the preview prints.
const ROW: usize = 14;

/// How the lab draws an image (`components::Digit`, on every page): as ink on paper, the
/// inverse of the bytes, so the picture and the numbers beside it are read the right way round.
pub const DRAWING_NOTE: &str = "In the data the background is 0 (black) and the garment is \
    bright, up to 255. The lab draws every image as ink on paper: 0 as white, 255 as black.";

#[component]
pub fn Step4(
    trainer: Trainer,
    #[prop(into)] normalization: Signal<Normalization>,
    #[prop(into)] on_normalization: Callback<Normalization>,
) -> impl IntoView {
    let index = RwSignal::new(0usize);
    // Asks the worker for the image `index` prepared the chosen way (it holds the data).
    Effect::new(move |_| {
        if matches!(trainer.data.get(), DataState::Ready(_)) {
            trainer.preview(index.get(), normalization.get());
        }
    });
    let preview = move || {
        trainer.preview.get().map(|(raw, norm)| {
            let raw_row: Vec<String> = raw[ROW * 28..ROW * 28 + 28].iter().map(|v| v.to_string()).collect();
            let norm_row: Vec<String> = norm[ROW * 28..ROW * 28 + 28].iter().map(|v| format!("{v:.2}")).collect();
            let (lo, hi) = norm.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            view! {
                <div class="preview" data-testid="preview">
                    <Digit pixels=raw.clone() />
                    <div>
                        <p>{format!("Row {ROW} before (bytes 0–255): {}", raw_row.join(" "))}</p>
                        <p>{format!("Row {ROW} after: {}", norm_row.join(" "))}</p>
                        <p>{format!("After normalization the values range from {lo:.2} to {hi:.2}.")}</p>
                        <p class="hint" data-testid="drawing-note">{DRAWING_NOTE}</p>
                    </div>
                </div>
            }
        })
    };
    let choice = move |value: Normalization, testid: &'static str, label: &'static str| {
        view! {
            <label class="inline"><input type="radio" name="norm" data-testid=testid prop:checked=move || normalization.get() == value
                on:change=move |_| on_normalization.run(value) />{label}</label>
        }
    };
    view! {
        <article>
            <h2>"4 · Prepare the data"</h2>
            <p>"Networks learn best from small numbers centred near zero. Two common choices:"</p>
            <ul>
                <li><b>"x / 255"</b>" maps every pixel to [0, 1] — simple, and what the Keras lab does."</li>
                <li><b>"standardize"</b>": subtract each pixel's mean and divide by its standard deviation, both measured on the "
                    <i>"training split only"</i>" (using validation or test images would leak them into training)."</li>
            </ul>
            <p>"Dense layers take the 28×28 image flattened to 784 numbers; convolutional layers keep it as a 1×28×28 image."</p>
            <div class="choice">
                {choice(Normalization::Scale, "norm-scale", " x / 255")}
                {choice(Normalization::Standardize, "norm-standardize", " standardize")}
                <button on:click=move |_| index.update(|i| *i += 1)>"another image"</button>
            </div>
            {preview}
            <p class="hint">{format!("Input layout of the MLPs in steps 5–7: {:?} (784 features).", InputKind::Flat)}</p>
        </article>
    }
}
