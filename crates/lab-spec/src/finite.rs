//! Numbers that may be NaN or ±Infinity, kept as they are. JSON has no word for them:
//! serde_json writes a non-finite `f64` as `null` and cannot read `null` back into an `f64`, so a
//! session whose loss became NaN could not be restored. With these helpers a non-finite value is
//! written as the string `"NaN"`, `"Infinity"` or `"-Infinity"` (JavaScript's names) and read
//! back as that value; a finite one stays a plain number. `null` is read as NaN, which is what
//! earlier builds wrote for it.
//!
//! Use `#[serde(with = "crate::finite")]` on an `f64`, `crate::finite::option` on an
//! `Option<f64>`, `crate::finite::vec` on a `Vec<f64>` and `crate::finite::pairs` on a
//! `Vec<(f64, f64)>`; [`Number`] is one such value as a type.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One `f64` that (de)serializes through the helpers of this module.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number(pub f64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize(d).map(Number)
    }
}

/// The name of a non-finite value, as JavaScript writes it; `None` for a finite one.
pub fn name(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("Infinity")
    } else if v == f64::NEG_INFINITY {
        Some("-Infinity")
    } else {
        None
    }
}

/// The value a name of [`name`] stands for.
fn parse(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A finite value as a number, a non-finite one as its name.
pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    match name(*v) {
        Some(name) => s.serialize_str(name),
        None => s.serialize_f64(*v),
    }
}

/// A number, one of the names `"NaN"`, `"Infinity"`, `"-Infinity"`, or `null` (NaN).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(NumberVisitor)
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"a number, "NaN", "Infinity" or "-Infinity""#)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }

    /// `null`: what serde_json wrote for a non-finite value before these helpers.
    fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
        Ok(f64::NAN)
    }

    fn visit_none<E: de::Error>(self) -> Result<f64, E> {
        Ok(f64::NAN)
    }
}

/// `Option<f64>`: `None` stays missing (`null`), `Some` goes through [`serialize`].
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_some(&Number(*v)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<Number>::deserialize(d)?.map(|n| n.0))
    }
}

/// `Vec<f64>`, each value through [`serialize`].
pub mod vec {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&v| Number(v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Number>::deserialize(d)?
            .into_iter()
            .map(|n| n.0)
            .collect())
    }
}

/// `Vec<(f64, f64)>`, each value through [`serialize`].
pub mod pairs {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[(f64, f64)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&(a, b)| (Number(a), Number(b))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(f64, f64)>, D::Error> {
        Ok(Vec::<(Number, Number)>::deserialize(d)?
            .into_iter()
            .map(|(a, b)| (a.0, b.0))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    struct Fields {
        #[serde(with = "crate::finite")]
        one: f64,
        #[serde(with = "crate::finite::option")]
        maybe: Option<f64>,
        #[serde(with = "crate::finite::vec")]
        many: Vec<f64>,
        #[serde(with = "crate::finite::pairs")]
        pairs: Vec<(f64, f64)>,
    }

    /// Equal, NaN included (`NaN != NaN`).
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn non_finite_values_are_written_by_name_and_read_back() {
        let fields = Fields {
            one: f64::NAN,
            maybe: Some(f64::NEG_INFINITY),
            many: vec![0.5, f64::INFINITY, f64::NAN, -2.0],
            pairs: vec![(0.25, f64::NAN)],
        };
        let json = serde_json::to_string(&fields).unwrap();
        assert_eq!(
            json,
            r#"{"one":"NaN","maybe":"-Infinity","many":[0.5,"Infinity","NaN",-2.0],"pairs":[[0.25,"NaN"]]}"#
        );
        let back: Fields = serde_json::from_str(&json).unwrap();
        assert!(same(back.one, fields.one));
        assert!(same(back.maybe.unwrap(), f64::NEG_INFINITY));
        assert_eq!(back.many.len(), 4);
        assert!(
            back.many
                .iter()
                .zip(&fields.many)
                .all(|(a, b)| same(*a, *b))
        );
        assert!(same(back.pairs[0].0, 0.25) && back.pairs[0].1.is_nan());
    }

    #[test]
    fn finite_values_stay_plain_numbers_and_integers_are_accepted() {
        let json = r#"{"one":3,"maybe":null,"many":[1,-1.5e300],"pairs":[]}"#;
        let back: Fields = serde_json::from_str(json).unwrap();
        assert_eq!((back.one, back.maybe), (3.0, None));
        assert_eq!(back.many, vec![1.0, -1.5e300]);
        assert_eq!(
            serde_json::to_string(&Number(0.1)).unwrap(),
            "0.1",
            "a finite value is a number"
        );
    }

    #[test]
    fn null_reads_as_nan_and_other_words_are_refused() {
        // What serde_json wrote for NaN before (a session saved by an earlier build).
        let back: Fields =
            serde_json::from_str(r#"{"one":null,"maybe":null,"many":[null],"pairs":[[null,1]]}"#)
                .unwrap();
        assert!(back.one.is_nan() && back.many[0].is_nan() && back.pairs[0].0.is_nan());
        assert_eq!(back.maybe, None, "a missing optional value stays missing");
        let err = serde_json::from_str::<Number>(r#""nan""#).unwrap_err();
        assert!(
            err.to_string().contains(r#"expected a number, "NaN""#),
            "{err}"
        );
    }
}
