//! A compressed RAW file replaced after it was opened: a read that decodes
//! the stream again finds the new file, and a stream that now ends early or
//! is not a stream is an error that says so (never wrong bytes). Also what
//! a compressed source shows of itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use raw_stream::source::Source;
use raw_stream::stream::{Compression, StreamSource};
use raw_stream::{write_plot, RawFile, RawFormat};
use std::io::Write;
use std::path::Path;
use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};

/// 10 MiB of bytes that say where they are: more than the decoded tail
/// kept, so a read back at the start decodes the stream again.
fn plain() -> Vec<u8> {
    (0..10u32 << 20).map(|i| (i % 251) as u8).collect()
}

fn compress(format: Compression, bytes: &[u8]) -> Vec<u8> {
    match format {
        Compression::Zstd => zstd::stream::encode_all(bytes, 1).unwrap(),
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        }
    }
}

/// Replaces `path` by a new file (a new inode, as an editor or a rerun would).
fn replace(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn read_at(s: &StreamSource, offset: u64, n: usize) -> std::io::Result<Vec<u8>> {
    let mut b = vec![0u8; n];
    s.read_exact_at(&mut b, offset).map(|()| b)
}

#[test]
fn a_stream_replaced_by_a_shorter_one_ends_with_an_error_naming_both_lengths() {
    let plain = plain();
    for format in [Compression::Zstd, Compression::Gzip] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.raw.c");
        std::fs::write(&path, compress(format, &plain)).unwrap();
        let s = StreamSource::open(&path, format).unwrap();
        assert_eq!(s.len(), plain.len() as u64);
        // far ahead: the start is no longer held
        assert_eq!(
            read_at(&s, 9 << 20, 64).unwrap(),
            plain[9 << 20..(9 << 20) + 64]
        );
        let half = 5usize << 20;
        replace(&path, &compress(format, &plain[..half]));
        // back at the start: decoded again, from the new file (same bytes there)
        assert_eq!(read_at(&s, 10, 100).unwrap(), plain[10..110]);
        assert_eq!(s.restarts(), 1);
        // past its end
        let e = read_at(&s, 8 << 20, 16).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{format:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "the {} stream ended at decoded byte {half} (it had {} when opened)",
                format.name(),
                plain.len()
            )
        );
    }
}

#[test]
fn a_stream_replaced_by_garbage_is_a_decoder_error() {
    let plain = plain();
    for format in [Compression::Zstd, Compression::Gzip] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.raw.c");
        let packed = compress(format, &plain);
        std::fs::write(&path, &packed).unwrap();
        let s = StreamSource::open(&path, format).unwrap();
        read_at(&s, 9 << 20, 8).unwrap();
        // the magic bytes stay, the rest is noise
        let mut junk = packed[..4].to_vec();
        junk.extend((0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        replace(&path, &junk);
        let e = read_at(&s, 0, 8).unwrap_err();
        assert_ne!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof,
            "{format:?}: {e}"
        );
        assert!(!e.to_string().contains("stream ended"), "{format:?}: {e}");
        // the decoder's own words (flate2: "corrupt deflate stream")
        if format == Compression::Gzip {
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
        }
    }
}

#[test]
fn a_compressed_source_shows_its_path_format_and_size() {
    let plot = Plot {
        header: PlotHeader {
            title: "* gz".into(),
            date: "today".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real"),
            n_points: 3,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(a)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64(vec![0.0, 1.0, 2.0]),
            Column::F64(vec![3.0, 4.0, 5.0]),
        ],
        steps: Steps::single(3),
    };
    let mut bytes = Vec::new();
    write_plot(&mut bytes, RawFormat::NgspiceBinary, &plot).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for format in [Compression::Gzip, Compression::Zstd] {
        let path = dir.path().join(format!("p.raw.{}", format.name()));
        std::fs::write(&path, compress(format, &bytes)).unwrap();
        let s = StreamSource::open(&path, format).unwrap();
        assert_eq!(s.format(), format);
        assert_eq!(
            format!("{s:?}"),
            format!(
                "StreamSource({}, {}, {} bytes decoded)",
                path.display(),
                format.name(),
                bytes.len()
            )
        );
        let raw = RawFile::open(&path).unwrap();
        assert_eq!(raw.compression(), Some(format.name()));
        let debug = format!("{raw:?}");
        assert!(debug.contains(&format!("{s:?}")), "{debug}");
        assert_eq!(raw.plot(0).unwrap().read().unwrap().columns, plot.columns);
    }
}
