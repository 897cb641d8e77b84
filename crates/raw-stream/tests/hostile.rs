//! Hostile inputs: paths that are not regular files, headers that lie about
//! their point counts, counts at the edge of u64 offsets, files cut at any
//! byte, and every reader agreeing with every other on all of them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::agree::{check_bytes, same, slice};
use proptest::prelude::*;
use raw_stream::{ChunkOptions, OpenOptions, RawError, RawFile, RawFormat};
#[cfg(unix)]
use std::time::{Duration, Instant};
use waveform::{Column, Flags, Plot, PlotHeader, Steps, Variable};

// ---------------------------------------------------------------- not regular files

/// Runs `f` on another thread and gives up after `limit`: a test of
/// something that must not block fails instead of hanging.
#[cfg(unix)]
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).ok()
}

#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(st.success(), "mkfifo {}", path.display());
}

/// A RAW "file" that is a FIFO with no writer is refused at once (opening it
/// would block until something writes to it).
#[cfg(unix)]
#[test]
fn a_fifo_is_refused_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipe.raw");
    mkfifo(&path);
    let start = Instant::now();
    let p = path.clone();
    let r = within(Duration::from_secs(5), move || {
        RawFile::open(&p).map(|_| ())
    })
    .expect("RawFile::open on a FIFO blocked for 5 s");
    let elapsed = start.elapsed();
    match r {
        Err(RawError::NotRegular { path: got, what }) => {
            assert_eq!(got, path);
            assert_eq!(what, "a FIFO (named pipe)");
        }
        other => panic!("expected NotRegular, got {other:?}"),
    }
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
}

/// Sockets and devices (beside those of `devices_and_proc_files_are_refused_with_words`)
/// are refused by what they are, before anything is read from them.
#[cfg(unix)]
#[test]
fn sockets_and_devices_are_refused_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("s.raw");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let mut cases = vec![
        (std::path::PathBuf::from("/dev/null"), "a character device"),
        (sock, "a socket"),
    ];
    // a block device where the machine has one visible
    if let Some(b) = ["/dev/loop0", "/dev/vda", "/dev/sda", "/dev/nvme0n1"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| {
            use std::os::unix::fs::FileTypeExt;
            std::fs::metadata(p).is_ok_and(|m| m.file_type().is_block_device())
        })
    {
        cases.push((b, "a block device"));
    }
    for (path, want) in cases {
        match RawFile::open(&path) {
            Err(RawError::NotRegular { path: got, what }) => {
                assert_eq!(got, path);
                assert_eq!(what, want, "{}", path.display());
            }
            other => panic!("{}: expected NotRegular, got {other:?}", path.display()),
        }
    }
}

/// A stepped LTspice file whose companion `.log` is a FIFO: the steps are
/// found from the data, the log is ignored, nothing blocks.
#[cfg(unix)]
#[test]
fn a_fifo_log_does_not_hang_the_step_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stepped.raw");
    let per = 4;
    let t: Vec<f64> = (0..3 * per).map(|i| (i % per) as f64 * 1e-6).collect();
    let plot = Plot {
        header: PlotHeader {
            title: "* stepped".into(),
            date: "d".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real forward stepped"),
            n_points: t.len() as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(a)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![
            Column::F64(t.clone()),
            Column::F32(t.iter().map(|&x| x as f32 * 2.0).collect()),
        ],
        steps: Steps::single(t.len() as u64),
    };
    raw_stream::write_file(&path, RawFormat::LtspiceBinary, &[plot]).unwrap();
    mkfifo(&dir.path().join("stepped.log"));
    let start = Instant::now();
    let p = path.clone();
    let steps = within(Duration::from_secs(5), move || {
        let raw = RawFile::open(&p)?;
        let s = raw.plot(0)?.steps()?;
        Ok::<_, RawError>((*s).clone())
    })
    .expect("the step index blocked on a FIFO .log for 5 s")
    .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(steps.starts, vec![0, 4, 8]);
    assert!(steps.params.is_empty(), "{:?}", steps.params);
}

