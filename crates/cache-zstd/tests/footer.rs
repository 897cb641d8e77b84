//! The checks of a v4 footer that is authentic (its checksum recomputed, as
//! a forger or a bug in a writer could) but says what cannot be: every one
//! names the key, the offset and the problem. And `EntryFile::open` on what
//! is not a regular file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::parts::{seal_raw, EntryParts};
use cache_zstd::tlv::put_varint;
use cache_zstd::wire::encode_footer;
use cache_zstd::{
    decode_entry, encode_entry, CacheError, EncodeOptions, EntryFile, EntryReader, HEAD_LEN,
    MAX_FOOTER_BYTES,
};
use common::{key, make_entry, read, ref_key};

/// A plain entry of two plots (transient, AC), and its parts.
fn parts() -> (String, EntryParts) {
    let k = key(21);
    let bytes = encode_entry(&k, &make_entry(21, 600), &EncodeOptions::default()).unwrap();
    let p = EntryParts::split(&bytes, &k, None).unwrap();
    assert_eq!(p.meta.plots.len(), 2);
    assert!(p.meta.blocks.len() >= 2, "{:?}", p.meta.blocks.len());
    (k, p)
}

/// Where the footer of `p`, sealed, starts.
fn footer_start(p: &EntryParts) -> u64 {
    (HEAD_LEN + p.blocks.concat().len()) as u64
}

