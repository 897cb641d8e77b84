//! ngspice's `.control` `write` command, run for real (ngspice 39 here):
//! its ASCII layout (`' <index>\t<value>'`, one `\t<value>` line per further
//! variable, an empty line between points), several plots appended to one
//! file, and variable names with a space (the VDMOS body diode node). Every
//! value is checked against what ngspice itself printed in the same run
//! (`print` / `wrdata` with 17 or 18 significant digits), ASCII against
//! binary, and against the circuit's analytic solution.
//!
//! The netlists are in `fixtures/netlists/`; the RAW files go to a temporary
//! directory. Without ngspice the tests say so and pass, except under CI
//! (env `CI` set), where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use raw_stream::RawFile;
use std::path::{Path, PathBuf};
use std::process::Command;
use waveform::{Column, Dialect, Encoding, Plot};

fn netlist(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/netlists")
        .join(name)
}

/// Runs `ngspice -b` on a netlist in `dir`; returns its stdout, or `None`
/// (with a note) when ngspice is not installed. Fails under CI.
fn run_ngspice(cir: &str, dir: &Path) -> Option<String> {
    let out = match Command::new("ngspice")
        .arg("-b")
        .arg(netlist(cir))
        .current_dir(dir)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "ngspice is needed in CI: {e}"
            );
            eprintln!("NOTE: ngspice not found ({e}): {cir} not simulated, test skipped");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ngspice -b {cir}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}

fn read(path: &Path) -> (RawFile, Vec<Plot>) {
    let raw = RawFile::open(path).unwrap_or_else(|e| panic!("{e}"));
    assert!(raw.warnings().is_empty(), "{:?}", raw.warnings());
    let plots = raw.read_all().unwrap_or_else(|e| panic!("{e}")).plots;
    (raw, plots)
}

/// The `No. of Data Rows : N` lines ngspice prints, one per analysis, in order.
fn data_rows(stdout: &str) -> Vec<u64> {
    stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("No. of Data Rows :"))
        .map(|n| n.trim().parse().unwrap())
        .collect()
}

/// The blocks of a `wrdata` file (`set wr_vecnames`, `set wr_singlescale`,
/// `set appendwrite`): per block, one row of numbers per point.
fn wrdata(path: &Path) -> Vec<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    let mut blocks: Vec<Vec<Vec<f64>>> = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        match words.iter().map(|w| w.parse::<f64>()).collect() {
            Ok(row) => blocks.last_mut().expect("a header line first").push(row),
            Err(_) => blocks.push(Vec::new()), // a header line: a new block
        }
    }
    blocks
}

fn rel_close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// ASCII (16 significant digits) against binary of the same run.
fn assert_ascii_matches_binary(ascii: &[Plot], binary: &[Plot]) {
    assert_eq!(ascii.len(), binary.len());
    let mut n = 0;
    for (pa, pb) in ascii.iter().zip(binary) {
        assert_eq!(pa.header.variables, pb.header.variables);
        assert_eq!(pa.columns.len(), pb.columns.len());
        for (k, (ca, cb)) in pa.columns.iter().zip(&pb.columns).enumerate() {
            assert_eq!(ca.value_type(), cb.value_type(), "column {k}");
            assert_eq!(ca.len(), cb.len(), "column {k}");
            for i in 0..ca.len() {
                let (x, y) = (ca.get_complex(i).unwrap(), cb.get_complex(i).unwrap());
                assert!(
                    rel_close(x.re, y.re, 1e-15) && rel_close(x.im, y.im, 1e-15),
                    "{} column {k} point {i}: ascii {x:?} binary {y:?}",
                    pa.header.plotname
                );
                n += 1;
            }
        }
    }
    assert!(n > 0);
}

/// The bytes of the first plot's data in an ASCII file: the layout the
/// `write` command really produced.
fn ascii_data_start(path: &Path) -> Vec<u8> {
    let b = std::fs::read(path).unwrap();
    let at = b.windows(8).position(|w| w == b"Values:\n").unwrap() + 8;
    b[at..(at + 400).min(b.len())].to_vec()
}

