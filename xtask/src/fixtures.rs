//! `cargo xtask fixtures`: the generated fixture set.
//!
//! - `ngspice/`: real ngspice output of the netlists in `fixtures/netlists/`,
//!   binary and ASCII (when `ngspice` is on `PATH`).
//! - `mc/`: 100 runs of one RC circuit with different R and C (ngspice).
//! - `ltspice/`: every LTspice layout through the writer (normal, fastaccess,
//!   stepped with a `.log`, double, complex AC, negative time values).
//! - `ngspice-writer/`: ngspice binary and ASCII through the writer (no ngspice needed).
//! - `big-ngspice-<SIZE>.raw`, `big-ngspice-ascii-<SIZE>.raw`,
//!   `big-ltspice-<SIZE>.raw`, `big-ltspice-fastaccess-<SIZE>.raw`: large
//!   transients for speed and memory checks (`--big`), streamed to disk.

use crate::util::{self, human, size_label, Rng, Workspace};
use anyhow::{bail, Context, Result};
use outfile::OutFile;
use raw_stream::{write_file, PlotWriter, RawFile, RawFormat};
use std::fs;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use waveform::{Column, Complex64, Flags, Plot, PlotHeader, Steps, ValueType, Variable};

/// Options of `cargo xtask fixtures`.
#[derive(clap::Args, Debug, Default)]
pub struct FixturesArgs {
    /// Also write big transients of this size (e.g. 2GiB, 256MiB): ngspice
    /// binary, LTspice normal and LTspice fastaccess.
    #[arg(long, value_name = "SIZE", value_parser = util::parse_size)]
    pub big: Option<u64>,
    /// Size of the big ngspice ASCII file (default 200MB when --big is given).
    #[arg(long, value_name = "SIZE", value_parser = util::parse_size)]
    pub big_ascii: Option<u64>,
    /// Output directory (default: TARGET_DIR/fixtures).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Number of Monte Carlo runs of the RC circuit.
    #[arg(long, default_value_t = 100)]
    pub mc_runs: usize,
}

/// Default size of the big ASCII file when `--big` is given.
pub const DEFAULT_BIG_ASCII: u64 = 200_000_000;

/// The netlists under `fixtures/netlists/` run through ngspice, with what each shows.
const NETLISTS: &[(&str, &str)] = &[
    ("rc_ladder_tran", "transient, 4-stage RC ladder"),
    ("rlc_ac", "AC sweep (complex)"),
    ("diode_dc", "DC sweep"),
    ("mos_dc_nested", "nested DC sweep (axis restarts)"),
    ("bjt_noise", "noise (two plots)"),
    ("diffpair_op", "operating point"),
    ("multi_op_tran_ac", "op + tran + ac in one file"),
];

/// The Monte Carlo template netlist (its `.param` line is replaced per run).
const MC_TEMPLATE: &str = "mc_rc";

/// One written file, for the summary.
struct Written {
    path: PathBuf,
    what: String,
}

/// Runs `cargo xtask fixtures`.
pub fn run(ws: &Workspace, args: &FixturesArgs) -> Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| ws.target.join("fixtures"));
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    let mut notes = Vec::new();

    match util::which("ngspice") {
        Some(ng) => {
            let version = ngspice_version(&ng);
            eprintln!("fixtures: ngspice found: {} ({version})", ng.display());
            real_ngspice(ws, &out, &mut written)?;
            monte_carlo(ws, &out, args.mc_runs, &mut written)?;
        }
        None => {
            let msg = "ngspice is not on PATH: the real ngspice fixtures (ngspice/, mc/) were \
                       skipped. Install it with: apt-get install -y ngspice";
            eprintln!("fixtures: {msg}");
            notes.push(msg.to_string());
        }
    }
    ltspice_layouts(&out, &mut written)?;
    ngspice_writer(&out, &mut written)?;

    let mut big = Vec::new();
    if let Some(size) = args.big {
        big.push(ensure_big_binary(&out, size)?);
        for layout in [LtLayout::Normal, LtLayout::FastAccess] {
            big.push(ensure_big_ltspice(&out, size, layout)?);
        }
    }
    if let Some(size) = args.big_ascii.or(args.big.map(|_| DEFAULT_BIG_ASCII)) {
        big.push(ensure_big_ascii(&out, size)?);
    }

    println!("Fixtures in {}:", out.display());
    for w in &written {
        let size = fs::metadata(&w.path).map(|m| m.len()).unwrap_or(0);
        let rel = w
            .path
            .strip_prefix(&out)
            .unwrap_or(&w.path)
            .display()
            .to_string();
        println!("  {rel:<42} {:>10}  {}", human(size), w.what);
    }
    for b in &big {
        let rel = b.path.strip_prefix(&out).unwrap_or(&b.path).display();
        println!(
            "  {rel:<42} {:>10}  {} points x {} variables{}",
            human(b.bytes),
            b.points,
            b.variables,
            if b.reused { " (already there)" } else { "" }
        );
    }
    for n in notes {
        println!("note: {n}");
    }
    Ok(())
}

// ---------------------------------------------------------------- ngspice

fn ngspice_version(ng: &Path) -> String {
    Command::new(ng)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout).lines().find_map(|l| {
                l.split_whitespace()
                    .find(|w| w.starts_with("ngspice-"))
                    .map(str::to_string)
            })
        })
        .unwrap_or_else(|| "version unknown".to_string())
}

/// Runs `ngspice -b -r RAW -o LOG NETLIST` (ASCII output when `ascii`).
pub fn run_ngspice(netlist: &Path, raw: &Path, log: &Path, ascii: bool) -> Result<()> {
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _ = fs::remove_file(raw);
    let mut cmd = Command::new("ngspice");
    cmd.arg("-b")
        .arg("-r")
        .arg(raw)
        .arg("-o")
        .arg(log)
        .arg(netlist)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if ascii {
        cmd.env("SPICE_ASCIIRAWFILE", "1");
    } else {
        cmd.env_remove("SPICE_ASCIIRAWFILE");
    }
    let out = cmd
        .output()
        .with_context(|| format!("running ngspice on {}", netlist.display()))?;
    let ok = out.status.success() && fs::metadata(raw).map(|m| m.len() > 0).unwrap_or(false);
    if !ok {
        let log_text = fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = log_text.lines().rev().take(12).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "ngspice failed on {} ({}), no result in {}\n{}\n{}",
            netlist.display(),
            out.status,
            raw.display(),
            String::from_utf8_lossy(&out.stderr).trim(),
            tail.join("\n")
        );
    }
    Ok(())
}

