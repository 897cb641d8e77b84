//! `cargo xtask bench`: spicelab against its baselines, measured in the same run.
//!
//! For this stage (issue 2): streaming `spicelab stats` over a generated ngspice
//! binary file (2 GiB) and an ngspice ASCII file (200 MB), against
//! `cat FILE > /dev/null`, numpy chunked reads and spicelib's `RawRead`.
//! Every ratio is computed from numbers measured in this run; a baseline that
//! cannot run is reported as skipped with the reason.

use crate::fixtures::{self, BigFile};
use crate::util::{self, human, size_label, Workspace};
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Options of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Size of the generated ngspice binary file [default: 2GiB; 256MiB with --quick].
    #[arg(long, value_name = "SIZE", value_parser = util::parse_size)]
    pub size: Option<u64>,
    /// Size of the generated ngspice ASCII file [default: 200MB; 32MB with --quick].
    #[arg(long, value_name = "SIZE", value_parser = util::parse_size)]
    pub ascii_size: Option<u64>,
    /// A fast check on small files (256MiB binary, 32MB ASCII).
    #[arg(long)]
    pub quick: bool,
    /// Timed runs of spicelab, cat and numpy; the best is kept.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Timed runs of the spicelib baseline (slow; it loads the whole file).
    #[arg(long, default_value_t = 1)]
    pub spicelib_runs: usize,
    /// Give up on a baseline run after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
    /// The Python interpreter of the baselines.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Install the Python baselines first (`python -m pip install numpy spicelib`).
    #[arg(long)]
    pub pip_install: bool,
    /// Also write the table to docs/bench.md.
    #[arg(long)]
    pub write_docs: bool,
    /// Exit with status 1 when a goal is missed.
    #[arg(long)]
    pub check: bool,
    /// Directory of the generated big files [default: TARGET_DIR/fixtures].
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
}

const TIME: &str = "/usr/bin/time";

/// The Python package `spicelab` on PyPI (unrelated to this project), a baseline.
const PYSPICELAB: &str = "spicelab (PyPI)";

/// What `--pip-install` installs.
const PIP_PACKAGES: &[&str] = &["numpy", "spicelib", "spicelab==0.4.1", "rich"];

/// One timed run of a command.
#[derive(Debug, Clone)]
struct Run {
    secs: f64,
    rss_kb: Option<u64>,
    stdout: String,
}

/// Several runs of one tool on one file, or why it did not run.
#[derive(Debug, Clone)]
struct Measured {
    tool: String,
    version: String,
    runs: Vec<Run>,
    problem: Option<String>,
    /// The run timed out: `secs` is a lower bound.
    timed_out_after: Option<f64>,
}

impl Measured {
    fn skipped(tool: &str, why: impl Into<String>) -> Measured {
        Measured {
            tool: tool.to_string(),
            version: String::new(),
            runs: Vec::new(),
            problem: Some(why.into()),
            timed_out_after: None,
        }
    }

    fn best(&self) -> Option<&Run> {
        self.runs.iter().min_by(|a, b| a.secs.total_cmp(&b.secs))
    }

    fn best_secs(&self) -> Option<f64> {
        self.best().map(|r| r.secs)
    }

    fn max_rss_kb(&self) -> Option<u64> {
        self.runs.iter().filter_map(|r| r.rss_kb).max()
    }

    fn to_json(&self, bytes: u64) -> Value {
        json!({
            "tool": self.tool,
            "version": self.version,
            "runs_s": self.runs.iter().map(|r| r.secs).collect::<Vec<_>>(),
            "best_s": self.best_secs(),
            "bytes_per_s": self.best_secs().map(|s| bytes as f64 / s),
            "peak_rss_kb": self.max_rss_kb(),
            "status": match (&self.problem, self.timed_out_after) {
                (_, Some(t)) => format!("timed out after {t:.0} s"),
                (Some(p), None) => format!("skipped: {p}"),
                (None, None) => "ok".to_string(),
            },
        })
    }
}

