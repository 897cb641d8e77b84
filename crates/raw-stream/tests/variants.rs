//! RAW variants that were misread: QSPICE ASCII AC (real frequency,
//! complex values), QSPICE stepped `.op` (a `parameter` variable 0), step
//! parameters from LTspice logs with a byte-order mark and from QSPICE logs,
//! UTF-16 headers with a byte-order mark, Xyce files without `Version:`, and
//! variable names with spaces (property test through the writer).
//!
//! The QSPICE files are hand-made fixtures in `fixtures/` (decoded by hand
//! below); the others are corpus files edited in memory or files written by
//! `raw_stream::write_file`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use proptest::prelude::*;
use raw_stream::{write_file, OpenOptions, RawError, RawFile, RawFormat};
use std::path::{Path, PathBuf};
use waveform::{Column, Complex64, Dialect, Flags, Plot, PlotHeader, Steps, VarKind, Variable};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The shared corpus (`../shared/raw-samples` or `$SPICELAB_RAW_SAMPLES`), when present.
fn corpus() -> Option<PathBuf> {
    let d = std::env::var_os("SPICELAB_RAW_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/raw-samples")
        });
    if d.join("MANIFEST.toml").exists() {
        Some(d)
    } else {
        eprintln!(
            "NOTE: RAW corpus not found at {}: corpus checks skipped",
            d.display()
        );
        None
    }
}

