//! Building the lab: the pinned tools (Trunk, wasm-bindgen-cli, wasm-opt), the release build
//! into dist/ (then `publish`'s post-processing), and running the end-to-end tests against it
//! (served by `serve`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::phases::timed;
pub use crate::serve::{serve, serve_in_background};

pub const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the wasm-bindgen version in Cargo.lock (and Trunk.toml).
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// binaryen's wasm-opt from npm (Debian's binaryen 108 produces broken modules).
pub const BINARYEN_VERSION: &str = "132";

fn tools_dir(root: &Path) -> PathBuf {
    root.join("target/tools")
}

/// Where `cargo install` puts binaries: `$CARGO_HOME/bin`, else `~/.cargo/bin`. It need not
/// be on the caller's PATH (a fresh machine, an empty `CARGO_HOME`), so tools installed there
/// are called through it.
fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// `name` from cargo's bin folder when it is there, else as found on PATH.
fn tool(name: &str) -> PathBuf {
    let installed = cargo_bin_dir().join(name);
    if installed.is_file() {
        installed
    } else {
        PathBuf::from(name)
    }
}

fn version_of(cmd: impl AsRef<std::ffi::OsStr>, arg: &str) -> Option<String> {
    let out = Command::new(cmd).arg(arg).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `cargo install` of a build tool, without default features: the tools' TLS stacks (rustls
/// and its C crypto) and Trunk's update check are for downloading, which this project never
/// does.
fn install_command() -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["install", "--no-default-features"]);
    cmd
}

/// Trunk is installed as a debug build. It spends its time waiting for cargo and wasm-bindgen:
/// on built workers a `trunk build --release` took 18.0 s of CPU debug against 12.5 s
/// optimized (wasm-bindgen's included), with byte-identical output, while its optimized install,
/// even without its fat LTO, took 616 s on 2 cores against 382 s for the debug one.
fn install_trunk() -> Command {
    let mut cmd = install_command();
    cmd.arg("--debug");
    cmd
}

/// wasm-bindgen-cli stays optimized (it rewrites each 5–12 MB worker module), built without
/// its fat LTO and with 16 codegen units.
fn install_wasm_bindgen() -> Command {
    let mut cmd = install_command();
    cmd.env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
    cmd
}

/// Installs what building the lab needs, at pinned versions, unless it is there already.
pub fn ensure_tools(root: &Path) -> Result<()> {
    crate::ensure_wasm_target()?;
    if !version_of(tool("trunk"), "--version").is_some_and(|v| v.contains(TRUNK_VERSION)) {
        eprintln!("xtask: cargo install trunk {TRUNK_VERSION} (a few minutes, once)");
        let ok = timed("install trunk", || {
            Ok(install_trunk()
                .args(["trunk", "--version", TRUNK_VERSION, "--locked"])
                .status()?
                .success())
        })?;
        if !ok {
            bail!("installing trunk {TRUNK_VERSION} failed");
        }
    }
    if !version_of(tool("wasm-bindgen"), "--version")
        .is_some_and(|v| v.contains(WASM_BINDGEN_VERSION))
    {
        eprintln!("xtask: cargo install wasm-bindgen-cli {WASM_BINDGEN_VERSION}");
        // Not --locked: one of its locked dependency versions is not on this registry mirror.
        let ok = timed("install wasm-bindgen-cli", || {
            Ok(install_wasm_bindgen()
                .args(["wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION])
                .status()?
                .success())
        })?;
        if !ok {
            bail!("installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} failed");
        }
    }
    let tools = tools_dir(root);
    let wasm_opt = tools.join("node_modules/.bin/wasm-opt");
    if !version_of(wasm_opt.to_str().unwrap_or_default(), "--version")
        .is_some_and(|v| v.contains(BINARYEN_VERSION))
    {
        eprintln!("xtask: npm install binaryen@{BINARYEN_VERSION} (wasm-opt)");
        std::fs::create_dir_all(&tools)?;
        let ok = timed("install wasm-opt (npm binaryen)", || {
            Ok(Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    &format!("binaryen@{BINARYEN_VERSION}"),
                ])
                .current_dir(&tools)
                .status()
                .context("running npm (is Node.js installed?)")?
                .success())
        })?;
        if !ok {
            bail!("npm install binaryen@{BINARYEN_VERSION} failed");
        }
    }
    Ok(())
}

