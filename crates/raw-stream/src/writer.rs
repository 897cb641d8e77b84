//! The RAW writer: ngspice binary and ASCII, LTspice binary (normal,
//! `fastaccess`, `stepped`, UTF-16LE header). Every file it writes reads back
//! with the same values, bit for bit, and the same header lines: `Command:`
//! and the other lines the reader kept ([`PlotHeader::command`],
//! [`PlotHeader::extra`]) are written back.
//!
//! Every error is a [`RawError`]: [`RawError::Write`] for what cannot be
//! written (values that do not fit the header, header text that would not
//! read back), [`RawError::Io`] for the operating system's refusals.

use crate::error::RawError;
use crate::float_text::push_f64;
use crate::header::{self, ParsedHeader};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use waveform::{Column, Complex64, Dialect, Encoding, Plot, PlotHeader, ValueType};

/// The name errors give for a writer that is not a file ([`PlotWriter::begin`], [`write_plot`]).
pub const STREAM_NAME: &str = "<output stream>";

/// The `Command:` line of an LTspice file whose header had none.
const DEFAULT_LTSPICE_COMMAND: &str = "LTspice-compatible RAW written by spicelab";
/// The `Offset:` line of an LTspice file whose header had none.
const DEFAULT_LTSPICE_OFFSET: &str = "0.0000000000000000e+00";

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

/// Header keys the writer writes itself: an extra line with one of them
/// would not read back as an extra line.
const RESERVED_KEYS: [&str; 8] = [
    "title",
    "date",
    "plotname",
    "flags",
    "command",
    "no. variables",
    "no. points",
    "variables",
];

/// Keys that, with an empty value, make the line the data marker.
const MARKER_KEYS: [&str; 2] = ["binary", "values"];

/// Checks that `text` fits on one header line (the reader ends a line at
/// `\n` only: a `\r` inside a value, as in headers seen in the wild, stays).
fn one_line(what: &str, text: &str) -> Result<(), String> {
    if text.contains('\n') {
        return Err(format!("{what} {text:?} holds a line break"));
    }
    Ok(())
}

/// The header line that reads back as the extra `(key, value)`: `.param x=1`
/// lines (QSPICE) as they were, the rest as `Key: value`.
fn extra_line(key: &str, value: &str) -> Result<String, String> {
    one_line("header key", key)?;
    one_line("header value", value)?;
    // A line without ':' that starts with '.' is split at its first space
    // (the key is not trimmed: `.r\x0b al` has the key ".r\x0b").
    if key.starts_with('.') && !key.contains([' ', ':']) && !value.contains(':') {
        if value.is_empty() {
            if key.trim_end() != key {
                return Err(format!("header key {key:?} ends in white space"));
            }
            return Ok(key.to_string());
        }
        return Ok(format!("{key} {value}"));
    }
    if key.contains(':') || key.trim() != key {
        return Err(format!("header key {key:?} cannot be written as a key"));
    }
    let lower = key.to_ascii_lowercase();
    if RESERVED_KEYS.contains(&lower.as_str()) {
        return Err(format!(
            "header key {key:?} is one the writer writes itself"
        ));
    }
    // `Binary: 1` is an extra line; `Binary:` alone starts the data
    if value.trim().is_empty() && MARKER_KEYS.contains(&lower.as_str()) {
        return Err(format!(
            "header key {key:?} with no value would start the data"
        ));
    }
    Ok(format!("{key}: {value}"))
}

/// The `Command:` line written on an ngspice-layout file whose other header
/// lines would make the reader take it for another dialect.
pub const NGSPICE_LAYOUT_COMMAND: &str = "spicelab (ngspice layout)";

