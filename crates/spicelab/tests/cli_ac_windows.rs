//! `spicelab stats` and `export` on AC results (complex forms, magnitudes
//! in the text tables, one file or several), the values at a window's
//! ends (interpolated, on a step of their own, or past the data),
//! selections that match nothing, outputs that cannot be told or written,
//! and the log lines of `-v`. Every number is compared with one computed
//! here from the RAW file itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{fixture, run, s};
use serde_json::Value;
use spicelab::raw_stream::RawFile;
use spicelab::waveform::{self, Column};

fn text(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// (frequency, re, im) of `var` in the AC fixture.
fn ac_column(var: &str) -> (Vec<f64>, Vec<(f64, f64)>) {
    let f = RawFile::open(fixture("ng39_rlc_ac.raw"))
        .unwrap()
        .read_all()
        .unwrap();
    let p = &f.plots[0];
    let freq: Vec<f64> = p.columns[0].to_f64();
    let c = p.column(var).unwrap();
    let z = (0..c.len())
        .map(|i| {
            let z = c.get_complex(i).unwrap();
            (z.re, z.im)
        })
        .collect();
    (freq, z)
}

fn min_max(v: impl Iterator<Item = f64>) -> (f64, f64) {
    v.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    })
}

/// The fields of the table row that starts with `name`.
fn row<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.first() == Some(&name))
        .unwrap_or_else(|| panic!("no row {name} in\n{out}"))
}

fn e6(x: f64) -> String {
    format!("{x:.6e}")
}

#[test]
fn stats_complex_reim_and_magphase_rows_equal_the_parts_of_the_file() {
    let ac = fixture("ng39_rlc_ac.raw");
    let (_, z) = ac_column("v(out)");
    let (code, out, err) = text(&run(&["stats", s(&ac), "--complex", "reim"]));
    assert_eq!(code, 0, "{err}");
    // the scale stays one row; every complex vector becomes two
    assert_eq!(row(&out, "frequency")[1], "Hz");
    let (lo, hi) = min_max(z.iter().map(|z| z.0));
    let re = row(&out, "re(v(out))");
    assert_eq!((re[1], re[2], re[3]), ("V", &*e6(lo), &*e6(hi)), "{out}");
    let (lo, hi) = min_max(z.iter().map(|z| z.1));
    let im = row(&out, "im(i(l1))");
    assert_eq!(im[1], "A");
    let imv = row(&out, "im(v(out))");
    assert_eq!((imv[2], imv[3]), (&*e6(lo), &*e6(hi)), "{out}");

    let (code, out, _) = text(&run(&[
        "stats",
        s(&ac),
        "--complex",
        "magphase",
        "--var",
        "v(out)",
    ]));
    assert_eq!(code, 0);
    let (lo, hi) = min_max(z.iter().map(|z| z.0.hypot(z.1)));
    let mag = row(&out, "mag(v(out))");
    assert_eq!((mag[1], mag[2], mag[3]), ("V", &*e6(lo), &*e6(hi)), "{out}");
    let ph = row(&out, "ph(v(out))");
    assert_eq!(ph[1], "deg");
    let (lo, hi) = min_max(z.iter().map(|z| z.1.atan2(z.0).to_degrees()));
    // the phase is unwrapped from the first point; here it stays in (-90, 90)
    assert_eq!((ph[2], ph[3]), (&*e6(lo), &*e6(hi)), "{out}");
}

#[test]
fn complex_vectors_are_shown_by_magnitude_in_one_table_and_in_several() {
    let ac = fixture("ng39_rlc_ac.raw");
    let tran = fixture("ng39_rc_tran.raw");
    let (_, z) = ac_column("v(out)");
    let (lo, hi) = min_max(z.iter().map(|z| z.0.hypot(z.1)));
    let (code, out, _) = text(&run(&["stats", s(&ac), "--var", "v(out)"]));
    assert_eq!(code, 0);
    let r = row(&out, "|v(out)|");
    assert_eq!((r[2], r[3]), (&*e6(lo), &*e6(hi)), "{out}");

    // two files: one table, a file column first
    let (code, out, _) = text(&run(&["stats", s(&ac), s(&tran), "--var", "v(out)"]));
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("file "), "{out}");
    let a = row(&out, s(&ac));
    assert_eq!(
        (a[1], a[2], a[4], a[5]),
        ("0", "|v(out)|", &*e6(lo), &*e6(hi))
    );
    let b = row(&out, s(&tran));
    assert_eq!(b[2], "v(out)");
}

/// Linear interpolation of `y` over `x` at `at` (x increasing).
fn interp(x: &[f64], y: &[f64], at: f64) -> f64 {
    let i = x.iter().position(|&v| v >= at).unwrap();
    if x[i] == at {
        return y[i];
    }
    y[i - 1] + (y[i] - y[i - 1]) * (at - x[i - 1]) / (x[i] - x[i - 1])
}

