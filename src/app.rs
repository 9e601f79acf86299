//! The shell: the route (the URL's hash, and a notice when it names no page of the lab), the
//! header (backend badge; the data status is `components::data_status`, where a link's `data=`
//! on another origin, decided here, waits for the learner's confirmation), the eight-step
//! navigation, the link's errors, the tab's storage errors and the current step's page. It owns
//! what the steps share (the choices of steps 2–4, the configs of steps 5–8) and records the
//! exercises passed; the steps themselves are in `steps/`.

use gloo_events::{EventListener, EventListenerOptions};
use lab_spec::text::VectorizerConfig;
use lab_spec::tuning::TunerConfig;
use lab_spec::worker::BackendChoice;
use lab_spec::{DatasetKind, InputKind, Normalization, TrainingConfig};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::data_status::{DataLink, DataStatus};
use crate::components::my_runs::MyRuns;
use crate::dataset_choice::DatasetChoice;
use crate::exercises::{self, EXERCISE_STEPS};
use crate::form_restore;
use crate::logic::{Route, url_overrides};
use crate::presets;
use crate::progress::Progress;
use crate::route_notice::route_notice;
use crate::steps::STEPS;
use crate::steps::pages::{self, Build, Group, PageKey, PageLoadError, Shared};
use crate::trainer::{Trainer, use_trainer};

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The protocol (step 3) and preparation (step 4) that every training step uses.
#[derive(Clone, Copy)]
struct Protocol {
    validation_split: RwSignal<f64>,
    seed: RwSignal<u64>,
    normalization: RwSignal<Normalization>,
}

