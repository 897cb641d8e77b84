//! `spicelab run` beyond the plain ngspice sweep: temperatures, the Xyce
//! and LTspice adapters (driven here by scripts that run the real ngspice
//! with each simulator's command line and log layout), simulators that
//! fail in ways ngspice does not (exit 0 without a RAW file, an error line
//! on stdout), a cache entry evicted between runs, kept work directories
//! reused, a damaged manifest, an HDF5 output that cannot be created and a
//! summary with more failures than it lists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::require;
use serde_json::Value;
use spicelab::raw_stream::RawFile;

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let p = root.join(rel);
    if let Some(d) = p.parent() {
        fs::create_dir_all(d).unwrap();
    }
    fs::write(&p, text).unwrap();
    p
}

fn script(root: &Path, rel: &str, body: &str) -> PathBuf {
    let p = write(root, rel, &format!("#!/bin/sh\n{body}"));
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// `spicelab run CAMPAIGN --cache CACHE ARGS...` with `env`.
fn spicelab_run(campaign: &Path, cache: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = common::bin();
    c.arg("run")
        .arg(campaign)
        .arg("--cache")
        .arg(cache)
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn json_of(o: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "not one JSON object ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// A temporary directory for a test that runs the real ngspice; `None`
/// (the test skips, with a note) where it is not installed.
fn tmp_with_ngspice() -> Option<tempfile::TempDir> {
    require::ngspice_or_skip().then(|| tempfile::tempdir().unwrap())
}

/// Asserts that `o` exited with `code`, showing its stderr when not.
fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// [`spicelab_run`] that must exit with `code`; its JSON.
fn run_json(
    campaign: &Path,
    cache: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
    code: i32,
) -> Value {
    let o = spicelab_run(campaign, cache, args, env);
    assert_exit(&o, code);
    json_of(&o)
}

/// A fake `bin/ngspice` in `dir`: it answers `--version` as ngspice 39 and
/// runs `body` otherwise.
fn fake_ngspice(dir: &Path, body: &str) -> PathBuf {
    script(
        dir,
        "bin/ngspice",
        &format!("if [ \"$1\" = --version ]; then echo '** ngspice-39 : fake'; exit 0; fi\n{body}"),
    )
}

/// Asserts the counts of jobs that ran ok and failed.
fn assert_ok_failed(v: &Value, ok: u64, failed: u64) {
    assert_eq!(
        (v["ok"].as_u64(), v["failed"].as_u64()),
        (Some(ok), Some(failed)),
        "{v}"
    );
}

/// A resistive divider driven by a 2 V step: `v(out)` settles at
/// 2 * 1k / (r1 + 1k).
const DIVIDER: &str = "\
* divider (spicelab run_adapters test)
.param r1=1k
V1 in 0 pulse(0 2 0 1n 1n 1 2)
R1 in out {r1}
R2 out 0 1k
.tran 1u 20u
.end
";

const DIVIDER_CAMPAIGN: &str = r#"
[campaign]
name = "divider"
netlist = "div.cir"
simulator = "SIM"
save = ["v(out)"]
timeout = "30s"

[sweep]
r1 = ["1k", "3k"]

[measure]
vfinal = { kind = "final", var = "v(out)" }
"#;

fn divider(dir: &Path, simulator: &str) -> PathBuf {
    write(dir, "div.cir", DIVIDER);
    write(dir, "div.toml", &DIVIDER_CAMPAIGN.replace("SIM", simulator))
}

fn assert_divider_measures(v: &Value) {
    let m = &v["measures"]["vfinal"];
    assert_eq!(m["n"], 2, "{v}");
    // r1 = 3k: 2 * 1k / 4k; r1 = 1k: 2 * 1k / 2k
    assert!((m["min"].as_f64().unwrap() - 0.5).abs() < 1e-9, "{v}");
    assert!((m["max"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{v}");
}

#[test]
fn the_xyce_adapter_runs_its_command_line_and_reads_its_stdout_log() {
    let Some(tmp) = tmp_with_ngspice() else {
        return;
    };
    let d = tmp.path();
    let campaign = divider(d, "xyce");
    // Xyce's command line: `Xyce -r out.raw job.cir`, its log on stdout;
    // the job `r1=3k` fails with an error line as Xyce prints one
    let xyce = script(
        d,
        "bin/xyce",
        "if [ \"$1\" = -v ]; then echo 'Xyce Release 7.8.0-opensource'; exit 0; fi\n\
         [ \"$1\" = -r ] || exit 9\n\
         if grep -q '^.param r1=3k' \"$3\"; then\n\
           echo 'Netlist warning: nothing'; echo 'Netlist error in file job.cir at line 4 : unknown device R9'; echo 'Xyce Abort'; exit 3\n\
         fi\n\
         exec ngspice -b -r \"$2\" \"$3\"\n",
    );
    let cache = d.join("cache");
    let v = run_json(
        &campaign,
        &cache,
        &["--json"],
        &[("SPICELAB_XYCE", &xyce)],
        1,
    );
    assert_ok_failed(&v, 1, 1);
    let f = &v["failures"][0];
    assert_eq!(f["params"]["r1"], "3k");
    assert_eq!(f["exit_code"], 3);
    assert_eq!(
        f["reason"],
        "xyce exited 3: Netlist error in file job.cir at line 4 : unknown device R9"
    );
    // the log kept is what it printed on stdout
    let log = fs::read_to_string(f["log"].as_str().unwrap()).unwrap();
    assert!(log.contains("Xyce Abort"), "{log}");
    assert!((v["measures"]["vfinal"]["max"].as_f64().unwrap() - 1.0).abs() < 1e-9);

    // without the failure both jobs run, the value of each is the divider's
    let xyce = script(
        d,
        "bin/xyce2",
        "if [ \"$1\" = -v ]; then echo 'Xyce Release 7.8.0-opensource'; exit 0; fi\n\
         exec ngspice -b -r \"$2\" \"$3\"\n",
    );
    let v = run_json(
        &campaign,
        &d.join("cache2"),
        &["--json"],
        &[("SPICELAB_XYCE", &xyce)],
        0,
    );
    assert_divider_measures(&v);
}

#[test]
fn the_ltspice_adapter_reads_job_raw_and_job_log_beside_the_netlist() {
    let Some(tmp) = tmp_with_ngspice() else {
        return;
    };
    let d = tmp.path();
    let campaign = divider(d, "ltspice");
    // LTspice: `ltspice -b -Run job.cir`, job.raw and job.log beside it;
    // the job r1=3k prints a partial line on stdout and an error in its log
    let lt = script(
        d,
        "bin/ltspice",
        "if [ \"$1\" = -version ]; then echo 'LTspice 24.0.12 for Windows'; exit 0; fi\n\
         [ \"$1\" = -b ] && [ \"$2\" = -Run ] || exit 9\n\
         grep -q '^.save v(out)' \"$3\" || exit 8\n\
         if grep -q '^.param r1=3k' \"$3\"; then\n\
           printf 'wine: starting'; echo 'Circuit: * divider' > job.log; echo 'Error: unknown subcircuit called in X1' >> job.log; exit 1\n\
         fi\n\
         exec ngspice -b -r job.raw -o job.log \"$3\"\n",
    );
    let cache = d.join("cache");
    let v = run_json(
        &campaign,
        &cache,
        &["--json", "--keep-work"],
        &[("SPICELAB_LTSPICE", &lt)],
        1,
    );
    assert_ok_failed(&v, 1, 1);
    let f = &v["failures"][0];
    assert_eq!(
        f["reason"],
        "ltspice exited 1: Error: unknown subcircuit called in X1"
    );
    // what it printed comes first (a line of its own), then its log
    let log = fs::read_to_string(f["log"].as_str().unwrap()).unwrap();
    assert_eq!(
        log,
        "wine: starting\nCircuit: * divider\nError: unknown subcircuit called in X1\n"
    );
    // the job's netlist got the .save line, in its kept work directory
    let job0 = fs::read_to_string(d.join("out/work/job-0/job.cir")).unwrap();
    assert!(job0.contains("\n.save v(out)\n"), "{job0}");
    assert!(d.join("out/work/job-0/job.raw").is_file());
}

#[test]
fn a_simulator_that_exits_0_without_a_raw_file_fails_with_its_words() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let campaign = divider(d, "ngspice");
    let fake = fake_ngspice(
        d,
        "# -b -r RAW -o LOG NETLIST: writes the log only\n\
         echo 'Error: no analysis found' > \"$5\"\nexit 0\n",
    );
    let v = run_json(
        &campaign,
        &d.join("cache"),
        &["--json"],
        &[("SPICELAB_NGSPICE", &fake)],
        1,
    );
    assert_eq!(v["failed"], 2, "{v}");
    for f in v["failures"].as_array().unwrap() {
        let reason = f["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("ngspice exited 0 but left no readable RAW file (")
                && reason.ends_with("): Error: no analysis found"),
            "{reason}"
        );
        assert_eq!(f["exit_code"], 0);
        assert_eq!(f["log_tail"], "Error: no analysis found");
    }
    assert_eq!(v["measures"]["vfinal"]["n"], 0);
}

#[test]
fn more_than_twenty_failures_are_summarised_with_a_count_of_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "div.cir", DIVIDER);
    let campaign = write(
        d,
        "many.toml",
        "[campaign]\nname = \"many\"\nnetlist = \"div.cir\"\n[sweep]\nr1 = { from = 1, to = 23, points = 23 }\n",
    );
    let fake = fake_ngspice(d, "echo 'Error: fake failure' > \"$5\"\nexit 1\n");
    let o = spicelab_run(
        &campaign,
        &d.join("cache"),
        &[],
        &[("SPICELAB_NGSPICE", &fake)],
    );
    assert_exit(&o, 1);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.starts_with("campaign many: 23 jobs on ngspice 39, 23 ran, 0 from the cache\n  ok 0, failed 23, timed out 0, cancelled 0\n"), "{out}");
    let listed = out
        .lines()
        .filter(|l| {
            l.starts_with("  job ")
                && l.ends_with(": failed: ngspice exited 1: Error: fake failure")
        })
        .count();
    assert_eq!(listed, 20, "{out}");
    assert!(
        out.contains("\n  ... and 3 more (--json lists them all)\n"),
        "{out}"
    );
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "logs of the failed jobs are in {}",
            d.join("out/logs").display()
        )),
        "{err}"
    );
}

