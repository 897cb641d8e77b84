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

#[cfg(test)]
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

#[cfg(test)]
fn undelta<T: Word>(v: &mut [T]) {
    let mut prev = T::default();
    for x in v.iter_mut() {
        prev = prev.wadd(x.unzigzag());
        *x = prev;
    }
}

#[cfg(test)]
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

#[cfg(test)]
fn unxor<T: Word>(v: &mut [T]) {
    let mut prev = T::default();
    for x in v.iter_mut() {
        prev = prev.xor(*x);
        *x = prev;
    }
}

#[cfg(test)]
fn shuffle<T: Word>(v: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    pre_zstd_into(Codec::ShuffleZstd, v, &mut out);
    out
}

#[cfg(test)]
fn unshuffle<T: Word>(bytes: &[u8], n: usize) -> Vec<T> {
    post_zstd(Codec::ShuffleZstd, bytes, n)
}

#[cfg(test)]
fn le_bytes<T: Word>(v: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    pre_zstd_into(Codec::Zstd, v, &mut out);
    out
}

#[cfg(test)]
fn from_le<T: Word>(bytes: &[u8]) -> Vec<T> {
    post_zstd(Codec::Zstd, bytes, bytes.len() / T::BYTES)
}

/// Why a block could not be decoded.
pub(crate) type CodecError = String;

/// Writes the residual of every word (per `codec`) byte-shuffled into
/// `out`: one pass, no intermediate vector. `f(x, state) -> residual`.
#[inline(always)]
fn shuffle_map<T: Word, S: Copy>(
    v: &[T],
    out: &mut [u8],
    mut state: S,
    f: impl Fn(T, &mut S) -> T,
) {
    let n = v.len();
    if n == 0 {
        return;
    }
    // Blocks of 8 words: every plane gets 8 bytes per block, written whole.
    let (planes, _) = out.split_at_mut(n * T::BYTES);
    let chunks = n / 8;
    for c in 0..chunks {
        let mut r = [T::default(); 8];
        for (k, slot) in r.iter_mut().enumerate() {
            *slot = f(v[c * 8 + k], &mut state);
        }
        for b in 0..T::BYTES {
            let mut word = [0u8; 8];
            for k in 0..8 {
                word[k] = r[k].byte(b);
            }
            planes[b * n + c * 8..b * n + c * 8 + 8].copy_from_slice(&word);
        }
    }
    for i in chunks * 8..n {
        let r = f(v[i], &mut state);
        for b in 0..T::BYTES {
            planes[b * n + i] = r.byte(b);
        }
    }
}

/// The bytes a zstd codec compresses (before zstd), written into `out`
/// (cleared first; its allocation is reused).
fn pre_zstd_into<T: Word>(codec: Codec, v: &[T], out: &mut Vec<u8>) {
    let len = v.len() * T::BYTES;
    out.clear();
    out.resize(len, 0);
    let d = T::default();
    match codec {
        Codec::ShuffleZstd => shuffle_map(v, out, (), |x, _| x),
        Codec::DeltaShuffleZstd => shuffle_map(v, out, d, |x, p| {
            let r = x.wsub(*p).zigzag();
            *p = x;
            r
        }),
        Codec::Delta2ShuffleZstd => shuffle_map(v, out, (d, d), |x, (p, pd)| {
            let d1 = x.wsub(*p).zigzag();
            *p = x;
            let r = d1.wsub(*pd).zigzag();
            *pd = d1;
            r
        }),
        Codec::XorShuffleZstd => shuffle_map(v, out, d, |x, p| {
            let r = x.xor(*p);
            *p = x;
            r
        }),
        Codec::Zstd | Codec::Pco => {
            for (c, &x) in out.chunks_exact_mut(T::BYTES).zip(v) {
                for (b, o) in c.iter_mut().enumerate() {
                    *o = x.byte(b);
                }
            }
        }
    }
}

/// Gathers word `i` from the byte planes.
#[inline(always)]
fn gather<T: Word>(bytes: &[u8], n: usize, i: usize) -> T {
    let mut x = T::default();
    for b in 0..T::BYTES {
        x = x.with_byte(bytes[b * n + i], b);
    }
    x
}

