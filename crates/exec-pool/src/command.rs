//! External commands as jobs (Unix): own process group, timeout, bounded
//! output tails, and the whole group ended on timeout or cancellation.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{waitid, Pid, WaitId, WaitIdOptions};

use crate::context::JobContext;
use crate::group::{self, GroupSignal};

/// Bytes kept of each stream by default ([`Capture::Tail`]), 64 KiB.
pub const DEFAULT_TAIL: usize = 64 * 1024;
/// Bytes read back from the end of a [`Capture::File`] by [`Capture::file`].
pub const DEFAULT_FILE_TAIL: usize = 4 * 1024;
/// How long a command gets between SIGTERM and SIGKILL by default.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2);

/// How often a waiting job looks at its deadline and the cancel token.
const POLL: Duration = Duration::from_millis(10);
/// How long to wait for the group to die after SIGKILL, and for output
/// readers to reach end of file after the leader is reaped.
const SETTLE: Duration = Duration::from_secs(1);

/// Where a command's stdout or stderr goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Capture {
    /// Discarded (`/dev/null`).
    Null,
    /// The parent's own stream.
    Inherit,
    /// Read through a pipe; only the last `n` bytes are kept.
    Tail(usize),
    /// Written in full to `path` (created or truncated); the last `tail`
    /// bytes are read back into the output when the command ends. Give
    /// stdout and stderr different files: each is opened on its own.
    File {
        /// The file that receives the stream.
        path: PathBuf,
        /// Bytes read back from its end.
        tail: usize,
    },
}

impl Capture {
    /// The stream to `path`, with the last [`DEFAULT_FILE_TAIL`] bytes read
    /// back.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Capture::File {
            path: path.into(),
            tail: DEFAULT_FILE_TAIL,
        }
    }
}

/// The end of one output stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tail {
    /// The last bytes of the stream (at most the capture's limit).
    pub bytes: Vec<u8>,
    /// How many bytes the stream had in all.
    pub total: u64,
}

impl Tail {
    /// Whether bytes were dropped from the front.
    pub fn truncated(&self) -> bool {
        self.total > self.bytes.len() as u64
    }

    /// The kept bytes as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }

    /// The last `n` non-empty lines, joined with `" | "`.
    pub fn last_lines(&self, n: usize) -> String {
        let text = self.text();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect();
        lines[lines.len().saturating_sub(n)..].join(" | ")
    }
}

/// What a finished command left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOutput {
    /// Its exit status (a signal for a command that was ended).
    pub status: ExitStatus,
    /// The tail of its stdout (empty unless captured as a tail or a file).
    pub stdout: Tail,
    /// The tail of its stderr.
    pub stderr: Tail,
    /// Its pid, which is also its process group id.
    pub pgid: u32,
    /// From spawn to reaping.
    pub elapsed: Duration,
    /// CPU time (user + system) of the leader and the children it waited
    /// for, read from `/proc` just before reaping; `None` where `/proc` is
    /// not there (not Linux). Resolution: one clock tick (usually 10 ms).
    pub cpu: Option<Duration>,
}

impl CommandOutput {
    /// The last few lines of stderr, or of stdout when stderr is empty.
    pub fn last_words(&self) -> String {
        let lines = self.stderr.last_lines(5);
        if lines.is_empty() {
            self.stdout.last_lines(5)
        } else {
            lines
        }
    }
}

fn words(output: &CommandOutput) -> String {
    let w = output.last_words();
    if w.is_empty() {
        String::new()
    } else {
        format!(": {w}")
    }
}

/// Why a command job did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The program could not be started.
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        source: io::Error,
    },
    /// An output file could not be created.
    #[error("cannot create {} for the output of `{program}`: {source}", path.display())]
    Capture {
        /// The program.
        program: String,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Waiting for the command, or starting a helper thread, failed; the
    /// command's group was killed.
    #[error("cannot wait for `{program}`: {source}")]
    Wait {
        /// The program.
        program: String,
        /// The OS error.
        source: io::Error,
    },
    /// The command ran and exited unsuccessfully.
    #[error("`{program}` failed ({}){}", output.status, words(output))]
    Exited {
        /// The program.
        program: String,
        /// Its status and output tails.
        output: Box<CommandOutput>,
    },
    /// The command ran past its timeout; its group was ended.
    #[error("`{program}` timed out after {:.3} s{}", after.as_secs_f64(), words(output))]
    TimedOut {
        /// The program.
        program: String,
        /// The timeout.
        after: Duration,
        /// Its status and output tails.
        output: Box<CommandOutput>,
    },
    /// The batch was cancelled; the command's group was ended (or, if the
    /// token was set before, it never started and `output` is `None`).
    #[error("`{program}` was cancelled")]
    Cancelled {
        /// The program.
        program: String,
        /// Its status and output tails, if it had started.
        output: Option<Box<CommandOutput>>,
    },
}

