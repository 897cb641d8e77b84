//! The footer forms the writer picks (plain, zstd-packed, plain naming a
//! campaign dictionary) each read back bit for bit; a meta over the limit
//! is refused naming the key; bad encode options are refused naming the
//! value; dictionary frames decoding to another size are refused; codec and
//! status names for reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::{
    decode_entry, decode_entry_with, encode_entry, CacheError, Codec, CodecChoice, Dictionary,
    EncodeOptions, Entry, EntryReader, JobMeta, JobStatus, ParamValue, MAX_BLOCK_BYTES,
    MAX_DELTA_ORDER, MAX_FOOTER_BYTES,
};
use common::{key, make_entry, same_bits, Rng};
use proptest::prelude::*;
use std::collections::HashSet;

/// The form byte of an entry's footer (0 plain, 1 zstd, 2 dictionary).
fn footer_form(b: &[u8]) -> u8 {
    let end = b.len() - 20;
    let len = u32::from_le_bytes([b[end], b[end + 1], b[end + 2], b[end + 3]]) as usize;
    b[end - len]
}

/// An entry whose meta is large and repetitive: many parameters and measures.
fn wide_meta_entry(seed: u64) -> Entry {
    let mut e = make_entry(seed, 50);
    for i in 0..1500 {
        e.meta
            .params
            .push((format!("param_{i:05}"), ParamValue::Number(i as f64 * 0.5)));
        e.meta.measures.push((format!("measure_{i:05}"), 1.0));
    }
    e
}

#[test]
fn a_large_meta_is_packed_with_zstd_and_reads_back() {
    let k = key(1);
    let e = wide_meta_entry(1);
    let bytes = encode_entry(&k, &e, &EncodeOptions::default()).unwrap();
    assert_eq!(footer_form(&bytes), 1);
    let back = decode_entry(&bytes, &k, None).unwrap();
    assert!(same_bits(&back, &e));
    // A small meta stays plain.
    let small = make_entry(2, 50);
    let bytes = encode_entry(&k, &small, &EncodeOptions::default()).unwrap();
    assert_eq!(footer_form(&bytes), 0);
    assert!(same_bits(&decode_entry(&bytes, &k, None).unwrap(), &small));
}

