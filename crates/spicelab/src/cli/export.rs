//! `spicelab export`.

use super::{progress, OpenArgs};
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use raw_stream::atomic::AtomicFile;
use raw_stream::Chunk;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use waveform::Column;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    open: OpenArgs,
    /// Output file (`-` for stdout). Written to a temporary name and renamed when complete.
    #[arg(short, long)]
    output: PathBuf,
    /// Plot to export (0-based).
    #[arg(long = "plot", value_name = "N", default_value_t = 0)]
    plot: usize,
    /// Only these vectors (repeatable); the scale is always included when the plot has one.
    #[arg(long = "var", value_name = "NAME")]
    vars: Vec<String>,
    /// Output format (taken from the extension of --output when not given).
    #[arg(long, value_enum)]
    format: Option<Format>,
}

/// Shortest text that reads back to the same f64: the one float-to-text
/// helper of the RAW writer ([`raw_stream::float_text`]).
pub fn fmt_f64(x: f64, out: &mut String) {
    raw_stream::float_text::push_f64(x, out);
}

/// Shortest text that reads back to the same f32.
fn fmt_f32(x: f32, out: &mut String) {
    raw_stream::float_text::push_f32(x, out);
}

pub fn run(a: &ExportArgs, progress_on: bool) -> anyhow::Result<i32> {
    let format = match a.format {
        Some(f) => f,
        None => match a.output.extension().and_then(|e| e.to_str()) {
            Some("csv") | None => Format::Csv,
            _ if a.output == Path::new("-") => Format::Csv,
            Some(ext) => bail!(
                "cannot tell the format from '.{ext}': give --format csv (HDF5 export comes with the hdf5 feature)"
            ),
        },
    };
    let Format::Csv = format;
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
        for n in &a.vars {
            let i = plot.var_index(n)?;
            if !vars.contains(&i) {
                vars.push(i);
            }
        }
    }
    let steps = plot.steps()?;
    let stepped = steps.count() > 1;

    let to_stdout = a.output == Path::new("-");
    let tmp = if to_stdout {
        None
    } else {
        Some(
            AtomicFile::create(&a.output)
                .with_context(|| format!("cannot create {}", a.output.display()))?,
        )
    };
    let sink: Box<dyn Write> = match &tmp {
        Some(t) => Box::new(t.file()),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    let mut line = String::new();
    let mut names = Vec::new();
    if stepped {
        names.push("step".to_string());
    }
    for &v in &vars {
        let name = &info.header.variables[v].name;
        if info.types[v].is_complex() {
            names.push(format!("re({name})"));
            names.push(format!("im({name})"));
        } else {
            names.push(name.clone());
        }
    }
    line.push_str(
        &names
            .iter()
            .map(|n| csv_field(n))
            .collect::<Vec<_>>()
            .join(","),
    );
    line.push('\n');
    w.write_all(line.as_bytes())?;

    let bar = progress::bytes_bar(
        info.data_end - info.data_offset,
        progress_on && !to_stdout,
        "export",
    );
    let per_point = (info.data_end - info.data_offset) / info.complete_points.max(1);
    let select = (vars.len() != info.header.variables.len()).then(|| vars.clone());
    let mut it = plot.chunks_of(1 << 14, select);
    let mut chunk = Chunk::default();
    while it.fill(&mut chunk)? {
        for i in 0..chunk.len {
            line.clear();
            if stepped {
                line.push_str(&steps.step_of(chunk.start + i as u64).to_string());
                line.push(',');
            }
            for (k, &v) in vars.iter().enumerate() {
                if k > 0 {
                    line.push(',');
                }
                match &chunk.columns[v] {
                    Column::C64(_) | Column::C32(_) => {
                        let z = chunk.columns[v].get_complex(i).unwrap_or_default();
                        fmt_f64(z.re, &mut line);
                        line.push(',');
                        fmt_f64(z.im, &mut line);
                    }
                    // f32 printed as f32 text: reads back to the same f32 bits
                    Column::F32(c) => fmt_f32(c[i], &mut line),
                    col => fmt_f64(col.get_f64(i).unwrap_or(f64::NAN), &mut line),
                }
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
        bar.set_position((chunk.start + chunk.len as u64) * per_point);
    }
    w.flush()?;
    drop(w);
    bar.finish_and_clear();
    if let Some(t) = tmp {
        t.commit()
            .with_context(|| format!("cannot write {}", a.output.display()))?;
        eprintln!(
            "wrote {} ({} points x {} columns)",
            a.output.display(),
            info.complete_points,
            names.len()
        );
    }
    for w in raw.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(0)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
