//! Looking variables up by name and index on real ngspice output: found
//! case-insensitively, and a miss lists the names there are.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use raw_stream::{RawError, RawFile};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

#[test]
fn names_are_found_and_a_miss_lists_what_is_there() {
    let raw = RawFile::open(fixture("ng39_bjt_noise.raw")).unwrap();
    let p = raw.plot(0).unwrap();
    assert_eq!(p.index(), 0);
    assert_eq!(p.file().path(), raw.path());
    let n = p.header().variables.len();
    assert!(n > 12, "{n} variables");
    // exact, then case-insensitive
    let name = p.header().variables[3].name.clone();
    assert_eq!(p.var_index(&name).unwrap(), 3);
    assert_eq!(p.var_index(&name.to_uppercase()).unwrap(), 3);
    let col = p.column(&name).unwrap();
    assert_eq!(col.len() as u64, p.info().complete_points);
    assert_eq!(col, p.column_at(3).unwrap());
    // a miss names the file, the plot and the first 12 names, then "..."
    let e = p.var_index("v(nowhere)").unwrap_err();
    let RawError::NoSuchVariable {
        plot,
        name: missing,
        available,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((*plot, missing.as_str()), (0, "v(nowhere)"));
    let first12: Vec<&str> = p.header().variables[..12]
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(available, &format!("{}, ...", first12.join(", ")));
    assert!(e.to_string().contains("v(nowhere)"), "{e}");
    assert!(matches!(
        p.column("v(nowhere)"),
        Err(RawError::NoSuchVariable { .. })
    ));
    // an index past the variables
    let RawError::NoSuchVariable {
        name, available, ..
    } = p.column_at(n).unwrap_err()
    else {
        panic!()
    };
    assert_eq!(name, format!("#{n}"));
    assert_eq!(available, format!("{n} variables"));
    // a plot of few variables lists them all, without "..."
    let small = RawFile::open(fixture("ng39_rc_tran.raw")).unwrap();
    let q = small.plot(0).unwrap();
    let RawError::NoSuchVariable { available, .. } = q.var_index("x").unwrap_err() else {
        panic!()
    };
    let all: Vec<&str> = q
        .header()
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(available, all.join(", "));
}
