//! Campaign dictionaries in format v4 entries: round trips, a missing
//! dictionary (a kept miss), a corrupted one (detected), and the store's
//! dictionary objects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::{
    decode_entry, decode_entry_with, dictionary_samples, encode_entry, entry_dictionary_id,
    read_meta, train_dictionary, CacheError, Dictionary, DiskStore, EncodeOptions, Entry,
    EntryReader, ResultCache, Secret, DICT_DIR,
};
use common::{key, same_bits, Rng};
use waveform::SimResult;

/// One run of a "campaign": the same circuit (names, layout, the same
/// adaptive time grid, as runs of one netlist often have), an RC response
/// whose time constant differs per run, with a little noise.
fn run(i: u64) -> Entry {
    let n = 1500;
    let mut grid = Rng(42);
    let mut noise = Rng(1000 + i);
    let tau = 2e-6 * (1.0 + 0.01 * i as f64);
    let mut t = 0.0f64;
    let (mut time, mut v, mut cur) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..n {
        time.push(t);
        t += 1e-9 * (1.0 + 10.0 * (k as f64 * 0.01).sin().abs()) * (0.5 + grid.unit());
        let vv = (1.0 - (-t / tau).exp()) + 1e-9 * (noise.unit() - 0.5);
        v.push(vv);
        cur.push((vv * 1e-3) as f32);
    }
    let plot = waveform::Plot {
        header: waveform::PlotHeader {
            title: "rc campaign".into(),
            plotname: "Transient Analysis".into(),
            flags: waveform::Flags::parse("real"),
            n_points: n as u64,
            variables: vec![
                waveform::Variable::new(0, "time", "time"),
                waveform::Variable::new(1, "v(out)", "voltage"),
                waveform::Variable::new(2, "i(v1)", "current"),
            ],
            ..waveform::PlotHeader::default()
        },
        columns: vec![
            waveform::Column::F64(time),
            waveform::Column::F64(v),
            waveform::Column::F32(cur),
        ],
        steps: waveform::Steps::single(n as u64),
    };
    Entry {
        result: SimResult {
            plots: vec![plot],
            ..SimResult::default()
        },
        meta: cache_zstd::JobMeta {
            params: vec![("run".into(), cache_zstd::ParamValue::Number(i as f64))],
            simulator: "ngspice".into(),
            ..cache_zstd::JobMeta::default()
        },
    }
}

/// A dictionary trained on the first `n` runs' samples.
fn campaign_dictionary(n: u64) -> Dictionary {
    let mut samples = Vec::new();
    for i in 0..n {
        let k = key(i);
        let bytes = encode_entry(&k, &run(i), &EncodeOptions::default()).unwrap();
        let s = dictionary_samples(&bytes, &k, None, &()).unwrap();
        assert_eq!(s.len(), 2, "the footer record and one block's shared frame");
        assert!(
            s[0].windows(11).any(|w| w == b"rc campaign"),
            "the footer holds the title"
        );
        // The shared frame holds the zstd-coded columns (time and v(out)
        // at least: 8 + 8 bytes a point).
        assert!(s[1].len() >= 1500 * 16, "{}", s[1].len());
        samples.extend(s);
    }
    train_dictionary(&samples, 16 * 1024).unwrap()
}

fn with_dict(d: &Dictionary) -> EncodeOptions {
    EncodeOptions {
        dictionary: Some(d.clone()),
        ..EncodeOptions::default()
    }
}

