//! Cache keys.

use crate::error::{CacheError, Result};

/// Length of a key: a sha256 in hex.
pub const KEY_LEN: usize = 64;

/// Checks that `key` is 64 lowercase hex characters (a sha256), so that it
/// can name a file safely. Nothing else is accepted: no path separators,
/// dots, uppercase, or other lengths.
pub fn check_key(key: &str) -> Result<()> {
    let reason = if key.is_empty() {
        Some("empty")
    } else if key.len() != KEY_LEN {
        Some(if key.len() > KEY_LEN {
            "longer than 64 characters"
        } else {
            "shorter than 64 characters"
        })
    } else if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Some("uppercase hex (keys are lowercase)")
    } else if !key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Some("a character that is not lowercase hex")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(CacheError::InvalidKey {
            key: key.chars().take(80).collect(),
            reason,
        }),
    }
}

/// The lowercase hex sha256 of `bytes`: a valid key.
pub fn key_of(bytes: &[u8]) -> String {
    let mut h = KeyHasher::new();
    h.update(bytes);
    h.finish()
}

/// A key made from bytes fed in pieces (the sha256 of a file as it streams).
#[derive(Debug, Clone, Default)]
pub struct KeyHasher(sha2::Sha256);

impl KeyHasher {
    /// A hasher that has seen nothing.
    pub fn new() -> KeyHasher {
        KeyHasher::default()
    }

    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest;
        self.0.update(bytes);
    }

    /// The key: the lowercase hex sha256 of everything fed.
    pub fn finish(self) -> String {
        use sha2::Digest;
        let d = self.0.finalize();
        let mut s = String::with_capacity(KEY_LEN);
        for b in d.iter() {
            s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        s
    }

    /// The key of everything `r` yields, read 1 MiB at a time.
    pub fn of_reader(mut r: impl std::io::Read) -> std::io::Result<String> {
        let mut h = KeyHasher::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return Ok(h.finish()),
                Ok(n) => h.update(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let k = key_of(b"abc");
        assert_eq!(
            k,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(check_key(&k).is_ok());
        let mut h = KeyHasher::new();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish(), k);
        assert_eq!(KeyHasher::of_reader(&b"abc"[..]).unwrap(), k);
        for bad in [
            "",
            "../x",
            "ab",
            &"a".repeat(65),
            &k.to_uppercase(),
            &format!("{}/", &k[..63]),
            &format!("{}g", &k[..63]),
        ] {
            assert!(
                matches!(check_key(bad), Err(CacheError::InvalidKey { .. })),
                "{bad:?}"
            );
        }
    }
}
