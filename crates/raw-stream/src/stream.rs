//! Compressed RAW files (`.raw.gz`, `.raw.zst`), read with streaming
//! decompression: a [`Source`] that decodes forward only.
//!
//! The format is found from the first bytes (gzip `1f 8b`, zstd
//! `28 b5 2f fd`), not from the name. Opening decodes the whole stream
//! once to learn its decompressed size (nothing is kept); reads then go
//! forward through a bounded tail of the bytes last decoded. A read behind
//! that tail starts the decoder again from the beginning, at most
//! [`MAX_RESTARTS`] times: a reader in plot order (open, then each plot
//! from its start) needs a few; a reader that jumps about (variable-major
//! `fastaccess` plots, parallel partitions) is refused instead of made
//! quadratic (see [`crate::RawError::NeedsRandomAccess`]).

use crate::source::Source;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bytes of decoded data kept behind the read position (reads within them
/// need no restart). The memory of a compressed source is at most twice
/// this plus the largest single read.
pub const KEEP_BYTES: usize = 4 << 20;

/// Times the decoder may start again from the beginning of the stream.
pub const MAX_RESTARTS: u32 = 64;

/// Bytes decoded at a time.
const STEP: usize = 64 << 10;

/// A compression format recognised from its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (`1f 8b`), several members allowed.
    Gzip,
    /// Zstandard (`28 b5 2f fd`), several frames allowed.
    Zstd,
}

impl Compression {
    /// The format whose magic bytes `head` begins with.
    pub fn detect(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The command that decompresses a file of this format.
    pub fn decompress_hint(self) -> &'static str {
        match self {
            Compression::Gzip => "gunzip -k FILE",
            Compression::Zstd => "zstd -d FILE",
        }
    }

    /// The format of the file at `path`, from its first 4 bytes (`None`: not compressed).
    pub fn of_file(path: &Path) -> io::Result<Option<Compression>> {
        let mut head = [0u8; 4];
        let mut f = File::open(path)?;
        let mut got = 0;
        while got < head.len() {
            match f.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Compression::detect(&head[..got]))
    }
}

type Decoder = Box<dyn Read + Send>;

fn decoder(path: &Path, format: Compression) -> io::Result<Decoder> {
    let file = BufReader::with_capacity(STEP, File::open(path)?);
    Ok(match format {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(file)?),
    })
}

/// Why a compressed file could not be opened.
#[derive(Debug)]
pub struct StreamError {
    /// Decoded bytes before the failure.
    pub offset: u64,
    /// The decoder's (or the system's) words.
    pub source: io::Error,
}

struct State {
    decoder: Decoder,
    /// Decoded bytes consumed from `decoder`.
    pos: u64,
    /// The last decoded bytes: `tail[i]` is at offset `pos - tail.len() + i`.
    tail: Vec<u8>,
    restarts: u32,
}

/// A compressed file, decoded forward only (see the module documentation).
pub struct StreamSource {
    path: PathBuf,
    format: Compression,
    len: u64,
    state: Mutex<State>,
}

impl fmt::Debug for StreamSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StreamSource({}, {}, {} bytes decoded)",
            self.path.display(),
            self.format.name(),
            self.len
        )
    }
}

impl StreamSource {
    /// Opens a compressed file: decodes it once, in bounded memory, to learn
    /// its size; a stream cut short or corrupt fails here.
    pub fn open(path: &Path, format: Compression) -> Result<StreamSource, StreamError> {
        let at0 = |source| StreamError { offset: 0, source };
        let mut d = decoder(path, format).map_err(at0)?;
        let mut buf = vec![0u8; STEP];
        let mut len = 0u64;
        loop {
            match d.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => len += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(StreamError {
                        offset: len,
                        source,
                    })
                }
            }
        }
        tracing::debug!(
            "{}: {} stream of {len} decoded bytes",
            path.display(),
            format.name()
        );
        let decoder = decoder(path, format).map_err(at0)?;
        Ok(StreamSource {
            path: path.to_path_buf(),
            format,
            len,
            state: Mutex::new(State {
                decoder,
                pos: 0,
                tail: Vec::new(),
                restarts: 0,
            }),
        })
    }

    /// The compression format.
    pub fn format(&self) -> Compression {
        self.format
    }

    /// Times the decoder has started again from the beginning.
    pub fn restarts(&self) -> u32 {
        self.state.lock().map(|s| s.restarts).unwrap_or(0)
    }
}

