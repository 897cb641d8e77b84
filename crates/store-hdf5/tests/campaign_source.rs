//! `write_campaign` driven by an in-memory `RunSource`: runs stacked along
//! `run` read back bit for bit through `H5Reader` and the hdf5 crate
//! (f32, complex f64 and complex f32 vectors, ragged runs, a run whose
//! variables come in another order, failed runs), the run-level variables
//! (parameters, keys, statuses, measures, spec results), resampled grids,
//! and failures of the source or of the sink named by run, with no file
//! left behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use store_hdf5::{
    write_campaign, BlockSink, CampaignInfo, CampaignRun, H5Reader, Hdf5Error, Options, RunPlot,
    RunSource, SourceFailure,
};
use waveform::{Column, Complex32, Complex64, Flags, ParamValue, PlotHeader, ValueType, Variable};

/// One plot of a run: its description and its columns.
#[derive(Clone)]
struct MemPlot {
    meta: RunPlot,
    cols: Vec<Column>,
}

/// Runs held in memory, handed out in blocks of `block` points.
struct Mem {
    runs: Vec<Option<Vec<MemPlot>>>,
    block: usize,
    /// `plots(run)` fails for this run.
    fail_plots: Option<usize>,
    /// `blocks(run)` fails for this run, after its first block.
    fail_blocks: Option<usize>,
    /// Every block of this run is handed out this many points later than it is.
    shift: Option<(usize, u64)>,
}

impl Mem {
    fn new(runs: Vec<Option<Vec<MemPlot>>>, block: usize) -> Mem {
        Mem {
            runs,
            block,
            fail_plots: None,
            fail_blocks: None,
            shift: None,
        }
    }
}

/// `c[r]`, cut to the column's length (a forged short column stays short).
fn slice(c: &Column, r: std::ops::Range<usize>) -> Column {
    let r = r.start.min(c.len())..r.end.min(c.len());
    match c {
        Column::F64(v) => Column::F64(v[r].to_vec()),
        Column::F32(v) => Column::F32(v[r].to_vec()),
        Column::C64(v) => Column::C64(v[r].to_vec()),
        Column::C32(v) => Column::C32(v[r].to_vec()),
    }
}

impl RunSource for Mem {
    fn plots(&mut self, run: usize) -> Result<Option<Vec<RunPlot>>, String> {
        if self.fail_plots == Some(run) {
            return Err(format!("cache entry of run {run} is unreadable"));
        }
        Ok(self.runs[run]
            .as_ref()
            .map(|ps| ps.iter().map(|p| p.meta.clone()).collect()))
    }

    fn blocks(&mut self, run: usize, sink: &mut BlockSink<'_>) -> Result<(), SourceFailure> {
        let Some(ps) = &self.runs[run] else {
            return Ok(());
        };
        for (pi, p) in ps.iter().enumerate() {
            let n = p.cols[0].len();
            let mut at = 0;
            while at < n {
                let end = (at + self.block).min(n);
                let cols: Vec<Column> = p.cols.iter().map(|c| slice(c, at..end)).collect();
                let start = match self.shift {
                    Some((r, by)) if r == run => at as u64 + by,
                    _ => at as u64,
                };
                sink(pi, start, &cols).map_err(SourceFailure::Sink)?;
                if self.fail_blocks == Some(run) {
                    return Err(SourceFailure::Source("block 2 fails its checksum".into()));
                }
                at = end;
            }
        }
        Ok(())
    }
}

fn header(plotname: &str, flags: &str, vars: &[(&str, &str)], n: usize) -> PlotHeader {
    PlotHeader {
        title: "campaign test".into(),
        plotname: plotname.into(),
        flags: Flags::parse(flags),
        n_points: n as u64,
        variables: vars
            .iter()
            .enumerate()
            .map(|(i, (name, t))| Variable::new(i, *name, *t))
            .collect(),
        ..PlotHeader::default()
    }
}

