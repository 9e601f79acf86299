//! The shell: header (backend badge, data status), the eight-step navigation, and the steps.

use lab_data::{CLASS_NAMES, FILE_NAMES};
use lab_spec::worker::BackendChoice;
use lab_spec::{InputKind, Normalization, TrainingConfig};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::components::Digit;
use crate::components::builder::Level;
use crate::components::run_panel::RunPanel;
use crate::components::tuner::TunerPanel;
use crate::logic::{Route, UrlOverrides, best_val_loss, is_visible_overfit, url_overrides};
use crate::presets;
use crate::progress::Progress;
use crate::trainer::{DataState, RunStatus, Trainer, use_trainer};

pub const STEPS: [&str; 8] = [
    "Define the problem",
    "Choose metrics",
    "Evaluation protocol",
    "Prepare the data",
    "Baseline",
    "Scale up until it overfits",
    "Regularize",
    "Tune",
];

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Shared choices of steps 2–4 that the training steps use.
#[derive(Clone, Copy)]
struct Choices {
    metric: RwSignal<String>,
    validation_split: RwSignal<f64>,
    seed: RwSignal<u64>,
    normalization: RwSignal<Normalization>,
}

#[component]
pub fn App() -> impl IntoView {
    let route = RwSignal::new(Route::parse(&current_hash()));
    let on_hash = Closure::<dyn FnMut()>::new(move || route.set(Route::parse(&current_hash())));
    if let Some(w) = web_sys::window() {
        w.set_onhashchange(Some(on_hash.as_ref().unchecked_ref()));
    }
    on_hash.forget();

    let initial = route.get_untracked();
    let first_overrides = url_overrides(&initial);
    let backend = first_overrides
        .as_ref()
        .ok()
        .and_then(|o| o.backend)
        .unwrap_or(BackendChoice::Auto);
    let data_base = initial
        .get("data")
        .map(str::to_string)
        .filter(|d| d.ends_with('/'))
        .unwrap_or_else(|| "./data/fashion-mnist/".to_string());
    let trainer = use_trainer(backend, data_base);
    let progress = Progress::load();
    // Leaving or reloading the page ends a run (the worker goes with the page): ask first.
    let on_unload = Closure::<dyn FnMut(web_sys::BeforeUnloadEvent)>::new(
        move |ev: web_sys::BeforeUnloadEvent| {
            if trainer.running() {
                ev.prevent_default();
                ev.set_return_value("A training run is in progress; leaving the page stops it.");
            }
        },
    );
    if let Some(w) = web_sys::window() {
        w.set_onbeforeunload(Some(on_unload.as_ref().unchecked_ref()));
    }
    on_unload.forget();

    let choices = Choices {
        metric: RwSignal::new(progress.metric.get_untracked()),
        validation_split: RwSignal::new(0.2),
        seed: RwSignal::new(42),
        normalization: RwSignal::new(Normalization::Scale),
    };
    Effect::new(move |_| progress.metric.set(choices.metric.get()));

    // The configs of steps 5–7; a `cfg` in the URL replaces the one of its step.
    let configs: [RwSignal<TrainingConfig>; 3] = [
        RwSignal::new(presets::baseline()),
        RwSignal::new(presets::overfit()),
        RwSignal::new(presets::regularized()),
    ];
    let url_error = RwSignal::new(None::<String>);
    let overrides = Memo::new(move |_| match url_overrides(&route.get()) {
        Ok(o) => {
            url_error.set(None);
            o
        }
        Err(e) => {
            url_error.set(Some(format!("The link has an invalid value, ignored: {e}")));
            UrlOverrides::default()
        }
    });
    Effect::new(move |_| {
        let r = route.get();
        if let (5..=7, Some(c)) = (r.step, overrides.get().config) {
            configs[(r.step - 5) as usize].set(c);
        }
    });
    // Steps 3 and 4 set the protocol and preparation of every training step.
    Effect::new(move |_| {
        let (split, seed, norm) = (
            choices.validation_split.get(),
            choices.seed.get(),
            choices.normalization.get(),
        );
        for c in configs {
            c.update(|c| {
                c.validation_split = split;
                c.seed = seed;
                c.normalization = norm;
            });
        }
    });
    // Step 8: the search's form and the config of "retrain best".
    let search_config = RwSignal::new(lab_spec::tuning::TunerConfig::seed_004());
    let retrain_config = RwSignal::new(presets::regularized());
    let quick = Signal::derive(move || {
        let o = overrides.get();
        (o.subset, o.epochs)
    });

    // Exercises.
    let latest_finished = move |step: u8| {
        trainer.runs.with(|rs| {
            rs.iter()
                .rev()
                .find(|r| r.step == step && matches!(r.status, RunStatus::Finished(_)))
                .cloned()
        })
    };
    Effect::new(move |_| {
        if let Some(r) = latest_finished(5)
            && r.epochs
                .iter()
                .filter_map(|e| e.val_accuracy)
                .any(|a| a >= 0.80)
        {
            progress.complete(5);
        }
        if let Some(r) = latest_finished(6)
            && is_visible_overfit(&r.epochs)
        {
            progress.complete(6);
        }
        if let (Some(r7), Some(r6)) = (latest_finished(7), latest_finished(6))
            && let (Some(a), Some(b)) = (best_val_loss(&r7.epochs), best_val_loss(&r6.epochs))
            && a < b
        {
            progress.complete(7);
        }
        if let Some(r8) = latest_finished(8)
            && let Some(tuned) = r8.report.as_ref().map(|r| r.accuracy)
        {
            let before = [5, 6, 7]
                .into_iter()
                .filter_map(|s| latest_finished(s).and_then(|r| r.report.map(|r| r.accuracy)))
                .fold(f64::NEG_INFINITY, f64::max);
            if before.is_finite() && tuned > before {
                progress.complete(8);
            }
        }
    });

    let nav = move || {
        let step = route.get().step;
        STEPS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let n = (i + 1) as u8;
                let done = move || progress.done.with(|d| d.contains(&n));
                view! {
                    <li class:active=step == n>
                        <a href=format!("#/step/{n}") data-testid=format!("nav-step-{n}")>
                            <span class="num">{n}</span>
                            {*name}
                            <span class="done" data-testid=format!("done-{n}")>{move || if done() { " ✓" } else { "" }}</span>
                        </a>
                    </li>
                }
            })
            .collect_view()
    };

    let page = move || {
        let r = route.get();
        if r.bench {
            return view! { <Bench trainer /> }.into_any();
        }
        match r.step {
            1 => view! { <Step1 trainer /> }.into_any(),
            2 => view! { <Step2 choices /> }.into_any(),
            3 => view! { <Step3 trainer choices /> }.into_any(),
            4 => view! { <Step4 trainer choices /> }.into_any(),
            5 => view! { <Step5 trainer config=configs[0] quick /> }.into_any(),
            6 => view! { <Step6 trainer config=configs[1] quick /> }.into_any(),
            7 => view! { <Step7 trainer config=configs[2] quick /> }.into_any(),
            _ => view! { <Step8 trainer search=search_config retrain=retrain_config quick /> }
                .into_any(),
        }
    };

    view! {
        <header>
            <h1>"Tuning Lab"</h1>
            <span class="subtitle">"train real neural networks on Fashion-MNIST, in your browser"</span>
            <BackendBadge trainer />
        </header>
        <div class="layout">
            <nav><ol>{nav}</ol></nav>
            <main>
                {move || url_error.get().map(|e| view! { <p class="error" data-testid="url-error">{e}</p> })}
                <DataStatus trainer />
                {page}
            </main>
        </div>
    }
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

