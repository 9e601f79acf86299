//! The IDX file format of (Fashion-)MNIST: a big-endian header (`0x00 0x00 type ndims`, then one
//! `u32` per dimension) followed by the data. Only unsigned bytes (`type = 0x08`) are used by
//! (Fashion-)MNIST, and only those are supported. Files may be gzip-compressed; that is detected
//! from the gzip magic bytes, not from the file name.
//!
//! Every size a file announces is checked before it is used: the product of the dimensions is
//! computed in `u64` with `checked_mul` (so it is the same on wasm32, where `usize` is 32 bits),
//! the item count is capped at [`MAX_ITEMS`] and the data at [`MAX_DATA_BYTES`], and a gzip
//! file is decompressed only as far as its header announces. Any input gives an array or an
//! [`IdxError`], never a panic.

use std::fmt;
use std::io::{self, Read, Write};

use lab_spec::dataset::PIXELS;

/// The type code of unsigned bytes in an IDX header.
const UBYTE: u8 = 0x08;

/// The most items (the first dimension) a file may announce: far more than any (Fashion-)MNIST
/// file holds (the largest has 60,000).
pub const MAX_ITEMS: usize = 1_000_000;

/// The most data bytes a file may announce: [`MAX_ITEMS`] images of 28×28 pixels.
pub const MAX_DATA_BYTES: usize = MAX_ITEMS * PIXELS;

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
    /// The gzip stream ends before its end marker (an interrupted download).
    GzipTruncated,
    /// The file is shorter than its own header.
    TooShort { len: usize },
    /// The first two bytes are not zero, or the type is not unsigned bytes.
    BadMagic { magic: [u8; 4] },
    /// The product of the dimensions does not even fit in 64 bits.
    SizeOverflow { dims: Vec<usize> },
    /// The first dimension (the number of items) is above [`MAX_ITEMS`].
    TooManyItems { items: usize, max: usize },
    /// The dimensions announce more than [`MAX_DATA_BYTES`] bytes.
    TooLarge {
        dims: Vec<usize>,
        bytes: u64,
        max: usize,
    },
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

/// Dimensions as a learner writes them: `5478275×28×28`.
fn shape(dims: &[usize]) -> String {
    dims.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("×")
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxError::Gzip(e) => write!(f, "not a valid gzip file: {e}"),
            IdxError::GzipTruncated => write!(
                f,
                "truncated gzip file: the compressed data ends early (an interrupted download?)"
            ),
            IdxError::TooShort { len } => {
                write!(
                    f,
                    "not an IDX file: only {len} bytes, shorter than an IDX header"
                )
            }
            IdxError::BadMagic { magic } => {
                write!(
                    f,
                    "not an IDX file of unsigned bytes: magic number is {:02x} {:02x} {:02x} {:02x}, expected 00 00 08 0N",
                    magic[0], magic[1], magic[2], magic[3]
                )?;
                if magic[0] == b'<' {
                    write!(f, " (this looks like a web page, not a data file)")?;
                }
                Ok(())
            }
            IdxError::SizeOverflow { dims } => write!(
                f,
                "corrupt IDX header: the dimensions {} announce more data than any computer can hold",
                shape(dims)
            ),
            IdxError::TooManyItems { items, max } => write!(
                f,
                "corrupt IDX header: it announces {items} items, more than the {max} this lab accepts (Fashion-MNIST's largest file has 60000)"
            ),
            IdxError::TooLarge { dims, bytes, max } => write!(
                f,
                "IDX file too large: the dimensions {} announce {bytes} data bytes, more than the {max} this lab accepts",
                shape(dims)
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
                write!(
                    f,
                    "unexpected IDX shape {}, expected {expected}",
                    shape(found)
                )
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
                classes.saturating_sub(1)
            ),
        }
    }
}

impl std::error::Error for IdxError {}

/// The number of data bytes `dims` announce, checked: the product in `u64` without overflow,
/// at most [`MAX_ITEMS`] items (the first dimension) and at most [`MAX_DATA_BYTES`] bytes.
pub fn data_bytes(dims: &[usize]) -> Result<usize, IdxError> {
    let product = dims.iter().try_fold(1u64, |acc, &d| {
        u64::try_from(d).ok().and_then(|d| acc.checked_mul(d))
    });
    let Some(bytes) = product else {
        return Err(IdxError::SizeOverflow {
            dims: dims.to_vec(),
        });
    };
    if let Some(&items) = dims.first()
        && items > MAX_ITEMS
    {
        return Err(IdxError::TooManyItems {
            items,
            max: MAX_ITEMS,
        });
    }
    match usize::try_from(bytes) {
        Ok(n) if n <= MAX_DATA_BYTES => Ok(n),
        _ => Err(IdxError::TooLarge {
            dims: dims.to_vec(),
            bytes,
            max: MAX_DATA_BYTES,
        }),
    }
}

