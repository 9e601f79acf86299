//! The command line: `lab COMMAND --flag value ...`, and what several commands read from it
//! (a JSON config file, the data folder, the CPU backend).

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use burn::tensor::Device;
use lab_engine::lab_data::files::{FashionMnist, load_dir};
use serde::de::DeserializeOwned;

/// Options that take no value.
const SWITCHES: &[&str] = &["plan", "retrain"];

/// Where the data is unless `--data` says otherwise (what `cargo xtask data` writes).
const DEFAULT_DATA_DIR: &str = "static/data/fashion-mnist";

/// The CPU backend the CLI uses unless told otherwise (chosen by `lab bench`; see the README).
pub const DEFAULT_BACKEND: &str = "flex";

/// Parsed `--flag value` pairs.
pub struct Args {
    pub command: String,
    flags: Vec<(String, String)>,
}

impl Args {
    /// The process's arguments.
    pub fn parse() -> Result<Self> {
        Self::from_args(std::env::args().skip(1))
    }

    /// `args` without the program name: the command, then `--flag value` pairs and switches.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self> {
        let mut it = args.into_iter();
        let command = it.next().unwrap_or_default();
        let mut flags = Vec::new();
        while let Some(flag) = it.next() {
            let Some(name) = flag.strip_prefix("--") else {
                bail!("unexpected argument {flag:?}");
            };
            if SWITCHES.contains(&name) {
                flags.push((name.to_string(), String::new()));
                continue;
            }
            let value = it.next().ok_or_else(|| anyhow!("--{name} needs a value"))?;
            flags.push((name.to_string(), value));
        }
        Ok(Self { command, flags })
    }

    /// The value of `--name` (the last one when given twice; `""` for a switch).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn parsed<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>> {
        self.get(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|_| anyhow!("--{name}: {v:?} is not a valid value"))
            })
            .transpose()
    }

    pub fn check_known(&self, known: &[&str]) -> Result<()> {
        for (n, _) in &self.flags {
            if !known.contains(&n.as_str()) {
                bail!(
                    "unknown option --{n} for `lab {}` (known: --{})",
                    self.command,
                    known.join(", --")
                );
            }
        }
        Ok(())
    }

    /// The JSON file of `--config` as a `T` (`what` names it in errors, e.g. "training
    /// config"); `missing` is the error when there is no `--config`.
    pub fn config<T: DeserializeOwned>(&self, what: &str, missing: &str) -> Result<T> {
        let path = self.get("config").ok_or_else(|| anyhow!("{missing}"))?;
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        serde_json::from_str(&text).with_context(|| format!("{path} is not a valid {what}"))
    }

    /// The official files in `--data` (or the default folder).
    pub fn data(&self) -> Result<FashionMnist> {
        let dir = PathBuf::from(self.get("data").unwrap_or(DEFAULT_DATA_DIR));
        load_dir(&dir).map_err(anyhow::Error::msg)
    }

    /// The CPU device of `--backend` (or the default one).
    pub fn device(&self) -> Result<Device> {
        cpu_device(self.get("backend").unwrap_or(DEFAULT_BACKEND))
    }
}

/// A CPU device by name.
pub fn cpu_device(name: &str) -> Result<Device> {
    match name {
        "flex" => Ok(Device::flex()),
        #[allow(deprecated)] // burn 0.22 deprecates ndarray, but it is the fastest CPU backend here
        "ndarray" => Ok(Device::ndarray()),
        other => bail!("--backend: unknown backend {other:?} (flex or ndarray)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Args> {
        Args::from_args(line.split_whitespace().map(String::from))
    }

    #[test]
    fn flags_switches_and_the_last_value_wins() {
        let a = args("tune --config a.json --retrain --seed 1 --seed 2").unwrap();
        assert_eq!(a.command, "tune");
        assert_eq!(a.get("config"), Some("a.json"));
        assert_eq!(a.get("retrain"), Some(""));
        assert_eq!(a.parsed::<u64>("seed").unwrap(), Some(2));
        assert_eq!(a.parsed::<u64>("subset").unwrap(), None);
        assert!(a.check_known(&["config", "retrain", "seed"]).is_ok());
    }

    #[test]
    fn errors_name_the_flag() {
        let e = |line: &str| args(line).err().unwrap().to_string();
        assert_eq!(e("train config"), "unexpected argument \"config\"");
        assert_eq!(e("train --epochs"), "--epochs needs a value");
        let a = args("train --epochs many --speed 3").unwrap();
        assert_eq!(
            a.parsed::<usize>("epochs").unwrap_err().to_string(),
            "--epochs: \"many\" is not a valid value"
        );
        assert_eq!(
            a.check_known(&["epochs"]).unwrap_err().to_string(),
            "unknown option --speed for `lab train` (known: --epochs)"
        );
        assert_eq!(
            cpu_device("gpu").unwrap_err().to_string(),
            "--backend: unknown backend \"gpu\" (flex or ndarray)"
        );
    }

    #[test]
    fn a_missing_config_file_says_which() {
        let a = args("train").unwrap();
        let e = a.config::<serde_json::Value>("training config", "--config FILE is required");
        assert_eq!(e.unwrap_err().to_string(), "--config FILE is required");
        let a = args("train --config /nonexistent/c.json").unwrap();
        let e = a.config::<serde_json::Value>("training config", "unused");
        assert_eq!(e.unwrap_err().to_string(), "reading /nonexistent/c.json");
    }
}
