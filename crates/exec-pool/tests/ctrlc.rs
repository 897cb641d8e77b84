//! SIGINT sets the pool's token through `cancel_on_ctrlc` (feature `ctrlc`;
//! its own test binary, since the handler is process-wide).

#![cfg(all(unix, feature = "ctrlc"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use exec_pool::{cancel_on_ctrlc, CommandJob, JobStatus, Pool};
use rustix::process::{getpid, kill_process, Signal};

#[test]
fn sigint_cancels_the_batch_and_ends_the_running_command() {
    let pool = Pool::new().with_workers(1);
    cancel_on_ctrlc(&pool.cancel_handle()).unwrap();
    // A second handler is refused, with a typed error.
    assert!(cancel_on_ctrlc(&pool.cancel_handle()).is_err());
    let interrupter = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(300));
        kill_process(getpid(), Signal::INT).unwrap();
    });
    let mut sleep = Command::new("sleep");
    sleep.arg("100");
    let started = Instant::now();
    let results = pool.run_commands(vec![
        CommandJob::new(sleep),
        CommandJob::new(Command::new("true")),
    ]);
    interrupter.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(results[0].status, JobStatus::Cancelled);
    assert_eq!(results[1].status, JobStatus::Cancelled);
    assert!(pool.cancel_handle().is_cancelled());
}
