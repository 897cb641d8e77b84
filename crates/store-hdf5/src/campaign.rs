//! A whole campaign as HDF5: every run's vectors stacked along `run`.

use crate::error::{Hdf5Error, Result};
use crate::h5::{Ctx, Names, Staged};
use crate::raw::{plot_attrs, points_per_chunk, real_of, real_part, var_attrs};
use crate::{ExportReport, Options, FORMAT_VERSION};
use hdf5::{Dataset, File, Group};
use std::path::Path;
use waveform::{Column, ParamValue, PlotHeader, ValueType};

/// One run (job) of a campaign, as the campaign file describes it.
#[derive(Debug, Clone, Default)]
pub struct CampaignRun {
    /// The job's cache key.
    pub key: String,
    /// How it ended: `ok`, `failed`, `timed_out`, `cancelled`.
    pub status: String,
    /// Its parameters, in the campaign's order.
    pub params: Vec<(String, ParamValue)>,
    /// One value per [`CampaignInfo::measures`] (`None`: not computed).
    pub measures: Vec<Option<f64>>,
    /// One value per [`CampaignInfo::specs`]: passed or not (`None`: not
    /// judged, e.g. a failed job).
    pub spec_pass: Vec<Option<bool>>,
}

/// What the campaign file holds besides the waveforms.
#[derive(Debug, Clone, Default)]
pub struct CampaignInfo {
    /// The campaign's name.
    pub name: String,
    /// The simulator's name (`ngspice`).
    pub simulator: String,
    /// The simulator's version (`39`).
    pub simulator_version: String,
    /// The measure names, in order.
    pub measures: Vec<String>,
    /// The spec names (the measure each spec judges), in order.
    pub specs: Vec<String>,
    /// The runs, in job order.
    pub runs: Vec<CampaignRun>,
    /// Resample every transient plot onto this many evenly spaced points
    /// (`[outputs] resample = { points = N }`); `None`: native points,
    /// stored ragged with an `n_points` index.
    pub resample_points: Option<usize>,
}

/// A plot of one run's result, as its source describes it before the data.
#[derive(Debug, Clone)]
pub struct RunPlot {
    /// The header (variables, plot name).
    pub header: PlotHeader,
    /// The stored type of each variable.
    pub types: Vec<ValueType>,
    /// Number of points.
    pub n_points: u64,
}

/// Receives the blocks of a run: `(plot, first point, one column per variable)`.
pub type BlockSink<'a> = dyn FnMut(usize, u64, &[Column]) -> Result<()> + 'a;

/// Where the campaign's waveforms come from (the result cache, in spicelab).
pub trait RunSource {
    /// The plots of run `run`'s result; `Ok(None)` when it has none (a
    /// failed job, a cache miss).
    fn plots(&mut self, run: usize) -> std::result::Result<Option<Vec<RunPlot>>, String>;

    /// Hands every block of run `run`'s result to `sink` as
    /// `(plot, first point, one column per variable)`, plots in any order,
    /// the points of each plot in order. A sink error comes back as
    /// [`SourceFailure::Sink`], a source error as [`SourceFailure::Source`].
    fn blocks(
        &mut self,
        run: usize,
        sink: &mut BlockSink<'_>,
    ) -> std::result::Result<(), SourceFailure>;
}

/// Why [`RunSource::blocks`] stopped.
#[derive(Debug)]
pub enum SourceFailure {
    /// The sink (the HDF5 writer) failed.
    Sink(Hdf5Error),
    /// The source failed; the message says why.
    Source(String),
}

/// One plot group of the campaign file.
struct PlotOut {
    plotname: String,
    /// Variable names of the group, the scale first when there is one.
    vars: Vec<String>,
    datasets: Vec<Dataset>,
    has_scale: bool,
    resample: Option<Grid>,
}

#[derive(Clone)]
struct Grid {
    t0: f64,
    t1: f64,
    n: usize,
}

