//! `cargo xtask bench --only fft`: one 2^20-point real FFT and a batch of
//! 64 x 2^20 through fft-gpu's CPU path, against realfft called directly and
//! numpy's `rfft`, all in the same run (issue 18); the GPU rows where a GPU
//! is usable, else skipped with the reason.
//!
//! The fft-gpu side runs in fft-gpu's `bench` example (release, built with
//! `--features gpu`, which builds and runs without CUDA): it times fft-gpu's
//! batched engine and realfft driven by hand with the same plan and the
//! same rayon threads, interleaved, best of N. numpy times `np.fft.rfft` of
//! the same sizes (`axis=1` for the batch), best of N, in its own process.

use crate::util::Workspace;
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::process::{Command, Stdio};

/// fft-gpu's CPU path may be this much slower than realfft called directly.
pub const GOAL_VS_REALFFT: f64 = 1.2;
/// The GPU goal on the batch: this many times faster than the CPU path.
pub const GOAL_GPU_X: f64 = 10.0;

const NUMPY: &str = r#"
import json, sys, time
import numpy as np
n, batch, runs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
x = rng.random(n) - 0.5
def best(f, k):
    b = float("inf")
    for _ in range(k):
        t = time.perf_counter(); f(); b = min(b, time.perf_counter() - t)
    return b
single = best(lambda: np.fft.rfft(x), runs)
xb = rng.random((batch, n)) - 0.5
batched = best(lambda: np.fft.rfft(xb, axis=1), min(runs, 3))
print(json.dumps({"numpy": np.__version__, "single_s": single, "batch_s": batched}))
"#;

fn ms(s: f64) -> String {
    format!("{:.1} ms", s * 1e3)
}

fn f(v: &Value, path: &[&str]) -> Option<f64> {
    let mut v = v;
    for p in path {
        v = v.get(p)?;
    }
    v.as_f64()
}

