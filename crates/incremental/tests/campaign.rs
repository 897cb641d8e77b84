//! Keys and explanations over real campaign directories.

use std::fs;
use std::path::Path;

use incremental::{
    explain, job, IncludeError, JobError, JobIdentity, JobSpec, Manifest, Reason, Simulator,
};

type R = Result<(), Box<dyn std::error::Error>>;

fn write(root: &Path, rel: &str, text: &str) -> std::io::Result<()> {
    let p = root.join(rel);
    if let Some(d) = p.parent() {
        fs::create_dir_all(d)?;
    }
    fs::write(p, text)
}

/// A campaign: `amp.cir` reaches `models/nmos.inc` -> `models/deep/core.mod`
/// (two levels); `rc.cir` reaches nothing of that; `corner.cir` takes one
/// section of `models/corners.lib`.
fn campaign(root: &Path) -> std::io::Result<()> {
    write(
        root,
        "amp.cir",
        "Amplifier\n* the amp\n.include models/nmos.inc\nV1 in 0 1\nR1 in out {rload}\nM1 out in 0 0 nch\n.op\n.end\n",
    )?;
    write(
        root,
        "models/nmos.inc",
        "* nmos wrapper\n.include deep/core.mod\n",
    )?;
    write(
        root,
        "models/deep/core.mod",
        ".model nch nmos (vto=0.7 kp=1e-4)\n",
    )?;
    write(
        root,
        "rc.cir",
        "RC\nV1 in 0 1\nR1 in out {rload}\nC1 out 0 {cval}\n.param cval=1n\n.op\n.end\n",
    )?;
    write(
        root,
        "corner.cir",
        "Corner\n.lib 'models/corners.lib' tt\nV1 a 0 1\nR1 a 0 {rval}\n.op\n.end\n",
    )?;
    write(
        root,
        "models/corners.lib",
        "* corners\n.lib tt\n.param rval=3k\n.endl tt\n.lib ss\n.param rval=7k\n.endl ss\n",
    )?;
    Ok(())
}

fn sim39() -> Simulator {
    Simulator::new("ngspice", "39")
}

fn ident(
    root: &Path,
    netlist: &str,
    params: &[(&str, &str)],
    sim: &Simulator,
) -> Result<JobIdentity, JobError> {
    let path = root.join(netlist);
    let spec = JobSpec {
        netlist_path: &path,
        root,
        params,
        simulator: sim,
        analysis: ".op",
        save: &["v(out)".to_owned()],
        cache_format: 1,
    };
    Ok(job(&spec)?.identity)
}

/// Keys of the campaign's jobs: amp and rc over rload in {1k, 10k}, plus corner.
fn keys(root: &Path, sim: &Simulator) -> Result<Vec<String>, JobError> {
    let mut out = Vec::new();
    for net in ["amp.cir", "rc.cir"] {
        for r in ["1k", "10k"] {
            out.push(ident(root, net, &[("rload", r)], sim)?.key());
        }
    }
    out.push(ident(root, "corner.cir", &[], sim)?.key());
    Ok(out)
}

#[test]
fn comments_spacing_and_case_change_no_key() -> R {
    let dir = tempfile::tempdir()?;
    campaign(dir.path())?;
    let before = keys(dir.path(), &sim39())?;
    write(
        dir.path(),
        "amp.cir",
        "Amplifier, new title\n* the amplifier, edited\n\n.INCLUDE   models/nmos.inc  ; models\nv1 IN 0   1 $ supply\nR1 in\n* between\n+ OUT {RLOAD}\nm1 out in 0 0 NCH // the device\n.OP\n.END\n",
    )?;
    write(
        dir.path(),
        "models/deep/core.mod",
        "* a comment\n.MODEL  nch NMOS ( vto = 0.7  kp=1e-4 )\n",
    )?;
    assert_eq!(keys(dir.path(), &sim39())?, before);
    Ok(())
}

