//! The bodies of the fuzz targets `canon` and `include` (`fuzz/`), shared
//! with `tests/fuzz_regressions.rs`, which runs them on every input that
//! once crashed a target. A panic here is a bug (in the library, or a
//! property stated wrongly here).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Component, Path};

use incremental::{
    canonicalise_include, canonicalise_netlist, resolve_file, resolve_includes, sha256_hex,
    Canonical, Include,
};

/// The canonicaliser on arbitrary text (bytes read as the resolver reads
/// files: lossy UTF-8). Checks what the crate documentation promises:
/// canonicalising [`Canonical::text`] again gives the same [`Canonical`]
/// (so the same key); the title is line 1 verbatim less the `\r`s it ends in;
/// outside `.control` blocks no line is empty, starts or ends with white
/// space, or is a comment line; no line holds a `\n`.
pub fn canon_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let once = canonicalise_netlist(&text);
    let again = canonicalise_netlist(&once.text());
    assert_eq!(again, once, "netlist not idempotent on {text:?}");
    assert_eq!(again.sha256(), once.sha256());
    let first = text.split('\n').next().unwrap_or("");
    assert_eq!(
        once.title.as_deref(),
        Some(first.trim_end_matches('\r')),
        "title of {text:?}"
    );
    check_lines(&once, &text);

    let inc = canonicalise_include(&text);
    assert_eq!(inc.title, None);
    assert_eq!(
        canonicalise_include(&inc.text()),
        inc,
        "include not idempotent on {text:?}"
    );
    check_lines(&inc, &text);
}

fn check_lines(c: &Canonical, text: &str) {
    let mut in_control = false;
    for line in &c.lines {
        assert!(
            !line.contains('\n'),
            "a line holds a newline: {line:?} of {text:?}"
        );
        let first = line.split(|ch: char| ch.is_ascii_whitespace()).next();
        if in_control {
            in_control = line != ".endc";
            continue;
        }
        assert!(!line.is_empty(), "an empty line from {text:?}");
        assert_eq!(
            line.trim_matches(|ch: char| ch.is_ascii_whitespace()),
            line,
            "white space around a line of {text:?}"
        );
        assert!(
            !line.starts_with('*'),
            "a comment line {line:?} of {text:?}"
        );
        in_control = first == Some(".control");
    }
}

/// Where [`include_input`] writes part `i` of its input, relative to the
/// directory that holds the campaign root (`root/`): the netlist, two
/// levels of models, a file in the root and one outside it.
pub const INCLUDE_FILES: [&str; 5] = [
    "root/top.cir",
    "root/models/a.lib",
    "root/models/sub/b.lib",
    "root/c.lib",
    "outside.lib",
];

/// Writes the parts of `data` (split at NUL bytes, at most
/// [`INCLUDE_FILES`] parts) as files under `base`; a missing part leaves
/// its file absent. `root/models/dir.lib` is a directory.
pub fn write_tree(data: &[u8], base: &Path) {
    let mut parts = data.splitn(INCLUDE_FILES.len(), |b| *b == 0);
    for rel in INCLUDE_FILES {
        let p = base.join(rel);
        match parts.next() {
            Some(bytes) => {
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(&p, bytes).unwrap();
            }
            None => {
                let _ = fs::remove_file(&p);
            }
        }
    }
    fs::create_dir_all(base.join("root/models/dir.lib")).unwrap();
}

/// (logical name, section, sha256, canonical text) of one include.
type Portable = (String, Option<String>, String, String);

/// What a result is made of, less the paths on this machine.
fn portable(r: &Result<Vec<Include>, incremental::IncludeError>) -> Option<Vec<Portable>> {
    r.as_ref().ok().map(|v| {
        v.iter()
            .map(|i| {
                (
                    i.logical.clone(),
                    i.section.clone(),
                    i.sha256.clone(),
                    i.canonical.clone(),
                )
            })
            .collect()
    })
}

/// The include resolver on a tree written from `data` (see [`write_tree`])
/// twice, under `scratch/a` and `scratch/b`. Never a panic or a hang;
/// [`resolve_file`] agrees with [`resolve_includes`] on the same text;
/// both trees give the same logical names, sections and hashes (a moved
/// campaign keeps its keys); every include is reached once, its hash is
/// over its canonical text, its section is lowercase, its path absolute
/// and free of `.` and `..`.
pub fn include_input(data: &[u8], scratch: &Path) {
    let mut results = Vec::new();
    for side in ["a", "b"] {
        let base = scratch.join(side);
        write_tree(data, &base);
        let root = base.join("root");
        let top = root.join("top.cir");
        let from_file = resolve_file(&top, &root);
        let text = fs::read(&top).unwrap();
        let from_text = resolve_includes(&String::from_utf8_lossy(&text), &top, &root);
        assert_eq!(
            from_file.as_ref().ok(),
            from_text.as_ref().ok(),
            "resolve_file and resolve_includes differ"
        );
        assert_eq!(from_file.is_ok(), from_text.is_ok());
        if let Ok(incs) = &from_file {
            check_includes(incs);
        }
        results.push(portable(&from_file));
        // the error names the file and says why, never empty
        if let Err(e) = &from_file {
            assert!(!e.to_string().is_empty());
        }
    }
    assert_eq!(
        results[0], results[1],
        "a moved tree gives other names or hashes"
    );
}

fn check_includes(incs: &[Include]) {
    for (n, i) in incs.iter().enumerate() {
        assert_eq!(i.sha256, sha256_hex(i.canonical.as_bytes()));
        assert!(
            incs[..n].iter().all(|o| o.logical != i.logical),
            "{} reached twice",
            i.logical
        );
        if let Some(s) = &i.section {
            assert_eq!(s, &s.to_ascii_lowercase());
            assert!(i.logical.ends_with(&format!("[{s}]")));
        }
        assert!(i.path.is_absolute(), "{}", i.path.display());
        assert!(
            i.path
                .components()
                .all(|c| !matches!(c, Component::CurDir | Component::ParentDir)),
            "{} not normalised",
            i.path.display()
        );
    }
}
