//! Reading the four official files from a folder (native only: the browser fetches them).

use std::path::{Path, PathBuf};

use crate::dataset::{Dataset, FILE_NAMES};

/// The official training and test sets.
#[derive(Clone, Debug)]
pub struct FashionMnist {
    pub train: Dataset,
    pub test: Dataset,
}

/// The path of an official file in `dir`: the `.gz` name, or the same name without `.gz` for
/// an uncompressed copy.
pub fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    let gz = dir.join(name);
    if gz.is_file() {
        return Some(gz);
    }
    let plain = dir.join(name.trim_end_matches(".gz"));
    plain.is_file().then_some(plain)
}

/// Reads the four official files from `dir`; the message names the file at fault (both files
/// of a pair when they disagree on the number of items).
pub fn load_dir(dir: &Path) -> Result<FashionMnist, String> {
    let mut bytes = Vec::new();
    for name in FILE_NAMES {
        let path = find(dir, name).ok_or_else(|| {
            format!(
                "{} not found in {} (run `cargo xtask data`, or point --data at a folder with the official files)",
                name,
                dir.display()
            )
        })?;
        bytes.push((
            path.clone(),
            std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?,
        ));
    }
    let pair = |i: usize| {
        Dataset::from_idx_bytes(&bytes[i].1, &bytes[i + 1].1).map_err(|e| {
            e.message(
                &bytes[i].0.display().to_string(),
                &bytes[i + 1].0.display().to_string(),
            )
        })
    };
    Ok(FashionMnist {
        train: pair(0)?,
        test: pair(2)?,
    })
}
