//! Resampling of non-uniform transient data onto a uniform grid.

use crate::{FftError, MAX_POINTS};

/// How values between two samples are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interp {
    /// Straight line between the two neighbouring samples, as ngspice's
    /// `linearize` and `.four` (`polydegree` 1).
    Linear,
    /// The cubic through the four nearest samples (two each side; at the
    /// ends of the data, the four nearest there are), as ngspice's
    /// `polydegree` 3. Exact for cubics, local, and it passes through every
    /// sample.
    Cubic,
}

impl Interp {
    /// Reads `linear` or `cubic`.
    pub fn parse(s: &str) -> Result<Interp, FftError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "linear" | "lin" => Ok(Interp::Linear),
            "cubic" => Ok(Interp::Cubic),
            _ => Err(FftError::Invalid {
                message: format!("unknown interpolation '{s}' (linear or cubic)"),
            }),
        }
    }

    /// `linear` or `cubic`.
    pub fn name(&self) -> &'static str {
        match self {
            Interp::Linear => "linear",
            Interp::Cubic => "cubic",
        }
    }
}

/// A uniform grid of `points` samples starting at `start`, `step` apart:
/// `start + i * step` for `i` in `0..points`. The record it spans,
/// `points * step`, ends one step after the last sample, as an FFT record
/// does (a whole number of periods in it is coherent).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Grid {
    /// The first sample's time.
    pub start: f64,
    /// The spacing (1 / sample rate).
    pub step: f64,
    /// How many samples.
    pub points: usize,
}

impl Grid {
    /// `points` samples over the record `[from, to)`: step `(to - from) /
    /// points`. Refuses a record that is empty, not finite, or reversed, and
    /// fewer than 2 or more than [`MAX_POINTS`] points.
    pub fn over(from: f64, to: f64, points: usize) -> Result<Grid, FftError> {
        if !(from.is_finite() && to.is_finite()) || to <= from {
            return Err(FftError::Invalid {
                message: format!("the record [{from}, {to}] is empty, reversed or not finite"),
            });
        }
        check_points(points)?;
        Ok(Grid {
            start: from,
            step: (to - from) / points as f64,
            points,
        })
    }

    /// The sample rate, 1 / step.
    pub fn rate(&self) -> f64 {
        1.0 / self.step
    }

    /// The time of sample `i`.
    pub fn time(&self, i: usize) -> f64 {
        self.start + i as f64 * self.step
    }

    /// The end of the record, `start + points * step`.
    pub fn end(&self) -> f64 {
        self.time(self.points)
    }
}

/// Refuses fewer than 2 or more than [`MAX_POINTS`] points.
pub(crate) fn check_points(points: usize) -> Result<(), FftError> {
    if !(2..=MAX_POINTS).contains(&points) {
        return Err(FftError::Invalid {
            message: format!("{points} points: between 2 and {MAX_POINTS}"),
        });
    }
    Ok(())
}

/// Resamples the samples `(xs[i], ys[i])` (time non-decreasing; where two
/// samples share a time, the later one counts from there on) onto `grid`.
///
/// Every grid time must lie within the data (`xs[0] <= start`, last grid
/// time `<= xs[last]`); NaN samples are refused.
pub fn resample(xs: &[f64], ys: &[f64], grid: &Grid, interp: Interp) -> Result<Vec<f64>, FftError> {
    let mut out = Vec::new();
    resample_into(xs, ys, grid, interp, &mut out)?;
    Ok(out)
}

/// [`resample`] into `out` (cleared first), reusing its allocation.
pub fn resample_into(
    xs: &[f64],
    ys: &[f64],
    grid: &Grid,
    interp: Interp,
    out: &mut Vec<f64>,
) -> Result<(), FftError> {
    out.clear();
    check_points(grid.points)?;
    if xs.len() != ys.len() {
        return Err(FftError::Invalid {
            message: format!("{} times but {} values", xs.len(), ys.len()),
        });
    }
    if xs.len() < 2 {
        return Err(FftError::Invalid {
            message: format!("{} samples: need at least 2 to resample", xs.len()),
        });
    }
    if let Some(i) = (0..xs.len()).find(|&i| xs[i].is_nan() || ys[i].is_nan()) {
        return Err(FftError::Invalid {
            message: format!("sample {i} is NaN"),
        });
    }
    if let Some(i) = (1..xs.len()).find(|&i| xs[i] < xs[i - 1]) {
        return Err(FftError::Invalid {
            message: format!(
                "the time goes back at sample {i} ({} after {}): one step of a stepped plot at a time",
                xs[i],
                xs[i - 1]
            ),
        });
    }
    let first = xs[0];
    let last = xs[xs.len() - 1];
    let t_last = grid.time(grid.points - 1);
    // a grid end within a rounding of the data's end counts as inside
    let slack = 1e-9 * grid.step;
    if grid.start < first - slack || t_last > last + slack {
        return Err(FftError::Uncovered {
            from: grid.start,
            to: t_last,
            first,
            last,
        });
    }
    out.reserve(grid.points);
    // j: the segment [xs[j], xs[j+1]] holding t, moving forward only
    let mut j = 0usize;
    let n = xs.len();
    for i in 0..grid.points {
        let t = grid.time(i).clamp(first, last);
        while j + 2 < n && xs[j + 1] <= t {
            j += 1;
        }
        let y = match interp {
            Interp::Linear => {
                let (x0, x1) = (xs[j], xs[j + 1]);
                if x1 > x0 {
                    let u = (t - x0) / (x1 - x0);
                    ys[j] + u * (ys[j + 1] - ys[j])
                } else {
                    ys[j + 1]
                }
            }
            Interp::Cubic => cubic_at(xs, ys, j, t),
        };
        out.push(y);
    }
    Ok(())
}

