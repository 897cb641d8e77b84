//! Inputs for the criterion micro-benchmarks: RAW files made with the writer.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let p = spicelab_benches::make_raw(dir.path(), raw_stream::RawFormat::NgspiceBinary, 1000, 4);
//! assert!(raw_stream::RawFile::open(&p).is_ok());
//! ```

use raw_stream::{PlotWriter, RawFormat};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use waveform::{Flags, PlotHeader, ValueType, Variable};

/// Writes a transient plot of `points` points and `vars` variables (time and
/// smooth signals) in `format` into `dir` and returns its path.
///
/// # Panics
/// When the file cannot be written (benchmark setup only).
#[allow(clippy::expect_used)]
pub fn make_raw(dir: &Path, format: RawFormat, points: u64, vars: usize) -> PathBuf {
    let path = dir.join(format!("bench-{format:?}-{points}.raw"));
    let mut variables = vec![Variable::new(0, "time", "time")];
    variables.extend((1..vars).map(|i| Variable::new(i, format!("v(n{i})"), "voltage")));
    let header = PlotHeader {
        title: "* bench".into(),
        plotname: "Transient Analysis".into(),
        flags: Flags::parse("real"),
        n_points: points,
        variables,
        ..PlotHeader::default()
    };
    let types = vec![ValueType::F64; vars];
    let file = std::fs::File::create(&path).expect("create bench file");
    let mut w = PlotWriter::begin(BufWriter::new(file), format, &header, &types, points)
        .expect("write header");
    let mut row = vec![0.0; vars];
    for p in 0..points {
        let t = p as f64 * 1e-9;
        row[0] = t;
        for (j, v) in row.iter_mut().enumerate().skip(1) {
            *v = (t * 1e6 * j as f64).sin();
        }
        w.write_point(&row).expect("write point");
    }
    w.finish().expect("finish");
    path
}
