//! Envelope and codec tests: lossless round trips, the precision bound,
//! corrupt and forged envelopes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::parts::EntryParts;
use cache_zstd::{
    decode_entry, encode_entry, read_meta, CacheError, Codec, CodecChoice, EncodeOptions, Entry,
    EntryReader, ParamValue, Secret, HEAD_LEN, MAX_BLOCK_BYTES,
};
use common::{column_bits, key, make_entry, same_bits, Rng};
use proptest::prelude::*;
use waveform::{Column, Complex32, Complex64, Plot, PlotHeader, SimResult, Steps, Variable};

fn special_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => any::<u64>().prop_map(f64::from_bits),
        2 => -1e3f64..1e3,
        1 => prop::sample::select(vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001), // signalling NaN payload
            f64::from_bits(0x7ff8_dead_beef_0001), // quiet NaN payload
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
        ]),
        1 => (1u64..(1u64 << 52)).prop_map(f64::from_bits), // subnormals
        1 => (1u64..(1u64 << 52)).prop_map(|b| -f64::from_bits(b)),
    ]
}

fn special_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => any::<u32>().prop_map(f32::from_bits),
        2 => -1e3f32..1e3,
        1 => prop::sample::select(vec![
            0.0f32,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::from_bits(0x7f80_0001),
            f32::from_bits(0xffc0_1234),
            f32::MIN_POSITIVE,
            f32::MAX,
        ]),
        1 => (1u32..(1u32 << 23)).prop_map(f32::from_bits),
    ]
}

/// A column of `n` values of a random type; a "smooth" flag makes runs of
/// slowly varying values, where the delta codecs and pco win.
fn column(n: usize) -> impl Strategy<Value = Column> {
    prop_oneof![
        prop::collection::vec(special_f64(), n).prop_map(Column::F64),
        prop::collection::vec(special_f32(), n).prop_map(Column::F32),
        prop::collection::vec((special_f64(), special_f64()), n).prop_map(|v| Column::C64(
            v.into_iter().map(|(re, im)| Complex64 { re, im }).collect()
        )),
        prop::collection::vec((special_f32(), special_f32()), n).prop_map(|v| Column::C32(
            v.into_iter().map(|(re, im)| Complex32 { re, im }).collect()
        )),
        // Common zero low bits (what a precision bound leaves), which the
        // ordered codecs shift out: signs, -0.0, inf, NaN, subnormals mixed.
        (prop::collection::vec(special_f64(), n), 1u32..64).prop_map(|(v, s)| Column::F64(
            v.into_iter()
                .map(|x| f64::from_bits(x.to_bits() & !((1u64 << s) - 1)))
                .collect()
        )),
        (prop::collection::vec(special_f32(), n), 1u32..32).prop_map(|(v, s)| Column::F32(
            v.into_iter()
                .map(|x| f32::from_bits(x.to_bits() & !((1u32 << s) - 1)))
                .collect()
        )),
        (any::<u64>(), -3.0f64..3.0).prop_map(move |(seed, a)| {
            let mut r = Rng(seed);
            Column::F64(
                (0..n)
                    .map(|k| a * (k as f64 * 0.01).sin() + 1e-9 * r.unit())
                    .collect(),
            )
        }),
    ]
}

fn plot() -> impl Strategy<Value = Plot> {
    (0usize..300, 1usize..5, any::<bool>()).prop_flat_map(|(n, nvars, op)| {
        prop::collection::vec(column(n), nvars).prop_map(move |columns| Plot {
            header: PlotHeader {
                plotname: if op {
                    "Operating Point"
                } else {
                    "Transient Analysis"
                }
                .into(),
                n_points: n as u64,
                variables: (0..columns.len())
                    .map(|i| {
                        Variable::new(i, format!("v{i}"), if i == 0 { "time" } else { "voltage" })
                    })
                    .collect(),
                ..PlotHeader::default()
            },
            columns,
            steps: Steps::single(n as u64),
        })
    })
}

