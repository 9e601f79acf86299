//! Step 8: hyperparameter search with Keras Tuner's semantics. The [`Oracle`] decides which
//! trial runs next (Hyperband exactly as `keras_tuner`'s `HyperbandOracle` does when trials run
//! one at a time, or RandomSearch); [`search`] trains each trial with the engine's loop, a
//! promoted trial continuing from its parent's best-epoch weights.

use std::collections::BTreeSet;

use lab_spec::tuning::{Algorithm, HyperbandMath, Trial, TrialStatus, TunerConfig, Values};
use lab_spec::{ConfigError, History};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod search;

pub use search::{SearchOutcome, search};

/// Keras Tuner's `_max_collisions`: how many already-tried configurations in a row a random
/// draw may hit before the space counts as exhausted.
pub const MAX_COLLISIONS: usize = 20;

/// Why the oracle has no further trial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// The schedule (or `max_trials`) is complete.
    Completed,
    /// Every configuration the sampler could find was tried already.
    Exhausted,
}

impl Done {
    pub fn name(&self) -> &'static str {
        match self {
            Done::Completed => "completed",
            Done::Exhausted => "exhausted",
        }
    }
}

struct Entry {
    past: Option<usize>,
    id: usize,
}

struct Bracket {
    num: usize,
    rounds: Vec<Vec<Entry>>,
}

struct HyperbandState {
    math: HyperbandMath,
    iterations: usize,
    current_iteration: usize,
    current_bracket: usize,
    brackets: Vec<Bracket>,
}

impl HyperbandState {
    fn start_bracket(&mut self) {
        let num = self.current_bracket;
        self.brackets.push(Bracket {
            num,
            rounds: (0..self.math.num_rounds(num)).map(|_| Vec::new()).collect(),
        });
    }

    fn increment_bracket(&mut self) {
        if self.current_bracket == 0 {
            self.current_bracket = self.math.num_brackets() - 1;
            self.current_iteration += 1;
        } else {
            self.current_bracket -= 1;
        }
    }

    /// A bracket is complete when its last round has all its trials.
    fn is_complete(&self, b: &Bracket) -> bool {
        let last = b.rounds.len() - 1;
        b.rounds[last].len() == self.math.size(b.num, last)
    }

    fn remove_completed(&mut self) {
        let brackets = std::mem::take(&mut self.brackets);
        self.brackets = brackets
            .into_iter()
            .filter(|b| !self.is_complete(b))
            .collect();
    }
}

enum Algo {
    Hyperband(HyperbandState),
    Random { max_trials: usize, epochs: usize },
}

/// Decides the trials of a search, one at a time.
pub struct Oracle {
    config: TunerConfig,
    rng: ChaCha8Rng,
    tried: BTreeSet<String>,
    trials: Vec<Trial>,
    algo: Algo,
}

impl Oracle {
    pub fn new(config: &TunerConfig) -> Result<Self, ConfigError> {
        config.validate(None)?;
        let algo = match config.algorithm {
            Algorithm::Hyperband {
                max_epochs,
                factor,
                hyperband_iterations,
            } => {
                let math = HyperbandMath { max_epochs, factor };
                let mut state = HyperbandState {
                    math,
                    iterations: hyperband_iterations,
                    current_iteration: 0,
                    current_bracket: math.num_brackets() - 1,
                    brackets: Vec::new(),
                };
                state.start_bracket();
                Algo::Hyperband(state)
            }
            Algorithm::RandomSearch { max_trials, epochs } => Algo::Random { max_trials, epochs },
        };
        Ok(Self {
            config: config.clone(),
            rng: ChaCha8Rng::seed_from_u64(config.seed ^ 0x4b45_5241_5354_554e),
            tried: BTreeSet::new(),
            trials: Vec::new(),
            algo,
        })
    }

    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// A fresh configuration not tried before: every hyperparameter drawn in the list's order,
    /// inactive ones (`units_2` with `n_layers` = 2) dropped.
    fn random_values(&mut self) -> Option<Values> {
        let mut collisions = 0;
        loop {
            let mut values = Values::new();
            for hp in &self.config.hyperparameters {
                let u: f64 = self.rng.random();
                values.insert(hp.name().to_string(), hp.value_at(u));
            }
            let names: Vec<String> = values.keys().cloned().collect();
            for name in names {
                if !self.config.is_active(&name, &values) {
                    values.remove(&name);
                }
            }
            let key = values
                .iter()
                .map(|(k, v)| format!("{k}={}", v.key()))
                .collect::<Vec<_>>()
                .join(",");
            if self.tried.insert(key) {
                return Some(values);
            }
            collisions += 1;
            if collisions > MAX_COLLISIONS {
                return None;
            }
        }
    }

    fn push(
        &mut self,
        values: Values,
        bracket: usize,
        round: usize,
        initial_epoch: usize,
        epochs: usize,
        parent: Option<usize>,
    ) -> usize {
        let id = self.trials.len();
        let parent = parent.map(|p| self.trials[p].id.clone());
        self.trials.push(Trial {
            bracket,
            round,
            initial_epoch,
            parent,
            ..Trial::new(format!("{id:04}"), values, epochs)
        });
        id
    }

