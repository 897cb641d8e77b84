//! The disk store when its directory changes under it: a store directory
//! removed, shards that are files, names that are not UTF-8, temporary
//! directories; an entry truncated while it is read (an I/O error naming
//! the file, the entry kept); a corrupt entry replaced or removed while it
//! was read (the newer file is never removed); errors of a reader's own
//! closure; dictionary paths that are dangling symlinks; removing a
//! directory where an entry would be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::{CacheError, Dictionary, DiskStore, EncodeOptions, ResultCache};
use common::{key, make_entry, same_bits, Rng};
use std::fs;

#[test]
fn a_removed_store_directory_is_an_empty_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let store = DiskStore::new(&dir).unwrap();
    store.put(&key(1), &make_entry(1, 20)).unwrap();
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(store.stats().unwrap(), cache_zstd::CacheStats::default());
    assert!(store.keys().unwrap().is_empty());
    let v = store.verify().unwrap();
    assert_eq!((v.checked, v.ok, v.stale_temp_files), (0, 0, 0));
    assert_eq!(store.gc(0).unwrap().entries, 0);
    assert!(store.get(&key(1)).unwrap().is_none());
    // A put makes the directory again.
    store.put(&key(1), &make_entry(1, 20)).unwrap();
    assert!(same_bits(
        &store.get(&key(1)).unwrap().unwrap(),
        &make_entry(1, 20)
    ));
}

#[test]
fn what_is_not_an_entry_in_the_walk_is_skipped() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    let k = key(2);
    store.put(&k, &make_entry(2, 30)).unwrap();
    let shard = store.path_of(&k).unwrap().parent().unwrap().to_path_buf();
    // A shard name that is a file, a file name that is not UTF-8, a
    // temporary name that is a directory (never a stale temporary file).
    let other_shard = if &k[..2] == "00" { "01" } else { "00" };
    fs::write(tmp.path().join(other_shard), b"not a directory").unwrap();
    fs::write(
        shard.join(std::ffi::OsStr::from_bytes(b"\xff\xfe.splc")),
        b"x",
    )
    .unwrap();
    fs::create_dir(tmp.path().join(".tmp-dir")).unwrap();
    let s = store.stats().unwrap();
    assert_eq!(s.entries, 1);
    assert_eq!(store.keys().unwrap(), vec![k.clone()]);
    let v = store.verify().unwrap();
    assert_eq!((v.checked, v.ok, v.stale_temp_files), (1, 1, 0));
    assert!(v.removed.is_empty() && v.skipped.is_empty());
    let g = store.gc(u64::MAX).unwrap();
    assert_eq!((g.entries, g.evicted, g.stale_temp_files), (1, 0, 0));
    assert_eq!(g.stored_bytes, s.stored_bytes);
    assert!(tmp.path().join(".tmp-dir").is_dir());
    assert!(tmp.path().join(other_shard).is_file());
}

#[test]
fn an_entry_truncated_while_it_is_read_is_an_io_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    // Small blocks: the footer reads, then a later block is past the end.
    let store = DiskStore::new(tmp.path())
        .unwrap()
        .with_options(EncodeOptions {
            block_bytes: 256,
            ..EncodeOptions::default()
        })
        .unwrap();
    let k = key(3);
    let e = make_entry(3, 400);
    store.put(&k, &e).unwrap();
    let path = store.path_of(&k).unwrap();
    let r = store.read_with(&k, |mut r| {
        assert!(r.meta().blocks.len() > 4);
        r.next_block()?;
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(100)
            .unwrap();
        while r.next_block()?.is_some() {}
        Ok(())
    });
    match r {
        Err(CacheError::Io { path: p, source }) => {
            assert_eq!(p, path);
            assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
        }
        other => panic!("{other:?}"),
    }
    // Not a corrupt entry: left in place (a later read finds it cut short).
    assert!(path.exists());
    assert_eq!(fs::metadata(&path).unwrap().len(), 100);
    assert!(store.get(&k).unwrap().is_none());
    assert!(
        !path.exists(),
        "the truncated entry is removed on the next get"
    );
}

