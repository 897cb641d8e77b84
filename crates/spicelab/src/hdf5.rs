//! A campaign's results as one HDF5 file (`[outputs] hdf5`): the run's
//! report and the cached results, handed to [`store_hdf5::write_campaign`].

use crate::campaign::Campaign;
use crate::run::RunReport;
use cache_zstd::DiskStore;
use std::path::Path;
use store_hdf5::{
    BlockSink, CampaignInfo, CampaignRun, ExportReport, Hdf5Error, Options, RunPlot, RunSource,
    SourceFailure,
};

/// Reads each run's result from the cache, by the job's key.
struct CacheSource<'a> {
    store: &'a DiskStore,
    keys: Vec<String>,
}

impl RunSource for CacheSource<'_> {
    fn plots(&mut self, run: usize) -> Result<Option<Vec<RunPlot>>, String> {
        let Some(key) = self.keys.get(run).filter(|k| !k.is_empty()) else {
            return Ok(None);
        };
        let r = self.store.read_with(key, |r| {
            Ok(r.meta()
                .plots
                .iter()
                .map(|p| RunPlot {
                    header: p.header.clone(),
                    types: p.types.clone(),
                    n_points: p.n_points,
                })
                .collect::<Vec<_>>())
        });
        r.map_err(|e| format!("cache entry {key}: {e}"))
    }

    fn blocks(&mut self, run: usize, sink: &mut BlockSink<'_>) -> Result<(), SourceFailure> {
        let Some(key) = self.keys.get(run).filter(|k| !k.is_empty()) else {
            return Ok(());
        };
        let mut failed: Option<Hdf5Error> = None;
        let r = self.store.read_with(key, |mut r| {
            while let Some(b) = r.next_block()? {
                if let Err(e) = sink(b.plot, b.start, &b.columns) {
                    failed = Some(e);
                    break;
                }
            }
            Ok(())
        });
        if let Some(e) = failed {
            return Err(SourceFailure::Sink(e));
        }
        match r {
            Ok(Some(())) => Ok(()),
            Ok(None) => Err(SourceFailure::Source(format!(
                "cache entry {key} is gone (evicted or removed while the file was written)"
            ))),
            Err(e) => Err(SourceFailure::Source(format!("cache entry {key}: {e}"))),
        }
    }
}

/// What the campaign file says besides the waveforms, from the run's report.
pub fn campaign_info(campaign: &Campaign, report: &RunReport) -> CampaignInfo {
    let measures: Vec<String> = report.measures.iter().map(|(n, _)| n.clone()).collect();
    let specs: Vec<String> = campaign.specs.iter().map(|s| s.measure.clone()).collect();
    let runs = report
        .outcomes
        .iter()
        .map(|o| {
            let ok = o.outcome == crate::run::Outcome::Ok;
            let spec_pass = campaign
                .specs
                .iter()
                .map(|s| {
                    let i = measures.iter().position(|m| m == &s.measure)?;
                    ok.then(|| s.passes(o.measures.get(i).copied().flatten()))
                })
                .collect();
            CampaignRun {
                key: o.key.clone(),
                status: o.outcome.name().to_string(),
                params: o.params.clone(),
                measures: o.measures.clone(),
                spec_pass,
            }
        })
        .collect();
    CampaignInfo {
        name: campaign.name.clone(),
        simulator: report.simulator.name.clone(),
        simulator_version: report.simulator.version.clone(),
        measures,
        specs,
        runs,
        resample_points: campaign.outputs.resample_points,
    }
}

/// Writes the campaign file `path` from the report and the results cached
/// under each ok job's key (failed jobs' rows are NaN).
pub fn write_campaign_file(
    campaign: &Campaign,
    report: &RunReport,
    store: &DiskStore,
    path: &Path,
    opts: &Options,
) -> Result<ExportReport, Hdf5Error> {
    let info = campaign_info(campaign, report);
    let keys = report
        .outcomes
        .iter()
        .map(|o| {
            if o.outcome == crate::run::Outcome::Ok {
                o.key.clone()
            } else {
                String::new()
            }
        })
        .collect();
    let mut src = CacheSource { store, keys };
    store_hdf5::write_campaign(&info, &mut src, path, opts)
}
