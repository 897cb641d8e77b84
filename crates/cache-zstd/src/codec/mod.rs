//! Column codecs: transforms of the integer bit patterns, byte shuffle,
//! zstd and pco, chosen per column on a sample.
//!
//! A column is turned into a *stream* of integer bit patterns (`u32` for f32
//! parts, `u64` for f64 parts); a complex column becomes two planes, all real
//! parts then all imaginary parts. The stream's transformed bytes go into
//! the entry's shared zstd frame (a pco-coded stream: a block of its own).
//!
//! - [`word`]: the integer words and their bit operations;
//! - [`shuffle`]: the byte shuffle fused with a per-word transform;
//! - [`transform`]: the transforms of the zstd codecs and their inverses;
//! - [`choice`]: the per-column choice on a sample;
//! - [`pco`](self::pco): pco blocks;
//! - [`context`]: zstd contexts and buffers per thread;
//! - [`dict`]: campaign dictionaries;
//! - [`quant`]: the opt-in precision bound.

mod choice;
mod context;
pub mod dict;
mod pco;
mod quant;
mod shuffle;
mod transform;
mod word;

pub(crate) use choice::{choose_columns, Choice};
pub(crate) use context::{
    dict_decompress_with, put_pre_buf, put_streams, take_pre_buf, take_streams, zstd_compress,
    zstd_decompress_with,
};
pub(crate) use pco::{pco_decode, pco_encode};
pub(crate) use quant::quantize;
pub(crate) use transform::{exp2_is_valid, post_zstd_stream, pre_zstd_stream, shift_is_valid};

use serde::{Deserialize, Serialize};

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
    /// The integers `x / 2^q` of a column whose every value is a multiple
    /// of one power of two `2^q` (the exponent is recorded with the
    /// column), then their k-th order wrapping difference (k = 1..=8),
    /// zigzag, byte shuffle, zstd. ngspice's branch currents are such
    /// columns: their integers stay smooth where the ordered bit patterns
    /// kink at every binade a decaying current crosses. A column that is
    /// not (an infinity, a NaN, `-0.0`, too wide a range) is coded by
    /// [`Codec::OrdDeltaShuffleZstd`] of the same order instead.
    IntDeltaShuffleZstd(u8),
}

/// The highest difference order of [`Codec::OrdDeltaShuffleZstd`].
pub const MAX_DELTA_ORDER: u8 = 8;

impl Codec {
    /// Every codec kind that codes any column (ordered differences at
    /// orders 1, 4 and 8), for tests and reports; `CodecChoice::Auto` ranks
    /// its own candidates. The integer codecs
    /// ([`Codec::IntDeltaShuffleZstd`]) are left out: they code only the
    /// columns on one quantum.
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
            Codec::OrdDeltaShuffleZstd(k) | Codec::IntDeltaShuffleZstd(k) => {
                (1..=MAX_DELTA_ORDER).contains(&k)
            }
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
            Codec::IntDeltaShuffleZstd(k) => match k {
                1 => "int-delta1+shuffle+zstd",
                2 => "int-delta2+shuffle+zstd",
                3 => "int-delta3+shuffle+zstd",
                4 => "int-delta4+shuffle+zstd",
                5 => "int-delta5+shuffle+zstd",
                6 => "int-delta6+shuffle+zstd",
                7 => "int-delta7+shuffle+zstd",
                8 => "int-delta8+shuffle+zstd",
                _ => "int-delta?+shuffle+zstd",
            },
        }
    }
}

/// Which codecs the encoder may pick from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodecChoice {
    /// `ZstdOnly`'s choice, then pco (its float-mult mode) for a column
    /// whose sample shows values on one binary quantum (ngspice branch
    /// currents) where pco is estimated 10% or more smaller, unless the
    /// column repeats or negates another column of its plot (see
    /// `docs/cache.md`).
    #[default]
    Auto,
    /// Per column, the best of the byte shuffle alone and the ordered
    /// differences of order 1..=8 (ranked on a sample), all coded in one
    /// shared zstd frame; never pco.
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

    /// Values the stream's vector holds without reallocating.
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Stream::W32(v) => v.capacity(),
            Stream::W64(v) => v.capacity(),
        }
    }

    pub(crate) fn width(&self) -> usize {
        match self {
            Stream::W32(_) => 4,
            Stream::W64(_) => 8,
        }
    }
}

/// Why a block could not be decoded.
pub(crate) type CodecError = String;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_codec_has_a_name_of_its_own_with_its_order() {
        let mut names = BTreeSet::new();
        for c in Codec::ALL {
            assert!(names.insert(c.name()), "{c:?}");
        }
        for k in 1..=MAX_DELTA_ORDER {
            for (c, stem) in [
                (Codec::OrdDeltaShuffleZstd(k), "ord-delta"),
                (Codec::IntDeltaShuffleZstd(k), "int-delta"),
            ] {
                assert!(c.is_valid());
                assert_eq!(c.name(), format!("{stem}{k}+shuffle+zstd"));
                names.insert(c.name());
            }
        }
        // Codec::ALL holds orders 1, 4 and 8 of the ordered differences.
        assert_eq!(names.len(), 6 + 2 * usize::from(MAX_DELTA_ORDER));
        for c in [Codec::OrdDeltaShuffleZstd(0), Codec::IntDeltaShuffleZstd(9)] {
            assert!(!c.is_valid());
            assert!(c.name().contains('?'), "{}", c.name());
        }
    }
}
