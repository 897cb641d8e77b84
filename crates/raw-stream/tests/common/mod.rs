//! Helpers shared by the integration tests of raw-stream (and, through
//! `#[path]`, by the fuzz targets and the spicelab tests).
#![allow(dead_code)]

pub mod agree;
pub mod require;

/// The plot, byte offset and message of the `RawError::Data` that `r` must
/// be; any other result panics, naming `what`.
pub fn expect_data_error<T: std::fmt::Debug>(
    r: Result<T, raw_stream::RawError>,
    what: &str,
) -> (usize, u64, String) {
    match r {
        Err(raw_stream::RawError::Data {
            plot,
            offset,
            message,
            ..
        }) => (plot, offset, message),
        other => panic!("{what}: expected a data error, got {other:?}"),
    }
}

/// The plot name ngspice gives an AC (`complex`) or a transient plot.
pub fn plotname(complex: bool) -> String {
    if complex {
        "AC Analysis"
    } else {
        "Transient Analysis"
    }
    .into()
}
