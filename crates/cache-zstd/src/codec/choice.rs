//! The per-column codec choice: a ranking of the ordered differences on a
//! sample of the column.

use super::context::zstd_trial_len;
use super::pco::{pco_encode, pco_encode_float_mult};
use super::transform::{common_shift, int_exponent, pre_zstd_stream, with_int_map, IntMapUser};
use super::word::{decompose, Word};
use super::{Codec, CodecChoice, CodecError, Stream, MAX_DELTA_ORDER};

/// Values per sample slice, and slices per sample: columns up to
/// `SAMPLE_SLICE * SAMPLE_SLICES` values are ranked on the whole column.
const SAMPLE_SLICE: usize = 64;
const SAMPLE_SLICES: usize = 4;
const SAMPLE_MAX: usize = SAMPLE_SLICE * SAMPLE_SLICES;

/// The sample of a column of `n` values, as `(start, len)` slices in
/// `buf`: the whole column up to `SAMPLE_MAX` values, else
/// `SAMPLE_SLICES` evenly spaced slices of `SAMPLE_SLICE`.
fn sample_ranges(n: usize, buf: &mut [(usize, usize); SAMPLE_SLICES]) -> &[(usize, usize)] {
    if n <= SAMPLE_MAX {
        buf[0] = (0, n);
        &buf[..1]
    } else {
        let stride = n / SAMPLE_SLICES;
        for (k, r) in buf.iter_mut().enumerate() {
            *r = (k * stride, SAMPLE_SLICE);
        }
        &buf[..]
    }
}

/// The zigzagged residuals of the ordered differences of order `order`
/// (1..=8) of the sample `ranges` of `v` into `res`, and the sample's words
/// into `raw`; returns how many. A slice's differences start from the
/// values before it, as in the column.
fn sample_residuals<T: Word>(
    v: &[T],
    ranges: &[(usize, usize)],
    order: usize,
    shift: u32,
    res: &mut [T; SAMPLE_MAX],
    raw: &mut [T; SAMPLE_MAX],
) -> usize {
    const K: usize = MAX_DELTA_ORDER as usize;
    let mut m = 0;
    for &(start, len) in ranges {
        let pre = start.min(K);
        let mut prev = [T::default(); K];
        for (i, &x) in v[start - pre..start + len].iter().enumerate() {
            let mut d = x.ord().shr(shift);
            for p in prev.iter_mut().take(order) {
                let e = d.wsub(*p);
                *p = d;
                d = e;
            }
            if i >= pre && m < SAMPLE_MAX {
                res[m] = d.zigzag();
                raw[m] = x;
                m += 1;
            }
        }
    }
    m
}

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

/// The summed bit lengths of the zigzagged differences of every order
/// 1..=8 of `map(x)` over the sample `ranges` of `v`, and how many
/// residuals each sum counts. One pass computes every order at once; a
/// slice's differences start from the values before it, so no slice pays
/// a warm-up the real column does not. Pairs of values: both update the
/// differences, the second one's residuals are counted (half the
/// counting, the ranking as good).
#[inline(always)]
fn order_bits<T: Word>(
    v: &[T],
    ranges: &[(usize, usize)],
    map: impl Fn(T) -> T,
) -> ([u64; MAX_DELTA_ORDER as usize], usize) {
    const K: usize = MAX_DELTA_ORDER as usize;
    let mut bits = [0u64; K];
    // `| 1`: the bit length of a zero residual counts as 1, and the
    // count needs no zero test.
    let one = T::from_u64(1);
    for &(start, len) in ranges {
        let pre = start.min(K);
        let mut prev = [T::default(); K];
        for &x in &v[start - pre..start] {
            let mut d = map(x);
            for p in prev.iter_mut() {
                let e = d.wsub(*p);
                *p = d;
                d = e;
            }
        }
        let pairs = v[start..start + len].chunks_exact(2);
        let rest = pairs.remainder();
        for pair in pairs {
            let (x0, x1) = (pair[0], pair[1]);
            let mut d = map(x0);
            for p in prev.iter_mut() {
                let e = d.wsub(*p);
                *p = d;
                d = e;
            }
            let mut d = map(x1);
            #[allow(clippy::needless_range_loop)] // unrolled: K is a constant
            for j in 0..K {
                let e = d.wsub(prev[j]);
                prev[j] = d;
                d = e;
                bits[j] += u64::from(d.zigzag().or(one).bit_len());
            }
        }
        for &x in rest {
            let mut d = map(x);
            #[allow(clippy::needless_range_loop)] // unrolled: K is a constant
            for j in 0..K {
                let e = d.wsub(prev[j]);
                prev[j] = d;
                d = e;
                bits[j] += u64::from(d.zigzag().or(one).bit_len());
            }
        }
    }
    let counted = ranges.iter().map(|r| r.1.div_ceil(2)).sum();
    (bits, counted)
}

