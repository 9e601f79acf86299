//! Keras' optimizers (SGD with momentum and Nesterov, Adam, RMSprop) with Keras' defaults, and
//! their validation.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::limits::MAX_LEARNING_RATE;

/// Optimizers with Keras' defaults. JSON: `{"type": "adam", "learning_rate": 0.001}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum OptimizerConfig {
    Sgd {
        #[serde(default = "sgd_lr")]
        learning_rate: f64,
        #[serde(default)]
        momentum: f64,
        #[serde(default)]
        nesterov: bool,
    },
    Adam {
        #[serde(default = "adam_lr")]
        learning_rate: f64,
        #[serde(default = "beta_1")]
        beta_1: f64,
        #[serde(default = "beta_2")]
        beta_2: f64,
        #[serde(default = "keras_epsilon")]
        epsilon: f64,
    },
    #[serde(rename = "rmsprop")]
    RmsProp {
        #[serde(default = "adam_lr")]
        learning_rate: f64,
        #[serde(default = "rho")]
        rho: f64,
        #[serde(default)]
        momentum: f64,
        #[serde(default = "keras_epsilon")]
        epsilon: f64,
        #[serde(default)]
        centered: bool,
    },
}

fn sgd_lr() -> f64 {
    0.01
}
fn adam_lr() -> f64 {
    0.001
}
fn beta_1() -> f64 {
    0.9
}
fn beta_2() -> f64 {
    0.999
}
fn rho() -> f64 {
    0.9
}
fn keras_epsilon() -> f64 {
    1e-7
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self::adam(adam_lr())
    }
}

impl OptimizerConfig {
    pub fn adam(learning_rate: f64) -> Self {
        OptimizerConfig::Adam {
            learning_rate,
            beta_1: beta_1(),
            beta_2: beta_2(),
            epsilon: keras_epsilon(),
        }
    }

    pub fn learning_rate(&self) -> f64 {
        match *self {
            OptimizerConfig::Sgd { learning_rate, .. }
            | OptimizerConfig::Adam { learning_rate, .. }
            | OptimizerConfig::RmsProp { learning_rate, .. } => learning_rate,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            OptimizerConfig::Sgd { .. } => "sgd",
            OptimizerConfig::Adam { .. } => "adam",
            OptimizerConfig::RmsProp { .. } => "rmsprop",
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let lr = self.learning_rate();
        if !(lr.is_finite() && lr > 0.0 && lr <= MAX_LEARNING_RATE) {
            return Err(ConfigError::new(
                "optimizer.learning_rate",
                format!("must be a number in (0, {MAX_LEARNING_RATE}] (got {lr:?})"),
            ));
        }
        let in_unit = |field: &str, v: f64| {
            if v.is_finite() && (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(ConfigError::new(
                    format!("optimizer.{field}"),
                    format!("must be in [0, 1) (got {v})"),
                ))
            }
        };
        let positive = |field: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(ConfigError::new(
                    format!("optimizer.{field}"),
                    format!("must be a number > 0 (got {v})"),
                ))
            }
        };
        match *self {
            OptimizerConfig::Sgd { momentum, .. } => in_unit("momentum", momentum),
            OptimizerConfig::Adam {
                beta_1,
                beta_2,
                epsilon,
                ..
            } => {
                in_unit("beta_1", beta_1)?;
                in_unit("beta_2", beta_2)?;
                positive("epsilon", epsilon)
            }
            OptimizerConfig::RmsProp {
                rho,
                momentum,
                epsilon,
                ..
            } => {
                in_unit("rho", rho)?;
                in_unit("momentum", momentum)?;
                positive("epsilon", epsilon)
            }
        }
    }
}
