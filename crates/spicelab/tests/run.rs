//! `spicelab run` end to end with the real ngspice: results equal ngspice
//! run by hand, failures are reported while the others complete, Ctrl-C and
//! SIGKILL lose nothing, and only the jobs an edit touched run again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cache_zstd::DiskStore;
use raw_stream::RawFile;
use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_spicelab")
}

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let p = root.join(rel);
    if let Some(d) = p.parent() {
        fs::create_dir_all(d).unwrap();
    }
    fs::write(&p, text).unwrap();
    p
}

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

/// `spicelab run CAMPAIGN --json --cache CACHE ARGS...` with `env`.
fn run(campaign: &Path, cache: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut c = Command::new(bin());
    c.arg("run")
        .arg(campaign)
        .arg("--json")
        .arg("--cache")
        .arg(cache);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        code: out.status.code().unwrap_or(-1),
        json,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

const RC: &str = "\
* rc low-pass, step response (spicelab run test)
.param r1=1k c1=100n
V1 in 0 pulse(0 1 10u 1u 1u 1 2)
R1 in out {r1}
C1 out 0 {c1}
.tran 2u 1m
.end
";

/// A 2 x 2 sweep of the RC circuit with measures.
const RC_SWEEP: &str = r#"
[campaign]
name = "rc-sweep"
netlist = "rc.cir"
simulator = "ngspice"
save = ["v(out)", "v(in)"]
timeout = "30s"

[sweep]
r1 = ["1k", "2k"]
c1 = { from = "100n", to = "200n", points = 2 }

[measure]
vmax = { kind = "max", var = "v(out)" }
vmean = { kind = "mean", var = "v(out)", from = "100u", to = "900u" }
t50 = { kind = "cross", var = "v(out)", level = 0.5, edge = "rise", n = 1 }
v200 = { kind = "at", var = "v(out)", at = "200u" }

[spec]
t50 = { max = "150u" }
"#;

fn linear_at(x: &[f64], y: &[f64], at: f64) -> f64 {
    let i = x.iter().position(|&v| v >= at).unwrap();
    if x[i] == at || i == 0 {
        return y[i];
    }
    y[i - 1] + (y[i] - y[i - 1]) * (at - x[i - 1]) / (x[i] - x[i - 1])
}

/// The trapezoid mean of y over [from, to], ends interpolated.
fn window_mean(x: &[f64], y: &[f64], from: f64, to: f64) -> f64 {
    let mut pts = vec![(from, linear_at(x, y, from))];
    pts.extend(
        x.iter()
            .zip(y)
            .filter(|(t, _)| **t > from && **t < to)
            .map(|(t, v)| (*t, *v)),
    );
    pts.push((to, linear_at(x, y, to)));
    let area: f64 = pts
        .windows(2)
        .map(|w| 0.5 * (w[0].1 + w[1].1) * (w[1].0 - w[0].0))
        .sum();
    area / (to - from)
}

fn first_rise(x: &[f64], y: &[f64], level: f64) -> f64 {
    let i = (1..y.len())
        .find(|&i| y[i - 1] < level && y[i] >= level)
        .unwrap();
    x[i - 1] + (level - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1])
}

