//! The IDX file format of (Fashion-)MNIST: a big-endian header (`0x00 0x00 type ndims`, then one
//! `u32` per dimension) followed by the data. Only unsigned bytes (`type = 0x08`) are used by
//! (Fashion-)MNIST, and only those are supported. Files may be gzip-compressed; that is detected
//! from the gzip magic bytes, not from the file name.

use std::fmt;
use std::io::{Read, Write};

/// The type code of unsigned bytes in an IDX header.
const UBYTE: u8 = 0x08;

/// An IDX array of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// What can be wrong with an IDX file. The messages are meant for a learner who picked a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdxError {
    /// The file could not be un-gzipped.
    Gzip(String),
    /// The file is shorter than its own header.
    TooShort { len: usize },
    /// The first two bytes are not zero, or the type is not unsigned bytes.
    BadMagic { magic: [u8; 4] },
    /// The header announces more data than the file holds.
    Truncated { expected: usize, found: usize },
    /// The file holds more data than its header announces.
    TrailingBytes { expected: usize, found: usize },
    /// The array has an unexpected number of dimensions or shape.
    WrongShape { expected: String, found: Vec<usize> },
    /// Images and labels disagree on the number of items.
    CountMismatch { images: usize, labels: usize },
    /// A label is outside 0..classes.
    BadLabel {
        index: usize,
        label: u8,
        classes: usize,
    },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxError::Gzip(e) => write!(f, "not a valid gzip file: {e}"),
            IdxError::TooShort { len } => {
                write!(
                    f,
                    "not an IDX file: only {len} bytes, shorter than an IDX header"
                )
            }
            IdxError::BadMagic { magic } => write!(
                f,
                "not an IDX file of unsigned bytes: magic number is {:02x} {:02x} {:02x} {:02x}, expected 00 00 08 0N",
                magic[0], magic[1], magic[2], magic[3]
            ),
            IdxError::Truncated { expected, found } => write!(
                f,
                "truncated IDX file: the header announces {expected} data bytes but the file holds {found}"
            ),
            IdxError::TrailingBytes { expected, found } => write!(
                f,
                "corrupt IDX file: the header announces {expected} data bytes but the file holds {found}"
            ),
            IdxError::WrongShape { expected, found } => {
                write!(f, "unexpected IDX shape {found:?}, expected {expected}")
            }
            IdxError::CountMismatch { images, labels } => write!(
                f,
                "the image file holds {images} images but the label file holds {labels} labels"
            ),
            IdxError::BadLabel {
                index,
                label,
                classes,
            } => write!(
                f,
                "label {label} at index {index} is not a class (expected 0..{})",
                classes - 1
            ),
        }
    }
}

impl std::error::Error for IdxError {}

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Parses an IDX file, gunzipping it first when it is gzip-compressed.
pub fn parse(bytes: &[u8]) -> Result<IdxArray, IdxError> {
    if is_gzip(bytes) {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut plain)
            .map_err(|e| IdxError::Gzip(e.to_string()))?;
        parse_plain(&plain)
    } else {
        parse_plain(bytes)
    }
}

fn parse_plain(bytes: &[u8]) -> Result<IdxArray, IdxError> {
    if bytes.len() < 4 {
        return Err(IdxError::TooShort { len: bytes.len() });
    }
    let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
    let ndims = magic[3] as usize;
    if magic[0] != 0 || magic[1] != 0 || magic[2] != UBYTE || ndims == 0 {
        return Err(IdxError::BadMagic { magic });
    }
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(IdxError::TooShort { len: bytes.len() });
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let expected = dims.iter().product::<usize>();
    let found = bytes.len() - header;
    if found < expected {
        return Err(IdxError::Truncated { expected, found });
    }
    if found > expected {
        return Err(IdxError::TrailingBytes { expected, found });
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Serializes an array as a plain (uncompressed) IDX file.
pub fn to_bytes(array: &IdxArray) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 4 * array.dims.len() + array.data.len());
    out.extend_from_slice(&[0, 0, UBYTE, array.dims.len() as u8]);
    for &d in &array.dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(&array.data);
    out
}

/// Serializes an array as a gzip-compressed IDX file, as the official files are distributed.
pub fn to_gzip_bytes(array: &IdxArray) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&to_bytes(array))
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> IdxArray {
        IdxArray {
            dims: vec![2, 2, 3],
            data: (0..12).collect(),
        }
    }

    #[test]
    fn round_trips_plain_and_gzip() {
        let a = sample();
        assert_eq!(parse(&to_bytes(&a)).unwrap(), a);
        let gz = to_gzip_bytes(&a);
        assert!(is_gzip(&gz));
        assert_eq!(parse(&gz).unwrap(), a);
    }

    #[test]
    fn header_is_the_official_layout() {
        let bytes = to_bytes(&IdxArray {
            dims: vec![60000],
            data: vec![0; 60000],
        });
        assert_eq!(&bytes[..8], &[0, 0, 8, 1, 0, 0, 0xea, 0x60]);
    }

    #[test]
    fn wrong_magic_is_named() {
        let mut bytes = to_bytes(&sample());
        bytes[2] = 0x0d; // float data
        let err = parse(&bytes).unwrap_err();
        assert!(matches!(err, IdxError::BadMagic { .. }));
        assert!(err.to_string().contains("magic number"), "{err}");
        assert!(matches!(
            parse(b"PK\x03\x04zip!"),
            Err(IdxError::BadMagic { .. })
        ));
    }

    #[test]
    fn truncated_file_says_how_much_is_missing() {
        let bytes = to_bytes(&sample());
        let err = parse(&bytes[..bytes.len() - 5]).unwrap_err();
        assert_eq!(
            err,
            IdxError::Truncated {
                expected: 12,
                found: 7
            }
        );
        assert!(err.to_string().contains("truncated"));
        assert!(matches!(parse(&bytes[..6]), Err(IdxError::TooShort { .. })));
    }

    #[test]
    fn truncated_gzip_is_an_error_not_a_panic() {
        let gz = to_gzip_bytes(&sample());
        assert!(parse(&gz[..gz.len() / 2]).is_err());
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = to_bytes(&sample());
        bytes.push(7);
        assert!(matches!(parse(&bytes), Err(IdxError::TrailingBytes { .. })));
    }
}