fn choice() -> impl Strategy<Value = CodecChoice> {
    prop_oneof![
        Just(CodecChoice::Auto),
        Just(CodecChoice::ZstdOnly),
        prop::sample::select(Codec::ALL.to_vec()).prop_map(CodecChoice::Fixed),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn lossless_round_trip_bit_for_bit(
        plots in prop::collection::vec(plot(), 0..3),
        codecs in choice(),
        level in 1i32..6,
        hmac in any::<bool>(),
        block_bytes in prop_oneof![Just(cache_zstd::DEFAULT_BLOCK_BYTES), 1usize..2000],
    ) {
        let entry = Entry {
            result: SimResult { plots, ..SimResult::default() },
            meta: cache_zstd::JobMeta {
                params: vec![("r1".into(), ParamValue::Number(1e3)), ("corner".into(), "ff".into())],
                status: cache_zstd::JobStatus::Failed,
                exit_code: Some(1),
                measures: vec![("vmax".into(), 1.25)],
                ..Default::default()
            },
        };
        let secret = if hmac { Secret::new(b"team secret".to_vec()) } else { None };
        let opts = EncodeOptions { zstd_level: level, codecs, secret: secret.clone(), block_bytes, ..EncodeOptions::default() };
        let k = key(1);
        let bytes = encode_entry(&k, &entry, &opts).unwrap();
        let back = decode_entry(&bytes, &k, secret.as_ref()).unwrap();
        prop_assert!(same_bits(&entry, &back));
    }
}

#[test]
fn every_fixed_codec_is_lossless_on_special_values() {
    let mut vals = vec![
        0.0,
        -0.0,
        f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        f64::from_bits(0xfff8_0000_dead_beef),
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::from_bits(1),
        -f64::from_bits(0x000f_ffff_ffff_ffff),
        f64::MAX,
    ];
    let mut r = Rng(7);
    vals.extend((0..5000).map(|_| f64::from_bits(r.next())));
    let n = vals.len();
    let entry = Entry {
        result: SimResult {
            plots: vec![Plot {
                header: PlotHeader {
                    plotname: "Transient Analysis".into(),
                    n_points: n as u64,
                    variables: vec![
                        Variable::new(0, "time", "time"),
                        Variable::new(1, "x", "voltage"),
                    ],
                    ..PlotHeader::default()
                },
                columns: vec![
                    Column::F64(vals.clone()),
                    Column::F32(vals.iter().map(|&x| x as f32).collect()),
                ],
                steps: Steps::single(n as u64),
            }],
            ..SimResult::default()
        },
        meta: Default::default(),
    };
    for c in Codec::ALL {
        let opts = EncodeOptions {
            codecs: CodecChoice::Fixed(c),
            ..EncodeOptions::default()
        };
        let bytes = encode_entry(&key(2), &entry, &opts).unwrap();
        let mut r = EntryReader::open(&bytes[..], &key(2), None).unwrap();
        while let Some(b) = r.next_block().unwrap() {
            assert!(b.codecs.iter().all(|&m| m == c), "{:?}", b.codecs);
        }
        let back = decode_entry(&bytes, &key(2), None).unwrap();
        assert!(same_bits(&entry, &back), "{c:?}");
    }
}

#[test]
fn precision_bound_holds_and_scale_stays_lossless() {
    let entry = make_entry(11, 50_000);
    for bound in [1e-3, 1e-6, 1e-9, 1e-12] {
        let opts = EncodeOptions {
            precision: Some(bound),
            ..EncodeOptions::default()
        };
        let bytes = encode_entry(&key(3), &entry, &opts).unwrap();
        let meta = read_meta(&bytes, &key(3), None).unwrap();
        assert_eq!(meta.precision, Some(bound));
        let back = decode_entry(&bytes, &key(3), None).unwrap();
        let mut max_rel = 0f64;
        for (p, q) in entry.result.plots.iter().zip(&back.result.plots) {
            for (ci, (a, b)) in p.columns.iter().zip(&q.columns).enumerate() {
                let (a, b) = (column_bits(a), column_bits(b));
                if ci == 0 {
                    assert_eq!(a, b, "scale column must stay bit-exact");
                    continue;
                }
                let f32col = matches!(p.columns[ci], Column::F32(_) | Column::C32(_));
                for (&x, &y) in a.iter().zip(&b) {
                    let (x, y) = if f32col {
                        (
                            f64::from(f32::from_bits(x as u32)),
                            f64::from(f32::from_bits(y as u32)),
                        )
                    } else {
                        (f64::from_bits(x), f64::from_bits(y))
                    };
                    if x == 0.0 || !x.is_finite() {
                        assert_eq!(x.to_bits(), y.to_bits());
                        continue;
                    }
                    let rel = ((y - x) / x).abs();
                    max_rel = max_rel.max(rel);
                    assert!(rel <= bound, "bound {bound}: {x} -> {y} ({rel})");
                }
            }
        }
        let lossless = encode_entry(&key(3), &entry, &EncodeOptions::default()).unwrap();
        eprintln!(
            "bound {bound:e}: max relative error {max_rel:e}, {} bytes (lossless {})",
            bytes.len(),
            lossless.len()
        );
        assert!(
            max_rel > 0.0 || bound < 1e-12,
            "bound {bound} changed nothing"
        );
        assert!(bytes.len() < lossless.len());
    }
}

#[test]
fn precision_bound_keeps_special_values_exact() {
    let vals = vec![
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::from_bits(3),
        f64::MAX,
        -f64::MAX,
        1.0,
    ];
    let n = vals.len();
    let entry = Entry {
        result: SimResult {
            plots: vec![Plot {
                header: PlotHeader {
                    plotname: "Operating Point".into(),
                    n_points: n as u64,
                    variables: vec![Variable::new(0, "v", "voltage")],
                    ..PlotHeader::default()
                },
                columns: vec![Column::F64(vals.clone())],
                steps: Steps::single(n as u64),
            }],
            ..SimResult::default()
        },
        meta: Default::default(),
    };
    let opts = EncodeOptions {
        precision: Some(1e-3),
        ..EncodeOptions::default()
    };
    let back = decode_entry(
        &encode_entry(&key(4), &entry, &opts).unwrap(),
        &key(4),
        None,
    )
    .unwrap();
    let got = back.result.plots[0].columns[0].to_f64();
    for (x, y) in vals.iter().zip(&got) {
        if x.is_finite() && *x != 0.0 {
            assert!(((y - x) / x).abs() <= 1e-3 && y.is_finite(), "{x} -> {y}");
        } else {
            assert_eq!(x.to_bits(), y.to_bits());
        }
    }
}

#[test]
fn every_flipped_byte_is_detected() {
    let entry = make_entry(5, 300);
    let k = key(5);
    for secret in [None, Secret::new(b"s3cret".to_vec())] {
        let opts = EncodeOptions {
            secret: secret.clone(),
            ..EncodeOptions::default()
        };
        let bytes = encode_entry(&k, &entry, &opts).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x20;
            let err = decode_entry(&b, &k, secret.as_ref()).unwrap_err();
            assert!(
                err.is_bad_entry() || matches!(err, CacheError::UnsupportedVersion { .. }),
                "byte {i}: {err}"
            );
        }
        // Truncations too.
        for len in [0, 3, HEAD_LEN, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode_entry(&bytes[..len], &k, secret.as_ref()).is_err());
        }
    }
}

