//! The entry envelope: the same bytes on disk and in a remote store.
//!
//! ```text
//! magic "SPLC" | version u16 LE | flags u16 LE | meta length u32 LE
//! meta (postcard EnvelopeMeta)
//! shared zstd frame: the transformed bytes of every zstd-coded column
//! pco blocks, one per pco-coded column, in plot then column order
//! trailer: xxh3-128 (16 bytes, LE) of everything before, or HMAC-SHA256 (32 bytes)
//! ```

use crate::codec::dict::{frame_content_size, id_hex, Dictionary};
use crate::codec::{self, Codec, CodecChoice, Stream};
use crate::error::{CacheError, Result};
use crate::key::check_key;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use waveform::{
    Column, Complex32, Complex64, Dialect, Encoding, Plot, PlotHeader, SimResult, Steps, ValueType,
};

/// The envelope's magic bytes.
pub const MAGIC: &[u8; 4] = b"SPLC";
/// The envelope format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 3;
/// Flag: the trailer is an HMAC-SHA256 (else an xxh3-128 checksum).
pub const FLAG_HMAC: u16 = 1;
/// Flag: some columns were quantised to a precision bound.
pub const FLAG_LOSSY: u16 = 2;
/// Flag: the meta and the shared frame are zstd frames coded with a
/// campaign dictionary, whose id ([`DICT_ID_LEN`] bytes, the sha256 of the
/// dictionary) follows the header, before the meta.
pub const FLAG_DICT: u16 = 4;
const KNOWN_FLAGS: u16 = FLAG_HMAC | FLAG_LOSSY | FLAG_DICT;
/// Bytes of the dictionary id of an entry with [`FLAG_DICT`].
pub const DICT_ID_LEN: usize = 32;
/// Bytes before the meta.
pub const HEADER_LEN: usize = 12;
const CHECKSUM_LEN: usize = 16;
const HMAC_LEN: usize = 32;
/// A column's raw length may exceed its block length times this (plus
/// [`RATIO_SLACK`]) only never: the encoder pads blocks that compress better,
/// and the decoder rejects a meta that claims more, so a forged length
/// cannot make the decoder allocate far more than the envelope's size.
pub const MAX_RATIO: u64 = 8192;
/// See [`MAX_RATIO`].
pub const RATIO_SLACK: u64 = 1 << 16;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// What a simulation job was, besides its result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobMeta {
    /// The job's parameters, in order (`name`, `value` as text).
    pub params: Vec<(String, String)>,
    /// The simulator and its version, e.g. `ngspice-44`.
    pub simulator_version: String,
    /// How the job ended.
    pub status: JobStatus,
    /// The last lines of the simulator's log.
    pub log_tail: String,
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum JobStatus {
    /// Finished normally.
    #[default]
    Ok,
    /// The simulator reported an error.
    Failed,
    /// Killed at its time limit.
    TimedOut,
    /// Cancelled by the user.
    Cancelled,
}

/// One cache value: a simulation result and its job metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Entry {
    /// The plots of the result.
    pub result: SimResult,
    /// The job's metadata.
    pub meta: JobMeta,
}

/// A secret key for HMAC-SHA256 entry authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// The environment variable that holds the team secret.
    pub const ENV: &'static str = "SPICELAB_CACHE_SECRET";

    /// A secret from bytes; `None` when empty.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Option<Secret> {
        let b = bytes.into();
        (!b.is_empty()).then_some(Secret(b))
    }

    /// The secret in `SPICELAB_CACHE_SECRET`, if set and not empty.
    pub fn from_env() -> Option<Secret> {
        std::env::var_os(Self::ENV).and_then(|v| Secret::new(v.into_encoded_bytes()))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length; new_from_slice cannot fail for it.
        match HmacSha256::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable_hmac(),
        }
    }
}

