//! The local disk store.
//!
//! Layout: `DIR/ab/abcdef….splc`, one envelope per file, sharded by the
//! first two hex characters of the key. Writes go through [`outfile`]: a
//! temporary file (`.tmp-*`) in the shard directory, fsynced, renamed into
//! place, and the directory fsynced: a reader sees the old entry or the new
//! one, whole. Concurrent writers of one key are safe: the last rename wins.
//!
//! Recency for LRU eviction is the file's modification time: a `get` that
//! returns an entry sets it to now. Times in the future (clock skew, a
//! copied directory) are treated as now, so they cannot pin an entry.

use crate::codec::dict::{id_hex, Dictionary, MAX_DICT_SIZE};
use crate::entry::{encode_entry, Entry};
use crate::error::{CacheError, Result};
use crate::integrity::Secret;
use crate::key::check_key;
use crate::options::EncodeOptions;
use crate::reader::{EntryFile, EntryReader, EntrySource};
use crate::writer::EntryWriter;
use crate::{CacheStats, ResultCache};
use std::fs::{self, File};
use std::io::{ErrorKind, Read, Write};
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use waveform::{Dialect, Encoding};

/// File extension of an entry.
pub const ENTRY_EXT: &str = "splc";
/// Prefix of temporary files.
const TMP_PREFIX: &str = ".tmp-";
/// Temporary files older than this are left by killed writers and removed by `gc`/`verify`.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// The store's subdirectory of campaign dictionary objects
/// (`DIR/dicts/<id>`, the id in lowercase hex).
pub const DICT_DIR: &str = "dicts";
/// The largest dictionary object read (a dictionary of `MAX_DICT_SIZE`
/// bytes, its header and checksum).
const MAX_DICT_OBJECT: u64 = MAX_DICT_SIZE as u64 + 64;

/// Environment variable naming the cache directory.
pub const ENV_CACHE_DIR: &str = "SPICELAB_CACHE_DIR";

/// The cache directory: `explicit`, else `$SPICELAB_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/spicelab`, else `$HOME/.cache/spicelab`.
pub fn default_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    resolve_dir(explicit, |k| std::env::var_os(k))
}

/// [`default_dir`] with the environment given as a lookup function.
pub fn resolve_dir(
    explicit: Option<&Path>,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<PathBuf> {
    if let Some(d) = explicit {
        return Ok(d.to_path_buf());
    }
    let env = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = env(ENV_CACHE_DIR) {
        return Ok(d);
    }
    // The XDG spec says relative paths are invalid and must be ignored.
    if let Some(d) = env("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Ok(d.join("spicelab"));
    }
    if let Some(h) = env("HOME") {
        return Ok(h.join(".cache").join("spicelab"));
    }
    Err(CacheError::NoCacheDir)
}

/// What [`DiskStore::verify`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyReport {
    /// Entries read.
    pub checked: u64,
    /// Entries that decoded correctly.
    pub ok: u64,
    /// Entries found corrupt and removed: path and error.
    pub removed: Vec<(PathBuf, String)>,
    /// Entries of a format version this build does not read (older than
    /// 3, newer than this build's, or using a feature it does not know),
    /// left in place.
    pub skipped: Vec<PathBuf>,
    /// Stale temporary files removed.
    pub stale_temp_files: u64,
}

/// What [`DiskStore::gc`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Entries evicted.
    pub evicted: u64,
    /// Bytes freed by evictions.
    pub freed_bytes: u64,
    /// Entries left.
    pub entries: u64,
    /// Bytes left.
    pub stored_bytes: u64,
    /// Stale temporary files removed.
    pub stale_temp_files: u64,
}

/// A cache entry file found by a directory walk.
#[derive(Debug, Clone)]
struct FileInfo {
    path: PathBuf,
    key: String,
    size: u64,
    mtime: SystemTime,
}

/// The local disk store. See the module docs for the layout.
#[derive(Debug)]
pub struct DiskStore {
    dir: PathBuf,
    opts: EncodeOptions,
    max_size: Option<u64>,
    /// Bytes stored, as last counted plus what this process wrote since.
    size_estimate: Mutex<Option<u64>>,
    /// Campaign dictionaries read (or written) by this store, by id.
    dicts: Mutex<Vec<Dictionary>>,
}

