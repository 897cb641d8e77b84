//! Spectral measures batched across the jobs of a campaign, with the real
//! ngspice: a diode clipper driven at seven frequencies, its THD computed
//! in batches of three records. The values equal `measure::measure_file`
//! on each job's cached result, the engine is called once per batch, a
//! rerun is all cache hits with the same values, a job whose record gives
//! no spectrum metric loses only that measure, and a new spectral measure
//! is computed from the cached results in batches too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::require;

use std::fs;
use std::path::Path;

use cache_zstd::DiskStore;
use raw_stream::RawFile;
use spicelab::campaign::Campaign;
use spicelab::measure::measure_file;
use spicelab::run::{execute, plan, Outcome, RunOptions, RunReport};

const CLIPPER: &str = "\
* diode clipper at a swept frequency (spicelab spectral batch test)
.param f0=10k
V1 in 0 sin(0 2 {f0})
R1 in out 1k
D1 out 0 dmod
D2 0 out dmod
C1 out 0 1n
.model dmod d(is=1e-14 n=1.5)
.tran 0.2u 2m 0 0.2u
.end
";

/// Seven jobs; at 1 kHz the 1 ms record holds one period, too few for the
/// Hann window (7 periods at least): that job's spectral measure has no
/// value, the others do.
const FREQS: [&str; 7] = ["1k", "10k", "12k", "15k", "20k", "25k", "30k"];

/// The campaign file with `measure` as its spectral measure.
fn campaign_text(measure: &str) -> String {
    campaign_over(&FREQS, measure)
}

/// The campaign file over `freqs`.
fn campaign_over(freqs: &[&str], measure: &str) -> String {
    let freqs: Vec<String> = freqs.iter().map(|f| format!("\"{f}\"")).collect();
    format!(
        "[campaign]\nname = \"clip-batch\"\nnetlist = \"clip.cir\"\nsave = [\"v(out)\"]\n\n\
         [sweep]\nf0 = [{}]\n\n[measure]\n{measure}\nvmax = {{ kind = \"max\", var = \"v(out)\" }}\n",
        freqs.join(", ")
    )
}

const THD: &str = "thd = { kind = \"thd\", var = \"v(out)\", harmonics = 5, window = \"hann\", from = \"1m\", to = \"2m\" }";
const SINAD: &str = "sinad = { kind = \"sinad\", var = \"v(out)\", harmonics = 5, window = \"hann\", from = \"1m\", to = \"2m\" }";

/// The records of one batch.
const BATCH: usize = 3;

fn run(dir: &Path, measure: &str) -> (Campaign, RunReport) {
    run_text(dir, &campaign_text(measure), BATCH)
}

fn run_text(dir: &Path, text: &str, batch: usize) -> (Campaign, RunReport) {
    let path = dir.join("clip.toml");
    fs::write(&path, text).unwrap();
    let campaign = Campaign::load(&path).unwrap();
    let sim = spicelab::sim::adapter(&campaign.simulator).unwrap();
    let store = DiskStore::new(dir.join("cache")).unwrap();
    let plan = plan(&campaign, sim.as_ref(), &store, false).unwrap();
    let mut opts = RunOptions::new(store);
    opts.spectral_batch = batch;
    opts.workers = Some(2);
    opts.out_dir = Some(dir.join("out"));
    let report = execute(&campaign, sim.as_ref(), plan, &opts).unwrap();
    (campaign, report)
}

