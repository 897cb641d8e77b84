//! Tests of the campaign file model.

use std::path::{Path, PathBuf};
use std::time::Duration;

use waveform::ParamValue;

use super::*;
use crate::measure::{Edge, MeasureKind};

/// The example of DESIGN.md section 5, as it stands.
const DESIGN: &str = r#"[campaign]
name = "rc-filter-mc"
netlist = "rc.cir"            # relative to this file
simulator = "ngspice"         # ngspice now; the adapter trait fits xyce and ltspice
temperature = [-40, 27, 125]  # optional; a list adds a dimension
save = ["v(out)", "i(v1)"]    # vectors kept in the cache and outputs (default: all)
timeout = "60s"               # per job

[sweep]                       # cartesian product of every entry
rload = ["1k", "10k", "100k"]
cval = { from = "1n", to = "10n", points = 4 }            # linear
fc   = { from = "1k", to = "1meg", points = 7, scale = "log" }

[corners]                     # named parameter sets, one dimension
tt = { vth = 0.0 }
ss = { vth = 0.05 }

[montecarlo]
runs = 200
seed = 1
r1 = { dist = "gauss", nominal = "1k", tol = "5%", sigma = 3 }   # tol = 3 sigma
c1 = { dist = "uniform", nominal = "10n", tol = "10%" }
r2 = { dist = "gauss", nominal = "1k", tol = "5%", lot = "rnet", lot_tol = "4%" }
r3 = { dist = "gauss", nominal = "1k", tol = "5%", lot = "rnet", lot_tol = "4%" }
# r2 and r3 share one lot draw per run (matched parts move together) on top of
# their own device draw (tol)

[measure]                     # optional, per run, computed while the result streams
thd_out = { kind = "thd", var = "v(out)", fundamental = "1k", harmonics = 9, window = "blackman-harris", from = "2m", to = "3m" }
vmax = { kind = "max", var = "v(out)" }
t50  = { kind = "cross", var = "v(out)", level = "0.5", edge = "rise", n = 1 }
v2m  = { kind = "at", var = "v(out)", at = "2m" }
# kinds: min max mean rms pp at cross final; spectral: thd sinad sfdr enob snr

[spec]                        # optional: pass/fail per job, yield with a 95% interval
vmax = { max = "1.1" }
t50  = { min = "10u", max = "40u" }

[outputs]
hdf5 = "out/rc-filter-mc.h5"  # relative to this file
resample = { points = 2001 }  # optional common grid for transient results
"#;

/// A netlist that uses every parameter of [`DESIGN`].
const RC_CIR: &str = "rc filter\n.param rload=1k\nV1 in 0 pulse(0 1 0 1u 1u 1m 2m)\n\
R1 in mid {r1}\nR2 mid x {r2+r3}\nC1 mid 0 {c1}\nC2 out 0 {cval}\nRL out 0 {rload}\n\
B1 out 0 V=v(x)*{vth+fc}\n.tran 1u 3m\n.end\n";

fn dir_with_netlist(netlist: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rc.cir"), netlist).unwrap();
    dir
}

fn write_campaign(dir: &Path, text: &str) -> PathBuf {
    let file = dir.join("rc.toml");
    std::fs::write(&file, text).unwrap();
    file
}

