//! Committed reference entries (`fixtures/cache/v3/`, `fixtures/cache/v4/`)
//! decode with the values they were written with, and the footer's rule
//! for adding fields holds both ways: entries written before a field was
//! added read with its default, entries written after read here without
//! it; a required field or another format version is a miss left in place.
//!
//! The v4 references are written by `write_v4_reference_entries` (ignored;
//! run it with `--ignored` only when the format version changes, never to
//! make a failing test pass); the campaign dictionary reference
//! (`dictionary.splc` and its object `dictionary.spld`) by
//! `write_v4_dictionary_reference`, once, when dictionaries were added;
//! the integer codec reference (`int_codec.splc`) by
//! `write_v4_int_codec_reference`, once, when that codec was added.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::parts::{raw_footer, seal_raw, EntryParts};
use cache_zstd::tlv::{Fields, RecordWriter, WireError};
use cache_zstd::wire::{encode_footer, job_record, parse_job};
use cache_zstd::{
    decode_entry, decode_entry_with, dictionary_samples, encode_entry, entry_dictionary_id,
    CacheError, Codec, Dictionary, DiskStore, EncodeOptions, Entry, EntryReader, JobMeta,
    JobStatus, ParamValue, ResultCache,
};
use common::{column_bits, dir, read, ref_key, same_bits, secret};
use waveform::{
    Column, Complex32, Complex64, Dialect, Encoding, Flags, Plot, PlotHeader, SimResult, Steps,
    Variable,
};

