//! Helpers shared by the integration tests of raw-stream (and, through
//! `#[path]`, by the fuzz targets and the spicelab tests).
#![allow(dead_code)]

pub mod agree;
pub mod require;
