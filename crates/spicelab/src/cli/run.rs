//! `spicelab run`: a campaign on every core.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use serde_json::{json, Map, Value};
use spicelab::campaign::Campaign;
use spicelab::run::{
    execute, human_duration, params_text, plan, JobOutcome, Outcome, Plan, RunOptions, RunReport,
};
use spicelab::sim::adapter;

use super::out::{note, outln, Fail, Kind};

/// Arguments of `spicelab run`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  spicelab run examples/rc-montecarlo/campaign.toml
  spicelab run campaign.toml --jobs 8 --json > summary.json
  spicelab run campaign.toml --dry-run            # the jobs and their parameters, nothing runs
  spicelab run campaign.toml --explain            # why each job runs or is skipped, then run
  spicelab run campaign.toml --force              # run every job again

Jobs whose result is already in the cache are not run again: a job's key is
the sha256 of its canonical netlist (after substitution), the files it
includes, the simulator's version and the settings, so an edit that changes
nothing ngspice sees reruns nothing, and a campaign killed mid-way resumes
where it stopped. Ctrl-C stops scheduling, ends the running simulations and
prints what finished.

Exit status: 0 every job ok, 1 a job failed, timed out or was cancelled,
2 a bad campaign file or a simulator that cannot be run.")]
pub struct RunArgs {
    /// The campaign file (TOML; see docs/campaign.md).
    pub campaign: PathBuf,
    /// Simulations at once (default: all cores).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Cache directory (default: $SPICELAB_CACHE_DIR, else $XDG_CACHE_HOME/spicelab, else ~/.cache/spicelab).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Where logs of failed jobs (logs/job-N.log) and kept work directories go
    /// (default: `out` beside the campaign file).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// List the jobs and their parameters (and whether each would run) without running anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Print for each job `run` or `skip` and why (new job, parameter changed, included file changed, ...).
    #[arg(long)]
    pub explain: bool,
    /// Run every job, cached or not.
    #[arg(long)]
    pub force: bool,
    /// Keep every job's work directory (netlist, RAW file, log) under OUT/work/job-N.
    #[arg(long)]
    pub keep_work: bool,
    /// Store the results without a campaign dictionary (by default a cold run
    /// of 32 jobs or more trains one on its first 16 results and codes the rest with it).
    #[arg(long)]
    pub no_dictionary: bool,
    /// One JSON object on stdout (docs/campaign.md gives its keys).
    #[arg(long)]
    pub json: bool,
}

fn params_json(params: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, v) in params {
        m.insert(k.clone(), Value::String(v.clone()));
    }
    Value::Object(m)
}

fn params_line(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `spicelab run`.
pub fn run(a: &RunArgs, show_progress: bool) -> anyhow::Result<i32> {
    let campaign = Campaign::load(&a.campaign).map_err(|e| Fail::wrap(Kind::Usage, e))?;
    campaign
        .check_netlist()
        .map_err(|e| Fail::wrap(Kind::Usage, e))?;
    #[cfg(not(feature = "hdf5"))]
    if let Some(h) = &campaign.outputs.hdf5 {
        tracing::warn!(
            "[outputs] hdf5 = {}: this spicelab was built without the `hdf5` feature; results go to the cache only",
            h.display()
        );
    }
    let sim = adapter(&campaign.simulator).map_err(|e| Fail::wrap(Kind::Usage, e))?;
    let store = cache_zstd::DiskStore::open(a.cache.as_deref()).context("cannot open the cache")?;

    if a.dry_run {
        // Without the simulator the jobs can still be listed.
        let planned = match plan(&campaign, sim.as_ref(), &store, a.force) {
            Ok(p) => Some(p),
            Err(spicelab::run::RunError::Sim(e)) => {
                tracing::warn!("{e}: listing the jobs without their cache state");
                None
            }
            Err(e) => return Err(Fail::wrap(Kind::Usage, e).into()),
        };
        return dry_run(a, &campaign, planned.as_ref());
    }

    let plan =
        plan(&campaign, sim.as_ref(), &store, a.force).map_err(|e| Fail::wrap(Kind::Usage, e))?;
    if a.explain && !a.json {
        print_explain(&plan)?;
    }
    let mut opts = RunOptions::new(store);
    opts.workers = a.jobs.filter(|&n| n > 0);
    opts.out_dir = a.out.clone();
    opts.keep_work = a.keep_work;
    opts.dictionary = !a.no_dictionary;
    if let Err(e) = exec_pool::cancel_on_ctrlc(&opts.cancel) {
        tracing::warn!("Ctrl-C will not stop the run cleanly: {e}");
    }
    let to_run = plan.to_run();
    let reporter = (show_progress && to_run > 0)
        .then(|| exec_pool::ProgressReporter::new(&campaign.name, to_run));
    if let Some(r) = &reporter {
        let r = r.clone();
        opts.progress = Some(Arc::new(move |p| r.observe(p)));
    }
    let explain_json = (a.explain && a.json).then(|| explain_json(&plan));
    let report =
        execute(&campaign, sim.as_ref(), plan, &opts).map_err(|e| Fail::wrap(Kind::Output, e))?;
    if let Some(r) = &reporter {
        r.finish();
    }
    let output = write_hdf5(&campaign, &report, &opts.store)?;
    if a.json {
        let mut v = summary_json(&report);
        if let (Some(p), Value::Object(m)) = (&output, &mut v) {
            m.insert("output".into(), json!(p));
        }
        if let (Some(e), Value::Object(m)) = (explain_json, &mut v) {
            m.insert("explain".into(), e);
        }
        outln!("{v}")?;
    } else {
        print_summary(&report)?;
    }
    let all_ok = report.ok == report.jobs;
    Ok(if all_ok { 0 } else { 1 })
}

/// Writes `[outputs] hdf5` when the campaign names one; returns its path.
#[cfg(feature = "hdf5")]
fn write_hdf5(
    campaign: &Campaign,
    report: &RunReport,
    store: &cache_zstd::DiskStore,
) -> anyhow::Result<Option<String>> {
    let Some(path) = &campaign.outputs.hdf5 else {
        return Ok(None);
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Fail::new(
                Kind::Output,
                format!("{}: cannot create its directory: {e}", path.display()),
            )
        })?;
    }
    let t0 = std::time::Instant::now();
    let opts = store_hdf5::Options::default();
    let r = spicelab::hdf5::write_campaign_file(campaign, report, store, path, &opts)
        .map_err(|e| Fail::wrap(Kind::Output, e))?;
    note!(
        "wrote {} ({} runs, {} plot groups, {} points, {:.2} s)",
        path.display(),
        report.outcomes.len(),
        r.plots.len(),
        r.points,
        t0.elapsed().as_secs_f64()
    );
    Ok(Some(path.display().to_string()))
}