#[test]
fn results_equal_ngspice_by_hand_and_measures_a_direct_computation() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rc.cir", RC);
    let campaign = write(dir.path(), "rc.toml", RC_SWEEP);
    let cache = dir.path().join("cache");
    let r = run(&campaign, &cache, &["--keep-work", "--explain"], &[]);
    assert_eq!(r.code, 0, "{} {}", r.json, r.stderr);
    assert_eq!(
        (n(&r.json, "jobs"), n(&r.json, "ran"), n(&r.json, "ok")),
        (4, 4, 4)
    );
    let store = DiskStore::new(&cache).unwrap();
    let explain = r.json["explain"].as_array().unwrap();
    let mut direct: Vec<Vec<f64>> = Vec::new();
    for (i, e) in explain.iter().enumerate() {
        assert_eq!(e["decision"], "run");
        // ngspice by hand on the job's own netlist, in a directory of its own
        let job_cir = dir.path().join(format!("out/work/job-{i}/job.cir"));
        let hand = tempfile::tempdir().unwrap();
        let status = Command::new("ngspice")
            .arg("-b")
            .arg("-r")
            .arg(hand.path().join("hand.raw"))
            .arg(&job_cir)
            .current_dir(hand.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let by_hand = RawFile::open(hand.path().join("hand.raw"))
            .unwrap()
            .read_all()
            .unwrap();
        // the campaign's result, back from the cache
        let key = e["key"].as_str().unwrap();
        let back = hand.path().join("back.raw");
        let st = Command::new(bin())
            .args(["cache", "--dir"])
            .arg(&cache)
            .args(["get", key, "-o"])
            .arg(&back)
            .status()
            .unwrap();
        assert!(st.success());
        let cached = RawFile::open(&back).unwrap().read_all().unwrap();
        let (a, b) = (&by_hand.plots[0], &cached.plots[0]);
        let names = |p: &waveform::Plot| {
            p.header
                .variables
                .iter()
                .map(|v| v.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(a), ["time", "v(out)", "v(in)"]);
        assert_eq!(names(a), names(b));
        for (ca, cb) in a.columns.iter().zip(&b.columns) {
            assert_eq!(ca.bit_patterns(), cb.bit_patterns(), "job {i}");
        }
        // the measures stored with the job equal a direct computation
        let t = a.column("time").unwrap().to_f64();
        let v = a.column("v(out)").unwrap().to_f64();
        let expect = vec![
            v.iter().cloned().fold(f64::MIN, f64::max),
            window_mean(&t, &v, 100e-6, 900e-6),
            first_rise(&t, &v, 0.5),
            linear_at(&t, &v, 200e-6),
        ];
        let meta = store
            .read_with(key, |r| Ok(r.into_meta().job))
            .unwrap()
            .unwrap();
        let got: Vec<f64> = meta.measures.iter().map(|(_, x)| *x).collect();
        assert_eq!(
            meta.measures
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            ["vmax", "vmean", "t50", "v200"]
        );
        for (g, e) in got.iter().zip(&expect) {
            assert!(
                (g - e).abs() <= 1e-12 * e.abs().max(1e-9),
                "job {i}: {got:?} vs {expect:?}"
            );
        }
        assert_eq!(meta.simulator, "ngspice");
        assert!(meta.wall_s > 0.0);
        direct.push(expect);
    }
    // the summary across jobs
    let vmax = &r.json["measures"]["vmax"];
    let maxes: Vec<f64> = direct.iter().map(|m| m[0]).collect();
    assert_eq!(n(vmax, "n"), 4);
    let min = maxes.iter().cloned().fold(f64::MAX, f64::min);
    assert!((vmax["min"].as_f64().unwrap() - min).abs() < 1e-12);
    // t50 = R C ln 2 + 11 us: 1k x 100n -> 80 us passes, 2k x 200n -> 288 us fails
    let t50: Vec<f64> = direct.iter().map(|m| m[2]).collect();
    let pass = t50.iter().filter(|&&x| x <= 150e-6).count() as u64;
    assert_eq!(r.json["yield"]["pass"].as_u64(), Some(pass));
    assert_eq!(r.json["yield"]["of"].as_u64(), Some(4));
    assert!(
        (t50[0] - (1e3 * 100e-9 * 2f64.ln() + 11e-6)).abs() < 2e-6,
        "{t50:?}"
    );
}

/// A wrapper around the real ngspice that crashes (SIGSEGV) on the job
/// whose netlist sets `crash=1`, and reports `version` when asked.
fn wrapper(dir: &Path, version: &str) -> PathBuf {
    let p = write(
        dir,
        "bin/ngspice-wrapper",
        &format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo '** ngspice-{version} : test wrapper'; exit 0; fi\nfor a; do last=$a; done\nif grep -q '^.param crash=1' \"$last\"; then kill -SEGV $$; fi\nexec ngspice \"$@\"\n"
        ),
    );
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn failed_hung_and_crashed_jobs_are_reported_while_the_others_complete() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.cir",
        "* corners that fail in three ways\n.param tstep=10u tstop=1m tmax=10u crash=0\nV1 in 0 pulse(0 1 0 1u 1u 1m 2m)\nR1 in out 1k\nR2 out 0 {1meg + crash}\nC1 out 0 1u\n.tran {tstep} {tstop} 0 {tmax}\n.end\n",
    );
    let campaign = write(
        dir.path(),
        "t.toml",
        r#"
[campaign]
name = "failures"
netlist = "t.cir"
simulator = "ngspice"
timeout = "2s"

[corners]
good = { tstep = "10u", tstop = "1m", tmax = "10u", crash = 0 }
broken = { tstep = "10u", tstop = 0, tmax = "10u", crash = 0 }
hang = { tstep = "1e-13", tstop = 1, tmax = "1e-13", crash = 0 }
crash = { tstep = "10u", tstop = "1m", tmax = "10u", crash = 1 }
good2 = { tstep = "20u", tstop = "1m", tmax = "20u", crash = 0 }

[measure]
vmax = { kind = "max", var = "v(out)" }
"#,
    );
    let cache = dir.path().join("cache");
    let sim = wrapper(dir.path(), "39");
    let t0 = Instant::now();
    // --keep-work puts every job's directory, and so every simulator's
    // command line, under `dir`: the search for leftovers below sees them.
    let r = run(
        &campaign,
        &cache,
        &["--jobs", "2", "--keep-work"],
        &[("SPICELAB_NGSPICE", &sim)],
    );
    assert!(t0.elapsed() < Duration::from_secs(30));
    assert_eq!(r.code, 1, "{}", r.json);
    assert_eq!(
        (
            n(&r.json, "ok"),
            n(&r.json, "failed"),
            n(&r.json, "timed_out"),
            n(&r.json, "cancelled")
        ),
        (2, 2, 1, 0),
        "{}",
        r.json
    );
    let failures = r.json["failures"].as_array().unwrap();
    let by_job = |j: u64| {
        failures
            .iter()
            .find(|f| f["job"].as_u64() == Some(j))
            .unwrap_or_else(|| panic!("job {j} not in {failures:?}"))
    };
    let broken = by_job(1);
    assert_eq!(broken["status"], "failed");
    assert_eq!(broken["params"]["corner"], "broken");
    let reason = broken["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("ngspice exited 1: Error on line"),
        "{reason}"
    );
    let log = PathBuf::from(broken["log"].as_str().unwrap());
    assert!(fs::read_to_string(&log).unwrap().contains("Error on line"));
    let hang = by_job(2);
    assert_eq!(hang["status"], "timed_out");
    assert!(hang["reason"]
        .as_str()
        .unwrap()
        .contains("timed out after 2 s"));
    let crash = by_job(3);
    assert_eq!(crash["status"], "failed");
    assert!(
        crash["reason"]
            .as_str()
            .unwrap()
            .contains("killed by signal 11 (crashed)"),
        "{crash}"
    );
    // no process of the hung job is left (its command line names its
    // directory, which is under `dir`)
    assert!(dir.path().join("out/work/job-2/job.cir").is_file());
    let left = Command::new("pgrep")
        .arg("-f")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "left running: {}",
        String::from_utf8_lossy(&left.stdout)
    );
    // the two good jobs are in the cache, the others are not
    let store = DiskStore::new(&cache).unwrap();
    assert_eq!(store.keys().unwrap().len(), 2);
}