/// The error message of a campaign text next to [`RC_CIR`].
fn error_of(text: &str) -> String {
    let dir = dir_with_netlist(RC_CIR);
    let file = write_campaign(dir.path(), text);
    match Campaign::load(&file) {
        Ok(c) => match c.check_netlist() {
            Ok(()) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "[campaign]\nnetlist = \"rc.cir\"\n";

#[test]
fn design_example_parses_as_it_stands() {
    let dir = dir_with_netlist(RC_CIR);
    let file = write_campaign(dir.path(), DESIGN);
    let c = Campaign::load(&file).unwrap();
    c.check_netlist().unwrap();
    assert_eq!(c.name, "rc-filter-mc");
    assert_eq!(c.file, file);
    assert_eq!(c.root, dir.path());
    assert_eq!(c.netlist, dir.path().join("rc.cir"));
    assert_eq!(c.simulator, "ngspice");
    assert_eq!(c.temperature, vec![-40.0, 27.0, 125.0]);
    assert_eq!(c.save, vec!["v(out)", "i(v1)"]);
    assert_eq!(c.timeout, Some(Duration::from_secs(60)));

    let names: Vec<&str> = c.sweep.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["rload", "cval", "fc"]);
    assert_eq!(
        c.sweep[0].values,
        vec![
            ("1k".to_owned(), 1e3),
            ("10k".to_owned(), 1e4),
            ("100k".to_owned(), 1e5)
        ]
    );
    let cval: Vec<f64> = c.sweep[1].values.iter().map(|v| v.1).collect();
    assert_eq!(cval, vec![1e-9, 4e-9, 7e-9, 1e-8]);
    let cval_text: Vec<&str> = c.sweep[1].values.iter().map(|v| v.0.as_str()).collect();
    assert_eq!(cval_text, ["1e-9", "4e-9", "7e-9", "1e-8"]);
    let fc: Vec<f64> = c.sweep[2].values.iter().map(|v| v.1).collect();
    assert_eq!(fc.len(), 7);
    assert_eq!(fc[0], 1e3);
    assert_eq!(fc[2], 1e4);
    assert_eq!(fc[6], 1e6);
    assert_eq!(fc[1], 3162.27766017);
    assert_eq!(c.sweep[2].values[1].0, "3162.27766017");

    assert_eq!(c.corners.len(), 2);
    assert_eq!(c.corners[0].name, "tt");
    assert_eq!(
        c.corners[1].params,
        vec![("vth".to_owned(), "0.05".to_owned(), 0.05)]
    );

    let mc = c.montecarlo.as_ref().unwrap();
    assert_eq!((mc.runs, mc.seed), (200, 1));
    assert_eq!(
        mc.params[0],
        McParam {
            name: "r1".into(),
            dist: Dist::Gauss,
            nominal: 1e3,
            tol: 0.05,
            sigma: 3.0,
            lot: None,
            lot_tol: 0.0
        }
    );
    assert_eq!(mc.params[1].dist, Dist::Uniform);
    assert_eq!(mc.params[1].nominal, 10e-9);
    assert_eq!(mc.params[1].tol, 0.1);
    assert_eq!(mc.params[2].lot.as_deref(), Some("rnet"));
    assert_eq!(mc.params[3].lot_tol, 0.04);
    assert_eq!(mc.params[3].sigma, 3.0);

    let m: Vec<&str> = c.measures.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(m, ["thd_out", "vmax", "t50", "v2m"]);
    assert_eq!(
        c.measures[0].kind,
        MeasureKind::Spectral(crate::measure::SpectralSpec {
            metric: crate::measure::SpectralMetric::Thd,
            fundamental: Some(1e3),
            harmonics: 9,
            window: Some(fft_gpu::Window::BlackmanHarris),
        })
    );
    let c = Campaign {
        measures: c.measures[1..].to_vec(),
        ..c
    };
    assert_eq!(c.measures[0].kind, MeasureKind::Max);
    assert_eq!(c.measures[0].var, "v(out)");
    assert_eq!(
        c.measures[1].kind,
        MeasureKind::Cross {
            level: 0.5,
            edge: Edge::Rise,
            n: 1
        }
    );
    assert_eq!(c.measures[2].kind, MeasureKind::At { at: 2e-3 });
    assert_eq!(c.specs.len(), 2);
    assert_eq!(c.specs[0].measure, "vmax");
    assert_eq!((c.specs[0].min, c.specs[0].max), (None, Some(1.1)));
    assert_eq!((c.specs[1].min, c.specs[1].max), (Some(10e-6), Some(40e-6)));
    assert_eq!(c.outputs.hdf5, Some(dir.path().join("out/rc-filter-mc.h5")));
    assert_eq!(c.outputs.resample_points, Some(2001));

    assert_eq!(c.job_count(), 3 * 4 * 7 * 2 * 3 * 200);
    let j = c.job(0).unwrap();
    let names: Vec<&str> = j.params.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        names,
        ["rload", "cval", "fc", "corner", "vth", "temp", "r1", "c1", "r2", "r3", "mc_run"]
    );
    let nl: Vec<&str> = j.netlist_params.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(nl, ["rload", "cval", "fc", "vth", "r1", "c1", "r2", "r3"]);
    assert_eq!(j.netlist_params[0].1, "1k");
    assert_eq!(j.temperature, Some(-40.0));
    assert_eq!(j.corner.as_deref(), Some("tt"));
    assert_eq!(j.mc_run, Some(0));
    assert!(c.job(c.job_count()).is_none());
}

#[test]
fn job_count_and_order() {
    let dir = dir_with_netlist("t\nR1 a 0 {a}\nR2 a 0 {b}\nR3 a 0 {v}\nR4 a 0 {m}\n.end\n");
    let file = write_campaign(
        dir.path(),
        r#"[campaign]
netlist = "rc.cir"
temperature = [0, "50"]
[sweep]
a = [1, 2]
b = ["1k", "2.2k", 3.3e3]
[corners]
ff = { v = "1.1" }
ss = { v = 0.9 }
[montecarlo]
runs = 2
m = { nominal = 1, tol = 0.1 }
"#,
    );
    let c = Campaign::load(&file).unwrap();
    c.check_netlist().unwrap();
    assert_eq!(c.job_count(), 2 * 3 * 2 * 2 * 2);
    let jobs = c.jobs();
    assert_eq!(jobs.len(), 48);
    // (a, b, corner, temp, run) of job i, innermost = mc run.
    let key = |j: &JobParams| {
        (
            j.netlist_params[0].1.clone(),
            j.netlist_params[1].1.clone(),
            j.corner.clone().unwrap(),
            j.temperature.unwrap(),
            j.mc_run.unwrap(),
        )
    };
    let k = |a: &str, b: &str, c: &str, t: f64, r: u64| (a.into(), b.into(), c.into(), t, r);
    assert_eq!(key(&jobs[0]), k("1", "1k", "ff", 0.0, 0));
    assert_eq!(key(&jobs[1]), k("1", "1k", "ff", 0.0, 1));
    assert_eq!(key(&jobs[2]), k("1", "1k", "ff", 50.0, 0));
    assert_eq!(key(&jobs[4]), k("1", "1k", "ss", 0.0, 0));
    assert_eq!(key(&jobs[8]), k("1", "2.2k", "ff", 0.0, 0));
    assert_eq!(key(&jobs[16]), k("1", "3300", "ff", 0.0, 0));
    assert_eq!(key(&jobs[24]), k("2", "1k", "ff", 0.0, 0));
    assert_eq!(key(&jobs[47]), k("2", "3300", "ss", 50.0, 1));
    for (i, j) in jobs.iter().enumerate() {
        assert_eq!(j.index, i);
        assert_eq!(c.job(i).as_ref(), Some(j));
    }
    assert_eq!(
        jobs[5].params[..5],
        [
            ("a".to_owned(), ParamValue::Number(1.0)),
            ("b".to_owned(), ParamValue::Number(1e3)),
            ("corner".to_owned(), ParamValue::Text("ss".into())),
            ("v".to_owned(), ParamValue::Number(0.9)),
            ("temp".to_owned(), ParamValue::Number(0.0)),
        ]
    );
    assert_eq!(
        jobs[5].params[6],
        ("mc_run".to_owned(), ParamValue::Number(1.0))
    );
    assert_eq!(
        jobs[5].netlist_params[2],
        ("v".to_owned(), "0.9".to_owned())
    );
    assert_eq!(
        jobs[0].netlist_params[2],
        ("v".to_owned(), "1.1".to_owned())
    );

    // Without corners, temperatures or Monte Carlo: just the sweep.
    let file = write_campaign(
        dir.path(),
        "[campaign]\nnetlist = \"rc.cir\"\ntemperature = 27\n[sweep]\na = [1, 2, 3]\n",
    );
    let c = Campaign::load(&file).unwrap();
    assert_eq!(c.temperature, vec![27.0]);
    let jobs = c.jobs();
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[2].corner, None);
    assert_eq!(jobs[2].mc_run, None);
    assert_eq!(
        jobs[2].params,
        vec![
            ("a".to_owned(), ParamValue::Number(3.0)),
            ("temp".to_owned(), ParamValue::Number(27.0))
        ]
    );
    // Nothing at all: one job.
    let file = write_campaign(dir.path(), HEAD);
    let c = Campaign::load(&file).unwrap();
    assert_eq!(c.job_count(), 1);
    assert_eq!(c.jobs()[0].params, vec![]);
    assert_eq!(c.name, "rc");
}

