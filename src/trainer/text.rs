//! What the page knows of the IMDB reviews, kept beside the Fashion-MNIST state: the data's
//! state (the same `DataState` the gates of Train and Search read, once IMDB is the chosen
//! data set), its summary (sample reviews), a review's top terms (step 4) and the reviews of
//! a confusion-matrix cell. Plain types and functions, tested natively.

use lab_spec::dataset::DatasetKind;
use lab_spec::text::VectorizerConfig;
use lab_spec::worker::{DataSummary, ReviewTerms, TextSummary};

use super::views::DataState;

/// The lab's own IMDB files, relative to the page.
pub const IMDB_DATA: &str = "./data/imdb/";

/// A review's top terms as step 4 shows them, or why they cannot be had.
#[derive(Clone, Debug, PartialEq)]
pub enum TermsView {
    Asked,
    Ready {
        vectorizer: VectorizerConfig,
        vocabulary: usize,
        review: ReviewTerms,
    },
    Failed(String),
}

/// The test reviews of one confusion-matrix cell of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct CellReviews {
    pub run: u32,
    pub actual: u8,
    pub predicted: u8,
    pub reviews: Vec<ReviewTerms>,
    pub message: Option<String>,
}

/// The page's view of the reviews.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextView {
    /// `None` until the learner chooses IMDB (nothing is downloaded before).
    pub data: Option<DataState>,
    pub summary: Option<TextSummary>,
    pub terms: Option<TermsView>,
    pub cell: Option<CellReviews>,
}

/// The reviews' summary as the data line and the gates read it (counts, baseline, source; no
/// images).
pub fn as_data_summary(s: &TextSummary) -> DataSummary {
    DataSummary {
        train_counts: s.train_counts.clone(),
        test_counts: s.test_counts.clone(),
        naive_baseline_accuracy: s.naive_baseline_accuracy,
        samples: Vec::new(),
        from_cache: s.from_cache,
        source: s.source.clone(),
    }
}

/// The data state of `dataset`: Fashion-MNIST's as it is, IMDB's as `text` has it ("loading"
/// before its first reply).
pub fn data_of(dataset: DatasetKind, fashion: &DataState, text: &TextView) -> DataState {
    match dataset {
        DatasetKind::FashionMnist => fashion.clone(),
        DatasetKind::Imdb => text.data.clone().unwrap_or(DataState::Loading {
            loaded: 0,
            total: 0,
        }),
    }
}

/// Whether choosing `dataset` must ask the worker for the reviews: IMDB, never asked yet or
/// failed (choosing it again retries).
pub fn needs_loading(dataset: DatasetKind, text: &TextView) -> bool {
    dataset == DatasetKind::Imdb && matches!(text.data, None | Some(DataState::Failed(_)))
}

/// "3 of 12 test reviews that are negative predicted as positive:".
pub fn cell_text(shown: usize, count: usize, actual: &str, predicted: &str) -> String {
    match (shown, count) {
        (0, _) => format!("no test reviews that are {actual} predicted as {predicted}"),
        (1, 1) => format!("the one test review that is {actual} predicted as {predicted}:"),
        _ if shown >= count => {
            format!("all {count} test reviews that are {actual} predicted as {predicted}:")
        }
        _ => format!(
            "the first {shown} of {count} test reviews that are {actual} predicted as {predicted}:"
        ),
    }
}

/// A review cut into pieces to show: `(text, highlighted)`, in order, covering all of `text`.
/// Spans out of order, overlapping, out of range or not on character boundaries are skipped.
pub fn highlight(text: &str, spans: &[(u32, u32)]) -> Vec<(String, bool)> {
    let mut spans: Vec<(usize, usize)> = spans
        .iter()
        .map(|&(s, e)| (s as usize, e as usize))
        .collect();
    spans.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for (s, e) in spans {
        if s < at
            || e <= s
            || e > text.len()
            || !text.is_char_boundary(s)
            || !text.is_char_boundary(e)
        {
            continue;
        }
        if s > at {
            out.push((text[at..s].to_string(), false));
        }
        out.push((text[s..e].to_string(), true));
        at = e;
    }
    if at < text.len() {
        out.push((text[at..].to_string(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_cover_the_text_and_skip_bad_spans() {
        let text = "a great film, great";
        let parts = highlight(text, &[(14, 19), (2, 7), (3, 5), (30, 40)]);
        assert_eq!(
            parts,
            [
                ("a ".to_string(), false),
                ("great".to_string(), true),
                (" film, ".to_string(), false),
                ("great".to_string(), true),
            ]
        );
        let joined: String = parts.into_iter().map(|(t, _)| t).collect();
        assert_eq!(joined, text);
        // Inside a multi-byte character: skipped, no panic.
        assert_eq!(highlight("é", &[(1, 2)]), [("é".to_string(), false)]);
    }

    #[test]
    fn imdb_is_loading_until_it_is_asked_and_then_follows_its_replies() {
        let fashion = DataState::Failed("x".into());
        let mut text = TextView::default();
        assert!(needs_loading(DatasetKind::Imdb, &text));
        assert!(!needs_loading(DatasetKind::FashionMnist, &text));
        assert_eq!(data_of(DatasetKind::FashionMnist, &fashion, &text), fashion);
        assert!(matches!(
            data_of(DatasetKind::Imdb, &fashion, &text),
            DataState::Loading { .. }
        ));
        text.data = Some(DataState::Loading {
            loaded: 5,
            total: 10,
        });
        assert!(!needs_loading(DatasetKind::Imdb, &text));
        text.data = Some(DataState::Failed("test.bin.gz: truncated".into()));
        assert!(
            needs_loading(DatasetKind::Imdb, &text),
            "choosing it again retries"
        );
    }

    #[test]
    fn a_cell_says_how_many_reviews_it_shows() {
        assert_eq!(
            cell_text(12, 300, "negative", "positive"),
            "the first 12 of 300 test reviews that are negative predicted as positive:"
        );
        assert_eq!(
            cell_text(3, 3, "positive", "negative"),
            "all 3 test reviews that are positive predicted as negative:"
        );
        assert_eq!(
            cell_text(1, 1, "positive", "negative"),
            "the one test review that is positive predicted as negative:"
        );
    }

    #[test]
    fn the_summary_becomes_a_data_line_without_images() {
        let s = TextSummary {
            train_counts: vec![12_500, 12_500],
            test_counts: vec![12_500, 12_500],
            naive_baseline_accuracy: 0.5,
            samples: Vec::new(),
            mean_words: 230.0,
            median_words: 174,
            from_cache: false,
            source: "this site (data/imdb/)".into(),
        };
        let d = as_data_summary(&s);
        assert_eq!(d.train_counts.iter().sum::<usize>(), 25_000);
        assert!(d.samples.is_empty());
        assert_eq!(d.source, s.source);
    }
}