fn plot(h: PlotHeader, cols: Vec<Column>) -> MemPlot {
    MemPlot {
        meta: RunPlot {
            types: cols.iter().map(Column::value_type).collect(),
            n_points: cols[0].len() as u64,
            header: h,
        },
        cols,
    }
}

/// A transient plot of `n` points: time, an f64 voltage, an f32 current
/// with a NaN payload and a -0.0, and a complex f32 probe.
fn tran(n: usize, seed: f64) -> MemPlot {
    let time: Vec<f64> = (0..n).map(|k| k as f64 * 1e-9).collect();
    let v: Vec<f64> = (0..n).map(|k| seed + (k as f64 * 0.37).sin()).collect();
    let mut i: Vec<f32> = (0..n).map(|k| (seed as f32) * 1e-3 * k as f32).collect();
    i[0] = -0.0;
    if n > 2 {
        i[2] = f32::from_bits(0x7fc0_1234);
    }
    let z: Vec<Complex32> = (0..n)
        .map(|k| Complex32 {
            re: k as f32,
            im: -(seed as f32),
        })
        .collect();
    plot(
        header(
            "Transient Analysis",
            "real",
            &[
                ("time", "time"),
                ("v(out)", "voltage"),
                ("i(v1)", "current"),
                ("v(probe)", "voltage"),
            ],
            n,
        ),
        vec![
            Column::F64(time),
            Column::F64(v),
            Column::F32(i),
            Column::C32(z),
        ],
    )
}

/// An AC plot: complex frequency (stored as its real part), a complex voltage.
fn ac(n: usize, seed: f64) -> MemPlot {
    let f: Vec<Complex64> = (0..n)
        .map(|k| Complex64 {
            re: 10f64.powi(k as i32),
            im: 0.0,
        })
        .collect();
    let v: Vec<Complex64> = (0..n)
        .map(|k| Complex64 {
            re: seed / (1.0 + k as f64),
            im: -(k as f64),
        })
        .collect();
    plot(
        header(
            "AC Analysis",
            "complex",
            &[("frequency", "frequency"), ("v(out)", "voltage")],
            n,
        ),
        vec![Column::C64(f), Column::C64(v)],
    )
}

fn bits(c: &Column) -> Vec<u64> {
    c.bit_patterns()
}

fn run(key: &str, status: &str, r: f64, corner: &str) -> CampaignRun {
    CampaignRun {
        key: key.into(),
        status: status.into(),
        params: vec![
            ("r".into(), ParamValue::Number(r)),
            ("corner".into(), ParamValue::from(corner)),
        ],
        measures: vec![Some(r * 2.0)],
        spec_pass: vec![Some(true)],
    }
}

fn text(ds: &hdf5::Dataset) -> Vec<String> {
    ds.read_raw::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .iter()
        .map(|s| s.as_str().to_string())
        .collect()
}

fn no_temp_left(dir: &Path) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".part")),
        "temporary files left: {names:?}"
    );
}

