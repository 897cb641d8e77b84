//! Command-line parsing and dispatch.

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use out::{note, Fail, Kind};
use raw_stream::{RawError, RawFile};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use waveform::Dialect;

mod cache;
mod convert;
mod csv;
mod diff;
mod export;
mod fft;
mod info;
mod out;
mod output;
mod progress;
mod run;
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
///   spicelab cache get KEY -o tran.csv   # one plot as CSV, as export writes it
///
/// Outputs (-o) are written to a temporary file and renamed into place; a
/// device or a FIFO is written in place, a symlink is followed, a replaced
/// file keeps its permissions; `-o -` is stdout.
///
/// Exit codes: 0 success (also when a reader such as `head` closes stdout
/// early), 1 a check failed, 2 usage or input error.
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
    /// Only errors on stderr: no warnings, no `wrote`/`stored`/speed lines.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Colour in logs and progress bars (auto: on a terminal, unless NO_COLOR is set).
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
    /// A .raw.gz or .raw.zst is decompressed as it is read (sequential access only).
    Info(info::InfoArgs),
    /// Min, max, mean and rms of every vector (per step when stepped), streaming.
    ///
    /// Complex vectors are summarised by their magnitude. Memory stays bounded
    /// whatever the file size; a progress bar shows on a terminal for files
    /// over 100 MB. A .raw.gz or .raw.zst is decompressed as it is read, in
    /// bounded memory (sequential access only: one thread, file order).
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
    /// Run a campaign: sweeps, corners, temperatures and Monte Carlo of one
    /// netlist on every core, each result cached, with measures and yield.
    ///
    /// Jobs already in the cache are skipped (`--explain` says why each job
    /// runs); failed, hung and crashed jobs are reported with their logs while
    /// the others complete. See docs/campaign.md.
    Run(run::RunArgs),
    /// Write a RAW file in another layout: ngspice binary or ASCII, LTspice normal or fastaccess.
    ///
    /// Streaming, atomic (temporary file and rename), values bit for bit where the
    /// target layout can hold them.
    Convert(convert::ConvertArgs),
    /// Compare two results vector by vector (interpolating where the time points differ);
    /// exit status 1 when a vector is outside the tolerance.
    Diff(diff::DiffArgs),
    /// Print a shell completion script: `spicelab completions bash > /etc/bash_completion.d/spicelab`.
    ///
    /// zsh: `spicelab completions zsh > ~/.zfunc/_spicelab` (with `fpath+=~/.zfunc`);
    /// fish: `spicelab completions fish > ~/.config/fish/completions/spicelab.fish`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) generated from these definitions; `cargo xtask man` writes them.
    #[command(hide = true)]
    Man {
        /// A subcommand's page (`spicelab-run(1)`) instead of the main one.
        command: Option<String>,
        /// Write every page (spicelab.1, spicelab-COMMAND.1) into this directory instead.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Spectrum and distortion (THD, SNR, SINAD, SFDR, ENOB) of one vector.
    ///
    /// The transient is resampled onto a uniform grid over the record,
    /// windowed and transformed (CPU, or GPU with --features gpu). See docs/fft.md.
    Fft(fft::FftArgs),
}

/// Options shared by the commands that open a RAW file.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The RAW file (.raw, .qraw), or one compressed with gzip or zstd
    /// (.raw.gz, .raw.zst; found by its first bytes): decompressed as it is
    /// read, sequential access only (in file order, one thread; fastaccess
    /// plots need random access: decompress those first).
    pub file: PathBuf,
    /// Force the dialect instead of detecting it (ngspice, xyce, ltspice, qspice); a warning
    /// says so when its layout does not fit the data and the detected one does.
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Option<waveform::Dialect>,
    /// Treat a file cut short as an error rather than a warning.
    #[arg(long)]
    pub strict: bool,
}

/// A SPICE number on the command line (`2m`, `1k`, `1e-3`).
pub(crate) fn parse_spice_arg(s: &str) -> Result<f64, String> {
    waveform::units::parse_spice_number(s)
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("`{s}` is not a number (SPICE suffixes allowed: 2m, 10u, 1k, 1meg)"))
}

pub(crate) fn parse_dialect(s: &str) -> Result<waveform::Dialect, String> {
    waveform::Dialect::from_name(s)
        .ok_or_else(|| format!("unknown dialect '{s}' (ngspice, xyce, ltspice, qspice)"))
}

