//! Decoder micro-benchmarks: binary chunks, ASCII parsing, statistics.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use raw_stream::{Chunk, RawFile, RawFormat};
use waveform::stats::Accumulator;

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
}

criterion_group!(benches, decode);
criterion_main!(benches);
