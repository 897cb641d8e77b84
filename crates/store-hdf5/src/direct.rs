//! Chunks filtered here, on every core, and written whole with
//! `H5Dwrite_chunk`.
//!
//! libhdf5 runs a dataset's filter pipeline (shuffle, deflate) on the
//! calling thread under its global lock: a large export through it spends
//! nearly all its time deflating on one core (80 % of the samples in zlib's
//! `deflate`). Here each dataset's chunk is assembled in its stored byte
//! layout, shuffled and deflated (libdeflate) by a rayon task, and handed
//! to libhdf5 already filtered, in order. The bytes are those the pipeline
//! stores: the shuffle filter's byte planes (one per byte of the element),
//! then a zlib stream (RFC 1950, as the deflate filter writes). Every chunk
//! is written with filter mask 0, so any HDF5 reader (h5py, xarray, h5dump)
//! decodes it through the dataset's own pipeline as if libhdf5 had
//! compressed it. Edge chunks are padded with the fill value to the full
//! chunk size, as libhdf5 stores them.

use crate::error::{Hdf5Error, Result};
use crate::h5::{write_chunk, Ctx};
use crate::Compression;
use hdf5::filters::Filter;
use hdf5::Dataset;
use std::collections::BTreeMap;
use std::sync::mpsc;
use waveform::{Column, ValueType};

/// Chunk bytes handed to the compressing tasks and not yet written, at
/// most (a single chunk larger than this still goes, alone).
const IN_FLIGHT_BYTES: usize = 16 << 20;

/// What every chunk goes through.
#[derive(Clone, Copy, Debug)]
struct Codec {
    shuffle: bool,
    level: i32,
}

/// One dataset written by chunks.
struct Target {
    ds: Dataset,
    /// Bytes of one stored element.
    elem: usize,
    /// The fill value's bytes (one element).
    fill: Vec<u8>,
    /// Rows of a 2-D dataset (1 for 1-D).
    rows: usize,
    /// Points along the last axis.
    width: usize,
    /// Points of a chunk along the last axis (a chunk holds one row).
    cw: usize,
    two_d: bool,
    /// The chunk being assembled.
    open: Option<Open>,
}

/// A chunk being assembled: row, index along the last axis, and the
/// stored bytes of its first points.
struct Open {
    row: usize,
    index: usize,
    buf: Vec<u8>,
}

/// A chunk back from its compressing task.
struct Done {
    seq: u64,
    target: usize,
    offset: Vec<u64>,
    /// Bytes before compression (what counts against [`IN_FLIGHT_BYTES`]).
    bytes: usize,
    data: std::result::Result<Vec<u8>, String>,
    /// The chunk's uncompressed buffer, for reuse.
    raw: Vec<u8>,
}

/// Buffers kept for reuse, at most (fresh half-megabyte buffers cost page
/// faults).
const SPARE_BUFFERS: usize = 64;

/// Writes datasets' chunks compressed on the rayon pool. Points go in with
/// [`ChunkWriter::put`] in order along each row (the order a RAW file's
/// chunks come in); [`ChunkWriter::finish`] writes what is left. Memory:
/// one chunk per dataset being assembled plus [`IN_FLIGHT_BYTES`].
pub(crate) struct ChunkWriter<'c> {
    cx: &'c Ctx<'c>,
    codec: Codec,
    targets: Vec<Target>,
    tx: mpsc::Sender<Done>,
    rx: mpsc::Receiver<Done>,
    /// Chunks handed out, and written (chunks are written in the order
    /// they were handed out, so the file does not depend on timing).
    sent: u64,
    written: u64,
    ready: BTreeMap<u64, Done>,
    in_flight: usize,
    /// Emptied buffers, reused for chunks and compressed output.
    spare: Vec<Vec<u8>>,
}

/// The stored bytes of the fill value NaN for `t`.
fn nan_bytes(t: ValueType) -> Vec<u8> {
    match t {
        ValueType::F64 => f64::NAN.to_ne_bytes().to_vec(),
        ValueType::F32 => f32::NAN.to_ne_bytes().to_vec(),
        ValueType::C64 => [f64::NAN.to_ne_bytes(), f64::NAN.to_ne_bytes()].concat(),
        ValueType::C32 => [f32::NAN.to_ne_bytes(), f32::NAN.to_ne_bytes()].concat(),
    }
}

