//! Shell completions and man pages come from the clap definitions.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn spicelab(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn completion_scripts_know_every_command_and_option() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, text) = spicelab(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        for word in [
            "run",
            "convert",
            "diff",
            "stats",
            "dry-run",
            "rtol",
            "ltspice-fastaccess",
        ] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    let (code, _) = spicelab(&["completions", "tcsh"]);
    assert_eq!(code, 2);
}

#[test]
fn man_pages_for_the_program_and_each_command() {
    let (code, text) = spicelab(&["man"]);
    assert_eq!(code, 0);
    assert!(
        text.contains(".TH spicelab 1"),
        "{}",
        &text[..200.min(text.len())]
    );
    let (code, text) = spicelab(&["man", "run"]);
    assert_eq!(code, 0);
    assert!(text.contains(".TH spicelab-run 1"));
    assert!(text.contains("dry\\-run"));
    let dir = tempfile::tempdir().unwrap();
    let (code, _) = spicelab(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    for page in [
        "spicelab.1",
        "spicelab-run.1",
        "spicelab-diff.1",
        "spicelab-convert.1",
    ] {
        let t = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(t.starts_with(".ie"), "{page}");
    }
    assert!(!dir.path().join("spicelab-man.1").exists());
    let (code, _) = spicelab(&["man", "nosuch"]);
    assert_eq!(code, 2);
}
