//! The fused statistics path (stored bytes folded straight into
//! accumulators) against the generic one (chunks decoded into columns) on
//! LTspice files of every layout: normal (f64 time + f32 traces), double,
//! fastaccess, stepped, negative times; and on ngspice binary. Results must
//! be equal bit for bit, whatever the size, chunk size and thread count.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use raw_stream::{write_file, RawFile, RawFormat};
use spicelab::stats::{file_stats, FileStats, StatsOptions, VectorStats};
use std::path::{Path, PathBuf};
use waveform::stats::{Accumulator, StoredReal};
use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// A transient of `n` points in `steps` steps (time restarting at 0 in each,
/// every fifth time stored negative as LTspice does), `nv - 1` traces of
/// smooth values with, when `specials`, NaNs, signed zeros, infinities and
/// subnormals among them; f64 traces when `double`, else f32.
fn transient(n: usize, nv: usize, steps: usize, double: bool, specials: bool, seed: u64) -> Plot {
    let mut vars = vec![Variable::new(0, "time", "time")];
    vars.extend((1..nv).map(|j| Variable::new(j, format!("V(n{j})"), "voltage")));
    let per = n / steps;
    let time: Vec<f64> = (0..n)
        .map(|i| {
            let k = if i / per >= steps {
                i - (steps - 1) * per
            } else {
                i % per
            };
            let t = k as f64 * 1e-6 + if k > 0 { 1e-9 } else { 0.0 };
            if i % 5 == 2 {
                -t
            } else {
                t
            }
        })
        .collect();
    let mut s = seed | 1;
    let mut columns = vec![Column::F64(time)];
    for j in 1..nv {
        let vals: Vec<f64> = (0..n)
            .map(|i| {
                let r = xorshift(&mut s);
                if specials && r % 23 == 0 {
                    [
                        f64::NAN,
                        -0.0,
                        0.0,
                        f64::INFINITY,
                        f64::NEG_INFINITY,
                        1e-310,
                        -3e-39,
                    ][(r >> 8) as usize % 7]
                } else {
                    (i as f64 * 1e-3 * j as f64).sin() * j as f64
                        + ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e-2
                }
            })
            .collect();
        columns.push(if double {
            Column::F64(vals)
        } else {
            Column::F32(vals.iter().map(|&v| v as f32).collect())
        });
    }
    let stepped = if steps > 1 { " stepped" } else { "" };
    Plot {
        header: PlotHeader {
            title: "* fused".into(),
            date: "today".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse(&format!("real forward{stepped}")),
            n_points: n as u64,
            variables: vars,
            ..PlotHeader::default()
        },
        columns,
        steps: Steps::single(n as u64),
    }
}

fn write(dir: &Path, name: &str, format: RawFormat, plot: &Plot) -> PathBuf {
    let path = dir.join(name);
    write_file(&path, format, std::slice::from_ref(plot)).unwrap();
    path
}

fn bits(v: &VectorStats) -> (String, [Option<u64>; 4], u64) {
    let b = |x: Option<f64>| x.map(f64::to_bits);
    (
        v.name.clone(),
        [b(v.min), b(v.max), b(v.mean), b(v.rms)],
        v.nans,
    )
}

/// Everything of two results, compared bit for bit.
fn assert_same(a: &FileStats, b: &FileStats, what: &str) {
    assert_eq!(a.plots.len(), b.plots.len(), "{what}");
    for (p, q) in a.plots.iter().zip(&b.plots) {
        assert_eq!((p.points, p.steps), (q.points, q.steps), "{what}");
        let v = |x: &[VectorStats]| x.iter().map(bits).collect::<Vec<_>>();
        assert_eq!(v(&p.vectors), v(&q.vectors), "{what}: whole plot");
        assert_eq!(p.step_stats.len(), q.step_stats.len(), "{what}");
        for (s, t) in p.step_stats.iter().zip(&q.step_stats) {
            assert_eq!(s.points, t.points, "{what}: step {}", s.step);
            assert_eq!(v(&s.vectors), v(&t.vectors), "{what}: step {}", s.step);
        }
    }
}

/// Fused and generic statistics of `path`, checked equal; the fused ones returned.
fn both(path: &Path, opts: &StatsOptions) -> FileStats {
    let raw = RawFile::open(path).unwrap();
    let fused = file_stats(&raw, opts, |_| {}).unwrap();
    let decode = StatsOptions {
        decode: true,
        ..opts.clone()
    };
    let generic = file_stats(&raw, &decode, |_| {}).unwrap();
    assert_same(&fused, &generic, &format!("{} {opts:?}", path.display()));
    fused
}

/// Min, max and NaN count of each column straight from the written plot
/// (time as its absolute value), and the mean to a relative 1e-9.
fn check_values(plot: &Plot, got: &[VectorStats]) {
    for (j, (col, v)) in plot.columns.iter().zip(got).enumerate() {
        let mut a = Accumulator::default();
        for i in 0..col.len() {
            let x = col.get_f64(i).unwrap();
            a.push(if j == 0 { x.abs() } else { x });
        }
        // min and max by value: among equal values (-0.0 and 0.0) which one
        // is kept depends on the order of the fold; the fused and decoding
        // paths are compared bit for bit in `assert_same`
        let val = |x: Option<f64>| x.map(|x| if x == 0.0 { 0.0 } else { x }).map(f64::to_bits);
        assert_eq!(
            (val(v.min), val(v.max), v.nans),
            (val(a.min()), val(a.max()), a.nans),
            "{}",
            v.name
        );
        match (v.mean, a.mean()) {
            (Some(m), Some(r)) if r.is_finite() => {
                assert!(
                    (m - r).abs() <= 1e-9 * r.abs().max(1.0),
                    "{}: {m} vs {r}",
                    v.name
                )
            }
            (m, r) => assert_eq!(m.is_some(), r.is_some(), "{}", v.name),
        }
    }
}

