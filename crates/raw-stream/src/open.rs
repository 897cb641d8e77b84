//! Opening a RAW file: every plot header parsed, each plot's data located
//! and checked against the bytes really there. No data are decoded here.

use crate::ascii::{self, PointShape, Scanned, Scanner};
use crate::error::{RawError, Warning};
use crate::header::{self, exposed_type, HeaderProblem, Layout, ParsedHeader, MAX_HEADER_BYTES};
use crate::plot::PlotRef;
use crate::source::{BytesSource, FileSource, OpenError, Source};
use crate::stream::{Compression, StreamSource};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use waveform::stats::StoredReal;
use waveform::{Dialect, Encoding, PlotHeader, SimResult, Steps, ValueType};

/// The most steps a stepped plot may have (its step index is held in memory).
pub const MAX_STEPS: usize = 1 << 22;

/// The dialect reason when [`OpenOptions::dialect`] is set.
const FORCED: &str = "forced by the caller";

/// Default size of the window through which data are read (bytes).
pub const DEFAULT_WINDOW: usize = 1 << 20;

/// Default bytes of ASCII text between two checkpoints (where reading may start).
pub const DEFAULT_CHECKPOINT_BYTES: u64 = 1 << 20;

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
    /// ASCII plots: bytes of text between two checkpoints, the places where
    /// a reader of a point range or a partition may start parsing (at most
    /// 4096 are kept per plot; the spacing grows for larger plots).
    pub checkpoint_bytes: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            dialect: None,
            strict: false,
            window_bytes: DEFAULT_WINDOW,
            read_log: true,
            checkpoint_bytes: DEFAULT_CHECKPOINT_BYTES,
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
    /// Column-major binary plots: file offset of each variable's column.
    pub(crate) column_offsets: Vec<u64>,
    /// ASCII plots: how a point is written.
    pub(crate) shape: PointShape,
    /// ASCII plots: (byte offset, point index) where reading may start.
    pub(crate) checkpoints: Vec<(u64, u64)>,
}

impl PlotInfo {
    /// Whether the time scale is stored signed and read as its absolute
    /// value (LTspice transients): then the stored bytes of the scale are not
    /// the values the reader yields.
    pub fn abs_scale(&self, dialect: Dialect) -> bool {
        dialect == Dialect::Ltspice
            && self.header.variables.first().map(|v| &v.kind) == Some(&waveform::VarKind::Time)
    }

    /// True when the plot is point-major binary and its stored bytes are the
    /// values the reader yields (every stored type is the yielded type and
    /// no scale is read as its absolute value), so that a consumer may work
    /// on [`crate::Chunks::next_rows`] directly.
    pub fn stored_as_yielded(&self, dialect: Dialect) -> bool {
        self.encoding == Encoding::Binary
            && !self.layout.column_major
            && self.layout.stored == self.types
            && !self.abs_scale(dialect)
    }

    /// How the stored values of a real binary plot can be folded straight
    /// from the bytes, without decoding them into columns: the stored type
    /// of each variable (a time scale read as its absolute value is
    /// [`StoredReal::AbsF64`], see [`PlotInfo::abs_scale`]) and whether the
    /// values lie point by point ([`crate::Chunks::next_rows`]) or column by
    /// column ([`crate::Chunks::next_columns`]). `None` for ASCII plots and
    /// for plots with a complex stored value (decode those into columns).
    pub fn stored_reals(&self, dialect: Dialect) -> Option<StoredReals> {
        if self.encoding != Encoding::Binary || self.layout.stored != self.types {
            return None;
        }
        let abs = self.abs_scale(dialect);
        let types = self
            .layout
            .stored
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                ValueType::F64 if i == 0 && abs => Some(StoredReal::AbsF64),
                ValueType::F64 => Some(StoredReal::F64),
                ValueType::F32 => Some(StoredReal::F32),
                ValueType::C64 | ValueType::C32 => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(StoredReals {
            types,
            column_major: self.layout.column_major,
        })
    }

