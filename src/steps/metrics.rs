//! Step 2: the metric of success (accuracy or macro-F1).

use leptos::prelude::*;

#[component]
pub fn Step2(
    /// The chosen metric: "accuracy" or "macro_f1".
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
            <p><b>"Accuracy"</b>" is the share of test images classified correctly. With balanced classes, as here, it is a fair single number."</p>
            <p><b>"Macro-F1"</b>" averages, over the ten classes, the harmonic mean of precision (of the images called \"Shirt\", how many are shirts) \
                and recall (of the shirts, how many were found). It drops when one class is handled badly even if the others are fine — \
                the confusion matrix of step 5 shows which one (usually Shirt against T-shirt, Pullover and Coat)."</p>
            <p>"Pick the metric you will judge your models by; the results of steps 5–7 show both, and the chosen one is highlighted there."</p>
            <div class="choice">{option("accuracy", " accuracy")}{option("macro_f1", " macro-F1")}</div>
            <p data-testid="chosen-metric">{move || format!("Success metric: {}", if metric.get() == "macro_f1" { "macro-F1" } else { "accuracy" })}</p>
        </article>
    }
}
