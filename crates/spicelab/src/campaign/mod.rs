//! STUB (replaced by the campaign branch): the campaign model's shapes.
#![allow(missing_docs)]
use std::path::{Path, PathBuf};
use waveform::ParamValue;

pub struct Campaign {
    pub name: String,
    pub file: PathBuf,
    pub root: PathBuf,
    pub netlist: PathBuf,
    pub simulator: String,
    pub temperature: Vec<f64>,
    pub save: Vec<String>,
    pub timeout: Option<std::time::Duration>,
    pub sweep: Vec<SweepParam>,
    pub corners: Vec<Corner>,
    pub montecarlo: Option<MonteCarlo>,
    pub measures: Vec<crate::measure::MeasureSpec>,
    pub specs: Vec<crate::spec::Spec>,
    pub outputs: Outputs,
    pub pending_spectral: Vec<String>,
}
pub struct SweepParam {
    pub name: String,
    pub values: Vec<(String, f64)>,
}
pub struct Corner {
    pub name: String,
    pub params: Vec<(String, String, f64)>,
}
pub struct MonteCarlo {
    pub runs: u64,
    pub seed: u64,
}
pub struct Outputs {
    pub hdf5: Option<PathBuf>,
    pub resample_points: Option<usize>,
}
#[derive(Debug, Clone)]
pub struct JobParams {
    pub index: usize,
    pub params: Vec<(String, ParamValue)>,
    pub netlist_params: Vec<(String, String)>,
    pub temperature: Option<f64>,
    pub corner: Option<String>,
    pub mc_run: Option<u64>,
}
#[derive(Debug, thiserror::Error)]
#[error("campaign error")]
pub struct CampaignError;
impl Campaign {
    pub fn load(_path: &Path) -> Result<Campaign, CampaignError> {
        Err(CampaignError)
    }
    pub fn jobs(&self) -> Vec<JobParams> {
        Vec::new()
    }
    pub fn job_count(&self) -> usize {
        0
    }
    pub fn check_netlist(&self) -> Result<(), CampaignError> {
        Ok(())
    }
}
