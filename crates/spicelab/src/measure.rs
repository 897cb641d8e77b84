//! Measures of one simulation result (`[measure]` of a campaign), computed
//! in one streaming pass over the RAW file.
//!
//! [`Measurer`] takes the chunks of each plot as they stream (the campaign
//! runner feeds it the chunks it writes to the cache); [`measure_file`]
//! makes the pass itself. [`summarise`] gives min, mean and max of a
//! measure across jobs. The semantics (window, interpolation, crossings, AC
//! and stepped plots) are documented on [`Measurer`] and in
//! `docs/measures.md`.
//!
//! ```
//! use spicelab::measure::{measure_file, Edge, MeasureKind, MeasureSpec};
//! use spicelab::raw_stream::RawFile;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/ng39_rc_tran.raw");
//! let raw = RawFile::open(path)?;
//! let values = measure_file(
//!     &raw,
//!     &[
//!         MeasureSpec::new("vmax", MeasureKind::Max, "v(out)"),
//!         MeasureSpec::new("t50", MeasureKind::Cross { level: 0.5, edge: Edge::Rise, n: 1 }, "v(out)"),
//!     ],
//! )?;
//! let (vmax, t50) = (values[0].unwrap_or(0.0), values[1].unwrap_or(0.0));
//! assert!(vmax > 0.99 && vmax < 1.0);
//! // RC = 0.1 ms: half way after ln 2 * RC
//! assert!((t50 - 0.1e-3 * 2f64.ln()).abs() < 5e-6);
//! # Ok(()) }
//! ```

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
    /// A distortion metric of the vector's spectrum (see
    /// [`SpectralSpec`]).
    Spectral(SpectralSpec),
}

/// Which distortion metric a spectral measure gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpectralMetric {
    /// Total harmonic distortion, dB (negative: -40 is 1%).
    Thd,
    /// Signal to noise and distortion, dB.
    Sinad,
    /// Spurious-free dynamic range, dB.
    Sfdr,
    /// Effective number of bits.
    Enob,
    /// Signal to noise, dB.
    Snr,
}

impl SpectralMetric {
    /// Reads `thd`, `sinad`, `sfdr`, `enob` or `snr`.
    pub fn parse(s: &str) -> Option<SpectralMetric> {
        Some(match s {
            "thd" => SpectralMetric::Thd,
            "sinad" => SpectralMetric::Sinad,
            "sfdr" => SpectralMetric::Sfdr,
            "enob" => SpectralMetric::Enob,
            "snr" => SpectralMetric::Snr,
            _ => return None,
        })
    }

    /// The metric's value in `d`.
    pub fn of(&self, d: &fft_gpu::Distortion) -> f64 {
        match self {
            SpectralMetric::Thd => d.thd_db,
            SpectralMetric::Sinad => d.sinad_db,
            SpectralMetric::Sfdr => d.sfdr_db,
            SpectralMetric::Enob => d.enob,
            SpectralMetric::Snr => d.snr_db,
        }
    }
}

/// The settings of a spectral measure (`kind = "thd"` and the others).
///
/// The vector's points in the window are kept (at most
/// [`SPECTRAL_MAX_SAMPLES`]; the first step of a stepped plot), then
/// resampled linearly onto a uniform grid and transformed as
/// `spicelab fft` does (`fft_gpu::choose_record`: with a fundamental and
/// no `from`, the last whole periods; rectangular window when the record
/// is coherent, else Blackman-Harris). In a campaign run the FFTs of the
/// spectral measures of many jobs run as one batch (`crate::spectral_batch`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectralSpec {
    /// The metric.
    pub metric: SpectralMetric,
    /// The fundamental's frequency; `None`: the largest tone.
    pub fundamental: Option<f64>,
    /// The highest harmonic order counted (THD over 2..=harmonics).
    pub harmonics: u32,
    /// The FFT window; `None`: chosen from the record.
    pub window: Option<fft_gpu::Window>,
}

/// A spectral measure keeps at most this many points of its vector
/// (2^22, 64 MiB); past it the measure has no value (narrow the window
/// with `from`).
pub const SPECTRAL_MAX_SAMPLES: usize = 1 << 22;

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

