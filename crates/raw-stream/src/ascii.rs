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

/// Parses one point starting at `at`. On success the values are in `out`
/// (`re, im` pairs; `im` is 0 for real data).
///
/// Errors carry the buffer offset of the offending token.
pub(crate) fn parse_point(
    buf: &[u8],
    at: usize,
    n_vars: usize,
    complex: bool,
    eof: bool,
    out: &mut Vec<(f64, f64)>,
) -> Result<Step, (usize, String)> {
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
        if complex {
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

/// Checks that the data start (after whitespace) with an integer point index.
/// Returns the offset of the first bad byte.
pub(crate) fn check_start(buf: &[u8]) -> Result<(), (usize, String)> {
    let i = skip_ws(buf, 0);
    if i == buf.len() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_point() {
        let b = b"0\t\t1.5e-3\n\t-2.0\n1\t";
        let mut out = Vec::new();
        let r = parse_point(b, 0, 2, false, false, &mut out);
        assert_eq!(r, Ok(Step::Done(15)));
        assert_eq!(out, vec![(1.5e-3, 0.0), (-2.0, 0.0)]);
        assert_eq!(
            parse_point(b, 15, 2, false, false, &mut out),
            Ok(Step::NeedMore)
        );
    }

    #[test]
    fn complex_spellings() {
        let mut out = Vec::new();
        for text in ["0 1,2\n 3,4\n", "0\t1, 2\n\t3,\t4\n", "0 1 , 2 3 ,4 "] {
            let r = parse_point(text.as_bytes(), 0, 2, true, true, &mut out);
            assert!(matches!(r, Ok(Step::Done(_))), "{text:?}: {r:?}");
            assert_eq!(out, vec![(1.0, 2.0), (3.0, 4.0)], "{text:?}");
        }
    }

    #[test]
    fn three_digit_exponent() {
        let mut out = Vec::new();
        let r = parse_point(b"0\t5.000000000000000e-003\n", 0, 1, false, true, &mut out);
        assert!(matches!(r, Ok(Step::Done(_))));
        assert_eq!(out[0].0, 5e-3);
    }

    #[test]
    fn junk_is_an_error_with_offset() {
        let mut out = Vec::new();
        let r = parse_point(b"  x1 2\n", 0, 1, false, true, &mut out);
        assert!(matches!(r, Err((2, _))));
        let r = parse_point(b"0 1.2.3\n", 0, 1, false, true, &mut out);
        assert!(matches!(r, Err((2, _))));
        assert!(check_start(b"\x9b\x01").is_err());
        assert!(check_start(b"0\t\t1.0").is_ok());
        assert!(check_start(b"12x").is_err());
    }
}