#[component]
pub fn App() -> impl IntoView {
    let route = RwSignal::new(Route::parse(&current_hash()));
    // Said above the page when the hash names no page of the lab (step 1 is shown instead).
    let notice = RwSignal::new(route_notice(&current_hash()));
    let initial = route.get_untracked();
    let backend = url_overrides(&initial)
        .ok()
        .and_then(|o| o.backend)
        .unwrap_or(BackendChoice::Auto);
    // A link's `data=` on another origin is loaded only once the learner confirms it.
    let (data_base, ask_first) = match DataLink::of_page(initial.get("data")) {
        DataLink::Load(base) => (base, None),
        DataLink::Ask { base, origin } => (base, Some(origin)),
    };
    let linked = data_base.clone();
    let trainer = use_trainer(backend, data_base, ask_first);
    let progress = Progress::load();
    listen_to_window(route, notice, trainer);
    // The data set: the link's `dataset=` (or its config's), else the one last worked on.
    let dataset = Memo::new(move |_| {
        url_overrides(&route.get())
            .ok()
            .and_then(|o| o.dataset)
            .unwrap_or_else(|| progress.dataset.get())
    });
    Effect::new(move |_| {
        let d = dataset.get();
        trainer.select_dataset(d);
        if progress.dataset.get_untracked() != d {
            progress.dataset.set(d);
        }
    });

    let protocol = Protocol {
        validation_split: RwSignal::new(0.2),
        seed: RwSignal::new(42),
        normalization: RwSignal::new(Normalization::Scale),
    };
    // The configs of steps 5–7; a `cfg` in the URL replaces the one of its step.
    let configs: [RwSignal<TrainingConfig>; 3] = [
        RwSignal::new(presets::baseline()),
        RwSignal::new(presets::overfit()),
        RwSignal::new(presets::regularized()),
    ];
    // The same steps on the IMDB reviews: seed 004's three text models.
    let text_configs: [RwSignal<TrainingConfig>; 3] = [
        RwSignal::new(lab_spec::binary::imdb_baseline()),
        RwSignal::new(lab_spec::binary::imdb_overfit()),
        RwSignal::new(lab_spec::binary::imdb_regularized()),
    ];
    let configs_of = move |d: DatasetKind| match d {
        DatasetKind::FashionMnist => configs,
        DatasetKind::Imdb => text_configs,
    };
    // Step 4 on IMDB: how the reviews become features, for every IMDB run and search.
    let vectorizer = RwSignal::new(VectorizerConfig::default());
    let text_search = RwSignal::new(TunerConfig::seed_004_imdb());
    let text_retrain = RwSignal::new(lab_spec::binary::imdb_regularized());
    let link = Memo::new(move |_| url_overrides(&route.get()).map_err(|e| e.to_string()));
    let url_error = move || {
        link.get()
            .err()
            .map(|e| format!("The link has an invalid value, ignored: {e}"))
    };
    let overrides = Memo::new(move |_| link.get().unwrap_or_default());
    Effect::new(move |_| {
        let r = route.get();
        if let (5..=7, Some(c)) = (r.step, overrides.get().config) {
            configs_of(c.dataset)[(r.step - 5) as usize].set(c);
        }
    });
    // Steps 3 and 4 set the protocol and preparation of every training step.
    Effect::new(move |_| {
        let (split, seed, norm) = (
            protocol.validation_split.get(),
            protocol.seed.get(),
            protocol.normalization.get(),
        );
        for c in configs {
            c.update(|c| {
                c.validation_split = split;
                c.seed = seed;
                c.normalization = norm;
            });
        }
        for c in text_configs {
            c.update(|c| {
                c.validation_split = split;
                c.seed = seed;
            });
        }
    });
    // Step 4's vectorizer on IMDB: every text config's (the model's input follows its width).
    Effect::new(move |_| {
        let v = vectorizer.get();
        let apply = |c: &mut TrainingConfig| {
            c.vectorizer = Some(v);
            c.model.input = InputKind::Features(v.max_features);
        };
        for c in text_configs {
            c.update(apply);
        }
        text_retrain.update(apply);
        text_search.update(|s| s.vectorizer = Some(v));
    });
    // Step 8: the search's form and the config of "retrain best".
    let search_config = RwSignal::new(TunerConfig::seed_004());
    let retrain_config = RwSignal::new(presets::regularized());
    // What every run gets from the URL: the quick-run subset and epochs.
    let quick = Memo::new(move |_| overrides.get().quick_run());
    // Once the stored runs are back: each form of steps 5–8 shows its latest run's config
    // (not the link's step when its `cfg` sets that form).
    let link_step = url_overrides(&initial)
        .is_ok_and(|o| o.config.is_some())
        .then_some(initial.step);
    let forms_restored = StoredValue::new(false);
    Effect::new(move |_| {
        if !trainer.saved.loaded.get() || forms_restored.get_value() {
            return;
        }
        forms_restored.set_value(true);
        let forms = trainer
            .runs
            .with_untracked(|runs| form_restore::restored_forms(runs, link_step));
        for (step, config) in forms {
            let imdb = config.dataset == DatasetKind::Imdb;
            match step {
                5..=7 => configs_of(config.dataset)[usize::from(step - 5)].set(config),
                _ if imdb => text_retrain.set(config),
                _ => retrain_config.set(config),
            }
        }
    });

    Effect::new(move |_| {
        // Each data set has its own progress.
        let passed: Vec<(DatasetKind, u8)> = trainer.runs.with(|runs| {
            [DatasetKind::FashionMnist, DatasetKind::Imdb]
                .into_iter()
                .flat_map(|d| EXERCISE_STEPS.into_iter().map(move |step| (d, step)))
                .filter(|&(d, step)| exercises::passed_on(step, runs, d))
                .collect()
        });
        for (d, step) in passed {
            progress.complete(d, step);
        }
    });

    // Below 1000 px the step list folds under a button (style/main.css); picking a step folds
    // it, and Escape folds it with the focus back on the button.
    let nav_open = RwSignal::new(false);
    let nav_toggle = NodeRef::<leptos::html::Button>::new();
    let nav = move || {
        let step = route.get().step;
        STEPS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let n = (i + 1) as u8;
                let done = move || progress.done.with(|d| d.contains(dataset.get(), n));
                view! {
                    <li class:active=step == n>
                        <a href=format!("#/step/{n}") data-testid=format!("nav-step-{n}") on:click=move |_| nav_open.set(false)>
                            <span class="num">{n}</span>
                            {*name}
                            <span class="done" data-testid=format!("done-{n}")>{move || if done() { " ✓" } else { "" }}</span>
                        </a>
                    </li>
                }
            })
            .collect_view()
    };

    let shared = Shared {
        trainer,
        metric: progress.metric,
        validation_split: protocol.validation_split,
        seed: protocol.seed,
        normalization: protocol.normalization,
        vectorizer,
        configs,
        text_configs,
        search: search_config,
        retrain: retrain_config,
        text_search,
        text_retrain,
        quick,
    };
    // The step's page, built by its group's piece of the lab (steps/pages.rs), fetched the first
    // time the group is opened. The page is built here, synchronously, as any component is; only
    // the fetch is async, and it reports into `loaded`. "Try again" forgets a failure and asks anew.
    let page_key = Memo::new(move |_| {
        let r = route.get();
        PageKey {
            step: r.step,
            dataset: dataset.get(),
            bench: r.bench,
        }
    });
    let loaded = RwSignal::new(Vec::<(Group, Result<Build, PageLoadError>)>::new());
    let retry = RwSignal::new(0u32);
    Effect::new(move |_| {
        retry.track();
        let group = page_key.get().group();
        if loaded.with_untracked(|l| l.iter().any(|(g, _)| *g == group)) {
            return;
        }
        leptos::task::spawn_local(async move {
            let result = pages::load(group).await;
            loaded.update(|l| {
                l.retain(|(g, _)| *g != group);
                l.push((group, result));
            });
        });
    });
    let state = Memo::new(move |_| {
        let group = page_key.get().group();
        loaded.with(|l| l.iter().find(|(g, _)| *g == group).map(|(_, r)| r.is_ok()))
    });
    let page = move || {
        route.track();
        let key = page_key.get();
        let group = key.group();
        match state.get() {
            Some(true) => {
                let build = loaded.with_untracked(|l| {
                    l.iter().find(|(g, _)| *g == group).and_then(|(_, r)| r.ok())
                });
                build.map(|build| build(shared, key))
            }
            Some(false) => Some(
                view! {
                    <p class="error" data-testid="page-load-error">
                        "This step could not be loaded: its part of the lab did not arrive (is the connection down?). "
                        <button type="button" data-testid="page-load-retry"
                            on:click=move |_| {
                                loaded.update(|l| l.retain(|(g, _)| *g != group));
                                retry.update(|n| *n += 1);
                            }>"Try again"</button>
                    </p>
                }
                .into_any(),
            ),
            None => Some(
                view! { <p class="step-loading" data-testid="step-loading">"Opening this step…"</p> }
                    .into_any(),
            ),
        }
    };

    view! {
        <header>
            <h1>"Tuning Lab"</h1>
            <span class="subtitle">"train real neural networks in your browser"</span>
            <DatasetChoice route dataset />
            <BackendBadge trainer />
        </header>
        <div class="layout">
            <nav class:open=move || nav_open.get() aria-label="Steps"
                on:keydown=move |ev| if ev.key() == "Escape" && nav_open.get_untracked() {
                    nav_open.set(false);
                    if let Some(b) = nav_toggle.get_untracked() { let _ = b.focus(); }
                }>
                <button type="button" class="nav-toggle" data-testid="nav-toggle" aria-controls="step-list" node_ref=nav_toggle
                    aria-expanded=move || if nav_open.get() { "true" } else { "false" }
                    on:click=move |_| nav_open.update(|open| *open = !*open)>
                    <span class="nav-icon" aria-hidden="true">"☰"</span>
                    {move || {
                        let s = route.get().step;
                        let name = STEPS.get(usize::from(s).saturating_sub(1)).copied().unwrap_or("");
                        format!("Steps · {s} of {}: {name}", STEPS.len())
                    }}
                </button>
                <ol id="step-list" data-testid="step-list">{nav}</ol>
            </nav>
            <main>
                {move || notice.get().map(|n| view! { <p class="route-notice" data-testid="route-notice">{n}</p> })}
                {move || url_error().map(|e| view! { <p class="error" data-testid="url-error">{e}</p> })}
                {move || trainer.session_error.get().map(|e| view! { <p class="error" data-testid="session-error">{e}</p> })}
                {move || trainer.save_error.get().map(|e| view! { <p class="error" data-testid="save-error">{e}</p> })}
                <MyRuns trainer />
                <DataStatus trainer linked />
                {page}
            </main>
        </div>
    }
}