/// A parsed header: the dimensions, the header's length and the data bytes it announces.
struct Header {
    dims: Vec<usize>,
    len: usize,
    data_bytes: usize,
}

/// The header's length once its first four bytes (the magic number) are known.
fn header_len(magic: [u8; 4]) -> Result<usize, IdxError> {
    let ndims = usize::from(magic[3]);
    if magic[0] != 0 || magic[1] != 0 || magic[2] != UBYTE || ndims == 0 {
        return Err(IdxError::BadMagic { magic });
    }
    // At most 4 + 4 × 255 bytes, but checked all the same.
    ndims
        .checked_mul(4)
        .and_then(|n| n.checked_add(4))
        .ok_or(IdxError::BadMagic { magic })
}

/// Reads the header at the start of `bytes` (which may hold more than the header).
fn read_header(bytes: &[u8]) -> Result<Header, IdxError> {
    let Some(&[a, b, c, d]) = bytes.first_chunk::<4>() else {
        return Err(IdxError::TooShort { len: bytes.len() });
    };
    let len = header_len([a, b, c, d])?;
    let Some(header) = bytes.get(4..len) else {
        return Err(IdxError::TooShort { len: bytes.len() });
    };
    let dims: Vec<usize> = header
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let data_bytes = data_bytes(&dims)?;
    Ok(Header {
        dims,
        len,
        data_bytes,
    })
}

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Parses an IDX file, gunzipping it first when it is gzip-compressed.
pub fn parse(bytes: &[u8]) -> Result<IdxArray, IdxError> {
    if is_gzip(bytes) {
        parse_gzip(flate2::read::GzDecoder::new(bytes))
    } else {
        parse_plain(bytes)
    }
}

fn parse_plain(bytes: &[u8]) -> Result<IdxArray, IdxError> {
    let header = read_header(bytes)?;
    let data = &bytes[header.len..];
    check_length(header.data_bytes, data.len())?;
    Ok(IdxArray {
        dims: header.dims,
        data: data.to_vec(),
    })
}

