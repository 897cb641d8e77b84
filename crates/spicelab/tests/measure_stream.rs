//! `Measurer` fed chunk by chunk as a cache entry or an LTspice file gives
//! them: f32 and complex f32 columns, NaN samples, a scale that repeats a
//! point, a chunk that lacks the vector, specs that cannot be computed,
//! and spectral measures on stepped plots and on too many points. Every
//! value is compared with one computed here from the same samples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::f64::consts::PI;

use spicelab::measure::{
    Edge, MeasureError, MeasureKind, MeasureSpec, Measurer, SpectralMetric, SpectralSpec,
    SPECTRAL_MAX_SAMPLES,
};
use spicelab::raw_stream::Chunk;
use spicelab::waveform::{Column, Complex32, Flags, PlotHeader, Variable};

fn header(names: &[&str]) -> PlotHeader {
    PlotHeader {
        plotname: "Transient Analysis".into(),
        flags: Flags::parse("real"),
        variables: names
            .iter()
            .enumerate()
            .map(|(i, n)| Variable::new(i, *n, if i == 0 { "time" } else { "voltage" }))
            .collect(),
        ..PlotHeader::default()
    }
}

fn spec(name: &str, kind: MeasureKind, var: &str) -> MeasureSpec {
    MeasureSpec::new(name, kind, var)
}

fn chunk(start: u64, columns: Vec<Column>) -> Chunk {
    Chunk {
        start,
        len: columns.first().map_or(0, Column::len),
        step: 0,
        columns,
    }
}

/// The trapezoid integral of `y` over `x`.
fn trapz(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2)
        .zip(y.windows(2))
        .map(|(xs, ys)| 0.5 * (ys[0] + ys[1]) * (xs[1] - xs[0]))
        .sum()
}

#[test]
fn f32_columns_are_measured_as_their_f64_values_in_chunks() {
    let h = header(&["time", "V(out)"]);
    let specs = [
        spec("max", MeasureKind::Max, "v(out)"),
        spec("min", MeasureKind::Min, "V(out)"),
        spec("mean", MeasureKind::Mean, "V(out)"),
        spec("rms", MeasureKind::Rms, "V(out)"),
        spec("fin", MeasureKind::Final, "V(out)"),
    ];
    let mut m = Measurer::for_headers(&[&h], &specs).unwrap();
    let n = 500;
    let t: Vec<f64> = (0..n).map(|i| i as f64 * 1e-6).collect();
    let y: Vec<f32> = t
        .iter()
        .map(|&t| (2.0 * PI * 3e3 * t).sin() as f32 * 0.75 + 0.1)
        .collect();
    // three chunks of uneven size, as a reader's window gives them
    for (a, b) in [(0, 123), (123, 400), (400, n)] {
        m.feed(
            0,
            &chunk(
                a as u64,
                vec![Column::F64(t[a..b].to_vec()), Column::F32(y[a..b].to_vec())],
            ),
        );
    }
    let got = m.finish();
    let yf: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let span = t[n - 1] - t[0];
    let max = yf.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = yf.iter().copied().fold(f64::INFINITY, f64::min);
    let sq: Vec<f64> = yf.iter().map(|v| v * v).collect();
    assert_eq!(got[0], Some(max));
    assert_eq!(got[1], Some(min));
    assert!(
        (got[2].unwrap() - trapz(&t, &yf) / span).abs() < 1e-12,
        "{got:?}"
    );
    assert!((got[3].unwrap() - (trapz(&t, &sq) / span).sqrt()).abs() < 1e-12);
    assert_eq!(got[4], Some(yf[n - 1]));
}

#[test]
fn a_complex_f32_vector_is_measured_by_its_magnitude() {
    let mut h = header(&["frequency", "V(out)"]);
    h.plotname = "AC Analysis".into();
    h.flags = Flags::parse("complex");
    let specs = [
        spec("peak", MeasureKind::Max, "V(out)"),
        spec("at", MeasureKind::At { at: 1500.0 }, "V(out)"),
    ];
    let mut m = Measurer::for_headers(&[&h], &specs).unwrap();
    let f = vec![1000.0, 2000.0, 3000.0];
    let z = vec![
        Complex32 { re: 3.0, im: 4.0 },  // |z| = 5
        Complex32 { re: 0.0, im: -2.0 }, // 2
        Complex32 { re: 1.0, im: 1.0 },  // sqrt 2
    ];
    m.feed(0, &chunk(0, vec![Column::F64(f), Column::C32(z)]));
    let got = m.finish();
    assert_eq!(got[0], Some(5.0));
    // linear between the magnitudes 5 and 2, half way
    assert_eq!(got[1], Some(3.5));
}