impl DiskStore {
    /// A store in `dir` (created if missing), lossless default options, no
    /// secret and no size limit. Reads no environment variable.
    pub fn new(dir: impl Into<PathBuf>) -> Result<DiskStore> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| CacheError::io(&dir, e))?;
        Ok(DiskStore {
            dir,
            opts: EncodeOptions::default(),
            max_size: None,
            size_estimate: Mutex::new(None),
            dicts: Mutex::new(Vec::new()),
        })
    }

    /// A store in [`default_dir`]`(explicit)`, with the secret from
    /// `SPICELAB_CACHE_SECRET` when set.
    pub fn open(explicit: Option<&Path>) -> Result<DiskStore> {
        Ok(DiskStore::new(default_dir(explicit)?)?.with_secret(Secret::from_env()))
    }

    /// Uses `secret` for HMAC on write and requires it on read (`None`: checksums).
    pub fn with_secret(mut self, secret: Option<Secret>) -> DiskStore {
        self.opts.secret = secret;
        self
    }

    /// Uses these encode options (their secret included). With a campaign
    /// dictionary, the dictionary object is stored (see
    /// [`DiskStore::put_dictionary`]) so that the entries written with it
    /// can be read.
    pub fn with_options(mut self, opts: EncodeOptions) -> Result<DiskStore> {
        opts.validate()?;
        if let Some(d) = &opts.dictionary {
            self.put_dictionary(d)?;
        }
        self.opts = opts;
        Ok(self)
    }

    /// The file of the dictionary object `id`: `DIR/dicts/<id hex>`.
    pub fn dictionary_path(&self, id: &[u8; 32]) -> PathBuf {
        self.dir.join(DICT_DIR).join(id_hex(id))
    }

    /// Stores a campaign dictionary object under its id
    /// ([`DiskStore::dictionary_path`]), atomically (temporary file, fsync,
    /// rename, fsync of the directory), unless a valid one is there already.
    /// Returns its path.
    pub fn put_dictionary(&self, d: &Dictionary) -> Result<PathBuf> {
        let path = self.dictionary_path(d.id());
        if !matches!(self.read_dictionary(d.id(), false), Ok(Some(_))) {
            let dir = self.dir.join(DICT_DIR);
            fs::create_dir_all(&dir).map_err(|e| CacheError::io(&dir, e))?;
            if let Ok(md) = fs::symlink_metadata(&path) {
                if !md.file_type().is_file() {
                    fs::remove_file(&path).map_err(|e| CacheError::io(&path, e))?;
                }
            }
            outfile::Options::new()
                .temp_prefix(TMP_PREFIX)
                .write(&path, &d.to_object())
                .map_err(|e| CacheError::io(&path, e.into_io_error()))?;
        }
        self.remember(d);
        Ok(path)
    }

    fn remember(&self, d: &Dictionary) {
        if let Ok(mut v) = self.dicts.lock() {
            if !v.contains(d) {
                v.push(d.clone());
            }
        }
    }

    /// The campaign dictionary `id` of this store, read from its object and
    /// checked ([`Dictionary::from_object`]: header, length, checksum, and
    /// the sha256 of its bytes against `id`), then kept in memory.
    /// `Ok(None)` when there is none; a corrupt object (or one that is not
    /// a regular file, or too big) is [`CacheError::Dictionary`].
    pub fn dictionary(&self, id: &[u8; 32]) -> Result<Option<Dictionary>> {
        self.dictionary_inner(id, false)
    }

    /// [`DiskStore::dictionary`]; `remove_bad`: a corrupt object is removed
    /// (only if the file is still the one read, not a good object renamed
    /// over it meanwhile).
    fn dictionary_inner(&self, id: &[u8; 32], remove_bad: bool) -> Result<Option<Dictionary>> {
        if let Ok(v) = self.dicts.lock() {
            if let Some(d) = v.iter().find(|d| d.id() == id) {
                return Ok(Some(d.clone()));
            }
        }
        let d = self.read_dictionary(id, remove_bad)?;
        if let Some(d) = &d {
            self.remember(d);
        }
        Ok(d)
    }

    fn read_dictionary(&self, id: &[u8; 32], remove_bad: bool) -> Result<Option<Dictionary>> {
        let path = self.dictionary_path(id);
        let bad = |what: String| CacheError::Dictionary {
            id: id_hex(id),
            what: format!("{}: {what}", path.display()),
        };
        let mut f = match EntryFile::open(&path) {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(None),
            Err(CacheError::NotAFile { found, .. }) => {
                return Err(bad(format!("not a regular file but {found}")))
            }
            Err(e) => return Err(e),
        };
        let size = EntrySource::size(&f);
        let checked = if size > MAX_DICT_OBJECT {
            Err(bad(format!(
                "{size} bytes, over the limit of {MAX_DICT_OBJECT}"
            )))
        } else {
            let bytes = f.read_all()?;
            Dictionary::from_object(&bytes, id).map_err(|e| match e {
                CacheError::Dictionary { what, .. } => bad(what),
                e => e,
            })
        };
        if checked.is_err() && remove_bad {
            Self::remove_if_same(&path, f.file());
        }
        checked.map(Some)
    }

    /// The store's dictionary lookup for readers: a corrupt dictionary
    /// object is logged and removed (a later [`DiskStore::put_dictionary`]
    /// writes it again), and the entry that needs it is then a miss left in
    /// place ([`CacheError::DictionaryMissing`]).
    fn resolve_dictionary(&self, id: &[u8; 32]) -> Result<Option<Dictionary>> {
        match self.dictionary_inner(id, true) {
            Err(err @ CacheError::Dictionary { .. }) => {
                tracing::warn!(id = %id_hex(id), error = %err, "corrupt campaign dictionary removed");
                Ok(None)
            }
            r => r,
        }
    }

    /// Opens an entry file for reading, its dictionary (if any) from the store.
    fn open_reader(&self, file: EntryFile, key: &str) -> Result<EntryReader<EntryFile>> {
        let dicts = |id: &[u8; 32]| self.resolve_dictionary(id);
        EntryReader::open_with(file, key, self.secret(), &dicts)
    }

    /// Keeps the store under `max_size` bytes: when a put takes it over, the
    /// least recently used entries are evicted down to 90% of the limit.
    pub fn with_max_size(mut self, max_size: Option<u64>) -> DiskStore {
        self.max_size = max_size;
        self
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The encode options in use.
    pub fn options(&self) -> &EncodeOptions {
        &self.opts
    }

    /// The file of `key` (checked first).
    pub fn path_of(&self, key: &str) -> Result<PathBuf> {
        check_key(key)?;
        Ok(self.dir.join(&key[..2]).join(format!("{key}.{ENTRY_EXT}")))
    }

    fn secret(&self) -> Option<&Secret> {
        self.opts.secret.as_ref()
    }

    /// Opens an entry's file for reading: `None` when absent; an error
    /// naming what is there when it is not a regular file.
    fn open_file(path: &Path) -> Result<Option<EntryFile>> {
        EntryFile::open(path)
    }

    /// Reads the entry under `key` through `f`, which gets a reader whose
    /// footer is checked (blocks are checked as `f` reads them). A missing
    /// entry, one of another format version (left in place) and a corrupt
    /// or unauthenticated one (removed, unless a newer entry was renamed
    /// over it meanwhile) are misses: `Ok(None)`. A successful read marks
    /// the entry as recently used.
    pub fn read_with<R>(
        &self,
        key: &str,
        f: impl FnOnce(EntryReader<EntryFile>) -> Result<R>,
    ) -> Result<Option<R>> {
        let path = self.path_of(key)?;
        let Some(file) = Self::open_file(&path)? else {
            return Ok(None);
        };
        let handle = match file.file().try_clone() {
            Ok(h) => h,
            Err(e) => return Err(CacheError::io(&path, e)),
        };
        let r = self.open_reader(file, key).and_then(f);
        match r {
            Ok(v) => {
                // Recency for LRU; failure to touch is harmless.
                let _ = handle.set_modified(SystemTime::now());
                Ok(Some(v))
            }
            Err(err) if err.is_other_version() => {
                tracing::warn!(path = %path.display(), error = %err, "cache entry of another format version: miss, left in place");
                Ok(None)
            }
            Err(err @ CacheError::DictionaryMissing { .. }) => {
                tracing::warn!(path = %path.display(), error = %err, "cache entry needs a campaign dictionary: miss, left in place");
                Ok(None)
            }
            Err(err) if err.is_bad_entry() => {
                tracing::warn!(path = %path.display(), error = %err, "corrupt cache entry removed: miss");
                Self::remove_if_same(&path, &handle);
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    /// A writer of a new entry, streaming into a temporary file of the
    /// store; [`DiskStore::commit`] gives it its key and puts it in place.
    pub fn writer(&self, dialect: Dialect, encoding: Encoding) -> Result<EntryWriter<StoreWriter>> {
        fs::create_dir_all(&self.dir).map_err(|e| CacheError::io(&self.dir, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempfile_in(&self.dir)
            .map_err(|e| CacheError::io(&self.dir, e))?;
        let out = StoreWriter {
            path: tmp.path().to_path_buf(),
            w: std::io::BufWriter::with_capacity(1 << 20, tmp),
        };
        EntryWriter::new(out, &self.opts, dialect, encoding)
    }

    /// Finishes an entry begun with [`DiskStore::writer`] under `key` with
    /// the job's metadata: the footer is written, the file fsynced and
    /// renamed into place (the shard directory fsynced). Returns the
    /// entry's size.
    pub fn commit(
        &self,
        w: EntryWriter<StoreWriter>,
        key: &str,
        job: &crate::job::JobMeta,
    ) -> Result<u64> {
        let path = self.path_of(key)?;
        let out = w.finish(key, job)?;
        let tmp_path = out.path.clone();
        let tmp = out
            .w
            .into_inner()
            .map_err(|e| CacheError::io(&tmp_path, e.into_error()))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| CacheError::io(&tmp_path, e))?;
        let size = tmp
            .as_file()
            .metadata()
            .map_err(|e| CacheError::io(&tmp_path, e))?
            .len();
        let shard = self.dir.join(&key[..2]);
        fs::create_dir_all(&shard).map_err(|e| CacheError::io(&shard, e))?;
        tmp.persist(&path)
            .map_err(|e| CacheError::io(&path, e.error))?;
        outfile::sync_dir(&path).map_err(|e| CacheError::io(&shard, e))?;
        self.account(size)?;
        Ok(size)
    }

    /// Removes `path` if it is still the file `f` (not a newer entry renamed over it).
    fn remove_if_same(path: &Path, f: &File) {
        #[cfg(unix)]
        {
            let same = match (f.metadata(), fs::metadata(path)) {
                (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
                _ => false,
            };
            if !same {
                return;
            }
        }
        #[cfg(not(unix))]
        let _ = f;
        if let Err(e) = fs::remove_file(path) {
            if e.kind() != ErrorKind::NotFound {
                tracing::warn!(path = %path.display(), error = %e, "could not remove a corrupt cache entry");
            }
        }
    }

    /// Walks the store: entry files and stale temporary files.
    fn walk(&self) -> Result<(Vec<FileInfo>, Vec<PathBuf>)> {
        let mut entries = Vec::new();
        let mut stale = Vec::new();
        let now = SystemTime::now();
        let rd = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok((entries, stale)),
            Err(e) => return Err(CacheError::io(&self.dir, e)),
        };
        for shard in rd {
            let shard = shard.map_err(|e| CacheError::io(&self.dir, e))?;
            let name = shard.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(TMP_PREFIX) {
                // A streaming write in progress, or left by a killed writer.
                if let Ok(md) = shard.metadata() {
                    let mtime = md.modified().unwrap_or(now).min(now);
                    if md.is_file() && now.duration_since(mtime).unwrap_or_default() > STALE_TMP {
                        stale.push(shard.path());
                    }
                }
                continue;
            }
            if name.len() != 2 || !name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                continue;
            }
            let sdir = shard.path();
            let Ok(files) = fs::read_dir(&sdir) else {
                continue;
            };
            for f in files {
                let Ok(f) = f else { continue };
                let path = f.path();
                let fname = f.file_name();
                let Some(fname) = fname.to_str() else {
                    continue;
                };
                let Ok(md) = f.metadata() else { continue };
                if !md.is_file() {
                    continue;
                }
                let mtime = md.modified().unwrap_or(now).min(now);
                if fname.starts_with(TMP_PREFIX) {
                    if now.duration_since(mtime).unwrap_or_default() > STALE_TMP {
                        stale.push(path);
                    }
                    continue;
                }
                let Some(key) = fname
                    .strip_suffix(ENTRY_EXT)
                    .and_then(|k| k.strip_suffix('.'))
                else {
                    continue;
                };
                if check_key(key).is_err() || !key.starts_with(name) {
                    continue;
                }
                entries.push(FileInfo {
                    key: key.to_string(),
                    path,
                    size: md.len(),
                    mtime,
                });
            }
        }
        Ok((entries, stale))
    }

    fn remove_stale(stale: &[PathBuf]) -> u64 {
        stale.iter().filter(|p| fs::remove_file(p).is_ok()).count() as u64
    }

    /// The keys of every entry file in the store.
    pub fn keys(&self) -> Result<Vec<String>> {
        let (entries, _) = self.walk()?;
        let mut keys: Vec<String> = entries.into_iter().map(|e| e.key).collect();
        keys.sort();
        Ok(keys)
    }

    /// Reads and decodes every entry; removes the corrupt ones (and
    /// temporary files left by killed writers over an hour ago).
    pub fn verify(&self) -> Result<VerifyReport> {
        let (entries, stale) = self.walk()?;
        let mut r = VerifyReport {
            stale_temp_files: Self::remove_stale(&stale),
            ..VerifyReport::default()
        };
        for e in entries {
            let file = match Self::open_file(&e.path) {
                Ok(Some(f)) => f,
                Ok(None) | Err(CacheError::NotAFile { .. }) => continue,
                Err(err) => return Err(err),
            };
            let handle = file
                .file()
                .try_clone()
                .map_err(|err| CacheError::io(&e.path, err))?;
            r.checked += 1;
            // Every block read, checked and decoded, one at a time.
            let res = self.open_reader(file, &e.key).and_then(|mut rd| {
                while rd.next_block()?.is_some() {}
                Ok(())
            });
            match res {
                Ok(()) => r.ok += 1,
                Err(err) if err.is_other_version() => r.skipped.push(e.path),
                Err(CacheError::DictionaryMissing { .. }) => r.skipped.push(e.path),
                Err(err) if err.is_bad_entry() => {
                    tracing::warn!(path = %e.path.display(), error = %err, "corrupt cache entry removed");
                    Self::remove_if_same(&e.path, &handle);
                    r.removed.push((e.path, err.to_string()));
                }
                Err(err) => return Err(err),
            }
        }
        Ok(r)
    }

    /// Evicts least recently used entries until the store holds at most
    /// `max_size` bytes.
    pub fn gc(&self, max_size: u64) -> Result<GcReport> {
        let (mut entries, stale) = self.walk()?;
        let mut r = GcReport {
            stale_temp_files: Self::remove_stale(&stale),
            ..GcReport::default()
        };
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        entries.sort_by(|a, b| a.mtime.cmp(&b.mtime).then_with(|| a.key.cmp(&b.key)));
        let mut left = entries.len() as u64;
        for e in &entries {
            if total <= max_size {
                break;
            }
            match fs::remove_file(&e.path) {
                Ok(()) => {
                    r.evicted += 1;
                    r.freed_bytes += e.size;
                }
                Err(err) if err.kind() == ErrorKind::NotFound => {}
                Err(err) => return Err(CacheError::io(&e.path, err)),
            }
            total -= e.size;
            left -= 1;
        }
        r.entries = left;
        r.stored_bytes = total;
        if let Ok(mut est) = self.size_estimate.lock() {
            *est = Some(total);
        }
        if r.evicted > 0 {
            tracing::debug!(evicted = r.evicted, freed = r.freed_bytes, "cache gc");
        }
        Ok(r)
    }

    fn account(&self, added: u64) -> Result<()> {
        let Some(max) = self.max_size else {
            return Ok(());
        };
        let over = {
            let mut est = match self.size_estimate.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            let cur = match *est {
                Some(s) => s.saturating_add(added),
                None => {
                    let (entries, _) = self.walk()?;
                    entries.iter().map(|e| e.size).sum()
                }
            };
            *est = Some(cur);
            cur > max
        };
        if over {
            self.gc(max / 10 * 9)?;
        }
        Ok(())
    }
}

impl ResultCache for DiskStore {
    fn get(&self, key: &str) -> Result<Option<Entry>> {
        self.read_with(key, EntryReader::read_entry)
    }

    fn put(&self, key: &str, entry: &Entry) -> Result<()> {
        let bytes = encode_entry(key, entry, &self.opts)?;
        self.put_envelope(key, &bytes)
    }

    fn get_envelope(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path_of(key)?;
        match Self::open_file(&path)? {
            Some(mut f) => f.read_all().map(Some),
            None => Ok(None),
        }
    }

    fn put_envelope(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path_of(key)?;
        let shard = self.dir.join(&key[..2]);
        fs::create_dir_all(&shard).map_err(|e| CacheError::io(&shard, e))?;
        // The store owns its entry paths: whatever is there that is not a
        // regular file (a FIFO, a symlink, a device node) is removed, never
        // written through, as `outfile` would do for an output a user named.
        if let Ok(md) = fs::symlink_metadata(&path) {
            if !md.file_type().is_file() {
                fs::remove_file(&path).map_err(|e| CacheError::io(&path, e))?;
            }
        }
        // temporary file in the shard, fsync, rename, fsync of the shard
        outfile::Options::new()
            .temp_prefix(TMP_PREFIX)
            .write(&path, bytes)
            .map_err(|e| CacheError::io(&path, e.into_io_error()))?;
        self.account(bytes.len() as u64)
    }

    fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.path_of(key)?.is_file())
    }

    fn remove(&self, key: &str) -> Result<bool> {
        let path = self.path_of(key)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(CacheError::io(&path, e)),
        }
    }

    /// Counts entries and bytes. `raw_bytes` comes from each entry's meta
    /// (format v4: the footer, its tag checked, no block read; v3: the meta,
    /// unchecked). Entries of another format version count in
    /// `other_versions` (and in `entries`, `stored_bytes`); entries whose
    /// meta does not read count in `stored_bytes` only.
    fn stats(&self) -> Result<CacheStats> {
        let (entries, _) = self.walk()?;
        let mut s = CacheStats::default();
        for e in entries {
            s.entries += 1;
            s.stored_bytes += e.size;
            match self.raw_bytes_of(&e) {
                Ok(Some(raw)) => s.raw_bytes += raw,
                Err(err) if err.is_other_version() => s.other_versions += 1,
                _ => {}
            }
        }
        Ok(s)
    }
}

