//! The v3 decoder on the committed v3 reference entry, re-sealed with one
//! field of its head or meta changed: every check names the key, the byte
//! offset and what is wrong, and a field the reference does not use (the
//! dialect, the job status) reads as what it says.
//!
//! The meta is read with a frozen copy of v3's layout (postcard writes
//! fields by position); the copy is checked first by re-serialising the
//! reference's meta to the very same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::{decode_entry, CacheError, EntryReader, JobStatus};
use common::{read, ref_key, secret};
use serde::{Deserialize, Serialize};
use waveform::Dialect;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
enum V3Dialect {
    Ngspice,
    Xyce,
    Ltspice,
    Qspice,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
enum V3Encoding {
    Binary,
    Ascii,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
enum V3Status {
    Ok,
    Failed,
    TimedOut,
    Cancelled,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct V3Job {
    params: Vec<(String, String)>,
    simulator_version: String,
    status: V3Status,
    log_tail: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct V3Flags {
    complex: bool,
    forward: bool,
    log: bool,
    stepped: bool,
    fastaccess: bool,
    double: bool,
    words: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
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

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct V3Variable {
    index: usize,
    name: String,
    type_name: String,
    kind: V3Kind,
    extra: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
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

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct V3Steps {
    starts: Vec<u64>,
    total: u64,
    params: Vec<Vec<(String, f64)>>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
enum V3ValueType {
    F32,
    F64,
    C32,
    C64,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
enum V3Codec {
    Zstd,
    ShuffleZstd,
    DeltaShuffleZstd,
    Delta2ShuffleZstd,
    XorShuffleZstd,
    Pco,
    OrdDeltaShuffleZstd(u8),
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct V3Column {
    value_type: V3ValueType,
    codec: V3Codec,
    raw_len: u64,
    compressed_len: u64,
    block_len: u64,
    quantized: bool,
    shift: u8,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct V3Plot {
    header: V3Header,
    steps: V3Steps,
    n_points: u64,
    columns: Vec<V3Column>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct V3Shared {
    raw_len: u64,
    compressed_len: u64,
    block_len: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct V3Meta {
    key: String,
    dialect: V3Dialect,
    encoding: V3Encoding,
    precision: Option<f64>,
    job: V3Job,
    plots: Vec<V3Plot>,
    shared: V3Shared,
}

/// A v3 entry taken apart: flags, meta, the data after the meta.
#[derive(Clone)]
struct V3 {
    flags: u16,
    meta: V3Meta,
    data: Vec<u8>,
}

const HEAD: usize = 12;

impl V3 {
    /// The plain (checksummed) reference entry.
    fn reference() -> V3 {
        let b = read("v3", "synthetic.splc");
        let meta_len = u32::from_le_bytes(b[8..12].try_into().unwrap()) as usize;
        let meta_bytes = &b[HEAD..HEAD + meta_len];
        let meta: V3Meta = postcard::from_bytes(meta_bytes).unwrap();
        assert_eq!(postcard::to_allocvec(&meta).unwrap(), meta_bytes);
        let v = V3 {
            flags: u16::from_le_bytes([b[6], b[7]]),
            meta,
            data: b[HEAD + meta_len..b.len() - 16].to_vec(),
        };
        assert_eq!(v.seal(), b, "re-sealing the reference gives its bytes");
        v
    }

    /// Head, meta and data with the meta's own length.
    fn body(&self) -> Vec<u8> {
        let meta = postcard::to_allocvec(&self.meta).unwrap();
        self.body_with(&meta, meta.len() as u32)
    }

    fn body_with(&self, meta: &[u8], meta_len: u32) -> Vec<u8> {
        let mut b = b"SPLC".to_vec();
        b.extend_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice(&self.flags.to_le_bytes());
        b.extend_from_slice(&meta_len.to_le_bytes());
        b.extend_from_slice(meta);
        b.extend_from_slice(&self.data);
        b
    }

    /// The entry, with its xxh3-128 trailer.
    fn seal(&self) -> Vec<u8> {
        with_checksum(self.body())
    }
}

fn with_checksum(mut body: Vec<u8>) -> Vec<u8> {
    let tag = xxhash_rust::xxh3::xxh3_128(&body).to_le_bytes();
    body.extend_from_slice(&tag);
    body
}

/// The offset and text of the `Corrupt` error decoding `bytes` gives.
fn corrupt(bytes: &[u8]) -> (u64, String) {
    let k = ref_key();
    match decode_entry(bytes, &k, None) {
        Err(CacheError::Corrupt { key, offset, what }) => {
            assert_eq!(key, k);
            // the streaming reader says the same
            match EntryReader::open(bytes, &k, None) {
                Err(CacheError::Corrupt {
                    offset: o, what: w, ..
                }) => assert_eq!((o, &w), (offset, &what)),
                Err(e) => panic!("reader: {e}"),
                Ok(_) => panic!("reader accepted it"),
            }
            (offset, what)
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}

fn meta_end(v: &V3) -> u64 {
    (HEAD + postcard::to_allocvec(&v.meta).unwrap().len()) as u64
}

#[test]
fn the_reference_layout_is_what_the_tests_change() {
    let v = V3::reference();
    assert_eq!(v.flags, 0);
    assert_eq!(v.meta.key, ref_key());
    assert_eq!(v.meta.dialect, V3Dialect::Ltspice);
    assert!(v.meta.precision.is_none());
    assert!(!v.meta.plots.is_empty());
    let codecs: Vec<V3Codec> = v.meta.plots[0].columns.iter().map(|c| c.codec).collect();
    // every column in the shared frame (no pco block)
    assert!(codecs.iter().all(|c| *c != V3Codec::Pco), "{codecs:?}");
}

#[test]
fn head_and_trailer_checks() {
    let v = V3::reference();
    // shorter than a v3 head and trailer
    let mut short = v.seal()[..20].to_vec();
    short.truncate(20);
    assert_eq!(corrupt(&short), (0, "not a v3 entry".into()));

    let mut f = v.clone();
    f.flags = 4;
    assert_eq!(corrupt(&f.seal()), (6, "unknown flags 0x0004".into()));

    let body = v.body();
    let meta_len = postcard::to_allocvec(&v.meta).unwrap().len();
    let left = body.len() - HEAD;
    let meta = body[HEAD..HEAD + meta_len].to_vec();
    let long = with_checksum(v.body_with(&meta, left as u32 + 1));
    assert_eq!(
        corrupt(&long),
        (
            8,
            format!(
                "meta length {} exceeds the {left} bytes left in the entry",
                left + 1
            )
        )
    );

    // one bit of the data flipped: the checksum, at the trailer's offset
    let mut flipped = v.seal();
    let last_data = flipped.len() - 17;
    flipped[last_data] ^= 1;
    let k = ref_key();
    match decode_entry(&flipped, &k, None) {
        Err(CacheError::Integrity { offset, what, .. }) => {
            assert_eq!((offset, what), ((flipped.len() - 16) as u64, "checksum"))
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    // a checksummed entry read with a secret configured
    match decode_entry(&v.seal(), &k, Some(&secret())) {
        Err(e @ CacheError::Unauthenticated { .. }) => assert!(
            e.to_string()
                .contains("entry carries no HMAC but a secret is configured"),
            "{e}"
        ),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn meta_checks() {
    let v = V3::reference();
    let meta = postcard::to_allocvec(&v.meta).unwrap();

    // a byte more in the meta region than the meta reads
    let mut padded = meta.clone();
    padded.push(0);
    let b = with_checksum(v.body_with(&padded, padded.len() as u32));
    assert_eq!(
        corrupt(&b),
        (
            (HEAD + meta.len()) as u64,
            "1 unread bytes at the end of the meta".into()
        )
    );

    // a meta cut short
    let cut = with_checksum(v.body_with(&meta[..10], 10));
    let (offset, what) = corrupt(&cut);
    assert_eq!(offset, HEAD as u64);
    assert!(what.starts_with("meta does not parse: "), "{what}");

    let mut other = v.clone();
    other.meta.key = cache_zstd::key_of(b"another job");
    assert_eq!(
        corrupt(&other.seal()),
        (
            HEAD as u64,
            format!("entry was stored under key {}", other.meta.key)
        )
    );

    let mut lossy = v.clone();
    lossy.flags = 2;
    assert_eq!(
        corrupt(&lossy.seal()),
        (6, "lossy flag disagrees with the meta".into())
    );
}

#[test]
fn length_checks_come_before_any_allocation() {
    let v = V3::reference();

    let mut past = v.clone();
    past.meta.shared.block_len = u64::MAX / 2;
    let end = meta_end(&past);
    assert_eq!(
        corrupt(&past.seal()),
        (end, "shared block runs past the end of the data".into())
    );

    let mut ratio = v.clone();
    ratio.meta.shared.compressed_len = ratio.meta.shared.block_len + 1;
    let end = meta_end(&ratio);
    assert_eq!(
        corrupt(&ratio.seal()),
        (end, "shared frame lengths are implausible".into())
    );

    let mut cols = v.clone();
    let vars = cols.meta.plots[0].header.variables.len();
    cols.meta.plots[0].columns.pop();
    assert_eq!(
        corrupt(&cols.seal()),
        (
            HEAD as u64,
            format!("plot 0: {} columns for {vars} variables", vars - 1)
        )
    );

    let mut extra = v.clone();
    extra.data.push(0);
    let end = meta_end(&extra);
    assert_eq!(
        corrupt(&extra.seal()),
        (end, "block lengths do not fill the entry".into())
    );
}

/// The index of the first column of plot 0 that is (or is not) pco-coded.
fn column(v: &V3, pco: bool) -> usize {
    v.meta.plots[0]
        .columns
        .iter()
        .position(|c| (c.codec == V3Codec::Pco) == pco)
        .unwrap()
}

#[test]
fn column_checks_name_the_plot_and_column() {
    let v = V3::reference();
    let ci = column(&v, false);
    let n = v.meta.plots[0].n_points;

    let mut raw = v.clone();
    raw.meta.plots[0].columns[ci].raw_len += 1;
    let (_, what) = corrupt(&raw.seal());
    assert_eq!(
        what,
        format!(
            "plot 0 column {ci}: raw length {} is not {n} points",
            v.meta.plots[0].columns[ci].raw_len + 1
        )
    );

    let mut shift = v.clone();
    shift.meta.plots[0].columns[ci].shift = 200;
    let (_, what) = corrupt(&shift.seal());
    assert!(
        what.starts_with(&format!("plot 0 column {ci}: invalid codec "))
            && what.ends_with("or shift 200"),
        "{what}"
    );

    let mut order = v.clone();
    order.meta.plots[0].columns[ci].codec = V3Codec::OrdDeltaShuffleZstd(250);
    let (_, what) = corrupt(&order.seal());
    assert!(
        what.contains("invalid codec OrdDeltaShuffleZstd(250)"),
        "{what}"
    );

    let mut quant = v.clone();
    quant.meta.plots[0].columns[ci].quantized = true;
    let (_, what) = corrupt(&quant.seal());
    assert_eq!(
        what,
        format!("plot 0 column {ci}: quantised without a precision bound")
    );

    let mut own = v.clone();
    own.meta.plots[0].columns[ci].block_len = 8;
    let (_, what) = corrupt(&own.seal());
    assert_eq!(
        what,
        format!("plot 0 column {ci}: a column of the shared frame has its own block")
    );
}

#[test]
fn pco_block_checks() {
    // a column turned into a pco block of its own, with lengths that do not fit
    let v = V3::reference();
    let mut past = v.clone();
    let c = &mut past.meta.plots[0].columns[1];
    (c.codec, c.block_len) = (V3Codec::Pco, u64::MAX / 2);
    let (_, what) = corrupt(&past.seal());
    assert_eq!(what, "plot 0 column 1: block runs past the end of the data");

    let mut ratio = v.clone();
    let c = &mut ratio.meta.plots[0].columns[1];
    (c.codec, c.compressed_len, c.block_len) = (V3Codec::Pco, 9, 8);
    // its 8 bytes after the shared frame
    ratio.data.extend_from_slice(&[0; 8]);
    let (_, what) = corrupt(&ratio.seal());
    assert_eq!(what, "plot 0 column 1: block lengths are implausible");
}

#[test]
fn a_damaged_shared_frame_and_an_inconsistent_plot_are_corrupt() {
    let v = V3::reference();
    let end = meta_end(&v);
    // the shared zstd frame starts right after the meta: break its magic
    let mut frame = v.clone();
    assert_eq!(&frame.data[..4], [0x28, 0xb5, 0x2f, 0xfd]);
    frame.data[0] ^= 0xff;
    let (offset, what) = corrupt(&frame.seal());
    assert_eq!(offset, end);
    assert!(what.starts_with("shared frame: "), "{what}");

    // step starts that do not fit the points
    let mut steps = v.clone();
    steps.meta.plots[0].steps.starts = vec![0, 20, 1000];
    let (offset, what) = corrupt(&steps.seal());
    assert_eq!(offset, HEAD as u64);
    assert!(what.starts_with("plot 0: "), "{what}");
}

#[test]
fn dialect_and_status_read_as_they_were_written() {
    let k = ref_key();
    for (d, want) in [
        (V3Dialect::Xyce, Dialect::Xyce),
        (V3Dialect::Ngspice, Dialect::Ngspice),
        (V3Dialect::Qspice, Dialect::Qspice),
    ] {
        let mut v = V3::reference();
        v.meta.dialect = d;
        v.meta.encoding = V3Encoding::Ascii;
        let e = decode_entry(&v.seal(), &k, None).unwrap();
        assert_eq!(e.result.dialect, want);
        assert_eq!(e.result.encoding, waveform::Encoding::Ascii);
    }
    for (s, want) in [
        (V3Status::Ok, JobStatus::Ok),
        (V3Status::Failed, JobStatus::Failed),
        (V3Status::Cancelled, JobStatus::Cancelled),
    ] {
        let mut v = V3::reference();
        v.meta.job.status = s;
        assert_eq!(decode_entry(&v.seal(), &k, None).unwrap().meta.status, want);
    }
    // variable kinds are kept as written, not guessed again from the type name
    let mut v = V3::reference();
    let kinds = [
        (V3Kind::VoltageDensity, waveform::VarKind::VoltageDensity),
        (V3Kind::CurrentDensity, waveform::VarKind::CurrentDensity),
        (V3Kind::Impedance, waveform::VarKind::Impedance),
        (V3Kind::Gain, waveform::VarKind::Gain),
        (V3Kind::Temperature, waveform::VarKind::Temperature),
        (V3Kind::Power, waveform::VarKind::Power),
        (V3Kind::Other, waveform::VarKind::Other),
    ];
    let nvars = v.meta.plots[0].header.variables.len();
    for (i, (k3, _)) in kinds.iter().enumerate().take(nvars) {
        v.meta.plots[0].header.variables[i].kind = k3.clone();
    }
    let e = decode_entry(&v.seal(), &k, None).unwrap();
    for (i, (_, want)) in kinds.iter().enumerate().take(nvars) {
        assert_eq!(e.result.plots[0].header.variables[i].kind, *want, "{i}");
    }
}
