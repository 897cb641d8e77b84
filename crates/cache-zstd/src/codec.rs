//! Column codecs: transforms of the integer bit patterns, byte shuffle,
//! zstd and pco, chosen per column on a sample.
//!
//! A column is turned into a *stream* of integer bit patterns (`u32` for f32
//! parts, `u64` for f64 parts); a complex column becomes two planes, all real
//! parts then all imaginary parts. The stream is coded as one block.

use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// How one column block is coded. Recorded per column in the entry meta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Codec {
    /// zstd of the little-endian bytes.
    Zstd,
    /// Byte shuffle (all first bytes, then all second bytes, ...) + zstd.
    ShuffleZstd,
    /// Delta of consecutive bit patterns (wrapping, zigzag) + byte shuffle + zstd.
    DeltaShuffleZstd,
    /// Second-order delta of the bit patterns + byte shuffle + zstd.
    Delta2ShuffleZstd,
    /// XOR with the previous bit pattern + byte shuffle + zstd.
    XorShuffleZstd,
    /// pcodec of the float values.
    Pco,
}

impl Codec {
    /// Every codec, in the order they are tried.
    pub const ALL: [Codec; 6] = [
        Codec::Zstd,
        Codec::ShuffleZstd,
        Codec::DeltaShuffleZstd,
        Codec::Delta2ShuffleZstd,
        Codec::XorShuffleZstd,
        Codec::Pco,
    ];

    /// The zstd-based codecs (everything but pco).
    pub const ZSTD_FAMILY: [Codec; 5] = [
        Codec::Zstd,
        Codec::ShuffleZstd,
        Codec::DeltaShuffleZstd,
        Codec::Delta2ShuffleZstd,
        Codec::XorShuffleZstd,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zstd => "zstd",
            Codec::ShuffleZstd => "shuffle+zstd",
            Codec::DeltaShuffleZstd => "delta+shuffle+zstd",
            Codec::Delta2ShuffleZstd => "delta2+shuffle+zstd",
            Codec::XorShuffleZstd => "xor+shuffle+zstd",
            Codec::Pco => "pco",
        }
    }
}

/// Which codecs the encoder may pick from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodecChoice {
    /// Try every zstd codec on a sample, and pco; take pco only when it is at
    /// least 10% smaller than the best zstd codec on the sample.
    #[default]
    Auto,
    /// Try only the zstd codecs (faster encode).
    ZstdOnly,
    /// Always use this codec.
    Fixed(Codec),
}

/// The bit patterns of one column, in the width of its parts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stream {
    /// f32 parts.
    W32(Vec<u32>),
    /// f64 parts.
    W64(Vec<u64>),
}

impl Stream {
    pub(crate) fn len(&self) -> usize {
        match self {
            Stream::W32(v) => v.len(),
            Stream::W64(v) => v.len(),
        }
    }

    pub(crate) fn width(&self) -> usize {
        match self {
            Stream::W32(_) => 4,
            Stream::W64(_) => 8,
        }
    }
}

