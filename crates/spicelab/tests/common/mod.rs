//! Helpers shared by the `spicelab` binary's test files: the committed
//! fixtures, the shared corpus, running the binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../raw-stream/tests/common/require.rs"]
pub mod require;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A committed file of `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// A file of the shared corpus; `None` where the corpus is missing (a failure in CI).
pub fn corpus(name: &str) -> Option<PathBuf> {
    let p = require::corpus_dir(env!("CARGO_MANIFEST_DIR"))?.join(name);
    assert!(p.exists(), "{name} missing from the shared corpus");
    Some(p)
}

/// The `spicelab` binary built for these tests.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spicelab"))
}

/// Runs `spicelab ARGS...` and returns what it did.
pub fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run spicelab: {e}"))
}

/// Runs `spicelab ARGS...`, which must succeed, and returns the JSON object
/// it printed.
pub fn json_of(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not one JSON object ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A path as an argument (the test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// One step of a transient `.STEP` run as Xyce writes it: a plot of its
/// own named `Step Analysis: Step K of N params:  PARAMS  Transient
/// Analysis`, with `PARAMS` as written (`name = R1 value = 1000`), variables
/// `scale` (time) and `trace` (voltage).
pub fn xyce_step_plot(
    k: usize,
    of: usize,
    params: &str,
    title: &str,
    [scale, trace]: [&str; 2],
    time: Vec<f64>,
    values: Vec<f64>,
) -> waveform::Plot {
    use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};
    let n = time.len() as u64;
    Plot {
        header: PlotHeader {
            title: title.into(),
            plotname: format!(
                "Step Analysis: Step {k} of {of} params:  {params}  Transient Analysis"
            ),
            flags: Flags::parse("real"),
            n_points: n,
            variables: vec![
                Variable::new(0, scale, "time"),
                Variable::new(1, trace, "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(time), Column::F64(values)],
        steps: Steps::single(n),
    }
}

/// Runs `spicelab ARGS...` on the cache in `dir` (`SPICELAB_CACHE_DIR`),
/// without a cache secret from the environment.
pub fn in_cache(dir: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .env("SPICELAB_CACHE_DIR", dir)
        .env_remove("SPICELAB_CACHE_SECRET")
        .output()
        .unwrap_or_else(|e| panic!("cannot run spicelab: {e}"))
}
