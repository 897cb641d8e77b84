//! Campaign dictionaries: one zstd dictionary shared by the entries of a
//! campaign (one circuit, many runs), stored once as a cache object of its
//! own and named by the sha256 of its bytes.
//!
//! The entries of a Monte Carlo campaign repeat each other's meta (title,
//! plot name, variable names, column layout) and the statistics of their
//! transformed columns. Compressed one by one, every entry pays for those
//! again; compressed with a dictionary trained on the first entries of the
//! campaign ([`train_dictionary`]), each pays only for what differs. An
//! entry records the id of its dictionary; a reader that does not have the
//! dictionary with that id cannot decode the entry (a miss).
//!
//! The stored object ([`Dictionary::to_object`]):
//!
//! ```text
//! magic "SPLD" | version u16 LE (1) | flags u16 LE | length u32 LE
//! stored bytes (length): the dictionary bytes, or (flags bit 0) one zstd
//!                        frame of them, its content size in its header
//! xxh3-128 (16 bytes, LE) of everything before
//! ```
//!
//! A dictionary's bytes are mostly pieces of the campaign's transformed
//! columns and compress about 2:1 (a 16 KiB dictionary of the Monte Carlo
//! fixtures: 8.6 KB), so the object is stored zstd-coded when that saves.
//! [`Dictionary::from_object`] checks all of it (a frame that declares more
//! than [`MAX_DICT_SIZE`] bytes is refused before decoding) and that the
//! sha256 of the dictionary bytes is the id asked for: the id is the dictionary's name and its
//! authentication at once (an entry's id is inside its own checksummed or
//! HMAC'd bytes).

use super::CodecError;
use crate::error::CacheError;
use sha2::Digest;
use std::cell::RefCell;
use std::sync::{Arc, Mutex};
use zstd::zstd_safe;

/// The magic bytes of a stored dictionary object.
pub const DICT_MAGIC: &[u8; 4] = b"SPLD";
/// The dictionary object format version this build writes and reads.
pub const DICT_FORMAT_VERSION: u16 = 1;
/// Bytes before a dictionary object's dictionary bytes.
const DICT_HEADER_LEN: usize = 12;
/// The checksum at the end of a dictionary object.
const DICT_TRAILER_LEN: usize = 16;
/// The largest dictionary accepted (zstd's own dictionaries are far smaller;
/// the default of [`train_dictionary`] is [`DEFAULT_DICT_SIZE`]).
pub const MAX_DICT_SIZE: usize = 1 << 24;
/// Flag of a dictionary object: its bytes are a zstd frame of the dictionary.
const DICT_FLAG_ZSTD: u16 = 1;

/// The dictionary size [`train_dictionary`] aims at by default.
pub const DEFAULT_DICT_SIZE: usize = 16 * 1024;

/// A zstd dictionary and its id, the sha256 of its bytes.
///
/// Cheap to clone (shared); the prepared compression and decompression
/// forms are built on first use and kept.
#[derive(Clone)]
pub struct Dictionary {
    inner: Arc<Inner>,
}

struct Inner {
    id: [u8; 32],
    bytes: Vec<u8>,
    /// Prepared for compression, per level (the level is fixed in a CDict).
    cdicts: Mutex<Vec<(i32, Arc<zstd_safe::CDict<'static>>)>>,
    /// Prepared for decompression.
    ddict: Mutex<Option<Arc<zstd_safe::DDict<'static>>>>,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Dictionary({}, {} bytes)",
            self.id_hex(),
            self.inner.bytes.len()
        )
    }
}

impl PartialEq for Dictionary {
    fn eq(&self, other: &Self) -> bool {
        self.inner.id == other.inner.id
    }
}

impl Eq for Dictionary {}

