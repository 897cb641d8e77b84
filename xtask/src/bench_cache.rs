//! `cargo xtask bench-cache`: the result cache's compression ratio and
//! encode/decode speed on the real ngspice fixtures, against plain zstd-3 of
//! the raw column bytes (what a "pickle + zstd" cache stores), measured in
//! the same run (issue 3, DESIGN.md section 4).
//!
//! Every RAW file is read into memory first; only `encode_entry`,
//! `decode_entry` and the zstd-3 baseline are timed, on one thread. Small
//! inputs are repeated until one measurement takes at least 0.2 s (0.05 s
//! with `--quick`); the best of 3 measurements (2 with `--quick`) is kept.
//! Speeds are MB (10^6 bytes) of raw column bytes per second, timed by the
//! thread's CPU time where Linux gives it (`/proc/thread-self/schedstat`),
//! so that the other jobs of a shared machine do not count.
//!
//! Knobs for investigations (environment): `SPICELAB_BENCH_ONLY=TEXT`
//! measures only the sets whose name contains TEXT; `SPICELAB_BENCH_DETAIL=1`
//! prints where the bytes of the Monte Carlo entries go (footer, block
//! headers, shared frames, pco parts); `SPICELAB_BENCH_LOOP=auto|zstd|decode|dict|dict-decode`
//! (with `SPICELAB_BENCH_LOOP_N=passes`, else 3 s) runs one operation in a
//! loop and stops, for a profiler.

use crate::util::Workspace;
use anyhow::{bail, Context, Result};
use cache_zstd::{
    decode_entry, decode_entry_with, dictionary_samples, encode_entry, key_of, raw_column_bytes,
    train_dictionary, Codec, CodecChoice, EncodeOptions, Entry,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;
use waveform::{Column, SimResult};

/// Goals of issue 3.
pub const GOAL_TRAN_RATIO: f64 = 0.30;
/// Goal for the 1e-9 bounded ratio on transient data.
pub const GOAL_TRAN_BOUNDED_RATIO: f64 = 0.10;
/// Encode goal, MB/s on one core.
pub const GOAL_ENCODE_MBPS: f64 = 300.0;
/// Decode goal, MB/s on one core.
pub const GOAL_DECODE_MBPS: f64 = 1000.0;
/// The precision bound of the bounded column.
pub const BOUND: f64 = 1e-9;
/// Goal for a campaign stored with its dictionary (issue 14): lossless
/// ratio, the dictionary counted once.
pub const GOAL_CAMPAIGN_RATIO: f64 = 0.10;
/// A campaign's dictionary is trained on its first runs: this many.
pub const CAMPAIGN_TRAIN_RUNS: usize = 25;
/// The campaign dictionary's size (bytes, at most).
pub const CAMPAIGN_DICT_SIZE: usize = cache_zstd::DEFAULT_DICT_SIZE;

/// One data set of the cache benchmark.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CacheRow {
    /// Data set name, e.g. `transient (rc_ladder_tran)`.
    pub name: String,
    /// True for transient data (the ratio goals apply).
    pub transient: bool,
    /// RAW files in the set.
    pub files: usize,
    /// Raw column bytes, summed over the set.
    pub raw_bytes: u64,
    /// Plain zstd level 3 of the raw column bytes / raw bytes.
    pub zstd3_ratio: f64,
    /// Envelope bytes / raw bytes, `CodecChoice::Auto`, lossless.
    pub auto_ratio: f64,
    /// Envelope bytes / raw bytes, `CodecChoice::ZstdOnly`, lossless.
    pub zstd_only_ratio: f64,
    /// Envelope bytes / raw bytes, `CodecChoice::Fixed(Codec::Pco)` ("pco per column").
    pub pco_only_ratio: f64,
    /// Envelope bytes / raw bytes, `CodecChoice::Fixed(Codec::DeltaShuffleZstd)`.
    #[serde(default)]
    pub delta_shuffle_ratio: f64,
    /// Envelope bytes / raw bytes, `Auto` with the 1e-9 relative precision bound.
    pub bounded_ratio: f64,
    /// Largest relative error measured with the 1e-9 bound.
    pub max_rel_err: f64,
    /// Every lossless envelope decoded back bit for bit, and the bounded one
    /// kept the scale exact and special values exact.
    pub round_trip_ok: bool,
    /// Codecs chosen by `Auto` (lossless), e.g. `delta+shuffle+zstd x12, pco x2`.
    pub auto_codecs: String,
    /// Encode speed, `Auto`, MB/s.
    pub encode_auto_mbps: f64,
    /// Encode speed, `ZstdOnly`, MB/s.
    pub encode_zstd_only_mbps: f64,
    /// Encode speed, `Auto` with the 1e-9 bound, MB/s.
    pub encode_bounded_mbps: f64,
    /// Decode speed of the `Auto` envelopes, MB/s.
    pub decode_mbps: f64,
    /// Plain zstd-3 encode speed of the raw column bytes, MB/s.
    pub zstd3_encode_mbps: f64,
    /// A set of many runs of one circuit, also stored with a campaign dictionary.
    #[serde(default)]
    pub campaign: Option<CampaignRow>,
}

