//! The wire records of format v4: the entry's footer (its meta) and the
//! header of each block, as tagged fields ([`crate::tlv`]), converted from
//! and to the `waveform` types. Nothing here is a `waveform` struct
//! serialised as it is: adding a field to `PlotHeader`, `Steps` or
//! [`JobMeta`] changes nothing on the wire until a field number is given to
//! it here (see the rule in [`crate::tlv`] and `docs/cache.md`).
//!
//! Field numbers (never reused):
//!
//! ```text
//! entry (footer)  1 key  2 dialect (name)  3 encoding (0 binary, 1 ascii)  4 precision (f64)
//!                 5 job (record)  6 plot (record, repeated)  7 block (record, repeated)
//!                 9 dictionary id (32 bytes: the sha256 of the campaign dictionary
//!                   the blocks' shared frames are coded with; odd: required)
//! plot            1 title  2 date  3 plotname  4 flags (record)  5 command  6 header points
//!                 7 variable (record, repeated)  8 header line (record, repeated)
//!                 9 steps (record)  10 points  11 value types (packed codes)
//! flags           1 bits (complex 1, forward 2, log 4, stepped 8, fastaccess 16, double 32)
//!                 2 word (repeated)
//! variable        1 name  2 type name  3 kind (name; absent: classified from the type name)
//!                 4 extra (repeated)  5 index (absent: its position)
//! header line     1 name  2 value
//! steps           1 starts (packed deltas)  2 total  3 step (record, repeated)
//! step            1 param (record, repeated: 1 name, 2 value f64)
//! job             1 param (record, repeated: 1 name, 2 number f64 | 4 text)  2 simulator
//!                 3 simulator version  4 status (0 ok, 1 failed, 2 timed out, 3 cancelled)
//!                 5 exit code (signed)  6 reason  7 wall s (f64)  8 cpu s (f64)  9 log tail
//!                 10 measure (record, repeated: 1 name, 2 value f64)
//! block (index)   1 plot  2 points  3 length  4 tag (bytes)
//! block header    1 shared frame length  2 column (record, repeated)
//! column coding   1 codec (code)  2 shift  3 quantised (bool)  4 own part length (pco)
//!                 5 exponent of the quantum (signed; integer codecs)
//! ```
//!
//! Value type codes: 0 f32, 1 f64, 2 c32, 3 c64. Codec codes: 0 zstd,
//! 1 shuffle, 2 delta, 3 delta2, 4 xor, 5 pco, 16 + k ordered differences
//! of order k, 32 + k differences of order k of the integers on a quantum. An unknown code is an unsupported feature (a newer writer),
//! not corruption.

use crate::codec::Codec;
use crate::job::{JobMeta, JobStatus};
use crate::tlv::{Field, Fields, Packed, RecordWriter, Seen, WireError};
use waveform::{
    Dialect, Encoding, Flags, ParamValue, PlotHeader, Steps, ValueType, VarKind, Variable,
};

/// An entry's meta (its footer): everything but the column values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntryMeta {
    /// The key the entry was stored under.
    pub key: String,
    /// Dialect of the source file.
    pub dialect: Dialect,
    /// Encoding of the source file.
    pub encoding: Encoding,
    /// The precision bound the entry was written with, if any.
    pub precision: Option<f64>,
    /// The job's metadata.
    pub job: JobMeta,
    /// The plots, in order.
    pub plots: Vec<PlotMeta>,
    /// The blocks, in the order they lie in the envelope.
    pub blocks: Vec<BlockRef>,
    /// The id (sha256) of the campaign dictionary the blocks' shared
    /// frames are coded with, if any (field 9, required: a reader without
    /// that dictionary cannot decode a block).
    pub dictionary: Option<[u8; 32]>,
}

/// One plot of an entry's meta.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlotMeta {
    /// The plot header, variables included.
    pub header: PlotHeader,
    /// The step index.
    pub steps: Steps,
    /// Number of points of every column.
    pub n_points: u64,
    /// The stored type of each column.
    pub types: Vec<ValueType>,
}

impl PlotMeta {
    /// Bytes of one point: the sum of the columns' value sizes.
    pub fn point_bytes(&self) -> u64 {
        self.types.iter().map(|t| t.size() as u64).sum()
    }
}