#[test]
fn every_ltspice_layout_folds_like_the_generic_path() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format, double) in [
        ("normal.raw", RawFormat::LtspiceBinary, false),
        ("double.raw", RawFormat::LtspiceBinary, true),
        ("fast.raw", RawFormat::LtspiceFastAccess, false),
        ("fast-double.raw", RawFormat::LtspiceFastAccess, true),
        ("ngspice.raw", RawFormat::NgspiceBinary, true),
    ] {
        let mut plot = transient(70_001, 9, 1, double, true, 7);
        if format == RawFormat::NgspiceBinary {
            // ngspice times are what they are: write them non-negative
            if let Column::F64(t) = &mut plot.columns[0] {
                t.iter_mut().for_each(|x| *x = x.abs());
            }
        }
        let path = write(dir.path(), name, format, &plot);
        let raw = RawFile::open(&path).unwrap();
        // the layout the reader reports is the one the fold works on
        let stored = raw.plots()[0].stored_reals(raw.dialect()).unwrap();
        let ltspice = format != RawFormat::NgspiceBinary;
        assert_eq!(stored.column_major, format == RawFormat::LtspiceFastAccess);
        assert_eq!(
            stored.types[0],
            if ltspice {
                StoredReal::AbsF64
            } else {
                StoredReal::F64
            }
        );
        let trace = if double {
            StoredReal::F64
        } else {
            StoredReal::F32
        };
        assert!(stored.types[1..].iter().all(|&t| t == trace), "{name}");
        for threads in [1, 2, 3] {
            for chunk_points in [0, 1000, 4099] {
                let opts = StatsOptions {
                    threads,
                    chunk_points,
                    ..StatsOptions::default()
                };
                let s = both(&path, &opts);
                assert_eq!(s.plots[0].points, 70_001);
                check_values(&plot, &s.plots[0].vectors);
            }
        }
        // the time scale is read as |t|: from 0 to the last time
        let s = both(&path, &StatsOptions::default());
        let time = &s.plots[0].vectors[0];
        assert_eq!(time.min, Some(0.0));
        assert_eq!(time.max, Some(70_000.0 * 1e-6 + 1e-9));
        // a selection, out of order
        let opts = StatsOptions {
            vars: vec!["V(n5)".into(), "time".into(), "V(n1)".into()],
            ..StatsOptions::default()
        };
        let sel = both(&path, &opts);
        let names: Vec<&str> = sel.plots[0]
            .vectors
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(names, ["V(n5)", "time", "V(n1)"]);
        let t = &sel.plots[0].vectors[1];
        if format == RawFormat::LtspiceFastAccess {
            // a variable-major chunk holds the selected columns' bytes of a
            // window: other chunks, so other partial sums of the 8-byte time
            assert_eq!((t.min, t.max, t.nans), (time.min, time.max, time.nans));
            let (a, b) = (t.mean.unwrap(), time.mean.unwrap());
            assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs {b}");
        } else {
            assert_eq!(bits(t), bits(time), "{name}");
        }
    }
}

#[test]
fn stepped_ltspice_folds_per_step() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in [
        ("stepped.raw", RawFormat::LtspiceBinary),
        ("stepped-fast.raw", RawFormat::LtspiceFastAccess),
    ] {
        let plot = transient(3 * 1200 + 7, 5, 3, false, true, 11);
        let path = write(dir.path(), name, format, &plot);
        for chunk_points in [0, 100, 1201] {
            let opts = StatsOptions {
                chunk_points,
                ..StatsOptions::default()
            };
            let s = both(&path, &opts);
            let p = &s.plots[0];
            assert_eq!(p.steps, 3, "{name}");
            let points: Vec<u64> = p.step_stats.iter().map(|s| s.points).collect();
            assert_eq!(points, [1202, 1202, 1203]);
            // each step's time runs from 0 to its last point
            assert_eq!(p.step_stats[0].vectors[0].min, Some(0.0));
            assert_eq!(p.step_stats[0].vectors[0].max, Some(1201.0 * 1e-6 + 1e-9));
            assert_eq!(p.step_stats[2].vectors[0].max, Some(1202.0 * 1e-6 + 1e-9));
            check_values(&plot, &p.vectors);
        }
        // stepped with a selection (the generic path on both sides)
        let opts = StatsOptions {
            vars: vec!["V(n2)".into()],
            ..StatsOptions::default()
        };
        assert_eq!(both(&path, &opts).plots[0].step_stats.len(), 3);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any size (across the threshold where several threads read a plot),
    /// any chunk size and thread count: the fused path gives the generic
    /// path's bits on every LTspice layout.
    #[test]
    fn fused_equals_generic(
        n in prop_oneof![2usize..3000, 65_536usize..70_000],
        nv in 1usize..12,
        steps in 1usize..4,
        double in any::<bool>(),
        fast in any::<bool>(),
        specials in any::<bool>(),
        threads in 1usize..5,
        chunk_points in prop_oneof![Just(0usize), 1usize..700],
        seed in any::<u64>(),
    ) {
        let steps = if n < 4 * steps { 1 } else { steps };
        let plot = transient(n, nv, steps, double, specials, seed);
        let dir = tempfile::tempdir().unwrap();
        let format = if fast { RawFormat::LtspiceFastAccess } else { RawFormat::LtspiceBinary };
        let path = write(dir.path(), "p.raw", format, &plot);
        let opts = StatsOptions { threads, chunk_points, ..StatsOptions::default() };
        let s = both(&path, &opts);
        prop_assert_eq!(s.plots[0].points, n as u64);
        check_values(&plot, &s.plots[0].vectors);
    }
}
