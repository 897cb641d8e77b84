//! The integer words of a stream (`u32` for f32 parts, `u64` for f64
//! parts) and the bit operations the transforms use.

/// An integer word of a stream.
pub(crate) trait Word: Copy + Default + Eq + std::fmt::Debug {
    const BYTES: usize;
    /// Mantissa bits of the float of this width (23, 52).
    const MANT: u32;
    fn wsub(self, o: Self) -> Self;
    fn wadd(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    fn zigzag(self) -> Self;
    fn unzigzag(self) -> Self;
    fn byte(self, b: usize) -> u8;
    fn with_byte(self, x: u8, b: usize) -> Self;
    /// The word of the little-endian bytes `b` (`Self::BYTES` long; a
    /// shorter slice reads as 0).
    fn from_le(b: &[u8]) -> Self;
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
    /// The float of the signed integer `self` (two's complement) times
    /// `p`, as bit patterns: `(self as float) * p`. Exact when the integer
    /// has at most `MANT + 1` significant bits and the product is a float
    /// (what [`super::transform::int_exponent`] checks before coding).
    fn int_times(self, p: Self) -> Self;
    /// The inverse of [`Word::int_times`]: the float `self` times `inv`
    /// (the bit pattern of `2^-q`), as a two's complement integer. Exact
    /// for a column [`super::transform::int_exponent`] accepted: the
    /// product is an integer of at most `MANT + 1` bits.
    fn times_int(self, inv: Self) -> Self;
}

/// The parts of a finite float `x` (bit patterns of width `T`): its sign,
/// its significand as an integer and the exponent of the significand's
/// lowest bit, so that `x = (-1)^sign * sig * 2^e2`; `None` for an
/// infinity or a NaN. Zero has `sig == 0`; subnormals are handled.
#[inline(always)]
pub(crate) fn decompose<T: Word>(x: T) -> Option<(bool, u64, i32)> {
    let bits = T::BYTES as u32 * 8;
    let ebits = bits - 1 - T::MANT;
    let emax = (1u64 << ebits) - 1;
    let b = x.to_u64();
    let neg = (b >> (bits - 1)) & 1 == 1;
    let be = (b >> T::MANT) & emax;
    let frac = b & ((1u64 << T::MANT) - 1);
    let bias = (1i32 << (ebits - 1)) - 1;
    if be == emax {
        None
    } else if be == 0 {
        Some((neg, frac, 1 - bias - T::MANT as i32))
    } else {
        Some((
            neg,
            frac | (1u64 << T::MANT),
            be as i32 - bias - T::MANT as i32,
        ))
    }
}

/// The bit pattern of the float `2^q`, `None` where it is not a float of
/// width `T` (below the smallest subnormal or above the largest normal).
pub(crate) fn pow2_bits<T: Word>(q: i32) -> Option<T> {
    let bits = T::BYTES as i32 * 8;
    let m = T::MANT as i32;
    let bias = (1i32 << (bits - 2 - m)) - 1;
    if q > bias || q < 1 - bias - m {
        None
    } else if q >= 1 - bias {
        Some(T::from_u64(((q + bias) as u64) << m))
    } else {
        Some(T::from_u64(1u64 << (q - (1 - bias - m))))
    }
}

macro_rules! word {
    ($u:ty, $i:ty, $f:ty, $bits:expr, $mant:expr) => {
        impl Word for $u {
            const BYTES: usize = $bits / 8;
            const MANT: u32 = $mant;
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
            fn from_le(b: &[u8]) -> Self {
                b.try_into().map_or(0, <$u>::from_le_bytes)
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
            #[inline]
            fn int_times(self, p: Self) -> Self {
                ((self as $i) as $f * <$f>::from_bits(p)).to_bits()
            }
            #[inline]
            fn times_int(self, inv: Self) -> Self {
                ((<$f>::from_bits(self) * <$f>::from_bits(inv)) as $i) as $u
            }
        }
    };
}
word!(u32, i32, f32, 32, 23);
word!(u64, i64, f64, 64, 52);
