//! The orchestration of a campaign run: plan (expand the jobs, key them,
//! look them up in the cache, say why each runs), then execute (run the
//! simulator on every core, stream each RAW file into the cache while the
//! measures are computed, keep the logs of failures), then summarise
//! (measures across jobs, yield against the specs).
//!
//! ```no_run
//! use spicelab::campaign::Campaign;
//! use spicelab::run::{execute, plan, RunOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let campaign = Campaign::load("examples/rc-montecarlo/campaign.toml".as_ref())?;
//! let sim = spicelab::sim::adapter(&campaign.simulator)?;
//! let store = spicelab::cache_zstd::DiskStore::open(None)?;
//! let plan = plan(&campaign, sim.as_ref(), &store, false)?;
//! let report = execute(&campaign, sim.as_ref(), plan, &RunOptions::new(store))?;
//! println!("{} of {} jobs ok", report.ok, report.jobs);
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cache_zstd::{CacheError, DiskStore, EntryWriter, JobMeta, StoreWriter, FORMAT_VERSION};
use exec_pool::{CancelToken, Capture, CommandError, CommandJob, JobContext, Pool, Progress};
use raw_stream::{Chunk, RawFile};
use waveform::ParamValue;

use crate::campaign::{Campaign, CampaignError, JobParams};
use crate::measure::{summarise, MeasureKind, MeasureSummary, Measurer, Prepared};
use crate::sim::{SimError, SimJob, SimulatorAdapter};
use crate::spec::{yield_summary, YieldSummary};
use crate::spectral_batch::{SpectralBatcher, SPECTRAL_BATCH};

/// Lines of the simulator's log kept with a job (in the cache and the summary).
pub const LOG_TAIL_LINES: usize = 12;

/// Why a campaign could not be run at all (a job that fails is not an
/// error: it is reported in [`RunReport`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The campaign file is wrong.
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    /// The simulator cannot be used.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A job's netlist could not be built (includes, parameters).
    #[error("job {job}: {source}")]
    Job {
        /// The job's index.
        job: usize,
        /// What went wrong.
        source: incremental::JobError,
    },
    /// The cache failed (not a miss: an I/O error of the store).
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The run manifest could not be read or written.
    #[error(transparent)]
    Manifest(#[from] incremental::ManifestError),
    /// A file or directory of the run's output could not be written.
    #[error("cannot write {path}: {source}", path = .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Whether a job runs, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Its result is in the cache.
    Skip {
        /// Why, in words (`skip: ...`).
        why: String,
    },
    /// It runs.
    Run {
        /// Why, in words (`run: ...`).
        why: String,
    },
}

impl Decision {
    /// `run` or `skip`.
    pub fn verb(&self) -> &'static str {
        match self {
            Decision::Skip { .. } => "skip",
            Decision::Run { .. } => "run",
        }
    }

    /// The reason in words.
    pub fn why(&self) -> &str {
        match self {
            Decision::Skip { why } | Decision::Run { why } => why,
        }
    }
}

/// One job of a plan.
#[derive(Debug, Clone)]
pub struct PlannedJob {
    /// The campaign's parameters of the job.
    pub params: JobParams,
    /// The job's stable name in the run manifest (`17`, or `3/mc12` with
    /// Monte Carlo: the point of the other dimensions and the run number,
    /// so that adding runs keeps the names of the earlier ones).
    pub id: String,
    /// The netlist to run and the job's identity.
    pub job: incremental::Job,
    /// The cache key (`job.identity.key()`).
    pub key: String,
    /// The stored metadata of a cached result.
    pub cached: Option<JobMeta>,
    /// Run or skip, and why.
    pub decision: Decision,
    /// The cached result lacks some of the campaign's measures: they are
    /// computed from the cache entry (the simulator does not run).
    pub remeasure: bool,
}

/// What [`plan`] found: every job, keyed and looked up.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The simulator and the version it reported.
    pub simulator: incremental::Simulator,
    /// The jobs, in the campaign's order.
    pub jobs: Vec<PlannedJob>,
    /// Where the run manifest is.
    pub manifest_path: PathBuf,
}

impl Plan {
    /// How many jobs run.
    pub fn to_run(&self) -> usize {
        self.jobs
            .iter()
            .filter(|j| matches!(j.decision, Decision::Run { .. }))
            .count()
    }
}

/// The analysis settings that go into a job's key besides the netlist:
/// the temperature (inserted as `.temp` by the adapter).
fn analysis_of(p: &JobParams) -> String {
    match p.temperature {
        Some(t) => format!("temp={t}"),
        None => String::new(),
    }
}

/// The manifest file of `campaign` in `store`: `manifests/NAME.json`
/// beside the entries (the name made safe for a file name).
pub fn manifest_path(store: &DiskStore, campaign: &str) -> PathBuf {
    let safe: String = campaign
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    store.dir().join("manifests").join(format!("{safe}.json"))
}