/// `measure_file` on the job's result as the cache gives it back.
fn measured_alone(dir: &Path, campaign: &Campaign, key: &str) -> Vec<Option<f64>> {
    let back = dir.join(format!("{key}.raw"));
    let out = common::in_cache(
        &dir.join("cache"),
        &["cache", "get", key, "-o", common::s(&back)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = RawFile::open(&back).unwrap();
    measure_file(&raw, &campaign.measures).unwrap()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
        (None, None) => true,
        _ => false,
    }
}

fn bits(v: &[Option<f64>]) -> Vec<Option<u64>> {
    v.iter().map(|x| x.map(f64::to_bits)).collect()
}

#[test]
fn spectral_measures_are_batched_across_jobs() {
    if !require::ngspice_or_skip() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("clip.cir"), CLIPPER).unwrap();

    // cold: every job runs; 7 records in batches of 3: 3 engine calls
    let (campaign, first) = run(dir, THD);
    assert_eq!((first.jobs, first.ran, first.ok), (7, 7, 7), "{first:?}");
    assert_eq!(first.spectral_batches, 7usize.div_ceil(BATCH));
    let store = DiskStore::new(dir.join("cache")).unwrap();
    for (o, f) in first.outcomes.iter().zip(FREQS) {
        assert_eq!(o.outcome, Outcome::Ok, "{f}: {}", o.reason);
        assert!(o.bytes_written > 0, "{f}");
        let (thd, vmax) = (o.measures[0], o.measures[1]);
        // the clipper limits near a diode drop whatever the frequency
        let v = vmax.unwrap();
        assert!(v > 0.5 && v < 1.2, "{f}: vmax {v}");
        if f == "1k" {
            // fails alone: one period in the record
            assert_eq!(thd, None, "{f}");
        } else {
            // a clipped sine: a few percent to tens of percent of THD
            let t = thd.unwrap();
            assert!(t < -5.0 && t > -60.0, "{f}: thd {t} dB");
        }
        // the values equal the per-job computation on the cached result
        let alone = measured_alone(dir, &campaign, &o.key);
        assert!(
            o.measures.iter().zip(&alone).all(|(a, b)| close(*a, *b)),
            "{f}: {:?} vs {alone:?}",
            o.measures
        );
        // and are the ones stored with the entry the batch committed
        let meta = store
            .read_with(&o.key, |r| Ok(r.into_meta().job))
            .unwrap()
            .unwrap();
        let stored: Vec<Option<f64>> = ["thd", "vmax"]
            .iter()
            .map(|n| meta.measures.iter().find(|(k, _)| k == n).map(|(_, v)| *v))
            .collect();
        assert_eq!(bits(&stored), bits(&o.measures), "{f}");
    }
    // the THD differs from job to job (each job got its own record back)
    let thds: Vec<u64> = first
        .outcomes
        .iter()
        .filter_map(|o| o.measures[0].map(f64::to_bits))
        .collect();
    let mut distinct = thds.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 6, "{thds:?}");

    // warm: all cache hits, the same values; only the 1 kHz job, whose
    // entry has no thd, is measured again from the cache (one batch)
    let (_, again) = run(dir, THD);
    assert_eq!((again.ran, again.cache_hits, again.ok), (0, 7, 7));
    assert_eq!(again.spectral_batches, 1);
    for (a, b) in first.outcomes.iter().zip(&again.outcomes) {
        assert!(b.cached);
        assert_eq!(bits(&a.measures), bits(&b.measures), "job {}", a.index);
    }

    // a new spectral measure: computed from the cached entries, their
    // records in batches of 3 across the entries
    let (campaign, sinad) = run(dir, SINAD);
    assert_eq!((sinad.ran, sinad.cache_hits, sinad.ok), (0, 7, 7));
    assert_eq!(sinad.spectral_batches, 3);
    for (o, f) in sinad.outcomes.iter().zip(FREQS) {
        let alone = measured_alone(dir, &campaign, &o.key);
        assert!(
            o.measures.iter().zip(&alone).all(|(a, b)| close(*a, *b)),
            "{f}: {:?} vs {alone:?}",
            o.measures
        );
        match f {
            "1k" => assert_eq!(o.measures[0], None),
            _ => {
                let s = o.measures[0].unwrap();
                assert!(s > 5.0 && s < 60.0, "{f}: sinad {s} dB");
            }
        }
    }

    // `spicelab run --json` reports the batches: all cache hits, the 1 kHz
    // entry (no sinad) measured again in one batch of the default size
    let out = common::in_cache(
        &dir.join("cache"),
        &["run", common::s(&dir.join("clip.toml")), "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cache_hits"], 7);
    assert_eq!(v["spectral_batches"], 1);
}

/// A cold campaign of 2 x 16 jobs or more runs its first 16 jobs, trains
/// the zstd dictionary on their entries, then runs the rest: the jobs
/// still waiting for a spectral batch are committed before the training
/// (the dictionary is trained, on every entry of the first part), and
/// every entry reads back with the values the batches gave.
#[test]
fn batches_end_with_each_part_of_a_dictionary_run() {
    if !require::ngspice_or_skip() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("clip.cir"), CLIPPER).unwrap();
    let freqs: Vec<String> = (0..34).map(|k| format!("{}k", 10 + k)).collect();
    let freqs: Vec<&str> = freqs.iter().map(String::as_str).collect();
    let (campaign, r) = run_text(dir, &campaign_over(&freqs, THD), 5);
    assert_eq!((r.jobs, r.ran, r.ok), (34, 34, 34));
    // 16 records: 3 batches of 5 and the rest; 18 records: 3 of 5 and the rest
    assert_eq!(r.spectral_batches, 4 + 4);
    let sidecar = dir.join("cache/manifests/clip-batch.dict");
    assert!(sidecar.exists(), "no campaign dictionary was trained");
    for (o, f) in r.outcomes.iter().zip(&freqs) {
        assert_eq!(o.outcome, Outcome::Ok, "{f}: {}", o.reason);
        assert!(o.measures[0].is_some(), "{f}");
        let alone = measured_alone(dir, &campaign, &o.key);
        assert!(
            o.measures.iter().zip(&alone).all(|(a, b)| close(*a, *b)),
            "{f}: {:?} vs {alone:?}",
            o.measures
        );
    }
}