/// Where one block lies and how it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockRef {
    /// The plot whose points it holds.
    pub plot: usize,
    /// How many points (of every column of the plot).
    pub points: u64,
    /// Bytes of the block in the envelope.
    pub len: u64,
    /// The block's tag (xxh3-128 or HMAC-SHA256 of a domain byte and its bytes).
    pub tag: Vec<u8>,
}

impl EntryMeta {
    /// Sum of the raw column bytes (points x value size, every column).
    pub fn raw_bytes(&self) -> u64 {
        self.plots.iter().fold(0u64, |a, p| {
            a.saturating_add(p.n_points.saturating_mul(p.point_bytes()))
        })
    }
}

/// The header of one block: how each column's slice is coded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockHeader {
    /// Bytes of the block's shared zstd frame (0 when no column is in it).
    pub shared_len: u64,
    /// One record per column of the plot.
    pub columns: Vec<ColumnCoding>,
}

/// How one column's slice of a block is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnCoding {
    /// The codec.
    pub codec: Codec,
    /// Ordered-difference columns: low bits shifted out (0 otherwise).
    pub shift: u8,
    /// Integer columns: the exponent `q` of their quantum `2^q` (0 otherwise).
    pub exp2: i32,
    /// True when the values were rounded to the entry's precision bound.
    pub quantized: bool,
    /// pco columns: bytes of its own part of the block (0 for the others).
    pub part_len: u64,
}

// ------------------------------------------------------------------ codes

/// The wire code of a codec.
pub fn codec_code(c: Codec) -> u64 {
    match c {
        Codec::Zstd => 0,
        Codec::ShuffleZstd => 1,
        Codec::DeltaShuffleZstd => 2,
        Codec::Delta2ShuffleZstd => 3,
        Codec::XorShuffleZstd => 4,
        Codec::Pco => 5,
        Codec::OrdDeltaShuffleZstd(k) => 16 + u64::from(k),
        Codec::IntDeltaShuffleZstd(k) => 32 + u64::from(k),
    }
}

/// The codec of a wire code (`None` for a code this build does not know).
pub fn codec_of_code(v: u64) -> Option<Codec> {
    Some(match v {
        0 => Codec::Zstd,
        1 => Codec::ShuffleZstd,
        2 => Codec::DeltaShuffleZstd,
        3 => Codec::Delta2ShuffleZstd,
        4 => Codec::XorShuffleZstd,
        5 => Codec::Pco,
        17..=24 => Codec::OrdDeltaShuffleZstd((v - 16) as u8),
        33..=40 => Codec::IntDeltaShuffleZstd((v - 32) as u8),
        _ => return None,
    })
}

fn type_code(t: ValueType) -> u64 {
    match t {
        ValueType::F32 => 0,
        ValueType::F64 => 1,
        ValueType::C32 => 2,
        ValueType::C64 => 3,
    }
}

fn type_of_code(v: u64) -> Option<ValueType> {
    Some(match v {
        0 => ValueType::F32,
        1 => ValueType::F64,
        2 => ValueType::C32,
        3 => ValueType::C64,
        _ => return None,
    })
}

fn status_code(s: JobStatus) -> u64 {
    match s {
        JobStatus::Ok => 0,
        JobStatus::Failed => 1,
        JobStatus::TimedOut => 2,
        JobStatus::Cancelled => 3,
    }
}

fn status_of_code(v: u64) -> Option<JobStatus> {
    Some(match v {
        0 => JobStatus::Ok,
        1 => JobStatus::Failed,
        2 => JobStatus::TimedOut,
        3 => JobStatus::Cancelled,
        _ => return None,
    })
}

const KINDS: [VarKind; 11] = [
    VarKind::Time,
    VarKind::Frequency,
    VarKind::Voltage,
    VarKind::Current,
    VarKind::VoltageDensity,
    VarKind::CurrentDensity,
    VarKind::Impedance,
    VarKind::Gain,
    VarKind::Temperature,
    VarKind::Power,
    VarKind::Other,
];

fn kind_of_name(name: &str) -> VarKind {
    KINDS
        .iter()
        .find(|k| k.name() == name)
        .cloned()
        .unwrap_or(VarKind::Other)
}

const FLAG_BITS: [u64; 6] = [1, 2, 4, 8, 16, 32];

fn flag_bits(f: &Flags) -> u64 {
    [
        f.complex,
        f.forward,
        f.log,
        f.stepped,
        f.fastaccess,
        f.double,
    ]
    .iter()
    .zip(FLAG_BITS)
    .filter(|(on, _)| **on)
    .fold(0, |a, (_, b)| a | b)
}

