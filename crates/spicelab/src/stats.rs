//! Streaming statistics of a RAW file: min, max, mean and rms of every vector,
//! per plot and per step, read a chunk at a time.

use raw_stream::{Chunk, ChunkOptions, PlotGroup, RawError, RawFile};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use waveform::stats::{Accumulator, StoredFold};
use waveform::Column;

/// Accumulators of one plot: over the whole plot and per step.
struct Accs {
    /// Points read.
    points: u64,
    total: Vec<Accumulator>,
    per_step: Vec<Vec<Accumulator>>,
}

impl Accs {
    fn new(vars: usize, steps: usize) -> Accs {
        Accs {
            points: 0,
            total: vec![Accumulator::default(); vars],
            per_step: vec![vec![Accumulator::default(); vars]; steps],
        }
    }

    fn merge(&mut self, o: &Accs) {
        self.points += o.points;
        for (a, b) in self.total.iter_mut().zip(&o.total) {
            a.merge(b);
        }
        for (sa, sb) in self.per_step.iter_mut().zip(&o.per_step) {
            for (a, b) in sa.iter_mut().zip(sb) {
                a.merge(b);
            }
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, Default)]
pub struct StatsOptions {
    /// Only these plots (all when empty).
    pub plots: Vec<usize>,
    /// Only these vectors: names, globs or comma-separated lists
    /// ([`crate::select::select_vars`]); all when empty.
    pub vars: Vec<String>,
    /// Points per chunk (0: the reader's window decides).
    pub chunk_points: usize,
    /// Threads to read one plot with (0: one per core, at most 8).
    pub threads: usize,
    /// Only these steps (all when empty).
    pub steps: Vec<crate::select::StepSel>,
    /// Only the points whose scale value lies in this window (per step);
    /// the vectors' values at the window's ends, interpolated, are given too.
    pub window: crate::select::Window,
    /// Show the steps of a run written as separate plots (Xyce `.STEP`) as
    /// one stepped plot ([`RawFile::plot_groups`]); `plots` then picks the
    /// groups that hold the plots named.
    pub group_steps: bool,
    /// Decode every chunk into columns, even where the stored bytes could
    /// be folded directly (the generic path; same results, slower): for
    /// tests and comparisons.
    pub decode: bool,
}

/// Statistics of one vector. Complex vectors are summarised by their magnitude.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VectorStats {
    /// The vector's name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// `"value"`, or `"magnitude"` for complex vectors (`db`, `phase`,
    /// `re`, `im` for their parts with `stats --complex`).
    pub of: &'static str,
    /// Smallest value (None when there is none).
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Root mean square.
    pub rms: Option<f64>,
    /// NaN values seen (left out of the statistics).
    pub nans: u64,
    /// With a window: the value at its start, interpolated (magnitude for
    /// complex vectors); `None` outside the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_from: Option<f64>,
    /// With a window: the value at its end, interpolated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_to: Option<f64>,
}

/// Statistics of one step of a stepped plot.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepStats {
    /// Step number (0-based).
    pub step: usize,
    /// Points in the step.
    pub points: u64,
    /// Parameters of the step, when the `.log` or the plot's name gave
    /// them (a JSON object).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "as_map")]
    pub params: Vec<(String, f64)>,
    /// The plot of the file that holds the step, when the steps are
    /// separate plots (Xyce `.STEP`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plot: Option<usize>,
    /// One entry per vector.
    pub vectors: Vec<VectorStats>,
}

fn as_map<S: serde::Serializer>(pairs: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// Statistics of one plot.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlotStats {
    /// Plot index in the file.
    pub index: usize,
    /// `Plotname:`.
    pub plotname: String,
    /// Complete points read.
    pub points: u64,
    /// Number of steps (1 when not stepped).
    pub steps: usize,
    /// The plots of the file this one is made of, when its steps are
    /// separate plots (Xyce `.STEP`; `index` is the first); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plots: Vec<usize>,
    /// One entry per vector, over all steps.
    pub vectors: Vec<VectorStats>,
    /// Per-step statistics (stepped plots only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub step_stats: Vec<StepStats>,
}

/// Statistics of a file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileStats {
    /// The plots asked for.
    pub plots: Vec<PlotStats>,
    /// Data bytes read.
    pub data_bytes: u64,
}

fn vector_stats(name: &str, unit: &str, complex: bool, a: &Accumulator) -> VectorStats {
    VectorStats::of_accumulator(name, unit, if complex { "magnitude" } else { "value" }, a)
}

