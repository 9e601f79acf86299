//! "Is this score better?", written once: a monitored key with its direction. Callbacks
//! (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau), the tuner's oracle and the page all ask
//! it here.

use serde::{Deserialize, Serialize};

use crate::training::{Mode, Monitor};

/// A monitored key and whether higher or lower is better (`auto` resolved as Keras does:
/// `max` for accuracies, `min` for losses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objective {
    pub monitor: Monitor,
    /// `Min` or `Max`, never `Auto`.
    pub mode: Mode,
}

impl Objective {
    /// `mode` may be `Auto`; it is resolved from the monitor.
    pub fn new(monitor: Monitor, mode: Mode) -> Self {
        Self {
            monitor,
            mode: monitor.resolve(mode),
        }
    }

    pub fn maximize(&self) -> bool {
        self.mode == Mode::Max
    }

    /// Whether `current` is strictly better than `reference`.
    pub fn better(&self, current: f64, reference: f64) -> bool {
        self.better_by(current, reference, 0.0)
    }

    /// Keras' `_is_improvement`: better than `reference` by more than `min_delta`.
    pub fn better_by(&self, current: f64, reference: f64, min_delta: f64) -> bool {
        if self.maximize() {
            current - min_delta > reference
        } else {
            current + min_delta < reference
        }
    }

    /// The index and value of the best finite value (the first one on ties).
    pub fn best(&self, values: impl IntoIterator<Item = f64>) -> Option<(usize, f64)> {
        self.best_by(values.into_iter().map(Some))
    }

    /// [`Objective::best`] over optional values (missing ones are skipped).
    pub fn best_by(&self, values: impl IntoIterator<Item = Option<f64>>) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for (i, v) in values.into_iter().enumerate() {
            if let Some(v) = v.filter(|v| v.is_finite())
                && best.is_none_or(|(_, b)| self.better(v, b))
            {
                best = Some((i, v));
            }
        }
        best
    }

    /// The worst possible value, the starting point of a search for the best.
    pub fn worst(&self) -> f64 {
        if self.maximize() {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_resolves_as_keras() {
        assert_eq!(
            Objective::new(Monitor::ValAccuracy, Mode::Auto).mode,
            Mode::Max
        );
        assert_eq!(Objective::new(Monitor::ValLoss, Mode::Auto).mode, Mode::Min);
        assert_eq!(Objective::new(Monitor::ValLoss, Mode::Max).mode, Mode::Max);
    }

    #[test]
    fn better_follows_the_direction_and_min_delta() {
        let acc = Objective::new(Monitor::Accuracy, Mode::Auto);
        assert!(acc.better(0.9, 0.8));
        assert!(!acc.better(0.8, 0.8));
        assert!(!acc.better_by(0.805, 0.8, 0.01));
        assert!(acc.better_by(0.82, 0.8, 0.01));
        let loss = Objective::new(Monitor::Loss, Mode::Auto);
        assert!(loss.better(0.1, 0.2));
        assert!(!loss.better_by(0.195, 0.2, 0.01));
        assert!(!loss.better(f64::NAN, 0.2));
    }

    #[test]
    fn best_takes_the_first_of_ties_and_skips_nan_and_missing() {
        let loss = Objective::new(Monitor::ValLoss, Mode::Auto);
        assert_eq!(loss.best([0.5, 0.3, f64::NAN, 0.3]), Some((1, 0.3)));
        assert_eq!(loss.best([]), None);
        assert_eq!(loss.best([f64::NAN]), None);
        let acc = Objective::new(Monitor::ValAccuracy, Mode::Auto);
        assert_eq!(
            acc.best_by([None, Some(0.7), Some(0.9), Some(0.9)]),
            Some((2, 0.9))
        );
        assert_eq!(acc.worst(), f64::NEG_INFINITY);
    }
}
