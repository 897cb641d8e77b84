//! One RAW file as HDF5: a group per plot, a dataset per vector.

use crate::direct::ChunkWriter;
use crate::error::{Hdf5Error, Result};
use crate::h5::{Ctx, Names, Staged};
use crate::{ExportReport, Options, FORMAT_VERSION};
use hdf5::{Dataset, File, Group};
use raw_stream::{Chunk, ChunkOptions, PlotRef, RawFile};
use std::path::Path;
use waveform::{Column, PlotHeader, Steps, ValueType};

/// Writes every plot of `raw` to the HDF5 file `path` (layout in
/// `docs/hdf5.md`), streaming: memory stays bounded by
/// [`Options::chunk_points`] points of every vector, whatever the file's size.
///
/// The file is written under a temporary name in the same directory and
/// renamed to `path` when complete, so `path` never holds half a file.
/// `progress` is called with the bytes of RAW data done so far.
pub fn export_raw(
    raw: &RawFile,
    path: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(u64),
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
    {
        let root: &Group = &file;
        cx.attr_num(root, "spicelab_hdf5_version", FORMAT_VERSION)?;
        cx.attr(root, "spicelab_version", env!("CARGO_PKG_VERSION"))?;
        cx.attr(root, "kind", "raw")?;
        cx.attr(root, "source", &raw.path().display().to_string())?;
        cx.attr(root, "dialect", raw.dialect().name())?;
        cx.attr(root, "compression", &cx.compression.to_string())?;
        if let Some(p) = raw.plots().first() {
            cx.attr(root, "title", &p.header.title)?;
            cx.attr(root, "date", &p.header.date)?;
        }
        let mut groups = Names::default();
        let mut done = 0u64;
        for i in 0..raw.plots().len() {
            let plot = raw.plot(i).map_err(|source| Hdf5Error::Raw {
                path: path.to_path_buf(),
                source,
            })?;
            let gname = groups.take(plot.header().analysis());
            let points = write_plot(&cx, root, &gname, &plot, &mut |b| progress(done + b))?;
            let g = cx.h5("opening", &format!("/{gname}"), root.group(&gname))?;
            cx.attr_num(&g, "plot_index", i as i64)?;
            done += plot.info().data_end - plot.info().data_offset;
            report.plots.push(gname);
            report.points += points;
        }
        report.bytes_in = done;
    }
    cx.h5("closing file", "/", file.close())?;
    staged.commit()?;
    Ok(report)
}

/// Group attributes every plot gets.
pub(crate) fn plot_attrs(cx: &Ctx, g: &Group, h: &PlotHeader) -> Result<()> {
    cx.attr(g, "plotname", &h.plotname)?;
    cx.attr(g, "flags", &h.flags.to_line())?;
    cx.attr(g, "title", &h.title)?;
    cx.attr(g, "date", &h.date)?;
    if let Some(c) = &h.command {
        cx.attr(g, "command", c)?;
    }
    Ok(())
}

/// Vector attributes: units, kind, original name, type word.
pub(crate) fn var_attrs(cx: &Ctx, ds: &Dataset, v: &waveform::Variable) -> Result<()> {
    cx.attr(ds, "units", v.unit())?;
    cx.attr(ds, "kind", v.kind.name())?;
    cx.attr(ds, "original_name", &v.name)?;
    cx.attr(ds, "type_name", &v.type_name)?;
    cx.attr_num(ds, "index", v.index as i64)?;
    Ok(())
}

/// The stored type of a scale: always real (ngspice's complex frequency has
/// a zero imaginary part).
pub(crate) fn real_of(t: ValueType) -> ValueType {
    match t {
        ValueType::C64 => ValueType::F64,
        ValueType::C32 => ValueType::F32,
        t => t,
    }
}

/// The real part of a column (a real column as it is).
pub(crate) fn real_part(c: &Column) -> std::borrow::Cow<'_, Column> {
    match c {
        Column::C64(v) => std::borrow::Cow::Owned(Column::F64(v.iter().map(|z| z.re).collect())),
        Column::C32(v) => std::borrow::Cow::Owned(Column::F32(v.iter().map(|z| z.re).collect())),
        c => std::borrow::Cow::Borrowed(c),
    }
}

/// Points per chunk: `opts.chunk_points`, fewer when the plot has many vectors
/// (about 32 MiB of decoded values at most).
pub(crate) fn points_per_chunk(opts: &Options, point_bytes: usize) -> usize {
    let budget = 32usize << 20;
    let most = (budget / point_bytes.max(1)).max(1024);
    opts.chunk_points.clamp(1, most)
}

