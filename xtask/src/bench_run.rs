//! `cargo xtask bench --only campaign,incremental`: `spicelab run` on real
//! ngspice campaigns, against the same expanded netlists run through
//! `xargs -P` in the same run (issues 15 and 16).
//!
//! - campaign: 64 CPU-bound jobs (a 20-stage RC ladder transient) at 1 and
//!   2 workers, each against `xargs -P1` / `-P2` of `ngspice -b` on the
//!   netlists spicelab wrote (`--keep-work`); scaling efficiency
//!   T1 / (2 T2). Then 64 tiny jobs (an RC transient of a few ms) at 1
//!   worker against `xargs -P1`: spicelab's own time per job is the
//!   difference, as a share of the simulator's. The pool's own overhead
//!   per trivial closure job comes from exec-pool's `overhead` example.
//! - incremental: the 64-job campaign cold (empty cache), unchanged (warm),
//!   then after one sweep value that 8 jobs use is edited.
//!
//! Every `spicelab run` gets a fresh cache (or `--force`) where it must
//! simulate, so no row is a cache hit by accident; wall time of the whole
//! process, best of `runs`.

use crate::util::Workspace;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Scaling efficiency goal at 2 workers on 2 cores.
pub const GOAL_EFFICIENCY: f64 = 0.90;
/// spicelab at 2 workers may be this much slower than `xargs -P2`.
pub const GOAL_VS_XARGS: f64 = 1.05;
/// Pool overhead per trivial job, microseconds.
pub const GOAL_POOL_US: f64 = 50.0;
/// spicelab's own time per small job, share of the simulator's.
pub const GOAL_OWN_SHARE: f64 = 0.05;
/// The warm re-run must be this many times faster than the cold run.
pub const GOAL_WARM_X: f64 = 100.0;

const LADDER: &str = "\
* 20-stage rc ladder, CPU-bound transient (spicelab bench)
.param r=1k c=1n
V1 n0 0 pulse(0 1 0 1u 1u 50u 100u)
.subckt st a b
R1 a b {r}
C1 b 0 {c}
.ends
X1 n0 n1 st
X2 n1 n2 st
X3 n2 n3 st
X4 n3 n4 st
X5 n4 n5 st
X6 n5 n6 st
X7 n6 n7 st
X8 n7 n8 st
X9 n8 n9 st
X10 n9 n10 st
X11 n10 n11 st
X12 n11 n12 st
X13 n12 n13 st
X14 n13 n14 st
X15 n14 n15 st
X16 n15 n16 st
X17 n16 n17 st
X18 n17 n18 st
X19 n18 n19 st
X20 n19 out st
.tran 0.1u 2m 0 0.1u
.end
";

const TINY: &str = "\
* tiny rc transient (spicelab bench)
.param r=1k c=1n
V1 in 0 pulse(0 1 0 1u 1u 5u 10u)
R1 in out {r}
C1 out 0 {c}
.tran 0.1u 50u
.end
";

/// 8 values of r (the one edited by the incremental row is the first) x 8
/// Monte Carlo runs of c = 64 jobs.
fn campaign_toml(name: &str, netlist: &str, first_r: &str) -> String {
    format!(
        r#"[campaign]
name = "{name}"
netlist = "{netlist}"
simulator = "ngspice"
save = ["v(out)"]
timeout = "120s"

[sweep]
r = ["{first_r}", "1.1k", "1.2k", "1.3k", "1.4k", "1.5k", "1.6k", "1.7k"]

[montecarlo]
runs = 8
seed = 1
c = {{ dist = "gauss", nominal = "1n", tol = "5%" }}

[measure]
vmax = {{ kind = "max", var = "v(out)" }}
vrms = {{ kind = "rms", var = "v(out)" }}
"#
    )
}

