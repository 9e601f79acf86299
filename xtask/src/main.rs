//! Project tasks: `cargo xtask <serve|dist|data|test|bench|publish|serve-dist>`.

mod data;
mod page;
#[cfg(test)]
mod pages_workflow;
mod phases;
mod publish;
mod serve;
mod sizes;
mod wasm_strip;
mod web;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo(args: &[&str]) -> Result<()> {
    cargo_env(&[], args)
}

fn cargo_env(env: &[(&str, &str)], args: &[&str]) -> Result<()> {
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

/// clippy's driver, from the toolchain's sysroot (`rustup component add clippy` puts it there).
fn clippy_driver() -> Result<PathBuf> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("running rustc --print sysroot")?;
    let driver = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        .join("bin")
        .join(format!("clippy-driver{}", std::env::consts::EXE_SUFFIX));
    if !driver.is_file() {
        bail!(
            "clippy is not installed ({} is missing): rustup component add clippy",
            driver.display()
        );
    }
    Ok(driver)
}

/// The lint arguments as `cargo clippy -- ARGS` hands them to clippy's driver (`CLIPPY_ARGS`,
/// joined by the separator cargo-clippy uses).
fn clippy_args(args: &[&str]) -> String {
    args.join("__CLIPPY_HACKERY__")
}

pub fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    if let Ok(out) = out
        && String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    eprintln!("xtask: rustup target add wasm32-unknown-unknown");
    let status = Command::new("rustup")
        .args(["target", "add", "wasm32-unknown-unknown"])
        .status()?;
    if !status.success() {
        bail!("could not install the wasm32-unknown-unknown target");
    }
    Ok(())
}

/// Every test: formatting, lints (native and wasm32), the native tests, the release build of
/// the lab, and the end-to-end tests in Chromium.
fn test() -> Result<()> {
    let root = root();
    data::ensure_data(&root)?;
    ensure_wasm_target()?;
    // Fail early, before the long builds, when no browser can be had.
    let chromium = web::ensure_chromium()?;
    cargo(&["fmt", "--all", "--check"])?;
    // The native lints and tests in one build. `cargo clippy` is `cargo check` with clippy's
    // driver as the workspace's rustc wrapper; with `cargo test` under the same wrapper the
    // workspace's crates are linted while they are compiled, and the dependencies (burn, at
    // opt-level 3) are compiled once instead of checked once and compiled again. With the
    // worker's code, whose plain parts (backend choice, data summary, jobs, the event sink, the
    // reactor on a CPU device) compile and are tested natively. `cargo test` builds the targets
    // `cargo clippy --all-targets` linted here: the libraries (as they are and with their unit
    // tests), the bins in test mode, integration tests and the example (there are no benches);
    // a bin's plain build is linted on wasm32 below.
    let driver = clippy_driver()?;
    let deny_warnings = clippy_args(&["-D", "warnings"]);
    let [wrapper, lints] = [
        (
            "RUSTC_WORKSPACE_WRAPPER",
            driver.to_str().unwrap_or_default(),
        ),
        ("CLIPPY_ARGS", deny_warnings.as_str()),
    ];
    phases::timed("native lints and tests", || {
        cargo_env(
            &[wrapper, lints],
            &["test", "--workspace", "--features", "tuning-lab/worker"],
        )
    })?;
    // The wasm32 lints, in the lab's release builds: the page's, and Trunk's of each worker
    // (the CPU one with `worker`, the WebGPU one with `webgpu-worker`), under the same wrapper.
    // Each build lints its own code as it is shipped, and the dependencies (burn, wgpu, leptos
    // for wasm32) are compiled once instead of checked first. The wasm32 lints use their own
    // config, which bans what panics or is missing there.
    let wasm_lints = root.join(".cargo/clippy-wasm");
    web::dist_with(
        &root,
        &[
            wrapper,
            lints,
            ("CLIPPY_CONF_DIR", wasm_lints.to_str().unwrap_or_default()),
        ],
    )?;
    let url = web::serve_in_background(&root.join("dist"))?;
    phases::timed("end-to-end tests", || web::run_e2e(&root, &url, &chromium))?;
    eprintln!("xtask: all tests passed");
    Ok(())
}

