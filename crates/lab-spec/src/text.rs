//! How reviews become numbers (step 4 on IMDB): scikit-learn's `TfidfVectorizer` /
//! `CountVectorizer` settings as plain data. The vectorizer itself is in `lab-text`.

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// The most features a browser lab allows (a dense batch of 512 × 50,000 floats is 100 MB).
pub const MAX_FEATURES_LIMIT: usize = 50_000;

/// Which stop words are dropped before counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StopWords {
    /// scikit-learn's `stop_words='english'` list.
    #[default]
    English,
    /// Keep every word.
    None,
}

/// What each feature holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Weighting {
    /// `TfidfVectorizer`: counts × smooth idf, each row l2-normalised.
    #[default]
    Tfidf,
    /// `CountVectorizer`: raw counts.
    Counts,
}

/// scikit-learn's vectorizer settings that the lab exposes; the rest are its defaults
/// (lowercase, token pattern `(?u)\b\w\w+\b`, smooth idf, l2 norm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorizerConfig {
    /// Keep the `max_features` words most frequent in the training reviews.
    pub max_features: usize,
    #[serde(default)]
    pub stop_words: StopWords,
    #[serde(default)]
    pub weighting: Weighting,
}

impl Default for VectorizerConfig {
    /// Seed 004's: `TfidfVectorizer(max_features=10000, stop_words='english')`.
    fn default() -> Self {
        Self {
            max_features: 10_000,
            stop_words: StopWords::English,
            weighting: Weighting::Tfidf,
        }
    }
}

impl VectorizerConfig {
    /// Checks the settings; an error names the field (`vectorizer.max_features`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_features == 0 || self.max_features > MAX_FEATURES_LIMIT {
            return Err(ConfigError::new(
                "vectorizer.max_features",
                format!(
                    "must be between 1 and {MAX_FEATURES_LIMIT} (got {})",
                    self.max_features
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_seed_004s_and_round_trips() {
        let c = VectorizerConfig::default();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"max_features":10000,"stop_words":"english","weighting":"tfidf"}"#
        );
        assert_eq!(serde_json::from_str::<VectorizerConfig>(&json).unwrap(), c);
        let short: VectorizerConfig = serde_json::from_str(r#"{"max_features":5}"#).unwrap();
        assert_eq!(short.stop_words, StopWords::English);
    }

    #[test]
    fn max_features_is_bounded_and_named() {
        let mut c = VectorizerConfig {
            max_features: 0,
            ..VectorizerConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().field, "vectorizer.max_features");
        c.max_features = MAX_FEATURES_LIMIT + 1;
        assert!(c.validate().is_err());
        c.max_features = 1;
        assert!(c.validate().is_ok());
    }
}
