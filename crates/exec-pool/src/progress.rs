//! Progress of a batch: the counts handed to an observer, and two observers
//! (log lines; an indicatif bar with the `progress` feature).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::pool::JobStatus;

/// Counts of a running batch, handed to [`crate::Pool::on_progress`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Jobs finished so far (any status).
    pub done: usize,
    /// Jobs in the batch.
    pub total: usize,
    /// Finished `Ok`.
    pub ok: usize,
    /// Finished `Failed` (errors and panics).
    pub failed: usize,
    /// Finished `TimedOut`.
    pub timed_out: usize,
    /// `Cancelled` (stopped while running, or never started).
    pub cancelled: usize,
    /// Time since the batch started.
    pub elapsed: Duration,
}

impl Progress {
    /// Jobs that did not succeed for a reason of their own: failed or timed
    /// out.
    pub fn failures(&self) -> usize {
        self.failed + self.timed_out
    }
}

/// Serialises observer calls so that counts only grow.
pub(crate) struct Tracker<'a> {
    state: Mutex<Progress>,
    started: Instant,
    observer: &'a (dyn Fn(&Progress) + Send + Sync),
}

impl<'a> Tracker<'a> {
    pub(crate) fn new(
        total: usize,
        started: Instant,
        observer: &'a (dyn Fn(&Progress) + Send + Sync),
    ) -> Self {
        Self {
            state: Mutex::new(Progress {
                total,
                ..Progress::default()
            }),
            started,
            observer,
        }
    }

    pub(crate) fn record<T>(&self, status: &JobStatus<T>) {
        let mut p = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        p.done += 1;
        match status {
            JobStatus::Ok(_) => p.ok += 1,
            JobStatus::Failed(_) => p.failed += 1,
            JobStatus::TimedOut => p.timed_out += 1,
            JobStatus::Cancelled => p.cancelled += 1,
        }
        p.elapsed = self.started.elapsed();
        (self.observer)(&p);
    }

    pub(crate) fn record_never_ran(&self, n: usize) {
        let mut p = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        p.done += n;
        p.cancelled += n;
        p.elapsed = self.started.elapsed();
        (self.observer)(&p);
    }
}

/// An observer that logs one `tracing` info line every `every` (and one at
/// the end of the batch): for runs whose stderr is not a terminal.
///
/// ```
/// use exec_pool::{LogProgress, Pool};
/// use std::time::Duration;
///
/// let log = LogProgress::new("jobs", Duration::from_secs(5));
/// let pool = Pool::new().on_progress(move |p| log.observe(p));
/// let results = pool.run((0..10).map(|i| move |_: &exec_pool::JobContext| Ok::<_, String>(i)));
/// assert_eq!(results.len(), 10);
/// ```
#[derive(Debug)]
pub struct LogProgress {
    label: String,
    every: Duration,
    last: Mutex<Option<Instant>>,
}

impl LogProgress {
    /// Logs under `label` at most once per `every`.
    pub fn new(label: impl Into<String>, every: Duration) -> Self {
        Self {
            label: label.into(),
            every,
            last: Mutex::new(None),
        }
    }

    /// Feeds one progress report; logs if `every` passed since the last
    /// line, or if the batch is complete.
    pub fn observe(&self, p: &Progress) {
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let due = match *last {
            None => p.elapsed >= self.every,
            Some(t) => now.duration_since(t) >= self.every,
        };
        if due || p.done == p.total {
            *last = Some(now);
            tracing::info!(
                label = %self.label,
                done = p.done,
                total = p.total,
                failed = p.failed,
                timed_out = p.timed_out,
                cancelled = p.cancelled,
                elapsed_s = p.elapsed.as_secs_f64(),
                "progress"
            );
        }
    }
}

/// An `indicatif` bar on stderr when stderr is a terminal; [`LogProgress`]
/// lines (every 5 s) otherwise. Feature `progress`.
///
/// ```
/// use exec_pool::{Pool, ProgressReporter};
///
/// let reporter = ProgressReporter::new("sims", 3);
/// let bar = reporter.clone();
/// let pool = Pool::new().on_progress(move |p| bar.observe(p));
/// pool.run((0..3).map(|i| move |_: &exec_pool::JobContext| Ok::<_, String>(i)));
/// reporter.finish();
/// ```
#[cfg(feature = "progress")]
#[derive(Clone, Debug)]
pub struct ProgressReporter {
    inner: std::sync::Arc<Reporter>,
}

#[cfg(feature = "progress")]
#[derive(Debug)]
enum Reporter {
    Bar(indicatif::ProgressBar),
    Log(LogProgress),
}

#[cfg(feature = "progress")]
impl ProgressReporter {
    /// A reporter for a batch of `total` jobs.
    pub fn new(label: &str, total: usize) -> Self {
        use std::io::IsTerminal;
        let inner = if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            Reporter::Bar(bar)
        } else {
            Reporter::Log(LogProgress::new(label, Duration::from_secs(5)))
        };
        Self {
            inner: std::sync::Arc::new(inner),
        }
    }

    /// Feeds one progress report.
    pub fn observe(&self, p: &Progress) {
        match self.inner.as_ref() {
            Reporter::Bar(bar) => {
                bar.set_position(p.done as u64);
                if p.failures() + p.cancelled > 0 {
                    bar.set_message(format!(
                        "{} failed, {} timed out, {} cancelled",
                        p.failed, p.timed_out, p.cancelled
                    ));
                }
            }
            Reporter::Log(log) => log.observe(p),
        }
    }

    /// Clears the bar (no-op for log lines).
    pub fn finish(&self) {
        if let Reporter::Bar(bar) = self.inner.as_ref() {
            bar.finish_and_clear();
        }
    }
}
