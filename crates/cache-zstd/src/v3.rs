//! The decoder of format v3 (the last format whose meta was postcard of
//! the `waveform` types), kept so that entries written by v3 builds stay
//! readable. The types below are frozen copies of what v3 serialised:
//! postcard writes fields by position and enum variants by index, so they
//! must never change, whatever happens to `waveform` or to [`Codec`].
//!
//! A v3 entry is one unit: one zstd frame for every column, then pco blocks,
//! then a trailer over everything. It is read whole into memory (as v3
//! builds did), checked, then decoded; the shared frame is reserved
//! fallibly. Reference entries: `fixtures/cache/v3/`.

use crate::block::{part_width, stream_column, zstd_exact};
use crate::codec::{self, Codec};
use crate::error::{CacheError, Result};
use crate::integrity::{Secret, Tagger, CHECKSUM_LEN, HMAC_LEN};
use crate::job::{JobMeta, JobStatus};
use crate::options::{FLAG_HMAC, FLAG_LOSSY, MAGIC};
use crate::wire::{BlockRef, EntryMeta, PlotMeta};
use serde::Deserialize;
use waveform::{
    Dialect, Encoding, Flags, ParamValue, Plot, PlotHeader, Steps, ValueType, VarKind, Variable,
};

/// The version this module reads.
pub(crate) const VERSION: u16 = 3;
/// v3's head: magic, version, flags, meta length u32.
pub(crate) const V3_HEADER_LEN: usize = 12;
const MAX_RATIO: u64 = 8192;
const RATIO_SLACK: u64 = 1 << 16;

#[derive(Deserialize)]
enum V3Dialect {
    Ngspice,
    Xyce,
    Ltspice,
    Qspice,
}

#[derive(Deserialize)]
enum V3Encoding {
    Binary,
    Ascii,
}

#[derive(Deserialize)]
enum V3Status {
    Ok,
    Failed,
    TimedOut,
    Cancelled,
}

#[derive(Deserialize)]
struct V3Job {
    params: Vec<(String, String)>,
    simulator_version: String,
    status: V3Status,
    log_tail: String,
}

#[derive(Deserialize)]
struct V3Flags {
    complex: bool,
    forward: bool,
    log: bool,
    stepped: bool,
    fastaccess: bool,
    double: bool,
    words: Vec<String>,
}

#[derive(Deserialize)]
enum V3Kind {
    Time,
    Frequency,
    Voltage,
    Current,
    VoltageDensity,
    CurrentDensity,
    Impedance,
    Gain,
    Temperature,
    Power,
    Other,
}

#[derive(Deserialize)]
struct V3Variable {
    index: usize,
    name: String,
    type_name: String,
    kind: V3Kind,
    extra: Vec<String>,
}

