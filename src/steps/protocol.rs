//! Step 3: the evaluation protocol (validation split and seed), with the resulting split
//! sizes per class.

use lab_spec::dataset::CLASS_NAMES;
use lab_spec::limits::{check_seed, seed_message};
use leptos::prelude::*;

use crate::trainer::{DataState, Trainer};

/// Validation images per class: `split` of each class's training images, rounded (the
/// stratified split keeps each class's share).
pub fn validation_counts(train_counts: &[usize], split: f64) -> Vec<usize> {
    train_counts
        .iter()
        .map(|&n| (split * n as f64).round() as usize)
        .collect()
}

/// The validation split typed by the learner; the message names the field.
pub fn parse_split(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (0.05..0.9).contains(&v) => Ok(v),
        _ => Err(format!(
            "validation_split: must be a number in [0.05, 0.9) (got {:?})",
            text.trim()
        )),
    }
}

/// The seed typed by the learner, at most 2^53 − 1 (the largest whole number a browser carries
/// exactly); the message names the field.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let t = text.trim();
    match t.parse::<u64>() {
        Ok(seed) => check_seed("seed", seed)
            .map(|()| seed)
            .map_err(|e| e.to_string()),
        // More digits than 64 bits hold.
        Err(_) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
            Err(format!("seed: {}", seed_message(t)))
        }
        Err(_) => Err(format!("seed: must be a whole number ≥ 0 (got {text:?})")),
    }
}

/// What step 3 says instead of the split's sizes while a field holds a refused value.
pub fn stale_note(split: f64, seed: u64) -> String {
    format!(
        "The split sizes appear again once the fields hold valid values. Until then every run \
         keeps validation_split {split} and seed {seed}."
    )
}

/// A protocol field as the learner types it: checked at every keystroke, applied when
/// committed (Enter or leaving it) if valid. A refused value stays as typed, its message
/// beside the field; a valid one is applied and the field shows the value in force again.
#[component]
pub fn ProtocolInput<T: Send + Sync + 'static>(
    testid: &'static str,
    /// The value in force, as the field shows it.
    #[prop(into)]
    shown: Signal<String>,
    parse: fn(&str) -> Result<T, String>,
    on_commit: Callback<T>,
    /// Set while the field holds a refused value.
    refused: RwSignal<bool>,
) -> impl IntoView {
    // What the learner typed and is not applied yet, with why it is refused (if it is).
    let typed = RwSignal::new(None::<(String, Option<String>)>);
    Effect::new(move |_| {
        let bad = typed.with(|t| t.as_ref().is_some_and(|(_, e)| e.is_some()));
        refused.try_set(bad);
    });
    let text = move || {
        typed
            .with(|t| t.as_ref().map(|(text, _)| text.clone()))
            .unwrap_or_else(|| shown.get())
    };
    let message = move || typed.with(|t| t.as_ref().and_then(|(_, e)| e.clone()));
    view! {
        <input type="text" data-testid=testid prop:value=text
            // The `try_` accessors: Chromium fires `blur` (and `change`) on a focused field
            // while it is being removed, after this component's signals are disposed.
            on:input=move |ev| {
                let v = event_target_value(&ev);
                let error = parse(&v).err();
                typed.try_set(Some((v, error)));
            }
            on:change=move |ev| {
                if typed.is_disposed() {
                    return;
                }
                let v = event_target_value(&ev);
                match parse(&v) {
                    Ok(value) => {
                        on_commit.run(value);
                        typed.try_set(None);
                    }
                    Err(e) => {
                        typed.try_set(Some((v, Some(e))));
                    }
                }
            }
            on:blur=move |_| {
                if typed.try_with_untracked(|t| t.as_ref().is_some_and(|(_, e)| e.is_none())) == Some(true) {
                    typed.try_set(None);
                }
            } />
        {move || message().map(|e| view! {
            <span class="error" style="max-width: 18rem" data-testid=format!("{testid}-error")>{e}</span>
        })}
    }
}