impl<'c> ChunkWriter<'c> {
    /// A writer for `datasets` (stored types `types`, NaN-filled, as
    /// [`Ctx::typed`] makes them), or `None` when their chunks cannot be
    /// written directly: a compression other than deflate (zstd goes
    /// through its plugin, `none` through the library), a dataset that is
    /// not chunked (empty), or one whose pipeline, element size or chunk
    /// shape is not what this writer produces. `None` means: write through
    /// the library.
    pub fn new(
        cx: &'c Ctx<'c>,
        datasets: &[Dataset],
        types: &[ValueType],
    ) -> Option<ChunkWriter<'c>> {
        let Compression::Deflate(level) = cx.compression else {
            return None;
        };
        let level = level.clamp(1, 9);
        let shuffle = cx.opts.shuffle;
        let expect: Vec<Filter> = if shuffle {
            vec![Filter::Shuffle, Filter::Deflate(level)]
        } else {
            vec![Filter::Deflate(level)]
        };
        let mut targets = Vec::with_capacity(datasets.len());
        for (ds, &t) in datasets.iter().zip(types) {
            let shape = ds.shape();
            let chunk = ds.chunk()?;
            let (rows, width, cw, two_d) = match (shape.as_slice(), chunk.as_slice()) {
                ([w], [c]) => (1, *w, *c, false),
                ([r, w], [1, c]) => (*r, *w, *c, true),
                _ => return None,
            };
            if cw == 0 || ds.filters() != expect || ds.dtype().ok()?.size() != t.size() {
                return None;
            }
            targets.push(Target {
                ds: ds.clone(),
                elem: t.size(),
                fill: nan_bytes(t),
                rows,
                width,
                cw,
                two_d,
                open: None,
            });
        }
        let (tx, rx) = mpsc::channel();
        Some(ChunkWriter {
            cx,
            codec: Codec {
                shuffle,
                level: i32::from(level),
            },
            targets,
            tx,
            rx,
            sent: 0,
            written: 0,
            ready: BTreeMap::new(),
            in_flight: 0,
            spare: Vec::new(),
        })
    }

    fn invalid(&self, j: usize, what: impl std::fmt::Display) -> Hdf5Error {
        let name = self.targets.get(j).map(|t| t.ds.name()).unwrap_or_default();
        self.cx.invalid(format!("{name}: {what}"))
    }

    /// Writes `n` values of `col` (from its first) at points `dst..dst + n`
    /// of dataset `j`, in row `row` of a 2-D dataset. Points must come in
    /// order along each row, rows in order.
    pub fn put(
        &mut self,
        j: usize,
        col: &Column,
        n: usize,
        row: Option<usize>,
        dst: usize,
    ) -> Result<()> {
        let Some(t) = self.targets.get(j) else {
            return Err(self.cx.invalid(format!("no dataset {j} in this plot")));
        };
        if col.value_type().size() != t.elem {
            return Err(self.invalid(j, "values of another size than the dataset's"));
        }
        let r = row.unwrap_or(0);
        if dst + n > t.width || r >= t.rows || t.two_d != row.is_some() {
            return Err(self.invalid(
                j,
                format!(
                    "points {dst}..{} of row {r} are outside the dataset",
                    dst + n
                ),
            ));
        }
        let (cw, width) = (t.cw, t.width);
        let mut i = 0;
        while i < n {
            let p = dst + i;
            let (index, at) = (p / cw, p % cw);
            let stale = matches!(&self.targets[j].open, Some(o) if (o.row, o.index) != (r, index));
            if stale {
                self.flush(j)?;
            }
            let take = (n - i).min(cw - at);
            let spare = &mut self.spare;
            let Target {
                open, fill, elem, ..
            } = &mut self.targets[j];
            let o = open.get_or_insert_with(|| Open {
                row: r,
                index,
                buf: spare.pop().unwrap_or_default(),
            });
            let filled = o.buf.len() / *elem;
            if at < filled {
                return Err(self.invalid(j, format!("point {p} of row {r} written twice")));
            }
            for _ in filled..at {
                o.buf.extend_from_slice(fill);
            }
            if !append(col, i, take, &mut o.buf) {
                return Err(self.invalid(j, "fewer values than points"));
            }
            i += take;
            if at + take == cw || p + take == width {
                self.flush(j)?;
            }
        }
        Ok(())
    }

    /// Hands dataset `j`'s open chunk, padded with the fill value, to a
    /// compressing task.
    fn flush(&mut self, j: usize) -> Result<()> {
        let Some(t) = self.targets.get_mut(j) else {
            return Ok(());
        };
        let Some(mut o) = t.open.take() else {
            return Ok(());
        };
        while o.buf.len() < t.cw * t.elem {
            o.buf.extend_from_slice(&t.fill);
        }
        let start = (o.index * t.cw) as u64;
        let offset = if t.two_d {
            vec![o.row as u64, start]
        } else {
            vec![start]
        };
        let elem = t.elem;
        let bytes = o.buf.len();
        while self.in_flight > 0 && self.in_flight + bytes > IN_FLIGHT_BYTES {
            self.wait_one()?;
        }
        let seq = self.sent;
        self.sent += 1;
        self.in_flight += bytes;
        let tx = self.tx.clone();
        let codec = self.codec;
        let mut raw = o.buf;
        let mut out = self.spare.pop().unwrap_or_default();
        rayon::spawn(move || {
            let data = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                encode(codec, elem, &raw, &mut out)
            }))
            .unwrap_or_else(|_| Err("the compressing task panicked".into()))
            .map(|()| out);
            raw.clear();
            // A closed channel means the export already failed: nothing to do.
            let _ = tx.send(Done {
                seq,
                target: j,
                offset,
                bytes,
                data,
                raw,
            });
        });
        self.write_ready()
    }

    /// Waits for one chunk to come back, then writes those ready.
    fn wait_one(&mut self) -> Result<()> {
        let d = self.rx.recv().map_err(|_| {
            self.cx
                .invalid("a compressing task ended without its chunk")
        })?;
        self.ready.insert(d.seq, d);
        self.write_ready()
    }

    /// Writes, in order, the chunks back from their tasks.
    fn write_ready(&mut self) -> Result<()> {
        while let Ok(d) = self.rx.try_recv() {
            self.ready.insert(d.seq, d);
        }
        while let Some(d) = self.ready.remove(&self.written) {
            self.written += 1;
            self.in_flight -= d.bytes;
            self.keep(d.raw);
            let mut data = match d.data {
                Ok(v) => v,
                Err(m) => return Err(self.invalid(d.target, m)),
            };
            let ds = &self.targets[d.target].ds;
            self.cx.h5(
                "writing chunk",
                &ds.name(),
                write_chunk(ds, &d.offset, &data),
            )?;
            data.clear();
            self.keep(data);
        }
        Ok(())
    }

    fn keep(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < SPARE_BUFFERS && buf.capacity() > 0 {
            buf.clear();
            self.spare.push(buf);
        }
    }

    /// Writes every chunk still open or in flight.
    pub fn finish(mut self) -> Result<()> {
        for j in 0..self.targets.len() {
            self.flush(j)?;
        }
        while self.written < self.sent {
            self.wait_one()?;
        }
        Ok(())
    }
}

