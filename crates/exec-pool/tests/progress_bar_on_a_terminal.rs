//! `ProgressReporter` on a real terminal: this test runs itself again under
//! `script(1)`, whose pseudo-terminal is the child's stderr, and reads what
//! the bar drew there: the label, the counts, and the failures once there
//! are some. (Without a terminal the reporter logs lines instead: see
//! `tests/progress.rs`.)
#![cfg(feature = "progress")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use exec_pool::{Progress, ProgressReporter};
use std::io::IsTerminal;
use std::process::Command;
use std::time::Duration;

const CHILD: &str = "EXEC_POOL_PTY_CHILD";

fn report(done: usize, failed: usize, timed_out: usize, cancelled: usize) -> Progress {
    Progress {
        done,
        total: 5,
        ok: done - failed - timed_out - cancelled,
        failed,
        timed_out,
        cancelled,
        elapsed: Duration::from_millis(100 * done as u64),
    }
}

/// The child's part: stderr is the terminal.
fn draw() {
    assert!(std::io::stderr().is_terminal(), "stderr is not a terminal");
    let r = ProgressReporter::new("sims-on-a-tty", 5);
    let shared = r.clone();
    for p in [
        report(1, 0, 0, 0),
        report(2, 0, 0, 0),
        report(3, 1, 0, 0),
        report(4, 1, 1, 0),
        report(5, 1, 1, 1),
    ] {
        shared.observe(&p);
        // the bar redraws at most ~20 times a second
        std::thread::sleep(Duration::from_millis(120));
    }
    eprintln!("\nBAR-DONE");
    r.finish();
}

#[test]
fn a_bar_on_a_terminal_shows_the_label_counts_and_failures() {
    if std::env::var_os(CHILD).is_some() {
        draw();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let cmd = format!(
        "{} --exact a_bar_on_a_terminal_shows_the_label_counts_and_failures --nocapture --test-threads=1",
        exe.display()
    );
    let out = match Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env(CHILD, "1")
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("NOTE: script(1) cannot run ({e}); the terminal bar is not checked here");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "child failed: {text}");
    assert!(text.contains("BAR-DONE"), "{text}");
    // the label and counts as the bar's template writes them
    assert!(text.contains("sims-on-a-tty ["), "{text}");
    for count in ["1/5", "3/5", "5/5"] {
        assert!(text.contains(count), "{count} not drawn: {text}");
    }
    // no message while nothing failed; then the failures, updated
    assert!(
        text.contains("1 failed, 0 timed out, 0 cancelled"),
        "{text}"
    );
    assert!(
        text.contains("1 failed, 1 timed out, 1 cancelled"),
        "{text}"
    );
    // no log lines: the bar replaces them on a terminal
    assert!(!text.contains("INFO"), "{text}");
}
