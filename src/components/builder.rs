//! The config editor: model layers, optimizer, learning rate, batch size, epochs, and (step 7)
//! the callbacks. Every edit is parsed and validated before it is applied; an invalid value is
//! refused with a message naming the field, and the config stays as it was.

use lab_spec::{
    Activation, ConfigError, EarlyStoppingConfig, LayerSpec, ModelCheckpointConfig,
    OptimizerConfig, Regularizer, TrainingConfig,
};
use leptos::prelude::*;

/// Which parts of the config a step lets the learner edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Step 5: training knobs only, the model is the baseline.
    Baseline,
    /// Step 6: Dense layers, optimizer.
    ScaleUp,
    /// Step 7: plus Dropout, L1/L2, BatchNorm and callbacks.
    Regularize,
}

fn parse<T: std::str::FromStr>(field: &str, v: &str) -> Result<T, ConfigError> {
    v.trim()
        .parse::<T>()
        .map_err(|_| ConfigError::new(field, format!("{v:?} is not a valid number")))
}

/// The editor of a step's config. It never writes the config itself: a valid edit goes to
/// `on_change`, a refused one's message to `on_error` (and the inputs show the values still
/// in force again).
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
) -> impl IntoView {
    // Re-renders the inputs with the values still in force after a refused edit.
    let refresh = Trigger::new();
    let config = Signal::derive(move || {
        refresh.track();
        config.get()
    });
    // Applies an edit to a copy; keeps it only if the whole config is still valid.
    let edit = move |f: Edit| {
        let mut draft = config.get_untracked();
        match f(&mut draft).and_then(|_| draft.validate(None)) {
            Ok(()) => on_change.run(draft),
            Err(e) => {
                on_error.run(e.to_string());
                refresh.notify();
            }
        }
    };
    let field =
        move |label: &'static str,
              testid: &'static str,
              get: fn(&TrainingConfig) -> String,
              set: fn(&mut TrainingConfig, &str) -> Result<(), ConfigError>| {
            view! {
                <label class="field">
                    <span>{label}</span>
                    <input
                        type="text"
                        data-testid=testid
                        prop:value=move || config.with(get)
                        prop:disabled=move || disabled.get()
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            edit(Box::new(move |c| set(c, &v)));
                        }
                    />
                </label>
            }
        };
    let training = view! {
        <div class="fields">
            {field("epochs", "epochs", |c| c.epochs.to_string(), |c, v| {
                c.epochs = parse("epochs", v)?;
                Ok(())
            })}
            {field("batch size", "batch-size", |c| c.batch_size.to_string(), |c, v| {
                c.batch_size = parse("batch_size", v)?;
                Ok(())
            })}
            {field("learning rate", "learning-rate", |c| c.optimizer.learning_rate().to_string(), |c, v| {
                let lr: f64 = parse("optimizer.learning_rate", v)?;
                match &mut c.optimizer {
                    OptimizerConfig::Sgd { learning_rate, .. }
                    | OptimizerConfig::Adam { learning_rate, .. }
                    | OptimizerConfig::RmsProp { learning_rate, .. } => *learning_rate = lr,
                }
                Ok(())
            })}
            {field("validation split", "validation-split", |c| c.validation_split.to_string(), |c, v| {
                c.validation_split = parse("validation_split", v)?;
                Ok(())
            })}
            {field("seed", "seed", |c| c.seed.to_string(), |c, v| {
                c.seed = parse("seed", v)?;
                Ok(())
            })}
            <label class="field">
                <span>"optimizer"</span>
                <select
                    data-testid="optimizer"
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
    };
    let layers = (level != Level::Baseline)
        .then(|| view! { <LayersEditor config level disabled edit=edit /> });
    let callbacks = (level == Level::Regularize)
        .then(|| view! { <CallbacksEditor config disabled edit=edit /> });
    view! {
        <div class="editor">
            {layers}
            {training}
            {callbacks}
            {move || error.get().map(|e| view! { <p class="error" data-testid="config-error">{e}</p> })}
        </div>
    }
}

type Edit = Box<dyn FnOnce(&mut TrainingConfig) -> Result<(), ConfigError>>;

