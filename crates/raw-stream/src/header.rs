//! Plot header parsing (8-bit and UTF-16LE text), dialect detection and binary layout.

use waveform::{Dialect, Encoding, Flags, PlotHeader, ValueType, Variable};

/// The most header text one plot may have. Anything longer is not a RAW file.
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// A header parsed from the bytes at the start of a plot.
#[derive(Debug, Clone)]
pub(crate) struct ParsedHeader {
    pub header: PlotHeader,
    /// Offset of the first data byte, relative to the header start.
    pub data_rel: usize,
    pub encoding: Encoding,
    pub utf16: bool,
    /// Offset (relative) of the `No. Points:` line.
    pub points_line: usize,
    /// `Version:` line seen (Xyce 6).
    pub has_version: bool,
}

/// Why a header could not be parsed.
#[derive(Debug)]
pub(crate) enum HeaderProblem {
    /// The marker line was not found in the bytes given; more may help.
    NeedMore,
    /// Broken at this relative offset.
    Bad(usize, String),
}

/// True when the bytes look like UTF-16LE text (an ASCII letter followed by a zero byte).
pub(crate) fn looks_utf16(buf: &[u8]) -> bool {
    buf.len() >= 4 && buf[0] != 0 && buf[1] == 0 && buf[2] != 0 && buf[3] == 0
}

/// UTF-16LE text to a string (invalid units become U+FFFD).
pub(crate) fn decode_utf16le(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Splits the header bytes into (relative offset, line text, offset after the line end).
/// Stops after the `Binary:` / `Values:` line. Returns `NeedMore` if it is not found.
fn lines(buf: &[u8], utf16: bool) -> Result<Vec<(usize, String, usize)>, HeaderProblem> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    loop {
        if pos >= buf.len() {
            return Err(HeaderProblem::NeedMore);
        }
        let (end, next) = if utf16 {
            let mut k = pos;
            loop {
                if k + 1 >= buf.len() {
                    return Err(HeaderProblem::NeedMore);
                }
                if buf[k] == b'\n' && buf[k + 1] == 0 {
                    break (k, k + 2);
                }
                k += 2;
            }
        } else {
            match memchr::memchr(b'\n', &buf[pos..]) {
                Some(i) => (pos + i, pos + i + 1),
                None => return Err(HeaderProblem::NeedMore),
            }
        };
        let raw = &buf[pos..end];
        let text = if utf16 {
            decode_utf16le(raw)
        } else {
            match std::str::from_utf8(raw) {
                Ok(s) => s.to_string(),
                // latin-1: one byte, one char
                Err(_) => raw.iter().map(|&b| char::from(b)).collect(),
            }
        };
        let text = text.trim_end_matches(['\r', '\0']).to_string();
        let is_marker = {
            let t = text.trim().to_ascii_lowercase();
            t == "binary:" || t == "values:"
        };
        out.push((pos, text, next));
        pos = next;
        if is_marker {
            return Ok(out);
        }
        if out.len() > 2_000_000 {
            return Err(HeaderProblem::Bad(pos, "too many header lines".into()));
        }
    }
}

