//! Step 3: the evaluation protocol (validation split and seed), with the resulting split
//! sizes per class.

use lab_spec::dataset::CLASS_NAMES;
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
        _ => Err("validation_split: must be a number in [0.05, 0.9)".into()),
    }
}

/// The seed typed by the learner; the message names the field.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| "seed: must be a whole number ≥ 0".into())
}

#[component]
pub fn Step3(
    trainer: Trainer,
    #[prop(into)] validation_split: Signal<f64>,
    #[prop(into)] seed: Signal<u64>,
    #[prop(into)] on_validation_split: Callback<f64>,
    #[prop(into)] on_seed: Callback<u64>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let sizes = move || {
        let DataState::Ready(s) = trainer.data.get() else {
            return None;
        };
        let val = validation_counts(&s.train_counts, validation_split.get());
        let v: usize = val.iter().sum();
        let total: usize = s.train_counts.iter().sum();
        let rows = (0..10).map(|c| view! {
            <tr><td>{CLASS_NAMES[c]}</td><td class="num">{s.train_counts[c] - val[c]}</td><td class="num">{val[c]}</td><td class="num">{s.test_counts[c]}</td></tr>
        }).collect_view();
        Some(view! {
            <p data-testid="split-sizes">{format!("train {} · validation {} · test {}", total - v, v, s.test_counts.iter().sum::<usize>())}</p>
            <table class="report"><thead><tr><th>"class"</th><th>"train"</th><th>"validation"</th><th>"test"</th></tr></thead><tbody>{rows}</tbody></table>
        })
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
                    <input type="text" data-testid="protocol-split" prop:value=move || validation_split.get().to_string()
                        on:change=move |ev| match parse_split(&event_target_value(&ev)) {
                            Ok(v) => { error.set(None); on_validation_split.run(v) }
                            Err(e) => error.set(Some(e)),
                        } /></label>
                <label class="field"><span>"seed"</span>
                    <input type="text" data-testid="protocol-seed" prop:value=move || seed.get().to_string()
                        on:change=move |ev| match parse_seed(&event_target_value(&ev)) {
                            Ok(v) => { error.set(None); on_seed.run(v) }
                            Err(e) => error.set(Some(e)),
                        } /></label>
            </div>
            {move || error.get().map(|e| view! { <p class="error" data-testid="config-error">{e}</p> })}
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
    }
}
