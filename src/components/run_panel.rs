//! A step's training panel: config editor, model summary, Train / Stop, progress, the live
//! chart (with the runs it overlays), callback actions and the test-set results.
//!
//! The panel is its step's own: its Stop applies only while this step's run (or its waiting
//! Train) is in progress, its status line is this step's latest run, and its results are
//! one of this step's runs, chosen by name. The form is the truth: what the URL sets
//! (`subset`, `epochs`) fills the fields when the step opens, the learner edits them, and
//! Train trains what they show — never while a field holds a refused value.

use lab_spec::TrainingConfig;
use leptos::prelude::*;

use crate::components::action_note::ActionNote;
use crate::components::builder::{ConfigEditor, Knob, Level, fix_first};
use crate::components::chart::HistoryChart;
use crate::components::predictions::Predictions;
use crate::components::results::{Results, SummaryTable};
use crate::components::weights_panel::{DownloadWeights, LoadWeights};
use crate::exercises::{best_by_test_accuracy, best_by_val_loss};
use crate::logic::{Eta, Route, UrlOverrides, encode_config, eta};
use crate::run_name::run_name;
use crate::trainer::pending::{ActionKind, stoppable};
use crate::trainer::{RunView, Trainer, now_ms};

/// The runs drawn beside step `step`'s own: for each overlaid step, its best run on the same
/// data (`subset`) — by test accuracy beside step 8, whose table compares test accuracies,
/// else by val_loss, as step 7's exercise compares — or its latest run when none is
/// comparable. Each with its place in `runs` (its colour).
pub fn overlaid(
    runs: &[RunView],
    step: u8,
    overlay: &[u8],
    subset: Option<usize>,
) -> Vec<(usize, RunView)> {
    let mut out: Vec<(usize, RunView)> = Vec::new();
    for &s in overlay {
        let best = if step == 8 {
            best_by_test_accuracy(runs, s, subset)
        } else {
            best_by_val_loss(runs, s, subset)
        };
        let shown = best.or_else(|| runs.iter().rev().find(|r| r.step == s));
        if let Some(r) = shown
            && let Some(i) = runs.iter().position(|x| x.id == r.id)
        {
            out.push((i, r.clone()));
        }
    }
    for (i, r) in runs.iter().enumerate() {
        if r.step == step {
            out.push((i, r.clone()));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

/// The run whose test-set results the panel shows: the one the learner picked, else the
/// step's latest.
pub fn shown_run(runs: &[RunView], step: u8, picked: Option<u32>) -> Option<&RunView> {
    let mine = || runs.iter().filter(|r| r.step == step);
    picked
        .and_then(|id| mine().find(|r| r.id == id))
        .or_else(|| mine().next_back())
}

/// What the results part draws of the shown run: it changes when a report arrives, not at
/// every batch.
#[derive(Clone, Debug, PartialEq)]
struct Shown {
    id: u32,
    label: String,
    report: Option<lab_spec::ClassificationReport>,
    checkpoint_report: Option<(usize, lab_spec::ClassificationReport)>,
    /// "Use the best checkpoint" applies: a finished run with ModelCheckpoint whose worker
    /// still holds the checkpoint.
    has_checkpoint: bool,
    running: bool,
}

#[component]
pub fn RunPanel(
    trainer: Trainer,
    step: u8,
    /// The step's config, as the learner edited it.
    #[prop(into)]
    config: Signal<TrainingConfig>,
    /// Receives every valid edit of the config, and the config of each run when it starts.
    #[prop(into)]
    on_config: Callback<TrainingConfig>,
    level: Level,
    /// Steps whose best (or latest) run is drawn beside this step's runs.
    #[prop(optional)]
    overlay: Vec<u8>,
    /// Quick-run values from the URL (subset, epochs): they fill the form's fields when the
    /// step opens, and the learner can change them there.
    #[prop(into)]
    quick: Signal<UrlOverrides>,
    /// The learner's success metric (step 2), highlighted in the chart.
    #[prop(into)]
    metric: Signal<String>,
) -> impl IntoView {
    let kind = ActionKind::Train(step);
    // A refused edit of the config (shown by the editor) and a refused Train (shown under the
    // buttons): two causes, two places, each message once.
    let config_error = RwSignal::new(None::<String>);
    let run_error = RwSignal::new(None::<String>);
    // Until the learner's first edit (or Train), the form is the step's config with the URL's
    // values in its fields; from then on it is the step's config as edited.
    let edited = RwSignal::new(false);
    let form = Signal::derive(move || {
        if edited.get() {
            config.get()
        } else {
            quick.with(|q| config.with(|c| q.apply(c).unwrap_or_else(|_| c.clone())))
        }
    });
    // The fields holding a refused value: Train waits until they are fixed.
    let invalid = RwSignal::new(Vec::<Knob>::new());
    let blocked = Memo::new(move |_| invalid.with(|k| fix_first(k)));
    // This step's run in progress or waiting for the data: the config is frozen, Stop applies.
    let mine_busy = Signal::derive(move || stoppable(kind, trainer.busy()));
    let can_train =
        Signal::derive(move || trainer.button(kind).enabled && blocked.with(Option::is_none));
    // The step's runs are those of its data set (a config says which): the other data set's
    // runs stay, out of sight, until the learner switches back.
    let dataset = Memo::new(move |_| config.with(|c| c.dataset));
    let same_data = move |r: &RunView| r.config.dataset == dataset.get();
    let latest = Memo::new(move |_| {
        trainer.runs.with(|rs| {
            rs.iter()
                .rev()
                .find(|r| r.step == step && same_data(r))
                .cloned()
        })
    });
    // The run whose results are shown: `None` follows the latest.
    let picked = RwSignal::new(None::<u32>);
    let chart_runs = Signal::derive(move || {
        let subset = latest
            .with(|l| l.as_ref().map(|r| r.config.subset))
            .unwrap_or_else(|| form.with(|c| c.subset));
        let pinned = trainer.saved.pinned.get();
        trainer.runs.with(|all| {
            let mine = crate::exercises::of_dataset(all, dataset.get());
            crate::components::my_runs::with_baseline(
                overlaid(&mine, step, &overlay, subset),
                &mine,
                pinned,
            )
        })
    });
    let train = move |_| {
        if let Some(reason) = blocked.get_untracked() {
            run_error.set(Some(reason));
            return;
        }
        let c = form.get_untracked();
        let label = run_name(step, &c, None);
        match trainer.start(step, label, c.clone()) {
            Ok(_) => {
                run_error.set(None);
                picked.set(None);
                edited.set(true);
                on_config.run(c.clone());
                set_hash_config(&c);
            }
            Err(e) => run_error.set(Some(e)),
        }
    };
    let copied = RwSignal::new(false);
    let copy_link = move |_| {
        set_hash_config(&form.get_untracked());
        if let Some(w) = web_sys::window() {
            let href = w.location().href().unwrap_or_default();
            let _ = w.navigator().clipboard().write_text(&href);
            copied.set(true);
        }
    };
    let summary = move || {
        form.with(|c| c.model.summary())
            .ok()
            .map(|s| view! { <SummaryTable summary=s /> })
    };
    // Where the running run's pace is measured from (its own batches, after the first few).
    let pace = StoredValue::new(None);
    let progress = move || {
        let r = latest.get()?;
        let (done, place) = r.progress_line();
        let live = r.is_running();
        let eta_text = live.then(|| match &r.progress {
            Some(p) => pace
                .try_update_value(|m| eta(m, r.id, now_ms(), p, r.total_epochs))
                .unwrap_or(Eta::Estimating)
                .text(),
            None => Eta::Estimating.text(),
        });
        let status = r.status_text();
        Some(view! {
            <div class="progress" data-testid="progress">
                <div class="run-name" data-testid="run-name">{format!("run {} · {}", r.id, r.label)}</div>
                <progress max="1" value=done></progress>
                <span data-testid="run-status">{status}</span>
                <span data-testid="run-place">{format!(" · {place}")}</span>
                {eta_text.map(|t| view! { <span>{format!(" · ETA {t}")}</span> })}
                {r.progress.clone().map(|p| view! {
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
    // The step's runs for the results' select: (id, name), oldest first.
    let choices = Memo::new(move |_| {
        trainer.runs.with(|rs| {
            rs.iter()
                .filter(|r| r.step == step && same_data(r))
                .map(|r| (r.id, r.label.clone(), r.report.is_some()))
                .collect::<Vec<_>>()
        })
    });
    let shown = Memo::new(move |_| {
        trainer.runs.with(|rs| {
            let rs = crate::exercises::of_dataset(rs, dataset.get());
            shown_run(&rs, step, picked.get()).map(|r| Shown {
                id: r.id,
                label: r.label.clone(),
                report: r.report.clone(),
                checkpoint_report: r.checkpoint_report.clone(),
                has_checkpoint: !r.restored
                    && r.summary.is_some()
                    && r.config.callbacks.model_checkpoint.is_some(),
                running: r.is_running(),
            })
        })
    });
    let picker = move || {
        let list = choices.get();
        (list.len() > 1).then(|| {
            let selected = shown.with(|s| s.as_ref().map(|s| s.id));
            view! {
                <label class="results-pick">"Test-set results of "
                    <select data-testid="results-run"
                        on:change=move |ev| picked.set(event_target_value(&ev).parse().ok())>
                        {list.into_iter().rev().map(|(id, label, reported)| view! {
                            <option value=id.to_string() selected=selected == Some(id)>
                                {format!("run {id} · {label}{}", if reported { "" } else { " (no test-set results)" })}
                            </option>
                        }).collect_view()}
                    </select>
                </label>
            }
        })
    };
    let results = move || {
        let s = shown.get()?;
        let Some(report) = s.report.clone() else {
            // The latest run still trains (its results come at the end), or an earlier one
            // ended without them.
            if s.running {
                // What a CNN sees while it trains (nothing for other models).
                let id = s.id;
                return Some(
                    view! { <crate::components::activations::LiveActivations trainer run=id /> }
                        .into_any(),
                );
            }
            return Some(view! {
                <p class="note" data-testid="no-results">{format!("Run {} has no test-set results: it ended before its evaluation.", s.id)}</p>
            }.into_any());
        };
        let id = s.id;
        let checkpoint = s.checkpoint_report.clone().map(|(epoch, rep)| {
            view! { <Results trainer run=id report=rep metric title=format!("Best checkpoint (epoch {epoch}) on the test set") /> }
        });
        // Under way until its report (or the reason it failed) arrives.
        let asked = move || trainer.checkpoint.get().filter(|a| a.run == id);
        let evaluating = move || asked().is_some_and(|a| a.failed.is_none());
        let has_checkpoint = s.has_checkpoint;
        Some(view! {
            // What the network sees goes under the final results only: once per run.
            <Results trainer run=id report metric title=format!("Test set · run {id} · {}", s.label) activations=true />
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
            <DownloadWeights trainer run=id label=s.label.clone() has_best=has_checkpoint />
            // The grid shows test images; a text run's reviews are read from its confusion matrix.
            {(dataset.get_untracked() == lab_spec::DatasetKind::FashionMnist).then(|| view! { <Predictions trainer run=id /> })}
        }.into_any())
    };
    let current = Signal::derive(move || latest.with(|r| r.as_ref().map(|r| r.id)));
    let (train_button, stop_button) = (NodeRef::new(), NodeRef::new());
    keep_focus_with_the_run(mine_busy, train_button, stop_button);
    view! {
        <div class="run-panel">
            <div class="setup">
                <ConfigEditor config=form level disabled=mine_busy error=config_error
                    on_change=move |c| {
                        config_error.set(None);
                        run_error.set(None);
                        trainer.dismiss(kind);
                        edited.set(true);
                        on_config.run(c)
                    }
                    on_error=move |e| config_error.set(Some(e))
                    on_invalid=move |k| invalid.set(k) />
                <div class="model">
                    <h4>"Model summary"</h4>
                    {summary}
                </div>
            </div>
            {move || {
                let (s, e) = quick.with(|q| (q.subset, q.epochs));
                (s.is_some() || e.is_some()).then(|| view! {
                    <p class="quick" data-testid="quick-run">{format!("The link set{}{} in the fields above; what they show is what trains.",
                        s.map_or(String::new(), |s| format!(" subset {s}")),
                        e.map_or(String::new(), |e| format!("{} epochs {e}", if s.is_some() { " and" } else { "" })))}</p>
                })
            }}
            <div class="controls">
                <button class="primary" data-testid="train" node_ref=train_button prop:disabled=move || !can_train.get() on:click=train>"Train"</button>
                <button data-testid="stop" node_ref=stop_button prop:disabled=move || !mine_busy.get() on:click=move |_| trainer.stop()>"Stop"</button>
                <button data-testid="copy-link" on:click=copy_link>{move || if copied.get() { "Link copied" } else { "Copy link" }}</button>
            </div>
            {move || blocked.get().map(|reason| view! { <p class="note blocked" data-testid="run-invalid">{reason}</p> })}
            <ActionNote trainer kind testid="run" />
            <LoadWeights trainer step config=form />
            {move || run_error.get().map(|e| view! { <p class="error" data-testid="run-error">{e}</p> })}
            {progress}
            <HistoryChart trainer runs=chart_runs current metric />
            {actions}
            {picker}
            {results}
            <crate::components::exports::Exports trainer run=Signal::derive(move || shown.with(|s| s.as_ref().map(|s| s.id))) runs=chart_runs metric />
        </div>
    }
}

/// Keyboard focus follows a run: a start button disables itself when pressed (which drops the
/// focus to the page), so the focus moves to Stop while `busy`, and back to the start button
/// when the run ends — only when the focus is on the button being disabled or was dropped,
/// never taken from where the learner put it.
pub fn keep_focus_with_the_run(
    busy: Signal<bool>,
    start: NodeRef<leptos::html::Button>,
    stop: NodeRef<leptos::html::Button>,
) {
    Effect::new(move |was: Option<bool>| {
        let now = busy.get();
        if was.is_some_and(|was| was != now) {
            let (from, to) = if now { (start, stop) } else { (stop, start) };
            // After this turn's DOM updates, when `to` is enabled.
            gloo_timers::callback::Timeout::new(0, move || {
                let (Some(from), Some(to)) = (from.get_untracked(), to.get_untracked()) else {
                    return;
                };
                let active = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element());
                let dropped = active.is_none_or(|a| {
                    a.tag_name().eq_ignore_ascii_case("body")
                        || wasm_bindgen::JsValue::from(a) == wasm_bindgen::JsValue::from(from)
                });
                if dropped && !to.disabled() {
                    let _ = to.focus();
                }
            })
            .forget();
        }
        now
    });
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

#[cfg(test)]
mod tests {
    use lab_spec::{ClassificationReport, StopReason};

    use super::*;
    use crate::trainer::RunStatus;

    fn run(id: u32, step: u8, subset: Option<usize>, val_loss: f64, accuracy: f64) -> RunView {
        let mut config = crate::presets::baseline();
        config.subset = subset;
        let mut r = RunView::new(id, step, String::new(), config, "cpu".into(), 0.0);
        r.status = RunStatus::Finished(StopReason::Completed);
        r.epochs = vec![lab_spec::EpochLogs {
            epoch: 1,
            loss: 0.5,
            accuracy: 0.8,
            val_loss: Some(val_loss),
            val_accuracy: Some(0.8),
            lr: 1e-3,
            regularization_loss: 0.0,
            seconds: 1.0,
        }];
        let avg = lab_spec::Averages {
            precision: accuracy,
            recall: accuracy,
            f1: accuracy,
            support: 100,
        };
        let report = ClassificationReport {
            accuracy,
            loss: None,
            confusion_matrix: Vec::new(),
            per_class: Vec::new(),
            macro_avg: avg.clone(),
            weighted_avg: avg,
        };
        r.report = Some(report);
        r
    }

    #[test]
    fn beside_step_7_is_the_best_step_6_run_on_the_same_data() {
        let runs = vec![
            run(1, 6, None, 0.30, 0.88),
            run(2, 6, Some(2000), 0.20, 0.80),
            run(3, 6, None, 0.45, 0.85), // the latest, stopped early: not the best
            run(4, 7, None, 0.35, 0.86),
            run(5, 5, None, 0.40, 0.84),
        ];
        let ids = |v: Vec<(usize, RunView)>| v.iter().map(|(i, r)| (*i, r.id)).collect::<Vec<_>>();
        assert_eq!(ids(overlaid(&runs, 7, &[6], None)), [(0, 1), (3, 4)]);
        assert_eq!(ids(overlaid(&runs, 7, &[6], Some(2000))), [(1, 2), (3, 4)]);
        // Nothing comparable: the latest step-6 run.
        assert_eq!(ids(overlaid(&runs, 7, &[6], Some(500))), [(2, 3), (3, 4)]);
        // Beside step 8: each step's best test accuracy.
        assert_eq!(
            ids(overlaid(&runs, 8, &[5, 6, 7], None)),
            [(0, 1), (3, 4), (4, 5)]
        );
        // A step's own runs only, without overlay.
        assert_eq!(ids(overlaid(&runs, 5, &[], None)), [(4, 5)]);
    }

    #[test]
    fn the_results_show_the_picked_run_of_this_step_or_its_latest() {
        let runs = vec![
            run(1, 5, None, 0.4, 0.84),
            run(2, 6, None, 0.3, 0.88),
            run(3, 5, Some(2000), 0.5, 0.80),
        ];
        assert_eq!(shown_run(&runs, 5, None).map(|r| r.id), Some(3));
        assert_eq!(shown_run(&runs, 5, Some(1)).map(|r| r.id), Some(1));
        // Another step's run cannot be picked here.
        assert_eq!(shown_run(&runs, 5, Some(2)).map(|r| r.id), Some(3));
        assert_eq!(shown_run(&runs, 7, None), None);
    }
}
