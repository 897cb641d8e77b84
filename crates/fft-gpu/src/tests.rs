//! Tests of the spectra and metrics on synthetic signals with known values.

use super::*;
use proptest::prelude::*;
use std::f64::consts::TAU;

fn spectrum(samples: Vec<f64>, rate: f64, window: Window) -> Spectrum {
    let e = Engine::new(Backend::Cpu).unwrap();
    e.spectra(vec![Record::new(samples, rate, window)])
        .unwrap()
        .remove(0)
}

/// `a1 sin(2 pi f t) + a3 sin(2 pi 3f t + 0.3)` at `rate`, `n` samples.
fn tone(n: usize, rate: f64, f: f64, a1: f64, a3: f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            a1 * (TAU * f * t).sin() + a3 * (TAU * 3.0 * f * t + 0.3).sin()
        })
        .collect()
}

/// A small deterministic normal generator (xorshift + Box-Muller).
fn normals(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.max(1);
    let mut uni = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u, v) = (uni(), uni());
            (-2.0 * u.ln()).sqrt() * (TAU * v).cos()
        })
        .collect()
}

#[test]
fn one_percent_third_harmonic_coherent_rectangular() {
    // 16 whole periods in 4096 points
    let n = 4096;
    let x = tone(n, 4096.0, 16.0, 1.0, 0.01);
    let s = spectrum(x, 4096.0, Window::Rectangular);
    let d = distortion(&s, &MetricOptions::default()).unwrap();
    assert!((d.thd_db + 40.0).abs() < 0.01, "{}", d.thd_db);
    assert!((d.thd_percent - 1.0).abs() < 1e-3);
    assert!((d.fundamental_hz - 16.0).abs() < 1e-9);
    assert!((d.fundamental_amplitude - 1.0).abs() < 1e-9);
    assert_eq!(d.fundamental_bin, 16);
    assert_eq!(d.harmonics[1].bin, 48);
    assert!((d.harmonics[1].dbc + 40.0).abs() < 1e-6);
}

#[test]
fn one_percent_third_harmonic_non_coherent_windows() {
    // 32.37 periods: the tone falls between bins (Kaiser 20 needs 17)
    let n = 8192;
    let f = 32.37 * 8192.0 / n as f64;
    let x = tone(n, 8192.0, f, 1.0, 0.01);
    for w in [
        Window::BlackmanHarris,
        Window::Kaiser { beta: 20.0 },
        Window::FlatTop,
    ] {
        let s = spectrum(x.clone(), 8192.0, w);
        let d = distortion(&s, &MetricOptions::default()).unwrap();
        assert!((d.thd_db + 40.0).abs() < 0.01, "{}: {}", w.name(), d.thd_db);
        assert!(
            (d.fundamental_hz - f).abs() < 0.01,
            "{}: {}",
            w.name(),
            d.fundamental_hz
        );
        assert!((d.fundamental_amplitude - 1.0).abs() < 1e-3, "{}", w.name());
        // with the given fundamental too
        let d = distortion(
            &s,
            &MetricOptions {
                fundamental: Some(f),
                harmonics: 5,
            },
        )
        .unwrap();
        assert!((d.thd_db + 40.0).abs() < 0.01, "{}: {}", w.name(), d.thd_db);
    }
    // the rectangular window leaks: it is not suitable here
    let s = spectrum(x, 8192.0, Window::Rectangular);
    let d = distortion(&s, &MetricOptions::default()).unwrap();
    assert!((d.thd_db + 40.0).abs() > 0.05, "{}", d.thd_db);
}

#[test]
fn snr_sinad_enob_of_a_noisy_sine() {
    let n = 1 << 16;
    let sigma = 1e-3;
    let noise = normals(n, 7);
    let x: Vec<f64> = tone(n, n as f64, 1001.0, 1.0, 0.0)
        .iter()
        .zip(&noise)
        .map(|(s, e)| s + sigma * e)
        .collect();
    let s = spectrum(x, n as f64, Window::BlackmanHarris);
    let d = distortion(&s, &MetricOptions::default()).unwrap();
    let want = 10.0 * (0.5 / (sigma * sigma)).log10(); // 56.99 dB
    assert!((d.snr_db - want).abs() < 0.1, "{} vs {want}", d.snr_db);
    assert!((d.sinad_db - d.snr_db).abs() < 0.1);
    assert!((d.enob - (d.sinad_db - 1.76) / 6.02).abs() < 1e-12);
    // noise floor per bin: sigma^2 spread over n/2 bins
    let floor = 10.0 * (sigma * sigma / (n as f64 / 2.0)).log10();
    assert!(
        (d.noise_floor_db - floor).abs() < 0.2,
        "{} vs {floor}",
        d.noise_floor_db
    );
    assert!(d.sfdr_db > d.snr_db);
}