/// A diode biased through 10k from 5 V: its forward voltage falls as the
/// temperature rises.
const DIODE: &str = "\
* diode forward voltage against temperature
V1 a 0 dc 5
R1 a k 10k
D1 k 0 dmod
.model dmod d(is=1e-14 n=1)
.tran 1u 10u
.end
";

/// ngspice by hand on [`DIODE`] at `temp`: the last v(k).
fn diode_by_hand(temp: f64) -> f64 {
    let hand = tempfile::tempdir().unwrap();
    let cir = write(
        hand.path(),
        "d.cir",
        &DIODE.replacen('\n', &format!("\n.temp {temp}\n"), 1),
    );
    let raw = hand.path().join("d.raw");
    let st = Command::new("ngspice")
        .arg("-b")
        .arg("-r")
        .arg(&raw)
        .arg(&cir)
        .current_dir(hand.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let plot = RawFile::open(&raw).unwrap().read_all().unwrap();
    let v = plot.plots[0].column("v(k)").unwrap().to_f64();
    *v.last().unwrap()
}

#[test]
fn temperatures_run_each_job_at_its_own_and_a_name_is_made_safe_for_its_manifest() {
    let Some(tmp) = tmp_with_ngspice() else {
        return;
    };
    let d = tmp.path();
    write(d, "d.cir", DIODE);
    let campaign = write(
        d,
        "d.toml",
        "[campaign]\nname = \"diode vs T/2\"\nnetlist = \"d.cir\"\ntemperature = [-40, 125]\nsave = [\"v(k)\"]\n\
         [measure]\nvd = { kind = \"final\", var = \"v(k)\" }\n",
    );
    let cache = d.join("cache");
    let v = run_json(&campaign, &cache, &["--json", "--explain"], &[], 0);
    let (cold, hot) = (diode_by_hand(-40.0), diode_by_hand(125.0));
    assert!(cold - hot > 0.2, "{cold} {hot}");
    let m = &v["measures"]["vd"];
    assert_eq!(m["max"].as_f64().unwrap(), cold, "{v}");
    assert_eq!(m["min"].as_f64().unwrap(), hot, "{v}");
    assert_eq!(v["explain"][0]["params"]["temp"], "-40");
    assert_eq!(v["explain"][1]["params"]["temp"], "125");
    // the manifest: spaces and the slash made `_`
    assert!(
        cache.join("manifests/diode_vs_T_2.json").is_file(),
        "{:?}",
        fs::read_dir(cache.join("manifests")).map(|r| r.count())
    );
}

#[test]
fn an_evicted_entry_runs_again_and_explain_says_so() {
    let Some(tmp) = tmp_with_ngspice() else {
        return;
    };
    let d = tmp.path();
    let campaign = divider(d, "ngspice");
    let cache = d.join("cache");
    let first = json_of(&spicelab_run(
        &campaign,
        &cache,
        &["--json", "--explain"],
        &[],
    ));
    assert_eq!(first["ok"], 2, "{first}");
    // take job 1's entry out of the cache, as `cache gc` would
    let key = first["explain"][1]["key"].as_str().unwrap().to_string();
    let store = spicelab::cache_zstd::DiskStore::new(&cache).unwrap();
    fs::remove_file(store.path_of(&key).unwrap()).unwrap();
    let o = spicelab_run(&campaign, &cache, &["--explain"], &[]);
    assert_exit(&o, 0);
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("job ")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("job    0 skip "), "{out}");
    assert!(
        lines[1].starts_with(
            "job    1 run  run: not in the cache (the last run did not finish it, or it was evicted)  [r1=3k]"
        ),
        "{out}"
    );
    assert!(
        out.contains("campaign divider: 2 jobs on ngspice 39, 1 ran, 1 from the cache"),
        "{out}"
    );
    // and it is back
    assert!(store.path_of(&key).unwrap().is_file());
}