/// Appends the stored bytes of `col[from..from + n]` to `buf`; false when
/// the column is shorter.
fn append(col: &Column, from: usize, n: usize, buf: &mut Vec<u8>) -> bool {
    let r = from..from + n;
    match col {
        Column::F64(v) => v.get(r).map(|v| {
            for x in v {
                buf.extend_from_slice(&x.to_ne_bytes());
            }
        }),
        Column::F32(v) => v.get(r).map(|v| {
            for x in v {
                buf.extend_from_slice(&x.to_ne_bytes());
            }
        }),
        Column::C64(v) => v.get(r).map(|v| {
            for z in v {
                buf.extend_from_slice(&z.re.to_ne_bytes());
                buf.extend_from_slice(&z.im.to_ne_bytes());
            }
        }),
        Column::C32(v) => v.get(r).map(|v| {
            for z in v {
                buf.extend_from_slice(&z.re.to_ne_bytes());
                buf.extend_from_slice(&z.im.to_ne_bytes());
            }
        }),
    }
    .is_some()
}

/// Bytes of a plane tried before it is deflated.
const SAMPLE: usize = 4096;
/// A plane whose sample deflates to more than this fraction of its size is
/// stored as it is (the low mantissa bytes of measured values: noise).
const STORE_ABOVE: f64 = 0.97;

