//! The streaming reader: plot headers at open, data through a bounded window.

use crate::ascii::{self, Step};
use crate::error::{RawError, Warning};
use crate::header::{self, exposed_type, HeaderProblem, Layout, MAX_HEADER_BYTES};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use waveform::{
    Column, Complex64, Dialect, Encoding, Plot, PlotHeader, SimResult, Steps, ValueType, VarKind,
};

/// The most steps a stepped plot may have (its step index is held in memory).
pub const MAX_STEPS: usize = 1 << 22;

/// Default size of the window through which data are read (bytes).
pub const DEFAULT_WINDOW: usize = 1 << 20;

/// How to open a RAW file.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Force a dialect instead of detecting it from the header.
    pub dialect: Option<Dialect>,
    /// Treat a file cut short as an error instead of a warning.
    pub strict: bool,
    /// Bytes read at a time (the memory bound of the reader).
    pub window_bytes: usize,
    /// Read step parameters from the companion `.log` of stepped LTspice files.
    pub read_log: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            dialect: None,
            strict: false,
            window_bytes: DEFAULT_WINDOW,
            read_log: true,
        }
    }
}

/// What the reader knows about one plot after opening the file.
#[derive(Debug, Clone)]
pub struct PlotInfo {
    /// Position in the file (0-based).
    pub index: usize,
    /// The parsed header.
    pub header: PlotHeader,
    /// Binary or ASCII data.
    pub encoding: Encoding,
    /// Byte offset of the header's first byte.
    pub header_offset: u64,
    /// Byte offset of the first data byte.
    pub data_offset: u64,
    /// Byte offset just past this plot's data.
    pub data_end: u64,
    /// How values are stored (binary plots).
    pub layout: Layout,
    /// The type of the column yielded for each variable.
    pub types: Vec<ValueType>,
    /// Points that are wholly present in the file.
    pub complete_points: u64,
    /// True when the data end before the declared number of points.
    pub truncated: bool,
}

/// An open RAW file: every plot header parsed, no data read yet.
#[derive(Debug)]
pub struct RawFile {
    path: PathBuf,
    file: File,
    size: u64,
    dialect: Dialect,
    utf16: bool,
    plots: Vec<PlotInfo>,
    warnings: Vec<Warning>,
    options: OpenOptions,
}

impl RawFile {
    /// Opens a RAW file with default options (dialect detected, lenient).
    pub fn open(path: impl AsRef<Path>) -> Result<RawFile, RawError> {
        RawFile::open_with(path, &OpenOptions::default())
    }

