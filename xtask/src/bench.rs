//! `cargo xtask bench`: spicelab against its baselines, measured in the same run.
//!
//! The table is made from a list of [`Spec`]s, one per benchmarked file (see
//! [`spec_for`]): the fixture, the spicelab command, the baselines (each a
//! command with a name, its number of runs, an optional speed goal and
//! whether its statistics are compared with spicelab's) and the goals of the
//! row. [`measure`] runs and measures any command (best of N, peak RSS);
//! [`rows_for`] turns a measured spec into table rows; [`markdown`] and
//! [`results_json`] print them. Every ratio is computed from numbers measured
//! in this run; a baseline that cannot run is reported as skipped with the
//! reason.
//!
//! Parts (`--only`): streaming `spicelab stats` on a 2 GiB ngspice binary, a
//! 200 MB ngspice ASCII, a 2 GiB LTspice normal and a 2 GiB LTspice
//! `fastaccess` file, against `cat FILE > /dev/null`, numpy chunked reads,
//! spicelib's `RawRead` (and the PyPI `spicelab` on the ngspice files); the
//! LTspice rows also per byte against the ngspice binary row; the result
//! cache rows (bench_cache.rs); campaigns (bench_run.rs); FFTs against
//! realfft and numpy (bench_fft.rs).

use crate::fixtures::{self, BigFile, LtLayout};
use crate::util::{self, human, size_label, Workspace};
use anyhow::{bail, Context, Result};
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
    /// Size of the generated LTspice files [default: the --size of the ngspice binary].
    #[arg(long, value_name = "SIZE", value_parser = util::parse_size)]
    pub ltspice_size: Option<u64>,
    /// Only these parts, comma-separated (the LTspice rows bring the ngspice
    /// row along: they are compared with it per byte) [default: all].
    #[arg(long, value_name = "PART", value_delimiter = ',')]
    pub only: Vec<Part>,
    /// A fast check on small files (256MiB binary and LTspice, 32MB ASCII).
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
    /// Also write the table to docs/bench.md (the whole table: not with --only).
    #[arg(long)]
    pub write_docs: bool,
    /// Exit with status 1 when a goal is missed.
    #[arg(long)]
    pub check: bool,
    /// Size of the ngspice binary converted to HDF5 by the `hdf5` part
    /// [default: 512MiB; 64MiB with --quick].
    #[arg(long, value_name = "SIZE", value_parser = util::parse_size)]
    pub hdf5_size: Option<u64>,
    /// Directory of the generated big files [default: TARGET_DIR/fixtures].
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
}

/// The parts of the benchmark, for `--only`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `spicelab stats` on the big ngspice binary file.
    Ngspice,
    /// `spicelab stats` on the ngspice ASCII file.
    NgspiceAscii,
    /// `spicelab stats` on the big LTspice file (normal, point-major).
    Ltspice,
    /// `spicelab stats` on the big LTspice `fastaccess` file (variable-major).
    LtspiceFastaccess,
    /// The result cache rows (as `cargo xtask bench-cache`).
    Cache,
    /// `spicelab run`: 64 ngspice jobs at 1 and 2 workers vs `xargs -P`, small-job overhead, pool overhead.
    Campaign,
    /// `spicelab run` cold, warm and after a one-value edit.
    Incremental,
    /// Real FFTs of 2^20 and 64 x 2^20 points: fft-gpu vs realfft direct and numpy (GPU when present).
    Fft,
    /// `spicelab export BIG.raw -o BIG.h5` against h5py with the same filters (bench_hdf5.rs).
    Hdf5,
}

impl Part {
    const ALL: [Part; 9] = [
        Part::Ngspice,
        Part::NgspiceAscii,
        Part::Ltspice,
        Part::LtspiceFastaccess,
        Part::Cache,
        Part::Campaign,
        Part::Incremental,
        Part::Fft,
        Part::Hdf5,
    ];

    /// The name of `--only`.
    fn name(self) -> &'static str {
        match self {
            Part::Ngspice => "ngspice",
            Part::NgspiceAscii => "ngspice-ascii",
            Part::Ltspice => "ltspice",
            Part::LtspiceFastaccess => "ltspice-fastaccess",
            Part::Cache => "cache",
            Part::Campaign => "campaign",
            Part::Incremental => "incremental",
            Part::Fft => "fft",
            Part::Hdf5 => "hdf5",
        }
    }

    /// The key of its file and measurements in results.json.
    fn key(self) -> &'static str {
        match self {
            Part::Ngspice => "binary",
            Part::NgspiceAscii => "ascii",
            Part::Ltspice => "ltspice",
            Part::LtspiceFastaccess => "ltspice-fastaccess",
            Part::Cache => "cache",
            Part::Campaign => "campaign",
            Part::Incremental => "incremental",
            Part::Fft => "fft",
            Part::Hdf5 => "hdf5",
        }
    }
}

/// The parts to run, in table order, and a note when one was added because
/// another needs it.
fn selected_parts(only: &[Part]) -> (Vec<Part>, Option<String>) {
    if only.is_empty() {
        return (Part::ALL.to_vec(), None);
    }
    let lt = only
        .iter()
        .any(|p| matches!(p, Part::Ltspice | Part::LtspiceFastaccess));
    let added = lt && !only.contains(&Part::Ngspice);
    let parts = Part::ALL
        .into_iter()
        .filter(|p| only.contains(p) || (added && *p == Part::Ngspice))
        .collect();
    let note = added.then(|| {
        "the ngspice binary row was run too: the LTspice rows are compared with it per byte"
            .to_string()
    });
    (parts, note)
}

