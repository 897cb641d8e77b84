//! fft-gpu: spectra and distortion metrics of SPICE transients.
//!
//! SPICE time steps are not uniform, so a transient is first resampled onto
//! a uniform grid over a chosen record ([`resample`], linear or cubic, as
//! ngspice's `linearize`), then windowed ([`Window`], with its coherent and
//! noise gains so amplitudes and powers come out right), transformed with a
//! real FFT ([`Engine`]: realfft on the CPU, batched across records with
//! rayon and plans reused; or cuFFT on an NVIDIA GPU with the `gpu`
//! feature, falling back to the CPU when CUDA is missing), and measured
//! ([`distortion`]: fundamental, THD with harmonics above Nyquist folded
//! back, SNR, SINAD, SFDR, ENOB, noise floor, and the bins each used).
//! [`choose_record`] picks the record, the grid and the window the way
//! `docs/fft.md` describes.
//!
//! ```
//! use fft_gpu::{choose_record, distortion, Backend, Engine, Interp, MetricOptions, RecordOptions};
//!
//! # fn main() -> Result<(), fft_gpu::FftError> {
//! // 1 kHz with 1% third harmonic, on a non-uniform time axis
//! let xs: Vec<f64> = (0..20_000).map(|i| (i as f64 / 20_000.0).powf(1.1) * 5e-3).collect();
//! let ys: Vec<f64> = xs
//!     .iter()
//!     .map(|t| (6.283185307179586e3 * t).sin() + 0.01 * (3.0 * 6.283185307179586e3 * t).sin())
//!     .collect();
//! let opts = RecordOptions { fundamental: Some(1e3), ..RecordOptions::default() };
//! // whole periods ending at the last sample, so the rectangular window is exact
//! let rec = choose_record(&xs, &opts)?;
//! let samples = fft_gpu::resample(&xs, &ys, &rec.grid, Interp::Cubic)?;
//! let engine = Engine::new(Backend::Cpu)?;
//! let spectra = engine.spectra(vec![fft_gpu::Record::new(samples, rec.grid.rate(), rec.window)])?;
//! let d = distortion(&spectra[0], &MetricOptions { fundamental: Some(1e3), harmonics: 9 })?;
//! assert!((d.thd_db + 40.0).abs() < 0.01, "{}", d.thd_db);
//! # Ok(()) }
//! ```

mod cpu;
#[cfg(feature = "gpu")]
mod gpu;
mod metrics;
mod record;
mod resample;
mod window;

pub use cpu::CpuFft;
#[cfg(feature = "gpu")]
pub use gpu::GpuTimes;
pub use metrics::{distortion, Bins, Distortion, Harmonic, MetricOptions, MAX_HARMONICS};
pub use record::{choose_record, Chosen, RecordOptions, DEFAULT_MAX_POINTS};
pub use resample::{resample, resample_into, Grid, Interp};
pub use window::{Gains, Window, KAISER_DEFAULT_BETA};

/// A complex bin of a spectrum.
pub type Complex = realfft::num_complex::Complex<f64>;

/// The most points one record may have (2^25): every allocation sized by a
/// record is checked against it.
pub const MAX_POINTS: usize = 1 << 25;

/// Why a spectrum or its metrics cannot be computed.
#[derive(thiserror::Error, Debug)]
pub enum FftError {
    /// An unknown window name.
    #[error(
        "unknown window '{name}' (rectangular, hann, hamming, blackman-harris, flat-top, kaiser, kaiser:BETA)"
    )]
    Window {
        /// The name given.
        name: String,
    },
    /// The record asks for times outside the data.
    #[error("the record [{from}, {to}] is not inside the data [{first}, {last}]")]
    Uncovered {
        /// The record's first time.
        from: f64,
        /// Its last sample's time.
        to: f64,
        /// The data's first time.
        first: f64,
        /// The data's last time.
        last: f64,
    },
    /// Input or settings that cannot give a spectrum.
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
    },
    /// `--backend gpu` on a machine or build without a usable GPU.
    #[error("the GPU backend is unavailable: {reason}")]
    GpuUnavailable {
        /// Why (no CUDA driver, no cuFFT, built without the `gpu` feature).
        reason: String,
    },
    /// The GPU failed while working.
    #[error("GPU: {message}")]
    Gpu {
        /// What cudarc or cuFFT said.
        message: String,
    },
}

/// Which FFT backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The GPU when it is usable, else the CPU (with one log line saying why).
    Auto,
    /// realfft on the CPU.
    Cpu,
    /// cuFFT; an error when it is unavailable.
    Gpu,
}

