//! The config editor: model layers, optimizer, learning rate, batch size, epochs, and (step 7)
//! the callbacks. Every edit is parsed and validated (the lab's limits included) before it is
//! applied, and the config stays valid. A text field is checked as the learner types: a value
//! that would be refused shows its message beside the field, and the field keeps what the
//! learner typed until it is corrected; it never snaps back.

use std::collections::BTreeMap;
use std::str::FromStr;

use lab_spec::limits::{MAX_EPOCHS, MAX_FILTERS, MAX_KERNEL_SIZE, MAX_UNITS, seed_message};
use lab_spec::{
    Activation, ConfigError, EarlyStoppingConfig, Head, InputKind, LayerSpec,
    ModelCheckpointConfig, OptimizerConfig, Padding, Regularizer, TrainingConfig,
};

use crate::model_input::{add_layer, input_for};
use leptos::prelude::*;

/// Which parts of the config a step lets the learner edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Step 5: training knobs only, the model is the baseline.
    Baseline,
    /// Step 6: Dense, Conv2D, MaxPooling2D and Flatten layers, optimizer.
    ScaleUp,
    /// Step 7: plus Dropout, L1/L2, BatchNorm and callbacks.
    Regularize,
}

/// A text field of the editor: which value of the config it edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knob {
    Epochs,
    /// The number of training images used (empty: all of them).
    Subset,
    BatchSize,
    LearningRate,
    ValidationSplit,
    Seed,
    /// A Dense layer's units.
    Units(usize),
    /// A Dropout layer's rate.
    Rate(usize),
    /// A Dense or Conv2D layer's L1 kernel regularization.
    L1(usize),
    /// A Dense or Conv2D layer's L2 kernel regularization.
    L2(usize),
    /// A Conv2D layer's filters.
    Filters(usize),
    /// A Conv2D layer's kernel size (square).
    KernelSize(usize),
    /// A Conv2D layer's strides.
    Strides(usize),
    /// A MaxPooling2D layer's pool size (square).
    PoolSize(usize),
    /// A MaxPooling2D layer's strides (empty: the pool size, as Keras' `strides=None`).
    PoolStrides(usize),
    Patience,
    MinDelta,
    /// The decision threshold of a binary task (the sigmoid head).
    Threshold,
}

impl Knob {
    /// The input's `data-testid`; the message beside it is `<testid>-error`.
    pub fn testid(self) -> String {
        match self {
            Knob::Epochs => "epochs".into(),
            Knob::Subset => "subset".into(),
            Knob::BatchSize => "batch-size".into(),
            Knob::LearningRate => "learning-rate".into(),
            Knob::ValidationSplit => "validation-split".into(),
            Knob::Seed => "seed".into(),
            Knob::Units(i) => format!("layer-{i}-units"),
            Knob::Rate(i) => format!("layer-{i}-rate"),
            Knob::L1(i) => format!("layer-{i}-l1"),
            Knob::L2(i) => format!("layer-{i}-l2"),
            Knob::Filters(i) => format!("layer-{i}-filters"),
            Knob::KernelSize(i) => format!("layer-{i}-kernel-size"),
            Knob::Strides(i) => format!("layer-{i}-strides"),
            Knob::PoolSize(i) => format!("layer-{i}-pool-size"),
            Knob::PoolStrides(i) => format!("layer-{i}-pool-strides"),
            Knob::Patience => "patience".into(),
            Knob::MinDelta => "min-delta".into(),
            Knob::Threshold => "threshold".into(),
        }
    }

    /// The config field, named as `ConfigError` names it.
    pub fn field(self) -> String {
        match self {
            Knob::Epochs => "epochs".into(),
            Knob::Subset => "subset".into(),
            Knob::BatchSize => "batch_size".into(),
            Knob::LearningRate => "optimizer.learning_rate".into(),
            Knob::ValidationSplit => "validation_split".into(),
            Knob::Seed => "seed".into(),
            Knob::Units(i) => format!("model.layers[{i}].units"),
            Knob::Rate(i) => format!("model.layers[{i}].rate"),
            Knob::L1(i) => format!("model.layers[{i}].kernel_regularizer.l1"),
            Knob::L2(i) => format!("model.layers[{i}].kernel_regularizer.l2"),
            Knob::Filters(i) => format!("model.layers[{i}].filters"),
            Knob::KernelSize(i) => format!("model.layers[{i}].kernel_size"),
            Knob::Strides(i) | Knob::PoolStrides(i) => format!("model.layers[{i}].strides"),
            Knob::PoolSize(i) => format!("model.layers[{i}].pool_size"),
            Knob::Patience => "callbacks.early_stopping.patience".into(),
            Knob::MinDelta => "callbacks.early_stopping.min_delta".into(),
            Knob::Threshold => "threshold".into(),
        }
    }

    /// The field in the learner's words, layers counted from 1: "units of layer 2".
    pub fn label(self) -> String {
        match self {
            Knob::Epochs => "epochs".into(),
            Knob::Subset => "subset".into(),
            Knob::BatchSize => "batch size".into(),
            Knob::LearningRate => "learning rate".into(),
            Knob::ValidationSplit => "validation split".into(),
            Knob::Seed => "seed".into(),
            Knob::Units(i) => format!("units of layer {}", i + 1),
            Knob::Rate(i) => format!("rate of layer {}", i + 1),
            Knob::L1(i) => format!("L1 of layer {}", i + 1),
            Knob::L2(i) => format!("L2 of layer {}", i + 1),
            Knob::Filters(i) => format!("filters of layer {}", i + 1),
            Knob::KernelSize(i) => format!("kernel size of layer {}", i + 1),
            Knob::Strides(i) | Knob::PoolStrides(i) => format!("strides of layer {}", i + 1),
            Knob::PoolSize(i) => format!("pool size of layer {}", i + 1),
            Knob::Patience => "patience".into(),
            Knob::MinDelta => "min_delta".into(),
            Knob::Threshold => "decision threshold".into(),
        }
    }

