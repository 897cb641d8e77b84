//! The `spicelab` binary on real files: ngspice output committed in fixtures/,
//! the shared corpus when present, and ngspice run live when installed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::require;
use common::{bin, corpus, fixture, json_of, run, s};

use raw_stream::RawFile;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
    assert_eq!(head, ["step", "vin", "r1", "time", "V(out)"]);
    assert_eq!(rows.len(), 120);
    assert_eq!(rows[44][0], "0");
    assert_eq!(rows[45][0], "1");
    assert_eq!(rows[119][0], "3");
    // LTspice's f32 values print as the shortest f32 text
    let v: f32 = rows[60][4].parse().unwrap_or(f32::NAN);
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
        // stdout holds the error as JSON, and nothing else
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["kind"], "input");
        assert!(v["error"].as_str().unwrap().contains("byte 275"), "{v}");
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

// ---- outputs, pipes, errors (issue 13, part 3) ----

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::process::Stdio;

/// Skips (prints why) or, under CI, fails.
fn cannot(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} (CI is set, so this is a failure, not a skip)");
    }
    eprintln!("SKIPPED: {what}");
}

/// A null device of our own (char 1:3) in `dir`; never the machine's /dev/null.
fn mknod_null(dir: &Path) -> Option<PathBuf> {
    let node = dir.join("null-node");
    match Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .output()
    {
        Ok(o) if o.status.success() => {}
        other => {
            cannot(&format!("mknod failed (needs root): {other:?}"));
            return None;
        }
    }
    if let Err(e) = std::fs::OpenOptions::new().write(true).open(&node) {
        cannot(&format!(
            "cannot open a device node here (nodev mount?): {e}"
        ));
        return None;
    }
    Some(node)
}

fn mkfifo(dir: &Path, name: &str) -> Option<PathBuf> {
    let p = dir.join(name);
    match Command::new("mkfifo").arg(&p).status() {
        Ok(s) if s.success() => Some(p),
        other => {
            cannot(&format!("mkfifo failed: {other:?}"));
            None
        }
    }
}

/// Reads a FIFO to its end on a thread (so that the writer's open does not block).
fn drain(fifo: &Path) -> std::thread::JoinHandle<Vec<u8>> {
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        let mut v = Vec::new();
        std::fs::File::open(&fifo)
            .and_then(|mut f| f.read_to_end(&mut v))
            .unwrap();
        v
    })
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Puts a fixture in a cache under `dir`; returns its key.
fn cache_put(dir: &Path, name: &str) -> String {
    let o = run(&["cache", "--dir", s(dir), "put", s(&fixture(name))]);
    ok(&o);
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// The CSV `export` writes for a fixture (to a file).
fn exported_csv(dir: &Path, name: &str) -> Vec<u8> {
    let out = dir.join(format!("{name}.ref.csv"));
    ok(&run(&["export", s(&fixture(name)), "-o", s(&out)]));
    std::fs::read(&out).unwrap()
}

/// A device node, a FIFO, a symlink and a 0600 file given to `export -o`
/// and `cache get -o` stay what they were.
#[test]
fn outputs_keep_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = fixture("ng39_rc_tran.raw");
    let csv = exported_csv(d, "ng39_rc_tran.raw");
    assert!(csv.starts_with(b"time,v(in),v(out),i(v1)\n"));
    let cache = d.join("cache");
    let key = cache_put(&cache, "ng39_rc_tran.raw");
    let export = |o: &Path| run(&["export", s(&f), "-o", s(o)]);
    let get = |o: &Path, ext: &str| {
        run(&[
            "cache",
            "--dir",
            s(&cache),
            "get",
            &key,
            "-o",
            s(o),
            "--format",
            ext,
        ])
    };

    // a symlink: the link stays, its target gets the data
    let target = d.join("target.csv");
    std::fs::write(&target, b"old").unwrap();
    let link = d.join("link.csv");
    std::os::unix::fs::symlink("target.csv", &link).unwrap();
    ok(&export(&link));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), csv);
    std::fs::write(&target, b"old").unwrap();
    ok(&get(&link, "csv"));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), csv);

    // a 0600 file stays 0600 (and a 0640 one 0640)
    for mode in [0o600, 0o640] {
        let private = d.join(format!("private{mode:o}.csv"));
        std::fs::write(&private, b"old").unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(mode)).unwrap();
        ok(&export(&private));
        assert_eq!(std::fs::metadata(&private).unwrap().mode() & 0o777, mode);
        assert_eq!(std::fs::read(&private).unwrap(), csv);
        let raw_out = d.join(format!("private{mode:o}.raw"));
        std::fs::write(&raw_out, b"old").unwrap();
        std::fs::set_permissions(&raw_out, std::fs::Permissions::from_mode(mode)).unwrap();
        ok(&get(&raw_out, "ngspice"));
        assert_eq!(std::fs::metadata(&raw_out).unwrap().mode() & 0o777, mode);
        assert_eq!(
            RawFile::open(&raw_out).unwrap().plots()[0].complete_points,
            249
        );
    }

    // a FIFO, with a reader: written in place, still a FIFO
    if let Some(fifo) = mkfifo(d, "pipe") {
        let reader = drain(&fifo);
        ok(&export(&fifo));
        assert_eq!(reader.join().unwrap(), csv);
        let reader = drain(&fifo);
        ok(&get(&fifo, "csv"));
        assert_eq!(reader.join().unwrap(), csv);
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }

    // a device node: written in place, still the same device
    if let Some(node) = mknod_null(d) {
        let before = std::fs::symlink_metadata(&node).unwrap();
        ok(&export(&node));
        ok(&get(&node, "ngspice"));
        let after = std::fs::symlink_metadata(&node).unwrap();
        assert!(after.file_type().is_char_device());
        assert_eq!((after.rdev(), after.ino()), (before.rdev(), before.ino()));
    }
    // no temporary file left anywhere
    let left: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A RAW file whose `info` text is far bigger than a pipe's buffer: the
