//! Reading spicelab's own HDF5 files back: the plots of a RAW export or of
//! a campaign file as `waveform` headers and columns.
//!
//! The reader trusts nothing in the file: every attribute, dataset type,
//! shape and `n_points` entry is checked before it is used, a read is
//! refused before anything sized by the file is allocated when it would
//! exceed [`MAX_READ_BYTES`], and a file of a newer format version is
//! refused by name ([`Hdf5Error::Version`]).
//!
//! ```
//! use raw_stream::{write_file, RawFile, RawFormat};
//! use store_hdf5::{export_raw, H5Reader, Options};
//! use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let plot = Plot {
//!     header: PlotHeader {
//!         plotname: "Transient Analysis".into(),
//!         flags: Flags::parse("real"),
//!         n_points: 4,
//!         variables: vec![Variable::new(0, "time", "time"), Variable::new(1, "v(out)", "voltage")],
//!         ..PlotHeader::default()
//!     },
//!     columns: vec![
//!         Column::F64(vec![0.0, 1e-6, 2e-6, 3e-6]),
//!         Column::F64(vec![0.0, 0.5, 0.75, 0.875]),
//!     ],
//!     steps: Steps::single(4),
//! };
//! let raw = dir.path().join("rc.raw");
//! write_file(&raw, RawFormat::NgspiceBinary, &[plot.clone()])?;
//! let h5 = dir.path().join("rc.h5");
//! export_raw(&RawFile::open(&raw)?, &h5, &Options::default(), &mut |_| {})?;
//!
//! let r = H5Reader::open(&h5)?;
//! assert_eq!(r.kind(), "raw");
//! assert_eq!(r.plots()[0].group, "tran");
//! assert_eq!(r.plots()[0].header.variables[1].name, "v(out)");
//! assert_eq!(r.read_plot(0)?.columns, plot.columns);
//! assert_eq!(r.read(0, 1, None, 1..3)?, Column::F64(vec![0.5, 0.75]));
//! # Ok(()) }
//! ```

use crate::error::{Hdf5Error, Result};
use crate::h5::{Cx32, Cx64};
use crate::FORMAT_VERSION;
use hdf5::types::{FloatSize, TypeDescriptor, VarLenUnicode};
use hdf5::{Dataset, File, Group, Location};
use std::ops::Range;
use std::path::{Path, PathBuf};
use waveform::{Column, Complex32, Complex64, Flags, Plot, PlotHeader, Steps, ValueType, Variable};

/// The most bytes of values one read ([`H5Reader::read`],
/// [`H5Reader::read_plot`]) decodes: 1 GiB. A larger plot is read a range
/// at a time.
pub const MAX_READ_BYTES: u64 = 1 << 30;

/// One plot group of a spicelab HDF5 file.
#[derive(Debug, Clone, PartialEq)]
pub struct H5Plot {
    /// The group's name (`tran`, `ac_1`, ...).
    pub group: String,
    /// The plot's header: plotname, flags, title, date, command and the
    /// variables in their RAW order (`original_name`, `type_name`).
    /// `n_points` is the points of every row together.
    pub header: PlotHeader,
    /// The stored type of each variable (a complex scale is stored as its
    /// real part).
    pub types: Vec<ValueType>,
    /// `Some` for a 2-D plot (a stepped RAW plot, or a campaign's runs).
    pub rows: Option<Rows>,
    /// The RAW source was cut short (attribute `truncated`).
    pub truncated: bool,
    datasets: Vec<String>,
    two_d: Vec<bool>,
}

/// The rows of a 2-D plot: steps of a stepped RAW plot, or runs of a
/// campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    /// The row dimension: `step` or `run`.
    pub dim: String,
    /// Points of each row (`n_points`; the row width where there is none).
    pub lengths: Vec<usize>,
    /// Step parameters, each with one value per row (RAW exports).
    pub params: Vec<(String, Vec<f64>)>,
}

/// A spicelab HDF5 file opened for reading.
#[derive(Debug)]
pub struct H5Reader {
    path: PathBuf,
    file: File,
    version: i32,
    kind: String,
    plots: Vec<H5Plot>,
}