/// Un-shuffles and inverts the transform in one pass. `bytes.len()` is
/// exactly `n * T::BYTES` (checked by the caller).
#[inline(always)]
fn unshuffle_map<T: Word, S: Copy>(
    bytes: &[u8],
    n: usize,
    mut state: S,
    f: impl Fn(T, &mut S) -> T,
) -> Vec<T> {
    let mut out = Vec::with_capacity(n);
    if bytes.len() < n * T::BYTES {
        return out;
    }
    let chunks = n / 8;
    for c in 0..chunks {
        // 8 words at a time: 8 contiguous bytes per plane.
        let mut r = [T::default(); 8];
        for b in 0..T::BYTES {
            let p = &bytes[b * n + c * 8..b * n + c * 8 + 8];
            for k in 0..8 {
                r[k] = r[k].with_byte(p[k], b);
            }
        }
        for x in r {
            out.push(f(x, &mut state));
        }
    }
    for i in chunks * 8..n {
        out.push(f(gather(bytes, n, i), &mut state));
    }
    out
}

fn post_zstd<T: Word>(codec: Codec, bytes: &[u8], n: usize) -> Vec<T> {
    let d = T::default();
    match codec {
        Codec::Zstd | Codec::Pco => bytes
            .chunks_exact(T::BYTES)
            .take(n)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(T::default(), |acc, (b, &x)| acc.with_byte(x, b))
            })
            .collect(),
        Codec::ShuffleZstd => unshuffle_map(bytes, n, (), |x: T, _: &mut ()| x),
        Codec::DeltaShuffleZstd => unshuffle_map(bytes, n, d, |x: T, p: &mut T| {
            *p = p.wadd(x.unzigzag());
            *p
        }),
        Codec::Delta2ShuffleZstd => {
            unshuffle_map(bytes, n, (d, d), |x: T, (p, pd): &mut (T, T)| {
                *pd = pd.wadd(x.unzigzag());
                *p = p.wadd(pd.unzigzag());
                *p
            })
        }
        Codec::XorShuffleZstd => unshuffle_map(bytes, n, d, |x: T, p: &mut T| {
            *p = p.xor(x);
            *p
        }),
    }
}

fn pco_encode(stream: &Stream, pco_level: usize) -> Result<Vec<u8>, CodecError> {
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
    r.map_err(|e| format!("pco: {e}"))
}

/// Codes `stream` with `codec`.
pub(crate) fn encode_stream(
    codec: Codec,
    stream: &Stream,
    zstd_level: i32,
    pco_level: usize,
) -> Result<Vec<u8>, CodecError> {
    if codec == Codec::Pco {
        return pco_encode(stream, pco_level);
    }
    with_pre_buf(|pre| {
        match stream {
            Stream::W32(v) => pre_zstd_into(codec, v, pre),
            Stream::W64(v) => pre_zstd_into(codec, v, pre),
        }
        zstd_compress(pre, zstd_level)
    })
}

/// The size of `stream` coded with the zstd codec `codec` (a trial).
fn zstd_trial_len(
    codec: Codec,
    stream: &Stream,
    zstd_level: i32,
    keep: bool,
) -> Result<(usize, Option<Vec<u8>>), CodecError> {
    with_pre_buf(|pre| {
        match stream {
            Stream::W32(v) => pre_zstd_into(codec, v, pre),
            Stream::W64(v) => pre_zstd_into(codec, v, pre),
        }
        if keep {
            let b = zstd_compress(pre, zstd_level)?;
            Ok((b.len(), Some(b)))
        } else {
            zstd_compress_len(pre, zstd_level).map(|l| (l, None))
        }
    })
}

thread_local! {
    /// zstd contexts are costly to create (a window per level); keep one per thread.
    static ZSTD_C: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { RefCell::new(None) };
    static ZSTD_D: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
    /// Reused buffers: the transformed bytes before zstd, and trial output.
    static PRE_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static TRIAL_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static DEC_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn with_buf<R>(
    key: &'static std::thread::LocalKey<RefCell<Vec<u8>>>,
    f: impl FnOnce(&mut Vec<u8>) -> Result<R, CodecError>,
) -> Result<R, CodecError> {
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut b) => {
            let r = f(&mut b);
            // Do not pin a huge buffer per thread.
            if b.capacity() > 64 << 20 {
                *b = Vec::new();
            }
            r
        }
        Err(_) => f(&mut Vec::new()),
    })
}

fn with_pre_buf<R>(f: impl FnOnce(&mut Vec<u8>) -> Result<R, CodecError>) -> Result<R, CodecError> {
    with_buf(&PRE_BUF, f)
}