/// The job's manifest name (see [`PlannedJob::id`]).
fn job_id(campaign: &Campaign, p: &JobParams) -> String {
    match (&campaign.montecarlo, p.mc_run) {
        (Some(mc), Some(k)) if mc.runs > 0 => {
            format!("{}/mc{k}", p.index as u64 / mc.runs)
        }
        _ => p.index.to_string(),
    }
}

/// Expands the campaign's jobs, builds each one's netlist and key (asking
/// the simulator its version once), looks each key up in the cache and
/// decides, with the run manifest of the last run, why each job runs.
/// `force`: every job runs.
pub fn plan(
    campaign: &Campaign,
    sim: &dyn SimulatorAdapter,
    store: &DiskStore,
    force: bool,
) -> Result<Plan, RunError> {
    let version = sim.version()?;
    let simulator = incremental::Simulator::new(sim.name(), version);
    let manifest_path = manifest_path(store, &campaign.name);
    let manifest = incremental::Manifest::load(&manifest_path)?;
    let netlist_text =
        incremental::read_netlist_file(&campaign.netlist).map_err(|source| RunError::Job {
            job: 0,
            source: incremental::JobError::Read {
                path: campaign.netlist.clone(),
                source,
            },
        })?;
    let netlist_text = String::from_utf8_lossy(&netlist_text);
    let mut jobs = Vec::with_capacity(campaign.job_count());
    for p in campaign.jobs() {
        let params: Vec<(&str, &str)> = p
            .netlist_params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let analysis = analysis_of(&p);
        let spec = incremental::JobSpec {
            netlist_path: &campaign.netlist,
            root: &campaign.root,
            params: &params,
            simulator: &simulator,
            analysis: &analysis,
            save: &campaign.save,
            cache_format: u32::from(FORMAT_VERSION),
        };
        let job =
            incremental::job_from_text(&netlist_text, &spec).map_err(|source| RunError::Job {
                job: p.index,
                source,
            })?;
        let key = job.identity.key();
        let id = job_id(campaign, &p);
        let cached = if force {
            None
        } else {
            store.read_with(&key, |r| Ok(r.into_meta().job))?
        };
        let old = manifest.as_ref().and_then(|m| m.entry(&id));
        let reason = incremental::explain(old, &job.identity);
        let decision = match (&cached, force) {
            (_, true) => Decision::Run {
                why: "run: --force".to_string(),
            },
            (Some(meta), false) => match missing_measure(campaign, meta) {
                Some(name) => Decision::Skip {
                    why: format!(
                        "skip: in the cache; measure {name} (new) is computed from the cached result"
                    ),
                },
                None if reason.must_run() => Decision::Skip {
                    why: "skip: an identical job's result is in the cache".to_string(),
                },
                None => Decision::Skip {
                    why: reason.to_string(),
                },
            },
            (None, false) if reason.must_run() => Decision::Run {
                why: reason.to_string(),
            },
            (None, false) => Decision::Run {
                why: "run: not in the cache (the last run did not finish it, or it was evicted)"
                    .to_string(),
            },
        };
        let remeasure = cached
            .as_ref()
            .is_some_and(|m| missing_measure(campaign, m).is_some());
        jobs.push(PlannedJob {
            params: p,
            id,
            job,
            key,
            cached,
            decision,
            remeasure,
        });
    }
    Ok(Plan {
        simulator,
        jobs,
        manifest_path,
    })
}

/// A job's parameters as text: what the netlist got (`1k`) where it got
/// one, else the value (`27`, a corner name).
pub fn params_text(p: &JobParams) -> Vec<(String, String)> {
    p.params
        .iter()
        .map(|(name, v)| {
            let text = p
                .netlist_params
                .iter()
                .find(|(n, _)| n == name)
                .map_or_else(|| v.to_string(), |(_, t)| t.clone());
            (name.clone(), text)
        })
        .collect()
}

/// The first of the campaign's measures a stored result lacks.
fn missing_measure<'a>(campaign: &'a Campaign, meta: &JobMeta) -> Option<&'a str> {
    campaign
        .measures
        .iter()
        .map(|m| m.name.as_str())
        .find(|name| !meta.measures.iter().any(|(n, _)| n == name))
}

/// An observer of the run's progress (called after each finished job).
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How a run is carried out.
pub struct RunOptions {
    /// The cache.
    pub store: DiskStore,
    /// Workers (default: all cores).
    pub workers: Option<usize>,
    /// Where logs of failed jobs go (`logs/job-N.log`) and, with
    /// `keep_work`, every job's directory (`work/job-N`). Default: `out`
    /// beside the campaign file.
    pub out_dir: Option<PathBuf>,
    /// Keep every job's work directory.
    pub keep_work: bool,
    /// Set to stop the run: no new job starts, running ones are ended.
    pub cancel: CancelToken,
    /// Called after each finished job.
    pub progress: Option<ProgressFn>,
    /// Code the campaign's results with a zstd dictionary trained on its
    /// own first results (default `true`; see [`DICT_TRAIN_JOBS`]).
    pub dictionary: bool,
    /// The spectral records transformed in one batch across jobs (default
    /// [`SPECTRAL_BATCH`]; see `crate::spectral_batch`); 0 counts as 1.
    pub spectral_batch: usize,
}