/// Devices and `/proc` files are refused with words that say what they are
/// (they are only looked at, never written).
#[cfg(target_os = "linux")]
#[test]
fn headers_missing_what_every_plot_needs_are_refused_at_their_offset() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 5] = [
        (
            "hello world",
            "plot 0, byte 0: no 'Binary:' or 'Values:' line in the 11 bytes of header text",
        ),
        ("Values:\n", "plot 0, byte 0: no RAW header here"),
        (
            "Title: x\nDate: y\nPlotname: Transient Analysis\nFlags: real\nNo. Points: 2\nVariables:\n\t0\ttime\ttime\nValues:\n",
            "plot 0, byte 0: no 'No. Variables:' line",
        ),
        (
            "Title: x\nPlotname: T\nFlags: real\nNo. Variables: 1\nVariables:\n\t0\ttime\ttime\nValues:\n",
            "plot 0, byte 0: no 'No. Points:' line",
        ),
        (
            "Title: x\nPlotname: T\nFlags: real\nNo. Variables: 0\nNo. Points: 1\nVariables:\nValues:\n",
            "plot 0, byte 33: 'No. Variables: 0'",
        ),
    ];
    for (k, (text, want)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("h{k}.raw"));
        std::fs::write(&path, text).unwrap();
        let e = RawFile::open(&path).map(|_| ()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(want) && msg.contains(path.to_str().unwrap()),
            "case {k}: {msg}"
        );
    }
}

#[test]
fn devices_and_proc_files_are_refused_with_words() {
    let cases = [
        ("/dev/zero", "a character device"),
        ("/proc/self/status", "its size reads as 0 but it has bytes"),
        ("/tmp", "a directory"),
    ];
    for (path, words) in cases {
        let start = Instant::now();
        let r = within(Duration::from_secs(5), move || {
            RawFile::open(path).map(|_| ())
        })
        .unwrap_or_else(|| panic!("{path}: blocked"));
        assert!(start.elapsed() < Duration::from_secs(1), "{path}");
        match r {
            Err(e @ RawError::NotRegular { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(path) && msg.contains(words) && msg.contains("not a regular file"),
                    "{path}: {msg}"
                );
            }
            other => panic!("{path}: expected NotRegular, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------- generated files

/// The ASCII layouts seen in real files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    /// ngspice 39 `-r`: `<i>\t\t<v0>` then `\t<v>` lines.
    Ng39,
    /// ngspice 44 / `write`: `' <i>\t<v0>'`, `\t<v>` lines, an empty line between points.
    Ng44,
    /// Index lines indented with spaces.
    Indented,
    /// Value lines with no leading whitespace (cut short anywhere).
    Unindented,
    /// LTspice: CRLF line ends.
    Crlf,
}

const TEXTS: [Text; 5] = [
    Text::Ng39,
    Text::Ng44,
    Text::Indented,
    Text::Unindented,
    Text::Crlf,
];

/// How the complex values of an ASCII plot are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cplx {
    Real,
    /// `re,im` (ngspice, LTspice).
    Comma,
    /// `re, im` (Xyce).
    CommaSpace,
    /// QSPICE: the frequency one real number, the rest `re,im`.
    RealScale,
}

/// A number as simulators print it: shortest text, or `%.15e` with a
/// signed two- or three-digit exponent.
fn number_text(x: f64, style: u8) -> String {
    if style == 0 || !x.is_finite() {
        let mut s = String::new();
        raw_stream::float_text::push_f64(x, &mut s);
        return s;
    }
    let t = format!("{x:.15e}");
    let (m, e) = t.split_once('e').unwrap_or((&t, "0"));
    let (sign, digits) = match e.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', e),
    };
    let width = if style == 1 { 2 } else { 3 };
    format!("{m}e{sign}{digits:0>width$}")
}

/// A generated file: its bytes, where its data start, and for each point
/// (start of its last token, end of its last token) within the data, with
/// the values as the reader must give them (re, im).
struct Generated {
    bytes: Vec<u8>,
    data_start: usize,
    ends: Vec<(usize, usize)>,
    values: Vec<Vec<(f64, f64)>>,
    /// Column-major binary: per variable (offset, size) relative to the data start.
    columns: Option<Vec<(usize, usize)>>,
    /// Bytes per point of row-major binary; 0 for ASCII.
    stride: usize,
    ascii: bool,
    /// Values of each point as text (ASCII), to know which cut tokens parse.
    last_tokens: Vec<String>,
}

fn ascii_file(
    text: Text,
    cplx: Cplx,
    nv: usize,
    declared: u64,
    vals: &[(f64, f64)],
    styles: &[u8],
) -> Generated {
    let complex = cplx != Cplx::Real;
    let (nl, plotname, flags, scale) = match (text, complex) {
        (Text::Crlf, false) => ("\r\n", "Transient Analysis", "real", ("time", "time")),
        (Text::Crlf, true) => (
            "\r\n",
            "AC Analysis",
            "complex forward log",
            ("frequency", "frequency"),
        ),
        (_, false) => ("\n", "Transient Analysis", "real", ("time", "time")),
        (_, true) => (
            "\n",
            "AC Analysis",
            "complex forward log",
            ("frequency", "frequency"),
        ),
    };
    let command = if cplx == Cplx::RealScale {
        "Command: QSPICE64\n"
    } else {
        ""
    };
    let mut h = format!(
        "Title: * gen\nDate: today\n{command}Plotname: {plotname}\nFlags: {flags}\nNo. Variables: {nv}\nNo. Points: {declared}\nVariables:\n\t0\t{}\t{}\n",
        scale.0, scale.1
    );
    for j in 1..nv {
        h.push_str(&format!("\t{j}\tv(n{j})\tvoltage\n"));
    }
    h.push_str("Values:\n");
    let data_start = h.len();
    let mut out = h.into_bytes();
    let n = vals.len() / nv;
    let mut ends = Vec::new();
    let mut values = Vec::new();
    let mut last_tokens = Vec::new();
    for k in 0..n {
        let mut point = Vec::new();
        let mut last = (0, 0);
        let mut last_tok = String::new();
        for j in 0..nv {
            let (re, im) = vals[k * nv + j];
            let st = styles[(k * nv + j) % styles.len()];
            let lead: String = match (j, text) {
                (0, Text::Ng39) => format!("{k}\t\t"),
                (0, Text::Ng44) => format!(" {k}\t"),
                (0, Text::Indented) => format!("   {k}\t"),
                (0, _) => format!("{k}\t"),
                (_, Text::Unindented) => String::new(),
                (_, Text::Indented) => "  \t".into(),
                _ => "\t".into(),
            };
            out.extend_from_slice(lead.as_bytes());
            let re_t = number_text(re, st);
            let parsed_re: f64 = re_t.parse().unwrap();
            let real_value = !complex || (cplx == Cplx::RealScale && j == 0);
            let tok_start;
            let tok;
            let mut parsed_im = 0.0;
            if real_value {
                tok_start = out.len();
                out.extend_from_slice(re_t.as_bytes());
                tok = re_t;
            } else {
                out.extend_from_slice(re_t.as_bytes());
                out.extend_from_slice(if cplx == Cplx::CommaSpace {
                    b", "
                } else {
                    b","
                });
                let im_t = number_text(im, st.wrapping_add(1) % 3);
                parsed_im = im_t.parse().unwrap();
                tok_start = out.len();
                out.extend_from_slice(im_t.as_bytes());
                tok = im_t;
            }
            last = (tok_start - data_start, out.len() - data_start);
            last_tok = tok;
            out.extend_from_slice(nl.as_bytes());
            point.push((parsed_re, parsed_im));
        }
        if text == Text::Ng44 {
            out.extend_from_slice(nl.as_bytes());
        }
        ends.push(last);
        values.push(point);
        last_tokens.push(last_tok);
    }
    Generated {
        bytes: out,
        data_start,
        ends,
        values,
        columns: None,
        stride: 0,
        ascii: true,
        last_tokens,
    }
}

/// Binary layouts: ngspice real / complex, LTspice normal, double, fastaccess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bin {
    NgReal,
    NgComplex,
    LtNormal,
    LtDouble,
    LtFast,
}

