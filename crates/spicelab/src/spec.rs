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

// STUB (replaced by the measure branch).
#[allow(missing_docs)]
#[derive(Debug, Clone)]
pub struct YieldSummary {
    pub pass: u64,
    pub of: u64,
    pub yield_: f64,
    pub ci95: (f64, f64),
    pub specs: Vec<SpecYield>,
}
#[allow(missing_docs)]
#[derive(Debug, Clone)]
pub struct SpecYield {
    pub measure: String,
    pub pass: u64,
    pub of: u64,
    pub ci95: (f64, f64),
}
#[allow(missing_docs)]
pub fn yield_summary(_specs: &[Spec], _names: &[String], _jobs: &[&[Option<f64>]]) -> YieldSummary {
    YieldSummary {
        pass: 0,
        of: 0,
        yield_: 0.0,
        ci95: (0.0, 1.0),
        specs: vec![],
    }
}