impl RunOptions {
    /// Defaults over `store`.
    pub fn new(store: DiskStore) -> RunOptions {
        RunOptions {
            store,
            workers: None,
            out_dir: None,
            keep_work: false,
            cancel: CancelToken::new(),
            progress: None,
            dictionary: true,
            spectral_batch: SPECTRAL_BATCH,
        }
    }
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran, or its result was in the cache.
    Ok,
    /// The simulator failed (exit status, crash, no usable RAW file).
    Failed,
    /// Ended at its time limit.
    TimedOut,
    /// Ended or never started because the run was stopped.
    Cancelled,
}

impl Outcome {
    /// `ok`, `failed`, `timed_out`, `cancelled`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed_out",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// One job's result.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    /// The job's index.
    pub index: usize,
    /// Its manifest name.
    pub id: String,
    /// Its cache key.
    pub key: String,
    /// Its parameters.
    pub params: Vec<(String, ParamValue)>,
    /// Its parameters as written for people: the text the netlist got
    /// (`1k`, as the campaign file spells it) where there is one.
    pub params_text: Vec<(String, String)>,
    /// How it ended.
    pub outcome: Outcome,
    /// Whether the result came from the cache.
    pub cached: bool,
    /// Why it failed (empty when ok).
    pub reason: String,
    /// The kept log of a failed job.
    pub log: Option<PathBuf>,
    /// The simulator's last log lines.
    pub log_tail: String,
    /// The simulator's exit code.
    pub exit_code: Option<i32>,
    /// Wall time of the simulation, seconds (of the original run for a cached job).
    pub wall_s: f64,
    /// CPU time of the simulation, seconds.
    pub cpu_s: f64,
    /// Time spent by spicelab on the job besides the simulator (preparing,
    /// reading the RAW file, measures, cache write), seconds; 0 for a cached job.
    pub overhead_s: f64,
    /// The measures, in the campaign's order.
    pub measures: Vec<Option<f64>>,
    /// Bytes of the cache entry written.
    pub bytes_written: u64,
    /// Run or skip, and why.
    pub decision: Decision,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The campaign's name.
    pub campaign: String,
    /// The simulator.
    pub simulator: incremental::Simulator,
    /// Jobs in the campaign.
    pub jobs: usize,
    /// Jobs that ran (the simulator started or was to start).
    pub ran: usize,
    /// Jobs whose result came from the cache.
    pub cache_hits: usize,
    /// Jobs ok (ran or cached).
    pub ok: usize,
    /// Jobs failed.
    pub failed: usize,
    /// Jobs timed out.
    pub timed_out: usize,
    /// Jobs cancelled.
    pub cancelled: usize,
    /// Wall time of the run, seconds.
    pub wall_s: f64,
    /// CPU time of this process and the simulators it ran, seconds.
    pub cpu_s: f64,
    /// Bytes written to the cache.
    pub bytes_written: u64,
    /// Every job, in order.
    pub outcomes: Vec<JobOutcome>,
    /// Each measure across the ok jobs.
    pub measures: Vec<(String, Option<MeasureSummary>)>,
    /// The yield against the specs (when the campaign has any).
    pub yield_summary: Option<YieldSummary>,
    /// Where the logs of failed jobs are.
    pub out_dir: PathBuf,
    /// How many batches of spectral records went through the FFT engine
    /// (the jobs that ran and the cached jobs measured again; 0 when the
    /// campaign has no spectral measure).
    pub spectral_batches: usize,
}

/// What a job that ran left, besides its pool status.
#[derive(Default)]
struct Detail {
    reason: String,
    log: Option<PathBuf>,
    log_tail: String,
    exit_code: Option<i32>,
    wall_s: f64,
    cpu_s: f64,
    overhead_s: f64,
    measures: Vec<Option<f64>>,
    bytes_written: u64,
    /// Its entry was handed to the spectral batcher (committed later).
    deferred: bool,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs the jobs of `plan` that must run and reports on all of them.
pub fn execute(
    campaign: &Campaign,
    sim: &dyn SimulatorAdapter,
    plan: Plan,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    let out_dir = opts
        .out_dir
        .clone()
        .unwrap_or_else(|| campaign.root.join("out"));
    let work_root = out_dir.join("work");
    if opts.keep_work {
        std::fs::create_dir_all(&work_root).map_err(io_err(&work_root))?;
    }
    let logs = out_dir.join("logs");
    let netlist_dir = campaign
        .netlist
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| campaign.root.clone());
    let measure_names: Vec<String> = campaign.measures.iter().map(|m| m.name.clone()).collect();