#[test]
fn write_command_ac_loop_three_passes_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stdout) = run_ngspice("write_loop_ac.cir", dir.path()) else {
        return;
    };
    let rows = data_rows(&stdout);
    assert_eq!(rows, vec![21, 21, 21], "{stdout}");
    let (braw, bin) = read(&dir.path().join("write_loop_ac.raw"));
    let (araw, asc) = read(&dir.path().join("write_loop_ac_ascii.raw"));
    // the ASCII layout of the write command: ' 0\t<freq>,<im>' then
    // '\t<re>,<im>' lines, an empty line between points
    let start = ascii_data_start(&dir.path().join("write_loop_ac_ascii.raw"));
    assert!(
        start.starts_with(b" 0\t1.000000000000000e+01,"),
        "{start:?}"
    );
    assert!(
        start.windows(4).any(|w| w == b"\n\n 1"),
        "{:?}",
        String::from_utf8_lossy(&start)
    );
    assert_eq!(braw.dialect(), Dialect::Ngspice);
    assert_eq!(araw.dialect(), Dialect::Ngspice);
    assert_eq!(braw.encoding(), Encoding::Binary);
    assert_eq!(araw.encoding(), Encoding::Ascii);
    let reference = wrdata(&dir.path().join("write_loop_ac.txt"));
    assert_eq!(reference.len(), 3);
    for (pass, (plot, r_ohm)) in bin.iter().zip([1000.0, 2000.0, 4000.0]).enumerate() {
        let h = &plot.header;
        assert_eq!(h.plotname, "AC Analysis");
        assert!(h.flags.complex);
        let names: Vec<&str> = h.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["frequency", "v(out)", "v(in)"]);
        // the write command's type field is 'frequency grid=3' (a space)
        assert_eq!(h.variables[0].type_name, "frequency");
        assert_eq!(h.variables[0].extra, vec!["grid=3".to_string()]);
        assert_eq!(plot.len() as u64, rows[pass]);
        assert_eq!(plot.steps.count(), 1);
        let f = &plot.columns[0];
        assert!(matches!(f, Column::F64(_)), "the frequency is real");
        let out = &plot.columns[1];
        let vin = &plot.columns[2];
        let want = &reference[pass];
        assert_eq!(want.len(), 21);
        for (i, row) in want.iter().enumerate() {
            // wrdata prints 18 significant digits: the very same doubles
            assert_eq!(f.get_f64(i), Some(row[0]), "pass {pass} point {i}");
            let z = out.get_complex(i).unwrap();
            assert_eq!((z.re, z.im), (row[1], row[2]), "pass {pass} point {i}");
            let one = vin.get_complex(i).unwrap();
            assert_eq!((one.re, one.im), (1.0, 0.0));
            // H = 1 / (1 + j w R C), R1 altered to 1k, 2k, 4k; C1 = 100n
            let wrc = 2.0 * std::f64::consts::PI * row[0] * r_ohm * 100e-9;
            let d = 1.0 + wrc * wrc;
            assert!(
                (z.re - 1.0 / d).abs() < 1e-12 && (z.im + wrc / d).abs() < 1e-12,
                "pass {pass} point {i}: {z:?}"
            );
        }
        // 5 points per decade from 10 Hz to 100 kHz
        assert!(rel_close(f.get_f64(20).unwrap(), 1e5, 1e-12));
        assert!(rel_close(f.get_f64(5).unwrap(), 100.0, 1e-12));
    }
    assert_ascii_matches_binary(&asc, &bin);
}

