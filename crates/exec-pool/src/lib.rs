//! A generic parallel job runner: a batch of jobs on N worker threads, results
//! in submission order, one status per job. It knows nothing of SPICE.
//!
//! - A job is a closure `FnOnce(&JobContext) -> Result<T, E>` ([`Pool::run`])
//!   or an external command ([`CommandJob`], [`Pool::run_commands`]; Unix).
//! - Every job ends as [`JobStatus::Ok`], [`JobStatus::Failed`] (the error
//!   text; a panic becomes `Failed("panicked: ...")`), [`JobStatus::TimedOut`]
//!   or [`JobStatus::Cancelled`]. A failing or panicking job never stops the
//!   others.
//! - An external command runs in its own process group with an optional
//!   timeout; on timeout or cancellation the whole group gets SIGTERM, then
//!   SIGKILL after a grace period, so no grandchild survives. Its stdout and
//!   stderr are kept as bounded tails or written to files ([`Capture`]).
//! - [`Pool::cancel_handle`] gives a [`CancelToken`]: once set, no new job
//!   starts, running commands are ended, closures see
//!   [`JobContext::is_cancelled`], and the pool returns what finished with
//!   the rest `Cancelled`. With the `ctrlc` feature, `cancel_on_ctrlc` sets
//!   it from SIGINT; a binary may as well install its own handler and call
//!   [`CancelToken::cancel`].
//! - [`Pool::on_progress`] observes every finished job ([`Progress`]: done,
//!   total, failures). [`LogProgress`] logs a `tracing` line every few
//!   seconds; with the `progress` feature, `ProgressReporter` draws an
//!   `indicatif` bar on a terminal and falls back to log lines elsewhere.
//!
//! ```
//! use exec_pool::{JobStatus, Pool};
//!
//! let pool = Pool::new().with_workers(2);
//! let jobs: Vec<Box<dyn FnOnce(&exec_pool::JobContext) -> Result<u32, String> + Send>> = vec![
//!     Box::new(|_| Ok(1)),
//!     Box::new(|_| Err("bad input".to_string())),
//!     Box::new(|_| panic!("boom")),
//!     Box::new(|ctx| Ok(10 * ctx.index() as u32)),
//! ];
//! let results = pool.run(jobs);
//! assert_eq!(results[0].status, JobStatus::Ok(1));
//! assert_eq!(results[1].status, JobStatus::Failed("bad input".into()));
//! assert_eq!(results[2].status, JobStatus::Failed("panicked: boom".into()));
//! assert_eq!(results[3].status, JobStatus::Ok(30));
//!
//! # #[cfg(unix)] {
//! use exec_pool::CommandJob;
//! use std::process::Command;
//! use std::time::Duration;
//!
//! let mut echo = Command::new("sh");
//! echo.args(["-c", "echo hello"]);
//! let mut slow = Command::new("sleep");
//! slow.arg("10");
//! let results = pool.run_commands(vec![
//!     CommandJob::new(echo),
//!     CommandJob::new(slow).timeout(Duration::from_millis(100)),
//! ]);
//! match &results[0].status {
//!     JobStatus::Ok(out) => assert_eq!(out.stdout.bytes, b"hello\n"),
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(results[1].status, JobStatus::TimedOut);
//! # }
//! ```
//!
//! A panicking job still prints through the process's panic hook (stderr by
//! default); the pool does not change the hook. Panics are caught with
//! `catch_unwind`, so a binary built with `panic = "abort"` loses that
//! guarantee.

mod context;
mod pool;
mod progress;

#[cfg(unix)]
mod command;
#[cfg(unix)]
pub mod group;

#[cfg(feature = "ctrlc")]
mod interrupt;

pub use context::{CancelToken, JobContext};
pub use pool::{JobResult, JobStatus, Pool};
pub use progress::{LogProgress, Progress};

#[cfg(unix)]
pub use command::{
    Capture, CommandError, CommandJob, CommandOutput, Tail, DEFAULT_FILE_TAIL, DEFAULT_GRACE,
    DEFAULT_TAIL,
};

#[cfg(feature = "ctrlc")]
pub use interrupt::{cancel_on_ctrlc, CtrlcError};

#[cfg(feature = "progress")]
pub use progress::ProgressReporter;
