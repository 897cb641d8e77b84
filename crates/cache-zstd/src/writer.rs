//! [`EntryWriter`]: writes an entry to any `io::Write` while its points
//! stream in, holding one block.

use crate::block::{encode_block, ColRef};
use crate::codec::Codec;
use crate::error::{CacheError, Result};
use crate::integrity::{block_tagger, Tagger};
use crate::job::JobMeta;
use crate::key::check_key;
use crate::options::{
    EncodeOptions, FLAG_HMAC, FLAG_LOSSY, FORMAT_VERSION, HEAD_LEN, MAGIC, MAX_BLOCK_BYTES,
    MAX_FOOTER_BYTES,
};
use crate::tlv::{put_varint, RecordWriter};
use crate::wire::{self, BlockRef};
use std::io::Write;
use waveform::{Column, Dialect, Encoding, Plot, PlotHeader, Steps, ValueType};

/// The key named in errors raised before [`EntryWriter::finish`] is given one.
const UNKEYED: &str = "(entry being written)";

/// Footers at least this long are stored zstd-compressed when that saves
/// a tenth. Smaller ones stay plain: decompressing a few KB costs more
/// than decoding a small entry's columns (71 variable names: 3 KB).
const COMPRESS_FOOTER_FROM: usize = 16 << 10;

/// The plot being written.
#[derive(Debug)]
struct OpenPlot {
    index: usize,
    types: Vec<ValueType>,
    scale: bool,
    block_points: usize,
    /// Points not yet in a block.
    buffer: Vec<Column>,
    buffered: usize,
    /// Points written, buffered ones included.
    points: u64,
    /// The plot record's fields so far (header and types).
    record: RecordWriter,
}

/// Writes an entry (format v4) to `W` while the result streams in: plot
/// after plot, [`write_columns`](EntryWriter::write_columns) with chunks
/// of any length, then [`finish`](EntryWriter::finish) with the key and
/// the job's metadata (both may be known only at the end: the footer comes
/// last). Memory: one block of points (`EncodeOptions::block_bytes`) and
/// the footer, never the result.
///
/// ```
/// use cache_zstd::{decode_entry, key_of, EncodeOptions, EntryWriter, JobMeta};
/// use waveform::{Column, Dialect, Encoding, PlotHeader, Steps, ValueType, Variable};
///
/// let header = PlotHeader {
///     plotname: "Transient Analysis".into(),
///     n_points: 1000,
///     variables: vec![Variable::new(0, "time", "time"), Variable::new(1, "v(out)", "voltage")],
///     ..PlotHeader::default()
/// };
/// let mut w = EntryWriter::new(Vec::new(), &EncodeOptions::default(), Dialect::Ngspice, Encoding::Binary)?;
/// w.begin_plot(&header, &[ValueType::F64, ValueType::F64])?;
/// for k in 0..10 {
///     let t: Vec<f64> = (k * 100..(k + 1) * 100).map(|i| i as f64 * 1e-9).collect();
///     let v: Vec<f64> = t.iter().map(|t| (t * 1e7).sin()).collect();
///     w.write_columns(&[Column::F64(t), Column::F64(v)])?;
/// }
/// w.end_plot(&Steps::single(1000))?;
/// let key = key_of(b"job 1");
/// let bytes = w.finish(&key, &JobMeta::default())?;
/// let back = decode_entry(&bytes, &key, None)?;
/// assert_eq!(back.result.plots[0].columns[1].get_f64(999), Some((999e-9f64 * 1e7).sin()));
/// # Ok::<(), cache_zstd::CacheError>(())
/// ```
#[derive(Debug)]
pub struct EntryWriter<W: Write> {
    out: W,
    opts: EncodeOptions,
    dialect: Dialect,
    encoding: Encoding,
    head: [u8; HEAD_LEN],
    written: u64,
    footer: RecordWriter,
    plots: usize,
    plot: Option<OpenPlot>,
    codecs: Vec<Vec<Codec>>,
    failed: bool,
}

fn enc(what: String) -> CacheError {
    CacheError::Encode {
        key: UNKEYED.to_string(),
        what,
    }
}

fn io_err(e: std::io::Error) -> CacheError {
    CacheError::WriteEntry { source: e }
}

