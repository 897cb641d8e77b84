//! Column codecs: transforms of the integer bit patterns, byte shuffle,
//! zstd and pco, chosen per column on a sample.
//!
//! A column is turned into a *stream* of integer bit patterns (`u32` for f32
//! parts, `u64` for f64 parts); a complex column becomes two planes, all real
//! parts then all imaginary parts. The stream's transformed bytes go into
//! the entry's shared zstd frame (a pco-coded stream: a block of its own).

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
    /// Order-preserving map of the bit patterns (a float's order as an
    /// unsigned integer, so that values crossing zero stay close), then the
    /// k-th order wrapping difference (k = 1..=8), zigzag, byte shuffle, zstd.
    /// Smooth waveforms (integrator output, RC responses) leave tiny residuals
    /// at k = 3..6.
    OrdDeltaShuffleZstd(u8),
}

/// The highest difference order of [`Codec::OrdDeltaShuffleZstd`].
pub const MAX_DELTA_ORDER: u8 = 8;

impl Codec {
    /// Every codec kind (ordered differences at orders 1, 4 and 8), for
    /// tests and reports; `CodecChoice::Auto` ranks its own candidates.
    pub const ALL: [Codec; 9] = [
        Codec::Zstd,
        Codec::ShuffleZstd,
        Codec::DeltaShuffleZstd,
        Codec::Delta2ShuffleZstd,
        Codec::XorShuffleZstd,
        Codec::Pco,
        Codec::OrdDeltaShuffleZstd(1),
        Codec::OrdDeltaShuffleZstd(4),
        Codec::OrdDeltaShuffleZstd(MAX_DELTA_ORDER),
    ];

    /// True when the codec is valid (a difference order in 1..=8).
    pub fn is_valid(self) -> bool {
        match self {
            Codec::OrdDeltaShuffleZstd(k) => (1..=MAX_DELTA_ORDER).contains(&k),
            _ => true,
        }
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zstd => "zstd",
            Codec::ShuffleZstd => "shuffle+zstd",
            Codec::DeltaShuffleZstd => "delta+shuffle+zstd",
            Codec::Delta2ShuffleZstd => "delta2+shuffle+zstd",
            Codec::XorShuffleZstd => "xor+shuffle+zstd",
            Codec::Pco => "pco",
            Codec::OrdDeltaShuffleZstd(k) => match k {
                1 => "ord-delta1+shuffle+zstd",
                2 => "ord-delta2+shuffle+zstd",
                3 => "ord-delta3+shuffle+zstd",
                4 => "ord-delta4+shuffle+zstd",
                5 => "ord-delta5+shuffle+zstd",
                6 => "ord-delta6+shuffle+zstd",
                7 => "ord-delta7+shuffle+zstd",
                8 => "ord-delta8+shuffle+zstd",
                _ => "ord-delta?+shuffle+zstd",
            },
        }
    }
}

/// Which codecs the encoder may pick from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodecChoice {
    /// Per column, the best of the byte shuffle alone and the ordered
    /// differences of order 1..=8 (ranked by entropy on a sample), all
    /// coded in one shared zstd frame. pco is not tried: on the measured
    /// ngspice data it does not win clearly enough to pay its slower encode
    /// (force it with `Fixed(Codec::Pco)`).
    #[default]
    Auto,
    /// The same choice as `Auto` (kept for callers that ask for zstd only).
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
    /// The float's order as an unsigned integer (a bijection).
    fn ord(self) -> Self;
    /// The inverse of [`Word::ord`].
    fn unord(self) -> Self;
    /// `self >> s` (`s` below the width).
    fn shr(self, s: u32) -> Self;
    /// The inverse of `ord(x) >> s` for an `x` whose low `s` bits are
    /// zero: shifts back and refills the low bits (ones for a negative
    /// float, whose ordered value has its top bit clear; zeros otherwise).
    fn unshr_ord(self, s: u32) -> Self;
    fn or(self, o: Self) -> Self;
    fn trailing_zeros(self) -> u32;
    /// Bits of the value (the width less the leading zeros).
    fn bit_len(self) -> u32;
    fn to_u64(self) -> u64;
    /// The low `Self::BYTES` bytes of `x`.
    fn from_u64(x: u64) -> Self;
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
            #[inline]
            fn ord(self) -> Self {
                // Negative: flip every bit; positive: set the sign bit.
                let neg = ((self as $i) >> ($bits - 1)) as $u;
                self ^ (neg | (1 << ($bits - 1)))
            }
            #[inline]
            fn unord(self) -> Self {
                let pos = ((self as $i) >> ($bits - 1)) as $u;
                self ^ (!pos | (1 << ($bits - 1)))
            }
            #[inline]
            fn shr(self, s: u32) -> Self {
                self >> s
            }
            #[inline]
            fn unshr_ord(self, s: u32) -> Self {
                let z = self << s;
                let neg = !(((z as $i) >> ($bits - 1)) as $u);
                z | (neg & ((1 as $u) << s).wrapping_sub(1))
            }
            #[inline]
            fn or(self, o: Self) -> Self {
                self | o
            }
            #[inline]
            fn trailing_zeros(self) -> u32 {
                <$u>::trailing_zeros(self)
            }
            #[inline]
            fn bit_len(self) -> u32 {
                $bits - self.leading_zeros()
            }
            #[inline]
            fn to_u64(self) -> u64 {
                self as u64
            }
            #[inline]
            fn from_u64(x: u64) -> Self {
                x as $u
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
    post_zstd(Codec::ShuffleZstd, 0, bytes, n)
}

