//! The `spicelab` binary on real files: ngspice output committed in fixtures/,
//! the shared corpus when present, and ngspice run live when installed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use raw_stream::RawFile;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spicelab"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// A file of the shared corpus; `None` where the corpus is missing (a failure in CI).
fn corpus(name: &str) -> Option<PathBuf> {
    let p = require::corpus_dir(env!("CARGO_MANIFEST_DIR"))?.join(name);
    assert!(p.exists(), "{name} missing from the shared corpus");
    Some(p)
}

fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run spicelab: {e}"))
}

fn json_of(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: stdout is not one JSON object ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

#[test]
fn info_json_describes_every_plot() {
    let f = fixture("ng39_multi_op_tran_ac.raw");
    let v = json_of(&["info", s(&f), "--json"]);
    assert_eq!(v["dialect"], "ngspice");
    assert_eq!(v["encoding"], "binary");
    assert_eq!(v["bytes"], 13936);
    let plots = v["plots"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = plots
        .iter()
        .filter_map(|p| p["plotname"].as_str())
        .collect();
    assert_eq!(
        names,
        ["AC Analysis", "Operating Point", "Transient Analysis"]
    );
    assert_eq!(plots[0]["points"], 61);
    assert_eq!(plots[0]["complete_points"], 61);
    assert_eq!(plots[0]["steps"], 1);
    assert_eq!(plots[0]["variables"][0]["kind"], "frequency");
    assert_eq!(plots[0]["variables"][0]["unit"], "Hz");
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(0));
}

#[test]
fn info_json_of_a_stepped_ltspice_file_has_steps_and_parameters() {
    let Some(f) = corpus("ltspice_tran_step.raw") else {
        return;
    };
    let v = json_of(&["info", s(&f), "--json"]);
    let p = &v["plots"][0];
    assert_eq!(v["dialect"], "ltspice");
    assert_eq!(v["header_encoding"], "utf-16le");
    assert_eq!(p["steps"], 4);
    assert_eq!(p["step_points"], serde_json::json!([45, 48, 13, 14]));
    assert_eq!(p["step_params"][1]["vin"], 10.0);
    assert_eq!(p["step_params"][3]["r1"], 10000.0);
    assert_eq!(
        p["flags"],
        serde_json::json!(["real", "forward", "stepped"])
    );
}

/// stats of the binary file equals stats of ngspice's ASCII output of the same
/// circuit (two decoders), and the values are those of the circuit.
#[test]
fn stats_json_agrees_between_binary_and_ascii_twins() {
    let b = json_of(&["stats", s(&fixture("ng39_rc_tran.raw")), "--json"]);
    let a = json_of(&["stats", s(&fixture("ng39_rc_tran_ascii.raw")), "--json"]);
    let vb = b["plots"][0]["vectors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let va = a["plots"][0]["vectors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(vb.len(), 4);
    assert_eq!(b["plots"][0]["points"], 249);
    for (x, y) in vb.iter().zip(&va) {
        assert_eq!(x["name"], y["name"]);
        for k in ["min", "max", "mean", "rms"] {
            let (p, q) = (
                x[k].as_f64().unwrap_or(f64::NAN),
                y[k].as_f64().unwrap_or(f64::NAN),
            );
            assert!(
                (p - q).abs() <= 1e-12 * p.abs().max(q.abs()).max(1e-30),
                "{}: {k} {p} vs {q}",
                x["name"]
            );
        }
    }
    // the pulse source swings 0..1 V; time runs 0..2 ms
    assert_eq!(vb[0]["name"], "time");
    assert_eq!(vb[0]["max"], 0.002);
    assert_eq!(vb[1]["name"], "v(in)");
    assert_eq!(vb[1]["min"], 0.0);
    assert_eq!(vb[1]["max"], 1.0);
    assert_eq!(vb[1]["unit"], "V");
    assert!(b["seconds"].as_f64().is_some());
}

/// Per-step statistics of a stepped LTspice run, checked against the values
/// of each step read directly.
#[test]
fn stats_per_step() {
    let Some(f) = corpus("ltspice_tran_step.raw") else {
        return;
    };
    let v = json_of(&["stats", s(&f), "--var", "V(out)", "--json"]);
    let p = &v["plots"][0];
    assert_eq!(p["steps"], 4);
    let raw = RawFile::open(&f).unwrap_or_else(|e| panic!("{e}"));
    let plot = raw.plot(0).unwrap_or_else(|e| panic!("{e}"));
    let col = plot
        .column("V(out)")
        .unwrap_or_else(|e| panic!("{e}"))
        .to_f64();
    let steps = plot.steps().unwrap_or_else(|e| panic!("{e}"));
    for k in 0..4 {
        let r = steps.range(k).unwrap_or(0..0);
        let part = &col[r.start as usize..r.end as usize];
        let max = part.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let st = &p["step_stats"][k];
        assert_eq!(st["points"], r.end - r.start);
        assert_eq!(st["params"]["vin"], if k % 2 == 0 { 1.0 } else { 10.0 });
        assert_eq!(st["vectors"][0]["max"].as_f64(), Some(max), "step {k}");
    }
    // the 10 V steps reach about 10x the 1 V steps
    let m0 = p["step_stats"][0]["vectors"][0]["max"]
        .as_f64()
        .unwrap_or(0.0);
    let m1 = p["step_stats"][1]["vectors"][0]["max"]
        .as_f64()
        .unwrap_or(0.0);
    assert!((m1 / m0 - 10.0).abs() < 0.01, "{m0} {m1}");
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let head = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (head, rows)
}

/// Every value of the CSV reads back to the same bits as the reader's.
#[test]
fn export_csv_is_exact() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("ac.csv");
    let f = fixture("ng39_rlc_ac.raw");
    let o = run(&["export", s(&f), "-o", s(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // the file gets the permissions of any new file (0666 less the umask), not a temp file's 0600
    use std::os::unix::fs::PermissionsExt;
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"x").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out), mode(&plain));
    let (head, rows) = read_csv(&out);
    assert_eq!(head[0], "frequency");
    assert_eq!(head[1], "re(v(in))");
    assert_eq!(head[2], "im(v(in))");
    assert_eq!(head.len(), 1 + 6 * 2);
    assert_eq!(rows.len(), 101);
    let plot = RawFile::open(&f)
        .and_then(|r| r.plot(0)?.read())
        .unwrap_or_else(|e| panic!("{e}"));
    for (i, row) in rows.iter().enumerate() {
        let freq: f64 = row[0].parse().unwrap_or(f64::NAN);
        assert_eq!(
            freq.to_bits(),
            plot.columns[0].get_f64(i).unwrap_or(0.0).to_bits()
        );
        for j in 1..7 {
            let z = plot.columns[j].get_complex(i).unwrap_or_default();
            let re: f64 = row[2 * j - 1].parse().unwrap_or(f64::NAN);
            let im: f64 = row[2 * j].parse().unwrap_or(f64::NAN);
            assert_eq!(
                (re.to_bits(), im.to_bits()),
                (z.re.to_bits(), z.im.to_bits()),
                "row {i} col {j}"
            );
        }
    }
}

#[test]
fn export_csv_of_a_stepped_file_has_a_step_column() {
    let Some(f) = corpus("ltspice_tran_step.raw") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("step.csv");
    let o = run(&["export", s(&f), "-o", s(&out), "--var", "V(out)"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (head, rows) = read_csv(&out);
    assert_eq!(head, ["step", "time", "V(out)"]);
    assert_eq!(rows.len(), 120);
    assert_eq!(rows[44][0], "0");
    assert_eq!(rows[45][0], "1");
    assert_eq!(rows[119][0], "3");
    // LTspice's f32 values print as the shortest f32 text
    let v: f32 = rows[60][2].parse().unwrap_or(f32::NAN);
    assert_eq!(f64::from(v), 5.819368839263916);
}

#[test]
fn bad_input_exits_2_and_names_file_and_offset() {
    let o = run(&["stats", "/nonexistent/x.raw"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/x.raw"));
    let o = run(&[
        "info",
        "--dialect",
        "spectre",
        s(&fixture("ng39_rc_tran.raw")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("spectre"));
    let o = run(&["stats", s(&fixture("ng39_rc_tran.raw")), "--var", "v(nope)"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("v(nope)") && err.contains("v(out)"), "{err}");
    if let Some(f) = corpus("broken_random_after_header.raw") {
        let o = run(&["stats", s(&f), "--json"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(o.stdout.is_empty());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("broken_random_after_header.raw") && err.contains("byte 275"),
            "{err}"
        );
    }
}

#[test]
fn truncated_file_gives_stats_of_the_complete_points_and_a_warning() {
    let Some(f) = corpus("broken_truncated.raw") else {
        return;
    };
    let o = run(&["stats", s(&f), "--json"]);
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    assert_eq!(v["plots"][0]["points"], 100);
    assert!(v["warnings"][0]
        .as_str()
        .unwrap_or("")
        .contains("inside point 100"));
    let o = run(&["stats", s(&f), "--strict"]);
    assert_eq!(o.status.code(), Some(2));
}

/// ngspice run live: the result reads and matches the committed ngspice output.
#[test]
fn live_ngspice_result_matches_the_committed_one() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("rc.raw");
    let st = Command::new("ngspice")
        .args(["-b", "-r", s(&out), s(&fixture("ng39_rc_tran.cir"))])
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let live = json_of(&["stats", s(&out), "--json"]);
    let committed = json_of(&["stats", s(&fixture("ng39_rc_tran.raw")), "--json"]);
    assert_eq!(live["plots"][0]["points"], committed["plots"][0]["points"]);
    for (x, y) in live["plots"][0]["vectors"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(
            committed["plots"][0]["vectors"]
                .as_array()
                .into_iter()
                .flatten(),
        )
    {
        assert_eq!(x["name"], y["name"]);
        let (p, q) = (
            x["rms"].as_f64().unwrap_or(0.0),
            y["rms"].as_f64().unwrap_or(1.0),
        );
        assert!(
            (p - q).abs() <= 1e-9 * q.abs().max(1e-12),
            "{}: {p} vs {q}",
            x["name"]
        );
    }
}

#[test]
fn help_teaches() {
    let o = run(&["--help"]);
    let h = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    for word in ["info", "stats", "export", "Examples", "Exit codes"] {
        assert!(h.contains(word), "--help lacks {word}");
    }
}

/// Large ASCII files are parsed in segments; a writer whose value lines start
/// with a digit (no indent) makes segments unreliable, and the statistics
/// must still be those of the sequential parse.
#[test]
fn segmented_ascii_stats_equal_sequential_ones() {
    use spicelab::stats::{file_stats, StatsOptions};
    let dir = tempfile::tempdir().unwrap();
    let n = 200_000u64;
    let head = format!(
        "Title: t\nDate: d\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 3\nNo. Points: {n}\nVariables:\n\t0\ttime\ttime\n\t1\tv(a)\tvoltage\n\t2\tv(b)\tvoltage\nValues:\n"
    );
    let mut indented = head.clone();
    let mut flush = head;
    for p in 0..n {
        let t = p as f64 * 1e-9;
        let (a, b) = ((p as f64 * 0.01).sin(), 1.0 + (p % 97) as f64 * 1e-3);
        indented.push_str(&format!("{p}\t{t:e}\n\t{a:e}\n\t{b:e}\n"));
        flush.push_str(&format!("{p}\t{t:e}\n{a:e}\n{b:e}\n"));
    }
    assert!(indented.len() > 8 << 20);
    let mut results = Vec::new();
    for (name, text) in [("indented.raw", &indented), ("flush.raw", &flush)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let raw = RawFile::open(&path).unwrap();
        // several splits, so that some segment boundary lands on a value line of the flush file
        for threads in [1, 2, 3, 5, 8] {
            let opts = StatsOptions {
                threads,
                ..StatsOptions::default()
            };
            let s = file_stats(&raw, &opts, |_| {}).unwrap();
            assert_eq!(s.plots[0].points, n, "{name}, {threads} threads");
            results.push(s.plots[0].vectors.clone());
        }
    }
    for other in &results[1..] {
        for (x, y) in results[0].iter().zip(other) {
            assert_eq!((x.min, x.max), (y.min, y.max), "{}", x.name);
            let (p, q) = (x.mean.unwrap(), y.mean.unwrap());
            assert!(
                (p - q).abs() <= 1e-12 * p.abs().max(1e-12),
                "{}: {p} {q}",
                x.name
            );
        }
    }
    assert_eq!(results[0][2].max, Some(1.096));
}
