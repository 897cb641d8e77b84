//! `spicelab stats`.

use super::out::{note, outln};
use super::{progress, OpenArgs};
use clap::Args;
use serde_json::json;
use spicelab::stats::{file_stats, StatsOptions, VectorStats};

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    open: OpenArgs,
    /// Only this plot (0-based; repeatable). Default: every plot.
    #[arg(long = "plot", value_name = "N")]
    plots: Vec<usize>,
    /// Only this vector (repeatable), e.g. --var 'v(out)'.
    #[arg(long = "var", value_name = "NAME")]
    vars: Vec<String>,
    /// One JSON object on stdout, an error too: {"error":...,"kind":...} (docs/cli.md).
    #[arg(long)]
    json: bool,
}

fn fmt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6e}")).unwrap_or_else(|| "-".into())
}

fn print_table(vectors: &[VectorStats], indent: &str) -> std::io::Result<()> {
    outln!(
        "{indent}{:<24} {:>6} {:>14} {:>14} {:>14} {:>14}",
        "vector",
        "unit",
        "min",
        "max",
        "mean",
        "rms"
    )?;
    for v in vectors {
        let name = if v.of == "magnitude" {
            format!("|{}|", v.name)
        } else {
            v.name.clone()
        };
        outln!(
            "{indent}{:<24} {:>6} {:>14} {:>14} {:>14} {:>14}",
            name,
            v.unit,
            fmt(v.min),
            fmt(v.max),
            fmt(v.mean),
            fmt(v.rms)
        )?;
    }
    Ok(())
}

impl StatsArgs {
    /// `--json` given.
    pub fn json(&self) -> bool {
        self.json
    }
}

pub fn run(a: &StatsArgs, progress_on: bool) -> anyhow::Result<i32> {
    let started = std::time::Instant::now();
    let raw = a.open.open()?;
    let bar = progress::bytes_bar(raw.size(), progress_on && !a.json, "stats");
    let opts = StatsOptions {
        plots: a.plots.clone(),
        vars: a.vars.clone(),
        chunk_points: 0,
        threads: 0,
        decode: false,
    };
    let s = file_stats(&raw, &opts, |done| bar.set_position(done))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let warnings: Vec<String> = raw.warnings().iter().map(|w| w.to_string()).collect();
    if a.json {
        let doc = json!({
            "file": raw.path().display().to_string(),
            "dialect": raw.dialect().name(),
            "plots": s.plots,
            "bytes": raw.size(),
            "seconds": seconds,
            "warnings": warnings,
        });
        outln!("{doc}")?;
        return Ok(0);
    }
    for p in &s.plots {
        outln!(
            "plot {}: {} ({} points{})",
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
        for st in &p.step_stats {
            let params: Vec<String> = st.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            outln!(
                "  step {} ({} points) {}",
                st.step,
                st.points,
                params.join(" ")
            )?;
            print_table(&st.vectors, "    ")?;
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