/// Training throughput natively (`lab bench`) and in headless Chromium (CPU and WebGPU), one
/// JSON object per line.
///
/// `--setup`: the set-up's phases as last recorded (see `phases.rs`) and the built files'
/// sizes. `--load`: the sizes and load → data ready (first visit, cached) only. `--soak`: 50
/// runs with ModelCheckpoint on in one tab, the worker's and the page's memory after each.
/// `--imdb`: the IMDB lines in Chromium only (vectorizing the training reviews, one epoch of
/// the regularized text model on the CPU, the worker's memory), which the full bench prints too.
fn bench(extra: &[String]) -> Result<()> {
    let root = root();
    if extra.iter().any(|a| a == "--setup") {
        phases::print();
        return sizes::print(&root.join("dist"));
    }
    let browser_only = [("--load", "load"), ("--soak", "soak"), ("--imdb", "imdb")]
        .into_iter()
        .find(|(flag, _)| extra.iter().any(|a| a == flag));
    if let Some((flag, mode)) = browser_only {
        let chromium = web::ensure_chromium()?;
        if !root.join("dist/index.html").is_file() {
            web::dist(&root)?;
        }
        if flag == "--load" {
            sizes::print(&root.join("dist"))?;
        }
        let url = web::serve_in_background(&root.join("dist"))?;
        return web::run_node_with(&root, "bench.mjs", &url, &chromium, &[("BENCH", mode)]);
    }
    data::ensure_data(&root)?;
    let mut args = vec!["run", "--release", "-q", "-p", "lab-cli", "--", "bench"];
    args.extend(extra.iter().map(String::as_str));
    cargo(&args)?;
    let chromium = web::ensure_chromium()?;
    if !root.join("dist/index.html").is_file() {
        web::dist(&root)?;
    }
    sizes::print(&root.join("dist"))?;
    let url = web::serve_in_background(&root.join("dist"))?;
    web::run_node(&root, "bench.mjs", &url, &chromium)
}

/// A folder (default dist/) and an address (default 127.0.0.1:8080) in any order: what
/// parses as a socket address is the address.
fn dir_and_addr(args: &[String]) -> (PathBuf, String) {
    let addr = args
        .iter()
        .find(|a| a.parse::<std::net::SocketAddr>().is_ok());
    let dir = args.iter().find(|a| Some(*a) != addr);
    (
        dir.map_or_else(|| root().join("dist"), PathBuf::from),
        addr.map_or("127.0.0.1:8080", String::as_str).to_owned(),
    )
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("data") => data::ensure_data(&root()),
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("dist") => web::dist(&root()),
        Some("serve") => {
            web::dist(&root())?;
            web::serve(
                &root().join("dist"),
                args.get(1).map_or("127.0.0.1:8080", String::as_str),
            )
        }
        Some("serve-dist") => {
            let (dir, addr) = dir_and_addr(&args[1..]);
            web::serve(&dir, &addr)
        }
        Some("publish") => publish::publish(&dir_and_addr(&args[1..]).0),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  serve  set everything up, build the lab (release) and serve it on http://127.0.0.1:8080\n  dist   the release build of the lab into dist/\n  data   write the Fashion-MNIST IDX files to static/data/fashion-mnist/ and the IMDB reviews to static/data/imdb/\n  test   run every test (what CI runs)\n  bench  throughput natively and in Chromium, load → data ready, wasm sizes (--load: only load and sizes; --setup: the set-up's phases and sizes; --soak: 50 runs with checkpoints, memory after each; --imdb: only the IMDB lines in Chromium)\n\n  serve-dist [DIR] [ADDR]  serve a built lab (default dist/, 127.0.0.1:8080) as it will be hosted\n  publish [DIR]            the hosting post-processing of a built lab alone (dist does it after Trunk)"
            );
            std::process::exit(2)
        }
    }
}
