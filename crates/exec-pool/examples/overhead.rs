//! Measures the pool: per-job overhead on trivial closures, speedup of
//! CPU-bound closures at 1 vs 2 workers, and the cost of an external command.
//!
//! `cargo run --release -p exec-pool --example overhead [trivial_jobs]`

use std::convert::Infallible;
use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use exec_pool::{JobContext, Pool};

fn trivial(pool: &Pool, n: usize) -> f64 {
    let start = Instant::now();
    let results = pool.run((0..n).map(|i| move |_: &JobContext<'_>| Ok::<usize, Infallible>(i)));
    let took = start.elapsed();
    assert!(results.iter().all(|r| r.status.is_ok()));
    took.as_secs_f64() * 1e6 / n as f64
}

/// About 0.2 s of arithmetic on one core.
fn busy(seed: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..60_000_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

/// Wall time, and the mean number of jobs running at once (the jobs' own
/// run times over the wall time), which stays near `workers` even on a
/// machine too busy to give the pool more cores.
fn cpu_bound(workers: usize, jobs: u64) -> (f64, f64) {
    let pool = Pool::new().with_workers(workers);
    let start = Instant::now();
    let results =
        pool.run((0..jobs).map(|i| move |_: &JobContext<'_>| Ok::<u64, Infallible>(busy(i))));
    let wall = start.elapsed().as_secs_f64();
    assert!(results.iter().all(|r| r.status.is_ok()));
    let running: f64 = results.iter().map(|r| r.elapsed.as_secs_f64()).sum();
    (wall, running / wall)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let cores = Pool::new().workers();
    println!("cores: {cores}");

    for workers in [1, cores] {
        let pool = Pool::new().with_workers(workers);
        trivial(&pool, n / 10); // warm up
        let best = (0..3)
            .map(|_| trivial(&pool, n))
            .fold(f64::INFINITY, f64::min);
        println!("{n} trivial closure jobs, {workers} worker(s): {best:.3} us/job (best of 3)");
    }
    {
        let pool = Pool::new().with_workers(cores).on_progress(|p| {
            black_box(p.done);
        });
        let best = (0..3)
            .map(|_| trivial(&pool, n))
            .fold(f64::INFINITY, f64::min);
        println!("{n} trivial closure jobs, {cores} worker(s), with a progress observer: {best:.3} us/job");
    }

    let (t1, c1) = cpu_bound(1, 8);
    let (t2, c2) = cpu_bound(2, 8);
    println!(
        "8 CPU-bound jobs: 1 worker {t1:.3} s, 2 workers {t2:.3} s, speedup {:.2}x \
         (jobs running at once: {c1:.2} and {c2:.2})",
        t1 / t2
    );

    let commands = 200;
    let pool = Pool::new();
    let start = Instant::now();
    let results =
        pool.run_commands((0..commands).map(|_| exec_pool::CommandJob::new(Command::new("true"))));
    let took = start.elapsed();
    assert!(results.iter().all(|r| r.status.is_ok()));
    println!(
        "{commands} external `true` commands, {cores} worker(s): {:.3} ms/job",
        took.as_secs_f64() * 1e3 / f64::from(commands)
    );
}
