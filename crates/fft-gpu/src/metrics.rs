//! Distortion metrics of a power spectrum: fundamental, THD, SNR, SINAD,
//! SFDR, ENOB, noise floor, with the bins each one used.

use crate::{FftError, Spectrum};

/// What the metrics look for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricOptions {
    /// The fundamental's frequency; `None`: the largest tone above DC.
    pub fundamental: Option<f64>,
    /// The highest harmonic order counted (the fundamental is order 1):
    /// THD sums orders 2..=harmonics. 9 by default, as ngspice's `.four`
    /// (`nfreqs` 10: orders 0 to 9).
    pub harmonics: u32,
}

/// The highest harmonic order accepted (bounds the work and the report).
pub const MAX_HARMONICS: u32 = 1000;

impl Default for MetricOptions {
    fn default() -> MetricOptions {
        MetricOptions {
            fundamental: None,
            harmonics: 9,
        }
    }
}

/// A range of bins, both ends included; `count` 0 when the component got
/// no bins of its own (they belonged to an earlier one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Bins {
    /// The first bin.
    pub lo: usize,
    /// The last bin.
    pub hi: usize,
    /// How many bins of `lo..=hi` the component owns.
    pub count: usize,
}

/// One harmonic of the fundamental.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Harmonic {
    /// Its order (2 for the second harmonic).
    pub order: u32,
    /// `order * fundamental`.
    pub frequency_hz: f64,
    /// Where it shows in the spectrum: the same, or folded back below
    /// Nyquist when above it.
    pub alias_hz: f64,
    /// True when it lies above Nyquist and was folded back.
    pub folded: bool,
    /// The bin at `alias_hz`.
    pub bin: usize,
    /// The bins summed for its power.
    pub bins: Bins,
    /// Its power (the spectrum's unit squared, as a mean square).
    pub power: f64,
    /// Its level relative to the fundamental, dB.
    pub dbc: f64,
}

/// The metrics of one spectrum. Powers are mean squares in the signal's
/// unit squared (a sine of amplitude `A` has power `A^2 / 2`); levels in dB
/// are relative to the fundamental unless named otherwise.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Distortion {
    /// The fundamental's frequency: the power-weighted centre of its bins.
    pub fundamental_hz: f64,
    /// The fundamental's peak bin.
    pub fundamental_bin: usize,
    /// The bins summed for the fundamental's power.
    pub fundamental_bins: Bins,
    /// The fundamental's power.
    pub fundamental_power: f64,
    /// Its amplitude, `sqrt(2 * power)`.
    pub fundamental_amplitude: f64,
    /// The bins given to DC (never noise).
    pub dc_bins: Bins,
    /// Harmonics 2..=N.
    pub harmonics: Vec<Harmonic>,
    /// Total harmonic distortion: harmonics' power over the fundamental's, dB.
    pub thd_db: f64,
    /// The same as a ratio of amplitudes, percent.
    pub thd_percent: f64,
    /// Signal to noise (harmonics excluded), dB.
    pub snr_db: f64,
    /// Signal to noise and distortion, dB.
    pub sinad_db: f64,
    /// Spurious-free dynamic range: the fundamental over the largest other
    /// component (a harmonic's power or a single noise bin), dB.
    pub sfdr_db: f64,
    /// The bin of that largest spur.
    pub sfdr_bin: usize,
    /// Its frequency.
    pub sfdr_hz: f64,
    /// Effective number of bits, `(sinad_db - 1.76) / 6.02`.
    pub enob: f64,
    /// Noise power over the whole band: the mean of the noise bins times
    /// every bin above DC (the bins of tones hold noise too).
    pub noise_power: f64,
    /// Mean noise power per bin, dB (re the unit squared).
    pub noise_floor_db: f64,
    /// The same relative to the fundamental, dBc per bin.
    pub noise_floor_dbc: f64,
    /// How many bins count as noise.
    pub noise_bins: usize,
    /// The bin width, Hz.
    pub bin_hz: f64,
}

const DC: u32 = 0;
const FUND: u32 = 1;
const FREE: u32 = u32::MAX;

fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}

