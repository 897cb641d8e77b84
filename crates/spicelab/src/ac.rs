//! AC and noise results in the units people read: magnitude in dB, phase
//! in degrees unwrapped along frequency, and each vector's peak and -3 dB
//! band.
//!
//! ```
//! use spicelab::ac::{ac_summary, db, Unwrap};
//! use spicelab::raw_stream::RawFile;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! assert_eq!(db(10.0), 20.0);
//! let mut u = Unwrap::default();
//! assert_eq!([u.next(170.0), u.next(-170.0), u.next(-10.0)], [170.0, 190.0, 350.0]);
//! let raw = RawFile::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/ng39_rlc_ac.raw"))?;
//! let plot = raw.plot(0)?;
//! let out = plot.var_index("v(out)")?;
//! let s = &ac_summary(&plot, &[out])?[0];
//! assert!(s.f_peak > 0.0 && s.peak > 0.0);
//! # Ok(()) }
//! ```

use raw_stream::{Chunk, PlotRef, RawError};
use serde::Serialize;
use waveform::Complex64;

/// How complex values are written or summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComplexForm {
    /// Real and imaginary parts.
    #[default]
    ReIm,
    /// Magnitude and phase in degrees (unwrapped along frequency).
    MagPhase,
    /// Magnitude in dB (20 log10 |z|) and phase in degrees (unwrapped).
    Db,
}

impl ComplexForm {
    /// The two column names of vector `name`: `re(v)`/`im(v)`,
    /// `mag(v)`/`ph(v)`, `db(v)`/`ph(v)`.
    pub fn names(self, name: &str) -> [String; 2] {
        match self {
            ComplexForm::ReIm => [format!("re({name})"), format!("im({name})")],
            ComplexForm::MagPhase => [format!("mag({name})"), format!("ph({name})")],
            ComplexForm::Db => [format!("db({name})"), format!("ph({name})")],
        }
    }

    /// The two values of `z`; `unwrap` carries the phase of the previous
    /// point of the same vector.
    pub fn values(self, z: Complex64, unwrap: &mut Unwrap) -> [f64; 2] {
        match self {
            ComplexForm::ReIm => [z.re, z.im],
            ComplexForm::MagPhase => [z.re.hypot(z.im), unwrap.next(phase_deg(z))],
            ComplexForm::Db => [db(z.re.hypot(z.im)), unwrap.next(phase_deg(z))],
        }
    }
}

/// 20 log10(magnitude).
pub fn db(magnitude: f64) -> f64 {
    20.0 * magnitude.log10()
}

/// The phase of `z` in degrees, in (-180, 180].
pub fn phase_deg(z: Complex64) -> f64 {
    z.im.atan2(z.re).to_degrees()
}

/// Phase unwrapping along a sweep: each phase moved by a multiple of 360
/// degrees to within 180 degrees of the previous one (as numpy's
/// `unwrap(..., period=360)`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Unwrap {
    prev: Option<f64>,
    offset: f64,
}

impl Unwrap {
    /// The unwrapped value of the next phase (degrees).
    pub fn next(&mut self, phase: f64) -> f64 {
        if let Some(p) = self.prev {
            let d = phase + self.offset - p;
            if d.is_finite() {
                self.offset -= 360.0 * (d / 360.0).round();
            }
        }
        let v = phase + self.offset;
        if v.is_finite() {
            self.prev = Some(v);
        }
        v
    }

    /// Starts again (a new step of a stepped sweep).
    pub fn reset(&mut self) {
        *self = Unwrap::default();
    }
}

/// The peak and -3 dB band of one vector of an AC plot.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AcSummary {
    /// The vector.
    pub name: String,
    /// Largest magnitude.
    pub peak: f64,
    /// It in dB.
    pub peak_db: f64,
    /// The frequency of the peak.
    pub f_peak: f64,
    /// Where the magnitude last rises through peak / sqrt(2) below the
    /// peak's frequency (`None`: it never is 3 dB down there, as for a
    /// low-pass), interpolated in dB over log frequency.
    pub f_low: Option<f64>,
    /// Where it first falls through peak / sqrt(2) above the peak
    /// (`None`: not within the sweep, as for a high-pass).
    pub f_high: Option<f64>,
    /// f_high - f_low (f_low taken as 0 when `None`); `None` without f_high.
    pub bandwidth: Option<f64>,
}

/// Crossing of `level` (dB) between two points, interpolated in dB over
/// log frequency (linear frequency when a frequency is not positive).
fn cross(f0: f64, d0: f64, f1: f64, d1: f64, level: f64) -> f64 {
    let t = if d1 == d0 {
        0.0
    } else {
        (level - d0) / (d1 - d0)
    };
    if f0 > 0.0 && f1 > 0.0 {
        (f0.ln() + t * (f1.ln() - f0.ln())).exp()
    } else {
        f0 + t * (f1 - f0)
    }
}

