//! `spicelab info -v` says why the file was taken for its dialect.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn info_v(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .args(args)
        .env_remove("SPICELAB_LOG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run spicelab: {e}"));
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn info_verbose_shows_the_dialect_reason() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/qspice_op_step.qraw");
    let f = f.to_str().unwrap();
    let err = info_v(&["info", "-v", f]);
    assert!(
        err.contains("dialect qspice: Command: line names QSPICE"),
        "{err}"
    );
    let err = info_v(&["info", "-v", "--dialect", "xyce", f]);
    assert!(err.contains("dialect xyce: forced by the caller"), "{err}");
    // not without -v
    let err = info_v(&["info", f]);
    assert!(!err.contains("dialect qspice"), "{err}");
}
