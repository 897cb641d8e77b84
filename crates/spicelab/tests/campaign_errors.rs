//! Campaign files that are refused: each error names the file, the line and
//! the key (`rc.toml:4: [sweep] r1.points: ...`), for every kind of wrong
//! value the parser checks (wrong TOML type, empty names, out-of-range
//! counts, missing required keys), through the library and the CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use spicelab::campaign::{Campaign, CampaignError};
use spicelab::measure::MeasureKind;

/// A netlist that uses the parameters the cases below give.
const NETLIST: &str = "rc\nV1 in 0 sin(0 1 1k)\nR1 in out {r1}\nC1 out 0 {c1}\n.tran 1u 5m\n.end\n";

/// A directory with `rc.cir` ([`NETLIST`]) and `rc.toml` holding `text`.
fn campaign_dir(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("rc.cir"), NETLIST).unwrap();
    let file = dir.path().join("rc.toml");
    fs::write(&file, text).unwrap();
    (dir, file)
}

fn load_err(text: &str) -> (CampaignError, PathBuf, tempfile::TempDir) {
    let (dir, file) = campaign_dir(text);
    match Campaign::load(&file) {
        Ok(c) => panic!("accepted: {c:?}\n{text}"),
        Err(e) => (e, file, dir),
    }
}

