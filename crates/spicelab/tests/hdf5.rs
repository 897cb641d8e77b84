//! HDF5 output end to end: `spicelab export x.raw -o x.h5` and a campaign's
//! `[outputs] hdf5`, opened with xarray (engine h5netcdf) and h5py and
//! checked against the RAW source: named dimensions, coordinates, units,
//! values. Writes that fail (an unwritable path, a full disk, SIGKILL) leave
//! no file under the target name.

#![cfg(feature = "hdf5")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use raw_stream::{write_file, RawFile, RawFormat};
use serde_json::{json, Map, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_spicelab")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// Python with h5py, xarray and h5netcdf, or `None` (after require_or_skip).
fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args(["-c", "import h5py, xarray, h5netcdf"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Some("python3")
    } else {
        require::require_or_skip("python3 with h5py, xarray and h5netcdf");
        None
    }
}

fn check(py: &str, h5: &Path, expect: &Value) {
    let e = h5.with_extension("expect.json");
    fs::write(&e, serde_json::to_vec(expect).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hdf5_check.py");
    let out = Command::new(py)
        .arg(script)
        .arg(h5)
        .arg(&e)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python check of {} failed:\n{}\n{}",
        h5.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

fn export(raw: &Path, h5: &Path) -> std::process::Output {
    Command::new(bin())
        .arg("export")
        .arg(raw)
        .arg("-o")
        .arg(h5)
        .output()
        .unwrap()
}

fn nan_null(x: f64) -> Value {
    if x.is_nan() {
        Value::Null
    } else {
        json!(x)
    }
}

/// The values of a column as JSON (complex as re/im).
fn values(c: &Column) -> Value {
    if c.is_complex() {
        let n = c.len();
        let z: Vec<_> = (0..n).filter_map(|i| c.get_complex(i)).collect();
        json!({"re": z.iter().map(|z| z.re).collect::<Vec<_>>(), "im": z.iter().map(|z| z.im).collect::<Vec<_>>()})
    } else {
        json!(c.to_f64())
    }
}

fn root_attrs() -> Value {
    json!({"spicelab_hdf5_version": 1})
}

/// The expectation for a plain (not stepped) plot of a RAW file.
fn plain_expect(raw: &Path, group: &str) -> Value {
    let f = RawFile::open(raw).unwrap();
    let plot = f.plot(0).unwrap().read().unwrap();
    let h = &plot.header;
    let scale = &h.variables[0].name;
    let n = plot.len();
    let scale_vals: Vec<f64> = plot.columns[0].to_f64().into_iter().collect();
    let mut vars = Map::new();
    for v in &h.variables[1..] {
        let c = &plot.columns[v.index];
        vars.insert(
            v.name.clone(),
            json!({"dims": [scale], "units": v.unit(), "values": values(c),
                   "dtype": if c.is_complex() {"complex128"} else {"float64"}}),
        );
    }
    json!({"root_attrs": root_attrs(), "groups": {group: {
        "dims": {scale.clone(): n},
        "coords": {scale.clone(): scale_vals},
        "attrs": {"plotname": h.plotname},
        "vars": vars,
    }}})
}

#[test]
fn plain_transient_and_complex_ac_open_in_xarray_with_named_dimensions() {
    let dir = tempfile::tempdir().unwrap();
    for (name, group, scale, units) in [
        ("ng39_rc_tran.raw", "tran", "time", "s"),
        ("ng39_rlc_ac.raw", "ac", "frequency", "Hz"),
    ] {
        let raw = fixture(name);
        let h5 = dir.path().join(name.replace(".raw", ".h5"));
        let out = export(&raw, &h5);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The Rust side reads it too.
        let f = spicelab::store_hdf5::hdf5::File::open(&h5).unwrap();
        let ds = f.dataset(&format!("{group}/{scale}")).unwrap();
        let u: spicelab::store_hdf5::hdf5::types::VarLenUnicode =
            ds.attr("units").unwrap().read_scalar().unwrap();
        assert_eq!(u.as_str(), units);
        let src = RawFile::open(&raw).unwrap();
        let p = src.plot(0).unwrap();
        assert_eq!(ds.shape(), [p.info().complete_points as usize]);
        if let Some(py) = python() {
            check(py, &h5, &plain_expect(&raw, group));
        }
    }
}

#[test]
fn stepped_ltspice_has_a_step_dimension_with_its_parameters() {
    let Some(corpus) = require::corpus_dir(env!("CARGO_MANIFEST_DIR")) else {
        return;
    };
    let raw = corpus.join("ltspice_tran_step.raw");
    let dir = tempfile::tempdir().unwrap();
    let h5 = dir.path().join("step.h5");
    let out = export(&raw, &h5);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = RawFile::open(&raw).unwrap();
    let pr = f.plot(0).unwrap();
    let steps = pr.steps().unwrap();
    let plot = pr.read().unwrap();
    // From MANIFEST.toml: 4 steps at 0, 45, 93, 106; .step vin=1|10 r1=1000|10000.
    assert_eq!(steps.starts, [0, 45, 93, 106]);
    let lens = steps.lengths();
    let width = *lens.iter().max().unwrap() as usize;
    let rows = |c: &Column| -> Value {
        let v = c.to_f64();
        let rows: Vec<Vec<Value>> = (0..steps.count())
            .map(|k| {
                let r = steps.range(k).unwrap();
                let mut row: Vec<Value> = v[r.start as usize..r.end as usize]
                    .iter()
                    .map(|&x| nan_null(x))
                    .collect();
                row.resize(width, Value::Null);
                row
            })
            .collect();
        json!(rows)
    };
    let mut vars = Map::new();
    for v in &plot.header.variables[1..] {
        vars.insert(
            v.name.clone(),
            json!({"dims": ["step", "point"], "units": v.unit(), "dtype": "float32",
                   "values": rows(&plot.columns[v.index])}),
        );
    }
    let expect = json!({"root_attrs": root_attrs(), "groups": {"tran": {
        "dims": {"step": 4, "point": width},
        "coords": {
            "step": [0, 1, 2, 3],
            "n_points": lens,
            "vin": [1.0, 10.0, 1.0, 10.0],
            "r1": [1000.0, 1000.0, 10000.0, 10000.0],
            "time": rows(&plot.columns[0]),
        },
        "attrs": {"layout": "stepped-ragged"},
        "vars": vars,
    }}});
    // a spot value of the manifest: V(out) at point 60 (step 1) = 5.819368839263916
    let vout = plot.column("V(out)").unwrap();
    assert_eq!(vout.get_f64(60), Some(5.819368839263916));
    if let Some(py) = python() {
        check(py, &h5, &expect);
    }
}

const RC: &str = "* rc low-pass, pulse response (spicelab hdf5 test)
.param r1=1k c1=100n rs=1
V1 in 0 pulse(0 1 0 1u 1u 1 2)
RS in mid {rs}
R1 mid out {r1}
C1 out 0 {c1}
.tran 5u 1m
.end
";

fn campaign_toml(out: &str, resample: Option<usize>) -> String {
    let mut s = String::from(
        r#"[campaign]
name = "rc-h5"
netlist = "rc.cir"
simulator = "ngspice"
save = ["v(out)", "v(in)"]
timeout = "30s"

[sweep]
r1 = ["1k", "2k"]

[corners]
fast = { rs = 1 }
slow = { rs = 100 }

[montecarlo]
runs = 2
seed = 7
c1 = { dist = "uniform", nominal = "100n", tol = "5%" }

[measure]
vmax = { kind = "max", var = "v(out)" }
t50 = { kind = "cross", var = "v(out)", level = 0.5, edge = "rise", n = 1 }

[spec]
t50 = { max = "150u" }

[outputs]
"#,
    );
    s += &format!("hdf5 = \"{out}\"\n");
    if let Some(n) = resample {
        s += &format!("resample = {{ points = {n} }}\n");
    }
    s
}

/// Each run's (time, v(out)) from the cache, by the job keys in the file.
fn cached_runs(cache: &Path, keys: &[String]) -> Vec<(Vec<f64>, Vec<f64>)> {
    let store = cache_zstd::DiskStore::open(Some(cache)).unwrap();
    keys.iter()
        .map(|k| {
            store
                .read_with(k, |mut r| {
                    let vi = r.meta().plots[0].header.find("v(out)").unwrap();
                    let (mut t, mut v) = (Vec::new(), Vec::new());
                    while let Some(b) = r.next_block()? {
                        t.extend(b.columns[0].to_f64());
                        v.extend(b.columns[vi].to_f64());
                    }
                    Ok((t, v))
                })
                .unwrap()
                .expect("every ok job is in the cache")
        })
        .collect()
}

fn read_strings(f: &spicelab::store_hdf5::hdf5::File, name: &str) -> Vec<String> {
    let v: Vec<spicelab::store_hdf5::hdf5::types::VarLenUnicode> =
        f.dataset(name).unwrap().read_raw().unwrap();
    v.iter().map(|s| s.as_str().to_string()).collect()
}

#[test]
fn campaign_with_sweep_corners_and_montecarlo_stacks_runs() {
    if !require::ngspice_or_skip() {
        return;
    }
    let py = python();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("rc.cir"), RC).unwrap();
    fs::write(root.join("c.toml"), campaign_toml("out/rc.h5", None)).unwrap();
    fs::write(
        root.join("r.toml"),
        campaign_toml("out/rc-resampled.h5", Some(101)),
    )
    .unwrap();
    let cache = root.join("cache");
    let mut outputs = Vec::new();
    for toml in ["c.toml", "r.toml"] {
        let out = Command::new(bin())
            .arg("run")
            .arg(root.join(toml))
            .arg("--json")
            .arg("--cache")
            .arg(&cache)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        outputs.push(v["output"].as_str().unwrap().to_string());
    }
    let native = PathBuf::from(&outputs[0]);
    let resampled = PathBuf::from(&outputs[1]);
    assert_eq!(native, root.join("out/rc.h5"));
    assert!(resampled.is_file());

    // Run-level values, read back with the Rust bindings.
    let f = spicelab::store_hdf5::hdf5::File::open(&native).unwrap();
    let keys = read_strings(&f, "job_key");
    assert_eq!(keys.len(), 8);
    let corner = read_strings(&f, "corner");
    let rs: Vec<f64> = f.dataset("rs").unwrap().read_raw().unwrap();
    let r1: Vec<f64> = f.dataset("r1").unwrap().read_raw().unwrap();
    let c1: Vec<f64> = f.dataset("c1").unwrap().read_raw().unwrap();
    for i in 0..8 {
        assert_eq!(
            rs[i],
            if corner[i] == "fast" { 1.0 } else { 100.0 },
            "run {i}"
        );
        assert!(r1[i] == 1000.0 || r1[i] == 2000.0);
        assert!((95e-9..=105e-9).contains(&c1[i]), "c1 {}", c1[i]);
    }
    assert_eq!(r1.iter().filter(|&&x| x == 1000.0).count(), 4);
    let runs = cached_runs(&cache, &keys);
    let width = runs.iter().map(|r| r.0.len()).max().unwrap();
    let pad = |v: &[f64]| -> Vec<Value> {
        let mut row: Vec<Value> = v.iter().map(|&x| nan_null(x)).collect();
        row.resize(width, Value::Null);
        row
    };
    let vout: Vec<Vec<Value>> = runs.iter().map(|r| pad(&r.1)).collect();
    let time: Vec<Vec<Value>> = runs.iter().map(|r| pad(&r.0)).collect();
    let n_points: Vec<usize> = runs.iter().map(|r| r.0.len()).collect();
    // t50 by linear interpolation of the cached waveform, as the measure does.
    let t50: Vec<f64> = runs
        .iter()
        .map(|(t, v)| {
            let i = v.iter().position(|&x| x >= 0.5).unwrap();
            t[i - 1] + (0.5 - v[i - 1]) * (t[i] - t[i - 1]) / (v[i] - v[i - 1])
        })
        .collect();
    let pass: Vec<i8> = t50.iter().map(|&t| i8::from(t <= 150e-6)).collect();
    let m: Vec<f64> = f.dataset("measure/t50").unwrap().read_raw().unwrap();
    for (a, b) in m.iter().zip(&t50) {
        assert!((a - b).abs() <= 1e-9 * b.abs() + 1e-15, "t50 {a} vs {b}");
    }
    assert!(
        pass.contains(&0) && pass.contains(&1),
        "the spec splits the runs: {pass:?}"
    );
    let params = json!({"r1": r1, "rs": rs, "c1": c1, "corner": corner, "job_key": keys,
                        "status": vec!["ok"; 8]});
    let expect = json!({"root_attrs": {"spicelab_hdf5_version": 1, "kind": "campaign",
                                   "simulator": "ngspice", "grid": "native"},
    "groups": {
        "/": {"dims": {"run": 8}, "coords": params,
              "vars": {"pass": {"dims": ["run"], "values": pass}}},
        "tran": {"dims": {"run": 8, "point": width},
            "coords": {"run": (0..8).collect::<Vec<_>>(), "time": time, "n_points": n_points,
                       "r1": r1, "corner": corner, "c1": c1},
            "attrs": {"grid": "native"},
            "vars": {"v(out)": {"dims": ["run", "point"], "units": "V", "values": vout}}},
        "measure": {"dims": {"run": 8},
            "vars": {"t50": {"dims": ["run"], "values": t50},
                     "t50_pass": {"dims": ["run"], "values": pass}}},
    }});
    if let Some(py) = py {
        check(py, &native, &expect);
    }
    // spicelab's own reader: the runs as rows, each equal to the cache.
    let reader = spicelab::store_hdf5::H5Reader::open(&native).unwrap();
    assert_eq!(reader.kind(), "campaign");
    let tran = &reader.plots()[0];
    assert_eq!(tran.group, "tran");
    let rows = tran.rows.as_ref().unwrap();
    assert_eq!(rows.dim, "run");
    assert_eq!(rows.lengths, n_points);
    let vi = tran.header.find("v(out)").unwrap();
    for (r, (t, v)) in runs.iter().enumerate() {
        let got_t = reader.read(0, 0, Some(r), 0..t.len()).unwrap().to_f64();
        let got_v = reader.read(0, vi, Some(r), 0..v.len()).unwrap().to_f64();
        assert_eq!(&got_t, t, "run {r}");
        assert_eq!(&got_v, v, "run {r}");
    }

    // Resampled: one `time` dimension of 101 points over the span all runs cover.
    let t0 = runs.iter().map(|r| r.0[0]).fold(f64::MIN, f64::max);
    let t1 = runs
        .iter()
        .map(|r| *r.0.last().unwrap())
        .fold(f64::MAX, f64::min);
    let grid: Vec<f64> = (0..101)
        .map(|j| t0 + (t1 - t0) * j as f64 / 100.0)
        .collect();
    let interp = |t: &[f64], v: &[f64], g: f64| -> f64 {
        let i = t.iter().position(|&x| x >= g).unwrap();
        if i == 0 || t[i] == g {
            return v[i];
        }
        v[i - 1] + (v[i] - v[i - 1]) * (g - t[i - 1]) / (t[i] - t[i - 1])
    };
    let vres: Vec<Vec<f64>> = runs
        .iter()
        .map(|(t, v)| grid.iter().map(|&g| interp(t, v, g)).collect())
        .collect();
    let fr = spicelab::store_hdf5::hdf5::File::open(&resampled).unwrap();
    let got: Vec<f64> = fr.dataset("tran/v(out)").unwrap().read_raw().unwrap();
    assert_eq!(got.len(), 8 * 101);
    for (r, row) in vres.iter().enumerate() {
        for (j, want) in row.iter().enumerate() {
            let g = got[r * 101 + j];
            assert!((g - want).abs() < 1e-9, "run {r} point {j}: {g} vs {want}");
        }
    }
    let expect = json!({"root_attrs": {"grid": "resampled"}, "groups": {
        "tran": {"dims": {"run": 8, "time": 101}, "coords": {"time": grid, "r1": r1},
                 "attrs": {"grid": "resampled"},
                 "vars": {"v(out)": {"dims": ["run", "time"], "units": "V", "values": vres}}}}});
    if let Some(py) = py {
        check(py, &resampled, &expect);
    }
    // The reader: a shared 1-D time, every run a full row.
    let reader = spicelab::store_hdf5::H5Reader::open(&resampled).unwrap();
    let tran = &reader.plots()[0];
    assert_eq!(tran.rows.as_ref().unwrap().lengths, vec![101; 8]);
    assert_eq!(reader.read(0, 0, None, 0..101).unwrap().to_f64(), grid);
    let whole = reader.read_plot(0).unwrap();
    assert_eq!(
        whole.steps.starts,
        (0..8).map(|r| r * 101).collect::<Vec<u64>>()
    );
    let vi = tran.header.find("v(out)").unwrap();
    assert_eq!(whole.columns[vi].to_f64(), got);
}

/// A RAW file of `n` points of noise-like values (compresses badly).
fn big_raw(path: &Path, n: usize) {
    gen_raw(path, n, false)
}

/// A zstd-compressed RAW file of `n` points, each value one of 16 random
/// numbers: every byte plane compresses (none is stored as it is) and
/// deflate level 9 is slow on it (seconds for 80 MB), so an export can be
/// killed midway. Compressed, it takes a few MB of disk, not 80 MB (CI
/// machines can be short of disk).
fn slow_raw_zst(path: &Path, n: usize) {
    gen_raw(path, n, true)
}

fn gen_raw(path: &Path, n: usize, few_values: bool) {
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let table: Vec<f64> = (0..16).map(|_| rand()).collect();
    let mut next = move || {
        let r = rand();
        if few_values {
            table[(r * 16.0) as usize % 16]
        } else {
            r
        }
    };
    let t: Vec<f64> = (0..n).map(|i| i as f64 * 1e-9).collect();
    let cols: Vec<Column> = std::iter::once(Column::F64(t))
        .chain((0..4).map(|_| Column::F64((0..n).map(|_| next()).collect())))
        .collect();
    let plot = Plot {
        header: PlotHeader {
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real"),
            n_points: n as u64,
            variables: std::iter::once(Variable::new(0, "time", "time"))
                .chain((1..5).map(|i| Variable::new(i, format!("v(n{i})"), "voltage")))
                .collect(),
            ..PlotHeader::default()
        },
        columns: cols,
        steps: Steps::single(n as u64),
    };
    if path.extension().is_some_and(|e| e == "zst") {
        let mut z = zstd::Encoder::new(fs::File::create(path).unwrap(), 3).unwrap();
        raw_stream::write_plot(&mut z, RawFormat::NgspiceBinary, &plot).unwrap();
        z.finish().unwrap();
    } else {
        write_file(path, RawFormat::NgspiceBinary, &[plot]).unwrap();
    }
}

fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".h5") || n.contains(".h5."))
        .collect()
}

