//! Header text as simulators write it (blank lines, long junk lines, wide
//! gaps between plots, QSPICE's capitalised scale names), and what an open
//! file reports about itself: its options, how each plot is stored, Xyce
//! step names that are not quite right, and `Debug` text that does not dump
//! the bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use raw_stream::float_text::{push_f32, push_f64};
use raw_stream::groups::XyceStep;
use raw_stream::source::{BytesSource, Source};
use raw_stream::{write_plot, OpenOptions, RawError, RawFile, RawFormat, DEFAULT_WINDOW};
use waveform::{Column, Complex64, Dialect, Flags, Plot, PlotHeader, Steps, Variable};

fn two_var_plot(scale: &str, flags: &str, n: usize) -> Plot {
    let complex = flags.contains("complex");
    Plot {
        header: PlotHeader {
            title: "* layout".into(),
            date: "today".into(),
            plotname: common::plotname(complex),
            flags: Flags::parse(flags),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, scale, scale),
                Variable::new(1, "V(out)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64((1..=n).map(|i| i as f64 * 1e-3).collect()),
            if complex {
                Column::C64(
                    (0..n)
                        .map(|i| Complex64 {
                            re: i as f64,
                            im: -1.0,
                        })
                        .collect(),
                )
            } else {
                Column::F64((0..n).map(|i| i as f64 * 0.5).collect())
            },
        ],
        steps: Steps::single(n as u64),
    }
}

fn bytes_of(format: RawFormat, p: &Plot) -> Vec<u8> {
    let mut out = Vec::new();
    write_plot(&mut out, format, p).unwrap();
    out
}

fn open(bytes: Vec<u8>) -> Result<RawFile, RawError> {
    RawFile::from_bytes("h.raw", bytes, &OpenOptions::default())
}

const BINARY_2X2: [f64; 4] = [0.0, 1.5, 1e-6, -2.5];

