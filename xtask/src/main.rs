//! `cargo xtask`: the project's tasks.
//!
//! - `cargo xtask test [--coverage]`: formatting, clippy, the gates and the whole test suite (what CI
//!   runs; with `--coverage` the suite runs once under cargo-llvm-cov and the coverage floors are checked).
//! - `cargo xtask gates`: the feature matrix (`cargo check`), rustdoc `-D warnings`, `cargo deny`,
//!   the spicelab and fft-gpu tests with the `full` features.
//! - `cargo xtask demo`: a real ngspice result shown through `spicelab info/stats/export`.
//! - `cargo xtask fixtures`: the generated fixture set in `target/fixtures`.
//! - `cargo xtask bench`: the benchmark table of DESIGN.md section 7.
//! - `cargo xtask bench-cache [--quick]`: the result cache's ratio and speed (issue 3).
//! - `cargo xtask fuzz --seconds N [--target T]`: the cargo-fuzz targets of the RAW reader (nightly).
//! - `cargo xtask coverage [--check] [--no-run] [--html]`: line and region coverage per crate
//!   (cargo-llvm-cov) against the floors of `xtask/coverage-floors.toml`.

mod bench;
mod bench_cache;
mod bench_fft;
mod bench_hdf5;
mod bench_run;
mod coverage;
mod demo;
mod fixtures;
mod fuzz;
mod gates;
mod util;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "cargo xtask", about = "spicelab project tasks", version)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand, Debug)]
enum Task {
    /// Run `cargo fmt --check`, `cargo clippy -D warnings`, the gates (see `gates`) and
    /// `cargo test` on the workspace, printing each step's time.
    Test(TestArgs),
    /// The gates alone: `cargo check -p spicelab` for each feature set (default, none,
    /// gpu, hdf5, full), rustdoc with `-D warnings`, `cargo deny check licenses bans sources`,
    /// and the tests of spicelab and fft-gpu with the `full` features.
    Gates(gates::GatesArgs),
    /// The main job: the example Monte Carlo campaign through `spicelab run`, then
    /// `spicelab info`, `stats` and `export` on a real ngspice result.
    Demo(demo::DemoArgs),
    /// Generate the fixture set (real ngspice output, every LTspice layout, big files).
    Fixtures(fixtures::FixturesArgs),
    /// Measure spicelab against its baselines on generated files and print the table.
    Bench(bench::BenchArgs),
    /// Measure the result cache (ratio, encode/decode MB/s) on the ngspice fixtures.
    BenchCache(BenchCacheArgs),
    /// Fuzz the RAW reader (cargo-fuzz, nightly) for N seconds per target.
    Fuzz(fuzz::FuzzArgs),
    /// Line and region coverage per crate and in total (cargo-llvm-cov over the whole test
    /// suite, the `spicelab` binary included), against the floors of xtask/coverage-floors.toml.
    Coverage(coverage::CoverageArgs),
    /// Write the man pages (spicelab.1, spicelab-COMMAND.1) generated from the CLI definitions.
    Man(ManArgs),
}

#[derive(clap::Args, Debug)]
struct ManArgs {
    /// Directory to write them to [default: TARGET_DIR/man].
    #[arg(long, value_name = "DIR")]
    out: Option<std::path::PathBuf>,
}

