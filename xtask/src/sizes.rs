//! What a learner downloads: each built wasm's raw, gzip and brotli size (the precompressed
//! copies `publish` wrote, else compressed here), as JSON lines for `cargo xtask bench`, with
//! the gzip budget issue 10 sets for it and whether the file is within it; then, for each group
//! of steps of the split page (`src/steps/pages.rs`), what opening it first downloads: the main
//! module and every piece the split loader fetches for it.

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
        let gzip = gzip_of(&file)?;
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
    print_groups(dist, &gzip_of)
}

/// The split loader's groups (`first_steps`, …) and the wasm each one fetches (its own piece
/// and the pieces it shares), read from `tuning-lab-split-<hash>.js` (page.rs writes it): each
/// loader is `NAME = …makeLoad(() => { …fetch(new URL("./FILE", …)) … }, [DEPENDENCIES])`.
fn split_groups(link_js: &str) -> Vec<(String, Vec<String>)> {
    let mut files = std::collections::BTreeMap::new();
    let mut groups = Vec::new();
    let blocks: Vec<&str> = link_js.split("makeLoad(() => {").collect();
    for (i, body) in blocks.iter().enumerate().skip(1) {
        let head = blocks[i - 1].lines().last().unwrap_or_default();
        let Some(name) = head
            .split("const ")
            .nth(1)
            .and_then(|rest| rest.split(" =").next())
        else {
            continue;
        };
        let file = body
            .split("new URL(\"./")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let deps: Vec<String> = body
            .split(", [")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap_or_default()
            .split(',')
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .collect();
        files.insert(name.to_owned(), file.clone());
        if let Some(group) = name.strip_prefix("__wasm_split_load_") {
            groups.push((group.to_owned(), file, deps));
        }
    }
    groups
        .into_iter()
        .map(|(group, file, deps)| {
            let mut all: Vec<String> = deps.iter().filter_map(|d| files.get(d).cloned()).collect();
            all.push(file);
            (group, all)
        })
        .collect()
}

/// One line per group of steps: the gzip bytes of the page's wasm that opening it needs.
fn print_groups(dist: &Path, gzip_of: &dyn Fn(&Path) -> Result<usize>) -> Result<()> {
    let names: Vec<String> = fs::read_dir(dist)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    let Some(link) = names
        .iter()
        .find(|n| n.starts_with("tuning-lab-split-") && n.ends_with(".js"))
    else {
        return Ok(());
    };
    let Some(main) = names
        .iter()
        .find(|n| n.starts_with("tuning-lab-") && n.ends_with("_bg.wasm"))
    else {
        return Ok(());
    };
    let main_gzip = gzip_of(&dist.join(main))?;
    for (group, pieces) in split_groups(&fs::read_to_string(dist.join(link))?) {
        let mut pieces_gzip = 0;
        for piece in &pieces {
            pieces_gzip += gzip_of(&dist.join(piece))?;
        }
        println!(
            "{}",
            json!({
                "where": "dist",
                "what": "page_wasm_opening",
                "steps": group,
                "pieces": pieces.len(),
                "main_gzip": main_gzip,
                "pieces_gzip": pieces_gzip,
                "total_gzip": main_gzip + pieces_gzip,
            })
        );
    }
    Ok(())
}

/// `file`'s gzip size: its precompressed copy's, else compressed here.
fn gzip_of(file: &Path) -> Result<usize> {
    match copy_len(file, ".gz") {
        Some(n) => Ok(n as usize),
        None => gzip_len(&fs::read(file)?),
    }
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

    #[test]
    fn each_group_of_steps_fetches_its_piece_and_the_pieces_it_shares() {
        let js = r#"function makeLoad(fetcher, deps) {
}
/* first_steps, tune_step */
const __chunk_9 = makeLoad(() => {
    const src = fetch(new URL("./tuning-lab-chunk_9-ab.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
const __chunk_10 = makeLoad(() => {
    const src = fetch(new URL("./tuning-lab-chunk_10-ab.wasm", import.meta.url));
}
, []);
export const __wasm_split_load_tune_step = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./tuning-lab-split_tune_step-ab.wasm", import.meta.url));
}
, [__chunk_9, __chunk_10]));
export const __wasm_split_load_first_steps = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./tuning-lab-split_first_steps-ab.wasm", import.meta.url));
}
, [__chunk_9]));
"#;
        assert_eq!(
            split_groups(js),
            vec![
                (
                    "tune_step".to_owned(),
                    vec![
                        "tuning-lab-chunk_9-ab.wasm".to_owned(),
                        "tuning-lab-chunk_10-ab.wasm".to_owned(),
                        "tuning-lab-split_tune_step-ab.wasm".to_owned()
                    ]
                ),
                (
                    "first_steps".to_owned(),
                    vec![
                        "tuning-lab-chunk_9-ab.wasm".to_owned(),
                        "tuning-lab-split_first_steps-ab.wasm".to_owned()
                    ]
                ),
            ]
        );
    }
}
