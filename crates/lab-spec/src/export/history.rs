//! A run's history to take away, with Keras' keys.
//!
//! - CSV as Keras' `CSVLogger` writes it: a header `epoch` then the keys sorted
//!   (`accuracy,learning_rate,loss,val_accuracy,val_loss`), one row per epoch, the epoch
//!   counted from 0 (Keras passes `on_epoch_end` a 0-based epoch; its progress bar says
//!   "Epoch 1/…" for the same row), numbers as Python prints them, `nan` / `inf` / `-inf` for a
//!   diverged value, `NA` where an epoch has no value (no validation data), `\r\n` line ends
//!   (Python's csv module). pandas' `read_csv` reads `nan`, `inf` and `NA` back as numbers.
//! - JSON as Keras' `history.history` (one list per key), with `history.epoch` under `"epoch"`.
//!   JSON has no NaN: a non-finite value is the string `"NaN"`, `"Infinity"` or `"-Infinity"`,
//!   as the lab stores it ([`crate::finite`]); JavaScript's `Number("NaN")` and Python's
//!   `float("NaN")` read them back. `null` means no value (the validation keys are left out
//!   altogether when no epoch has them).
//!
//! The learning rate is Keras 3's `learning_rate` (Keras 2 called it `lr`): the rate used
//! during the epoch. Keras logs it only with ReduceLROnPlateau; here it is always there.

use crate::events::EpochLogs;
use crate::export::python::repr;

/// The exported keys after `epoch`, in CSVLogger's (sorted) order.
pub const KEYS: [&str; 5] = [
    "accuracy",
    "learning_rate",
    "loss",
    "val_accuracy",
    "val_loss",
];

/// The value of `KEYS[k]` in `e`.
fn value(e: &EpochLogs, k: usize) -> Option<f64> {
    match k {
        0 => Some(e.accuracy),
        1 => Some(e.lr),
        2 => Some(e.loss),
        3 => e.val_accuracy,
        _ => e.val_loss,
    }
}

/// The history as CSVLogger's file.
pub fn history_csv(epochs: &[EpochLogs]) -> String {
    let mut out = format!("epoch,{}\r\n", KEYS.join(","));
    for e in epochs {
        out.push_str(&e.epoch.saturating_sub(1).to_string());
        for k in 0..KEYS.len() {
            out.push(',');
            out.push_str(&value(e, k).map_or("NA".into(), repr));
        }
        out.push_str("\r\n");
    }
    out
}

/// One JSON value: a number as Python prints it (valid JSON), a non-finite one by its name,
/// a missing one as `null`.
fn json_number(v: Option<f64>) -> String {
    match v {
        None => "null".into(),
        Some(v) => match crate::finite::name(v) {
            Some(name) => format!("\"{name}\""),
            None => repr(v),
        },
    }
}

/// The history as `history.history` plus `"epoch"`, pretty-printed.
pub fn history_json(epochs: &[EpochLogs]) -> String {
    let epoch_list: Vec<String> = epochs
        .iter()
        .map(|e| e.epoch.saturating_sub(1).to_string())
        .collect();
    let mut fields = vec![format!("  \"epoch\": [{}]", epoch_list.join(", "))];
    for (k, key) in KEYS.iter().enumerate() {
        if key.starts_with("val_") && epochs.iter().all(|e| value(e, k).is_none()) {
            continue;
        }
        let values: Vec<String> = epochs.iter().map(|e| json_number(value(e, k))).collect();
        fields.push(format!("  \"{key}\": [{}]", values.join(", ")));
    }
    format!("{{\n{}\n}}\n", fields.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(epoch: usize, loss: f64, val: Option<(f64, f64)>) -> EpochLogs {
        EpochLogs {
            epoch,
            loss,
            accuracy: 0.8125,
            val_loss: val.map(|v| v.0),
            val_accuracy: val.map(|v| v.1),
            lr: 1e-5,
            regularization_loss: 0.0,
            seconds: 1.0,
        }
    }

    #[test]
    fn csv_is_csvloggers_layout() {
        let h = [
            logs(1, 0.5, Some((0.25, 0.9))),
            logs(2, f64::NAN, Some((f64::INFINITY, 0.1))),
        ];
        assert_eq!(
            history_csv(&h),
            "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\r\n\
             0,0.8125,1e-05,0.5,0.9,0.25\r\n\
             1,0.8125,1e-05,nan,0.1,inf\r\n"
        );
        // Without validation data CSVLogger still writes the val_ columns, with NA.
        assert_eq!(
            history_csv(&[logs(1, 2.0, None)]),
            "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\r\n\
             0,0.8125,1e-05,2.0,NA,NA\r\n"
        );
        assert_eq!(
            history_csv(&[]),
            "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\r\n"
        );
    }

    #[test]
    fn json_is_history_history_with_non_finite_values_named() {
        let h = [
            logs(1, 0.5, Some((0.25, 0.9))),
            logs(2, f64::NAN, Some((f64::NEG_INFINITY, 0.1))),
        ];
        assert_eq!(
            history_json(&h),
            "{\n  \"epoch\": [0, 1],\n  \"accuracy\": [0.8125, 0.8125],\n  \
             \"learning_rate\": [1e-05, 1e-05],\n  \"loss\": [0.5, \"NaN\"],\n  \
             \"val_accuracy\": [0.9, 0.1],\n  \"val_loss\": [0.25, \"-Infinity\"]\n}\n"
        );
        // No validation data: no val_ keys, as in Keras.
        assert_eq!(
            history_json(&[logs(1, 2.0, None)]),
            "{\n  \"epoch\": [0],\n  \"accuracy\": [0.8125],\n  \"learning_rate\": [1e-05],\n  \
             \"loss\": [2.0]\n}\n"
        );
    }

    #[test]
    fn json_reads_back_through_the_labs_finite_numbers() {
        let h = [logs(1, f64::NAN, Some((0.25, 0.9))), logs(2, 0.1, None)];
        let parsed: serde_json::Value = serde_json::from_str(&history_json(&h)).unwrap();
        let loss: Vec<crate::finite::Number> =
            serde_json::from_value(parsed["loss"].clone()).unwrap();
        assert!(loss[0].0.is_nan());
        assert_eq!(loss[1].0, 0.1);
        assert_eq!(parsed["val_loss"], serde_json::json!([0.25, null]));
    }
}
