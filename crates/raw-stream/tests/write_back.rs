//! The writer keeps what it read: every plot of the committed fixtures and
//! of the shared corpus, written in its own format family and read back,
//! has the same values (bit for bit) and the same header lines: title,
//! date, plot name, variables, `Command:` and every other line
//! (`PlotHeader::extra`: `Offset:`, `Backannotation:`, `Version:`, ...).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::agree::{family, round_trip};
use raw_stream::{RawFile, RawFormat};
use std::path::{Path, PathBuf};
use waveform::Dialect;

fn files() -> Vec<PathBuf> {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")];
    dirs.extend(common::require::corpus_dir(env!("CARGO_MANIFEST_DIR")));
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "raw" || e == "qraw"))
        .collect();
    files.sort();
    files
}

#[test]
fn command_and_every_header_line_survive_a_write_and_a_read() {
    let scratch = tempfile::tempdir().unwrap();
    let mut plots_checked = 0;
    let mut with_command = 0;
    let mut with_extra = 0;
    for path in files() {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let raw = match RawFile::open(&path) {
            Ok(r) => r,
            Err(e) if name.starts_with("broken_") => {
                eprintln!("{name}: {e} (a broken sample)");
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        let plots = raw
            .read_all()
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .plots;
        // values, bit for bit
        round_trip(&raw, &plots, scratch.path());
        // headers
        let fmt = family(&raw);
        let out = scratch.path().join("headers.raw");
        raw_stream::write_file(&out, fmt, &plots).unwrap();
        let back = RawFile::open(&out).unwrap();
        for (k, (a, b)) in raw.plots().iter().zip(back.plots()).enumerate() {
            let (a, b) = (&a.header, &b.header);
            let ctx = format!("{name} plot {k} as {fmt:?}");
            assert_eq!(a.title, b.title, "{ctx}");
            assert_eq!(a.date, b.date, "{ctx}");
            assert_eq!(a.plotname, b.plotname, "{ctx}");
            assert_eq!(b.n_points, raw.plots()[k].complete_points, "{ctx}");
            let names = |h: &waveform::PlotHeader| -> Vec<(String, String, Vec<String>)> {
                h.variables
                    .iter()
                    .map(|v| (v.name.clone(), v.type_name.clone(), v.extra.clone()))
                    .collect()
            };
            assert_eq!(names(a), names(b), "{ctx}");
            // what the writer must have written
            let mut command = a.command.clone();
            let mut extra = a.extra.clone();
            let lt = matches!(fmt, RawFormat::LtspiceBinary | RawFormat::LtspiceFastAccess);
            if lt {
                command.get_or_insert_with(|| "LTspice-compatible RAW written by spicelab".into());
                if !extra.iter().any(|(k, _)| k.eq_ignore_ascii_case("offset")) {
                    extra.insert(0, ("Offset".into(), "0.0000000000000000e+00".into()));
                }
            } else if matches!(raw.dialect(), Dialect::Ltspice | Dialect::Qspice) {
                // an ngspice-layout file must not say it is from a simulator
                // whose files are read differently (LTspice: f32 values and
                // |time|; QSPICE: a complex plot's frequency as one f64)
                command = None;
                extra.retain(|(k, _)| {
                    !k.eq_ignore_ascii_case("abscissa") && !k.eq_ignore_ascii_case("offset")
                });
                // other QSPICE signs (a capitalised scale name, `.param`
                // lines) would still say QSPICE: the writer then names the
                // layout it wrote
                if raw.dialect() == Dialect::Qspice
                    && b.command.as_deref() == Some(raw_stream::NGSPICE_LAYOUT_COMMAND)
                {
                    command = b.command.clone();
                }
            }
            assert_eq!(b.command, command, "{ctx}");
            assert_eq!(b.extra, extra, "{ctx}");
            plots_checked += 1;
            with_command += usize::from(a.command.is_some());
            with_extra += usize::from(!a.extra.is_empty());
        }
    }
    assert!(plots_checked >= 12, "{plots_checked} plots");
    if common::require::corpus_dir(env!("CARGO_MANIFEST_DIR")).is_some() {
        assert!(
            with_command >= 10 && with_extra >= 10,
            "{with_command} with Command, {with_extra} with extra lines"
        );
    }
}
