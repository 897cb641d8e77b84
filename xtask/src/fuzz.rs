//! `cargo xtask fuzz --seconds N [--target T]`: the cargo-fuzz targets
//! (`fuzz/`, nightly) of the RAW reader, the cache envelope decoder, the
//! campaign file parser, the netlist canonicaliser, the include
//! resolver and the HDF5 reader of spicelab's own files, each run for N seconds on a corpus of its own
//! (`fuzz/corpus/<target>/`, not committed) seeded from the committed
//! fixtures: RAW files (committed, the shared corpus when present, small
//! files made by the writer) and cache entries for the RAW and cache
//! targets; the example campaigns and the campaign texts of the spicelab
//! tests and `docs/campaign.md` for `campaign`; the netlists of
//! `examples/`, `fixtures/` and the shared corpus for `canon`; small
//! include trees (chains, sections, cycles, missing files, names leaving
//! the root) and those netlists for `include`; for `h5_read`, whose input
//! is a recipe (a small result to export, then edits of the HDF5 file), the
//! RAW seeds' bytes serve as well as any.
//!
//! Needs the nightly toolchain and cargo-fuzz:
//! `rustup toolchain install nightly --profile minimal` and
//! `cargo install cargo-fuzz --locked`. A crash fails the task; libFuzzer
//! leaves the input in `fuzz/artifacts/<target>/`, to be committed as a
//! regression fixture beside a fix.

use crate::util::{self, Workspace};
use anyhow::{bail, Context, Result};
use raw_stream::{write_plot, RawFormat};
use std::collections::VecDeque;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use waveform::{Column, Complex64, Flags, Plot, PlotHeader, Steps, Variable};

/// The fuzz targets, in the order they run.
pub const TARGETS: [&str; 8] = [
    "raw_open",
    "raw_differential",
    "cache_decode",
    "cache_forged",
    "campaign",
    "canon",
    "include",
    "h5_read",
];

/// Largest input the fuzzer makes. Longer seeds (the ASCII fixtures reach
/// 33 KB) are cut to this by libFuzzer: their cut versions are seeds too.
const MAX_LEN: usize = 4096;

/// Seeds larger than this are left out of the corpus.
const MAX_SEED: u64 = 64 << 10;

/// Options of `cargo xtask fuzz`.
#[derive(clap::Args, Debug)]
pub struct FuzzArgs {
    /// Seconds to fuzz each target.
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub seconds: u64,
    /// Only this target (raw_open, raw_differential, cache_decode,
    /// cache_forged, campaign, canon, include, h5_read).
    #[arg(long, value_name = "T")]
    pub target: Option<String>,
}

/// What libFuzzer's final stats say about one run.
#[derive(Debug, Default, Clone)]
struct Stats {
    execs: u64,
    per_sec: u64,
    new_units: u64,
    peak_rss_mb: u64,
}

