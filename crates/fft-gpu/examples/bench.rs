//! The FFT rows of `cargo xtask bench`: one 2^20-point real FFT and a batch
//! of 64 x 2^20 through fft-gpu's CPU path, against realfft called directly
//! in the same run (same plan, same threads), and on the GPU when there is
//! one (cold: plan + transfers; warm: cached plan, with and without the
//! transfers). Prints one JSON object on stdout.
//!
//! `cargo run --release -p fft-gpu --example bench [--features gpu] -- [LOG2_N] [BATCH] [RUNS]`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use fft_gpu::{Backend, Complex, Engine};
use rayon::prelude::*;
use realfft::RealFftPlanner;
use std::time::Instant;

fn best(runs: usize, mut f: impl FnMut() -> f64) -> f64 {
    (0..runs).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn signal(len: usize) -> Vec<f64> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let log2: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let batch: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(64);
    let runs: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(5);
    let n = 1usize << log2;
    let bins = n / 2 + 1;
    let engine = Engine::new(Backend::Cpu).unwrap();
    let plan = RealFftPlanner::<f64>::new().plan_fft_forward(n);

    // one transform
    let x = signal(n);
    let mut work = x.clone();
    let mut out = vec![Complex::new(0.0, 0.0); bins];
    let mut scratch = plan.make_scratch_vec();
    // warm both (plans made, pages touched)
    engine.forward_batch(n, &mut work, &mut out).unwrap();
    work.copy_from_slice(&x);
    plan.process_with_scratch(&mut work, &mut out, &mut scratch)
        .unwrap();
    let mut single_ours = f64::INFINITY;
    let mut single_direct = f64::INFINITY;
    // interleaved, so drift in the machine's load hits both alike
    for _ in 0..runs {
        work.copy_from_slice(&x);
        let t = Instant::now();
        engine.forward_batch(n, &mut work, &mut out).unwrap();
        single_ours = single_ours.min(t.elapsed().as_secs_f64());
        work.copy_from_slice(&x);
        let t = Instant::now();
        plan.process_with_scratch(&mut work, &mut out, &mut scratch)
            .unwrap();
        single_direct = single_direct.min(t.elapsed().as_secs_f64());
    }

    // a batch
    let xb = signal(n * batch);
    let mut wb = xb.clone();
    let mut ob = vec![Complex::new(0.0, 0.0); bins * batch];
    let mut batch_ours = f64::INFINITY;
    let mut batch_direct = f64::INFINITY;
    let batch_runs = runs.min(3);
    for _ in 0..batch_runs {
        wb.copy_from_slice(&xb);
        let t = Instant::now();
        engine.forward_batch(n, &mut wb, &mut ob).unwrap();
        batch_ours = batch_ours.min(t.elapsed().as_secs_f64());
        wb.copy_from_slice(&xb);
        let t = Instant::now();
        wb.par_chunks_mut(n)
            .zip(ob.par_chunks_mut(bins))
            .for_each_init(
                || plan.make_scratch_vec(),
                |s, (i, o)| plan.process_with_scratch(i, o, s).unwrap(),
            );
        batch_direct = batch_direct.min(t.elapsed().as_secs_f64());
    }
    let batch_serial = best(1, || {
        wb.copy_from_slice(&xb);
        let t = Instant::now();
        for (i, o) in wb.chunks_mut(n).zip(ob.chunks_mut(bins)) {
            plan.process_with_scratch(i, o, &mut scratch).unwrap();
        }
        t.elapsed().as_secs_f64()
    });

    let gpu = gpu_rows(n, batch, &xb, runs);
    let doc = serde_json::json!({
        "n": n,
        "batch": batch,
        "runs": runs,
        "threads": rayon::current_num_threads(),
        "single": {"ours_s": single_ours, "realfft_s": single_direct},
        "batch_rows": {"ours_s": batch_ours, "realfft_par_s": batch_direct, "realfft_serial_s": batch_serial},
        "gpu": gpu,
    });
    println!("{doc}");
}

#[cfg(feature = "gpu")]
fn gpu_rows(n: usize, batch: usize, xb: &[f64], runs: usize) -> serde_json::Value {
    let e = match Engine::new(Backend::Gpu) {
        Ok(e) => e,
        Err(why) => return serde_json::json!({"skipped": why.to_string()}),
    };
    let bins = n / 2 + 1;
    let mut rows = serde_json::Map::new();
    for (name, b) in [("single", 1usize), ("batch", batch)] {
        let input = &xb[..n * b];
        let mut out = vec![Complex::new(0.0, 0.0); bins * b];
        let t = Instant::now();
        let cold = match e.forward_batch_timed(n, input, &mut out) {
            Ok(c) => c,
            Err(why) => return serde_json::json!({"skipped": why.to_string()}),
        };
        let cold_s = t.elapsed().as_secs_f64();
        let mut warm_total = f64::INFINITY;
        let mut warm_exec = f64::INFINITY;
        for _ in 0..runs {
            let t = Instant::now();
            let w = e.forward_batch_timed(n, input, &mut out).unwrap();
            warm_total = warm_total.min(t.elapsed().as_secs_f64());
            warm_exec = warm_exec.min(w.exec_s);
        }
        // the CPU result, to compare
        let mut w = input.to_vec();
        let mut cpu = vec![Complex::new(0.0, 0.0); bins * b];
        Engine::new_cpu()
            .forward_batch(n, &mut w, &mut cpu)
            .unwrap();
        let scale = cpu.iter().map(|c| c.norm()).fold(0.0, f64::max);
        let err = out
            .iter()
            .zip(&cpu)
            .map(|(a, c)| (a - c).norm())
            .fold(0.0, f64::max)
            / scale;
        rows.insert(
            name.into(),
            serde_json::json!({"cold_s": cold_s, "cold": cold, "warm_with_transfers_s": warm_total,
                               "warm_exec_s": warm_exec, "max_rel_err_vs_cpu": err}),
        );
    }
    serde_json::Value::Object(rows)
}

#[cfg(not(feature = "gpu"))]
fn gpu_rows(_: usize, _: usize, _: &[f64], _: usize) -> serde_json::Value {
    serde_json::json!({"skipped": fft_gpu::gpu_status().err().unwrap_or_default()})
}
