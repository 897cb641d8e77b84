//! How entries are encoded, and the format's constants.

use crate::codec::dict::Dictionary;
use crate::codec::CodecChoice;
use crate::error::{CacheError, Result};
use crate::integrity::Secret;

/// The envelope's magic bytes (every format version starts with them).
pub const MAGIC: &[u8; 4] = b"SPLC";
/// The envelope format version this build writes.
pub const FORMAT_VERSION: u16 = 4;
/// The oldest format version this build reads (version 3, through the
/// decoder it was written with).
pub const OLDEST_VERSION: u16 = 3;
/// Flag: the tags are HMAC-SHA256 (else xxh3-128 checksums).
pub const FLAG_HMAC: u16 = 1;
/// Flag: written with a precision bound (some columns may be quantised).
pub const FLAG_LOSSY: u16 = 2;
pub(crate) const KNOWN_FLAGS: u16 = FLAG_HMAC | FLAG_LOSSY;
/// Bytes of the head: magic, version u16, flags u16.
pub const HEAD_LEN: usize = 8;
/// The most bytes a block may decode to (every column's slice of its
/// points). The decoder rejects a block that declares more before
/// allocating anything, whatever the compression ratio.
pub const MAX_BLOCK_BYTES: usize = 64 << 20;
/// The most bytes a block may take in the envelope (its decoded bytes plus
/// what zstd or pco may add to incompressible data, and its header).
pub const MAX_BLOCK_STORED: u64 =
    (MAX_BLOCK_BYTES as u64) + (MAX_BLOCK_BYTES as u64 >> 6) + (1 << 20);
/// Decoded bytes per block aimed at by default.
pub const DEFAULT_BLOCK_BYTES: usize = 4 << 20;
/// The most bytes the footer (the entry's meta) may take, decoded.
pub const MAX_FOOTER_BYTES: usize = 16 << 20;

/// How entries are encoded.
#[derive(Debug, Clone)]
pub struct EncodeOptions {
    /// zstd level (1..=22; 3 by default).
    pub zstd_level: i32,
    /// pco compression level (0..=12; 8 by default).
    pub pco_level: usize,
    /// Which codecs the encoder may pick.
    pub codecs: CodecChoice,
    /// Opt-in relative precision bound for non-scale columns (e.g. `1e-9`):
    /// every decoded value `y` of an original `x` then has
    /// `|y - x| <= bound * |x|`. `None` (the default) is lossless.
    pub precision: Option<f64>,
    /// When set, the tags are HMAC-SHA256 keyed by this secret.
    pub secret: Option<Secret>,
    /// Decoded bytes per block (row group) aimed at: a block holds
    /// `max(1, block_bytes / bytes per point)` points of a plot. 1 to
    /// [`MAX_BLOCK_BYTES`]; [`DEFAULT_BLOCK_BYTES`] by default. Encoding
    /// and decoding hold about one block in memory.
    pub block_bytes: usize,
    /// A campaign dictionary ([`crate::train_dictionary`]): every block's
    /// shared zstd frame is coded with it and the entry records its id
    /// (footer field 9, required), so that only a reader given the same
    /// dictionary decodes the entry (`EntryReader::open_with`); others see
    /// `CacheError::DictionaryMissing`. `None` by default.
    pub dictionary: Option<Dictionary>,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            zstd_level: 3,
            pco_level: 8,
            codecs: CodecChoice::Auto,
            precision: None,
            secret: None,
            block_bytes: DEFAULT_BLOCK_BYTES,
            dictionary: None,
        }
    }
}

impl EncodeOptions {
    /// Checks the levels, the codec, the precision bound and the block size.
    pub fn validate(&self) -> Result<()> {
        if !(1..=22).contains(&self.zstd_level) {
            return Err(CacheError::Options(format!(
                "zstd level {} is outside 1..=22",
                self.zstd_level
            )));
        }
        if self.pco_level > 12 {
            return Err(CacheError::Options(format!(
                "pco level {} is outside 0..=12",
                self.pco_level
            )));
        }
        if let CodecChoice::Fixed(c) = self.codecs {
            if !c.is_valid() {
                return Err(CacheError::Options(format!("codec {c:?} is not valid")));
            }
        }
        if let Some(p) = self.precision {
            if !(p.is_finite() && p > 0.0 && p < 1.0) {
                return Err(CacheError::Options(format!(
                    "precision bound {p} must be a relative error in (0, 1), e.g. 1e-9"
                )));
            }
        }
        if !(1..=MAX_BLOCK_BYTES).contains(&self.block_bytes) {
            return Err(CacheError::Options(format!(
                "block size {} is outside 1..={MAX_BLOCK_BYTES} bytes",
                self.block_bytes
            )));
        }
        Ok(())
    }
}
