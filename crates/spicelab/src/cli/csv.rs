//! CSV text of plots: one header row, one row per point, values exact.
//! Used by `export` (streaming chunks of a RAW file) and `cache get`
//! (a plot held by the cache).

use spicelab::ac::{ComplexForm, Unwrap};
use std::fmt::Write as _;
use waveform::Column;

/// Shortest text that reads back to the same f64: the one float-to-text
/// helper, shared with the RAW writer ([`raw_stream::float_text`]).
pub fn fmt_f64(x: f64, out: &mut String) {
    raw_stream::float_text::push_f64(x, out);
}

/// Shortest text that reads back to the same f32.
fn fmt_f32(x: f32, out: &mut String) {
    raw_stream::float_text::push_f32(x, out);
}

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The column names of the CSV: `step` first when stepped, then each
/// selected variable, a complex one as `re(NAME)` and `im(NAME)`.
pub fn column_names(names: impl IntoIterator<Item = (String, bool)>, stepped: bool) -> Vec<String> {
    column_names_as(names, stepped, ComplexForm::ReIm)
}

/// [`column_names`] with complex vectors in `form` (`db(v)`, `ph(v)`, ...).
pub fn column_names_as(
    names: impl IntoIterator<Item = (String, bool)>,
    stepped: bool,
    form: ComplexForm,
) -> Vec<String> {
    let mut out = Vec::new();
    if stepped {
        out.push("step".to_string());
    }
    for (name, complex) in names {
        if complex {
            out.extend(form.names(&name));
        } else {
            out.push(name);
        }
    }
    out
}

/// The first columns of a stepped plot: `step`, then one column per step
/// parameter (the names of the `.log`'s `.step` lines, or QSPICE's stepped
/// parameter), each step's values beside its number.
#[derive(Debug, Clone, Default)]
pub struct StepColumns {
    /// The parameter names, as the steps give them.
    params: Vec<String>,
}

impl StepColumns {
    /// The step columns of `steps`; `None` when the plot is not stepped.
    pub fn of(steps: &waveform::Steps) -> Option<StepColumns> {
        if steps.count() <= 1 {
            return None;
        }
        let mut params: Vec<String> = Vec::new();
        for (name, _) in steps.params.iter().flatten() {
            if !params.iter().any(|p| p.eq_ignore_ascii_case(name)) {
                params.push(name.clone());
            }
        }
        Some(StepColumns { params })
    }

    /// The column names: `step` and the parameters. A parameter whose name
    /// is also one of `others` (a vector) is written `param(NAME)`.
    pub fn names(&self, others: &[String]) -> Vec<String> {
        let mut out = vec!["step".to_string()];
        for p in &self.params {
            let clash =
                p.eq_ignore_ascii_case("step") || others.iter().any(|o| o.eq_ignore_ascii_case(p));
            out.push(if clash {
                format!("param({p})")
            } else {
                p.clone()
            });
        }
        out
    }

    /// The text that starts every row of step `k`: its number and its
    /// parameters' values (shortest exact text; empty where the step lacks
    /// one), each followed by a comma.
    pub fn prefix(&self, steps: &waveform::Steps, k: usize) -> String {
        let mut out = format!("{k},");
        let values = steps.params.get(k);
        for p in &self.params {
            let v = values.and_then(|v| v.iter().find(|(n, _)| n.eq_ignore_ascii_case(p)));
            if let Some((_, x)) = v {
                fmt_f64(*x, &mut out);
            }
            out.push(',');
        }
        out
    }
}

/// The header row (with its line end).
pub fn header_line(names: &[String]) -> String {
    let mut line = names.iter().map(|n| field(n)).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

/// Appends the row of point `i` of `columns` (indexed by variable; only
/// those in `vars` are read), with its step number first when given.
pub fn push_row(
    line: &mut String,
    columns: &[Column],
    vars: &[usize],
    i: usize,
    step: Option<usize>,
) {
    push_row_as(line, columns, vars, i, step, ComplexForm::ReIm, &mut []);
}

/// [`push_row`] with complex vectors in `form`; `unwrap` holds one phase
/// state per entry of `vars` (used by the forms with a phase; may be empty
/// for [`ComplexForm::ReIm`]).
pub fn push_row_as(
    line: &mut String,
    columns: &[Column],
    vars: &[usize],
    i: usize,
    step: Option<usize>,
    form: ComplexForm,
    unwrap: &mut [Unwrap],
) {
    if let Some(s) = step {
        let _ = write!(line, "{s},");
    }
    for (k, &v) in vars.iter().enumerate() {
        if k > 0 {
            line.push(',');
        }
        match &columns[v] {
            c @ (Column::C64(_) | Column::C32(_)) => {
                let z = c.get_complex(i).unwrap_or_default();
                let mut spare = Unwrap::default();
                let u = unwrap.get_mut(k).unwrap_or(&mut spare);
                let [a, b] = form.values(z, u);
                fmt_f64(a, line);
                line.push(',');
                fmt_f64(b, line);
            }
            // f32 printed as f32 text: reads back to the same f32 bits
            Column::F32(c) => fmt_f32(c[i], line),
            col => fmt_f64(col.get_f64(i).unwrap_or(f64::NAN), line),
        }
    }
    line.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_exact_and_complex_splits_in_two() {
        let cols = vec![
            Column::F64(vec![0.1, 1e-300]),
            Column::F32(vec![0.1f32, f32::NAN]),
            Column::C64(vec![
                waveform::Complex64 { re: 1.5, im: -0.0 },
                waveform::Complex64 {
                    re: f64::INFINITY,
                    im: f64::NEG_INFINITY,
                },
            ]),
        ];
        let mut line = String::new();
        push_row(&mut line, &cols, &[0, 1, 2], 0, None);
        push_row(&mut line, &cols, &[0, 2], 1, Some(3));
        assert_eq!(line, "0.1,0.1,1.5,-0.0\n3,1e-300,inf,-inf\n");
        let names = column_names([("time".into(), false), ("v(a,b)".into(), true)], true);
        assert_eq!(
            header_line(&names),
            "step,time,\"re(v(a,b))\",\"im(v(a,b))\"\n"
        );
    }

    #[test]
    fn step_columns_name_parameters_and_fill_each_step() {
        assert!(StepColumns::of(&waveform::Steps::single(5)).is_none());
        let steps = waveform::Steps {
            starts: vec![0, 2, 4],
            total: 6,
            params: vec![
                vec![("r1".into(), 1000.0), ("vin".into(), 0.1)],
                vec![("r1".into(), 1e4), ("vin".into(), 1.0)],
                vec![("r1".into(), 1e5)],
            ],
        };
        let sc = StepColumns::of(&steps).unwrap();
        assert_eq!(
            sc.names(&["time".into(), "VIN".into()]),
            ["step", "r1", "param(vin)"]
        );
        assert_eq!(sc.prefix(&steps, 0), "0,1000.0,0.1,");
        assert_eq!(sc.prefix(&steps, 1), "1,10000.0,1.0,");
        // a step without a parameter leaves its field empty
        assert_eq!(sc.prefix(&steps, 2), "2,100000.0,,");
    }
}