    let to_run: Vec<usize> = (0..plan.jobs.len())
        .filter(|&i| matches!(plan.jobs[i].decision, Decision::Run { .. }))
        .collect();
    let details: Vec<Mutex<Detail>> = (0..to_run.len()).map(|_| Mutex::default()).collect();
    // Spectral measures are transformed in batches across jobs: a job
    // hands its records and its uncommitted cache entry to the batcher,
    // which commits the entry once the batch is done. Without spectral
    // measures a job commits its entry itself, as soon as it is written.
    let spectral = campaign
        .measures
        .iter()
        .any(|m| matches!(m.kind, MeasureKind::Spectral(_)));
    let batcher = spectral.then(|| SpectralBatcher::<Deferred>::new(opts.spectral_batch));
    let late: Mutex<Vec<Late>> = Mutex::default();

    // The campaign's dictionary: the one a run before trained, or one
    // trained on the first jobs of this run when it runs enough of them.
    let sidecar = dictionary_sidecar(&opts.store, &campaign.name);
    let mut dict_store = if opts.dictionary {
        campaign_dictionary(&opts.store, &sidecar)
            .map(|d| store_with(&opts.store, d))
            .transpose()?
    } else {
        None
    };
    let first = if dict_store.is_none() && opts.dictionary && to_run.len() >= 2 * DICT_TRAIN_JOBS {
        DICT_TRAIN_JOBS
    } else {
        to_run.len()
    };
    let total = to_run.len();
    let mut results = Vec::with_capacity(total);
    let mut dictionary_trained = None;
    for (lo, hi) in [(0, first), (first, total)] {
        if lo >= hi {
            continue;
        }
        if lo > 0 && dict_store.is_none() {
            // Train on the entries of the first batch (a failure only costs
            // the better ratio: the rest is stored without a dictionary).
            let keys: Vec<&str> = to_run[..lo]
                .iter()
                .zip(&results)
                .filter(|(_, r): &(&usize, &exec_pool::JobResult<()>)| r.status.is_ok())
                .map(|(&i, _)| plan.jobs[i].key.as_str())
                .collect();
            match train_campaign_dictionary(&opts.store, &keys, &sidecar) {
                Ok(Some(d)) => {
                    dictionary_trained = Some(d.id_hex());
                    dict_store = Some(store_with(&opts.store, d)?);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "no campaign dictionary: the results are stored without one")
                }
            }
        }
        let store = dict_store.as_ref().unwrap_or(&opts.store);
        let mut pool = Pool::new().with_cancel_token(opts.cancel.clone());
        if let Some(w) = opts.workers {
            pool = pool.with_workers(w);
        }
        if let Some(p) = &opts.progress {
            let p = p.clone();
            // one bar over both batches
            pool = pool.on_progress(move |pr| {
                p(&Progress {
                    done: pr.done + lo,
                    total,
                    ..*pr
                })
            });
        }
        let ctx = JobRun {
            campaign,
            sim,
            plan: &plan,
            store,
            netlist_dir: &netlist_dir,
            logs: &logs,
            work_root: opts.keep_work.then_some(work_root.as_path()),
            spectral: batcher.as_ref(),
            late: &late,
        };
        let batch = pool.run(to_run[lo..hi].iter().enumerate().map(|(k, &i)| {
            let ctx = &ctx;
            let detail = &details[lo + k];
            move |jc: &JobContext<'_>| ctx.run_one(i, jc, detail)
        }));
        // the jobs still waiting for a spectral batch (before the
        // dictionary is trained on this phase's entries)
        if let Some(b) = &batcher {
            ctx.commit_deferred(b.flush());
        }
        results.extend(batch);
    }
    let mut late: Vec<Option<Late>> = {
        let mut v: Vec<Option<Late>> = (0..plan.jobs.len()).map(|_| None).collect();
        for l in late.into_inner().unwrap_or_else(PoisonError::into_inner) {
            if let Some(slot) = v.get_mut(l.job) {
                *slot = Some(l);
            }
        }
        v
    };
    if let Some(id) = &dictionary_trained {
        tracing::info!(dictionary = %id, "campaign dictionary trained on the first {first} results");
    }

    // Put the outcomes together in the campaign's order.
    let mut outcomes: Vec<JobOutcome> = plan
        .jobs
        .iter()
        .map(|j| {
            let m = j.cached.as_ref();
            JobOutcome {
                index: j.params.index,
                id: j.id.clone(),
                key: j.key.clone(),
                params: j.params.params.clone(),
                params_text: params_text(&j.params),
                outcome: Outcome::Ok,
                cached: true,
                reason: String::new(),
                log: None,
                log_tail: m.map(|m| m.log_tail.clone()).unwrap_or_default(),
                exit_code: m.and_then(|m| m.exit_code),
                wall_s: m.map_or(0.0, |m| m.wall_s),
                cpu_s: m.map_or(0.0, |m| m.cpu_s),
                overhead_s: 0.0,
                measures: m
                    .map(|m| {
                        measure_names
                            .iter()
                            .map(|n| m.measures.iter().find(|(k, _)| k == n).map(|(_, v)| *v))
                            .collect()
                    })
                    .unwrap_or_default(),
                bytes_written: 0,
                decision: j.decision.clone(),
            }
        })
        .collect();
    // Cached results that lack measures: measured from their entries, the
    // spectral records of many entries in one batch.
    let remeasure = spectral.then(|| SpectralBatcher::<usize>::new(opts.spectral_batch));
    for k in 0..outcomes.len() {
        let (j, o) = (&plan.jobs[k], &mut outcomes[k]);
        if j.remeasure && o.cached {
            match measure_cached(&opts.store, &j.key, &campaign.measures) {
                Ok(Some(p)) => match &remeasure {
                    Some(b) if p.records() > 0 => {
                        o.measures = p.values().to_vec();
                        for (done, v) in b.submit(k, p) {
                            outcomes[done].measures = v;
                        }
                    }
                    _ => o.measures = p.finish(),
                },
                Ok(None) => {
                    o.outcome = Outcome::Failed;
                    o.reason = "the cached result went missing while its measures were computed; run again".into();
                }
                Err(e) => {
                    o.outcome = Outcome::Failed;
                    o.reason = format!("cannot compute the measures from the cached result: {e}");
                }
            }
        }
    }
    if let Some(b) = &remeasure {
        for (k, v) in b.flush() {
            outcomes[k].measures = v;
        }
    }
    for (slot, r) in results.into_iter().enumerate() {
        let i = to_run[slot];
        let d = std::mem::take(&mut *details[slot].lock().unwrap_or_else(PoisonError::into_inner));
        let o = &mut outcomes[i];
        o.cached = false;
        o.outcome = match &r.status {
            exec_pool::JobStatus::Ok(()) => Outcome::Ok,
            exec_pool::JobStatus::Failed(_) => Outcome::Failed,
            exec_pool::JobStatus::TimedOut => Outcome::TimedOut,
            exec_pool::JobStatus::Cancelled => Outcome::Cancelled,
        };
        o.reason = match &r.status {
            exec_pool::JobStatus::Failed(text) if d.reason.is_empty() => text.clone(),
            exec_pool::JobStatus::TimedOut if d.reason.is_empty() => match campaign.timeout {
                Some(t) => format!("timed out after {} s", t.as_secs_f64()),
                None => "timed out".to_string(),
            },
            exec_pool::JobStatus::Cancelled if d.reason.is_empty() => {
                if r.elapsed.is_zero() {
                    "cancelled before it started".to_string()
                } else {
                    "cancelled while running".to_string()
                }
            }
            _ => d.reason,
        };
        o.log = d.log;
        o.log_tail = d.log_tail;
        o.exit_code = d.exit_code;
        o.wall_s = d.wall_s;
        o.cpu_s = d.cpu_s;
        o.overhead_s = d.overhead_s;
        o.measures = d.measures;
        o.bytes_written = d.bytes_written;
        // a job whose entry waited for a spectral batch: its values, and
        // whether the entry could be committed
        let stored = match late.get_mut(i).and_then(Option::take) {
            Some(l) => {
                o.measures = l.measures;
                l.stored
            }
            None if d.deferred => Err(store_failure(&"its spectral batch did not finish")),
            None => Ok(o.bytes_written),
        };
        match stored {
            Ok(bytes) => o.bytes_written = bytes,
            Err(reason) if o.outcome == Outcome::Ok => {
                o.outcome = Outcome::Failed;
                o.reason = reason;
            }
            Err(_) => {}
        }
    }

    // Record what finished in the manifest, keeping the entries of jobs
    // that did not.
    let mut manifest = incremental::Manifest::load(&plan.manifest_path)?
        .unwrap_or_else(|| incremental::Manifest::new(campaign.name.clone()));
    for (j, o) in plan.jobs.iter().zip(&outcomes) {
        if o.outcome == Outcome::Ok {
            manifest.record(j.id.clone(), &j.job.identity);
        }
    }
    if let Some(dir) = plan.manifest_path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    manifest.save(&plan.manifest_path)?;

    let count = |k: Outcome| outcomes.iter().filter(|o| o.outcome == k).count();
    let ok_jobs: Vec<&JobOutcome> = outcomes
        .iter()
        .filter(|o| o.outcome == Outcome::Ok)
        .collect();
    let measures = measure_names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            (
                name.clone(),
                summarise(ok_jobs.iter().map(|o| o.measures.get(k).copied().flatten())),
            )
        })
        .collect();
    // Every spec names a measure (the parser checks); the filter only
    // guards against a campaign built by hand.
    let specs: Vec<crate::spec::Spec> = campaign
        .specs
        .iter()
        .filter(|s| measure_names.contains(&s.measure))
        .cloned()
        .collect();
    let yield_summary = (!specs.is_empty()).then(|| {
        let rows: Vec<&[Option<f64>]> = ok_jobs.iter().map(|o| o.measures.as_slice()).collect();
        yield_summary(&specs, &measure_names, &rows)
    });
    let own_cpu = exec_pool::group::cpu_time(std::process::id())
        .map(|d| d.as_secs_f64())
        .unwrap_or_else(|| {
            outcomes
                .iter()
                .map(|o| if o.cached { 0.0 } else { o.cpu_s })
                .sum()
        });
    Ok(RunReport {
        campaign: campaign.name.clone(),
        simulator: plan.simulator.clone(),
        jobs: outcomes.len(),
        ran: to_run.len(),
        cache_hits: outcomes.len() - to_run.len(),
        ok: count(Outcome::Ok),
        failed: count(Outcome::Failed),
        timed_out: count(Outcome::TimedOut),
        cancelled: count(Outcome::Cancelled),
        wall_s: started.elapsed().as_secs_f64(),
        cpu_s: own_cpu,
        bytes_written: outcomes.iter().map(|o| o.bytes_written).sum(),
        outcomes,
        measures,
        yield_summary,
        out_dir,
        spectral_batches: batcher.as_ref().map_or(0, SpectralBatcher::batches)
            + remeasure.as_ref().map_or(0, SpectralBatcher::batches),
    })
}

