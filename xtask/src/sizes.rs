//! What a learner downloads: each built wasm's raw, gzip and brotli size (the precompressed
//! copies `publish` wrote, else compressed here), as JSON lines for `cargo xtask bench`.

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
        println!(
            "{}",
            json!({
                "where": "dist",
                "what": "wasm_bytes",
                "file": name,
                "raw": bytes.len(),
                "gzip": gzip,
                "br": copy_len(&file, ".br"),
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
}