impl CommandError {
    /// The command's output, where it ran.
    pub fn output(&self) -> Option<&CommandOutput> {
        match self {
            CommandError::Exited { output, .. } | CommandError::TimedOut { output, .. } => {
                Some(output)
            }
            CommandError::Cancelled { output, .. } => output.as_deref(),
            _ => None,
        }
    }
}

/// An external command to run as a job: in its own process group, stdin
/// from `/dev/null`, with an optional timeout.
///
/// On timeout or cancellation the whole group gets SIGTERM; once the leader
/// has exited and no other member is alive, or after the grace period, the
/// group gets SIGKILL, so no grandchild survives. When the leader exits by
/// itself, members it left running in its group are killed too (turn off
/// with [`CommandJob::kill_leftovers`]). A process that left the group
/// (`setsid`, its own `setpgid`) is out of reach.
pub struct CommandJob {
    command: Command,
    timeout: Option<Duration>,
    grace: Duration,
    stdout: Capture,
    stderr: Capture,
    kill_leftovers: bool,
}

impl fmt::Debug for CommandJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandJob")
            .field("command", &self.command)
            .field("timeout", &self.timeout)
            .field("grace", &self.grace)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

enum Sink {
    None,
    Pipe(usize),
    File(PathBuf, usize),
}

impl Capture {
    fn prepare(&self, program: &str) -> Result<(Stdio, Sink), CommandError> {
        Ok(match self {
            Capture::Null => (Stdio::null(), Sink::None),
            Capture::Inherit => (Stdio::inherit(), Sink::None),
            Capture::Tail(n) => (Stdio::piped(), Sink::Pipe(*n)),
            Capture::File { path, tail } => {
                let file = File::create(path).map_err(|source| CommandError::Capture {
                    program: program.to_string(),
                    path: path.clone(),
                    source,
                })?;
                (Stdio::from(file), Sink::File(path.clone(), *tail))
            }
        })
    }
}

enum End {
    Exited,
    TimedOut(Duration),
    Cancelled,
}

impl CommandJob {
    /// Wraps `command`; by default no timeout, a grace of [`DEFAULT_GRACE`],
    /// both streams kept as [`DEFAULT_TAIL`]-byte tails. The command's own
    /// stdin, stdout and stderr settings are replaced.
    pub fn new(command: Command) -> Self {
        Self {
            command,
            timeout: None,
            grace: DEFAULT_GRACE,
            stdout: Capture::Tail(DEFAULT_TAIL),
            stderr: Capture::Tail(DEFAULT_TAIL),
            kill_leftovers: true,
        }
    }

    /// Ends the command (its whole group) once it has run for `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Time between SIGTERM and SIGKILL when the command is ended.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Where stdout goes.
    pub fn stdout(mut self, capture: Capture) -> Self {
        self.stdout = capture;
        self
    }

    /// Where stderr goes.
    pub fn stderr(mut self, capture: Capture) -> Self {
        self.stderr = capture;
        self
    }

    /// Whether processes the command leaves running in its group when it
    /// exits are killed (default `true`). One left running that holds a
    /// captured pipe delays the job by up to a second, after which the tail
    /// read so far is kept.
    pub fn kill_leftovers(mut self, kill: bool) -> Self {
        self.kill_leftovers = kill;
        self
    }

    /// The wrapped command.
    pub fn command(&self) -> &Command {
        &self.command
    }

    /// Runs the command to its end under `ctx` (its cancel token; a timeout
    /// or a cancellation is recorded in `ctx`, so that a closure job that
    /// returns this error is reported `TimedOut` or `Cancelled`). Exit status
    /// zero is `Ok`; any other end is an error carrying the output tails.
    pub fn run(mut self, ctx: &JobContext<'_>) -> Result<CommandOutput, CommandError> {
        let program = self.command.get_program().to_string_lossy().into_owned();
        if ctx.is_cancelled() {
            return Err(CommandError::Cancelled {
                program,
                output: None,
            });
        }
        let (out_stdio, out_sink) = self.stdout.prepare(&program)?;
        let (err_stdio, err_sink) = self.stderr.prepare(&program)?;
        self.command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out_stdio)
            .stderr(err_stdio);

