//! Fuzz target: the include resolver (`resolve_file`, `resolve_includes`)
//! on a small tree written from the input: the parts between NUL bytes
//! are `root/top.cir`, `root/models/a.lib`, `root/models/sub/b.lib`,
//! `root/c.lib` and `outside.lib` (above the root), so `.include`/`.lib`
//! chains, sections, cycles, missing files, directories and names that
//! leave the root are all reached. Never a panic or a hang; a moved tree
//! gives the same names and hashes.
//!
//! The body is `include_input` of `crates/incremental/tests/common/fuzz.rs`,
//! which the regression test `tests/fuzz_regressions.rs` runs on every
//! input that once crashed.

#![no_main]

#[path = "../../crates/incremental/tests/common/fuzz.rs"]
mod fuzz;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn scratch() -> &'static std::path::Path {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
}

fuzz_target!(|data: &[u8]| fuzz::include_input(data, scratch()));
