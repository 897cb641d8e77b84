//! SPICE results as HDF5 files that `xarray` and `h5py` open in one line.
//!
//! Two writers, both streaming (a chunk of points in, a chunk out: memory
//! does not grow with the file) and both atomic (written under a temporary
//! name beside the target, renamed when complete):
//!
//! - [`export_raw`]: one RAW file, every plot a group, every vector a
//!   dataset along the plot's scale, which is an HDF5 dimension scale, so
//!   `xarray.open_dataset(path, engine="h5netcdf", group="tran")` shows the
//!   named dimension `time`; stepped runs are 2-D `(step, point)`;
//! - [`write_campaign`]: a campaign's runs stacked along `run`, with every
//!   parameter, job key, status, measure and spec result as a coordinate.
//!
//! Complex values are the compound `{r, i}` that numpy reads as complex.
//! The layout is versioned ([`FORMAT_VERSION`], the root attribute
//! `spicelab_hdf5_version`) and described in `docs/hdf5.md`.
//!
//! ```
//! use raw_stream::{write_file, RawFile, RawFormat};
//! use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let raw_path = dir.path().join("rc.raw");
//! let plot = Plot {
//!     header: PlotHeader {
//!         plotname: "Transient Analysis".into(),
//!         flags: Flags::parse("real"),
//!         n_points: 3,
//!         variables: vec![Variable::new(0, "time", "time"), Variable::new(1, "v(out)", "voltage")],
//!         ..PlotHeader::default()
//!     },
//!     columns: vec![Column::F64(vec![0.0, 1e-6, 2e-6]), Column::F64(vec![0.0, 0.5, 0.75])],
//!     steps: Steps::single(3),
//! };
//! write_file(&raw_path, RawFormat::NgspiceBinary, &[plot])?;
//!
//! let h5 = dir.path().join("rc.h5");
//! let raw = RawFile::open(&raw_path)?;
//! let report = store_hdf5::export_raw(&raw, &h5, &store_hdf5::Options::default(), &mut |_| {})?;
//! assert_eq!(report.plots, ["tran"]);
//! assert_eq!(report.points, 3);
//!
//! let f = hdf5::File::open(&h5)?;
//! let v: Vec<f64> = f.dataset("tran/v(out)")?.read_raw()?;
//! assert_eq!(v, [0.0, 0.5, 0.75]);
//! let units: hdf5::types::VarLenUnicode = f.dataset("tran/v(out)")?.attr("units")?.read_scalar()?;
//! assert_eq!(units.as_str(), "V");
//! # Ok(()) }
//! ```

mod campaign;
mod direct;
mod error;
mod h5;
mod raw;
mod read;

pub use campaign::{
    write_campaign, BlockSink, CampaignInfo, CampaignRun, RunPlot, RunSource, SourceFailure,
};
pub use error::{Hdf5Error, Result};
pub use h5::{zstd_available, Cx32, Cx64, ZSTD_FILTER_ID};
pub use raw::export_raw;
pub use read::{H5Plot, H5Reader, Rows, MAX_READ_BYTES};

/// The HDF5 bindings this crate writes with (hdf5-metno), for readers and tests.
pub use hdf5;

/// The version of the file layout, written as the root attribute
/// `spicelab_hdf5_version`. It changes when a reader would have to change.
pub const FORMAT_VERSION: i32 = 1;

/// How datasets are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored as is.
    None,
    /// The built-in deflate (gzip) filter at this level (1..=9).
    Deflate(u8),
    /// The zstd filter plugin (id [`ZSTD_FILTER_ID`]) at this level; when
    /// the plugin is not installed the writer falls back to deflate level 1
    /// and says so ([`ExportReport::note`]).
    Zstd(i32),
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Compression::None => f.write_str("none"),
            Compression::Deflate(l) => write!(f, "deflate-{l}"),
            Compression::Zstd(l) => write!(f, "zstd-{l}"),
        }
    }
}

impl std::str::FromStr for Compression {
    type Err = String;

