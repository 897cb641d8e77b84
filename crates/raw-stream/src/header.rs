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
    /// Characters of the `No. Points:` field, its padding included (ngspice's
    /// `-r` writer pads it to 8, Xyce to 18).
    pub points_width: usize,
}

/// Why a header could not be parsed.
#[derive(Debug)]
pub(crate) enum HeaderProblem {
    /// The marker line was not found in the bytes given; more may help.
    NeedMore,
    /// Broken at this relative offset.
    Bad(usize, String),
}

/// The UTF-16LE byte-order mark (LTspice on macOS starts its files with it).
const UTF16LE_BOM: [u8; 2] = [0xFF, 0xFE];
/// The UTF-8 byte-order mark.
const UTF8_BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// True when the bytes look like UTF-16LE text: two ASCII characters, each
/// followed by a zero byte, after an optional byte-order mark.
pub(crate) fn looks_utf16(buf: &[u8]) -> bool {
    let b = buf.strip_prefix(&UTF16LE_BOM[..]).unwrap_or(buf);
    b.len() >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0
}

/// Length of the byte-order mark at the start of `buf` (0 when none): the
/// UTF-16LE one when `utf16`, else the UTF-8 one.
pub(crate) fn bom_len(buf: &[u8], utf16: bool) -> usize {
    if utf16 && buf.starts_with(&UTF16LE_BOM) {
        UTF16LE_BOM.len()
    } else if !utf16 && buf.starts_with(&UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    }
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
    // offsets stay relative to `buf`: a byte-order mark is skipped, not cut off
    let mut pos = bom_len(buf, utf16);
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
    let mut points_width = 0;
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
                points_width = line
                    .split_once(':')
                    .map_or(0, |(_, v)| v.trim_start().chars().count());
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
        points_width,
    })
}

