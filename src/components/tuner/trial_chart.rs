//! The chart of every trial's objective per epoch, drawn with plotters (SVG backend): one line
//! per trial coloured by bracket, a promoted trial joined to its parent by a dashed line, the
//! best trial thick; with its legend.

use std::collections::BTreeSet;

use lab_spec::Monitor;
use lab_spec::tuning::Trial;
use leptos::prelude::*;
use plotters::prelude::*;

use crate::components::chart::{css_color, run_color};
use crate::trainer::SearchView;

const WIDTH: u32 = 860;
const HEIGHT: u32 = 280;
/// Stroke widths: a trial's line, the best trial's, the dashed link to a parent. Everything
/// else (axes, grid) is drawn 1 pixel wide, which is how the trial lines are found again.
const LINE: u32 = 2;
const BEST_LINE: u32 = 4;
const LINK: u32 = 1;

/// The objective's range over every trial, padded by 8 % (0..1 when nothing is finite yet).
fn value_range(trials: &[Trial], objective: Monitor) -> (f64, f64) {
    let (mut lo, mut hi) = trials
        .iter()
        .flat_map(|t| t.history.values(objective).iter().copied())
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
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
    (lo - pad, hi + pad)
}

/// A trial's finite values at their absolute epochs: a promoted trial continues its parent, so
/// its first epoch is `initial_epoch + 1`.
fn points(t: &Trial, objective: Monitor) -> Vec<(f64, f64)> {
    t.history
        .values(objective)
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, &v)| ((t.initial_epoch + i + 1) as f64, v))
        .collect()
}

/// Where a promoted trial's dashed link starts: its parent's value at the epoch it continues
/// from.
fn parent_point(t: &Trial, trials: &[Trial], objective: Monitor) -> Option<(f64, f64)> {
    let parent = trials.iter().find(|p| Some(&p.id) == t.parent.as_ref())?;
    let at = t.initial_epoch.checked_sub(parent.initial_epoch + 1)?;
    let v = *parent.history.values(objective).get(at)?;
    v.is_finite().then_some((t.initial_epoch as f64, v))
}

/// An epoch tick's label: whole epochs only.
fn epoch_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-6 {
        format!("{x:.0}")
    } else {
        String::new()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Names the trial lines (the polylines not 1 pixel wide, in drawing order) with a
/// `data-trial` attribute and a `<title>` that shows on hover.
fn tag_trial_lines(svg: &str, ids: &[&str]) -> String {
    let mut out = String::with_capacity(svg.len() + ids.len() * 64);
    let mut ids = ids.iter().peekable();
    let mut rest = svg;
    while let Some(start) = rest.find("<polyline") {
        let Some(len) = rest[start..].find("/>") else {
            break;
        };
        let (tag, after) = rest.split_at(start + len);
        out.push_str(tag);
        rest = &after[2..];
        let thin = tag[start..].contains(&format!(r#"stroke-width="{LINK}""#));
        match ids.next_if(|_| !thin) {
            Some(id) => {
                let id = escape(id);
                out.push_str(&format!(
                    r#" data-trial="{id}"><title>trial {id}</title></polyline>"#
                ));
            }
            None => out.push_str("/>"),
        }
    }
    out.push_str(rest);
    out
}

/// Every trial's `objective` per epoch as an SVG of `width` × `height` pixels: one line with
/// points per trial in its bracket's colour, a dashed link from a promoted trial's parent at
/// the epoch it continues from, the `best` trial drawn thick, the epochs and values on the axes.
pub fn trial_chart_svg(
    trials: &[Trial],
    objective: Monitor,
    best: Option<&str>,
    width: u32,
    height: u32,
) -> String {
    let max_epoch = trials.iter().map(|t| t.epochs).max().unwrap_or(1).max(1);
    let (lo, hi) = value_range(trials, objective);
    let mut drawn: Vec<&str> = Vec::new();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        if let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0.8..max_epoch as f64 + 0.2, lo..hi)
        {
            let _ = chart
                .configure_mesh()
                .x_desc("epoch")
                .y_desc(objective.name())
                .y_labels(6)
                .label_style(("sans-serif", 11))
                .axis_desc_style(("sans-serif", 12))
                .x_labels(max_epoch.min(12) + 1)
                .x_label_formatter(&epoch_label)
                .y_label_formatter(&|v| format!("{v:.3}"))
                .bold_line_style(RGBColor(235, 235, 235))
                .light_line_style(TRANSPARENT)
                .axis_style(RGBColor(204, 204, 204))
                .draw();
            for t in trials {
                let color = run_color(t.bracket);
                let points = points(t, objective);
                let Some(&first) = points.first() else {
                    continue;
                };
                if let Some(from) = parent_point(t, trials, objective) {
                    let _ = chart.draw_series(DashedLineSeries::new(
                        [from, first],
                        3,
                        3,
                        color.stroke_width(LINK),
                    ));
                }
                let stroke = if best == Some(t.id.as_str()) {
                    BEST_LINE
                } else {
                    LINE
                };
                let _ = chart.draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(stroke),
                ));
                let _ =
                    chart.draw_series(points.iter().map(|&pt| Circle::new(pt, 3, color.filled())));
                drawn.push(&t.id);
            }
        }
        let _ = root.present();
    }
    tag_trial_lines(&svg, &drawn).replacen("<svg ", r#"<svg data-testid="trial-chart-svg" "#, 1)
}

