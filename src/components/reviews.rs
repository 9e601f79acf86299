//! Reviews as the lab shows them: the text with its top-weighted terms highlighted (`<mark>`),
//! and the reviews of a confusion-matrix cell of an IMDB run.

use lab_spec::worker::ReviewTerms;
use leptos::prelude::*;

use crate::steps::text::label_name;
use crate::trainer::Trainer;
use crate::trainer::text::{cell_text, highlight};

/// One review, its top terms highlighted.
#[component]
pub fn Review(review: ReviewTerms) -> impl IntoView {
    let parts = highlight(&review.text, &review.spans)
        .into_iter()
        .map(|(text, marked)| {
            if marked {
                view! { <mark>{text}</mark> }.into_any()
            } else {
                text.into_any()
            }
        })
        .collect_view();
    let terms: Vec<String> = review.terms.iter().map(|(t, _)| t.clone()).collect();
    view! {
        <div class="review" data-testid="review" data-index=review.index>
            <p class="review-meta">
                <span class=format!("review-label {}", label_name(review.label))>{label_name(review.label)}</span>
                {format!(" · review {} · top terms: {}", review.index, terms.join(", "))}
            </p>
            <p class="review-text">{parts}</p>
        </div>
    }
}

/// The test reviews of cell (`actual`, `predicted`) of run `run` (`count` in all), once the
/// worker has sent them.
#[component]
pub fn CellReviewList(
    trainer: Trainer,
    run: u32,
    actual: u8,
    predicted: u8,
    count: usize,
) -> impl IntoView {
    move || {
        let cell = trainer
            .text
            .get()
            .cell
            .filter(|c| (c.run, c.actual, c.predicted) == (run, actual, predicted));
        let (a, p) = (label_name(actual), label_name(predicted));
        let Some(c) = cell else {
            return view! {
                <div class="cell-images loading" data-testid="misclassified-loading" aria-live="polite">
                    <p>{format!("loading the reviews of {a} → {p}…")}</p>
                </div>
            }
            .into_any();
        };
        if let Some(why) = c.message {
            return view! { <div class="cell-images" data-testid="misclassified"><p>{why}</p></div> }.into_any();
        }
        let shown = c.reviews.len();
        view! {
            <div class="cell-images cell-reviews" data-testid="misclassified" aria-live="polite">
                <p data-testid="misclassified-count">{cell_text(shown, count, a, p)}</p>
                {c.reviews.into_iter().map(|r| view! { <Review review=r /> }).collect_view()}
            </div>
        }
        .into_any()
    }
}