/// program is sure to write after the reader has gone.
fn wide_raw(dir: &Path) -> PathBuf {
    use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};
    let n_vars = 3000;
    let mut variables = vec![Variable::new(0, "time", "time")];
    let mut columns = vec![Column::F64(vec![0.0, 1e-9])];
    for i in 1..n_vars {
        variables.push(Variable::new(
            i,
            format!("v(node_with_a_long_name_{i})"),
            "voltage",
        ));
        columns.push(Column::F64(vec![i as f64, -(i as f64)]));
    }
    let plot = Plot {
        header: PlotHeader {
            title: "wide".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real"),
            n_points: 2,
            variables,
            ..PlotHeader::default()
        },
        columns,
        steps: Steps::single(2),
    };
    let path = dir.join("wide.raw");
    raw_stream::write_file(&path, raw_stream::RawFormat::NgspiceBinary, &[plot]).unwrap();
    path
}

/// A long transient whose CSV is megabytes.
fn long_raw(dir: &Path) -> PathBuf {
    use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};
    let n = 200_000;
    let plot = Plot {
        header: PlotHeader {
            title: "long".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(x)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64((0..n).map(|i| i as f64 * 1e-9).collect()),
            Column::F64((0..n).map(|i| (i as f64 * 1e-3).sin()).collect()),
        ],
        steps: Steps::single(n as u64),
    };
    let path = dir.join("long.raw");
    raw_stream::write_file(&path, raw_stream::RawFormat::NgspiceBinary, &[plot]).unwrap();
    path
}

/// Runs the binary with stdout on a pipe, reads one line, closes the pipe;
/// returns the line, the exit code and stderr.
fn first_line_then_close(args: &[&str]) -> (String, Option<i32>, String) {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    {
        let mut r = BufReader::new(child.stdout.take().unwrap());
        r.read_line(&mut line).unwrap();
    } // the read end closes here
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (line, status.code(), err)
}

