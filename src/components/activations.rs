//! "What the network sees" (seed 002's intermediate activations), for a run whose model has a
//! Conv2D: a test image, what each Conv2D and MaxPooling2D layer makes of it (one small
//! greyscale image per feature map: bright where the filter responds strongly), the first
//! layer's filters, and the class probabilities as bars. The learner picks the image (its
//! number, "Next", or a click on an image of the predictions grid or of a confusion-matrix
//! cell: [`show_image`]) and the weights (the final ones or the best checkpoint); the maps come
//! from the worker, computed on the run's weights it keeps. While a CNN trains, the panel
//! ([`LiveActivations`]) shows the weights of its last finished epoch and is asked again at
//! each epoch's end: the filters form under the learner's eyes. A label says which weights
//! are shown.

use lab_spec::dataset::CLASS_NAMES;
use lab_spec::worker::{FeatureMaps, SeenActivations, WhichWeights};
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};

use crate::components::Digit;
use crate::trainer::Trainer;

/// A class's name (its number past the ten).
fn class_name(class: usize) -> String {
    CLASS_NAMES
        .get(class)
        .map_or_else(|| format!("class {class}"), |n| n.to_string())
}

/// The predicted class and its probability: the most probable one (the first of equals).
pub fn predicted(probabilities: &[f32]) -> Option<(usize, f32)> {
    probabilities
        .iter()
        .copied()
        .enumerate()
        .fold(None, |best, (i, p)| match best {
            Some((_, b)) if b >= p => best,
            _ => Some((i, p)),
        })
}

/// A layer's heading: "conv2d (Conv2D) · 32 feature maps of 26×26".
pub fn layer_caption(maps: &FeatureMaps) -> String {
    format!(
        "{} ({}) · {} feature map{} of {}×{}",
        maps.name,
        maps.kind,
        maps.maps.len(),
        if maps.maps.len() == 1 { "" } else { "s" },
        maps.height,
        maps.width
    )
}

/// The first layer's filters' heading: "conv2d (Conv2D) · 32 filters of 3×3".
pub fn filters_caption(filters: &FeatureMaps) -> String {
    let n = filters.maps.len();
    format!(
        "{} ({}) · {n} filter{} of {}×{}",
        filters.name,
        filters.kind,
        if n == 1 { "" } else { "s" },
        filters.height,
        filters.width
    )
}

/// What a layer's maps mean, in plain words.
pub fn layer_note(kind: &str) -> &'static str {
    match kind {
        "Conv2D" => {
            "Each map is one filter slid over its input: bright where the pattern it learned is \
             there, dark where it is not."
        }
        "MaxPooling2D" => {
            "Each map keeps the strongest response of every small patch of the map before it: \
             smaller, coarser, the same number of maps."
        }
        _ => "",
    }
}

/// Which weights an answer shows, in plain words: "after epoch 3 (training…)", "best
/// checkpoint (epoch 4)", "final weights".
pub fn weights_label(seen: &SeenActivations) -> String {
    match (seen.training, seen.which, seen.epoch) {
        (true, _, Some(epoch)) => format!("after epoch {epoch} (training…)"),
        (true, _, None) => "as trained so far (training…)".into(),
        (false, WhichWeights::Best, Some(epoch)) => format!("best checkpoint (epoch {epoch})"),
        (false, WhichWeights::Best, None) => "best checkpoint".into(),
        (false, WhichWeights::Final, _) => "final weights".into(),
    }
}

/// The weights a click on a test image shows for run `run`: those the panel shows already
/// (unless they are a run in training's), else the best checkpoint when the run kept one.
pub fn weights_for_click(current: Option<(WhichWeights, bool)>, has_best: bool) -> WhichWeights {
    match current {
        Some((which, false)) => which,
        _ if has_best => WhichWeights::Best,
        _ => WhichWeights::Final,
    }
}