impl<W: Write> EntryWriter<W> {
    /// Checks `opts` and writes the head of an entry of a result read from
    /// a file of `dialect` and `encoding`.
    pub fn new(
        mut out: W,
        opts: &EncodeOptions,
        dialect: Dialect,
        encoding: Encoding,
    ) -> Result<EntryWriter<W>> {
        opts.validate()?;
        let mut flags = 0u16;
        if opts.secret.is_some() {
            flags |= FLAG_HMAC;
        }
        if opts.precision.is_some() {
            flags |= FLAG_LOSSY;
        }
        let mut head = [0u8; HEAD_LEN];
        head[..4].copy_from_slice(MAGIC);
        head[4..6].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        head[6..8].copy_from_slice(&flags.to_le_bytes());
        out.write_all(&head).map_err(io_err)?;
        Ok(EntryWriter {
            out,
            opts: opts.clone(),
            dialect,
            encoding,
            head,
            written: HEAD_LEN as u64,
            footer: RecordWriter::new(),
            plots: 0,
            plot: None,
            codecs: Vec::new(),
            failed: false,
        })
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// The codec of each column of each finished block, per plot (for reports).
    pub fn codecs(&self) -> &[Vec<Codec>] {
        &self.codecs
    }

    fn check_ok(&self) -> Result<()> {
        if self.failed {
            return Err(enc("an earlier error left this entry unfinished".into()));
        }
        Ok(())
    }

    /// Begins the next plot: its header and the stored type of each of its
    /// columns (one per variable).
    pub fn begin_plot(&mut self, header: &PlotHeader, types: &[ValueType]) -> Result<()> {
        self.check_ok()?;
        if self.plot.is_some() {
            return Err(enc("begin_plot before end_plot of the previous plot".into()));
        }
        let index = self.plots;
        if types.len() != header.variables.len() {
            return Err(enc(format!(
                "plot {index}: {} column types for {} variables",
                types.len(),
                header.variables.len()
            )));
        }
        let point_bytes: usize = types.iter().map(|t| t.size()).sum();
        if point_bytes > MAX_BLOCK_BYTES {
            return Err(enc(format!(
                "plot {index}: a point of {point_bytes} bytes is over the block limit of {MAX_BLOCK_BYTES}"
            )));
        }
        let block_points = (self.opts.block_bytes / point_bytes.max(1)).max(1);
        let mut record = RecordWriter::new();
        wire::plot_head_fields(&mut record, header, types);
        self.plot = Some(OpenPlot {
            index,
            types: types.to_vec(),
            scale: header.has_scale(),
            block_points,
            buffer: types.iter().map(|&t| Column::with_capacity(t, 0)).collect(),
            buffered: 0,
            points: 0,
            record,
        });
        self.codecs.push(Vec::new());
        Ok(())
    }

    /// Appends points to the plot begun: one column per variable, all of
    /// the same length and of the types given to `begin_plot`.
    pub fn write_columns(&mut self, columns: &[Column]) -> Result<()> {
        self.check_ok()?;
        let r = self.write_columns_inner(columns, false);
        self.failed |= r.is_err();
        r
    }

    /// `ends_plot`: no more points follow in this plot, so a last partial
    /// block is coded straight from `columns` too (no copy into the
    /// buffer; the same block as a flush at `end_plot` would code).
    fn write_columns_inner(&mut self, columns: &[Column], ends_plot: bool) -> Result<()> {
        let Some(p) = self.plot.as_ref() else {
            return Err(enc("write_columns outside a plot".into()));
        };
        if columns.len() != p.types.len() {
            return Err(enc(format!(
                "plot {}: {} columns for {} variables",
                p.index,
                columns.len(),
                p.types.len()
            )));
        }
        for (ci, (c, &t)) in columns.iter().zip(&p.types).enumerate() {
            if c.value_type() != t {
                return Err(enc(format!(
                    "plot {} column {ci}: {:?} values for a {t:?} column",
                    p.index,
                    c.value_type()
                )));
            }
        }
        let n = columns.first().map(Column::len).unwrap_or(0);
        if let Some((ci, c)) = columns.iter().enumerate().find(|(_, c)| c.len() != n) {
            return Err(enc(format!(
                "plot {} column {ci}: {} values, column 0 has {n}",
                p.index,
                c.len()
            )));
        }
        let bp = p.block_points;
        let mut at = 0usize;
        while at < n {
            let buffered = self.plot.as_ref().map(|p| p.buffered).unwrap_or(0);
            if buffered == 0 && (n - at >= bp || ends_plot) {
                // A whole block (or the plot's last) straight from the
                // input: no copy.
                let take = bp.min(n - at);
                let views: Vec<ColRef<'_>> = columns
                    .iter()
                    .map(|c| ColRef::of(c, at..at + take))
                    .collect();
                self.emit(&views, take)?;
                at += take;
                continue;
            }
            let take = (bp - buffered).min(n - at);
            if let Some(p) = self.plot.as_mut() {
                for (b, c) in p.buffer.iter_mut().zip(columns) {
                    extend_range(b, c, at..at + take)?;
                }
                p.buffered += take;
            }
            at += take;
            if buffered + take == bp {
                self.flush_buffer()?;
            }
        }
        if let Some(p) = self.plot.as_mut() {
            p.points += n as u64;
        }
        Ok(())
    }

    fn flush_buffer(&mut self) -> Result<()> {
        let Some(mut p) = self.plot.take() else {
            return Ok(());
        };
        let n = p.buffered;
        let r = if n == 0 {
            Ok(())
        } else {
            let views: Vec<ColRef<'_>> = p.buffer.iter().map(|c| ColRef::of(c, 0..n)).collect();
            let r = self.emit_for(&p, &views, n);
            p.buffer.iter_mut().for_each(Column::clear);
            p.buffered = 0;
            r
        };
        self.plot = Some(p);
        r
    }

    fn emit(&mut self, views: &[ColRef<'_>], points: usize) -> Result<()> {
        let Some(p) = self.plot.take() else {
            return Ok(());
        };
        let r = self.emit_for(&p, views, points);
        self.plot = Some(p);
        r
    }

    /// Encodes one block, writes it, and records it in the footer's index.
    fn emit_for(&mut self, p: &OpenPlot, views: &[ColRef<'_>], points: usize) -> Result<()> {
        let block = encode_block(views, p.scale, &self.opts)
            .map_err(|e| enc(format!("plot {}: {e}", p.index)))?;
        let mut t = block_tagger(self.opts.secret.as_ref());
        t.update(&block.bytes);
        let r = BlockRef {
            plot: p.index,
            points: points as u64,
            len: block.bytes.len() as u64,
            tag: t.finish(),
        };
        self.out.write_all(&block.bytes).map_err(io_err)?;
        self.written += r.len;
        self.footer.record(7, &wire::block_ref_record(&r));
        if let Some(c) = self.codecs.last_mut() {
            c.extend(block.codecs);
        }
        Ok(())
    }

    /// Ends the plot begun, with its step index (its starts must not
    /// decrease and must lie within the points written).
    pub fn end_plot(&mut self, steps: &Steps) -> Result<()> {
        self.check_ok()?;
        let r = self.end_plot_inner(steps);
        self.failed |= r.is_err();
        r
    }

    fn end_plot_inner(&mut self, steps: &Steps) -> Result<()> {
        self.flush_buffer()?;
        let Some(mut p) = self.plot.take() else {
            return Err(enc("end_plot without begin_plot".into()));
        };
        if steps.starts.windows(2).any(|w| w[0] > w[1])
            || steps.starts.iter().any(|&s| s > p.points)
        {
            return Err(enc(format!(
                "plot {}: step starts are not increasing within its {} points",
                p.index, p.points
            )));
        }
        wire::plot_tail_fields(&mut p.record, steps, p.points);
        self.footer.record(6, &p.record);
        self.plots += 1;
        Ok(())
    }

    /// Writes a whole plot held in memory.
    pub fn write_plot(&mut self, plot: &Plot) -> Result<()> {
        plot.check()
            .map_err(|e| enc(format!("plot {}: {e}", self.plots)))?;
        let types: Vec<ValueType> = plot.columns.iter().map(Column::value_type).collect();
        self.begin_plot(&plot.header, &types)?;
        self.check_ok()?;
        let r = self.write_columns_inner(&plot.columns, true);
        self.failed |= r.is_err();
        r?;
        self.end_plot(&plot.steps)
    }

    /// Writes the footer (the key, the job, every plot and block record)
    /// and its tag, and returns the output.
    pub fn finish(mut self, key: &str, job: &JobMeta) -> Result<W> {
        check_key(key)?;
        self.check_ok()?;
        if self.plot.is_some() {
            return Err(enc("finish before end_plot of the last plot".into()));
        }
        let mut entry = RecordWriter::new();
        wire::entry_fields(
            &mut entry,
            key,
            self.dialect,
            self.encoding,
            self.opts.precision,
            job,
            None,
        );
        entry.raw(self.footer.as_bytes());
        // Form byte: 0 plain, 1 zstd (decoded length, then the frame), 2
        // coded with the campaign dictionary (its id, the decoded length,
        // then the frame; the id is not repeated in the record).
        let mut footer = Vec::new();
        let mut fields_len = 0;
        if let Some(d) = &self.opts.dictionary {
            let fields = entry.as_bytes();
            fields_len = fields.len();
            if let Ok(z) = d.compress_frame(fields, self.opts.zstd_level.max(3)) {
                if z.len() + 42 < fields.len() {
                    footer.reserve(z.len() + 43);
                    footer.push(2);
                    footer.extend_from_slice(d.id());
                    put_varint(&mut footer, fields.len() as u64);
                    footer.extend_from_slice(&z);
                }
            }
            if footer.is_empty() {
                // Plain: the record names the dictionary (field 9, required).
                entry.bytes(9, d.id());
            }
        }
        if footer.is_empty() {
            let fields = entry.into_bytes();
            fields_len = fields.len();
            let mut packed = None;
            if fields.len() >= COMPRESS_FOOTER_FROM {
                if let Ok(z) = crate::codec::zstd_compress(&fields, self.opts.zstd_level.max(3)) {
                    if z.len() + 10 < fields.len() - fields.len() / 10 {
                        packed = Some(z);
                    }
                }
            }
            match packed {
                Some(z) => {
                    footer.push(1);
                    put_varint(&mut footer, fields.len() as u64);
                    footer.extend_from_slice(&z);
                }
                None => {
                    footer.reserve(fields.len() + 1);
                    footer.push(0);
                    footer.extend_from_slice(&fields);
                }
            }
        }
        if fields_len > MAX_FOOTER_BYTES || footer.len() > MAX_FOOTER_BYTES {
            return Err(CacheError::Encode {
                key: key.to_string(),
                what: format!(
                    "the entry's meta takes {} bytes, over the limit of {MAX_FOOTER_BYTES} (too many steps or variables)",
                    fields_len
                ),
            });
        }
        let len = (footer.len() as u32).to_le_bytes();
        let mut t = Tagger::new(self.opts.secret.as_ref());
        t.update(&self.head);
        t.update(&footer);
        t.update(&len);
        let tag = t.finish();
        self.out.write_all(&footer).map_err(io_err)?;
        self.out.write_all(&len).map_err(io_err)?;
        self.out.write_all(&tag).map_err(io_err)?;
        self.out.flush().map_err(io_err)?;
        Ok(self.out)
    }
}

/// Appends values `range` of `src` to `dst` (same type), reserving fallibly.
fn extend_range(dst: &mut Column, src: &Column, range: std::ops::Range<usize>) -> Result<()> {
    fn go<T: Copy>(d: &mut Vec<T>, s: &[T]) -> Result<()> {
        d.try_reserve(s.len())
            .map_err(|e| enc(format!("cannot buffer {} values: {e}", s.len())))?;
        d.extend_from_slice(s);
        Ok(())
    }
    match (dst, src) {
        (Column::F32(d), Column::F32(s)) => go(d, &s[range]),
        (Column::F64(d), Column::F64(s)) => go(d, &s[range]),
        (Column::C32(d), Column::C32(s)) => go(d, &s[range]),
        (Column::C64(d), Column::C64(s)) => go(d, &s[range]),
        _ => Err(enc("column types changed within a plot".into())),
    }
}
