//! The spicelab result cache: a compressed, content-addressed store of
//! simulation results that never hands back a wrong or half-written one.
//!
//! - [`ResultCache`]: the trait every store implements (this crate's
//!   [`DiskStore`], a Redis store and a two-tier cache elsewhere).
//! - The entry envelope, format v4 ([`EntryWriter`], [`EntryReader`];
//!   [`encode_entry`], [`decode_entry`] for results in memory): a head
//!   (magic, version, flags), the points in blocks (row groups: a run of
//!   points of one plot, every column's slice of it coded together, one
//!   zstd frame plus a part per pco column), then the footer (the meta:
//!   key, plot headers, steps, job metadata, the block index with each
//!   block's tag) as tagged fields that newer builds may extend, and the
//!   footer's tag: xxh3-128 checksums or, with a team secret
//!   (`SPICELAB_CACHE_SECRET`), HMAC-SHA256. Writing and reading hold one
//!   block, never the result. Entries of format v3 are still read.
//! - [`DiskStore`]: sharded files, atomic writes, LRU eviction, `verify`, `gc`.
//!
//! See `docs/cache.md` for the format.
//!
//! ```
//! use cache_zstd::{key_of, DiskStore, Entry, JobMeta, ResultCache};
//! use waveform::{Column, Plot, PlotHeader, SimResult, Steps, Variable};
//!
//! let dir = tempfile::tempdir()?;
//! let store = DiskStore::new(dir.path())?;
//! let plot = Plot {
//!     header: PlotHeader {
//!         plotname: "Transient Analysis".into(),
//!         n_points: 3,
//!         variables: vec![Variable::new(0, "time", "time"), Variable::new(1, "v(out)", "voltage")],
//!         ..PlotHeader::default()
//!     },
//!     columns: vec![Column::F64(vec![0.0, 1e-9, 2e-9]), Column::F64(vec![0.0, -0.0, f64::NAN])],
//!     steps: Steps::single(3),
//! };
//! let entry = Entry {
//!     result: SimResult { plots: vec![plot], ..SimResult::default() },
//!     meta: JobMeta { simulator: "ngspice".into(), simulator_version: "44".into(), ..JobMeta::default() },
//! };
//! let key = key_of(b"the job identity");
//! store.put(&key, &entry)?;
//! let back = store.get(&key)?.ok_or("miss")?;
//! assert_eq!(back.meta, entry.meta);
//! assert_eq!(back.result.plots[0].columns[0], entry.result.plots[0].columns[0]);
//! assert!(store.get(&key_of(b"another job"))?.is_none());
//! assert!(store.get("../etc/passwd").is_err());
//! assert_eq!(store.stats()?.entries, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod block;
mod codec;
mod disk;
mod entry;
mod error;
mod integrity;
mod job;
mod key;
mod options;
pub mod parts;
mod reader;
pub mod tlv;
mod v3;
pub mod wire;
mod writer;

pub use codec::dict::{
    train_dictionary, Dictionary, DEFAULT_DICT_SIZE, DICT_FORMAT_VERSION, DICT_MAGIC, MAX_DICT_SIZE,
};
pub use codec::{Codec, CodecChoice, MAX_DELTA_ORDER};
pub use disk::{
    default_dir, resolve_dir, DiskStore, GcReport, StoreWriter, VerifyReport, DICT_DIR, ENTRY_EXT,
    ENV_CACHE_DIR,
};
pub use entry::{
    decode_entry, decode_entry_with, dictionary_samples, encode_entry, entry_dictionary_id,
    raw_column_bytes, read_meta, Entry,
};
pub use error::{CacheError, Result};
pub use integrity::Secret;
pub use job::{JobMeta, JobStatus};
pub use key::{check_key, key_of, KeyHasher, KEY_LEN};
pub use options::{
    EncodeOptions, DEFAULT_BLOCK_BYTES, FLAG_HMAC, FLAG_LOSSY, FORMAT_VERSION, HEAD_LEN, MAGIC,
    MAX_BLOCK_BYTES, MAX_BLOCK_STORED, MAX_FOOTER_BYTES, OLDEST_VERSION,
};
pub use reader::{Block, DictionaryResolver, EntryFile, EntryReader, EntrySource};
pub use waveform::ParamValue;
pub use wire::{BlockRef, EntryMeta, PlotMeta};
pub use writer::EntryWriter;

/// Counts of a store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CacheStats {
    /// Number of entries.
    pub entries: u64,
    /// Column bytes before compression, summed over entries.
    pub raw_bytes: u64,
    /// Bytes the entries take in the store.
    pub stored_bytes: u64,
    /// Entries of a format version this build does not read (or using a
    /// feature it does not know): misses left in place for the builds that
    /// read them. Counted in `entries` and `stored_bytes`.
    pub other_versions: u64,
}

/// A store of results by key. Object-safe: `Box<dyn ResultCache>` works.
///
/// Keys are 64 lowercase hex characters ([`check_key`]); every method
/// rejects anything else with [`CacheError::InvalidKey`]. A corrupt or
/// unauthenticated entry is a miss (`Ok(None)`), never an error or a wrong
/// value.
pub trait ResultCache: Send + Sync {
    /// The entry under `key`, or `None` on a miss.
    fn get(&self, key: &str) -> Result<Option<Entry>>;
    /// Stores `entry` under `key`, replacing any previous one.
    fn put(&self, key: &str, entry: &Entry) -> Result<()>;
    /// The envelope bytes under `key`, unchecked (for copying between tiers;
    /// decode with [`decode_entry`]).
    fn get_envelope(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Stores envelope bytes made by [`encode_entry`] as they are.
    fn put_envelope(&self, key: &str, bytes: &[u8]) -> Result<()>;
    /// True when an entry exists under `key` (it may still turn out corrupt on `get`).
    fn contains(&self, key: &str) -> Result<bool>;
    /// Removes the entry under `key`; true when there was one.
    fn remove(&self, key: &str) -> Result<bool>;
    /// Entry count and sizes.
    fn stats(&self) -> Result<CacheStats>;
    /// [`get`](ResultCache::get) for several keys, results in the same order.
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Entry>>> {
        keys.iter().map(|k| self.get(k)).collect()
    }
    /// [`put`](ResultCache::put) for several entries.
    fn put_many(&self, items: &[(&str, &Entry)]) -> Result<()> {
        items.iter().try_for_each(|(k, e)| self.put(k, e))
    }
}
