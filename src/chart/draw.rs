//! The learning curves as an SVG, drawn with plotters: loss and accuracy per epoch (train
//! solid, validation dashed), the running training loss within epochs, the per-run markers,
//! whole-epoch ticks, a clipped loss axis's top-edge triangles, and the success metric's
//! chart highlighted. What it drew comes back with it (`Rendered`) for the hover read-out.

use std::ops::Range;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart::axes::{EpochSpan, axis_epochs, epoch_ticks, x_range};
use crate::chart::hover::PanelGeometry;
use crate::chart::loss_axis::{LossAxis, RunLosses, loss_axis};
use crate::chart::markers::{Marker, MarkerKind, place_labels, run_markers, text_width};
use crate::trainer::RunView;

/// Ten colours (matplotlib's tab10, in the lab's first-six order), then hues spread by the
/// golden angle, so a tab's runs do not share a colour.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
];

pub fn run_color(index: usize) -> RGBColor {
    match PALETTE.get(index) {
        Some(&c) => c,
        None => {
            let hue = ((index - PALETTE.len()) as f64 * 137.508 + 15.0) % 360.0;
            let lightness = if index.is_multiple_of(2) { 0.38 } else { 0.5 };
            let (r, g, b) = HSLColor(hue / 360.0, 0.65, lightness).to_rgba().rgb();
            RGBColor(r, g, b)
        }
    }
}

pub fn css_color(index: usize) -> String {
    let RGBColor(r, g, b) = run_color(index);
    format!("rgb({r},{g},{b})")
}

/// The SVG's size in its own units (it is shown scaled to its box).
pub const WIDTH: u32 = 860;
const HEIGHT: u32 = 300;
/// At most this many epoch ticks per chart.
const MAX_TICKS: usize = 12;
/// A marker label's row height and font size, in pixels.
const LABEL_ROW: i32 = 12;
const LABEL_FONT: u32 = 11;
/// The charts' order in `Rendered::panels`.
pub const LOSS: usize = 0;
pub const ACCURACY: usize = 1;

/// What was drawn, for the hover read-out and the data attributes the tests read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered {
    pub svg: String,
    /// The loss chart's and the accuracy chart's extent and epoch positions, in SVG units.
    pub panels: Vec<PanelGeometry>,
    /// The last epoch of the x axis and its ticks.
    pub axis_epochs: usize,
    pub ticks: Vec<usize>,
    pub loss: Option<LossAxis>,
    /// The marker kinds drawn, for the legend.
    pub marker_kinds: Vec<MarkerKind>,
}

fn span(run: &RunView) -> EpochSpan {
    EpochSpan {
        trained: run.epochs.iter().map(|e| e.epoch).max().unwrap_or(0),
        configured: run.total_epochs,
        // Training is over once the summary is in, before the test-set evaluation.
        running: run.is_running() && run.summary.is_none(),
    }
}

fn run_losses(run: &RunView) -> RunLosses {
    RunLosses {
        name: format!("run {}", run.id),
        epochs: run
            .epochs
            .iter()
            .flat_map(|e| [Some(e.loss), e.val_loss])
            .flatten()
            .collect(),
        batches: run.batch_losses.iter().map(|b| b.1).collect(),
    }
}

/// Splits `(x, placed value)` points into the runs of drawable ones (a NaN breaks a line).
fn segments(points: impl IntoIterator<Item = (f64, Option<f64>)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in points {
        match y {
            Some(y) => out.last_mut().expect("never empty").push((x, y)),
            None if out.last().is_some_and(|s| !s.is_empty()) => out.push(Vec::new()),
            None => {}
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Draws whole-epoch `ticks` on a chart whose y axis starts at 0 and ends at `top`: a light
/// grid line, a tick mark and its label (plotters' own labels would pick fractional epochs or
/// skip the last one).
pub fn draw_epoch_ticks<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &mut ChartContext<
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    ticks: &[usize],
    bottom: f64,
    top: f64,
) {
    for &t in ticks {
        let x = t as f64;
        let _ = chart.draw_series(LineSeries::new(
            [(x, bottom), (x, top)],
            RGBColor(235, 235, 235).stroke_width(1),
        ));
        let (px, py) = chart.backend_coord(&(x, bottom));
        let _ = root.draw(&PathElement::new(
            [(px, py), (px, py + 4)],
            BLACK.stroke_width(1),
        ));
        let _ = root.draw(&Text::new(
            t.to_string(),
            (px, py + 6),
            TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Center, VPos::Top)),
        ));
    }
}

