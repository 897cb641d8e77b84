//! The cache on real results: every committed fixture and every sample of the
//! shared corpus goes through the cache and comes back bit for bit; the
//! `spicelab cache` commands on real files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::require;

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
    common::in_cache(dir, args)
}

fn fixture(name: &str) -> PathBuf {
    common::fixture(name)
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

/// The v3 reference entry of `ng39_rc_tran.raw` (written by format v3)
/// still reads, bit for bit, in memory and through `cache get`.
#[test]
fn v3_reference_entry_of_a_real_file_still_reads() {
    let src = fixture("ng39_rc_tran.raw");
    let key = cache_zstd::key_of(&std::fs::read(&src).unwrap());
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cache/v3/ng39_rc_tran.splc");
    let bytes = std::fs::read(&reference).unwrap();
    assert_eq!(u16::from_le_bytes([bytes[4], bytes[5]]), 3);
    let a = RawFile::open(&src).and_then(|r| r.read_all()).unwrap();
    let e = decode_entry(&bytes, &key, None).unwrap();
    assert_eq!(e.result.plots.len(), 1);
    assert_eq!(a.plots[0].header, e.result.plots[0].header);
    for (x, y) in a.plots[0].columns.iter().zip(&e.result.plots[0].columns) {
        assert_eq!(bits(x), bits(y));
    }
    // In a store, `cache get` writes the same values back.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let at = dir.join(&key[..2]).join(format!("{key}.splc"));
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::copy(&reference, &at).unwrap();
    let back = tmp.path().join("back.raw");
    let out = spicelab(&dir, &["cache", "get", &key, "-o", back.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = RawFile::open(&back).and_then(|r| r.read_all()).unwrap();
    for (x, y) in a.plots[0].columns.iter().zip(&b.plots[0].columns) {
        assert_eq!(bits(x), bits(y));
    }
    let v: Value =
        serde_json::from_slice(&spicelab(&dir, &["cache", "stats", "--json"]).stdout).unwrap();
    assert_eq!(
        (v["entries"].as_u64(), v["other_versions"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(v["raw_bytes"], 249 * 4 * 8);
}

fn lt_plot(flags: &str, double: bool, n: usize, starts: Vec<u64>) -> waveform::Plot {
    use waveform::{Flags, Plot, PlotHeader, Steps, Variable};
    let t: Vec<f64> = (0..n)
        .map(|i| (i % (n / starts.len().max(1))) as f64 * 1e-6)
        .collect();
    let v: Vec<f64> = (0..n).map(|i| (i as f64 * 0.05).sin()).collect();
    let c: Vec<f32> = (0..n).map(|i| i as f32 * 1e-3 - 0.5).collect();
    Plot {
        header: PlotHeader {
            title: "* lt".into(),
            date: "Mon Jan  5 10:00:00 2026".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse(flags),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "V(out)", "voltage"),
                Variable::new(2, "I(R1)", "device_current"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64(t),
            Column::F64(v),
            if double {
                Column::F64(c.iter().map(|&x| f64::from(x)).collect())
            } else {
                Column::F32(c)
            },
        ],
        steps: Steps {
            total: n as u64,
            starts,
            params: Vec::new(),
        },
    }
}

/// LTspice layouts survive `cache put` then `cache get`: the fastaccess and
/// double flags, the stored types, the steps and their parameters (from
/// the `.log`, written back beside the output), every value.
#[test]
fn ltspice_layouts_and_step_parameters_survive_put_and_get() {
    use raw_stream::RawFormat;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let cases = [
        (
            "fast.raw",
            RawFormat::LtspiceFastAccess,
            lt_plot("real forward", false, 300, vec![0]),
            None,
        ),
        (
            "double.raw",
            RawFormat::LtspiceBinary,
            lt_plot("real forward", true, 300, vec![0]),
            None,
        ),
        (
            "step.raw",
            RawFormat::LtspiceBinary,
            lt_plot("real forward stepped", false, 300, vec![0, 100, 200]),
            Some(".step r1=1k vin=1\n.step r1=2.2k vin=1\n.step r1=4.7k vin=-2.5e-3\n"),
        ),
    ];
    for (name, fmt, plot, log) in cases {
        let src = tmp.path().join(name);
        raw_stream::write_file(&src, fmt, &[plot]).unwrap();
        if let Some(l) = log {
            std::fs::write(src.with_extension("log"), format!("Circuit: * lt\n\n{l}")).unwrap();
        }
        let out = spicelab(&dir, &["cache", "put", src.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let back = tmp.path().join(format!("back_{name}"));
        let out = spicelab(
            &dir,
            &["cache", "get", &key, "-o", back.to_str().unwrap(), "--json"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let a = RawFile::open(&src).unwrap();
        let b = RawFile::open(&back).unwrap();
        let (pa, pb) = (a.plot(0).unwrap(), b.plot(0).unwrap());
        let (ha, hb) = (pa.header(), pb.header());
        assert_eq!(ha.flags.fastaccess, hb.flags.fastaccess, "{name}");
        assert_eq!(ha.flags.double, hb.flags.double, "{name}");
        assert_eq!(ha.flags.stepped, hb.flags.stepped, "{name}");
        assert_eq!(pa.info().layout.stored, pb.info().layout.stored, "{name}");
        assert_eq!(*pa.steps().unwrap(), *pb.steps().unwrap(), "{name}");
        if log.is_some() {
            let p = pb.steps().unwrap().params.clone();
            assert_eq!(p.len(), 3, "{name}");
            assert_eq!(
                p[1],
                vec![("r1".to_string(), 2200.0), ("vin".to_string(), 1.0)]
            );
            assert_eq!(p[2][1].1, -2.5e-3);
        }
        let (ra, rb) = (a.read_all().unwrap(), b.read_all().unwrap());
        for (x, y) in ra.plots[0].columns.iter().zip(&rb.plots[0].columns) {
            assert_eq!(bits(x), bits(y), "{name}");
        }
        // Same layout, same writer: the same bytes.
        assert_eq!(
            std::fs::read(&src).unwrap(),
            std::fs::read(&back).unwrap(),
            "{name}"
        );
    }
}

/// An entry path that is a FIFO, or a symlink to /dev/zero: `cache get`
/// refuses it at once, saying what it found.
#[cfg(unix)]
#[test]
fn cache_get_refuses_a_fifo_and_dev_zero_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let key = cache_zstd::key_of(b"not a file");
    let at = dir.join(&key[..2]).join(format!("{key}.splc"));
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    assert!(Command::new("mkfifo").arg(&at).status().unwrap().success());
    let back = tmp.path().join("back.raw");
    for found in ["FIFO", "character device"] {
        let t = std::time::Instant::now();
        let out = spicelab(&dir, &["cache", "get", &key, "-o", back.to_str().unwrap()]);
        assert!(
            t.elapsed() < std::time::Duration::from_secs(1),
            "{:?}",
            t.elapsed()
        );
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(found) && err.contains("not a regular file"),
            "{err}"
        );
        assert!(!back.exists());
        std::fs::remove_file(&at).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &at).unwrap();
    }
}

/// An entry of a newer format version: `get` is a miss (exit 2) that leaves
/// it in place; `stats` and `verify` count it as another version.
#[test]
fn entries_of_other_versions_are_kept_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let src = fixture("ng39_rc_tran.raw");
    let out = spicelab(&dir, &["cache", "put", src.to_str().unwrap()]);
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let path = dir.join(&key[..2]).join(format!("{key}.splc"));
    let mut b = std::fs::read(&path).unwrap();
    b[4..6].copy_from_slice(&(cache_zstd::FORMAT_VERSION + 1).to_le_bytes());
    std::fs::write(&path, &b).unwrap();
    let back = tmp.path().join("back.raw");
    let out = spicelab(&dir, &["cache", "get", &key, "-o", back.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("format version 5"));
    assert!(path.exists() && !back.exists());
    let v: Value =
        serde_json::from_slice(&spicelab(&dir, &["cache", "stats", "--json"]).stdout).unwrap();
    assert_eq!(
        (v["entries"].as_u64(), v["other_versions"].as_u64()),
        (Some(1), Some(1))
    );
    let out = spicelab(&dir, &["cache", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(0), "another version is not corrupt");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["other_versions"].as_u64(), v["ok"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(path.exists());
}
