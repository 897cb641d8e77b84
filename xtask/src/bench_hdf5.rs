//! `cargo xtask bench --only hdf5`: `spicelab export BIG.raw -o BIG.h5` on a
//! generated ngspice binary (512 MiB by default: at 2 GiB the h5py side
//! takes most of a minute per run on a 2-core machine; `--hdf5-size 2GiB`
//! for the full size),
//! against h5py writing the same arrays (read from the RAW file with numpy
//! in the same chunks) with the same chunk shape and filters (shuffle +
//! deflate level 1) in the same run. Throughput is RAW bytes per second of
//! wall time of the whole process; peak RSS from `/usr/bin/time -v`.

use crate::fixtures;
use crate::util::{human, size_label, Workspace};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Throughput goal, MB/s of RAW data.
pub const GOAL_MBPS: f64 = 300.0;
/// Peak RSS goal, bytes.
pub const GOAL_RSS: u64 = 128 << 20;

/// The h5py baseline: the same datasets, chunks and filters as spicelab's
/// default (`chunk_points` 65536, shuffle, deflate 1), written chunk by chunk.
const H5PY: &str = r#"
import sys, re, numpy as np, h5py
src, dst, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, "rb") as f:
    head = f.read(1 << 20)
end = head.index(b"Binary:\n") + len(b"Binary:\n")
text = head[:end].decode("latin-1")
nv = int(re.search(r"No\. Variables:\s*(\d+)", text).group(1))
npts = int(re.search(r"No\. Points:\s*(\d+)", text).group(1))
names = re.findall(r"^\s+\d+\s+(\S+)\s+\S+", text.split("Variables:", 2)[-1], re.M)[:nv]
data = np.memmap(src, dtype="<f8", mode="r", offset=end, shape=(npts, nv))
with h5py.File(dst, "w") as h:
    g = h.create_group("tran")
    ds = [g.create_dataset(n.replace("/", "%2F"), shape=(npts,), dtype="f8",
                           chunks=(min(chunk, npts),), shuffle=True, compression="gzip",
                           compression_opts=1) for n in names]
    for a in range(0, npts, chunk):
        block = np.array(data[a:a + chunk])
        for j, d in enumerate(ds):
            d[a:a + len(block)] = block[:, j]
"#;

struct Timed {
    secs: f64,
    rss: u64,
}

/// Runs `cmd` under `/usr/bin/time -v`: wall seconds and peak RSS.
fn timed(mut cmd: Command) -> Result<Timed> {
    let mut c = Command::new("/usr/bin/time");
    c.arg("-v").arg(cmd.get_program()).args(cmd.get_args());
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    let _ = &mut cmd;
    let t0 = Instant::now();
    let out = c
        .output()
        .context("running /usr/bin/time -v (apt-get install time)")?;
    let secs = t0.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!(
            "{:?} failed: {}",
            cmd.get_program(),
            err.lines().rev().take(8).collect::<Vec<_>>().join(" | ")
        );
    }
    let rss = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|k| k * 1024)
        .context("no peak RSS in the output of /usr/bin/time -v")?;
    Ok(Timed { secs, rss })
}

fn best(runs: usize, mut f: impl FnMut() -> Result<Timed>) -> Result<Timed> {
    let mut b: Option<Timed> = None;
    for _ in 0..runs.max(1) {
        let t = f()?;
        eprintln!("    {:.2} s, peak RSS {}", t.secs, human(t.rss));
        if b.as_ref().is_none_or(|x| t.secs < x.secs) {
            b = Some(Timed {
                secs: t.secs,
                rss: b.as_ref().map_or(t.rss, |x| x.rss.max(t.rss)),
            });
        } else if let Some(x) = &mut b {
            x.rss = x.rss.max(t.rss);
        }
    }
    b.context("no run")
}