fn with_compressor<R>(
    level: i32,
    f: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> std::io::Result<R>,
) -> Result<R, CodecError> {
    ZSTD_C.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(|e| format!("zstd: {e}"))?;
        if !matches!(&*slot, Some((l, _)) if *l == level) {
            let c = zstd::bulk::Compressor::new(level).map_err(|e| format!("zstd: {e}"))?;
            *slot = Some((level, c));
        }
        match slot.as_mut() {
            Some((_, c)) => f(c).map_err(|e| format!("zstd: {e}")),
            None => Err("zstd: no context".into()),
        }
    })
}

fn zstd_compress(data: &[u8], level: i32) -> Result<Vec<u8>, CodecError> {
    with_compressor(level, |c| c.compress(data))
}

/// The compressed size only, into a reused buffer (for trials).
fn zstd_compress_len(data: &[u8], level: i32) -> Result<usize, CodecError> {
    with_buf(&TRIAL_BUF, |buf| {
        buf.clear();
        buf.reserve(zstd::zstd_safe::compress_bound(data.len()));
        with_compressor(level, |c| c.compress_to_buffer(data, buf))
    })
}

/// Decompresses into the reused buffer and hands it to `f`; the output
/// must be exactly `len` bytes.
fn zstd_decompress_with<R>(
    data: &[u8],
    len: usize,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, CodecError> {
    with_buf(&DEC_BUF, |buf| {
        buf.clear();
        buf.reserve(len);
        let got = ZSTD_D.with(|cell| {
            let mut slot = cell.try_borrow_mut().map_err(|e| format!("zstd: {e}"))?;
            if slot.is_none() {
                *slot = Some(zstd::bulk::Decompressor::new().map_err(|e| format!("zstd: {e}"))?);
            }
            match slot.as_mut() {
                // Writes at most buf.capacity() bytes; we check it is exactly `len`.
                Some(d) => d
                    .decompress_to_buffer(data, buf)
                    .map_err(|e| format!("zstd: {e}")),
                None => Err("zstd: no context".into()),
            }
        })?;
        if got != len || buf.len() != len {
            return Err(format!("zstd block decodes to {got} bytes, {len} declared"));
        }
        Ok(f(buf))
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
                Ok(Stream::W32(f.into_iter().map(f32::to_bits).collect()))
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
                Ok(Stream::W64(f.into_iter().map(f64::to_bits).collect()))
            }
        };
    }
    zstd_decompress_with(block, raw_len, |bytes| match width {
        4 => Stream::W32(post_zstd(codec, bytes, n)),
        _ => Stream::W64(post_zstd(codec, bytes, n)),
    })
}

/// Columns up to this many values are tried whole (and the winner's block
/// kept); longer ones on [`SAMPLE_SLICES`] evenly spaced slices.
const SAMPLE_WHOLE: usize = SAMPLE_SLICE * SAMPLE_SLICES;
/// Values per sample slice, and slices per sample.
const SAMPLE_SLICE: usize = 128;
const SAMPLE_SLICES: usize = 4;
/// pco is tried on the whole column up to this many values (its block is
/// kept when it wins), else on one contiguous run of this many values
/// (contiguous: pco's lookback delta finds repeats a period back).
const PCO_SAMPLE: usize = 8192;
/// pco is not tried when the best zstd codec already stores the sample in
/// this fraction of its raw size: 10% of very little is not worth pco's
/// slower encode.
const PCO_SKIP_RATIO: f64 = 0.08;

/// The shuffled zstd codecs the encoder chooses among (plain `Zstd` stays
/// decodable and can be forced with `CodecChoice::Fixed`).
const SHUFFLED: [Codec; 4] = [
    Codec::ShuffleZstd,
    Codec::DeltaShuffleZstd,
    Codec::Delta2ShuffleZstd,
    Codec::XorShuffleZstd,
];

/// `c log2 c`, from a table for the counts of a sample.
fn c_log2_c(c: u32) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        (0..=SAMPLE_WHOLE)
            .map(|c| {
                if c < 2 {
                    0.0
                } else {
                    c as f64 * (c as f64).log2()
                }
            })
            .collect()
    });
    match t.get(c as usize) {
        Some(&x) => x,
        None => {
            let c = f64::from(c);
            c * c.log2()
        }
    }
}

