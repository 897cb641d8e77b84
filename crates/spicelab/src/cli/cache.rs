//! `spicelab cache`: the local result cache.

use super::progress;
use anyhow::{bail, Context};
use cache_zstd::{
    check_key, CacheError, CodecChoice, DiskStore, EncodeOptions, EntryFile, EntryMeta,
    EntryReader, JobMeta, KeyHasher, ResultCache, Secret,
};
use clap::{Args, Subcommand, ValueEnum};
use raw_stream::{Chunk, OpenOptions, PlotWriter, RawFile, RawFormat};
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
    /// One JSON object on stdout (documented in docs/cli.md).
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
    /// Write the result stored under KEY as a RAW file with the same values
    /// (and step parameters in FILE.log beside it when the result has them).
    Get {
        /// The key (64 lowercase hex characters).
        key: String,
        /// Output RAW file.
        #[arg(short, long)]
        output: PathBuf,
        /// Layout of the output (default: the stored result's: LTspice binary,
        /// fastaccess when its plots were, for LTspice results; ngspice ASCII
        /// for ASCII results; ngspice binary otherwise).
        #[arg(long, value_enum)]
        format: Option<OutFormat>,
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
}

fn parse_size_arg(s: &str) -> Result<u64, String> {
    parse_size(s).ok_or_else(|| format!("'{s}' is not a size (e.g. 10GiB, 500MB, 123456)"))
}