fn corrupt_of(bytes: &[u8], k: &str) -> (u64, String) {
    match decode_entry(bytes, k, None) {
        Err(CacheError::Corrupt { key, offset, what }) => {
            assert_eq!(key, k);
            (offset, what)
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn the_meta_must_agree_with_the_head_and_its_plots() {
    let (k, p) = parts();
    let fs = footer_start(&p);
    let check = |q: EntryParts, offset: u64, what: &str| {
        assert_eq!(corrupt_of(&q.seal(None), &k), (offset, what.to_string()));
    };
    let mut q = p.clone();
    q.flags |= 2;
    check(q, 6, "lossy flag disagrees with the meta");

    for bad in [0.0, 1.0, -1e-3, f64::NAN] {
        let mut q = p.clone();
        q.flags |= 2;
        q.meta.precision = Some(bad);
        check(q, fs, &format!("precision bound {bad}"));
    }

    let mut q = p.clone();
    q.meta.plots[1].types.pop();
    let vars = q.meta.plots[1].header.variables.len();
    check(
        q,
        fs,
        &format!("plot 1: {} column types for {vars} variables", vars - 1),
    );

    let mut q = p.clone();
    q.meta.plots[0].types.clear();
    q.meta.plots[0].header.variables.clear();
    let n = q.meta.plots[0].n_points;
    check(q, fs, &format!("plot 0: {n} points without columns"));

    // (starts that go back cannot even be written: the footer stores them
    // as increments)
    let mut q = p.clone();
    q.meta.plots[0].steps.starts = vec![0, 601];
    check(
        q,
        fs,
        "plot 0: step starts are not increasing within the plot",
    );
}

#[test]
fn every_block_is_checked_in_order() {
    let (k, p) = parts();
    let last = p.meta.blocks.len() - 1;
    // the offset of block `i`
    let at = |i: usize| HEAD_LEN as u64 + p.blocks[..i].iter().map(|b| b.len() as u64).sum::<u64>();
    let check = |q: EntryParts, offset: u64, what: String| {
        assert_eq!(corrupt_of(&q.seal(None), &k), (offset, what));
    };

    let mut q = p.clone();
    q.meta.blocks[last].plot = 7;
    check(q, at(last), format!("block {last}: plot 7 of 2"));

    let mut q = p.clone();
    q.meta.blocks[0].plot = 1;
    q.meta.blocks[0].points = 1;
    q.meta.blocks[last].plot = 0;
    check(
        q,
        at(last),
        format!("block {last}: blocks out of plot order"),
    );

    let mut q = p.clone();
    q.meta.blocks[0].points = 0;
    check(q, at(0), "block 0: no point".into());

    // lengths and tags as written, not recomputed by `seal`
    let sealed =
        |q: &EntryParts| seal_raw(q.flags, &q.blocks.concat(), &encode_footer(&q.meta), None);
    let mut q = p.clone();
    q.meta.blocks[0].len = 0;
    assert_eq!(
        corrupt_of(&sealed(&q), &k),
        (at(0), "block 0: 0 bytes".into())
    );
    let mut q = p.clone();
    q.meta.blocks[1].tag.truncate(8);
    assert_eq!(
        corrupt_of(&sealed(&q), &k),
        (at(1), "block 1: a tag of 8 bytes".into())
    );

    // bytes no block claims, before the footer
    let q = p.clone();
    let mut data = q.blocks.concat();
    let end = data.len() as u64 + HEAD_LEN as u64;
    data.extend_from_slice(&[0xaa; 5]);
    let b = seal_raw(q.flags, &data, &encode_footer(&q.meta), None);
    assert_eq!(
        corrupt_of(&b, &k),
        (end, "5 bytes between the last block and the footer".into())
    );
}

/// A v4 entry with `footer` (its form byte first) stored as it is, and a
/// right checksum.
fn with_footer(p: &EntryParts, footer: &[u8]) -> Vec<u8> {
    let mut out = b"SPLC".to_vec();
    out.extend_from_slice(&cache_zstd::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&p.flags.to_le_bytes());
    let head = out.clone();
    out.extend_from_slice(&p.blocks.concat());
    let len = (footer.len() as u32).to_le_bytes();
    let mut tagged = head;
    tagged.extend_from_slice(footer);
    tagged.extend_from_slice(&len);
    let tag = xxhash_rust::xxh3::xxh3_128(&tagged).to_le_bytes();
    out.extend_from_slice(footer);
    out.extend_from_slice(&len);
    out.extend_from_slice(&tag);
    out
}

#[test]
fn footer_forms_and_their_lengths() {
    let (k, p) = parts();
    let base = footer_start(&p) + 1;
    let fields = encode_footer(&p.meta);

    // form 0 as `with_footer` writes it is the entry itself
    let mut plain = vec![0u8];
    plain.extend_from_slice(&fields);
    assert!(decode_entry(&with_footer(&p, &plain), &k, None).is_ok());

    // a form this build does not know: another version's entry, not corrupt
    let mut future = vec![3u8];
    future.extend_from_slice(&fields);
    let err = decode_entry(&with_footer(&p, &future), &k, None).unwrap_err();
    match &err {
        CacheError::UnsupportedFeature { offset, what, .. } => {
            assert_eq!((*offset, what.as_str()), (base - 1, "footer form 3"))
        }
        e => panic!("{e}"),
    }
    assert!(err.is_other_version());

    // form 1 (zstd): a length over the limit, then a frame that is not one
    let over = MAX_FOOTER_BYTES as u64 + 1;
    let mut big = vec![1u8];
    put_varint(&mut big, over);
    big.extend_from_slice(&[0; 8]);
    assert_eq!(
        corrupt_of(&with_footer(&p, &big), &k),
        (
            base,
            format!("footer of {over} bytes is over the limit of {MAX_FOOTER_BYTES}")
        )
    );
    let mut junk = vec![1u8];
    put_varint(&mut junk, fields.len() as u64);
    junk.extend_from_slice(b"not a zstd frame");
    let (offset, what) = corrupt_of(&with_footer(&p, &junk), &k);
    assert_eq!(offset, base);
    assert!(what.starts_with("footer: zstd"), "{what}");
    let bad_varint = [1u8, 0xff];
    assert_eq!(
        corrupt_of(&with_footer(&p, &bad_varint), &k),
        (base, "bad footer length varint".into())
    );

    // form 2 (a campaign dictionary): its id cut short, a length over the limit
    let short = [2u8; 20];
    assert_eq!(
        corrupt_of(&with_footer(&p, &short), &k),
        (base, "footer too short for a dictionary id".into())
    );
    let mut dict_big = vec![2u8];
    dict_big.extend_from_slice(&[7; 32]);
    put_varint(&mut dict_big, over);
    assert_eq!(
        corrupt_of(&with_footer(&p, &dict_big), &k),
        (
            base + 32,
            format!("footer of {over} bytes is over the limit of {MAX_FOOTER_BYTES}")
        )
    );
    let mut dict_varint = vec![2u8];
    dict_varint.extend_from_slice(&[7; 32]);
    dict_varint.push(0xff);
    assert_eq!(
        corrupt_of(&with_footer(&p, &dict_varint), &k),
        (base + 32, "bad footer length varint".into())
    );
}

#[test]
fn a_v3_reader_has_no_shared_frames_and_blocks_know_their_length() {
    let k = ref_key();
    let bytes = read("v3", "synthetic.splc");
    let mut r = EntryReader::open(&bytes[..], &k, None).unwrap();
    assert_eq!(r.next_shared_frame().unwrap(), None);
    let b = r.next_block().unwrap().unwrap();
    assert_eq!(b.len(), 40);
    assert!(!b.is_empty());
    let src: &[u8] = r.into_source();
    assert_eq!(src.len(), bytes.len());
}

#[cfg(unix)]
#[test]
fn entry_file_refuses_what_is_not_a_regular_file() {
    use std::os::unix::net::UnixListener;
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let refused = |p: &std::path::Path| match EntryFile::open(p) {
        Err(e @ CacheError::NotAFile { .. }) => {
            let CacheError::NotAFile { path, found } = &e else {
                unreachable!()
            };
            assert_eq!(path, p);
            assert_eq!(
                e.to_string(),
                format!(
                    "{}: not a regular file but {found}: refused as a cache entry",
                    p.display()
                )
            );
            *found
        }
        other => panic!("{}: {:?}", p.display(), other.map(|_| ())),
    };
    assert_eq!(refused(d), "a directory");
    let sock = d.join("s.splc");
    let _l = UnixListener::bind(&sock).unwrap();
    assert_eq!(refused(&sock), "a socket");
    let dangling = d.join("dangling.splc");
    std::os::unix::fs::symlink(d.join("gone"), &dangling).unwrap();
    assert_eq!(refused(&dangling), "a dangling symlink");
    // device nodes of our own (needs root; skipped elsewhere)
    let chr = d.join("null.splc");
    let blk = d.join("loop.splc");
    let made = |p: &std::path::Path, kind: &str, major: &str, minor: &str| {
        Command::new("mknod")
            .arg(p)
            .args([kind, major, minor])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if made(&chr, "c", "1", "3") && made(&blk, "b", "7", "200") {
        assert_eq!(refused(&chr), "a character device");
        assert_eq!(refused(&blk), "a block device");
    } else {
        eprintln!("SKIPPED: mknod refused (not root)");
    }
    // nothing there: no entry; a path through a file: an I/O error naming it
    assert!(EntryFile::open(&d.join("none.splc")).unwrap().is_none());
    let file = d.join("plain");
    std::fs::write(&file, b"x").unwrap();
    let through = file.join("x.splc");
    match EntryFile::open(&through) {
        Err(e @ CacheError::Io { .. }) => {
            assert!(
                e.to_string()
                    .starts_with(&format!("{}: ", through.display())),
                "{e}"
            )
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    // a link to a regular file is fine
    let link = d.join("link.splc");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let mut f = EntryFile::open(&link).unwrap().unwrap();
    assert_eq!(f.read_all().unwrap(), b"x");
}