#[cfg(test)]
fn le_bytes<T: Word>(v: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    pre_zstd_into(Codec::Zstd, v, &mut out);
    out
}

#[cfg(test)]
fn from_le<T: Word>(bytes: &[u8]) -> Vec<T> {
    post_zstd(Codec::Zstd, 0, bytes, bytes.len() / T::BYTES)
}

/// Why a block could not be decoded.
pub(crate) type CodecError = String;

/// Transposes an 8 x 8 byte matrix held as 8 little-endian rows: byte `j`
/// of row `i` goes to byte `i` of row `j`. Three rounds swap blocks of 1,
/// 2 and 4 bytes between rows 1, 2 and 4 apart.
#[inline(always)]
fn transpose8(r: &mut [u64; 8]) {
    const M: [u64; 3] = [
        0x00ff_00ff_00ff_00ff,
        0x0000_ffff_0000_ffff,
        0x0000_0000_ffff_ffff,
    ];
    for (round, &m) in M.iter().enumerate() {
        let s = 1usize << round;
        let sh = 8 * s as u32;
        for i in 0..8 {
            if i & s == 0 {
                let t = ((r[i] >> sh) ^ r[i + s]) & m;
                r[i + s] ^= t;
                r[i] ^= t << sh;
            }
        }
    }
}

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
    // Blocks of 8 words: a byte transpose of 8 words makes 8 bytes of
    // every plane, written whole.
    let (planes, _) = out.split_at_mut(n * T::BYTES);
    let chunks = n / 8;
    for c in 0..chunks {
        let mut r = [0u64; 8];
        for (k, slot) in r.iter_mut().enumerate() {
            *slot = f(v[c * 8 + k], &mut state).to_u64();
        }
        transpose8(&mut r);
        for (b, row) in r.iter().enumerate().take(T::BYTES) {
            planes[b * n + c * 8..b * n + c * 8 + 8].copy_from_slice(&row.to_le_bytes());
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
#[cfg(test)]
fn pre_zstd_into<T: Word>(codec: Codec, v: &[T], out: &mut Vec<u8>) {
    let len = v.len() * T::BYTES;
    out.clear();
    out.resize(len, 0);
    pre_zstd_slice(codec, 0, v, out);
}

/// k-th order difference of the ordered bit patterns, zigzagged.
#[inline(always)]
fn ord_delta_step<T: Word, const K: usize>(x: T, s: &mut [T; K], shift: u32) -> T {
    let mut x = x.ord().shr(shift);
    for p in s.iter_mut() {
        let d = x.wsub(*p);
        *p = x;
        x = d;
    }
    x.zigzag()
}

/// The inverse of [`ord_delta_step`].
#[inline(always)]
fn ord_undelta_step<T: Word, const K: usize>(r: T, s: &mut [T; K], shift: u32) -> T {
    let mut d = r.unzigzag();
    for p in s.iter_mut().rev() {
        *p = p.wadd(d);
        d = *p;
    }
    d.unshr_ord(shift).unord()
}

fn ord_delta_into<T: Word>(k: u8, shift: u32, v: &[T], out: &mut [u8]) {
    macro_rules! go {
        ($k:literal) => {
            shuffle_map(v, out, [T::default(); $k], |x, st| {
                ord_delta_step::<T, $k>(x, st, shift)
            })
        };
    }
    match k {
        1 => go!(1),
        2 => go!(2),
        3 => go!(3),
        4 => go!(4),
        5 => go!(5),
        6 => go!(6),
        7 => go!(7),
        _ => go!(8),
    }
}

fn ord_undelta<T: Word>(k: u8, shift: u32, bytes: &[u8], n: usize) -> Vec<T> {
    // Two loops per order: without a shift (lossless columns), the
    // shift-back and refill of the low bits are left out.
    macro_rules! go {
        ($k:literal) => {
            if shift == 0 {
                unshuffle_map(bytes, n, [T::default(); $k], |x, st| {
                    ord_undelta_step::<T, $k>(x, st, 0)
                })
            } else {
                unshuffle_map(bytes, n, [T::default(); $k], |x, st| {
                    ord_undelta_step::<T, $k>(x, st, shift)
                })
            }
        };
    }
    match k {
        1 => go!(1),
        2 => go!(2),
        3 => go!(3),
        4 => go!(4),
        5 => go!(5),
        6 => go!(6),
        7 => go!(7),
        _ => go!(8),
    }
}

/// The bytes a zstd codec compresses (before zstd), written into `out`,
/// which is exactly `v.len() * T::BYTES` long. `shift` (ordered codecs
/// only) drops that many low bits, zero in every word, before the differences.
pub(crate) fn pre_zstd_slice<T: Word>(codec: Codec, shift: u32, v: &[T], out: &mut [u8]) {
    let d = T::default();
    match codec {
        Codec::OrdDeltaShuffleZstd(k) => ord_delta_into(k, shift, v, out),
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
    if bytes.len() < n * T::BYTES {
        return Vec::new();
    }
    // Written in place (no push: the state stays in registers).
    let mut out = vec![T::default(); n];
    let mut blocks = out.chunks_exact_mut(8);
    for (c, o) in (&mut blocks).enumerate() {
        // 8 words at a time: 8 contiguous bytes per plane, transposed.
        let mut r = [0u64; 8];
        for (b, row) in r.iter_mut().enumerate().take(T::BYTES) {
            let at = b * n + c * 8;
            let mut p = [0u8; 8];
            p.copy_from_slice(&bytes[at..at + 8]);
            *row = u64::from_le_bytes(p);
        }
        transpose8(&mut r);
        for (slot, x) in o.iter_mut().zip(r) {
            *slot = f(T::from_u64(x), &mut state);
        }
    }
    let tail = n - blocks.into_remainder().len();
    for (i, slot) in out.iter_mut().enumerate().skip(tail) {
        *slot = f(gather(bytes, n, i), &mut state);
    }
    out
}

fn post_zstd<T: Word>(codec: Codec, shift: u32, bytes: &[u8], n: usize) -> Vec<T> {
    let d = T::default();
    match codec {
        Codec::OrdDeltaShuffleZstd(k) => ord_undelta(k, shift, bytes, n),
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

/// pcodec of a stream's float values.
pub(crate) fn pco_encode(stream: &Stream, pco_level: usize) -> Result<Vec<u8>, CodecError> {
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

/// Writes the transformed, byte-shuffled words of `stream` (per the zstd
/// codec `codec`) into `out`, exactly `stream.len() * stream.width()` bytes.
pub(crate) fn pre_zstd_stream(codec: Codec, shift: u32, stream: &Stream, out: &mut [u8]) {
    match stream {
        Stream::W32(v) => pre_zstd_slice(codec, shift, v, out),
        Stream::W64(v) => pre_zstd_slice(codec, shift, v, out),
    }
}

/// The inverse of [`pre_zstd_stream`]: `bytes` is exactly `n * width` long
/// (checked by the caller).
pub(crate) fn post_zstd_stream(
    codec: Codec,
    shift: u32,
    bytes: &[u8],
    width: usize,
    n: usize,
) -> Result<Stream, CodecError> {
    if codec == Codec::Pco || !codec.is_valid() {
        return Err(format!("{codec:?} is not a zstd codec"));
    }
    if !shift_is_valid(codec, shift, width) {
        return Err(format!("shift {shift} is not valid for {codec:?}"));
    }
    if Some(bytes.len()) != n.checked_mul(width) {
        return Err(format!("{} bytes for {n} values of {width}", bytes.len()));
    }
    Ok(match width {
        4 => Stream::W32(post_zstd(codec, shift, bytes, n)),
        _ => Stream::W64(post_zstd(codec, shift, bytes, n)),
    })
}

thread_local! {
    /// zstd contexts are costly to create (a window per level); keep one per thread.
    static ZSTD_C: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> = const { RefCell::new(None) };
    static ZSTD_D: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
    /// Reused buffers: the transformed bytes before zstd, and trial output.
    static PRE_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
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

/// Takes the thread's transform buffer (give it back with [`put_pre_buf`]).
pub(crate) fn take_pre_buf() -> Vec<u8> {
    PRE_BUF.with(|c| {
        c.try_borrow_mut()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    })
}

/// Returns a buffer taken with [`take_pre_buf`] (unless it grew huge).
pub(crate) fn put_pre_buf(b: Vec<u8>) {
    if b.capacity() <= 64 << 20 {
        PRE_BUF.with(|c| {
            if let Ok(mut slot) = c.try_borrow_mut() {
                *slot = b;
            }
        });
    }
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

pub(crate) fn zstd_compress(data: &[u8], level: i32) -> Result<Vec<u8>, CodecError> {
    with_compressor(level, |c| c.compress(data))
}

/// Decompresses into the reused buffer and hands it to `f`; the output
/// must be exactly `len` bytes.
pub(crate) fn zstd_decompress_with<R>(
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

/// Decodes a pco block into a stream of `n` words of `width` bytes. The
/// output size is fixed by `n` (checked by the caller against the
/// envelope), never by the block's own headers.
pub(crate) fn pco_decode(block: &[u8], width: usize, n: usize) -> Result<Stream, CodecError> {
    fn go<F: pco::data_types::Number>(block: &[u8], n: usize) -> Result<Vec<F>, CodecError> {
        let mut f = vec![F::default(); n];
        let p = pco::standalone::simple_decompress_into(block, &mut f)
            .map_err(|e| format!("pco: {e}"))?;
        if p.n_processed != n || !p.finished {
            return Err(format!(
                "pco block holds a different count than the {n} values declared"
            ));
        }
        Ok(f)
    }
    Ok(match width {
        4 => Stream::W32(go::<f32>(block, n)?.into_iter().map(f32::to_bits).collect()),
        _ => Stream::W64(go::<f64>(block, n)?.into_iter().map(f64::to_bits).collect()),
    })
}

/// Values per sample slice, and slices per sample: columns up to
/// `SAMPLE_SLICE * SAMPLE_SLICES` values are ranked on the whole column.
const SAMPLE_SLICE: usize = 64;
const SAMPLE_SLICES: usize = 4;
const SAMPLE_MAX: usize = SAMPLE_SLICE * SAMPLE_SLICES;

/// `c log2 c` for a count of a sample, from a table.
fn c_log2_c(c: u16) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        (0..=SAMPLE_MAX)
            .map(|c| {
                if c < 2 {
                    0.0
                } else {
                    c as f64 * (c as f64).log2()
                }
            })
            .collect()
    });
    match t.get(usize::from(c)) {
        Some(&x) => x,
        None => f64::from(c) * f64::from(c).log2(),
    }
}

/// Order-0 entropy, in bits, of the byte planes of `w` (what the byte
/// shuffle makes of them): `sum over planes of n log2 n - sum c log2 c`.
/// One histogram per plane, filled word by word (every plane of a word
/// before the next word), so that runs of one byte value in a plane (the
/// sign and exponent bytes) do not chain increments of one counter.
fn plane_entropy_bits<T: Word>(w: &[T]) -> f64 {
    let n = w.len();
    if n == 0 {
        return 0.0;
    }
    let mut h = [[0u16; 256]; 8];
    for &x in w {
        for (b, hb) in h.iter_mut().enumerate().take(T::BYTES) {
            hb[usize::from(x.byte(b))] += 1;
        }
    }
    // Each distinct byte of a plane once: take its count and clear it.
    let mut sum = 0f64;
    for &x in w {
        for (b, hb) in h.iter_mut().enumerate().take(T::BYTES) {
            let c = &mut hb[usize::from(x.byte(b))];
            if *c != 0 {
                sum += c_log2_c(*c);
                *c = 0;
            }
        }
    }
    let nf = n as f64;
    T::BYTES as f64 * nf * nf.log2() - sum
}

/// The largest `s` such that the low `s` bits of every word are zero (at
/// most the width less one; 0 for an all-zero column). Quantised columns
/// have the dropped mantissa bits zero: the ordered codecs shift them out,
/// since the order map would turn them into ones for negative values.
pub(crate) fn common_shift<T: Word>(v: &[T]) -> u32 {
    let or = v.iter().fold(T::default(), |a, &x| a.or(x));
    if or == T::default() {
        0
    } else {
        or.trailing_zeros().min(T::BYTES as u32 * 8 - 1)
    }
}

/// True when `shift` is one a column of `codec` and part width `width` may carry.
pub(crate) fn shift_is_valid(codec: Codec, shift: u32, width: usize) -> bool {
    match codec {
        Codec::OrdDeltaShuffleZstd(_) => (shift as usize) < width * 8,
        _ => shift == 0,
    }
}

/// Ranks the codecs for `v` on a sample (the whole column up to
/// `SAMPLE_MAX` values, else `SAMPLE_SLICES` evenly spaced slices of
/// `SAMPLE_SLICE`). One pass computes the ordered differences of every
/// order 1..=8 at once and sums the bit lengths of their zigzagged residuals
/// (a slice's differences start from the values before it, so no slice
/// pays a warm-up the real column does not); the best order is then
/// compared with the byte shuffle alone by the order-0 entropy of the
/// byte planes. No trial zstd frames.
fn choose_words<T: Word>(v: &[T], shift: u32) -> Codec {
    const K: usize = MAX_DELTA_ORDER as usize;
    let n = v.len();
    let mut ranges = [(0usize, 0usize); SAMPLE_SLICES];
    let ranges: &[(usize, usize)] = if n <= SAMPLE_MAX {
        ranges[0] = (0, n);
        &ranges[..1]
    } else {
        let stride = n / SAMPLE_SLICES;
        for (k, r) in ranges.iter_mut().enumerate() {
            *r = (k * stride, SAMPLE_SLICE);
        }
        &ranges[..]
    };
    let mut bits = [0u64; K];
    // `| 1`: the bit length of a zero residual counts as 1, and the
    // count needs no zero test.
    let one = T::from_u64(1);
    for &(start, len) in ranges {
        let pre = start.min(K);
        let mut prev = [T::default(); K];
        for &x in &v[start - pre..start] {
            let mut d = x.ord().shr(shift);
            for p in prev.iter_mut() {
                let e = d.wsub(*p);
                *p = d;
                d = e;
            }
        }
        // Pairs of values: both update the differences, the second one's
        // residuals are counted (half the counting, the ranking as good).
        let pairs = v[start..start + len].chunks_exact(2);
        let rest = pairs.remainder();
        for pair in pairs {
            let (x0, x1) = (pair[0], pair[1]);
            let mut d = x0.ord().shr(shift);
            for p in prev.iter_mut() {
                let e = d.wsub(*p);
                *p = d;
                d = e;
            }
            let mut d = x1.ord().shr(shift);
            #[allow(clippy::needless_range_loop)] // unrolled: K is a constant
            for j in 0..K {
                let e = d.wsub(prev[j]);
                prev[j] = d;
                d = e;
                bits[j] += u64::from(d.zigzag().or(one).bit_len());
            }
        }
        for &x in rest {
            let mut d = x.ord().shr(shift);
            #[allow(clippy::needless_range_loop)] // unrolled: K is a constant
            for j in 0..K {
                let e = d.wsub(prev[j]);
                prev[j] = d;
                d = e;
                bits[j] += u64::from(d.zigzag().or(one).bit_len());
            }
        }
    }
    let mut k = 0;
    for j in 1..K {
        if bits[j] < bits[k] {
            k = j;
        }
    }
    let order = (k + 1) as u8;
    // Residuals well below the word width: the differences capture the
    // waveform and the byte shuffle alone cannot win (repeated values give
    // repeated differences too). Only noise-like columns are compared.
    let counted: usize = ranges.iter().map(|r| r.1.div_ceil(2)).sum();
    if bits[k] * 4 < (counted * T::BYTES * 8 * 3) as u64 {
        return Codec::OrdDeltaShuffleZstd(order);
    }
    // The residuals of the best order and the raw words, on the sample.
    let mut res = [T::default(); SAMPLE_MAX];
    let mut raw = [T::default(); SAMPLE_MAX];
    let mut m = 0;
    for &(start, len) in ranges {
        let pre = start.min(K);
        let mut prev = [T::default(); K];
        for (i, &x) in v[start - pre..start + len].iter().enumerate() {
            let mut d = x.ord().shr(shift);
            for p in prev.iter_mut().take(k + 1) {
                let e = d.wsub(*p);
                *p = d;
                d = e;
            }
            if i >= pre {
                res[m] = d.zigzag();
                raw[m] = x;
                m += 1;
            }
        }
    }
    if plane_entropy_bits(&res[..m]) < plane_entropy_bits(&raw[..m]) {
        Codec::OrdDeltaShuffleZstd(order)
    } else {
        Codec::ShuffleZstd
    }
}

/// Picks the codec for a stream, per `choice`, and the low bits its
/// ordered differences drop (see [`common_shift`]; 0 for other codecs).
/// `Auto` and `ZstdOnly` rank the byte shuffle alone and the ordered
/// differences of order 1..=8 on a sample (see [`choose_words`]; no trial
/// zstd frames, no pco: the chosen codec is then coded once, into the
/// entry's shared zstd frame).
pub(crate) fn choose(choice: CodecChoice, stream: &Stream) -> (Codec, u32) {
    fn go<T: Word>(choice: CodecChoice, v: &[T]) -> (Codec, u32) {
        let c = match choice {
            CodecChoice::Fixed(c) => c,
            _ if v.len() < 2 => Codec::Zstd,
            // A constant column (zero noise sources, supplies): the shuffle
            // makes runs of one byte; differences would start with the
            // ordered word itself.
            _ if v.iter().all(|&x| x == v[0]) => Codec::ShuffleZstd,
            CodecChoice::Auto | CodecChoice::ZstdOnly => {
                return {
                    let shift = common_shift(v);
                    match choose_words(v, shift) {
                        c @ Codec::OrdDeltaShuffleZstd(_) => (c, shift),
                        c => (c, 0),
                    }
                }
            }
        };
        match c {
            Codec::OrdDeltaShuffleZstd(_) => (c, common_shift(v)),
            _ => (c, 0),
        }
    }
    match stream {
        Stream::W32(v) => go(choice, v),
        Stream::W64(v) => go(choice, v),
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
            let back = if c == Codec::Pco {
                pco_decode(&pco_encode(&s, 8).unwrap(), 8, s.len()).unwrap()
            } else {
                let mut pre = vec![0u8; s.len() * 8];
                pre_zstd_stream(c, 0, &s, &mut pre);
                let z = zstd_compress(&pre, 3).unwrap();
                zstd_decompress_with(&z, pre.len(), |b| post_zstd_stream(c, 0, b, 8, s.len()))
                    .unwrap()
                    .unwrap()
            };
            assert_eq!(back, s, "{c:?}");
        }
        for k in 1..=MAX_DELTA_ORDER {
            let w: Vec<u32> = vec![0, 1, u32::MAX, 0x8000_0000, 0x7fff_ffff, 3, 9, 0x8000_0001];
            let mut pre = vec![0u8; w.len() * 4];
            pre_zstd_slice(Codec::OrdDeltaShuffleZstd(k), 0, &w, &mut pre);
            assert_eq!(
                post_zstd::<u32>(Codec::OrdDeltaShuffleZstd(k), 0, &pre, w.len()),
                w
            );
            // Words with their low bits zero, shifted out and back.
            let w: Vec<u64> = [
                -1.5f64,
                2.25,
                -0.0,
                0.0,
                -1e300,
                1e-300,
                f64::INFINITY,
                -3.75,
            ]
            .iter()
            .map(|x| x.to_bits() & !0xfff)
            .collect();
            let shift = common_shift(&w);
            assert!(shift >= 12, "{shift}");
            let mut pre = vec![0u8; w.len() * 8];
            pre_zstd_slice(Codec::OrdDeltaShuffleZstd(k), shift, &w, &mut pre);
            assert_eq!(
                post_zstd::<u64>(Codec::OrdDeltaShuffleZstd(k), shift, &pre, w.len()),
                w
            );
            let m = vec![0x8000_0000_0000_0000u64; 5];
            let shift = common_shift(&m);
            assert_eq!(shift, 63);
            pre_zstd_slice(Codec::OrdDeltaShuffleZstd(k), shift, &m, &mut pre[..40]);
            assert_eq!(
                post_zstd::<u64>(Codec::OrdDeltaShuffleZstd(k), shift, &pre[..40], 5),
                m
            );
        }
        for x in [0u64, 1, u64::MAX, 1 << 63, (1 << 63) - 1, 12345] {
            assert_eq!(x.ord().unord(), x);
        }
        assert!((-1.0f64).to_bits().ord() < (-0.0f64).to_bits().ord());
        assert!((-0.0f64).to_bits().ord() < 0f64.to_bits().ord());
        assert!(0f64.to_bits().ord() < 1e-300f64.to_bits().ord());
    }
}
