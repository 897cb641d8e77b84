//! The rules of `outfile` on real files, links, FIFOs and device nodes made
//! in a temporary directory (never the machine's own `/dev/null`).

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use outfile::{Action, Options, OutFile};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Skips (prints why) or, under CI, fails.
fn cannot(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} (CI is set, so this is a failure, not a skip)");
    }
    eprintln!("SKIPPED: {what}");
}

#[test]
fn a_new_file_appears_on_commit_with_normal_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.csv");
    let mut out = OutFile::create(&path).unwrap();
    assert!(!out.in_place());
    out.write_all(b"a,b\n").unwrap();
    assert!(!path.exists(), "visible before the commit");
    out.commit().unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"a,b\n");
    // what any new file gets (0666 less the umask), not a temporary file's 0600
    let plain = dir.path().join("plain");
    fs::write(&plain, b"x").unwrap();
    assert_eq!(mode(&path), mode(&plain));
    assert_eq!(names(dir.path()), ["new.csv", "plain"]);
}

#[test]
fn a_replaced_file_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    for m in [0o600, 0o640, 0o755, 0o444] {
        let path = dir.path().join(format!("f{m:o}"));
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(m)).unwrap();
        let ino = fs::metadata(&path).unwrap().ino();
        outfile::write(&path, b"new contents").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new contents");
        assert_eq!(mode(&path), m, "{m:o}");
        assert_ne!(
            fs::metadata(&path).unwrap().ino(),
            ino,
            "not replaced by a rename"
        );
    }
}

#[test]
fn a_replaced_file_keeps_its_owner_when_root() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("owned");
    fs::write(&path, b"old").unwrap();
    if fs::metadata(&path).unwrap().uid() != 0 {
        eprintln!("SKIPPED: not root, cannot give a file to another owner");
        return;
    }
    std::os::unix::fs::chown(&path, Some(4321), Some(4322)).unwrap();
    outfile::write(&path, b"new").unwrap();
    let md = fs::metadata(&path).unwrap();
    assert_eq!((md.uid(), md.gid()), (4321, 4322));
    assert_eq!(fs::read(&path).unwrap(), b"new");
}

#[test]
fn drop_without_commit_leaves_the_old_file_and_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keep.raw");
    fs::write(&path, b"old contents").unwrap();
    {
        let mut out = Options::new().temp_prefix(".part-").create(&path).unwrap();
        out.write_all(b"half of the new").unwrap();
        let during = names(dir.path());
        assert_eq!(during.len(), 2, "{during:?}");
        assert!(during.iter().any(|n| n.starts_with(".part-")), "{during:?}");
    }
    assert_eq!(fs::read(&path).unwrap(), b"old contents");
    assert_eq!(names(dir.path()), ["keep.raw"]);
}

#[test]
fn a_symlink_stays_a_link_and_its_target_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("real");
    fs::create_dir(&real_dir).unwrap();
    let target = real_dir.join("data.csv");
    fs::write(&target, b"old").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
    // a relative link, and a link to that link
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink("real/data.csv", &link).unwrap();
    let link2 = dir.path().join("link2.csv");
    std::os::unix::fs::symlink(&link, &link2).unwrap();

    let out = OutFile::create(&link2).unwrap();
    assert_eq!(out.target(), dir.path().join("real/data.csv"));
    (&out).write_all(b"new,values\n").unwrap();
    out.commit().unwrap();

    for l in [&link, &link2] {
        assert!(fs::symlink_metadata(l).unwrap().file_type().is_symlink());
    }
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("real/data.csv"));
    assert_eq!(fs::read(&target).unwrap(), b"new,values\n");
    assert_eq!(mode(&target), 0o600);
    assert_eq!(names(&real_dir), ["data.csv"]);
    assert_eq!(names(dir.path()), ["link.csv", "link2.csv", "real"]);

    // a dangling link: its target is created, the link stays
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink("real/created.txt", &dangling).unwrap();
    outfile::write(&dangling, b"made").unwrap();
    assert!(fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read(real_dir.join("created.txt")).unwrap(), b"made");
}