/// The trial chart of a search with its legend (one swatch per bracket).
#[component]
pub(super) fn TrialChart(#[prop(into)] search: Signal<Option<SearchView>>) -> impl IntoView {
    move || {
        let s = search.get()?;
        let brackets: BTreeSet<usize> = s.trials.iter().map(|t| t.bracket).collect();
        let best = s.best().map(|t| t.id.clone());
        let svg = trial_chart_svg(
            &s.trials,
            s.config.objective,
            best.as_deref(),
            WIDTH,
            HEIGHT,
        );
        Some(view! {
            <div class="chart" data-testid="trial-chart" data-trials=s.trials.len()>
                <div class="chart-svg" inner_html=svg></div>
                <div class="legend">
                    <span class="legend-key">"one line per trial · dashed: a promoted trial continuing its parent · thick: the best"</span>
                    {brackets.into_iter().map(|b| view! {
                        <span class="legend-item"><span class="swatch" style=format!("background: {}", css_color(b))></span>{format!("bracket {b}")}</span>
                    }).collect_view()}
                </div>
            </div>
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::tuning::TrialStatus;

    fn trial(
        id: &str,
        bracket: usize,
        initial_epoch: usize,
        parent: Option<&str>,
        values: &[f64],
    ) -> Trial {
        let history = lab_spec::History {
            val_accuracy: values.to_vec(),
            ..Default::default()
        };
        Trial {
            bracket,
            round: usize::from(parent.is_some()),
            initial_epoch,
            parent: parent.map(Into::into),
            score: values.iter().copied().reduce(f64::max),
            status: TrialStatus::Completed,
            history,
            ..Trial::new(id, Default::default(), initial_epoch + values.len())
        }
    }

    /// (stroke colour, stroke width, number of points, data-trial) of every polyline.
    fn polylines(svg: &str) -> Vec<(String, u32, usize, Option<String>)> {
        let attr = |tag: &str, name: &str| {
            let key = format!(" {name}=\"");
            let start = tag.find(&key)? + key.len();
            Some(tag[start..start + tag[start..].find('"')?].to_string())
        };
        svg.split("<polyline")
            .skip(1)
            .map(|rest| {
                let tag = &rest[..rest.find('>').unwrap()];
                (
                    attr(tag, "stroke").unwrap(),
                    attr(tag, "stroke-width").unwrap().parse().unwrap(),
                    attr(tag, "points").unwrap().split_whitespace().count(),
                    attr(tag, "data-trial"),
                )
            })
            .collect()
    }

    fn hex(bracket: usize) -> String {
        let RGBColor(r, g, b) = run_color(bracket);
        format!("#{r:02X}{g:02X}{b:02X}")
    }

    fn search() -> Vec<Trial> {
        vec![
            trial("0000", 1, 0, None, &[0.70, 0.75]),
            trial("0001", 1, 0, None, &[0.72, 0.80]),
            trial("0002", 1, 2, Some("0001"), &[0.83, 0.85, 0.86]),
            trial("0003", 0, 0, None, &[0.6, 0.7, 0.75, 0.8, 0.84]),
        ]
    }

    #[test]
    fn one_line_with_points_per_trial_in_its_bracket_colour() {
        let trials = search();
        let svg = trial_chart_svg(&trials, Monitor::ValAccuracy, None, 860, 280);
        let lines: Vec<_> = polylines(&svg)
            .into_iter()
            .filter(|l| l.3.is_some())
            .collect();
        assert_eq!(lines.len(), 4);
        for (line, t) in lines.iter().zip(&trials) {
            assert_eq!(line.3.as_deref(), Some(t.id.as_str()));
            assert_eq!(line.0, hex(t.bracket));
            assert_eq!(line.1, LINE);
            assert_eq!(line.2, t.history.val_accuracy.len());
            assert!(svg.contains(&format!("<title>trial {}</title>", t.id)));
        }
        let circles = svg.matches("<circle").count();
        assert_eq!(circles, 2 + 2 + 3 + 5);
        assert!(svg.contains(">\nepoch\n</text>"), "x axis label");
        assert!(svg.contains("val_accuracy"), "y axis label");
    }

    #[test]
    fn the_best_trial_is_thicker() {
        let svg = trial_chart_svg(&search(), Monitor::ValAccuracy, Some("0002"), 860, 280);
        for (_, width, _, id) in polylines(&svg).into_iter().filter(|l| l.3.is_some()) {
            let expected = if id.as_deref() == Some("0002") {
                BEST_LINE
            } else {
                LINE
            };
            assert_eq!(width, expected, "trial {id:?}");
        }
        const { assert!(BEST_LINE > LINE) };
    }

    #[test]
    fn a_promoted_trial_is_joined_to_its_parent_by_a_dashed_line() {
        let trials = search();
        let svg = trial_chart_svg(&trials, Monitor::ValAccuracy, None, 860, 280);
        let dashes: Vec<_> = polylines(&svg)
            .into_iter()
            .filter(|(color, width, _, id)| id.is_none() && *width == LINK && *color == hex(1))
            .collect();
        assert!(dashes.len() > 2, "several short dashes: {dashes:?}");
        assert!(dashes.iter().all(|d| d.2 == 2));
        // From the parent's value at epoch 2 to the promoted trial's first point, epoch 3.
        assert_eq!(
            parent_point(&trials[2], &trials, Monitor::ValAccuracy),
            Some((2.0, 0.80))
        );
        assert_eq!(
            parent_point(&trials[1], &trials, Monitor::ValAccuracy),
            None
        );
        assert_eq!(points(&trials[2], Monitor::ValAccuracy)[0], (3.0, 0.83));
        // Without a promotion, no dashes.
        let svg = trial_chart_svg(&trials[..2], Monitor::ValAccuracy, None, 860, 280);
        assert!(!polylines(&svg).iter().any(|l| l.1 == LINK && l.0 == hex(1)));
    }

    #[test]
    fn no_trials_give_a_valid_empty_chart() {
        let svg = trial_chart_svg(&[], Monitor::ValLoss, None, 860, 280);
        assert!(
            svg.starts_with(r#"<svg data-testid="trial-chart-svg" "#),
            "{svg}"
        );
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(polylines(&svg).iter().all(|l| l.3.is_none()));
        assert_eq!(svg.matches("<circle").count(), 0);
        assert!(svg.contains("val_loss"));
        // A trial that has not finished an epoch yet draws nothing either.
        let svg = trial_chart_svg(
            &[trial("0000", 0, 0, None, &[])],
            Monitor::ValAccuracy,
            None,
            860,
            280,
        );
        assert!(polylines(&svg).iter().all(|l| l.3.is_none()));
    }

    #[test]
    fn the_value_range_is_padded_and_never_empty() {
        assert_eq!(value_range(&[], Monitor::ValAccuracy), (-0.08, 1.08));
        let flat = [trial("0000", 0, 0, None, &[0.5, 0.5, f64::NAN])];
        let (lo, hi) = value_range(&flat, Monitor::ValAccuracy);
        assert!(lo < 0.49 && hi > 0.51);
        let (lo, hi) = value_range(&search(), Monitor::ValAccuracy);
        assert!(
            (lo - (0.6 - 0.26 * 0.08)).abs() < 1e-12 && (hi - (0.86 + 0.26 * 0.08)).abs() < 1e-12
        );
    }
}
