//! Fuzz target: `RawFile::from_bytes` on arbitrary bytes, with the dialect
//! detected and forced to each dialect, lenient and strict; every plot a
//! file opens with is read to its end. An error is fine; a panic, a hang or
//! a huge allocation is a bug.
//!
//! The body is `open_input` of `crates/raw-stream/tests/common/agree.rs`,
//! which the regression test `tests/fuzz_regressions.rs` runs on every
//! input that once crashed.

#![no_main]

#[path = "../../crates/raw-stream/tests/common/agree.rs"]
mod agree;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agree::open_input(data));
