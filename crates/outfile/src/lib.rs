//! Output files that appear whole or not at all, and that do not harm what
//! the path already names.
//!
//! [`OutFile::create`] looks at what the path is now:
//!
//! - **nothing, or a regular file**: the data go to a temporary file in the
//!   same directory; [`OutFile::commit`] fsyncs it, renames it over the path
//!   and fsyncs the directory. A killed process leaves the old file or the
//!   new one, never half of one. A replaced file keeps its permission mode
//!   (a `0600` file stays `0600`) and, where the process may set them, its
//!   owner and group; a new file gets `0666` less the umask, as any new file.
//!   (Other hard links of a replaced file keep the old content.)
//! - **a symbolic link**: followed to its final target, which is then
//!   replaced as above; the link stays a link.
//! - **anything that is not a regular file** (a device such as `/dev/null`,
//!   a FIFO): opened and written in place, never renamed over. Renaming over
//!   `/dev/null` as root replaces the machine's null device with a file.
//!
//! Dropped without a commit, the temporary file is removed and the old file
//! is untouched (bytes written in place to a device or a FIFO cannot be taken
//! back). Errors ([`OutError`]) name the path the caller gave, never the
//! temporary file.
//!
//! ```
//! use std::io::Write;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("out.csv");
//! std::fs::write(&path, "old\n")?;
//!
//! let mut out = outfile::OutFile::create(&path)?;
//! out.write_all(b"a,b\n1,2\n")?;
//! assert_eq!(std::fs::read(&path)?, b"old\n"); // untouched until the commit
//! out.commit()?;
//! assert_eq!(std::fs::read(&path)?, b"a,b\n1,2\n");
//!
//! // the same in one call
//! outfile::write(&path, b"x\n")?;
//! assert_eq!(std::fs::read(&path)?, b"x\n");
//! # Ok(()) }
//! ```

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Prefix of the temporary files made by [`OutFile::create`].
pub const DEFAULT_TEMP_PREFIX: &str = ".spicelab-";

/// Symbolic links followed before giving up (as the kernel's `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// What was being done when an [`OutError`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Following a symbolic link to its target.
    FollowLink,
    /// Opening a device or FIFO to write in place.
    Open,
    /// Creating the temporary file beside the target.
    Create,
    /// Giving the new file the old file's permissions.
    Permissions,
    /// Flushing the data to disk.
    Sync,
    /// Renaming the new file into place.
    Rename,
    /// Flushing the directory entry.
    SyncDir,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Action::FollowLink => "cannot follow the symbolic link",
            Action::Open => "cannot open",
            Action::Create => "cannot create",
            Action::Permissions => "cannot set the permissions of",
            Action::Sync => "cannot write",
            Action::Rename => "cannot replace",
            Action::SyncDir => "cannot flush the directory of",
        }
    }
}

/// An output that could not be created or committed.
///
/// It names the path the caller gave (and the link's target when the path
/// is a symbolic link), never the temporary file; the operating system's
/// error is its [`source`](std::error::Error::source), not repeated in its
/// `Display`.
#[derive(Debug, thiserror::Error)]
pub struct OutError {
    path: PathBuf,
    target: Option<PathBuf>,
    action: Action,
    #[source]
    source: io::Error,
}

impl fmt::Display for OutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Some(t) => write!(
                f,
                "{} {} (the target of the link {})",
                self.action.verb(),
                t.display(),
                self.path.display()
            ),
            None => write!(f, "{} {}", self.action.verb(), self.path.display()),
        }
    }
}

impl OutError {
    /// The path as the caller gave it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What was being done.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The operating system's error kind.
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// The operating system's error (it names no path).
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }

    /// The operating system's error, for callers that wrap it in their own
    /// error type together with the path.
    pub fn into_io_error(self) -> io::Error {
        self.source
    }
}

enum Sink {
    /// A temporary file to rename over `target` on commit.
    Temp(tempfile::NamedTempFile),
    /// A device or FIFO written directly.
    InPlace(File),
}

/// An output file being written. See the crate docs for the rules.
pub struct OutFile {
    path: PathBuf,
    target: PathBuf,
    sink: Sink,
}

impl fmt::Debug for OutFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutFile")
            .field("path", &self.path)
            .field("target", &self.target)
            .field("in_place", &self.in_place())
            .finish()
    }
}

/// Options for [`OutFile`]: the temporary file's name prefix.
#[derive(Debug, Clone)]
pub struct Options {
    temp_prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            temp_prefix: DEFAULT_TEMP_PREFIX.to_string(),
        }
    }
}

impl Options {
    /// Default options (temporary files named `.spicelab-XXXXXX`).
    pub fn new() -> Options {
        Options::default()
    }

    /// Names temporary files `PREFIX` + random characters, e.g. so that a
    /// cleaner can recognise the ones left by killed writers.
    pub fn temp_prefix(mut self, prefix: &str) -> Options {
        self.temp_prefix = prefix.to_string();
        self
    }

