//! zstd contexts and reused buffers, kept per thread.

use super::{CodecError, Stream};
use std::cell::RefCell;

thread_local! {
    /// zstd contexts are costly to create (a window per level); keep one per thread.
    static ZSTD_C: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { RefCell::new(None) };
    static ZSTD_D: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
    /// Reused buffers: the transformed bytes before zstd, and trial output.
    static PRE_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static DEC_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// A trial's transformed bytes and its zstd output (`Auto`'s pco check).
    static TRIAL_IN: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static TRIAL_OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The column streams of the thread's last block, kept for the next.
    static STREAMS: RefCell<Vec<Stream>> = const { RefCell::new(Vec::new()) };
}

/// The most bytes of column streams a thread keeps between blocks: a
/// block of small columns saves an allocation per column; a bigger one
/// costs little per byte to allocate anew and is not pinned.
const STREAMS_KEPT_BYTES: usize = 8 << 20;

/// Takes the thread's column streams (give them back with [`put_streams`]):
/// vectors to refill, of any length and content.
pub(crate) fn take_streams() -> Vec<Stream> {
    take(&STREAMS)
}

/// Returns streams taken with [`take_streams`] (unless they hold more than
/// [`STREAMS_KEPT_BYTES`]).
pub(crate) fn put_streams(v: Vec<Stream>) {
    let bytes: usize = v.iter().map(|s| s.capacity() * s.width()).sum();
    if bytes <= STREAMS_KEPT_BYTES {
        put(&STREAMS, v);
    }
}

fn with_buf<R>(
    key: &'static std::thread::LocalKey<RefCell<Vec<u8>>>,
    f: impl FnOnce(&mut Vec<u8>) -> Result<R, CodecError>,
) -> Result<R, CodecError> {
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut b) => {
            let r = f(&mut b);
            // Do not pin a huge buffer per thread.
            if b.capacity() > 64 << 20 {
                *b = Vec::new();
            }
            r
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// Takes the thread's transform buffer (give it back with [`put_pre_buf`]).
pub(crate) fn take_pre_buf() -> Vec<u8> {
    take(&PRE_BUF)
}

/// Takes what a thread-local slot holds (a default one if it is in use).
fn take<T: Default>(key: &'static std::thread::LocalKey<RefCell<T>>) -> T {
    key.with(|c| {
        c.try_borrow_mut()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    })
}

/// Puts `v` back into a thread-local slot (dropped if the slot is in use).
fn put<T>(key: &'static std::thread::LocalKey<RefCell<T>>, v: T) {
    key.with(|c| {
        if let Ok(mut slot) = c.try_borrow_mut() {
            *slot = v;
        }
    });
}

/// Returns a buffer taken with [`take_pre_buf`] (unless it grew huge).
pub(crate) fn put_pre_buf(b: Vec<u8>) {
    if b.capacity() <= 64 << 20 {
        put(&PRE_BUF, b);
    }
}

fn with_compressor<R>(
    level: i32,
    f: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> std::io::Result<R>,
) -> Result<R, CodecError> {
    ZSTD_C.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(|e| format!("zstd: {e}"))?;
        if !matches!(&*slot, Some((l, _)) if *l == level) {
            let c = zstd::bulk::Compressor::new(level).map_err(|e| format!("zstd: {e}"))?;
            *slot = Some((level, c));
        }
        match slot.as_mut() {
            Some((_, c)) => f(c).map_err(|e| format!("zstd: {e}")),
            None => Err("zstd: no context".into()),
        }
    })
}

pub(crate) fn zstd_compress(data: &[u8], level: i32) -> Result<Vec<u8>, CodecError> {
    with_compressor(level, |c| c.compress(data))
}

/// The size of a zstd frame (level `level`) of the `len` bytes that `fill`
/// writes into a reused buffer of exactly `len` bytes: a trial, the frame
/// itself is dropped.
pub(crate) fn zstd_trial_len(
    level: i32,
    len: usize,
    fill: impl FnOnce(&mut [u8]),
) -> Result<usize, CodecError> {
    with_buf(&TRIAL_IN, |input| {
        input.clear();
        input.resize(len, 0);
        fill(input);
        with_buf(&TRIAL_OUT, |out| {
            out.clear();
            out.reserve(zstd::zstd_safe::compress_bound(len));
            with_compressor(level, |c| c.compress_to_buffer(input.as_slice(), out))
        })
    })
}

/// Decompresses into the reused buffer and hands it to `f`; the output
/// must be exactly `len` bytes.
pub(crate) fn zstd_decompress_with<R>(
    data: &[u8],
    len: usize,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, CodecError> {
    with_buf(&DEC_BUF, |buf| {
        buf.clear();
        buf.reserve(len);
        let got = ZSTD_D.with(|cell| {
            let mut slot = cell.try_borrow_mut().map_err(|e| format!("zstd: {e}"))?;
            if slot.is_none() {
                *slot = Some(zstd::bulk::Decompressor::new().map_err(|e| format!("zstd: {e}"))?);
            }
            match slot.as_mut() {
                // Writes at most buf.capacity() bytes; we check it is exactly `len`.
                Some(d) => d
                    .decompress_to_buffer(data, buf)
                    .map_err(|e| format!("zstd: {e}")),
                None => Err("zstd: no context".into()),
            }
        })?;
        if got != len || buf.len() != len {
            return Err(format!("zstd block decodes to {got} bytes, {len} declared"));
        }
        Ok(f(buf))
    })
}

/// [`zstd_decompress_with`] for a frame coded with a campaign dictionary.
pub(crate) fn dict_decompress_with<R>(
    dict: &super::dict::Dictionary,
    data: &[u8],
    len: usize,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, CodecError> {
    with_buf(&DEC_BUF, |buf| {
        dict.decompress_frame(data, len, buf)?;
        Ok(f(buf))
    })
}
