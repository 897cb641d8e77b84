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

    /// Adds every value of a slice. Branch-free over eight lanes so that the
    /// compiler can vectorise it; NaNs are counted and left out.
    pub fn extend(&mut self, xs: &[f64]) {
        const L: usize = 8;
        let mut mn = [f64::INFINITY; L];
        let mut mx = [f64::NEG_INFINITY; L];
        let mut s = [0.0f64; L];
        let mut q = [0.0f64; L];
        let mut nans = [0u64; L];
        let mut it = xs.chunks_exact(L);
        for c in &mut it {
            for k in 0..L {
                let x = c[k];
                let is_nan = x.is_nan();
                let y = if is_nan { 0.0 } else { x };
                mn[k] = if x < mn[k] { x } else { mn[k] };
                mx[k] = if x > mx[k] { x } else { mx[k] };
                s[k] += y;
                q[k] += y * y;
                nans[k] += u64::from(is_nan);
            }
        }
        let n = (xs.len() - it.remainder().len()) as u64;
        let nan_total: u64 = nans.iter().sum();
        let lanes = Accumulator {
            count: n - nan_total,
            nans: nan_total,
            min: mn.iter().copied().fold(f64::INFINITY, f64::min),
            max: mx.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            sum: s.iter().sum(),
            sum_sq: q.iter().sum(),
        };
        self.merge(&lanes);
        for &x in it.remainder() {
            self.push(x);
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
        // the lane path and the one-at-a-time path agree
        let xs: Vec<f64> = (0..1001)
            .map(|i| ((i * 7919) % 1000) as f64 - 500.0)
            .collect();
        let mut lanes = Accumulator::default();
        lanes.extend(&xs);
        let mut one = Accumulator::default();
        for &x in &xs {
            one.push(x);
        }
        assert_eq!(
            (lanes.count, lanes.min, lanes.max),
            (one.count, one.min, one.max)
        );
        assert!((lanes.sum - one.sum).abs() < 1e-6 && (lanes.sum_sq - one.sum_sq).abs() < 1e-3);
    }
}

/// Statistics of every variable of point-major rows of little-endian f64
/// values (ngspice/Xyce binary data), computed straight from the bytes.
///
/// ```
/// use waveform::stats::RowStats;
/// let rows: Vec<u8> = [1.0f64, 10.0, 3.0, 30.0].iter().flat_map(|x| x.to_le_bytes()).collect();
/// let mut r = RowStats::new(2);
/// r.extend_f64_rows(&rows);
/// let a = r.finish();
/// assert_eq!((a[0].min(), a[0].max(), a[1].mean()), (Some(1.0), Some(3.0), Some(20.0)));
/// ```
#[derive(Debug, Clone)]
pub struct RowStats {
    mn: Vec<f64>,
    mx: Vec<f64>,
    s: Vec<f64>,
    q: Vec<f64>,
    nans: Vec<u64>,
    rows: u64,
}

impl RowStats {
    /// Statistics for rows of `n_vars` values.
    pub fn new(n_vars: usize) -> RowStats {
        RowStats {
            mn: vec![f64::INFINITY; n_vars],
            mx: vec![f64::NEG_INFINITY; n_vars],
            s: vec![0.0; n_vars],
            q: vec![0.0; n_vars],
            nans: vec![0; n_vars],
            rows: 0,
        }
    }

    /// Adds whole rows (`bytes.len()` a multiple of `8 * n_vars`; a partial row at the end is ignored).
    pub fn extend_f64_rows(&mut self, bytes: &[u8]) {
        let nv = self.mn.len();
        if nv == 0 {
            return;
        }
        let (mn, mx, s, q, nans) = (
            &mut self.mn[..],
            &mut self.mx[..],
            &mut self.s[..],
            &mut self.q[..],
            &mut self.nans[..],
        );
        for row in bytes.chunks_exact(8 * nv) {
            for (j, b) in row.chunks_exact(8).enumerate() {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                let x = f64::from_le_bytes(a);
                let is_nan = x.is_nan();
                let y = if is_nan { 0.0 } else { x };
                mn[j] = if x < mn[j] { x } else { mn[j] };
                mx[j] = if x > mx[j] { x } else { mx[j] };
                s[j] += y;
                q[j] += y * y;
                nans[j] += u64::from(is_nan);
            }
            self.rows += 1;
        }
    }

    /// One accumulator per variable.
    pub fn finish(&self) -> Vec<Accumulator> {
        (0..self.mn.len())
            .map(|j| Accumulator {
                count: self.rows - self.nans[j],
                nans: self.nans[j],
                min: self.mn[j],
                max: self.mx[j],
                sum: self.s[j],
                sum_sq: self.q[j],
            })
            .collect()
    }
}
