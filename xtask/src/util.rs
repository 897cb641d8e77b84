//! Paths of the workspace and small helpers shared by the tasks.

use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the workspace and its target directory are.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace root (where the root `Cargo.toml` is).
    pub root: PathBuf,
    /// Cargo's target directory (`target/`, or `CARGO_TARGET_DIR`, or as configured).
    pub target: PathBuf,
}

impl Workspace {
    /// Asks `cargo metadata` for the workspace root and target directory, so
    /// that `CARGO_TARGET_DIR` and `.cargo/config.toml` are honoured.
    pub fn discover() -> Result<Workspace> {
        let fallback_root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let out = Command::new(cargo_program())
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(&fallback_root)
            .output()
            .context("running cargo metadata")?;
        if !out.status.success() {
            bail!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let meta: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("parsing cargo metadata output")?;
        let root = meta["workspace_root"]
            .as_str()
            .map(PathBuf::from)
            .unwrap_or(fallback_root);
        let target = meta["target_directory"]
            .as_str()
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        Ok(Workspace { root, target })
    }

    /// A `cargo` command run in the workspace root.
    pub fn cargo(&self) -> Command {
        let mut c = Command::new(cargo_program());
        c.current_dir(&self.root);
        c
    }

    /// The release `spicelab` binary (built by `cargo build --release -p spicelab`).
    pub fn spicelab_release(&self) -> PathBuf {
        self.target.join("release").join("spicelab")
    }

    /// Builds the release `spicelab` binary and returns its path.
    pub fn build_spicelab(&self) -> Result<PathBuf> {
        eprintln!("$ cargo build --release -p spicelab");
        let status = self
            .cargo()
            .args(["build", "--release", "-p", "spicelab"])
            .status()
            .context("running cargo build --release -p spicelab")?;
        if !status.success() {
            bail!("cargo build --release -p spicelab failed ({status})");
        }
        let bin = self.spicelab_release();
        if !bin.is_file() {
            bail!("cargo build succeeded but {} is missing", bin.display());
        }
        Ok(bin)
    }

    /// A path relative to the workspace root when it is inside it (for display).
    pub fn rel<'a>(&self, p: &'a Path) -> std::borrow::Cow<'a, str> {
        match p.strip_prefix(&self.root) {
            Ok(r) => std::borrow::Cow::Owned(r.display().to_string()),
            Err(_) => p.to_string_lossy(),
        }
    }
}

/// The cargo that runs us (`$CARGO`), else `cargo` from `PATH`.
fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

/// The full path of `program` when it is an executable file on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// True when this process runs as root (uid 0), read from `/proc/self/status`.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|rest| rest.split_whitespace().next().map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Parses a size such as `2GiB`, `256MiB`, `200MB` (see `waveform::units::parse_size`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    match waveform::units::parse_size(text) {
        Some(0) => Err(format!("size '{text}' is zero")),
        Some(n) => Ok(n),
        None => Err(format!(
            "'{text}' is not a size (examples: 2GiB, 256MiB, 200MB, 4096)"
        )),
    }
}

/// A short label for a size, used in file names: `2GiB`, `256MiB`, `200MB`, `1234B`.
pub fn size_label(bytes: u64) -> String {
    const BINARY: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    const DECIMAL: [(&str, u64); 4] = [
        ("TB", 1_000_000_000_000),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("kB", 1_000),
    ];
    // The unit that divides the size and gives the smallest number.
    BINARY
        .iter()
        .chain(DECIMAL.iter())
        .filter(|(_, m)| bytes >= *m && bytes % m == 0)
        .min_by_key(|(_, m)| bytes / m)
        .map(|(unit, m)| format!("{}{unit}", bytes / m))
        .unwrap_or_else(|| format!("{bytes}B"))
}

/// A human-readable size: `2.00 GiB`, `31.4 KiB`.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// A small deterministic random number generator (SplitMix64): the fixtures
/// must be the same on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn gauss(&mut self) -> f64 {
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(size_label(2 << 30), "2GiB");
        assert_eq!(size_label(256 << 20), "256MiB");
        assert_eq!(size_label(200_000_000), "200MB");
        assert_eq!(size_label(32_000_000), "32MB");
        assert_eq!(size_label(1234), "1234B");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn rng_is_deterministic() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            let x = a.uniform();
            assert_eq!(x, b.uniform());
            assert!((0.0..1.0).contains(&x));
        }
    }
}
