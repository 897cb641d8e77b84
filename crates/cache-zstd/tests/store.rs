//! Disk store tests: keys, corruption handling, HMAC, stats, LRU, verify.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::{raw_column_bytes, CacheError, DiskStore, EncodeOptions, ResultCache, Secret};
use common::{key, make_entry, same_bits};
use std::fs;
use std::time::{Duration, SystemTime};

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn put_get_remove_round_trip_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path()).unwrap();
    let k = key(1);
    let e = make_entry(1, 2000);
    assert!(store.get(&k).unwrap().is_none());
    assert!(!store.contains(&k).unwrap());
    store.put(&k, &e).unwrap();
    assert!(store.contains(&k).unwrap());
    let path = dir.path().join(&k[..2]).join(format!("{k}.splc"));
    assert!(path.is_file());
    assert_eq!(store.path_of(&k).unwrap(), path);
    assert!(same_bits(&store.get(&k).unwrap().unwrap(), &e));
    // Overwrite with another value.
    let e2 = make_entry(2, 100);
    store.put(&k, &e2).unwrap();
    assert!(same_bits(&store.get(&k).unwrap().unwrap(), &e2));
    assert_eq!(store.keys().unwrap(), vec![k.clone()]);
    // No temp file left behind.
    assert_eq!(files_under(dir.path()), vec![path]);
    assert!(store.remove(&k).unwrap());
    assert!(!store.remove(&k).unwrap());
    assert!(store.get(&k).unwrap().is_none());
}

#[test]
fn batch_get_put() {
    let dir = tempfile::tempdir().unwrap();
    let store: Box<dyn ResultCache> = Box::new(DiskStore::new(dir.path()).unwrap());
    let keys: Vec<String> = (0..4).map(key).collect();
    let entries: Vec<_> = (0..4).map(|i| make_entry(i, 50)).collect();
    let items: Vec<(&str, &cache_zstd::Entry)> = keys
        .iter()
        .map(String::as_str)
        .zip(&entries)
        .take(3)
        .collect();
    store.put_many(&items).unwrap();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let got = store.get_many(&refs).unwrap();
    assert_eq!(got.len(), keys.len());
    for (i, g) in got.iter().enumerate() {
        match g {
            Some(e) => assert!(i < 3 && same_bits(e, &entries[i])),
            None => assert_eq!(i, 3),
        }
    }
}

#[test]
fn bad_keys_are_rejected_before_touching_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path().join("c")).unwrap();
    let e = make_entry(1, 10);
    let long = "a".repeat(65);
    let upper = key(1).to_uppercase();
    let short = &key(1)[..63];
    for bad in [
        "",
        "../x",
        "..",
        "/etc/passwd",
        long.as_str(),
        upper.as_str(),
        short,
        "ab/../../cd",
    ] {
        for r in [
            store.put(bad, &e).map(|_| ()),
            store.get(bad).map(|_| ()),
            store.contains(bad).map(|_| ()),
            store.remove(bad).map(|_| ()),
            store.put_envelope(bad, b"x").map(|_| ()),
        ] {
            let err = r.unwrap_err();
            assert!(
                matches!(err, CacheError::InvalidKey { .. }),
                "{bad:?}: {err}"
            );
            assert!(err.to_string().contains("64 lowercase hex"), "{err}");
        }
    }
    assert!(files_under(dir.path()).is_empty());
    assert!(fs::read_dir(dir.path().join("c")).unwrap().next().is_none());
}

