//! Steps 5–7: the training steps. They differ only in their data (title, explanation, how
//! much of the config the learner edits, which other step's run is drawn beside), so one
//! component draws them from [`TRAINING_STEPS`].

use lab_spec::{ModelSpec, TrainingConfig};
use leptos::prelude::*;

use crate::components::builder::Level;
use crate::components::experiments::Experiments;
use crate::components::run_panel::RunPanel;
use crate::logic::UrlOverrides;
use crate::trainer::Trainer;
use crate::trainer::pending::{ActionKind, stoppable};
use Text::{Bold, Italic, Plain};

/// A piece of an explanation paragraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Plain(&'static str),
    Bold(&'static str),
    Italic(&'static str),
}

/// What makes one training step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrainingStep {
    pub step: u8,
    /// The heading, after "5 · ".
    pub title: &'static str,
    /// The paragraph above the run panel, exercise included.
    pub explanation: &'static [Text],
    /// What the config editor offers.
    pub level: Level,
    /// Steps whose latest run is drawn beside this step's runs.
    pub overlay: &'static [u8],
    /// The models the learner can start from (the step's own first); the CNN exercise is
    /// offered where the small CNN is.
    pub presets: &'static [Preset],
}

/// A model to start from: it replaces the model of the step's config (the training settings
/// stay).
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    /// The button's words.
    pub name: &'static str,
    pub testid: &'static str,
    pub model: fn() -> ModelSpec,
}

/// Presets are the same when they say the same (their models are functions).
impl PartialEq for Preset {
    fn eq(&self, other: &Self) -> bool {
        (self.name, self.testid) == (other.name, other.testid)
    }
}

impl Eq for Preset {}

fn overfit_mlp() -> ModelSpec {
    crate::presets::overfit().model
}

fn regularized_mlp() -> ModelSpec {
    crate::presets::regularized().model
}

/// The benchmark CNN of `configs/cnn.json`: 2 × (Conv2D 3×3 + MaxPooling2D), Dense 128.
pub const SMALL_CNN: Preset = Preset {
    name: "small CNN",
    testid: "preset-small-cnn",
    model: ModelSpec::small_cnn,
};

/// The CNN exercise, said under the steps that offer the small CNN.
pub const CNN_EXERCISE: &str = " build a CNN (start from the small CNN, or add Conv2D and \
    MaxPooling2D layers yourself: the input becomes a 28×28 image) and beat the best validation \
    accuracy of your MLPs of steps 5–7 on the same data.";

pub static TRAINING_STEPS: [TrainingStep; 3] = [
    TrainingStep {
        step: 5,
        title: "Build a baseline",
        explanation: &[
            Plain(
                "The simplest real model: one Dense layer of 10 units with softmax — a linear classifier over the 784 pixels. \
                 It shows that the problem is learnable and sets the bar the bigger models must clear. ",
            ),
            Bold("Exercise:"),
            Plain(" reach a validation accuracy of at least 0.80 (the defaults do, in 5 epochs)."),
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
                "Add capacity — more layers, more units — and train longer. At first both losses fall; then the training loss keeps falling \
                 while the validation loss stalls or turns up: the model starts memorising the training images, and the gap between the \
                 two curves opens. The chart marks the best epoch and where validation loss starts to rise. ",
            ),
            Bold("Exercise:"),
            Plain(
                " produce a visible overfit: at the end, validation loss at least 25 % above the training loss, and no new low \
                 (more than 1 % below its earlier best) in the last two epochs while the training loss still falls. \
                 The exercise was tuned to the notebook's run: its 15 epochs open a 41 % gap, but its validation loss ends only \
                 4.7 % above its best, so \"5 % above the best\" would not count it.",
            ),
        ],
        level: Level::ScaleUp,
        overlay: &[],
        presets: &[
            Preset {
                name: "the step's MLP (256-128)",
                testid: "preset-mlp",
                model: overfit_mlp,
            },
            SMALL_CNN,
        ],
    },
    TrainingStep {
        step: 7,
        title: "Regularize",
        explanation: &[
            Bold("Dropout"),
            Plain(
                " zeroes a random share of activations at each step, so no unit can rely on another; ",
            ),
            Bold("L1/L2"),
            Plain(" add the size of the weights to the loss; "),
            Bold("BatchNorm"),
            Plain(" normalizes activations between layers. "),
            Bold("EarlyStopping"),
            Plain(" ends training when val_loss has not improved for "),
            Italic("patience"),
            Plain(" epochs (by more than "),
            Italic("min_delta"),
            Plain(") and can restore the best epoch's weights; "),
            Bold("ModelCheckpoint"),
            Plain(
                " keeps the best weights. \
                 Your best step-6 run on the same data (the lowest val_loss) is drawn beside this one. ",
            ),
            Bold("Exercise:"),
            Plain(
                " close the gap that step 6 opened: on the same data as your best step-6 run (the same subset, or all of it), \
                 end with a validation loss at most 10 % above the training loss, with a best validation accuracy within 0.03 of \
                 that run's. The exercise was tuned to the notebook's run: L2 and Dropout close the gap (validation loss ends \
                 below the training loss) but do not beat the overfit run's validation loss, which L2's penalty adds to.",
            ),
        ],
        level: Level::Regularize,
        overlay: &[6],
        presets: &[
            Preset {
                name: "the step's MLP (L2 + Dropout)",
                testid: "preset-mlp",
                model: regularized_mlp,
            },
            SMALL_CNN,
        ],
    },
];

