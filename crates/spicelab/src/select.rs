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

/// One `--step` argument: a step number (from 0) or `NAME=VALUE` (the
/// step whose parameter NAME has that value, SPICE numbers: `r1=1k`).
#[derive(Debug, Clone, PartialEq)]
pub enum StepSel {
    /// By number.
    Index(usize),
    /// By a parameter's value.
    Param(String, f64),
}

impl std::str::FromStr for StepSel {
    type Err = String;

    fn from_str(s: &str) -> Result<StepSel, String> {
        let s = s.trim();
        if let Some((name, value)) = s.split_once('=') {
            let v = waveform::units::parse_spice_number(value)
                .ok_or_else(|| format!("`{value}` in --step {s} is not a SPICE number"))?;
            return Ok(StepSel::Param(name.trim().to_string(), v));
        }
        s.parse::<usize>()
            .map(StepSel::Index)
            .map_err(|_| format!("--step takes a step number (from 0) or NAME=VALUE, not `{s}`"))
    }
}

/// The steps `sel` names, in order, each once (every step when `sel` is
/// empty). A step number past the end, a parameter the steps do not have
/// or a value no step has is an error saying what there is.
pub fn select_steps(steps: &waveform::Steps, sel: &[StepSel]) -> Result<Vec<usize>, String> {
    if sel.is_empty() {
        return Ok((0..steps.count()).collect());
    }
    let mut out = Vec::new();
    for s in sel {
        match s {
            StepSel::Index(k) => {
                if *k >= steps.count() {
                    return Err(format!(
                        "--step {k}: the plot has {} step(s), 0 to {}",
                        steps.count(),
                        steps.count().saturating_sub(1)
                    ));
                }
                if !out.contains(k) {
                    out.push(*k);
                }
            }
            StepSel::Param(name, v) => {
                let mut values = Vec::new();
                let mut any = false;
                for (k, params) in steps.params.iter().enumerate() {
                    if let Some((_, x)) = params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))
                    {
                        values.push(*x);
                        if (x - v).abs() <= 1e-9 * v.abs().max(x.abs()) {
                            any = true;
                            if !out.contains(&k) {
                                out.push(k);
                            }
                        }
                    }
                }
                if values.is_empty() {
                    let names: Vec<&str> = steps
                        .params
                        .first()
                        .map(|p| p.iter().map(|(n, _)| n.as_str()).collect())
                        .unwrap_or_default();
                    return Err(if names.is_empty() {
                        format!("--step {name}=...: the steps have no parameters (no .log with .step lines)")
                    } else {
                        format!(
                            "--step {name}=...: the steps' parameters are {}",
                            names.join(", ")
                        )
                    });
                }
                if !any {
                    values.dedup();
                    let shown: Vec<String> = values.iter().map(|x| format!("{x}")).collect();
                    return Err(format!(
                        "--step {name}={v}: no step has that value ({name} takes {})",
                        shown.join(", ")
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// A window on the scale: `--from T --to T` (either may be missing).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Window {
    /// Start (inclusive).
    pub from: Option<f64>,
    /// End (inclusive).
    pub to: Option<f64>,
}

impl Window {
    /// True when neither end is set.
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// True when scale value `x` lies in the window.
    pub fn contains(&self, x: f64) -> bool {
        self.from.is_none_or(|f| x >= f) && self.to.is_none_or(|t| x <= t)
    }
}

/// The point ranges of `plot` to read: for each of `steps`, the points of
/// that step whose scale value lies in `window` (one scan of the scale
/// column; the scale is monotonic within a step, so the points form one
/// run). Returns (step, range) pairs; a step with no point in the window
/// is left out.
pub fn window_ranges(
    plot: &raw_stream::PlotRef,
    steps: &waveform::Steps,
    which: &[usize],
    window: Window,
) -> Result<Vec<(usize, std::ops::Range<u64>)>, raw_stream::RawError> {
    let mut out = Vec::new();
    for &s in which {
        let Some(range) = steps.range(s) else {
            continue;
        };
        if window.is_all() {
            out.push((s, range));
            continue;
        }
        let mut first: Option<u64> = None;
        let mut last = 0u64;
        let mut it = plot.chunks_in(range, 1 << 15, Some(vec![0]));
        let mut chunk = raw_stream::Chunk::default();
        while it.fill(&mut chunk)? {
            let Some(col) = chunk.columns.first() else {
                break;
            };
            for i in 0..chunk.len {
                let x = col.get_complex(i).map_or(f64::NAN, |z| z.re);
                if window.contains(x) {
                    let p = chunk.start + i as u64;
                    first.get_or_insert(p);
                    last = p;
                }
            }
        }
        if let Some(f) = first {
            out.push((s, f..last + 1));
        }
    }
    Ok(out)
}

/// The value of every column of `vars` at scale value `at` within `range`
/// (a step), interpolated linearly between the two points around it
/// (complex: by magnitude); `None` where `at` is outside the range's scale.
pub fn values_at(
    plot: &raw_stream::PlotRef,
    range: std::ops::Range<u64>,
    vars: &[usize],
    at: f64,
) -> Result<Vec<Option<f64>>, raw_stream::RawError> {
    let mut cols = vec![0];
    cols.extend(vars.iter().copied().filter(|&v| v != 0));
    let val = |c: &waveform::Column, i: usize| {
        c.get_complex(i).map_or(f64::NAN, |z| {
            if c.value_type().is_complex() {
                z.re.hypot(z.im)
            } else {
                z.re
            }
        })
    };
    let mut prev: Option<(f64, Vec<f64>)> = None;
    let mut it = plot.chunks_in(range, 1 << 15, Some(cols));
    let mut chunk = raw_stream::Chunk::default();
    while it.fill(&mut chunk)? {
        for i in 0..chunk.len {
            let x = chunk.columns[0].get_complex(i).map_or(f64::NAN, |z| z.re);
            let now: Vec<f64> = vars.iter().map(|&v| val(&chunk.columns[v], i)).collect();
            if let Some((x0, v0)) = &prev {
                let (lo, hi) = if x0 <= &x { (*x0, x) } else { (x, *x0) };
                if at >= lo && at <= hi {
                    let f = if x == *x0 { 0.0 } else { (at - x0) / (x - x0) };
                    return Ok(v0
                        .iter()
                        .zip(&now)
                        .map(|(a, b)| Some(a + (b - a) * f))
                        .collect());
                }
            } else if x == at {
                return Ok(now.into_iter().map(Some).collect());
            }
            prev = Some((x, now));
        }
    }
    Ok(vec![None; vars.len()])
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