fn bytes_of(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn open_bytes(name: &str, bytes: Vec<u8>, dialect: Option<Dialect>) -> Result<RawFile, RawError> {
    let opts = OpenOptions {
        dialect,
        ..OpenOptions::default()
    };
    RawFile::from_bytes(name, bytes, &opts)
}

fn read_all(raw: &RawFile) -> Vec<Plot> {
    raw.read_all().unwrap_or_else(|e| panic!("{e}")).plots
}

fn c(re: f64, im: f64) -> Complex64 {
    Complex64 { re, im }
}

/// Replaces `from` by `to` in the header part (before the first data marker) only.
fn edit_header(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let end = bytes
        .windows(8)
        .position(|w| w == b"Binary:\n" || w == b"Values:\n")
        .expect("a data marker");
    let at = bytes[..end]
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{:?} not in the header", String::from_utf8_lossy(from)));
    [&bytes[..at], to, &bytes[at + from.len()..]].concat()
}

// ---------------------------------------------------------------- QSPICE AC

/// Hand decoding of fixtures/qspice_ac_ascii.qraw.
fn qspice_ac_expected() -> (Vec<f64>, Vec<Complex64>, Vec<Complex64>) {
    (
        vec![10.0, 100.0, 1000.0, 10000.0],
        vec![
            c(9.999605e-01, -6.282937e-03),
            c(9.960677e-01, -6.258480e-02),
            c(7.169568e-01, -4.504772e-01),
            c(2.470452e-02, -1.552230e-01),
        ],
        vec![
            c(3.947850e-08, 6.282937e-06),
            c(3.932288e-06, 6.258480e-05),
            c(2.830432e-04, 4.504772e-04),
            c(9.752955e-04, 1.552230e-04),
        ],
    )
}

#[test]
fn qspice_ascii_ac_has_a_real_frequency_and_complex_values() {
    let path = fixtures().join("qspice_ac_ascii.qraw");
    let raw = RawFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(raw.dialect(), Dialect::Qspice);
    assert_eq!(raw.dialect_reason(), "Command: line names QSPICE");
    assert!(raw.warnings().is_empty(), "{:?}", raw.warnings());
    let info = &raw.plots()[0];
    assert_eq!(raw.plots().len(), 1);
    assert_eq!(info.header.plotname, "AC Analysis");
    assert!(info.header.flags.complex);
    assert_eq!(info.complete_points, 4);
    let names: Vec<&str> = info
        .header
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(names, ["Frequency", "V(out)", "I(R1)"]);
    let plot = raw
        .plot(0)
        .and_then(|p| p.read())
        .unwrap_or_else(|e| panic!("{e}"));
    let (f, vout, ir1) = qspice_ac_expected();
    assert_eq!(plot.columns[0], Column::F64(f.clone()));
    assert_eq!(plot.columns[1], Column::C64(vout.clone()));
    assert_eq!(plot.columns[2], Column::C64(ir1.clone()));
    assert_eq!(plot.steps.count(), 1);

    // The binary twin (QSPICE stores the frequency as one f64, the others as
    // two) holds the same values.
    let text = std::fs::read_to_string(&path).unwrap();
    let header = &text[..text.find("Values:\n").unwrap()];
    let mut bin = format!("{header}Binary:\n").into_bytes();
    for i in 0..4 {
        bin.extend(f[i].to_le_bytes());
        for z in [vout[i], ir1[i]] {
            bin.extend(z.re.to_le_bytes());
            bin.extend(z.im.to_le_bytes());
        }
    }
    let twin = open_bytes("twin.qraw", bin, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(twin.plots()[0].layout.stride, 8 + 16 + 16);
    assert_eq!(read_all(&twin)[0].columns, plot.columns);

    // Read as ngspice (complex frequency), the first value line is a
    // misplaced value: an error at its byte offset, not a silent misread.
    let forced = open_bytes("forced.qraw", bytes_of(&path), Some(Dialect::Ngspice))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(forced.dialect_reason(), "forced by the caller");
    let want_at = text.find("\t9.999605e-01").unwrap() as u64 + 1;
    match forced.plot(0).and_then(|p| p.read()) {
        Err(RawError::Data {
            offset, plot: 0, ..
        }) => assert_eq!(offset, want_at),
        other => panic!("expected a data error at byte {want_at}, got {other:?}"),
    }
}

// ------------------------------------------------------- QSPICE stepped .op

#[test]
fn qspice_stepped_op_has_one_step_per_point_with_the_parameter() {
    let path = fixtures().join("qspice_op_step.qraw");
    let raw = RawFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(raw.dialect(), Dialect::Qspice);
    let info = &raw.plots()[0];
    assert!(!info.header.flags.stepped);
    let v0 = &info.header.variables[0];
    assert_eq!(
        (v0.name.as_str(), v0.type_name.as_str()),
        ("vin", "parameter")
    );
    assert_eq!(v0.kind, VarKind::Parameter);
    assert_eq!(v0.unit(), "");
    let vin = [1.0, 2.0, 5.0, 10.0];
    let check = |raw: &RawFile| {
        let p = raw.plot(0).unwrap();
        let steps = p.steps().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(steps.count(), 4);
        assert_eq!(steps.starts, vec![0, 1, 2, 3]);
        assert_eq!(steps.lengths(), vec![1, 1, 1, 1]);
        let want: Vec<Vec<(String, f64)>> =
            vin.iter().map(|&v| vec![("vin".to_string(), v)]).collect();
        assert_eq!(steps.params, want);
        let plot = p.read().unwrap();
        assert_eq!(plot.columns[0], Column::F64(vin.to_vec()));
        // the divider: V(out) = vin / 2, I(V1) = -vin / 2k
        assert_eq!(
            plot.column("V(out)"),
            Some(&Column::F64(vec![0.5, 1.0, 2.5, 5.0]))
        );
        assert_eq!(
            plot.column("I(V1)"),
            Some(&Column::F64(vec![-5e-4, -1e-3, -2.5e-3, -5e-3]))
        );
        // chunks split at the steps: one point each
        let chunks: Vec<_> = p
            .chunks_with(&raw_stream::ChunkOptions {
                split_steps: true,
                ..Default::default()
            })
            .unwrap()
            .map(|c| c.map(|c| (c.step, c.len)))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(chunks, vec![(0, 1), (1, 1), (2, 1), (3, 1)]);
    };
    check(&raw);

    // the binary twin (QSPICE real: every value f64)
    let text = std::fs::read_to_string(&path).unwrap();
    let header = &text[..text.find("Values:\n").unwrap()];
    let mut bin = format!("{header}Binary:\n").into_bytes();
    for v in vin {
        for x in [v, v / 2.0, -v / 2000.0] {
            bin.extend(x.to_le_bytes());
        }
    }
    check(&open_bytes("op_step.qraw", bin, None).unwrap());

    // only QSPICE's: read as ngspice it is one unstepped operating point
    let ng = open_bytes("op_step.raw", bytes_of(&path), Some(Dialect::Ngspice)).unwrap();
    let steps = ng.plot(0).and_then(|p| p.steps()).unwrap();
    assert_eq!((steps.count(), steps.total), (1, 4));
    assert!(steps.params.is_empty());
}

// -------------------------------------------------------- .log step params

/// A stepped LTspice binary file (time restarting at 0 for each step),
/// written by raw_stream's writer.
fn write_stepped(path: &Path, steps: usize, per_step: usize) {
    let n = steps * per_step;
    let header = PlotHeader {
        title: "* C:\\users\\me\\rc.asc".into(),
        date: "Mon Mar  3 10:00:00 2025".into(),
        plotname: "Transient Analysis".into(),
        flags: Flags::parse("real forward stepped"),
        n_points: n as u64,
        variables: vec![
            Variable::new(0, "time", "time"),
            Variable::new(1, "V(out)", "voltage"),
        ],
        ..PlotHeader::default()
    };
    let plot = Plot {
        header,
        columns: vec![
            Column::F64((0..n).map(|i| (i % per_step) as f64 * 1e-6).collect()),
            Column::F32((0..n).map(|i| i as f32 * 0.25).collect()),
        ],
        steps: Steps::single(n as u64),
    };
    write_file(path, RawFormat::LtspiceBinary, &[plot]).unwrap_or_else(|e| panic!("{e}"));
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut b = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    b
}

fn step_params_of(path: &Path) -> Steps {
    let raw = RawFile::open(path).unwrap_or_else(|e| panic!("{e}"));
    let s = raw
        .plot(0)
        .and_then(|p| p.steps())
        .unwrap_or_else(|e| panic!("{e}"));
    (*s).clone()
}

#[test]
fn ltspice_utf16_log_with_a_byte_order_mark_gives_the_step_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("rc.raw");
    write_stepped(&raw, 3, 5);
    let log = "Circuit: * C:\\users\\me\\rc.asc\r\n\r\n.step r1=1k vin=1.5\r\n\
               .step r1=2.2k vin=1.5\r\n.step r1=4.7k vin=3\r\n\r\n\
               Date: Mon Mar  3 10:00:00 2025\r\nTotal elapsed time: 0.012 seconds.\r\n";
    let want = vec![
        vec![("r1".to_string(), 1000.0), ("vin".to_string(), 1.5)],
        vec![("r1".to_string(), 2200.0), ("vin".to_string(), 1.5)],
        vec![("r1".to_string(), 4700.0), ("vin".to_string(), 3.0)],
    ];
    for bom in [true, false] {
        std::fs::write(dir.path().join("rc.log"), utf16le(log, bom)).unwrap();
        let s = step_params_of(&raw);
        assert_eq!(s.starts, vec![0, 5, 10], "bom {bom}");
        assert_eq!(s.params, want, "bom {bom}");
    }
    // a log whose step count differs from the data's gives no parameters
    let short = log.replace(".step r1=4.7k vin=3\r\n", "");
    std::fs::write(dir.path().join("rc.log"), utf16le(&short, true)).unwrap();
    let s = step_params_of(&raw);
    assert_eq!(s.count(), 3);
    assert!(s.params.is_empty());
}

#[test]
fn qspice_log_step_lines_give_the_step_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("rc.qraw");
    write_stepped(&raw, 4, 3);
    let log = "QSPICE64 simulation log\n\
               .step param vin list 1 2 5 10\n\
               \x201 of 4 steps: .step vin=1 r1=1000\n\
               \x202 of 4 steps: .step vin=2 r1=1000\n\
               \x203 of 4 steps: .step vin=5 r1=.027k\n\
               \x204 of 4 steps: .step vin=10 r1=1e3\n\
               Total elapsed time: 0.0153 seconds.\n";
    std::fs::write(dir.path().join("rc.log"), log).unwrap();
    let s = step_params_of(&raw);
    assert_eq!(s.starts, vec![0, 3, 6, 9]);
    let want: Vec<Vec<(String, f64)>> = [(1.0, 1000.0), (2.0, 1000.0), (5.0, 27.0), (10.0, 1000.0)]
        .iter()
        .map(|&(v, r)| vec![("vin".to_string(), v), ("r1".to_string(), r)])
        .collect();
    assert_eq!(s.params, want);
}

