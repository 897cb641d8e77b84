//! The byte shuffle (all byte 0s, then all byte 1s, ...) fused with a
//! per-word transform: 8 words at a time, as an 8 x 8 byte transpose.

use super::word::Word;

/// Transposes an 8 x 8 byte matrix held as 8 little-endian rows: byte `j`
/// of row `i` goes to byte `i` of row `j`.
#[inline(always)]
fn transpose8(r: &mut [u64; 8]) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        *r = transpose8_sse2(r);
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    transpose8_swar(r);
}

/// The portable transpose: three rounds swap blocks of 1, 2 and 4 bytes
/// between rows 1, 2 and 4 apart.
#[inline(always)]
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn transpose8_swar(r: &mut [u64; 8]) {
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

/// The transpose with SSE2: three rounds of interleaving (bytes of row
/// pairs, then 16-bit and 32-bit units), 12 instructions where the
/// portable version takes about 70; the transpose was a third of the
/// decode of a column of small residuals.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
#[allow(unsafe_code)]
fn transpose8_sse2(r: &[u64; 8]) -> [u64; 8] {
    use std::arch::x86_64::{
        _mm_cvtsi128_si64, _mm_cvtsi64_si128, _mm_unpackhi_epi16, _mm_unpackhi_epi32,
        _mm_unpackhi_epi64, _mm_unpacklo_epi16, _mm_unpacklo_epi32, _mm_unpacklo_epi8,
    };
    // SAFETY: these intrinsics touch registers only (no pointer, no
    // memory), and their one requirement, the SSE2 feature, holds: this
    // function is compiled only where `target_feature = "sse2"` is
    // enabled for the whole build (every x86_64 target has it).
    unsafe {
        let a = |i: usize| _mm_cvtsi64_si128(r[i] as i64);
        // Bytes j of rows 2p and 2p+1, interleaved.
        let t0 = _mm_unpacklo_epi8(a(0), a(1));
        let t1 = _mm_unpacklo_epi8(a(2), a(3));
        let t2 = _mm_unpacklo_epi8(a(4), a(5));
        let t3 = _mm_unpacklo_epi8(a(6), a(7));
        // Bytes j of rows 0..4 (u0: j < 4, u1: j >= 4), and of rows 4..8.
        let u0 = _mm_unpacklo_epi16(t0, t1);
        let u1 = _mm_unpackhi_epi16(t0, t1);
        let u2 = _mm_unpacklo_epi16(t2, t3);
        let u3 = _mm_unpackhi_epi16(t2, t3);
        // Output rows (j, j + 1) in each register.
        let v = [
            _mm_unpacklo_epi32(u0, u2),
            _mm_unpackhi_epi32(u0, u2),
            _mm_unpacklo_epi32(u1, u3),
            _mm_unpackhi_epi32(u1, u3),
        ];
        let mut out = [0u64; 8];
        for (pair, x) in out.chunks_exact_mut(2).zip(v) {
            pair[0] = _mm_cvtsi128_si64(x) as u64;
            pair[1] = _mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x)) as u64;
        }
        out
    }
}

/// Writes the residual of every word (per `codec`) byte-shuffled into
/// `out`: one pass, no intermediate vector. `f(x, state) -> residual`.
#[inline(always)]
pub(super) fn shuffle_map<T: Word, S: Copy>(
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
pub(super) fn unshuffle_map<T: Word, S: Copy>(
    bytes: &[u8],
    n: usize,
    mut state: S,
    f: impl Fn(T, &mut S) -> T,
) -> Vec<T> {
    if bytes.len() < n * T::BYTES {
        return Vec::new();
    }
    // Zeroed once (a memset), then every block of 8 words written in
    // place from a local block (the state stays in registers).
    let mut out = vec![T::default(); n];
    let chunks = n / 8;
    let (whole, tail) = out.split_at_mut(chunks * 8);
    for (c, dst) in whole.chunks_exact_mut(8).enumerate() {
        // 8 words at a time: 8 contiguous bytes per plane, transposed.
        let mut r = [0u64; 8];
        for (b, row) in r.iter_mut().enumerate().take(T::BYTES) {
            let at = b * n + c * 8;
            let mut p = [0u8; 8];
            p.copy_from_slice(&bytes[at..at + 8]);
            *row = u64::from_le_bytes(p);
        }
        transpose8(&mut r);
        for (slot, x) in dst.iter_mut().zip(r) {
            *slot = f(T::from_u64(x), &mut state);
        }
    }
    for (i, slot) in tail.iter_mut().enumerate() {
        *slot = f(gather(bytes, n, chunks * 8 + i), &mut state);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte `j` of row `i` lands in byte `i` of row `j`, on every
    /// target's transpose, and the portable one agrees with it.
    #[test]
    fn transpose_moves_every_byte() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200 {
            let mut r = [0u64; 8];
            for w in &mut r {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *w = x;
            }
            let mut t = r;
            transpose8(&mut t);
            for (i, &row) in r.iter().enumerate() {
                for (j, &col) in t.iter().enumerate() {
                    assert_eq!((col >> (8 * i)) as u8, (row >> (8 * j)) as u8);
                }
            }
            let mut s = r;
            transpose8_swar(&mut s);
            assert_eq!(s, t);
        }
    }
}