#[cfg(not(feature = "hdf5"))]
fn write_hdf5(
    _campaign: &Campaign,
    _report: &RunReport,
    _store: &cache_zstd::DiskStore,
) -> anyhow::Result<Option<String>> {
    Ok(None)
}

fn dry_run(a: &RunArgs, campaign: &Campaign, planned: Option<&Plan>) -> anyhow::Result<i32> {
    let jobs = campaign.jobs();
    if a.json {
        let list: Vec<Value> = jobs
            .iter()
            .enumerate()
            .map(|(i, j)| {
                let mut o = json!({"job": j.index, "params": params_json(&params_text(j))});
                if let (Some(p), Value::Object(m)) = (planned, &mut o) {
                    let pj = &p.jobs[i];
                    m.insert("key".into(), json!(pj.key));
                    m.insert("decision".into(), json!(pj.decision.verb()));
                    m.insert("reason".into(), json!(pj.decision.why()));
                }
                o
            })
            .collect();
        outln!(
            "{}",
            json!({"campaign": campaign.name, "jobs": jobs.len(), "dry_run": true,
                   "would_run": planned.map(Plan::to_run), "list": list})
        )?;
        return Ok(0);
    }
    outln!(
        "campaign {}: {} jobs of {} on {}",
        campaign.name,
        jobs.len(),
        campaign.simulator,
        campaign.netlist.display()
    )?;
    for (i, j) in jobs.iter().enumerate() {
        match planned {
            Some(p) => outln!(
                "  job {:>4}  {:<4} {}   ({})",
                j.index,
                p.jobs[i].decision.verb(),
                params_line(&params_text(j)),
                p.jobs[i].decision.why()
            )?,
            None => outln!("  job {:>4}  {}", j.index, params_line(&params_text(j)))?,
        }
    }
    if let Some(p) = planned {
        outln!(
            "{} of {} would run; nothing was run (--dry-run)",
            p.to_run(),
            jobs.len()
        )?;
    }
    Ok(0)
}

fn print_explain(plan: &Plan) -> anyhow::Result<()> {
    for j in &plan.jobs {
        outln!(
            "job {:>4} {:<4} {}  [{}]",
            j.params.index,
            j.decision.verb(),
            j.decision.why(),
            params_line(&params_text(&j.params))
        )?;
    }
    Ok(())
}

fn explain_json(plan: &Plan) -> Value {
    Value::Array(
        plan.jobs
            .iter()
            .map(|j| {
                json!({"job": j.params.index, "id": j.id, "key": j.key,
                       "decision": j.decision.verb(), "reason": j.decision.why(),
                       "params": params_json(&params_text(&j.params))})
            })
            .collect(),
    )
}

