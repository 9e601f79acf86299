//! The chart of every trial's objective per epoch, drawn with plotters (SVG backend): one line
//! per trial coloured by bracket, a promoted trial joined to its parent by a dashed line, the
//! best trial thick; with its legend. The epoch axis ends at the last epoch trained (the
//! configured epochs only while a trial still trains); a loss objective's axis is clipped
//! when a trial diverged, and the chart says so (`crate::chart`).

use std::collections::BTreeSet;

use lab_spec::Monitor;
use lab_spec::tuning::{Trial, TrialStatus};
use leptos::prelude::*;
use plotters::prelude::*;

use crate::chart::axes::{EpochSpan, axis_epochs, epoch_ticks};
use crate::chart::draw::draw_epoch_ticks;
use crate::chart::loss_axis::{LossAxis, RunLosses, loss_axis};
use crate::components::chart::{css_color, run_color};
use crate::trainer::SearchView;

const WIDTH: u32 = 860;
const HEIGHT: u32 = 280;
/// Stroke widths: a trial's line, the best trial's, the dashed link to a parent. Everything
/// else (axes, grid) is drawn 1 pixel wide, which is how the trial lines are found again.
const LINE: u32 = 2;
const BEST_LINE: u32 = 4;
const LINK: u32 = 1;

/// The objective's range over every trial, padded by 8 % (0..1 when nothing is finite yet);
/// values above `cap` (a clipped loss axis) are left out.
fn value_range(trials: &[Trial], objective: Monitor, cap: Option<f64>) -> (f64, f64) {
    let (mut lo, mut hi) = trials
        .iter()
        .flat_map(|t| t.history.values(objective).iter().copied())
        .filter(|v| v.is_finite() && cap.is_none_or(|c| *v <= c))
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

/// A loss objective's axis over the trials (named "trial 0003"): clipped when one diverged.
fn objective_axis(trials: &[Trial], objective: Monitor) -> Option<LossAxis> {
    matches!(objective, Monitor::Loss | Monitor::ValLoss).then(|| {
        loss_axis(
            &trials
                .iter()
                .map(|t| RunLosses {
                    name: format!("trial {}", t.id),
                    epochs: t.history.values(objective).to_vec(),
                    batches: Vec::new(),
                })
                .collect::<Vec<_>>(),
        )
    })
}

/// What the chart says about its value axis: which trial diverged and was clipped, which
/// became NaN.
pub fn trial_chart_note(trials: &[Trial], objective: Monitor) -> Option<String> {
    objective_axis(trials, objective)?.note
}

/// The last epoch of the axis: the last epoch trained, or a running trial's target.
fn last_epoch(trials: &[Trial], objective: Monitor) -> usize {
    axis_epochs(trials.iter().map(|t| EpochSpan {
        trained: t.initial_epoch + t.history.epochs().max(t.history.values(objective).len()),
        configured: t.epochs,
        running: t.status == TrialStatus::Running,
    }))
}

/// A trial's finite values at their absolute epochs (a promoted trial continues its parent,
/// so its first epoch is `initial_epoch + 1`), values above `cap` drawn at it.
fn points(t: &Trial, objective: Monitor, cap: Option<f64>) -> Vec<(f64, f64)> {
    t.history
        .values(objective)
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan() && (v.is_finite() || cap.is_some()))
        .map(|(i, &v)| {
            let v = cap.map_or(v, |c| v.min(c));
            ((t.initial_epoch + i + 1) as f64, v)
        })
        .collect()
}