        let start = Instant::now();
        let mut child = self.command.spawn().map_err(|source| CommandError::Spawn {
            program: program.clone(),
            source,
        })?;
        let pgid = child.id();
        tracing::trace!(job = ctx.index(), %program, pgid, "command started");

        let wait_err = |source: io::Error| CommandError::Wait {
            program: program.clone(),
            source,
        };
        // The output readers and the exit waiter are threads; where one
        // cannot be started, the command is killed and reaped.
        let helpers = (|| -> io::Result<_> {
            let reader = |sink: &Sink, pipe: Option<Box<dyn Read + Send>>| match (sink, pipe) {
                (Sink::Pipe(cap), Some(pipe)) => TailReader::spawn(pipe, *cap).map(Some),
                _ => Ok(None),
            };
            let out = reader(&out_sink, child.stdout.take().map(|p| Box::new(p) as _))?;
            let err = reader(&err_sink, child.stderr.take().map(|p| Box::new(p) as _))?;
            Ok((out, err, spawn_exit_waiter(pgid)?))
        })();
        let (out_reader, err_reader, exited) = match helpers {
            Ok(h) => h,
            Err(e) => {
                let _ = group::signal_group(pgid, GroupSignal::Kill);
                let _ = child.wait();
                return Err(wait_err(e));
            }
        };

        let deadline = self.timeout.and_then(|t| start.checked_add(t));
        let end = loop {
            let wait = deadline.map_or(POLL, |d| {
                d.saturating_duration_since(Instant::now()).min(POLL)
            });
            match exited.recv_timeout(wait) {
                Ok(()) | Err(RecvTimeoutError::Disconnected) => break End::Exited,
                Err(RecvTimeoutError::Timeout) => {}
            }
            if let (Some(d), Some(t)) = (deadline, self.timeout) {
                if Instant::now() >= d {
                    break End::TimedOut(t);
                }
            }
            if ctx.token().is_cancelled() {
                break End::Cancelled;
            }
        };

        match end {
            End::Exited => {
                if self.kill_leftovers {
                    // The leader is exited but not reaped, so the group id
                    // is still this job's.
                    let _ = group::signal_group(pgid, GroupSignal::Kill);
                }
            }
            End::TimedOut(_) | End::Cancelled => {
                tracing::debug!(job = ctx.index(), %program, pgid, "ending process group");
                terminate_group(pgid, self.grace, &exited);
            }
        }
        // The leader is exited (or ended) but not yet reaped: its /proc
        // entry still holds its CPU times.
        let cpu = group::cpu_time(pgid);
        let status = child.wait().map_err(wait_err)?;
        let elapsed = start.elapsed();

        let settle = Instant::now() + SETTLE;
        let stdout = collect(out_reader, &out_sink, settle);
        let stderr = collect(err_reader, &err_sink, settle);
        let output = CommandOutput {
            status,
            stdout,
            stderr,
            pgid,
            elapsed,
            cpu,
        };
        match end {
            End::Exited if status.success() => Ok(output),
            End::Exited => Err(CommandError::Exited {
                program,
                output: Box::new(output),
            }),
            End::TimedOut(after) => {
                ctx.mark_timed_out();
                Err(CommandError::TimedOut {
                    program,
                    after,
                    output: Box::new(output),
                })
            }
            End::Cancelled => {
                ctx.mark_cancelled();
                Err(CommandError::Cancelled {
                    program,
                    output: Some(Box::new(output)),
                })
            }
        }
    }
}

/// A thread that blocks in `waitid(pid, WEXITED | WNOWAIT)` and reports the
/// leader's exit without reaping it, so that the group id cannot be reused
/// before the pool is done signalling the group.
fn spawn_exit_waiter(pid: u32) -> io::Result<Receiver<()>> {
    let target = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad child pid"))?;
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name(format!("exec-pool-wait-{pid}"))
        .spawn(move || {
            loop {
                match waitid(
                    WaitId::Pid(target),
                    WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
                ) {
                    Err(rustix::io::Errno::INTR) => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::debug!(pid, error = %e, "waitid failed");
                        break;
                    }
                }
            }
            let _ = tx.send(());
        })?;
    Ok(rx)
}

