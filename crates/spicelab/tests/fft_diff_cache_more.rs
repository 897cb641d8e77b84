//! `spicelab fft` on a chosen plot and on one step of a stepped transient
//! (with a NaN sample in it), `diff` of operating points and of a result
//! cut short, and `cache put`/`get` of an ASCII result (written back as
//! ASCII) with the text of `cache stats`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use common::{fixture, json_of as json, run, s};
use serde_json::Value;
use spicelab::raw_stream::{write_file, RawFile, RawFormat};
use spicelab::waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};

/// A transient of `steps` steps of a 1 kHz sine over 20 ms, 100 samples a
/// period, with a second harmonic of relative amplitude `h2[k]` in step k;
/// `nan_at` puts a NaN in step 0.
fn sine_steps(h2: &[f64], nan_at: Option<usize>) -> Plot {
    let n = 2001;
    let mut t = Vec::new();
    let mut y = Vec::new();
    let mut starts = Vec::new();
    for &a in h2 {
        starts.push(t.len() as u64);
        for i in 0..n {
            let x = i as f64 * 1e-5;
            t.push(x);
            y.push((2.0 * PI * 1e3 * x).sin() + a * (2.0 * PI * 2e3 * x).sin());
        }
    }
    if let Some(i) = nan_at {
        y[i] = f64::NAN;
    }
    let total = t.len() as u64;
    let mut steps = Steps::single(total);
    steps.starts = starts;
    Plot {
        header: PlotHeader {
            title: "sine steps".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse(if h2.len() > 1 { "real stepped" } else { "real" }),
            n_points: total,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(out)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(t), Column::F64(y)],
        steps,
    }
}

fn write_raw(dir: &Path, name: &str, plots: &[Plot]) -> PathBuf {
    let p = dir.join(name);
    write_file(&p, RawFormat::NgspiceBinary, plots).unwrap();
    p
}

/// `spicelab fft RAW --var v(out) --fundamental 1k --json EXTRA...`.
fn fft_json(raw: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "fft",
        s(raw),
        "--var",
        "v(out)",
        "--fundamental",
        "1k",
        "--json",
    ];
    args.extend_from_slice(extra);
    json(&args)
}

fn thd(raw: &Path, extra: &[&str]) -> f64 {
    fft_json(raw, extra)["thd_db"].as_f64().unwrap()
}

/// The first line `spicelab fft RAW --var v(out) EXTRA...` prints; it
/// must succeed.
fn fft_first_line(raw: &Path, extra: &[&str]) -> String {
    let mut args = vec!["fft", s(raw), "--var", "v(out)"];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    out.lines().next().unwrap().to_string()
}

#[test]
fn fft_of_one_step_reads_that_step_only() {
    let dir = tempfile::tempdir().unwrap();
    // THD: 20 log10(0.01) = -40 dB in step 0, 20 log10(0.1) = -20 dB in step 1
    let raw = write_raw(dir.path(), "steps.raw", &[sine_steps(&[0.01, 0.1], None)]);
    let t0 = thd(&raw, &["--step", "0"]);
    let t1 = thd(&raw, &["--step", "1"]);
    assert!((t0 - -40.0).abs() < 0.1, "{t0}");
    assert!((t1 - -20.0).abs() < 0.1, "{t1}");
    let v = fft_json(&raw, &["--step", "1"]);
    assert_eq!(v["step"], 1);
    // the step's own 20 ms, not the file's
    assert!((v["to"].as_f64().unwrap() - 20e-3).abs() < 1e-4, "{v}");
}

#[test]
fn a_nan_sample_is_left_out_of_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let raw = write_raw(dir.path(), "nan.raw", &[sine_steps(&[0.01], Some(1234))]);
    // the record is resampled over the other points: the THD is the sine's
    let t = thd(&raw, &[]);
    assert!((t - -40.0).abs() < 0.5, "{t}");
    let v = fft_json(&raw, &[]);
    // no noise but the resampling's: the SNR is finite and high
    let snr = v["snr_db"]
        .as_f64()
        .unwrap_or_else(|| panic!("no SNR: {v}"));
    assert!(snr > 40.0, "{v}");
}

