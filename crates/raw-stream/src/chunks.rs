//! Chunk iterators: a run of points at a time, decoded into columns or
//! handed over as the stored bytes, through a bounded window.

use crate::ascii::{self, Step};
use crate::error::RawError;
use crate::open::{Inner, PlotInfo, RawFile};
use std::ops::Range;
use std::sync::Arc;
use waveform::{Column, Complex32, Complex64, Encoding, ValueType};

/// The stored bytes of a run of whole points (see [`Chunks::next_rows`]).
#[derive(Debug, Clone, Copy)]
pub struct Rows<'b> {
    /// Index of the first point.
    pub start: u64,
    /// Number of points.
    pub len: usize,
    /// The step of the first point (every point's with
    /// [`crate::ChunkOptions::split_steps`]; otherwise 0), as [`Chunk::step`].
    pub step: usize,
    /// `len` points of `layout.stride` bytes each.
    pub bytes: &'b [u8],
}

/// The stored bytes of a run of points of a variable-major plot, one slice
/// per variable (see [`Chunks::next_columns`]).
#[derive(Debug, Clone, Copy)]
pub struct Columns<'b> {
    /// Index of the first point.
    pub start: u64,
    /// Number of points.
    pub len: usize,
    /// The step of the first point, as [`Rows::step`].
    pub step: usize,
    bytes: &'b [u8],
    spans: &'b [Range<usize>],
}

impl<'b> Columns<'b> {
    /// The stored bytes of variable `j` for these points (`len` values of
    /// its stored type); empty when it was not selected.
    pub fn column(&self, j: usize) -> &'b [u8] {
        self.spans
            .get(j)
            .and_then(|r| self.bytes.get(r.clone()))
            .unwrap_or(&[])
    }

    /// Every variable's bytes, in variable order (as [`Columns::column`]).
    pub fn all(&self) -> Vec<&'b [u8]> {
        (0..self.spans.len()).map(|j| self.column(j)).collect()
    }
}

/// A run of consecutive points of one plot, one column per variable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chunk {
    /// Index of the first point (within the plot).
    pub start: u64,
    /// Number of points.
    pub len: usize,
    /// The step the chunk's first point belongs to. With
    /// [`crate::ChunkOptions::split_steps`] every point of the chunk does;
    /// otherwise it is 0.
    pub step: usize,
    /// One column per variable (empty for variables not selected).
    pub columns: Vec<Column>,
}

/// The chunk iterator of [`crate::PlotRef::chunks`] and its relatives.
///
/// It owns a share of the file, so it can be moved to another thread.
/// [`Chunks::fill`] reuses a chunk's buffers (the fast way); the `Iterator`
/// impl allocates a new chunk each time.
#[derive(Debug)]
pub struct Chunks {
    inner: Arc<Inner>,
    plot: usize,
    next: u64,
    end: u64,
    per_chunk: usize,
    selected: Vec<bool>,
    buf: Vec<u8>,
    /// Column-major plots: where each variable's bytes lie in `buf`.
    spans: Vec<Range<usize>>,
    ascii: Option<AsciiCursor>,
    abs_time: bool,
    /// Step starts, when chunks stop at step boundaries.
    steps: Option<Vec<u64>>,
}

#[derive(Debug)]
struct AsciiCursor {
    /// File offset of `buf[0]`.
    base: u64,
    /// File offset where the plot's text ends.
    end: u64,
    buf: Vec<u8>,
    at: usize,
    eof: bool,
    /// Points still to parse and drop before the first one yielded.
    skip: u64,
    vals: Vec<(f64, f64)>,
}

