//! Classification results as plain data: confusion matrix, per-class precision / recall / F1,
//! averages. Computed by the engine, drawn by the page, printed by the CLI. A binary task's
//! report is the same type with two classes (`negative`, `positive`): its 2×2 confusion
//! matrix, and the positive class's precision, recall and F1 (scikit-learn's `f1_score`) in
//! [`ClassificationReport::positive_class`].

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub name: String,
    #[serde(with = "crate::finite")]
    pub precision: f64,
    #[serde(with = "crate::finite")]
    pub recall: f64,
    #[serde(with = "crate::finite")]
    pub f1: f64,
    pub support: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Averages {
    #[serde(with = "crate::finite")]
    pub precision: f64,
    #[serde(with = "crate::finite")]
    pub recall: f64,
    #[serde(with = "crate::finite")]
    pub f1: f64,
    pub support: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    #[serde(with = "crate::finite")]
    pub accuracy: f64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::finite::option"
    )]
    pub loss: Option<f64>,
    /// `confusion_matrix[true][predicted]`, as scikit-learn lays it out.
    pub confusion_matrix: Vec<Vec<usize>>,
    pub per_class: Vec<ClassMetrics>,
    pub macro_avg: Averages,
    pub weighted_avg: Averages,
}

impl ClassificationReport {
    /// A binary report's positive class (label 1): what scikit-learn's `precision_score`,
    /// `recall_score` and `f1_score` give with their default `pos_label=1`. `None` when the
    /// report has other than two classes.
    pub fn positive_class(&self) -> Option<&ClassMetrics> {
        match self.per_class.as_slice() {
            [_, positive] => Some(positive),
            _ => None,
        }
    }

    /// A binary report's F1 of the positive class (seed 004's `f1_score(y_test, y_pred)`).
    pub fn f1(&self) -> Option<f64> {
        self.positive_class().map(|c| c.f1)
    }
}

impl std::fmt::Display for ClassificationReport {
    /// Laid out like scikit-learn's `classification_report(digits=4)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = self
            .per_class
            .iter()
            .map(|c| c.name.len())
            .chain(["weighted avg".len()])
            .max()
            .unwrap_or(12);
        writeln!(
            f,
            "{:>width$}  {:>9} {:>9} {:>9} {:>9}\n",
            "", "precision", "recall", "f1-score", "support"
        )?;
        for c in &self.per_class {
            writeln!(
                f,
                "{:>width$}  {:>9.4} {:>9.4} {:>9.4} {:>9}",
                c.name, c.precision, c.recall, c.f1, c.support
            )?;
        }
        writeln!(f)?;
        let total = self.macro_avg.support;
        writeln!(
            f,
            "{:>width$}  {:>9} {:>9} {:>9.4} {:>9}",
            "accuracy", "", "", self.accuracy, total
        )?;
        for (name, a) in [
            ("macro avg", &self.macro_avg),
            ("weighted avg", &self.weighted_avg),
        ] {
            writeln!(
                f,
                "{:>width$}  {:>9.4} {:>9.4} {:>9.4} {:>9}",
                name, a.precision, a.recall, a.f1, a.support
            )?;
        }
        Ok(())
    }
}