/// An integer word of a stream.
pub(crate) trait Word: Copy + Default + Eq + std::fmt::Debug {
    const BYTES: usize;
    fn wsub(self, o: Self) -> Self;
    fn wadd(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    fn zigzag(self) -> Self;
    fn unzigzag(self) -> Self;
    fn byte(self, b: usize) -> u8;
    fn with_byte(self, x: u8, b: usize) -> Self;
}

macro_rules! word {
    ($u:ty, $i:ty, $bits:expr) => {
        impl Word for $u {
            const BYTES: usize = $bits / 8;
            #[inline]
            fn wsub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            #[inline]
            fn wadd(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            #[inline]
            fn xor(self, o: Self) -> Self {
                self ^ o
            }
            #[inline]
            fn zigzag(self) -> Self {
                let s = self as $i;
                ((s << 1) ^ (s >> ($bits - 1))) as $u
            }
            #[inline]
            fn unzigzag(self) -> Self {
                (self >> 1) ^ (0 as $u).wrapping_sub(self & 1)
            }
            #[inline]
            fn byte(self, b: usize) -> u8 {
                (self >> (8 * b)) as u8
            }
            #[inline]
            fn with_byte(self, x: u8, b: usize) -> Self {
                self | (<$u>::from(x) << (8 * b))
            }
        }
    };
}
word!(u32, i32, 32);
word!(u64, i64, 64);

fn delta<T: Word>(v: &[T]) -> Vec<T> {
    let mut prev = T::default();
    v.iter()
        .map(|&x| {
            let d = x.wsub(prev).zigzag();
            prev = x;
            d
        })
        .collect()
}

fn undelta<T: Word>(v: &mut [T]) {
    let mut prev = T::default();
    for x in v.iter_mut() {
        prev = prev.wadd(x.unzigzag());
        *x = prev;
    }
}

fn xor_prev<T: Word>(v: &[T]) -> Vec<T> {
    let mut prev = T::default();
    v.iter()
        .map(|&x| {
            let d = x.xor(prev);
            prev = x;
            d
        })
        .collect()
}

fn unxor<T: Word>(v: &mut [T]) {
    let mut prev = T::default();
    for x in v.iter_mut() {
        prev = prev.xor(*x);
        *x = prev;
    }
}

/// Byte planes: all byte 0 of every word, then all byte 1, ...
fn shuffle<T: Word>(v: &[T]) -> Vec<u8> {
    let n = v.len();
    let mut out = vec![0u8; n * T::BYTES];
    for (b, plane) in out.chunks_exact_mut(n.max(1)).enumerate().take(T::BYTES) {
        for (d, &x) in plane.iter_mut().zip(v) {
            *d = x.byte(b);
        }
    }
    out
}

fn unshuffle<T: Word>(bytes: &[u8], n: usize) -> Vec<T> {
    let mut out = vec![T::default(); n];
    for (b, plane) in bytes.chunks_exact(n.max(1)).enumerate().take(T::BYTES) {
        for (x, &d) in out.iter_mut().zip(plane) {
            *x = x.with_byte(d, b);
        }
    }
    out
}

fn le_bytes<T: Word>(v: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * T::BYTES);
    for &x in v {
        for b in 0..T::BYTES {
            out.push(x.byte(b));
        }
    }
    out
}

fn from_le<T: Word>(bytes: &[u8]) -> Vec<T> {
    bytes
        .chunks_exact(T::BYTES)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(T::default(), |acc, (b, &x)| acc.with_byte(x, b))
        })
        .collect()
}

/// Why a block could not be decoded.
pub(crate) type CodecError = String;

/// The bytes a zstd codec compresses (before zstd).
fn pre_zstd<T: Word>(codec: Codec, v: &[T]) -> Vec<u8> {
    match codec {
        Codec::ShuffleZstd => shuffle(v),
        Codec::DeltaShuffleZstd => shuffle(&delta(v)),
        Codec::Delta2ShuffleZstd => shuffle(&delta(&delta(v))),
        Codec::XorShuffleZstd => shuffle(&xor_prev(v)),
        Codec::Zstd | Codec::Pco => le_bytes(v),
    }
}

fn post_zstd<T: Word>(codec: Codec, bytes: &[u8], n: usize) -> Vec<T> {
    match codec {
        Codec::Zstd | Codec::Pco => from_le(bytes),
        Codec::ShuffleZstd => unshuffle(bytes, n),
        Codec::DeltaShuffleZstd => {
            let mut v = unshuffle(bytes, n);
            undelta(&mut v);
            v
        }
        Codec::Delta2ShuffleZstd => {
            let mut v = unshuffle(bytes, n);
            undelta(&mut v);
            undelta(&mut v);
            v
        }
        Codec::XorShuffleZstd => {
            let mut v = unshuffle(bytes, n);
            unxor(&mut v);
            v
        }
    }
}

/// Codes `stream` with `codec`.
pub(crate) fn encode_stream(
    codec: Codec,
    stream: &Stream,
    zstd_level: i32,
    pco_level: usize,
) -> Result<Vec<u8>, CodecError> {
    if codec == Codec::Pco {
        let cfg = pco::ChunkConfig::default().with_compression_level(pco_level);
        let r = match stream {
            Stream::W32(v) => {
                let f: Vec<f32> = v.iter().map(|&b| f32::from_bits(b)).collect();
                pco::standalone::simple_compress(&f, &cfg)
            }
            Stream::W64(v) => {
                let f: Vec<f64> = v.iter().map(|&b| f64::from_bits(b)).collect();
                pco::standalone::simple_compress(&f, &cfg)
            }
        };
        return r.map_err(|e| format!("pco: {e}"));
    }
    let pre = match stream {
        Stream::W32(v) => pre_zstd(codec, v),
        Stream::W64(v) => pre_zstd(codec, v),
    };
    zstd_compress(&pre, zstd_level)
}