#[test]
fn flipped_byte_is_detected_removed_and_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path()).unwrap();
    let k = key(3);
    let e = make_entry(3, 3000);
    store.put(&k, &e).unwrap();
    let path = store.path_of(&k).unwrap();
    let len = fs::metadata(&path).unwrap().len() as usize;
    // Bytes 4..6 are the format version: see `newer_format_version_is_a_miss_left_in_place`.
    for at in [0usize, 3, 6, 9, 20, len / 2, len - 20, len - 1] {
        store.put(&k, &e).unwrap();
        let mut b = fs::read(&path).unwrap();
        b[at] ^= 0x01;
        fs::write(&path, &b).unwrap();
        assert!(store.get(&k).unwrap().is_none(), "flip at {at} not a miss");
        assert!(!path.exists(), "flip at {at}: corrupt entry not removed");
    }
    // verify() reports and removes.
    store.put(&k, &e).unwrap();
    let k2 = key(4);
    store.put(&k2, &e).unwrap();
    let p2 = store.path_of(&k2).unwrap();
    let mut b = fs::read(&p2).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0xff;
    fs::write(&p2, &b).unwrap();
    let r = store.verify().unwrap();
    assert_eq!(r.checked, 2);
    assert_eq!(r.ok, 1);
    assert_eq!(r.removed.len(), 1);
    assert_eq!(r.removed[0].0, p2);
    assert!(r.removed[0].1.contains("checksum"), "{}", r.removed[0].1);
    assert!(!p2.exists());
    assert!(store.get(&k).unwrap().is_some());
}

#[test]
fn newer_format_version_is_a_miss_left_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path()).unwrap();
    let k = key(3);
    store.put(&k, &make_entry(3, 10)).unwrap();
    let path = store.path_of(&k).unwrap();
    let mut b = fs::read(&path).unwrap();
    b[4..6].copy_from_slice(&(cache_zstd::FORMAT_VERSION + 1).to_le_bytes());
    fs::write(&path, &b).unwrap();
    assert!(store.get(&k).unwrap().is_none());
    assert!(
        path.exists(),
        "a newer spicelab's entry must not be deleted"
    );
    // Its meta is not read as this version's: no raw bytes counted.
    let s = store.stats().unwrap();
    assert_eq!((s.entries, s.raw_bytes, s.other_versions), (1, 0, 1));
    assert_eq!(s.stored_bytes, b.len() as u64);
    let r = store.verify().unwrap();
    assert_eq!(r.skipped, vec![path.clone()]);
    // Version 0 never existed: corrupt, removed.
    b[4..6].copy_from_slice(&0u16.to_le_bytes());
    fs::write(&path, &b).unwrap();
    assert!(store.get(&k).unwrap().is_none());
    assert!(!path.exists());
}

#[test]
fn entry_stored_under_another_key_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path()).unwrap();
    store.put(&key(1), &make_entry(1, 10)).unwrap();
    let from = store.path_of(&key(1)).unwrap();
    let to = store.path_of(&key(2)).unwrap();
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(&from, &to).unwrap();
    assert!(store.get(&key(2)).unwrap().is_none());
    assert!(!to.exists());
}

#[test]
fn hmac_store_rejects_plain_entries_and_vice_versa() {
    let dir = tempfile::tempdir().unwrap();
    let plain = DiskStore::new(dir.path()).unwrap();
    let keyed = DiskStore::new(dir.path())
        .unwrap()
        .with_secret(Secret::new(b"team".to_vec()));
    let other = DiskStore::new(dir.path())
        .unwrap()
        .with_secret(Secret::new(b"other".to_vec()));
    let e = make_entry(7, 100);
    // Written without a secret, read with one: rejected (and removed).
    plain.put(&key(1), &e).unwrap();
    assert!(keyed.get(&key(1)).unwrap().is_none());
    assert!(!plain.contains(&key(1)).unwrap());
    // Written with a secret, read without: rejected.
    keyed.put(&key(2), &e).unwrap();
    assert!(plain.get(&key(2)).unwrap().is_none());
    // With the wrong secret: rejected.
    keyed.put(&key(3), &e).unwrap();
    assert!(other.get(&key(3)).unwrap().is_none());
    // With the right one: a hit.
    keyed.put(&key(4), &e).unwrap();
    assert!(same_bits(&keyed.get(&key(4)).unwrap().unwrap(), &e));
}

