//! What ngspice 39 does, checked with the real simulator (skipped, with a
//! note, where `ngspice` is not installed).

use std::fs;
use std::path::Path;
use std::process::Command;

fn ngspice_op(netlist: &Path, cwd: &Path) -> Option<String> {
    let out = Command::new("ngspice")
        .arg("-b")
        .arg(netlist)
        .current_dir(cwd)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn a_two_level_include_resolves_relative_to_the_including_file(
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let camp = dir.path().join("camp");
    fs::create_dir_all(camp.join("models/sub"))?;
    fs::create_dir_all(camp.join("sub"))?;
    let net = camp.join("top.cir");
    fs::write(&net, "inc test\n.include models/a.inc\nV1 a 0 1\nR1 a 0 {rval}\n.control\nop\nprint i(v1)\n.endc\n.end\n")?;
    fs::write(camp.join("models/a.inc"), ".include sub/b.inc\n")?;
    fs::write(camp.join("models/sub/b.inc"), ".param rval=2k\n")?;
    // a decoy beside the netlist: the wrong rule would pick it
    fs::write(camp.join("sub/b.inc"), ".param rval=9k\n")?;
    // an empty working directory, as the simulator adapter gives ngspice
    let work = dir.path().join("work");
    fs::create_dir_all(&work)?;
    let Some(log) = ngspice_op(&net, &work) else {
        eprintln!("ngspice not installed: resolution rule not checked against it");
        return Ok(());
    };
    assert!(
        log.contains("i(v1) = -5.00000e-04"),
        "ngspice did not use models/sub/b.inc (2k):\n{log}"
    );
    let inc = incremental::resolve_file(&net, &camp)?;
    let names: Vec<&str> = inc.iter().map(|i| i.logical.as_str()).collect();
    assert_eq!(names, ["models/a.inc", "models/sub/b.inc"]);
    Ok(())
}

#[test]
fn inline_comments_are_cut_where_ngspice_cuts_them() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let net = dir.path().join("c.cir");
    let body = "V1 a 0 1 $ 5\nV2 b 0 2 $7\nV3 c 0 3 ; 9\nV4 d 0 4;9\nV5 e 0 5 // 9\nV6 f 0 6//9\nR1 a 0 1k\nR2 b 0 1k\nR3 c 0 1k\nR4 d 0 1k\nR5 e 0 1k\nR6 f 0 1k\n";
    fs::write(
        &net,
        format!("comments\n{body}.control\nop\nprint v(a) v(b) v(c) v(d) v(e) v(f)\n.endc\n.end\n"),
    )?;
    let Some(log) = ngspice_op(&net, dir.path()) else {
        eprintln!("ngspice not installed: comment rules not checked against it");
        return Ok(());
    };
    for (n, v) in ["a", "b", "c", "d", "e", "f"].iter().zip(1..) {
        assert!(
            log.contains(&format!("v({n}) = {v}.000000e+00")),
            "v({n}):\n{log}"
        );
    }
    let c = incremental::canonicalise_include(body);
    assert_eq!(
        &c.lines[..6],
        ["v1 a 0 1", "v2 b 0 2", "v3 c 0 3", "v4 d 0 4", "v5 e 0 5", "v6 f 0 6"]
    );
    Ok(())
}

#[test]
fn a_lib_section_takes_its_own_references_relative_to_the_lib(
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    fs::create_dir_all(dir.path().join("models"))?;
    let net = dir.path().join("lib.cir");
    fs::write(&net, "lib test\n.lib 'models/m2.lib' tt\nV1 a 0 {cval}\nR1 a 0 {rval}\n.control\nop\nprint i(v1)\n.endc\n.end\n")?;
    fs::write(
        dir.path().join("models/m2.lib"),
        "* lib\n.lib common\n.param cval=1\n.endl common\n.lib tt\n.param rval=3k\n.lib m2.lib common\n.endl tt\n.lib ss\n.param rval=7k\n.endl ss\n",
    )?;
    let work = tempfile::tempdir()?;
    let Some(log) = ngspice_op(&net, work.path()) else {
        eprintln!("ngspice not installed: .lib sections not checked against it");
        return Ok(());
    };
    assert!(
        log.contains("i(v1) = -3.33333e-04"),
        "ngspice did not take tt + common:\n{log}"
    );
    let inc = incremental::resolve_file(&net, dir.path())?;
    let names: Vec<&str> = inc.iter().map(|i| i.logical.as_str()).collect();
    assert_eq!(names, ["models/m2.lib[tt]", "models/m2.lib[common]"]);
    Ok(())
}
