//! The opt-in precision bound: rounding mantissas to the fewest bits that
//! keep a relative error bound.

use super::Stream;

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
mod tests {
    use super::*;

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
}