#[test]
fn hmac_required_when_secret_set_and_vice_versa() {
    let entry = make_entry(6, 100);
    let k = key(6);
    let s1 = Secret::new(b"one".to_vec()).unwrap();
    let s2 = Secret::new(b"two".to_vec()).unwrap();
    let plain = encode_entry(&k, &entry, &EncodeOptions::default()).unwrap();
    let signed = encode_entry(
        &k,
        &entry,
        &EncodeOptions {
            secret: Some(s1.clone()),
            ..EncodeOptions::default()
        },
    )
    .unwrap();
    assert!(matches!(
        decode_entry(&plain, &k, Some(&s1)),
        Err(CacheError::Unauthenticated { .. })
    ));
    assert!(matches!(
        decode_entry(&signed, &k, None),
        Err(CacheError::Unauthenticated { .. })
    ));
    assert!(matches!(
        decode_entry(&signed, &k, Some(&s2)),
        Err(CacheError::Integrity { what: "HMAC", .. })
    ));
    assert!(same_bits(
        &decode_entry(&signed, &k, Some(&s1)).unwrap(),
        &entry
    ));
    assert!(same_bits(&decode_entry(&plain, &k, None).unwrap(), &entry));
    // An entry moved to another key is rejected.
    assert!(decode_entry(&plain, &key(7), None).is_err());
}