/// The `hdf5` rows: (markdown table, JSON, goals missed).
pub fn run(
    ws: &Workspace,
    bin: &Path,
    fixture_dir: &Path,
    size: u64,
    python: &str,
    runs: usize,
) -> Result<(String, Value, usize)> {
    let big = fixtures::ensure_big_binary(fixture_dir, size)?;
    let dir = ws.target.join("bench").join("hdf5");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // Warm the page cache: both sides read a file that is in memory.
    fs::File::open(&big.path).and_then(|mut f| std::io::copy(&mut f, &mut std::io::sink()))?;
    let out = dir.join("spicelab.h5");
    eprintln!(
        "hdf5: spicelab export {} ({})",
        ws.rel(&big.path),
        size_label(big.bytes)
    );
    let s = best(runs, || {
        let mut c = Command::new(bin);
        c.arg("export")
            .arg(&big.path)
            .arg("-o")
            .arg(&out)
            .arg("--quiet");
        timed(c)
    })?;
    let s_size = fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    let mbps = big.bytes as f64 / s.secs / 1e6;

    let py_ok = Command::new(python)
        .args(["-c", "import h5py, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let h5py = if py_ok {
        let script = dir.join("h5py_write.py");
        fs::write(&script, H5PY)?;
        let pout = dir.join("h5py.h5");
        eprintln!("hdf5: h5py baseline");
        let r = best(runs, || {
            let mut c = Command::new(python);
            c.arg(&script).arg(&big.path).arg(&pout).arg("65536");
            timed(c)
        });
        let psize = fs::metadata(&pout).map(|m| m.len()).unwrap_or(0);
        let _ = fs::remove_file(&pout);
        r.map(|t| (t, psize)).map_err(|e| format!("{e:#}"))
    } else {
        Err(format!(
            "{python} has no h5py/numpy (pip install h5py numpy)"
        ))
    };
    let _ = fs::remove_file(&out);

    let mut missed = 0;
    let mut goal = |ok: bool| {
        if !ok {
            missed += 1;
        }
        if ok {
            "yes"
        } else {
            "**no**"
        }
    };
    let mut t = String::new();
    t.push_str(
        "| RAW -> HDF5 | file | MB/s | peak RSS | output | goal |\n|---|---|---:|---:|---:|---|\n",
    );
    let g_speed = goal(mbps >= GOAL_MBPS);
    let g_rss = goal(s.rss < GOAL_RSS);
    t.push_str(&format!(
        "| spicelab export (shuffle + deflate-1) | {} ngspice binary, {} points x {} vectors | {:.0} | {} | {} | >= {GOAL_MBPS:.0} MB/s: {g_speed}; < {}: {g_rss} |\n",
        size_label(big.bytes),
        big.points,
        big.variables,
        mbps,
        human(s.rss),
        human(s_size),
        human(GOAL_RSS),
    ));
    let mut j = json!({
        "file": ws.rel(&big.path), "bytes": big.bytes, "points": big.points,
        "spicelab": {"secs": s.secs, "mb_per_s": mbps, "peak_rss": s.rss, "output_bytes": s_size},
        "goals": {"mb_per_s": GOAL_MBPS, "peak_rss": GOAL_RSS},
    });
    match &h5py {
        Ok((p, psize)) => {
            let pm = big.bytes as f64 / p.secs / 1e6;
            let g_vs = goal(mbps >= pm);
            t.push_str(&format!(
                "| h5py, same arrays, chunks and filters | same | {:.0} | {} | {} | spicelab {:.2}x h5py (>= 1): {g_vs} |\n",
                pm,
                human(p.rss),
                human(*psize),
                mbps / pm
            ));
            j["h5py"] =
                json!({"secs": p.secs, "mb_per_s": pm, "peak_rss": p.rss, "output_bytes": psize});
        }
        Err(e) => {
            t.push_str(&format!("| h5py | skipped: {e} | | | | |\n"));
            j["h5py"] = json!({"skipped": e});
        }
    }
    Ok((t, j, missed))
}
