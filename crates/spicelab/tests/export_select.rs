//! `spicelab export` with a selection: `--step K|NAME=VALUE`, `--from/--to`,
//! the step parameter columns and several `--plot`, on the committed ngspice
//! and QSPICE fixtures and the stepped LTspice files of the shared corpus.
//! Every selected row is checked against the row of the unselected export.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::require;
use common::{corpus, fixture, run, s};

use raw_stream::RawFile;
use std::path::Path;

/// The CSV `export FILE -o - ARGS...` prints: header and rows (split at
/// commas: the names used here hold none).
fn export(file: &Path, args: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut all = vec!["export", s(file), "-o", "-"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(
        o.status.success(),
        "{all:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    parse(&String::from_utf8_lossy(&o.stdout))
}

fn parse(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
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

fn num(x: &str) -> f64 {
    x.parse()
        .unwrap_or_else(|_| panic!("`{x}` is not a number"))
}

/// The rows of `rows` whose `step` column (0) is `k`.
fn of_step(rows: &[Vec<String>], k: usize) -> Vec<Vec<String>> {
    rows.iter()
        .filter(|r| r[0] == k.to_string())
        .cloned()
        .collect()
}

/// `step_params` of `name` in the corpus MANIFEST.toml, parsed from its
/// strings (`"vin=1 r1=1000"`): one list of (name, value) per step.
fn manifest_params(name: &str) -> Vec<Vec<(String, f64)>> {
    let dir = require::corpus_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let text = std::fs::read_to_string(dir.join("MANIFEST.toml")).unwrap();
    let entry = text
        .split("[[file]]")
        .find(|e| e.contains(&format!("name = \"{name}\"")))
        .unwrap_or_else(|| panic!("{name} not in MANIFEST.toml"));
    let line = entry
        .lines()
        .find(|l| l.starts_with("step_params = ["))
        .unwrap_or_else(|| panic!("{name} has no step_params"));
    let inner = line
        .trim_start_matches("step_params = [")
        .trim_end_matches(']');
    inner
        .split(',')
        .map(|step| {
            step.trim()
                .trim_matches('"')
                .split_whitespace()
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k.to_string(), num(v))
                })
                .collect()
        })
        .collect()
}

/// `--step` by number and by parameter value (SPICE numbers) gives exactly
/// the rows of those steps in the unselected export, in the order asked.
#[test]
fn selected_steps_are_the_rows_of_the_full_export() {
    let Some(f) = corpus("ltspice_tran_step.raw") else {
        return;
    };
    let (head, all) = export(&f, &[]);
    assert_eq!(all.len(), 120);
    let lens: Vec<usize> = (0..4).map(|k| of_step(&all, k).len()).collect();
    assert_eq!(lens, [45, 48, 13, 14]);

    let (h, rows) = export(&f, &["--step", "2", "--step", "vin=10"]);
    assert_eq!(h, head);
    // step 2, then the steps with vin=10: 1 and 3
    let mut want = of_step(&all, 2);
    want.extend(of_step(&all, 1));
    want.extend(of_step(&all, 3));
    assert_eq!(rows.len(), 13 + 48 + 14);
    assert_eq!(rows, want);

    // SPICE number: 10k is 10000; a step named twice comes once
    let (_, rows) = export(&f, &["--step", "r1=10k", "--step", "3", "--var", "V(out)"]);
    let (_, full) = export(&f, &["--var", "V(out)"]);
    let mut want = of_step(&full, 2);
    want.extend(of_step(&full, 3));
    assert_eq!(rows, want);
    assert!(rows.iter().all(|r| r[2] == "10000.0"), "r1 column");
}

/// A window keeps, in every step, the rows whose time is in [from, to]:
/// all of them, and only them, as the unselected export has them.
#[test]
fn window_rows_lie_within_from_to() {
    let Some(f) = corpus("ltspice_tran_step.raw") else {
        return;
    };
    let (_, all) = export(&f, &[]);
    let (head, rows) = export(&f, &["--from", "1m", "--to", "2.5m"]);
    assert_eq!(&head[..4], ["step", "vin", "r1", "time"]);
    let want: Vec<Vec<String>> = all
        .iter()
        .filter(|r| (1e-3..=2.5e-3).contains(&num(&r[3])))
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(rows, want);
    for r in &rows {
        let t = num(&r[3]);
        assert!((1e-3..=2.5e-3).contains(&t), "time {t}");
    }
    // every step has points in that window
    for k in 0..4 {
        assert!(!of_step(&rows, k).is_empty(), "step {k}");
    }
    // a window and a step together
    let (_, rows) = export(&f, &["--from", "1m", "--to", "2.5m", "--step", "1"]);
    assert_eq!(rows, of_step(&want, 1));
}

