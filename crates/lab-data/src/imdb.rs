//! The IMDB movie reviews (Maas et al., ACL 2011, "Learning Word Vectors for Sentiment
//! Analysis") in the lab's own compact file: `train.bin.gz` and `test.bin.gz`, written by
//! `cargo xtask data` from the npm package (see [`package`]) and read by the worker and the
//! native tools.
//!
//! The file (gzip, or plain) is:
//!
//! ```text
//! magic        8 bytes   "TLIMDB01"
//! count        u32 LE    number of reviews
//! text_bytes   u64 LE    the UTF-8 bytes of all texts together
//! count × {  label u8 (0 = negative, 1 = positive),  len u32 LE,  len bytes of UTF-8 text  }
//! ```
//!
//! As for the IDX files, every size a file announces is checked before it is used: the count is
//! capped at [`MAX_REVIEWS`], the texts at [`MAX_TEXT_BYTES`], the total computed in `u64`, a gzip
//! file is decompressed only as far as its header announces, and each length is checked against
//! what is left. Any input gives reviews or an [`ImdbError`], never a panic.

pub mod package;

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The first bytes of the lab's review file (the last two are the format's version).
pub const MAGIC: [u8; 8] = *b"TLIMDB01";

/// The header's length: magic, count, text bytes.
const HEADER_LEN: usize = 8 + 4 + 8;

/// Each review's own bytes besides its text: the label and the text's length.
const RECORD_OVERHEAD: u64 = 1 + 4;

/// The most reviews a file may announce: IMDB's splits hold 25,000.
pub const MAX_REVIEWS: usize = 100_000;

/// The most text a file may announce: IMDB's splits hold about 33 MB each.
pub const MAX_TEXT_BYTES: u64 = 128 * 1024 * 1024;

/// The training and test files' names in `static/data/imdb/`.
pub const TRAIN_FILE: &str = "train.bin.gz";
pub const TEST_FILE: &str = "test.bin.gz";

/// Labels: 0 = negative, 1 = positive.
pub const LABEL_NAMES: [&str; 2] = ["negative", "positive"];

/// Reviews and their labels (0 = negative, 1 = positive), in the same order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Reviews {
    pub texts: Vec<String>,
    pub labels: Vec<u8>,
}

impl Reviews {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// How many negative and positive reviews.
    pub fn label_counts(&self) -> [usize; 2] {
        let pos = self.labels.iter().filter(|&&l| l == 1).count();
        [self.len() - pos, pos]
    }

    /// The reviews at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Self {
        Self {
            texts: rows.iter().map(|&r| self.texts[r].clone()).collect(),
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
        }
    }
}

/// What can be wrong with a review file. The messages are meant for a learner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImdbError {
    /// The file could not be un-gzipped.
    Gzip(String),
    /// The gzip stream ends before its end marker (an interrupted download).
    GzipTruncated,
    /// The file is shorter than the header.
    TooShort { len: usize },
    /// The first eight bytes are not [`MAGIC`].
    BadMagic { magic: Vec<u8> },
    /// The header announces more reviews than [`MAX_REVIEWS`].
    TooManyReviews { count: u64, max: usize },
    /// The header announces more text than [`MAX_TEXT_BYTES`].
    TooLarge { bytes: u64, max: u64 },
    /// The file ends before the review at `index` does.
    Truncated { index: usize, count: usize },
    /// The reviews' lengths do not add up to what the header announces, or bytes follow the last.
    SizeMismatch { announced: u64, found: u64 },
    /// A label other than 0 or 1.
    BadLabel { index: usize, label: u8 },
    /// A text that is not UTF-8.
    BadText { index: usize },
}