/// The result of the reference entries (the same in v3 and v4): a stepped
/// LTspice-style transient with fastaccess and double flags, step
/// parameters, an f32 column and variable extras, and a complex AC plot.
fn reference_result() -> SimResult {
    let n = 40usize;
    let mut vars = vec![
        Variable::new(0, "time", "time"),
        Variable::new(1, "V(out)", "voltage"),
        Variable::new(2, "I(R1)", "device_current"),
    ];
    vars[1].extra = vec!["grid=3".into()];
    let tran = Plot {
        header: PlotHeader {
            title: "* v3 reference".into(),
            date: "Thu Jan  1 00:00:00 2026".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real forward stepped fastaccess double"),
            command: Some("LTspice 24".into()),
            n_points: n as u64,
            variables: vars,
            extra: vec![("Offset".into(), "0.0".into())],
        },
        columns: vec![
            Column::F64((0..n).map(|i| (i % 20) as f64 * 1e-6).collect()),
            Column::F64((0..n).map(|i| (i as f64 * 0.1).sin()).collect()),
            Column::F32((0..n).map(|i| i as f32 * 1e-3).collect()),
        ],
        steps: Steps {
            starts: vec![0, 20],
            total: n as u64,
            params: vec![vec![("r1".into(), 1000.0)], vec![("r1".into(), 2000.0)]],
        },
    };
    let m = 5usize;
    let ac = Plot {
        header: PlotHeader {
            title: "* v3 reference".into(),
            plotname: "AC Analysis".into(),
            flags: Flags::parse("complex"),
            n_points: m as u64,
            variables: vec![
                Variable::new(0, "frequency", "frequency"),
                Variable::new(1, "V(out)", "voltage"),
                Variable::new(2, "V(x)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::C64(
                (0..m)
                    .map(|k| Complex64 {
                        re: 10f64.powi(k as i32),
                        im: 0.0,
                    })
                    .collect(),
            ),
            Column::C64(
                (0..m)
                    .map(|k| Complex64 {
                        re: 1.0 / (1.0 + k as f64),
                        im: -(k as f64),
                    })
                    .collect(),
            ),
            Column::C32(
                (0..m)
                    .map(|k| Complex32 {
                        re: k as f32 * 0.5,
                        im: -0.25,
                    })
                    .collect(),
            ),
        ],
        steps: Steps::single(m as u64),
    };
    SimResult {
        dialect: Dialect::Ltspice,
        encoding: Encoding::Binary,
        plots: vec![tran, ac],
    }
}

/// What the v3 references' job reads as now: v3 parameters were text.
fn v3_job() -> JobMeta {
    JobMeta {
        params: vec![
            ("r1".into(), ParamValue::from("1k")),
            ("corner".into(), ParamValue::from("tt")),
        ],
        simulator_version: "ngspice-44".into(),
        status: JobStatus::TimedOut,
        log_tail: "line1\nline2\n".into(),
        ..JobMeta::default()
    }
}

/// The v4 references' job: every field set.
fn v4_job() -> JobMeta {
    JobMeta {
        params: vec![
            ("r1".into(), ParamValue::Number(1e3)),
            ("corner".into(), ParamValue::from("tt")),
        ],
        simulator: "ngspice".into(),
        simulator_version: "44".into(),
        status: JobStatus::Failed,
        exit_code: Some(1),
        reason: "ngspice exited 1: singular matrix".into(),
        wall_s: 1.25,
        cpu_s: 0.5,
        log_tail: "line1\nline2\n".into(),
        measures: vec![("vmax".into(), 1.02), ("t50".into(), 2.5e-5)],
    }
}

/// A longer result, for the multi-block reference: 3000 points, with a
/// precision bound.
fn blocks_result() -> SimResult {
    let n = 3000usize;
    let t: Vec<f64> = (0..n).map(|i| i as f64 * 1e-7).collect();
    let v: Vec<f64> = t.iter().map(|t| (t * 2e5).sin() * 0.9 + 0.1).collect();
    let plot = Plot {
        header: PlotHeader {
            title: "* blocks".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(out)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(t), Column::F64(v)],
        steps: Steps::single(n as u64),
    };
    SimResult {
        plots: vec![plot],
        ..SimResult::default()
    }
}

const BLOCKS_BOUND: f64 = 1e-6;

fn blocks_opts() -> EncodeOptions {
    EncodeOptions {
        precision: Some(BLOCKS_BOUND),
        block_bytes: 4096,
        ..EncodeOptions::default()
    }
}

#[test]
#[ignore = "writes fixtures/cache/v4 (run once per format version)"]
fn write_v4_reference_entries() {
    let d = dir("v4");
    std::fs::create_dir_all(&d).unwrap();
    let e = Entry {
        result: reference_result(),
        meta: v4_job(),
    };
    let k = ref_key();
    let plain = encode_entry(&k, &e, &EncodeOptions::default()).unwrap();
    std::fs::write(d.join("synthetic.splc"), plain).unwrap();
    let o = EncodeOptions {
        secret: Some(secret()),
        ..EncodeOptions::default()
    };
    std::fs::write(
        d.join("synthetic_hmac.splc"),
        encode_entry(&k, &e, &o).unwrap(),
    )
    .unwrap();
    let b = Entry {
        result: blocks_result(),
        meta: v4_job(),
    };
    std::fs::write(
        d.join("blocks_lossy.splc"),
        encode_entry(&k, &b, &blocks_opts()).unwrap(),
    )
    .unwrap();
}

/// The reference campaign dictionary: raw content, the samples of the
/// plain reference entry (its footer record and shared frames).
fn reference_dictionary() -> Dictionary {
    let k = ref_key();
    let e = Entry {
        result: reference_result(),
        meta: v4_job(),
    };
    let plain = encode_entry(&k, &e, &EncodeOptions::default()).unwrap();
    Dictionary::from_bytes(dictionary_samples(&plain, &k, None, &()).unwrap().concat())
}

#[test]
#[ignore = "writes fixtures/cache/v4/dictionary.* (run once, when dictionaries were added)"]
fn write_v4_dictionary_reference() {
    let d = dir("v4");
    let dict = reference_dictionary();
    let e = Entry {
        result: reference_result(),
        meta: v4_job(),
    };
    let o = EncodeOptions {
        dictionary: Some(dict.clone()),
        ..EncodeOptions::default()
    };
    std::fs::write(
        d.join("dictionary.splc"),
        encode_entry(&ref_key(), &e, &o).unwrap(),
    )
    .unwrap();
    std::fs::write(d.join("dictionary.spld"), dict.to_object()).unwrap();
}

#[test]
fn v4_dictionary_reference_decodes_with_its_dictionary() {
    let k = ref_key();
    let bytes = read("v4", "dictionary.splc");
    // Footer form 2: coded with the dictionary, its id after the form byte.
    assert_eq!(footer_form(&bytes), 2);
    let id = entry_dictionary_id(&bytes, &k, None).unwrap().unwrap();
    // The object is checked against the id (its sha256) the entry names.
    let dict = Dictionary::from_object(&read("v4", "dictionary.spld"), &id).unwrap();
    assert_eq!(dict.id(), &id);
    let want = Entry {
        result: reference_result(),
        meta: v4_job(),
    };
    assert!(same_bits(
        &decode_entry_with(&bytes, &k, None, &dict).unwrap(),
        &want
    ));
    match decode_entry(&bytes, &k, None) {
        Err(CacheError::DictionaryMissing { id: hex, .. }) => assert_eq!(hex, dict.id_hex()),
        other => panic!("{other:?}"),
    }
    // In a store: a kept miss until the dictionary object is there.
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    store.put_envelope(&k, &bytes).unwrap();
    assert!(store.get(&k).unwrap().is_none());
    assert!(store.contains(&k).unwrap());
    store.put_dictionary(&dict).unwrap();
    assert!(same_bits(&store.get(&k).unwrap().unwrap(), &want));
}

/// The form byte of a v4 checksum entry's footer (0 plain, 1 zstd, 2 dictionary).
fn footer_form(b: &[u8]) -> u8 {
    let end = b.len() - 20;
    let len = u32::from_le_bytes([b[end], b[end + 1], b[end + 2], b[end + 3]]) as usize;
    b[end - len]
}

#[test]
fn v3_reference_entries_decode_with_their_values() {
    let want = Entry {
        result: reference_result(),
        meta: v3_job(),
    };
    let k = ref_key();
    let plain = read("v3", "synthetic.splc");
    assert_eq!(u16::from_le_bytes([plain[4], plain[5]]), 3);
    let got = decode_entry(&plain, &k, None).unwrap();
    assert!(same_bits(&got, &want), "{got:#?}");
    let signed = read("v3", "synthetic_hmac.splc");
    assert!(same_bits(
        &decode_entry(&signed, &k, Some(&secret())).unwrap(),
        &want
    ));
    assert!(matches!(
        decode_entry(&signed, &k, None),
        Err(CacheError::Unauthenticated { .. })
    ));
    // Streaming: one block per plot, the codecs v3 chose.
    let mut r = EntryReader::open(&plain[..], &k, None).unwrap();
    assert_eq!(r.version(), 3);
    assert_eq!(r.meta().plots[0].steps.params[1][0].1, 2000.0);
    let b = r.next_block().unwrap().unwrap();
    assert_eq!((b.plot, b.start, b.len(), b.codecs.len()), (0, 0, 40, 3));
    assert_eq!(r.next_block().unwrap().unwrap().plot, 1);
    assert!(r.next_block().unwrap().is_none());
    // A flipped byte is still found.
    let mut bad = plain.clone();
    bad[40] ^= 1;
    assert!(decode_entry(&bad, &k, None).unwrap_err().is_bad_entry());
}

#[test]
fn v4_reference_entries_decode_with_their_values() {
    let want = Entry {
        result: reference_result(),
        meta: v4_job(),
    };
    let k = ref_key();
    let plain = read("v4", "synthetic.splc");
    assert_eq!(u16::from_le_bytes([plain[4], plain[5]]), 4);
    // Both footer forms are covered: zstd here, plain in blocks_lossy.
    assert_eq!(footer_form(&plain), 1);
    assert_eq!(footer_form(&read("v4", "blocks_lossy.splc")), 0);
    assert!(same_bits(&decode_entry(&plain, &k, None).unwrap(), &want));
    let signed = read("v4", "synthetic_hmac.splc");
    assert!(same_bits(
        &decode_entry(&signed, &k, Some(&secret())).unwrap(),
        &want
    ));
    // The multi-block, lossy one: scale exact, values within the bound.
    let bytes = read("v4", "blocks_lossy.splc");
    let mut r = EntryReader::open(&bytes[..], &k, None).unwrap();
    assert_eq!(r.meta().precision, Some(BLOCKS_BOUND));
    assert!(r.meta().blocks.len() >= 10, "{}", r.meta().blocks.len());
    let want = blocks_result();
    let mut at = 0usize;
    while let Some(b) = r.next_block().unwrap() {
        assert_eq!(b.start as usize, at);
        let n = b.len();
        let (t, v) = (&want.plots[0].columns[0], &want.plots[0].columns[1]);
        for i in 0..n {
            assert_eq!(
                b.columns[0].get_f64(i).map(f64::to_bits),
                t.get_f64(at + i).map(f64::to_bits)
            );
            let (x, y) = (v.get_f64(at + i).unwrap(), b.columns[1].get_f64(i).unwrap());
            assert!((y - x).abs() <= BLOCKS_BOUND * x.abs(), "{x} {y}");
        }
        at += n;
    }
    assert_eq!(at, 3000);
    assert_eq!(decode_entry(&bytes, &k, None).unwrap().meta, v4_job());
}

/// A result whose value columns lie on binary quanta, as a simulator's
/// fixed-point output does: an f32 current on 2^-24 A, an f64 voltage on
/// 2^-20 V, and a negative exponent and a positive one (a count of 4s).
fn int_codec_result() -> SimResult {
    let n = 2000usize;
    let q32 = 2f32.powi(-24);
    let q64 = 2f64.powi(-20);
    let plot = Plot {
        header: PlotHeader {
            title: "* integer codec".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "i(vdd)", "current"),
                Variable::new(2, "v(out)", "voltage"),
                Variable::new(3, "count", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64((0..n).map(|i| i as f64 * 1e-9).collect()),
            Column::F32(
                (0..n)
                    .map(|k| ((-1e-2f32 * (-(k as f32) / 200.0).exp()) / q32).round() * q32)
                    .collect(),
            ),
            Column::F64(
                (0..n)
                    .map(|k| ((k as f64 * 0.01).sin() * 0.9 / q64).round() * q64)
                    .collect(),
            ),
            Column::F64((0..n).map(|k| (4 * (k / 7)) as f64).collect()),
        ],
        steps: Steps::single(n as u64),
    };
    SimResult {
        plots: vec![plot],
        ..SimResult::default()
    }
}

#[test]
#[ignore = "writes fixtures/cache/v4/int_codec.splc (run once, when the integer codec was added)"]
fn write_v4_int_codec_reference() {
    let e = Entry {
        result: int_codec_result(),
        meta: v4_job(),
    };
    std::fs::write(
        dir("v4").join("int_codec.splc"),
        encode_entry(&ref_key(), &e, &EncodeOptions::default()).unwrap(),
    )
    .unwrap();
}

#[test]
fn v4_int_codec_reference_decodes_with_its_values() {
    let k = ref_key();
    let bytes = read("v4", "int_codec.splc");
    let want = Entry {
        result: int_codec_result(),
        meta: v4_job(),
    };
    assert!(same_bits(&decode_entry(&bytes, &k, None).unwrap(), &want));
    // Written by Auto: the three quantised columns took the integer codec
    // in every block (so its wire codes 33..=40 and exponent field are
    // what is read here), the time column did not.
    let mut r = EntryReader::open(&bytes[..], &k, None).unwrap();
    let mut blocks = 0;
    while let Some(b) = r.next_block().unwrap() {
        blocks += 1;
        assert!(
            !matches!(b.codecs[0], Codec::IntDeltaShuffleZstd(_)),
            "{:?}",
            b.codecs
        );
        for c in &b.codecs[1..] {
            assert!(matches!(c, Codec::IntDeltaShuffleZstd(_)), "{:?}", b.codecs);
        }
    }
    assert!(blocks >= 1);
}

#[test]
fn reference_entries_are_hits_in_a_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    let k = ref_key();
    let path = store.path_of(&k).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    for (v, meta) in [("v3", v3_job()), ("v4", v4_job())] {
        std::fs::copy(dir(v).join("synthetic.splc"), &path).unwrap();
        let got = store.get(&k).unwrap().expect("a hit");
        assert_eq!(got.meta, meta, "{v}");
        let s = store.stats().unwrap();
        assert_eq!((s.entries, s.other_versions), (1, 0), "{v}");
        // 40 points x (8 + 8 + 4) + 5 points x (16 + 16 + 8)
        assert_eq!(s.raw_bytes, 40 * 20 + 5 * 40, "{v}");
        let r = store.verify().unwrap();
        assert_eq!((r.checked, r.ok), (1, 1), "{v}");
    }
}