    /// Where an ASCII reader for the points from `point` on may start:
    /// the last checkpoint at or before it (byte offset, point index).
    pub(crate) fn ascii_start(&self, point: u64) -> (u64, u64) {
        let k = self.checkpoints.partition_point(|&(_, p)| p <= point);
        match k {
            0 => (self.data_offset, 0),
            _ => self.checkpoints[k - 1],
        }
    }
}

/// The stored layout of a real binary plot (see [`PlotInfo::stored_reals`]),
/// as [`waveform::stats::StoredFold`] folds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReals {
    /// The stored type of each variable, as the reader yields it.
    pub types: Vec<StoredReal>,
    /// Variable-major (`fastaccess`): each variable's values lie together.
    pub column_major: bool,
}

/// An open RAW file: every plot header parsed, no data read yet.
///
/// Cloning is cheap (the state is shared behind an `Arc`), and the file and
/// every handle made from it ([`PlotRef`], [`crate::Chunks`]) own what they
/// need: they can be sent to other threads, kept in a pool job or held by a
/// Python object.
#[derive(Debug, Clone)]
pub struct RawFile {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub path: PathBuf,
    pub source: Box<dyn Source>,
    pub size: u64,
    pub dialect: Dialect,
    /// Why the dialect is what it is (the signs of the header, or forced).
    pub dialect_reason: String,
    pub utf16: bool,
    pub plots: Vec<PlotInfo>,
    pub warnings: Vec<Warning>,
    pub options: OpenOptions,
    /// The step index of each plot, computed on first use.
    pub steps: Vec<OnceLock<Arc<Steps>>>,
    /// Whether `path` is a file on disk (its `.log` can be looked for).
    pub on_disk: bool,
}

impl Inner {
    pub(crate) fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), RawError> {
        self.source
            .read_exact_at(buf, offset)
            .map_err(|e| RawError::io(&self.path, e))
    }

    pub(crate) fn data_err(&self, plot: usize, offset: u64, message: String) -> RawError {
        RawError::Data {
            path: self.path.clone(),
            plot,
            offset,
            message,
        }
    }
}

impl RawFile {
    /// Opens a RAW file with default options (dialect detected, lenient).
    pub fn open(path: impl AsRef<Path>) -> Result<RawFile, RawError> {
        RawFile::open_with(path, &OpenOptions::default())
    }

    /// Opens a RAW file: parses every plot header and checks the data sizes.
    /// Only regular files are read: a FIFO, a device or a directory is
    /// refused at once, with words that say what it is.
    pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<RawFile, RawError> {
        let path = path.as_ref().to_path_buf();
        let source = FileSource::open(&path).map_err(|e| match e {
            OpenError::Io(e) => RawError::io(&path, e),
            OpenError::NotRegular(what) => RawError::NotRegular {
                path: path.clone(),
                what,
            },
        })?;
        let compression = Compression::of_file(&path).map_err(|e| RawError::io(&path, e))?;
        let Some(format) = compression else {
            return RawFile::from_source(path, Box::new(source), true, options);
        };
        drop(source);
        let stream = StreamSource::open(&path, format).map_err(|e| RawError::Compressed {
            path: path.clone(),
            format: format.name(),
            offset: e.offset,
            source: e.source,
        })?;
        let raw = RawFile::from_source(path.clone(), Box::new(stream), true, options)?;
        if let Some(p) = raw.plots().iter().find(|p| p.layout.column_major) {
            return Err(RawError::NeedsRandomAccess {
                path,
                plot: p.index,
                format: format.name(),
                what: "variable-major ('fastaccess') data".into(),
                hint: format.decompress_hint(),
            });
        }
        Ok(raw)
    }

    /// Opens RAW bytes held in memory. `name` stands for the file in errors
    /// and warnings; no companion `.log` is read.
    pub fn from_bytes(
        name: impl Into<PathBuf>,
        bytes: impl Into<Arc<[u8]>>,
        options: &OpenOptions,
    ) -> Result<RawFile, RawError> {
        let source = BytesSource::new(bytes);
        RawFile::from_source(name.into(), Box::new(source), false, options)
    }

