//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the cache.
///
/// Errors about an entry name the key (or the file path, for the disk store)
/// and, where the bytes are at fault, the byte offset in the envelope.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// A key that is not 64 lowercase hex characters.
    #[error(
        "invalid cache key {key:?}: {reason} (a key is 64 lowercase hex characters, a sha256)"
    )]
    InvalidKey {
        /// The key as given (cut to 80 characters).
        key: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// An I/O error on a path.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The envelope's bytes do not make a valid entry.
    #[error("cache entry {key}: corrupt at byte {offset}: {what}")]
    Corrupt {
        /// The entry's key (or path when read from a file).
        key: String,
        /// Byte offset in the envelope where the problem was found.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// A tag (checksum or HMAC of the footer, or of a block) does not
    /// match the bytes.
    #[error("cache entry {key}: {what} mismatch at byte {offset}")]
    Integrity {
        /// The entry's key.
        key: String,
        /// Byte offset of the tag (footer) or of the block.
        offset: u64,
        /// `"checksum"` or `"HMAC"`.
        what: &'static str,
    },
    /// The entry's authentication does not match the configured secret.
    #[error("cache entry {key}: {what}")]
    Unauthenticated {
        /// The entry's key.
        key: String,
        /// What is missing.
        what: &'static str,
    },
    /// An envelope of a format version this build does not read (older
    /// than 3, or newer than [`crate::FORMAT_VERSION`]). The store leaves
    /// such entries in place for the builds that read them.
    #[error("cache entry {key}: format version {version} is not read by this build (it reads versions {oldest} to {newest})")]
    UnsupportedVersion {
        /// The entry's key.
        key: String,
        /// The version found.
        version: u16,
        /// The oldest version this build reads.
        oldest: u16,
        /// The version this build writes (the newest it reads).
        newest: u16,
    },
    /// An entry of this format version that uses something this build does
    /// not know (a required field, a codec, a value type, written by a newer
    /// build). Like [`CacheError::UnsupportedVersion`], a miss left in place.
    #[error("cache entry {key}: {what} at byte {offset} is not known to this build (written by a newer spicelab?)")]
    UnsupportedFeature {
        /// The entry's key.
        key: String,
        /// Byte offset in the envelope (of the record that holds it).
        offset: u64,
        /// What was found.
        what: String,
    },
    /// The entry's path is not a regular file (a FIFO, a device, a
    /// directory, a symlink to one): it is not opened, or not read.
    #[error("{path}: not a regular file but {found}: refused as a cache entry")]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What was found there (`"a FIFO"`, `"a character device"`, ...).
        found: &'static str,
    },
    /// An entry compressed with a campaign dictionary that the reader was
    /// not given (or was given another one): a miss, the entry is kept.
    #[error("cache entry {key}: needs dictionary {id}, which is not available")]
    DictionaryMissing {
        /// The entry's key.
        key: String,
        /// The id (lowercase hex sha256) of the dictionary the entry needs.
        id: String,
    },
    /// A dictionary object, or a frame coded with a dictionary, that is not
    /// valid (or a dictionary that cannot be trained).
    #[error("dictionary {id}: {what}")]
    Dictionary {
        /// The dictionary's id (lowercase hex), or "(new)" while training.
        id: String,
        /// What is wrong.
        what: String,
    },
    /// A result that cannot be stored (ragged columns, bad options).
    #[error("cannot encode cache entry {key}: {what}")]
    Encode {
        /// The entry's key.
        key: String,
        /// What is wrong.
        what: String,
    },
    /// Writing an entry failed (the output's own error).
    #[error("writing a cache entry: {source}")]
    WriteEntry {
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Invalid options (precision bound, level).
    #[error("invalid cache option: {0}")]
    Options(String),
    /// No cache directory could be found (no explicit one, no environment).
    #[error(
        "no cache directory: set SPICELAB_CACHE_DIR, XDG_CACHE_HOME or HOME, or pass a directory"
    )]
    NoCacheDir,
}

impl CacheError {
    /// An [`CacheError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> CacheError {
        CacheError::Io {
            path: path.into(),
            source,
        }
    }

    /// True for entries that this build does not read but another may
    /// ([`CacheError::UnsupportedVersion`], [`CacheError::UnsupportedFeature`]):
    /// the store counts them as misses and leaves them in place.
    pub fn is_other_version(&self) -> bool {
        matches!(
            self,
            CacheError::UnsupportedVersion { .. } | CacheError::UnsupportedFeature { .. }
        )
    }

    /// True for errors that mean the entry's bytes are bad (corrupt,
    /// checksum or HMAC mismatch, not authenticated): the store removes such
    /// entries and counts them as misses.
    pub fn is_bad_entry(&self) -> bool {
        matches!(
            self,
            CacheError::Corrupt { .. }
                | CacheError::Integrity { .. }
                | CacheError::Unauthenticated { .. }
        )
    }
}

/// The crate's result type.
pub type Result<T, E = CacheError> = std::result::Result<T, E>;
