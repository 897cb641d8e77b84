//! Errors of the HDF5 writers and reader.

use std::path::PathBuf;

/// What went wrong writing an HDF5 file. Every variant names the file the
/// caller asked for (never the temporary name) and, where it applies, the
/// plot group and the dataset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Hdf5Error {
    /// The RAW source could not be read.
    #[error("{path}: reading the RAW source: {source}")]
    Raw {
        /// The HDF5 file being written.
        path: PathBuf,
        /// The reader's error.
        #[source]
        source: raw_stream::RawError,
    },
    /// The campaign's results could not be read (a cache entry, for one).
    #[error("{path}: reading the result of run {run}: {message}")]
    Source {
        /// The HDF5 file being written.
        path: PathBuf,
        /// The run (job index) whose result failed.
        run: usize,
        /// What the source said.
        message: String,
    },
    /// The HDF5 library failed on an object of the file.
    #[error("{path}: {what} '{object}': {source}")]
    Hdf5 {
        /// The HDF5 file being written.
        path: PathBuf,
        /// What was being done (`creating dataset`, `writing`, ...).
        what: &'static str,
        /// The object: `/tran/v(out)`, `/` for the file.
        object: String,
        /// The library's message.
        #[source]
        source: hdf5::Error,
    },
    /// Creating, syncing or renaming the file failed.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The HDF5 file being written.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The input cannot be written in this layout (a plot with no variable,
    /// a target that is not a regular file, ...).
    #[error("{path}: {message}")]
    Invalid {
        /// The HDF5 file being written.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A file being read is not laid out as spicelab writes its HDF5
    /// files (a missing attribute, a wrong type or shape).
    #[error("{path}: {object}: {message}")]
    Format {
        /// The HDF5 file being read.
        path: PathBuf,
        /// The object: `/tran/v(out)`, `/` for the file.
        object: String,
        /// What is wrong.
        message: String,
    },
    /// A file being read has a format version this build does not read.
    #[error(
        "{path}: spicelab HDF5 format version {found}; this build reads versions 1 to {supported}"
    )]
    Version {
        /// The HDF5 file being read.
        path: PathBuf,
        /// The file's `spicelab_hdf5_version`.
        found: i32,
        /// The newest version this build reads.
        supported: i32,
    },
}

impl Hdf5Error {
    /// The HDF5 file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Hdf5Error::Raw { path, .. }
            | Hdf5Error::Source { path, .. }
            | Hdf5Error::Hdf5 { path, .. }
            | Hdf5Error::Io { path, .. }
            | Hdf5Error::Invalid { path, .. }
            | Hdf5Error::Format { path, .. }
            | Hdf5Error::Version { path, .. } => path,
        }
    }
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, Hdf5Error>;