    /// `none`, `deflate`, `deflate-N` (also `gzip`), `zstd`, `zstd-N`.
    fn from_str(s: &str) -> std::result::Result<Compression, String> {
        let s = s.to_ascii_lowercase();
        let (name, level) = match s.split_once('-') {
            Some((n, l)) => (
                n.to_string(),
                Some(
                    l.parse::<i32>()
                        .map_err(|_| format!("bad level in '{s}'"))?,
                ),
            ),
            None => (s.clone(), None),
        };
        match name.as_str() {
            "none" if level.is_none() => Ok(Compression::None),
            "deflate" | "gzip" => match level.unwrap_or(1) {
                l @ 1..=9 => Ok(Compression::Deflate(l as u8)),
                l => Err(format!("deflate level {l}: use 1..=9")),
            },
            "zstd" => match level.unwrap_or(3) {
                l @ 1..=22 => Ok(Compression::Zstd(l)),
                l => Err(format!("zstd level {l}: use 1..=22")),
            },
            _ => Err(format!(
                "unknown compression '{s}': none, deflate-N or zstd-N"
            )),
        }
    }
}

/// Options of both writers.
#[derive(Debug, Clone)]
pub struct Options {
    /// Compression (default: deflate level 1, the fastest that still halves
    /// typical waveforms).
    pub compression: Compression,
    /// The shuffle filter before compression (default on).
    pub shuffle: bool,
    /// Points per chunk along the point axis (default 65536); fewer for a
    /// plot with so many vectors that a chunk of each would pass 32 MiB.
    pub chunk_points: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            compression: Compression::Deflate(1),
            shuffle: true,
            chunk_points: 1 << 16,
        }
    }
}

/// What a writer did.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportReport {
    /// The plot groups written, in order.
    pub plots: Vec<String>,
    /// Points written, all plots (and runs) together.
    pub points: u64,
    /// Bytes of RAW data read (RAW export).
    pub bytes_in: u64,
    /// The compression used.
    pub compression: Compression,
    /// Why the compression differs from the one asked for, if it does.
    pub note: Option<String>,
    /// Temporary files of earlier writes to the same target (a writer
    /// killed with SIGKILL leaves one), removed when stale, else left.
    pub stale: Vec<StaleTemp>,
}

/// A temporary file `.NAME.PID.XXXXXX.part` of an earlier write, found
/// beside the target when a write starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleTemp {
    /// The file.
    pub path: std::path::PathBuf,
    /// True when it was removed: its writer's process is gone, it is older
    /// than this write and nobody holds a lock on it.
    pub removed: bool,
    /// Why it was removed or left.
    pub why: String,
}

impl Default for ExportReport {
    fn default() -> ExportReport {
        ExportReport {
            plots: Vec::new(),
            points: 0,
            bytes_in: 0,
            compression: Compression::Deflate(1),
            note: None,
            stale: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_names_parse() {
        assert_eq!("deflate".parse(), Ok(Compression::Deflate(1)));
        assert_eq!("gzip-6".parse(), Ok(Compression::Deflate(6)));
        assert_eq!("zstd".parse(), Ok(Compression::Zstd(3)));
        assert_eq!("zstd-19".parse(), Ok(Compression::Zstd(19)));
        assert_eq!("none".parse(), Ok(Compression::None));
        assert!("deflate-10".parse::<Compression>().is_err());
        assert!("lz4".parse::<Compression>().is_err());
        assert_eq!(Compression::Deflate(4).to_string(), "deflate-4");
    }

    #[test]
    fn names_escape_slashes_and_number_repeats() {
        let mut n = h5::Names::default();
        n.reserve("time");
        assert_eq!(n.take("v(a)/b"), "v(a)%2Fb");
        assert_eq!(n.take("50%"), "50%25");
        assert_eq!(n.take("time"), "time_1");
        assert_eq!(n.take("x"), "x");
        assert_eq!(n.take("x"), "x_1");
    }

    #[test]
    fn zstd_falls_back_to_deflate_and_says_so_when_the_plugin_is_missing() {
        let opts = Options {
            compression: Compression::Zstd(3),
            ..Options::default()
        };
        let path = std::path::Path::new("x.h5");
        let (cx, note) = h5::Ctx::new(path, &opts);
        if zstd_available() {
            assert_eq!(cx.compression, Compression::Zstd(3));
            assert!(note.is_none());
        } else {
            assert_eq!(cx.compression, Compression::Deflate(1));
            assert!(note.is_some_and(|n| n.contains("plugin")));
        }
    }
}
