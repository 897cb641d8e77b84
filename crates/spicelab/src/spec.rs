//! Spec limits (`[spec]` of a campaign), pass/fail per job and the yield
//! with its 95% confidence interval.
//!
//! The types are settled here; the computation lives beside them.

/// One spec: limits on one measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The measure it limits (a key of `[measure]`, also the spec's name).
    pub measure: String,
    /// Lowest value that passes (inclusive).
    pub min: Option<f64>,
    /// Highest value that passes (inclusive).
    pub max: Option<f64>,
}
