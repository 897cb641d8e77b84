//! Parameter substitution as the campaign runner does it (DESIGN section 5).

use crate::canon::{canonicalise_include, strip_comment, tokens};

/// Why a substitution was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubstError {
    /// The campaign sets a parameter that neither the netlist nor the given
    /// included files ever use (a misspelt name, most likely).
    #[error("parameter `{name}` is never used by the netlist (nor by the files it includes)")]
    UnusedParameter {
        /// The parameter name as the campaign gave it.
        name: String,
    },
    /// The same parameter was given twice.
    #[error("parameter `{name}` is given twice")]
    Duplicate {
        /// The parameter name.
        name: String,
    },
    /// A name that cannot be a SPICE parameter name.
    #[error("`{name}` is not a valid parameter name (letters, digits and `_`, not starting with a digit)")]
    BadName {
        /// The name as given.
        name: String,
    },
    /// A `.param` line of the netlist that defines one of the campaign's
    /// parameters could not be read, so its default cannot be replaced safely.
    #[error("line {line}: cannot read the `.param` line that defines `{name}`: {text}")]
    UnreadableParam {
        /// 1-based line number in the netlist.
        line: usize,
        /// The parameter name.
        name: String,
        /// The line as written.
        text: String,
    },
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// True when `name` occurs in `text` as a whole identifier (ASCII case-insensitive).
fn uses(text: &str, name: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&name) {
        let start = from + pos;
        let end = start + name.len();
        let before = lower[..start].chars().next_back();
        let after = lower[end..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return true;
        }
        from = end;
    }
    false
}

/// One `name=value` assignment of a `.param` line.
struct Assign {
    name: String,
    text: String,
}

/// Reads the assignments after `.param`; `None` when the line is not a plain
/// list of `name=value` (then it is left alone unless it names a campaign
/// parameter).
fn parse_assignments(rest: &str) -> Option<Vec<Assign>> {
    // join `name = value` spacing first: tokens at whitespace outside quotes/braces
    let mut out = Vec::new();
    let b: Vec<char> = rest.chars().collect();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= b.len() {
            return Some(out);
        }
        let ns = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        let name: String = b[ns..i].iter().collect();
        if name.is_empty() {
            return None;
        }
        skip_ws(&mut i);
        if b.get(i) != Some(&'=') {
            return None;
        }
        i += 1;
        skip_ws(&mut i);
        let vs = i;
        match b.get(i) {
            Some('{') => {
                let mut depth = 0usize;
                while i < b.len() {
                    match b[i] {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                if depth != 0 {
                    return None;
                }
            }
            Some(&q) if q == '\'' || q == '"' => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                if i >= b.len() {
                    return None;
                }
                i += 1;
            }
            Some(_) => {
                while i < b.len() && !b[i].is_whitespace() {
                    i += 1;
                }
            }
            None => return None,
        }
        let value: String = b[vs..i].iter().collect();
        out.push(Assign {
            text: format!("{name}={value}"),
            name,
        });
    }
}

/// [`substitute_checked`] with only the netlist itself counted as a user of
/// the parameters.
///
/// ```
/// let job = incremental::substitute("rc\n.param r1=1k\nR1 a 0 {r1}\n", &[("r1", "2k")]).unwrap();
/// assert_eq!(job, "rc\n.param r1=2k\n* spicelab: replaced by the campaign: .param r1=1k\nR1 a 0 {r1}\n");
/// ```
pub fn substitute(netlist_text: &str, params: &[(&str, &str)]) -> Result<String, SubstError> {
    substitute_checked(netlist_text, params, &[])
}