#[test]
fn the_reading_closures_own_error_comes_back_and_the_entry_stays() {
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    let k = key(4);
    store.put(&k, &make_entry(4, 10)).unwrap();
    let r: cache_zstd::Result<Option<()>> = store.read_with(&k, |_| {
        Err(CacheError::Options("the caller gave up".into()))
    });
    assert!(matches!(r, Err(CacheError::Options(m)) if m == "the caller gave up"));
    assert!(store.contains(&k).unwrap());
    assert!(store.get(&k).unwrap().is_some());
}

#[test]
fn a_corrupt_entry_replaced_while_read_is_not_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    let k = key(5);
    let old = make_entry(5, 10);
    let new = make_entry(6, 12);
    store.put(&k, &old).unwrap();
    let path = store.path_of(&k).unwrap();
    // While the reader holds the old file, a newer entry is renamed over
    // it; the old one then proves corrupt: the newer file stays.
    let newer = DiskStore::new(tmp.path().join("other")).unwrap();
    newer.put(&k, &new).unwrap();
    let newer_path = newer.path_of(&k).unwrap();
    let r = store.read_with(&k, |_| {
        fs::rename(&newer_path, &path).unwrap();
        Err::<(), _>(CacheError::Corrupt {
            key: k.clone(),
            offset: 8,
            what: "found bad while reading".into(),
        })
    });
    assert!(r.unwrap().is_none(), "a corrupt entry is a miss");
    assert!(same_bits(&store.get(&k).unwrap().unwrap(), &new));
    // Removed meanwhile: nothing to remove, still a miss.
    let r = store.read_with(&k, |_| {
        fs::remove_file(&path).unwrap();
        Err::<(), _>(CacheError::Integrity {
            key: k.clone(),
            offset: 8,
            what: "block checksum",
        })
    });
    assert!(r.unwrap().is_none());
    assert!(!path.exists());
}

#[test]
fn a_dangling_symlink_at_a_dictionary_path_is_replaced_by_the_object() {
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    let mut rng = Rng(11);
    let d = Dictionary::from_bytes((0..2048).map(|_| rng.next() as u8).collect());
    let path = store.dictionary_path(d.id());
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), &path).unwrap();
    match store.dictionary(d.id()) {
        Err(CacheError::Dictionary { what, .. }) => {
            assert!(
                what.ends_with("not a regular file but a dangling symlink"),
                "{what}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.put_dictionary(&d).unwrap(), path);
    assert!(fs::symlink_metadata(&path).unwrap().file_type().is_file());
    // Put again: the valid object is kept as it is.
    let before = fs::read(&path).unwrap();
    store.put_dictionary(&d).unwrap();
    assert_eq!(fs::read(&path).unwrap(), before);
    let fresh = DiskStore::new(tmp.path()).unwrap();
    assert_eq!(fresh.dictionary(d.id()).unwrap(), Some(d.clone()));
    assert_eq!(
        fresh.dictionary(d.id()).unwrap().unwrap().bytes(),
        d.bytes()
    );
}

#[test]
fn removing_a_directory_where_an_entry_would_be_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    let k = key(7);
    let path = store.path_of(&k).unwrap();
    fs::create_dir_all(&path).unwrap();
    assert!(!store.contains(&k).unwrap());
    match store.remove(&k) {
        Err(CacheError::Io { path: p, .. }) => assert_eq!(p, path),
        other => panic!("{other:?}"),
    }
    assert!(path.is_dir());
    // get refuses it by name.
    match store.get(&k) {
        Err(CacheError::NotAFile { path: p, found }) => {
            assert_eq!(p, path);
            assert_eq!(found, "a directory");
        }
        other => panic!("{other:?}"),
    }
    assert!(!store.remove(&key(8)).unwrap());
}
