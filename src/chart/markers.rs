//! The per-run markers on the learning curves — the best epoch, where val_loss starts to
//! rise, where EarlyStopping or TerminateOnNaN ended the run — each kind with its own colour
//! and dash, and their labels placed so that they neither overlap nor leave the chart.

use lab_spec::CallbackAction;

use crate::logic::{best_epoch, overfit_start};
use crate::trainer::RunView;

/// What a marker says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    /// The epoch with the lowest val_loss.
    Best,
    /// The first epoch after the best one, in a finished run that went on past it.
    Rises,
    /// EarlyStopping ended the run here.
    EarlyStop,
    /// TerminateOnNaN ended the run here.
    NanStop,
}

impl MarkerKind {
    pub const ALL: [MarkerKind; 4] = [
        MarkerKind::Best,
        MarkerKind::Rises,
        MarkerKind::EarlyStop,
        MarkerKind::NanStop,
    ];

    /// The label's words.
    pub fn label(self) -> &'static str {
        match self {
            MarkerKind::Best => "best",
            MarkerKind::Rises => "val_loss rises",
            MarkerKind::EarlyStop => "stopped early",
            MarkerKind::NanStop => "NaN: terminated",
        }
    }

    /// What the legend says it means.
    pub fn meaning(self) -> &'static str {
        match self {
            MarkerKind::Best => "best epoch (lowest val_loss)",
            MarkerKind::Rises => "val_loss rises from here",
            MarkerKind::EarlyStop => "EarlyStopping ended the run",
            MarkerKind::NanStop => "TerminateOnNaN ended the run",
        }
    }

    /// Its colour (r, g, b): green, orange, red, purple — none of them close to another.
    pub fn rgb(self) -> (u8, u8, u8) {
        match self {
            MarkerKind::Best => (0, 140, 70),
            MarkerKind::Rises => (220, 120, 0),
            MarkerKind::EarlyStop => (200, 30, 30),
            MarkerKind::NanStop => (120, 60, 160),
        }
    }

    pub fn css(self) -> String {
        let (r, g, b) = self.rgb();
        format!("rgb({r},{g},{b})")
    }

    /// Its line: solid, or dashed as (dash, gap) in pixels.
    pub fn dash(self) -> Option<(u32, u32)> {
        match self {
            MarkerKind::Best => None,
            MarkerKind::Rises => Some((6, 3)),
            MarkerKind::EarlyStop => Some((2, 3)),
            MarkerKind::NanStop => Some((8, 2)),
        }
    }

    /// The legend's line sample as a CSS border style.
    pub fn css_border(self) -> &'static str {
        match self.dash() {
            None => "solid",
            Some((d, _)) if d <= 2 => "dotted",
            Some(_) => "dashed",
        }
    }
}

/// One marker of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub run: u32,
    pub epoch: usize,
    pub kind: MarkerKind,
}

impl Marker {
    /// Its label: the kind's words, with the run when several runs are on the chart.
    pub fn text(&self, several_runs: bool) -> String {
        if several_runs {
            format!("{} · run {}", self.kind.label(), self.run)
        } else {
            self.kind.label().to_string()
        }
    }
}

/// A run's markers: its best epoch; where val_loss rises (once it has finished); where a
/// callback ended it.
pub fn run_markers(run: &RunView) -> Vec<Marker> {
    let finished = !run.is_running() || run.summary.is_some();
    let mark = |epoch, kind| Marker {
        run: run.id,
        epoch,
        kind,
    };
    let mut markers: Vec<Marker> = best_epoch(&run.epochs)
        .map(|e| mark(e, MarkerKind::Best))
        .into_iter()
        .collect();
    if finished && let Some(e) = overfit_start(&run.epochs) {
        markers.push(mark(e, MarkerKind::Rises));
    }
    markers.extend(run.actions.iter().filter_map(|a| match a {
        CallbackAction::EarlyStopped { epoch, .. } => Some(mark(*epoch, MarkerKind::EarlyStop)),
        CallbackAction::TerminatedOnNan { epoch, .. } => Some(mark(*epoch, MarkerKind::NanStop)),
        _ => None,
    }));
    markers
}

/// Width of a label in pixels, estimated for 11 px sans-serif text.
pub fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 6.0 + 2.0
}

/// Space between a marker line and its label, and between two labels on a row.
const GAP: f64 = 3.0;

/// Where a label goes: its left x and its row (0 = the top row).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelPlace {
    pub x: f64,
    pub row: usize,
}

