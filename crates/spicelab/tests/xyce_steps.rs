//! Xyce writes each step of a `.STEP` run as a plot of its own (`Step
//! Analysis: Step K of N params: name = P value = V ... ANALYSIS`): `info`
//! and `stats` show them as one stepped plot, with the parameters from the
//! plot names, and `--raw-plots` shows the plots as written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{corpus, json_of as json, run, s};
use raw_stream::{write_file, RawFormat};
use serde_json::Value;
use std::path::Path;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The corpus file: `.ac` with `.step temp -10 10 10` (companion
/// xyce_ac_step_multi.cir), 6 plots alternating a 1-point operating point
/// and a 71-point AC sweep per step.
#[test]
fn corpus_ac_step_is_two_stepped_plots() {
    let Some(path) = corpus("xyce_ac_step_multi.raw") else {
        return;
    };
    let manifest: toml::Table = toml::from_str(
        &std::fs::read_to_string(path.parent().unwrap().join("MANIFEST.toml")).unwrap(),
    )
    .unwrap();
    let entry = manifest["file"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"].as_str() == Some("xyce_ac_step_multi.raw"))
        .unwrap();
    let mplots = entry["plot"].as_array().unwrap();
    let n_points = |i: usize| mplots[i]["n_points"].as_integer().unwrap() as u64;
    assert_eq!(mplots.len(), 6);

    let info = json(&["info", "--json", s(&path)]);
    let plots = info["plots"].as_array().unwrap();
    assert_eq!(plots.len(), 2, "{info}");
    for (p, (name, members)) in plots.iter().zip([
        ("DC operating point", [0u64, 2, 4]),
        ("AC Analysis", [1, 3, 5]),
    ]) {
        assert_eq!(p["plotname"], name);
        assert_eq!(p["index"], members[0]);
        let got: Vec<u64> = p["plots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(got, members);
        assert_eq!(p["steps"], 3);
        let lengths: Vec<u64> = members.iter().map(|&m| n_points(m as usize)).collect();
        let step_points: Vec<u64> = p["step_points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(step_points, lengths);
        assert_eq!(p["points"], lengths.iter().sum::<u64>());
        // .step temp -10 10 10
        let temps: Vec<f64> = p["step_params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|sp| f(&sp["TEMP"]))
            .collect();
        assert_eq!(temps, [-10.0, 0.0, 10.0]);
        // the plot names as written, from the manifest
        for (k, &m) in members.iter().enumerate() {
            assert_eq!(
                p["step_plotnames"][k].as_str(),
                mplots[m as usize]["plotname"].as_str()
            );
        }
    }
    // as written: six plots under their own names
    let raw = json(&["info", "--json", "--raw-plots", s(&path)]);
    let names: Vec<&str> = raw["plots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["plotname"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = mplots
        .iter()
        .map(|p| p["plotname"].as_str().unwrap())
        .collect();
    assert_eq!(names, expected);
    let text = run(&["info", s(&path)]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("6 plot(s), shown as 2 (Xyce .STEP plots joined)"),
        "{text}"
    );
    assert!(
        text.contains("plot 1: AC Analysis  (Xyce .STEP: plots 1, 3, 5)"),
        "{text}"
    );

    // stats: each step equals the statistics of its own plot
    let st = json(&["stats", "--json", s(&path)]);
    let ac = &st["plots"][1];
    assert_eq!(ac["plotname"], "AC Analysis");
    assert_eq!(ac["steps"], 3);
    assert_eq!(ac["points"], 213);
    let steps = ac["step_stats"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    for (k, (step, plot)) in steps.iter().zip([1, 3, 5]).enumerate() {
        assert_eq!(step["step"], k);
        assert_eq!(step["plot"], plot);
        assert_eq!(step["points"], n_points(plot));
        let alone = json(&[
            "stats",
            "--json",
            "--raw-plots",
            "--plot",
            &plot.to_string(),
            s(&path),
        ]);
        assert_eq!(step["vectors"], alone["plots"][0]["vectors"], "step {k}");
        // the manifest's frequency at points 0 and 70: 100 Hz and 1 GHz
        let freq = &step["vectors"][0];
        assert_eq!(freq["name"], "frequency");
        assert_eq!(f(&freq["min"]), 100.0);
        assert_eq!(f(&freq["max"]), 1_000_000_000.000_003_9);
        // the AC summary of the step's plot
        assert_eq!(step["ac"][0]["name"], "V(1)");
    }
    // the totals over the three steps: the same sweep three times
    assert_eq!(ac["vectors"][0]["min"], steps[0]["vectors"][0]["min"]);
    assert_eq!(ac["vectors"][0]["max"], steps[0]["vectors"][0]["max"]);
    // --step by value, and --plot naming any plot of the group
    let one = json(&[
        "stats",
        "--json",
        "--plot",
        "3",
        "--step",
        "temp=0",
        s(&path),
    ]);
    let plots = one["plots"].as_array().unwrap();
    assert_eq!(plots.len(), 1);
    let steps = plots[0]["step_stats"].as_array().unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0]["plot"], 3);
    assert_eq!(f(&steps[0]["params"]["TEMP"]), 0.0);
    assert_eq!(plots[0]["points"], 71);
    // an unknown value names the values there are
    let bad = run(&["stats", "--plot", "1", "--step", "temp=5", s(&path)]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("temp") || err.contains("TEMP"), "{err}");
}

/// A transient `.STEP` of two parameters as Xyce names it, written here:
/// each step is 5 points of v(out) = k * (p + 1) for step k (1-based).
fn stepped_tran(path: &Path, order: &[usize]) {
    let r = [1000.0, 2000.0, 3000.0];
    let plots: Vec<_> = order
        .iter()
        .map(|&k| {
            let time: Vec<f64> = (0..5).map(|p| p as f64 * 1e-6).collect();
            let v: Vec<f64> = (0..5).map(|p| (k * (p + 1)) as f64).collect();
            let params = format!("name = R1 value = {}  name = C1 value = 1e-09", r[k - 1]);
            common::xyce_step_plot(k, 3, &params, "* stepped", ["time", "v(out)"], time, v)
        })
        .collect();
    write_file(path, RawFormat::NgspiceBinary, &plots).unwrap();
}

#[test]
fn two_parameter_steps_give_totals_windows_and_selection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("step.raw");
    stepped_tran(&path, &[1, 2, 3]);
    let st = json(&["stats", "--json", "--var", "v(out)", s(&path)]);
    let plots = st["plots"].as_array().unwrap();
    assert_eq!(plots.len(), 1, "{st}");
    let p = &plots[0];
    assert_eq!(p["plotname"], "Transient Analysis");
    assert_eq!(p["points"], 15);
    // every value 1..5, 2..10, 3..15: by hand
    let all: Vec<f64> = (1..=3)
        .flat_map(|k| (1..=5).map(move |q| (k * q) as f64))
        .collect();
    let mean = all.iter().sum::<f64>() / 15.0;
    let rms = (all.iter().map(|x| x * x).sum::<f64>() / 15.0).sqrt();
    let v = &p["vectors"][0];
    assert_eq!(v["name"], "v(out)");
    assert_eq!(f(&v["min"]), 1.0);
    assert_eq!(f(&v["max"]), 15.0);
    assert!((f(&v["mean"]) - mean).abs() < 1e-12, "{v}");
    assert!((f(&v["rms"]) - rms).abs() < 1e-12, "{v}");
    let steps = p["step_stats"].as_array().unwrap();
    for (k, step) in steps.iter().enumerate() {
        assert_eq!(f(&step["params"]["R1"]), 1000.0 * (k + 1) as f64);
        assert_eq!(f(&step["params"]["C1"]), 1e-9);
        assert_eq!(f(&step["vectors"][0]["max"]), 5.0 * (k + 1) as f64);
    }
    // one step by parameter value (SPICE number), with a window: the ends
    // are interpolated within that step: v = 2 * (t / 1us + 1)
    let one = json(&[
        "stats",
        "--json",
        "--var",
        "v(out)",
        "--step",
        "r1=2k",
        "--from",
        "0.5u",
        "--to",
        "2.25u",
        s(&path),
    ]);
    let p = &one["plots"][0];
    let steps = p["step_stats"].as_array().unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0]["step"], 1);
    assert_eq!(steps[0]["plot"], 1);
    let v = &p["vectors"][0];
    assert!((f(&v["at_from"]) - 3.0).abs() < 1e-9, "{v}");
    assert!((f(&v["at_to"]) - 6.5).abs() < 1e-9, "{v}");
    // points at 1us and 2us only: values 4 and 6
    assert_eq!(f(&v["min"]), 4.0);
    assert_eq!(f(&v["max"]), 6.0);
    assert_eq!(p["points"], 2);
    // the text table names the plots and parameters
    let text = run(&["stats", "--var", "v(out)", s(&path)]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("plot 0: Transient Analysis (15 points, 3 steps; Xyce .STEP plots 0, 1, 2)"),
        "{text}"
    );
    assert!(
        text.contains("step 2 (5 points) [plot 2] R1=3000 C1=0.000000001"),
        "{text}"
    );
    // --raw-plots: three plots under their own names
    let raw = json(&["stats", "--json", "--raw-plots", s(&path)]);
    assert_eq!(raw["plots"].as_array().unwrap().len(), 3);
    assert!(raw["plots"][0]["plotname"]
        .as_str()
        .unwrap()
        .starts_with("Step Analysis: Step 1 of 3"));
}

#[test]
fn steps_out_of_order_or_cut_short_are_not_joined_wrongly() {
    let dir = tempfile::tempdir().unwrap();
    // step 2 before step 1: the 2 stays alone, 1 and 3 do not follow each other either
    let path = dir.path().join("order.raw");
    stepped_tran(&path, &[2, 1, 3]);
    let info = json(&["info", "--json", s(&path)]);
    let plots = info["plots"].as_array().unwrap();
    assert_eq!(plots.len(), 3, "{info}");
    assert!(plots.iter().all(|p| p["plots"].is_null()));
    // a file holding steps 1 and 2 of 3: one group of the two
    let path = dir.path().join("cut.raw");
    stepped_tran(&path, &[1, 2]);
    let info = json(&["info", "--json", s(&path)]);
    let plots = info["plots"].as_array().unwrap();
    assert_eq!(plots.len(), 1, "{info}");
    assert_eq!(plots[0]["steps"], 2);
    assert_eq!(plots[0]["points"], 10);
}