#[cold]
fn unreachable_hmac() -> ! {
    // HMAC accepts every key length (RFC 2104: long keys are hashed).
    panic!("HMAC-SHA256 rejected a key length")
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

/// How entries are encoded.
#[derive(Debug, Clone)]
pub struct EncodeOptions {
    /// zstd level (1..=22; 3 by default).
    pub zstd_level: i32,
    /// pco compression level (0..=12; 8 by default).
    pub pco_level: usize,
    /// Which codecs the encoder may pick.
    pub codecs: CodecChoice,
    /// Opt-in relative precision bound for non-scale columns (e.g. `1e-9`):
    /// every decoded value `y` of an original `x` then has
    /// `|y - x| <= bound * |x|`. `None` (the default) is lossless.
    pub precision: Option<f64>,
    /// When set, the trailer is an HMAC-SHA256 keyed by this secret.
    pub secret: Option<Secret>,
    /// When set, the meta and the shared frame are compressed with this
    /// campaign dictionary and the entry records its id ([`FLAG_DICT`]):
    /// only a reader given the same dictionary decodes it
    /// ([`decode_entry_with`]).
    pub dictionary: Option<Dictionary>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            zstd_level: 3,
            pco_level: 8,
            codecs: CodecChoice::Auto,
            precision: None,
            secret: None,
            dictionary: None,
        }
    }
}

impl EncodeOptions {
    /// Checks the level and precision bound.
    pub fn validate(&self) -> Result<()> {
        if !(1..=22).contains(&self.zstd_level) {
            return Err(CacheError::Options(format!(
                "zstd level {} is outside 1..=22",
                self.zstd_level
            )));
        }
        if self.pco_level > 12 {
            return Err(CacheError::Options(format!(
                "pco level {} is outside 0..=12",
                self.pco_level
            )));
        }
        if let CodecChoice::Fixed(c) = self.codecs {
            if !c.is_valid() {
                return Err(CacheError::Options(format!("codec {c:?} is not valid")));
            }
        }
        if let Some(p) = self.precision {
            if !(p.is_finite() && p > 0.0 && p < 1.0) {
                return Err(CacheError::Options(format!(
                    "precision bound {p} must be a relative error in (0, 1), e.g. 1e-9"
                )));
            }
        }
        Ok(())
    }
}

/// Per-column record in the meta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMeta {
    /// The stored value type.
    pub value_type: ValueType,
    /// The codec of the column.
    pub codec: Codec,
    /// Raw bytes of the column (values x value size).
    pub raw_len: u64,
    /// pco columns: bytes of codec output at the start of the column's own
    /// block. Columns of the shared zstd frame: 0.
    pub compressed_len: u64,
    /// pco columns: bytes of the block in the envelope (`compressed_len`
    /// plus padding). Columns of the shared zstd frame: 0.
    pub block_len: u64,
    /// True when the values were rounded to the entry's precision bound.
    pub quantized: bool,
    /// Ordered-difference columns: the low bits, zero in every word, that
    /// were shifted out before the differences (the bits a precision bound
    /// dropped). 0 for every other codec.
    pub shift: u8,
}

/// Per-plot record in the meta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlotMeta {
    /// The plot header, variables included.
    pub header: PlotHeader,
    /// The step index.
    pub steps: Steps,
    /// Number of points of every column.
    pub n_points: u64,
    /// One record per column.
    pub columns: Vec<ColumnMeta>,
}

/// The shared zstd frame of an entry: the transformed, byte-shuffled bytes
/// of every column not coded with pco, column after column (plot, then
/// variable order), in one frame.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SharedBlock {
    /// Bytes the frame decodes to: the sum of its columns' raw lengths.
    pub raw_len: u64,
    /// Bytes of the zstd frame at the start of the block (0 when empty).
    pub compressed_len: u64,
    /// Bytes of the block in the envelope (`compressed_len` plus padding).
    pub block_len: u64,
}

/// The envelope's meta section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvelopeMeta {
    /// The entry's key.
    pub key: String,
    /// Dialect of the source file.
    pub dialect: Dialect,
    /// Encoding of the source file.
    pub encoding: Encoding,
    /// The precision bound applied, if any.
    pub precision: Option<f64>,
    /// The job's metadata.
    pub job: JobMeta,
    /// The plots.
    pub plots: Vec<PlotMeta>,
    /// The shared zstd frame (right after the meta).
    pub shared: SharedBlock,
}

/// [`PlotMeta`] borrowing the plot's header and steps: serialises to the
/// same bytes (postcard writes fields in order, without names), without
/// cloning the header's strings on every encode.
#[derive(Serialize)]
struct PlotMetaRef<'a> {
    header: &'a PlotHeader,
    steps: &'a Steps,
    n_points: u64,
    columns: Vec<ColumnMeta>,
}

/// [`EnvelopeMeta`] borrowing from the entry (see [`PlotMetaRef`]).
#[derive(Serialize)]
struct EnvelopeMetaRef<'a> {
    key: &'a str,
    dialect: Dialect,
    encoding: Encoding,
    precision: Option<f64>,
    job: &'a JobMeta,
    plots: Vec<PlotMetaRef<'a>>,
    shared: SharedBlock,
}

