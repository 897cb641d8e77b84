//! Entries taken apart and put back together, with their tags recomputed:
//! for tools that rewrite entries and for the tests and fuzz targets that
//! forge them (a forger without the secret can recompute an xxh3 checksum,
//! so the decoder must stand on its own checks).

use crate::error::{CacheError, Result};
use crate::integrity::{block_tagger, Secret, Tagger};
use crate::options::{FORMAT_VERSION, HEAD_LEN, MAGIC};
use crate::reader::{DictionaryResolver, EntryReader, EntrySource};
use crate::wire::{encode_footer, EntryMeta};

/// A v4 entry's flags, block bytes and meta.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryParts {
    /// The head's flags.
    pub flags: u16,
    /// Each block's bytes, in order.
    pub blocks: Vec<Vec<u8>>,
    /// The footer.
    pub meta: EntryMeta,
}

impl EntryParts {
    /// Takes a v4 entry apart (checked as [`EntryReader::open`] does; the
    /// blocks are not checked).
    pub fn split(bytes: &[u8], key: &str, secret: Option<&Secret>) -> Result<EntryParts> {
        Self::split_with(bytes, key, secret, &())
    }

    /// [`EntryParts::split`] of an entry that may be coded with a campaign
    /// dictionary (found in `dicts`). Its meta keeps the dictionary id, so
    /// [`EntryParts::seal`] writes it as footer field 9 of a plain footer.
    pub fn split_with<D: DictionaryResolver + ?Sized>(
        bytes: &[u8],
        key: &str,
        secret: Option<&Secret>,
        dicts: &D,
    ) -> Result<EntryParts> {
        let r = EntryReader::open_with(bytes, key, secret, dicts)?;
        if r.version() != FORMAT_VERSION {
            return Err(CacheError::Corrupt {
                key: key.to_string(),
                offset: 4,
                what: "only v4 entries are taken apart".into(),
            });
        }
        let meta = r.into_meta();
        let mut at = HEAD_LEN;
        let mut blocks = Vec::with_capacity(meta.blocks.len());
        for b in &meta.blocks {
            let end = at + b.len as usize;
            blocks.push(bytes[at..end].to_vec());
            at = end;
        }
        let mut src = bytes;
        let mut flags = [0u8; 2];
        src.read_exact_at(6, &mut flags)
            .map_err(|e| CacheError::io("entry bytes", e))?;
        Ok(EntryParts {
            flags: u16::from_le_bytes(flags),
            blocks,
            meta,
        })
    }

    /// Puts the entry back together: every block's length and tag in the
    /// meta are recomputed from its bytes (its plot and points are kept),
    /// then the footer and its tag. `secret`: HMAC tags (the flags are
    /// written as they are).
    pub fn seal(&self, secret: Option<&Secret>) -> Vec<u8> {
        let mut meta = self.meta.clone();
        for (r, b) in meta.blocks.iter_mut().zip(&self.blocks) {
            let mut t = block_tagger(secret);
            t.update(b);
            r.len = b.len() as u64;
            r.tag = t.finish();
        }
        let data: Vec<u8> = self.blocks.concat();
        seal_raw(self.flags, &data, &encode_footer(&meta), secret)
    }
}

/// An entry made of a v4 head with `flags`, the bytes `data` (blocks), a
/// plain footer of the record bytes `fields`, and a tail whose tag is
/// right for them (with `secret`: HMAC). For fuzzing the footer parser.
pub fn seal_raw(flags: u16, data: &[u8], fields: &[u8], secret: Option<&Secret>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEAD_LEN + data.len() + fields.len() + 40);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    let head: [u8; HEAD_LEN] = [
        out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7],
    ];
    out.extend_from_slice(data);
    let mut footer = Vec::with_capacity(fields.len() + 1);
    footer.push(0);
    footer.extend_from_slice(fields);
    let len = (footer.len() as u32).to_le_bytes();
    let mut t = Tagger::new(secret);
    t.update(&head);
    t.update(&footer);
    t.update(&len);
    out.extend_from_slice(&footer);
    out.extend_from_slice(&len);
    out.extend_from_slice(&t.finish());
    out
}

/// The footer record bytes of a v4 entry as they are stored (decompressed
/// when the footer is zstd-compressed), without checking anything: for
/// tools that look at fields this build does not know. `None` when the
/// bytes do not hold a footer where the tail says, or a footer coded with
/// a campaign dictionary (form 2).
pub fn raw_footer(bytes: &[u8]) -> Option<Vec<u8>> {
    let flags = u16::from_le_bytes([*bytes.get(6)?, *bytes.get(7)?]);
    let tag_len = if flags & crate::options::FLAG_HMAC != 0 {
        crate::integrity::HMAC_LEN
    } else {
        crate::integrity::CHECKSUM_LEN
    };
    let footer_end = bytes.len().checked_sub(4 + tag_len)?;
    let len: [u8; 4] = bytes.get(footer_end..footer_end + 4)?.try_into().ok()?;
    let start = footer_end.checked_sub(u32::from_le_bytes(len) as usize)?;
    let footer = bytes.get(start..footer_end)?;
    match footer.first()? {
        0 => Some(footer[1..].to_vec()),
        1 => {
            let (n, k) = crate::tlv::get_varint(&footer[1..])?;
            let n = usize::try_from(n)
                .ok()
                .filter(|&n| n <= crate::options::MAX_FOOTER_BYTES)?;
            crate::block::zstd_exact(&footer[1 + k..], n).ok()
        }
        _ => None,
    }
}