impl fmt::Display for ImdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImdbError::Gzip(e) => write!(f, "not a valid gzip file: {e}"),
            ImdbError::GzipTruncated => write!(
                f,
                "truncated gzip file: the compressed data ends early (an interrupted download?)"
            ),
            ImdbError::TooShort { len } => write!(
                f,
                "not a review file: only {len} bytes, shorter than its {HEADER_LEN}-byte header"
            ),
            ImdbError::BadMagic { magic } => {
                write!(
                    f,
                    "not a review file: it starts with {:?}, expected \"TLIMDB01\"",
                    String::from_utf8_lossy(magic)
                )?;
                if magic.first() == Some(&b'<') {
                    write!(f, " (this looks like a web page, not a data file)")?;
                }
                Ok(())
            }
            ImdbError::TooManyReviews { count, max } => write!(
                f,
                "corrupt review file: it announces {count} reviews, more than the {max} this lab accepts (IMDB's splits hold 25000)"
            ),
            ImdbError::TooLarge { bytes, max } => write!(
                f,
                "review file too large: it announces {bytes} bytes of text, more than the {max} this lab accepts"
            ),
            ImdbError::Truncated { index, count } => write!(
                f,
                "truncated review file: it ends inside review {index} of {count}"
            ),
            ImdbError::SizeMismatch { announced, found } => write!(
                f,
                "corrupt review file: the header announces {announced} bytes of text but the file holds {found}"
            ),
            ImdbError::BadLabel { index, label } => write!(
                f,
                "review {index} has the label {label}, expected 0 (negative) or 1 (positive)"
            ),
            ImdbError::BadText { index } => write!(f, "review {index} is not valid UTF-8 text"),
        }
    }
}

impl std::error::Error for ImdbError {}

/// A checked header: the count and the bytes that follow it.
struct Header {
    count: usize,
    text_bytes: u64,
    /// Labels, lengths and texts: what follows the header.
    body_bytes: u64,
}

fn read_header(head: &[u8]) -> Result<Header, ImdbError> {
    let Some(head) = head.first_chunk::<HEADER_LEN>() else {
        return Err(match head.get(..MAGIC.len()) {
            Some(m) if m != MAGIC => ImdbError::BadMagic { magic: m.to_vec() },
            _ => ImdbError::TooShort { len: head.len() },
        });
    };
    if head[..8] != MAGIC {
        return Err(ImdbError::BadMagic {
            magic: head[..8].to_vec(),
        });
    }
    let count = u64::from(u32::from_le_bytes([head[8], head[9], head[10], head[11]]));
    let mut t = [0u8; 8];
    t.copy_from_slice(&head[12..20]);
    let text_bytes = u64::from_le_bytes(t);
    if count > MAX_REVIEWS as u64 {
        return Err(ImdbError::TooManyReviews {
            count,
            max: MAX_REVIEWS,
        });
    }
    if text_bytes > MAX_TEXT_BYTES {
        return Err(ImdbError::TooLarge {
            bytes: text_bytes,
            max: MAX_TEXT_BYTES,
        });
    }
    Ok(Header {
        count: count as usize,
        text_bytes,
        // Both capped above, so this cannot overflow.
        body_bytes: count * RECORD_OVERHEAD + text_bytes,
    })
}

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Reads a review file, gunzipping it first when it is gzip-compressed.
pub fn parse(bytes: &[u8]) -> Result<Reviews, ImdbError> {
    if is_gzip(bytes) {
        let mut decoder = flate2::read::GzDecoder::new(bytes);
        let head = read_up_to(&mut decoder, HEADER_LEN as u64)?;
        let header = read_header(&head)?;
        let body = read_up_to(&mut decoder, header.body_bytes)?;
        let reviews = parse_body(&header, &body)?;
        // Whatever follows the announced reviews is counted, not kept.
        let rest =
            io::copy(&mut decoder.take(MAX_TEXT_BYTES), &mut io::sink()).map_err(gzip_error)?;
        if rest > 0 {
            return Err(ImdbError::SizeMismatch {
                announced: header.text_bytes,
                found: header.text_bytes.saturating_add(rest),
            });
        }
        Ok(reviews)
    } else {
        let header = read_header(bytes)?;
        parse_body(&header, &bytes[HEADER_LEN..])
    }
}

