//! `spicelab fft` and spectral campaign measures against ngspice's own
//! `fourier` of the same transient: a diode clipper (fixtures/fft/clipper.cir),
//! committed (its RAW file and ngspice's printout) and run live when
//! ngspice is installed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spicelab"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/fft")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn fft_json(raw: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["fft", raw.to_str().unwrap(), "--var", "v(out)", "--json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// ngspice's `fourier` printout: (number of harmonics, THD percent, the
/// normalised magnitudes of harmonics 0..n).
fn ngspice_fourier(text: &str) -> (u32, f64, Vec<f64>) {
    let line = text
        .lines()
        .find(|l| l.contains("No. Harmonics:"))
        .expect("no fourier output");
    let num = |key: &str| -> f64 {
        let rest = &line[line.find(key).unwrap() + key.len()..];
        let tok: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || ".-+eE".contains(*c))
            .collect();
        tok.parse().unwrap()
    };
    let n = num("No. Harmonics:") as u32;
    let thd = num("THD:");
    let mut mags = Vec::new();
    let mut started = false;
    for l in text.lines() {
        if l.starts_with("--------") {
            started = true;
            continue;
        }
        if started {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 5 || mags.len() >= n as usize {
                break;
            }
            mags.push(f[4].parse().unwrap());
        }
    }
    (n, thd, mags)
}

fn db(percent: f64) -> f64 {
    20.0 * (percent / 100.0).log10()
}

/// The committed run: THD of the last period with as many harmonics as
/// ngspice's default `fourier` (10: orders 0 to 9).
#[test]
fn clipper_thd_equals_ngspice_fourier() {
    let text = fs::read_to_string(fixture("clipper.four.txt")).unwrap();
    let (n, thd_pct, mags) = ngspice_fourier(&text);
    assert_eq!(n, 10);
    let harmonics = (n - 1).to_string();
    for interp in ["linear", "cubic"] {
        let j = fft_json(
            &fixture("clipper.raw"),
            &[
                "--fundamental",
                "1k",
                "--from",
                "4m",
                "--to",
                "5m",
                "--harmonics",
                &harmonics,
                "--interp",
                interp,
            ],
        );
        let ours = j["thd_db"].as_f64().unwrap();
        let theirs = db(thd_pct);
        assert!(
            (ours - theirs).abs() < 0.2,
            "{interp}: THD {ours} dB, ngspice {theirs} dB"
        );
        assert_eq!(j["window"], "rectangular");
        assert_eq!(j["coherent"], true);
        assert_eq!(j["backend"], "cpu");
        // every harmonic ngspice lists above its noise
        let h = j["metrics"]["harmonics"].as_array().unwrap();
        for (order, m) in mags.iter().enumerate().skip(2) {
            if *m > 1e-6 {
                let dbc = h[order - 2]["dbc"].as_f64().unwrap();
                assert!(
                    (dbc - 20.0 * m.log10()).abs() < 0.2,
                    "{interp} order {order}: {dbc} vs {m}"
                );
            }
        }
    }
}