impl Grid {
    fn at(&self, j: usize) -> f64 {
        if self.n <= 1 {
            return self.t0;
        }
        self.t0 + (self.t1 - self.t0) * j as f64 / (self.n - 1) as f64
    }
}

fn src_err(path: &Path, run: usize) -> impl Fn(String) -> Hdf5Error + '_ {
    move |message| Hdf5Error::Source {
        path: path.to_path_buf(),
        run,
        message,
    }
}

fn failure(path: &Path, run: usize, f: SourceFailure) -> Hdf5Error {
    match f {
        SourceFailure::Sink(e) => e,
        SourceFailure::Source(m) => src_err(path, run)(m),
    }
}

/// Writes a campaign: per plot group, each vector 2-D `(run, point)`, the
/// run-level variables (parameters, keys, statuses, measures, spec results)
/// along `run` in the root and in every plot group. Written to a temporary
/// name and renamed to `path` when complete.
pub fn write_campaign(
    info: &CampaignInfo,
    source: &mut dyn RunSource,
    path: &Path,
    opts: &Options,
) -> Result<ExportReport> {
    let staged = Staged::new(path)?;
    let (cx, note) = Ctx::new(path, opts);
    if let Some(n) = &note {
        tracing::warn!("{}: {n}", path.display());
    }
    let file = cx.h5("creating file", "/", File::create(staged.temp()))?;
    let mut report = ExportReport {
        compression: cx.compression,
        note,
        stale: staged.stale.clone(),
        ..ExportReport::default()
    };
    let r_count = info.runs.len();
    {
        let root: &Group = &file;
        cx.attr_num(root, "spicelab_hdf5_version", FORMAT_VERSION)?;
        cx.attr(root, "spicelab_version", env!("CARGO_PKG_VERSION"))?;
        cx.attr(root, "kind", "campaign")?;
        cx.attr(root, "campaign", &info.name)?;
        cx.attr(root, "simulator", &info.simulator)?;
        cx.attr(root, "simulator_version", &info.simulator_version)?;
        cx.attr(root, "compression", &cx.compression.to_string())?;
        cx.attr(
            root,
            "grid",
            if info.resample_points.is_some() {
                "resampled"
            } else {
                "native"
            },
        )?;
        let mut root_names = Names::default();
        run_vars(&cx, root, info, &mut root_names, true)?;

        // Shapes: the plots of every run (footers only).
        let mut metas: Vec<Option<Vec<RunPlot>>> = Vec::with_capacity(r_count);
        for r in 0..r_count {
            metas.push(source.plots(r).map_err(src_err(path, r))?);
        }
        let Some(template) = metas.iter().flatten().next().cloned() else {
            cx.attr(root, "note", "no run has a result: no plot group")?;
            drop(metas);
            cx.h5("closing file", "/", file.close())?;
            staged.commit()?;
            return Ok(report);
        };

        // Resampled grids need each transient plot's common time span.
        let mut spans: Vec<Option<(f64, f64)>> = vec![None; template.len()];
        let resample = |p: &RunPlot| {
            info.resample_points.is_some() && p.header.analysis() == "tran" && p.header.has_scale()
        };
        if template.iter().any(resample) {
            for (r, m) in metas.iter().enumerate() {
                let Some(m) = m else { continue };
                let mut first: Vec<Option<f64>> = vec![None; m.len()];
                let mut last: Vec<Option<f64>> = vec![None; m.len()];
                source
                    .blocks(r, &mut |p, _start, cols| {
                        if let Some(c) = cols.first() {
                            if first.get(p).is_some_and(|f| f.is_none()) {
                                first[p] = c.get_f64(0);
                            }
                            if let (Some(l), Some(v)) =
                                (last.get_mut(p), c.get_f64(c.len().saturating_sub(1)))
                            {
                                *l = Some(v);
                            }
                        }
                        Ok(())
                    })
                    .map_err(|f| failure(path, r, f))?;
                for (p, span) in spans.iter_mut().enumerate() {
                    if let (Some(Some(a)), Some(Some(b))) = (first.get(p), last.get(p)) {
                        *span = Some(match *span {
                            None => (*a, *b),
                            Some((x, y)) => (x.max(*a), y.min(*b)),
                        });
                    }
                }
            }
        }

        let mut groups = Names::default();
        for name in root_names_list(info) {
            groups.reserve(&name);
        }
        groups.reserve("measure");
        let mut outs = Vec::with_capacity(template.len());
        for (pi, tp) in template.iter().enumerate() {
            let gname = groups.take(tp.header.analysis());
            let g = cx.group(root, &gname)?;
            plot_attrs(&cx, &g, &tp.header)?;
            cx.attr_num(&g, "plot_index", pi as i64)?;
            let mut names = Names::default();
            run_vars(&cx, &g, info, &mut names, false)?;
            let run_ds = cx.h5("opening", &format!("/{gname}/run"), g.dataset("run"))?;
            let has_scale = tp.header.has_scale();
            let width = metas
                .iter()
                .flatten()
                .filter_map(|m| m.get(pi))
                .filter(|p| p.header.plotname == tp.header.plotname)
                .map(|p| p.n_points)
                .max()
                .unwrap_or(0) as usize;
            let point_bytes: usize = tp.types.iter().map(|t| t.size()).sum();
            let per = points_per_chunk(opts, point_bytes);
            let grid = match (resample(tp), spans[pi], info.resample_points) {
                (true, Some((t0, t1)), Some(n)) if t1 > t0 => Some(Grid { t0, t1, n }),
                _ => None,
            };
            let mut datasets = Vec::new();
            let mut vars = Vec::new();
            if let Some(grid) = &grid {
                cx.attr(&g, "grid", "resampled")?;
                let sname = names.take(&tp.header.variables[0].name);
                let t: Vec<f64> = (0..grid.n).map(|j| grid.at(j)).collect();
                let s = cx.small(&g, &sname, &t)?;
                var_attrs(&cx, &s, &tp.header.variables[0])?;
                cx.set_scale(&s, &sname)?;
                cx.attr(
                    &s,
                    "grid",
                    "resampled: evenly spaced over the span every run covers, linear interpolation",
                )?;
                datasets.push(s.clone());
                vars.push(tp.header.variables[0].name.clone());
                for v in &tp.header.variables[1..] {
                    let name = names.take(&v.name);
                    let t = match tp.types[v.index] {
                        ValueType::C32 | ValueType::C64 => ValueType::C64,
                        _ => ValueType::F64,
                    };
                    let d = cx.typed(&g, &name, t, &[r_count, grid.n], &[1, per])?;
                    var_attrs(&cx, &d, v)?;
                    cx.attach(&d, &[&run_ds, &s])?;
                    datasets.push(d);
                    vars.push(v.name.clone());
                }
            } else {
                cx.attr(&g, "grid", "native")?;
                names.reserve("point");
                names.reserve("n_points");
                let idx: Vec<i64> = (0..width as i64).collect();
                let point = cx.small(&g, "point", &idx)?;
                cx.set_scale(&point, "point")?;
                let np: Vec<i64> = metas
                    .iter()
                    .map(|m| {
                        m.as_ref()
                            .and_then(|m| m.get(pi))
                            .filter(|p| p.header.plotname == tp.header.plotname)
                            .map(|p| p.n_points as i64)
                            .unwrap_or(0)
                    })
                    .collect();
                let npd = cx.small(&g, "n_points", &np)?;
                cx.attach(&npd, &[&run_ds])?;
                cx.attr(
                    &npd,
                    "long_name",
                    "points of each run (the rest of a row is NaN)",
                )?;
                let mut coords = Vec::new();
                for v in &tp.header.variables {
                    let name = names.take(&v.name);
                    let t = if v.index == 0 && has_scale {
                        real_of(tp.types[0])
                    } else {
                        tp.types[v.index]
                    };
                    let d = cx.typed(&g, &name, t, &[r_count, width], &[1, per])?;
                    var_attrs(&cx, &d, v)?;
                    cx.attach(&d, &[&run_ds, &point])?;
                    if v.index == 0 && has_scale {
                        coords.push(name);
                        cx.attr(&g, "scale", &coords[0])?;
                    } else if !coords.is_empty() {
                        cx.attr(&d, "coordinates", &format!("{} n_points", coords[0]))?;
                    }
                    datasets.push(d);
                    vars.push(v.name.clone());
                }
            }
            report.plots.push(gname);
            outs.push(PlotOut {
                plotname: tp.header.plotname.clone(),
                vars,
                datasets,
                has_scale,
                resample: grid,
            });
        }

        // The data, run by run, block by block.
        for (r, m) in metas.iter().enumerate() {
            let Some(m) = m else { continue };
            // For each plot of the run: which group dataset each column goes to.
            let maps: Vec<Option<Vec<Option<usize>>>> = m
                .iter()
                .enumerate()
                .map(|(pi, p)| {
                    let out = outs.get(pi).filter(|o| o.plotname == p.header.plotname)?;
                    Some(
                        p.header
                            .variables
                            .iter()
                            .map(|v| {
                                if out.vars.get(v.index) == Some(&v.name) {
                                    Some(v.index)
                                } else {
                                    out.vars.iter().position(|n| n == &v.name)
                                }
                            })
                            .collect(),
                    )
                })
                .collect();
            let mut interp: Vec<Option<Interp>> = outs
                .iter()
                .map(|o| o.resample.clone().map(|g| Interp::new(g, o.vars.len())))
                .collect();
            source
                .blocks(r, &mut |pi, start, cols| {
                    let (Some(Some(map)), Some(out)) = (maps.get(pi), outs.get(pi)) else {
                        return Ok(());
                    };
                    let n = cols.first().map(Column::len).unwrap_or(0);
                    if let Some(Some(ip)) = interp.get_mut(pi) {
                        return ip.push(&cx, out, map, r, cols);
                    }
                    for (j, c) in cols.iter().enumerate() {
                        let Some(Some(k)) = map.get(j) else { continue };
                        let Some(d) = out.datasets.get(*k) else {
                            continue;
                        };
                        if c.len() != n {
                            continue;
                        }
                        if *k == 0 && out.has_scale {
                            cx.write_col(d, &real_part(c), 0..n, Some(r), start as usize)?;
                        } else {
                            cx.write_col(d, c, 0..n, Some(r), start as usize)?;
                        }
                    }
                    Ok(())
                })
                .map_err(|f| failure(path, r, f))?;
            for (pi, ip) in interp.iter_mut().enumerate() {
                if let (Some(ip), Some(out)) = (ip, outs.get(pi)) {
                    ip.finish(&cx, out, r)?;
                }
            }
            report.points += m.iter().map(|p| p.n_points).sum::<u64>();
        }
        drop(outs);
    }
    cx.h5("closing file", "/", file.close())?;
    staged.commit()?;
    Ok(report)
}

