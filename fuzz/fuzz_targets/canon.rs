//! Fuzz target: the netlist canonicaliser (`canonicalise_netlist`,
//! `canonicalise_include`) on arbitrary text, checking the properties the
//! crate documents (idempotent: the canonical text canonicalises to
//! itself; comment, blank and padded lines gone outside `.control`).
//!
//! The body is `canon_input` of `crates/incremental/tests/common/fuzz.rs`,
//! which the regression test `tests/fuzz_regressions.rs` runs on every
//! input that once crashed.

#![no_main]

#[path = "../../crates/incremental/tests/common/fuzz.rs"]
mod fuzz;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz::canon_input(data));
