//! One check that every way of reading a RAW file agrees with every other:
//! `PlotInfo::complete_points`, the whole read, chunks of 1 and 7 points,
//! each column alone, a range from the middle, partitions (split at small
//! ASCII checkpoints), `read_parallel`, chunks that stop at step boundaries,
//! and a write/re-read round trip. Values are compared by bit pattern.
//!
//! Used by the property tests (`tests/hostile.rs`) and by the fuzz target
//! `raw_differential` (`fuzz/fuzz_targets/raw_differential.rs`), which
//! includes this file: a disagreement is a panic, i.e. a failed test or a
//! fuzzer crash.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use raw_stream::{Chunk, ChunkOptions, OpenOptions, PlotRef, RawError, RawFile, RawFormat};
use std::ops::Range;
use std::path::Path;
use waveform::{Column, Dialect, Encoding, Plot, ValueType};

/// Bytes of ASCII text between two checkpoints for the partitioned read:
/// small, so that even a small file has several.
pub const SMALL_CHECKPOINTS: u64 = 24;

/// What [`check_bytes`] went through.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Plots whose every reader agreed on a successful read.
    pub plots_read: usize,
    /// Plots whose data have an error (every reader reported it).
    pub plots_failed: usize,
    /// Points compared.
    pub points: u64,
}

fn empty_like(types: &[ValueType]) -> Vec<Column> {
    types.iter().map(|&t| Column::with_capacity(t, 0)).collect()
}

/// Values `a..b` of a column.
pub fn slice(c: &Column, r: Range<usize>) -> Column {
    match c {
        Column::F32(v) => Column::F32(v[r].to_vec()),
        Column::F64(v) => Column::F64(v[r].to_vec()),
        Column::C32(v) => Column::C32(v[r].to_vec()),
        Column::C64(v) => Column::C64(v[r].to_vec()),
    }
}

/// Bit-for-bit equality of two columns. With `text`, any NaN equals any NaN
/// (text carries no NaN sign or payload); every other value keeps its bits.
pub fn same(a: &Column, b: &Column, text: bool) -> bool {
    if a.value_type() != b.value_type() || a.len() != b.len() {
        return false;
    }
    let (x, y) = (a.bit_patterns(), b.bit_patterns());
    let is_nan64 = |bits: u64| f64::from_bits(bits).is_nan();
    x.iter()
        .zip(&y)
        .all(|(&p, &q)| p == q || (text && is_nan64(p) && is_nan64(q)))
}

fn assert_same(what: &str, got: &[Column], want: &[Column], text: bool) {
    assert_eq!(got.len(), want.len(), "{what}: column count");
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            same(g, w, text),
            "{what}: column {j} differs: {} values {:?}.. vs {} values {:?}..",
            g.len(),
            g.bit_patterns().iter().take(8).collect::<Vec<_>>(),
            w.len(),
            w.bit_patterns().iter().take(8).collect::<Vec<_>>()
        );
    }
}

/// Collects the chunks of `it`, checking that they are contiguous from
/// `start`, hold at most `max_len` points each, and that every selected
/// column has one value per point. `steps`: every chunk lies in the step it names.
fn collect(
    what: &str,
    it: impl Iterator<Item = Result<Chunk, RawError>>,
    types: &[ValueType],
    start: u64,
    max_len: usize,
    steps: Option<(&[u64], u64)>,
) -> Result<Vec<Column>, RawError> {
    let mut cols = empty_like(types);
    let mut next = start;
    for chunk in it {
        let chunk = chunk?;
        assert_eq!(chunk.start, next, "{what}: chunks are contiguous");
        assert!(
            chunk.len >= 1 && chunk.len <= max_len,
            "{what}: chunk of {} points",
            chunk.len
        );
        if let Some((starts, n)) = steps {
            let k = chunk.step;
            assert!(k < starts.len(), "{what}: step {k} of {}", starts.len());
            let end = starts.get(k + 1).copied().unwrap_or(n);
            assert!(
                starts[k] <= chunk.start && chunk.start + chunk.len as u64 <= end,
                "{what}: chunk {}+{} is not inside step {k} ({}..{end})",
                chunk.start,
                chunk.len,
                starts[k]
            );
        } else {
            assert_eq!(
                chunk.step, 0,
                "{what}: step of a chunk that may cross steps"
            );
        }
        for (c, part) in cols.iter_mut().zip(&chunk.columns) {
            assert_eq!(part.len(), chunk.len, "{what}: a column of the chunk");
            assert!(c.extend_from(part), "{what}: column type");
        }
        next += chunk.len as u64;
    }
    Ok(cols)
}