fn mc_campaign(runs: u64, seed: u64, extra: &str) -> Campaign {
    let dir = dir_with_netlist(RC_CIR);
    let file = write_campaign(
        dir.path(),
        &format!(
            "{HEAD}[montecarlo]\nruns = {runs}\nseed = {seed}\n{extra}\
r1 = {{ dist = \"gauss\", nominal = \"1k\", tol = \"5%\", sigma = 3 }}\n\
c1 = {{ dist = \"uniform\", nominal = \"10n\", tol = \"10%\" }}\n\
r2 = {{ nominal = \"1k\", tol = \"5%\", lot = \"rnet\", lot_tol = \"4%\" }}\n\
r3 = {{ nominal = \"1k\", tol = \"5%\", lot = \"rnet\", lot_tol = \"4%\" }}\n"
        ),
    );
    Campaign::load(&file).unwrap()
}

#[test]
fn mc_draws_are_reproducible_and_adding_runs_keeps_them() {
    let a = mc_campaign(10, 7, "");
    let b = mc_campaign(25, 7, "");
    let ma = a.montecarlo.as_ref().unwrap();
    let mb = b.montecarlo.as_ref().unwrap();
    for k in 0..10 {
        assert_eq!(ma.draw(k), mb.draw(k));
        assert_eq!(ma.draw(k), ma.draw(k));
    }
    let ja = a.jobs();
    let jb = b.jobs();
    assert_eq!(ja[..], jb[..10]);
    // Another seed gives other values.
    let c = mc_campaign(10, 8, "");
    assert_ne!(ma.draw(0), c.montecarlo.as_ref().unwrap().draw(0));
    // A draw depends on the name only: adding a parameter keeps the others.
    let d = mc_campaign(10, 7, "zz = { nominal = 5, tol = 0.1 }\n");
    let md = d.montecarlo.as_ref().unwrap();
    for k in 0..10 {
        let without: Vec<(String, f64)> = md.draw(k).into_iter().filter(|p| p.0 != "zz").collect();
        assert_eq!(without, ma.draw(k));
    }
    // Values are rounded to 12 significant digits and their text reads back.
    for k in 0..10 {
        for (name, v) in ma.draw(k) {
            assert_eq!(round12(v), v, "{name}");
        }
    }
    for j in &ja {
        for ((name, text), (_, value)) in j.netlist_params.iter().zip(&j.params) {
            let x: f64 = text.parse().unwrap();
            assert_eq!(ParamValue::Number(x), *value, "{name}");
        }
    }
    // Fixed values: the draw is the same on every machine (the formula of docs/campaign.md).
    let (u1, u2) = mc::uniforms(7, 0, "dev", "r1");
    assert!(u1 > 0.0 && u1 < 1.0 && u2 > 0.0 && u2 < 1.0);
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    assert_eq!(ma.draw(0)[0].1, round12(1e3 * (1.0 + 0.05 / 3.0 * z)));
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}

