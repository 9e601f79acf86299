//! The search-space editor: one row per hyperparameter (its range edited in place, every
//! form value parsed and named on failure), adding and removing hyperparameters.

use lab_spec::DatasetKind;
use lab_spec::tuning::{HpValue, HyperParameter, Hypermodel, Sampling, TunerConfig};
use leptos::prelude::*;

use super::hypermodel_choice::course_search;

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

/// The part of a name that says what the hypermodel does with it: `units_2` → `units`.
fn role(name: &str) -> &str {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    base.strip_suffix('_').unwrap_or(name)
}

/// A new hyperparameter of the kind picked in the form ("int", "choice", "fixed", "boolean",
/// anything else is a float), with a small range the hypermodel accepts for that name: a
/// choice of activations for `activation`, of layer counts for `n_layers`, of unit counts for
/// `units_{i}`, of rates for `lr`, `l2_{i}` and `drop_{i}`; for the CNN, of block counts for
/// `conv_blocks`, of filter counts for `filters_{i}`, of sizes for `kernel_{i}`, of rates for
/// `dropout`, of unit counts for `units`.
fn new_hyperparameter(name: String, kind: &str) -> HyperParameter {
    use HpValue::{Float, Int, Text};
    let role = role(&name).to_string();
    match kind {
        "int" => {
            let (min_value, max_value, step) = match role.as_str() {
                "units" => (32, 512, 32),
                "filters" => (16, 64, 16),
                "kernel" => (3, 5, 2),
                "conv_blocks" => (1, 2, 1),
                _ => (1, 3, 1),
            };
            HyperParameter::Int {
                name,
                min_value,
                max_value,
                step,
            }
        }
        "choice" => {
            let values = match role.as_str() {
                "activation" => vec![Text("relu".into()), Text("tanh".into())],
                "n_layers" => vec![Int(1), Int(2)],
                "lr" => vec![Float(1e-3), Float(1e-4)],
                "l2" => vec![Float(1e-4), Float(1e-3)],
                "drop" | "dropout" => vec![Float(0.0), Float(0.2)],
                "conv_blocks" => vec![Int(1), Int(2)],
                "filters" => vec![Int(16), Int(32)],
                "kernel" => vec![Int(3), Int(5)],
                _ => vec![Int(128), Int(256)],
            };
            HyperParameter::Choice { name, values }
        }
        "fixed" => {
            let value = match role.as_str() {
                "activation" => Text("relu".into()),
                "n_layers" | "conv_blocks" => Int(1),
                "units" => Int(128),
                "filters" => Int(32),
                "kernel" => Int(3),
                "lr" => Float(1e-3),
                "l2" => Float(1e-4),
                _ => Float(0.0),
            };
            HyperParameter::Fixed { name, value }
        }
        "boolean" => HyperParameter::Boolean { name },
        _ => {
            // A count as a float: stepped so that every value is whole.
            let (min_value, max_value, step, sampling) = match role.as_str() {
                "lr" | "l2" => (1e-4, 1e-2, None, Sampling::Log),
                "units" => (32.0, 512.0, Some(32.0), Sampling::Linear),
                "n_layers" => (1.0, 3.0, Some(1.0), Sampling::Linear),
                "conv_blocks" => (1.0, 2.0, Some(1.0), Sampling::Linear),
                "filters" => (16.0, 64.0, Some(16.0), Sampling::Linear),
                "kernel" => (3.0, 5.0, Some(2.0), Sampling::Linear),
                _ => (0.0, 0.5, Some(0.1), Sampling::Linear),
            };
            HyperParameter::Float {
                name,
                min_value,
                max_value,
                step,
                sampling,
            }
        }
    }
}

/// Applies a form value to a hyperparameter, or says what is wrong with it.
type Edit = Box<dyn Fn(&mut HyperParameter, &str) -> Result<(), String>>;

/// The reset button's words: what the course's space is, not where it comes from.
const RESET_LABEL: &str = "Reset to the course's search space (1–3 layers of 128 or 256 units, L2, dropout, learning rate)";

/// The same for the small CNN's space.
const CNN_RESET_LABEL: &str = "Reset to the small CNN's search space (1–2 conv blocks of 16, 32 or 64 filters, 3×3 or 5×5, dropout, 64 or 128 units, learning rate)";

/// The same for the IMDB reviews' space (seed 004's: units 64, 128 or 256).
const IMDB_RESET_LABEL: &str = "Reset to the course's search space for the reviews (1–3 layers of 64, 128 or 256 units, L2, dropout, learning rate)";

/// The reset button's words for the model searched on `dataset`.
fn reset_label(hypermodel: Hypermodel, dataset: DatasetKind) -> &'static str {
    match (hypermodel, dataset) {
        (Hypermodel::Cnn, _) => CNN_RESET_LABEL,
        (Hypermodel::Mlp, DatasetKind::Imdb) => IMDB_RESET_LABEL,
        (Hypermodel::Mlp, DatasetKind::FashionMnist) => RESET_LABEL,
    }
}

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