fn real_ngspice(ws: &Workspace, out: &Path, written: &mut Vec<Written>) -> Result<()> {
    let dir = out.join("ngspice");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let netlists = ws.root.join("fixtures").join("netlists");
    for (name, what) in NETLISTS {
        let cir = netlists.join(format!("{name}.cir"));
        if !cir.is_file() {
            bail!("netlist {} is missing", cir.display());
        }
        for ascii in [false, true] {
            let stem = if ascii {
                format!("{name}-ascii")
            } else {
                (*name).to_string()
            };
            let raw = dir.join(format!("{stem}.raw"));
            let log = dir.join("logs").join(format!("{stem}.log"));
            run_ngspice(&cir, &raw, &log, ascii)?;
            written.push(Written {
                what: format!(
                    "ngspice {}, {what}: {}",
                    if ascii { "ASCII" } else { "binary" },
                    describe(&raw)
                ),
                path: raw,
            });
        }
    }
    Ok(())
}

/// The parameters of Monte Carlo run `k`: R1 gauss 1k +-5% (3 sigma), C1 uniform 100n +-10%.
fn mc_params(k: usize) -> (f64, f64) {
    let mut rng = Rng::new(0x5EED_0001 ^ (k as u64).wrapping_mul(0x9E37_79B9));
    let r1 = 1e3 * (1.0 + 0.05 / 3.0 * rng.gauss());
    let c1 = 100e-9 * (1.0 + 0.10 * (2.0 * rng.uniform() - 1.0));
    (r1, c1)
}

/// The template with its `.param` line replaced by this run's values.
fn mc_netlist(template: &str, r1: f64, c1: f64) -> Result<String> {
    let mut replaced = false;
    let mut out = String::with_capacity(template.len() + 64);
    for line in template.lines() {
        if !replaced && line.trim_start().to_ascii_lowercase().starts_with(".param") {
            out.push_str(&format!(".param r1={r1:.6e} c1={c1:.6e}\n"));
            replaced = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        bail!("the Monte Carlo template has no .param line");
    }
    Ok(out)
}

fn monte_carlo(ws: &Workspace, out: &Path, runs: usize, written: &mut Vec<Written>) -> Result<()> {
    let dir = out.join("mc");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let template_path = ws
        .root
        .join("fixtures")
        .join("netlists")
        .join(format!("{MC_TEMPLATE}.cir"));
    let template = fs::read_to_string(&template_path)
        .with_context(|| format!("reading {}", template_path.display()))?;
    let start = Instant::now();
    let mut csv = String::from("run,r1,c1\n");
    for k in 0..runs {
        let (r1, c1) = mc_params(k);
        csv.push_str(&format!("{k},{r1:.6e},{c1:.6e}\n"));
        let cir = dir.join(format!("run-{k:03}.cir"));
        fs::write(&cir, mc_netlist(&template, r1, c1)?)
            .with_context(|| format!("writing {}", cir.display()))?;
        let raw = dir.join(format!("run-{k:03}.raw"));
        run_ngspice(
            &cir,
            &raw,
            &dir.join("logs").join(format!("run-{k:03}.log")),
            false,
        )?;
    }
    let params = dir.join("params.csv");
    fs::write(&params, csv).with_context(|| format!("writing {}", params.display()))?;
    let total: u64 = (0..runs)
        .filter_map(|k| fs::metadata(dir.join(format!("run-{k:03}.raw"))).ok())
        .map(|m| m.len())
        .sum();
    eprintln!(
        "fixtures: {runs} Monte Carlo runs in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    written.push(Written {
        path: dir.join("run-000.raw"),
        what: format!(
            "Monte Carlo RC, run-000..run-{:03} ({} in all), parameters in mc/params.csv",
            runs.saturating_sub(1),
            human(total)
        ),
    });
    Ok(())
}

/// One line about a file as the reader sees it.
fn describe(path: &Path) -> String {
    match RawFile::open(path) {
        Ok(f) => {
            let plots: Vec<String> = f
                .plots()
                .iter()
                .map(|p| {
                    let steps = f
                        .plot(p.index)
                        .and_then(|pr| pr.steps())
                        .map(|s| s.count())
                        .unwrap_or(1);
                    let mut s = format!(
                        "{} {}x{}",
                        p.header.analysis(),
                        p.complete_points,
                        p.header.variables.len()
                    );
                    if steps > 1 {
                        s.push_str(&format!(" ({steps} steps)"));
                    }
                    s
                })
                .collect();
            format!("{} {}", f.dialect().name(), plots.join(", "))
        }
        Err(e) => format!("UNREADABLE: {e}"),
    }
}

// ---------------------------------------------------------------- synthetic plots

const DATE: &str = "Thu Jan  1 00:00:00 2026";

fn header(title: &str, plotname: &str, flags: &str, vars: &[(&str, &str)]) -> PlotHeader {
    PlotHeader {
        title: title.to_string(),
        date: DATE.to_string(),
        plotname: plotname.to_string(),
        flags: Flags::parse(flags),
        variables: vars
            .iter()
            .enumerate()
            .map(|(i, (n, t))| Variable::new(i, *n, *t))
            .collect(),
        ..PlotHeader::default()
    }
}

fn make_plot(mut header: PlotHeader, columns: Vec<Column>, starts: Vec<u64>) -> Plot {
    let n = columns.first().map(Column::len).unwrap_or(0) as u64;
    header.n_points = n;
    Plot {
        header,
        columns,
        steps: Steps {
            starts,
            total: n,
            params: Vec::new(),
        },
    }
}