/// What every job of a run shares.
struct JobRun<'a> {
    campaign: &'a Campaign,
    sim: &'a dyn SimulatorAdapter,
    plan: &'a Plan,
    store: &'a DiskStore,
    netlist_dir: &'a Path,
    logs: &'a Path,
    work_root: Option<&'a Path>,
    /// Where jobs with spectral records leave their entries (`None`: the
    /// campaign has no spectral measure).
    spectral: Option<&'a SpectralBatcher<'static, Deferred>>,
    /// What the batches did for those jobs.
    late: &'a Mutex<Vec<Late>>,
}

/// A job whose result is written but whose entry waits for its spectral
/// measures (a batch across jobs) before it is committed.
struct Deferred {
    /// The job's index in the plan.
    job: usize,
    /// The entry, every plot written, not committed.
    writer: EntryWriter<StoreWriter>,
    /// Its metadata, the measures that need no FFT filled in.
    meta: JobMeta,
}

/// What the batch of a [`Deferred`] job gave.
struct Late {
    /// The job's index in the plan.
    job: usize,
    /// All its measures, in the campaign's order.
    measures: Vec<Option<f64>>,
    /// The entry's size, or why it could not be committed.
    stored: Result<u64, String>,
}

impl JobRun<'_> {
    /// Runs job `i` of the plan: its outcome is the returned status (for
    /// the pool and its progress) plus what it leaves in `detail`.
    fn run_one(&self, i: usize, jc: &JobContext<'_>, detail: &Mutex<Detail>) -> Result<(), String> {
        let t0 = Instant::now();
        let planned = &self.plan.jobs[i];
        let index = planned.params.index;
        let mut d = Detail::default();
        let r = self.simulate(i, jc, &mut d);
        if let Err(reason) = &r {
            d.reason.clone_from(reason);
        }
        d.overhead_s = (t0.elapsed().as_secs_f64() - d.wall_s).max(0.0);
        tracing::debug!(job = index, ok = r.is_ok(), "job finished");
        *detail.lock().unwrap_or_else(PoisonError::into_inner) = d;
        r
    }

    fn work_dir(&self, index: usize) -> Result<(PathBuf, Option<tempfile::TempDir>), String> {
        match self.work_root {
            Some(root) => {
                let dir = root.join(format!("job-{index}"));
                if dir.exists() {
                    std::fs::remove_dir_all(&dir)
                        .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
                }
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok((dir, None))
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("spicelab-job-")
                    .tempdir()
                    .map_err(|e| format!("cannot create a work directory: {e}"))?;
                Ok((t.path().to_path_buf(), Some(t)))
            }
        }
    }

    fn simulate(&self, i: usize, jc: &JobContext<'_>, d: &mut Detail) -> Result<(), String> {
        let planned = &self.plan.jobs[i];
        let index = planned.params.index;
        let (work, _guard) = self.work_dir(index)?;
        let job = SimJob {
            text: &planned.job.text,
            netlist_dir: self.netlist_dir,
            temperature: planned.params.temperature,
            save: &self.campaign.save,
        };
        let prepared = self.sim.prepare(&job, &work).map_err(|e| e.to_string())?;
        let mut cmd = CommandJob::new(prepared.command)
            .stderr(Capture::Tail(16 * 1024))
            .stdout(if prepared.log_is_stdout {
                Capture::file(&prepared.log)
            } else {
                Capture::Tail(16 * 1024)
            });
        if let Some(t) = self.campaign.timeout {
            cmd = cmd.timeout(t);
        }
        let sim_start = Instant::now();
        let run = cmd.run(jc);
        d.wall_s = sim_start.elapsed().as_secs_f64();
        let output = match &run {
            Ok(o) => Some(o),
            Err(e) => e.output(),
        };
        if let Some(o) = output {
            d.exit_code = o.status.code();
            d.cpu_s = o.cpu.map_or(0.0, |c| c.as_secs_f64());
        }
        // What the simulator printed (when its log is a file of its own)
        // comes first, its log after: the tail is the log's end.
        let mut log_text = String::new();
        if let (Some(o), false) = (output, prepared.log_is_stdout) {
            for t in [&o.stdout, &o.stderr] {
                if !t.bytes.is_empty() {
                    log_text.push_str(&t.text());
                    if !log_text.ends_with('\n') {
                        log_text.push('\n');
                    }
                }
            }
        }
        if let Ok(b) = std::fs::read(&prepared.log) {
            log_text.push_str(&String::from_utf8_lossy(&b));
        }
        d.log_tail = self.sim.log_tail(&log_text, LOG_TAIL_LINES);
        let failure = match &run {
            Ok(_) => None,
            Err(CommandError::TimedOut { after, .. }) => {
                Some(format!("timed out after {} s", after.as_secs_f64()))
            }
            Err(CommandError::Cancelled { .. }) => Some("cancelled while running".to_string()),
            Err(CommandError::Exited { output, .. }) => {
                let why = self.sim.failure_reason(&log_text);
                let how = match (output.status.code(), signal_of(&output.status)) {
                    (Some(c), _) => format!("{} exited {c}", self.sim.name()),
                    (None, Some(s)) => {
                        format!("{} was killed by signal {s} (crashed)", self.sim.name())
                    }
                    (None, None) => format!("{} ended abnormally", self.sim.name()),
                };
                Some(match why {
                    Some(w) => format!("{how}: {w}"),
                    None => how,
                })
            }
            Err(e) => Some(e.to_string()),
        };
        let failure = match failure {
            Some(f) => Some(f),
            None => match RawFile::open(&prepared.raw) {
                Ok(raw) => self.store_result(i, &raw, d).err(),
                Err(e) => Some(format!(
                    "{} exited 0 but left no readable RAW file ({e}){}",
                    self.sim.name(),
                    self.sim
                        .failure_reason(&log_text)
                        .map(|w| format!(": {w}"))
                        .unwrap_or_default()
                )),
            },
        };
        match failure {
            None => Ok(()),
            Some(reason) => {
                if !matches!(run, Err(CommandError::Cancelled { output: None, .. })) {
                    d.log = self.keep_log(index, &log_text);
                }
                Err(reason)
            }
        }
    }

    /// Keeps a failed job's log under `logs/job-N.log`.
    fn keep_log(&self, index: usize, text: &str) -> Option<PathBuf> {
        let path = self.logs.join(format!("job-{index}.log"));
        let r = std::fs::create_dir_all(self.logs).and_then(|()| std::fs::write(&path, text));
        match r {
            Ok(()) => Some(path),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot keep the log of a failed job");
                None
            }
        }
    }

    /// Streams the RAW file into a cache entry under the job's key while
    /// the measures are computed on the same chunks.
    fn store_result(&self, job: usize, raw: &RawFile, d: &mut Detail) -> Result<(), String> {
        let planned = &self.plan.jobs[job];
        let mut measurer =
            Measurer::new(raw, &self.campaign.measures).map_err(|e| e.to_string())?;
        let mut w = self
            .store
            .writer(raw.dialect(), raw.encoding())
            .map_err(|e| store_failure(&e))?;
        crate::store::write_raw(&mut w, raw, |plot, chunk| measurer.feed(plot, chunk))
            .map_err(|e| store_failure(&e))?;
        let prepared = measurer.prepare();
        if let (Some(batcher), true) = (self.spectral, prepared.records() > 0) {
            // the entry is committed by the batch that computes the
            // spectral measures (this job's call, or a later one's)
            d.measures = prepared.values().to_vec();
            d.deferred = true;
            let meta = self.job_meta(planned, d);
            let deferred = Deferred {
                job,
                writer: w,
                meta,
            };
            self.commit_deferred(batcher.submit(deferred, prepared));
            return Ok(());
        }
        d.measures = prepared.finish();
        let meta = self.job_meta(planned, d);
        d.bytes_written = self
            .store
            .commit(w, &planned.key, &meta)
            .map_err(|e| store_failure(&e))?;
        Ok(())
    }

    /// The metadata stored with a job's result: what `d` holds, the
    /// measures with a value.
    fn job_meta(&self, planned: &PlannedJob, d: &Detail) -> JobMeta {
        JobMeta {
            params: planned.params.params.clone(),
            simulator: self.plan.simulator.name.clone(),
            simulator_version: self.plan.simulator.version.clone(),
            status: cache_zstd::JobStatus::Ok,
            exit_code: d.exit_code,
            reason: String::new(),
            wall_s: d.wall_s,
            cpu_s: d.cpu_s,
            log_tail: d.log_tail.clone(),
            measures: self
                .campaign
                .measures
                .iter()
                .zip(&d.measures)
                .filter_map(|(m, v)| v.map(|v| (m.name.clone(), v)))
                .collect(),
        }
    }

    /// Commits the entries of a finished spectral batch, their measures
    /// complete, and records what each got for the summary.
    fn commit_deferred(&self, done: Vec<(Deferred, Vec<Option<f64>>)>) {
        if done.is_empty() {
            return;
        }
        let mut late = Vec::with_capacity(done.len());
        for (mut def, measures) in done {
            def.meta.measures = self
                .campaign
                .measures
                .iter()
                .zip(&measures)
                .filter_map(|(m, v)| v.map(|v| (m.name.clone(), v)))
                .collect();
            let stored = match self.plan.jobs.get(def.job) {
                Some(j) => self
                    .store
                    .commit(def.writer, &j.key, &def.meta)
                    .map_err(|e| store_failure(&e)),
                None => Err(format!("no job {} in the plan", def.job)),
            };
            if let Err(e) = &stored {
                tracing::warn!(job = def.job, "{e}");
            }
            late.push(Late {
                job: def.job,
                measures,
                stored,
            });
        }
        self.late
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(late);
    }
}