/// Shows what the network sees of test image `index` of run `run` (a click on an image of the
/// predictions grid or of a confusion-matrix cell), and brings the panel into view.
pub fn show_image(trainer: Trainer, run: u32, index: usize) {
    let current = trainer.weights.with_untracked(|w| {
        w.activations
            .as_ref()
            .filter(|a| a.run == run)
            .map(|a| (a.which, a.seen.as_ref().is_some_and(|s| s.training)))
    });
    let has_best = trainer.runs.with_untracked(|rs| {
        rs.iter()
            .any(|r| r.id == run && r.config.callbacks.model_checkpoint.is_some() && !r.restored)
    });
    trainer.activations(run, weights_for_click(current, has_best), index);
    if let Ok(Some(panel)) = document().query_selector("[data-testid=\"activations\"]") {
        panel.scroll_into_view();
    }
}

/// Whether run `run` has a Conv2D (its images can be looked into).
pub fn is_cnn_run(trainer: Trainer, run: u32) -> bool {
    trainer.runs.with_untracked(|rs| {
        rs.iter()
            .any(|r| r.id == run && crate::exercises::is_cnn(r))
    })
}

/// The number typed as the test image, or why it is not one.
pub fn parse_index(text: &str, test_images: Option<usize>) -> Result<usize, String> {
    let range = test_images.map_or(String::new(), |n| {
        format!(" from 0 to {}", n.saturating_sub(1))
    });
    match text.trim().parse::<usize>() {
        Ok(i) if test_images.is_none_or(|n| i < n) => Ok(i),
        _ => Err(format!("type a test image's number{range}")),
    }
}

/// A greyscale image of `width × height` bytes (white = 255), drawn on a canvas scaled up
/// with CSS.
#[component]
fn GreyMap(
    pixels: Vec<u8>,
    width: usize,
    height: usize,
    #[prop(optional, into)] title: String,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let Some(canvas) = canvas.get() else { return };
        let Ok(Some(ctx)) = canvas.get_context("2d") else {
            return;
        };
        let Ok(ctx) = ctx.dyn_into::<web_sys::CanvasRenderingContext2d>() else {
            return;
        };
        let rgba: Vec<u8> = pixels.iter().flat_map(|&p| [p, p, p, 255]).collect();
        if let Ok(image) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&rgba),
            width as u32,
            height as u32,
        ) {
            let _ = ctx.put_image_data(&image, 0.0, 0.0);
        }
    });
    view! {
        <canvas class="feature-map" width=width height=height node_ref=canvas title=title></canvas>
    }
}

/// One layer's maps as a grid.
fn maps_grid(maps: FeatureMaps, testid: &'static str) -> impl IntoView {
    let (w, h) = (maps.width, maps.height);
    let name = maps.name.clone();
    let is_filters = testid == "first-filters";
    let caption = if is_filters {
        filters_caption(&maps)
    } else {
        layer_caption(&maps)
    };
    let note = layer_note(&maps.kind);
    let what = if is_filters { "filter" } else { "map" };
    let images = maps
        .maps
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            view! { <GreyMap pixels=m.into_vec() width=w height=h title=format!("{name} · {what} {i}") /> }
        })
        .collect_view();
    view! {
        <div class="feature-layer">
            <h5>{caption}</h5>
            {(!note.is_empty() && testid == "feature-maps").then(|| view! { <p class="hint">{note}</p> })}
            <div class="feature-maps" data-testid=testid data-layer=maps.name.clone()>{images}</div>
        </div>
    }
}

/// The probability of each class as a bar, the predicted one marked.
fn probability_bars(probabilities: &[f32]) -> AnyView {
    let top = predicted(probabilities).map(|(i, _)| i);
    let rows = probabilities
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let percent = f64::from(p.clamp(0.0, 1.0)) * 100.0;
            view! {
                <div class="prob-row" class:top=top == Some(i)>
                    <span class="prob-name">{class_name(i)}</span>
                    <span class="prob-bar"><span style=format!("width: {percent:.1}%")></span></span>
                    <span class="prob-value">{format!("{percent:.1} %")}</span>
                </div>
            }
        })
        .collect_view();
    view! { <div class="prob-bars" data-testid="activation-probabilities">{rows}</div> }.into_any()
}

