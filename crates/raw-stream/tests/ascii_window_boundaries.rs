//! ASCII (`Values:`) plots read the same wherever the reading window ends:
//! inside a complex value, just after its comma, or exactly where the next
//! plot's header starts; plots with more checkpoints than are kept; and
//! stray commas refused at their byte offset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::agree::check_bytes;
use raw_stream::{write_plot, OpenOptions, RawFile, RawFormat};
use waveform::{Column, Complex64, Flags, Plot, PlotHeader, Steps, Variable};

/// The smallest reading window (the reader clamps smaller ones up to it).
const WINDOW: usize = 64 << 10;

fn plot(n: usize, complex: bool) -> Plot {
    let scale = if complex { "frequency" } else { "time" };
    let header = PlotHeader {
        title: "* window boundaries".into(),
        date: "today".into(),
        plotname: common::plotname(complex),
        flags: Flags::parse(if complex { "complex" } else { "real" }),
        n_points: n as u64,
        variables: vec![
            Variable::new(0, scale, scale),
            Variable::new(1, "v(out)", "voltage"),
            Variable::new(2, "i(v1)", "current"),
        ],
        ..PlotHeader::default()
    };
    let columns = if complex {
        let c = |k: f64| {
            Column::C64(
                (0..n)
                    .map(|i| Complex64 {
                        re: (i as f64 * k).sin(),
                        im: -(i as f64 * 0.5 + k).cos() * 1e-3,
                    })
                    .collect(),
            )
        };
        vec![
            Column::F64((1..=n).map(|i| i as f64 * 10.0).collect()),
            c(0.37),
            c(1.9),
        ]
    } else {
        vec![
            Column::F64((0..n).map(|i| i as f64 * 1e-7).collect()),
            Column::F64((0..n).map(|i| (i as f64 * 0.01).sin()).collect()),
            Column::F64((0..n).map(|i| -(i as f64) * 2.5e-4).collect()),
        ]
    };
    Plot {
        header,
        columns,
        steps: Steps::single(n as u64),
    }
}

fn ascii_bytes(p: &Plot) -> Vec<u8> {
    let mut out = Vec::new();
    write_plot(&mut out, RawFormat::NgspiceAscii, p).unwrap();
    out
}

/// `bytes` with `pad` spaces inserted in the first point of the `Values:`
/// data, after its index (reading starts at that index: the text after it
/// moves under the window), and the offset of the data.
fn padded(bytes: &[u8], pad: usize) -> (Vec<u8>, usize) {
    let marker = b"Values:\n0";
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker)
        .unwrap()
        + marker.len();
    let mut out = bytes[..at].to_vec();
    out.extend(std::iter::repeat_n(b' ', pad));
    out.extend_from_slice(&bytes[at..]);
    (out, at - 1)
}

fn assert_reads_as(raw: &RawFile, k: usize, want: &Plot, what: &str) {
    let got = raw
        .plot(k)
        .unwrap()
        .read()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(got.columns.len(), want.columns.len(), "{what}");
    for (j, (g, w)) in got.columns.iter().zip(&want.columns).enumerate() {
        assert!(g.same_bits(w), "{what}: column {j} differs");
    }
}

#[test]
fn complex_values_cut_by_the_window_anywhere_read_the_same() {
    // a bit more than one window of complex points
    let p = plot(1500, true);
    let bytes = ascii_bytes(&p);
    assert!(bytes.len() > WINDOW + 1000, "{}", bytes.len());
    // where the first window ends, relative to the data start: slide the
    // text under it byte by byte, across more than one whole point
    let (_, data_at) = padded(&bytes, 0);
    let boundary = &bytes[data_at + WINDOW - 48..data_at + WINDOW];
    assert!(boundary.contains(&b','), "the sweep crosses complex values");
    for pad in 0..48 {
        let (b, _) = padded(&bytes, pad);
        let opts = OpenOptions {
            window_bytes: 0, // clamped up to the smallest window
            ..OpenOptions::default()
        };
        let raw = RawFile::from_bytes("ac.raw", b, &opts).unwrap();
        assert_eq!(raw.plots()[0].complete_points, 1500, "pad {pad}");
        assert!(raw.warnings().is_empty(), "pad {pad}: {:?}", raw.warnings());
        assert_reads_as(&raw, 0, &p, &format!("pad {pad}"));
    }
}