thread_local! {
    /// zstd contexts are costly to create (a window per level); keep one per thread.
    static ZSTD_C: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { RefCell::new(None) };
    static ZSTD_D: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

fn zstd_compress(data: &[u8], level: i32) -> Result<Vec<u8>, CodecError> {
    ZSTD_C.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(|e| format!("zstd: {e}"))?;
        if !matches!(&*slot, Some((l, _)) if *l == level) {
            let c = zstd::bulk::Compressor::new(level).map_err(|e| format!("zstd: {e}"))?;
            *slot = Some((level, c));
        }
        match slot.as_mut() {
            Some((_, c)) => c.compress(data).map_err(|e| format!("zstd: {e}")),
            None => Err("zstd: no context".into()),
        }
    })
}

fn zstd_decompress(data: &[u8], capacity: usize) -> Result<Vec<u8>, CodecError> {
    ZSTD_D.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(|e| format!("zstd: {e}"))?;
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new().map_err(|e| format!("zstd: {e}"))?);
        }
        match slot.as_mut() {
            Some(d) => d
                .decompress(data, capacity)
                .map_err(|e| format!("zstd: {e}")),
            None => Err("zstd: no context".into()),
        }
    })
}

/// Decodes a block into a stream of `n` words of `width` bytes. The output
/// size is fixed by `n` (checked by the caller against the envelope), never
/// by the block's own headers.
pub(crate) fn decode_stream(
    codec: Codec,
    block: &[u8],
    width: usize,
    n: usize,
) -> Result<Stream, CodecError> {
    let raw_len = n
        .checked_mul(width)
        .ok_or_else(|| "column length overflows".to_string())?;
    if codec == Codec::Pco {
        return match width {
            4 => {
                let mut f = vec![0f32; n];
                let p = pco::standalone::simple_decompress_into(block, &mut f)
                    .map_err(|e| format!("pco: {e}"))?;
                if p.n_processed != n || !p.finished {
                    return Err(format!(
                        "pco block holds a different count than the {n} values declared"
                    ));
                }
                Ok(Stream::W32(f.iter().map(|x| x.to_bits()).collect()))
            }
            _ => {
                let mut f = vec![0f64; n];
                let p = pco::standalone::simple_decompress_into(block, &mut f)
                    .map_err(|e| format!("pco: {e}"))?;
                if p.n_processed != n || !p.finished {
                    return Err(format!(
                        "pco block holds a different count than the {n} values declared"
                    ));
                }
                Ok(Stream::W64(f.iter().map(|x| x.to_bits()).collect()))
            }
        };
    }
    let bytes = zstd_decompress(block, raw_len)?;
    if bytes.len() != raw_len {
        return Err(format!(
            "zstd block decodes to {} bytes, {raw_len} declared",
            bytes.len()
        ));
    }
    Ok(match width {
        4 => Stream::W32(post_zstd(codec, &bytes, n)),
        _ => Stream::W64(post_zstd(codec, &bytes, n)),
    })
}

/// Values per sample slice, and slices per sample.
const SAMPLE_SLICE: usize = 2048;
const SAMPLE_SLICES: usize = 8;

/// A sample of the stream: the whole stream when short, else evenly spaced slices.
fn sample(stream: &Stream) -> Stream {
    fn pick<T: Copy>(v: &[T]) -> Vec<T> {
        let n = v.len();
        if n <= SAMPLE_SLICE * SAMPLE_SLICES * 2 {
            return v.to_vec();
        }
        let stride = n / SAMPLE_SLICES;
        let mut out = Vec::with_capacity(SAMPLE_SLICE * SAMPLE_SLICES);
        for k in 0..SAMPLE_SLICES {
            let s = k * stride;
            out.extend_from_slice(&v[s..(s + SAMPLE_SLICE).min(n)]);
        }
        out
    }
    match stream {
        Stream::W32(v) => Stream::W32(pick(v)),
        Stream::W64(v) => Stream::W64(pick(v)),
    }
}

