//! The cache envelope decoder on arbitrary bytes: never a panic, a hang or
//! a huge allocation; an entry either decodes to a consistent result or is
//! an error.
#![no_main]

use cache_zstd::{decode_entry_with, key_of, Dictionary, EntryReader, Secret};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn key() -> &'static str {
    static K: OnceLock<String> = OnceLock::new();
    // The key of the committed reference entries (fixtures/cache), whose
    // bytes make a good seed corpus.
    K.get_or_init(|| key_of(b"spicelab reference entry"))
}

/// A campaign dictionary: the same bytes as `xtask/src/fuzz.rs`
/// (`fuzz_dictionary`), whose seeds include entries coded with it.
fn dict() -> &'static Dictionary {
    static D: OnceLock<Dictionary> = OnceLock::new();
    D.get_or_init(|| {
        Dictionary::from_bytes(
            (0..2048u32)
                .flat_map(|i| ((i as f64 * 0.01).sin()).to_le_bytes())
                .collect(),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let secret = Secret::new(b"spicelab reference secret".to_vec());
    for s in [None, secret.as_ref()] {
        if let Ok(e) = decode_entry_with(data, key(), s, dict()) {
            for p in &e.result.plots {
                assert!(p.check().is_ok());
            }
        }
        if let Ok(mut r) = EntryReader::open_with(data, key(), s, dict()) {
            let n_plots = r.meta().plots.len();
            while let Ok(Some(b)) = r.next_block() {
                assert!(b.plot < n_plots);
            }
        }
    }
    let _ = cache_zstd::parts::raw_footer(data);
});