/// The cubic through the four samples around segment `j`, at `t`.
fn cubic_at(xs: &[f64], ys: &[f64], j: usize, t: f64) -> f64 {
    let n = xs.len();
    if n < 4 {
        // too few samples for a cubic: the line
        let (x0, x1) = (xs[j], xs[j + 1]);
        return if x1 > x0 {
            ys[j] + (t - x0) / (x1 - x0) * (ys[j + 1] - ys[j])
        } else {
            ys[j + 1]
        };
    }
    let lo = j.saturating_sub(1).min(n - 4);
    let px = &xs[lo..lo + 4];
    let py = &ys[lo..lo + 4];
    // repeated times (a breakpoint written twice): the line there
    if px.windows(2).any(|w| w[1] <= w[0]) {
        let (x0, x1) = (xs[j], xs[j + 1]);
        return if x1 > x0 {
            ys[j] + (t - x0) / (x1 - x0) * (ys[j + 1] - ys[j])
        } else {
            ys[j + 1]
        };
    }
    // exact at a sample
    if let Some(k) = px.iter().position(|&x| x == t) {
        return py[k];
    }
    let mut y = 0.0;
    for k in 0..4 {
        let mut l = 1.0;
        for m in 0..4 {
            if m != k {
                l *= (t - px[m]) / (px[k] - px[m]);
            }
        }
        y += l * py[k];
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn linear_and_cubic_on_polynomials() {
        // non-uniform times
        let xs: Vec<f64> = (0..50).map(|i| (i as f64 * 0.37).powf(1.3)).collect();
        let line: Vec<f64> = xs.iter().map(|x| 3.0 * x - 1.0).collect();
        let cub: Vec<f64> = xs.iter().map(|x| x * x * x - 2.0 * x * x + x).collect();
        let g = Grid::over(xs[0], xs[49], 400).unwrap();
        let l = resample(&xs, &line, &g, Interp::Linear).unwrap();
        let c = resample(&xs, &cub, &g, Interp::Cubic).unwrap();
        for i in 0..g.points {
            let t = g.time(i);
            assert!((l[i] - (3.0 * t - 1.0)).abs() < 1e-9);
            let want = t * t * t - 2.0 * t * t + t;
            assert!((c[i] - want).abs() < 1e-7 * want.abs().max(1.0), "{i}");
        }
    }

    #[test]
    fn refuses_bad_input() {
        let g = Grid::over(0.0, 1.0, 10).unwrap();
        assert!(resample(&[0.0], &[1.0], &g, Interp::Linear).is_err());
        assert!(resample(&[0.0, 0.5], &[1.0, 2.0], &g, Interp::Linear).is_err());
        assert!(resample(&[0.0, 2.0, 1.0], &[1.0, 2.0, 3.0], &g, Interp::Linear).is_err());
        assert!(resample(&[0.0, f64::NAN], &[1.0, 2.0], &g, Interp::Linear).is_err());
        assert!(Grid::over(1.0, 0.0, 10).is_err());
        assert!(Grid::over(0.0, 1.0, 1).is_err());
        assert!(Grid::over(0.0, 1.0, MAX_POINTS + 1).is_err());
    }

    proptest! {
        /// Uniform data resampled onto its own grid comes back unchanged.
        #[test]
        fn uniform_data_is_the_identity(
            ys in proptest::collection::vec(-1e3f64..1e3, 4..300),
            t0 in -1.0f64..1.0,
            dt in 1e-9f64..1.0,
            cubic in any::<bool>(),
        ) {
            let n = ys.len();
            let xs: Vec<f64> = (0..n).map(|i| t0 + i as f64 * dt).collect();
            // the grid of n - 1 samples over [x0, x_{n-1}) hits every sample but the last
            let g = Grid { start: t0, step: dt, points: n - 1 };
            let interp = if cubic { Interp::Cubic } else { Interp::Linear };
            let out = resample(&xs, &ys, &g, interp).unwrap();
            for i in 0..n - 1 {
                prop_assert!((out[i] - ys[i]).abs() <= 1e-9 * ys[i].abs().max(1.0), "{} vs {}", out[i], ys[i]);
            }
        }
    }
}
