//! `spicelab cache`: the local result cache.

use super::out::{note, outln, Fail, Kind};
use super::output::{self, Sink};
use anyhow::Context;
use cache_zstd::{
    key_of, CodecChoice, DiskStore, EncodeOptions, Entry, JobMeta, ResultCache, Secret,
};
use clap::{Args, Subcommand, ValueEnum};
use raw_stream::RawFormat;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use waveform::units::parse_size;
use waveform::Dialect;

#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Cache directory (default: $SPICELAB_CACHE_DIR, else $XDG_CACHE_HOME/spicelab, else ~/.cache/spicelab).
    #[arg(long, global = true, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// One JSON object on stdout, an error too: {"error":...,"kind":...} (docs/cli.md).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: CacheCommand,
}

#[derive(Debug, Subcommand)]
enum CacheCommand {
    /// Entries, column bytes before compression, bytes stored.
    Stats,
    /// Read every entry; remove (and report) the corrupt ones. Exit 1 when any was found.
    Verify,
    /// Evict least-recently-used entries until the cache fits in --max-size.
    Gc {
        /// Size to fit in, e.g. 10GiB, 500MB.
        #[arg(long, value_parser = parse_size_arg)]
        max_size: u64,
    },
    /// Store a RAW file's result; prints its key (sha256 of the file's bytes unless --key).
    Put(PutArgs),
    /// Write the result stored under KEY: a RAW file with the same values, or one plot as CSV.
    ///
    /// The format comes from the output's name: `.csv` is CSV (as `export`
    /// writes it), `.raw` or no extension is RAW, anything else is refused;
    /// `-o -` writes RAW (CSV with --format csv) to stdout. --format overrides the name.
    Get {
        /// The key (64 lowercase hex characters).
        key: String,
        /// Output file (`.raw` or `.csv`; `-` for stdout).
        #[arg(short, long)]
        output: PathBuf,
        /// Output format: a RAW layout or csv (default: from the extension; RAW is LTspice
        /// binary for LTspice results, ngspice binary otherwise).
        #[arg(long, value_enum)]
        format: Option<OutFormat>,
        /// The plot to write as CSV (0-based).
        #[arg(long = "plot", value_name = "N", default_value_t = 0)]
        plot: usize,
    },
}

