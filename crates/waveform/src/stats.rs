//! Running statistics of a vector: min, max, mean, rms, fed a chunk at a time.
//!
//! ```
//! use waveform::stats::Accumulator;
//! let mut a = Accumulator::default();
//! a.extend(&[1.0, -1.0, 1.0, -1.0]);
//! assert_eq!(a.min(), Some(-1.0));
//! assert_eq!(a.mean(), Some(0.0));
//! assert_eq!(a.rms(), Some(1.0));
//! ```

use serde::{Deserialize, Serialize};

/// The smaller of the two; `m` when they compare equal (so `-0.0` and `0.0`
/// stay in their order of arrival) or when `x` is NaN. Every fold here uses
/// it, so that every way of folding the same values in the same order gives
/// the same bits.
#[inline(always)]
fn lo(m: f64, x: f64) -> f64 {
    if x < m {
        x
    } else {
        m
    }
}

/// The larger of the two, as [`lo`].
#[inline(always)]
fn hi(m: f64, x: f64) -> f64 {
    if x > m {
        x
    } else {
        m
    }
}

/// Min, max, sum and sum of squares of the values seen; NaNs are counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    /// Number of finite-or-infinite (non-NaN) values.
    pub count: u64,
    /// Number of NaN values (left out of every statistic).
    pub nans: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Sum of the values.
    pub sum: f64,
    /// Sum of the squares.
    pub sum_sq: f64,
}

impl Default for Accumulator {
    fn default() -> Self {
        Accumulator {
            count: 0,
            nans: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
            sum_sq: 0.0,
        }
    }
}

impl Accumulator {
    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            self.nans += 1;
            return;
        }
        self.count += 1;
        self.min = lo(self.min, x);
        self.max = hi(self.max, x);
        self.sum += x;
        self.sum_sq += x * x;
    }

    /// Adds every value of a slice. Branch-free over eight lanes so that the
    /// compiler can vectorise it; NaNs are counted and left out.
    pub fn extend(&mut self, xs: &[f64]) {
        let mut lanes = Lanes::EMPTY;
        let mut it = xs.chunks_exact(L);
        for c in &mut it {
            let mut x = [0.0; L];
            x.copy_from_slice(c);
            lanes.add(&x);
        }
        self.merge(&lanes.reduce((xs.len() - it.remainder().len()) as u64));
        for &x in it.remainder() {
            self.push(x);
        }
    }

    /// Merges the statistics of another accumulator into this one.
    pub fn merge(&mut self, o: &Accumulator) {
        self.count += o.count;
        self.nans += o.nans;
        self.min = lo(self.min, o.min);
        self.max = hi(self.max, o.max);
        self.sum += o.sum;
        self.sum_sq += o.sum_sq;
    }

    /// Smallest value, if any.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value, if any.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// Arithmetic mean, if any.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }

    /// Root mean square, if any.
    pub fn rms(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.sum_sq / self.count as f64).sqrt())
    }
}

/// Lanes of the vectorised folds.
const L: usize = 8;

/// Eight running folds side by side: the lanes of [`Accumulator::extend`],
/// one run of values spread over the lanes.
#[derive(Debug, Clone, Copy)]
struct Lanes {
    mn: [f64; L],
    mx: [f64; L],
    s: [f64; L],
    q: [f64; L],
    nans: [u64; L],
}

impl Lanes {
    const EMPTY: Lanes = Lanes {
        mn: [f64::INFINITY; L],
        mx: [f64::NEG_INFINITY; L],
        s: [0.0; L],
        q: [0.0; L],
        nans: [0; L],
    };

    /// Adds one value to each lane, branch-free. A NaN adds 0.0 to the sums,
    /// which leaves them as they are: a sum starting at 0.0 is never -0.0.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // one index over six arrays, lane by lane
    fn add(&mut self, x: &[f64; L]) {
        for k in 0..L {
            let v = x[k];
            let nan = v.is_nan();
            let y = if nan { 0.0 } else { v };
            self.mn[k] = lo(self.mn[k], v);
            self.mx[k] = hi(self.mx[k], v);
            self.s[k] += y;
            self.q[k] += y * y;
            self.nans[k] += u64::from(nan);
        }
    }