#[test]
fn fft_takes_the_plot_asked_for_and_names_a_plot_that_does_not_fit() {
    // AC, operating point and transient plots in one file: v(d) is in all
    let multi = fixture("ng39_multi_op_tran_ac.raw");
    // without --plot the first plot with v(d) is taken: the AC plot, refused
    let o = run(&["fft", s(&multi), "--var", "v(d)", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "usage");
    assert_eq!(
        v["error"],
        "'v(d)' is complex (plot 0 is 'AC Analysis'): fft takes a transient's real vector"
    );
    // --plot 2 is the transient: .tran 2u 200u of a 10 kHz sine, 2 periods
    let v = json(&[
        "fft",
        s(&multi),
        "--var",
        "v(d)",
        "--plot",
        "2",
        "--window",
        "rectangular",
        "--json",
    ]);
    assert_eq!(v["plot"], 2);
    assert_eq!(v["points"], 1024);
    assert_eq!(v["fundamental_hz"], 10e3);
    assert!((v["to"].as_f64().unwrap() - 200e-6).abs() < 1e-12, "{v}");
    // the amplifier distorts: THD well above the resampling's own floor
    let t = v["thd_db"].as_f64().unwrap();
    assert!((-40.0..-30.0).contains(&t), "{t}");
    // a plot that is not there
    let clip = fixture("fft/clipper.raw");
    let o = run(&["fft", s(&clip), "--var", "v(out)", "--plot", "3"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("plot 3"), "{err}");
}

#[test]
fn fft_text_says_how_the_record_was_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let raw = write_raw(dir.path(), "one.raw", &[sine_steps(&[0.01], None)]);
    // no fundamental given: the largest tone is the fundamental
    let first = fft_first_line(&raw, &[]);
    assert!(first.starts_with("v(out) plot 0: "), "{first}");
    assert!(first.contains("(fundamental found)"), "{first}");
    // a window of 12.5 periods with the fundamental given: not coherent
    let first = fft_first_line(
        &raw,
        &["--fundamental", "1k", "--from", "5m", "--to", "17.5m"],
    );
    assert!(first.contains("(12.500 periods)"), "{first}");
    assert!(first.contains("blackman-harris window"), "{first}");
}

#[test]
fn diff_of_operating_points_compares_point_by_point() {
    let dir = tempfile::tempdir().unwrap();
    let op = fixture("ng39_bjt_op.raw");
    let raw = RawFile::open(&op).unwrap();
    let mut plot = raw.plot(0).unwrap().read().unwrap();
    let names: Vec<String> = plot
        .header
        .variables
        .iter()
        .map(|v| v.name.clone())
        .collect();
    // a copy with its second vector moved by 1 mV: only that one differs
    let Column::F64(v1) = &mut plot.columns[1] else {
        panic!("ng39_bjt_op.raw stores real values")
    };
    let before = v1[0];
    v1[0] += 1e-3;
    let moved = write_raw(dir.path(), "moved.raw", &[plot]);
    let o = run(&["diff", s(&op), s(&moved), "--json"]);
    // a difference of 1 mV is past the default tolerance: exit 1, no pass
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pass"], false);
    let vectors = v["plots"][0]["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), names.len());
    for x in vectors {
        assert_eq!(x["compared"].as_u64(), Some(1), "{x}");
        let d = x["max_abs"].as_f64().unwrap();
        if x["name"] == names[1].as_str() {
            assert!((d - ((before + 1e-3) - before).abs()).abs() < 1e-15, "{x}");
        } else {
            assert_eq!(d, 0.0, "{x}");
        }
    }
    assert_eq!(v["plots"][0]["interpolated"], false);
    // the same file against itself passes
    let same = json(&["diff", s(&op), s(&op), "--json"]);
    assert_eq!(same["pass"], true);
}

#[test]
fn diff_against_a_result_cut_short_compares_the_common_span() {
    let dir = tempfile::tempdir().unwrap();
    let long = sine_steps(&[0.01], None);
    let mut short = long.clone();
    let keep = 1001;
    for c in &mut short.columns {
        if let Column::F64(v) = c {
            v.truncate(keep);
        }
    }
    short.header.n_points = keep as u64;
    short.steps = Steps::single(keep as u64);
    let a = write_raw(dir.path(), "long.raw", &[long]);
    let b = write_raw(dir.path(), "short.raw", &[short]);
    let o = run(&["diff", s(&a), s(&b), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let x = &v["plots"][0]["vectors"][0];
    // the points B has are equal; the ones past its end are not compared
    assert_eq!(x["max_abs"].as_f64(), Some(0.0), "{v}");
    assert_eq!(x["compared"].as_u64(), Some(keep as u64), "{v}");
}

#[test]
fn an_ascii_result_comes_back_from_the_cache_as_ascii() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let src = fixture("ng39_rc_tran_ascii.raw");
    let put = json(&["cache", "--dir", s(&cache), "put", s(&src), "--json"]);
    let key = put["key"].as_str().unwrap().to_string();
    let back = dir.path().join("back.raw");
    let got = json(&[
        "cache",
        "--dir",
        s(&cache),
        "get",
        &key,
        "-o",
        s(&back),
        "--json",
    ]);
    assert_eq!(got["format"], "ngspice-ascii");
    assert_eq!(got["points"], 249);
    let (a, b) = (
        RawFile::open(&src).unwrap().read_all().unwrap(),
        RawFile::open(&back).unwrap().read_all().unwrap(),
    );
    assert_eq!(
        RawFile::open(&back).unwrap().encoding(),
        RawFile::open(&src).unwrap().encoding()
    );
    assert_eq!(a.plots.len(), b.plots.len());
    assert_eq!(a.plots[0].columns.len(), b.plots[0].columns.len());
    for (ca, cb) in a.plots[0].columns.iter().zip(&b.plots[0].columns) {
        assert_eq!(ca.bit_patterns(), cb.bit_patterns());
    }
    // cache stats in text: the sizes the put reported
    let o = run(&["cache", "--dir", s(&cache), "stats"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    let (raw_b, stored) = (
        put["raw_bytes"].as_u64().unwrap(),
        put["stored_bytes"].as_u64().unwrap(),
    );
    assert_eq!(
        out,
        format!(
            "cache:        {}\nentries:      1\ncolumn bytes: {raw_b}\nstored bytes: {stored}\nratio:        {:.3}\n",
            cache.display(),
            stored as f64 / raw_b as f64
        )
    );
}