impl Backend {
    /// Reads `auto`, `cpu` or `gpu`.
    pub fn parse(s: &str) -> Result<Backend, FftError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Backend::Auto),
            "cpu" => Ok(Backend::Cpu),
            "gpu" | "cuda" => Ok(Backend::Gpu),
            _ => Err(FftError::Invalid {
                message: format!("unknown backend '{s}' (auto, cpu or gpu)"),
            }),
        }
    }
}

/// Whether the GPU backend can be used here, and if not, why. Never
/// panics: with the `gpu` feature it looks for the CUDA driver and cuFFT
/// libraries on disk before cudarc is touched.
pub fn gpu_status() -> Result<(), String> {
    #[cfg(feature = "gpu")]
    {
        gpu::probe()
    }
    #[cfg(not(feature = "gpu"))]
    {
        Err("spicelab was built without the `gpu` feature".to_string())
    }
}

/// One record to transform: uniform samples, their rate, and the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The uniform samples (the window is applied by the engine).
    pub samples: Vec<f64>,
    /// Samples per second.
    pub rate: f64,
    /// The window.
    pub window: Window,
}

impl Record {
    /// A record.
    pub fn new(samples: Vec<f64>, rate: f64, window: Window) -> Record {
        Record {
            samples,
            rate,
            window,
        }
    }
}

/// The spectrum of one record: the raw bins of the real FFT of the
/// windowed samples (`X[k] = sum x[n] w[n] exp(-2 pi i k n / N)`, as
/// numpy's `rfft` of the windowed samples), with what is needed to scale
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// How many samples the record had (N).
    pub points: usize,
    /// Samples per second.
    pub rate: f64,
    /// The window applied.
    pub window: Window,
    /// Its gains at N points.
    pub gains: Gains,
    /// N / 2 + 1 bins.
    pub bins: Vec<Complex>,
}

impl Spectrum {
    /// The bin width, `rate / points`, Hz.
    pub fn bin_hz(&self) -> f64 {
        self.rate / self.points as f64
    }

    /// The frequency of bin `k`.
    pub fn frequency(&self, k: usize) -> f64 {
        k as f64 * self.bin_hz()
    }

    /// The one-sided power spectrum, a mean square per bin:
    /// `P[k] = c |X[k]|^2 / (N * sum w^2)`, `c` 2 except at DC and Nyquist.
    /// The bins of a tone sum to its power (`A^2 / 2` for a sine of
    /// amplitude `A`) whatever the window; with the rectangular window all
    /// bins sum to the mean square of the samples (Parseval).
    pub fn power(&self) -> Vec<f64> {
        let n = self.points;
        let scale = 1.0 / (n as f64 * self.gains.sum_sq);
        let last = self.bins.len().saturating_sub(1);
        self.bins
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let edge = k == 0 || (n % 2 == 0 && k == last);
                let c2 = if edge { 1.0 } else { 2.0 };
                c2 * c.norm_sqr() * scale
            })
            .collect()
    }

    /// The peak amplitude a tone exactly on bin `k` would have:
    /// `c |X[k]| / sum w` (`c` 2 except at DC and Nyquist).
    pub fn amplitude(&self) -> Vec<f64> {
        let n = self.points;
        let last = self.bins.len().saturating_sub(1);
        self.bins
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let edge = k == 0 || (n % 2 == 0 && k == last);
                let c2 = if edge { 1.0 } else { 2.0 };
                c2 * c.norm() / self.gains.sum
            })
            .collect()
    }
}

/// Which backend an [`Engine`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// realfft on the CPU.
    Cpu,
    /// cuFFT on a GPU.
    Gpu,
}

impl BackendKind {
    /// `cpu` or `gpu`.
    pub fn name(&self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Gpu => "gpu",
        }
    }
}

/// Batched real FFTs on the chosen backend. Records of the same length are
/// transformed in one batch (rayon across cores on the CPU, one
/// `cufftPlanMany` call on the GPU); plans are cached per size.
pub struct Engine {
    cpu: CpuFft,
    #[cfg(feature = "gpu")]
    gpu: Option<gpu::GpuFft>,
    kind: BackendKind,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("kind", &self.kind).finish()
    }
}

impl Engine {
    /// An engine on `backend`. `Gpu` fails with
    /// [`FftError::GpuUnavailable`] where there is no usable GPU; `Auto`
    /// then falls back to the CPU, logging one line that says why.
    pub fn new(backend: Backend) -> Result<Engine, FftError> {
        let cpu = CpuFft::new();
        let cpu_engine = |cpu| Engine {
            cpu,
            #[cfg(feature = "gpu")]
            gpu: None,
            kind: BackendKind::Cpu,
        };
        match backend {
            Backend::Cpu => Ok(cpu_engine(cpu)),
            Backend::Gpu | Backend::Auto => match Engine::open_gpu() {
                Ok(e) => Ok(e),
                Err(reason) if backend == Backend::Auto => {
                    tracing::info!("FFT backend: GPU unavailable ({reason}); using the CPU");
                    Ok(cpu_engine(cpu))
                }
                Err(reason) => Err(FftError::GpuUnavailable { reason }),
            },
        }
    }