/// How to start one measured command.
struct Job {
    name: String,
    program: PathBuf,
    args: Vec<String>,
    /// Send stdout to /dev/null instead of keeping it.
    discard_stdout: bool,
    timeout: Duration,
    scratch: PathBuf,
}

/// Runs a job once (under `/usr/bin/time -v` when present) and times it.
fn run_once(job: &Job) -> Result<Run, (String, Option<f64>)> {
    let err = |m: String| (m, None);
    let out_path = job.scratch.join(format!("{}.stdout", job.name));
    let err_path = job.scratch.join(format!("{}.stderr", job.name));
    let stdout = if job.discard_stdout {
        Stdio::null()
    } else {
        Stdio::from(fs::File::create(&out_path).map_err(|e| err(format!("{e}")))?)
    };
    let stderr = fs::File::create(&err_path).map_err(|e| err(format!("{e}")))?;
    let use_time = Path::new(TIME).is_file();
    let mut cmd = if use_time {
        let mut c = Command::new(TIME);
        c.arg("-v").arg(&job.program);
        c
    } else {
        Command::new(&job.program)
    };
    cmd.args(&job.args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::from(stderr))
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| err(format!("cannot start {}: {e}", job.program.display())))?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(job.timeout) {
        Ok(s) => s,
        Err(_) => {
            // Kill the whole process group (time, python, ...).
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
            let _ = rx.recv();
            let secs = start.elapsed().as_secs_f64();
            return Err((format!("timed out after {secs:.0} s"), Some(secs)));
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let status = status.map_err(|e| err(format!("waiting: {e}")))?;
    let stderr_text = fs::read_to_string(&err_path).unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = stderr_text
            .lines()
            .filter(|l| !l.starts_with('\t') && !l.starts_with("Command exited"))
            .collect();
        let tail = tail[tail.len().saturating_sub(3)..].join(" | ");
        return Err(err(format!("exited with {status}: {tail}")));
    }
    let rss_kb = stderr_text.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Maximum resident set size (kbytes):")
            .and_then(|v| v.trim().parse().ok())
    });
    let stdout = if job.discard_stdout {
        String::new()
    } else {
        fs::read_to_string(&out_path).unwrap_or_default()
    };
    Ok(Run {
        secs,
        rss_kb,
        stdout,
    })
}

/// Runs a job `runs` times; stops at the first failure.
fn measure(tool: &str, version: &str, job: &Job, runs: usize) -> Measured {
    let mut m = Measured {
        tool: tool.to_string(),
        version: version.to_string(),
        runs: Vec::new(),
        problem: None,
        timed_out_after: None,
    };
    for i in 0..runs.max(1) {
        match run_once(job) {
            Ok(r) => {
                eprintln!(
                    "  {tool:<9} run {}: {:.3} s{}",
                    i + 1,
                    r.secs,
                    r.rss_kb
                        .map(|k| format!(", peak RSS {}", mb(k)))
                        .unwrap_or_default()
                );
                m.runs.push(r);
            }
            Err((why, timed_out)) => {
                eprintln!("  {tool:<9} run {}: {why}", i + 1);
                m.problem = Some(why);
                m.timed_out_after = timed_out;
                break;
            }
        }
    }
    m
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 * 1024.0 / 1e6)
}

/// Asks the interpreter for a module's version; `Err` says why it cannot be used.
fn python_module(python: &str, module: &str, dist: &str, pip: &str) -> Result<String, String> {
    let code = format!("import importlib.metadata as m, {module}; print(m.version('{dist}'))");
    match Command::new(python).args(["-c", &code]).output() {
        Err(e) => Err(format!("{python} cannot run ({e})")),
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stderr);
            let last = text.lines().last().unwrap_or("import failed").trim();
            if last.contains("ModuleNotFoundError") {
                Err(format!(
                    "not installed in {python} (`{python} -m pip install {pip}`)"
                ))
            } else {
                Err(format!("`import {module}` fails in {python}: {last}"))
            }
        }
    }
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let t = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&t)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

