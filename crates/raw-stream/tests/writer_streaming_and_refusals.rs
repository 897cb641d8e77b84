//! The streaming writers (`PlotWriter`, `ColumnWriter`) and `write_plot`:
//! what they write reads back bit for bit, and what cannot be written is a
//! `RawError::Write` that names the writer (or file), the plot and the counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use raw_stream::{
    stored_types, write_file, write_plot, ColumnWriter, OpenOptions, PlotWriter, RawError, RawFile,
    RawFormat, STREAM_NAME,
};
use std::path::Path;
use waveform::{Column, Complex64, Flags, Plot, PlotHeader, Steps, ValueType, Variable};

fn header(n_vars: usize, n_points: u64, flags: &str) -> PlotHeader {
    let mut variables = vec![Variable::new(0, "time", "time")];
    variables.extend((1..n_vars).map(|i| Variable::new(i, format!("V(n{i})"), "voltage")));
    PlotHeader {
        title: "* streaming writer".into(),
        date: "Thu Jan  1 00:00:00  1970".into(),
        plotname: "Transient Analysis".into(),
        flags: Flags::parse(flags),
        n_points,
        variables,
        ..PlotHeader::default()
    }
}

fn write_error(r: Result<impl std::fmt::Debug, RawError>) -> (std::path::PathBuf, String) {
    match r {
        Err(RawError::Write { path, message }) => (path, message),
        other => panic!("expected RawError::Write, got {other:?}"),
    }
}

fn open(bytes: Vec<u8>) -> RawFile {
    RawFile::from_bytes("w.raw", bytes, &OpenOptions::default()).unwrap()
}

#[test]
fn format_names_parse_as_the_cli_spells_them() {
    for (name, f) in [
        ("ngspice", RawFormat::NgspiceBinary),
        ("ngspice-binary", RawFormat::NgspiceBinary),
        ("ngspice-ascii", RawFormat::NgspiceAscii),
        ("ltspice", RawFormat::LtspiceBinary),
        ("ltspice-binary", RawFormat::LtspiceBinary),
        ("ltspice-fastaccess", RawFormat::LtspiceFastAccess),
    ] {
        assert_eq!(RawFormat::from_name(name), Some(f), "{name}");
    }
    for bad in ["", "NGSPICE", "ascii", "ltspice-ascii", "xyce", "ngspice "] {
        assert_eq!(RawFormat::from_name(bad), None, "{bad:?}");
    }
}

#[test]
fn real_points_of_a_complex_plot_read_back_with_zero_imaginary_parts() {
    let h = header(2, 3, "complex");
    let types = [ValueType::F64, ValueType::F64];
    assert_eq!(
        stored_types(RawFormat::NgspiceBinary, &h, &types),
        [ValueType::C64, ValueType::C64]
    );
    let mut w = PlotWriter::begin(Vec::new(), RawFormat::NgspiceBinary, &h, &types, 3).unwrap();
    let rows = [[1e3, -0.5], [1e4, 0.25], [1e5, f64::MIN_POSITIVE]];
    for r in &rows {
        w.write_point(r).unwrap();
    }
    let raw = open(w.finish().unwrap());
    let p = raw.plot(0).unwrap().read().unwrap();
    assert!(p.header.flags.complex);
    // the scale of a complex plot is yielded real
    assert_eq!(
        p.columns[0],
        Column::F64(rows.iter().map(|r| r[0]).collect())
    );
    assert_eq!(
        p.columns[1],
        Column::C64(
            rows.iter()
                .map(|r| Complex64 { re: r[1], im: 0.0 })
                .collect()
        )
    );
}

#[test]
fn a_plot_writer_finished_early_says_how_many_points_it_has() {
    let h = header(2, 3, "real");
    let types = [ValueType::F64; 2];
    for format in [
        RawFormat::NgspiceBinary,
        RawFormat::NgspiceAscii,
        RawFormat::LtspiceBinary,
    ] {
        let mut w =
            PlotWriter::begin_named(Vec::new(), Path::new("out.raw"), format, &h, &types, 3)
                .unwrap();
        w.write_point(&[0.0, 1.0]).unwrap();
        let (path, message) = write_error(w.finish());
        assert_eq!(path, Path::new("out.raw"), "{format:?}");
        assert_eq!(message, "1 points written, 3 declared", "{format:?}");
    }
    // complex points: the same count
    let mut w = PlotWriter::begin(
        Vec::new(),
        RawFormat::NgspiceAscii,
        &header(2, 2, "complex"),
        &types,
        2,
    )
    .unwrap();
    w.write_point_complex(&[
        Complex64 { re: 1.0, im: 0.0 },
        Complex64 { re: 2.0, im: -3.0 },
    ])
    .unwrap();
    let (path, message) = write_error(w.finish());
    assert_eq!(path, Path::new(STREAM_NAME));
    assert_eq!(message, "1 points written, 2 declared");
}