impl VectorStats {
    /// The statistics an accumulator holds, under `name`; `of` says of what
    /// (`value`, `magnitude`, `db`, `phase`, `re`, `im`).
    pub fn of_accumulator(
        name: &str,
        unit: &str,
        of: &'static str,
        a: &Accumulator,
    ) -> VectorStats {
        VectorStats {
            name: name.to_string(),
            unit: unit.to_string(),
            of,
            min: a.min(),
            max: a.max(),
            mean: a.mean(),
            rms: a.rms(),
            nans: a.nans,
            at_from: None,
            at_to: None,
        }
    }
}

/// Feeds values `lo..hi` of a column into an accumulator.
fn feed(acc: &mut Accumulator, col: &Column, lo: usize, hi: usize) {
    match col {
        Column::F64(v) => acc.extend(&v[lo..hi]),
        Column::F32(v) => {
            for &x in &v[lo..hi] {
                acc.push(f64::from(x));
            }
        }
        Column::C64(v) => {
            for z in &v[lo..hi] {
                acc.push(z.re.hypot(z.im));
            }
        }
        Column::C32(v) => {
            for z in &v[lo..hi] {
                acc.push(f64::from(z.re).hypot(f64::from(z.im)));
            }
        }
    }
}

/// The values of the selected vectors at a window's start and end.
type Ends = (Vec<Option<f64>>, Vec<Option<f64>>);

/// Computes the statistics of a RAW file, streaming. `progress` is called
/// with the number of data bytes read so far.
///
/// With [`StatsOptions::group_steps`], the steps of a run written as
/// separate plots (Xyce `.STEP`, see [`RawFile::plot_groups`]) come back as
/// one stepped [`PlotStats`], and [`StatsOptions::plots`] picks the groups
/// that hold the plots named.
pub fn file_stats(
    raw: &RawFile,
    opts: &StatsOptions,
    mut progress: impl FnMut(u64),
) -> Result<FileStats, RawError> {
    for &p in &opts.plots {
        raw.plot(p)?;
    }
    let wanted = |p: usize| opts.plots.is_empty() || opts.plots.contains(&p);
    let groups: Vec<PlotGroup> = if opts.group_steps {
        raw.plot_groups()
            .into_iter()
            .filter(|g| g.plots.iter().any(|&p| wanted(p)))
            .collect()
    } else {
        let which: Vec<usize> = if opts.plots.is_empty() {
            (0..raw.plots().len()).collect()
        } else {
            opts.plots.clone()
        };
        which
            .into_iter()
            .map(|p| PlotGroup {
                name: String::new(),
                plots: vec![p],
                params: Vec::new(),
            })
            .collect()
    };
    let mut out = Vec::new();
    let mut done_bytes = 0u64;
    for g in &groups {
        if g.is_stepped() {
            out.push(group_stats(raw, g, opts, &mut progress, &mut done_bytes)?);
        } else {
            let (stats, _) = plot_stats(raw, g.first(), opts, &mut progress, &mut done_bytes)?;
            out.push(stats);
        }
    }
    Ok(FileStats {
        plots: out,
        data_bytes: done_bytes,
    })
}

/// The statistics of a group of plots that are the steps of one run: each
/// plot's as one step, their accumulators merged for the totals.
fn group_stats(
    raw: &RawFile,
    g: &PlotGroup,
    opts: &StatsOptions,
    progress: &mut dyn FnMut(u64),
    done_bytes: &mut u64,
) -> Result<PlotStats, RawError> {
    let mut starts = Vec::with_capacity(g.plots.len());
    let mut total = 0u64;
    for &p in &g.plots {
        starts.push(total);
        total += raw.plot(p)?.info().complete_points;
    }
    let steps = waveform::Steps {
        starts,
        total,
        params: g.params.clone(),
    };
    let chosen =
        crate::select::select_steps(&steps, &opts.steps).map_err(|message| RawError::Select {
            path: raw.path().to_path_buf(),
            plot: g.first(),
            message,
        })?;
    // each plot is one step: no step selection within it
    let one = StatsOptions {
        steps: Vec::new(),
        ..opts.clone()
    };
    let mut merged: Vec<Accumulator> = Vec::new();
    let mut vectors: Vec<VectorStats> = Vec::new();
    let mut step_stats = Vec::new();
    let mut points = 0u64;
    for &s in &chosen {
        let plot = g.plots[s];
        let (ps, accs) = plot_stats(raw, plot, &one, progress, done_bytes)?;
        if merged.is_empty() {
            merged = accs;
            vectors = ps.vectors.clone();
        } else {
            for (a, b) in merged.iter_mut().zip(&accs) {
                a.merge(b);
            }
        }
        points += ps.points;
        step_stats.push(StepStats {
            step: s,
            points: ps.points,
            params: g.params.get(s).cloned().unwrap_or_default(),
            plot: Some(plot),
            vectors: ps.vectors,
        });
    }
    // totals from the merged accumulators, keeping each vector's name,
    // unit and kind; the window's end values only when one step is chosen
    for (v, a) in vectors.iter_mut().zip(&merged) {
        let ends = (v.at_from, v.at_to);
        *v = VectorStats::of_accumulator(&v.name, &v.unit, v.of, a);
        if chosen.len() == 1 {
            (v.at_from, v.at_to) = ends;
        }
    }
    Ok(PlotStats {
        index: g.first(),
        plotname: g.name.clone(),
        points,
        steps: g.plots.len(),
        plots: g.plots.clone(),
        vectors,
        step_stats,
    })
}