    /// The value in force, as the field shows it.
    pub fn shown(self, c: &TrainingConfig) -> String {
        let layer = |i: usize| c.model.layers.get(i);
        let reg = |i: usize| match layer(i) {
            Some(
                LayerSpec::Dense {
                    kernel_regularizer, ..
                }
                | LayerSpec::Conv2D {
                    kernel_regularizer, ..
                },
            ) => kernel_regularizer.unwrap_or_default(),
            _ => Regularizer::default(),
        };
        let es = || c.callbacks.early_stopping.clone().unwrap_or_default();
        match self {
            Knob::Epochs => c.epochs.to_string(),
            Knob::Subset => c.subset.map_or(String::new(), |s| s.to_string()),
            Knob::BatchSize => c.batch_size.to_string(),
            Knob::LearningRate => c.optimizer.learning_rate().to_string(),
            Knob::ValidationSplit => c.validation_split.to_string(),
            Knob::Seed => c.seed.to_string(),
            Knob::Units(i) => match layer(i) {
                Some(LayerSpec::Dense { units, .. }) => units.to_string(),
                _ => String::new(),
            },
            Knob::Rate(i) => match layer(i) {
                Some(LayerSpec::Dropout { rate }) => rate.to_string(),
                _ => String::new(),
            },
            Knob::L1(i) => reg(i).l1.to_string(),
            Knob::L2(i) => reg(i).l2.to_string(),
            Knob::Filters(i) => match layer(i) {
                Some(LayerSpec::Conv2D { filters, .. }) => filters.to_string(),
                _ => String::new(),
            },
            Knob::KernelSize(i) => match layer(i) {
                Some(LayerSpec::Conv2D { kernel_size, .. }) => kernel_size.to_string(),
                _ => String::new(),
            },
            Knob::Strides(i) => match layer(i) {
                Some(LayerSpec::Conv2D { strides, .. }) => strides.to_string(),
                _ => String::new(),
            },
            Knob::PoolSize(i) => match layer(i) {
                Some(LayerSpec::MaxPool2D { pool_size, .. }) => pool_size.to_string(),
                _ => String::new(),
            },
            Knob::PoolStrides(i) => match layer(i) {
                Some(LayerSpec::MaxPool2D {
                    strides: Some(s), ..
                }) => s.to_string(),
                _ => String::new(),
            },
            Knob::Patience => es().patience.to_string(),
            Knob::MinDelta => es().min_delta.to_string(),
            Knob::Threshold => c.threshold.to_string(),
        }
    }

    /// Writes the typed text into `c`, or says why it is not a value of this field.
    fn set(self, c: &mut TrainingConfig, v: &str) -> Result<(), ConfigError> {
        let field = self.field();
        let field = field.as_str();
        match self {
            Knob::Epochs => {
                c.epochs = whole(field, v, |v| {
                    format!("must be between 1 and {MAX_EPOCHS} (got {v})")
                })?
            }
            Knob::Subset => {
                let items = match c.dataset {
                    lab_spec::DatasetKind::Imdb => "reviews",
                    lab_spec::DatasetKind::FashionMnist => "images",
                };
                c.subset = if v.trim().is_empty() {
                    None
                } else {
                    Some(whole(field, v, |v| {
                        format!("{v} is more {items} than the lab has")
                    })?)
                }
            }
            Knob::BatchSize => {
                c.batch_size = whole(field, v, |v| {
                    format!("{v} is larger than any batch the lab allows")
                })?
            }
            Knob::LearningRate => {
                let lr = number(field, v)?;
                match &mut c.optimizer {
                    OptimizerConfig::Sgd { learning_rate, .. }
                    | OptimizerConfig::Adam { learning_rate, .. }
                    | OptimizerConfig::RmsProp { learning_rate, .. } => *learning_rate = lr,
                }
            }
            Knob::ValidationSplit => c.validation_split = number(field, v)?,
            Knob::Seed => c.seed = whole(field, v, seed_message)?,
            Knob::Units(i) => {
                let n = whole(field, v, |v| {
                    format!("at most {MAX_UNITS} units fit a browser lab (got {v})")
                })?;
                if let Some(LayerSpec::Dense { units, .. }) = c.model.layers.get_mut(i) {
                    *units = n;
                }
            }
            Knob::Rate(i) => {
                let r = number(field, v)?;
                if let Some(LayerSpec::Dropout { rate }) = c.model.layers.get_mut(i) {
                    *rate = r;
                }
            }
            Knob::L1(i) => set_reg(c, i, Some(number(field, v)?), None),
            Knob::L2(i) => set_reg(c, i, None, Some(number(field, v)?)),
            Knob::Filters(i) => {
                let n = whole(field, v, |v| {
                    format!("must be between 1 and {MAX_FILTERS} (got {v})")
                })?;
                if let Some(LayerSpec::Conv2D { filters, .. }) = c.model.layers.get_mut(i) {
                    *filters = n;
                }
            }
            Knob::KernelSize(i) => {
                let n = whole(field, v, |v| {
                    format!("must be between 1 and {MAX_KERNEL_SIZE} (got {v})")
                })?;
                if let Some(LayerSpec::Conv2D { kernel_size, .. }) = c.model.layers.get_mut(i) {
                    *kernel_size = n;
                }
            }
            Knob::Strides(i) => {
                let n = whole(field, v, too_far)?;
                if let Some(LayerSpec::Conv2D { strides, .. }) = c.model.layers.get_mut(i) {
                    *strides = n;
                }
            }
            Knob::PoolSize(i) => {
                let n = whole(field, v, |v| format!("{v} is larger than the 28×28 image"))?;
                if let Some(LayerSpec::MaxPool2D { pool_size, .. }) = c.model.layers.get_mut(i) {
                    *pool_size = n;
                }
            }
            Knob::PoolStrides(i) => {
                let n = if v.trim().is_empty() {
                    None
                } else {
                    Some(whole(field, v, too_far)?)
                };
                if let Some(LayerSpec::MaxPool2D { strides, .. }) = c.model.layers.get_mut(i) {
                    *strides = n;
                }
            }
            Knob::Patience => {
                let p = whole(field, v, |v| {
                    format!("must be at most {} (got {v})", usize::MAX)
                })?;
                if let Some(es) = &mut c.callbacks.early_stopping {
                    es.patience = p;
                }
            }
            Knob::MinDelta => {
                let d = number(field, v)?;
                if let Some(es) = &mut c.callbacks.early_stopping {
                    es.min_delta = d;
                }
            }
            Knob::Threshold => c.threshold = number(field, v)?,
        }
        Ok(())
    }
}

/// A stride typed with more digits than any number the lab holds.
fn too_far(v: &str) -> String {
    format!("{v} is a larger stride than the 28×28 image has pixels")
}

