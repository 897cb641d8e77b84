//! Spectral measures batched across the jobs of a campaign.
//!
//! Each job of a campaign streams its result once; at the end of the
//! stream its spectral measures (`thd`, `sinad`, `sfdr`, `enob`, `snr`)
//! leave one resampled record each ([`Measurer::prepare`]). Rather than
//! transforming one job's records alone, the jobs hand them to a
//! [`SpectralBatcher`] shared by the workers; the job whose records fill
//! the batch ([`SPECTRAL_BATCH`] records, or [`SPECTRAL_BATCH_SAMPLES`]
//! samples) transforms the records of all the jobs in it with one call to
//! the FFT engine ([`complete`]), and gets back every job's values with
//! the payload it handed in (a campaign run: the job's uncommitted cache
//! entry). What is left at the end is transformed by [`SpectralBatcher::flush`].
//! The lock is held only to add or take records, never during a
//! transform, so no worker waits on another's batch.
//!
//! ```
//! use spicelab::measure::{Measurer, MeasureKind, MeasureSpec, SpectralMetric, SpectralSpec};
//! use spicelab::raw_stream::{Chunk, RawFile};
//! use spicelab::spectral_batch::SpectralBatcher;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/fft/clipper.raw");
//! let raw = RawFile::open(path)?;
//! let thd = MeasureSpec {
//!     name: "thd".into(),
//!     kind: MeasureKind::Spectral(SpectralSpec {
//!         metric: SpectralMetric::Thd,
//!         fundamental: Some(1e3),
//!         harmonics: 9,
//!         window: None,
//!     }),
//!     var: "v(out)".into(),
//!     plot: None,
//!     from: Some(4e-3),
//!     to: Some(5e-3),
//! };
//! let batcher = SpectralBatcher::new(2);
//! let mut done = Vec::new();
//! for job in 0..3 {
//!     let mut m = Measurer::new(&raw, std::slice::from_ref(&thd))?;
//!     let mut chunk = Chunk::default();
//!     let mut chunks = raw.plot(0)?.chunks(4096);
//!     while chunks.fill(&mut chunk)? {
//!         m.feed(0, &chunk);
//!     }
//!     // the second job fills the batch: both jobs' records in one call
//!     done.extend(batcher.submit(job, m.prepare()));
//! }
//! done.extend(batcher.flush());
//! assert_eq!(batcher.batches(), 2);
//! assert_eq!(done.iter().map(|(job, _)| *job).collect::<Vec<_>>(), [0, 1, 2]);
//! let alone = spicelab::measure::measure_file(&raw, &[thd])?;
//! assert!(done.iter().all(|(_, v)| *v == alone));
//! # Ok(()) }
//! ```
//!
//! [`Measurer::prepare`]: crate::measure::Measurer::prepare

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::measure::{complete, fft_engine, Prepared};

/// A batch is transformed once it holds this many spectral records (64;
/// `RunOptions::spectral_batch` changes it for a run). Enough to fill a
/// GPU's batched transform or every core's share of a CPU batch, while
/// what waits stays small: the records (a few thousand points each for a
/// typical window) and, in a campaign run, each waiting job's open cache
/// entry (a temporary file and its 1 MiB write buffer).
pub const SPECTRAL_BATCH: usize = 64;

/// A batch is also transformed once its records hold this many samples
/// (2^24: 128 MiB of `f64`), whatever their count, so that a few very
/// long records do not wait for [`SPECTRAL_BATCH`] others.
pub const SPECTRAL_BATCH_SAMPLES: usize = 1 << 24;

/// What waits for the next batch.
struct Waiting<P> {
    items: Vec<(P, Prepared)>,
    records: usize,
    samples: usize,
}

/// Gathers the spectral records of many results and transforms them in
/// batches across results (see the module's documentation). `P` is what
/// the caller needs back with each result's values.
pub struct SpectralBatcher<'e, P> {
    engine: &'e fft_gpu::Engine,
    limit: usize,
    max_samples: usize,
    waiting: Mutex<Waiting<P>>,
    batches: AtomicUsize,
}

impl<P> std::fmt::Debug for SpectralBatcher<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpectralBatcher")
            .field("engine", &self.engine.kind())
            .field("limit", &self.limit)
            .field("batches", &self.batches())
            .finish_non_exhaustive()
    }
}

impl<P> SpectralBatcher<'static, P> {
    /// A batcher of `limit` records (at least 1) on the process-wide
    /// engine ([`fft_engine`]).
    pub fn new(limit: usize) -> SpectralBatcher<'static, P> {
        SpectralBatcher::with_engine(fft_engine(), limit)
    }
}