    /// Opens a RAW file: parses every plot header and checks the data sizes.
    pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<RawFile, RawError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|e| RawError::io(&path, e))?;
        let size = file.metadata().map_err(|e| RawError::io(&path, e))?.len();
        let mut options = options.clone();
        options.window_bytes = options.window_bytes.clamp(64 << 10, 1 << 30);
        let mut raw = RawFile {
            path,
            file,
            size,
            dialect: options.dialect.unwrap_or_default(),
            utf16: false,
            plots: Vec::new(),
            warnings: Vec::new(),
            options,
        };
        raw.scan_plots()?;
        Ok(raw)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), RawError> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| RawError::io(&self.path, e))
    }

    fn header_err(&self, plot: usize, offset: u64, message: String) -> RawError {
        RawError::Header {
            path: self.path.clone(),
            plot,
            offset,
            message,
        }
    }

    fn data_err(&self, plot: usize, offset: u64, message: String) -> RawError {
        RawError::Data {
            path: self.path.clone(),
            plot,
            offset,
            message,
        }
    }

    fn warn(&mut self, plot: Option<usize>, offset: u64, message: String) {
        let w = Warning {
            path: self.path.clone(),
            plot,
            offset,
            message,
        };
        tracing::warn!("{w}");
        self.warnings.push(w);
    }

    /// Skips whitespace (and UTF-16 zero bytes) between plots; returns the next offset.
    fn skip_gap(&self, mut pos: u64) -> Result<u64, RawError> {
        let mut buf = [0u8; 256];
        while pos < self.size {
            let n = (self.size - pos).min(buf.len() as u64) as usize;
            self.read_at(pos, &mut buf[..n])?;
            match buf[..n]
                .iter()
                .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0))
            {
                Some(i) => return Ok(pos + i as u64),
                None => pos += n as u64,
            }
        }
        Ok(self.size)
    }

    fn scan_plots(&mut self) -> Result<(), RawError> {
        let mut pos = 0u64;
        loop {
            let index = self.plots.len();
            if index > 0 {
                pos = self.skip_gap(pos)?;
            }
            if pos >= self.size {
                break;
            }
            // Read the header, growing the buffer until the marker line is in it.
            let mut want = 8 << 10;
            let parsed = loop {
                let n = (self.size - pos).min(want as u64) as usize;
                let mut buf = vec![0u8; n];
                self.read_at(pos, &mut buf)?;
                let at_end = pos + n as u64 >= self.size;
                match header::parse_header(&buf, self.plots.last().map(|p| &p.header)) {
                    Ok(p) => break Ok(p),
                    Err(HeaderProblem::NeedMore) if !at_end && want < MAX_HEADER_BYTES => {
                        want = (want * 4).min(MAX_HEADER_BYTES);
                    }
                    Err(HeaderProblem::NeedMore) => {
                        break Err((
                            0,
                            format!(
                                "no 'Binary:' or 'Values:' line in the {} bytes of header text",
                                n
                            ),
                        ))
                    }
                    Err(HeaderProblem::Bad(off, msg)) => break Err((off, msg)),
                }
            };
            let parsed = match parsed {
                Ok(p) => p,
                Err((off, msg)) => {
                    if index == 0 {
                        return Err(self.header_err(0, pos + off as u64, msg));
                    }
                    // Text after the last plot: some simulators append it.
                    self.warn(
                        None,
                        pos,
                        format!(
                            "{} bytes after the last plot are not a plot and were ignored ({msg})",
                            self.size - pos
                        ),
                    );
                    break;
                }
            };
            if index == 0 {
                self.utf16 = parsed.utf16;
                if self.options.dialect.is_none() {
                    self.dialect = header::detect_dialect(&parsed);
                }
            }
            let data_offset = pos + parsed.data_rel as u64;
            let h = parsed.header;
            let n = h.n_points;
            let (layout, next) = match parsed.encoding {
                Encoding::Binary => {
                    let layout = Layout::binary(self.dialect, &h);
                    let declared = n.checked_mul(layout.stride).ok_or_else(|| {
                        self.header_err(
                            index,
                            pos + parsed.points_line as u64,
                            format!(
                                "'No. Points: {n}' x {} bytes per point overflows",
                                layout.stride
                            ),
                        )
                    })?;
                    (layout, data_offset.saturating_add(declared))
                }
                Encoding::Ascii => (Layout::ascii(&h), 0),
            };
            let types: Vec<ValueType> = layout
                .stored
                .iter()
                .enumerate()
                .map(|(i, &t)| exposed_type(i, t, h.flags.complex))
                .collect();
            let mut info = PlotInfo {
                index,
                encoding: parsed.encoding,
                header_offset: pos,
                data_offset,
                data_end: data_offset,
                layout,
                types,
                complete_points: 0,
                truncated: false,
                header: h,
            };
            match parsed.encoding {
                Encoding::Binary => {
                    let avail = self.size.saturating_sub(data_offset);
                    let declared = next - data_offset;
                    if declared <= avail {
                        info.complete_points = n;
                        info.data_end = next;
                        pos = next;
                    } else {
                        let complete = complete_binary_points(&info.layout, n, avail);
                        info.complete_points = complete;
                        info.truncated = true;
                        info.data_end = self.size;
                        let msg_point = if info.layout.column_major {
                            complete
                        } else {
                            avail / info.layout.stride.max(1)
                        };
                        if self.options.strict {
                            return Err(RawError::Truncated {
                                path: self.path.clone(),
                                plot: index,
                                end: self.size,
                                point: msg_point,
                                expected: next,
                                declared: n,
                            });
                        }
                        self.warn(
                            Some(index),
                            self.size,
                            format!(
                                "data end at byte {} inside point {} (expected {} bytes for {} points, \
                                 as declared by 'No. Points' at byte {}); the {} complete points are readable",
                                self.size,
                                msg_point,
                                next,
                                n,
                                pos + parsed.points_line as u64,
                                complete
                            ),
                        );
                        pos = self.size;
                    }
                }
                Encoding::Ascii => {
                    let (end, lines) = self.scan_ascii(index, data_offset)?;
                    info.data_end = end;
                    info.complete_points = lines.min(n);
                    info.truncated = lines < n;
                    if lines < n {
                        let message = format!(
                            "ASCII data end at byte {end} after {lines} of the {n} points declared by \
                             'No. Points' at byte {}",
                            pos + parsed.points_line as u64
                        );
                        if self.options.strict {
                            return Err(self.data_err(index, end, message));
                        }
                        self.warn(Some(index), end, message);
                    }
                    pos = end;
                }
            }
            self.plots.push(info);
        }
        if self.plots.is_empty() {
            return Err(self.header_err(0, 0, "empty file: no plot".into()));
        }
        Ok(())
    }

    /// Finds where an ASCII plot's data end (the next header or the end of the
    /// file) and counts its point-index lines. Checks the first token.
    fn scan_ascii(&self, plot: usize, start: u64) -> Result<(u64, u64), RawError> {
        let win = self.options.window_bytes;
        let mut buf = vec![0u8; win.min((self.size - start) as usize)];
        // first token
        {
            let n = buf.len().min(4096);
            self.read_at(start, &mut buf[..n])?;
            if let Err((off, msg)) = ascii::check_start(&buf[..n]) {
                return Err(self.data_err(plot, start + off as u64, msg));
            }
        }
        let mut count = 0u64;
        let mut pos = start;
        // `line_start` is true when the byte at `pos` starts a line.
        let mut line_start = true;
        while pos < self.size {
            let n = (self.size - pos).min(buf.len() as u64) as usize;
            self.read_at(pos, &mut buf[..n])?;
            let b = &buf[..n];
            let mut check = |i: usize| -> Option<u64> {
                // i is the offset of a line's first byte
                match b.get(i) {
                    Some(c) if c.is_ascii_digit() => {
                        count += 1;
                        None
                    }
                    Some(c) if c.is_ascii_alphabetic() => {
                        // a header line? ("Title:", "Plotname:", ...)
                        let rest = &b[i..(i + 12).min(b.len())];
                        if rest.contains(&b':') {
                            Some(pos + i as u64)
                        } else {
                            None
                        }
                    }
                    _ => None,
                }
            };
            if line_start {
                if let Some(end) = check(0) {
                    return Ok((end, count));
                }
            }
            for nl in memchr::memchr_iter(b'\n', b) {
                if let Some(end) = check(nl + 1) {
                    return Ok((end, count));
                }
            }
            line_start = b.last() == Some(&b'\n');
            pos += n as u64;
        }
        Ok((self.size, count))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The dialect (detected or forced).
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// True when the headers are UTF-16LE text.
    pub fn utf16(&self) -> bool {
        self.utf16
    }

    /// The encoding of the first plot's data.
    pub fn encoding(&self) -> Encoding {
        self.plots.first().map(|p| p.encoding).unwrap_or_default()
    }

    /// Every plot, in file order.
    pub fn plots(&self) -> &[PlotInfo] {
        &self.plots
    }

    /// Warnings found so far (files cut short, trailing junk).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The options the file was opened with.
    pub fn options(&self) -> &OpenOptions {
        &self.options
    }

    /// A handle on plot `index`.
    pub fn plot(&self, index: usize) -> Result<PlotRef<'_>, RawError> {
        self.plots
            .get(index)
            .map(|info| PlotRef { file: self, info })
            .ok_or_else(|| RawError::NoSuchPlot {
                path: self.path.clone(),
                plot: index,
                count: self.plots.len(),
            })
    }

    /// Reads every plot into memory. Only for files you know to be small.
    pub fn read_all(&self) -> Result<SimResult, RawError> {
        let plots = (0..self.plots.len())
            .map(|i| self.plot(i)?.read())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SimResult {
            dialect: self.dialect,
            encoding: self.encoding(),
            plots,
        })
    }
}

