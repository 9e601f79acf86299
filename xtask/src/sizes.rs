//! What a learner downloads: each built wasm's raw, gzip and brotli size (the precompressed
//! copies `publish` wrote, else compressed here), as JSON lines for `cargo xtask bench`, with
//! the gzip budget issue 10 sets for it and whether the file is within it.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

/// Issue 10's gzip budgets (decimal units): each training worker (`worker_bg.wasm`, the CPU
/// one; `worker-webgpu_bg.wasm`) at most 3 MB, the page's wasm (`tuning-lab-<hash>_bg.wasm`)
/// at most 300 KB.
const WORKER_GZIP_BUDGET: usize = 3_000_000;
const PAGE_GZIP_BUDGET: usize = 300_000;

/// The gzip budget of the wasm file called `name`, if it has one.
fn gzip_budget(name: &str) -> Option<usize> {
    if crate::publish::WORKER_WASM.contains(&name) {
        Some(WORKER_GZIP_BUDGET)
    } else if name.starts_with("tuning-lab") && name.ends_with("_bg.wasm") {
        Some(PAGE_GZIP_BUDGET)
    } else {
        None
    }
}

/// The size of `file` with `extension` added, if that copy exists.
fn copy_len(file: &Path, extension: &str) -> Option<u64> {
    let mut name = file.as_os_str().to_owned();
    name.push(extension);
    fs::metadata(name).ok().map(|m| m.len())
}

/// One line per `.wasm` file of `dist`.
pub fn print(dist: &Path) -> Result<()> {
    let mut files: Vec<_> = fs::read_dir(dist)
        .with_context(|| {
            format!(
                "reading {} (build it first: cargo xtask dist)",
                dist.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    files.sort();
    for file in files {
        let bytes = fs::read(&file)?;
        let gzip = match copy_len(&file, ".gz") {
            Some(n) => n as usize,
            None => gzip_len(&bytes)?,
        };
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let budget = gzip_budget(&name);
        println!(
            "{}",
            json!({
                "where": "dist",
                "what": "wasm_bytes",
                "file": name,
                "raw": bytes.len(),
                "gzip": gzip,
                "br": copy_len(&file, ".br"),
                "gzip_budget": budget,
                "within_budget": budget.map(|b| gzip <= b),
            })
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_of_repetitive_bytes_is_small() {
        let n = gzip_len(&[7u8; 100_000]).unwrap();
        assert!(n < 1_000, "{n}");
    }

    #[test]
    fn the_worker_and_the_page_have_their_budgets() {
        assert_eq!(gzip_budget("worker_bg.wasm"), Some(3_000_000));
        assert_eq!(gzip_budget("worker-webgpu_bg.wasm"), Some(3_000_000));
        assert_eq!(
            gzip_budget("tuning-lab-4703232c379d5d60_bg.wasm"),
            Some(300_000)
        );
        assert_eq!(gzip_budget("other_bg.wasm"), None);
    }
}