#[test]
fn runs_read_back_bit_for_bit_with_their_run_variables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("campaign.h5");
    // Run 2's transient plot lists its vectors in another order: they go
    // to the datasets of their names.
    let mut swapped = tran(5, 3.0);
    swapped.meta.header.variables.swap(1, 2);
    swapped.meta.header.variables[1].index = 1;
    swapped.meta.header.variables[2].index = 2;
    swapped.cols.swap(1, 2);
    swapped.meta.types.swap(1, 2);
    let runs = vec![
        Some(vec![tran(7, 1.0), ac(4, 1.0)]),
        None,
        Some(vec![swapped.clone(), ac(3, 3.0)]),
    ];
    let mut info = CampaignInfo {
        name: "sweep".into(),
        simulator: "ngspice".into(),
        simulator_version: "39".into(),
        measures: vec!["vmax".into()],
        specs: vec!["vmax".into()],
        runs: vec![
            run("k0", "ok", 1e3, "tt"),
            run("k1", "failed", 2e3, "ff"),
            run("k2", "ok", 3e3, "ss"),
        ],
        resample_points: None,
    };
    info.runs[1].measures = vec![None];
    info.runs[1].spec_pass = vec![None];
    info.runs[2].spec_pass = vec![Some(false)];
    let mut src = Mem::new(runs.clone(), 3);
    let report = write_campaign(&info, &mut src, &path, &Options::default()).unwrap();
    assert_eq!(report.plots, ["tran", "ac"]);
    assert_eq!(report.points, 7 + 4 + 5 + 3);
    assert!(report.note.is_none());
    no_temp_left(dir.path());

    let r = H5Reader::open(&path).unwrap();
    assert_eq!(r.kind(), "campaign");
    let plots = r.plots();
    assert_eq!(plots.len(), 2);
    assert_eq!(plots[0].group, "tran");
    assert_eq!(
        plots[0].types,
        [
            ValueType::F64,
            ValueType::F64,
            ValueType::F32,
            ValueType::C32
        ]
    );
    assert_eq!(plots[1].types, [ValueType::F64, ValueType::C64]);
    let rows = plots[0].rows.as_ref().unwrap();
    assert_eq!(rows.dim, "run");
    assert_eq!(rows.lengths, [7, 0, 5]);
    assert_eq!(plots[1].rows.as_ref().unwrap().lengths, [4, 0, 3]);
    assert_eq!(plots[0].header.n_points, 12);

    // Run 0 in the template's order, run 2 by name.
    let t0 = &runs[0].as_ref().unwrap()[0];
    for v in 0..4 {
        let got = r.read(0, v, Some(0), 0..7).unwrap();
        assert_eq!(bits(&got), bits(&t0.cols[v]), "run 0 var {v}");
    }
    let by_name = |name: &str| {
        let k = swapped
            .meta
            .header
            .variables
            .iter()
            .position(|v| v.name == name)
            .unwrap();
        &swapped.cols[k]
    };
    for (v, name) in ["time", "v(out)", "i(v1)", "v(probe)"].iter().enumerate() {
        let got = r.read(0, v, Some(2), 0..5).unwrap();
        assert_eq!(bits(&got), bits(by_name(name)), "run 2 {name}");
    }
    // The AC scale is its real part.
    let Column::F64(f) = r.read(1, 0, Some(2), 0..3).unwrap() else {
        panic!()
    };
    assert_eq!(f, [1.0, 10.0, 100.0]);
    let Column::C64(v) = r.read(1, 1, Some(0), 0..4).unwrap() else {
        panic!()
    };
    assert_eq!(v[3], Complex64 { re: 0.25, im: -3.0 });
    // read_plot stacks the rows: 7 + 0 + 5 points of the complex f32 probe.
    let whole = r.read_plot(0).unwrap();
    let Column::C32(z) = &whole.columns[3] else {
        panic!()
    };
    assert_eq!(z.len(), 12);
    assert_eq!(z[7], Complex32 { re: 0.0, im: -3.0 });
    assert_eq!(whole.steps.starts, [0, 7, 7]);
    drop(r);

    // The run-level variables, in the root and in each plot group.
    let f = hdf5::File::open(&path).unwrap();
    let attr = |name: &str| common::str_attr(&f, name);
    assert_eq!(attr("kind"), "campaign");
    assert_eq!(attr("campaign"), "sweep");
    assert_eq!(attr("grid"), "native");
    assert_eq!(attr("compression"), "deflate-1");
    assert_eq!(text(&f.dataset("job_key").unwrap()), ["k0", "k1", "k2"]);
    assert_eq!(text(&f.dataset("status").unwrap()), ["ok", "failed", "ok"]);
    assert_eq!(text(&f.dataset("corner").unwrap()), ["tt", "ff", "ss"]);
    assert_eq!(
        f.dataset("tran/r").unwrap().read_raw::<f64>().unwrap(),
        [1e3, 2e3, 3e3]
    );
    assert_eq!(
        f.dataset("pass").unwrap().read_raw::<i8>().unwrap(),
        [1, -1, 0]
    );
    assert_eq!(
        f.dataset("measure/vmax_pass")
            .unwrap()
            .read_raw::<i8>()
            .unwrap(),
        [1, -1, 0]
    );
    let m = f
        .dataset("measure/vmax")
        .unwrap()
        .read_raw::<f64>()
        .unwrap();
    assert_eq!((m[0], m[2]), (2e3, 6e3));
    assert!(m[1].is_nan());
    assert_eq!(
        f.dataset("tran/n_points")
            .unwrap()
            .read_raw::<i64>()
            .unwrap(),
        [7, 0, 5]
    );
    // The failed run's row of a vector is the fill value, NaN.
    let row1 = f.dataset("tran/v(out)").unwrap().read_2d::<f64>().unwrap();
    assert!(row1.row(1).iter().all(|x| x.is_nan()));
    assert!(row1[[2, 5]].is_nan() && row1[[2, 6]].is_nan());
}

