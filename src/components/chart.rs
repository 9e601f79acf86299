//! Learning curves drawn with plotters (SVG backend): loss and accuracy per epoch, train and
//! validation, the running training loss within epochs, markers for the best epoch, the start
//! of overfitting and an early stop. Several runs overlay; the legend toggles them; hovering
//! shows the values of the epoch under the pointer.

use leptos::prelude::*;
use plotters::prelude::*;

use crate::logic::{best_epoch, overfit_start};
use crate::trainer::{RunView, Trainer};

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

pub fn run_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

pub fn css_color(index: usize) -> String {
    let RGBColor(r, g, b) = run_color(index);
    format!("rgb({r},{g},{b})")
}

const WIDTH: u32 = 860;
const HEIGHT: u32 = 300;

/// The pixel span of the epoch axis of both panels, for the hover read-out.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Geometry {
    pub panels: [(i32, i32); 2],
    pub max_epoch: usize,
}

fn stop_epoch(run: &RunView) -> Option<usize> {
    run.actions.iter().find_map(|a| match a {
        lab_spec::CallbackAction::EarlyStopped { epoch, .. } => Some(*epoch),
        _ => None,
    })
}

/// Draws the runs (index = colour) into an SVG string.
pub fn render(runs: &[(usize, RunView)]) -> (String, Geometry) {
    let max_epoch = runs
        .iter()
        .map(|(_, r)| r.total_epochs.max(r.epochs.len()))
        .max()
        .unwrap_or(1)
        .max(1);
    let mut svg = String::new();
    let mut geometry = Geometry {
        max_epoch,
        ..Default::default()
    };
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let panels = root.split_evenly((1, 2));
        let max_loss = runs
            .iter()
            .flat_map(|(_, r)| {
                r.epochs
                    .iter()
                    .flat_map(|e| [Some(e.loss), e.val_loss])
                    .flatten()
                    .chain(r.batch_losses.iter().map(|b| b.1))
            })
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max)
            .max(0.1)
            * 1.1;
        for (p, area) in panels.iter().enumerate() {
            let (title, y_range) = if p == 0 {
                ("loss", 0.0..max_loss)
            } else {
                ("accuracy", 0.0..1.0)
            };
            let Ok(mut chart) = ChartBuilder::on(area)
                .caption(title, ("sans-serif", 16))
                .margin(8)
                .x_label_area_size(28)
                .y_label_area_size(44)
                .build_cartesian_2d(0.0..max_epoch as f64 + 0.2, y_range)
            else {
                continue;
            };
            let _ = chart
                .configure_mesh()
                .x_desc("epoch")
                .x_labels(max_epoch.min(12) + 1)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .light_line_style(RGBColor(235, 235, 235))
                .draw();
            let range = chart.plotting_area().get_pixel_range();
            geometry.panels[p] = (range.0.start, range.0.end);
            for (index, run) in runs {
                let color = run_color(*index);
                let train: Vec<(f64, f64)> = run
                    .epochs
                    .iter()
                    .map(|e| (e.epoch as f64, if p == 0 { e.loss } else { e.accuracy }))
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                let val: Vec<(f64, f64)> = run
                    .epochs
                    .iter()
                    .filter_map(|e| {
                        Some((
                            e.epoch as f64,
                            if p == 0 { e.val_loss? } else { e.val_accuracy? },
                        ))
                    })
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                if p == 0 && !run.batch_losses.is_empty() {
                    let faint = color.mix(0.25);
                    let _ = chart.draw_series(LineSeries::new(
                        run.batch_losses
                            .iter()
                            .copied()
                            .filter(|(_, v)| v.is_finite()),
                        faint.stroke_width(1),
                    ));
                }
                let _ = chart.draw_series(LineSeries::new(train.clone(), color.stroke_width(2)));
                let _ =
                    chart.draw_series(train.iter().map(|&pt| Circle::new(pt, 2, color.filled())));
                let _ = chart.draw_series(DashedLineSeries::new(
                    val.clone(),
                    6,
                    4,
                    color.stroke_width(2),
                ));
                let _ = chart.draw_series(
                    val.iter()
                        .map(|&pt| Circle::new(pt, 3, color.stroke_width(1))),
                );
                let top = if p == 0 { max_loss } else { 1.0 };
                let mut mark = |epoch: usize, style: ShapeStyle, label: &str| {
                    let x = epoch as f64;
                    let _ = chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x, 0.0), (x, top)],
                        style,
                    )));
                    let _ = chart.draw_series(std::iter::once(Text::new(
                        label.to_string(),
                        (x + 0.05, top * 0.97),
                        ("sans-serif", 11).into_font().color(&style.color),
                    )));
                };
                if let Some(b) = best_epoch(&run.epochs) {
                    mark(b, GREEN.mix(0.8).stroke_width(1), "best");
                }
                if let Some(s) = stop_epoch(run) {
                    mark(s, RED.mix(0.8).stroke_width(1), "stopped");
                } else if let Some(o) = overfit_start(&run.epochs).filter(|_| !run.is_running()) {
                    mark(
                        o,
                        RGBColor(230, 120, 0).mix(0.8).stroke_width(1),
                        "val_loss rises",
                    );
                }
            }
        }
        let _ = root.present();
    }
    (svg, geometry)
}