#[test]
fn sfdr_is_the_largest_spur() {
    let n = 4096;
    let mut x = tone(n, 4096.0, 100.0, 1.0, 0.001);
    for (i, v) in x.iter_mut().enumerate() {
        *v += 0.003 * (TAU * 700.0 * i as f64 / 4096.0).sin();
    }
    let s = spectrum(x, 4096.0, Window::Rectangular);
    let d = distortion(&s, &MetricOptions::default()).unwrap();
    assert_eq!(d.sfdr_bin, 700);
    assert!((d.sfdr_db - 20.0 * (1.0f64 / 0.003).log10()).abs() < 1e-6);
    // the 700 Hz tone is the 7th harmonic: it counts in THD
    assert!((d.thd_percent - 100.0 * (0.001f64.powi(2) + 0.003f64.powi(2)).sqrt()).abs() < 1e-6);
}

#[test]
fn harmonics_above_nyquist_fold_back() {
    // fs = 1000, f = 130: 4th harmonic 520 Hz folds to 480 Hz
    let n = 1000;
    let x: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / 1000.0;
            (TAU * 130.0 * t).sin() + 0.02 * (TAU * 520.0 * t).sin()
        })
        .collect();
    let s = spectrum(x, 1000.0, Window::Rectangular);
    let d = distortion(
        &s,
        &MetricOptions {
            fundamental: Some(130.0),
            harmonics: 5,
        },
    )
    .unwrap();
    let h4 = &d.harmonics[2];
    assert_eq!(h4.order, 4);
    assert!(h4.folded);
    assert_eq!(h4.bin, 480);
    assert!((h4.alias_hz - 480.0).abs() < 1e-9);
    assert!(
        (d.thd_db - 20.0 * 0.02f64.log10()).abs() < 1e-6,
        "{}",
        d.thd_db
    );
}

#[test]
fn bad_settings_are_errors_not_panics() {
    let s = spectrum(tone(64, 64.0, 4.0, 1.0, 0.0), 64.0, Window::Rectangular);
    let o = |f: Option<f64>, h: u32| MetricOptions {
        fundamental: f,
        harmonics: h,
    };
    assert!(distortion(&s, &o(Some(40.0), 3)).is_err()); // above Nyquist
    assert!(distortion(&s, &o(Some(-1.0), 3)).is_err());
    assert!(distortion(&s, &o(None, 0)).is_err());
    assert!(distortion(&s, &o(None, MAX_HARMONICS + 1)).is_err());
    let zero = spectrum(vec![0.0; 64], 64.0, Window::Rectangular);
    assert!(distortion(&zero, &o(None, 3)).is_err());
    let tiny = spectrum(vec![1.0, 0.0, 1.0, 0.0], 4.0, Window::BlackmanHarris);
    assert!(distortion(&tiny, &o(None, 3)).is_err());
    let e = Engine::new(Backend::Cpu).unwrap();
    assert!(e
        .spectra(vec![Record::new(vec![1.0], 1.0, Window::Hann)])
        .is_err());
    assert!(e
        .spectra(vec![Record::new(vec![1.0, 2.0], f64::NAN, Window::Hann)])
        .is_err());
}

#[derive(serde::Deserialize)]
struct NumpyCase {
    n: usize,
    x: Vec<f64>,
    re: Vec<f64>,
    im: Vec<f64>,
    hann_re: Vec<f64>,
    hann_im: Vec<f64>,
}

#[derive(serde::Deserialize)]
struct NumpyFile {
    cases: Vec<NumpyCase>,
}

#[test]
fn spectra_equal_numpy_rfft() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/fft/numpy_rfft.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let file: NumpyFile = serde_json::from_str(&text).unwrap();
    let e = Engine::new(Backend::Cpu).unwrap();
    for c in &file.cases {
        let s = e
            .spectra(vec![
                Record::new(c.x.clone(), 1.0, Window::Rectangular),
                Record::new(c.x.clone(), 1.0, Window::Hann),
            ])
            .unwrap();
        for (spec, re, im) in [(&s[0], &c.re, &c.im), (&s[1], &c.hann_re, &c.hann_im)] {
            assert_eq!(spec.bins.len(), c.n / 2 + 1);
            let scale = re
                .iter()
                .zip(im.iter())
                .map(|(a, b)| a.hypot(*b))
                .fold(0.0, f64::max);
            for (k, b) in spec.bins.iter().enumerate() {
                let err = (b.re - re[k]).hypot(b.im - im[k]);
                assert!(
                    err <= 1e-12 * scale,
                    "n {} bin {k}: {err:e} of {scale}",
                    c.n
                );
            }
        }
    }
}

