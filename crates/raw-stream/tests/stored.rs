//! The stored-bytes API: which layout a plot reports
//! ([`PlotInfo::stored_reals`]) and what [`Chunks::next_rows`] and
//! [`Chunks::next_columns`] hand out, against the values written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use raw_stream::{write_file, ChunkOptions, RawFile, RawFormat, StoredReals};
use std::path::{Path, PathBuf};
use waveform::stats::StoredReal;
use waveform::{Column, Complex64, Flags, Plot, PlotHeader, Steps, Variable};

/// A plot of `n` points: `scale` (name and type word) as variable 0, times
/// restarting at 0 every `per_step` points (every third stored negative), and
/// `nv - 1` traces, f32 unless `double`.
fn plot(n: usize, nv: usize, per_step: usize, double: bool, scale: &str) -> Plot {
    let mut vars = vec![Variable::new(0, scale, scale)];
    vars.extend((1..nv).map(|j| Variable::new(j, format!("v(n{j})"), "voltage")));
    let time: Vec<f64> = (0..n)
        .map(|i| {
            let t = (i % per_step) as f64 * 1e-6;
            if i % 3 == 1 {
                -t
            } else {
                t
            }
        })
        .collect();
    let mut columns = vec![Column::F64(time)];
    for j in 1..nv {
        let v = (0..n).map(|i| (i * 31 + j * 7) as f64 * 0.125 - 40.0);
        columns.push(if double {
            Column::F64(v.collect())
        } else {
            Column::F32(v.map(|x| x as f32).collect())
        });
    }
    let stepped = if per_step < n { " stepped" } else { "" };
    Plot {
        header: PlotHeader {
            title: "* stored".into(),
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

fn write(dir: &Path, format: RawFormat, p: &Plot) -> PathBuf {
    let path = dir.join(format!("{format:?}.raw"));
    write_file(&path, format, std::slice::from_ref(p)).unwrap();
    path
}

fn stored(path: &Path) -> Option<StoredReals> {
    let raw = RawFile::open(path).unwrap();
    raw.plots()[0].stored_reals(raw.dialect())
}

/// The stored bytes of value `i` of column `c` written as `t`.
fn bytes_of(c: &Column, i: usize, t: StoredReal) -> Vec<u8> {
    match (t, c) {
        (StoredReal::F32, Column::F32(v)) => v[i].to_le_bytes().to_vec(),
        _ => c.get_f64(i).unwrap().to_le_bytes().to_vec(),
    }
}

#[test]
fn each_layout_reports_how_it_is_stored() {
    use StoredReal::{AbsF64, F32, F64};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = plot(10, 3, 10, false, "time");
    let lt = stored(&write(d, RawFormat::LtspiceBinary, &p)).unwrap();
    assert_eq!(lt.types, [AbsF64, F32, F32]);
    assert!(!lt.column_major);
    let fast = stored(&write(d, RawFormat::LtspiceFastAccess, &p)).unwrap();
    assert_eq!(fast.types, [AbsF64, F32, F32]);
    assert!(fast.column_major);
    let ng = stored(&write(
        d,
        RawFormat::NgspiceBinary,
        &plot(10, 3, 10, true, "time"),
    ))
    .unwrap();
    assert_eq!(ng.types, [F64, F64, F64]);
    assert!(!ng.column_major);
    assert_eq!(stored(&write(d, RawFormat::NgspiceAscii, &p)), None);
    let dbl = stored(&write(
        d,
        RawFormat::LtspiceBinary,
        &plot(10, 3, 10, true, "time"),
    ))
    .unwrap();
    assert_eq!(dbl.types, [AbsF64, F64, F64]);
    // a scale that is not time is read as stored
    let dc = stored(&write(
        d,
        RawFormat::LtspiceBinary,
        &plot(10, 2, 10, false, "voltage"),
    ));
    assert_eq!(dc.unwrap().types, [F64, F32]);
    // complex values are not folded from the bytes
    let mut ac = plot(10, 2, 10, false, "frequency");
    ac.header.flags = Flags::parse("complex forward log");
    ac.columns[1] = Column::C64(vec![Complex64 { re: 1.0, im: -1.0 }; 10]);
    assert_eq!(stored(&write(d, RawFormat::LtspiceBinary, &ac)), None);
    assert_eq!(stored(&write(d, RawFormat::NgspiceBinary, &ac)), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Concatenated, the rows or columns handed out are the bytes written,
    /// chunk by chunk as `fill` decodes them, stopping at steps when asked,
    /// only the selected columns.
    #[test]
    fn stored_bytes_are_the_bytes_written(
        n in 1usize..3000,
        nv in 1usize..7,
        steps in 1usize..4,
        double in any::<bool>(),
        fast in any::<bool>(),
        points in prop_oneof![Just(0usize), 1usize..500],
        mask in any::<u8>(),
        window in prop_oneof![Just(1usize << 20), 64usize..5000],
    ) {
        let per_step = (n / steps).max(2);
        let p = plot(n, nv, per_step, double, "time");
        let dir = tempfile::tempdir().unwrap();
        let format = if fast { RawFormat::LtspiceFastAccess } else { RawFormat::LtspiceBinary };
        let path = write(dir.path(), format, &p);
        let raw = RawFile::open_with(&path, &raw_stream::OpenOptions {
            window_bytes: window,
            ..raw_stream::OpenOptions::default()
        }).unwrap();
        let info = &raw.plots()[0];
        let st = info.stored_reals(raw.dialect()).unwrap();
        prop_assert_eq!(st.column_major, fast);
        let plot = raw.plot(0).unwrap();
        let step_starts = plot.steps().unwrap().starts.clone();
        let split = step_starts.len() > 1;
        let sel: Vec<usize> = (0..nv).filter(|j| mask >> j & 1 == 1 || *j == 0).collect();
        let vars = (sel.len() < nv && fast).then(|| sel.clone());
        let opts = ChunkOptions { points, vars: vars.clone(), range: None, split_steps: split };
        let mut decoded = plot.chunks_with(&opts).unwrap();
        let mut it = plot.chunks_with(&opts).unwrap();
        // the other kind is refused
        let mut other = plot.chunks_with(&opts).unwrap();
        if fast {
            prop_assert!(other.next_rows().unwrap().is_none());
        } else {
            prop_assert!(other.next_columns().unwrap().is_none());
        }
        let mut got: Vec<Vec<u8>> = vec![Vec::new(); nv];
        let mut next = 0u64;
        let mut chunk = raw_stream::Chunk::default();
        loop {
            let (start, len, step) = if fast {
                let Some(c) = it.next_columns().unwrap() else { break };
                for (j, g) in got.iter_mut().enumerate() {
                    let b = c.column(j);
                    if vars.as_ref().is_some_and(|v| !v.contains(&j)) {
                        prop_assert!(b.is_empty());
                    } else {
                        prop_assert_eq!(b.len(), c.len * st.types[j].size());
                    }
                    g.extend_from_slice(b);
                }
                (c.start, c.len, c.step)
            } else {
                let Some(r) = it.next_rows().unwrap() else { break };
                prop_assert_eq!(r.bytes.len(), r.len * info.layout.stride as usize);
                let mut o = 0;
                for (j, t) in st.types.iter().enumerate() {
                    for row in r.bytes.chunks_exact(info.layout.stride as usize) {
                        got[j].extend_from_slice(&row[o..o + t.size()]);
                    }
                    o += t.size();
                }
                (r.start, r.len, r.step)
            };
            // the same chunks as fill, the same steps
            prop_assert!(decoded.fill(&mut chunk).unwrap());
            prop_assert_eq!((chunk.start, chunk.len, chunk.step), (start, len, step));
            prop_assert_eq!(start, next);
            if split {
                let k = step_starts.partition_point(|&s| s <= start) - 1;
                prop_assert_eq!(step, k);
                prop_assert!(step_starts.get(k + 1).is_none_or(|&e| start + len as u64 <= e));
            }
            next += len as u64;
        }
        prop_assert!(!decoded.fill(&mut chunk).unwrap());
        prop_assert_eq!(next, n as u64);
        for (j, g) in got.iter().enumerate() {
            if vars.as_ref().is_some_and(|v| !v.contains(&j)) {
                continue;
            }
            let want: Vec<u8> = (0..n).flat_map(|i| bytes_of(&p.columns[j], i, st.types[j])).collect();
            prop_assert_eq!(g, &want, "variable {}", j);
        }
    }
}
