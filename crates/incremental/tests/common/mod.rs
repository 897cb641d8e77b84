//! Helpers shared by the integration tests of incremental (and, through
//! `#[path]`, by the fuzz targets).
#![allow(dead_code)]

pub mod fuzz;
