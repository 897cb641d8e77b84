//! `spicelab stats a.raw b.raw ...`: one table, one JSON object per file.

#![allow(clippy::unwrap_used)]

#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
        .display()
        .to_string()
}

fn stats(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .arg("stats")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn several_files_give_one_table_and_an_array_equal_to_each_alone() {
    let a = fixture("ng39_rc_tran.raw");
    let b = fixture("ng39_rlc_ac.raw");
    let (code, text) = stats(&[&a, &b, "--json"]);
    assert_eq!(code, 0);
    let many: Value = serde_json::from_str(text.trim()).unwrap();
    let many = many.as_array().unwrap();
    assert_eq!(many.len(), 2);
    for (i, f) in [&a, &b].iter().enumerate() {
        let (_, one) = stats(&[f, "--json"]);
        let one: Value = serde_json::from_str(one.trim()).unwrap();
        assert_eq!(many[i]["file"], one["file"]);
        assert_eq!(many[i]["plots"], one["plots"]);
    }
    let (code, table) = stats(&[&a, &a, "--var", "v(out)"]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = table.lines().filter(|l| l.contains("v(out)")).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert_eq!(rows[0], rows[1]);
    assert!(rows[0].starts_with(&a));
    assert!(rows[0].contains("9.933683e-1"), "{}", rows[0]);
    // a missing file among them is an input error
    let (code, _) = stats(&[&a, "/nonexistent.raw"]);
    assert_eq!(code, 2);
}

#[test]
fn globs_and_lists_select_vectors_in_stats_and_export() {
    let a = fixture("ng39_rc_tran.raw");
    let (code, text) = stats(&[&a, "--var", "V(*)", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    let names: Vec<&str> = v["plots"][0]["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["v(in)", "v(out)"]);
    let (_, text) = stats(&[&a, "--var", "i(v1),v(out)", "--json"]);
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["plots"][0]["vectors"][0]["name"], "i(v1)");
    assert_eq!(v["plots"][0]["vectors"][1]["name"], "v(out)");
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .args(["export", &a, "-o", "-", "--var", "i(*),v(out)"])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    assert_eq!(csv.lines().next(), Some("time,i(v1),v(out)"));
    assert_eq!(csv.lines().count(), 250);
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .args(["stats", &a, "--var", "q(*)"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'q(*)'") && err.contains("it has: time, v(in), v(out), i(v1)"),
        "{err}"
    );
}

#[test]
fn a_window_gives_the_points_inside_and_the_values_at_its_ends_interpolated() {
    let a = fixture("ng39_rc_tran.raw");
    let (code, text) = stats(&[
        &a, "--var", "v(out)", "--from", "0.3m", "--to", "0.7m", "--json",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    let got = &v["plots"][0]["vectors"][0];
    // by hand from the values read whole
    let raw = raw_stream::RawFile::open(&a).unwrap();
    let plot = raw.plot(0).unwrap();
    let t = plot.column("time").unwrap().to_f64();
    let y = plot.column("v(out)").unwrap().to_f64();
    let inside: Vec<f64> = t
        .iter()
        .zip(&y)
        .filter(|(t, _)| **t >= 0.3e-3 && **t <= 0.7e-3)
        .map(|(_, y)| *y)
        .collect();
    assert_eq!(v["plots"][0]["points"].as_u64(), Some(inside.len() as u64));
    let max = inside.iter().cloned().fold(f64::MIN, f64::max);
    let min = inside.iter().cloned().fold(f64::MAX, f64::min);
    assert_eq!(got["max"].as_f64(), Some(max));
    assert_eq!(got["min"].as_f64(), Some(min));
    let at = |x: f64| {
        let i = t.iter().position(|&s| s >= x).unwrap();
        y[i - 1] + (y[i] - y[i - 1]) * (x - t[i - 1]) / (t[i] - t[i - 1])
    };
    assert!((got["at_from"].as_f64().unwrap() - at(0.3e-3)).abs() < 1e-15);
    assert!((got["at_to"].as_f64().unwrap() - at(0.7e-3)).abs() < 1e-15);
    // without a window there are no end values
    let (_, text) = stats(&[&a, "--var", "v(out)", "--json"]);
    assert!(!text.contains("at_from"));
}

#[test]
fn steps_by_number_and_by_parameter_value() {
    let Some(corpus) = require::corpus_dir(env!("CARGO_MANIFEST_DIR")) else {
        return;
    };
    let f = corpus.join("ltspice_tran_step.raw").display().to_string();
    let (code, text) = stats(&[&f, "--step", "r1=10k", "--var", "V(out)", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    let p = &v["plots"][0];
    let steps: Vec<u64> = p["step_stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, [2, 3]);
    assert_eq!(p["points"].as_u64(), Some(13 + 14));
    let (_, one) = stats(&[&f, "--step", "2", "--var", "V(out)", "--json"]);
    let one: Value = serde_json::from_str(one.trim()).unwrap();
    assert_eq!(one["plots"][0]["step_stats"][0], p["step_stats"][0]);
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .args(["stats", &f, "--step", "r1=3k"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("r1 takes 1000, 10000"));
}
