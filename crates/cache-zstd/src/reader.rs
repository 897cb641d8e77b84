//! [`EntryReader`]: reads an entry block by block, every block checked
//! against its tag before it is decoded, holding one block.
//!
//! Opening reads only the head, the tail and the footer (the meta), checks
//! the footer's tag, parses it and checks every length and count in it
//! against the entry's size before anything sized by it is allocated.

use crate::block::{decode_block, shared_frame};
use crate::codec::dict::Dictionary;
use crate::codec::Codec;
use crate::error::{CacheError, Result};
use crate::integrity::{block_tagger, Secret, Tagger, CHECKSUM_LEN, HMAC_LEN};
use crate::job::JobMeta;
use crate::key::check_key;
use crate::options::{
    FLAG_HMAC, FLAG_LOSSY, FORMAT_VERSION, HEAD_LEN, KNOWN_FLAGS, MAGIC, MAX_BLOCK_BYTES,
    MAX_BLOCK_STORED, MAX_FOOTER_BYTES, OLDEST_VERSION,
};
use crate::tlv::{get_varint, WireError};
use crate::v3;
use crate::wire::{self, EntryMeta};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use waveform::{Column, Plot, SimResult};

use crate::entry::Entry;

/// Where an entry's bytes are read from: a known size, positioned reads.
pub trait EntrySource {
    /// Bytes of the entry.
    fn size(&self) -> u64;
    /// Fills `buf` from `offset` (the reader keeps `offset + buf.len()`
    /// within [`size`](EntrySource::size)).
    fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;
    /// The file, for error messages (`None` for bytes in memory).
    fn path(&self) -> Option<&Path> {
        None
    }
    /// The whole entry, when it is in memory already (read without a copy).
    fn in_memory(&self) -> Option<&[u8]> {
        None
    }
}

impl EntrySource for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let at = usize::try_from(offset).unwrap_or(usize::MAX);
        match at.checked_add(buf.len()).and_then(|end| self.get(at..end)) {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(std::io::ErrorKind::UnexpectedEof.into()),
        }
    }

    fn in_memory(&self) -> Option<&[u8]> {
        Some(self)
    }
}

/// An entry file opened for reading: a regular file (checked before and
/// after opening, which on Unix does not block on a FIFO), read by
/// position, never past the size it had when opened.
#[derive(Debug)]
pub struct EntryFile {
    file: File,
    path: PathBuf,
    size: u64,
}

fn file_kind(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symlink"
    } else {
        "not a regular file"
    }
}

impl EntryFile {
    /// Opens `path` when it is a regular file (or a symlink to one):
    /// `None` when nothing is there, [`CacheError::NotAFile`] (saying what
    /// is there) for a FIFO, a device, a directory.
    pub fn open(path: &Path) -> Result<Option<EntryFile>> {
        let io = |e| CacheError::io(path, e);
        let md = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::symlink_metadata(path) {
                    Ok(l) if l.file_type().is_symlink() => {
                        return Err(CacheError::NotAFile {
                            path: path.to_path_buf(),
                            found: "a dangling symlink",
                        })
                    }
                    // Another process put the entry between the two calls:
                    // it is not a symlink, so what `lstat` saw is the file.
                    Ok(l) => l,
                    Err(_) => return Ok(None),
                }
            }
            Err(e) => return Err(io(e)),
        };
        if !md.is_file() {
            return Err(CacheError::NotAFile {
                path: path.to_path_buf(),
                found: file_kind(md.file_type()),
            });
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // A FIFO swapped in after the check must not block the open.
            opts.custom_flags(libc::O_NONBLOCK);
        }
        let file = match opts.open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let md = file.metadata().map_err(io)?;
        if !md.is_file() {
            return Err(CacheError::NotAFile {
                path: path.to_path_buf(),
                found: file_kind(md.file_type()),
            });
        }
        Ok(Some(EntryFile {
            file,
            path: path.to_path_buf(),
            size: md.len(),
        }))
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Reads the whole file (its size when opened) into memory.
    pub fn read_all(&mut self) -> Result<Vec<u8>> {
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        let mut buf = Vec::new();
        buf.try_reserve_exact(size)
            .map_err(|e| CacheError::io(&self.path, std::io::Error::other(e)))?;
        (&self.file)
            .seek(SeekFrom::Start(0))
            .and_then(|_| (&self.file).take(self.size).read_to_end(&mut buf))
            .map_err(|e| CacheError::io(&self.path, e))?;
        Ok(buf)
    }
}