/// A forger without the secret can recompute an xxh3 checksum (or anyone
/// holding the secret an HMAC); lengths and counts in such a meta must
/// still be checked against the envelope before allocating.
#[test]
fn forged_lengths_are_rejected_before_allocation() {
    let entry = make_entry(8, 1000);
    let k = key(8);
    let secret = Secret::new(b"known".to_vec());
    for s in [None, secret.as_ref()] {
        let opts = EncodeOptions {
            secret: s.cloned(),
            ..EncodeOptions::default()
        };
        let bytes = encode_entry(&k, &entry, &opts).unwrap();
        let parts = EntryParts::split(&bytes, &k, s).unwrap();
        let forged = |p: &EntryParts| decode_entry(&p.seal(s), &k, s);
        // Unchanged parts re-sealed decode (the forger's path works).
        assert!(same_bits(&forged(&parts).unwrap(), &entry));
        let check = |p: EntryParts, want: &str| {
            let err = forged(&p).unwrap_err();
            assert!(matches!(err, CacheError::Corrupt { .. }), "{want}: {err}");
            assert!(err.to_string().contains(want), "{want}: {err}");
        };
        // 2^40 points in the plot and its block: over the block cap.
        let mut p = parts.clone();
        p.meta.plots[0].n_points = 1 << 40;
        p.meta.blocks[0].points = 1 << 40;
        check(p, "exceed");
        // The most points a block may hold, declared by a tiny block.
        let mut p = parts.clone();
        let per = MAX_BLOCK_BYTES as u64 / p.meta.plots[0].point_bytes();
        p.meta.plots[0].n_points = per;
        p.meta.blocks[0].points = per;
        check(p, "declared");
        // More points in the blocks than in the plot.
        let mut p = parts.clone();
        p.meta.blocks[0].points += 1;
        check(p, "more points");
        // Fewer.
        let mut p = parts.clone();
        p.meta.plots[0].n_points += 1;
        check(p, "blocks hold");
        // A block length past the footer.
        let mut p = parts.clone();
        p.meta.blocks[0].len += 1000;
        // (seal() would recompute the length: seal the footer as it is)
        let sealed = cache_zstd::parts::seal_raw(
            p.flags,
            &p.blocks.concat(),
            &cache_zstd::wire::encode_footer(&p.meta),
            s,
        );
        let err = decode_entry(&sealed, &k, s).unwrap_err();
        assert!(err.to_string().contains("past the footer"), "{err}");
        // A column type changed: the block does not decode to it.
        let mut p = parts.clone();
        p.meta.plots[0].types[2] = waveform::ValueType::C64;
        assert!(forged(&p).unwrap_err().is_bad_entry());
        // A block whose header declares a shift as wide as the word.
        let mut p = parts.clone();
        let b = &mut p.blocks[0];
        let (hl, n) = cache_zstd::tlv::get_varint(b).unwrap();
        let mut h = cache_zstd::wire::decode_block_header(&b[n..n + hl as usize], 0).unwrap();
        h.columns[1].codec = Codec::OrdDeltaShuffleZstd(3);
        h.columns[1].shift = 64;
        let hb = cache_zstd::wire::encode_block_header(&h);
        let mut nb = Vec::new();
        cache_zstd::tlv::put_varint(&mut nb, hb.len() as u64);
        nb.extend_from_slice(&hb);
        nb.extend_from_slice(&b[n + hl as usize..]);
        *b = nb;
        check(p, "shift");
        // The entry moved to another key.
        let mut p = parts.clone();
        p.meta.key = key(99);
        check(p, "stored under key");
    }
    // A footer length past the start.
    let bytes = encode_entry(&k, &entry, &EncodeOptions::default()).unwrap();
    let mut b = bytes.clone();
    let at = b.len() - 20;
    b[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = decode_entry(&b, &k, None).unwrap_err();
    assert!(
        matches!(err, CacheError::Corrupt { .. }) && err.to_string().contains("footer length"),
        "{err}"
    );
}

/// A time column and a constant supply of `n` points.
fn constant_supply(n: usize) -> Entry {
    Entry {
        result: SimResult {
            plots: vec![Plot {
                header: PlotHeader {
                    plotname: "Transient Analysis".into(),
                    n_points: n as u64,
                    variables: vec![
                        Variable::new(0, "time", "time"),
                        Variable::new(1, "vdd", "voltage"),
                    ],
                    ..PlotHeader::default()
                },
                columns: vec![
                    Column::F64((0..n).map(|i| i as f64).collect()),
                    Column::F64(vec![1.8; n]),
                ],
                steps: Steps::single(n as u64),
            }],
            ..SimResult::default()
        },
        meta: Default::default(),
    }
}

/// Blocks cap what a decoder holds, whatever the compression ratio: no
/// padding is needed, and a highly compressible entry stays tiny.
#[test]
fn highly_compressible_columns_decode_a_bounded_block_at_a_time() {
    let n = 2_000_000usize;
    let entry = constant_supply(n);
    for codecs in [CodecChoice::Auto, CodecChoice::Fixed(Codec::Pco)] {
        let opts = EncodeOptions {
            codecs,
            ..EncodeOptions::default()
        };
        let bytes = encode_entry(&key(9), &entry, &opts).unwrap();
        let meta = read_meta(&bytes, &key(9), None).unwrap();
        assert!(meta.blocks.len() >= 8, "{} blocks", meta.blocks.len());
        for b in &meta.blocks {
            assert!(b.points * 16 <= cache_zstd::DEFAULT_BLOCK_BYTES as u64);
        }
        assert!(same_bits(
            &decode_entry(&bytes, &key(9), None).unwrap(),
            &entry
        ));
        // Tiny: 32 MB of values in a few KB.
        assert!(
            bytes.len() < 16 * n / 1000,
            "{codecs:?}: {} bytes",
            bytes.len()
        );
    }
}

#[test]
fn bad_options_and_ragged_plots_are_errors() {
    let entry = make_entry(10, 10);
    for p in [0.0, -1e-9, 1.0, f64::NAN] {
        let o = EncodeOptions {
            precision: Some(p),
            ..EncodeOptions::default()
        };
        assert!(matches!(
            encode_entry(&key(1), &entry, &o),
            Err(CacheError::Options(_))
        ));
    }
    let mut bad = entry.clone();
    bad.result.plots[0].columns[1] = Column::F64(vec![1.0]);
    assert!(matches!(
        encode_entry(&key(1), &bad, &EncodeOptions::default()),
        Err(CacheError::Encode { .. })
    ));
    assert!(matches!(
        encode_entry("../x", &entry, &EncodeOptions::default()),
        Err(CacheError::InvalidKey { .. })
    ));
}

fn slice(c: &Column, r: std::ops::Range<usize>) -> Column {
    match c {
        Column::F32(v) => Column::F32(v[r].to_vec()),
        Column::F64(v) => Column::F64(v[r].to_vec()),
        Column::C32(v) => Column::C32(v[r].to_vec()),
        Column::C64(v) => Column::C64(v[r].to_vec()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Chunks of any length, blocks of any size: the same entry back, and
    /// blocks handed out in order, each within its size.
    #[test]
    fn streamed_in_any_chunks_reads_back(
        plots in prop::collection::vec(plot(), 0..3),
        chunks in prop::collection::vec(1usize..150, 1..8),
        block_bytes in 1usize..3000,
        codecs in choice(),
        precision in prop_oneof![Just(None), Just(Some(1e-6))],
    ) {
        let opts = EncodeOptions { codecs, block_bytes, precision, ..EncodeOptions::default() };
        let mut w = cache_zstd::EntryWriter::new(
            Vec::new(), &opts, waveform::Dialect::Xyce, waveform::Encoding::Ascii,
        ).unwrap();
        for p in &plots {
            let types: Vec<_> = p.columns.iter().map(Column::value_type).collect();
            w.begin_plot(&p.header, &types).unwrap();
            let n = p.len();
            let (mut at, mut i) = (0, 0);
            while at < n {
                let c = chunks[i % chunks.len()].min(n - at);
                let part: Vec<Column> = p.columns.iter().map(|col| slice(col, at..at + c)).collect();
                w.write_columns(&part).unwrap();
                at += c;
                i += 1;
            }
            w.end_plot(&p.steps).unwrap();
        }
        let meta = cache_zstd::JobMeta { reason: "streamed".into(), ..Default::default() };
        let k = key(12);
        let bytes = w.finish(&k, &meta).unwrap();
        let entry = Entry {
            result: SimResult { plots, dialect: waveform::Dialect::Xyce, encoding: waveform::Encoding::Ascii },
            meta,
        };
        let back = decode_entry(&bytes, &k, None).unwrap();
        if precision.is_none() {
            prop_assert!(same_bits(&entry, &back));
        } else {
            prop_assert_eq!(&entry.meta, &back.meta);
            for (p, q) in entry.result.plots.iter().zip(&back.result.plots) {
                prop_assert_eq!(&p.header, &q.header);
                prop_assert_eq!(p.len(), q.len());
            }
        }
        let mut r = EntryReader::open(&bytes[..], &k, None).unwrap();
        let mut next = vec![0u64; entry.result.plots.len()];
        let mut last = 0;
        while let Some(b) = r.next_block().unwrap() {
            prop_assert!(b.plot >= last);
            last = b.plot;
            prop_assert_eq!(b.start, next[b.plot]);
            let row: usize = b.columns.iter().map(|c| c.value_type().size()).sum();
            prop_assert!(b.len() * row <= block_bytes.max(row));
            next[b.plot] += b.len() as u64;
        }
        for (p, n) in entry.result.plots.iter().zip(&next) {
            prop_assert_eq!(p.len() as u64, *n);
        }
    }
}