#[test]
fn mc_statistics_over_10000_draws() {
    const N: u64 = 10_000;
    let c = mc_campaign(N, 1, "");
    let mc = c.montecarlo.as_ref().unwrap();
    let draws: Vec<Vec<(String, f64)>> = (0..N).map(|k| mc.draw(k)).collect();
    // Relative deviations (value / nominal - 1) of parameter i.
    let rel = |i: usize, nominal: f64| -> Vec<f64> {
        draws.iter().map(|d| d[i].1 / nominal - 1.0).collect()
    };
    let n = N as f64;

    // r1: gauss, tol 5% = 3 sigma: relative sd 0.05/3.
    let r1 = rel(0, 1e3);
    let sd = 0.05 / 3.0;
    let (m, s) = mean_sd(&r1);
    assert!(m.abs() < 4.0 * sd / n.sqrt(), "r1 mean {m}");
    // Standard error of a sample sd of a normal: sd / sqrt(2 (n - 1)).
    assert!(
        (s - sd).abs() < 4.0 * sd / (2.0 * (n - 1.0)).sqrt(),
        "r1 sd {s}"
    );

    // c1: uniform in ±10%: variance tol^2 / 3. For a uniform on [-a, a] the
    // fourth central moment is a^4 / 5, so the sample variance has standard
    // error sqrt((a^4/5 - a^4/9) / n) = a^2 sqrt(4/45) / sqrt(n).
    let c1 = rel(1, 10e-9);
    let a = 0.1;
    let (m, s) = mean_sd(&c1);
    assert!(
        m.abs() < 4.0 * (a * a / 3.0f64).sqrt() / n.sqrt(),
        "c1 mean {m}"
    );
    let var = s * s;
    assert!(
        (var - a * a / 3.0).abs() < 4.0 * a * a * (4.0f64 / 45.0).sqrt() / n.sqrt(),
        "c1 variance {var}"
    );
    assert!(c1.iter().all(|x| x.abs() <= a));

    // r2, r3: own draw tol 5% and a shared lot draw lot_tol 4%, both 3 sigma:
    // each has variance (tol^2 + lot_tol^2) / 9; their covariance is
    // lot_tol^2 / 9; correlation rho = lot_tol^2 / (tol^2 + lot_tol^2)
    // = 0.0016 / 0.0041 = 0.390. The standard error of a sample correlation
    // is about (1 - rho^2) / sqrt(n).
    let r2 = rel(2, 1e3);
    let r3 = rel(3, 1e3);
    let (tol, lot_tol) = (0.05f64, 0.04f64);
    let rho = lot_tol * lot_tol / (tol * tol + lot_tol * lot_tol);
    assert!((rho - 0.3902).abs() < 1e-4);
    let (m2, s2) = mean_sd(&r2);
    let (m3, s3) = mean_sd(&r3);
    let sd23 = (tol * tol + lot_tol * lot_tol).sqrt() / 3.0;
    assert!(
        (s2 - sd23).abs() < 4.0 * sd23 / (2.0 * (n - 1.0)).sqrt(),
        "r2 sd {s2}"
    );
    assert!(
        (s3 - sd23).abs() < 4.0 * sd23 / (2.0 * (n - 1.0)).sqrt(),
        "r3 sd {s3}"
    );
    let cov = r2
        .iter()
        .zip(&r3)
        .map(|(x, y)| (x - m2) * (y - m3))
        .sum::<f64>()
        / (n - 1.0);
    let r = cov / (s2 * s3);
    assert!(
        (r - rho).abs() < 4.0 * (1.0 - rho * rho) / n.sqrt(),
        "correlation {r}, expected {rho}"
    );
    // r1 (no lot) is not correlated with r2.
    let (m1, s1) = mean_sd(&r1);
    let cov12 = r1
        .iter()
        .zip(&r2)
        .map(|(x, y)| (x - m1) * (y - m2))
        .sum::<f64>()
        / (n - 1.0);
    assert!((cov12 / (s1 * s2)).abs() < 4.0 / n.sqrt());
}

