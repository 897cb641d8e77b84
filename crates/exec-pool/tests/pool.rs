//! The pool on real closures and real processes (`sh`, `sleep`).

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use exec_pool::group::live_members;
use exec_pool::{Capture, CommandError, CommandJob, JobContext, JobStatus, Pool, Progress};

mod common;
use common::{alive, read_pid, sh};

type Job = Box<dyn FnOnce(&JobContext<'_>) -> Result<String, String> + Send>;

/// Runs a command job inside a closure, keeping its output text.
fn command_job(job: CommandJob) -> Job {
    Box::new(move |ctx| {
        job.run(ctx)
            .map(|out| out.stdout.text().into_owned())
            .map_err(|e| e.to_string())
    })
}

#[test]
fn results_come_in_submission_order_with_mixed_statuses() {
    let jobs: Vec<Job> = vec![
        Box::new(|_| Ok("zero".into())),
        command_job(CommandJob::new(sh("echo broken >&2; exit 3"))),
        Box::new(|ctx| panic!("job {} exploded", ctx.index())),
        command_job(CommandJob::new(sh("sleep 5")).timeout(Duration::from_millis(100))),
        command_job(CommandJob::new(sh("echo out; echo err >&2"))),
        Box::new(|_| Err("plain failure".into())),
        Box::new(|ctx| {
            std::thread::sleep(Duration::from_millis(50));
            Ok(format!("slow {}", ctx.index()))
        }),
    ];
    let results = Pool::new().with_workers(3).run(jobs);
    let indices: Vec<usize> = results.iter().map(|r| r.index).collect();
    assert_eq!(indices, vec![0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(results[0].status, JobStatus::Ok("zero".into()));
    assert_eq!(
        results[1].status,
        JobStatus::Failed("`sh` failed (exit status: 3): broken".into())
    );
    assert_eq!(
        results[2].status,
        JobStatus::Failed("panicked: job 2 exploded".into())
    );
    assert_eq!(results[3].status, JobStatus::TimedOut);
    assert_eq!(
        results[3].detail.as_deref(),
        Some("`sh` timed out after 0.100 s")
    );
    assert_eq!(results[4].status, JobStatus::Ok("out\n".into()));
    assert_eq!(results[5].status, JobStatus::Failed("plain failure".into()));
    assert_eq!(results[6].status, JobStatus::Ok("slow 6".into()));
    assert!(results[6].elapsed >= Duration::from_millis(50));
}

#[test]
fn failures_and_panics_do_not_stop_the_others() {
    let jobs = (0..40u64).map(|i| {
        move |_: &JobContext<'_>| -> Result<u64, String> {
            match i % 5 {
                1 => Err(format!("bad {i}")),
                3 => panic!("{}", format!("panic {i}")),
                _ => Ok(i * i),
            }
        }
    });
    let results = Pool::new().with_workers(2).run(jobs);
    assert_eq!(results.len(), 40);
    for (i, r) in results.iter().enumerate() {
        let i = i as u64;
        let want = match i % 5 {
            1 => JobStatus::Failed(format!("bad {i}")),
            3 => JobStatus::Failed(format!("panicked: panic {i}")),
            _ => JobStatus::Ok(i * i),
        };
        assert_eq!(r.status, want, "job {i}");
    }
}

#[test]
fn a_timed_out_command_leaves_no_process_of_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("bg.pid");
    let script = format!(
        "sleep 100 & echo $! > {}; sleep 100; wait",
        pidfile.display()
    );
    let timeout = Duration::from_millis(300);
    let grace = Duration::from_millis(500);
    let seen: Arc<Mutex<Option<u32>>> = Arc::default();
    let seen_in_job = Arc::clone(&seen);
    let started = Instant::now();
    let results = Pool::new()
        .with_workers(1)
        .run(vec![move |ctx: &JobContext<'_>| {
            let r = CommandJob::new(sh(&script))
                .timeout(timeout)
                .grace(grace)
                .run(ctx);
            if let Err(CommandError::TimedOut { output, .. }) = &r {
                *seen_in_job.lock().unwrap() = Some(output.pgid);
            }
            r
        }]);
    let took = started.elapsed();
    assert_eq!(results[0].status, JobStatus::TimedOut);
    // Within timeout + grace, plus slack for a loaded machine.
    assert!(
        took < timeout + grace + Duration::from_secs(2),
        "took {took:?}"
    );
    let pgid = seen.lock().unwrap().expect("the job saw its timeout");
    assert_eq!(live_members(pgid), Vec::<u32>::new());
    let grandchild = read_pid(&pidfile);
    assert!(!alive(grandchild), "background sleep {grandchild} survived");
}

