//! Running statistics of a vector: min, max, mean, rms, fed a chunk at a time.
//!
//! ```
//! use waveform::stats::Accumulator;
//! let mut a = Accumulator::default();
//! a.extend(&[1.0, -1.0, 1.0, -1.0]);
//! assert_eq!(a.min(), Some(-1.0));
//! assert_eq!(a.mean(), Some(0.0));
//! assert_eq!(a.rms(), Some(1.0));
//! ```

use serde::{Deserialize, Serialize};

/// Min, max, sum and sum of squares of the values seen; NaNs are counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    /// Number of finite-or-infinite (non-NaN) values.
    pub count: u64,
    /// Number of NaN values (left out of every statistic).
    pub nans: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Sum of the values.
    pub sum: f64,
    /// Sum of the squares.
    pub sum_sq: f64,
}

impl Default for Accumulator {
    fn default() -> Self {
        Accumulator {
            count: 0,
            nans: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
            sum_sq: 0.0,
        }
    }
}

impl Accumulator {
    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            self.nans += 1;
            return;
        }
        self.count += 1;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        self.sum += x;
        self.sum_sq += x * x;
    }

    /// Adds every value of a slice (four independent lanes, then merged).
    pub fn extend(&mut self, xs: &[f64]) {
        let mut lanes = [Accumulator::default(); 4];
        let mut it = xs.chunks_exact(4);
        for c in &mut it {
            for (l, &x) in lanes.iter_mut().zip(c) {
                l.push(x);
            }
        }
        for &x in it.remainder() {
            lanes[0].push(x);
        }
        for l in &lanes {
            self.merge(l);
        }
    }

    /// Merges the statistics of another accumulator into this one.
    pub fn merge(&mut self, o: &Accumulator) {
        self.count += o.count;
        self.nans += o.nans;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        self.sum += o.sum;
        self.sum_sq += o.sum_sq;
    }

    /// Smallest value, if any.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value, if any.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// Arithmetic mean, if any.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    /// Root mean square, if any.
    pub fn rms(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.sum_sq / self.count as f64).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_is_counted_apart() {
        let mut a = Accumulator::default();
        a.extend(&[f64::NAN, 2.0, 4.0, f64::NAN, 6.0]);
        assert_eq!(a.count, 3);
        assert_eq!(a.nans, 2);
        assert_eq!(a.min(), Some(2.0));
        assert_eq!(a.max(), Some(6.0));
        assert_eq!(a.mean(), Some(4.0));
        let rms = a.rms().unwrap_or(0.0);
        assert!((rms - (56.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(Accumulator::default().mean(), None);
    }
}
