//! `CpuFft` called directly: one record, a batch, and the refusals.

use fft_gpu::{Backend, Complex, CpuFft, Engine};

/// `a cos(2 pi k i / n) + b sin(2 pi m i / n)`.
fn two_tones(n: usize, a: f64, k: usize, b: f64, m: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let t = i as f64 / n as f64;
            a * (2.0 * std::f64::consts::PI * k as f64 * t).cos()
                + b * (2.0 * std::f64::consts::PI * m as f64 * t).sin()
        })
        .collect()
}

#[test]
fn one_record_puts_each_tone_in_its_bin() {
    let n = 256;
    let fft = CpuFft::new();
    let mut x = two_tones(n, 2.0, 5, 0.5, 17);
    let mut out = vec![Complex::new(0.0, 0.0); n / 2 + 1];
    fft.forward(&mut x, &mut out).unwrap();
    // unnormalised: a cosine of amplitude a gives a n / 2 in its bin (real),
    // a sine of amplitude b gives -b n / 2 (imaginary)
    assert!(
        (out[5].re - 2.0 * 128.0).abs() < 1e-9 && out[5].im.abs() < 1e-9,
        "{}",
        out[5]
    );
    assert!(
        (out[17].im + 0.5 * 128.0).abs() < 1e-9 && out[17].re.abs() < 1e-9,
        "{}",
        out[17]
    );
    for (k, z) in out.iter().enumerate() {
        if k != 5 && k != 17 {
            assert!(z.norm() < 1e-9, "bin {k}: {z}");
        }
    }
}

#[test]
fn a_batch_equals_each_record_alone() {
    let n = 1000; // not a power of two
    let fft = CpuFft::new();
    let records: Vec<Vec<f64>> = (1..=5)
        .map(|k| two_tones(n, k as f64, k, 0.1, 3 * k))
        .collect();
    let mut batch: Vec<f64> = records.concat();
    let bins = n / 2 + 1;
    let mut out = vec![Complex::new(0.0, 0.0); 5 * bins];
    fft.forward_batch(n, &mut batch, &mut out).unwrap();
    for (r, rec) in records.iter().enumerate() {
        let mut x = rec.clone();
        let mut one = vec![Complex::new(0.0, 0.0); bins];
        fft.forward(&mut x, &mut one).unwrap();
        assert_eq!(&out[r * bins..(r + 1) * bins], one.as_slice(), "record {r}");
    }
    // the engine's CPU is the same planner
    let e = Engine::new(Backend::Cpu).unwrap();
    assert_eq!(e.kind().name(), "cpu");
    assert_eq!(e.cpu().plan(n).len(), n);
}

#[test]
fn sizes_that_do_not_fit_are_refused() {
    let fft = CpuFft::new();
    let mut x = vec![0.0; 16];
    let mut short = vec![Complex::new(0.0, 0.0); 8];
    let e = fft.forward(&mut x, &mut short).unwrap_err();
    assert!(
        e.to_string()
            .contains("8 output bins for 16 points: need 9"),
        "{e}"
    );
    let mut one = vec![0.0; 1];
    let mut o = vec![Complex::new(0.0, 0.0); 1];
    let e = fft.forward(&mut one, &mut o).unwrap_err();
    assert!(e.to_string().contains("1 points: between 2 and"), "{e}");
    let mut batch = vec![0.0; 30];
    let mut out = vec![Complex::new(0.0, 0.0); 3 * 9];
    let e = fft.forward_batch(16, &mut batch, &mut out).unwrap_err();
    assert!(
        e.to_string()
            .contains("a batch of 30 values and 27 bins does not fit records of 16 points"),
        "{e}"
    );
    let e = Backend::parse("opencl").unwrap_err();
    assert!(
        e.to_string()
            .contains("unknown backend 'opencl' (auto, cpu or gpu)"),
        "{e}"
    );
    assert_eq!(Backend::parse(" CUDA ").unwrap(), Backend::Gpu);
}