/// Opens `bytes` with `opts` (and again with small checkpoints) and checks
/// that every reader of every plot agrees. `None` when the bytes do not open
/// (with either set of options: opening does not depend on checkpoints).
pub fn check_bytes(bytes: &[u8], opts: &OpenOptions) -> Option<(RawFile, Vec<Plot>, Checked)> {
    let raw = RawFile::from_bytes("fuzz.raw", bytes.to_vec(), opts);
    let small_opts = OpenOptions {
        checkpoint_bytes: SMALL_CHECKPOINTS,
        ..opts.clone()
    };
    let small = RawFile::from_bytes("fuzz.raw", bytes.to_vec(), &small_opts);
    let (raw, small) = match (raw, small) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(_), Err(_)) => return None,
        (a, b) => panic!(
            "checkpoints changed whether the file opens: {:?} vs {:?}",
            a.err(),
            b.err()
        ),
    };
    assert_eq!(raw.plots().len(), small.plots().len());
    let mut checked = Checked::default();
    let mut plots = Vec::new();
    for i in 0..raw.plots().len() {
        let p = raw.plot(i).expect("plot index in range");
        let ps = small.plot(i).expect("plot index in range");
        assert_eq!(
            p.info().complete_points,
            ps.info().complete_points,
            "plot {i}: checkpoints changed the point count"
        );
        match check_plot(&p, &ps) {
            Some((plot, n)) => {
                checked.plots_read += 1;
                checked.points += n;
                plots.push(plot);
            }
            None => checked.plots_failed += 1,
        }
    }
    Some((raw, plots, checked))
}