impl Chunks {
    pub(crate) fn new(
        file: RawFile,
        plot: usize,
        range: Range<u64>,
        points: usize,
        vars: Option<Vec<usize>>,
        steps: Option<Vec<u64>>,
    ) -> Chunks {
        let inner = file.inner;
        let info = &inner.plots[plot];
        let window = inner.options.window_bytes as u64;
        let on = |j: usize| vars.as_ref().is_none_or(|v| v.contains(&j));
        let per_point = match info.encoding {
            // the selected columns' bytes of a chunk fit the window
            Encoding::Binary if info.layout.column_major => info
                .layout
                .stored
                .iter()
                .enumerate()
                .filter(|&(j, _)| on(j))
                .map(|(_, t)| t.size() as u64)
                .sum::<u64>()
                .max(1),
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
        let points = if points == 0 { usize::MAX } else { points };
        let per_chunk = (points as u64).min(cap).min(u32::MAX as u64) as usize;
        let mut selected = vec![vars.is_none(); info.header.variables.len()];
        for &v in vars.iter().flatten() {
            if let Some(s) = selected.get_mut(v) {
                *s = true;
            }
        }
        let end = range.end.min(info.complete_points);
        let start = range.start.min(end);
        let ascii = (info.encoding == Encoding::Ascii).then(|| {
            let (base, first) = info.ascii_start(start);
            AsciiCursor {
                base,
                end: info.data_end,
                buf: Vec::new(),
                at: 0,
                eof: false,
                skip: start - first,
                vals: Vec::new(),
            }
        });
        let abs_time = info.abs_scale(inner.dialect);
        Chunks {
            plot,
            next: start,
            end,
            per_chunk,
            selected,
            buf: Vec::new(),
            spans: Vec::new(),
            ascii,
            abs_time,
            steps,
            inner,
        }
    }

    fn info(&self) -> &PlotInfo {
        &self.inner.plots[self.plot]
    }

    /// The point range still to be read.
    pub fn remaining(&self) -> Range<u64> {
        self.next..self.end
    }

    /// True when the plot is point-major binary, so that [`Chunks::next_rows`] can be used.
    pub fn has_rows(&self) -> bool {
        let info = self.info();
        info.encoding == Encoding::Binary && !info.layout.column_major
    }

    /// True when the plot is variable-major binary, so that [`Chunks::next_columns`] can be used.
    pub fn has_columns(&self) -> bool {
        let info = self.info();
        info.encoding == Encoding::Binary && info.layout.column_major
    }

    /// Points in the next chunk: at most `per_chunk`, and not past the
    /// current step's end when chunks stop at steps. Returns (points, step).
    fn next_len(&self) -> (usize, usize) {
        let mut n = (self.end - self.next).min(self.per_chunk as u64);
        let mut step = 0;
        if let Some(starts) = &self.steps {
            // the step holding `next`, and where the following one starts
            let k = starts.partition_point(|&s| s <= self.next);
            step = k.saturating_sub(1);
            if let Some(&s) = starts.get(k) {
                n = n.min(s - self.next);
            }
        }
        (n as usize, step)
    }

    /// For point-major binary plots: the stored bytes of the next run of whole
    /// points (first point index, number of points, bytes), undecoded, for
    /// consumers that work on the stored layout ([`PlotInfo::layout`]).
    /// `None` at the end, or when the plot is not point-major binary.
    /// LTspice's negative times are left as stored ([`PlotInfo::abs_scale`]).
    pub fn next_rows(&mut self) -> Result<Option<Rows<'_>>, RawError> {
        if !self.has_rows() || self.next >= self.end {
            return Ok(None);
        }
        let (n, step) = self.next_len();
        let info = &self.inner.plots[self.plot];
        let stride = info.layout.stride as usize;
        let bytes = n * stride;
        self.buf.resize(bytes, 0);
        let off = info.data_offset + self.next * info.layout.stride;
        self.inner.read_at(off, &mut self.buf[..bytes])?;
        let start = self.next;
        self.next += n as u64;
        Ok(Some(Rows {
            start,
            len: n,
            step,
            bytes: &self.buf[..bytes],
        }))
    }