#[derive(Debug, Args)]
struct PutArgs {
    /// The RAW file.
    file: PathBuf,
    /// Store under this key instead of the sha256 of the file.
    #[arg(long)]
    key: Option<String>,
    /// Opt-in relative precision bound for non-scale columns (e.g. 1e-9); lossless when absent.
    #[arg(long)]
    precision: Option<f64>,
    /// zstd level (1..22).
    #[arg(long, default_value_t = 3)]
    level: i32,
    /// Codecs to choose from: auto (zstd paths and pco per column) or zstd (zstd paths only, faster encode).
    #[arg(long, value_enum, default_value_t = Codecs::Auto)]
    codecs: Codecs,
    /// Force the dialect of the RAW file.
    #[arg(long, value_parser = super::parse_dialect)]
    dialect: Option<Dialect>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Codecs {
    Auto,
    Zstd,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum OutFormat {
    Ngspice,
    NgspiceAscii,
    Ltspice,
    LtspiceFastaccess,
    Csv,
}

fn parse_size_arg(s: &str) -> Result<u64, String> {
    parse_size(s).ok_or_else(|| format!("'{s}' is not a size (e.g. 10GiB, 500MB, 123456)"))
}

impl CacheArgs {
    /// `--json` given.
    pub fn json(&self) -> bool {
        self.json
    }
}

pub fn run(a: &CacheArgs) -> anyhow::Result<i32> {
    let store = DiskStore::open(a.dir.as_deref()).context("cannot open the cache")?;
    match &a.command {
        CacheCommand::Stats => {
            let s = store.stats()?;
            if a.json {
                outln!(
                    "{}",
                    json!({"dir": store.dir(), "entries": s.entries, "raw_bytes": s.raw_bytes,
                           "stored_bytes": s.stored_bytes,
                           "ratio": if s.raw_bytes > 0 { Some(s.stored_bytes as f64 / s.raw_bytes as f64) } else { None }})
                )?;
            } else {
                outln!("cache:        {}", store.dir().display())?;
                outln!("entries:      {}", s.entries)?;
                outln!("column bytes: {}", s.raw_bytes)?;
                outln!("stored bytes: {}", s.stored_bytes)?;
                if s.raw_bytes > 0 {
                    outln!(
                        "ratio:        {:.3}",
                        s.stored_bytes as f64 / s.raw_bytes as f64
                    )?;
                }
            }
            Ok(0)
        }
        CacheCommand::Verify => {
            let r = store.verify()?;
            if a.json {
                outln!(
                    "{}",
                    json!({"dir": store.dir(), "checked": r.checked, "ok": r.ok,
                           "removed": r.removed.iter().map(|(p, why)| json!({"path": p, "reason": why})).collect::<Vec<_>>(),
                           "skipped": r.skipped, "stale_temp_files": r.stale_temp_files})
                )?;
            } else {
                outln!(
                    "{} entries checked, {} good, {} corrupt removed",
                    r.checked,
                    r.ok,
                    r.removed.len()
                )?;
                for (p, why) in &r.removed {
                    outln!("  removed {}: {why}", p.display())?;
                }
            }
            Ok(if r.removed.is_empty() { 0 } else { 1 })
        }
        CacheCommand::Gc { max_size } => {
            let r = store.gc(*max_size)?;
            if a.json {
                outln!(
                    "{}",
                    json!({"dir": store.dir(), "evicted": r.evicted, "freed_bytes": r.freed_bytes,
                           "entries": r.entries, "stored_bytes": r.stored_bytes})
                )?;
            } else {
                outln!(
                    "evicted {} entries ({} bytes); {} entries, {} bytes left",
                    r.evicted,
                    r.freed_bytes,
                    r.entries,
                    r.stored_bytes
                )?;
            }
            Ok(0)
        }
        CacheCommand::Put(p) => {
            let opts = EncodeOptions {
                zstd_level: p.level,
                precision: p.precision,
                codecs: match p.codecs {
                    Codecs::Auto => CodecChoice::Auto,
                    Codecs::Zstd => CodecChoice::ZstdOnly,
                },
                secret: Secret::from_env(),
                ..EncodeOptions::default()
            };
            let store = store.with_options(opts)?;
            let started = std::time::Instant::now();
            let raw = super::open_raw(&p.file, p.dialect, true)?;
            let key = match &p.key {
                Some(k) => k.clone(),
                None => {
                    let bytes = std::fs::read(&p.file)
                        .with_context(|| format!("cannot read {}", p.file.display()))?;
                    key_of(&bytes)
                }
            };
            let entry = Entry {
                result: raw.read_all()?,
                meta: JobMeta::default(),
            };
            store.put(&key, &entry)?;
            let raw_bytes: u64 = entry
                .result
                .plots
                .iter()
                .flat_map(|pl| &pl.columns)
                .map(|c| (c.len() * c.value_type().size()) as u64)
                .sum();
            let stored = std::fs::metadata(store.path_of(&key)?)
                .map(|m| m.len())
                .unwrap_or(0);
            if a.json {
                outln!(
                    "{}",
                    json!({"key": key, "file": p.file, "raw_bytes": raw_bytes, "stored_bytes": stored,
                           "seconds": started.elapsed().as_secs_f64()})
                )?;
            } else {
                outln!("{key}")?;
                note!(
                    "stored {} ({} column bytes -> {} bytes, ratio {:.3})",
                    p.file.display(),
                    raw_bytes,
                    stored,
                    stored as f64 / raw_bytes.max(1) as f64
                );
            }
            Ok(0)
        }
        CacheCommand::Get {
            key,
            output,
            format,
            plot,
        } => {
            let to_stdout = output::is_stdout(output);
            if to_stdout && a.json {
                return Err(Fail::new(
                    Kind::Usage,
                    "--json and -o - both want stdout: write the output to a file, or leave out --json",
                )
                .into());
            }
            let format = match format {
                Some(f) => Some(*f),
                None if to_stdout => None,
                None => match super::export::ext_of(output).as_deref() {
                    Some("csv") => Some(OutFormat::Csv),
                    Some("raw") | None => None,
                    Some(ext) => {
                        return Err(Fail::new(
                            Kind::Usage,
                            format!(
                                "cannot tell the format from '.{ext}' of {}: name it .raw or .csv, \
                                 or give --format",
                                output.display()
                            ),
                        )
                        .into())
                    }
                },
            };
            let store = store.with_secret(Secret::from_env());
            let Some(entry) = store.get(key)? else {
                return Err(Fail::new(
                    Kind::Input,
                    format!("no entry under {key} in {}", store.dir().display()),
                )
                .into());
            };
            let plots = &entry.result.plots;
            let mut w = Sink::create(output)?;
            let what = if format == Some(OutFormat::Csv) {
                let Some(p) = plots.get(*plot) else {
                    return Err(Fail::new(
                        Kind::Usage,
                        format!("no plot {plot} in entry {key} (it has {})", plots.len()),
                    )
                    .into());
                };
                write_csv(&mut w, p)?;
                format!("plot {plot} as CSV, {} points", p.len())
            } else {
                let fmt = match format {
                    Some(OutFormat::Ngspice) => RawFormat::NgspiceBinary,
                    Some(OutFormat::NgspiceAscii) => RawFormat::NgspiceAscii,
                    Some(OutFormat::Ltspice) => RawFormat::LtspiceBinary,
                    Some(OutFormat::LtspiceFastaccess) => RawFormat::LtspiceFastAccess,
                    _ if entry.result.dialect == Dialect::Ltspice => RawFormat::LtspiceBinary,
                    _ => RawFormat::NgspiceBinary,
                };
                for p in plots {
                    raw_stream::write_plot(&mut w, fmt, p)
                        .with_context(|| format!("plot '{}'", p.header.plotname))?;
                }
                format!("{} plot(s)", plots.len())
            };
            w.finish()?;
            if a.json {
                outln!(
                    "{}",
                    json!({"key": key, "output": output, "plots": plots.len(),
                           "format": if format == Some(OutFormat::Csv) { "csv" } else { "raw" }})
                )?;
            } else if !to_stdout {
                note!("wrote {} ({what})", output.display());
            }
            Ok(0)
        }
    }
}

/// One plot of a cached result as CSV, as `export` writes it.
fn write_csv(w: &mut Sink, p: &waveform::Plot) -> anyhow::Result<()> {
    let stepped = p.steps.count() > 1;
    let names = super::csv::column_names(
        p.header
            .variables
            .iter()
            .zip(&p.columns)
            .map(|(v, c)| (v.name.clone(), c.is_complex())),
        stepped,
    );
    w.write_all(super::csv::header_line(&names).as_bytes())?;
    let vars: Vec<usize> = (0..p.columns.len()).collect();
    let mut line = String::new();
    for i in 0..p.len() {
        line.clear();
        let step = stepped.then(|| p.steps.step_of(i as u64));
        super::csv::push_row(&mut line, &p.columns, &vars, i, step);
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}