/// Where a promoted trial's dashed link starts: its parent's value at the epoch it continues
/// from.
fn parent_point(
    t: &Trial,
    trials: &[Trial],
    objective: Monitor,
    cap: Option<f64>,
) -> Option<(f64, f64)> {
    let parent = trials.iter().find(|p| Some(&p.id) == t.parent.as_ref())?;
    let at = t.initial_epoch.checked_sub(parent.initial_epoch + 1)?;
    let v = *parent.history.values(objective).get(at)?;
    (v.is_finite() || (cap.is_some() && !v.is_nan()))
        .then_some((t.initial_epoch as f64, cap.map_or(v, |c| v.min(c))))
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
    let max_epoch = last_epoch(trials, objective);
    let axis = objective_axis(trials, objective);
    let cap = axis.as_ref().filter(|a| a.clipped).map(|a| a.top);
    let (lo, hi) = value_range(trials, objective, cap);
    let hi = cap.unwrap_or(hi);
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
                .x_labels(0)
                .y_label_formatter(&|v| format!("{v:.3}"))
                .bold_line_style(RGBColor(235, 235, 235))
                .light_line_style(TRANSPARENT)
                .axis_style(RGBColor(204, 204, 204))
                .draw();
            draw_epoch_ticks(&root, &mut chart, &epoch_ticks(max_epoch, 12), lo, hi);
            for t in trials {
                let color = run_color(t.bracket);
                let points = points(t, objective, cap);
                let Some(&first) = points.first() else {
                    continue;
                };
                if let Some(from) = parent_point(t, trials, objective, cap) {
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
        let note = trial_chart_note(&s.trials, s.config.objective);
        Some(view! {
            <div class="chart" data-testid="trial-chart" data-trials=s.trials.len()
                data-axis-epochs=last_epoch(&s.trials, s.config.objective)>
                {note.map(|n| view! { <p class="chart-note" data-testid="trial-chart-note">{n}</p> })}
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
            parent_point(&trials[2], &trials, Monitor::ValAccuracy, None),
            Some((2.0, 0.80))
        );
        assert_eq!(
            parent_point(&trials[1], &trials, Monitor::ValAccuracy, None),
            None
        );
        assert_eq!(
            points(&trials[2], Monitor::ValAccuracy, None)[0],
            (3.0, 0.83)
        );
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
    fn the_epoch_axis_ends_at_the_last_epoch_trained() {
        let mut trials = search();
        // Trial 0003 was asked for 9 epochs and stopped after 5.
        trials[3].epochs = 9;
        trials[3].status = TrialStatus::Stopped;
        assert_eq!(last_epoch(&trials, Monitor::ValAccuracy), 5);
        let svg = trial_chart_svg(&trials, Monitor::ValAccuracy, None, 860, 280);
        assert!(svg.contains(">\n5\n</text>") && !svg.contains(">\n9\n</text>"));
        // While it trains, the axis keeps room for its target.
        trials[3].status = TrialStatus::Running;
        assert_eq!(last_epoch(&trials, Monitor::ValAccuracy), 9);
    }

    #[test]
    fn a_diverged_trial_clips_a_loss_axis_and_the_chart_says_so() {
        let loss = |id: &str, values: &[f64]| {
            let mut t = trial(id, 0, 0, None, &[]);
            t.history.val_loss = values.to_vec();
            t.status = TrialStatus::Completed;
            t
        };
        let trials = vec![
            loss("0000", &[0.5, 0.4, 0.38]),
            loss("0001", &[0.55, 0.45, 0.4]),
            loss("0002", &[640.0, 2.3, 2.3]),
        ];
        let note = trial_chart_note(&trials, Monitor::ValLoss).unwrap();
        assert!(note.contains("trial 0002 (max 640) diverged"), "{note}");
        let cap = objective_axis(&trials, Monitor::ValLoss).unwrap().top;
        assert!(cap < 2.6);
        assert_eq!(
            points(&trials[2], Monitor::ValLoss, Some(cap))[0],
            (1.0, cap)
        );
        let (_, hi) = value_range(&trials, Monitor::ValLoss, Some(cap));
        assert!(hi < 2.6, "{hi}");
        // An accuracy objective is never clipped.
        assert_eq!(trial_chart_note(&search(), Monitor::ValAccuracy), None);
    }

    #[test]
    fn the_value_range_is_padded_and_never_empty() {
        assert_eq!(value_range(&[], Monitor::ValAccuracy, None), (-0.08, 1.08));
        let flat = [trial("0000", 0, 0, None, &[0.5, 0.5, f64::NAN])];
        let (lo, hi) = value_range(&flat, Monitor::ValAccuracy, None);
        assert!(lo < 0.49 && hi > 0.51);
        let (lo, hi) = value_range(&search(), Monitor::ValAccuracy, None);
        assert!(
            (lo - (0.6 - 0.26 * 0.08)).abs() < 1e-12 && (hi - (0.86 + 0.26 * 0.08)).abs() < 1e-12
        );
    }
}
