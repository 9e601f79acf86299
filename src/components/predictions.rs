//! "Predict, as the course does": test images with the class the run's final model predicts,
//! its probability and the true class, 24 at a time ("more"), or only the mistakes. For a CNN,
//! a click on an image shows what the network sees of it (the activations panel above).

use lab_spec::dataset::CLASS_NAMES;
use lab_spec::worker::Prediction;
use leptos::prelude::*;

use crate::components::Digit;
use crate::trainer::Trainer;
use crate::trainer::views::PredictionsView;

/// A class's name, or its number when out of range.
fn class_name(class: u8) -> String {
    CLASS_NAMES
        .get(usize::from(class))
        .map_or_else(|| format!("class {class}"), |n| n.to_string())
}

/// What one image of the grid says: the prediction with its probability, and the truth.
pub fn caption(p: &Prediction) -> (String, String) {
    (
        format!(
            "{} · {:.0} %",
            class_name(p.predicted),
            f64::from(p.probability) * 100.0
        ),
        format!("true: {}", class_name(p.true_class)),
    )
}

/// How much of the grid is shown, once a page has arrived: nothing while the first page is on
/// its way (a fresh grid knows no total yet, "0 of 0 mistakes" would be wrong) or when it could
/// not be had.
pub fn grid_count(g: &PredictionsView) -> Option<String> {
    let arrived = !g.items.is_empty() || !(g.loading || g.failed.is_some());
    arrived.then(|| shown_text(g.items.len(), g.total, g.only_mistakes))
}

/// How much of the grid is shown: "24 of 10,000 test images", "24 of 1,532 mistakes".
pub fn shown_text(shown: usize, total: usize, only_mistakes: bool) -> String {
    let what = match (only_mistakes, total) {
        (true, 1) => "mistake",
        (true, _) => "mistakes",
        (false, 1) => "test image",
        (false, _) => "test images",
    };
    format!(
        "{} of {} {what}",
        lab_spec::model::group(shown),
        lab_spec::model::group(total)
    )
}

/// The predictions grid of run `run`, once the worker holds its model: at once for a run trained
/// (or loaded) in this page, once its stored weights are given back for a run restored after a
/// reload (until then, or when they were not kept, the weights panel says why).
#[component]
pub fn Predictions(trainer: Trainer, run: u32) -> impl IntoView {
    let held = Memo::new(move |_| trainer.without_weights(run).is_none());
    let grid = Memo::new(move |_| {
        trainer
            .weights
            .with(|w| w.predictions.clone().filter(|g| g.run == run))
    });
    let only_mistakes =
        Signal::derive(move || grid.with(|g| g.as_ref().is_some_and(|g| g.only_mistakes)));
    // A CNN's images open "what the network sees".
    let cnn = crate::components::activations::is_cnn_run(trainer, run);
    // The first page, unless this run's grid is already there (the results drawn again).
    let first_page = move || {
        if held.get_untracked() && grid.with_untracked(Option::is_none) {
            trainer.predictions(run, false, false);
        }
    };
    first_page();
    // A restored run's, once its weights are back in the worker.
    Effect::new(move |previous: Option<bool>| {
        let now = held.get();
        if previous == Some(false) && now {
            first_page();
        }
        now
    });
    let items = move || {
        grid.with(|g| g.as_ref().map_or_else(Vec::new, |g| g.items.clone()))
            .into_iter()
            .map(|p| {
                let (predicted, truth) = caption(&p);
                let wrong = p.predicted != p.true_class;
                let (index, title) = (p.index, format!("test image {}", p.index));
                let digit = if cnn {
                    view! {
                        <button type="button" class="digit-button" data-testid="see-activations"
                            data-index=index.to_string()
                            aria-label=format!("what the network sees of test image {index}")
                            title="what the network sees of this image"
                            on:click=move |_| crate::components::activations::show_image(trainer, run, index)>
                            <Digit pixels=p.image.into_vec() title=title />
                        </button>
                    }
                    .into_any()
                } else {
                    view! { <Digit pixels=p.image.into_vec() title=title /> }.into_any()
                };
                view! {
                    <figure class="prediction" class:wrong=wrong data-testid="prediction" data-index=index.to_string()>
                        {digit}
                        <figcaption>
                            <span class="predicted">{predicted}</span>
                            <span class="truth">{truth}</span>
                        </figcaption>
                    </figure>
                }
            })
            .collect_view()
    };
    let status = move || {
        grid.get().map(|g| {
            let more = g.items.len() < g.total && !g.loading;
            view! {
                {grid_count(&g).map(|count| view! { <p class="note" data-testid="predictions-shown">{count}</p> })}
                {more.then(|| view! {
                    <button data-testid="predictions-more" on:click=move |_| trainer.predictions(run, g.only_mistakes, true)>"More"</button>
                })}
                {g.loading.then(|| view! { <span class="note">" predicting…"</span> })}
                {g.failed.map(|e| view! { <p class="error" data-testid="predictions-error">{format!("No predictions: {e}")}</p> })}
            }
        })
    };
    move || {
        held.get().then(|| view! {
            <section class="predictions" data-testid="predictions">
                <h4>"Predictions on the test set"</h4>
                <label class="only-mistakes">
                    <input type="checkbox" data-testid="only-mistakes" prop:checked=only_mistakes
                        on:change=move |ev| trainer.predictions(run, event_target_checked(&ev), false) />
                    " only mistakes"
                </label>
                {cnn.then(|| view! { <p class="hint">"Click an image to see what the network sees of it."</p> })}
                <div class="prediction-grid">{items}</div>
                {status}
            </section>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test image 3, a T-shirt/top the model calls a Shirt at 87 %.
    fn shirt_for_a_top() -> Prediction {
        Prediction {
            index: 3,
            image: serde_bytes::ByteBuf::from(vec![0; 784]),
            true_class: 0,
            predicted: 6,
            probability: 0.874,
        }
    }

    #[test]
    fn each_image_says_its_prediction_probability_and_truth() {
        let p = shirt_for_a_top();
        assert_eq!(
            caption(&p),
            ("Shirt · 87 %".to_string(), "true: T-shirt/top".to_string())
        );
        assert_eq!(shown_text(24, 10_000, false), "24 of 10,000 test images");
        assert_eq!(shown_text(1, 1, true), "1 of 1 mistake");
    }

    /// "Only mistakes" ticked: while its first page is on its way the grid gives no count (it
    /// knows none yet), then the page's; "more" keeps the count of what is shown.
    #[test]
    fn the_count_waits_for_the_first_page() {
        let p = shirt_for_a_top();
        let mut g = PredictionsView {
            run: 1,
            only_mistakes: true,
            items: Vec::new(),
            total: 0,
            loading: true,
            failed: None,
        };
        assert_eq!(grid_count(&g), None);
        g.failed = Some("the worker stopped".into());
        g.loading = false;
        assert_eq!(grid_count(&g), None);
        g.failed = None;
        assert_eq!(grid_count(&g).as_deref(), Some("0 of 0 mistakes"));
        g.items = vec![p; 24];
        g.total = 3_427;
        g.loading = true;
        assert_eq!(grid_count(&g).as_deref(), Some("24 of 3,427 mistakes"));
    }
}