const TIME: &str = "/usr/bin/time";

/// The Python package `spicelab` on PyPI (unrelated to this project), a baseline.
const PYSPICELAB: &str = "spicelab (PyPI)";

/// What `--pip-install` installs.
const PIP_PACKAGES: &[&str] = &["numpy", "spicelib", "spicelab==0.4.1", "rich"];

/// Where the file's path goes in a command's arguments.
const FILE: &str = "{file}";

/// A baseline program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    /// `cat FILE > /dev/null`: the speed of reading the bytes at all.
    Cat,
    /// `xtask/py/numpy_stats.py`: chunked numpy reads.
    Numpy,
    /// `xtask/py/spicelib_stats.py`: spicelib's `RawRead`.
    Spicelib,
    /// `xtask/py/pyspicelab_stats.py`: the PyPI `spicelab`'s `StreamingRAWReader`.
    PySpicelab,
}

impl Tool {
    /// Its name in the table and results.json.
    fn name(self) -> &'static str {
        match self {
            Tool::Cat => "cat",
            Tool::Numpy => "numpy",
            Tool::Spicelib => "spicelib",
            Tool::PySpicelab => PYSPICELAB,
        }
    }

    /// What its comparison row is called (`...: vs <label>`).
    fn row_label(self) -> String {
        match self {
            Tool::PySpicelab => format!("{PYSPICELAB} StreamingRAWReader"),
            t => t.name().to_string(),
        }
    }

    /// The Python script under xtask/py (None: not a Python baseline).
    fn script(self) -> Option<&'static str> {
        match self {
            Tool::Cat => None,
            Tool::Numpy => Some("numpy_stats.py"),
            Tool::Spicelib => Some("spicelib_stats.py"),
            Tool::PySpicelab => Some("pyspicelab_stats.py"),
        }
    }

    /// Slow baselines (they load the whole file) run `--spicelib-runs` times.
    fn slow(self) -> bool {
        matches!(self, Tool::Spicelib | Tool::PySpicelab)
    }
}

/// One baseline of a row.
#[derive(Debug, Clone)]
struct Baseline {
    tool: Tool,
    /// Its arguments ([`FILE`] is the file's path; a Python script's path comes first).
    args: Vec<String>,
    /// spicelab must be at least this many times faster (None: ratio only).
    goal_x: Option<f64>,
    /// Its min/max/mean/rms must equal spicelab's (a row of its own).
    check_stats: bool,
}

impl Baseline {
    fn new(tool: Tool, extra: &[&str]) -> Baseline {
        let mut args = vec![FILE.to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Baseline {
            tool,
            args,
            goal_x: None,
            check_stats: false,
        }
    }

    fn goal(mut self, x: f64) -> Baseline {
        self.goal_x = Some(x);
        self
    }

    fn checked(mut self) -> Baseline {
        self.check_stats = true;
        self
    }
}

/// What spicelab's speed is compared with `cat`'s.
#[derive(Debug, Clone, Copy, PartialEq)]
enum CatGoal {
    /// A goal: at least this fraction of cat's speed.
    Min(f64),
    /// A stretch goal, noted in the pass column only.
    Stretch(f64),
}

/// The goals of a row.
#[derive(Debug, Clone, Default)]
struct Goals {
    /// spicelab's throughput, bytes/s.
    rate: Option<f64>,
    cat: Option<CatGoal>,
    /// Peak RSS in bytes (None: reported, no goal).
    rss: Option<f64>,
    /// At least this fraction of the bytes/s of spicelab on another part's file.
    per_byte: Option<(Part, f64)>,
}

/// One benchmarked file: the fixture, spicelab's command, the baselines, the goals.
#[derive(Debug, Clone)]
struct Spec {
    part: Part,
    /// The file in words, e.g. `2 GiB ngspice binary`.
    short: String,
    file: BigFile,
    unit: Unit,
    /// spicelab's arguments ([`FILE`] is the file's path).
    spicelab: Vec<String>,
    baselines: Vec<Baseline>,
    goals: Goals,
}

impl Spec {
    /// The start of its row labels.
    fn what(&self) -> String {
        format!("stats, {}", self.short)
    }
}

/// `2 GiB`, `256 MiB`.
fn size_words(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64).replace(".0 ", " ")
    } else {
        format!("{:.0} MiB", b / (1u64 << 20) as f64)
    }
}

/// The table of rows: what each part measures and against what (None for
/// the cache part, which has rows of its own).
fn spec_for(part: Part, file: BigFile) -> Option<Spec> {
    use Tool::*;
    let stats = vec!["stats".to_string(), FILE.to_string(), "--json".to_string()];
    let (short, unit, baselines, goals) = match part {
        Part::Ngspice => (
            format!("{} ngspice binary", size_words(file.bytes)),
            Unit::Gbs,
            vec![
                Baseline::new(Cat, &[]),
                Baseline::new(Numpy, &[]).goal(4.0).checked(),
                Baseline::new(Spicelib, &["ngspice"]).goal(10.0),
                Baseline::new(PySpicelab, &[]),
            ],
            Goals {
                rate: Some(2e9),
                cat: Some(CatGoal::Stretch(0.5)),
                rss: Some(64e6),
                per_byte: None,
            },
        ),
        Part::NgspiceAscii => (
            format!("{:.0} MB ngspice ASCII", file.bytes as f64 / 1e6),
            Unit::Mbs,
            vec![
                Baseline::new(Cat, &[]),
                Baseline::new(Numpy, &[]).goal(7.0).checked(),
                Baseline::new(Spicelib, &["ngspice"]),
                Baseline::new(PySpicelab, &[]),
            ],
            Goals {
                rate: Some(200e6),
                ..Goals::default()
            },
        ),
        Part::Cache | Part::Campaign | Part::Incremental | Part::Fft | Part::Hdf5 => return None,
        Part::Ltspice | Part::LtspiceFastaccess => (
            format!(
                "{} LTspice {}",
                size_words(file.bytes),
                if part == Part::Ltspice {
                    "normal"
                } else {
                    "fastaccess"
                }
            ),
            Unit::Gbs,
            vec![
                Baseline::new(Cat, &[]),
                Baseline::new(Numpy, &[]).checked(),
                Baseline::new(Spicelib, &["ltspice"]).checked(),
            ],
            Goals {
                rate: None,
                cat: Some(CatGoal::Min(0.7)),
                rss: Some(64e6),
                per_byte: Some((Part::Ngspice, 0.8)),
            },
        ),
    };
    Some(Spec {
        part,
        short,
        file,
        unit,
        spicelab: stats,
        baselines,
        goals,
    })
}