/// A chunk's stored bytes through the pipeline: shuffle (when on), then
/// deflate as a zlib stream (RFC 1950: header, deflate blocks, Adler-32).
///
/// The leading byte planes of a shuffled chunk (the low mantissa bytes)
/// are mostly noise that deflate spends its time on and cannot shrink:
/// those whose first [`SAMPLE`] bytes do not deflate below [`STORE_ABOVE`]
/// go into stored blocks (a copy), the rest of the chunk through libdeflate.
/// Any inflater reads the stream (stored blocks are plain deflate).
fn encode(
    codec: Codec,
    elem: usize,
    raw: &[u8],
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    SCRATCH.with(|s| {
        let s = &mut *s.borrow_mut();
        if s.comp.as_ref().is_none_or(|(l, _)| *l != codec.level) {
            let level = libdeflater::CompressionLvl::new(codec.level)
                .map_err(|e| format!("deflate level {}: {e:?}", codec.level))?;
            s.comp = Some((codec.level, libdeflater::Compressor::new(level)));
        }
        let Scratch {
            comp,
            shuffled,
            trial,
        } = s;
        let Some((_, c)) = comp.as_mut() else {
            return Err("no compressor".into());
        };
        let (input, planes) = if codec.shuffle && elem > 1 {
            shuffle_into(raw, elem, shuffled);
            (&shuffled[..], elem)
        } else {
            (raw, 1)
        };
        zlib_stream(c, input, planes, trial, out)
    })
}