impl<'e, P> SpectralBatcher<'e, P> {
    /// A batcher of `limit` records (at least 1) on `engine`.
    pub fn with_engine(engine: &'e fft_gpu::Engine, limit: usize) -> SpectralBatcher<'e, P> {
        SpectralBatcher {
            engine,
            limit: limit.max(1),
            max_samples: SPECTRAL_BATCH_SAMPLES,
            waiting: Mutex::new(Waiting {
                items: Vec::new(),
                records: 0,
                samples: 0,
            }),
            batches: AtomicUsize::new(0),
        }
    }

    /// The records a batch holds before it is transformed.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Adds one result's records. When they fill the batch, the batch is
    /// taken and transformed here, on the caller's thread, and every
    /// result in it comes back with its payload and its values (in the
    /// order they were added); otherwise nothing comes back yet.
    pub fn submit(&self, payload: P, prepared: Prepared) -> Vec<(P, Vec<Option<f64>>)> {
        let full = {
            let mut w = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            w.records += prepared.records();
            w.samples = w.samples.saturating_add(prepared.samples());
            w.items.push((payload, prepared));
            if w.records >= self.limit || w.samples >= self.max_samples {
                Some(Self::take(&mut w))
            } else {
                None
            }
        };
        match full {
            Some(items) => self.run(items),
            None => Vec::new(),
        }
    }

    /// Transforms what waits (a batch smaller than the limit) and returns
    /// it as [`SpectralBatcher::submit`] does; nothing when nothing waits.
    pub fn flush(&self) -> Vec<(P, Vec<Option<f64>>)> {
        let items = {
            let mut w = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            Self::take(&mut w)
        };
        if items.is_empty() {
            return Vec::new();
        }
        self.run(items)
    }

    /// How many batches went through the engine so far.
    pub fn batches(&self) -> usize {
        self.batches.load(Ordering::Relaxed)
    }

    fn take(w: &mut Waiting<P>) -> Vec<(P, Prepared)> {
        w.records = 0;
        w.samples = 0;
        std::mem::take(&mut w.items)
    }

    fn run(&self, items: Vec<(P, Prepared)>) -> Vec<(P, Vec<Option<f64>>)> {
        let jobs = items.len();
        let records: usize = items.iter().map(|(_, p)| p.records()).sum();
        let (payloads, prepared): (Vec<P>, Vec<Prepared>) = items.into_iter().unzip();
        let t0 = Instant::now();
        let values = complete(self.engine, prepared);
        self.batches.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            jobs,
            records,
            backend = self.engine.kind().name(),
            ms = t0.elapsed().as_secs_f64() * 1e3,
            "spectral batch"
        );
        payloads.into_iter().zip(values).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{MeasureKind, MeasureSpec, Measurer, SpectralMetric, SpectralSpec};
    use raw_stream::{Chunk, RawFile};

    fn clipper() -> RawFile {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/fft/clipper.raw"
        );
        RawFile::open(path).unwrap()
    }

    fn thd(from: f64) -> MeasureSpec {
        MeasureSpec {
            name: format!("thd{from}"),
            kind: MeasureKind::Spectral(SpectralSpec {
                metric: SpectralMetric::Thd,
                fundamental: Some(1e3),
                harmonics: 9,
                window: None,
            }),
            var: "v(out)".into(),
            plot: None,
            from: Some(from),
            to: Some(5e-3),
        }
    }

    fn prepared(raw: &RawFile, specs: &[MeasureSpec]) -> Prepared {
        let mut m = Measurer::new(raw, specs).unwrap();
        let mut chunk = Chunk::default();
        let mut chunks = raw.plot(0).unwrap().chunks(1000);
        while chunks.fill(&mut chunk).unwrap() {
            m.feed(0, &chunk);
        }
        m.prepare()
    }

    /// Workers submitting at once: every result comes back once, with
    /// the values its records give alone, in ceil(records / limit) batches.
    #[test]
    fn threads_share_one_batcher() {
        let raw = clipper();
        // three windows: 1, 2 and 3 periods before the end
        let specs = [thd(4e-3), thd(3e-3), thd(2e-3)];
        let alone = crate::measure::measure_file(&raw, &specs).unwrap();
        assert!(alone.iter().all(Option::is_some), "{alone:?}");
        let batcher = SpectralBatcher::<usize>::new(7);
        let done = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..4 {
                let (raw, specs, batcher, done) = (&raw, &specs, &batcher, &done);
                s.spawn(move || {
                    for k in 0..5 {
                        let got = batcher.submit(t * 5 + k, prepared(raw, specs));
                        done.lock().unwrap().extend(got);
                    }
                });
            }
        });
        let mut done = done.into_inner().unwrap();
        done.extend(batcher.flush());
        // 20 results of 3 records: 60 records, a batch once 7 or more wait
        // (3 results, 9 records), so 6 full batches and 2 results left
        assert_eq!(batcher.batches(), 7);
        assert!(batcher.flush().is_empty());
        assert_eq!(batcher.batches(), 7);
        done.sort_by_key(|(k, _)| *k);
        assert_eq!(
            done.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            (0..20).collect::<Vec<_>>()
        );
        for (k, v) in &done {
            let b = |v: &[Option<f64>]| v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
            assert_eq!(b(v), b(&alone), "result {k}");
        }
    }

    /// A batch is also taken once its records hold the sample limit.
    #[test]
    fn the_sample_limit_takes_a_batch() {
        let raw = clipper();
        let specs = [thd(4e-3)];
        let one = prepared(&raw, &specs);
        assert_eq!(one.records(), 1);
        let mut batcher = SpectralBatcher::<u8>::new(SPECTRAL_BATCH);
        batcher.max_samples = 2 * one.samples();
        assert!(batcher.submit(0, one.clone()).is_empty());
        let got = batcher.submit(1, one);
        assert_eq!(got.len(), 2);
        assert_eq!(batcher.batches(), 1);
        assert!(got.iter().all(|(_, v)| v[0].is_some()));
    }
}