/// Complete points of a binary plot cut short after `avail` data bytes.
fn complete_binary_points(layout: &Layout, n: u64, avail: u64) -> u64 {
    if !layout.column_major {
        return (avail / layout.stride.max(1)).min(n);
    }
    // variable-major: a point is complete when every column holds it
    let mut col_off = 0u64;
    let mut complete = n;
    for t in &layout.stored {
        let sz = t.size() as u64;
        let have = avail.saturating_sub(col_off) / sz;
        complete = complete.min(have);
        col_off = col_off.saturating_add(n.saturating_mul(sz));
    }
    complete
}

/// A handle on one plot of an open file.
#[derive(Debug, Clone, Copy)]
pub struct PlotRef<'a> {
    file: &'a RawFile,
    info: &'a PlotInfo,
}

impl<'a> PlotRef<'a> {
    /// What the reader knows about the plot.
    pub fn info(&self) -> &'a PlotInfo {
        self.info
    }

    /// The plot's header.
    pub fn header(&self) -> &'a PlotHeader {
        &self.info.header
    }

    /// Index of the variable called `name`, or an error listing the names there are.
    pub fn var_index(&self, name: &str) -> Result<usize, RawError> {
        self.info.header.find(name).ok_or_else(|| {
            let names: Vec<&str> = self
                .info
                .header
                .variables
                .iter()
                .take(12)
                .map(|v| v.name.as_str())
                .collect();
            let more = if self.info.header.variables.len() > 12 {
                ", ..."
            } else {
                ""
            };
            RawError::NoSuchVariable {
                path: self.file.path.clone(),
                plot: self.info.index,
                name: name.to_string(),
                available: format!("{}{more}", names.join(", ")),
            }
        })
    }

    /// Iterates over the plot in chunks of at most `points` points, every variable.
    pub fn chunks(&self, points: usize) -> Chunks<'a> {
        self.chunks_of(points, None)
    }

    /// Iterates over the plot in chunks, decoding only the variables in `vars`
    /// (the other columns of each chunk stay empty). `None` means all.
    pub fn chunks_of(&self, points: usize, vars: Option<Vec<usize>>) -> Chunks<'a> {
        self.chunks_in(0..self.info.complete_points, points, vars)
    }

    /// Iterates over the points `range` only (binary plots; an ASCII plot is
    /// always read from its first point, so there the range must start at 0).
    /// Disjoint ranges can be read from several threads at once.
    pub fn chunks_in(
        &self,
        range: std::ops::Range<u64>,
        points: usize,
        vars: Option<Vec<usize>>,
    ) -> Chunks<'a> {
        let info = self.info;
        let window = self.file.options.window_bytes as u64;
        let per_point = match info.encoding {
            Encoding::Binary if info.layout.column_major => info
                .layout
                .stored
                .iter()
                .map(|t| t.size() as u64)
                .max()
                .unwrap_or(8),
            Encoding::Binary => info.layout.stride.max(1),
            // decoded values held per point
            Encoding::Ascii => info
                .types
                .iter()
                .map(|t| t.size() as u64)
                .sum::<u64>()
                .max(1),
        };
        let cap = (window / per_point).max(1);
        let per_chunk = (points.max(1) as u64).min(cap).min(u32::MAX as u64) as usize;
        let mut selected = vec![vars.is_none(); info.header.variables.len()];
        for &v in vars.iter().flatten() {
            if let Some(s) = selected.get_mut(v) {
                *s = true;
            }
        }
        let end = range.end.min(info.complete_points);
        let start = if info.encoding == Encoding::Ascii {
            0
        } else {
            range.start.min(end)
        };
        Chunks {
            file: self.file,
            info,
            next: start,
            end,
            per_chunk,
            selected,
            buf: Vec::new(),
            ascii: None,
            abs_time: self.file.dialect == Dialect::Ltspice
                && info.header.variables.first().map(|v| &v.kind) == Some(&VarKind::Time),
        }
    }

    /// Splits the text of an ASCII plot into about `parts` byte ranges that each
    /// start at a point-index line, so that they can be parsed in parallel with
    /// [`PlotRef::ascii_chunks`]. A binary plot gives no range.
    pub fn ascii_segments(&self, parts: usize) -> Result<Vec<std::ops::Range<u64>>, RawError> {
        let info = self.info;
        if info.encoding != Encoding::Ascii {
            return Ok(Vec::new());
        }
        let (start, end) = (info.data_offset, info.data_end);
        let len = end - start;
        let mut cuts = vec![start];
        let mut buf = vec![0u8; 64 << 10];
        for k in 1..parts.max(1) as u64 {
            let target = (start + len * k / parts as u64).max(*cuts.last().unwrap_or(&start));
            let mut pos = target;
            // the first "\n<digit>" at or after target
            let found = loop {
                if pos >= end {
                    break None;
                }
                let n = (end - pos).min(buf.len() as u64) as usize;
                self.file.read_at(pos, &mut buf[..n])?;
                let hit = memchr::memchr_iter(b'\n', &buf[..n])
                    .find(|&i| buf.get(i + 1).is_some_and(u8::is_ascii_digit));
                match hit {
                    Some(i) => break Some(pos + i as u64 + 1),
                    // keep the last byte: a '\n' there pairs with the next block
                    None if n > 1 => pos += n as u64 - 1,
                    None => break None,
                }
            };
            match found {
                Some(c) if c > *cuts.last().unwrap_or(&start) && c < end => cuts.push(c),
                _ => break,
            }
        }
        cuts.push(end);
        Ok(cuts.windows(2).map(|w| w[0]..w[1]).collect())
    }

    /// Parses the points in one byte range of an ASCII plot from
    /// [`PlotRef::ascii_segments`]. Chunk `start`s count points from the
    /// start of the range, not of the plot.
    pub fn ascii_chunks(
        &self,
        bytes: std::ops::Range<u64>,
        points: usize,
        vars: Option<Vec<usize>>,
    ) -> Chunks<'a> {
        let mut c = self.chunks_of(points, vars);
        if self.info.encoding == Encoding::Ascii {
            c.ascii = Some(AsciiCursor {
                base: bytes.start,
                end: bytes.end.min(self.info.data_end),
                buf: Vec::new(),
                at: 0,
                eof: false,
                vals: Vec::new(),
            });
        }
        c
    }

    /// Reads one whole column into memory (the user asked for it in memory).
    pub fn column(&self, name: &str) -> Result<Column, RawError> {
        let idx = self.var_index(name)?;
        self.column_at(idx)
    }

    /// Reads the column of variable `idx` into memory.
    pub fn column_at(&self, idx: usize) -> Result<Column, RawError> {
        let t = self
            .info
            .types
            .get(idx)
            .copied()
            .ok_or_else(|| RawError::NoSuchVariable {
                path: self.file.path.clone(),
                plot: self.info.index,
                name: format!("#{idx}"),
                available: format!("{} variables", self.info.types.len()),
            })?;
        let mut out = Column::with_capacity(t, 0);
        let mut it = self.chunks_of(1 << 16, Some(vec![idx]));
        let mut chunk = Chunk::default();
        while it.fill(&mut chunk)? {
            out.extend_from(&chunk.columns[idx]);
        }
        Ok(out)
    }

    /// Reads the whole plot into memory.
    pub fn read(&self) -> Result<Plot, RawError> {
        let mut columns: Vec<Column> = self
            .info
            .types
            .iter()
            .map(|&t| Column::with_capacity(t, 0))
            .collect();
        let mut it = self.chunks(1 << 16);
        let mut chunk = Chunk::default();
        while it.fill(&mut chunk)? {
            for (c, part) in columns.iter_mut().zip(&chunk.columns) {
                c.extend_from(part);
            }
        }
        let steps = self.steps()?;
        Ok(Plot {
            header: self.info.header.clone(),
            columns,
            steps,
        })
    }

    /// The steps of the plot: one for a plot that is not stepped; for a
    /// stepped LTspice plot, split where the scale moves against the sweep's
    /// direction, with the parameters of the companion `.log` when present.
    pub fn steps(&self) -> Result<Steps, RawError> {
        let info = self.info;
        let total = info.complete_points;
        if !info.header.flags.stepped {
            return Ok(Steps::single(total));
        }
        let too_many = || RawError::Data {
            path: self.file.path.clone(),
            plot: info.index,
            offset: info.data_offset,
            message: format!("more than {MAX_STEPS} steps: not a stepped run"),
        };
        let mut starts = vec![0u64];
        if !info.header.has_scale() {
            // stepped .op / .tf: one point per step
            if total > MAX_STEPS as u64 {
                return Err(too_many());
            }
            starts = (0..total).collect();
            if starts.is_empty() {
                starts.push(0);
            }
        } else {
            let mut it = self.chunks_of(1 << 16, Some(vec![0]));
            let mut chunk = Chunk::default();
            let mut prev: Option<f64> = None;
            let mut dir = 0i8; // +1 rising, -1 falling, 0 unknown
            let mut first_of_step: Option<f64> = None;
            while it.fill(&mut chunk)? {
                let col = &chunk.columns[0];
                for i in 0..col.len() {
                    let v = col.get_f64(i).unwrap_or(f64::NAN);
                    let p = chunk.start + i as u64;
                    if let Some(q) = prev {
                        if dir == 0 {
                            if let Some(f) = first_of_step {
                                if v > f {
                                    dir = 1;
                                } else if v < f {
                                    dir = -1;
                                }
                            }
                        } else if (dir > 0 && v < q) || (dir < 0 && v > q) {
                            if starts.len() >= MAX_STEPS {
                                return Err(too_many());
                            }
                            starts.push(p);
                        }
                    } else {
                        first_of_step = Some(v);
                    }
                    prev = Some(v);
                }
            }
        }
        let mut steps = Steps {
            starts,
            total,
            params: Vec::new(),
        };
        if self.file.options.read_log {
            if let Some(params) = crate::log::step_params(&self.file.path) {
                if params.len() == steps.count() {
                    steps.params = params;
                } else {
                    tracing::warn!(
                        "{}: the .log lists {} steps but the data split into {}; step parameters left out",
                        self.file.path.display(),
                        params.len(),
                        steps.count()
                    );
                }
            }
        }
        Ok(steps)
    }
}

