//! `spicelab cache`: the local result cache.

use super::out::{note, outln, Fail, Kind};
use super::output::{self, Sink};
use super::progress;
use anyhow::{bail, Context};
use cache_zstd::{
    check_key, CacheError, CodecChoice, DiskStore, EncodeOptions, EntryFile, EntryMeta,
    EntryReader, JobMeta, KeyHasher, ResultCache, Secret,
};
use clap::{Args, Subcommand, ValueEnum};
use raw_stream::{PlotWriter, RawFormat};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use waveform::units::parse_size;
use waveform::{Column, Complex64, Dialect, Encoding};

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
                           "stored_bytes": s.stored_bytes, "other_versions": s.other_versions,
                           "ratio": if s.raw_bytes > 0 { Some(s.stored_bytes as f64 / s.raw_bytes as f64) } else { None }})
                )?;
            } else {
                outln!("cache:        {}", store.dir().display())?;
                outln!("entries:      {}", s.entries)?;
                outln!("column bytes: {}", s.raw_bytes)?;
                outln!("stored bytes: {}", s.stored_bytes)?;
                if s.other_versions > 0 {
                    outln!(
                        "other versions: {} (entries this build does not read, left for the builds that do)",
                        s.other_versions
                    )?;
                }
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
                           "skipped": r.skipped, "other_versions": r.skipped.len(),
                           "stale_temp_files": r.stale_temp_files})
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
                if !r.skipped.is_empty() {
                    outln!(
                        "{} entries of other format versions left in place",
                        r.skipped.len()
                    )?;
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
        CacheCommand::Put(p) => put(store, p, a.json),
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
            let missing = || {
                Fail::new(
                    Kind::Input,
                    format!(
                        "no entry under {key} in {} (or one that this build does not read)",
                        store.dir().display()
                    ),
                )
            };
            let started = Instant::now();
            let mut w = Sink::create(output)?;
            if format == Some(OutFormat::Csv) {
                // one plot as CSV (the plot is held in memory)
                let Some(entry) = store.get(key)? else {
                    return Err(missing().into());
                };
                let plots = &entry.result.plots;
                let Some(p) = plots.get(*plot) else {
                    return Err(Fail::new(
                        Kind::Usage,
                        format!("no plot {plot} in entry {key} (it has {})", plots.len()),
                    )
                    .into());
                };
                write_csv(&mut w, p)?;
                w.finish()?;
                if a.json {
                    outln!(
                        "{}",
                        json!({"key": key, "output": output, "plots": plots.len(), "format": "csv",
                               "points": p.len(), "seconds": started.elapsed().as_secs_f64()})
                    )?;
                } else if !to_stdout {
                    note!(
                        "wrote {} (plot {plot} as CSV, {} points)",
                        output.display(),
                        p.len()
                    );
                }
                return Ok(0);
            }
            let show = !a.json && !to_stdout;
            let log_beside = (!w.is_stdout()).then(|| output.to_path_buf());
            let got = store.read_with(key, |r| {
                write_raw(r, &mut w, log_beside.as_deref(), format, show)
            })?;
            let Some(written) = got else {
                return Err(missing().into());
            };
            w.finish()?;
            let secs = started.elapsed().as_secs_f64();
            if a.json {
                outln!(
                    "{}",
                    json!({"key": key, "output": output, "plots": written.plots, "points": written.points,
                           "raw_bytes": written.raw_bytes, "format": written.format, "log": written.log,
                           "seconds": secs})
                )?;
            } else if !to_stdout {
                note!(
                    "wrote {} ({} plot(s), {} points, {} layout{}) in {secs:.2} s",
                    output.display(),
                    written.plots,
                    written.points,
                    written.format,
                    match &written.log {
                        Some(l) => format!("; step parameters in {}", l.display()),
                        None => String::new(),
                    }
                );
            }
            Ok(0)
        }
    }
}

