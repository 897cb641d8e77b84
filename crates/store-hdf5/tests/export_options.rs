//! `export_raw` under each compression and shuffle setting: LTspice f32
//! vectors, complex AC vectors and stepped plots read back bit for bit
//! (through the HDF5 filter pipeline or the direct chunk writer), the
//! filters each dataset records, zstd's fallback when its plugin is
//! missing, names that need spelling out, and targets that cannot be
//! written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, str_attr as attr};

use hdf5::filters::Filter;
use raw_stream::{write_file, RawFile, RawFormat};
use std::path::Path;
use store_hdf5::{export_raw, Compression, H5Reader, Hdf5Error, Options};
use waveform::{Column, Complex64, Flags, Plot, PlotHeader, Steps, ValueType, Variable};

/// An LTspice transient plot: f64 time, f32 vectors (a NaN payload, a -0.0).
fn ltspice_tran(n: usize) -> Plot {
    let t: Vec<f64> = (0..n).map(|k| k as f64 * 1e-7).collect();
    let mut v: Vec<f32> = (0..n).map(|k| (k as f32 * 0.01).sin()).collect();
    let i: Vec<f32> = (0..n).map(|k| k as f32 * -1e-4).collect();
    v[1] = -0.0;
    v[2] = f32::from_bits(0x7fc0_0abc);
    Plot {
        header: PlotHeader {
            title: "lt".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real forward"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "V(out)", "voltage"),
                Variable::new(2, "I(R1)", "device_current"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(t), Column::F32(v), Column::F32(i)],
        steps: Steps::single(n as u64),
    }
}

/// A stepped plot: 3 steps of 4 points.
fn stepped() -> Plot {
    let mut t = Vec::new();
    let mut v = Vec::new();
    for s in 0..3 {
        for k in 0..4 {
            t.push(k as f64 * 1e-6);
            v.push((s * 10 + k) as f64);
        }
    }
    Plot {
        header: PlotHeader {
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real forward stepped"),
            n_points: 12,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(out)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(t), Column::F64(v)],
        steps: Steps {
            starts: vec![0, 4, 8],
            total: 12,
            params: Vec::new(),
        },
    }
}

fn bits(c: &Column) -> Vec<u64> {
    c.bit_patterns()
}

/// The RAW file's plots as the export stores them (a complex scale as its
/// real part) against what `H5Reader` reads.
fn assert_same(raw: &Path, h5: &Path) {
    let src = RawFile::open(raw).unwrap().read_all().unwrap();
    let r = H5Reader::open(h5).unwrap();
    assert_eq!(r.plots().len(), src.plots.len());
    for (i, want) in src.plots.iter().enumerate() {
        let got = r.read_plot(i).unwrap();
        assert_eq!(got.columns.len(), want.columns.len());
        for (k, (g, w)) in got.columns.iter().zip(&want.columns).enumerate() {
            let w = match (k, w) {
                (0, Column::C64(v)) => Column::F64(v.iter().map(|z| z.re).collect()),
                (_, w) => w.clone(),
            };
            assert_eq!(g.value_type(), w.value_type(), "plot {i} var {k}");
            assert_eq!(bits(g), bits(&w), "plot {i} var {k}");
        }
        assert_eq!(got.steps.starts, want.steps.starts, "plot {i}");
    }
}

#[test]
fn every_compression_and_shuffle_setting_reads_back_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let lt = dir.path().join("lt.raw");
    // 70 points in chunks of 16: edge chunks padded.
    write_file(&lt, RawFormat::LtspiceBinary, &[ltspice_tran(70)]).unwrap();
    let st = dir.path().join("stepped.raw");
    write_file(&st, RawFormat::NgspiceBinary, &[stepped()]).unwrap();
    let sources = [lt, st, fixture("ng39_rlc_ac.raw")];
    let settings = [
        (Compression::None, true, vec![]),
        (Compression::None, false, vec![]),
        (Compression::Deflate(6), false, vec![Filter::Deflate(6)]),
        (
            Compression::Deflate(9),
            true,
            vec![Filter::Shuffle, Filter::Deflate(9)],
        ),
    ];
    for (compression, shuffle, filters) in &settings {
        let opts = Options {
            compression: *compression,
            shuffle: *shuffle,
            chunk_points: 16,
        };
        for raw in &sources {
            let h5 = dir.path().join("out.h5");
            let mut seen = Vec::new();
            let report = export_raw(&RawFile::open(raw).unwrap(), &h5, &opts, &mut |b| {
                seen.push(b)
            })
            .unwrap();
            let what = format!("{} with {compression} shuffle {shuffle}", raw.display());
            assert_eq!(report.compression, *compression, "{what}");
            assert!(report.note.is_none(), "{what}");
            assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{what}: {seen:?}");
            assert_eq!(seen.last().copied(), Some(report.bytes_in), "{what}");
            assert_same(raw, &h5);
            let f = hdf5::File::open(&h5).unwrap();
            assert_eq!(attr(&f, "compression"), compression.to_string());
            let g = f.group(&report.plots[0]).unwrap();
            for name in g.member_names().unwrap() {
                let ds = g.dataset(&name).unwrap();
                if ds.attr("original_name").is_ok() {
                    assert_eq!(&ds.filters(), filters, "{what}: {name}");
                }
            }
        }
    }
    // The LTspice vectors stay f32 and the AC vectors complex, whatever
    // the path their chunks took.
    let h5 = dir.path().join("types.h5");
    let opts = Options {
        compression: Compression::None,
        ..Options::default()
    };
    export_raw(
        &RawFile::open(&sources[0]).unwrap(),
        &h5,
        &opts,
        &mut |_| {},
    )
    .unwrap();
    let r = H5Reader::open(&h5).unwrap();
    assert_eq!(
        r.plots()[0].types,
        [ValueType::F64, ValueType::F32, ValueType::F32]
    );
    let Column::F32(v) = r.read(0, 1, None, 0..3).unwrap() else {
        panic!()
    };
    assert_eq!(v[2].to_bits(), 0x7fc0_0abc);
    assert!(v[1] == 0.0 && v[1].is_sign_negative());
    export_raw(
        &RawFile::open(&sources[2]).unwrap(),
        &h5,
        &opts,
        &mut |_| {},
    )
    .unwrap();
    let r = H5Reader::open(&h5).unwrap();
    assert!(r.plots()[0].types[1..].iter().all(|&t| t == ValueType::C64));
}