#[test]
fn deep_model_edit_changes_exactly_the_jobs_that_include_it() -> R {
    let dir = tempfile::tempdir()?;
    campaign(dir.path())?;
    let sim = sim39();
    let old = ident(dir.path(), "amp.cir", &[("rload", "1k")], &sim)?;
    assert_eq!(
        old.includes
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["models/nmos.inc", "models/deep/core.mod"]
    );
    let mut manifest = Manifest::new("c");
    manifest.record("amp-1k", &old);
    let before = keys(dir.path(), &sim)?;
    write(
        dir.path(),
        "models/deep/core.mod",
        ".model nch nmos (vto=0.65 kp=1e-4)\n",
    )?;
    let after = keys(dir.path(), &sim)?;
    // amp (two jobs) changed; rc (two jobs) and corner did not
    let changed: Vec<bool> = before.iter().zip(&after).map(|(a, b)| a != b).collect();
    assert_eq!(changed, [true, true, false, false, false]);
    let new = ident(dir.path(), "amp.cir", &[("rload", "1k")], &sim)?;
    let why = explain(manifest.entry("amp-1k"), &new);
    assert_eq!(
        why,
        Reason::IncludeChanged {
            file: "models/deep/core.mod".into()
        }
    );
    assert_eq!(
        why.to_string(),
        "run: included file models/deep/core.mod changed"
    );
    Ok(())
}

#[test]
fn a_parameter_change_touches_only_the_jobs_with_that_value() -> R {
    let dir = tempfile::tempdir()?;
    campaign(dir.path())?;
    let sim = sim39();
    let job_params = |rload: &'static str, cval: &'static str| [("rload", rload), ("cval", cval)];
    let mut manifest = Manifest::new("rc");
    let mut before = Vec::new();
    for (i, (r, c)) in [("1k", "1n"), ("1k", "2n"), ("10k", "1n"), ("10k", "2n")]
        .into_iter()
        .enumerate()
    {
        let id = ident(dir.path(), "rc.cir", &job_params(r, c), &sim)?;
        manifest.record(i.to_string(), &id);
        before.push(id.key());
    }
    // the sweep of rload becomes [1k, 20k]
    let mut reasons = Vec::new();
    for (i, (r, c)) in [("1k", "1n"), ("1k", "2n"), ("20k", "1n"), ("20k", "2n")]
        .into_iter()
        .enumerate()
    {
        let id = ident(dir.path(), "rc.cir", &job_params(r, c), &sim)?;
        assert_eq!(id.key() == before[i], i < 2, "job {i}");
        reasons.push(explain(manifest.entry(&i.to_string()), &id));
    }
    assert_eq!(reasons[0], Reason::Unchanged);
    assert_eq!(
        reasons[0].to_string(),
        "skip: nothing changed since the last run"
    );
    assert_eq!(
        reasons[2],
        Reason::ParamsChanged {
            name: "rload".into(),
            old: Some("10k".into()),
            new: Some("20k".into())
        }
    );
    assert_eq!(
        reasons[3].to_string(),
        "run: parameter rload changed from 10k to 20k"
    );
    // a job the last run did not have
    let id = ident(dir.path(), "rc.cir", &job_params("1k", "1n"), &sim)?;
    assert_eq!(
        explain(manifest.entry("99"), &id).to_string(),
        "run: new job (not in the last run)"
    );
    Ok(())
}

#[test]
fn the_campaign_default_is_replaced_and_a_stray_parameter_refused() -> R {
    let dir = tempfile::tempdir()?;
    campaign(dir.path())?;
    let path = dir.path().join("rc.cir");
    let sim = sim39();
    let spec = JobSpec {
        netlist_path: &path,
        root: dir.path(),
        params: &[("rload", "1k"), ("cval", "5n")],
        simulator: &sim,
        analysis: ".op",
        save: &[],
        cache_format: 1,
    };
    let j = job(&spec)?;
    assert_eq!(
        j.text,
        "RC\n.param rload=1k\n.param cval=5n\nV1 in 0 1\nR1 in out {rload}\nC1 out 0 {cval}\n* spicelab: replaced by the campaign: .param cval=1n\n.op\n.end\n"
    );
    let bad = JobSpec {
        params: &[("rlaod", "1k")],
        ..spec
    };
    let err = job(&bad).err().ok_or("a misspelt parameter was accepted")?;
    let text = err.to_string();
    assert!(
        text.contains("rc.cir") && text.contains("`rlaod` is never used"),
        "{text}"
    );
    Ok(())
}

