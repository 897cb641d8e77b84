//! Measures of one simulation result (`[measure]` of a campaign), computed
//! in one streaming pass over the RAW file.
//!
//! The types are settled here; the computation lives beside them.

/// Which crossings a `cross` measure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// From below the level to at or above it.
    Rise,
    /// From above the level to at or below it.
    Fall,
    /// Either.
    Either,
}

/// What a measure computes on one vector.
#[derive(Debug, Clone, PartialEq)]
pub enum MeasureKind {
    /// Smallest value in the window.
    Min,
    /// Largest value in the window.
    Max,
    /// Mean over the window, weighted by the scale (trapezoids), as
    /// ngspice's `meas avg`.
    Mean,
    /// Root mean square over the window, weighted by the scale.
    Rms,
    /// Peak to peak: max - min.
    Pp,
    /// The last value in the window.
    Final,
    /// The value at a scale value (time, frequency), interpolated linearly.
    At {
        /// The scale value.
        at: f64,
    },
    /// The scale value of the n-th crossing of `level`, interpolated.
    Cross {
        /// The level crossed.
        level: f64,
        /// Which crossings count.
        edge: Edge,
        /// 1 for the first.
        n: u32,
    },
}

/// One named measure of a campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSpec {
    /// The measure's name (the key in `[measure]`).
    pub name: String,
    /// What it computes.
    pub kind: MeasureKind,
    /// The vector, as the RAW file names it (case-insensitive).
    pub var: String,
    /// The plot index; `None`: the first plot that has the vector.
    pub plot: Option<usize>,
    /// Start of the window on the scale; `None`: from the first point.
    pub from: Option<f64>,
    /// End of the window on the scale; `None`: to the last point.
    pub to: Option<f64>,
}

use raw_stream::{Chunk, RawError, RawFile};
use waveform::Column;

/// Why measures cannot be computed on a file.
#[derive(thiserror::Error, Debug)]
pub enum MeasureError {
    /// The vector is not in the plot asked for (or, with no plot given, in
    /// any plot of the file).
    #[error("measure '{measure}': no vector '{var}' in {} (it has: {})", where_plot(*.plot), list(.available))]
    NoVector {
        /// The measure's name.
        measure: String,
        /// The vector asked for.
        var: String,
        /// The plot asked for; `None`: every plot was searched.
        plot: Option<usize>,
        /// The names of the vectors there are (of that plot, or of every plot).
        available: Vec<String>,
    },
    /// The plot index is past the file's last plot.
    #[error("measure '{measure}': no plot {plot} (the file has {count})")]
    NoPlot {
        /// The measure's name.
        measure: String,
        /// The plot asked for.
        plot: usize,
        /// How many plots the file has.
        count: usize,
    },
    /// A spec that cannot be computed (a window that ends before it starts,
    /// a NaN level, `n = 0`).
    #[error("measure '{measure}': {message}")]
    Invalid {
        /// The measure's name.
        measure: String,
        /// What is wrong.
        message: String,
    },
    /// Reading the file failed.
    #[error(transparent)]
    Raw(#[from] RawError),
}

fn where_plot(plot: Option<usize>) -> String {
    match plot {
        Some(p) => format!("plot {p}"),
        None => "any plot".to_string(),
    }
}

fn list(names: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut s = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(", ...");
    }
    s
}

/// The running state of one measure.
#[derive(Debug, Clone)]
struct Acc {
    kind: MeasureKind,
    plot: usize,
    col: usize,
    /// Window on the scale (-inf / +inf when open).
    lo: f64,
    hi: f64,
    /// The previous point (scale, value) of the current run.
    prev: Option<(f64, f64)>,
    /// Direction of the scale (+1 or -1), 0 until the first step.
    dir: f64,
    /// Values in the window: samples and interpolated window ends.
    min: f64,
    max: f64,
    count: u64,
    sum: f64,
    sum_sq: f64,
    last: Option<f64>,
    /// Trapezoid integrals over the window, and the scale span they cover.
    area: f64,
    area_sq: f64,
    span: f64,
    /// `at`: the value found.
    at: Option<f64>,
    /// `cross`: crossings counted, and the n-th one's scale value.
    crossings: u32,
    cross: Option<f64>,
}