/// The training step `step` (5, 6 or 7).
pub fn training_step(step: u8) -> Option<&'static TrainingStep> {
    TRAINING_STEPS.iter().find(|s| s.step == step)
}

/// One of steps 5–7, drawn from its [`TrainingStep`].
#[component]
pub fn TrainingStepPage(
    trainer: Trainer,
    step: &'static TrainingStep,
    /// The step's config, as the learner edited it.
    #[prop(into)]
    config: Signal<TrainingConfig>,
    #[prop(into)] on_config: Callback<TrainingConfig>,
    /// Quick-run overrides from the URL.
    #[prop(into)]
    quick: Signal<UrlOverrides>,
    /// The learner's success metric (step 2), highlighted in the chart.
    #[prop(into)]
    metric: Signal<String>,
) -> impl IntoView {
    let explanation = step
        .explanation
        .iter()
        .map(|t| match *t {
            Plain(s) => s.into_any(),
            Bold(s) => view! { <b>{s}</b> }.into_any(),
            Italic(s) => view! { <i>{s}</i> }.into_any(),
        })
        .collect_view();
    let busy = Signal::derive(move || stoppable(ActionKind::Train(step.step), trainer.busy()));
    let presets = (!step.presets.is_empty()).then(|| {
        let buttons = step
            .presets
            .iter()
            .map(|p| {
                let model = p.model;
                let pick = move |_| {
                    let mut c = config.get_untracked();
                    c.model = model();
                    on_config.run(c);
                };
                view! {
                    <button data-testid=p.testid prop:disabled=move || busy.get() on:click=pick>{p.name}</button>
                }
            })
            .collect_view();
        view! { <p class="presets" data-testid="presets">"Start from: " {buttons}</p> }
    });
    let cnn_exercise = step.presets.contains(&SMALL_CNN).then(|| {
        view! {
            <p class="cnn-exercise">
                <b>"CNN exercise:"</b>{CNN_EXERCISE}" "
                <span data-testid="cnn-exercise">{move || trainer.runs.with(|rs| {
                    // Compared with the images' MLPs only, not the reviews'.
                    let images = crate::exercises::of_dataset(rs, lab_spec::DatasetKind::FashionMnist);
                    crate::exercises::cnn_exercise_text(&images)
                })}</span>
            </p>
        }
    });
    view! {
        <article>
            <h2>{format!("{} · {}", step.step, step.title)}</h2>
            <p>{explanation}</p>
            {cnn_exercise}
            {presets}
            <RunPanel trainer step=step.step config on_config level=step.level overlay=step.overlay.to_vec() quick metric />
            // Each data set has its own guided experiments (their texts say what was measured on it).
            {crate::experiments::plan::experiments_of(step.step, config.with_untracked(|c| c.dataset))
                .next()
                .is_some()
                .then(|| view! { <Experiments trainer step=step.step config quick /> })}
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_5_to_7_each_have_their_data() {
        let steps: Vec<u8> = TRAINING_STEPS.iter().map(|s| s.step).collect();
        assert_eq!(steps, [5, 6, 7]);
        assert_eq!(training_step(5).unwrap().level, Level::Baseline);
        assert_eq!(training_step(6).unwrap().level, Level::ScaleUp);
        assert_eq!(training_step(7).unwrap().level, Level::Regularize);
        assert_eq!(training_step(7).unwrap().overlay, [6]);
        // Steps 6 and 7 offer their own MLP first, then the small CNN, which is valid.
        assert!(training_step(5).unwrap().presets.is_empty());
        for step in [6, 7] {
            let presets = training_step(step).unwrap().presets;
            assert_eq!(presets.len(), 2);
            assert_eq!(presets[1], SMALL_CNN);
            assert_eq!(
                (presets[0].model)(),
                if step == 6 {
                    crate::presets::overfit().model
                } else {
                    crate::presets::regularized().model
                }
            );
        }
        let cnn = TrainingConfig::new((SMALL_CNN.model)());
        cnn.validate(None).unwrap();
        assert_eq!(cnn.model.input, lab_spec::InputKind::Image);
        assert!(training_step(8).is_none());
        // Every step states its exercise.
        for s in TRAINING_STEPS {
            assert!(
                s.explanation.contains(&Bold("Exercise:")),
                "step {}",
                s.step
            );
        }
    }
}
