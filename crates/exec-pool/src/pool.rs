//! The pool: a work queue (an atomic index over the jobs) drained by scoped
//! worker threads, results put back in submission order.

use std::any::Any;
use std::fmt::{self, Display};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::context::{CancelToken, JobContext};
use crate::progress::{Progress, Tracker};

/// How a job ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobStatus<T> {
    /// The job returned `Ok(value)`.
    Ok(T),
    /// The job returned an error (its text, `{:#}` so that chains of context
    /// show) or panicked (`"panicked: <message>"`).
    Failed(String),
    /// The job ran out of time (an external command past its timeout).
    TimedOut,
    /// The job never started because the batch was cancelled, or it was
    /// stopped by the cancellation.
    Cancelled,
}

impl<T> JobStatus<T> {
    /// Whether the job succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, JobStatus::Ok(_))
    }

    /// The value of a successful job.
    pub fn ok(&self) -> Option<&T> {
        match self {
            JobStatus::Ok(v) => Some(v),
            _ => None,
        }
    }

    /// A short name: `ok`, `failed`, `timed_out`, `cancelled`.
    pub fn kind(&self) -> &'static str {
        match self {
            JobStatus::Ok(_) => "ok",
            JobStatus::Failed(_) => "failed",
            JobStatus::TimedOut => "timed_out",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

impl<T> Display for JobStatus<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobStatus::Failed(text) => write!(f, "failed: {text}"),
            other => f.write_str(other.kind()),
        }
    }
}

/// One job's outcome, at the job's submission index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobResult<T> {
    /// The job's position in the submitted batch.
    pub index: usize,
    /// How it ended.
    pub status: JobStatus<T>,
    /// For a job that timed out or was stopped by the cancellation while it
    /// ran: the error it returned (for a command, with its stderr tail).
    pub detail: Option<String>,
    /// Time from the job's start to its end; zero for a job that never ran.
    pub elapsed: Duration,
}

type Observer = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Runs batches of jobs on a fixed number of worker threads.
///
/// The pool holds no threads between batches: each [`Pool::run`] starts
/// `min(workers, jobs)` scoped threads and joins them before it returns.
#[derive(Clone)]
pub struct Pool {
    workers: usize,
    cancel: CancelToken,
    observer: Option<Observer>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers)
            .field("cancelled", &self.cancel.is_cancelled())
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

impl Default for Pool {
    fn default() -> Self {
        Self::new()
    }
}

