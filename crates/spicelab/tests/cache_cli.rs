//! `spicelab cache` as a user runs it, on real ngspice output: the text
//! reports of stats, verify and gc, `get` as CSV (the same bytes as
//! `export`), to stdout and in each RAW layout, `put` with its options, and
//! the usage errors of bad combinations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, s};
use raw_stream::RawFile;
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use waveform::Encoding;

fn spicelab(dir: &Path, args: &[&str]) -> Output {
    common::in_cache(dir, args)
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Puts the ngspice transient fixture (249 points, 4 doubles) and returns its key.
fn put_tran(dir: &Path) -> String {
    let out = spicelab(dir, &["cache", "put", s(&fixture("ng39_rc_tran.raw"))]);
    let key = ok(&out).trim().to_string();
    assert_eq!(key.len(), 64, "{key}");
    assert!(stderr(&out).contains("stored "), "{}", stderr(&out));
    key
}

fn columns_bits(path: &Path) -> Vec<Vec<u64>> {
    let r = RawFile::open(path).and_then(|r| r.read_all()).unwrap();
    r.plots
        .iter()
        .flat_map(|p| p.columns.iter().map(|c| c.bit_patterns()))
        .collect()
}

/// The text reports: stats before and after gc, verify of a good cache,
/// gc down to nothing.
#[test]
fn stats_verify_and_gc_print_their_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    put_tran(&dir);

    let text = ok(&spicelab(&dir, &["cache", "stats"]));
    assert!(
        text.contains(&format!("cache:        {}", dir.display())),
        "{text}"
    );
    assert!(text.contains("entries:      1\n"), "{text}");
    // 249 points x 4 doubles of column data
    assert!(text.contains("column bytes: 7968\n"), "{text}");
    let stored: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("stored bytes: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(stored > 0 && stored < 7968, "{text}");
    let ratio: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("ratio:        "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((ratio - stored as f64 / 7968.0).abs() < 1e-3, "{text}");

    let out = spicelab(&dir, &["cache", "verify"]);
    assert_eq!(
        ok(&out),
        "1 entries checked, 1 good, 0 corrupt removed\n",
        "{}",
        stderr(&out)
    );

    let text = ok(&spicelab(&dir, &["cache", "gc", "--max-size", "1"]));
    assert_eq!(
        text,
        format!("evicted 1 entries ({stored} bytes); 0 entries, 0 bytes left\n")
    );
    let text = ok(&spicelab(&dir, &["cache", "stats"]));
    assert!(text.contains("entries:      0\n"), "{text}");
    assert!(
        !text.contains("ratio"),
        "no ratio of an empty cache: {text}"
    );
    let v: Value =
        serde_json::from_str(&ok(&spicelab(&dir, &["cache", "stats", "--json"]))).unwrap();
    assert_eq!(v["entries"], 0);
    assert_eq!(v["ratio"], Value::Null);
}

/// gc with --json, and a size that is not one.
#[test]
fn gc_json_and_a_bad_size() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    put_tran(&dir);
    let v: Value = serde_json::from_str(&ok(&spicelab(
        &dir,
        &["cache", "gc", "--max-size", "10MB", "--json"],
    )))
    .unwrap();
    assert_eq!(v["evicted"], 0);
    assert_eq!(v["freed_bytes"], 0);
    assert_eq!(v["entries"], 1);
    let o = spicelab(&dir, &["cache", "gc", "--max-size", "lots"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("'lots' is not a size"),
        "{}",
        stderr(&o)
    );
}

/// A corrupt entry found by verify in text mode: reported with its path and
/// reason, removed, exit status 1.
#[test]
fn verify_reports_a_corrupt_entry_in_text() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let key = put_tran(&dir);
    let path = dir.join(&key[..2]).join(format!("{key}.splc"));
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let o = spicelab(&dir, &["cache", "verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("1 entries checked, 0 good, 1 corrupt removed")
    );
    let removed = lines.next().unwrap();
    assert!(
        removed.starts_with(&format!("  removed {}: ", path.display())),
        "{text}"
    );
    assert!(!path.exists());
}

/// `get -o x.csv` writes the plot as `export` does, byte for byte; with
/// --json it says what it wrote; `--plot` past the last plot is a usage error.
#[test]
fn get_as_csv_matches_export() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let key = put_tran(&dir);
    let exported = tmp.path().join("export.csv");
    ok(&common::run(&[
        "export",
        s(&fixture("ng39_rc_tran.raw")),
        "-o",
        s(&exported),
    ]));
    let got = tmp.path().join("got.csv");
    let o = spicelab(&dir, &["cache", "get", &key, "-o", s(&got)]);
    ok(&o);
    assert!(
        stderr(&o).contains("(plot 0 as CSV, 249 points)"),
        "{}",
        stderr(&o)
    );
    let a = std::fs::read_to_string(&exported).unwrap();
    let b = std::fs::read_to_string(&got).unwrap();
    assert_eq!(a.lines().count(), 250, "header and 249 rows");
    assert_eq!(a, b);

    let again = tmp.path().join("again.csv");
    let v: Value = serde_json::from_str(&ok(&spicelab(
        &dir,
        &["cache", "get", &key, "-o", s(&again), "--json"],
    )))
    .unwrap();
    assert_eq!(v["format"], "csv");
    assert_eq!(v["points"], 249);
    assert_eq!(v["plots"], 1);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), a);

    // CSV to stdout with --format
    let o = spicelab(&dir, &["cache", "get", &key, "-o", "-", "--format", "csv"]);
    assert_eq!(ok(&o), a);

    let o = spicelab(
        &dir,
        &[
            "cache",
            "get",
            &key,
            "-o",
            s(&tmp.path().join("p1.csv")),
            "--plot",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("no plot 1 in entry {key} (it has 1)")),
        "{}",
        stderr(&o)
    );
}

