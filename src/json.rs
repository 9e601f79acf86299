//! The JSON the page writes and reads: the stored runs and search, a share link's config, the
//! starting configs of steps 5–7, the learner's progress, exported trials and the bench's lines.
//!
//! In the browser this goes through the browser's own `JSON.parse` and `JSON.stringify` and
//! serde-wasm-bindgen, the codec the worker's messages travel in (`protocol`): the page's wasm
//! then holds one deserializer per type, shared by a worker's reply and a stored run (a run's
//! config, epochs and reports are both), and no JSON parser of its own. Natively (the tests, the
//! CLI) it is serde_json. Both write the same JSON for the lab's types and read each other's:
//! maps as plain objects, `None` as `null` (serde-wasm-bindgen's JSON-compatible mode), and NaN
//! and ±Infinity by name where a value may be one (`lab_spec::finite`); runs stored by an
//! earlier build, which wrote them with serde_json, are read as they were.
//!
//! What the page reads may come from a link, so it is first checked for nesting deeper than any
//! JSON of the lab's (the decoder is recursive: a link of 100,000 brackets must be an error, not
//! a stack overflow).

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The deepest nesting of arrays and objects read (serde_json's own limit).
pub const MAX_NESTING: usize = 128;

/// The deepest nesting of arrays and objects in `text`, brackets inside strings not counted.
pub fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The largest integer a double holds exactly (2^53 − 1).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Whether `text` has a run of 16 digits or more: only then may it hold an integer beyond
/// 2^53, which the browser reads through its source text (a slower parse).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn long_digit_run(text: &str) -> bool {
    let mut run = 0;
    text.bytes().any(|b| {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        run >= 16
    })
}

/// `value` as compact JSON.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    imp::to_string(value, false)
}

/// `value` as JSON indented by two spaces (a file the learner downloads).
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    imp::to_string(value, true)
}

/// The value `text` holds, or why it holds none.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    if nesting(text) > MAX_NESTING {
        return Err(format!(
            "nested more than {MAX_NESTING} levels deep (recursion limit exceeded)"
        ));
    }
    imp::from_str(text)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use wasm_bindgen::{JsCast, JsValue};

    /// Plain objects for maps and `null` for `None`, as `JSON.stringify` keeps them; 64-bit
    /// integers as plain numbers (JSON has no `BigInt`: a value above 2^53 is refused, and the
    /// lab's limits keep every one below it).
    const SERIALIZER: serde_wasm_bindgen::Serializer =
        serde_wasm_bindgen::Serializer::json_compatible();

    fn message(e: JsValue) -> String {
        e.dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| "the browser refused it".to_string())
    }

    pub fn to_string<T: Serialize + ?Sized>(value: &T, pretty: bool) -> Result<String, String> {
        let value = value.serialize(&SERIALIZER).map_err(|e| e.to_string())?;
        let text = if pretty {
            js_sys::JSON::stringify_with_replacer_and_space(
                &value,
                &JsValue::NULL,
                &JsValue::from_f64(2.0),
            )
        } else {
            js_sys::JSON::stringify(&value)
        };
        text.map_err(message)?
            .as_string()
            .ok_or_else(|| "the value has no JSON form".to_string())
    }

    #[wasm_bindgen::prelude::wasm_bindgen]
    extern "C" {
        /// `JSON.parse` with a reviver that is given each value's source text.
        #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
        fn parse_with_reviver(text: &str, reviver: &js_sys::Function) -> Result<JsValue, JsValue>;
    }

    /// An integer beyond 2^53 as the `BigInt` its source text says (serde-wasm-bindgen reads a
    /// `u64` from one), not the nearest double: a link's seed of 2^53 must be refused as too
    /// large, not read as another number. Browsers without the source text keep the double,
    /// which serde-wasm-bindgen refuses for a `u64`.
    fn exact_integer(_key: JsValue, value: JsValue, context: JsValue) -> JsValue {
        let big = value
            .as_f64()
            .is_some_and(|v| v.fract() == 0.0 && v.abs() > super::MAX_SAFE_INTEGER);
        if !big {
            return value;
        }
        js_sys::Reflect::get(&context, &JsValue::from_str("source"))
            .ok()
            .and_then(|s| s.as_string())
            .filter(|s| !s.contains(['.', 'e', 'E']))
            .and_then(|s| js_sys::BigInt::new(&JsValue::from_str(&s)).ok())
            .map_or(value, JsValue::from)
    }

    pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
        let value = if super::long_digit_run(text) {
            let reviver = wasm_bindgen::closure::Closure::<
                dyn FnMut(JsValue, JsValue, JsValue) -> JsValue,
            >::new(exact_integer);
            parse_with_reviver(text, reviver.as_ref().unchecked_ref())
        } else {
            js_sys::JSON::parse(text)
        }
        .map_err(message)?;
        crate::protocol::decode(value)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    pub fn to_string<T: Serialize + ?Sized>(value: &T, pretty: bool) -> Result<String, String> {
        if pretty {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        }
        .map_err(|e| e.to_string())
    }

    pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_outside_strings() {
        assert_eq!(nesting(""), 0);
        assert_eq!(nesting("12"), 0);
        assert_eq!(nesting(r#"{"a":[1,{"b":[]}]}"#), 4);
        assert_eq!(nesting(r#"{"a":"[[[{{{"}"#), 1);
        // An escaped quote does not end the string.
        assert_eq!(nesting(r#"["\"[[[", []]"#), 2);
        // Closing more than was opened never underflows.
        assert_eq!(nesting("]]]}[["), 2);
    }

    #[test]
    fn too_deep_a_text_is_an_error_before_it_is_decoded() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = from_str::<Vec<u8>>(&deep).unwrap_err();
        assert!(err.contains("more than 128 levels"), "{err}");
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(from_str::<serde_json::Value>(&ok).is_ok());
    }

    #[test]
    fn long_digit_runs_are_found() {
        assert!(!long_digit_run(r#"{"seed":900719925474099}"#));
        // 2^53 − 1 has 16 digits, as every integer beyond it has more.
        assert!(long_digit_run(r#"{"seed":9007199254740992}"#));
        assert!(long_digit_run("0.30000000000000004"));
        assert!(!long_digit_run("1767225600000.0"));
    }

    #[test]
    fn writes_and_reads_back() {
        let value = vec![(1u32, Some("a".to_string())), (2, None)];
        let text = to_string(&value).unwrap();
        assert_eq!(text, r#"[[1,"a"],[2,null]]"#);
        assert_eq!(
            from_str::<Vec<(u32, Option<String>)>>(&text).unwrap(),
            value
        );
        assert_eq!(to_string_pretty(&[1]).unwrap(), "[\n  1\n]");
    }
}
