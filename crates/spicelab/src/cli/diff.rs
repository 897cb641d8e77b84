//! `spicelab diff`: two results compared vector by vector, the golden-waveform
//! check of a regression suite.

use super::out::{outln, Fail, Kind};
use anyhow::Context;
use clap::Args;
use raw_stream::{Chunk, Chunks, RawFile};
use serde_json::json;
use std::path::PathBuf;
use waveform::Complex64;

/// Arguments of `spicelab diff`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  spicelab diff golden.raw new.raw                      # rtol 1e-3, atol 1e-9
  spicelab diff golden.raw new.raw --rtol 1e-6 --atol 1e-12 --var 'v(out)'
  spicelab diff golden.raw new.raw --json

Each vector of B is compared with the same vector of A (names matched
ignoring case) at every point of A: where the scales (time, frequency,
swept value) differ, as between two runs of an adaptive simulator, B's
value is interpolated linearly at A's scale value; points of A outside B's
range are not compared. A point is outside the tolerance when
|a - b| > atol + rtol * |a| (complex values: |a - b| and |a|). The largest
differences are printed with where they occur; the exit status is 1 when
any vector has a point outside the tolerance, 0 when none has, 2 when the
files cannot be compared (different plots, no common vector, a stepped
plot against one with other steps). Both files stream: memory stays small
for any size.")]
pub struct DiffArgs {
    /// The reference result.
    pub a: PathBuf,
    /// The result compared with it.
    pub b: PathBuf,
    /// Relative tolerance.
    #[arg(long, default_value_t = 1e-3)]
    pub rtol: f64,
    /// Absolute tolerance (in the vector's unit).
    #[arg(long, default_value_t = 1e-9)]
    pub atol: f64,
    /// Only these vectors (repeatable); default: every vector both have.
    #[arg(long = "var", value_name = "NAME")]
    pub vars: Vec<String>,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// One vector's comparison.
#[derive(Debug, Default, Clone)]
struct VecDiff {
    name: String,
    /// Largest |a - b| and the scale value where.
    max_abs: f64,
    max_abs_at: f64,
    /// Largest |a - b| / |a| (|a| > 0) and where.
    max_rel: f64,
    max_rel_at: f64,
    /// Largest excess over the tolerance, |a - b| - (atol + rtol |a|), and where.
    worst_excess: f64,
    worst_at: f64,
    compared: u64,
    outside: u64,
}

/// One point of a plot: scale and the selected values.
struct Cursor {
    chunks: Chunks,
    chunk: Chunk,
    i: usize,
    done: bool,
}

impl Cursor {
    fn new(chunks: Chunks) -> Cursor {
        Cursor {
            chunks,
            chunk: Chunk::default(),
            i: 0,
            done: false,
        }
    }

    /// Moves to the next point; false at the end.
    fn advance(&mut self) -> anyhow::Result<bool> {
        if self.done {
            return Ok(false);
        }
        self.i += 1;
        while self.i >= self.chunk.len {
            if !self.chunks.fill(&mut self.chunk)? {
                self.done = true;
                return Ok(false);
            }
            self.i = 0;
        }
        Ok(true)
    }

    fn scale(&self) -> f64 {
        self.chunk
            .columns
            .first()
            .and_then(|c| c.get_complex(self.i))
            .map_or(f64::NAN, |z| z.re)
    }

