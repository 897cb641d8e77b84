//! Campaign files: one TOML file that describes many simulations of one
//! netlist (sweeps, corners, temperatures, Monte Carlo), the measures taken
//! from each result and the spec limits they are held to.
//!
//! [`Campaign::load`] reads and checks a file (every error names the file,
//! the line and the key); [`Campaign::check_netlist`] checks the netlist
//! against the campaign's parameters; [`Campaign::jobs`] expands the jobs in
//! their fixed order. The file format, the Monte Carlo formulas and the
//! expansion order are documented in `docs/campaign.md`.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use spicelab::campaign::Campaign;
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("rc.cir"), "rc\nR1 in out {rload}\n.end\n")?;
//! let file = dir.path().join("rc.toml");
//! std::fs::write(&file, r#"
//! [campaign]
//! netlist = "rc.cir"
//! temperature = [27, 85]
//! [sweep]
//! rload = ["1k", "10k"]
//! "#)?;
//! let c = Campaign::load(&file)?;
//! c.check_netlist()?;
//! let jobs = c.jobs();
//! assert_eq!(jobs.len(), 4);
//! assert_eq!(jobs[1].netlist_params, vec![("rload".to_string(), "1k".to_string())]);
//! assert_eq!(jobs[1].temperature, Some(85.0));
//! # Ok(()) }
//! ```

mod error;
mod mc;
mod parse;
mod tree;

use std::path::{Path, PathBuf};
use std::time::Duration;

use waveform::ParamValue;

pub use error::CampaignError;
pub use parse::parse_duration;

use crate::measure::MeasureSpec;
use crate::spec::Spec;

/// The simulators a campaign may name.
pub const SIMULATORS: &[&str] = &["ngspice", "xyce", "ltspice"];

/// The parameter names a job's [`JobParams::params`] uses for itself; no
/// campaign parameter may take one of them.
pub const RESERVED_NAMES: &[&str] = &["corner", "temp", "mc_run"];

/// A campaign file, read and checked.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// `[campaign] name`; default: the file's stem.
    pub name: String,
    /// The campaign file path as given.
    pub file: PathBuf,
    /// Its directory: relative paths in the file resolve here.
    pub root: PathBuf,
    /// The netlist: `root.join(netlist)`. It exists (checked when read).
    pub netlist: PathBuf,
    /// `ngspice` (default), `xyce` or `ltspice`, lowercase.
    pub simulator: String,
    /// The temperatures (°C); empty: not given. A scalar becomes one element.
    pub temperature: Vec<f64>,
    /// The vectors to keep; empty: all.
    pub save: Vec<String>,
    /// The per-job timeout, when given.
    pub timeout: Option<Duration>,
    /// `[sweep]`, in file order.
    pub sweep: Vec<SweepParam>,
    /// `[corners]`, in file order.
    pub corners: Vec<Corner>,
    /// `[montecarlo]`, when given.
    pub montecarlo: Option<MonteCarlo>,
    /// `[measure]`, in file order (spectral ones included, as
    /// [`crate::measure::MeasureKind::Spectral`]).
    pub measures: Vec<MeasureSpec>,
    /// `[spec]`, in file order.
    pub specs: Vec<Spec>,
    /// `[outputs]`.
    pub outputs: Outputs,
    /// Where each campaign parameter was given, for messages.
    origins: Vec<Origin>,
    /// The line of `[campaign] netlist`.
    netlist_line: usize,
}

/// Where a parameter was given in the file.
#[derive(Debug, Clone)]
struct Origin {
    name: String,
    line: usize,
    key: String,
}

/// One swept parameter (`[sweep]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepParam {
    /// The parameter name.
    pub name: String,
    /// (text passed to the netlist, value), in order.
    pub values: Vec<(String, f64)>,
}

/// One named corner (`[corners]`): a set of parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Corner {
    /// The corner's name.
    pub name: String,
    /// (name, text passed to the netlist, value), in file order.
    pub params: Vec<(String, String, f64)>,
}

/// `[montecarlo]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MonteCarlo {
    /// Number of runs (at least 1).
    pub runs: u64,
    /// The seed (default 0).
    pub seed: u64,
    /// The varied parameters, in file order.
    pub params: Vec<McParam>,
}

/// One Monte Carlo parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct McParam {
    /// The parameter name.
    pub name: String,
    /// The distribution.
    pub dist: Dist,
    /// The nominal value.
    pub nominal: f64,
    /// The device tolerance, a fraction (`"5%"` is 0.05), at least 0.
    pub tol: f64,
    /// For [`Dist::Gauss`]: `tol` (and `lot_tol`) is this many standard
    /// deviations (default 3). For [`Dist::Uniform`] it is not used (1).
    pub sigma: f64,
    /// The lot this parameter shares a draw with, when given.
    pub lot: Option<String>,
    /// The lot tolerance, a fraction (0 when no lot).
    pub lot_tol: f64,
}

