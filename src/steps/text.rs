//! Steps 1–4 on the IMDB movie reviews: the problem and a look at the reviews, accuracy and
//! F1, the train/validation/test protocol, and how a review becomes features (the vectorizer's
//! settings and one review's top-weighted terms). The same shell state as the image steps
//! (split, seed, the chosen metric); the vectorizer is the text steps' own.

use lab_spec::dataset::IMDB_CLASS_NAMES;
use lab_spec::text::{StopWords, VectorizerConfig, Weighting};
use lab_spec::{InputKind, TrainingConfig};
use leptos::prelude::*;

use crate::components::reviews::Review;
use crate::steps::protocol::{
    ProtocolInput, parse_seed, parse_split, stale_note, validation_counts,
};
use crate::trainer::text::TermsView;
use crate::trainer::{DataState, Trainer};

/// Where the reviews come from, said where the data is described.
pub const CREDIT: &str = "The reviews are the Large Movie Review Dataset of Andrew L. Maas et al., \
    \"Learning Word Vectors for Sentiment Analysis\" (ACL 2011): 50,000 IMDB reviews, half for \
    training and half for testing, the two halves about different movies.";

/// A label's name ("negative", "positive", "?" for anything else).
pub fn label_name(label: u8) -> &'static str {
    IMDB_CLASS_NAMES
        .get(usize::from(label))
        .copied()
        .unwrap_or("?")
}

/// The builder's input line for a text model: "Input: each review as 10,000 TF-IDF features".
pub fn features_text(config: &TrainingConfig) -> Option<String> {
    let InputKind::Features(n) = config.model.input else {
        return None;
    };
    let what = match config.vectorizer().weighting {
        Weighting::Tfidf => "TF-IDF features",
        Weighting::Counts => "word-count features",
    };
    Some(format!(
        "Input: each review as {} {what} (set in step 4)",
        lab_spec::model::group(n)
    ))
}

/// The max_features the learner typed; the message names the field.
pub fn parse_max_features(text: &str) -> Result<usize, String> {
    let n: usize = text.trim().parse().map_err(|_| {
        format!(
            "vectorizer.max_features: must be a whole number ≥ 1 (got {:?})",
            text.trim()
        )
    })?;
    let v = VectorizerConfig {
        max_features: n,
        ..VectorizerConfig::default()
    };
    v.validate().map(|()| n).map_err(|e| e.to_string())
}