/// A campaign (many runs of one circuit) stored with a zstd dictionary
/// trained on its first runs, `Auto`, lossless.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CampaignRow {
    /// Runs the dictionary was trained on (the first ones).
    pub train_runs: usize,
    /// Bytes of the stored dictionary object.
    pub dict_object_bytes: u64,
    /// Milliseconds to train the dictionary (once per campaign).
    pub train_ms: f64,
    /// (Every run's envelope with the dictionary + the dictionary object once) / raw bytes.
    pub ratio: f64,
    /// Encode speed with the dictionary, MB/s.
    pub encode_mbps: f64,
    /// Decode speed with the dictionary, MB/s.
    pub decode_mbps: f64,
    /// Every envelope decoded back bit for bit with the dictionary.
    pub round_trip_ok: bool,
}

struct DataSet {
    name: String,
    transient: bool,
    files: Vec<PathBuf>,
}

fn data_sets(dir: &Path) -> Result<Vec<DataSet>> {
    let ng = dir.join("ngspice");
    let one = |name: &str, file: &str, transient: bool| DataSet {
        name: name.to_string(),
        transient,
        files: vec![ng.join(file)],
    };
    let mut sets = vec![
        one("transient (rc_ladder_tran)", "rc_ladder_tran.raw", true),
        one("AC (rlc_ac)", "rlc_ac.raw", false),
        one("DC (diode_dc)", "diode_dc.raw", false),
        one("noise (bjt_noise)", "bjt_noise.raw", false),
    ];
    let clipper = ng.join("diode_clipper_tran.raw");
    if clipper.is_file() {
        sets.insert(
            1,
            DataSet {
                name: "transient (diode_clipper_tran)".into(),
                transient: true,
                files: vec![clipper],
            },
        );
    }
    let mut mc: Vec<PathBuf> = std::fs::read_dir(dir.join("mc"))
        .with_context(|| format!("reading {}", dir.join("mc").display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "raw")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("run-"))
        })
        .collect();
    mc.sort();
    if mc.is_empty() {
        bail!("no Monte Carlo runs in {}", dir.join("mc").display());
    }
    sets.push(DataSet {
        name: format!("Monte Carlo transient ({} runs)", mc.len()),
        transient: true,
        files: mc,
    });
    for s in &sets {
        for f in &s.files {
            if !f.is_file() {
                bail!(
                    "fixture {} is missing: run `cargo xtask fixtures` (needs ngspice)",
                    f.display()
                );
            }
        }
    }
    Ok(sets)
}