/// The arguments with [`FILE`] replaced by `path`.
fn with_file(args: &[String], path: &str) -> Vec<String> {
    args.iter()
        .map(|a| {
            if a == FILE {
                path.to_string()
            } else {
                a.clone()
            }
        })
        .collect()
}

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

/// A spec and what was measured on it.
#[derive(Debug, Clone)]
struct Bench {
    spec: Spec,
    spicelab: Measured,
    /// One per `spec.baselines`, in that order.
    baselines: Vec<Measured>,
}

impl Bench {
    fn measured(&self, tool: Tool) -> Option<&Measured> {
        self.spec
            .baselines
            .iter()
            .zip(&self.baselines)
            .find(|(b, _)| b.tool == tool)
            .map(|(_, m)| m)
    }
}

/// What can run, found once for every spec.
struct Tools<'a> {
    spicelab: Result<PathBuf, String>,
    /// The version of each Python baseline's module, or why it cannot run.
    python: Vec<(Tool, Result<String, String>)>,
    cat: PathBuf,
    cat_version: String,
    py_dir: PathBuf,
    args: &'a BenchArgs,
    scratch: PathBuf,
}

impl Tools<'_> {
    /// The version of a baseline, or why it cannot run.
    fn available(&self, tool: Tool) -> Result<String, String> {
        if tool == Tool::Cat {
            return Ok(self.cat_version.clone());
        }
        self.python
            .iter()
            .find(|(t, _)| *t == tool)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| Err("not looked for".to_string()))
    }

    /// The program and arguments of a baseline on `path`.
    fn command(&self, b: &Baseline, path: &str) -> (PathBuf, Vec<String>) {
        let args = with_file(&b.args, path);
        match b.tool.script() {
            None => (self.cat.clone(), args),
            Some(script) => {
                let mut a = vec![self.py_dir.join(script).to_string_lossy().into_owned()];
                a.extend(args);
                (PathBuf::from(&self.args.python), a)
            }
        }
    }
}