/// The order (1..=8) with the fewest bits, and its bits.
fn best_order(bits: &[u64; MAX_DELTA_ORDER as usize]) -> (u8, u64) {
    let mut k = 0;
    for j in 1..bits.len() {
        if bits[j] < bits[k] {
            k = j;
        }
    }
    ((k + 1) as u8, bits[k])
}

/// Ranks the codecs for `v` on a sample (the whole column up to
/// `SAMPLE_MAX` values, else `SAMPLE_SLICES` evenly spaced slices of
/// `SAMPLE_SLICE`) by the bit lengths of the residuals of the ordered
/// differences of every order 1..=8 ([`order_bits`]); the best order is
/// then compared with the byte shuffle alone by the order-0 entropy of the
/// byte planes. No trial zstd frames. Returns the codec and, for an
/// ordered codec, its summed residual bits.
fn choose_words<T: Word>(v: &[T], shift: u32) -> (Codec, u64) {
    let mut ranges = [(0usize, 0usize); SAMPLE_SLICES];
    let ranges = sample_ranges(v.len(), &mut ranges);
    let (bits, counted) = order_bits(v, ranges, |x| x.ord().shr(shift));
    let (order, best) = best_order(&bits);
    // Residuals well below the word width: the differences capture the
    // waveform and the byte shuffle alone cannot win (repeated values give
    // repeated differences too). Only noise-like columns are compared.
    if best * 4 < (counted * T::BYTES * 8 * 3) as u64 {
        return (Codec::OrdDeltaShuffleZstd(order), best);
    }
    // The residuals of the best order and the raw words, on the sample.
    let mut res = [T::default(); SAMPLE_MAX];
    let mut raw = [T::default(); SAMPLE_MAX];
    let m = sample_residuals(v, ranges, usize::from(order), shift, &mut res, &mut raw);
    if plane_entropy_bits(&res[..m]) < plane_entropy_bits(&raw[..m]) {
        (Codec::OrdDeltaShuffleZstd(order), best)
    } else {
        (Codec::ShuffleZstd, u64::MAX)
    }
}

/// The integer codec for `v` where it beats the ordered differences'
/// `ord_bits` on the sample: the exponent of the column's quantum (see
/// [`int_exponent`]; a first look at the sample skips columns whose range
/// is too wide already there), the best order of the differences of the
/// integers, ranked as the ordered ones are. `None` where the column is
/// not on one quantum or its integers are not smaller.
fn choose_int<T: Word>(v: &[T], ord_bits: u64) -> Option<(Codec, i32)> {
    let mut ranges = [(0usize, 0usize); SAMPLE_SLICES];
    let ranges = sample_ranges(v.len(), &mut ranges);
    let mut sample = ranges.iter().flat_map(|&(a, n)| &v[a..a + n]).copied();
    let (mut q, mut top) = (i32::MAX, i32::MIN);
    for x in &mut sample {
        let (_, sig, e2) = decompose(x)?;
        if sig != 0 {
            q = q.min(e2 + sig.trailing_zeros() as i32);
            top = top.max(e2 + 63 - sig.leading_zeros() as i32);
        }
    }
    if q == i32::MAX || top - q > T::BYTES as i32 * 8 - 2 {
        return None;
    }
    let q = int_exponent(v)?;
    struct Bits<'a, T> {
        v: &'a [T],
        ranges: &'a [(usize, usize)],
    }
    impl<T: Word> IntMapUser<T, [u64; MAX_DELTA_ORDER as usize]> for Bits<'_, T> {
        fn run(self, map: impl Fn(T) -> T + Copy) -> [u64; MAX_DELTA_ORDER as usize] {
            order_bits(self.v, self.ranges, map).0
        }
    }
    let bits = with_int_map(q, Bits { v, ranges });
    let (order, best) = best_order(&bits);
    (best < ord_bits).then_some((Codec::IntDeltaShuffleZstd(order), q))
}