#[test]
fn a_command_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("bg.pid");
    // Ignored signals stay ignored across exec: both sleeps ignore SIGTERM.
    let script = format!(
        "trap '' TERM; sleep 100 & echo $! > {}; sleep 100; wait",
        pidfile.display()
    );
    let grace = Duration::from_millis(300);
    let ctx_token = exec_pool::CancelToken::new();
    let ctx = JobContext::new(0, &ctx_token);
    let started = Instant::now();
    let err = CommandJob::new(sh(&script))
        .timeout(Duration::from_millis(200))
        .grace(grace)
        .run(&ctx)
        .unwrap_err();
    let took = started.elapsed();
    let CommandError::TimedOut { output, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        took >= Duration::from_millis(200) + grace,
        "SIGKILL came early: {took:?}"
    );
    assert!(took < Duration::from_millis(200) + grace + Duration::from_secs(2));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(output.status.signal(), Some(9));
    assert_eq!(live_members(output.pgid), Vec::<u32>::new());
    assert!(!alive(read_pid(&pidfile)));
}

#[test]
fn cancelling_mid_batch_ends_running_commands_and_keeps_finished_results() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("long.pid");
    let pidfile_job = pidfile.clone();
    let pidfile_cancel = pidfile.clone();
    let pgid_seen: Arc<Mutex<Option<u32>>> = Arc::default();
    let pgid_job = Arc::clone(&pgid_seen);
    let mut jobs: Vec<Job> = vec![
        // 0: a long command, running when the batch is cancelled
        Box::new(move |ctx| {
            let script = format!(
                "echo $$ > {}; sleep 100 & sleep 100; wait",
                pidfile_job.display()
            );
            let r = CommandJob::new(sh(&script))
                .grace(Duration::from_millis(500))
                .run(ctx);
            if let Err(CommandError::Cancelled {
                output: Some(o), ..
            }) = &r
            {
                *pgid_job.lock().unwrap() = Some(o.pgid);
            }
            r.map(|_| "finished".into()).map_err(|e| e.to_string())
        }),
        // 1: a closure that runs until it sees the cancellation
        Box::new(|ctx| {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(30) {
                if ctx.is_cancelled() {
                    return Err("stopped".into());
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok("never cancelled".into())
        }),
        // 2: finishes before the cancellation
        Box::new(|_| Ok("two".into())),
        // 3: cancels once job 0's command is running, and finishes
        Box::new(move |ctx| {
            read_pid(&pidfile_cancel);
            ctx.token().cancel();
            Ok("three".into())
        }),
    ];
    for _ in 4..12 {
        jobs.push(command_job(CommandJob::new(sh("echo should not run"))));
    }
    let last_progress: Arc<Mutex<Option<Progress>>> = Arc::default();
    let sink = Arc::clone(&last_progress);
    let pool = Pool::new()
        .with_workers(3)
        .on_progress(move |p| *sink.lock().unwrap() = Some(*p));
    let started = Instant::now();
    let results = pool.run(jobs);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(pool.cancel_handle().is_cancelled());
    assert_eq!(results[0].status, JobStatus::Cancelled);
    assert_eq!(results[0].detail.as_deref(), Some("`sh` was cancelled"));
    assert_eq!(results[1].status, JobStatus::Cancelled);
    assert_eq!(results[1].detail.as_deref(), Some("stopped"));
    assert_eq!(results[2].status, JobStatus::Ok("two".into()));
    assert_eq!(results[3].status, JobStatus::Ok("three".into()));
    for r in &results[4..] {
        assert_eq!(r.status, JobStatus::Cancelled, "job {}", r.index);
        assert_eq!(r.elapsed, Duration::ZERO);
    }
    let p = last_progress
        .lock()
        .unwrap()
        .expect("progress was reported");
    assert_eq!(
        (p.done, p.total, p.ok, p.failed, p.timed_out, p.cancelled),
        (12, 12, 2, 0, 0, 10)
    );
    let pgid = pgid_seen
        .lock()
        .unwrap()
        .expect("job 0 was cancelled while running");
    assert_eq!(pgid, read_pid(&pidfile));
    assert_eq!(live_members(pgid), Vec::<u32>::new());

    // The token stays set: the next batch does not run until it is reset.
    let again = pool.run(vec![|_: &JobContext<'_>| Ok::<_, String>(1)]);
    assert_eq!(again[0].status, JobStatus::Cancelled);
    pool.cancel_handle().reset();
    let again = pool.run(vec![|_: &JobContext<'_>| Ok::<_, String>(1)]);
    assert_eq!(again[0].status, JobStatus::Ok(1));
}

#[test]
fn run_commands_reports_exit_status_output_and_spawn_errors() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("job.log");
    let results = Pool::new().with_workers(2).run_commands(vec![
        CommandJob::new(sh("printf 'a\\nb\\n'; echo warn >&2")),
        CommandJob::new(sh("echo 'line one'; echo 'singular matrix' >&2; exit 1")),
        CommandJob::new(Command::new("/nonexistent/simulator")),
        CommandJob::new(sh("head -c 100000 /dev/zero | tr '\\0' x; echo; echo end"))
            .stdout(Capture::Tail(8))
            .stderr(Capture::Null),
        CommandJob::new(sh("echo to the log; echo last line")).stdout(Capture::file(&log)),
    ]);
    let JobStatus::Ok(out) = &results[0].status else {
        panic!("{:?}", results[0])
    };
    assert_eq!(out.stdout.bytes, b"a\nb\n");
    assert_eq!(out.stderr.text(), "warn\n");
    assert!(out.status.success());
    assert_eq!(
        results[1].status,
        JobStatus::Failed("`sh` failed (exit status: 1): singular matrix".into())
    );
    let JobStatus::Failed(text) = &results[2].status else {
        panic!("{:?}", results[2])
    };
    assert!(
        text.starts_with("cannot start `/nonexistent/simulator`: No such file"),
        "{text}"
    );
    let JobStatus::Ok(big) = &results[3].status else {
        panic!("{:?}", results[3])
    };
    assert_eq!(big.stdout.bytes, b"xxx\nend\n");
    assert_eq!(big.stdout.total, 100_005);
    assert!(big.stdout.truncated());
    let JobStatus::Ok(logged) = &results[4].status else {
        panic!("{:?}", results[4])
    };
    assert_eq!(logged.stdout.text(), "to the log\nlast line\n");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "to the log\nlast line\n"
    );
}

#[test]
fn processes_left_behind_by_a_finished_command_are_killed() {
    let results = Pool::new().with_workers(1).run_commands(vec![
        CommandJob::new(sh("sleep 100 & echo $!")),
        CommandJob::new(sh("sleep 100 & echo $!")).kill_leftovers(false),
    ]);
    let pid = |i: usize| -> (u32, u32) {
        let JobStatus::Ok(out) = &results[i].status else {
            panic!("{:?}", results[i])
        };
        (out.stdout.text().trim().parse().unwrap(), out.pgid)
    };
    assert!(!alive(pid(0).0));
    let (kept, pgid) = pid(1);
    assert!(alive(kept));
    assert_eq!(live_members(pgid), vec![kept]);
    exec_pool::group::signal_group(pgid, exec_pool::group::GroupSignal::Kill).unwrap();
}

#[test]
fn progress_counts_only_grow_and_end_at_the_total() {
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let pool = Pool::new()
        .with_workers(2)
        .on_progress(move |p| sink.lock().unwrap().push(*p));
    let results = pool.run(
        (0..30u32).map(|i| move |_: &JobContext<'_>| if i % 10 == 9 { Err("nine") } else { Ok(i) }),
    );
    assert_eq!(results.iter().filter(|r| r.status.is_ok()).count(), 27);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 30);
    for (n, p) in seen.iter().enumerate() {
        assert_eq!(p.done, n + 1);
        assert_eq!(p.total, 30);
        assert_eq!(p.ok + p.failed, p.done);
    }
    let last = seen.last().unwrap();
    assert_eq!(
        (last.ok, last.failed, last.failures(), last.cancelled),
        (27, 3, 3, 0)
    );
}

#[test]
fn an_empty_batch_returns_nothing() {
    let none: Vec<Job> = Vec::new();
    assert!(Pool::new().run(none).is_empty());
}

#[test]
#[cfg(target_os = "linux")]
fn cpu_time_of_a_busy_command_is_measured_and_an_idle_one_is_near_zero() {
    let token = exec_pool::CancelToken::new();
    let ctx = exec_pool::JobContext::new(0, &token);
    // A shell loop that burns CPU for about 0.3 s of wall time.
    let busy = CommandJob::new(sh(
        "end=$(( $(date +%s%N) + 300000000 )); while [ $(date +%s%N) -lt $end ]; do :; done",
    ))
    .run(&ctx)
    .unwrap();
    let cpu = busy.cpu.expect("/proc is there on Linux");
    assert!(
        cpu.as_secs_f64() > 0.1,
        "busy loop used {cpu:?} of CPU in {:?}",
        busy.elapsed
    );
    assert!(cpu <= busy.elapsed + Duration::from_millis(50));
    let idle = CommandJob::new(sh("sleep 0.3")).run(&ctx).unwrap();
    let cpu = idle.cpu.expect("/proc is there on Linux");
    assert!(cpu.as_secs_f64() < 0.1, "sleep used {cpu:?}");
}