#[test]
fn entries_round_trip_bit_exact_with_a_dictionary_and_are_smaller() {
    let d = campaign_dictionary(30);
    let (mut plain, mut coded) = (0usize, 0usize);
    for i in 30..40 {
        let (k, e) = (key(i), run(i));
        let a = encode_entry(&k, &e, &EncodeOptions::default()).unwrap();
        let b = encode_entry(&k, &e, &with_dict(&d)).unwrap();
        plain += a.len();
        coded += b.len();
        let back = decode_entry_with(&b, &k, None, &d).unwrap();
        assert!(same_bits(&back, &e));
        assert_eq!(back.meta, e.meta);
        // The id is in the (checked) footer.
        assert_eq!(entry_dictionary_id(&b, &k, None).unwrap(), Some(*d.id()));
        assert_eq!(entry_dictionary_id(&a, &k, None).unwrap(), None);
        assert_eq!(read_meta(&a, &k, None).unwrap().dictionary, None);
        // Other resolvers: a slice, an Option, a closure.
        let slice = [Dictionary::from_bytes(b"other".to_vec()), d.clone()];
        assert!(same_bits(
            &decode_entry_with(&b, &k, None, &slice[..]).unwrap(),
            &e
        ));
        assert!(same_bits(
            &decode_entry_with(&b, &k, None, &Some(&d)).unwrap(),
            &e
        ));
        let lookup = |id: &[u8; 32]| Ok((id == d.id()).then(|| d.clone()));
        let r = EntryReader::open_with(&b[..], &k, None, &lookup).unwrap();
        assert_eq!(r.meta().dictionary, Some(*d.id()));
        assert!(same_bits(&r.read_entry().unwrap(), &e));
    }
    // What the runs share (the time grid here) is paid for once, in the
    // dictionary.
    assert!(
        coded * 10 < plain * 7,
        "with the dictionary {coded} bytes, without {plain}"
    );
}

#[test]
fn hmac_entries_with_a_dictionary_round_trip() {
    let d = campaign_dictionary(30);
    let secret = Secret::new(b"team secret".to_vec()).unwrap();
    let opts = EncodeOptions {
        secret: Some(secret.clone()),
        ..with_dict(&d)
    };
    let (k, e) = (key(77), run(77));
    let b = encode_entry(&k, &e, &opts).unwrap();
    assert!(same_bits(
        &decode_entry_with(&b, &k, Some(&secret), &d).unwrap(),
        &e
    ));
    assert!(matches!(
        decode_entry(&b, &k, Some(&secret)),
        Err(CacheError::DictionaryMissing { .. })
    ));
}