#[test]
fn stats_count_entries_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path()).unwrap();
    let mut raw = 0u64;
    let mut stored = 0u64;
    for i in 0..5 {
        let e = make_entry(i, 1000 + 100 * i as usize);
        raw += raw_column_bytes(&e.result).len() as u64;
        store.put(&key(i), &e).unwrap();
        stored += fs::metadata(store.path_of(&key(i)).unwrap()).unwrap().len();
    }
    let s = store.stats().unwrap();
    assert_eq!(s.entries, 5);
    assert_eq!(s.raw_bytes, raw);
    assert_eq!(s.stored_bytes, stored);
    assert!(s.stored_bytes < s.raw_bytes);
}

fn set_age(store: &DiskStore, k: &str, secs_ago: u64) {
    let f = fs::File::options()
        .write(true)
        .open(store.path_of(k).unwrap())
        .unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(secs_ago))
        .unwrap();
}

#[test]
fn gc_evicts_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path()).unwrap();
    for i in 0..6 {
        store.put(&key(i), &make_entry(i, 500)).unwrap();
        set_age(&store, &key(i), 1000 - i * 100); // key(0) oldest
    }
    // A future time must not pin an entry.
    let f = fs::File::options()
        .write(true)
        .open(store.path_of(&key(5)).unwrap())
        .unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(86_400 * 365))
        .unwrap();
    // Reading key(0) makes it the most recently used.
    assert!(store.get(&key(0)).unwrap().is_some());
    let total = store.stats().unwrap().stored_bytes;
    let one = total / 6;
    let r = store.gc(total - 2 * one).unwrap();
    assert!(r.evicted >= 2, "{r:?}");
    assert!(r.stored_bytes <= total - 2 * one);
    let left = store.keys().unwrap();
    assert!(left.contains(&key(0)), "recently read entry evicted");
    assert!(!left.contains(&key(1)) && !left.contains(&key(2)));
    assert_eq!(r.entries, left.len() as u64);
    // gc(0) empties the store.
    store.gc(0).unwrap();
    assert_eq!(store.stats().unwrap().entries, 0);
}

#[test]
fn max_size_is_enforced_on_put() {
    let dir = tempfile::tempdir().unwrap();
    let probe = DiskStore::new(dir.path().join("probe")).unwrap();
    probe.put(&key(0), &make_entry(0, 1000)).unwrap();
    let one = probe.stats().unwrap().stored_bytes;
    let store = DiskStore::new(dir.path().join("s"))
        .unwrap()
        .with_max_size(Some(one * 4));
    for i in 0..20 {
        store.put(&key(i), &make_entry(i, 1000)).unwrap();
        assert!(store.stats().unwrap().stored_bytes <= one * 4 + one / 2);
    }
    // The newest entry survives.
    assert!(store.get(&key(19)).unwrap().is_some());
}

#[test]
fn stale_temp_files_are_cleaned_and_foreign_files_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path()).unwrap();
    store.put(&key(1), &make_entry(1, 10)).unwrap();
    let shard = store
        .path_of(&key(1))
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let stale = shard.join(".tmp-dead");
    fs::write(&stale, b"half").unwrap();
    fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
    let fresh = shard.join(".tmp-live");
    fs::write(&fresh, b"in flight").unwrap();
    fs::write(dir.path().join("README"), b"not an entry").unwrap();
    let s = store.stats().unwrap();
    assert_eq!(s.entries, 1);
    let r = store.verify().unwrap();
    assert_eq!(r.stale_temp_files, 1);
    assert!(!stale.exists() && fresh.exists());
    assert!(dir.path().join("README").exists());
}

#[test]
fn lossy_store_options() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path())
        .unwrap()
        .with_options(EncodeOptions {
            precision: Some(1e-6),
            ..EncodeOptions::default()
        })
        .unwrap();
    let e = make_entry(9, 1000);
    store.put(&key(9), &e).unwrap();
    let back = store.get(&key(9)).unwrap().unwrap();
    let (a, b) = (
        e.result.plots[0].columns[1].to_f64(),
        back.result.plots[0].columns[1].to_f64(),
    );
    assert_eq!(a.len(), b.len());
    assert!(a
        .iter()
        .zip(&b)
        .all(|(x, y)| (x - y).abs() <= 1e-6 * x.abs()));
    assert_eq!(
        e.result.plots[0].columns[0],
        back.result.plots[0].columns[0]
    );
}