#[test]
fn an_unwritable_target_is_a_clear_error_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let not_dir = dir.path().join("plain.txt");
    fs::write(&not_dir, "x").unwrap();
    for target in [not_dir.join("x.h5"), dir.path().join("missing/dir/x.h5")] {
        let out = export(&fixture("ng39_rc_tran.raw"), &target);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&target.display().to_string()), "{err}");
        assert!(err.contains("temporary file"), "{err}");
        assert!(!target.exists());
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("noise.raw");
    big_raw(&raw, 200_000); // 8 MB of values that do not compress
    let mnt = dir.path().join("small");
    fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&mnt)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!("NOTE: cannot mount a tmpfs here (not root?): full-disk export not tested");
        return;
    }
    let target = mnt.join("x.h5");
    let out = export(&raw, &target);
    let names = leftovers(&mnt);
    let _ = Command::new("umount").arg(&mnt).status();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&target.display().to_string()), "{err}");
    assert!(names.is_empty(), "left behind: {names:?}");
}

/// A campaign whose HDF5 file cannot be written (a full disk) fails with
/// the target named and no file left, and loses nothing: its results are
/// in the cache, so the next run writes the file from cache hits alone.
#[test]
fn a_campaign_file_on_a_full_disk_fails_cleanly_and_the_results_stay_cached() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mnt = root.join("small");
    fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
        .arg(&mnt)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!(
            "NOTE: cannot mount a tmpfs here (not root?): full-disk campaign file not tested"
        );
        return;
    }
    fs::write(root.join("rc.cir"), RC).unwrap();
    fs::write(root.join("full.toml"), campaign_toml("small/rc.h5", None)).unwrap();
    fs::write(root.join("ok.toml"), campaign_toml("out/rc.h5", None)).unwrap();
    let run = |toml: &str| {
        Command::new(bin())
            .arg("run")
            .arg(root.join(toml))
            .arg("--json")
            .arg("--cache")
            .arg(root.join("cache"))
            .output()
            .unwrap()
    };
    let out = run("full.toml");
    let names = leftovers(&mnt);
    let _ = Command::new("umount").arg(&mnt).status();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "output");
    let err = v["error"].as_str().unwrap();
    assert!(
        err.contains("rc.h5") && err.contains("No space left on device"),
        "{err}"
    );
    assert!(names.is_empty(), "left behind: {names:?}");
    // the same jobs with a writable output: every result from the cache
    let out = run("ok.toml");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["jobs"].as_u64(), v["cache_hits"].as_u64()),
        (Some(8), Some(8)),
        "{v}"
    );
    assert!(root.join("out/rc.h5").is_file());
}