/// Seconds this thread has run on a CPU (Linux: the first field of
/// `/proc/thread-self/schedstat`, in ns), so that the other jobs of a
/// shared machine do not count; `None` where that is not available.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 * 1e-9)
}

/// A clock: the thread's CPU time where available, else wall time.
struct Clock {
    cpu: Option<f64>,
    wall: Instant,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            cpu: thread_cpu_s(),
            wall: Instant::now(),
        }
    }

    fn elapsed_s(&self) -> f64 {
        match (self.cpu, thread_cpu_s()) {
            (Some(a), Some(b)) => b - a,
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }
}

/// True when [`time_per_pass`] measures the thread's CPU time.
pub fn measures_cpu_time() -> bool {
    thread_cpu_s().is_some()
}

/// Runs `f` over the whole set enough times that one measurement takes at
/// least `min_s`, `best_of` times; returns the best seconds per pass (the
/// thread's CPU time where available, see [`thread_cpu_s`]).
fn time_per_pass(min_s: f64, best_of: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    // Calibrate on the wall clock: one pass (also a warm-up). The thread's
    // CPU time is only updated at scheduler ticks, too coarse for one pass.
    let t = Instant::now();
    f()?;
    let one = t.elapsed().as_secs_f64().max(1e-7);
    let reps = ((min_s / one).ceil() as usize).max(1);
    let mut best = f64::INFINITY;
    for _ in 0..best_of {
        let t = Clock::start();
        for _ in 0..reps {
            f()?;
        }
        best = best.min(t.elapsed_s() / reps as f64);
    }
    Ok(best)
}

fn bits_equal(a: &SimResult, b: &SimResult) -> bool {
    if a.plots.len() != b.plots.len() {
        return false;
    }
    a.plots.iter().zip(&b.plots).all(|(p, q)| {
        p.columns.len() == q.columns.len()
            && p.columns
                .iter()
                .zip(&q.columns)
                .all(|(c, d)| c.same_bits(d))
    })
}

fn column_f64(c: &Column) -> Vec<f64> {
    match c {
        Column::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        Column::F64(v) => v.clone(),
        Column::C32(v) => v
            .iter()
            .flat_map(|z| [f64::from(z.re), f64::from(z.im)])
            .collect(),
        Column::C64(v) => v.iter().flat_map(|z| [z.re, z.im]).collect(),
    }
}

/// Largest relative error of `b` against `a`; `None` when a value that must
/// stay exact (the scale, zero, inf, NaN, subnormal) changed.
fn max_rel_err(a: &SimResult, b: &SimResult) -> Option<f64> {
    let mut worst = 0f64;
    for (p, q) in a.plots.iter().zip(&b.plots) {
        let has_scale = p.header.has_scale();
        for (ci, (c, d)) in p.columns.iter().zip(&q.columns).enumerate() {
            if has_scale && ci == 0 {
                if !c.same_bits(d) {
                    return None;
                }
                continue;
            }
            let (x, y) = (column_f64(c), column_f64(d));
            if x.len() != y.len() {
                return None;
            }
            for (&x, &y) in x.iter().zip(&y) {
                if x.is_normal() {
                    worst = worst.max(((y - x) / x).abs());
                } else if x.to_bits() != y.to_bits() && !(x.is_nan() && y.is_nan()) {
                    return None;
                }
            }
        }
    }
    Some(worst)
}