/// Why a job's result could not be stored.
fn store_failure(e: &dyn std::fmt::Display) -> String {
    format!("cannot store the result: {e}")
}

/// The measures of the cached result under `key`, decoded block by block.
fn measure_cached(
    store: &DiskStore,
    key: &str,
    specs: &[crate::measure::MeasureSpec],
) -> Result<Option<Prepared>, String> {
    let r = store.read_with(key, |mut r| {
        let headers: Vec<waveform::PlotHeader> =
            r.meta().plots.iter().map(|p| p.header.clone()).collect();
        let refs: Vec<&waveform::PlotHeader> = headers.iter().collect();
        let mut m = match Measurer::for_headers(&refs, specs) {
            Ok(m) => m,
            Err(e) => return Ok(Err(e.to_string())),
        };
        while let Some(b) = r.next_block()? {
            let chunk = Chunk {
                start: b.start,
                len: b.len(),
                step: 0,
                columns: b.columns,
            };
            m.feed(b.plot, &chunk);
        }
        Ok(Ok(m.prepare()))
    });
    match r {
        Ok(Some(Ok(v))) => Ok(Some(v)),
        Ok(Some(Err(e))) => Err(e),
        Ok(None) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

#[cfg(not(unix))]
fn signal_of(_: &std::process::ExitStatus) -> Option<i32> {
    None
}

/// A cold campaign that runs at least twice this many jobs runs this many
/// first, trains a zstd dictionary on their cache entries (what the runs of
/// one circuit share: variable names, time grids, similar waveforms), and
/// stores the rest with it; later runs of the campaign use it too.
pub const DICT_TRAIN_JOBS: usize = 16;

/// Where the id of a campaign's dictionary is kept:
/// `manifests/NAME.dict` beside its manifest.
fn dictionary_sidecar(store: &DiskStore, campaign: &str) -> PathBuf {
    manifest_path(store, campaign).with_extension("dict")
}

/// The dictionary a run before trained for this campaign, if it is still there.
fn campaign_dictionary(store: &DiskStore, sidecar: &Path) -> Option<cache_zstd::Dictionary> {
    let hex = std::fs::read_to_string(sidecar).ok()?;
    let hex = hex.trim();
    let mut id = [0u8; 32];
    if hex.len() != 64 {
        return None;
    }
    for (k, b) in id.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * k..2 * k + 2)?, 16).ok()?;
    }
    match store.dictionary(&id) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "the campaign's dictionary cannot be read: a new one is trained");
            None
        }
    }
}