impl Source for StreamSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn sequential(&self) -> Option<&'static str> {
        Some(self.format.name())
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.len)
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        let mut st = self
            .state
            .lock()
            .map_err(|_| io::Error::other("a reader of this stream panicked"))?;
        let base = st.pos - st.tail.len() as u64;
        if offset < base {
            if st.restarts >= MAX_RESTARTS {
                return Err(io::Error::other(format!(
                    "reading byte {offset} again needs random access, which a {} stream does not \
                     give (decoded {} times already): decompress it first ({})",
                    self.format.name(),
                    MAX_RESTARTS + 1,
                    self.format.decompress_hint()
                )));
            }
            tracing::debug!(
                "{}: byte {offset} is behind the decoded tail (from {base}): decoding again from the start",
                self.path.display()
            );
            st.decoder = decoder(&self.path, self.format)?;
            st.pos = 0;
            st.tail.clear();
            st.restarts += 1;
        }
        let mut step = Vec::new();
        while st.pos < end {
            step.resize(STEP, 0);
            let n = match st.decoder.read(&mut step) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the {} stream ended at decoded byte {} (it had {} when opened)",
                            self.format.name(),
                            st.pos,
                            self.len
                        ),
                    ))
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            st.tail.extend_from_slice(&step[..n]);
            st.pos += n as u64;
            // drop what lies before both the request and the kept tail
            if st.tail.len() > 2 * KEEP_BYTES + buf.len() {
                let keep_from = offset.min(st.pos.saturating_sub(KEEP_BYTES as u64));
                let base = st.pos - st.tail.len() as u64;
                let drop = (keep_from.saturating_sub(base) as usize).min(st.tail.len());
                st.tail.drain(..drop);
            }
        }
        let base = st.pos - st.tail.len() as u64;
        let from = (offset - base) as usize;
        buf.copy_from_slice(&st.tail[from..from + buf.len()]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// 10 MiB of bytes that say where they are, zstd-compressed: reads
    /// forward, within the kept tail and behind it give the right bytes, and
    /// only a read behind the tail decodes again.
    #[test]
    fn reads_forward_within_the_tail_and_behind_it() {
        let plain: Vec<u8> = (0..10u32 << 20).map(|i| (i % 251) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.raw.zst");
        std::fs::write(&p, zstd::stream::encode_all(&plain[..], 1).unwrap()).unwrap();
        assert_eq!(Compression::of_file(&p).unwrap(), Some(Compression::Zstd));
        let s = StreamSource::open(&p, Compression::Zstd).unwrap();
        assert_eq!(s.len(), plain.len() as u64);
        assert_eq!(s.sequential(), Some("zstd"));
        let check = |off: usize, n: usize| {
            let mut b = vec![0u8; n];
            s.read_exact_at(&mut b, off as u64).unwrap();
            assert_eq!(b, plain[off..off + n], "at {off}");
        };
        check(100, 1000);
        check(0, 50); // behind the request, still in the tail
        assert_eq!(s.restarts(), 0);
        check(9 << 20, 4096); // far ahead: the start is dropped
        check((9 << 20) - (1 << 20), 10); // 1 MiB back: kept
        assert_eq!(s.restarts(), 0);
        check(1 << 20, 10); // 8 MiB back: decoded again
        assert_eq!(s.restarts(), 1);
        let mut b = [0u8; 2];
        assert!(s.read_exact_at(&mut b, plain.len() as u64 - 1).is_err());
    }
}
