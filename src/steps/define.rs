//! Step 1: the problem, and a look at the data (samples and counts per class, the naive
//! baseline).

use lab_spec::dataset::CLASS_NAMES;
use leptos::prelude::*;

use crate::components::Digit;
use crate::steps::prepare::DRAWING_NOTE;
use crate::trainer::{DataState, Trainer};

#[component]
pub fn Step1(trainer: Trainer) -> impl IntoView {
    view! {
        <article>
            <h2>"1 · Define the problem and look at the data"</h2>
            <p>"The task: given a 28×28 grey photo of a piece of clothing, say which of ten classes it is. \
                This is multi-class classification with one label per image. The inputs are 784 pixel \
                intensities (0–255); the targets are integers 0–9."</p>
            <p class="hint">{DRAWING_NOTE}</p>
            {move || match trainer.data.get() {
                DataState::Ready(s) => {
                    let total_train: usize = s.train_counts.iter().sum();
                    let rows = (0..10).map(|c| view! {
                        <tr data-testid="class-row">
                            <td>{c}</td>
                            <td>{CLASS_NAMES[c]}</td>
                            <td class="digits">{s.samples[c].iter().map(|px| view! { <Digit pixels=px.to_vec() title=CLASS_NAMES[c] /> }).collect_view()}</td>
                            <td class="num">{s.train_counts[c]}</td>
                            <td class="num">{s.test_counts[c]}</td>
                        </tr>
                    }).collect_view();
                    view! {
                        <div class="table-scroll">
                            <table class="classes" data-testid="class-grid">
                                <thead><tr><th>"label"</th><th>"class"</th><th>"examples"</th><th>"train"</th><th>"test"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                        <p data-testid="naive-baseline">{format!(
                            "The classes are balanced ({} training images, {} per class). Always answering the most frequent class \
                             — the naive baseline — is right {:.1} % of the time: any model must beat that.",
                            total_train, s.train_counts[0], 100.0 * s.naive_baseline_accuracy)}</p>
                    }.into_any()
                }
                _ => view! { <p>"The images appear here once the data is loaded."</p> }.into_any(),
            }}
        </article>
    }
}