/// A number typed in a field.
fn number(field: &str, v: &str) -> Result<f64, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| ConfigError::new(field, format!("{v:?} is not a valid number")))
}

/// A whole number typed in a field. Digits too many for the type get `too_large`'s message,
/// with the number as typed.
fn whole<T: FromStr>(
    field: &str,
    v: &str,
    too_large: impl Fn(&str) -> String,
) -> Result<T, ConfigError> {
    let t = v.trim();
    t.parse().map_err(|_| {
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            ConfigError::new(field, too_large(t))
        } else {
            ConfigError::new(field, format!("must be a whole number ≥ 0 (got {v:?})"))
        }
    })
}

/// The config with `v` typed in `knob`'s field, if the whole config is still valid (the lab's
/// limits included); else the error naming the field at fault.
pub fn try_knob(
    config: &TrainingConfig,
    knob: Knob,
    v: &str,
) -> Result<TrainingConfig, ConfigError> {
    try_edit(config, |c| knob.set(c, v))
}

/// The config after `f`, if the whole config is still valid.
fn try_edit(
    config: &TrainingConfig,
    f: impl FnOnce(&mut TrainingConfig) -> Result<(), ConfigError>,
) -> Result<TrainingConfig, ConfigError> {
    let mut draft = config.clone();
    f(&mut draft)?;
    // Images in when the stack starts with convolutions, flat pixels otherwise.
    draft.model.input = input_for(&draft.model.layers, draft.model.input);
    draft.validate(None)?;
    Ok(draft)
}

/// What the learner typed in a text field and is not applied yet.
#[derive(Clone, Debug, PartialEq)]
struct Typed {
    knob: Knob,
    text: String,
    /// Why it would be refused, or `None` while it is valid but not yet committed.
    error: Option<String>,
}

/// The typed text of every text field that holds one, by the field's test id.
type TypedTexts = RwSignal<BTreeMap<String, Typed>>;

impl Knob {
    /// Where the field is on the page: layers first (in order), then the training fields,
    /// then the callbacks.
    fn place(self) -> (u8, usize, u8) {
        match self {
            Knob::Units(i) => (0, i, 0),
            Knob::Rate(i) => (0, i, 1),
            Knob::L1(i) => (0, i, 2),
            Knob::L2(i) => (0, i, 3),
            Knob::Filters(i) => (0, i, 4),
            Knob::KernelSize(i) => (0, i, 5),
            Knob::Strides(i) => (0, i, 6),
            Knob::PoolSize(i) => (0, i, 7),
            Knob::PoolStrides(i) => (0, i, 8),
            Knob::Epochs => (1, 0, 0),
            Knob::Subset => (1, 1, 0),
            Knob::BatchSize => (1, 2, 0),
            Knob::LearningRate => (1, 3, 0),
            Knob::ValidationSplit => (1, 4, 0),
            Knob::Seed => (1, 5, 0),
            Knob::Threshold => (1, 6, 0),
            Knob::Patience => (2, 0, 0),
            Knob::MinDelta => (2, 1, 0),
        }
    }
}

/// The fields that hold a refused value, in their order on the page.
fn refused_knobs(typed: &BTreeMap<String, Typed>) -> Vec<Knob> {
    let mut knobs: Vec<Knob> = typed
        .values()
        .filter(|t| t.error.is_some())
        .map(|t| t.knob)
        .collect();
    knobs.sort_by_key(|k| k.place());
    knobs
}

