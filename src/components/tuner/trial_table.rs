//! The live table of trials: values, bracket and round, epochs (a promoted trial shows the
//! epoch it continues from and its parent), score and status, sortable by column; the best
//! trial is highlighted.

use std::cmp::Ordering;

use lab_spec::Objective;
use lab_spec::tuning::{Trial, TrialStatus};
use leptos::prelude::*;

use crate::trainer::SearchView;

/// The column the table is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortBy {
    Id,
    Bracket,
    Epochs,
    Score,
    Status,
}

/// Orders scores from worst to best for `objective`; a missing (or NaN) score is the worst.
fn score_order(objective: &Objective, a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a.filter(|v| !v.is_nan()), b.filter(|v| !v.is_nan())) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) if objective.better(a, b) => Ordering::Greater,
        (Some(a), Some(b)) if objective.better(b, a) => Ordering::Less,
        _ => Ordering::Equal,
    }
}

/// Sorts the trials by a column, ascending (the score: worst first) or descending.
fn sort_trials(trials: &mut [Trial], by: SortBy, ascending: bool, objective: &Objective) {
    trials.sort_by(|a, b| {
        let o = match by {
            SortBy::Id => a.id.cmp(&b.id),
            SortBy::Bracket => (a.bracket, a.round).cmp(&(b.bracket, b.round)),
            SortBy::Epochs => a.epochs.cmp(&b.epochs),
            SortBy::Status => a.status.name().cmp(b.status.name()),
            SortBy::Score => score_order(objective, a.score, b.score),
        };
        if ascending { o } else { o.reverse() }
    });
}

/// The next sort after a click on `clicked`: the same column flips, another one starts
/// ascending for the id and descending otherwise.
fn next_sort((by, ascending): (SortBy, bool), clicked: SortBy) -> (SortBy, bool) {
    if by == clicked {
        (by, !ascending)
    } else {
        (clicked, clicked == SortBy::Id)
    }
}

/// The score cell: the trial's score, or the running trial's latest value.
fn score_text(t: &Trial, objective: &Objective) -> String {
    let live = t.history.values(objective.monitor).last().copied();
    match (t.score, t.status) {
        (Some(v), _) => format!("{v:.4}"),
        (None, TrialStatus::Running) => live.map_or("…".into(), |v| format!("{v:.4} …")),
        _ => "–".into(),
    }
}

#[component]
pub(super) fn TrialTable(#[prop(into)] search: Signal<Option<SearchView>>) -> impl IntoView {
    let sort = RwSignal::new((SortBy::Id, true));
    let header = move |label: &'static str, by: SortBy| {
        view! {
            <th class="sortable" data-testid=format!("sort-{label}") on:click=move |_| sort.update(|s| *s = next_sort(*s, by))>
                {label}{move || { let (b, asc) = sort.get(); if b == by { if asc { " ▲" } else { " ▼" } } else { "" } }}
            </th>
        }
    };
    let rows = move || {
        let s = search.get()?;
        let best = s.best().map(|t| t.id.clone());
        let objective = s.config.objective();
        let mut trials = s.trials.clone();
        let (by, asc) = sort.get();
        sort_trials(&mut trials, by, asc, &objective);
        Some(
            trials
                .into_iter()
                .map(|t| {
                    let is_best = best.as_ref() == Some(&t.id);
                    let score = score_text(&t, &objective);
                    view! {
                        <tr data-testid="trial-row" data-status=t.status.name() class:best=is_best>
                            <td>{t.id.clone()}</td>
                            <td class="values">{t.describe(&s.config)}</td>
                            <td>{format!("{} / {}", t.bracket, t.round)}</td>
                            <td>{if t.initial_epoch > 0 { format!("{} → {}", t.initial_epoch, t.epochs) } else { t.epochs.to_string() }}
                                {t.parent.clone().map(|p| format!(" (from {p})"))}</td>
                            <td>{score}</td>
                            <td>{t.status.name()}</td>
                        </tr>
                    }
                })
                .collect_view(),
        )
    };
    // Each trial's values stay on one line; the table scrolls in its own box.
    view! {
        <div class="table-scroll" data-testid="trial-table-box">
            <table class="trials" data-testid="trial-table">
                <thead><tr>
                    {header("id", SortBy::Id)}<th>"values"</th>{header("bracket", SortBy::Bracket)}
                    {header("epochs", SortBy::Epochs)}{header("score", SortBy::Score)}{header("status", SortBy::Status)}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::{Mode, Monitor};

    fn trial(id: &str, score: Option<f64>, status: TrialStatus) -> Trial {
        Trial {
            score,
            status,
            ..Trial::new(id, Default::default(), 2)
        }
    }

    fn ids(trials: &[Trial]) -> Vec<&str> {
        trials.iter().map(|t| t.id.as_str()).collect()
    }

    #[test]
    fn scores_sort_worst_first_for_the_objective_missing_last() {
        let mut trials = vec![
            trial("0000", Some(0.8), TrialStatus::Completed),
            trial("0001", None, TrialStatus::Running),
            trial("0002", Some(0.9), TrialStatus::Completed),
            trial("0003", Some(0.7), TrialStatus::Completed),
        ];
        let acc = Objective::new(Monitor::ValAccuracy, Mode::Auto);
        sort_trials(&mut trials, SortBy::Score, true, &acc);
        assert_eq!(ids(&trials), ["0001", "0003", "0000", "0002"]);
        sort_trials(&mut trials, SortBy::Score, false, &acc);
        assert_eq!(ids(&trials), ["0002", "0000", "0003", "0001"]);
        let loss = Objective::new(Monitor::ValLoss, Mode::Auto);
        sort_trials(&mut trials, SortBy::Score, false, &loss);
        assert_eq!(ids(&trials), ["0003", "0000", "0002", "0001"]);
        sort_trials(&mut trials, SortBy::Id, true, &loss);
        assert_eq!(ids(&trials), ["0000", "0001", "0002", "0003"]);
        sort_trials(&mut trials, SortBy::Status, true, &loss);
        assert_eq!(ids(&trials), ["0000", "0002", "0003", "0001"]);
    }

    #[test]
    fn a_nan_score_sorts_as_missing() {
        let acc = Objective::new(Monitor::ValAccuracy, Mode::Auto);
        assert_eq!(score_order(&acc, Some(f64::NAN), None), Ordering::Equal);
        assert_eq!(score_order(&acc, Some(f64::NAN), Some(0.1)), Ordering::Less);
        assert_eq!(score_order(&acc, Some(0.5), Some(0.5)), Ordering::Equal);
    }

    #[test]
    fn clicking_a_column_flips_it_or_starts_a_new_one() {
        assert_eq!(
            next_sort((SortBy::Id, true), SortBy::Id),
            (SortBy::Id, false)
        );
        assert_eq!(
            next_sort((SortBy::Id, true), SortBy::Score),
            (SortBy::Score, false)
        );
        assert_eq!(
            next_sort((SortBy::Score, false), SortBy::Id),
            (SortBy::Id, true)
        );
    }

    #[test]
    fn the_score_cell_shows_the_running_value() {
        let acc = Objective::new(Monitor::ValAccuracy, Mode::Auto);
        let mut t = trial("0000", None, TrialStatus::Running);
        assert_eq!(score_text(&t, &acc), "…");
        t.history.val_accuracy.push(0.81234);
        assert_eq!(score_text(&t, &acc), "0.8123 …");
        t.status = TrialStatus::Stopped;
        assert_eq!(score_text(&t, &acc), "–");
        t.score = Some(0.9);
        assert_eq!(score_text(&t, &acc), "0.9000");
    }
}