impl DiskStore {
    /// The raw column bytes an entry file declares (`None` when it is gone
    /// or not an entry this build reads).
    fn raw_bytes_of(&self, e: &FileInfo) -> Result<Option<u64>> {
        let Some(file) = Self::open_file(&e.path)? else {
            return Ok(None);
        };
        let mut head = [0u8; crate::v3::V3_HEADER_LEN];
        if file.file().read_exact(&mut head).is_err() {
            return Ok(None);
        }
        if let Some(meta_len) = crate::v3::meta_len(&head) {
            // v3: the meta alone, without reading the whole entry.
            if meta_len as u64 > e.size.saturating_sub(head.len() as u64) {
                return Ok(None);
            }
            let mut meta = vec![0u8; meta_len];
            if file.file().read_exact(&mut meta).is_err() {
                return Ok(None);
            }
            return Ok(crate::v3::raw_bytes_of(&meta));
        }
        Ok(Some(self.open_reader(file, &e.key)?.meta().raw_bytes()))
    }
}

/// The temporary file a streaming put writes (see [`DiskStore::writer`]).
#[derive(Debug)]
pub struct StoreWriter {
    path: PathBuf,
    w: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl Write for StoreWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.w.write(buf).map_err(|e| self.named(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.w.write_all(buf).map_err(|e| self.named(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush().map_err(|e| self.named(e))
    }
}

impl StoreWriter {
    fn named(&self, e: std::io::Error) -> std::io::Error {
        std::io::Error::new(e.kind(), format!("{}: {e}", self.path.display()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn directory_precedence() {
        let all = [
            ("SPICELAB_CACHE_DIR", "/c"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        let p = |e: &[(&str, &str)], x: Option<&Path>| resolve_dir(x, env(e)).unwrap();
        assert_eq!(p(&all, Some(Path::new("/e"))), Path::new("/e"));
        assert_eq!(p(&all, None), Path::new("/c"));
        assert_eq!(p(&all[1..], None), Path::new("/x/spicelab"));
        assert_eq!(
            p(&[("XDG_CACHE_HOME", "rel"), ("HOME", "/h")], None),
            Path::new("/h/.cache/spicelab")
        );
        assert_eq!(
            p(&[("SPICELAB_CACHE_DIR", ""), ("HOME", "/h")], None),
            Path::new("/h/.cache/spicelab")
        );
        assert!(matches!(
            resolve_dir(None, env(&[])),
            Err(CacheError::NoCacheDir)
        ));
    }
}