/// The measurements of one file.
struct FileBench {
    file: BigFile,
    cat: Measured,
    spicelab: Measured,
    numpy: Measured,
    spicelib: Measured,
    pyspicelab: Measured,
    /// spicelab's and numpy's statistics agree (None: not compared).
    agree: Option<Result<usize, String>>,
}

struct Tools<'a> {
    spicelab: Result<PathBuf, String>,
    numpy: Result<String, String>,
    spicelib: Result<String, String>,
    pyspicelab: Result<String, String>,
    py_dir: PathBuf,
    args: &'a BenchArgs,
    scratch: PathBuf,
}

fn bench_file(tools: &Tools<'_>, file: BigFile, kind: &str) -> Result<FileBench> {
    let args = tools.args;
    let path = file.path.to_string_lossy().into_owned();
    let timeout = Duration::from_secs(args.timeout);
    eprintln!(
        "bench: {kind}: {} ({})",
        file.path.display(),
        human(file.bytes)
    );
    let cat_bin = util::which("cat").unwrap_or_else(|| PathBuf::from("/bin/cat"));
    let job = |name: &str, program: &Path, a: Vec<String>, discard: bool| Job {
        name: format!("{kind}-{name}"),
        program: program.to_path_buf(),
        args: a,
        discard_stdout: discard,
        timeout,
        scratch: tools.scratch.clone(),
    };
    // Warm the page cache: read the file once, untimed.
    let warm = job("warm", &cat_bin, vec![path.clone()], true);
    run_once(&warm).map_err(|(e, _)| anyhow::anyhow!("reading {path}: {e}"))?;

    let cat_version = first_line("cat", &["--version"]);
    let cat = measure(
        "cat",
        &cat_version,
        &job("cat", &cat_bin, vec![path.clone()], true),
        args.runs,
    );
    let spicelab = match &tools.spicelab {
        Ok(bin) => measure(
            "spicelab",
            env!("CARGO_PKG_VERSION"),
            &job(
                "spicelab",
                bin,
                vec!["stats".into(), path.clone(), "--json".into()],
                false,
            ),
            args.runs,
        ),
        Err(why) => Measured::skipped("spicelab", why.clone()),
    };
    let python = PathBuf::from(&args.python);
    let numpy = match &tools.numpy {
        Ok(v) => measure(
            "numpy",
            v,
            &job(
                "numpy",
                &python,
                vec![
                    tools.py_dir.join("numpy_stats.py").to_string_lossy().into(),
                    path.clone(),
                ],
                false,
            ),
            args.runs,
        ),
        Err(why) => Measured::skipped("numpy", why.clone()),
    };
    let spicelib = match &tools.spicelib {
        Ok(v) => measure(
            "spicelib",
            v,
            &job(
                "spicelib",
                &python,
                vec![
                    tools
                        .py_dir
                        .join("spicelib_stats.py")
                        .to_string_lossy()
                        .into(),
                    path.clone(),
                    "ngspice".into(),
                ],
                false,
            ),
            args.spicelib_runs,
        ),
        Err(why) => Measured::skipped("spicelib", why.clone()),
    };
    let pyspicelab = match &tools.pyspicelab {
        Ok(v) => measure(
            PYSPICELAB,
            v,
            &job(
                "pyspicelab",
                &python,
                vec![
                    tools
                        .py_dir
                        .join("pyspicelab_stats.py")
                        .to_string_lossy()
                        .into(),
                    path.clone(),
                ],
                false,
            ),
            args.spicelib_runs,
        ),
        Err(why) => Measured::skipped(PYSPICELAB, why.clone()),
    };
    let agree = match (spicelab.best(), numpy.best()) {
        (Some(s), Some(n)) => Some(compare_stats(&s.stdout, &n.stdout)),
        _ => None,
    };
    Ok(FileBench {
        file,
        cat,
        spicelab,
        numpy,
        spicelib,
        pyspicelab,
        agree,
    })
}

