//! Includes that name something other than a regular file (a FIFO, which
//! would block the read; `/dev/zero`, which never ends; a directory) are
//! errors that say what was found, returned at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use incremental::{resolve_file, IncludeError};
use std::path::Path;
use std::time::{Duration, Instant};

fn resolve_with(dir: &Path, include: &str) -> (Result<usize, IncludeError>, Duration) {
    let top = dir.join("top.cir");
    std::fs::write(
        &top,
        format!("* top\n.include {include}\nR1 1 0 1k\n.end\n"),
    )
    .unwrap();
    let t = Instant::now();
    let r = resolve_file(&top, dir).map(|v| v.len());
    (r, t.elapsed())
}

fn refused(r: Result<usize, IncludeError>, took: Duration, what: &str) {
    assert!(took < Duration::from_secs(1), "{what}: took {took:?}");
    match r {
        Err(e @ IncludeError::Read { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("not a regular file") || text.contains("a directory"),
                "{what}: {text}"
            );
        }
        other => panic!("{what}: {other:?}"),
    }
}

#[test]
fn dev_zero_a_fifo_and_a_directory_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (r, took) = resolve_with(dir.path(), "/dev/zero");
    refused(r, took, "/dev/zero");
    // a link to it, under the root
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.lib")).unwrap();
    let (r, took) = resolve_with(dir.path(), "zero.lib");
    refused(r, took, "link to /dev/zero");
    // a FIFO with no writer: opening it would block forever
    let fifo = dir.path().join("models.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo failed");
    let (r, took) = resolve_with(dir.path(), "models.fifo");
    refused(r, took, "FIFO");
    // the netlist itself a FIFO
    let t = Instant::now();
    let r = resolve_file(&fifo, dir.path()).map(|v| v.len());
    refused(r, t.elapsed(), "FIFO as the netlist");
    // a directory
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    let (r, took) = resolve_with(dir.path(), "lib");
    refused(r, took, "directory");
    // a regular file still reads
    std::fs::write(dir.path().join("ok.lib"), ".model d1 d\n").unwrap();
    let (r, _) = resolve_with(dir.path(), "ok.lib");
    assert_eq!(r.unwrap(), 1);
}

#[test]
fn a_file_over_the_size_limit_and_an_include_without_a_name() {
    let dir = tempfile::tempdir().unwrap();
    // a sparse file one byte past 256 MiB: refused from its size, not read
    let big = dir.path().join("big.lib");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((256 << 20) + 1)
        .unwrap();
    let (r, took) = resolve_with(dir.path(), "big.lib");
    assert!(took < Duration::from_secs(1), "{took:?}");
    let e = r.unwrap_err();
    assert!(
        e.to_string()
            .contains("268435457 bytes, more than the 256 MiB a netlist file may have"),
        "{e}"
    );
    let e = incremental::read_netlist_file(&big).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    // `.include` with nothing after it: the file, the line and the text
    let (r, _) = resolve_with(dir.path(), "");
    let e = r.unwrap_err();
    assert!(
        matches!(e, IncludeError::NoFileName { line: 2, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("top.cir:2: `.include` names no file"),
        "{e}"
    );
}

#[test]
fn errors_give_the_line_an_editor_shows() {
    let dir = tempfile::tempdir().unwrap();
    // comments, a blank line and a continued line before the directive;
    // the directive inside a section of a library, several lines down
    std::fs::write(
        dir.path().join("top.cir"),
        "* title\n* a comment\n\nR1 1 0\n+ 1k\n.lib 'models.lib' tt\n.end\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("models.lib"),
        "* models\n.lib ff\n.param x=1\n.endl\n\n.lib tt\n* typical\n.include gone.inc\n.endl\n",
    )
    .unwrap();
    let e = resolve_file(&dir.path().join("top.cir"), dir.path()).unwrap_err();
    assert!(matches!(e, IncludeError::Missing { line: 8, .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("models.lib[tt]:8: included file `gone.inc` not found"),
        "{e}"
    );
    // the section missing: the line of the `.lib` directive in top.cir
    std::fs::write(dir.path().join("models.lib"), "* models\n.lib ff\n.endl\n").unwrap();
    let e = resolve_file(&dir.path().join("top.cir"), dir.path()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("top.cir:6: section `tt` not found"),
        "{e}"
    );
}