impl EntrySource for EntryFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        (&self.file).seek(SeekFrom::Start(offset))?;
        (&self.file).read_exact(buf)
    }

    fn path(&self) -> Option<&Path> {
        Some(&self.path)
    }
}

/// A run of points of one plot, as [`EntryReader::next_block`] hands it out.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The plot.
    pub plot: usize,
    /// Index of its first point within the plot.
    pub start: u64,
    /// One column per variable, all of the same length.
    pub columns: Vec<Column>,
    /// The codec of each column.
    pub codecs: Vec<Codec>,
}

impl Block {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.columns.first().map(Column::len).unwrap_or(0)
    }

    /// True when the block holds no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads an entry (format v4, or v3 through its own decoder) block by block.
///
/// ```
/// use cache_zstd::{encode_entry, key_of, EncodeOptions, Entry, EntryReader, JobMeta};
/// use waveform::{Column, Plot, PlotHeader, SimResult, Steps, Variable};
///
/// let n = 100_000;
/// let plot = Plot {
///     header: PlotHeader {
///         plotname: "Transient Analysis".into(),
///         n_points: n,
///         variables: vec![Variable::new(0, "time", "time")],
///         ..PlotHeader::default()
///     },
///     columns: vec![Column::F64((0..n).map(|i| i as f64).collect())],
///     steps: Steps::single(n),
/// };
/// let entry = Entry { result: SimResult { plots: vec![plot], ..SimResult::default() }, meta: JobMeta::default() };
/// let key = key_of(b"job");
/// let opts = EncodeOptions { block_bytes: 64 << 10, ..EncodeOptions::default() };
/// let bytes = encode_entry(&key, &entry, &opts)?;
/// let mut r = EntryReader::open(&bytes[..], &key, None)?;
/// assert_eq!(r.meta().plots[0].n_points, n);
/// let mut points = 0;
/// while let Some(b) = r.next_block()? {
///     assert_eq!(b.start, points as u64);
///     points += b.len(); // 8192 points (64 KiB) at a time
/// }
/// assert_eq!(points, n as usize);
/// # Ok::<(), cache_zstd::CacheError>(())
/// ```
#[derive(Debug)]
pub struct EntryReader<S: EntrySource> {
    src: S,
    key: String,
    secret: Option<Secret>,
    version: u16,
    meta: EntryMeta,
    next: usize,
    offset: u64,
    starts: Vec<u64>,
    buf: Vec<u8>,
    /// v3 entries: the decoded plots, handed out one block per plot.
    v3: Option<std::vec::IntoIter<(Plot, Vec<Codec>)>>,
    /// The campaign dictionary the entry's blocks are coded with.
    dict: Option<Dictionary>,
}

/// Finds campaign dictionaries by id for a reader
/// ([`EntryReader::open_with`]). Implemented for `()` (no dictionary), a
/// [`Dictionary`], a slice of them, `Option<&Dictionary>`, and for closures
/// `Fn(&[u8; 32]) -> Result<Option<Dictionary>>` (a store's lookup).
pub trait DictionaryResolver {
    /// The dictionary whose id (sha256 of its bytes) is `id`, or `None`
    /// when it is not available (the entry is then a miss:
    /// [`CacheError::DictionaryMissing`]).
    fn resolve(&self, id: &[u8; 32]) -> Result<Option<Dictionary>>;
}

impl DictionaryResolver for () {
    fn resolve(&self, _id: &[u8; 32]) -> Result<Option<Dictionary>> {
        Ok(None)
    }
}

impl DictionaryResolver for Dictionary {
    fn resolve(&self, id: &[u8; 32]) -> Result<Option<Dictionary>> {
        Ok((self.id() == id).then(|| self.clone()))
    }
}

impl DictionaryResolver for [Dictionary] {
    fn resolve(&self, id: &[u8; 32]) -> Result<Option<Dictionary>> {
        Ok(self.iter().find(|d| d.id() == id).cloned())
    }
}

