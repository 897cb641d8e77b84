//! The ASCII (`Values:`) data parser: one point at a time out of a byte buffer.
//!
//! A point is an integer index followed by one value per variable; a complex
//! value is `re,im` (ngspice, LTspice), `re, im` (Xyce) or `re,<TAB>im`.
//! Whitespace (spaces, tabs, CR, LF) separates tokens.

/// The outcome of parsing one point.
#[derive(Debug, PartialEq)]
pub(crate) enum Step {
    /// A whole point was parsed; parsing goes on at this buffer offset.
    Done(usize),
    /// The buffer ended inside the point: give more bytes (or, at end of data, stop).
    NeedMore,
    /// Only whitespace is left.
    End,
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[inline]
fn skip_ws(buf: &[u8], mut i: usize) -> usize {
    while i < buf.len() && is_ws(buf[i]) {
        i += 1;
    }
    i
}

/// The token at `i` (up to whitespace or a comma). `None` when the buffer
/// ends before the token does (unless `eof`, when the buffer end ends it).
#[inline]
fn token(buf: &[u8], i: usize, eof: bool) -> Option<usize> {
    let mut j = i;
    while j < buf.len() && !is_ws(buf[j]) && buf[j] != b',' {
        j += 1;
    }
    if j == buf.len() && !eof {
        None
    } else {
        Some(j)
    }
}

#[inline]
fn number(buf: &[u8], s: usize, e: usize) -> Result<f64, (usize, String)> {
    fast_float2::parse::<f64, _>(&buf[s..e]).map_err(|_| {
        (
            s,
            format!(
                "'{}' is not a number",
                String::from_utf8_lossy(&buf[s..e.min(s + 40)])
            ),
        )
    })
}

/// True when `text` is a whole number as the parser reads it.
pub(crate) fn is_number(text: &[u8]) -> bool {
    !text.is_empty() && fast_float2::parse::<f64, _>(text).is_ok()
}

/// Parses one point starting at `at`. On success the values are in `out`
/// (`re, im` pairs; `im` is 0 for real data).
///
/// Errors carry the buffer offset of the offending token.
pub(crate) fn parse_point(
    buf: &[u8],
    at: usize,
    shape: &PointShape,
    eof: bool,
    out: &mut Vec<(f64, f64)>,
) -> Result<Step, (usize, String)> {
    let (n_vars, complex) = (shape.n_vars, shape.complex);
    out.clear();
    let mut i = skip_ws(buf, at);
    if i == buf.len() {
        return Ok(if eof { Step::End } else { Step::NeedMore });
    }
    // the point index
    let Some(e) = token(buf, i, eof) else {
        return Ok(Step::NeedMore);
    };
    if e == i || !buf[i..e].iter().all(u8::is_ascii_digit) {
        return Err((
            i,
            format!(
                "expected an integer point index, found '{}'",
                String::from_utf8_lossy(&buf[i..e.max(i + 1).min(i + 40).min(buf.len())])
                    .escape_debug()
            ),
        ));
    }
    i = e;
    for _ in 0..n_vars {
        i = skip_ws(buf, i);
        if i == buf.len() {
            return Ok(Step::NeedMore);
        }
        let Some(e) = token(buf, i, eof) else {
            return Ok(Step::NeedMore);
        };
        if e == i {
            return Err((i, "expected a value, found ','".into()));
        }
        let re = number(buf, i, e)?;
        i = e;
        let mut im = 0.0;
        if complex && !(shape.real_scale && out.is_empty()) {
            i = skip_ws(buf, i);
            if i == buf.len() {
                return Ok(Step::NeedMore);
            }
            if buf[i] != b',' {
                return Err((
                    i,
                    "expected ',' between the parts of a complex value".into(),
                ));
            }
            i = skip_ws(buf, i + 1);
            if i == buf.len() {
                return Ok(Step::NeedMore);
            }
            let Some(e) = token(buf, i, eof) else {
                return Ok(Step::NeedMore);
            };
            if e == i {
                return Err((i, "expected the imaginary part of a complex value".into()));
            }
            im = number(buf, i, e)?;
            i = e;
        }
        out.push((re, im));
    }
    Ok(Step::Done(i))
}

/// True when a line starting with `rest` is a header line (`Key: ...`): a
/// letter first and a ':' within its first 12 bytes. A number never is.
pub(crate) fn starts_header(rest: &[u8]) -> bool {
    rest.first().is_some_and(u8::is_ascii_alphabetic) && rest[..rest.len().min(12)].contains(&b':')
}

/// Checks that the data start (after whitespace) with an integer point index,
/// or with the next plot's header (a plot of no points). Returns the offset
/// of the first bad byte.
pub(crate) fn check_start(buf: &[u8]) -> Result<(), (usize, String)> {
    let i = skip_ws(buf, 0);
    if i == buf.len() || starts_header(&buf[i..]) {
        return Ok(());
    }
    let mut j = i;
    while j < buf.len() && buf[j].is_ascii_digit() {
        j += 1;
    }
    if j == i || (j < buf.len() && !is_ws(buf[j])) {
        return Err((
            i,
            format!(
                "the 'Values:' section must start with an integer point index, found byte 0x{:02x}",
                buf[i]
            ),
        ));
    }
    Ok(())
}

/// How the values of one ASCII point are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PointShape {
    /// Variables per point.
    pub n_vars: usize,
    /// Values are `re,im` pairs.
    pub complex: bool,
    /// In a complex plot, the scale (variable 0) is one real number (QSPICE).
    pub real_scale: bool,
}