#[test]
fn a_kept_work_directory_is_cleared_before_the_job_runs_again() {
    let Some(tmp) = tmp_with_ngspice() else {
        return;
    };
    let d = tmp.path();
    let campaign = divider(d, "ngspice");
    let cache = d.join("cache");
    assert_exit(
        &spicelab_run(&campaign, &cache, &["--keep-work", "-q"], &[]),
        0,
    );
    let stale = d.join("out/work/job-0/stale.txt");
    fs::write(&stale, "from before").unwrap();
    let v = run_json(
        &campaign,
        &cache,
        &["--keep-work", "--force", "--json"],
        &[],
        0,
    );
    assert_eq!(v["ran"], 2);
    assert_divider_measures(&v);
    assert!(!stale.exists());
    assert!(d.join("out/work/job-0/job.cir").is_file());
    assert!(d.join("out/work/job-0/out.raw").is_file());
}

#[test]
fn a_damaged_manifest_is_a_usage_error_even_for_a_dry_run() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let campaign = divider(d, "ngspice");
    let cache = d.join("cache");
    let fake = fake_ngspice(d, "exit 1\n");
    let manifest = write(&cache, "manifests/divider.json", "{not json");
    let v = run_json(
        &campaign,
        &cache,
        &["--dry-run", "--json"],
        &[("SPICELAB_NGSPICE", &fake)],
        2,
    );
    assert_eq!(v["kind"], "usage");
    let e = v["error"].as_str().unwrap();
    assert!(e.contains(&manifest.display().to_string()), "{e}");
    // the file is left as it was
    assert_eq!(fs::read_to_string(&manifest).unwrap(), "{not json");
}

