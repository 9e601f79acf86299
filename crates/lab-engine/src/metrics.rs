//! Accuracy, confusion matrix, per-class precision / recall / F1 and their macro and weighted
//! averages, with scikit-learn's conventions (a 0/0 ratio counts as 0, `zero_division=0`).

use lab_spec::{Averages, ClassMetrics, ClassificationReport};

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// `matrix[true][predicted]` counts.
pub fn confusion_matrix(y_true: &[u8], y_pred: &[u8], classes: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; classes]; classes];
    for (&t, &p) in y_true.iter().zip(y_pred) {
        m[t as usize][p as usize] += 1;
    }
    m
}

pub fn accuracy(y_true: &[u8], y_pred: &[u8]) -> f64 {
    let correct = y_true.iter().zip(y_pred).filter(|(t, p)| t == p).count();
    ratio(correct, y_true.len())
}

/// The full report for the given class names (their count sets the number of classes).
pub fn classification_report(y_true: &[u8], y_pred: &[u8], names: &[&str]) -> ClassificationReport {
    assert_eq!(y_true.len(), y_pred.len(), "one prediction per label");
    let k = names.len();
    let m = confusion_matrix(y_true, y_pred, k);
    let per_class: Vec<ClassMetrics> = (0..k)
        .map(|c| {
            let tp = m[c][c];
            let predicted: usize = (0..k).map(|t| m[t][c]).sum();
            let support: usize = m[c].iter().sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassMetrics {
                name: names[c].to_string(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let total: usize = per_class.iter().map(|c| c.support).sum();
    let avg = |weight: &dyn Fn(&ClassMetrics) -> f64, norm: f64| Averages {
        precision: per_class
            .iter()
            .map(|c| weight(c) * c.precision)
            .sum::<f64>()
            / norm,
        recall: per_class.iter().map(|c| weight(c) * c.recall).sum::<f64>() / norm,
        f1: per_class.iter().map(|c| weight(c) * c.f1).sum::<f64>() / norm,
        support: total,
    };
    let macro_avg = avg(&|_| 1.0, k as f64);
    let weighted_avg = if total == 0 {
        avg(&|_| 0.0, 1.0)
    } else {
        avg(&|c| c.support as f64, total as f64)
    };
    ClassificationReport {
        accuracy: accuracy(y_true, y_pred),
        loss: None,
        confusion_matrix: m,
        per_class,
        macro_avg,
        weighted_avg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Fixture {
        name: String,
        y_true: Vec<u8>,
        y_pred: Vec<u8>,
        accuracy: f64,
        confusion_matrix: Vec<Vec<usize>>,
        precision: Vec<f64>,
        recall: Vec<f64>,
        f1: Vec<f64>,
        support: Vec<usize>,
        macro_f1: f64,
        weighted_f1: f64,
        macro_precision: f64,
        weighted_recall: f64,
        report: String,
    }

    /// Figures produced by scikit-learn (`tests/fixtures/make_sklearn_fixtures.py`).
    fn fixtures() -> Vec<Fixture> {
        serde_json::from_str(include_str!("../tests/fixtures/sklearn_metrics.json")).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn matches_scikit_learn() {
        let names = lab_data::CLASS_NAMES;
        for f in fixtures() {
            let r = classification_report(&f.y_true, &f.y_pred, &names);
            assert!(close(r.accuracy, f.accuracy), "{}: accuracy", f.name);
            assert_eq!(r.confusion_matrix, f.confusion_matrix, "{}", f.name);
            for (c, m) in r.per_class.iter().enumerate() {
                assert!(
                    close(m.precision, f.precision[c]),
                    "{} class {c} precision",
                    f.name
                );
                assert!(close(m.recall, f.recall[c]), "{} class {c} recall", f.name);
                assert!(close(m.f1, f.f1[c]), "{} class {c} f1", f.name);
                assert_eq!(m.support, f.support[c], "{}", f.name);
            }
            assert!(close(r.macro_avg.f1, f.macro_f1), "{}: macro f1", f.name);
            assert!(
                close(r.weighted_avg.f1, f.weighted_f1),
                "{}: weighted f1",
                f.name
            );
            assert!(
                close(r.macro_avg.precision, f.macro_precision),
                "{}",
                f.name
            );
            assert!(
                close(r.weighted_avg.recall, f.weighted_recall),
                "{}",
                f.name
            );
            assert_eq!(
                r.to_string().trim_end(),
                f.report.trim_end(),
                "{}: report layout",
                f.name
            );
        }
    }

    #[derive(Deserialize)]
    struct BinaryFixture {
        name: String,
        y_true: Vec<u8>,
        y_pred: Vec<u8>,
        accuracy: f64,
        precision: f64,
        recall: f64,
        f1: f64,
        confusion_matrix: Vec<Vec<usize>>,
        report: String,
    }

    #[test]
    fn a_binary_report_matches_scikit_learn() {
        // `tests/fixtures/make_sklearn_binary_fixture.py` (scikit-learn 1.9.1).
        let fixtures: Vec<BinaryFixture> = serde_json::from_str(include_str!(
            "../tests/fixtures/sklearn_binary_metrics.json"
        ))
        .unwrap();
        for f in fixtures {
            let r =
                classification_report(&f.y_true, &f.y_pred, &lab_spec::dataset::IMDB_CLASS_NAMES);
            assert!(close(r.accuracy, f.accuracy), "{}: accuracy", f.name);
            assert_eq!(r.confusion_matrix, f.confusion_matrix, "{}", f.name);
            let positive = r.positive_class().expect("two classes");
            assert!(
                close(positive.precision, f.precision),
                "{}: precision",
                f.name
            );
            assert!(close(positive.recall, f.recall), "{}: recall", f.name);
            assert!(close(positive.f1, f.f1), "{}: f1", f.name);
            assert_eq!(r.f1(), Some(positive.f1));
            assert_eq!(
                r.to_string().trim_end(),
                f.report.trim_end(),
                "{}: report layout",
                f.name
            );
        }
    }
}