#[test]
fn a_fifo_is_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    match Command::new("mkfifo").arg(&fifo).status() {
        Ok(s) if s.success() => {}
        other => return cannot(&format!("mkfifo failed: {other:?}")),
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut s = Vec::new();
            fs::File::open(&fifo).unwrap().read_to_end(&mut s).unwrap();
            s
        })
    };
    let mut out = OutFile::create(&fifo).unwrap();
    assert!(out.in_place());
    out.write_all(b"through the fifo\n").unwrap();
    out.commit().unwrap();
    assert_eq!(reader.join().unwrap(), b"through the fifo\n");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(names(dir.path()), ["pipe"]);
}

#[test]
fn a_device_node_is_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    // a null device of our own (major 1, minor 3), made in the temporary directory
    let node = dir.path().join("null");
    match Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .output()
    {
        Ok(o) if o.status.success() => {}
        other => return cannot(&format!("mknod failed (needs root): {other:?}")),
    }
    let before = fs::symlink_metadata(&node).unwrap();
    let out = match OutFile::create(&node) {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return cannot(&format!("cannot open a device here (nodev mount?): {e}"))
        }
        Err(e) => panic!("{e}"),
    };
    assert!(out.in_place());
    (&out).write_all(&[7u8; 10_000]).unwrap();
    out.commit().unwrap();
    let after = fs::symlink_metadata(&node).unwrap();
    assert!(after.file_type().is_char_device());
    assert_eq!((after.rdev(), after.ino()), (before.rdev(), before.ino()));
    assert_eq!(names(dir.path()), ["null"]);

    // and through a symlink to it
    let link = dir.path().join("to-null");
    std::os::unix::fs::symlink(&node, &link).unwrap();
    outfile::write(&link, b"gone").unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::symlink_metadata(&node)
        .unwrap()
        .file_type()
        .is_char_device());
}

#[test]
fn errors_name_the_path_and_never_the_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("out.csv");
    let e = OutFile::create(&path).unwrap_err();
    assert_eq!(e.action(), Action::Create);
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(e.to_string(), format!("cannot create {}", path.display()));
    let cause = std::error::Error::source(&e).unwrap().to_string();
    assert!(cause.contains("No such file or directory"), "{cause}");
    assert!(
        !cause.contains(".spicelab-") && !cause.contains("at path"),
        "{cause}"
    );

    // a parent that is a file: the OS error, not a link problem
    let file = dir.path().join("plain");
    fs::write(&file, b"x").unwrap();
    let e = OutFile::create(file.join("out.csv")).unwrap_err();
    assert_eq!(e.action(), Action::Create);
    assert_eq!(e.kind(), std::io::ErrorKind::NotADirectory);

    // a directory is not replaced
    let e = OutFile::create(dir.path()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::IsADirectory);
    assert!(dir.path().is_dir());

    // a link loop
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let e = OutFile::create(&a).unwrap_err();
    assert_eq!(e.action(), Action::FollowLink);
    assert!(e.to_string().contains(&*a.to_string_lossy()), "{e}");
}

/// Makes a `/dev/full` of our own (major 1, minor 7) in `dir`: every write
/// to it fails with `ENOSPC`. `None` (after `cannot`) where mknod is refused.
fn full_device(dir: &Path) -> Option<std::path::PathBuf> {
    let node = dir.join("full");
    match Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "7"])
        .output()
    {
        Ok(o) if o.status.success() => {}
        other => {
            cannot(&format!("mknod failed (needs root): {other:?}"));
            return None;
        }
    }
    if let Err(e) = fs::OpenOptions::new().write(true).open(&node) {
        cannot(&format!("cannot open a device here (nodev mount?): {e}"));
        return None;
    }
    Some(node)
}