impl EnvelopeMeta {
    /// Sum of the raw column bytes.
    pub fn raw_bytes(&self) -> u64 {
        self.plots
            .iter()
            .flat_map(|p| &p.columns)
            .fold(0u64, |a, c| a.saturating_add(c.raw_len))
    }
}

fn column_stream(c: &Column) -> Stream {
    match c {
        Column::F32(v) => Stream::W32(v.iter().map(|x| x.to_bits()).collect()),
        Column::F64(v) => Stream::W64(v.iter().map(|x| x.to_bits()).collect()),
        Column::C32(v) => Stream::W32(
            v.iter()
                .map(|z| z.re.to_bits())
                .chain(v.iter().map(|z| z.im.to_bits()))
                .collect(),
        ),
        Column::C64(v) => Stream::W64(
            v.iter()
                .map(|z| z.re.to_bits())
                .chain(v.iter().map(|z| z.im.to_bits()))
                .collect(),
        ),
    }
}

fn stream_column(t: ValueType, s: Stream, n: usize) -> Option<Column> {
    Some(match (t, s) {
        (ValueType::F32, Stream::W32(v)) => {
            Column::F32(v.into_iter().map(f32::from_bits).collect())
        }
        (ValueType::F64, Stream::W64(v)) => {
            Column::F64(v.into_iter().map(f64::from_bits).collect())
        }
        (ValueType::C32, Stream::W32(v)) => {
            let (re, im) = v.split_at(n.min(v.len()));
            Column::C32(
                re.iter()
                    .zip(im)
                    .map(|(&r, &i)| Complex32 {
                        re: f32::from_bits(r),
                        im: f32::from_bits(i),
                    })
                    .collect(),
            )
        }
        (ValueType::C64, Stream::W64(v)) => {
            let (re, im) = v.split_at(n.min(v.len()));
            Column::C64(
                re.iter()
                    .zip(im)
                    .map(|(&r, &i)| Complex64 {
                        re: f64::from_bits(r),
                        im: f64::from_bits(i),
                    })
                    .collect(),
            )
        }
        _ => return None,
    })
}

fn part_width(t: ValueType) -> usize {
    match t {
        ValueType::F32 | ValueType::C32 => 4,
        ValueType::F64 | ValueType::C64 => 8,
    }
}

