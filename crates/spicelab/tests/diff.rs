//! `spicelab diff` on two real ngspice runs of one circuit at different
//! `reltol`: their time points differ, so B is interpolated at A's points.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const RC: &str = "* rc step response (spicelab diff test)\n.options reltol=RELTOL\nV1 in 0 pulse(0 1 0 1u 1u 1m 2m)\nR1 in out 1k\nC1 out 0 1u\n.tran 10u 3m\n.end\n";

fn simulate(dir: &Path, reltol: &str) -> PathBuf {
    let cir = dir.join(format!("rc_{reltol}.cir"));
    std::fs::write(&cir, RC.replace("RELTOL", reltol)).unwrap();
    let raw = dir.join(format!("rc_{reltol}.raw"));
    let st = Command::new("ngspice")
        .arg("-b")
        .arg("-r")
        .arg(&raw)
        .arg(&cir)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(st.status.success());
    raw
}

fn diff(a: &Path, b: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .arg("diff")
        .arg(a)
        .arg(b)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code().unwrap(), v)
}

fn vector<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["plots"][0]["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap()
}

#[test]
fn two_reltols_pass_loose_fail_tight_and_a_file_equals_itself() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = simulate(dir.path(), "1e-3");
    let b = simulate(dir.path(), "1e-6");
    let na = raw_stream::RawFile::open(&a).unwrap().plots()[0].complete_points;
    let nb = raw_stream::RawFile::open(&b).unwrap().plots()[0].complete_points;
    assert_ne!(na, nb, "the two runs should have different time points");

    let (code, v) = diff(&a, &b, &["--rtol", "1e-2", "--atol", "1e-4"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["pass"], true);
    assert_eq!(v["plots"][0]["interpolated"], true);
    let vout = vector(&v, "v(out)");
    assert!(vout["max_abs"].as_f64().unwrap() > 0.0);
    assert_eq!(vout["compared"].as_u64().unwrap(), na);

    let (code, v) = diff(
        &a,
        &b,
        &["--rtol", "1e-7", "--atol", "1e-12", "--var", "v(out)"],
    );
    assert_eq!(code, 1, "{v}");
    let vout = vector(&v, "v(out)");
    assert_eq!(vout["pass"], false);
    let at = vout["worst_at"].as_f64().unwrap();
    assert!((0.0..=3e-3).contains(&at), "{at}");
    assert_eq!(v["plots"][0]["vectors"].as_array().unwrap().len(), 1);

    // the human table names the vector and the time of the worst point
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .args(["--rtol", "1e-7", "--atol", "1e-12"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("v(out)"))
        .unwrap();
    assert!(
        line.contains(&format!("FAIL (worst at {at:.6e})")),
        "{line}"
    );

    let (code, v) = diff(&a, &a, &["--rtol", "0", "--atol", "0"]);
    assert_eq!(code, 0);
    for x in v["plots"][0]["vectors"].as_array().unwrap() {
        assert_eq!(x["max_abs"].as_f64(), Some(0.0));
        assert_eq!(x["compared"].as_u64(), Some(na));
    }
    assert_eq!(v["plots"][0]["interpolated"], false);
}

#[test]
fn interpolation_is_exact_on_a_linear_ramp() {
    // A ramp sampled at different points: linear interpolation is exact.
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, ts: &[f64]| {
        let mut s = format!(
            "Title: ramp\nDate: x\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 2\nNo. Points: {}\nVariables:\n\t0\ttime\ttime\n\t1\tv(x)\tvoltage\nValues:\n",
            ts.len()
        );
        for (i, t) in ts.iter().enumerate() {
            s.push_str(&format!(" {i}\t{t:e}\n\t{:e}\n", 3.0 * t + 1.0));
        }
        let p = dir.path().join(name);
        std::fs::write(&p, s).unwrap();
        p
    };
    let a = write("a.raw", &[0.0, 0.25, 0.5, 0.75, 1.0]);
    let b = write("b.raw", &[0.0, 0.1, 0.4, 0.9, 1.0]);
    let (code, v) = diff(&a, &b, &["--rtol", "0", "--atol", "1e-12"]);
    assert_eq!(code, 0, "{v}");
    let x = vector(&v, "v(x)");
    assert!(x["max_abs"].as_f64().unwrap() < 1e-12);
    assert_eq!(x["compared"].as_u64(), Some(5));
    // B off by 0.5 at one point: found, at its time
    let c = write("c.raw", &[0.0, 0.5, 1.0]);
    std::fs::write(
        &c,
        std::fs::read_to_string(&c)
            .unwrap()
            .replace("\t2.5e0\n", "\t3e0\n"),
    )
    .unwrap();
    let (code, v) = diff(&a, &c, &["--rtol", "0", "--atol", "1e-9"]);
    assert_eq!(code, 1, "{v}");
    let x = vector(&v, "v(x)");
    assert_eq!(x["max_abs_at"].as_f64(), Some(0.5));
    assert!((x["max_abs"].as_f64().unwrap() - 0.5).abs() < 1e-12);
}
