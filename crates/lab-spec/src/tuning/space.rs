//! Keras Tuner's hyperparameter kinds (`int`, `float`, `choice`, `boolean`, `fixed`): their
//! values, grids, extremes and validation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::summary::group_u128;

/// How a numeric hyperparameter is sampled between its bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Sampling {
    #[default]
    Linear,
    Log,
}

/// One sampled value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HpValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl HpValue {
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            HpValue::Int(v) => Some(v as f64),
            HpValue::Float(v) => Some(v),
            _ => None,
        }
    }

    /// A stable text form, used for duplicate detection and tables.
    pub fn key(&self) -> String {
        match self {
            HpValue::Bool(b) => b.to_string(),
            HpValue::Int(v) => v.to_string(),
            HpValue::Float(v) => format!("{v:e}"),
            HpValue::Text(s) => format!("{s:?}"),
        }
    }
}

impl std::fmt::Display for HpValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HpValue::Bool(b) => write!(f, "{b}"),
            HpValue::Int(v) => write!(f, "{v}"),
            HpValue::Float(v) if *v != 0.0 && (v.abs() < 1e-2 || v.abs() >= 1e4) => {
                write!(f, "{v:.2e}")
            }
            HpValue::Float(v) => write!(f, "{}", (v * 1e4).round() / 1e4),
            HpValue::Text(s) => write!(f, "{s}"),
        }
    }
}

/// The values of one trial, by name.
pub type Values = BTreeMap<String, HpValue>;

fn one_i() -> i64 {
    1
}

/// The most values a discrete hyperparameter may have (an `int` range, a `float` grid).
pub const MAX_GRID_VALUES: usize = 10_000;

/// How many values `min_value..=max_value` by `step` holds, without overflow (0 when inverted).
fn int_count(min_value: i64, max_value: i64, step: i64) -> u128 {
    if min_value > max_value {
        return 0;
    }
    let span = (i128::from(max_value) - i128::from(min_value)) as u128;
    span / step.max(1) as u128 + 1
}

/// Keras Tuner's hyperparameter kinds. JSON: `{"type": "float", "name": "lr", "min_value": 1e-4,
/// "max_value": 1e-2, "sampling": "log"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum HyperParameter {
    /// `hp.Int(name, min_value, max_value, step)`: both bounds included.
    Int {
        name: String,
        min_value: i64,
        max_value: i64,
        #[serde(default = "one_i")]
        step: i64,
    },
    /// `hp.Float(name, min_value, max_value, step, sampling)`. With a step the values lie on a
    /// grid (`min + k·step`, or `min·step^k` with log sampling); without one they are continuous.
    Float {
        name: String,
        min_value: f64,
        max_value: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<f64>,
        #[serde(default)]
        sampling: Sampling,
    },
    /// `hp.Choice(name, values)`.
    Choice { name: String, values: Vec<HpValue> },
    /// `hp.Boolean(name)`.
    Boolean { name: String },
    /// `hp.Fixed(name, value)`.
    Fixed { name: String, value: HpValue },
}

