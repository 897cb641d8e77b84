//! Plots that are the steps of one swept analysis.
//!
//! LTspice writes a `.step` run as one plot whose data restart at each step
//! ([`crate::PlotRef::steps`]). Xyce writes each step of a `.STEP` as a plot
//! of its own, the step visible only in the plot's name:
//!
//! ```text
//! Plotname: Step Analysis: Step 2 of 3 params:  name = TEMP value = 27  AC Analysis
//! ```
//!
//! [`RawFile::plot_groups`] puts such plots back together: one
//! [`PlotGroup`] per analysis, its plots in step order, with the step
//! parameters read from the names. Plots of an `.op` run beside an `.ac`
//! (Xyce writes a `DC operating point` plot before each step's AC plot) form
//! a group of their own.
//!
//! ```
//! use raw_stream::groups::XyceStep;
//!
//! let s = XyceStep::parse(
//!     "Step Analysis: Step 2 of 3 params:  name = TEMP value = 27  AC Analysis",
//! )
//! .unwrap();
//! assert_eq!((s.step, s.of), (2, 3));
//! assert_eq!(s.params, vec![("TEMP".to_string(), 27.0)]);
//! assert_eq!(s.analysis, "AC Analysis");
//! ```

use crate::open::RawFile;

/// What the name of one of Xyce's `.STEP` plots says.
#[derive(Debug, Clone, PartialEq)]
pub struct XyceStep {
    /// The step's number, from 1.
    pub step: usize,
    /// How many steps the run has.
    pub of: usize,
    /// The stepped parameters and their values in this step, in the order written.
    pub params: Vec<(String, f64)>,
    /// The name of the analysis (`AC Analysis`, `Transient Analysis`, ...).
    pub analysis: String,
}

impl XyceStep {
    /// Reads a plot name of the form `Step Analysis: Step K of N params:
    /// name = P value = V [name = Q value = W ...] ANALYSIS`; `None` when the
    /// name is not of that form (K from 1 to N, every value a number).
    pub fn parse(plotname: &str) -> Option<XyceStep> {
        let rest = plotname.trim().strip_prefix("Step Analysis:")?.trim_start();
        let rest = rest.strip_prefix("Step")?;
        let mut words = rest.split_whitespace().peekable();
        let step: usize = words.next()?.parse().ok()?;
        if words.next()? != "of" {
            return None;
        }
        let of: usize = words.next()?.parse().ok()?;
        if step == 0 || step > of {
            return None;
        }
        if words.next()? != "params:" {
            return None;
        }
        let mut params = Vec::new();
        while words.peek() == Some(&"name") {
            words.next();
            if words.next()? != "=" {
                return None;
            }
            let name = words.next()?.to_string();
            if words.next()? != "value" || words.next()? != "=" {
                return None;
            }
            let text = words.next()?;
            let value = text
                .parse::<f64>()
                .ok()
                .or_else(|| waveform::units::parse_spice_number(text))?;
            params.push((name, value));
        }
        let analysis = words.collect::<Vec<_>>().join(" ");
        if params.is_empty() || analysis.is_empty() {
            return None;
        }
        Some(XyceStep {
            step,
            of,
            params,
            analysis,
        })
    }
}

/// Plots of a file shown as one: the steps of a swept analysis written as
/// separate plots (Xyce `.STEP`), or a single plot.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotGroup {
    /// The analysis: the plot's name, without the step prefix for a group of steps.
    pub name: String,
    /// The plots, in step order (one for a plot that is not part of a group).
    pub plots: Vec<usize>,
    /// Per plot (step), the stepped parameters; empty for a single plot.
    pub params: Vec<Vec<(String, f64)>>,
}

impl PlotGroup {
    /// Whether the group holds the steps of a run written as several plots.
    pub fn is_stepped(&self) -> bool {
        !self.params.is_empty()
    }

    /// The group's first plot (its index in [`RawFile::plots`]).
    pub fn first(&self) -> usize {
        self.plots[0]
    }
}