    /// The next trial to run (its index into [`Oracle::trials`]), or why there is none.
    /// Call it only when the previous trial has ended.
    pub fn next_trial(&mut self) -> Result<usize, Done> {
        if let Algo::Random { max_trials, epochs } = self.algo {
            if self.trials.len() >= max_trials {
                return Err(Done::Completed);
            }
            let values = self.random_values().ok_or(Done::Exhausted)?;
            return Ok(self.push(values, 0, 0, 0, epochs, None));
        }
        self.hb_mut().remove_completed();
        let math = self.hb().math;
        let objective = self.config.objective();
        for b in 0..self.hb().brackets.len() {
            let num = self.hb().brackets[b].num;
            if self.hb().brackets[b].rounds[0].len() < math.size(num, 0) {
                return self.random_trial(b);
            }
            for r in 1..self.hb().brackets[b].rounds.len() {
                let bracket = &self.hb().brackets[b];
                let size = math.size(num, r);
                let past_size = math.size(num, r - 1);
                let selected: BTreeSet<usize> =
                    bracket.rounds[r].iter().filter_map(|e| e.past).collect();
                let candidates: Vec<usize> = bracket.rounds[r - 1]
                    .iter()
                    .map(|e| e.id)
                    .filter(|id| !selected.contains(id))
                    .filter(|&id| {
                        self.trials[id].status == TrialStatus::Completed
                            && self.trials[id].score.is_some()
                    })
                    .collect();
                if candidates.len() as i64 > past_size as i64 - size as i64 {
                    // Python's stable `sorted(..., reverse=...)`: the first of equal scores wins.
                    let mut best = candidates[0];
                    for &c in &candidates[1..] {
                        let (s, bs) = (self.trials[c].score, self.trials[best].score);
                        if let (Some(s), Some(bs)) = (s, bs)
                            && objective.better(s, bs)
                        {
                            best = c;
                        }
                    }
                    let values = self.trials[best].values.clone();
                    let (initial, epochs) = (math.epochs(num, r - 1), math.epochs(num, r));
                    let id = self.push(values, num, r, initial, epochs, Some(best));
                    self.hb_mut().brackets[b].rounds[r].push(Entry {
                        past: Some(best),
                        id,
                    });
                    return Ok(id);
                }
            }
        }
        let hb = self.hb_mut();
        if hb.current_bracket == 0 && hb.current_iteration + 1 == hb.iterations {
            return Err(Done::Completed);
        }
        hb.increment_bracket();
        hb.start_bracket();
        let last = hb.brackets.len() - 1;
        self.random_trial(last)
    }

    fn hb(&self) -> &HyperbandState {
        match &self.algo {
            Algo::Hyperband(hb) => hb,
            Algo::Random { .. } => unreachable!("only called for Hyperband"),
        }
    }

    fn hb_mut(&mut self) -> &mut HyperbandState {
        match &mut self.algo {
            Algo::Hyperband(hb) => hb,
            Algo::Random { .. } => unreachable!("only called for Hyperband"),
        }
    }

    fn random_trial(&mut self, b: usize) -> Result<usize, Done> {
        let values = self.random_values().ok_or(Done::Exhausted)?;
        let num = self.hb().brackets[b].num;
        let epochs = self.hb().math.epochs(num, 0);
        let id = self.push(values, num, 0, 0, epochs, None);
        self.hb_mut().brackets[b].rounds[0].push(Entry { past: None, id });
        Ok(id)
    }

    /// Records how trial `index` ended. The score is the best objective value of its epochs.
    pub fn end_trial(&mut self, index: usize, status: TrialStatus, history: History, seconds: f64) {
        let first_epoch = self.trials[index].initial_epoch + 1;
        let best = self
            .config
            .objective()
            .best(history.values(self.config.objective).iter().copied())
            .map(|(i, v)| (first_epoch + i, v));
        let trial = &mut self.trials[index];
        trial.status = status;
        trial.history = history;
        trial.seconds = seconds;
        if status == TrialStatus::Completed {
            trial.score = best.map(|(_, v)| v);
            trial.best_epoch = best.map(|(e, _)| e);
        }
    }

    /// Scores an arbitrary trial result (for tests): marks it completed with `score`.
    pub fn end_trial_with_score(&mut self, index: usize, score: f64) {
        let trial = &mut self.trials[index];
        trial.status = TrialStatus::Completed;
        trial.score = Some(score);
        trial.best_epoch = Some(trial.epochs);
    }

    /// The best completed trial (the first one on ties).
    pub fn best(&self) -> Option<&Trial> {
        self.config.best_trial(&self.trials)
    }

    /// Trials whose weights a later promotion may still need (those of unfinished brackets).
    pub fn may_be_promoted(&self) -> BTreeSet<usize> {
        match &self.algo {
            Algo::Hyperband(hb) => hb
                .brackets
                .iter()
                .filter(|b| !hb.is_complete(b))
                .flat_map(|b| b.rounds.iter().flatten().map(|e| e.id))
                .collect(),
            Algo::Random { .. } => BTreeSet::new(),
        }
    }
}
