//! Campaign dictionaries: entries coded with one dictionary round trip
//! with it, and without it (or with another) are a miss that names the
//! dictionary they need.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::{
    decode_entry, decode_entry_with, dictionary_samples, encode_entry, entry_dictionary_id,
    read_meta, read_meta_with, train_dictionary, CacheError, CodecChoice, Dictionary, DiskStore,
    EncodeOptions, Entry, ResultCache, Secret, DEFAULT_DICT_SIZE, FLAG_DICT,
};
use common::{key, make_entry, same_bits};
use proptest::prelude::*;

/// A "campaign": entries of one circuit with different seeds.
fn campaign(n: usize) -> Vec<(String, Entry)> {
    (0..n)
        .map(|i| (key(1000 + i as u64), make_entry(i as u64, 300)))
        .collect()
}

fn trained(entries: &[(String, Entry)]) -> Dictionary {
    let mut samples = Vec::new();
    for (k, e) in entries {
        let bytes = encode_entry(k, e, &EncodeOptions::default()).unwrap();
        samples.extend(dictionary_samples(&bytes, k, None).unwrap());
    }
    train_dictionary(&samples, DEFAULT_DICT_SIZE).unwrap()
}

fn with_dict(d: &Dictionary) -> EncodeOptions {
    EncodeOptions {
        dictionary: Some(d.clone()),
        ..EncodeOptions::default()
    }
}

#[test]
fn campaign_entries_round_trip_with_their_dictionary_and_are_smaller() {
    let entries = campaign(40);
    let dict = trained(&entries[..30]);
    let (mut plain, mut coded) = (0usize, 0usize);
    for (k, e) in &entries {
        let p = encode_entry(k, e, &EncodeOptions::default()).unwrap();
        let c = encode_entry(k, e, &with_dict(&dict)).unwrap();
        assert_eq!(u16::from_le_bytes([c[6], c[7]]) & FLAG_DICT, FLAG_DICT);
        assert_eq!(entry_dictionary_id(&c), Some(*dict.id()));
        assert_eq!(entry_dictionary_id(&p), None);
        let back = decode_entry_with(&c, k, None, Some(&dict)).unwrap();
        assert!(same_bits(e, &back));
        // A plain entry decodes with or without a dictionary given.
        assert!(same_bits(
            e,
            &decode_entry_with(&p, k, None, Some(&dict)).unwrap()
        ));
        // The same meta but for the shared frame's compressed size.
        let (mut meta, _) = read_meta_with(&c, k, None, Some(&dict)).unwrap();
        let (plain_meta, _) = read_meta(&p, k, None).unwrap();
        assert_eq!(meta.shared.raw_len, plain_meta.shared.raw_len);
        meta.shared = plain_meta.shared.clone();
        assert_eq!(meta, plain_meta);
        plain += p.len();
        coded += c.len();
    }
    // The meta (title, variables) repeats in every entry of a campaign.
    assert!(
        (coded + dict.to_object().len()) < plain,
        "with dictionary {coded} + {}, without {plain}",
        dict.to_object().len()
    );
}

#[test]
fn a_missing_or_other_dictionary_is_an_error_naming_the_id() {
    let entries = campaign(30);
    let dict = trained(&entries);
    let other = Dictionary::from_bytes(b"another campaign".to_vec());
    let (k, e) = &entries[3];
    let bytes = encode_entry(k, e, &with_dict(&dict)).unwrap();
    for err in [
        decode_entry(&bytes, k, None).unwrap_err(),
        read_meta(&bytes, k, None).unwrap_err(),
        decode_entry_with(&bytes, k, None, Some(&other)).unwrap_err(),
    ] {
        match &err {
            CacheError::DictionaryMissing { key: ek, id } => {
                assert_eq!(ek, k);
                assert_eq!(id, &dict.id_hex());
            }
            _ => panic!("{err}"),
        }
        assert!(err.to_string().contains(&dict.id_hex()), "{err}");
        assert!(!err.is_bad_entry());
    }
    // A corrupt entry is corrupt before its dictionary is looked at.
    let mut bad = bytes.clone();
    bad[60] ^= 1;
    let err = decode_entry(&bad, k, None).unwrap_err();
    assert!(matches!(err, CacheError::Integrity { .. }), "{err}");
    // A secret works as usual: HMAC over the id and the frames.
    let secret = Secret::new(b"team".to_vec()).unwrap();
    let opts = EncodeOptions {
        secret: Some(secret.clone()),
        ..with_dict(&dict)
    };
    let signed = encode_entry(k, e, &opts).unwrap();
    let back = decode_entry_with(&signed, k, Some(&secret), Some(&dict)).unwrap();
    assert!(same_bits(e, &back));
    assert!(decode_entry_with(&signed, k, None, Some(&dict)).is_err());
}