/// Picks the codec for a stream, per `choice`, by coding a sample with
/// each candidate. When the sample is the whole stream, the winner's block
/// is returned too, so it is not coded twice.
pub(crate) fn choose(
    choice: CodecChoice,
    stream: &Stream,
    zstd_level: i32,
    pco_level: usize,
) -> (Codec, Option<Vec<u8>>) {
    let candidates: &[Codec] = match choice {
        CodecChoice::Fixed(c) => return (c, None),
        CodecChoice::Auto => &Codec::ALL,
        CodecChoice::ZstdOnly => &Codec::ZSTD_FAMILY,
    };
    if stream.len() < 2 {
        return (Codec::Zstd, None);
    }
    let s = sample(stream);
    let whole = s.len() == stream.len();
    let mut best: Option<(Codec, Vec<u8>)> = None;
    let mut pco: Option<Vec<u8>> = None;
    for &c in candidates {
        let Ok(bytes) = encode_stream(c, &s, zstd_level, pco_level) else {
            continue;
        };
        if c == Codec::Pco {
            pco = Some(bytes);
        } else if best.as_ref().is_none_or(|(_, b)| bytes.len() < b.len()) {
            best = Some((c, bytes));
        }
    }
    let keep = |c: Codec, b: Vec<u8>| (c, whole.then_some(b));
    match (best, pco) {
        // pco only where it wins clearly: 10% smaller than the best zstd codec.
        (Some((c, b)), Some(p)) => {
            if (p.len() as f64) <= 0.9 * b.len() as f64 {
                keep(Codec::Pco, p)
            } else {
                keep(c, b)
            }
        }
        (Some((c, b)), None) => keep(c, b),
        (None, Some(p)) => keep(Codec::Pco, p),
        (None, None) => (Codec::Zstd, None),
    }
}

/// Mantissa bits to keep so that rounding keeps the relative error within `bound`.
pub(crate) fn kept_mantissa_bits(bound: f64) -> u32 {
    // Rounding to k mantissa bits errs by at most 2^-(k+1) relative.
    let mut k = (-bound.log2()).ceil().max(1.0) as i64 - 1;
    while k < 64 && 2f64.powi(-(k as i32 + 1)) > bound {
        k += 1;
    }
    k.clamp(0, 64) as u32
}

macro_rules! quantize_fn {
    ($name:ident, $u:ty, $mant:expr, $expmask:expr) => {
        /// Rounds every normal value to the kept mantissa bits; zero,
        /// subnormals, inf and NaN are kept as they are.
        fn $name(v: &mut [$u], keep: u32) {
            if keep >= $mant {
                return;
            }
            let drop = $mant - keep;
            let mask: $u = (1 << drop) - 1;
            let half: $u = 1 << (drop - 1);
            for x in v.iter_mut() {
                let e = (*x >> $mant) & $expmask;
                if e == 0 || e == $expmask {
                    continue;
                }
                let r = x.wrapping_add(half) & !mask;
                let er = (r >> $mant) & $expmask;
                *x = if er == $expmask { *x & !mask } else { r };
            }
        }
    };
}
quantize_fn!(quantize32, u32, 23u32, 0xffu32);
quantize_fn!(quantize64, u64, 52u32, 0x7ffu64);

/// Quantises a stream to a relative precision bound.
pub(crate) fn quantize(stream: &mut Stream, bound: f64) {
    let keep = kept_mantissa_bits(bound);
    match stream {
        Stream::W32(v) => quantize32(v, keep),
        Stream::W64(v) => quantize64(v, keep),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn transforms_invert() {
        let v: Vec<u64> = vec![0, 1, u64::MAX, 5, 3, 1 << 63, 42];
        let mut d = delta(&v);
        undelta(&mut d);
        assert_eq!(d, v);
        let mut x = xor_prev(&v);
        unxor(&mut x);
        assert_eq!(x, v);
        assert_eq!(unshuffle::<u64>(&shuffle(&v), v.len()), v);
        let w: Vec<u32> = vec![7, u32::MAX, 0, 9];
        let mut d = delta(&delta(&w));
        undelta(&mut d);
        undelta(&mut d);
        assert_eq!(d, w);
        assert_eq!(from_le::<u32>(&le_bytes(&w)), w);
    }

    #[test]
    fn kept_bits_meet_bound() {
        for b in [0.5, 0.1, 1e-3, 1e-6, 1e-9, 1e-12, 1e-15] {
            let k = kept_mantissa_bits(b);
            assert!(2f64.powi(-(k as i32 + 1)) <= b, "bound {b} k {k}");
            assert!(
                k == 0 || 2f64.powi(-(k as i32)) > b,
                "bound {b} k {k} not minimal"
            );
        }
    }

    #[test]
    fn every_codec_round_trips() {
        let v: Vec<u64> = (0..5000u64)
            .map(|i| (i as f64 * 1e-3).sin().to_bits())
            .collect();
        let s = Stream::W64(v);
        for c in Codec::ALL {
            let b = encode_stream(c, &s, 3, 8).unwrap();
            assert_eq!(decode_stream(c, &b, 8, s.len()).unwrap(), s, "{c:?}");
        }
    }
}
