//! Helpers shared by the `store-hdf5` test files: the committed fixtures,
//! RAW files written from plots made in the test, string attributes.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use raw_stream::{write_file, RawFormat};
use waveform::{Column, Complex64, Flags, Plot, PlotHeader, Steps, Variable};

/// A committed file of `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// Writes, as ngspice binary at `path`, an AC plot of the complex scale
/// `frequency` and the vector `v(out)`.
pub fn write_ac_raw(path: &Path, freq: Vec<Complex64>, v: Vec<Complex64>) {
    let n = freq.len() as u64;
    let plot = Plot {
        header: PlotHeader {
            plotname: "AC Analysis".into(),
            flags: Flags::parse("complex"),
            n_points: n,
            variables: vec![
                Variable::new(0, "frequency", "frequency"),
                Variable::new(1, "v(out)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::C64(freq), Column::C64(v)],
        steps: Steps::single(n),
    };
    write_file(path, RawFormat::NgspiceBinary, &[plot]).unwrap();
}

/// The string attribute `name` of the file's root.
pub fn str_attr(f: &hdf5::File, name: &str) -> String {
    f.attr(name)
        .unwrap()
        .read_scalar::<hdf5::types::VarLenUnicode>()
        .unwrap()
        .as_str()
        .to_string()
}