/// A store like `base` that codes new entries with `d` (and stores `d`).
fn store_with(base: &DiskStore, d: cache_zstd::Dictionary) -> Result<DiskStore, RunError> {
    let opts = cache_zstd::EncodeOptions {
        dictionary: Some(d),
        ..base.options().clone()
    };
    Ok(DiskStore::new(base.dir())?.with_options(opts)?)
}

/// Trains a dictionary on the entries under `keys` and records its id in
/// `sidecar`; `None` when there are too few samples.
fn train_campaign_dictionary(
    store: &DiskStore,
    keys: &[&str],
    sidecar: &Path,
) -> Result<Option<cache_zstd::Dictionary>, RunError> {
    let secret = store.options().secret.clone();
    let mut samples = Vec::new();
    for key in keys {
        let path = store.path_of(key)?;
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        match cache_zstd::dictionary_samples(&bytes, key, secret.as_ref(), &()) {
            Ok(s) => samples.extend(s),
            Err(e) => tracing::debug!(key, error = %e, "entry left out of the dictionary samples"),
        }
    }
    if samples.len() < 8 {
        return Ok(None);
    }
    let d = cache_zstd::train_dictionary(&samples, cache_zstd::DEFAULT_DICT_SIZE)?;
    store.put_dictionary(&d)?;
    if let Some(dir) = sidecar.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    outfile::write(sidecar, format!("{}\n", d.id_hex()).as_bytes()).map_err(|e| RunError::Io {
        path: sidecar.to_path_buf(),
        source: e.into_io_error(),
    })?;
    Ok(Some(d))
}

/// A duration as people write it in a summary (`41.2 s`, `3 min 5 s`).
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        let m = (s / 60.0).floor();
        format!("{m:.0} min {:.0} s", s - 60.0 * m)
    }
}
