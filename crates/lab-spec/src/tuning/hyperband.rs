//! Hyperband's schedule as Keras Tuner 1.4.8 computes it (`_get_num_brackets`, `_get_size`,
//! `_get_epochs`, with the same floating-point steps), and the plan the page shows.

use serde::{Deserialize, Serialize};

/// One round of a bracket: how many trials, trained up to which epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundPlan {
    pub round: usize,
    pub trials: usize,
    pub epochs: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BracketPlan {
    pub bracket: usize,
    pub rounds: Vec<RoundPlan>,
}

/// The whole schedule, brackets in the order they run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub brackets: Vec<BracketPlan>,
    /// Epochs actually trained: a promoted trial only adds its new epochs.
    pub total_epochs: usize,
}

impl Plan {
    pub fn trials(&self) -> usize {
        self.brackets
            .iter()
            .flat_map(|b| &b.rounds)
            .fold(0, |sum, r| sum.saturating_add(r.trials))
    }
}

/// Keras Tuner's Hyperband arithmetic (`keras_tuner/src/tuners/hyperband.py`), with the same
/// floating-point steps so that the sizes match it exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HyperbandMath {
    pub max_epochs: usize,
    pub factor: usize,
}

impl HyperbandMath {
    /// `_get_num_brackets`.
    pub fn num_brackets(&self) -> usize {
        // Keras Tuner refuses factor < 2; with it this loop would never end.
        if self.factor < 2 || self.max_epochs == 0 {
            return 0;
        }
        let mut epochs = self.max_epochs as f64;
        let mut brackets = 0;
        while epochs >= 1.0 {
            epochs /= self.factor as f64;
            brackets += 1;
        }
        brackets
    }

    /// `_get_num_rounds`.
    pub fn num_rounds(&self, bracket: usize) -> usize {
        bracket + 1
    }

    /// `_get_size`: trials in `round` of `bracket`.
    pub fn size(&self, bracket: usize, round: usize) -> usize {
        let log = (self.max_epochs as f64).ln() / (self.factor as f64).ln();
        let bracket0_end_size = (1.0 + log).ceil();
        let bracket_end_size = bracket0_end_size / (bracket + 1) as f64;
        (bracket_end_size * (self.factor as f64).powi((bracket - round) as i32)).ceil() as usize
    }

    /// `_get_epochs`: the epoch a trial of `round` of `bracket` trains up to.
    pub fn epochs(&self, bracket: usize, round: usize) -> usize {
        (self.max_epochs as f64 / (self.factor as f64).powi((bracket - round) as i32)).ceil()
            as usize
    }
}

/// The schedule of `kt.Hyperband(max_epochs, factor, hyperband_iterations)`: the most
/// aggressive bracket first.
pub fn hyperband_plan(max_epochs: usize, factor: usize, iterations: usize) -> Plan {
    let hb = HyperbandMath { max_epochs, factor };
    let mut brackets = Vec::new();
    let mut total = 0;
    for _ in 0..iterations {
        for bracket in (0..hb.num_brackets()).rev() {
            let rounds: Vec<RoundPlan> = (0..hb.num_rounds(bracket))
                .map(|round| RoundPlan {
                    round,
                    trials: hb.size(bracket, round),
                    epochs: hb.epochs(bracket, round),
                })
                .collect();
            let mut before = 0;
            for r in &rounds {
                total = r
                    .trials
                    .saturating_mul(r.epochs.saturating_sub(before))
                    .saturating_add(total);
                before = r.epochs;
            }
            brackets.push(BracketPlan { bracket, rounds });
        }
    }
    Plan {
        brackets,
        total_epochs: total,
    }
}