/// Parses one variable line: `index name type [extra...]`.
///
/// Lines with tabs are split at the tabs only, so that a name may hold a
/// space (ngspice's `v(m1#body diode)`); the type field is then split at
/// spaces, its first word being the type and the others extra fields (the
/// `write` command's `frequency grid=3`). Lines without tabs are split at
/// any whitespace.
fn parse_var_line(text: &str, off: usize, expect: usize) -> Result<Variable, HeaderProblem> {
    let mut fields: Vec<&str> = if text.contains('\t') {
        text.split('\t')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect()
    } else {
        text.split_whitespace().collect()
    };
    // `0 time\ttime`: an index and a name separated by spaces in the first field
    if let Some(first) = fields.first().copied() {
        if let Some((idx, rest)) = first.split_once(char::is_whitespace) {
            fields.splice(0..1, [idx, rest.trim()]);
        }
    }
    let idx = fields.first().copied().unwrap_or("");
    if idx.parse::<usize>().ok() != Some(expect) {
        return Err(HeaderProblem::Bad(
            off,
            format!(
                "variable line '{}' should start with index {expect}",
                shorten(text)
            ),
        ));
    }
    let Some(name) = fields.get(1).copied() else {
        return Err(HeaderProblem::Bad(
            off,
            format!("variable line '{}' has no name", shorten(text)),
        ));
    };
    let mut type_words = fields
        .get(2)
        .map(|f| f.split_whitespace())
        .into_iter()
        .flatten();
    let ty = type_words.next().unwrap_or("notype");
    let mut v = Variable::new(expect, name, ty);
    v.extra = type_words
        .chain(fields.iter().skip(3).copied())
        .map(str::to_string)
        .collect();
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

/// Guesses the dialect from the first plot's header, and says why.
///
/// In order: a UTF-16 header is LTspice's; a `Command:` line naming a
/// simulator decides; an `Offset:` line is LTspice's, `Abscissa:` QSPICE's.
/// Without those, ngspice and Xyce (both all-f64, no `Command:` before
/// ngspice 44) are told apart by every sign the header gives, each weighed:
/// a `Version:` line or a `Step Analysis` plot name (Xyce, decisive); the
/// case of the variable names (Xyce upper-cases them, `V(OUT)`, `VIN#branch`;
/// ngspice lower-cases them, `v(out)`, `i(v1)`); the `Date:` layout (ngspice
/// puts two spaces before the year); the title's case (ngspice lower-cases
/// it); the padding of `No. Points:` (ngspice's `-r` pads to 8, Xyce to 18);
/// plot names only Xyce writes (`Noise Analysis`, `DC operating point`).
/// QSPICE-only signs (`.param`/`.alias` lines, a capitalised `Time` or
/// `Frequency` scale) come before them. Ties go to ngspice.
///
/// The reason is a short sentence naming the signs used.
pub(crate) fn detect_dialect(p: &ParsedHeader) -> (Dialect, String) {
    if p.utf16 {
        return (Dialect::Ltspice, "UTF-16 header (LTspice)".into());
    }
    if let Some(cmd) = &p.header.command {
        let c = cmd.to_ascii_lowercase();
        for (word, d, name) in [
            ("ltspice", Dialect::Ltspice, "LTspice"),
            ("qspice", Dialect::Qspice, "QSPICE"),
            ("xyce", Dialect::Xyce, "Xyce"),
            ("ngspice", Dialect::Ngspice, "ngspice"),
        ] {
            if c.contains(word) {
                return (d, format!("Command: line names {name}"));
            }
        }
    }
    let has = |k: &str| {
        p.header
            .extra
            .iter()
            .any(|(key, _)| key.eq_ignore_ascii_case(k))
    };
    let no_cmd = if p.header.command.is_some() {
        "Command: line names no simulator"
    } else {
        "no Command: line"
    };
    if has("Offset") {
        return (
            Dialect::Ltspice,
            format!("{no_cmd}; 'Offset:' line (LTspice)"),
        );
    }
    if has("Abscissa") {
        return (
            Dialect::Qspice,
            format!("{no_cmd}; 'Abscissa:' line (QSPICE)"),
        );
    }
    if p.header
        .extra
        .iter()
        .any(|(k, _)| k == ".alias" || k == ".param")
    {
        return (
            Dialect::Qspice,
            format!("{no_cmd}; '.param'/'.alias' lines (QSPICE)"),
        );
    }
    if let Some(v0) = p.header.variables.first() {
        if v0.name == "Time" || v0.name == "Frequency" {
            return (
                Dialect::Qspice,
                format!("{no_cmd}; capitalised scale name '{}' (QSPICE)", v0.name),
            );
        }
    }
    if p.has_version {
        return (Dialect::Xyce, format!("{no_cmd}; 'Version:' line (Xyce 6)"));
    }
    if p.header.plotname.starts_with("Step Analysis") {
        return (
            Dialect::Xyce,
            format!("{no_cmd}; 'Step Analysis' plot name (Xyce)"),
        );
    }
    let (xyce, ngspice) = weigh_xyce_ngspice(&p.header, p.points_width);
    let score = |signs: &[(u32, String)]| signs.iter().map(|s| s.0).sum::<u32>();
    let (d, signs, what) = if score(&xyce) > score(&ngspice) {
        (Dialect::Xyce, xyce, "Xyce")
    } else {
        (Dialect::Ngspice, ngspice, "ngspice")
    };
    let reason = if signs.is_empty() {
        format!("{no_cmd} and no sign of another simulator: ngspice (the default)")
    } else {
        let list: Vec<&str> = signs.iter().map(|s| s.1.as_str()).collect();
        format!("{no_cmd}; {what} by {}", list.join(", "))
    };
    (d, reason)
}

/// One sign of a dialect: its weight and how it reads in the reason.
type Sign = (u32, String);

/// The signs for Xyce and for ngspice in a header without a `Command:`
/// line, each with its weight.
fn weigh_xyce_ngspice(h: &PlotHeader, points_width: usize) -> (Vec<Sign>, Vec<Sign>) {
    let mut xyce = Vec::new();
    let mut ngspice = Vec::new();
    // variable names, the scale (lower-case `time`/`frequency` in both) left out
    let (mut upper, mut lower) = (None, None);
    for v in &h.variables {
        if v.index == 0 && v.kind.is_scale() {
            continue;
        }
        let name = v.name.strip_suffix("#branch").unwrap_or(&v.name);
        if name.bytes().any(|b| b.is_ascii_lowercase()) {
            lower = lower.or(Some(v.name.as_str()));
        } else if name.bytes().any(|b| b.is_ascii_uppercase()) {
            upper = upper.or(Some(v.name.as_str()));
        }
    }
    match (upper, lower) {
        (Some(u), None) => xyce.push((2, format!("upper-case names ({u})"))),
        (None, Some(l)) => ngspice.push((2, format!("lower-case names ({l})"))),
        _ => {}
    }
    // `Date: Thu Nov 26 01:07:56  2026` (ngspice) vs `Tue Feb 11 09:04:31 2025`
    let d = h.date.as_bytes();
    let year_at = d.len().saturating_sub(4);
    if d.len() > 6 && d[year_at..].iter().all(u8::is_ascii_digit) && d[year_at - 1] == b' ' {
        if d[year_at - 2] == b' ' {
            ngspice.push((1, "two spaces before the year in 'Date:'".into()));
        } else if d[year_at - 2].is_ascii_digit() {
            xyce.push((1, "one space before the year in 'Date:'".into()));
        }
    }
    // ngspice lower-cases the title (the netlist's first line)
    if h.title.bytes().any(|b| b.is_ascii_uppercase()) {
        xyce.push((1, "upper-case letters in the title".into()));
    }
    match points_width {
        18 => xyce.push((1, "'No. Points:' padded to 18 characters".into())),
        8 => ngspice.push((1, "'No. Points:' padded to 8 characters".into())),
        _ => {}
    }
    let plot = h.plotname.to_ascii_lowercase();
    if plot == "noise analysis" || plot.contains("dc operating point") {
        xyce.push((2, format!("plot name '{}'", h.plotname)));
    }
    (xyce, ngspice)
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
        assert_eq!(detect_dialect(&p).0, Dialect::Ngspice);
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
        assert_eq!(detect_dialect(&p).0, Dialect::Ltspice);
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

    fn var(line: &str, i: usize) -> Variable {
        parse_var_line(line.trim(), 0, i)
            .map_err(|e| format!("{e:?}"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn variable_lines() {
        let v = var("\t5\tv(m1#body diode)\tvoltage", 5);
        assert_eq!(
            (v.name.as_str(), v.type_name.as_str()),
            ("v(m1#body diode)", "voltage")
        );
        assert!(v.extra.is_empty());
        // the `write` command's type field holds a space
        let v = var("\t0\tfrequency\tfrequency grid=3", 0);
        assert_eq!(
            (v.name.as_str(), v.type_name.as_str()),
            ("frequency", "frequency")
        );
        assert_eq!(v.kind, waveform::VarKind::Frequency);
        assert_eq!(v.extra, vec!["grid=3".to_string()]);
        // the -r writer's: a tab
        assert_eq!(
            var("\t0\tfrequency\tfrequency\tgrid=3", 0).extra,
            vec!["grid=3"]
        );
        // spaces only (no tab): split at whitespace
        let v = var("  2  V(OUT)  voltage  dims=2", 2);
        assert_eq!(
            (v.name.as_str(), v.type_name.as_str()),
            ("V(OUT)", "voltage")
        );
        assert_eq!(v.extra, vec!["dims=2"]);
        // index and name separated by spaces, name and type by a tab
        let v = var("3 v(a b)\tcurrent", 3);
        assert_eq!(
            (v.name.as_str(), v.type_name.as_str()),
            ("v(a b)", "current")
        );
        // doubled tabs, CR and a missing type
        let v = var("\t1\t\tx y\t\r", 1);
        assert_eq!((v.name.as_str(), v.type_name.as_str()), ("x y", "notype"));
        assert!(matches!(
            parse_var_line("1\tx", 0, 0),
            Err(HeaderProblem::Bad(0, _))
        ));
        assert!(matches!(
            parse_var_line("0\t", 7, 0),
            Err(HeaderProblem::Bad(7, _))
        ));
    }

    #[test]
    fn byte_order_marks_are_skipped() {
        let text = NG.replace("\x01\x02", "");
        let mut b = vec![0xFF, 0xFE];
        b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        b.extend_from_slice(&[9, 9]);
        assert!(looks_utf16(&b));
        let p = parse_header(&b, None)
            .map_err(|e| format!("{e:?}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.header.title, "* rc");
        assert_eq!(b.len() - p.data_rel, 2);
        let mut u = vec![0xEF, 0xBB, 0xBF];
        u.extend_from_slice(NG.as_bytes());
        let p = parse_header(&u, None)
            .map_err(|e| format!("{e:?}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.utf16);
        assert_eq!(p.header.title, "* rc");
        assert_eq!(u.len() - p.data_rel, 2);
    }
}