impl MeasureSpec {
    /// A measure of `var` over the whole scale of the first plot that has it.
    pub fn new(name: impl Into<String>, kind: MeasureKind, var: impl Into<String>) -> MeasureSpec {
        MeasureSpec {
            name: name.into(),
            kind,
            var: var.into(),
            plot: None,
            from: None,
            to: None,
        }
    }
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

/// The points a spectral measure keeps.
#[derive(Debug, Clone, Default)]
struct SpectralBuf {
    /// The last point before the window (for the interpolation there).
    before: Option<(f64, f64)>,
    /// The window's points (with one each side where the data have them).
    pts: Vec<(f64, f64)>,
    /// No more points wanted (past the window, or a new step began).
    done: bool,
    /// More than [`SPECTRAL_MAX_SAMPLES`] points.
    overflow: bool,
}

/// The running state of one measure.
#[derive(Debug, Clone)]
struct Acc {
    name: String,
    kind: MeasureKind,
    spectral: SpectralBuf,
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
    fn new(name: String, kind: MeasureKind, plot: usize, col: usize, lo: f64, hi: f64) -> Acc {
        Acc {
            name,
            kind,
            spectral: SpectralBuf::default(),
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
        if let MeasureKind::Spectral(_) = self.kind {
            self.collect(x, y);
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

    /// Keeps a spectral measure's point: the window's points, one before
    /// and one after it; the first step only.
    fn collect(&mut self, x: f64, y: f64) {
        let buf = &mut self.spectral;
        if buf.done {
            return;
        }
        if let Some((px, _)) = self.prev {
            if x < px {
                // the scale turned back: a new step begins
                if buf.pts.is_empty() {
                    buf.before = None;
                } else {
                    buf.done = true;
                    return;
                }
            }
        }
        self.prev = Some((x, y));
        if x < self.lo {
            buf.before = Some((x, y));
            return;
        }
        if buf.pts.is_empty() {
            if let Some(b) = buf.before.take() {
                buf.pts.push(b);
            }
        }
        if buf.pts.len() >= SPECTRAL_MAX_SAMPLES {
            buf.overflow = true;
            buf.done = true;
            buf.pts = Vec::new();
            return;
        }
        buf.pts.push((x, y));
        if x > self.hi {
            buf.done = true;
        }
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
            // computed in a batch by Measurer::finish
            MeasureKind::Spectral(_) => None,
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
        let headers: Vec<&waveform::PlotHeader> = raw.plots().iter().map(|p| &p.header).collect();
        Measurer::for_headers(&headers, specs)
    }

    /// [`Measurer::new`] on the plot headers alone (a result that is not a
    /// RAW file: a cache entry, fed block by block).
    pub fn for_headers(
        headers: &[&waveform::PlotHeader],
        specs: &[MeasureSpec],
    ) -> Result<Measurer, MeasureError> {
        struct P<'a> {
            header: &'a waveform::PlotHeader,
        }
        let plots: Vec<P<'_>> = headers.iter().map(|h| P { header: h }).collect();
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
                    let col = info
                        .header
                        .find(&s.var)
                        .ok_or_else(|| MeasureError::NoVector {
                            measure: s.name.clone(),
                            var: s.var.clone(),
                            plot: Some(p),
                            available: info
                                .header
                                .variables
                                .iter()
                                .map(|v| v.name.clone())
                                .collect(),
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
            accs.push(Acc::new(s.name.clone(), s.kind.clone(), plot, col, lo, hi));
        }
        Ok(Measurer { accs })
    }

    /// Takes the next chunk of plot `plot`: the chunks of each plot must
    /// come in order, every point once (the plots themselves may come in
    /// any order, or interleaved). Chunks of a plot no measure uses are
    /// ignored. The chunk holds the plot's columns (at least
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
    ///
    /// Spectral measures are computed here, their FFTs in one batch; one
    /// that cannot be computed (too few periods, a fundamental above
    /// Nyquist, too many points) has no value and logs a warning that says
    /// why. This is [`Measurer::prepare`] then [`complete`] on the
    /// process-wide [`fft_engine`]; a campaign run batches the records of
    /// many jobs instead (`crate::spectral_batch`).
    pub fn finish(self) -> Vec<Option<f64>> {
        self.prepare().finish()
    }

    /// Ends the stream: the values of the measures that need no FFT, and
    /// the resampled record of each spectral measure, owned, to be
    /// transformed later with other results' records ([`complete`]). A
    /// spectral measure whose record cannot be made (no points in its
    /// window, too many points) has no value and logs a warning now.
    pub fn prepare(self) -> Prepared {
        let values: Vec<Option<f64>> = self.accs.iter().map(Acc::value).collect();
        let mut spectral = Vec::new();
        for (i, a) in self.accs.into_iter().enumerate() {
            let MeasureKind::Spectral(s) = a.kind.clone() else {
                continue;
            };
            match spectral_record(&a, &s) {
                Ok(record) => spectral.push(SpectralRecord {
                    index: i,
                    name: a.name,
                    spec: s,
                    record,
                }),
                Err(why) => tracing::warn!("measure '{}': no value: {why}", a.name),
            }
        }
        Prepared { values, spectral }
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

/// The FFT engine every spectral measure of the process shares (plans
/// reused across jobs): the GPU when the `gpu` feature is on and one is
/// usable, else the CPU.
pub fn fft_engine() -> &'static fft_gpu::Engine {
    static ENGINE: std::sync::OnceLock<fft_gpu::Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        // Auto falls back to the CPU by itself; this is belt and braces
        fft_gpu::Engine::new(fft_gpu::Backend::Auto).unwrap_or_else(|_| fft_gpu::Engine::new_cpu())
    })
}

/// One spectral measure's record, waiting for its FFT.
#[derive(Debug, Clone)]
struct SpectralRecord {
    /// The measure's place in the spec list.
    index: usize,
    /// Its name (for warnings).
    name: String,
    spec: SpectralSpec,
    record: fft_gpu::Record,
}

/// The measures of one result at the end of its stream, spectral ones not
/// yet transformed ([`Measurer::prepare`]): the values of the others, and
/// one owned record per spectral measure. [`complete`] transforms the
/// records of many `Prepared` in one batch.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// In spec order; `None` for every spectral measure until completed.
    values: Vec<Option<f64>>,
    spectral: Vec<SpectralRecord>,
}

impl Prepared {
    /// How many spectral records wait for an FFT (0: the values are final).
    pub fn records(&self) -> usize {
        self.spectral.len()
    }

    /// How many samples those records hold together.
    pub fn samples(&self) -> usize {
        self.spectral.iter().map(|r| r.record.samples.len()).sum()
    }

    /// The values known now, in spec order (`None` for the spectral
    /// measures still to compute).
    pub fn values(&self) -> &[Option<f64>] {
        &self.values
    }

