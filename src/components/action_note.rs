//! The line beside a Train, Search or Retrain button: why it is disabled, that what it asks for
//! will wait for the data, that it waits (with the loading progress), or why it did not start.

use leptos::prelude::*;

use crate::trainer::Trainer;
use crate::trainer::pending::{ActionKind, Note, load_fraction};

/// The note of the button that asks for `kind`. With `only_before`, only what is said before
/// the button is pressed (why it is disabled, that it will wait): beside "Retrain best", whose
/// waiting and dropped retraining the run panel below shows. The test ids are
/// `{testid}-blocked`, `-will-wait`, `-waiting` and `-dropped`.
#[component]
pub fn ActionNote(
    trainer: Trainer,
    kind: ActionKind,
    #[prop(into)] testid: String,
    #[prop(optional)] only_before: bool,
) -> impl IntoView {
    let note = Memo::new(move |_| trainer.button(kind).note);
    move || {
        let id = |what: &str| format!("{testid}-{what}");
        match note.get()? {
            Note::Blocked(text) => Some(
                view! { <p class="note blocked" data-testid=id("blocked")>{text}</p> }.into_any(),
            ),
            Note::WillWait(text) => {
                Some(view! { <p class="note" data-testid=id("will-wait")>{text}</p> }.into_any())
            }
            Note::Waiting(_) | Note::Dropped(_) if only_before => None,
            Note::Waiting(text) => {
                let fraction = move || trainer.data.with(load_fraction);
                Some(
                    view! {
                        <div class="progress waiting" data-testid=id("waiting")>
                            <progress max="1" value=move || fraction().map(|f| f.to_string())></progress>
                            <span>{text}</span>
                        </div>
                    }
                    .into_any(),
                )
            }
            Note::Dropped(text) => {
                Some(view! { <p class="error" data-testid=id("dropped")>{text}</p> }.into_any())
            }
        }
    }
}
