//! Property tests: the writer and reader agree bit for bit on every layout,
//! and no input (random bytes, truncation anywhere, absurd header counts)
//! makes the reader panic, hang or allocate by an unchecked field.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use proptest::prelude::*;
use raw_stream::{write_file, OpenOptions, RawError, RawFile, RawFormat};
use std::path::Path;
use waveform::{Column, Complex64, Flags, Plot, PlotHeader, Steps, Variable};

fn header(n_vars: usize, n: usize, complex: bool, extra_flags: &str) -> PlotHeader {
    let mut vars = vec![Variable::new(
        0,
        if complex { "frequency" } else { "time" },
        if complex { "frequency" } else { "time" },
    )];
    for i in 1..n_vars {
        vars.push(Variable::new(i, format!("v(n{i})"), "voltage"));
    }
    PlotHeader {
        title: "* property test".into(),
        date: "today".into(),
        plotname: common::plotname(complex),
        flags: Flags::parse(&format!(
            "{} {extra_flags}",
            if complex { "complex" } else { "real" }
        )),
        n_points: n as u64,
        variables: vars,
        ..PlotHeader::default()
    }
}

/// Any f64 bit pattern, NaN payloads, infinities, subnormals and -0.0 included.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        Just(-0.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MIN_POSITIVE / 4.0),
        -1e3f64..1e3,
    ]
}

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        Just(-0.0f32),
        -1e3f32..1e3
    ]
}

/// Bit-for-bit equality. Text cannot carry a NaN's sign or payload, so for
/// ASCII (`text`) any NaN equals any NaN; every other value must keep its bits.
fn same(a: &Column, b: &Column, text: bool) -> bool {
    if a.len() != b.len() || a.value_type() != b.value_type() {
        return false;
    }
    let eq = |p: f64, q: f64| p.to_bits() == q.to_bits() || (text && p.is_nan() && q.is_nan());
    match (a, b) {
        (Column::F64(x), Column::F64(y)) => x.iter().zip(y).all(|(p, q)| eq(*p, *q)),
        (Column::F32(x), Column::F32(y)) => {
            x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
        }
        (Column::C64(x), Column::C64(y)) => x
            .iter()
            .zip(y)
            .all(|(p, q)| eq(p.re, q.re) && eq(p.im, q.im)),
        _ => false,
    }
}

fn same_bits(a: &Column, b: &Column) -> bool {
    same(a, b, false)
}

