//! `H5Reader` on the value types a file may hold: a complex f32 vector
//! `{r, i}` (written by the hdf5 crate beside an export) reads back bit for
//! bit, alone and in `read_plot`; compounds that only look complex, and a
//! version attribute of the wrong type, are refused by name; a missing
//! file is an I/O error naming it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fixture;

use raw_stream::RawFile;
use std::path::{Path, PathBuf};
use store_hdf5::{export_raw, Cx32, H5Reader, Hdf5Error, Options};
use waveform::{Column, Complex32, ValueType};

/// An export of the RC transient fixture, and its number of points.
fn export(dir: &Path, name: &str) -> (PathBuf, usize) {
    let h5 = dir.join(name);
    let raw = RawFile::open(fixture("ng39_rc_tran.raw")).unwrap();
    let report = export_raw(&raw, &h5, &Options::default(), &mut |_| {}).unwrap();
    (h5, report.points as usize)
}

fn text_attr(ds: &hdf5::Dataset, name: &str, value: &str) {
    ds.new_attr::<hdf5::types::VarLenUnicode>()
        .create(name)
        .unwrap()
        .write_scalar(&value.parse::<hdf5::types::VarLenUnicode>().unwrap())
        .unwrap();
}

#[derive(hdf5::H5Type, Clone, Copy)]
#[repr(C)]
struct Mixed {
    r: f64,
    i: f32,
}

#[derive(hdf5::H5Type, Clone, Copy)]
#[repr(C)]
struct Ints {
    r: i32,
    i: i32,
}

#[derive(hdf5::H5Type, Clone, Copy)]
#[repr(C)]
struct Named {
    re: f64,
    im: f64,
}

#[derive(hdf5::H5Type, Clone, Copy)]
#[repr(C)]
struct Swapped {
    i: f32,
    r: f32,
}

#[test]
fn a_complex_f32_vector_reads_back_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let (h5, n) = export(dir.path(), "c32.h5");
    let values: Vec<Cx32> = (0..n)
        .map(|k| Cx32 {
            r: k as f32 * 0.5,
            i: if k == 3 {
                f32::from_bits(0xffc0_0001)
            } else {
                -(k as f32)
            },
        })
        .collect();
    {
        let f = hdf5::File::open_rw(&h5).unwrap();
        let g = f.group("tran").unwrap();
        let d = g
            .new_dataset_builder()
            .with_data(&values)
            .create("v(z)")
            .unwrap();
        text_attr(&d, "original_name", "v(z)");
        text_attr(&d, "units", "V");
    }
    let r = H5Reader::open(&h5).unwrap();
    let p = &r.plots()[0];
    let k = p
        .header
        .variables
        .iter()
        .position(|v| v.name == "v(z)")
        .unwrap();
    assert_eq!(p.types[k], ValueType::C32);
    let want: Vec<Complex32> = values
        .iter()
        .map(|z| Complex32 { re: z.r, im: z.i })
        .collect();
    let Column::C32(got) = r.read(0, k, None, 2..5).unwrap() else {
        panic!("complex f32 expected")
    };
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].im.to_bits(), 0xffc0_0001);
    assert_eq!(got[0], want[2]);
    let whole = r.read_plot(0).unwrap();
    assert_eq!(
        whole.columns[k].bit_patterns(),
        Column::C32(want).bit_patterns()
    );
    assert_eq!(r.read(0, k, None, 0..0).unwrap(), Column::C32(vec![]));
}

#[test]
fn compounds_that_only_look_complex_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    type Add = fn(&hdf5::Group, usize);
    let cases: [(&str, Add); 4] = [
        ("v(mixed)", |g, n| {
            let d = g
                .new_dataset_builder()
                .with_data(&vec![Mixed { r: 0.0, i: 0.0 }; n])
                .create("v(mixed)")
                .unwrap();
            text_attr(&d, "original_name", "v(mixed)");
        }),
        ("v(ints)", |g, n| {
            let d = g
                .new_dataset_builder()
                .with_data(&vec![Ints { r: 1, i: 2 }; n])
                .create("v(ints)")
                .unwrap();
            text_attr(&d, "original_name", "v(ints)");
        }),
        ("v(named)", |g, n| {
            let d = g
                .new_dataset_builder()
                .with_data(&vec![Named { re: 1.0, im: 2.0 }; n])
                .create("v(named)")
                .unwrap();
            text_attr(&d, "original_name", "v(named)");
        }),
        ("v(swapped)", |g, n| {
            let d = g
                .new_dataset_builder()
                .with_data(&vec![Swapped { i: 1.0, r: 2.0 }; n])
                .create("v(swapped)")
                .unwrap();
            text_attr(&d, "original_name", "v(swapped)");
        }),
    ];
    for (k, (name, add)) in cases.iter().enumerate() {
        let (h5, n) = export(dir.path(), &format!("case{k}.h5"));
        {
            let f = hdf5::File::open_rw(&h5).unwrap();
            add(&f.group("tran").unwrap(), n);
        }
        let e = H5Reader::open(&h5).unwrap_err();
        assert!(matches!(e, Hdf5Error::Format { .. }), "{name}: {e:?}");
        let s = e.to_string();
        assert!(
            s.contains(&format!("/tran/{name}"))
                && s.contains("not f64, f32 or the complex {r, i}"),
            "{name}: {s}"
        );
        assert_eq!(e.path(), h5.as_path());
    }
}

#[test]
fn a_version_attribute_of_the_wrong_type_or_a_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (h5, _) = export(dir.path(), "v.h5");
    {
        let f = hdf5::File::open_rw(&h5).unwrap();
        f.delete_attr("spicelab_hdf5_version").unwrap();
        f.new_attr::<hdf5::types::VarLenUnicode>()
            .create("spicelab_hdf5_version")
            .unwrap()
            .write_scalar(&"one".parse::<hdf5::types::VarLenUnicode>().unwrap())
            .unwrap();
    }
    let e = H5Reader::open(&h5).unwrap_err();
    match &e {
        Hdf5Error::Hdf5 { what, object, .. } => {
            assert_eq!(*what, "reading attribute");
            assert_eq!(object, "/spicelab_hdf5_version");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.path(), h5.as_path());

    let missing = dir.path().join("missing.h5");
    let e = H5Reader::open(&missing).unwrap_err();
    match &e {
        Hdf5Error::Io { what, source, .. } => {
            assert_eq!(*what, "opening");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.path(), missing.as_path());
    assert!(e.to_string().starts_with(&missing.display().to_string()));
}