/// The raw column bytes of a result, column after column, little-endian
/// (complex values as re, im pairs): what a plain "serialise + zstd" cache
/// would compress. For benchmarks.
pub fn raw_column_bytes(result: &SimResult) -> Vec<u8> {
    let mut out = Vec::new();
    for c in result.plots.iter().flat_map(|p| &p.columns) {
        match c {
            Column::F32(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Column::F64(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Column::C32(v) => v.iter().for_each(|z| {
                out.extend_from_slice(&z.re.to_le_bytes());
                out.extend_from_slice(&z.im.to_le_bytes());
            }),
            Column::C64(v) => v.iter().for_each(|z| {
                out.extend_from_slice(&z.re.to_le_bytes());
                out.extend_from_slice(&z.im.to_le_bytes());
            }),
        }
    }
    out
}

/// Encodes an entry into envelope bytes.
///
/// Fails on an invalid key, invalid options, or a plot whose columns do not
/// match its variables or each other in length.
pub fn encode_entry(key: &str, entry: &Entry, opts: &EncodeOptions) -> Result<Vec<u8>> {
    check_key(key)?;
    opts.validate()?;
    let enc_err = |what: String| CacheError::Encode {
        key: key.to_string(),
        what,
    };
    let mut plots = Vec::with_capacity(entry.result.plots.len());
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut lossy = false;
    // The shared frame's input, built column by column in a reused buffer.
    let mut shared = codec::take_pre_buf();
    shared.clear();
    let pad = |block: &mut Vec<u8>, raw_len: u64| {
        let min_block = raw_len.saturating_sub(RATIO_SLACK).div_ceil(MAX_RATIO);
        if (block.len() as u64) < min_block {
            block.resize(min_block as usize, 0);
        }
    };
    for (pi, plot) in entry.result.plots.iter().enumerate() {
        plot.check()
            .map_err(|e| enc_err(format!("plot {pi}: {e}")))?;
        let n = plot.len();
        let has_scale = plot.header.has_scale();
        let mut columns = Vec::with_capacity(plot.columns.len());
        // The plot's streams first: the codec choice compares columns.
        let mut streams = Vec::with_capacity(plot.columns.len());
        let mut quantized = Vec::with_capacity(plot.columns.len());
        for (ci, col) in plot.columns.iter().enumerate() {
            let mut stream = column_stream(col);
            quantized.push(match opts.precision {
                Some(p) if !(has_scale && ci == 0) => {
                    codec::quantize(&mut stream, p);
                    lossy = true;
                    true
                }
                _ => false,
            });
            streams.push(stream);
        }
        let choices = codec::choose_columns(opts.codecs, &streams, opts.zstd_level, opts.pco_level)
            .map_err(|e| enc_err(format!("plot {pi}: {e}")))?;
        for (ci, ((col, stream), choice)) in
            plot.columns.iter().zip(&streams).zip(choices).enumerate()
        {
            let codec::Choice {
                codec: c,
                shift,
                pco_block,
            } = choice;
            let quantized = quantized[ci];
            let raw_len = (stream.len() * stream.width()) as u64;
            let (compressed_len, block_len) = if let Some(mut block) = pco_block {
                let compressed_len = block.len() as u64;
                pad(&mut block, raw_len);
                let block_len = block.len() as u64;
                blocks.push(block);
                (compressed_len, block_len)
            } else {
                let at = shared.len();
                shared.resize(at + raw_len as usize, 0);
                codec::pre_zstd_stream(c, shift, stream, &mut shared[at..]);
                (0, 0)
            };
            columns.push(ColumnMeta {
                value_type: col.value_type(),
                codec: c,
                raw_len,
                compressed_len,
                block_len,
                quantized,
                shift: shift as u8,
            });
        }
        plots.push(PlotMetaRef {
            header: &plot.header,
            steps: &plot.steps,
            n_points: n as u64,
            columns,
        });
    }
    let shared_raw = shared.len() as u64;
    let mut shared_block = if shared.is_empty() {
        Vec::new()
    } else {
        match &opts.dictionary {
            Some(d) => d.compress_frame(&shared, opts.zstd_level),
            None => codec::zstd_compress(&shared, opts.zstd_level),
        }
        .map_err(|e| enc_err(format!("shared frame: {e}")))?
    };
    codec::put_pre_buf(shared);
    let shared_compressed = shared_block.len() as u64;
    pad(&mut shared_block, shared_raw);
    let shared_meta = SharedBlock {
        raw_len: shared_raw,
        compressed_len: shared_compressed,
        block_len: shared_block.len() as u64,
    };
    let meta = EnvelopeMetaRef {
        key,
        dialect: entry.result.dialect,
        encoding: entry.result.encoding,
        precision: if lossy { opts.precision } else { None },
        job: &entry.meta,
        plots,
        shared: shared_meta,
    };
    let mut flags = 0u16;
    if opts.secret.is_some() {
        flags |= FLAG_HMAC;
    }
    if lossy {
        flags |= FLAG_LOSSY;
    }
    if opts.dictionary.is_some() {
        flags |= FLAG_DICT;
    }
    let body: usize = shared_block.len() + blocks.iter().map(Vec::len).sum::<usize>();
    // The meta is serialised in place, its length patched in after.
    let mut out = Vec::with_capacity(HEADER_LEN + 1024 + body + HMAC_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let (mut out, meta_start) = match &opts.dictionary {
        None => (
            postcard::to_extend(&meta, out).map_err(|e| enc_err(format!("meta: {e}")))?,
            HEADER_LEN,
        ),
        Some(d) => {
            out.extend_from_slice(d.id());
            let raw = postcard::to_allocvec(&meta).map_err(|e| enc_err(format!("meta: {e}")))?;
            let frame = d
                .compress_frame(&raw, opts.zstd_level)
                .map_err(|e| enc_err(format!("meta: {e}")))?;
            out.extend_from_slice(&frame);
            (out, HEADER_LEN + DICT_ID_LEN)
        }
    };
    let meta_len =
        u32::try_from(out.len() - meta_start).map_err(|_| enc_err("meta over 4 GiB".into()))?;
    out[8..12].copy_from_slice(&meta_len.to_le_bytes());
    out.reserve(body + HMAC_LEN);
    out.extend_from_slice(&shared_block);
    for b in &blocks {
        out.extend_from_slice(b);
    }
    match &opts.secret {
        Some(s) => {
            let mut m = s.mac();
            m.update(&out);
            let tag = m.finalize().into_bytes();
            out.extend_from_slice(&tag);
        }
        None => {
            let h = xxhash_rust::xxh3::xxh3_128(&out);
            out.extend_from_slice(&h.to_le_bytes());
        }
    }
    Ok(out)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn meta_len_at(head: &[u8]) -> usize {
    u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize
}

/// The meta length declared by an envelope's first [`HEADER_LEN`] bytes,
/// when they carry the magic and this build's format version (`None`
/// otherwise: another version's meta does not parse as this one's).
/// Nothing else is checked: for reads that skip the trailer (store stats).
pub(crate) fn header_meta_len(head: &[u8; HEADER_LEN]) -> Option<usize> {
    // A dictionary entry's meta is a zstd frame: not readable without it.
    (&head[..4] == MAGIC && u16_at(head, 4) == FORMAT_VERSION && u16_at(head, 6) & FLAG_DICT == 0)
        .then(|| meta_len_at(head))
}

/// The id of the campaign dictionary an envelope needs ([`FLAG_DICT`]), or
/// `None` (no dictionary, or not an envelope this build reads). Nothing
/// is checked: for finding the dictionary before [`decode_entry_with`],
/// which checks everything.
pub fn entry_dictionary_id(bytes: &[u8]) -> Option<[u8; DICT_ID_LEN]> {
    let head = bytes.get(..HEADER_LEN + DICT_ID_LEN)?;
    if &head[..4] != MAGIC || u16_at(head, 4) != FORMAT_VERSION || u16_at(head, 6) & FLAG_DICT == 0
    {
        return None;
    }
    head[HEADER_LEN..].try_into().ok()
}

/// Checks the header and the trailer of an envelope and parses its meta,
/// without decoding any column. Returns the meta and the offset of the
/// first column block. An entry coded with a campaign dictionary is a
/// [`CacheError::DictionaryMissing`] (see [`read_meta_with`]).
pub fn read_meta(
    bytes: &[u8],
    key: &str,
    secret: Option<&Secret>,
) -> Result<(EnvelopeMeta, usize)> {
    read_meta_with(bytes, key, secret, None)
}

/// [`read_meta`] of an entry that may be coded with a campaign dictionary:
/// one with [`FLAG_DICT`] needs `dictionary` to be the one whose id it
/// records, else [`CacheError::DictionaryMissing`] names the id it needs
/// (after the header and trailer checks: a corrupt entry is corrupt first).
/// The meta frame's declared size is checked against the ratio bound
/// before it is decoded.
pub fn read_meta_with(
    bytes: &[u8],
    key: &str,
    secret: Option<&Secret>,
    dictionary: Option<&Dictionary>,
) -> Result<(EnvelopeMeta, usize)> {
    let corrupt = |offset: usize, what: String| CacheError::Corrupt {
        key: key.to_string(),
        offset: offset as u64,
        what,
    };
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(corrupt(
            0,
            format!("{} bytes is shorter than any entry", bytes.len()),
        ));
    }
    if &bytes[..4] != MAGIC {
        return Err(corrupt(0, "bad magic (not a spicelab cache entry)".into()));
    }
    let version = u16_at(bytes, 4);
    if version == 0 {
        return Err(corrupt(4, "format version 0".into()));
    }
    if version != FORMAT_VERSION {
        return Err(CacheError::UnsupportedVersion {
            key: key.to_string(),
            version,
            supported: FORMAT_VERSION,
        });
    }
    let flags = u16_at(bytes, 6);
    if flags & !KNOWN_FLAGS != 0 {
        return Err(corrupt(6, format!("unknown flags {flags:#06x}")));
    }
    let hmac = flags & FLAG_HMAC != 0;
    let trailer_len = if hmac { HMAC_LEN } else { CHECKSUM_LEN };
    let meta_len = meta_len_at(bytes);
    let meta_start = HEADER_LEN
        + if flags & FLAG_DICT != 0 {
            DICT_ID_LEN
        } else {
            0
        };
    let Some(body_end) = bytes.len().checked_sub(trailer_len) else {
        return Err(corrupt(0, "shorter than its trailer".into()));
    };
    if body_end < meta_start || meta_len > body_end - meta_start {
        return Err(corrupt(
            8,
            format!(
                "meta length {meta_len} exceeds the {} bytes left in the entry",
                body_end.saturating_sub(meta_start)
            ),
        ));
    }
    let (body, trailer) = bytes.split_at(body_end);
    match (hmac, secret) {
        (true, Some(s)) => {
            let mut m = s.mac();
            m.update(body);
            if m.verify_slice(trailer).is_err() {
                return Err(CacheError::Integrity {
                    key: key.to_string(),
                    offset: body_end as u64,
                    what: "HMAC",
                });
            }
        }
        (true, None) => {
            return Err(CacheError::Unauthenticated {
                key: key.to_string(),
                what:
                    "entry carries an HMAC but no secret is configured (set SPICELAB_CACHE_SECRET)",
            })
        }
        (false, Some(_)) => {
            return Err(CacheError::Unauthenticated {
                key: key.to_string(),
                what:
                    "entry carries no HMAC but a secret is configured: rejected as unauthenticated",
            })
        }
        (false, None) => {
            let h = xxhash_rust::xxh3::xxh3_128(body).to_le_bytes();
            if h[..] != trailer[..] {
                return Err(CacheError::Integrity {
                    key: key.to_string(),
                    offset: body_end as u64,
                    what: "checksum",
                });
            }
        }
    }
    let meta_end = meta_start + meta_len;
    let plain_meta;
    let meta_bytes: &[u8] = if meta_start == HEADER_LEN {
        &bytes[HEADER_LEN..meta_end]
    } else {
        plain_meta = dictionary_meta(bytes, key, meta_start, meta_end, dictionary)?;
        &plain_meta
    };
    let meta: EnvelopeMeta = match postcard::take_from_bytes(meta_bytes) {
        Ok((m, [])) => m,
        Ok((_, rest)) => {
            return Err(corrupt(
                meta_start + meta_bytes.len() - rest.len(),
                format!("{} unread bytes at the end of the meta", rest.len()),
            ))
        }
        Err(e) => return Err(corrupt(meta_start, format!("meta does not parse: {e}"))),
    };
    if meta.key != key {
        return Err(corrupt(
            HEADER_LEN,
            format!("entry was stored under key {}", meta.key),
        ));
    }
    if (flags & FLAG_LOSSY != 0) != meta.precision.is_some() {
        return Err(corrupt(6, "lossy flag disagrees with the meta".into()));
    }
    // Every length against the bytes actually there, before any allocation.
    let sh = &meta.shared;
    let mut at = (meta_end as u64)
        .checked_add(sh.block_len)
        .filter(|&e| e <= body_end as u64)
        .ok_or_else(|| {
            corrupt(
                meta_end,
                format!(
                    "shared block of {} bytes runs past the end of the data ({body_end})",
                    sh.block_len
                ),
            )
        })?;
    if sh.compressed_len > sh.block_len {
        return Err(corrupt(meta_end, "shared frame exceeds its block".into()));
    }
    if sh.raw_len
        > sh.block_len
            .saturating_mul(MAX_RATIO)
            .saturating_add(RATIO_SLACK)
    {
        return Err(corrupt(
            meta_end,
            format!(
                "shared raw length {} is implausible for a {}-byte block",
                sh.raw_len, sh.block_len
            ),
        ));
    }
    let mut shared_sum = 0u64;
    for (pi, p) in meta.plots.iter().enumerate() {
        if p.columns.len() != p.header.variables.len() {
            return Err(corrupt(
                HEADER_LEN,
                format!(
                    "plot {pi}: {} columns for {} variables",
                    p.columns.len(),
                    p.header.variables.len()
                ),
            ));
        }
        for (ci, c) in p.columns.iter().enumerate() {
            let what = |s: String| corrupt(at as usize, format!("plot {pi} column {ci}: {s}"));
            let expect = p
                .n_points
                .checked_mul(c.value_type.size() as u64)
                .ok_or_else(|| what("point count overflows".into()))?;
            if c.raw_len != expect {
                return Err(what(format!(
                    "raw length {} is not {} points of {} bytes",
                    c.raw_len,
                    p.n_points,
                    c.value_type.size()
                )));
            }
            if !c.codec.is_valid() {
                return Err(what(format!("invalid codec {:?}", c.codec)));
            }
            if !codec::shift_is_valid(c.codec, u32::from(c.shift), part_width(c.value_type)) {
                return Err(what(format!(
                    "shift {} is not valid for {:?}",
                    c.shift, c.codec
                )));
            }
            if c.quantized && meta.precision.is_none() {
                return Err(what("quantised without a precision bound".into()));
            }
            if c.codec != Codec::Pco {
                if c.compressed_len != 0 || c.block_len != 0 {
                    return Err(what(
                        "a column of the shared frame has its own block".into(),
                    ));
                }
                shared_sum = shared_sum
                    .checked_add(c.raw_len)
                    .ok_or_else(|| what("shared length overflows".into()))?;
                continue;
            }
            if c.compressed_len > c.block_len {
                return Err(what("compressed length exceeds its block".into()));
            }
            let end = at
                .checked_add(c.block_len)
                .filter(|&e| e <= body_end as u64)
                .ok_or_else(|| {
                    what(format!(
                        "block of {} bytes runs past the end of the data ({body_end})",
                        c.block_len
                    ))
                })?;
            if c.raw_len
                > c.block_len
                    .saturating_mul(MAX_RATIO)
                    .saturating_add(RATIO_SLACK)
            {
                return Err(what(format!(
                    "raw length {} is implausible for a {}-byte block",
                    c.raw_len, c.block_len
                )));
            }
            at = end;
        }
    }
    if shared_sum != sh.raw_len {
        return Err(corrupt(
            meta_end,
            format!(
                "shared frame of {} bytes for columns of {shared_sum} bytes",
                sh.raw_len
            ),
        ));
    }
    if at != body_end as u64 {
        return Err(corrupt(
            at as usize,
            format!("{} bytes after the last column block", body_end as u64 - at),
        ));
    }
    Ok((meta, meta_end))
}

/// What a campaign dictionary is trained on, from one envelope of the
/// campaign coded without a dictionary: its meta bytes and the bytes its
/// shared frame decodes to (the transformed columns). Pass the samples of
/// a campaign's first entries (a few dozen) to [`crate::train_dictionary`].
/// Checks the envelope as [`read_meta`] does.
pub fn dictionary_samples(
    bytes: &[u8],
    key: &str,
    secret: Option<&Secret>,
) -> Result<Vec<Vec<u8>>> {
    check_key(key)?;
    let (meta, meta_end) = read_meta(bytes, key, secret)?;
    let mut out = vec![bytes[HEADER_LEN..meta_end].to_vec()];
    let sh = &meta.shared;
    if sh.raw_len > 0 {
        let frame = &bytes[meta_end..meta_end + sh.compressed_len as usize];
        let len = usize::try_from(sh.raw_len).map_err(|_| CacheError::Corrupt {
            key: key.to_string(),
            offset: meta_end as u64,
            what: "shared frame does not fit in memory".into(),
        })?;
        let shared = codec::zstd_decompress_with(frame, len, <[u8]>::to_vec).map_err(|what| {
            CacheError::Corrupt {
                key: key.to_string(),
                offset: meta_end as u64,
                what: format!("shared frame: {what}"),
            }
        })?;
        out.push(shared);
    }
    Ok(out)
}

/// The decompressed meta of a [`FLAG_DICT`] entry (trailer checked): the
/// dictionary must be the one the entry names, and the frame's declared
/// size must be within the ratio bound of its bytes.
fn dictionary_meta(
    bytes: &[u8],
    key: &str,
    meta_start: usize,
    meta_end: usize,
    dictionary: Option<&Dictionary>,
) -> Result<Vec<u8>> {
    let corrupt = |what: String| CacheError::Corrupt {
        key: key.to_string(),
        offset: meta_start as u64,
        what,
    };
    let id = &bytes[HEADER_LEN..meta_start];
    let d = match dictionary {
        Some(d) if d.id()[..] == id[..] => d,
        _ => {
            let mut want = [0u8; DICT_ID_LEN];
            want.copy_from_slice(id);
            return Err(CacheError::DictionaryMissing {
                key: key.to_string(),
                id: id_hex(&want),
            });
        }
    };
    let frame = &bytes[meta_start..meta_end];
    let bound = (frame.len() as u64)
        .saturating_mul(MAX_RATIO)
        .saturating_add(RATIO_SLACK);
    let raw_len = frame_content_size(frame)
        .filter(|&n| n <= bound)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| corrupt("the meta frame declares no plausible size".into()))?;
    let mut out = Vec::new();
    d.decompress_frame(frame, raw_len, &mut out)
        .map_err(|e| corrupt(format!("meta: {e}")))?;
    Ok(out)
}

/// Decodes envelope bytes stored under `key`.
///
/// Checks, in order: header, trailer (checksum, or HMAC when `secret` is
/// given; an entry whose authentication does not match the presence of a
/// secret is rejected), meta, every length against the envelope size, then
/// decodes the columns. An entry coded with a campaign dictionary is a
/// [`CacheError::DictionaryMissing`] (see [`decode_entry_with`]).
pub fn decode_entry(bytes: &[u8], key: &str, secret: Option<&Secret>) -> Result<Entry> {
    decode_entry_with(bytes, key, secret, None)
}

/// [`decode_entry`] of an entry that may be coded with a campaign
/// dictionary (see [`read_meta_with`]): `dictionary` must be the one it
/// names, else [`CacheError::DictionaryMissing`].
pub fn decode_entry_with(
    bytes: &[u8],
    key: &str,
    secret: Option<&Secret>,
    dictionary: Option<&Dictionary>,
) -> Result<Entry> {
    check_key(key)?;
    let (meta, meta_end) = read_meta_with(bytes, key, secret, dictionary)?;
    // read_meta_with returned: a dictionary entry's dictionary is this one.
    let dictionary = dictionary.filter(|_| u16_at(bytes, 6) & FLAG_DICT != 0);
    let sh = meta.shared.clone();
    let shared_block = &bytes[meta_end..meta_end + sh.compressed_len as usize];
    let shared_len = usize::try_from(sh.raw_len).map_err(|_| CacheError::Corrupt {
        key: key.to_string(),
        offset: meta_end as u64,
        what: format!(
            "shared frame of {} bytes does not fit in memory",
            sh.raw_len
        ),
    })?;
    let first_block = meta_end + sh.block_len as usize;
    let EnvelopeMeta {
        plots: plot_metas,
        dialect,
        encoding,
        job,
        ..
    } = meta;
    let build = |shared: &[u8]| -> Result<Vec<Plot>> {
        let mut at = first_block;
        let mut sat = 0usize;
        let mut plots = Vec::with_capacity(plot_metas.len());
        for (pi, p) in plot_metas.into_iter().enumerate() {
            let n = usize::try_from(p.n_points).map_err(|_| CacheError::Corrupt {
                key: key.to_string(),
                offset: HEADER_LEN as u64,
                what: format!("plot {pi}: {} points do not fit in memory", p.n_points),
            })?;
            let mut columns = Vec::with_capacity(p.columns.len());
            for (ci, c) in p.columns.iter().enumerate() {
                let width = part_width(c.value_type);
                let parts = if c.value_type.is_complex() { 2 * n } else { n };
                let (stream, offset) = if c.codec == Codec::Pco {
                    let block = &bytes[at..at + c.compressed_len as usize];
                    let off = at;
                    at += c.block_len as usize;
                    (codec::pco_decode(block, width, parts), off)
                } else {
                    // raw_len was checked against the points; the sum of
                    // them equals the shared frame's length.
                    let len = c.raw_len as usize;
                    let piece = shared.get(sat..sat + len).unwrap_or(&[]);
                    let off = sat;
                    sat += len;
                    (
                        codec::post_zstd_stream(c.codec, u32::from(c.shift), piece, width, parts),
                        off,
                    )
                };
                let corrupt = |what: String| CacheError::Corrupt {
                    key: key.to_string(),
                    offset: offset as u64,
                    what: format!("plot {pi} column {ci}: {what}"),
                };
                let stream = stream.map_err(corrupt)?;
                let col = stream_column(c.value_type, stream, n)
                    .ok_or_else(|| corrupt("stream width does not match the value type".into()))?;
                columns.push(col);
            }
            let plot = Plot {
                header: p.header,
                columns,
                steps: p.steps,
            };
            plot.check().map_err(|e| CacheError::Corrupt {
                key: key.to_string(),
                offset: HEADER_LEN as u64,
                what: format!("plot {pi}: {e}"),
            })?;
            plots.push(plot);
        }
        Ok(plots)
    };
    let shared_err = |what: String| CacheError::Corrupt {
        key: key.to_string(),
        offset: meta_end as u64,
        what: format!("shared frame: {what}"),
    };
    let plots = if shared_len == 0 {
        build(&[])?
    } else if let Some(d) = dictionary {
        let mut buf = Vec::new();
        d.decompress_frame(shared_block, shared_len, &mut buf)
            .map_err(shared_err)?;
        build(&buf)?
    } else {
        codec::zstd_decompress_with(shared_block, shared_len, build).map_err(shared_err)??
    };
    Ok(Entry {
        result: SimResult {
            dialect,
            encoding,
            plots,
        },
        meta: job,
    })
}