#[test]
fn the_store_sees_a_miss_and_keeps_the_entry() {
    let entries = campaign(30);
    let dict = trained(&entries);
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path()).unwrap();
    let (k, e) = &entries[0];
    store
        .put_envelope(k, &encode_entry(k, e, &with_dict(&dict)).unwrap())
        .unwrap();
    assert!(store.get(k).unwrap().is_none());
    assert!(store.contains(k).unwrap());
    let report = store.verify().unwrap();
    assert!(report.removed.is_empty(), "{:?}", report.removed);
    assert_eq!(report.skipped.len(), 1);
    assert!(store.contains(k).unwrap());
    // The envelope is intact: with the dictionary it decodes.
    let bytes = store.get_envelope(k).unwrap().unwrap();
    assert!(same_bits(
        e,
        &decode_entry_with(&bytes, k, None, Some(&dict)).unwrap()
    ));
}

#[test]
fn a_forged_meta_frame_size_is_rejected_before_allocation() {
    let entries = campaign(30);
    let dict = trained(&entries);
    let (k, e) = &entries[1];
    let bytes = encode_entry(k, e, &with_dict(&dict)).unwrap();
    // A tiny meta frame declaring 2^40 bytes, re-checksummed.
    let frame = forge_content_size();
    assert_eq!(
        zstd::zstd_safe::get_frame_content_size(&frame).unwrap(),
        Some(1 << 40)
    );
    let meta_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let rest = &bytes[12 + 32 + meta_len..bytes.len() - 16];
    let mut out = bytes[..8].to_vec();
    out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    out.extend_from_slice(&bytes[12..44]);
    out.extend_from_slice(&frame);
    out.extend_from_slice(rest);
    let h = xxhash_rust::xxh3::xxh3_128(&out);
    out.extend_from_slice(&h.to_le_bytes());
    let err = decode_entry_with(&out, k, None, Some(&dict)).unwrap_err();
    assert!(matches!(err, CacheError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("plausible"), "{err}");
}

/// A zstd frame with the dictionary that declares 2^40 bytes of content
/// (a frame header with an 8-byte content size and no data block).
fn forge_content_size() -> Vec<u8> {
    let mut f = vec![0x28, 0xb5, 0x2f, 0xfd];
    // Frame header descriptor: FCS flag 3 (8 bytes), single segment.
    f.push(0b1110_0000);
    f.extend_from_slice(&(1u64 << 40).to_le_bytes());
    // One empty last raw block.
    f.extend_from_slice(&[0x01, 0x00, 0x00]);
    f
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_with_and_without_a_dictionary(
        seed in any::<u64>(),
        n in 1usize..600,
        zstd_only in any::<bool>(),
        raw_dict in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let k = key(seed);
        let e = make_entry(seed, n);
        let codecs = if zstd_only { CodecChoice::ZstdOnly } else { CodecChoice::Auto };
        for dict in [None, Some(Dictionary::from_bytes(raw_dict.clone()))] {
            let opts = EncodeOptions { codecs, dictionary: dict.clone(), ..EncodeOptions::default() };
            let bytes = encode_entry(&k, &e, &opts).unwrap();
            let back = decode_entry_with(&bytes, &k, None, dict.as_ref()).unwrap();
            prop_assert!(same_bits(&e, &back));
        }
    }
}
