//! Learning curves drawn with plotters (SVG backend): loss and accuracy per epoch, train and
//! validation, the running training loss within epochs, markers for the best epoch, the start
//! of overfitting and a callback's stop. Several runs overlay; the legend toggles them;
//! hovering reads the epoch under the pointer in either chart. The arithmetic (axes, the
//! clipped loss axis, the epoch under the pointer, label placement) is in `crate::chart`.

use leptos::prelude::*;

use crate::chart::draw::{ACCURACY, LOSS, WIDTH};
pub use crate::chart::draw::{css_color, render, run_color};
use crate::chart::hover::{hovered, svg_x, tooltip_place};
use crate::trainer::{RunView, Trainer};

/// A value for the read-out: 4 decimals, or NaN / Infinity in words.
fn value(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else if v.is_nan() {
        "NaN".into()
    } else if v > 0.0 {
        "Infinity".into()
    } else {
        "-Infinity".into()
    }
}

/// The current run's epochs as JSON (`[epoch, loss, val_loss, accuracy, val_accuracy]`, null
/// for a missing or non-finite value), for tests that compare the read-out with the history.
fn history_json(run: &RunView) -> String {
    let n = |v: Option<f64>| {
        v.filter(|v| v.is_finite())
            .map_or("null".into(), |v| v.to_string())
    };
    let rows: Vec<String> = run
        .epochs
        .iter()
        .map(|e| {
            format!(
                "[{},{},{},{},{}]",
                e.epoch,
                n(Some(e.loss)),
                n(e.val_loss),
                n(Some(e.accuracy)),
                n(e.val_accuracy)
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}

/// What the pointer is over: the chart, the epoch, where the read-out and the guides go.
#[derive(Clone, Debug, PartialEq)]
struct Hover {
    panel: usize,
    epoch: usize,
    style: String,
    /// Each chart's guide line at the epoch: (left, top, height) in CSS pixels.
    guides: Vec<(f64, f64, f64)>,
}

/// The chart of `runs` (the current step's runs and any it overlays). `metric` is the
/// learner's success metric from step 2 ("accuracy" or "macro_f1").
#[component]
pub fn HistoryChart(
    trainer: Trainer,
    #[prop(into)] runs: Signal<Vec<(usize, RunView)>>,
    #[prop(into)] current: Signal<Option<u32>>,
    #[prop(optional, into)] metric: MaybeProp<String>,
) -> impl IntoView {
    let rendered = Memo::new(move |_| {
        let visible: Vec<(usize, RunView)> =
            runs.get().into_iter().filter(|(_, r)| r.visible).collect();
        render(&visible, metric.get().as_deref())
    });
    let current_run = move || {
        let id = current.get();
        runs.with(|rs| {
            rs.iter()
                .find(|(_, r)| Some(r.id) == id)
                .map(|(_, r)| r.clone())
        })
    };
    let epochs = move || current_run().map_or(0, |r| r.epochs.len());
    let history = move || current_run().map_or("[]".into(), |r| history_json(&r));
    let hover = RwSignal::new(None::<Hover>);
    let on_move = move |ev: web_sys::MouseEvent| {
        use wasm_bindgen::JsCast;
        let Some(container) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let (Some(svg), Some(chart)) = (
            container.query_selector("svg").ok().flatten(),
            container.parent_element(),
        ) else {
            return;
        };
        // Measured against the SVG element: it is at most 860 px wide inside a container
        // that can be wider.
        let r = svg.get_bounding_client_rect();
        let b = chart.get_bounding_client_rect();
        let panels = rendered.with_untracked(|r| r.panels.clone());
        let x = svg_x(ev.client_x() as f64, r.left(), r.width(), WIDTH as f64);
        let Some((panel, epoch)) = hovered(x, &panels) else {
            hover.set(None);
            return;
        };
        let scale = r.width() / WIDTH as f64;
        let css_x = |u: f64| r.left() - b.left() + u * scale;
        let css_y = |u: f64| r.top() - b.top() + u * scale;
        let p = &panels[panel];
        let place = tooltip_place(
            css_x(p.left),
            css_x(p.right),
            ev.client_x() as f64 - b.left(),
            b.width(),
        );
        let guides = panels
            .iter()
            .filter_map(|q| {
                let x = *q.epoch_x.get(epoch - 1)?;
                Some((
                    css_x(x),
                    css_y(q.plot_top),
                    (q.plot_bottom - q.plot_top) * scale,
                ))
            })
            .collect();
        hover.set(Some(Hover {
            panel,
            epoch,
            style: place.style(css_y(p.plot_top) + 14.0),
            guides,
        }));
    };
    let tooltip = move || {
        let h = hover.get()?;
        let epoch = h.epoch;
        let rows = runs.with(|rs| {
            rs.iter()
                .filter(|(_, r)| r.visible)
                .filter_map(|(i, r)| {
                    Some((
                        *i,
                        r.id,
                        r.epochs.iter().find(|e| e.epoch == epoch)?.clone(),
                    ))
                })
                .collect::<Vec<_>>()
        });
        // The hovered chart's two values first, in bold; each "name value" pair stays on one
        // line and the pairs wrap, so a narrow chart's read-out stays inside it.
        let order: [(usize, &str); 4] = if h.panel == LOSS {
            [
                (LOSS, "loss"),
                (LOSS, "val_loss"),
                (ACCURACY, "accuracy"),
                (ACCURACY, "val_accuracy"),
            ]
        } else {
            [
                (ACCURACY, "accuracy"),
                (ACCURACY, "val_accuracy"),
                (LOSS, "loss"),
                (LOSS, "val_loss"),
            ]
        };
        let body = if rows.is_empty() {
            view! { <div>{format!("no run has reached epoch {epoch} yet")}</div> }.into_any()
        } else {
            rows.into_iter()
                .map(|(index, id, e)| {
                    let pairs = order
                        .iter()
                        .map(|&(panel, key)| {
                            let v = match key {
                                "loss" => value(e.loss),
                                "val_loss" => e.val_loss.map_or("–".into(), value),
                                "accuracy" => value(e.accuracy),
                                _ => e.val_accuracy.map_or("–".into(), value),
                            };
                            view! {
                                <span class="pair" class:hovered-metric=panel == h.panel data-key=key>
                                    <span class="key">{key}</span>" "<span class="value">{v}</span>
                                </span>
                            }
                        })
                        .collect_view();
                    view! {
                        <div class="tooltip-run" data-testid="tooltip-run" data-run=id>
                            <span class="run-name"><span class="swatch" style=format!("background: {}", css_color(index))></span>{format!("run {id}")}</span>
                            {pairs}
                        </div>
                    }
                })
                .collect_view()
                .into_any()
        };
        Some(view! {
            <div class="tooltip" data-testid="chart-tooltip" data-epoch=epoch
                data-panel=if h.panel == LOSS { "loss" } else { "accuracy" } style=h.style>
                <div class="tooltip-head">{format!("epoch {epoch}")}</div>
                {body}
            </div>
        })
    };
    let guides = move || {
        hover.get().map(|h| {
            h.guides
                .into_iter()
                .map(|(left, top, height)| view! {
                    <div class="chart-guide" style=format!("left: {left:.1}px; top: {top:.1}px; height: {height:.1}px")></div>
                })
                .collect_view()
        })
    };
    let note = move || {
        rendered
            .with(|r| r.loss.as_ref().and_then(|l| l.note.clone()))
            .map(|n| {
                view! { <p class="chart-note" data-testid="chart-note">{n}</p> }
            })
    };
    let metric_note = move || {
        (metric.get().as_deref() == Some("macro_f1")).then(|| view! {
            <p class="chart-note">"Your success metric, macro-F1, is measured on the test set once a run ends: see the results below."</p>
        })
    };
    let marker_keys = move || {
        rendered.with(|r| r.marker_kinds.clone()).into_iter().map(|k| view! {
            <span class="marker-key" data-testid="marker-key">
                <span class="marker-line" style=format!("border-left: 2px {} {}", k.css_border(), k.css())></span>
                {k.meaning()}
            </span>
        }).collect_view()
    };
    let ticks = move || {
        rendered.with(|r| {
            r.ticks
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    view! {
        <div class="chart" data-testid="history" data-epochs=epochs data-history=history
            data-axis-epochs=move || rendered.with(|r| r.axis_epochs) data-ticks=ticks
            data-loss-clipped=move || rendered.with(|r| r.loss.as_ref().is_some_and(|l| l.clipped).to_string())>
            {note}
            {metric_note}
            <div class="chart-svg" on:mousemove=on_move on:mouseleave=move |_| hover.set(None) inner_html=move || rendered.get().svg></div>
            {guides}
            {tooltip}
            <div class="legend">
                <span class="legend-key">"solid: training · dashed: validation · faint: running loss within the epoch"</span>
                {marker_keys}
                <For
                    each=move || runs.get()
                    key=|(i, r)| (*i, r.id, r.visible, r.label.clone())
                    children=move |(index, run)| {
                        let id = run.id;
                        view! {
                            <button
                                class="legend-item"
                                class:hidden-run=!run.visible
                                data-testid="legend-item"
                                on:click=move |_| trainer.toggle_visible(id)
                                title="show or hide this run"
                            >
                                <span class="swatch" style=format!("background: {}", css_color(index))></span>
                                {format!("run {} · {}", run.id, run.label)}
                            </button>
                        }
                    }
                />
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::chart::fixtures::run;

    #[test]
    fn the_history_is_exposed_with_nan_as_null() {
        let r = run(1, 2, &[(0.5, f64::NAN), (0.25, 0.125)], true);
        assert_eq!(
            history_json(&r),
            "[[1,0.5,null,0.8,0.82],[2,0.25,0.125,0.8,0.82]]"
        );
        assert_eq!(value(f64::INFINITY), "Infinity");
        assert_eq!(value(0.123456), "0.1235");
    }
}