#[component]
fn DataStatus(trainer: Trainer) -> impl IntoView {
    let on_files = move |ev: web_sys::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(list) = input.files() else { return };
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        wasm_bindgen_futures::spawn_local(async move {
            let mut ordered = Vec::new();
            for name in FILE_NAMES {
                let plain = name.trim_end_matches(".gz");
                let Some(f) = files.iter().find(|f| f.name() == name || f.name() == plain) else {
                    trainer.data.set(DataState::Failed(format!(
                        "{name} (or {plain}) was not among the picked files"
                    )));
                    return;
                };
                match wasm_bindgen_futures::JsFuture::from(f.array_buffer()).await {
                    Ok(buf) => ordered.push(js_sys::Uint8Array::new(&buf).to_vec()),
                    Err(e) => {
                        trainer.data.set(DataState::Failed(format!(
                            "{}: could not be read ({e:?})",
                            f.name()
                        )));
                        return;
                    }
                }
            }
            trainer.load_files(ordered);
        });
    };
    view! {
        {move || match trainer.data.get() {
            DataState::Loading { loaded, total } => view! {
                <div class="data-status" data-testid="data-loading">
                    "Loading Fashion-MNIST… "
                    <progress max=total.max(1) value=loaded></progress>
                    {format!(" {:.1} / {:.1} MB", loaded as f64 / 1e6, total as f64 / 1e6)}
                </div>
            }.into_any(),
            DataState::Ready(s) => view! {
                <div class="data-status ok" data-testid="data-ready">
                    {format!("Fashion-MNIST ready: {} training and {} test images{}", s.train_counts.iter().sum::<usize>(), s.test_counts.iter().sum::<usize>(),
                        if s.from_cache { " (from the browser cache)" } else { "" })}
                </div>
            }.into_any(),
            DataState::Failed(message) => view! {
                <div class="data-status failed" data-testid="data-error">
                    <p>{format!("The data could not be loaded: {message}")}</p>
                    <button data-testid="data-retry" on:click=move |_| trainer.load_default_data()>"Retry"</button>
                    <label class="inline">" or pick the four official IDX files from disk: "
                        <input type="file" multiple data-testid="data-files" on:change=on_files />
                    </label>
                </div>
            }.into_any(),
        }}
    }
}

