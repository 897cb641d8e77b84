//! `H5Reader` on files `export_raw` wrote: every plot reads back equal to
//! its RAW source; files that are not ours, of a newer version, or forged
//! are refused by name, without large allocations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use raw_stream::{write_file, RawFile, RawFormat};
use std::path::{Path, PathBuf};
use store_hdf5::{export_raw, H5Reader, Hdf5Error, Options};
use waveform::{Column, Flags, Plot, PlotHeader, Steps, ValueType, Variable};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn export(raw: &Path, h5: &Path) {
    let f = RawFile::open(raw).unwrap();
    export_raw(&f, h5, &Options::default(), &mut |_| {}).unwrap();
}

/// The RAW plot as the HDF5 file stores it: a complex scale as its real part.
fn as_stored(mut p: Plot) -> Plot {
    if p.header.has_scale() {
        if let Column::C64(v) = &p.columns[0] {
            p.columns[0] = Column::F64(v.iter().map(|z| z.re).collect());
        }
    }
    p
}

fn same_bits(a: &Column, b: &Column) -> bool {
    match (a, b) {
        (Column::F64(x), Column::F64(y)) => x
            .iter()
            .map(|v| v.to_bits())
            .eq(y.iter().map(|v| v.to_bits())),
        (Column::F32(x), Column::F32(y)) => x
            .iter()
            .map(|v| v.to_bits())
            .eq(y.iter().map(|v| v.to_bits())),
        (Column::C64(x), Column::C64(y)) => x
            .iter()
            .map(|z| (z.re.to_bits(), z.im.to_bits()))
            .eq(y.iter().map(|z| (z.re.to_bits(), z.im.to_bits()))),
        (Column::C32(x), Column::C32(y)) => x
            .iter()
            .map(|z| (z.re.to_bits(), z.im.to_bits()))
            .eq(y.iter().map(|z| (z.re.to_bits(), z.im.to_bits()))),
        _ => false,
    }
}