    fn value(&self, col: usize) -> Complex64 {
        self.chunk
            .columns
            .get(col)
            .and_then(|c| c.get_complex(self.i))
            .unwrap_or_default()
    }
}

fn lerp(a: Complex64, b: Complex64, f: f64) -> Complex64 {
    Complex64 {
        re: a.re + (b.re - a.re) * f,
        im: a.im + (b.im - a.im) * f,
    }
}

fn abs(z: Complex64) -> f64 {
    z.re.hypot(z.im)
}

fn usage(msg: String) -> anyhow::Error {
    Fail::new(Kind::Usage, msg).into()
}

/// Runs `spicelab diff`.
pub fn run(a: &DiffArgs) -> anyhow::Result<i32> {
    if !(a.rtol >= 0.0 && a.atol >= 0.0) {
        return Err(usage("--rtol and --atol must be 0 or more".into()));
    }
    let ra = super::open_raw(&a.a, None, false)?;
    let rb = super::open_raw(&a.b, None, false)?;
    if ra.plots().len() != rb.plots().len() {
        return Err(usage(format!(
            "{} has {} plot(s), {} has {}: they are not results of the same analyses",
            a.a.display(),
            ra.plots().len(),
            a.b.display(),
            rb.plots().len()
        )));
    }
    let mut plots = Vec::new();
    let mut all_pass = true;
    for p in 0..ra.plots().len() {
        let (res, only_a, only_b, interpolated) = diff_plot(a, &ra, &rb, p)?;
        all_pass &= res.iter().all(|v| v.outside == 0);
        plots.push((p, res, only_a, only_b, interpolated));
    }
    if a.json {
        let v: Vec<_> = plots
            .iter()
            .map(|(p, res, oa, ob, interp)| {
                json!({
                    "plot": p,
                    "name": ra.plots()[*p].header.plotname,
                    "interpolated": interp,
                    "only_in_a": oa,
                    "only_in_b": ob,
                    "vectors": res.iter().map(|d| json!({
                        "name": d.name, "max_abs": d.max_abs, "max_abs_at": d.max_abs_at,
                        "max_rel": d.max_rel, "max_rel_at": d.max_rel_at,
                        "compared": d.compared, "outside": d.outside,
                        "worst_at": (d.outside > 0).then_some(d.worst_at),
                        "pass": d.outside == 0,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        outln!(
            "{}",
            json!({"a": a.a, "b": a.b, "rtol": a.rtol, "atol": a.atol,
                   "pass": all_pass, "plots": v})
        )?;
    } else {
        for (p, res, oa, ob, interp) in &plots {
            outln!(
                "plot {p}: {}{}",
                ra.plots()[*p].header.plotname,
                if *interp {
                    " (scales differ: B interpolated at A's points)"
                } else {
                    ""
                }
            )?;
            outln!(
                "  {:<20} {:>13} {:>13} {:>13} {:>13} {:>9}  result",
                "vector",
                "max |a-b|",
                "at",
                "max rel",
                "at",
                "outside"
            )?;
            for d in res {
                outln!(
                    "  {:<20} {:>13.6e} {:>13.6e} {:>13.6e} {:>13.6e} {:>9}  {}",
                    d.name,
                    d.max_abs,
                    d.max_abs_at,
                    d.max_rel,
                    d.max_rel_at,
                    d.outside,
                    if d.outside == 0 {
                        "ok".to_string()
                    } else {
                        format!("FAIL (worst at {:.6e})", d.worst_at)
                    }
                )?;
            }
            if !oa.is_empty() {
                outln!("  only in A: {}", oa.join(", "))?;
            }
            if !ob.is_empty() {
                outln!("  only in B: {}", ob.join(", "))?;
            }
        }
        outln!(
            "{}: rtol {:e}, atol {:e}",
            if all_pass {
                "every vector within the tolerance"
            } else {
                "vectors outside the tolerance"
            },
            a.rtol,
            a.atol
        )?;
    }
    Ok(if all_pass { 0 } else { 1 })
}

type PlotDiff = (Vec<VecDiff>, Vec<String>, Vec<String>, bool);

fn diff_plot(a: &DiffArgs, ra: &RawFile, rb: &RawFile, p: usize) -> anyhow::Result<PlotDiff> {
    let pa = ra.plot(p)?;
    let pb = rb.plot(p)?;
    let (ha, hb) = (pa.header(), pb.header());
    let (sa, sb) = (pa.steps()?, pb.steps()?);
    if sa.count() != sb.count() || (sa.count() > 1 && sa.starts != sb.starts) {
        return Err(usage(format!(
            "plot {p}: {} steps in A, {} in B (or steps of other lengths): compare them step by step",
            sa.count(),
            sb.count()
        )));
    }
    // Vectors in both, scale left out.
    let first = usize::from(ha.has_scale());
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut only_a = Vec::new();
    for (i, v) in ha.variables.iter().enumerate().skip(first) {
        if !a.vars.is_empty() && !a.vars.iter().any(|n| n.eq_ignore_ascii_case(&v.name)) {
            continue;
        }
        match hb.find(&v.name) {
            Some(j) if j >= first => pairs.push((i, j)),
            _ => only_a.push(v.name.clone()),
        }
    }
    let only_b: Vec<String> = hb
        .variables
        .iter()
        .skip(first)
        .filter(|v| ha.find(&v.name).is_none())
        .filter(|v| a.vars.is_empty() || a.vars.iter().any(|n| n.eq_ignore_ascii_case(&v.name)))
        .map(|v| v.name.clone())
        .collect();
    for n in &a.vars {
        if ha.find(n).is_none() {
            return Err(usage(format!(
                "plot {p}: no vector '{n}' in {}",
                a.a.display()
            )));
        }
    }
    if pairs.is_empty() {
        return Err(usage(format!(
            "plot {p} ('{}'): no vector in both files",
            ha.plotname
        )));
    }
    let cols_a: Vec<usize> = std::iter::once(0)
        .chain(pairs.iter().map(|x| x.0))
        .collect();
    let cols_b: Vec<usize> = std::iter::once(0)
        .chain(pairs.iter().map(|x| x.1))
        .collect();
    let mut ca = Cursor::new(pa.chunks_of(1 << 14, Some(cols_a)));
    let mut cb = Cursor::new(pb.chunks_of(1 << 14, Some(cols_b)));
    let mut res: Vec<VecDiff> = pairs
        .iter()
        .map(|&(i, _)| VecDiff {
            name: ha.variables[i].name.clone(),
            worst_excess: f64::NEG_INFINITY,
            ..VecDiff::default()
        })
        .collect();
    let mut interpolated = false;
    let same_grid = first == 0 || sa.count() > 1;
    // B's previous point (scale and values), for interpolation.
    let mut prev_b: Option<(f64, Vec<Complex64>)> = None;
    let mut b_ok = cb.advance()?;
    let mut index = 0u64;
    while ca.advance().context("reading A")? {
        let t = if first == 1 { ca.scale() } else { index as f64 };
        index += 1;
        let vb: Option<Vec<Complex64>> = if same_grid {
            // point by point
            if !b_ok {
                break;
            }
            let v = pairs.iter().map(|&(_, j)| cb.value(j)).collect();
            b_ok = cb.advance()?;
            Some(v)
        } else {
            // advance B until its point is at or past t
            while b_ok && cb.scale() < t {
                prev_b = Some((
                    cb.scale(),
                    pairs.iter().map(|&(_, j)| cb.value(j)).collect(),
                ));
                b_ok = cb.advance()?;
            }
            if !b_ok {
                None
            } else if cb.scale() == t {
                Some(pairs.iter().map(|&(_, j)| cb.value(j)).collect())
            } else {
                interpolated = true;
                prev_b.as_ref().map(|(t0, v0)| {
                    let t1 = cb.scale();
                    let f = (t - t0) / (t1 - t0);
                    pairs
                        .iter()
                        .zip(v0)
                        .map(|(&(_, j), &z0)| lerp(z0, cb.value(j), f))
                        .collect()
                })
            }
        };
        let Some(vb) = vb else { continue };
        for (k, (&(i, _), zb)) in pairs.iter().zip(&vb).enumerate() {
            let za = ca.value(i);
            let d = abs(Complex64 {
                re: za.re - zb.re,
                im: za.im - zb.im,
            });
            let mag = abs(za);
            let r = &mut res[k];
            r.compared += 1;
            if d > r.max_abs || (d.is_nan() && !r.max_abs.is_nan()) {
                r.max_abs = d;
                r.max_abs_at = t;
            }
            if mag > 0.0 && d / mag > r.max_rel {
                r.max_rel = d / mag;
                r.max_rel_at = t;
            }
            let excess = d - (a.atol + a.rtol * mag);
            if excess > 0.0 || d.is_nan() {
                r.outside += 1;
                if excess > r.worst_excess || d.is_nan() {
                    r.worst_excess = excess;
                    r.worst_at = t;
                }
            }
        }
    }
    Ok((res, only_a, only_b, interpolated))
}