/// Rounds away float noise such as `0.30000000000000004`.
fn tidy(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 12 - v.abs().log10().ceil() as i32;
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

impl HyperParameter {
    pub fn name(&self) -> &str {
        match self {
            HyperParameter::Int { name, .. }
            | HyperParameter::Float { name, .. }
            | HyperParameter::Choice { name, .. }
            | HyperParameter::Boolean { name }
            | HyperParameter::Fixed { name, .. } => name,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            HyperParameter::Int { .. } => "int",
            HyperParameter::Float { .. } => "float",
            HyperParameter::Choice { .. } => "choice",
            HyperParameter::Boolean { .. } => "boolean",
            HyperParameter::Fixed { .. } => "fixed",
        }
    }

    /// Every value of a discrete hyperparameter, in order; `None` for a continuous float.
    pub fn grid(&self) -> Option<Vec<HpValue>> {
        match self {
            HyperParameter::Int {
                min_value,
                max_value,
                step,
                ..
            } => {
                // Checked steps: a range reaching i64::MAX ends instead of overflowing.
                let mut out = Vec::new();
                let mut next = Some(*min_value);
                while let Some(v) = next.filter(|v| v <= max_value && out.len() < MAX_GRID_VALUES) {
                    out.push(HpValue::Int(v));
                    next = v.checked_add((*step).max(1));
                }
                Some(out)
            }
            HyperParameter::Float {
                min_value,
                max_value,
                step: Some(step),
                sampling,
                ..
            } => {
                let limit = max_value + step.abs() * 1e-9 + max_value.abs() * 1e-12;
                let mut out = Vec::new();
                for k in 0..MAX_GRID_VALUES as i32 {
                    let v = match sampling {
                        Sampling::Linear => tidy(min_value + k as f64 * step),
                        Sampling::Log => tidy(min_value * step.powi(k)),
                    };
                    if v > limit {
                        break;
                    }
                    out.push(HpValue::Float(v.min(*max_value)));
                }
                Some(out)
            }
            HyperParameter::Float { step: None, .. } => None,
            HyperParameter::Choice { values, .. } => Some(values.clone()),
            HyperParameter::Boolean { .. } => Some(vec![HpValue::Bool(false), HpValue::Bool(true)]),
            HyperParameter::Fixed { value, .. } => Some(vec![value.clone()]),
        }
    }

    /// The value for a uniform draw `u` in [0, 1) — Keras Tuner's `prob_to_value`.
    pub fn value_at(&self, u: f64) -> HpValue {
        let u = u.clamp(0.0, 1.0 - 1e-12);
        match self {
            HyperParameter::Float {
                min_value,
                max_value,
                step: None,
                sampling,
                ..
            } => HpValue::Float(match sampling {
                Sampling::Linear => min_value + u * (max_value - min_value),
                Sampling::Log => (min_value.ln() + u * (max_value.ln() - min_value.ln())).exp(),
            }),
            _ => {
                let grid = self.grid().unwrap_or_default();
                let i = ((u * grid.len() as f64) as usize).min(grid.len().saturating_sub(1));
                grid[i].clone()
            }
        }
    }

    /// The smallest and largest value (for checking that every configuration can be built).
    pub fn extremes(&self) -> Vec<HpValue> {
        match self {
            HyperParameter::Int {
                min_value,
                max_value,
                step,
                ..
            } => {
                let count = int_count(*min_value, *max_value, *step);
                if count == 0 {
                    return Vec::new();
                }
                // min + (count − 1)·step ≤ max_value, so it fits an i64.
                let last =
                    i128::from(*min_value) + (count as i128 - 1) * i128::from((*step).max(1));
                vec![
                    HpValue::Int(*min_value),
                    HpValue::Int(i64::try_from(last).unwrap_or(*max_value)),
                ]
            }
            HyperParameter::Float {
                min_value,
                max_value,
                step: None,
                ..
            } => vec![HpValue::Float(*min_value), HpValue::Float(*max_value)],
            _ => {
                let grid = self.grid().unwrap_or_default();
                let mut out: Vec<HpValue> = grid.first().into_iter().cloned().collect();
                out.extend(grid.last().cloned());
                out
            }
        }
    }

    /// How many distinct values it has; `None` when continuous.
    pub fn cardinality(&self) -> Option<usize> {
        self.grid().map(|g| g.len())
    }

    /// Checks the bounds, the step and that a discrete one has at most [`MAX_GRID_VALUES`]
    /// values; `field` names it in the error.
    pub fn validate(&self, field: &str) -> Result<(), ConfigError> {
        let err = |m: String| Err(ConfigError::new(field, m));
        if self.name().trim().is_empty() {
            return err("a hyperparameter needs a name".into());
        }
        match self {
            HyperParameter::Int {
                min_value,
                max_value,
                step,
                ..
            } => {
                if min_value > max_value {
                    return err(format!(
                        "the range is inverted: min_value {min_value} > max_value {max_value}"
                    ));
                }
                if *step < 1 {
                    return err(format!("step must be ≥ 1 (got {step})"));
                }
                let count = int_count(*min_value, *max_value, *step);
                if count > MAX_GRID_VALUES as u128 {
                    return err(too_many_values(&group_u128(count)));
                }
            }
            HyperParameter::Float {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => {
                if !(min_value.is_finite() && max_value.is_finite()) {
                    return err("min_value and max_value must be numbers".into());
                }
                if min_value > max_value {
                    return err(format!(
                        "the range is inverted: min_value {min_value} > max_value {max_value}"
                    ));
                }
                if min_value == max_value {
                    return err(format!(
                        "the range [{min_value}, {max_value}] is empty (use a fixed value)"
                    ));
                }
                if *sampling == Sampling::Log && *min_value <= 0.0 {
                    return err(format!(
                        "log sampling needs min_value > 0 (got {min_value})"
                    ));
                }
                if let Some(step) = step {
                    let ok = match sampling {
                        Sampling::Linear => step.is_finite() && *step > 0.0,
                        Sampling::Log => step.is_finite() && *step > 1.0,
                    };
                    if !ok {
                        return err(format!(
                            "step must be > {} (got {step})",
                            if *sampling == Sampling::Log { 1 } else { 0 }
                        ));
                    }
                    let steps = match sampling {
                        Sampling::Linear => (max_value - min_value) / step,
                        Sampling::Log => (max_value / min_value).ln() / step.ln(),
                    };
                    // The grid's own tolerance: 0.5 / 1e-9 is 499,999,999.99999994 steps.
                    let count = (steps + 1e-6).floor() + 1.0;
                    if !count.is_finite() || count > MAX_GRID_VALUES as f64 {
                        return err(too_many_values(&if count < 1e30 {
                            group_u128(count as u128)
                        } else {
                            format!("{count:e}")
                        }));
                    }
                }
            }
            HyperParameter::Choice { values, .. } => {
                if values.is_empty() {
                    return err("a choice needs at least one value".into());
                }
            }
            HyperParameter::Boolean { .. } | HyperParameter::Fixed { .. } => {}
        }
        Ok(())
    }
}

/// The message for a grid of `count` values, past [`MAX_GRID_VALUES`].
fn too_many_values(count: &str) -> String {
    format!(
        "the range has {count} values; the lab allows at most {} (raise step or narrow the range)",
        group_u128(MAX_GRID_VALUES as u128)
    )
}