impl Acc {
    fn new(kind: MeasureKind, plot: usize, col: usize, lo: f64, hi: f64) -> Acc {
        Acc {
            kind,
            plot,
            col,
            lo,
            hi,
            prev: None,
            dir: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            count: 0,
            sum: 0.0,
            sum_sq: 0.0,
            last: None,
            area: 0.0,
            area_sq: 0.0,
            span: 0.0,
            at: None,
            crossings: 0,
            cross: None,
        }
    }

    /// A value inside the window (a sample or an interpolated window end).
    fn take(&mut self, y: f64) {
        self.min = self.min.min(y);
        self.max = self.max.max(y);
        self.count += 1;
        self.sum += y;
        self.sum_sq += y * y;
        self.last = Some(y);
    }

    fn point(&mut self, x: f64, y: f64) {
        if x.is_nan() || y.is_nan() {
            return;
        }
        if let Some((x0, y0)) = self.prev {
            let d = x - x0;
            let s = if d > 0.0 {
                1.0
            } else if d < 0.0 {
                -1.0
            } else {
                0.0
            };
            if self.dir == 0.0 {
                self.dir = s;
            }
            // the scale turning back starts a new run (a new step): no
            // segment joins the two points
            if s == 0.0 || s == self.dir {
                self.segment(x0, y0, x, y);
            }
        }
        if self.lo <= x && x <= self.hi {
            self.take(y);
        }
        if self.at.is_none() {
            if let MeasureKind::At { at } = self.kind {
                if x == at {
                    self.at = Some(y);
                }
            }
        }
        self.prev = Some((x, y));
    }

