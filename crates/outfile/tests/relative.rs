//! A bare file name is made in the current directory: the temporary file
//! goes there too, and the directory synced is `.`. Alone in its own test
//! binary because it changes the process's current directory.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::Write;

#[test]
fn a_bare_name_is_written_in_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    outfile::write("out.csv", b"a\n").unwrap();
    assert_eq!(fs::read(dir.path().join("out.csv")).unwrap(), b"a\n");
    // a relative link by a bare name, to a bare name
    std::os::unix::fs::symlink("out.csv", "link.csv").unwrap();
    let out = outfile::OutFile::create("link.csv").unwrap();
    assert_eq!(out.target(), std::path::Path::new("out.csv"));
    (&out).write_all(b"b\n").unwrap();
    out.commit().unwrap();
    assert_eq!(fs::read(dir.path().join("out.csv")).unwrap(), b"b\n");
    outfile::sync_dir(std::path::Path::new("out.csv")).unwrap();
    let mut names: Vec<_> = fs::read_dir(".")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["link.csv", "out.csv"]);
}