/// What one answer shows.
fn seen_view(seen: SeenActivations) -> impl IntoView {
    let label = format!("Weights shown: {}", weights_label(&seen));
    let guess = predicted(&seen.probabilities);
    let truth = usize::from(seen.true_class);
    let verdict = guess.map(|(class, p)| {
        let right = class == truth;
        format!(
            "The model says {} ({:.0} %){}",
            class_name(class),
            f64::from(p) * 100.0,
            if right { ": right." } else { ": wrong." }
        )
    });
    let filters = seen.filters.clone().map(|f| {
        view! {
            <div class="first-filters">
                <p class="hint">{format!(
                    "The {} filters of {} ({}×{} weights each, bright = large): the patterns the first layer looks for.",
                    f.maps.len(), f.name, f.height, f.width
                )}</p>
                {maps_grid(f, "first-filters")}
            </div>
        }
    });
    let bars = probability_bars(&seen.probabilities);
    let layers = seen
        .layers
        .into_iter()
        .map(|l| maps_grid(l, "feature-maps"))
        .collect_view();
    view! {
        <div class="seen">
            <p class="weights-shown" data-testid="activations-weights-label">{label}</p>
            <div class="seen-input">
                <figure>
                    <Digit pixels=seen.image.into_vec() title=format!("test image {}", seen.index) />
                    <figcaption data-testid="activations-image">{format!("test image {} · true class: {}", seen.index, class_name(truth))}</figcaption>
                </figure>
                <div>
                    <p data-testid="activations-verdict">{verdict}</p>
                    {bars}
                </div>
            </div>
            {filters}
            {layers}
        </div>
    }
}

/// "What the network sees" of run `run` while it trains (nothing for a model without a
/// Conv2D): the weights of its last finished epoch, asked again at each epoch's end.
#[component]
pub fn LiveActivations(trainer: Trainer, run: u32) -> impl IntoView {
    is_cnn_run(trainer, run).then(|| view! { <Activations trainer run has_best=false live=true /> })
}

