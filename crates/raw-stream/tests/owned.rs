//! Owned handles: a plot opened on one thread is read on others, as a pool
//! job (`'static + Send`) or a Python object would hold it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use raw_stream::{Chunk, Chunks, PlotRef, RawFile};
use std::path::Path;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn assert_static_send<T: Send + Sync + 'static>(_: &T) {}

#[test]
fn a_static_thread_reads_chunks_of_a_plot_opened_elsewhere() {
    let raw = RawFile::open(fixture("ng39_rc_tran.raw")).unwrap();
    let plot: PlotRef = raw.plot(0).unwrap();
    let whole = plot.read().unwrap();
    let n = plot.info().complete_points;
    assert!(n > 100);
    assert_static_send(&plot);
    // The file handle itself is dropped here: the plot keeps what it needs.
    drop(raw);
    let half = n / 2;
    let jobs: Vec<std::thread::JoinHandle<Vec<f64>>> = [0..half, half..n]
        .into_iter()
        .map(|range| {
            let plot = plot.clone();
            std::thread::spawn(move || {
                let mut it: Chunks = plot.chunks_in(range, 64, Some(vec![1]));
                let mut chunk = Chunk::default();
                let mut out = Vec::new();
                while it.fill(&mut chunk).unwrap() {
                    out.extend(chunk.columns[1].to_f64());
                }
                out
            })
        })
        .collect();
    let mut got = Vec::new();
    for j in jobs {
        got.extend(j.join().unwrap());
    }
    assert_eq!(got, whole.columns[1].to_f64());
    // an iterator made here and moved to another thread works as well
    let it = plot.chunks(1000);
    let count = std::thread::spawn(move || it.map(|c| c.unwrap().len as u64).sum::<u64>())
        .join()
        .unwrap();
    assert_eq!(count, n);
}