impl PointShape {
    /// Tokens (index, numbers; a complex value is two) in one point.
    pub fn tokens(&self) -> u64 {
        let n = self.n_vars as u64;
        if !self.complex {
            1 + n
        } else if self.real_scale {
            1 + 2 * n - 1
        } else {
            1 + 2 * n
        }
    }
}

/// Byte classes of the scanner: separators and line ends.
const fn sep_table() -> [bool; 256] {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t[b',' as usize] = true;
    t
}
static SEP: [bool; 256] = sep_table();

/// The one scanner of ASCII data: finds where a plot's text ends (the next
/// plot header or the end of the file) and counts its points as the parser
/// reads them: a point is [`PointShape::tokens`] tokens separated by
/// whitespace or commas, wherever the line breaks fall (ngspice 39's
/// `index\t\tvalue` lines, ngspice 44's `' index\tvalue'` points with empty
/// lines between them, LTspice's CRLF lines all count alike). It also notes a
/// checkpoint (byte offset of a point's first token, point index) every
/// `interval` bytes, so that reading can start in the middle of the text.
#[derive(Debug)]
pub(crate) struct Scanner {
    per_point: u64,
    interval: u64,
    tokens: u64,
    in_token: bool,
    /// File offset where the current (or last) token starts.
    token_start: u64,
    line_start: bool,
    last_checkpoint: u64,
    /// Checkpoints: (offset of a point's first token, point index).
    pub checkpoints: Vec<(u64, u64)>,
}

/// What [`Scanner::feed`] found in one buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// Every byte up to this many was scanned; give the rest again with more behind it.
    Upto(usize),
    /// A header line starts at this buffer offset: the plot's text ends there.
    HeaderAt(usize),
}

/// Most checkpoints kept per plot (the interval doubles when more would be needed).
const MAX_CHECKPOINTS: usize = 4096;

impl Scanner {
    /// A scanner for points of this shape.
    pub fn new(shape: &PointShape, interval: u64) -> Scanner {
        Scanner {
            per_point: shape.tokens(),
            interval: interval.max(1),
            tokens: 0,
            in_token: false,
            token_start: 0,
            line_start: true,
            last_checkpoint: 0,
            checkpoints: Vec::new(),
        }
    }

    /// Scans `buf`, the bytes at file offset `base`. `eof` is true when
    /// nothing follows `buf` in the file.
    pub fn feed(&mut self, buf: &[u8], base: u64, eof: bool) -> Scanned {
        // A header line is recognised from its first bytes; keep that many
        // back unless the file ends here.
        const LOOK: usize = 16;
        let stop = if eof {
            buf.len()
        } else {
            buf.len().saturating_sub(LOOK)
        };
        let was_in_token = self.in_token;
        // Where the text ends in this buffer: the first header line.
        let is_header = |i: usize| starts_header(&buf[i..]);
        let mut end = stop;
        let mut header = None;
        if self.line_start && stop > 0 && is_header(0) {
            end = 0;
            header = Some(0);
        } else {
            for nl in memchr::memchr_iter(b'\n', &buf[..stop]) {
                let i = nl + 1;
                if i < stop && is_header(i) {
                    end = i;
                    header = Some(i);
                    break;
                }
            }
        }
        let mut i = 0;
        while i < end {
            // Fast: count token starts up to where the next checkpoint is due.
            let due = self.last_checkpoint.saturating_add(self.interval);
            // (the first point is a checkpoint too: `due` is 0 before it)
            let fast_end = (due.saturating_sub(base).min(end as u64) as usize).max(i);
            if fast_end > i {
                let mut prev_sep = !self.in_token;
                let mut starts = 0u64;
                for &b in &buf[i..fast_end] {
                    let sep = SEP[b as usize];
                    starts += u64::from(prev_sep & !sep);
                    prev_sep = sep;
                }
                self.tokens += starts;
                self.in_token = !prev_sep;
                i = fast_end;
                continue;
            }
            // Slow, byte by byte, until a point starts: note the checkpoint.
            while i < end {
                let b = buf[i];
                let sep = SEP[b as usize];
                if !sep && !self.in_token {
                    if self.tokens % self.per_point == 0 {
                        self.checkpoint(base + i as u64, self.tokens / self.per_point);
                        self.tokens += 1;
                        self.in_token = true;
                        i += 1;
                        break;
                    }
                    self.tokens += 1;
                }
                self.in_token = !sep;
                i += 1;
            }
        }
        if end > 0 {
            self.line_start = buf[end - 1] == b'\n';
            if self.in_token {
                // where the token that runs to the end of what was scanned
                // starts (in an earlier buffer when no separator is here)
                if let Some(p) = buf[..end].iter().rposition(|&b| SEP[b as usize]) {
                    self.token_start = base + p as u64 + 1;
                } else if !was_in_token {
                    self.token_start = base;
                }
            }
        }
        match header {
            Some(h) => Scanned::HeaderAt(h),
            None => Scanned::Upto(stop),
        }
    }