    /// For variable-major binary plots (`fastaccess`): the stored bytes of
    /// the next run of points, one contiguous slice per selected variable,
    /// undecoded, read through one window-sized buffer (the chunks are the
    /// ones [`Chunks::fill`] would decode). `None` at the end, or when the
    /// plot is not variable-major binary. LTspice's negative times are left
    /// as stored ([`PlotInfo::abs_scale`]).
    pub fn next_columns(&mut self) -> Result<Option<Columns<'_>>, RawError> {
        if !self.has_columns() || self.next >= self.end {
            return Ok(None);
        }
        let (n, step) = self.next_len();
        let info = &self.inner.plots[self.plot];
        self.spans.clear();
        let mut total = 0usize;
        for (j, t) in info.layout.stored.iter().enumerate() {
            let len = if self.selected[j] { n * t.size() } else { 0 };
            self.spans.push(total..total + len);
            total += len;
        }
        self.buf.resize(total, 0);
        for ((&t, &col_off), span) in info
            .layout
            .stored
            .iter()
            .zip(&info.column_offsets)
            .zip(&self.spans)
        {
            if !span.is_empty() {
                // col_off + next * size < the column's end, checked at open
                let off = col_off + self.next * t.size() as u64;
                self.inner.read_at(off, &mut self.buf[span.clone()])?;
            }
        }
        let start = self.next;
        self.next += n as u64;
        Ok(Some(Columns {
            start,
            len: n,
            step,
            bytes: &self.buf[..total],
            spans: &self.spans,
        }))
    }

    /// Reads the next chunk into `chunk`, reusing its buffers. Returns false at the end.
    pub fn fill(&mut self, chunk: &mut Chunk) -> Result<bool, RawError> {
        if self.next >= self.end {
            return Ok(false);
        }
        let (n, step) = self.next_len();
        let inner = Arc::clone(&self.inner);
        let info = &inner.plots[self.plot];
        // shape the output columns
        if chunk.columns.len() != info.types.len()
            || chunk
                .columns
                .iter()
                .zip(&info.types)
                .any(|(c, &t)| c.value_type() != t)
        {
            chunk.columns = info
                .types
                .iter()
                .map(|&t| Column::with_capacity(t, 0))
                .collect();
        }
        for c in &mut chunk.columns {
            c.clear();
        }
        chunk.start = self.next;
        chunk.step = step;
        let got = match info.encoding {
            Encoding::Binary => {
                self.fill_binary(&inner, info, chunk, n)?;
                n
            }
            Encoding::Ascii => self.fill_ascii(&inner, info, chunk, n)?,
        };
        if got < n {
            // The points up to `end` were whole when the file was opened:
            // text that ends before them is a file changed since.
            let at = self.ascii.as_ref().map_or(0, |c| c.base + c.at as u64);
            return Err(inner.data_err(
                info.index,
                at,
                format!(
                    "the data ends at point {} of {}: the file changed after it was opened",
                    self.next + got as u64,
                    self.end
                ),
            ));
        }
        chunk.len = got;
        self.next += got as u64;
        if self.abs_time && self.selected[0] {
            if let Column::F64(v) = &mut chunk.columns[0] {
                for x in v.iter_mut() {
                    *x = x.abs();
                }
            }
        }
        Ok(got > 0)
    }

    fn fill_binary(
        &mut self,
        inner: &Inner,
        info: &PlotInfo,
        chunk: &mut Chunk,
        n: usize,
    ) -> Result<(), RawError> {
        let layout = &info.layout;
        let bad = |j: usize| {
            inner.data_err(
                info.index,
                info.data_offset,
                format!("variable {j}: no decoder for its stored type"),
            )
        };
        if layout.column_major {
            for (j, (&t, &col_off)) in layout.stored.iter().zip(&info.column_offsets).enumerate() {
                if !self.selected[j] {
                    continue;
                }
                let sz = t.size();
                let bytes = n * sz;
                self.buf.resize(bytes, 0);
                // col_off + next * sz < the column's end, checked at open
                let off = col_off + self.next * sz as u64;
                inner.read_at(off, &mut self.buf[..bytes])?;
                if !decode_strided(&self.buf[..bytes], 0, sz, t, n, &mut chunk.columns[j]) {
                    return Err(bad(j));
                }
            }
            return Ok(());
        }
        let stride = layout.stride as usize;
        let bytes = n * stride;
        self.buf.resize(bytes, 0);
        let off = info.data_offset + self.next * layout.stride;
        inner.read_at(off, &mut self.buf[..bytes])?;
        let mut o = 0usize;
        for (j, &t) in layout.stored.iter().enumerate() {
            if self.selected[j]
                && !decode_strided(&self.buf[..bytes], o, stride, t, n, &mut chunk.columns[j])
            {
                return Err(bad(j));
            }
            o += t.size();
        }
        Ok(())
    }

    fn fill_ascii(
        &mut self,
        inner: &Inner,
        info: &PlotInfo,
        chunk: &mut Chunk,
        n: usize,
    ) -> Result<usize, RawError> {
        let window = inner.options.window_bytes;
        let Some(cur) = self.ascii.as_mut() else {
            return Ok(0);
        };
        let nv = info.header.variables.len();
        let mut got = 0usize;
        while got < n {
            let step = ascii::parse_point(&cur.buf, cur.at, &info.shape, cur.eof, &mut cur.vals)
                .map_err(|(off, msg)| inner.data_err(info.index, cur.base + off as u64, msg))?;
            match step {
                Step::Done(next) => {
                    cur.at = next;
                    if cur.skip > 0 {
                        cur.skip -= 1;
                        continue;
                    }
                    for ((j, col), &(re, im)) in chunk.columns.iter_mut().enumerate().zip(&cur.vals)
                    {
                        if !self.selected[j] {
                            continue;
                        }
                        match col {
                            Column::F64(v) => v.push(re),
                            Column::C64(v) => v.push(Complex64 { re, im }),
                            Column::F32(v) => v.push(re as f32),
                            Column::C32(v) => v.push(Complex32 {
                                re: re as f32,
                                im: im as f32,
                            }),
                        }
                    }
                    got += 1;
                }
                Step::End => break,
                Step::NeedMore if cur.eof => {
                    tracing::debug!(
                        "{}: plot {}: ASCII data end inside point {}",
                        inner.path.display(),
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
                        return Err(inner.data_err(
                            info.index,
                            cur.base,
                            format!(
                                "point {} takes more than {max_point} bytes of text",
                                self.next + got as u64
                            ),
                        ));
                    }
                    let file_pos = cur.base + have as u64;
                    let room = window.max(have * 2).max(4096);
                    let left = cur.end.saturating_sub(file_pos) as usize;
                    let take = left.min(room);
                    cur.buf.resize(have + take, 0);
                    inner.read_at(file_pos, &mut cur.buf[have..])?;
                    cur.eof = take == left;
                }
            }
        }
        Ok(got)
    }
}