#[component]
fn LayersEditor(
    config: Signal<TrainingConfig>,
    level: Level,
    #[prop(into)] disabled: Signal<bool>,
    edit: impl Fn(Edit) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let rows = move || {
        config.with(|c| c.model.layers.clone()).into_iter().enumerate().map(move |(i, layer)| {
            let remove = move |_| edit(Box::new(move |c: &mut TrainingConfig| {
                if i < c.model.layers.len() {
                    c.model.layers.remove(i);
                }
                Ok(())
            }));
            let body = match layer {
                LayerSpec::Dense { units, activation, kernel_regularizer } => {
                    let r = kernel_regularizer.unwrap_or_default();
                    let reg = (level == Level::Regularize).then(|| view! {
                        <label class="inline">"L1 "<input type="text" class="small" data-testid=format!("layer-{i}-l1") prop:value=r.l1.to_string() prop:disabled=move || disabled.get()
                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |c| set_reg(c, i, Some(parse(&format!("model.layers[{i}].kernel_regularizer.l1"), &v)?), None))) } /></label>
                        <label class="inline">"L2 "<input type="text" class="small" data-testid=format!("layer-{i}-l2") prop:value=r.l2.to_string() prop:disabled=move || disabled.get()
                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |c| set_reg(c, i, None, Some(parse(&format!("model.layers[{i}].kernel_regularizer.l2"), &v)?)))) } /></label>
                    });
                    view! {
                        <span class="layer-kind">"Dense"</span>
                        <label class="inline">"units "<input type="text" class="small" data-testid=format!("layer-{i}-units") prop:value=units.to_string() prop:disabled=move || disabled.get()
                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |c| {
                                let n: usize = parse(&format!("model.layers[{i}].units"), &v)?;
                                if let Some(LayerSpec::Dense { units, .. }) = c.model.layers.get_mut(i) { *units = n; }
                                Ok(())
                            })) } /></label>
                        <label class="inline">"activation "
                            <select prop:value=format!("{activation:?}").to_lowercase() prop:disabled=move || disabled.get()
                                on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |c| {
                                    let a: Activation = serde_json::from_str(&serde_json::to_string(&v).unwrap_or_default())
                                        .map_err(|_| ConfigError::new(format!("model.layers[{i}].activation"), format!("unknown activation {v:?}")))?;
                                    if let Some(LayerSpec::Dense { activation, .. }) = c.model.layers.get_mut(i) { *activation = a; }
                                    Ok(())
                                })) }>
                                <option value="relu">"relu"</option>
                                <option value="tanh">"tanh"</option>
                                <option value="sigmoid">"sigmoid"</option>
                                <option value="linear">"linear"</option>
                            </select>
                        </label>
                        {reg}
                    }.into_any()
                }
                LayerSpec::Dropout { rate } => view! {
                    <span class="layer-kind">"Dropout"</span>
                    <label class="inline">"rate "<input type="text" class="small" data-testid=format!("layer-{i}-rate") prop:value=rate.to_string() prop:disabled=move || disabled.get()
                        on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |c| {
                            let r: f64 = parse(&format!("model.layers[{i}].rate"), &v)?;
                            if let Some(LayerSpec::Dropout { rate }) = c.model.layers.get_mut(i) { *rate = r; }
                            Ok(())
                        })) } /></label>
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
    let add = move |layer: LayerSpec| {
        move |_| {
            let layer = layer.clone();
            edit(Box::new(move |c: &mut TrainingConfig| {
                c.model.layers.push(layer);
                Ok(())
            }))
        }
    };
    let extra = (level == Level::Regularize).then(|| view! {
        <button data-testid="add-dropout" prop:disabled=move || disabled.get() on:click=add(LayerSpec::Dropout { rate: 0.5 })>"+ Dropout"</button>
        <button data-testid="add-batchnorm" prop:disabled=move || disabled.get() on:click=add(LayerSpec::BatchNorm {})>"+ BatchNorm"</button>
    });
    view! {
        <div class="layers">
            <h4>"Layers (a Dense(10, softmax) head follows)"</h4>
            <ol>{rows}</ol>
            <div class="buttons">
                <button data-testid="add-dense" prop:disabled=move || disabled.get()
                    on:click=add(LayerSpec::Dense { units: 128, activation: Activation::Relu, kernel_regularizer: None })>"+ Dense"</button>
                {extra}
            </div>
        </div>
    }
}

fn set_reg(
    c: &mut TrainingConfig,
    i: usize,
    l1: Option<f64>,
    l2: Option<f64>,
) -> Result<(), ConfigError> {
    if let Some(LayerSpec::Dense {
        kernel_regularizer, ..
    }) = c.model.layers.get_mut(i)
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
    Ok(())
}

#[component]
fn CallbacksEditor(
    config: Signal<TrainingConfig>,
    #[prop(into)] disabled: Signal<bool>,
    edit: impl Fn(Edit) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let es_on = move || config.with(|c| c.callbacks.early_stopping.is_some());
    let es = move || config.with(|c| c.callbacks.early_stopping.clone().unwrap_or_default());
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
    let es_fields = move || {
        es_on().then(|| {
        let e = es();
        view! {
            <label class="inline">"patience "<input type="text" class="small" data-testid="patience" prop:value=e.patience.to_string() prop:disabled=move || disabled.get()
                on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |c| {
                    let p: usize = parse("callbacks.early_stopping.patience", &v)?;
                    if let Some(es) = &mut c.callbacks.early_stopping { es.patience = p; }
                    Ok(())
                })) } /></label>
            <label class="inline">"min_delta "<input type="text" class="small" data-testid="min-delta" prop:value=e.min_delta.to_string() prop:disabled=move || disabled.get()
                on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |c| {
                    let d: f64 = parse("callbacks.early_stopping.min_delta", &v)?;
                    if let Some(es) = &mut c.callbacks.early_stopping { es.min_delta = d; }
                    Ok(())
                })) } /></label>
            <label class="inline"><input type="checkbox" data-testid="restore-best-weights" prop:checked=e.restore_best_weights prop:disabled=move || disabled.get()
                on:change=move |_| edit(Box::new(|c| {
                    if let Some(es) = &mut c.callbacks.early_stopping { es.restore_best_weights = !es.restore_best_weights; }
                    Ok(())
                })) />" restore_best_weights"</label>
        }
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
