//! The disk store on what else may lie in its directory: dictionary objects
//! that are not files or are too big, v3 entries cut short, files and
//! directories that are not entries, temporary files left by killed
//! writers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::{CacheError, DiskStore, EncodeOptions, ResultCache, MAX_DICT_SIZE};
use common::{read, ref_key};
use std::fs;
use std::time::{Duration, SystemTime};

#[test]
fn a_dictionary_object_that_is_a_directory_or_too_big_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    assert_eq!(store.dir(), tmp.path());
    assert_eq!(
        store.options().block_bytes,
        EncodeOptions::default().block_bytes
    );
    let id = [0x5a; 32];
    let path = store.dictionary_path(&id);
    assert!(store.dictionary(&id).unwrap().is_none());
    fs::create_dir_all(&path).unwrap();
    match store.dictionary(&id) {
        Err(CacheError::Dictionary { id: hex, what }) => {
            assert_eq!(hex, "5a".repeat(32));
            assert_eq!(
                what,
                format!("{}: not a regular file but a directory", path.display())
            );
        }
        other => panic!("{other:?}"),
    }
    fs::remove_dir(&path).unwrap();
    let size = MAX_DICT_SIZE as u64 + 65;
    fs::File::create(&path).unwrap().set_len(size).unwrap();
    match store.dictionary(&id) {
        Err(CacheError::Dictionary { what, .. }) => assert_eq!(
            what,
            format!(
                "{}: {size} bytes, over the limit of {}",
                path.display(),
                size - 1
            )
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn stats_and_gc_skip_what_is_not_an_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let store = DiskStore::new(tmp.path()).unwrap();
    let k = ref_key();
    let v3 = read("v3", "synthetic.splc");
    store.put_envelope(&k, &v3).unwrap();
    let s = store.stats().unwrap();
    assert_eq!((s.entries, s.raw_bytes), (1, 1000));

    // the same v3 entry cut inside its meta: counted, its raw size unknown
    let path = store.path_of(&k).unwrap();
    fs::write(&path, &v3[..40]).unwrap();
    let s = store.stats().unwrap();
    assert_eq!((s.entries, s.stored_bytes, s.raw_bytes), (1, 40, 0));
    // shorter than a head
    fs::write(&path, &v3[..5]).unwrap();
    let s = store.stats().unwrap();
    assert_eq!((s.entries, s.stored_bytes, s.raw_bytes), (1, 5, 0));

    // not entries: a file with another name in the shard, a key of another
    // shard, a shard that is not hex, a directory where an entry would be
    let shard = path.parent().unwrap();
    fs::write(shard.join("notes.txt"), b"x").unwrap();
    let other = cache_zstd::key_of(b"another");
    assert_ne!(other[..2], k[..2]);
    fs::write(shard.join(format!("{other}.splc")), b"x").unwrap();
    fs::create_dir(tmp.path().join("zz")).unwrap();
    fs::write(tmp.path().join("zz").join(format!("{k}.splc")), b"x").unwrap();
    let dir_key = cache_zstd::key_of(b"a directory");
    let dir_entry = store.path_of(&dir_key).unwrap();
    fs::create_dir_all(&dir_entry).unwrap();
    assert_eq!(store.stats().unwrap().entries, 1);
    assert_eq!(store.keys().unwrap(), vec![k.clone()]);

    // temporary files: a fresh one is kept, one over an hour old is removed
    let fresh = shard.join(".tmp-fresh");
    let old = shard.join(".tmp-old");
    let old_top = tmp.path().join(".tmp-top");
    for p in [&fresh, &old, &old_top] {
        fs::write(p, b"half an entry").unwrap();
    }
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    for p in [&old, &old_top] {
        fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
    }
    let r = store.gc(u64::MAX).unwrap();
    assert_eq!((r.stale_temp_files, r.evicted, r.entries), (2, 0, 1));
    assert!(fresh.exists() && !old.exists() && !old_top.exists());
    assert!(dir_entry.is_dir());
}