    /// Opens RAW data from any positioned-read [`Source`]. `name` stands for
    /// it in errors; `on_disk` says whether `name` is a real path beside
    /// which a companion `.log` may be found.
    pub fn from_source(
        name: PathBuf,
        source: Box<dyn Source>,
        on_disk: bool,
        options: &OpenOptions,
    ) -> Result<RawFile, RawError> {
        let mut options = options.clone();
        options.window_bytes = options.window_bytes.clamp(64 << 10, 1 << 30);
        let size = source.len();
        let mut inner = Inner {
            path: name,
            source,
            size,
            dialect: options.dialect.unwrap_or_default(),
            dialect_reason: String::from(FORCED),
            utf16: false,
            plots: Vec::new(),
            warnings: Vec::new(),
            options,
            steps: Vec::new(),
            on_disk,
        };
        Scan { f: &mut inner }.plots()?;
        inner.steps = inner.plots.iter().map(|_| OnceLock::new()).collect();
        Ok(RawFile {
            inner: Arc::new(inner),
        })
    }

    /// The file's path (or the name given to [`RawFile::from_bytes`]).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.inner.size
    }

    /// The dialect (detected or forced).
    pub fn dialect(&self) -> Dialect {
        self.inner.dialect
    }

    /// Why the reader took the file for its dialect: the signs of the first
    /// header it used (`"Command: line names LTspice"`, `"UTF-16 header
    /// (LTspice)"`, `"no Command: line; upper-case names (V(OUT),
    /// VIN#branch), ... of Xyce"`), or `"forced by the caller"` when
    /// [`OpenOptions::dialect`] was set.
    pub fn dialect_reason(&self) -> &str {
        &self.inner.dialect_reason
    }

    /// `Some("gzip")` or `Some("zstd")` when the file is compressed and read
    /// with streaming decompression: read it in file order, from one thread
    /// (a read behind the last few MiB decodes the stream again from its start).
    pub fn compression(&self) -> Option<&'static str> {
        self.inner.source.sequential()
    }

    /// True when the headers are UTF-16LE text.
    pub fn utf16(&self) -> bool {
        self.inner.utf16
    }

    /// The encoding of the first plot's data.
    pub fn encoding(&self) -> Encoding {
        self.inner
            .plots
            .first()
            .map(|p| p.encoding)
            .unwrap_or_default()
    }

    /// Every plot, in file order.
    pub fn plots(&self) -> &[PlotInfo] {
        &self.inner.plots
    }

    /// Warnings found while opening (files cut short, trailing junk).
    pub fn warnings(&self) -> &[Warning] {
        &self.inner.warnings
    }

    /// The options the file was opened with.
    pub fn options(&self) -> &OpenOptions {
        &self.inner.options
    }

    /// A handle on plot `index` (it keeps the file open for as long as it lives).
    pub fn plot(&self, index: usize) -> Result<PlotRef, RawError> {
        if index < self.inner.plots.len() {
            Ok(PlotRef::new(self.clone(), index))
        } else {
            Err(RawError::NoSuchPlot {
                path: self.inner.path.clone(),
                plot: index,
                count: self.inner.plots.len(),
            })
        }
    }

    /// Reads every plot into memory. Only for files you know to be small.
    pub fn read_all(&self) -> Result<SimResult, RawError> {
        let plots = (0..self.inner.plots.len())
            .map(|i| self.plot(i)?.read())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SimResult {
            dialect: self.inner.dialect,
            encoding: self.encoding(),
            plots,
        })
    }
}

/// The work of opening: walks the file plot by plot.
struct Scan<'a> {
    f: &'a mut Inner,
}