/// A column's zstd codec, the low bits its ordered differences drop (see
/// [`common_shift`]; 0 for other codecs), the exponent of an integer
/// codec's quantum (see [`int_exponent`]; 0 for other codecs), and under
/// `Auto` what its sample says about pco (the difference order and the
/// hint).
pub(crate) struct Ranked {
    pub(crate) codec: Codec,
    pub(crate) shift: u32,
    pub(crate) exp2: i32,
    pub(crate) pco: Option<(usize, PcoHint)>,
}

/// Picks the codec for a stream, per `choice`. `Auto` and `ZstdOnly` rank
/// the byte shuffle alone and the ordered differences of order 1..=8 on a
/// sample (see [`choose_words`]; no trial zstd frames), then, for a column
/// on one quantum, the differences of its integers (see [`choose_int`]);
/// `Auto` then asks the sample of an ordered column about pco (see
/// [`pco_hint`]). `Fixed(IntDeltaShuffleZstd(k))` codes a column that is
/// not on one quantum with the ordered differences of order k.
pub(crate) fn choose(choice: CodecChoice, stream: &Stream) -> Ranked {
    fn go<T: Word>(choice: CodecChoice, v: &[T]) -> Ranked {
        let ranked = |codec, shift| Ranked {
            codec,
            shift,
            exp2: 0,
            pco: None,
        };
        let c = match choice {
            CodecChoice::Fixed(c) => c,
            _ if v.len() < 2 => Codec::Zstd,
            // A constant column (zero noise sources, supplies): the shuffle
            // makes runs of one byte; differences would start with the
            // ordered word itself.
            _ if v.iter().all(|&x| x == v[0]) => Codec::ShuffleZstd,
            CodecChoice::Auto | CodecChoice::ZstdOnly => {
                let shift = common_shift(v);
                return match choose_words(v, shift) {
                    (c @ Codec::OrdDeltaShuffleZstd(k), bits) => {
                        if let Some((codec, exp2)) = choose_int(v, bits) {
                            return Ranked {
                                codec,
                                shift: 0,
                                exp2,
                                pco: None,
                            };
                        }
                        Ranked {
                            codec: c,
                            shift,
                            exp2: 0,
                            pco: if choice == CodecChoice::Auto {
                                let order = usize::from(k);
                                pco_hint(v, order, shift).map(|h| (order, h))
                            } else {
                                None
                            },
                        }
                    }
                    (c, _) => ranked(c, 0),
                };
            }
        };
        match c {
            Codec::OrdDeltaShuffleZstd(_) => ranked(c, common_shift(v)),
            Codec::IntDeltaShuffleZstd(k) => match int_exponent(v) {
                Some(exp2) => Ranked {
                    codec: c,
                    shift: 0,
                    exp2,
                    pco: None,
                },
                None => ranked(Codec::OrdDeltaShuffleZstd(k), common_shift(v)),
            },
            _ => ranked(c, 0),
        }
    }
    match stream {
        Stream::W32(v) => go(choice, v),
        Stream::W64(v) => go(choice, v),
    }
}

/// Columns shorter than this are never tried with pco: its block header
/// and fixed cost per call outweigh what it could save.
const PCO_MIN_VALUES: usize = 64;

/// Mantissa trailing zeros from which a value counts as a multiple of a
/// coarser binary quantum (pco's own threshold for its float-mult mode).
const QUANTUM_TRAILING_ZEROS: u32 = 5;

/// pco is tried only where 10% of the column's estimated size (values x
/// mean residual bits) is 24 bytes or more, about a pco block's header.
const PCO_MIN_BITS: f64 = 24.0 * 8.0 * 10.0;

/// What the sample says about coding a column with pco.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PcoHint {
    /// The power of two of the float-mult base.
    pub(crate) exp2: i32,
    /// The estimated bits saved per value over the zstd path.
    pub(crate) saved_per_value: f64,
    /// Mean bit length of the sample's residuals (what the zstd path codes).
    pub(crate) residual_bits: f64,
}

