//! Step indexes at their edges (a sweep that starts on a repeated value,
//! stepped plots of no points, a QSPICE stepped `.op` whose data are bad)
//! and `read_parallel` when worker threads panic (a bug: with two of them
//! panicking, or the first range failing while one panicked, the scope of
//! threads itself panicked instead of returning the error).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use raw_stream::{write_plot, OpenOptions, RawError, RawFile, RawFormat};
use std::ops::Range;
use waveform::{Column, Dialect, Flags, Plot, PlotHeader, Steps, Variable};

fn plot(plotname: &str, flags: &str, v0: (&str, &str), scale: Vec<f64>) -> Plot {
    let n = scale.len();
    Plot {
        header: PlotHeader {
            title: "* steps".into(),
            date: "today".into(),
            plotname: plotname.into(),
            flags: Flags::parse(flags),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, v0.0, v0.1),
                Variable::new(1, "V(out)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64(scale),
            Column::F64((0..n).map(|i| i as f64 * 0.25).collect()),
        ],
        steps: Steps::single(n as u64),
    }
}

fn open(format: RawFormat, p: &Plot, dialect: Option<Dialect>) -> RawFile {
    let mut bytes = Vec::new();
    write_plot(&mut bytes, format, p).unwrap();
    let opts = OpenOptions {
        dialect,
        ..OpenOptions::default()
    };
    RawFile::from_bytes("steps.raw", bytes, &opts).unwrap()
}

#[test]
fn a_sweep_that_starts_on_a_repeated_value_splits_where_it_turns_back() {
    // the first two times are equal: the direction is found at the third
    let time = vec![0.0, 0.0, 1e-6, 2e-6, 0.0, 0.0, 1e-6, 2e-6, 3e-6, 0.0, 1e-6];
    let p = plot("Transient Analysis", "real stepped", ("time", "time"), time);
    let raw = open(RawFormat::LtspiceBinary, &p, None);
    assert_eq!(raw.dialect(), Dialect::Ltspice);
    let steps = raw.plot(0).unwrap().steps().unwrap();
    assert_eq!(steps.starts, [0, 4, 9]);
    assert_eq!(steps.lengths(), [4, 5, 2]);
    assert_eq!(steps.total, 11);
    // a falling sweep whose first values repeat
    let v = vec![5.0, 5.0, 4.0, 3.0, 5.0, 4.0, 3.0];
    let p = plot(
        "DC transfer characteristic",
        "real stepped",
        ("V(in)", "voltage"),
        v,
    );
    let raw = open(RawFormat::LtspiceBinary, &p, None);
    assert_eq!(raw.plot(0).unwrap().steps().unwrap().starts, [0, 4]);
}

#[test]
fn stepped_operating_points_have_one_step_per_point_and_one_when_empty() {
    let op = |n: usize| {
        plot(
            "Operating Point",
            "real stepped",
            ("V(in)", "voltage"),
            (0..n).map(|i| i as f64).collect(),
        )
    };
    let raw = open(RawFormat::LtspiceBinary, &op(3), None);
    let steps = raw.plot(0).unwrap().steps().unwrap();
    assert_eq!(
        (steps.starts.as_slice(), steps.total),
        ([0, 1, 2].as_slice(), 3)
    );
    // no point at all: one empty step, not none
    let raw = open(RawFormat::LtspiceBinary, &op(0), None);
    assert_eq!(raw.plots()[0].complete_points, 0);
    let steps = raw.plot(0).unwrap().steps().unwrap();
    assert_eq!((steps.starts.as_slice(), steps.total), ([0].as_slice(), 0));
    assert_eq!(steps.count(), 1);
    assert_eq!(steps.lengths(), [0]);
}

