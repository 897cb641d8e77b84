//! The netlist canonicaliser: the text that goes into a key.

use serde::{Deserialize, Serialize};

/// A canonicalised netlist or included file.
///
/// `title` is the first line of a netlist, kept exactly as written (less
/// the `\r`s it ends in); an included file has no title (`None`). `lines` are the
/// logical lines of the rest, one per element or dot-command, in the
/// canonical form described in the crate documentation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Canonical {
    /// The title line (line 1 of a netlist), verbatim; `None` for an included file.
    pub title: Option<String>,
    /// The logical lines after the title, canonical.
    pub lines: Vec<String>,
}

impl Canonical {
    /// The lines after the title joined with `\n` (each line ends in `\n`):
    /// what goes into a key. The title is left out on purpose (see the crate
    /// documentation).
    pub fn body(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// The whole canonical text, title included: itself a runnable netlist,
    /// and canonicalising it again gives the same [`Canonical`].
    pub fn text(&self) -> String {
        let mut out = String::new();
        if let Some(title) = &self.title {
            out.push_str(title);
            out.push('\n');
        }
        out.push_str(&self.body());
        out
    }

    /// Lowercase hex sha256 of [`Canonical::body`].
    pub fn sha256(&self) -> String {
        crate::sha256_hex(self.body().as_bytes())
    }
}

/// Canonicalises a top-level netlist: line 1 is the title (kept verbatim, as
/// ngspice treats it), the rest is canonicalised. Every line loses the `\r`s
/// it ends in (not only one: a title or `.control` line ending in `\r\r`
/// would otherwise lose its last `\r` only when canonicalised again).
pub fn canonicalise_netlist(text: &str) -> Canonical {
    let (title, lines, _) = netlist_lines_numbered(text);
    Canonical { title, lines }
}

/// [`canonicalise_netlist`]'s title and lines, with the 1-based line of the
/// file where each logical line starts (the title is line 1), for messages.
pub(crate) fn netlist_lines_numbered(text: &str) -> (Option<String>, Vec<String>, Vec<usize>) {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let mut physical = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let title = physical.next().map(str::to_owned);
    let (lines, numbers) = canonical_lines(physical, 2);
    (title, lines, numbers)
}

/// [`canonicalise_include`]'s lines with the 1-based line of the file where
/// each starts.
pub(crate) fn include_lines_numbered(text: &str) -> (Vec<String>, Vec<usize>) {
    let text = text.strip_suffix('\n').unwrap_or(text);
    canonical_lines(text.split('\n').map(|l| l.trim_end_matches('\r')), 1)
}

/// Canonicalises an included file (`.include`, `.lib`): it has no title line,
/// every line is content.
pub fn canonicalise_include(text: &str) -> Canonical {
    Canonical {
        title: None,
        lines: include_lines_numbered(text).0,
    }
}

/// The canonical logical lines of `physical`, and for each the number of
/// the physical line it starts on (`first` for the first one given).
fn canonical_lines<'a>(
    physical: impl Iterator<Item = &'a str>,
    first: usize,
) -> (Vec<String>, Vec<usize>) {
    let mut out: Vec<String> = Vec::new();
    let mut numbers: Vec<usize> = Vec::new();
    // the logical line being built from a line and its `+` continuations,
    // and the line it started on
    let mut pending: Option<(String, usize)> = None;
    let mut in_control = false;
    for (k, raw) in physical.enumerate() {
        let number = first + k;
        if in_control {
            if raw.trim_matches(ws).eq_ignore_ascii_case(".endc") {
                out.push(".endc".to_owned());
                in_control = false;
            } else {
                out.push(raw.to_owned());
            }
            numbers.push(number);
            continue;
        }
        let trimmed = raw.trim_start_matches(ws);
        if trimmed.starts_with('*') {
            continue; // a comment line, also between a line and its continuation
        }
        let code = strip_comment(trimmed).trim_end_matches(ws);
        if code.is_empty() {
            continue;
        }
        if let Some(rest) = code.strip_prefix('+') {
            if let Some((p, _)) = pending.as_mut() {
                if !rest.trim_matches(ws).is_empty() {
                    p.push(' ');
                    p.push_str(rest);
                }
                continue;
            }
            // a continuation with nothing to continue: kept as its own line
        }
        if let Some((p, n)) = pending.take() {
            out.push(normalise(&p));
            numbers.push(n);
        }
        if is_control_start(code) {
            out.push(normalise_control(code));
            numbers.push(number);
            in_control = true;
        } else {
            pending = Some((code.to_owned(), number));
        }
    }
    if let Some((p, n)) = pending.take() {
        out.push(normalise(&p));
        numbers.push(n);
    }
    (out, numbers)
}

/// Whitespace as the canonicaliser counts it: ASCII only, everywhere.
pub(crate) fn ws(c: char) -> bool {
    c.is_ascii_whitespace()
}

fn is_control_start(code: &str) -> bool {
    tokens(code)
        .first()
        .is_some_and(|t| t.eq_ignore_ascii_case(".control"))
}