/// The chart of `runs` (the current step's runs and any it overlays).
#[component]
pub fn HistoryChart(
    trainer: Trainer,
    #[prop(into)] runs: Signal<Vec<(usize, RunView)>>,
    #[prop(into)] current: Signal<Option<u32>>,
) -> impl IntoView {
    let rendered = Memo::new(move |_| {
        let visible: Vec<(usize, RunView)> =
            runs.get().into_iter().filter(|(_, r)| r.visible).collect();
        render(&visible)
    });
    let epochs = move || {
        let id = current.get();
        runs.with(|rs| {
            rs.iter()
                .find(|(_, r)| Some(r.id) == id)
                .map_or(0, |(_, r)| r.epochs.len())
        })
    };
    let hover = RwSignal::new(None::<(usize, f64)>);
    let on_move = move |ev: web_sys::MouseEvent| {
        let Some(target) = ev
            .current_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        else {
            return;
        };
        let rect = target.get_bounding_client_rect();
        let scale = WIDTH as f64 / rect.width().max(1.0);
        let x = (ev.client_x() as f64 - rect.left()) * scale;
        let (_, g) = rendered.get_untracked();
        let epoch = g.panels.iter().find_map(|&(a, b)| {
            let (a, b) = (a as f64, b as f64);
            (x >= a && x <= b && b > a)
                .then(|| ((x - a) / (b - a) * (g.max_epoch as f64 + 0.2)).round() as usize)
        });
        hover.set(
            epoch
                .filter(|e| *e >= 1)
                .map(|e| (e, ev.client_x() as f64 - rect.left())),
        );
    };
    let tooltip = move || {
        let (epoch, left) = hover.get()?;
        let lines: Vec<String> = runs.with(|rs| {
            rs.iter()
                .filter(|(_, r)| r.visible)
                .filter_map(|(_, r)| {
                    let e = r.epochs.get(epoch - 1)?;
                    Some(format!(
                        "run {} · epoch {}: loss {:.4}, val_loss {}, accuracy {:.4}, val_accuracy {}",
                        r.id,
                        epoch,
                        e.loss,
                        e.val_loss.map_or("–".into(), |v| format!("{v:.4}")),
                        e.accuracy,
                        e.val_accuracy.map_or("–".into(), |v| format!("{v:.4}"))
                    ))
                })
                .collect()
        });
        (!lines.is_empty()).then(|| {
            view! {
                <div class="tooltip" data-testid="chart-tooltip" style=format!("left: {}px", left + 12.0)>
                    {lines.into_iter().map(|l| view! { <div>{l}</div> }).collect_view()}
                </div>
            }
        })
    };
    view! {
        <div class="chart" data-testid="history" data-epochs=epochs>
            <div class="chart-svg" on:mousemove=on_move on:mouseleave=move |_| hover.set(None) inner_html=move || rendered.get().0></div>
            {tooltip}
            <div class="legend">
                <span class="legend-key">"solid: training · dashed: validation · faint: running loss within the epoch"</span>
                <For
                    each=move || runs.get()
                    key=|(i, r)| (*i, r.id, r.visible)
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
