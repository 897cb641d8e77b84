//! The cancellation token and what a running job sees of the pool.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A shared flag that stops a batch: once set, no new job starts, running
/// external commands are ended and closures see [`JobContext::is_cancelled`].
///
/// Cheap to clone (one `Arc`); setting it is async-signal-safe in effect (one
/// atomic store), so a Ctrl-C handler may call [`CancelToken::cancel`]. It
/// stays set: a pool whose token is set returns every job of later batches as
/// `Cancelled` until [`CancelToken::reset`].
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the token.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the token is set.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Clears the token, so that the next batch runs again.
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// What a running job sees: its index in the batch and the batch's
/// cancellation token.
///
/// The context also records how the job ended when it ran an external command
/// ([`crate::CommandJob::run`]) or looked at the token: a job that returns an
/// error after one of its commands timed out is reported
/// [`crate::JobStatus::TimedOut`], and one that returns an error after it saw
/// the token set is [`crate::JobStatus::Cancelled`], whatever its error type.
#[derive(Debug)]
pub struct JobContext<'a> {
    index: usize,
    cancel: &'a CancelToken,
    timed_out: AtomicBool,
    saw_cancel: AtomicBool,
}

impl<'a> JobContext<'a> {
    /// A context for job `index` under `cancel`; the pool makes one per job.
    /// Public so that a [`crate::CommandJob`] can run without a pool.
    pub fn new(index: usize, cancel: &'a CancelToken) -> Self {
        Self {
            index,
            cancel,
            timed_out: AtomicBool::new(false),
            saw_cancel: AtomicBool::new(false),
        }
    }

    /// The job's index in the batch (its submission position).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The batch's cancellation token.
    pub fn token(&self) -> &CancelToken {
        self.cancel
    }

    /// Whether the batch was cancelled. A job that sees `true` and then
    /// returns an error is reported `Cancelled`.
    pub fn is_cancelled(&self) -> bool {
        let set = self.cancel.is_cancelled();
        if set {
            self.saw_cancel.store(true, Ordering::Relaxed);
        }
        set
    }

    /// Records that the job ran out of time, so that an error it returns is
    /// reported `TimedOut` (commands run through the context do this).
    pub fn mark_timed_out(&self) {
        self.timed_out.store(true, Ordering::Relaxed);
    }

    /// Records that the job was stopped by the token (commands run through
    /// the context do this).
    pub fn mark_cancelled(&self) {
        self.saw_cancel.store(true, Ordering::Relaxed);
    }

    pub(crate) fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::Relaxed)
    }

    pub(crate) fn saw_cancel(&self) -> bool {
        self.saw_cancel.load(Ordering::Relaxed)
    }
}