// ------------------------------------------------------------------ writing

fn opt_str(w: &mut RecordWriter, field: u32, s: &str) {
    if !s.is_empty() {
        w.str(field, s);
    }
}

/// The header fields of a plot record (everything known when the plot
/// begins): title ... header lines, and the value types.
pub(crate) fn plot_head_fields(w: &mut RecordWriter, h: &PlotHeader, types: &[ValueType]) {
    opt_str(w, 1, &h.title);
    opt_str(w, 2, &h.date);
    opt_str(w, 3, &h.plotname);
    let bits = flag_bits(&h.flags);
    if bits != 0 || !h.flags.words.is_empty() {
        w.with_record(4, |f| {
            if bits != 0 {
                f.uint(1, bits);
            }
            for word in &h.flags.words {
                f.str(2, word);
            }
        });
    }
    if let Some(c) = &h.command {
        w.str(5, c);
    }
    if h.n_points != 0 {
        w.uint(6, h.n_points);
    }
    for (i, v) in h.variables.iter().enumerate() {
        w.with_record(7, |r| {
            opt_str(r, 1, &v.name);
            opt_str(r, 2, &v.type_name);
            if VarKind::from_type_name(&v.type_name) != v.kind {
                r.str(3, v.kind.name());
            }
            for e in &v.extra {
                r.str(4, e);
            }
            if v.index != i {
                r.uint(5, v.index as u64);
            }
        });
    }
    for (k, v) in &h.extra {
        w.with_record(8, |r| {
            opt_str(r, 1, k);
            opt_str(r, 2, v);
        });
    }
    w.packed(11, types.iter().map(|&t| type_code(t)));
}

/// The fields of a plot record known when it ends: steps and points.
pub(crate) fn plot_tail_fields(w: &mut RecordWriter, steps: &Steps, points: u64) {
    w.with_record(9, |s| {
        let mut prev = 0u64;
        s.packed(
            1,
            steps.starts.iter().map(|&x| {
                let d = x.wrapping_sub(prev);
                prev = x;
                d
            }),
        );
        if steps.total != 0 {
            s.uint(2, steps.total);
        }
        for step in &steps.params {
            s.with_record(3, |r| {
                for (name, value) in step {
                    r.with_record(1, |p| {
                        opt_str(p, 1, name);
                        p.f64(2, *value);
                    });
                }
            });
        }
    });
    if points != 0 {
        w.uint(10, points);
    }
}

/// The job record.
pub fn job_record(job: &JobMeta) -> RecordWriter {
    let mut w = RecordWriter::new();
    for (name, value) in &job.params {
        w.with_record(1, |p| {
            opt_str(p, 1, name);
            match value {
                ParamValue::Number(x) => p.f64(2, *x),
                ParamValue::Text(s) => p.str(4, s),
            };
        });
    }
    opt_str(&mut w, 2, &job.simulator);
    opt_str(&mut w, 3, &job.simulator_version);
    if job.status != JobStatus::Ok {
        w.uint(4, status_code(job.status));
    }
    if let Some(c) = job.exit_code {
        w.int(5, i64::from(c));
    }
    opt_str(&mut w, 6, &job.reason);
    if job.wall_s.to_bits() != 0 {
        w.f64(7, job.wall_s);
    }
    if job.cpu_s.to_bits() != 0 {
        w.f64(8, job.cpu_s);
    }
    opt_str(&mut w, 9, &job.log_tail);
    for (name, value) in &job.measures {
        w.with_record(10, |m| {
            opt_str(m, 1, name);
            m.f64(2, *value);
        });
    }
    w
}

/// The entry-level fields of the footer (the plot and block records are
/// added as they are written).
pub(crate) fn entry_fields(
    w: &mut RecordWriter,
    key: &str,
    dialect: Dialect,
    encoding: Encoding,
    precision: Option<f64>,
    job: &JobMeta,
    dictionary: Option<&[u8; 32]>,
) {
    w.str(1, key);
    w.str(2, dialect.name());
    if encoding != Encoding::Binary {
        w.uint(3, 1);
    }
    if let Some(p) = precision {
        w.f64(4, p);
    }
    let j = job_record(job);
    if !j.is_empty() {
        w.record(5, &j);
    }
    if let Some(id) = dictionary {
        w.bytes(9, id);
    }
}

