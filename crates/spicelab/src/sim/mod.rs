//! Simulator adapters: how one campaign job becomes a simulator run.
//!
//! An adapter turns a job (the netlist text with the campaign's parameters
//! substituted, the temperature, the save list) and a private work
//! directory into a command line, and says where the RAW file and the log
//! land. The runner ([`crate::run`]) runs the command through `exec-pool`,
//! reads the RAW file with `raw-stream` and stores it in the cache.
//!
//! ngspice is implemented and tested; Xyce and LTspice build their command
//! lines through the same trait (their runs are not tested here: neither is
//! in Debian).
//!
//! ```no_run
//! use spicelab::sim::{adapter, SimJob};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ngspice = adapter("ngspice")?;
//! println!("{} {}", ngspice.name(), ngspice.version()?);
//! let work = tempfile::tempdir()?;
//! let job = SimJob {
//!     text: "rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1u\n.tran 10u 1m\n.end\n",
//!     netlist_dir: std::path::Path::new("."),
//!     temperature: Some(27.0),
//!     save: &["v(out)".to_string()],
//! };
//! let prepared = ngspice.prepare(&job, work.path())?;
//! let status = { let mut c = prepared.command; c.status()? };
//! assert!(status.success());
//! assert!(prepared.raw.exists());
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

mod ngspice;
mod others;
mod text;

pub use ngspice::Ngspice;
pub use others::{Ltspice, Xyce};

/// One job as the simulator is to run it.
#[derive(Debug, Clone, Copy)]
pub struct SimJob<'a> {
    /// The netlist with the campaign's `.param` lines in it
    /// (`incremental::Job::text`).
    pub text: &'a str,
    /// The directory of the campaign's netlist: relative `.include` and
    /// `.lib` names of the netlist resolve against it.
    pub netlist_dir: &'a Path,
    /// The circuit temperature in degrees Celsius, when the campaign sets one.
    pub temperature: Option<f64>,
    /// The vectors to keep (empty: all).
    pub save: &'a [String],
}

/// A job ready to run.
#[derive(Debug)]
pub struct Prepared {
    /// The command; its working directory is the job's private directory.
    pub command: Command,
    /// The netlist file written for the job.
    pub netlist: PathBuf,
    /// Where the RAW file will be.
    pub raw: PathBuf,
    /// Where the log will be.
    pub log: PathBuf,
    /// Whether the log is the command's stdout (the runner captures it
    /// into [`Prepared::log`]) rather than a file the simulator writes.
    pub log_is_stdout: bool,
}

/// Why a simulator could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// No adapter of that name.
    #[error("unknown simulator `{name}` (known: ngspice, xyce, ltspice)")]
    Unknown {
        /// The name asked for.
        name: String,
    },
    /// The simulator program could not be started.
    #[error("cannot run `{program}` to ask its version: {source} (is {name} installed? {hint})")]
    NotInstalled {
        /// The simulator's name.
        name: &'static str,
        /// The program tried.
        program: String,
        /// How to get it.
        hint: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The simulator ran but its version could not be read from its output.
    #[error("`{program}` did not say its version (output: {output:?})")]
    NoVersion {
        /// The program.
        program: String,
        /// The first line of what it printed.
        output: String,
    },
    /// The job's files could not be written.
    #[error("cannot write {path}: {source}", path = .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A simulator, as a campaign runs it.
pub trait SimulatorAdapter: Send + Sync {
    /// `ngspice`, `xyce`, `ltspice`.
    fn name(&self) -> &'static str;
    /// The program that is run.
    fn program(&self) -> &Path;
    /// Asks the simulator its version (once per campaign: it is part of
    /// every job's key).
    fn version(&self) -> Result<String, SimError>;
    /// Writes the job's netlist into `work` (a private, empty directory)
    /// and returns the command that runs it there.
    fn prepare(&self, job: &SimJob<'_>, work: &Path) -> Result<Prepared, SimError>;
    /// Why a run failed, from its log: the simulator's own words (the last
    /// error line), or `None` when the log names none.
    fn failure_reason(&self, log: &str) -> Option<String>;
    /// The last `n` lines of a log that say something about the run
    /// (memory statistics and blank lines left out).
    fn log_tail(&self, log: &str, n: usize) -> String {
        text::tail_lines(log, n)
    }
}

/// The adapter of the simulator named `name` (case-insensitive). The
/// program is the simulator's usual name on `PATH`, or the path in
/// `SPICELAB_NGSPICE`, `SPICELAB_XYCE`, `SPICELAB_LTSPICE`.
pub fn adapter(name: &str) -> Result<Box<dyn SimulatorAdapter>, SimError> {
    let from_env = |var: &str, default: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(default))
    };
    match name.to_ascii_lowercase().as_str() {
        "ngspice" => Ok(Box::new(Ngspice::new(from_env(
            "SPICELAB_NGSPICE",
            "ngspice",
        )))),
        "xyce" => Ok(Box::new(Xyce::new(from_env("SPICELAB_XYCE", "Xyce")))),
        "ltspice" => Ok(Box::new(Ltspice::new(from_env(
            "SPICELAB_LTSPICE",
            "ltspice",
        )))),
        _ => Err(SimError::Unknown {
            name: name.to_string(),
        }),
    }
}

pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), SimError> {
    std::fs::write(path, text).map_err(|source| SimError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Runs `program arg` (stdin from /dev/null) and reads its version out of
/// what it prints (stdout, then stderr) with `parse`.
pub(crate) fn ask_version(
    name: &'static str,
    program: &Path,
    arg: &str,
    hint: &'static str,
    parse: impl Fn(&str) -> Option<String>,
) -> Result<String, SimError> {
    let shown = program.display().to_string();
    let out = Command::new(program)
        .arg(arg)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| SimError::NotInstalled {
            name,
            program: shown.clone(),
            hint,
            source,
        })?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    parse(&text).ok_or_else(|| SimError::NoVersion {
        program: shown,
        output: text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string(),
    })
}
