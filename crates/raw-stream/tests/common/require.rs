//! Tests that need something from outside the repository (the shared RAW
//! corpus, ngspice) skip that part on a developer's machine where it is
//! missing, but must fail in CI, where a test that passes by skipping would
//! hide a broken check. `CI` set (to anything but `""`, `0`, `false`, `no`)
//! means CI, as GitHub, GitLab and most runners set it.
//!
//! Shared by the raw-stream and spicelab tests (`#[path]` include).
#![allow(dead_code, clippy::panic)]

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// What a test does when something it needs is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Say so and skip the part that needs it.
    Skip,
    /// Fail the test.
    Fail,
}

/// The decision for the value of the `CI` environment variable.
pub fn decide(ci: Option<&OsStr>) -> Missing {
    let Some(v) = ci else {
        return Missing::Skip;
    };
    let v = v.to_string_lossy().trim().to_ascii_lowercase();
    if matches!(v.as_str(), "" | "0" | "false" | "no") {
        Missing::Skip
    } else {
        Missing::Fail
    }
}

/// Called where a test is about to skip because `what` is missing: with
/// `ci` (the value of `CI`) saying CI, it panics; otherwise it prints a note
/// and returns, and the caller skips.
pub fn require_or_skip_in(what: &str, ci: Option<&OsStr>) {
    match decide(ci) {
        Missing::Fail => panic!(
            "{what}: missing, and CI is set: in CI a test may not pass by skipping \
             (install it, or unset CI on a developer machine)"
        ),
        Missing::Skip => {
            eprintln!("NOTE: {what}: missing; skipped here (this fails when CI is set)")
        }
    }
}

/// [`require_or_skip_in`] with the process's `CI` variable.
pub fn require_or_skip(what: &str) {
    require_or_skip_in(what, std::env::var_os("CI").as_deref());
}

/// Where the shared RAW corpus is: `explicit` (the value of
/// `SPICELAB_RAW_SAMPLES`) when given, else `default`; an error saying what
/// is missing when that directory has no `MANIFEST.toml`.
pub fn locate_corpus(explicit: Option<OsString>, default: &Path) -> Result<PathBuf, String> {
    let (dir, from) = match explicit {
        Some(d) => (PathBuf::from(d), "SPICELAB_RAW_SAMPLES"),
        None => (default.to_path_buf(), "the default place"),
    };
    if dir.join("MANIFEST.toml").is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "the shared RAW corpus ({}/MANIFEST.toml, from {from}; set SPICELAB_RAW_SAMPLES to it)",
            dir.display()
        ))
    }
}

/// The shared RAW corpus beside the project (`../shared/raw-samples`, or
/// `$SPICELAB_RAW_SAMPLES`), or `None` after [`require_or_skip`].
/// `manifest_dir` is the calling crate's `CARGO_MANIFEST_DIR` (a crate under `crates/`).
pub fn corpus_dir(manifest_dir: &str) -> Option<PathBuf> {
    let default = Path::new(manifest_dir).join("../../../shared/raw-samples");
    match locate_corpus(std::env::var_os("SPICELAB_RAW_SAMPLES"), &default) {
        Ok(d) => Some(d),
        Err(what) => {
            require_or_skip(&what);
            None
        }
    }
}

/// True when `ngspice` runs; otherwise [`require_or_skip`] and false.
pub fn ngspice_or_skip() -> bool {
    let ok = std::process::Command::new("ngspice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        require_or_skip("ngspice (apt-get install -y ngspice)");
    }
    ok
}
