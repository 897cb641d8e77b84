//! The real FFT on the CPU: realfft plans cached per size, batches spread
//! over the cores with rayon.

use crate::{Complex, FftError};
use rayon::prelude::*;
use realfft::{RealFftPlanner, RealToComplex};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Real forward FFTs on the CPU. Plans are made once per size and reused
/// (the planner is shared, so one `CpuFft` serves every thread).
#[derive(Default)]
pub struct CpuFft {
    plans: Mutex<HashMap<usize, Arc<dyn RealToComplex<f64>>>>,
}

impl std::fmt::Debug for CpuFft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuFft").finish_non_exhaustive()
    }
}

impl CpuFft {
    /// An engine with no plans yet.
    pub fn new() -> CpuFft {
        CpuFft::default()
    }

    /// The plan for `n` points (made on first use).
    pub fn plan(&self, n: usize) -> Arc<dyn RealToComplex<f64>> {
        let mut plans = self.plans.lock().unwrap_or_else(PoisonError::into_inner);
        plans
            .entry(n)
            .or_insert_with(|| RealFftPlanner::<f64>::new().plan_fft_forward(n))
            .clone()
    }

    /// The forward FFT of `input` (`n` real values) into `output` (`n / 2
    /// + 1` bins); `input` is used as scratch and left changed.
    pub fn forward(&self, input: &mut [f64], output: &mut [Complex]) -> Result<(), FftError> {
        let n = input.len();
        crate::resample::check_points(n)?;
        if output.len() != n / 2 + 1 {
            return Err(FftError::Invalid {
                message: format!(
                    "{} output bins for {n} points: need {}",
                    output.len(),
                    n / 2 + 1
                ),
            });
        }
        let plan = self.plan(n);
        let mut scratch = plan.make_scratch_vec();
        plan.process_with_scratch(input, output, &mut scratch)
            .map_err(|e| FftError::Invalid {
                message: e.to_string(),
            })
    }

    /// Batched forward FFTs: `input` holds `batch` records of `n` points
    /// one after another (used as scratch), `output` receives `batch`
    /// spectra of `n / 2 + 1` bins one after another. Records are spread
    /// over rayon's threads, one scratch buffer per thread.
    pub fn forward_batch(
        &self,
        n: usize,
        input: &mut [f64],
        output: &mut [Complex],
    ) -> Result<(), FftError> {
        crate::resample::check_points(n)?;
        let bins = n / 2 + 1;
        if input.len() % n != 0 || output.len() != input.len() / n * bins {
            return Err(FftError::Invalid {
                message: format!(
                    "a batch of {} values and {} bins does not fit records of {n} points",
                    input.len(),
                    output.len()
                ),
            });
        }
        let plan = self.plan(n);
        input
            .par_chunks_mut(n)
            .zip(output.par_chunks_mut(bins))
            .try_for_each_init(
                || plan.make_scratch_vec(),
                |scratch, (i, o)| plan.process_with_scratch(i, o, scratch),
            )
            .map_err(|e| FftError::Invalid {
                message: e.to_string(),
            })
    }
}
