//! The in-memory API: a whole [`Entry`] to envelope bytes and back, on top
//! of [`EntryWriter`] and [`EntryReader`] (small results; big ones stream).

use crate::error::{CacheError, Result};
use crate::integrity::Secret;
use crate::job::JobMeta;
use crate::key::check_key;
use crate::options::EncodeOptions;
use crate::reader::{DictionaryResolver, EntryReader};
use crate::wire::EntryMeta;
use crate::writer::EntryWriter;
use waveform::{Column, SimResult};

/// One cache value: a simulation result and its job metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Entry {
    /// The plots of the result.
    pub result: SimResult,
    /// The job's metadata.
    pub meta: JobMeta,
}

/// Encodes an entry into envelope bytes (format v4).
///
/// Fails on an invalid key, invalid options, or a plot whose columns do not
/// match its variables or each other in length.
pub fn encode_entry(key: &str, entry: &Entry, opts: &EncodeOptions) -> Result<Vec<u8>> {
    check_key(key)?;
    let keyed = |e: CacheError| match e {
        CacheError::Encode { what, .. } => CacheError::Encode {
            key: key.to_string(),
            what,
        },
        e => e,
    };
    let size: usize = entry
        .result
        .plots
        .iter()
        .flat_map(|p| &p.columns)
        .map(|c| c.len() * c.value_type().size())
        .sum();
    let out = Vec::with_capacity(size / 4 + 1024);
    let mut w = EntryWriter::new(out, opts, entry.result.dialect, entry.result.encoding)?;
    for plot in &entry.result.plots {
        w.write_plot(plot).map_err(keyed)?;
    }
    w.finish(key, &entry.meta).map_err(keyed)
}

/// Decodes envelope bytes stored under `key` (format v4, or v3).
///
/// Checks, in order: head, the footer's tag (checksum, or HMAC when
/// `secret` is given; an entry whose authentication does not match the
/// presence of a secret is rejected), the footer and every length in it
/// against the envelope's size, then each block against its tag before
/// decoding it.
pub fn decode_entry(bytes: &[u8], key: &str, secret: Option<&Secret>) -> Result<Entry> {
    EntryReader::open(bytes, key, secret)?.read_entry()
}

/// [`decode_entry`] of an entry that may be coded with a campaign
/// dictionary, looked up in `dicts` (see [`EntryReader::open_with`]).
pub fn decode_entry_with<D: DictionaryResolver + ?Sized>(
    bytes: &[u8],
    key: &str,
    secret: Option<&Secret>,
    dicts: &D,
) -> Result<Entry> {
    EntryReader::open_with(bytes, key, secret, dicts)?.read_entry()
}

/// The id (sha256) of the campaign dictionary an envelope is coded with,
/// or `None` (no dictionary, or a v3 entry); its footer is checked as
/// [`read_meta`] does, but its dictionary is not needed.
pub fn entry_dictionary_id(
    bytes: &[u8],
    key: &str,
    secret: Option<&Secret>,
) -> Result<Option<[u8; 32]>> {
    let seen = std::cell::Cell::new(None);
    let probe = |id: &[u8; 32]| -> Result<Option<crate::Dictionary>> {
        seen.set(Some(*id));
        Ok(None)
    };
    match EntryReader::open_with(bytes, key, secret, &probe) {
        Ok(r) => Ok(r.meta().dictionary),
        Err(CacheError::DictionaryMissing { .. }) => Ok(seen.get()),
        Err(e) => Err(e),
    }
}

/// What a campaign dictionary is trained on, from one envelope of the
/// campaign (coded without a dictionary, or with the one `dicts` finds):
/// its footer record (names, header lines, the layout: what every entry of
/// the campaign repeats) and the bytes each block's shared zstd frame
/// decodes to (the transformed, byte-shuffled columns). Pass the samples
/// of a campaign's first entries (a few dozen) to
/// [`crate::train_dictionary`]. Every block is checked against its tag
/// first.
pub fn dictionary_samples<D: DictionaryResolver + ?Sized>(
    bytes: &[u8],
    key: &str,
    secret: Option<&Secret>,
    dicts: &D,
) -> Result<Vec<Vec<u8>>> {
    let mut r = EntryReader::open_with(bytes, key, secret, dicts)?;
    let mut meta = r.meta().clone();
    meta.dictionary = None;
    let mut out = vec![crate::wire::encode_footer(&meta)];
    while let Some(s) = r.next_shared_frame()? {
        out.push(s);
    }
    Ok(out)
}

/// Checks the head and the footer of an envelope and returns its meta,
/// without reading any block (a v3 envelope is checked and decoded whole).
pub fn read_meta(bytes: &[u8], key: &str, secret: Option<&Secret>) -> Result<EntryMeta> {
    Ok(EntryReader::open(bytes, key, secret)?.into_meta())
}

/// The raw column bytes of a result, column after column, little-endian
/// (complex values as re, im pairs): what a plain "serialise + zstd" cache
/// would compress. For benchmarks.
pub fn raw_column_bytes(result: &SimResult) -> Vec<u8> {
    let mut out = Vec::new();
    for c in result.plots.iter().flat_map(|p| &p.columns) {
        match c {
            Column::F32(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Column::F64(v) => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            Column::C32(v) => v.iter().for_each(|z| {
                out.extend_from_slice(&z.re.to_le_bytes());
                out.extend_from_slice(&z.im.to_le_bytes());
            }),
            Column::C64(v) => v.iter().for_each(|z| {
                out.extend_from_slice(&z.re.to_le_bytes());
                out.extend_from_slice(&z.im.to_le_bytes());
            }),
        }
    }
    out
}
