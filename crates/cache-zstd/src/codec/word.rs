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
    ($u:ty, $i:ty, $bits:expr, $mant:expr) => {
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
word!(u32, i32, 32, 23);
word!(u64, i64, 64, 52);
