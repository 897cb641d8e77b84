//! `cargo xtask coverage [--check] [--no-run] [--html]`: line and region
//! coverage of the workspace's library crates and the `spicelab` binary,
//! measured with cargo-llvm-cov while the whole test suite runs (real
//! ngspice, the shared corpus), per crate and in total.
//!
//! cargo-llvm-cov builds every workspace crate with `-C instrument-coverage`
//! into `target/llvm-cov-target/` and sets `LLVM_PROFILE_FILE`, so the
//! `spicelab` binary the tests run as a subprocess (`CARGO_BIN_EXE_spicelab`)
//! writes its own profile and counts as well. `xtask` and `spicelab-benches` are not
//! measured; files under `tests/`, `examples/` and `benches/` directories are
//! left out of the report by cargo-llvm-cov itself.
//!
//! The floors, the smallest line coverage each crate may have, are committed
//! in `xtask/coverage-floors.toml`. `--check` fails when a crate falls below
//! its floor, when the total falls below its floor, or when a measured crate
//! has no floor (a new crate must bring one). Floors are only ever raised: the
//! task prints a hint when a crate is well above its floor.
//!
//! Needs `rustup component add llvm-tools` and `cargo install cargo-llvm-cov --locked`.

use crate::util::Workspace;
use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Packages of the workspace that are not measured.
pub const EXCLUDED: [&str; 2] = ["xtask", "spicelab-benches"];

/// A floor more than this many points below the measured value gets a hint to raise it.
const RAISE_HINT_POINTS: f64 = 2.0;

/// The hinted floor sits this many points below the measured value.
const FLOOR_MARGIN_POINTS: f64 = 0.5;

/// Options of `cargo xtask coverage`.
#[derive(clap::Args, Debug, Clone)]
pub struct CoverageArgs {
    /// Fail when a crate (or the total) is below its floor in xtask/coverage-floors.toml,
    /// or when a measured crate has no floor.
    #[arg(long)]
    pub check: bool,
    /// Do not run the tests: report from the profile data of the last run
    /// (target/llvm-cov-target).
    #[arg(long)]
    pub no_run: bool,
    /// Also write the HTML report (per-line view of what is not covered) to target/llvm-cov/html.
    #[arg(long)]
    pub html: bool,
    /// Print the table as JSON instead.
    #[arg(long)]
    pub json: bool,
}

/// Covered and total counts of one kind (lines or regions).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Count {
    /// Covered.
    pub covered: u64,
    /// In all.
    pub count: u64,
}

impl Count {
    /// Percent covered (100 when there is nothing to cover).
    pub fn percent(&self) -> f64 {
        if self.count == 0 {
            100.0
        } else {
            100.0 * self.covered as f64 / self.count as f64
        }
    }

    fn add(&mut self, other: Count) {
        self.covered += other.covered;
        self.count += other.count;
    }
}

/// One row of the table: a crate (or the total).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Row {
    /// The crate's directory name under `crates/` (the package name).
    pub name: String,
    /// Source files counted.
    pub files: usize,
    /// Lines.
    pub lines: Count,
    /// Regions.
    pub regions: Count,
}

/// The committed floors (`xtask/coverage-floors.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Floors {
    /// The floor of the total line coverage, percent.
    pub total: Option<f64>,
    /// Crate name -> floor of its line coverage, percent.
    #[serde(default)]
    pub crates: BTreeMap<String, f64>,
}

/// The floors file, relative to the workspace root.
pub const FLOORS_FILE: &str = "xtask/coverage-floors.toml";