const BINS: [Bin; 5] = [
    Bin::NgReal,
    Bin::NgComplex,
    Bin::LtNormal,
    Bin::LtDouble,
    Bin::LtFast,
];

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn binary_file(kind: Bin, nv: usize, declared: u64, vals: &[(f64, f64)]) -> Generated {
    let n = vals.len() / nv;
    let lt = matches!(kind, Bin::LtNormal | Bin::LtDouble | Bin::LtFast);
    let complex = kind == Bin::NgComplex;
    let flags = match kind {
        Bin::NgReal | Bin::LtNormal => "real forward",
        Bin::NgComplex => "complex forward log",
        Bin::LtDouble => "real forward double",
        Bin::LtFast => "real forward fastaccess",
    };
    let scale = if complex { "frequency" } else { "time" };
    let mut h = format!(
        "Title: * gen\nDate: today\nPlotname: {}\nFlags: {flags}\nNo. Variables: {nv}\nNo. Points: {declared}\n",
        if complex { "AC Analysis" } else { "Transient Analysis" }
    );
    if lt {
        h.push_str("Offset:   0.0000000000000000e+000\nCommand: Linear Technology Corporation LTspice XVII\n");
    }
    h.push_str(&format!("Variables:\n\t0\t{scale}\t{scale}\n"));
    for j in 1..nv {
        h.push_str(&format!("\t{j}\tv(n{j})\tvoltage\n"));
    }
    h.push_str("Binary:\n");
    let mut out = if lt { utf16(&h) } else { h.into_bytes() };
    let data_start = out.len();
    // size of each variable's stored value
    let sizes: Vec<usize> = (0..nv)
        .map(|j| match kind {
            Bin::NgReal | Bin::LtDouble => 8,
            Bin::NgComplex => 16,
            Bin::LtNormal | Bin::LtFast => {
                if j == 0 {
                    8
                } else {
                    4
                }
            }
        })
        .collect();
    // the values as the reader yields them: f32 columns rounded, |time| for LTspice
    let read_value = |j: usize, (re, im): (f64, f64)| -> (f64, f64) {
        match sizes[j] {
            4 => (f64::from(re as f32), 0.0),
            16 if j == 0 => (re, 0.0),
            16 => (re, im),
            _ if lt && j == 0 => (re.abs(), 0.0),
            _ => (re, 0.0),
        }
    };
    let put = |out: &mut Vec<u8>, j: usize, (re, im): (f64, f64)| match sizes[j] {
        4 => out.extend_from_slice(&(re as f32).to_le_bytes()),
        8 => out.extend_from_slice(&re.to_le_bytes()),
        _ => {
            out.extend_from_slice(&re.to_le_bytes());
            out.extend_from_slice(&im.to_le_bytes());
        }
    };
    let mut columns = None;
    if kind == Bin::LtFast {
        let mut cols = Vec::new();
        for j in 0..nv {
            cols.push((out.len() - data_start, sizes[j]));
            for k in 0..n {
                put(&mut out, j, vals[k * nv + j]);
            }
        }
        columns = Some(cols);
    } else {
        for k in 0..n {
            for j in 0..nv {
                put(&mut out, j, vals[k * nv + j]);
            }
        }
    }
    let values = (0..n)
        .map(|k| (0..nv).map(|j| read_value(j, vals[k * nv + j])).collect())
        .collect();
    Generated {
        bytes: out,
        data_start,
        ends: Vec::new(),
        values,
        columns,
        stride: sizes.iter().sum(),
        ascii: false,
        last_tokens: Vec::new(),
    }
}

