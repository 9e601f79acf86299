//! The page's logic as plain types, tested natively: routes and URL parameters, the config
//! codec of share links, the order of picked data files, chart markers, progress text.
//! (The exercise checks are in `exercises.rs`.)

use base64::Engine;
use lab_spec::dataset::FILE_NAMES;
use lab_spec::worker::BackendChoice;
use lab_spec::{ConfigError, DatasetKind, EpochLogs, TrainingConfig};

/// `#/step/5?subset=2000&epochs=2` → step 5 and its parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Route {
    /// `#/bench`: the benchmark page (not in the navigation).
    pub bench: bool,
    pub step: u8,
    pub params: Vec<(String, String)>,
}

impl Route {
    pub fn parse(hash: &str) -> Route {
        let hash = hash.trim_start_matches('#');
        let (path, query) = hash.split_once('?').unwrap_or((hash, ""));
        let step = path
            .trim_start_matches('/')
            .strip_prefix("step/")
            .and_then(|s| s.trim_end_matches('/').parse::<u8>().ok())
            .filter(|s| (1..=8).contains(s))
            .unwrap_or(1);
        let params = query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        let bench = path.trim_matches('/') == "bench";
        Route {
            bench,
            step,
            params,
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The hash for this route.
    pub fn to_hash(&self) -> String {
        let mut s = if self.bench {
            "#/bench".to_string()
        } else {
            format!("#/step/{}", self.step)
        };
        for (i, (k, v)) in self.params.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(&percent_encode(k));
            s.push('=');
            s.push_str(&percent_encode(v));
        }
        s
    }

    /// The same route with `key` set to `value` (or removed when `None`).
    pub fn with(&self, key: &str, value: Option<String>) -> Route {
        let mut r = self.clone();
        r.params.retain(|(k, _)| k != key);
        if let Some(v) = value {
            r.params.push((key.to_string(), v));
        }
        r
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Bytes, not a slice of the str: `%a` before a multi-byte character is no escape
        // (slicing there would split the character and panic).
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A config as a URL-safe token (base64url of its JSON).
pub fn encode_config(config: &TrainingConfig) -> String {
    let json = crate::json::to_string(config).expect("a config always serializes");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The config of a share link, valid and within the lab's limits; the message names what is
/// wrong (a link's field as `cfg.<field>`). It never panics, whatever the token.
pub fn decode_config(token: &str) -> Result<TrainingConfig, ConfigError> {
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| ConfigError::new("cfg", "the link's config is not valid base64url"))?;
    let json = String::from_utf8(json)
        .map_err(|_| ConfigError::new("cfg", "the link's config is not valid UTF-8 JSON"))?;
    let config = crate::json::from_str::<TrainingConfig>(&json)
        .map_err(|e| ConfigError::new("cfg", format!("the link's config is invalid: {e}")))?;
    config
        .validate(None)
        .map_err(|e| ConfigError::new(format!("cfg.{}", e.field), e.message))?;
    Ok(config)
}

/// What the URL asks of a step's run: quick-run overrides and the backend.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UrlOverrides {
    pub config: Option<TrainingConfig>,
    pub subset: Option<usize>,
    pub epochs: Option<usize>,
    pub backend: Option<BackendChoice>,
    /// `dataset=fashion-mnist|imdb`: the data set the lab works on.
    pub dataset: Option<DatasetKind>,
}

/// A data set's name for the learner.
pub fn dataset_title(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::FashionMnist => "Fashion-MNIST images",
        DatasetKind::Imdb => "IMDB movie reviews",
    }
}

/// Reads a `dataset` value; the message lists the two there are.
pub fn parse_dataset(value: &str) -> Result<DatasetKind, ConfigError> {
    match value {
        "fashion-mnist" => Ok(DatasetKind::FashionMnist),
        "imdb" => Ok(DatasetKind::Imdb),
        _ => Err(ConfigError::new(
            "dataset",
            format!("must be fashion-mnist or imdb (got {value:?})"),
        )),
    }
}

/// Reads `cfg`, `subset`, `epochs`, `backend` and `dataset`; an invalid value is refused with
/// a message naming the field, and nothing else is taken from the URL then. A link's `cfg`
/// says its own data set, which `dataset` (when given) must agree with.
pub fn url_overrides(route: &Route) -> Result<UrlOverrides, ConfigError> {
    let mut o = UrlOverrides::default();
    if let Some(d) = route.get("dataset") {
        o.dataset = Some(parse_dataset(d)?);
    }
    if let Some(t) = route.get("cfg") {
        let config = decode_config(t)?;
        match o.dataset {
            Some(d) if d != config.dataset => {
                return Err(ConfigError::new(
                    "cfg.dataset",
                    format!(
                        "the link's config is for {} but the link says dataset={}",
                        config.dataset.name(),
                        d.name()
                    ),
                ));
            }
            _ => o.dataset = Some(config.dataset),
        }
        o.config = Some(config);
    }
    let positive = |key: &str| -> Result<Option<usize>, ConfigError> {
        match route.get(key) {
            None => Ok(None),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(ConfigError::new(
                    key,
                    format!("must be a whole number ≥ 1 (got {v:?})"),
                )),
            },
        }
    };
    o.subset = positive("subset")?;
    o.epochs = positive("epochs")?;
    if let Some(e) = o.epochs
        && e > 1000
    {
        return Err(ConfigError::new(
            "epochs",
            format!("must be between 1 and 1000 (got {e})"),
        ));
    }
    if let Some(b) = route.get("backend") {
        o.backend = Some(BackendChoice::parse(b).ok_or_else(|| {
            ConfigError::new(
                "backend",
                format!("must be webgpu, cpu or auto (got {b:?})"),
            )
        })?);
    }
    Ok(o)
}

