//! Whatever bytes arrive as a review file, reading them gives reviews or an error, never a
//! panic: arbitrary bytes, a valid header with arbitrary counts and sizes, and damaged valid
//! files, each plain, gzip or a gzip cut short.

use std::io::Write;

use lab_data::imdb::{self, ImdbError, MAGIC, Reviews};
use proptest::prelude::*;

/// A count or size as a crafted header would have it.
fn size() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..8,
        Just(25_000),
        Just(imdb::MAX_REVIEWS as u64),
        Just(imdb::MAX_REVIEWS as u64 + 1),
        Just(imdb::MAX_TEXT_BYTES),
        Just(u64::from(u32::MAX)),
        Just(u64::MAX),
        any::<u64>(),
    ]
}

/// The magic number, a count and a text size, then arbitrary records.
fn crafted() -> impl Strategy<Value = Vec<u8>> {
    (size(), size(), prop::collection::vec(any::<u8>(), 0..400)).prop_map(|(count, text, rest)| {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&(count as u32).to_le_bytes());
        b.extend_from_slice(&text.to_le_bytes());
        b.extend(rest);
        b
    })
}

/// A valid file of a few reviews with one byte changed and a few cut off or added.
fn damaged() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(("[a-zé 映]{0,12}", 0u8..2), 0..5),
        any::<prop::sample::Index>(),
        any::<u8>(),
        0usize..12,
    )
        .prop_map(|(reviews, at, byte, cut)| {
            let r = Reviews {
                texts: reviews.iter().map(|(t, _)| t.clone()).collect(),
                labels: reviews.iter().map(|&(_, l)| l).collect(),
            };
            let mut b = imdb::to_bytes(&r);
            let i = at.index(b.len());
            b[i] = byte;
            if cut < 6 {
                b.truncate(b.len().saturating_sub(cut));
            } else {
                b.resize(b.len() + cut - 6, byte);
            }
            b
        })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}

fn file() -> impl Strategy<Value = Vec<u8>> {
    let plain = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        crafted(),
        damaged(),
    ];
    (plain, 0u8..3, any::<prop::sample::Index>()).prop_map(|(bytes, how, cut)| match how {
        0 => bytes,
        1 => gzip(&bytes),
        _ => {
            let gz = gzip(&bytes);
            gz[..cut.index(gz.len() + 1)].to_vec()
        }
    })
}

fn check(result: Result<Reviews, ImdbError>) -> Result<(), TestCaseError> {
    match result {
        Ok(r) => {
            prop_assert_eq!(r.texts.len(), r.labels.len());
            prop_assert!(r.len() <= imdb::MAX_REVIEWS);
            prop_assert!(r.labels.iter().all(|&l| l <= 1));
            // What was read writes back to the same reviews.
            prop_assert_eq!(imdb::parse(&imdb::to_bytes(&r)), Ok(r));
        }
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
        check(imdb::parse(&bytes))?;
    }

    #[test]
    fn parse_never_panics_on_crafted_or_damaged_files(bytes in file()) {
        check(imdb::parse(&bytes))?;
    }
}