/// Complete points of a generated file cut after `cut` data bytes, worked
/// out from how it was generated (not from the reader's scanner).
fn expected_points(g: &Generated, cut: usize, declared: u64) -> u64 {
    let n = g.values.len() as u64;
    let have = if g.ascii {
        let full = g.ends.iter().filter(|&&(_, end)| end < cut).count() as u64;
        // a last token cut by the end of the file counts when it completes
        // the declared points and still reads as a number
        let cut_last = g
            .ends
            .get(full as usize)
            .is_some_and(|&(start, end)| start < cut && cut <= end);
        let partial_ok = cut_last && full + 1 == declared && {
            let t = &g.last_tokens[full as usize];
            t[..cut - g.ends[full as usize].0].parse::<f64>().is_ok()
        };
        full + u64::from(partial_ok)
    } else if let Some(cols) = &g.columns {
        if declared != n {
            // the columns sit where the declared count puts them
            let mut off = 0u64;
            let mut complete = declared;
            for &(_, sz) in cols {
                let have = (cut as u64).saturating_sub(off) / sz as u64;
                complete = complete.min(have);
                off += declared * sz as u64;
            }
            return complete;
        }
        cols.iter()
            .map(|&(off, sz)| (cut.saturating_sub(off) / sz) as u64)
            .min()
            .unwrap_or(0)
            .min(n)
    } else {
        (cut / g.stride) as u64
    };
    have.min(declared)
}

fn value_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -1e3f64..1e3,
        2 => any::<u64>().prop_map(f64::from_bits).prop_filter("finite", |x| x.is_finite()),
        1 => Just(-0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(5e-324),
    ]
}