pub fn run(ws: &Workspace, args: &CoverageArgs) -> Result<ExitCode> {
    Ok(if passes(ws, args)? {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs (unless `--no-run`) and reports; `Ok(false)` when the tests failed,
/// or with `--check` when a floor is not met.
pub fn passes(ws: &Workspace, args: &CoverageArgs) -> Result<bool> {
    let start = Instant::now();
    if !has_llvm_cov() {
        install_llvm_cov()?;
    }
    if !args.no_run && !run_tests(ws)? {
        return Ok(false);
    }
    let summary = ws.target.join("llvm-cov").join("summary.json");
    if let Some(dir) = summary.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut report = ws.cargo();
    report.args([
        "llvm-cov",
        "report",
        "--json",
        "--summary-only",
        "--output-path",
    ]);
    report.arg(&summary);
    run_cargo(report, "cargo llvm-cov report --json --summary-only")?;
    if args.html {
        let mut html = ws.cargo();
        html.args(["llvm-cov", "report", "--html"]);
        run_cargo(html, "cargo llvm-cov report --html")?;
        eprintln!(
            "xtask coverage: HTML report in {}",
            ws.rel(&ws.target.join("llvm-cov").join("html").join("index.html"))
        );
    }
    let text =
        fs::read_to_string(&summary).with_context(|| format!("reading {}", summary.display()))?;
    let (rows, total) = aggregate(&ws.root, &text)?;
    let floors_path = ws.root.join(FLOORS_FILE);
    let floors = read_floors(&floors_path)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "crates": rows, "total": total }))?
        );
    } else {
        print_table(&rows, &total, &floors);
    }
    let problems = check(&rows, &total, &floors);
    for h in hints(&rows, &total, &floors) {
        eprintln!("xtask coverage: hint: {h}");
    }
    eprintln!(
        "xtask coverage: done in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    if problems.is_empty() {
        if args.check {
            eprintln!("xtask coverage: every crate is at or above its floor ({FLOORS_FILE})");
        }
        return Ok(true);
    }
    for p in &problems {
        eprintln!(
            "xtask coverage: {}: {p}",
            if args.check { "FAIL" } else { "below floor" }
        );
    }
    Ok(!args.check)
}

/// `cargo llvm-cov --no-report --workspace --exclude xtask --exclude benches`:
/// the whole test suite, instrumented. `Ok(false)` when tests failed.
fn run_tests(ws: &Workspace) -> Result<bool> {
    // profile data of an earlier run (of another checkout, when the target
    // directory was copied) would be counted again: start clean (the
    // instrumented dependencies are kept)
    let mut clean = ws.cargo();
    clean.args(["llvm-cov", "clean", "--workspace"]);
    run_cargo(clean, "cargo llvm-cov clean --workspace")?;
    let mut cmd = ws.cargo();
    cmd.args(["llvm-cov", "--no-report", "--workspace"]);
    for e in EXCLUDED {
        cmd.args(["--exclude", e]);
    }
    cmd.arg("--no-fail-fast");
    eprintln!(
        "xtask coverage: cargo llvm-cov --no-report --workspace --exclude {} --no-fail-fast",
        EXCLUDED.join(" --exclude ")
    );
    let start = Instant::now();
    let status = cmd.status().map_err(|e| no_llvm_cov(&e))?;
    let secs = start.elapsed().as_secs_f64();
    if status.success() {
        eprintln!("xtask coverage: instrumented build and tests ok in {secs:.1} s");
        Ok(true)
    } else {
        eprintln!(
            "xtask coverage: the instrumented tests FAILED ({status}) after {secs:.1} s; \
             coverage is not reported"
        );
        if !has_llvm_cov() {
            eprintln!("xtask coverage: {}", install_hint());
        }
        Ok(false)
    }
}

