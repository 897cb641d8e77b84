//! Crash and concurrency tests with real processes: the test binary runs
//! itself again (`child_main`, selected by `CACHE_ZSTD_CHILD`) as writers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::{decode_entry, DiskStore, ResultCache};
use common::{key, make_entry, self_consistent, Rng};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "CACHE_ZSTD_CHILD";
const KEYS: u64 = 3;

/// The two process tests run one at a time: on a 2-core machine, running
/// them together starves the writer of the SIGKILL test.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn spawn_child(mode: &str, dir: &Path, id: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_main", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .env("CACHE_ZSTD_DIR", dir)
        .env("CACHE_ZSTD_ID", id.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Every entry file present decodes and matches what its seed says.
fn check_whole(store: &DiskStore) -> usize {
    let mut present = 0;
    for i in 0..KEYS {
        let k = key(i);
        if let Some(bytes) = store.get_envelope(&k).unwrap() {
            let e = decode_entry(&bytes, &k, None)
                .unwrap_or_else(|err| panic!("entry {k} does not read back: {err}"));
            assert!(self_consistent(&e), "entry {k} reads back wrong values");
            present += 1;
        }
    }
    present
}

/// Not a test on its own: the body of the child processes.
#[test]
fn child_main() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = std::env::var("CACHE_ZSTD_DIR").unwrap();
    let id: u64 = std::env::var("CACHE_ZSTD_ID").unwrap().parse().unwrap();
    let store = DiskStore::new(dir).unwrap();
    let mut rng = Rng(id * 7919 + 1);
    match mode.as_str() {
        // Writes large entries in a loop until killed.
        "writer" => {
            // The write path is what is under test; zstd-only keeps debug builds fast.
            let store = store
                .with_options(cache_zstd::EncodeOptions {
                    codecs: cache_zstd::CodecChoice::ZstdOnly,
                    ..Default::default()
                })
                .unwrap();
            let mut i = 0u64;
            loop {
                let k = key(i % KEYS);
                store
                    .put(
                        &k,
                        &make_entry(id * 1_000_000 + i, 30_000 + (i % 3) as usize * 15_000),
                    )
                    .unwrap();
                i += 1;
            }
        }
        // Puts and gets the same keys as the other children; every entry seen must be whole.
        "mixer" => {
            for i in 0..25u64 {
                let k = key(rng.below(KEYS));
                store
                    .put(
                        &k,
                        &make_entry(id * 1_000_000 + i, 2_000 + rng.below(20_000) as usize),
                    )
                    .unwrap();
                let k = key(rng.below(KEYS));
                if let Some(bytes) = store.get_envelope(&k).unwrap() {
                    let e = decode_entry(&bytes, &k, None).unwrap();
                    assert!(self_consistent(&e));
                }
                if let Some(e) = store.get(&k).unwrap() {
                    assert!(self_consistent(&e));
                }
            }
        }
        other => panic!("unknown child mode {other}"),
    }
}

#[test]
fn concurrent_processes_see_only_whole_entries() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<Child> = (1..=4)
        .map(|id| spawn_child("mixer", dir.path(), id))
        .collect();
    let store = DiskStore::new(dir.path()).unwrap();
    // Read alongside the writers too.
    let start = Instant::now();
    let mut reads = 0;
    while start.elapsed() < Duration::from_millis(500) {
        reads += check_whole(&store);
    }
    for mut c in children {
        let st = c.wait().unwrap();
        assert!(st.success(), "a child saw a broken entry or failed: {st}");
    }
    assert_eq!(check_whole(&store), KEYS as usize);
    eprintln!("parent read {reads} whole entries while children wrote");
}

#[test]
fn sigkill_mid_write_never_leaves_a_wrong_entry() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path()).unwrap();
    let mut rng = Rng(42);
    let mut max_present = 0;
    for round in 0..30u64 {
        let mut child = spawn_child("writer", dir.path(), round + 1);
        if round == 0 {
            // Let the first writer complete an entry, so that the rounds
            // after it kill writers that replace existing entries.
            let t = Instant::now();
            while store.keys().unwrap().is_empty() && t.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        std::thread::sleep(Duration::from_millis(rng.below(300)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        max_present = max_present.max(check_whole(&store));
    }
    // The store-level view agrees: hits are whole, nothing was corrupt.
    for i in 0..KEYS {
        if let Some(e) = store.get(&key(i)).unwrap() {
            assert!(self_consistent(&e));
        }
    }
    assert!(
        max_present > 0,
        "the writer never completed an entry: test too short"
    );
    // Temp files left by killed writers are not entries.
    assert!(store.stats().unwrap().entries <= KEYS);
    assert!(store.verify().unwrap().removed.is_empty());
}