/// RC step response (analytic), `n` points from 0 to `stop`, denser at the start
/// like an adaptive time step. Returns (time, v(in), v(out), i(r1)).
fn rc_step(r: f64, c: f64, n: usize, stop: f64) -> [Vec<f64>; 4] {
    let tau = r * c;
    let mut cols: [Vec<f64>; 4] = Default::default();
    for k in 0..n {
        let x = k as f64 / (n - 1).max(1) as f64;
        let t = stop * x.powf(1.5);
        let vin = (t / 1e-9).min(1.0);
        let vout = 1.0 - (-t / tau).exp();
        cols[0].push(t);
        cols[1].push(vin);
        cols[2].push(vout);
        cols[3].push((vin - vout) / r);
    }
    cols
}

const LT_TRAN_VARS: &[(&str, &str)] = &[
    ("time", "time"),
    ("V(in)", "voltage"),
    ("V(out)", "voltage"),
    ("I(R1)", "device_current"),
];

fn lt_tran(flags: &str, parts: &[(f64, f64, usize)], double: bool, neg_time: bool) -> Plot {
    let mut cols: [Vec<f64>; 4] = Default::default();
    let mut starts = Vec::new();
    // Every step runs to the same stop time, as a stepped simulation does.
    let stop = parts
        .iter()
        .map(|&(r, c, _)| 5.0 * r * c)
        .fold(0.0, f64::max);
    for &(r, c, n) in parts {
        starts.push(cols[0].len() as u64);
        let part = rc_step(r, c, n, stop);
        for (dst, src) in cols.iter_mut().zip(part) {
            dst.extend(src);
        }
    }
    if neg_time {
        // LTspice writes some time values negated; readers take the absolute value.
        for (k, t) in cols[0].iter_mut().enumerate() {
            if k % 7 == 3 {
                *t = -*t;
            }
        }
    }
    let [t, rest @ ..] = cols;
    let mut columns = vec![Column::F64(t)];
    for c in rest {
        columns.push(if double {
            Column::F64(c)
        } else {
            Column::F32(c.into_iter().map(|v| v as f32).collect())
        });
    }
    make_plot(
        header(
            "* C:\\Users\\spicelab\\Documents\\rc.asc",
            "Transient Analysis",
            flags,
            LT_TRAN_VARS,
        ),
        columns,
        starts,
    )
}

/// Series RLC band-pass (R1=50, L1=10m, C1, R2=50), `per_decade` points from 10 Hz to 10 MHz.
fn rlc_ac_columns(c1: f64, per_decade: usize) -> [Vec<Complex64>; 4] {
    let (r1, l1, r2) = (50.0, 10e-3, 50.0);
    let n = 6 * per_decade + 1;
    let mut cols: [Vec<Complex64>; 4] = Default::default();
    for k in 0..n {
        let f = 10.0 * 10f64.powf(k as f64 / per_decade as f64);
        let w = 2.0 * std::f64::consts::PI * f;
        // Z = r1 + r2 + j(wL - 1/(wC)); I = 1/Z; V(out) = I * r2.
        let (zr, zi) = (r1 + r2, w * l1 - 1.0 / (w * c1));
        let d = zr * zr + zi * zi;
        let (ir, ii) = (zr / d, -zi / d);
        cols[0].push(Complex64 { re: f, im: 0.0 });
        cols[1].push(Complex64 { re: 1.0, im: 0.0 });
        cols[2].push(Complex64 {
            re: ir * r2,
            im: ii * r2,
        });
        cols[3].push(Complex64 { re: ir, im: ii });
    }
    cols
}

const AC_VARS_LT: &[(&str, &str)] = &[
    ("frequency", "frequency"),
    ("V(in)", "voltage"),
    ("V(out)", "voltage"),
    ("I(R1)", "device_current"),
];

fn ac_plot(title: &str, vars: &[(&str, &str)], flags: &str, c_values: &[f64]) -> Plot {
    let mut cols: [Vec<Complex64>; 4] = Default::default();
    let mut starts = Vec::new();
    for &c1 in c_values {
        starts.push(cols[0].len() as u64);
        for (dst, src) in cols.iter_mut().zip(rlc_ac_columns(c1, 20)) {
            dst.extend(src);
        }
    }
    make_plot(
        header(title, "AC Analysis", flags, vars),
        cols.into_iter().map(Column::C64).collect(),
        starts,
    )
}

/// Writes an LTspice-style `.log` beside `raw` with one `.step` line per step.
/// `utf16`: UTF-16LE text as LTspice XVII/24 writes it, else 8-bit.
fn write_step_log(raw: &Path, circuit: &str, steps: &[String], utf16: bool) -> Result<PathBuf> {
    let mut text = format!("Circuit: {circuit}\r\n\r\n");
    for s in steps {
        text.push_str(&format!(".step {s}\r\n"));
    }
    text.push_str("\r\nDate: Thu Jan  1 00:00:00 2026\r\nTotal elapsed time: 0.042 seconds.\r\n");
    let bytes: Vec<u8> = if utf16 {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    } else {
        text.into_bytes()
    };
    let log = raw.with_extension("log");
    fs::write(&log, bytes).with_context(|| format!("writing {}", log.display()))?;
    Ok(log)
}

fn write_one(
    dir: &Path,
    name: &str,
    format: RawFormat,
    plots: &[Plot],
    what: &str,
    written: &mut Vec<Written>,
) -> Result<PathBuf> {
    let path = dir.join(name);
    write_file(&path, format, plots).with_context(|| format!("writing {}", path.display()))?;
    written.push(Written {
        what: format!("{what}: {}", describe(&path)),
        path: path.clone(),
    });
    Ok(path)
}

