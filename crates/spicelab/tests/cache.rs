//! The cache on real results: every committed fixture and every sample of the
//! shared corpus goes through the cache and comes back bit for bit; the
//! `spicelab cache` commands on real files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use cache_zstd::{decode_entry, encode_entry, CodecChoice, EncodeOptions, Entry, JobMeta};
use raw_stream::RawFile;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use waveform::Column;

fn raw_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("../../fixtures")];
    // the shared corpus too (a failure in CI when it is missing)
    if let Some(corpus) = require::corpus_dir(env!("CARGO_MANIFEST_DIR")) {
        dirs.push(corpus);
    }
    let mut files = Vec::new();
    for d in dirs {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if (name.ends_with(".raw") || name.ends_with(".qraw")) && !name.starts_with("broken_") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn bits(c: &Column) -> Vec<u64> {
    c.bit_patterns()
}

#[test]
fn every_fixture_and_sample_round_trips_bit_for_bit() {
    let files = raw_files();
    assert!(files.len() >= 9, "{files:?}");
    let mut columns = 0;
    for f in &files {
        let result = RawFile::open(f)
            .and_then(|r| r.read_all())
            .unwrap_or_else(|e| panic!("{e}"));
        let entry = Entry {
            result,
            meta: JobMeta::default(),
        };
        for codecs in [CodecChoice::Auto, CodecChoice::ZstdOnly] {
            let opts = EncodeOptions {
                codecs,
                ..EncodeOptions::default()
            };
            let key = cache_zstd::key_of(f.to_string_lossy().as_bytes());
            let bytes = encode_entry(&key, &entry, &opts).unwrap();
            let back = decode_entry(&bytes, &key, None).unwrap();
            assert_eq!(back.result.plots.len(), entry.result.plots.len());
            for (a, b) in entry.result.plots.iter().zip(&back.result.plots) {
                assert_eq!(a.header, b.header, "{}", f.display());
                assert_eq!(a.steps, b.steps, "{}", f.display());
                for (x, y) in a.columns.iter().zip(&b.columns) {
                    assert_eq!(x.value_type(), y.value_type(), "{}", f.display());
                    assert_eq!(bits(x), bits(y), "{}", f.display());
                    columns += 1;
                }
            }
        }
    }
    assert!(columns > 100, "{columns}");
}

fn spicelab(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .args(args)
        .env("SPICELAB_CACHE_DIR", dir)
        .env_remove("SPICELAB_CACHE_SECRET")
        .output()
        .unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// put -> get writes a RAW file with the same values; stats counts it; a
/// flipped byte is found by verify, removed, and then the key is a miss.
#[test]
fn cache_commands_on_real_ngspice_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let src = fixture("ng39_rc_tran.raw");
    let out = spicelab(&dir, &["cache", "put", src.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(key, cache_zstd::key_of(&std::fs::read(&src).unwrap()));

    let back = tmp.path().join("back.raw");
    let out = spicelab(&dir, &["cache", "get", &key, "-o", back.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = RawFile::open(&src).and_then(|r| r.read_all()).unwrap();
    let b = RawFile::open(&back).and_then(|r| r.read_all()).unwrap();
    for (x, y) in a.plots[0].columns.iter().zip(&b.plots[0].columns) {
        assert_eq!(bits(x), bits(y));
    }

    let out = spicelab(&dir, &["cache", "stats", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entries"], 1);
    assert_eq!(v["raw_bytes"], 249 * 4 * 8);
    let stored = v["stored_bytes"].as_u64().unwrap();
    assert!(stored > 0 && stored < 249 * 4 * 8, "{stored}");

    // flip one byte in the middle of the entry
    let path = dir.join(&key[..2]).join(format!("{key}.splc"));
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let out = spicelab(&dir, &["cache", "verify", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "verify must fail when it finds a corrupt entry"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["checked"], 1);
    assert_eq!(v["removed"].as_array().map(Vec::len), Some(1));
    assert!(!path.exists());
    let out = spicelab(&dir, &["cache", "get", &key, "-o", back.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no entry"));
}

#[test]
fn bad_keys_are_rejected_with_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "a".repeat(65);
    for key in [
        "../x",
        "",
        &long,
        "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
    ] {
        // never the machine's /dev/null: an output path of our own
        let dest = tmp.path().join("out.raw");
        let out = spicelab(
            tmp.path(),
            &["cache", "get", key, "-o", dest.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2), "{key}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("key"), "{key}: {err}");
        assert!(!dest.exists(), "{key}: an output was created for a bad key");
    }
    // nothing was created outside the cache directory
    assert!(!tmp.path().join("../x").with_extension("splc").exists());
}

#[test]
fn gc_evicts_to_a_size() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    for name in [
        "ng39_rc_tran.raw",
        "ng39_rlc_ac.raw",
        "ng39_diode_clipper_dc.raw",
        "ng39_bjt_noise.raw",
    ] {
        let out = spicelab(&dir, &["cache", "put", fixture(name).to_str().unwrap()]);
        assert!(out.status.success());
    }
    let v: Value =
        serde_json::from_slice(&spicelab(&dir, &["cache", "stats", "--json"]).stdout).unwrap();
    assert_eq!(v["entries"], 4);
    let total = v["stored_bytes"].as_u64().unwrap();
    let out = spicelab(
        &dir,
        &[
            "cache",
            "gc",
            "--max-size",
            &(total / 2).to_string(),
            "--json",
        ],
    );
    assert!(out.status.success());
    let g: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(g["stored_bytes"].as_u64().unwrap() <= total / 2);
    assert!(g["evicted"].as_u64().unwrap() >= 1);
}