/// One timed process: best wall seconds over `runs`, its JSON output (last run).
fn timed(mut make: impl FnMut() -> Command, runs: usize) -> Result<(f64, String)> {
    let mut best = f64::INFINITY;
    let mut out = String::new();
    for _ in 0..runs.max(1) {
        let mut c = make();
        let t = Instant::now();
        let o = c
            .stderr(Stdio::null())
            .output()
            .context("running a bench command")?;
        let secs = t.elapsed().as_secs_f64();
        if !o.status.success() {
            bail!("{c:?} failed ({})", o.status);
        }
        best = best.min(secs);
        out = String::from_utf8_lossy(&o.stdout).into_owned();
    }
    Ok((best, out))
}

struct Setup {
    dir: PathBuf,
    bin: PathBuf,
}

impl Setup {
    fn run_cmd(&self, campaign: &str, cache: &Path, extra: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("-q")
            .arg("run")
            .arg(self.dir.join(campaign))
            .arg("--json")
            .arg("--cache")
            .arg(cache)
            .args(extra);
        c
    }

    /// A fresh, empty cache directory.
    fn fresh_cache(&self, name: &str) -> Result<PathBuf> {
        let p = self.dir.join(name);
        if p.exists() {
            fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
        }
        Ok(p)
    }

    /// The expanded netlists of `campaign` (written by `--keep-work`).
    fn expanded(&self, campaign: &str, out: &str) -> Result<Vec<PathBuf>> {
        let cache = self.fresh_cache("cache-expand")?;
        let out_dir = self.dir.join(out);
        let _ = fs::remove_dir_all(&out_dir);
        let st = self
            .run_cmd(campaign, &cache, &["--keep-work", "--out"])
            .arg(&out_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !st.success() {
            bail!("spicelab run {campaign} --keep-work failed ({st})");
        }
        let mut v: Vec<PathBuf> = fs::read_dir(out_dir.join("work"))?
            .flatten()
            .map(|e| e.path().join("job.cir"))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        Ok(v)
    }
}

/// `xargs -P N` running `ngspice -b -r out.raw -o out.log job.cir` in each
/// netlist's directory, as a user would script it.
fn xargs(list: &Path, workers: usize) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(format!(
        "xargs -P{workers} -I{{}} sh -c 'cd \"$(dirname {{}})\" && ngspice -b -r out.raw -o out.log job.cir >/dev/null 2>&1' < {}",
        list.display()
    ));
    c
}

struct Row {
    label: String,
    spicelab: String,
    baseline: String,
    ratio: String,
    goal: String,
    pass: bool,
}

fn table(title: &str, rows: &[Row]) -> String {
    let mut s = format!("{title}\n\n| what | spicelab | baseline (same run) | ratio | goal | pass |\n|---|---|---|---|---|---|\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            r.label,
            r.spicelab,
            r.baseline,
            r.ratio,
            r.goal,
            if r.pass { "yes" } else { "**no**" }
        );
    }
    s
}

