//! The edges of the spectrum pipeline, each value checked against one
//! computed here by hand: resampling where samples share a time or are too
//! few for a cubic, records that cannot be chosen, a spectrum with no bin
//! left for noise, the named Kaiser window, a window of zero sum, and the
//! engine's names and `Debug` text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fft_gpu::{
    choose_record, distortion, resample, Backend, BackendKind, CpuFft, Engine, FftError, Gains,
    Grid, Interp, MetricOptions, Record, RecordOptions, Window, KAISER_DEFAULT_BETA,
};
use std::f64::consts::PI;

fn invalid(r: Result<impl std::fmt::Debug, FftError>) -> String {
    match r {
        Err(FftError::Invalid { message }) => message,
        other => panic!("expected FftError::Invalid, got {other:?}"),
    }
}

#[test]
fn unknown_interpolations_are_named_in_the_error() {
    assert_eq!(Interp::parse(" Cubic ").unwrap(), Interp::Cubic);
    assert_eq!(Interp::parse("lin").unwrap(), Interp::Linear);
    assert_eq!(
        invalid(Interp::parse("spline")),
        "unknown interpolation 'spline' (linear or cubic)"
    );
}

#[test]
fn times_and_values_of_different_lengths_are_refused_with_both_counts() {
    let grid = Grid::over(0.0, 1.0, 4).unwrap();
    let r = resample(&[0.0, 0.5, 1.0], &[1.0, 2.0], &grid, Interp::Linear);
    assert_eq!(invalid(r), "3 times but 2 values");
}

#[test]
fn at_a_time_written_twice_the_later_sample_counts() {
    // a breakpoint at t = 2 written twice, the last samples of the data
    let xs = [0.0, 1.0, 2.0, 2.0];
    let ys = [0.0, 10.0, 20.0, 35.0];
    // grid times 0, 0.5, 1, 1.5, 2
    let grid = Grid::over(0.0, 2.5, 5).unwrap();
    assert_eq!(
        resample(&xs, &ys, &grid, Interp::Linear).unwrap(),
        [0.0, 5.0, 10.0, 15.0, 35.0]
    );
    // the cubic through four samples with a repeated time is the line there
    assert_eq!(
        resample(&xs, &ys, &grid, Interp::Cubic).unwrap(),
        [0.0, 5.0, 10.0, 15.0, 35.0]
    );
    // a repeated time in the middle: the line each side of it
    let xs = [0.0, 1.0, 1.0, 2.0, 3.0];
    let ys = [0.0, 10.0, 20.0, 30.0, 40.0];
    let grid = Grid::over(0.0, 3.0, 6).unwrap(); // 0, 0.5, ..., 2.5
    assert_eq!(
        resample(&xs, &ys, &grid, Interp::Cubic).unwrap(),
        // at 1.0 the later sample (20); 1.5 on the line from (1, 20) to (2, 30)
        [0.0, 5.0, 20.0, 25.0, 30.0, 35.0]
    );
}

#[test]
fn a_cubic_of_fewer_than_four_samples_is_the_line() {
    let xs = [0.0, 1.0, 2.0];
    let ys = [0.0, 10.0, 40.0];
    let grid = Grid::over(0.0, 2.0, 4).unwrap(); // 0, 0.5, 1, 1.5
    let cubic = resample(&xs, &ys, &grid, Interp::Cubic).unwrap();
    assert_eq!(cubic, [0.0, 5.0, 10.0, 25.0]);
    assert_eq!(cubic, resample(&xs, &ys, &grid, Interp::Linear).unwrap());
    // three samples, the last two at one time: the later value there
    let xs = [0.0, 1.0, 1.0];
    let ys = [0.0, 10.0, 20.0];
    let grid = Grid::over(0.0, 1.25, 5).unwrap(); // 0, 0.25, ..., 1
    assert_eq!(
        resample(&xs, &ys, &grid, Interp::Cubic).unwrap(),
        [0.0, 2.5, 5.0, 7.5, 20.0]
    );
}

#[test]
fn records_that_cannot_be_chosen_say_why() {
    let xs: Vec<f64> = (0..=100).map(|i| f64::from(i) * 1e-5).collect(); // 0 .. 1 ms
    for f in [0.0, -50.0, f64::NAN, f64::INFINITY] {
        let opts = RecordOptions {
            fundamental: Some(f),
            ..RecordOptions::default()
        };
        assert_eq!(
            invalid(choose_record(&xs, &opts)),
            format!("fundamental {f} Hz: must be above 0")
        );
    }
    // a start after the end
    let opts = RecordOptions {
        from: Some(2e-3),
        ..RecordOptions::default()
    };
    assert_eq!(
        invalid(choose_record(&xs, &opts)),
        "the record [0.002, 0.001] is empty or reversed"
    );
    let opts = RecordOptions {
        from: Some(5e-4),
        to: Some(5e-4),
        ..RecordOptions::default()
    };
    assert_eq!(
        invalid(choose_record(&xs, &opts)),
        "the record [0.0005, 0.0005] is empty or reversed"
    );
    // points asked for: used as they are, or refused
    let opts = RecordOptions {
        points: Some(3000),
        fundamental: Some(2e3),
        ..RecordOptions::default()
    };
    let c = choose_record(&xs, &opts).unwrap();
    assert_eq!(c.grid.points, 3000);
    assert!((c.grid.step - 1e-3 / 3000.0).abs() < 1e-18);
    assert_eq!(c.periods.map(|p| (p * 1e6).round() / 1e6), Some(2.0));
    assert!(c.coherent);
    assert_eq!(c.window, Window::Rectangular);
    assert_eq!(c.samples_in, 101);
    let opts = RecordOptions {
        points: Some(1),
        ..RecordOptions::default()
    };
    assert!(invalid(choose_record(&xs, &opts)).starts_with("1 points: between 2 and"));
}