    /// An engine on the CPU (cannot fail).
    pub fn new_cpu() -> Engine {
        Engine {
            cpu: CpuFft::new(),
            #[cfg(feature = "gpu")]
            gpu: None,
            kind: BackendKind::Cpu,
        }
    }

    #[cfg(feature = "gpu")]
    fn open_gpu() -> Result<Engine, String> {
        gpu::probe()?;
        let g = gpu::GpuFft::new()?;
        Ok(Engine {
            cpu: CpuFft::new(),
            gpu: Some(g),
            kind: BackendKind::Gpu,
        })
    }

    #[cfg(not(feature = "gpu"))]
    fn open_gpu() -> Result<Engine, String> {
        gpu_status().map(|()| Engine {
            cpu: CpuFft::new(),
            kind: BackendKind::Cpu,
        })
    }

    /// The backend in use.
    pub fn kind(&self) -> BackendKind {
        self.kind
    }

    /// The CPU engine (also used by a GPU engine for odd sizes).
    pub fn cpu(&self) -> &CpuFft {
        &self.cpu
    }

    /// Batched forward FFTs of `batch` records of `n` points stored one
    /// after another in `input` (already windowed; used as scratch), into
    /// `output` (`batch * (n / 2 + 1)` bins).
    pub fn forward_batch(
        &self,
        n: usize,
        input: &mut [f64],
        output: &mut [Complex],
    ) -> Result<(), FftError> {
        #[cfg(feature = "gpu")]
        if let Some(g) = &self.gpu {
            return g.forward_batch(n, input, output);
        }
        self.cpu.forward_batch(n, input, output)
    }

    /// As [`Engine::forward_batch`] on the GPU, with the time of each
    /// phase (plan, upload, transform, download); an error on a CPU engine.
    #[cfg(feature = "gpu")]
    pub fn forward_batch_timed(
        &self,
        n: usize,
        input: &[f64],
        output: &mut [Complex],
    ) -> Result<GpuTimes, FftError> {
        match &self.gpu {
            Some(g) => g.forward_batch_timed(n, input, output),
            None => Err(FftError::GpuUnavailable {
                reason: "this engine runs on the CPU".into(),
            }),
        }
    }

    /// The spectra of `records`, in order: each is windowed, records of
    /// the same length go through one batched transform.
    pub fn spectra(&self, records: Vec<Record>) -> Result<Vec<Spectrum>, FftError> {
        let mut out: Vec<Option<Spectrum>> = vec![None; records.len()];
        let mut by_len: Vec<(usize, Vec<usize>)> = Vec::new();
        for (i, r) in records.iter().enumerate() {
            resample::check_points(r.samples.len())?;
            if !(r.rate.is_finite() && r.rate > 0.0) {
                return Err(FftError::Invalid {
                    message: format!("sample rate {}: must be above 0", r.rate),
                });
            }
            match by_len.iter_mut().find(|(n, _)| *n == r.samples.len()) {
                Some((_, v)) => v.push(i),
                None => by_len.push((r.samples.len(), vec![i])),
            }
        }
        let mut records: Vec<Option<Record>> = records.into_iter().map(Some).collect();
        for (n, idx) in by_len {
            let bins = n / 2 + 1;
            let mut input = Vec::with_capacity(n * idx.len());
            let mut meta = Vec::with_capacity(idx.len());
            let mut coeffs: Vec<(Window, Vec<f64>)> = Vec::new();
            for &i in &idx {
                let Some(r) = records[i].take() else { continue };
                let w = match coeffs.iter().position(|(w, _)| *w == r.window) {
                    Some(p) => p,
                    None => {
                        coeffs.push((r.window, r.window.coefficients(n)));
                        coeffs.len() - 1
                    }
                };
                let c = &coeffs[w].1;
                input.extend(r.samples.iter().zip(c).map(|(x, w)| x * w));
                meta.push((i, r.rate, r.window, Gains::of(c)));
            }
            let mut output = vec![Complex::new(0.0, 0.0); bins * meta.len()];
            self.forward_batch(n, &mut input, &mut output)?;
            for (slot, (i, rate, window, gains)) in meta.into_iter().enumerate() {
                out[i] = Some(Spectrum {
                    points: n,
                    rate,
                    window,
                    gains,
                    bins: output[slot * bins..(slot + 1) * bins].to_vec(),
                });
            }
        }
        out.into_iter()
            .map(|s| {
                s.ok_or_else(|| FftError::Invalid {
                    message: "a record was not transformed".into(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