// ------------------------------------------------------------ adding fields

/// A job record as a later build might write it: this build's fields plus
/// a new one, `cost` (field 12: even, so older readers skip it).
#[derive(Debug, Clone, PartialEq)]
struct JobV5 {
    job: JobMeta,
    cost: f64,
}

const COST_FIELD: u32 = 12;

fn job_v5_record(j: &JobV5) -> RecordWriter {
    let mut r = job_record(&j.job);
    r.f64(COST_FIELD, j.cost);
    r
}

/// That later build's reader: a missing `cost` reads as 0.
fn parse_job_v5(bytes: &[u8]) -> Result<JobV5, WireError> {
    let job = parse_job(Fields::new(bytes, 0))?;
    let mut cost = 0.0;
    for f in Fields::new(bytes, 0) {
        let f = f?;
        if f.number == COST_FIELD {
            cost = f.f64()?;
        }
    }
    Ok(JobV5 { job, cost })
}

/// The job record of an entry's footer (field 5 of the footer), as stored.
fn job_bytes_of(bytes: &[u8]) -> Vec<u8> {
    let footer = raw_footer(bytes).unwrap();
    Fields::new(&footer, 0)
        .map(Result::unwrap)
        .find(|f| f.number == 5)
        .map(|f| f.value.to_vec())
        .unwrap_or_default()
}