/// Why Train waits while fields hold refused values: "Fix units of layer 2 first", "Fix
/// units of layer 2 and epochs first"; `None` when every field is valid.
pub fn fix_first(knobs: &[Knob]) -> Option<String> {
    let names: Vec<String> = knobs.iter().map(|k| k.label()).collect();
    let list = match names.as_slice() {
        [] => return None,
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    Some(format!("Fix {list} first"))
}

/// A text field of the editor: checked at every keystroke (the message beside it), applied
/// when committed (Enter or leaving it) if valid; a refused value stays as typed.
#[component]
fn KnobInput(
    knob: Knob,
    config: Signal<TrainingConfig>,
    typed: TypedTexts,
    disabled: Signal<bool>,
    on_change: Callback<TrainingConfig>,
    /// `small` inside a layer row.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let key = knob.testid();
    let text = {
        let key = key.clone();
        move || {
            typed
                .with(|m| m.get(&key).map(|t| t.text.clone()))
                .unwrap_or_else(|| config.with(|c| knob.shown(c)))
        }
    };
    let message = {
        let key = key.clone();
        move || typed.with(|m| m.get(&key).and_then(|t| t.error.clone()))
    };
    // The handlers use `try_` accessors and give up when the signals are gone: Chromium
    // fires `blur` (and `change`) on a focused field while it is being removed, after the
    // step's signals are disposed.
    let judge = move |v: &str| config.try_with_untracked(|c| try_knob(c, knob, v));
    let on_input = {
        let key = key.clone();
        move |ev| {
            let text = event_target_value(&ev);
            let Some(verdict) = judge(&text) else { return };
            let error = verdict.err().map(|e| e.to_string());
            typed.try_update(|m| {
                m.insert(key.clone(), Typed { knob, text, error });
            });
        }
    };
    let on_commit = {
        let key = key.clone();
        move |ev| {
            let text = event_target_value(&ev);
            match judge(&text) {
                None => {}
                Some(Ok(c)) => {
                    on_change.run(c);
                    typed.try_update(|m| {
                        m.remove(&key);
                    });
                }
                Some(Err(e)) => {
                    typed.try_update(|m| {
                        let error = Some(e.to_string());
                        m.insert(key.clone(), Typed { knob, text, error });
                    });
                }
            }
        }
    };
    // Leaving a field whose text is valid but was not committed (typed back to the value in
    // force, so no change event): the field shows the config again.
    let on_blur = {
        let key = key.clone();
        move |_| {
            if typed.try_with_untracked(|m| m.get(&key).is_some_and(|t| t.error.is_none()))
                == Some(true)
            {
                typed.try_update(|m| {
                    m.remove(&key);
                });
            }
        }
    };
    let error_id = format!("{key}-error");
    view! {
        <input type="text" class=class data-testid=key prop:value=text
            prop:disabled=move || disabled.get()
            on:input=on_input on:change=on_commit on:blur=on_blur />
        {move || message().map(|e| view! {
            <span class="error" style="max-width: 18rem" data-testid=error_id.clone()>{e}</span>
        })}
    }
}

/// What the decision threshold does, beside its field (binary tasks only).
pub const THRESHOLD_NOTE: &str = "A review counts as positive when the model's probability is \
    above the decision threshold (0.5 by default); raising it trades recall for precision.";

/// Why step 5's optimizer menu cannot be changed.
pub const OPTIMIZER_NOTE: &str = "The optimizer is fixed here: step 5's baseline uses the \
    notebook's optimizer (Adam); step 6 lets you change it.";

/// An edit that is not typed (a select, a checkbox, adding or removing a layer).
type Edit = Box<dyn FnOnce(&mut TrainingConfig) -> Result<(), ConfigError>>;

/// The editor of a step's config. It never writes the config itself: a valid edit goes to
/// `on_change`. A text field's refused value shows its message beside the field and stays as
/// typed; another refused edit's message goes to `on_error` (shown under the editor), and the
/// controls show the config still in force.
#[component]
pub fn ConfigEditor(
    #[prop(into)] config: Signal<TrainingConfig>,
    level: Level,
    #[prop(into)] disabled: Signal<bool>,
    /// The message shown under the editor.
    #[prop(into)]
    error: Signal<Option<String>>,
    #[prop(into)] on_change: Callback<TrainingConfig>,
    #[prop(into)] on_error: Callback<String>,
    /// Receives the fields that hold a refused value (in their order on the page) whenever
    /// that list changes: what Train waits for.
    #[prop(optional, into)]
    on_invalid: Option<Callback<Vec<Knob>>>,
) -> impl IntoView {
    // Re-renders the selects and checkboxes with the values still in force after a refused
    // edit.
    let refresh = Trigger::new();
    let config = Signal::derive(move || {
        refresh.track();
        config.get()
    });
    let typed: TypedTexts = RwSignal::new(BTreeMap::new());
    if let Some(on_invalid) = on_invalid {
        let refused = Memo::new(move |_| typed.with(refused_knobs));
        Effect::new(move |_| on_invalid.run(refused.get()));
    }
    // A committed edit (typed or not) that adds or removes layers moves the rows: what was
    // typed in a row's field no longer belongs to it.
    let on_change = Callback::new(move |c: TrainingConfig| {
        let rows_moved =
            config.with_untracked(|old| old.model.layers.len() != c.model.layers.len());
        if rows_moved {
            typed.update(|m| m.retain(|k, _| !k.starts_with("layer-")));
        }
        on_change.run(c);
    });
    let edit = move |f: Edit| match config.with_untracked(|c| try_edit(c, f)) {
        Ok(c) => on_change.run(c),
        Err(e) => {
            on_error.run(e.to_string());
            refresh.notify();
        }
    };
    let field = move |label: &'static str, knob: Knob| {
        view! {
            <label class="field">
                <span>{label}</span>
                <KnobInput knob config typed disabled on_change />
            </label>
        }
    };
    // Only a binary task (the sigmoid head) has a decision threshold. A memo: the field is not
    // rebuilt (losing the focus) at every committed edit.
    let binary = Memo::new(move |_| config.with(|c| c.model.head == Head::Sigmoid));
    let training = view! {
        <div class="fields">
            {field("epochs", Knob::Epochs)}
            <label class="field">
                <span>{move || if config.with(|c| c.dataset == lab_spec::DatasetKind::Imdb) {
                    "subset (empty: all reviews)"
                } else {
                    "subset (empty: all images)"
                }}</span>
                <KnobInput knob=Knob::Subset config typed disabled on_change />
            </label>
            {field("batch size", Knob::BatchSize)}
            {field("learning rate", Knob::LearningRate)}
            {field("validation split", Knob::ValidationSplit)}
            {field("seed", Knob::Seed)}
            {move || binary.get().then(|| field("decision threshold", Knob::Threshold))}
            <label class="field">
                <span>"optimizer"</span>
                <select
                    data-testid="optimizer"
                    aria-describedby=(level == Level::Baseline).then_some("optimizer-note")
                    title=(level == Level::Baseline).then_some(OPTIMIZER_NOTE)
                    prop:disabled=move || disabled.get() || level == Level::Baseline
                    prop:value=move || config.with(|c| c.optimizer.name().to_string())
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        edit(Box::new(move |c| {
                            let lr = c.optimizer.learning_rate();
                            c.optimizer = match v.as_str() {
                                "sgd" => OptimizerConfig::Sgd { learning_rate: lr, momentum: 0.9, nesterov: false },
                                "rmsprop" => OptimizerConfig::RmsProp { learning_rate: lr, rho: 0.9, momentum: 0.0, epsilon: 1e-7, centered: false },
                                _ => OptimizerConfig::adam(lr),
                            };
                            Ok(())
                        }));
                    }
                >
                    <option value="adam">"Adam"</option>
                    <option value="sgd">"SGD (momentum 0.9)"</option>
                    <option value="rmsprop">"RMSprop"</option>
                </select>
            </label>
        </div>
        {move || binary.get().then(|| view! {
            <p class="hint" data-testid="threshold-note">{THRESHOLD_NOTE}</p>
        })}
        {(level == Level::Baseline).then(|| view! {
            <p class="hint" id="optimizer-note" data-testid="optimizer-note">{OPTIMIZER_NOTE}</p>
        })}
    };
    let layers = (level != Level::Baseline)
        .then(|| view! { <LayersEditor config level disabled typed on_change edit=edit /> });
    // The baseline has no layer editor; a text model still says what its input is.
    let baseline_input = (level == Level::Baseline).then_some(move || {
        config.with(crate::steps::text::features_text).map(|text| {
            view! { <p class="hint model-input" data-testid="model-input">{text}</p> }
        })
    });
    let callbacks = (level == Level::Regularize)
        .then(|| view! { <CallbacksEditor config disabled typed on_change edit=edit /> });
    view! {
        <div class="editor">
            {baseline_input}
            {layers}
            {training}
            {callbacks}
            {move || error.get().map(|e| view! { <p class="error" data-testid="config-error">{e}</p> })}
        </div>
    }
}