/// The statistics of plot `p` and the accumulators of its totals (one per
/// selected vector).
fn plot_stats(
    raw: &RawFile,
    p: usize,
    opts: &StatsOptions,
    mut progress: &mut dyn FnMut(u64),
    done_bytes: &mut u64,
) -> Result<(PlotStats, Vec<Accumulator>), RawError> {
    {
        let plot = raw.plot(p)?;
        let info = plot.info();
        let vars: Vec<usize> = if opts.vars.is_empty() {
            (0..info.header.variables.len()).collect()
        } else {
            crate::select::select_in_plot(&plot, &opts.vars)?
        };
        let steps = plot.steps()?;
        let nsteps = steps.count();
        let select = (vars.len() != info.header.variables.len()).then(|| vars.clone());
        let span = info.data_end.saturating_sub(info.data_offset).max(1);
        let base = *done_bytes;
        let points = info.complete_points;
        // Plan: partitions read by one thread each (binary plots of some
        // size, ASCII plots of a few MiB: those split at checkpoints).
        let cores = if opts.threads > 0 {
            opts.threads
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(8)
        };
        let threads = match info.encoding {
            // a compressed file is decoded forward only: one reader, in order
            _ if raw.compression().is_some() => 1,
            waveform::Encoding::Binary if points >= 1 << 16 => cores,
            waveform::Encoding::Ascii if span >= 8 << 20 => cores,
            _ => 1,
        };
        let done = AtomicU64::new(0);
        // report progress about every 1% of the plot
        let every = (points / 100).max(1);
        // Fused path: the stored bytes of a real binary plot (point- or
        // variable-major, any mix of f64 and f32, LTspice's signed time)
        // folded straight into per-variable accumulators, giving the same
        // bits as decoding and feeding the same chunks. Stepped plots with
        // a selection stay on the generic path (their per-step accumulators
        // would be per variable here).
        let nv = info.header.variables.len();
        let fused = info
            .stored_reals(raw.dialect())
            .filter(|_| !opts.decode && (nsteps == 1 || select.is_none()))
            .map(|s| {
                let used: Vec<bool> = (0..nv).map(|j| vars.contains(&j)).collect();
                (StoredFold::with_used(&s.types, &used), s.column_major)
            });
        // Run: each partition into its own accumulators.
        let work = |range: std::ops::Range<u64>,
                    progress: &mut dyn FnMut(u64)|
         -> Result<Accs, RawError> {
            let mut report = |n: u64| {
                let all = done.fetch_add(n, Ordering::Relaxed) + n;
                if all % every < n {
                    progress(base + span * all / points.max(1));
                }
            };
            let mut acc = Accs::new(vars.len(), if nsteps > 1 { nsteps } else { 0 });
            let mut it = plot.chunks_with(&ChunkOptions {
                points: opts.chunk_points,
                vars: select.clone(),
                range: Some(range),
                split_steps: nsteps > 1,
            })?;
            if let Some((fold, column_major)) = &fused {
                let mut total = vec![Accumulator::default(); nv];
                let mut per_step = vec![total.clone(); if nsteps > 1 { nsteps } else { 0 }];
                // chunks stop at step boundaries: each belongs to one step
                let mut fold_one = |step: usize, n: usize, f: &dyn Fn(&mut [Accumulator])| {
                    f(&mut total);
                    if let Some(s) = per_step.get_mut(step) {
                        f(s);
                    }
                    acc.points += n as u64;
                    report(n as u64);
                };
                if *column_major {
                    while let Some(c) = it.next_columns()? {
                        let cols = c.all();
                        fold_one(c.step, c.len, &|a| fold.columns(&cols, a));
                    }
                } else {
                    while let Some(r) = it.next_rows()? {
                        fold_one(r.step, r.len, &|a| fold.rows(r.bytes, a));
                    }
                }
                let pick = |a: &[Accumulator]| vars.iter().map(|&v| a[v]).collect::<Vec<_>>();
                acc.total = pick(&total);
                acc.per_step = per_step.iter().map(|s| pick(s)).collect();
                return Ok(acc);
            }
            let mut chunk = Chunk::default();
            while it.fill(&mut chunk)? {
                acc.points += chunk.len as u64;
                for (k, &v) in vars.iter().enumerate() {
                    let col = &chunk.columns[v];
                    feed(&mut acc.total[k], col, 0, chunk.len);
                    if nsteps > 1 {
                        // chunks stop at step boundaries
                        feed(&mut acc.per_step[chunk.step][k], col, 0, chunk.len);
                    }
                }
                report(chunk.len as u64);
            }
            Ok(acc)
        };
        // Fold.
        let mut acc = Accs::new(vars.len(), if nsteps > 1 { nsteps } else { 0 });
        let restricted = !opts.steps.is_empty() || !opts.window.is_all();
        let chosen = crate::select::select_steps(&steps, &opts.steps).map_err(|message| {
            RawError::Select {
                path: raw.path().to_path_buf(),
                plot: p,
                message,
            }
        })?;
        let ranges = if restricted {
            crate::select::window_ranges(&plot, &steps, &chosen, opts.window)?
        } else {
            Vec::new()
        };
        let expected: u64 = if restricted {
            ranges.iter().map(|(_, r)| r.end - r.start).sum()
        } else {
            points
        };
        if restricted {
            // Only some points: the chosen runs one after the other.
            for (_, r) in &ranges {
                let part = work(r.clone(), &mut progress)?;
                acc.merge(&part);
            }
        } else {
            for part in plot.read_parallel(threads, &mut progress, work)? {
                acc.merge(&part);
            }
        }
        let points = expected;
        if acc.points != points {
            tracing::warn!(
                "{}: plot {p}: {} points read where {points} were expected",
                raw.path().display(),
                acc.points
            );
        }
        let read_points = acc.points;
        let (total, per_step) = (acc.total, acc.per_step);
        *done_bytes += span;
        let names = |accs: &[Accumulator]| -> Vec<VectorStats> {
            vars.iter()
                .zip(accs)
                .map(|(&v, a)| {
                    let var = &info.header.variables[v];
                    vector_stats(&var.name, var.unit(), info.types[v].is_complex(), a)
                })
                .collect()
        };
        // The values at the window's ends, per step and (for one step) in total.
        let ends = |s: usize| -> Result<Ends, RawError> {
            let Some(r) = steps.range(s) else {
                return Ok((vec![None; vars.len()], vec![None; vars.len()]));
            };
            let at = |x: Option<f64>| -> Result<Vec<Option<f64>>, RawError> {
                match x {
                    Some(x) => crate::select::values_at(&plot, r.clone(), &vars, x),
                    None => Ok(vec![None; vars.len()]),
                }
            };
            Ok((at(opts.window.from)?, at(opts.window.to)?))
        };
        let with_ends = |mut v: Vec<VectorStats>, e: &Ends| {
            for (k, x) in v.iter_mut().enumerate() {
                x.at_from = e.0.get(k).copied().flatten();
                x.at_to = e.1.get(k).copied().flatten();
            }
            v
        };
        let has_window = !opts.window.is_all();
        let mut vectors = names(&total);
        if has_window && chosen.len() == 1 {
            vectors = with_ends(vectors, &ends(chosen[0])?);
        }
        let mut step_stats = Vec::new();
        if nsteps > 1 {
            for &s in &chosen {
                let mut v = names(&per_step[s]);
                if has_window {
                    v = with_ends(v, &ends(s)?);
                }
                step_stats.push(StepStats {
                    step: s,
                    points: if restricted {
                        ranges
                            .iter()
                            .find(|(k, _)| *k == s)
                            .map_or(0, |(_, r)| r.end - r.start)
                    } else {
                        steps.range(s).map(|r| r.end - r.start).unwrap_or(0)
                    },
                    params: steps.params.get(s).cloned().unwrap_or_default(),
                    plot: None,
                    vectors: v,
                });
            }
        }
        Ok((
            PlotStats {
                index: p,
                plotname: info.header.plotname.clone(),
                points: read_points,
                steps: nsteps,
                plots: Vec::new(),
                vectors,
                step_stats,
            },
            total,
        ))
    }
}