/// (unbiased exponent, exponent of the lowest set bit) of a normal value.
fn float_parts<T: Word>(x: T) -> Option<(i32, i32)> {
    let mant = T::MANT;
    let exp_max = (1u64 << (T::BYTES as u32 * 8 - 1 - mant)) - 1;
    let b = x.to_u64();
    let e = (b >> mant) & exp_max;
    if e == 0 || e == exp_max {
        return None;
    }
    let tz = b.trailing_zeros().min(mant);
    let e = e as i32 - (exp_max >> 1) as i32;
    Some((e, e - (mant - tz) as i32))
}

/// What the sample says about pco for a column coded with the ordered
/// differences of order `order` (1..=8) after dropping `shift` low bits;
/// `None`: pco is not tried.
///
/// pco is tried in its float-mult mode with base `2^q` where at least half
/// the normal sample values have 5 or more trailing zero mantissa bits
/// (pco's own threshold) and `2^q`, the finest quantum of those values, is
/// a normal float: the values are (nearly) integer multiples of one binary
/// quantum across several binades, like ngspice branch currents (2^-63).
/// The hint then estimates both paths on the sample: the significant bits
/// (bit length less trailing zeros, plus the sign) of the differences of
/// order `order` of the ordered words, what the zstd path's byte planes
/// pay for; and the bit length of the zigzagged differences of the
/// integers `round(x / 2^q)`, what pco codes, plus `1 + 2 (q - low)` bits
/// of adjustment for a value whose lowest set bit `2^low` is below the
/// quantum. The integers stay smooth where a decaying waveform crosses
/// binades; the ordered words kink at every crossing. Measured on the
/// fixtures, the estimate errs towards the zstd path (Monte Carlo
/// currents: estimated 0.77-0.88 of the zstd bytes, coded 0.67-0.72).
pub(crate) fn pco_hint<T: Word>(v: &[T], order: usize, shift: u32) -> Option<PcoHint> {
    const K: usize = MAX_DELTA_ORDER as usize;
    let n = v.len();
    if n < PCO_MIN_VALUES {
        return None;
    }
    let mut ranges = [(0usize, 0usize); SAMPLE_SLICES];
    let ranges = sample_ranges(n, &mut ranges);
    let mant = T::MANT as i32;
    let bias = (1i32 << (T::BYTES as u32 * 8 - 2 - T::MANT)) - 1;
    let (mut normal, mut fine, mut q, mut top) = (0usize, 0usize, i32::MAX, i32::MIN);
    for &(start, len) in ranges {
        for &x in &v[start..start + len] {
            if let Some((e, low)) = float_parts(x) {
                normal += 1;
                top = top.max(e);
                if low - (e - mant) >= QUANTUM_TRAILING_ZEROS as i32 {
                    fine += 1;
                    q = q.min(low);
                }
            }
        }
    }
    // The integers must fit an i64 with room for the differences.
    if fine < 10 || 2 * fine < normal || q <= 1 - bias || q >= bias || top - q > 56 {
        return None;
    }
    let order = order.clamp(1, K);
    let (mut zstd_bits, mut pco_bits, mut m) = (0u64, 0u64, 0u64);
    for &(start, len) in ranges {
        let pre = start.min(K);
        let mut prev_w = [T::default(); K];
        let mut prev_i = [0i64; K];
        for (i, &x) in v[start - pre..start + len].iter().enumerate() {
            let mut d = x.ord().shr(shift);
            for p in prev_w.iter_mut().take(order) {
                let e = d.wsub(*p);
                *p = d;
                d = e;
            }
            // round(x / 2^q) and the adjustment bits of a value off the quantum.
            let (int, adj) = match float_parts(x) {
                Some((e, low)) => {
                    let b = x.to_u64();
                    let sig = (b & ((1u64 << mant) - 1)) | (1u64 << mant);
                    let sh = e - mant - q;
                    let mag = if sh >= 0 {
                        sig << sh
                    } else if -sh < 64 {
                        (sig + (1u64 << (-sh - 1))) >> -sh
                    } else {
                        0
                    };
                    let neg = b >> (T::BYTES * 8 - 1) != 0;
                    let int = if neg { -(mag as i64) } else { mag as i64 };
                    (int, if low < q { 1 + 2 * (q - low) as u64 } else { 0 })
                }
                // Zero and subnormals are 0 times the quantum; inf and NaN
                // cost pco a full adjustment.
                None if (x.to_u64() >> mant)
                    & ((1 << (T::BYTES * 8 - 1 - T::MANT as usize)) - 1)
                    == 0 =>
                {
                    (0, 0)
                }
                None => (0, T::BYTES as u64 * 8),
            };
            let mut di = int;
            for p in prev_i.iter_mut().take(order) {
                let e = di.wrapping_sub(*p);
                *p = di;
                di = e;
            }
            if i >= pre {
                // The residual's significant bits (and its sign): low
                // zero bits (values on a coarse quantum) cost the byte
                // planes next to nothing.
                let zz = d.zigzag().to_u64();
                let mag = (zz >> 1) + (zz & 1);
                zstd_bits += if mag == 0 {
                    1
                } else {
                    u64::from(65 - mag.leading_zeros() - mag.trailing_zeros())
                };
                let zz = ((di << 1) ^ (di >> 63)) as u64;
                pco_bits += u64::from(64 - (zz | 1).leading_zeros()) + adj;
                m += 1;
            }
        }
    }
    if m == 0 || (n as f64) * (zstd_bits as f64 / m as f64) < PCO_MIN_BITS {
        return None;
    }
    Some(PcoHint {
        exp2: q,
        saved_per_value: (zstd_bits as f64 - pco_bits as f64) / m as f64,
        residual_bits: zstd_bits as f64 / m as f64,
    })
}

