//! Components: thin views over signals and plain types.

pub mod action_note;
pub mod activations;
pub mod builder;
pub mod chart;
pub mod data_status;
pub mod experiments;
pub mod exports;
pub mod my_runs;
pub mod predictions;
pub mod results;
pub mod reviews;
pub mod run_panel;
pub mod tuner;
pub mod weights_panel;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};

/// A 28×28 grey image, drawn on a canvas (scaled up with CSS).
#[component]
pub fn Digit(pixels: Vec<u8>, #[prop(optional, into)] title: String) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let Some(canvas) = canvas.get() else { return };
        let Ok(Some(ctx)) = canvas.get_context("2d") else {
            return;
        };
        let Ok(ctx) = ctx.dyn_into::<web_sys::CanvasRenderingContext2d>() else {
            return;
        };
        let rgba: Vec<u8> = pixels
            .iter()
            .flat_map(|&p| [255 - p, 255 - p, 255 - p, 255])
            .collect();
        if let Ok(image) =
            web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), 28, 28)
        {
            let _ = ctx.put_image_data(&image, 0.0, 0.0);
        }
    });
    view! { <canvas class="digit" width="28" height="28" node_ref=canvas title=title></canvas> }
}

/// A labelled number input that reports parse errors by field name.
#[component]
pub fn NumberField(
    #[prop(into)] label: String,
    #[prop(into)] value: Signal<String>,
    on_change: impl Fn(String) + 'static,
    #[prop(into)] disabled: Signal<bool>,
    #[prop(optional, into)] testid: String,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input
                type="text"
                inputmode="decimal"
                data-testid=testid
                prop:value=move || value.get()
                prop:disabled=move || disabled.get()
                on:change=move |ev| on_change(event_target_value(&ev))
            />
        </label>
    }
}