fn ltspice_layouts(out: &Path, written: &mut Vec<Written>) -> Result<()> {
    let dir = out.join("ltspice");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    use RawFormat::{LtspiceBinary as Normal, LtspiceFastAccess as Fast};
    let one = [(1e3, 100e-9, 400)];
    let tran = lt_tran("real forward", &one, false, false);
    write_one(
        &dir,
        "rc-tran.raw",
        Normal,
        std::slice::from_ref(&tran),
        "LTspice normal",
        written,
    )?;
    write_one(
        &dir,
        "rc-tran-fastaccess.raw",
        Fast,
        &[tran],
        "LTspice fastaccess",
        written,
    )?;
    let dbl = lt_tran("real forward double", &one, true, false);
    write_one(
        &dir,
        "rc-tran-double.raw",
        Normal,
        &[dbl],
        "LTspice double",
        written,
    )?;
    let neg = lt_tran("real forward", &one, false, true);
    write_one(
        &dir,
        "rc-tran-negtime.raw",
        Normal,
        &[neg],
        "LTspice with negative time values",
        written,
    )?;

    // Three steps of different lengths, concatenated in one plot; step
    // parameters only in the companion .log.
    let parts = [(1e3, 100e-9, 300), (2e3, 100e-9, 320), (3e3, 100e-9, 340)];
    let stepped = lt_tran("real forward stepped", &parts, false, false);
    let path = dir.join("rc-tran-stepped.raw");
    write_step_log(
        &path,
        "* C:\\Users\\spicelab\\Documents\\rc.asc",
        &["r1=1000".into(), "r1=2000".into(), "r1=3000".into()],
        true,
    )?;
    write_one(
        &dir,
        "rc-tran-stepped.raw",
        Normal,
        std::slice::from_ref(&stepped),
        "LTspice stepped (3 steps, UTF-16 .log)",
        written,
    )?;
    let path = dir.join("rc-tran-stepped-fastaccess.raw");
    write_step_log(
        &path,
        "* C:\\Users\\spicelab\\Documents\\rc.asc",
        &["r1=1000".into(), "r1=2000".into(), "r1=3000".into()],
        false,
    )?;
    write_one(
        &dir,
        "rc-tran-stepped-fastaccess.raw",
        Fast,
        &[stepped],
        "LTspice stepped fastaccess (8-bit .log)",
        written,
    )?;

    let title = "* C:\\Users\\spicelab\\Documents\\rlc.asc";
    let ac = ac_plot(title, AC_VARS_LT, "complex forward log", &[100e-9]);
    write_one(
        &dir,
        "rlc-ac.raw",
        Normal,
        std::slice::from_ref(&ac),
        "LTspice complex AC",
        written,
    )?;
    write_one(
        &dir,
        "rlc-ac-fastaccess.raw",
        Fast,
        &[ac],
        "LTspice complex AC fastaccess",
        written,
    )?;
    let ac_stepped = ac_plot(
        title,
        AC_VARS_LT,
        "complex forward log stepped",
        &[100e-9, 220e-9],
    );
    let path = dir.join("rlc-ac-stepped.raw");
    write_step_log(
        &path,
        title,
        &["c1=1e-07".into(), "c1=2.2e-07".into()],
        false,
    )?;
    write_one(
        &dir,
        "rlc-ac-stepped.raw",
        Normal,
        &[ac_stepped],
        "LTspice complex AC stepped (2 steps)",
        written,
    )?;
    Ok(())
}

fn ngspice_writer(out: &Path, written: &mut Vec<Written>) -> Result<()> {
    let dir = out.join("ngspice-writer");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let [t, vin, vout, i] = rc_step(1e3, 100e-9, 500, 0.5e-3);
    let tran = make_plot(
        header(
            "* rc step response (spicelab writer)",
            "Transient Analysis",
            "real",
            &[
                ("time", "time"),
                ("v(in)", "voltage"),
                ("v(out)", "voltage"),
                ("i(v1)", "current"),
            ],
        ),
        vec![
            Column::F64(t),
            Column::F64(vin),
            Column::F64(vout),
            Column::F64(i),
        ],
        vec![0],
    );
    let ac = ac_plot(
        "* rlc band-pass (spicelab writer)",
        &[
            ("frequency", "frequency"),
            ("v(in)", "voltage"),
            ("v(out)", "voltage"),
            ("i(v1)", "current"),
        ],
        "complex",
        &[100e-9],
    );
    let op = make_plot(
        header(
            "* rc step response (spicelab writer)",
            "Operating Point",
            "real",
            &[
                ("v(in)", "voltage"),
                ("v(out)", "voltage"),
                ("i(v1)", "current"),
            ],
        ),
        vec![
            Column::F64(vec![0.0]),
            Column::F64(vec![0.0]),
            Column::F64(vec![0.0]),
        ],
        vec![0],
    );
    for (format, suffix, kind) in [
        (RawFormat::NgspiceBinary, "", "binary"),
        (RawFormat::NgspiceAscii, "-ascii", "ASCII"),
    ] {
        write_one(
            &dir,
            &format!("rc-tran{suffix}.raw"),
            format,
            std::slice::from_ref(&tran),
            &format!("ngspice {kind} (writer) transient"),
            written,
        )?;
        write_one(
            &dir,
            &format!("rlc-ac{suffix}.raw"),
            format,
            std::slice::from_ref(&ac),
            &format!("ngspice {kind} (writer) complex AC"),
            written,
        )?;
        write_one(
            &dir,
            &format!("multi{suffix}.raw"),
            format,
            &[op.clone(), tran.clone(), ac.clone()],
            &format!("ngspice {kind} (writer) op + tran + ac"),
            written,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------- big files

/// A big generated file.
#[derive(Debug, Clone)]
pub struct BigFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its number of points.
    pub points: u64,
    /// Its number of variables.
    pub variables: usize,
    /// True when an existing file of the right size was kept.
    pub reused: bool,
}

/// Bumped whenever the big files' content changes, so that old ones are regenerated.
const BIG_VERSION: u32 = 2;

const BIG_VARS: &[(&str, &str)] = &[
    ("time", "time"),
    ("v(in)", "voltage"),
    ("v(out)", "voltage"),
    ("v(filt)", "voltage"),
    ("v(clk)", "voltage"),
    ("v(am)", "voltage"),
    ("i(vdd)", "current"),
    ("i(vin)", "current"),
];

fn big_header() -> PlotHeader {
    header(
        "* spicelab big transient fixture",
        "Transient Analysis",
        "real",
        BIG_VARS,
    )
}

/// The smooth-ish, slightly noisy signals of the big transient, one point at a time.
struct BigSignals {
    k: u64,
    rng: Rng,
    filt: f64,
}

impl BigSignals {
    fn new() -> BigSignals {
        BigSignals {
            k: 0,
            rng: Rng::new(42),
            filt: 0.0,
        }
    }

    fn next(&mut self, row: &mut [f64; 8]) {
        use std::f64::consts::TAU;
        let k = self.k as f64;
        self.k += 1;
        // 1 ns nominal step, gently non-uniform as an adaptive step is (still increasing).
        let t = (k + 0.25 * (k * 1e-3).sin()) * 1e-9;
        let noise = self.rng.uniform() - 0.5;
        self.filt += 0.01 * (noise - self.filt);
        let vin = (TAU * 1e5 * t).sin();
        let clk = (20.0 * (TAU * 1e6 * t).sin()).tanh();
        *row = [
            t,
            vin,
            0.8 * (TAU * 1e5 * t - 0.6).sin() + 1e-3 * noise,
            self.filt,
            clk,
            (1.0 + 0.5 * (TAU * 1e3 * t).sin()) * (TAU * 1e6 * t).sin(),
            -1e-3 * (1.0 + 0.1 * clk) + 1e-6 * noise,
            1e-6 * (TAU * 1e5 * t).cos(),
        ];
    }
}

fn header_bytes(format: RawFormat, n_points: u64) -> Result<usize> {
    let mut buf = Vec::new();
    let types = vec![ValueType::F64; BIG_VARS.len()];
    PlotWriter::begin(&mut buf, format, &big_header(), &types, n_points)
        .context("formatting the big file header")?;
    Ok(buf.len())
}

/// The stamp beside a big file: what was asked and what was written. A file is
/// reused only when its stamp matches the request and its size.
fn stamp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".stamp");
    PathBuf::from(s)
}

