//! Decoder micro-benchmarks: binary chunks, ASCII parsing, statistics
//! (the accumulator and the fused folds of stored bytes).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use raw_stream::{Chunk, RawFile, RawFormat};
use waveform::stats::{Accumulator, StoredFold, StoredReal};

fn decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for (name, format, points) in [
        ("binary", RawFormat::NgspiceBinary, 400_000u64),
        ("ascii", RawFormat::NgspiceAscii, 50_000),
    ] {
        let path = spicelab_benches::make_raw(dir.path(), format, points, 8);
        let bytes = std::fs::metadata(&path).unwrap().len();
        let mut g = c.benchmark_group(format!("decode-{name}"));
        g.throughput(Throughput::Bytes(bytes));
        g.sample_size(10);
        g.bench_function("chunks", |b| {
            b.iter(|| {
                let raw = RawFile::open(&path).unwrap();
                let plot = raw.plot(0).unwrap();
                let mut it = plot.chunks(usize::MAX);
                let mut chunk = Chunk::default();
                let mut n = 0usize;
                while it.fill(&mut chunk).unwrap() {
                    n += chunk.len;
                }
                assert_eq!(n as u64, points);
            })
        });
        g.finish();
    }
    let xs: Vec<f64> = (0..1 << 20).map(|i| (i as f64).sin()).collect();
    let mut g = c.benchmark_group("accumulate");
    g.throughput(Throughput::Bytes((xs.len() * 8) as u64));
    g.bench_function("extend", |b| {
        b.iter(|| {
            let mut a = Accumulator::default();
            a.extend(&xs);
            a
        })
    });
    g.finish();
    // the fused statistics folds on one window of stored bytes
    let rows = 1 << 20;
    let ng: Vec<u8> = (0..rows / 8)
        .flat_map(|i| (i as f64 * 0.37).sin().to_le_bytes())
        .collect();
    let mut lt_types = vec![StoredReal::F32; 9];
    lt_types[0] = StoredReal::AbsF64;
    let lt: Vec<u8> = (0..rows / 40)
        .flat_map(|i| {
            let mut r = (-(i as f64) * 1e-9).to_le_bytes().to_vec();
            for j in 0..8 {
                r.extend_from_slice(&(((i * 9 + j) as f32) * 0.01).sin().to_le_bytes());
            }
            r
        })
        .collect();
    let mut cols: Vec<Vec<u8>> = vec![Vec::new(); 9];
    for row in lt.chunks_exact(40) {
        cols[0].extend_from_slice(&row[..8]);
        for j in 0..8 {
            cols[j + 1].extend_from_slice(&row[8 + 4 * j..12 + 4 * j]);
        }
    }
    let slices: Vec<&[u8]> = cols.iter().map(|c| c.as_slice()).collect();
    let ng_fold = StoredFold::new(&[StoredReal::F64; 8]);
    let lt_fold = StoredFold::new(&lt_types);
    let mut g = c.benchmark_group("fold");
    g.throughput(Throughput::Bytes(rows as u64));
    let mut accs = vec![Accumulator::default(); 9];
    g.bench_function("ngspice-rows", |b| b.iter(|| ng_fold.rows(&ng, &mut accs)));
    g.bench_function("ltspice-rows", |b| b.iter(|| lt_fold.rows(&lt, &mut accs)));
    g.bench_function("ltspice-columns", |b| {
        b.iter(|| lt_fold.columns(&slices, &mut accs))
    });
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
