//! Bounded memory, measured in child processes under an address-space
//! limit (`ulimit -v`) smaller than the result: an honest entry of 2^26
//! zeros (512 MiB of values in about 100 KB) streams through the writer and
//! the reader; forged entries that declare huge sizes are refused with an
//! error, never an abort. The test binary runs itself again as the child.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(target_os = "linux")]

mod common;

use cache_zstd::parts::{seal_raw, EntryParts};
use cache_zstd::{
    decode_entry, key_of, EncodeOptions, EntryReader, EntryWriter, JobMeta, MAX_BLOCK_BYTES,
};
use std::process::Command;
use waveform::{Column, Dialect, Encoding, PlotHeader, Steps, ValueType, Variable};

const CHILD_ENV: &str = "CACHE_ZSTD_MEMORY_CHILD";
/// The child's address-space limit: half the zeros' 512 MiB.
const LIMIT_KB: u64 = 256 * 1024;
const ZEROS: u64 = 1 << 26;

fn run_child(mode: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KB} && exec \"$0\" \"$@\""))
        .arg(exe)
        .args(["--exact", "child_main", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child {mode} failed: {text}");
    text
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn zeros_entry(key: &str, n: u64) -> Vec<u8> {
    let header = PlotHeader {
        plotname: "DC transfer characteristic".into(),
        n_points: n,
        variables: vec![Variable::new(0, "v(out)", "voltage")],
        ..PlotHeader::default()
    };
    let mut w = EntryWriter::new(
        Vec::new(),
        &EncodeOptions::default(),
        Dialect::Ngspice,
        Encoding::Binary,
    )
    .unwrap();
    w.begin_plot(&header, &[ValueType::F64]).unwrap();
    let chunk = [Column::F64(vec![0.0; 1 << 16])];
    for _ in 0..n >> 16 {
        w.write_columns(&chunk).unwrap();
    }
    w.end_plot(&Steps::single(n)).unwrap();
    w.finish(key, &JobMeta::default()).unwrap()
}

/// Not a test on its own: the body of the child processes.
#[test]
fn child_main() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let k = key_of(b"zeros");
    match mode.as_str() {
        "zeros" => {
            let bytes = zeros_entry(&k, ZEROS);
            let mut r = EntryReader::open(&bytes[..], &k, None).unwrap();
            let mut points = 0u64;
            while let Some(b) = r.next_block().unwrap() {
                assert!(b.columns[0].to_f64().iter().all(|&x| x.to_bits() == 0));
                points += b.len() as u64;
            }
            assert_eq!(points, ZEROS);
            println!(
                "zeros: {} points in a {}-byte entry, streamed with a peak RSS of {} KB",
                points,
                bytes.len(),
                peak_rss_kb()
            );
            assert!(peak_rss_kb() < 64 * 1024, "{} KB", peak_rss_kb());
            // In memory it does not fit the limit: an error, not an abort.
            let err = decode_entry(&bytes, &k, None).unwrap_err();
            println!("zeros in memory under the limit: {err}");
        }
        "forged" => {
            // (the declared sizes are what matter: a smaller honest entry)
            let bytes = zeros_entry(&k, 1 << 22);
            let parts = EntryParts::split(&bytes, &k, None).unwrap();
            let mut refused = 0;
            // Every block declares the most points a block may hold, and the
            // plot as many as all of them: each block's frame is too short.
            let mut p = parts.clone();
            let per = (MAX_BLOCK_BYTES / 8) as u64;
            p.meta.plots[0].n_points = per * p.meta.blocks.len() as u64;
            p.meta.blocks.iter_mut().for_each(|b| b.points = per);
            let e = decode_entry(&p.seal(None), &k, None).unwrap_err();
            println!("max points per block: {e}");
            refused += 1;
            // 2^40 points in one block, and in many.
            for blocks in [1, 3] {
                let mut p = parts.clone();
                p.meta.plots[0].n_points = blocks << 40;
                p.meta.blocks.truncate(blocks as usize);
                p.blocks.truncate(blocks as usize);
                p.meta.blocks.iter_mut().for_each(|b| b.points = 1 << 40);
                let e = decode_entry(&p.seal(None), &k, None).unwrap_err();
                println!("2^40 points x {blocks}: {e}");
                refused += 1;
            }
            // A footer that declares a huge length, and one of junk.
            let mut b = bytes.clone();
            let at = b.len() - 20;
            b[at..at + 4].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
            println!("footer length: {}", decode_entry(&b, &k, None).unwrap_err());
            let mut huge = vec![0u8; 20];
            cache_zstd::tlv::put_varint(&mut huge, u64::MAX);
            let forged = seal_raw(0, &[], &huge, None);
            println!(
                "junk footer: {}",
                decode_entry(&forged, &k, None).unwrap_err()
            );
            refused += 2;
            println!("forged: {refused} refused, peak RSS {} KB", peak_rss_kb());
            assert!(peak_rss_kb() < 160 * 1024, "{} KB", peak_rss_kb());
        }
        other => panic!("unknown child mode {other}"),
    }
}

#[test]
fn zeros_stream_within_a_small_address_space() {
    let out = run_child("zeros");
    eprintln!("{out}");
    assert!(out.contains(&format!("zeros: {ZEROS} points")), "{out}");
}

#[test]
fn forged_sizes_are_refused_within_a_small_address_space() {
    let out = run_child("forged");
    eprintln!("{out}");
    assert!(out.contains("forged: 5 refused"), "{out}");
}