/// A block's record of the footer's index.
pub(crate) fn block_ref_record(b: &BlockRef) -> RecordWriter {
    let mut w = RecordWriter::new();
    if b.plot != 0 {
        w.uint(1, b.plot as u64);
    }
    w.uint(2, b.points).uint(3, b.len).bytes(4, &b.tag);
    w
}

/// The whole footer record of `meta` (for tools that rebuild an entry).
pub fn encode_footer(meta: &EntryMeta) -> Vec<u8> {
    let mut w = RecordWriter::new();
    entry_fields(
        &mut w,
        &meta.key,
        meta.dialect,
        meta.encoding,
        meta.precision,
        &meta.job,
        meta.dictionary.as_ref(),
    );
    for p in &meta.plots {
        w.with_record(6, |r| {
            plot_head_fields(r, &p.header, &p.types);
            plot_tail_fields(r, &p.steps, p.n_points);
        });
    }
    for b in &meta.blocks {
        w.record(7, &block_ref_record(b));
    }
    w.into_bytes()
}

/// A block header's bytes.
pub fn encode_block_header(h: &BlockHeader) -> Vec<u8> {
    let mut w = RecordWriter::new();
    if h.shared_len != 0 {
        w.uint(1, h.shared_len);
    }
    for c in &h.columns {
        w.with_record(2, |r| {
            r.uint(1, codec_code(c.codec));
            if c.shift != 0 {
                r.uint(2, u64::from(c.shift));
            }
            if c.quantized {
                r.bool(3, true);
            }
            if c.part_len != 0 {
                r.uint(4, c.part_len);
            }
            if c.exp2 != 0 {
                r.int(5, i64::from(c.exp2));
            }
        });
    }
    w.into_bytes()
}

// ------------------------------------------------------------------ reading

type R<T> = Result<T, WireError>;

/// What parsing a footer may allocate: its in-memory size grows with each
/// element parsed (a variable, a step start, a block), and a forged footer
/// of empty records would make 40 bytes of memory of each 2 bytes of
/// input. Parsing stops when the elements parsed reach 16 times the
/// footer's size plus 1 MiB (honest footers take at most 8 times: a step
/// start of one byte is a `u64`).
#[derive(Debug)]
struct Budget {
    left: usize,
}

impl Budget {
    fn for_len(len: usize) -> Budget {
        Budget {
            left: len.saturating_mul(16).saturating_add(1 << 20),
        }
    }

    fn charge(&mut self, bytes: usize, offset: u64) -> R<()> {
        match self.left.checked_sub(bytes) {
            Some(l) => {
                self.left = l;
                Ok(())
            }
            None => Err(WireError::corrupt(
                offset,
                "the meta holds more elements than its size allows",
            )),
        }
    }
}

fn size<T>() -> usize {
    std::mem::size_of::<T>()
}

fn record_of<'a>(f: &Field<'a>) -> Fields<'a> {
    f.record()
}

fn len_u32(f: &Field<'_>, v: u64, what: &str) -> R<usize> {
    usize::try_from(v)
        .ok()
        .filter(|&x| x <= u32::MAX as usize)
        .ok_or_else(|| WireError::corrupt(f.offset, format!("{what} {v} is out of range")))
}

fn parse_flags(fields: Fields<'_>, b: &mut Budget) -> R<Flags> {
    let mut flags = Flags::default();
    let mut seen = Seen::default();
    for f in fields {
        let f = f?;
        match f.number {
            1 => {
                seen.once(&f, "flags")?;
                let bits = f.uint()?;
                let on = |b: u64| bits & b != 0;
                flags.complex = on(1);
                flags.forward = on(2);
                flags.log = on(4);
                flags.stepped = on(8);
                flags.fastaccess = on(16);
                flags.double = on(32);
            }
            2 => {
                b.charge(size::<String>() + f.value.len(), f.offset)?;
                flags.words.push(f.string()?)
            }
            _ => f.unknown("flags")?,
        }
    }
    Ok(flags)
}

