//! Whatever bytes a learner picks (or a server sends), reading them gives data or an error,
//! never a panic: arbitrary bytes, and arbitrary headers after a valid `00 00 08 0N` magic
//! number (the dangerous case: the sizes come from the file), plain and gzip, alone and as an
//! image/label pair.

use std::io::Write;

use lab_data::Dataset;
use lab_data::idx::{self, IdxError};
use proptest::prelude::*;

/// A dimension as a crafted header would have it: small, Fashion-MNIST's, near a power of
/// two, or anything.
fn dim() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..4,
        Just(28),
        Just(5_478_275),
        Just(1_000_000),
        Just(1_000_001),
        Just(65_536),
        Just(u32::MAX),
        any::<u32>(),
    ]
}

/// `00 00 08 ndims`, `dims` (as many as `ndims` says, or fewer: a header cut short), then data.
fn crafted() -> impl Strategy<Value = Vec<u8>> {
    (
        0u8..6,
        prop::collection::vec(dim(), 0..6),
        prop::collection::vec(any::<u8>(), 0..1600),
    )
        .prop_map(|(ndims, dims, data)| {
            let mut bytes = vec![0, 0, 8, ndims];
            for d in dims.iter().take(usize::from(ndims)) {
                bytes.extend_from_slice(&d.to_be_bytes());
            }
            bytes.extend(data);
            bytes
        })
}

/// A well-formed image or label file of a few items, as a base to damage.
fn almost_valid() -> impl Strategy<Value = Vec<u8>> {
    (0u32..3, any::<bool>(), 0usize..20, any::<u8>()).prop_map(|(n, images, cut, fill)| {
        let mut bytes = if images {
            let mut b = vec![0, 0, 8, 3];
            for d in [n, 28, 28] {
                b.extend_from_slice(&d.to_be_bytes());
            }
            b.resize(b.len() + n as usize * 784, fill);
            b
        } else {
            let mut b = vec![0, 0, 8, 1];
            b.extend_from_slice(&n.to_be_bytes());
            b.resize(b.len() + n as usize, fill % 12);
            b
        };
        // Cut a few bytes off, or add a few.
        if cut < 10 {
            bytes.truncate(bytes.len().saturating_sub(cut));
        } else {
            bytes.resize(bytes.len() + cut - 10, fill);
        }
        bytes
    })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}

/// Any file: arbitrary bytes, a crafted header, a damaged valid file, each plain, gzip, or a
/// gzip cut short.
fn file() -> impl Strategy<Value = Vec<u8>> {
    let plain = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        crafted(),
        almost_valid(),
    ];
    (plain, 0u8..3, any::<prop::sample::Index>()).prop_map(|(bytes, how, cut)| match how {
        0 => bytes,
        1 => gzip(&bytes),
        _ => {
            let gz = gzip(&bytes);
            let keep = cut.index(gz.len() + 1);
            gz[..keep].to_vec()
        }
    })
}

/// What parsing found, checked against what the header can announce.
fn check_parsed(result: Result<idx::IdxArray, IdxError>) -> Result<(), TestCaseError> {
    match result {
        Ok(array) => {
            prop_assert!(array.dims.first().is_none_or(|&n| n <= idx::MAX_ITEMS));
            prop_assert_eq!(idx::data_bytes(&array.dims), Ok(array.data.len()));
        }
        // Every error has a message (Display must not panic either).
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check_parsed(idx::parse(&bytes))?;
    }

    #[test]
    fn parse_never_panics_on_crafted_headers(bytes in file()) {
        check_parsed(idx::parse(&bytes))?;
    }

    #[test]
    fn a_pair_never_panics(images in file(), labels in file()) {
        match Dataset::from_idx_bytes(&images, &labels) {
            Ok(d) => {
                prop_assert_eq!(d.images.len(), d.len() * lab_data::PIXELS);
                prop_assert!(d.labels.iter().all(|&l| usize::from(l) < lab_data::NUM_CLASSES));
                // Everything a dataset offers works on it.
                let _ = d.class_counts();
                let _ = d.naive_baseline_accuracy();
                let _ = d.stratified_split(0.5, 1);
                for i in 0..d.len() {
                    prop_assert_eq!(d.image(i).len(), lab_data::PIXELS);
                }
            }
            Err(e) => prop_assert!(!e.message("images.gz", "labels.gz").is_empty()),
        }
    }
}