#[derive(Deserialize)]
struct V3Header {
    title: String,
    date: String,
    plotname: String,
    flags: V3Flags,
    command: Option<String>,
    n_points: u64,
    variables: Vec<V3Variable>,
    extra: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct V3Steps {
    starts: Vec<u64>,
    total: u64,
    params: Vec<Vec<(String, f64)>>,
}

#[derive(Deserialize, Clone, Copy)]
enum V3ValueType {
    F32,
    F64,
    C32,
    C64,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
enum V3Codec {
    Zstd,
    ShuffleZstd,
    DeltaShuffleZstd,
    Delta2ShuffleZstd,
    XorShuffleZstd,
    Pco,
    OrdDeltaShuffleZstd(u8),
}

#[derive(Deserialize)]
struct V3Column {
    value_type: V3ValueType,
    codec: V3Codec,
    raw_len: u64,
    compressed_len: u64,
    block_len: u64,
    quantized: bool,
    shift: u8,
}

#[derive(Deserialize)]
struct V3Plot {
    header: V3Header,
    steps: V3Steps,
    n_points: u64,
    columns: Vec<V3Column>,
}

#[derive(Deserialize)]
struct V3Shared {
    raw_len: u64,
    compressed_len: u64,
    block_len: u64,
}

#[derive(Deserialize)]
struct V3Meta {
    key: String,
    dialect: V3Dialect,
    encoding: V3Encoding,
    precision: Option<f64>,
    job: V3Job,
    plots: Vec<V3Plot>,
    shared: V3Shared,
}

fn value_type(t: V3ValueType) -> ValueType {
    match t {
        V3ValueType::F32 => ValueType::F32,
        V3ValueType::F64 => ValueType::F64,
        V3ValueType::C32 => ValueType::C32,
        V3ValueType::C64 => ValueType::C64,
    }
}

fn codec_of(c: V3Codec) -> Codec {
    match c {
        V3Codec::Zstd => Codec::Zstd,
        V3Codec::ShuffleZstd => Codec::ShuffleZstd,
        V3Codec::DeltaShuffleZstd => Codec::DeltaShuffleZstd,
        V3Codec::Delta2ShuffleZstd => Codec::Delta2ShuffleZstd,
        V3Codec::XorShuffleZstd => Codec::XorShuffleZstd,
        V3Codec::Pco => Codec::Pco,
        V3Codec::OrdDeltaShuffleZstd(k) => Codec::OrdDeltaShuffleZstd(k),
    }
}

fn kind(k: V3Kind) -> VarKind {
    match k {
        V3Kind::Time => VarKind::Time,
        V3Kind::Frequency => VarKind::Frequency,
        V3Kind::Voltage => VarKind::Voltage,
        V3Kind::Current => VarKind::Current,
        V3Kind::VoltageDensity => VarKind::VoltageDensity,
        V3Kind::CurrentDensity => VarKind::CurrentDensity,
        V3Kind::Impedance => VarKind::Impedance,
        V3Kind::Gain => VarKind::Gain,
        V3Kind::Temperature => VarKind::Temperature,
        V3Kind::Power => VarKind::Power,
        V3Kind::Other => VarKind::Other,
    }
}

fn header(h: V3Header) -> PlotHeader {
    PlotHeader {
        title: h.title,
        date: h.date,
        plotname: h.plotname,
        flags: Flags {
            complex: h.flags.complex,
            forward: h.flags.forward,
            log: h.flags.log,
            stepped: h.flags.stepped,
            fastaccess: h.flags.fastaccess,
            double: h.flags.double,
            words: h.flags.words,
        },
        command: h.command,
        n_points: h.n_points,
        variables: h
            .variables
            .into_iter()
            .map(|v| Variable {
                index: v.index,
                name: v.name,
                type_name: v.type_name,
                kind: kind(v.kind),
                extra: v.extra,
            })
            .collect(),
        extra: h.extra,
    }
}

/// A v3 job: its parameters were text and stay text; the version string
/// (`ngspice-44`) is kept as it was, the simulator's name left empty.
fn job(j: V3Job) -> JobMeta {
    JobMeta {
        params: j
            .params
            .into_iter()
            .map(|(k, v)| (k, ParamValue::Text(v)))
            .collect(),
        simulator_version: j.simulator_version,
        status: match j.status {
            V3Status::Ok => JobStatus::Ok,
            V3Status::Failed => JobStatus::Failed,
            V3Status::TimedOut => JobStatus::TimedOut,
            V3Status::Cancelled => JobStatus::Cancelled,
        },
        log_tail: j.log_tail,
        ..JobMeta::default()
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn meta_len_at(head: &[u8]) -> usize {
    u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize
}

/// The raw column bytes a v3 entry declares, from its head and meta bytes
/// alone (no trailer check: for store statistics).
pub(crate) fn raw_bytes_of(meta: &[u8]) -> Option<u64> {
    let m: V3Meta = postcard::from_bytes(meta).ok()?;
    Some(
        m.plots
            .iter()
            .flat_map(|p| &p.columns)
            .fold(0u64, |a, c| a.saturating_add(c.raw_len)),
    )
}

/// The meta length of a v3 head (`None` when it is not one).
pub(crate) fn meta_len(head: &[u8; V3_HEADER_LEN]) -> Option<usize> {
    (&head[..4] == MAGIC && u16_at(head, 4) == VERSION).then(|| meta_len_at(head))
}

/// Checks and decodes a whole v3 envelope: its meta (as a v4
/// [`EntryMeta`], one block per plot), its plots, and the codec of every
/// column.
pub(crate) fn decode(
    bytes: &[u8],
    key: &str,
    secret: Option<&Secret>,
) -> Result<(EntryMeta, Vec<Plot>, Vec<Vec<Codec>>)> {
    let corrupt = |offset: usize, what: String| CacheError::Corrupt {
        key: key.to_string(),
        offset: offset as u64,
        what,
    };
    if bytes.len() < V3_HEADER_LEN + CHECKSUM_LEN || &bytes[..4] != MAGIC {
        return Err(corrupt(0, "not a v3 entry".into()));
    }
    let flags = u16_at(bytes, 6);
    if flags & !(FLAG_HMAC | FLAG_LOSSY) != 0 {
        return Err(corrupt(6, format!("unknown flags {flags:#06x}")));
    }
    let hmac = flags & FLAG_HMAC != 0;
    let trailer_len = if hmac { HMAC_LEN } else { CHECKSUM_LEN };
    let meta_len = meta_len_at(bytes);
    let Some(body_end) = bytes.len().checked_sub(trailer_len) else {
        return Err(corrupt(0, "shorter than its trailer".into()));
    };
    if body_end < V3_HEADER_LEN || meta_len > body_end - V3_HEADER_LEN {
        return Err(corrupt(
            8,
            format!(
                "meta length {meta_len} exceeds the {} bytes left in the entry",
                body_end.saturating_sub(V3_HEADER_LEN)
            ),
        ));
    }
    let (body, trailer) = bytes.split_at(body_end);
    match (hmac, secret) {
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
        _ => {
            let mut t = Tagger::new(secret);
            t.update(body);
            if !t.verify(trailer) {
                return Err(CacheError::Integrity {
                    key: key.to_string(),
                    offset: body_end as u64,
                    what: if hmac { "HMAC" } else { "checksum" },
                });
            }
        }
    }
    let meta_end = V3_HEADER_LEN + meta_len;
    let meta: V3Meta = match postcard::take_from_bytes(&bytes[V3_HEADER_LEN..meta_end]) {
        Ok((m, [])) => m,
        Ok((_, rest)) => {
            return Err(corrupt(
                meta_end - rest.len(),
                format!("{} unread bytes at the end of the meta", rest.len()),
            ))
        }
        Err(e) => return Err(corrupt(V3_HEADER_LEN, format!("meta does not parse: {e}"))),
    };
    if meta.key != key {
        return Err(corrupt(
            V3_HEADER_LEN,
            format!("entry was stored under key {}", meta.key),
        ));
    }
    if (flags & FLAG_LOSSY != 0) != meta.precision.is_some() {
        return Err(corrupt(6, "lossy flag disagrees with the meta".into()));
    }
    // Every length against the bytes there, before any allocation.
    let sh = &meta.shared;
    let mut at = (meta_end as u64)
        .checked_add(sh.block_len)
        .filter(|&e| e <= body_end as u64)
        .ok_or_else(|| {
            corrupt(
                meta_end,
                "shared block runs past the end of the data".into(),
            )
        })?;
    let implausible =
        |raw: u64, block: u64| raw > block.saturating_mul(MAX_RATIO).saturating_add(RATIO_SLACK);
    if sh.compressed_len > sh.block_len || implausible(sh.raw_len, sh.block_len) {
        return Err(corrupt(
            meta_end,
            "shared frame lengths are implausible".into(),
        ));
    }
    let mut shared_sum = 0u64;
    let mut pco_at = Vec::new();
    for (pi, p) in meta.plots.iter().enumerate() {
        if p.columns.len() != p.header.variables.len() {
            return Err(corrupt(
                V3_HEADER_LEN,
                format!(
                    "plot {pi}: {} columns for {} variables",
                    p.columns.len(),
                    p.header.variables.len()
                ),
            ));
        }
        for (ci, c) in p.columns.iter().enumerate() {
            let what = |s: String| corrupt(at as usize, format!("plot {pi} column {ci}: {s}"));
            let vt = value_type(c.value_type);
            let codec = codec_of(c.codec);
            let expect = p
                .n_points
                .checked_mul(vt.size() as u64)
                .ok_or_else(|| what("point count overflows".into()))?;
            if c.raw_len != expect {
                return Err(what(format!(
                    "raw length {} is not {} points",
                    c.raw_len, p.n_points
                )));
            }
            if !codec.is_valid()
                || !codec::shift_is_valid(codec, u32::from(c.shift), part_width(vt))
            {
                return Err(what(format!(
                    "invalid codec {codec:?} or shift {}",
                    c.shift
                )));
            }
            if c.quantized && meta.precision.is_none() {
                return Err(what("quantised without a precision bound".into()));
            }
            if codec != Codec::Pco {
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
            let end = at
                .checked_add(c.block_len)
                .filter(|&e| e <= body_end as u64)
                .ok_or_else(|| what("block runs past the end of the data".into()))?;
            if c.compressed_len > c.block_len || implausible(c.raw_len, c.block_len) {
                return Err(what("block lengths are implausible".into()));
            }
            pco_at.push(at as usize);
            at = end;
        }
    }
    if shared_sum != sh.raw_len || at != body_end as u64 {
        return Err(corrupt(
            meta_end,
            "block lengths do not fill the entry".into(),
        ));
    }
    let shared_len = usize::try_from(sh.raw_len)
        .map_err(|_| corrupt(meta_end, "shared frame does not fit in memory".into()))?;
    let shared = if shared_len == 0 {
        Vec::new()
    } else {
        let frame = &bytes[meta_end..meta_end + sh.compressed_len as usize];
        zstd_exact(frame, shared_len)
            .map_err(|e| corrupt(meta_end, format!("shared frame: {e}")))?
    };
    let mut plots = Vec::with_capacity(meta.plots.len());
    let mut metas = Vec::with_capacity(meta.plots.len());
    let mut blocks = Vec::new();
    let mut codecs = Vec::new();
    let mut sat = 0usize;
    let mut pco = pco_at.into_iter();
    for (pi, p) in meta.plots.into_iter().enumerate() {
        let n = usize::try_from(p.n_points)
            .map_err(|_| corrupt(V3_HEADER_LEN, format!("plot {pi}: too many points")))?;
        let mut columns = Vec::with_capacity(p.columns.len());
        let mut types = Vec::with_capacity(p.columns.len());
        let mut plot_codecs = Vec::with_capacity(p.columns.len());
        for (ci, c) in p.columns.iter().enumerate() {
            let vt = value_type(c.value_type);
            let codec = codec_of(c.codec);
            let width = part_width(vt);
            let parts = if vt.is_complex() { 2 * n } else { n };
            let stream = if codec == Codec::Pco {
                let off = pco.next().unwrap_or(0);
                codec::pco_decode(&bytes[off..off + c.compressed_len as usize], width, parts)
            } else {
                let len = c.raw_len as usize;
                let piece = shared.get(sat..sat + len).unwrap_or(&[]);
                sat += len;
                codec::post_zstd_stream(codec, u32::from(c.shift), 0, piece, width, parts)
            };
            let bad = |what: String| corrupt(meta_end, format!("plot {pi} column {ci}: {what}"));
            let col = stream_column(vt, stream.map_err(bad)?, n)
                .ok_or_else(|| bad("stream width does not match the value type".into()))?;
            columns.push(col);
            types.push(vt);
            plot_codecs.push(codec);
        }
        let plot = Plot {
            header: header(p.header),
            columns,
            steps: Steps {
                starts: p.steps.starts,
                total: p.steps.total,
                params: p.steps.params,
            },
        };
        plot.check()
            .map_err(|e| corrupt(V3_HEADER_LEN, format!("plot {pi}: {e}")))?;
        if n > 0 {
            blocks.push(BlockRef {
                plot: pi,
                points: n as u64,
                len: 0,
                tag: Vec::new(),
            });
        }
        metas.push(PlotMeta {
            header: plot.header.clone(),
            steps: plot.steps.clone(),
            n_points: n as u64,
            types,
        });
        codecs.push(plot_codecs);
        plots.push(plot);
    }
    let entry_meta = EntryMeta {
        key: meta.key,
        dialect: match meta.dialect {
            V3Dialect::Ngspice => Dialect::Ngspice,
            V3Dialect::Xyce => Dialect::Xyce,
            V3Dialect::Ltspice => Dialect::Ltspice,
            V3Dialect::Qspice => Dialect::Qspice,
        },
        encoding: match meta.encoding {
            V3Encoding::Binary => Encoding::Binary,
            V3Encoding::Ascii => Encoding::Ascii,
        },
        precision: meta.precision,
        job: job(meta.job),
        plots: metas,
        blocks,
        dictionary: None,
    };
    Ok((entry_meta, plots, codecs))
}
