//! Spec limits (`[spec]` of a campaign), pass/fail per job and the yield
//! with its 95% confidence interval.
//!
//! [`Spec::passes`] decides one job and one spec, [`yield_summary`] counts a
//! campaign's jobs, [`wilson`] gives the 95% interval (see
//! `docs/measures.md`).

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

impl Spec {
    /// True when `value` lies within the limits (both inclusive; a missing
    /// limit does not bound). `None` (the measure is undefined for the job)
    /// and NaN fail.
    pub fn passes(&self, value: Option<f64>) -> bool {
        match value {
            Some(v) if !v.is_nan() => {
                self.min.is_none_or(|lo| v >= lo) && self.max.is_none_or(|hi| v <= hi)
            }
            _ => false,
        }
    }
}

/// The normal quantile for a two-sided 95% interval.
pub const Z95: f64 = 1.959963984540054;

/// The Wilson score interval at 95% for `pass` successes out of `n` trials:
///
/// ```text
/// p = pass / n,  d = 1 + z²/n
/// centre = (p + z²/(2n)) / d
/// half   = z · sqrt(p(1 - p)/n + z²/(4n²)) / d
/// ```
///
/// returned as `(centre - half, centre + half)`, kept within [0, 1] (exactly
/// 0 below when `pass = 0`, exactly 1 above when `pass = n`).
/// `n = 0` gives (0, 1); `pass` above `n` counts as `n`.
pub fn wilson(pass: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let nf = n as f64;
    let p = pass.min(n) as f64 / nf;
    let z2 = Z95 * Z95;
    let d = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / d;
    let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / d;
    // the exact ends at 0 and n passes (the formula gives them up to rounding)
    let lo = if pass == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if pass >= n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// The yield of a campaign against its specs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct YieldSummary {
    /// Jobs that pass every spec.
    pub pass: u64,
    /// Jobs that finished and were measured.
    pub of: u64,
    /// `pass / of` (0 when `of` is 0).
    #[serde(rename = "yield")]
    pub yield_: f64,
    /// Wilson 95% interval of the yield ([`wilson`]).
    pub ci95: (f64, f64),
    /// Per spec, in spec order.
    pub specs: Vec<SpecYield>,
}

/// The yield of one spec.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpecYield {
    /// The spec's measure.
    pub measure: String,
    /// Jobs that pass this spec.
    pub pass: u64,
    /// Jobs that finished and were measured.
    pub of: u64,
    /// Wilson 95% interval of `pass / of`.
    pub ci95: (f64, f64),
}