/// A Monte Carlo of `runs` transients that take ngspice a while each.
fn slow_mc(dir: &Path, runs: u32) -> PathBuf {
    write(
        dir,
        "slow.cir",
        "* slow rc\n.param r1=1k c1=1u\nV1 in 0 sin(0 1 1k)\nR1 in out {r1}\nC1 out 0 {c1}\n.tran 0.05u 20m 0 0.05u\n.end\n",
    );
    write(
        dir,
        "slow.toml",
        &format!(
            r#"
[campaign]
name = "slow-mc"
netlist = "slow.cir"
simulator = "ngspice"
save = ["v(out)"]

[montecarlo]
runs = {runs}
seed = 7
r1 = {{ dist = "gauss", nominal = "1k", tol = "5%" }}
c1 = {{ dist = "uniform", nominal = "1u", tol = "10%" }}

[measure]
vmax = {{ kind = "max", var = "v(out)" }}
vrms = {{ kind = "rms", var = "v(out)" }}
"#
        ),
    )
}

fn entries(cache: &Path) -> usize {
    DiskStore::new(cache)
        .map(|s| s.keys().unwrap().len())
        .unwrap_or(0)
}

fn spawn_run(campaign: &Path, cache: &Path) -> std::process::Child {
    Command::new(bin())
        .arg("run")
        .arg(campaign)
        .args(["--json", "--jobs", "2", "--keep-work", "--cache"])
        .arg(cache)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_for_entries(cache: &Path, at_least: usize, limit: Duration) {
    let t0 = Instant::now();
    while entries(cache) < at_least {
        assert!(
            t0.elapsed() < limit,
            "no {at_least} entries after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigint_mid_campaign_leaves_whole_entries_and_says_what_was_cancelled() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let campaign = slow_mc(dir.path(), 16);
    let cache = dir.path().join("cache");
    let child = spawn_run(&campaign, &cache);
    wait_for_entries(&cache, 2, Duration::from_secs(60));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ok = n(&json, "ok");
    assert!(ok >= 2, "{json}");
    assert!(n(&json, "cancelled") >= 1, "{json}");
    assert_eq!(ok + n(&json, "cancelled"), 16, "{json}");
    assert_eq!(n(&json, "failed") + n(&json, "timed_out"), 0);
    // every entry is whole, and there is one per ok job
    let store = DiskStore::new(&cache).unwrap();
    let report = store.verify().unwrap();
    assert_eq!(report.checked, ok);
    assert_eq!(report.ok, ok);
    assert!(report.removed.is_empty());
    // no simulator left behind
    let left = Command::new("pgrep")
        .arg("-f")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(left.stdout.is_empty());
}

#[test]
fn after_sigkill_a_second_run_runs_only_the_unfinished_jobs_and_equals_a_clean_run() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let campaign = slow_mc(dir.path(), 10);
    let cache = dir.path().join("cache");
    let mut child = spawn_run(&campaign, &cache);
    wait_for_entries(&cache, 3, Duration::from_secs(60));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let finished = entries(&cache);
    assert!((3..10).contains(&finished), "{finished}");
    let again = run(&campaign, &cache, &[], &[]);
    assert_eq!(again.code, 0, "{}", again.json);
    assert_eq!(n(&again.json, "cache_hits") as usize, finished);
    assert_eq!(n(&again.json, "ran") as usize, 10 - finished);
    assert_eq!(n(&again.json, "ok"), 10);
    // a clean run in another cache gives the same measures
    let clean = run(&campaign, &dir.path().join("clean-cache"), &[], &[]);
    assert_eq!(n(&clean.json, "ran"), 10);
    assert_eq!(again.json["measures"], clean.json["measures"]);
}

/// Keys of the `--explain` list whose decision is `run`, as job numbers.
fn ran_jobs(r: &Run) -> Vec<u64> {
    r.json["explain"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["decision"] == "run")
        .map(|e| e["job"].as_u64().unwrap())
        .collect()
}

fn reasons(r: &Run) -> Vec<String> {
    r.json["explain"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["decision"] == "run")
        .map(|e| e["reason"].as_str().unwrap().to_string())
        .collect()
}

const AMP: &str = "\
* common-source stage (spicelab incremental test)
.include models/nmos.inc
.param rload=10k
V1 vdd 0 3
V2 in 0 1.2
R1 vdd out {rload}
M1 out in 0 0 nch
.op
.end
";

#[test]
fn only_what_an_edit_touched_runs_again_and_explain_says_why() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    write(&root, "amp.cir", AMP);
    write(
        &root,
        "models/nmos.inc",
        "* wrapper\n.include deep/core.mod\n",
    );
    write(
        &root,
        "models/deep/core.mod",
        ".model nch nmos (vto=0.7 kp=1e-4)\n",
    );
    write(&root, "rc.cir", RC);
    let amp_toml = |runs: u32, rloads: &str| {
        format!(
            "[campaign]\nname = \"amp\"\nnetlist = \"amp.cir\"\nsimulator = \"ngspice\"\n\n[sweep]\nrload = [{rloads}]\n\n[montecarlo]\nruns = {runs}\nseed = 3\nr1 = {{ dist = \"gauss\", nominal = \"1k\", tol = \"1%\" }}\n\n[measure]\nvout = {{ kind = \"final\", var = \"v(out)\" }}\n"
        )
    };
    // r1 must be used by the netlist: a gate resistor
    write(
        &root,
        "amp.cir",
        &AMP.replace("V2 in 0 1.2", "V2 g 0 1.2\nRG g in {r1}"),
    );
    let amp = write(&root, "amp.toml", &amp_toml(4, "\"1k\", \"10k\""));
    let rc = write(&root, "rc.toml", RC_SWEEP);
    let cache = dir.path().join("cache");

    let cold = run(&amp, &cache, &["--explain"], &[]);
    assert_eq!(cold.code, 0, "{} {}", cold.json, cold.stderr);
    assert_eq!(n(&cold.json, "ran"), 8);
    assert!(reasons(&cold).iter().all(|r| r.starts_with("run: new job")));
    let rc_cold = run(&rc, &cache, &[], &[]);
    assert_eq!(n(&rc_cold.json, "ran"), 4);

    // unchanged: nothing runs
    let warm = run(&amp, &cache, &["--explain"], &[]);
    assert_eq!((n(&warm.json, "ran"), n(&warm.json, "cache_hits")), (0, 8));

    // a new measure: computed from the cached results, nothing runs
    let with_measure =
        amp_toml(4, "\"1k\", \"10k\"") + "vmax = { kind = \"max\", var = \"v(out)\" }\n";
    write(&root, "amp.toml", &with_measure);
    let r = run(&amp, &cache, &[], &[]);
    assert_eq!(
        (n(&r.json, "ran"), n(&r.json, "cache_hits")),
        (0, 8),
        "{}",
        r.json
    );
    assert_eq!(n(&r.json["measures"]["vmax"], "n"), 8);
    // an operating point: final and max of the one point agree
    assert_eq!(
        r.json["measures"]["vmax"]["mean"],
        r.json["measures"]["vout"]["mean"]
    );
    write(&root, "amp.toml", &amp_toml(4, "\"1k\", \"10k\""));

    // comments, spacing and case: nothing runs
    let edited = fs::read_to_string(root.join("amp.cir")).unwrap().replace(
        "R1 vdd out {rload}",
        "* the load\nr1   VDD out   {RLOAD} ; load",
    );
    write(&root, "amp.cir", &edited);
    assert_eq!(n(&run(&amp, &cache, &[], &[]).json, "ran"), 0);

    // one sweep value: exactly its 4 jobs, named by the parameter
    write(&root, "amp.toml", &amp_toml(4, "\"1k\", \"22k\""));
    let r = run(&amp, &cache, &["--explain"], &[]);
    assert_eq!(ran_jobs(&r), [4, 5, 6, 7]);
    assert!(
        reasons(&r)
            .iter()
            .all(|x| x == "run: parameter rload changed from 10k to 22k"),
        "{:?}",
        reasons(&r)
    );

    // more Monte Carlo runs: only the added ones
    write(&root, "amp.toml", &amp_toml(6, "\"1k\", \"22k\""));
    let r = run(&amp, &cache, &["--explain"], &[]);
    assert_eq!(ran_jobs(&r), [4, 5, 10, 11]);
    assert_eq!(n(&r.json, "cache_hits"), 8);

    // a model file two levels deep: every amp job, no rc job
    write(
        &root,
        "models/deep/core.mod",
        ".model nch nmos (vto=0.65 kp=1e-4)\n",
    );
    let r = run(&amp, &cache, &["--explain"], &[]);
    assert_eq!(n(&r.json, "ran"), 12);
    assert!(reasons(&r)
        .iter()
        .all(|x| x == "run: included file models/deep/core.mod changed"));
    assert_eq!(n(&run(&rc, &cache, &[], &[]).json, "ran"), 0);

    // the whole campaign moved elsewhere: nothing runs
    let moved = dir.path().join("elsewhere/proj");
    fs::create_dir_all(moved.parent().unwrap()).unwrap();
    assert!(Command::new("cp")
        .arg("-r")
        .arg(&root)
        .arg(&moved)
        .status()
        .unwrap()
        .success());
    let r = run(&moved.join("amp.toml"), &cache, &[], &[]);
    assert_eq!((n(&r.json, "ran"), n(&r.json, "cache_hits")), (0, 12));

    // another simulator version: everything
    let sim = wrapper(dir.path(), "99");
    let r = run(&amp, &cache, &["--explain"], &[("SPICELAB_NGSPICE", &sim)]);
    assert_eq!(n(&r.json, "ran"), 12);
    assert!(
        reasons(&r)
            .iter()
            .all(|x| x == "run: simulator changed from ngspice 39 to ngspice 99"),
        "{:?}",
        reasons(&r)
    );

    // --force: everything again
    let r = run(&amp, &cache, &["--force"], &[]);
    assert_eq!(n(&r.json, "ran"), 12);
}

#[test]
fn an_include_cycle_and_a_missing_include_are_errors_naming_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "a.cir",
        "* cycle\n.include x.inc\nR1 a 0 {r}\n.op\n.end\n",
    );
    write(root, "x.inc", ".include y.inc\n");
    write(root, "y.inc", ".include x.inc\n");
    write(
        root,
        "b.cir",
        "* missing\n.include models/none.lib\nR1 a 0 {r}\n.op\n.end\n",
    );
    for (net, words) in [("a.cir", "x.inc"), ("b.cir", "models/none.lib")] {
        let toml = write(
            root,
            "c.toml",
            &format!("[campaign]\nname = \"c\"\nnetlist = \"{net}\"\nsimulator = \"ngspice\"\n\n[sweep]\nr = [\"1k\"]\n"),
        );
        let out = Command::new(bin())
            .arg("run")
            .arg(&toml)
            .arg("--cache")
            .arg(root.join("cache"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(words), "{net}: {err}");
        assert!(
            err.contains("cycle")
                || err.contains("missing")
                || err.contains("cannot")
                || err.contains("not found"),
            "{net}: {err}"
        );
    }
}