#[test]
fn a_header_that_starts_where_the_scan_window_ends_is_the_next_plot() {
    // The opening scan reads a window and scans all but its last 16 bytes;
    // the next window starts there. Put the second plot's header exactly
    // at that start (and a few bytes either side).
    let first = plot(1200, false);
    let second = plot(5, true);
    let a = ascii_bytes(&first);
    let b = ascii_bytes(&second);
    let (_, data_at) = padded(&a, 0);
    let data_len = a.len() - data_at;
    assert!(data_len + 1000 < WINDOW - 16, "{data_len}");
    let exact = WINDOW - 16 - data_len;
    for pad in [exact - 2, exact - 1, exact, exact + 1, exact + 3] {
        let (mut bytes, _) = padded(&a, pad);
        assert_eq!(bytes.last(), Some(&b'\n'));
        let header_at = bytes.len();
        bytes.extend_from_slice(&b);
        let opts = OpenOptions {
            window_bytes: WINDOW,
            ..OpenOptions::default()
        };
        let raw = RawFile::from_bytes("two.raw", bytes, &opts).unwrap();
        let what = format!("pad {pad} (header at data + {})", header_at - data_at);
        assert_eq!(raw.plots().len(), 2, "{what}");
        assert_eq!(raw.plots()[0].data_end, header_at as u64, "{what}");
        assert_eq!(raw.plots()[1].header_offset, header_at as u64, "{what}");
        assert_eq!(raw.plots()[0].complete_points, 1200, "{what}");
        assert_eq!(raw.plots()[1].header.plotname, "AC Analysis", "{what}");
        assert!(raw.warnings().is_empty(), "{what}: {:?}", raw.warnings());
        assert_reads_as(&raw, 0, &first, &what);
        assert_reads_as(&raw, 1, &second, &what);
    }
}

#[test]
fn more_checkpoints_than_are_kept_still_read_every_range_the_same() {
    // a checkpoint due at every point: 5000 of them, more than the 4096 kept
    let p = plot(5000, false);
    let bytes = ascii_bytes(&p);
    let opts = OpenOptions {
        checkpoint_bytes: 1,
        ..OpenOptions::default()
    };
    let (raw, plots, checked) = check_bytes(&bytes, &opts).expect("opens");
    assert_eq!(checked.plots_read, 1);
    assert_eq!(checked.points, 5000);
    assert!(plots[0]
        .columns
        .iter()
        .zip(&p.columns)
        .all(|(g, w)| g.same_bits(w)));
    // ranges from anywhere read the right points
    let pr = raw.plot(0).unwrap();
    for (from, to) in [
        (0u64, 1u64),
        (4095, 4099),
        (2500, 2501),
        (4999, 5000),
        (123, 4567),
    ] {
        let mut got = Vec::new();
        for c in pr.chunks_in(from..to, 777, None) {
            got.extend(c.unwrap().columns[1].to_f64());
        }
        assert_eq!(got, p.columns[1].to_f64()[from as usize..to as usize]);
    }
    // partitions start at kept checkpoints and cover the plot
    let parts = pr.partitions(7);
    assert_eq!(parts.first().map(|r| r.start), Some(0));
    assert_eq!(parts.last().map(|r| r.end), Some(5000));
    assert!(parts.len() > 1, "{parts:?}");
}

/// The `RawError::Data` of reading the plot of `text` (an ngspice ASCII
/// header and `values`), and the offset of `values` in the file.
fn data_error(complex: bool, points: usize, values: &str) -> (u64, String, u64) {
    let (flags, scale) = if complex {
        ("complex", "frequency")
    } else {
        ("real", "time")
    };
    let head = format!(
        "Title: * commas\nDate: today\nPlotname: Some Analysis\nFlags: {flags}\n\
         No. Variables: 2\nNo. Points: {points}\nVariables:\n\t0\t{scale}\t{scale}\n\
         \t1\tv(out)\tvoltage\nValues:\n"
    );
    let text = format!("{head}{values}");
    let raw =
        RawFile::from_bytes("commas.raw", text.into_bytes(), &OpenOptions::default()).unwrap();
    assert_eq!(raw.plots()[0].complete_points, points as u64);
    let (plot, offset, message) =
        common::expect_data_error(raw.plot(0).unwrap().read(), &format!("{values:?}"));
    assert_eq!(plot, 0);
    (offset, message, head.len() as u64)
}