#[test]
fn a_meta_over_the_limit_is_refused_naming_the_key() {
    let k = key(3);
    let mut e = make_entry(3, 10);
    e.meta.log_tail = "x".repeat(MAX_FOOTER_BYTES + 1);
    match encode_entry(&k, &e, &EncodeOptions::default()) {
        Err(CacheError::Encode { key: got, what }) => {
            assert_eq!(got, k);
            assert!(
                what.contains(&format!("over the limit of {MAX_FOOTER_BYTES}")),
                "{what}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A raw-content dictionary of text that shares nothing with the entries.
fn raw_dictionary(seed: u64) -> Dictionary {
    let mut rng = Rng(seed);
    let bytes: Vec<u8> = (0..4096).map(|_| (rng.next() % 251) as u8).collect();
    Dictionary::from_bytes(bytes)
}

#[test]
fn a_small_meta_with_a_dictionary_is_plain_and_names_it() {
    let d = raw_dictionary(7);
    let other = raw_dictionary(8);
    let k = key(4);
    // One plot of one point of one vector: a footer of little text.
    let e = Entry {
        result: waveform::SimResult {
            plots: vec![waveform::Plot {
                header: waveform::PlotHeader {
                    plotname: "x".into(),
                    n_points: 1,
                    variables: vec![waveform::Variable::new(0, "t", "time")],
                    ..waveform::PlotHeader::default()
                },
                columns: vec![waveform::Column::F64(vec![-0.0])],
                steps: waveform::Steps::single(1),
            }],
            ..waveform::SimResult::default()
        },
        meta: JobMeta::default(),
    };
    let opts = EncodeOptions {
        dictionary: Some(d.clone()),
        ..EncodeOptions::default()
    };
    let bytes = encode_entry(&k, &e, &opts).unwrap();
    // The footer did not shrink under the dictionary: plain, with field 9.
    assert_eq!(footer_form(&bytes), 0);
    assert_eq!(
        cache_zstd::entry_dictionary_id(&bytes, &k, None).unwrap(),
        Some(*d.id())
    );
    let back = decode_entry_with(&bytes, &k, None, &d).unwrap();
    assert!(same_bits(&back, &e));
    let both = [other.clone(), d.clone()];
    assert!(same_bits(
        &decode_entry_with(&bytes, &k, None, &both[..]).unwrap(),
        &e
    ));
    // Without it, with another one, or with none at all: the id is named.
    let none: Option<&Dictionary> = None;
    for r in [
        decode_entry(&bytes, &k, None).map(|_| ()),
        decode_entry_with(&bytes, &k, None, &other).map(|_| ()),
        decode_entry_with(&bytes, &k, None, &none).map(|_| ()),
        EntryReader::open_with(&bytes[..], &k, None, &Some(&other)).map(|_| ()),
    ] {
        match r {
            Err(CacheError::DictionaryMissing { key: got, id }) => {
                assert_eq!(got, k);
                assert_eq!(id, d.id_hex());
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        format!("{d:?}"),
        format!("Dictionary({}, 4096 bytes)", d.id_hex())
    );
}

#[test]
fn dictionary_objects_and_frames_check_their_sizes() {
    let d = raw_dictionary(9);
    // Incompressible bytes: the object stores them as they are.
    let object = d.to_object();
    let back = Dictionary::from_object(&object, d.id()).unwrap();
    assert_eq!(back, d);
    assert_eq!(back.bytes(), d.bytes());
    let data: Vec<u8> = (0..10_000u32)
        .flat_map(|i| (i % 97).to_le_bytes())
        .collect();
    let frame = d.compress(&data, 3).unwrap();
    assert_eq!(d.decompress(&frame, data.len()).unwrap(), data);
    match d.decompress(&frame, data.len() + 5) {
        Err(CacheError::Dictionary { id, what }) => {
            assert_eq!(id, d.id_hex());
            assert_eq!(
                what,
                format!(
                    "zstd frame decodes to {} bytes, {} declared",
                    data.len(),
                    data.len() + 5
                )
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        d.decompress(&frame, data.len() - 1),
        Err(CacheError::Dictionary { .. })
    ));
}

#[test]
fn bad_options_are_refused_naming_the_value() {
    let bad = |o: EncodeOptions| match encode_entry(&key(5), &make_entry(5, 4), &o) {
        Err(CacheError::Options(m)) => m,
        other => panic!("{other:?}"),
    };
    let d = EncodeOptions::default;
    assert_eq!(
        bad(EncodeOptions {
            zstd_level: 0,
            ..d()
        }),
        "zstd level 0 is outside 1..=22"
    );
    assert_eq!(
        bad(EncodeOptions {
            zstd_level: 23,
            ..d()
        }),
        "zstd level 23 is outside 1..=22"
    );
    assert_eq!(
        bad(EncodeOptions {
            pco_level: 13,
            ..d()
        }),
        "pco level 13 is outside 0..=12"
    );
    for k in [0, MAX_DELTA_ORDER + 1] {
        let c = Codec::OrdDeltaShuffleZstd(k);
        assert!(!c.is_valid());
        assert_eq!(
            bad(EncodeOptions {
                codecs: CodecChoice::Fixed(c),
                ..d()
            }),
            format!("codec {c:?} is not valid")
        );
    }
    for b in [0, MAX_BLOCK_BYTES + 1] {
        assert_eq!(
            bad(EncodeOptions {
                block_bytes: b,
                ..d()
            }),
            format!("block size {b} is outside 1..={MAX_BLOCK_BYTES} bytes")
        );
    }
    // The limits themselves are accepted.
    for o in [
        EncodeOptions {
            zstd_level: 22,
            pco_level: 0,
            block_bytes: 1,
            ..d()
        },
        EncodeOptions {
            zstd_level: 1,
            pco_level: 12,
            block_bytes: MAX_BLOCK_BYTES,
            ..d()
        },
    ] {
        o.validate().unwrap();
    }
}

/// Every fixed codec but `OrdDeltaShuffleZstd`, in their order of
/// declaration.
fn fixed_codecs_but_ord_delta() -> Vec<Codec> {
    vec![
        Codec::Zstd,
        Codec::ShuffleZstd,
        Codec::DeltaShuffleZstd,
        Codec::Delta2ShuffleZstd,
        Codec::XorShuffleZstd,
        Codec::Pco,
    ]
}

#[test]
fn codec_and_status_names_are_distinct_report_words() {
    let mut all = fixed_codecs_but_ord_delta();
    all.extend((1..=MAX_DELTA_ORDER).map(Codec::OrdDeltaShuffleZstd));
    let names: Vec<&str> = all.iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "zstd",
            "shuffle+zstd",
            "delta+shuffle+zstd",
            "delta2+shuffle+zstd",
            "xor+shuffle+zstd",
            "pco",
            "ord-delta1+shuffle+zstd",
            "ord-delta2+shuffle+zstd",
            "ord-delta3+shuffle+zstd",
            "ord-delta4+shuffle+zstd",
            "ord-delta5+shuffle+zstd",
            "ord-delta6+shuffle+zstd",
            "ord-delta7+shuffle+zstd",
            "ord-delta8+shuffle+zstd",
        ]
    );
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
    assert_eq!(
        Codec::OrdDeltaShuffleZstd(0).name(),
        "ord-delta?+shuffle+zstd"
    );
    let statuses: Vec<String> = [
        JobStatus::Ok,
        JobStatus::Failed,
        JobStatus::TimedOut,
        JobStatus::Cancelled,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(statuses, ["ok", "failed", "timed out", "cancelled"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Every fixed codec (every difference order included) round-trips an
    /// entry with a packed footer bit for bit, at any block size.
    #[test]
    fn every_codec_round_trips_with_a_packed_footer(
        seed in 0u64..1000,
        order in 1u8..=MAX_DELTA_ORDER,
        block_bytes in prop::sample::select(vec![64usize, 1000, 1 << 20]),
        level in 1i32..=5,
    ) {
        let e = wide_meta_entry(seed);
        let k = key(seed);
        let mut codecs = fixed_codecs_but_ord_delta();
        codecs.push(Codec::OrdDeltaShuffleZstd(order));
        codecs.rotate_left((seed % 7) as usize);
        for c in codecs.into_iter().take(2) {
            let opts = EncodeOptions {
                codecs: CodecChoice::Fixed(c),
                block_bytes,
                zstd_level: level,
                ..EncodeOptions::default()
            };
            let bytes = encode_entry(&k, &e, &opts).unwrap();
            prop_assert_eq!(footer_form(&bytes), 1);
            let back = decode_entry(&bytes, &k, None).unwrap();
            prop_assert!(same_bits(&back, &e), "{:?}", c);
            // the codec asked for is the one every block's columns used
            let mut rd = EntryReader::open(&bytes[..], &k, None).unwrap();
            let mut blocks = 0;
            while let Some(b) = rd.next_block().unwrap() {
                prop_assert!(b.codecs.iter().all(|&x| x == c), "{:?}: {:?}", c, b.codecs);
                blocks += 1;
            }
            prop_assert!(blocks > 0);
        }
    }
}
