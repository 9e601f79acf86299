//! How far the loss axis reaches. One diverged run (lr 10: a loss of 500, or NaN) would
//! otherwise squash every other curve flat at the bottom; so the axis is fitted to the runs
//! that did not diverge, is clipped there, and says so in a note that names the run.

/// One run's losses, as the chart draws them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunLosses {
    /// How the note names it: "run 3".
    pub name: String,
    /// Its epochs' `loss` and `val_loss`.
    pub epochs: Vec<f64>,
    /// Its running training loss within epochs.
    pub batches: Vec<f64>,
}

/// A loss never needs a clipped axis below this: an untrained 10-class model's
/// cross-entropy is ln 10 ≈ 2.30, and a run stuck there has not diverged.
pub const CHANCE_CEILING: f64 = 2.5;
/// A loss this many times the median of all epochs' losses counts as diverged.
pub const DIVERGED_FACTOR: f64 = 4.0;
/// Head room above the highest value drawn.
const HEAD_ROOM: f64 = 1.08;

/// The loss axis: 0 to `top`; values above `top` (when `clipped`) are drawn at the top.
#[derive(Clone, Debug, PartialEq)]
pub struct LossAxis {
    pub top: f64,
    pub clipped: bool,
    /// What the learner is told about the axis: which runs were clipped (and how far they
    /// went), which losses became NaN.
    pub note: Option<String>,
}

impl LossAxis {
    /// Where a value goes on this axis: `None` for NaN (not drawn), else the value (at most
    /// the top) and whether it was clipped.
    pub fn place(&self, v: f64) -> Option<(f64, bool)> {
        if v.is_nan() {
            None
        } else if v > self.top {
            Some((self.top, true))
        } else {
            Some((v, false))
        }
    }
}

/// A number for the note: "512", "1.2e5", "0.87".
pub fn short_number(v: f64) -> String {
    if !v.is_finite() {
        if v > 0.0 { "Infinity" } else { "NaN" }.to_string()
    } else if v.abs() >= 1e5 {
        format!("{v:.1e}")
    } else if v.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        }
    })
}

