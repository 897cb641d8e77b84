//! Streaming reader and writer for SPICE RAW files.
//!
//! Reads every dialect (ngspice, Xyce, LTspice IV/XVII/24/26, QSPICE), binary
//! and ASCII, real and complex, several plots per file, `double`,
//! `fastaccess` and `stepped` layouts, files cut short and files with text
//! after the data. Data are read through a bounded window, a chunk of points
//! at a time, so memory does not grow with the file. Files compressed with
//! gzip or zstd (`.raw.gz`, `.raw.zst`, found by their magic bytes) are
//! read with streaming decompression, in file order only (see [`stream`]).
//!
//! ```
//! use raw_stream::{RawFile, RawFormat, write_file};
//! use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("rc.raw");
//! let plot = Plot {
//!     header: PlotHeader {
//!         title: "* rc".into(),
//!         plotname: "Transient Analysis".into(),
//!         flags: Flags::parse("real"),
//!         n_points: 4,
//!         variables: vec![Variable::new(0, "time", "time"), Variable::new(1, "v(out)", "voltage")],
//!         ..PlotHeader::default()
//!     },
//!     columns: vec![
//!         Column::F64(vec![0.0, 1e-6, 2e-6, 3e-6]),
//!         Column::F64(vec![0.0, 0.25, 0.5, 0.75]),
//!     ],
//!     steps: Steps::single(4),
//! };
//! write_file(&path, RawFormat::NgspiceBinary, &[plot])?;
//!
//! let raw = RawFile::open(&path)?;
//! assert_eq!(raw.dialect(), waveform::Dialect::Ngspice);
//! let tran = raw.plot(0)?;
//! let mut sum = 0.0;
//! for chunk in tran.chunks(2) {
//!     let chunk = chunk?;
//!     sum += chunk.columns[1].to_f64().iter().sum::<f64>();
//! }
//! assert_eq!(sum, 1.5);
//! assert_eq!(tran.column("v(out)")?.get_f64(3), Some(0.75));
//! # Ok(()) }
//! ```

mod ascii;
mod chunks;
mod error;
pub mod float_text;
pub mod groups;
mod header;
pub mod log;
mod open;
mod plot;
pub mod source;
mod steps;
pub mod stream;
mod writer;

pub use chunks::{Chunk, Chunks, Columns, Rows};
pub use error::{RawError, Warning};
pub use groups::{PlotGroup, XyceStep};
pub use header::{Layout, MAX_HEADER_BYTES};
pub use open::{
    OpenOptions, PlotInfo, RawFile, StoredReals, DEFAULT_CHECKPOINT_BYTES, DEFAULT_WINDOW,
    MAX_STEPS,
};
pub use plot::{ChunkOptions, PlotRef};
pub use source::Source;
pub use stream::{Compression, KEEP_BYTES, MAX_RESTARTS};
pub use writer::{
    stored_types, write_file, write_plot, ColumnWriter, PlotWriter, RawFormat,
    NGSPICE_LAYOUT_COMMAND, STREAM_NAME,
};