/// Decodes `n` values of type `t` at byte `o` of each `stride`-byte record
/// of `buf` into `col`. False when the pair of stored and column type has
/// no decoder (a bug, reported as an error, never a silent empty column).
pub(crate) fn decode_strided(
    buf: &[u8],
    o: usize,
    stride: usize,
    t: ValueType,
    n: usize,
    col: &mut Column,
) -> bool {
    let recs = buf.chunks_exact(stride).take(n);
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
        (ValueType::C32, Column::C32(v)) => v.extend(recs.map(|r| Complex32 {
            re: f32_at(r, o),
            im: f32_at(r, o + 4),
        })),
        (ValueType::F64, Column::C64(v)) => v.extend(recs.map(|r| Complex64 {
            re: f64_at(r, o),
            im: 0.0,
        })),
        _ => return false,
    }
    true
}

impl Iterator for Chunks {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(values: &[&[u8]]) -> Vec<u8> {
        values.concat()
    }

    #[test]
    fn every_type_pair_decodes_or_fails() {
        let f64b = 1.5f64.to_le_bytes();
        let f64c = (-2.0f64).to_le_bytes();
        let f32b = 0.25f32.to_le_bytes();
        let f32c = 4.0f32.to_le_bytes();
        // two records of [f64 | f32 | c64 | c32]
        let one = rec(&[&f64b, &f32b, &f64b, &f64c, &f32b, &f32c]);
        let buf = [one.clone(), one].concat();
        let stride = 8 + 4 + 16 + 8;
        let mut c = Column::F64(Vec::new());
        assert!(decode_strided(&buf, 0, stride, ValueType::F64, 2, &mut c));
        assert_eq!(c, Column::F64(vec![1.5, 1.5]));
        let mut c = Column::F32(Vec::new());
        assert!(decode_strided(&buf, 8, stride, ValueType::F32, 2, &mut c));
        assert_eq!(c, Column::F32(vec![0.25, 0.25]));
        let mut c = Column::C64(Vec::new());
        assert!(decode_strided(&buf, 12, stride, ValueType::C64, 2, &mut c));
        if let Column::C64(v) = &c {
            assert_eq!(v[1], Complex64 { re: 1.5, im: -2.0 });
        } else {
            panic!("not C64");
        }
        let mut c = Column::F64(Vec::new());
        assert!(decode_strided(&buf, 12, stride, ValueType::C64, 2, &mut c));
        assert_eq!(
            c,
            Column::F64(vec![1.5, 1.5]),
            "complex scale keeps its real part"
        );
        let mut c = Column::C32(Vec::new());
        assert!(decode_strided(&buf, 28, stride, ValueType::C32, 2, &mut c));
        if let Column::C32(v) = &c {
            assert_eq!(v[0], Complex32 { re: 0.25, im: 4.0 });
        } else {
            panic!("not C32");
        }
        let mut c = Column::C64(Vec::new());
        assert!(decode_strided(&buf, 0, stride, ValueType::F64, 2, &mut c));
        if let Column::C64(v) = &c {
            assert_eq!(v[1], Complex64 { re: 1.5, im: 0.0 });
        } else {
            panic!("not C64");
        }
        // pairs with no decoder are refused, not skipped
        let mut c = Column::F32(Vec::new());
        assert!(!decode_strided(&buf, 0, stride, ValueType::F64, 2, &mut c));
        let mut c = Column::F64(Vec::new());
        assert!(!decode_strided(&buf, 8, stride, ValueType::F32, 2, &mut c));
    }
}