#[component]
fn LayersEditor(
    config: Signal<TrainingConfig>,
    level: Level,
    #[prop(into)] disabled: Signal<bool>,
    typed: TypedTexts,
    on_change: Callback<TrainingConfig>,
    edit: impl Fn(Edit) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let input = move |label: &'static str, knob: Knob| {
        view! {
            <label class="inline">{label}<KnobInput knob config typed disabled on_change class="small" /></label>
        }
    };
    // The rows follow the layers' kinds only: a committed value does not rebuild them (which
    // would take the focus from the field being typed in); each field shows its own value.
    let kinds = Memo::new(move |_| {
        config.with(|c| {
            c.model
                .layers
                .iter()
                .map(std::mem::discriminant)
                .collect::<Vec<_>>()
        })
    });
    let rows = move || {
        // Read (not only tracked): a memo is lazy, and only a read keeps it up to date.
        let _ = kinds.get();
        config.with_untracked(|c| c.model.layers.clone()).into_iter().enumerate().map(move |(i, layer)| {
            let remove = move |_| edit(Box::new(move |c: &mut TrainingConfig| {
                if i < c.model.layers.len() {
                    c.model.layers.remove(i);
                }
                Ok(())
            }));
            let reg = move || (level == Level::Regularize).then(|| view! {
                {input("L1 ", Knob::L1(i))}
                {input("L2 ", Knob::L2(i))}
            });
            let body = match layer {
                LayerSpec::Dense { .. } => view! {
                    <span class="layer-kind">"Dense"</span>
                    {input("units ", Knob::Units(i))}
                    <ActivationSelect i config disabled edit />
                    {reg()}
                }.into_any(),
                LayerSpec::Conv2D { .. } => {
                    let padding = move || config.with(|c| match c.model.layers.get(i) {
                        Some(LayerSpec::Conv2D { padding: Padding::Same, .. }) => "same",
                        _ => "valid",
                    });
                    view! {
                        <span class="layer-kind">"Conv2D"</span>
                        {input("filters ", Knob::Filters(i))}
                        {input("kernel ", Knob::KernelSize(i))}
                        {input("strides ", Knob::Strides(i))}
                        <label class="inline">"padding "
                            <select data-testid=format!("layer-{i}-padding") prop:value=padding prop:disabled=move || disabled.get()
                                on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |c| {
                                    let p = match v.as_str() {
                                        "same" => Padding::Same,
                                        "valid" => Padding::Valid,
                                        _ => return Err(ConfigError::new(format!("model.layers[{i}].padding"), format!("unknown padding {v:?}"))),
                                    };
                                    if let Some(LayerSpec::Conv2D { padding, .. }) = c.model.layers.get_mut(i) { *padding = p; }
                                    Ok(())
                                })) }>
                                <option value="valid">"valid"</option>
                                <option value="same">"same"</option>
                            </select>
                        </label>
                        <ActivationSelect i config disabled edit />
                        {reg()}
                    }.into_any()
                }
                LayerSpec::MaxPool2D { .. } => view! {
                    <span class="layer-kind">"MaxPooling2D"</span>
                    {input("pool ", Knob::PoolSize(i))}
                    <label class="inline" title="empty: the pool size">{"strides "}<KnobInput knob=Knob::PoolStrides(i) config typed disabled on_change class="small" /></label>
                }.into_any(),
                LayerSpec::Dropout { .. } => view! {
                    <span class="layer-kind">"Dropout"</span>
                    {input("rate ", Knob::Rate(i))}
                }.into_any(),
                other => view! { <span class="layer-kind">{other.keras_name()}</span> }.into_any(),
            };
            view! {
                <li class="layer" data-testid="layer">
                    {body}
                    <button class="small-button" title="remove this layer" prop:disabled=move || disabled.get() on:click=remove>"✕"</button>
                </li>
            }
        }).collect_view()
    };
    // Each layer goes where the stack stays valid (convolutions before the Flatten).
    let add = move |layer: LayerSpec| {
        move |_| {
            let layer = layer.clone();
            edit(Box::new(move |c: &mut TrainingConfig| {
                add_layer(&mut c.model.layers, layer);
                Ok(())
            }))
        }
    };
    let conv = LayerSpec::Conv2D {
        filters: 32,
        kernel_size: 3,
        strides: 1,
        padding: Padding::Valid,
        activation: Activation::Relu,
        kernel_regularizer: None,
    };
    let pool = LayerSpec::MaxPool2D {
        pool_size: 2,
        strides: None,
    };
    let input = move || {
        config.with(|c| {
            crate::steps::text::features_text(c).unwrap_or_else(|| input_text(c.model.input))
        })
    };
    // Reviews are rows of features, not images: no convolution applies to them.
    let on_features =
        move || config.with(|c| matches!(c.model.input, lab_spec::InputKind::Features(_)));
    let head = move || {
        config.with(|c| match c.model.head {
            lab_spec::Head::Sigmoid => "Layers (a Dense(1, sigmoid) head follows)",
            _ => "Layers (a Dense(10, softmax) head follows)",
        })
    };
    let extra = (level == Level::Regularize).then(|| view! {
        <button data-testid="add-dropout" prop:disabled=move || disabled.get() on:click=add(LayerSpec::Dropout { rate: 0.5 })>"+ Dropout"</button>
        <button data-testid="add-batchnorm" prop:disabled=move || disabled.get() on:click=add(LayerSpec::BatchNorm {})>"+ BatchNorm"</button>
    });
    view! {
        <div class="layers">
            <h4>{head}</h4>
            <p class="hint model-input" data-testid="model-input">{input}</p>
            <ol>{rows}</ol>
            <div class="buttons">
                <button data-testid="add-dense" prop:disabled=move || disabled.get()
                    on:click=add(LayerSpec::Dense { units: 128, activation: Activation::Relu, kernel_regularizer: None })>"+ Dense"</button>
                <button data-testid="add-conv2d" prop:hidden=on_features prop:disabled=move || disabled.get() on:click=add(conv)>"+ Conv2D"</button>
                <button data-testid="add-maxpool2d" prop:hidden=on_features prop:disabled=move || disabled.get() on:click=add(pool)>"+ MaxPooling2D"</button>
                <button data-testid="add-flatten" prop:hidden=on_features prop:disabled=move || disabled.get() on:click=add(LayerSpec::Flatten {})>"+ Flatten"</button>
                {extra}
            </div>
        </div>
    }
}

/// What the model takes in, in the learner's words.
pub fn input_text(input: InputKind) -> String {
    match input {
        InputKind::Image => {
            "Input: each image as 28×28 pixels with 1 channel (a convolution comes \
                             first, so the image keeps its shape)"
                .into()
        }
        InputKind::Flat => "Input: each image flattened to 784 pixels (add a Conv2D to keep its \
                            28×28 shape)"
            .into(),
        #[allow(unreachable_patterns)] // a text task's input, when lab-spec has one
        _ => "Input: the features of each example".into(),
    }
}