/// The magnitude of a zigzagged residual.
fn magnitude<T: Word>(zz: T) -> T {
    zz.wadd(T::from_u64(1)).shr(1)
}

/// The zigzagged ordered differences of order `order` (no shift) of a
/// column's sample, into `res`; how many.
fn twin_residuals<T: Word>(v: &[T], order: usize, res: &mut [T; SAMPLE_MAX]) -> usize {
    let mut ranges = [(0usize, 0usize); SAMPLE_SLICES];
    let ranges = sample_ranges(v.len(), &mut ranges);
    let mut raw = [T::default(); SAMPLE_MAX];
    sample_residuals(v, ranges, order, 0, res, &mut raw)
}

/// A cheap first test of [`has_twin`]: on at least half of up to 64
/// evenly spaced values, `a` and `b` have the same exponent and leading 8
/// mantissa bits, whatever the sign (a repeat or a negation does).
fn same_magnitudes<T: Word>(a: &[T], b: &[T]) -> bool {
    let n = a.len().min(b.len());
    let step = (n / 64).max(1);
    // Drop the sign bit; keep the exponent and 8 mantissa bits.
    let bits = T::BYTES as u32 * 8;
    let top = |x: T| (x.to_u64() << (65 - bits)) >> (57 + T::MANT - bits);
    let (mut seen, mut same) = (0usize, 0usize);
    for i in (0..n).step_by(step) {
        seen += 1;
        same += usize::from(top(a[i]) == top(b[i]));
    }
    2 * same >= seen
}