/// Measures spicelab and every baseline of `spec` on its file: the page
/// cache is warmed first (one untimed read), then cat, spicelab and the
/// other baselines are timed.
fn bench_spec(tools: &Tools<'_>, spec: Spec) -> Result<Bench> {
    let args = tools.args;
    let path = spec.file.path.to_string_lossy().into_owned();
    let key = spec.part.key();
    let timeout = Duration::from_secs(args.timeout);
    eprintln!(
        "bench: {key}: {} ({})",
        spec.file.path.display(),
        human(spec.file.bytes)
    );
    let job = |name: &str, program: PathBuf, a: Vec<String>, discard: bool| Job {
        name: format!("{key}-{name}"),
        program,
        args: a,
        discard_stdout: discard,
        timeout,
        scratch: tools.scratch.clone(),
    };
    let warm = job("warm", tools.cat.clone(), vec![path.clone()], true);
    run_once(&warm).map_err(|(e, _)| anyhow::anyhow!("reading {path}: {e}"))?;

    let run_baseline = |b: &Baseline| match tools.available(b.tool) {
        Err(why) => Measured::skipped(b.tool.name(), why),
        Ok(version) => {
            let (program, a) = tools.command(b, &path);
            let slug = b.tool.name().replace([' ', '(', ')'], "");
            let runs = if b.tool.slow() {
                args.spicelib_runs
            } else {
                args.runs
            };
            let j = job(&slug, program, a, b.tool == Tool::Cat);
            measure(b.tool.name(), &version, &j, runs)
        }
    };
    // cat first, then spicelab, then the other baselines.
    let mut measured: Vec<Option<Measured>> = vec![None; spec.baselines.len()];
    for (m, b) in measured.iter_mut().zip(&spec.baselines) {
        if b.tool == Tool::Cat {
            *m = Some(run_baseline(b));
        }
    }
    let spicelab = match &tools.spicelab {
        Ok(bin) => measure(
            "spicelab",
            env!("CARGO_PKG_VERSION"),
            &job(
                "spicelab",
                bin.clone(),
                with_file(&spec.spicelab, &path),
                false,
            ),
            args.runs,
        ),
        Err(why) => Measured::skipped("spicelab", why.clone()),
    };
    for (m, b) in measured.iter_mut().zip(&spec.baselines) {
        if m.is_none() {
            *m = Some(run_baseline(b));
        }
    }
    Ok(Bench {
        spec,
        spicelab,
        baselines: measured.into_iter().flatten().collect(),
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
#[derive(Debug, Clone, Copy)]
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

/// `tool version: rate, peak RSS` (or why there is no rate), `name` in place of the tool.
fn describe_as(name: &str, m: &Measured, bytes: u64, unit: Unit) -> String {
    let mut s = name.to_string();
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

fn describe(m: &Measured, bytes: u64, unit: Unit) -> String {
    describe_as(&m.tool, m, bytes, unit)
}

/// A row comparing spicelab's speed with a baseline's.
fn vs_row(label: &str, b: &Bench, base: &Measured, goal_x: Option<f64>) -> Row {
    let bytes = b.spec.file.bytes;
    let unit = b.spec.unit;
    let ours = b.spicelab.best_secs();
    let (ratio, pass) = match (ours, base.best_secs(), base.timed_out_after) {
        (Some(o), _, Some(t)) => {
            let lb = t / o;
            (
                format!(">= {lb:.1}x"),
                goal_x.map(|g| lb >= g).filter(|&p| p),
            )
        }
        (Some(o), Some(s), None) => (format!("{:.1}x", s / o), goal_x.map(|g| s / o >= g)),
        _ => ("—".to_string(), None),
    };
    let note = if pass.is_none() && goal_x.is_some() {
        if ours.is_none() || base.timed_out_after.is_some() {
            "not measured".to_string()
        } else {
            "skipped".to_string()
        }
    } else {
        String::new()
    };
    Row {
        row: label.to_string(),
        spicelab: describe(&b.spicelab, bytes, unit),
        baseline: describe(base, bytes, unit),
        ratio,
        goal: goal_x
            .map(|g| format!(">= {g}x {}", base.tool))
            .unwrap_or_else(|| "—".to_string()),
        pass,
        note,
    }
}

/// The goal text of the throughput row: `>= 2 GB/s (stretch: >= 0.5x cat)`.
fn throughput_goal(goals: &Goals, unit: Unit) -> String {
    let rate = goals.rate.map(|r| match unit {
        Unit::Gbs => format!(">= {} GB/s", r / 1e9),
        Unit::Mbs => format!(">= {} MB/s", r / 1e6),
    });
    match (rate, goals.cat) {
        (Some(r), None) => r,
        (Some(r), Some(CatGoal::Stretch(x))) => format!("{r} (stretch: >= {x}x cat)"),
        (Some(r), Some(CatGoal::Min(x))) => format!("{r} and >= {x}x cat"),
        (None, Some(CatGoal::Min(x))) => format!(">= {x}x cat"),
        (None, Some(CatGoal::Stretch(x))) => format!("— (stretch: >= {x}x cat)"),
        (None, None) => "—".to_string(),
    }
}

/// The table rows of one measured spec: throughput against cat, peak RSS,
/// per byte against another spec (when a goal says so), one row per other
/// baseline, and one per baseline whose statistics are compared.
fn rows_for(b: &Bench, all: &[Bench]) -> Vec<Row> {
    let what = b.spec.what();
    let unit = b.spec.unit;
    let bytes = b.spec.file.bytes;
    let goals = &b.spec.goals;
    let ours = b.spicelab.best_secs();
    let mut rows = Vec::new();

    // Throughput against cat.
    let none = Measured::skipped("cat", "not in this row");
    let cat = b.measured(Tool::Cat).unwrap_or(&none);
    let mut r = vs_row(&format!("{what}: throughput"), b, cat, None);
    r.goal = throughput_goal(goals, unit);
    if let Some(o) = ours {
        let mut pass = goals.rate.map(|g| bytes as f64 / o >= g);
        if let Some(c) = cat.best_secs() {
            let x = c / o;
            r.ratio = format!("{x:.2}x cat");
            match goals.cat {
                Some(CatGoal::Stretch(s)) => {
                    r.note = if x >= s {
                        "stretch met".into()
                    } else {
                        "stretch not met".into()
                    };
                }
                Some(CatGoal::Min(m)) => pass = Some(pass.unwrap_or(true) && x >= m),
                None => {}
            }
        } else if let Some(CatGoal::Min(_)) = goals.cat {
            r.note = "cat not measured".into();
        }
        r.pass = pass;
    } else {
        r.note = "not measured".into();
    }
    rows.push(r);

    // Peak RSS.
    let rss = b.spicelab.max_rss_kb();
    rows.push(Row {
        row: format!("{what}: peak RSS"),
        spicelab: match (rss, ours) {
            (Some(k), _) => mb(k),
            (None, Some(_)) => {
                "not measured: /usr/bin/time missing (apt-get install -y time)".into()
            }
            (None, None) => describe(&b.spicelab, bytes, unit),
        },
        baseline: b
            .spec
            .baselines
            .iter()
            .zip(&b.baselines)
            .filter(|(s, _)| s.tool != Tool::Cat)
            .filter_map(|(_, m)| m.max_rss_kb().map(|k| format!("{}: {}", m.tool, mb(k))))
            .collect::<Vec<_>>()
            .join(", "),
        ratio: "—".into(),
        goal: match goals.rss {
            Some(g) => format!("< {:.0} MB", g / 1e6),
            None => "— (bounded)".into(),
        },
        pass: goals.rss.and_then(|g| rss.map(|k| (k as f64) * 1024.0 < g)),
        note: if rss.is_none() && goals.rss.is_some() {
            "not measured".into()
        } else {
            String::new()
        },
    });

    // Per byte against spicelab on another file.
    if let Some((part, min)) = goals.per_byte {
        let other = all.iter().find(|o| o.spec.part == part);
        let label = match other {
            Some(o) => format!("{what}: per byte vs spicelab on {}", o.spec.short),
            None => format!("{what}: per byte vs spicelab on {}", part.name()),
        };
        let mut r = Row {
            row: label,
            spicelab: describe(&b.spicelab, bytes, unit),
            baseline: String::new(),
            ratio: "—".into(),
            goal: format!(">= {min}x per byte"),
            pass: None,
            note: String::new(),
        };
        match other {
            Some(o) => {
                let name = format!("spicelab on {}", o.spec.short);
                r.baseline = describe_as(&name, &o.spicelab, o.spec.file.bytes, o.spec.unit);
                match (ours, o.spicelab.best_secs()) {
                    (Some(a), Some(c)) => {
                        let x = (bytes as f64 / a) / (o.spec.file.bytes as f64 / c);
                        r.ratio = format!("{x:.2}x");
                        r.pass = Some(x >= min);
                    }
                    _ => r.note = "not measured".into(),
                }
            }
            None => {
                r.baseline = format!("{}: not run", part.name());
                r.note = "not measured".into();
            }
        }
        rows.push(r);
    }

    // Every other baseline.
    for (s, m) in b.spec.baselines.iter().zip(&b.baselines) {
        if s.tool != Tool::Cat {
            let label = format!("{what}: vs {}", s.tool.row_label());
            rows.push(vs_row(&label, b, m, s.goal_x));
        }
    }

    // The same statistics.
    for (s, m) in b.spec.baselines.iter().zip(&b.baselines) {
        if !s.check_stats {
            continue;
        }
        let agree = match (b.spicelab.best(), m.best()) {
            (Some(o), Some(t)) => Some(compare_stats(&o.stdout, &t.stdout)),
            _ => None,
        };
        rows.push(Row {
            row: format!("{what}: same min/max/mean/rms as {}", m.tool),
            spicelab: match &agree {
                Some(Ok(n)) => format!("{n} vectors agree"),
                Some(Err(e)) => format!("differ: {e}"),
                None => "not compared".into(),
            },
            baseline: m.tool.clone(),
            ratio: "—".into(),
            goal: "equal (mean, rms to 1e-9)".into(),
            pass: agree.as_ref().map(Result::is_ok),
            note: if agree.is_none() {
                "not compared: one of the two did not run".into()
            } else {
                String::new()
            },
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

/// The first three numbers of /proc/loadavg (1, 5 and 15 minutes).
fn load_average() -> Option<String> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    let three: Vec<&str> = text.split_whitespace().take(3).collect();
    (three.len() == 3).then(|| three.join(" "))
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
    let load_start = load_average();
    let (parts, added) = selected_parts(&args.only);
    if args.write_docs && !args.only.is_empty() {
        bail!("--write-docs writes the whole table to docs/bench.md: run it without --only");
    }
    let bin_size = args
        .size
        .unwrap_or(if args.quick { 256 << 20 } else { 2 << 30 });
    let ascii_size = args.ascii_size.unwrap_or(if args.quick {
        32_000_000
    } else {
        fixtures::DEFAULT_BIG_ASCII
    });
    let lt_size = args.ltspice_size.unwrap_or(bin_size);
    let out_dir = ws.target.join("bench");
    let scratch = out_dir.join("runs");
    fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let mut notes: Vec<String> = Vec::new();
    notes.extend(added);

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

    let stats_parts: Vec<Part> = parts
        .iter()
        .copied()
        .filter(|&p| {
            !matches!(
                p,
                Part::Cache | Part::Campaign | Part::Incremental | Part::Fft | Part::Hdf5
            )
        })
        .collect();
    let spicelab = if stats_parts.is_empty() {
        Err("no stats rows selected".to_string())
    } else {
        ws.build_spicelab().map_err(|e| format!("{e:#}"))
    };
    if let (Err(e), false) = (&spicelab, stats_parts.is_empty()) {
        eprintln!("bench: spicelab not measured: {e}");
    }
    let numpy = python_module(&args.python, "numpy", "numpy", "numpy");
    let needs_numpy = |r: Result<String, String>| match &numpy {
        Ok(_) => r,
        Err(e) => Err(format!("needs numpy, which is {e}")),
    };
    let python = vec![
        (Tool::Numpy, numpy.clone()),
        (
            Tool::Spicelib,
            needs_numpy(python_module(
                &args.python,
                "spicelib",
                "spicelib",
                "spicelib",
            )),
        ),
        (
            Tool::PySpicelab,
            needs_numpy(python_module(
                &args.python,
                "spicelab.io.raw_streaming",
                "spicelab",
                "spicelab==0.4.1 rich",
            )),
        ),
    ];
    let fixture_dir = args
        .fixtures
        .clone()
        .unwrap_or_else(|| ws.target.join("fixtures"));
    let mut specs = Vec::new();
    for &part in &stats_parts {
        let file = match part {
            Part::Ngspice => fixtures::ensure_big_binary(&fixture_dir, bin_size)?,
            Part::NgspiceAscii => fixtures::ensure_big_ascii(&fixture_dir, ascii_size)?,
            Part::Ltspice => fixtures::ensure_big_ltspice(&fixture_dir, lt_size, LtLayout::Normal)?,
            Part::LtspiceFastaccess => {
                fixtures::ensure_big_ltspice(&fixture_dir, lt_size, LtLayout::FastAccess)?
            }
            Part::Cache | Part::Campaign | Part::Incremental | Part::Fft | Part::Hdf5 => continue,
        };
        specs.extend(spec_for(part, file));
    }

    let tools = Tools {
        spicelab,
        python,
        cat: util::which("cat").unwrap_or_else(|| PathBuf::from("/bin/cat")),
        cat_version: first_line("cat", &["--version"]),
        py_dir: ws.root.join("xtask").join("py"),
        args,
        scratch,
    };
    let mut benches = Vec::new();
    for spec in specs {
        benches.push(bench_spec(&tools, spec)?);
    }
    let rows: Vec<Row> = benches.iter().flat_map(|b| rows_for(b, &benches)).collect();
    let used: Vec<Tool> = benches
        .iter()
        .flat_map(|b| b.spec.baselines.iter().map(|s| s.tool))
        .collect();
    for (tool, m) in &tools.python {
        if !used.contains(tool) {
            continue;
        }
        match m {
            Ok(v) => notes.push(format!("{} {v} available in {}", tool.name(), args.python)),
            Err(e) => notes.push(format!("{} skipped: {e}", tool.name())),
        }
    }
    if !benches.is_empty() {
        notes.push(format!(
            "best of {} runs for spicelab, cat and numpy; {} run(s) for spicelib and {PYSPICELAB}; \
             page cache warm (each file read once before timing); wall time of the whole process",
            args.runs, args.spicelib_runs
        ));
    }
    // The result cache (cache-zstd) on the real ngspice fixture set.
    let cache_rows = if parts.contains(&Part::Cache) {
        Some((|| -> Result<Vec<crate::bench_cache::CacheRow>> {
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
        })())
    } else {
        None
    };
    let mut table = if rows.is_empty() {
        String::new()
    } else {
        markdown(&rows)
    };
    match &cache_rows {
        Some(Ok(r)) => {
            if !table.is_empty() {
                table.push('\n');
            }
            table.push_str(&crate::bench_cache::table(r));
        }
        Some(Err(e)) => notes.push(format!("cache rows skipped: {e:#}")),
        None => {}
    }
    // Campaigns and incremental runs of the real ngspice (bench_run.rs).
    let mut run_missed = 0;
    let run_parts: Vec<Part> = parts
        .iter()
        .copied()
        .filter(|p| matches!(p, Part::Campaign | Part::Incremental | Part::Hdf5))
        .collect();
    if !run_parts.is_empty() {
        let mut run_json = serde_json::Map::new();
        match ws.build_spicelab() {
            Err(e) => notes.push(format!("campaign rows skipped: {e:#}")),
            Ok(bin) => {
                for part in run_parts {
                    let r = match part {
                        Part::Campaign => crate::bench_run::campaign(ws, &bin, args.runs.min(2)),
                        Part::Hdf5 => crate::bench_hdf5::run(
                            ws,
                            &bin,
                            &fixture_dir,
                            args.hdf5_size
                                .unwrap_or(if args.quick { 64 << 20 } else { 512 << 20 }),
                            &args.python,
                            args.runs.min(2),
                        ),
                        _ => crate::bench_run::incremental(ws, &bin),
                    };
                    match r {
                        Ok((t, j, missed)) => {
                            if !table.is_empty() {
                                table.push('\n');
                            }
                            table.push_str(&t);
                            run_json.insert(part.key().into(), j);
                            run_missed += missed;
                        }
                        Err(e) => notes.push(format!("{} rows skipped: {e:#}", part.name())),
                    }
                }
            }
        }
        let p = out_dir.join("campaign.json");
        let text = serde_json::to_string_pretty(&Value::Object(run_json))
            .context("formatting campaign.json")?;
        outfile::write(&p, (text + "\n").as_bytes())?;
        notes.push(format!(
            "campaign and incremental measurements: {}",
            ws.rel(&p)
        ));
    }
    // FFTs (bench_fft.rs).
    if parts.contains(&Part::Fft) {
        match crate::bench_fft::fft(ws, &args.python, args.runs) {
            Ok((t, j, missed)) => {
                if !table.is_empty() {
                    table.push('\n');
                }
                table.push_str(&t);
                run_missed += missed;
                let p = out_dir.join("fft.json");
                let text = serde_json::to_string_pretty(&j).context("formatting fft.json")?;
                outfile::write(&p, (text + "\n").as_bytes())?;
                notes.push(format!("FFT measurements: {}", ws.rel(&p)));
            }
            Err(e) => notes.push(format!("fft rows skipped: {e:#}")),
        }
    }
    let load_end = load_average();
    if let (Some(a), Some(b)) = (&load_start, &load_end) {
        notes.push(format!(
            "load average (1, 5, 15 min) {a} at the start, {b} at the end: other work on the \
             machine lowers and scatters every number"
        ));
    }
    let date = utc_now();
    let rev = git_rev(ws);
    let mach = machine();
    let failed = rows.iter().filter(|r| r.pass == Some(false)).count();
    // Cache rows whose goals are missed count for --check as well.
    let cache_failed = match &cache_rows {
        Some(Ok(r)) => r
            .iter()
            .filter(|r| !crate::bench_cache::row_passes(r))
            .count(),
        _ => 0,
    };
    let missed = failed + cache_failed + run_missed;

    let results = results_json(&ResultsMeta {
        date: &date,
        commit: &rev,
        machine: &mach,
        args,
        parts: &parts,
        benches: &benches,
        rows: &rows,
        cache: cache_rows.as_ref().and_then(|r| r.as_ref().ok()),
        notes: &notes,
        load: (load_start.as_deref(), load_end.as_deref()),
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
    let spicelab_missing = !benches.is_empty() && tools.spicelab.is_err();
    if missed > 0 {
        println!("{missed} row(s) missed a goal");
    }
    Ok(if spicelab_missing || (args.check && missed > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Everything results.json is made of.
struct ResultsMeta<'a> {
    date: &'a str,
    commit: &'a str,
    machine: &'a Value,
    args: &'a BenchArgs,
    parts: &'a [Part],
    benches: &'a [Bench],
    rows: &'a [Row],
    cache: Option<&'a Vec<crate::bench_cache::CacheRow>>,
    notes: &'a [String],
    /// /proc/loadavg's first three numbers at the start and at the end.
    load: (Option<&'a str>, Option<&'a str>),
}

/// target/bench/results.json: the files, every measurement, the rows.
fn results_json(r: &ResultsMeta<'_>) -> Value {
    let mut files = serde_json::Map::new();
    let mut measurements = serde_json::Map::new();
    for b in r.benches {
        files.insert(b.spec.part.key().into(), file_json(&b.spec.file));
        measurements.insert(b.spec.part.key().into(), measurements_json(b));
    }
    json!({
        "date": r.date,
        "commit": r.commit,
        "quick": r.args.quick,
        "machine": r.machine,
        "load_average": {"start": r.load.0, "end": r.load.1},
        "command": bench_command(r.args),
        "parts": r.parts.iter().map(|p| p.name()).collect::<Vec<_>>(),
        "files": files,
        "measurements": measurements,
        "rows": r.rows.iter().map(Row::to_json).collect::<Vec<_>>(),
        "cache": r.cache,
        "notes": r.notes,
    })
}

/// cat, spicelab, then the other baselines (each with its tool name).
fn measurements_json(b: &Bench) -> Value {
    let bytes = b.spec.file.bytes;
    let mut out = Vec::new();
    for (s, m) in b.spec.baselines.iter().zip(&b.baselines) {
        if s.tool == Tool::Cat {
            out.push(m.to_json(bytes));
        }
    }
    out.push(b.spicelab.to_json(bytes));
    for (s, m) in b.spec.baselines.iter().zip(&b.baselines) {
        if s.tool != Tool::Cat {
            out.push(m.to_json(bytes));
        }
    }
    Value::Array(out)
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
    if let Some(s) = args.ltspice_size {
        let _ = write!(c, " --ltspice-size {}", size_label(s));
    }
    if !args.only.is_empty() {
        let names: Vec<&str> = args.only.iter().map(|p| p.name()).collect();
        let _ = write!(c, " --only {}", names.join(","));
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

    const STATS: &str =
        r#"{"plots":[{"vectors":[{"name":"time","min":0.0,"max":1.0,"mean":0.5,"rms":0.6}]}]}"#;
    const BASE: &str = r#"{"vectors":[{"name":"time","min":0.0,"max":1.0,"mean":0.5,"rms":0.6}]}"#;

    fn m(tool: &str, secs: Option<f64>, rss_kb: u64) -> Measured {
        Measured {
            tool: tool.into(),
            version: "1".into(),
            runs: secs
                .map(|s| {
                    vec![Run {
                        secs: s,
                        rss_kb: Some(rss_kb),
                        stdout: if tool == "spicelab" { STATS } else { BASE }.into(),
                    }]
                })
                .unwrap_or_default(),
            problem: secs.is_none().then(|| "not installed".to_string()),
            timed_out_after: None,
        }
    }

    fn file(bytes: u64) -> BigFile {
        BigFile {
            path: "x.raw".into(),
            bytes,
            points: 1,
            variables: 8,
            reused: true,
        }
    }

    /// A measured spec: `secs` per tool in the spec's baseline order.
    fn bench(part: Part, bytes: u64, spicelab: f64, secs: &[Option<f64>]) -> Bench {
        let spec = spec_for(part, file(bytes)).expect("a stats part");
        assert_eq!(spec.baselines.len(), secs.len());
        let baselines = spec
            .baselines
            .iter()
            .zip(secs)
            .map(|(b, s)| m(b.tool.name(), *s, 40_000))
            .collect();
        Bench {
            spec,
            spicelab: m("spicelab", Some(spicelab), 10_000),
            baselines,
        }
    }

    #[test]
    fn ngspice_table_has_every_row() {
        let b = bench(
            Part::Ngspice,
            4_000_000_000,
            1.0,
            &[Some(0.5), Some(5.0), None, Some(40.0)],
        );
        let rows = rows_for(&b, &[]);
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0].row, "stats, 3.7 GiB ngspice binary: throughput");
        assert_eq!(rows[0].goal, ">= 2 GB/s (stretch: >= 0.5x cat)");
        assert_eq!(rows[0].ratio, "0.50x cat");
        assert_eq!(rows[0].pass_text(), "pass (stretch met)"); // 4 GB/s
        assert_eq!(rows[1].pass, Some(true)); // 10 MB
        assert_eq!(rows[1].goal, "< 64 MB");
        assert_eq!(rows[2].pass, Some(true)); // 5x numpy
        assert_eq!(rows[2].goal, ">= 4x numpy");
        assert_eq!(rows[3].pass, None); // spicelib skipped
        assert!(rows[3].baseline.contains("skipped: not installed"));
        assert_eq!(rows[3].pass_text(), "skipped");
        assert_eq!(
            rows[4].row,
            "stats, 3.7 GiB ngspice binary: vs spicelab (PyPI) StreamingRAWReader"
        );
        assert_eq!(rows[4].ratio, "40.0x");
        assert_eq!(
            rows[5].row,
            "stats, 3.7 GiB ngspice binary: same min/max/mean/rms as numpy"
        );
        assert_eq!(rows[5].pass, Some(true));
        let md = markdown(&rows);
        assert_eq!(md.lines().count(), 8);
        let json = measurements_json(&b);
        let tools: Vec<&str> = json
            .as_array()
            .map(|a| a.iter().filter_map(|m| m["tool"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(tools, ["cat", "spicelab", "numpy", "spicelib", PYSPICELAB]);
    }

    #[test]
    fn ascii_rows_keep_their_goals() {
        let b = bench(
            Part::NgspiceAscii,
            200_000_000,
            0.25,
            &[Some(0.03), Some(3.0), Some(8.0), Some(8.0)],
        );
        let rows = rows_for(&b, &[]);
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0].row, "stats, 200 MB ngspice ASCII: throughput");
        assert_eq!(rows[0].goal, ">= 200 MB/s");
        assert_eq!(rows[0].spicelab, "spicelab: 800 MB/s, peak 10.2 MB");
        assert_eq!(rows[0].pass_text(), "pass");
        assert_eq!(rows[1].goal, "— (bounded)");
        assert_eq!(rows[1].pass, None);
        assert_eq!(rows[2].goal, ">= 7x numpy");
        assert_eq!(rows[2].pass, Some(true));
        assert_eq!(rows[3].goal, "—");
    }

    #[test]
    fn ltspice_rows_compare_with_cat_and_per_byte_with_ngspice() {
        let ng = bench(
            Part::Ngspice,
            2_000_000_000,
            0.25,
            &[Some(0.25), Some(3.0), Some(8.0), Some(30.0)],
        );
        // 2 GB in 1 s: 0.25x cat (fails >= 0.7x), 0.25x ngspice per byte (fails >= 0.8x).
        let lt = bench(
            Part::Ltspice,
            2_000_000_000,
            1.0,
            &[Some(0.25), Some(5.0), Some(10.0)],
        );
        let all = [ng, lt];
        let rows = rows_for(&all[1], &all);
        let labels: Vec<&str> = rows.iter().map(|r| r.row.as_str()).collect();
        assert_eq!(
            labels,
            [
                "stats, 1.9 GiB LTspice normal: throughput",
                "stats, 1.9 GiB LTspice normal: peak RSS",
                "stats, 1.9 GiB LTspice normal: per byte vs spicelab on 1.9 GiB ngspice binary",
                "stats, 1.9 GiB LTspice normal: vs numpy",
                "stats, 1.9 GiB LTspice normal: vs spicelib",
                "stats, 1.9 GiB LTspice normal: same min/max/mean/rms as numpy",
                "stats, 1.9 GiB LTspice normal: same min/max/mean/rms as spicelib",
            ]
        );
        assert_eq!(rows[0].goal, ">= 0.7x cat");
        assert_eq!(rows[0].ratio, "0.25x cat");
        assert_eq!(rows[0].pass, Some(false));
        assert_eq!(rows[1].pass, Some(true));
        assert_eq!(rows[2].ratio, "0.25x");
        assert_eq!(rows[2].goal, ">= 0.8x per byte");
        assert_eq!(rows[2].pass, Some(false));
        assert!(rows[2]
            .baseline
            .starts_with("spicelab on 1.9 GiB ngspice binary: 8.00 GB/s"));
        assert_eq!(rows[4].ratio, "10.0x");
        assert_eq!(rows[4].pass, None);
        assert_eq!(rows[5].pass, Some(true));
        assert_eq!(rows[6].pass, Some(true));
        // Faster than 0.7x cat and 0.8x ngspice: both pass.
        let fast = bench(
            Part::LtspiceFastaccess,
            2_000_000_000,
            0.3,
            &[Some(0.25), Some(5.0), None],
        );
        let all = [all[0].clone(), fast];
        let rows = rows_for(&all[1], &all);
        assert!(rows[0].row.contains("LTspice fastaccess"));
        assert_eq!(rows[0].pass, Some(true));
        assert_eq!(rows[2].pass, Some(true));
        assert_eq!(rows[4].pass_text(), "—"); // spicelib skipped, no goal
        assert!(rows[4].baseline.contains("skipped"));
        assert_eq!(rows[6].pass, None); // not compared: spicelib did not run
        assert!(rows[6].pass_text().starts_with("not compared"));
        // Without the ngspice row the per-byte row says so.
        let rows = rows_for(&all[1], &all[1..]);
        assert_eq!(rows[2].pass, None);
        assert_eq!(rows[2].note, "not measured");
    }

    #[test]
    fn only_brings_the_ngspice_row_along_with_ltspice() {
        assert_eq!(selected_parts(&[]).0, Part::ALL.to_vec());
        let (p, note) = selected_parts(&[Part::LtspiceFastaccess, Part::Ltspice]);
        assert_eq!(p, [Part::Ngspice, Part::Ltspice, Part::LtspiceFastaccess]);
        assert!(note.is_some());
        let (p, note) = selected_parts(&[Part::Cache]);
        assert_eq!(p, [Part::Cache]);
        assert!(note.is_none());
        let (p, note) = selected_parts(&[Part::Ltspice, Part::Ngspice]);
        assert_eq!(p, [Part::Ngspice, Part::Ltspice]);
        assert!(note.is_none());
        assert!(spec_for(Part::Cache, file(1)).is_none());
    }

    #[test]
    fn every_stats_spec_runs_spicelab_stats_on_its_file() {
        for part in Part::ALL {
            let Some(spec) = spec_for(part, file(1 << 30)) else {
                continue;
            };
            assert_eq!(
                with_file(&spec.spicelab, "f.raw"),
                ["stats", "f.raw", "--json"]
            );
            assert_eq!(spec.baselines[0].tool, Tool::Cat);
            for b in &spec.baselines {
                assert!(b.args.iter().any(|a| a == FILE), "{:?}", b.tool);
            }
        }
    }
}