/// PATH with the local wasm-opt first, then cargo's bin folder (wasm-bindgen), then the
/// caller's PATH.
fn path_with_tools(root: &Path) -> String {
    let bin = tools_dir(root).join("node_modules/.bin");
    format!(
        "{}:{}:{}",
        bin.display(),
        cargo_bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `trunk build --release` into dist/, then the hosting post-processing (`publish`).
pub fn dist(root: &Path) -> Result<()> {
    dist_with(root, &[])
}

/// [`dist`], with `env` set for the wasm builds (Trunk's of the workers and the page's): `cargo
/// xtask test` lints the wasm32 code there, with clippy's driver as the workspace's rustc
/// wrapper.
pub fn dist_with(root: &Path, env: &[(&str, &str)]) -> Result<()> {
    timed("data", || crate::data::ensure_data(root))?;
    ensure_tools(root)?;
    // Trunk builds offline (it must not download tools), so every crate of both targets must
    // be in cargo's cache first: on a fresh machine the wasm-only ones never were.
    timed("cargo fetch", || crate::cargo(&["fetch"]))?;
    // Trunk builds the workers, the css and the data; the page's wasm is built beside it
    // (cargo's own profile folder) and split afterwards (page.rs), as Trunk cannot split it.
    eprintln!("xtask: trunk build --release, and the page's wasm");
    let (trunk, page) = std::thread::scope(|s| {
        let trunk = s.spawn(|| {
            timed("trunk build (the workers)", || {
                Ok(Command::new(tool("trunk"))
                    .args(["build", "--release"])
                    .env("PATH", path_with_tools(root))
                    .env("TRUNK_OFFLINE", "true")
                    .env("TRUNK_SKIP_VERSION_CHECK", "true")
                    .envs(env.iter().copied())
                    .current_dir(root)
                    .status()
                    .context("running trunk")?
                    .success())
            })
        });
        let page = timed("cargo build (the page)", || {
            crate::page::cargo_build(root, env)
        });
        (trunk.join(), page)
    });
    let trunk_ok = trunk.map_err(|_| anyhow::anyhow!("the trunk build panicked"))??;
    if !trunk_ok {
        bail!("trunk build failed");
    }
    let page = page?;
    timed(
        "split the page (wasm-split, wasm-bindgen, wasm-opt)",
        || {
            crate::page::split_into(
                root,
                &page,
                &root.join("dist"),
                &tool("wasm-bindgen"),
                &tools_dir(root).join("node_modules/.bin/wasm-opt"),
            )
        },
    )?;
    timed("publish (CSP, sw.js, precompression)", || {
        crate::publish::publish(&root.join("dist"))
    })
}

/// Chromium on PATH or at /usr/bin/chromium; installs Debian's package when it can.
pub fn ensure_chromium() -> Result<PathBuf> {
    let found = || {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    };
    if let Some(p) = found() {
        return Ok(p);
    }
    eprintln!(
        "xtask: Chromium not found; trying apt-get install chromium chromium-driver (Debian's)"
    );
    let sudo = if Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"))
    {
        vec![]
    } else {
        vec!["sudo", "-n"]
    };
    let run = |args: &[&str]| {
        let mut cmd: Vec<&str> = sudo.clone();
        cmd.extend_from_slice(args);
        Command::new(cmd[0])
            .args(&cmd[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    let _ = run(&["apt-get", "update"]);
    if run(&["apt-get", "install", "-y", "chromium", "chromium-driver"])
        && let Some(p) = found()
    {
        return Ok(p);
    }
    bail!(
        "the end-to-end tests need Chromium: install Debian's package (`apt-get install chromium chromium-driver`) \
         and run again; no browser is downloaded from elsewhere"
    )
}

fn npm_ci(dir: &Path) -> Result<()> {
    if !dir.join("node_modules/playwright-core").is_dir() {
        eprintln!("xtask: npm ci (tests/e2e: playwright-core, no browser download)");
        let ok = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .current_dir(dir)
            .status()
            .context("running npm")?
            .success();
        if !ok {
            bail!("npm ci in tests/e2e failed");
        }
    }
    Ok(())
}

/// Runs a script of tests/e2e with node against `url`.
pub fn run_node(root: &Path, script: &str, url: &str, chromium: &Path) -> Result<()> {
    run_node_with(root, script, url, chromium, &[])
}

/// [`run_node`] with extra environment variables.
pub fn run_node_with(
    root: &Path,
    script: &str,
    url: &str,
    chromium: &Path,
    env: &[(&str, &str)],
) -> Result<()> {
    let dir = root.join("tests/e2e");
    npm_ci(&dir)?;
    let ok = Command::new("node")
        .arg(script)
        .envs(env.iter().copied())
        .env("LAB_URL", url)
        .env("CHROMIUM", chromium)
        .current_dir(&dir)
        .status()
        .context("running node")?
        .success();
    if !ok {
        bail!("node {script} failed");
    }
    Ok(())
}

/// `npm ci` of the end-to-end tests' packages, then `npm test` against `url`.
pub fn run_e2e(root: &Path, url: &str, chromium: &Path) -> Result<()> {
    let dir = root.join("tests/e2e");
    npm_ci(&dir)?;
    eprintln!("xtask: end-to-end tests against {url}");
    let ok = Command::new("npm")
        .args([
            "test",
            "--silent",
            "--",
            "lab.test.mjs",
            "hosting.test.mjs",
            "robustness.test.mjs",
            "chart.test.mjs",
            "shell.test.mjs",
            "runs.test.mjs",
            "results.test.mjs",
            "layout.test.mjs",
            "experiments.test.mjs",
            "weights.test.mjs",
            "exports.test.mjs",
            "storage.test.mjs",
            "imdb.test.mjs",
            "cnn.test.mjs",
        ])
        .env("LAB_URL", url)
        .env("LAB_DIST", root.join("dist/"))
        .env("CHROMIUM", chromium)
        .current_dir(&dir)
        .status()
        .context("running npm test")?
        .success();
    if !ok {
        bail!("the end-to-end tests failed (screenshots in tests/e2e/screenshots/)");
    }
    Ok(())
}