#[test]
fn an_entry_without_its_dictionary_is_dictionary_missing() {
    let d = campaign_dictionary(30);
    let (k, e) = (key(50), run(50));
    let b = encode_entry(&k, &e, &with_dict(&d)).unwrap();
    let err = decode_entry(&b, &k, None).unwrap_err();
    match &err {
        CacheError::DictionaryMissing { key, id } => {
            assert_eq!(key, &k);
            assert_eq!(id, &d.id_hex());
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_bad_entry() && !err.is_other_version());
    // Another dictionary is not the one: missing too, never a wrong decode.
    let other = Dictionary::from_bytes(d.bytes()[..d.bytes().len() - 1].to_vec());
    assert_ne!(other.id(), d.id());
    assert!(matches!(
        decode_entry_with(&b, &k, None, &other),
        Err(CacheError::DictionaryMissing { .. })
    ));
    // A resolver that hands out a dictionary under a wrong id: refused.
    let liar = |_: &[u8; 32]| Ok(Some(other.clone()));
    assert!(matches!(
        EntryReader::open_with(&b[..], &k, None, &liar),
        Err(CacheError::DictionaryMissing { .. })
    ));
}

#[test]
fn store_keeps_dictionary_objects_and_entries_without_theirs_are_kept_misses() {
    let dir = tempfile::tempdir().unwrap();
    let d = campaign_dictionary(30);
    let store = DiskStore::new(dir.path())
        .unwrap()
        .with_options(with_dict(&d))
        .unwrap();
    // with_options stored the object, named by its id.
    let obj = store.dictionary_path(d.id());
    assert_eq!(obj, dir.path().join(DICT_DIR).join(d.id_hex()));
    assert_eq!(std::fs::read(&obj).unwrap(), d.to_object());
    let (k, e) = (key(60), run(60));
    store.put(&k, &e).unwrap();
    // A store opened afresh (no dictionary in memory) finds it on disk.
    let fresh = DiskStore::new(dir.path()).unwrap();
    assert_eq!(fresh.dictionary(d.id()).unwrap(), Some(d.clone()));
    assert!(same_bits(&fresh.get(&k).unwrap().unwrap(), &e));
    let stats = fresh.stats().unwrap();
    assert_eq!(stats.entries, 1);
    assert_eq!(stats.raw_bytes, 1500 * (8 + 8 + 4));
    let v = fresh.verify().unwrap();
    assert_eq!((v.checked, v.ok), (1, 1));

    // The dictionary gone: a miss, the entry left in place, verify skips it.
    std::fs::remove_file(&obj).unwrap();
    let fresh = DiskStore::new(dir.path()).unwrap();
    assert!(fresh.get(&k).unwrap().is_none());
    assert!(fresh.contains(&k).unwrap());
    let v = fresh.verify().unwrap();
    assert_eq!((v.checked, v.ok, v.removed.len()), (1, 0, 0));
    assert_eq!(v.skipped, vec![fresh.path_of(&k).unwrap()]);
    assert!(fresh.contains(&k).unwrap());
    // Stored again: readable again.
    fresh.put_dictionary(&d).unwrap();
    assert!(same_bits(&fresh.get(&k).unwrap().unwrap(), &e));
}

#[test]
fn a_corrupted_dictionary_object_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let d = campaign_dictionary(30);
    let store = DiskStore::new(dir.path())
        .unwrap()
        .with_options(with_dict(&d))
        .unwrap();
    let (k, e) = (key(61), run(61));
    store.put(&k, &e).unwrap();
    let obj = store.dictionary_path(d.id());
    let good = std::fs::read(&obj).unwrap();
    // A flipped byte anywhere: header, dictionary bytes, checksum.
    for at in [0, 5, 9, 12, good.len() / 2, good.len() - 1] {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        std::fs::write(&obj, &bad).unwrap();
        let fresh = DiskStore::new(dir.path()).unwrap();
        match fresh.dictionary(d.id()) {
            Err(CacheError::Dictionary { id, what }) => {
                assert_eq!(id, d.id_hex());
                assert!(what.contains(DICT_DIR), "{what}");
            }
            other => panic!("byte {at}: {other:?}"),
        }
        // Reading the entry: a miss, the entry kept, the bad object removed.
        assert!(fresh.get(&k).unwrap().is_none(), "byte {at}");
        assert!(fresh.contains(&k).unwrap());
        assert!(!obj.exists(), "byte {at}: corrupt object left");
        // Bytes of the same length but another dictionary (its checksum
        // right): its sha256 is not the id.
        std::fs::write(&obj, good.clone()).unwrap();
    }
    let other = Dictionary::from_bytes(vec![7u8; d.bytes().len()]);
    std::fs::write(&obj, other.to_object()).unwrap();
    let fresh = DiskStore::new(dir.path()).unwrap();
    let err = fresh.dictionary(d.id()).unwrap_err().to_string();
    assert!(err.contains(&other.id_hex()), "{err}");
    // A dictionary object that is a FIFO is refused, not read.
    #[cfg(unix)]
    {
        std::fs::remove_file(&obj).unwrap();
        let ok = std::process::Command::new("mkfifo")
            .arg(&obj)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo");
        let fresh = DiskStore::new(dir.path()).unwrap();
        let err = fresh.dictionary(d.id()).unwrap_err().to_string();
        assert!(err.contains("FIFO"), "{err}");
        // put_dictionary replaces it with the object.
        fresh.put_dictionary(&d).unwrap();
        assert_eq!(std::fs::read(&obj).unwrap(), good);
        assert!(same_bits(&fresh.get(&k).unwrap().unwrap(), &e));
    }
}