#[test]
fn a_campaign_without_any_result_has_no_plot_group_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.h5");
    let info = CampaignInfo {
        name: "all failed".into(),
        runs: vec![
            run("a", "failed", 1.0, "tt"),
            run("b", "timed_out", 2.0, "ss"),
        ],
        ..CampaignInfo::default()
    };
    let mut src = Mem::new(vec![None, None], 4);
    let report = write_campaign(&info, &mut src, &path, &Options::default()).unwrap();
    assert!(report.plots.is_empty());
    assert_eq!(report.points, 0);
    let f = hdf5::File::open(&path).unwrap();
    let note: hdf5::types::VarLenUnicode = f.attr("note").unwrap().read_scalar().unwrap();
    assert_eq!(note.as_str(), "no run has a result: no plot group");
    assert_eq!(text(&f.dataset("status").unwrap()), ["failed", "timed_out"]);
    // No measure group without measures or specs, no pass without specs.
    assert!(f.group("measure").is_err());
    assert!(f.dataset("pass").is_err());
    drop(f);
    let r = H5Reader::open(&path).unwrap();
    assert_eq!(r.kind(), "campaign");
    assert!(r.plots().is_empty());
}

#[test]
fn resampled_runs_are_interpolated_onto_one_grid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("resampled.h5");
    // Two runs over 0.3 .. 0.9 s (the grid's last point rounds to just past
    // 0.9: it takes the last value), a third one longer; the complex f32
    // probe is resampled as complex f64.
    let mk = |times: Vec<f64>, k: f64| {
        let n = times.len();
        let v: Vec<f64> = times.iter().map(|t| k * t).collect();
        let z: Vec<Complex32> = times
            .iter()
            .map(|&t| Complex32 {
                re: t as f32,
                im: k as f32,
            })
            .collect();
        plot(
            header(
                "Transient Analysis",
                "real",
                &[("time", "time"), ("v(out)", "voltage"), ("v(z)", "voltage")],
                n,
            ),
            vec![Column::F64(times), Column::F64(v), Column::C32(z)],
        )
    };
    let runs = vec![
        Some(vec![mk(vec![0.3, 0.5, 0.9], 1.0)]),
        Some(vec![mk(vec![0.3, 0.4, 0.6, 0.9], 2.0)]),
        Some(vec![mk(vec![0.1, 0.6, 1.5], 4.0)]),
    ];
    let info = CampaignInfo {
        name: "resampled".into(),
        runs: vec![
            run("a", "ok", 1.0, "tt"),
            run("b", "ok", 2.0, "tt"),
            run("c", "ok", 4.0, "tt"),
        ],
        resample_points: Some(4),
        ..CampaignInfo::default()
    };
    let mut src = Mem::new(runs, 2);
    write_campaign(&info, &mut src, &path, &Options::default()).unwrap();
    let f = hdf5::File::open(&path).unwrap();
    let grid: hdf5::types::VarLenUnicode = f.attr("grid").unwrap().read_scalar().unwrap();
    assert_eq!(grid.as_str(), "resampled");
    let t = f.dataset("tran/time").unwrap().read_raw::<f64>().unwrap();
    assert_eq!(t.len(), 4);
    assert!((t[0] - 0.3).abs() < 1e-15 && (t[3] - 0.9).abs() < 1e-15);
    let v = f.dataset("tran/v(out)").unwrap().read_2d::<f64>().unwrap();
    // v = k t, linear: the interpolation is exact up to rounding.
    for (r, k) in [1.0, 2.0, 4.0].iter().enumerate() {
        for j in 0..4 {
            assert!(
                (v[[r, j]] - k * t[j]).abs() < 1e-12,
                "run {r} point {j}: {}",
                v[[r, j]]
            );
        }
    }
    let z = f.dataset("tran/v(z)").unwrap();
    assert_eq!(z.dtype().unwrap().size(), 16, "complex f64");
    let z = z.read_2d::<store_hdf5::Cx64>().unwrap();
    assert_eq!(z[[1, 3]].i, 2.0);
    assert!((z[[2, 1]].r - 0.5).abs() < 1e-6);
    drop(f);
    // The reader sees one time vector shared by every run.
    let r = H5Reader::open(&path).unwrap();
    let p = &r.plots()[0];
    assert_eq!(p.rows.as_ref().unwrap().lengths, [4, 4, 4]);
    let Column::F64(t2) = r.read(0, 0, Some(1), 0..4).unwrap() else {
        panic!()
    };
    assert_eq!(t2, t);
}