fn parse_variable(fields: Fields<'_>, position: usize, b: &mut Budget) -> R<Variable> {
    let mut seen = Seen::default();
    let (mut name, mut type_name, mut kind, mut extra, mut index) =
        (String::new(), String::new(), None, Vec::new(), position);
    for f in fields {
        let f = f?;
        if f.number != 4 {
            seen.once(&f, "variable")?;
        }
        match f.number {
            1 => name = f.string()?,
            2 => type_name = f.string()?,
            3 => kind = Some(kind_of_name(f.str()?)),
            4 => {
                b.charge(size::<String>() + f.value.len(), f.offset)?;
                extra.push(f.string()?)
            }
            5 => index = len_u32(&f, f.uint()?, "variable index")?,
            _ => f.unknown("variable")?,
        }
    }
    Ok(Variable {
        index,
        kind: kind.unwrap_or_else(|| VarKind::from_type_name(&type_name)),
        name,
        type_name,
        extra,
    })
}

fn parse_pair(fields: Fields<'_>, record: &str) -> R<(String, String)> {
    let mut seen = Seen::default();
    let (mut k, mut v) = (String::new(), String::new());
    for f in fields {
        let f = f?;
        seen.once(&f, record)?;
        match f.number {
            1 => k = f.string()?,
            2 => v = f.string()?,
            _ => f.unknown(record)?,
        }
    }
    Ok((k, v))
}

fn parse_named_f64(fields: Fields<'_>, record: &str) -> R<(String, f64)> {
    let mut seen = Seen::default();
    let (mut k, mut v) = (String::new(), 0.0);
    for f in fields {
        let f = f?;
        seen.once(&f, record)?;
        match f.number {
            1 => k = f.string()?,
            2 => v = f.f64()?,
            _ => f.unknown(record)?,
        }
    }
    Ok((k, v))
}

fn parse_steps(fields: Fields<'_>, b: &mut Budget) -> R<Steps> {
    let mut seen = Seen::default();
    let mut steps = Steps::default();
    for f in fields {
        let f = f?;
        if f.number != 3 {
            seen.once(&f, "steps")?;
        }
        match f.number {
            1 => {
                let mut at = 0u64;
                for d in f.packed() {
                    at = at.checked_add(d?).ok_or_else(|| {
                        WireError::corrupt(f.offset, "step starts overflow".to_string())
                    })?;
                    b.charge(size::<u64>(), f.offset)?;
                    steps.starts.push(at);
                }
            }
            2 => steps.total = f.uint()?,
            3 => {
                let mut step = Vec::new();
                for p in f.record() {
                    let p = p?;
                    match p.number {
                        1 => {
                            b.charge(size::<(String, f64)>() + p.value.len(), p.offset)?;
                            step.push(parse_named_f64(p.record(), "step parameter")?)
                        }
                        _ => p.unknown("step")?,
                    }
                }
                b.charge(size::<Vec<(String, f64)>>(), f.offset)?;
                steps.params.push(step);
            }
            _ => f.unknown("steps")?,
        }
    }
    Ok(steps)
}

fn parse_types(p: Packed<'_>, f: &Field<'_>) -> R<Vec<ValueType>> {
    p.map(|c| {
        let c = c?;
        type_of_code(c)
            .ok_or_else(|| WireError::unsupported(f.offset, format!("value type code {c}")))
    })
    .collect()
}

/// How many fields of `number` a record holds (to size a vector once).
fn count(fields: &Fields<'_>, number: u32) -> usize {
    fields
        .clone()
        .filter(|f| matches!(f, Ok(f) if f.number == number))
        .count()
}

fn parse_plot(fields: Fields<'_>, b: &mut Budget) -> R<PlotMeta> {
    let mut seen = Seen::default();
    let mut p = PlotMeta::default();
    let vars = count(&fields, 7);
    b.charge(vars.saturating_mul(size::<Variable>()), 0)?;
    p.header.variables.reserve_exact(vars);
    for f in fields {
        let f = f?;
        if !matches!(f.number, 7 | 8) {
            seen.once(&f, "plot")?;
        }
        let h = &mut p.header;
        match f.number {
            1 => h.title = f.string()?,
            2 => h.date = f.string()?,
            3 => h.plotname = f.string()?,
            4 => h.flags = parse_flags(record_of(&f), b)?,
            5 => h.command = Some(f.string()?),
            6 => h.n_points = f.uint()?,
            7 => {
                let pos = h.variables.len();
                b.charge(f.value.len(), f.offset)?;
                h.variables.push(parse_variable(f.record(), pos, b)?)
            }
            8 => {
                b.charge(size::<(String, String)>() + f.value.len(), f.offset)?;
                h.extra.push(parse_pair(f.record(), "header line")?)
            }
            9 => p.steps = parse_steps(f.record(), b)?,
            10 => p.n_points = f.uint()?,
            11 => {
                b.charge(f.value.len(), f.offset)?;
                p.types = parse_types(f.packed(), &f)?
            }
            _ => f.unknown("plot")?,
        }
    }
    Ok(p)
}