/// True when column `i` of `streams` repeats or negates another column on
/// its sample: the magnitudes of their ordered differences of order
/// `order` agree within 1/64 (or within `2^order`, what a last-bit
/// difference of the values makes of them) on at least half the positions
/// where column `i`'s are not zero (8 positions at least). The shared zstd frame
/// codes such a column with matches into the other (a DC sweep's source
/// node repeats the sweep; a series element's current negates the
/// source's), for next to nothing, so neither leaves the frame for pco.
fn has_twin(streams: &[Stream], i: usize, order: usize) -> bool {
    fn go<'a, T: Word + 'a>(
        a: &[T],
        others: impl Iterator<Item = Option<&'a [T]>>,
        order: usize,
    ) -> bool {
        let mut ra = [T::default(); SAMPLE_MAX];
        let m = twin_residuals(a, order, &mut ra);
        let mut rb = [T::default(); SAMPLE_MAX];
        for b in others.flatten() {
            if b.len() != a.len()
                || !same_magnitudes(a, b)
                || twin_residuals(b, order, &mut rb) != m
            {
                continue;
            }
            let (mut nonzero, mut agree) = (0usize, 0usize);
            for (&x, &y) in ra[..m].iter().zip(&rb[..m]) {
                if x == T::default() {
                    continue;
                }
                nonzero += 1;
                let (x, y) = (magnitude(x).to_u64(), magnitude(y).to_u64());
                if x.abs_diff(y) <= (x >> 6).max(1 << order) {
                    agree += 1;
                }
            }
            if nonzero >= 8 && 2 * agree >= nonzero {
                return true;
            }
        }
        false
    }
    let others = streams.iter().enumerate().filter(|&(j, _)| j != i);
    match &streams[i] {
        Stream::W32(a) => go(
            a,
            others.map(|(_, s)| match s {
                Stream::W32(b) => Some(b.as_slice()),
                Stream::W64(_) => None,
            }),
            order,
        ),
        Stream::W64(a) => go(
            a,
            others.map(|(_, s)| match s {
                Stream::W64(b) => Some(b.as_slice()),
                Stream::W32(_) => None,
            }),
            order,
        ),
    }
}

/// The codec of a column and, for a pco column, its block, already coded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Choice {
    /// The column's codec.
    pub(crate) codec: Codec,
    /// The low bits an ordered-difference column drops (0 otherwise).
    pub(crate) shift: u32,
    /// The exponent of an integer column's quantum (0 otherwise).
    pub(crate) exp2: i32,
    /// The pco block, `Some` exactly when `codec` is [`Codec::Pco`].
    pub(crate) pco_block: Option<Vec<u8>>,
}

/// What the sample's estimate says about pco (see [`pco_hint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Estimated 10% or more smaller: take pco.
    Take,
    /// Estimated smaller, by less than 10%: the estimate errs towards the
    /// zstd path, so code the column both ways and compare.
    Try,
    /// Estimated larger: keep the zstd path.
    No,
}

fn verdict(hint: &PcoHint) -> Verdict {
    if hint.saved_per_value >= 0.1 * hint.residual_bits {
        Verdict::Take
    } else if hint.saved_per_value > 0.0 {
        Verdict::Try
    } else {
        Verdict::No
    }
}

/// True when `pco` bytes beat `zstd` bytes by 10% or more.
fn clear_win(pco: usize, zstd: usize) -> bool {
    pco.saturating_mul(10) <= zstd.saturating_mul(9)
}

/// Bytes of a zstd frame of `stream` transformed by `codec` (a trial).
fn zstd_len(codec: Codec, shift: u32, stream: &Stream, level: i32) -> Result<usize, CodecError> {
    zstd_trial_len(level, stream.len() * stream.width(), |out| {
        pre_zstd_stream(codec, shift, 0, stream, out)
    })
}