/// The job's netlist: `.param name=value` lines (one per parameter, in the
/// order given) inserted after the title line, and every definition of the
/// same names in the netlist's own `.param` lines (a default) taken out, so
/// the campaign's value is the only one. A `.param` line whose every
/// assignment is replaced becomes a comment line (with its continuation
/// lines), so ngspice's line numbers past the insert stay in step with the
/// file's.
///
/// A parameter that the netlist (outside its own definition) and the texts
/// in `also_used_in` (the contents of the files it includes) never mention
/// is an error: it would change the key and nothing else. `.control` blocks
/// are not touched.
pub fn substitute_checked(
    netlist_text: &str,
    params: &[(&str, &str)],
    also_used_in: &[&str],
) -> Result<String, SubstError> {
    for (i, (name, _)) in params.iter().enumerate() {
        if !valid_name(name) {
            return Err(SubstError::BadName {
                name: (*name).to_owned(),
            });
        }
        if params[..i]
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return Err(SubstError::Duplicate {
                name: (*name).to_owned(),
            });
        }
    }
    let is_param = |n: &str| params.iter().any(|(p, _)| p.eq_ignore_ascii_case(n));

    let physical: Vec<&str> = netlist_text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(netlist_text.len() + 32 * params.len());
    let mut rest_for_use = String::new();
    if let Some(title) = physical.first() {
        out.push_str(title);
        if !title.ends_with('\n') {
            out.push('\n');
        }
    }
    for (name, value) in params {
        out.push_str(&format!(".param {name}={value}\n"));
    }
    let mut in_control = false;
    let mut i = 1;
    while i < physical.len() {
        let raw = physical[i];
        let line_no = i + 1;
        let code = strip_comment(raw.trim_start()).trim();
        if in_control {
            if code.eq_ignore_ascii_case(".endc") {
                in_control = false;
            }
            out.push_str(raw);
            i += 1;
            continue;
        }
        let first = tokens(code).first().map(|t| t.to_ascii_lowercase());
        if first.as_deref() == Some(".control") {
            in_control = true;
        }
        if raw.trim_start().starts_with('*') || first.as_deref() != Some(".param") {
            if !raw.trim_start().starts_with('*') {
                rest_for_use.push_str(code);
                rest_for_use.push('\n');
            }
            out.push_str(raw);
            i += 1;
            continue;
        }
        // a `.param` logical line: this line and its `+` continuations
        let mut end = i + 1;
        let mut logical = code.to_owned();
        while end < physical.len() {
            let t = physical[end].trim_start();
            if t.starts_with('*') {
                end += 1;
                continue;
            }
            match strip_comment(t).trim().strip_prefix('+') {
                Some(more) => {
                    logical.push(' ');
                    logical.push_str(more);
                    end += 1;
                }
                None => break,
            }
        }
        // comment lines that trail the logical line belong to what follows
        while end > i + 1 && physical[end - 1].trim_start().starts_with('*') {
            end -= 1;
        }
        let after = logical.get(6..).unwrap_or("");
        let assigns = parse_assignments(after);
        let names_param = |text: &str| {
            params
                .iter()
                .find(|(p, _)| uses(text, p))
                .map(|(p, _)| (*p).to_owned())
        };
        match assigns {
            None => {
                if let Some(name) = names_param(after) {
                    return Err(SubstError::UnreadableParam {
                        line: line_no,
                        name,
                        text: raw.trim_end().to_owned(),
                    });
                }
                rest_for_use.push_str(&logical);
                rest_for_use.push('\n');
                out.extend(physical[i..end].iter().copied());
            }
            Some(assigns) if !assigns.iter().any(|a| is_param(&a.name)) => {
                rest_for_use.push_str(&logical);
                rest_for_use.push('\n');
                out.extend(physical[i..end].iter().copied());
            }
            Some(assigns) => {
                let (gone, kept): (Vec<&Assign>, Vec<&Assign>) =
                    assigns.iter().partition(|a| is_param(&a.name));
                let gone: Vec<&str> = gone.iter().map(|a| a.text.as_str()).collect();
                let gone = gone.join(" ");
                if kept.is_empty() {
                    out.push_str(&format!(
                        "* spicelab: replaced by the campaign: .param {gone}\n"
                    ));
                } else {
                    let kept: Vec<&str> = kept.iter().map(|a| a.text.as_str()).collect();
                    let line = format!(".param {}", kept.join(" "));
                    rest_for_use.push_str(&line);
                    rest_for_use.push('\n');
                    out.push_str(&format!(
                        "{line} ; spicelab: replaced by the campaign: {gone}\n"
                    ));
                }
                // keep the line count: the continuation lines become comments
                for _ in i + 1..end {
                    out.push_str("* spicelab: (continued)\n");
                }
            }
        }
        i = end;
    }
    let includes: Vec<String> = also_used_in
        .iter()
        .map(|t| canonicalise_include(t).body())
        .collect();
    for (name, _) in params {
        let used = uses(&rest_for_use, name) || includes.iter().any(|t| uses(t, name));
        if !used {
            return Err(SubstError::UnusedParameter {
                name: (*name).to_owned(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_one_of_several_defaults() {
        let net = "t\n.param a=1 b={a*2}\n+ c='a+1'\nR1 x 0 {b+c}\n";
        let out = substitute(net, &[("b", "5")]).unwrap();
        assert_eq!(
            out,
            "t\n.param b=5\n.param a=1 c='a+1' ; spicelab: replaced by the campaign: b={a*2}\n* spicelab: (continued)\nR1 x 0 {b+c}\n"
        );
    }

    #[test]
    fn unused_parameter_is_an_error() {
        let net = "t\n.param rval=1k\nR1 x 0 1k\n";
        assert_eq!(
            substitute(net, &[("rval", "2k")]),
            Err(SubstError::UnusedParameter {
                name: "rval".into()
            })
        );
        // used only inside an included model file: fine when that file is given
        assert!(substitute_checked(net, &[("rval", "2k")], &[".model m r r={rval}\n"]).is_ok());
        // a name that is only a prefix of a used one is not used
        assert!(substitute("t\nR1 x 0 {rvalx}\n", &[("rval", "1")]).is_err());
    }
}