    /// [`Lanes::add`] for values that are not NaN: no NaN test, no masking.
    /// A NaN given anyway makes its lane's sums NaN ([`Lanes::clean`] false).
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // one index over five arrays, lane by lane
    fn add_fast(&mut self, x: &[f64; L]) {
        for k in 0..L {
            let v = x[k];
            self.mn[k] = lo(self.mn[k], v);
            self.mx[k] = hi(self.mx[k], v);
            self.s[k] += v;
            self.q[k] += v * v;
        }
    }

    /// True when no sum is NaN: then no value given was NaN, and
    /// [`Lanes::add_fast`] did what [`Lanes::add`] does.
    fn clean(&self) -> bool {
        !self.s.iter().chain(&self.q).any(|x| x.is_nan())
    }

    /// The lanes folded into one accumulator of the `n` values they were given.
    fn reduce(&self, n: u64) -> Accumulator {
        let nans: u64 = self.nans.iter().sum();
        Accumulator {
            count: n - nans,
            nans,
            min: self.mn.iter().fold(f64::INFINITY, |m, &x| lo(m, x)),
            max: self.mx.iter().fold(f64::NEG_INFINITY, |m, &x| hi(m, x)),
            sum: self.s.iter().sum(),
            sum_sq: self.q.iter().sum(),
        }
    }
}

/// The smaller of two f32, as [`lo`].
#[inline(always)]
fn lo32(m: f32, x: f32) -> f32 {
    if x < m {
        x
    } else {
        m
    }
}

/// The larger of two f32, as [`lo`].
#[inline(always)]
fn hi32(m: f32, x: f32) -> f32 {
    if x > m {
        x
    } else {
        m
    }
}

/// f32 columns folded side by side (four: the lanes of two SSE2 registers
/// of f64 sums fit the registers with room to spare).
const N: usize = 4;

/// Up to [`N`] f32 columns folded side by side, one lane each, every lane
/// in point order as [`Accumulator::push`] folds the widened values. The
/// sums continue those of the accumulators ([`Lanes32::resume`]); min, max
/// and the NaN count start afresh and are merged at [`Lanes32::suspend`],
/// which gives the same bits: the order-keeping min of a sequence is the
/// min of the accumulator's and the rest's, and widening f32 to f64 is
/// exact and keeps the order. Min, max and NaNs stay in f32 and u32 lanes:
/// half the registers and instructions of f64 lanes.
#[derive(Debug, Clone, Copy)]
struct Lanes32 {
    mn: [f32; N],
    mx: [f32; N],
    nans: [u32; N],
    s: [f64; N],
    q: [f64; N],
}

impl Lanes32 {
    /// Lane `k` continues the sums of `accs[k]` (at most [`N`]; the other
    /// lanes are idle).
    fn resume(accs: &[Accumulator]) -> Lanes32 {
        let mut l = Lanes32 {
            mn: [f32::INFINITY; N],
            mx: [f32::NEG_INFINITY; N],
            nans: [0; N],
            s: [0.0; N],
            q: [0.0; N],
        };
        for (k, a) in accs.iter().enumerate().take(N) {
            l.s[k] = a.sum;
            l.q[k] = a.sum_sq;
        }
        l
    }

    /// Adds one value to each lane (at most `u32::MAX` between resume and suspend).
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // one index over six arrays, lane by lane
    fn add(&mut self, x: &[f32; N]) {
        for k in 0..N {
            let v = x[k];
            let nan = v.is_nan();
            // zeroed while still f32: one mask for four values
            let keep = u32::from(!nan).wrapping_neg();
            let y = f64::from(f32::from_bits(v.to_bits() & keep));
            self.mn[k] = lo32(self.mn[k], v);
            self.mx[k] = hi32(self.mx[k], v);
            self.s[k] += y;
            self.q[k] += y * y;
            self.nans[k] += u32::from(nan);
        }
    }