/// The stored bytes of a run of whole points (see [`Chunks::next_rows`]).
#[derive(Debug, Clone, Copy)]
pub struct Rows<'b> {
    /// Index of the first point.
    pub start: u64,
    /// Number of points.
    pub len: usize,
    /// `len` points of `layout.stride` bytes each.
    pub bytes: &'b [u8],
}

/// A run of consecutive points of one plot, one column per variable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chunk {
    /// Index of the first point (within the plot).
    pub start: u64,
    /// Number of points.
    pub len: usize,
    /// One column per variable (empty for variables not selected).
    pub columns: Vec<Column>,
}

/// The chunk iterator of [`PlotRef::chunks`].
///
/// [`Chunks::fill`] reuses a chunk's buffers (the fast way); the `Iterator`
/// impl allocates a new chunk each time.
#[derive(Debug)]
pub struct Chunks<'a> {
    file: &'a RawFile,
    info: &'a PlotInfo,
    next: u64,
    end: u64,
    per_chunk: usize,
    selected: Vec<bool>,
    buf: Vec<u8>,
    ascii: Option<AsciiCursor>,
    abs_time: bool,
}

#[derive(Debug)]
struct AsciiCursor {
    /// File offset of `buf[0]`.
    base: u64,
    /// File offset where this cursor's text ends.
    end: u64,
    buf: Vec<u8>,
    at: usize,
    eof: bool,
    vals: Vec<(f64, f64)>,
}