#[test]
fn zstd_without_its_plugin_falls_back_to_deflate_and_says_so() {
    if store_hdf5::zstd_available() {
        eprintln!("NOTE: the HDF5 zstd plugin is installed here: no fallback to check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let raw = fixture("ng39_rc_tran.raw");
    let h5 = dir.path().join("z.h5");
    let opts = Options {
        compression: "zstd-7".parse().unwrap(),
        ..Options::default()
    };
    let report = export_raw(&RawFile::open(&raw).unwrap(), &h5, &opts, &mut |_| {}).unwrap();
    assert_eq!(report.compression, Compression::Deflate(1));
    let note = report.note.unwrap();
    assert!(
        note.contains("zstd (level 7)") && note.contains("id 32015") && note.contains("deflate"),
        "{note}"
    );
    let f = hdf5::File::open(&h5).unwrap();
    assert_eq!(attr(&f, "compression"), "deflate-1");
    assert_eq!(Compression::Zstd(7).to_string(), "zstd-7");
    assert_eq!(Compression::None.to_string(), "none");
    drop(f);
    assert_same(&raw, &h5);
}

#[test]
fn compression_names_out_of_range_are_refused_with_the_range() {
    assert_eq!(
        "zstd-23".parse::<Compression>(),
        Err("zstd level 23: use 1..=22".to_string())
    );
    assert_eq!(
        "zstd-0".parse::<Compression>(),
        Err("zstd level 0: use 1..=22".to_string())
    );
    assert_eq!(
        "ZSTD-x".parse::<Compression>(),
        Err("bad level in 'zstd-x'".to_string())
    );
    assert!("none-1".parse::<Compression>().is_err());
    assert_eq!("NONE".parse::<Compression>(), Ok(Compression::None));
}

#[test]
fn a_target_that_is_not_a_regular_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawFile::open(fixture("ng39_rc_tran.raw")).unwrap();
    let target = dir.path().join("out.h5");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let e = export_raw(&raw, &target, &Options::default(), &mut |_| {}).unwrap_err();
    assert!(matches!(e, Hdf5Error::Invalid { .. }), "{e:?}");
    assert_eq!(e.path(), target.as_path());
    assert!(
        e.to_string().contains("not a regular file") && e.to_string().contains("directory"),
        "{e}"
    );
    assert!(target.join("keep").exists());
    // A directory whose parent does not exist cannot hold the temporary file.
    let nowhere = dir.path().join("no/such/dir/out.h5");
    let e = export_raw(&raw, &nowhere, &Options::default(), &mut |_| {}).unwrap_err();
    assert!(matches!(e, Hdf5Error::Io { .. }), "{e:?}");
    assert_eq!(e.path(), nowhere.as_path());
    assert!(e.to_string().contains("temporary file"), "{e}");
}

#[test]
fn only_regular_files_named_like_our_temporaries_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawFile::open(fixture("ng39_rc_tran.raw")).unwrap();
    let target = dir.path().join("out.h5");
    // A directory with the pattern's name, a symlink to nowhere with it:
    // neither is a temporary file of ours.
    let d = dir.path().join(".out.h5.1.AAAAAA.part");
    std::fs::create_dir(&d).unwrap();
    let l = dir.path().join(".out.h5.2.BBBBBB.part");
    std::os::unix::fs::symlink(dir.path().join("gone"), &l).unwrap();
    let report = export_raw(&raw, &target, &Options::default(), &mut |_| {}).unwrap();
    assert!(report.stale.is_empty(), "{:?}", report.stale);
    assert!(d.is_dir());
    assert!(std::fs::symlink_metadata(&l).is_ok());
    assert!(target.is_file());
}