impl RawFile {
    /// The plots of the file, with the steps of a run that Xyce wrote as
    /// separate plots (`Step Analysis: Step K of N ...`) gathered into one
    /// group each, in step order; every other plot is a group of its own.
    /// Groups are in the order of their first plots.
    ///
    /// Plots join a group only when their names agree on the analysis and
    /// the number of steps, their steps come in order from 1 without gaps
    /// and their variables have the same names and types as the first's;
    /// a file cut short gives a group of the steps it holds. Anything else
    /// (a repeated step, a step out of order) leaves those plots apart, and
    /// a step that would be alone in its group stays a plot as written.
    pub fn plot_groups(&self) -> Vec<PlotGroup> {
        let plots = self.plots();
        let mut groups: Vec<PlotGroup> = Vec::new();
        // Per group, the (analysis, step count) it is still taking steps under.
        let mut open: Vec<Option<(String, usize)>> = Vec::new();
        for (i, info) in plots.iter().enumerate() {
            let single = |groups: &mut Vec<PlotGroup>, open: &mut Vec<Option<(String, usize)>>| {
                groups.push(PlotGroup {
                    name: info.header.plotname.clone(),
                    plots: vec![i],
                    params: Vec::new(),
                });
                open.push(None);
            };
            let Some(s) = XyceStep::parse(&info.header.plotname) else {
                single(&mut groups, &mut open);
                continue;
            };
            let key = (s.analysis.clone(), s.of);
            let same_vars = |g: &PlotGroup| {
                let a = &plots[g.first()].header.variables;
                let b = &info.header.variables;
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| x.name == y.name && x.type_name == y.type_name)
            };
            let names = |g: &PlotGroup| {
                g.params[0]
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .eq(s.params.iter().map(|(n, _)| n.as_str()))
            };
            let at = open.iter().position(|k| k.as_ref() == Some(&key));
            match at {
                Some(g)
                    if groups[g].plots.len() + 1 == s.step
                        && same_vars(&groups[g])
                        && names(&groups[g]) =>
                {
                    groups[g].plots.push(i);
                    groups[g].params.push(s.params);
                    if s.step == s.of {
                        open[g] = None;
                    }
                }
                _ => {
                    if let Some(g) = at {
                        // does not follow: the open group stays as it is
                        open[g] = None;
                    }
                    if s.step == 1 {
                        groups.push(PlotGroup {
                            name: s.analysis,
                            plots: vec![i],
                            params: vec![s.params],
                        });
                        open.push((s.of > 1).then_some(key));
                    } else {
                        tracing::warn!(
                            "{}: plot {i} is step {} of {} of {:?} but does not follow a step {}: shown on its own",
                            self.path().display(),
                            s.step,
                            s.of,
                            s.analysis,
                            s.step - 1
                        );
                        single(&mut groups, &mut open);
                    }
                }
            }
        }
        for g in &mut groups {
            let Some(s) = XyceStep::parse(&plots[g.first()].header.plotname) else {
                continue;
            };
            if g.plots.len() == 1 {
                // one step alone is shown as written
                g.name = plots[g.first()].header.plotname.clone();
                g.params.clear();
            } else if g.plots.len() < s.of {
                tracing::warn!(
                    "{}: {:?} holds {} of its {} steps",
                    self.path().display(),
                    g.name,
                    g.plots.len(),
                    s.of
                );
            }
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_one_and_several_parameters() {
        let s = XyceStep::parse(
            "Step Analysis: Step 1 of 3 params:  name = TEMP value = -10  DC operating point",
        )
        .unwrap();
        assert_eq!(s.step, 1);
        assert_eq!(s.of, 3);
        assert_eq!(s.params, vec![("TEMP".to_string(), -10.0)]);
        assert_eq!(s.analysis, "DC operating point");
        let s = XyceStep::parse(
            "Step Analysis: Step 4 of 6 params:  name = R1 value = 1.5e3  name = C1:C value = 2e-9  Transient Analysis",
        )
        .unwrap();
        assert_eq!(
            s.params,
            vec![("R1".to_string(), 1500.0), ("C1:C".to_string(), 2e-9)]
        );
        assert_eq!(s.analysis, "Transient Analysis");
    }

    #[test]
    fn rejects_other_names() {
        for name in [
            "AC Analysis",
            "Step Analysis: Step 0 of 3 params:  name = T value = 1  AC Analysis",
            "Step Analysis: Step 4 of 3 params:  name = T value = 1  AC Analysis",
            "Step Analysis: Step 1 of 3 params:  name = T value = x  AC Analysis",
            "Step Analysis: Step 1 of 3 params:  AC Analysis",
            "Step Analysis: Step 1 of 3 params:  name = T value = 1",
            "Step Analysis: Step 1 to 3 params:  name = T value = 1  AC Analysis",
            "Step Analysis: Step",
            "",
        ] {
            assert_eq!(XyceStep::parse(name), None, "{name:?}");
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any name written as Xyce writes it reads back to what was written.
        #[test]
        fn names_read_back(
            of in 1usize..500,
            k in 0usize..500,
            params in proptest::collection::vec(("[A-Za-z][A-Za-z0-9_:]{0,8}", -1e12f64..1e12), 1..4),
            analysis in "(AC|Transient|DC|Noise) Analysis|DC operating point",
        ) {
            let step = k % of + 1;
            let mut name = format!("Step Analysis: Step {step} of {of} params: ");
            for (n, v) in &params {
                name.push_str(&format!(" name = {n} value = {v:e} "));
            }
            name.push_str(&analysis);
            let s = XyceStep::parse(&name).unwrap();
            prop_assert_eq!(s.step, step);
            prop_assert_eq!(s.of, of);
            prop_assert_eq!(s.params, params);
            prop_assert_eq!(s.analysis, analysis);
        }

        /// Arbitrary text never panics, and what parses is well formed.
        #[test]
        fn any_text_is_safe(text in "(Step Analysis: Step [0-9 ]{0,6}of [0-9]{0,3} params: )?[ -~]{0,80}") {
            if let Some(s) = XyceStep::parse(&text) {
                prop_assert!(s.step >= 1 && s.step <= s.of);
                prop_assert!(!s.params.is_empty() && !s.analysis.is_empty());
            }
        }
    }
}
