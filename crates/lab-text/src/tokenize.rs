//! scikit-learn's default analyzer up to the stop words: the text lowercased as Python's
//! `str.lower()` does, then the tokens of `(?u)\b\w\w+\b` — maximal runs of at least two word
//! characters, a word character being Python's `\w` (`str.isalnum()` or `_`). So "don't" gives
//! "don" (the "t" is a single character), "snake_case" and "2nd" are one token each, and a
//! hyphen or an apostrophe splits.
//!
//! The text is lowercased character by character while it is read, so each token also carries
//! its byte span in the original text (the page highlights terms there).

use crate::word_chars::WORD_RANGES;

/// Whether Python's `re` counts `c` as `\w` (Unicode mode).
pub fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    let cp = c as u32;
    WORD_RANGES
        .binary_search_by(|&(a, b)| {
            if b < cp {
                std::cmp::Ordering::Less
            } else if a > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// How far the capital sigma's context is read on each side (see [`final_sigma`]).
const SIGMA_CONTEXT: usize = 64;

/// Whether the capital sigma at byte `at` of `text` lowercases to the final form "ς": the
/// Unicode Final_Sigma condition, which Python's `str.lower()` and Rust's `str::to_lowercase`
/// both apply. It is read off the standard library's own lowercasing of the sigma with up to
/// [`SIGMA_CONTEXT`] characters around it.
fn final_sigma(text: &str, at: usize) -> bool {
    let mut before: Vec<char> = text[..at].chars().rev().take(SIGMA_CONTEXT).collect();
    before.reverse();
    let before: String = before.into_iter().collect();
    let after: String = text[at + 'Σ'.len_utf8()..]
        .chars()
        .take(SIGMA_CONTEXT)
        .collect();
    let lowered = format!("{before}Σ{after}").to_lowercase();
    lowered
        .get(before.to_lowercase().len()..)
        .is_some_and(|rest| rest.starts_with('ς'))
}

/// The run of word characters being read: its lowercased characters so far, where it began
/// and where its last word character ends, in the original text's bytes.
struct Run<'t> {
    term: &'t mut String,
    chars: usize,
    start: usize,
    end: usize,
}

impl Run<'_> {
    /// Adds a word character of the original character at `at..next`.
    fn push(&mut self, lc: char, at: usize, next: usize) {
        if self.chars == 0 {
            self.start = at;
        }
        self.term.push(lc);
        self.chars += 1;
        self.end = next;
    }

    /// Ends the run: a token when it holds two characters or more.
    fn flush(&mut self, found: &mut impl FnMut(&str, usize, usize)) {
        if self.chars >= 2 {
            found(self.term, self.start, self.end);
        }
        self.term.clear();
        self.chars = 0;
    }
}

/// Reads `text`'s tokens, calling `found(term, start, end)` for each: the lowercased term and
/// the token's byte span in `text`. `term` is a buffer reused from token to token.
pub(crate) fn for_each_token(
    text: &str,
    term: &mut String,
    mut found: impl FnMut(&str, usize, usize),
) {
    term.clear();
    let mut run = Run {
        term,
        chars: 0,
        start: 0,
        end: 0,
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() || b == b'_' {
                run.push(char::from(b.to_ascii_lowercase()), i, i + 1);
            } else {
                run.flush(&mut found);
            }
            i += 1;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        let next = i + c.len_utf8();
        if c == 'Σ' {
            let lc = if final_sigma(text, i) { 'ς' } else { 'σ' };
            run.push(lc, i, next);
        } else {
            for lc in c.to_lowercase() {
                if is_word(lc) {
                    run.push(lc, i, next);
                } else {
                    run.flush(&mut found);
                }
            }
        }
        i = next;
    }
    run.flush(&mut found);
}

/// The byte spans `(start, end)` of `text`'s tokens, in order (stop words included).
pub fn tokens(text: &str) -> impl Iterator<Item = (usize, usize)> {
    let mut spans = Vec::new();
    for_each_token(text, &mut String::new(), |_, s, e| spans.push((s, e)));
    spans.into_iter()
}

/// `text`'s tokens, lowercased, in order (stop words included): what scikit-learn's
/// `build_tokenizer()(doc.lower())` returns.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, &mut String::new(), |t, _, _| out.push(t.to_owned()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        tokens(text).map(|(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn runs_of_two_or_more_word_characters() {
        assert_eq!(
            terms("I don't like it, a B-movie!"),
            ["don", "like", "it", "movie"]
        );
        assert_eq!(
            terms("snake_case __ _a 2nd 42 7 x1"),
            ["snake_case", "__", "_a", "2nd", "42", "x1"]
        );
        assert_eq!(terms("Hello   WORLD\n\tTabs"), ["hello", "world", "tabs"]);
        assert!(terms("").is_empty());
        assert!(terms("a b c ! ?").is_empty());
    }

    #[test]
    fn unicode_follows_python() {
        // Accented letters are word characters; Python lowercases them.
        assert_eq!(terms("CAFÉ Ünïcödé naïve"), ["café", "ünïcödé", "naïve"]);
        // A combining accent is not \w in Python: "cafe\u{301}" splits after "cafe".
        assert_eq!(terms("cafe\u{301}s"), ["cafe"]);
        // Curly apostrophes and dashes split; CJK and superscript digits are word characters.
        assert_eq!(terms("don’t — 映画 x² ½"), ["don", "映画", "x²"]);
        // İ lowercases to "i" + a combining dot, which is not \w.
        assert_eq!(terms("İstanbul"), ["stanbul"]);
        assert_eq!(spans("İstanbul"), ["stanbul"]);
        // Final sigma as Python: 'ΟΔΥΣΣΕΥΣ ΣΑ'.lower() == 'οδυσσευς σα'.
        assert_eq!(terms("ΟΔΥΣΣΕΥΣ ΣΑ"), ["οδυσσευς", "σα"]);
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let text = "Großartig! It's ÉPIC_1 …";
        assert_eq!(spans(text), ["Großartig", "It", "ÉPIC_1"]);
        assert_eq!(terms(text), ["großartig", "it", "épic_1"]);
        assert!(tokens(text).all(|(s, e)| text.is_char_boundary(s) && text.is_char_boundary(e)));
    }

    #[test]
    fn word_table_agrees_with_python_on_samples() {
        for c in [
            'a', 'Z', '0', '_', 'é', 'ß', 'Ω', 'я', '映', '²', '½', 'Ⅻ', '٣',
        ] {
            assert!(is_word(c), "{c}");
        }
        for c in [' ', '-', '\'', '’', '\u{301}', '…', '€', '\u{a0}', 'Ⓐ'] {
            assert!(!is_word(c), "{c:?}");
        }
    }
}
