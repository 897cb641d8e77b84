//! spicelab: fast, bounded-memory tools for SPICE simulation results.
//!
//! This facade re-exports the focused crates it is built from, so one
//! dependency gives the whole toolkit:
//!
//! - [`waveform`]: the data model (plots, variables, columns, steps);
//! - [`raw_stream`]: the streaming RAW reader and writer for every dialect;
//! - [`cache_zstd`]: the compressed, content-addressed result cache;
//! - [`fft_gpu`]: resampling, windows, batched real FFTs (CPU, or GPU with
//!   the `gpu` feature) and distortion metrics, as `spicelab fft` and the
//!   spectral measures use them;
//! - `store_hdf5` and [`hdf5`] (feature `hdf5`, on by default): RAW files
//!   and campaigns as HDF5 that xarray and h5py open (`docs/hdf5.md`);
//! - [`stats`]: streaming statistics of a RAW file, as `spicelab stats` prints them;
//! - [`campaign`]: campaign files (sweeps, corners, temperatures, Monte Carlo,
//!   measures, specs) read, checked and expanded into jobs.
//!
//! ```
//! use spicelab::raw_stream::RawFile;
//! use spicelab::stats::{file_stats, StatsOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/ng39_rc_tran.raw");
//! let raw = RawFile::open(path)?;
//! let s = file_stats(&raw, &StatsOptions::default(), |_| {})?;
//! let vout = s.plots[0].vectors.iter().find(|v| v.name == "v(out)").unwrap();
//! assert!(vout.max.unwrap() > 0.009);
//! # Ok(()) }
//! ```

pub use cache_zstd;
pub use fft_gpu;
pub use raw_stream;
#[cfg(feature = "hdf5")]
pub use store_hdf5;
pub use waveform;

pub mod ac;
pub mod campaign;
#[cfg(feature = "hdf5")]
pub mod hdf5;
pub mod measure;
pub mod run;
pub mod select;
pub mod sim;
pub mod spec;
pub mod spectral_batch;
pub mod stats;
pub mod store;