/// The header lines that are not about the layout: `Command:` and the extra
/// lines, as the reader kept them. An ngspice-format file (8-bit header)
/// leaves out what would make the reader take it for LTspice or QSPICE (an
/// LTspice or QSPICE `Command:`, LTspice's `Offset:`, QSPICE's `Abscissa:`):
/// those dialects read values differently (f32 values and |time| for
/// LTspice, a one-f64 frequency for QSPICE), and the dialect of a file is
/// detected from its first plot, whatever the plots after it hold.
///
/// Where other signs (QSPICE's capitalised `Frequency`, say) would still
/// point at another dialect, the `Command:` line names the layout written:
/// [`NGSPICE_LAYOUT_COMMAND`].
fn kept_lines(format: RawFormat, h: &PlotHeader) -> Result<(Option<String>, Vec<String>), String> {
    let mut command = h.command.clone();
    let mut extra = h.extra.clone();
    if !format.is_ltspice() {
        let reads_as_ngspice = |command: &Option<String>, extra: &[(String, String)]| {
            let probe = ParsedHeader {
                header: PlotHeader {
                    command: command.clone(),
                    extra: extra.to_vec(),
                    plotname: h.plotname.clone(),
                    variables: h.variables.clone(),
                    ..PlotHeader::default()
                },
                data_rel: 0,
                encoding: Encoding::Binary,
                utf16: false,
                points_line: 0,
                points_width: 0,
                has_version: extra.iter().any(|(k, _)| k.eq_ignore_ascii_case("version")),
            };
            // Xyce reads every plot as ngspice does
            matches!(
                header::detect_dialect(&probe).0,
                Dialect::Ngspice | Dialect::Xyce
            )
        };
        if !reads_as_ngspice(&command, &extra) {
            command = None;
        }
        if !reads_as_ngspice(&command, &extra) {
            extra.retain(|(k, _)| {
                !k.eq_ignore_ascii_case("offset") && !k.eq_ignore_ascii_case("abscissa")
            });
        }
        if !reads_as_ngspice(&command, &extra) {
            command = Some(NGSPICE_LAYOUT_COMMAND.into());
        }
        if !reads_as_ngspice(&command, &extra) {
            return Err(
                "the header's lines would make the file read as another dialect's layout".into(),
            );
        }
    } else {
        if command.is_none() {
            command = Some(DEFAULT_LTSPICE_COMMAND.into());
        }
        if !extra.iter().any(|(k, _)| k.eq_ignore_ascii_case("offset")) {
            extra.insert(0, ("Offset".into(), DEFAULT_LTSPICE_OFFSET.into()));
        }
    }
    if let Some(c) = &command {
        one_line("Command", c)?;
    }
    let lines = extra
        .iter()
        .map(|(k, v)| extra_line(k, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((command, lines))
}

fn header_text(
    format: RawFormat,
    h: &PlotHeader,
    stored: &[ValueType],
    n_points: u64,
) -> Result<String, String> {
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
    one_line("Title", &h.title)?;
    one_line("Date", &h.date)?;
    one_line("Plotname", &h.plotname)?;
    let (command, extra) = kept_lines(format, h)?;
    let mut s = String::new();
    // writing to a String cannot fail
    let _ = writeln!(s, "Title: {}", h.title);
    let _ = writeln!(s, "Date: {}", h.date);
    if let Some(c) = command {
        let _ = writeln!(s, "Command: {c}");
    }
    let _ = writeln!(s, "Plotname: {}", h.plotname);
    let _ = writeln!(s, "Flags: {}", flags.join(" "));
    let _ = writeln!(s, "No. Variables: {}", h.variables.len());
    let _ = writeln!(s, "No. Points: {n_points}");
    for line in extra {
        s.push_str(&line);
        s.push('\n');
    }
    s.push_str("Variables:\n");
    for (i, v) in h.variables.iter().enumerate() {
        for (what, field) in std::iter::once(("variable name", &v.name))
            .chain(std::iter::once(("variable type", &v.type_name)))
            .chain(v.extra.iter().map(|e| ("variable field", e)))
        {
            if field.is_empty() || field.contains(['\t', '\n']) {
                return Err(format!(
                    "{what} {field:?} of variable {i} is empty or holds a tab or a line break"
                ));
            }
        }
        let _ = write!(s, "\t{i}\t{}\t{}", v.name, v.type_name);
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
    Ok(s)
}

/// Writes one plot point by point, for files too big to hold in memory.
/// Point-major formats only (not `fastaccess`).
#[derive(Debug)]
pub struct PlotWriter<W: Write> {
    w: W,
    name: PathBuf,
    format: RawFormat,
    stored: Vec<ValueType>,
    declared: u64,
    written: u64,
    line: String,
    bytes: Vec<u8>,
}

impl<W: Write> PlotWriter<W> {
    /// Writes the header of a plot of `n_points` points whose columns have
    /// the types `columns`, and returns the writer for its points. Errors
    /// name the writer [`STREAM_NAME`]; see [`PlotWriter::begin_named`].
    pub fn begin(
        w: W,
        format: RawFormat,
        header: &PlotHeader,
        columns: &[ValueType],
        n_points: u64,
    ) -> Result<PlotWriter<W>, RawError> {
        PlotWriter::begin_named(w, Path::new(STREAM_NAME), format, header, columns, n_points)
    }

    /// As [`PlotWriter::begin`], with errors that name the file `name`.
    pub fn begin_named(
        mut w: W,
        name: &Path,
        format: RawFormat,
        header: &PlotHeader,
        columns: &[ValueType],
        n_points: u64,
    ) -> Result<PlotWriter<W>, RawError> {
        let refuse = |message: String| RawError::Write {
            path: name.to_path_buf(),
            message: format!("plot '{}': {message}", header.plotname),
        };
        if format == RawFormat::LtspiceFastAccess {
            return Err(refuse(
                "fastaccess is variable-major: write it with write_plot".into(),
            ));
        }
        if columns.len() != header.variables.len() {
            return Err(refuse(format!(
                "{} column types for {} variables",
                columns.len(),
                header.variables.len()
            )));
        }
        let stored = stored_types(format, header, columns);
        let text = header_text(format, header, &stored, n_points).map_err(refuse)?;
        write_text(&mut w, format, &text).map_err(|e| RawError::io(name, e))?;
        Ok(PlotWriter {
            w,
            name: name.to_path_buf(),
            format,
            stored,
            declared: n_points,
            written: 0,
            line: String::new(),
            bytes: Vec::new(),
        })
    }

    fn refuse(&self, message: String) -> RawError {
        RawError::Write {
            path: self.name.clone(),
            message,
        }
    }

    fn put(&mut self, which: Buf) -> Result<(), RawError> {
        let r = match which {
            Buf::Line => self.w.write_all(self.line.as_bytes()),
            Buf::Bytes => self.w.write_all(&self.bytes),
        };
        r.map_err(|e| RawError::io(&self.name, e))
    }

    /// Writes one point of a real plot (one value per variable).
    pub fn write_point(&mut self, values: &[f64]) -> Result<(), RawError> {
        self.check(values.len())?;
        if self.format == RawFormat::NgspiceAscii {
            self.line.clear();
            for (j, &v) in values.iter().enumerate() {
                if j == 0 {
                    let _ = write!(self.line, "{}", self.written);
                }
                self.line.push('\t');
                push_f64(v, &mut self.line);
                self.line.push('\n');
            }
            self.put(Buf::Line)?;
        } else {
            self.bytes.clear();
            for (&v, &t) in values.iter().zip(&self.stored) {
                match t {
                    ValueType::F64 => self.bytes.extend_from_slice(&v.to_le_bytes()),
                    ValueType::F32 => self.bytes.extend_from_slice(&(v as f32).to_le_bytes()),
                    ValueType::C64 => {
                        self.bytes.extend_from_slice(&v.to_le_bytes());
                        self.bytes.extend_from_slice(&0f64.to_le_bytes());
                    }
                    ValueType::C32 => {
                        self.bytes.extend_from_slice(&(v as f32).to_le_bytes());
                        self.bytes.extend_from_slice(&0f32.to_le_bytes());
                    }
                }
            }
            self.put(Buf::Bytes)?;
        }
        self.written += 1;
        Ok(())
    }

    /// Writes one point of a complex plot.
    pub fn write_point_complex(&mut self, values: &[Complex64]) -> Result<(), RawError> {
        self.check(values.len())?;
        if self.format == RawFormat::NgspiceAscii {
            self.line.clear();
            for (j, v) in values.iter().enumerate() {
                if j == 0 {
                    let _ = write!(self.line, "{}", self.written);
                }
                self.line.push('\t');
                push_f64(v.re, &mut self.line);
                self.line.push(',');
                push_f64(v.im, &mut self.line);
                self.line.push('\n');
            }
            self.put(Buf::Line)?;
        } else {
            self.bytes.clear();
            for v in values {
                self.bytes.extend_from_slice(&v.re.to_le_bytes());
                self.bytes.extend_from_slice(&v.im.to_le_bytes());
            }
            self.put(Buf::Bytes)?;
        }
        self.written += 1;
        Ok(())
    }

    fn check(&self, n: usize) -> Result<(), RawError> {
        if n != self.stored.len() {
            return Err(self.refuse(format!("{n} values for {} variables", self.stored.len())));
        }
        if self.written >= self.declared {
            return Err(self.refuse(format!("more than the {} points declared", self.declared)));
        }
        Ok(())
    }

    /// Checks that every declared point was written and returns the inner writer.
    pub fn finish(mut self) -> Result<W, RawError> {
        if self.written != self.declared {
            return Err(self.refuse(format!(
                "{} points written, {} declared",
                self.written, self.declared
            )));
        }
        self.w.flush().map_err(|e| RawError::io(&self.name, e))?;
        Ok(self.w)
    }
}

/// Writes one LTspice `fastaccess` plot (variable-major: every value of
/// variable 0, then of variable 1, ...) piece by piece, for files too big
/// to hold in memory: [`ColumnWriter::write_values`] takes the values of
/// the current variable in order, as many calls as it takes, and moves on
/// to the next variable once the declared number of points is written.
///
/// ```
/// use raw_stream::{ColumnWriter, RawFile, OpenOptions};
/// use waveform::{Column, PlotHeader, ValueType, Variable};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let header = PlotHeader {
///     title: "t".into(),
///     plotname: "Transient Analysis".into(),
///     variables: vec![Variable::new(0, "time", "time"), Variable::new(1, "V(out)", "voltage")],
///     ..PlotHeader::default()
/// };
/// let mut w = ColumnWriter::begin(Vec::new(), &header, &[ValueType::F64, ValueType::F64], 3)?;
/// w.write_values(&Column::F64(vec![0.0, 1.0]))?;
/// w.write_values(&Column::F64(vec![2.0]))?; // the rest of time
/// w.write_values(&Column::F64(vec![5.0, 6.0, 7.0]))?;
/// let bytes = w.finish()?;
/// let raw = RawFile::from_bytes("m.raw", bytes, &OpenOptions::default())?;
/// assert_eq!(raw.plot(0)?.column("V(out)")?.to_f64(), [5.0, 6.0, 7.0]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ColumnWriter<W: Write> {
    w: W,
    name: PathBuf,
    stored: Vec<ValueType>,
    declared: u64,
    var: usize,
    written: u64,
    buf: Vec<u8>,
}

impl<W: Write> ColumnWriter<W> {
    /// Writes the header of a `fastaccess` plot of `n_points` points whose
    /// columns have the types `columns` (real only). Errors name the
    /// writer [`STREAM_NAME`]; see [`ColumnWriter::begin_named`].
    pub fn begin(
        w: W,
        header: &PlotHeader,
        columns: &[ValueType],
        n_points: u64,
    ) -> Result<ColumnWriter<W>, RawError> {
        ColumnWriter::begin_named(w, Path::new(STREAM_NAME), header, columns, n_points)
    }

    /// As [`ColumnWriter::begin`], with errors that name the file `name`.
    pub fn begin_named(
        mut w: W,
        name: &Path,
        header: &PlotHeader,
        columns: &[ValueType],
        n_points: u64,
    ) -> Result<ColumnWriter<W>, RawError> {
        let refuse = |message: String| RawError::Write {
            path: name.to_path_buf(),
            message: format!("plot '{}': {message}", header.plotname),
        };
        if columns.len() != header.variables.len() {
            return Err(refuse(format!(
                "{} column types for {} variables",
                columns.len(),
                header.variables.len()
            )));
        }
        let format = RawFormat::LtspiceFastAccess;
        let stored = stored_types(format, header, columns);
        let text = header_text(format, header, &stored, n_points).map_err(refuse)?;
        write_text(&mut w, format, &text).map_err(|e| RawError::io(name, e))?;
        Ok(ColumnWriter {
            w,
            name: name.to_path_buf(),
            stored,
            declared: n_points,
            var: 0,
            written: 0,
            buf: Vec::with_capacity(1 << 16),
        })
    }

    fn refuse(&self, message: String) -> RawError {
        RawError::Write {
            path: self.name.clone(),
            message,
        }
    }

    /// The variable the next values belong to.
    pub fn variable(&self) -> usize {
        self.var
    }

    /// Writes the next values of the current variable; values past its
    /// declared number of points go to the next variable.
    pub fn write_values(&mut self, part: &Column) -> Result<(), RawError> {
        let mut i = 0;
        while i < part.len() {
            let Some(&t) = self.stored.get(self.var) else {
                return Err(self.refuse(format!(
                    "more values than {} variables x {} points",
                    self.stored.len(),
                    self.declared
                )));
            };
            let room = usize::try_from(self.declared - self.written).unwrap_or(usize::MAX);
            let take = room.min(part.len() - i);
            self.buf.clear();
            for k in i..i + take {
                put_value(&mut self.buf, part, k, t);
            }
            self.w
                .write_all(&self.buf)
                .map_err(|e| RawError::io(&self.name, e))?;
            i += take;
            self.written += take as u64;
            if self.written == self.declared {
                self.var += 1;
                self.written = 0;
            }
        }
        Ok(())
    }

    /// Checks that every value was written and returns the inner writer.
    pub fn finish(mut self) -> Result<W, RawError> {
        // a plot of no points is complete at once
        if self.var < self.stored.len() && !(self.declared == 0 && self.written == 0) {
            return Err(self.refuse(format!(
                "variable {} of {} has {} of its {} points",
                self.var,
                self.stored.len(),
                self.written,
                self.declared
            )));
        }
        self.w.flush().map_err(|e| RawError::io(&self.name, e))?;
        Ok(self.w)
    }
}

/// Which buffer of a [`PlotWriter`] to write out.
#[derive(Clone, Copy)]
enum Buf {
    Line,
    Bytes,
}

fn write_text<W: Write>(w: &mut W, format: RawFormat, text: &str) -> io::Result<()> {
    if format.is_ltspice() {
        let bytes: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        w.write_all(&bytes)
    } else {
        w.write_all(text.as_bytes())
    }
}

/// Writes one whole plot (any format, `fastaccess` included). Errors name
/// the writer [`STREAM_NAME`]; [`write_file`] names the file.
pub fn write_plot<W: Write>(w: &mut W, format: RawFormat, plot: &Plot) -> Result<(), RawError> {
    write_plot_named(w, Path::new(STREAM_NAME), format, plot)
}

fn write_plot_named<W: Write>(
    w: &mut W,
    name: &Path,
    format: RawFormat,
    plot: &Plot,
) -> Result<(), RawError> {
    plot.check().map_err(|message| RawError::Write {
        path: name.to_path_buf(),
        message: format!("plot '{}': {message}", plot.header.plotname),
    })?;
    let types: Vec<ValueType> = plot.columns.iter().map(Column::value_type).collect();
    let n = plot.len();
    let complex = plot.header.flags.complex || types.iter().any(|t| t.is_complex());
    if format != RawFormat::NgspiceAscii {
        let io = |e| RawError::io(name, e);
        let stored = stored_types(format, &plot.header, &types);
        let text = header_text(format, &plot.header, &stored, n as u64).map_err(|message| {
            RawError::Write {
                path: name.to_path_buf(),
                message: format!("plot '{}': {message}", plot.header.plotname),
            }
        })?;
        write_text(w, format, &text).map_err(io)?;
        let mut buf = Vec::with_capacity(1 << 16);
        if format == RawFormat::LtspiceFastAccess {
            for (c, &t) in plot.columns.iter().zip(&stored) {
                for i in 0..n {
                    put_value(&mut buf, c, i, t);
                    if buf.len() >= 1 << 16 {
                        w.write_all(&buf).map_err(io)?;
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
                    w.write_all(&buf).map_err(io)?;
                    buf.clear();
                }
            }
        }
        return w.write_all(&buf).map_err(io);
    }
    let mut pw = PlotWriter::begin_named(&mut *w, name, format, &plot.header, &types, n as u64)?;
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
            write_plot_named(&mut w, path, format, p)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use waveform::{Flags, Steps, Variable};

    fn plot(command: Option<&str>, extra: &[(&str, &str)]) -> Plot {
        Plot {
            header: PlotHeader {
                title: "* t".into(),
                date: "d".into(),
                plotname: "Transient Analysis".into(),
                flags: Flags::parse("real"),
                command: command.map(str::to_string),
                n_points: 2,
                variables: vec![
                    Variable::new(0, "time", "time"),
                    Variable::new(1, "v(a)", "voltage"),
                ],
                extra: extra
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
            columns: vec![Column::F64(vec![0.0, 1.0]), Column::F64(vec![0.5, -0.25])],
            steps: Steps::single(2),
        }
    }

    fn text_of(format: RawFormat, p: &Plot) -> Result<String, RawError> {
        let mut out = Vec::new();
        write_plot(&mut out, format, p)?;
        Ok(if format.is_ltspice() {
            header::decode_utf16le(&out)
        } else {
            String::from_utf8_lossy(&out).into_owned()
        })
    }

    #[test]
    fn command_and_extra_lines_are_written_back() {
        let p = plot(
            Some("ngspice-44.2"),
            &[("Version", "7.8"), ("Binary", "1"), (".param", "r=1k")],
        );
        let t = text_of(RawFormat::NgspiceAscii, &p).unwrap_or_default();
        assert!(t.contains("\nCommand: ngspice-44.2\n"), "{t}");
        assert!(
            t.contains("\nVersion: 7.8\nBinary: 1\n.param r=1k\nVariables:\n"),
            "{t}"
        );
        assert!(
            t.ends_with("Values:\n0\t0.0\n\t0.5\n1\t1.0\n\t-0.25\n"),
            "{t}"
        );
    }

    #[test]
    fn ltspice_lines_stay_out_of_an_ngspice_file_and_defaults_go_into_ltspice_files() {
        let p = plot(
            Some("Linear Technology Corporation LTspice XVII"),
            &[("Offset", "0.0"), ("Backannotation", "u1 x")],
        );
        let t = text_of(RawFormat::NgspiceBinary, &p).unwrap_or_default();
        assert!(!t.contains("Command:") && !t.contains("Offset:"), "{t}");
        assert!(t.contains("\nBackannotation: u1 x\n"), "{t}");
        let t = text_of(RawFormat::LtspiceBinary, &p).unwrap_or_default();
        assert!(
            t.contains("Command: Linear Technology Corporation LTspice XVII\n"),
            "{t}"
        );
        assert!(t.contains("\nOffset: 0.0\n"), "{t}");
        let t = text_of(RawFormat::LtspiceBinary, &plot(None, &[])).unwrap_or_default();
        assert!(
            t.contains(&format!("Command: {DEFAULT_LTSPICE_COMMAND}\n")),
            "{t}"
        );
        assert!(
            t.contains(&format!("Offset: {DEFAULT_LTSPICE_OFFSET}\n")),
            "{t}"
        );
    }

    #[test]
    fn header_text_that_would_not_read_back_is_a_write_error() {
        for p in [
            plot(Some("two\nlines"), &[]),
            plot(None, &[("Binary", "")]),
            plot(None, &[("Title", "again")]),
            plot(None, &[("a:b", "c")]),
            {
                let mut p = plot(None, &[]);
                p.header.variables[1].name = "v(a)\tb".into();
                p
            },
        ] {
            match write_plot(&mut Vec::new(), RawFormat::NgspiceBinary, &p) {
                Err(RawError::Write { path, .. }) => assert_eq!(path, Path::new(STREAM_NAME)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn plot_writer_errors_are_raw_errors() {
        let p = plot(None, &[]);
        let types = [ValueType::F64, ValueType::F64];
        let r = PlotWriter::begin(
            Vec::new(),
            RawFormat::LtspiceFastAccess,
            &p.header,
            &types,
            2,
        );
        assert!(matches!(r, Err(RawError::Write { .. })));
        let r = PlotWriter::begin(
            Vec::new(),
            RawFormat::NgspiceBinary,
            &p.header,
            &types[..1],
            2,
        );
        assert!(matches!(r, Err(RawError::Write { .. })));
        let name = Path::new("out.raw");
        let Ok(mut w) = PlotWriter::begin_named(
            Vec::new(),
            name,
            RawFormat::NgspiceBinary,
            &p.header,
            &types,
            1,
        ) else {
            panic!("begin")
        };
        assert!(matches!(w.write_point(&[1.0]), Err(RawError::Write { .. })));
        assert!(w.write_point(&[1.0, 2.0]).is_ok());
        match w.write_point(&[1.0, 2.0]) {
            Err(RawError::Write { path, message }) => {
                assert_eq!(path, name);
                assert!(message.contains("more than the 1 points"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(w.finish().map(|b| b.len()).ok(), Some(p_len(&p) + 16));
        // an I/O error of the inner writer is RawError::Io
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::StorageFull.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let r = PlotWriter::begin(Full, RawFormat::NgspiceBinary, &p.header, &types, 1);
        assert!(matches!(r, Err(RawError::Io { .. })));
    }

    fn p_len(p: &Plot) -> usize {
        let stored = stored_types(RawFormat::NgspiceBinary, &p.header, &[ValueType::F64; 2]);
        header_text(RawFormat::NgspiceBinary, &p.header, &stored, 1)
            .map(|t| t.len())
            .unwrap_or(0)
    }
}