/// Lowercase hex of 32 bytes (a dictionary id).
pub fn id_hex(id: &[u8; 32]) -> String {
    use std::fmt::Write as _;
    id.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Dictionary {
    /// A dictionary of these bytes (a zstd dictionary, or any bytes: zstd
    /// then uses them as raw content to match against). Its id is their
    /// sha256.
    pub fn from_bytes(bytes: Vec<u8>) -> Dictionary {
        let id: [u8; 32] = sha2::Sha256::digest(&bytes).into();
        Dictionary {
            inner: Arc::new(Inner {
                id,
                bytes,
                cdicts: Mutex::new(Vec::new()),
                ddict: Mutex::new(None),
            }),
        }
    }

    /// The id: the sha256 of the bytes.
    pub fn id(&self) -> &[u8; 32] {
        &self.inner.id
    }

    /// The id in lowercase hex (64 characters), as error messages and a
    /// store's object names show it.
    pub fn id_hex(&self) -> String {
        id_hex(&self.inner.id)
    }

    /// The dictionary bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.inner.bytes
    }

    /// The stored object: header, bytes (zstd-coded when that saves a
    /// tenth) and an xxh3-128 checksum (see the module documentation).
    pub fn to_object(&self) -> Vec<u8> {
        let raw = &self.inner.bytes;
        let packed = super::zstd_compress(raw, 19)
            .ok()
            .filter(|z| z.len() < raw.len() - raw.len() / 10);
        let (flags, b) = match &packed {
            Some(z) => (DICT_FLAG_ZSTD, z.as_slice()),
            None => (0, raw.as_slice()),
        };
        let mut out = Vec::with_capacity(DICT_HEADER_LEN + b.len() + DICT_TRAILER_LEN);
        out.extend_from_slice(DICT_MAGIC);
        out.extend_from_slice(&DICT_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        // Dictionaries are capped far below 4 GiB (MAX_DICT_SIZE).
        out.extend_from_slice(&(b.len().min(u32::MAX as usize) as u32).to_le_bytes());
        out.extend_from_slice(b);
        let h = xxhash_rust::xxh3::xxh3_128(&out);
        out.extend_from_slice(&h.to_le_bytes());
        out
    }

    /// Reads a stored object and checks it: magic, version, flags, length
    /// against the bytes there (before any allocation), checksum, and that
    /// the sha256 of the dictionary bytes is `id`.
    pub fn from_object(object: &[u8], id: &[u8; 32]) -> Result<Dictionary, CacheError> {
        let bad = |what: &str| CacheError::Dictionary {
            id: id_hex(id),
            what: what.to_string(),
        };
        if object.len() < DICT_HEADER_LEN + DICT_TRAILER_LEN {
            return Err(bad("shorter than any dictionary object"));
        }
        if &object[..4] != DICT_MAGIC {
            return Err(bad("bad magic (not a spicelab dictionary)"));
        }
        let version = u16::from_le_bytes([object[4], object[5]]);
        if version != DICT_FORMAT_VERSION {
            return Err(bad(&format!(
                "format version {version} is not supported (this build reads {DICT_FORMAT_VERSION})"
            )));
        }
        let flags = u16::from_le_bytes([object[6], object[7]]);
        if flags & !DICT_FLAG_ZSTD != 0 {
            return Err(bad(&format!("unknown flags {flags:#06x}")));
        }
        let len = u32::from_le_bytes([object[8], object[9], object[10], object[11]]) as usize;
        if len > MAX_DICT_SIZE || DICT_HEADER_LEN + len + DICT_TRAILER_LEN != object.len() {
            return Err(bad(&format!(
                "length {len} does not match the {} bytes of the object",
                object.len()
            )));
        }
        let (body, trailer) = object.split_at(DICT_HEADER_LEN + len);
        if xxhash_rust::xxh3::xxh3_128(body).to_le_bytes()[..] != trailer[..] {
            return Err(bad("checksum mismatch"));
        }
        let stored = &body[DICT_HEADER_LEN..];
        let bytes = if flags & DICT_FLAG_ZSTD != 0 {
            let size = frame_content_size(stored)
                .filter(|&n| n <= MAX_DICT_SIZE as u64)
                .ok_or_else(|| {
                    bad(&format!(
                        "zstd frame without a content size of at most {MAX_DICT_SIZE} bytes"
                    ))
                })?;
            crate::block::zstd_exact(stored, size as usize).map_err(|e| bad(&e))?
        } else {
            stored.to_vec()
        };
        let d = Dictionary::from_bytes(bytes);
        if d.id() != id {
            return Err(bad(&format!("holds dictionary {}", d.id_hex())));
        }
        Ok(d)
    }

    fn cdict(&self, level: i32) -> Result<Arc<zstd_safe::CDict<'static>>, CodecError> {
        let mut cache = self
            .inner
            .cdicts
            .lock()
            .map_err(|_| "dictionary: poisoned lock".to_string())?;
        if let Some((_, c)) = cache.iter().find(|(l, _)| *l == level) {
            return Ok(Arc::clone(c));
        }
        let c = zstd_safe::CDict::try_create(&self.inner.bytes, level)
            .map(Arc::new)
            .ok_or_else(|| format!("dictionary {}: zstd rejected it", self.id_hex()))?;
        cache.push((level, Arc::clone(&c)));
        Ok(c)
    }

    fn ddict(&self) -> Result<Arc<zstd_safe::DDict<'static>>, CodecError> {
        let mut slot = self
            .inner
            .ddict
            .lock()
            .map_err(|_| "dictionary: poisoned lock".to_string())?;
        if let Some(d) = slot.as_ref() {
            return Ok(Arc::clone(d));
        }
        let d = zstd_safe::DDict::try_create(&self.inner.bytes)
            .map(Arc::new)
            .ok_or_else(|| format!("dictionary {}: zstd rejected it", self.id_hex()))?;
        *slot = Some(Arc::clone(&d));
        Ok(d)
    }

    /// One zstd frame of `data` at `level`, compressed with this
    /// dictionary (the frame records neither the content size nor zstd's
    /// 32-bit dictionary id: see `compress_frame`).
    pub fn compress(&self, data: &[u8], level: i32) -> Result<Vec<u8>, CacheError> {
        self.compress_frame(data, level)
            .map_err(|what| self.error(what))
    }

    fn error(&self, what: String) -> CacheError {
        CacheError::Dictionary {
            id: self.id_hex(),
            what,
        }
    }

    /// The frame is written by zstd's streaming API with no size pledged:
    /// zstd then references the prepared dictionary ("attach") instead of
    /// copying its match tables into the context for every frame, which
    /// it does for a frame of known size over 16 KiB at level 3 (a copy
    /// cost about as much as coding a Monte Carlo run's 24 KB frame). The
    /// frame then records no content size; readers know the size anyway.
    /// Nor does it record zstd's own 32-bit dictionary id (4 bytes per
    /// frame, two frames per entry): the entry names its dictionary by the
    /// sha256 in its tagged footer, which is what readers resolve. Frames
    /// written with the id (before this) decode the same; the committed
    /// `fixtures/cache/v4/dictionary.splc` is one.
    pub(crate) fn compress_frame(&self, data: &[u8], level: i32) -> Result<Vec<u8>, CodecError> {
        use zstd::zstd_safe::zstd_sys::ZSTD_EndDirective;
        use zstd_safe::{InBuffer, OutBuffer, ResetDirective};
        let cdict = self.cdict(level)?;
        let zerr = |c: usize| format!("zstd: {}", zstd_safe::get_error_name(c));
        DICT_C.with(|cell| {
            let mut cctx = cell.try_borrow_mut().map_err(|e| format!("zstd: {e}"))?;
            let cap = zstd_safe::compress_bound(data.len()) + 64;
            let mut out = Vec::with_capacity(cap);
            let r = (|| -> Result<(), CodecError> {
                cctx.reset(ResetDirective::SessionAndParameters)
                    .map_err(zerr)?;
                cctx.set_parameter(zstd_safe::CParameter::DictIdFlag(false))
                    .map_err(zerr)?;
                cctx.ref_cdict(&cdict).map_err(zerr)?;
                let mut input = InBuffer::around(data);
                let mut output = OutBuffer::around(&mut out);
                cctx.compress_stream2(&mut output, &mut input, ZSTD_EndDirective::ZSTD_e_continue)
                    .map_err(zerr)?;
                loop {
                    let left = cctx
                        .compress_stream2(&mut output, &mut input, ZSTD_EndDirective::ZSTD_e_end)
                        .map_err(zerr)?;
                    if left == 0 {
                        return Ok(());
                    }
                    if output.pos() >= cap {
                        return Err("zstd: frame larger than its bound".into());
                    }
                }
            })();
            // Drop the context's reference to the dictionary.
            let _ = cctx.reset(ResetDirective::SessionAndParameters);
            r.map(|()| out)
        })
    }

    /// Decompresses a frame made by [`Dictionary::compress`] into exactly
    /// `len` bytes (an error if the frame holds more or fewer), written into
    /// `out` (cleared first; at most `len` bytes are reserved).
    pub fn decompress_into(
        &self,
        frame: &[u8],
        len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), CacheError> {
        self.decompress_frame(frame, len, out)
            .map_err(|what| self.error(what))
    }

    pub(crate) fn decompress_frame(
        &self,
        frame: &[u8],
        len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), CodecError> {
        let ddict = self.ddict()?;
        out.clear();
        out.reserve(len);
        let got = DICT_D.with(|cell| {
            let mut dctx = cell.try_borrow_mut().map_err(|e| format!("zstd: {e}"))?;
            // Writes at most out.capacity() bytes; checked against `len` below.
            dctx.decompress_using_ddict(out, frame, &ddict)
                .map_err(|c| format!("zstd: {}", zstd_safe::get_error_name(c)))
        })?;
        if got != len || out.len() != len {
            return Err(format!("zstd frame decodes to {got} bytes, {len} declared"));
        }
        Ok(())
    }

    /// [`Dictionary::decompress_into`] into a new buffer.
    pub fn decompress(&self, frame: &[u8], len: usize) -> Result<Vec<u8>, CacheError> {
        let mut out = Vec::new();
        self.decompress_into(frame, len, &mut out)?;
        Ok(out)
    }
}