    /// [`Lanes32::add`] for values that are not NaN, as [`Lanes::add_fast`].
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // one index over five arrays, lane by lane
    fn add_fast(&mut self, x: &[f32; N]) {
        for k in 0..N {
            let v = x[k];
            let y = f64::from(v);
            self.mn[k] = lo32(self.mn[k], v);
            self.mx[k] = hi32(self.mx[k], v);
            self.s[k] += y;
            self.q[k] += y * y;
        }
    }

    /// True when no sum is NaN, as [`Lanes::clean`].
    fn clean(&self) -> bool {
        !self.s.iter().chain(&self.q).any(|x| x.is_nan())
    }

    /// Writes lane `k` back into `accs[k]` after it was given `n` values.
    fn suspend(&self, accs: &mut [Accumulator], n: u64) {
        for (k, a) in accs.iter_mut().enumerate().take(N) {
            let nans = u64::from(self.nans[k]);
            a.min = lo(a.min, f64::from(self.mn[k]));
            a.max = hi(a.max, f64::from(self.mx[k]));
            a.sum = self.s[k];
            a.sum_sq = self.q[k];
            a.nans += nans;
            a.count += n - nans;
        }
    }
}

/// How one value is stored: little-endian IEEE 754, as RAW files store reals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StoredReal {
    /// Eight bytes.
    F64,
    /// Four bytes, widened to f64.
    F32,
    /// Eight bytes read as their absolute value (LTspice's signed time scale).
    AbsF64,
}

impl StoredReal {
    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            StoredReal::F32 => 4,
            StoredReal::F64 | StoredReal::AbsF64 => 8,
        }
    }
}

/// Bytes of rows (or of points of columns) folded by every pass while they
/// are in the first-level cache.
const BLOCK_BYTES: usize = 16 << 10;

#[inline(always)]
fn f64_at(b: &[u8], o: usize, mask: u64) -> f64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[o..o + 8]);
    f64::from_bits(u64::from_le_bytes(a) & mask)
}

#[inline(always)]
fn f32_of(c: &[u8]) -> f32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(c);
    f32::from_le_bytes(a)
}

/// Values of an f32 column folded between two resumes of its lanes (well
/// under `u32::MAX`, the NaN count of a lane).
const SEGMENT: usize = 1 << 20;

// the column fold transposes four columns by hand
const _: () = assert!(N == 4);

/// [`N`] stored f32 values.
#[inline(always)]
fn f32s(b: &[u8; 4 * N]) -> [f32; N] {
    std::array::from_fn(|k| {
        f32::from_le_bytes([b[4 * k], b[4 * k + 1], b[4 * k + 2], b[4 * k + 3]])
    })
}

/// [`N`] stored f32 values from a slice of `4 * N` bytes.
#[inline(always)]
fn f32s_of(b: &[u8]) -> [f32; N] {
    std::array::from_fn(|k| f32_of(&b[4 * k..4 * k + 4]))
}

/// The bits kept of a stored f64: all, or all but the sign.
fn mask_of(t: StoredReal) -> u64 {
    match t {
        StoredReal::AbsF64 => !(1u64 << 63),
        _ => !0,
    }
}

/// Folds stored reals straight from their bytes into one [`Accumulator`] per
/// variable: point-major rows ([`StoredFold::rows`]) or variable-major
/// columns ([`StoredFold::columns`]), of any mix of [`StoredReal`] types
/// (ngspice: all f64; LTspice: an f64 scale read as its absolute value, then
/// f32 values), without decoding them into columns first.
///
/// Each call folds one block of points and leaves the accumulators exactly
/// as decoding the block into columns and feeding each column of 8-byte
/// values to [`Accumulator::extend`] and each f32 value, widened, to
/// [`Accumulator::push`] would: a reader that hands the same blocks to
/// either way gets the same statistics, bit for bit. The work is
/// vectorised: eight lanes of one 8-byte column at a time, and up to eight
/// f32 columns side by side (each still folded in point order).
///
/// ```
/// use waveform::stats::{Accumulator, StoredFold, StoredReal};
/// // two points of (time f64 stored signed, v f32)
/// let mut rows = Vec::new();
/// for (t, v) in [(-1.0f64, 0.5f32), (2.0, 1.5)] {
///     rows.extend_from_slice(&t.to_le_bytes());
///     rows.extend_from_slice(&v.to_le_bytes());
/// }
/// let fold = StoredFold::new(&[StoredReal::AbsF64, StoredReal::F32]);
/// let mut accs = vec![Accumulator::default(); 2];
/// fold.rows(&rows, &mut accs);
/// assert_eq!((accs[0].min(), accs[0].max()), (Some(1.0), Some(2.0)));
/// assert_eq!(accs[1].mean(), Some(1.0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFold {
    types: Vec<StoredReal>,
    /// Byte offset of each variable in a row.
    offsets: Vec<usize>,
    stride: usize,
    /// The 8-byte variables folded.
    wide: Vec<usize>,
    /// Runs of up to [`N`] consecutive f32 variables folded: (first, count).
    narrow: Vec<(usize, usize)>,
}