#[test]
fn sigkill_mid_export_leaves_no_file_under_the_target_name_and_the_next_export_removes_its_temp() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("slow.raw.zst");
    slow_raw_zst(&raw, 2_000_000); // 80 MB of RAW
    let target = dir.path().join("x.h5");
    let mut child = Command::new(bin())
        .arg("export")
        .arg(&raw)
        .arg("-o")
        .arg(&target)
        .arg("--compression")
        .arg("deflate-9")
        .spawn()
        .unwrap();
    // Wait until the temporary file has data, then kill.
    let t0 = std::time::Instant::now();
    let part = loop {
        let part = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .find(|e| e.file_name().to_string_lossy().ends_with(".part"));
        if let Some(p) = part.filter(|p| p.metadata().map(|m| m.len() > 1 << 20).unwrap_or(false)) {
            break p.path();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the export ended before it could be killed"
        );
        assert!(t0.elapsed().as_secs() < 60);
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    // The temporary name carries the writer's pid: .x.h5.PID.XXXXXX.part
    let name = part.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!(".x.h5.{}.", child.id())),
        "{name} (pid {})",
        child.id()
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!target.exists(), "a half file under the target name");
    assert!(part.exists(), "SIGKILL cannot remove the temporary file");
    // The next export to the same target removes the dead writer's
    // temporary file, says so, and succeeds.
    let small = fixture("ng39_rc_tran.raw");
    let out = export(&small, &target);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("removed") && err.contains(&name), "{err}");
    assert!(!part.exists(), "the stale temporary file is still there");
    assert_eq!(leftovers(dir.path()), ["x.h5"]);
    assert!(spicelab::store_hdf5::hdf5::File::open(&target).is_ok());
}

#[test]
fn a_temporary_file_of_a_running_writer_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x.h5");
    // This test process is alive: its "temporary file" must stay.
    let live = dir
        .path()
        .join(format!(".x.h5.{}.AbC123.part", std::process::id()));
    fs::write(&live, b"being written").unwrap();
    let out = export(&fixture("ng39_rc_tran.raw"), &target);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("left") && err.contains("is running"), "{err}");
    assert_eq!(fs::read(&live).unwrap(), b"being written");
    assert!(target.exists());
}