impl Pool {
    /// A pool with one worker per core (`std::thread::available_parallelism`,
    /// 1 when unknown).
    pub fn new() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cancel: CancelToken::new(),
            observer: None,
        }
    }

    /// Sets the number of workers (at least 1).
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Uses `token` as this pool's cancellation token (to share one token
    /// between pools or with a signal handler installed earlier).
    pub fn with_cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = token;
        self
    }

    /// Calls `observer` after every finished job, one call at a time, with
    /// counts that only grow; once more at the end of a cancelled batch with
    /// the jobs that never started counted as cancelled. It runs on a worker
    /// thread, so it should be quick (drawing a bar, bumping a counter).
    pub fn on_progress(mut self, observer: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The pool's cancellation token: [`CancelToken::cancel`] stops the
    /// current batch (from any thread or a signal handler).
    pub fn cancel_handle(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Runs every job and returns one result per job, in submission order.
    ///
    /// A job returning `Err(e)` is `Failed(format!("{e:#}"))`, unless it ran
    /// out of time or saw the cancellation through its [`JobContext`] (then
    /// `TimedOut` or `Cancelled`); a panicking job is `Failed("panicked: ..")`.
    /// Once the token is set no further job starts; those are `Cancelled`.
    pub fn run<T, E, F, I>(&self, jobs: I) -> Vec<JobResult<T>>
    where
        I: IntoIterator<Item = F>,
        F: FnOnce(&JobContext<'_>) -> Result<T, E> + Send,
        T: Send,
        E: Display,
    {
        let slots: Vec<Mutex<Option<F>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
        let total = slots.len();
        let started = Instant::now();
        let tracker = self
            .observer
            .as_ref()
            .map(|o| Tracker::new(total, started, o.as_ref()));
        let next = AtomicUsize::new(0);
        let cancel = &self.cancel;
        let workers = self.workers.min(total).max(1);
        tracing::debug!(jobs = total, workers, "batch starts");

        let mut results: Vec<Option<JobResult<T>>> = Vec::with_capacity(total);
        results.resize_with(total, || None);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        while !cancel.is_cancelled() {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(slot) = slots.get(index) else { break };
                            let job = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
                            let Some(job) = job else { continue };
                            let result = run_one(index, job, cancel);
                            if let Some(tracker) = &tracker {
                                let status = &result.status;
                                if catch_unwind(AssertUnwindSafe(|| tracker.record(status)))
                                    .is_err()
                                {
                                    tracing::error!("the progress observer panicked");
                                }
                            }
                            done.push(result);
                        }
                        done
                    })
                })
                .collect();
            for handle in handles {
                // Jobs and the observer run under catch_unwind: a worker
                // does not panic.
                match handle.join() {
                    Ok(done) => {
                        for result in done {
                            let index = result.index;
                            if let Some(slot) = results.get_mut(index) {
                                *slot = Some(result);
                            }
                        }
                    }
                    Err(_) => tracing::error!("a worker panicked; its jobs are reported cancelled"),
                }
            }
        });

        let mut never_ran = 0;
        let results: Vec<JobResult<T>> = results
            .into_iter()
            .enumerate()
            .map(|(index, r)| {
                r.unwrap_or_else(|| {
                    never_ran += 1;
                    JobResult {
                        index,
                        status: JobStatus::Cancelled,
                        detail: None,
                        elapsed: Duration::ZERO,
                    }
                })
            })
            .collect();
        if never_ran > 0 {
            tracing::info!(cancelled = never_ran, "batch cancelled");
            if let Some(tracker) = &tracker {
                tracker.record_never_ran(never_ran);
            }
        }
        tracing::debug!(
            jobs = total,
            wall_s = started.elapsed().as_secs_f64(),
            "batch done"
        );
        results
    }

    /// Runs external commands (see [`crate::CommandJob`]); a command that
    /// exits non-zero is `Failed` with its exit status and stderr tail.
    #[cfg(unix)]
    pub fn run_commands(
        &self,
        jobs: impl IntoIterator<Item = crate::CommandJob>,
    ) -> Vec<JobResult<crate::CommandOutput>> {
        self.run(
            jobs.into_iter()
                .map(|job| move |ctx: &JobContext<'_>| job.run(ctx)),
        )
    }
}

fn run_one<T, E, F>(index: usize, job: F, cancel: &CancelToken) -> JobResult<T>
where
    F: FnOnce(&JobContext<'_>) -> Result<T, E>,
    E: Display,
{
    let ctx = JobContext::new(index, cancel);
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| job(&ctx)));
    let elapsed = start.elapsed();
    let (status, detail) = match outcome {
        Ok(Ok(value)) => (JobStatus::Ok(value), None),
        Ok(Err(e)) => {
            let text = format!("{e:#}");
            if ctx.timed_out() {
                tracing::debug!(job = index, error = %text, "job timed out");
                (JobStatus::TimedOut, Some(text))
            } else if ctx.saw_cancel() {
                (JobStatus::Cancelled, Some(text))
            } else {
                tracing::debug!(job = index, error = %text, "job failed");
                (JobStatus::Failed(text), None)
            }
        }
        Err(payload) => {
            let text = format!("panicked: {}", panic_message(payload.as_ref()));
            tracing::debug!(job = index, error = %text, "job panicked");
            (JobStatus::Failed(text), None)
        }
    };
    JobResult {
        index,
        status,
        detail,
        elapsed,
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a non-string payload)"
    }
}
