//! `spicelab export`.

use super::out::{note, Fail, Kind};
use super::output::{self, Sink};
use super::{csv, progress, OpenArgs};
use clap::{Args, ValueEnum};
use raw_stream::Chunk;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Csv,
    /// Every plot of the file as HDF5 (docs/hdf5.md); needs the `hdf5` feature.
    Hdf5,
}

/// `--complex`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Complex {
    /// `re(v)`, `im(v)`.
    Reim,
    /// `mag(v)`, `ph(v)` (degrees).
    Magphase,
    /// `db(v)` (20 log10 |v|), `ph(v)` (degrees).
    Db,
}

impl Complex {
    /// The facade's form.
    pub fn form(self) -> spicelab::ac::ComplexForm {
        match self {
            Complex::Reim => spicelab::ac::ComplexForm::ReIm,
            Complex::Magphase => spicelab::ac::ComplexForm::MagPhase,
            Complex::Db => spicelab::ac::ComplexForm::Db,
        }
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    open: OpenArgs,
    /// Output file (`-` for stdout). Written to a temporary name and renamed when complete;
    /// a device or FIFO is written in place, a symlink followed, a replaced file keeps its
    /// mode. It may not be the input file.
    #[arg(short, long)]
    output: PathBuf,
    /// Plot to export (0-based).
    #[arg(long = "plot", value_name = "N", default_value_t = 0)]
    plot: usize,
    /// Only these vectors (repeatable): names, globs (`'v(*)'`) or lists (`v(out),v(in)`),
    /// ignoring case; the scale is always included when the plot has one.
    /// CSV only: HDF5 holds every plot and vector.
    #[arg(long = "var", value_name = "NAME")]
    vars: Vec<String>,
    /// Complex vectors (AC, noise) as re/im, magnitude and phase, or dB and
    /// phase (degrees, unwrapped along frequency, again from each step's start).
    #[arg(long, value_enum, default_value_t = Complex::Reim)]
    complex: Complex,
    /// Output format (taken from the extension of --output when not given: .csv or none is
    /// CSV, .h5/.hdf5/.nc is HDF5).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// HDF5 compression: deflate-N (1..9), zstd-N (through the HDF5 filter plugin, deflate
    /// when it is not installed) or none.
    #[arg(long, value_name = "CODEC", default_value = "deflate-1")]
    compression: String,
}

/// The format named by the output's extension (`.csv`, or no extension:
/// CSV), for `export` and `cache get`.
pub fn ext_of(path: &std::path::Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

pub fn run(a: &ExportArgs, progress_on: bool) -> anyhow::Result<i32> {
    let format = match a.format {
        Some(f) => f,
        None if output::is_stdout(&a.output) => Format::Csv,
        None => match ext_of(&a.output).as_deref() {
            Some("csv") | None => Format::Csv,
            Some("h5" | "hdf5" | "nc" | "he5") => Format::Hdf5,
            Some(ext) => {
                return Err(Fail::new(
                    Kind::Usage,
                    format!(
                        "cannot tell the format from '.{ext}' of {}: name it .csv or .h5, or give \
                         --format csv|hdf5",
                        a.output.display()
                    ),
                )
                .into())
            }
        },
    };
    output::refuse_input_as_output(&a.output, &a.open.file)?;
    if format == Format::Hdf5 {
        return run_hdf5(a, progress_on);
    }
    let raw = a.open.open()?;
    let plot = raw.plot(a.plot)?;
    let info = plot.info();
    if raw.plots().len() > 1 {
        tracing::info!(
            "{} has {} plots; exporting plot {} ('{}'), choose another with --plot",
            raw.path().display(),
            raw.plots().len(),
            a.plot,
            info.header.plotname
        );
    }
    let mut vars: Vec<usize> = Vec::new();
    if a.vars.is_empty() {
        vars.extend(0..info.header.variables.len());
    } else {
        if info.header.has_scale() {
            vars.push(0);
        }
        for i in spicelab::select::select_in_plot(&plot, &a.vars)? {
            if !vars.contains(&i) {
                vars.push(i);
            }
        }
    }
    let steps = plot.steps()?;
    let stepped = steps.count() > 1;

    let mut w = Sink::create(&a.output)?;
    let form = a.complex.form();
    let names = csv::column_names_as(
        vars.iter().map(|&v| {
            (
                info.header.variables[v].name.clone(),
                info.types[v].is_complex(),
            )
        }),
        stepped,
        form,
    );
    w.write_all(csv::header_line(&names).as_bytes())?;
    let mut unwrap = vec![spicelab::ac::Unwrap::default(); vars.len()];
    let mut last_step = 0;

    let bar = progress::bytes_bar(
        info.data_end - info.data_offset,
        progress_on && !w.is_stdout(),
        "export",
    );
    let per_point = (info.data_end - info.data_offset) / info.complete_points.max(1);
    let select = (vars.len() != info.header.variables.len()).then(|| vars.clone());
    let mut it = plot.chunks_of(1 << 14, select);
    let mut chunk = Chunk::default();
    let mut line = String::new();
    while it.fill(&mut chunk)? {
        for i in 0..chunk.len {
            line.clear();
            let step = stepped.then(|| steps.step_of(chunk.start + i as u64));
            if let Some(s) = step.filter(|&s| s != last_step) {
                // the phase unwraps again from each step's start
                unwrap.iter_mut().for_each(spicelab::ac::Unwrap::reset);
                last_step = s;
            }
            csv::push_row_as(&mut line, &chunk.columns, &vars, i, step, form, &mut unwrap);
            w.write_all(line.as_bytes())?;
        }
        bar.set_position((chunk.start + chunk.len as u64) * per_point);
    }
    let to_stdout = w.is_stdout();
    w.finish()?;
    bar.finish_and_clear();
    if !to_stdout {
        note!(
            "wrote {} ({} points x {} columns)",
            a.output.display(),
            info.complete_points,
            names.len()
        );
    }
    Ok(0)
}

#[cfg(feature = "hdf5")]
fn run_hdf5(a: &ExportArgs, progress_on: bool) -> anyhow::Result<i32> {
    if output::is_stdout(&a.output) {
        return Err(Fail::new(Kind::Usage, "HDF5 cannot go to stdout: give -o FILE.h5").into());
    }
    if !a.vars.is_empty() {
        tracing::warn!("--var is for CSV: the HDF5 file holds every plot and vector");
    }
    let compression: store_hdf5::Compression = a
        .compression
        .parse()
        .map_err(|e: String| Fail::new(Kind::Usage, format!("--compression: {e}")))?;
    let opts = store_hdf5::Options {
        compression,
        ..store_hdf5::Options::default()
    };
    let raw = a.open.open()?;
    let total: u64 = raw.plots().iter().map(|p| p.data_end - p.data_offset).sum();
    let bar = progress::bytes_bar(total, progress_on, "export");
    let t0 = std::time::Instant::now();
    let report = store_hdf5::export_raw(&raw, &a.output, &opts, &mut |b| bar.set_position(b))
        .map_err(|e| Fail::wrap(Kind::Output, e))?;
    bar.finish_and_clear();
    let secs = t0.elapsed().as_secs_f64().max(1e-9);
    note!(
        "wrote {} ({} plots, {} points, {}, {:.0} MB/s)",
        a.output.display(),
        report.plots.len(),
        report.points,
        report.compression,
        report.bytes_in as f64 / secs / 1e6
    );
    Ok(0)
}

#[cfg(not(feature = "hdf5"))]
fn run_hdf5(_a: &ExportArgs, _progress_on: bool) -> anyhow::Result<i32> {
    Err(Fail::new(
        Kind::Usage,
        "this spicelab was built without HDF5 (the `hdf5` feature): export to CSV, or rebuild \
         with the default features",
    )
    .into())
}
