//! `.raw.gz` and `.raw.zst` files: compressed in the test from real ngspice
//! fixtures and LTspice corpus files, read with streaming decompression,
//! and checked against the uncompressed file value for value.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use raw_stream::{OpenOptions, RawError, RawFile};
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// The shared corpus (`../shared/raw-samples` or `$SPICELAB_RAW_SAMPLES`), when present.
fn corpus() -> Option<PathBuf> {
    let d = std::env::var_os("SPICELAB_RAW_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/raw-samples")
        });
    if d.join("MANIFEST.toml").exists() {
        Some(d)
    } else {
        eprintln!(
            "NOTE: RAW corpus not found at {}: corpus checks skipped",
            d.display()
        );
        None
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
}

/// Writes `src` compressed both ways into `dir`; returns (gz, zst) paths.
fn compress(src: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let bytes = std::fs::read(src).unwrap();
    let name = src.file_name().unwrap().to_str().unwrap();
    let gz = dir.join(format!("{name}.gz"));
    let zst = dir.join(format!("{name}.zst"));
    std::fs::write(&gz, gzip(&bytes)).unwrap();
    std::fs::write(&zst, zstd(&bytes)).unwrap();
    (gz, zst)
}

/// Everything the reader says about a file, compressed or not, must agree.
fn same_as_plain(plain: &Path, packed: &Path, format: &str) {
    let a = RawFile::open(plain).unwrap();
    let b = RawFile::open(packed).unwrap_or_else(|e| panic!("{}: {e}", packed.display()));
    assert_eq!(a.compression(), None);
    assert_eq!(b.compression(), Some(format));
    assert_eq!(a.size(), b.size());
    assert_eq!(a.dialect(), b.dialect());
    assert_eq!(a.plots().len(), b.plots().len());
    for (pa, pb) in a.plots().iter().zip(b.plots()) {
        assert_eq!(pa.header, pb.header);
        assert_eq!(pa.data_offset, pb.data_offset);
        assert_eq!(pa.complete_points, pb.complete_points);
        assert_eq!(pa.truncated, pb.truncated);
    }
    assert_eq!(a.warnings().len(), b.warnings().len());
    let (ra, rb) = (a.read_all().unwrap(), b.read_all().unwrap());
    assert!(ra.plots.iter().any(|p| p.header.n_points > 0));
    assert_eq!(ra, rb, "{}", packed.display());
    // chunked reading too, plot by plot, with step indexes
    for i in 0..a.plots().len() {
        let (qa, qb) = (a.plot(i).unwrap(), b.plot(i).unwrap());
        assert_eq!(qa.steps().unwrap(), qb.steps().unwrap());
        let ca: Vec<_> = qa.chunks(7).map(|c| c.unwrap().columns).collect();
        let cb: Vec<_> = qb.chunks(7).map(|c| c.unwrap().columns).collect();
        assert_eq!(ca, cb);
    }
}

#[test]
fn ngspice_fixtures_read_the_same_compressed() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "ng39_rc_tran.raw",
        "ng39_rc_tran_ascii.raw",
        "ng39_rlc_ac.raw",
        "ng39_rlc_ac_ascii.raw",
        "ng39_multi_op_tran_ac.raw",
        "ng39_loop_alter.raw",
    ] {
        let plain = fixture(name);
        let (gz, zst) = compress(&plain, dir.path());
        same_as_plain(&plain, &gz, "gzip");
        same_as_plain(&plain, &zst, "zstd");
    }
}

#[test]
fn format_is_found_by_magic_bytes_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let plain = fixture("ng39_rc_tran.raw");
    let bytes = std::fs::read(&plain).unwrap();
    let odd = dir.path().join("looks_plain.raw");
    std::fs::write(&odd, zstd(&bytes)).unwrap();
    same_as_plain(&plain, &odd, "zstd");
    let odd = dir.path().join("other.bin");
    std::fs::write(&odd, gzip(&bytes)).unwrap();
    same_as_plain(&plain, &odd, "gzip");
}

#[test]
fn ltspice_corpus_files_read_the_same_compressed() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "ltspice_rl_tran_double.raw",
        "ltspice_tran_normal.raw",
        "ltspice4_tran.raw",
    ] {
        let plain = c.join(name);
        let (gz, zst) = compress(&plain, dir.path());
        same_as_plain(&plain, &gz, "gzip");
        same_as_plain(&plain, &zst, "zstd");
    }
}

#[test]
fn stepped_ltspice_finds_its_log_beside_the_compressed_file() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let plain = c.join("ltspice_tran_step.raw");
    std::fs::copy(
        c.join("ltspice_tran_step.log"),
        dir.path().join("ltspice_tran_step.log"),
    )
    .unwrap();
    let (_, zst) = compress(&plain, dir.path());
    let a = RawFile::open(&plain).unwrap();
    let b = RawFile::open(&zst).unwrap();
    let (sa, sb) = (
        a.plot(0).unwrap().steps().unwrap(),
        b.plot(0).unwrap().steps().unwrap(),
    );
    assert!(sa.count() > 1);
    // the parameters come from the .log, found as x.log beside x.raw.zst
    assert_eq!(sa.params.len(), sa.count());
    assert!(!sa.params[0].is_empty());
    assert_eq!(sa, sb);
    assert_eq!(a.read_all().unwrap(), b.read_all().unwrap());
}

