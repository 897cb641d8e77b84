//! What the program prints, and how it fails.
//!
//! - Results go to stdout through [`outln!`] (or a [`Stdout`] sink); a
//!   stdout closed by its reader (`spicelab info f.raw | head -1`) ends the
//!   program quietly with status 0, as `grep` or `rg` do.
//! - Notes on stderr (`wrote ...`, the speed line) go through [`note!`],
//!   silenced by `-q`; warnings go through `tracing`.
//! - Errors carry a [`Kind`] (the JSON `kind`, and the exit status).

use std::error::Error as StdError;
use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// `-q`: no notes on stderr.
pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

/// A line on stdout: `outln!("{x}")?` in a function returning `anyhow::Result`.
macro_rules! outln {
    () => {
        $crate::cli::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::line(format_args!($($arg)*))
    };
}

/// A note on stderr (not shown with `-q`; a closed stderr is ignored).
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::cli::out::note_line(format_args!($($arg)*))
    };
}

pub(crate) use {note, outln};

/// Writes one line to stdout; the error says it was stdout (see [`is_closed_stdout`]).
pub fn line(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_fmt(args)
        .and_then(|()| o.write_all(b"\n")) // stdout is line-buffered: this flushes
        .map_err(stdout_error)
}

/// Writes a note line to stderr unless quiet.
pub fn note_line(args: fmt::Arguments<'_>) {
    if !QUIET.load(Ordering::Relaxed) {
        let mut e = io::stderr().lock();
        let _ = e.write_fmt(args).and_then(|()| e.write_all(b"\n"));
    }
}

fn stdout_error(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        Fail {
            kind: Kind::Output,
            msg: Some("cannot write to stdout".into()),
            stdout: true,
            source: Some(Box::new(e)),
        },
    )
}

/// Locked stdout whose errors say they come from stdout.
pub struct Stdout(io::StdoutLock<'static>);

impl Stdout {
    /// Locks stdout.
    pub fn lock() -> Stdout {
        Stdout(io::stdout().lock())
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(stdout_error)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf).map_err(stdout_error)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(stdout_error)
    }
}

/// The class of an error: its JSON `kind` and its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The arguments are wrong (exit 2).
    Usage,
    /// An input cannot be read or is not valid (exit 2).
    Input,
    /// The output cannot be written (exit 2).
    Output,
}

impl Kind {
    /// The word in the JSON `kind` field.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Input => "input",
            Kind::Output => "output",
        }
    }
}

/// An error of a known [`Kind`]: a message of its own with an optional
/// cause, or (no message) a transparent wrapper of its cause.
#[derive(Debug)]
pub struct Fail {
    kind: Kind,
    msg: Option<String>,
    stdout: bool,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl Fail {
    /// An error with its own message.
    pub fn new(kind: Kind, msg: impl Into<String>) -> Fail {
        Fail {
            kind,
            msg: Some(msg.into()),
            stdout: false,
            source: None,
        }
    }

    /// `e`, classed as `kind`.
    pub fn wrap(kind: Kind, e: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Fail {
        Fail {
            kind,
            msg: None,
            stdout: false,
            source: Some(e.into()),
        }
    }

    /// A message with a cause.
    pub fn with_source(
        kind: Kind,
        msg: impl Into<String>,
        e: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Fail {
        Fail {
            kind,
            msg: Some(msg.into()),
            stdout: false,
            source: Some(e.into()),
        }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.msg, &self.source) {
            (Some(m), _) => f.write_str(m),
            (None, Some(s)) => s.fmt(f),
            (None, None) => f.write_str("failed"),
        }
    }
}

impl StdError for Fail {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        let s = self.source.as_deref()?;
        if self.msg.is_some() {
            Some(s)
        } else {
            s.source()
        }
    }
}

/// The outermost [`Fail`] in the chain, also inside an `io::Error`.
fn find_fail(e: &anyhow::Error) -> Option<&Fail> {
    e.chain().find_map(|c| {
        c.downcast_ref::<Fail>().or_else(|| {
            c.downcast_ref::<io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<Fail>())
        })
    })
}

/// True when the error is stdout closed by its reader: the program then ends quietly, status 0.
pub fn is_closed_stdout(e: &anyhow::Error) -> bool {
    find_fail(e).is_some_and(|f| {
        f.stdout
            && f.source
                .as_deref()
                .and_then(|s| s.downcast_ref::<io::Error>())
                .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The class of an error (input when nothing says otherwise).
pub fn kind_of(e: &anyhow::Error) -> Kind {
    if let Some(f) = find_fail(e) {
        return f.kind;
    }
    for c in e.chain() {
        if c.is::<outfile::OutError>() {
            return Kind::Output;
        }
        if let Some(cache_zstd::CacheError::InvalidKey { .. }) = c.downcast_ref() {
            return Kind::Usage;
        }
    }
    Kind::Input
}

/// The error and its causes on one line, each cause once: a cause whose
/// text is already in the message (many errors print their cause in their
/// own text and also return it as `source()`) is not repeated.
pub fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for c in e.chain() {
        let s = c.to_string();
        if s.is_empty() || out.contains(&s) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&s);
    }
    out
}

/// `word` in bold colour when `ansi` (red errors, yellow warnings).
pub fn label(word: &str, ansi: bool) -> String {
    if !ansi {
        return word.to_string();
    }
    let code = match word {
        "error" => "1;31",
        "warning" => "1;33",
        _ => "1;36",
    };
    format!("\x1b[{code}m{word}\x1b[0m")
}

/// The program's error line on stderr (shown with `-q` too).
pub fn error_line(msg: &str, ansi: bool) {
    let mut e = io::stderr().lock();
    let _ = writeln!(e, "{}: {msg}", label("error", ansi));
}