/// Every reader of one plot; returns the plot read whole and its point
/// count, or `None` when its data have an error that every reader reports.
pub fn check_plot(p: &PlotRef, ps: &PlotRef) -> Option<(Plot, u64)> {
    let info = p.info();
    let i = info.index;
    let n = info.complete_points;
    let types = info.types.clone();
    assert_eq!(
        types.len(),
        info.header.variables.len(),
        "plot {i}: one type per variable"
    );
    let whole = collect(
        &format!("plot {i} chunks(65536)"),
        p.chunks(1 << 16),
        &types,
        0,
        1 << 16,
        None,
    );
    let whole = match whole {
        Ok(w) => w,
        Err(e) => {
            assert!(
                matches!(e, RawError::Data { .. } | RawError::Io { .. }),
                "plot {i}: {e}"
            );
            // the error is in the data: every reader of all the points meets it
            for k in [1usize, 7] {
                assert!(
                    collect("", p.chunks(k), &types, 0, k, None).is_err(),
                    "plot {i}: chunks(65536) failed ({e}) but chunks({k}) did not"
                );
            }
            assert!(
                p.read().is_err(),
                "plot {i}: chunks failed ({e}) but read did not"
            );
            return None;
        }
    };
    for (j, c) in whole.iter().enumerate() {
        assert_eq!(
            c.len() as u64,
            n,
            "plot {i} column {j}: values vs complete_points {n}"
        );
    }
    let n_us = n as usize;
    // chunks of 1 and 7 points
    for k in [1usize, 7] {
        let what = format!("plot {i} chunks({k})");
        let got = collect(&what, p.chunks(k), &types, 0, k, None)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_same(&what, &got, &whole, false);
    }
    // each column alone
    for (j, want) in whole.iter().enumerate() {
        let what = format!("plot {i} column_at({j})");
        let c = p.column_at(j).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_same(
            &what,
            std::slice::from_ref(&c),
            std::slice::from_ref(want),
            false,
        );
    }
    // from the middle
    for (k, pp) in [(0, p), (1, ps)] {
        let mid = n / 3;
        let what = format!("plot {i} chunks_in({mid}..{n}) #{k}");
        let got = collect(&what, pp.chunks_in(mid..n, 5, None), &types, mid, 5, None)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let want: Vec<Column> = whole.iter().map(|c| slice(c, mid as usize..n_us)).collect();
        assert_same(&what, &got, &want, false);
    }
    // partitions, with the default and with small checkpoints
    for (k, pp) in [(0, p), (1, ps)] {
        for parts in [2usize, 3] {
            let ranges = pp.partitions(parts);
            let what = format!("plot {i} partitions({parts}) #{k}: {ranges:?}");
            assert!(!ranges.is_empty() && ranges.len() <= parts, "{what}");
            let mut next = 0;
            let mut cols = empty_like(&types);
            for r in ranges.iter().cloned() {
                assert!(
                    r.start == next && r.end <= n && (r.start < r.end || n == 0),
                    "{what}"
                );
                next = r.end;
                let got = collect(
                    &what,
                    pp.chunks_in(r.clone(), 7, None),
                    &types,
                    r.start,
                    7,
                    None,
                )
                .unwrap_or_else(|e| panic!("{what}: {e}"));
                for (c, part) in cols.iter_mut().zip(&got) {
                    assert_eq!(part.len() as u64, r.end - r.start, "{what}");
                    c.extend_from(part);
                }
            }
            assert_eq!(next, n, "{what}: the partitions cover the plot");
            assert_same(&what, &cols, &whole, false);
        }
    }
    // read_parallel on three threads
    let what = format!("plot {i} read_parallel(3)");
    let parts = ps
        .read_parallel(3, &mut |_| {}, |r, _| {
            let got = collect(
                "read_parallel",
                ps.chunks_in(r.clone(), 1 << 10, None),
                &types,
                r.start,
                1 << 10,
                None,
            )?;
            Ok((r, got))
        })
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut cols = empty_like(&types);
    let mut next = 0;
    for (r, got) in parts {
        assert_eq!(r.start, next, "{what}");
        next = r.end;
        for (c, part) in cols.iter_mut().zip(&got) {
            c.extend_from(part);
        }
    }
    assert_eq!(next, n, "{what}");
    assert_same(&what, &cols, &whole, false);
    // chunks that stop at steps, whole and from the middle
    let plot = match p.steps() {
        Ok(steps) => {
            assert_eq!(steps.total, n, "plot {i}: steps total");
            assert!(
                !steps.starts.is_empty() && steps.starts[0] == 0,
                "plot {i}: {:?}",
                steps.starts
            );
            assert!(
                steps.starts.windows(2).all(|w| w[0] < w[1])
                    && steps.starts.iter().all(|&s| s < n.max(1)),
                "plot {i}: step starts {:?} of {n} points",
                steps.starts
            );
            for (points, from) in [(3usize, 0u64), (1, n / 2), (1 << 16, 0)] {
                let what = format!("plot {i} split_steps points {points} from {from}");
                let opts = ChunkOptions {
                    points,
                    split_steps: true,
                    range: Some(from..n),
                    vars: None,
                };
                let it = p
                    .chunks_with(&opts)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                let got = collect(&what, it, &types, from, points, Some((&steps.starts, n)))
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                let want: Vec<Column> = whole
                    .iter()
                    .map(|c| slice(c, from as usize..n_us))
                    .collect();
                assert_same(&what, &got, &want, false);
            }
            let read = p.read().unwrap_or_else(|e| panic!("plot {i} read: {e}"));
            assert_same(&format!("plot {i} read"), &read.columns, &whole, false);
            assert_eq!(read.steps.starts, steps.starts, "plot {i}: read's steps");
            read
        }
        Err(e) => {
            assert!(
                p.read().is_err(),
                "plot {i}: steps failed ({e}) but read did not"
            );
            return None;
        }
    };
    Some((plot, n))
}

