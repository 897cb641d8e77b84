//! Errors of a campaign file.

use std::path::PathBuf;

/// Why a campaign file was refused. Every message names the file and, where
/// there is one, the line (1-based) and the key:
/// `rc.toml:12: [sweep] rload: `1x` is not a SPICE number`.
#[derive(thiserror::Error, Debug)]
pub enum CampaignError {
    /// The campaign file could not be read.
    #[error("{}: cannot read the campaign file: {source}", file.display())]
    Read {
        /// The campaign file as given.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}: {message}", file.display())]
    Syntax {
        /// The campaign file as given.
        file: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// What the TOML reader said.
        message: String,
    },
    /// A key or value is wrong: an unknown key, a bad value, a missing
    /// required key, a netlist that does not exist, ...
    #[error("{}:{line}: {key}: {message}", file.display())]
    Invalid {
        /// The campaign file as given.
        file: PathBuf,
        /// 1-based line of the key (or of the value inside it).
        line: usize,
        /// The key as `[table] name` or `[table] name.field`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The netlist refused the campaign's parameters
    /// ([`crate::campaign::Campaign::check_netlist`]): a parameter it never
    /// uses, an include that cannot be resolved, an unreadable netlist.
    #[error("{}:{line}: {key}: {message}", file.display())]
    Netlist {
        /// The campaign file as given.
        file: PathBuf,
        /// 1-based line of the key the problem comes from.
        line: usize,
        /// The key as `[table] name`.
        key: String,
        /// What the netlist check said.
        message: String,
    },
}

impl CampaignError {
    /// The 1-based line the error points at, when it has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            CampaignError::Read { .. } => None,
            CampaignError::Syntax { line, .. }
            | CampaignError::Invalid { line, .. }
            | CampaignError::Netlist { line, .. } => Some(*line),
        }
    }

    /// The key the error is about (`[sweep] rload`), when it has one.
    pub fn key(&self) -> Option<&str> {
        match self {
            CampaignError::Read { .. } | CampaignError::Syntax { .. } => None,
            CampaignError::Invalid { key, .. } | CampaignError::Netlist { key, .. } => Some(key),
        }
    }
}