impl StoredFold {
    /// A fold of every variable of rows or columns of these stored types.
    pub fn new(types: &[StoredReal]) -> StoredFold {
        StoredFold::with_used(types, &vec![true; types.len()])
    }

    /// A fold of the variables marked in `used` only (missing marks: not
    /// used); the other accumulators are left alone, their values skipped.
    pub fn with_used(types: &[StoredReal], used: &[bool]) -> StoredFold {
        let mut offsets = Vec::with_capacity(types.len());
        let mut stride = 0;
        for t in types {
            offsets.push(stride);
            stride += t.size();
        }
        let on = |v: usize| used.get(v).copied().unwrap_or(false);
        let wide = (0..types.len())
            .filter(|&v| on(v) && types[v] != StoredReal::F32)
            .collect();
        let mut narrow: Vec<(usize, usize)> = Vec::new();
        for v in (0..types.len()).filter(|&v| on(v) && types[v] == StoredReal::F32) {
            match narrow.last_mut() {
                Some((first, count)) if *first + *count == v && *count < N => *count += 1,
                _ => narrow.push((v, 1)),
            }
        }
        StoredFold {
            types: types.to_vec(),
            offsets,
            stride,
            wide,
            narrow,
        }
    }

    /// The stored type of each variable.
    pub fn types(&self) -> &[StoredReal] {
        &self.types
    }

    /// Bytes per row (the sum of the stored sizes).
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Folds one block of whole rows (a partial row at the end is ignored)
    /// into `accs`, one accumulator per variable (variables past the end of
    /// `accs` are not folded).
    pub fn rows(&self, bytes: &[u8], accs: &mut [Accumulator]) {
        let stride = self.stride;
        if stride == 0 {
            return;
        }
        let n = bytes.len() / stride;
        let bytes = &bytes[..n * stride];
        let full = n - n % L;
        let wide: Vec<usize> = self
            .wide
            .iter()
            .copied()
            .filter(|&v| v < accs.len())
            .collect();
        let narrow: Vec<(usize, usize)> = self
            .narrow
            .iter()
            .filter(|&&(v, _)| v < accs.len())
            .map(|&(v, c)| (v, c.min(accs.len() - v)))
            .collect();
        let mut wide_lanes = vec![Lanes::EMPTY; wide.len()];
        // Blocks of whole groups of eight rows, so that the lanes of each
        // 8-byte column see the values of the block as `extend` would: the
        // group remainder (the last `n % 8` rows) is only in the last block.
        let block_rows = ((BLOCK_BYTES / stride) / L).max(1) * L;
        for block in bytes.chunks(block_rows * stride) {
            for (lanes, &v) in wide_lanes.iter_mut().zip(&wide) {
                let (o, mask) = (self.offsets[v], mask_of(self.types[v]));
                optimistic(lanes, Lanes::clean, |l, exact| match exact {
                    true => wide_rows::<true>(l, block, stride, o, mask),
                    false => wide_rows::<false>(l, block, stride, o, mask),
                });
            }
            let rows = (block.len() / stride) as u64;
            for &(v, c) in &narrow {
                let o = self.offsets[v];
                let mut l = Lanes32::resume(&accs[v..v + c]);
                optimistic(&mut l, Lanes32::clean, |l, exact| match (exact, c == N) {
                    (true, true) => narrow_rows::<true>(l, block, stride, o),
                    (false, true) => narrow_rows::<false>(l, block, stride, o),
                    (true, false) => narrow_rows_few::<true>(l, block, stride, o, c),
                    (false, false) => narrow_rows_few::<false>(l, block, stride, o, c),
                });
                l.suspend(&mut accs[v..v + c], rows);
            }
        }
        for (lanes, &v) in wide_lanes.iter().zip(&wide) {
            let (o, mask) = (self.offsets[v], mask_of(self.types[v]));
            let a = &mut accs[v];
            a.merge(&lanes.reduce(full as u64));
            for row in bytes[full * stride..].chunks_exact(stride) {
                a.push(f64_at(row, o, mask));
            }
        }
    }

