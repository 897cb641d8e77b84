//! The transforms of the zstd codecs (differences, XOR, the order map and
//! its shift) fused with the byte shuffle, and their inverses.

use super::shuffle::{shuffle_map, unshuffle_map};
use super::word::{decompose, pow2_bits, Word};
use super::{Codec, CodecError, Stream};

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
    post_zstd(Codec::ShuffleZstd, 0, 0, bytes, n)
}

#[cfg(test)]
fn le_bytes<T: Word>(v: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    pre_zstd_into(Codec::Zstd, v, &mut out);
    out
}

#[cfg(test)]
fn from_le<T: Word>(bytes: &[u8]) -> Vec<T> {
    post_zstd(Codec::Zstd, 0, 0, bytes, bytes.len() / T::BYTES)
}

/// The bytes a zstd codec compresses (before zstd), written into `out`
/// (cleared first; its allocation is reused).
#[cfg(test)]
fn pre_zstd_into<T: Word>(codec: Codec, v: &[T], out: &mut Vec<u8>) {
    let len = v.len() * T::BYTES;
    out.clear();
    out.resize(len, 0);
    pre_zstd_slice(codec, 0, 0, v, out);
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

/// The integer `x / 2^q` of a float on the quantum `2^q`, as a two's
/// complement word (exact for the columns [`int_exponent`] accepts; 0 for
/// an infinity or a NaN, which it refuses).
#[inline(always)]
pub(super) fn to_int<T: Word>(x: T, q: i32) -> T {
    match decompose(x) {
        Some((neg, sig, e2)) => {
            // `sig * 2^e2 / 2^q`: low zero bits of `sig` may lie below
            // the quantum, so the shift goes either way.
            let sh = e2 - q;
            let mag = if (0..64).contains(&sh) {
                sig << sh
            } else if (-63..0).contains(&sh) {
                sig >> -sh
            } else {
                0
            };
            T::from_u64(if neg { mag.wrapping_neg() } else { mag })
        }
        None => T::default(),
    }
}

/// `x / 2^q` as [`to_int`] computes it, by one multiplication where
/// `2^-q` is a float of the width (every quantum but the smallest
/// subnormal ones): `f(x)` for a column `int_exponent` accepted.
#[inline(always)]
pub(super) fn with_int_map<T: Word, R>(q: i32, f: impl IntMapUser<T, R>) -> R {
    match q.checked_neg().and_then(pow2_bits::<T>) {
        Some(inv) => f.run(move |x: T| x.times_int(inv)),
        None => f.run(move |x: T| to_int(x, q)),
    }
}

/// A computation generic over the map of [`with_int_map`] (a closure
/// cannot be generic, so the two maps are two instances of `run`).
pub(super) trait IntMapUser<T: Word, R> {
    fn run(self, map: impl Fn(T) -> T + Copy) -> R;
}

/// k-th order difference of the integers `map(x)`, zigzagged.
#[inline(always)]
fn int_delta_step<T: Word, const K: usize>(x: T, s: &mut [T; K]) -> T {
    let mut x = x;
    for p in s.iter_mut() {
        let d = x.wsub(*p);
        *p = x;
        x = d;
    }
    x.zigzag()
}

/// The inverse of [`int_delta_step`]: `p` is the bit pattern of `2^q`.
#[inline(always)]
fn int_undelta_step<T: Word, const K: usize>(r: T, s: &mut [T; K], p: T) -> T {
    let mut d = r.unzigzag();
    for x in s.iter_mut().rev() {
        *x = x.wadd(d);
        d = *x;
    }
    d.int_times(p)
}

/// The exponent `q` of the integer codec ([`Codec::IntDeltaShuffleZstd`])
/// for the column `v`: the lowest set bit of any value is `2^q`, so that
/// every value is an integer times `2^q`. `None` (the column cannot be
/// coded so) when a value is an infinity, a NaN or `-0.0` (its sign would
/// be lost), when every value is zero, or when an integer `|x| / 2^q`
/// would not fit the word with its sign (`2^(width - 1)` or more). The
/// integers then have at most as many significant bits as the
/// significand, so the decoder's `int as float * 2^q` is exact.
pub(crate) fn int_exponent<T: Word>(v: &[T]) -> Option<i32> {
    let (mut q, mut top) = (i32::MAX, i32::MIN);
    for &x in v {
        let (neg, sig, e2) = decompose(x)?;
        if sig == 0 {
            if neg {
                return None;
            }
            continue;
        }
        q = q.min(e2 + sig.trailing_zeros() as i32);
        top = top.max(e2 + 63 - sig.leading_zeros() as i32);
    }
    let fits = q != i32::MAX && top - q <= T::BYTES as i32 * 8 - 2;
    (fits && pow2_bits::<T>(q).is_some()).then_some(q)
}

/// `$go!(K)` with the difference order `k` as a constant (orders 1..=8;
/// 8 for any other, which the callers have refused before).
macro_rules! by_order {
    ($k:expr, $go:ident) => {
        match $k {
            1 => $go!(1),
            2 => $go!(2),
            3 => $go!(3),
            4 => $go!(4),
            5 => $go!(5),
            6 => $go!(6),
            7 => $go!(7),
            _ => $go!(8),
        }
    };
}

fn int_delta_into<T: Word>(k: u8, q: i32, v: &[T], out: &mut [u8]) {
    struct Go<'a, T> {
        k: u8,
        v: &'a [T],
        out: &'a mut [u8],
    }
    impl<T: Word> IntMapUser<T, ()> for Go<'_, T> {
        #[inline(always)]
        fn run(self, map: impl Fn(T) -> T + Copy) {
            let Go { k, v, out } = self;
            macro_rules! go {
                ($k:literal) => {
                    shuffle_map(v, out, [T::default(); $k], |x, st| {
                        int_delta_step::<T, $k>(map(x), st)
                    })
                };
            }
            by_order!(k, go)
        }
    }
    with_int_map(q, Go { k, v, out })
}

