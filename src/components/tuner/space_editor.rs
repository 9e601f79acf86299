//! The search-space editor: one row per hyperparameter (its range edited in place, every
//! form value parsed and named on failure), adding and removing hyperparameters.

use lab_spec::tuning::{HYPERMODEL_NAMES, HpValue, HyperParameter, Sampling, TunerConfig};
use leptos::prelude::*;

/// Parses a form value, naming the field on failure.
pub(super) fn parse<T: std::str::FromStr>(field: &str, v: &str) -> Result<T, String> {
    v.trim()
        .parse::<T>()
        .map_err(|_| format!("{field}: {v:?} is not a valid value"))
}

/// A value typed in a form: an integer, a float, a boolean or else text.
fn parse_value(v: &str) -> HpValue {
    let v = v.trim();
    if let Ok(i) = v.parse::<i64>() {
        HpValue::Int(i)
    } else if let Ok(f) = v.parse::<f64>() {
        HpValue::Float(f)
    } else if v == "true" || v == "false" {
        HpValue::Bool(v == "true")
    } else {
        HpValue::Text(v.to_string())
    }
}

/// A comma-separated list of choices; empty items are skipped.
fn parse_values(v: &str) -> Vec<HpValue> {
    v.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(parse_value)
        .collect()
}

fn value_text(v: &HpValue) -> String {
    match v {
        HpValue::Float(f) => f.to_string(),
        other => other.to_string(),
    }
}

/// A new hyperparameter of the kind picked in the form ("int", "choice", "fixed", "boolean",
/// anything else is a float), with a small default range.
fn new_hyperparameter(name: String, kind: &str) -> HyperParameter {
    match kind {
        "int" => HyperParameter::Int {
            name,
            min_value: 1,
            max_value: 3,
            step: 1,
        },
        "choice" => HyperParameter::Choice {
            name,
            values: vec![HpValue::Int(128), HpValue::Int(256)],
        },
        "fixed" => HyperParameter::Fixed {
            name,
            value: HpValue::Float(0.0),
        },
        "boolean" => HyperParameter::Boolean { name },
        _ => HyperParameter::Float {
            name,
            min_value: 0.0,
            max_value: 0.5,
            step: Some(0.1),
            sampling: Sampling::Linear,
        },
    }
}

/// Applies a form value to a hyperparameter, or says what is wrong with it.
type Edit = Box<dyn Fn(&mut HyperParameter, &str) -> Result<(), String>>;

/// One editable row of the space.
#[component]
fn HpRow(
    config: RwSignal<TunerConfig>,
    index: usize,
    error: RwSignal<Option<String>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let hp = move || config.with(|c| c.hyperparameters.get(index).cloned());
    let edit = move |f: Edit| {
        move |ev: web_sys::Event| {
            let v = event_target_value(&ev);
            let mut result = Ok(());
            config.update(|c| {
                if let Some(h) = c.hyperparameters.get_mut(index) {
                    result = f(h, &v);
                }
            });
            error.set(result.err());
        }
    };
    let field = move |label: &'static str, value: String, f: Edit| {
        let name = hp().map(|h| h.name().to_string()).unwrap_or_default();
        view! {
            <label class="inline">{label}" "
                <input type="text" class="small" data-testid=format!("hp-{name}-{label}") prop:value=value
                    prop:disabled=move || disabled.get() on:change=edit(f) />
            </label>
        }
    };
    move || {
        let h = hp()?;
        let name = h.name().to_string();
        let kind = h.kind();
        let fields = match h.clone() {
            HyperParameter::Int {
                min_value,
                max_value,
                step,
                ..
            } => view! {
                {field("min", min_value.to_string(), Box::new(|h, v| { if let HyperParameter::Int { min_value, name, .. } = h { *min_value = parse(&format!("{name}.min_value"), v)?; } Ok(()) }))}
                {field("max", max_value.to_string(), Box::new(|h, v| { if let HyperParameter::Int { max_value, name, .. } = h { *max_value = parse(&format!("{name}.max_value"), v)?; } Ok(()) }))}
                {field("step", step.to_string(), Box::new(|h, v| { if let HyperParameter::Int { step, name, .. } = h { *step = parse(&format!("{name}.step"), v)?; } Ok(()) }))}
            }
            .into_any(),
            HyperParameter::Float {
                min_value,
                max_value,
                step,
                sampling,
                ..
            } => view! {
                {field("min", min_value.to_string(), Box::new(|h, v| { if let HyperParameter::Float { min_value, name, .. } = h { *min_value = parse(&format!("{name}.min_value"), v)?; } Ok(()) }))}
                {field("max", max_value.to_string(), Box::new(|h, v| { if let HyperParameter::Float { max_value, name, .. } = h { *max_value = parse(&format!("{name}.max_value"), v)?; } Ok(()) }))}
                {field("step", step.map(|s| s.to_string()).unwrap_or_default(), Box::new(|h, v| { if let HyperParameter::Float { step, name, .. } = h { *step = if v.trim().is_empty() { None } else { Some(parse(&format!("{name}.step"), v)?) }; } Ok(()) }))}
                <label class="inline">"sampling "
                    <select data-testid=format!("hp-{name}-sampling") prop:disabled=move || disabled.get() on:change=move |ev| {
                        let log = event_target_value(&ev) == "log";
                        config.update(|c| if let Some(HyperParameter::Float { sampling, .. }) = c.hyperparameters.get_mut(index) {
                            *sampling = if log { Sampling::Log } else { Sampling::Linear };
                        });
                    }>
                        <option value="linear" selected=sampling == Sampling::Linear>"linear"</option>
                        <option value="log" selected=sampling == Sampling::Log>"log"</option>
                    </select>
                </label>
            }
            .into_any(),
            HyperParameter::Choice { values, .. } => {
                let text = values.iter().map(value_text).collect::<Vec<_>>().join(", ");
                field("values", text, Box::new(|h, v| {
                    if let HyperParameter::Choice { values, .. } = h {
                        *values = parse_values(v);
                    }
                    Ok(())
                }))
                .into_any()
            }
            HyperParameter::Boolean { .. } => view! { <span class="muted">"true or false"</span> }.into_any(),
            HyperParameter::Fixed { value, .. } => field("value", value_text(&value), Box::new(|h, v| {
                if let HyperParameter::Fixed { value, .. } = h {
                    *value = parse_value(v);
                }
                Ok(())
            }))
            .into_any(),
        };
        Some(view! {
            <tr data-testid="hp-row">
                <td><code>{name}</code></td>
                <td>{kind}</td>
                <td class="hp-fields">{fields}</td>
                <td><button class="small" title="remove" prop:disabled=move || disabled.get()
                    on:click=move |_| config.update(|c| { if index < c.hyperparameters.len() { c.hyperparameters.remove(index); } })>"×"</button></td>
            </tr>
        })
    }
}