    /// Folds one block of points stored column by column: `cols[v]` holds
    /// the stored bytes of variable `v` for the block's points (the slices
    /// of variables not folded may be empty). The block has as many points
    /// as the shortest column folded holds; variables past the end of
    /// `cols` or `accs` are not folded.
    pub fn columns(&self, cols: &[&[u8]], accs: &mut [Accumulator]) {
        let len = cols.len().min(accs.len());
        let used = |v: usize| v < len;
        let n = self
            .wide
            .iter()
            .map(|&v| (v, 8))
            .chain(
                self.narrow
                    .iter()
                    .flat_map(|&(v, c)| (v..v + c).map(|w| (w, 4))),
            )
            .filter(|&(v, _)| used(v))
            .map(|(v, size)| cols[v].len() / size)
            .min()
            .unwrap_or(0);
        if n == 0 {
            return;
        }
        let full = n - n % L;
        for &v in self.wide.iter().filter(|&&v| used(v)) {
            let mask = mask_of(self.types[v]);
            let bytes = &cols[v][..n * 8];
            let mut l = Lanes::EMPTY;
            optimistic(&mut l, Lanes::clean, |l, exact| match exact {
                true => wide_column::<true>(l, &bytes[..full * 8], mask),
                false => wide_column::<false>(l, &bytes[..full * 8], mask),
            });
            let a = &mut accs[v];
            a.merge(&l.reduce(full as u64));
            for b in bytes[full * 8..].chunks_exact(8) {
                a.push(f64_at(b, 0, mask));
            }
        }
        for &(v, c) in self.narrow.iter().filter(|&&(v, _)| used(v)) {
            let c = c.min(len - v);
            // four columns side by side (a run of fewer repeats its first
            // column in the idle lanes, never written back): four values of
            // each at a time, transposed in registers, folded point by point
            let col = |k: usize| cols[if k < c { v + k } else { v }];
            let mut i = 0;
            while i < n {
                let m = (n - i).min(SEGMENT);
                let part = |k: usize| &col(k)[4 * i..4 * (i + m)];
                let (c0, c1, c2, c3) = (part(0), part(1), part(2), part(3));
                let mut l = Lanes32::resume(&accs[v..v + c]);
                optimistic(&mut l, Lanes32::clean, |l, exact| match exact {
                    true => narrow_columns::<true>(l, [c0, c1, c2, c3]),
                    false => narrow_columns::<false>(l, [c0, c1, c2, c3]),
                });
                for p in m - m % N..m {
                    let at = |b: &[u8]| f32_of(&b[4 * p..4 * p + 4]);
                    l.add(&[at(c0), at(c1), at(c2), at(c3)]);
                }
                l.suspend(&mut accs[v..v + c], m as u64);
                i += m;
            }
        }
    }
}

/// Runs a kernel without NaN handling first, and again with it from the
/// same start when a sum came out NaN (a NaN among the values, or an
/// infinity met by its opposite: the exact kernel gives the same bits).
/// Data without NaNs, the common case, take fewer instructions.
#[inline(always)]
fn optimistic<T: Copy>(lanes: &mut T, clean: fn(&T) -> bool, mut kernel: impl FnMut(&mut T, bool)) {
    let start = *lanes;
    kernel(lanes, false);
    if !clean(lanes) {
        *lanes = start;
        kernel(lanes, true);
    }
}