fn data() -> Vec<u8> {
    BINARY_2X2.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn blank_lines_in_a_header_and_between_its_variables_are_skipped() {
    let head = "Title: * blank lines\n\nDate: today\n   \nPlotname: Transient Analysis\n\
                Flags: real\nNo. Variables: 2\nNo. Points: 2\n\nVariables:\n\
                \t0\ttime\ttime\n\n  \t\n\t1\tv(out)\tvoltage\nBinary:\n";
    let mut bytes = head.as_bytes().to_vec();
    bytes.extend(data());
    let raw = open(bytes).unwrap();
    let info = &raw.plots()[0];
    assert_eq!(info.header.date, "today");
    assert_eq!(info.header.plotname, "Transient Analysis");
    let names: Vec<&str> = info
        .header
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(names, ["time", "v(out)"]);
    assert_eq!(info.data_offset, head.len() as u64);
    let p = raw.plot(0).unwrap().read().unwrap();
    assert_eq!(p.columns[0].to_f64(), [0.0, 1e-6]);
    assert_eq!(p.columns[1].to_f64(), [1.5, -2.5]);
}

#[test]
fn a_long_junk_line_is_quoted_shortened_at_its_offset() {
    let junk: String = "garbage words without a colon ".repeat(4); // 120 chars
    let head = format!("Title: t\nDate: d\n{junk}\nPlotname: x\nBinary:\n");
    match open(head.into_bytes()) {
        Err(RawError::Header {
            plot,
            offset,
            message,
            ..
        }) => {
            assert_eq!((plot, offset), (0, "Title: t\nDate: d\n".len() as u64));
            let quoted: String = junk.trim().chars().take(60).collect();
            assert_eq!(message, format!("not a header line: '{quoted}…'"));
        }
        other => panic!("{other:?}"),
    }
    // a short one is quoted whole
    let head = "Title: t\nno colon here\nBinary:\n";
    match open(head.as_bytes().to_vec()) {
        Err(RawError::Header {
            offset, message, ..
        }) => {
            assert_eq!(offset, 9);
            assert_eq!(message, "not a header line: 'no colon here'");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_capitalised_scale_name_is_qspice_and_the_reason_says_so() {
    for (scale, command, reason) in [
        (
            "Time",
            None,
            "no Command: line; capitalised scale name 'Time' (QSPICE)",
        ),
        (
            "Frequency",
            Some("my own simulator"),
            "Command: line names no simulator; capitalised scale name 'Frequency' (QSPICE)",
        ),
    ] {
        let mut head = String::from("Title: * q\nDate: d\nPlotname: Transient Analysis\n");
        if let Some(c) = command {
            head.push_str(&format!("Command: {c}\n"));
        }
        head.push_str(&format!(
            "Flags: real\nNo. Variables: 2\nNo. Points: 2\nVariables:\n\t0\t{scale}\ttime\n\
             \t1\tV(out)\tvoltage\nBinary:\n"
        ));
        let mut bytes = head.into_bytes();
        bytes.extend(data());
        let raw = open(bytes).unwrap();
        assert_eq!(raw.dialect(), Dialect::Qspice, "{scale}");
        assert_eq!(raw.dialect_reason(), reason);
        // QSPICE's real data are all f64, read as stored
        let p = raw.plot(0).unwrap().read().unwrap();
        assert_eq!(p.columns[1].to_f64(), [1.5, -2.5]);
    }
}

#[test]
fn a_wide_gap_between_plots_is_skipped() {
    let a = two_var_plot("time", "real", 3);
    let b = two_var_plot("frequency", "complex", 2);
    for gap in [300usize, 1000, 4097] {
        let mut bytes = bytes_of(RawFormat::NgspiceBinary, &a);
        let second_at = bytes.len() + gap;
        // whitespace of every kind ngspice and friends leave between plots
        bytes.extend((0..gap).map(|i| [b'\n', b' ', b'\r', b'\t', 0][i % 5]));
        bytes.extend(bytes_of(RawFormat::NgspiceBinary, &b));
        let raw = open(bytes).unwrap();
        assert_eq!(raw.plots().len(), 2, "gap {gap}");
        assert_eq!(raw.plots()[1].header_offset, second_at as u64, "gap {gap}");
        assert!(raw.warnings().is_empty());
        let got = raw.plot(1).unwrap().read().unwrap();
        assert_eq!(got.columns, b.columns, "gap {gap}");
    }
}

#[test]
fn the_options_kept_are_the_ones_used() {
    let bytes = bytes_of(RawFormat::NgspiceBinary, &two_var_plot("time", "real", 2));
    let opts = OpenOptions {
        window_bytes: 10,
        checkpoint_bytes: 77,
        strict: true,
        read_log: false,
        dialect: Some(Dialect::Xyce),
    };
    let raw = RawFile::from_bytes("o.raw", bytes.clone(), &opts).unwrap();
    let kept = raw.options();
    // the window is clamped to its smallest size; the rest as given
    assert_eq!(kept.window_bytes, 64 << 10);
    assert_eq!(kept.checkpoint_bytes, 77);
    assert!(kept.strict && !kept.read_log);
    assert_eq!(kept.dialect, Some(Dialect::Xyce));
    assert_eq!(raw.dialect(), Dialect::Xyce);
    let huge = OpenOptions {
        window_bytes: usize::MAX,
        ..OpenOptions::default()
    };
    let raw = RawFile::from_bytes("o.raw", bytes.clone(), &huge).unwrap();
    assert_eq!(raw.options().window_bytes, 1 << 30);
    let raw = open(bytes).unwrap();
    assert_eq!(raw.options().window_bytes, DEFAULT_WINDOW);
}

#[test]
fn plots_say_whether_their_stored_bytes_are_the_values_yielded() {
    let cases = [
        // (format, scale, flags, stored as yielded, folded from bytes)
        (RawFormat::NgspiceBinary, "time", "real", true, true),
        // LTspice's time is read as its absolute value
        (RawFormat::LtspiceBinary, "time", "real", false, true),
        // not time: read as stored (f64 scale, f32 values, both yielded so)
        (RawFormat::LtspiceBinary, "voltage", "real", true, true),
        // variable-major: not rows
        (RawFormat::LtspiceFastAccess, "voltage", "real", false, true),
        // text
        (RawFormat::NgspiceAscii, "time", "real", false, false),
        // complex: the scale is stored complex, yielded real
        (
            RawFormat::NgspiceBinary,
            "frequency",
            "complex",
            false,
            false,
        ),
        (
            RawFormat::LtspiceBinary,
            "frequency",
            "complex",
            false,
            false,
        ),
    ];
    for (format, scale, flags, as_yielded, folded) in cases {
        let what = format!("{format:?} {scale} {flags}");
        let raw = open(bytes_of(format, &two_var_plot(scale, flags, 4))).unwrap();
        let info = &raw.plots()[0];
        assert_eq!(info.stored_as_yielded(raw.dialect()), as_yielded, "{what}");
        assert_eq!(info.stored_reals(raw.dialect()).is_some(), folded, "{what}");
        if as_yielded {
            // then the rows handed out are the bytes of the values read
            let pr = raw.plot(0).unwrap();
            let mut it = pr.chunks(4);
            let rows = it.next_rows().unwrap().unwrap();
            let read = pr.read().unwrap();
            let mut want = Vec::new();
            for i in 0..4 {
                for (c, t) in read.columns.iter().zip(&info.layout.stored) {
                    match (c, t) {
                        (Column::F32(v), _) => want.extend(v[i].to_le_bytes()),
                        (Column::F64(v), _) => want.extend(v[i].to_le_bytes()),
                        other => panic!("{other:?}"),
                    }
                }
            }
            assert_eq!(rows.bytes, &want[..], "{what}");
        }
    }
}

#[test]
fn xyce_step_names_with_a_misspelt_part_are_not_steps() {
    let good = "Step Analysis: Step 2 of 3 params:  name = TEMP value = 27  AC Analysis";
    assert!(XyceStep::parse(good).is_some());
    for bad in [
        "Step Analysis: Step 2 of 3 parameters:  name = TEMP value = 27  AC Analysis",
        "Step Analysis: Step 2 of 3 params:  name TEMP value = 27  AC Analysis",
        "Step Analysis: Step 2 of 3 params:  name = TEMP val = 27  AC Analysis",
        "Step Analysis: Step 2 of 3 params:  name = TEMP value 27  AC Analysis",
        "Step Analysis: Step 2 of 3 params:  name = TEMP value = 27  name : R1 value = 1 AC",
    ] {
        assert_eq!(XyceStep::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn f32_values_that_are_not_finite_are_written_as_the_reader_reads_them() {
    for (x, text) in [
        (f32::NAN, "NaN"),
        (f32::INFINITY, "inf"),
        (f32::NEG_INFINITY, "-inf"),
    ] {
        let mut s = String::new();
        push_f32(x, &mut s);
        assert_eq!(s, text);
        // the f64 writer writes the same words
        let mut d = String::new();
        push_f64(f64::from(x), &mut d);
        assert_eq!(d, text);
        let back: f32 = s.parse().unwrap();
        assert!(back.to_bits() == x.to_bits() || (back.is_nan() && x.is_nan()));
    }
}

#[test]
fn sources_and_files_show_their_size_not_their_bytes() {
    let empty = BytesSource::new(Vec::new());
    assert!(empty.is_empty());
    assert_eq!(format!("{empty:?}"), "BytesSource(0 bytes)");
    let bytes = bytes_of(
        RawFormat::NgspiceBinary,
        &two_var_plot("time", "real", 5000),
    );
    let n = bytes.len();
    let s = BytesSource::new(bytes.clone());
    assert!(!s.is_empty());
    assert_eq!(format!("{s:?}"), format!("BytesSource({n} bytes)"));
    let raw = open(bytes).unwrap();
    let debug = format!("{raw:?}");
    assert!(
        debug.contains(&format!("BytesSource({n} bytes)")),
        "{debug}"
    );
    // the file's bytes are not listed: not even a tenth of them as numbers
    assert!(debug.len() < n / 2, "{} bytes of Debug text", debug.len());
    let numbers = debug
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .count();
    assert!(numbers < n / 10, "{numbers} numbers in {debug}");
}

#[test]
fn a_qspice_complex_plot_stores_a_real_frequency_and_is_not_folded_from_bytes() {
    let head = "Title: * q ac\nDate: d\nPlotname: AC Analysis\nFlags: complex\n\
                No. Variables: 2\nNo. Points: 2\nVariables:\n\t0\tFrequency\tfrequency\n\
                \t1\tV(out)\tvoltage\nBinary:\n";
    let mut bytes = head.as_bytes().to_vec();
    // per point: the frequency (one f64), then re, im of V(out)
    for x in [1e3, 0.5, -0.25, 1e4, 0.125, 2.0] {
        bytes.extend(f64::to_le_bytes(x));
    }
    let raw = open(bytes).unwrap();
    assert_eq!(raw.dialect(), Dialect::Qspice);
    let info = &raw.plots()[0];
    assert_eq!(info.layout.stride, 24);
    assert_eq!(info.layout.stored, info.types);
    // the stored bytes are the values yielded, but complex: not folded as reals
    assert!(info.stored_as_yielded(raw.dialect()));
    assert_eq!(info.stored_reals(raw.dialect()), None);
    let p = raw.plot(0).unwrap().read().unwrap();
    assert_eq!(p.columns[0], Column::F64(vec![1e3, 1e4]));
    assert_eq!(
        p.columns[1],
        Column::C64(vec![
            Complex64 { re: 0.5, im: -0.25 },
            Complex64 { re: 0.125, im: 2.0 }
        ])
    );
}
