//! `spicelab run` read by a person (no `--json`), with the real ngspice:
//! `--dry-run` with and without the simulator, `--explain`, and the summary
//! with its failures, measures and yield.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const RC: &str = "\
* rc low-pass, step response (spicelab run_text test)
.param r1=1k c1=100n tstop=1m
V1 in 0 pulse(0 1 10u 1u 1u 1 2)
R1 in out {r1}
C1 out 0 {c1}
.tran 2u {tstop}
.end
";

/// Two good corners (tau 100 us and 200 us) and one ngspice refuses (TSTOP = 0).
const CAMPAIGN: &str = r#"
[campaign]
name = "rc-text"
netlist = "rc.cir"
simulator = "ngspice"
save = ["v(out)"]
timeout = "30s"

[corners]
fast = { r1 = "1k", c1 = "100n", tstop = "1m" }
slow = { r1 = "2k", c1 = "100n", tstop = "1m" }
broken = { r1 = "1k", c1 = "100n", tstop = 0 }

[measure]
vmax = { kind = "max", var = "v(out)" }
over = { kind = "cross", var = "v(out)", level = 2, edge = "rise", n = 1 }

[spec]
vmax = { min = 0.995 }
"#;

fn spicelab(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spicelab"));
    c.current_dir(dir).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The step response of the RC filter at 1 ms: the pulse starts at 10 us
/// and rises in 1 us (taken at its middle).
fn v_at_1ms(tau: f64) -> f64 {
    1.0 - (-(1e-3 - 10.5e-6) / tau).exp()
}

fn row_numbers(stdout: &str, name: &str) -> Vec<String> {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name}: {stdout}"));
    line.split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[test]
fn dry_run_explain_and_the_summary_in_text() {
    if !common::require::ngspice_or_skip() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("rc.cir"), RC).unwrap();
    std::fs::write(d.join("c.toml"), CAMPAIGN).unwrap();
    let base = ["run", "c.toml", "--cache", "cache"];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }

    // --dry-run: every job with its parameters and why it would run; nothing runs
    let (code, out, err) = text(&spicelab(d, &with(&base, &["--dry-run"]), &[]));
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "campaign rc-text: 3 jobs of ngspice on ./rc.cir");
    for (i, (corner, r1, tstop)) in [
        ("fast", "1k", "1m"),
        ("slow", "2k", "1m"),
        ("broken", "1k", "0"),
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(
            lines[1 + i],
            format!(
                "  job {i:>4}  run  corner={corner} r1={r1} c1=100n tstop={tstop}   (run: new job (not in the last run))"
            )
        );
    }
    assert_eq!(lines[4], "3 of 3 would run; nothing was run (--dry-run)");
    assert!(!d.join("cache").exists() || std::fs::read_dir(d.join("cache")).unwrap().count() == 0);

    // --dry-run --json: the same jobs, with their keys
    let (code, out, _) = text(&spicelab(d, &with(&base, &["--dry-run", "--json"]), &[]));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["would_run"], 3);
    let list = v["list"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[1]["params"]["r1"], "2k");
    assert_eq!(list[2]["decision"], "run");
    let keys: Vec<&str> = list.iter().map(|j| j["key"].as_str().unwrap()).collect();
    assert!(keys.iter().all(|k| k.len() == 64), "{keys:?}");
    assert!(keys[0] != keys[1] && keys[1] != keys[2], "{keys:?}");

    // --dry-run without the simulator: the jobs, without their cache state
    let (code, out, err) = text(&spicelab(
        d,
        &with(&base, &["--dry-run"]),
        &[("SPICELAB_NGSPICE", "/nonexistent/ngspice")],
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().nth(1),
        Some("  job    0  corner=fast r1=1k c1=100n tstop=1m")
    );
    assert!(!out.contains("would run"), "{out}");
    assert!(
        err.contains("listing the jobs without their cache state"),
        "{err}"
    );

    // the run, with --explain: a failed job makes exit status 1
    let (code, out, err) = text(&spicelab(d, &with(&base, &["--explain"]), &[]));
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("job    1 run  run: new job (not in the last run)  [corner=slow r1=2k c1=100n tstop=1m]"),
        "{out}"
    );
    assert!(out.contains("campaign rc-text: 3 jobs on ngspice"), "{out}");
    assert!(out.contains(", 3 ran, 0 from the cache\n"), "{out}");
    assert!(
        out.contains("  ok 2, failed 1, timed out 0, cancelled 0\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "failures:\n  job 2 (corner=broken r1=1k c1=100n tstop=0): failed: ngspice exited 1:"
        ),
        "{out}"
    );
    assert!(out.contains("TSTOP is invalid"), "{out}");
    assert!(out.contains("    log: ./out/logs/job-2.log\n"), "{out}");
    assert!(d.join("out/logs/job-2.log").is_file());
    assert!(
        err.contains("logs of the failed jobs are in ./out/logs"),
        "{err}"
    );

    // measures over the two good jobs, as the RC step response gives them
    assert!(out.contains("measures (across the 2 ok jobs):"), "{out}");
    let vmax = row_numbers(&out, "vmax");
    let (min, mean, max): (f64, f64, f64) = (
        vmax[0].parse().unwrap(),
        vmax[1].parse().unwrap(),
        vmax[2].parse().unwrap(),
    );
    let (slow, fast) = (v_at_1ms(200e-6), v_at_1ms(100e-6));
    assert!((min - slow).abs() < 1e-3, "{min} vs {slow}");
    assert!((max - fast).abs() < 1e-3, "{max} vs {fast}");
    assert!((mean - (min + max) / 2.0).abs() < 1e-6, "{vmax:?}");
    assert_eq!(vmax[3], "2");
    // a level the output never reaches has no value in any job
    assert_eq!(row_numbers(&out, "over"), ["-", "-", "-", "0"]);
    // vmax >= 0.995 passes for tau = 100 us only: 1 of 2, Wilson 95% interval
    assert!(
        out.contains("yield: 1 of 2 pass every spec = 50.00% (95% interval 9.45% .. 90.55%)\n"),
        "{out}"
    );
    assert!(
        out.contains("  vmax             1 of 2 (9.45% .. 90.55%)\n"),
        "{out}"
    );

    // again: the good jobs come from the cache, the failed one runs again
    let (code, out, _) = text(&spicelab(d, &base, &[]));
    assert_eq!(code, 1);
    assert!(out.contains(", 1 ran, 2 from the cache\n"), "{out}");
    assert!(out.contains("0 bytes written to the cache"), "{out}");
    assert_eq!(row_numbers(&out, "vmax")[..3], vmax[..3]);
    let (code, out, _) = text(&spicelab(d, &with(&base, &["--dry-run"]), &[]));
    assert_eq!(code, 0);
    assert!(
        out.contains("1 of 3 would run; nothing was run (--dry-run)"),
        "{out}"
    );
}

/// A campaign file that is not one, and a `--jobs 0` run (all cores).
#[test]
fn a_bad_campaign_is_a_usage_error_in_text() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("bad.toml"), "[campaign]\nname = \"x\"\n").unwrap();
    let (code, out, err) = text(&spicelab(d, &["run", "bad.toml", "--cache", "cache"], &[]));
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("bad.toml"), "{err}");
}
