//! `spicelab run` on a campaign file or netlist that is not a regular file
//! (a FIFO, which would block; `/dev/zero`, which never ends) exits 2 at
//! once with what it found.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{run, s};
use std::time::{Duration, Instant};

fn refused_fast(args: &[&str], what: &str) {
    let t = Instant::now();
    let out = run(args);
    let took = t.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert!(took < Duration::from_secs(5), "{what}: took {took:?}");
    assert!(err.contains("not a regular file"), "{what}: {err}");
}

#[test]
fn a_fifo_campaign_and_a_dev_zero_netlist_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("campaign.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|st| st.success());
    assert!(made, "mkfifo failed");
    refused_fast(&["run", "--dry-run", s(&fifo)], "FIFO campaign");

    let campaign = dir.path().join("zero.toml");
    std::fs::write(
        &campaign,
        "[campaign]\nname = \"zero\"\nnetlist = \"/dev/zero\"\nsimulator = \"ngspice\"\nsave = [\"v(out)\"]\n\n[sweep]\nr1 = [\"1k\", \"2k\"]\n",
    )
    .unwrap();
    refused_fast(
        &[
            "run",
            "--dry-run",
            "--cache",
            s(&dir.path().join("cache")),
            s(&campaign),
        ],
        "/dev/zero netlist",
    );
}