/// A Monte Carlo distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dist {
    /// Normal: `tol` is `sigma` standard deviations.
    Gauss,
    /// Uniform in `nominal * (1 ± tol)`.
    Uniform,
}

/// `[outputs]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outputs {
    /// The HDF5 file, resolved against the campaign's root.
    pub hdf5: Option<PathBuf>,
    /// `resample = { points = N }`: a common grid for transient results.
    pub resample_points: Option<usize>,
}

/// One job of a campaign, as [`Campaign::jobs`] expands it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobParams {
    /// 0-based job number in expansion order.
    pub index: usize,
    /// Everything that identifies the job, for metadata and JSON, in this
    /// order: the sweep parameters (numbers), `corner` (its name, text) and
    /// the corner's parameters (numbers), `temp` (number), the Monte Carlo
    /// parameters (numbers), `mc_run` (number). Dimensions the campaign does
    /// not have are left out.
    pub params: Vec<(String, ParamValue)>,
    /// What goes into the `.param name=value` lines: the sweep, corner and
    /// Monte Carlo parameters only, in that order, as text.
    pub netlist_params: Vec<(String, String)>,
    /// The temperature, when the campaign gives temperatures.
    pub temperature: Option<f64>,
    /// The corner's name, when the campaign has corners.
    pub corner: Option<String>,
    /// The Monte Carlo run, when the campaign has `[montecarlo]`.
    pub mc_run: Option<u64>,
}

