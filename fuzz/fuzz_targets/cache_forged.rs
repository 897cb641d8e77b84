//! Forged cache entries: the input changes a valid entry (its footer, its
//! block headers, its block bytes, its declared counts) and the entry is
//! sealed again, tags recomputed (checksums, or HMAC with a known secret),
//! so that every check after the tags is what stands between the bytes and
//! the decoder. Never a panic or a huge allocation.
#![no_main]

use cache_zstd::parts::{seal_raw, EntryParts};
use cache_zstd::{
    decode_entry_with, encode_entry, key_of, Codec, CodecChoice, Dictionary, EncodeOptions, Entry,
    EntryReader, JobMeta, ParamValue, Secret,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use waveform::{
    Column, Complex32, Complex64, Flags, Plot, PlotHeader, SimResult, Steps, ValueType, Variable,
};

fn key() -> &'static str {
    static K: OnceLock<String> = OnceLock::new();
    K.get_or_init(|| key_of(b"forged"))
}

fn secret() -> Secret {
    Secret::new(b"known secret".to_vec()).unwrap_or_else(|| unreachable!())
}

/// A campaign dictionary (raw content: zstd matches into these bytes).
fn dict() -> &'static Dictionary {
    static D: OnceLock<Dictionary> = OnceLock::new();
    D.get_or_init(|| {
        Dictionary::from_bytes(
            (0..4096u32)
                .flat_map(|i| ((i as f64 * 0.03).sin()).to_le_bytes())
                .collect(),
        )
    })
}

fn result() -> SimResult {
    let n = 300;
    let tran = Plot {
        header: PlotHeader {
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real stepped"),
            n_points: n,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(out)", "voltage"),
                Variable::new(2, "i(v1)", "current"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64((0..n).map(|i| (i % 100) as f64 * 1e-9).collect()),
            Column::F64((0..n).map(|i| (i as f64 * 0.03).sin()).collect()),
            Column::F32((0..n).map(|i| i as f32 * -1e-3).collect()),
        ],
        steps: Steps {
            starts: vec![0, 100, 200],
            total: n,
            params: vec![vec![("r".into(), 1.0)], vec![("r".into(), 2.0)], vec![]],
        },
    };
    let m = 20;
    let ac = Plot {
        header: PlotHeader {
            plotname: "AC Analysis".into(),
            flags: Flags::parse("complex"),
            n_points: m,
            variables: vec![
                Variable::new(0, "frequency", "frequency"),
                Variable::new(1, "v(x)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::C64(
                (0..m)
                    .map(|k| Complex64 {
                        re: 10f64.powi(k as i32),
                        im: 0.0,
                    })
                    .collect(),
            ),
            Column::C32(
                (0..m)
                    .map(|k| Complex32 {
                        re: k as f32,
                        im: -0.5,
                    })
                    .collect(),
            ),
        ],
        steps: Steps::single(m),
    };
    SimResult {
        plots: vec![tran, ac],
        ..SimResult::default()
    }
}

/// Valid entries to start from (plain, HMAC, pco, lossy, integer codec,
/// small blocks), taken apart once.
fn bases() -> &'static [(EntryParts, bool)] {
    static B: OnceLock<Vec<(EntryParts, bool)>> = OnceLock::new();
    B.get_or_init(|| {
        let entry = Entry {
            result: result(),
            meta: JobMeta {
                params: vec![("r1".into(), ParamValue::Number(1e3))],
                measures: vec![("vmax".into(), 1.0)],
                ..JobMeta::default()
            },
        };
        let opts = [
            EncodeOptions::default(),
            EncodeOptions {
                secret: Some(secret()),
                block_bytes: 512,
                ..EncodeOptions::default()
            },
            EncodeOptions {
                codecs: CodecChoice::Fixed(Codec::Pco),
                block_bytes: 2000,
                ..EncodeOptions::default()
            },
            EncodeOptions {
                precision: Some(1e-6),
                block_bytes: 700,
                ..EncodeOptions::default()
            },
            EncodeOptions {
                codecs: CodecChoice::Fixed(Codec::OrdDeltaShuffleZstd(5)),
                block_bytes: 100,
                ..EncodeOptions::default()
            },
            // The AC voltage (whole numbers and halves) is on one binary
            // quantum: its blocks take the integer codec.
            EncodeOptions {
                codecs: CodecChoice::Fixed(Codec::IntDeltaShuffleZstd(2)),
                block_bytes: 300,
                ..EncodeOptions::default()
            },
            EncodeOptions {
                dictionary: Some(dict().clone()),
                block_bytes: 1500,
                ..EncodeOptions::default()
            },
        ];
        let s = secret();
        opts.iter()
            .filter_map(|o| {
                let hmac = o.secret.is_some();
                let bytes = encode_entry(key(), &entry, o).ok()?;
                let parts =
                    EntryParts::split_with(&bytes, key(), hmac.then_some(&s), dict()).ok()?;
                Some((parts, hmac))
            })
            .collect()
    })
}

/// Reads the input a few bytes at a time.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u64(&mut self) -> u64 {
        let mut v = 0u64;
        for _ in 0..8 {
            v = (v << 8) | u64::from(self.byte());
        }
        v
    }
    /// A number that is often near a valid one: small, or huge.
    fn count(&mut self, near: u64) -> u64 {
        match self.byte() % 6 {
            0 => near,
            1 => near.wrapping_add(u64::from(self.byte())),
            2 => near.wrapping_sub(u64::from(self.byte())),
            3 => u64::from(self.byte()),
            4 => 1u64 << (self.byte() % 64),
            _ => self.u64(),
        }
    }
}

