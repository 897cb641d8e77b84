//! `spicelab convert` between every pair of layouts: values come back bit
//! for bit, on real ngspice files and the LTspice samples of the corpus.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../raw-stream/tests/common/require.rs"]
mod require;

use raw_stream::RawFile;
use std::path::{Path, PathBuf};
use std::process::Command;
use waveform::{Column, SimResult};

const FORMATS: [&str; 4] = [
    "ngspice-binary",
    "ngspice-ascii",
    "ltspice",
    "ltspice-fastaccess",
];

fn convert(input: &Path, output: &Path, format: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .args(["-q", "convert"])
        .arg(input)
        .arg("-o")
        .arg(output)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "convert {} -> {format}: {}",
        input.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every value as (re, im) bit patterns of f64: an f32 value widens exactly.
fn bits(c: &Column) -> Vec<(u64, u64)> {
    (0..c.len())
        .map(|i| {
            if c.value_type().is_complex() {
                let z = c.get_complex(i).unwrap();
                (z.re.to_bits(), z.im.to_bits())
            } else {
                (c.get_f64(i).unwrap().to_bits(), 0)
            }
        })
        .collect()
}

fn assert_same(a: &SimResult, b: &SimResult, what: &str) {
    assert_eq!(a.plots.len(), b.plots.len(), "{what}");
    for (pa, pb) in a.plots.iter().zip(&b.plots) {
        assert_eq!(pa.header.plotname, pb.header.plotname, "{what}");
        let names = |p: &waveform::Plot| {
            p.header
                .variables
                .iter()
                .map(|v| v.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(pa), names(pb), "{what}");
        assert_eq!(pa.len(), pb.len(), "{what}");
        for (k, (ca, cb)) in pa.columns.iter().zip(&pb.columns).enumerate() {
            assert_eq!(
                bits(ca),
                bits(cb),
                "{what}: plot '{}' column {k}",
                pa.header.plotname
            );
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut v: Vec<PathBuf> = [
        "ng39_rc_tran.raw",
        "ng39_rlc_ac.raw",
        "ng39_multi_op_tran_ac.raw",
        "ng39_rc_tran_ascii.raw",
        "ng39_bjt_noise.raw",
    ]
    .iter()
    .map(|n| root.join(n))
    .collect();
    if let Some(corpus) = require::corpus_dir(env!("CARGO_MANIFEST_DIR")) {
        for n in [
            "ltspice_tran_normal.raw",
            "ltspice_tran_fastaccess.raw",
            "ltspice_rl_tran_double.raw",
            "ltspice_ac_step.raw",
        ] {
            v.push(corpus.join(n));
        }
    }
    v
}

#[test]
fn every_pair_of_layouts_round_trips_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for src in sources() {
        let original = RawFile::open(&src).unwrap().read_all().unwrap();
        let stem = src.file_stem().unwrap().to_string_lossy().into_owned();
        for a in FORMATS {
            let first = dir.path().join(format!("{stem}.{a}.raw"));
            convert(&src, &first, a);
            let once = RawFile::open(&first).unwrap().read_all().unwrap();
            assert_same(&original, &once, &format!("{stem} -> {a}"));
            for b in FORMATS {
                let second = dir.path().join(format!("{stem}.{a}.{b}.raw"));
                convert(&first, &second, b);
                let twice = RawFile::open(&second).unwrap().read_all().unwrap();
                assert_same(&original, &twice, &format!("{stem} -> {a} -> {b}"));
                checked += 1;
            }
        }
    }
    assert!(checked >= 5 * 16, "{checked}");
}

#[test]
fn convert_refuses_its_input_as_output_and_leaves_no_half_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.raw");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ng39_rc_tran.raw"),
        &src,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .arg("convert")
        .arg(&src)
        .arg("-o")
        .arg(&src)
        .args(["--format", "ltspice"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the input file"));
    // a file cut short is an input error; nothing appears under the target name
    let bytes = std::fs::read(&src).unwrap();
    let cut = dir.path().join("cut.raw");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let target = dir.path().join("never.raw");
    let out = Command::new(env!("CARGO_BIN_EXE_spicelab"))
        .args(["convert", "--strict"])
        .arg(&cut)
        .arg("-o")
        .arg(&target)
        .args(["--format", "ngspice-ascii"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!target.exists());
}