/// `get -o -` writes the RAW file to stdout (same values bit for bit);
/// --json with -o - and an unknown extension are refused; a key that is
/// well formed but absent is an input error.
#[test]
fn get_to_stdout_and_refusals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let key = put_tran(&dir);
    let o = spicelab(&dir, &["cache", "get", &key, "-o", "-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).is_empty(),
        "nothing but the file: {}",
        stderr(&o)
    );
    let piped = tmp.path().join("piped.raw");
    std::fs::write(&piped, &o.stdout).unwrap();
    assert_eq!(
        columns_bits(&piped),
        columns_bits(&fixture("ng39_rc_tran.raw"))
    );

    let o = spicelab(&dir, &["cache", "get", &key, "-o", "-", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("both want stdout"), "{}", stderr(&o));

    let txt = tmp.path().join("back.txt");
    let o = spicelab(&dir, &["cache", "get", &key, "-o", s(&txt)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot tell the format from '.txt'"),
        "{}",
        stderr(&o)
    );
    assert!(!txt.exists());

    let absent = "0".repeat(64);
    let o = spicelab(
        &dir,
        &["cache", "get", &absent, "-o", s(&tmp.path().join("x.csv"))],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("no entry under {absent}")),
        "{}",
        stderr(&o)
    );
}

/// `get --format` writes each RAW layout; every one reads back to the same
/// values, with the encoding the layout has.
#[test]
fn get_in_every_raw_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let key = put_tran(&dir);
    let want = columns_bits(&fixture("ng39_rc_tran.raw"));
    for (format, encoding) in [
        ("ngspice", Encoding::Binary),
        ("ngspice-ascii", Encoding::Ascii),
        ("ltspice", Encoding::Binary),
        ("ltspice-fastaccess", Encoding::Binary),
    ] {
        let out = tmp.path().join(format!("{format}.raw"));
        let v: Value = serde_json::from_str(&ok(&spicelab(
            &dir,
            &[
                "cache",
                "get",
                &key,
                "-o",
                s(&out),
                "--format",
                format,
                "--json",
            ],
        )))
        .unwrap();
        assert_eq!(v["format"], format);
        assert_eq!(v["points"], 249);
        assert_eq!(v["raw_bytes"], 7968);
        let raw = RawFile::open(&out).unwrap();
        assert_eq!(raw.encoding(), encoding, "{format}");
        let got = columns_bits(&out);
        assert_eq!(got.len(), want.len(), "{format}");
        if format == "ltspice" || format == "ltspice-fastaccess" {
            // LTspice stores the scale as a double and the other vectors as
            // singles (or doubles with the `double` flag): compare as f64
            let a = RawFile::open(&out).and_then(|r| r.read_all()).unwrap();
            let b = RawFile::open(fixture("ng39_rc_tran.raw"))
                .and_then(|r| r.read_all())
                .unwrap();
            for (x, y) in a.plots[0].columns.iter().zip(&b.plots[0].columns) {
                for i in 0..y.len() {
                    let (p, q) = (x.get_f64(i).unwrap(), y.get_f64(i).unwrap());
                    assert!(
                        (p - q).abs() <= 1e-6 * q.abs().max(1e-30),
                        "{format}: {p} vs {q}"
                    );
                }
            }
        } else {
            assert_eq!(got, want, "{format}");
        }
    }
}

/// `put --key K --precision P --codecs zstd --level N`: stored under K, and
/// every value comes back within the relative bound; a bad --key is refused
/// before anything is read.
#[test]
fn put_with_key_precision_and_codecs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let key = "ab".repeat(32);
    let src = fixture("ng39_rc_tran.raw");
    let v: Value = serde_json::from_str(&ok(&spicelab(
        &dir,
        &[
            "cache",
            "put",
            s(&src),
            "--key",
            &key,
            "--precision",
            "1e-6",
            "--codecs",
            "zstd",
            "--level",
            "19",
            "--json",
        ],
    )))
    .unwrap();
    assert_eq!(v["key"], key.as_str());
    assert_eq!(v["raw_bytes"], 7968);
    let stored = v["stored_bytes"].as_u64().unwrap();
    assert!(stored > 0 && stored < 7968, "{v}");
    assert!(dir.join("ab").join(format!("{key}.splc")).is_file());

    let back = tmp.path().join("back.raw");
    ok(&spicelab(&dir, &["cache", "get", &key, "-o", s(&back)]));
    let a = RawFile::open(&src).and_then(|r| r.read_all()).unwrap();
    let b = RawFile::open(&back).and_then(|r| r.read_all()).unwrap();
    let mut lossy = 0;
    for (x, y) in a.plots[0].columns.iter().zip(&b.plots[0].columns) {
        for i in 0..x.len() {
            let (p, q) = (x.get_f64(i).unwrap(), y.get_f64(i).unwrap());
            assert!((p - q).abs() <= 1e-6 * p.abs(), "{p} vs {q}");
            lossy += usize::from(p != q);
        }
    }
    assert!(lossy > 0, "a precision bound of 1e-6 changes some values");

    for bad in ["ab", "ABAB", &"g".repeat(64)] {
        let o = spicelab(&dir, &["cache", "put", s(&src), "--key", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("key"), "{bad}: {}", stderr(&o));
    }
    let v: Value =
        serde_json::from_str(&ok(&spicelab(&dir, &["cache", "stats", "--json"]))).unwrap();
    assert_eq!(v["entries"], 1, "the refused puts stored nothing");
}