impl DictionaryResolver for Option<&Dictionary> {
    fn resolve(&self, id: &[u8; 32]) -> Result<Option<Dictionary>> {
        match self {
            Some(d) => d.resolve(id),
            None => Ok(None),
        }
    }
}

impl<F: Fn(&[u8; 32]) -> Result<Option<Dictionary>>> DictionaryResolver for F {
    fn resolve(&self, id: &[u8; 32]) -> Result<Option<Dictionary>> {
        self(id)
    }
}

/// The dictionary `id` from `dicts`, or [`CacheError::DictionaryMissing`]
/// (none, or one of another id).
fn resolve<D: DictionaryResolver + ?Sized>(
    dicts: &D,
    id: &[u8; 32],
    key: &str,
) -> Result<Dictionary> {
    match dicts.resolve(id)? {
        Some(d) if d.id() == id => Ok(d),
        _ => Err(CacheError::DictionaryMissing {
            key: key.to_string(),
            id: crate::codec::dict::id_hex(id),
        }),
    }
}

fn wire_err(key: &str, e: WireError) -> CacheError {
    if e.unsupported {
        CacheError::UnsupportedFeature {
            key: key.to_string(),
            offset: e.offset,
            what: e.what,
        }
    } else {
        CacheError::Corrupt {
            key: key.to_string(),
            offset: e.offset,
            what: e.what,
        }
    }
}

/// What a block's bytes are turned into: `decode_block` or `shared_frame`
/// (bytes, their offset, the plot's types, points, lossy, dictionary).
type BlockFn<T> = fn(
    &[u8],
    u64,
    &[waveform::ValueType],
    usize,
    bool,
    Option<&Dictionary>,
) -> std::result::Result<T, WireError>;

impl<S: EntrySource> EntryReader<S> {
    fn io(&self, e: std::io::Error) -> CacheError {
        let path = match self.src.path() {
            Some(p) => p.to_path_buf(),
            None => PathBuf::from(format!("cache entry {}", self.key)),
        };
        CacheError::io(path, e)
    }

    /// Opens the entry in `src` stored under `key`: checks the head, the
    /// footer's tag (checksum, or HMAC when `secret` is given; an entry
    /// whose authentication does not match the presence of a secret is
    /// rejected), parses the footer and checks it. Decodes nothing.
    ///
    /// A v3 entry is checked and decoded whole here. An entry coded with a
    /// campaign dictionary is [`CacheError::DictionaryMissing`] (see
    /// [`EntryReader::open_with`]).
    pub fn open(src: S, key: &str, secret: Option<&Secret>) -> Result<EntryReader<S>> {
        Self::open_with(src, key, secret, &())
    }