/// Order-0 entropy, in bits, of every byte plane of length `n` in `bytes`,
/// summed: an estimate of what zstd's entropy stage makes of them.
fn plane_entropy_bits(bytes: &[u8], n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let nf = n as f64;
    let mut total = 0f64;
    for plane in bytes.chunks_exact(n) {
        let mut h = [0u32; 256];
        for &b in plane {
            h[b as usize] += 1;
        }
        // n log2 n - sum c log2 c
        let mut sum = 0f64;
        let mut distinct = 0u32;
        for &c in &h {
            if c > 1 {
                sum += c_log2_c(c);
            }
            distinct += u32::from(c > 0);
        }
        if distinct > 1 {
            total += nf * nf.log2() - sum;
        }
    }
    total
}

fn slices<T: Copy>(v: &[T], slice: usize, count: usize) -> Vec<T> {
    let n = v.len();
    let stride = n / count;
    let mut out = Vec::with_capacity(slice * count);
    for k in 0..count {
        let s = k * stride;
        out.extend_from_slice(&v[s..(s + slice).min(n)]);
    }
    out
}

fn map_stream(
    stream: &Stream,
    f32s: impl Fn(&[u32]) -> Vec<u32>,
    f64s: impl Fn(&[u64]) -> Vec<u64>,
) -> Stream {
    match stream {
        Stream::W32(v) => Stream::W32(f32s(v)),
        Stream::W64(v) => Stream::W64(f64s(v)),
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
    let with_pco = match choice {
        CodecChoice::Fixed(c) => return (c, None),
        CodecChoice::Auto => true,
        CodecChoice::ZstdOnly => false,
    };
    let n = stream.len();
    if n < 2 {
        return (Codec::Zstd, None);
    }
    let whole = n <= SAMPLE_WHOLE;
    let sampled;
    let s = if whole {
        stream
    } else {
        sampled = map_stream(
            stream,
            |v| slices(v, SAMPLE_SLICE, SAMPLE_SLICES),
            |v| slices(v, SAMPLE_SLICE, SAMPLE_SLICES),
        );
        &sampled
    };
    // The zstd codecs, ranked by the order-0 entropy of their byte planes
    // on the sample (no trial zstd frames: on short columns a frame's fixed
    // cost, Huffman and FSE tables, dominates).
    let mut best: Option<(Codec, f64)> = None;
    for c in SHUFFLED {
        let Ok(bits) = with_pre_buf(|pre| {
            match s {
                Stream::W32(v) => pre_zstd_into(c, v, pre),
                Stream::W64(v) => pre_zstd_into(c, v, pre),
            }
            Ok(plane_entropy_bits(pre, s.len()))
        }) else {
            continue;
        };
        if best.is_none_or(|(_, b)| bits < b) {
            best = Some((c, bits));
        }
    }
    let Some((zc, zbits)) = best else {
        return (Codec::Zstd, None);
    };
    let zlen = (zbits / 8.0) as usize;
    let sample_raw = (s.len() * s.width()) as f64;
    if with_pco && (zlen as f64) > PCO_SKIP_RATIO * sample_raw {
        // pco on a contiguous run (the whole column when short enough),
        // against the chosen zstd codec on the same values.
        let pco_whole = n <= PCO_SAMPLE;
        let run;
        let ps = if pco_whole {
            stream
        } else {
            let start = (n - PCO_SAMPLE) / 2;
            run = map_stream(
                stream,
                |v| v[start..start + PCO_SAMPLE].to_vec(),
                |v| v[start..start + PCO_SAMPLE].to_vec(),
            );
            &run
        };
        if let Ok(p) = pco_encode(ps, pco_level) {
            let z = if std::ptr::eq(ps, s) {
                Ok((zlen, None))
            } else {
                zstd_trial_len(zc, ps, zstd_level, pco_whole)
            };
            if let Ok((zl, zb)) = z {
                // pco only where it wins clearly: 10% smaller than the best zstd codec.
                if (p.len() as f64) <= 0.9 * zl as f64 {
                    return (Codec::Pco, pco_whole.then_some(p));
                }
                if zb.is_some() {
                    return (zc, zb);
                }
            }
        }
    }
    if whole {
        if let Ok((_, b)) = zstd_trial_len(zc, stream, zstd_level, true) {
            return (zc, b);
        }
    }
    (zc, None)
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