#[test]
fn a_vector_named_dot_gets_a_dataset_name_and_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = ltspice_tran(5);
    p.header.variables[1].name = ".".into();
    p.header.variables[2].name = "a/b".into();
    let raw = dir.path().join("dot.raw");
    write_file(&raw, RawFormat::NgspiceBinary, &[p]).unwrap();
    let h5 = dir.path().join("dot.h5");
    export_raw(
        &RawFile::open(&raw).unwrap(),
        &h5,
        &Options::default(),
        &mut |_| {},
    )
    .unwrap();
    let f = hdf5::File::open(&h5).unwrap();
    let mut names = f.group("tran").unwrap().member_names().unwrap();
    names.sort();
    assert_eq!(names, ["a%2Fb", "time", "var1"]);
    let orig: hdf5::types::VarLenUnicode = f
        .dataset("tran/var1")
        .unwrap()
        .attr("original_name")
        .unwrap()
        .read_scalar()
        .unwrap();
    assert_eq!(orig.as_str(), ".");
    drop(f);
    let r = H5Reader::open(&h5).unwrap();
    let vars: Vec<&str> = r.plots()[0]
        .header
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(vars, ["time", ".", "a/b"]);
    assert_same(&raw, &h5);
}

#[test]
fn a_complex_scale_is_stored_as_its_real_part() {
    // An AC plot whose frequency has imaginary parts that are not zero:
    // the scale keeps only the real parts, the vectors both.
    let n = 6;
    let f: Vec<Complex64> = (0..n)
        .map(|k| Complex64 {
            re: 10f64.powi(k),
            im: 0.5,
        })
        .collect();
    let v: Vec<Complex64> = (0..n)
        .map(|k| Complex64 {
            re: 1.0 / (1 + k) as f64,
            im: -(k as f64),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("ac.raw");
    common::write_ac_raw(&raw, f, v.clone());
    for compression in [Compression::None, Compression::Deflate(1)] {
        let h5 = dir.path().join("ac.h5");
        let opts = Options {
            compression,
            ..Options::default()
        };
        export_raw(&RawFile::open(&raw).unwrap(), &h5, &opts, &mut |_| {}).unwrap();
        let r = H5Reader::open(&h5).unwrap();
        assert_eq!(r.plots()[0].types, [ValueType::F64, ValueType::C64]);
        assert_eq!(
            r.read(0, 0, None, 0..6).unwrap(),
            Column::F64(vec![1.0, 10.0, 100.0, 1e3, 1e4, 1e5])
        );
        assert_eq!(r.read(0, 1, None, 0..6).unwrap(), Column::C64(v.clone()));
    }
}
