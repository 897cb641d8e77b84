//! Choosing vectors by name as people type them: exact names, globs
//! (`v(*)`, `i(?1)`) and comma-separated lists (`v(out),v(in)`), matched
//! ignoring case. The same in `stats`, `export` and every command that
//! takes `--var`.
//!
//! ```
//! use spicelab::select::select_vars;
//! use waveform::{PlotHeader, Variable};
//! let header = PlotHeader {
//!     variables: vec![
//!         Variable::new(0, "time", "time"),
//!         Variable::new(1, "V(in)", "voltage"),
//!         Variable::new(2, "V(out)", "voltage"),
//!         Variable::new(3, "I(V1)", "current"),
//!     ],
//!     ..PlotHeader::default()
//! };
//! assert_eq!(select_vars(&header, &["v(*)".into()]).unwrap(), [1, 2]);
//! assert_eq!(select_vars(&header, &["v(out),i(v1)".into()]).unwrap(), [2, 3]);
//! let err = select_vars(&header, &["w(*)".into()]).unwrap_err();
//! assert!(err.to_string().contains("V(in), V(out), I(V1)"));
//! ```

use waveform::PlotHeader;

/// No vector matched a pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no vector matches '{pattern}' in plot '{plot}' (it has: {available}{more})")]
pub struct NoMatch {
    /// The pattern.
    pub pattern: String,
    /// The plot's name.
    pub plot: String,
    /// The first names of the plot.
    pub available: String,
    /// `, ...` when there are more.
    pub more: &'static str,
}

/// True when `pattern` (`*` any run, `?` one character) matches `name`,
/// ignoring ASCII case.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let n: Vec<char> = name.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Iterative matcher with backtracking to the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || (p[i] != '*' && p[i] == n[j])) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// The variables of `header` the patterns name, in the order the patterns
/// give them (a variable once). Each pattern is an exact name (as
/// [`PlotHeader::find`]: exact, else ignoring case), a glob, or a
/// comma-separated list of those. A pattern that matches nothing is an
/// error listing the plot's vectors.
pub fn select_vars(header: &PlotHeader, patterns: &[String]) -> Result<Vec<usize>, NoMatch> {
    let mut out: Vec<usize> = Vec::new();
    for pat in patterns {
        for part in split_list(pat) {
            let before = out.len();
            if let Some(i) = header.find(part) {
                if !out.contains(&i) {
                    out.push(i);
                }
                continue;
            }
            let mut any = false;
            if part.contains(['*', '?']) {
                for (i, v) in header.variables.iter().enumerate() {
                    if glob_match(part, &v.name) {
                        any = true;
                        if !out.contains(&i) {
                            out.push(i);
                        }
                    }
                }
            }
            if !any && out.len() == before {
                let names: Vec<&str> = header
                    .variables
                    .iter()
                    .take(12)
                    .map(|v| v.name.as_str())
                    .collect();
                return Err(NoMatch {
                    pattern: part.to_string(),
                    plot: header.plotname.clone(),
                    available: names.join(", "),
                    more: if header.variables.len() > 12 {
                        ", ..."
                    } else {
                        ""
                    },
                });
            }
        }
    }
    Ok(out)
}

/// [`select_vars`] on a plot of a RAW file, its error the reader's
/// `NoSuchVariable` (naming file and plot).
pub fn select_in_plot(
    plot: &raw_stream::PlotRef,
    patterns: &[String],
) -> Result<Vec<usize>, raw_stream::RawError> {
    select_vars(plot.header(), patterns).map_err(|e| raw_stream::RawError::NoSuchVariable {
        path: plot.file().path().to_path_buf(),
        plot: plot.index(),
        name: e.pattern,
        available: format!("{}{}", e.available, e.more),
    })
}

/// Splits `a,b` at commas that are not inside parentheses (`v(a,b)` is one
/// name, as ngspice writes differential voltages).
fn split_list(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth <= 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out.into_iter().filter(|p| !p.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use waveform::Variable;

    fn header(names: &[&str]) -> PlotHeader {
        PlotHeader {
            plotname: "Transient Analysis".into(),
            variables: names
                .iter()
                .enumerate()
                .map(|(i, n)| Variable::new(i, *n, "voltage"))
                .collect(),
            ..PlotHeader::default()
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("v(*)", "V(out)"));
        assert!(glob_match("*", ""));
        assert!(glob_match("i(?1)", "I(V1)"));
        assert!(!glob_match("i(?1)", "I(V12)"));
        assert!(glob_match("*out*", "v(out2)"));
        assert!(!glob_match("v(*", "i(x)"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
    }

    #[test]
    fn lists_globs_and_names_in_order_each_once() {
        let h = header(&["time", "v(in)", "v(out)", "i(v1)", "v(a,b)"]);
        assert_eq!(select_vars(&h, &["v(out),v(in)".into()]).unwrap(), [2, 1]);
        assert_eq!(
            select_vars(&h, &["v(*)".into(), "v(out)".into()]).unwrap(),
            [1, 2, 4]
        );
        assert_eq!(select_vars(&h, &["V(A,B)".into()]).unwrap(), [4]);
        assert_eq!(select_vars(&h, &["i(*), time".into()]).unwrap(), [3, 0]);
        let e = select_vars(&h, &["v(in),q(*)".into()]).unwrap_err();
        assert_eq!(e.pattern, "q(*)");
        assert!(e
            .to_string()
            .contains("it has: time, v(in), v(out), i(v1), v(a,b)"));
    }
}
