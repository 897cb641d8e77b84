//! What a simulation job was and how it ended: stored beside its result.

use serde::{Deserialize, Serialize};
use waveform::ParamValue;

/// What a simulation job was, besides its result. Campaigns fill it; a
/// `cache put` of a bare RAW file leaves it at its default.
///
/// Stored in the entry's footer as tagged fields (see `docs/cache.md`): a
/// field added here gets a new number there, entries written before it
/// read it as its default, and older builds skip it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JobMeta {
    /// The job's parameters, in order: a number (`r1 = 1k` is 1000) or a
    /// text (a corner name).
    pub params: Vec<(String, ParamValue)>,
    /// The simulator's name, e.g. `ngspice`.
    pub simulator: String,
    /// The simulator's version, e.g. `44` (older entries hold
    /// `ngspice-44` here and an empty name).
    pub simulator_version: String,
    /// How the job ended.
    pub status: JobStatus,
    /// The simulator's exit code, when it exited (not when killed).
    pub exit_code: Option<i32>,
    /// Why the job failed, timed out or was cancelled (empty when it is ok).
    pub reason: String,
    /// Wall-clock time of the job, seconds.
    pub wall_s: f64,
    /// CPU time of the job (user + system), seconds.
    pub cpu_s: f64,
    /// The last lines of the simulator's log.
    pub log_tail: String,
    /// Measures computed on the result (`[measure]` of a campaign), in order.
    pub measures: Vec<(String, f64)>,
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum JobStatus {
    /// Finished normally.
    #[default]
    Ok,
    /// The simulator reported an error.
    Failed,
    /// Killed at its time limit.
    TimedOut,
    /// Cancelled by the user.
    Cancelled,
}

impl JobStatus {
    /// `ok`, `failed`, `timed out` or `cancelled`.
    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Ok => "ok",
            JobStatus::Failed => "failed",
            JobStatus::TimedOut => "timed out",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
