//! `spicelab info`.

use super::out::outln;
use super::OpenArgs;
use clap::Args;
use serde_json::{json, Value};

#[derive(Debug, Args)]
pub struct InfoArgs {
    #[command(flatten)]
    open: OpenArgs,
    /// Each plot as written: Xyce's `.STEP` plots (`Step Analysis: Step 2
    /// of 3 ...`) are otherwise shown as one stepped plot, its steps taken
    /// from the plot names.
    #[arg(long)]
    raw_plots: bool,
    /// One JSON object on stdout, an error too: {"error":...,"kind":...} (docs/cli.md).
    #[arg(long)]
    json: bool,
}

impl InfoArgs {
    /// `--json` given.
    pub fn json(&self) -> bool {
        self.json
    }
}

pub fn run(a: &InfoArgs) -> anyhow::Result<i32> {
    let raw = a.open.open()?;
    // shown by `spicelab info -v`
    tracing::debug!("dialect {}: {}", raw.dialect(), raw.dialect_reason());
    let groups = if a.raw_plots {
        (0..raw.plots().len())
            .map(|p| raw_stream::PlotGroup {
                name: String::new(),
                plots: vec![p],
                params: Vec::new(),
            })
            .collect()
    } else {
        raw.plot_groups()
    };
    let mut plots = Vec::new();
    for g in &groups {
        let p = g.first();
        let plot = raw.plot(p)?;
        let info = plot.info();
        let h = &info.header;
        let steps = plot.steps()?;
        let pairs = |ps: &[(String, f64)]| {
            Value::Object(ps.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
        };
        let mut entry = json!({
            "index": p,
            "title": h.title,
            "date": h.date,
            "plotname": h.plotname,
            "flags": h.flags.words,
            "command": h.command,
            "points": h.n_points,
            "steps": steps.count(),
            "step_points": steps.lengths(),
            "step_params": steps.params.iter().map(|ps| pairs(ps)).collect::<Vec<_>>(),
            "variables": h.variables.iter().map(|v| json!({
                "index": v.index, "name": v.name, "kind": v.kind.name(), "type": v.type_name,
                "unit": v.unit(), "stored": info.layout.stored.get(v.index),
            })).collect::<Vec<_>>(),
            "encoding": info.encoding.name(),
            "header_offset": info.header_offset,
            "data_offset": info.data_offset,
            "complete_points": info.complete_points,
        });
        if g.is_stepped() {
            // the steps are the group's plots (Xyce .STEP)
            let members: Vec<&raw_stream::PlotInfo> =
                g.plots.iter().map(|&i| &raw.plots()[i]).collect();
            entry["plotname"] = json!(g.name);
            entry["plots"] = json!(g.plots);
            entry["step_plotnames"] = json!(members
                .iter()
                .map(|m| m.header.plotname.as_str())
                .collect::<Vec<_>>());
            entry["points"] = json!(members.iter().map(|m| m.header.n_points).sum::<u64>());
            entry["complete_points"] =
                json!(members.iter().map(|m| m.complete_points).sum::<u64>());
            entry["steps"] = json!(g.plots.len());
            entry["step_points"] = json!(members
                .iter()
                .map(|m| m.complete_points)
                .collect::<Vec<_>>());
            entry["step_params"] = json!(g.params.iter().map(|ps| pairs(ps)).collect::<Vec<_>>());
        }
        plots.push(entry);
    }
    let warnings: Vec<String> = raw.warnings().iter().map(|w| w.to_string()).collect();
    let doc = json!({
        "file": raw.path().display().to_string(),
        "dialect": raw.dialect().name(),
        "encoding": raw.encoding().name(),
        "header_encoding": if raw.utf16() { "utf-16le" } else { "8-bit" },
        "bytes": raw.size(),
        "compression": raw.compression(),
        "plots": plots,
        "warnings": warnings,
    });
    if a.json {
        outln!("{doc}")?;
        return Ok(0);
    }
    let compressed = raw
        .compression()
        .map(|c| format!(" (decompressed from {c}, read in order)"))
        .unwrap_or_default();
    let shown = if groups.len() < raw.plots().len() {
        format!(", shown as {} (Xyce .STEP plots joined)", groups.len())
    } else {
        String::new()
    };
    outln!(
        "{}: {} {}, {} bytes{compressed}, {} plot(s){shown}",
        raw.path().display(),
        raw.dialect(),
        raw.encoding().name(),
        raw.size(),
        raw.plots().len()
    )?;
    for p in doc["plots"].as_array().into_iter().flatten() {
        outln!()?;
        let members = p["plots"]
            .as_array()
            .map(|m| {
                let list: Vec<String> = m.iter().map(|i| i.to_string()).collect();
                format!("  (Xyce .STEP: plots {})", list.join(", "))
            })
            .unwrap_or_default();
        outln!(
            "plot {}: {}{members}",
            p["index"],
            p["plotname"].as_str().unwrap_or("")
        )?;
        outln!("  title:  {}", p["title"].as_str().unwrap_or(""))?;
        outln!(
            "  flags:  {}",
            p["flags"]
                .as_array()
                .map(|f| f
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "))
                .unwrap_or_default()
        )?;
        outln!(
            "  points: {} declared, {} complete; data{} at byte {}",
            p["points"],
            p["complete_points"],
            if p["plots"].is_array() {
                " of the first step"
            } else {
                ""
            },
            p["data_offset"]
        )?;
        if p["steps"].as_u64().unwrap_or(1) > 1 {
            outln!("  steps:  {} of {} points", p["steps"], p["step_points"])?;
            for (k, sp) in p["step_params"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                outln!("          step {k}: {sp}")?;
            }
        }
        outln!("  variables:")?;
        for v in p["variables"].as_array().into_iter().flatten() {
            outln!(
                "    {:>4}  {:<24} {:<16} {}",
                v["index"],
                v["name"].as_str().unwrap_or(""),
                v["kind"].as_str().unwrap_or(""),
                v["unit"].as_str().unwrap_or("")
            )?;
        }
    }
    Ok(0)
}