impl Scan<'_> {
    fn header_err(&self, plot: usize, offset: u64, message: String) -> RawError {
        RawError::Header {
            path: self.f.path.clone(),
            plot,
            offset,
            message,
        }
    }

    fn warn(&mut self, plot: Option<usize>, offset: u64, message: String) {
        let w = Warning {
            path: self.f.path.clone(),
            plot,
            offset,
            message,
        };
        tracing::warn!("{w}");
        self.f.warnings.push(w);
    }

    /// Skips whitespace (and UTF-16 zero bytes) between plots; returns the next offset.
    fn skip_gap(&self, mut pos: u64) -> Result<u64, RawError> {
        let mut buf = [0u8; 256];
        let size = self.f.size;
        while pos < size {
            let n = (size - pos).min(buf.len() as u64) as usize;
            self.f.read_at(pos, &mut buf[..n])?;
            match buf[..n]
                .iter()
                .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0))
            {
                Some(i) => return Ok(pos + i as u64),
                None => pos += n as u64,
            }
        }
        Ok(size)
    }

    /// Reads the header at `pos`, growing the buffer until its marker line is in it.
    fn read_header(&self, pos: u64) -> Result<ParsedHeader, (usize, String)> {
        let size = self.f.size;
        let mut want = 8 << 10;
        loop {
            let n = (size - pos).min(want as u64) as usize;
            let mut buf = vec![0u8; n];
            self.f
                .read_at(pos, &mut buf)
                .map_err(|e| (0, e.to_string()))?;
            let at_end = pos + n as u64 >= size;
            match header::parse_header(&buf, self.f.plots.last().map(|p| &p.header)) {
                Ok(p) => return Ok(p),
                Err(HeaderProblem::NeedMore) if !at_end && want < MAX_HEADER_BYTES => {
                    want = (want * 4).min(MAX_HEADER_BYTES);
                }
                Err(HeaderProblem::NeedMore) => {
                    return Err((
                        0,
                        format!("no 'Binary:' or 'Values:' line in the {n} bytes of header text"),
                    ))
                }
                Err(HeaderProblem::Bad(off, msg)) => return Err((off, msg)),
            }
        }
    }

    fn plots(&mut self) -> Result<(), RawError> {
        let mut pos = 0u64;
        loop {
            let index = self.f.plots.len();
            if index > 0 {
                pos = self.skip_gap(pos)?;
            }
            if pos >= self.f.size {
                break;
            }
            let parsed = match self.read_header(pos) {
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
                            self.f.size - pos
                        ),
                    );
                    break;
                }
            };
            if index == 0 {
                self.f.utf16 = parsed.utf16;
                if self.f.options.dialect.is_none() {
                    (self.f.dialect, self.f.dialect_reason) = header::detect_dialect(&parsed);
                }
            }
            let (info, next) = match parsed.encoding {
                Encoding::Binary => self.binary_plot(index, pos, &parsed)?,
                Encoding::Ascii => self.ascii_plot(index, pos, &parsed)?,
            };
            pos = next;
            self.f.plots.push(info);
        }
        if self.f.plots.is_empty() {
            return Err(self.header_err(0, 0, "empty file: no plot".into()));
        }
        Ok(())
    }

    fn new_info(&self, index: usize, pos: u64, parsed: &ParsedHeader, layout: Layout) -> PlotInfo {
        let h = &parsed.header;
        let types: Vec<ValueType> = layout
            .stored
            .iter()
            .enumerate()
            .map(|(i, &t)| exposed_type(i, t, h.flags.complex))
            .collect();
        let data_offset = pos + parsed.data_rel as u64;
        PlotInfo {
            index,
            encoding: parsed.encoding,
            header_offset: pos,
            data_offset,
            data_end: data_offset,
            layout,
            types,
            complete_points: 0,
            truncated: false,
            header: h.clone(),
            column_offsets: Vec::new(),
            shape: PointShape {
                n_vars: h.variables.len(),
                complex: h.flags.complex,
                real_scale: h.flags.complex && self.f.dialect == Dialect::Qspice,
            },
            checkpoints: Vec::new(),
        }
    }

    /// A binary plot: its extent from the header, checked against the file size.
    /// Returns the plot and the offset where the next one may start.
    fn binary_plot(
        &mut self,
        index: usize,
        pos: u64,
        parsed: &ParsedHeader,
    ) -> Result<(PlotInfo, u64), RawError> {
        let layout = Layout::binary(self.f.dialect, &parsed.header);
        let mut info = self.new_info(index, pos, parsed, layout);
        let n = parsed.header.n_points;
        let points_line = pos + parsed.points_line as u64;
        let overflow = |what: &str| {
            self.header_err(
                index,
                points_line,
                format!("'No. Points: {n}' x {what} overflows the file offsets"),
            )
        };
        let stride = info.layout.stride;
        let declared = n
            .checked_mul(stride)
            .ok_or_else(|| overflow(&format!("{stride} bytes per point")))?;
        let next = info
            .data_offset
            .checked_add(declared)
            .ok_or_else(|| overflow(&format!("{stride} bytes per point")))?;
        if info.layout.column_major {
            // next = data_offset + n * stride bounds every column offset
            let mut off = info.data_offset;
            for t in &info.layout.stored {
                info.column_offsets.push(off);
                off += n * t.size() as u64;
            }
        }
        let size = self.f.size;
        let avail = size.saturating_sub(info.data_offset);
        if declared <= avail {
            info.complete_points = n;
            info.data_end = next;
            return Ok((info, next));
        }
        let complete = complete_binary_points(&info.layout, n, avail);
        info.complete_points = complete;
        info.truncated = true;
        info.data_end = size;
        let msg_point = if info.layout.column_major {
            complete
        } else {
            avail / stride.max(1)
        };
        if self.f.options.strict {
            return Err(RawError::Truncated {
                path: self.f.path.clone(),
                plot: index,
                end: size,
                point: msg_point,
                expected: next,
                declared: n,
            });
        }
        self.warn(
            Some(index),
            size,
            format!(
                "data end at byte {size} inside point {msg_point} (expected {next} bytes for {n} points, \
                 as declared by 'No. Points' at byte {points_line}); the {complete} complete points are readable"
            ),
        );
        Ok((info, size))
    }

    /// An ASCII plot: scanned to its end (the next header or the end of the
    /// file) with the one scanner whose count the parser follows.
    fn ascii_plot(
        &mut self,
        index: usize,
        pos: u64,
        parsed: &ParsedHeader,
    ) -> Result<(PlotInfo, u64), RawError> {
        let mut info = self.new_info(index, pos, parsed, Layout::ascii(&parsed.header));
        let n = parsed.header.n_points;
        let start = info.data_offset;
        let size = self.f.size;
        let window = self.f.options.window_bytes;
        let mut buf = vec![0u8; window.min((size - start) as usize)];
        {
            let k = buf.len().min(4096);
            self.f.read_at(start, &mut buf[..k])?;
            if let Err((off, msg)) = ascii::check_start(&buf[..k]) {
                return Err(self.f.data_err(index, start + off as u64, msg));
            }
        }
        let mut sc = Scanner::new(&info.shape, self.f.options.checkpoint_bytes);
        let mut at = start;
        let (end, points) = loop {
            let k = (size - at).min(buf.len() as u64) as usize;
            self.f.read_at(at, &mut buf[..k])?;
            let eof = at + k as u64 >= size;
            match sc.feed(&buf[..k], at, eof) {
                Scanned::HeaderAt(i) => break (at + i as u64, sc.points(false, n, |_| true)),
                Scanned::Upto(used) if eof => {
                    // the last token, cut by the end of the file: is it still a number?
                    let is_number = |from: u64| {
                        let len = size.saturating_sub(from);
                        let mut tok = vec![0u8; len.min(4096) as usize];
                        len <= 4096
                            && self.f.read_at(from, &mut tok).is_ok()
                            && ascii::is_number(&tok)
                    };
                    break (at + used as u64, sc.points(true, n, is_number));
                }
                // a buffer of at least 64 KiB always makes progress
                Scanned::Upto(used) => at += used as u64,
            }
        };
        info.data_end = end;
        info.complete_points = points.min(n);
        info.truncated = points < n;
        info.checkpoints = sc.checkpoints;
        info.checkpoints.retain(|&(_, p)| p < info.complete_points);
        if points < n {
            let message = format!(
                "ASCII data end at byte {end} after {points} of the {n} points declared by \
                 'No. Points' at byte {}",
                pos + parsed.points_line as u64
            );
            if self.f.options.strict {
                return Err(self.f.data_err(index, end, message));
            }
            self.warn(Some(index), end, message);
        }
        Ok((info, end))
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
