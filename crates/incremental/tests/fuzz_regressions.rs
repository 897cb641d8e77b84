//! Every input that once crashed or hung a fuzz target (`fuzz/`), run
//! through the target's own body: `tests/fuzz-regressions/<target>-<what>.bin`.
//!
//! - `canon-title-ends-in-two-cr.bin` (`\r\r`): the title kept one of its
//!   two `\r`s, which canonicalising the canonical text took away: not
//!   idempotent. Every line now loses all the `\r`s it ends in.
//! - `canon-control-then-paren.bin` (`.control\t)\n\t`): the `.control`
//!   line became `.control)` (no space before `)`), which no longer starts a
//!   block, so the blank line kept verbatim inside it went the second time.
//!   A `.control` line now keeps its tokens apart.
//! - `include-diamond-exponential.bin`: four files, each including the next
//!   30 times, took 30^4 reads (over a minute); a file walked once is now
//!   not walked again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use incremental::{canonicalise_netlist, resolve_file};

fn regression_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions")
}

#[test]
fn every_input_that_crashed_a_fuzz_target_now_passes_it() {
    let scratch = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(regression_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut ran = 0;
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let data = std::fs::read(f).unwrap();
        if name.starts_with("canon-") {
            common::fuzz::canon_input(&data);
        } else if name.starts_with("include-") {
            common::fuzz::include_input(&data, scratch.path());
        } else {
            panic!("{name}: not named after a fuzz target");
        }
        // the other target too: each file is also a netlist
        common::fuzz::canon_input(&data);
        ran += 1;
    }
    assert!(ran >= 2, "regression inputs missing");
}

#[test]
fn a_title_ending_in_two_carriage_returns_loses_both() {
    let c = canonicalise_netlist("My title\r\r\nR1 a 0 1k\r\r\n");
    assert_eq!(c.title.as_deref(), Some("My title"));
    assert_eq!(c.lines, vec!["r1 a 0 1k"]);
    assert_eq!(canonicalise_netlist(&c.text()), c);
}

#[test]
fn a_control_line_stays_a_control_line() {
    let c = canonicalise_netlist("t\n.CONTROL )\n\t\n.endc\n");
    assert_eq!(c.lines, vec![".control )", "\t", ".endc"]);
    assert_eq!(canonicalise_netlist(&c.text()), c);
}

#[test]
fn diamond_includes_are_walked_once_each() {
    let data = std::fs::read(regression_dir().join("include-diamond-exponential.bin")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    common::fuzz::write_tree(&data, scratch.path());
    let root = scratch.path().join("root");
    let start = Instant::now();
    let incs = resolve_file(&root.join("top.cir"), &root).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let names: Vec<&str> = incs.iter().map(|i| i.logical.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "models/a.lib",
            "models/sub/b.lib",
            "c.lib",
            "../outside.lib"
        ]
    );
    assert_eq!(incs[3].canonical, ".param x=1\n");
}