#[test]
fn a_qspice_stepped_op_of_no_points_has_one_empty_step_and_no_parameters() {
    let p = plot("Operating Point", "real", ("R1", "parameter"), Vec::new());
    let raw = open(RawFormat::NgspiceBinary, &p, Some(Dialect::Qspice));
    let steps = raw.plot(0).unwrap().steps().unwrap();
    assert_eq!(steps.starts, [0]);
    assert_eq!(steps.total, 0);
    assert!(steps.params.is_empty());
    // with points: one step each, the parameter's value in each
    let p = plot(
        "Operating Point",
        "real",
        ("R1", "parameter"),
        vec![1e3, 2e3, 4.7e3],
    );
    let raw = open(RawFormat::NgspiceBinary, &p, Some(Dialect::Qspice));
    let steps = raw.plot(0).unwrap().steps().unwrap();
    assert_eq!(steps.starts, [0, 1, 2]);
    assert_eq!(
        steps.params,
        [
            vec![("R1".to_string(), 1e3)],
            vec![("R1".to_string(), 2e3)],
            vec![("R1".to_string(), 4.7e3)]
        ]
    );
}

#[test]
fn a_qspice_stepped_op_whose_parameter_is_not_a_number_fails_at_its_offset() {
    let head = "Title: * q\nDate: d\nPlotname: Operating Point\nFlags: real\n\
                No. Variables: 2\nNo. Points: 2\nVariables:\n\t0\tR1\tparameter\n\
                \t1\tV(out)\tvoltage\nValues:\n";
    let values = "0\t1e3\n\t2.5\n1\t2k\n\t3.5\n";
    let text = format!("{head}{values}");
    let opts = OpenOptions {
        dialect: Some(Dialect::Qspice),
        ..OpenOptions::default()
    };
    let raw = RawFile::from_bytes("q.raw", text.into_bytes(), &opts).unwrap();
    assert_eq!(raw.plots()[0].complete_points, 2);
    let (plot, offset, message) = common::expect_data_error(raw.plot(0).unwrap().steps(), "steps");
    assert_eq!(plot, 0);
    assert_eq!(offset, (head.len() + values.find("2k").unwrap()) as u64);
    assert_eq!(message, "'2k' is not a number");
    // and the whole read reports the same error
    assert!(matches!(
        raw.plot(0).unwrap().read(),
        Err(RawError::Data { .. })
    ));
}

#[test]
fn a_panicking_worker_thread_is_an_error_of_the_plot_not_a_crash() {
    let n = 3000;
    let p = plot(
        "Transient Analysis",
        "real",
        ("time", "time"),
        (0..n).map(|i| f64::from(i) * 1e-9).collect(),
    );
    let raw = open(RawFormat::NgspiceBinary, &p, None);
    let pr = raw.plot(0).unwrap();
    assert_eq!(pr.partitions(3).len(), 3);
    // every range but the first (read on the calling thread) panics
    let r = pr.read_parallel(3, &mut |_| {}, |range: Range<u64>, _| {
        if range.start > 0 {
            panic!("worker for {range:?} gives up");
        }
        Ok(range.end - range.start)
    });
    let (plot, offset, message) = common::expect_data_error(r, "read_parallel");
    assert_eq!(plot, 0);
    assert_eq!(offset, raw.plots()[0].data_offset);
    assert_eq!(message, "a reading thread panicked");
    // the first range fails while another thread panics: the first's error
    let r: Result<Vec<u64>, RawError> = pr.read_parallel(3, &mut |_| {}, |range: Range<u64>, _| {
        if range.start > 0 {
            panic!("worker for {range:?} gives up");
        }
        Err(RawError::NoSuchPlot {
            path: "first.raw".into(),
            plot: 9,
            count: 1,
        })
    });
    assert!(
        matches!(r, Err(RawError::NoSuchPlot { plot: 9, .. })),
        "{r:?}"
    );
    // the same plot reads in parallel when no worker panics
    let sums = pr
        .read_parallel(3, &mut |_| {}, |range: Range<u64>, _| {
            let mut s = 0.0;
            for c in pr.chunks_in(range, 500, None) {
                s += c?.columns[1].to_f64().iter().sum::<f64>();
            }
            Ok(s)
        })
        .unwrap();
    let want: f64 = (0..n).map(|i| f64::from(i) * 0.25).sum();
    assert_eq!(sums.iter().sum::<f64>(), want);
}
