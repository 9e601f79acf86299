//! Step 8's search panel: the model searched (an MLP or a small CNN), the space and settings,
//! the plan with a time estimate, Search and Stop, the live progress, trial chart and table,
//! then the best values and the exports. The search itself runs in the worker; each part lives
//! in its own file.

mod best;
mod errors;
mod export;
mod hypermodel_choice;
mod plan;
mod settings;
mod space_editor;
mod status;
mod trial_chart;
mod trial_table;

use lab_spec::TrainingConfig;
use lab_spec::tuning::TunerConfig;
use leptos::prelude::*;

use crate::components::action_note::ActionNote;
use crate::components::run_panel::keep_focus_with_the_run;
use crate::trainer::pending::ActionKind;
use crate::trainer::{DataState, Trainer};
use best::BestValues;
use export::ExportButtons;
use hypermodel_choice::HypermodelChoice;
use plan::PlanView;
use settings::SearchSettings;
use space_editor::SpaceEditor;
use status::SearchProgress;
use trial_chart::TrialChart;
use trial_table::TrialTable;

/// The search part of step 8. `on_retrain` receives the best values' training config and
/// answers whether the retraining was accepted.
#[component]
pub fn TunerPanel(
    trainer: Trainer,
    config: RwSignal<TunerConfig>,
    /// Quick-run subset from the URL, applied to the search and the retraining.
    #[prop(into)]
    subset: Signal<Option<usize>>,
    on_retrain: Callback<TrainingConfig, Result<(), String>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let run_error = RwSignal::new(None::<String>);
    // A run or search in progress, or one waiting for the data: the form is frozen.
    let busy = Signal::derive(move || trainer.busy().is_busy());
    let can_search = Signal::derive(move || trainer.button(ActionKind::Search).enabled);
    let effective = Signal::derive(move || {
        let mut c = config.get();
        if let Some(s) = subset.get() {
            c.subset = Some(s);
        }
        c
    });
    // Every reason the search cannot start, each naming its field.
    let invalid = Memo::new(move |_| {
        let available = trainer.data.with(DataState::train_images);
        effective
            .with(|c| errors::all_errors(c, (available > 0).then_some(available)))
            .into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    });
    let start = move |_| match trainer.tune(effective.get_untracked()) {
        Ok(_) => run_error.set(None),
        Err(e) => run_error.set(Some(e)),
    };
    let search = Signal::derive(move || trainer.search.get());
    let (search_button, stop_button) = (NodeRef::new(), NodeRef::new());
    keep_focus_with_the_run(busy, search_button, stop_button);
    let finished = move || {
        let s = search.get()?;
        if s.is_running() || s.trials.is_empty() {
            return None;
        }
        let best = s.best().cloned().map(|best| {
            view! { <BestValues trainer config=s.config.clone() best subset on_retrain error=run_error /> }
        });
        Some(view! {
            <div class="search-end">
                {best}
                <ExportButtons config=s.config trials=s.trials />
            </div>
        })
    };
    view! {
        <div class="tuner">
            <h3>"Search space"</h3>
            <HypermodelChoice config error disabled=busy />
            <SpaceEditor config error disabled=busy />
            <SearchSettings config error disabled=busy />
            {move || error.get().map(|e| view! { <p class="error" data-testid="space-error">{e}</p> })}
            {move || {
                let errors = invalid.get();
                (!errors.is_empty()).then(|| view! {
                    <ul class="error error-list" data-testid="search-invalid">
                        {errors.into_iter().map(|e| view! { <li data-testid="search-invalid-item">{e}</li> }).collect_view()}
                    </ul>
                })
            }}
            {move || subset.get().map(|s| view! { <p class="quick" data-testid="quick-run">{format!("Quick run from the URL: subset={s}")}</p> })}
            <h3>"Plan"</h3>
            <PlanView trainer config=effective />
            <div class="controls">
                <button class="primary" data-testid="search" node_ref=search_button prop:disabled=move || !can_search.get() || invalid.with(|e| !e.is_empty()) on:click=start>"Search"</button>
                <button data-testid="stop-search" node_ref=stop_button prop:disabled=move || !busy.get() on:click=move |_| trainer.stop()>"Stop"</button>
            </div>
            <ActionNote trainer kind=ActionKind::Search testid="search" />
            {move || run_error.get().map(|e| view! { <p class="error" data-testid="search-error">{e}</p> })}
            <SearchProgress search />
            <TrialChart search />
            <TrialTable search />
            {finished}
        </div>
    }
}