/// The first line of the stamp of the big ngspice files.
fn ngspice_tag() -> String {
    format!("spicelab-big-fixture v{BIG_VERSION}")
}

fn stamp_text(tag: &str, target: u64, points: u64, bytes: u64) -> String {
    format!("{tag}\ntarget={target}\npoints={points}\nbytes={bytes}\n")
}

/// The points of an existing big file whose stamp (first line `tag`) says
/// it was made for `target` bytes.
fn reusable(path: &Path, tag: &str, target: u64) -> Option<u64> {
    let len = fs::metadata(path).ok()?.len();
    let stamp = fs::read_to_string(stamp_path(path)).ok()?;
    let points: u64 = stamp
        .lines()
        .find_map(|l| l.strip_prefix("points="))?
        .parse()
        .ok()?;
    (stamp == stamp_text(tag, target, points, len)).then_some(points)
}

/// Writes `path` atomically through `body` (a temporary file, removed on
/// error, renamed at the end), then its stamp; returns the bytes written.
/// `body` gets the buffered file and a progress callback (fraction done).
fn write_stamped<F>(path: &Path, tag: &str, target: u64, points: u64, body: F) -> Result<u64>
where
    F: FnOnce(&mut BufWriter<&fs::File>, &mut dyn FnMut(f64)) -> Result<()>,
{
    let file = OutFile::create(path).with_context(|| format!("creating {}", path.display()))?;
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut last = -1i64;
    let mut progress = |done: f64| {
        let pct = (done * 100.0) as i64;
        if tty && pct / 10 != last / 10 {
            last = pct;
            eprint!("\r  {}: {pct}%", util::size_label(target));
        }
    };
    {
        let mut w = BufWriter::with_capacity(8 << 20, file.file());
        body(&mut w, &mut progress)?;
        w.flush()
            .with_context(|| format!("flushing {}", path.display()))?;
    }
    file.commit()
        .with_context(|| format!("renaming {} into place", path.display()))?;
    let bytes = fs::metadata(path)
        .with_context(|| format!("reading the size of {}", path.display()))?
        .len();
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{}  wrote {} ({}) in {secs:.1} s ({:.0} MB/s)",
        if tty { "\r" } else { "" },
        path.display(),
        human(bytes),
        bytes as f64 / secs.max(1e-9) / 1e6
    );
    fs::write(stamp_path(path), stamp_text(tag, target, points, bytes))
        .with_context(|| format!("writing the stamp of {}", path.display()))?;
    Ok(bytes)
}

/// Streams `points` points of the big transient into `path` (atomically,
/// with its stamp).
fn write_big(path: &Path, format: RawFormat, target: u64, points: u64) -> Result<u64> {
    write_stamped(path, &ngspice_tag(), target, points, |w, progress| {
        let types = vec![ValueType::F64; BIG_VARS.len()];
        let ctx = || format!("writing {}", path.display());
        let mut pw =
            PlotWriter::begin(w, format, &big_header(), &types, points).with_context(ctx)?;
        let mut sig = BigSignals::new();
        let mut row = [0.0; 8];
        let tenth = (points / 10).max(1);
        for k in 0..points {
            sig.next(&mut row);
            pw.write_point(&row).with_context(ctx)?;
            if (k + 1) % tenth == 0 {
                progress((k + 1) as f64 / points as f64);
            }
        }
        pw.finish().with_context(ctx)?;
        Ok(())
    })
}