fn read_back(path: &Path) -> Vec<Plot> {
    let raw = RawFile::open(path).unwrap_or_else(|e| panic!("{e}"));
    assert!(raw.warnings().is_empty(), "{:?}", raw.warnings());
    (0..raw.plots().len())
        .map(|i| {
            raw.plot(i)
                .and_then(|p| p.read())
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// ngspice binary and ASCII: every f64, bit for bit (the scale non-negative and finite,
    /// as a simulator writes it).
    #[test]
    fn ngspice_real_round_trip(
        n in 1usize..200,
        nv in 1usize..6,
        seed in proptest::collection::vec(any_f64(), 1..1200),
        ascii in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut cols = vec![Column::F64((0..n).map(|i| i as f64 * 1e-9).collect())];
        for j in 1..nv {
            cols.push(Column::F64((0..n).map(|i| seed[(i * nv + j) % seed.len()]).collect()));
        }
        let plot = Plot { header: header(nv, n, false, ""), columns: cols, steps: Steps::single(n as u64) };
        let path = dir.path().join("t.raw");
        let fmt = if ascii { RawFormat::NgspiceAscii } else { RawFormat::NgspiceBinary };
        write_file(&path, fmt, std::slice::from_ref(&plot)).unwrap_or_else(|e| panic!("{e}"));
        let back = read_back(&path);
        prop_assert_eq!(back.len(), 1);
        for (a, b) in plot.columns.iter().zip(&back[0].columns) {
            prop_assert!(same(a, b, ascii), "{:?}\n{:?}", a, b);
        }
    }

    /// Complex plots, ngspice binary/ASCII and LTspice: the scale is real, the rest complex.
    #[test]
    fn complex_round_trip(
        n in 1usize..100,
        nv in 2usize..5,
        vals in proptest::collection::vec((any_f64(), any_f64()), 1..400),
        fmt in prop_oneof![Just(RawFormat::NgspiceBinary), Just(RawFormat::NgspiceAscii), Just(RawFormat::LtspiceBinary), Just(RawFormat::LtspiceFastAccess)],
    ) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut cols = vec![Column::F64((0..n).map(|i| 10.0 * (i + 1) as f64).collect())];
        for j in 1..nv {
            cols.push(Column::C64((0..n).map(|i| {
                let (re, im) = vals[(i * nv + j) % vals.len()];
                Complex64 { re, im }
            }).collect()));
        }
        let plot = Plot { header: header(nv, n, true, "forward log"), columns: cols, steps: Steps::single(n as u64) };
        let path = dir.path().join("ac.raw");
        write_file(&path, fmt, std::slice::from_ref(&plot)).unwrap_or_else(|e| panic!("{e}"));
        let back = read_back(&path);
        for (a, b) in plot.columns.iter().zip(&back[0].columns) {
            prop_assert!(same(a, b, fmt == RawFormat::NgspiceAscii), "{:?}: {:?}\n{:?}", fmt, a, b);
        }
    }

    /// LTspice normal, fastaccess and double, plus stepped: f32 columns stay f32, bit for bit.
    #[test]
    fn ltspice_layouts_round_trip(
        steps in 1usize..4,
        per_step in 2usize..40,
        nv in 2usize..6,
        vals in proptest::collection::vec(any_f32(), 1..300),
        wide in any::<bool>(),
        fast in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let n = steps * per_step;
        // time restarts at 0 for every step
        let mut cols = vec![Column::F64((0..n).map(|i| (i % per_step) as f64 * 1e-6).collect())];
        for j in 1..nv {
            let it = (0..n).map(|i| vals[(i * nv + j) % vals.len()]);
            cols.push(if wide { Column::F64(it.map(f64::from).collect()) } else { Column::F32(it.collect()) });
        }
        let flags = if steps > 1 { "forward stepped" } else { "forward" };
        let plot = Plot { header: header(nv, n, false, flags), columns: cols, steps: Steps::single(n as u64) };
        let path = dir.path().join("lt.raw");
        let fmt = if fast { RawFormat::LtspiceFastAccess } else { RawFormat::LtspiceBinary };
        write_file(&path, fmt, std::slice::from_ref(&plot)).unwrap_or_else(|e| panic!("{e}"));
        let raw = RawFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(raw.dialect(), waveform::Dialect::Ltspice);
        prop_assert_eq!(raw.plots()[0].header.flags.double, wide && nv > 1);
        let p = raw.plot(0).unwrap_or_else(|e| panic!("{e}"));
        let got = p.steps().unwrap_or_else(|e| panic!("{e}"));
        let want: Vec<u64> = (0..steps as u64).map(|k| k * per_step as u64).collect();
        if steps > 1 {
            prop_assert_eq!(&got.starts, &want);
        }
        let back = p.read().unwrap_or_else(|e| panic!("{e}"));
        for (a, b) in plot.columns.iter().zip(&back.columns) {
            prop_assert!(same_bits(a, b), "{:?}\n{:?}", a, b);
        }
    }

    /// Random bytes: an error or a result, never a panic.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("junk.raw");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        exercise(&path);
    }

    /// A valid header followed by random bytes (binary or ASCII).
    #[test]
    fn random_data_after_a_valid_header(
        bytes in proptest::collection::vec(any::<u8>(), 0..3000),
        ascii in any::<bool>(),
        points in prop_oneof![Just(0u64), 1u64..100, Just(u64::MAX / 3), Just(999_999_999_999u64)],
        nv in prop_oneof![1usize..6, Just(100_000usize)],
    ) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("h.raw");
        let mut text = format!(
            "Title: t\nDate: d\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: {nv}\nNo. Points: {points}\nVariables:\n"
        );
        for i in 0..nv.min(5) {
            text.push_str(&format!("\t{i}\tv{i}\tvoltage\n"));
        }
        text.push_str(if ascii { "Values:\n" } else { "Binary:\n" });
        let mut b = text.into_bytes();
        b.extend_from_slice(&bytes);
        std::fs::write(&path, &b).unwrap_or_else(|e| panic!("{e}"));
        exercise(&path);
    }
}

