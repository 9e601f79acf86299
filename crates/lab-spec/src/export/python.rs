//! Numbers and strings written the way Python writes them: `repr(float)` (what Keras'
//! CSVLogger and `print(history.history)` show) and Python source literals for the Keras script.

/// Python's `repr()` of a float: the shortest digits that read back as the same value, in
/// fixed notation with at least one decimal (`0.5`, `3.0`, `0.0001`) unless the decimal point
/// is far away (`1e-05`, `1e+16`); `nan`, `inf`, `-inf` for the others.
pub fn repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    if v == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: `d.ddde±x`.
    let sci = format!("{:e}", v.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // The value is 0.d₁d₂… × 10^point (CPython's `decpt`).
    let point = exponent + 1;
    if !(-4 < point && point <= 16) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let e_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{e_sign}{:02}", exponent.abs());
    }
    let n = digits.len() as i32;
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= n {
        format!("{digits}{}.0", "0".repeat((point - n) as usize))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// A float as Python source: `repr` for a finite value, `float("nan")` and the like else.
pub fn float_literal(v: f64) -> String {
    if v.is_finite() {
        repr(v)
    } else {
        format!("float(\"{}\")", repr(v))
    }
}

/// `True` / `False`.
pub fn bool_literal(v: bool) -> &'static str {
    if v { "True" } else { "False" }
}

/// A Python string literal in double quotes.
pub fn str_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_python_prints_them() {
        // Each pair checked against CPython 3.11's repr().
        let cases = [
            (0.001, "0.001"),
            (0.0001, "0.0001"),
            (1e-5, "1e-05"),
            (1e-7, "1e-07"),
            (0.5, "0.5"),
            (3.0, "3.0"),
            (-2.5, "-2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456.789, "123456.789"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (2.5e-300, "2.5e-300"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.8123000264167786, "0.8123000264167786"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (v, want) in cases {
            assert_eq!(repr(v), want, "{v:?}");
        }
        assert_eq!(float_literal(f64::NAN), "float(\"nan\")");
        assert_eq!(float_literal(0.9), "0.9");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(str_literal("a \"b\"\\\n"), r#""a \"b\"\\\n""#);
        assert_eq!(str_literal("x\u{7}"), r#""x\u0007""#);
        assert_eq!(bool_literal(true), "True");
    }
}
