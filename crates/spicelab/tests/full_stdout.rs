//! Output that cannot be written is an error, never a silent success:
//! every command that prints a report, with stdout on a full device
//! (`/dev/full`), says so and exits 2. A reader that closes the pipe
//! early (`| head`) ends the command quietly with 0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;

#[test]
fn a_full_stdout_is_an_error_for_every_report() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full here");
        return;
    }
    let tran = common::fixture("ng39_rc_tran.raw");
    let ac = common::fixture("ng39_rlc_ac.raw");
    let clip = common::fixture("fft/clipper.raw");
    let (tran, ac, clip) = (common::s(&tran), common::s(&ac), common::s(&clip));
    let cases: Vec<Vec<&str>> = vec![
        vec!["info", tran],
        vec!["info", tran, "--json"],
        vec!["stats", tran],
        vec!["stats", ac],
        vec!["stats", ac, "--json"],
        vec!["export", tran, "-o", "-"],
        vec!["diff", tran, tran],
        vec!["fft", "--var", "v(out)", "--fundamental", "1k", clip],
    ];
    for args in cases {
        let out = common::bin()
            .args(&args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("cannot write to stdout: No space left on device"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};
    // a CSV export far larger than a pipe's buffer (about 1.6 MB), its
    // reader gone at once: the writes fail with EPIPE
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("big.raw");
    let n = 40_000;
    let plot = Plot {
        header: PlotHeader {
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(out)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64((0..n).map(|i| i as f64 * 1.25e-9).collect()),
            Column::F64((0..n).map(|i| (i as f64 * 1e-3).sin()).collect()),
        ],
        steps: Steps::single(n as u64),
    };
    raw_stream::write_file(&raw, raw_stream::RawFormat::NgspiceBinary, &[plot]).unwrap();
    let mut child = common::bin()
        .args(["export", common::s(&raw), "-o", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