#[test]
fn fastaccess_needs_random_access_and_says_so() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (gz, zst) = compress(&c.join("ltspice_tran_fastaccess.raw"), dir.path());
    for (p, format) in [(gz, "gzip"), (zst, "zstd")] {
        match RawFile::open(&p) {
            Err(e @ RawError::NeedsRandomAccess { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(p.to_str().unwrap()), "{msg}");
                assert!(msg.contains("decompress it first"), "{msg}");
                assert!(msg.contains(format), "{msg}");
                assert!(msg.contains("plot 0"), "{msg}");
            }
            other => panic!("{}: {other:?}", p.display()),
        }
    }
}

#[test]
fn truncated_streams_are_a_clean_error() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("ng39_rc_tran.raw")).unwrap();
    for (packed, format) in [(gzip(&bytes), "gzip"), (zstd(&bytes), "zstd")] {
        let p = dir.path().join(format!("cut.{format}"));
        std::fs::write(&p, &packed[..packed.len() / 2]).unwrap();
        match RawFile::open_with(&p, &OpenOptions::default()) {
            Err(e @ RawError::Compressed { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(format) && msg.contains("cut."), "{msg}");
            }
            other => panic!("{format}: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// A compressed stream cut anywhere, or with one byte changed, never
    /// panics; a cut stream is always an error.
    #[test]
    fn damaged_streams_never_panic(cut in 0.0f64..1.0, flip in any::<(usize, u8)>(), zst in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(fixture("ng39_rc_tran_ascii.raw")).unwrap();
        let packed = if zst { zstd(&bytes) } else { gzip(&bytes) };
        let n = ((packed.len() as f64) * cut) as usize;
        let p = dir.path().join("cut.raw.x");
        std::fs::write(&p, &packed[..n]).unwrap();
        prop_assert!(RawFile::open(&p).is_err());
        let mut bad = packed.clone();
        let i = flip.0 % bad.len();
        bad[i] ^= flip.1 | 1;
        std::fs::write(&p, &bad).unwrap();
        if let Ok(raw) = RawFile::open(&p) {
            let _ = raw.read_all();
        }
    }
}

/// A plot of 10 MB (more than the decoded tail the reader keeps), then
/// a small one; values that tell every point apart.
fn big_then_small(path: &Path) {
    use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};
    let plot = |k: usize, n: usize| Plot {
        header: PlotHeader {
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(a)", "voltage"),
                Variable::new(2, "v(b)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64((0..n).map(|i| i as f64 * 1e-9).collect()),
            Column::F64((0..n).map(|i| (k * 1_000_000 + i) as f64).collect()),
            Column::F64((0..n).map(|i| -((k * 1_000_000 + i) as f64)).collect()),
        ],
        steps: Steps::single(n as u64),
    };
    raw_stream::write_file(
        path,
        raw_stream::RawFormat::NgspiceBinary,
        &[plot(0, 420_000), plot(1, 1000)],
    )
    .unwrap();
}

#[test]
fn reading_back_behind_the_tail_decodes_again_a_bounded_number_of_times() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("big.raw");
    big_then_small(&plain);
    assert!(std::fs::metadata(&plain).unwrap().len() > 2 * raw_stream::KEEP_BYTES as u64);
    let zst = dir.path().join("big.raw.zst");
    std::fs::write(&zst, zstd(&std::fs::read(&plain).unwrap())).unwrap();
    let a = RawFile::open(&plain).unwrap();
    let b = RawFile::open(&zst).unwrap();
    // the second plot first, then the first one: a read behind the tail
    for i in [1, 0, 1] {
        assert_eq!(
            a.plot(i).unwrap().read().unwrap(),
            b.plot(i).unwrap().read().unwrap(),
            "plot {i}"
        );
    }
    // the start of plot 0, then plot 1, and again: each return to plot 0
    // decodes from the beginning; more of them than the bound is refused
    let first = |i: usize| b.plot(i).unwrap().chunks(16).next().unwrap();
    let mut failed = None;
    for k in 0..2 * raw_stream::MAX_RESTARTS as usize + 4 {
        if let Err(e) = first(k % 2) {
            failed = Some((k, e));
            break;
        }
    }
    let (k, e) = failed.expect("the restarts are bounded");
    // one restart above (plot 0 after plot 1), then one per even k: the
    // 64th is the last allowed, the read that would need a 65th fails
    assert_eq!(
        k,
        2 * (raw_stream::MAX_RESTARTS as usize - 1),
        "refused after {k} reads"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("needs random access")
            && msg.contains("zstd")
            && msg.contains("decompress it first"),
        "{msg}"
    );
}
