//! The checks of a block's header against the block's bytes, on a real
//! entry whose first block's header is rewritten and re-tagged (as a forger
//! who can recompute a checksum could): each is a `Corrupt` error at the
//! block's offset naming the column and what does not fit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::parts::EntryParts;
use cache_zstd::tlv::{get_varint, put_varint};
use cache_zstd::wire::{decode_block_header, encode_block_header, BlockHeader};
use cache_zstd::{decode_entry, encode_entry, CacheError, Codec, EncodeOptions, HEAD_LEN};
use common::{key, make_entry};

struct Fixture {
    k: String,
    parts: EntryParts,
    header: BlockHeader,
    /// Bytes of block 0 after its header.
    rest: Vec<u8>,
}

fn fixture() -> Fixture {
    let k = key(31);
    let bytes = encode_entry(&k, &make_entry(31, 400), &EncodeOptions::default()).unwrap();
    let parts = EntryParts::split(&bytes, &k, None).unwrap();
    let b = &parts.blocks[0];
    let (hl, n) = get_varint(b).unwrap();
    let header = decode_block_header(&b[n..n + hl as usize], 0).unwrap();
    let rest = b[n + hl as usize..].to_vec();
    Fixture {
        k,
        parts,
        header,
        rest,
    }
}

impl Fixture {
    /// The entry with block 0 made of `header` and `rest`, re-tagged.
    fn with(&self, header: &BlockHeader, rest: &[u8]) -> Vec<u8> {
        let hb = encode_block_header(header);
        let mut b = Vec::new();
        put_varint(&mut b, hb.len() as u64);
        b.extend_from_slice(&hb);
        b.extend_from_slice(rest);
        let mut p = self.parts.clone();
        p.blocks[0] = b;
        p.seal(None)
    }

    /// Offset and text of the error decoding it.
    fn corrupt(&self, header: &BlockHeader, rest: &[u8]) -> (u64, String) {
        match decode_entry(&self.with(header, rest), &self.k, None) {
            Err(CacheError::Corrupt { offset, what, .. }) => (offset, what),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    /// Where the block's header record starts (after its length varint).
    fn header_at(&self, header: &BlockHeader) -> u64 {
        let mut v = Vec::new();
        put_varint(&mut v, encode_block_header(header).len() as u64);
        (HEAD_LEN + v.len()) as u64
    }
}

#[test]
fn the_unchanged_header_decodes() {
    let f = fixture();
    assert!(f.header.shared_len > 0, "{:?}", f.header);
    assert!(decode_entry(&f.with(&f.header, &f.rest), &f.k, None).is_ok());
}

#[test]
fn header_and_lengths_must_fit_the_block() {
    let f = fixture();
    let at = f.header_at(&f.header);

    let mut h = f.header.clone();
    h.columns.pop();
    let at_h = f.header_at(&h);
    assert_eq!(
        f.corrupt(&h, &f.rest),
        (at_h, "2 column records for 3 columns".into())
    );

    let mut h = f.header.clone();
    h.shared_len = f.rest.len() as u64 + 1;
    assert_eq!(
        f.corrupt(&h, &f.rest),
        (at, "shared frame runs past the block".into())
    );

    let mut rest = f.rest.clone();
    rest.extend_from_slice(&[0; 3]);
    let end = HEAD_LEN as u64 + (f.parts.blocks[0].len() as u64);
    assert_eq!(
        f.corrupt(&f.header, &rest),
        (end, "3 bytes after the last part of the block".into())
    );

    // a header length past the block
    let mut p = f.parts.clone();
    let mut b = Vec::new();
    put_varint(&mut b, 1 << 20);
    b.extend_from_slice(&[0; 4]);
    p.blocks[0] = b;
    match decode_entry(&p.seal(None), &f.k, None) {
        Err(CacheError::Corrupt { offset, what, .. }) => assert_eq!(
            (offset, what.as_str()),
            (
                HEAD_LEN as u64,
                "block header of 1048576 bytes runs past the block (7)"
            )
        ),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn column_records_are_checked_one_by_one() {
    let f = fixture();
    let at = f.header_at(&f.header);
    let ci = f
        .header
        .columns
        .iter()
        .position(|c| c.codec != Codec::Pco)
        .unwrap();

    let mut h = f.header.clone();
    h.columns[ci].quantized = true;
    assert_eq!(
        f.corrupt(&h, &f.rest),
        (
            at,
            format!("column {ci}: quantised without a precision bound")
        )
    );

    let mut h = f.header.clone();
    h.columns[ci].part_len = 4;
    assert_eq!(
        f.corrupt(&h, &f.rest),
        (
            at,
            format!("column {ci}: a column of the shared frame has a part of its own")
        )
    );

    let mut h = f.header.clone();
    h.columns[ci].codec = Codec::Pco;
    h.columns[ci].shift = 0;
    h.columns[ci].part_len = f.rest.len() as u64 * 2;
    assert_eq!(
        f.corrupt(&h, &f.rest),
        (at, format!("column {ci}: pco part runs past the block"))
    );

    // every column in pco parts, but a shared frame still declared
    let mut h = f.header.clone();
    let shared = h.shared_len;
    let after_shared = f.rest.len() as u64 - shared;
    let last = h.columns.len() - 1;
    for (i, c) in h.columns.iter_mut().enumerate() {
        c.codec = Codec::Pco;
        c.shift = 0;
        c.part_len = if i == last { after_shared } else { 0 };
    }
    let head_end = f.header_at(&h) + encode_block_header(&h).len() as u64;
    assert_eq!(
        f.corrupt(&h, &f.rest),
        (
            head_end,
            format!("shared frame of {shared} bytes for 0 bytes of columns")
        )
    );
}