/// Makes sure `big-ngspice-<SIZE>.raw` (ngspice binary, 8 variables, f64) exists
/// in `dir` with `size` bytes (to within one point), writing it if needed.
pub fn ensure_big_binary(dir: &Path, size: u64) -> Result<BigFile> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("big-ngspice-{}.raw", size_label(size)));
    let nv = BIG_VARS.len();
    let row = 8 * nv as u64;
    // The header length depends on the digits of the point count: settle it.
    let mut points = 0u64;
    for _ in 0..4 {
        let h = header_bytes(RawFormat::NgspiceBinary, points)? as u64;
        if h >= size {
            bail!("--big {size} bytes is smaller than the header");
        }
        points = (size - h) / row;
    }
    if let Some(p) = reusable(&path, &ngspice_tag(), size) {
        if p == points {
            return Ok(BigFile {
                bytes: fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                path,
                points,
                variables: nv,
                reused: true,
            });
        }
    }
    eprintln!(
        "fixtures: writing {} ({} points x {nv} variables, ngspice binary)",
        path.display(),
        points
    );
    let bytes = write_big(&path, RawFormat::NgspiceBinary, size, points)?;
    Ok(BigFile {
        path,
        bytes,
        points,
        variables: nv,
        reused: false,
    })
}

/// Makes sure `big-ngspice-ascii-<SIZE>.raw` (ngspice ASCII, 8 variables)
/// of about `size` bytes exists in `dir`, writing it if needed.
pub fn ensure_big_ascii(dir: &Path, size: u64) -> Result<BigFile> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("big-ngspice-ascii-{}.raw", size_label(size)));
    let nv = BIG_VARS.len();
    if let Some(points) = reusable(&path, &ngspice_tag(), size) {
        return Ok(BigFile {
            bytes: fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            path,
            points,
            variables: nv,
            reused: true,
        });
    }
    // Estimate the bytes per point from a sample written the same way; point
    // indices grow wider further on, so count that in.
    const SAMPLE: u64 = 20_000;
    let h0 = header_bytes(RawFormat::NgspiceAscii, SAMPLE)?;
    let mut sample = Vec::new();
    {
        let types = vec![ValueType::F64; nv];
        let mut pw = PlotWriter::begin(
            &mut sample,
            RawFormat::NgspiceAscii,
            &big_header(),
            &types,
            SAMPLE,
        )
        .context("sampling the ASCII point size")?;
        let mut sig = BigSignals::new();
        let mut row = [0.0; 8];
        for _ in 0..SAMPLE {
            sig.next(&mut row);
            pw.write_point(&row)
                .context("sampling the ASCII point size")?;
        }
        pw.finish().context("sampling the ASCII point size")?;
    }
    // Bytes per point without the index digits, then the point count whose
    // index digits and values fill `size`.
    let per_point = (sample.len() - h0) as f64 - index_chars(SAMPLE) as f64;
    let per_point = per_point / SAMPLE as f64;
    let body = size.saturating_sub(h0 as u64) as f64;
    let mut points = (body / per_point).max(1.0) as u64;
    for _ in 0..8 {
        points = ((body - index_chars(points) as f64) / per_point).max(1.0) as u64;
    }
    eprintln!(
        "fixtures: writing {} ({} points x {nv} variables, ngspice ASCII, about {})",
        path.display(),
        points,
        human(size)
    );
    let bytes = write_big(&path, RawFormat::NgspiceAscii, size, points)?;
    Ok(BigFile {
        path,
        bytes,
        points,
        variables: nv,
        reused: false,
    })
}

/// Number of digits written for the point indices 0..n.
fn index_chars(n: u64) -> u64 {
    let mut total = 0;
    let mut lo = 0u64;
    let mut width = 1;
    let mut hi = 10u64;
    while lo < n {
        total += (n.min(hi) - lo) * width;
        lo = hi;
        hi = hi.saturating_mul(10);
        width += 1;
    }
    total
}

// ---------------------------------------------------------------- big LTspice files

/// The two layouts of the big LTspice files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LtLayout {
    /// Point-major ("normal"): `big-ltspice-<SIZE>.raw`.
    Normal,
    /// Variable-major (`fastaccess` flag): `big-ltspice-fastaccess-<SIZE>.raw`.
    FastAccess,
}

impl LtLayout {
    /// `normal` or `fastaccess`.
    pub fn name(self) -> &'static str {
        match self {
            LtLayout::Normal => "normal",
            LtLayout::FastAccess => "fastaccess",
        }
    }

    fn format(self) -> RawFormat {
        match self {
            LtLayout::Normal => RawFormat::LtspiceBinary,
            LtLayout::FastAccess => RawFormat::LtspiceFastAccess,
        }
    }

    /// The file name for a size label such as `2GiB`.
    pub fn file_name(self, size: u64) -> String {
        match self {
            LtLayout::Normal => format!("big-ltspice-{}.raw", size_label(size)),
            LtLayout::FastAccess => format!("big-ltspice-fastaccess-{}.raw", size_label(size)),
        }
    }
}

/// Bumped whenever the big LTspice files' content changes.
const LT_BIG_VERSION: u32 = 1;

fn lt_tag(layout: LtLayout) -> String {
    format!(
        "spicelab-big-ltspice-fixture v{LT_BIG_VERSION} {}",
        layout.name()
    )
}

/// Time (f64) and 8 traces (stored as f32, as LTspice does without `double`).
const LT_BIG_VARS: &[(&str, &str)] = &[
    ("time", "time"),
    ("V(in)", "voltage"),
    ("V(out)", "voltage"),
    ("V(filt)", "voltage"),
    ("V(clk)", "voltage"),
    ("V(am)", "voltage"),
    ("V(sw)", "voltage"),
    ("I(Vdd)", "device_current"),
    ("I(L1)", "device_current"),
];

fn lt_big_header() -> PlotHeader {
    header(
        "* C:\\Users\\spicelab\\Documents\\big_transient.asc",
        "Transient Analysis",
        "real forward",
        LT_BIG_VARS,
    )
}

fn lt_big_types() -> Vec<ValueType> {
    let mut t = vec![ValueType::F32; LT_BIG_VARS.len()];
    t[0] = ValueType::F64;
    t
}