/// The entry with its footer's job record replaced by `job` and `extra`
/// fields appended to the footer, tags recomputed.
fn with_footer(bytes: &[u8], k: &str, job: &RecordWriter, extra: &RecordWriter) -> Vec<u8> {
    let parts = EntryParts::split(bytes, k, None).unwrap();
    let footer = encode_footer(&parts.meta);
    let mut out = RecordWriter::new();
    for f in Fields::new(&footer, 0) {
        let f = f.unwrap();
        let mut one = RecordWriter::new();
        if f.number == 5 {
            one.record(5, job);
        } else {
            one.bytes(f.number, f.value);
        }
        out.raw(one.as_bytes());
    }
    if !Fields::new(&footer, 0).any(|f| f.map(|f| f.number == 5).unwrap_or(false)) {
        out.record(5, job);
    }
    out.raw(extra.as_bytes());
    seal_raw(parts.flags, &parts.blocks.concat(), out.as_bytes(), None)
}

#[test]
fn a_field_added_later_reads_both_ways() {
    let k = ref_key();
    let e = common::make_entry(3, 500);
    let before = encode_entry(&k, &e, &EncodeOptions::default()).unwrap();
    // The later reader reads an entry written before `cost` existed.
    let v5 = parse_job_v5(&job_bytes_of(&before)).unwrap();
    assert_eq!(
        v5,
        JobV5 {
            job: e.meta.clone(),
            cost: 0.0
        }
    );
    // The committed v4 reference too.
    let reference = read("v4", "synthetic.splc");
    let v5 = parse_job_v5(&job_bytes_of(&reference)).unwrap();
    assert_eq!((v5.job, v5.cost), (v4_job(), 0.0));
    // An entry written by the later build (its job has `cost`; its footer
    // a new even field too) reads here, the new fields skipped.
    let later = JobV5 {
        job: e.meta.clone(),
        cost: 3.5,
    };
    let mut extra = RecordWriter::new();
    extra.str(100, "a field of the later build's footer");
    let after = with_footer(&before, &k, &job_v5_record(&later), &extra);
    let got = decode_entry(&after, &k, None).unwrap();
    assert!(same_bits(&got, &e));
    assert_eq!(parse_job_v5(&job_bytes_of(&after)).unwrap(), later);
    // And in a store: a hit, counted, verified.
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    store.put_envelope(&k, &after).unwrap();
    assert!(same_bits(&store.get(&k).unwrap().unwrap(), &e));
    assert_eq!(store.stats().unwrap().other_versions, 0);
    assert_eq!(store.verify().unwrap().ok, 1);
}