#[test]
fn nan_samples_are_left_out_and_a_repeated_scale_point_is_a_jump() {
    let h = header(&["time", "v(x)"]);
    let specs = [
        spec("max", MeasureKind::Max, "v(x)"),
        spec("mean", MeasureKind::Mean, "v(x)"),
        spec(
            "rise",
            MeasureKind::Cross {
                level: 0.5,
                edge: Edge::Rise,
                n: 1,
            },
            "v(x)",
        ),
        spec("n", MeasureKind::Pp, "v(x)"),
    ];
    let mut m = Measurer::for_headers(&[&h], &specs).unwrap();
    // a step at t = 1 (the scale gives t = 1 twice, as ngspice does at a
    // breakpoint), and a NaN sample that counts for nothing
    let t = vec![0.0, 0.5, 1.0, 1.0, 1.5, 2.0];
    let y = vec![0.0, f64::NAN, 0.0, 1.0, 1.0, 1.0];
    m.feed(0, &chunk(0, vec![Column::F64(t), Column::F64(y)]));
    let got = m.finish();
    assert_eq!(got[0], Some(1.0));
    // 0 over [0, 1], 1 over [1, 2]: the jump adds no area
    assert_eq!(got[1], Some(0.5));
    // the crossing is at the jump
    assert_eq!(got[2], Some(1.0));
    assert_eq!(got[3], Some(1.0));
}

#[test]
fn a_chunk_without_the_vector_leaves_the_measure_without_a_value() {
    let h = header(&["time", "a", "b"]);
    let specs = [
        spec("a", MeasureKind::Max, "a"),
        spec("b", MeasureKind::Max, "b"),
    ];
    let mut m = Measurer::for_headers(&[&h], &specs).unwrap();
    assert_eq!(m.columns_needed(0), vec![0, 1, 2]);
    // only the scale and `a` were read
    m.feed(
        0,
        &chunk(
            0,
            vec![Column::F64(vec![0.0, 1.0]), Column::F64(vec![2.0, 3.0])],
        ),
    );
    assert_eq!(m.finish(), vec![Some(3.0), None]);
}

#[test]
fn specs_that_cannot_be_computed_are_refused_with_their_name() {
    let h = header(&["time", "v(out)"]);
    let bad = spec(
        "c50",
        MeasureKind::Cross {
            level: f64::NAN,
            edge: Edge::Either,
            n: 1,
        },
        "v(out)",
    );
    let e = Measurer::for_headers(&[&h], &[bad]).unwrap_err();
    assert!(matches!(e, MeasureError::Invalid { .. }), "{e:?}");
    assert_eq!(e.to_string(), "measure 'c50': the level is NaN");

    // a vector missing from the plot asked for: the plot and its first 12
    // names are listed, then "..."
    let names: Vec<String> = (0..15).map(|i| format!("v({i})")).collect();
    let mut all = vec!["time"];
    all.extend(names.iter().map(String::as_str));
    let h = header(&all);
    let mut s = spec("m", MeasureKind::Max, "v(out)");
    s.plot = Some(0);
    let e = Measurer::for_headers(&[&h], &[s]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "measure 'm': no vector 'v(out)' in plot 0 (it has: time, v(0), v(1), v(2), v(3), \
         v(4), v(5), v(6), v(7), v(8), v(9), v(10), ...)"
    );
}

#[test]
fn spectral_metric_names_are_the_campaign_kinds() {
    for (name, m) in [
        ("thd", SpectralMetric::Thd),
        ("sinad", SpectralMetric::Sinad),
        ("sfdr", SpectralMetric::Sfdr),
        ("enob", SpectralMetric::Enob),
        ("snr", SpectralMetric::Snr),
    ] {
        assert_eq!(SpectralMetric::parse(name), Some(m));
    }
    assert_eq!(SpectralMetric::parse("THD"), None);
    assert_eq!(SpectralMetric::parse("max"), None);
}