#[test]
fn batches_equal_single_transforms() {
    let e = Engine::new(Backend::Cpu).unwrap();
    let recs: Vec<Record> = (0..5)
        .map(|k| {
            let n = if k % 2 == 0 { 512 } else { 300 };
            Record::new(normals(n, k + 1), 1e3, Window::Hann)
        })
        .collect();
    let batch = e.spectra(recs.clone()).unwrap();
    for (r, b) in recs.into_iter().zip(&batch) {
        let one = e.spectra(vec![r]).unwrap().remove(0);
        assert_eq!(&one, b);
    }
}

#[test]
fn auto_falls_back_to_the_cpu_without_a_gpu() {
    if gpu_status().is_err() {
        let e = Engine::new(Backend::Auto).unwrap();
        assert_eq!(e.kind(), BackendKind::Cpu);
        assert!(matches!(
            Engine::new(Backend::Gpu),
            Err(FftError::GpuUnavailable { .. })
        ));
    }
}

#[test]
fn choose_record_takes_whole_periods() {
    let xs: Vec<f64> = (0..=1000).map(|i| i as f64 * 1e-5).collect(); // 0..10 ms
    let c = choose_record(
        &xs,
        &RecordOptions {
            fundamental: Some(300.0),
            ..RecordOptions::default()
        },
    )
    .unwrap();
    // 3 whole periods of 3.333 ms fit in 10 ms
    assert!((c.periods.unwrap() - 3.0).abs() < 1e-9);
    assert!(c.coherent);
    assert_eq!(c.window, Window::Rectangular);
    assert_eq!(c.grid.points, 1024);
    assert!((c.grid.end() - 0.01).abs() < 1e-15);
    let c = choose_record(
        &xs,
        &RecordOptions {
            from: Some(1e-3),
            fundamental: Some(300.0),
            ..RecordOptions::default()
        },
    )
    .unwrap();
    assert!(!c.coherent);
    assert_eq!(c.window, Window::BlackmanHarris);
    assert!(choose_record(
        &xs,
        &RecordOptions {
            fundamental: Some(10.0),
            ..RecordOptions::default()
        }
    )
    .is_err());
}

proptest! {
    /// Parseval: with the rectangular window the power spectrum sums to
    /// the samples' mean square.
    #[test]
    fn parseval(x in proptest::collection::vec(-1e3f64..1e3, 2..600)) {
        let ms = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
        let s = spectrum(x, 1.0, Window::Rectangular);
        let total: f64 = s.power().iter().sum();
        prop_assert!((total - ms).abs() <= 1e-9 * ms.max(1e-300), "{} vs {}", total, ms);
    }

    /// Any window: a bin-centred tone's bins sum to its power A^2 / 2.
    #[test]
    fn tone_power_is_window_independent(a in 0.1f64..10.0, k in 20usize..200, w in 0usize..6) {
        let n = 1024;
        let win = [Window::Rectangular, Window::Hann, Window::Hamming, Window::BlackmanHarris,
                   Window::FlatTop, Window::Kaiser { beta: 20.0 }][w];
        let x = tone(n, n as f64, k as f64, a, 0.0);
        let s = spectrum(x, n as f64, win);
        let d = distortion(&s, &MetricOptions { fundamental: Some(k as f64), harmonics: 2 }).unwrap();
        prop_assert!((d.fundamental_power / (a * a / 2.0) - 1.0).abs() < 1e-6, "{}", d.fundamental_power);
    }
}

/// Where a GPU is usable, its batched spectra equal the CPU's to 1e-9
/// relative; elsewhere the probe says why without a panic.
#[cfg(feature = "gpu")]
#[test]
fn gpu_equals_cpu_or_reports_unavailable() {
    match gpu_status() {
        Err(why) => {
            assert!(!why.is_empty());
            eprintln!("GPU test skipped: {why}");
        }
        Ok(()) => {
            let Ok(g) = Engine::new(Backend::Gpu) else {
                eprintln!("GPU test skipped: libraries present but no usable device");
                return;
            };
            assert_eq!(g.kind(), BackendKind::Gpu);
            let c = Engine::new(Backend::Cpu).unwrap();
            for n in [1024usize, 1000, 1 << 16] {
                let recs: Vec<Record> = (0..8)
                    .map(|k| Record::new(normals(n, k + 3), 1.0, Window::BlackmanHarris))
                    .collect();
                let a = g.spectra(recs.clone()).unwrap();
                let b = c.spectra(recs).unwrap();
                for (x, y) in a.iter().zip(&b) {
                    let scale = y.bins.iter().map(|v| v.norm()).fold(0.0, f64::max);
                    for (u, v) in x.bins.iter().zip(&y.bins) {
                        assert!((u - v).norm() <= 1e-9 * scale, "n {n}");
                    }
                }
            }
        }
    }
}