/// Checks one generated file cut after `cut` data bytes (or whole).
fn check_generated(g: &Generated, cut: Option<usize>, declared: u64) {
    let data_len = g.bytes.len() - g.data_start;
    let cut = cut.unwrap_or(data_len).min(data_len);
    let bytes = &g.bytes[..g.data_start + cut];
    let want = expected_points(g, cut, declared);
    let opts = OpenOptions::default();
    let raw = RawFile::from_bytes("gen.raw", bytes.to_vec(), &opts)
        .unwrap_or_else(|e| panic!("open: {e}\n{}", String::from_utf8_lossy(bytes)));
    let info = &raw.plots()[0];
    assert_eq!(
        info.complete_points,
        want,
        "complete points, cut at {cut} of {data_len}, declared {declared}:\n{}",
        String::from_utf8_lossy(&bytes[g.data_start..])
    );
    assert_eq!(info.truncated, want < declared);
    // a warning about the plot exactly when points are missing (data past
    // the declared points may be warned about as text after the last plot)
    let cut_short = raw.warnings().iter().any(|w| w.plot == Some(0));
    assert_eq!(cut_short, want < declared, "{:?}", raw.warnings());
    // every reader agrees
    let (_, plots, checked) = check_bytes(bytes, &opts).expect("opens");
    assert_eq!((checked.plots_read, checked.plots_failed), (1, 0));
    assert_eq!(checked.points, want);
    // and gives the values written (the last point may be cut inside its
    // last number; understated fastaccess columns sit elsewhere)
    let exact = if g.ascii {
        g.ends
            .iter()
            .filter(|&&(_, end)| end < cut)
            .count()
            .min(want as usize)
    } else if g.columns.is_some() && declared != g.values.len() as u64 {
        0
    } else {
        want as usize
    };
    for (j, col) in plots[0].columns.iter().enumerate() {
        for k in 0..exact {
            let (re, im) = g.values[k][j];
            let got = col.get_complex(k).unwrap();
            let ok = |a: f64, b: f64| {
                a.to_bits() == b.to_bits() || (g.ascii && a.is_nan() && b.is_nan())
            };
            let im_ok = j == 0 || ok(got.im, im);
            assert!(
                ok(got.re, re) && im_ok,
                "point {k} variable {j}: {got:?} vs ({re}, {im})"
            );
        }
    }
    // strict: an error exactly when points are missing
    let strict = OpenOptions {
        strict: true,
        ..OpenOptions::default()
    };
    let r = RawFile::from_bytes("gen.raw", bytes.to_vec(), &strict);
    assert_eq!(r.is_err(), want < declared, "strict: {:?}", r.err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// ASCII in every layout, real and complex, cut at any byte, with a
    /// header that may under- or overstate the points: `info`'s count is
    /// the points really there, and every reader yields exactly those.
    #[test]
    fn ascii_counts_agree_at_every_cut(
        text in 0..TEXTS.len(),
        cplx in prop_oneof![Just(Cplx::Real), Just(Cplx::Comma), Just(Cplx::CommaSpace), Just(Cplx::RealScale)],
        nv in 1usize..4,
        n in 0usize..25,
        delta in prop_oneof![4 => Just(0i64), 1 => -3i64..4],
        vals in proptest::collection::vec((value_strategy(), value_strategy()), 75),
        styles in proptest::collection::vec(0u8..3, 1..8),
        cut in prop_oneof![Just(None), (0.0f64..=1.0).prop_map(Some)],
    ) {
        let nv = if cplx == Cplx::Real { nv } else { nv.max(2) };
        let declared = (n as i64 + delta).max(0) as u64;
        let vals: Vec<(f64, f64)> = vals.into_iter().take(n * nv).collect();
        let g = ascii_file(TEXTS[text], cplx, nv, declared, &vals, &styles);
        let len = g.bytes.len() - g.data_start;
        check_generated(&g, cut.map(|f| (f * len as f64) as usize), declared);
    }

    /// Binary, every layout, cut at any byte, header counts that lie.
    #[test]
    fn binary_counts_agree_at_every_cut(
        kind in 0..BINS.len(),
        nv in 1usize..5,
        n in 0usize..40,
        delta in prop_oneof![4 => Just(0i64), 1 => -3i64..4],
        vals in proptest::collection::vec((value_strategy(), value_strategy()), 160),
        cut in prop_oneof![Just(None), (0.0f64..=1.0).prop_map(Some)],
    ) {
        let declared = (n as i64 + delta).max(0) as u64;
        let mut vals: Vec<(f64, f64)> = vals.into_iter().take(n * nv).collect();
        // a scale as simulators write it: increasing from 0
        for k in 0..n {
            vals[k * nv].0 = k as f64 * 1e-6;
        }
        let g = binary_file(BINS[kind], nv, declared, &vals);
        let len = g.bytes.len() - g.data_start;
        check_generated(&g, cut.map(|f| (f * len as f64) as usize), declared);
    }
}

/// Every cut of small files, exhaustively (the property test samples cuts).
#[test]
fn every_cut_of_small_files_agrees() {
    let vals: Vec<(f64, f64)> = (0..12)
        .map(|i| (i as f64 * 0.5 - 1.25e-3, -(i as f64) * 1e-9))
        .collect();
    let mut files = Vec::new();
    for text in TEXTS {
        for cplx in [Cplx::Real, Cplx::Comma, Cplx::CommaSpace, Cplx::RealScale] {
            let nv = if cplx == Cplx::Real { 3 } else { 2 };
            let n = vals.len() / nv;
            let v = &vals[..n * nv];
            files.push((
                ascii_file(text, cplx, nv, n as u64, v, &[0, 1, 2]),
                n as u64,
            ));
        }
    }
    for kind in BINS {
        let nv = 3;
        let mut v = vals.clone();
        for k in 0..4 {
            v[k * nv].0 = k as f64;
        }
        files.push((binary_file(kind, nv, 4, &v), 4));
    }
    let mut cuts = 0;
    for (g, declared) in &files {
        for cut in 0..=(g.bytes.len() - g.data_start) {
            check_generated(g, Some(cut), *declared);
            cuts += 1;
        }
    }
    assert!(cuts > 2000, "{cuts}");
}

// ---------------------------------------------------------------- lying headers

/// `No. Points` smaller than the data: the plot is the declared points, and
/// no partition, chunk or column reaches past them.
#[test]
fn partitions_never_exceed_a_plot_whose_header_understates_its_points() {
    let vals: Vec<(f64, f64)> = (0..200).map(|i| (i as f64, 0.0)).collect();
    let files = [
        ascii_file(Text::Ng39, Cplx::Real, 2, 10, &vals, &[0]),
        ascii_file(Text::Ng44, Cplx::Real, 2, 10, &vals, &[1]),
        binary_file(Bin::NgReal, 2, 10, &vals),
        binary_file(Bin::LtNormal, 2, 10, &vals),
        binary_file(Bin::LtFast, 2, 10, &vals),
    ];
    for g in &files {
        for checkpoint_bytes in [1, 16, 1 << 20] {
            let opts = OpenOptions {
                checkpoint_bytes,
                ..OpenOptions::default()
            };
            let raw = RawFile::from_bytes("under.raw", g.bytes.clone(), &opts).unwrap();
            let p = raw.plot(0).unwrap();
            assert_eq!(p.info().complete_points, 10);
            assert!(!p.info().truncated);
            for parts in 1..12 {
                let ranges = p.partitions(parts);
                assert!(ranges.len() <= parts.min(10));
                assert_eq!(ranges.first().map(|r| r.start), Some(0));
                assert_eq!(ranges.last().map(|r| r.end), Some(10), "{ranges:?}");
                assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
                let total: u64 = ranges
                    .iter()
                    .map(|r| {
                        p.chunks_in(r.clone(), 3, None)
                            .map(|c| c.unwrap().len as u64)
                            .sum::<u64>()
                    })
                    .sum();
                assert_eq!(total, 10);
            }
            // a range past the plot is clipped to it
            assert_eq!(
                p.chunks_in(5..1000, 4, None)
                    .map(|c| c.unwrap().len)
                    .sum::<usize>(),
                5
            );
            let t = p.column_at(0).unwrap();
            assert_eq!(
                t.to_f64(),
                (0..10).map(|i| (i * 2) as f64).collect::<Vec<_>>()
            );
        }
    }
}

/// An LTspice header (UTF-16) with the given flags, one or two variables,
/// `points` declared, and `data` after `Binary:`.
fn lt_bytes(flags: &str, two_vars: bool, points: u64, data: &[u8]) -> (Vec<u8>, u64) {
    let mut h = format!(
        "Title: * big\nDate: d\nPlotname: Transient Analysis\nFlags: {flags}\nNo. Variables: {}\nNo. Points: {points}\nOffset:   0.0000000000000000e+000\nCommand: Linear Technology Corporation LTspice XVII\nVariables:\n\t0\ttime\ttime\n",
        if two_vars { 2 } else { 1 }
    );
    if two_vars {
        h.push_str("\t1\tv(a)\tvoltage\n");
    }
    h.push_str("Binary:\n");
    let mut b = utf16(&h);
    let off = b.len() as u64;
    b.extend_from_slice(data);
    (b, off)
}

/// The header of [`lt_bytes`] with `points` replaced (same length: the data offset is kept).
fn data_offset_for(flags: &str, two_vars: bool) -> u64 {
    // `points` is printed in full: a 19-digit count gives the header length
    lt_bytes(flags, two_vars, 1_000_000_000_000_000_000, &[]).1
}

/// One variable, `fastaccess`, `No. Points` near 2^61 and u64::MAX / 8: the
/// column offsets are checked (no overflow, no panic), the few points there
/// are readable, strict mode says the file is cut short.
#[test]
fn fastaccess_point_counts_near_the_u64_limit() {
    let data: Vec<u8> = [0.5f64, 1.5, 2.5]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .chain([1, 2, 3, 4])
        .collect();
    let lenient = OpenOptions::default();
    let strict = OpenOptions {
        strict: true,
        ..OpenOptions::default()
    };
    // 2^61 - 1 points of 8 bytes: n * 8 fits in u64, data_offset + n * 8 does not
    let n61 = 2_305_843_009_213_693_951u64;
    let (b, _) = lt_bytes("real fastaccess", false, n61, &data);
    for opts in [&lenient, &strict] {
        match RawFile::from_bytes("big.raw", b.clone(), opts) {
            Err(RawError::Header { message, .. }) => {
                assert!(
                    message.contains(&n61.to_string()) && message.contains("overflows"),
                    "{message}"
                )
            }
            other => panic!("2^61-1 points: {other:?}"),
        }
    }
    // and 2^61 points: n * 8 itself overflows
    let (b, _) = lt_bytes("real fastaccess", false, n61 + 1, &data);
    assert!(matches!(
        RawFile::from_bytes("big.raw", b, &lenient),
        Err(RawError::Header { .. })
    ));
    for flags in [
        "real fastaccess",
        "real",
        "real fastaccess double",
        "real double",
    ] {
        for two in [false, true] {
            let off = data_offset_for(flags, two);
            let stride = match (two, flags.contains("double")) {
                (false, _) => 8,
                (true, true) => 16,
                (true, false) => 12,
            };
            // the largest count whose data end fits in u64, and one more
            let max = (u64::MAX - off) / stride;
            assert!(
                (1_000_000_000_000_000_000..10_000_000_000_000_000_000).contains(&max),
                "the count prints with 19 digits"
            );
            let (b, got_off) = lt_bytes(flags, two, max, &data);
            assert_eq!(got_off, off);
            let raw = RawFile::from_bytes("edge.raw", b.clone(), &lenient)
                .unwrap_or_else(|e| panic!("{flags} {two}: {e}"));
            let info = &raw.plots()[0];
            assert!(info.truncated);
            let want = if !two {
                3
            } else if flags.contains("fastaccess") {
                0 // the second column starts past the end of the file
            } else {
                28 / stride
            };
            assert_eq!(info.complete_points, want, "{flags} two={two}");
            let w = raw
                .warnings()
                .first()
                .map(|w| w.to_string())
                .unwrap_or_default();
            assert!(
                w.contains(&max.to_string()) && w.contains("complete points"),
                "{w}"
            );
            let t = raw.plot(0).unwrap().column_at(0).unwrap();
            assert_eq!(t.len() as u64, want);
            if want > 0 {
                assert_eq!(t.get_f64(0), Some(0.5));
            }
            common::agree::check_bytes(&b, &lenient).expect("opens");
            match RawFile::from_bytes("edge.raw", b, &strict) {
                Err(RawError::Truncated { declared, .. }) => assert_eq!(declared, max),
                other => panic!("strict {flags}: {other:?}"),
            }
            let (b, _) = lt_bytes(flags, two, max + 1, &data);
            for opts in [&lenient, &strict] {
                assert!(
                    matches!(
                        RawFile::from_bytes("edge.raw", b.clone(), opts),
                        Err(RawError::Header { .. })
                    ),
                    "{flags} {two}: one point more overflows"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- column-major truncation, steps

/// A fastaccess file cut at every byte: the complete points are the fewest
/// any column holds, and they read back as written.
#[test]
fn column_major_truncation_takes_the_shortest_column() {
    let n = 6usize;
    let t: Vec<f64> = (0..n).map(|i| i as f64 * 1e-3).collect();
    let a: Vec<f32> = (0..n).map(|i| i as f32 + 0.5).collect();
    let b: Vec<f32> = (0..n).map(|i| -(i as f32)).collect();
    let plot = Plot {
        header: PlotHeader {
            title: "* fast".into(),
            date: "d".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real forward"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(a)", "voltage"),
                Variable::new(2, "v(b)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(t), Column::F32(a), Column::F32(b)],
        steps: Steps::single(n as u64),
    };
    let mut full = Vec::new();
    raw_stream::write_plot(&mut full, RawFormat::LtspiceFastAccess, &plot).unwrap();
    let data = 8 * n + 4 * n + 4 * n;
    let start = full.len() - data;
    for cut in 0..=data {
        let raw = RawFile::from_bytes(
            "cut.raw",
            full[..start + cut].to_vec(),
            &OpenOptions::default(),
        )
        .unwrap();
        // time [0, 8n), v(a) [8n, 12n), v(b) [12n, 16n)
        let have = [
            cut / 8,
            cut.saturating_sub(8 * n) / 4,
            cut.saturating_sub(12 * n) / 4,
        ];
        let want = have.iter().copied().min().unwrap().min(n) as u64;
        assert_eq!(raw.plots()[0].complete_points, want, "cut {cut}");
        let back = raw.plot(0).unwrap().read().unwrap();
        for (got, all) in back.columns.iter().zip(&plot.columns) {
            assert!(same(got, &slice(all, 0..want as usize), false), "cut {cut}");
        }
    }
}

/// A stepped plot read in small chunks that stop at step boundaries: every
/// chunk lies inside one step, `Chunk::step` names it, and the chunks put
/// together are the plot. Binary (point- and variable-major) and ASCII.
#[test]
fn chunks_stop_at_step_boundaries() {
    // (a step of one point cannot be told from a repeated point: not here)
    let lens = [5usize, 3, 7, 2, 4, 2];
    let t: Vec<f64> = lens
        .iter()
        .flat_map(|&l| (0..l).map(|i| i as f64 * 1e-6))
        .collect();
    let n = t.len();
    let v: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut starts = vec![0u64];
    for l in &lens[..lens.len() - 1] {
        starts.push(starts.last().unwrap() + *l as u64);
    }
    let plot = Plot {
        header: PlotHeader {
            title: "* steps".into(),
            date: "d".into(),
            plotname: "Transient Analysis".into(),
            flags: Flags::parse("real forward stepped"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(a)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(t), Column::F64(v)],
        steps: Steps::single(n as u64),
    };
    for fmt in [
        RawFormat::LtspiceBinary,
        RawFormat::LtspiceFastAccess,
        RawFormat::NgspiceAscii,
        RawFormat::NgspiceBinary,
    ] {
        let mut bytes = Vec::new();
        raw_stream::write_plot(&mut bytes, fmt, &plot).unwrap();
        let raw = RawFile::from_bytes("steps.raw", bytes, &OpenOptions::default()).unwrap();
        let p = raw.plot(0).unwrap();
        assert_eq!(p.steps().unwrap().starts, starts, "{fmt:?}");
        for points in [1usize, 2, 3, 4, 100] {
            let opts = ChunkOptions {
                points,
                split_steps: true,
                ..ChunkOptions::default()
            };
            let mut got_v = Vec::new();
            let mut next = 0u64;
            let mut chunks = 0;
            for c in p.chunks_with(&opts).unwrap() {
                let c = c.unwrap();
                let k = c.step;
                let end = starts.get(k + 1).copied().unwrap_or(n as u64);
                assert_eq!(c.start, next);
                assert!(
                    c.len <= points && starts[k] <= c.start && c.start + c.len as u64 <= end,
                    "{fmt:?} points {points}: chunk {}+{} in step {k}",
                    c.start,
                    c.len
                );
                got_v.extend(c.columns[1].to_f64());
                next += c.len as u64;
                chunks += 1;
            }
            assert_eq!(got_v, plot.columns[1].to_f64(), "{fmt:?} points {points}");
            // at least one chunk per step, and no more than needed
            let least: usize = lens.iter().map(|l| l.div_ceil(points)).sum();
            assert_eq!(chunks, least, "{fmt:?} points {points}");
        }
        // chunks without split_steps cross the boundaries and say step 0
        let c = p.chunks(100).next().unwrap().unwrap();
        assert_eq!((c.len, c.step), (n, 0));
    }
}