/// The same on ngspice output (not stepped: no step column), the window's
/// ends given in SPICE numbers and in plain ones.
#[test]
fn window_on_an_ngspice_transient() {
    let f = fixture("ng39_rc_tran.raw");
    let (head, all) = export(&f, &["--var", "v(out)"]);
    assert_eq!(head, ["time", "v(out)"]);
    assert_eq!(all.len(), 249);
    let (_, rows) = export(&f, &["--var", "v(out)", "--from", "500u", "--to", "0.001"]);
    let want: Vec<Vec<String>> = all
        .iter()
        .filter(|r| (5e-4..=1e-3).contains(&num(&r[0])))
        .cloned()
        .collect();
    assert!(want.len() > 10 && want.len() < 249, "{} rows", want.len());
    assert_eq!(rows, want);
    // only --from: up to the end
    let (_, rows) = export(&f, &["--var", "v(out)", "--from", "1.5m"]);
    assert_eq!(rows.last(), all.last());
    assert!(rows.iter().all(|r| num(&r[0]) >= 1.5e-3));
    // on frequency: an AC plot, dB and phase
    let f = fixture("ng39_rlc_ac.raw");
    let (head, rows) = export(
        &f,
        &[
            "--var",
            "v(out)",
            "--complex",
            "db",
            "--from",
            "1k",
            "--to",
            "10k",
        ],
    );
    assert_eq!(head, ["frequency", "db(v(out))", "ph(v(out))"]);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| (1e3..=1e4).contains(&num(&r[0]))));
    let (_, full) = export(&f, &["--var", "v(out)", "--complex", "db"]);
    let first = full.iter().position(|r| num(&r[0]) >= 1e3).unwrap();
    // dB is the same; the phase unwraps from the window's start (here
    // within +-180 degrees of the full one)
    for (r, w) in rows.iter().zip(&full[first..]) {
        assert_eq!(r[..2], w[..2]);
        assert!((num(&r[2]) - num(&w[2])).abs() < 360.0);
    }
}

/// The step parameter columns hold each step's parameters: those the
/// corpus MANIFEST lists (from the `.log`), and those the reader gives.
#[test]
fn step_parameter_columns_are_the_files_step_params() {
    for (name, var) in [
        ("ltspice_tran_step.raw", "V(out)"),
        ("ltspice_ac_step.raw", "V(out)"),
    ] {
        let Some(f) = corpus(name) else {
            return;
        };
        let want = manifest_params(name);
        let steps = RawFile::open(&f)
            .and_then(|r| r.plot(0)?.steps())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(steps.params, want, "{name}: the reader's params");
        let (head, rows) = export(&f, &["--var", var]);
        let names: Vec<&str> = want[0].iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(head[0], "step");
        assert_eq!(&head[1..=names.len()], names, "{name}");
        assert_eq!(rows.len() as u64, steps.total);
        for (i, r) in rows.iter().enumerate() {
            let k = steps.step_of(i as u64);
            assert_eq!(r[0], k.to_string(), "{name} row {i}");
            for (j, (_, v)) in want[k].iter().enumerate() {
                assert_eq!(num(&r[1 + j]), *v, "{name} row {i} {}", names[j]);
            }
        }
    }
}

/// QSPICE's stepped `.op` (a committed fixture): the stepped parameter is
/// variable 0 and also the step column `param(vin)`; `--step vin=5`
/// picks its step.
#[test]
fn qspice_stepped_op_by_parameter_value() {
    let f = fixture("qspice_op_step.qraw");
    let (head, all) = export(&f, &[]);
    assert_eq!(&head[..3], ["step", "param(vin)", "vin"]);
    assert_eq!(all.len(), 4);
    let vins: Vec<f64> = all.iter().map(|r| num(&r[1])).collect();
    assert_eq!(vins, [1.0, 2.0, 5.0, 10.0]);
    for r in &all {
        assert_eq!(num(&r[1]), num(&r[2]));
    }
    let (_, rows) = export(&f, &["--step", "vin=5", "--step", "0"]);
    assert_eq!(rows, [all[2].clone(), all[0].clone()]);
}