/// Places labels of the given `(anchor x, width)` inside `left..right`: right of their
/// marker line, or left of it when there is no room on the right, never past either edge;
/// a label that would overlap one already placed goes a row lower. Returned in input order.
pub fn place_labels(labels: &[(f64, f64)], left: f64, right: f64) -> Vec<LabelPlace> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| labels[a].0.total_cmp(&labels[b].0));
    let mut rows: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut places = vec![LabelPlace { x: left, row: 0 }; labels.len()];
    for i in order {
        let (anchor, width) = labels[i];
        let x = if anchor + GAP + width <= right {
            anchor + GAP
        } else {
            anchor - GAP - width
        };
        let x = x.min(right - width).max(left);
        let free = |row: &Vec<(f64, f64)>| {
            row.iter()
                .all(|&(a, b)| x + width + GAP <= a || x >= b + GAP)
        };
        let row = match rows.iter().position(free) {
            Some(r) => r,
            None => {
                rows.push(Vec::new());
                rows.len() - 1
            }
        };
        rows[row].push((x, x + width));
        places[i] = LabelPlace { x, row };
    }
    places
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::{EpochLogs, StopReason, TrainingConfig};

    use crate::trainer::RunStatus;

    fn logs(epoch: usize, val_loss: f64) -> EpochLogs {
        EpochLogs {
            epoch,
            loss: 0.5,
            accuracy: 0.8,
            val_loss: Some(val_loss),
            val_accuracy: Some(0.8),
            lr: 1e-3,
            regularization_loss: 0.0,
            seconds: 1.0,
        }
    }

    fn run(id: u32, val_losses: &[f64]) -> RunView {
        let mut r = RunView::new(
            id,
            7,
            "r".into(),
            TrainingConfig::new(lab_spec::ModelSpec::baseline()),
            "cpu".into(),
            0.0,
        );
        r.epochs = val_losses
            .iter()
            .enumerate()
            .map(|(i, &v)| logs(i + 1, v))
            .collect();
        r
    }

    #[test]
    fn a_stopped_run_has_best_rise_and_stop_markers_of_distinct_kinds() {
        let mut r = run(2, &[0.5, 0.4, 0.35, 0.37, 0.39, 0.41]);
        r.actions.push(CallbackAction::EarlyStopped {
            epoch: 6,
            best_epoch: Some(3),
        });
        r.status = RunStatus::Finished(StopReason::EarlyStopping);
        let kinds: Vec<_> = run_markers(&r).iter().map(|m| (m.epoch, m.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (3, MarkerKind::Best),
                (4, MarkerKind::Rises),
                (6, MarkerKind::EarlyStop)
            ]
        );
        assert_eq!(run_markers(&r)[0].text(true), "best · run 2");
        assert_eq!(run_markers(&r)[0].text(false), "best");
    }

    #[test]
    fn a_running_run_has_no_rise_marker_yet() {
        let r = run(1, &[0.5, 0.4, 0.45]);
        assert_eq!(
            run_markers(&r),
            vec![Marker {
                run: 1,
                epoch: 2,
                kind: MarkerKind::Best
            }]
        );
    }

    #[test]
    fn every_kind_has_its_own_colour_and_line() {
        for (i, a) in MarkerKind::ALL.iter().enumerate() {
            for b in &MarkerKind::ALL[i + 1..] {
                let (ra, ga, ba) = a.rgb();
                let (rb, gb, bb) = b.rgb();
                let distance = (ra as i32 - rb as i32).abs()
                    + (ga as i32 - gb as i32).abs()
                    + (ba as i32 - bb as i32).abs();
                assert!(distance > 100, "{a:?} and {b:?} look alike");
                assert_ne!(a.dash(), b.dash(), "{a:?} and {b:?}");
            }
        }
    }

    fn overlap(a: (f64, f64, usize), b: (f64, f64, usize)) -> bool {
        a.2 == b.2 && a.0 < b.1 && b.0 < a.1
    }

    #[test]
    fn labels_at_the_same_epoch_stack_instead_of_overlapping() {
        // "bestbestval_loss rises": two runs' best at epoch 3 and a rise at epoch 4.
        let labels = [(100.0, 26.0), (100.0, 26.0), (110.0, 86.0)];
        let places = place_labels(&labels, 50.0, 400.0);
        let boxes: Vec<_> = places
            .iter()
            .zip(&labels)
            .map(|(p, &(_, w))| (p.x, p.x + w, p.row))
            .collect();
        for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                assert!(!overlap(boxes[i], boxes[j]), "{boxes:?}");
            }
        }
        assert_eq!(places[0], LabelPlace { x: 103.0, row: 0 });
        assert_eq!(places[1].row, 1);
        assert_eq!(places[2].row, 2);
    }

    #[test]
    fn labels_far_apart_share_the_top_row() {
        let places = place_labels(&[(100.0, 30.0), (200.0, 30.0)], 50.0, 400.0);
        assert!(places.iter().all(|p| p.row == 0));
    }

    #[test]
    fn a_label_at_the_right_edge_goes_left_of_its_line_and_is_never_clipped() {
        let places = place_labels(&[(395.0, 80.0)], 50.0, 400.0);
        assert_eq!(places[0].x, 395.0 - 3.0 - 80.0);
        let places = place_labels(&[(60.0, 80.0), (55.0, 500.0)], 50.0, 400.0);
        assert!(places.iter().all(|p| p.x >= 50.0));
        assert!(places[0].x + 80.0 <= 400.0);
    }
}