/// Streams the entry block by block; when every block reads, decodes it
/// whole in memory too.
fn decode_all(bytes: &[u8], secret: Option<&Secret>) {
    if let Ok(mut r) = EntryReader::open_with(bytes, key(), secret, dict()) {
        let plots: Vec<(Vec<ValueType>, u64)> = r
            .meta()
            .plots
            .iter()
            .map(|p| (p.types.clone(), p.n_points))
            .collect();
        while let Ok(Some(b)) = r.next_block() {
            let (types, n) = &plots[b.plot];
            assert_eq!(b.columns.len(), types.len());
            assert!(b.start + b.len() as u64 <= *n);
            for (c, t) in b.columns.iter().zip(types) {
                assert_eq!(c.value_type(), *t);
                assert_eq!(c.len(), b.len());
            }
        }
        if matches!(r.next_block(), Ok(None)) {
            let e = decode_entry_with(bytes, key(), secret, dict());
            if let Ok(e) = e {
                for p in &e.result.plots {
                    assert!(p.check().is_ok());
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let bases = bases();
    let (parts, hmac) = &bases[inp.byte() as usize % bases.len()];
    let s = secret();
    let sec = hmac.then_some(&s);
    let mut p = parts.clone();
    match inp.byte() % 6 {
        // The footer replaced by the input's bytes.
        0 => {
            let forged = seal_raw(p.flags, &p.blocks.concat(), inp.0, sec);
            decode_all(&forged, sec);
            return;
        }
        // Block bytes overwritten where the input says.
        1 => {
            for _ in 0..1 + inp.byte() % 8 {
                if p.blocks.is_empty() {
                    break;
                }
                let bi = inp.byte() as usize % p.blocks.len();
                let b = &mut p.blocks[bi];
                if b.is_empty() {
                    continue;
                }
                let at = (inp.u64() % b.len() as u64) as usize;
                b[at] = inp.byte();
            }
        }
        // A block's header replaced by the input's bytes (payload kept).
        2 => {
            if let Some(b) = p.blocks.first_mut() {
                if let Some((hl, n)) = cache_zstd::tlv::get_varint(b) {
                    let payload = b.get(n + hl as usize..).unwrap_or(&[]).to_vec();
                    let take = (inp.byte() as usize).min(inp.0.len());
                    let head = inp.0[..take].to_vec();
                    let mut nb = Vec::new();
                    cache_zstd::tlv::put_varint(&mut nb, head.len() as u64);
                    nb.extend_from_slice(&head);
                    nb.extend_from_slice(&payload);
                    *b = nb;
                }
            }
        }
        // Declared counts changed.
        3 => {
            for _ in 0..1 + inp.byte() % 4 {
                match inp.byte() % 5 {
                    0 if !p.meta.plots.is_empty() => {
                        let pi = inp.byte() as usize % p.meta.plots.len();
                        let n = p.meta.plots[pi].n_points;
                        p.meta.plots[pi].n_points = inp.count(n);
                    }
                    1 if !p.meta.blocks.is_empty() => {
                        let bi = inp.byte() as usize % p.meta.blocks.len();
                        let n = p.meta.blocks[bi].points;
                        p.meta.blocks[bi].points = inp.count(n);
                    }
                    2 if !p.meta.blocks.is_empty() => {
                        let bi = inp.byte() as usize % p.meta.blocks.len();
                        p.meta.blocks[bi].plot = inp.byte() as usize % 4;
                    }
                    3 if !p.meta.plots.is_empty() => {
                        let pi = inp.byte() as usize % p.meta.plots.len();
                        let steps = &mut p.meta.plots[pi].steps;
                        let v = inp.count(steps.total);
                        steps.starts.push(v);
                    }
                    _ => {
                        p.meta.precision = match inp.byte() % 3 {
                            0 => None,
                            1 => Some(f64::from_bits(inp.u64())),
                            _ => Some(1e-9),
                        };
                    }
                }
            }
        }
        // Column types changed, or columns dropped.
        4 => {
            if !p.meta.plots.is_empty() {
                let pi = inp.byte() as usize % p.meta.plots.len();
                let types = &mut p.meta.plots[pi].types;
                if !types.is_empty() {
                    let ci = inp.byte() as usize % types.len();
                    if inp.byte() % 2 == 0 {
                        types[ci] = [
                            ValueType::F32,
                            ValueType::F64,
                            ValueType::C32,
                            ValueType::C64,
                        ][inp.byte() as usize % 4];
                    } else {
                        types.remove(ci);
                        let left = types.len();
                        p.meta.plots[pi].header.variables.truncate(left);
                    }
                }
            }
        }
        // Blocks dropped, duplicated or swapped.
        _ => {
            if !p.blocks.is_empty() {
                let i = inp.byte() as usize % p.blocks.len();
                let j = inp.byte() as usize % p.blocks.len();
                match inp.byte() % 3 {
                    0 => {
                        p.blocks.remove(i);
                        p.meta.blocks.remove(i);
                    }
                    1 => {
                        let (b, r) = (p.blocks[i].clone(), p.meta.blocks[i].clone());
                        p.blocks.insert(j, b);
                        p.meta.blocks.insert(j, r);
                    }
                    _ => {
                        p.blocks.swap(i, j);
                        p.meta.blocks.swap(i, j);
                    }
                }
            }
        }
    }
    decode_all(&p.seal(sec), sec);
});
