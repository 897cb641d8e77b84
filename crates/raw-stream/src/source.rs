//! Where the bytes of a RAW file come from: a regular file read by position,
//! or bytes already in memory.
//!
//! The reader only ever asks for "these bytes at this offset", so one small
//! trait covers both, and several threads can read one source at once.

use std::fmt;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// Bytes that can be read by position from several threads at once.
pub trait Source: Send + Sync + fmt::Debug {
    /// Size in bytes.
    fn len(&self) -> u64;

    /// True when there are no bytes at all.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes at `offset`, or fails (`UnexpectedEof` past the end).
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;

    /// `Some(format)` when the bytes can only be read forward cheaply (a
    /// compressed stream, see [`crate::stream::StreamSource`]): readers
    /// should then read in file order, from one thread.
    fn sequential(&self) -> Option<&'static str> {
        None
    }
}

/// A regular file, read with positioned reads (`pread` on Unix, `seek_read`
/// on Windows), so that no cursor is shared between threads.
#[derive(Debug)]
pub struct FileSource {
    file: File,
    len: u64,
}

/// What a path that is not a regular file is, in words (`None` for a regular file).
pub fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let ft = meta.file_type();
    if ft.is_file() {
        return None;
    }
    if ft.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if ft.is_char_device() {
            return Some("a character device");
        }
        if ft.is_block_device() {
            return Some("a block device");
        }
        if ft.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

impl FileSource {
    /// Opens a regular file. Anything else (a FIFO, a device, a directory) is
    /// refused before it is opened, so that a FIFO cannot block the caller;
    /// a file whose size the system reports as 0 but that has bytes (`/proc`
    /// files) is refused too, since its length cannot be trusted.
    pub fn open(path: &Path) -> Result<FileSource, OpenError> {
        let meta = std::fs::metadata(path).map_err(OpenError::Io)?;
        if let Some(what) = not_regular(&meta) {
            return Err(OpenError::NotRegular(what));
        }
        let file = File::open(path).map_err(OpenError::Io)?;
        // Check again on the open handle: the path may have changed in between.
        let meta = file.metadata().map_err(OpenError::Io)?;
        if let Some(what) = not_regular(&meta) {
            return Err(OpenError::NotRegular(what));
        }
        let len = meta.len();
        if len == 0 {
            let mut probe = [0u8; 1];
            let got = io::Read::read(&mut &file, &mut probe).map_err(OpenError::Io)?;
            if got > 0 {
                return Err(OpenError::NotRegular(
                    "a file whose size is not known (its size reads as 0 but it has bytes, as /proc and /sys files do)",
                ));
            }
        }
        Ok(FileSource { file, len })
    }
}

/// Why [`FileSource::open`] refused a path.
#[derive(Debug)]
pub enum OpenError {
    /// The operating system refused.
    Io(io::Error),
    /// The path is not a regular file; says what it is.
    NotRegular(&'static str),
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    #[cfg(unix)]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }

    #[cfg(windows)]
    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        use std::os::windows::fs::FileExt;
        while !buf.is_empty() {
            match self.file.seek_read(buf, offset) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    #[cfg(not(any(unix, windows)))]
    fn read_exact_at(&self, _buf: &mut [u8], _offset: u64) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "positioned reads are not supported on this platform",
        ))
    }
}

/// Bytes in memory (a RAW file received over the network, a test, a fuzzer).
#[derive(Clone)]
pub struct BytesSource {
    bytes: Arc<[u8]>,
}

impl BytesSource {
    /// Wraps bytes.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> BytesSource {
        BytesSource {
            bytes: bytes.into(),
        }
    }
}

impl fmt::Debug for BytesSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BytesSource({} bytes)", self.bytes.len())
    }
}

impl Source for BytesSource {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let end = start
            .checked_add(buf.len())
            .filter(|&e| e <= self.bytes.len())
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(&self.bytes[start..end]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_source_reads_and_refuses_past_the_end() {
        let s = BytesSource::new(b"abcdef".to_vec());
        let mut b = [0u8; 3];
        assert!(s.read_exact_at(&mut b, 2).is_ok());
        assert_eq!(&b, b"cde");
        assert_eq!(
            s.read_exact_at(&mut b, 4).map_err(|e| e.kind()),
            Err(io::ErrorKind::UnexpectedEof)
        );
        assert_eq!(
            s.read_exact_at(&mut b, u64::MAX).map_err(|e| e.kind()),
            Err(io::ErrorKind::UnexpectedEof)
        );
        assert_eq!(s.len(), 6);
    }

    #[test]
    fn a_directory_is_refused() {
        let d = std::env::temp_dir();
        assert!(matches!(
            FileSource::open(&d),
            Err(OpenError::NotRegular("a directory"))
        ));
    }
}