/// Per compressing thread: the compressor (its tables are large) and
/// buffers.
#[derive(Default)]
struct Scratch {
    comp: Option<(i32, libdeflater::Compressor)>,
    shuffled: Vec<u8>,
    trial: Vec<u8>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// `input` (`planes` planes of equal length) as one zlib stream in `out`:
/// leading planes that do not compress stored, the rest deflated.
fn zlib_stream(
    c: &mut libdeflater::Compressor,
    input: &[u8],
    planes: usize,
    trial: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    let err = |e: libdeflater::CompressionError| format!("deflate: {e}");
    let n = input.len() / planes.max(1);
    // leading planes that do not compress
    let mut stored = 0;
    trial.resize(c.deflate_compress_bound(SAMPLE.min(n)), 0);
    while stored < planes && n > 0 {
        let plane = &input[stored * n..(stored + 1) * n];
        let sample = &plane[..SAMPLE.min(n)];
        let k = c.deflate_compress(sample, trial).map_err(err)?;
        if (k as f64) < STORE_ABOVE * sample.len() as f64 {
            break;
        }
        stored += 1;
    }
    out.clear();
    if stored == 0 {
        out.resize(c.zlib_compress_bound(input.len()), 0);
        let k = c.zlib_compress(input, out).map_err(err)?;
        out.truncate(k);
        return Ok(());
    }
    let (head, rest) = if stored == planes {
        (input, &[][..])
    } else {
        input.split_at(stored * n)
    };
    out.reserve(input.len() + input.len() / 4096 * 5 + 64);
    // CMF: deflate, 32 KiB window; FLG: fastest, no dictionary, check bits
    // making the pair a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let blocks = head.chunks(u16::MAX as usize);
    let last = blocks.len().saturating_sub(1);
    for (b, block) in blocks.enumerate() {
        // BFINAL (only when nothing follows), BTYPE 00 (stored), padding to
        // the byte; then LEN and its complement, little-endian.
        out.push(u8::from(rest.is_empty() && b == last));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    if !rest.is_empty() {
        // stored blocks end on a byte: the compressed blocks follow directly
        let at = out.len();
        out.resize(at + c.deflate_compress_bound(rest.len()), 0);
        let k = c.deflate_compress(rest, &mut out[at..]).map_err(err)?;
        out.truncate(at + k);
    }
    out.extend_from_slice(&libdeflater::adler32(input).to_be_bytes());
    Ok(())
}

/// The HDF5 shuffle filter: byte `b` of every element, for each `b` in
/// turn (`elem` planes of `raw.len() / elem` bytes), into `out`. A tail
/// shorter than an element stays as it is, as the filter leaves it.
pub(crate) fn shuffle_into(raw: &[u8], elem: usize, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(raw);
    let n = raw.len() / elem.max(1);
    if elem <= 1 || n <= 1 {
        return;
    }
    match elem {
        4 => planes::<4>(raw, out, n),
        8 => planes::<8>(raw, out, n),
        16 => planes::<16>(raw, out, n),
        _ => {
            for b in 0..elem {
                let plane = &mut out[b * n..(b + 1) * n];
                for (d, e) in plane.iter_mut().zip(raw.chunks_exact(elem)) {
                    *d = e[b];
                }
            }
        }
    }
}

fn planes<const S: usize>(raw: &[u8], out: &mut [u8], n: usize) {
    for b in 0..S {
        let plane = &mut out[b * n..(b + 1) * n];
        for (d, e) in plane.iter_mut().zip(raw.chunks_exact(S)) {
            *d = e[b];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shuffle(raw: &[u8], elem: usize) -> Vec<u8> {
        let mut out = Vec::new();
        shuffle_into(raw, elem, &mut out);
        out
    }

    fn encode(codec: Codec, elem: usize, raw: &[u8]) -> std::result::Result<Vec<u8>, String> {
        let mut out = Vec::new();
        super::encode(codec, elem, raw, &mut out).map(|()| out)
    }

    #[test]
    fn shuffle_makes_byte_planes_and_keeps_a_short_tail() {
        let raw: Vec<u8> = (0..9).collect();
        // 2 elements of 4 bytes and one byte left
        assert_eq!(shuffle(&raw, 4), [0, 4, 1, 5, 2, 6, 3, 7, 8]);
        let raw: Vec<u8> = (0..12).collect();
        assert_eq!(shuffle(&raw, 3), [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);
        let raw: Vec<u8> = (0..32).collect();
        let s = shuffle(&raw, 16);
        assert_eq!(&s[..4], [0, 16, 1, 17]);
        assert_eq!(shuffle(&raw, 1), raw);
    }

    fn inflate(z: &[u8], len: usize) -> Vec<u8> {
        let mut d = libdeflater::Decompressor::new();
        let mut back = vec![0u8; len];
        let n = d.zlib_decompress(z, &mut back).unwrap();
        assert_eq!(n, len);
        back
    }

    /// Doubles whose low bytes are noise and high bytes smooth, as SPICE
    /// waveforms are.
    fn noisy(n: usize) -> Vec<u8> {
        let mut x: u64 = 0x9e3779b97f4a7c15;
        (0..n)
            .flat_map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = (i as f64 * 1e-3).sin() + (x >> 40) as f64 * 1e-12;
                v.to_ne_bytes()
            })
            .collect()
    }

    #[test]
    fn noise_planes_are_stored_and_the_rest_deflated_in_one_zlib_stream() {
        let codec = Codec {
            shuffle: true,
            level: 1,
        };
        // 70000 points: planes longer than a stored block (65535 bytes)
        let raw = noisy(70_000);
        let z = encode(codec, 8, &raw).unwrap();
        assert_eq!(inflate(&z, raw.len()), shuffle(&raw, 8));
        // the noise planes cost their size, the smooth ones next to nothing
        assert!(z.len() < raw.len() * 7 / 8, "{} of {}", z.len(), raw.len());
        assert!(z.len() > raw.len() / 2, "{} of {}", z.len(), raw.len());
        // every plane noise: all stored, the last block final
        let mut x: u32 = 1;
        let noise: Vec<u8> = (0..80_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        let z = encode(codec, 8, &noise).unwrap();
        assert_eq!(inflate(&z, noise.len()), shuffle(&noise, 8));
        assert!(z.len() <= noise.len() + 64);
        // and without shuffle, one plane
        let plain = Codec {
            shuffle: false,
            level: 6,
        };
        let z = encode(plain, 8, &noise).unwrap();
        assert_eq!(inflate(&z, noise.len()), noise);
        let z = encode(plain, 8, &raw).unwrap();
        assert_eq!(inflate(&z, raw.len()), raw);
    }

    #[test]
    fn encoded_chunks_inflate_to_the_shuffled_bytes() {
        let vals: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.01).sin()).collect();
        let raw: Vec<u8> = vals.iter().flat_map(|x| x.to_ne_bytes()).collect();
        let codec = Codec {
            shuffle: true,
            level: 1,
        };
        let z = encode(codec, 8, &raw).unwrap();
        assert!(z.len() < raw.len());
        let mut d = libdeflater::Decompressor::new();
        let mut back = vec![0u8; raw.len()];
        // a zlib stream (header, deflate, adler-32), as HDF5's deflate filter reads
        let n = d.zlib_decompress(&z, &mut back).unwrap();
        assert_eq!(n, raw.len());
        assert_eq!(back, shuffle(&raw, 8));
    }
}
