//! Measures of one simulation result (`[measure]` of a campaign), computed
//! in one streaming pass over the RAW file.
//!
//! The types are settled here; the computation lives beside them.

/// Which crossings a `cross` measure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// From below the level to at or above it.
    Rise,
    /// From above the level to at or below it.
    Fall,
    /// Either.
    Either,
}

/// What a measure computes on one vector.
#[derive(Debug, Clone, PartialEq)]
pub enum MeasureKind {
    /// Smallest value in the window.
    Min,
    /// Largest value in the window.
    Max,
    /// Mean over the window, weighted by the scale (trapezoids), as
    /// ngspice's `meas avg`.
    Mean,
    /// Root mean square over the window, weighted by the scale.
    Rms,
    /// Peak to peak: max - min.
    Pp,
    /// The last value in the window.
    Final,
    /// The value at a scale value (time, frequency), interpolated linearly.
    At {
        /// The scale value.
        at: f64,
    },
    /// The scale value of the n-th crossing of `level`, interpolated.
    Cross {
        /// The level crossed.
        level: f64,
        /// Which crossings count.
        edge: Edge,
        /// 1 for the first.
        n: u32,
    },
}

/// One named measure of a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSpec {
    /// The measure's name (the key in `[measure]`).
    pub name: String,
    /// What it computes.
    pub kind: MeasureKind,
    /// The vector, as the RAW file names it (case-insensitive).
    pub var: String,
    /// The plot index; `None`: the first plot that has the vector.
    pub plot: Option<usize>,
    /// Start of the window on the scale; `None`: from the first point.
    pub from: Option<f64>,
    /// End of the window on the scale; `None`: to the last point.
    pub to: Option<f64>,
}

// STUB (replaced by the measure branch).
#[allow(missing_docs)]
pub struct Measurer;
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSummary {
    pub min: f64,
    pub mean: f64,
    pub max: f64,
    pub n: u64,
}
#[allow(missing_docs)]
impl Measurer {
    pub fn new(_raw: &raw_stream::RawFile, _specs: &[MeasureSpec]) -> Result<Measurer, String> {
        Ok(Measurer)
    }
    pub fn feed(&mut self, _plot: usize, _chunk: &raw_stream::Chunk) {}
    pub fn finish(self) -> Vec<Option<f64>> {
        Vec::new()
    }
}
#[allow(missing_docs)]
pub fn summarise(_values: impl Iterator<Item = Option<f64>>) -> Option<MeasureSummary> {
    None
}