fn parse_param(fields: Fields<'_>) -> R<(String, ParamValue)> {
    let mut seen = Seen::default();
    let (mut name, mut value) = (String::new(), ParamValue::Text(String::new()));
    let mut valued = false;
    for f in fields {
        let f = f?;
        seen.once(&f, "parameter")?;
        match f.number {
            1 => name = f.string()?,
            2 | 4 if valued => {
                return Err(WireError::corrupt(f.offset, "a parameter with two values"))
            }
            2 => {
                value = ParamValue::Number(f.f64()?);
                valued = true;
            }
            4 => {
                value = ParamValue::Text(f.string()?);
                valued = true;
            }
            _ => f.unknown("parameter")?,
        }
    }
    Ok((name, value))
}

/// Parses a job record.
pub fn parse_job(fields: Fields<'_>) -> R<JobMeta> {
    let len = fields
        .clone()
        .map(|f| f.map(|f| f.value.len() + 4).unwrap_or(0))
        .sum();
    parse_job_within(fields, &mut Budget::for_len(len))
}

fn parse_job_within(fields: Fields<'_>, b: &mut Budget) -> R<JobMeta> {
    let mut seen = Seen::default();
    let mut j = JobMeta::default();
    for f in fields {
        let f = f?;
        if !matches!(f.number, 1 | 10) {
            seen.once(&f, "job")?;
        }
        match f.number {
            1 => {
                b.charge(size::<(String, ParamValue)>() + f.value.len(), f.offset)?;
                j.params.push(parse_param(f.record())?)
            }
            2 => j.simulator = f.string()?,
            3 => j.simulator_version = f.string()?,
            4 => {
                let c = f.uint()?;
                j.status = status_of_code(c)
                    .ok_or_else(|| WireError::unsupported(f.offset, format!("job status {c}")))?;
            }
            5 => {
                let c = f.int()?;
                j.exit_code = Some(i32::try_from(c).map_err(|_| {
                    WireError::corrupt(f.offset, format!("exit code {c} out of range"))
                })?);
            }
            6 => j.reason = f.string()?,
            7 => j.wall_s = f.f64()?,
            8 => j.cpu_s = f.f64()?,
            9 => j.log_tail = f.string()?,
            10 => {
                b.charge(size::<(String, f64)>() + f.value.len(), f.offset)?;
                j.measures.push(parse_named_f64(f.record(), "measure")?)
            }
            _ => f.unknown("job")?,
        }
    }
    Ok(j)
}

fn parse_block_ref(fields: Fields<'_>) -> R<BlockRef> {
    let mut seen = Seen::default();
    let mut b = BlockRef::default();
    for f in fields {
        let f = f?;
        seen.once(&f, "block")?;
        match f.number {
            1 => b.plot = len_u32(&f, f.uint()?, "plot index")?,
            2 => b.points = f.uint()?,
            3 => b.len = f.uint()?,
            4 => b.tag = f.value.to_vec(),
            _ => f.unknown("block")?,
        }
    }
    Ok(b)
}

/// Parses a footer record (no check beyond its own fields: see the reader).
pub fn decode_footer(bytes: &[u8], base: u64) -> R<EntryMeta> {
    let b = &mut Budget::for_len(bytes.len());
    let mut seen = Seen::default();
    let mut m = EntryMeta::default();
    for f in Fields::new(bytes, base) {
        let f = f?;
        if !matches!(f.number, 6 | 7) {
            seen.once(&f, "entry")?;
        }
        match f.number {
            1 => m.key = f.string()?,
            2 => {
                let name = f.str()?;
                m.dialect = Dialect::from_name(name)
                    .ok_or_else(|| WireError::unsupported(f.offset, format!("dialect {name:?}")))?;
            }
            3 => {
                m.encoding = match f.uint()? {
                    0 => Encoding::Binary,
                    1 => Encoding::Ascii,
                    c => {
                        return Err(WireError::unsupported(
                            f.offset,
                            format!("encoding code {c}"),
                        ))
                    }
                }
            }
            4 => m.precision = Some(f.f64()?),
            5 => m.job = parse_job_within(f.record(), b)?,
            6 => {
                b.charge(size::<PlotMeta>(), f.offset)?;
                m.plots.push(parse_plot(f.record(), b)?)
            }
            7 => {
                b.charge(size::<BlockRef>() + f.value.len(), f.offset)?;
                m.blocks.push(parse_block_ref(f.record())?)
            }
            9 => {
                let id: [u8; 32] = f.value.try_into().map_err(|_| {
                    WireError::corrupt(
                        f.offset,
                        format!("dictionary id of {} bytes, not 32", f.value.len()),
                    )
                })?;
                m.dictionary = Some(id);
            }
            _ => f.unknown("entry")?,
        }
    }
    Ok(m)
}