fn stats_json(args: &[&str]) -> Value {
    let o = run(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn window_ends_are_interpolated_by_magnitude_or_missing_past_the_data() {
    // AC: |v(out)| at 1.5 kHz, between two points of the log grid
    let (f, z) = ac_column("v(out)");
    let mag: Vec<f64> = z.iter().map(|z| z.0.hypot(z.1)).collect();
    let ac = fixture("ng39_rlc_ac.raw");
    let v = stats_json(&[
        "stats",
        s(&ac),
        "--var",
        "v(out)",
        "--from",
        "1.5k",
        "--to",
        "20k",
        "--json",
    ]);
    let vec = &v["plots"][0]["vectors"][0];
    assert_eq!(vec["name"], "v(out)");
    let want = interp(&f, &mag, 1500.0);
    assert!(
        (vec["at_from"].as_f64().unwrap() - want).abs() < 1e-12,
        "{vec}"
    );
    let want = interp(&f, &mag, 20e3);
    assert!(
        (vec["at_to"].as_f64().unwrap() - want).abs() < 1e-12,
        "{vec}"
    );

    // a transient from its first point, with no end: the first value, and
    // no value at an end that is not given or lies past the data
    let tran = fixture("ng39_rc_tran.raw");
    let t = RawFile::open(&tran).unwrap().read_all().unwrap();
    let vout = t.plots[0].column("v(out)").unwrap().to_f64();
    for extra in [&[][..], &["--to", "10"][..]] {
        let mut args = vec![
            "stats",
            s(&tran),
            "--var",
            "v(out)",
            "--from",
            "0",
            "--json",
        ];
        args.extend_from_slice(extra);
        let v = stats_json(&args);
        let vec = &v["plots"][0]["vectors"][0];
        assert_eq!(vec["at_from"].as_f64(), Some(vout[0]), "{vec}");
        assert!(vec.get("at_to").is_none_or(Value::is_null), "{vec}");
    }
}

/// A transient plot of two steps (the scale restarts), `v(a)` = 10 k + t/1us
/// in step k.
fn stepped_plot() -> waveform::Plot {
    use waveform::{Flags, Plot, PlotHeader, Steps, Variable};
    let t: Vec<f64> = [0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0]
        .iter()
        .map(|x| x * 1e-6)
        .collect();
    let a: Vec<f64> = (0..8)
        .map(|i| 10.0 * (i / 4) as f64 + (i % 4) as f64)
        .collect();
    let mut steps = Steps::single(8);
    steps.starts = vec![0, 4];
    Plot {
        header: PlotHeader {
            title: "stepped".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real stepped"),
            n_points: 8,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(a)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(t), Column::F64(a)],
        steps,
    }
}

fn write_raw(dir: &Path, name: &str, plots: &[waveform::Plot]) -> PathBuf {
    let p = dir.join(name);
    spicelab::raw_stream::write_file(&p, spicelab::raw_stream::RawFormat::NgspiceBinary, plots)
        .unwrap();
    p
}

#[test]
fn each_step_has_the_values_at_its_own_window_ends() {
    let dir = tempfile::tempdir().unwrap();
    let raw = write_raw(dir.path(), "steps.raw", &[stepped_plot()]);
    let v = stats_json(&[
        "stats",
        s(&raw),
        "--var",
        "v(a)",
        "--from",
        "0.5u",
        "--to",
        "2.5u",
        "--json",
    ]);
    let steps = v["plots"][0]["step_stats"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{v}");
    for (k, st) in steps.iter().enumerate() {
        let vec = &st["vectors"][0];
        let base = 10.0 * k as f64;
        assert!(
            (vec["at_from"].as_f64().unwrap() - (base + 0.5)).abs() < 1e-9,
            "{st}"
        );
        assert!(
            (vec["at_to"].as_f64().unwrap() - (base + 2.5)).abs() < 1e-9,
            "{st}"
        );
        // the samples inside the window: t = 1 us and 2 us
        assert_eq!(vec["min"].as_f64(), Some(base + 1.0));
        assert_eq!(vec["max"].as_f64(), Some(base + 2.0));
    }
}

#[test]
fn export_magphase_writes_the_magnitude_and_phase_of_each_point() {
    let ac = fixture("ng39_rlc_ac.raw");
    let (f, z) = ac_column("v(out)");
    let (code, out, err) = text(&run(&[
        "export",
        s(&ac),
        "-o",
        "-",
        "--var",
        "v(out)",
        "--complex",
        "magphase",
    ]));
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("frequency,mag(v(out)),ph(v(out))"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), f.len());
    for (r, (fi, zi)) in rows.iter().zip(f.iter().zip(&z)) {
        assert_eq!(r[0], *fi);
        assert!((r[1] - zi.0.hypot(zi.1)).abs() <= 1e-15 * r[1].abs().max(1.0));
        assert!((r[2] - zi.1.atan2(zi.0).to_degrees()).abs() < 1e-9, "{r:?}");
    }
}

#[test]
fn outputs_that_cannot_be_told_or_written_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tran = fixture("ng39_rc_tran.raw");
    let txt = dir.path().join("x.txt");
    let (code, out, err) = text(&run(&["export", s(&tran), "-o", s(&txt)]));
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err.trim(),
        format!(
            "error: cannot tell the format from '.txt' of {}: name it .csv or .h5, or give --format csv|hdf5",
            txt.display()
        )
    );
    assert!(!txt.exists());
    // with --format the name does not matter
    let (code, _, _) = text(&run(&[
        "export",
        s(&tran),
        "-o",
        s(&txt),
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(&txt)
        .unwrap()
        .starts_with("time,v(in),v(out)"));

    // a device that is full: the error names it and the OS's words
    let (code, _, err) = text(&run(&["export", s(&tran), "-o", "/dev/full"]));
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: cannot write /dev/full: No space left on device (os error 28)"
    );
}

#[cfg(feature = "hdf5")]
#[test]
fn hdf5_export_refuses_stdout_and_warns_that_var_does_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let tran = fixture("ng39_rc_tran.raw");
    let (code, out, err) = text(&run(&["export", s(&tran), "-o", "-", "--format", "hdf5"]));
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err.trim(),
        "error: HDF5 cannot go to stdout: give -o FILE.h5"
    );
    let h5 = dir.path().join("x.h5");
    let (code, _, err) = text(&run(&["export", s(&tran), "-o", s(&h5), "--var", "v(out)"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "warning: --var and --plot are for CSV: the HDF5 file holds every plot and vector"
        ),
        "{err}"
    );
    // every vector is written all the same: an HDF5 file
    let bytes = std::fs::read(&h5).unwrap();
    assert!(bytes.starts_with(b"\x89HDF\r\n\x1a\n"), "not HDF5");
}

