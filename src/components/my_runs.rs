//! "My runs": every run the browser keeps (after a reload, in a new tab, after a restart),
//! of both data sets, with its data set, step, name, date, best val_accuracy and test
//! accuracy; rename, delete, "pin as the baseline" (the pinned run is drawn in every training
//! step's chart of its data set) and clear all, which asks first. The runs are the trainer's; storing them is `trainer::persist`'s.

use std::collections::BTreeMap;

use lab_spec::DatasetKind;
use leptos::prelude::*;

use crate::exercises::best_val_accuracy;
use crate::trainer::{RunView, Trainer};

/// What the chart's legend adds to the pinned run's name.
pub const BASELINE: &str = " · baseline";

/// The runs a training step's chart draws (`list`: (colour index, run)) with the pinned
/// baseline among them: added when the step does not draw it already, named as the
/// baseline either way.
pub fn with_baseline(
    mut list: Vec<(usize, RunView)>,
    runs: &[RunView],
    pinned: Option<u32>,
) -> Vec<(usize, RunView)> {
    let Some(id) = pinned else { return list };
    if let Some((_, r)) = list.iter_mut().find(|(_, r)| r.id == id) {
        r.label.push_str(BASELINE);
    } else if let Some(i) = runs.iter().position(|r| r.id == id) {
        let mut r = runs[i].clone();
        r.label.push_str(BASELINE);
        list.push((i, r));
        list.sort_by_key(|(i, _)| *i);
    }
    list
}

/// One line of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: u32,
    pub dataset: DatasetKind,
    pub step: u8,
    pub name: String,
    pub created_ms: Option<f64>,
    pub best_val_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
    pub running: bool,
}

/// The runs as the list shows them, newest first.
pub fn rows(runs: &[RunView], dates: &BTreeMap<u32, f64>) -> Vec<Row> {
    runs.iter()
        .rev()
        .map(|r| Row {
            id: r.id,
            dataset: r.config.dataset,
            step: r.step,
            name: r.label.clone(),
            created_ms: dates.get(&r.id).copied(),
            best_val_accuracy: best_val_accuracy(&r.epochs),
            test_accuracy: r.report.as_ref().map(|rep| rep.accuracy),
            running: r.is_running(),
        })
        .collect()
}

/// The data set column: a run of the other data set is listed, named as such, and drawn and
/// compared only on its own data set's steps.
pub fn dataset_label(d: DatasetKind) -> &'static str {
    match d {
        DatasetKind::FashionMnist => "Fashion-MNIST",
        DatasetKind::Imdb => "IMDB",
    }
}

fn share(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.4}"))
}