#[test]
fn default_dir_follows_explicit_then_env() {
    let d = std::path::Path::new("/some/where");
    assert_eq!(cache_zstd::default_dir(Some(d)).unwrap(), d);
}

/// Runs `f` on another thread; panics when it takes over `secs` seconds
/// (a FIFO read would block forever).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("did not return in time: blocked on a non-file?")
}

#[cfg(unix)]
#[test]
fn fifo_and_device_entries_are_refused_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let k = key(1);
    let store = DiskStore::new(&root).unwrap();
    let path = store.path_of(&k).unwrap();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(ok.success());
    // A symlink to /dev/zero under another key.
    let k2 = key(2);
    let zero = store.path_of(&k2).unwrap();
    fs::create_dir_all(zero.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    for (k, found) in [(k.clone(), "FIFO"), (k2.clone(), "character device")] {
        let r = root.clone();
        let t = std::time::Instant::now();
        let (get, env, read) = within(5, move || {
            let s = DiskStore::new(&r).unwrap();
            (
                s.get(&k).map(|_| ()),
                s.get_envelope(&k).map(|_| ()),
                s.read_with(&k, |_| Ok(())).map(|_| ()),
            )
        });
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        for e in [get, env, read] {
            let e = e.unwrap_err();
            assert!(matches!(e, CacheError::NotAFile { .. }), "{e}");
            assert!(e.to_string().contains(found), "{e}");
        }
    }
    // Walks skip them (not entries), and leave them alone.
    let r = root.clone();
    let (s, v) = within(5, move || {
        let s = DiskStore::new(&r).unwrap();
        (s.stats().unwrap(), s.verify().unwrap())
    });
    assert_eq!((s.entries, v.checked), (0, 0));
    assert!(path.exists() && fs::symlink_metadata(&zero).is_ok());
    // A put replaces the FIFO with a real entry (rename over it).
    let e = make_entry(1, 10);
    store.put(&k, &e).unwrap();
    assert!(same_bits(&store.get(&k).unwrap().unwrap(), &e));
}

#[test]
fn streaming_put_and_read_with() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path())
        .unwrap()
        .with_options(EncodeOptions {
            block_bytes: 1000,
            ..EncodeOptions::default()
        })
        .unwrap();
    let e = make_entry(5, 3000);
    let mut w = store.writer(e.result.dialect, e.result.encoding).unwrap();
    for p in &e.result.plots {
        w.write_plot(p).unwrap();
    }
    // The temporary file sits in the store's root until commit.
    assert_eq!(store.stats().unwrap().entries, 0);
    let size = store.commit(w, &key(5), &e.meta).unwrap();
    assert_eq!(
        size,
        fs::metadata(store.path_of(&key(5)).unwrap()).unwrap().len()
    );
    assert!(same_bits(&store.get(&key(5)).unwrap().unwrap(), &e));
    assert_eq!(files_under(dir.path()).len(), 1, "no temporary file left");
    // Block by block: more than one block per plot, in order.
    let blocks = store
        .read_with(&key(5), |mut r| {
            let mut n = Vec::new();
            while let Some(b) = r.next_block()? {
                n.push((b.plot, b.start, b.len()));
            }
            Ok(n)
        })
        .unwrap()
        .unwrap();
    assert!(blocks.len() > 10, "{blocks:?}");
    assert_eq!(blocks[1].1, blocks[0].2 as u64);
    // A corrupt block found mid-stream: a miss, and the entry removed.
    let path = store.path_of(&key(5)).unwrap();
    let mut b = fs::read(&path).unwrap();
    b[100] ^= 0x10;
    fs::write(&path, &b).unwrap();
    let got = store
        .read_with(&key(5), |mut r| {
            while r.next_block()?.is_some() {}
            Ok(())
        })
        .unwrap();
    assert!(got.is_none());
    assert!(!path.exists());
}