    fn checkpoint(&mut self, off: u64, point: u64) {
        if self.checkpoints.len() >= MAX_CHECKPOINTS {
            // keep every other one, twice the spacing
            let kept: Vec<(u64, u64)> = self.checkpoints.iter().copied().step_by(2).collect();
            self.checkpoints = kept;
            self.interval = self.interval.saturating_mul(2);
        }
        self.checkpoints.push((off, point));
        self.last_checkpoint = off;
    }

    /// Complete points seen. A last token cut by the end of the file (no
    /// separator after it) may be cut inside its number, so the point it
    /// would complete is counted only when that makes the plot whole
    /// (`declared` points) and `is_number` says that the token's text (from
    /// the file offset it is given to the end of the file) is still a
    /// number: `1.5e` cut from `1.5e-3` is not, and the parser would refuse it.
    pub fn points(&self, at_eof: bool, declared: u64, is_number: impl FnOnce(u64) -> bool) -> u64 {
        let full = self.tokens / self.per_point;
        let cut = at_eof && self.in_token && self.tokens % self.per_point == 0;
        if cut && (full != declared || !is_number(self.token_start)) {
            full.saturating_sub(1)
        } else {
            full
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real(n_vars: usize) -> PointShape {
        PointShape {
            n_vars,
            complex: false,
            real_scale: false,
        }
    }

    fn cplx(n_vars: usize, real_scale: bool) -> PointShape {
        PointShape {
            n_vars,
            complex: true,
            real_scale,
        }
    }

    /// Scans `text` in buffers of `piece` bytes (re-feeding what the scanner
    /// kept back), as the reader does.
    fn scan(text: &[u8], shape: &PointShape, piece: usize, declared: u64) -> (u64, Option<usize>) {
        let mut sc = Scanner::new(shape, 8);
        let mut pos = 0usize;
        loop {
            let end = (pos + piece).min(text.len());
            let eof = end == text.len();
            match sc.feed(&text[pos..end], pos as u64, eof) {
                Scanned::HeaderAt(i) => {
                    return (sc.points(false, declared, |_| true), Some(pos + i))
                }
                Scanned::Upto(n) => {
                    pos += n;
                    if eof {
                        return (
                            sc.points(true, declared, |at| is_number(&text[at as usize..])),
                            None,
                        );
                    }
                    if n == 0 {
                        // buffer too small to make progress: take a bigger one
                        return scan(text, shape, piece * 2, declared);
                    }
                }
            }
        }
    }

    /// Parses every point of `text` and returns how many there were.
    fn parse_all(text: &[u8], shape: &PointShape, limit: u64) -> u64 {
        let mut out = Vec::new();
        let mut at = 0;
        let mut n = 0;
        while n < limit {
            match parse_point(text, at, shape, true, &mut out) {
                Ok(Step::Done(next)) => {
                    at = next;
                    n += 1;
                }
                _ => break,
            }
        }
        n
    }

    #[test]
    fn scanner_counts_as_the_parser_reads_every_layout() {
        let layouts: [(&[u8], PointShape, u64); 6] = [
            // ngspice 39 -r
            (b"0\t\t1.0\n\t2.0\n1\t\t3.0\n\t4.0\n", real(2), 2),
            // ngspice 44 / write: leading space, one tab, blank line between points
            (b" 0\t1.0\n\t2.0\n\n 1\t3.0\n\t4.0\n\n", real(2), 2),
            // indented index lines
            (b"  0\t1.0\n  \t2.0\n  1\t3.0\n\t4.0\n", real(2), 2),
            // unindented value lines, cut inside the second point
            (b"0\t1.0\n2.0\n1\t3.0\n", real(2), 1),
            // QSPICE complex AC: a real frequency, re,im for the others
            (b"0\t1e3\n\t1,2\n1\t2e3\n\t3,4\n", cplx(2, true), 2),
            // Xyce complex with spaces, CRLF
            (
                b"0\t1e3, 0\r\n\t1, 2\r\n1\t2e3, 0\r\n\t3, 4\r\n",
                cplx(2, false),
                2,
            ),
        ];
        for (text, shape, want) in layouts {
            for piece in [17, 19, 64, 1 << 20] {
                let (n, hdr) = scan(text, &shape, piece, 2);
                assert_eq!(
                    n,
                    want,
                    "{:?} in pieces of {piece}",
                    String::from_utf8_lossy(text)
                );
                assert_eq!(hdr, None);
            }
            assert_eq!(parse_all(text, &shape, want), want);
        }
    }

    #[test]
    fn scanner_stops_at_the_next_header_and_drops_a_cut_number() {
        let text = b"0\t1.0\n\t2.0\n1\t3.0\n\t4.0\nPlotname: AC Analysis\n";
        let (n, hdr) = scan(text, &real(2), 1 << 20, 2);
        assert_eq!((n, hdr), (2, Some(text.len() - 22)));
        // "4.0" cut to "4." at the end of the file: the point may be incomplete
        let cut = b"0\t1.0\n\t2.0\n1\t3.0\n\t4.";
        assert_eq!(scan(cut, &real(2), 1 << 20, 3).0, 1);
        // ... unless it completes the declared count (a whole file without a final newline)
        assert_eq!(scan(cut, &real(2), 1 << 20, 2).0, 2);
        // and it is still a number: "4.0e-3" cut to "4.0e" is not
        let cut = b"0\t1.0\n\t2.0\n1\t3.0\n\t4.0e";
        assert_eq!(scan(cut, &real(2), 1 << 20, 2).0, 1);
        let cut = b"0\t1.0\n\t2.0\n1\t3.0\n\t-";
        assert_eq!(scan(cut, &real(2), 1 << 20, 2).0, 1);
    }

    #[test]
    fn scanner_checkpoints_start_points() {
        let mut text = Vec::new();
        for i in 0..200 {
            text.extend_from_slice(format!("{i}\t{}.5\n\t-{i}e-3\n", i * 2).as_bytes());
        }
        let shape = real(2);
        let mut sc = Scanner::new(&shape, 100);
        assert_eq!(sc.feed(&text, 1000, true), Scanned::Upto(text.len()));
        assert_eq!(sc.points(true, 200, |_| false), 200);
        assert!(sc.checkpoints.len() > 10);
        let mut out = Vec::new();
        for &(off, point) in &sc.checkpoints {
            let at = (off - 1000) as usize;
            let r = parse_point(&text, at, &shape, true, &mut out);
            assert!(matches!(r, Ok(Step::Done(_))), "{r:?}");
            assert_eq!(out[0].0, (point * 2) as f64 + 0.5);
        }
    }

    #[test]
    fn real_point() {
        let b = b"0\t\t1.5e-3\n\t-2.0\n1\t";
        let mut out = Vec::new();
        let r = parse_point(b, 0, &real(2), false, &mut out);
        assert_eq!(r, Ok(Step::Done(15)));
        assert_eq!(out, vec![(1.5e-3, 0.0), (-2.0, 0.0)]);
        assert_eq!(
            parse_point(b, 15, &real(2), false, &mut out),
            Ok(Step::NeedMore)
        );
    }

    #[test]
    fn complex_spellings() {
        let mut out = Vec::new();
        for text in ["0 1,2\n 3,4\n", "0\t1, 2\n\t3,\t4\n", "0 1 , 2 3 ,4 "] {
            let r = parse_point(text.as_bytes(), 0, &cplx(2, false), true, &mut out);
            assert!(matches!(r, Ok(Step::Done(_))), "{text:?}: {r:?}");
            assert_eq!(out, vec![(1.0, 2.0), (3.0, 4.0)], "{text:?}");
        }
    }

    #[test]
    fn three_digit_exponent() {
        let mut out = Vec::new();
        let r = parse_point(b"0\t5.000000000000000e-003\n", 0, &real(1), true, &mut out);
        assert!(matches!(r, Ok(Step::Done(_))));
        assert_eq!(out[0].0, 5e-3);
    }

    #[test]
    fn junk_is_an_error_with_offset() {
        let mut out = Vec::new();
        let r = parse_point(b"  x1 2\n", 0, &real(1), true, &mut out);
        assert!(matches!(r, Err((2, _))));
        let r = parse_point(b"0 1.2.3\n", 0, &real(1), true, &mut out);
        assert!(matches!(r, Err((2, _))));
        assert!(check_start(b"\x9b\x01").is_err());
        assert!(check_start(b"0\t\t1.0").is_ok());
        assert!(check_start(b"12x").is_err());
        // a plot of no points: the next plot's header follows at once
        assert!(check_start(b"\nTitle: next\n").is_ok());
        assert!(check_start(b"nan 1").is_err());
    }
}
