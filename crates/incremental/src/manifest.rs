//! The run manifest: per campaign, each job's key and the hashes of its inputs,
//! so a later run can say why a job runs again.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::identity::{JobIdentity, Simulator};

/// The manifest file format version written by this crate.
pub const MANIFEST_VERSION: u32 = 1;

/// One job as the last run recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The job's key.
    pub key: String,
    /// The job's parameters.
    pub params: BTreeMap<String, String>,
    /// sha256 of the canonical netlist after substitution.
    pub netlist_sha256: String,
    /// Logical include name -> sha256 of its canonical content.
    pub includes: BTreeMap<String, String>,
    /// The simulator.
    pub simulator: Simulator,
    /// sha256 over the analysis and save settings.
    pub settings_sha256: String,
    /// The cache format version.
    pub cache_format: u32,
}

impl ManifestEntry {
    /// The entry that records `identity`.
    pub fn from_identity(identity: &JobIdentity) -> ManifestEntry {
        ManifestEntry {
            key: identity.key(),
            params: identity.params.iter().cloned().collect(),
            netlist_sha256: identity.netlist_sha256(),
            includes: identity.includes.iter().cloned().collect(),
            simulator: identity.simulator.clone(),
            settings_sha256: identity.settings_sha256(),
            cache_format: identity.cache_format,
        }
    }
}

/// A campaign's manifest: job id (as the campaign runner names jobs) -> entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`] when written by this crate.
    pub manifest_version: u32,
    /// The campaign name.
    pub campaign: String,
    /// The jobs, by id.
    pub jobs: BTreeMap<String, ManifestEntry>,
}

/// Why a manifest could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Reading failed.
    #[error("cannot read manifest {path}: {source}", path = .path.display())]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a manifest.
    #[error("manifest {path} is not valid: {source}", path = .path.display())]
    Parse {
        /// The manifest path.
        path: PathBuf,
        /// Where and what.
        source: serde_json::Error,
    },
    /// A manifest from a newer spicelab.
    #[error("manifest {path} has version {found}; this spicelab reads version {MANIFEST_VERSION}", path = .path.display())]
    Version {
        /// The manifest path.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
    /// Writing failed.
    #[error("cannot write manifest: {0}")]
    Write(#[from] outfile::OutError),
    /// Serialising failed.
    #[error("cannot serialise manifest {path}: {source}", path = .path.display())]
    Serialise {
        /// The manifest path.
        path: PathBuf,
        /// The error.
        source: serde_json::Error,
    },
}

impl Manifest {
    /// An empty manifest for `campaign`.
    pub fn new(campaign: impl Into<String>) -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            campaign: campaign.into(),
            jobs: BTreeMap::new(),
        }
    }

    /// Reads a manifest; `Ok(None)` when there is no file (a first run).
    pub fn load(path: &Path) -> Result<Option<Manifest>, ManifestError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ManifestError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        #[derive(Deserialize)]
        struct VersionOnly {
            manifest_version: u32,
        }
        let v: VersionOnly =
            serde_json::from_slice(&bytes).map_err(|source| ManifestError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        if v.manifest_version != MANIFEST_VERSION {
            return Err(ManifestError::Version {
                path: path.to_path_buf(),
                found: v.manifest_version,
            });
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| ManifestError::Parse {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Writes the manifest atomically (temporary file, fsync, rename, through
    /// `outfile`): a killed run leaves the old manifest or the new one.
    pub fn save(&self, path: &Path) -> Result<(), ManifestError> {
        let mut bytes =
            serde_json::to_vec_pretty(self).map_err(|source| ManifestError::Serialise {
                path: path.to_path_buf(),
                source,
            })?;
        bytes.push(b'\n');
        outfile::write(path, &bytes)?;
        Ok(())
    }

    /// Records `identity` as job `job_id`.
    pub fn record(&mut self, job_id: impl Into<String>, identity: &JobIdentity) {
        self.jobs
            .insert(job_id.into(), ManifestEntry::from_identity(identity));
    }

    /// The entry of job `job_id`, if the last run had it.
    pub fn entry(&self, job_id: &str) -> Option<&ManifestEntry> {
        self.jobs.get(job_id)
    }
}

/// Why a job runs again (or does not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The last run had no such job.
    NewJob,
    /// Same key: the cached result stands.
    Unchanged,
    /// A parameter value changed (`None`: the parameter was not set on that side).
    ParamsChanged {
        /// The parameter.
        name: String,
        /// Its value in the last run.
        old: Option<String>,
        /// Its value now.
        new: Option<String>,
    },
    /// The netlist text changed beyond comments, spacing and case.
    NetlistChanged,
    /// An included file (or `.lib` section) changed, appeared or is no longer reached.
    IncludeChanged {
        /// Its logical name.
        file: String,
    },
    /// The simulator or its version changed.
    SimulatorChanged {
        /// The last run's simulator.
        old: Simulator,
        /// This run's.
        new: Simulator,
    },
    /// The analysis or save settings changed.
    SettingsChanged,
    /// The cache format changed: every job runs again.
    FormatChanged {
        /// The last run's format version.
        old: u32,
        /// This run's.
        new: u32,
    },
}

impl Reason {
    /// True when the job must run (everything but [`Reason::Unchanged`]).
    pub fn must_run(&self) -> bool {
        !matches!(self, Reason::Unchanged)
    }
}

fn show(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(not set)")
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NewJob => f.write_str("run: new job (not in the last run)"),
            Reason::Unchanged => f.write_str("skip: nothing changed since the last run"),
            Reason::ParamsChanged { name, old, new } => write!(
                f,
                "run: parameter {name} changed from {} to {}",
                show(old),
                show(new)
            ),
            Reason::NetlistChanged => {
                f.write_str("run: the netlist changed (more than comments, spacing or case)")
            }
            Reason::IncludeChanged { file } => write!(f, "run: included file {file} changed"),
            Reason::SimulatorChanged { old, new } => {
                write!(f, "run: simulator changed from {old} to {new}")
            }
            Reason::SettingsChanged => f.write_str("run: the analysis or save settings changed"),
            Reason::FormatChanged { old, new } => write!(
                f,
                "run: cache format changed from version {old} to {new} (every job runs again)"
            ),
        }
    }
}