impl H5Reader {
    /// Opens `path` and reads the layout of every plot group (no values).
    pub fn open(path: &Path) -> Result<H5Reader> {
        let meta = std::fs::metadata(path).map_err(|source| Hdf5Error::Io {
            path: path.to_path_buf(),
            what: "opening",
            source,
        })?;
        if !meta.is_file() {
            return Err(Hdf5Error::Invalid {
                path: path.to_path_buf(),
                message: "is not a regular file".into(),
            });
        }
        let cx = Cx { path };
        let file = cx.h5("opening file", "/", File::open(path))?;
        let version: i32 = match file.attr("spicelab_hdf5_version") {
            Ok(a) => cx.h5(
                "reading attribute",
                "/spicelab_hdf5_version",
                a.read_scalar(),
            )?,
            Err(_) => {
                return Err(cx.format(
                    "/",
                    "no attribute spicelab_hdf5_version: not a spicelab file",
                ))
            }
        };
        if version > FORMAT_VERSION || version < 1 {
            return Err(Hdf5Error::Version {
                path: path.to_path_buf(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let kind = cx.text(&file, "/", "kind")?;
        if kind != "raw" && kind != "campaign" {
            return Err(cx.format("/", format!("kind '{kind}' is neither raw nor campaign")));
        }
        let mut plots = Vec::new();
        let names = cx.h5("listing groups", "/", file.member_names())?;
        for name in names {
            let Ok(g) = file.group(&name) else { continue };
            // A plot group is one with a plotname (a campaign's `measure`
            // group has none).
            if g.attr("plotname").is_err() {
                continue;
            }
            plots.push(cx.plot(&g, &name)?);
        }
        // The order of the RAW file where recorded, else by name.
        plots.sort_by_key(|p| p.header.extra_index());
        Ok(H5Reader {
            path: path.to_path_buf(),
            file,
            version,
            kind,
            plots,
        })
    }

    /// The file's format version (`spicelab_hdf5_version`).
    pub fn version(&self) -> i32 {
        self.version
    }

    /// `raw` (an export of one RAW file) or `campaign`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The plot groups, in the RAW file's order.
    pub fn plots(&self) -> &[H5Plot] {
        &self.plots
    }

    /// The values of variable `var` of plot `plot`, points `range` of row
    /// `row` (a 2-D plot; ignored for a vector shared by every row, such as a
    /// resampled campaign's time).
    pub fn read(
        &self,
        plot: usize,
        var: usize,
        row: Option<usize>,
        range: Range<usize>,
    ) -> Result<Column> {
        let cx = Cx { path: &self.path };
        let p = self
            .plots
            .get(plot)
            .ok_or_else(|| cx.format("/", format!("no plot {plot}")))?;
        let (Some(dname), Some(&t), Some(&two_d)) =
            (p.datasets.get(var), p.types.get(var), p.two_d.get(var))
        else {
            return Err(cx.format(&p.group, format!("no variable {var}")));
        };
        let object = format!("/{}/{dname}", p.group);
        let len = match (&p.rows, two_d) {
            (Some(rows), true) => {
                let r = row.ok_or_else(|| cx.format(&object, "a 2-D variable needs a row"))?;
                *rows
                    .lengths
                    .get(r)
                    .ok_or_else(|| cx.format(&object, format!("no row {r}")))?
            }
            _ => p.header.n_points_of_1d(),
        };
        if range.start > range.end || range.end > len {
            return Err(cx.format(
                &object,
                format!("points {}..{} outside 0..{len}", range.start, range.end),
            ));
        }
        let bytes = (range.end - range.start) as u64 * t.size() as u64;
        if bytes > MAX_READ_BYTES {
            return Err(cx.format(
                &object,
                format!("{bytes} bytes in one read, more than {MAX_READ_BYTES}: read a range"),
            ));
        }
        let ds = cx.h5("opening dataset", &object, self.file.dataset(&object))?;
        let sel_row = if two_d { row } else { None };
        cx.h5("reading", &object, read_typed(&ds, t, sel_row, range))
    }

    /// Every value of plot `plot` as one [`Plot`]: the rows of a 2-D plot
    /// one after another (its steps), each cut to its `n_points`.
    pub fn read_plot(&self, plot: usize) -> Result<Plot> {
        let cx = Cx { path: &self.path };
        let p = self
            .plots
            .get(plot)
            .ok_or_else(|| cx.format("/", format!("no plot {plot}")))?;
        let total = p.header.n_points;
        let point_bytes: u64 = p.types.iter().map(|t| t.size() as u64).sum();
        if total.saturating_mul(point_bytes) > MAX_READ_BYTES {
            return Err(cx.format(
                &p.group,
                format!("{total} points of {point_bytes} bytes: more than {MAX_READ_BYTES} bytes, read by ranges"),
            ));
        }
        let mut columns = Vec::with_capacity(p.types.len());
        let steps = match &p.rows {
            None => {
                for v in 0..p.types.len() {
                    columns.push(self.read(plot, v, None, 0..total as usize)?);
                }
                Steps::single(total)
            }
            Some(rows) => {
                for (v, &two_d) in p.two_d.iter().enumerate() {
                    let mut col = empty(p.types[v]);
                    for (r, &len) in rows.lengths.iter().enumerate() {
                        let part = if two_d {
                            self.read(plot, v, Some(r), 0..len)?
                        } else {
                            self.read(plot, v, None, 0..len)?
                        };
                        append(&mut col, part);
                    }
                    columns.push(col);
                }
                let mut starts = Vec::with_capacity(rows.lengths.len());
                let mut at = 0u64;
                for &l in &rows.lengths {
                    starts.push(at);
                    at += l as u64;
                }
                let params = if rows.params.is_empty() {
                    Vec::new()
                } else {
                    (0..rows.lengths.len())
                        .map(|r| {
                            rows.params
                                .iter()
                                .map(|(n, vals)| {
                                    (n.clone(), vals.get(r).copied().unwrap_or(f64::NAN))
                                })
                                .collect()
                        })
                        .collect()
                };
                Steps {
                    starts,
                    total,
                    params,
                }
            }
        };
        Ok(Plot {
            header: p.header.clone(),
            columns,
            steps,
        })
    }
}

trait HeaderExt {
    fn extra_index(&self) -> (u64, String);
    fn n_points_of_1d(&self) -> usize;
}

impl HeaderExt for PlotHeader {
    /// The sort key of a plot: its recorded index, then its plotname.
    fn extra_index(&self) -> (u64, String) {
        let i = self
            .extra
            .iter()
            .find(|(k, _)| k == PLOT_INDEX)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(u64::MAX);
        (i, self.plotname.clone())
    }

    fn n_points_of_1d(&self) -> usize {
        self.extra
            .iter()
            .find(|(k, _)| k == WIDTH)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
    }
}

/// Keys the reader keeps in `PlotHeader::extra` (not RAW header lines).
const PLOT_INDEX: &str = "spicelab.plot_index";
const WIDTH: &str = "spicelab.width";

fn empty(t: ValueType) -> Column {
    match t {
        ValueType::F64 => Column::F64(Vec::new()),
        ValueType::F32 => Column::F32(Vec::new()),
        ValueType::C64 => Column::C64(Vec::new()),
        ValueType::C32 => Column::C32(Vec::new()),
    }
}

fn append(into: &mut Column, part: Column) {
    match (into, part) {
        (Column::F64(a), Column::F64(b)) => a.extend(b),
        (Column::F32(a), Column::F32(b)) => a.extend(b),
        (Column::C64(a), Column::C64(b)) => a.extend(b),
        (Column::C32(a), Column::C32(b)) => a.extend(b),
        // read() returns the plot's own type for the variable
        _ => {}
    }
}

fn read_typed(
    ds: &Dataset,
    t: ValueType,
    row: Option<usize>,
    range: Range<usize>,
) -> hdf5::Result<Column> {
    fn go<T: hdf5::H5Type>(
        ds: &Dataset,
        row: Option<usize>,
        range: Range<usize>,
    ) -> hdf5::Result<Vec<T>> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let a = match row {
            Some(r) => ds.read_slice_1d::<T, _>((r, range))?,
            None => ds.read_slice_1d::<T, _>(range)?,
        };
        Ok(a.into_raw_vec_and_offset().0)
    }
    Ok(match t {
        ValueType::F64 => Column::F64(go::<f64>(ds, row, range)?),
        ValueType::F32 => Column::F32(go::<f32>(ds, row, range)?),
        ValueType::C64 => Column::C64(
            go::<Cx64>(ds, row, range)?
                .into_iter()
                .map(|z| Complex64 { re: z.r, im: z.i })
                .collect(),
        ),
        ValueType::C32 => Column::C32(
            go::<Cx32>(ds, row, range)?
                .into_iter()
                .map(|z| Complex32 { re: z.r, im: z.i })
                .collect(),
        ),
    })
}

/// The file being read, for errors.
struct Cx<'a> {
    path: &'a Path,
}

impl Cx<'_> {
    fn h5<T>(&self, what: &'static str, object: &str, r: hdf5::Result<T>) -> Result<T> {
        r.map_err(|source| Hdf5Error::Hdf5 {
            path: self.path.to_path_buf(),
            what,
            object: object.to_string(),
            source,
        })
    }

    fn format(&self, object: &str, message: impl Into<String>) -> Hdf5Error {
        Hdf5Error::Format {
            path: self.path.to_path_buf(),
            object: object.to_string(),
            message: message.into(),
        }
    }

    /// A string attribute (variable- or fixed-length UTF-8 or ASCII).
    fn text(&self, loc: &Location, object: &str, name: &str) -> Result<String> {
        let a = loc
            .attr(name)
            .map_err(|_| self.format(object, format!("no attribute {name}")))?;
        match a.read_scalar::<VarLenUnicode>() {
            Ok(s) => Ok(s.as_str().to_string()),
            Err(_) => Err(self.format(object, format!("attribute {name} is not a UTF-8 string"))),
        }
    }

    fn opt_text(&self, loc: &Location, object: &str, name: &str) -> Result<Option<String>> {
        if loc.attr(name).is_err() {
            return Ok(None);
        }
        self.text(loc, object, name).map(Some)
    }

    fn int(&self, loc: &Location, object: &str, name: &str) -> Result<Option<i64>> {
        let Ok(a) = loc.attr(name) else {
            return Ok(None);
        };
        a.read_scalar::<i64>()
            .map(Some)
            .map_err(|_| self.format(object, format!("attribute {name} is not an integer")))
    }

    fn plot(&self, g: &Group, gname: &str) -> Result<H5Plot> {
        let obj = format!("/{gname}");
        let mut header = PlotHeader {
            plotname: self.text(g, &obj, "plotname")?,
            flags: Flags::parse(&self.text(g, &obj, "flags")?),
            title: self.opt_text(g, &obj, "title")?.unwrap_or_default(),
            date: self.opt_text(g, &obj, "date")?.unwrap_or_default(),
            command: self.opt_text(g, &obj, "command")?,
            ..PlotHeader::default()
        };
        if let Some(i) = self.int(g, &obj, "plot_index")? {
            header.extra.push((PLOT_INDEX.into(), i.to_string()));
        }
        let truncated = self.int(g, &obj, "truncated")?.unwrap_or(0) != 0;

        // The vectors: the datasets with an original_name.
        struct Vector {
            name: String,
            index: Option<i64>,
            is_scale: bool,
            var: Variable,
            t: ValueType,
            shape: Vec<usize>,
        }
        let mut vectors = Vec::new();
        let mut params = Vec::new();
        let mut n_points: Option<Vec<i64>> = None;
        let mut step_dim = false;
        let mut coordinates: Option<String> = None;
        let names = self.h5("listing datasets", &obj, g.member_names())?;
        for name in names {
            let Ok(ds) = g.dataset(&name) else { continue };
            let dobj = format!("{obj}/{name}");
            if name == "n_points" {
                let v = self.h5("reading", &dobj, ds.read_raw::<i64>())?;
                n_points = Some(v);
                continue;
            }
            if name == "step" {
                step_dim = true;
                continue;
            }
            if let Some(long) = self.opt_text(&ds, &dobj, "long_name")? {
                if let Some(p) = long.strip_prefix("step parameter ") {
                    let v = self.h5("reading", &dobj, ds.read_raw::<f64>())?;
                    params.push((p.to_string(), v));
                    continue;
                }
            }
            let Some(original) = self.opt_text(&ds, &dobj, "original_name")? else {
                continue;
            };
            let type_name = self.opt_text(&ds, &dobj, "type_name")?.unwrap_or_default();
            if coordinates.is_none() {
                coordinates = self.opt_text(&ds, &dobj, "coordinates")?;
            }
            let t = self.value_type(&ds, &dobj)?;
            let index = self.int(&ds, &dobj, "index")?;
            // A dimension scale (the scale of a 1-D plot, a resampled time).
            let is_scale = ds.attr("CLASS").is_ok();
            vectors.push(Vector {
                name,
                index,
                is_scale,
                var: Variable::new(0, original, type_name),
                t,
                shape: ds.shape(),
            });
        }
        if vectors.is_empty() {
            return Err(self.format(&obj, "no vector (no dataset with original_name)"));
        }
        // RAW order: the recorded index; files without it: the scale first,
        // then by name.
        let scale_attr = self.opt_text(g, &obj, "scale")?;
        vectors.sort_by(|a, b| {
            let ka = (
                a.index.unwrap_or(i64::MAX),
                !(a.is_scale || scale_attr.as_deref() == Some(&a.name)),
                a.name.clone(),
            );
            let kb = (
                b.index.unwrap_or(i64::MAX),
                !(b.is_scale || scale_attr.as_deref() == Some(&b.name)),
                b.name.clone(),
            );
            ka.cmp(&kb)
        });
        let two_d: Vec<bool> = vectors.iter().map(|v| v.shape.len() == 2).collect();
        for v in &vectors {
            if v.shape.is_empty() || v.shape.len() > 2 {
                return Err(self.format(
                    &format!("{obj}/{}", v.name),
                    format!("{} dimensions, not 1 or 2", v.shape.len()),
                ));
            }
        }
        let rows = if let Some(v2) = vectors.iter().find(|v| v.shape.len() == 2) {
            let (n_rows, width) = (v2.shape[0], v2.shape[1]);
            for v in &vectors {
                let ok = match v.shape.as_slice() {
                    [r, w] => *r == n_rows && *w == width,
                    [w] => *w == width,
                    _ => false,
                };
                if !ok {
                    return Err(self.format(
                        &format!("{obj}/{}", v.name),
                        format!("shape {:?} does not match ({n_rows}, {width})", v.shape),
                    ));
                }
            }
            let lengths = match &n_points {
                Some(np) => {
                    if np.len() != n_rows {
                        return Err(self.format(
                            &format!("{obj}/n_points"),
                            format!("{} entries for {n_rows} rows", np.len()),
                        ));
                    }
                    let mut out = Vec::with_capacity(np.len());
                    for &l in np {
                        match usize::try_from(l) {
                            Ok(l) if l <= width => out.push(l),
                            _ => {
                                return Err(self.format(
                                    &format!("{obj}/n_points"),
                                    format!("{l} points in a row of {width}"),
                                ))
                            }
                        }
                    }
                    out
                }
                None => vec![width; n_rows],
            };
            for (p, vals) in &params {
                if vals.len() != n_rows {
                    return Err(self.format(
                        &format!("{obj}/{p}"),
                        format!("{} values for {n_rows} rows", vals.len()),
                    ));
                }
            }
            // The parameters in the order the vectors' `coordinates` list them.
            let coords: Vec<&str> = coordinates.as_deref().unwrap_or("").split(' ').collect();
            let mut params = params;
            params.sort_by_key(|(p, _)| coords.iter().position(|c| c == p).unwrap_or(usize::MAX));
            header.extra.push((WIDTH.into(), width.to_string()));
            Some(Rows {
                dim: if step_dim { "step" } else { "run" }.to_string(),
                lengths,
                params,
            })
        } else {
            let n = vectors[0].shape[0];
            if let Some(v) = vectors.iter().find(|v| v.shape[0] != n) {
                return Err(self.format(
                    &format!("{obj}/{}", v.name),
                    format!("{} points, the plot has {n}", v.shape[0]),
                ));
            }
            header.extra.push((WIDTH.into(), n.to_string()));
            None
        };
        header.n_points = match &rows {
            Some(r) => r.lengths.iter().map(|&l| l as u64).sum(),
            None => vectors[0].shape[0] as u64,
        };
        let mut types = Vec::with_capacity(vectors.len());
        let mut datasets = Vec::with_capacity(vectors.len());
        for (i, v) in vectors.into_iter().enumerate() {
            let mut var = v.var;
            var.index = i;
            header.variables.push(var);
            types.push(v.t);
            datasets.push(v.name);
        }
        Ok(H5Plot {
            group: gname.to_string(),
            header,
            types,
            rows,
            truncated,
            datasets,
            two_d,
        })
    }

    fn value_type(&self, ds: &Dataset, object: &str) -> Result<ValueType> {
        let d = self.h5(
            "reading the type of",
            object,
            ds.dtype().and_then(|t| t.to_descriptor()),
        )?;
        let float = |d: &TypeDescriptor| match d {
            TypeDescriptor::Float(FloatSize::U8) => Some(8),
            TypeDescriptor::Float(FloatSize::U4) => Some(4),
            _ => None,
        };
        let t = match &d {
            TypeDescriptor::Float(FloatSize::U8) => Some(ValueType::F64),
            TypeDescriptor::Float(FloatSize::U4) => Some(ValueType::F32),
            TypeDescriptor::Compound(c) => match c.fields.as_slice() {
                [r, i] if r.name == "r" && i.name == "i" => match (float(&r.ty), float(&i.ty)) {
                    (Some(8), Some(8)) if r.offset == 0 && i.offset == 8 => Some(ValueType::C64),
                    (Some(4), Some(4)) if r.offset == 0 && i.offset == 4 => Some(ValueType::C32),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        t.ok_or_else(|| {
            self.format(
                object,
                format!("values of type {d:?}, not f64, f32 or the complex {{r, i}}"),
            )
        })
    }
}