// ------------------------------------------------- UTF-16 byte-order mark

/// Opens `bytes` as they are and with a byte-order mark before them: the
/// same plots, the data two bytes later, the same values.
fn check_bom(name: &str, bytes: &[u8], bom: &[u8]) {
    let plain = open_bytes(name, bytes.to_vec(), None).unwrap_or_else(|e| panic!("{name}: {e}"));
    let marked = open_bytes(name, [bom, bytes].concat(), None)
        .unwrap_or_else(|e| panic!("{name} with a BOM: {e}"));
    assert_eq!(marked.dialect(), plain.dialect(), "{name}");
    assert_eq!(marked.utf16(), plain.utf16(), "{name}");
    assert!(
        marked.warnings().is_empty(),
        "{name}: {:?}",
        marked.warnings()
    );
    assert_eq!(marked.plots().len(), plain.plots().len());
    for (a, b) in marked.plots().iter().zip(plain.plots()) {
        assert_eq!(a.header, b.header, "{name}");
        assert_eq!(a.data_offset, b.data_offset + bom.len() as u64, "{name}");
        assert_eq!(a.complete_points, b.complete_points, "{name}");
    }
    assert!(
        read_all(&marked) == read_all(&plain),
        "{name}: values differ"
    );
    for i in 0..plain.plots().len() {
        let sa = marked.plot(i).and_then(|p| p.steps()).unwrap();
        let sb = plain.plot(i).and_then(|p| p.steps()).unwrap();
        assert_eq!(sa, sb, "{name}");
    }
}

