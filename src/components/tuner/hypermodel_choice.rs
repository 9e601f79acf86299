//! "Search: an MLP | a small CNN": which model the search builds. Switching swaps the space
//! (and the batch size) for that model's; the algorithm, objective, seed and retraining stay.

use lab_spec::DatasetKind;
use lab_spec::tuning::{Hypermodel, TunerConfig};
use leptos::prelude::*;

/// The course's search for `hypermodel` on the config's data set.
pub(super) fn course_search(hypermodel: Hypermodel, dataset: DatasetKind) -> TunerConfig {
    match (hypermodel, dataset) {
        (Hypermodel::Cnn, _) => TunerConfig::small_cnn(),
        (Hypermodel::Mlp, DatasetKind::Imdb) => TunerConfig::seed_004_imdb(),
        (Hypermodel::Mlp, DatasetKind::FashionMnist) => TunerConfig::seed_004(),
    }
}

/// `config` searching `to` instead: that model's course space, name and batch size; the rest
/// of the settings kept. Unchanged when it searches `to` already.
pub(super) fn switch_hypermodel(config: &TunerConfig, to: Hypermodel) -> TunerConfig {
    if config.hypermodel == to {
        return config.clone();
    }
    let course = course_search(to, config.dataset);
    TunerConfig {
        name: course.name,
        hyperparameters: course.hyperparameters,
        batch_size: course.batch_size,
        hypermodel: to,
        ..config.clone()
    }
}

#[component]
pub(super) fn HypermodelChoice(
    config: RwSignal<TunerConfig>,
    error: RwSignal<Option<String>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let is = move |h: Hypermodel| config.with(|c| c.hypermodel == h);
    // A CNN reads images: the choice is offered on Fashion-MNIST (and whenever a CNN is
    // searched, so that it can be undone).
    let offered = Memo::new(move |_| {
        config.with(|c| c.dataset == DatasetKind::FashionMnist || !c.hypermodel.is_mlp())
    });
    move || {
        offered.get().then(|| view! {
            <label class="field" data-testid="search-hypermodel-field"><span>"Search"</span>
                <select data-testid="search-hypermodel" prop:disabled=move || disabled.get() on:change=move |ev| {
                    let to = if event_target_value(&ev) == "cnn" { Hypermodel::Cnn } else { Hypermodel::Mlp };
                    config.update(|c| *c = switch_hypermodel(c, to));
                    error.set(None);
                }>
                    <option value="mlp" selected=move || is(Hypermodel::Mlp)>"an MLP (Dense layers with L2 and Dropout)"</option>
                    <option value="cnn" selected=move || is(Hypermodel::Cnn)>
                        "a small CNN (conv blocks: Conv2D + MaxPooling2D, then Dense)"
                    </option>
                </select>
            </label>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::tuning::Algorithm;

    #[test]
    fn switching_swaps_the_space_and_keeps_the_settings() {
        let mut c = TunerConfig::seed_004();
        c.seed = 7;
        c.retrain_epochs = 3;
        c.algorithm = Algorithm::RandomSearch {
            max_trials: 2,
            epochs: 1,
        };
        let cnn = switch_hypermodel(&c, Hypermodel::Cnn);
        assert_eq!(cnn.hypermodel, Hypermodel::Cnn);
        assert_eq!(
            cnn.hyperparameters,
            TunerConfig::small_cnn().hyperparameters
        );
        assert_eq!(cnn.batch_size, 128);
        assert_eq!((cnn.seed, cnn.retrain_epochs), (7, 3));
        assert_eq!(cnn.algorithm, c.algorithm);
        cnn.validate(None).unwrap();
        // The same choice again changes nothing, even an edited space.
        let mut edited = cnn.clone();
        edited.hyperparameters.pop();
        assert_eq!(switch_hypermodel(&edited, Hypermodel::Cnn), edited);
        // And back: the course's MLP space, the settings still kept.
        let mlp = switch_hypermodel(&cnn, Hypermodel::Mlp);
        assert_eq!(mlp.hyperparameters, TunerConfig::seed_004().hyperparameters);
        assert_eq!((mlp.batch_size, mlp.seed), (512, 7));
        assert!(mlp.hypermodel.is_mlp());
    }

    #[test]
    fn an_imdb_search_goes_back_to_the_imdb_space() {
        let imdb = TunerConfig::seed_004_imdb();
        assert_eq!(course_search(Hypermodel::Mlp, DatasetKind::Imdb), imdb);
        let mut c = imdb.clone();
        c.hypermodel = Hypermodel::Cnn;
        assert_eq!(
            switch_hypermodel(&c, Hypermodel::Mlp).hyperparameters,
            imdb.hyperparameters
        );
    }
}
