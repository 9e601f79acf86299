//! Steps 5–7 on the IMDB reviews: seed 004's text models (Dense(1, sigmoid) on the TF-IDF
//! features; 128-64; the same with L2 and Dropout), drawn by the same component as the image
//! steps (`training.rs`).

use lab_spec::ModelSpec;

use crate::components::builder::Level;
use crate::steps::training::Text::{Bold, Plain};
use crate::steps::training::{Preset, TrainingStep};

fn overfit_model() -> ModelSpec {
    lab_spec::binary::imdb_overfit().model
}

fn regularized_model() -> ModelSpec {
    lab_spec::binary::imdb_regularized().model
}

pub static TEXT_TRAINING_STEPS: [TrainingStep; 3] = [
    TrainingStep {
        step: 5,
        title: "Build a baseline",
        explanation: &[
            Plain(
                "The simplest real model: one Dense unit with a sigmoid on the review's features — logistic regression. \
                 Its output is the probability that the review is positive; above the decision threshold (0.5 by default) it \
                 says positive. It trains with binary cross-entropy, batch 32, for 5 epochs, with class weights (1.0 each here: \
                 the classes are balanced). ",
            ),
            Bold("Exercise:"),
            Plain(" reach a validation accuracy of at least 0.80 (the defaults do, in one epoch)."),
        ],
        level: Level::Baseline,
        overlay: &[],
        presets: &[],
    },
    TrainingStep {
        step: 6,
        title: "Scale up until it overfits",
        explanation: &[
            Plain(
                "Add capacity: Dense(128) and Dense(64) with ReLU before the sigmoid, batch 512, 15 epochs. With 10,000 inputs the \
                 first layer alone has 1.28 million weights, plenty to memorise 20,000 reviews: the training loss falls towards \
                 zero while the validation loss turns up after a few epochs. ",
            ),
            Bold("Exercise:"),
            Plain(
                " produce a visible overfit: at the end, validation loss at least 25 % above the training loss, and no new low \
                 in the last two epochs while the training loss still falls.",
            ),
        ],
        level: Level::ScaleUp,
        overlay: &[],
        presets: &[Preset {
            name: "the step's MLP (128-64)",
            testid: "preset-mlp",
            model: overfit_model,
        }],
    },
    TrainingStep {
        step: 7,
        title: "Regularize",
        explanation: &[
            Bold("L2"),
            Plain(" (1e-3 on both hidden kernels) adds the size of the weights to the loss; "),
            Bold("Dropout"),
            Plain(
                " (0.5 after each hidden layer) zeroes half the activations at each step. Your best step-6 run on the same data \
                 is drawn beside this one. ",
            ),
            Bold("Exercise:"),
            Plain(
                " close the gap that step 6 opened: on the same data as your best step-6 run, end with a validation loss at most \
                 10 % above the training loss, with a best validation accuracy within 0.03 of that run's.",
            ),
        ],
        level: Level::Regularize,
        overlay: &[6],
        presets: &[Preset {
            name: "the step's MLP (L2 + Dropout)",
            testid: "preset-mlp",
            model: regularized_model,
        }],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_steps_mirror_the_image_steps_with_text_models() {
        let steps: Vec<u8> = TEXT_TRAINING_STEPS.iter().map(|s| s.step).collect();
        assert_eq!(steps, [5, 6, 7]);
        for (t, i) in TEXT_TRAINING_STEPS
            .iter()
            .zip(&crate::steps::training::TRAINING_STEPS)
        {
            assert_eq!((t.level, t.overlay), (i.level, i.overlay));
            assert!(t.explanation.contains(&Bold("Exercise:")));
            for p in t.presets {
                let mut c = lab_spec::binary::imdb_baseline();
                c.model = (p.model)();
                c.validate(Some(25_000)).unwrap();
            }
        }
    }
}