/// Computes the metrics of `spec`.
///
/// Tones (DC, the fundamental, each harmonic) own the bins within
/// [`crate::Window::lobe_bins`] of their bin, DC first, then the
/// fundamental, then the harmonics in order; a bin already owned stays
/// with its first owner. Harmonics above Nyquist are folded back
/// (`f mod fs`, mirrored about `fs / 2`), not dropped. Every bin above DC
/// that no tone owns is noise.
pub fn distortion(spec: &Spectrum, opts: &MetricOptions) -> Result<Distortion, FftError> {
    if opts.harmonics < 1 || opts.harmonics > MAX_HARMONICS {
        return Err(FftError::Invalid {
            message: format!(
                "harmonics = {}: between 1 and {MAX_HARMONICS}",
                opts.harmonics
            ),
        });
    }
    let p = spec.power();
    let nb = p.len();
    let lobe = spec.window.lobe_bins();
    let df = spec.bin_hz();
    let fs = spec.rate;
    if nb < 2 * lobe + 3 {
        return Err(FftError::Invalid {
            message: format!(
                "{} points are too few for the {} window (its tones are {} bins wide)",
                spec.points,
                spec.window.name(),
                2 * lobe + 1
            ),
        });
    }
    let mut owner = vec![FREE; nb];
    let claim = |owner: &mut Vec<u32>, id: u32, center: usize| -> Bins {
        let lo = center.saturating_sub(lobe);
        let hi = (center + lobe).min(nb - 1);
        let mut count = 0;
        for o in &mut owner[lo..=hi] {
            if *o == FREE {
                *o = id;
                count += 1;
            }
        }
        Bins { lo, hi, count }
    };
    let power_of = |owner: &[u32], id: u32, b: &Bins| -> f64 {
        (b.lo..=b.hi)
            .filter(|&k| owner[k] == id)
            .map(|k| p[k])
            .sum()
    };
    let dc_bins = claim(&mut owner, DC, 0);
    let first = dc_bins.hi + 1;
    // the fundamental's peak bin
    let peak_in = |lo: usize, hi: usize| -> usize {
        (lo..=hi)
            .max_by(|&a, &b| p[a].total_cmp(&p[b]))
            .unwrap_or(lo)
    };
    let k1 = match opts.fundamental {
        Some(f) => {
            if !(f.is_finite() && f > 0.0) {
                return Err(FftError::Invalid {
                    message: format!("fundamental {f} Hz: must be above 0"),
                });
            }
            let k = (f / df).round();
            if k >= (nb - 1) as f64 {
                return Err(FftError::Invalid {
                    message: format!(
                        "fundamental {f} Hz is at or above Nyquist ({} Hz): resample with more points",
                        fs / 2.0
                    ),
                });
            }
            let k = k as usize;
            if k < first {
                return Err(FftError::Invalid {
                    message: format!(
                        "fundamental {f} Hz is within the DC bins (bin width {df} Hz, {} window): \
                         the record holds too few periods",
                        spec.window.name()
                    ),
                });
            }
            peak_in(k.saturating_sub(lobe).max(first), (k + lobe).min(nb - 1))
        }
        None => peak_in(first, nb - 1),
    };
    // the fundamental's bins must clear DC's, and its harmonics' its own
    if k1 < 2 * lobe + 1 {
        return Err(FftError::Invalid {
            message: format!(
                "the fundamental is at bin {k1}: the {} window needs at least {} periods in the \
                 record so that DC, the fundamental and its harmonics do not share bins \
                 (lengthen the record, or take a narrower window)",
                spec.window.name(),
                2 * lobe + 1
            ),
        });
    }
    let fund_bins = claim(&mut owner, FUND, k1);
    let p1 = power_of(&owner, FUND, &fund_bins);
    if p1 <= 0.0 || !p1.is_finite() {
        return Err(FftError::Invalid {
            message: "no fundamental: the signal has no power above DC".into(),
        });
    }
    let weighted: f64 = (fund_bins.lo..=fund_bins.hi)
        .filter(|&k| owner[k] == FUND)
        .map(|k| k as f64 * p[k])
        .sum();
    let f1_measured = weighted / p1 * df;
    let f1 = opts.fundamental.unwrap_or(f1_measured);

    let mut harmonics = Vec::new();
    for order in 2..=opts.harmonics {
        let f = f64::from(order) * f1;
        let mut alias = f % fs;
        if alias > fs / 2.0 {
            alias = fs - alias;
        }
        let folded = f > fs / 2.0;
        let bin = ((alias / df).round() as usize).min(nb - 1);
        let bins = claim(&mut owner, order, bin);
        harmonics.push(Harmonic {
            order,
            frequency_hz: f,
            alias_hz: alias,
            folded,
            bin,
            bins,
            power: 0.0,
            dbc: 0.0,
        });
    }
    let mut harm_total = 0.0;
    for h in &mut harmonics {
        h.power = power_of(&owner, h.order, &h.bins);
        h.dbc = db(h.power / p1);
        harm_total += h.power;
    }
    let mut noise_sum = 0.0;
    let mut noise_bins = 0usize;
    let mut spur_bin = None::<usize>;
    for k in first..nb {
        if owner[k] == FREE {
            noise_sum += p[k];
            noise_bins += 1;
            if spur_bin.is_none_or(|s| p[k] > p[s]) {
                spur_bin = Some(k);
            }
        }
    }
    let above_dc = nb - first;
    let noise_power = if noise_bins > 0 {
        noise_sum / noise_bins as f64 * above_dc as f64
    } else {
        0.0
    };
    // the largest spur: a harmonic's power or one noise bin
    let mut spur = spur_bin.map_or(0.0, |k| p[k]);
    let mut sfdr_bin = spur_bin.unwrap_or(0);
    for h in &harmonics {
        if h.power > spur {
            spur = h.power;
            sfdr_bin = h.bin;
        }
    }
    let sinad_db = db(p1 / (noise_power + harm_total));
    let floor = if noise_bins > 0 {
        noise_sum / noise_bins as f64
    } else {
        0.0
    };
    Ok(Distortion {
        fundamental_hz: f1_measured,
        fundamental_bin: k1,
        fundamental_bins: fund_bins,
        fundamental_power: p1,
        fundamental_amplitude: (2.0 * p1).sqrt(),
        dc_bins,
        thd_db: db(harm_total / p1),
        thd_percent: 100.0 * (harm_total / p1).sqrt(),
        snr_db: db(p1 / noise_power),
        sinad_db,
        sfdr_db: db(p1 / spur),
        sfdr_bin,
        sfdr_hz: sfdr_bin as f64 * df,
        enob: (sinad_db - 1.76) / 6.02,
        noise_power,
        noise_floor_db: db(floor),
        noise_floor_dbc: db(floor / p1),
        noise_bins,
        bin_hz: df,
        harmonics,
    })
}