pub fn run(a: &CacheArgs) -> anyhow::Result<i32> {
    let store = DiskStore::open(a.dir.as_deref()).context("cannot open the cache")?;
    match &a.command {
        CacheCommand::Stats => {
            let s = store.stats()?;
            if a.json {
                println!(
                    "{}",
                    json!({"dir": store.dir(), "entries": s.entries, "raw_bytes": s.raw_bytes,
                           "stored_bytes": s.stored_bytes, "other_versions": s.other_versions,
                           "ratio": if s.raw_bytes > 0 { Some(s.stored_bytes as f64 / s.raw_bytes as f64) } else { None }})
                );
            } else {
                println!("cache:        {}", store.dir().display());
                println!("entries:      {}", s.entries);
                println!("column bytes: {}", s.raw_bytes);
                println!("stored bytes: {}", s.stored_bytes);
                if s.other_versions > 0 {
                    println!(
                        "other versions: {} (entries this build does not read, left for the builds that do)",
                        s.other_versions
                    );
                }
                if s.raw_bytes > 0 {
                    println!(
                        "ratio:        {:.3}",
                        s.stored_bytes as f64 / s.raw_bytes as f64
                    );
                }
            }
            Ok(0)
        }
        CacheCommand::Verify => {
            let r = store.verify()?;
            if a.json {
                println!(
                    "{}",
                    json!({"dir": store.dir(), "checked": r.checked, "ok": r.ok,
                           "removed": r.removed.iter().map(|(p, why)| json!({"path": p, "reason": why})).collect::<Vec<_>>(),
                           "skipped": r.skipped, "other_versions": r.skipped.len(),
                           "stale_temp_files": r.stale_temp_files})
                );
            } else {
                println!(
                    "{} entries checked, {} good, {} corrupt removed",
                    r.checked,
                    r.ok,
                    r.removed.len()
                );
                for (p, why) in &r.removed {
                    println!("  removed {}: {why}", p.display());
                }
                if !r.skipped.is_empty() {
                    println!(
                        "{} entries of other format versions left in place",
                        r.skipped.len()
                    );
                }
            }
            Ok(if r.removed.is_empty() { 0 } else { 1 })
        }
        CacheCommand::Gc { max_size } => {
            let r = store.gc(*max_size)?;
            if a.json {
                println!(
                    "{}",
                    json!({"dir": store.dir(), "evicted": r.evicted, "freed_bytes": r.freed_bytes,
                           "entries": r.entries, "stored_bytes": r.stored_bytes})
                );
            } else {
                println!(
                    "evicted {} entries ({} bytes); {} entries, {} bytes left",
                    r.evicted, r.freed_bytes, r.entries, r.stored_bytes
                );
            }
            Ok(0)
        }
        CacheCommand::Put(p) => put(store, p, a.json),
        CacheCommand::Get {
            key,
            output,
            format,
        } => {
            let store = store.with_secret(Secret::from_env());
            let started = Instant::now();
            let show = !a.json;
            let got = store.read_with(key, |r| write_raw(r, output, *format, show))?;
            let Some(w) = got else {
                bail!(
                    "no entry under {key} in {} (or one that this build does not read: see the warning above)",
                    store.dir().display()
                );
            };
            let secs = started.elapsed().as_secs_f64();
            if a.json {
                println!(
                    "{}",
                    json!({"key": key, "output": output, "plots": w.plots, "points": w.points,
                           "raw_bytes": w.raw_bytes, "format": w.format, "log": w.log,
                           "seconds": secs})
                );
            } else {
                eprintln!(
                    "wrote {} ({} plot(s), {} points, {} layout{}) in {secs:.2} s",
                    output.display(),
                    w.plots,
                    w.points,
                    w.format,
                    match &w.log {
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
    let raw = RawFile::open_with(
        &p.file,
        &OpenOptions {
            dialect: p.dialect,
            strict: true,
            ..OpenOptions::default()
        },
    )?;
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
    let mut raw_bytes = 0u64;
    let mut chunk = Chunk::default();
    for i in 0..raw.plots().len() {
        let plot = raw.plot(i)?;
        let types = plot.info().types.clone();
        let point: u64 = types.iter().map(|t| t.size() as u64).sum();
        w.begin_plot(plot.header(), &types)?;
        let mut chunks = plot.chunks(1 << 16);
        while chunks.fill(&mut chunk)? {
            w.write_columns(&chunk.columns)?;
            raw_bytes += chunk.len as u64 * point;
            bar.set_position(raw_bytes.min(raw.size()));
        }
        w.end_plot(&*plot.steps()?)?;
    }
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
        println!(
            "{}",
            json!({"key": key, "file": p.file, "raw_bytes": raw_bytes, "stored_bytes": stored,
                   "seconds": secs})
        );
    } else {
        println!("{key}");
        eprintln!(
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

/// `cache get`: writes the entry's plots as a RAW file, block by block
/// (PlotWriter, point-major layouts), atomically; the LTspice fastaccess
/// layout is variable-major, so a plot written in it is gathered in memory
/// first. Step parameters go to `<output>.log`, as LTspice writes them.
fn write_raw(
    mut r: EntryReader<EntryFile>,
    output: &Path,
    format: Option<OutFormat>,
    show: bool,
) -> cache_zstd::Result<Written> {
    let io = |e: std::io::Error| CacheError::io(output, e);
    let meta = r.meta().clone();
    let fmt = match format {
        Some(OutFormat::Ngspice) => RawFormat::NgspiceBinary,
        Some(OutFormat::NgspiceAscii) => RawFormat::NgspiceAscii,
        Some(OutFormat::Ltspice) => RawFormat::LtspiceBinary,
        Some(OutFormat::LtspiceFastaccess) => RawFormat::LtspiceFastAccess,
        None => default_format(&meta),
    };
    let total = meta.raw_bytes();
    let bar = progress::bytes_bar(total, show, "writing");
    let out = raw_stream::atomic::AtomicFile::create(output).map_err(io)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, out.file());
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
            raw_stream::write_plot(&mut w, fmt, &plot).map_err(io)?;
            done += p.n_points * point;
            bar.set_position(done);
            continue;
        }
        let mut pw = PlotWriter::begin(&mut w, fmt, &p.header, &p.types, p.n_points).map_err(io)?;
        let mut row = vec![0.0; p.types.len()];
        let mut crow = vec![Complex64::default(); p.types.len()];
        while let Some(b) = pending.take_if(|b| b.plot == pi) {
            for i in 0..b.len() {
                if complex {
                    for (v, c) in crow.iter_mut().zip(&b.columns) {
                        *v = c.get_complex(i).unwrap_or_default();
                    }
                    pw.write_point_complex(&crow).map_err(io)?;
                } else {
                    for (v, c) in row.iter_mut().zip(&b.columns) {
                        *v = c.get_f64(i).unwrap_or(0.0);
                    }
                    pw.write_point(&row).map_err(io)?;
                }
            }
            done += b.len() as u64 * point;
            bar.set_position(done);
            pending = r.next_block()?;
        }
        pw.finish().map_err(io)?;
    }
    w.flush().map_err(io)?;
    drop(w);
    out.commit().map_err(io)?;
    bar.finish_and_clear();
    let log = match meta.plots.iter().find(|p| !p.steps.params.is_empty()) {
        Some(p)
            if std::fs::metadata(output)
                .map(|m| m.is_file())
                .unwrap_or(false) =>
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
            let lf = raw_stream::atomic::AtomicFile::create(&path)
                .map_err(|e| CacheError::io(&path, e))?;
            lf.file()
                .write_all(text.as_bytes())
                .map_err(|e| CacheError::io(&path, e))?;
            lf.commit().map_err(|e| CacheError::io(&path, e))?;
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