/// Checks every plot of `raw` against the reader's view of its export.
fn assert_round_trip(raw: &Path) -> H5Reader {
    let dir = tempfile::tempdir().unwrap();
    let h5 = dir.path().join("out.h5");
    export(raw, &h5);
    let src = RawFile::open(raw).unwrap().read_all().unwrap();
    let r = H5Reader::open(&h5).unwrap();
    assert_eq!(r.kind(), "raw");
    assert_eq!(r.version(), 1);
    assert_eq!(r.plots().len(), src.plots.len(), "{}", raw.display());
    for (i, want) in src.plots.into_iter().enumerate() {
        let want = as_stored(want);
        let got = r.read_plot(i).unwrap();
        let (gh, wh) = (&got.header, &want.header);
        assert_eq!(gh.plotname, wh.plotname, "plot {i}");
        assert_eq!(gh.flags.to_line(), wh.flags.to_line(), "plot {i}");
        assert_eq!(gh.title, wh.title);
        assert_eq!(gh.n_points, want.steps.total, "plot {i}");
        let names = |h: &PlotHeader| {
            h.variables
                .iter()
                .map(|v| (v.index, v.name.clone(), v.type_name.clone(), v.kind.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(gh), names(wh), "plot {i}");
        assert_eq!(got.steps.starts, want.steps.starts, "plot {i}");
        assert_eq!(got.steps.params, want.steps.params, "plot {i}");
        assert_eq!(got.columns.len(), want.columns.len());
        for (k, (g, w)) in got.columns.iter().zip(&want.columns).enumerate() {
            assert!(same_bits(g, w), "plot {i} column {k} differs");
        }
    }
    r
}

#[test]
fn ngspice_fixtures_read_back_bit_for_bit() {
    for name in [
        "ng39_rc_tran.raw",
        "ng39_rlc_ac.raw",
        "ng39_multi_op_tran_ac.raw",
        "ng39_bjt_noise.raw",
        "ng39_bjt_op.raw",
        "ng39_diode_clipper_dc.raw",
    ] {
        let r = assert_round_trip(&fixture(name));
        assert!(r.plots().iter().all(|p| p.rows.is_none()), "{name}");
    }
    // The AC vectors are complex; the frequency scale is stored real.
    let dir = tempfile::tempdir().unwrap();
    let h5 = dir.path().join("ac.h5");
    export(&fixture("ng39_rlc_ac.raw"), &h5);
    let r = H5Reader::open(&h5).unwrap();
    let p = &r.plots()[0];
    assert_eq!(p.group, "ac");
    assert_eq!(p.types[0], ValueType::F64);
    assert!(p.types[1..].iter().all(|&t| t == ValueType::C64));
    // A range read equals the same points of the whole column.
    let all = r.read(0, 1, None, 0..p.header.n_points as usize).unwrap();
    let part = r.read(0, 1, None, 3..7).unwrap();
    let (Column::C64(all), Column::C64(part)) = (all, part) else {
        panic!("complex expected")
    };
    assert_eq!(&all[3..7], part.as_slice());
}

#[test]
fn the_stepped_corpus_file_reads_back_with_its_parameters() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/raw-samples");
    let path = corpus.join("ltspice_tran_step.raw");
    if !path.exists() {
        eprintln!("skipped: the shared corpus is not at {}", corpus.display());
        return;
    }
    let r = assert_round_trip(&path);
    let rows = r.plots()[0].rows.as_ref().unwrap();
    assert_eq!(rows.dim, "step");
    assert!(rows.lengths.len() > 1);
    assert!(!rows.params.is_empty());
}

fn ragged_plot() -> Plot {
    // Three steps of 3, 5 and 2 points, f64 scale, a complex-free LTspice plot.
    let lens = [3usize, 5, 2];
    let mut t = Vec::new();
    let mut v = Vec::new();
    let mut starts = Vec::new();
    for (s, &l) in lens.iter().enumerate() {
        starts.push(t.len() as u64);
        for k in 0..l {
            t.push(k as f64 * 1e-6);
            v.push((s * 10 + k) as f64 * 0.5);
        }
    }
    let n = t.len() as u64;
    Plot {
        header: PlotHeader {
            title: "ragged".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real forward stepped"),
            n_points: n,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "V(out)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(t), Column::F64(v)],
        steps: Steps {
            starts,
            total: n,
            params: Vec::new(),
        },
    }
}

#[test]
fn a_written_ragged_stepped_plot_reads_back_row_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("ragged.raw");
    write_file(&raw, RawFormat::NgspiceBinary, &[ragged_plot()]).unwrap();
    let src = RawFile::open(&raw).unwrap();
    let steps = src.plot(0).unwrap().steps().unwrap().lengths();
    if steps.len() < 2 {
        // ngspice binary has no step boundaries of its own: the reader finds
        // them from the scale restarting.
        panic!("the written file reads as {steps:?} steps");
    }
    let r = assert_round_trip(&raw);
    let rows = r.plots()[0].rows.as_ref().unwrap();
    assert_eq!(rows.lengths, [3, 5, 2]);
    // Row 1, points 1..4: 10.5, 11, 11.5 (v = (10 s + k) / 2).
    let got = r.read(0, 1, Some(1), 1..4).unwrap();
    assert!(
        same_bits(&got, &Column::F64(vec![5.5, 6.0, 6.5])),
        "{got:?}"
    );
    // Past a row's own points (into its NaN padding) is refused.
    let e = r.read(0, 1, Some(2), 0..3).unwrap_err();
    assert!(e.to_string().contains("outside 0..2"), "{e}");
    let e = r.read(0, 1, None, 0..1).unwrap_err();
    assert!(e.to_string().contains("needs a row"), "{e}");
}

#[test]
fn files_that_are_not_ours_or_newer_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // A plain HDF5 file.
    let plain = dir.path().join("plain.h5");
    {
        let f = hdf5::File::create(&plain).unwrap();
        f.new_dataset::<f64>().shape([3]).create("x").unwrap();
    }
    let e = H5Reader::open(&plain).unwrap_err();
    assert!(matches!(e, Hdf5Error::Format { .. }), "{e:?}");
    assert!(e.to_string().contains("spicelab_hdf5_version"), "{e}");
    // A newer version.
    let h5 = dir.path().join("v2.h5");
    export(&fixture("ng39_rc_tran.raw"), &h5);
    {
        let f = hdf5::File::open_rw(&h5).unwrap();
        f.attr("spicelab_hdf5_version")
            .unwrap()
            .write_scalar(&2i32)
            .unwrap();
    }
    let e = H5Reader::open(&h5).unwrap_err();
    assert!(
        matches!(
            e,
            Hdf5Error::Version {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("version 2"), "{e}");
    // Not a file at all.
    let e = H5Reader::open(dir.path()).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    // Not HDF5.
    let junk = dir.path().join("junk.h5");
    std::fs::write(&junk, b"not hdf5 at all").unwrap();
    assert!(matches!(
        H5Reader::open(&junk).unwrap_err(),
        Hdf5Error::Hdf5 { .. }
    ));
}

#[test]
fn forged_shapes_and_n_points_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("ragged.raw");
    write_file(&raw, RawFormat::NgspiceBinary, &[ragged_plot()]).unwrap();
    let h5 = dir.path().join("forged.h5");
    export(&raw, &h5);
    // n_points larger than the row width.
    {
        let f = hdf5::File::open_rw(&h5).unwrap();
        f.dataset("tran/n_points")
            .unwrap()
            .write_raw(&[3i64, 99, 2])
            .unwrap();
    }
    let e = H5Reader::open(&h5).unwrap_err();
    assert!(
        e.to_string().contains("/tran/n_points")
            && e.to_string().contains("99 points in a row of 5"),
        "{e}"
    );
    // A vector of 2^40 declared points (chunked, nothing written): the plot
    // opens, and reading it whole is refused by size, not attempted.
    let big = dir.path().join("big.h5");
    export(&fixture("ng39_rc_tran.raw"), &big);
    {
        let f = hdf5::File::open_rw(&big).unwrap();
        let g = f.group("tran").unwrap();
        for name in g.member_names().unwrap() {
            g.unlink(&name).unwrap();
        }
        let ds = g
            .new_dataset::<f64>()
            .chunk([1024])
            .shape([1usize << 40])
            .create("time")
            .unwrap();
        text_attr(&ds, "original_name", "time");
    }
    let r = H5Reader::open(&big).unwrap();
    assert_eq!(r.plots()[0].header.n_points, 1 << 40);
    let e = r.read_plot(0).unwrap_err();
    assert!(e.to_string().contains("read by ranges"), "{e}");
    let e = r.read(0, 0, None, 0..(1 << 30)).unwrap_err();
    assert!(e.to_string().contains("read a range"), "{e}");
    // A small range of it reads (HDF5's default fill value, 0).
    let Column::F64(v) = r.read(0, 0, None, 5..8).unwrap() else {
        panic!()
    };
    assert_eq!(v, [0.0; 3]);
    drop(r);
    // A vector whose type is not ours.
    {
        let f = hdf5::File::open_rw(&big).unwrap();
        let g = f.group("tran").unwrap();
        vector::<i32>(&g, "v(x)", &[4]);
    }
    let e = H5Reader::open(&big).unwrap_err();
    assert!(e.to_string().contains("/tran/v(x)"), "{e}");
}

/// An edit of an export (each case below pairs one with the words its
/// refusal must contain).
type Edit = fn(&hdf5::File);

fn vlen(s: &str) -> hdf5::types::VarLenUnicode {
    s.parse().unwrap()
}

/// Sets the string attribute `name` of `ds` to `value`.
fn text_attr(ds: &hdf5::Dataset, name: &str, value: &str) {
    ds.new_attr::<hdf5::types::VarLenUnicode>()
        .create(name)
        .unwrap()
        .write_scalar(&vlen(value))
        .unwrap();
}

/// A dataset of `T` and `shape` named `name` in `g`, which the reader takes
/// for a vector (it has an `original_name`).
fn vector<T: hdf5::H5Type>(g: &hdf5::Group, name: &str, shape: &[usize]) -> hdf5::Dataset {
    let d = g.new_dataset::<T>().shape(shape).create(name).unwrap();
    text_attr(&d, "original_name", name);
    d
}

#[test]
fn each_broken_part_of_the_layout_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("ragged.raw");
    write_file(&raw, RawFormat::NgspiceBinary, &[ragged_plot()]).unwrap();
    let cases: [(Edit, &str); 7] = [
        (
            |f| {
                f.attr("kind")
                    .unwrap()
                    .write_scalar(&vlen("table"))
                    .unwrap();
            },
            "kind 'table' is neither raw nor campaign",
        ),
        (
            |f| {
                f.delete_attr("kind").unwrap();
                f.new_attr::<i32>()
                    .create("kind")
                    .unwrap()
                    .write_scalar(&3)
                    .unwrap();
            },
            "attribute kind is not a UTF-8 string",
        ),
        (
            |f| {
                let g = f.group("tran").unwrap();
                for n in ["time", "V(out)"] {
                    g.dataset(n).unwrap().delete_attr("original_name").unwrap();
                }
            },
            "/tran: no vector (no dataset with original_name)",
        ),
        (
            |f| {
                f.group("tran").unwrap().unlink("n_points").unwrap();
                let g = f.group("tran").unwrap();
                g.new_dataset_builder()
                    .with_data(&[3i64, 5])
                    .create("n_points")
                    .unwrap();
            },
            "/tran/n_points: 2 entries for 3 rows",
        ),
        (
            |f| {
                let g = f.group("tran").unwrap();
                g.unlink("V(out)").unwrap();
                vector::<f64>(&g, "V(out)", &[3, 4]);
            },
            "does not match (3, 5)",
        ),
        (
            |f| {
                let g = f.group("tran").unwrap();
                g.unlink("V(out)").unwrap();
                vector::<f64>(&g, "V(out)", &[3, 5, 2]);
            },
            "/tran/V(out): 3 dimensions, not 1 or 2",
        ),
        (
            |f| {
                let g = f.group("tran").unwrap();
                let d = g
                    .new_dataset_builder()
                    .with_data(&[1.0f64, 2.0])
                    .create("R1")
                    .unwrap();
                text_attr(&d, "long_name", "step parameter R1");
            },
            "/tran/R1: 2 values for 3 rows",
        ),
    ];
    for (k, (edit, want)) in cases.iter().enumerate() {
        let h5 = dir.path().join(format!("case{k}.h5"));
        export(&raw, &h5);
        edit(&hdf5::File::open_rw(&h5).unwrap());
        let e = H5Reader::open(&h5).unwrap_err();
        assert!(matches!(e, Hdf5Error::Format { .. }), "case {k}: {e:?}");
        assert!(e.to_string().contains(want), "case {k}: {e}");
        assert_eq!(e.path(), h5.as_path());
    }
    // A 1-D plot whose vectors disagree on their length.
    let h5 = dir.path().join("flat.h5");
    export(&fixture("ng39_rc_tran.raw"), &h5);
    {
        let f = hdf5::File::open_rw(&h5).unwrap();
        let g = f.group("tran").unwrap();
        vector::<f32>(&g, "v(extra)", &[7]);
    }
    let e = H5Reader::open(&h5).unwrap_err();
    assert!(
        e.to_string()
            .contains("/tran/v(extra): 7 points, the plot has"),
        "{e}"
    );
    // Asking for what is not there.
    let h5 = dir.path().join("ok.h5");
    export(&fixture("ng39_rc_tran.raw"), &h5);
    let r = H5Reader::open(&h5).unwrap();
    assert!(r
        .read(5, 0, None, 0..1)
        .unwrap_err()
        .to_string()
        .contains("no plot 5"));
    assert!(r
        .read_plot(5)
        .unwrap_err()
        .to_string()
        .contains("no plot 5"));
    assert!(r
        .read(0, 99, None, 0..1)
        .unwrap_err()
        .to_string()
        .contains("no variable 99"));
    assert_eq!(r.read(0, 1, None, 4..4).unwrap(), Column::F64(vec![]));
}