/// The FFT rows: (markdown table, JSON, goals missed).
pub fn fft(ws: &Workspace, python: &str, runs: usize) -> Result<(String, Value, usize)> {
    let (log2, batch) = (20u32, 64usize);
    let runs = runs.max(3);
    eprintln!(
        "$ cargo run --release -p fft-gpu --features gpu --example bench -- {log2} {batch} {runs}"
    );
    let out = ws
        .cargo()
        .args([
            "run",
            "--release",
            "-q",
            "-p",
            "fft-gpu",
            "--features",
            "gpu",
            "--example",
            "bench",
            "--",
        ])
        .args([log2.to_string(), batch.to_string(), runs.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .context("running fft-gpu's bench example")?;
    anyhow::ensure!(
        out.status.success(),
        "fft-gpu's bench example failed ({})",
        out.status
    );
    let ours: Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "bench example output: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })?;
    let numpy: Result<Value> = (|| {
        let o = Command::new(python)
            .args(["-c", NUMPY])
            .args([
                (1usize << log2).to_string(),
                batch.to_string(),
                runs.to_string(),
            ])
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("running {python}"))?;
        anyhow::ensure!(
            o.status.success(),
            "{python} with numpy failed ({})",
            o.status
        );
        Ok(serde_json::from_slice(&o.stdout)?)
    })();

    let mut s = String::from(
        "FFT (fft-gpu, real f64 input)\n\n| what | spicelab | baseline (same run) | ratio | goal | pass |\n|---|---|---|---|---|---|\n",
    );
    let mut missed = 0;
    let mut row =
        |s: &mut String, what: &str, a: f64, base: &str, b: Option<f64>, goal: Option<f64>| {
            let (ratio, pass) = match b {
                Some(b) => {
                    let r = a / b;
                    let pass = goal.map(|g| r <= g);
                    (format!("{r:.2}x"), pass)
                }
                None => ("-".into(), None),
            };
            if pass == Some(false) {
                missed += 1;
            }
            let _ = writeln!(
                s,
                "| {what} | {} | {base} | {ratio} | {} | {} |",
                ms(a),
                goal.map_or("-".into(), |g| format!("<= {g}x of the baseline")),
                match pass {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "-",
                }
            );
        };
    let n_label = format!("2^{log2}");
    let b_label = format!("{batch} x 2^{log2}");
    let (so, sd) = (
        f(&ours, &["single", "ours_s"]).context("no single time")?,
        f(&ours, &["single", "realfft_s"]).context("no realfft time")?,
    );
    row(
        &mut s,
        &format!("{n_label}, CPU"),
        so,
        &format!("realfft direct {}", ms(sd)),
        Some(sd),
        Some(GOAL_VS_REALFFT),
    );
    let (bo, bd, bs) = (
        f(&ours, &["batch_rows", "ours_s"]).context("no batch time")?,
        f(&ours, &["batch_rows", "realfft_par_s"]).context("no realfft batch time")?,
        f(&ours, &["batch_rows", "realfft_serial_s"]).unwrap_or(f64::NAN),
    );
    let threads = ours["threads"].as_u64().unwrap_or(0);
    row(
        &mut s,
        &format!("{b_label}, CPU batched ({threads} threads)"),
        bo,
        &format!("realfft direct, same threads {}", ms(bd)),
        Some(bd),
        Some(GOAL_VS_REALFFT),
    );
    row(
        &mut s,
        &format!("{b_label}, CPU batched"),
        bo,
        &format!("realfft direct, one thread {}", ms(bs)),
        Some(bs),
        None,
    );
    match &numpy {
        Ok(np) => {
            let v = np["numpy"].as_str().unwrap_or("?");
            if let Some(t) = f(np, &["single_s"]) {
                row(
                    &mut s,
                    &format!("{n_label}, CPU"),
                    so,
                    &format!("numpy {v} rfft {}", ms(t)),
                    Some(t),
                    None,
                );
            }
            if let Some(t) = f(np, &["batch_s"]) {
                row(
                    &mut s,
                    &format!("{b_label}, CPU batched"),
                    bo,
                    &format!("numpy {v} rfft(axis=1) {}", ms(t)),
                    Some(t),
                    None,
                );
            }
        }
        Err(e) => {
            let _ = writeln!(
                s,
                "| {n_label} and {b_label} | - | numpy: skipped ({e:#}) | - | - | - |"
            );
        }
    }
    let gpu = &ours["gpu"];
    if let Some(why) = gpu["skipped"].as_str() {
        let _ = writeln!(s, "| {n_label} and {b_label}, GPU | skipped: {why} | - | - | GPU >= {GOAL_GPU_X}x CPU batched | - |");
    } else {
        for (name, label, cpu) in [
            ("single", n_label.as_str(), so),
            ("batch", b_label.as_str(), bo),
        ] {
            let g = &gpu[name];
            if let (Some(cold), Some(warm), Some(exec)) = (
                f(g, &["cold_s"]),
                f(g, &["warm_with_transfers_s"]),
                f(g, &["warm_exec_s"]),
            ) {
                let err = f(g, &["max_rel_err_vs_cpu"]).unwrap_or(f64::NAN);
                let _ = writeln!(
                    s,
                    "| {label}, GPU cold (plan + transfers) | {} | CPU path {} | {:.2}x | - | - |",
                    ms(cold),
                    ms(cpu),
                    cpu / cold
                );
                let goal = (name == "batch").then_some(GOAL_GPU_X);
                let pass = goal.map(|g| cpu / warm >= g);
                if pass == Some(false) {
                    missed += 1;
                }
                let _ = writeln!(
                    s,
                    "| {label}, GPU warm with transfers | {} | CPU path {} | {:.2}x faster | {} | {} |",
                    ms(warm),
                    ms(cpu),
                    cpu / warm,
                    goal.map_or("-".into(), |g| format!(">= {g}x faster")),
                    match pass { Some(true) => "yes", Some(false) => "**no**", None => "-" }
                );
                let _ = writeln!(
                    s,
                    "| {label}, GPU warm, transform only | {} | CPU path {} | {:.2}x faster | - | - (max rel. error vs CPU {err:.1e}) |",
                    ms(exec),
                    ms(cpu),
                    cpu / exec
                );
            }
        }
    }
    let js = json!({"fft_gpu": ours, "numpy": numpy.as_ref().ok()});
    Ok((s, js, missed))
}
