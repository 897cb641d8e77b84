//! Chunks compressed by store-hdf5 itself and written with `H5Dwrite_chunk`
//! (src/direct.rs) read back through libhdf5's own filter pipeline as the
//! exact values of the RAW file: every file of the shared corpus (ngspice,
//! LTspice, QSPICE; real, complex, f32, stepped and ragged plots), with the
//! default chunks and with tiny ones (many edge chunks, chunks split across
//! the reader's chunks), with and without shuffle. Every stored chunk has
//! filter mask 0 (every filter applied), as libhdf5 would write it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use hdf5::types::VarLenUnicode;
use raw_stream::RawFile;
use std::path::{Path, PathBuf};
use store_hdf5::{export_raw, Compression, Cx32, Cx64, Options};
use waveform::{Column, ValueType};

fn corpus_files() -> Vec<PathBuf> {
    let Some(dir) = require::corpus_dir(env!("CARGO_MANIFEST_DIR")) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            (n.ends_with(".raw") || n.ends_with(".qraw")) && !n.starts_with("broken_")
        })
        .collect();
    v.sort();
    v
}

/// Values as (re, im) pairs (im 0 for real values).
fn pairs(c: &Column) -> Vec<(f64, f64)> {
    match c {
        Column::F64(v) => v.iter().map(|&x| (x, 0.0)).collect(),
        Column::F32(v) => v.iter().map(|&x| (f64::from(x), 0.0)).collect(),
        Column::C64(v) => v.iter().map(|z| (z.re, z.im)).collect(),
        Column::C32(v) => v
            .iter()
            .map(|z| (f64::from(z.re), f64::from(z.im)))
            .collect(),
    }
}

fn read_pairs(ds: &hdf5::Dataset, t: ValueType) -> Vec<(f64, f64)> {
    match t {
        ValueType::F64 => ds
            .read_raw::<f64>()
            .unwrap()
            .into_iter()
            .map(|x| (x, 0.0))
            .collect(),
        ValueType::F32 => ds
            .read_raw::<f32>()
            .unwrap()
            .into_iter()
            .map(|x| (f64::from(x), 0.0))
            .collect(),
        ValueType::C64 => ds
            .read_raw::<Cx64>()
            .unwrap()
            .into_iter()
            .map(|z| (z.r, z.i))
            .collect(),
        ValueType::C32 => ds
            .read_raw::<Cx32>()
            .unwrap()
            .into_iter()
            .map(|z| (f64::from(z.r), f64::from(z.i)))
            .collect(),
    }
}

fn same(a: (f64, f64), b: (f64, f64)) -> bool {
    let eq = |x: f64, y: f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
    eq(a.0, b.0) && eq(a.1, b.1)
}

