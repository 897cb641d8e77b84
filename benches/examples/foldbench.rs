//! Throwaway: times the stored folds on one window-sized block held in cache.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::Instant;
use waveform::stats::{Accumulator, StoredFold, StoredReal};

fn old_rows(
    nv: usize,
    bytes: &[u8],
    mn: &mut [f64],
    mx: &mut [f64],
    s: &mut [f64],
    q: &mut [f64],
    nans: &mut [u64],
) {
    for row in bytes.chunks_exact(8 * nv) {
        for (j, b) in row.chunks_exact(8).enumerate() {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            let x = f64::from_le_bytes(a);
            let is_nan = x.is_nan();
            let y = if is_nan { 0.0 } else { x };
            mn[j] = if x < mn[j] { x } else { mn[j] };
            mx[j] = if x > mx[j] { x } else { mx[j] };
            s[j] += y;
            q[j] += y * y;
            nans[j] += u64::from(is_nan);
        }
    }
}

fn time(name: &str, bytes: usize, mut f: impl FnMut()) {
    let mut best = f64::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..200 {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / 200.0);
    }
    println!("{name:40} {:8.2} GB/s", bytes as f64 / best / 1e9);
}

fn main() {
    let win = 1 << 20;
    // ngspice rows: 8 f64
    let ng: Vec<u8> = (0..win / 8)
        .flat_map(|i| ((i as f64) * 0.37).sin().to_le_bytes())
        .collect();
    let mut lt_types = vec![StoredReal::F32; 9];
    lt_types[0] = StoredReal::AbsF64;
    let lt: Vec<u8> = (0..win / 40)
        .flat_map(|i| {
            let mut r = (-(i as f64) * 1e-9).to_le_bytes().to_vec();
            for j in 0..8 {
                r.extend_from_slice(&(((i * 9 + j) as f32) * 0.01).sin().to_le_bytes());
            }
            r
        })
        .collect();
    let f = StoredFold::new(&[StoredReal::F64; 8]);
    let mut accs = vec![Accumulator::default(); 9];
    time("ngspice rows, StoredFold", ng.len(), || {
        f.rows(&ng, &mut accs)
    });
    let (mut mn, mut mx, mut s, mut q, mut nans) = (
        vec![0.0; 8],
        vec![0.0; 8],
        vec![0.0; 8],
        vec![0.0; 8],
        vec![0; 8],
    );
    time("ngspice rows, old RowStats", ng.len(), || {
        old_rows(8, &ng, &mut mn, &mut mx, &mut s, &mut q, &mut nans)
    });
    let f = StoredFold::new(&lt_types);
    time("ltspice rows, StoredFold", lt.len(), || {
        f.rows(&lt, &mut accs)
    });
    let mut used = vec![false; 9];
    used[0] = true;
    let ft = StoredFold::with_used(&lt_types, &used);
    time("ltspice rows, time only", lt.len(), || {
        ft.rows(&lt, &mut accs)
    });
    let used: Vec<bool> = (0..9).map(|v| v > 0).collect();
    let ff = StoredFold::with_used(&lt_types, &used);
    time("ltspice rows, f32 only", lt.len(), || {
        ff.rows(&lt, &mut accs)
    });
    // columns: time column then 8 f32 columns
    let n = lt.len() / 40;
    let mut cols: Vec<Vec<u8>> = vec![Vec::new(); 9];
    for row in lt.chunks_exact(40) {
        cols[0].extend_from_slice(&row[..8]);
        for j in 0..8 {
            cols[j + 1].extend_from_slice(&row[8 + 4 * j..12 + 4 * j]);
        }
    }
    let slices: Vec<&[u8]> = cols.iter().map(|c| c.as_slice()).collect();
    time("ltspice columns, StoredFold", lt.len(), || {
        f.columns(&slices, &mut accs)
    });
    time("ltspice columns, time only", lt.len(), || {
        ft.columns(&slices, &mut accs)
    });
    time("ltspice columns, f32 only", lt.len(), || {
        ff.columns(&slices, &mut accs)
    });
    let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut a = Accumulator::default();
    time("extend f64 (decoded)", n * 8, || a.extend(&xs));
    let ys: Vec<f32> = (0..n).map(|i| i as f32).collect();
    time("push f32 (decoded)", n * 4, || {
        for &y in &ys {
            a.push(f64::from(y))
        }
    });
    std::hint::black_box((&accs, &a, &mn, &mx, &s, &q, &nans));
}
