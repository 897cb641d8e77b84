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
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    let mut s = String::with_capacity(KEY_LEN);
    for b in d.iter() {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
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