#[test]
fn utf16_header_with_a_byte_order_mark_reads_as_without() {
    // written by raw_stream (UTF-16LE header, stepped)
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lt.raw");
    write_stepped(&path, 2, 4);
    let written = bytes_of(&path);
    check_bom("lt.raw", &written, &[0xFF, 0xFE]);
    let raw = open_bytes("lt.raw", [&[0xFF, 0xFE][..], &written].concat(), None).unwrap();
    assert_eq!(raw.dialect(), Dialect::Ltspice);
    assert_eq!(raw.dialect_reason(), "UTF-16 header (LTspice)");
    assert_eq!(raw.plots()[0].header.title, "* C:\\users\\me\\rc.asc");
    assert_eq!(
        raw.plot(0).and_then(|p| p.steps()).unwrap().starts,
        vec![0, 4]
    );

    let Some(dir) = corpus() else { return };
    for name in [
        "ltspice_tran_step.raw",
        "ltspice_ac_step.raw",
        "ltspice_tran_fastaccess.raw",
        "ltspice_noise.raw",
    ] {
        check_bom(name, &bytes_of(&dir.join(name)), &[0xFF, 0xFE]);
    }
    // the corpus file with its BOM: 4 steps of the manifest, |time| values
    let b = [
        &[0xFF, 0xFE][..],
        &bytes_of(&dir.join("ltspice_tran_step.raw")),
    ]
    .concat();
    let raw = open_bytes("ltspice_tran_step.raw", b, None).unwrap();
    let p = raw.plot(0).unwrap();
    assert_eq!(p.info().complete_points, 120);
    assert_eq!(p.steps().unwrap().count(), 4);
    // and an 8-bit LTspice IV header after a UTF-8 BOM
    check_bom(
        "ltspice4_tran.raw",
        &bytes_of(&dir.join("ltspice4_tran.raw")),
        &[0xEF, 0xBB, 0xBF],
    );
}

// ----------------------------------------------------- dialect detection

