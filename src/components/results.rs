//! Test-set results: accuracy, macro-F1 (the learner's success metric of step 2 marked), the
//! confusion-matrix heatmap (a cell's button shows those test images: the selected cell is
//! marked, the previous images go at once, "loading…" until they come), the per-class table
//! and the model summary.

use lab_spec::dataset::{CLASS_NAMES, IMDB_CLASS_NAMES};
use lab_spec::{ClassificationReport, DatasetKind, Summary};
use leptos::prelude::*;

use crate::components::Digit;
use crate::components::reviews::CellReviewList;
use crate::trainer::Trainer;

#[component]
pub fn Results(
    trainer: Trainer,
    run: u32,
    report: ClassificationReport,
    #[prop(optional, into)] title: String,
    /// The learner's success metric (step 2): "accuracy" or "macro_f1".
    #[prop(optional, into)]
    metric: Option<Signal<String>>,
    /// Whether "what the network sees" goes under these results (a model with a Conv2D
    /// only): the run panel asks for it under the run's final results and nowhere else, so
    /// it shows once per run even when the best checkpoint's report equals the final one.
    #[prop(optional)]
    activations: bool,
) -> impl IntoView {
    // A run on the IMDB reviews: two classes, the positive class's F1, reviews for a cell.
    let imdb = trainer.runs.with_untracked(|rs| {
        rs.iter()
            .any(|r| r.id == run && r.config.dataset == DatasetKind::Imdb)
    });
    let class_names: &'static [&'static str] = if imdb {
        &IMDB_CLASS_NAMES
    } else {
        &CLASS_NAMES
    };
    let class_name = move |c: usize| class_names.get(c).copied().unwrap_or("?");
    // The cell whose images are asked for or shown: (true class, predicted class).
    let selected = RwSignal::new(None::<(u8, u8)>);
    let pick = move |cell: (u8, u8)| {
        selected.set(Some(cell));
        if imdb {
            trainer.reviews(run, cell.0, cell.1);
        } else {
            trainer.misclassified(run, cell.0, cell.1);
        }
    };
    // A run restored after a reload: the cell picked while its weights were on their way back
    // to the worker is asked again once they are there.
    let held = Memo::new(move |_| trainer.without_weights(run).is_none());
    Effect::new(move |previous: Option<bool>| {
        let now = held.get();
        if previous == Some(false)
            && now
            && let Some(cell) = selected.get_untracked()
        {
            pick(cell);
        }
        now
    });
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
                        let shade = if p == t {
                            v as f64 / total as f64
                        } else {
                            v as f64 / max_off as f64
                        };
                        let bg = if p == t {
                            format!("rgba(44,160,44,{:.2})", 0.15 + 0.6 * shade)
                        } else {
                            format!("rgba(214,39,40,{:.2})", 0.75 * shade)
                        };
                        let clickable = p != t && v > 0;
                        let cell = (t as u8, p as u8);
                        let is_selected = move || selected.get() == Some(cell);
                        let what =
                            format!("true {} predicted as {}: {v}", class_name(t), class_name(p));
                        // A button (Tab, Enter and Space) in each cell that has images to show.
                        let content = if clickable {
                            view! {
                                <button type="button" class="cm-button" aria-label=what.clone()
                                    aria-pressed=move || is_selected().to_string()
                                    on:click=move |_| pick(cell)>{v}</button>
                            }
                            .into_any()
                        } else {
                            view! { {v} }.into_any()
                        };
                        view! {
                            <td
                                class="cm-cell"
                                class:clickable=clickable
                                class:selected=is_selected
                                data-count=v
                                style=format!("background: {bg}")
                                title=what
                            >
                                {content}
                            </td>
                        }
                    })
                    .collect_view();
                view! { <tr><th class="cm-row" scope="row">{class_name(t)}</th>{tds}</tr> }
            })
            .collect_view()
    };
    let counts = report.confusion_matrix.clone();
    let shown = move || {
        let (actual, predicted) = selected.get()?;
        let count = counts
            .get(actual as usize)
            .and_then(|row| row.get(predicted as usize))
            .copied()
            .unwrap_or(0);
        if imdb {
            return Some(
                view! {
                    <CellReviewList trainer run actual predicted count />
                }
                .into_any(),
            );
        }
        let images = trainer
            .cell_images
            .get()
            .filter(|c| (c.run, c.actual, c.predicted) == (run, actual, predicted));
        let Some(c) = images else {
            return Some(view! {
                <div class="cell-images loading" data-testid="misclassified-loading" aria-live="polite">
                    <p>{loading_text(actual, predicted)}</p>
                </div>
            }
            .into_any());
        };
        if c.images.is_empty() {
            // After a reload: its weights are on their way back to the worker (pick the cell
            // again then), or were not kept.
            let why = trainer.without_weights(run).unwrap_or_else(|| {
                "The lab no longer keeps this run's predictions; train it again to see its misclassified images.".into()
            });
            return Some(
                view! {
                    <div class="cell-images" data-testid="misclassified"><p>{why}</p></div>
                }
                .into_any(),
            );
        }
        // A CNN's images open "what the network sees" (below) on that image.
        let cnn = crate::components::activations::is_cnn_run(trainer, run);
        let caption = cell_text(c.images.len(), count, actual, predicted);
        let digits = c
            .images
            .into_iter()
            .enumerate()
            .map(|(i, px)| match c.indices.get(i).copied().filter(|_| cnn) {
                Some(index) => view! {
                    <button type="button" class="digit-button" data-testid="see-activations"
                        data-index=index.to_string()
                        aria-label=format!("what the network sees of test image {index}")
                        title="what the network sees of this image"
                        on:click=move |_| crate::components::activations::show_image(trainer, run, index)>
                        <Digit pixels=px title=format!("test image {index}") />
                    </button>
                }
                .into_any(),
                None => view! { <Digit pixels=px /> }.into_any(),
            })
            .collect_view();
        Some(view! {
            <div class="cell-images" data-testid="misclassified" aria-live="polite">
                <p data-testid="misclassified-count">{caption}</p>
                {cnn.then(|| view! { <p class="hint">"Click an image to see what the network sees of it."</p> })}
                <div class="digits">{digits}</div>
            </div>
        }
        .into_any())
    };
    // The learner's success metric is marked; "accuracy" when none is given.
    let chosen = move |name: &str| metric.map_or(name == "accuracy", |m| m.get() == name);
    let star = move |name: &'static str| {
        move || {
            chosen(name).then(|| view! {
            <span class="chosen-star" data-testid="chosen-metric">"★ your success metric"</span>
        })
        }
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
    // What the network sees: for a model with a Conv2D, where the caller asks for it (the
    // panel offers the best checkpoint's weights itself).
    let activations = activations
        .then(|| {
            trainer.runs.with_untracked(|rs| {
                rs.iter()
                    .find(|r| r.id == run)
                    .filter(|r| crate::exercises::is_cnn(r))
                    .map(|r| r.config.callbacks.model_checkpoint.is_some() && !r.restored)
            })
        })
        .flatten();
    let activations = activations.map(|has_best| {
        view! { <crate::components::activations::Activations trainer run has_best /> }
    });
    view! {
        <section class="results">
            <h3>{if title.is_empty() { "Test set".to_string() } else { title }}</h3>
            <div class="metrics">
                <div class="metric" class:chosen=move || chosen("accuracy")>
                    <span class="metric-name">"test accuracy"</span>
                    <span class="metric-value" data-testid="test-accuracy">{format!("{:.4}", report.accuracy)}</span>
                    {star("accuracy")}
                </div>
                {if imdb {
                    let f1 = report.f1().map_or("–".into(), |f| format!("{f:.4}"));
                    view! {
                        <div class="metric" class:chosen=move || !chosen("accuracy")>
                            <span class="metric-name">"F1 (positive)"</span>
                            <span class="metric-value" data-testid="f1">{f1}</span>
                            {move || (!chosen("accuracy")).then(|| view! {
                                <span class="chosen-star" data-testid="chosen-metric">"★ your success metric"</span>
                            })}
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <div class="metric" class:chosen=move || chosen("macro_f1")>
                            <span class="metric-name">"macro-F1"</span>
                            <span class="metric-value" data-testid="macro-f1">{format!("{:.4}", report.macro_avg.f1)}</span>
                            {star("macro_f1")}
                        </div>
                    }.into_any()
                }}
                <div class="metric">
                    <span class="metric-name">"test loss"</span>
                    <span class="metric-value">{report.loss.map_or("–".into(), |l| format!("{l:.4}"))}</span>
                </div>
            </div>
            {imdb.then(|| view! {
                <p class="hint" data-testid="why-f1">"F1 is the harmonic mean of the positive class's precision (of the reviews called \
                    positive, the share that are) and recall (of the positive reviews, the share found): unlike accuracy, it stays \
                    low for a model that rarely says positive, or says it about everything."</p>
            })}
            <div class="result-grid">
                <div>
                    <h4>"Confusion matrix (rows: true class, columns: predicted)"</h4>
                    // The columns' full class names, written upwards; the table scrolls in its
                    // own box when the window is narrow.
                    <div class="table-scroll">
                        <table class="confusion" data-testid="confusion-matrix">
                            <thead><tr><th></th>{class_names.iter().map(|n| view! { <th class="cm-col" scope="col" title=*n><span>{*n}</span></th> }).collect_view()}</tr></thead>
                            <tbody>{cells}</tbody>
                        </table>
                    </div>
                    <p class="hint">{if imdb {
                        "Click a red cell (or Tab to it and press Enter) to read those misclassified test reviews, their top terms highlighted."
                    } else {
                        "Click a red cell (or Tab to it and press Enter) to see those misclassified test images."
                    }}</p>
                    {shown}
                </div>
                <div>
                    <h4>"Per class"</h4>
                    <div class="table-scroll">
                        <table class="report" data-testid="per-class">
                            <thead><tr><th>"class"</th><th>"precision"</th><th>"recall"</th><th>"F1"</th><th>"support"</th></tr></thead>
                            <tbody>{per_class}</tbody>
                        </table>
                    </div>
                </div>
            </div>
            {activations}
        </section>
    }
}

