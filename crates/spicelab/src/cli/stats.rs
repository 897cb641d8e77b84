//! `spicelab stats`.

use super::out::{note, outln};
use super::{progress, OpenArgs};
use clap::Args;
use serde_json::json;
use spicelab::stats::{file_stats, StatsOptions, VectorStats};

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  spicelab stats tran.raw
  spicelab stats tran.raw --var 'v(out)' --json
  spicelab stats runs/*.raw --var 'v(out)'     # one table: a row per file and vector

With several files, the table has a row per file, plot and vector (steps in
--json only), and --json prints an array with one object per file.")]
pub struct StatsArgs {
    #[command(flatten)]
    open: OpenArgs,
    /// More RAW files: one table over all of them.
    #[arg(value_name = "MORE")]
    more: Vec<std::path::PathBuf>,
    /// Only this plot (0-based; repeatable). Default: every plot. A plot
    /// that is one step of a Xyce `.STEP` run picks the whole run (choose
    /// its steps with --step), unless --raw-plots.
    #[arg(long = "plot", value_name = "N")]
    plots: Vec<usize>,
    /// Only these vectors (repeatable): names, globs or lists, ignoring case,
    /// e.g. --var 'v(out)', --var 'v(*)', --var 'v(out),i(v1)'.
    #[arg(long = "var", value_name = "NAME")]
    vars: Vec<String>,
    /// Only this step of a stepped plot (repeatable): a number from 0, or
    /// NAME=VALUE to take the step whose parameter has that value (`r1=1k`).
    #[arg(long = "step", value_name = "K|NAME=VALUE")]
    steps: Vec<spicelab::select::StepSel>,
    /// Start of a window on the scale (time, frequency, swept value; SPICE
    /// numbers: `2m`); the values at the window's ends are shown, interpolated.
    #[arg(long, value_name = "T", value_parser = super::parse_spice_arg)]
    from: Option<f64>,
    /// End of the window on the scale.
    #[arg(long, value_name = "T", value_parser = super::parse_spice_arg)]
    to: Option<f64>,
    /// Complex vectors summarised by their parts instead of their magnitude:
    /// re and im, magnitude and phase, or dB and phase (degrees, unwrapped
    /// along frequency). Totals only (steps keep the magnitude).
    #[arg(long, value_enum)]
    complex: Option<super::export::Complex>,
    /// Each plot as written: Xyce's `.STEP` plots (`Step Analysis: Step 2
    /// of 3 ...`) are otherwise shown as one stepped plot, its steps taken
    /// from the plot names.
    #[arg(long)]
    raw_plots: bool,
    /// One JSON object on stdout, an error too: {"error":...,"kind":...} (docs/cli.md).
    #[arg(long)]
    json: bool,
}

/// The AC rows of one plot: for the whole plot, and per step when its
/// steps are separate plots of the file (Xyce `.STEP`).
#[derive(Default)]
struct PlotAc {
    total: Vec<spicelab::ac::AcSummary>,
    per_step: Vec<Vec<spicelab::ac::AcSummary>>,
}

/// What `stats` adds for the complex vectors of an AC plot: their parts
/// (with `--complex`) and their peak and -3 dB band.
fn complex_extras(
    raw: &raw_stream::RawFile,
    s: &mut spicelab::stats::FileStats,
    a: &StatsArgs,
) -> anyhow::Result<Vec<PlotAc>> {
    let mut ac = Vec::new();
    for p in &mut s.plots {
        // the plots the statistics came from: one, or one per chosen step
        let members: Vec<usize> = if p.plots.is_empty() {
            vec![p.index]
        } else {
            p.step_stats.iter().filter_map(|st| st.plot).collect()
        };
        let Some(&first) = members.first() else {
            ac.push(PlotAc::default());
            continue;
        };
        let plot = raw.plot(first)?;
        let info = plot.info();
        let vars = if a.vars.is_empty() {
            (0..info.header.variables.len()).collect()
        } else {
            spicelab::select::select_in_plot(&plot, &a.vars)?
        };
        let complex: Vec<usize> = vars
            .iter()
            .copied()
            .filter(|&v| v > 0 && info.types[v].is_complex())
            .collect();
        if complex.is_empty() {
            ac.push(PlotAc::default());
            continue;
        }
        if let Some(c) = a.complex {
            let form = c.form();
            // the parts over every plot of the group (the variables are the same)
            let mut parts = spicelab::ac::component_stats(&plot, &complex, form)?;
            for &m in &members[1..] {
                let more = spicelab::ac::component_stats(&raw.plot(m)?, &complex, form)?;
                for ((_, acc), (_, b)) in parts.iter_mut().zip(&more) {
                    acc.merge(b);
                }
            }
            let of: [&'static str; 2] = match form {
                spicelab::ac::ComplexForm::ReIm => ["re", "im"],
                spicelab::ac::ComplexForm::MagPhase => ["magnitude", "phase"],
                spicelab::ac::ComplexForm::Db => ["db", "phase"],
            };
            let mut rows = Vec::new();
            for v in std::mem::take(&mut p.vectors) {
                let k = complex
                    .iter()
                    .position(|&c| info.header.variables[c].name == v.name)
                    .filter(|_| v.of == "magnitude");
                let Some(k) = k else {
                    rows.push(v);
                    continue;
                };
                for (j, &what) in of.iter().enumerate() {
                    if let Some((name, acc)) = parts.get(2 * k + j) {
                        let unit = match what {
                            "db" => "dB",
                            "phase" => "deg",
                            _ => v.unit.as_str(),
                        };
                        rows.push(spicelab::stats::VectorStats::of_accumulator(
                            name, unit, what, acc,
                        ));
                    }
                }
            }
            p.vectors = rows;
        }
        let has_freq = info.header.has_scale()
            && info
                .header
                .variables
                .first()
                .is_some_and(|v| v.kind == waveform::VarKind::Frequency);
        if !has_freq {
            ac.push(PlotAc::default());
        } else if p.plots.is_empty() {
            ac.push(PlotAc {
                total: spicelab::ac::ac_summary(&plot, &complex)?,
                per_step: Vec::new(),
            });
        } else {
            let mut per_step = Vec::new();
            for &m in &members {
                per_step.push(spicelab::ac::ac_summary(&raw.plot(m)?, &complex)?);
            }
            ac.push(PlotAc {
                total: Vec::new(),
                per_step,
            });
        }
    }
    Ok(ac)
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6e}")).unwrap_or_else(|| "-".into())
}

fn print_ac(rows: &[spicelab::ac::AcSummary], indent: &str) -> std::io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    outln!(
        "{indent}{:<24} {:>14} {:>10} {:>14} {:>14} {:>14} {:>14}",
        "AC: vector",
        "peak |v|",
        "peak dB",
        "at Hz",
        "-3 dB low Hz",
        "-3 dB high Hz",
        "bandwidth Hz"
    )?;
    for r in rows {
        outln!(
            "{indent}{:<24} {:>14.6e} {:>10.3} {:>14.6e} {:>14} {:>14} {:>14}",
            r.name,
            r.peak,
            r.peak_db,
            r.f_peak,
            opt(r.f_low),
            opt(r.f_high),
            opt(r.bandwidth)
        )?;
    }
    Ok(())
}

fn fmt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6e}")).unwrap_or_else(|| "-".into())
}

/// The name a table row shows: the magnitude of a complex vector is
/// written `|v(out)|`, unless the name says so already (`mag(v(out))`
/// of `--complex magphase`).
fn shown_name(v: &VectorStats) -> String {
    if v.of == "magnitude" && !v.name.starts_with("mag(") {
        format!("|{}|", v.name)
    } else {
        v.name.clone()
    }
}

fn print_table(vectors: &[VectorStats], indent: &str) -> std::io::Result<()> {
    let ends = vectors
        .iter()
        .any(|v| v.at_from.is_some() || v.at_to.is_some());
    let mut head = format!(
        "{indent}{:<24} {:>6} {:>14} {:>14} {:>14} {:>14}",
        "vector", "unit", "min", "max", "mean", "rms"
    );
    if ends {
        head.push_str(&format!(" {:>14} {:>14}", "at from", "at to"));
    }
    outln!("{head}")?;
    for v in vectors {
        let name = shown_name(v);
        let mut line = format!(
            "{indent}{:<24} {:>6} {:>14} {:>14} {:>14} {:>14}",
            name,
            v.unit,
            fmt(v.min),
            fmt(v.max),
            fmt(v.mean),
            fmt(v.rms)
        );
        if ends {
            line.push_str(&format!(" {:>14} {:>14}", fmt(v.at_from), fmt(v.at_to)));
        }
        outln!("{line}")?;
    }
    Ok(())
}

impl StatsArgs {
    /// `--json` given.
    pub fn json(&self) -> bool {
        self.json
    }
}

fn options(a: &StatsArgs) -> StatsOptions {
    StatsOptions {
        plots: a.plots.clone(),
        vars: a.vars.clone(),
        steps: a.steps.clone(),
        window: spicelab::select::Window {
            from: a.from,
            to: a.to,
        },
        chunk_points: 0,
        threads: 0,
        group_steps: !a.raw_plots,
        decode: false,
    }
}

/// The `--json` object of one file (with each AC plot's `ac` rows).
fn file_json(
    raw: &raw_stream::RawFile,
    s: &spicelab::stats::FileStats,
    ac: &[PlotAc],
    seconds: f64,
) -> serde_json::Value {
    let warnings: Vec<String> = raw.warnings().iter().map(|w| w.to_string()).collect();
    let mut doc = json!({
        "file": raw.path().display().to_string(),
        "dialect": raw.dialect().name(),
        "plots": s.plots,
        "bytes": raw.size(),
        "seconds": seconds,
        "warnings": warnings,
    });
    if let Some(plots) = doc["plots"].as_array_mut() {
        for (p, rows) in plots.iter_mut().zip(ac) {
            if !rows.total.is_empty() {
                p["ac"] = json!(rows.total);
            }
            if let Some(steps) = p["step_stats"].as_array_mut() {
                for (st, r) in steps.iter_mut().zip(&rows.per_step) {
                    if !r.is_empty() {
                        st["ac"] = json!(r);
                    }
                }
            }
        }
    }
    doc
}

pub fn run(a: &StatsArgs, progress_on: bool) -> anyhow::Result<i32> {
    if !a.more.is_empty() {
        return run_many(a, progress_on);
    }
    let started = std::time::Instant::now();
    let raw = a.open.open()?;
    let bar = progress::bytes_bar(raw.size(), progress_on && !a.json, "stats");
    let mut s = file_stats(&raw, &options(a), |done| bar.set_position(done))?;
    bar.finish_and_clear();
    let ac = complex_extras(&raw, &mut s, a)?;
    let seconds = started.elapsed().as_secs_f64();
    if a.json {
        outln!("{}", file_json(&raw, &s, &ac, seconds))?;
        return Ok(0);
    }
    for (pi, p) in s.plots.iter().enumerate() {
        let plots = if p.plots.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = p.plots.iter().map(|i| i.to_string()).collect();
            format!("; Xyce .STEP plots {}", list.join(", "))
        };
        outln!(
            "plot {}: {} ({} points{}{plots})",
            p.index,
            p.plotname,
            p.points,
            if p.steps > 1 {
                format!(", {} steps", p.steps)
            } else {
                String::new()
            }
        )?;
        print_table(&p.vectors, "  ")?;
        let rows = ac.get(pi);
        print_ac(rows.map_or(&[][..], |r| r.total.as_slice()), "  ")?;
        for (k, st) in p.step_stats.iter().enumerate() {
            let params: Vec<String> = st.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let at = st.plot.map(|i| format!(" [plot {i}]")).unwrap_or_default();
            outln!(
                "  step {} ({} points){at} {}",
                st.step,
                st.points,
                params.join(" ")
            )?;
            print_table(&st.vectors, "    ")?;
            print_ac(
                rows.and_then(|r| r.per_step.get(k))
                    .map_or(&[][..], |v| v.as_slice()),
                "    ",
            )?;
        }
        outln!()?;
    }
    note!(
        "{} bytes in {:.3} s ({:.1} MB/s)",
        raw.size(),
        seconds,
        raw.size() as f64 / seconds.max(1e-9) / 1e6
    );
    Ok(0)
}

/// `stats a.raw b.raw ...`: every file, one after the other, then one table.
fn run_many(a: &StatsArgs, progress_on: bool) -> anyhow::Result<i32> {
    let started = std::time::Instant::now();
    let files: Vec<&std::path::Path> = std::iter::once(a.open.file.as_path())
        .chain(a.more.iter().map(|p| p.as_path()))
        .collect();
    let mut docs = Vec::new();
    let mut rows: Vec<(String, usize, VectorStats)> = Vec::new();
    let mut bytes = 0u64;
    for f in &files {
        let t = std::time::Instant::now();
        let raw = super::open_raw(f, a.open.dialect, a.open.strict)?;
        let bar = progress::bytes_bar(raw.size(), progress_on && !a.json, "stats");
        let mut s = file_stats(&raw, &options(a), |done| bar.set_position(done))?;
        bar.finish_and_clear();
        let ac = complex_extras(&raw, &mut s, a)?;
        bytes += raw.size();
        if a.json {
            docs.push(file_json(&raw, &s, &ac, t.elapsed().as_secs_f64()));
        } else {
            for p in s.plots {
                for v in p.vectors {
                    rows.push((f.display().to_string(), p.index, v));
                }
            }
        }
    }
    if a.json {
        outln!("{}", serde_json::Value::Array(docs))?;
        return Ok(0);
    }
    let width = rows
        .iter()
        .map(|r| r.0.len())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    outln!(
        "{:<width$} {:>4} {:<24} {:>6} {:>14} {:>14} {:>14} {:>14}",
        "file",
        "plot",
        "vector",
        "unit",
        "min",
        "max",
        "mean",
        "rms"
    )?;
    for (file, plot, v) in &rows {
        let name = shown_name(v);
        outln!(
            "{:<width$} {:>4} {:<24} {:>6} {:>14} {:>14} {:>14} {:>14}",
            file,
            plot,
            name,
            v.unit,
            fmt(v.min),
            fmt(v.max),
            fmt(v.mean),
            fmt(v.rms)
        )?;
    }
    let seconds = started.elapsed().as_secs_f64();
    note!(
        "{} files, {bytes} bytes in {seconds:.3} s ({:.1} MB/s)",
        files.len(),
        bytes as f64 / seconds.max(1e-9) / 1e6
    );
    Ok(0)
}