/// [`AcSummary`] of the vectors `vars` of a plot (frequency as variable
/// 0), in two streaming passes: the peak, then the -3 dB crossings.
pub fn ac_summary(plot: &PlotRef, vars: &[usize]) -> Result<Vec<AcSummary>, RawError> {
    let header = plot.header();
    let mut cols = vec![0];
    cols.extend(vars.iter().copied().filter(|&v| v != 0));
    let mut chunk = Chunk::default();
    let mag = |c: &Chunk, v: usize, i: usize| {
        c.columns
            .get(v)
            .and_then(|col| col.get_complex(i))
            .map_or(f64::NAN, |z| z.re.hypot(z.im))
    };
    let freq = |c: &Chunk, i: usize| {
        c.columns
            .first()
            .and_then(|col| col.get_complex(i))
            .map_or(f64::NAN, |z| z.re)
    };
    // Pass 1: peaks.
    let mut peak = vec![(f64::NEG_INFINITY, f64::NAN); vars.len()];
    let mut it = plot.chunks_of(1 << 14, Some(cols.clone()));
    while it.fill(&mut chunk)? {
        for i in 0..chunk.len {
            let f = freq(&chunk, i);
            for (k, &v) in vars.iter().enumerate() {
                let m = mag(&chunk, v, i);
                if m > peak[k].0 {
                    peak[k] = (m, f);
                }
            }
        }
    }
    // Pass 2: the crossings of peak - 3.0103 dB on each side of the peak.
    let half = 20.0 * std::f64::consts::FRAC_1_SQRT_2.log10();
    let mut f_low: Vec<Option<f64>> = vec![None; vars.len()];
    let mut f_high: Vec<Option<f64>> = vec![None; vars.len()];
    let mut prev: Vec<Option<(f64, f64)>> = vec![None; vars.len()];
    let mut it = plot.chunks_of(1 << 14, Some(cols));
    while it.fill(&mut chunk)? {
        for i in 0..chunk.len {
            let f = freq(&chunk, i);
            for (k, &v) in vars.iter().enumerate() {
                let (pk, fp) = peak[k];
                let level = db(pk) + half;
                let d = db(mag(&chunk, v, i));
                if let Some((f0, d0)) = prev[k] {
                    if f <= fp && d0 < level && d >= level {
                        f_low[k] = Some(cross(f0, d0, f, d, level));
                    }
                    if f > fp && f_high[k].is_none() && d0 >= level && d < level {
                        f_high[k] = Some(cross(f0, d0, f, d, level));
                    }
                }
                prev[k] = Some((f, d));
            }
        }
    }
    Ok(vars
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let (pk, fp) = peak[k];
            AcSummary {
                name: header.variables[v].name.clone(),
                peak: pk,
                peak_db: db(pk),
                f_peak: fp,
                f_low: f_low[k],
                f_high: f_high[k],
                bandwidth: f_high[k].map(|h| h - f_low[k].unwrap_or(0.0)),
            }
        })
        .collect())
}

/// Statistics of the two parts of each complex vector of `vars` in `form`
/// (`db(v)` and `ph(v)`, ...), in one sequential pass (the phase unwraps
/// along the sweep, again from each step's start). Real vectors are left
/// out. Returns (name, accumulator) pairs, two per complex vector.
pub fn component_stats(
    plot: &PlotRef,
    vars: &[usize],
    form: ComplexForm,
) -> Result<Vec<(String, waveform::stats::Accumulator)>, RawError> {
    let info = plot.info();
    let complex: Vec<usize> = vars
        .iter()
        .copied()
        .filter(|&v| info.types.get(v).is_some_and(|t| t.is_complex()))
        .collect();
    let mut accs = vec![waveform::stats::Accumulator::default(); 2 * complex.len()];
    let mut unwrap = vec![Unwrap::default(); complex.len()];
    let steps = plot.steps()?;
    let mut it = plot.chunks_with(&raw_stream::ChunkOptions {
        points: 1 << 14,
        vars: Some(complex.clone()),
        range: None,
        split_steps: steps.count() > 1,
    })?;
    let mut chunk = Chunk::default();
    let mut last_step = 0;
    while it.fill(&mut chunk)? {
        if chunk.step != last_step {
            unwrap.iter_mut().for_each(Unwrap::reset);
            last_step = chunk.step;
        }
        for i in 0..chunk.len {
            for (k, &v) in complex.iter().enumerate() {
                let z = chunk.columns[v].get_complex(i).unwrap_or_default();
                let [a, b] = form.values(z, &mut unwrap[k]);
                accs[2 * k].push(a);
                accs[2 * k + 1].push(b);
            }
        }
    }
    let mut out = Vec::with_capacity(accs.len());
    for (k, &v) in complex.iter().enumerate() {
        let [na, nb] = form.names(&info.header.variables[v].name);
        out.push((na, accs[2 * k]));
        out.push((nb, accs[2 * k + 1]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwrap_follows_a_falling_phase_through_180() {
        let mut u = Unwrap::default();
        let got: Vec<f64> = [-90.0, -170.0, 170.0, 90.0, 10.0, -80.0]
            .iter()
            .map(|&p| u.next(p))
            .collect();
        assert_eq!(got, [-90.0, -170.0, -190.0, -270.0, -350.0, -440.0]);
        u.reset();
        assert_eq!(u.next(170.0), 170.0);
    }

    #[test]
    fn forms() {
        let z = Complex64 { re: 0.0, im: -10.0 };
        let mut u = Unwrap::default();
        assert_eq!(ComplexForm::Db.values(z, &mut u), [20.0, -90.0]);
        assert_eq!(ComplexForm::ReIm.names("v(o)"), ["re(v(o))", "im(v(o))"]);
        assert_eq!(
            ComplexForm::MagPhase.names("v(o)"),
            ["mag(v(o))", "ph(v(o))"]
        );
    }
}