#[test]
fn a_cold_campaign_trains_its_dictionary_and_every_result_reads_back_bit_for_bit() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rc.cir", RC);
    let campaign = write(
        dir.path(),
        "mc.toml",
        "[campaign]\nname = \"dict-mc\"\nnetlist = \"rc.cir\"\nsimulator = \"ngspice\"\n\n[montecarlo]\nruns = 40\nseed = 5\nr1 = { dist = \"gauss\", nominal = \"1k\", tol = \"5%\" }\n",
    );
    let with = dir.path().join("with");
    let without = dir.path().join("without");
    let a = run(&campaign, &with, &["--explain"], &[]);
    let b = run(&campaign, &without, &["--no-dictionary"], &[]);
    assert_eq!((n(&a.json, "ok"), n(&b.json, "ok")), (40, 40));
    assert!(
        n(&a.json, "bytes_written") < n(&b.json, "bytes_written"),
        "{} vs {}",
        a.json["bytes_written"],
        b.json["bytes_written"]
    );
    let id = fs::read_to_string(with.join("manifests/dict-mc.dict")).unwrap();
    assert!(with.join("dicts").join(id.trim()).is_file());
    assert!(!without.join("manifests/dict-mc.dict").exists());
    let mut coded = 0;
    for e in a.json["explain"].as_array().unwrap() {
        let key = e["key"].as_str().unwrap();
        let bytes = fs::read(with.join(&key[..2]).join(format!("{key}.splc"))).unwrap();
        if cache_zstd::entry_dictionary_id(&bytes, key, None)
            .unwrap()
            .is_some()
        {
            coded += 1;
        }
        let mut back = Vec::new();
        for (cache, name) in [(&with, "a.raw"), (&without, "b.raw")] {
            let out = dir.path().join(name);
            let st = Command::new(bin())
                .args(["cache", "--dir"])
                .arg(cache)
                .args(["get", key, "-o"])
                .arg(&out)
                .status()
                .unwrap();
            assert!(st.success());
            back.push(RawFile::open(&out).unwrap().read_all().unwrap());
        }
        for (ca, cb) in back[0].plots[0]
            .columns
            .iter()
            .zip(&back[1].plots[0].columns)
        {
            assert_eq!(ca.bit_patterns(), cb.bit_patterns());
        }
    }
    // the first 16 train the dictionary, the other 24 are coded with it
    assert_eq!(coded, 24);
    // a second run takes every result from the cache
    let again = run(&campaign, &with, &[], &[]);
    assert_eq!(n(&again.json, "cache_hits"), 40);
}