#[cfg(feature = "hdf5")]
#[test]
fn an_hdf5_output_whose_directory_cannot_be_made_is_an_output_error() {
    let Some(tmp) = tmp_with_ngspice() else {
        return;
    };
    let d = tmp.path();
    write(d, "div.cir", DIVIDER);
    write(d, "blocker", "a file where a directory should be\n");
    let campaign = write(
        d,
        "div.toml",
        "[campaign]\nname = \"h\"\nnetlist = \"div.cir\"\n[outputs]\nhdf5 = \"blocker/res.h5\"\n",
    );
    let cache = d.join("cache");
    let v = run_json(&campaign, &cache, &["--json"], &[], 2);
    assert_eq!(v["kind"], "output");
    let e = v["error"].as_str().unwrap();
    assert!(
        e.starts_with(&format!(
            "{}: cannot create its directory: ",
            d.join("blocker/res.h5").display()
        )),
        "{e}"
    );
    // the job itself ran and is cached: the rerun takes it from the cache
    fs::remove_file(d.join("blocker")).unwrap();
    let v = json_of(&spicelab_run(&campaign, &cache, &["--json"], &[]));
    assert_eq!(
        (v["ran"].as_u64(), v["cache_hits"].as_u64()),
        (Some(0), Some(1))
    );
    assert!(d.join("blocker/res.h5").is_file());
}

#[test]
fn durations_read_as_a_person_writes_them() {
    use spicelab::run::human_duration;
    assert_eq!(human_duration(Duration::from_millis(41_230)), "41.2 s");
    assert_eq!(human_duration(Duration::from_secs(185)), "3 min 5 s");
    assert_eq!(human_duration(Duration::from_secs(3600)), "60 min 0 s");
}