#[test]
fn a_value_that_is_only_a_comma_is_refused_at_its_offset() {
    let values = "0\t0.0\n\t1.0\n1\t,1e-6\n\t2.0\n";
    let (offset, message, start) = data_error(false, 2, values);
    assert_eq!(message, "expected a value, found ','");
    assert_eq!(offset, start + values.find(',').unwrap() as u64);
}

#[test]
fn a_complex_value_with_two_commas_is_refused_at_the_second() {
    let values = "0\t1e3,0\n\t1,,2\n";
    let (offset, message, start) = data_error(true, 1, values);
    assert_eq!(message, "expected the imaginary part of a complex value");
    assert_eq!(offset, start + values.rfind(',').unwrap() as u64);
    // the same with spaces around the commas (Xyce's spelling)
    let values = "0\t1e3, 0\n\t1 , , 2\n";
    let (offset, message, start) = data_error(true, 1, values);
    assert_eq!(message, "expected the imaginary part of a complex value");
    assert_eq!(offset, start + values.rfind(',').unwrap() as u64);
}

#[test]
fn chunks_say_which_points_are_left() {
    let p = plot(10, false);
    let raw = RawFile::from_bytes("r.raw", ascii_bytes(&p), &OpenOptions::default()).unwrap();
    let pr = raw.plot(0).unwrap();
    let mut it = pr.chunks(4);
    assert_eq!(it.remaining(), 0..10);
    assert_eq!(it.next().unwrap().unwrap().len, 4);
    assert_eq!(it.remaining(), 4..10);
    let mut it = pr.chunks_in(3..7, 3, None);
    assert_eq!(it.remaining(), 3..7);
    let c = it.next().unwrap().unwrap();
    assert_eq!((c.start, c.len), (3, 3));
    assert_eq!(c.columns[2].to_f64(), p.columns[2].to_f64()[3..6]);
    assert_eq!(it.remaining(), 6..7);
    assert_eq!(it.next().unwrap().unwrap().len, 1);
    assert_eq!(it.remaining(), 7..7);
    assert!(it.next().is_none());
}

/// A file whose last values are blanked (same size) after it was opened:
/// the chunks fail at the first missing point, saying the file changed,
/// instead of ending early as if the plot were shorter (or hanging).
#[cfg(unix)]
#[test]
fn points_blanked_after_opening_are_an_error_naming_the_point() {
    let p = plot(6, false);
    let bytes = ascii_bytes(&p);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.raw");
    let text = String::from_utf8(bytes.clone()).unwrap();
    // the last point: "5\t<time>\n\t<v>\n\t<i>\n"
    let last = text.rfind("\n5\t").unwrap() + 1;
    for (what, from) in [
        ("its last value", text.rfind('\t').unwrap() + 1),
        ("the whole point", last),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let raw = RawFile::open(&path).unwrap();
        assert_eq!(raw.plots()[0].complete_points, 6);
        // rewrite in place, same length: blank from `from` to the end
        let mut blanked = bytes.clone();
        for b in &mut blanked[from..] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        {
            use std::io::{Seek, Write};
            let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            f.seek(std::io::SeekFrom::Start(0)).unwrap();
            f.write_all(&blanked).unwrap();
        }
        let pr = raw.plot(0).unwrap();
        let mut it = pr.chunks(4);
        let first = it.next().unwrap().unwrap();
        assert_eq!((first.start, first.len), (0, 4), "{what}");
        let err = it.next().unwrap().unwrap_err().to_string();
        assert!(
            err.contains("plot 0")
                && err.contains(
                    "the data ends at point 5 of 6: the file changed after it was opened"
                ),
            "{what}: {err}"
        );
        assert!(it.next().is_none(), "{what}");
        assert_eq!(it.remaining(), 6..6, "{what}");
    }
}