fn failures(report: &RunReport) -> Vec<&JobOutcome> {
    report
        .outcomes
        .iter()
        .filter(|o| o.outcome != Outcome::Ok)
        .collect()
}

/// The `--json` object: the keys of DESIGN.md section 5, then `measures` and `yield`.
fn summary_json(r: &RunReport) -> Value {
    let failures: Vec<Value> = failures(r)
        .into_iter()
        .map(|o| {
            json!({"job": o.index, "params": params_json(&o.params_text), "status": o.outcome.name(),
                   "reason": o.reason, "log": o.log, "log_tail": o.log_tail,
                   "exit_code": o.exit_code})
        })
        .collect();
    let mut measures = Map::new();
    for (name, s) in &r.measures {
        measures.insert(
            name.clone(),
            match s {
                Some(s) => json!({"min": s.min, "mean": s.mean, "max": s.max, "n": s.n}),
                None => json!({"min": null, "mean": null, "max": null, "n": 0}),
            },
        );
    }
    let yield_ = r.yield_summary.as_ref().map(|y| {
        let mut specs = Map::new();
        for s in &y.specs {
            specs.insert(
                s.measure.clone(),
                json!({"pass": s.pass, "of": s.of, "ci95": [s.ci95.0, s.ci95.1]}),
            );
        }
        json!({"pass": y.pass, "of": y.of, "yield": y.yield_, "ci95": [y.ci95.0, y.ci95.1],
               "specs": specs})
    });
    json!({
        "campaign": r.campaign,
        "jobs": r.jobs,
        "ran": r.ran,
        "cache_hits": r.cache_hits,
        "ok": r.ok,
        "failed": r.failed,
        "timed_out": r.timed_out,
        "cancelled": r.cancelled,
        "wall_s": r.wall_s,
        "cpu_s": r.cpu_s,
        "bytes_written": r.bytes_written,
        "spectral_batches": r.spectral_batches,
        "output": Value::Null,
        "failures": failures,
        "measures": measures,
        "yield": yield_,
    })
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn print_summary(r: &RunReport) -> anyhow::Result<()> {
    outln!(
        "campaign {}: {} jobs on {}, {} ran, {} from the cache",
        r.campaign,
        r.jobs,
        r.simulator,
        r.ran,
        r.cache_hits
    )?;
    outln!(
        "  ok {}, failed {}, timed out {}, cancelled {}",
        r.ok,
        r.failed,
        r.timed_out,
        r.cancelled
    )?;
    outln!(
        "  wall {}, cpu {}, {} bytes written to the cache",
        human_duration(std::time::Duration::from_secs_f64(r.wall_s)),
        human_duration(std::time::Duration::from_secs_f64(r.cpu_s)),
        r.bytes_written
    )?;
    let fails = failures(r);
    if !fails.is_empty() {
        outln!("failures:")?;
        for o in fails.iter().take(20) {
            outln!(
                "  job {} ({}): {}: {}",
                o.index,
                params_line(&o.params_text),
                o.outcome.name(),
                o.reason
            )?;
            if let Some(log) = &o.log {
                outln!("    log: {}", log.display())?;
            }
            for line in o
                .log_tail
                .lines()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                outln!("    | {line}")?;
            }
        }
        if fails.len() > 20 {
            outln!(
                "  ... and {} more (--json lists them all)",
                fails.len() - 20
            )?;
        }
    }
    if !r.measures.is_empty() {
        outln!("measures (across the {} ok jobs):", r.ok)?;
        outln!(
            "  {:<16} {:>14} {:>14} {:>14} {:>6}",
            "measure",
            "min",
            "mean",
            "max",
            "n"
        )?;
        for (name, s) in &r.measures {
            match s {
                Some(s) => outln!(
                    "  {:<16} {:>14.6e} {:>14.6e} {:>14.6e} {:>6}",
                    name,
                    s.min,
                    s.mean,
                    s.max,
                    s.n
                )?,
                None => outln!("  {name:<16} {:>14} {:>14} {:>14} {:>6}", "-", "-", "-", 0)?,
            }
        }
    }
    if let Some(y) = &r.yield_summary {
        outln!(
            "yield: {} of {} pass every spec = {} (95% interval {} .. {})",
            y.pass,
            y.of,
            pct(y.yield_),
            pct(y.ci95.0),
            pct(y.ci95.1)
        )?;
        for s in &y.specs {
            outln!(
                "  {:<16} {} of {} ({} .. {})",
                s.measure,
                s.pass,
                s.of,
                pct(s.ci95.0),
                pct(s.ci95.1)
            )?;
        }
    }
    if r.failed + r.timed_out > 0 {
        note!(
            "logs of the failed jobs are in {}",
            r.out_dir.join("logs").display()
        );
    }
    Ok(())
}