/// "What the network sees" of run `run` (whose model has a Conv2D). `has_best`: the run kept a
/// best checkpoint, which is shown first. `live`: the run is training; its last finished
/// epoch's weights are shown, asked again at each epoch's end.
#[component]
pub fn Activations(
    trainer: Trainer,
    run: u32,
    has_best: bool,
    #[prop(optional)] live: bool,
) -> impl IntoView {
    let view_of = Memo::new(move |_| {
        trainer
            .weights
            .with(|w| w.activations.clone().filter(|a| a.run == run))
    });
    // What was shown while the run trained is asked again with the run's own weights once it
    // has ended (the learner's image kept); a finished run's answer is kept as it is.
    let carried = view_of.with_untracked(|v| {
        v.as_ref()
            .filter(|v| live || v.seen.as_ref().is_some_and(|s| !s.training))
            .map(|v| v.which)
    });
    let default_which = if has_best && !live {
        WhichWeights::Best
    } else {
        WhichWeights::Final
    };
    let which = RwSignal::new(if live {
        WhichWeights::Final
    } else {
        carried.unwrap_or(default_which)
    });
    let index = RwSignal::new(
        view_of
            .with_untracked(|v| v.as_ref().map(|v| v.index))
            .unwrap_or(0),
    );
    let typed = RwSignal::new(None::<(String, String)>);
    // An image picked elsewhere (the predictions grid, a confusion-matrix cell) is this
    // panel's image from then on.
    Effect::new(move |_| {
        if let Some((w, i)) = view_of.with(|v| v.as_ref().map(|v| (v.which, v.index))) {
            if i != index.get_untracked() {
                typed.set(None);
                index.set(i);
            }
            if !live && w != which.get_untracked() {
                which.set(w);
            }
        }
    });
    let test_images = move || {
        view_of.with(|v| {
            v.as_ref()
                .and_then(|v| v.seen.as_ref().map(|s| s.test_images))
        })
    };
    // The epochs the run has finished (a run in training's maps exist from the first on).
    let epochs = Memo::new(move |_| {
        trainer.runs.with(|rs| {
            rs.iter()
                .find(|r| r.id == run)
                .map_or(0, |r| r.epochs.len())
        })
    });
    let ask = move || {
        if !live || epochs.get_untracked() > 0 {
            trainer.activations(run, which.get_untracked(), index.get_untracked());
        }
    };
    if live {
        // At each epoch's end (and at once when an epoch has ended that is not shown yet).
        let shown_epoch = view_of.with_untracked(|v| {
            v.as_ref()
                .and_then(|v| v.seen.as_ref())
                .filter(|s| s.training)
                .and_then(|s| s.epoch)
        });
        Effect::new(move |previous: Option<usize>| {
            let n = epochs.get();
            let fresh = match previous {
                None => shown_epoch != Some(n),
                Some(p) => p != n,
            };
            if n > 0 && fresh {
                ask();
            }
            n
        });
    } else if carried.is_none() {
        // The first image, unless this run's view is already there (the results drawn again).
        ask();
    }
    let on_index = move |ev| {
        let text = event_target_value(&ev);
        match parse_index(&text, test_images()) {
            Ok(i) => {
                typed.set(None);
                index.set(i);
                ask();
            }
            Err(e) => typed.set(Some((text, e))),
        }
    };
    let next = move |_| {
        let n = test_images().unwrap_or(usize::MAX);
        typed.set(None);
        index.update(|i| *i = (*i + 1) % n.max(1));
        ask();
    };
    let weights_choice = (has_best && !live).then(|| {
        view! {
            <label class="inline">"weights "
                <select data-testid="activations-weights"
                    prop:value=move || if which.get() == WhichWeights::Best { "best" } else { "final" }
                    on:change=move |ev| {
                        which.set(if event_target_value(&ev) == "best" { WhichWeights::Best } else { WhichWeights::Final });
                        ask();
                    }>
                    <option value="best">"best checkpoint"</option>
                    <option value="final">"final"</option>
                </select>
            </label>
        }
    });
    let status = move || {
        view_of.get().map(|v| {
            view! {
                {v.loading.then(|| view! { <span class="note" data-testid="activations-loading">" computing…"</span> })}
                {v.failed.map(|e| view! { <p class="error" data-testid="activations-error">{format!("Cannot show what the network sees: {e}")}</p> })}
            }
        })
    };
    // A finished run's panel never shows an answer computed while it trained.
    let shown = move || {
        view_of
            .get()
            .and_then(|v| v.seen)
            .filter(|s| live || !s.training)
            .map(seen_view)
    };
    let waiting = move || {
        (live && epochs.get() == 0).then(|| view! {
            <p class="note" data-testid="activations-waiting">"The maps appear when the first epoch ends, then change after every epoch: watch the filters form."</p>
        })
    };
    view! {
        <section class="activations" data-testid="activations" data-live=live.to_string()>
            <h4>"What the network sees"</h4>
            <p class="hint">
                "A convolutional network turns the image into feature maps, layer after layer. \
                 Early maps still look like the garment (edges, outlines); deeper ones are smaller \
                 and more abstract: they say where a learned pattern is, not what the picture looks like. \
                 Each map is scaled on its own, from its weakest response (black) to its strongest (white)."
            </p>
            <div class="activations-controls">
                <label class="inline">"test image "
                    <input type="text" class="small" data-testid="activations-index"
                        prop:value=move || typed.with(|t| t.as_ref().map(|(text, _)| text.clone())).unwrap_or_else(|| index.get().to_string())
                        on:change=on_index />
                </label>
                <button data-testid="activations-next" on:click=next>"Next"</button>
                {weights_choice}
                {status}
            </div>
            {move || typed.with(|t| t.as_ref().map(|(_, e)| view! { <p class="error" data-testid="activations-index-error">{e.clone()}</p> }))}
            {waiting}
            {shown}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps(name: &str, kind: &str, n: usize, side: usize) -> FeatureMaps {
        FeatureMaps {
            name: name.into(),
            kind: kind.into(),
            height: side,
            width: side,
            maps: vec![serde_bytes::ByteBuf::from(vec![0; side * side]); n],
        }
    }

    #[test]
    fn the_prediction_is_the_most_probable_class() {
        assert_eq!(predicted(&[0.1, 0.7, 0.2]), Some((1, 0.7)));
        assert_eq!(predicted(&[0.5, 0.5]), Some((0, 0.5)));
        assert_eq!(predicted(&[]), None);
        assert_eq!(class_name(9), "Ankle boot");
        assert_eq!(class_name(12), "class 12");
    }

    #[test]
    fn each_layer_says_what_it_shows() {
        assert_eq!(
            layer_caption(&maps("conv2d", "Conv2D", 32, 26)),
            "conv2d (Conv2D) · 32 feature maps of 26×26"
        );
        assert_eq!(
            layer_caption(&maps("max_pooling2d_1", "MaxPooling2D", 1, 5)),
            "max_pooling2d_1 (MaxPooling2D) · 1 feature map of 5×5"
        );
        assert_eq!(
            filters_caption(&maps("conv2d", "Conv2D", 32, 3)),
            "conv2d (Conv2D) · 32 filters of 3×3"
        );
        assert!(layer_note("Conv2D").contains("filter"));
        assert!(layer_note("MaxPooling2D").contains("strongest"));
        assert_eq!(layer_note("Dense"), "");
    }

    fn seen(which: WhichWeights, epoch: Option<usize>, training: bool) -> SeenActivations {
        SeenActivations {
            run: 1,
            which,
            index: 0,
            image: serde_bytes::ByteBuf::from(vec![0; 784]),
            true_class: 0,
            layers: Vec::new(),
            filters: None,
            probabilities: vec![0.1; 10],
            test_images: 10_000,
            epoch,
            training,
        }
    }

    #[test]
    fn the_label_says_which_weights_are_shown() {
        assert_eq!(
            weights_label(&seen(WhichWeights::Final, Some(3), true)),
            "after epoch 3 (training…)"
        );
        assert_eq!(
            weights_label(&seen(WhichWeights::Best, Some(4), false)),
            "best checkpoint (epoch 4)"
        );
        assert_eq!(
            weights_label(&seen(WhichWeights::Final, None, false)),
            "final weights"
        );
    }

    #[test]
    fn a_click_keeps_the_panels_weights_unless_they_were_a_training_runs() {
        use WhichWeights::{Best, Final};
        assert_eq!(weights_for_click(Some((Final, false)), true), Final);
        assert_eq!(weights_for_click(Some((Best, false)), false), Best);
        assert_eq!(weights_for_click(Some((Final, true)), true), Best);
        assert_eq!(weights_for_click(None, true), Best);
        assert_eq!(weights_for_click(None, false), Final);
    }

    #[test]
    fn the_image_number_is_checked_against_the_test_set() {
        assert_eq!(parse_index(" 42 ", Some(10_000)), Ok(42));
        assert_eq!(parse_index("9999", Some(10_000)), Ok(9_999));
        assert_eq!(
            parse_index("10000", Some(10_000)),
            Err("type a test image's number from 0 to 9999".into())
        );
        assert_eq!(
            parse_index("-1", None),
            Err("type a test image's number".into())
        );
        assert_eq!(parse_index("7", None), Ok(7));
    }
}