fn run_cargo(mut cmd: Command, what: &str) -> Result<()> {
    let status = cmd.status().map_err(|e| no_llvm_cov(&e))?;
    if !status.success() {
        if !has_llvm_cov() {
            bail!("{what} failed ({status}): {}", install_hint());
        }
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn install_hint() -> &'static str {
    "cargo-llvm-cov is not installed: `rustup component add llvm-tools` and \
     `cargo install cargo-llvm-cov --locked`"
}

fn no_llvm_cov(e: &std::io::Error) -> anyhow::Error {
    anyhow!("cannot run cargo llvm-cov ({e}); {}", install_hint())
}

/// Installs what the coverage run needs, as `.ci/run` does: the llvm-tools
/// component and cargo-llvm-cov (a few minutes, once).
fn install_llvm_cov() -> Result<()> {
    eprintln!(
        "xtask coverage: cargo-llvm-cov is missing: installing it \
         (`rustup component add llvm-tools`, `cargo install cargo-llvm-cov --locked`)"
    );
    let mut rustup = Command::new("rustup");
    rustup.args(["component", "add", "llvm-tools"]);
    run_cargo(rustup, "rustup component add llvm-tools")?;
    let mut install = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    install.args(["install", "cargo-llvm-cov", "--locked"]);
    run_cargo(install, "cargo install cargo-llvm-cov --locked")?;
    if !has_llvm_cov() {
        bail!(
            "cargo-llvm-cov was installed but does not run: {}",
            install_hint()
        );
    }
    Ok(())
}

fn has_llvm_cov() -> bool {
    Command::new("cargo-llvm-cov")
        .args(["llvm-cov", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Reads the floors file; an absent file is no floors.
pub fn read_floors(path: &Path) -> Result<Floors> {
    match fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("parsing {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Floors::default()),
        Err(e) => Err(anyhow!("reading {}: {e}", path.display())),
    }
}

/// The crate a source file belongs to: `crates/<name>/...` under the root.
fn crate_of(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let mut parts = rel.components();
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) if a.as_os_str() == "crates" => {
            Some(b.as_os_str().to_string_lossy().into_owned())
        }
        _ => None,
    }
}

fn count(v: &serde_json::Value) -> Result<Count> {
    let get = |k: &str| {
        v[k].as_u64()
            .ok_or_else(|| anyhow!("coverage summary: no integer '{k}' in {v}"))
    };
    Ok(Count {
        covered: get("covered")?,
        count: get("count")?,
    })
}

/// Sums the per-file summaries of `cargo llvm-cov report --json --summary-only`
/// by crate. Files outside `crates/` (none expected) form the row `(other)`.
pub fn aggregate(root: &Path, json: &str) -> Result<(Vec<Row>, Row)> {
    let doc: serde_json::Value =
        serde_json::from_str(json).context("parsing the coverage summary (JSON)")?;
    let files = doc["data"][0]["files"]
        .as_array()
        .ok_or_else(|| anyhow!("coverage summary has no data[0].files"))?;
    let mut by_crate: BTreeMap<String, Row> = BTreeMap::new();
    let mut total = Row {
        name: "total".into(),
        ..Row::default()
    };
    for f in files {
        let name = f["filename"]
            .as_str()
            .ok_or_else(|| anyhow!("coverage summary: a file without a name"))?;
        let lines = count(&f["summary"]["lines"])?;
        let regions = count(&f["summary"]["regions"])?;
        let krate = crate_of(root, &PathBuf::from(name)).unwrap_or_else(|| "(other)".into());
        let row = by_crate.entry(krate.clone()).or_insert_with(|| Row {
            name: krate,
            ..Row::default()
        });
        for r in [row, &mut total] {
            r.files += 1;
            r.lines.add(lines);
            r.regions.add(regions);
        }
    }
    Ok((by_crate.into_values().collect(), total))
}

fn print_table(rows: &[Row], total: &Row, floors: &Floors) {
    println!(
        "{:<14} {:>5} {:>15} {:>7} {:>15} {:>7} {:>7}",
        "crate", "files", "lines", "line %", "regions", "reg. %", "floor"
    );
    let line = |r: &Row, floor: Option<f64>| {
        println!(
            "{:<14} {:>5} {:>15} {:>7.2} {:>15} {:>7.2} {:>7}",
            r.name,
            r.files,
            format!("{}/{}", r.lines.covered, r.lines.count),
            r.lines.percent(),
            format!("{}/{}", r.regions.covered, r.regions.count),
            r.regions.percent(),
            floor
                .map(|f| format!("{f:.1}"))
                .unwrap_or_else(|| "-".into()),
        );
    };
    for r in rows {
        line(r, floors.crates.get(&r.name).copied());
    }
    line(total, floors.total);
}

/// What fails `--check`: crates and total under their floor, measured crates without one.
pub fn check(rows: &[Row], total: &Row, floors: &Floors) -> Vec<String> {
    let mut out = Vec::new();
    for r in rows {
        match floors.crates.get(&r.name) {
            Some(&f) if r.lines.percent() < f => out.push(format!(
                "{}: {:.2}% of lines, below its floor {f:.1}%",
                r.name,
                r.lines.percent()
            )),
            Some(_) => {}
            None => out.push(format!(
                "{}: no floor in {FLOORS_FILE} (measured {:.2}% of lines; add `{} = {:.1}`)",
                r.name,
                r.lines.percent(),
                r.name,
                suggested_floor(r.lines.percent())
            )),
        }
    }
    if let Some(f) = floors.total {
        if total.lines.percent() < f {
            out.push(format!(
                "total: {:.2}% of lines, below its floor {f:.1}%",
                total.lines.percent()
            ));
        }
    }
    for name in floors.crates.keys() {
        if !rows.iter().any(|r| &r.name == name) {
            eprintln!("xtask coverage: warning: {name} has a floor but was not measured");
        }
    }
    out
}

/// Floors well below the measured value, with the value to raise them to.
pub fn hints(rows: &[Row], total: &Row, floors: &Floors) -> Vec<String> {
    let mut out = Vec::new();
    let mut one = |name: &str, measured: f64, floor: Option<f64>| {
        if let Some(f) = floor {
            if measured - f > RAISE_HINT_POINTS {
                out.push(format!(
                    "{name} measures {measured:.2}%, well above its floor {f:.1}%: \
                     raise it to {:.1} in {FLOORS_FILE}",
                    suggested_floor(measured)
                ));
            }
        }
    };
    for r in rows {
        one(
            &r.name,
            r.lines.percent(),
            floors.crates.get(&r.name).copied(),
        );
    }
    one("total", total.lines.percent(), floors.total);
    out
}

/// A floor a little below a measured value, rounded down to a tenth.
pub fn suggested_floor(measured: f64) -> f64 {
    ((measured - FLOOR_MARGIN_POINTS) * 10.0).floor().max(0.0) / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = r#"{"data":[{"files":[
      {"filename":"/ws/crates/waveform/src/lib.rs",
       "summary":{"lines":{"count":100,"covered":90,"percent":90.0},
                  "regions":{"count":50,"covered":40,"percent":80.0}}},
      {"filename":"/ws/crates/waveform/src/units.rs",
       "summary":{"lines":{"count":100,"covered":100,"percent":100.0},
                  "regions":{"count":50,"covered":50,"percent":100.0}}},
      {"filename":"/ws/crates/spicelab/src/cli/info.rs",
       "summary":{"lines":{"count":200,"covered":100,"percent":50.0},
                  "regions":{"count":10,"covered":5,"percent":50.0}}}
    ],"totals":{}}],"type":"llvm.coverage.json.export","version":"2.0.1"}"#;

    #[test]
    fn sums_files_by_crate() {
        let (rows, total) = aggregate(Path::new("/ws"), SUMMARY).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name, "spicelab");
        assert_eq!(
            rows[0].lines,
            Count {
                covered: 100,
                count: 200
            }
        );
        assert_eq!(rows[1].name, "waveform");
        assert_eq!(rows[1].files, 2);
        assert_eq!(
            rows[1].lines,
            Count {
                covered: 190,
                count: 200
            }
        );
        assert_eq!(
            rows[1].regions,
            Count {
                covered: 90,
                count: 100
            }
        );
        assert_eq!(total.files, 3);
        assert_eq!(
            total.lines,
            Count {
                covered: 290,
                count: 400
            }
        );
        assert!((total.lines.percent() - 72.5).abs() < 1e-12);
    }

    #[test]
    fn floors_fail_below_and_without_a_floor() {
        let (rows, total) = aggregate(Path::new("/ws"), SUMMARY).unwrap();
        let floors: Floors = toml::from_str("total = 80.0\n[crates]\nwaveform = 94.0\n").unwrap();
        let p = check(&rows, &total, &floors);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("spicelab: no floor"), "{p:?}");
        assert!(p[1].starts_with("total: 72.50%"), "{p:?}");
        let floors: Floors =
            toml::from_str("total = 72.0\n[crates]\nwaveform = 96.0\nspicelab = 50.0\n").unwrap();
        let p = check(&rows, &total, &floors);
        assert_eq!(
            p,
            vec!["waveform: 95.00% of lines, below its floor 96.0%".to_string()]
        );
    }

    #[test]
    fn hints_when_well_above() {
        let (rows, total) = aggregate(Path::new("/ws"), SUMMARY).unwrap();
        let floors: Floors =
            toml::from_str("[crates]\nwaveform = 90.0\nspicelab = 49.0\n").unwrap();
        let h = hints(&rows, &total, &floors);
        assert_eq!(h.len(), 1, "{h:?}");
        assert!(h[0].contains("raise it to 94.5"), "{h:?}");
        assert_eq!(suggested_floor(87.13), 86.6);
        assert!(toml::from_str::<Floors>("[crate]\nx = 1.0\n").is_err());
    }

    #[test]
    fn the_committed_floors_parse() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("coverage-floors.toml");
        let floors = read_floors(&path).unwrap();
        assert!(floors.total.is_some());
        for (name, f) in &floors.crates {
            assert!((0.0..=100.0).contains(f), "{name} = {f}");
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../crates")
                    .join(name)
                    .is_dir(),
                "floor for {name}, which is not a crate"
            );
        }
    }
}