/// Follows the URL's hash (`hashchange`, with the notice when it names no page), and asks
/// before the page is left while a run is in progress (`beforeunload`: the worker, and the run,
/// go with the page). The listeners live as long as the shell.
fn listen_to_window(route: RwSignal<Route>, notice: RwSignal<Option<String>>, trainer: Trainer) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let hash = EventListener::new(&window, "hashchange", move |_| {
        let hash = current_hash();
        notice.set(route_notice(&hash));
        route.set(Route::parse(&hash));
    });
    // Passive listeners (gloo's default) cannot prevent the unload.
    let unload = EventListener::new_with_options(
        &window,
        "beforeunload",
        EventListenerOptions::enable_prevent_default(),
        move |ev| {
            if trainer.running() {
                ev.prevent_default();
                if let Some(ev) = ev.dyn_ref::<web_sys::BeforeUnloadEvent>() {
                    ev.set_return_value(
                        "A training run is in progress; leaving the page stops it.",
                    );
                }
            }
        },
    );
    // Dropped, and so removed, when the shell's owner is disposed.
    StoredValue::new_local([hash, unload]);
}

#[component]
fn BackendBadge(trainer: Trainer) -> impl IntoView {
    let text = move || match trainer.backend.get() {
        None => "backend: starting…".to_string(),
        Some(b) => match b.adapter {
            Some(a) => format!("backend: {} · {a}", b.name),
            None => format!("backend: {}", b.name),
        },
    };
    let note = move || trainer.backend.get().and_then(|b| b.note);
    view! {
        <div class="badge-box">
            <span class="badge" data-testid="backend" title=note>{text}</span>
            {move || note().map(|n| view! { <span class="badge-note">{n}</span> })}
        </div>
    }
}
