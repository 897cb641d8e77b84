//! Every input that once crashed a fuzz target (`fuzz/`), run through the
//! target's own body: `tests/fuzz-regressions/<target>-<what>.bin`.
//!
//! - `raw_differential-cr-in-header-value.bin`: a header value holding a
//!   `\r` (`Title: \xd6\rl`) made the writer refuse to write it back ("holds
//!   a line break"), though the reader ends lines at `\n` only.
//! - `raw_differential-qspice-negative-time.bin`: a QSPICE file (`Abscissa:`)
//!   with a negative time was round-tripped through the LTspice format, whose
//!   reader takes |time|: the harness now writes QSPICE in the ngspice format.
//! - `raw_differential-binary-key-with-value.bin`: an LTspice header line
//!   `Binary: <text>` (an extra line, not the data marker, as it has a value)
//!   made the writer refuse it as a key it writes itself.
//! - `raw_differential-qspice-command-decides-the-file.bin`: a QSPICE file
//!   with a real plot, then a complex one, written as ngspice binary: the
//!   writer kept `Command: QSPICE` on the real plot (harmless for it), but
//!   the dialect of a file comes from its first plot, so the complex plot
//!   was read back with QSPICE's one-f64 frequency. The writer now leaves an
//!   LTspice or QSPICE `Command:` out of every ngspice-format plot.
//! - `raw_differential-dot-key-with-vertical-tab.bin`: a QSPICE-style line
//!   `.r\x0b al` (key `.r\x0b`, split at the space, not trimmed) was refused
//!   by the writer as a key with white space around it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

#[test]
fn every_input_that_crashed_a_fuzz_target_now_passes_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let scratch = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut ran = 0;
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let data = std::fs::read(f).unwrap();
        if name.starts_with("raw_differential-") {
            common::agree::differential_input(&data, scratch.path());
        } else if name.starts_with("raw_open-") {
            common::agree::open_input(&data);
        } else {
            panic!("{name}: not named after a fuzz target");
        }
        // the other target too: an input that stresses one stresses both
        common::agree::open_input(&data);
        ran += 1;
    }
    assert!(ran >= 1, "no regression inputs in {}", dir.display());
}

/// The first fuzz find, spelled out: a `\r` inside a header value is
/// written back and read back as it was.
#[test]
fn a_carriage_return_inside_a_header_value_round_trips() {
    let data = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz-regressions/raw_differential-cr-in-header-value.bin"),
    )
    .unwrap();
    let raw =
        raw_stream::RawFile::from_bytes("cr.raw", data[1..].to_vec(), &Default::default()).unwrap();
    let extra = raw.plots()[0].header.extra.clone();
    assert!(extra.iter().any(|(_, v)| v.contains('\r')), "{extra:?}");
    let plot = raw.plot(0).unwrap().read().unwrap();
    let mut out = Vec::new();
    raw_stream::write_plot(&mut out, raw_stream::RawFormat::NgspiceBinary, &plot).unwrap();
    let back = raw_stream::RawFile::from_bytes("back.raw", out, &Default::default()).unwrap();
    assert_eq!(back.plots()[0].header.extra, extra);
}
