//! Command-line parsing and dispatch.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

mod cache;
mod export;
mod info;
mod progress;
mod stats;

/// Fast, bounded-memory tools for SPICE simulation results.
///
/// spicelab reads the RAW files of ngspice, LTspice (IV, XVII, 24), Xyce and
/// QSPICE, binary or ASCII, as a stream: files of any size are read in a few
/// MiB of memory.
///
/// Examples:
///   spicelab info  tran.raw              # plots, variables, points, steps
///   spicelab stats tran.raw --var 'v(out)' --json
///   spicelab export ac.raw -o ac.csv     # complex values as re(..), im(..) columns
///   spicelab cache put tran.raw          # prints the key it stored
///   spicelab cache get KEY -o back.raw
///
/// Exit codes: 0 success, 1 a check failed, 2 usage or input error.
#[derive(Debug, Parser)]
#[command(
    name = "spicelab",
    version,
    verbatim_doc_comment,
    propagate_version = true
)]
pub struct Cli {
    /// More log output (-v: debug, -vv: trace). SPICELAB_LOG takes an env filter instead.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Colour in logs and progress bars.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the dialect, plots, variables, points and steps of a RAW file.
    ///
    /// Reads only the headers (and, for stepped plots, the scale column).
    Info(info::InfoArgs),
    /// Min, max, mean and rms of every vector (per step when stepped), streaming.
    ///
    /// Complex vectors are summarised by their magnitude. Memory stays bounded
    /// whatever the file size; a progress bar shows on a terminal for files
    /// over 100 MB.
    Stats(stats::StatsArgs),
    /// Write a plot as CSV: a header row with the variable names, one row per point.
    ///
    /// Every value is printed with the shortest text that reads back to the
    /// same bits. Stepped plots get a first column `step`; complex vectors
    /// become two columns `re(NAME)` and `im(NAME)`.
    Export(export::ExportArgs),
    /// The local result cache: stats, verify, gc, put, get.
    ///
    /// Results are stored compressed (per-column codecs), keyed by sha256,
    /// written atomically, and checked on every read (xxh3-128, or HMAC-SHA256
    /// when SPICELAB_CACHE_SECRET is set). A corrupt entry is removed and
    /// counts as a miss.
    Cache(cache::CacheArgs),
}

/// Options shared by the commands that open a RAW file.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The RAW file (.raw, .qraw).
    pub file: PathBuf,
    /// Force the dialect instead of detecting it (ngspice, xyce, ltspice, qspice).
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Option<waveform::Dialect>,
    /// Treat a file cut short as an error rather than a warning.
    #[arg(long)]
    pub strict: bool,
}

pub(crate) fn parse_dialect(s: &str) -> Result<waveform::Dialect, String> {
    waveform::Dialect::from_name(s)
        .ok_or_else(|| format!("unknown dialect '{s}' (ngspice, xyce, ltspice, qspice)"))
}

impl OpenArgs {
    pub fn open(&self) -> anyhow::Result<raw_stream::RawFile> {
        let opts = raw_stream::OpenOptions {
            dialect: self.dialect,
            strict: self.strict,
            ..raw_stream::OpenOptions::default()
        };
        Ok(raw_stream::RawFile::open_with(&self.file, &opts)?)
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("SPICELAB_LOG") {
        Ok(f) => EnvFilter::new(f),
        Err(_) => EnvFilter::new(match (cli.quiet, cli.verbose) {
            (true, _) => "error",
            (false, 0) => "warn",
            (false, 1) => "debug",
            _ => "trace",
        }),
    };
    let ansi = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal(),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    init_logging(&cli);
    // a progress bar only ever shows on a terminal (see progress::bytes_bar)
    let show_progress = !cli.quiet;
    let result = match &cli.command {
        Command::Info(a) => info::run(a),
        Command::Stats(a) => stats::run(a, show_progress),
        Command::Export(a) => export::run(a, show_progress),
        Command::Cache(a) => cache::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    }
}