#[component]
fn Step1(trainer: Trainer) -> impl IntoView {
    view! {
        <article>
            <h2>"1 · Define the problem and look at the data"</h2>
            <p>"The task: given a 28×28 grey photo of a piece of clothing, say which of ten classes it is. \
                This is multi-class classification with one label per image. The inputs are 784 pixel \
                intensities (0–255); the targets are integers 0–9."</p>
            {move || match trainer.data.get() {
                DataState::Ready(s) => {
                    let total_train: usize = s.train_counts.iter().sum();
                    let rows = (0..10).map(|c| view! {
                        <tr data-testid="class-row">
                            <td>{c}</td>
                            <td>{CLASS_NAMES[c]}</td>
                            <td class="digits">{s.samples[c].iter().cloned().map(|px| view! { <Digit pixels=px title=CLASS_NAMES[c] /> }).collect_view()}</td>
                            <td class="num">{s.train_counts[c]}</td>
                            <td class="num">{s.test_counts[c]}</td>
                        </tr>
                    }).collect_view();
                    view! {
                        <table class="classes" data-testid="class-grid">
                            <thead><tr><th>"label"</th><th>"class"</th><th>"examples"</th><th>"train"</th><th>"test"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
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

#[component]
fn Step2(choices: Choices) -> impl IntoView {
    let option = move |value: &'static str, label: &'static str| {
        view! {
            <label class="inline">
                <input type="radio" name="metric" value=value data-testid=format!("metric-{value}")
                    prop:checked=move || choices.metric.get() == value on:change=move |_| choices.metric.set(value.into()) />
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
            <p data-testid="chosen-metric">{move || format!("Success metric: {}", if choices.metric.get() == "macro_f1" { "macro-F1" } else { "accuracy" })}</p>
        </article>
    }
}

#[component]
fn Step3(trainer: Trainer, choices: Choices) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let sizes = move || {
        let DataState::Ready(s) = trainer.data.get() else {
            return None;
        };
        let split = choices.validation_split.get();
        let val: Vec<usize> = s
            .train_counts
            .iter()
            .map(|&n| (split * n as f64).round() as usize)
            .collect();
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
                    <input type="text" data-testid="protocol-split" prop:value=move || choices.validation_split.get().to_string()
                        on:change=move |ev| { match event_target_value(&ev).trim().parse::<f64>() {
                            Ok(v) if (0.05..0.9).contains(&v) => { error.set(None); choices.validation_split.set(v) }
                            _ => error.set(Some("validation_split: must be a number in [0.05, 0.9)".into())),
                        } } /></label>
                <label class="field"><span>"seed"</span>
                    <input type="text" data-testid="protocol-seed" prop:value=move || choices.seed.get().to_string()
                        on:change=move |ev| { match event_target_value(&ev).trim().parse::<u64>() {
                            Ok(v) => { error.set(None); choices.seed.set(v) }
                            _ => error.set(Some("seed: must be a whole number ≥ 0".into())),
                        } } /></label>
            </div>
            {move || error.get().map(|e| view! { <p class="error" data-testid="config-error">{e}</p> })}
            {sizes}
        </article>
    }
}

#[component]
fn Step4(trainer: Trainer, choices: Choices) -> impl IntoView {
    let index = RwSignal::new(0usize);
    Effect::new(move |_| {
        if matches!(trainer.data.get(), DataState::Ready(_)) {
            trainer.preview(index.get(), choices.normalization.get());
        }
    });
    let preview = move || {
        trainer.preview.get().map(|(raw, norm)| {
            let row = 14;
            let raw_row: Vec<String> = raw[row * 28..row * 28 + 28].iter().map(|v| v.to_string()).collect();
            let norm_row: Vec<String> = norm[row * 28..row * 28 + 28].iter().map(|v| format!("{v:.2}")).collect();
            let (lo, hi) = norm.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            view! {
                <div class="preview" data-testid="preview">
                    <Digit pixels=raw.clone() />
                    <div>
                        <p>{format!("Row 14 before (bytes 0–255): {}", raw_row.join(" "))}</p>
                        <p>{format!("Row 14 after: {}", norm_row.join(" "))}</p>
                        <p>{format!("After normalization the values range from {lo:.2} to {hi:.2}.")}</p>
                    </div>
                </div>
            }
        })
    };
    view! {
        <article>
            <h2>"4 · Prepare the data"</h2>
            <p>"Networks learn best from small numbers centred near zero. Two common choices:"</p>
            <ul>
                <li><b>"x / 255"</b>" maps every pixel to [0, 1] — simple, and what the Keras lab does."</li>
                <li><b>"standardize"</b>": subtract each pixel's mean and divide by its standard deviation, both measured on the "
                    <i>"training split only"</i>" (using validation or test images would leak them into training)."</li>
            </ul>
            <p>"Dense layers take the 28×28 image flattened to 784 numbers; convolutional layers keep it as a 1×28×28 image."</p>
            <div class="choice">
                <label class="inline"><input type="radio" name="norm" data-testid="norm-scale" prop:checked=move || choices.normalization.get() == Normalization::Scale
                    on:change=move |_| choices.normalization.set(Normalization::Scale) />" x / 255"</label>
                <label class="inline"><input type="radio" name="norm" data-testid="norm-standardize" prop:checked=move || choices.normalization.get() == Normalization::Standardize
                    on:change=move |_| choices.normalization.set(Normalization::Standardize) />" standardize"</label>
                <button on:click=move |_| index.update(|i| *i += 1)>"another image"</button>
            </div>
            {preview}
            <p class="hint">{format!("Input layout of the MLPs in steps 5–7: {:?} (784 features).", InputKind::Flat)}</p>
        </article>
    }
}

#[component]
fn Step5(
    trainer: Trainer,
    config: RwSignal<TrainingConfig>,
    #[prop(into)] quick: Signal<(Option<usize>, Option<usize>)>,
) -> impl IntoView {
    view! {
        <article>
            <h2>"5 · Build a baseline"</h2>
            <p>"The simplest real model: one Dense layer of 10 units with softmax — a linear classifier over the 784 pixels. \
                It shows that the problem is learnable and sets the bar the bigger models must clear. "
                <b>"Exercise:"</b>" reach a validation accuracy of at least 0.80."</p>
            <RunPanel trainer step=5 config level=Level::Baseline quick />
        </article>
    }
}

#[component]
fn Step6(
    trainer: Trainer,
    config: RwSignal<TrainingConfig>,
    #[prop(into)] quick: Signal<(Option<usize>, Option<usize>)>,
) -> impl IntoView {
    view! {
        <article>
            <h2>"6 · Scale up until it overfits"</h2>
            <p>"Add capacity — more layers, more units — and train longer. At first both losses fall; then the training loss keeps falling \
                while the validation loss turns up: the model starts memorising the training images. The chart marks the best epoch \
                and where validation loss starts to rise. "<b>"Exercise:"</b>" produce a visible overfit (validation loss 5 % above its best, \
                two or more epochs later, while the training loss still falls)."</p>
            <RunPanel trainer step=6 config level=Level::ScaleUp quick />
        </article>
    }
}

#[component]
fn Step7(
    trainer: Trainer,
    config: RwSignal<TrainingConfig>,
    #[prop(into)] quick: Signal<(Option<usize>, Option<usize>)>,
) -> impl IntoView {
    view! {
        <article>
            <h2>"7 · Regularize"</h2>
            <p><b>"Dropout"</b>" zeroes a random share of activations at each step, so no unit can rely on another; "
                <b>"L1/L2"</b>" add the size of the weights to the loss; "<b>"BatchNorm"</b>" normalizes activations between layers. "
                <b>"EarlyStopping"</b>" ends training when val_loss has not improved for "<i>"patience"</i>" epochs (by more than "
                <i>"min_delta"</i>") and can restore the best epoch's weights; "<b>"ModelCheckpoint"</b>" keeps the best weights. \
                Your last step-6 run is drawn beside this one. "<b>"Exercise:"</b>" beat the overfit run's best validation loss."</p>
            <RunPanel trainer step=7 config level=Level::Regularize overlay=vec![6] quick />
        </article>
    }
}

#[component]
fn Step8(
    trainer: Trainer,
    search: RwSignal<lab_spec::tuning::TunerConfig>,
    retrain: RwSignal<TrainingConfig>,
    #[prop(into)] quick: Signal<(Option<usize>, Option<usize>)>,
) -> impl IntoView {
    let subset = Signal::derive(move || quick.get().0);
    let on_retrain = Callback::new(move |c: TrainingConfig| {
        retrain.set(c.clone());
        if let Err(e) = trainer.start(8, "tuned: best of the search".into(), c) {
            web_sys::console::warn_1(&e.into());
        }
    });
    let has_retrain = move || trainer.runs.with(|rs| rs.iter().any(|r| r.step == 8));
    let comparison = move || {
        let rows = [5u8, 6, 7, 8]
            .into_iter()
            .filter_map(|step| {
                let r = trainer.runs.with(|rs| {
                    rs.iter()
                        .rev()
                        .find(|r| r.step == step && r.report.is_some())
                        .cloned()
                })?;
                let rep = r.report.clone()?;
                Some(view! {
                    <tr data-testid=format!("compare-{step}")>
                        <td>{format!("step {step}")}</td><td>{r.label.clone()}</td>
                        <td>{format!("{:.4}", rep.accuracy)}</td><td>{format!("{:.4}", rep.macro_avg.f1)}</td>
                    </tr>
                })
            })
            .collect::<Vec<_>>();
        (!rows.is_empty()).then(|| view! {
            <table class="compare" data-testid="comparison">
                <thead><tr><th>"step"</th><th>"run"</th><th>"test accuracy"</th><th>"macro-F1"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        })
    };
    view! {
        <article>
            <h2>"8 · Tune"</h2>
            <p><b>"Hyperband"</b>" (Keras Tuner's schedule) tries many configurations for a few epochs, keeps the best third (with "
                <i>"factor"</i>" 3) and trains those longer — a promoted trial continues from its parent's weights instead of starting over.                 Brackets trade many short trials against few long ones; the most aggressive bracket runs first. The plan below shows                 every round before anything runs. "<b>"RandomSearch"</b>" trains every trial for the same number of epochs: compare the two at equal budgets.                 The objective is measured on the validation split; the test set waits for the retrained winner. "
                <b>"Exercise:"</b>" retrain the best configuration and beat the best test accuracy of steps 5–7."</p>
            <TunerPanel trainer config=search subset on_retrain />
            {comparison}
            <Show when=has_retrain>
                <h3>"Retrained best (beside your step 5–7 runs)"</h3>
                <RunPanel trainer step=8 config=retrain level=Level::Regularize overlay=vec![5, 6, 7] quick />
            </Show>
        </article>
    }
}

/// `#/bench`: times training in this browser (used by `cargo xtask bench`).
#[component]
fn Bench(trainer: Trainer) -> impl IntoView {
    use lab_spec::worker::BenchModel;
    // One at a time: the worker refuses a second run while one is in progress.
    const PLAN: [(BenchModel, usize, usize); 3] = [
        (BenchModel::Mlp, 128, 30),
        (BenchModel::Mlp, 512, 20),
        (BenchModel::Cnn, 128, 3),
    ];
    let sent = StoredValue::new(0usize);
    Effect::new(move |_| {
        let ready =
            matches!(trainer.data.get(), DataState::Ready(_)) && trainer.backend.get().is_some();
        let done = trainer.bench.with(Vec::len);
        let next = sent.get_value();
        if ready && next == done && next < PLAN.len() {
            let (model, batch, steps) = PLAN[next];
            sent.set_value(next + 1);
            trainer.bench(model, batch, steps);
        }
    });
    let lines = move || {
        trainer
            .bench
            .get()
            .iter()
            .filter_map(|b| serde_json::to_string(b).ok())
            .collect::<Vec<_>>()
            .join("\n")
    };
    view! {
        <article>
            <h2>"Benchmark"</h2>
            <p>"Training samples per second in this browser, after a warm-up: the MLP 784-256-128-10 at batch 128 and 512, and the small CNN."</p>
            <pre data-testid="bench-results" data-count=move || trainer.bench.get().len()>{lines}</pre>
        </article>
    }
}
