//! The HDF5 reader of spicelab's own files (`store_hdf5::H5Reader`).
//!
//! Arbitrary bytes are not an HDF5 file libhdf5 would get far with (and
//! libhdf5's own parser is not ours to harden), so the input is used as a
//! recipe: the first bytes make a small RAW result (plots, vectors, types,
//! steps), which `export_raw` writes as HDF5; the rest are edits of that
//! file through the HDF5 API: a dataset or attribute removed, replaced by
//! one of another type or shape, `n_points` or the version overwritten.
//! The reader must open or refuse every such file without panicking, read
//! what it opens within its bounds, and, when no edit was made, give back
//! every plot equal to the RAW source.

#![no_main]

use libfuzzer_sys::fuzz_target;
use raw_stream::{write_file, RawFile, RawFormat};
use store_hdf5::{export_raw, H5Reader, Options};
use waveform::{Column, Complex64, Flags, Plot, PlotHeader, Steps, Variable};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn f64(&mut self) -> f64 {
        f64::from(self.u8() as i8) * 0.25 + f64::from(self.u8()) * 1e-3
    }
}

fn plot_of(b: &mut Bytes, k: usize) -> Plot {
    let complex = b.u8() % 4 == 0;
    let nvars = 1 + usize::from(b.u8() % 4);
    let nsteps = 1 + usize::from(b.u8() % 3);
    let mut starts = Vec::new();
    let mut scale = Vec::new();
    for _ in 0..nsteps {
        starts.push(scale.len() as u64);
        let len = 1 + usize::from(b.u8() % 12);
        let mut t = 0.0;
        for _ in 0..len {
            scale.push(t);
            t += 1e-6 * (1.0 + f64::from(b.u8() % 4));
        }
    }
    let n = scale.len();
    let mut variables = vec![Variable::new(
        0,
        if complex { "frequency" } else { "time" },
        if complex { "frequency" } else { "time" },
    )];
    let mut columns = vec![if complex {
        Column::C64(scale.iter().map(|&x| Complex64 { re: x * 1e12 + 1.0, im: 0.0 }).collect())
    } else {
        Column::F64(scale)
    }];
    for v in 1..nvars {
        variables.push(Variable::new(v, format!("v(n{v}/{})", b.u8() % 3), "voltage"));
        columns.push(if complex {
            Column::C64((0..n).map(|_| Complex64 { re: b.f64(), im: b.f64() }).collect())
        } else {
            Column::F64((0..n).map(|_| b.f64()).collect())
        });
    }
    let stepped = nsteps > 1 && !complex;
    let starts = if stepped { starts } else { vec![0] };
    Plot {
        header: PlotHeader {
            title: format!("fuzz {k}"),
            plotname: if complex { "AC Analysis" } else { "Transient Analysis" }.into(),
            flags: Flags::parse(if complex { "complex" } else { "real" }),
            n_points: n as u64,
            variables,
            ..PlotHeader::default()
        },
        columns,
        steps: Steps {
            starts,
            total: n as u64,
            params: Vec::new(),
        },
    }
}

fn vlen(s: &str) -> hdf5::types::VarLenUnicode {
    s.parse().unwrap_or_default()
}