/// Parses one plot header from `buf` (the bytes from the plot's first byte on).
///
/// `inherit` supplies Title/Date/Command from the previous plot, for files
/// (Xyce) whose later plots start at `Plotname:`.
pub(crate) fn parse_header(
    buf: &[u8],
    inherit: Option<&PlotHeader>,
) -> Result<ParsedHeader, HeaderProblem> {
    let utf16 = looks_utf16(buf);
    let lines = lines(buf, utf16)?;
    let mut h = PlotHeader::default();
    if let Some(prev) = inherit {
        h.title = prev.title.clone();
        h.date = prev.date.clone();
        h.command = prev.command.clone();
    }
    let mut n_vars: Option<(usize, usize)> = None;
    let mut n_points: Option<(u64, usize)> = None;
    let mut has_version = false;
    let mut saw_any_key = false;
    let mut in_vars = false;
    let mut data_rel = 0;
    let mut encoding = Encoding::Binary;
    let mut vars: Vec<Variable> = Vec::new();

    for (off, line, next) in &lines {
        let trimmed = line.trim();
        let lower = trimmed.to_ascii_lowercase();
        if lower == "binary:" || lower == "values:" {
            encoding = if lower == "binary:" {
                Encoding::Binary
            } else {
                Encoding::Ascii
            };
            data_rel = *next;
            break;
        }
        if in_vars {
            if trimmed.is_empty() {
                continue;
            }
            let starts_blank = line.starts_with([' ', '\t']);
            let first_is_index = trimmed
                .split_whitespace()
                .next()
                .is_some_and(|t| t.bytes().all(|b| b.is_ascii_digit()));
            if starts_blank || first_is_index {
                vars.push(parse_var_line(trimmed, *off, vars.len())?);
                continue;
            }
            in_vars = false;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            if trimmed.is_empty() {
                continue;
            }
            // QSPICE `.param x=1`, `.alias a b` lines.
            if trimmed.starts_with('.') {
                let (k, v) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
                h.extra.push((k.to_string(), v.trim().to_string()));
                continue;
            }
            return Err(HeaderProblem::Bad(
                *off,
                format!("not a header line: '{}'", shorten(trimmed)),
            ));
        };
        let value = value.trim();
        saw_any_key = true;
        match key.trim().to_ascii_lowercase().as_str() {
            "title" => h.title = value.to_string(),
            "date" => h.date = value.to_string(),
            "plotname" => h.plotname = value.to_string(),
            "flags" => h.flags = Flags::parse(value),
            "command" => h.command = Some(value.to_string()),
            "no. variables" => {
                let n: usize = value.parse().map_err(|_| {
                    HeaderProblem::Bad(
                        *off,
                        format!("'No. Variables: {}' is not a count", shorten(value)),
                    )
                })?;
                n_vars = Some((n, *off));
            }
            "no. points" => {
                let n: u64 = value.parse().map_err(|_| {
                    HeaderProblem::Bad(
                        *off,
                        format!("'No. Points: {}' is not a count", shorten(value)),
                    )
                })?;
                n_points = Some((n, *off));
            }
            "variables" => {
                in_vars = true;
                if !value.is_empty() {
                    vars.push(parse_var_line(value, *off, vars.len())?);
                }
            }
            "version" => {
                has_version = true;
                h.extra.push(("Version".into(), value.to_string()));
            }
            _ => h.extra.push((key.trim().to_string(), value.to_string())),
        }
    }
    if !saw_any_key {
        return Err(HeaderProblem::Bad(0, "no RAW header here".into()));
    }
    let Some((nv, nv_off)) = n_vars else {
        return Err(HeaderProblem::Bad(0, "no 'No. Variables:' line".into()));
    };
    let Some((np, np_off)) = n_points else {
        return Err(HeaderProblem::Bad(0, "no 'No. Points:' line".into()));
    };
    if nv == 0 {
        return Err(HeaderProblem::Bad(nv_off, "'No. Variables: 0'".into()));
    }
    if vars.len() != nv {
        return Err(HeaderProblem::Bad(
            nv_off,
            format!(
                "'No. Variables: {nv}' but {} variable lines follow 'Variables:'",
                vars.len()
            ),
        ));
    }
    h.n_points = np;
    h.variables = vars;
    Ok(ParsedHeader {
        header: h,
        data_rel,
        encoding,
        utf16,
        points_line: np_off,
        has_version,
    })
}

fn parse_var_line(text: &str, off: usize, expect: usize) -> Result<Variable, HeaderProblem> {
    let mut f = text.split_whitespace();
    let idx = f.next().unwrap_or("");
    let parsed: Option<usize> = idx.parse().ok();
    if parsed != Some(expect) {
        return Err(HeaderProblem::Bad(
            off,
            format!(
                "variable line '{}' should start with index {expect}",
                shorten(text)
            ),
        ));
    }
    let name = f.next().ok_or_else(|| {
        HeaderProblem::Bad(
            off,
            format!("variable line '{}' has no name", shorten(text)),
        )
    })?;
    let ty = f.next().unwrap_or("notype");
    let mut v = Variable::new(expect, name, ty);
    v.extra = f.map(str::to_string).collect();
    Ok(v)
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        let mut t: String = s.chars().take(60).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

/// Guesses the dialect from the first plot's header.
pub(crate) fn detect_dialect(p: &ParsedHeader) -> Dialect {
    if p.utf16 {
        return Dialect::Ltspice;
    }
    if let Some(cmd) = &p.header.command {
        let c = cmd.to_ascii_lowercase();
        if c.contains("ltspice") {
            return Dialect::Ltspice;
        }
        if c.contains("qspice") {
            return Dialect::Qspice;
        }
        if c.contains("xyce") {
            return Dialect::Xyce;
        }
        if c.contains("ngspice") {
            return Dialect::Ngspice;
        }
    }
    let has = |k: &str| {
        p.header
            .extra
            .iter()
            .any(|(key, _)| key.eq_ignore_ascii_case(k))
    };
    if has("Offset") {
        return Dialect::Ltspice;
    }
    if has("Abscissa") {
        return Dialect::Qspice;
    }
    if p.has_version
        || p.header.plotname.starts_with("Step Analysis")
        || p.header
            .variables
            .iter()
            .any(|v| v.name.contains("#branch"))
    {
        return Dialect::Xyce;
    }
    Dialect::Ngspice
}

/// How the values of one plot are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The stored type of each variable.
    pub stored: Vec<ValueType>,
    /// Variable-major (`fastaccess`) rather than point-major.
    pub column_major: bool,
    /// Bytes per point (sum of the stored sizes).
    pub stride: u64,
}