/// Draws the runs (index = colour) into an SVG; `metric` is the learner's success metric
/// ("accuracy" highlights the accuracy chart).
pub fn render(runs: &[(usize, RunView)], metric: Option<&str>) -> Rendered {
    let axis = axis_epochs(runs.iter().map(|(_, r)| span(r)));
    let ticks = epoch_ticks(axis, MAX_TICKS);
    let losses: Vec<RunLosses> = runs.iter().map(|(_, r)| run_losses(r)).collect();
    let loss = loss_axis(&losses);
    let markers: Vec<(usize, Vec<Marker>)> =
        runs.iter().map(|(i, r)| (*i, run_markers(r))).collect();
    let several = runs.len() > 1;
    let mut marker_kinds: Vec<MarkerKind> = markers
        .iter()
        .flat_map(|(_, m)| m.iter().map(|m| m.kind))
        .collect();
    marker_kinds.sort_unstable();
    marker_kinds.dedup();
    let (x0, x1) = x_range(0.0, axis);
    let mut svg = String::new();
    let mut panels = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&WHITE);
        for (p, area) in root.split_evenly((1, 2)).iter().enumerate() {
            let highlighted = p == ACCURACY && metric == Some("accuracy");
            let (title, top) = match p {
                LOSS => ("loss", loss.top),
                _ if highlighted => ("accuracy ★ your success metric", 1.0),
                _ => ("accuracy", 1.0),
            };
            let caption_style = if highlighted {
                ("sans-serif", 16).into_font().style(FontStyle::Bold)
            } else {
                ("sans-serif", 16).into_font()
            };
            let Ok(mut chart) = ChartBuilder::on(area)
                .caption(title, caption_style)
                .margin(8)
                .x_label_area_size(28)
                .y_label_area_size(44)
                .build_cartesian_2d(x0..x1, 0.0..top)
            else {
                continue;
            };
            // The epoch ticks are drawn here, not by plotters: whole epochs ending at the last.
            let _ = chart
                .configure_mesh()
                .x_desc("epoch")
                .x_labels(0)
                .bold_line_style(RGBColor(235, 235, 235))
                .light_line_style(TRANSPARENT)
                .draw();
            draw_epoch_ticks(&root, &mut chart, &ticks, 0.0, top);
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            if highlighted {
                let _ = root.draw(&Rectangle::new(
                    [(xs.start - 1, ys.start - 1), (xs.end, ys.end)],
                    RGBColor(31, 119, 180).stroke_width(2),
                ));
            }
            let Range {
                start: left,
                end: right,
            } = area.get_pixel_range().0;
            panels.push(PanelGeometry {
                left: left as f64,
                right: right as f64,
                plot_top: ys.start as f64,
                plot_bottom: ys.end as f64,
                epoch_x: (1..=axis)
                    .map(|e| chart.backend_coord(&(e as f64, 0.0)).0 as f64)
                    .collect(),
            });
            let place = |v: f64| {
                if p == LOSS {
                    loss.place(v)
                } else {
                    (!v.is_nan()).then_some((v.clamp(0.0, 1.0), false))
                }
            };
            for (index, run) in runs {
                let color = run_color(*index);
                let train: Vec<(f64, Option<(f64, bool)>)> = run
                    .epochs
                    .iter()
                    .map(|e| {
                        let v = if p == LOSS { e.loss } else { e.accuracy };
                        (e.epoch as f64, place(v))
                    })
                    .collect();
                let val: Vec<(f64, Option<(f64, bool)>)> = run
                    .epochs
                    .iter()
                    .filter_map(|e| {
                        let v = if p == LOSS {
                            e.val_loss?
                        } else {
                            e.val_accuracy?
                        };
                        Some((e.epoch as f64, place(v)))
                    })
                    .collect();
                if p == LOSS {
                    // The batches of an epoch that a stop cut short lie past the axis' end.
                    let faint = color.mix(0.25);
                    for s in segments(
                        run.batch_losses
                            .iter()
                            .filter(|b| b.0 <= x1)
                            .map(|&(x, v)| (x, place(v).map(|q| q.0))),
                    ) {
                        let _ = chart.draw_series(LineSeries::new(s, faint.stroke_width(1)));
                    }
                }
                let line = |pts: &[(f64, Option<(f64, bool)>)]| {
                    segments(pts.iter().map(|&(x, v)| (x, v.map(|q| q.0))))
                };
                for s in line(&train) {
                    let _ = chart.draw_series(LineSeries::new(s, color.stroke_width(2)));
                }
                for s in line(&val) {
                    let _ =
                        chart.draw_series(DashedLineSeries::new(s, 6, 4, color.stroke_width(2)));
                }
                let unclipped = |pts: &[(f64, Option<(f64, bool)>)]| -> Vec<(f64, f64)> {
                    pts.iter()
                        .filter_map(|&(x, v)| v.filter(|q| !q.1).map(|q| (x, q.0)))
                        .collect()
                };
                let _ = chart.draw_series(
                    unclipped(&train)
                        .into_iter()
                        .map(|pt| Circle::new(pt, 2, color.filled())),
                );
                let _ = chart.draw_series(
                    unclipped(&val)
                        .into_iter()
                        .map(|pt| Circle::new(pt, 3, color.stroke_width(1))),
                );
                // A clipped value: a triangle pointing up at the top edge.
                let _ = chart.draw_series(
                    train
                        .iter()
                        .chain(&val)
                        .filter_map(|&(x, v)| v.filter(|q| q.1).map(|q| (x, q.0)))
                        .map(|pt| TriangleMarker::new(pt, 5, color.filled())),
                );
            }
            // Marker lines inside both plots; their labels in the loss chart only (its top is
            // where the curves are not), stacked from the top, kept inside the panel.
            let mut labels = Vec::new();
            for (_, run_markers) in &markers {
                for m in run_markers {
                    let color = {
                        let (r, g, b) = m.kind.rgb();
                        RGBColor(r, g, b)
                    };
                    let x = m.epoch as f64;
                    let style = color.mix(0.85).stroke_width(1);
                    let line = [(x, 0.0), (x, top)];
                    let _ = match m.kind.dash() {
                        None => chart.draw_series(LineSeries::new(line, style)),
                        Some((d, g)) => chart.draw_series(DashedLineSeries::new(line, d, g, style)),
                    };
                    if p == LOSS {
                        let text = m.text(several);
                        let anchor = chart.backend_coord(&(x, top)).0 as f64;
                        labels.push((anchor, text_width(&text), text, color));
                    }
                }
            }
            let places = place_labels(
                &labels.iter().map(|l| (l.0, l.1)).collect::<Vec<_>>(),
                xs.start as f64 + 1.0,
                right as f64 - 2.0,
            );
            for ((_, _, text, color), place) in labels.into_iter().zip(places) {
                let _ = root.draw(&Text::new(
                    text,
                    (
                        place.x.round() as i32,
                        ys.start + 2 + LABEL_ROW * place.row as i32,
                    ),
                    ("sans-serif", LABEL_FONT).into_font().color(&color),
                ));
            }
        }
        let _ = root.present();
    }
    Rendered {
        svg,
        panels,
        axis_epochs: axis,
        ticks,
        loss: Some(loss),
        marker_kinds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::hover::hovered;
    use lab_spec::CallbackAction;

    use crate::trainer::RunStatus;

    use crate::chart::fixtures::run;

    fn circles_cx(svg: &str) -> Vec<f64> {
        svg.split("<circle")
            .skip(1)
            .map(|c| {
                let start = c.find("cx=\"").unwrap() + 4;
                c[start..start + c[start..].find('"').unwrap()]
                    .parse()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn each_drawn_point_reads_as_its_epoch_on_hover() {
        let r = run(
            1,
            4,
            &[(0.6, 0.5), (0.45, 0.44), (0.4, 0.42), (0.36, 0.41)],
            true,
        );
        let out = render(&[(0, r)], None);
        assert_eq!(out.panels.len(), 2);
        let cx = circles_cx(&out.svg);
        // 4 training and 4 validation points in each chart.
        assert_eq!(cx.len(), 16);
        for (k, &x) in cx.iter().enumerate() {
            let panel = k / 8;
            let epoch = k % 4 + 1;
            assert_eq!(
                hovered(x, &out.panels),
                Some((panel, epoch)),
                "circle {k} at {x}"
            );
            assert_eq!(out.panels[panel].epoch_x[epoch - 1], x);
        }
    }

    #[test]
    fn a_stopped_run_ends_the_x_axis_at_its_last_epoch() {
        let losses: Vec<(f64, f64)> = (0..16).map(|i| (0.5 - 0.01 * i as f64, 0.45)).collect();
        let mut r = run(1, 40, &losses, true);
        r.actions.push(CallbackAction::EarlyStopped {
            epoch: 16,
            best_epoch: Some(11),
        });
        let out = render(&[(0, r.clone())], None);
        assert_eq!(out.axis_epochs, 16);
        assert_eq!(out.ticks.last(), Some(&16));
        assert!(
            out.svg.contains(">\n16\n</text>"),
            "the last tick is labelled"
        );
        assert!(!out.svg.contains(">\n40\n</text>"));
        // While it runs, the configured epochs.
        r.status = RunStatus::Running;
        assert_eq!(render(&[(0, r)], None).axis_epochs, 40);
    }

    #[test]
    fn the_batches_of_an_epoch_cut_short_are_not_drawn_past_the_axis() {
        // Stopped during epoch 2: its batches (x 1.1 … 1.9) lie past the axis, which ends
        // at 1.3; plotters would pin them to the plot's right edge.
        let mut r = run(1, 40, &[(0.9, 0.6)], true);
        r.batch_losses = (1..20).map(|i| (i as f64 / 10.0, 1.0)).collect();
        let out = render(&[(0, r)], None);
        assert_eq!(out.axis_epochs, 1);
        let faint: Vec<&str> = out
            .svg
            .split("<polyline")
            .skip(1)
            .filter(|l| l.contains(r#"opacity="0.25""#))
            .collect();
        assert_eq!(faint.len(), 1);
        let start = faint[0].find("points=\"").unwrap() + 8;
        let points = faint[0][start..start + faint[0][start..].find('"').unwrap()]
            .split_whitespace()
            .count();
        assert_eq!(points, 13, "the batches up to x = 1.3");
    }

    #[test]
    fn a_diverged_run_clips_the_loss_axis_and_the_chart_says_so() {
        let good = run(1, 3, &[(0.6, 0.5), (0.45, 0.44), (0.4, 0.42)], true);
        let bad = run(2, 3, &[(512.0, 2.31), (2.3, 2.3), (2.3, 2.3)], true);
        let out = render(&[(0, good), (1, bad)], None);
        let loss = out.loss.unwrap();
        assert!(loss.clipped && loss.top < 2.6);
        assert!(loss.note.unwrap().contains("run 2 (max 512) diverged"));
        assert!(
            out.svg.contains("<polygon"),
            "the clipped point is a triangle at the top"
        );
    }

    #[test]
    fn markers_have_their_own_colours_and_labels_do_not_overlap() {
        let a = run(
            1,
            5,
            &[
                (0.5, 0.5),
                (0.4, 0.4),
                (0.35, 0.45),
                (0.3, 0.5),
                (0.3, 0.55),
            ],
            true,
        );
        let b = run(
            2,
            5,
            &[
                (0.5, 0.5),
                (0.4, 0.41),
                (0.35, 0.45),
                (0.3, 0.5),
                (0.3, 0.55),
            ],
            true,
        );
        let out = render(&[(0, a), (1, b)], None);
        assert_eq!(out.marker_kinds, vec![MarkerKind::Best, MarkerKind::Rises]);
        for kind in out.marker_kinds {
            let (r, g, b) = kind.rgb();
            assert!(
                out.svg.contains(&format!("#{r:02X}{g:02X}{b:02X}")),
                "{kind:?}"
            );
        }
        assert!(out.svg.contains("best · run 1") && out.svg.contains("best · run 2"));
        // Labels as (x, y) of their text elements: no two on one row overlap.
        let texts: Vec<(f64, f64, usize)> = out
            .svg
            .split("<text")
            .skip(1)
            .filter_map(|t| {
                let attr = |name: &str| -> Option<f64> {
                    let key = format!("{name}=\"");
                    let s = t.find(&key)? + key.len();
                    t[s..s + t[s..].find('"')?].parse().ok()
                };
                let body = &t[t.find('>')? + 1..t.find("</text>")?];
                let body = body.trim();
                (body.starts_with("best") || body.starts_with("val_loss"))
                    .then(|| (attr("x").unwrap(), attr("y").unwrap(), body.chars().count()))
            })
            .collect();
        assert_eq!(texts.len(), 4, "labelled in the loss chart only: {texts:?}");
        for (i, a) in texts.iter().enumerate() {
            assert!(
                a.0 >= 0.0 && a.0 + text_width(&"x".repeat(a.2)) <= WIDTH as f64,
                "{a:?}"
            );
            for b in &texts[i + 1..] {
                let same_row = (a.1 - b.1).abs() < 1.0;
                let apart = a.0 + text_width(&"x".repeat(a.2)) <= b.0
                    || b.0 + text_width(&"x".repeat(b.2)) <= a.0;
                assert!(!same_row || apart, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_success_metric_is_highlighted() {
        let r = run(1, 2, &[(0.5, 0.5), (0.4, 0.4)], true);
        assert!(
            render(&[(0, r.clone())], Some("accuracy"))
                .svg
                .contains("your success metric")
        );
        assert!(
            !render(&[(0, r)], Some("macro_f1"))
                .svg
                .contains("your success metric")
        );
    }

    #[test]
    fn a_nan_breaks_the_line() {
        let s = segments([
            (1.0, Some(1.0)),
            (2.0, None),
            (3.0, Some(2.0)),
            (4.0, Some(3.0)),
        ]);
        assert_eq!(s, vec![vec![(1.0, 1.0)], vec![(3.0, 2.0), (4.0, 3.0)]]);
        assert!(segments([(1.0, None)]).is_empty());
    }

    #[test]
    fn runs_have_distinct_colours_well_past_six() {
        let colours: Vec<RGBColor> = (0..24).map(run_color).collect();
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(run_color(0), RGBColor(31, 119, 180));
    }
}
