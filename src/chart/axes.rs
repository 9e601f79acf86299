//! The epoch axis: it spans the epochs the runs actually trained, and the configured epochs
//! only while a run is still training; its ticks are whole epochs and always end at the last
//! one.

/// One curve's extent in epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochSpan {
    /// The last epoch it has finished (0 if none).
    pub trained: usize,
    /// The last epoch it was asked to train.
    pub configured: usize,
    /// Still training: the axis keeps room for the configured epochs.
    pub running: bool,
}

/// The last epoch of the x axis: the largest over the curves of the epochs trained, or of the
/// configured epochs for a curve still training; at least 1.
pub fn axis_epochs(spans: impl IntoIterator<Item = EpochSpan>) -> usize {
    spans
        .into_iter()
        .map(|s| {
            if s.running {
                s.configured.max(s.trained)
            } else {
                s.trained
            }
        })
        .max()
        .unwrap_or(0)
        .max(1)
}

/// Room right of the last epoch, in epochs, for its point and markers.
pub const RIGHT_PAD: f64 = 0.3;

/// The x range of a chart whose first drawn epoch is `first` (0 when the running loss within
/// epoch 1 is drawn, which starts at 0) and whose last is `epochs`.
pub fn x_range(first: f64, epochs: usize) -> (f64, f64) {
    (first, epochs as f64 + RIGHT_PAD)
}

/// Whole-epoch ticks from 1 to `epochs`, at most `max_ticks` of them (at least 2): 1, then
/// multiples of a round step (1, 2, 5, 10, 20, 25, 50, …), then `epochs` itself, without a
/// multiple crowding 1 or the last epoch.
pub fn epoch_ticks(epochs: usize, max_ticks: usize) -> Vec<usize> {
    let epochs = epochs.max(1);
    let max_ticks = max_ticks.max(2);
    if epochs <= max_ticks {
        return (1..=epochs).collect();
    }
    let step = (0..)
        .flat_map(|p: u32| {
            let unit = 10usize.pow(p);
            let quarter = (p > 0).then(|| 25 * unit / 10);
            [Some(unit), Some(2 * unit), quarter, Some(5 * unit)]
        })
        .flatten()
        .find(|&step| epochs / step + 2 <= max_ticks)
        .unwrap_or(epochs);
    let mut ticks = vec![1];
    ticks.extend(
        (1..)
            .map(|k| k * step)
            .take_while(|&t| t < epochs)
            .filter(|&t| 2 * (t - 1) >= step && 2 * (epochs - t) >= step),
    );
    ticks.push(epochs);
    ticks.sort_unstable();
    ticks.dedup();
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(trained: usize, configured: usize, running: bool) -> EpochSpan {
        EpochSpan {
            trained,
            configured,
            running,
        }
    }

    #[test]
    fn a_finished_or_stopped_run_ends_the_axis_at_its_last_epoch() {
        assert_eq!(axis_epochs([span(16, 40, false)]), 16);
        assert_eq!(axis_epochs([span(4, 4, false)]), 4);
    }

    #[test]
    fn a_running_run_keeps_room_for_its_configured_epochs() {
        assert_eq!(axis_epochs([span(3, 40, true)]), 40);
        // A run asked for more epochs than configured (a resumed run) is not cut.
        assert_eq!(axis_epochs([span(5, 4, true)]), 5);
    }

    #[test]
    fn overlaid_runs_take_the_most_epochs_run() {
        assert_eq!(
            axis_epochs([span(16, 40, false), span(12, 12, false), span(2, 5, false)]),
            16
        );
        assert_eq!(axis_epochs([span(16, 40, false), span(1, 20, true)]), 20);
    }

    #[test]
    fn no_epochs_still_give_an_axis() {
        assert_eq!(axis_epochs([]), 1);
        assert_eq!(axis_epochs([span(0, 0, false)]), 1);
    }

    #[test]
    fn the_x_range_leaves_room_right_of_the_last_epoch() {
        assert_eq!(x_range(0.0, 4), (0.0, 4.3));
        let (lo, hi) = x_range(0.8, 1);
        assert!(lo < 1.0 && hi > 1.0);
    }

    #[test]
    fn few_epochs_get_a_tick_each() {
        assert_eq!(epoch_ticks(4, 12), vec![1, 2, 3, 4]);
        assert_eq!(epoch_ticks(1, 12), vec![1]);
        assert_eq!(epoch_ticks(0, 12), vec![1]);
    }

    #[test]
    fn the_last_tick_is_the_last_epoch_and_ticks_do_not_crowd() {
        for epochs in 1..=400 {
            for max in [2, 6, 12] {
                let ticks = epoch_ticks(epochs, max);
                assert_eq!(ticks.first(), Some(&1), "{epochs} {max}");
                assert_eq!(ticks.last(), Some(&epochs), "{epochs} {max}: {ticks:?}");
                assert!(ticks.len() <= max.max(2), "{epochs} {max}: {ticks:?}");
                assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{ticks:?}");
            }
        }
        assert_eq!(epoch_ticks(16, 12), vec![1, 2, 4, 6, 8, 10, 12, 14, 16]);
        assert_eq!(epoch_ticks(40, 12), vec![1, 5, 10, 15, 20, 25, 30, 35, 40]);
        // 47 is the last epoch: 45 would crowd it.
        assert_eq!(
            epoch_ticks(47, 12),
            vec![1, 5, 10, 15, 20, 25, 30, 35, 40, 47]
        );
        assert_eq!(epoch_ticks(120, 6), vec![1, 25, 50, 75, 100, 120]);
    }
}