/// The table of the space, the form that adds a hyperparameter, and the reset to the course's
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
        if config.with_untracked(|c| c.hyperparameters.iter().any(|h| h.name() == name)) {
            error.set(Some(format!(
                "hyperparameters.{name}: the space has it already (edit its row)"
            )));
            return;
        }
        let hp = new_hyperparameter(name, &new_kind.get_untracked());
        config.update(|c| c.hyperparameters.push(hp));
        new_name.set(String::new());
        error.set(None);
    };
    let rows = move || config.with(|c| c.hyperparameters.len());
    view! {
        <div class="table-scroll">
            <table class="space" data-testid="space">
                <thead><tr><th>"name"</th><th>"kind"</th><th>"range"</th><th></th></tr></thead>
                <tbody>
                    {move || (0..rows()).map(|index| view! { <HpRow config index error disabled /> }).collect_view()}
                </tbody>
            </table>
        </div>
        <div class="controls">
            <input type="text" class="small" data-testid="new-hp-name" aria-label="new hyperparameter's name" placeholder="e.g. units_3" prop:value=move || new_name.get()
                prop:disabled=move || disabled.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
            <select data-testid="new-hp-kind" aria-label="its kind" prop:disabled=move || disabled.get() on:change=move |ev| new_kind.set(event_target_value(&ev))>
                <option value="float">"Float"</option>
                <option value="int">"Int"</option>
                <option value="choice">"Choice"</option>
                <option value="boolean">"Boolean"</option>
                <option value="fixed">"Fixed"</option>
            </select>
            <button data-testid="add-hp" prop:disabled=move || disabled.get() on:click=add>"Add"</button>
            <button data-testid="reset-space" prop:disabled=move || disabled.get()
                on:click=move |_| { config.update(|c| *c = course_search(c.hypermodel, c.dataset)); error.set(None); }>
                {move || config.with(|c| reset_label(c.hypermodel, c.dataset))}</button>
            <span class="muted" data-testid="hypermodel-names">{move || format!("The model builder reads {}.", config.with(|c| c.hypermodel.names()))}</span>
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
    fn a_new_hyperparameter_of_any_name_the_hypermodel_reads_starts_valid() {
        let names = [
            "n_layers",
            "units_0",
            "units_3",
            "l2_1",
            "drop_2",
            "lr",
            "activation",
        ];
        for name in names {
            for kind in ["choice", "fixed", "int", "float"] {
                // Numbers make no activation, and rates are not whole numbers.
                let rate = matches!(role(name), "lr" | "l2" | "drop");
                if (name == "activation" && matches!(kind, "int" | "float"))
                    || (rate && kind == "int")
                {
                    continue;
                }
                let mut c = TunerConfig::seed_004();
                c.hyperparameters.retain(|h| h.name() != name);
                c.hyperparameters
                    .push(new_hyperparameter(name.to_string(), kind));
                assert_eq!(c.validate(None), Ok(()), "{kind} {name}");
            }
        }
        assert_eq!(role("units_12"), "units");
        assert_eq!(role("lr"), "lr");
        assert_eq!(role("n_layers"), "n_layers");
    }

    #[test]
    fn a_new_hyperparameter_of_any_name_the_cnn_reads_starts_valid() {
        let names = [
            "conv_blocks",
            "filters_0",
            "filters_1",
            "kernel_0",
            "kernel_1",
            "dropout",
            "units",
            "lr",
        ];
        for name in names {
            for kind in ["choice", "fixed", "int", "float"] {
                if matches!(name, "dropout" | "lr") && kind == "int" {
                    continue;
                }
                let mut c = TunerConfig::small_cnn();
                c.hyperparameters.retain(|h| h.name() != name);
                c.hyperparameters
                    .push(new_hyperparameter(name.to_string(), kind));
                assert_eq!(c.validate(None), Ok(()), "{kind} {name}");
            }
        }
        assert_eq!(role("conv_blocks"), "conv_blocks");
        assert_eq!(role("kernel_1"), "kernel");
        assert_eq!(
            reset_label(Hypermodel::Cnn, DatasetKind::FashionMnist),
            CNN_RESET_LABEL
        );
        assert!(CNN_RESET_LABEL.contains("conv blocks"));
    }

    #[test]
    fn the_reset_says_what_the_space_is() {
        let c = TunerConfig::seed_004();
        let names: Vec<&str> = c.hyperparameters.iter().map(|h| h.name()).collect();
        assert!(names.contains(&"n_layers") && names.contains(&"lr"));
        assert!(names.iter().any(|n| n.starts_with("l2_")));
        assert!(names.iter().any(|n| n.starts_with("drop_")));
        assert!(c.hyperparameters.iter().any(|h| matches!(h,
            HyperParameter::Choice { name, values } if name == "units_0"
                && *values == [HpValue::Int(128), HpValue::Int(256)])));
        assert!(c.hyperparameters.iter().any(|h| matches!(h,
            HyperParameter::Int { name, min_value: 1, max_value: 3, .. } if name == "n_layers")));
        assert!(!RESET_LABEL.contains("seed") && !RESET_LABEL.contains("004"));
        // On the reviews the units are 64, 128 or 256, and the label says so.
        let imdb = TunerConfig::seed_004_imdb();
        assert!(imdb.hyperparameters.iter().any(|h| matches!(h,
            HyperParameter::Choice { name, values } if name == "units_0"
                && *values == [HpValue::Int(64), HpValue::Int(128), HpValue::Int(256)])));
        let label = reset_label(imdb.hypermodel, imdb.dataset);
        assert!(label.contains("64, 128 or 256 units"), "{label}");
        assert_eq!(reset_label(c.hypermodel, c.dataset), RESET_LABEL);
        assert!(RESET_LABEL.contains("128 or 256 units"));
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
