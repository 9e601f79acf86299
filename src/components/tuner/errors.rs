//! Every reason a search cannot start, not only the first: `TunerConfig::validate` stops at
//! the first error, so the field it names is set aside (its hyperparameter left out, a setting
//! put back to the course's value) and the config checked again, until it passes or the error
//! names nothing that can be set aside.

use lab_spec::ConfigError;
use lab_spec::Monitor;
use lab_spec::tuning::{Algorithm, TunerConfig};

/// At most this many errors are listed (a space holds a few dozen hyperparameters at most).
const MAX_ERRORS: usize = 32;

/// Every error of `config`, in the order `validate` finds them; empty when it is valid.
pub(super) fn all_errors(config: &TunerConfig, available: Option<usize>) -> Vec<ConfigError> {
    let mut draft = config.clone();
    let mut errors: Vec<ConfigError> = Vec::new();
    while errors.len() < MAX_ERRORS {
        let Err(e) = draft.validate(available) else {
            break;
        };
        let again = errors.iter().any(|seen| seen.field == e.field);
        let set_aside = !again && set_aside(&mut draft, &e.field);
        errors.push(e);
        // Nothing left to check without this field, or no space left to check.
        if !set_aside || draft.hyperparameters.is_empty() {
            break;
        }
    }
    errors
}

/// Takes the field named by an error out of the way of the next check: its hyperparameter is
/// left out, a setting goes back to the course's value. False when the field is none of those
/// (a model or optimizer field of the corner configurations, the empty space).
fn set_aside(draft: &mut TunerConfig, field: &str) -> bool {
    let course = TunerConfig::seed_004();
    if let Some(rest) = field.strip_prefix("hyperparameters") {
        let before = draft.hyperparameters.len();
        if let Some(name) = rest.strip_prefix('.') {
            let name = name.split('.').next().unwrap_or(name);
            if let Some(i) = draft.hyperparameters.iter().position(|h| h.name() == name) {
                draft.hyperparameters.remove(i);
            }
        } else if let Some(i) = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok())
            && i < draft.hyperparameters.len()
        {
            draft.hyperparameters.remove(i);
        }
        return draft.hyperparameters.len() < before;
    }
    if field.starts_with("algorithm.") {
        draft.algorithm = match draft.algorithm {
            Algorithm::Hyperband { .. } => course.algorithm,
            Algorithm::RandomSearch { .. } => Algorithm::RandomSearch {
                max_trials: 6,
                epochs: 5,
            },
        };
        return true;
    }
    match field {
        "objective" => draft.objective = Monitor::ValAccuracy,
        "seed" => draft.seed = course.seed,
        "batch_size" => draft.batch_size = course.batch_size,
        "validation_split" => draft.validation_split = course.validation_split,
        "retrain_epochs" => draft.retrain_epochs = course.retrain_epochs,
        "subset" => draft.subset = None,
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::tuning::HyperParameter;

    fn fields(errors: &[ConfigError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_valid_config_has_no_errors() {
        assert_eq!(all_errors(&TunerConfig::seed_004(), None), []);
    }

    #[test]
    fn every_bad_field_is_listed_not_only_the_first() {
        let mut c = TunerConfig::seed_004();
        if let Some(HyperParameter::Float { min_value, .. }) =
            c.hyperparameters.iter_mut().find(|h| h.name() == "drop_1")
        {
            *min_value = 0.9;
        }
        c.hyperparameters.push(HyperParameter::Boolean {
            name: "momentum".into(),
        });
        c.algorithm = Algorithm::Hyperband {
            max_epochs: 5,
            factor: 1,
            hyperband_iterations: 1,
        };
        c.retrain_epochs = 0;
        let errors = all_errors(&c, None);
        assert_eq!(
            fields(&errors),
            [
                "hyperparameters.drop_1",
                "hyperparameters.momentum",
                "algorithm.factor",
                "retrain_epochs"
            ],
            "{errors:?}"
        );
        // The first is the one `validate` gives.
        assert_eq!(errors[0], c.validate(None).unwrap_err());
        // Each is said once, with its own message.
        assert!(errors[2].message.contains("≥ 2"), "{}", errors[2]);
    }

    #[test]
    fn an_empty_space_is_one_error() {
        let mut c = TunerConfig::seed_004();
        c.hyperparameters.clear();
        c.seed = u64::MAX;
        assert_eq!(fields(&all_errors(&c, None)), ["hyperparameters"]);
    }

    #[test]
    fn a_space_whose_every_hyperparameter_is_wrong_stops_when_it_is_empty() {
        let mut c = TunerConfig::seed_004();
        c.hyperparameters = vec![
            HyperParameter::Boolean { name: "a".into() },
            HyperParameter::Boolean { name: "b".into() },
        ];
        let errors = all_errors(&c, None);
        assert_eq!(fields(&errors), ["hyperparameters.a", "hyperparameters.b"]);
    }
}