/// Why job `new` runs again, given what the last run recorded for it.
///
/// When several inputs changed the first in this order is named: cache
/// format, simulator, parameters (the first by name), included files (the
/// first by logical name), analysis/save settings, netlist. A changed
/// parameter also changes the substituted netlist; it is named as the
/// parameter, not as the netlist.
pub fn explain(old: Option<&ManifestEntry>, new: &JobIdentity) -> Reason {
    let Some(old) = old else {
        return Reason::NewJob;
    };
    if old.key == new.key() {
        return Reason::Unchanged;
    }
    if old.cache_format != new.cache_format {
        return Reason::FormatChanged {
            old: old.cache_format,
            new: new.cache_format,
        };
    }
    if old.simulator != new.simulator {
        return Reason::SimulatorChanged {
            old: old.simulator.clone(),
            new: new.simulator.clone(),
        };
    }
    let new_entry = ManifestEntry::from_identity(new);
    let names: std::collections::BTreeSet<&String> =
        old.params.keys().chain(new_entry.params.keys()).collect();
    for name in names {
        let (o, n) = (old.params.get(name), new_entry.params.get(name));
        if o != n {
            return Reason::ParamsChanged {
                name: name.clone(),
                old: o.cloned(),
                new: n.cloned(),
            };
        }
    }
    let files: std::collections::BTreeSet<&String> = old
        .includes
        .keys()
        .chain(new_entry.includes.keys())
        .collect();
    for file in files {
        if old.includes.get(file) != new_entry.includes.get(file) {
            return Reason::IncludeChanged { file: file.clone() };
        }
    }
    if old.settings_sha256 != new_entry.settings_sha256 {
        return Reason::SettingsChanged;
    }
    Reason::NetlistChanged
}