/// The writer's format of the same family as the file read: LTspice binary
/// as LTspice binary (`fastaccess` kept), ASCII as ngspice ASCII, the rest
/// (ngspice, Xyce, QSPICE) as ngspice binary. Not QSPICE as LTspice: the
/// LTspice reader takes the absolute value of a time scale, QSPICE's is
/// read as stored.
pub fn family(raw: &RawFile) -> RawFormat {
    let all_ascii = raw.plots().iter().all(|p| p.encoding == Encoding::Ascii);
    if all_ascii {
        return RawFormat::NgspiceAscii;
    }
    match raw.dialect() {
        Dialect::Ltspice => {
            if raw
                .plots()
                .first()
                .is_some_and(|p| p.header.flags.fastaccess)
            {
                RawFormat::LtspiceFastAccess
            } else {
                RawFormat::LtspiceBinary
            }
        }
        Dialect::Ngspice | Dialect::Xyce | Dialect::Qspice => RawFormat::NgspiceBinary,
    }
}

/// Writes `plots` (as read from `raw`) in its family's format into `dir`,
/// reads the file back and checks every value (bit for bit; any NaN for any
/// NaN in ASCII) and every plot's length.
pub fn round_trip(raw: &RawFile, plots: &[Plot], dir: &Path) {
    let fmt = family(raw);
    let path = dir.join("round-trip.raw");
    raw_stream::write_file(&path, fmt, plots).unwrap_or_else(|e| panic!("write {fmt:?}: {e}"));
    let back = RawFile::open(&path).unwrap_or_else(|e| panic!("re-open {fmt:?}: {e}"));
    assert!(back.warnings().is_empty(), "{fmt:?}: {:?}", back.warnings());
    assert_eq!(back.plots().len(), plots.len(), "{fmt:?}: plots");
    for (k, want) in plots.iter().enumerate() {
        let got = back
            .plot(k)
            .and_then(|p| p.read())
            .unwrap_or_else(|e| panic!("{fmt:?}: read plot {k} back: {e}"));
        assert_eq!(got.len(), want.len(), "{fmt:?}: plot {k} points");
        assert_same(
            &format!("{fmt:?} round trip plot {k}"),
            &got.columns,
            &want.columns,
            fmt == RawFormat::NgspiceAscii,
        );
    }
}

/// The dialects `raw_open` forces (and `None`: detected).
pub const DIALECTS: [Option<Dialect>; 5] = [
    None,
    Some(Dialect::Ngspice),
    Some(Dialect::Xyce),
    Some(Dialect::Ltspice),
    Some(Dialect::Qspice),
];

/// The body of the fuzz target `raw_open`: `data` opened with the dialect
/// detected (lenient and strict) and forced to each dialect, and every plot
/// read to its end. Errors are fine; a panic is a bug.
pub fn open_input(data: &[u8]) {
    let bytes: std::sync::Arc<[u8]> = data.into();
    for dialect in DIALECTS {
        let stricts: &[bool] = if dialect.is_none() {
            &[false, true]
        } else {
            &[false]
        };
        for &strict in stricts {
            let opts = OpenOptions {
                dialect,
                strict,
                ..OpenOptions::default()
            };
            let Ok(raw) = RawFile::from_bytes("fuzz.raw", bytes.clone(), &opts) else {
                continue;
            };
            assert!(!raw.plots().is_empty());
            for i in 0..raw.plots().len() {
                let p = raw.plot(i).expect("plot index in range");
                let n = p.info().complete_points;
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
                assert!(points <= n, "plot {i}: {points} points read, {n} complete");
                let _ = p.steps();
                for r in p.partitions(4) {
                    assert!(r.end <= n, "plot {i}: partition {r:?} past {n}");
                }
            }
        }
    }
}

/// The body of the fuzz target `raw_differential`: the first byte picks the
/// dialect (0, 5, 6, 7: detected; 1-4: forced), the rest is the file;
/// [`check_bytes`], then, when every plot read, [`round_trip`] in `dir`.
pub fn differential_input(data: &[u8], dir: &Path) {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let dialect = match pick % 8 {
        1 => Some(Dialect::Ngspice),
        2 => Some(Dialect::Xyce),
        3 => Some(Dialect::Ltspice),
        4 => Some(Dialect::Qspice),
        _ => None,
    };
    let opts = OpenOptions {
        dialect,
        ..OpenOptions::default()
    };
    let Some((raw, plots, checked)) = check_bytes(file, &opts) else {
        return;
    };
    if checked.plots_failed == 0 {
        round_trip(&raw, &plots, dir);
    }
}