fn thd_spec(from: Option<f64>) -> MeasureSpec {
    MeasureSpec {
        from,
        ..spec(
            "thd",
            MeasureKind::Spectral(SpectralSpec {
                metric: SpectralMetric::Thd,
                fundamental: Some(1e3),
                harmonics: 5,
                window: None,
            }),
            "v(out)",
        )
    }
}

/// A 1 kHz sine with a second harmonic of relative amplitude `h2`, 200
/// samples a period, from `t0` to `t1`.
fn tone(t0: f64, t1: f64, h2: f64) -> (Vec<f64>, Vec<f64>) {
    let n = ((t1 - t0) / 5e-6).round() as usize + 1;
    let t: Vec<f64> = (0..n).map(|i| t0 + i as f64 * 5e-6).collect();
    let y = t
        .iter()
        .map(|&t| (2.0 * PI * 1e3 * t).sin() + h2 * (2.0 * PI * 2e3 * t).sin())
        .collect();
    (t, y)
}

#[test]
fn a_spectral_measure_of_a_stepped_plot_takes_the_first_step_in_its_window() {
    let h = header(&["time", "v(out)"]);
    // step 0: 1% second harmonic (THD -40 dB); step 1: 10% (-20 dB)
    let (t0, y0) = tone(0.0, 10e-3, 0.01);
    let (t1, y1) = tone(0.0, 10e-3, 0.1);
    let mut m = Measurer::for_headers(&[&h], &[thd_spec(None)]).unwrap();
    m.feed(0, &chunk(0, vec![Column::F64(t0), Column::F64(y0)]));
    m.feed(0, &chunk(2001, vec![Column::F64(t1), Column::F64(y1)]));
    let thd = m.finish()[0].unwrap();
    assert!((thd - -40.0).abs() < 0.5, "{thd}");

    // a first step that ends before the window: the step after it is taken
    let (t0, y0) = tone(0.0, 1e-3, 0.01);
    let (t1, y1) = tone(0.0, 10e-3, 0.1);
    let mut m = Measurer::for_headers(&[&h], &[thd_spec(Some(2e-3))]).unwrap();
    m.feed(0, &chunk(0, vec![Column::F64(t0), Column::F64(y0)]));
    m.feed(0, &chunk(201, vec![Column::F64(t1), Column::F64(y1)]));
    let thd = m.finish()[0].unwrap();
    assert!((thd - -20.0).abs() < 0.5, "{thd}");
}

#[test]
fn a_spectral_measure_with_no_record_has_no_value_and_the_others_do() {
    let h = header(&["time", "v(out)"]);
    // the window starts after the last sample: no points to transform
    let specs = [thd_spec(Some(1.0)), spec("max", MeasureKind::Max, "v(out)")];
    let mut m = Measurer::for_headers(&[&h], &specs).unwrap();
    let (t, y) = tone(0.0, 5e-3, 0.0);
    m.feed(0, &chunk(0, vec![Column::F64(t), Column::F64(y)]));
    let p = m.prepare();
    assert_eq!(p.records(), 0);
    let got = p.finish();
    assert_eq!(got[0], None);
    assert!((got[1].unwrap() - 1.0).abs() < 1e-9, "{got:?}");
}

#[test]
fn a_spectral_window_over_the_sample_limit_has_no_value() {
    let h = header(&["time", "v(out)"]);
    let specs = [thd_spec(None), spec("max", MeasureKind::Max, "v(out)")];
    let mut m = Measurer::for_headers(&[&h], &specs).unwrap();
    let total = SPECTRAL_MAX_SAMPLES + 10;
    let per = 1 << 20;
    let mut start = 0;
    while start < total {
        let end = (start + per).min(total);
        let t: Vec<f64> = (start..end).map(|i| i as f64 * 1e-7).collect();
        let y: Vec<f64> = (start..end).map(|i| (i % 7) as f64).collect();
        m.feed(
            0,
            &chunk(start as u64, vec![Column::F64(t), Column::F64(y)]),
        );
        start = end;
    }
    let p = m.prepare();
    assert_eq!(p.records(), 0, "the record was dropped, not kept");
    assert_eq!(p.finish(), vec![None, Some(6.0)]);
}
