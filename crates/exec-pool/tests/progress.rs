//! `LogProgress`: which reports become log lines, read back from a real
//! `tracing` subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use exec_pool::{LogProgress, Progress};

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log lines `f` writes at INFO.
fn logged(f: impl FnOnce()) -> Vec<String> {
    let lines = Lines::default();
    let sink = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .without_time()
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    text.lines().map(str::to_string).collect()
}

fn progress(done: usize, total: usize, elapsed_ms: u64) -> Progress {
    Progress {
        done,
        total,
        ok: done.saturating_sub(1),
        failed: usize::from(done > 0),
        elapsed: Duration::from_millis(elapsed_ms),
        ..Progress::default()
    }
}

#[test]
fn a_line_once_per_period_and_one_at_the_end() {
    let log = LogProgress::new("sims", Duration::from_secs(3600));
    let lines = logged(|| {
        // not yet a period since the batch started: nothing
        log.observe(&progress(1, 4, 10));
        log.observe(&progress(2, 4, 20));
        // the end of the batch always logs
        log.observe(&progress(4, 4, 30));
    });
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert!(l.contains("INFO"), "{l}");
    assert!(l.contains("progress"), "{l}");
    for field in [
        "label=sims",
        "done=4",
        "total=4",
        "failed=1",
        "timed_out=0",
        "cancelled=0",
        "elapsed_s=0.03",
    ] {
        assert!(l.contains(field), "{field} not in {l}");
    }

    // a batch already a period old logs at once, then not again within the period
    let log = LogProgress::new("steps", Duration::from_millis(100));
    let lines = logged(|| {
        log.observe(&progress(1, 10, 150));
        log.observe(&progress(2, 10, 160));
        std::thread::sleep(Duration::from_millis(120));
        log.observe(&progress(3, 10, 280));
    });
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("done=1") && lines[1].contains("done=3"),
        "{lines:?}"
    );
}