// The hot loops, each in a function of its own so that the compiler keeps
// the lanes in registers and vectorises each the same way wherever it is used.

/// The groups of eight rows of `block` into the lanes of the 8-byte value at `o`.
#[inline(never)]
fn wide_rows<const EXACT: bool>(
    lanes: &mut Lanes,
    block: &[u8],
    stride: usize,
    o: usize,
    mask: u64,
) {
    let mut l = *lanes;
    for g in block.chunks_exact(L * stride) {
        let mut x = [0.0; L];
        for (xr, row) in x.iter_mut().zip(g.chunks_exact(stride)) {
            *xr = f64_at(row, o, mask);
        }
        if EXACT {
            l.add(&x);
        } else {
            l.add_fast(&x);
        }
    }
    *lanes = l;
}

/// The groups of eight 8-byte values of a column into the lanes.
#[inline(never)]
fn wide_column<const EXACT: bool>(lanes: &mut Lanes, bytes: &[u8], mask: u64) {
    let mut l = *lanes;
    for g in bytes.chunks_exact(8 * L) {
        let mut x = [0.0; L];
        for (xk, b) in x.iter_mut().zip(g.chunks_exact(8)) {
            *xk = f64_at(b, 0, mask);
        }
        if EXACT {
            l.add(&x);
        } else {
            l.add_fast(&x);
        }
    }
    *lanes = l;
}

/// Every row of `block` into the lanes of the [`N`] f32 values at `o`.
#[inline(never)]
fn narrow_rows<const EXACT: bool>(lanes: &mut Lanes32, block: &[u8], stride: usize, o: usize) {
    let mut l = *lanes;
    for row in block.chunks_exact(stride) {
        if let Ok(b) = <&[u8; 4 * N]>::try_from(&row[o..o + 4 * N]) {
            if EXACT {
                l.add(&f32s(b));
            } else {
                l.add_fast(&f32s(b));
            }
        }
    }
    *lanes = l;
}

/// Every row of `block` into the first `c` (< [`N`]) lanes, f32 values from `o` on.
#[inline(never)]
fn narrow_rows_few<const EXACT: bool>(
    lanes: &mut Lanes32,
    block: &[u8],
    stride: usize,
    o: usize,
    c: usize,
) {
    let mut l = *lanes;
    for row in block.chunks_exact(stride) {
        let x = std::array::from_fn(|k| {
            if k < c {
                f32_of(&row[o + 4 * k..o + 4 * k + 4])
            } else {
                0.0
            }
        });
        if EXACT {
            l.add(&x);
        } else {
            l.add_fast(&x);
        }
    }
    *lanes = l;
}

