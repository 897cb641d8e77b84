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

/// A transient plot of `names` (after `time`), value `k` of vector `j` at
/// point `i` being `i + 10 j`, with `bump` added to one (vector, point).
fn plot_of(names: &[&str], points: usize, bump: Option<(usize, usize, f64)>) -> waveform::Plot {
    use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};
    let mut variables = vec![Variable::new(0, "time", "time")];
    let mut columns = vec![Column::F64((0..points).map(|i| i as f64 * 1e-6).collect())];
    for (j, n) in names.iter().enumerate() {
        variables.push(Variable::new(j + 1, *n, "voltage"));
        columns.push(Column::F64(
            (0..points)
                .map(|i| {
                    let x = (i + 10 * j) as f64;
                    match bump {
                        Some((bj, bi, d)) if bj == j && bi == i => x + d,
                        _ => x,
                    }
                })
                .collect(),
        ));
    }
    Plot {
        header: PlotHeader {
            title: "diff test".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real"),
            n_points: points as u64,
            variables,
            ..PlotHeader::default()
        },
        columns,
        steps: Steps::single(points as u64),
    }
}

fn write(dir: &Path, name: &str, plots: &[waveform::Plot]) -> PathBuf {
    let p = dir.join(name);
    raw_stream::write_file(&p, raw_stream::RawFormat::NgspiceBinary, plots).unwrap();
    p
}

fn diff_text(a: &Path, b: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .arg("diff")
        .arg(a)
        .arg(b)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn text_report_names_the_failing_vector_and_the_vectors_of_one_side() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // v(a) differs by 0.5 at point 3 (t = 3 us); v(b) only in A, v(c) only in B
    let a = write(d, "a.raw", &[plot_of(&["v(a)", "v(b)"], 6, None)]);
    let b = write(
        d,
        "b.raw",
        &[plot_of(&["v(a)", "v(c)"], 6, Some((0, 3, 0.5)))],
    );
    let (code, out, _) = diff_text(&a, &b, &["--rtol", "0", "--atol", "1e-9"]);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "plot 0: Transient Analysis");
    let row: Vec<&str> = lines[2].split_whitespace().collect();
    // vector, max |a-b|, at, max rel, at, outside, result
    assert_eq!(row[0], "v(a)");
    assert_eq!(row[1].parse::<f64>().unwrap(), 0.5);
    assert_eq!(row[2].parse::<f64>().unwrap(), 3e-6);
    // relative to |a| = 3
    assert!(
        (row[3].parse::<f64>().unwrap() - 0.5 / 3.0).abs() < 1e-6,
        "{}",
        row[3]
    );
    assert_eq!(row[5], "1");
    assert_eq!(
        lines[2].split("FAIL (worst at ").nth(1),
        Some("3.000000e-6)")
    );
    assert_eq!(lines[3], "  only in A: v(b)");
    assert_eq!(lines[4], "  only in B: v(c)");
    assert!(
        lines[5].contains("vectors outside the tolerance"),
        "{}",
        lines[5]
    );
    // within a loose tolerance the same pair passes
    let (code, out, _) = diff_text(&a, &b, &["--atol", "1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.lines().nth(2).unwrap().ends_with("ok"), "{out}");
}

#[test]
fn files_that_cannot_be_compared_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = write(d, "a.raw", &[plot_of(&["v(a)"], 4, None)]);
    let two = write(
        d,
        "two.raw",
        &[plot_of(&["v(a)"], 4, None), plot_of(&["v(a)"], 4, None)],
    );
    let other = write(d, "other.raw", &[plot_of(&["v(z)"], 4, None)]);
    let mut stepped = plot_of(&["v(a)"], 4, None);
    // the scale restarts: two steps of 2 points
    if let waveform::Column::F64(t) = &mut stepped.columns[0] {
        *t = vec![0.0, 1e-6, 0.0, 1e-6];
    }
    stepped.steps.starts = vec![0, 2];
    stepped.header.flags = waveform::Flags::parse("real stepped");
    let stepped = write(d, "stepped.raw", &[stepped]);
    for (b, args, want) in [
        (&a, vec!["--rtol=-1"], "--rtol and --atol must be 0 or more"),
        (&two, vec![], "has 1 plot(s)"),
        (&a, vec!["--var", "v(nope)"], "no vector 'v(nope)'"),
        (&other, vec![], "no vector in both files"),
        (&stepped, vec![], "steps in A"),
    ] {
        let (code, out, err) = diff_text(&a, b, &args);
        assert_eq!(code, 2, "{b:?} {args:?}: {err} {out}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}