/// `cache put`: the RAW file streams chunk by chunk into the entry writer
/// (one block in memory); without `--key`, its sha256 is computed on
/// another thread meanwhile.
fn put(store: DiskStore, p: &PutArgs, json: bool) -> anyhow::Result<i32> {
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
    let started = Instant::now();
    if let Some(k) = &p.key {
        check_key(k)?;
    }
    let raw = super::open_raw(&p.file, p.dialect, true)?;
    let hasher = p.key.is_none().then(|| {
        let path = p.file.clone();
        std::thread::spawn(move || {
            std::fs::File::open(&path)
                .and_then(KeyHasher::of_reader)
                .with_context(|| format!("cannot read {}", path.display()))
        })
    });
    let bar = progress::bytes_bar(raw.size(), !json, "caching");
    let mut w = store.writer(raw.dialect(), raw.encoding())?;
    let total = raw.size();
    let mut seen = 0u64;
    let point_bytes: Vec<u64> = raw
        .plots()
        .iter()
        .map(|p| p.types.iter().map(|t| t.size() as u64).sum())
        .collect();
    let raw_bytes = spicelab::store::write_raw(&mut w, &raw, |plot, chunk| {
        let point = point_bytes.get(plot).copied().unwrap_or(0);
        seen = seen.saturating_add(chunk.len as u64 * point);
        bar.set_position(seen.min(total));
    })?;
    let key = match (&p.key, hasher) {
        (Some(k), _) => k.clone(),
        (None, Some(h)) => match h.join() {
            Ok(k) => k?,
            Err(_) => bail!("the thread hashing {} panicked", p.file.display()),
        },
        (None, None) => bail!("no key"),
    };
    let stored = store.commit(w, &key, &JobMeta::default())?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    if json {
        outln!(
            "{}",
            json!({"key": key, "file": p.file, "raw_bytes": raw_bytes, "stored_bytes": stored,
                   "seconds": secs})
        )?;
    } else {
        outln!("{key}")?;
        note!(
            "stored {} ({} column bytes -> {} bytes, ratio {:.3}) in {secs:.2} s",
            p.file.display(),
            raw_bytes,
            stored,
            stored as f64 / raw_bytes.max(1) as f64
        );
    }
    Ok(0)
}

/// What `cache get` wrote.
struct Written {
    plots: usize,
    points: u64,
    raw_bytes: u64,
    format: &'static str,
    log: Option<PathBuf>,
}

/// The layout a stored result is written back in when none is asked for:
/// the one it came from, as far as the writer has it.
fn default_format(meta: &EntryMeta) -> RawFormat {
    let lt = meta.dialect == Dialect::Ltspice;
    if lt && meta.plots.iter().any(|p| p.header.flags.fastaccess) {
        RawFormat::LtspiceFastAccess
    } else if lt {
        RawFormat::LtspiceBinary
    } else if meta.encoding == Encoding::Ascii {
        RawFormat::NgspiceAscii
    } else {
        RawFormat::NgspiceBinary
    }
}

fn format_name(f: RawFormat) -> &'static str {
    match f {
        RawFormat::NgspiceBinary => "ngspice",
        RawFormat::NgspiceAscii => "ngspice-ascii",
        RawFormat::LtspiceBinary => "ltspice",
        RawFormat::LtspiceFastAccess => "ltspice-fastaccess",
    }
}