/// The signals of the big LTspice transient. The state advances one point at
/// a time and any single trace can be read from it, so a column-major file
/// is written one column per pass, regenerating the same values each pass.
struct LtSignals {
    rng: Rng,
    t: f64,
    noise: f64,
    filt: f64,
    started: bool,
}

impl LtSignals {
    fn new() -> LtSignals {
        LtSignals {
            rng: Rng::new(0x17_5A1CE),
            t: 0.0,
            noise: 0.0,
            filt: 0.0,
            started: false,
        }
    }

    /// Moves to the next point: the first is at t = 0, then an adaptive-looking
    /// step of about 1 ns, down to 0.2 ns around the clock edges, with jitter.
    fn advance(&mut self) {
        use std::f64::consts::TAU;
        let u = self.rng.uniform();
        if self.started {
            let edge = (TAU * 1e6 * self.t).cos().powi(8);
            self.t += 1e-9 * (1.0 - 0.8 * edge) * (0.9 + 0.2 * u);
        }
        self.started = true;
        self.noise = self.rng.uniform() - 0.5;
        self.filt += 0.01 * (self.noise - self.filt);
    }

    /// Trace `j` (0 is time) at the current point.
    fn value(&self, j: usize) -> f64 {
        use std::f64::consts::{FRAC_2_PI, TAU};
        let t = self.t;
        let clk = || (20.0 * (TAU * 1e6 * t).sin()).tanh();
        match j {
            0 => t,
            1 => (TAU * 1e5 * t).sin(),
            2 => 0.8 * (TAU * 1e5 * t - 0.6).sin() + 1e-3 * self.noise,
            3 => self.filt,
            4 => 1.65 + 1.65 * clk(),
            5 => (1.0 + 0.5 * (TAU * 1e3 * t).sin()) * (TAU * 1e6 * t).sin(),
            6 => 2.5 + 2.5 * clk() + 0.05 * self.noise * (1.0 - clk().abs()),
            7 => -1e-3 * (1.0 + 0.1 * clk()) + 1e-6 * self.noise,
            _ => 0.5 + 0.1 * FRAC_2_PI * (TAU * 1e6 * t).sin().asin() + 1e-4 * self.noise,
        }
    }
}

/// The header bytes (UTF-16LE) of a big LTspice file of `points` points, as
/// raw-stream's writer formats them. `PlotWriter` streams point-major files
/// only, so the `fastaccess` header is the writer's header of a one-point
/// plot with its `No. Points:` line set to `points`.
fn lt_header_bytes(layout: LtLayout, points: u64) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    match layout {
        LtLayout::Normal => {
            PlotWriter::begin(
                &mut buf,
                layout.format(),
                &lt_big_header(),
                &lt_big_types(),
                points,
            )
            .context("formatting the big LTspice header")?;
            Ok(buf)
        }
        LtLayout::FastAccess => {
            let columns = lt_big_types()
                .iter()
                .map(|t| match t {
                    ValueType::F64 => Column::F64(vec![0.0]),
                    _ => Column::F32(vec![0.0]),
                })
                .collect();
            let plot = make_plot(lt_big_header(), columns, vec![0]);
            raw_stream::write_plot(&mut buf, layout.format(), &plot)
                .context("formatting the big LTspice fastaccess header")?;
            let stride: usize =
                raw_stream::stored_types(layout.format(), &plot.header, &lt_big_types())
                    .iter()
                    .map(|t| t.size())
                    .sum();
            buf.truncate(buf.len().saturating_sub(stride));
            let units: Vec<u16> = buf
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            let text = String::from_utf16(&units).context("the writer's header is not UTF-16")?;
            let one = "\nNo. Points: 1\n";
            if text.matches(one).count() != 1 || !text.ends_with("Binary:\n") {
                bail!("unexpected fastaccess header from the writer: {text:?}");
            }
            let text = text.replace(one, &format!("\nNo. Points: {points}\n"));
            Ok(text.encode_utf16().flat_map(u16::to_le_bytes).collect())
        }
    }
}

