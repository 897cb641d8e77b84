//! Incremental campaigns: which jobs an edit touched.
//!
//! A job's key is the sha256 of its identity ([`JobIdentity`]): the netlist
//! after parameter substitution, canonicalised; the canonical content of
//! every file it reaches through `.include`/`.lib`; the simulator's name and
//! version; the analysis and save settings; the cache format version. The
//! same inputs give the same key on any machine and in any directory; an
//! edit that ngspice cannot see (a comment, spacing, case) changes no key.
//! A [`Manifest`] records each job's key and input hashes so [`explain`] can
//! say why a job runs again.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use incremental::{explain, job, JobSpec, Manifest, Reason, Simulator};
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("models"))?;
//! std::fs::write(dir.path().join("models/r.lib"), ".param rdef=1k\n")?;
//! let netlist = dir.path().join("rc.cir");
//! std::fs::write(&netlist, "rc\n.include models/r.lib\nR1 a 0 {rload}\nV1 a 0 1\n.end\n")?;
//!
//! let sim = Simulator::new("ngspice", "39");
//! let spec = |rload| JobSpec { netlist_path: &netlist, root: dir.path(), params: rload,
//!     simulator: &sim, analysis: ".op", save: &[], cache_format: 1 };
//! let first = job(&spec(&[("rload", "1k")]))?;
//! assert!(first.text.starts_with("rc\n.param rload=1k\n"));
//! assert_eq!(first.identity.includes[0].0, "models/r.lib");
//!
//! let mut manifest = Manifest::new("rc");
//! manifest.record("0", &first.identity);
//! let again = job(&spec(&[("rload", "2k")]))?;
//! let why = explain(manifest.entry("0"), &again.identity);
//! assert_eq!(why.to_string(), "run: parameter rload changed from 1k to 2k");
//! assert_eq!(explain(manifest.entry("0"), &first.identity), Reason::Unchanged);
//! # Ok(()) }
//! ```
//!
//! # Canonical form (key version 1)
//!
//! Checked against ngspice 39 where the rule is about ngspice:
//!
//! - Line 1 of a netlist is the title: kept verbatim in [`Canonical::text`]
//!   but **not** part of the key. ngspice never reads it as circuit; a title
//!   edit changes no value (a cached RAW file shows the old title).
//!   Included files have no title line. Every line loses the `\r`s it ends
//!   in (CRLF files give the same key as LF files).
//! - Comment lines (first non-blank character `*`) and blank lines go,
//!   including those between a line and its `+` continuation.
//! - Inline comments go as ngspice 39 cuts them: `;` and `//` anywhere, `$`
//!   at the start of a line or after whitespace (`2 $7` is a comment, `2$ 7`
//!   is not). Nothing inside `"..."` or `'...'` is cut.
//! - `+` continuation lines are joined to their line with one space.
//! - Runs of whitespace outside quotes become one space; leading and
//!   trailing whitespace goes; spaces next to `=`, just after `(` and just
//!   before `)` go (`r = 1k` is `r=1k`, `( vto=1 )` is `(vto=1)`).
//! - ASCII letters outside quotes are lowercased (ngspice is case-insensitive
//!   for element, node, model and parameter names, keywords and
//!   dot-commands). Kept as written: quoted text, and the file name of
//!   `.include`/`.inc`/`.lib FILE SECTION` (file names are case-sensitive).
//! - `.control` ... `.endc` blocks are kept verbatim (a script), only the
//!   `.control` and `.endc` lines themselves are normalised (the `.control`
//!   line keeps a space before `)` and around `=`, so it stays a `.control`).
//! - Nothing else is removed: lines after `.end` stay.
//! - `//` starts a comment only as ngspice 39 reads it; other dialects'
//!   comment syntaxes are not recognised (they would only make keys differ).
//!
//! # Includes
//!
//! See [`resolve_includes`]: names resolve relative to the including file's
//! directory; logical names are relative to the campaign root. ngspice 39
//! tries a relative name against its working directory *before* the
//! including file's directory (checked), so the simulator adapter must run
//! ngspice in a private directory that holds no such names.

mod canon;
mod identity;
mod include;
mod manifest;
mod subst;

pub use canon::{canonicalise_include, canonicalise_netlist, Canonical};
pub use identity::{
    job, job_from_text, Job, JobError, JobIdentity, JobSpec, Simulator, KEY_VERSION,
};
pub use include::{
    read_netlist_file, resolve_file, resolve_includes, Chain, Include, IncludeError, MAX_FILE_BYTES,
};
pub use manifest::{explain, Manifest, ManifestEntry, ManifestError, Reason, MANIFEST_VERSION};
pub use subst::{substitute, substitute_checked, SubstError};

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
    }
    out
}