/// "2025-03-01 14:05", in the learner's time zone.
fn date_text(ms: Option<f64>) -> String {
    let Some(ms) = ms else {
        return "not stored yet".into();
    };
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

#[component]
pub fn MyRuns(trainer: Trainer) -> impl IntoView {
    let list = Memo::new(move |_| {
        trainer
            .runs
            .with(|rs| trainer.saved.dates.with(|d| rows(rs, d)))
    });
    let count = move || list.with(Vec::len);
    let asking = RwSignal::new(false);
    let editing = RwSignal::new(None::<u32>);
    let draft = RwSignal::new(String::new());
    let rename_error = RwSignal::new(None::<String>);
    let save = move || {
        let Some(id) = editing.get_untracked() else {
            return;
        };
        match trainer.rename_run(id, &draft.get_untracked()) {
            Ok(()) => {
                editing.set(None);
                rename_error.set(None);
            }
            Err(e) => rename_error.set(Some(e)),
        }
    };
    let body = move || {
        if count() == 0 {
            let text = if trainer.saved.loaded.get() {
                "No runs yet: the runs you train are kept here, in this browser, until you delete them."
            } else {
                "Reading the runs kept in this browser…"
            };
            return view! { <p class="note" data-testid="my-runs-empty">{text}</p> }.into_any();
        }
        let pinned = trainer.saved.pinned.get();
        let lines = list
            .get()
            .into_iter()
            .map(|row| {
                let id = row.id;
                let is_pinned = pinned == Some(id);
                let name = if editing.get() == Some(id) {
                    view! {
                        <input type="text" class="run-name-input" data-testid="my-run-name-input"
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                            on:keydown=move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
                                "Enter" => save(),
                                "Escape" => editing.set(None),
                                _ => {}
                            } />
                        <button data-testid="my-run-rename-save" on:click=move |_| save()>"Save"</button>
                        <button data-testid="my-run-rename-cancel" on:click=move |_| editing.set(None)>"Cancel"</button>
                    }
                    .into_any()
                } else {
                    let current = row.name.clone();
                    view! {
                        <span data-testid="my-run-name">{row.name.clone()}</span>
                        {is_pinned.then(|| view! { <span class="pin-mark" data-testid="my-run-pinned">" · baseline"</span> })}
                        <button class="link" data-testid="my-run-rename" title="rename this run"
                            on:click=move |_| {
                                draft.set(current.clone());
                                rename_error.set(None);
                                editing.set(Some(id));
                            }>"Rename"</button>
                    }
                    .into_any()
                };
                let data = dataset_label(row.dataset);
                view! {
                    <tr data-testid="my-run" data-run=id data-dataset=row.dataset.name() class:pinned=is_pinned>
                        <td data-testid="my-run-dataset">{data}</td>
                        <td class="num">{row.step}</td>
                        <td>{format!("run {id} · ")}{name}</td>
                        <td>{date_text(row.created_ms)}</td>
                        <td class="num" data-testid="my-run-val-accuracy">{share(row.best_val_accuracy)}</td>
                        <td class="num" data-testid="my-run-test-accuracy">{share(row.test_accuracy)}</td>
                        <td class="run-actions">
                            <button data-testid="my-run-pin"
                                title=format!("draw this run in every training step's chart on {data}")
                                on:click=move |_| trainer.pin(if is_pinned { None } else { Some(id) })>
                                {if is_pinned { "Unpin" } else { "Pin as the baseline" }}
                            </button>
                            <button data-testid="my-run-delete" prop:disabled=row.running
                                title=if row.running { "it is training: stop it first" } else { "delete this run from this browser" }
                                on:click=move |_| trainer.delete_run(id)>"Delete"</button>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="my-runs-table">
                <thead><tr>
                    <th>"Data"</th><th class="num">"Step"</th><th>"Name"</th><th>"Date"</th>
                    <th class="num">"Best val_accuracy"</th><th class="num">"Test accuracy"</th><th></th>
                </tr></thead>
                <tbody>{lines}</tbody>
            </table>
            {move || rename_error.get().map(|e| view! { <p class="error" data-testid="my-run-rename-error">{e}</p> })}
            <div class="clear-all">
                {move || if asking.get() {
                    view! {
                        <span data-testid="my-runs-clear-question">{format!("Delete all {} runs{} from this browser? This cannot be undone. ", count(), if trainer.search.with(Option::is_some) { " and the search" } else { "" })}</span>
                        <button class="danger" data-testid="my-runs-clear-confirm" on:click=move |_| {
                            trainer.clear_runs();
                            asking.set(false);
                        }>"Delete all"</button>
                        <button data-testid="my-runs-clear-cancel" on:click=move |_| asking.set(false)>"Cancel"</button>
                    }.into_any()
                } else {
                    view! { <button data-testid="my-runs-clear" on:click=move |_| asking.set(true)>"Clear all…"</button> }.into_any()
                }}
            </div>
        }
        .into_any()
    };
    view! {
        <details class="my-runs" data-testid="my-runs">
            <summary data-testid="my-runs-toggle">{move || format!("My runs ({})", count())}</summary>
            <p class="note">"Kept in this browser: they come back after a reload, in a new tab and after a restart. A run still training when the page closed comes back interrupted, with its curves."</p>
            {body}
        </details>
    }
}

#[cfg(test)]
mod tests {
    use lab_spec::TrainingConfig;

    use super::*;

    fn run(id: u32, step: u8) -> RunView {
        RunView::new(
            id,
            step,
            format!("r{id}"),
            TrainingConfig::new(lab_spec::ModelSpec::baseline()),
            "cpu".into(),
            0.0,
        )
    }

    #[test]
    fn the_pinned_run_is_drawn_beside_every_step_and_named_as_the_baseline() {
        let runs = vec![run(1, 5), run(2, 6), run(3, 6)];
        let step6 = vec![(1, runs[1].clone()), (2, runs[2].clone())];
        let names = |v: &[(usize, RunView)]| {
            v.iter()
                .map(|(i, r)| (*i, r.label.clone()))
                .collect::<Vec<_>>()
        };
        let drawn = with_baseline(step6.clone(), &runs, Some(1));
        assert_eq!(
            names(&drawn),
            [
                (0, "r1 · baseline".into()),
                (1, "r2".into()),
                (2, "r3".into())
            ]
        );
        // Already drawn by its own step: named, not doubled.
        let drawn = with_baseline(step6.clone(), &runs, Some(3));
        assert_eq!(
            names(&drawn),
            [(1, "r2".into()), (2, "r3 · baseline".into())]
        );
        assert_eq!(with_baseline(step6.clone(), &runs, None), step6);
        // A pin whose run was deleted draws nothing.
        assert_eq!(with_baseline(step6.clone(), &runs, Some(9)), step6);
    }

    #[test]
    fn the_list_is_newest_first_with_dates_and_accuracies() {
        let mut a = run(1, 5);
        a.epochs = vec![lab_spec::EpochLogs {
            epoch: 1,
            loss: 0.5,
            accuracy: 0.8,
            val_loss: Some(0.4),
            val_accuracy: Some(0.85),
            lr: 1e-3,
            regularization_loss: 0.0,
            seconds: 1.0,
        }];
        let mut b = run(2, 7);
        b.config.dataset = DatasetKind::Imdb;
        let dates = BTreeMap::from([(1, 1.7e12)]);
        let list = rows(&[a, b], &dates);
        assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(list[1].best_val_accuracy, Some(0.85));
        assert_eq!(list[1].created_ms, Some(1.7e12));
        assert_eq!(list[0].created_ms, None);
        assert!(list[0].running && list[0].test_accuracy.is_none());
        // Both data sets' runs are listed, each named by its data set.
        assert_eq!(
            list.iter()
                .map(|r| dataset_label(r.dataset))
                .collect::<Vec<_>>(),
            ["IMDB", "Fashion-MNIST"]
        );
        assert_eq!(share(Some(0.85)), "0.8500");
        assert_eq!(share(None), "–");
    }
}