fn int_undelta<T: Word>(k: u8, q: i32, bytes: &[u8], n: usize) -> Vec<T> {
    // The caller checked `q` (`exp2_is_valid`); a zero factor otherwise.
    let p = pow2_bits::<T>(q).unwrap_or_default();
    macro_rules! go {
        ($k:literal) => {
            unshuffle_map(bytes, n, [T::default(); $k], |x, st| {
                int_undelta_step::<T, $k>(x, st, p)
            })
        };
    }
    by_order!(k, go)
}

fn ord_delta_into<T: Word>(k: u8, shift: u32, v: &[T], out: &mut [u8]) {
    macro_rules! go {
        ($k:literal) => {
            shuffle_map(v, out, [T::default(); $k], |x, st| {
                ord_delta_step::<T, $k>(x, st, shift)
            })
        };
    }
    by_order!(k, go)
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
    by_order!(k, go)
}

/// The bytes a zstd codec compresses (before zstd), written into `out`,
/// which is exactly `v.len() * T::BYTES` long. `shift` (ordered codecs
/// only) drops that many low bits, zero in every word, before the differences.
/// `exp2` (integer codecs only) is the exponent of the quantum (see
/// [`int_exponent`]).
pub(crate) fn pre_zstd_slice<T: Word>(
    codec: Codec,
    shift: u32,
    exp2: i32,
    v: &[T],
    out: &mut [u8],
) {
    let d = T::default();
    match codec {
        Codec::OrdDeltaShuffleZstd(k) => ord_delta_into(k, shift, v, out),
        Codec::IntDeltaShuffleZstd(k) => int_delta_into(k, exp2, v, out),
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

fn post_zstd<T: Word>(codec: Codec, shift: u32, exp2: i32, bytes: &[u8], n: usize) -> Vec<T> {
    let d = T::default();
    match codec {
        Codec::OrdDeltaShuffleZstd(k) => ord_undelta(k, shift, bytes, n),
        Codec::IntDeltaShuffleZstd(k) => int_undelta(k, exp2, bytes, n),
        Codec::Zstd | Codec::Pco => bytes
            .chunks_exact(T::BYTES)
            .take(n)
            .map(T::from_le)
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

/// Writes the transformed, byte-shuffled words of `stream` (per the zstd
/// codec `codec`) into `out`, exactly `stream.len() * stream.width()` bytes.
pub(crate) fn pre_zstd_stream(
    codec: Codec,
    shift: u32,
    exp2: i32,
    stream: &Stream,
    out: &mut [u8],
) {
    match stream {
        Stream::W32(v) => pre_zstd_slice(codec, shift, exp2, v, out),
        Stream::W64(v) => pre_zstd_slice(codec, shift, exp2, v, out),
    }
}

/// The inverse of [`pre_zstd_stream`]: `bytes` is exactly `n * width` long
/// (checked by the caller).
pub(crate) fn post_zstd_stream(
    codec: Codec,
    shift: u32,
    exp2: i32,
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
    if !exp2_is_valid(codec, exp2, width) {
        return Err(format!("exponent {exp2} is not valid for {codec:?}"));
    }
    if Some(bytes.len()) != n.checked_mul(width) {
        return Err(format!("{} bytes for {n} values of {width}", bytes.len()));
    }
    Ok(match width {
        4 => Stream::W32(post_zstd(codec, shift, exp2, bytes, n)),
        _ => Stream::W64(post_zstd(codec, shift, exp2, bytes, n)),
    })
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

/// True when `exp2` is one a column of `codec` and part width `width` may
/// carry: for the integer codecs, `2^exp2` is a float of that width (a
/// subnormal at the least); 0 for the others.
pub(crate) fn exp2_is_valid(codec: Codec, exp2: i32, width: usize) -> bool {
    match codec {
        Codec::IntDeltaShuffleZstd(_) => match width {
            4 => pow2_bits::<u32>(exp2).is_some(),
            _ => pow2_bits::<u64>(exp2).is_some(),
        },
        _ => exp2 == 0,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::context::{zstd_compress, zstd_decompress_with};
    use super::super::pco::{pco_decode, pco_encode};
    use super::super::MAX_DELTA_ORDER;
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
                pre_zstd_stream(c, 0, 0, &s, &mut pre);
                let z = zstd_compress(&pre, 3).unwrap();
                zstd_decompress_with(&z, pre.len(), |b| post_zstd_stream(c, 0, 0, b, 8, s.len()))
                    .unwrap()
                    .unwrap()
            };
            assert_eq!(back, s, "{c:?}");
        }
        for k in 1..=MAX_DELTA_ORDER {
            let w: Vec<u32> = vec![0, 1, u32::MAX, 0x8000_0000, 0x7fff_ffff, 3, 9, 0x8000_0001];
            let mut pre = vec![0u8; w.len() * 4];
            pre_zstd_slice(Codec::OrdDeltaShuffleZstd(k), 0, 0, &w, &mut pre);
            assert_eq!(
                post_zstd::<u32>(Codec::OrdDeltaShuffleZstd(k), 0, 0, &pre, w.len()),
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
            pre_zstd_slice(Codec::OrdDeltaShuffleZstd(k), shift, 0, &w, &mut pre);
            assert_eq!(
                post_zstd::<u64>(Codec::OrdDeltaShuffleZstd(k), shift, 0, &pre, w.len()),
                w
            );
            let m = vec![0x8000_0000_0000_0000u64; 5];
            let shift = common_shift(&m);
            assert_eq!(shift, 63);
            pre_zstd_slice(Codec::OrdDeltaShuffleZstd(k), shift, 0, &m, &mut pre[..40]);
            assert_eq!(
                post_zstd::<u64>(Codec::OrdDeltaShuffleZstd(k), shift, 0, &pre[..40], 5),
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

    /// Codes `v` with the integer codec of every order and decodes it back.
    fn int_round_trip<T: Word>(v: &[T]) -> Option<i32> {
        let q = int_exponent(v)?;
        assert!(exp2_is_valid(Codec::IntDeltaShuffleZstd(1), q, T::BYTES));
        for k in 1..=MAX_DELTA_ORDER {
            let c = Codec::IntDeltaShuffleZstd(k);
            let mut pre = vec![0u8; v.len() * T::BYTES];
            pre_zstd_slice(c, 0, q, v, &mut pre);
            assert_eq!(
                post_zstd::<T>(c, 0, q, &pre, v.len()),
                v,
                "order {k}, q {q}"
            );
        }
        Some(q)
    }

    #[test]
    fn the_integer_codec_round_trips_every_value_it_accepts() {
        let f = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        // A current on 2^-63, with zero, negatives and a crossing of binades.
        let i: Vec<f64> = (0..300)
            .map(|k| ((-(k as f64) / 40.0).exp() * -1e-3 * 2f64.powi(63)).round() * 2f64.powi(-63))
            .chain([0.0, 1e-3, -5.0 * 2f64.powi(-63)])
            .collect();
        let q = int_round_trip(&f(&i)).unwrap();
        assert!(q <= -63, "{q}");
        // Full-precision values within 2^61 of their quantum: still exact.
        let s: Vec<f64> = (0..200).map(|k| (k as f64 * 0.01).sin() + 2.0).collect();
        assert!(int_round_trip(&f(&s)).is_some());
        // Subnormals, and the largest floats on a coarse quantum.
        let sub = [
            f64::from_bits(1),
            f64::from_bits(7),
            -f64::from_bits(3),
            0.0,
        ];
        assert_eq!(int_round_trip(&f(&sub)), Some(-1074));
        let big = [f64::MAX, -f64::MAX, f64::MAX / 2.0];
        assert!(int_round_trip(&f(&big)).is_some());
        // f32 columns.
        let w: Vec<u32> = (0..100)
            .map(|k| ((k as f32 - 50.0) * 0.25).to_bits())
            .collect();
        assert_eq!(int_round_trip(&w), Some(-2));
        let sub32 = [
            f32::from_bits(1),
            -f32::from_bits(5),
            3.0 * f32::from_bits(1),
        ];
        assert_eq!(int_round_trip(&sub32.map(f32::to_bits)), Some(-149));
    }

    #[test]
    fn the_integer_codec_refuses_what_it_cannot_code_exactly() {
        let f = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        for bad in [
            vec![1.0, -0.0, 2.0],
            vec![1.0, f64::NAN],
            vec![1.0, f64::INFINITY],
            vec![0.0, 0.0],
            // 2^63 between the largest value and the quantum.
            vec![1.0, 2f64.powi(-63)],
            vec![],
        ] {
            assert_eq!(int_exponent(&f(&bad)), None, "{bad:?}");
        }
        assert_eq!(int_exponent(&f(&[1.0, 2f64.powi(-62)])), Some(-62));
        // f32: the integers must fit 31 bits with the sign.
        assert_eq!(
            int_exponent(&[1.0f32.to_bits(), 2f32.powi(-31).to_bits()]),
            None
        );
        assert_eq!(
            int_exponent(&[1.0f32.to_bits(), 2f32.powi(-30).to_bits()]),
            Some(-30)
        );
        // Exponents a decoder refuses: 2^q is not a float of the width.
        let c = Codec::IntDeltaShuffleZstd(3);
        assert!(exp2_is_valid(c, -1074, 8) && exp2_is_valid(c, 1023, 8));
        assert!(!exp2_is_valid(c, -1075, 8) && !exp2_is_valid(c, 1024, 8));
        assert!(exp2_is_valid(c, -149, 4) && !exp2_is_valid(c, -150, 4));
        assert!(!exp2_is_valid(c, 128, 4));
        assert!(!exp2_is_valid(Codec::OrdDeltaShuffleZstd(3), 5, 8));
        let e = post_zstd_stream(c, 0, 2000, &[0u8; 16], 8, 2).unwrap_err();
        assert!(e.contains("exponent 2000 is not valid"), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Integers on a random quantum, as floats: the exponent found is
        /// at most the quantum's, and every order decodes them bit for bit.
        #[test]
        fn integers_on_a_quantum_round_trip(
            ints in proptest::collection::vec(-(1i64 << 52)..(1i64 << 52), 1..200),
            q in -1000i32..900,
        ) {
            let v: Vec<u64> = ints
                .iter()
                .map(|&i| (i as f64 * 2f64.powi(q)).to_bits())
                .collect();
            if let Some(found) = int_round_trip(&v) {
                proptest::prop_assert!(found >= q || ints.iter().all(|&i| i == 0));
            } else {
                proptest::prop_assert!(ints.iter().all(|&i| i == 0));
            }
        }

        /// The map the encoder uses (one multiplication by `2^-q` where
        /// that is a float) gives the integers of [`to_int`] on every
        /// column `int_exponent` accepts, subnormal quanta included.
        #[test]
        fn the_multiplying_map_agrees_with_to_int(
            ints in proptest::collection::vec(-(1i64 << 52)..(1i64 << 52), 1..50),
            small in proptest::collection::vec(-(1i32 << 23)..(1i32 << 23), 1..50),
            q in -1074i32..900,
            q32 in -149i32..100,
        ) {
            struct Ints<'a, T>(&'a [T]);
            impl<T: Word> IntMapUser<T, Vec<T>> for Ints<'_, T> {
                fn run(self, map: impl Fn(T) -> T + Copy) -> Vec<T> {
                    self.0.iter().map(|&x| map(x)).collect()
                }
            }
            let v: Vec<u64> = ints
                .iter()
                .map(|&i| (i as f64 * 2f64.powi(q)).to_bits())
                .collect();
            if let Some(e) = int_exponent(&v) {
                let want: Vec<u64> = v.iter().map(|&x| to_int(x, e)).collect();
                proptest::prop_assert_eq!(with_int_map(e, Ints(&v)), want);
            }
            let w: Vec<u32> = small
                .iter()
                .map(|&i| ((i as f64) * 2f64.powi(q32)) as f32)
                .map(f32::to_bits)
                .collect();
            if let Some(e) = int_exponent(&w) {
                let want: Vec<u32> = w.iter().map(|&x| to_int(x, e)).collect();
                proptest::prop_assert_eq!(with_int_map(e, Ints(&w)), want);
            }
        }

        /// Arbitrary bit patterns: whatever the codec accepts decodes back.
        #[test]
        fn arbitrary_words_round_trip_when_accepted(
            v in proptest::collection::vec(proptest::prelude::any::<u64>(), 1..100),
            w in proptest::collection::vec(proptest::prelude::any::<u32>(), 1..100),
        ) {
            let _ = int_round_trip(&v);
            let _ = int_round_trip(&w);
        }
    }
}