/// The reviews in `body` (what follows the header), which must end with the last review.
fn parse_body(header: &Header, body: &[u8]) -> Result<Reviews, ImdbError> {
    let count = header.count;
    let mut reviews = Reviews {
        texts: Vec::with_capacity(count),
        labels: Vec::with_capacity(count),
    };
    let mut rest = body;
    let mut text_bytes = 0u64;
    for index in 0..count {
        let truncated = ImdbError::Truncated { index, count };
        let Some((&[label, a, b, c, d], tail)) = rest.split_first_chunk::<5>() else {
            return Err(truncated);
        };
        if label > 1 {
            return Err(ImdbError::BadLabel { index, label });
        }
        let len = u32::from_le_bytes([a, b, c, d]) as usize;
        text_bytes = text_bytes.saturating_add(len as u64);
        if text_bytes > header.text_bytes {
            return Err(ImdbError::SizeMismatch {
                announced: header.text_bytes,
                found: text_bytes,
            });
        }
        let (text, tail) = tail.split_at_checked(len).ok_or(truncated)?;
        let text = std::str::from_utf8(text).map_err(|_| ImdbError::BadText { index })?;
        reviews.texts.push(text.to_owned());
        reviews.labels.push(label);
        rest = tail;
    }
    if text_bytes != header.text_bytes || !rest.is_empty() {
        return Err(ImdbError::SizeMismatch {
            announced: header.text_bytes,
            found: text_bytes.saturating_add(rest.len() as u64),
        });
    }
    Ok(reviews)
}

/// At most `n` bytes from `reader` (fewer at its end); the buffer grows with what arrives.
fn read_up_to(reader: &mut impl Read, n: u64) -> Result<Vec<u8>, ImdbError> {
    let mut out = Vec::new();
    reader.take(n).read_to_end(&mut out).map_err(gzip_error)?;
    Ok(out)
}

fn gzip_error(e: io::Error) -> ImdbError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        ImdbError::GzipTruncated
    } else {
        ImdbError::Gzip(e.to_string())
    }
}

/// The reviews as a plain (uncompressed) file.
///
/// # Panics
/// If the reviews break the format's limits (more than [`MAX_REVIEWS`], more than
/// [`MAX_TEXT_BYTES`], a label over 1, texts and labels of different lengths): a converter bug.
pub fn to_bytes(reviews: &Reviews) -> Vec<u8> {
    assert_eq!(reviews.texts.len(), reviews.labels.len());
    assert!(reviews.len() <= MAX_REVIEWS, "{} reviews", reviews.len());
    let text_bytes: usize = reviews.texts.iter().map(String::len).sum();
    assert!(text_bytes as u64 <= MAX_TEXT_BYTES, "{text_bytes} bytes");
    let mut out = Vec::with_capacity(HEADER_LEN + reviews.len() * 5 + text_bytes);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(reviews.len() as u32).to_le_bytes());
    out.extend_from_slice(&(text_bytes as u64).to_le_bytes());
    for (text, &label) in reviews.texts.iter().zip(&reviews.labels) {
        assert!(label <= 1, "label {label}");
        out.push(label);
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    out
}

/// The reviews as a gzip-compressed file (what `cargo xtask data` writes).
pub fn to_gzip_bytes(reviews: &Reviews) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&to_bytes(reviews))
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// IMDB's training and test reviews.
#[derive(Clone, Debug)]
pub struct Imdb {
    pub train: Reviews,
    pub test: Reviews,
}

