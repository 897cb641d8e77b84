//! Fuzz target: the campaign file parser (`Campaign::parse`) on arbitrary
//! text, then `check_netlist` and the job expansion, next to the netlists
//! the example and test campaigns name. An error is fine; a panic, a hang
//! or a huge allocation is a bug.
//!
//! The body is `campaign_input` of
//! `crates/spicelab/tests/common/campaign_fuzz.rs`, which the regression
//! test `tests/campaign_fuzz_regressions.rs` runs on every input that once
//! crashed.

#![no_main]

#[path = "../../crates/spicelab/tests/common/campaign_fuzz.rs"]
mod campaign_fuzz;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn dir() -> &'static std::path::Path {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| {
        let d = tempfile::tempdir().expect("a temporary directory");
        campaign_fuzz::prepare(d.path());
        d
    })
    .path()
}

fuzz_target!(|data: &[u8]| campaign_fuzz::campaign_input(data, dir()));