/// `spicelab info f | head -1` and `export -o - | head -1`: exit 0, nothing on stderr.
#[test]
fn closed_stdout_ends_quietly_with_status_0() {
    let dir = tempfile::tempdir().unwrap();
    let wide = wide_raw(dir.path());
    let long = long_raw(dir.path());
    let multi = fixture("ng39_multi_op_tran_ac.raw");
    for _ in 0..5 {
        let (line, code, err) = first_line_then_close(&["info", s(&multi)]);
        assert!(
            line.contains("ngspice binary") && line.contains("3 plot(s)"),
            "{line}"
        );
        assert_eq!((code, err.as_str()), (Some(0), ""));
        let (line, code, err) = first_line_then_close(&["info", s(&wide)]);
        assert!(line.contains("1 plot(s)"), "{line}");
        assert_eq!((code, err.as_str()), (Some(0), ""));
        let (line, code, err) = first_line_then_close(&["export", s(&long), "-o", "-"]);
        assert_eq!(line, "time,v(x)\n");
        assert_eq!((code, err.as_str()), (Some(0), ""));
        let (line, code, err) = first_line_then_close(&["info", "--json", s(&wide)]);
        assert!(
            line.starts_with("{\"bytes\":"),
            "{}",
            &line[..40.min(line.len())]
        );
        assert_eq!((code, err.as_str()), (Some(0), ""));
    }
    // a whole read still gets everything
    let o = run(&["export", s(&long), "-o", "-"]);
    ok(&o);
    assert_eq!(o.stdout.iter().filter(|&&b| b == b'\n').count(), 200_001);
}

/// `export victim.raw -o victim.raw` (or a link to it, or a hard link) is
/// refused, and the input is left as it was.
#[test]
fn an_output_that_is_the_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.raw");
    std::fs::copy(fixture("ng39_rc_tran.raw"), &victim).unwrap();
    let before = std::fs::read(&victim).unwrap();
    let soft = dir.path().join("soft.raw");
    std::os::unix::fs::symlink(&victim, &soft).unwrap();
    let hard = dir.path().join("hard.raw");
    std::fs::hard_link(&victim, &hard).unwrap();
    for out in [&victim, &soft, &hard] {
        let o = run(&["export", s(&victim), "--format", "csv", "-o", s(out)]);
        assert_eq!(o.status.code(), Some(2), "{}", out.display());
        let err = stderr(&o);
        assert!(
            err.contains("is the input file") && err.contains(s(&victim)),
            "{err}"
        );
        assert_eq!(std::fs::read(&victim).unwrap(), before);
    }
    assert!(std::fs::symlink_metadata(&soft)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::metadata(&victim).unwrap().nlink(), 2);
    // another name in the same directory is fine
    ok(&run(&[
        "export",
        s(&victim),
        "-o",
        s(&dir.path().join("ok.csv")),
    ]));
}