impl Campaign {
    /// Reads and checks a campaign file (not yet against the netlist's
    /// text: see [`Campaign::check_netlist`], or [`Campaign::load_checked`]
    /// for both).
    pub fn load(path: &Path) -> Result<Campaign, CampaignError> {
        // only a regular file of bounded size (a FIFO or /dev/zero is refused)
        let text = incremental::read_netlist_file(path)
            .and_then(|b| {
                String::from_utf8(b).map_err(|e| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())
                })
            })
            .map_err(|source| CampaignError::Read {
                file: path.to_path_buf(),
                source,
            })?;
        Campaign::parse(&text, path)
    }

    /// [`Campaign::load`] then [`Campaign::check_netlist`].
    pub fn load_checked(path: &Path) -> Result<Campaign, CampaignError> {
        let c = Campaign::load(path)?;
        c.check_netlist()?;
        Ok(c)
    }

    /// Checks a campaign file's text; `path` names the file in messages and
    /// its directory is the root relative paths resolve against (the
    /// netlist must exist there).
    pub fn parse(text: &str, path: &Path) -> Result<Campaign, CampaignError> {
        parse::parse(text, path)
    }

    /// The number of jobs: the product of the sweep list lengths, the
    /// number of corners, of temperatures and of Monte Carlo runs (each
    /// dimension the campaign does not have counts 1). Saturates at
    /// `usize::MAX`.
    pub fn job_count(&self) -> usize {
        self.dims()
            .iter()
            .fold(1usize, |acc, &n| acc.saturating_mul(n))
    }

    /// The sizes of the dimensions, outermost first: each sweep parameter,
    /// corners, temperatures, Monte Carlo runs.
    fn dims(&self) -> Vec<usize> {
        let mut d: Vec<usize> = self.sweep.iter().map(|s| s.values.len()).collect();
        d.push(self.corners.len().max(1));
        d.push(self.temperature.len().max(1));
        d.push(
            self.montecarlo
                .as_ref()
                .map_or(1, |m| usize::try_from(m.runs).unwrap_or(usize::MAX)),
        );
        d
    }

    /// Every job, in the fixed expansion order: the cartesian product of
    /// the sweep parameters (the first key outermost) x corners x
    /// temperatures x Monte Carlo runs (innermost). The same file always
    /// gives the same jobs with the same numbers.
    pub fn jobs(&self) -> Vec<JobParams> {
        (0..self.job_count()).filter_map(|i| self.job(i)).collect()
    }

    /// Job `index` of [`Campaign::jobs`], without expanding the others;
    /// `None` past the end.
    pub fn job(&self, index: usize) -> Option<JobParams> {
        if index >= self.job_count() {
            return None;
        }
        let dims = self.dims();
        let mut digits = vec![0usize; dims.len()];
        let mut rest = index;
        for (d, &n) in digits.iter_mut().zip(&dims).rev() {
            *d = rest % n;
            rest /= n;
        }
        let ns = self.sweep.len();
        let mut params = Vec::new();
        let mut netlist_params = Vec::new();
        for (s, &i) in self.sweep.iter().zip(&digits[..ns]) {
            let (text, value) = s.values.get(i)?;
            params.push((s.name.clone(), ParamValue::Number(*value)));
            netlist_params.push((s.name.clone(), text.clone()));
        }
        let mut corner = None;
        if let Some(c) = self.corners.get(digits[ns]) {
            params.push(("corner".to_owned(), ParamValue::Text(c.name.clone())));
            for (name, text, value) in &c.params {
                params.push((name.clone(), ParamValue::Number(*value)));
                netlist_params.push((name.clone(), text.clone()));
            }
            corner = Some(c.name.clone());
        }
        let temperature = self.temperature.get(digits[ns + 1]).copied();
        if let Some(t) = temperature {
            params.push(("temp".to_owned(), ParamValue::Number(t)));
        }
        let mut mc_run = None;
        if let Some(mc) = &self.montecarlo {
            let run = digits[ns + 2] as u64;
            for (name, value) in mc.draw(run) {
                params.push((name.clone(), ParamValue::Number(value)));
                netlist_params.push((name, spice_text(value)));
            }
            params.push(("mc_run".to_owned(), ParamValue::Number(run as f64)));
            mc_run = Some(run);
        }
        Some(JobParams {
            index,
            params,
            netlist_params,
            temperature,
            corner,
            mc_run,
        })
    }

    /// Checks the netlist against the campaign: every campaign parameter
    /// (sweep, every corner's, Monte Carlo) must be used by the netlist or
    /// a file it includes, every include must resolve, the netlist must be
    /// readable. Runs the parameters (each with its first value) through
    /// [`incremental::job`], simulator version `?`. Errors name the
    /// campaign file and the line and key of the parameter (or of
    /// `[campaign] netlist`).
    pub fn check_netlist(&self) -> Result<(), CampaignError> {
        let mut named: Vec<(String, String)> = Vec::new();
        for s in &self.sweep {
            if let Some((text, _)) = s.values.first() {
                named.push((s.name.clone(), text.clone()));
            }
        }
        for c in &self.corners {
            for (name, text, _) in &c.params {
                if !named.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    named.push((name.clone(), text.clone()));
                }
            }
        }
        if let Some(mc) = &self.montecarlo {
            for p in &mc.params {
                named.push((p.name.clone(), spice_text(p.nominal)));
            }
        }
        let params: Vec<(&str, &str)> = named
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let sim = incremental::Simulator::new(self.simulator.clone(), "?");
        let spec = incremental::JobSpec {
            netlist_path: &self.netlist,
            root: &self.root,
            params: &params,
            simulator: &sim,
            analysis: "",
            save: &self.save,
            cache_format: 0,
        };
        match incremental::job(&spec) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.netlist_error(e)),
        }
    }

    /// Where a campaign parameter (sweep, corner or Monte Carlo) is given:
    /// (1-based line, key as `[sweep] rload`), for messages about it;
    /// names compare ASCII case-insensitively. `None` for other names.
    pub fn param_origin(&self, name: &str) -> Option<(usize, &str)> {
        self.origins
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
            .map(|o| (o.line, o.key.as_str()))
    }

    fn netlist_error(&self, e: incremental::JobError) -> CampaignError {
        use incremental::{JobError, SubstError};
        let param = match &e {
            JobError::Subst { source, .. } => match source {
                SubstError::UnusedParameter { name }
                | SubstError::Duplicate { name }
                | SubstError::BadName { name }
                | SubstError::UnreadableParam { name, .. } => Some(name.clone()),
            },
            _ => None,
        };
        let origin = param.and_then(|name| {
            self.origins
                .iter()
                .find(|o| o.name.eq_ignore_ascii_case(&name))
        });
        let (line, key) = match origin {
            Some(o) => (o.line, o.key.clone()),
            None => (self.netlist_line, "[campaign] netlist".to_owned()),
        };
        CampaignError::Netlist {
            file: self.file.clone(),
            line,
            key,
            message: e.to_string(),
        }
    }
}

/// A number as text the simulator reads back to the same double: the
/// shortest round-trip form, plain for magnitudes in [1e-3, 1e6)
/// (`1043.2`, `0.5`), exponent form otherwise (`1e-9`, `4.7e-12`).
pub fn spice_text(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    if (1e-3..1e6).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// `x` rounded to 12 significant digits (decimal), so values computed with
/// different libms give the same text and value.
pub fn round12(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{x:.11e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests;
