//! Errors and warnings of the reader and the writer.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong reading or writing a RAW file.
///
/// Every variant names the file; those about content also name the plot and
/// the byte offset where the problem is.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    /// The operating system refused a read or a write.
    #[error("{path}: {source}", path = .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The path is not a regular file (a FIFO, a device, a directory, a
    /// `/proc` file): it is refused before anything is read from it.
    #[error("{path}: is {what}, not a regular file: spicelab reads RAW files from regular files only", path = .path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is, in words ("a FIFO (named pipe)", "a character device", ...).
        what: &'static str,
    },
    /// A compressed file whose stream cannot be decoded (cut short, corrupt).
    #[error("{path}: {format} stream: cannot be decompressed (after {offset} decoded bytes): {source}", path = .path.display())]
    Compressed {
        /// The file.
        path: PathBuf,
        /// "gzip" or "zstd".
        format: &'static str,
        /// Decoded bytes before the failure.
        offset: u64,
        /// The decoder's words.
        #[source]
        source: std::io::Error,
    },
    /// A compressed file holding a plot that can only be read by position
    /// (variable-major `fastaccess` data): decompress the file first.
    #[error("{path}: plot {plot}: {what} needs random access, which a {format}-compressed file does not give: decompress it first ({hint})", path = .path.display())]
    NeedsRandomAccess {
        /// The file.
        path: PathBuf,
        /// Plot index (0-based).
        plot: usize,
        /// "gzip" or "zstd".
        format: &'static str,
        /// What needs it, in words.
        what: String,
        /// The command that decompresses it.
        hint: &'static str,
    },
    /// A plot header that cannot be understood.
    #[error("{path}: plot {plot}, byte {offset}: {message}", path = .path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// Plot index (0-based).
        plot: usize,
        /// Byte offset of the offending line.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// Data that cannot be decoded.
    #[error("{path}: plot {plot}, byte {offset}: {message}", path = .path.display())]
    Data {
        /// The file.
        path: PathBuf,
        /// Plot index (0-based).
        plot: usize,
        /// Byte offset of the offending data.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A file cut short, in strict mode.
    #[error("{path}: plot {plot}: data end at byte {end} inside point {point} (expected {expected} bytes for {declared} points)", path = .path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Plot index.
        plot: usize,
        /// Where the data end.
        end: u64,
        /// The first incomplete point.
        point: u64,
        /// Byte size a complete file would have.
        expected: u64,
        /// Points the header declares.
        declared: u64,
    },
    /// A plot index past the end.
    #[error("{path}: no plot {plot} (the file has {count})", path = .path.display())]
    NoSuchPlot {
        /// The file.
        path: PathBuf,
        /// The plot asked for.
        plot: usize,
        /// How many plots there are.
        count: usize,
    },
    /// A variable name that the plot does not have.
    #[error("{path}: plot {plot}: no variable named '{name}' (it has: {available})", path = .path.display())]
    NoSuchVariable {
        /// The file.
        path: PathBuf,
        /// Plot index.
        plot: usize,
        /// The name asked for.
        name: String,
        /// The names it has, comma-separated (cut after a few).
        available: String,
    },
    /// A selection of steps (or points) that the plot cannot satisfy.
    #[error("{path}: plot {plot}: {message}", path = .path.display())]
    Select {
        /// The file.
        path: PathBuf,
        /// Plot index.
        plot: usize,
        /// What was asked and what there is.
        message: String,
    },
    /// Values that the writer cannot write.
    #[error("{path}: cannot write: {message}", path = .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl RawError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> RawError {
        RawError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Something odd but survivable, e.g. a file cut short: the complete points are still readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file.
    pub path: PathBuf,
    /// The plot concerned, if any.
    pub plot: Option<usize>,
    /// Byte offset concerned.
    pub offset: u64,
    /// What happened.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.plot {
            Some(p) => write!(
                f,
                "{}: plot {}, byte {}: {}",
                self.path.display(),
                p,
                self.offset,
                self.message
            ),
            None => write!(
                f,
                "{}: byte {}: {}",
                self.path.display(),
                self.offset,
                self.message
            ),
        }
    }
}