    /// Starts writing `path`; see [`OutFile::create`].
    pub fn create(&self, path: impl AsRef<Path>) -> Result<OutFile, OutError> {
        let path = path.as_ref();
        let err = |target: Option<&Path>, action, source| OutError {
            path: path.to_path_buf(),
            target: target.filter(|t| *t != path).map(Path::to_path_buf),
            action,
            source,
        };
        let (target, existing) = resolve(path).map_err(|e| err(None, Action::FollowLink, e))?;
        let t = Some(target.as_path());
        if let Some(md) = &existing {
            if md.is_dir() {
                let e = io::Error::new(io::ErrorKind::IsADirectory, "it is a directory");
                return Err(err(t, Action::Create, e));
            }
            if !md.is_file() {
                // a device, a FIFO, a socket: write in place, never rename over it
                tracing::debug!(path = %target.display(), "not a regular file: written in place");
                let f = OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .map_err(|e| err(t, Action::Open, e))?;
                return Ok(OutFile {
                    path: path.to_path_buf(),
                    target,
                    sink: Sink::InPlace(f),
                });
            }
        }
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // Our own open (not tempfile's) so that errors carry the plain OS
        // error, without the temporary file's name.
        let tmp = tempfile::Builder::new()
            .prefix(&self.temp_prefix)
            .make_in(dir, |p| {
                let mut o = OpenOptions::new();
                o.read(true).write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    // what a new file normally gets: 0666 less the umask
                    o.mode(0o666);
                }
                o.open(p)
            })
            .map_err(|e| err(t, Action::Create, e))?;
        if let Some(md) = &existing {
            keep_permissions(tmp.as_file(), md).map_err(|e| err(t, Action::Permissions, e))?;
        }
        Ok(OutFile {
            path: path.to_path_buf(),
            target,
            sink: Sink::Temp(tmp),
        })
    }
}

/// Follows symbolic links from `path` to the final target (which may not
/// exist yet); returns it with its metadata when it exists.
fn resolve(path: &Path) -> io::Result<(PathBuf, Option<fs::Metadata>)> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(md) if md.file_type().is_symlink() => {
                let next = fs::read_link(&p)?;
                // a relative target is relative to the directory holding the
                // link (joining an absolute one gives it unchanged); a link
                // always has a parent, "" for a bare name
                p = p.parent().unwrap_or_else(|| Path::new("")).join(next);
            }
            Ok(md) => return Ok((p, Some(md))),
            // not there (or not reachable: creating the file will say why)
            Err(_) => return Ok((p, None)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("more than {MAX_LINKS} levels of symbolic links"),
    ))
}

/// Gives the new file the replaced file's mode, and its owner and group when
/// the process may (root may; others keep their own).
#[cfg(unix)]
fn keep_permissions(f: &File, old: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let new = f.metadata()?;
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        if let Err(e) = std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid())) {
            tracing::debug!(error = %e, "owner of the replaced file not kept");
        }
    }
    // after chown, which may clear set-id bits
    f.set_permissions(old.permissions())
}

#[cfg(not(unix))]
fn keep_permissions(f: &File, old: &fs::Metadata) -> io::Result<()> {
    let _ = (f, old);
    Ok(())
}

impl OutFile {
    /// Starts writing `path` with the default [`Options`].
    pub fn create(path: impl AsRef<Path>) -> Result<OutFile, OutError> {
        Options::default().create(path)
    }

    /// The open file to write to (the temporary file, or the device or FIFO).
    pub fn file(&self) -> &File {
        match &self.sink {
            Sink::Temp(t) => t.as_file(),
            Sink::InPlace(f) => f,
        }
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file that is replaced or written: the path with symbolic links followed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// True when the target is not a regular file and is written in place.
    pub fn in_place(&self) -> bool {
        matches!(self.sink, Sink::InPlace(_))
    }

    fn err(&self, action: Action, source: io::Error) -> OutError {
        OutError {
            path: self.path.clone(),
            target: (self.target != self.path).then(|| self.target.clone()),
            action,
            source,
        }
    }

    /// Makes the output final: fsyncs the data, renames the temporary file
    /// over the target and fsyncs the directory. Written in place, there is
    /// nothing to do: a device or a FIFO keeps no data to sync.
    pub fn commit(self) -> Result<(), OutError> {
        let OutFile { path, target, sink } = self;
        let tmp = match sink {
            Sink::InPlace(_) => return Ok(()),
            Sink::Temp(t) => t,
        };
        let err = |action, source| OutError {
            target: (target != path).then(|| target.clone()),
            path: path.clone(),
            action,
            source,
        };
        tmp.as_file().sync_all().map_err(|e| err(Action::Sync, e))?;
        // on failure the temporary file is dropped with the error, and removed
        tmp.persist(&target)
            .map_err(|e| err(Action::Rename, e.error))?;
        sync_dir(&target).map_err(|e| err(Action::SyncDir, e))
    }
}

/// Flushes the directory entry of `file` (a rename is durable only then),
/// for writers that rename a temporary file themselves (a cache entry whose
/// name is known only once it is written). A no-op off Unix.
#[cfg(unix)]
pub fn sync_dir(file: &Path) -> io::Result<()> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Flushes the directory entry of `file`: a no-op off Unix.
#[cfg(not(unix))]
pub fn sync_dir(_file: &Path) -> io::Result<()> {
    Ok(())
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Write for &OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

/// Writes `bytes` to `path` by the rules of the crate, in one call.
pub fn write(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), OutError> {
    Options::default().write(path, bytes)
}

impl Options {
    /// Writes `bytes` to `path` by the rules of the crate, in one call.
    pub fn write(&self, path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), OutError> {
        let out = self.create(path)?;
        out.file()
            .write_all(bytes)
            .map_err(|e| out.err(Action::Sync, e))?;
        out.commit()
    }
}