    /// The values, the spectral records transformed alone (one batch of
    /// this result's records on [`fft_engine`], which is not touched when
    /// there are none).
    pub fn finish(self) -> Vec<Option<f64>> {
        if self.spectral.is_empty() {
            return self.values;
        }
        complete(fft_engine(), vec![self]).pop().unwrap_or_default()
    }
}

/// Computes the spectral measures of every result in `batch` with one
/// call to `engine` over all their records (records of equal length go
/// through one batched transform) and returns each result's values, in
/// the order of `batch`.
///
/// A record that cannot be transformed, or whose spectrum gives no metric
/// (too few periods for the window, a fundamental above Nyquist), leaves
/// only its own measure without a value, with a warning that says why; the
/// other records of the batch are not touched. Only a failure of the
/// engine itself (a GPU error) leaves the whole batch's spectral measures
/// without values.
pub fn complete(engine: &fft_gpu::Engine, batch: Vec<Prepared>) -> Vec<Vec<Option<f64>>> {
    let mut out: Vec<Vec<Option<f64>>> = Vec::with_capacity(batch.len());
    let mut records = Vec::new();
    let mut slots = Vec::new();
    for (job, p) in batch.into_iter().enumerate() {
        out.push(p.values);
        for r in p.spectral {
            // what Engine::spectra refuses for the whole call is refused
            // here for this record alone
            let n = r.record.samples.len();
            if !(2..=fft_gpu::MAX_POINTS).contains(&n) {
                tracing::warn!(
                    "measure '{}': no value: {n} points (between 2 and {})",
                    r.name,
                    fft_gpu::MAX_POINTS
                );
                continue;
            }
            if !(r.record.rate.is_finite() && r.record.rate > 0.0) {
                tracing::warn!(
                    "measure '{}': no value: sample rate {}",
                    r.name,
                    r.record.rate
                );
                continue;
            }
            records.push(r.record);
            slots.push((job, r.index, r.spec, r.name));
        }
    }
    if records.is_empty() {
        return out;
    }
    let spectra = match engine.spectra(records) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(
                "spectral measures: {} records of {} results: no value: {e}",
                slots.len(),
                out.len()
            );
            return out;
        }
    };
    for (spec, (job, i, s, name)) in spectra.iter().zip(slots) {
        let opts = fft_gpu::MetricOptions {
            fundamental: s.fundamental,
            harmonics: s.harmonics,
        };
        match fft_gpu::distortion(spec, &opts) {
            Ok(d) => {
                if let Some(v) = out.get_mut(job).and_then(|vs| vs.get_mut(i)) {
                    *v = Some(s.metric.of(&d));
                }
            }
            Err(e) => tracing::warn!("measure '{name}': no value: {e}"),
        }
    }
    out
}

/// A spectral measure's resampled record.
fn spectral_record(a: &Acc, s: &SpectralSpec) -> Result<fft_gpu::Record, String> {
    if a.spectral.overflow {
        return Err(format!(
            "more than {SPECTRAL_MAX_SAMPLES} points in its window (narrow it with from/to)"
        ));
    }
    let (xs, ys): (Vec<f64>, Vec<f64>) = a.spectral.pts.iter().copied().unzip();
    let opts = fft_gpu::RecordOptions {
        from: a.lo.is_finite().then_some(a.lo),
        to: a.hi.is_finite().then_some(a.hi),
        fundamental: s.fundamental,
        points: None,
        window: s.window,
    };
    let chosen = fft_gpu::choose_record(&xs, &opts).map_err(|e| e.to_string())?;
    let samples = fft_gpu::resample(&xs, &ys, &chosen.grid, fft_gpu::Interp::Linear)
        .map_err(|e| e.to_string())?;
    Ok(fft_gpu::Record::new(
        samples,
        chosen.grid.rate(),
        chosen.window,
    ))
}

