//! The byte shuffle (all byte 0s, then all byte 1s, ...) fused with a
//! per-word transform: 8 words at a time, as an 8 x 8 byte transpose.

use super::word::Word;

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
