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