/// The activation menu of a Dense or Conv2D layer.
#[component]
fn ActivationSelect(
    i: usize,
    config: Signal<TrainingConfig>,
    #[prop(into)] disabled: Signal<bool>,
    edit: impl Fn(Edit) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let activation = move || {
        config.with(|c| match c.model.layers.get(i) {
            Some(LayerSpec::Dense { activation, .. } | LayerSpec::Conv2D { activation, .. }) => {
                format!("{activation:?}").to_lowercase()
            }
            _ => String::new(),
        })
    };
    let on_change = move |ev| {
        let v = event_target_value(&ev);
        edit(Box::new(move |c| {
            let a = Activation::parse(&v).ok_or_else(|| {
                ConfigError::new(
                    format!("model.layers[{i}].activation"),
                    format!("unknown activation {v:?}"),
                )
            })?;
            if let Some(
                LayerSpec::Dense { activation, .. } | LayerSpec::Conv2D { activation, .. },
            ) = c.model.layers.get_mut(i)
            {
                *activation = a;
            }
            Ok(())
        }))
    };
    view! {
        <label class="inline">"activation "
            <select data-testid=format!("layer-{i}-activation") prop:value=activation
                prop:disabled=move || disabled.get() on:change=on_change>
                <option value="relu">"relu"</option>
                <option value="tanh">"tanh"</option>
                <option value="sigmoid">"sigmoid"</option>
                <option value="linear">"linear"</option>
            </select>
        </label>
    }
}

fn set_reg(c: &mut TrainingConfig, i: usize, l1: Option<f64>, l2: Option<f64>) {
    if let Some(
        LayerSpec::Dense {
            kernel_regularizer, ..
        }
        | LayerSpec::Conv2D {
            kernel_regularizer, ..
        },
    ) = c.model.layers.get_mut(i)
    {
        let mut r = kernel_regularizer.unwrap_or(Regularizer { l1: 0.0, l2: 0.0 });
        if let Some(v) = l1 {
            r.l1 = v;
        }
        if let Some(v) = l2 {
            r.l2 = v;
        }
        *kernel_regularizer = Some(r).filter(Regularizer::is_active);
    }
}

