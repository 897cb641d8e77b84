//! The quality gates `cargo xtask test` runs besides fmt, clippy and the tests:
//! the feature matrix of `spicelab` (`cargo check`), rustdoc with `-D warnings`,
//! `cargo deny check licenses bans sources` (the policy in `deny.toml`), and
//! the tests of `spicelab` and `fft-gpu` with the `full` features.
//!
//! Each step prints how long it took, so CI time stays visible.

use crate::util::Workspace;
use anyhow::{anyhow, Result};
use std::process::Command;
use std::time::Instant;

/// `cargo xtask gates` options (also used by `cargo xtask test`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GatesArgs {
    /// Skip `cargo deny` (for a machine without cargo-deny; CI installs it).
    #[arg(long)]
    pub no_deny: bool,
}

/// The feature sets of `spicelab` that must build (`cargo check -p spicelab ...`).
pub const FEATURE_MATRIX: &[(&str, &[&str])] = &[
    ("default features", &[]),
    ("no default features", &["--no-default-features"]),
    ("gpu only", &["--no-default-features", "--features", "gpu"]),
    (
        "hdf5 only",
        &["--no-default-features", "--features", "hdf5"],
    ),
    ("full", &["--features", "full"]),
];

/// One step: a name, the command, and extra environment.
pub struct Step {
    /// What the step checks (printed).
    pub what: String,
    /// The cargo arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
}

impl Step {
    fn cargo(what: impl Into<String>, args: &[&str]) -> Step {
        Step {
            what: what.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
        }
    }
}

/// The gate steps, in order.
pub fn steps(args: &GatesArgs) -> Vec<Step> {
    let mut steps = Vec::new();
    for (name, extra) in FEATURE_MATRIX {
        let mut a = vec!["check", "-p", "spicelab"];
        a.extend_from_slice(extra);
        steps.push(Step::cargo(format!("check spicelab ({name})"), &a));
    }
    let mut doc = Step::cargo(
        "rustdoc -D warnings",
        &["doc", "--workspace", "--all-features", "--no-deps"],
    );
    doc.env.push(("RUSTDOCFLAGS".into(), "-D warnings".into()));
    steps.push(doc);
    if !args.no_deny {
        steps.push(Step::cargo(
            "cargo deny (licenses, bans, sources)",
            &["deny", "check", "licenses", "bans", "sources"],
        ));
    }
    // The test suite of the crates `full` changes (the default features are
    // tested by the main test step): without CUDA the GPU backend reports
    // itself unavailable and `auto` falls back to the CPU.
    steps.push(Step::cargo(
        "tests (full features)",
        &[
            "test",
            "-p",
            "spicelab",
            "-p",
            "fft-gpu",
            "--features",
            "spicelab/full,fft-gpu/gpu",
        ],
    ));
    steps
}

/// Runs one step and prints its time; `Ok(false)` when it failed.
pub fn run_step(ws: &Workspace, label: &str, step: &Step) -> Result<bool> {
    eprintln!("{label}: {}: cargo {}", step.what, step.args.join(" "));
    let start = Instant::now();
    let mut cmd: Command = ws.cargo();
    cmd.args(&step.args);
    for (k, v) in &step.env {
        cmd.env(k, v);
    }
    let status = cmd
        .status()
        .map_err(|e| anyhow!("running cargo {}: {e}", step.args.join(" ")))?;
    let secs = start.elapsed().as_secs_f64();
    if status.success() {
        eprintln!("{label}: {} ok in {secs:.1} s", step.what);
        Ok(true)
    } else {
        eprintln!("{label}: {} FAILED ({status}) after {secs:.1} s", step.what);
        if step.args.first().map(String::as_str) == Some("deny") && !has_cargo_deny() {
            eprintln!(
                "{label}: cargo-deny is not installed: `cargo install cargo-deny --locked` \
                 (or pass --no-deny)"
            );
        }
        Ok(false)
    }
}

fn has_cargo_deny() -> bool {
    Command::new("cargo-deny")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