#[test]
fn selections_that_match_nothing_say_what_there_is() {
    let dir = tempfile::tempdir().unwrap();
    // 15 vectors: the list stops at 12 names
    let names: Vec<String> = (0..15).map(|i| format!("v(n{i})")).collect();
    let mut p = stepped_plot();
    p.header.flags = waveform::Flags::parse("real");
    p.steps = waveform::Steps::single(4);
    p.columns = vec![Column::F64(vec![0.0, 1.0, 2.0, 3.0])];
    p.header.variables.truncate(1);
    p.header.n_points = 4;
    for (i, n) in names.iter().enumerate() {
        p.header
            .variables
            .push(waveform::Variable::new(i + 1, n.as_str(), "voltage"));
        p.columns.push(Column::F64(vec![i as f64; 4]));
    }
    let raw = write_raw(dir.path(), "wide.raw", &[p]);
    let (code, _, err) = text(&run(&["export", s(&raw), "-o", "-", "--var", "v(x)"]));
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "plot 0: no variable named 'v(x)' (it has: time, v(n0), v(n1), v(n2), v(n3), v(n4), \
             v(n5), v(n6), v(n7), v(n8), v(n9), v(n10), ...)"
        ),
        "{err}"
    );
    // a glob that matches nothing: the same list
    let (code, _, err) = text(&run(&["stats", s(&raw), "--var", "i(*)"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("no variable named 'i(*)' (it has: time, v(n0),")
            && err.contains("v(n10), ...)"),
        "{err}"
    );

    // a step parameter the steps do not have: the ones they have
    let q = fixture("qspice_op_step.qraw");
    let (code, _, err) = text(&run(&["export", s(&q), "-o", "-", "--step", "r1=5"]));
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: qspice_op_step.qraw: plot 0: --step r1=...: the steps' parameters are vin"
            .replace("qspice_op_step.qraw", s(&q))
    );
}

#[test]
fn verbose_logs_notes_in_colour_and_spicelab_log_filters() {
    let la = fixture("ng39_loop_alter.raw");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("la.csv");
    let note = "ng39_loop_alter.raw has 4 plots; exporting plot 0 ('Transient Analysis'), choose others with --plot";
    let o = common::bin()
        .args(["--color", "always", "-v", "export", s(&la), "-o", s(&csv)])
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "\x1b[1;36mnote\x1b[0m: {}",
            la.with_file_name(note).display()
        )),
        "{err}"
    );
    // without -v the note is not shown; SPICELAB_LOG=info shows it, -q hides it again
    let plain = common::bin()
        .args(["export", s(&la), "-o", s(&csv)])
        .output()
        .unwrap();
    assert!(plain.status.success());
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("has 4 plots"));
    let logged = common::bin()
        .args(["export", s(&la), "-o", s(&csv)])
        .env("SPICELAB_LOG", "info")
        .output()
        .unwrap();
    assert!(logged.status.success());
    let err = String::from_utf8_lossy(&logged.stderr);
    assert!(
        err.contains("note: ") && err.contains("has 4 plots"),
        "{err}"
    );
    let quiet = common::bin()
        .args(["-q", "export", s(&la), "-o", s(&csv)])
        .env("SPICELAB_LOG", "info")
        .output()
        .unwrap();
    assert!(quiet.status.success());
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    // -vv (trace logging) writes the same CSV
    let first = std::fs::read(&csv).unwrap();
    let o = common::bin()
        .args(["-vv", "export", s(&la), "-o", s(&csv)])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(std::fs::read(&csv).unwrap(), first);
}