/// Picks the codec of every column of a plot (see [`choose`]) and, where
/// pco is taken, codes its block.
///
/// `Auto` tries pco for a column where its sample estimates pco smaller
/// (see [`pco_hint`]) and the column does not repeat or negate another
/// column of the plot (see [`has_twin`]); the block is coded with the
/// ranking's difference order and the hinted base fixed (see
/// [`pco_encode_float_mult`]). pco is taken outright where the estimate
/// saves 10% or more; where it saves less (the estimate errs towards the
/// zstd path), the column is also coded alone by zstd (level `zstd_level`)
/// and pco is taken only if 10% or more smaller. If pco fails the column
/// keeps its zstd codec. `ZstdOnly` never takes pco; `Fixed(Codec::Pco)`
/// always does, pco choosing its own mode and deltas.
pub(crate) fn choose_columns(
    choice: CodecChoice,
    streams: &[Stream],
    zstd_level: i32,
    pco_level: usize,
) -> Result<Vec<Choice>, CodecError> {
    let mut out = Vec::with_capacity(streams.len());
    for (i, stream) in streams.iter().enumerate() {
        let Ranked {
            codec,
            shift,
            exp2,
            pco,
        } = choose(choice, stream);
        let mut c = Choice {
            codec,
            shift,
            exp2,
            pco_block: None,
        };
        if codec == Codec::Pco {
            c.pco_block = Some(pco_encode(stream, pco_level)?);
        } else if let Some((order, hint)) = pco {
            let v = verdict(&hint);
            if v != Verdict::No && !has_twin(streams, i, order) {
                if let Ok(block) = pco_encode_float_mult(stream, pco_level, order, hint.exp2) {
                    let take = v == Verdict::Take
                        || zstd_len(codec, shift, stream, zstd_level)
                            .is_ok_and(|z| clear_win(block.len(), z));
                    if take {
                        c = Choice {
                            codec: Codec::Pco,
                            shift: 0,
                            exp2: 0,
                            pco_block: Some(block),
                        };
                    }
                }
            }
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::pco_decode;
    use super::*;

    /// A decaying current on a quantum of `2^q`, as bit patterns.
    fn current32(n: usize, q: i32) -> Vec<u32> {
        let quantum = 2f32.powi(q);
        (0..n)
            .map(|k| {
                let i = -1e-2f32 * (-(k as f32) / 200.0).exp();
                ((i / quantum).round() * quantum).to_bits()
            })
            .collect()
    }

    #[test]
    fn a_current_on_a_quantum_takes_the_integer_codec() {
        let v = current32(1000, -24);
        for choice in [CodecChoice::Auto, CodecChoice::ZstdOnly] {
            let r = choose(choice, &Stream::W32(v.clone()));
            assert!(
                matches!(r.codec, Codec::IntDeltaShuffleZstd(_)),
                "{:?}",
                r.codec
            );
            assert_eq!(r.exp2, -24);
            assert!(r.pco.is_none());
        }
    }

    #[test]
    fn f32_fixed_point_hint_codes_and_round_trips() {
        // A -0.0 keeps the column off the integer codec (its sign would be
        // lost); pco's sample estimate still sees the quantum.
        let mut v = current32(1000, -24);
        v[500] = (-0.0f32).to_bits();
        let Ranked {
            codec, shift, pco, ..
        } = choose(CodecChoice::Auto, &Stream::W32(v.clone()));
        let Codec::OrdDeltaShuffleZstd(k) = codec else {
            panic!("{codec:?}")
        };
        let (order, hint) = pco.unwrap();
        assert_eq!(order, usize::from(k));
        assert_eq!(hint.exp2, -24);
        assert!(hint.saved_per_value > 0.0, "{hint:?}");
        let stream = Stream::W32(v);
        let block = pco_encode_float_mult(&stream, 8, order, hint.exp2).unwrap();
        assert_eq!(pco_decode(&block, 4, stream.len()).unwrap(), stream);
        let _ = shift;
    }

    #[test]
    fn fixed_int_codec_takes_a_quantum_column_and_falls_back_on_others() {
        let v = current32(1000, -20);
        let r = choose(
            CodecChoice::Fixed(Codec::IntDeltaShuffleZstd(3)),
            &Stream::W32(v.clone()),
        );
        assert_eq!(r.codec, Codec::IntDeltaShuffleZstd(3));
        assert_eq!((r.exp2, r.shift), (-20, 0));
        // A -0.0 has no integer: the same order of ordered differences.
        let mut z = v;
        z[10] = (-0.0f32).to_bits();
        let r = choose(
            CodecChoice::Fixed(Codec::IntDeltaShuffleZstd(3)),
            &Stream::W32(z),
        );
        assert_eq!(r.codec, Codec::OrdDeltaShuffleZstd(3));
        assert_eq!(r.exp2, 0);
    }

    #[test]
    fn a_trial_length_is_the_length_of_the_coded_column() {
        let mut v = current32(3000, -24);
        v[7] = (-0.0f32).to_bits();
        let stream = Stream::W32(v);
        let codec = Codec::OrdDeltaShuffleZstd(2);
        let mut bytes = vec![0u8; stream.len() * stream.width()];
        pre_zstd_stream(codec, 0, 0, &stream, &mut bytes);
        let frame = zstd::bulk::compress(&bytes, 3).unwrap();
        let trial = zstd_len(codec, 0, &stream, 3).unwrap();
        assert_eq!(trial, frame.len());
        assert!(trial < bytes.len() / 2, "{trial} of {}", bytes.len());
        // pco must be 10% smaller to be taken.
        assert!(clear_win(90, 100));
        assert!(!clear_win(91, 100));
        assert!(!clear_win(usize::MAX, 100));
    }

    #[test]
    fn no_hint_for_zstd_only_short_or_off_quantum_columns() {
        let v = current32(1000, -24);
        assert!(choose(CodecChoice::ZstdOnly, &Stream::W32(v.clone()))
            .pco
            .is_none());
        assert!(choose(CodecChoice::Auto, &Stream::W32(v[..32].to_vec()))
            .pco
            .is_none());
        // Full-precision values (no quantum): no hint.
        let smooth: Vec<u64> = (0..1000)
            .map(|k| (-1e-2f64 * (-(k as f64) / 200.0).exp() * (1.0 + 1e-9 * k as f64)).to_bits())
            .collect();
        assert!(choose(CodecChoice::Auto, &Stream::W64(smooth))
            .pco
            .is_none());
    }

    #[test]
    fn twins_are_repeats_and_negations_not_other_columns() {
        let a: Vec<u64> = current32(1000, -24)
            .iter()
            .map(|&b| f64::from(f32::from_bits(b)).to_bits())
            .collect();
        let neg: Vec<u64> = a.iter().map(|&b| b ^ (1 << 63)).collect();
        let other: Vec<u64> = (0..1000)
            .map(|k| ((k as f64 / 37.0).sin() * 1e-3).to_bits())
            .collect();
        let s = |v: &Vec<u64>| Stream::W64(v.clone());
        assert!(has_twin(&[s(&a), s(&neg)], 0, 3));
        assert!(has_twin(&[s(&other), s(&a), s(&a)], 1, 3));
        assert!(!has_twin(&[s(&a), s(&other)], 0, 3));
        assert!(!has_twin(&[s(&a)], 0, 3));
        // f32 columns: a negation with its last bit off on some values.
        let c = current32(1000, -24);
        let n32: Vec<u32> = c
            .iter()
            .enumerate()
            .map(|(k, &b)| (b ^ (1 << 31)) ^ u32::from(k % 3 == 0))
            .collect();
        assert!(same_magnitudes(&c, &n32));
        assert!(has_twin(&[Stream::W32(c.clone()), Stream::W32(n32)], 0, 3));
        let o32: Vec<u32> = (0..1000)
            .map(|k| ((k as f32 / 37.0).sin()).to_bits())
            .collect();
        assert!(!same_magnitudes(&c, &o32));
        // Widths differ: never twins.
        let w32 = Stream::W32(current32(1000, -24));
        assert!(!has_twin(&[s(&a), w32], 0, 3));
    }

    #[test]
    fn a_close_pco_estimate_is_settled_by_coding_both_ways() {
        // On 2^-24 with a slow decay and a ripple, one -0.0 keeping it off
        // the integer codec: pco's estimate saves less than 10%.
        let mut v: Vec<u32> = (0..2000)
            .map(|k| {
                let quantum = 2f32.powi(-24);
                let k = k as f32;
                let i = -1e-2 * (-k / 2000.0).exp() + 1e-4 * (k / 7.0).sin();
                ((i / quantum).round() * quantum).to_bits()
            })
            .collect();
        v[5] = (-0.0f32).to_bits();
        let stream = Stream::W32(v);
        let r = choose(CodecChoice::Auto, &stream);
        let (order, hint) = r.pco.unwrap();
        assert_eq!(verdict(&hint), Verdict::Try, "{hint:?}");
        let block = pco_encode_float_mult(&stream, 8, order, hint.exp2).unwrap();
        let zstd = zstd_len(r.codec, r.shift, &stream, 3).unwrap();
        let cols = choose_columns(CodecChoice::Auto, std::slice::from_ref(&stream), 3, 8).unwrap();
        let expect = if clear_win(block.len(), zstd) {
            Codec::Pco
        } else {
            r.codec
        };
        assert_eq!(cols[0].codec, expect, "pco {} zstd {zstd}", block.len());
        assert_eq!(cols[0].pco_block.is_some(), expect == Codec::Pco);
        if let Some(b) = &cols[0].pco_block {
            assert_eq!(pco_decode(b, 4, stream.len()).unwrap(), stream);
        }
    }
}
