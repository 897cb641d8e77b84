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
#[command(after_help = "\
Examples:
  spicelab export tran.raw -o tran.csv
  spicelab export sweep.raw -o - --var 'V(out)' --step 1 --step r1=10k
  spicelab export tran.raw -o win.csv --from 1m --to 2m
  spicelab export loop.raw -o run.csv --plot 0 --plot 2   # run.plot0.csv, run.plot2.csv

A stepped plot's CSV starts with `step` (the step's number in the file, also
when --step picks some) and one column per step parameter (from LTspice's
.log, or QSPICE's stepped parameter). With several --plot, each plot goes to
its own file: OUT with `.plotN` before the extension (out.csv ->
out.plot2.csv, N the plot's index in the file); stdout takes one plot only.")]
pub struct ExportArgs {
    #[command(flatten)]
    open: OpenArgs,
    /// Output file (`-` for stdout). Written to a temporary name and renamed when complete;
    /// a device or FIFO is written in place, a symlink followed, a replaced file keeps its
    /// mode. It may not be the input file.
    #[arg(short, long)]
    output: PathBuf,
    /// Plot to export (0-based; default 0). Repeatable: each plot then goes to its own
    /// file, `.plotN` put before the extension of --output (out.csv -> out.plot1.csv).
    /// CSV only: HDF5 holds every plot.
    #[arg(long = "plot", value_name = "N")]
    plots: Vec<usize>,
    /// Only these vectors (repeatable): names, globs (`'v(*)'`) or lists (`v(out),v(in)`),
    /// ignoring case; the scale is always included when the plot has one.
    /// CSV only: HDF5 holds every plot and vector.
    #[arg(long = "var", value_name = "NAME")]
    vars: Vec<String>,
    /// Only this step of a stepped plot (repeatable, written in the order given): a number
    /// from 0, or NAME=VALUE for the step whose parameter has that value (SPICE numbers:
    /// `r1=1k`). CSV only.
    #[arg(long = "step", value_name = "K|NAME=VALUE")]
    steps: Vec<spicelab::select::StepSel>,
    /// Only the points whose scale value (time, frequency, swept value) is at least T,
    /// in every step (SPICE numbers: `2m`). CSV only.
    #[arg(long, value_name = "T", value_parser = super::parse_spice_arg)]
    from: Option<f64>,
    /// Only the points whose scale value is at most T.
    #[arg(long, value_name = "T", value_parser = super::parse_spice_arg)]
    to: Option<f64>,
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
    let window = spicelab::select::Window {
        from: a.from,
        to: a.to,
    };
    if let (Some(f), Some(t)) = (a.from, a.to) {
        if f > t {
            return Err(Fail::new(
                Kind::Usage,
                format!("--from {f} is after --to {t}: nothing to export"),
            )
            .into());
        }
    }
    let raw = a.open.open()?;
    let mut plots: Vec<usize> = Vec::new();
    for &p in &a.plots {
        if !plots.contains(&p) {
            plots.push(p);
        }
    }
    if plots.is_empty() {
        plots.push(0);
        if raw.plots().len() > 1 {
            tracing::info!(
                "{} has {} plots; exporting plot 0 ('{}'), choose others with --plot",
                raw.path().display(),
                raw.plots().len(),
                raw.plots()[0].header.plotname
            );
        }
    }
    if plots.len() > 1 && output::is_stdout(&a.output) {
        return Err(Fail::new(
            Kind::Usage,
            format!(
                "{} plots cannot all go to stdout: give -o FILE.csv (each plot then goes to \
                 FILE.plotN.csv) or one --plot",
                plots.len()
            ),
        )
        .into());
    }
    // Plan every plot first (vectors, steps, windows): a bad selection
    // fails before any file is written.
    let mut jobs = Vec::new();
    for &p in &plots {
        let out = if plots.len() > 1 {
            plot_path(&a.output, p)
        } else {
            a.output.clone()
        };
        output::refuse_input_as_output(&out, &a.open.file)?;
        jobs.push((plan(&raw, p, a, window)?, out));
    }
    for (job, out) in &jobs {
        write_plot(&raw, job, out, a, progress_on)?;
    }
    Ok(0)
}

/// `OUT` with `.plotN` before its extension: `run.csv` -> `run.plot2.csv`,
/// `run` -> `run.plot2`.
pub fn plot_path(out: &std::path::Path, plot: usize) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match out.extension() {
        Some(ext) => format!("{stem}.plot{plot}.{}", ext.to_string_lossy()),
        None => format!("{stem}.plot{plot}"),
    };
    out.with_file_name(name)
}

/// What to write of one plot.
struct Plan {
    plot: usize,
    vars: Vec<usize>,
    steps: std::sync::Arc<waveform::Steps>,
    step_cols: Option<csv::StepColumns>,
    /// (step, points) in the order written.
    ranges: Vec<(usize, std::ops::Range<u64>)>,
}

fn plan(
    raw: &raw_stream::RawFile,
    p: usize,
    a: &ExportArgs,
    window: spicelab::select::Window,
) -> anyhow::Result<Plan> {
    let plot = raw.plot(p)?;
    let info = plot.info();
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
    let swept = info
        .header
        .variables
        .first()
        .is_some_and(|v| v.kind == waveform::VarKind::Parameter);
    if !window.is_all() && !info.header.has_scale() && !swept {
        return Err(Fail::new(
            Kind::Usage,
            format!(
                "--from/--to: plot {p} ('{}') of {} has no scale to take a window on",
                info.header.plotname,
                raw.path().display()
            ),
        )
        .into());
    }
    let steps = plot.steps()?;
    let chosen = spicelab::select::select_steps(&steps, &a.steps).map_err(|message| {
        raw_stream::RawError::Select {
            path: raw.path().to_path_buf(),
            plot: p,
            message,
        }
    })?;
    let ranges = if a.steps.is_empty() && window.is_all() {
        // the whole plot, as it is stored
        vec![(0, 0..info.complete_points)]
    } else {
        spicelab::select::window_ranges(&plot, &steps, &chosen, window)?
    };
    Ok(Plan {
        plot: p,
        vars,
        step_cols: csv::StepColumns::of(&steps),
        steps,
        ranges,
    })
}

fn write_plot(
    raw: &raw_stream::RawFile,
    job: &Plan,
    out: &std::path::Path,
    a: &ExportArgs,
    progress_on: bool,
) -> anyhow::Result<()> {
    let plot = raw.plot(job.plot)?;
    let info = plot.info();
    let vars = &job.vars;
    let mut w = Sink::create(out)?;
    let form = a.complex.form();
    let mut names = csv::column_names_as(
        vars.iter().map(|&v| {
            (
                info.header.variables[v].name.clone(),
                info.types[v].is_complex(),
            )
        }),
        false,
        form,
    );
    if let Some(sc) = &job.step_cols {
        let mut all = sc.names(&names);
        all.append(&mut names);
        names = all;
    }
    w.write_all(csv::header_line(&names).as_bytes())?;
    let mut unwrap = vec![spicelab::ac::Unwrap::default(); vars.len()];
    let total: u64 = job.ranges.iter().map(|(_, r)| r.end - r.start).sum();
    let per_point = (info.data_end - info.data_offset) / info.complete_points.max(1);
    let bar = progress::bytes_bar(total * per_point, progress_on && !w.is_stdout(), "export");
    let select = (vars.len() != info.header.variables.len()).then(|| vars.clone());
    let mut chunk = Chunk::default();
    let mut line = String::new();
    let mut prefix = (usize::MAX, String::new());
    let mut done = 0u64;
    for (_, range) in &job.ranges {
        // the phase unwraps again from each step's start (a window's start too)
        unwrap.iter_mut().for_each(spicelab::ac::Unwrap::reset);
        let mut it = plot.chunks_in(range.clone(), 1 << 14, select.clone());
        while it.fill(&mut chunk)? {
            for i in 0..chunk.len {
                line.clear();
                if let Some(sc) = &job.step_cols {
                    let s = job.steps.step_of(chunk.start + i as u64);
                    if s != prefix.0 {
                        unwrap.iter_mut().for_each(spicelab::ac::Unwrap::reset);
                        prefix = (s, sc.prefix(&job.steps, s));
                    }
                    line.push_str(&prefix.1);
                }
                csv::push_row_as(&mut line, &chunk.columns, vars, i, None, form, &mut unwrap);
                w.write_all(line.as_bytes())?;
            }
            done += chunk.len as u64;
            bar.set_position(done * per_point);
        }
    }
    let to_stdout = w.is_stdout();
    w.finish()?;
    bar.finish_and_clear();
    if !to_stdout {
        note!(
            "wrote {} (plot {}, {} points x {} columns)",
            out.display(),
            job.plot,
            done,
            names.len()
        );
    }
    Ok(())
}

#[cfg(feature = "hdf5")]
fn run_hdf5(a: &ExportArgs, progress_on: bool) -> anyhow::Result<i32> {
    if output::is_stdout(&a.output) {
        return Err(Fail::new(Kind::Usage, "HDF5 cannot go to stdout: give -o FILE.h5").into());
    }
    if !a.steps.is_empty() || a.from.is_some() || a.to.is_some() {
        return Err(Fail::new(
            Kind::Usage,
            "--step, --from and --to are for CSV: the HDF5 file holds every point of every \
             plot (select in xarray: ds.sel(time=slice(a, b)))",
        )
        .into());
    }
    if !a.vars.is_empty() || !a.plots.is_empty() {
        tracing::warn!("--var and --plot are for CSV: the HDF5 file holds every plot and vector");
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