/// 4 samples at 4 Hz: `a cos(2 pi t)` on bin 1 and `b cos(pi n)` at
/// Nyquist (bin 2, the second harmonic). DC, the fundamental and that
/// harmonic own every bin: no bin is left for noise.
#[test]
fn a_spectrum_with_no_noise_bin_has_zero_noise_and_infinite_snr() {
    let (a, b) = (3.0, 0.25);
    let x: Vec<f64> = (0..4)
        .map(|n| a * (2.0 * PI * f64::from(n) / 4.0).cos() + b * (PI * f64::from(n)).cos())
        .collect();
    let engine = Engine::new_cpu();
    let spec = engine
        .spectra(vec![Record::new(x, 4.0, Window::Rectangular)])
        .unwrap()
        .remove(0);
    let d = distortion(
        &spec,
        &MetricOptions {
            fundamental: Some(1.0),
            harmonics: 2,
        },
    )
    .unwrap();
    // a cosine of amplitude a has power a^2 / 2; the Nyquist tone +-b has b^2
    let (p1, p2) = (a * a / 2.0, b * b);
    assert!((d.fundamental_power - p1).abs() < 1e-12, "{d:?}");
    assert!((d.fundamental_amplitude - a).abs() < 1e-12);
    assert_eq!(d.harmonics.len(), 1);
    assert_eq!(d.harmonics[0].bin, 2);
    assert!((d.harmonics[0].power - p2).abs() < 1e-12);
    let thd_db = 10.0 * (p2 / p1).log10();
    assert!((d.thd_db - thd_db).abs() < 1e-9, "{} vs {thd_db}", d.thd_db);
    assert!((d.sinad_db + thd_db).abs() < 1e-9);
    assert_eq!(d.noise_bins, 0);
    assert_eq!(d.noise_power, 0.0);
    assert_eq!(d.snr_db, f64::INFINITY);
    assert_eq!(d.noise_floor_db, f64::NEG_INFINITY);
    // the largest spur is the harmonic
    assert_eq!(d.sfdr_bin, 2);
    assert!((d.sfdr_db + thd_db).abs() < 1e-9);
    assert_eq!(d.sfdr_hz, 2.0);
}

#[test]
fn a_bare_kaiser_is_the_default_beta() {
    let w = Window::parse("Kaiser").unwrap();
    assert_eq!(
        w,
        Window::Kaiser {
            beta: KAISER_DEFAULT_BETA
        }
    );
    assert_eq!(w.name(), format!("kaiser:{KAISER_DEFAULT_BETA}"));
    assert_eq!(Window::parse(&w.name()).unwrap(), w);
}

#[test]
fn a_window_of_zero_sum_has_no_finite_noise_bandwidth() {
    let g = Gains::of(&[1.0, -1.0, 1.0, -1.0]);
    assert_eq!((g.sum, g.sum_sq, g.coherent, g.noise), (0.0, 4.0, 0.0, 1.0));
    assert_eq!(g.enbw_bins, f64::INFINITY);
    // the rectangular window: one bin
    let g = Gains::of(&[1.0; 8]);
    assert_eq!((g.coherent, g.noise, g.enbw_bins), (1.0, 1.0, 1.0));
}

#[test]
fn engines_name_their_backend_and_show_it_in_debug() {
    assert_eq!(BackendKind::Cpu.name(), "cpu");
    assert_eq!(BackendKind::Gpu.name(), "gpu");
    assert_eq!(format!("{:?}", CpuFft::new()), "CpuFft { .. }");
    let cpu = Engine::new_cpu();
    assert_eq!(cpu.kind(), BackendKind::Cpu);
    assert_eq!(format!("{cpu:?}"), "Engine { kind: Cpu }");
    // the CPU engine made either way transforms: a cosine at bin 4 of 64
    // points, unwindowed, is bin 4 alone, of amplitude N/2 times the gain
    let x: Vec<f64> = (0..64)
        .map(|i| (2.0 * PI * 4.0 * f64::from(i) / 64.0).cos())
        .collect();
    let rec = || vec![Record::new(x.clone(), 64.0, Window::Rectangular)];
    for engine in [cpu, Engine::new(Backend::Cpu).unwrap()] {
        let sp = engine.spectra(rec()).unwrap();
        let bins = &sp[0].bins;
        assert_eq!(bins.len(), 33);
        let peak = bins[4].norm();
        assert!(peak > 1e-3, "{bins:?}");
        for (k, b) in bins.iter().enumerate() {
            if k != 4 {
                assert!(b.norm() < peak * 1e-12, "bin {k}: {b} (peak {peak})");
            }
        }
        // the same bins as a batch of one, bit for bit
        assert_eq!(engine.spectra(rec()).unwrap(), sp);
    }
}
