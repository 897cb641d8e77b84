//! cuFFT through cudarc, loaded at run time (`gpu` feature).
//!
//! cudarc panics when it first touches a CUDA library that is missing, so
//! [`probe`] looks for the driver (`libcuda.so`) and cuFFT (`libcufft.so`)
//! on disk first, by the names cudarc would load, without loading them.
//! The crate forbids `unsafe`, so pinned host buffers (`alloc_pinned` is
//! unsafe in cudarc) are not used: transfers go from pageable memory.

use crate::{Complex, FftError};
use cudarc::cufft::{sys::cufftType, CudaFft};
use cudarc::driver::{CudaContext, CudaStream};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// The directories searched for the CUDA libraries, in order:
/// `LD_LIBRARY_PATH`, then the usual system and toolkit places.
fn search_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    for d in [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/lib/x86_64-linux-gnu",
        "/lib64",
        "/usr/local/cuda/lib64",
        "/usr/local/cuda/targets/x86_64-linux/lib",
        "/usr/local/cuda/targets/sbsa-linux/lib",
        "/usr/lib/wsl/lib",
        "/usr/local/nvidia/lib64",
        "/usr/local/nvidia/lib",
    ] {
        dirs.push(PathBuf::from(d));
    }
    if let Ok(rd) = std::fs::read_dir("/usr/local") {
        for e in rd.flatten() {
            let name = e.file_name();
            if name.to_string_lossy().starts_with("cuda-") {
                dirs.push(e.path().join("lib64"));
            }
        }
    }
    dirs
}

/// Where one of the names cudarc would load for `lib` lies, if anywhere
/// (a file in the search directories, or a name in `/etc/ld.so.cache`).
fn find_library(lib: &str) -> Option<PathBuf> {
    let names = cudarc::get_lib_name_candidates(lib);
    for d in search_dirs() {
        for n in &names {
            let p = d.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    // the loader's cache lists libraries by name
    let cache = std::fs::read("/etc/ld.so.cache").ok()?;
    names
        .iter()
        .find(|n| {
            let pat = n.as_bytes();
            // a name followed by its NUL terminator, not a longer name
            cache
                .windows(pat.len() + 1)
                .any(|w| &w[..pat.len()] == pat && w[pat.len()] == 0)
        })
        .map(|n| Path::new("/etc/ld.so.cache").join(n))
}

/// `Ok` when the CUDA driver and cuFFT libraries are present; else why not.
pub(crate) fn probe() -> Result<(), String> {
    if find_library("cuda").is_none() {
        return Err("no CUDA driver library (libcuda.so) found".to_string());
    }
    if find_library("cufft").is_none() {
        return Err("no cuFFT library (libcufft.so) found".to_string());
    }
    Ok(())
}

/// Runs `f`, turning a panic inside cudarc (a library found but a symbol
/// missing) into an error.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(format!(
            "{what}: the CUDA libraries could not be used (cudarc panicked)"
        )),
    }
}

/// Batched real FFTs with cuFFT on GPU 0: one `cufftPlanMany` plan per
/// (size, batch), cached.
pub(crate) struct GpuFft {
    stream: Arc<CudaStream>,
    plans: Mutex<HashMap<(usize, usize), Arc<CudaFft>>>,
}

/// Seconds spent in each phase of one batched GPU transform.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct GpuTimes {
    /// Making the plan (0 when it was cached).
    pub plan_s: f64,
    /// Host to device.
    pub upload_s: f64,
    /// The transform itself (synchronised).
    pub exec_s: f64,
    /// Device to host, and the conversion to `Complex`.
    pub download_s: f64,
}

impl GpuFft {
    /// A context on GPU 0 (after [`probe`]).
    pub(crate) fn new() -> Result<GpuFft, String> {
        guarded("opening GPU 0", || {
            let ctx = CudaContext::new(0).map_err(|e| format!("opening GPU 0: {e}"))?;
            Ok(GpuFft {
                stream: ctx.default_stream(),
                plans: Mutex::new(HashMap::new()),
            })
        })
    }

    fn plan(&self, n: usize, batch: usize) -> Result<(Arc<CudaFft>, f64), FftError> {
        let mut plans = self.plans.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(p) = plans.get(&(n, batch)) {
            return Ok((p.clone(), 0.0));
        }
        let t = Instant::now();
        let too_big = || FftError::Gpu {
            message: format!("{batch} x {n} points is too large for one cuFFT plan"),
        };
        let ni = i32::try_from(n).map_err(|_| too_big())?;
        let bi = i32::try_from(batch).map_err(|_| too_big())?;
        let odist = i32::try_from(n / 2 + 1).map_err(|_| too_big())?;
        let plan = CudaFft::plan_many(
            &[ni],
            None,
            1,
            ni,
            None,
            1,
            odist,
            cufftType::CUFFT_D2Z,
            bi,
            self.stream.clone(),
        )
        .map_err(|e| FftError::Gpu {
            message: format!("cufftPlanMany({n}, batch {batch}): {e:?}"),
        })?;
        let plan = Arc::new(plan);
        plans.insert((n, batch), plan.clone());
        Ok((plan, t.elapsed().as_secs_f64()))
    }

    /// As [`crate::CpuFft::forward_batch`], on the GPU, with the time of
    /// each phase. A panic inside cudarc (a library of the wrong version,
    /// a missing symbol) becomes an error.
    pub(crate) fn forward_batch_timed(
        &self,
        n: usize,
        input: &[f64],
        output: &mut [Complex],
    ) -> Result<GpuTimes, FftError> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.forward_batch_inner(n, input, output)
        })) {
            Ok(r) => r,
            Err(_) => Err(FftError::Gpu {
                message: "cudarc panicked: the CUDA libraries could not be used".into(),
            }),
        }
    }

    fn forward_batch_inner(
        &self,
        n: usize,
        input: &[f64],
        output: &mut [Complex],
    ) -> Result<GpuTimes, FftError> {
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
        let batch = input.len() / n;
        if batch == 0 {
            return Ok(GpuTimes::default());
        }
        let gpu = |e: cudarc::driver::DriverError| FftError::Gpu {
            message: format!("{e:?}"),
        };
        let mut times = GpuTimes::default();
        let (plan, plan_s) = self.plan(n, batch)?;
        times.plan_s = plan_s;
        let t = Instant::now();
        let d_in = self.stream.clone_htod(input).map_err(gpu)?;
        let mut d_out = self
            .stream
            .alloc_zeros::<cudarc::cufft::sys::double2>(output.len())
            .map_err(gpu)?;
        self.stream.synchronize().map_err(gpu)?;
        times.upload_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        plan.exec_d2z(&d_in, &mut d_out)
            .map_err(|e| FftError::Gpu {
                message: format!("cufftExecD2Z: {e:?}"),
            })?;
        self.stream.synchronize().map_err(gpu)?;
        times.exec_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let host = self.stream.clone_dtoh(&d_out).map_err(gpu)?;
        for (o, h) in output.iter_mut().zip(&host) {
            *o = Complex::new(h.x, h.y);
        }
        times.download_s = t.elapsed().as_secs_f64();
        Ok(times)
    }

    /// As [`crate::CpuFft::forward_batch`], on the GPU.
    pub(crate) fn forward_batch(
        &self,
        n: usize,
        input: &[f64],
        output: &mut [Complex],
    ) -> Result<(), FftError> {
        self.forward_batch_timed(n, input, output).map(|_| ())
    }
}
