//! `spicelab stats a.raw b.raw ...`: one table, one JSON object per file.

#![allow(clippy::unwrap_used)]

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