/// Parses a block header.
pub fn decode_block_header(bytes: &[u8], base: u64) -> R<BlockHeader> {
    let mut seen = Seen::default();
    let mut h = BlockHeader::default();
    let fields = Fields::new(bytes, base);
    h.columns.reserve_exact(count(&fields, 2));
    for f in fields {
        let f = f?;
        if f.number != 2 {
            seen.once(&f, "block header")?;
        }
        match f.number {
            1 => h.shared_len = f.uint()?,
            2 => {
                let mut s2 = Seen::default();
                let mut c = ColumnCoding {
                    codec: Codec::Zstd,
                    shift: 0,
                    exp2: 0,
                    quantized: false,
                    part_len: 0,
                };
                for g in f.record() {
                    let g = g?;
                    s2.once(&g, "column coding")?;
                    match g.number {
                        1 => {
                            let v = g.uint()?;
                            c.codec = codec_of_code(v).ok_or_else(|| {
                                WireError::unsupported(g.offset, format!("codec code {v}"))
                            })?;
                        }
                        2 => {
                            let v = g.uint()?;
                            c.shift = u8::try_from(v)
                                .map_err(|_| WireError::corrupt(g.offset, format!("shift {v}")))?;
                        }
                        3 => c.quantized = g.bool()?,
                        4 => c.part_len = g.uint()?,
                        5 => {
                            let v = g.int()?;
                            c.exp2 = i32::try_from(v).map_err(|_| {
                                WireError::corrupt(g.offset, format!("exponent {v}"))
                            })?;
                        }
                        _ => g.unknown("column coding")?,
                    }
                }
                h.columns.push(c);
            }
            _ => f.unknown("block header")?,
        }
    }
    Ok(h)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample_meta() -> EntryMeta {
        let mut vars = vec![
            Variable::new(0, "time", "time"),
            Variable::new(1, "V(out)", "voltage"),
            Variable::new(2, "weird", "odd-type"),
        ];
        vars[1].extra = vec!["grid=3".into(), "dims=2".into()];
        vars[2].kind = VarKind::Power; // not what the type name says
        vars[2].index = 7;
        EntryMeta {
            key: "k".into(),
            dialect: Dialect::Ltspice,
            encoding: Encoding::Ascii,
            precision: Some(1e-9),
            job: JobMeta {
                params: vec![
                    ("r1".into(), ParamValue::Number(1e3)),
                    ("corner".into(), ParamValue::from("ss")),
                    ("empty".into(), ParamValue::from("")),
                ],
                simulator: "ngspice".into(),
                simulator_version: "44".into(),
                status: JobStatus::Cancelled,
                exit_code: Some(-9),
                reason: "user".into(),
                wall_s: 1.5,
                cpu_s: -0.0,
                log_tail: "a\nb".into(),
                measures: vec![("vmax".into(), f64::NAN), ("t50".into(), 2e-5)],
            },
            plots: vec![PlotMeta {
                header: PlotHeader {
                    title: "t".into(),
                    date: "d".into(),
                    plotname: "Transient Analysis".into(),
                    flags: Flags {
                        fastaccess: true,
                        double: true,
                        ..Flags::default()
                    },
                    command: Some(String::new()),
                    n_points: 9,
                    variables: vars,
                    extra: vec![("Offset".into(), "0".into()), (String::new(), "x".into())],
                },
                steps: Steps {
                    starts: vec![0, 4, 4, 8],
                    total: 9,
                    params: vec![
                        vec![("r".into(), 1.0)],
                        vec![],
                        vec![],
                        vec![("r".into(), 3.0)],
                    ],
                },
                n_points: 8,
                types: vec![ValueType::F64, ValueType::F32, ValueType::C64],
            }],
            blocks: vec![BlockRef {
                plot: 0,
                points: 8,
                len: 99,
                tag: vec![1; 16],
            }],
            dictionary: Some([0xd1; 32]),
        }
    }

    fn same(a: &EntryMeta, b: &EntryMeta) {
        // NaN measures compare by bits.
        let bits = |m: &EntryMeta| -> Vec<u64> {
            m.job.measures.iter().map(|(_, v)| v.to_bits()).collect()
        };
        assert_eq!(bits(a), bits(b));
        let strip = |m: &EntryMeta| {
            let mut m = m.clone();
            m.job.measures.iter_mut().for_each(|x| x.1 = 0.0);
            m
        };
        assert_eq!(strip(a), strip(b));
    }

    #[test]
    fn footer_round_trips_every_field() {
        let m = sample_meta();
        let bytes = encode_footer(&m);
        same(&decode_footer(&bytes, 0).unwrap(), &m);
        same(
            &decode_footer(&encode_footer(&EntryMeta::default()), 0).unwrap(),
            &EntryMeta {
                dialect: Dialect::Ngspice,
                ..EntryMeta::default()
            },
        );
    }

    #[test]
    fn unknown_even_fields_are_skipped_odd_ones_refused() {
        let m = sample_meta();
        let mut with_extra = RecordWriter::new();
        with_extra
            .raw(&encode_footer(&m))
            .str(100, "from a newer build");
        same(&decode_footer(with_extra.as_bytes(), 0).unwrap(), &m);
        let mut required = RecordWriter::new();
        required.raw(&encode_footer(&m)).uint(101, 1);
        let e = decode_footer(required.as_bytes(), 0).unwrap_err();
        assert!(e.unsupported, "{e}");
        // A single field twice is corrupt.
        let mut twice = RecordWriter::new();
        twice.raw(&encode_footer(&m)).str(1, "other key");
        assert!(!decode_footer(twice.as_bytes(), 0).unwrap_err().unsupported);
    }

    #[test]
    fn a_footer_of_empty_records_is_refused_before_it_amplifies() {
        // 1M empty variables: 2 MB of input would be 90 MB of memory.
        let mut plot = RecordWriter::new();
        for _ in 0..1_000_000 {
            plot.bytes(7, &[]);
        }
        let mut f = RecordWriter::new();
        f.record(6, &plot);
        let e = decode_footer(f.as_bytes(), 0).unwrap_err();
        assert!(e.what.contains("more elements"), "{e}");
        // 1M one-byte step starts (a stepped .op) are an honest footer.
        let mut steps = RecordWriter::new();
        steps.packed(1, std::iter::repeat_n(1, 1_000_000));
        let mut plot = RecordWriter::new();
        plot.record(9, &steps);
        let mut f = RecordWriter::new();
        f.record(6, &plot);
        let m = decode_footer(f.as_bytes(), 0).unwrap();
        assert_eq!(m.plots[0].steps.starts.len(), 1_000_000);
    }

    #[test]
    fn codes_round_trip() {
        for c in Codec::ALL
            .into_iter()
            .chain((1..=8).map(Codec::OrdDeltaShuffleZstd))
            .chain((1..=8).map(Codec::IntDeltaShuffleZstd))
        {
            assert_eq!(codec_of_code(codec_code(c)), Some(c));
        }
        assert_eq!(codec_of_code(16), None);
        assert_eq!(codec_of_code(25), None);
        assert_eq!(codec_of_code(32), None);
        assert_eq!(codec_of_code(41), None);
        for t in [
            ValueType::F32,
            ValueType::F64,
            ValueType::C32,
            ValueType::C64,
        ] {
            assert_eq!(type_of_code(type_code(t)), Some(t));
        }
        for k in KINDS {
            assert_eq!(kind_of_name(k.name()), k);
        }
        let h = BlockHeader {
            shared_len: 12,
            columns: vec![
                ColumnCoding {
                    codec: Codec::OrdDeltaShuffleZstd(5),
                    shift: 29,
                    exp2: 0,
                    quantized: true,
                    part_len: 0,
                },
                ColumnCoding {
                    codec: Codec::Pco,
                    shift: 0,
                    exp2: 0,
                    quantized: false,
                    part_len: 77,
                },
                ColumnCoding {
                    codec: Codec::IntDeltaShuffleZstd(3),
                    shift: 0,
                    exp2: -69,
                    quantized: false,
                    part_len: 0,
                },
            ],
        };
        assert_eq!(decode_block_header(&encode_block_header(&h), 0).unwrap(), h);
    }
}
