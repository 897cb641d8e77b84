//! Where a command's output goes: `-` is stdout; anything else is written
//! through [`outfile`] (temporary file and rename; a device or a FIFO in
//! place; a symlink followed; a replaced file keeps its mode).

use super::out::{self, Fail, Kind};
use outfile::OutFile;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// True for the output name `-`: stdout.
pub fn is_stdout(p: &Path) -> bool {
    p == Path::new("-")
}

/// True when `a` and `b` name the same file (through links and hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // stat only: opening a FIFO to compare handles would block
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Refuses an output that is the input: the input would be replaced by the output.
pub fn refuse_input_as_output(output: &Path, input: &Path) -> anyhow::Result<()> {
    if !is_stdout(output) && same_file(output, input) {
        return Err(Fail::new(
            Kind::Usage,
            format!(
                "the output {} is the input file {}: writing it would destroy the input; choose another output",
                output.display(),
                input.display()
            ),
        )
        .into());
    }
    Ok(())
}

enum Dest {
    Stdout(out::Stdout),
    File(OutFile),
}

impl Dest {
    fn tag(&self, e: io::Error) -> io::Error {
        match self {
            // already says it is stdout
            Dest::Stdout(_) => e,
            Dest::File(f) => io::Error::new(
                e.kind(),
                Fail::with_source(
                    Kind::Output,
                    format!("cannot write {}", f.path().display()),
                    e,
                ),
            ),
        }
    }
}

impl Write for Dest {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = match self {
            Dest::Stdout(s) => s.write(buf),
            Dest::File(f) => f.write(buf),
        };
        r.map_err(|e| self.tag(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = match self {
            Dest::Stdout(s) => s.flush(),
            Dest::File(f) => f.flush(),
        };
        r.map_err(|e| self.tag(e))
    }
}

/// A buffered output; [`Sink::finish`] makes it final. Dropped unfinished,
/// a file output leaves the old file as it was.
pub struct Sink {
    path: PathBuf,
    w: BufWriter<Dest>,
}

impl Sink {
    /// Opens `path` (`-`: stdout).
    pub fn create(path: &Path) -> anyhow::Result<Sink> {
        let dest = if is_stdout(path) {
            Dest::Stdout(out::Stdout::lock())
        } else {
            Dest::File(OutFile::create(path).map_err(|e| Fail::wrap(Kind::Output, e))?)
        };
        Ok(Sink {
            path: path.to_path_buf(),
            w: BufWriter::with_capacity(1 << 20, dest),
        })
    }

    /// True when writing to stdout.
    pub fn is_stdout(&self) -> bool {
        is_stdout(&self.path)
    }

    /// Flushes, and for a file renames it into place.
    pub fn finish(self) -> anyhow::Result<()> {
        let dest = self.w.into_inner().map_err(|e| e.into_error())?;
        match dest {
            Dest::Stdout(_) => Ok(()),
            Dest::File(f) => f.commit().map_err(|e| Fail::wrap(Kind::Output, e).into()),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.w.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}