impl OpenArgs {
    pub fn open(&self) -> anyhow::Result<RawFile> {
        open_raw(&self.file, self.dialect, self.strict)
    }
}

impl Command {
    /// `--json` given: errors are a JSON object on stdout too.
    fn json(&self) -> bool {
        match self {
            Command::Info(a) => a.json(),
            Command::Stats(a) => a.json(),
            Command::Export(_) => false,
            Command::Cache(a) => a.json(),
            Command::Run(a) => a.json,
            Command::Convert(_) => false,
            Command::Diff(a) => a.json,
            Command::Completions { .. } | Command::Man { .. } => false,
            Command::Fft(a) => a.json(),
        }
    }
}

/// Opens a RAW file; a file that is no RAW file at all says so, and a forced
/// dialect that does not fit the data gets a warning.
pub(crate) fn open_raw(
    path: &Path,
    dialect: Option<Dialect>,
    strict: bool,
) -> anyhow::Result<RawFile> {
    let opts = raw_stream::OpenOptions {
        dialect,
        strict,
        ..raw_stream::OpenOptions::default()
    };
    match RawFile::open_with(path, &opts) {
        Ok(raw) => {
            if let Some(forced) = dialect {
                if !fits(&raw) {
                    warn_if_misfit(path, forced);
                }
            }
            Ok(raw)
        }
        Err(e) => {
            if let RawError::Header { plot: 0, .. } = &e {
                if let Some(why) = not_raw(path) {
                    let msg = format!("{}: not a RAW file ({why})", path.display());
                    return Err(Fail::new(Kind::Input, msg).into());
                }
            }
            if let (Some(forced), false) = (dialect, matches!(e, RawError::Io { .. })) {
                warn_if_misfit(path, forced);
            }
            Err(Fail::wrap(Kind::Input, e).into())
        }
    }
}

/// The header lines of a RAW file (compared lower-case at a line start).
const RAW_KEYS: [&str; 11] = [
    "title:",
    "date:",
    "plotname:",
    "flags:",
    "no. variables:",
    "no. points:",
    "variables:",
    "binary:",
    "values:",
    "command:",
    "offset:",
];

/// Why `path` is not a RAW file at all (`None`: it looks like one, broken).
fn not_raw(path: &Path) -> Option<String> {
    let mut head = Vec::new();
    let n = std::fs::File::open(path)
        .and_then(|f| f.take(8192).read_to_end(&mut head))
        .ok()?;
    if n == 0 {
        return Some("the file is empty".into());
    }
    // UTF-16LE headers: drop the zero bytes
    head.retain(|&b| b != 0);
    let text = String::from_utf8_lossy(&head);
    let raw_like = text.lines().any(|l| {
        let l = l.trim_start().to_ascii_lowercase();
        RAW_KEYS.iter().any(|k| l.starts_with(k))
    });
    (!raw_like).then(|| {
        format!(
            "no RAW header line such as 'Title:', 'Plotname:' or 'Variables:' in its first {n} bytes"
        )
    })
}

/// True when the plots' layout accounts for the file's bytes: nothing cut
/// short, nothing left over after the last plot.
fn fits(raw: &RawFile) -> bool {
    raw.warnings().is_empty() && raw.plots().iter().all(|p| !p.truncated)
}

/// Warns when the file fits the dialect its header says but not `forced`.
fn warn_if_misfit(path: &Path, forced: Dialect) {
    // quietly: this second look must not repeat the warnings of the first
    let detected =
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
            RawFile::open_with(path, &raw_stream::OpenOptions::default())
        });
    let Ok(detected) = detected else { return };
    if detected.dialect() != forced && fits(&detected) {
        tracing::warn!(
            "{}: --dialect {} does not fit this file: with {}'s layout the data do not fill the \
             file as its header declares, while {} (the dialect detected from the header) fits \
             it exactly; the values read as {} are probably wrong",
            path.display(),
            forced.name(),
            forced.name(),
            detected.dialect().name(),
            forced.name()
        );
    }
}

