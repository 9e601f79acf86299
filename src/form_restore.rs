//! After a reload, the forms of steps 5–8 show the config of their step's latest run, so the
//! settings beside the restored curves, results and callback logs are that model's — unless
//! the link's `cfg` sets the form of its step.

use lab_spec::TrainingConfig;

use crate::trainer::RunView;

/// The steps whose form is a run's config: 5–7 (training) and 8 ("retrain best").
pub const FORM_STEPS: [u8; 4] = [5, 6, 7, 8];

/// For each of [`FORM_STEPS`] that has runs, the config of its latest run (the highest id);
/// `link_step` is the step whose config the link's `cfg` sets (left as the link has it).
pub fn restored_forms(runs: &[RunView], link_step: Option<u8>) -> Vec<(u8, TrainingConfig)> {
    FORM_STEPS
        .into_iter()
        .filter(|&step| Some(step) != link_step)
        .filter_map(|step| {
            runs.iter()
                .filter(|r| r.step == step)
                .max_by_key(|r| r.id)
                .map(|r| (step, r.config.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use lab_spec::ModelSpec;

    use super::*;

    fn run(id: u32, step: u8, units: usize) -> RunView {
        RunView::new(
            id,
            step,
            format!("run {id}"),
            TrainingConfig::new(ModelSpec::mlp(&[units])),
            "cpu".into(),
            0.0,
        )
    }

    /// The units of a config's first layer.
    fn units(c: &TrainingConfig) -> usize {
        match c.model.layers.first() {
            Some(lab_spec::LayerSpec::Dense { units, .. }) => *units,
            _ => 0,
        }
    }

    #[test]
    fn each_form_gets_its_steps_latest_run_unless_the_link_sets_it() {
        let runs = [run(3, 6, 30), run(1, 5, 10), run(2, 6, 20), run(4, 8, 40)];
        let shown = |forms: Vec<(u8, TrainingConfig)>| {
            forms
                .iter()
                .map(|(step, c)| (*step, units(c)))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shown(restored_forms(&runs, None)),
            [(5, 10), (6, 30), (8, 40)]
        );
        assert_eq!(shown(restored_forms(&runs, Some(6))), [(5, 10), (8, 40)]);
        assert!(restored_forms(&[], None).is_empty());
    }
}