#[test]
fn a_column_writer_refuses_a_column_count_that_does_not_match_the_header() {
    let h = header(3, 4, "real");
    let (path, message) = write_error(ColumnWriter::begin(Vec::new(), &h, &[ValueType::F64], 4));
    assert_eq!(path, Path::new(STREAM_NAME));
    assert_eq!(
        message,
        "plot 'Transient Analysis': 1 column types for 3 variables"
    );
    let (path, message) = write_error(ColumnWriter::begin_named(
        Vec::new(),
        Path::new("/tmp/fa.raw"),
        &h,
        &[ValueType::F64; 4],
        4,
    ));
    assert_eq!(path, Path::new("/tmp/fa.raw"));
    assert_eq!(
        message,
        "plot 'Transient Analysis': 4 column types for 3 variables"
    );
    // header text that would not read back is refused before anything is written
    let mut bad = h.clone();
    bad.variables[2].name = "V(a)\tV(b)".into();
    let (_, message) = write_error(ColumnWriter::begin(
        Vec::new(),
        &bad,
        &[ValueType::F64; 3],
        4,
    ));
    assert!(
        message.starts_with("plot 'Transient Analysis': variable name"),
        "{message}"
    );
}

#[test]
fn a_column_writer_moves_to_the_next_variable_and_refuses_extra_values() {
    let h = header(2, 3, "real");
    let mut w = ColumnWriter::begin(Vec::new(), &h, &[ValueType::F64; 2], 3).unwrap();
    assert_eq!(w.variable(), 0);
    w.write_values(&Column::F64(vec![0.0, 1e-6])).unwrap();
    assert_eq!(w.variable(), 0);
    // one more time value and the first two of V(n1) in one call
    w.write_values(&Column::F64(vec![2e-6, 5.0, 6.0])).unwrap();
    assert_eq!(w.variable(), 1);
    // one value past the end: refused, naming the shape
    let (path, message) = write_error(w.write_values(&Column::F64(vec![7.0, 8.0])));
    assert_eq!(path, Path::new(STREAM_NAME));
    assert_eq!(message, "more values than 2 variables x 3 points");
    // the values that fitted were written: the plot is complete
    assert_eq!(w.variable(), 2);
    let raw = open(w.finish().unwrap());
    assert!(raw.plots()[0].layout.column_major);
    let p = raw.plot(0).unwrap().read().unwrap();
    assert_eq!(p.columns[0].to_f64(), [0.0, 1e-6, 2e-6]);
    assert_eq!(p.columns[1].to_f64(), [5.0, 6.0, 7.0]);
}

#[test]
fn a_column_writer_finished_early_names_the_variable_and_its_count() {
    let h = header(3, 3, "real");
    let mut w = ColumnWriter::begin_named(
        Vec::new(),
        Path::new("part.raw"),
        &h,
        &[ValueType::F64; 3],
        3,
    )
    .unwrap();
    w.write_values(&Column::F64(vec![0.0, 1.0, 2.0, 10.0]))
        .unwrap();
    let (path, message) = write_error(w.finish());
    assert_eq!(path, Path::new("part.raw"));
    assert_eq!(message, "variable 1 of 3 has 1 of its 3 points");
    // nothing written at all
    let w = ColumnWriter::begin(Vec::new(), &h, &[ValueType::F64; 3], 3).unwrap();
    let (_, message) = write_error(w.finish());
    assert_eq!(message, "variable 0 of 3 has 0 of its 3 points");
    // a plot of no points is complete at once, and reads back empty
    let w =
        ColumnWriter::begin(Vec::new(), &header(3, 0, "real"), &[ValueType::F64; 3], 0).unwrap();
    let raw = open(w.finish().unwrap());
    assert_eq!(raw.plots()[0].complete_points, 0);
    assert!(raw
        .plot(0)
        .unwrap()
        .read()
        .unwrap()
        .columns
        .iter()
        .all(Column::is_empty));
}

#[test]
fn f64_values_given_for_an_f32_variable_are_stored_as_the_nearest_f32() {
    let h = header(2, 3, "real");
    let types = [ValueType::F64, ValueType::F32];
    assert_eq!(
        stored_types(RawFormat::LtspiceFastAccess, &h, &types),
        [ValueType::F64, ValueType::F32]
    );
    let mut w = ColumnWriter::begin(Vec::new(), &h, &types, 3).unwrap();
    w.write_values(&Column::F64(vec![0.0, 0.5, 1.0])).unwrap();
    let given = [0.1f64, -1.0 / 3.0, 1e39];
    w.write_values(&Column::F64(given.to_vec())).unwrap();
    let raw = open(w.finish().unwrap());
    let p = raw.plot(0).unwrap().read().unwrap();
    #[allow(clippy::cast_possible_truncation)]
    let want: Vec<f32> = given.iter().map(|&x| x as f32).collect();
    assert_eq!(want[2], f32::INFINITY, "1e39 is beyond f32");
    assert!(p.columns[1].same_bits(&Column::F32(want)));
}