/// Checks every vector of every plot of `raw` in the export `h5`; returns
/// the number of chunks checked.
fn check_file(raw_path: &Path, raw: &RawFile, h5: &Path, plots: &[String]) -> usize {
    let f = hdf5::File::open(h5).unwrap();
    let mut chunks = 0;
    for (pi, gname) in plots.iter().enumerate() {
        let plot = raw.plot(pi).unwrap();
        let info = plot.info();
        let full = plot.read().unwrap();
        let g = f.group(gname).unwrap();
        let layout: VarLenUnicode = g.attr("layout").unwrap().read_scalar().unwrap();
        let stepped = layout.as_str() != "1-D";
        // datasets by original name, in the order they were made
        let mut by_name: Vec<(String, hdf5::Dataset)> = Vec::new();
        for name in g.member_names().unwrap() {
            let ds = match g.dataset(&name) {
                Ok(d) => d,
                Err(_) => continue,
            };
            if let Ok(a) = ds.attr("original_name") {
                let o: VarLenUnicode = a.read_scalar().unwrap();
                by_name.push((o.as_str().to_string(), ds));
            }
        }
        let has_scale = info.header.has_scale();
        for (j, var) in info.header.variables.iter().enumerate() {
            let at = by_name
                .iter()
                .position(|(n, _)| n == &var.name)
                .unwrap_or_else(|| {
                    panic!(
                        "{}: {gname}: no dataset for {}",
                        raw_path.display(),
                        var.name
                    )
                });
            let (_, ds) = by_name.remove(at);
            let t = if j == 0 && has_scale {
                match info.types[0] {
                    ValueType::C64 => ValueType::F64,
                    ValueType::C32 => ValueType::F32,
                    t => t,
                }
            } else {
                info.types[j]
            };
            let mut want = pairs(&full.columns[j]);
            if t != info.types[j] {
                // a complex scale is stored as its real part
                for w in &mut want {
                    w.1 = 0.0;
                }
            }
            let got = read_pairs(&ds, t);
            let what = format!("{}: {gname}/{}", raw_path.display(), var.name);
            let shape = ds.shape();
            let mut expect_chunks = 0;
            if let Some(c) = ds.chunk() {
                let cw = *c.last().unwrap();
                if stepped {
                    let (rows, width) = (shape[0], shape[1]);
                    let lens = full.steps.lengths();
                    assert_eq!(rows, lens.len(), "{what}");
                    for (k, &len) in lens.iter().enumerate() {
                        let s0 = full.steps.starts[k] as usize;
                        let len = len as usize;
                        for p in 0..width {
                            let g = got[k * width + p];
                            if p < len {
                                assert!(
                                    same(g, want[s0 + p]),
                                    "{what}: step {k} point {p}: {g:?} vs {:?}",
                                    want[s0 + p]
                                );
                            } else {
                                assert!(
                                    g.0.is_nan() && (g.1.is_nan() || t.size() <= 8),
                                    "{what}: padding"
                                );
                            }
                        }
                        expect_chunks += len.div_ceil(cw);
                    }
                } else {
                    assert_eq!(got.len(), want.len(), "{what}");
                    for (p, (g, w)) in got.iter().zip(&want).enumerate() {
                        assert!(same(*g, *w), "{what}: point {p}: {g:?} vs {w:?}");
                    }
                    expect_chunks = want.len().div_ceil(cw);
                }
                let n = ds.num_chunks().unwrap();
                assert_eq!(n, expect_chunks, "{what}: chunks stored");
                for i in 0..n {
                    let ci = ds.chunk_info(i).unwrap();
                    assert_eq!(ci.filter_mask, 0, "{what}: chunk {i} skipped a filter");
                    assert!(ci.size > 0);
                }
                chunks += n;
            } else {
                assert_eq!(ds.size(), 0, "{what}: only an empty dataset is not chunked");
            }
        }
    }
    chunks
}

#[test]
fn direct_chunks_read_back_as_the_raw_values_for_the_whole_corpus() {
    let files = corpus_files();
    if files.is_empty() {
        return;
    }
    let variants = [
        Options::default(),
        Options {
            chunk_points: 7,
            ..Options::default()
        },
        Options {
            compression: Compression::Deflate(6),
            shuffle: false,
            chunk_points: 5,
        },
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    let mut files_done = 0;
    for path in &files {
        let raw = RawFile::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (k, opts) in variants.iter().enumerate() {
            let h5 = dir.path().join(format!("v{k}.h5"));
            let report = export_raw(&raw, &h5, opts, &mut |_| {})
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(report.compression, opts.compression);
            total += check_file(path, &raw, &h5, &report.plots);
        }
        files_done += 1;
    }
    assert!(files_done >= 20, "only {files_done} corpus files");
    assert!(total > 1000, "only {total} chunks checked");
    eprintln!("{files_done} files, {total} chunks checked");
}

#[test]
fn a_large_plot_keeps_its_values_across_many_parallel_chunks() {
    use waveform::Complex64;
    // 300001 points: 4 full chunks of 65536 and an edge chunk, complex values.
    let n = 300_001usize;
    let freq: Vec<Complex64> = (0..n)
        .map(|i| Complex64 {
            re: 1.0 + i as f64,
            im: 0.0,
        })
        .collect();
    let v: Vec<Complex64> = (0..n)
        .map(|i| Complex64 {
            re: (i as f64 * 1e-3).cos(),
            im: (i as f64 * 1e-3).sin(),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let raw_path = dir.path().join("ac.raw");
    common::write_ac_raw(&raw_path, freq, v.clone());
    let raw = RawFile::open(&raw_path).unwrap();
    let h5 = dir.path().join("ac.h5");
    let report = export_raw(&raw, &h5, &Options::default(), &mut |_| {}).unwrap();
    assert_eq!(check_file(&raw_path, &raw, &h5, &report.plots), 2 * 5);
    let f = hdf5::File::open(&h5).unwrap();
    let got: Vec<Cx64> = f.dataset("ac/v(out)").unwrap().read_raw().unwrap();
    assert_eq!(got.len(), n);
    assert_eq!(got[n - 1].r, v[n - 1].re);
    assert_eq!(got[n - 1].i, v[n - 1].im);
    let freq: Vec<f64> = f.dataset("ac/frequency").unwrap().read_raw().unwrap();
    assert_eq!(freq[n - 1], n as f64);
}