/// Compares spicelab's `stats --json` with a baseline's vectors: min and max
/// exactly, mean and rms to 1e-9 of the vector's scale. Ok: vectors compared.
fn compare_stats(spicelab: &str, baseline: &str) -> Result<usize, String> {
    let s: Value =
        serde_json::from_str(spicelab).map_err(|e| format!("spicelab output is not JSON: {e}"))?;
    let b: Value =
        serde_json::from_str(baseline).map_err(|e| format!("baseline output is not JSON: {e}"))?;
    let ours = s["plots"][0]["vectors"]
        .as_array()
        .ok_or("spicelab output has no plots[0].vectors")?;
    let theirs = b["vectors"]
        .as_array()
        .ok_or("baseline output has no vectors")?;
    let mut compared = 0;
    let mut bad = Vec::new();
    for v in theirs {
        let name = v["name"].as_str().unwrap_or("");
        let Some(o) = ours.iter().find(|o| {
            o["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }) else {
            bad.push(format!("{name}: missing in spicelab output"));
            continue;
        };
        let get = |x: &Value, k: &str| x[k].as_f64().unwrap_or(f64::NAN);
        let scale = ["min", "max", "rms"]
            .iter()
            .map(|k| get(v, k).abs())
            .fold(f64::MIN_POSITIVE, f64::max);
        for k in ["min", "max", "mean", "rms"] {
            let (a, b) = (get(o, k), get(v, k));
            let ok = if k == "min" || k == "max" {
                a == b
            } else {
                (a - b).abs() <= 1e-9 * scale
            };
            if !ok {
                bad.push(format!("{name} {k}: spicelab {a:e}, baseline {b:e}"));
            }
        }
        compared += 1;
    }
    if bad.is_empty() {
        Ok(compared)
    } else {
        Err(bad.join("; "))
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
struct Row {
    row: String,
    spicelab: String,
    baseline: String,
    ratio: String,
    goal: String,
    /// Some(true/false) when the goal could be checked.
    pass: Option<bool>,
    note: String,
}

impl Row {
    fn pass_text(&self) -> String {
        match self.pass {
            Some(true) if self.note.is_empty() => "pass".to_string(),
            Some(false) if self.note.is_empty() => "FAIL".to_string(),
            Some(true) => format!("pass ({})", self.note),
            Some(false) => format!("FAIL ({})", self.note),
            None if self.note.is_empty() => "—".to_string(),
            None => self.note.clone(),
        }
    }

    fn to_json(&self) -> Value {
        json!({"row": self.row, "spicelab": self.spicelab, "baseline": self.baseline,
               "ratio": self.ratio, "goal": self.goal, "pass": self.pass, "note": self.note})
    }
}

/// Throughput in the unit of the row.
#[derive(Clone, Copy)]
enum Unit {
    Gbs,
    Mbs,
}

impl Unit {
    fn fmt(self, bytes: u64, secs: f64) -> String {
        let r = bytes as f64 / secs;
        match self {
            Unit::Gbs => format!("{:.2} GB/s", r / 1e9),
            Unit::Mbs => format!("{:.0} MB/s", r / 1e6),
        }
    }
}

fn describe(m: &Measured, bytes: u64, unit: Unit) -> String {
    let mut s = m.tool.clone();
    if !m.version.is_empty() && m.tool != "cat" && m.tool != "spicelab" {
        s.push(' ');
        s.push_str(&m.version);
    }
    match (m.best_secs(), &m.problem, m.timed_out_after) {
        (_, _, Some(t)) => format!("{s}: timed out after {t:.0} s"),
        (Some(secs), _, _) => {
            let mut out = format!("{s}: {}", unit.fmt(bytes, secs));
            if let Some(k) = m.max_rss_kb() {
                if m.tool != "cat" {
                    let _ = write!(out, ", peak {}", mb(k));
                }
            }
            out
        }
        (None, Some(p), _) => format!("{s}: skipped: {p}"),
        (None, None, _) => format!("{s}: not run"),
    }
}

/// A row comparing spicelab's speed with a baseline's.
fn vs_row(label: &str, fb: &FileBench, base: &Measured, unit: Unit, goal_x: Option<f64>) -> Row {
    let bytes = fb.file.bytes;
    let ours = fb.spicelab.best_secs();
    let (ratio, pass) = match (ours, base.best_secs(), base.timed_out_after) {
        (Some(o), _, Some(t)) => {
            let lb = t / o;
            (
                format!(">= {lb:.1}x"),
                goal_x.map(|g| lb >= g).filter(|&p| p),
            )
        }
        (Some(o), Some(b), None) => (format!("{:.1}x", b / o), goal_x.map(|g| b / o >= g)),
        _ => ("—".to_string(), None),
    };
    let note = if pass.is_none() && goal_x.is_some() {
        if fb.spicelab.best_secs().is_none() || base.timed_out_after.is_some() {
            "not measured".to_string()
        } else {
            "skipped".to_string()
        }
    } else {
        String::new()
    };
    Row {
        row: label.to_string(),
        spicelab: describe(&fb.spicelab, bytes, unit),
        baseline: describe(base, bytes, unit),
        ratio,
        goal: goal_x
            .map(|g| format!(">= {g}x {}", base.tool))
            .unwrap_or_else(|| "—".to_string()),
        pass,
        note,
    }
}

fn rows_for(fb: &FileBench, ascii: bool) -> Vec<Row> {
    let b = fb.file.bytes as f64;
    let size = if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64).replace(".0 ", " ")
    } else {
        format!("{:.0} MiB", b / (1u64 << 20) as f64)
    };
    let what = if ascii {
        format!("stats, {:.0} MB ngspice ASCII", fb.file.bytes as f64 / 1e6)
    } else {
        format!("stats, {size} ngspice binary")
    };
    let unit = if ascii { Unit::Mbs } else { Unit::Gbs };
    let bytes = fb.file.bytes;
    let mut rows = Vec::new();

    // Throughput against cat.
    let ours = fb.spicelab.best_secs();
    let (goal_rate, goal_text) = if ascii {
        (200e6, ">= 200 MB/s".to_string())
    } else {
        (2e9, ">= 2 GB/s (stretch: >= 0.5x cat)".to_string())
    };
    let mut r = vs_row(&format!("{what}: throughput"), fb, &fb.cat, unit, None);
    r.goal = goal_text;
    if let Some(o) = ours {
        let rate = bytes as f64 / o;
        r.pass = Some(rate >= goal_rate);
        if let (false, Some(c)) = (ascii, fb.cat.best_secs()) {
            r.note = if c / o >= 0.5 {
                "stretch met".into()
            } else {
                "stretch not met".into()
            };
        }
        if let Some(c) = fb.cat.best_secs() {
            r.ratio = format!("{:.2}x cat", c / o);
        }
    } else {
        r.note = "not measured".into();
    }
    rows.push(r);

    // Peak RSS.
    let rss = fb.spicelab.max_rss_kb();
    rows.push(Row {
        row: format!("{what}: peak RSS"),
        spicelab: match (rss, fb.spicelab.best_secs()) {
            (Some(k), _) => mb(k),
            (None, Some(_)) => {
                "not measured: /usr/bin/time missing (apt-get install -y time)".into()
            }
            (None, None) => describe(&fb.spicelab, bytes, unit),
        },
        baseline: ["numpy", "spicelib", PYSPICELAB]
            .iter()
            .zip([&fb.numpy, &fb.spicelib, &fb.pyspicelab])
            .filter_map(|(n, m)| m.max_rss_kb().map(|k| format!("{n}: {}", mb(k))))
            .collect::<Vec<_>>()
            .join(", "),
        ratio: "—".into(),
        goal: if ascii {
            "— (bounded)".into()
        } else {
            "< 64 MB".into()
        },
        pass: if ascii {
            None
        } else {
            rss.map(|k| (k as f64) * 1024.0 < 64e6)
        },
        note: if rss.is_none() && !ascii {
            "not measured".into()
        } else {
            String::new()
        },
    });

    let (np_goal, sl_goal) = if ascii {
        (Some(7.0), None)
    } else {
        (Some(4.0), Some(10.0))
    };
    rows.push(vs_row(
        &format!("{what}: vs numpy"),
        fb,
        &fb.numpy,
        unit,
        np_goal,
    ));
    rows.push(vs_row(
        &format!("{what}: vs spicelib"),
        fb,
        &fb.spicelib,
        unit,
        sl_goal,
    ));
    rows.push(vs_row(
        &format!("{what}: vs {PYSPICELAB} StreamingRAWReader"),
        fb,
        &fb.pyspicelab,
        unit,
        None,
    ));
    if let Some(agree) = &fb.agree {
        rows.push(Row {
            row: format!("{what}: same min/max/mean/rms as numpy"),
            spicelab: match agree {
                Ok(n) => format!("{n} vectors agree"),
                Err(e) => format!("differ: {e}"),
            },
            baseline: "numpy".into(),
            ratio: "—".into(),
            goal: "equal (mean, rms to 1e-9)".into(),
            pass: Some(agree.is_ok()),
            note: String::new(),
        });
    }
    rows
}

fn markdown(rows: &[Row]) -> String {
    let mut s = String::from(
        "| row | spicelab | baseline | ratio | goal | pass |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            r.row,
            r.spicelab,
            if r.baseline.is_empty() {
                "—"
            } else {
                &r.baseline
            },
            r.ratio,
            r.goal,
            r.pass_text()
        );
    }
    s
}

fn machine() -> Value {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    let mem_kb = fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines().find_map(|l| {
            l.strip_prefix("MemTotal:")
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
    });
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "memory_gb": mem_kb.map(|k| (k as f64 * 1024.0 / 1e9 * 10.0).round() / 10.0),
        "kernel": fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
    })
}