impl UrlOverrides {
    /// Applies the quick-run overrides to a step's config and validates the result.
    pub fn apply(&self, base: &TrainingConfig) -> Result<TrainingConfig, ConfigError> {
        let mut c = self.config.clone().unwrap_or_else(|| base.clone());
        if let Some(s) = self.subset {
            c.subset = Some(s);
        }
        if let Some(e) = self.epochs {
            c.epochs = e;
        }
        c.validate(None)?;
        Ok(c)
    }

    /// Only the quick-run part (subset, epochs): what every run of a step gets. The link's
    /// config is left out, since it becomes the step's config, which the learner then edits.
    pub fn quick_run(&self) -> UrlOverrides {
        UrlOverrides {
            subset: self.subset,
            epochs: self.epochs,
            ..UrlOverrides::default()
        }
    }
}

/// For each official data file (in `FILE_NAMES` order), the index of the picked file with its
/// name, gzipped or not; the message names the first one missing.
pub fn data_file_order(picked: &[String]) -> Result<Vec<usize>, String> {
    FILE_NAMES
        .iter()
        .map(|name| {
            let plain = name.trim_end_matches(".gz");
            picked
                .iter()
                .position(|p| p == name || p == plain)
                .ok_or_else(|| format!("{name} (or {plain}) was not among the picked files"))
        })
        .collect()
}

/// The epoch (1-based) with the lowest val_loss.
pub fn best_epoch(epochs: &[EpochLogs]) -> Option<usize> {
    epochs
        .iter()
        .filter_map(|e| e.val_loss.map(|v| (e.epoch, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(e, _)| e)
}

/// Where validation loss starts to rise for good: the first epoch after the best one, if the
/// run went on past the best epoch and the loss ended above it.
pub fn overfit_start(epochs: &[EpochLogs]) -> Option<usize> {
    let best = best_epoch(epochs)?;
    let last = epochs.last()?;
    (last.epoch > best).then_some(best + 1)
}

/// "3 s", "1 min 05 s".
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "–".into();
    }
    let s = seconds.round() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// Batches a run trains before its pace is taken: the first ones also pay for the set-up
/// (data, the model, WebGPU's kernels) and would make the estimate far too long.
pub const PACE_AFTER_BATCHES: usize = 3;

/// Where a run's pace is measured from: the first progress seen after its first
/// [`PACE_AFTER_BATCHES`] batches (its time in ms and the run's batch count then).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaceMark {
    pub run: u32,
    pub at_ms: f64,
    pub batch: usize,
}

/// What the ETA says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Eta {
    /// The run's own pace is not measured yet.
    Estimating,
    /// Seconds left.
    Left(f64),
}

impl Eta {
    pub fn text(self) -> String {
        match self {
            Eta::Estimating => "estimating…".into(),
            Eta::Left(s) => format_duration(s),
        }
    }
}

