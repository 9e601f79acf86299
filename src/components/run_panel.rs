//! A step's training panel: config editor, model summary, Train / Stop, progress, the live
//! chart (with the runs it overlays), callback actions and the test-set results.

use lab_spec::TrainingConfig;
use leptos::prelude::*;

use crate::components::action_note::ActionNote;
use crate::components::builder::{ConfigEditor, Level};
use crate::components::chart::HistoryChart;
use crate::components::results::{Results, SummaryTable};
use crate::logic::{Route, UrlOverrides, encode_config, eta, format_duration};
use crate::trainer::pending::ActionKind;
use crate::trainer::{RunView, Trainer, now_ms};

#[component]
pub fn RunPanel(
    trainer: Trainer,
    step: u8,
    /// The step's config, as the learner edited it.
    #[prop(into)]
    config: Signal<TrainingConfig>,
    /// Receives every valid edit of the config.
    #[prop(into)]
    on_config: Callback<TrainingConfig>,
    level: Level,
    /// Steps whose latest run is drawn beside this step's runs.
    #[prop(optional)]
    overlay: Vec<u8>,
    /// Quick-run overrides from the URL (subset, epochs), applied to every run of this step.
    #[prop(into)]
    quick: Signal<UrlOverrides>,
) -> impl IntoView {
    let kind = ActionKind::Train(step);
    // A refused edit of the config (shown by the editor) and a refused Train (shown under the
    // buttons): two causes, two places, each message once.
    let config_error = RwSignal::new(None::<String>);
    let run_error = RwSignal::new(None::<String>);
    // A run in progress or waiting for the data: the config is frozen, Stop applies.
    let busy = Signal::derive(move || trainer.busy().is_busy());
    let can_train = Signal::derive(move || trainer.button(kind).enabled);
    let my_runs = move || {
        trainer.runs.with(|rs| {
            rs.iter()
                .filter(|r| r.step == step)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let latest = Memo::new(move |_| my_runs().last().cloned());
    let chart_runs = Signal::derive(move || {
        let all = trainer.runs.get();
        let mut out: Vec<(usize, RunView)> = Vec::new();
        for (i, r) in all.iter().enumerate() {
            let overlaid = overlay.contains(&r.step)
                && all.iter().rev().find(|x| x.step == r.step).map(|x| x.id) == Some(r.id);
            if r.step == step || overlaid {
                out.push((i, r.clone()));
            }
        }
        out
    });
    let train = move |_| {
        let c = match quick.with(|q| config.with(|c| q.apply(c))) {
            Ok(c) => c,
            Err(e) => {
                run_error.set(Some(e.to_string()));
                return;
            }
        };
        let label = c.name.clone().unwrap_or_else(|| format!("step {step}"));
        match trainer.start(step, label, c.clone()) {
            Ok(_) => {
                run_error.set(None);
                set_hash_config(&c);
            }
            Err(e) => run_error.set(Some(e)),
        }
    };
    let copied = RwSignal::new(false);
    let copy_link = move |_| {
        set_hash_config(&config.get_untracked());
        if let Some(w) = web_sys::window() {
            let href = w.location().href().unwrap_or_default();
            let _ = w.navigator().clipboard().write_text(&href);
            copied.set(true);
        }
    };
    let summary = move || {
        config
            .with(|c| c.model.summary())
            .ok()
            .map(|s| view! { <SummaryTable summary=s /> })
    };
    let progress = move || {
        let r = latest.get()?;
        let p = r.progress.clone();
        let (epoch, batch, batches) = p.as_ref().map_or((1, 0, r.batches_per_epoch.max(1)), |p| {
            (p.epoch, p.batch, p.batches)
        });
        let done =
            ((epoch - 1) * batches + batch) as f64 / (r.total_epochs * batches).max(1) as f64;
        let elapsed = (now_ms() - r.started_at) / 1000.0;
        let eta_text = if r.is_running() {
            eta(epoch, r.total_epochs, batch, batches, elapsed).map_or("–".into(), format_duration)
        } else {
            "–".into()
        };
        let status = r.status_text();
        Some(view! {
            <div class="progress" data-testid="progress">
                <progress max="1" value=done.min(1.0)></progress>
                <span data-testid="run-status">{status}</span>
                <span>{format!(" · epoch {epoch}/{} · batch {batch}/{batches} · ETA {eta_text}", r.total_epochs)}</span>
                {p.map(|p| view! {
                    <span class="speed" data-testid="speed">{format!(" · {:.0} samples/s · {:.1} ms/batch · {}", p.samples_per_s, p.ms_per_batch, r.backend)}</span>
                })}
            </div>
        })
    };
    let actions = move || {
        latest.get().map(|r| {
            view! {
                <ul class="actions" data-testid="callback-actions">
                    {r.actions.iter().map(|a| view! { <li>{a.to_string()}</li> }).collect_view()}
                </ul>
            }
        })
    };
    let results = move || {
        let r = latest.get()?;
        let report = r.report.clone()?;
        let has_checkpoint = !r.restored
            && r.summary.as_ref().is_some()
            && r.config.callbacks.model_checkpoint.is_some();
        let id = r.id;
        let checkpoint = r.checkpoint_report.clone().map(|(epoch, rep)| {
            view! { <Results trainer run=id report=rep title=format!("Best checkpoint (epoch {epoch}) on the test set") /> }
        });
        // Under way until its report (or the reason it failed) arrives.
        let asked = move || trainer.checkpoint.get().filter(|a| a.run == id);
        let evaluating = move || asked().is_some_and(|a| a.failed.is_none());
        Some(view! {
            <Results trainer run=id report />
            {has_checkpoint.then(|| view! {
                <button data-testid="use-checkpoint" prop:disabled=evaluating on:click=move |_| trainer.evaluate_checkpoint(id)>"Use the best checkpoint"</button>
                {move || evaluating().then(|| view! {
                    <span class="note" data-testid="checkpoint-evaluating">" evaluating the best checkpoint on the test set…"</span>
                })}
                {move || asked().and_then(|a| a.failed).map(|e| view! {
                    <p class="error" data-testid="checkpoint-error">{format!("The best checkpoint could not be evaluated: {e}")}</p>
                })}
            })}
            {checkpoint}
        })
    };
    let current = Signal::derive(move || latest.get().map(|r| r.id));
    view! {
        <div class="run-panel">
            <div class="setup">
                <ConfigEditor config level disabled=busy error=config_error
                    on_change=move |c| {
                        config_error.set(None);
                        run_error.set(None);
                        trainer.dismiss(kind);
                        on_config.run(c)
                    }
                    on_error=move |e| config_error.set(Some(e)) />
                <div class="model">
                    <h4>"Model summary"</h4>
                    {summary}
                </div>
            </div>
            {move || {
                let (s, e) = quick.with(|q| (q.subset, q.epochs));
                (s.is_some() || e.is_some()).then(|| view! {
                    <p class="quick" data-testid="quick-run">{format!("Quick run from the URL:{}{}",
                        s.map_or(String::new(), |s| format!(" subset={s}")),
                        e.map_or(String::new(), |e| format!(" epochs={e}")))}</p>
                })
            }}
            <div class="controls">
                <button class="primary" data-testid="train" prop:disabled=move || !can_train.get() on:click=train>"Train"</button>
                <button data-testid="stop" prop:disabled=move || !busy.get() on:click=move |_| trainer.stop()>"Stop"</button>
                <button data-testid="copy-link" on:click=copy_link>{move || if copied.get() { "Link copied" } else { "Copy link" }}</button>
            </div>
            <ActionNote trainer kind testid="run" />
            {move || run_error.get().map(|e| view! { <p class="error" data-testid="run-error">{e}</p> })}
            {progress}
            <HistoryChart trainer runs=chart_runs current />
            {actions}
            {results}
        </div>
    }
}

/// Puts the config into the URL (without a navigation), so the page's link is the run's.
fn set_hash_config(config: &TrainingConfig) {
    let Some(w) = web_sys::window() else { return };
    let route = Route::parse(&w.location().hash().unwrap_or_default())
        .with("cfg", Some(encode_config(config)));
    if let Ok(history) = w.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&route.to_hash()),
        );
    }
}
