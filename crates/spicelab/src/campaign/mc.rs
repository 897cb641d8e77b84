//! Monte Carlo draws: a pure function of (seed, run, name).

use sha2::{Digest, Sha256};

use super::{round12, Dist, McParam, MonteCarlo};

/// Two uniforms in (0, 1) from sha256 over a fixed byte encoding:
/// `spicelab-mc v1\0`, seed (u64 little-endian), run (u64 LE), the tag's
/// byte length (u64 LE) and bytes (`dev` or `lot`), the name's byte length
/// (u64 LE) and bytes. The first 8 digest bytes (LE) give `u1`, the next 8
/// `u2`, each as `((x >> 11) + 0.5) / 2^53`.
pub(crate) fn uniforms(seed: u64, run: u64, tag: &str, name: &str) -> (f64, f64) {
    let mut h = Sha256::new();
    h.update(b"spicelab-mc v1\0");
    h.update(seed.to_le_bytes());
    h.update(run.to_le_bytes());
    h.update((tag.len() as u64).to_le_bytes());
    h.update(tag.as_bytes());
    h.update((name.len() as u64).to_le_bytes());
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    a.copy_from_slice(&d[0..8]);
    b.copy_from_slice(&d[8..16]);
    (unit(u64::from_le_bytes(a)), unit(u64::from_le_bytes(b)))
}

fn unit(x: u64) -> f64 {
    ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// The standard draw of a distribution from (u1, u2): gauss, Box-Muller
/// `sqrt(-2 ln u1) * cos(2 pi u2)`; uniform, `2 u1 - 1` in (-1, 1).
fn standard(dist: Dist, (u1, u2): (f64, f64)) -> f64 {
    match dist {
        Dist::Gauss => (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos(),
        Dist::Uniform => 2.0 * u1 - 1.0,
    }
}

impl McParam {
    /// This parameter's value in run `run` of a campaign with `seed`.
    pub fn draw(&self, seed: u64, run: u64) -> f64 {
        let dev = standard(self.dist, uniforms(seed, run, "dev", &self.name));
        let lot = match &self.lot {
            Some(lot) if self.lot_tol != 0.0 => {
                standard(self.dist, uniforms(seed, run, "lot", lot))
            }
            _ => 0.0,
        };
        let scale = match self.dist {
            Dist::Gauss => 1.0 / self.sigma,
            Dist::Uniform => 1.0,
        };
        round12(self.nominal * (1.0 + scale * self.tol * dev + scale * self.lot_tol * lot))
    }
}

impl MonteCarlo {
    /// The values of every parameter in run `run` (0-based), in file order.
    /// A run's values depend only on the seed, the run number and each
    /// parameter's name (and lot name), so adding runs keeps the earlier
    /// ones. Values are rounded to 12 significant digits.
    pub fn draw(&self, run: u64) -> Vec<(String, f64)> {
        self.params
            .iter()
            .map(|p| (p.name.clone(), p.draw(self.seed, run)))
            .collect()
    }
}