#[test]
fn a_failed_write_in_place_names_the_path_and_the_link_target() {
    let dir = tempfile::tempdir().unwrap();
    let Some(full) = full_device(dir.path()) else {
        return;
    };
    let e = outfile::write(&full, b"no room").unwrap_err();
    assert_eq!(e.action(), Action::Sync);
    assert_eq!(e.kind(), std::io::ErrorKind::StorageFull);
    assert_eq!(e.path(), full);
    assert_eq!(e.to_string(), format!("cannot write {}", full.display()));
    // the OS error, which names no path, is the source and not in the message
    assert!(e.io_error().to_string().contains("No space left"), "{e:?}");
    assert!(!e.io_error().to_string().contains("full"), "{e:?}");
    assert_eq!(e.into_io_error().raw_os_error(), Some(28)); // ENOSPC

    // through a link, the message names both
    let link = dir.path().join("to-full");
    std::os::unix::fs::symlink(&full, &link).unwrap();
    let e = Options::new().write(&link, b"no room").unwrap_err();
    assert_eq!(e.path(), link);
    assert_eq!(
        e.to_string(),
        format!(
            "cannot write {} (the target of the link {})",
            full.display(),
            link.display()
        )
    );
    // still a device and a link
    assert!(fs::symlink_metadata(&full)
        .unwrap()
        .file_type()
        .is_char_device());
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_dangling_link_into_a_missing_directory_names_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("out.csv");
    std::os::unix::fs::symlink("gone/out.csv", &link).unwrap();
    let e = OutFile::create(&link).unwrap_err();
    assert_eq!(e.action(), Action::Create);
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert_eq!(e.path(), link);
    assert_eq!(
        e.to_string(),
        format!(
            "cannot create {} (the target of the link {})",
            dir.path().join("gone/out.csv").display(),
            link.display()
        )
    );
}

#[test]
fn a_path_that_became_a_directory_is_not_replaced_on_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.raw");
    fs::write(&path, b"old").unwrap();
    let mut out = OutFile::create(&path).unwrap();
    out.write_all(b"new").unwrap();
    // someone else puts a non-empty directory there meanwhile
    fs::remove_file(&path).unwrap();
    fs::create_dir(&path).unwrap();
    fs::write(path.join("inside"), b"kept").unwrap();
    let e = out.commit().unwrap_err();
    assert_eq!(e.action(), Action::Rename);
    assert_eq!(e.kind(), std::io::ErrorKind::IsADirectory);
    assert_eq!(e.to_string(), format!("cannot replace {}", path.display()));
    assert!(!e.to_string().contains(".spicelab-"), "{e}");
    // the directory and what is in it are untouched, the temporary file is gone
    assert_eq!(fs::read(path.join("inside")).unwrap(), b"kept");
    assert_eq!(names(dir.path()), ["out.raw"]);
}

#[test]
fn buffered_writes_and_debug_show_the_path_and_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("data.csv");
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let mut out = OutFile::create(&link).unwrap();
    assert_eq!(out.path(), link);
    assert_eq!(out.target(), target);
    let debug = format!("{out:?}");
    assert!(debug.starts_with("OutFile {"), "{debug}");
    assert!(debug.contains(&*target.to_string_lossy()), "{debug}");
    assert!(debug.contains("in_place: false"), "{debug}");
    // BufWriter goes through `write` and `flush`, on the file and on `&OutFile`
    let rows: String = (0..20_000).map(|i| format!("{i},{}\n", i * 2)).collect();
    {
        let mut w = std::io::BufWriter::with_capacity(1000, &mut out);
        w.write_all(rows.as_bytes()).unwrap();
        w.flush().unwrap();
    }
    {
        let mut w = std::io::BufWriter::with_capacity(1000, &out);
        w.write_all(b"end\n").unwrap();
        w.flush().unwrap();
    }
    assert_eq!(out.write(b"").unwrap(), 0);
    out.flush().unwrap();
    assert!(!target.exists());
    out.commit().unwrap();
    let got = fs::read_to_string(&target).unwrap();
    assert_eq!(got.len(), rows.len() + 4);
    assert!(got.starts_with("0,0\n1,2\n") && got.ends_with("19999,39998\nend\n"));
}

#[test]
fn sync_dir_of_a_missing_directory_fails() {
    let dir = tempfile::tempdir().unwrap();
    outfile::sync_dir(&dir.path().join("f")).unwrap();
    let e = outfile::sync_dir(&dir.path().join("missing").join("f")).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn a_socket_cannot_be_opened_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("listen.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    // not a regular file, so opened in place, which the kernel refuses (ENXIO)
    let e = OutFile::create(&sock).unwrap_err();
    assert_eq!(e.action(), Action::Open);
    assert_eq!(e.io_error().raw_os_error(), Some(6)); // ENXIO
    assert_eq!(e.to_string(), format!("cannot open {}", sock.display()));
    assert!(fs::symlink_metadata(&sock).unwrap().file_type().is_socket());
    assert_eq!(names(dir.path()), ["listen.sock"]);
}