    fn segment(&mut self, x0: f64, y0: f64, x1: f64, y1: f64) {
        let interp = |x: f64| {
            if x == x0 {
                y0
            } else if x == x1 {
                y1
            } else {
                y0 + (y1 - y0) * ((x - x0) / (x1 - x0))
            }
        };
        let (a, b) = if x0 <= x1 { (x0, x1) } else { (x1, x0) };
        // window ends strictly inside the segment, in stream order
        let (first, second) = if x0 <= x1 {
            (self.lo, self.hi)
        } else {
            (self.hi, self.lo)
        };
        for e in [first, second] {
            if a < e && e < b {
                self.take(interp(e));
            }
        }
        // trapezoids over the part of the segment inside the window
        let lo = a.max(self.lo);
        let hi = b.min(self.hi);
        if lo < hi {
            let (ya, yb) = (interp(lo), interp(hi));
            let w = hi - lo;
            self.area += 0.5 * (ya + yb) * w;
            self.area_sq += 0.5 * (ya * ya + yb * yb) * w;
            self.span += w;
        }
        match self.kind {
            MeasureKind::At { at } if self.at.is_none() && a < at && at < b => {
                self.at = Some(interp(at));
            }
            MeasureKind::Cross { level, edge, n } if self.cross.is_none() => {
                let rise = y0 < level && y1 >= level;
                let fall = y0 > level && y1 <= level;
                let counts = match edge {
                    Edge::Rise => rise,
                    Edge::Fall => fall,
                    Edge::Either => rise || fall,
                };
                if counts {
                    let xc = if y1 == level {
                        x1
                    } else {
                        x0 + (x1 - x0) * ((level - y0) / (y1 - y0))
                    };
                    if self.lo <= xc && xc <= self.hi {
                        self.crossings += 1;
                        if self.crossings == n {
                            self.cross = Some(xc);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn value(&self) -> Option<f64> {
        let any = self.count > 0;
        let n = self.count as f64;
        match self.kind {
            MeasureKind::Min => any.then_some(self.min),
            MeasureKind::Max => any.then_some(self.max),
            MeasureKind::Pp => any.then_some(self.max - self.min),
            MeasureKind::Mean if self.span > 0.0 => Some(self.area / self.span),
            MeasureKind::Mean => any.then(|| self.sum / n),
            MeasureKind::Rms if self.span > 0.0 => Some((self.area_sq / self.span).sqrt()),
            MeasureKind::Rms => any.then(|| (self.sum_sq / n).sqrt()),
            MeasureKind::Final => self.last,
            MeasureKind::At { at } => self.at.filter(|_| self.lo <= at && at <= self.hi),
            MeasureKind::Cross { .. } => self.cross,
        }
    }
}

/// The value a measure sees at point `i` of a column: the value of a real
/// column, the magnitude of a complex one.
fn value_at(col: &Column, i: usize) -> Option<f64> {
    match col {
        Column::F64(v) => v.get(i).copied(),
        Column::F32(v) => v.get(i).map(|&x| f64::from(x)),
        Column::C64(v) => v.get(i).map(|c| c.re.hypot(c.im)),
        Column::C32(v) => v.get(i).map(|c| f64::from(c.re).hypot(f64::from(c.im))),
    }
}

/// Measures of one RAW result, computed while its plots stream past, a chunk
/// at a time, in memory that does not grow with the file.
///
/// Each measure works on one vector of one plot against the plot's scale
/// (variable 0: time, frequency or the swept value):
///
/// - the window `[from, to]` on the scale (either end open when not given)
///   includes its ends: where an end falls between two points, the value
///   there is interpolated linearly and counts as a value of the window;
/// - `min`, `max`, `pp`: over the samples in the window and the
///   interpolated ends;
/// - `mean`, `rms`: trapezoid integrals of the value (of its square for
///   `rms`) over the scale, divided by the scale span of the window that
///   the data cover, as ngspice's `meas avg` and `meas rms`; a window of
///   zero span (one point) gives the plain mean (rms) of its values;
/// - `final`: the last value of the window in stream order (the value
///   interpolated at `to` when `to` lies inside the data, else the last
///   point);
/// - `at`: the value interpolated linearly at the scale value (the first
///   place the data reach it); `None` outside the data or the window;
/// - `cross`: the scale value, interpolated linearly between two points, of
///   the n-th crossing of `level` with the given edge inside the window. A
///   rise goes from below the level to at or above it, a fall from above to
///   at or below: a point exactly on the level counts once.
///
/// Complex vectors (AC) are measured by their magnitude, magnitudes being
/// interpolated linearly; the scale is the real part of the frequency.
/// Points whose scale or value is NaN are skipped. A stepped plot is
/// measured as a whole: where the scale turns back (a new step begins) the
/// curve restarts, so no segment joins the end of one step to the start of
/// the next, and the window, crossings and integrals run over every step in
/// turn. How the plot is cut into chunks never changes a result.
#[derive(Debug, Clone)]
pub struct Measurer {
    accs: Vec<Acc>,
}

impl Measurer {
    /// Resolves each spec's plot and vector against the file's headers: the
    /// vector's name is matched exactly, else case-insensitively; `plot:
    /// None` takes the first plot that has the vector. Refuses a window with
    /// `from > to` or a NaN end, a NaN `at` or `level`, and `n = 0`.
    pub fn new(raw: &RawFile, specs: &[MeasureSpec]) -> Result<Measurer, MeasureError> {
        let plots = raw.plots();
        let mut accs = Vec::with_capacity(specs.len());
        for s in specs {
            let invalid = |message: &str| MeasureError::Invalid {
                measure: s.name.clone(),
                message: message.to_string(),
            };
            let lo = s.from.unwrap_or(f64::NEG_INFINITY);
            let hi = s.to.unwrap_or(f64::INFINITY);
            if lo.is_nan() || hi.is_nan() {
                return Err(invalid("the window's from or to is NaN"));
            }
            if lo > hi {
                return Err(invalid(&format!(
                    "the window ends (to = {hi}) before it starts (from = {lo})"
                )));
            }
            match s.kind {
                MeasureKind::At { at } if at.is_nan() => return Err(invalid("`at` is NaN")),
                MeasureKind::Cross { level, .. } if level.is_nan() => {
                    return Err(invalid("the level is NaN"))
                }
                MeasureKind::Cross { n: 0, .. } => {
                    return Err(invalid("n counts crossings from 1; 0 was given"))
                }
                _ => {}
            }
            let (plot, col) = match s.plot {
                Some(p) => {
                    let info = plots.get(p).ok_or_else(|| MeasureError::NoPlot {
                        measure: s.name.clone(),
                        plot: p,
                        count: plots.len(),
                    })?;
                    let col = info.header.find(&s.var).ok_or_else(|| MeasureError::NoVector {
                        measure: s.name.clone(),
                        var: s.var.clone(),
                        plot: Some(p),
                        available: info.header.variables.iter().map(|v| v.name.clone()).collect(),
                    })?;
                    (p, col)
                }
                None => plots
                    .iter()
                    .enumerate()
                    .find_map(|(p, info)| info.header.find(&s.var).map(|c| (p, c)))
                    .ok_or_else(|| {
                        let mut available: Vec<String> = Vec::new();
                        for v in plots.iter().flat_map(|i| &i.header.variables) {
                            if !available.contains(&v.name) {
                                available.push(v.name.clone());
                            }
                        }
                        MeasureError::NoVector {
                            measure: s.name.clone(),
                            var: s.var.clone(),
                            plot: None,
                            available,
                        }
                    })?,
            };
            accs.push(Acc::new(s.kind.clone(), plot, col, lo, hi));
        }
        Ok(Measurer { accs })
    }

    /// Takes the next chunk of plot `plot`: chunks of each plot must come in
    /// order, all points once. The chunk holds the plot's columns (at least
    /// those of [`Measurer::columns_needed`]; the others may be empty).
    pub fn feed(&mut self, plot: usize, chunk: &Chunk) {
        for acc in self.accs.iter_mut().filter(|a| a.plot == plot) {
            let (Some(xs), Some(ys)) = (chunk.columns.first(), chunk.columns.get(acc.col)) else {
                continue;
            };
            let n = chunk.len.min(xs.len()).min(ys.len());
            for i in 0..n {
                if let (Some(x), Some(y)) = (xs.get_f64(i), value_at(ys, i)) {
                    acc.point(x, y);
                }
            }
        }
    }

    /// The values, in spec order; `None` where a measure is undefined (an
    /// empty window, no n-th crossing, `at` outside the data).
    pub fn finish(self) -> Vec<Option<f64>> {
        self.accs.iter().map(Acc::value).collect()
    }

    /// The column indices of plot `plot` that the measures read (the scale,
    /// 0, and each measured vector), sorted; empty when no measure is on
    /// that plot.
    pub fn columns_needed(&self, plot: usize) -> Vec<usize> {
        let mut cols: Vec<usize> = self
            .accs
            .iter()
            .filter(|a| a.plot == plot)
            .flat_map(|a| [0, a.col])
            .collect();
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    /// The plots the measures read, in order.
    pub fn plots_needed(&self) -> Vec<usize> {
        let mut plots: Vec<usize> = self.accs.iter().map(|a| a.plot).collect();
        plots.sort_unstable();
        plots.dedup();
        plots
    }
}

/// Computes `specs` on `raw` in one streaming pass over the plots they need,
/// reading only the columns they need.
pub fn measure_file(raw: &RawFile, specs: &[MeasureSpec]) -> Result<Vec<Option<f64>>, MeasureError> {
    measure_file_with(raw, specs, 0)
}

/// As [`measure_file`], reading at most `points` points per chunk (0: as
/// many as the reader's window holds). The results do not depend on it.
pub fn measure_file_with(
    raw: &RawFile,
    specs: &[MeasureSpec],
    points: usize,
) -> Result<Vec<Option<f64>>, MeasureError> {
    let mut m = Measurer::new(raw, specs)?;
    let mut chunk = Chunk::default();
    for p in m.plots_needed() {
        let mut chunks = raw.plot(p)?.chunks_of(points, Some(m.columns_needed(p)));
        while chunks.fill(&mut chunk)? {
            m.feed(p, &chunk);
        }
    }
    Ok(m.finish())
}

/// One measure summarised across the jobs of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MeasureSummary {
    /// Smallest value.
    pub min: f64,
    /// Arithmetic mean of the values.
    pub mean: f64,
    /// Largest value.
    pub max: f64,
    /// How many jobs had a value.
    pub n: u64,
}

/// Min, mean and max of one measure across jobs, skipping `None` (and
/// NaN); `None` when no job has a value.
pub fn summarise(values: impl Iterator<Item = Option<f64>>) -> Option<MeasureSummary> {
    let mut min = f64::INFINITY;
    let mut max = f64::NEG_INFINITY;
    let mut sum = 0.0;
    let mut n = 0u64;
    for v in values.flatten().filter(|v| !v.is_nan()) {
        min = min.min(v);
        max = max.max(v);
        sum += v;
        n += 1;
    }
    (n > 0).then(|| MeasureSummary {
        min,
        mean: sum / n as f64,
        max,
        n,
    })
}
