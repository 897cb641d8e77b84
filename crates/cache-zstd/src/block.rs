//! One block (row group): a run of points of one plot, every column's slice
//! of it coded together.
//!
//! ```text
//! block   header length (varint) | header (BlockHeader record)
//!         | shared zstd frame: the transformed, byte-shuffled slices of
//!           every column not coded with pco, column after column
//!         | pco parts, one per pco-coded column, in column order
//! ```
//!
//! Each column's slice is turned into a stream of bit patterns and coded by
//! the codec functions of [`crate::codec`] (one call per column and block);
//! the codec and shift are chosen per block and column and recorded in the
//! block's header.

use crate::codec::dict::Dictionary;
use crate::codec::{self, Codec, Stream};
use crate::options::{EncodeOptions, MAX_BLOCK_BYTES};
use crate::tlv::{get_varint, put_varint, WireError};
use crate::wire::{decode_block_header, encode_block_header, BlockHeader, ColumnCoding};
use waveform::{Column, Complex32, Complex64, ValueType};

/// A borrowed run of one column's values.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ColRef<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
    C32(&'a [Complex32]),
    C64(&'a [Complex64]),
}

impl<'a> ColRef<'a> {
    /// Values `range` of `c` (the caller keeps the range inside the column).
    pub(crate) fn of(c: &'a Column, range: std::ops::Range<usize>) -> ColRef<'a> {
        match c {
            Column::F32(v) => ColRef::F32(&v[range]),
            Column::F64(v) => ColRef::F64(&v[range]),
            Column::C32(v) => ColRef::C32(&v[range]),
            Column::C64(v) => ColRef::C64(&v[range]),
        }
    }

    /// An empty stream of this column's part width.
    fn empty_stream(&self) -> Stream {
        match self {
            ColRef::F32(_) | ColRef::C32(_) => Stream::W32(Vec::new()),
            ColRef::F64(_) | ColRef::C64(_) => Stream::W64(Vec::new()),
        }
    }

    /// The column's bits as one stream (a complex column: all real parts, then
    /// all imaginary parts) into `s`, reusing its vector where the width is the
    /// same and replacing it where it is not.
    fn fill(self, s: &mut Stream) {
        if matches!(
            (&self, &*s),
            (ColRef::F32(_) | ColRef::C32(_), Stream::W64(_))
                | (ColRef::F64(_) | ColRef::C64(_), Stream::W32(_))
        ) {
            *s = self.empty_stream();
        }
        match (self, s) {
            (ColRef::F32(v), Stream::W32(w)) => {
                w.clear();
                w.extend(v.iter().map(|x| x.to_bits()));
            }
            (ColRef::F64(v), Stream::W64(w)) => {
                w.clear();
                w.extend(v.iter().map(|x| x.to_bits()));
            }
            (ColRef::C32(v), Stream::W32(w)) => {
                w.clear();
                w.reserve(2 * v.len());
                w.extend(v.iter().map(|z| z.re.to_bits()));
                w.extend(v.iter().map(|z| z.im.to_bits()));
            }
            (ColRef::C64(v), Stream::W64(w)) => {
                w.clear();
                w.reserve(2 * v.len());
                w.extend(v.iter().map(|z| z.re.to_bits()));
                w.extend(v.iter().map(|z| z.im.to_bits()));
            }
            // Unreachable: a stream of the other width was replaced above.
            _ => {}
        }
    }

    /// The column's bits as a new stream (see [`ColRef::fill`]).
    fn stream(self) -> Stream {
        let mut s = self.empty_stream();
        self.fill(&mut s);
        s
    }
}

/// Bytes of one part (a real value, or one of the two of a complex value).
pub(crate) fn part_width(t: ValueType) -> usize {
    match t {
        ValueType::F32 | ValueType::C32 => 4,
        ValueType::F64 | ValueType::C64 => 8,
    }
}

pub(crate) fn stream_column(t: ValueType, s: Stream, n: usize) -> Option<Column> {
    Some(match (t, s) {
        (ValueType::F32, Stream::W32(v)) => {
            Column::F32(v.into_iter().map(f32::from_bits).collect())
        }
        (ValueType::F64, Stream::W64(v)) => {
            Column::F64(v.into_iter().map(f64::from_bits).collect())
        }
        (ValueType::C32, Stream::W32(v)) => {
            let (re, im) = v.split_at(n.min(v.len()));
            Column::C32(
                re.iter()
                    .zip(im)
                    .map(|(&r, &i)| Complex32 {
                        re: f32::from_bits(r),
                        im: f32::from_bits(i),
                    })
                    .collect(),
            )
        }
        (ValueType::C64, Stream::W64(v)) => {
            let (re, im) = v.split_at(n.min(v.len()));
            Column::C64(
                re.iter()
                    .zip(im)
                    .map(|(&r, &i)| Complex64 {
                        re: f64::from_bits(r),
                        im: f64::from_bits(i),
                    })
                    .collect(),
            )
        }
        _ => return None,
    })
}

/// What encoding a block produced.
#[derive(Debug)]
pub(crate) struct EncodedBlock {
    /// The block's bytes.
    pub bytes: Vec<u8>,
    /// The codec of each column.
    pub codecs: Vec<Codec>,
}

/// Encodes one block: the same run of points of every column (`cols`). `scale` is true when column 0 is the plot's scale (never
/// quantised).
pub(crate) fn encode_block(
    cols: &[ColRef<'_>],
    scale: bool,
    opts: &EncodeOptions,
) -> Result<EncodedBlock, String> {
    let mut header = BlockHeader {
        shared_len: 0,
        columns: Vec::with_capacity(cols.len()),
    };
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut shared = codec::take_pre_buf();
    shared.clear();
    // The thread's streams of its last block, refilled (see `take_streams`).
    let mut pool = codec::take_streams();
    let mut quant = Vec::with_capacity(cols.len());
    for (ci, col) in cols.iter().enumerate() {
        match pool.get_mut(ci) {
            Some(s) => col.fill(s),
            None => pool.push(col.stream()),
        }
        let quantized = match (opts.precision, pool.get_mut(ci)) {
            (Some(p), Some(stream)) if !(scale && ci == 0) => {
                codec::quantize(stream, p);
                true
            }
            _ => false,
        };
        quant.push(quantized);
    }
    let streams = &pool[..cols.len()];
    // One choice per block over all its columns (the pco sample may code a
    // column outright: that block is reused).
    let choices = codec::choose_columns(opts.codecs, streams, opts.zstd_level, opts.pco_level)
        .map_err(|e| format!("codec choice: {e}"))?;
    for (ci, ((stream, quantized), choice)) in streams.iter().zip(quant).zip(choices).enumerate() {
        let codec::Choice {
            codec: c,
            shift,
            exp2,
            pco_block,
        } = choice;
        let mut part_len = 0;
        if c == Codec::Pco {
            let part = match pco_block {
                Some(b) => b,
                None => codec::pco_encode(stream, opts.pco_level)
                    .map_err(|e| format!("column {ci}: {e}"))?,
            };
            part_len = part.len() as u64;
            parts.push(part);
        } else {
            let at = shared.len();
            shared.resize(at + stream.len() * stream.width(), 0);
            codec::pre_zstd_stream(c, shift, exp2, stream, &mut shared[at..]);
        }
        header.columns.push(ColumnCoding {
            codec: c,
            shift: shift as u8,
            exp2,
            quantized,
            part_len,
        });
    }
    let frame = if shared.is_empty() {
        Vec::new()
    } else {
        match &opts.dictionary {
            Some(d) => d.compress_frame(&shared, opts.zstd_level),
            None => codec::zstd_compress(&shared, opts.zstd_level),
        }
        .map_err(|e| format!("zstd: {e}"))?
    };
    codec::put_pre_buf(shared);
    codec::put_streams(pool);
    header.shared_len = frame.len() as u64;
    let head = encode_block_header(&header);
    let total = 10 + head.len() + frame.len() + parts.iter().map(Vec::len).sum::<usize>();
    let mut bytes = Vec::with_capacity(total);
    put_varint(&mut bytes, head.len() as u64);
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&frame);
    for p in &parts {
        bytes.extend_from_slice(p);
    }
    Ok(EncodedBlock {
        codecs: header.columns.iter().map(|c| c.codec).collect(),
        bytes,
    })
}

/// A block decoded: one column per variable, and the codecs it used.
#[derive(Debug)]
pub(crate) struct DecodedBlock {
    pub columns: Vec<Column>,
    pub codecs: Vec<Codec>,
}

/// A block's header, checked against the block: where its parts lie.
struct ParsedBlock {
    header: BlockHeader,
    /// End of the header (start of the shared frame).
    head_end: usize,
    /// End of the shared frame.
    shared_end: usize,
    /// Bytes the shared frame decodes to.
    shared_raw: usize,
    /// Per column: its pco part's range (`(0, 0)` for a shared-frame column).
    part_at: Vec<(usize, usize)>,
}

/// Checks a block's header against `bytes` (see [`decode_block`]).
fn parse_block(
    bytes: &[u8],
    base: u64,
    types: &[ValueType],
    points: usize,
    lossy: bool,
) -> Result<ParsedBlock, WireError> {
    let corrupt = |at: usize, what: String| WireError::corrupt(base + at as u64, what);
    let point_bytes: usize = types.iter().map(|t| t.size()).sum();
    match points.checked_mul(point_bytes) {
        Some(b) if b <= MAX_BLOCK_BYTES => {}
        _ => {
            return Err(corrupt(
                0,
                format!(
                "block of {points} points of {point_bytes} bytes exceeds {MAX_BLOCK_BYTES} bytes"
            ),
            ))
        }
    }
    let (head_len, n) =
        get_varint(bytes).ok_or_else(|| corrupt(0, "bad block header length".into()))?;
    let head_end = usize::try_from(head_len)
        .ok()
        .and_then(|l| l.checked_add(n))
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| {
            corrupt(
                0,
                format!(
                    "block header of {head_len} bytes runs past the block ({})",
                    bytes.len()
                ),
            )
        })?;
    let header = decode_block_header(&bytes[n..head_end], base + n as u64)?;
    if header.columns.len() != types.len() {
        return Err(corrupt(
            n,
            format!(
                "{} column records for {} columns",
                header.columns.len(),
                types.len()
            ),
        ));
    }
    // Lengths: the shared frame, then the pco parts, fill the block exactly.
    let mut at = head_end as u64;
    let shared_end = at
        .checked_add(header.shared_len)
        .filter(|&e| e <= bytes.len() as u64)
        .ok_or_else(|| corrupt(n, "shared frame runs past the block".into()))?;
    at = shared_end;
    let mut shared_raw = 0usize;
    let mut part_at = Vec::with_capacity(types.len());
    for (ci, (c, &t)) in header.columns.iter().zip(types).enumerate() {
        let what = |s: &str| corrupt(n, format!("column {ci}: {s}"));
        if !c.codec.is_valid() {
            return Err(what("invalid codec"));
        }
        if !codec::shift_is_valid(c.codec, u32::from(c.shift), part_width(t)) {
            return Err(what(&format!(
                "shift {} is not valid for {:?}",
                c.shift, c.codec
            )));
        }
        if !codec::exp2_is_valid(c.codec, c.exp2, part_width(t)) {
            return Err(what(&format!(
                "exponent {} is not valid for {:?}",
                c.exp2, c.codec
            )));
        }
        if c.quantized && !lossy {
            return Err(what("quantised without a precision bound"));
        }
        if c.codec == Codec::Pco {
            let end = at
                .checked_add(c.part_len)
                .filter(|&e| e <= bytes.len() as u64)
                .ok_or_else(|| what("pco part runs past the block"))?;
            part_at.push((at as usize, end as usize));
            at = end;
        } else {
            if c.part_len != 0 {
                return Err(what("a column of the shared frame has a part of its own"));
            }
            // points * size <= MAX_BLOCK_BYTES was checked above.
            shared_raw += points * t.size();
            part_at.push((0, 0));
        }
    }
    if at != bytes.len() as u64 {
        return Err(corrupt(
            at as usize,
            format!(
                "{} bytes after the last part of the block",
                bytes.len() as u64 - at
            ),
        ));
    }
    if (shared_raw == 0) != (header.shared_len == 0) {
        return Err(corrupt(
            head_end,
            format!(
                "shared frame of {} bytes for {shared_raw} bytes of columns",
                header.shared_len
            ),
        ));
    }
    Ok(ParsedBlock {
        header,
        head_end,
        // <= bytes.len(), checked above.
        shared_end: shared_end as usize,
        shared_raw,
        part_at,
    })
}

/// Decompresses a block's shared frame (into the thread's reused buffer)
/// and hands its bytes to `f`.
fn with_shared<R>(
    frame: &[u8],
    len: usize,
    dict: Option<&Dictionary>,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, String> {
    match dict {
        Some(d) => codec::dict_decompress_with(d, frame, len, f),
        None => codec::zstd_decompress_with(frame, len, f),
    }
}

/// Decodes a block of `points` points of columns of `types`, whose bytes
/// (already checked against their tag) start at absolute offset `base`.
/// `lossy`: the entry carries a precision bound (columns may be quantised).
/// `dict`: the campaign dictionary of the entry, whose shared frames are
/// coded with it (the caller checked that it is the one the entry names).
///
/// Everything is checked before anything sized by the block is allocated:
/// the decoded size (`points` x the point size) against
/// [`MAX_BLOCK_BYTES`], and every length of the header against the block.
pub(crate) fn decode_block(
    bytes: &[u8],
    base: u64,
    types: &[ValueType],
    points: usize,
    lossy: bool,
    dict: Option<&Dictionary>,
) -> Result<DecodedBlock, WireError> {
    let corrupt = |at: usize, what: String| WireError::corrupt(base + at as u64, what);
    let ParsedBlock {
        header,
        head_end,
        shared_end,
        shared_raw,
        part_at,
    } = parse_block(bytes, base, types, points, lossy)?;
    let frame = &bytes[head_end..shared_end];
    let build = |shared: &[u8]| -> Result<Vec<Column>, WireError> {
        let mut out = Vec::with_capacity(types.len());
        let mut sat = 0usize;
        for (ci, ((c, &t), &(pa, pb))) in header.columns.iter().zip(types).zip(&part_at).enumerate()
        {
            let width = part_width(t);
            let parts = if t.is_complex() { 2 * points } else { points };
            let (stream, off) = if c.codec == Codec::Pco {
                (codec::pco_decode(&bytes[pa..pb], width, parts), pa)
            } else {
                let len = points * t.size();
                let piece = shared.get(sat..sat + len).unwrap_or(&[]);
                sat += len;
                (
                    codec::post_zstd_stream(
                        c.codec,
                        u32::from(c.shift),
                        c.exp2,
                        piece,
                        width,
                        parts,
                    ),
                    head_end,
                )
            };
            let stream = stream.map_err(|e| corrupt(off, format!("column {ci}: {e}")))?;
            let col = stream_column(t, stream, points).ok_or_else(|| {
                corrupt(
                    off,
                    format!("column {ci}: stream width does not match its type"),
                )
            })?;
            out.push(col);
        }
        Ok(out)
    };
    let columns = if shared_raw == 0 {
        build(&[])?
    } else {
        with_shared(frame, shared_raw, dict, build)
            .map_err(|e| corrupt(head_end, format!("shared frame: {e}")))??
    };
    Ok(DecodedBlock {
        columns,
        codecs: header.columns.iter().map(|c| c.codec).collect(),
    })
}

/// The bytes a block's shared frame decodes to (empty when every column
/// is pco), checked as [`decode_block`] checks the block.
pub(crate) fn shared_frame(
    bytes: &[u8],
    base: u64,
    types: &[ValueType],
    points: usize,
    lossy: bool,
    dict: Option<&Dictionary>,
) -> Result<Vec<u8>, WireError> {
    let pb = parse_block(bytes, base, types, points, lossy)?;
    if pb.shared_raw == 0 {
        return Ok(Vec::new());
    }
    with_shared(
        &bytes[pb.head_end..pb.shared_end],
        pb.shared_raw,
        dict,
        <[u8]>::to_vec,
    )
    .map_err(|e| WireError::corrupt(base + pb.head_end as u64, format!("shared frame: {e}")))
}

thread_local! {
    /// A zstd decompression context per thread (creating one costs more
    /// than decoding a small footer).
    static DCTX: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Decompresses a zstd frame that must decode to exactly `len` bytes, into
/// a buffer reserved fallibly (for the footer and the v3 decoder).
pub(crate) fn zstd_exact(frame: &[u8], len: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    out.try_reserve_exact(len)
        .map_err(|e| format!("cannot reserve {len} bytes: {e}"))?;
    let got = DCTX.with(|cell| -> Result<usize, String> {
        let mut slot = cell.try_borrow_mut().map_err(|e| format!("zstd: {e}"))?;
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new().map_err(|e| format!("zstd: {e}"))?);
        }
        match slot.as_mut() {
            // Writes at most out.capacity() bytes.
            Some(d) => d
                .decompress_to_buffer(frame, &mut out)
                .map_err(|e| format!("zstd: {e}")),
            None => Err("zstd: no context".into()),
        }
    })?;
    if got != len || out.len() != len {
        return Err(format!("zstd frame decodes to {got} bytes, {len} declared"));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_and_reject_bad_lengths() {
        let a: Vec<f64> = (0..1000).map(|i| (i as f64 * 0.01).sin()).collect();
        let b: Vec<Complex32> = (0..1000)
            .map(|i| Complex32 {
                re: i as f32,
                im: -1.0,
            })
            .collect();
        let cols = [ColRef::F64(&a), ColRef::C32(&b)];
        let types = [ValueType::F64, ValueType::C32];
        for codecs in [
            crate::CodecChoice::Auto,
            crate::CodecChoice::Fixed(Codec::Pco),
        ] {
            let opts = EncodeOptions {
                codecs,
                ..EncodeOptions::default()
            };
            let e = encode_block(&cols, true, &opts).unwrap();
            let d = decode_block(&e.bytes, 0, &types, 1000, false, None).unwrap();
            assert_eq!(d.columns[0], Column::F64(a.clone()));
            assert_eq!(d.columns[1], Column::C32(b.clone()));
            assert_eq!(d.codecs, e.codecs);
            // Wrong point counts, a cut block, an oversized declaration.
            assert!(decode_block(&e.bytes, 0, &types, 999, false, None).is_err());
            assert!(
                decode_block(&e.bytes[..e.bytes.len() - 1], 0, &types, 1000, false, None).is_err()
            );
            let err = decode_block(&e.bytes, 0, &types, usize::MAX / 2, false, None).unwrap_err();
            assert!(err.what.contains("exceeds"), "{err}");
        }
        assert!(zstd_exact(&codec::zstd_compress(b"abc", 3).unwrap(), 4).is_err());
        assert_eq!(
            zstd_exact(&codec::zstd_compress(b"abc", 3).unwrap(), 3).unwrap(),
            b"abc"
        );
    }
}