#[test]
fn write_command_op_dc_tran_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stdout) = run_ngspice("write_op_dc_tran.cir", dir.path()) else {
        return;
    };
    let rows = data_rows(&stdout);
    assert_eq!(rows.len(), 3, "{stdout}");
    assert_eq!(&rows[..2], &[1, 11]);
    let (_, bin) = read(&dir.path().join("write_odt.raw"));
    let (_, asc) = read(&dir.path().join("write_odt_ascii.raw"));
    let start = ascii_data_start(&dir.path().join("write_odt_ascii.raw"));
    assert!(
        start.starts_with(b" 0\t3.000000000000000e+00\n\t"),
        "{start:?}"
    );
    let names =
        |p: &Plot| -> Vec<String> { p.header.variables.iter().map(|v| v.name.clone()).collect() };
    let plotnames: Vec<&str> = bin.iter().map(|p| p.header.plotname.as_str()).collect();
    assert_eq!(
        plotnames,
        [
            "Operating Point",
            "DC transfer characteristic",
            "Transient Analysis"
        ]
    );
    for (p, &n) in bin.iter().zip(&rows) {
        assert_eq!(p.len() as u64, n, "{}", p.header.plotname);
        assert_eq!(p.steps.count(), 1);
    }

    // op: the values 'print all' showed (17 digits: the same doubles)
    let op = &bin[0];
    assert_eq!(names(op), ["v(in)", "v(mid)", "v(out)", "i(v1)"]);
    let printed = |name: &str| -> f64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = ")))
            .unwrap_or_else(|| panic!("'{name} = ' not printed:\n{stdout}"))
            .trim()
            .parse()
            .unwrap()
    };
    for (var, name) in [
        ("v(in)", "in"),
        ("v(mid)", "mid"),
        ("v(out)", "out"),
        ("i(v1)", "v1#branch"),
    ] {
        assert_eq!(
            op.column(var).unwrap().get_f64(0),
            Some(printed(name)),
            "{var}"
        );
    }
    // and the divider: 3 V over 1k + 2k, no current into the capacitor
    let op_v = |v: &str| op.column(v).unwrap().get_f64(0).unwrap();
    assert!((op_v("v(mid)") - 2.0).abs() < 1e-12);
    assert!((op_v("v(out)") - 2.0).abs() < 1e-12);
    assert!((op_v("i(v1)") + 1e-3).abs() < 1e-15);

    // dc: the axis is v(v-sweep), 0 to 5 V by 0.5 V; v(mid) = v(out) = 2/3 V
    let dc = &bin[1];
    assert_eq!(
        names(dc),
        ["v(v-sweep)", "v(in)", "v(mid)", "v(out)", "i(v1)"]
    );
    let want = wrdata(&dir.path().join("write_odt_dc.txt"));
    assert_eq!(want.len(), 1);
    assert_eq!(want[0].len(), 11);
    for (i, row) in want[0].iter().enumerate() {
        assert_eq!(dc.columns[0].get_f64(i), Some(row[0]), "dc point {i}");
        assert_eq!(dc.column("v(mid)").unwrap().get_f64(i), Some(row[1]));
        assert_eq!(dc.column("v(out)").unwrap().get_f64(i), Some(row[2]));
        assert!((row[0] - 0.5 * i as f64).abs() < 1e-12);
        assert!((row[1] - row[0] * 2.0 / 3.0).abs() < 1e-12);
    }

    // tran: every point as wrdata printed it; the RC charge toward 2/3 V
    // with tau = (1k || 2k + 1k) * 1u
    let tran = &bin[2];
    assert_eq!(names(tran), ["time", "v(in)", "v(mid)", "v(out)", "i(v1)"]);
    let want = wrdata(&dir.path().join("write_odt_tran.txt"));
    assert_eq!(want[0].len() as u64, rows[2]);
    let tau = (1e3 * 2e3 / 3e3 + 1e3) * 1e-6;
    for (i, row) in want[0].iter().enumerate() {
        assert_eq!(tran.columns[0].get_f64(i), Some(row[0]), "tran point {i}");
        assert_eq!(tran.column("v(out)").unwrap().get_f64(i), Some(row[1]));
        let exact = 2.0 / 3.0 * (1.0 - (-row[0] / tau).exp());
        assert!((row[1] - exact).abs() < 2e-3, "t = {}: {}", row[0], row[1]);
    }
    assert_eq!(tran.columns[0].get_f64(want[0].len() - 1), Some(2e-3));

    assert_ascii_matches_binary(&asc, &bin);
}

#[test]
fn vdmos_body_diode_name_keeps_its_space() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stdout) = run_ngspice("vdmos_body_diode.cir", dir.path()) else {
        return;
    };
    let printed = |name: &str| -> f64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = ")))
            .unwrap_or_else(|| panic!("'{name} = ' not printed:\n{stdout}"))
            .trim()
            .parse()
            .unwrap()
    };
    for file in ["vdmos_body_diode.raw", "vdmos_body_diode_ascii.raw"] {
        let (raw, plots) = read(&dir.path().join(file));
        assert_eq!(raw.dialect(), Dialect::Ngspice);
        assert_eq!(plots.len(), 1);
        let op = &plots[0];
        let names: Vec<&str> = op
            .header
            .variables
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "v(d)",
                "v(g)",
                "v(m1#body diode)",
                "v(s)",
                "i(vdd)",
                "i(vg)"
            ],
            "{file}"
        );
        let body = &op.header.variables[2];
        assert_eq!(body.type_name, "voltage");
        assert!(body.extra.is_empty());
        let v = |name: &str| op.column(name).unwrap().get_f64(0).unwrap();
        let tol = if file.contains("ascii") { 1e-15 } else { 0.0 };
        for (var, name) in [
            ("v(m1#body diode)", "m1#body diode"),
            ("v(s)", "s"),
            ("v(d)", "d"),
            ("i(vdd)", "vdd#branch"),
        ] {
            assert!(
                rel_close(v(var), printed(name), tol),
                "{file} {var}: {} vs {}",
                v(var),
                printed(name)
            );
        }
        // the body diode conducts: the node sits between v(s) and v(d), and
        // the current through rb = 1 ohm is the current through RS = 10 ohm
        let i_rb = v("v(s)") - v("v(m1#body diode)");
        let i_rs = -v("v(s)") / 10.0;
        assert!(v("v(m1#body diode)") < v("v(s)") && v("v(m1#body diode)") > v("v(d)"));
        assert!(rel_close(i_rb, i_rs, 1e-9), "{i_rb} {i_rs}");
        assert!(rel_close(v("i(vdd)"), i_rs, 1e-12));
    }
}