#[component]
fn CallbacksEditor(
    config: Signal<TrainingConfig>,
    #[prop(into)] disabled: Signal<bool>,
    typed: TypedTexts,
    on_change: Callback<TrainingConfig>,
    edit: impl Fn(Edit) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let es_on = Memo::new(move |_| config.with(|c| c.callbacks.early_stopping.is_some()));
    let restore = move || {
        config.with(|c| {
            c.callbacks
                .early_stopping
                .as_ref()
                .is_some_and(|e| e.restore_best_weights)
        })
    };
    let toggle_es = move |_| {
        edit(Box::new(|c: &mut TrainingConfig| {
            c.callbacks.early_stopping = match c.callbacks.early_stopping {
                Some(_) => None,
                None => Some(EarlyStoppingConfig {
                    patience: 3,
                    restore_best_weights: true,
                    ..Default::default()
                }),
            };
            Ok(())
        }))
    };
    let toggle_cp = move |_| {
        edit(Box::new(|c: &mut TrainingConfig| {
            c.callbacks.model_checkpoint = match c.callbacks.model_checkpoint {
                Some(_) => None,
                None => Some(ModelCheckpointConfig::default()),
            };
            Ok(())
        }))
    };
    let input = move |label: &'static str, knob: Knob| {
        view! {
            <label class="inline">{label}<KnobInput knob config typed disabled on_change class="small" /></label>
        }
    };
    let es_fields = move || {
        es_on.get().then(|| view! {
            {input("patience ", Knob::Patience)}
            {input("min_delta ", Knob::MinDelta)}
            <label class="inline"><input type="checkbox" data-testid="restore-best-weights" prop:checked=restore prop:disabled=move || disabled.get()
                on:change=move |_| edit(Box::new(|c| {
                    if let Some(es) = &mut c.callbacks.early_stopping { es.restore_best_weights = !es.restore_best_weights; }
                    Ok(())
                })) />" restore_best_weights"</label>
        })
    };
    view! {
        <div class="callbacks">
            <h4>"Callbacks"</h4>
            <div>
                <label class="inline"><input type="checkbox" data-testid="early-stopping" prop:checked=es_on prop:disabled=move || disabled.get() on:change=toggle_es />" EarlyStopping (monitor val_loss)"</label>
                {es_fields}
            </div>
            <div>
                <label class="inline"><input type="checkbox" data-testid="model-checkpoint" prop:checked=move || config.with(|c| c.callbacks.model_checkpoint.is_some()) prop:disabled=move || disabled.get() on:change=toggle_cp />" ModelCheckpoint (best val_loss, kept in memory)"</label>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::{InputKind, ModelSpec, Padding};

    fn step6() -> TrainingConfig {
        TrainingConfig::new(ModelSpec::mlp(&[256, 128]))
    }

    /// The message a learner sees beside the field after typing `v` in it.
    fn refused(c: &TrainingConfig, knob: Knob, v: &str) -> String {
        try_knob(c, knob, v).unwrap_err().to_string()
    }

    #[test]
    fn out_of_range_values_are_refused_as_typed() {
        let c = step6();
        assert_eq!(
            refused(&c, Knob::LearningRate, "1e308"),
            "optimizer.learning_rate: must be a number in (0, 10] (got 1e308)"
        );
        assert_eq!(
            refused(&c, Knob::Epochs, "1001"),
            "epochs: must be between 1 and 1000 (got 1001)"
        );
        assert_eq!(
            refused(&c, Knob::Units(0), "4294967295"),
            "model.layers[0].units: at most 4096 units fit a browser lab (got 4294967295)"
        );
        assert_eq!(
            refused(&c, Knob::Units(1), "99999999999999999999999"),
            "model.layers[1].units: at most 4096 units fit a browser lab (got 99999999999999999999999)"
        );
        let seed_limit = "must be at most 9007199254740991 (2^53 − 1), the largest whole number \
                          a browser carries exactly";
        assert_eq!(
            refused(&c, Knob::Seed, "18446744073709551615"),
            format!("seed: {seed_limit} (got 18446744073709551615)")
        );
        assert_eq!(
            refused(&c, Knob::Seed, "9007199254740992"),
            format!("seed: {seed_limit} (got 9007199254740992)")
        );
        assert_eq!(
            refused(&c, Knob::Seed, "99999999999999999999999"),
            format!("seed: {seed_limit} (got 99999999999999999999999)")
        );
        assert_eq!(
            refused(&c, Knob::Seed, "-1"),
            "seed: must be a whole number ≥ 0 (got \"-1\")"
        );
        assert_eq!(
            refused(&c, Knob::BatchSize, "abc"),
            "batch_size: must be a whole number ≥ 0 (got \"abc\")"
        );
    }

    #[test]
    fn refused_fields_are_named_in_their_order_on_the_page() {
        let typed = |knob: Knob, error: Option<&str>| Typed {
            knob,
            text: "0".into(),
            error: error.map(String::from),
        };
        let mut m = BTreeMap::new();
        assert_eq!(fix_first(&refused_knobs(&m)), None);
        m.insert(
            Knob::Epochs.testid(),
            typed(Knob::Epochs, Some("epochs: …")),
        );
        m.insert(
            Knob::Units(1).testid(),
            typed(Knob::Units(1), Some("units: …")),
        );
        // Valid but not yet committed: not refused.
        m.insert(Knob::Seed.testid(), typed(Knob::Seed, None));
        let knobs = refused_knobs(&m);
        assert_eq!(knobs, [Knob::Units(1), Knob::Epochs]);
        assert_eq!(
            fix_first(&knobs).as_deref(),
            Some("Fix units of layer 2 and epochs first")
        );
        assert_eq!(
            fix_first(&[Knob::Units(1)]).as_deref(),
            Some("Fix units of layer 2 first")
        );
        assert_eq!(
            fix_first(&[Knob::Rate(2), Knob::BatchSize, Knob::Patience]).as_deref(),
            Some("Fix rate of layer 3, batch size and patience first")
        );
    }

    #[test]
    fn the_subset_field_takes_a_count_or_nothing() {
        let c = step6();
        assert_eq!(Knob::Subset.shown(&c), "");
        let n = try_knob(&c, Knob::Subset, "2000").unwrap();
        assert_eq!(n.subset, Some(2000));
        assert_eq!(Knob::Subset.shown(&n), "2000");
        assert_eq!(try_knob(&n, Knob::Subset, " ").unwrap().subset, None);
        assert_eq!(
            refused(&c, Knob::Subset, "0"),
            "subset: must be at least 1 (got 0)"
        );
        assert_eq!(try_knob(&c, Knob::Subset, "x").unwrap_err().field, "subset");
    }

    #[test]
    fn values_within_the_limits_apply() {
        let c = step6();
        let n = try_knob(&c, Knob::Seed, " 9007199254740991 ").unwrap();
        assert_eq!(n.seed, 9_007_199_254_740_991);
        assert_eq!(try_knob(&c, Knob::Epochs, "1000").unwrap().epochs, 1000);
        let n = try_knob(&c, Knob::Units(1), "4096").unwrap();
        assert_eq!(Knob::Units(1).shown(&n), "4096");
        let n = try_knob(&c, Knob::LearningRate, "0.01").unwrap();
        assert_eq!(Knob::LearningRate.shown(&n), "0.01");
    }

    #[test]
    fn a_model_over_the_budgets_is_refused_at_the_field_typed_in() {
        // 784 → 4096 → 4096 → 4096 → 4096: 53.6 million parameters.
        let c = TrainingConfig::new(ModelSpec::mlp(&[4096, 4096, 4096, 16]));
        let err = try_knob(&c, Knob::Units(3), "4096").unwrap_err();
        assert_eq!(err.field, "model.layers[3].units");
        assert!(
            err.message
                .starts_with("this model has 53,600,266 parameters; the lab allows 50,000,000"),
            "{err}"
        );
        // A wide convolution: fine at batch 32, over the memory budget at 2048.
        let c = TrainingConfig::new(ModelSpec {
            input: InputKind::Image,
            layers: vec![
                LayerSpec::Conv2D {
                    filters: 64,
                    kernel_size: 3,
                    strides: 1,
                    padding: Padding::Same,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
                LayerSpec::Flatten {},
            ],
            head_regularizer: None,
            ..Default::default()
        });
        c.validate(None).unwrap();
        assert_eq!(
            refused(&c, Knob::BatchSize, "2048"),
            "batch_size: this model needs 2.5 GB per batch of 2,048; the lab allows 1 GB — \
             lower batch_size or the layer sizes"
        );
    }

    #[test]
    fn step_5s_optimizer_note_names_the_baselines_optimizer() {
        assert_eq!(crate::presets::baseline().optimizer.name(), "adam");
        assert!(OPTIMIZER_NOTE.contains("(Adam)"));
    }

    #[test]
    fn the_64th_layer_is_the_last() {
        let c = TrainingConfig::new(ModelSpec::mlp(&[8; 64]));
        let err = try_edit(&c, |c| {
            c.model.layers.push(LayerSpec::Dropout { rate: 0.5 });
            Ok(())
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "model.layers: the lab allows at most 64 layers (got 65)"
        );
    }

    #[test]
    fn the_threshold_field_takes_a_probability_strictly_between_0_and_1() {
        let c = lab_spec::binary::imdb_baseline();
        assert_eq!(Knob::Threshold.shown(&c), "0.5");
        let n = try_knob(&c, Knob::Threshold, "0.7").unwrap();
        assert_eq!(n.threshold, 0.7);
        assert_eq!(Knob::Threshold.shown(&n), "0.7");
        for v in ["1.5", "0", "1", "-0.1", "NaN"] {
            let err = try_knob(&c, Knob::Threshold, v).unwrap_err();
            assert_eq!(err.field, "threshold", "{v}");
        }
        assert_eq!(
            refused(&c, Knob::Threshold, "1.5"),
            "threshold: must be between 0 and 1, exclusive (got 1.5)"
        );
        assert_eq!(
            fix_first(&[Knob::Seed, Knob::Threshold]).as_deref(),
            Some("Fix seed and decision threshold first")
        );
    }

    #[test]
    fn every_knob_names_its_field_and_shows_its_value() {
        let mut c = TrainingConfig::new(ModelSpec {
            input: InputKind::Flat,
            layers: vec![
                LayerSpec::Dense {
                    units: 32,
                    activation: Activation::Relu,
                    kernel_regularizer: Some(Regularizer { l1: 0.0, l2: 1e-3 }),
                },
                LayerSpec::Dropout { rate: 0.25 },
            ],
            head_regularizer: None,
            ..Default::default()
        });
        c.callbacks.early_stopping = Some(EarlyStoppingConfig {
            patience: 3,
            ..Default::default()
        });
        let knobs = [
            (Knob::Epochs, "5"),
            (Knob::BatchSize, "32"),
            (Knob::LearningRate, "0.001"),
            (Knob::ValidationSplit, "0.2"),
            (Knob::Seed, "42"),
            (Knob::Units(0), "32"),
            (Knob::Rate(1), "0.25"),
            (Knob::L1(0), "0"),
            (Knob::L2(0), "0.001"),
            (Knob::Patience, "3"),
            (Knob::MinDelta, "0"),
            (Knob::Threshold, "0.5"),
        ];
        for (knob, shown) in knobs {
            assert_eq!(knob.shown(&c), shown, "{knob:?}");
            // The value in force, typed again, is accepted unchanged.
            assert_eq!(try_knob(&c, knob, shown).as_ref(), Ok(&c), "{knob:?}");
            // Garbage is refused naming this knob's field.
            assert_eq!(try_knob(&c, knob, "x").unwrap_err().field, knob.field());
        }
        assert_eq!(Knob::Units(0).testid(), "layer-0-units");
        assert_eq!(Knob::BatchSize.testid(), "batch-size");
    }

    #[test]
    fn conv_and_pool_fields_name_their_field_and_show_their_value() {
        let mut c = TrainingConfig::new(ModelSpec::small_cnn());
        c.model.layers[1] = LayerSpec::MaxPool2D {
            pool_size: 2,
            strides: Some(2),
        };
        let knobs = [
            (Knob::Filters(0), "32"),
            (Knob::KernelSize(0), "3"),
            (Knob::Strides(0), "1"),
            (Knob::PoolSize(1), "2"),
            (Knob::PoolStrides(1), "2"),
            (Knob::Filters(2), "64"),
            (Knob::L2(2), "0"),
        ];
        for (knob, shown) in knobs {
            assert_eq!(knob.shown(&c), shown, "{knob:?}");
            assert_eq!(try_knob(&c, knob, shown).as_ref(), Ok(&c), "{knob:?}");
            assert_eq!(try_knob(&c, knob, "x").unwrap_err().field, knob.field());
        }
        assert_eq!(Knob::KernelSize(2).testid(), "layer-2-kernel-size");
        assert_eq!(Knob::PoolStrides(1).field(), "model.layers[1].strides");
        // An empty pool stride is Keras' `strides=None`: the pool size.
        let n = try_knob(&c, Knob::PoolStrides(1), "").unwrap();
        assert_eq!(
            n.model.layers[1],
            LayerSpec::MaxPool2D {
                pool_size: 2,
                strides: None
            }
        );
        assert_eq!(Knob::PoolStrides(1).shown(&n), "");
        let n = try_knob(&c, Knob::Filters(0), "8").unwrap();
        assert_eq!(n.model.summary().unwrap().rows[0].params, 80);
        // L2 on a convolution (step 7).
        let n = try_knob(&c, Knob::L2(0), "0.001").unwrap();
        assert_eq!(
            n.model.layers[0].kernel_regularizer(),
            Some(Regularizer { l1: 0.0, l2: 0.001 })
        );
    }

    #[test]
    fn impossible_shapes_are_refused_naming_the_layer() {
        let c = TrainingConfig::new(ModelSpec::small_cnn());
        assert_eq!(
            refused(&c, Knob::Filters(0), "0"),
            "model.layers[0].filters: must be between 1 and 512 (got 0)"
        );
        assert_eq!(
            refused(&c, Knob::Filters(0), "99999999999999999999"),
            "model.layers[0].filters: must be between 1 and 512 (got 99999999999999999999)"
        );
        assert_eq!(
            refused(&c, Knob::KernelSize(0), "29"),
            "model.layers[0].kernel_size: must be between 1 and 28 (got 29)"
        );
        // 26×26 after the first convolution, 13×13 after pooling: a 14×14 kernel does not fit.
        assert_eq!(
            refused(&c, Knob::KernelSize(2), "14"),
            "model.layers[2].kernel_size: 14×14 does not fit the 13×13 input with padding \"valid\""
        );
        assert_eq!(
            refused(&c, Knob::Strides(0), "0"),
            "model.layers[0].strides: must be at least 1 (got 0)"
        );
        // conv2d_1 gives 11×11: a 12×12 pool does not fit.
        assert_eq!(
            refused(&c, Knob::PoolSize(3), "12"),
            "model.layers[3].pool_size: must be between 1 and 11 (got 12)"
        );
        // A Conv2D moved after the Flatten (as a loaded config could have it).
        let err = try_edit(&c, |c| {
            let conv = c.model.layers.remove(0);
            c.model.layers.push(conv);
            Ok(())
        })
        .unwrap_err();
        assert!(err.field.starts_with("model.layers["), "{err}");
    }

    #[test]
    fn the_input_follows_the_first_layers() {
        // A Conv2D added to step 6's MLP: images in, a Flatten before the Dense layers.
        let c = TrainingConfig::new(ModelSpec::mlp(&[256, 128]));
        let cnn = try_edit(&c, |c| {
            add_layer(
                &mut c.model.layers,
                LayerSpec::Conv2D {
                    filters: 16,
                    kernel_size: 3,
                    strides: 1,
                    padding: Padding::Same,
                    activation: Activation::Relu,
                    kernel_regularizer: None,
                },
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(cnn.model.input, InputKind::Image);
        let rows = cnn.model.summary().unwrap().rows;
        assert_eq!(rows[0].output_shape.to_string(), "(None, 28, 28, 16)");
        assert_eq!(rows[1].output_shape.to_string(), "(None, 12544)");
        // Removing it again: flat pixels.
        let mlp = try_edit(&cnn, |c| {
            c.model.layers.remove(0);
            Ok(())
        })
        .unwrap();
        assert_eq!(mlp.model.input, InputKind::Flat);
        assert!(input_text(InputKind::Image).contains("28×28"));
        assert!(input_text(InputKind::Flat).contains("784"));
    }
}