/// Opens a file and reads everything it claims to hold; errors are fine, panics are not.
fn exercise(path: &Path) {
    for strict in [false, true] {
        let opts = OpenOptions {
            strict,
            ..OpenOptions::default()
        };
        let Ok(raw) = RawFile::open_with(path, &opts) else {
            continue;
        };
        for i in 0..raw.plots().len() {
            let Ok(p) = raw.plot(i) else { continue };
            let mut points = 0u64;
            for c in p.chunks(1000) {
                match c {
                    Ok(c) => points += c.len as u64,
                    Err(e) => {
                        assert!(
                            matches!(e, RawError::Data { .. } | RawError::Io { .. }),
                            "{e}"
                        );
                        break;
                    }
                }
            }
            assert!(points <= p.info().complete_points);
            let _ = p.steps();
        }
    }
}

/// Every truncation point of real files, binary and ASCII, LTspice and ngspice:
/// the complete points read back equal to the whole file's, never a panic.
#[test]
fn every_truncation_point_reads_the_complete_points() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut files = vec![
        fixtures.join("ng39_rc_tran.raw"),
        fixtures.join("ng39_rlc_ac_ascii.raw"),
    ];
    // the LTspice and Xyce files of the shared corpus (in CI it must be there)
    if let Some(corpus) = common::require::corpus_dir(env!("CARGO_MANIFEST_DIR")) {
        for name in [
            "ltspice_tran_fastaccess.raw",
            "ltspice_tran_step.raw",
            "xyce_ac_step_multi.raw",
        ] {
            assert!(corpus.join(name).exists(), "{name} missing from the corpus");
            files.push(corpus.join(name));
        }
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut checked = 0;
    for f in &files {
        let full = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let whole = RawFile::open(f)
            .and_then(|r| r.read_all())
            .unwrap_or_else(|e| panic!("{e}"));
        let step = (full.len() / 150).max(1);
        for cut in (0..full.len()).step_by(step) {
            let path = dir.path().join("cut.raw");
            std::fs::write(&path, &full[..cut]).unwrap_or_else(|e| panic!("{e}"));
            exercise(&path);
            let Ok(raw) = RawFile::open(&path) else {
                continue;
            };
            for (i, info) in raw.plots().iter().enumerate() {
                let Ok(p) = raw.plot(i).and_then(|p| p.read()) else {
                    continue;
                };
                // every value read equals the untruncated file's value
                for (a, b) in p.columns.iter().zip(&whole.plots[i].columns) {
                    for k in 0..a.len() {
                        let (x, y) = (a.get_complex(k), b.get_complex(k));
                        assert!(
                            x.zip(y)
                                .is_some_and(|(x, y)| x.re.to_bits() == y.re.to_bits()
                                    && x.im.to_bits() == y.im.to_bits()),
                            "{} cut at {cut}: plot {i} point {k}",
                            f.display()
                        );
                    }
                }
                assert!(info.complete_points <= whole.plots[i].len() as u64);
            }
            checked += 1;
        }
    }
    // about 150 cuts a file, all but those inside the header open
    assert!(
        checked >= 100 * files.len(),
        "{checked} cuts opened of {} files",
        files.len()
    );
}

/// A "number" of 40 MB of digits is an error, and the reader's buffer stays bounded.
#[test]
fn endless_ascii_token_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.raw");
    let mut b = b"Title: t\nDate: d\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 1\nNo. Points: 2\nVariables:\n\t0\ttime\ttime\nValues:\n0\t".to_vec();
    b.resize(b.len() + 40_000_000, b'1');
    b.extend_from_slice(b"\n1\t2.0\n");
    std::fs::write(&path, &b).unwrap();
    let raw = RawFile::open(&path).unwrap();
    let err = raw
        .plot(0)
        .unwrap()
        .column("time")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("more than") && err.contains("long.raw"),
        "{err}"
    );
}

/// A "stepped" plot with more steps than the reader will index is an error,
/// not a step index as long as the file.
#[test]
fn absurd_step_count_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steps.raw");
    let n = raw_stream::MAX_STEPS as u64 + 1;
    let mut b = format!(
        "Title: t\nDate: d\nPlotname: Operating Point\nFlags: real stepped\nNo. Variables: 1\nNo. Points: {n}\nVariables:\n\t0\tv(x)\tvoltage\nBinary:\n"
    )
    .into_bytes();
    b.resize(b.len() + n as usize * 8, 0);
    std::fs::write(&path, &b).unwrap();
    let raw = RawFile::open(&path).unwrap();
    let err = raw
        .plot(0)
        .unwrap()
        .steps()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("steps") && err.contains("steps.raw"), "{err}");
}