/// Cuts an inline comment off a line as ngspice 39 does outside `.control`
/// (checked with ngspice 39): `;` and `//` start a comment anywhere, `$`
/// starts one at the start of the line or after whitespace (`2$ 7` is not a
/// comment, `2 $7` is). Nothing inside `"..."` or `'...'` is a comment.
pub(crate) fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b';' => return &line[..i],
                b'/' if bytes.get(i + 1) == Some(&b'/') => return &line[..i],
                b'$' if i == 0 || bytes[i - 1].is_ascii_whitespace() => return &line[..i],
                _ => {}
            },
        }
        i += 1;
    }
    line
}

/// Splits a comment-free logical line into tokens at whitespace outside quotes.
pub(crate) fn tokens(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => {
                if c.is_ascii_whitespace() {
                    if let Some(s) = start.take() {
                        out.push(&line[s..i]);
                    }
                    continue;
                }
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
            }
        }
        if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(&line[s..]);
    }
    out
}

/// True when `token` is a dot-command ngspice reads as an include
/// (`.include`, `.inc`, `.incl`: ngspice matches the prefix `.inc`).
pub(crate) fn is_include_cmd(token: &str) -> bool {
    token
        .as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b".inc"))
}

/// True when `token` is `.lib`.
pub(crate) fn is_lib_cmd(token: &str) -> bool {
    token.eq_ignore_ascii_case(".lib")
}

fn lowercase_unquoted(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut quote: Option<char> = None;
    for c in token.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                out.push(c.to_ascii_lowercase());
            }
        }
    }
    out
}

/// A `.control` line: tokens lowercased outside quotes and joined by one
/// space, nothing else dropped, so that it still starts a block when
/// canonicalised again (`normalise` makes `.control )` into `.control)`,
/// which does not).
fn normalise_control(line: &str) -> String {
    let toks: Vec<String> = tokens(strip_comment(line))
        .iter()
        .map(|t| lowercase_unquoted(t))
        .collect();
    toks.join(" ").trim_end_matches(ws).to_owned()
}

/// One logical line in canonical form: tokens joined by one space, no space
/// next to `=`, after `(` or before `)`, ASCII lowercase outside quotes except the file name of an
/// include.
fn normalise(line: &str) -> String {
    // a quote left open on one physical line and closed on its continuation
    // can hide a comment from the per-line pass: cut it here, so that
    // canonicalising the result again changes nothing
    let line = strip_comment(line);
    let toks = tokens(line);
    let keep_case = match toks.first() {
        Some(first) if is_include_cmd(first) => Some(1),
        Some(first) if is_lib_cmd(first) && toks.len() >= 3 => Some(1),
        _ => None,
    };
    let mut joined = String::with_capacity(line.len());
    for (i, t) in toks.iter().enumerate() {
        if i > 0 {
            joined.push(' ');
        }
        if keep_case == Some(i) {
            joined.push_str(t);
        } else {
            joined.push_str(&lowercase_unquoted(t));
        }
    }
    if keep_case.is_some() {
        // an include: the file name is taken as written, spaces and all
        return joined.trim_end_matches(ws).to_owned();
    }
    // drop the spaces next to `=`, after `(` and before `)`, outside quotes
    let chars: Vec<char> = joined.chars().collect();
    let mut out = String::with_capacity(joined.len());
    let mut quote: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                } else if c == ' ' {
                    let prev = out.ends_with('=') || out.ends_with('(');
                    let next = matches!(chars.get(i + 1), Some('=') | Some(')'));
                    if prev || next {
                        continue;
                    }
                }
            }
        }
        out.push(c);
    }
    // whitespace left at the end inside an unclosed quote
    let end = out.trim_end_matches(ws).len();
    out.truncate(end);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_as_ngspice_reads_them() {
        assert_eq!(strip_comment("V1 a 0 1 $ 5"), "V1 a 0 1 ");
        assert_eq!(strip_comment("V2 b 0 2 $7"), "V2 b 0 2 ");
        assert_eq!(strip_comment("V2 b 0 2$ 7"), "V2 b 0 2$ 7");
        assert_eq!(strip_comment("V4 d 0 4;9"), "V4 d 0 4");
        assert_eq!(strip_comment("V6 f 0 6//9"), "V6 f 0 6");
        assert_eq!(
            strip_comment(".include \"a;b.lib\" ; x"),
            ".include \"a;b.lib\" "
        );
    }

    #[test]
    fn lines_are_normalised() {
        let c = canonicalise_netlist(
            "My Title  \r\n* comment\n\nR1  OUT 0\n+ 1K ; load\n.PARAM  Rval = 2K\n.include Models/Op.LIB\n.lib 'PDK/Corners.lib' TT\nX1 a b \"File.TXT\"\n",
        );
        assert_eq!(c.title.as_deref(), Some("My Title  "));
        assert_eq!(
            c.lines,
            vec![
                "r1 out 0 1k",
                ".param rval=2k",
                ".include Models/Op.LIB",
                ".lib 'PDK/Corners.lib' tt",
                "x1 a b \"File.TXT\""
            ]
        );
    }

    #[test]
    fn control_blocks_are_verbatim() {
        let c = canonicalise_netlist(
            "t\nR1 a 0 1k\n.Control\n  set X=1 ; not cut\n* kept\n.ENDC\n.end\n",
        );
        assert_eq!(
            c.lines,
            vec![
                "r1 a 0 1k",
                ".control",
                "  set X=1 ; not cut",
                "* kept",
                ".endc",
                ".end"
            ]
        );
    }
}
