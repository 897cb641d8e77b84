//! `CommandJob` and the pool on real processes (`sh`, `seq`, `sleep`): the
//! error variants and their messages, capture edge cases, ending a group
//! whose leader dies first, and the pool's statuses and options.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::{Duration, Instant};

use exec_pool::group::live_members;
use exec_pool::{
    CancelToken, Capture, CommandError, CommandJob, JobContext, JobStatus, Pool, Progress,
};

mod common;
use common::{alive, read_pid, sh};

#[test]
fn a_cancelled_context_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let token = CancelToken::new();
    token.cancel();
    let ctx = JobContext::new(3, &token);
    let err = CommandJob::new(sh(&format!("touch {}", marker.display())))
        .run(&ctx)
        .unwrap_err();
    assert!(
        matches!(&err, CommandError::Cancelled { program, output: None } if program == "sh"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "`sh` was cancelled");
    assert!(err.output().is_none());
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn an_output_file_that_cannot_be_created_is_a_capture_error() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let log = dir.path().join("no-such-dir").join("err.log");
    let token = CancelToken::new();
    let ctx = JobContext::new(0, &token);
    let err = CommandJob::new(sh(&format!("touch {}", marker.display())))
        .stderr(Capture::file(&log))
        .run(&ctx)
        .unwrap_err();
    let CommandError::Capture { program, path, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((program.as_str(), path.as_path()), ("sh", log.as_path()));
    assert!(
        err.to_string().starts_with(&format!(
            "cannot create {} for the output of `sh`: No such file",
            log.display()
        )),
        "{err}"
    );
    assert!(err.output().is_none());
    assert!(!marker.exists(), "the command ran without its log");
}

#[test]
fn output_of_exited_and_timed_out_commands_is_kept_with_the_error() {
    let token = CancelToken::new();
    let ctx = JobContext::new(0, &token);
    let err = CommandJob::new(sh("echo partial; echo 'no convergence' >&2; exit 7"))
        .run(&ctx)
        .unwrap_err();
    let out = err.output().expect("it ran");
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(out.stdout.text(), "partial\n");
    assert_eq!(out.last_words(), "no convergence");
    assert_eq!(
        err.to_string(),
        "`sh` failed (exit status: 7): no convergence"
    );

    // stdout only: its last lines are the words
    let err = CommandJob::new(sh("echo one; echo two; exit 1"))
        .run(&ctx)
        .unwrap_err();
    assert_eq!(err.to_string(), "`sh` failed (exit status: 1): one | two");

    let err = CommandJob::new(sh("echo started; exec sleep 10"))
        .timeout(Duration::from_millis(100))
        .run(&ctx)
        .unwrap_err();
    let out = err.output().expect("it ran");
    assert_eq!(out.status.signal(), Some(15));
    assert_eq!(out.stdout.text(), "started\n");
    assert_eq!(err.to_string(), "`sh` timed out after 0.100 s: started");

    let err = CommandJob::new(Command::new("/nonexistent/ngspice"))
        .run(&JobContext::new(1, &token))
        .unwrap_err();
    assert!(matches!(err, CommandError::Spawn { .. }), "{err:?}");
    assert!(err.output().is_none());
}

/// `seq 1 N`.
fn seq(n: u32) -> Command {
    let mut c = Command::new("seq");
    c.args(["1", &n.to_string()]);
    c
}

#[test]
fn a_small_tail_of_a_long_stream_is_its_exact_end() {
    let token = CancelToken::new();
    let ctx = JobContext::new(0, &token);
    // 30000 lines (168894 bytes) read in pipe-sized chunks, each smaller
    // than the tail kept
    let out = CommandJob::new(seq(30000))
        .stdout(Capture::Tail(10_000))
        .run(&ctx)
        .unwrap();
    let all: String = (1..=30000).map(|i| format!("{i}\n")).collect();
    assert_eq!(out.stdout.total, all.len() as u64);
    assert_eq!(out.stdout.bytes, all.as_bytes()[all.len() - 10_000..]);
    assert!(out.stdout.truncated());

    // a tail of zero bytes still counts the stream
    let out = CommandJob::new(seq(1000))
        .stdout(Capture::Tail(0))
        .stderr(Capture::Null)
        .run(&ctx)
        .unwrap();
    assert_eq!(out.stdout.total, 3893);
    assert!(out.stdout.bytes.is_empty());
    assert_eq!(out.stderr.total, 0);
}

#[test]
fn an_inherited_stream_and_a_log_removed_by_the_command_leave_empty_tails() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("out.log");
    let token = CancelToken::new();
    let ctx = JobContext::new(0, &token);
    let script = format!("echo to the log; rm {}; echo on stderr >&2", log.display());
    let out = CommandJob::new(sh(&script))
        .stdout(Capture::file(&log))
        .stderr(Capture::Inherit)
        .run(&ctx)
        .unwrap();
    assert!(!log.exists());
    assert_eq!(out.stdout, exec_pool::Tail::default());
    assert_eq!(out.stderr, exec_pool::Tail::default());
}