/// The yield of `jobs` against `specs`.
///
/// `measure_names` are the campaign's measure names in order; `jobs` holds,
/// per job that finished ok, its measure values in that order (failed jobs
/// are not passed: they are not in `of`). A job passes a spec when
/// [`Spec::passes`] its measure's value (a spec whose measure is not among
/// `measure_names`, or a job row too short to hold it, fails), and passes
/// overall when it passes every spec (with no specs, every job passes).
pub fn yield_summary(
    specs: &[Spec],
    measure_names: &[String],
    jobs: &[&[Option<f64>]],
) -> YieldSummary {
    let of = jobs.len() as u64;
    let index: Vec<Option<usize>> = specs
        .iter()
        .map(|s| measure_names.iter().position(|m| *m == s.measure))
        .collect();
    let mut per_spec = vec![0u64; specs.len()];
    let mut pass = 0u64;
    for job in jobs {
        let mut all = true;
        for ((s, ix), count) in specs.iter().zip(&index).zip(&mut per_spec) {
            let v = ix.and_then(|i| job.get(i).copied().flatten());
            if s.passes(v) {
                *count += 1;
            } else {
                all = false;
            }
        }
        if all {
            pass += 1;
        }
    }
    YieldSummary {
        pass,
        of,
        yield_: if of == 0 {
            0.0
        } else {
            pass as f64 / of as f64
        },
        ci95: wilson(pass, of),
        specs: specs
            .iter()
            .zip(per_spec)
            .map(|(s, p)| SpecYield {
                measure: s.measure.clone(),
                pass: p,
                of,
                ci95: wilson(p, of),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(measure: &str, min: Option<f64>, max: Option<f64>) -> Spec {
        Spec {
            measure: measure.into(),
            min,
            max,
        }
    }

    #[test]
    fn passes_inclusive_limits_none_and_nan_fail() {
        let s = spec("t50", Some(10e-6), Some(40e-6));
        assert!(s.passes(Some(10e-6)));
        assert!(s.passes(Some(40e-6)));
        assert!(s.passes(Some(25e-6)));
        assert!(!s.passes(Some(9.9e-6)));
        assert!(!s.passes(Some(40.1e-6)));
        assert!(!s.passes(None));
        assert!(!s.passes(Some(f64::NAN)));
        let only_max = spec("vmax", None, Some(1.1));
        assert!(only_max.passes(Some(-1e300)));
        assert!(only_max.passes(Some(1.1)));
        assert!(!only_max.passes(Some(1.1000001)));
        assert!(!only_max.passes(Some(f64::INFINITY)));
        let open = spec("x", None, None);
        assert!(open.passes(Some(f64::NEG_INFINITY)));
        assert!(!open.passes(Some(f64::NAN)));
    }

    #[test]
    fn wilson_matches_the_formula_and_published_values() {
        // 590 of 598, the formula written out by hand
        let (n, k) = (598.0f64, 590.0f64);
        let z = 1.959963984540054f64;
        let p = k / n;
        let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
        let (lo, hi) = wilson(590, 598);
        assert!((lo - (centre - half)).abs() < 1e-15, "{lo}");
        assert!((hi - (centre + half)).abs() < 1e-15, "{hi}");
        // as DESIGN.md's example summary prints it
        assert_eq!(
            ((lo * 1e4).round() / 1e4, (hi * 1e4).round() / 1e4),
            (0.9738, 0.9932)
        );
        // published: 8 of 10 -> (0.4902, 0.9433)
        let (lo, hi) = wilson(8, 10);
        assert_eq!((lo * 1e4).round() / 1e4, 0.4902, "{lo}");
        assert_eq!((hi * 1e4).round() / 1e4, 0.9433, "{hi}");
        // edges
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        let (lo, hi) = wilson(0, 10);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 1e-4, "{hi}");
        let (lo, hi) = wilson(10, 10);
        assert!((lo - 0.7225).abs() < 1e-4, "{lo}");
        assert_eq!(hi, 1.0);
        assert_eq!(wilson(12, 10), wilson(10, 10));
    }

    #[test]
    fn yield_summary_counts_by_hand() {
        let names: Vec<String> = ["vmax", "t50", "unused"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let specs = [
            spec("vmax", None, Some(1.1)),
            spec("t50", Some(10.0), Some(40.0)),
        ];
        let rows: Vec<Vec<Option<f64>>> = vec![
            vec![Some(1.0), Some(20.0), None],      // passes both
            vec![Some(1.2), Some(20.0), Some(0.0)], // fails vmax
            vec![Some(1.1), Some(40.0), None],      // passes both (limits inclusive)
            vec![Some(0.5), None, None],            // t50 undefined: fails t50
            vec![Some(f64::NAN), Some(9.0), None],  // fails both
            vec![Some(0.9), Some(35.0), Some(1.0)], // passes both
        ];
        let jobs: Vec<&[Option<f64>]> = rows.iter().map(Vec::as_slice).collect();
        let y = yield_summary(&specs, &names, &jobs);
        assert_eq!((y.pass, y.of), (3, 6));
        assert_eq!(y.yield_, 0.5);
        assert_eq!(y.ci95, wilson(3, 6));
        assert_eq!(y.specs.len(), 2);
        assert_eq!(y.specs[0].measure, "vmax");
        assert_eq!((y.specs[0].pass, y.specs[0].of), (4, 6));
        assert_eq!(y.specs[0].ci95, wilson(4, 6));
        assert_eq!(y.specs[1].measure, "t50");
        assert_eq!((y.specs[1].pass, y.specs[1].of), (4, 6));

        // a spec on a measure that is not there fails every job
        let y = yield_summary(&[spec("nope", None, None)], &names, &jobs);
        assert_eq!((y.pass, y.of, y.specs[0].pass), (0, 6, 0));
        // no specs: every job passes; no jobs: 0 of 0
        let y = yield_summary(&[], &names, &jobs);
        assert_eq!((y.pass, y.of, y.yield_), (6, 6, 1.0));
        let y = yield_summary(&specs, &names, &[]);
        assert_eq!((y.pass, y.of, y.yield_, y.ci95), (0, 0, 0.0, (0.0, 1.0)));
        // the JSON shape of DESIGN.md section 5
        let j = serde_json::to_value(yield_summary(&specs, &names, &jobs)).unwrap_or_default();
        assert_eq!(j["yield"], 0.5);
        assert_eq!(j["specs"][0]["pass"], 4);
        assert!(j["ci95"].is_array());
    }
}