/// `cache get`: writes the entry's plots as a RAW file into `w`, block by
/// block (PlotWriter, point-major layouts); the LTspice fastaccess layout is
/// variable-major, so a plot written in it is gathered in memory first.
/// Step parameters go to `<output>.log` beside a file output, as LTspice
/// writes them.
fn write_raw(
    mut r: EntryReader<EntryFile>,
    w: &mut Sink,
    log_beside: Option<&Path>,
    format: Option<OutFormat>,
    show: bool,
) -> cache_zstd::Result<Written> {
    let name = log_beside.unwrap_or(Path::new("-"));
    let io = |e: std::io::Error| CacheError::io(name, e);
    let raw_err =
        |e: raw_stream::RawError| CacheError::io(name, std::io::Error::other(e.to_string()));
    let meta = r.meta().clone();
    let fmt = match format {
        Some(OutFormat::Ngspice) => RawFormat::NgspiceBinary,
        Some(OutFormat::NgspiceAscii) => RawFormat::NgspiceAscii,
        Some(OutFormat::Ltspice) => RawFormat::LtspiceBinary,
        Some(OutFormat::LtspiceFastaccess) => RawFormat::LtspiceFastAccess,
        Some(OutFormat::Csv) | None => default_format(&meta),
    };
    let total = meta.raw_bytes();
    let bar = progress::bytes_bar(total, show, "writing");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, w);
    let mut pending = r.next_block()?;
    let mut done = 0u64;
    for (pi, p) in meta.plots.iter().enumerate() {
        let complex = p.header.flags.complex || p.types.iter().any(|t| t.is_complex());
        let point: u64 = p.types.iter().map(|t| t.size() as u64).sum();
        if fmt == RawFormat::LtspiceFastAccess {
            let mut columns: Vec<Column> = p
                .types
                .iter()
                .map(|&t| Column::with_capacity(t, 0))
                .collect();
            while let Some(b) = pending.take_if(|b| b.plot == pi) {
                for (c, part) in columns.iter_mut().zip(&b.columns) {
                    c.extend_from(part);
                }
                pending = r.next_block()?;
            }
            let plot = waveform::Plot {
                header: p.header.clone(),
                columns,
                steps: p.steps.clone(),
            };
            raw_stream::write_plot(&mut w, fmt, &plot).map_err(raw_err)?;
            done += p.n_points * point;
            bar.set_position(done);
            continue;
        }
        let mut pw =
            PlotWriter::begin(&mut w, fmt, &p.header, &p.types, p.n_points).map_err(raw_err)?;
        let mut row = vec![0.0; p.types.len()];
        let mut crow = vec![Complex64::default(); p.types.len()];
        while let Some(b) = pending.take_if(|b| b.plot == pi) {
            for i in 0..b.len() {
                if complex {
                    for (v, c) in crow.iter_mut().zip(&b.columns) {
                        *v = c.get_complex(i).unwrap_or_default();
                    }
                    pw.write_point_complex(&crow).map_err(raw_err)?;
                } else {
                    for (v, c) in row.iter_mut().zip(&b.columns) {
                        *v = c.get_f64(i).unwrap_or(0.0);
                    }
                    pw.write_point(&row).map_err(raw_err)?;
                }
            }
            done += b.len() as u64 * point;
            bar.set_position(done);
            pending = r.next_block()?;
        }
        pw.finish().map_err(raw_err)?;
    }
    w.flush().map_err(io)?;
    drop(w);
    bar.finish_and_clear();
    let log = match (
        log_beside,
        meta.plots.iter().find(|p| !p.steps.params.is_empty()),
    ) {
        (Some(output), Some(p))
            if std::fs::metadata(output)
                .map(|m| m.is_file())
                .unwrap_or(true) =>
        {
            let path = output.with_extension("log");
            let mut text = format!("Circuit: {}\n\n", p.header.title);
            for step in &p.steps.params {
                text.push_str(".step");
                for (name, value) in step {
                    // `{:e}`: the shortest text that reads back to the same f64.
                    text.push_str(&format!(" {name}={value:e}"));
                }
                text.push('\n');
            }
            outfile::write(&path, text.as_bytes())
                .map_err(|e| CacheError::io(&path, std::io::Error::other(e.to_string())))?;
            Some(path)
        }
        _ => None,
    };
    Ok(Written {
        plots: meta.plots.len(),
        points: meta.plots.iter().map(|p| p.n_points).sum(),
        raw_bytes: total,
        format: format_name(fmt),
        log,
    })
}

/// One plot of a cached result as CSV, as `export` writes it.
fn write_csv(w: &mut Sink, p: &waveform::Plot) -> anyhow::Result<()> {
    let step_cols = super::csv::StepColumns::of(&p.steps);
    let mut names = super::csv::column_names(
        p.header
            .variables
            .iter()
            .zip(&p.columns)
            .map(|(v, c)| (v.name.clone(), c.is_complex())),
        false,
    );
    if let Some(sc) = &step_cols {
        let mut all = sc.names(&names);
        all.append(&mut names);
        names = all;
    }
    w.write_all(super::csv::header_line(&names).as_bytes())?;
    let vars: Vec<usize> = (0..p.columns.len()).collect();
    let mut line = String::new();
    let mut prefix = (usize::MAX, String::new());
    for i in 0..p.len() {
        line.clear();
        if let Some(sc) = &step_cols {
            let k = p.steps.step_of(i as u64);
            if prefix.0 != k {
                prefix = (k, sc.prefix(&p.steps, k));
            }
            line.push_str(&prefix.1);
        }
        super::csv::push_row(&mut line, &p.columns, &vars, i, None);
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}