fn write_plot(
    cx: &Ctx,
    root: &Group,
    gname: &str,
    plot: &PlotRef,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    let info = plot.info();
    let h = &info.header;
    let raw_err = |source| Hdf5Error::Raw {
        path: cx.path.to_path_buf(),
        source,
    };
    let g = cx.group(root, gname)?;
    plot_attrs(cx, &g, h)?;
    cx.attr_num(&g, "truncated", u8::from(info.truncated))?;
    let steps: Steps = (*plot.steps().map_err(raw_err)?).clone();
    let n = info.complete_points as usize;
    let nvars = h.variables.len();
    if nvars == 0 {
        return Ok(0);
    }
    let has_scale = h.has_scale();
    let stepped = steps.count() > 1;
    let point_bytes: usize = info.types.iter().map(|t| t.size()).sum();
    let per = points_per_chunk(cx.opts, point_bytes);
    let mut names = Names::default();

    // Dimensions and the scale.
    let (datasets, row_of, lens): (Vec<Dataset>, Option<Vec<u64>>, Vec<u64>) = if !stepped {
        cx.attr(&g, "layout", "1-D")?;
        let mut ds = Vec::with_capacity(nvars);
        let dim = if has_scale {
            let name = names.take(&h.variables[0].name);
            let s = cx.typed(&g, &name, real_of(info.types[0]), &[n], &[per])?;
            var_attrs(cx, &s, &h.variables[0])?;
            cx.set_scale(&s, &name)?;
            s
        } else {
            names.reserve("point");
            let idx: Vec<i64> = (0..n as i64).collect();
            let s = cx.small(&g, "point", &idx)?;
            cx.set_scale(&s, "point")?;
            s
        };
        let first = if has_scale { 1 } else { 0 };
        if has_scale {
            ds.push(dim.clone());
        }
        for v in &h.variables[first..] {
            let name = names.take(&v.name);
            let d = cx.typed(&g, &name, info.types[v.index], &[n], &[per])?;
            var_attrs(cx, &d, v)?;
            cx.attach(&d, &[&dim])?;
            ds.push(d);
        }
        (ds, None, vec![n as u64])
    } else {
        let lens = steps.lengths();
        let s_count = steps.count();
        let width = lens.iter().copied().max().unwrap_or(0) as usize;
        let ragged = lens.iter().any(|&l| l as usize != width);
        cx.attr(
            &g,
            "layout",
            if ragged { "stepped-ragged" } else { "stepped" },
        )?;
        for fixed in ["step", "point", "n_points"] {
            names.reserve(fixed);
        }
        let step_idx: Vec<i64> = (0..s_count as i64).collect();
        let step_ds = cx.small(&g, "step", &step_idx)?;
        cx.set_scale(&step_ds, "step")?;
        let point_idx: Vec<i64> = (0..width as i64).collect();
        let point_ds = cx.small(&g, "point", &point_idx)?;
        cx.set_scale(&point_ds, "point")?;
        let np: Vec<i64> = lens.iter().map(|&l| l as i64).collect();
        let np_ds = cx.small(&g, "n_points", &np)?;
        cx.attach(&np_ds, &[&step_ds])?;
        cx.attr(
            &np_ds,
            "long_name",
            "points of each step (the rest of a row is NaN)",
        )?;
        let mut coords = vec!["n_points".to_string()];
        // Step parameters as coordinates along `step`.
        if let Some(first) = steps.params.first() {
            for (pi, (pname, _)) in first.iter().enumerate() {
                let vals: Vec<f64> = steps
                    .params
                    .iter()
                    .map(|p| p.get(pi).map(|(_, v)| *v).unwrap_or(f64::NAN))
                    .collect();
                if vals.len() != s_count {
                    continue;
                }
                let name = names.take(pname);
                let d = cx.small(&g, &name, &vals)?;
                cx.attach(&d, &[&step_ds])?;
                cx.attr(&d, "long_name", &format!("step parameter {pname}"))?;
                coords.push(name);
            }
        }
        let mut ds = Vec::with_capacity(nvars);
        let chunk = [1, per];
        let mut scale_name = None;
        for v in &h.variables {
            let name = names.take(&v.name);
            let t = if v.index == 0 && has_scale {
                real_of(info.types[0])
            } else {
                info.types[v.index]
            };
            let d = cx.typed(&g, &name, t, &[s_count, width], &chunk)?;
            var_attrs(cx, &d, v)?;
            cx.attach(&d, &[&step_ds, &point_ds])?;
            if v.index == 0 && has_scale {
                scale_name = Some(name);
            }
            ds.push(d);
        }
        if let Some(s) = &scale_name {
            coords.insert(0, s.clone());
            cx.attr(&g, "scale", s)?;
        }
        let coord_line = coords.join(" ");
        for (k, d) in ds.iter().enumerate() {
            if !(k == 0 && has_scale) {
                cx.attr(d, "coordinates", &coord_line)?;
            }
        }
        (ds, Some(steps.starts.clone()), lens)
    };
    let _ = lens;

    // The data, a chunk at a time.
    let mut it = plot
        .chunks_with(&ChunkOptions {
            points: per,
            vars: None,
            range: None,
            split_steps: stepped,
        })
        .map_err(raw_err)?;
    let mut chunk = Chunk::default();
    let per_point = (info.data_end - info.data_offset) / info.complete_points.max(1);
    let mut points = 0u64;
    // Deflated chunks are compressed here on every core and written whole
    // (src/direct.rs); other compressions go through the library.
    let types: Vec<ValueType> = (0..datasets.len())
        .map(|j| {
            if j == 0 && has_scale {
                real_of(info.types[0])
            } else {
                info.types[j]
            }
        })
        .collect();
    let mut direct = ChunkWriter::new(cx, &datasets, &types);
    tracing::debug!(
        "{}/{gname}: chunks written {}",
        cx.path.display(),
        if direct.is_some() {
            "directly, compressed on the rayon pool"
        } else {
            "through the HDF5 filter pipeline"
        }
    );
    while it.fill(&mut chunk).map_err(raw_err)? {
        let (row, dst) = match &row_of {
            Some(starts) => {
                let k = chunk.step;
                let s0 = starts.get(k).copied().unwrap_or(0);
                (Some(k), (chunk.start - s0) as usize)
            }
            None => (None, chunk.start as usize),
        };
        for (j, d) in datasets.iter().enumerate() {
            let col = if j == 0 && has_scale {
                real_part(&chunk.columns[j])
            } else {
                std::borrow::Cow::Borrowed(&chunk.columns[j])
            };
            match &mut direct {
                Some(w) => w.put(j, &col, chunk.len, row, dst)?,
                None => cx.write_col(d, &col, 0..chunk.len, row, dst)?,
            }
        }
        points += chunk.len as u64;
        progress((chunk.start + chunk.len as u64) * per_point);
    }
    if let Some(w) = direct {
        w.finish()?;
    }
    Ok(points)
}