/// The table of the space, the form that adds a hyperparameter, and the reset to the seed's
/// space. Parse errors go to `error`.
#[component]
pub(super) fn SpaceEditor(
    config: RwSignal<TunerConfig>,
    error: RwSignal<Option<String>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let new_name = RwSignal::new(String::new());
    let new_kind = RwSignal::new("float".to_string());
    let add = move |_| {
        let name = new_name.get_untracked().trim().to_string();
        if name.is_empty() {
            error.set(Some(
                "hyperparameters: give the new hyperparameter a name".into(),
            ));
            return;
        }
        let hp = new_hyperparameter(name, &new_kind.get_untracked());
        config.update(|c| c.hyperparameters.push(hp));
        new_name.set(String::new());
    };
    let rows = move || config.with(|c| c.hyperparameters.len());
    view! {
        <table class="space" data-testid="space">
            <thead><tr><th>"name"</th><th>"kind"</th><th>"range"</th><th></th></tr></thead>
            <tbody>
                {move || (0..rows()).map(|index| view! { <HpRow config index error disabled /> }).collect_view()}
            </tbody>
        </table>
        <div class="controls">
            <input type="text" class="small" placeholder="e.g. units_3" prop:value=move || new_name.get()
                prop:disabled=move || disabled.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
            <select prop:disabled=move || disabled.get() on:change=move |ev| new_kind.set(event_target_value(&ev))>
                <option value="float">"Float"</option>
                <option value="int">"Int"</option>
                <option value="choice">"Choice"</option>
                <option value="boolean">"Boolean"</option>
                <option value="fixed">"Fixed"</option>
            </select>
            <button prop:disabled=move || disabled.get() on:click=add>"Add"</button>
            <button prop:disabled=move || disabled.get() on:click=move |_| { config.set(TunerConfig::seed_004()); error.set(None); }>"Reset to seed 004's space"</button>
            <span class="muted">{format!("The model builder reads {HYPERMODEL_NAMES}.")}</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_parse_to_their_kind() {
        assert_eq!(parse_value("128"), HpValue::Int(128));
        assert_eq!(parse_value(" 0.5 "), HpValue::Float(0.5));
        assert_eq!(parse_value("true"), HpValue::Bool(true));
        assert_eq!(parse_value("relu"), HpValue::Text("relu".into()));
        assert!(
            parse::<usize>("factor", "x")
                .unwrap_err()
                .contains("factor")
        );
    }

    #[test]
    fn choices_split_on_commas_and_skip_empty_items() {
        assert_eq!(
            parse_values("128, 0.5,, relu ,"),
            vec![
                HpValue::Int(128),
                HpValue::Float(0.5),
                HpValue::Text("relu".into())
            ]
        );
        assert!(parse_values(" , ").is_empty());
    }

    #[test]
    fn a_float_keeps_its_decimal_point_in_the_form() {
        assert_eq!(value_text(&HpValue::Float(0.5)), "0.5");
        assert_eq!(value_text(&HpValue::Int(3)), HpValue::Int(3).to_string());
    }

    #[test]
    fn a_new_hyperparameter_has_the_picked_kind() {
        let kinds = ["int", "choice", "fixed", "boolean", "float", "other"];
        let made: Vec<HyperParameter> = kinds
            .iter()
            .map(|k| new_hyperparameter(format!("h_{k}"), k))
            .collect();
        assert!(matches!(made[0], HyperParameter::Int { .. }));
        assert!(matches!(made[1], HyperParameter::Choice { .. }));
        assert!(matches!(made[2], HyperParameter::Fixed { .. }));
        assert!(matches!(made[3], HyperParameter::Boolean { .. }));
        assert!(matches!(made[4], HyperParameter::Float { .. }));
        assert!(matches!(made[5], HyperParameter::Float { .. }));
        assert_eq!(made[0].name(), "h_int");
    }
}