#[test]
fn xyce_without_version_line_is_still_xyce() {
    // hand-made: nothing but the upper-case name says Xyce
    let head = |name: &str| {
        let mut b = format!(
            "Title: t\nDate: d\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 2\n\
             No. Points: 2\nVariables:\n\t0\ttime\ttime\n\t1\t{name}\tvoltage\nBinary:\n"
        )
        .into_bytes();
        for x in [0.0f64, 0.5, 1e-3, 0.25] {
            b.extend(x.to_le_bytes());
        }
        b
    };
    let x = open_bytes("x.raw", head("V(OUT)"), None).unwrap();
    assert_eq!(x.dialect(), Dialect::Xyce);
    assert_eq!(
        x.dialect_reason(),
        "no Command: line; Xyce by upper-case names (V(OUT))"
    );
    let n = open_bytes("n.raw", head("v(out)"), None).unwrap();
    assert_eq!(n.dialect(), Dialect::Ngspice);
    assert_eq!(
        n.dialect_reason(),
        "no Command: line; ngspice by lower-case names (v(out))"
    );
    let plain = open_bytes("p.raw", head("42"), None).unwrap();
    assert_eq!(plain.dialect(), Dialect::Ngspice);
    assert!(
        plain.dialect_reason().contains("the default"),
        "{}",
        plain.dialect_reason()
    );

    // ngspice 39 (committed fixture) stays ngspice, even with its title upper-cased
    let ng = bytes_of(&fixtures().join("ng39_rc_tran.raw"));
    let raw = open_bytes("ng39_rc_tran.raw", ng.clone(), None).unwrap();
    assert_eq!(raw.dialect(), Dialect::Ngspice);
    assert_eq!(
        raw.dialect_reason(),
        "no Command: line; ngspice by lower-case names (v(in)), two spaces before the year \
         in 'Date:', 'No. Points:' padded to 8 characters"
    );
    let shouting = edit_header(&ng, b"* rc low-pass filter", b"* RC LOW-PASS FILTER");
    assert_eq!(
        open_bytes("ng.raw", shouting, None).unwrap().dialect(),
        Dialect::Ngspice
    );
    let forced = open_bytes("ng.raw", ng, Some(Dialect::Xyce)).unwrap();
    assert_eq!(
        (forced.dialect(), forced.dialect_reason()),
        (Dialect::Xyce, "forced by the caller")
    );

    let Some(dir) = corpus() else { return };
    // Xyce 6.0 with its Version: lines removed (one per plot)
    let orig = bytes_of(&dir.join("xyce_ac_step_multi.raw"));
    let line = b"Version: (D)Release 6.0\n";
    let mut cut = Vec::with_capacity(orig.len());
    let mut removed = 0;
    let mut i = 0;
    while i < orig.len() {
        if orig[i..].starts_with(line) {
            i += line.len();
            removed += 1;
        } else {
            cut.push(orig[i]);
            i += 1;
        }
    }
    assert_eq!(removed, 6);
    let raw = open_bytes("xyce_ac_step_multi.raw", cut, None).unwrap();
    assert_eq!(raw.dialect(), Dialect::Xyce);
    assert!(
        raw.dialect_reason().contains("'Step Analysis'"),
        "{}",
        raw.dialect_reason()
    );
    let want = open_bytes("xyce_ac_step_multi.raw", orig, None).unwrap();
    assert_eq!(raw.plots().len(), 6);
    for (k, (a, b)) in read_all(&raw)
        .iter()
        .zip(read_all(&want).iter())
        .enumerate()
    {
        assert!(a.columns == b.columns, "plot {k}: values differ");
        assert_eq!(a.header.variables, b.header.variables);
        assert_eq!(a.header.plotname, b.header.plotname);
    }

    // Xyce 7 transient whose branch current is named I(VIN) instead of
    // VIN#branch: no Version:, no #branch, and still Xyce by its other signs
    let orig = bytes_of(&dir.join("xyce_tran.raw"));
    let edited = edit_header(&orig, b"VIN#branch", b"I(VIN)");
    let raw = open_bytes("xyce_tran.raw", edited, None).unwrap();
    assert_eq!(raw.dialect(), Dialect::Xyce);
    assert_eq!(
        raw.dialect_reason(),
        "no Command: line; Xyce by upper-case names (IN), one space before the year in \
         'Date:', upper-case letters in the title, 'No. Points:' padded to 18 characters"
    );
    let want = open_bytes("xyce_tran.raw", orig, None).unwrap();
    let (a, b) = (read_all(&raw), read_all(&want));
    assert!(a[0].columns == b[0].columns, "values differ");
    assert_eq!(a[0].header.variables[3].name, "I(VIN)");
    // and the noise run with its branch renamed the same way
    let orig = bytes_of(&dir.join("xyce_noise.raw"));
    let raw = open_bytes(
        "xyce_noise.raw",
        edit_header(&orig, b"V1#branch", b"I(V1)"),
        None,
    )
    .unwrap();
    assert_eq!(raw.dialect(), Dialect::Xyce);
    assert!(raw.dialect_reason().contains("plot name 'Noise Analysis'"));
}