/// `expected` data bytes announced, `found` held.
fn check_length(expected: usize, found: usize) -> Result<(), IdxError> {
    match found.cmp(&expected) {
        std::cmp::Ordering::Less => Err(IdxError::Truncated { expected, found }),
        std::cmp::Ordering::Greater => Err(IdxError::TrailingBytes { expected, found }),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

/// A gzip-compressed file, decompressed only as far as its header announces (so a small file
/// that inflates to gigabytes is refused, not held in memory).
fn parse_gzip(mut decoder: impl Read) -> Result<IdxArray, IdxError> {
    let magic = read_up_to(&mut decoder, 4)?;
    let Some(&[a, b, c, d]) = magic.first_chunk::<4>() else {
        return Err(IdxError::TooShort { len: magic.len() });
    };
    let len = header_len([a, b, c, d])?;
    let mut head = magic;
    head.extend(read_up_to(&mut decoder, len - 4)?);
    let header = read_header(&head)?;
    let data = read_up_to(&mut decoder, header.data_bytes)?;
    check_length(header.data_bytes, data.len())?;
    // What follows the announced data is counted (not kept), up to the largest file accepted.
    let rest =
        io::copy(&mut decoder.take(MAX_DATA_BYTES as u64), &mut io::sink()).map_err(gzip_error)?;
    if rest > 0 {
        return Err(IdxError::TrailingBytes {
            expected: header.data_bytes,
            found: header
                .data_bytes
                .saturating_add(usize::try_from(rest).unwrap_or(usize::MAX)),
        });
    }
    Ok(IdxArray {
        dims: header.dims,
        data,
    })
}

/// At most `n` bytes from `reader` (fewer at its end); the buffer grows with what arrives.
fn read_up_to(reader: &mut impl Read, n: usize) -> Result<Vec<u8>, IdxError> {
    let mut out = Vec::new();
    reader
        .take(n as u64)
        .read_to_end(&mut out)
        .map_err(gzip_error)?;
    Ok(out)
}

fn gzip_error(e: io::Error) -> IdxError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        IdxError::GzipTruncated
    } else {
        IdxError::Gzip(e.to_string())
    }
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

    /// A header `00 00 08 ndims` with `dims`, then `data`.
    fn crafted(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(data);
        bytes
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// The file seen in the wild: 5478275×28×28 (a product that wraps to 304 in 32 bits), then
    /// 304 bytes. Refused for its item count on every platform, plain or gzip.
    #[test]
    fn the_crafted_file_that_wrapped_on_wasm32_is_refused() {
        let dims = [5_478_275u32, 28, 28];
        assert_eq!((5_478_275u32).wrapping_mul(784), 304);
        let bytes = crafted(&dims, &[0; 304]);
        let expected = IdxError::TooManyItems {
            items: 5_478_275,
            max: MAX_ITEMS,
        };
        assert_eq!(parse(&bytes).unwrap_err(), expected);
        assert_eq!(parse(&gzip(&bytes)).unwrap_err(), expected);
        assert_eq!(
            expected.to_string(),
            "corrupt IDX header: it announces 5478275 items, more than the 1000000 this lab accepts (Fashion-MNIST's largest file has 60000)"
        );
        // Its label file: as many labels, refused the same way.
        let labels = crafted(&[5_478_275], &[0; 304]);
        assert_eq!(parse(&labels).unwrap_err(), expected);
    }

    #[test]
    fn dims_whose_product_overflows_64_bits_are_refused() {
        let bytes = crafted(&[u32::MAX; 3], &[0; 16]);
        let err = parse(&bytes).unwrap_err();
        assert_eq!(
            err,
            IdxError::SizeOverflow {
                dims: vec![u32::MAX as usize; 3]
            }
        );
        assert_eq!(
            err.to_string(),
            "corrupt IDX header: the dimensions 4294967295×4294967295×4294967295 announce more data than any computer can hold"
        );
        assert_eq!(parse(&gzip(&bytes)).unwrap_err(), err);
        // Overflow wins over the item count: checked before anything else.
        assert!(matches!(
            data_bytes(&[usize::MAX, 2]),
            Err(IdxError::SizeOverflow { .. })
        ));
    }

    #[test]
    fn counts_and_sizes_are_capped() {
        // The cap itself is accepted…
        assert_eq!(data_bytes(&[MAX_ITEMS, 28, 28]), Ok(MAX_DATA_BYTES));
        // …one item more is not…
        assert_eq!(
            data_bytes(&[MAX_ITEMS + 1]),
            Err(IdxError::TooManyItems {
                items: MAX_ITEMS + 1,
                max: MAX_ITEMS
            })
        );
        // …nor few items of a huge size (a product that fits in 64 bits, not in 32).
        let err = parse(&crafted(&[1000, 65536, 65536], &[])).unwrap_err();
        assert_eq!(
            err,
            IdxError::TooLarge {
                dims: vec![1000, 65536, 65536],
                bytes: 4_294_967_296_000,
                max: MAX_DATA_BYTES
            }
        );
        assert_eq!(
            err.to_string(),
            "IDX file too large: the dimensions 1000×65536×65536 announce 4294967296000 data bytes, more than the 784000000 this lab accepts"
        );
        assert_eq!(data_bytes(&[]), Ok(1));
    }

    #[test]
    fn a_gzip_file_is_inflated_only_as_far_as_its_header_announces() {
        // 12 bytes announced, 50 MB of zeros after them: refused as trailing bytes.
        let mut bytes = to_bytes(&sample());
        bytes.resize(bytes.len() + 50_000_000, 0);
        let err = parse(&gzip(&bytes)).unwrap_err();
        assert_eq!(
            err,
            IdxError::TrailingBytes {
                expected: 12,
                found: 50_000_012
            }
        );
        // A header that announces 784 MB over a few bytes: truncated, without holding 784 MB.
        let err = parse(&gzip(&crafted(&[1_000_000, 28, 28], &[1; 100]))).unwrap_err();
        assert_eq!(
            err,
            IdxError::Truncated {
                expected: MAX_DATA_BYTES,
                found: 100
            }
        );
    }

    #[test]
    fn a_truncated_gzip_says_so() {
        let gz = to_gzip_bytes(&IdxArray {
            dims: vec![3000],
            data: (0..3000).map(|i| (i * 7 % 251) as u8).collect(),
        });
        let err = parse(&gz[..gz.len() - 40]).unwrap_err();
        assert_eq!(err, IdxError::GzipTruncated);
        assert!(err.to_string().starts_with("truncated gzip file"), "{err}");
    }

    #[test]
    fn a_web_page_instead_of_a_file_is_named() {
        let err = parse(b"<!DOCTYPE html><html>").unwrap_err();
        assert_eq!(
            err.to_string(),
            "not an IDX file of unsigned bytes: magic number is 3c 21 44 4f, expected 00 00 08 0N (this looks like a web page, not a data file)"
        );
    }

    #[test]
    fn a_bad_label_error_with_no_classes_still_displays() {
        let err = IdxError::BadLabel {
            index: 0,
            label: 3,
            classes: 0,
        };
        assert_eq!(
            err.to_string(),
            "label 3 at index 0 is not a class (expected 0..0)"
        );
    }
}