impl Chunks<'_> {
    /// True when the plot is point-major binary, so that [`Chunks::next_rows`] can be used.
    pub fn has_rows(&self) -> bool {
        self.info.encoding == Encoding::Binary && !self.info.layout.column_major
    }

    /// For point-major binary plots: the stored bytes of the next run of whole
    /// points (first point index, number of points, bytes), undecoded, for
    /// consumers that work on the stored layout ([`PlotInfo::layout`]).
    /// `None` at the end, or when the plot is not point-major binary.
    /// LTspice's negative times are left as stored.
    pub fn next_rows(&mut self) -> Result<Option<Rows<'_>>, RawError> {
        if !self.has_rows() || self.next >= self.end {
            return Ok(None);
        }
        let n = (self.end - self.next).min(self.per_chunk as u64) as usize;
        let stride = self.info.layout.stride as usize;
        let bytes = n * stride;
        self.buf.resize(bytes, 0);
        let off = self.info.data_offset + self.next * self.info.layout.stride;
        self.file.read_at(off, &mut self.buf[..bytes])?;
        let start = self.next;
        self.next += n as u64;
        Ok(Some(Rows {
            start,
            len: n,
            bytes: &self.buf[..bytes],
        }))
    }

    /// Reads the next chunk into `chunk`, reusing its buffers. Returns false at the end.
    pub fn fill(&mut self, chunk: &mut Chunk) -> Result<bool, RawError> {
        let total = self.end;
        if self.next >= total {
            return Ok(false);
        }
        let n = (total - self.next).min(self.per_chunk as u64) as usize;
        // shape the output columns
        if chunk.columns.len() != self.info.types.len()
            || chunk
                .columns
                .iter()
                .zip(&self.info.types)
                .any(|(c, &t)| c.value_type() != t)
        {
            chunk.columns = self
                .info
                .types
                .iter()
                .map(|&t| Column::with_capacity(t, 0))
                .collect();
        }
        for c in &mut chunk.columns {
            c.clear();
        }
        chunk.start = self.next;
        let got = match self.info.encoding {
            Encoding::Binary => {
                self.fill_binary(chunk, n)?;
                n
            }
            Encoding::Ascii => self.fill_ascii(chunk, n)?,
        };
        chunk.len = got;
        self.next += got as u64;
        if got < n {
            // ASCII data ended early: nothing more will come.
            self.next = total;
        }
        if self.abs_time && self.selected[0] {
            if let Column::F64(v) = &mut chunk.columns[0] {
                for x in v.iter_mut() {
                    *x = x.abs();
                }
            }
        }
        Ok(got > 0)
    }

    fn fill_binary(&mut self, chunk: &mut Chunk, n: usize) -> Result<(), RawError> {
        let info = self.info;
        let layout = &info.layout;
        if layout.column_major {
            let mut col_off = info.data_offset;
            for (j, &t) in layout.stored.iter().enumerate() {
                let sz = t.size();
                if self.selected[j] {
                    let bytes = n * sz;
                    self.buf.resize(bytes, 0);
                    let off = col_off + self.next * sz as u64;
                    self.file.read_at(off, &mut self.buf[..bytes])?;
                    decode_strided(&self.buf, bytes, 0, sz, t, n, &mut chunk.columns[j]);
                }
                col_off += info.header.n_points * sz as u64;
            }
            return Ok(());
        }
        let stride = layout.stride as usize;
        let bytes = n * stride;
        self.buf.resize(bytes, 0);
        let off = info.data_offset + self.next * layout.stride;
        self.file.read_at(off, &mut self.buf[..bytes])?;
        let mut o = 0usize;
        for (j, &t) in layout.stored.iter().enumerate() {
            if self.selected[j] {
                decode_strided(&self.buf, bytes, o, stride, t, n, &mut chunk.columns[j]);
            }
            o += t.size();
        }
        Ok(())
    }

    fn fill_ascii(&mut self, chunk: &mut Chunk, n: usize) -> Result<usize, RawError> {
        let info = self.info;
        let window = self.file.options.window_bytes;
        let cur = self.ascii.get_or_insert_with(|| AsciiCursor {
            base: info.data_offset,
            end: info.data_end,
            buf: Vec::new(),
            at: 0,
            eof: false,
            vals: Vec::new(),
        });
        let nv = info.header.variables.len();
        let complex = info.header.flags.complex;
        let mut got = 0usize;
        while got < n {
            // In a file cut short, a number that touches the end may be cut too.
            let end_ends_token = cur.eof && !info.truncated;
            let step =
                ascii::parse_point(&cur.buf, cur.at, nv, complex, end_ends_token, &mut cur.vals)
                    .map_err(|(off, msg)| RawError::Data {
                        path: self.file.path.clone(),
                        plot: info.index,
                        offset: cur.base + off as u64,
                        message: msg,
                    })?;
            match step {
                Step::Done(next) => {
                    for ((j, col), &(re, im)) in chunk.columns.iter_mut().enumerate().zip(&cur.vals)
                    {
                        if !self.selected[j] {
                            continue;
                        }
                        match col {
                            Column::F64(v) => v.push(re),
                            Column::C64(v) => v.push(Complex64 { re, im }),
                            Column::F32(v) => v.push(re as f32),
                            Column::C32(v) => v.push(waveform::Complex32 {
                                re: re as f32,
                                im: im as f32,
                            }),
                        }
                    }
                    cur.at = next;
                    got += 1;
                }
                Step::End => break,
                Step::NeedMore if cur.eof => {
                    tracing::warn!(
                        "{}: plot {}: ASCII data end inside point {}",
                        self.file.path.display(),
                        info.index,
                        self.next + got as u64
                    );
                    break;
                }
                Step::NeedMore => {
                    // keep the unparsed tail, read more behind it
                    cur.buf.drain(..cur.at);
                    cur.base += cur.at as u64;
                    cur.at = 0;
                    let have = cur.buf.len();
                    // One point's text is bounded: a point never needs more than
                    // this, so a hostile "number" cannot grow the buffer to the file size.
                    let max_point = (16usize << 20).saturating_add(nv.saturating_mul(128));
                    if have > max_point {
                        return Err(RawError::Data {
                            path: self.file.path.clone(),
                            plot: info.index,
                            offset: cur.base,
                            message: format!(
                                "point {} takes more than {max_point} bytes of text",
                                self.next + got as u64
                            ),
                        });
                    }
                    let file_pos = cur.base + have as u64;
                    let room = window.max(have * 2).max(4096);
                    let left = cur.end.saturating_sub(file_pos) as usize;
                    let take = left.min(room);
                    cur.buf.resize(have + take, 0);
                    self.file.read_at(file_pos, &mut cur.buf[have..])?;
                    cur.eof = take == left;
                }
            }
        }
        Ok(got)
    }
}