#[test]
fn another_simulator_version_changes_every_key_and_says_so() -> R {
    let dir = tempfile::tempdir()?;
    campaign(dir.path())?;
    let a = keys(dir.path(), &sim39())?;
    let b = keys(dir.path(), &Simulator::new("ngspice", "40"))?;
    assert!(a.iter().zip(&b).all(|(x, y)| x != y));
    let old = ident(dir.path(), "rc.cir", &[("rload", "1k")], &sim39())?;
    let new = ident(
        dir.path(),
        "rc.cir",
        &[("rload", "1k")],
        &Simulator::new("ngspice", "40"),
    )?;
    let mut m = Manifest::new("c");
    m.record("j", &old);
    assert_eq!(
        explain(m.entry("j"), &new).to_string(),
        "run: simulator changed from ngspice 39 to ngspice 40"
    );
    // a new cache format reruns everything
    let newer = JobIdentity {
        cache_format: 2,
        ..old.clone()
    };
    assert_eq!(
        explain(m.entry("j"), &newer).to_string(),
        "run: cache format changed from version 1 to 2 (every job runs again)"
    );
    let resaved = JobIdentity {
        save: vec!["v(in)".into()],
        ..old
    };
    assert_eq!(explain(m.entry("j"), &resaved), Reason::SettingsChanged);
    Ok(())
}

#[test]
fn a_moved_campaign_gives_the_same_keys() -> R {
    let a = tempfile::tempdir()?;
    let b = tempfile::tempdir()?;
    campaign(a.path())?;
    let moved = b.path().join("deeper/elsewhere");
    fs::create_dir_all(&moved)?;
    for rel in [
        "amp.cir",
        "rc.cir",
        "corner.cir",
        "models/nmos.inc",
        "models/deep/core.mod",
        "models/corners.lib",
    ] {
        write(&moved, rel, &fs::read_to_string(a.path().join(rel))?)?;
    }
    assert_eq!(keys(a.path(), &sim39())?, keys(&moved, &sim39())?);
    Ok(())
}

#[test]
fn a_cycle_and_a_missing_file_name_the_chain() -> R {
    let dir = tempfile::tempdir()?;
    write(dir.path(), "a.cir", "top\n.include models/b.lib\n.end\n")?;
    write(dir.path(), "models/b.lib", "* b\n.include ../a.cir\n")?;
    let err = incremental::resolve_file(&dir.path().join("a.cir"), dir.path())
        .err()
        .ok_or("the cycle was not found")?;
    assert!(matches!(err, IncludeError::Cycle { .. }));
    // the line as an editor counts it: line 1 of b.lib is its comment
    assert_eq!(
        err.to_string(),
        "models/b.lib:2: include cycle: a.cir -> models/b.lib -> a.cir"
    );

    write(dir.path(), "models/b.lib", "* b\n.include sub/c.mod\n")?;
    let err = incremental::resolve_file(&dir.path().join("a.cir"), dir.path())
        .err()
        .ok_or("the missing file was not reported")?;
    let text = err.to_string();
    assert!(
        matches!(err, IncludeError::Missing { line: 2, .. }),
        "{text}"
    );
    assert!(
        text.starts_with("models/b.lib:2: included file `sub/c.mod` not found"),
        "{text}"
    );
    assert!(
        text.ends_with("include chain: a.cir -> models/b.lib -> models/sub/c.mod"),
        "{text}"
    );
    assert!(
        text.contains(&dir.path().join("models/sub/c.mod").display().to_string()),
        "{text}"
    );
    Ok(())
}