/// Seconds left of run `run`, from the pace of its own batches since `mark` (set here at the
/// first progress after [`PACE_AFTER_BATCHES`] batches; a mark of another run is replaced).
/// The pace includes the validation between epochs; it is `epochs` epochs of `p.batches`.
pub fn eta(
    mark: &mut Option<PaceMark>,
    run: u32,
    now_ms: f64,
    p: &lab_spec::BatchProgress,
    epochs: usize,
) -> Eta {
    let done = p.epoch.saturating_sub(1) * p.batches + p.batch;
    let total = epochs.max(p.epoch) * p.batches;
    if mark.is_some_and(|m| m.run != run || m.batch > done) {
        *mark = None;
    }
    let Some(m) = *mark else {
        if done >= PACE_AFTER_BATCHES.min(total) {
            *mark = Some(PaceMark {
                run,
                at_ms: now_ms,
                batch: done,
            });
        }
        return Eta::Estimating;
    };
    let (batches, ms) = (done - m.batch, now_ms - m.at_ms);
    if batches == 0 || ms <= 0.0 {
        return Eta::Estimating;
    }
    Eta::Left(ms / 1000.0 / batches as f64 * total.saturating_sub(done) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_spec::ModelSpec;

    fn logs(epoch: usize, loss: f64, val_loss: f64) -> EpochLogs {
        EpochLogs {
            epoch,
            loss,
            accuracy: 0.5,
            val_loss: Some(val_loss),
            val_accuracy: Some(0.5),
            lr: 0.001,
            regularization_loss: 0.0,
            seconds: 1.0,
        }
    }

    #[test]
    fn routes_parse_and_round_trip() {
        let r = Route::parse("#/step/5?subset=2000&epochs=2&backend=webgpu");
        assert_eq!(r.step, 5);
        assert_eq!(r.get("subset"), Some("2000"));
        assert_eq!(Route::parse(&r.to_hash()), r);
        assert_eq!(Route::parse("").step, 1);
        assert_eq!(Route::parse("#/step/42").step, 1);
        let r2 = r.with("epochs", Some("3".into())).with("subset", None);
        assert_eq!(r2.get("epochs"), Some("3"));
        assert_eq!(r2.get("subset"), None);
    }

    #[test]
    fn share_links_round_trip_and_refuse_garbage() {
        let mut c = TrainingConfig::new(ModelSpec::mlp(&[64]));
        c.epochs = 7;
        let r = Route::default().with("cfg", Some(encode_config(&c)));
        let back = Route::parse(&r.to_hash());
        assert_eq!(url_overrides(&back).unwrap().config, Some(c));
        assert_eq!(decode_config("!!!").unwrap_err().field, "cfg");
        let bad = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"model": {}, "epochs": "x"}"#);
        assert_eq!(decode_config(&bad).unwrap_err().field, "cfg");
    }

    #[test]
    fn invalid_url_values_name_the_field() {
        let err = |h: &str| url_overrides(&Route::parse(h)).unwrap_err().field;
        assert_eq!(err("#/step/5?subset=abc"), "subset");
        assert_eq!(err("#/step/5?epochs=0"), "epochs");
        assert_eq!(err("#/step/5?backend=tpu"), "backend");
        let o = url_overrides(&Route::parse("#/step/5?subset=2000&epochs=2&backend=cpu")).unwrap();
        let c = o
            .apply(&TrainingConfig::new(ModelSpec::baseline()))
            .unwrap();
        assert_eq!((c.subset, c.epochs), (Some(2000), 2));
        assert_eq!(o.backend, Some(BackendChoice::Cpu));
    }

    #[test]
    fn quick_runs_keep_the_steps_config() {
        let mut link = TrainingConfig::new(ModelSpec::mlp(&[64]));
        link.epochs = 9;
        let hash = format!(
            "#/step/6?cfg={}&subset=500&epochs=2&backend=cpu",
            encode_config(&link)
        );
        let o = url_overrides(&Route::parse(&hash)).unwrap();
        let quick = o.quick_run();
        assert_eq!((&quick.config, quick.backend), (&None, None));
        let base = TrainingConfig::new(ModelSpec::baseline());
        let c = quick.apply(&base).unwrap();
        assert_eq!(c.model, base.model);
        assert_eq!((c.subset, c.epochs), (Some(500), 2));
        // Without overrides the step's config is used as it is.
        assert_eq!(UrlOverrides::default().apply(&base).unwrap(), base);
        // An invalid step config is refused with its field.
        let mut bad = base.clone();
        bad.batch_size = 0;
        assert_eq!(quick.apply(&bad).unwrap_err().field, "batch_size");
    }

    #[test]
    fn picked_data_files_are_ordered_gzipped_or_plain() {
        let picked: Vec<String> = [
            "t10k-labels-idx1-ubyte",
            "train-images-idx3-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "notes.txt",
            "train-labels-idx1-ubyte",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(data_file_order(&picked), Ok(vec![1, 4, 2, 0]));
        let missing = data_file_order(&picked[..3]).unwrap_err();
        assert_eq!(
            missing,
            "train-labels-idx1-ubyte.gz (or train-labels-idx1-ubyte) was not among the picked files"
        );
    }

    #[test]
    fn overfit_markers() {
        let run: Vec<EpochLogs> = [(1.0, 0.6), (0.8, 0.5), (0.6, 0.45), (0.5, 0.47), (0.4, 0.5)]
            .iter()
            .enumerate()
            .map(|(i, &(l, v))| logs(i + 1, l, v))
            .collect();
        assert_eq!(best_epoch(&run), Some(3));
        assert_eq!(overfit_start(&run), Some(4));
        assert_eq!(overfit_start(&run[..3]), None);
    }

    #[test]
    fn durations_and_eta() {
        assert_eq!(format_duration(65.2), "1 min 05 s");
        assert_eq!(format_duration(3.4), "3 s");
    }

    fn at(epoch: usize, batch: usize) -> lab_spec::BatchProgress {
        lab_spec::BatchProgress {
            epoch,
            batch,
            batches: 100,
            loss: 1.0,
            samples_per_s: 0.0,
            ms_per_batch: 0.0,
        }
    }

    #[test]
    fn the_eta_waits_for_the_runs_own_pace_then_follows_it() {
        let mut mark = None;
        // The first batch took 5 s (set-up): extrapolating it would say 16 min for 2 epochs.
        assert_eq!(eta(&mut mark, 1, 5_000.0, &at(1, 1), 2), Eta::Estimating);
        assert_eq!(mark, None);
        assert_eq!(eta(&mut mark, 1, 5_100.0, &at(1, 3), 2), Eta::Estimating);
        assert_eq!(mark.map(|m| m.batch), Some(3));
        // Then 10 ms a batch: 50 batches in 0.5 s, 147 left.
        let Eta::Left(s) = eta(&mut mark, 1, 5_600.0, &at(1, 53), 2) else {
            panic!("no estimate after 53 batches")
        };
        assert!((s - 1.47).abs() < 1e-9, "{s}");
        assert_eq!(Eta::Left(s).text(), "1 s");
        // Into the second epoch (the validation between them counts in the pace).
        let Eta::Left(s) = eta(&mut mark, 1, 7_100.0, &at(2, 50), 2) else {
            panic!()
        };
        assert!((s - 50.0 * 2.0 / 147.0).abs() < 1e-9, "{s}");
        assert_eq!(Eta::Estimating.text(), "estimating…");
    }

    #[test]
    fn another_run_measures_its_own_pace() {
        let mut mark = None;
        eta(&mut mark, 1, 0.0, &at(1, 10), 2);
        assert!(matches!(
            eta(&mut mark, 1, 100.0, &at(1, 20), 2),
            Eta::Left(_)
        ));
        assert_eq!(eta(&mut mark, 2, 200.0, &at(1, 10), 2), Eta::Estimating);
        assert_eq!(mark.map(|m| m.run), Some(2));
        // One-batch epochs: the pace is taken from the third epoch's batch on.
        let mut mark = None;
        let one = |epoch| lab_spec::BatchProgress {
            batches: 1,
            ..at(epoch, 1)
        };
        assert_eq!(eta(&mut mark, 3, 0.0, &one(1), 5), Eta::Estimating);
        assert_eq!(mark, None);
        eta(&mut mark, 3, 1_000.0, &one(3), 5);
        assert_eq!(eta(&mut mark, 3, 2_000.0, &one(4), 5), Eta::Left(1.0));
    }

    #[test]
    fn links_past_the_limits_are_refused_naming_the_field() {
        let mut c = TrainingConfig::new(ModelSpec::mlp(&[64]));
        c.seed = 9_007_199_254_740_993;
        let err = decode_config(&encode_config(&c)).unwrap_err();
        assert_eq!(err.field, "cfg.seed");
        assert!(
            err.message.starts_with("must be at most 9007199254740991"),
            "{err}"
        );
        c.seed = 9_007_199_254_740_991;
        assert_eq!(decode_config(&encode_config(&c)), Ok(c));
        // A hash with `%` before a multi-byte character is read, not a panic.
        assert_eq!(Route::parse("#/step/5?a=%aé&b=%4").get("a"), Some("%aé"));
        assert_eq!(Route::parse("#/step/5?b=%4").get("b"), Some("%4"));
        assert_eq!(Route::parse("#/step/5?c=%41%2b").get("c"), Some("A+"));
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        /// A real config's JSON with one number replaced by any number's text.
        fn mutated_link() -> impl Strategy<Value = String> {
            let json = serde_json::to_string(&TrainingConfig::new(ModelSpec::small_cnn()))
                .expect("a config serializes");
            let numbers: Vec<(usize, usize)> = {
                let b = json.as_bytes();
                let mut spans = Vec::new();
                let mut i = 0;
                while i < b.len() {
                    if b[i].is_ascii_digit() {
                        let start = i;
                        while i < b.len() && (b[i].is_ascii_digit() || b".eE+-".contains(&b[i])) {
                            i += 1;
                        }
                        spans.push((start, i));
                    }
                    i += 1;
                }
                spans
            };
            let number = prop_oneof![
                any::<u64>().prop_map(|n| n.to_string()),
                any::<i64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|f| f.to_string()),
                prop::sample::select(vec![
                    "18446744073709551615",
                    "18446744073709551616",
                    "9007199254740993",
                    "4294967295",
                    "1e308",
                    "1e309",
                    "-0",
                    "NaN",
                    "0.0",
                    "1001",
                    "\"x\"",
                    "null",
                ])
                .prop_map(String::from),
            ];
            (any::<prop::sample::Index>(), number).prop_map(move |(at, n)| {
                let (a, b) = numbers[at.index(numbers.len())];
                let text = format!("{}{n}{}", &json[..a], &json[b..]);
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn decode_config_never_panics(
                token in prop_oneof![
                    any::<String>(),
                    "[A-Za-z0-9_=-]{0,200}",
                    prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| {
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
                    }),
                    mutated_link(),
                ]
            ) {
                if let Ok(c) = decode_config(&token) {
                    // What a link yields is a config the lab can train.
                    prop_assert!(c.validate(None).is_ok());
                }
            }

            #[test]
            fn url_parameters_never_panic(hash in any::<String>(), cfg in mutated_link()) {
                let _ = url_overrides(&Route::parse(&hash));
                let route = Route::parse(&format!("#/step/6?cfg={cfg}&{hash}"));
                if let Ok(o) = url_overrides(&route) {
                    let _ = o.apply(&TrainingConfig::new(ModelSpec::baseline()));
                }
            }
        }
    }

    #[test]
    fn the_dataset_comes_from_the_link_and_a_bad_one_is_named() {
        let o = |hash: &str| url_overrides(&Route::parse(hash));
        assert_eq!(o("#/step/5").unwrap().dataset, None);
        assert_eq!(
            o("#/step/5?dataset=imdb&subset=2000&epochs=1").unwrap(),
            UrlOverrides {
                subset: Some(2000),
                epochs: Some(1),
                dataset: Some(DatasetKind::Imdb),
                ..UrlOverrides::default()
            }
        );
        assert_eq!(
            o("#/step/1?dataset=fashion-mnist").unwrap().dataset,
            Some(DatasetKind::FashionMnist)
        );
        let e = o("#/step/1?dataset=cifar").unwrap_err();
        assert_eq!(e.field, "dataset");
        assert!(e.message.contains("fashion-mnist or imdb"), "{e}");
        // A link's config says its data set; a contradicting `dataset` is refused.
        let token = encode_config(&lab_spec::binary::imdb_baseline());
        assert_eq!(
            o(&format!("#/step/5?cfg={token}")).unwrap().dataset,
            Some(DatasetKind::Imdb)
        );
        let e = o(&format!("#/step/5?dataset=fashion-mnist&cfg={token}")).unwrap_err();
        assert_eq!(e.field, "cfg.dataset");
        assert_eq!(parse_dataset("imdb").unwrap().name(), "imdb");
        assert_eq!(dataset_title(DatasetKind::Imdb), "IMDB movie reviews");
    }
}