pub fn run(ws: &Workspace, args: &FuzzArgs) -> Result<ExitCode> {
    let targets: Vec<&str> = match &args.target {
        Some(t) if TARGETS.contains(&t.as_str()) => vec![t.as_str()],
        Some(t) => bail!("no fuzz target '{t}' (there are: {})", TARGETS.join(", ")),
        None => TARGETS.to_vec(),
    };
    let rustup = util::which("rustup").context(
        "rustup is not on PATH: cargo-fuzz needs the nightly toolchain (https://rustup.rs)",
    )?;
    let fuzz_dir = ws.root.join("fuzz");
    let probe = nightly(&rustup, &ws.root)
        .args(["fuzz", "--version"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {
            eprintln!("xtask fuzz: {}", String::from_utf8_lossy(&o.stdout).trim())
        }
        _ => bail!(
            "`cargo +nightly fuzz` does not run: install them with \
             `rustup toolchain install nightly --profile minimal` and `cargo install cargo-fuzz --locked`"
        ),
    }
    let raw_seeds = seed_files(ws)?;
    let mut rows = Vec::new();
    let mut failed = false;
    for t in &targets {
        let corpus = fuzz_dir.join("corpus").join(t);
        fs::create_dir_all(&corpus).with_context(|| format!("creating {}", corpus.display()))?;
        let seeds = match *t {
            "campaign" => campaign_seeds(ws)?,
            "canon" => netlist_seeds(ws)?,
            "include" => include_seeds(ws)?,
            _ => raw_seeds.clone(),
        };
        for (name, bytes) in &seeds {
            // raw_differential: the first byte picks the dialect (0: detected)
            let content = if *t == "raw_differential" {
                let mut b = vec![0u8];
                b.extend_from_slice(bytes);
                b
            } else {
                bytes.clone()
            };
            fs::write(corpus.join(format!("seed-{name}")), content)
                .with_context(|| format!("writing the seed {name}"))?;
        }
        eprintln!(
            "xtask fuzz: {t} for {} s on {} ({} seeds)",
            args.seconds,
            ws.rel(&corpus),
            seeds.len()
        );
        let (ok, stats, tail) = run_target(&rustup, &ws.root, t, &corpus, args.seconds)?;
        if !ok {
            failed = true;
            eprintln!("xtask fuzz: {t} FAILED; the last lines of its output:");
            for l in &tail {
                eprintln!("  {l}");
            }
        }
        rows.push((t.to_string(), ok, stats));
    }
    println!("| target | seconds | executions | exec/s | new units | peak RSS MB | result |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    let mut total = 0;
    for (t, ok, s) in &rows {
        total += s.execs;
        println!(
            "| {t} | {} | {} | {} | {} | {} | {} |",
            args.seconds,
            s.execs,
            s.per_sec,
            s.new_units,
            s.peak_rss_mb,
            if *ok {
                "0 crashes"
            } else {
                "CRASH (see fuzz/artifacts)"
            }
        );
    }
    println!("| all | | {total} | | | | |");
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `cargo +nightly` in `dir`, through rustup (the cargo that runs xtask is the pinned stable one).
fn nightly(rustup: &Path, dir: &Path) -> Command {
    let mut c = Command::new(rustup);
    c.args(["run", "nightly", "cargo"]).current_dir(dir);
    for v in [
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "RUSTUP_TOOLCHAIN",
        "RUSTC_WRAPPER",
    ] {
        c.env_remove(v);
    }
    c
}

/// Runs one target; returns (no crash, final stats, the last lines of its output).
fn run_target(
    rustup: &Path,
    root: &Path,
    target: &str,
    corpus: &Path,
    seconds: u64,
) -> Result<(bool, Stats, Vec<String>)> {
    let mut cmd = nightly(rustup, root);
    // no sanitizer: the crates are safe Rust (unsafe_code = "forbid"); debug
    // assertions and overflow checks are on (cargo-fuzz's default)
    cmd.args(["fuzz", "run", "-s", "none", target])
        .arg(corpus)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={MAX_LEN}"))
        .args(["-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .with_context(|| format!("running cargo +nightly fuzz run {target}"))?;
    let stdout = child.stdout.take();
    let out_thread = std::thread::spawn(move || {
        if let Some(o) = stdout {
            for l in BufReader::new(o).lines().map_while(Result::ok) {
                eprintln!("  {l}");
            }
        }
    });
    let mut stats = Stats::default();
    let mut tail: VecDeque<String> = VecDeque::new();
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let num = |key: &str| {
                line.strip_prefix(key)
                    .and_then(|v| v.trim().parse::<u64>().ok())
            };
            if let Some(v) = num("stat::number_of_executed_units:") {
                stats.execs = v;
            } else if let Some(v) = num("stat::average_exec_per_sec:") {
                stats.per_sec = v;
            } else if let Some(v) = num("stat::new_units_added:") {
                stats.new_units = v;
            } else if let Some(v) = num("stat::peak_rss_mb:") {
                stats.peak_rss_mb = v;
            }
            if line.starts_with("stat::")
                || line.contains("DONE")
                || line.contains("ERROR")
                || line.contains("panicked")
                || line.contains("artifact")
                || line.starts_with("error")
            {
                eprintln!("  {line}");
            }
            tail.push_back(line.chars().take(300).collect());
            if tail.len() > 60 {
                tail.pop_front();
            }
        }
    }
    let status = child.wait().context("waiting for cargo fuzz")?;
    let _ = out_thread.join();
    Ok((status.success(), stats, tail.into()))
}

/// Files under `dir` (recursively, sorted) whose name ends in one of
/// `suffixes` and that are at most [`MAX_SEED`] bytes: (path, bytes).
fn files_under(dir: &Path, suffixes: &[&str]) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            let Ok(meta) = fs::metadata(&p) else { continue };
            if meta.is_dir() {
                todo.push(p);
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if meta.len() <= MAX_SEED && suffixes.iter().any(|s| name.ends_with(s)) {
                let bytes = fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A seed's file name from its path: the path's parts joined with `-`.
fn seed_name(ws: &Workspace, p: &Path) -> String {
    ws.rel(p)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Seeds of `campaign`: every `campaign.toml` under `examples/`, the
/// string literals holding `[campaign]` in the spicelab tests (the
/// integration tests and `src/campaign/tests.rs`), and the TOML blocks of
/// `docs/campaign.md` holding `[campaign]`.
fn campaign_seeds(ws: &Workspace) -> Result<Vec<(String, Vec<u8>)>> {
    let mut seeds = Vec::new();
    for (p, bytes) in files_under(&ws.root.join("examples"), &["campaign.toml"])? {
        seeds.push((seed_name(ws, &p), bytes));
    }
    let crate_dir = ws.root.join("crates/spicelab");
    let mut sources = files_under(&crate_dir.join("tests"), &[".rs"])?;
    sources.extend(files_under(&crate_dir.join("src/campaign"), &["tests.rs"])?);
    for (p, bytes) in sources {
        let text = String::from_utf8_lossy(&bytes);
        for (i, lit) in string_literals(&text)
            .into_iter()
            .filter(|l| l.contains("[campaign]"))
            .enumerate()
        {
            seeds.push((format!("{}-{i}.toml", seed_name(ws, &p)), lit.into_bytes()));
        }
    }
    let doc = ws.root.join("docs/campaign.md");
    if let Ok(text) = fs::read_to_string(&doc) {
        for (i, block) in text
            .split("```toml\n")
            .skip(1)
            .filter_map(|b| b.split("```").next())
            .filter(|b| b.contains("[campaign]"))
            .enumerate()
        {
            seeds.push((
                format!("docs-campaign.md-{i}.toml"),
                block.as_bytes().to_vec(),
            ));
        }
    }
    if seeds.is_empty() {
        bail!("no campaign seeds found under examples/, crates/spicelab or docs/");
    }
    Ok(seeds)
}

/// The string literals of Rust source: raw (`r"..."`, `r#"..."#`) as
/// written, plain (`"..."`) with the escapes `\n`, `\r`, `\t`, `\\`, `\"`,
/// `\'`, `\0` and line continuations read. Good enough for seeds: a
/// character literal or a comment holding a quote can misalign it.
fn string_literals(src: &str) -> Vec<String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                // a line comment
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' => {
                // a char literal ('"', '\'') or a lifetime: skip to its end
                if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else if b.get(i + 1) == Some(&b'\\') && b.get(i + 3) == Some(&b'\'') {
                    i += 4;
                } else {
                    i += 1;
                }
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
                let open = i + 1 + hashes;
                if b.get(open) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                match src[open + 1..].find(&close) {
                    Some(len) => {
                        out.push(src[open + 1..open + 1 + len].to_owned());
                        i = open + 1 + len + close.len();
                    }
                    None => break,
                }
            }
            b'"' => {
                let mut s = String::new();
                let mut chars = src[i + 1..].char_indices();
                let mut end = None;
                while let Some((k, c)) = chars.next() {
                    match c {
                        '"' => {
                            end = Some(i + 1 + k + 1);
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((_, 'n')) => s.push('\n'),
                            Some((_, 'r')) => s.push('\r'),
                            Some((_, 't')) => s.push('\t'),
                            Some((_, '0')) => s.push('\0'),
                            Some((_, '\n')) => {
                                // a continuation: the next line's leading blanks go too
                                let rest = chars.as_str();
                                let skip = rest.len() - rest.trim_start().len();
                                for _ in 0..rest[..skip].chars().count() {
                                    chars.next();
                                }
                            }
                            Some((_, other)) => s.push(other),
                            None => break,
                        },
                        c => s.push(c),
                    }
                }
                match end {
                    Some(e) => {
                        out.push(s);
                        i = e;
                    }
                    None => break,
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The netlists: every `.cir` under `examples/` and `fixtures/`, and the
/// small ones of the shared corpus when it is there.
fn netlists(ws: &Workspace) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut dirs = vec![ws.root.join("examples"), ws.root.join("fixtures")];
    let shared = ws.root.join("../shared/raw-samples");
    if shared.join("MANIFEST.toml").is_file() {
        dirs.push(shared);
    }
    for d in dirs {
        for (p, bytes) in files_under(&d, &[".cir"])? {
            out.push((seed_name(ws, &p), bytes));
        }
    }
    Ok(out)
}

/// Seeds of `canon`: the netlists, and the include trees' files.
fn netlist_seeds(ws: &Workspace) -> Result<Vec<(String, Vec<u8>)>> {
    let mut seeds = netlists(ws)?;
    if seeds.is_empty() {
        bail!("no .cir netlists found under examples/ or fixtures/");
    }
    for (name, tree) in include_trees() {
        for (k, part) in tree.iter().enumerate() {
            seeds.push((format!("tree-{name}-{k}.cir"), part.as_bytes().to_vec()));
        }
    }
    Ok(seeds)
}

/// Small include trees, one string per file of the `include` target, in
/// its order: `root/top.cir`, `root/models/a.lib`, `root/models/sub/b.lib`,
/// `root/c.lib`, `outside.lib` (see `crates/incremental/tests/common/fuzz.rs`).
fn include_trees() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "chain",
            vec![
                "chain\n.include models/a.lib\n.lib c.lib tt\nR1 a 0 {r}\n.end\n",
                "* a\n.include sub/b.lib\n.model dm d (is=1e-14)\n",
                ".INC '../../c.lib'\n.param rb = 2k\n",
                ".lib tt\n.param r=1k\n.endl\n.lib ff\n.include ../outside.lib\n.endl\n",
                ".param x=1\n",
            ],
        ),
        (
            "cycle",
            vec![
                "cycle\n.include models/a.lib\n.end\n",
                ".include sub/b.lib\n",
                ".include ../a.lib\n",
            ],
        ),
        (
            "section-cycle",
            vec![
                "sections\n.lib c.lib ff\n.lib \"c.lib\" TT\n.end\n",
                "",
                "",
                ".lib tt\n.lib c.lib ff\n.endl tt\n.lib ff\n.lib c.lib tt\n.endl\n",
            ],
        ),
        (
            "errors",
            vec![
                "errors\n.include\n.include missing.lib\n.include models/dir.lib\n.include /nonexistent/x.lib\n.lib c.lib ss\n",
                "",
                "",
                ".lib tt\n.endl\n",
            ],
        ),
        (
            "outside",
            vec![
                "outside\n.include ../outside.lib\n.include models/../../outside.lib\n.include ./models/./a.lib\n.end\n",
                ".include ../../outside.lib\n",
                "",
                "",
                "* out\n.include root/c.lib\n",
            ],
        ),
        (
            "control",
            vec![
                "control\n.control\n.include models/a.lib\n.endc\nR1 a 0 1 ; .include x\n+ 2\n.include \"models/sub/b.lib\" $ c\n",
                "",
                ".lib c.lib tt\n",
                ".lib tt\n.endl\n",
            ],
        ),
    ]
}

/// Seeds of `include`: [`include_trees`], and each netlist as the top file
/// of the `chain` tree.
fn include_seeds(ws: &Workspace) -> Result<Vec<(String, Vec<u8>)>> {
    let join = |parts: &[&[u8]]| parts.join(&0u8);
    let trees = include_trees();
    let mut seeds: Vec<(String, Vec<u8>)> = trees
        .iter()
        .map(|(name, parts)| {
            let parts: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
            (format!("tree-{name}"), join(&parts))
        })
        .collect();
    let chain: Vec<&[u8]> = trees[0].1.iter().map(|p| p.as_bytes()).collect();
    for (name, bytes) in netlists(ws)? {
        let mut parts = chain.clone();
        parts[0] = &bytes;
        seeds.push((format!("top-{name}"), join(&parts)));
    }
    Ok(seeds)
}

/// The seeds: the committed ngspice fixtures, the small files of the shared
/// corpus when it is there, and small files of every layout the writer makes
/// (whole and cut short). (name, bytes).
fn seed_files(ws: &Workspace) -> Result<Vec<(String, Vec<u8>)>> {
    let mut seeds = Vec::new();
    let mut dirs = vec![ws.root.join("fixtures")];
    let shared = ws.root.join("../shared/raw-samples");
    if shared.join("MANIFEST.toml").is_file() {
        dirs.push(shared);
    }
    for d in dirs {
        let mut files: Vec<PathBuf> = fs::read_dir(&d)
            .with_context(|| format!("reading {}", d.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.ends_with(".raw") || name.ends_with(".qraw")
            })
            .collect();
        files.sort();
        for p in files {
            let size = fs::metadata(&p).map(|m| m.len()).unwrap_or(u64::MAX);
            if size > MAX_SEED {
                continue;
            }
            let bytes = fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("seed");
            seeds.push((name.to_string(), bytes));
        }
    }
    // Cache entries: the committed reference entries, and entries coded
    // with the cache targets' campaign dictionary (plain and HMAC).
    for v in ["v3", "v4"] {
        let d = ws.root.join("fixtures/cache").join(v);
        let Ok(rd) = fs::read_dir(&d) else { continue };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "splc"))
            .collect();
        files.sort();
        for p in files {
            let bytes = fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("seed");
            seeds.push((format!("{v}-{name}"), bytes));
        }
    }
    seeds.extend(dictionary_seeds()?);
    for (name, bytes) in generated()? {
        // whole, and cut inside its data
        let cut = bytes.len() - bytes.len() / 7;
        seeds.push((format!("{name}-cut.raw"), bytes[..cut].to_vec()));
        seeds.push((format!("{name}.raw"), bytes));
    }
    Ok(seeds)
}

/// The campaign dictionary of the cache fuzz targets (the same bytes as in
/// `fuzz/fuzz_targets/cache_decode.rs`).
fn fuzz_dictionary() -> cache_zstd::Dictionary {
    cache_zstd::Dictionary::from_bytes(
        (0..2048u32)
            .flat_map(|i| ((i as f64 * 0.01).sin()).to_le_bytes())
            .collect(),
    )
}

/// Entries coded with [`fuzz_dictionary`] under the key of the committed
/// reference entries: a transient, plain and with the reference secret.
fn dictionary_seeds() -> Result<Vec<(String, Vec<u8>)>> {
    let key = cache_zstd::key_of(b"spicelab reference entry");
    let mut out = Vec::new();
    for (name, plot) in plots() {
        let entry = cache_zstd::Entry {
            result: waveform::SimResult {
                plots: vec![plot],
                ..waveform::SimResult::default()
            },
            meta: cache_zstd::JobMeta::default(),
        };
        for (tag, secret) in [
            ("plain", None),
            (
                "hmac",
                cache_zstd::Secret::new(b"spicelab reference secret".to_vec()),
            ),
        ] {
            let opts = cache_zstd::EncodeOptions {
                dictionary: Some(fuzz_dictionary()),
                secret,
                ..cache_zstd::EncodeOptions::default()
            };
            let bytes = cache_zstd::encode_entry(&key, &entry, &opts)?;
            out.push((format!("dict-{name}-{tag}.splc"), bytes));
        }
    }
    Ok(out)
}

fn header(plotname: &str, flags: &str, names: &[(&str, &str)], n: usize) -> PlotHeader {
    PlotHeader {
        title: "* fuzz seed".into(),
        date: "Thu Jan  1 00:00:00 2026".into(),
        plotname: plotname.into(),
        flags: Flags::parse(flags),
        n_points: n as u64,
        variables: names
            .iter()
            .enumerate()
            .map(|(i, (name, kind))| Variable::new(i, *name, *kind))
            .collect(),
        ..PlotHeader::default()
    }
}

/// Small plots of every shape: a transient, an AC sweep (complex), a
/// stepped transient, an operating point.
fn plots() -> Vec<(&'static str, Plot)> {
    let n = 6;
    let t: Vec<f64> = (0..n).map(|i| i as f64 * 1e-6).collect();
    let tran = Plot {
        header: header(
            "Transient Analysis",
            "real forward",
            &[
                ("time", "time"),
                ("v(out)", "voltage"),
                ("i(v1)", "current"),
            ],
            n,
        ),
        columns: vec![
            Column::F64(t.clone()),
            Column::F64(t.iter().map(|x| (x * 1e6).sin()).collect()),
            Column::F64(t.iter().map(|x| -x * 1e3).collect()),
        ],
        steps: Steps::single(n as u64),
    };
    let f: Vec<f64> = (0..n).map(|i| 10f64.powi(i as i32)).collect();
    let ac = Plot {
        header: header(
            "AC Analysis",
            "complex forward log",
            &[("frequency", "frequency"), ("v(out)", "voltage")],
            n,
        ),
        columns: vec![
            Column::F64(f.clone()),
            Column::C64(
                f.iter()
                    .map(|x| Complex64 {
                        re: 1.0 / (1.0 + x),
                        im: -x / (1.0 + x * x),
                    })
                    .collect(),
            ),
        ],
        steps: Steps::single(n as u64),
    };
    let per = 3;
    let st: Vec<f64> = (0..3 * per).map(|i| (i % per) as f64 * 1e-3).collect();
    let stepped = Plot {
        header: header(
            "Transient Analysis",
            "real forward stepped",
            &[("time", "time"), ("v(a)", "voltage")],
            st.len(),
        ),
        columns: vec![
            Column::F64(st.clone()),
            Column::F32(st.iter().map(|x| *x as f32 * 2.0).collect()),
        ],
        steps: Steps::single(st.len() as u64),
    };
    let op = Plot {
        header: header(
            "Operating Point",
            "real",
            &[("v(a)", "voltage"), ("v(b)", "voltage")],
            1,
        ),
        columns: vec![Column::F64(vec![1.5]), Column::F64(vec![-0.25])],
        steps: Steps::single(1),
    };
    vec![("tran", tran), ("ac", ac), ("stepped", stepped), ("op", op)]
}

/// The writer's formats on [`plots`], a two-plot file, and hand-written
/// ASCII layouts the writer does not make (ngspice 44, Xyce, QSPICE).
fn generated() -> Result<Vec<(String, Vec<u8>)>> {
    let formats = [
        ("ng", RawFormat::NgspiceBinary),
        ("ngascii", RawFormat::NgspiceAscii),
        ("lt", RawFormat::LtspiceBinary),
        ("ltfast", RawFormat::LtspiceFastAccess),
    ];
    let mut out = Vec::new();
    let plots = plots();
    for (fname, fmt) in formats {
        for (pname, plot) in &plots {
            let mut b = Vec::new();
            write_plot(&mut b, fmt, plot).with_context(|| format!("seed {fname}-{pname}"))?;
            out.push((format!("gen-{fname}-{pname}"), b));
        }
        // two plots in one file
        let mut b = Vec::new();
        for (_, plot) in plots.iter().filter(|(n, _)| *n == "op" || *n == "tran") {
            write_plot(&mut b, fmt, plot).with_context(|| format!("seed {fname}-multi"))?;
        }
        out.push((format!("gen-{fname}-multi"), b));
    }
    let head = |plotname: &str, flags: &str, command: &str, vars: &str, n: usize| {
        format!(
            "Title: * seed\nDate: today\n{command}Plotname: {plotname}\nFlags: {flags}\n\
             No. Variables: 2\nNo. Points: {n}\nVariables:\n{vars}Values:\n"
        )
    };
    let tv = "\t0\ttime\ttime\n\t1\tv(out)\tvoltage\n";
    let fv = "\t0\tfrequency\tfrequency grid=3\n\t1\tv(out)\tvoltage\n";
    let mut ng44 = head(
        "Transient Analysis",
        "real",
        "Command: ngspice-44.2\n",
        tv,
        3,
    );
    ng44.push_str(" 0\t0.000000000000000e+00\n\t1.000000000000000e+00\n\n");
    ng44.push_str(" 1\t1.000000000000000e-06\n\t5.000000000000000e-01\n\n");
    ng44.push_str(" 2\t2.000000000000000e-06\n\t2.500000000000000e-01\n\n");
    out.push(("hand-ngspice44-ascii".into(), ng44.into_bytes()));
    let mut xyce = head("AC Analysis", "complex", "", fv, 2);
    xyce.push_str(
        "0\t1.0e+03, 0.0e+00\n\t1.0e+00, -2.0e-01\n1\t1.0e+04, 0.0e+00\n\t5.0e-01, -4.0e-01\n",
    );
    out.push(("hand-xyce-ascii".into(), xyce.into_bytes()));
    let mut qspice = head("AC Analysis", "complex", "Command: QSPICE64\n", fv, 2);
    qspice.push_str("0\t1e3\n\t1,2\n1\t2e3\n\t3,4\n");
    out.push(("hand-qspice-ascii".into(), qspice.into_bytes()));
    let mut lt = head("Transient Analysis", "real forward", "", tv, 2).replace('\n', "\r\n");
    lt.push_str(
        "0\t0.000000000000000e+000\r\n\t1.0e+000\r\n1\t-1.000000000000000e-006\r\n\t2.0e+000\r\n",
    );
    out.push(("hand-ltspice-crlf".into(), lt.into_bytes()));
    Ok(out)
}