/// ngspice run here: the same comparison for two settings of `nfreqs`.
#[test]
fn clipper_live_ngspice_fourier() {
    if !require::ngspice_or_skip() {
        return;
    }
    let base = fs::read_to_string(fixture("clipper.cir")).unwrap();
    for nfreqs in [10u32, 5] {
        let dir = tempfile::tempdir().unwrap();
        let text = base.replace(
            "fourier 1k v(out)",
            &format!("set nfreqs={nfreqs}\nfourier 1k v(out)"),
        );
        fs::write(dir.path().join("clipper.cir"), text).unwrap();
        let out = Command::new("ngspice")
            .args(["-b", "clipper.cir"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        // ngspice exits 1 after a control script without a simulation
        // command of its own; its printout is what counts
        let (n, thd_pct, _) = ngspice_fourier(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(n, nfreqs);
        let harmonics = (n - 1).to_string();
        let j = fft_json(
            &dir.path().join("clipper.raw"),
            &[
                "--fundamental",
                "1k",
                "--from",
                "4m",
                "--to",
                "5m",
                "--harmonics",
                &harmonics,
            ],
        );
        let ours = j["thd_db"].as_f64().unwrap();
        assert!(
            (ours - db(thd_pct)).abs() < 0.2,
            "nfreqs {nfreqs}: THD {ours} dB, ngspice {} dB",
            db(thd_pct)
        );
    }
}

#[test]
fn json_has_the_documented_keys_and_csv_the_bins() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("spectrum.csv");
    let j = fft_json(
        &fixture("clipper.raw"),
        &["--fundamental", "1k", "-o", csv.to_str().unwrap()],
    );
    for k in [
        "fundamental_hz",
        "thd_db",
        "thd_percent",
        "snr_db",
        "sinad_db",
        "sfdr_db",
        "enob",
        "backend",
        "points",
        "window",
    ] {
        assert!(!j[k].is_null(), "no {k} in {j}");
    }
    // whole periods: 5 of them, ending at the last point
    assert!((j["periods"].as_f64().unwrap() - 5.0).abs() < 1e-9);
    let points = j["points"].as_u64().unwrap() as usize;
    let text = fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("frequency_hz,amplitude,power,power_db,dbc")
    );
    assert_eq!(lines.count(), points / 2 + 1);
}

#[test]
fn bad_arguments_exit_2() {
    let raw = fixture("clipper.raw");
    let raw = raw.to_str().unwrap();
    for args in [
        vec!["fft", raw, "--var", "v(out)", "--window", "triangle"],
        vec!["fft", raw, "--var", "v(nope)"],
        vec!["fft", raw, "--var", "v(out)", "--fundamental", "1meg"],
        vec!["fft", raw, "--var", "v(out)", "--from", "6m"],
        vec!["fft", raw, "--var", "v(out)", "--step", "3"],
        vec!["fft", raw, "--var", "v(out)", "--points", "1"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    // a complex vector (AC)
    let ac = fixture("../ng39_rlc_ac.raw");
    let out = run(&["fft", ac.to_str().unwrap(), "--var", "v(out)"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("complex"));
    // --json: the error is a JSON object on stdout
    let out = run(&["fft", raw, "--var", "v(nope)", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["error"].as_str().unwrap().contains("v(nope)"));
    // --backend gpu where there is none: an error that says why
    if fft_gpu::gpu_status().is_err() {
        let out = run(&["fft", raw, "--var", "v(out)", "--backend", "gpu"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("unavailable"));
        // auto: the CPU
        let j = fft_json(
            &fixture("clipper.raw"),
            &["--backend", "auto", "--fundamental", "1k"],
        );
        assert_eq!(j["backend"], "cpu");
    }
}

const CLIPPER: &str = "\
* diode clipper (spicelab fft campaign test)
.param rs=1k
V1 in 0 sin(0 2 1k)
R1 in out {rs}
D1 out 0 dmod
D2 0 out dmod
C1 out 0 10n
.model dmod d(is=1e-14 n=1.5)
.tran 1u 5m 0 2u
.end
";

const CAMPAIGN: &str = r#"
[campaign]
name = "clipper"
netlist = "clipper.cir"
save = ["v(out)"]

[sweep]
rs = ["1k", "10k"]

[measure]
thd = { kind = "thd", var = "v(out)", fundamental = "1k", harmonics = 9, from = "4m", to = "5m" }
sinad = { kind = "sinad", var = "v(out)", fundamental = "1k", from = "4m", to = "5m" }
sfdr = { kind = "sfdr", var = "v(out)", fundamental = "1k", from = "4m", to = "5m" }
enob = { kind = "enob", var = "v(out)", fundamental = "1k", from = "4m", to = "5m" }
snr = { kind = "snr", var = "v(out)", fundamental = "1k" }
short = { kind = "thd", var = "v(out)", fundamental = "1k", window = "hann" }
vmax = { kind = "max", var = "v(out)" }

[spec]
thd = { max = "-14" }
"#;

/// Spectral measures in a campaign: computed per job, stored, summarised
/// and usable in `[spec]`; the nominal job's THD equals `spicelab fft` on
/// the committed run of the same circuit.
#[test]
fn campaign_spectral_measures() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("clipper.cir"), CLIPPER).unwrap();
    let campaign = dir.path().join("clipper.toml");
    fs::write(&campaign, CAMPAIGN).unwrap();
    let out = bin()
        .arg("run")
        .arg(&campaign)
        .arg("--json")
        .arg("--cache")
        .arg(dir.path().join("cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("not built yet"), "{stderr}");
    let j: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(j["ok"], 2, "{j}");
    let m = &j["measures"];
    for k in ["thd", "sinad", "sfdr", "enob", "snr", "vmax"] {
        assert_eq!(m[k]["n"], 2, "{k}: {j}");
    }
    // 5 periods are too few for the Hann window: no value, and a warning why
    assert_eq!(m["short"]["n"], 0, "{j}");
    assert!(
        stderr.contains("measure 'short': no value") && stderr.contains("periods"),
        "{stderr}"
    );
    // rs = 10k clips less: lower THD; rs = 1k is the committed circuit
    let want = fft_json(
        &fixture("clipper.raw"),
        &["--fundamental", "1k", "--from", "4m", "--to", "5m"],
    )["thd_db"]
        .as_f64()
        .unwrap();
    let max = m["thd"]["max"].as_f64().unwrap();
    assert!((max - want).abs() < 0.05, "{max} vs {want}");
    assert!(m["thd"]["min"].as_f64().unwrap() < max);
    // the spec: only the 10k job passes thd <= -14 dB
    assert_eq!(j["yield"]["specs"]["thd"]["of"], 2, "{j}");
    assert_eq!(j["yield"]["specs"]["thd"]["pass"], 1, "{j}");
}

/// The text report says what `--json` says: the record, the fundamental,
/// one row per harmonic and the metrics line, each value as `--json` has
/// it, printed to the stated precision.
#[test]
fn text_report_matches_json() {
    let raw = fixture("clipper.raw");
    let args = [
        "--fundamental",
        "1k",
        "--from",
        "4m",
        "--to",
        "5m",
        "--harmonics",
        "9",
    ];
    let j = fft_json(&raw, &args);
    let mut text_args = vec!["fft", raw.to_str().unwrap(), "--var", "v(out)"];
    text_args.extend_from_slice(&args);
    let out = run(&text_args);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "v(out) plot 0: {} points over [4.000000e-3, 5.000000e-3) s (1 whole periods), \
             rectangular window, linear interpolation, cpu backend",
            j["points"]
        )
    );
    let m = &j["metrics"];
    assert_eq!(
        lines[1],
        format!(
            "fundamental {:.6e} Hz, amplitude {:.6e} (bins 1..=1)",
            m["fundamental_hz"].as_f64().unwrap(),
            m["fundamental_amplitude"].as_f64().unwrap()
        )
    );
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["order", "frequency_hz", "dbc", "bin"]
    );
    let harmonics = m["harmonics"].as_array().unwrap();
    assert_eq!(lines.len(), 3 + harmonics.len() + 1);
    for (line, h) in lines[3..].iter().zip(harmonics) {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f[0], h["order"].to_string());
        let hz: f64 = f[1].parse().unwrap();
        assert!((hz - h["frequency_hz"].as_f64().unwrap()).abs() < 1e-3);
        assert_eq!(f[2], format!("{:.2}", h["dbc"].as_f64().unwrap()));
        assert_eq!(f[3], h["bin"].to_string());
    }
    // the odd harmonics of a symmetric clipper, the even ones at the floor
    let dbc = |order: usize| harmonics[order - 2]["dbc"].as_f64().unwrap();
    assert!(dbc(3) > -20.0 && dbc(2) < -150.0, "{} {}", dbc(3), dbc(2));
    let last = lines.last().unwrap();
    assert!(
        last.starts_with(&format!(
            "THD {:.3} dB ({:.4} %)  SNR {:.2} dB  SINAD {:.2} dB  SFDR {:.2} dB  ENOB {:.2}",
            j["thd_db"].as_f64().unwrap(),
            j["thd_percent"].as_f64().unwrap(),
            j["snr_db"].as_f64().unwrap(),
            j["sinad_db"].as_f64().unwrap(),
            j["sfdr_db"].as_f64().unwrap(),
            j["enob"].as_f64().unwrap()
        )),
        "{last}"
    );
    // -o - writes the spectrum to stdout instead of the report
    let mut csv_args = text_args.clone();
    csv_args.extend_from_slice(&["-o", "-"]);
    let out = run(&csv_args);
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        csv.lines().next(),
        Some("frequency_hz,amplitude,power,power_db,dbc")
    );
    assert_eq!(
        csv.lines().count(),
        1 + j["points"].as_u64().unwrap() as usize / 2 + 1
    );
}
