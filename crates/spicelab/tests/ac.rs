//! AC results in dB and phase, and the -3 dB band, on real ngspice output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn spicelab(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn rc_lowpass(dir: &Path) -> PathBuf {
    let cir = dir.join("rc.cir");
    std::fs::write(
        &cir,
        "* rc low-pass, 1k and 10n: fc = 15.915 kHz\nV1 in 0 dc 0 ac 1\nR1 in out 1k\nC1 out 0 10n\n.ac dec 200 10 10meg\n.end\n",
    )
    .unwrap();
    let raw = dir.join("rc.raw");
    let st = Command::new("ngspice")
        .arg("-b")
        .arg("-r")
        .arg(&raw)
        .arg(&cir)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(st.status.success());
    raw
}

#[test]
fn the_3db_bandwidth_of_an_rc_lowpass_is_1_over_2_pi_rc() {
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let raw = rc_lowpass(dir.path());
    let (code, text) = spicelab(&["stats", raw.to_str().unwrap(), "--var", "v(out)", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    let ac = &v["plots"][0]["ac"][0];
    assert_eq!(ac["name"], "v(out)");
    let fc = 1.0 / (2.0 * std::f64::consts::PI * 1e3 * 10e-9);
    let bw = ac["bandwidth"].as_f64().unwrap();
    assert!((bw / fc - 1.0).abs() < 0.005, "bandwidth {bw} vs {fc}");
    assert!(ac["f_low"].is_null());
    assert!((ac["peak"].as_f64().unwrap() - 1.0).abs() < 1e-6);
}

#[test]
fn db_and_unwrapped_phase_equal_numpy_on_the_same_values() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ng39_rlc_ac.raw");
    compare_with_numpy(&fixture, &["v(out)", "v(n2)", "i(l1)"]);
    // A 4-stage RC ladder: its phase falls past -180 degrees, so it wraps.
    if !require::ngspice_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cir = dir.path().join("ladder.cir");
    std::fs::write(
        &cir,
        "* 4-stage rc ladder, ac\nV1 n0 0 dc 0 ac 1\nR1 n0 n1 1k\nC1 n1 0 10n\nR2 n1 n2 1k\nC2 n2 0 10n\nR3 n2 n3 1k\nC3 n3 0 10n\nR4 n3 out 1k\nC4 out 0 10n\n.ac dec 50 100 100meg\n.end\n",
    )
    .unwrap();
    let raw = dir.path().join("ladder.raw");
    let st = Command::new("ngspice")
        .arg("-b")
        .arg("-r")
        .arg(&raw)
        .arg(&cir)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(st.status.success());
    let (_, text) = spicelab(&[
        "stats",
        raw.to_str().unwrap(),
        "--var",
        "v(out)",
        "--complex",
        "db",
        "--json",
    ]);
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    let ph = &v["plots"][0]["vectors"][1];
    assert_eq!(ph["name"], "ph(v(out))");
    assert!(ph["min"].as_f64().unwrap() < -300.0, "{ph}");
    compare_with_numpy(&raw, &["v(out)", "v(n2)"]);
}

fn compare_with_numpy(fixture: &Path, names: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let reim = dir.path().join("reim.csv");
    let db = dir.path().join("db.csv");
    for (out, form) in [(&reim, "reim"), (&db, "db")] {
        let (code, _) = spicelab(&[
            "export",
            fixture.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--complex",
            form,
        ]);
        assert_eq!(code, 0);
    }
    let script = r#"
import csv, sys
import numpy as np
reim = list(csv.DictReader(open(sys.argv[1])))
db = list(csv.DictReader(open(sys.argv[2])))
worst = 0.0
for name in sys.argv[3].split(","):
    z = np.array([complex(float(r[f"re({name})"]), float(r[f"im({name})"])) for r in reim])
    want_db = 20 * np.log10(np.abs(z))
    want_ph = np.degrees(np.unwrap(np.angle(z)))
    got_db = np.array([float(r[f"db({name})"]) for r in db])
    got_ph = np.array([float(r[f"ph({name})"]) for r in db])
    worst = max(worst, np.max(np.abs(got_db - want_db)), np.max(np.abs(got_ph - want_ph)))
print(worst)
"#;
    let out = match Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&reim)
        .arg(&db)
        .arg(names.join(","))
        .output()
    {
        Ok(o) if o.status.success() => o,
        other => {
            require::require_or_skip(&format!("python3 with numpy ({other:?})"));
            return;
        }
    };
    let worst: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(worst < 1e-9, "largest difference from numpy: {worst}");
}