#[component]
pub fn Step3(
    trainer: Trainer,
    #[prop(into)] validation_split: Signal<f64>,
    #[prop(into)] seed: Signal<u64>,
    #[prop(into)] on_validation_split: Callback<f64>,
    #[prop(into)] on_seed: Callback<u64>,
) -> impl IntoView {
    let split_refused = RwSignal::new(false);
    let seed_refused = RwSignal::new(false);
    let sizes = move || {
        let DataState::Ready(s) = trainer.data.get() else {
            return None;
        };
        // The sizes of values the learner is no longer looking at would mislead: say what is
        // still in force instead.
        if split_refused.get() || seed_refused.get() {
            return Some(view! {
                <p class="note stale" data-testid="split-stale">{stale_note(validation_split.get(), seed.get())}</p>
            }.into_any());
        }
        let val = validation_counts(&s.train_counts, validation_split.get());
        let v: usize = val.iter().sum();
        let total: usize = s.train_counts.iter().sum();
        let rows = (0..10).map(|c| view! {
            <tr><td>{CLASS_NAMES[c]}</td><td class="num">{s.train_counts[c] - val[c]}</td><td class="num">{val[c]}</td><td class="num">{s.test_counts[c]}</td></tr>
        }).collect_view();
        Some(view! {
            <p data-testid="split-sizes">{format!("train {} · validation {} · test {}", total - v, v, s.test_counts.iter().sum::<usize>())}</p>
            <div class="table-scroll">
                <table class="report" data-testid="split-table"><thead><tr><th>"class"</th><th>"train"</th><th>"validation"</th><th>"test"</th></tr></thead><tbody>{rows}</tbody></table>
            </div>
        }.into_any())
    };
    view! {
        <article>
            <h2>"3 · Choose the evaluation protocol"</h2>
            <p>"We hold out part of the training images as a "<b>"validation set"</b>": the model never trains on them, and we use them to \
                compare models and to decide when to stop. The "<b>"test set"</b>" is kept for the very end, so the final figure is honest: \
                a score we tuned against is no longer an estimate of new data."</p>
            <p>"The split is stratified (each class keeps its share) and seeded (the same seed, the same split)."</p>
            <div class="fields">
                <label class="field"><span>"validation_split"</span>
                    <ProtocolInput testid="protocol-split" parse=parse_split on_commit=on_validation_split refused=split_refused
                        shown=Signal::derive(move || validation_split.get().to_string()) /></label>
                <label class="field"><span>"seed"</span>
                    <ProtocolInput testid="protocol-seed" parse=parse_seed on_commit=on_seed refused=seed_refused
                        shown=Signal::derive(move || seed.get().to_string()) /></label>
            </div>
            {sizes}
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_counts_round_each_class() {
        assert_eq!(
            validation_counts(&[6000, 6000, 5], 0.2),
            vec![1200, 1200, 1]
        );
        assert_eq!(validation_counts(&[], 0.2), Vec::<usize>::new());
    }

    #[test]
    fn the_stale_note_says_what_is_in_force() {
        assert_eq!(
            stale_note(0.2, 42),
            "The split sizes appear again once the fields hold valid values. Until then every \
             run keeps validation_split 0.2 and seed 42."
        );
    }

    #[test]
    fn typed_protocol_values_are_checked() {
        assert_eq!(parse_split(" 0.25 "), Ok(0.25));
        assert!(
            parse_split("0.9")
                .unwrap_err()
                .starts_with("validation_split")
        );
        assert!(parse_split("0.01").is_err());
        assert!(parse_split("a").is_err());
        assert_eq!(parse_seed("7"), Ok(7));
        assert!(parse_seed("-1").unwrap_err().starts_with("seed"));
        // Up to 2^53 − 1: a seed crosses to the worker as a JavaScript number.
        assert_eq!(parse_seed(" 9007199254740991 "), Ok(9_007_199_254_740_991));
        let limit = "seed: must be at most 9007199254740991 (2^53 − 1), the largest whole \
                     number a browser carries exactly";
        assert_eq!(
            parse_seed("9007199254740992"),
            Err(format!("{limit} (got 9007199254740992)"))
        );
        assert_eq!(
            parse_seed("18446744073709551615"),
            Err(format!("{limit} (got 18446744073709551615)"))
        );
        assert_eq!(
            parse_seed("18446744073709551616"),
            Err(format!("{limit} (got 18446744073709551616)"))
        );
        assert_eq!(
            parse_seed("4.5"),
            Err("seed: must be a whole number ≥ 0 (got \"4.5\")".into())
        );
    }
}
