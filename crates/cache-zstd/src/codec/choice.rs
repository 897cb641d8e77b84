//! The per-column codec choice: a ranking of the ordered differences on a
//! sample of the column.

use super::transform::common_shift;
use super::word::Word;
use super::{Codec, CodecChoice, Stream, MAX_DELTA_ORDER};

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
