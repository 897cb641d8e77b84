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
