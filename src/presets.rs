//! The starting configs of steps 5–7: seed 004's models, the same JSON files the `lab` CLI
//! trains (configs/).

use lab_spec::TrainingConfig;

fn parse(json: &str) -> TrainingConfig {
    crate::json::from_str(json).expect("configs/*.json are valid (tested)")
}

pub fn baseline() -> TrainingConfig {
    parse(include_str!("../configs/baseline.json"))
}

pub fn overfit() -> TrainingConfig {
    parse(include_str!("../configs/overfit.json"))
}

pub fn regularized() -> TrainingConfig {
    parse(include_str!("../configs/regularized.json"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn presets_are_valid_configs() {
        for c in [super::baseline(), super::overfit(), super::regularized()] {
            c.validate(Some(60_000)).unwrap();
        }
        let cnn: lab_spec::TrainingConfig =
            serde_json::from_str(include_str!("../configs/cnn.json")).unwrap();
        cnn.validate(Some(60_000)).unwrap();
    }
}