fn root_names_list(info: &CampaignInfo) -> Vec<String> {
    let mut v = vec![
        "run".to_string(),
        "job_key".into(),
        "status".into(),
        "pass".into(),
    ];
    if let Some(r) = info.runs.first() {
        v.extend(r.params.iter().map(|(k, _)| k.clone()));
    }
    v
}

/// `run`, the parameters, `job_key`, `status` in `g`; in the root also the
/// `measure` group (measures and spec results) and `pass`.
fn run_vars(cx: &Ctx, g: &Group, info: &CampaignInfo, names: &mut Names, root: bool) -> Result<()> {
    let r_count = info.runs.len();
    for fixed in ["run", "job_key", "status"] {
        names.reserve(fixed);
    }
    let idx: Vec<i64> = (0..r_count as i64).collect();
    let run = cx.small(g, "run", &idx)?;
    cx.set_scale(&run, "run")?;
    cx.attr(&run, "long_name", "job index in the campaign")?;
    let mut coords = Vec::new();
    let keys: Vec<String> = info.runs.iter().map(|r| r.key.clone()).collect();
    let k = cx.strings(g, "job_key", &keys)?;
    cx.attach(&k, &[&run])?;
    let st: Vec<String> = info.runs.iter().map(|r| r.status.clone()).collect();
    let s = cx.strings(g, "status", &st)?;
    cx.attach(&s, &[&run])?;
    coords.push("job_key".to_string());
    coords.push("status".to_string());
    // Parameters: the union of names in first-seen order.
    let mut pnames: Vec<String> = Vec::new();
    for r in &info.runs {
        for (n, _) in &r.params {
            if !pnames.contains(n) {
                pnames.push(n.clone());
            }
        }
    }
    for pname in &pnames {
        let vals: Vec<Option<&ParamValue>> = info
            .runs
            .iter()
            .map(|r| r.params.iter().find(|(n, _)| n == pname).map(|(_, v)| v))
            .collect();
        let numeric = vals.iter().all(|v| v.is_none_or(|v| v.as_f64().is_some()));
        let name = names.take(pname);
        let d = if numeric {
            let x: Vec<f64> = vals
                .iter()
                .map(|v| v.and_then(ParamValue::as_f64).unwrap_or(f64::NAN))
                .collect();
            cx.small(g, &name, &x)?
        } else {
            let x: Vec<String> = vals
                .iter()
                .map(|v| v.map(|v| v.to_string()).unwrap_or_default())
                .collect();
            cx.strings(g, &name, &x)?
        };
        cx.attach(&d, &[&run])?;
        cx.attr(&d, "long_name", &format!("campaign parameter {pname}"))?;
        coords.push(name);
    }
    if root {
        names.reserve("pass");
        if !info.specs.is_empty() {
            let pass: Vec<i8> = info
                .runs
                .iter()
                .map(|r| {
                    if r.spec_pass.iter().all(|p| *p == Some(true))
                        && r.spec_pass.len() == info.specs.len()
                    {
                        1
                    } else if r.spec_pass.iter().any(|p| p.is_none())
                        || r.spec_pass.len() != info.specs.len()
                    {
                        -1
                    } else {
                        0
                    }
                })
                .collect();
            let d = cx.small(g, "pass", &pass)?;
            cx.attach(&d, &[&run])?;
            cx.attr(
                &d,
                "long_name",
                "every spec passed: 1 yes, 0 no, -1 not judged",
            )?;
        }
        if !info.measures.is_empty() || !info.specs.is_empty() {
            let mg = cx.group(g, "measure")?;
            let mrun = cx.small(&mg, "run", &idx)?;
            cx.set_scale(&mrun, "run")?;
            let mut mn = Names::default();
            mn.reserve("run");
            for (i, m) in info.measures.iter().enumerate() {
                let x: Vec<f64> = info
                    .runs
                    .iter()
                    .map(|r| r.measures.get(i).copied().flatten().unwrap_or(f64::NAN))
                    .collect();
                let name = mn.take(m);
                let d = cx.small(&mg, &name, &x)?;
                cx.attach(&d, &[&mrun])?;
                cx.attr(&d, "long_name", &format!("measure {m}"))?;
            }
            for (i, s) in info.specs.iter().enumerate() {
                let x: Vec<i8> = info
                    .runs
                    .iter()
                    .map(|r| match r.spec_pass.get(i).copied().flatten() {
                        Some(true) => 1,
                        Some(false) => 0,
                        None => -1,
                    })
                    .collect();
                let name = mn.take(&format!("{s}_pass"));
                let d = cx.small(&mg, &name, &x)?;
                cx.attach(&d, &[&mrun])?;
                cx.attr(
                    &d,
                    "long_name",
                    &format!("spec on {s}: 1 pass, 0 fail, -1 not judged"),
                )?;
            }
        }
    }
    let line = coords.join(" ");
    cx.attr(g, "coordinates", &line)?;
    Ok(())
}

