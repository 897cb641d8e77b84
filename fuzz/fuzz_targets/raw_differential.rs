//! Fuzz target: every reader of the RAW reader against every other. The
//! first byte picks the dialect (detected, or one forced); the rest is the
//! file. It is opened, read whole, in chunks of 1 and 7 points, column by
//! column, from the middle, in partitions split at small checkpoints, on
//! three threads and in chunks that stop at steps: every value must have
//! the same bits as in the whole read. Then what was read is written in the
//! same format family with `raw_stream::write_file`, read back and compared
//! (bit for bit; any NaN for any NaN in ASCII).
//!
//! The body is `differential_input` of
//! `crates/raw-stream/tests/common/agree.rs`, shared with the property tests
//! and the regression test `tests/fuzz_regressions.rs`.

#![no_main]

#[path = "../../crates/raw-stream/tests/common/agree.rs"]
mod agree;

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One scratch directory for the round trips of this process (in memory where `/dev/shm` exists).
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let d = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .expect("a scratch directory");
        let p = d.path().to_path_buf();
        (d, p)
    })
    .1
}

fuzz_target!(|data: &[u8]| agree::differential_input(data, scratch()));