#[test]
fn errors_name_file_line_and_key() {
    let cases: &[(&str, &str)] = &[
        (
            "[campaign]\nnetlist = \"rc.cir\"\n\n[sweep]\nrload = [\"1k\", \"1,5k\"]\n",
            "rc.toml:5: [sweep] rload: `1,5k` is not a SPICE number",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\nnam = \"x\"\n",
            "rc.toml:3: [campaign] nam: unknown key (expected one of: name, netlist, simulator, temperature, save, timeout)",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweeps]\nrload = [1]\n",
            "rc.toml:3: [sweeps]: unknown table",
        ),
        (
            "[campaign]\nnetlist = \"missing.cir\"\n",
            "rc.toml:2: [campaign] netlist: the netlist `",
        ),
        ("[sweep]\nrload = [1]\n", "rc.toml:1: [campaign]: missing table"),
        ("[campaign]\nname = \"x\"\n", "rc.toml:1: [campaign] netlist: missing required key"),
        (
            "[campaign]\nnetlist = \"rc.cir\"\nsimulator = \"spectre\"\n",
            "rc.toml:3: [campaign] simulator: unknown simulator `spectre`",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\ntimeout = \"soon\"\n",
            "rc.toml:3: [campaign] timeout: `soon` is not a duration",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\ntemperature = [27, \"hot\"]\n",
            "rc.toml:3: [campaign] temperature: `hot` is not a SPICE number",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nrload = []\n",
            "rc.toml:4: [sweep] rload: empty list",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\ncval = { from = \"1n\", to = \"2n\", points = 1 }\n",
            "rc.toml:4: [sweep] cval.points: 1: a range needs at least 2 points",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\ncval = { from = \"1n\", to = \"2n\", points = 3, step = 2 }\n",
            "rc.toml:4: [sweep] cval.step: unknown key",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nfc = { from = 0, to = \"1meg\", points = 3, scale = \"log\" }\n",
            "rc.toml:4: [sweep] fc.from: a log range needs",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nr1 = [1]\n[montecarlo]\nruns = 2\nr1 = { nominal = 1, tol = 0.1 }\n",
            "rc.toml:7: [montecarlo] r1: parameter `r1` is already given in [sweep] (line 4)",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nvth = [1]\n[corners]\ntt = { vth = 0 }\n",
            "rc.toml:6: [corners] tt.vth: parameter `vth` is already given in [sweep] (line 4)",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\ntemp = [1]\n",
            "rc.toml:4: [sweep] temp: `temp` is reserved",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 2\nr1 = { nominal = \"1k\", tol = \"-5%\" }\n",
            "rc.toml:5: [montecarlo] r1.tol: -0.05: a tolerance is 0 or more",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 2\nc1 = { dist = \"uniform\", nominal = 1, tol = 0.1, sigma = 2 }\n",
            "rc.toml:5: [montecarlo] c1.sigma: sigma applies to gauss only",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 2\nr2 = { nominal = 1, lot_tol = 0.1 }\n",
            "rc.toml:5: [montecarlo] r2.lot_tol: lot_tol needs a lot name",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 2\nr2 = { nominal = 1, dist = \"lognormal\" }\n",
            "rc.toml:5: [montecarlo] r2.dist: unknown distribution `lognormal`",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nr1 = { nominal = 1 }\n",
            "rc.toml:3: [montecarlo] runs: missing required key",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { kind = \"maximum\", var = \"v(out)\" }\n",
            "rc.toml:4: [measure] vmax.kind: unknown measure kind `maximum`",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { kind = \"max\", var = \"v(out)\", level = 1 }\n",
            "rc.toml:4: [measure] vmax.level: unknown key",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nv2m = { kind = \"at\", var = \"v(out)\" }\n",
            "rc.toml:4: [measure] v2m.at: missing required key for kind at",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nt50 = { kind = \"cross\", var = \"v(out)\", level = 0.5, edge = \"up\" }\n",
            "rc.toml:4: [measure] t50.edge: unknown edge `up`",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { kind = \"max\", var = \"v(out)\" }\n[spec]\nvmin = { min = 0 }\n",
            "rc.toml:6: [spec] vmin: no measure `vmin` in [measure]",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { kind = \"max\", var = \"v(out)\" }\n[spec]\nvmax = { min = 2, max = \"1\" }\n",
            "rc.toml:6: [spec] vmax: min (2) is above max (1)",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { kind = \"max\", var = \"v(out)\" }\n[spec]\nvmax = { }\n",
            "rc.toml:6: [spec] vmax: give min, max or both",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nrload = [\n  \"1k\",\n  \"2k\",\n  \"1,5k\",\n]\n",
            "rc.toml:7: [sweep] rload: `1,5k` is not a SPICE number",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\ntemperature = { from = 0, to = 100, points = 1 }\n",
            "rc.toml:3: [campaign] temperature.points: 1: a range needs at least 2 points",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nr1 = [1]\n[corners]\ntt = { vth = 0 }\n[montecarlo]\nruns = 2\nvth = { nominal = 1 }\n",
            "rc.toml:9: [montecarlo] vth: parameter `vth` is already given in [corners] (line 6)",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\nname = 1979-05-27\n",
            "rc.toml:3: a date or time is not a campaign value",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nrload = { from = 1, to = 2, points = 100000000 }\n",
            "rc.toml:4: [sweep] rload.points: 100000000: too many points",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[corners]\ntt = 1\n",
            "rc.toml:4: [corners] tt: expected a table of parameters",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nrload = \"1k\"\n",
            "rc.toml:4: [sweep] rload: expected a list of values or a range",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nrload = [\"1k\"]\nRLOAD = [\"2k\"]\n",
            "rc.toml:5: [sweep] RLOAD: parameter `RLOAD` is already given in [sweep] (line 4)",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nt = { kind = \"cross\", var = \"v(out)\", level = 1, n = 0 }\n",
            "rc.toml:4: [measure] t.n: 0: n counts from 1",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nt = { kind = \"mean\", var = \"v(out)\", from = \"2m\", to = \"1m\" }\n",
            "rc.toml:4: [measure] t.from: from (0.002) is after to (0.001)",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nt = { kind = \"thd\", var = \"v(out)\", harmonics = 0 }\n",
            "rc.toml:4: [measure] t.harmonics: 0: between 1 and 1000",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nt = { kind = \"sinad\", var = \"v(out)\", window = \"triangle\" }\n",
            "rc.toml:4: [measure] t.window: unknown window 'triangle'",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nt = { kind = \"enob\", var = \"v(out)\", fundamental = \"-1k\" }\n",
            "rc.toml:4: [measure] t.fundamental: -1000: must be above 0",
        ),
        (
            "[campaign]\nnetlist = \"sub\"\n",
            "rc.toml:2: [campaign] netlist: the netlist `",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[outputs]\nresample = { points = 1 }\n",
            "rc.toml:4: [outputs] resample.points: 1: need at least 2 points",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\nname = \n",
            "rc.toml:3: not valid TOML: ",
        ),
        (
            "netlist = \"rc.cir\"\n[campaign]\nnetlist = \"rc.cir\"\n",
            "rc.toml:1: netlist: unknown key at the top level (campaign settings go under [campaign])",
        ),
        // Against the netlist: a parameter it never uses.
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nrload = [\"1k\"]\n\n[corners]\ntt = { rlaod = 1 }\n",
            "rc.toml:7: [corners] tt.rlaod: ",
        ),
        (
            "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 3\n\nr9 = { nominal = 1, tol = 0.1 }\n",
            "rc.toml:6: [montecarlo] r9: ",
        ),
    ];
    for (text, want) in cases {
        let got = error_of(text);
        assert!(got.contains(want), "for\n{text}\nwant `{want}` in\n`{got}`");
    }
    let got = error_of("[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 3\n\nr9 = { nominal = 1, tol = 0.1 }\n");
    assert!(got.contains("never used"), "{got}");
}

#[test]
fn accepted_forms() {
    let dir = dir_with_netlist("t\nR1 a 0 {a}\n.end\n");
    // A one-point range with from == to; a scalar save; bare-number timeout.
    let file = write_campaign(
        dir.path(),
        "[campaign]\nnetlist = \"rc.cir\"\nsave = \"v(a)\"\ntimeout = 90\nsimulator = \"Xyce\"\n\
[sweep]\na = { from = \"2k\", to = \"2k\", points = 1 }\n",
    );
    let c = Campaign::load(&file).unwrap();
    assert_eq!(c.sweep[0].values, vec![("2000".to_owned(), 2000.0)]);
    assert_eq!(c.save, vec!["v(a)"]);
    assert_eq!(c.timeout, Some(Duration::from_secs(90)));
    assert_eq!(c.simulator, "xyce");
    // A temperature range.
    let file = write_campaign(
        dir.path(),
        "[campaign]\nnetlist = \"rc.cir\"\ntemperature = { from = -40, to = 120, points = 5 }\n",
    );
    let c = Campaign::load(&file).unwrap();
    assert_eq!(c.temperature, vec![-40.0, 0.0, 40.0, 80.0, 120.0]);
    // A percentage in a sweep goes to the netlist as a number.
    let file = write_campaign(
        dir.path(),
        "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\na = [\"5%\", \"1meg\"]\n",
    );
    let c = Campaign::load(&file).unwrap();
    assert_eq!(
        c.sweep[0].values,
        vec![("0.05".to_owned(), 0.05), ("1meg".to_owned(), 1e6)]
    );
    // Measure defaults, an empty corner, the origin of a parameter.
    let file = write_campaign(
        dir.path(),
        "[campaign]\nnetlist = \"rc.cir\"\n[corners]\nnom = {}\nhi = { a = 2 }\n\
[measure]\nt = { kind = \"cross\", var = \"v(a)\", level = 0.5, plot = 1 }\n\
m = { kind = \"rms\", var = \"v(a)\", from = 0, to = \"1m\" }\n",
    );
    let c = Campaign::load(&file).unwrap();
    c.check_netlist().unwrap();
    assert_eq!(c.corners[0].params, vec![]);
    assert_eq!(c.job_count(), 2);
    assert_eq!(c.jobs()[0].netlist_params, vec![]);
    assert_eq!(c.param_origin("A"), Some((5, "[corners] hi.a")));
    assert_eq!(
        c.measures[0].kind,
        MeasureKind::Cross {
            level: 0.5,
            edge: Edge::Either,
            n: 1
        }
    );
    assert_eq!(c.measures[0].plot, Some(1));
    assert_eq!(
        (c.measures[1].from, c.measures[1].to),
        (Some(0.0), Some(1e-3))
    );
    assert_eq!(c.measures[1].kind, MeasureKind::Rms);
    // A missing include is reported against the netlist key.
    std::fs::write(
        dir.path().join("inc.cir"),
        "t\n.include models/none.lib\nR1 a 0 {a}\n.end\n",
    )
    .unwrap();
    let file = write_campaign(
        dir.path(),
        "# x\n[campaign]\nnetlist = \"inc.cir\"\n[sweep]\na = [1]\n",
    );
    let e = Campaign::load(&file).unwrap().check_netlist().unwrap_err();
    assert!(
        e.to_string().contains("rc.toml:3: [campaign] netlist: "),
        "{e}"
    );
    assert!(matches!(e, CampaignError::Netlist { line: 3, .. }));
    assert_eq!(e.key(), Some("[campaign] netlist"));
    // Unknown file.
    let e = Campaign::load(&dir.path().join("nope.toml")).unwrap_err();
    assert!(e.to_string().contains("nope.toml: cannot read"), "{e}");
    assert!(matches!(e, CampaignError::Read { .. }));
}

#[test]
fn durations_and_texts() {
    assert_eq!(parse_duration("60s"), Some(Duration::from_secs(60)));
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("2min"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
    assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_duration("0s"), None);
    assert_eq!(parse_duration("-1s"), None);
    assert_eq!(parse_duration("infs"), None);
    assert_eq!(spice_text(0.0), "0");
    assert_eq!(spice_text(1043.2), "1043.2");
    assert_eq!(spice_text(1e-9), "1e-9");
    assert_eq!(spice_text(4.7e-12), "4.7e-12");
    assert_eq!(spice_text(2.5e6), "2.5e6");
    assert_eq!(spice_text(-0.05), "-0.05");
    assert_eq!(round12(1.0000000000004), 1.0);
    assert_eq!(round12(1043.20000000001), 1043.2);
}

/// The draws of seed 1 as docs/campaign.md specifies them, pinned: the same
/// on every machine and in every version (an independent implementation of
/// the documented formula in Python, hashlib + math, gives these digits).
#[test]
fn mc_golden_values() {
    let c = mc_campaign(3, 1, "");
    let mc = c.montecarlo.as_ref().unwrap();
    let want: [[f64; 4]; 3] = [
        [
            994.245454667,
            1.06713557279e-8,
            1011.98235006,
            974.332366876,
        ],
        [
            982.511375986,
            1.02062381326e-8,
            1013.39974079,
            1035.17166121,
        ],
        [
            986.136801857,
            9.32092826151e-9,
            1020.31888355,
            1009.33691065,
        ],
    ];
    for (k, w) in want.iter().enumerate() {
        let got: Vec<f64> = mc.draw(k as u64).into_iter().map(|p| p.1).collect();
        assert_eq!(got, w.to_vec(), "run {k}");
    }
    let j = c.job(0).unwrap();
    assert_eq!(
        j.netlist_params,
        vec![
            ("r1".to_owned(), "994.245454667".to_owned()),
            ("c1".to_owned(), "1.06713557279e-8".to_owned()),
            ("r2".to_owned(), "1011.98235006".to_owned()),
            ("r3".to_owned(), "974.332366876".to_owned()),
        ]
    );
}

/// Every complete file in docs/campaign.md (a TOML block that starts with
/// `[campaign]`) loads and passes the netlist check.
#[test]
fn docs_examples_load() {
    let doc = include_str!("../../../../docs/campaign.md");
    let mut n = 0;
    for block in doc.split("```toml\n").skip(1) {
        let Some((text, _)) = block.split_once("```") else {
            continue;
        };
        if !text.starts_with("[campaign]") {
            continue;
        }
        let dir = dir_with_netlist(RC_CIR);
        let file = write_campaign(dir.path(), text);
        let c = Campaign::load(&file).unwrap_or_else(|e| panic!("{e}\n{text}"));
        c.check_netlist().unwrap();
        n += 1;
    }
    assert_eq!(n, 2);
}