    /// [`EntryReader::open`] of an entry that may be coded with a campaign
    /// dictionary: the footer's dictionary id (checked with the footer) is
    /// looked up in `dicts`; a dictionary that is not found (or whose id is
    /// another) is [`CacheError::DictionaryMissing`], a miss that a store
    /// leaves in place.
    pub fn open_with<D: DictionaryResolver + ?Sized>(
        src: S,
        key: &str,
        secret: Option<&Secret>,
        dicts: &D,
    ) -> Result<EntryReader<S>> {
        check_key(key)?;
        let corrupt = |offset: u64, what: String| CacheError::Corrupt {
            key: key.to_string(),
            offset,
            what,
        };
        let size = src.size();
        let mut r = EntryReader {
            src,
            key: key.to_string(),
            secret: secret.cloned(),
            version: 0,
            meta: EntryMeta::default(),
            next: 0,
            offset: HEAD_LEN as u64,
            starts: Vec::new(),
            buf: Vec::new(),
            v3: None,
            dict: None,
        };
        if size < HEAD_LEN as u64 {
            return Err(corrupt(
                0,
                format!("{size} bytes is shorter than any entry"),
            ));
        }
        let mut head = [0u8; HEAD_LEN];
        r.src.read_exact_at(0, &mut head).map_err(|e| r.io(e))?;
        if &head[..4] != MAGIC {
            return Err(corrupt(0, "bad magic (not a spicelab cache entry)".into()));
        }
        let version = u16::from_le_bytes([head[4], head[5]]);
        r.version = version;
        match version {
            0 => return Err(corrupt(4, "format version 0".into())),
            v3::VERSION => return r.open_v3(),
            FORMAT_VERSION => {}
            _ => {
                return Err(CacheError::UnsupportedVersion {
                    key: key.to_string(),
                    version,
                    oldest: OLDEST_VERSION,
                    newest: FORMAT_VERSION,
                })
            }
        }
        let flags = u16::from_le_bytes([head[6], head[7]]);
        if flags & !KNOWN_FLAGS != 0 {
            return Err(corrupt(6, format!("unknown flags {flags:#06x}")));
        }
        let hmac = flags & FLAG_HMAC != 0;
        match (hmac, secret) {
            (true, None) => return Err(CacheError::Unauthenticated {
                key: key.to_string(),
                what:
                    "entry carries an HMAC but no secret is configured (set SPICELAB_CACHE_SECRET)",
            }),
            (false, Some(_)) => return Err(CacheError::Unauthenticated {
                key: key.to_string(),
                what:
                    "entry carries no HMAC but a secret is configured: rejected as unauthenticated",
            }),
            _ => {}
        }
        let tag_len = if hmac { HMAC_LEN } else { CHECKSUM_LEN };
        let tail_len = 4 + tag_len as u64;
        if size < HEAD_LEN as u64 + 1 + tail_len {
            return Err(corrupt(
                0,
                format!("{size} bytes is shorter than a v4 entry"),
            ));
        }
        let mut tail = [0u8; 4 + HMAC_LEN];
        let tail = &mut tail[..tail_len as usize];
        let footer_end = size - tail_len;
        r.src.read_exact_at(footer_end, tail).map_err(|e| r.io(e))?;
        let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
        let room = footer_end - HEAD_LEN as u64;
        if footer_len == 0 || footer_len > room || footer_len > MAX_FOOTER_BYTES as u64 + 16 {
            return Err(corrupt(
                footer_end,
                format!("footer length {footer_len} does not fit the {room} bytes before the tail"),
            ));
        }
        let footer_start = footer_end - footer_len;
        let mut footer = Vec::new();
        footer
            .try_reserve_exact(footer_len as usize)
            .map_err(|e| r.io(std::io::Error::other(e)))?;
        footer.resize(footer_len as usize, 0);
        r.src
            .read_exact_at(footer_start, &mut footer)
            .map_err(|e| r.io(e))?;
        let mut t = Tagger::new(secret);
        t.update(&head);
        t.update(&footer);
        t.update(&tail[..4]);
        if !t.verify(&tail[4..]) {
            return Err(CacheError::Integrity {
                key: key.to_string(),
                offset: footer_end + 4,
                what: if hmac { "HMAC" } else { "checksum" },
            });
        }
        // The footer is authentic from here on, but still checked.
        let base = footer_start + 1;
        let decoded;
        let mut footer_dict: Option<[u8; 32]> = None;
        let fields: &[u8] = match footer[0] {
            0 => &footer[1..],
            1 => {
                let (len, n) = get_varint(&footer[1..])
                    .ok_or_else(|| corrupt(base, "bad footer length varint".into()))?;
                if len > MAX_FOOTER_BYTES as u64 {
                    return Err(corrupt(
                        base,
                        format!("footer of {len} bytes is over the limit of {MAX_FOOTER_BYTES}"),
                    ));
                }
                decoded = crate::block::zstd_exact(&footer[1 + n..], len as usize)
                    .map_err(|e| corrupt(base, format!("footer: {e}")))?;
                &decoded
            }
            2 => {
                // Coded with a campaign dictionary: its id, the decoded
                // length, the frame.
                let id: [u8; 32] = footer
                    .get(1..33)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| corrupt(base, "footer too short for a dictionary id".into()))?;
                let (len, n) = get_varint(&footer[33..])
                    .ok_or_else(|| corrupt(base + 32, "bad footer length varint".into()))?;
                if len > MAX_FOOTER_BYTES as u64 {
                    return Err(corrupt(
                        base + 32,
                        format!("footer of {len} bytes is over the limit of {MAX_FOOTER_BYTES}"),
                    ));
                }
                let d = resolve(dicts, &id, key)?;
                let mut out = Vec::new();
                out.try_reserve_exact(len as usize)
                    .map_err(|e| r.io(std::io::Error::other(e)))?;
                d.decompress_frame(&footer[33 + n..], len as usize, &mut out)
                    .map_err(|e| corrupt(base + 32 + n as u64, format!("footer: {e}")))?;
                decoded = out;
                footer_dict = Some(id);
                r.dict = Some(d);
                &decoded
            }
            form => {
                return Err(CacheError::UnsupportedFeature {
                    key: key.to_string(),
                    offset: footer_start,
                    what: format!("footer form {form}"),
                })
            }
        };
        let mut meta = wire::decode_footer(fields, base).map_err(|e| wire_err(key, e))?;
        if let Some(id) = footer_dict {
            if meta.dictionary.is_some_and(|m| m != id) {
                return Err(corrupt(base, "footer names two dictionaries".into()));
            }
            meta.dictionary = Some(id);
        }
        check_meta(&meta, key, flags, footer_start, tag_len)?;
        if let (Some(id), None) = (&meta.dictionary, &r.dict) {
            r.dict = Some(resolve(dicts, id, key)?);
        }
        r.starts = vec![0; meta.plots.len()];
        r.meta = meta;
        Ok(r)
    }

    fn open_v3(mut self) -> Result<EntryReader<S>> {
        let size = usize::try_from(self.src.size()).unwrap_or(usize::MAX);
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(size)
            .map_err(|e| self.io(std::io::Error::other(e)))?;
        bytes.resize(size, 0);
        self.src
            .read_exact_at(0, &mut bytes)
            .map_err(|e| self.io(e))?;
        let (meta, plots, codecs) = v3::decode(&bytes, &self.key, self.secret.as_ref())?;
        let with_points: Vec<(Plot, Vec<Codec>)> = plots
            .into_iter()
            .zip(codecs)
            .filter(|(p, _)| !p.is_empty())
            .collect();
        self.starts = vec![0; meta.plots.len()];
        self.meta = meta;
        self.v3 = Some(with_points.into_iter());
        Ok(self)
    }

    /// The entry's meta.
    pub fn meta(&self) -> &EntryMeta {
        &self.meta
    }

    /// The entry's format version (3 or 4).
    pub fn version(&self) -> u16 {
        self.version
    }

    /// The meta, giving the reader up.
    pub fn into_meta(self) -> EntryMeta {
        self.meta
    }

    /// The source, giving the reader up.
    pub fn into_source(self) -> S {
        self.src
    }

    /// The next block, read, checked against its tag, then decoded; `None`
    /// after the last. Blocks come plot after plot, in point order.
    pub fn next_block(&mut self) -> Result<Option<Block>> {
        if let Some(it) = self.v3.as_mut() {
            let Some((plot, codecs)) = it.next() else {
                return Ok(None);
            };
            let idx = self.next;
            self.next += 1;
            let pi = self.meta.blocks.get(idx).map(|b| b.plot).unwrap_or(0);
            return Ok(Some(Block {
                plot: pi,
                start: 0,
                columns: plot.columns,
                codecs,
            }));
        }
        let Some((pi, start, d)) = self.next_parsed(decode_block)? else {
            return Ok(None);
        };
        Ok(Some(Block {
            plot: pi,
            start,
            columns: d.columns,
            codecs: d.codecs,
        }))
    }

    /// Reads the next block (checked against its tag), runs `f` on its
    /// bytes (`decode_block` or `shared_frame`) and moves past it: the
    /// plot, the block's first point and what `f` made; `None` after the
    /// last block.
    fn next_parsed<T>(&mut self, f: BlockFn<T>) -> Result<Option<(usize, u64, T)>> {
        let Some((pi, points, offset, len)) = self.read_next_block()? else {
            return Ok(None);
        };
        let bytes = self.block_bytes(offset, len);
        let types = &self.meta.plots[pi].types;
        let lossy = self.meta.precision.is_some();
        let made = f(
            bytes,
            offset,
            types,
            points as usize,
            lossy,
            self.dict.as_ref(),
        )
        .map_err(|e| wire_err(&self.key, e))?;
        let start = self.starts[pi];
        self.advance(pi, points, len);
        Ok(Some((pi, start, made)))
    }

    /// The bytes the next block's shared zstd frame decodes to (empty when
    /// every column of the block is pco), the block checked against its
    /// tag first; `None` after the last block. For training campaign
    /// dictionaries ([`crate::dictionary_samples`]); v3 entries have none.
    pub fn next_shared_frame(&mut self) -> Result<Option<Vec<u8>>> {
        if self.v3.is_some() {
            return Ok(None);
        }
        Ok(self.next_parsed(shared_frame)?.map(|(_, _, shared)| shared))
    }

    /// Reads the next block (into the reader's buffer unless the source is
    /// in memory) and checks it against its tag: (plot, points, offset,
    /// length), or `None` after the last.
    fn read_next_block(&mut self) -> Result<Option<(usize, u64, u64, usize)>> {
        let Some(b) = self.meta.blocks.get(self.next) else {
            return Ok(None);
        };
        let (pi, points, len) = (b.plot, b.points, b.len as usize);
        let offset = self.offset;
        // The meta was checked: the block lies within the entry.
        let in_memory = self
            .src
            .in_memory()
            .and_then(|m| m.get(offset as usize..offset as usize + len));
        if in_memory.is_none() {
            self.buf.clear();
            if let Err(e) = self.buf.try_reserve_exact(len) {
                return Err(self.io(std::io::Error::other(e)));
            }
            self.buf.resize(len, 0);
            if let Err(e) = self.src.read_exact_at(offset, &mut self.buf) {
                return Err(self.io(e));
            }
        }
        let bytes = self.block_bytes(offset, len);
        let mut t = block_tagger(self.secret.as_ref());
        t.update(bytes);
        if !t.verify(&self.meta.blocks[self.next].tag) {
            return Err(CacheError::Integrity {
                key: self.key.clone(),
                offset,
                what: if self.secret.is_some() {
                    "block HMAC"
                } else {
                    "block checksum"
                },
            });
        }
        Ok(Some((pi, points, offset, len)))
    }

    /// The bytes of the block read by [`Self::read_next_block`].
    fn block_bytes(&self, offset: u64, len: usize) -> &[u8] {
        match self
            .src
            .in_memory()
            .and_then(|m| m.get(offset as usize..offset as usize + len))
        {
            Some(b) => b,
            None => &self.buf,
        }
    }

    fn advance(&mut self, pi: usize, points: u64, len: usize) {
        self.starts[pi] += points;
        self.offset += len as u64;
        self.next += 1;
    }

    /// Reads every block into memory: the whole entry.
    pub fn read_entry(mut self) -> Result<Entry> {
        let mut plots: Vec<Plot> = self
            .meta
            .plots
            .iter_mut()
            .map(|p| Plot {
                header: std::mem::take(&mut p.header),
                steps: std::mem::take(&mut p.steps),
                columns: p
                    .types
                    .iter()
                    .map(|&t| Column::with_capacity(t, 0))
                    .collect(),
            })
            .collect();
        while let Some(b) = self.next_block()? {
            let Some(plot) = plots.get_mut(b.plot) else {
                continue;
            };
            for (dst, src) in plot.columns.iter_mut().zip(b.columns) {
                if dst.is_empty() {
                    *dst = src;
                } else {
                    append(dst, &src).map_err(|e| self.io(e))?;
                }
            }
        }
        for (pi, p) in plots.iter().enumerate() {
            p.check().map_err(|e| CacheError::Corrupt {
                key: self.key.clone(),
                offset: 0,
                what: format!("plot {pi}: {e}"),
            })?;
        }
        let job: JobMeta = std::mem::take(&mut self.meta.job);
        Ok(Entry {
            result: SimResult {
                dialect: self.meta.dialect,
                encoding: self.meta.encoding,
                plots,
            },
            meta: job,
        })
    }
}