fn git_rev(ws: &Workspace) -> String {
    let rev = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(&ws.root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(&ws.root)
        .output()
        .ok()
        .is_some_and(|o| !o.stdout.is_empty());
    if dirty {
        format!("{rev}+changes")
    } else {
        rev
    }
}

fn utc_now() -> String {
    first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
}

/// Runs `cargo xtask bench`.
pub fn run(ws: &Workspace, args: &BenchArgs) -> Result<ExitCode> {
    let bin_size = args
        .size
        .unwrap_or(if args.quick { 256 << 20 } else { 2 << 30 });
    let ascii_size = args.ascii_size.unwrap_or(if args.quick {
        32_000_000
    } else {
        fixtures::DEFAULT_BIG_ASCII
    });
    let out_dir = ws.target.join("bench");
    let scratch = out_dir.join("runs");
    fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let mut notes: Vec<String> = Vec::new();

    if args.pip_install {
        eprintln!(
            "$ {} -m pip install {}",
            args.python,
            PIP_PACKAGES.join(" ")
        );
        let ok = Command::new(&args.python)
            .args(["-m", "pip", "install"])
            .args(PIP_PACKAGES)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            notes.push(format!("pip install {} failed", PIP_PACKAGES.join(" ")));
        }
    }
    if !Path::new(TIME).is_file() {
        notes.push(format!(
            "{TIME} is missing: peak RSS not measured (install with `apt-get install -y time`)"
        ));
    }

    let spicelab = ws.build_spicelab().map_err(|e| format!("{e:#}"));
    if let Err(e) = &spicelab {
        eprintln!("bench: spicelab not measured: {e}");
    }
    let numpy = python_module(&args.python, "numpy", "numpy", "numpy");
    let (spicelib, pyspicelab) = match &numpy {
        Ok(_) => (
            python_module(&args.python, "spicelib", "spicelib", "spicelib"),
            python_module(
                &args.python,
                "spicelab.io.raw_streaming",
                "spicelab",
                "spicelab==0.4.1 rich",
            ),
        ),
        Err(e) => (
            Err(format!("needs numpy, which is {e}")),
            Err(format!("needs numpy, which is {e}")),
        ),
    };
    let fixture_dir = args
        .fixtures
        .clone()
        .unwrap_or_else(|| ws.target.join("fixtures"));
    let bin_file = fixtures::ensure_big_binary(&fixture_dir, bin_size)?;
    let ascii_file = fixtures::ensure_big_ascii(&fixture_dir, ascii_size)?;

    let tools = Tools {
        spicelab,
        numpy,
        spicelib,
        pyspicelab,
        py_dir: ws.root.join("xtask").join("py"),
        args,
        scratch,
    };
    let bin = bench_file(&tools, bin_file, "binary")?;
    let ascii = bench_file(&tools, ascii_file, "ascii")?;

    let mut rows = rows_for(&bin, false);
    rows.extend(rows_for(&ascii, true));
    for (name, m) in [
        ("numpy", &tools.numpy),
        ("spicelib", &tools.spicelib),
        (PYSPICELAB, &tools.pyspicelab),
    ] {
        match m {
            Ok(v) => notes.push(format!("{name} {v} available in {}", args.python)),
            Err(e) => notes.push(format!("{name} skipped: {e}")),
        }
    }
    notes.push(format!(
        "best of {} runs for spicelab, cat and numpy; {} run(s) for spicelib and {PYSPICELAB}; \
         page cache warm (each file read once before timing); wall time of the whole process",
        args.runs, args.spicelib_runs
    ));
    // The result cache (cache-zstd) on the real ngspice fixture set.
    let cache_rows = (|| -> Result<Vec<crate::bench_cache::CacheRow>> {
        if !fixture_dir
            .join("ngspice")
            .join("rc_ladder_tran.raw")
            .exists()
        {
            fixtures::run(
                ws,
                &fixtures::FixturesArgs {
                    out: Some(fixture_dir.clone()),
                    mc_runs: 100,
                    ..fixtures::FixturesArgs::default()
                },
            )?;
        }
        crate::bench_cache::run(ws, &fixture_dir, args.quick)
    })();
    let mut table = markdown(&rows);
    match &cache_rows {
        Ok(r) => {
            table.push('\n');
            table.push_str(&crate::bench_cache::table(r));
        }
        Err(e) => notes.push(format!("cache rows skipped: {e:#}")),
    }
    let date = utc_now();
    let rev = git_rev(ws);
    let mach = machine();
    let failed: Vec<&Row> = rows.iter().filter(|r| r.pass == Some(false)).collect();
    // Cache rows whose goals are missed count for --check as well.
    let cache_failed = cache_rows.as_ref().map_or(0, |r| {
        r.iter()
            .filter(|r| !crate::bench_cache::row_passes(r))
            .count()
    });
    let missed = failed.len() + cache_failed;

    let results = json!({
        "date": date,
        "commit": rev,
        "quick": args.quick,
        "machine": mach,
        "command": bench_command(args),
        "files": {
            "binary": file_json(&bin.file),
            "ascii": file_json(&ascii.file),
        },
        "measurements": {
            "binary": measurements_json(&bin),
            "ascii": measurements_json(&ascii),
        },
        "rows": rows.iter().map(Row::to_json).collect::<Vec<_>>(),
        "cache": cache_rows.as_ref().ok(),
        "notes": notes,
    });
    let results_path = out_dir.join("results.json");
    let text = serde_json::to_string_pretty(&results).context("formatting results.json")?;
    outfile::write(&results_path, (text + "\n").as_bytes())?;

    println!("\n{table}");
    for n in &notes {
        println!("- {n}");
    }
    println!(
        "\nmachine: {}, {} cores; commit {rev}; {date}",
        mach["cpu"].as_str().unwrap_or("?"),
        mach["cores"]
    );
    println!("results: {}", results_path.display());
    if args.write_docs {
        let docs = ws.root.join("docs").join("bench.md");
        let md = bench_md(&table, &notes, &mach, &rev, &date, &bench_command(args));
        outfile::write(&docs, md.as_bytes())?;
        println!("docs:    {}", docs.display());
    }
    let spicelab_missing = tools.spicelab.is_err();
    if missed > 0 {
        println!("{missed} row(s) missed a goal");
    }
    Ok(if spicelab_missing || (args.check && missed > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn measurements_json(fb: &FileBench) -> Value {
    let b = fb.file.bytes;
    json!([
        fb.cat.to_json(b),
        fb.spicelab.to_json(b),
        fb.numpy.to_json(b),
        fb.spicelib.to_json(b),
        fb.pyspicelab.to_json(b)
    ])
}

fn file_json(f: &BigFile) -> Value {
    json!({"path": f.path, "bytes": f.bytes, "points": f.points, "variables": f.variables})
}

fn bench_command(args: &BenchArgs) -> String {
    let mut c = String::from("cargo xtask bench");
    if args.quick {
        c.push_str(" --quick");
    }
    if let Some(s) = args.size {
        let _ = write!(c, " --size {}", size_label(s));
    }
    if let Some(s) = args.ascii_size {
        let _ = write!(c, " --ascii-size {}", size_label(s));
    }
    c
}

/// The text of docs/bench.md: how to run the benchmark, then the latest table.
fn bench_md(
    table: &str,
    notes: &[String],
    mach: &Value,
    rev: &str,
    date: &str,
    cmd: &str,
) -> String {
    let mut s = String::from(BENCH_MD_HEAD);
    let _ = writeln!(s, "## Latest results\n");
    let _ = writeln!(
        s,
        "`{cmd}` on {} ({} cores, {} GB RAM, Linux {}), commit {rev}, {date}.\n",
        mach["cpu"].as_str().unwrap_or("?"),
        mach["cores"],
        mach["memory_gb"],
        mach["kernel"].as_str().unwrap_or("?")
    );
    s.push_str(table);
    s.push('\n');
    for n in notes {
        let _ = writeln!(s, "- {n}");
    }
    s
}

/// The fixed part of docs/bench.md (also written by `--write-docs`).
pub const BENCH_MD_HEAD: &str = include_str!("bench_head.md");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_comparison() {
        let ours = r#"{"plots":[{"vectors":[{"name":"v(out)","min":-1.0,"max":1.0,"mean":0.1,"rms":0.7}]}]}"#;
        let same = r#"{"vectors":[{"name":"V(OUT)","min":-1.0,"max":1.0,"mean":0.1000000000001,"rms":0.7}]}"#;
        let off = r#"{"vectors":[{"name":"v(out)","min":-1.0,"max":1.0,"mean":0.2,"rms":0.7}]}"#;
        assert_eq!(compare_stats(ours, same), Ok(1));
        assert!(compare_stats(ours, off).is_err());
        assert!(compare_stats("nope", same).is_err());
    }

    #[test]
    fn table_has_every_row() {
        let m = |tool: &str, secs: Option<f64>| Measured {
            tool: tool.into(),
            version: "1".into(),
            runs: secs
                .map(|s| {
                    vec![Run {
                        secs: s,
                        rss_kb: Some(10_000),
                        stdout: String::new(),
                    }]
                })
                .unwrap_or_default(),
            problem: secs.is_none().then(|| "not installed".to_string()),
            timed_out_after: None,
        };
        let fb = FileBench {
            file: BigFile {
                path: "x.raw".into(),
                bytes: 4_000_000_000,
                points: 1,
                variables: 8,
                reused: true,
            },
            cat: m("cat", Some(0.5)),
            spicelab: m("spicelab", Some(1.0)),
            numpy: m("numpy", Some(5.0)),
            spicelib: m("spicelib", None),
            pyspicelab: m(PYSPICELAB, Some(40.0)),
            agree: Some(Ok(8)),
        };
        let rows = rows_for(&fb, false);
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[4].ratio, "40.0x");
        assert_eq!(rows[0].pass, Some(true)); // 4 GB/s
        assert_eq!(rows[1].pass, Some(true)); // 10 MB
        assert_eq!(rows[2].pass, Some(true)); // 5x numpy
        assert_eq!(rows[3].pass, None); // spicelib skipped
        assert!(rows[3].baseline.contains("skipped: not installed"));
        let md = markdown(&rows);
        assert_eq!(md.lines().count(), 8);
    }
}