/// SIGTERM to the group; SIGKILL once the grace period is over unless the
/// leader exited and no member is alive before that; then waits (bounded)
/// for the members to die.
fn terminate_group(pgid: u32, grace: Duration, exited: &Receiver<()>) {
    let _ = group::signal_group(pgid, GroupSignal::Term);
    let until = Instant::now() + grace;
    let mut leader_done = false;
    loop {
        let step = until.saturating_duration_since(Instant::now()).min(POLL);
        if leader_done {
            thread::sleep(step);
        } else {
            match exited.recv_timeout(step) {
                Ok(()) | Err(RecvTimeoutError::Disconnected) => leader_done = true,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        if leader_done && !group::group_alive(pgid) {
            return;
        }
        if Instant::now() >= until {
            break;
        }
    }
    let _ = group::signal_group(pgid, GroupSignal::Kill);
    if !leader_done && exited.recv_timeout(SETTLE * 5).is_err() {
        tracing::warn!(pgid, "process group leader survives SIGKILL");
    }
    // Elsewhere than Linux, "alive" counts the unreaped leader: nothing to
    // wait for.
    #[cfg(target_os = "linux")]
    let settle = Instant::now() + SETTLE;
    #[cfg(target_os = "linux")]
    while group::group_alive(pgid) {
        if Instant::now() >= settle {
            tracing::warn!(pgid, members = ?group::live_members(pgid), "process group survives SIGKILL");
            break;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

struct TailBuf {
    data: Vec<u8>,
    cap: usize,
    total: u64,
}

impl TailBuf {
    fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        if self.cap == 0 {
            return;
        }
        if chunk.len() >= self.cap {
            self.data.clear();
            self.data
                .extend_from_slice(&chunk[chunk.len() - self.cap..]);
        } else {
            self.data.extend_from_slice(chunk);
            if self.data.len() > 2 * self.cap {
                let extra = self.data.len() - self.cap;
                self.data.drain(..extra);
            }
        }
    }

    fn take(&mut self) -> Tail {
        let mut bytes = std::mem::take(&mut self.data);
        if bytes.len() > self.cap {
            bytes.drain(..bytes.len() - self.cap);
        }
        Tail {
            bytes,
            total: self.total,
        }
    }
}

struct TailReader {
    buf: Arc<Mutex<TailBuf>>,
    done: Receiver<()>,
}

impl TailReader {
    fn spawn(mut pipe: impl Read + Send + 'static, cap: usize) -> io::Result<Self> {
        let buf = Arc::new(Mutex::new(TailBuf {
            data: Vec::new(),
            cap,
            total: 0,
        }));
        let (tx, done) = mpsc::channel();
        let shared = Arc::clone(&buf);
        thread::Builder::new()
            .name("exec-pool-tail".into())
            .spawn(move || {
                let mut chunk = [0u8; 8192];
                loop {
                    match pipe.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => shared
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(&chunk[..n]),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                let _ = tx.send(());
            })?;
        Ok(Self { buf, done })
    }

    /// What was read, after end of file or at `deadline` (a process outside
    /// the group may still hold the pipe open).
    fn finish(self, deadline: Instant) -> Tail {
        let _ = self
            .done
            .recv_timeout(deadline.saturating_duration_since(Instant::now()));
        let tail = self
            .buf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        tail
    }
}

fn collect(reader: Option<TailReader>, sink: &Sink, deadline: Instant) -> Tail {
    match (reader, sink) {
        (Some(r), _) => r.finish(deadline),
        (None, Sink::File(path, tail)) => read_file_tail(path, *tail).unwrap_or_else(|e| {
            tracing::debug!(path = %path.display(), error = %e, "cannot read output file back");
            Tail::default()
        }),
        _ => Tail::default(),
    }
}

fn read_file_tail(path: &Path, tail: usize) -> io::Result<Tail> {
    let mut file = File::open(path)?;
    let total = file.metadata()?.len();
    let keep = total.min(tail as u64);
    file.seek(SeekFrom::Start(total - keep))?;
    let mut bytes = Vec::with_capacity(usize::try_from(keep).unwrap_or(0));
    file.take(keep).read_to_end(&mut bytes)?;
    Ok(Tail { bytes, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_buffer_keeps_the_end() {
        let mut b = TailBuf {
            data: Vec::new(),
            cap: 4,
            total: 0,
        };
        for chunk in [&b"ab"[..], b"cdefgh", b"i", b"jk"] {
            b.push(chunk);
        }
        let t = b.take();
        assert_eq!(t.bytes, b"hijk");
        assert_eq!(t.total, 11);
        assert!(t.truncated());
    }

    #[test]
    fn last_lines_skip_blank_ones() {
        let t = Tail {
            bytes: b"one\n\ntwo\r\nthree\n\n".to_vec(),
            total: 17,
        };
        assert_eq!(t.last_lines(2), "two | three");
        assert_eq!(t.last_lines(9), "one | two | three");
        assert!(!t.truncated());
    }
}