/// Decodes `n` values of type `t` at byte `o` of each `stride`-byte record into `col`.
fn decode_strided(
    buf: &[u8],
    bytes: usize,
    o: usize,
    stride: usize,
    t: ValueType,
    n: usize,
    col: &mut Column,
) {
    let recs = buf[..bytes].chunks_exact(stride).take(n);
    let f64_at = |r: &[u8], k: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&r[k..k + 8]);
        f64::from_le_bytes(a)
    };
    let f32_at = |r: &[u8], k: usize| {
        let mut a = [0u8; 4];
        a.copy_from_slice(&r[k..k + 4]);
        f32::from_le_bytes(a)
    };
    match (t, col) {
        (ValueType::F64, Column::F64(v)) => v.extend(recs.map(|r| f64_at(r, o))),
        (ValueType::F32, Column::F32(v)) => v.extend(recs.map(|r| f32_at(r, o))),
        // the scale of a complex plot stored as a pair: keep the real part
        (ValueType::C64, Column::F64(v)) => v.extend(recs.map(|r| f64_at(r, o))),
        (ValueType::C64, Column::C64(v)) => v.extend(recs.map(|r| Complex64 {
            re: f64_at(r, o),
            im: f64_at(r, o + 8),
        })),
        (ValueType::C32, Column::C32(v)) => v.extend(recs.map(|r| waveform::Complex32 {
            re: f32_at(r, o),
            im: f32_at(r, o + 4),
        })),
        (ValueType::F64, Column::C64(v)) => v.extend(recs.map(|r| Complex64 {
            re: f64_at(r, o),
            im: 0.0,
        })),
        _ => {}
    }
}

impl Iterator for Chunks<'_> {
    type Item = Result<Chunk, RawError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut c = Chunk::default();
        match self.fill(&mut c) {
            Ok(true) => Some(Ok(c)),
            Ok(false) => None,
            Err(e) => {
                // stop after an error
                self.next = self.end;
                Some(Err(e))
            }
        }
    }
}