#[test]
fn a_member_that_outlives_its_leader_on_sigterm_is_killed_after_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("stubborn.pid");
    // the leader dies of SIGTERM; a subshell of its group ignores it
    let script = format!(
        "(trap '' TERM; echo $$ > /dev/null; exec sleep 100) & echo $! > {}; sleep 100",
        pidfile.display()
    );
    let token = CancelToken::new();
    let ctx = JobContext::new(0, &token);
    let grace = Duration::from_millis(400);
    let timeout = Duration::from_millis(200);
    let started = Instant::now();
    let err = CommandJob::new(sh(&script))
        .timeout(timeout)
        .grace(grace)
        .run(&ctx)
        .unwrap_err();
    let took = started.elapsed();
    let CommandError::TimedOut { output, after, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*after, timeout);
    assert_eq!(
        output.status.signal(),
        Some(15),
        "the leader ended by SIGTERM"
    );
    assert!(took >= timeout + grace, "SIGKILL came early: {took:?}");
    assert!(took < timeout + grace + Duration::from_secs(3), "{took:?}");
    let stubborn = read_pid(&pidfile);
    assert!(!alive(stubborn), "{stubborn} survived");
    assert_eq!(live_members(output.pgid), Vec::<u32>::new());
}

#[test]
fn a_command_job_shows_its_settings() {
    let job = CommandJob::new(sh("true"))
        .timeout(Duration::from_secs(3))
        .grace(Duration::from_millis(250))
        .stdout(Capture::Null)
        .stderr(Capture::Tail(16));
    assert_eq!(job.command().get_program(), "sh");
    let debug = format!("{job:?}");
    for part in [
        "CommandJob",
        "\"sh\"",
        "timeout: Some(3s)",
        "grace: 250ms",
        "stdout: Null",
        "stderr: Tail(16)",
    ] {
        assert!(debug.contains(part), "{part} not in {debug}");
    }
}

#[test]
fn statuses_have_short_names_and_display() {
    let results = Pool::new().with_workers(0).run_commands(vec![
        CommandJob::new(sh("echo fine")),
        CommandJob::new(sh("exit 2")),
        CommandJob::new(sh("exec sleep 10")).timeout(Duration::from_millis(50)),
    ]);
    let statuses: Vec<_> = results.iter().map(|r| r.status.kind()).collect();
    assert_eq!(statuses, ["ok", "failed", "timed_out"]);
    assert_eq!(
        results[0].status.ok().map(|o| o.stdout.text().into_owned()),
        Some("fine\n".into())
    );
    assert!(results[1].status.ok().is_none());
    assert_eq!(results[0].status.to_string(), "ok");
    assert_eq!(
        results[1].status.to_string(),
        "failed: `sh` failed (exit status: 2)"
    );
    assert_eq!(results[2].status.to_string(), "timed_out");
    assert_eq!(JobStatus::<()>::Cancelled.to_string(), "cancelled");
}

#[test]
fn pools_can_share_a_cancel_token() {
    let token = CancelToken::new();
    let a = Pool::default()
        .with_workers(0)
        .with_cancel_token(token.clone());
    let b = Pool::new().with_workers(2).with_cancel_token(token.clone());
    assert_eq!((a.workers(), b.workers()), (1, 2));
    assert!(format!("{b:?}").contains("workers: 2, cancelled: false, observer: false"));
    a.cancel_handle().cancel();
    assert!(b.cancel_handle().is_cancelled());
    assert!(format!("{b:?}").contains("cancelled: true"));
    let r = b.run(vec![|_: &JobContext<'_>| Ok::<_, String>(1)]);
    assert_eq!(r[0].status, JobStatus::Cancelled);
    token.reset();
    let r = a.run(vec![|_: &JobContext<'_>| Ok::<_, String>(1)]);
    assert_eq!(r[0].status, JobStatus::Ok(1));
}

#[test]
fn panic_payloads_of_any_kind_are_reported() {
    let results = Pool::new().with_workers(1).run(vec![
        Box::new(|_: &JobContext<'_>| -> Result<(), String> { panic!("a literal") })
            as Box<dyn FnOnce(&JobContext<'_>) -> Result<(), String> + Send>,
        Box::new(|_: &JobContext<'_>| std::panic::panic_any(42_u32)),
    ]);
    assert_eq!(
        results[0].status,
        JobStatus::Failed("panicked: a literal".into())
    );
    assert_eq!(
        results[1].status,
        JobStatus::Failed("panicked: (a non-string payload)".into())
    );
}

#[test]
fn a_panicking_observer_does_not_lose_results_and_timeouts_are_counted() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Progress>::new()));
    let sink = std::sync::Arc::clone(&seen);
    let pool = Pool::new().with_workers(2).on_progress(move |p| {
        sink.lock().unwrap().push(*p);
        if p.done == 1 {
            panic!("observer broke");
        }
    });
    assert!(format!("{pool:?}").contains("observer: true"));
    let results = pool.run_commands(vec![
        CommandJob::new(sh("exec sleep 10")).timeout(Duration::from_millis(50)),
        CommandJob::new(sh("echo a")),
        CommandJob::new(sh("echo b")),
    ]);
    assert_eq!(results[0].status, JobStatus::TimedOut);
    assert!(results[1].status.is_ok() && results[2].status.is_ok());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    let last = seen.last().unwrap();
    assert_eq!(
        (last.done, last.ok, last.timed_out, last.failures()),
        (3, 2, 1, 1)
    );
}