/// What is said while a cell's images are on their way.
fn loading_text(actual: u8, predicted: u8) -> String {
    format!(
        "loading the images of {} → {}…",
        class_name(actual),
        class_name(predicted)
    )
}

/// "24 of 121 test images of T-shirt/top predicted as Shirt:" (`shown` of the cell's `count`).
fn cell_text(shown: usize, count: usize, actual: u8, predicted: u8) -> String {
    let (a, p) = (class_name(actual), class_name(predicted));
    match (shown, count) {
        (1, 1) => format!("the one test image of {a} predicted as {p}:"),
        _ if shown >= count => format!("all {count} test images of {a} predicted as {p}:"),
        _ => format!("{shown} of {count} test images of {a} predicted as {p} (the first {shown}):"),
    }
}

fn class_name(class: u8) -> &'static str {
    CLASS_NAMES.get(class as usize).copied().unwrap_or("?")
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
        <div class="table-scroll">
        <table class="summary" data-testid="model-summary">
            <thead><tr><th>"Layer (type)"</th><th>"Output shape"</th><th>"Param #"</th></tr></thead>
            <tbody>{rows}</tbody>
            <tfoot>
                <tr><td colspan="2">"Total params"</td><td class="num">{lab_spec::model::group(summary.total_params)}</td></tr>
                <tr><td colspan="2">"Trainable params"</td><td class="num">{lab_spec::model::group(summary.trainable_params)}</td></tr>
                // BatchNormalization's moving mean and variance: in the model, not trained.
                <tr data-testid="non-trainable-params"><td colspan="2">"Non-trainable params"</td><td class="num">{lab_spec::model::group(summary.non_trainable_params)}</td></tr>
            </tfoot>
        </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_says_how_many_of_its_images_are_shown() {
        assert_eq!(
            cell_text(24, 121, 0, 6),
            "24 of 121 test images of T-shirt/top predicted as Shirt (the first 24):"
        );
        assert_eq!(
            cell_text(8, 8, 0, 1),
            "all 8 test images of T-shirt/top predicted as Trouser:"
        );
        assert_eq!(
            cell_text(1, 1, 2, 4),
            "the one test image of Pullover predicted as Coat:"
        );
        assert_eq!(
            loading_text(0, 6),
            "loading the images of T-shirt/top → Shirt…"
        );
    }
}
