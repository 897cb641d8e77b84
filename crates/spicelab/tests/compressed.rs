//! `spicelab info`, `stats`, `export`, `convert` and `diff` on `.raw.gz` and `.raw.zst`
//! files compressed in the test from real ngspice fixtures and LTspice corpus
//! files: the output is the one of the uncompressed file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::require;
use common::{fixture, run, s};

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

fn ok_stdout(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The `--json` output, without the fields that name the file itself and
/// the time the command took.
fn json_without_name(args: &[&str]) -> Value {
    let mut v: Value = serde_json::from_slice(&ok_stdout(args)).unwrap();
    let obj = v.as_object_mut().unwrap();
    assert!(obj.remove("file").is_some(), "{args:?}: no 'file'");
    obj.remove("compression");
    obj.remove("seconds");
    v
}

fn compress(src: &Path, dir: &Path) -> [(PathBuf, &'static str); 2] {
    let bytes = std::fs::read(src).unwrap();
    let name = src.file_name().unwrap().to_str().unwrap();
    let gz = dir.join(format!("{name}.gz"));
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&bytes).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    let zst = dir.join(format!("{name}.zst"));
    std::fs::write(&zst, zstd::stream::encode_all(&bytes[..], 3).unwrap()).unwrap();
    [(gz, "gzip"), (zst, "zstd")]
}

fn check_same(plain: &Path, dir: &Path) {
    for (packed, format) in compress(plain, dir) {
        for cmd in ["info", "stats"] {
            let a = json_without_name(&[cmd, s(plain), "--json"]);
            let b = json_without_name(&[cmd, s(&packed), "--json"]);
            assert_eq!(a, b, "{cmd} {}", packed.display());
        }
        let info: Value =
            serde_json::from_slice(&ok_stdout(&["info", s(&packed), "--json"])).unwrap();
        assert_eq!(info["compression"], format);
        assert!(info["plots"][0]["points"].as_u64().unwrap() > 0);
        // export: the same CSV, byte for byte
        let (ea, eb) = (dir.join("plain.csv"), dir.join("packed.csv"));
        ok_stdout(&["export", s(plain), "-o", s(&ea)]);
        ok_stdout(&["export", s(&packed), "-o", s(&eb)]);
        let (a, b) = (std::fs::read(&ea).unwrap(), std::fs::read(&eb).unwrap());
        assert!(a.len() > 100);
        assert_eq!(a, b, "export {}", packed.display());
        // convert: the same output file as from the plain one
        for format in ["ngspice-binary", "ltspice-fastaccess"] {
            let (ca, cb) = (dir.join("plain.out.raw"), dir.join("packed.out.raw"));
            ok_stdout(&["convert", s(plain), "-o", s(&ca), "--format", format]);
            ok_stdout(&["convert", s(&packed), "-o", s(&cb), "--format", format]);
            let (a, b) = (std::fs::read(&ca).unwrap(), std::fs::read(&cb).unwrap());
            assert!(a.len() > 100);
            assert_eq!(a, b, "convert {} --format {format}", packed.display());
        }
        // diff of the file against itself compressed: no difference
        let out = run(&["diff", s(plain), s(&packed)]);
        assert!(
            out.status.success(),
            "diff {}: {}{}",
            packed.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn ngspice_fixtures_compressed_give_the_same_info_stats_export_convert_diff() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "ng39_rc_tran.raw",
        "ng39_rc_tran_ascii.raw",
        "ng39_rlc_ac.raw",
    ] {
        check_same(&fixture(name), dir.path());
    }
}

#[test]
fn ltspice_corpus_file_compressed_gives_the_same_info_stats_export_convert_diff() {
    let Some(c) = require::corpus_dir(env!("CARGO_MANIFEST_DIR")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    check_same(&c.join("ltspice_rl_tran_double.raw"), dir.path());
}

#[test]
fn multi_plot_stats_compressed_match() {
    let dir = tempfile::tempdir().unwrap();
    let plain = fixture("ng39_multi_op_tran_ac.raw");
    for (packed, _) in compress(&plain, dir.path()) {
        let a = json_without_name(&["stats", s(&plain), "--json"]);
        let b = json_without_name(&["stats", s(&packed), "--json"]);
        assert_eq!(a, b);
    }
}

#[test]
fn fastaccess_and_truncated_streams_are_clean_errors() {
    let dir = tempfile::tempdir().unwrap();
    if let Some(c) = require::corpus_dir(env!("CARGO_MANIFEST_DIR")) {
        for (packed, format) in compress(&c.join("ltspice_tran_fastaccess.raw"), dir.path()) {
            let out = run(&["stats", s(&packed)]);
            assert_eq!(out.status.code(), Some(2), "{}", packed.display());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("needs random access"), "{err}");
            assert!(err.contains("decompress it first"), "{err}");
            assert!(err.contains(format), "{err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    for (packed, format) in compress(&fixture("ng39_rc_tran.raw"), dir.path()) {
        let bytes = std::fs::read(&packed).unwrap();
        std::fs::write(&packed, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let out = run(&["info", s(&packed), "--json"]);
        assert_eq!(out.status.code(), Some(2));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let msg = v["error"].as_str().unwrap();
        assert!(msg.contains(&format!("{format} stream")), "{msg}");
        assert!(msg.contains("cannot be decompressed"), "{msg}");
    }
}