#[test]
fn a_long_resampled_run_and_a_grid_of_one_point() {
    let dir = tempfile::tempdir().unwrap();
    // 40000 grid points: written in several flushes.
    let n = 20_000;
    let times: Vec<f64> = (0..n).map(|k| k as f64).collect();
    let v: Vec<f64> = times.iter().map(|t| 0.5 * t).collect();
    let p = plot(
        header(
            "Transient Analysis",
            "real",
            &[("time", "time"), ("v(out)", "voltage")],
            n,
        ),
        vec![Column::F64(times), Column::F64(v)],
    );
    let info = CampaignInfo {
        runs: vec![run("a", "ok", 1.0, "tt")],
        resample_points: Some(40_000),
        ..CampaignInfo::default()
    };
    let path = dir.path().join("long.h5");
    let mut src = Mem::new(vec![Some(vec![p.clone()])], 5000);
    write_campaign(&info, &mut src, &path, &Options::default()).unwrap();
    let f = hdf5::File::open(&path).unwrap();
    let t = f.dataset("tran/time").unwrap().read_raw::<f64>().unwrap();
    let v = f.dataset("tran/v(out)").unwrap().read_2d::<f64>().unwrap();
    assert_eq!(v.shape(), [1, 40_000]);
    for j in [0, 1, 16_383, 16_384, 16_385, 39_999] {
        assert!((v[[0, j]] - 0.5 * t[j]).abs() < 1e-9, "point {j}");
    }
    drop(f);
    // One grid point: the start of the span.
    let info1 = CampaignInfo {
        resample_points: Some(1),
        ..info
    };
    let path1 = dir.path().join("one.h5");
    let mut src = Mem::new(vec![Some(vec![p])], 5000);
    write_campaign(&info1, &mut src, &path1, &Options::default()).unwrap();
    let f = hdf5::File::open(&path1).unwrap();
    assert_eq!(
        f.dataset("tran/time").unwrap().read_raw::<f64>().unwrap(),
        [0.0]
    );
    assert_eq!(
        f.dataset("tran/v(out)").unwrap().read_raw::<f64>().unwrap(),
        [0.0]
    );
}

