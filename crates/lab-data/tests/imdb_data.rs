//! The IMDB files written by `cargo xtask data`. Skipped, with a note, when they are absent
//! (`cargo xtask test` runs `cargo xtask data` first, so there they are always checked).

use std::path::Path;

use lab_data::imdb::{self, package::BLOCK};

#[test]
fn imdb_files_hold_the_official_split() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../static/data/imdb");
    if !dir.join(imdb::TRAIN_FILE).is_file() {
        eprintln!(
            "skipped: no IMDB data in {} (run `cargo xtask data`)",
            dir.display()
        );
        return;
    }
    let data = imdb::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(data.train.len(), 2 * BLOCK);
    assert_eq!(data.test.len(), 2 * BLOCK);
    assert_eq!(data.train.label_counts(), [BLOCK, BLOCK]);
    assert_eq!(data.test.label_counts(), [BLOCK, BLOCK]);
    // The package's index 37,500, the well-known first train/pos review.
    let first_pos = &data.train.texts[BLOCK];
    assert!(
        first_pos.starts_with("Bromwell High is a cartoon comedy"),
        "{first_pos:.80}"
    );
    assert_eq!(data.train.labels[BLOCK], 1);
    assert_eq!(data.train.labels[0], 0);
    // The `<br />` tags are gone.
    let all = data.train.texts.iter().chain(&data.test.texts);
    assert!(all.clone().all(|t| !t.contains("<br />")));
    assert!(all.clone().all(|t| !t.is_empty()));
}