/// Streaming linear interpolation of one run's plot onto a grid.
struct Interp {
    grid: Grid,
    /// Next grid point to produce.
    next: usize,
    /// The previous point: scale, then each variable's (re, im).
    prev: Option<(f64, Vec<(f64, f64)>)>,
    /// Output buffers per variable (index 0, the scale, unused).
    buf: Vec<Vec<(f64, f64)>>,
    /// Grid index of `buf[..][0]`.
    buf_start: usize,
}

impl Interp {
    fn new(grid: Grid, nvars: usize) -> Interp {
        Interp {
            grid,
            next: 0,
            prev: None,
            buf: vec![Vec::new(); nvars],
            buf_start: 0,
        }
    }

    fn push(
        &mut self,
        cx: &Ctx,
        out: &PlotOut,
        map: &[Option<usize>],
        r: usize,
        cols: &[Column],
    ) -> Result<()> {
        let n = cols.first().map(Column::len).unwrap_or(0);
        let nv = out.vars.len();
        let mut cur = vec![(f64::NAN, f64::NAN); nv];
        for i in 0..n {
            let Some(t) = cols[0].get_f64(i) else {
                continue;
            };
            for (j, c) in cols.iter().enumerate() {
                if let Some(Some(k)) = map.get(j) {
                    if let Some(z) = c.get_complex(i) {
                        cur[*k] = (z.re, z.im);
                    }
                }
            }
            while self.next < self.grid.n {
                let g = self.grid.at(self.next);
                if g > t {
                    break;
                }
                let vals: Vec<(f64, f64)> = match &self.prev {
                    Some((tp, pv)) if g > *tp && t > *tp => {
                        let w = (g - tp) / (t - tp);
                        pv.iter()
                            .zip(&cur)
                            .map(|(a, b)| (a.0 + (b.0 - a.0) * w, a.1 + (b.1 - a.1) * w))
                            .collect()
                    }
                    _ => cur.clone(),
                };
                for (k, v) in vals.into_iter().enumerate() {
                    self.buf[k].push(v);
                }
                self.next += 1;
            }
            self.prev = Some((t, cur.clone()));
        }
        if self.buf.get(1).map(Vec::len).unwrap_or(0) >= 1 << 14 {
            self.flush(cx, out, r)?;
        }
        Ok(())
    }

    fn flush(&mut self, cx: &Ctx, out: &PlotOut, r: usize) -> Result<()> {
        let mut len = 0;
        for (k, b) in self.buf.iter_mut().enumerate().skip(1) {
            len = b.len();
            let Some(d) = out.datasets.get(k) else {
                continue;
            };
            let complex = d.dtype().map(|t| t.size() == 16).unwrap_or(false);
            let col = if complex {
                Column::C64(
                    b.iter()
                        .map(|&(re, im)| waveform::Complex64 { re, im })
                        .collect(),
                )
            } else {
                Column::F64(b.iter().map(|&(re, _)| re).collect())
            };
            cx.write_col(d, &col, 0..b.len(), Some(r), self.buf_start)?;
            b.clear();
        }
        self.buf_start += len;
        Ok(())
    }

    fn finish(&mut self, cx: &Ctx, out: &PlotOut, r: usize) -> Result<()> {
        // Grid points past the last sample (rounding at the end) take the last value.
        if let Some((_, last)) = self.prev.clone() {
            while self.next < self.grid.n {
                for (k, v) in last.iter().enumerate() {
                    self.buf[k].push(*v);
                }
                self.next += 1;
            }
        }
        self.flush(cx, out, r)
    }
}