/// Whether to colour stderr: `--color`, else a terminal without NO_COLOR.
fn use_ansi(color: Color) -> bool {
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Log lines as `warning: ...`, `error: ...`: the same words as the
/// program's own error line.
struct Plain {
    ansi: bool,
}

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        use tracing::Level;
        let level = *event.metadata().level();
        let word = match level {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "note",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        write!(w, "{}: ", out::label(word, self.ansi))?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

fn init_logging(cli: &Cli, ansi: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        // a campaign's progress lines (every 5 s when stderr is no terminal) stay on
        (false, 0) => "warn,exec_pool::progress=info",
        (false, 1) => "debug",
        _ => "trace",
    };
    // -q wins over SPICELAB_LOG: quiet means quiet
    let filter = match std::env::var("SPICELAB_LOG") {
        Ok(f) if !cli.quiet => EnvFilter::new(f),
        _ => EnvFilter::new(level),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .event_format(Plain { ansi })
        .try_init();
}

/// `spicelab completions SHELL`: the script on stdout.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<i32> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "spicelab", &mut buf);
    let mut o = out::Stdout::lock();
    std::io::Write::write_all(&mut o, &buf)?;
    Ok(0)
}

/// `spicelab man [COMMAND] [--out-dir DIR]`: a man page (roff) on stdout,
/// or every page into DIR.
fn man_page(command: Option<&str>, out_dir: Option<&Path>) -> anyhow::Result<i32> {
    use clap::CommandFactory;
    let cli = Cli::command();
    let page = |name: Option<&str>| -> anyhow::Result<Vec<u8>> {
        let man = match name {
            None => clap_mangen::Man::new(cli.clone()),
            Some(name) => {
                let Some(sub) = cli.find_subcommand(name).filter(|s| !s.is_hide_set()) else {
                    return Err(Fail::new(Kind::Usage, format!("no command '{name}'")).into());
                };
                clap_mangen::Man::new(sub.clone()).title(format!("spicelab-{name}"))
            }
        };
        let mut buf = Vec::new();
        man.render(&mut buf)?;
        Ok(buf)
    };
    if let Some(dir) = out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut names: Vec<Option<String>> = vec![None];
        names.extend(
            cli.get_subcommands()
                .filter(|s| !s.is_hide_set() && s.get_name() != "help")
                .map(|s| Some(s.get_name().to_string())),
        );
        for n in &names {
            let file = match n {
                None => dir.join("spicelab.1"),
                Some(n) => dir.join(format!("spicelab-{n}.1")),
            };
            outfile::write(&file, &page(n.as_deref())?)
                .with_context(|| format!("cannot write {}", file.display()))?;
            note!("wrote {}", file.display());
        }
        return Ok(0);
    }
    let buf = page(command)?;
    let mut o = out::Stdout::lock();
    std::io::Write::write_all(&mut o, &buf)?;
    Ok(0)
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if !e.use_stderr() {
                // --help, --version
                let _ = e.print();
                return 0;
            }
            if std::env::args_os().any(|a| a == "--json") {
                let text = e.to_string();
                let first = text.lines().next().unwrap_or("");
                let msg = first.strip_prefix("error: ").unwrap_or(first);
                let _ = out::line(format_args!(
                    "{}",
                    serde_json::json!({"error": msg, "kind": Kind::Usage.name()})
                ));
            }
            let _ = e.print();
            return 2;
        }
    };
    out::set_quiet(cli.quiet);
    let ansi = use_ansi(cli.color);
    init_logging(&cli, ansi);
    // a progress bar only ever shows on a terminal (see progress::bytes_bar)
    let show_progress = !cli.quiet;
    let result = match &cli.command {
        Command::Info(a) => info::run(a),
        Command::Stats(a) => stats::run(a, show_progress),
        Command::Export(a) => export::run(a, show_progress),
        Command::Cache(a) => cache::run(a),
        Command::Run(a) => run::run(a, show_progress),
        Command::Convert(a) => convert::run(a, show_progress),
        Command::Diff(a) => diff::run(a),
        Command::Completions { shell } => completions(*shell),
        Command::Man { command, out_dir } => man_page(command.as_deref(), out_dir.as_deref()),
        Command::Fft(a) => fft::run(a),
    };
    match result {
        Ok(code) => code,
        // `spicelab info f.raw | head -1`: the reader has what it wanted
        Err(e) if out::is_closed_stdout(&e) => 0,
        Err(e) => {
            let msg = out::message(&e);
            let kind = out::kind_of(&e);
            out::error_line(&msg, ansi);
            if cli.command.json() {
                let _ = out::line(format_args!(
                    "{}",
                    serde_json::json!({"error": msg, "kind": kind.name()})
                ));
            }
            2
        }
    }
}
