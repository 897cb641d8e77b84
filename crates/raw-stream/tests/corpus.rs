//! Conformance: every file of the shared RAW corpus reads as its MANIFEST.toml says.
//!
//! The corpus is `../shared/raw-samples` beside the project (or
//! `$SPICELAB_RAW_SAMPLES`). Where it is missing, the tests say so and check
//! the committed `fixtures/ng39_*` files instead; in CI (`CI` set) a missing
//! corpus fails them (`common::require`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::require::{self, require_or_skip};
use raw_stream::{OpenOptions, RawError, RawFile};
use std::path::{Path, PathBuf};
use toml::Value;
use waveform::{Column, Encoding};

fn corpus_dir() -> Option<PathBuf> {
    require::corpus_dir(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The corpus and its manifest; `None` (after [`require_or_skip`]) when the
/// corpus is missing. A manifest that does not parse fails the test.
fn manifest() -> Option<(PathBuf, Value)> {
    let dir = corpus_dir()?;
    let path = dir.join("MANIFEST.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value =
        toml::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some((dir, value))
}

fn f(v: &Value) -> f64 {
    v.as_float()
        .or_else(|| v.as_integer().map(|i| i as f64))
        .unwrap_or(f64::NAN)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// Checks one manifest `[[file]]` entry; returns the number of values compared.
fn check_file(dir: &Path, entry: &Value) -> Result<usize, String> {
    let name = entry["name"].as_str().unwrap_or("?");
    let path = dir.join(name);
    let raw = RawFile::open(&path).map_err(|e| format!("{name}: {e}"))?;
    let mut compared = 0;
    let dialect = entry["dialect"].as_str().unwrap_or("");
    if raw.dialect().name() != dialect {
        return Err(format!("{name}: dialect {} != {dialect}", raw.dialect()));
    }
    let enc = entry["encoding"].as_str().unwrap_or("");
    let want_enc = if enc == "ascii" {
        Encoding::Ascii
    } else {
        Encoding::Binary
    };
    if raw.encoding() != want_enc {
        return Err(format!("{name}: encoding {:?} != {enc}", raw.encoding()));
    }
    let plots = entry["plot"].as_array().ok_or("no plots")?;
    if raw.plots().len() != plots.len() {
        return Err(format!(
            "{name}: {} plots, manifest says {}",
            raw.plots().len(),
            plots.len()
        ));
    }
    if !raw.warnings().is_empty() {
        return Err(format!("{name}: unexpected warnings {:?}", raw.warnings()));
    }
    for p in plots {
        let idx = p["index"].as_integer().unwrap_or(-1) as usize;
        let plot = raw.plot(idx).map_err(|e| e.to_string())?;
        let info = plot.info();
        let h = &info.header;
        let ctx = format!("{name} plot {idx}");
        if h.plotname != p["plotname"].as_str().unwrap_or("") {
            return Err(format!("{ctx}: plotname {:?}", h.plotname));
        }
        if h.variables.len() as i64 != p["n_variables"].as_integer().unwrap_or(-1) {
            return Err(format!("{ctx}: {} variables", h.variables.len()));
        }
        if info.complete_points as i64 != p["n_points"].as_integer().unwrap_or(-1) {
            return Err(format!("{ctx}: {} points", info.complete_points));
        }
        if info.data_offset as i64 != p["data_offset"].as_integer().unwrap_or(-1) {
            return Err(format!("{ctx}: data offset {}", info.data_offset));
        }
        for (v, mv) in h
            .variables
            .iter()
            .zip(p["variables"].as_array().ok_or("vars")?)
        {
            if v.name != mv["name"].as_str().unwrap_or("")
                || v.type_name != mv["type"].as_str().unwrap_or("")
            {
                return Err(format!(
                    "{ctx}: variable {} {} vs {mv}",
                    v.name, v.type_name
                ));
            }
        }
        // steps
        let steps = plot.steps().map_err(|e| e.to_string())?;
        let want_steps = p["steps"].as_integer().unwrap_or(0);
        if want_steps > 0 {
            if steps.count() as i64 != want_steps {
                return Err(format!("{ctx}: {} steps, want {want_steps}", steps.count()));
            }
            if let Some(starts) = p.get("step_starts").and_then(Value::as_array) {
                let want: Vec<u64> = starts
                    .iter()
                    .map(|s| s.as_integer().unwrap_or(-1) as u64)
                    .collect();
                if steps.starts != want {
                    return Err(format!(
                        "{ctx}: step starts {:?} want {want:?}",
                        steps.starts
                    ));
                }
            }
            if let Some(params) = p.get("step_params").and_then(Value::as_array) {
                for (k, text) in params.iter().enumerate() {
                    let want = raw_stream::log::parse_step_lines(&format!(
                        ".step {}",
                        text.as_str().unwrap_or("")
                    ));
                    if steps.params.get(k) != want.first() {
                        return Err(format!(
                            "{ctx}: step {k} params {:?} want {text}",
                            steps.params.get(k)
                        ));
                    }
                    compared += 1;
                }
            }
        } else if steps.count() != 1 {
            return Err(format!(
                "{ctx}: {} steps for an unstepped plot",
                steps.count()
            ));
        }
        // spot values, read through whole columns
        let whole = plot.read().map_err(|e| e.to_string())?;
        for s in p["spot"].as_array().ok_or("spots")? {
            let var = s["var"].as_str().unwrap_or("");
            let point = s["point"].as_integer().unwrap_or(-1) as usize;
            let col = whole.column(var).ok_or(format!("{ctx}: no column {var}"))?;
            let reference = s.get("exact").unwrap_or(&s["value"]);
            let rel = if s.get("exact").is_some() || s.get("text").is_none() {
                0.0
            } else {
                1e-15
            };
            let vi = h.find(var).unwrap_or(0);
            match reference {
                Value::Array(pair) => {
                    let z = col
                        .get_complex(point)
                        .ok_or(format!("{ctx}: no point {point}"))?;
                    let (re, im) = (f(&pair[0]), f(&pair[1]));
                    let scale = vi == 0; // complex scale: real part only
                    if !close(z.re, re, rel) || (!scale && !close(z.im, im, rel)) {
                        return Err(format!("{ctx}: {var}[{point}] = {z:?}, want {re}, {im}"));
                    }
                }
                v => {
                    let mut want = f(v);
                    let got = col
                        .get_f64(point)
                        .ok_or(format!("{ctx}: no point {point}"))?;
                    // LTspice stores some times negative; the reader gives |t|
                    if dialect == "ltspice" && vi == 0 && h.variables[0].type_name == "time" {
                        want = want.abs();
                    }
                    if !close(got, want, rel) {
                        return Err(format!("{ctx}: {var}[{point}] = {got:e}, want {want:e}"));
                    }
                }
            }
            compared += 1;
        }
    }
    Ok(compared)
}

#[test]
fn every_corpus_file_reads_as_the_manifest_says() {
    let Some((dir, m)) = manifest() else {
        // No corpus: the committed ngspice fixtures must still read.
        let mut n = 0;
        for e in std::fs::read_dir(fixtures_dir())
            .into_iter()
            .flatten()
            .flatten()
        {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "raw") {
                let raw = RawFile::open(&p).unwrap_or_else(|e| panic!("{e}"));
                assert!(raw.plots().iter().all(|p| p.complete_points > 0));
                n += 1;
            }
        }
        assert!(n >= 5, "expected the ng39 fixtures in fixtures/");
        return;
    };
    let files = m["file"].as_array().expect("manifest files");
    let mut failures = Vec::new();
    let mut compared = 0;
    for entry in files {
        match check_file(&dir, entry) {
            Ok(n) => compared += n,
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files wrong:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(
        files.len() >= 30 && compared >= 150,
        "{} files, {compared} values",
        files.len()
    );
}

fn columns_of(path: &Path) -> Vec<Column> {
    let raw = RawFile::open(path).unwrap_or_else(|e| panic!("{e}"));
    raw.plot(0)
        .and_then(|p| p.read())
        .unwrap_or_else(|e| panic!("{e}"))
        .columns
}

#[test]
fn fastaccess_and_normal_ltspice_agree_bit_for_bit() {
    let Some((dir, _)) = manifest() else { return };
    let a = columns_of(&dir.join("ltspice_tran_normal.raw"));
    let b = columns_of(&dir.join("ltspice_tran_fastaccess.raw"));
    assert_eq!(a.len(), 6);
    assert_eq!(a[0].len(), 21);
    assert_eq!(a, b);
    // |time| is increasing once the sign marker is dropped
    let t = a[0].to_f64();
    assert!(t.windows(2).all(|w| w[1] > w[0]), "{t:?}");
}

/// The binary files and ngspice's own ASCII output of the same run agree to the 16 digits printed.
#[test]
fn ngspice_binary_matches_its_ascii_twin() {
    let dir = corpus_dir().unwrap_or_else(fixtures_dir);
    for (bin, asc) in [
        ("ng39_rc_tran.raw", "ng39_rc_tran_ascii.raw"),
        ("ng39_rlc_ac.raw", "ng39_rlc_ac_ascii.raw"),
    ] {
        if !dir.join(bin).exists() {
            require_or_skip(&format!("{bin} in {}", dir.display()));
            continue;
        }
        let a = columns_of(&dir.join(bin));
        let b = columns_of(&dir.join(asc));
        assert_eq!(a.len(), b.len());
        let mut n = 0;
        for (ca, cb) in a.iter().zip(&b) {
            assert_eq!(ca.len(), cb.len());
            for i in 0..ca.len() {
                let (x, y) = (
                    ca.get_complex(i).unwrap_or_default(),
                    cb.get_complex(i).unwrap_or_default(),
                );
                assert!(close(x.re, y.re, 2e-15), "{bin} {i}: {x:?} {y:?}");
                assert!(close(x.im, y.im, 2e-15), "{bin} {i}: {x:?} {y:?}");
                n += 1;
            }
        }
        assert!(n >= 700, "{bin}: {n} values");
    }
}

#[test]
fn truncated_file_gives_complete_points_and_a_warning() {
    let Some((dir, _)) = manifest() else { return };
    let path = dir.join("broken_truncated.raw");
    let raw = RawFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(raw.plots()[0].complete_points, 100);
    let w = raw
        .warnings()
        .first()
        .map(|w| w.to_string())
        .unwrap_or_default();
    assert!(
        w.contains("broken_truncated.raw") && w.contains("3474") && w.contains("point 100"),
        "{w}"
    );
    let t = raw
        .plot(0)
        .and_then(|p| p.column("time"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.len(), 100);
    assert_eq!(t.get_f64(99), Some(0.0007121600000000009));
    // strict mode: an error naming the file and where the data end
    let strict = OpenOptions {
        strict: true,
        ..OpenOptions::default()
    };
    let e = RawFile::open_with(&path, &strict)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("broken_truncated.raw") && e.contains("3474") && e.contains("point 100"),
        "{e}"
    );
}

#[test]
fn absurd_point_count_is_not_allocated() {
    let Some((dir, _)) = manifest() else { return };
    let path = dir.join("broken_points_overflow.raw");
    let raw = RawFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(raw.plots()[0].complete_points, 101);
    let w = raw
        .warnings()
        .first()
        .map(|w| w.to_string())
        .unwrap_or_default();
    assert!(
        w.contains("byte 169") && w.contains("999999999999") && w.contains("6822"),
        "{w}"
    );
    let col = raw
        .plot(0)
        .and_then(|p| p.column_at(1))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(col.len(), 101);
}

#[test]
fn random_bytes_after_an_ascii_header_are_an_error_at_the_data_start() {
    let Some((dir, _)) = manifest() else { return };
    let path = dir.join("broken_random_after_header.raw");
    match RawFile::open(&path) {
        Err(
            e @ RawError::Data {
                offset: 275,
                plot: 0,
                ..
            },
        ) => {
            let s = e.to_string();
            assert!(
                s.contains("broken_random_after_header.raw") && s.contains("275"),
                "{s}"
            );
        }
        other => panic!("expected a data error at byte 275, got {other:?}"),
    }
}

/// An ASCII plot read in partitions (split at the checkpoints found at
/// open), or from a point in the middle, gives the same points, numbered
/// from the plot's start, as reading it whole; the partitions never hold
/// more points than the plot.
#[test]
fn ascii_partitions_read_the_same_points() {
    let dir = corpus_dir().unwrap_or_else(fixtures_dir);
    for name in [
        "ng39_rc_tran_ascii.raw",
        "ng39_rlc_ac_ascii.raw",
        "xyce_ac_ascii.raw",
        "ltspice4_dc_ascii.raw",
        "ltspice_ac_ascii.raw",
        "qspice_tran_ascii.qraw",
    ] {
        let path = dir.join(name);
        if !path.exists() {
            require_or_skip(&format!("{name} in {}", dir.display()));
            continue;
        }
        let whole = RawFile::open(&path)
            .unwrap()
            .plot(0)
            .unwrap()
            .read()
            .unwrap();
        let opts = OpenOptions {
            checkpoint_bytes: 200,
            ..OpenOptions::default()
        };
        let raw = RawFile::open_with(&path, &opts).unwrap();
        let plot = raw.plot(0).unwrap();
        let n = plot.info().complete_points;
        assert_eq!(n as usize, whole.columns[0].len(), "{name}");
        for parts in [1, 2, 3, 7, 50] {
            let ranges = plot.partitions(parts);
            assert!(ranges.len() <= parts, "{name}");
            if parts > 1 && n > 100 {
                assert!(ranges.len() > 1, "{name}: {parts} parts gave one");
            }
            let mut cols: Vec<Column> = whole
                .columns
                .iter()
                .map(|c| Column::with_capacity(c.value_type(), 0))
                .collect();
            let mut next = 0;
            for r in ranges {
                assert_eq!(r.start, next, "{name}: ranges are contiguous");
                next = r.end;
                for chunk in plot.chunks_in(r, 7, None) {
                    let chunk = chunk.unwrap();
                    for (c, part) in cols.iter_mut().zip(&chunk.columns) {
                        assert!(c.extend_from(part));
                    }
                }
            }
            assert_eq!(next, n, "{name}");
            assert_eq!(cols, whole.columns, "{name} in {parts} parts");
        }
        // from the middle, with the first point numbered from the plot's start
        let mid = n / 3;
        let mut it = plot.chunks_in(mid..n, 5, None);
        let first = it.next().unwrap().unwrap();
        assert_eq!(first.start, mid);
        assert_eq!(
            first.columns[1].get_f64(0),
            whole.columns[1].get_f64(mid as usize),
            "{name}"
        );
    }
}

/// A test cannot pass by skipping in CI: with `CI=true` and
/// `SPICELAB_RAW_SAMPLES` naming an empty directory, the corpus lookup of
/// these tests fails instead of skipping (the environment is passed in, so
/// this runs without re-running the test binary).
#[test]
fn a_missing_corpus_fails_in_ci_and_skips_elsewhere() {
    use common::require::{decide, locate_corpus, require_or_skip_in, Missing};
    use std::ffi::OsStr;
    let empty = tempfile::tempdir().unwrap();
    let what = locate_corpus(
        Some(empty.path().as_os_str().to_owned()),
        Path::new("/nonexistent"),
    )
    .expect_err("an empty directory is not the corpus");
    assert!(
        what.contains("MANIFEST.toml") && what.contains("SPICELAB_RAW_SAMPLES"),
        "{what}"
    );
    // CI set: the test fails
    for ci in ["true", "1", "yes", "TRUE"] {
        assert_eq!(decide(Some(OsStr::new(ci))), Missing::Fail, "CI={ci}");
        let r = std::panic::catch_unwind(|| require_or_skip_in(&what, Some(OsStr::new(ci))));
        let msg = r
            .err()
            .and_then(|p| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| panic!("CI={ci}: a missing corpus did not fail"));
        assert!(msg.contains("CI is set") && msg.contains(&what), "{msg}");
    }
    // CI unset (or off): a note, and the caller skips
    for ci in [None, Some(""), Some("0"), Some("false")] {
        assert_eq!(decide(ci.map(OsStr::new)), Missing::Skip, "CI={ci:?}");
        require_or_skip_in(&what, ci.map(OsStr::new));
    }
    // the real corpus, when given, is found
    let fixtures = fixtures_dir();
    assert!(locate_corpus(Some(fixtures.into_os_string()), Path::new("/")).is_err());
    if let Ok(d) = locate_corpus(
        None,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/raw-samples"),
    ) {
        assert!(d.join("MANIFEST.toml").is_file());
    }
}