fn pool_overhead_us(ws: &Workspace) -> Result<f64> {
    let o = ws
        .cargo()
        .args([
            "run",
            "--release",
            "-q",
            "-p",
            "exec-pool",
            "--example",
            "overhead",
            "200000",
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("running exec-pool's overhead example")?;
    let text = String::from_utf8_lossy(&o.stdout);
    // "200000 trivial closure jobs, 2 worker(s): 0.310 us/job (best of 3)"
    let mut worst: Option<f64> = None;
    for line in text.lines().filter(|l| l.contains("trivial closure jobs")) {
        let us = line
            .split(": ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|x| x.parse::<f64>().ok());
        if let Some(us) = us {
            worst = Some(worst.map_or(us, |w: f64| w.max(us)));
        }
    }
    worst.with_context(|| format!("no `us/job` line in the overhead example's output: {text}"))
}

fn json_u64(text: &str, key: &str) -> Result<u64> {
    let v: Value = serde_json::from_str(text.trim()).context("spicelab run --json output")?;
    v[key].as_u64().with_context(|| format!("no {key} in {v}"))
}

/// The campaign rows (issue 15).
pub fn campaign(ws: &Workspace, bin: &Path, runs: usize) -> Result<(String, Value, usize)> {
    let s = setup(ws, bin)?;
    fs::write(s.dir.join("ladder.cir"), LADDER)?;
    fs::write(s.dir.join("tiny.cir"), TINY)?;
    fs::write(
        s.dir.join("ladder.toml"),
        campaign_toml("bench-ladder", "ladder.cir", "1k"),
    )?;
    fs::write(
        s.dir.join("tiny.toml"),
        campaign_toml("bench-tiny", "tiny.cir", "1k"),
    )?;
    let mut rows = Vec::new();
    let mut js = serde_json::Map::new();

    let ladder = s.expanded("ladder.toml", "out-ladder")?;
    let list = s.dir.join("ladder.list");
    fs::write(
        &list,
        ladder
            .iter()
            .map(|p| format!("{}\n", p.display()))
            .collect::<String>(),
    )?;
    let mut t = [0.0f64; 2];
    let mut x = [0.0f64; 2];
    for (k, w) in [1usize, 2].into_iter().enumerate() {
        let ws_ = w.to_string();
        let (secs, out) = timed(
            || {
                s.run_cmd(
                    "ladder.toml",
                    &s.dir.join("cache-scaling"),
                    &["--force", "--jobs", &ws_],
                )
            },
            runs,
        )?;
        if json_u64(&out, "ran")? != 64 || json_u64(&out, "ok")? != 64 {
            bail!("the ladder campaign did not run 64 ok jobs: {out}");
        }
        t[k] = secs;
        x[k] = timed(|| xargs(&list, w), runs)?.0;
        rows.push(Row {
            label: format!("64 ladder jobs, {w} worker(s)"),
            spicelab: format!("{secs:.2} s"),
            baseline: format!("xargs -P{w}: {:.2} s", x[k]),
            ratio: format!("{:.3}x", secs / x[k]),
            goal: if w == 2 {
                format!("<= {GOAL_VS_XARGS:.2}x xargs")
            } else {
                "-".into()
            },
            pass: w != 2 || secs / x[k] <= GOAL_VS_XARGS,
        });
    }
    let eff = t[0] / (2.0 * t[1]);
    let xeff = x[0] / (2.0 * x[1]);
    rows.push(Row {
        label: "scaling efficiency T1 / (2 T2), 64 ladder jobs".into(),
        spicelab: format!("{:.1}%", 100.0 * eff),
        baseline: format!("xargs: {:.1}%", 100.0 * xeff),
        ratio: format!("{:.3}", eff / xeff),
        goal: format!(">= {:.0}%", 100.0 * GOAL_EFFICIENCY),
        pass: eff >= GOAL_EFFICIENCY,
    });
    js.insert(
        "ladder".into(),
        json!({"spicelab_s": t, "xargs_s": x, "efficiency": eff, "xargs_efficiency": xeff}),
    );

    let tiny = s.expanded("tiny.toml", "out-tiny")?;
    let tlist = s.dir.join("tiny.list");
    fs::write(
        &tlist,
        tiny.iter()
            .map(|p| format!("{}\n", p.display()))
            .collect::<String>(),
    )?;
    // The difference of two totals of about 1.5 s: best of 7 each, taken
    // in turns, so that a burst of other work hits both alike.
    let (mut ts, mut tx) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..7 {
        let cache = s.dir.join("cache-tiny");
        let (a, _) = timed(
            || s.run_cmd("tiny.toml", &cache, &["--force", "--jobs", "1"]),
            1,
        )?;
        let (b, _) = timed(|| xargs(&tlist, 1), 1)?;
        ts = ts.min(a);
        tx = tx.min(b);
    }
    let own = (ts - tx).max(0.0) / 64.0;
    let sim = tx / 64.0;
    rows.push(Row {
        label: "64 tiny RC jobs, 1 worker: spicelab's own time per job (expansion, RAW read, measures, cache write)".into(),
        spicelab: format!("{:.2} ms/job (run {ts:.2} s)", 1e3 * own),
        baseline: format!("ngspice alone {:.2} ms/job (xargs -P1 {tx:.2} s)", 1e3 * sim),
        ratio: format!("{:.1}%", 100.0 * own / sim),
        goal: format!("<= {:.0}%", 100.0 * GOAL_OWN_SHARE),
        pass: own / sim <= GOAL_OWN_SHARE,
    });
    js.insert("tiny".into(), json!({"spicelab_s": ts, "xargs_s": tx, "own_ms_per_job": 1e3 * own, "sim_ms_per_job": 1e3 * sim}));

    let us = pool_overhead_us(ws)?;
    rows.push(Row {
        label: "exec-pool overhead per trivial closure job (worst of 1 and 2 workers)".into(),
        spicelab: format!("{us:.3} us"),
        baseline: "-".into(),
        ratio: "-".into(),
        goal: format!("<= {GOAL_POOL_US:.0} us"),
        pass: us <= GOAL_POOL_US,
    });
    js.insert("pool_overhead_us".into(), json!(us));
    let missed = rows.iter().filter(|r| !r.pass).count();
    Ok((
        table(
            "Campaigns (`spicelab run`, real ngspice): wall time of the whole process, best of the runs.",
            &rows,
        ),
        Value::Object(js),
        missed,
    ))
}

/// The incremental rows (issue 16).
pub fn incremental(ws: &Workspace, bin: &Path) -> Result<(String, Value, usize)> {
    let s = setup(ws, bin)?;
    fs::write(s.dir.join("ladder.cir"), LADDER)?;
    fs::write(
        s.dir.join("incr.toml"),
        campaign_toml("bench-incr", "ladder.cir", "1k"),
    )?;
    let cache = s.fresh_cache("cache-incr")?;
    let (cold, out) = timed(|| s.run_cmd("incr.toml", &cache, &["--jobs", "2"]), 1)?;
    if json_u64(&out, "ran")? != 64 {
        bail!("cold run did not run 64 jobs: {out}");
    }
    let (warm, out) = timed(|| s.run_cmd("incr.toml", &cache, &["--jobs", "2"]), 3)?;
    if json_u64(&out, "ran")? != 0 || json_u64(&out, "cache_hits")? != 64 {
        bail!("warm run was not all cache hits: {out}");
    }
    fs::write(
        s.dir.join("incr.toml"),
        campaign_toml("bench-incr", "ladder.cir", "0.9k"),
    )?;
    let (edited, out) = timed(|| s.run_cmd("incr.toml", &cache, &["--jobs", "2"]), 1)?;
    let ran = json_u64(&out, "ran")?;
    let rows = vec![
        Row {
            label: "64 ladder jobs, 2 workers: cold (empty cache) vs unchanged (warm)".into(),
            spicelab: format!("warm {:.3} s", warm),
            baseline: format!("cold {cold:.2} s"),
            ratio: format!("{:.0}x faster", cold / warm),
            goal: format!(">= {GOAL_WARM_X:.0}x"),
            pass: cold / warm >= GOAL_WARM_X,
        },
        Row {
            label: "after editing one sweep value that 8 jobs use".into(),
            spicelab: format!("{edited:.2} s, {ran} jobs ran"),
            baseline: format!("cold {cold:.2} s, 64 jobs"),
            ratio: format!("{:.3}", edited / cold),
            goal: "8 jobs ran".into(),
            pass: ran == 8,
        },
    ];
    let missed = rows.iter().filter(|r| !r.pass).count();
    Ok((
        table(
            "Incremental runs (`spicelab run`, real ngspice, one cache):",
            &rows,
        ),
        json!({"cold_s": cold, "warm_s": warm, "edited_s": edited, "edited_ran": ran}),
        missed,
    ))
}

fn setup(ws: &Workspace, bin: &Path) -> Result<Setup> {
    if crate::util::which("ngspice").is_none() {
        bail!("ngspice is not installed (apt-get install -y ngspice)");
    }
    let dir = ws.target.join("bench").join("campaign");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(Setup {
        dir,
        bin: bin.to_path_buf(),
    })
}
