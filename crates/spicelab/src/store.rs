//! RAW files into the result cache, streaming.
//!
//! ```
//! use spicelab::cache_zstd::{DiskStore, JobMeta};
//! use spicelab::raw_stream::RawFile;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = DiskStore::new(dir.path())?;
//! let raw = RawFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/ng39_rc_tran.raw"))?;
//! let mut w = store.writer(raw.dialect(), raw.encoding())?;
//! let mut points = 0;
//! let bytes = spicelab::store::write_raw(&mut w, &raw, |_plot, chunk| points += chunk.len)?;
//! let key = "0".repeat(64);
//! store.commit(w, &key, &JobMeta::default())?;
//! assert_eq!(points as u64, raw.plots()[0].complete_points);
//! assert!(bytes > 0);
//! # Ok(()) }
//! ```

use cache_zstd::{CacheError, EntryWriter};
use raw_stream::{Chunk, RawError, RawFile};

/// Points per chunk while streaming a RAW file into an entry.
pub const CHUNK_POINTS: usize = 1 << 16;

/// Why a RAW file could not be streamed into a cache entry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading the RAW file failed.
    #[error(transparent)]
    Raw(#[from] RawError),
    /// Writing the entry failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// Streams every plot of `raw` into `w` chunk by chunk (one block in
/// memory), calling `each(plot, chunk)` on every chunk as it passes (a
/// measure, a progress bar). Returns the bytes of column data read. The
/// caller commits the entry (`DiskStore::commit`) under its key.
pub fn write_raw<W: std::io::Write>(
    w: &mut EntryWriter<W>,
    raw: &RawFile,
    mut each: impl FnMut(usize, &Chunk),
) -> Result<u64, StoreError> {
    let mut chunk = Chunk::default();
    let mut bytes = 0u64;
    for i in 0..raw.plots().len() {
        let plot = raw.plot(i)?;
        let types = plot.info().types.clone();
        let point: u64 = types.iter().map(|t| t.size() as u64).sum();
        w.begin_plot(plot.header(), &types)?;
        let mut chunks = plot.chunks(CHUNK_POINTS);
        while chunks.fill(&mut chunk)? {
            each(i, &chunk);
            w.write_columns(&chunk.columns)?;
            bytes = bytes.saturating_add(chunk.len as u64 * point);
        }
        w.end_plot(&*plot.steps()?)?;
    }
    Ok(bytes)
}
