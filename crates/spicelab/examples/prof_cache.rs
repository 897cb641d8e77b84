#![allow(missing_docs, clippy::unwrap_used)]
use cache_zstd::*;
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let r = raw_stream::RawFile::open(&path).unwrap().read_all().unwrap();
    let e = Entry { result: r, meta: JobMeta::default() };
    let k = key_of(b"x");
    let opts = EncodeOptions::default();
    let bytes = encode_entry(&k, &e, &opts).unwrap();
    let raw = raw_column_bytes(&e.result).len() as f64;
    let n = 3000;
    if std::env::args().nth(2).as_deref() == Some("dec") { for _ in 0..std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(100000) { std::hint::black_box(decode_entry(&bytes, &k, None).unwrap()); } return; }
    for _ in 0..2 {
        let t = Instant::now();
        for _ in 0..n { std::hint::black_box(encode_entry(&k, &e, &opts).unwrap()); }
        let enc = t.elapsed().as_secs_f64() / n as f64;
        let t = Instant::now();
        for _ in 0..n { std::hint::black_box(EntryReader::open(&bytes[..], &k, None).unwrap()); }
        let open = t.elapsed().as_secs_f64() / n as f64;
        let t = Instant::now();
        for _ in 0..n { std::hint::black_box(decode_entry(&bytes, &k, None).unwrap()); }
        let dec = t.elapsed().as_secs_f64() / n as f64;
        let fl = raw_footer(&bytes).map(|f| f.len()).unwrap_or(0);
        println!("{} bytes (footer {} decoded), enc {:.1} us ({:.0} MB/s) open {:.1} us dec {:.1} us ({:.0} MB/s)", bytes.len(), fl, enc*1e6, raw/enc/1e6, open*1e6, dec*1e6, raw/dec/1e6);
    }
}
use cache_zstd::parts::raw_footer;
