//! Test-set results: accuracy, macro-F1, the confusion-matrix heatmap (click a cell to see
//! those test images), the per-class table and the model summary.

use lab_spec::dataset::CLASS_NAMES;
use lab_spec::{ClassificationReport, Summary};
use leptos::prelude::*;

use crate::components::Digit;
use crate::trainer::Trainer;

#[component]
pub fn Results(
    trainer: Trainer,
    run: u32,
    report: ClassificationReport,
    #[prop(optional, into)] title: String,
) -> impl IntoView {
    let max_off = report
        .confusion_matrix
        .iter()
        .enumerate()
        .flat_map(|(t, row)| {
            row.iter()
                .enumerate()
                .filter(move |(p, _)| *p != t)
                .map(|(_, v)| *v)
        })
        .max()
        .unwrap_or(1)
        .max(1);
    let matrix = report.confusion_matrix.clone();
    let cells = move || {
        matrix
            .iter()
            .enumerate()
            .map(|(t, row)| {
                let tds = row
                    .iter()
                    .enumerate()
                    .map(|(p, &v)| {
                        let total: usize = row.iter().sum::<usize>().max(1);
                        let shade = if p == t { v as f64 / total as f64 } else { v as f64 / max_off as f64 };
                        let bg = if p == t {
                            format!("rgba(44,160,44,{:.2})", 0.15 + 0.6 * shade)
                        } else {
                            format!("rgba(214,39,40,{:.2})", 0.75 * shade)
                        };
                        let clickable = p != t && v > 0;
                        view! {
                            <td
                                class="cm-cell"
                                class:clickable=clickable
                                style=format!("background: {bg}")
                                title=format!("true {} predicted as {}: {v}", CLASS_NAMES[t], CLASS_NAMES[p])
                                on:click=move |_| if clickable { trainer.misclassified(run, t as u8, p as u8) }
                            >
                                {v}
                            </td>
                        }
                    })
                    .collect_view();
                view! { <tr><th class="cm-row">{CLASS_NAMES[t]}</th>{tds}</tr> }
            })
            .collect_view()
    };
    let shown = move || {
        trainer.cell_images.get().filter(|c| c.run == run).map(|c| {
            let restored = trainer
                .runs
                .with(|rs| rs.iter().any(|r| r.id == run && r.restored));
            if restored && c.images.is_empty() {
                return view! {
                    <div class="cell-images" data-testid="misclassified">
                        <p>"This run's predictions were lost with the reload; train it again to see its misclassified images."</p>
                    </div>
                }
                .into_any();
            }
            view! {
                <div class="cell-images" data-testid="misclassified">
                    <p>{format!("{} test images of {} predicted as {}:", c.images.len(), CLASS_NAMES[c.actual as usize], CLASS_NAMES[c.predicted as usize])}</p>
                    <div class="digits">{c.images.into_iter().map(|px| view! { <Digit pixels=px /> }).collect_view()}</div>
                </div>
            }
            .into_any()
        })
    };
    let per_class = report
        .per_class
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <td>{c.name.clone()}</td>
                    <td>{format!("{:.3}", c.precision)}</td>
                    <td>{format!("{:.3}", c.recall)}</td>
                    <td>{format!("{:.3}", c.f1)}</td>
                    <td>{c.support}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="results">
            <h3>{if title.is_empty() { "Test set".to_string() } else { title }}</h3>
            <div class="metrics">
                <div class="metric">
                    <span class="metric-name">"test accuracy"</span>
                    <span class="metric-value" data-testid="test-accuracy">{format!("{:.4}", report.accuracy)}</span>
                </div>
                <div class="metric">
                    <span class="metric-name">"macro-F1"</span>
                    <span class="metric-value" data-testid="macro-f1">{format!("{:.4}", report.macro_avg.f1)}</span>
                </div>
                <div class="metric">
                    <span class="metric-name">"test loss"</span>
                    <span class="metric-value">{report.loss.map_or("–".into(), |l| format!("{l:.4}"))}</span>
                </div>
            </div>
            <div class="result-grid">
                <div>
                    <h4>"Confusion matrix (rows: true class, columns: predicted)"</h4>
                    <table class="confusion" data-testid="confusion-matrix">
                        <thead><tr><th></th>{CLASS_NAMES.iter().map(|n| view! { <th class="cm-col" title=*n>{short(n)}</th> }).collect_view()}</tr></thead>
                        <tbody>{cells}</tbody>
                    </table>
                    <p class="hint">"Click a red cell to see those misclassified test images."</p>
                    {shown}
                </div>
                <div>
                    <h4>"Per class"</h4>
                    <table class="report" data-testid="per-class">
                        <thead><tr><th>"class"</th><th>"precision"</th><th>"recall"</th><th>"F1"</th><th>"support"</th></tr></thead>
                        <tbody>{per_class}</tbody>
                    </table>
                </div>
            </div>
        </section>
    }
}

fn short(name: &str) -> String {
    name.split(['/', ' '])
        .next()
        .unwrap_or(name)
        .chars()
        .take(6)
        .collect()
}

/// A Keras-style model summary table.
#[component]
pub fn SummaryTable(summary: Summary) -> impl IntoView {
    let rows = summary
        .rows
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td>{format!("{} ({})", r.name, r.kind)}</td>
                    <td>{r.output_shape.to_string()}</td>
                    <td class="num">{lab_spec::model::group(r.params)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="summary" data-testid="model-summary">
            <thead><tr><th>"Layer (type)"</th><th>"Output shape"</th><th>"Param #"</th></tr></thead>
            <tbody>{rows}</tbody>
            <tfoot>
                <tr><td colspan="2">"Total params"</td><td class="num">{lab_spec::model::group(summary.total_params)}</td></tr>
                <tr><td colspan="2">"Trainable params"</td><td class="num">{lab_spec::model::group(summary.trainable_params)}</td></tr>
            </tfoot>
        </table>
    }
}