#[test]
fn a_lib_section_is_all_that_is_hashed() -> R {
    let dir = tempfile::tempdir()?;
    campaign(dir.path())?;
    let sim = sim39();
    let before = ident(dir.path(), "corner.cir", &[], &sim)?;
    assert_eq!(before.includes.len(), 1);
    assert_eq!(before.includes[0].0, "models/corners.lib[tt]");
    assert_eq!(
        before.includes[0].1,
        incremental::sha256_hex(b".param rval=3k\n")
    );
    // editing another section changes nothing
    write(
        dir.path(),
        "models/corners.lib",
        "* corners\n.lib tt\n.param rval=3k\n.endl tt\n.lib ss\n.param rval=8k\n.endl ss\n.lib ff\n.param rval=1k\n.endl ff\n",
    )?;
    assert_eq!(
        ident(dir.path(), "corner.cir", &[], &sim)?.key(),
        before.key()
    );
    // editing the section taken does
    write(
        dir.path(),
        "models/corners.lib",
        "* corners\n.lib tt\n.param rval=3.3k\n.endl tt\n",
    )?;
    assert_ne!(
        ident(dir.path(), "corner.cir", &[], &sim)?.key(),
        before.key()
    );
    // a section that is not there
    write(dir.path(), "models/corners.lib", ".lib ss\n.endl\n")?;
    let err = ident(dir.path(), "corner.cir", &[], &sim)
        .err()
        .ok_or("missing section accepted")?;
    assert_eq!(
        err.to_string(),
        "corner.cir:2: section `tt` not found in `models/corners.lib`; include chain: corner.cir -> models/corners.lib[tt]"
    );
    Ok(())
}

#[test]
fn the_manifest_round_trips_and_refuses_other_versions() -> R {
    let dir = tempfile::tempdir()?;
    campaign(dir.path())?;
    let path = dir.path().join("cache/manifest.json");
    fs::create_dir_all(dir.path().join("cache"))?;
    assert_eq!(Manifest::load(&path)?, None);
    let mut m = Manifest::new("amp");
    let id = ident(dir.path(), "amp.cir", &[("rload", "1k")], &sim39())?;
    m.record("0", &id);
    m.save(&path)?;
    let back = Manifest::load(&path)?.ok_or("manifest vanished")?;
    assert_eq!(back, m);
    let entry = back.entry("0").ok_or("entry vanished")?;
    assert_eq!(entry.key, id.key());
    assert_eq!(entry.params.get("rload").map(String::as_str), Some("1k"));
    assert_eq!(entry.includes.len(), 2);
    let json: serde_json::Value = serde_json::from_slice(&fs::read(&path)?)?;
    assert_eq!(json["manifest_version"], 1);
    assert_eq!(json["jobs"]["0"]["simulator"]["version"], "39");

    fs::write(
        &path,
        "{\"manifest_version\": 7, \"campaign\": \"x\", \"jobs\": {}}",
    )?;
    let err = Manifest::load(&path).err().ok_or("version 7 accepted")?;
    assert!(err.to_string().contains("has version 7"), "{err}");
    fs::write(&path, "{not json")?;
    let err = Manifest::load(&path).err().ok_or("garbage accepted")?;
    assert!(err.to_string().contains("manifest.json"), "{err}");
    Ok(())
}

#[test]
fn keys_are_lowercase_hex_sha256_of_the_documented_serialisation() -> R {
    let id = JobIdentity {
        netlist: "r1 a 0 1k\n".into(),
        params: vec![("r".into(), "1k".into())],
        includes: vec![],
        simulator: sim39(),
        analysis: ".op".into(),
        save: vec![],
        cache_format: 1,
    };
    let s = String::from_utf8(id.serialise())?;
    assert_eq!(
        s,
        "spicelab-job-key v1\nnetlist 10:r1 a 0 1k\n\nparams 1:1\nparam.name 1:r\nparam.value 2:1k\nincludes 1:0\nsimulator.name 7:ngspice\nsimulator.version 2:39\nanalysis 3:.op\nsave 1:0\ncache_format 1:1\n"
    );
    let key = id.key();
    assert_eq!(key.len(), 64);
    assert!(key
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    assert_eq!(key, incremental::sha256_hex(s.as_bytes()));
    Ok(())
}