#[test]
fn source_and_sink_failures_name_the_run_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.h5");
    let info = CampaignInfo {
        runs: vec![run("a", "ok", 1.0, "tt"), run("b", "ok", 2.0, "tt")],
        ..CampaignInfo::default()
    };
    let runs = vec![Some(vec![tran(6, 1.0)]), Some(vec![tran(6, 2.0)])];

    // The plots of run 1 cannot be read.
    let mut src = Mem::new(runs.clone(), 4);
    src.fail_plots = Some(1);
    let e = write_campaign(&info, &mut src, &path, &Options::default()).unwrap_err();
    match &e {
        Hdf5Error::Source { run, message, .. } => {
            assert_eq!(*run, 1);
            assert_eq!(message, "cache entry of run 1 is unreadable");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.path(), path.as_path());
    assert!(e.to_string().contains("reading the result of run 1"), "{e}");
    assert!(!path.exists());
    no_temp_left(dir.path());

    // Run 0's blocks fail after the first.
    let mut src = Mem::new(runs.clone(), 4);
    src.fail_blocks = Some(0);
    let e = write_campaign(&info, &mut src, &path, &Options::default()).unwrap_err();
    assert!(
        matches!(&e, Hdf5Error::Source { run: 0, message, .. } if message.contains("checksum")),
        "{e:?}"
    );
    assert!(!path.exists());

    // The same while spans are gathered for a resampled grid.
    let resampled = CampaignInfo {
        resample_points: Some(8),
        ..info.clone()
    };
    let mut src = Mem::new(runs.clone(), 4);
    src.fail_blocks = Some(1);
    let e = write_campaign(&resampled, &mut src, &path, &Options::default()).unwrap_err();
    assert!(matches!(&e, Hdf5Error::Source { run: 1, .. }), "{e:?}");

    // Run 1 hands its blocks beyond the points it declared: the sink (the
    // HDF5 write) fails and its error comes back as it is.
    let mut src = Mem::new(runs, 4);
    src.shift = Some((1, 100));
    let e = write_campaign(&info, &mut src, &path, &Options::default()).unwrap_err();
    match &e {
        Hdf5Error::Hdf5 { what, object, .. } => {
            assert_eq!(*what, "writing");
            assert!(object.starts_with("/tran/"), "{object}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.path(), path.as_path());
    assert!(!path.exists());
    no_temp_left(dir.path());
}

#[test]
fn a_run_with_other_plots_or_short_columns_keeps_nan_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.h5");
    // Run 1 has an AC plot where the template has its transient plot: it
    // is not written into the transient group. Run 2's current column is
    // shorter than its block: that vector is left NaN for the run.
    let mut short = tran(4, 5.0);
    short.cols[2] = Column::F32(vec![1.0]);
    let runs = vec![
        Some(vec![tran(4, 1.0)]),
        Some(vec![ac(4, 2.0)]),
        Some(vec![short]),
    ];
    let info = CampaignInfo {
        runs: vec![
            run("a", "ok", 1.0, "tt"),
            run("b", "ok", 2.0, "tt"),
            run("c", "ok", 3.0, "tt"),
        ],
        ..CampaignInfo::default()
    };
    let mut src = Mem::new(runs, 8);
    let report = write_campaign(&info, &mut src, &path, &Options::default()).unwrap();
    assert_eq!(report.plots, ["tran"]);
    let f = hdf5::File::open(&path).unwrap();
    assert_eq!(
        f.dataset("tran/n_points")
            .unwrap()
            .read_raw::<i64>()
            .unwrap(),
        [4, 0, 4]
    );
    let v = f.dataset("tran/v(out)").unwrap().read_2d::<f64>().unwrap();
    assert!(v.row(1).iter().all(|x| x.is_nan()));
    assert_eq!(v[[2, 0]], 5.0);
    let i = f.dataset("tran/i(v1)").unwrap().read_2d::<f32>().unwrap();
    assert!(i.row(2).iter().all(|x| x.is_nan()));
    assert_eq!(i[[0, 1]], 1e-3);
}