// ------------------------------------------- names with spaces, any writer

fn named_plot(names: &[(String, String, Vec<String>)], complex: bool) -> Plot {
    let n = 3;
    let mut variables = vec![Variable::new(0, "time", "time")];
    let mut columns = vec![Column::F64(vec![0.0, 1e-6, 2e-6])];
    for (i, (name, ty, extra)) in names.iter().enumerate() {
        let mut v = Variable::new(i + 1, name.clone(), ty.clone());
        v.extra = extra.clone();
        variables.push(v);
        columns.push(if complex {
            Column::C64((0..n).map(|k| c(k as f64, -(i as f64))).collect())
        } else {
            Column::F64((0..n).map(|k| (k * 10 + i) as f64).collect())
        });
    }
    if complex {
        variables[0] = Variable::new(0, "frequency", "frequency");
        columns[0] = Column::F64(vec![1.0, 10.0, 100.0]);
    }
    Plot {
        header: PlotHeader {
            title: "* names".into(),
            date: "d".into(),
            plotname: common::plotname(complex),
            flags: Flags::parse(if complex { "complex" } else { "real" }),
            n_points: n as u64,
            variables,
            ..PlotHeader::default()
        },
        columns,
        steps: Steps::single(n as u64),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Names with spaces (and other printable text), type words and extra
    /// fields come back as written, through every writer format.
    #[test]
    fn variable_names_with_spaces_round_trip(
        vars in proptest::collection::vec((
            "[!-~µΩ½][ -~µΩ½]{0,12}[!-~µΩ½]|[!-~]",
            "[a-z][a-z_-]{0,10}",
            proptest::collection::vec("[!-~]{1,8}", 0..3),
        ), 1..5),
        fmt in prop_oneof![
            Just(RawFormat::NgspiceBinary),
            Just(RawFormat::NgspiceAscii),
            Just(RawFormat::LtspiceBinary),
            Just(RawFormat::LtspiceFastAccess),
        ],
        complex in any::<bool>(),
    ) {
        let complex = complex && fmt != RawFormat::LtspiceFastAccess;
        let plot = named_plot(&vars, complex);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("names.raw");
        write_file(&path, fmt, std::slice::from_ref(&plot)).unwrap_or_else(|e| panic!("{e}"));
        let raw = RawFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let back = raw.plot(0).and_then(|p| p.read()).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(&back.header.variables, &plot.header.variables);
        prop_assert_eq!(back.columns.len(), plot.columns.len());
    }

    /// `.step` lines come back from a log in every encoding and layout:
    /// LTspice's (UTF-16LE with or without a BOM, 8-bit; LF or CRLF) and
    /// QSPICE's `N of M steps:` lines.
    #[test]
    fn log_step_lines_round_trip(
        steps in proptest::collection::vec(
            proptest::collection::vec(("[a-z][a-z0-9_]{0,6}", -1e9f64..1e9), 1..4),
            1..6,
        ),
        utf16 in any::<bool>(),
        bom in any::<bool>(),
        crlf in any::<bool>(),
        qspice in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("Circuit: * test{nl}{nl}");
        for (k, params) in steps.iter().enumerate() {
            if qspice {
                text.push_str(&format!(" {} of {} steps: ", k + 1, steps.len()));
            }
            text.push_str(".step");
            for (name, v) in params {
                text.push_str(&format!(" {name}={v:e}"));
            }
            text.push_str(nl);
        }
        text.push_str(&format!("{nl}Total elapsed time: 0.1 seconds.{nl}"));
        let bytes = if utf16 { utf16le(&text, bom) } else { text.clone().into_bytes() };
        let got = raw_stream::log::parse_step_lines(&raw_stream::log::log_text(&bytes));
        let want: Vec<Vec<(String, f64)>> = steps
            .iter()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .collect();
        prop_assert_eq!(got, want);
    }
}
