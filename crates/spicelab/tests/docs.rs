//! The examples of docs/cli.md run as written and print what the page shows.
//!
//! Every `$ spicelab ...` line of a ```console block whose files exist runs
//! in a scratch directory where `fixtures/` is the repository's; its stdout
//! must be the lines that follow it (a line `...` stands for any number of
//! lines). A block with a pipe, or naming a file that is not there (a
//! `sweep.raw` of the reader's own), is shown but not run. `rc.raw.gz` and
//! `rc.raw.zst` are made here from `fixtures/ng39_rc_tran.raw`;
//! `xyce-step.raw` is a `.STEP` run named as Xyce names its plots (see
//! [`xyce_step`]).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

/// Splits a command line as a POSIX shell does for the quoting used here.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            // an unquoted `#` at the start of a word begins a comment
            (None, '#') if cur.is_empty() && !any => break,
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn matches(expected: &[&str], got: &[&str]) -> bool {
    match expected.split_first() {
        None => got.is_empty(),
        Some((e, rest)) if e.trim() == "..." => (0..=got.len()).any(|k| matches(rest, &got[k..])),
        Some((e, rest)) => {
            !got.is_empty() && got[0].trim_end() == e.trim_end() && matches(rest, &got[1..])
        }
    }
}

/// An RC step response v(out) = 1 - exp(-t / (R1 C1)), C1 = 1n, at t = 0 to
/// 5 us, for R1 = 1k, 2k and 4k, written as Xyce writes a `.STEP` run: one
/// plot per step, named `Step Analysis: Step K of 3 params:  name = R1 value
/// = ...  Transient Analysis`.
fn xyce_step(path: &Path) {
    let plots: Vec<_> = [1000.0, 2000.0, 4000.0]
        .iter()
        .enumerate()
        .map(|(k, &r)| {
            let time: Vec<f64> = (0..6).map(|p| p as f64 * 1e-6).collect();
            let v = time.iter().map(|t| 1.0 - (-t / (r * 1e-9)).exp()).collect();
            let params = format!("name = R1 value = {r}");
            common::xyce_step_plot(
                k + 1,
                3,
                &params,
                "RC step response",
                ["TIME", "V(OUT)"],
                time,
                v,
            )
        })
        .collect();
    raw_stream::write_file(path, raw_stream::RawFormat::NgspiceBinary, &plots).unwrap();
}

#[test]
fn the_examples_of_cli_md_print_what_the_page_shows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let page = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root.join("fixtures"), scratch.path().join("fixtures")).unwrap();
    // the compressed files of the page: fixtures/ng39_rc_tran.raw as gzip and zstd
    {
        use std::io::Write;
        let plain = std::fs::read(root.join("fixtures/ng39_rc_tran.raw")).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        std::fs::write(scratch.path().join("rc.raw.gz"), gz.finish().unwrap()).unwrap();
        let zst = zstd::stream::encode_all(&plain[..], 3).unwrap();
        std::fs::write(scratch.path().join("rc.raw.zst"), zst).unwrap();
    }
    xyce_step(&scratch.path().join("xyce-step.raw"));
    let mut ran = 0;
    let mut in_block = false;
    let mut block: Vec<&str> = Vec::new();
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in page.lines() {
        if line.trim_start().starts_with("```console") {
            in_block = true;
            block.clear();
        } else if in_block && line.trim_start().starts_with("```") {
            in_block = false;
            blocks.push(std::mem::take(&mut block));
        } else if in_block {
            block.push(line);
        }
    }
    for b in &blocks {
        let mut i = 0;
        while i < b.len() {
            let Some(cmd) = b[i].strip_prefix("$ spicelab ") else {
                i += 1;
                continue;
            };
            let mut j = i + 1;
            while j < b.len() && !b[j].starts_with("$ ") {
                j += 1;
            }
            let expected = &b[i + 1..j];
            i = j;
            let args = words(cmd);
            // every input file must be there (an output named by -o is written)
            let runnable = !cmd.contains('|')
                && args.iter().enumerate().all(|(k, a)| {
                    let is_output = k > 0 && args[k - 1] == "-o";
                    let input = [".raw", ".raw.gz", ".raw.zst"]
                        .iter()
                        .any(|x| a.ends_with(x));
                    is_output || !input || scratch.path().join(a).exists()
                });
            if !runnable {
                continue;
            }
            let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
                .args(&args)
                .current_dir(scratch.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "`spicelab {cmd}` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            let got: Vec<&str> = stdout.lines().collect();
            if !expected.is_empty() {
                assert!(
                    matches(expected, &got),
                    "`spicelab {cmd}`:\n--- the page shows\n{}\n--- it printed\n{stdout}",
                    expected.join("\n")
                );
            }
            ran += 1;
        }
    }
    assert!(ran >= 7, "only {ran} examples ran");
}

#[test]
fn words_split_like_a_shell() {
    assert_eq!(
        words("stats a.raw --var 'v(out)'"),
        ["stats", "a.raw", "--var", "v(out)"]
    );
    assert_eq!(words("x '' y"), ["x", "", "y"]);
    assert_eq!(
        words("export a.raw -o a.h5   # HDF5: 'x'"),
        ["export", "a.raw", "-o", "a.h5"]
    );
    assert_eq!(words("a b#c"), ["a", "b#c"]);
    assert!(matches(&["a", "...", "d"], &["a", "b", "c", "d"]));
    assert!(!matches(&["a", "d"], &["a", "b", "d"]));
}