/// Computes `specs` on `raw` in one streaming pass over the plots they need,
/// reading only the columns they need.
pub fn measure_file(
    raw: &RawFile,
    specs: &[MeasureSpec],
) -> Result<Vec<Option<f64>>, MeasureError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use raw_stream::{write_plot, OpenOptions, RawFormat};
    use waveform::{Flags, Plot, PlotHeader, Steps, Variable};

    fn fixture(name: &str) -> RawFile {
        let path = format!("{}/../../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        RawFile::open(path).unwrap()
    }

    fn m(name: &str, kind: MeasureKind, var: &str) -> MeasureSpec {
        MeasureSpec::new(name, kind, var)
    }

    fn win(mut s: MeasureSpec, from: Option<f64>, to: Option<f64>) -> MeasureSpec {
        s.from = from;
        s.to = to;
        s
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-300
    }

    fn assert_close(got: Option<f64>, want: f64, rel: f64, what: &str) {
        let g = got.unwrap_or_else(|| panic!("{what}: None, want {want}"));
        assert!(close(g, want, rel), "{what}: got {g}, want {want}");
    }

    /// A real plot (scale + one vector) as an ngspice binary RAW file in memory.
    fn mem_raw(plotname: &str, scale: &str, xs: &[f64], ys: &[f64]) -> RawFile {
        let kind = if scale == "time" { "time" } else { "voltage" };
        let plot = Plot {
            header: PlotHeader {
                title: "* hand-made".into(),
                plotname: plotname.into(),
                flags: Flags::parse("real"),
                n_points: xs.len() as u64,
                variables: vec![
                    Variable::new(0, scale, kind),
                    Variable::new(1, "v(y)", "voltage"),
                ],
                ..PlotHeader::default()
            },
            columns: vec![Column::F64(xs.to_vec()), Column::F64(ys.to_vec())],
            steps: Steps::single(xs.len() as u64),
        };
        let mut bytes = Vec::new();
        write_plot(&mut bytes, RawFormat::NgspiceBinary, &plot).unwrap();
        RawFile::from_bytes("mem.raw", bytes, &OpenOptions::default()).unwrap()
    }

    /// Independent reference: the polyline of the window (interpolated ends
    /// plus the samples strictly inside), for an increasing scale.
    fn window_polyline(xs: &[f64], ys: &[f64], from: f64, to: f64) -> Vec<(f64, f64)> {
        let lerp = |x: f64| -> Option<f64> {
            (0..xs.len() - 1).find_map(|i| {
                (xs[i] <= x && x <= xs[i + 1] && xs[i] < xs[i + 1])
                    .then(|| ys[i] + (ys[i + 1] - ys[i]) * (x - xs[i]) / (xs[i + 1] - xs[i]))
            })
        };
        let mut pts = vec![(from, lerp(from).unwrap())];
        pts.extend(
            xs.iter()
                .zip(ys)
                .filter(|(&x, _)| from < x && x < to)
                .map(|(&x, &y)| (x, y)),
        );
        pts.push((to, lerp(to).unwrap()));
        pts
    }

    fn trapz(pts: &[(f64, f64)], f: impl Fn(f64) -> f64) -> f64 {
        pts.windows(2)
            .map(|w| 0.5 * (f(w[0].1) + f(w[1].1)) * (w[1].0 - w[0].0))
            .sum()
    }

    /// Independent reference: scale values of the crossings, in order.
    fn crossings(xs: &[f64], ys: &[f64], level: f64, rise: bool) -> Vec<f64> {
        let mut out = Vec::new();
        for i in 0..xs.len() - 1 {
            let (y0, y1) = (ys[i], ys[i + 1]);
            let hit = if rise {
                y0 < level && y1 >= level
            } else {
                y0 > level && y1 <= level
            };
            if hit {
                out.push(xs[i] + (level - y0) / (y1 - y0) * (xs[i + 1] - xs[i]));
            }
        }
        out
    }

    fn all_kinds(var: &str, from: Option<f64>, to: Option<f64>) -> Vec<MeasureSpec> {
        use MeasureKind::*;
        [
            Min,
            Max,
            Pp,
            Mean,
            Rms,
            Final,
            At { at: 0.25e-3 },
            Cross {
                level: 0.5,
                edge: Edge::Rise,
                n: 1,
            },
            Cross {
                level: 0.5,
                edge: Edge::Fall,
                n: 1,
            },
            Cross {
                level: 0.5,
                edge: Edge::Either,
                n: 3,
            },
            Cross {
                level: 0.5,
                edge: Edge::Rise,
                n: 9,
            },
        ]
        .into_iter()
        .enumerate()
        .map(|(i, k)| win(m(&format!("m{i}"), k, var), from, to))
        .collect()
    }

    #[test]
    fn rc_tran_matches_a_direct_computation() {
        let raw = fixture("ng39_rc_tran.raw");
        let plot = raw.plot(0).unwrap();
        let xs = plot.column("time").unwrap().to_f64();
        let ys = plot.column("v(out)").unwrap().to_f64();
        assert!(xs.len() > 100);
        let got = measure_file(&raw, &all_kinds("V(OUT)", None, None)).unwrap();

        let min = ys.iter().copied().fold(f64::INFINITY, f64::min);
        let max = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pts: Vec<(f64, f64)> = xs.iter().copied().zip(ys.iter().copied()).collect();
        let span = xs[xs.len() - 1] - xs[0];
        let mean = trapz(&pts, |y| y) / span;
        let rms = (trapz(&pts, |y| y * y) / span).sqrt();
        assert_eq!(got[0], Some(min));
        assert_eq!(got[1], Some(max));
        assert_eq!(got[2], Some(max - min));
        assert_close(got[3], mean, 1e-12, "mean");
        assert_close(got[4], rms, 1e-12, "rms");
        assert_eq!(got[5], ys.last().copied());
        let i = xs.iter().position(|&x| x > 0.25e-3).unwrap();
        let at = ys[i - 1] + (ys[i] - ys[i - 1]) * (0.25e-3 - xs[i - 1]) / (xs[i] - xs[i - 1]);
        assert_close(got[6], at, 1e-12, "at");
        let rises = crossings(&xs, &ys, 0.5, true);
        let falls = crossings(&xs, &ys, 0.5, false);
        // the 1 ms pulse with tau = 0.1 ms: two rises and two falls in 2 ms
        assert_eq!((rises.len(), falls.len()), (2, 2));
        assert_close(got[7], rises[0], 1e-12, "first rise");
        // ln 2 * tau after the 1 us edge
        assert!(
            (rises[0] - (1e-6 + 0.1e-3 * 2f64.ln())).abs() < 2e-6,
            "{rises:?}"
        );
        assert_close(got[8], falls[0], 1e-12, "first fall");
        // third crossing either way: rise, fall, rise
        assert_close(got[9], rises[1], 1e-12, "third crossing");
        assert_eq!(got[10], None, "no 9th rise");

        // a window [0.3 ms, 1.2 ms] with ends between points
        let (from, to) = (0.3e-3, 1.2e-3);
        assert!(!xs.contains(&from) && !xs.contains(&to));
        let got = measure_file(&raw, &all_kinds("v(out)", Some(from), Some(to))).unwrap();
        let pts = window_polyline(&xs, &ys, from, to);
        let vals: Vec<f64> = pts.iter().map(|p| p.1).collect();
        let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_close(got[0], min, 1e-12, "window min");
        assert_close(got[1], max, 1e-12, "window max");
        assert_close(got[2], max - min, 1e-12, "window pp");
        assert_close(
            got[3],
            trapz(&pts, |y| y) / (to - from),
            1e-12,
            "window mean",
        );
        assert_close(
            got[4],
            (trapz(&pts, |y| y * y) / (to - from)).sqrt(),
            1e-12,
            "window rms",
        );
        assert_close(got[5], vals[vals.len() - 1], 1e-12, "window final");
        assert_eq!(got[6], None, "at 0.25 ms is outside the window");
        assert_close(got[7], rises[1], 1e-12, "first rise in the window");
        assert_close(got[8], falls[0], 1e-12, "first fall in the window");
        assert_eq!(got[9], None, "only two crossings in the window");
    }

    #[test]
    fn chunk_size_never_changes_a_result() {
        for name in ["ng39_rc_tran.raw", "ng39_rc_tran_ascii.raw"] {
            let raw = fixture(name);
            for (from, to) in [
                (None, None),
                (Some(0.3e-3), Some(1.2e-3)),
                (Some(1e-3), None),
            ] {
                let specs = all_kinds("v(out)", from, to);
                let one = measure_file_with(&raw, &specs, 65536).unwrap();
                assert!(one.iter().filter(|v| v.is_some()).count() >= 6);
                for points in [1, 7, 0] {
                    let got = measure_file_with(&raw, &specs, points).unwrap();
                    assert_eq!(got, one, "{name}, {points} points per chunk");
                }
            }
        }
    }

    #[test]
    fn ramp_gives_exact_values() {
        let xs: Vec<f64> = (0..=10).map(f64::from).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 2.0 * x).collect();
        let raw = mem_raw("Transient Analysis", "time", &xs, &ys);
        use MeasureKind::*;
        let w = |k: MeasureKind| win(m("w", k, "v(y)"), Some(1.5), Some(4.5));
        let specs = vec![
            m("at", At { at: 2.5 }, "v(y)"),
            m("at_sample", At { at: 7.0 }, "v(y)"),
            m("at_out", At { at: 10.5 }, "v(y)"),
            m("mean", Mean, "v(y)"),
            // trapezoids of 4x^2 on the unit grid: 2 * (285 + 385) / 10
            m("rms", Rms, "v(y)"),
            m(
                "cross",
                Cross {
                    level: 7.0,
                    edge: Edge::Rise,
                    n: 1,
                },
                "v(y)",
            ),
            m(
                "nofall",
                Cross {
                    level: 7.0,
                    edge: Edge::Fall,
                    n: 1,
                },
                "v(y)",
            ),
            m("final", Final, "v(y)"),
            w(Min),
            w(Max),
            w(Pp),
            w(Mean),
            w(Final),
            w(At { at: 1.0 }),
            w(Cross {
                level: 2.0,
                edge: Edge::Rise,
                n: 1,
            }),
        ];
        let got = measure_file(&raw, &specs).unwrap();
        let want = [
            Some(5.0),
            Some(14.0),
            None,
            Some(10.0),
            Some(134f64.sqrt()),
            Some(3.5),
            None,
            Some(20.0),
            Some(3.0),
            Some(9.0),
            Some(6.0),
            Some(6.0),
            Some(9.0),
            None,
            None,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn sine_crossings_mean_and_rms() {
        // 8 points per period, two periods, T = 8
        let xs: Vec<f64> = (0..=16).map(f64::from).collect();
        let ys: Vec<f64> = xs
            .iter()
            .map(|&x| (std::f64::consts::PI * x / 4.0).sin())
            .collect();
        let raw = mem_raw("Transient Analysis", "time", &xs, &ys);
        use MeasureKind::*;
        let c = |edge, n| {
            m(
                "c",
                Cross {
                    level: 0.0,
                    edge,
                    n,
                },
                "v(y)",
            )
        };
        let half = |edge, n| {
            m(
                "c",
                Cross {
                    level: ys[1],
                    edge,
                    n,
                },
                "v(y)",
            )
        };
        let specs = vec![
            c(Edge::Fall, 1),
            c(Edge::Rise, 1),
            c(Edge::Either, 3),
            c(Edge::Rise, 2),
            c(Edge::Fall, 2),
            m("mean", Mean, "v(y)"),
            m("rms", Rms, "v(y)"),
            m("max", Max, "v(y)"),
            m("at", At { at: 1.5 }, "v(y)"),
            // sin(pi/4) is hit exactly at t = 1 (a rise) and again at t = 3 (a fall)
            half(Edge::Rise, 1),
            half(Edge::Fall, 1),
            half(Edge::Either, 2),
        ];
        let got = measure_file(&raw, &specs).unwrap();
        assert_close(got[0], 4.0, 1e-12, "first fall");
        assert_close(got[1], 8.0, 1e-12, "first rise");
        assert_close(got[2], 12.0, 1e-12, "third crossing");
        assert!(
            got[3].is_none(),
            "t = 16 is sin(4 pi) ~ -4.9e-16, not a rise: {:?}",
            got[3]
        );
        assert_close(got[4], 12.0, 1e-12, "second fall");
        assert!(got[5].unwrap().abs() < 1e-15, "mean {:?}", got[5]);
        assert_close(got[6], 0.5f64.sqrt(), 1e-12, "rms");
        assert_eq!(got[7], Some(1.0));
        assert_close(got[8], (ys[1] + ys[2]) / 2.0, 1e-15, "at");
        assert_eq!(got[9], Some(1.0));
        assert_close(got[10], 3.0, 1e-12, "fall through sin(pi/4)");
        assert_eq!(got[11], got[10], "t = 1 rise, then t = 3 fall");
    }

    #[test]
    fn a_point_on_the_level_counts_once() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let ys = [1.0, 2.0, 2.0, 3.0, 2.0, 1.0];
        let raw = mem_raw("Transient Analysis", "time", &xs, &ys);
        let c = |edge, n| {
            m(
                "c",
                MeasureKind::Cross {
                    level: 2.0,
                    edge,
                    n,
                },
                "v(y)",
            )
        };
        let got = measure_file(
            &raw,
            &[
                c(Edge::Rise, 1),
                c(Edge::Rise, 2),
                c(Edge::Fall, 1),
                c(Edge::Fall, 2),
                c(Edge::Either, 2),
                c(Edge::Either, 3),
            ],
        )
        .unwrap();
        assert_eq!(got, [Some(1.0), None, Some(4.0), None, Some(4.0), None]);
    }

    #[test]
    fn steps_restart_the_curve_and_decreasing_scales_work() {
        use MeasureKind::*;
        // two steps of 0..2 (a stepped plot as one run of points)
        let xs = [0.0, 1.0, 2.0, 0.0, 1.0, 2.0];
        let ys = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0];
        let raw = mem_raw("Transient Analysis", "time", &xs, &ys);
        let cross = |level| {
            m(
                "c",
                Cross {
                    level,
                    edge: Edge::Rise,
                    n: 1,
                },
                "v(y)",
            )
        };
        let specs = [
            m("mean", Mean, "v(y)"),
            m("min", Min, "v(y)"),
            m("max", Max, "v(y)"),
            m("final", Final, "v(y)"),
            m("at", At { at: 0.5 }, "v(y)"),
            cross(5.0),
            cross(10.5),
        ];
        let got = measure_file(&raw, &specs).unwrap();
        assert_eq!(
            got,
            [
                Some(6.0),
                Some(0.0),
                Some(12.0),
                Some(12.0),
                Some(0.5),
                None,
                Some(0.5)
            ]
        );

        // a DC sweep from 5 down to 0
        let xs = [5.0, 4.0, 3.0, 2.0, 1.0, 0.0];
        let ys: Vec<f64> = xs.iter().map(|x| 2.0 * x).collect();
        let raw = mem_raw("DC transfer characteristic", "v(v-sweep)", &xs, &ys);
        let w = |k| win(m("w", k, "v(y)"), Some(1.0), Some(3.0));
        let specs = [
            m("mean", Mean, "v(y)"),
            m("at", At { at: 2.5 }, "v(y)"),
            m(
                "fall",
                Cross {
                    level: 3.0,
                    edge: Edge::Fall,
                    n: 1,
                },
                "v(y)",
            ),
            w(Min),
            w(Max),
            w(Final),
            w(Mean),
        ];
        let got = measure_file(&raw, &specs).unwrap();
        assert_eq!(
            got,
            [
                Some(5.0),
                Some(5.0),
                Some(1.5),
                Some(2.0),
                Some(6.0),
                Some(2.0),
                Some(4.0)
            ]
        );
    }

    #[test]
    fn ac_measures_use_the_magnitude() {
        let raw = fixture("ng39_rlc_ac.raw");
        let plot = raw.plot(0).unwrap();
        let fs: Vec<f64> = plot.column("frequency").unwrap().to_f64();
        let col = plot.column("v(out)").unwrap();
        assert!(col.is_complex());
        let mags: Vec<f64> = (0..col.len())
            .map(|i| {
                let c = col.get_complex(i).unwrap();
                (c.re * c.re + c.im * c.im).sqrt()
            })
            .collect();
        let re = col.to_f64();
        use MeasureKind::*;
        let cross = |edge| {
            m(
                "bw",
                Cross {
                    level: 0.3,
                    edge,
                    n: 1,
                },
                "v(out)",
            )
        };
        let specs = [
            m("max", Max, "v(out)"),
            m("min", Min, "v(out)"),
            m("mean", Mean, "v(out)"),
            m("at", At { at: 5000.0 }, "v(out)"),
            cross(Edge::Rise),
            cross(Edge::Fall),
            m("final", Final, "v(out)"),
        ];
        let got = measure_file(&raw, &specs).unwrap();
        let max = mags.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = mags.iter().copied().fold(f64::INFINITY, f64::min);
        // R2 / (R1 + R2) at resonance (1/(2 pi sqrt(LC)) ~ 5.03 kHz)
        assert!((max - 100.0 / 150.0).abs() < 0.01, "{max}");
        assert_close(got[0], max, 1e-12, "max |v(out)|");
        assert_close(got[1], min, 1e-12, "min |v(out)|");
        let re_min = re.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            re_min < min - 1e-3,
            "the real part dips below the magnitude"
        );
        let pts: Vec<(f64, f64)> = fs.iter().copied().zip(mags.iter().copied()).collect();
        let mean = trapz(&pts, |y| y) / (fs[fs.len() - 1] - fs[0]);
        assert_close(got[2], mean, 1e-12, "mean |v(out)|");
        let i = fs.iter().position(|&f| f > 5000.0).unwrap();
        let at = mags[i - 1] + (mags[i] - mags[i - 1]) * (5000.0 - fs[i - 1]) / (fs[i] - fs[i - 1]);
        assert_close(got[3], at, 1e-12, "|v(out)| at 5 kHz");
        let rises = crossings(&fs, &mags, 0.3, true);
        let falls = crossings(&fs, &mags, 0.3, false);
        assert_eq!((rises.len(), falls.len()), (1, 1));
        assert_close(got[4], rises[0], 1e-12, "lower band edge");
        assert_close(got[5], falls[0], 1e-12, "upper band edge");
        assert!(rises[0] < 5030.0 && falls[0] > 5030.0);
        assert_close(got[6], mags[mags.len() - 1], 1e-15, "final");
        for points in [1, 7, 65536] {
            assert_eq!(measure_file_with(&raw, &specs, points).unwrap(), got);
        }
    }

    #[test]
    fn plots_are_resolved_and_errors_are_typed() {
        let raw = fixture("ng39_multi_op_tran_ac.raw");
        // `time` is only in the transient plot (2); v(d) first appears in the AC plot (0)
        let mut op = m("vd_op", MeasureKind::Final, "V(D)");
        op.plot = Some(1);
        let mut op_mean = m("vd_op_mean", MeasureKind::Mean, "v(d)");
        op_mean.plot = Some(1);
        let specs = [
            m("tend", MeasureKind::Final, "time"),
            m("vd_ac", MeasureKind::Max, "v(d)"),
            op,
            op_mean,
        ];
        let mm = Measurer::new(&raw, &specs).unwrap();
        assert_eq!(mm.columns_needed(0), vec![0, 4]);
        assert_eq!(mm.columns_needed(1), vec![0, 3]);
        assert_eq!(mm.columns_needed(2), vec![0]);
        assert_eq!(mm.columns_needed(3), Vec::<usize>::new());
        assert_eq!(mm.plots_needed(), vec![0, 1, 2]);
        let got = measure_file(&raw, &specs).unwrap();
        let tran = raw.plot(2).unwrap().column("time").unwrap().to_f64();
        assert_eq!(got[0], tran.last().copied());
        let vd_op = raw.plot(1).unwrap().column("v(d)").unwrap().get_f64(0);
        assert!(vd_op.is_some());
        assert_eq!(got[2], vd_op);
        assert_eq!(got[3], vd_op, "one point: the mean is its value");

        let err = Measurer::new(&raw, &[m("x", MeasureKind::Max, "v(nope)")]).unwrap_err();
        match &err {
            MeasureError::NoVector {
                measure,
                var,
                plot,
                available,
            } => {
                assert_eq!(
                    (measure.as_str(), var.as_str(), *plot),
                    ("x", "v(nope)", None)
                );
                assert!(available.iter().any(|v| v == "time"));
                assert!(available.iter().any(|v| v == "v(d)"));
                assert_eq!(available.iter().filter(|v| *v == "v(d)").count(), 1);
            }
            e => panic!("{e}"),
        }
        assert!(err.to_string().contains("v(nope)"), "{err}");
        let mut s = m("x", MeasureKind::Max, "time");
        s.plot = Some(0);
        assert!(matches!(
            Measurer::new(&raw, &[s.clone()]),
            Err(MeasureError::NoVector { plot: Some(0), .. })
        ));
        s.plot = Some(7);
        assert!(matches!(
            Measurer::new(&raw, &[s]),
            Err(MeasureError::NoPlot {
                plot: 7,
                count: 3,
                ..
            })
        ));
        let bad = [
            win(m("w", MeasureKind::Max, "time"), Some(2.0), Some(1.0)),
            win(m("w", MeasureKind::Max, "time"), Some(f64::NAN), None),
            m("a", MeasureKind::At { at: f64::NAN }, "time"),
            m(
                "c",
                MeasureKind::Cross {
                    level: 1.0,
                    edge: Edge::Rise,
                    n: 0,
                },
                "time",
            ),
        ];
        for b in bad {
            assert!(
                matches!(
                    Measurer::new(&raw, std::slice::from_ref(&b)),
                    Err(MeasureError::Invalid { .. })
                ),
                "{b:?}"
            );
        }
    }

    #[test]
    fn summarise_skips_missing_values() {
        let s =
            summarise([Some(1.0), None, Some(3.0), Some(f64::NAN), Some(2.0)].into_iter()).unwrap();
        assert_eq!(
            s,
            MeasureSummary {
                min: 1.0,
                mean: 2.0,
                max: 3.0,
                n: 3
            }
        );
        assert_eq!(summarise([None, None].into_iter()), None);
        assert_eq!(summarise(std::iter::empty()), None);
    }

    /// Feeds `cols` (whole columns) to a Measurer cut at `cuts`.
    #[test]
    fn spectral_measures_of_a_known_distortion() {
        use std::f64::consts::TAU;
        // a non-uniform time axis over 30 ms, 1 kHz with 1% third harmonic
        let n = 60_000;
        let xs: Vec<f64> = (0..n)
            .map(|i| {
                let u = i as f64 / (n - 1) as f64;
                30e-3 * (u + 0.002 * (TAU * 37.0 * u).sin())
            })
            .collect();
        let ys: Vec<f64> = xs
            .iter()
            .map(|t| (TAU * 1e3 * t).sin() + 0.01 * (TAU * 3e3 * t).sin())
            .collect();
        let raw = mem_raw("Transient Analysis", "time", &xs, &ys);
        let sp = |name: &str, metric, window, from| MeasureSpec {
            name: name.into(),
            kind: MeasureKind::Spectral(SpectralSpec {
                metric,
                fundamental: Some(1e3),
                harmonics: 9,
                window,
            }),
            var: "v(y)".into(),
            plot: None,
            from,
            to: None,
        };
        let specs = [
            sp("thd", SpectralMetric::Thd, None, None),
            // 29.5 periods: not coherent, Blackman-Harris by default
            sp("thd_bh", SpectralMetric::Thd, None, Some(0.5e-3)),
            sp("sfdr", SpectralMetric::Sfdr, None, None),
            // 5 periods
            sp(
                "short",
                SpectralMetric::Thd,
                Some(fft_gpu::Window::FlatTop),
                Some(25e-3),
            ),
            m("vmax", MeasureKind::Max, "v(y)"),
        ];
        let v = measure_file(&raw, &specs).unwrap();
        assert!((v[0].unwrap() + 40.0).abs() < 0.01, "{v:?}");
        assert!((v[1].unwrap() + 40.0).abs() < 0.05, "{v:?}");
        assert!((v[2].unwrap() - 40.0).abs() < 0.01, "{v:?}");
        // 5 periods are too few for the flat-top window's 13 bins
        assert_eq!(v[3], None);
        assert!(v[4].unwrap() > 0.98);
        // how the plot is chunked changes nothing
        for points in [1, 7, 1000] {
            let w = measure_file_with(&raw, &specs, points).unwrap();
            assert_eq!(bits(&w), bits(&v), "{points}");
        }
    }

    /// The records of several results transformed in one `complete` call
    /// give each result the values its records give alone; a record whose
    /// spectrum gives no metric leaves only its own measure empty.
    #[test]
    fn one_batch_across_results_equals_each_alone() {
        use std::f64::consts::TAU;
        let n = 30_000;
        let xs: Vec<f64> = (0..n)
            .map(|i| {
                let u = i as f64 / (n - 1) as f64;
                20e-3 * (u + 0.002 * (TAU * 37.0 * u).sin())
            })
            .collect();
        let sp = |name: &str, metric, window, from| MeasureSpec {
            name: name.into(),
            kind: MeasureKind::Spectral(SpectralSpec {
                metric,
                fundamental: Some(1e3),
                harmonics: 9,
                window,
            }),
            var: "v(y)".into(),
            plot: None,
            from,
            to: None,
        };
        let specs = [
            sp("thd", SpectralMetric::Thd, None, None),
            sp("sfdr", SpectralMetric::Sfdr, None, Some(0.5e-3)),
            // 5 periods: too few for the flat-top window
            sp(
                "short",
                SpectralMetric::Thd,
                Some(fft_gpu::Window::FlatTop),
                Some(15e-3),
            ),
            m("vmax", MeasureKind::Max, "v(y)"),
        ];
        // four results: 1% to 4% of third harmonic
        let raws: Vec<RawFile> = (1..=4)
            .map(|k| {
                let h = 0.01 * k as f64;
                let ys: Vec<f64> = xs
                    .iter()
                    .map(|t| (TAU * 1e3 * t).sin() + h * (TAU * 3e3 * t).sin())
                    .collect();
                mem_raw("Transient Analysis", "time", &xs, &ys)
            })
            .collect();
        let alone: Vec<Vec<Option<f64>>> = raws
            .iter()
            .map(|r| measure_file(r, &specs).unwrap())
            .collect();
        let prepared: Vec<Prepared> = raws
            .iter()
            .map(|raw| {
                let mut mm = Measurer::new(raw, &specs).unwrap();
                let mut chunk = Chunk::default();
                let mut chunks = raw.plot(0).unwrap().chunks_of(4096, None);
                while chunks.fill(&mut chunk).unwrap() {
                    mm.feed(0, &chunk);
                }
                let p = mm.prepare();
                assert_eq!(p.records(), 3);
                assert!(p.samples() >= 3 * 1024);
                assert_eq!(p.values()[..3], [None, None, None]);
                assert!(p.values()[3].is_some());
                p
            })
            .collect();
        let together = complete(fft_engine(), prepared);
        assert_eq!(together.len(), 4);
        for (k, (t, a)) in together.iter().zip(&alone).enumerate() {
            assert_eq!(bits(t), bits(a), "result {k}");
            // 20 log10(h): -40 dB at 1%, -28 dB at 4%
            let want = 20.0 * (0.01 * (k + 1) as f64).log10();
            assert!((t[0].unwrap() - want).abs() < 0.01, "{k}: {t:?}");
            assert!((t[1].unwrap() + want).abs() < 0.05, "{k}: {t:?}");
            assert_eq!(t[2], None, "{k}");
        }
    }

    fn feed_split(
        raw: &RawFile,
        specs: &[MeasureSpec],
        cols: &[Column],
        cuts: &[usize],
    ) -> Vec<Option<f64>> {
        let n = cols[0].len();
        let mut mm = Measurer::new(raw, specs).unwrap();
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (n + 1)).collect();
        bounds.push(0);
        bounds.push(n);
        bounds.sort_unstable();
        bounds.dedup();
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1]);
            let columns = cols
                .iter()
                .map(|c| match c {
                    Column::F64(v) => Column::F64(v[a..b].to_vec()),
                    Column::F32(v) => Column::F32(v[a..b].to_vec()),
                    Column::C64(v) => Column::C64(v[a..b].to_vec()),
                    Column::C32(v) => Column::C32(v[a..b].to_vec()),
                })
                .collect();
            let chunk = Chunk {
                start: a as u64,
                len: b - a,
                step: 0,
                columns,
            };
            mm.feed(0, &chunk);
        }
        mm.finish()
    }

    fn bits(v: &[Option<f64>]) -> Vec<Option<u64>> {
        v.iter().map(|x| x.map(f64::to_bits)).collect()
    }

    proptest::proptest! {
        #[test]
        fn random_chunk_splits_change_nothing(
            steps in proptest::collection::vec((0.0f64..2.0, -3.0f64..3.0), 2..60),
            cuts in proptest::collection::vec(0usize..100, 0..12),
            from in -0.5f64..40.0,
            len in 0.0f64..60.0,
            level in -2.0f64..2.0,
            n in 1u32..4,
            at in -1.0f64..80.0,
        ) {
            use MeasureKind::*;
            let mut x = 0.0;
            let mut xs = Vec::new();
            let mut ys = Vec::new();
            for (dx, y) in steps {
                xs.push(x);
                ys.push(y);
                x += dx;
            }
            let raw = mem_raw("Transient Analysis", "time", &xs, &ys);
            let kinds = [
                Min, Max, Pp, Mean, Rms, Final, At { at },
                Cross { level, edge: Edge::Rise, n },
                Cross { level, edge: Edge::Fall, n },
                Cross { level, edge: Edge::Either, n },
            ];
            let mut specs = Vec::new();
            for k in kinds {
                specs.push(m("whole", k.clone(), "v(y)"));
                specs.push(win(m("win", k, "v(y)"), Some(from), Some(from + len)));
            }
            let cols = vec![Column::F64(xs.clone()), Column::F64(ys.clone())];
            let one = feed_split(&raw, &specs, &cols, &[]);
            let split = feed_split(&raw, &specs, &cols, &cuts);
            proptest::prop_assert_eq!(bits(&one), bits(&split));
            // and the file read in chunks of 1 point
            proptest::prop_assert_eq!(bits(&measure_file_with(&raw, &specs, 1).unwrap()), bits(&one));
        }

        #[test]
        fn random_splits_of_the_ac_fixture_change_nothing(
            cuts in proptest::collection::vec(0usize..102, 0..12),
        ) {
            let raw = fixture("ng39_rlc_ac.raw");
            let plot = raw.plot(0).unwrap();
            let cols: Vec<Column> = (0..plot.header().variables.len())
                .map(|j| plot.column_at(j).unwrap())
                .collect();
            let specs: Vec<MeasureSpec> = [MeasureKind::Max, MeasureKind::Mean, MeasureKind::Rms,
                MeasureKind::Cross { level: 0.3, edge: Edge::Either, n: 2 }]
                .into_iter()
                .map(|k| win(m("k", k, "v(out)"), Some(1e3), Some(2e4)))
                .collect();
            let one = feed_split(&raw, &specs, &cols, &[]);
            proptest::prop_assert!(one.iter().filter(|v| v.is_some()).count() >= 3);
            proptest::prop_assert_eq!(bits(&one), bits(&feed_split(&raw, &specs, &cols, &cuts)));
        }
    }
}