#[derive(clap::Args, Debug)]
struct BenchCacheArgs {
    /// Shorter measurements.
    #[arg(long)]
    quick: bool,
    /// Directory of the fixtures [default: TARGET_DIR/fixtures].
    #[arg(long, value_name = "DIR")]
    fixtures: Option<std::path::PathBuf>,
    /// Print the rows as JSON instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
struct TestArgs {
    /// Skip `cargo fmt --check` and `cargo clippy` (tests only).
    #[arg(long)]
    no_lint: bool,
    /// Skip the gates (feature matrix, rustdoc, cargo deny).
    #[arg(long)]
    no_gates: bool,
    /// Run the tests once, instrumented, as `cargo xtask coverage --check` does (cargo-llvm-cov):
    /// the suite must pass and every crate stay at or above its coverage floor.
    #[arg(long)]
    coverage: bool,
    #[command(flatten)]
    gates: gates::GatesArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = util::Workspace::discover().and_then(|ws| match cli.task {
        Task::Test(a) => test(&ws, &a),
        Task::Gates(a) => {
            for step in gates::steps(&a) {
                if !gates::run_step(&ws, "xtask gates", &step)? {
                    return Ok(ExitCode::FAILURE);
                }
            }
            eprintln!("xtask gates: all passed");
            Ok(ExitCode::SUCCESS)
        }
        Task::Demo(a) => demo::run(&ws, &a),
        Task::Fixtures(a) => fixtures::run(&ws, &a).map(|_| ExitCode::SUCCESS),
        Task::Bench(a) => bench::run(&ws, &a),
        Task::Fuzz(a) => fuzz::run(&ws, &a),
        Task::Coverage(a) => coverage::run(&ws, &a),
        Task::Man(a) => {
            let dir = a.out.clone().unwrap_or_else(|| ws.target.join("man"));
            let status = ws
                .cargo()
                .args(["run", "-q", "-p", "spicelab", "--", "man", "--out-dir"])
                .arg(&dir)
                .status();
            match status {
                Ok(s) if s.success() => {
                    println!(
                        "man pages in {} (read one with `man -l {}/spicelab-run.1`)",
                        dir.display(),
                        dir.display()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Ok(s) => Err(anyhow::anyhow!("spicelab man failed ({s})")),
                Err(e) => Err(anyhow::anyhow!("cannot run cargo: {e}")),
            }
        }
        Task::BenchCache(a) => {
            let dir = a.fixtures.unwrap_or_else(|| ws.target.join("fixtures"));
            bench_cache::run(&ws, &dir, a.quick).and_then(|rows| {
                if a.json {
                    println!("{}", serde_json::to_string_pretty(&rows)?);
                } else {
                    bench_cache::print_table(&rows);
                }
                Ok(ExitCode::SUCCESS)
            })
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask test`: the single test command, also run by `.ci/run`.
fn test(ws: &util::Workspace, args: &TestArgs) -> anyhow::Result<ExitCode> {
    let start = std::time::Instant::now();
    let mut steps: Vec<gates::Step> = Vec::new();
    let step = |what: &str, a: &[&str]| gates::Step {
        what: what.to_string(),
        args: a.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
    };
    if !args.no_lint {
        steps.push(step("format", &["fmt", "--all", "--check"]));
        steps.push(step(
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ));
    }
    if !args.no_gates {
        steps.extend(gates::steps(&args.gates));
    }
    if !args.coverage {
        steps.push(step("tests", &["test", "--workspace"]));
    } else {
        // cargo llvm-cov runs no doctests on a stable toolchain: the
        // examples of the docs (every lib.rs opens with one) run here
        steps.push(step("doctests", &["test", "--workspace", "--doc"]));
    }
    for s in &steps {
        if !gates::run_step(ws, "xtask test", s)? {
            return Ok(ExitCode::FAILURE);
        }
    }
    if args.coverage {
        eprintln!("xtask test: tests with coverage: cargo xtask coverage --check");
        let t0 = std::time::Instant::now();
        let cov = coverage::CoverageArgs {
            check: true,
            no_run: false,
            html: false,
            json: false,
        };
        if !coverage::passes(ws, &cov)? {
            eprintln!(
                "xtask test: tests with coverage FAILED after {:.1} s",
                t0.elapsed().as_secs_f64()
            );
            return Ok(ExitCode::FAILURE);
        }
        eprintln!(
            "xtask test: tests with coverage ok in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }
    eprintln!(
        "xtask test: all passed in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