/// The whole quads of points of four f32 columns (of equal length), lane
/// `k` from column `k`: four values of each at a time, transposed in registers.
#[inline(never)]
#[allow(clippy::needless_range_loop)] // `p` picks the point in each of four arrays
fn narrow_columns<const EXACT: bool>(lanes: &mut Lanes32, cols: [&[u8]; N]) {
    let mut l = *lanes;
    let quads = cols[0]
        .chunks_exact(4 * N)
        .zip(cols[1].chunks_exact(4 * N))
        .zip(cols[2].chunks_exact(4 * N))
        .zip(cols[3].chunks_exact(4 * N));
    for (((b0, b1), b2), b3) in quads {
        let t = [f32s_of(b0), f32s_of(b1), f32s_of(b2), f32s_of(b3)];
        for p in 0..N {
            // point `p` of each column: the transpose
            let x: [f32; N] = std::array::from_fn(|k| t[k][p]);
            if EXACT {
                l.add(&x);
            } else {
                l.add_fast(&x);
            }
        }
    }
    *lanes = l;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_is_counted_apart() {
        let mut a = Accumulator::default();
        a.extend(&[f64::NAN, 2.0, 4.0, f64::NAN, 6.0]);
        assert_eq!(a.count, 3);
        assert_eq!(a.nans, 2);
        assert_eq!(a.min(), Some(2.0));
        assert_eq!(a.max(), Some(6.0));
        assert_eq!(a.mean(), Some(4.0));
        let rms = a.rms().unwrap_or(0.0);
        assert!((rms - (56.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(Accumulator::default().mean(), None);
        // the lane path and the one-at-a-time path agree
        let xs: Vec<f64> = (0..1001)
            .map(|i| ((i * 7919) % 1000) as f64 - 500.0)
            .collect();
        let mut lanes = Accumulator::default();
        lanes.extend(&xs);
        let mut one = Accumulator::default();
        for &x in &xs {
            one.push(x);
        }
        assert_eq!(
            (lanes.count, lanes.min, lanes.max),
            (one.count, one.min, one.max)
        );
        assert!((lanes.sum - one.sum).abs() < 1e-6 && (lanes.sum_sq - one.sum_sq).abs() < 1e-3);
    }

    /// The stored bytes of `v` as type `t`.
    fn put(out: &mut Vec<u8>, t: StoredReal, v: f64) {
        match t {
            StoredReal::F32 => out.extend_from_slice(&(v as f32).to_le_bytes()),
            _ => out.extend_from_slice(&v.to_le_bytes()),
        }
    }

    /// The values of one variable of a block, decoded as a reader yields
    /// them, fed as the generic statistics path feeds them.
    fn feed_reference(acc: &mut Accumulator, t: StoredReal, vals: &[f64]) {
        match t {
            StoredReal::F32 => {
                for &v in vals {
                    acc.push(f64::from(v as f32));
                }
            }
            StoredReal::F64 => acc.extend(vals),
            StoredReal::AbsF64 => {
                let a: Vec<f64> = vals.iter().map(|v| v.abs()).collect();
                acc.extend(&a)
            }
        }
    }

    fn bits(a: &Accumulator) -> (u64, u64, u64, u64, u64, u64) {
        (
            a.count,
            a.nans,
            a.min.to_bits(),
            a.max.to_bits(),
            a.sum.to_bits(),
            a.sum_sq.to_bits(),
        )
    }

    /// `data[v][i]`: value `i` of variable `v`; `blocks`: points per call.
    #[allow(clippy::needless_range_loop)] // rows: point `i` of every variable
    fn check_all(types: &[StoredReal], used: &[bool], data: &[Vec<f64>], blocks: &[usize]) {
        let nv = types.len();
        let fold = StoredFold::with_used(types, used);
        let mut want = vec![Accumulator::default(); nv];
        let mut by_rows = vec![Accumulator::default(); nv];
        let mut by_cols = vec![Accumulator::default(); nv];
        let mut start = 0;
        for &len in blocks {
            let end = start + len;
            let mut rows = Vec::new();
            for i in start..end {
                for (v, &t) in types.iter().enumerate() {
                    put(&mut rows, t, data[v][i]);
                }
            }
            fold.rows(&rows, &mut by_rows);
            let cols: Vec<Vec<u8>> = (0..nv)
                .map(|v| {
                    let mut c = Vec::new();
                    if used[v] {
                        for &x in &data[v][start..end] {
                            put(&mut c, types[v], x);
                        }
                    }
                    c
                })
                .collect();
            let slices: Vec<&[u8]> = cols.iter().map(|c| c.as_slice()).collect();
            fold.columns(&slices, &mut by_cols);
            for v in (0..nv).filter(|&v| used[v]) {
                feed_reference(&mut want[v], types[v], &data[v][start..end]);
            }
            start = end;
        }
        for v in 0..nv {
            assert_eq!(
                bits(&by_rows[v]),
                bits(&want[v]),
                "rows: variable {v} of {types:?}"
            );
            assert_eq!(
                bits(&by_cols[v]),
                bits(&want[v]),
                "columns: variable {v} of {types:?}"
            );
        }
    }

    #[test]
    fn stored_folds_equal_decoding_then_feeding() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let specials = [
            f64::NAN,
            -0.0,
            0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-310,
            -1e-40,
        ];
        // LTspice normal, double, ngspice, and a mixture with a run longer than eight
        let mut lt = vec![StoredReal::F32; 12];
        lt[0] = StoredReal::AbsF64;
        let mixed = [
            StoredReal::F64,
            StoredReal::F32,
            StoredReal::F32,
            StoredReal::AbsF64,
            StoredReal::F32,
        ];
        // specials with NaNs (the exact kernels), none (the NaN-free ones),
        // infinities of both signs but no NaN (NaN sums from no NaN value)
        let kinds: [&[f64]; 3] = [&specials, &[], &specials[3..5]];
        let layouts = [
            lt,
            vec![StoredReal::AbsF64; 4],
            vec![StoredReal::F64; 8],
            mixed.to_vec(),
        ];
        for (types, kind) in layouts
            .iter()
            .flat_map(|t| kinds.iter().map(move |k| (t, k)))
        {
            let types = types.as_slice();
            let nv = types.len();
            let n = 3000;
            let data: Vec<Vec<f64>> = (0..nv)
                .map(|_| {
                    (0..n)
                        .map(|_| {
                            let r = next();
                            if r % 29 == 0 && !kind.is_empty() {
                                kind[(r >> 8) as usize % kind.len()]
                            } else {
                                ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e3
                            }
                        })
                        .collect()
                })
                .collect();
            let all = vec![true; nv];
            check_all(types, &all, &data, &[n]);
            check_all(types, &all, &data, &[1, 7, 8, 9, 1000, 1975]);
            let some: Vec<bool> = (0..nv).map(|v| v % 3 != 1).collect();
            check_all(types, &some, &data, &[517, 2483]);
        }
    }

    #[test]
    fn abs_scale_and_empty_blocks() {
        let fold = StoredFold::new(&[StoredReal::AbsF64, StoredReal::F32]);
        assert_eq!(fold.stride(), 12);
        let mut accs = vec![Accumulator::default(); 2];
        fold.rows(&[], &mut accs);
        fold.columns(&[&[], &[]], &mut accs);
        assert_eq!(accs[0].count, 0);
        let mut rows = Vec::new();
        for i in 0..20 {
            rows.extend_from_slice(&(-(i as f64)).to_le_bytes());
            rows.extend_from_slice(&(i as f32 * 0.5).to_le_bytes());
        }
        // a partial row at the end is ignored
        rows.push(0xAB);
        fold.rows(&rows, &mut accs);
        assert_eq!(accs[0].count, 20);
        assert_eq!((accs[0].min(), accs[0].max()), (Some(0.0), Some(19.0)));
        assert_eq!(accs[0].min.to_bits(), 0.0f64.to_bits(), "|-0.0| is +0.0");
        assert_eq!(accs[1].mean(), Some(4.75));
        // fewer accumulators than variables: the rest is not folded
        let mut one = vec![Accumulator::default(); 1];
        fold.rows(&rows, &mut one);
        assert_eq!(one[0].max(), Some(19.0));
    }

    proptest::proptest! {
        #[test]
        fn stored_folds_equal_decoding_then_feeding_prop(
            types in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just(StoredReal::F64),
                proptest::strategy::Just(StoredReal::F32),
                proptest::strategy::Just(StoredReal::AbsF64),
            ], 1..20),
            seed in proptest::prelude::any::<u64>(),
            cuts in proptest::collection::vec(0usize..300, 0..6),
        ) {
            let nv = types.len();
            let n: usize = cuts.iter().sum::<usize>() + (seed % 50) as usize;
            let mut blocks = cuts.clone();
            blocks.push((seed % 50) as usize);
            let mut s = seed | 1;
            let data: Vec<Vec<f64>> = (0..nv).map(|_| (0..n).map(|_| {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                match s % 16 {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    3 => f64::from_bits(s >> 12), // anything, subnormals included
                    _ => ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 10.0,
                }
            }).collect()).collect();
            let used: Vec<bool> = (0..nv).map(|v| (seed >> (v % 64)) & 3 != 0).collect();
            check_all(&types, &used, &data, &blocks);
        }
    }
}
