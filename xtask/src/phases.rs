//! How long the set-up takes, phase by phase: every phase that `serve`, `dist` and `test` run
//! (installing a tool, fetching crates, the wasm build, the hosting post-processing, the
//! native tests, ...) appends one JSON line to `target/xtask-phases.jsonl`;
//! `cargo xtask bench --setup` prints the latest line of each phase.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde_json::{Value, json};

fn log_file() -> PathBuf {
    crate::root().join("target/xtask-phases.jsonl")
}

/// Runs `phase`, then records its wall time (also when it failed).
pub fn timed<T>(phase: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    let result = run();
    record(
        &log_file(),
        phase,
        started.elapsed().as_secs_f64(),
        result.is_ok(),
    );
    result
}

fn record(file: &Path, phase: &str, seconds: f64, ok: bool) {
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let line =
        json!({ "phase": phase, "seconds": (seconds * 10.0).round() / 10.0, "ok": ok, "at": at });
    // Timing is a by-product: a read-only target/ must not fail the build.
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(file) {
        let _ = writeln!(f, "{line}");
    }
}

/// The latest record of each phase, in the order phases first ran.
fn latest(text: &str) -> Vec<Value> {
    let mut order = Vec::new();
    let mut last = BTreeMap::new();
    for value in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        let Some(phase) = value["phase"].as_str().map(str::to_owned) else {
            continue;
        };
        if !last.contains_key(&phase) {
            order.push(phase.clone());
        }
        last.insert(phase, value);
    }
    order.into_iter().filter_map(|p| last.remove(&p)).collect()
}

/// Prints the latest record of each phase as JSON lines.
pub fn print() {
    let text = std::fs::read_to_string(log_file()).unwrap_or_default();
    let lines = latest(&text);
    if lines.is_empty() {
        eprintln!("xtask: no set-up phases recorded yet (run `cargo xtask serve` or `dist`)");
    }
    for mut value in lines {
        value["where"] = json!("setup");
        println!("{value}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_reads_back_the_latest_of_each_phase() {
        let file = std::env::temp_dir().join(format!("xtask-phases-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&file);
        record(&file, "trunk build", 100.04, true);
        record(&file, "cargo fetch", 7.0, true);
        record(&file, "trunk build", 60.0, false);
        let text = std::fs::read_to_string(&file).unwrap();
        let _ = std::fs::remove_file(&file);
        let lines = latest(&format!("{text}not json\n"));
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["phase"], "trunk build");
        assert_eq!(lines[0]["seconds"], 60.0);
        assert_eq!(lines[0]["ok"], false);
        assert_eq!(lines[1]["phase"], "cargo fetch");
    }
}
