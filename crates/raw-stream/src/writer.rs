//! The RAW writer: ngspice binary and ASCII, LTspice binary (normal,
//! `fastaccess`, `stepped`, UTF-16LE header). Every file it writes reads back
//! with the same values, bit for bit.

use crate::error::RawError;
use std::io::{self, Write};
use std::path::Path;
use waveform::{Column, Complex64, Plot, PlotHeader, ValueType};

/// The layouts the writer produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    /// ngspice `-r` binary: 8-bit header, every value f64 (complex: two f64).
    NgspiceBinary,
    /// ngspice ASCII (`Values:`), values printed with the shortest exact text.
    NgspiceAscii,
    /// LTspice binary: UTF-16LE header, point-major, scale f64, others f32
    /// (all f64 with the `double` flag when any column needs it).
    LtspiceBinary,
    /// LTspice binary with the `fastaccess` flag: variable-major.
    LtspiceFastAccess,
}

impl RawFormat {
    /// Parses `ngspice`, `ngspice-ascii`, `ltspice`, `ltspice-fastaccess`.
    pub fn from_name(s: &str) -> Option<RawFormat> {
        match s {
            "ngspice" | "ngspice-binary" => Some(RawFormat::NgspiceBinary),
            "ngspice-ascii" => Some(RawFormat::NgspiceAscii),
            "ltspice" | "ltspice-binary" => Some(RawFormat::LtspiceBinary),
            "ltspice-fastaccess" => Some(RawFormat::LtspiceFastAccess),
            _ => None,
        }
    }

    fn is_ltspice(self) -> bool {
        matches!(
            self,
            RawFormat::LtspiceBinary | RawFormat::LtspiceFastAccess
        )
    }
}

/// The stored type of each variable when `header`'s plot is written in `format`,
/// given the types of the columns to write.
pub fn stored_types(
    format: RawFormat,
    header: &PlotHeader,
    columns: &[ValueType],
) -> Vec<ValueType> {
    let complex = header.flags.complex || columns.iter().any(|t| t.is_complex());
    if complex {
        return vec![ValueType::C64; columns.len()];
    }
    if format.is_ltspice() {
        let double = header.flags.double || columns.iter().skip(1).any(|&t| t != ValueType::F32);
        return columns
            .iter()
            .enumerate()
            .map(|(i, _)| {
                if i == 0 || double {
                    ValueType::F64
                } else {
                    ValueType::F32
                }
            })
            .collect();
    }
    vec![ValueType::F64; columns.len()]
}

fn header_text(format: RawFormat, h: &PlotHeader, stored: &[ValueType], n_points: u64) -> String {
    let complex = stored.iter().any(|t| t.is_complex());
    let mut flags = vec![if complex { "complex" } else { "real" }];
    if format.is_ltspice()
        && !complex
        && stored.iter().all(|&t| t == ValueType::F64)
        && stored.len() > 1
    {
        flags.push("double");
    }
    if h.flags.forward {
        flags.push("forward");
    }
    if h.flags.log {
        flags.push("log");
    }
    if h.flags.stepped {
        flags.push("stepped");
    }
    if format == RawFormat::LtspiceFastAccess {
        flags.push("fastaccess");
    }
    let mut s = String::new();
    s.push_str(&format!("Title: {}\n", h.title));
    s.push_str(&format!("Date: {}\n", h.date));
    s.push_str(&format!("Plotname: {}\n", h.plotname));
    s.push_str(&format!("Flags: {}\n", flags.join(" ")));
    s.push_str(&format!("No. Variables: {}\n", h.variables.len()));
    s.push_str(&format!("No. Points: {n_points}\n"));
    if format.is_ltspice() {
        s.push_str("Offset:    0.0000000000000000e+00\n");
        s.push_str("Command: LTspice-compatible RAW written by spicelab\n");
    }
    s.push_str("Variables:\n");
    for (i, v) in h.variables.iter().enumerate() {
        s.push_str(&format!("\t{i}\t{}\t{}", v.name, v.type_name));
        for e in &v.extra {
            s.push('\t');
            s.push_str(e);
        }
        s.push('\n');
    }
    s.push_str(if format == RawFormat::NgspiceAscii {
        "Values:\n"
    } else {
        "Binary:\n"
    });
    s
}