/// Appends `src` to `dst` (same type), reserving fallibly.
fn append(dst: &mut Column, src: &Column) -> std::io::Result<()> {
    fn go<T: Copy>(d: &mut Vec<T>, s: &[T]) -> std::io::Result<()> {
        d.try_reserve(s.len()).map_err(std::io::Error::other)?;
        d.extend_from_slice(s);
        Ok(())
    }
    match (dst, src) {
        (Column::F32(d), Column::F32(s)) => go(d, s),
        (Column::F64(d), Column::F64(s)) => go(d, s),
        (Column::C32(d), Column::C32(s)) => go(d, s),
        (Column::C64(d), Column::C64(s)) => go(d, s),
        _ => Err(std::io::Error::other(
            "a block's column type differs from its plot's",
        )),
    }
}

/// Checks an authentic footer against the entry: the key, the flags, every
/// plot's shape, and that the blocks, in order, cover every plot's points
/// and fill the bytes between the head and the footer exactly.
fn check_meta(
    meta: &EntryMeta,
    key: &str,
    flags: u16,
    footer_start: u64,
    tag_len: usize,
) -> Result<()> {
    let corrupt = |offset: u64, what: String| CacheError::Corrupt {
        key: key.to_string(),
        offset,
        what,
    };
    if meta.key != key {
        return Err(corrupt(
            footer_start,
            format!("entry was stored under key {}", meta.key),
        ));
    }
    if (flags & FLAG_LOSSY != 0) != meta.precision.is_some() {
        return Err(corrupt(6, "lossy flag disagrees with the meta".into()));
    }
    if let Some(p) = meta.precision {
        if !(p.is_finite() && p > 0.0 && p < 1.0) {
            return Err(corrupt(footer_start, format!("precision bound {p}")));
        }
    }
    for (pi, p) in meta.plots.iter().enumerate() {
        if p.types.len() != p.header.variables.len() {
            return Err(corrupt(
                footer_start,
                format!(
                    "plot {pi}: {} column types for {} variables",
                    p.types.len(),
                    p.header.variables.len()
                ),
            ));
        }
        if p.types.is_empty() && p.n_points != 0 {
            return Err(corrupt(
                footer_start,
                format!("plot {pi}: {} points without columns", p.n_points),
            ));
        }
        let s = &p.steps.starts;
        if s.windows(2).any(|w| w[0] > w[1]) || s.iter().any(|&x| x > p.n_points) {
            return Err(corrupt(
                footer_start,
                format!("plot {pi}: step starts are not increasing within the plot"),
            ));
        }
    }
    let mut covered = vec![0u64; meta.plots.len()];
    let mut last_plot = 0usize;
    let mut at = HEAD_LEN as u64;
    for (bi, b) in meta.blocks.iter().enumerate() {
        let what = |s: String| corrupt(at, format!("block {bi}: {s}"));
        let Some(p) = meta.plots.get(b.plot) else {
            return Err(what(format!("plot {} of {}", b.plot, meta.plots.len())));
        };
        if b.plot < last_plot {
            return Err(what("blocks out of plot order".into()));
        }
        last_plot = b.plot;
        if b.points == 0 {
            return Err(what("no point".into()));
        }
        match b.points.checked_mul(p.point_bytes()) {
            Some(x) if x <= MAX_BLOCK_BYTES as u64 => {}
            _ => {
                return Err(what(format!(
                    "{} points of {} bytes exceed {MAX_BLOCK_BYTES} bytes",
                    b.points,
                    p.point_bytes()
                )))
            }
        }
        if b.len == 0 || b.len > MAX_BLOCK_STORED {
            return Err(what(format!("{} bytes", b.len)));
        }
        if b.tag.len() != tag_len {
            return Err(what(format!("a tag of {} bytes", b.tag.len())));
        }
        let c = &mut covered[b.plot];
        *c = c
            .checked_add(b.points)
            .filter(|&x| x <= p.n_points)
            .ok_or_else(|| what(format!("more points than the plot's {}", p.n_points)))?;
        at = at
            .checked_add(b.len)
            .filter(|&e| e <= footer_start)
            .ok_or_else(|| what(format!("runs past the footer at byte {footer_start}")))?;
    }
    if at != footer_start {
        return Err(corrupt(
            at,
            format!(
                "{} bytes between the last block and the footer",
                footer_start - at
            ),
        ));
    }
    if let Some((pi, (c, p))) = covered
        .iter()
        .zip(&meta.plots)
        .enumerate()
        .find(|(_, (c, p))| **c != p.n_points)
    {
        return Err(corrupt(
            footer_start,
            format!("plot {pi}: blocks hold {c} of its {} points", p.n_points),
        ));
    }
    Ok(())
}