/// Makes sure the big LTspice file of `layout` (`big-ltspice-<SIZE>.raw` or
/// `big-ltspice-fastaccess-<SIZE>.raw`: LTspice XVII binary transient,
/// UTF-16LE header, f64 time and 8 f32 traces) exists in `dir` with `size`
/// bytes (to within one point and the 22 bytes of the `fastaccess` flag),
/// writing it if needed. Memory stays bounded in
/// both layouts: `fastaccess` is written one column per streaming pass.
pub fn ensure_big_ltspice(dir: &Path, size: u64, layout: LtLayout) -> Result<BigFile> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(layout.file_name(size));
    let types = lt_big_types();
    let nv = types.len();
    let row: u64 = types.iter().map(|t| t.size() as u64).sum();
    // The header length depends on the digits of the point count: settle it.
    // Both layouts get the same points (the longer fastaccess header decides),
    // so that they hold the same values.
    let mut points = 0u64;
    for _ in 0..4 {
        let h = lt_header_bytes(LtLayout::FastAccess, points)?.len() as u64;
        if h >= size {
            bail!("--big {size} bytes is smaller than the LTspice header");
        }
        points = (size - h) / row;
    }
    let tag = lt_tag(layout);
    if reusable(&path, &tag, size) == Some(points) {
        return Ok(BigFile {
            bytes: fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            path,
            points,
            variables: nv,
            reused: true,
        });
    }
    eprintln!(
        "fixtures: writing {} ({points} points x {nv} variables, LTspice {})",
        path.display(),
        layout.name()
    );
    let ctx = || format!("writing {}", path.display());
    let bytes = write_stamped(&path, &tag, size, points, |w, progress| {
        match layout {
            LtLayout::Normal => {
                let mut pw =
                    PlotWriter::begin(w, layout.format(), &lt_big_header(), &types, points)
                        .with_context(ctx)?;
                let mut sig = LtSignals::new();
                let mut values = vec![0.0; nv];
                let tenth = (points / 10).max(1);
                for k in 0..points {
                    sig.advance();
                    for (j, v) in values.iter_mut().enumerate() {
                        *v = sig.value(j);
                    }
                    pw.write_point(&values).with_context(ctx)?;
                    if (k + 1) % tenth == 0 {
                        progress((k + 1) as f64 / points as f64);
                    }
                }
                pw.finish().with_context(ctx)?;
            }
            LtLayout::FastAccess => {
                w.write_all(&lt_header_bytes(layout, points)?)
                    .with_context(ctx)?;
                for (j, t) in types.iter().enumerate() {
                    let mut sig = LtSignals::new();
                    for _ in 0..points {
                        sig.advance();
                        let v = sig.value(j);
                        match t {
                            ValueType::F64 => w.write_all(&v.to_le_bytes()),
                            _ => w.write_all(&(v as f32).to_le_bytes()),
                        }
                        .with_context(ctx)?;
                    }
                    progress((j + 1) as f64 / nv as f64);
                }
            }
        }
        Ok(())
    })?;
    Ok(BigFile {
        path,
        bytes,
        points,
        variables: nv,
        reused: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mc_netlist_replaces_the_param_line() -> Result<()> {
        let t = "* title\n.param r1=1k c1=100n\nR1 a b {r1}\n.end\n";
        let n = mc_netlist(t, 1.5e3, 2e-7)?;
        assert!(n.contains(".param r1=1.500000e3 c1=2.000000e-7\n"));
        assert!(!n.contains("r1=1k"));
        assert!(mc_netlist("* x\n.end\n", 1.0, 1.0).is_err());
        Ok(())
    }

    #[test]
    fn index_digits() {
        assert_eq!(index_chars(0), 0);
        assert_eq!(index_chars(10), 10);
        assert_eq!(index_chars(11), 12);
        assert_eq!(index_chars(1000), 10 + 180 + 2700);
    }

    #[test]
    fn mc_params_are_deterministic_and_spread() {
        assert_eq!(mc_params(3), mc_params(3));
        assert_ne!(mc_params(3), mc_params(4));
        for k in 0..100 {
            let (r, c) = mc_params(k);
            assert!((900.0..1100.0).contains(&r), "r1 {r}");
            assert!((90e-9..=110e-9).contains(&c), "c1 {c}");
        }
    }

    #[test]
    fn big_binary_has_the_requested_size() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-big-{}", std::process::id()));
        let size = 1 << 20;
        let f = ensure_big_binary(&dir, size)?;
        assert!(!f.reused);
        assert!(f.bytes <= size && size - f.bytes < 64, "{} bytes", f.bytes);
        let again = ensure_big_binary(&dir, size)?;
        assert!(again.reused);
        let raw = RawFile::open(&f.path)?;
        assert_eq!(raw.plots()[0].complete_points, f.points);
        let a = ensure_big_ascii(&dir, 1_000_000)?;
        let ratio = a.bytes as f64 / 1e6;
        assert!((0.99..1.01).contains(&ratio), "{} bytes", a.bytes);
        let raw = RawFile::open(&a.path)?;
        assert_eq!(raw.plots()[0].complete_points, a.points);
        fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn big_ltspice_files_read_back_the_same() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-big-lt-{}", std::process::id()));
        let size = 1 << 20;
        let normal = ensure_big_ltspice(&dir, size, LtLayout::Normal)?;
        let fast = ensure_big_ltspice(&dir, size, LtLayout::FastAccess)?;
        for f in [&normal, &fast] {
            assert!(!f.reused);
            assert!(f.bytes <= size && size - f.bytes < 64, "{} bytes", f.bytes);
        }
        assert!(ensure_big_ltspice(&dir, size, LtLayout::FastAccess)?.reused);
        let a = RawFile::open(&normal.path)?;
        let b = RawFile::open(&fast.path)?;
        assert_eq!(a.dialect(), waveform::Dialect::Ltspice);
        assert_eq!(b.dialect(), waveform::Dialect::Ltspice);
        assert!(!a.plots()[0].header.flags.fastaccess);
        assert!(b.plots()[0].header.flags.fastaccess);
        assert_eq!(a.plots()[0].layout.stored, lt_big_types());
        assert_eq!(b.plots()[0].layout.stored, lt_big_types());
        assert_eq!(a.plots()[0].complete_points, normal.points);
        assert_eq!(b.plots()[0].complete_points, fast.points);
        let (pa, pb) = (a.plot(0)?, b.plot(0)?);
        let mut sig = LtSignals::new();
        sig.advance();
        for (j, (name, _)) in LT_BIG_VARS.iter().enumerate() {
            let (ca, cb) = (pa.column(name)?, pb.column(name)?);
            assert!(ca.same_bits(&cb), "{name} differs between the layouts");
            let first = ca.get_f64(0).unwrap_or(f64::NAN);
            let want = if j == 0 {
                sig.value(0)
            } else {
                sig.value(j) as f32 as f64
            };
            assert_eq!(first, want, "{name}");
        }
        let t = pa.column("time")?.to_f64();
        assert_eq!(t[0], 0.0);
        assert!(t.windows(2).all(|w| w[1] > w[0]), "time is not increasing");
        let steps: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
        let (lo, hi) = steps
            .iter()
            .fold((f64::MAX, 0.0f64), |(l, h), &d| (l.min(d), h.max(d)));
        assert!(lo < 0.5e-9 && hi > 0.9e-9, "steps {lo:e}..{hi:e}");
        fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn ltspice_layouts_read_back() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-lt-{}", std::process::id()));
        let mut written = Vec::new();
        ltspice_layouts(&dir, &mut written)?;
        ngspice_writer(&dir, &mut written)?;
        for w in &written {
            assert!(!w.what.contains("UNREADABLE"), "{}", w.what);
        }
        let stepped = RawFile::open(dir.join("ltspice").join("rc-tran-stepped.raw"))?;
        let steps = stepped.plot(0)?.steps()?;
        assert_eq!(steps.starts, vec![0, 300, 620]);
        assert_eq!(steps.params.len(), 3);
        fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