thread_local! {
    /// Contexts for dictionary frames (separate from the plain ones, whose
    /// parameters are set per level).
    static DICT_C: RefCell<zstd_safe::CCtx<'static>> = RefCell::new(zstd_safe::CCtx::create());
    static DICT_D: RefCell<zstd_safe::DCtx<'static>> = RefCell::new(zstd_safe::DCtx::create());
}

/// Trains a zstd dictionary of at most `max_size` bytes (e.g.
/// [`DEFAULT_DICT_SIZE`]) on `samples`: for a campaign, what its first
/// entries compress (see `cache_zstd::dictionary_samples`). zstd's trainer
/// wants many samples (a few dozen at least) and fails on too little data.
pub fn train_dictionary<S: AsRef<[u8]>>(
    samples: &[S],
    max_size: usize,
) -> Result<Dictionary, CacheError> {
    let err = |what: String| CacheError::Dictionary {
        id: "(new)".into(),
        what,
    };
    if max_size == 0 || max_size > MAX_DICT_SIZE {
        return Err(err(format!(
            "dictionary size {max_size} is outside 1..={MAX_DICT_SIZE}"
        )));
    }
    zstd::dict::from_samples(samples, max_size)
        .map(Dictionary::from_bytes)
        .map_err(|e| err(format!("training failed: {e}")))
}