/// One edit of the file; errors of the HDF5 API (an edit that does not
/// apply) are ignored, the file is then as it was.
fn edit(f: &hdf5::File, b: &mut Bytes) {
    let Ok(groups) = f.member_names() else { return };
    if groups.is_empty() {
        return;
    }
    let gname = &groups[usize::from(b.u8()) % groups.len()];
    let op = b.u8() % 8;
    if op == 0 {
        let _ = f.attr("spicelab_hdf5_version").and_then(|a| a.write_scalar(&(i32::from(b.u8()) - 2)));
        return;
    }
    if op == 1 {
        let _ = f.delete_attr(["kind", "spicelab_hdf5_version", "title"][usize::from(b.u8() % 3)]);
        return;
    }
    let Ok(g) = f.group(gname) else { return };
    if op == 2 {
        let _ = g.delete_attr(["plotname", "flags", "plot_index", "truncated"][usize::from(b.u8() % 4)]);
        return;
    }
    let Ok(names) = g.member_names() else { return };
    if names.is_empty() {
        return;
    }
    let dname = names[usize::from(b.u8()) % names.len()].clone();
    match op {
        3 => {
            let _ = g.unlink(&dname);
        }
        4 => {
            if let Ok(ds) = g.dataset(&dname) {
                let attr = ["original_name", "index", "long_name", "coordinates", "CLASS"]
                    [usize::from(b.u8() % 5)];
                let _ = ds.delete_attr(attr);
                if b.u8() % 2 == 0 {
                    // the same attribute back with another type
                    let _ = ds.new_attr::<i64>().create(attr).and_then(|a| a.write_scalar(&i64::from(b.u8())));
                }
            }
        }
        5 => {
            let vals: Vec<i64> = (0..usize::from(b.u8() % 5)).map(|_| i64::from(b.u8() as i8) * 3).collect();
            let _ = g.unlink("n_points");
            let _ = g.new_dataset_builder().with_data(&vals).create("n_points");
        }
        _ => {
            // The dataset replaced by one of another type or shape, keeping
            // a name the reader takes for a vector.
            let _ = g.unlink(&dname);
            let shape: Vec<usize> = (0..usize::from(b.u8() % 4)).map(|_| usize::from(b.u8() % 7)).collect();
            let ds = match b.u8() % 4 {
                0 => g.new_dataset::<f64>().shape(shape).create(dname.as_str()),
                1 => g.new_dataset::<f32>().shape(shape).create(dname.as_str()),
                2 => g.new_dataset::<i32>().shape(shape).create(dname.as_str()),
                _ => g.new_dataset::<store_hdf5::Cx64>().shape(shape).create(dname.as_str()),
            };
            if let Ok(ds) = ds {
                let _ = ds
                    .new_attr::<hdf5::types::VarLenUnicode>()
                    .create("original_name")
                    .and_then(|a| a.write_scalar(&vlen(&dname)));
                if b.u8() % 2 == 0 {
                    let _ = ds.new_attr::<i64>().create("index").and_then(|a| a.write_scalar(&i64::from(b.u8())));
                }
            }
        }
    }
}

fn same(a: &Column, b: &Column) -> bool {
    let bits = |c: &Column| -> Vec<u64> {
        match c {
            Column::F64(v) => v.iter().map(|x| x.to_bits()).collect(),
            Column::F32(v) => v.iter().map(|x| u64::from(x.to_bits())).collect(),
            Column::C64(v) => v.iter().flat_map(|z| [z.re.to_bits(), z.im.to_bits()]).collect(),
            Column::C32(v) => v
                .iter()
                .flat_map(|z| [u64::from(z.re.to_bits()), u64::from(z.im.to_bits())])
                .collect(),
        }
    };
    std::mem::discriminant(a) == std::mem::discriminant(b) && bits(a) == bits(b)
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let nplots = 1 + usize::from(b.u8() % 3);
    let plots: Vec<Plot> = (0..nplots).map(|k| plot_of(&mut b, k)).collect();
    // In memory where there is a tmpfs: most of an execution is file work.
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() };
    let Ok(dir) = dir else { return };
    let raw = dir.path().join("f.raw");
    if write_file(&raw, RawFormat::NgspiceBinary, &plots).is_err() {
        return;
    }
    let Ok(src) = RawFile::open(&raw) else { return };
    let Ok(src_all) = src.read_all() else { return };
    let h5 = dir.path().join("f.h5");
    if export_raw(&src, &h5, &Options::default(), &mut |_| {}).is_err() {
        return;
    }
    let n_edits = usize::from(b.u8() % 4);
    if n_edits > 0 {
        let Ok(f) = hdf5::File::open_rw(&h5) else { return };
        for _ in 0..n_edits {
            edit(&f, &mut b);
        }
    }
    let r = match H5Reader::open(&h5) {
        Ok(r) => r,
        Err(e) => {
            assert!(n_edits > 0, "an unedited export is refused: {e}");
            return;
        }
    };
    for i in 0..r.plots().len() {
        let p = &r.plots()[i];
        let got = r.read_plot(i);
        // Ranged reads inside and past each row.
        for v in 0..p.types.len() {
            let row = p.rows.as_ref().map(|_| usize::from(b.u8() % 4));
            let lo = usize::from(b.u8() % 8);
            let _ = r.read(i, v, row, lo..lo + usize::from(b.u8() % 8));
        }
        if n_edits == 0 {
            let got = got.unwrap_or_else(|e| panic!("plot {i} of an unedited export: {e}"));
            let want = &src_all.plots[i];
            assert_eq!(got.steps.starts, want.steps.starts, "plot {i}");
            assert_eq!(got.columns.len(), want.columns.len());
            for (k, (g, w)) in got.columns.iter().zip(&want.columns).enumerate() {
                let w = if k == 0 {
                    match w {
                        Column::C64(v) => Column::F64(v.iter().map(|z| z.re).collect()),
                        w => w.clone(),
                    }
                } else {
                    w.clone()
                };
                assert!(same(g, &w), "plot {i} column {k}");
            }
        }
    }
});
