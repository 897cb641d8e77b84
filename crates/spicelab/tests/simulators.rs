//! `spicelab run` when the campaign's simulator cannot be used: not
//! installed (each adapter names its program and how to point spicelab at
//! it) or a program that does not say a version. Nothing is run, nothing
//! is cached, and the error is a usage error (exit 2), in text and `--json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;

fn campaign(dir: &Path, simulator: &str) -> std::path::PathBuf {
    fs::write(dir.join("rc.cir"), "rc\nR1 a 0 {r1}\nV1 a 0 1\n.op\n.end\n").unwrap();
    let p = dir.join(format!("{simulator}.toml"));
    fs::write(
        &p,
        format!(
            "[campaign]\nname = \"t\"\nnetlist = \"rc.cir\"\nsimulator = \"{simulator}\"\n\
             [sweep]\nr1 = [\"1k\", \"2k\"]\n"
        ),
    )
    .unwrap();
    p
}

fn run_with(dir: &Path, toml: &Path, env: (&str, &str), json: bool) -> (i32, String, String) {
    let mut c = common::bin();
    c.arg("run").arg(toml).arg("--cache").arg(dir.join("cache"));
    if json {
        c.arg("--json");
    }
    let out = c.env(env.0, env.1).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_missing_simulator_is_named_with_the_variable_that_points_at_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (sim, var, hint) in [
        (
            "xyce",
            "SPICELAB_XYCE",
            "is xyce installed? see https://xyce.sandia.gov; or set SPICELAB_XYCE to its path",
        ),
        (
            "ltspice",
            "SPICELAB_LTSPICE",
            "is ltspice installed? set SPICELAB_LTSPICE to a script that runs LTspice",
        ),
        ("ngspice", "SPICELAB_NGSPICE", "is ngspice installed?"),
    ] {
        let toml = campaign(d, sim);
        let (code, out, err) = run_with(d, &toml, (var, "/nonexistent/sim"), false);
        assert_eq!(code, 2, "{sim}: {err}");
        assert!(out.is_empty(), "{sim}: {out}");
        assert!(
            err.contains("cannot run `/nonexistent/sim` to ask its version") && err.contains(hint),
            "{sim}: {err}"
        );
        assert!(!d.join("cache").exists() || fs::read_dir(d.join("cache")).unwrap().count() == 0);
    }
}

#[test]
fn a_program_that_prints_no_version_is_refused_with_what_it_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // a script standing in for ngspice: it answers, but not with a version
    let fake = d.join("fake-ngspice");
    fs::write(&fake, "#!/bin/sh\necho 'hello from a fake'\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let toml = campaign(d, "ngspice");
    let fake = fake.to_str().unwrap();
    let (code, _, err) = run_with(d, &toml, ("SPICELAB_NGSPICE", fake), false);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim(),
        format!("error: `{fake}` did not say its version (output: \"hello from a fake\")")
    );
    let (code, out, _) = run_with(d, &toml, ("SPICELAB_NGSPICE", fake), true);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "usage");
    assert_eq!(
        v["error"],
        format!("`{fake}` did not say its version (output: \"hello from a fake\")")
    );
}
