//! Checksums and HMAC: the team secret and the tags of an entry's parts.
//!
//! Without a secret a tag is the xxh3-128 of the bytes (16 bytes, LE): it
//! catches corruption, not forgery. With a secret it is HMAC-SHA256 keyed by
//! it (32 bytes), compared in constant time.

use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Bytes of an xxh3-128 tag.
pub(crate) const CHECKSUM_LEN: usize = 16;
/// Bytes of an HMAC-SHA256 tag.
pub(crate) const HMAC_LEN: usize = 32;

/// A secret key for HMAC-SHA256 entry authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// The environment variable that holds the team secret.
    pub const ENV: &'static str = "SPICELAB_CACHE_SECRET";

    /// A secret from bytes; `None` when empty.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Option<Secret> {
        let b = bytes.into();
        (!b.is_empty()).then_some(Secret(b))
    }

    /// The secret in `SPICELAB_CACHE_SECRET`, if set and not empty.
    pub fn from_env() -> Option<Secret> {
        std::env::var_os(Self::ENV).and_then(|v| Secret::new(v.into_encoded_bytes()))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length; new_from_slice cannot fail for it.
        match HmacSha256::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable_hmac(),
        }
    }
}

#[cold]
fn unreachable_hmac() -> ! {
    // HMAC accepts every key length (RFC 2104: long keys are hashed).
    panic!("HMAC-SHA256 rejected a key length")
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

/// A tag being computed over bytes fed in pieces.
#[derive(Clone)]
pub(crate) enum Tagger {
    Xxh3(Box<xxhash_rust::xxh3::Xxh3>),
    Hmac(Box<HmacSha256>),
}

impl Tagger {
    /// An xxh3-128 tagger without a secret, HMAC-SHA256 with one.
    pub(crate) fn new(secret: Option<&Secret>) -> Tagger {
        match secret {
            Some(s) => Tagger::Hmac(Box::new(s.mac())),
            None => Tagger::Xxh3(Box::default()),
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Tagger::Xxh3(h) => h.update(bytes),
            Tagger::Hmac(m) => m.update(bytes),
        }
    }

    /// The tag (16 or 32 bytes).
    pub(crate) fn finish(self) -> Vec<u8> {
        match self {
            Tagger::Xxh3(h) => h.digest128().to_le_bytes().to_vec(),
            Tagger::Hmac(m) => m.finalize().into_bytes().to_vec(),
        }
    }

    /// True when the tag of the bytes fed equals `expected` (in constant
    /// time for HMAC).
    pub(crate) fn verify(self, expected: &[u8]) -> bool {
        match self {
            Tagger::Xxh3(h) => h.digest128().to_le_bytes()[..] == *expected,
            Tagger::Hmac(m) => m.verify_slice(expected).is_ok(),
        }
    }
}

/// The tag of one block: the entry's tag algorithm over a domain byte
/// (`0x01`, so that no block tag can stand for the footer's, whose input
/// starts with the magic) and the block's bytes.
pub(crate) fn block_tagger(secret: Option<&Secret>) -> Tagger {
    let mut t = Tagger::new(secret);
    t.update(&[1]);
    t
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn streaming_xxh3_equals_one_shot_and_hmac_verifies() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let mut t = Tagger::new(None);
        t.update(&data[..3]);
        t.update(&data[3..]);
        assert_eq!(
            t.clone().finish(),
            xxhash_rust::xxh3::xxh3_128(&data).to_le_bytes().to_vec()
        );
        assert!(t.verify(&xxhash_rust::xxh3::xxh3_128(&data).to_le_bytes()));
        let s = Secret::new(b"k".to_vec()).unwrap();
        let mut h = Tagger::new(Some(&s));
        h.update(&data);
        let tag = h.clone().finish();
        assert_eq!(tag.len(), HMAC_LEN);
        assert!(h.clone().verify(&tag));
        let mut bad = tag.clone();
        bad[31] ^= 1;
        assert!(!h.verify(&bad));
        assert_eq!(format!("{s:?}"), "Secret(<1 bytes>)");
    }
}