/// Campaign text, then (line, key, message) of the error it must give.
const CASES: &[(&str, usize, &str, &str)] = &[
    // wrong TOML types, each named as a user would say it
    (
        "[campaign]\nnetlist = \"rc.cir\"\nname = 3\n",
        3,
        "[campaign] name",
        "expected a string, found an integer",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\nname = 1.5\n",
        3,
        "[campaign] name",
        "expected a string, found a float",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\nname = true\n",
        3,
        "[campaign] name",
        "expected a string, found a boolean",
    ),
    (
        "[campaign]\nnetlist = [\"rc.cir\"]\n",
        2,
        "[campaign] netlist",
        "expected a string, found an array",
    ),
    (
        "[campaign]\nnetlist = { file = \"rc.cir\" }\n",
        2,
        "[campaign] netlist",
        "expected a string, found a table",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = \"10\"\n",
        4,
        "[montecarlo] runs",
        "expected an integer, found a string",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[corners]\ntt = { r1 = true }\n",
        4,
        "[corners] tt.r1",
        "expected a number or a SPICE number string (\"1k\"), found a boolean",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[corners]\ntt = { r1 = inf }\n",
        4,
        "[corners] tt.r1",
        "`inf` is not a finite number",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\ntemperature = [27, nan]\n",
        3,
        "[campaign] temperature",
        "`NaN` is not a finite number",
    ),
    // names and empty values
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\n\"1r\" = [1, 2]\n",
        4,
        "[sweep] 1r",
        "`1r` is not a valid parameter name (letters, digits and `_`, not starting with a digit)",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[corners]\ntt = { \"r-1\" = 1 }\n",
        4,
        "[corners] tt.r-1",
        "`r-1` is not a valid parameter name (letters, digits and `_`, not starting with a digit)",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\nname = \"  \"\n",
        3,
        "[campaign] name",
        "empty name",
    ),
    (
        "[campaign]\nnetlist = \" \"\n",
        2,
        "[campaign] netlist",
        "empty file name",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\ntemperature = []\n",
        3,
        "[campaign] temperature",
        "empty list",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\nsave = [\"v(out)\",\n  \"\"]\n",
        4,
        "[campaign] save",
        "empty vector name",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\nsave = 3\n",
        3,
        "[campaign] save",
        "expected a string, found an integer",
    ),
    // timeouts
    (
        "[campaign]\nnetlist = \"rc.cir\"\ntimeout = true\n",
        3,
        "[campaign] timeout",
        "expected a duration, found a boolean",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\ntimeout = -1.5\n",
        3,
        "[campaign] timeout",
        "-1.5 is not a duration above 0 (\"60s\", \"2m\", \"500ms\", \"1h\" or seconds)",
    ),
    // ranges
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nr1 = { from = 1, to = 2 }\n",
        4,
        "[sweep] r1.points",
        "missing required key (a range is `{ from = .., to = .., points = N }`)",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nr1 = { to = 2, points = 3 }\n",
        4,
        "[sweep] r1.from",
        "missing required key (a range is `{ from = .., to = .., points = N }`)",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nr1 = { from = 1, to = 2, points = 3, scale = \"exp\" }\n",
        4,
        "[sweep] r1.scale",
        "unknown scale `exp` (expected lin or log)",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\ntemperature = { from = 0, to = 100, points = 3, scale = \"ln\" }\n",
        3,
        "[campaign] temperature.scale",
        "unknown scale `ln` (expected lin or log)",
    ),
    // Monte Carlo
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 0\n",
        4,
        "[montecarlo] runs",
        "0: need at least 1 run",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 5\nseed = -1\n",
        5,
        "[montecarlo] seed",
        "-1: a seed is 0 or more",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 5\nr1 = \"1k\"\n",
        5,
        "[montecarlo] r1",
        "expected a table (`{ dist = \"gauss\", nominal = \"1k\", tol = \"5%\" }`) or runs/seed, found a string",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 5\nr1 = { dist = \"gauss\", tol = \"5%\" }\n",
        5,
        "[montecarlo] r1.nominal",
        "missing required key",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 5\nr1 = { nominal = \"1k\", tol = \"5%\", sigma = 0 }\n",
        5,
        "[montecarlo] r1.sigma",
        "0: sigma is above 0",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 5\nr1 = { nominal = \"1k\", tol = \"5%\", lot = \" \", lot_tol = \"1%\" }\n",
        5,
        "[montecarlo] r1.lot",
        "empty lot name",
    ),
    // measures
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = \"max\"\n",
        4,
        "[measure] vmax",
        "expected a table (`{ kind = \"max\", var = \"v(out)\" }`), found a string",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { var = \"v(out)\" }\n",
        4,
        "[measure] vmax.kind",
        "missing required key (one of: min, max, mean, rms, pp, final, at, cross, thd, sinad, sfdr, enob, snr)",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { kind = \"max\" }\n",
        4,
        "[measure] vmax.var",
        "missing required key (the vector, `v(out)`)",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { kind = \"max\", var = \" \" }\n",
        4,
        "[measure] vmax.var",
        "empty vector name",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { kind = \"max\", var = \"v(out)\", plot = -1 }\n",
        4,
        "[measure] vmax.plot",
        "-1: a plot index is 0 or more",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[measure]\nvmax = { kind = \"max\", var = \"v(out)\", plot = 0.5 }\n",
        4,
        "[measure] vmax.plot",
        "expected an integer, found a float",
    ),
    // outputs
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[outputs]\nhdf5 = \"\"\n",
        4,
        "[outputs] hdf5",
        "empty file name",
    ),
    (
        "[campaign]\nnetlist = \"rc.cir\"\n[outputs]\nresample = {}\n",
        4,
        "[outputs] resample.points",
        "missing required key",
    ),
];

#[test]
fn every_bad_value_is_refused_naming_the_file_line_and_key() {
    for &(text, line, key, message) in CASES {
        let (e, file, _dir) = load_err(text);
        assert!(
            matches!(e, CampaignError::Invalid { .. }),
            "not Invalid: {e:?}\n{text}"
        );
        assert_eq!(
            e.to_string(),
            format!("{}:{line}: {key}: {message}", file.display()),
            "\n{text}"
        );
        assert_eq!(e.line(), Some(line), "{text}");
        assert_eq!(e.key(), Some(key), "{text}");
    }
}

#[test]
fn syntax_and_read_errors_have_no_key() {
    // TOML that does not parse: a line, no key
    let (e, file, _dir) = load_err("[campaign]\nnetlist = \"rc.cir\"\nname = \n");
    assert!(matches!(e, CampaignError::Syntax { .. }), "{e:?}");
    assert_eq!(e.line(), Some(3));
    assert_eq!(e.key(), None);
    assert!(
        e.to_string()
            .starts_with(&format!("{}:3: not valid TOML: ", file.display())),
        "{e}"
    );

    // a file that is not UTF-8: refused when read, no line, no key
    let (dir, file) = campaign_dir("");
    fs::write(&file, b"[campaign]\nname = \"r\xff\xfe\"\n").unwrap();
    let e = Campaign::load(&file).unwrap_err();
    assert!(matches!(e, CampaignError::Read { .. }), "{e:?}");
    assert_eq!(e.line(), None);
    assert_eq!(e.key(), None);
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "{}: cannot read the campaign file: ",
            file.display()
        )) && text.contains("invalid utf-8"),
        "{text}"
    );
    drop(dir);

    // a missing file: the same, with the OS's words
    let missing = Path::new("/nonexistent/dir/c.toml");
    let e = Campaign::load(missing).unwrap_err();
    assert_eq!((e.line(), e.key()), (None, None));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/dir/c.toml: cannot read the campaign file: "),
        "{e}"
    );
}

#[test]
fn load_checked_checks_the_netlist_too() {
    // r2 is never used by the netlist: load accepts it, load_checked does not
    let text =
        "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nr1 = [\"1k\"]\nc1 = [\"1n\"]\nr2 = [1, 2]\n";
    let (_dir, file) = campaign_dir(text);
    let c = Campaign::load(&file).unwrap();
    assert_eq!(c.job_count(), 2);
    let e = Campaign::load_checked(&file).unwrap_err();
    assert!(matches!(e, CampaignError::Netlist { .. }), "{e:?}");
    assert_eq!(e.line(), Some(6));
    assert_eq!(e.key(), Some("[sweep] r2"));
    assert_eq!(
        e.to_string(),
        format!(
            "{}:6: [sweep] r2: {}: parameter `r2` is never used by the netlist (nor by the files it includes)",
            file.display(),
            file.with_file_name("rc.cir").display()
        )
    );

    // every parameter used: load_checked gives the same campaign as load
    let text = "[campaign]\nnetlist = \"rc.cir\"\n[sweep]\nr1 = [\"1k\", \"2k\"]\nc1 = [\"1n\"]\n";
    let (_dir, file) = campaign_dir(text);
    let c = Campaign::load_checked(&file).unwrap();
    assert_eq!(c.job_count(), 2);
    assert_eq!(c.sweep[0].values[1], ("2k".to_string(), 2000.0));
}

#[test]
fn window_auto_leaves_the_window_to_the_record() {
    let text = "[campaign]\nnetlist = \"rc.cir\"\n[measure]\n\
        thd = { kind = \"thd\", var = \"v(out)\", window = \"auto\", fundamental = \"1k\" }\n\
        snr = { kind = \"snr\", var = \"v(out)\", window = \"hann\" }\n";
    let (_dir, file) = campaign_dir(text);
    let c = Campaign::load(&file).unwrap();
    let MeasureKind::Spectral(thd) = &c.measures[0].kind else {
        panic!("{:?}", c.measures[0]);
    };
    assert_eq!(thd.window, None);
    assert_eq!(thd.fundamental, Some(1000.0));
    assert_eq!(thd.harmonics, 9);
    let MeasureKind::Spectral(snr) = &c.measures[1].kind else {
        panic!("{:?}", c.measures[1]);
    };
    assert!(snr.window.is_some());
}

#[test]
fn a_string_with_escapes_and_booleans_read_as_values() {
    // an escaped string is read like any other; a boolean where a string
    // belongs is named as a boolean
    let text = "[campaign]\nnetlist = \"rc.cir\"\nname = \"rc\\tfilter \\u00e9\"\n";
    let (_dir, file) = campaign_dir(text);
    assert_eq!(Campaign::load(&file).unwrap().name, "rc\tfilter \u{e9}");
    let (e, _, _d) = load_err("[campaign]\nnetlist = \"rc.cir\"\nsimulator = false\n");
    assert_eq!(e.key(), Some("[campaign] simulator"));
    assert!(
        e.to_string()
            .ends_with("expected a string, found a boolean"),
        "{e}"
    );
}

#[test]
fn a_file_without_a_stem_and_no_name_is_called_campaign() {
    // `Campaign::parse` with a path that has no file stem: the name falls
    // back to "campaign" (the netlist given by its absolute path)
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("rc.cir");
    fs::write(&net, NETLIST).unwrap();
    let text = format!("[campaign]\nnetlist = \"{}\"\n", net.display());
    let c = Campaign::parse(&text, Path::new("..")).unwrap();
    assert_eq!(c.name, "campaign");
    assert_eq!(c.netlist, net);
    // with a stem, the stem
    let c = Campaign::parse(&text, &dir.path().join("filter-mc.toml")).unwrap();
    assert_eq!(c.name, "filter-mc");
}

#[test]
fn the_cli_prints_the_same_error_and_exits_2() {
    let (_dir, file) = campaign_dir("[campaign]\nnetlist = \"rc.cir\"\n[montecarlo]\nruns = 0\n");
    let out = common::run(&["run", common::s(&file), "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!(
            "error: {}:4: [montecarlo] runs: 0: need at least 1 run",
            file.display()
        )
    );
    let out = common::run(&["run", common::s(&file), "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "usage");
    assert_eq!(
        v["error"],
        format!(
            "{}:4: [montecarlo] runs: 0: need at least 1 run",
            file.display()
        )
    );
}