/// Fits the loss axis to `runs`: the values above max(`CHANCE_CEILING`, `DIVERGED_FACTOR` ×
/// the median epoch loss) — and +Infinity — belong to a diverged run; the axis then ends just
/// above the highest of the other values and says it is clipped. A NaN loss is not drawn;
/// the note says so too.
pub fn loss_axis(runs: &[RunLosses]) -> LossAxis {
    let finite_epochs: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.epochs.iter().copied())
        .filter(|v| v.is_finite())
        .collect();
    let limit = median(finite_epochs).map_or(CHANCE_CEILING, |m| {
        (DIVERGED_FACTOR * m).max(CHANCE_CEILING)
    });
    let all = |r: &RunLosses| {
        r.epochs
            .iter()
            .chain(&r.batches)
            .copied()
            .collect::<Vec<_>>()
    };
    let highest_kept = runs
        .iter()
        .flat_map(all)
        .filter(|v| v.is_finite() && *v <= limit)
        .fold(0.0f64, f64::max);
    let top = (highest_kept * HEAD_ROOM).max(0.1);
    let mut diverged = Vec::new();
    let mut nan = Vec::new();
    for r in runs {
        let values = all(r);
        let worst = values
            .iter()
            .copied()
            .filter(|v| !v.is_nan() && *v > top)
            .fold(f64::NEG_INFINITY, f64::max);
        if worst > limit {
            diverged.push(format!("{} (max {})", r.name, short_number(worst)));
        }
        if values.iter().any(|v| v.is_nan()) {
            nan.push(r.name.clone());
        }
    }
    let clipped = !diverged.is_empty();
    let mut parts = Vec::new();
    if clipped {
        parts.push(format!(
            "loss axis clipped at {} — {} diverged; its higher values are drawn at the top edge (▲)",
            short_number(top),
            diverged.join(", ")
        ));
    }
    if !nan.is_empty() {
        parts.push(format!(
            "the loss of {} became NaN: those epochs are not drawn",
            nan.join(", ")
        ));
    }
    LossAxis {
        top,
        clipped,
        note: (!parts.is_empty()).then(|| parts.join(" · ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, epochs: &[f64], batches: &[f64]) -> RunLosses {
        RunLosses {
            name: name.into(),
            epochs: epochs.to_vec(),
            batches: batches.to_vec(),
        }
    }

    #[test]
    fn healthy_runs_fit_the_axis_and_say_nothing() {
        let axis = loss_axis(&[
            run("run 1", &[0.55, 0.5, 0.42, 0.45], &[2.3, 0.9, 0.6]),
            run("run 2", &[0.6, 0.48, 0.4, 0.38], &[]),
        ]);
        assert!(!axis.clipped);
        assert_eq!(axis.note, None);
        assert!((axis.top - 2.3 * HEAD_ROOM).abs() < 1e-12);
        assert_eq!(axis.place(0.4), Some((0.4, false)));
    }

    #[test]
    fn a_diverged_run_clips_the_axis_and_is_named() {
        let axis = loss_axis(&[
            run("run 1", &[0.55, 0.5, 0.42, 0.45], &[]),
            run("run 2", &[0.6, 0.48, 0.4, 0.38], &[]),
            run("run 3", &[512.0, 2.31, 2.3, 2.3], &[]),
        ]);
        assert!(axis.clipped);
        assert!((axis.top - 2.31 * HEAD_ROOM).abs() < 1e-12, "{}", axis.top);
        let note = axis.note.clone().unwrap();
        assert!(note.contains("loss axis clipped at 2.49"), "{note}");
        assert!(note.contains("run 3 (max 512) diverged"), "{note}");
        assert!(!note.contains("run 1") && !note.contains("run 2"), "{note}");
        assert_eq!(axis.place(512.0), Some((axis.top, true)));
        assert_eq!(axis.place(0.5), Some((0.5, false)));
    }

    #[test]
    fn a_run_at_chance_level_is_not_diverged() {
        // lr too high: stuck at ln 10 while the others learn. Drawn, not clipped.
        let axis = loss_axis(&[
            run("run 1", &[0.5, 0.4, 0.35, 0.33], &[]),
            run("run 2", &[0.45, 0.4, 0.36, 0.34], &[]),
            run("run 3", &[2.31, 2.30, 2.30, 2.30], &[]),
        ]);
        assert!(!axis.clipped);
        assert_eq!(axis.note, None);
        assert!(axis.top > 2.31);
    }

    #[test]
    fn one_diverged_run_alone_is_clipped_to_its_own_typical_loss() {
        let axis = loss_axis(&[run("run 4", &[480.0, 2.4, 2.3, 2.3, 2.3], &[])]);
        assert!(axis.clipped);
        assert!(axis.top < 3.0);
        assert!(axis.note.unwrap().contains("run 4 (max 480) diverged"));
    }

    #[test]
    fn infinity_is_clipped_and_nan_is_said_and_not_drawn() {
        let axis = loss_axis(&[
            run("run 1", &[0.5, 0.4], &[]),
            run("run 2", &[0.6, f64::INFINITY, f64::NAN], &[0.7, f64::NAN]),
        ]);
        assert!(axis.clipped);
        let note = axis.note.clone().unwrap();
        assert!(note.contains("run 2 (max Infinity) diverged"), "{note}");
        assert!(note.contains("the loss of run 2 became NaN"), "{note}");
        assert_eq!(axis.place(f64::NAN), None);
        assert_eq!(axis.place(f64::INFINITY), Some((axis.top, true)));
    }

    #[test]
    fn nan_alone_does_not_clip() {
        let axis = loss_axis(&[run("run 1", &[0.9, f64::NAN], &[])]);
        assert!(!axis.clipped);
        assert!(axis.note.unwrap().contains("became NaN"));
    }

    #[test]
    fn no_values_give_a_small_axis() {
        let axis = loss_axis(&[]);
        assert_eq!((axis.top, axis.clipped, axis.note), (0.1, false, None));
        let axis = loss_axis(&[run("run 1", &[], &[])]);
        assert_eq!(axis.top, 0.1);
    }

    #[test]
    fn numbers_in_the_note_are_short() {
        assert_eq!(short_number(512.3), "512");
        assert_eq!(short_number(2.4867), "2.49");
        assert_eq!(short_number(123456.0), "1.2e5");
        assert_eq!(short_number(f64::INFINITY), "Infinity");
    }
}