fn codec_summary(envelopes: &[(String, Vec<u8>)]) -> String {
    let mut counts: Vec<(Codec, usize)> = Vec::new();
    for (key, env) in envelopes {
        // The codec of every column of every block.
        let Ok(mut r) = cache_zstd::EntryReader::open(&env[..], key, None) else {
            continue;
        };
        while let Ok(Some(b)) = r.next_block() {
            for c in b.codecs {
                match counts.iter_mut().find(|(k, _)| *k == c) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((c, 1)),
                }
            }
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
        .iter()
        .map(|(c, n)| format!("{} x{n}", c.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn measure(set: &DataSet, quick: bool) -> Result<CacheRow> {
    let (min_s, best_of) = if quick { (0.05, 2) } else { (0.2, 3) };
    let mut entries = Vec::with_capacity(set.files.len());
    for (i, f) in set.files.iter().enumerate() {
        let result = raw_stream::RawFile::open(f)
            .and_then(|r| r.read_all())
            .with_context(|| format!("reading {}", f.display()))?;
        let key = key_of(format!("bench-cache {} {i}", f.display()).as_bytes());
        entries.push((
            key,
            Entry {
                result,
                meta: Default::default(),
            },
        ));
    }
    let raws: Vec<Vec<u8>> = entries
        .iter()
        .map(|(_, e)| raw_column_bytes(&e.result))
        .collect();
    let raw_bytes: u64 = raws.iter().map(|r| r.len() as u64).sum();
    if raw_bytes == 0 {
        bail!("{}: no column bytes", set.name);
    }
    let mb = raw_bytes as f64 / 1e6;

    let opts = |codecs: CodecChoice, precision: Option<f64>| EncodeOptions {
        codecs,
        precision,
        ..EncodeOptions::default()
    };
    let auto = opts(CodecChoice::Auto, None);
    let zstd_only = opts(CodecChoice::ZstdOnly, None);
    let pco_only = opts(CodecChoice::Fixed(Codec::Pco), None);
    let delta_shuffle = opts(CodecChoice::Fixed(Codec::DeltaShuffleZstd), None);
    let bounded = opts(CodecChoice::Auto, Some(BOUND));

    let encode_all = |o: &EncodeOptions| -> Result<Vec<(String, Vec<u8>)>> {
        entries
            .iter()
            .map(|(k, e)| Ok((k.clone(), encode_entry(k, e, o)?)))
            .collect()
    };
    let size = |v: &[(String, Vec<u8>)]| v.iter().map(|(_, b)| b.len() as u64).sum::<u64>();

    if let Ok(what) = std::env::var("SPICELAB_BENCH_LOOP") {
        // Profiling: one operation in a loop for 3 s.
        let mut o = match what.as_str() {
            "zstd" => zstd_only.clone(),
            _ => auto.clone(),
        };
        if what.starts_with("dict") {
            let plain = encode_all(&auto)?;
            let mut samples = Vec::new();
            for (k, b) in plain.iter().take(CAMPAIGN_TRAIN_RUNS) {
                samples.extend(dictionary_samples(b, k, None, &())?);
            }
            o.dictionary = Some(train_dictionary(&samples, CAMPAIGN_DICT_SIZE)?);
        }
        let dict = o.dictionary.clone();
        let envs = encode_all(&o)?;
        let t = Instant::now();
        let passes: Option<u64> = std::env::var("SPICELAB_BENCH_LOOP_N")
            .ok()
            .and_then(|v| v.parse().ok());
        let mut done = 0u64;
        while passes.map_or(t.elapsed().as_secs_f64() < 3.0, |n| done < n) {
            done += 1;
            if what.ends_with("decode") {
                for (k, b) in &envs {
                    std::hint::black_box(decode_entry_with(b, k, None, &dict.as_ref())?);
                }
            } else {
                for (k, e) in &entries {
                    std::hint::black_box(encode_entry(k, e, &o)?);
                }
            }
        }
        bail!("SPICELAB_BENCH_LOOP={what}: done");
    }
    let env_auto = encode_all(&auto)?;
    let env_zstd = encode_all(&zstd_only)?;
    let env_pco = encode_all(&pco_only)?;
    let env_delta = encode_all(&delta_shuffle)?;
    let env_bounded = encode_all(&bounded)?;

    // Correctness, untimed.
    let mut ok = true;
    let mut worst = 0f64;
    for (i, (_, e)) in entries.iter().enumerate() {
        for env in [&env_auto, &env_zstd, &env_pco, &env_delta] {
            let back = decode_entry(&env[i].1, &env[i].0, None)?;
            ok &= bits_equal(&e.result, &back.result) && back.meta == e.meta;
        }
        let back = decode_entry(&env_bounded[i].1, &env_bounded[i].0, None)?;
        match max_rel_err(&e.result, &back.result) {
            Some(w) => worst = worst.max(w),
            None => ok = false,
        }
    }
    ok &= worst <= BOUND;

    let mut zstd3_bytes = 0u64;
    for r in &raws {
        zstd3_bytes += zstd::bulk::compress(r, 3)?.len() as u64;
    }

    let t_auto = time_per_pass(min_s, best_of, || {
        for (k, e) in &entries {
            std::hint::black_box(encode_entry(k, e, &auto)?);
        }
        Ok(())
    })?;
    let t_zstd = time_per_pass(min_s, best_of, || {
        for (k, e) in &entries {
            std::hint::black_box(encode_entry(k, e, &zstd_only)?);
        }
        Ok(())
    })?;
    let t_bounded = time_per_pass(min_s, best_of, || {
        for (k, e) in &entries {
            std::hint::black_box(encode_entry(k, e, &bounded)?);
        }
        Ok(())
    })?;
    let t_decode = time_per_pass(min_s, best_of, || {
        for (k, b) in &env_auto {
            std::hint::black_box(decode_entry(b, k, None)?);
        }
        Ok(())
    })?;
    let t_zstd3 = time_per_pass(min_s, best_of, || {
        for r in &raws {
            std::hint::black_box(zstd::bulk::compress(r, 3)?);
        }
        Ok(())
    })?;

    let ratio = |b: u64| b as f64 / raw_bytes as f64;
    let campaign = if entries.len() >= 2 * CAMPAIGN_TRAIN_RUNS {
        Some(measure_campaign(
            &entries, &env_auto, raw_bytes, min_s, best_of,
        )?)
    } else {
        None
    };
    Ok(CacheRow {
        name: set.name.clone(),
        transient: set.transient,
        files: set.files.len(),
        raw_bytes,
        zstd3_ratio: ratio(zstd3_bytes),
        auto_ratio: ratio(size(&env_auto)),
        zstd_only_ratio: ratio(size(&env_zstd)),
        pco_only_ratio: ratio(size(&env_pco)),
        delta_shuffle_ratio: ratio(size(&env_delta)),
        bounded_ratio: ratio(size(&env_bounded)),
        max_rel_err: worst,
        round_trip_ok: ok,
        auto_codecs: codec_summary(&env_auto),
        encode_auto_mbps: mb / t_auto,
        encode_zstd_only_mbps: mb / t_zstd,
        encode_bounded_mbps: mb / t_bounded,
        decode_mbps: mb / t_decode,
        zstd3_encode_mbps: mb / t_zstd3,
        campaign,
    })
}

/// Trains a dictionary on the first [`CAMPAIGN_TRAIN_RUNS`] runs (the
/// bytes their `Auto` envelopes' shared frames decode to), codes every run
/// with it, checks the round trips and times encode and decode like
/// [`measure`]. The ratio counts the dictionary object once.
fn measure_campaign(
    entries: &[(String, Entry)],
    env_auto: &[(String, Vec<u8>)],
    raw_bytes: u64,
    min_s: f64,
    best_of: usize,
) -> Result<CampaignRow> {
    let t = Clock::start();
    let mut samples = Vec::new();
    for (k, b) in env_auto.iter().take(CAMPAIGN_TRAIN_RUNS) {
        samples.extend(dictionary_samples(b, k, None, &())?);
    }
    let dict = train_dictionary(&samples, CAMPAIGN_DICT_SIZE)?;
    let train_ms = t.elapsed_s() * 1e3;
    let opts = EncodeOptions {
        dictionary: Some(dict.clone()),
        ..EncodeOptions::default()
    };
    let envs: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(k, e)| Ok((k.clone(), encode_entry(k, e, &opts)?)))
        .collect::<Result<_>>()?;
    let mut ok = true;
    for ((k, e), (_, b)) in entries.iter().zip(&envs) {
        let back = decode_entry_with(b, k, None, &dict)?;
        ok &= bits_equal(&e.result, &back.result) && back.meta == e.meta;
    }
    let object = dict.to_object().len() as u64;
    let total: u64 = envs.iter().map(|(_, b)| b.len() as u64).sum::<u64>() + object;
    print_breakdown("auto", env_auto, None);
    print_breakdown("auto + dictionary", &envs, Some(&dict));
    let t_enc = time_per_pass(min_s, best_of, || {
        for (k, e) in entries {
            std::hint::black_box(encode_entry(k, e, &opts)?);
        }
        Ok(())
    })?;
    let t_dec = time_per_pass(min_s, best_of, || {
        for (k, b) in &envs {
            std::hint::black_box(decode_entry_with(b, k, None, &dict)?);
        }
        Ok(())
    })?;
    let mb = raw_bytes as f64 / 1e6;
    Ok(CampaignRow {
        train_runs: CAMPAIGN_TRAIN_RUNS,
        dict_object_bytes: object,
        train_ms,
        ratio: total as f64 / raw_bytes as f64,
        encode_mbps: mb / t_enc,
        decode_mbps: mb / t_dec,
        round_trip_ok: ok,
    })
}

/// Where the bytes of a set of envelopes go, summed: (footer with its
/// tail, block headers, shared frames, pco parts). For
/// `SPICELAB_BENCH_DETAIL=1` reports.
fn breakdown(envs: &[(String, Vec<u8>)], dict: Option<&cache_zstd::Dictionary>) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (k, b) in envs {
        let Ok(r) = cache_zstd::EntryReader::open_with(&b[..], k, None, &dict) else {
            continue;
        };
        let mut at = cache_zstd::HEAD_LEN;
        for blk in &r.meta().blocks {
            let bytes = &b[at..at + blk.len as usize];
            at += blk.len as usize;
            let Some((hl, n)) = cache_zstd::tlv::get_varint(bytes) else {
                continue;
            };
            let Ok(h) = cache_zstd::wire::decode_block_header(&bytes[n..n + hl as usize], 0) else {
                continue;
            };
            out[1] += n as u64 + hl;
            out[2] += h.shared_len;
            out[3] += h.columns.iter().map(|c| c.part_len).sum::<u64>();
        }
        out[0] += (b.len() - at) as u64;
    }
    out
}

/// Prints [`breakdown`] per entry to stderr when `SPICELAB_BENCH_DETAIL` is set.
fn print_breakdown(name: &str, envs: &[(String, Vec<u8>)], dict: Option<&cache_zstd::Dictionary>) {
    if std::env::var_os("SPICELAB_BENCH_DETAIL").is_none() || envs.is_empty() {
        return;
    }
    let b = breakdown(envs, dict);
    let n = envs.len() as f64;
    eprintln!(
        "{name}: per entry: footer+tail {:.0} B, block headers {:.0} B, shared frames {:.0} B, pco parts {:.0} B",
        b[0] as f64 / n,
        b[1] as f64 / n,
        b[2] as f64 / n,
        b[3] as f64 / n
    );
}

/// Measures every data set under `fixtures_dir` (the output of
/// `cargo xtask fixtures`: `ngspice/` and `mc/`).
///
/// Speeds are only meaningful in a release build: a debug build of xtask
/// (`cargo xtask` is one) builds and runs `cargo run --release -p xtask --
/// bench-cache --json` and returns its rows.
pub fn run(ws: &Workspace, fixtures_dir: &Path, quick: bool) -> Result<Vec<CacheRow>> {
    if cfg!(debug_assertions) {
        return run_release(ws, fixtures_dir, quick);
    }
    measure_all(fixtures_dir, quick)
}

fn run_release(ws: &Workspace, fixtures_dir: &Path, quick: bool) -> Result<Vec<CacheRow>> {
    let mut cmd = ws.cargo();
    cmd.args(["run", "--release", "--quiet", "-p", "xtask", "--"])
        .args(["bench-cache", "--json", "--fixtures"])
        .arg(fixtures_dir);
    if quick {
        cmd.arg("--quick");
    }
    eprintln!("bench-cache: measuring with a release build of xtask");
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running cargo run --release -p xtask -- bench-cache")?;
    if !out.status.success() {
        bail!("release bench-cache failed ({})", out.status);
    }
    serde_json::from_slice(&out.stdout).context("parsing the release bench-cache output")
}

/// [`run`] in this process, whatever the build.
pub fn measure_all(fixtures_dir: &Path, quick: bool) -> Result<Vec<CacheRow>> {
    let only = std::env::var("SPICELAB_BENCH_ONLY").unwrap_or_default();
    data_sets(fixtures_dir)?
        .iter()
        .filter(|s| s.name.contains(&only))
        .map(|s| measure(s, quick).with_context(|| format!("bench-cache: {}", s.name)))
        .collect()
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "FAIL"
    }
}

/// The best lossless ratio of a single codec for the whole set: plain
/// zstd-3 of the raw bytes, pco per column, delta+shuffle+zstd.
pub fn best_single_ratio(r: &CacheRow) -> f64 {
    let mut best = r.zstd3_ratio.min(r.pco_only_ratio);
    if r.delta_shuffle_ratio > 0.0 {
        best = best.min(r.delta_shuffle_ratio);
    }
    best
}

/// True when the campaign goals are met: ratio (dictionary included),
/// encode and decode speed, round trip.
pub fn campaign_passes(c: &CampaignRow) -> bool {
    c.round_trip_ok
        && c.ratio <= GOAL_CAMPAIGN_RATIO
        && c.encode_mbps >= GOAL_ENCODE_MBPS
        && c.decode_mbps >= GOAL_DECODE_MBPS
}

/// True when every goal of the row is met.
pub fn row_passes(r: &CacheRow) -> bool {
    r.round_trip_ok
        && r.encode_zstd_only_mbps >= GOAL_ENCODE_MBPS
        && r.encode_auto_mbps >= GOAL_ENCODE_MBPS
        && r.decode_mbps >= GOAL_DECODE_MBPS
        && r.auto_ratio <= best_single_ratio(r)
        && (!r.transient
            || (r.auto_ratio <= GOAL_TRAN_RATIO && r.bounded_ratio <= GOAL_TRAN_BOUNDED_RATIO))
        && r.campaign.as_ref().is_none_or(campaign_passes)
}

/// Prints the table (markdown) with pass/fail against the goals of issue 3.
pub fn table(rows: &[CacheRow]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Result cache (cache-zstd): ratio = envelope bytes / raw column bytes; \
         MB/s of raw column bytes, one thread, best of 3 ({}).",
        if measures_cpu_time() {
            "the thread's CPU time"
        } else {
            "wall time"
        }
    );
    let _ = writeln!(
        s,
        "Goals: lossless <= {GOAL_TRAN_RATIO:.2} and 1e-9 bound <= {GOAL_TRAN_BOUNDED_RATIO:.2} \
         on transient data; auto never above the best single codec (zstd-3, pco, delta+shuffle); \
         encode >= {GOAL_ENCODE_MBPS:.0} MB/s, decode >= {GOAL_DECODE_MBPS:.0} MB/s."
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "| data | raw bytes | zstd-3 | pco per column | delta+shuffle | zstd-only | auto | auto, 1e-9 bound (max rel. err) \
         | encode zstd-3 / zstd-only / auto / auto 1e-9 MB/s | decode MB/s | round trip |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let ratio_goal = |x: f64, goal: f64| {
            if r.transient {
                format!("{x:.3} {}", mark(x <= goal))
            } else {
                format!("{x:.3}")
            }
        };
        let speed = |x: f64| format!("{x:.0} {}", mark(x >= GOAL_ENCODE_MBPS));
        let _ = writeln!(
        s,
            "| {} ({} file{}) | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} {} | {} ({:.2e}) | {:.0} / {} / {} / {:.0} | {:.0} {} | {} |",
            r.name,
            r.files,
            if r.files == 1 { "" } else { "s" },
            r.raw_bytes,
            r.zstd3_ratio,
            r.pco_only_ratio,
            r.delta_shuffle_ratio,
            r.zstd_only_ratio,
            ratio_goal(r.auto_ratio, GOAL_TRAN_RATIO),
            if r.auto_ratio <= best_single_ratio(r) { "(<= best single)" } else { "(ABOVE best single: FAIL)" },
            ratio_goal(r.bounded_ratio, GOAL_TRAN_BOUNDED_RATIO),
            r.max_rel_err,
            r.zstd3_encode_mbps,
            speed(r.encode_zstd_only_mbps),
            speed(r.encode_auto_mbps),
            r.encode_bounded_mbps,
            r.decode_mbps,
            mark(r.decode_mbps >= GOAL_DECODE_MBPS),
            if r.round_trip_ok { "bit for bit" } else { "FAIL" },
        );
    }
    let _ = writeln!(s);
    for r in rows {
        let _ = writeln!(s, "- {}: auto chose {}", r.name, r.auto_codecs);
    }
    let campaigns: Vec<(&CacheRow, &CampaignRow)> = rows
        .iter()
        .filter_map(|r| r.campaign.as_ref().map(|c| (r, c)))
        .collect();
    if !campaigns.is_empty() {
        let _ = writeln!(
            s,
            "\nCampaign dictionary: a zstd dictionary of at most {CAMPAIGN_DICT_SIZE} bytes trained on \
             the first {CAMPAIGN_TRAIN_RUNS} runs (their meta and shared frames), every run coded with \
             it (auto, lossless); ratio = (envelopes + the dictionary object once) / raw column bytes. \
             Goal: <= {GOAL_CAMPAIGN_RATIO:.2}.\n"
        );
        let _ = writeln!(
            s,
            "| campaign | runs | auto, one by one | auto + dictionary (object bytes, training ms) \
             | encode zstd-only / auto / auto + dictionary MB/s | decode auto / auto + dictionary MB/s | round trip |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for (r, c) in campaigns {
            let speed = |x: f64, goal: f64| format!("{x:.0} {}", mark(x >= goal));
            let _ = writeln!(
                s,
                "| {} | {} | {:.4} | {:.4} {} ({} B, {:.0} ms) | {:.0} / {:.0} / {} | {:.0} / {} | {} |",
                r.name,
                r.files,
                r.auto_ratio,
                c.ratio,
                mark(c.ratio <= GOAL_CAMPAIGN_RATIO),
                c.dict_object_bytes,
                c.train_ms,
                r.encode_zstd_only_mbps,
                r.encode_auto_mbps,
                speed(c.encode_mbps, GOAL_ENCODE_MBPS),
                r.decode_mbps,
                speed(c.decode_mbps, GOAL_DECODE_MBPS),
                if c.round_trip_ok { "bit for bit" } else { "FAIL" },
            );
        }
    }
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| !row_passes(r))
        .map(|r| r.name.as_str())
        .collect();
    if failed.is_empty() {
        let _ = writeln!(s, "\nAll cache goals met.");
    } else {
        let _ = writeln!(s, "\nGoals missed: {}", failed.join("; "));
    }
    s
}

/// Prints [`table`].
pub fn print_table(rows: &[CacheRow]) {
    print!("{}", table(rows));
}