/// The content size a zstd frame declares in its header, if any (checked
/// against a bound by the caller before decoding).
pub(crate) fn frame_content_size(frame: &[u8]) -> Option<u64> {
    match zstd_safe::get_frame_content_size(frame) {
        Ok(Some(n)) => Some(n),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dict() -> Dictionary {
        let samples: Vec<Vec<u8>> = (0..64u32)
            .map(|i| {
                format!("plot {i}: Transient Analysis, v(out) voltage, i(v1) current {i}")
                    .into_bytes()
            })
            .collect();
        train_dictionary(&samples, 2048).unwrap()
    }

    #[test]
    fn object_round_trips_and_checks_every_field() {
        let d = dict();
        assert_eq!(d.id_hex().len(), 64);
        let obj = d.to_object();
        let back = Dictionary::from_object(&obj, d.id()).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.bytes(), d.bytes());
        // Another id, a flipped byte, a cut object, a bad length: errors
        // that name the id asked for.
        let other = [7u8; 32];
        let e = Dictionary::from_object(&obj, &other)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&id_hex(&other)) && e.contains(&d.id_hex()),
            "{e}"
        );
        for at in [0, 4, 6, 8, 20, obj.len() - 1] {
            let mut bad = obj.clone();
            bad[at] ^= 1;
            let e = Dictionary::from_object(&bad, d.id())
                .unwrap_err()
                .to_string();
            assert!(e.contains(&d.id_hex()), "{e}");
        }
        assert!(Dictionary::from_object(&obj[..obj.len() - 1], d.id()).is_err());
        assert!(Dictionary::from_object(&[], d.id()).is_err());
    }

    #[test]
    fn frames_leave_out_zstds_dictionary_id_and_frames_with_it_still_decode() {
        let d = dict();
        let data = b"plot 7: Transient Analysis, v(out) voltage, i(v1) current 7".repeat(3);
        assert!(zstd_safe::get_dict_id_from_dict(d.bytes()).is_some());
        let ours = d.compress(&data, 3).unwrap();
        assert_eq!(zstd_safe::get_dict_id_from_frame(&ours), None);
        // The same data framed the way zstd does by default (with its id,
        // as entries written before this were): 4 bytes longer, same bytes out.
        let with_id = zstd::bulk::Compressor::with_dictionary(3, d.bytes())
            .unwrap()
            .compress(&data)
            .unwrap();
        assert_eq!(
            zstd_safe::get_dict_id_from_frame(&with_id),
            zstd_safe::get_dict_id_from_dict(d.bytes())
        );
        assert_eq!(d.decompress(&with_id, data.len()).unwrap(), data);
        assert_eq!(d.decompress(&ours, data.len()).unwrap(), data);
    }

    /// An object of `flags` and `stored` bytes with a right checksum.
    fn forge(flags: u16, stored: &[u8]) -> Vec<u8> {
        let mut out = DICT_MAGIC.to_vec();
        out.extend_from_slice(&DICT_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        out.extend_from_slice(stored);
        let h = xxhash_rust::xxh3::xxh3_128(&out);
        out.extend_from_slice(&h.to_le_bytes());
        out
    }

    #[test]
    fn compressible_dictionaries_are_stored_zstd_coded_and_checked() {
        let bytes: Vec<u8> = (0..8192u32).map(|i| (i / 64) as u8).collect();
        let d = Dictionary::from_bytes(bytes.clone());
        let obj = d.to_object();
        assert_eq!(u16::from_le_bytes([obj[6], obj[7]]), DICT_FLAG_ZSTD);
        assert!(obj.len() < 2048, "{}", obj.len());
        let back = Dictionary::from_object(&obj, d.id()).unwrap();
        assert_eq!(back.bytes(), &bytes[..]);
        // Incompressible bytes stay plain.
        let mut x = 1u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let plain = Dictionary::from_bytes(noise).to_object();
        assert_eq!(u16::from_le_bytes([plain[6], plain[7]]), 0);
        // A frame that declares more than MAX_DICT_SIZE, or no size, or
        // bytes that are no frame: refused, checksum and all right.
        let big = zstd::bulk::compress(&vec![0u8; MAX_DICT_SIZE + 1], 3).unwrap();
        let id = [1u8; 32];
        for stored in [&big[..], b"not a zstd frame"] {
            let e = Dictionary::from_object(&forge(DICT_FLAG_ZSTD, stored), &id)
                .unwrap_err()
                .to_string();
            assert!(e.contains("content size"), "{e}");
        }
        let e = Dictionary::from_object(&forge(4, b"x"), &id)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown flags"), "{e}");
        // A frame whose content is not the id's dictionary.
        let z = zstd::bulk::compress(&bytes[1..], 3).unwrap();
        let e = Dictionary::from_object(&forge(DICT_FLAG_ZSTD, &z), d.id())
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds dictionary"), "{e}");
    }

    #[test]
    fn training_needs_samples_and_a_sane_size() {
        assert!(train_dictionary::<Vec<u8>>(&[], 1024).is_err());
        assert!(train_dictionary(&[b"x".to_vec()], 0).is_err());
        assert!(train_dictionary(&[b"x".to_vec()], MAX_DICT_SIZE + 1).is_err());
    }

    #[test]
    fn a_frame_needs_its_own_dictionary() {
        let d = dict();
        let data = b"plot 99: Transient Analysis, v(out) voltage, i(v1) current 99".to_vec();
        let f = d.compress(&data, 3).unwrap();
        assert!(f.len() < zstd::bulk::compress(&data, 3).unwrap().len());
        assert_eq!(d.decompress(&f, data.len()).unwrap(), data);
        // Written without a pledged size: the frame records none.
        assert_eq!(frame_content_size(&f), None);
        assert!(d.decompress(&f, data.len() - 1).is_err());
        let raw = Dictionary::from_bytes(b"something else entirely".to_vec());
        assert!(raw.decompress(&f, data.len()).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn round_trip_with_a_dictionary(
            data in prop::collection::vec(any::<u8>(), 0..4096),
            dict_bytes in prop::collection::vec(any::<u8>(), 0..2048),
            level in 1i32..10,
        ) {
            // Raw-content dictionaries (any bytes) and a trained one.
            for d in [Dictionary::from_bytes(dict_bytes.clone()), dict()] {
                let f = d.compress(&data, level).unwrap();
                prop_assert_eq!(d.decompress(&f, data.len()).unwrap(), data.clone());
            }
        }
    }
}