/// Writes one plot point by point, for files too big to hold in memory.
/// Point-major formats only (not `fastaccess`).
#[derive(Debug)]
pub struct PlotWriter<W: Write> {
    w: W,
    format: RawFormat,
    stored: Vec<ValueType>,
    declared: u64,
    written: u64,
    line: String,
}

impl<W: Write> PlotWriter<W> {
    /// Writes the header of a plot of `n_points` points whose columns have
    /// the types `columns`, and returns the writer for its points.
    pub fn begin(
        mut w: W,
        format: RawFormat,
        header: &PlotHeader,
        columns: &[ValueType],
        n_points: u64,
    ) -> io::Result<PlotWriter<W>> {
        if format == RawFormat::LtspiceFastAccess {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "fastaccess is variable-major: write it with write_plot",
            ));
        }
        if columns.len() != header.variables.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "one column type per variable is needed",
            ));
        }
        let stored = stored_types(format, header, columns);
        write_text(
            &mut w,
            format,
            &header_text(format, header, &stored, n_points),
        )?;
        Ok(PlotWriter {
            w,
            format,
            stored,
            declared: n_points,
            written: 0,
            line: String::new(),
        })
    }

    /// Writes one point of a real plot (one value per variable).
    pub fn write_point(&mut self, values: &[f64]) -> io::Result<()> {
        self.check(values.len())?;
        if self.format == RawFormat::NgspiceAscii {
            self.line.clear();
            for (j, v) in values.iter().enumerate() {
                if j == 0 {
                    self.line
                        .push_str(&format!("{}\t{}\n", self.written, Fmt(*v)));
                } else {
                    self.line.push_str(&format!("\t{}\n", Fmt(*v)));
                }
            }
            self.w.write_all(self.line.as_bytes())?;
        } else {
            for (&v, &t) in values.iter().zip(&self.stored) {
                match t {
                    ValueType::F64 => self.w.write_all(&v.to_le_bytes())?,
                    ValueType::F32 => self.w.write_all(&(v as f32).to_le_bytes())?,
                    ValueType::C64 => {
                        self.w.write_all(&v.to_le_bytes())?;
                        self.w.write_all(&0f64.to_le_bytes())?;
                    }
                    ValueType::C32 => {
                        self.w.write_all(&(v as f32).to_le_bytes())?;
                        self.w.write_all(&0f32.to_le_bytes())?;
                    }
                }
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Writes one point of a complex plot.
    pub fn write_point_complex(&mut self, values: &[Complex64]) -> io::Result<()> {
        self.check(values.len())?;
        if self.format == RawFormat::NgspiceAscii {
            self.line.clear();
            for (j, v) in values.iter().enumerate() {
                if j == 0 {
                    self.line.push_str(&format!("{}\t", self.written));
                } else {
                    self.line.push('\t');
                }
                self.line
                    .push_str(&format!("{},{}\n", Fmt(v.re), Fmt(v.im)));
            }
            self.w.write_all(self.line.as_bytes())?;
        } else {
            for v in values {
                self.w.write_all(&v.re.to_le_bytes())?;
                self.w.write_all(&v.im.to_le_bytes())?;
            }
        }
        self.written += 1;
        Ok(())
    }

    fn check(&self, n: usize) -> io::Result<()> {
        if n != self.stored.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{n} values for {} variables", self.stored.len()),
            ));
        }
        if self.written >= self.declared {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("more than the {} points declared", self.declared),
            ));
        }
        Ok(())
    }

    /// Checks that every declared point was written and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.written != self.declared {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} points written, {} declared",
                    self.written, self.declared
                ),
            ));
        }
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Shortest text that reads back to the same f64 (Rust's `Display` of f64 is).
struct Fmt(f64);

impl std::fmt::Display for Fmt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_nan() {
            f.write_str("nan")
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}

fn write_text<W: Write>(w: &mut W, format: RawFormat, text: &str) -> io::Result<()> {
    if format.is_ltspice() {
        let bytes: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        w.write_all(&bytes)
    } else {
        w.write_all(text.as_bytes())
    }
}

/// Writes one whole plot (any format, `fastaccess` included).
pub fn write_plot<W: Write>(w: &mut W, format: RawFormat, plot: &Plot) -> io::Result<()> {
    plot.check()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let types: Vec<ValueType> = plot.columns.iter().map(Column::value_type).collect();
    let n = plot.len();
    let complex = plot.header.flags.complex || types.iter().any(|t| t.is_complex());
    if format != RawFormat::NgspiceAscii {
        let stored = stored_types(format, &plot.header, &types);
        write_text(
            w,
            format,
            &header_text(format, &plot.header, &stored, n as u64),
        )?;
        let mut buf = Vec::with_capacity(1 << 16);
        if format == RawFormat::LtspiceFastAccess {
            for (c, &t) in plot.columns.iter().zip(&stored) {
                for i in 0..n {
                    put_value(&mut buf, c, i, t);
                    if buf.len() >= 1 << 16 {
                        w.write_all(&buf)?;
                        buf.clear();
                    }
                }
            }
        } else {
            for i in 0..n {
                for (c, &t) in plot.columns.iter().zip(&stored) {
                    put_value(&mut buf, c, i, t);
                }
                if buf.len() >= 1 << 16 {
                    w.write_all(&buf)?;
                    buf.clear();
                }
            }
        }
        return w.write_all(&buf);
    }
    let mut pw = PlotWriter::begin(&mut *w, format, &plot.header, &types, n as u64)?;
    if complex {
        let mut row = vec![Complex64::default(); types.len()];
        for i in 0..n {
            for (r, c) in row.iter_mut().zip(&plot.columns) {
                *r = c.get_complex(i).unwrap_or_default();
            }
            pw.write_point_complex(&row)?;
        }
    } else {
        let mut row = vec![0.0; types.len()];
        for i in 0..n {
            for (r, c) in row.iter_mut().zip(&plot.columns) {
                *r = c.get_f64(i).unwrap_or(0.0);
            }
            pw.write_point(&row)?;
        }
    }
    pw.finish()?;
    Ok(())
}

/// Writes plots to `path` with [`outfile`]'s rules: a temporary file in the
/// same directory, fsynced, then renamed into place (a replaced file keeps
/// its permissions, a symbolic link is followed); a device or a FIFO is
/// written in place.
pub fn write_file(path: &Path, format: RawFormat, plots: &[Plot]) -> Result<(), RawError> {
    let io = |e| RawError::io(path, e);
    let out = outfile::OutFile::create(path).map_err(|e| io(e.into_io_error()))?;
    {
        let mut w = io::BufWriter::with_capacity(1 << 20, out.file());
        for p in plots {
            write_plot(&mut w, format, p).map_err(|e| match e.kind() {
                io::ErrorKind::InvalidInput => RawError::Write {
                    path: path.to_path_buf(),
                    message: format!("plot '{}': {e}", p.header.plotname),
                },
                _ => RawError::io(path, e),
            })?;
        }
        w.flush().map_err(io)?;
    }
    out.commit().map_err(|e| io(e.into_io_error()))?;
    Ok(())
}

/// Appends value `i` of `c` stored as `t`. An f32 column written as f32 keeps its bits
/// (no round trip through f64, which would quiet NaN payloads).
fn put_value(buf: &mut Vec<u8>, c: &Column, i: usize, t: ValueType) {
    match (t, c) {
        (ValueType::F32, Column::F32(v)) => buf.extend_from_slice(&v[i].to_le_bytes()),
        (ValueType::F32, _) => {
            buf.extend_from_slice(&(c.get_f64(i).unwrap_or(0.0) as f32).to_le_bytes())
        }
        (ValueType::F64, _) => buf.extend_from_slice(&c.get_f64(i).unwrap_or(0.0).to_le_bytes()),
        _ => {
            let z = c.get_complex(i).unwrap_or_default();
            buf.extend_from_slice(&z.re.to_le_bytes());
            buf.extend_from_slice(&z.im.to_le_bytes());
        }
    }
}