/// Several `--plot`: one file per plot, `.plotN` before the extension,
/// each byte for byte the single-plot export; stdout refuses.
#[test]
fn several_plots_go_to_one_file_each() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("ng39_loop_alter.raw");
    let out = dir.path().join("run.csv");
    let o = run(&[
        "export",
        s(&f),
        "-o",
        s(&out),
        "--plot",
        "2",
        "--plot",
        "0",
        "--var",
        "v(out)",
        "--to",
        "1m",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.exists());
    for p in [0, 2] {
        let got = std::fs::read_to_string(dir.path().join(format!("run.plot{p}.csv"))).unwrap();
        let single = run(&[
            "export",
            s(&f),
            "-o",
            "-",
            "--plot",
            &p.to_string(),
            "--var",
            "v(out)",
            "--to",
            "1m",
        ]);
        assert!(single.status.success());
        assert_eq!(got, String::from_utf8_lossy(&single.stdout), "plot {p}");
        let (head, rows) = parse(&got);
        assert_eq!(head, ["time", "v(out)"]);
        assert!(!rows.is_empty() && rows.iter().all(|r| num(&r[0]) <= 1e-3));
    }
    assert!(!dir.path().join("run.plot1.csv").exists());
    // the plots differ (the loop alters the resistor)
    let a = std::fs::read(dir.path().join("run.plot0.csv")).unwrap();
    let b = std::fs::read(dir.path().join("run.plot2.csv")).unwrap();
    assert_ne!(a, b);
    // no extension: `.plotN` at the end
    let bare = dir.path().join("bare");
    let o = run(&[
        "export",
        s(&f),
        "-o",
        s(&bare),
        "--plot",
        "1",
        "--plot",
        "3",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("bare.plot1").exists() && dir.path().join("bare.plot3").exists());
    // stdout takes one plot
    let o = run(&["export", s(&f), "-o", "-", "--plot", "0", "--plot", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot all go to stdout"));
    assert!(o.stdout.is_empty());
}

/// Selections that cannot be met are errors (exit 2) that say what there
/// is, and write nothing.
#[test]
fn bad_selections_say_what_there_is() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("ng39_rc_tran.raw");
    let out = dir.path().join("x.csv");
    let err = |args: &[&str]| {
        let mut all = vec!["export", s(&f), "-o", s(&out)];
        all.extend_from_slice(args);
        let o = run(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!out.exists(), "{args:?} wrote a file");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    assert!(err(&["--step", "1"]).contains("1 step(s)"));
    assert!(err(&["--step", "r1=1k"]).contains("no parameters"));
    assert!(err(&["--from", "2m", "--to", "1m"]).contains("after --to"));
    // several plots: the second plot's bad selection stops before any file
    let e = err(&["--plot", "0", "--plot", "7"]);
    assert!(e.contains('7'), "{e}");
    assert!(!dir.path().join("x.plot0.csv").exists());
    // HDF5 holds every point: a step or window selection is refused there
    let h5 = dir.path().join("x.h5");
    let o = run(&["export", s(&f), "-o", s(&h5), "--step", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!h5.exists());
    let op = fixture("ng39_bjt_op.raw");
    let o = run(&["export", s(&op), "-o", "-", "--from", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no scale"));
    if let Some(st) = corpus("ltspice_tran_step.raw") {
        let o = run(&["export", s(&st), "-o", "-", "--step", "vin=3"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("vin takes 1, 10"));
    }
}

/// `cache get -o x.csv` of a stepped result writes what `export` writes,
/// step parameter columns included.
#[test]
fn cache_get_csv_of_a_stepped_result_equals_export() {
    let Some(f) = corpus("ltspice_tran_step.raw") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // the .log beside the RAW file gives the parameters
    let raw = dir.path().join("sweep.raw");
    std::fs::copy(&f, &raw).unwrap();
    std::fs::copy(f.with_extension("log"), raw.with_extension("log")).unwrap();
    let cache = dir.path().join("cache");
    let o = run(&["cache", "--dir", s(&cache), "put", s(&raw)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let key = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let got = dir.path().join("got.csv");
    let o = run(&["cache", "--dir", s(&cache), "get", &key, "-o", s(&got)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let exported = run(&["export", s(&raw), "-o", "-"]);
    let got = std::fs::read(&got).unwrap();
    assert!(got.starts_with(b"step,vin,r1,time,"));
    assert_eq!(got, exported.stdout);
}
