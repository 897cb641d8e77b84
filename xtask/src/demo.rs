//! `cargo xtask demo`: the main job, a campaign run by `spicelab run` on the
//! real ngspice (run twice: the second run takes every result from the
//! cache), then one ngspice result through `spicelab info`, `stats` and `export`.

use crate::fixtures::run_ngspice;
use crate::util::{self, Workspace};
use anyhow::{Context, Result};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitCode};

/// Options of `cargo xtask demo`.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// The campaign to run (default: examples/rc-montecarlo/campaign.toml).
    #[arg(long, value_name = "FILE")]
    pub campaign: Option<std::path::PathBuf>,
    /// The netlist to simulate for the reader part (default: fixtures/netlists/rc_ladder_tran.cir).
    #[arg(long, value_name = "FILE")]
    pub netlist: Option<std::path::PathBuf>,
    /// Never try to install ngspice with apt-get.
    #[arg(long)]
    pub no_install: bool,
}

const INSTALL_HINT: &str = "install ngspice first, e.g. `sudo apt-get install -y ngspice` \
    (Debian/Ubuntu), `sudo dnf install ngspice` (Fedora) or `brew install ngspice` (macOS)";

/// Makes sure `ngspice` is on PATH, installing it with apt-get when running
/// as root on a machine that has apt-get. `Ok(false)`: not available.
fn ensure_ngspice(no_install: bool) -> Result<bool> {
    if util::which("ngspice").is_some() {
        return Ok(true);
    }
    if no_install || !util::is_root() || util::which("apt-get").is_none() {
        return Ok(false);
    }
    eprintln!("demo: ngspice is missing; installing it with apt-get");
    for args in [
        vec!["update"],
        vec!["install", "-y", "--no-install-recommends", "ngspice"],
    ] {
        eprintln!("$ apt-get {}", args.join(" "));
        let status = Command::new("apt-get")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get")?;
        if !status.success() {
            eprintln!("demo: apt-get {} failed ({status})", args.join(" "));
            return Ok(false);
        }
    }
    Ok(util::which("ngspice").is_some())
}

/// Runs one spicelab command, showing it and its output.
fn show(bin: &Path, ws: &Workspace, args: &[&str]) -> Result<()> {
    println!("\n$ spicelab {}", args.join(" "));
    let status = Command::new(bin)
        .args(args)
        .current_dir(&ws.root)
        .status()
        .with_context(|| format!("running {}", bin.display()))?;
    if !status.success() {
        anyhow::bail!("spicelab {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Runs `cargo xtask demo`.
pub fn run(ws: &Workspace, args: &DemoArgs) -> Result<ExitCode> {
    if !ensure_ngspice(args.no_install)? {
        eprintln!("demo: ngspice is not installed: {INSTALL_HINT}");
        return Ok(ExitCode::from(2));
    }
    let netlist = args.netlist.clone().unwrap_or_else(|| {
        ws.root
            .join("fixtures")
            .join("netlists")
            .join("rc_ladder_tran.cir")
    });
    let dir = ws.target.join("demo");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let bin = ws.build_spicelab()?;
    let campaign = args.campaign.clone().unwrap_or_else(|| {
        ws.root
            .join("examples")
            .join("rc-montecarlo")
            .join("campaign.toml")
    });
    let campaign_s = ws.rel(&campaign).into_owned();
    let cache_s = ws.rel(&dir.join("cache")).into_owned();
    let out_s = ws.rel(&dir.join("out")).into_owned();
    // A fresh cache, so the first run simulates every job.
    let _ = fs::remove_dir_all(dir.join("cache"));
    let run_args = [
        "run",
        campaign_s.as_str(),
        "--cache",
        &cache_s,
        "--out",
        &out_s,
    ];
    show(&bin, ws, &run_args)?;
    println!("\n(again: every job is now a cache hit)");
    show(&bin, ws, &run_args)?;

    let stem = netlist
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "demo".into());
    let raw = dir.join(format!("{stem}.raw"));
    let log = dir.join(format!("{stem}.ngspice.log"));
    println!(
        "$ ngspice -b -r {} -o {} {}",
        ws.rel(&raw),
        ws.rel(&log),
        ws.rel(&netlist)
    );
    run_ngspice(&netlist, &raw, &log, false)?;

    let raw_s = ws.rel(&raw).into_owned();
    let csv = dir.join("out.csv");
    let csv_s = ws.rel(&csv).into_owned();
    show(&bin, ws, &["info", &raw_s])?;
    show(&bin, ws, &["stats", &raw_s])?;
    show(
        &bin,
        ws,
        &["export", &raw_s, "--format", "csv", "-o", &csv_s],
    )?;

    let f = fs::File::open(&csv).with_context(|| format!("opening {}", csv.display()))?;
    let mut lines = 0u64;
    println!("\n$ head -5 {csv_s}");
    for line in BufReader::new(f).lines() {
        let line = line.with_context(|| format!("reading {}", csv.display()))?;
        if lines < 5 {
            println!("{line}");
        }
        lines += 1;
    }
    println!("... ({lines} lines in all)");
    println!(
        "\ndemo: done. The RAW file is {raw_s}, the CSV {csv_s}; try `{} stats {raw_s} --json`.",
        ws.rel(&bin)
    );
    Ok(ExitCode::SUCCESS)
}
