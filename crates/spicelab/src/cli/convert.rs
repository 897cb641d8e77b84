//! `spicelab convert`: a RAW file in another simulator's layout, streaming.

use super::out::note;
use super::output::{self, Sink};
use super::{progress, OpenArgs};
use clap::{Args, ValueEnum};
use raw_stream::{Chunk, ColumnWriter, PlotWriter, RawFormat};
use std::path::PathBuf;
use waveform::Complex64;

/// The layouts `convert` writes.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ConvertFormat {
    /// ngspice `-r` binary: every value f64 (complex: two f64).
    #[value(alias = "ngspice")]
    NgspiceBinary,
    /// ngspice ASCII (`Values:`), every value with the shortest exact text.
    NgspiceAscii,
    /// LTspice binary, point-major: time f64, traces f32, or every trace f64
    /// (the `double` flag) when the source has f64 traces, so nothing is lost.
    Ltspice,
    /// LTspice binary, `fastaccess` (variable-major).
    LtspiceFastaccess,
}

impl ConvertFormat {
    fn raw_format(self) -> RawFormat {
        match self {
            ConvertFormat::NgspiceBinary => RawFormat::NgspiceBinary,
            ConvertFormat::NgspiceAscii => RawFormat::NgspiceAscii,
            ConvertFormat::Ltspice => RawFormat::LtspiceBinary,
            ConvertFormat::LtspiceFastaccess => RawFormat::LtspiceFastAccess,
        }
    }
}

/// Arguments of `spicelab convert`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  spicelab convert ltspice.raw -o for-ngspice.raw --format ngspice-binary
  spicelab convert tran.raw -o tran.txt.raw --format ngspice-ascii
  spicelab convert tran.raw -o lt.raw --format ltspice-fastaccess

Every plot is converted, streaming (a few MiB of memory for any size); the
values keep their bits wherever the target layout can hold them (ngspice
stores f64, so LTspice's f32 traces widen exactly; LTspice output keeps f64
traces with its `double` flag). Step parameters that LTspice keeps in its
.log are not part of a RAW file and are not carried over.")]
pub struct ConvertArgs {
    #[command(flatten)]
    open: OpenArgs,
    /// Output file (`-` for stdout). Written to a temporary name and renamed when complete;
    /// it may not be the input file.
    #[arg(short, long)]
    output: PathBuf,
    /// The layout to write.
    #[arg(long, value_enum)]
    format: ConvertFormat,
}

/// Points per chunk read.
const CHUNK: usize = 1 << 14;

/// Runs `spicelab convert`.
pub fn run(a: &ConvertArgs, progress_on: bool) -> anyhow::Result<i32> {
    output::refuse_input_as_output(&a.output, &a.open.file)?;
    let raw = a.open.open()?;
    let fmt = a.format.raw_format();
    let mut w = Sink::create(&a.output)?;
    let total: u64 = raw.plots().iter().map(|p| p.data_end - p.data_offset).sum();
    let bar = progress::bytes_bar(total, progress_on && !w.is_stdout(), "convert");
    let mut done = 0u64;
    let mut points = 0u64;
    let mut chunk = Chunk::default();
    for i in 0..raw.plots().len() {
        let plot = raw.plot(i)?;
        let info = plot.info();
        let n = info.complete_points;
        let nvars = info.header.variables.len();
        let bytes = info.data_end - info.data_offset;
        let per_value = bytes / (n.max(1) * nvars.max(1) as u64);
        if fmt == RawFormat::LtspiceFastAccess && !info.types.iter().any(|t| t.is_complex()) {
            let mut cw =
                ColumnWriter::begin_named(&mut w, &a.output, &info.header, &info.types, n)?;
            for v in 0..nvars {
                let mut it = plot.chunks_of(CHUNK, Some(vec![v]));
                while it.fill(&mut chunk)? {
                    if let Some(c) = chunk.columns.get(v) {
                        cw.write_values(c)?;
                    }
                    bar.set_position(
                        done + (v as u64 * n + chunk.start + chunk.len as u64) * per_value,
                    );
                }
            }
            cw.finish()?;
        } else if fmt == RawFormat::LtspiceFastAccess {
            // Complex fastaccess: the writer takes whole plots (complex AC
            // files are small: one point per frequency).
            raw_stream::write_plot(&mut w, fmt, &plot.read()?)?;
        } else {
            let complex = info.header.flags.complex || info.types.iter().any(|t| t.is_complex());
            let mut pw =
                PlotWriter::begin_named(&mut w, &a.output, fmt, &info.header, &info.types, n)?;
            let mut row = vec![0.0; nvars];
            let mut crow = vec![Complex64::default(); nvars];
            let mut it = plot.chunks(CHUNK);
            while it.fill(&mut chunk)? {
                for k in 0..chunk.len {
                    if complex {
                        for (r, c) in crow.iter_mut().zip(&chunk.columns) {
                            *r = c.get_complex(k).unwrap_or_default();
                        }
                        pw.write_point_complex(&crow)?;
                    } else {
                        for (r, c) in row.iter_mut().zip(&chunk.columns) {
                            *r = c.get_f64(k).unwrap_or(0.0);
                        }
                        pw.write_point(&row)?;
                    }
                }
                bar.set_position(
                    done + (chunk.start + chunk.len as u64) * per_value * nvars as u64,
                );
            }
            pw.finish()?;
        }
        done += bytes;
        points += n;
    }
    let to_stdout = w.is_stdout();
    w.finish()?;
    bar.finish_and_clear();
    if !to_stdout {
        note!(
            "wrote {} ({} plot(s), {points} points, {})",
            a.output.display(),
            raw.plots().len(),
            match a.format {
                ConvertFormat::NgspiceBinary => "ngspice binary",
                ConvertFormat::NgspiceAscii => "ngspice ASCII",
                ConvertFormat::Ltspice => "LTspice binary",
                ConvertFormat::LtspiceFastaccess => "LTspice fastaccess",
            }
        );
    }
    Ok(0)
}
