//! The data set choice in the header: "Fashion-MNIST images | IMDB movie reviews", two links
//! that set `dataset=` in the URL (the page's other parameters stay), so a link or a reload
//! keeps the choice.

use lab_spec::DatasetKind;
use leptos::prelude::*;

use crate::logic::{Route, dataset_title};

/// The hash that shows `route` on `dataset`. A link's `cfg` is for one data set: it goes when
/// the data set changes.
pub fn hash_for(route: &Route, dataset: DatasetKind) -> String {
    let mut r = route.with("dataset", Some(dataset.name().to_string()));
    if route.get("dataset").map(str::to_string) != Some(dataset.name().to_string()) {
        r = r.with("cfg", None);
    }
    r.to_hash()
}

#[component]
pub fn DatasetChoice(
    route: RwSignal<Route>,
    #[prop(into)] dataset: Signal<DatasetKind>,
) -> impl IntoView {
    let link = move |kind: DatasetKind, testid: &'static str| {
        view! {
            <a href=move || route.with(|r| hash_for(r, kind)) data-testid=testid
                class:active=move || dataset.get() == kind
                aria-current=move || (dataset.get() == kind).then_some("true")>{dataset_title(kind)}</a>
        }
    };
    view! {
        <nav class="dataset-choice" aria-label="Data set" data-testid="dataset-choice">
            {link(DatasetKind::FashionMnist, "dataset-fashion-mnist")}
            <span aria-hidden="true">" | "</span>
            {link(DatasetKind::Imdb, "dataset-imdb")}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_keeps_the_other_parameters_and_drops_a_config_of_the_other_set() {
        let r = Route::parse("#/step/5?subset=2000&cfg=abc");
        assert_eq!(
            hash_for(&r, DatasetKind::Imdb),
            "#/step/5?subset=2000&dataset=imdb"
        );
        let r = Route::parse("#/step/5?dataset=imdb&cfg=abc");
        assert_eq!(
            hash_for(&r, DatasetKind::Imdb),
            "#/step/5?cfg=abc&dataset=imdb"
        );
        assert_eq!(
            hash_for(&r, DatasetKind::FashionMnist),
            "#/step/5?dataset=fashion-mnist"
        );
    }
}