#[test]
fn write_plot_refuses_a_plot_whose_columns_do_not_fit_its_header() {
    let plot = Plot {
        header: header(2, 2, "real"),
        columns: vec![Column::F64(vec![0.0, 1.0])],
        steps: Steps::single(2),
    };
    for format in [
        RawFormat::NgspiceBinary,
        RawFormat::NgspiceAscii,
        RawFormat::LtspiceBinary,
        RawFormat::LtspiceFastAccess,
    ] {
        let mut out = Vec::new();
        let (path, message) = write_error(write_plot(&mut out, format, &plot));
        assert_eq!(path, Path::new(STREAM_NAME));
        assert_eq!(
            message,
            "plot 'Transient Analysis': 1 columns for 2 variables"
        );
        assert!(out.is_empty(), "{format:?}: nothing is written");
    }
    // write_file names the file, and leaves none behind
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.raw");
    let (p, message) = write_error(write_file(&path, RawFormat::NgspiceBinary, &[plot]));
    assert_eq!(p, path);
    assert!(message.ends_with("1 columns for 2 variables"), "{message}");
    assert!(!path.exists());
}

#[test]
fn dot_lines_without_a_value_are_written_bare_and_must_not_end_in_white_space() {
    let mut plot = Plot {
        header: header(2, 2, "real"),
        columns: vec![Column::F64(vec![0.0, 1.0]), Column::F64(vec![2.0, 3.0])],
        steps: Steps::single(2),
    };
    plot.header.extra = vec![
        (".end".into(), String::new()),
        (".param".into(), "r=1k".into()),
    ];
    let mut out = Vec::new();
    write_plot(&mut out, RawFormat::NgspiceAscii, &plot).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.contains("\n.end\n.param r=1k\nVariables:\n"), "{text}");
    let back = open(out).plot(0).unwrap().read().unwrap();
    assert_eq!(back.header.extra, plot.header.extra);
    assert_eq!(back.columns, plot.columns);

    for key in [".end\t", ".end\u{b}"] {
        plot.header.extra = vec![(key.into(), String::new())];
        let (_, message) =
            write_error(write_plot(&mut Vec::new(), RawFormat::NgspiceBinary, &plot));
        assert_eq!(
            message,
            format!("plot 'Transient Analysis': header key {key:?} ends in white space")
        );
    }
}

fn split_points(n: usize, cuts: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (n + 1)).collect();
    at.push(0);
    at.push(n);
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| w[0]..w[1]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A fastaccess plot written through `ColumnWriter` in pieces of any
    /// size reads back bit for bit, and is byte for byte what `write_plot`
    /// writes for the same plot.
    #[test]
    fn column_writer_pieces_read_back_bit_for_bit(
        n in 0usize..40,
        f32_values in any::<bool>(),
        seed in proptest::collection::vec(any::<u64>(), 3 * 40),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let time: Vec<f64> = (0..n).map(|i| i as f64 * 1e-9).collect();
        let v = |k: usize| -> Column {
            if f32_values {
                Column::F32((0..n).map(|i| f32::from_bits(seed[k * 40 + i] as u32)).collect())
            } else {
                Column::F64((0..n).map(|i| f64::from_bits(seed[k * 40 + i])).collect())
            }
        };
        let columns = vec![Column::F64(time), v(1), v(2)];
        let types: Vec<ValueType> = columns.iter().map(Column::value_type).collect();
        let h = header(3, n as u64, "real");
        let mut w = ColumnWriter::begin(Vec::new(), &h, &types, n as u64).unwrap();
        for c in &columns {
            for r in split_points(n, &cuts) {
                let part = match c {
                    Column::F64(x) => Column::F64(x[r].to_vec()),
                    Column::F32(x) => Column::F32(x[r].to_vec()),
                    _ => unreachable!(),
                };
                w.write_values(&part).unwrap();
            }
        }
        let bytes = w.finish().unwrap();
        let plot = Plot { header: h, columns: columns.clone(), steps: Steps::single(n as u64) };
        let mut whole = Vec::new();
        write_plot(&mut whole, RawFormat::LtspiceFastAccess, &plot).unwrap();
        prop_assert_eq!(&bytes, &whole);
        let back = open(bytes).plot(0).unwrap().read().unwrap();
        for (j, (g, want)) in back.columns.iter().zip(&columns).enumerate() {
            prop_assert!(g.same_bits(want), "column {}", j);
        }
    }
}
