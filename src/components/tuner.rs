//! Step 8: the search-space editor, Hyperband's plan with a time estimate, the live trial
//! table and chart, the best values, exports. The search itself runs in the worker.

use lab_spec::Monitor;
use lab_spec::tuning::{
    Algorithm, HpValue, HyperParameter, Sampling, Trial, TrialStatus, TunerConfig, trials_csv,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::components::chart::css_color;
use crate::logic::format_duration;
use crate::trainer::{SearchStatus, SearchView, Trainer, now_ms};

/// Parses a form value, naming the field on failure.
fn parse<T: std::str::FromStr>(field: &str, v: &str) -> Result<T, String> {
    v.trim()
        .parse::<T>()
        .map_err(|_| format!("{field}: {v:?} is not a valid value"))
}

fn parse_value(v: &str) -> HpValue {
    let v = v.trim();
    if let Ok(i) = v.parse::<i64>() {
        HpValue::Int(i)
    } else if let Ok(f) = v.parse::<f64>() {
        HpValue::Float(f)
    } else if v == "true" || v == "false" {
        HpValue::Bool(v == "true")
    } else {
        HpValue::Text(v.to_string())
    }
}

fn value_text(v: &HpValue) -> String {
    match v {
        HpValue::Float(f) => f.to_string(),
        other => other.to_string(),
    }
}

/// Applies a form value to a hyperparameter, or says what is wrong with it.
type Edit = Box<dyn Fn(&mut HyperParameter, &str) -> Result<(), String>>;

/// One editable row of the space.
#[component]
fn HpRow(
    config: RwSignal<TunerConfig>,
    index: usize,
    error: RwSignal<Option<String>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let hp = move || config.with(|c| c.hyperparameters.get(index).cloned());
    let edit = move |f: Edit| {
        move |ev: web_sys::Event| {
            let v = event_target_value(&ev);
            let mut result = Ok(());
            config.update(|c| {
                if let Some(h) = c.hyperparameters.get_mut(index) {
                    result = f(h, &v);
                }
            });
            error.set(result.err());
        }
    };
    let field = move |label: &'static str, value: String, f: Edit| {
        let name = hp().map(|h| h.name().to_string()).unwrap_or_default();
        view! {
            <label class="inline">{label}" "
                <input type="text" class="small" data-testid=format!("hp-{name}-{label}") prop:value=value
                    prop:disabled=move || disabled.get() on:change=edit(f) />
            </label>
        }
    };
    move || {
        let h = hp()?;
        let name = h.name().to_string();
        let kind = h.kind();
        let fields = match h.clone() {
            HyperParameter::Int {
                min_value,
                max_value,
                step,
                ..
            } => view! {
                {field("min", min_value.to_string(), Box::new(|h, v| { if let HyperParameter::Int { min_value, name, .. } = h { *min_value = parse(&format!("{name}.min_value"), v)?; } Ok(()) }))}
                {field("max", max_value.to_string(), Box::new(|h, v| { if let HyperParameter::Int { max_value, name, .. } = h { *max_value = parse(&format!("{name}.max_value"), v)?; } Ok(()) }))}
                {field("step", step.to_string(), Box::new(|h, v| { if let HyperParameter::Int { step, name, .. } = h { *step = parse(&format!("{name}.step"), v)?; } Ok(()) }))}
            }
            .into_any(),
            HyperParameter::Float {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => view! {
                {field("min", min_value.to_string(), Box::new(|h, v| { if let HyperParameter::Float { min_value, name, .. } = h { *min_value = parse(&format!("{name}.min_value"), v)?; } Ok(()) }))}
                {field("max", max_value.to_string(), Box::new(|h, v| { if let HyperParameter::Float { max_value, name, .. } = h { *max_value = parse(&format!("{name}.max_value"), v)?; } Ok(()) }))}
                {field("step", step.map(|s| s.to_string()).unwrap_or_default(), Box::new(|h, v| { if let HyperParameter::Float { step, name, .. } = h { *step = if v.trim().is_empty() { None } else { Some(parse(&format!("{name}.step"), v)?) }; } Ok(()) }))}
                <label class="inline">"sampling "
                    <select data-testid=format!("hp-{name}-sampling") prop:disabled=move || disabled.get() on:change=move |ev| {
                        let log = event_target_value(&ev) == "log";
                        config.update(|c| if let Some(HyperParameter::Float { sampling, .. }) = c.hyperparameters.get_mut(index) {
                            *sampling = if log { Sampling::Log } else { Sampling::Linear };
                        });
                    }>
                        <option value="linear" selected=sampling == Sampling::Linear>"linear"</option>
                        <option value="log" selected=sampling == Sampling::Log>"log"</option>
                    </select>
                </label>
            }
            .into_any(),
            HyperParameter::Choice { values, .. } => {
                let text = values.iter().map(value_text).collect::<Vec<_>>().join(", ");
                field("values", text, Box::new(|h, v| {
                    if let HyperParameter::Choice { values, .. } = h {
                        *values = v.split(',').filter(|s| !s.trim().is_empty()).map(parse_value).collect();
                    }
                    Ok(())
                }))
                .into_any()
            }
            HyperParameter::Boolean { .. } => view! { <span class="muted">"true or false"</span> }.into_any(),
            HyperParameter::Fixed { value, .. } => field("value", value_text(&value), Box::new(|h, v| {
                if let HyperParameter::Fixed { value, .. } = h {
                    *value = parse_value(v);
                }
                Ok(())
            }))
            .into_any(),
        };
        Some(view! {
            <tr data-testid="hp-row">
                <td><code>{name}</code></td>
                <td>{kind}</td>
                <td class="hp-fields">{fields}</td>
                <td><button class="small" title="remove" prop:disabled=move || disabled.get()
                    on:click=move |_| config.update(|c| { if index < c.hyperparameters.len() { c.hyperparameters.remove(index); } })>"×"</button></td>
            </tr>
        })
    }
}

#[component]
fn SpaceEditor(
    config: RwSignal<TunerConfig>,
    error: RwSignal<Option<String>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let new_name = RwSignal::new(String::new());
    let new_kind = RwSignal::new("float".to_string());
    let add = move |_| {
        let name = new_name.get_untracked().trim().to_string();
        if name.is_empty() {
            error.set(Some(
                "hyperparameters: give the new hyperparameter a name".into(),
            ));
            return;
        }
        let hp = match new_kind.get_untracked().as_str() {
            "int" => HyperParameter::Int {
                name,
                min_value: 1,
                max_value: 3,
                step: 1,
            },
            "choice" => HyperParameter::Choice {
                name,
                values: vec![HpValue::Int(128), HpValue::Int(256)],
            },
            "fixed" => HyperParameter::Fixed {
                name,
                value: HpValue::Float(0.0),
            },
            "boolean" => HyperParameter::Boolean { name },
            _ => HyperParameter::Float {
                name,
                min_value: 0.0,
                max_value: 0.5,
                step: Some(0.1),
                sampling: Sampling::Linear,
            },
        };
        config.update(|c| c.hyperparameters.push(hp));
        new_name.set(String::new());
    };
    let rows = move || config.with(|c| c.hyperparameters.len());
    view! {
        <table class="space" data-testid="space">
            <thead><tr><th>"name"</th><th>"kind"</th><th>"range"</th><th></th></tr></thead>
            <tbody>
                {move || (0..rows()).map(|index| view! { <HpRow config index error disabled /> }).collect_view()}
            </tbody>
        </table>
        <div class="controls">
            <input type="text" class="small" placeholder="e.g. units_3" prop:value=move || new_name.get()
                prop:disabled=move || disabled.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
            <select prop:disabled=move || disabled.get() on:change=move |ev| new_kind.set(event_target_value(&ev))>
                <option value="float">"Float"</option>
                <option value="int">"Int"</option>
                <option value="choice">"Choice"</option>
                <option value="boolean">"Boolean"</option>
                <option value="fixed">"Fixed"</option>
            </select>
            <button prop:disabled=move || disabled.get() on:click=add>"Add"</button>
            <button prop:disabled=move || disabled.get() on:click=move |_| { config.set(TunerConfig::seed_004()); error.set(None); }>"Reset to seed 004's space"</button>
            <span class="muted">{format!("The model builder reads {}.", lab_spec::tuning::HYPERMODEL_NAMES)}</span>
        </div>
    }
}

#[component]
fn SearchSettings(
    config: RwSignal<TunerConfig>,
    error: RwSignal<Option<String>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let set = move |f: fn(&mut TunerConfig, &str) -> Result<(), String>| {
        move |ev: web_sys::Event| {
            let v = event_target_value(&ev);
            let mut r = Ok(());
            config.update(|c| r = f(c, &v));
            error.set(r.err());
        }
    };
    let number = move |label: &'static str,
                       testid: &'static str,
                       value: Signal<String>,
                       f: fn(&mut TunerConfig, &str) -> Result<(), String>| {
        view! {
            <label class="field"><span>{label}</span>
                <input type="text" inputmode="decimal" data-testid=testid prop:value=move || value.get()
                    prop:disabled=move || disabled.get() on:change=set(f) />
            </label>
        }
    };
    let is_hyperband = move || config.with(|c| matches!(c.algorithm, Algorithm::Hyperband { .. }));
    let algo_field = move |pick: fn(&Algorithm) -> Option<usize>| {
        Signal::derive(move || {
            config.with(|c| {
                pick(&c.algorithm)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            })
        })
    };
    view! {
        <div class="settings" data-testid="search-settings">
            <label class="field"><span>"algorithm"</span>
                <select data-testid="algorithm" prop:disabled=move || disabled.get() on:change=move |ev| {
                    let hb = event_target_value(&ev) == "hyperband";
                    config.update(|c| c.algorithm = if hb {
                        Algorithm::Hyperband { max_epochs: 5, factor: 3, hyperband_iterations: 1 }
                    } else {
                        // The same epoch budget as the seed's Hyperband: 31 epochs ≈ 6 trials × 5.
                        Algorithm::RandomSearch { max_trials: 6, epochs: 5 }
                    });
                }>
                    <option value="hyperband" selected=is_hyperband>"Hyperband"</option>
                    <option value="random_search" selected=move || !is_hyperband()>"RandomSearch"</option>
                </select>
            </label>
            <Show when=is_hyperband fallback=move || view! {
                {number("max_trials", "max-trials", algo_field(|a| match a { Algorithm::RandomSearch { max_trials, .. } => Some(*max_trials), _ => None }),
                    |c, v| { if let Algorithm::RandomSearch { max_trials, .. } = &mut c.algorithm { *max_trials = parse("algorithm.max_trials", v)?; } Ok(()) })}
                {number("epochs per trial", "trial-epochs", algo_field(|a| match a { Algorithm::RandomSearch { epochs, .. } => Some(*epochs), _ => None }),
                    |c, v| { if let Algorithm::RandomSearch { epochs, .. } = &mut c.algorithm { *epochs = parse("algorithm.epochs", v)?; } Ok(()) })}
            }>
                {number("max_epochs", "max-epochs", algo_field(|a| match a { Algorithm::Hyperband { max_epochs, .. } => Some(*max_epochs), _ => None }),
                    |c, v| { if let Algorithm::Hyperband { max_epochs, .. } = &mut c.algorithm { *max_epochs = parse("algorithm.max_epochs", v)?; } Ok(()) })}
                {number("factor", "factor", algo_field(|a| match a { Algorithm::Hyperband { factor, .. } => Some(*factor), _ => None }),
                    |c, v| { if let Algorithm::Hyperband { factor, .. } = &mut c.algorithm { *factor = parse("algorithm.factor", v)?; } Ok(()) })}
                {number("hyperband_iterations", "iterations", algo_field(|a| match a { Algorithm::Hyperband { hyperband_iterations, .. } => Some(*hyperband_iterations), _ => None }),
                    |c, v| { if let Algorithm::Hyperband { hyperband_iterations, .. } = &mut c.algorithm { *hyperband_iterations = parse("algorithm.hyperband_iterations", v)?; } Ok(()) })}
            </Show>
            <label class="field"><span>"objective"</span>
                <select data-testid="objective" prop:disabled=move || disabled.get() on:change=move |ev| {
                    let loss = event_target_value(&ev) == "val_loss";
                    config.update(|c| c.objective = if loss { Monitor::ValLoss } else { Monitor::ValAccuracy });
                }>
                    <option value="val_accuracy" selected=move || config.with(|c| c.objective == Monitor::ValAccuracy)>"val_accuracy (max)"</option>
                    <option value="val_loss" selected=move || config.with(|c| c.objective == Monitor::ValLoss)>"val_loss (min)"</option>
                </select>
            </label>
            {number("seed", "tune-seed", Signal::derive(move || config.with(|c| c.seed.to_string())),
                |c, v| { c.seed = parse("seed", v)?; Ok(()) })}
            {number("batch_size", "tune-batch", Signal::derive(move || config.with(|c| c.batch_size.to_string())),
                |c, v| { c.batch_size = parse("batch_size", v)?; Ok(()) })}
            {number("retrain epochs", "retrain-epochs", Signal::derive(move || config.with(|c| c.retrain_epochs.to_string())),
                |c, v| { c.retrain_epochs = parse("retrain_epochs", v)?; Ok(()) })}
        </div>
    }
}

/// Seconds a number of epochs takes at `speed` samples/s (validation adds about a tenth).
fn estimate_s(epochs: usize, train_samples: usize, speed: f64) -> f64 {
    epochs as f64 * train_samples as f64 / speed.max(1.0) * 1.1
}

#[component]
fn PlanView(trainer: Trainer, #[prop(into)] config: Signal<TunerConfig>) -> impl IntoView {
    move || {
        let c = config.get();
        if c.validate(None).is_err() {
            return view! { <p class="muted" data-testid="plan">"Fix the settings above to see the plan."</p> }.into_any();
        }
        let plan = c.plan();
        let available = trainer.available();
        let train_samples = c
            .training_config(&Default::default(), 1)
            .map(|t| t.train_samples(available))
            .unwrap_or(0);
        let estimate = match (trainer.measured_speed(), available) {
            (_, 0) => "the estimate needs the data".to_string(),
            (Some(speed), _) => format!(
                "≈ {} at {:.0} samples/s (the fastest speed measured on this machine so far; bigger models are slower)",
                format_duration(estimate_s(plan.total_epochs, train_samples, speed)),
                speed
            ),
            (None, _) => "train a model in steps 5–7 (or start the search) to measure this machine's speed; the estimate follows".to_string(),
        };
        let mut before = 0;
        let rows = plan
            .brackets
            .iter()
            .flat_map(|b| {
                before = 0;
                b.rounds
                    .iter()
                    .map(|r| {
                        let new = r.epochs - before;
                        before = r.epochs;
                        view! {
                            <tr>
                                <td>{b.bracket}</td><td>{r.round}</td><td>{r.trials}</td>
                                <td>{if r.round == 0 { format!("{}", r.epochs) } else { format!("{} (continues from {})", r.epochs, r.epochs - new) }}</td>
                                <td>{r.trials * new}</td>
                            </tr>
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect_view();
        view! {
            <div class="plan" data-testid="plan" data-trials=plan.trials() data-total-epochs=plan.total_epochs>
                <table>
                    <thead><tr><th>"bracket"</th><th>"round"</th><th>"trials"</th><th>"epochs (up to)"</th><th>"epochs trained"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <p data-testid="plan-total">{format!("{} trials, {} epochs in total on {} training images — {}.",
                    plan.trials(), plan.total_epochs, train_samples, estimate)}</p>
            </div>
        }
        .into_any()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Id,
    Bracket,
    Epochs,
    Score,
    Status,
}

fn objective_values(t: &Trial, objective: Monitor) -> &[f64] {
    t.history.values(objective)
}

#[component]
fn TrialTable(#[prop(into)] search: Signal<Option<SearchView>>) -> impl IntoView {
    let sort = RwSignal::new((SortBy::Id, true));
    let header = move |label: &'static str, by: SortBy| {
        view! {
            <th class="sortable" data-testid=format!("sort-{label}") on:click=move |_| sort.update(|(b, asc)| {
                if *b == by { *asc = !*asc } else { *b = by; *asc = by == SortBy::Id }
            })>
                {label}{move || { let (b, asc) = sort.get(); if b == by { if asc { " ▲" } else { " ▼" } } else { "" } }}
            </th>
        }
    };
    let rows = move || {
        let s = search.get()?;
        let best = s.best().map(|t| t.id.clone());
        let mut trials = s.trials.clone();
        let (by, asc) = sort.get();
        let max = s.config.direction() == lab_spec::Mode::Max;
        trials.sort_by(|a, b| {
            let o = match by {
                SortBy::Id => a.id.cmp(&b.id),
                SortBy::Bracket => (a.bracket, a.round).cmp(&(b.bracket, b.round)),
                SortBy::Epochs => a.epochs.cmp(&b.epochs),
                SortBy::Status => a.status.name().cmp(b.status.name()),
                SortBy::Score => {
                    let key = |t: &Trial| {
                        t.score
                            .map(|s| if max { s } else { -s })
                            .unwrap_or(f64::NEG_INFINITY)
                    };
                    key(a).total_cmp(&key(b))
                }
            };
            if asc { o } else { o.reverse() }
        });
        let objective = s.config.objective;
        Some(
            trials
                .into_iter()
                .map(|t| {
                    let is_best = best.as_ref() == Some(&t.id);
                    let live = objective_values(&t, objective).last().copied();
                    let score = match (t.score, t.status) {
                        (Some(v), _) => format!("{v:.4}"),
                        (None, TrialStatus::Running) => live.map_or("…".into(), |v| format!("{v:.4} …")),
                        _ => "–".into(),
                    };
                    view! {
                        <tr data-testid="trial-row" data-status=t.status.name() class:best=is_best>
                            <td>{t.id.clone()}</td>
                            <td class="values">{t.describe(&s.config)}</td>
                            <td>{format!("{} / {}", t.bracket, t.round)}</td>
                            <td>{if t.initial_epoch > 0 { format!("{} → {}", t.initial_epoch, t.epochs) } else { t.epochs.to_string() }}
                                {t.parent.clone().map(|p| format!(" (from {p})"))}</td>
                            <td>{score}</td>
                            <td>{t.status.name()}</td>
                        </tr>
                    }
                })
                .collect_view(),
        )
    };
    view! {
        <table class="trials" data-testid="trial-table">
            <thead><tr>
                {header("id", SortBy::Id)}<th>"values"</th>{header("bracket", SortBy::Bracket)}
                {header("epochs", SortBy::Epochs)}{header("score", SortBy::Score)}{header("status", SortBy::Status)}
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// Every trial's objective per epoch, coloured by bracket; a promoted trial is joined to its
/// parent's point at the epoch it continues from.
fn render_trials(s: &SearchView) -> String {
    let (w, h, left, right, top, bottom) = (860.0, 280.0, 56.0, 16.0, 12.0, 36.0);
    let objective = s.config.objective;
    let max_epoch = s.trials.iter().map(|t| t.epochs).max().unwrap_or(1).max(1);
    let all: Vec<f64> = s
        .trials
        .iter()
        .flat_map(|t| objective_values(t, objective).iter().copied())
        .filter(|v| v.is_finite())
        .collect();
    let (mut lo, mut hi) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-3 {
        lo -= 0.01;
        hi += 0.01;
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    let x = |e: f64| left + (e - 0.8) / (max_epoch as f64 - 0.6).max(0.4) * (w - left - right);
    let y = |v: f64| top + (hi - v) / (hi - lo) * (h - top - bottom);
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" data-testid="trial-chart-svg">"#
    );
    out.push_str(&format!(
        r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#ccc"/>"##,
        w - left - right,
        h - top - bottom
    ));
    for e in 1..=max_epoch {
        out.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#555">{e}</text>"##,
            x(e as f64),
            h - bottom + 14.0
        ));
    }
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f64 / 4.0;
        out.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#555">{v:.3}</text><line x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#eee"/>"##,
            left - 4.0,
            y(v) + 4.0,
            w - right,
            y(v),
            y(v)
        ));
    }
    out.push_str(&format!(
        r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#333">epoch · {}</text>"##,
        (left + w - right) / 2.0,
        h - 4.0,
        objective.name()
    ));
    let best = s.best().map(|t| t.id.clone());
    for t in &s.trials {
        let color = css_color(t.bracket);
        let values = objective_values(t, objective);
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| (x((t.initial_epoch + i + 1) as f64), y(v)))
            .collect();
        if let Some(parent) = t
            .parent
            .as_ref()
            .and_then(|p| s.trials.iter().find(|x| &x.id == p))
            && let Some(first) = points.first()
        {
            let pv = objective_values(parent, objective);
            let at = t.initial_epoch.checked_sub(parent.initial_epoch + 1);
            if let Some(v) = at.and_then(|i| pv.get(i)).filter(|v| v.is_finite()) {
                out.push_str(&format!(
                    r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{color}" stroke-dasharray="3 3" stroke-width="1"/>"#,
                    x(t.initial_epoch as f64),
                    y(*v),
                    first.0,
                    first.1
                ));
            }
        }
        let width = if best.as_ref() == Some(&t.id) {
            3.0
        } else {
            1.5
        };
        let path: Vec<String> = points
            .iter()
            .map(|(a, b)| format!("{a:.1},{b:.1}"))
            .collect();
        out.push_str(&format!(
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="{width}" data-trial="{}"><title>trial {}</title></polyline>"#,
            path.join(" "),
            t.id,
            t.id
        ));
        for (a, b) in &points {
            out.push_str(&format!(
                r#"<circle cx="{a:.1}" cy="{b:.1}" r="2.5" fill="{color}"/>"#
            ));
        }
    }
    out.push_str("</svg>");
    out
}

fn download(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    // Revoke once the browser has started the download.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ =
            w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    }
}

/// The search part of step 8. `on_retrain` receives the best values' training config.
#[component]
pub fn TunerPanel(
    trainer: Trainer,
    config: RwSignal<TunerConfig>,
    /// Quick-run subset from the URL, applied to the search and the retraining.
    #[prop(into)]
    subset: Signal<Option<usize>>,
    on_retrain: Callback<lab_spec::TrainingConfig>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let run_error = RwSignal::new(None::<String>);
    let running = Signal::derive(move || trainer.running());
    let effective = Signal::derive(move || {
        let mut c = config.get();
        if let Some(s) = subset.get() {
            c.subset = Some(s);
        }
        c
    });
    let invalid = move || {
        let available = trainer.available();
        effective
            .get()
            .validate((available > 0).then_some(available))
            .err()
            .map(|e| e.to_string())
    };
    let start = move |_| match trainer.tune(effective.get_untracked()) {
        Ok(()) => run_error.set(None),
        Err(e) => run_error.set(Some(e)),
    };
    let search = Signal::derive(move || trainer.search.get());
    let status = move || {
        let s = search.get()?;
        let plan = s.config.plan();
        let done = s.epochs_done();
        let elapsed = (now_ms() - s.started_at) / 1000.0;
        let best = s
            .best()
            .map(|t| {
                format!(
                    "best so far: {} {:.4} (trial {})",
                    s.config.objective.name(),
                    t.score.unwrap_or(f64::NAN),
                    t.id
                )
            })
            .unwrap_or_else(|| "no trial finished yet".into());
        let state = match &s.status {
            SearchStatus::Running => match s.current.and_then(|i| s.trials.get(i)) {
                Some(t) => {
                    let epoch = t.initial_epoch + t.history.epochs() + 1;
                    let batch = s.progress.as_ref().map_or(String::new(), |p| {
                        format!(
                            " · batch {}/{} · {:.0} samples/s · {}",
                            p.batch, p.batches, p.samples_per_s, s.backend
                        )
                    });
                    let eta = (done > 0).then(|| {
                        format_duration(
                            elapsed / done as f64 * plan.total_epochs.saturating_sub(done) as f64,
                        )
                    });
                    format!(
                        "running trial {} (bracket {}, round {}) · epoch {}/{}{batch} · ETA {}",
                        t.id,
                        t.bracket,
                        t.round,
                        epoch.min(t.epochs),
                        t.epochs,
                        eta.unwrap_or_else(|| "–".into())
                    )
                }
                None => "starting…".to_string(),
            },
            SearchStatus::Finished(summary) => format!(
                "search {} after {} trials, {} epochs, {}",
                match summary.reason.as_str() {
                    "stopped" => "stopped by you",
                    "exhausted" => "ended: every configuration the sampler could find was tried",
                    _ => "finished",
                },
                summary.trials,
                summary.epochs_trained,
                format_duration(summary.seconds)
            ),
            SearchStatus::Failed(e) => format!("search failed: {e}"),
        };
        let messages = s.messages.clone();
        Some(view! {
            <div class="progress" data-testid="search-progress">
                <progress max="1" value=(done as f64 / plan.total_epochs.max(1) as f64).min(1.0)></progress>
                <span data-testid="search-status">{state}</span>
                <span>{format!(" · {done}/{} epochs · ", plan.total_epochs)}</span>
                <b data-testid="best-so-far">{best}</b>
                <ul class="actions">{messages.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
            </div>
        })
    };
    let chart = move || {
        let s = search.get()?;
        let brackets: std::collections::BTreeSet<usize> =
            s.trials.iter().map(|t| t.bracket).collect();
        Some(view! {
            <div class="chart" data-testid="trial-chart" data-trials=s.trials.len()>
                <div class="chart-svg" inner_html=render_trials(&s)></div>
                <div class="legend">
                    <span class="legend-key">"one line per trial · dashed: a promoted trial continuing its parent · thick: the best"</span>
                    {brackets.into_iter().map(|b| view! {
                        <span class="legend-item"><span class="swatch" style=format!("background: {}", css_color(b))></span>{format!("bracket {b}")}</span>
                    }).collect_view()}
                </div>
            </div>
        })
    };
    let finished = move || {
        let s = search.get()?;
        if s.is_running() || s.trials.is_empty() {
            return None;
        }
        let best = s.best().cloned();
        let csv = trials_csv(&s.config, &s.trials);
        let json = serde_json::to_string_pretty(&s.trials).unwrap_or_default();
        let best_view = best.clone().map(|t| {
            let rows = s
                .config
                .hyperparameters
                .iter()
                .filter(|h| s.config.is_active(h.name(), &t.values))
                .filter_map(|h| t.values.get(h.name()).map(|v| (h.name().to_string(), v.to_string())))
                .map(|(n, v)| view! { <tr><td><code>{n}</code></td><td>{v}</td></tr> })
                .collect_view();
            let config = s.config.clone();
            let values = t.values.clone();
            let retrain = move |_| match config.retrain_config(&values) {
                Ok(mut c) => {
                    if let Some(n) = subset.get_untracked() {
                        c.subset = Some(n);
                    }
                    on_retrain.run(c);
                }
                Err(e) => run_error.set(Some(e.to_string())),
            };
            view! {
                <h3>"Best hyperparameters"</h3>
                <p>{format!("Trial {} · {} {:.4} (epoch {})", t.id, s.config.objective.name(), t.score.unwrap_or(f64::NAN), t.best_epoch.unwrap_or(0))}</p>
                <table class="best" data-testid="best-values"><tbody>{rows}</tbody></table>
                <button class="primary" data-testid="retrain-best" prop:disabled=move || running.get() on:click=retrain>
                    {format!("Retrain best ({} epochs, with step 7's callbacks)", s.config.retrain_epochs)}
                </button>
            }
        });
        Some(view! {
            <div class="search-end">
                {best_view}
                <div class="controls">
                    <button data-testid="export-csv" on:click=move |_| download("trials.csv", "text/csv", &csv)>"Export CSV"</button>
                    <button data-testid="export-json" on:click=move |_| download("trials.json", "application/json", &json)>"Export JSON"</button>
                </div>
            </div>
        })
    };
    view! {
        <div class="tuner">
            <h3>"Search space"</h3>
            <SpaceEditor config error disabled=running />
            <SearchSettings config error disabled=running />
            {move || error.get().map(|e| view! { <p class="error" data-testid="space-error">{e}</p> })}
            {move || invalid().map(|e| view! { <p class="error" data-testid="search-invalid">{e}</p> })}
            {move || subset.get().map(|s| view! { <p class="quick" data-testid="quick-run">{format!("Quick run from the URL: subset={s}")}</p> })}
            <h3>"Plan"</h3>
            <PlanView trainer config=effective />
            <div class="controls">
                <button class="primary" data-testid="search" prop:disabled=move || running.get() || invalid().is_some() on:click=start>"Search"</button>
                <button data-testid="stop-search" prop:disabled=move || !running.get() on:click=move |_| trainer.stop()>"Stop"</button>
            </div>
            {move || run_error.get().map(|e| view! { <p class="error" data-testid="search-error">{e}</p> })}
            {status}
            {chart}
            <TrialTable search />
            {finished}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_parse_to_their_kind() {
        assert_eq!(parse_value("128"), HpValue::Int(128));
        assert_eq!(parse_value(" 0.5 "), HpValue::Float(0.5));
        assert_eq!(parse_value("true"), HpValue::Bool(true));
        assert_eq!(parse_value("relu"), HpValue::Text("relu".into()));
        assert!(
            parse::<usize>("factor", "x")
                .unwrap_err()
                .contains("factor")
        );
    }

    #[test]
    fn estimate_scales_with_epochs() {
        assert!((estimate_s(31, 48_000, 48_000.0) - 34.1).abs() < 1e-9);
    }
}