impl Layout {
    /// The binary layout of a plot of this dialect and header.
    pub fn binary(dialect: Dialect, h: &PlotHeader) -> Layout {
        let n = h.variables.len();
        let complex = h.flags.complex;
        let stored: Vec<ValueType> = (0..n)
            .map(|i| match dialect {
                Dialect::Ngspice | Dialect::Xyce => {
                    if complex {
                        ValueType::C64
                    } else {
                        ValueType::F64
                    }
                }
                Dialect::Ltspice => {
                    if complex {
                        ValueType::C64
                    } else if i == 0 || h.flags.double {
                        ValueType::F64
                    } else {
                        ValueType::F32
                    }
                }
                Dialect::Qspice => {
                    if complex && i > 0 {
                        ValueType::C64
                    } else {
                        ValueType::F64
                    }
                }
            })
            .collect();
        let stride = stored.iter().map(|t| t.size() as u64).sum();
        Layout {
            stored,
            column_major: h.flags.fastaccess,
            stride,
        }
    }

    /// The layout of a plot's ASCII data (for the types of the columns it yields).
    pub fn ascii(h: &PlotHeader) -> Layout {
        let stored: Vec<ValueType> = (0..h.variables.len())
            .map(|_| {
                if h.flags.complex {
                    ValueType::C64
                } else {
                    ValueType::F64
                }
            })
            .collect();
        Layout {
            stride: 0,
            stored,
            column_major: false,
        }
    }
}

/// The type of the column the reader yields for variable `i` stored as `t`:
/// the scale (variable 0) of a complex plot is real (its imaginary part is
/// garbage in ngspice and zero elsewhere).
pub(crate) fn exposed_type(i: usize, t: ValueType, complex: bool) -> ValueType {
    if i == 0 && complex {
        ValueType::F64
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NG: &str = "Title: * rc\nDate: today\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 2\nNo. Points: 3     \nVariables:\n\t0\ttime\ttime\n\t1\tv(out)\tvoltage\tgrid=3\nBinary:\n\x01\x02";

    #[test]
    fn parses_ngspice_header() {
        let p = parse_header(NG.as_bytes(), None)
            .map_err(|e| format!("{e:?}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.header.n_points, 3);
        assert_eq!(p.header.variables.len(), 2);
        assert_eq!(p.header.variables[1].extra, vec!["grid=3".to_string()]);
        assert_eq!(p.data_rel, NG.len() - 2);
        assert_eq!(p.encoding, Encoding::Binary);
        assert_eq!(detect_dialect(&p), Dialect::Ngspice);
        let l = Layout::binary(Dialect::Ngspice, &p.header);
        assert_eq!(l.stride, 16);
    }

    #[test]
    fn utf16_header() {
        let text = NG
            .replace("Flags: real", "Flags: real forward")
            .replace("\x01\x02", "");
        let mut b: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        b.extend_from_slice(&[1, 2, 3, 4]);
        let p = parse_header(&b, None)
            .map_err(|e| format!("{e:?}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(p.utf16);
        assert_eq!(b.len() - p.data_rel, 4);
        assert_eq!(detect_dialect(&p), Dialect::Ltspice);
        let l = Layout::binary(Dialect::Ltspice, &p.header);
        assert_eq!(l.stored, vec![ValueType::F64, ValueType::F32]);
        assert_eq!(l.stride, 12);
    }

    #[test]
    fn incomplete_header_needs_more() {
        assert!(matches!(
            parse_header(&NG.as_bytes()[..50], None),
            Err(HeaderProblem::NeedMore)
        ));
    }

    #[test]
    fn variable_count_mismatch_is_an_error() {
        let bad = NG.replace("No. Variables: 2", "No. Variables: 3");
        assert!(matches!(
            parse_header(bad.as_bytes(), None),
            Err(HeaderProblem::Bad(_, _))
        ));
    }
}
