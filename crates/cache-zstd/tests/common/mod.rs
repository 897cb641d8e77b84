//! Shared helpers of the integration tests: deterministic entries and a
//! bitwise comparison.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use cache_zstd::{Entry, JobMeta, ParamValue};
use waveform::{Column, Complex32, Complex64, Plot, PlotHeader, SimResult, Steps, Variable};

/// splitmix64.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A key for test number `i`.
pub fn key(i: u64) -> String {
    cache_zstd::key_of(format!("test job {i}").as_bytes())
}

/// A transient plot: adaptive time steps, a smooth noisy voltage, an f32 current.
pub fn tran_plot(rng: &mut Rng, n: usize) -> Plot {
    let mut t = 0.0f64;
    let mut time = Vec::with_capacity(n);
    let mut v = Vec::with_capacity(n);
    let mut i = Vec::with_capacity(n);
    for k in 0..n {
        time.push(t);
        let dt = 1e-9 * (1.0 + 10.0 * (k as f64 * 0.01).sin().abs()) * (0.5 + rng.unit());
        t += dt;
        let vv = (1.0 - (-t / 2e-6).exp()) * (t * 1e6).sin() + 1e-7 * (rng.unit() - 0.5);
        v.push(vv);
        i.push((vv * 1e-3) as f32);
    }
    Plot {
        header: PlotHeader {
            title: "test circuit".into(),
            plotname: "Transient Analysis".into(),
            flags: waveform::Flags::parse("real"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "time", "time"),
                Variable::new(1, "v(out)", "voltage"),
                Variable::new(2, "i(v1)", "current"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::F64(time), Column::F64(v), Column::F32(i)],
        steps: Steps::single(n as u64),
    }
}

/// An AC plot: complex frequency with garbage imaginary parts, complex voltages.
pub fn ac_plot(rng: &mut Rng, n: usize) -> Plot {
    let mut f = Vec::with_capacity(n);
    let mut v = Vec::with_capacity(n);
    let mut w = Vec::with_capacity(n);
    for k in 0..n {
        let fr = 10f64.powf(1.0 + 8.0 * k as f64 / n.max(1) as f64);
        f.push(Complex64 {
            re: fr,
            im: f64::from_bits(rng.next()),
        });
        let h = 1.0 / (1.0 + (fr / 1e5).powi(2));
        v.push(Complex64 {
            re: h,
            im: -h * fr / 1e5,
        });
        w.push(Complex32 {
            re: h as f32,
            im: (h * 0.5) as f32,
        });
    }
    Plot {
        header: PlotHeader {
            plotname: "AC Analysis".into(),
            flags: waveform::Flags::parse("complex"),
            n_points: n as u64,
            variables: vec![
                Variable::new(0, "frequency", "frequency"),
                Variable::new(1, "v(out)", "voltage"),
                Variable::new(2, "v(mid)", "voltage"),
            ],
            ..PlotHeader::default()
        },
        columns: vec![Column::C64(f), Column::C64(v), Column::C32(w)],
        steps: Steps::single(n as u64),
    }
}

/// An entry determined by `seed` alone, with the seed in its params.
pub fn make_entry(seed: u64, n: usize) -> Entry {
    let mut rng = Rng(seed);
    let plots = vec![tran_plot(&mut rng, n), ac_plot(&mut rng, n / 4 + 1)];
    Entry {
        result: SimResult {
            plots,
            ..SimResult::default()
        },
        meta: JobMeta {
            params: vec![
                ("seed".into(), ParamValue::Number(seed as f64)),
                ("n".into(), ParamValue::Number(n as f64)),
                ("corner".into(), ParamValue::from("tt")),
            ],
            simulator: "ngspice".into(),
            simulator_version: "44".into(),
            wall_s: 0.25 + seed as f64,
            log_tail: format!("run {seed} done\n"),
            ..JobMeta::default()
        },
    }
}

/// Rebuilds an entry from the seed and size in its params and compares bit for bit.
pub fn self_consistent(e: &Entry) -> bool {
    let get = |name: &str| {
        e.meta
            .params
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_f64())
            .map(|x| x as u64)
    };
    match (get("seed"), get("n")) {
        (Some(seed), Some(n)) => same_bits(e, &make_entry(seed, n as usize)),
        _ => false,
    }
}

/// Bit patterns of a column (complex as re, im pairs).
pub fn column_bits(c: &Column) -> Vec<u64> {
    c.bit_patterns()
}

/// Equal bit for bit (NaN payloads, -0.0 included).
pub fn same_bits(a: &Entry, b: &Entry) -> bool {
    a.meta == b.meta
        && a.result.dialect == b.result.dialect
        && a.result.encoding == b.result.encoding
        && a.result.plots.len() == b.result.plots.len()
        && a.result.plots.iter().zip(&b.result.plots).all(|(p, q)| {
            p.header == q.header
                && p.steps == q.steps
                && p.columns.len() == q.columns.len()
                && p.columns.iter().zip(&q.columns).all(|(x, y)| {
                    x.value_type() == y.value_type() && column_bits(x) == column_bits(y)
                })
        })
}

/// The directory of the committed reference entries of format `version`
/// (`fixtures/cache/v3`, `fixtures/cache/v4`).
pub fn dir(version: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/cache")
        .join(version)
}

/// A committed reference entry's bytes.
pub fn read(version: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir(version).join(name)).unwrap()
}

/// The secret the signed reference entries were written with.
pub const SECRET: &[u8] = b"spicelab reference secret";

/// [`SECRET`] as a [`cache_zstd::Secret`].
pub fn secret() -> cache_zstd::Secret {
    cache_zstd::Secret::new(SECRET.to_vec()).unwrap()
}

/// The key the reference entries were stored under.
pub fn ref_key() -> String {
    cache_zstd::key_of(b"spicelab reference entry")
}