/// Reads [`TRAIN_FILE`] and [`TEST_FILE`] from `dir` (native only: the browser fetches them);
/// the message names the file at fault.
pub fn load_dir(dir: &Path) -> Result<Imdb, String> {
    let read = |name: &str| {
        let path: PathBuf = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                format!(
                    "{name} not found in {} (run `cargo xtask data`)",
                    dir.display()
                )
            } else {
                format!("{}: {e}", path.display())
            }
        })?;
        parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    };
    Ok(Imdb {
        train: read(TRAIN_FILE)?,
        test: read(TEST_FILE)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Reviews {
        Reviews {
            texts: vec![
                "A fine film.".into(),
                String::new(),
                "Dreadful — ünïcödé 映画".into(),
            ],
            labels: vec![1, 0, 0],
        }
    }

    #[test]
    fn round_trips_plain_and_gzip() {
        let r = sample();
        let plain = to_bytes(&r);
        assert_eq!(&plain[..8], b"TLIMDB01");
        assert_eq!(&plain[8..12], &3u32.to_le_bytes());
        assert_eq!(parse(&plain).unwrap(), r);
        let gz = to_gzip_bytes(&r);
        assert!(is_gzip(&gz));
        assert_eq!(parse(&gz).unwrap(), r);
        assert_eq!(parse(&to_bytes(&Reviews::default())).unwrap().len(), 0);
        assert_eq!(r.label_counts(), [2, 1]);
    }

    #[test]
    fn wrong_magic_is_named() {
        let mut bytes = to_bytes(&sample());
        bytes[0] = b'X';
        let err = parse(&bytes).unwrap_err();
        assert!(matches!(err, ImdbError::BadMagic { .. }));
        assert!(err.to_string().contains("TLIMDB01"), "{err}");
        let html = parse(b"<!doctype html><html>").unwrap_err();
        assert!(html.to_string().contains("web page"), "{html}");
        assert_eq!(parse(b"TLIM").unwrap_err(), ImdbError::TooShort { len: 4 });
    }

    #[test]
    fn truncation_is_named_plain_and_gzip() {
        let bytes = to_bytes(&sample());
        let err = parse(&bytes[..bytes.len() - 3]).unwrap_err();
        assert_eq!(err, ImdbError::Truncated { index: 2, count: 3 });
        assert!(err.to_string().contains("truncated"), "{err}");
        let gz = to_gzip_bytes(&sample());
        assert!(parse(&gz[..gz.len() / 2]).is_err());
        assert!(parse(&gz[..gz.len() - 4]).is_err());
    }

    #[test]
    fn trailing_bytes_and_wrong_totals_are_refused() {
        let mut bytes = to_bytes(&sample());
        bytes.push(b'x');
        assert!(matches!(parse(&bytes), Err(ImdbError::SizeMismatch { .. })));
        let mut gz_src = to_bytes(&sample());
        gz_src.extend_from_slice(b"more");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&gz_src).unwrap();
        assert!(matches!(
            parse(&enc.finish().unwrap()),
            Err(ImdbError::SizeMismatch { .. })
        ));
        // The header announces one byte less text than the reviews hold.
        let mut bytes = to_bytes(&sample());
        bytes[12] -= 1;
        assert!(matches!(parse(&bytes), Err(ImdbError::SizeMismatch { .. })));
    }

    #[test]
    fn bad_labels_and_text_are_named() {
        let mut bytes = to_bytes(&sample());
        bytes[HEADER_LEN] = 2;
        let err = parse(&bytes).unwrap_err();
        assert_eq!(err, ImdbError::BadLabel { index: 0, label: 2 });
        assert!(err.to_string().contains("label 2"), "{err}");
        let mut bytes = to_bytes(&sample());
        bytes[HEADER_LEN + 5] = 0xff; // inside the first text
        assert_eq!(parse(&bytes).unwrap_err(), ImdbError::BadText { index: 0 });
    }

    #[test]
    fn counts_over_the_caps_are_refused_before_reading() {
        let mut bytes = to_bytes(&sample());
        bytes[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = parse(&bytes).unwrap_err();
        assert!(matches!(err, ImdbError::TooManyReviews { .. }), "{err}");
        let mut bytes = to_bytes(&sample());
        bytes[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(parse(&bytes), Err(ImdbError::TooLarge { .. })));
        // A count within the cap that the file cannot hold: truncated, nothing huge allocated.
        let mut bytes = to_bytes(&sample());
        bytes[8..12].copy_from_slice(&(MAX_REVIEWS as u32).to_le_bytes());
        assert!(matches!(
            parse(&bytes),
            Err(ImdbError::Truncated { index: 3, .. })
        ));
    }

    #[test]
    fn load_dir_names_a_missing_file() {
        let err = load_dir(Path::new("/nonexistent/imdb")).unwrap_err();
        assert!(
            err.contains(TRAIN_FILE) && err.contains("cargo xtask data"),
            "{err}"
        );
    }
}