#[component]
pub fn TextStep1(trainer: Trainer) -> impl IntoView {
    let body = move || {
        let DataState::Ready(s) = trainer.data.get() else {
            return view! { <p>"The reviews appear here once they are loaded."</p> }.into_any();
        };
        let summary = trainer.text.with(|t| t.summary.clone());
        let samples = summary.as_ref().map(|t| {
            t.samples
                .iter()
                .map(|r| {
                    view! {
                        <li class="sample-review" data-testid="sample-review">
                            <span class=format!("review-label {}", label_name(r.label))>{label_name(r.label)}</span>
                            <span class="review-words">{format!(" · {} words · ", r.words)}</span>
                            <span class="review-text">{r.text.clone()}</span>
                        </li>
                    }
                })
                .collect_view()
        });
        let lengths = summary.as_ref().map(|t| {
            format!(
                "A review has {:.0} words on average (half of them have fewer than {}).",
                t.mean_words, t.median_words
            )
        });
        let total: usize = s.train_counts.iter().sum();
        let rows = (0..2)
            .map(|c| {
                view! {
                    <tr data-testid="class-row">
                        <td>{c}</td><td>{label_name(c as u8)}</td>
                        <td class="num">{s.train_counts.get(c).copied().unwrap_or(0)}</td>
                        <td class="num">{s.test_counts.get(c).copied().unwrap_or(0)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-scroll">
                <table class="classes" data-testid="class-grid">
                    <thead><tr><th>"label"</th><th>"class"</th><th>"train"</th><th>"test"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p data-testid="naive-baseline">{format!(
                "{total} training reviews, {} negative and {} positive. Always answering the most frequent class — the naive \
                 baseline — is right {:.1} % of the time ({:.2}): any model must beat that.",
                s.train_counts.first().copied().unwrap_or(0), s.train_counts.get(1).copied().unwrap_or(0),
                100.0 * s.naive_baseline_accuracy, s.naive_baseline_accuracy)}</p>
            <p data-testid="review-lengths">{lengths}</p>
            <h3>"A few training reviews"</h3>
            <ul class="sample-reviews" data-testid="sample-reviews">{samples}</ul>
        }
        .into_any()
    };
    view! {
        <article>
            <h2>"1 · Define the problem and look at the data"</h2>
            <p>"The task: given the text of a movie review, say whether it is negative or positive. This is binary \
                classification: one output, the probability that the review is positive, and 0.5 as the line between the two answers."</p>
            <p class="hint" data-testid="data-credit">{CREDIT}</p>
            {body}
        </article>
    }
}

#[component]
pub fn TextStep2(
    /// The chosen metric: "accuracy" or "f1".
    #[prop(into)]
    metric: Signal<String>,
    #[prop(into)] on_metric: Callback<String>,
) -> impl IntoView {
    let option = move |value: &'static str, label: &'static str| {
        view! {
            <label class="inline">
                <input type="radio" name="metric" value=value data-testid=format!("metric-{value}")
                    prop:checked=move || metric.get() == value on:change=move |_| on_metric.run(value.into()) />
                {label}
            </label>
        }
    };
    view! {
        <article>
            <h2>"2 · Choose the metrics of success"</h2>
            <p><b>"Accuracy"</b>" is the share of test reviews classified correctly. The IMDB classes are balanced, so it is fair here."</p>
            <p><b>"F1"</b>" of the positive class is the harmonic mean of "<b>"precision"</b>" (of the reviews called positive, how many are) \
                and "<b>"recall"</b>" (of the positive reviews, how many were found). "
                <span data-testid="why-f1">"Why F1: when one class is rare, a model that always says the common class has a high accuracy and \
                an F1 of 0 — F1 only rises when the model finds the positive reviews and is right about them."</span></p>
            <p>"The "<b>"confusion matrix"</b>" shows the four counts behind both: true negatives, false positives, false negatives, true positives."</p>
            <div class="choice">{option("accuracy", " accuracy")}{option("f1", " F1")}</div>
            <p data-testid="chosen-metric">{move || format!("Success metric: {}", if metric.get() == "accuracy" { "accuracy" } else { "F1" })}</p>
        </article>
    }
}

#[component]
pub fn TextStep3(
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
        if split_refused.get() || seed_refused.get() {
            return Some(view! {
                <p class="note stale" data-testid="split-stale">{stale_note(validation_split.get(), seed.get())}</p>
            }.into_any());
        }
        let val = validation_counts(&s.train_counts, validation_split.get());
        let v: usize = val.iter().sum();
        let total: usize = s.train_counts.iter().sum();
        let test: usize = s.test_counts.iter().sum();
        Some(view! {
            <p data-testid="split-sizes">{format!("train {} · validation {v} · test {test}", total - v)}</p>
        }.into_any())
    };
    view! {
        <article>
            <h2>"3 · Choose the evaluation protocol"</h2>
            <p>"Of the 25,000 training reviews, a share is held out as the "<b>"validation set"</b>" (with 0.2: 20,000 to train on, \
                5,000 to compare models and decide when to stop). The 25,000 "<b>"test"</b>" reviews wait for the very end. \
                They are about different movies than the training reviews, so a model cannot score by recognising a film's name \
                or cast: the test figure is an honest estimate for new movies."</p>
            <p>"The split is stratified (each class keeps its share) and seeded (the same seed, the same split). \
                The vectorizer of step 4 is fitted on the training reviews only."</p>
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

#[component]
pub fn TextStep4(
    trainer: Trainer,
    #[prop(into)] vectorizer: Signal<VectorizerConfig>,
    #[prop(into)] on_vectorizer: Callback<VectorizerConfig>,
) -> impl IntoView {
    let index = RwSignal::new(0usize);
    let refused = RwSignal::new(false);
    // The worker vectorizes with these settings (once per settings) and sends the review.
    Effect::new(move |_| {
        if matches!(trainer.data.get(), DataState::Ready(_)) {
            trainer.top_terms(vectorizer.get(), index.get());
        }
    });
    let set = move |f: fn(&mut VectorizerConfig)| {
        let mut v = vectorizer.get_untracked();
        f(&mut v);
        on_vectorizer.run(v);
    };
    let radio = move |name: &'static str,
                      testid: &'static str,
                      label: &'static str,
                      on: fn(&VectorizerConfig) -> bool,
                      f: fn(&mut VectorizerConfig)| {
        view! {
            <label class="inline"><input type="radio" name=name data-testid=testid prop:checked=move || on(&vectorizer.get())
                on:change=move |_| set(f) />{label}</label>
        }
    };
    let terms = move || {
        match trainer.text.get().terms? {
        TermsView::Asked => Some(view! { <p class="note" data-testid="terms-loading">"vectorizing the training reviews…"</p> }.into_any()),
        TermsView::Failed(e) => Some(view! { <p class="error" data-testid="terms-error">{e}</p> }.into_any()),
        TermsView::Ready { vocabulary, review, .. } => {
            let list = review
                .terms
                .iter()
                .map(|(t, w)| view! { <tr><td>{t.clone()}</td><td class="num">{format!("{w:.3}")}</td></tr> })
                .collect_view();
            Some(view! {
                <p data-testid="vocabulary">{format!("Vocabulary: {} terms kept, fitted on the training reviews.", lab_spec::model::group(vocabulary))}</p>
                <div class="review-terms" data-testid="top-terms">
                    <Review review=review.clone() />
                    <table class="report"><thead><tr><th>"term"</th><th>"weight"</th></tr></thead><tbody>{list}</tbody></table>
                </div>
            }.into_any())
        }
    }
    };
    view! {
        <article>
            <h2>"4 · Prepare the data"</h2>
            <p>"A network takes numbers, not words. The "<b>"vectorizer"</b>" turns each review into a row of "<i>"max_features"</i>
                " numbers, one per word of a vocabulary of the most frequent words in the training reviews:"</p>
            <ul>
                <li><b>"counts"</b>": how often each word occurs in the review;"</li>
                <li><b>"TF-IDF"</b>": the count weighted down for words found in many reviews (\"movie\", \"film\") and up for rarer, \
                    telling ones, each row scaled to length 1."</li>
                <li><b>"stop words"</b>": leaving out very common English words (\"the\", \"and\", \"is\") that say little."</li>
            </ul>
            <p>"Most of a row is zero: a review uses a few hundred of the 10,000 words. The lab keeps rows sparse and builds each \
                batch as dense numbers only when it is trained on."</p>
            <div class="fields">
                <label class="field"><span>"max_features"</span>
                    <ProtocolInput testid="vectorizer-max-features" parse=parse_max_features refused
                        on_commit=Callback::new(move |n: usize| {
                            let mut v = vectorizer.get_untracked();
                            v.max_features = n;
                            on_vectorizer.run(v);
                        })
                        shown=Signal::derive(move || vectorizer.get().max_features.to_string()) /></label>
            </div>
            <div class="choice">
                {radio("stop", "stop-english", " English stop words left out", |v| v.stop_words == StopWords::English, |v| v.stop_words = StopWords::English)}
                {radio("stop", "stop-none", " all words kept", |v| v.stop_words == StopWords::None, |v| v.stop_words = StopWords::None)}
            </div>
            <div class="choice">
                {radio("weighting", "weighting-tfidf", " TF-IDF", |v| v.weighting == Weighting::Tfidf, |v| v.weighting = Weighting::Tfidf)}
                {radio("weighting", "weighting-counts", " counts", |v| v.weighting == Weighting::Counts, |v| v.weighting = Weighting::Counts)}
                <button data-testid="another-review" on:click=move |_| index.update(|i| *i += 1)>"another review"</button>
            </div>
            <p class="hint">"These settings apply to every IMDB run of steps 5–8: the model's input is max_features wide."</p>
            {terms}
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_features_is_checked_naming_the_field() {
        assert_eq!(parse_max_features(" 5000 "), Ok(5000));
        for bad in ["0", "x", "-3"] {
            let e = parse_max_features(bad).unwrap_err();
            assert!(e.starts_with("vectorizer.max_features"), "{e}");
        }
    }

    #[test]
    fn the_input_line_says_the_features() {
        let c = lab_spec::binary::imdb_baseline();
        assert_eq!(
            features_text(&c).unwrap(),
            "Input: each review as 10,000 TF-IDF features (set in step 4)"
        );
        assert!(features_text(&crate::presets::baseline()).is_none());
        assert_eq!(label_name(1), "positive");
        assert_eq!(label_name(7), "?");
    }
}
