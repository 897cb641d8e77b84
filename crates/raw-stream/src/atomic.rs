//! Files that appear whole or not at all: written under a temporary name in
//! the destination's directory, fsynced, then renamed into place.
//!
//! ```
//! use std::io::Write;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("out.csv");
//! let f = raw_stream::atomic::AtomicFile::create(&path).unwrap();
//! (&*f.file()).write_all(b"a,b\n").unwrap();
//! assert!(!path.exists()); // not there until committed
//! f.commit().unwrap();
//! assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n");
//! ```

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A file being written; dropped without [`AtomicFile::commit`], it vanishes.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path`: a temporary file in the same directory, with the
    /// permissions a new file normally gets (0666 less the umask).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".spicelab-");
        // Windows has no mode bits: a new file there gets the directory's ACL.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder.tempfile_in(dir)?;
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// The open temporary file.
    pub fn file(&self) -> &File {
        self.tmp.as_file()
    }

    /// Flushes the data to disk and renames the file into place, replacing
    /// any file of that name; then flushes the directory entry.
    pub fn commit(self) -> io::Result<()> {
        self.tmp.as_file().sync_all()?;
        let path = self.path;
        self.tmp.persist(&path).map_err(|e| e.error)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}