#[test]
fn required_unknown_fields_and_other_versions_are_kept_counted_misses() {
    let k = ref_key();
    let e = common::make_entry(4, 300);
    let bytes = encode_entry(&k, &e, &EncodeOptions::default()).unwrap();
    // A required (odd) field this build does not know, in the job record.
    let mut job = job_record(&e.meta);
    job.uint(13, 7);
    let required = with_footer(&bytes, &k, &job, &RecordWriter::new());
    let err = decode_entry(&required, &k, None).unwrap_err();
    assert!(
        matches!(err, CacheError::UnsupportedFeature { .. }) && err.is_other_version(),
        "{err}"
    );
    // A future format version (its checksum cannot be known to this build).
    let mut future = bytes.clone();
    future[4..6].copy_from_slice(&(cache_zstd::FORMAT_VERSION + 1).to_le_bytes());
    let err = decode_entry(&future, &k, None).unwrap_err();
    assert!(
        matches!(err, CacheError::UnsupportedVersion { version: 5, .. }),
        "{err}"
    );
    // An old one (before v3).
    let mut old = bytes.clone();
    old[4..6].copy_from_slice(&2u16.to_le_bytes());
    for (i, b) in [required, future, old].iter().enumerate() {
        let tmp = tempfile::tempdir().unwrap();
        let store = DiskStore::new(tmp.path()).unwrap();
        store.put_envelope(&k, b).unwrap();
        let path = store.path_of(&k).unwrap();
        assert!(store.get(&k).unwrap().is_none(), "{i}: a miss");
        assert!(path.exists(), "{i}: left in place");
        let s = store.stats().unwrap();
        assert_eq!((s.entries, s.other_versions, s.raw_bytes), (1, 1, 0), "{i}");
        let r = store.verify().unwrap();
        assert_eq!(
            (r.checked, r.ok, r.skipped.len(), r.removed.len()),
            (1, 0, 1, 0)
        );
        assert!(path.exists(), "{i}: verify leaves it");
        assert!(
            store.read_with(&k, |r| r.read_entry()).unwrap().is_none(),
            "{i}"
        );
    }
}

#[test]
fn reference_columns_keep_every_bit() {
    // The references' f32 column, complex planes and step parameters.
    let k = ref_key();
    let got = decode_entry(&read("v4", "synthetic.splc"), &k, None).unwrap();
    let want = reference_result();
    for (p, q) in got.result.plots.iter().zip(&want.plots) {
        for (a, b) in p.columns.iter().zip(&q.columns) {
            assert_eq!(column_bits(a), column_bits(b));
        }
    }
    let h = &got.result.plots[0].header;
    assert!(h.flags.fastaccess && h.flags.double && h.flags.stepped);
    assert_eq!(
        got.result.plots[0].steps.params[0],
        vec![("r1".to_string(), 1000.0)]
    );
}
