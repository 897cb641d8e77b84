//! Job identity and its key.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::canon::canonicalise_netlist;
use crate::include::{resolve_includes, Include, IncludeError};
use crate::subst::{substitute_checked, SubstError};

/// The version of the key serialisation ([`JobIdentity::key`]). Bumped when
/// the serialisation or the canonicalisation rules change, so old keys are
/// never matched by new ones that mean something else.
pub const KEY_VERSION: u32 = 1;

/// The simulator a job runs on, as asked once per campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Simulator {
    /// `ngspice`, `xyce`, `ltspice`.
    pub name: String,
    /// The version the simulator reported (`39`).
    pub version: String,
}

impl Simulator {
    /// A simulator from name and version.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Simulator {
        Simulator {
            name: name.into(),
            version: version.into(),
        }
    }
}

impl std::fmt::Display for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.name, self.version)
    }
}

/// Everything that decides a job's result, and nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobIdentity {
    /// The netlist after parameter substitution, canonical, title left out
    /// ([`crate::Canonical::body`]).
    pub netlist: String,
    /// The campaign parameters of this job, in the campaign's order.
    pub params: Vec<(String, String)>,
    /// Every included file or `.lib` section reached: (logical name, sha256
    /// of its canonical content), in the order first reached.
    pub includes: Vec<(String, String)>,
    /// The simulator's name and version.
    pub simulator: Simulator,
    /// The analysis settings, opaque (as the campaign runner spells them).
    pub analysis: String,
    /// The save list, opaque strings, in order.
    pub save: Vec<String>,
    /// The result cache's format version.
    pub cache_format: u32,
}

fn field(out: &mut Vec<u8>, tag: &str, value: &[u8]) {
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(format!(" {}:", value.len()).as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

impl JobIdentity {
    /// The bytes the key is the hash of (serialisation version
    /// [`KEY_VERSION`]): the line `spicelab-job-key v1`, then one field per
    /// line as `TAG LEN:BYTES` (LEN the decimal byte length, so no value can
    /// be mistaken for another): `netlist`; `params` (the count) then
    /// `param.name`, `param.value` per parameter; `includes` (the count) then
    /// `include.name`, `include.sha256` each; `simulator.name`,
    /// `simulator.version`; `analysis`; `save` (the count) then `save.item`
    /// each; `cache_format` (decimal).
    pub fn serialise(&self) -> Vec<u8> {
        let mut out = format!("spicelab-job-key v{KEY_VERSION}\n").into_bytes();
        field(&mut out, "netlist", self.netlist.as_bytes());
        field(&mut out, "params", self.params.len().to_string().as_bytes());
        for (n, v) in &self.params {
            field(&mut out, "param.name", n.as_bytes());
            field(&mut out, "param.value", v.as_bytes());
        }
        field(
            &mut out,
            "includes",
            self.includes.len().to_string().as_bytes(),
        );
        for (n, h) in &self.includes {
            field(&mut out, "include.name", n.as_bytes());
            field(&mut out, "include.sha256", h.as_bytes());
        }
        field(&mut out, "simulator.name", self.simulator.name.as_bytes());
        field(
            &mut out,
            "simulator.version",
            self.simulator.version.as_bytes(),
        );
        field(&mut out, "analysis", self.analysis.as_bytes());
        field(&mut out, "save", self.save.len().to_string().as_bytes());
        for s in &self.save {
            field(&mut out, "save.item", s.as_bytes());
        }
        field(
            &mut out,
            "cache_format",
            self.cache_format.to_string().as_bytes(),
        );
        out
    }

    /// The job's key: lowercase hex sha256 of [`JobIdentity::serialise`].
    pub fn key(&self) -> String {
        crate::sha256_hex(&self.serialise())
    }

    /// Lowercase hex sha256 of the canonical netlist (after substitution).
    pub fn netlist_sha256(&self) -> String {
        crate::sha256_hex(self.netlist.as_bytes())
    }

    /// Lowercase hex sha256 over the analysis and save settings.
    pub fn settings_sha256(&self) -> String {
        let mut out = Vec::new();
        field(&mut out, "analysis", self.analysis.as_bytes());
        for s in &self.save {
            field(&mut out, "save.item", s.as_bytes());
        }
        crate::sha256_hex(&out)
    }
}

/// What the campaign runner needs besides the netlist to build a job.
#[derive(Clone, Debug)]
pub struct JobSpec<'a> {
    /// The netlist file (its directory anchors relative includes).
    pub netlist_path: &'a Path,
    /// The campaign directory: logical include names are relative to it.
    pub root: &'a Path,
    /// The job's parameters.
    pub params: &'a [(&'a str, &'a str)],
    /// The simulator.
    pub simulator: &'a Simulator,
    /// Analysis settings, opaque.
    pub analysis: &'a str,
    /// Save list, opaque.
    pub save: &'a [String],
    /// The cache format version.
    pub cache_format: u32,
}

/// A job ready to run: the netlist text to give the simulator, its identity
/// and the includes it reaches.
#[derive(Clone, Debug)]
pub struct Job {
    /// The substituted netlist (the user's text with `.param` lines
    /// inserted; comments kept).
    pub text: String,
    /// The identity; `identity.key()` is the cache key.
    pub identity: JobIdentity,
    /// The files reached, with their paths on this machine.
    pub includes: Vec<Include>,
}

/// Why a job could not be built.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The netlist file could not be read.
    #[error("cannot read netlist {path}: {source}", path = .path.display())]
    Read {
        /// The netlist path.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An include could not be resolved.
    #[error(transparent)]
    Include(#[from] IncludeError),
    /// The parameters could not be substituted.
    #[error("{path}: {source}", path = .path.display())]
    Subst {
        /// The netlist path.
        path: std::path::PathBuf,
        /// What went wrong.
        source: SubstError,
    },
}

/// Builds a job from the netlist text (as read from `spec.netlist_path`):
/// resolves its includes, substitutes the parameters (a parameter used only
/// by an included file counts as used) and canonicalises the result.
pub fn job_from_text(netlist_text: &str, spec: &JobSpec<'_>) -> Result<Job, JobError> {
    let includes = resolve_includes(netlist_text, spec.netlist_path, spec.root)?;
    let texts: Vec<&str> = includes.iter().map(|i| i.canonical.as_str()).collect();
    let text = substitute_checked(netlist_text, spec.params, &texts).map_err(|source| {
        JobError::Subst {
            path: spec.netlist_path.to_path_buf(),
            source,
        }
    })?;
    let identity = JobIdentity {
        netlist: canonicalise_netlist(&text).body(),
        params: spec
            .params
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect(),
        includes: includes
            .iter()
            .map(|i| (i.logical.clone(), i.sha256.clone()))
            .collect(),
        simulator: spec.simulator.clone(),
        analysis: spec.analysis.to_owned(),
        save: spec.save.to_vec(),
        cache_format: spec.cache_format,
    };
    Ok(Job {
        text,
        identity,
        includes,
    })
}

/// [`job_from_text`] on the netlist read from `spec.netlist_path`.
pub fn job(spec: &JobSpec<'_>) -> Result<Job, JobError> {
    let bytes = std::fs::read(spec.netlist_path).map_err(|source| JobError::Read {
        path: spec.netlist_path.to_path_buf(),
        source,
    })?;
    job_from_text(&String::from_utf8_lossy(&bytes), spec)
}