/// `cache get -o x.csv` writes CSV (as export does), `.raw` RAW, an unknown
/// extension is refused, and `-o -` is stdout (no file named `-`).
#[test]
fn cache_get_takes_the_format_from_the_name_and_dash_is_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cache = d.join("cache");
    let key = cache_put(&cache, "ng39_rlc_ac.raw");
    let get = |o: &str| {
        bin()
            .args(["cache", "--dir", s(&cache), "get", &key, "-o", o])
            .current_dir(d)
            .output()
            .unwrap()
    };
    ok(&get("x.csv"));
    assert_eq!(
        std::fs::read(d.join("x.csv")).unwrap(),
        exported_csv(d, "ng39_rlc_ac.raw")
    );
    ok(&get("x.raw"));
    let src = RawFile::open(fixture("ng39_rlc_ac.raw"))
        .unwrap()
        .read_all()
        .unwrap();
    let back = RawFile::open(d.join("x.raw")).unwrap().read_all().unwrap();
    assert_eq!(back.plots[0].columns.len(), 7);
    for (a, b) in src.plots[0].columns.iter().zip(&back.plots[0].columns) {
        assert!(a.same_bits(b));
    }
    let o = get("x.txt");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot tell the format from '.txt'"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("x.txt").exists());

    let o = get("-");
    ok(&o);
    assert!(o.stdout.starts_with(b"Title: "));
    assert!(!d.join("-").exists(), "a file named '-' was written");
    let piped = d.join("piped.raw");
    std::fs::write(&piped, &o.stdout).unwrap();
    assert_eq!(
        std::fs::read(&piped).unwrap(),
        std::fs::read(d.join("x.raw")).unwrap()
    );
    // and CSV on stdout when asked
    let o = bin()
        .args([
            "cache",
            "--dir",
            s(&cache),
            "get",
            &key,
            "-o",
            "-",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    ok(&o);
    assert_eq!(o.stdout, exported_csv(d, "ng39_rlc_ac.raw"));
}

/// A warning once, an OS error's text once, no temporary file name, and
/// "not a RAW file" for what is no RAW file.
#[test]
fn each_message_once_and_not_a_raw_file_in_those_words() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cut = d.join("cut.raw");
    let bytes = std::fs::read(fixture("ng39_rc_tran.raw")).unwrap();
    std::fs::write(&cut, &bytes[..8000]).unwrap();
    let csv = d.join("cut.csv");
    for args in [
        vec!["info", s(&cut)],
        vec!["stats", s(&cut)],
        vec!["stats", s(&cut), "--json"],
        vec!["export", s(&cut), "-o", s(&csv)],
    ] {
        let o = run(&args);
        ok(&o);
        let err = stderr(&o);
        assert_eq!(
            err.matches("inside point 241").count(),
            1,
            "{args:?}: {err}"
        );
        assert_eq!(err.matches("warning: ").count(), 1, "{args:?}: {err}");
    }

    let o = run(&["stats", s(&d.join("missing.raw"))]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).matches("No such file or directory").count(),
        1,
        "{}",
        stderr(&o)
    );

    let nowhere = d.join("no-dir").join("out.csv");
    let o = run(&["export", s(&fixture("ng39_rc_tran.raw")), "-o", s(&nowhere)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    assert!(err.contains(s(&nowhere)), "{err}");
    assert!(
        !err.contains(".spicelab-") && !err.contains("at path"),
        "{err}"
    );

    let png = d.join("plot.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10").unwrap();
    let empty = d.join("empty.raw");
    std::fs::write(&empty, b"").unwrap();
    for f in [png, fixture("ng39_rc_tran.cir"), empty] {
        for cmd in ["info", "stats"] {
            let o = run(&[cmd, s(&f)]);
            assert_eq!(o.status.code(), Some(2));
            let err = stderr(&o);
            assert!(
                err.contains(&format!("{}: not a RAW file", f.display())),
                "{err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
    // a RAW file with a broken header is not called "not a RAW file"
    let broken = d.join("broken.raw");
    std::fs::write(
        &broken,
        String::from_utf8_lossy(&bytes[..300])
            .replace("No. Points: 249", "No. Points: many")
            .as_bytes(),
    )
    .unwrap();
    let o = run(&["info", s(&broken)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("not a RAW file"), "{}", stderr(&o));
}

/// `-q`: errors only; NO_COLOR and --color; with --json an error is one JSON object on stdout.
#[test]
fn quiet_colour_and_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cut = d.join("cut.raw");
    let bytes = std::fs::read(fixture("ng39_rc_tran.raw")).unwrap();
    std::fs::write(&cut, &bytes[..8000]).unwrap();
    let f = fixture("ng39_rc_tran.raw");
    let cir = fixture("ng39_rc_tran.cir");
    let cache = d.join("cache");
    let csv = d.join("q.csv");
    for args in [
        vec!["-q", "stats", s(&cut)],
        vec!["stats", "-q", s(&f)],
        vec!["-q", "export", s(&cut), "-o", s(&csv)],
        vec!["-q", "cache", "--dir", s(&cache), "put", s(&f)],
        vec!["-q", "info", "--dialect", "ltspice", s(&f)],
    ] {
        let o = run(&args);
        ok(&o);
        assert_eq!(stderr(&o), "", "{args:?}");
        // the result itself is still there
        assert!(!o.stdout.is_empty() || args[1] == "export", "{args:?}");
    }
    assert!(std::fs::read_to_string(&csv).unwrap().starts_with("time,"));
    // without -q the same commands talk
    assert!(stderr(&run(&["stats", s(&f)])).contains("MB/s"));
    assert!(stderr(&run(&["cache", "--dir", s(&cache), "put", s(&f)])).contains("stored "));
    // errors still show
    let o = run(&["-q", "stats", s(&d.join("missing.raw"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));

    // colour: forced on, forced off
    let o = run(&["--color", "always", "stats", s(&cut)]);
    assert!(
        stderr(&o).contains("\x1b[1;33mwarning\x1b[0m: "),
        "{:?}",
        stderr(&o)
    );
    let o = run(&["--color", "never", "stats", s(&cut)]);
    assert!(!stderr(&o).contains('\x1b'));
    // auto on a terminal (through script(1)): colour, unless NO_COLOR is set
    if Command::new("script").arg("--version").output().is_ok() {
        let on_tty = |no_color: bool| {
            let log = d.join(format!("tty-{no_color}.txt"));
            let mut c = Command::new("script");
            c.args(["-q", "-e", "-c"])
                .arg(format!(
                    "{} stats {}",
                    env!("CARGO_BIN_EXE_spicelab"),
                    s(&cut)
                ))
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            if no_color {
                c.env("NO_COLOR", "1");
            } else {
                c.env_remove("NO_COLOR");
            }
            assert!(c.status().unwrap().success());
            std::fs::read_to_string(&log).unwrap()
        };
        let coloured = on_tty(false);
        assert!(
            coloured.contains("warning") && coloured.contains('\x1b'),
            "{coloured:?}"
        );
        let plain = on_tty(true);
        assert!(
            plain.contains("warning: ") && !plain.contains("\x1b["),
            "{plain:?}"
        );
    } else {
        eprintln!("NOTE: script(1) not installed; NO_COLOR on a terminal not checked");
    }

    // --json errors: one JSON object on stdout, nothing else there
    let cases: [(Vec<&str>, &str, &str); 4] = [
        (
            vec!["info", "--json", "/nonexistent/x.raw"],
            "input",
            "/nonexistent/x.raw",
        ),
        (
            vec!["stats", "--json", "--dialect", "spectre", s(&f)],
            "usage",
            "spectre",
        ),
        (
            vec![
                "cache",
                "--dir",
                s(&cache),
                "get",
                "zz",
                "-o",
                "x.raw",
                "--json",
            ],
            "usage",
            "key",
        ),
        (vec!["stats", "--json", s(&cir)], "input", "not a RAW file"),
    ];
    for (args, kind, word) in cases {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(text.lines().count(), 1, "{args:?}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["kind"], kind, "{args:?}");
        assert!(v["error"].as_str().unwrap().contains(word), "{args:?}: {v}");
        assert_eq!(v.as_object().unwrap().len(), 2);
        assert!(stderr(&o).contains("error"), "{args:?}");
    }
}

/// A forced dialect whose layout does not fit the data (ngspice's all-f64
/// file read as LTspice's f32 layout) gets one warning naming both.
#[test]
fn a_forced_dialect_that_contradicts_the_file_warns() {
    let f = fixture("ng39_rc_tran.raw");
    let o = run(&["stats", "--dialect", "ltspice", s(&f), "--json"]);
    ok(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["dialect"], "ltspice");
    let err = stderr(&o);
    assert_eq!(
        err.matches("--dialect ltspice does not fit").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("ngspice (the dialect detected from the header)"),
        "{err}"
    );
    // the matching dialect, or none: no such warning, nothing at all on stderr
    for args in [
        vec!["info", "--dialect", "ngspice", s(&f)],
        vec!["info", s(&f)],
    ] {
        let o = run(&args);
        ok(&o);
        assert_eq!(stderr(&o), "", "{args:?}");
    }
    // the other way: an LTspice file (f32 values) read with ngspice's all-f64 layout
    let dir = tempfile::tempdir().unwrap();
    let lt = dir.path().join("lt.raw");
    let mut result = RawFile::open(&f).unwrap().read_all().unwrap();
    for c in &mut result.plots[0].columns[1..] {
        *c = waveform::Column::F32(c.to_f64().iter().map(|&x| x as f32).collect());
    }
    raw_stream::write_file(&lt, raw_stream::RawFormat::LtspiceBinary, &result.plots).unwrap();
    let o = run(&["info", "--json", s(&lt)]);
    ok(&o);
    assert_eq!(stderr(&o), "");
    let o = run(&["info", "--dialect", "ngspice", s(&lt)]);
    ok(&o);
    let err = stderr(&o);
    assert_eq!(
        err.matches("--dialect ngspice does not fit").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("ltspice (the dialect detected from the header)"),
        "{err}"
    );
    // --strict: the file looks cut short, an error; the warning says why
    let o = run(&["stats", "--strict", "--dialect", "ngspice", s(&lt)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("--dialect ngspice does not fit"), "{err}");
    assert!(err.contains("error: "), "{err}");
}
