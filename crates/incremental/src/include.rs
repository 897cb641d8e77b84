//! The include resolver: every file a netlist reaches through `.include`,
//! `.inc` and `.lib FILE SECTION`, hashed canonically.

use std::collections::HashSet;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::canon::{
    include_lines_numbered, is_include_cmd, is_lib_cmd, netlist_lines_numbered, tokens,
};

/// One file (or one `.lib` section of a file) a netlist reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    /// The name recorded in keys and manifests: the path relative to the
    /// campaign root with `/` separators (`models/b.lib`), `../` where it
    /// lies above the root; an include written as an absolute path keeps
    /// that path. A `.lib` section is `models/m.lib[tt]` (section lowercase).
    pub logical: String,
    /// Where the file was read on this machine (never part of a key).
    pub path: PathBuf,
    /// The `.lib` section taken, lowercase; `None` for a whole file.
    pub section: Option<String>,
    /// Lowercase hex sha256 of the canonical content taken (the whole file,
    /// or the section's lines between `.lib SECTION` and `.endl`).
    pub sha256: String,
    /// The canonical content taken (what `sha256` is over).
    pub canonical: String,
}

/// The chain of files that led to a directive, outermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain(pub Vec<String>);

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" -> "))
    }
}

/// Why the includes of a netlist could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum IncludeError {
    /// A file could not be read (the netlist itself or an include).
    #[error("{chain}: cannot read {path}: {source}", path = .path.display())]
    Read {
        /// The files that led here, this one last.
        chain: Chain,
        /// The path tried.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An include names a file that does not exist.
    #[error("{file}:{line}: included file `{name}` not found (looked for {tried}); include chain: {chain}", tried = .tried.display())]
    Missing {
        /// The logical name of the file with the directive.
        file: String,
        /// 1-based line of the directive in that file, as an editor counts
        /// lines (the title is line 1 of a netlist; a directive continued
        /// with `+` lines is at its first line).
        line: usize,
        /// The name as written.
        name: String,
        /// The path looked for, resolved relative to the including file.
        tried: PathBuf,
        /// The chain, the missing file last.
        chain: Chain,
    },
    /// A file includes itself, directly or through others.
    #[error("{file}:{line}: include cycle: {chain}")]
    Cycle {
        /// The logical name of the file with the directive that closes the cycle.
        file: String,
        /// 1-based line of that directive in its file.
        line: usize,
        /// The cycle, starting and ending at the same file.
        chain: Chain,
    },
    /// `.lib FILE SECTION` names a section the file does not define.
    #[error("{file}:{line}: section `{section}` not found in `{lib}`; include chain: {chain}")]
    SectionNotFound {
        /// The logical name of the file with the directive.
        file: String,
        /// 1-based line of the directive in its file.
        line: usize,
        /// The library file's logical name.
        lib: String,
        /// The section asked for.
        section: String,
        /// The chain, the library last.
        chain: Chain,
    },
    /// A directive without its file name (`.include` alone).
    #[error("{file}:{line}: `{text}` names no file; include chain: {chain}")]
    NoFileName {
        /// The logical name of the file with the directive.
        file: String,
        /// 1-based line of the directive in its file.
        line: usize,
        /// The directive.
        text: String,
        /// The chain.
        chain: Chain,
    },
}

/// Lexical normalisation: `.` dropped, `a/..` folded (no file system access,
/// so symlinks and moved trees give the same names).
fn normalise_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                match last {
                    Some(Component::Normal(_)) => {
                        out.pop();
                    }
                    Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                    _ => out.push(".."),
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn to_slashes(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// `path` relative to `root` (both normalised lexically), with `..` where needed.
fn relative_to(path: &Path, root: &Path) -> String {
    let p: Vec<Component> = path.components().collect();
    let r: Vec<Component> = root.components().collect();
    let common = p.iter().zip(&r).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..r.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    to_slashes(&out)
}

fn unquote(name: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = name.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    name
}

/// What a directive asks for.
struct Directive {
    name: String,
    section: Option<String>,
    line: usize,
}

/// The include directives among canonical lines (outside `.control`), with
/// the line of the file each starts on. `.lib NAME` (one word) opens a section
/// definition and is not a directive: ngspice 39 reads it so (checked: a
/// `.lib common` inside a section does not pull in section `common`).
fn directives(
    lines: &[String],
    numbers: &[usize],
    file: &str,
    chain: &Chain,
) -> Result<Vec<Directive>, IncludeError> {
    let mut out = Vec::new();
    let line_of = |i: usize| numbers.get(i).copied().unwrap_or(i + 1);
    let mut in_control = false;
    for (i, line) in lines.iter().enumerate() {
        let toks = tokens(line);
        let Some(first) = toks.first() else { continue };
        if in_control {
            in_control = !first.eq_ignore_ascii_case(".endc");
            continue;
        }
        if first.eq_ignore_ascii_case(".control") {
            in_control = true;
            continue;
        }
        let section = if is_include_cmd(first) {
            None
        } else if is_lib_cmd(first) && toks.len() >= 3 {
            Some(unquote(toks[2]).to_ascii_lowercase())
        } else {
            continue;
        };
        let Some(name) = toks.get(1) else {
            return Err(IncludeError::NoFileName {
                file: file.to_owned(),
                line: line_of(i),
                text: line.clone(),
                chain: chain.clone(),
            });
        };
        out.push(Directive {
            name: unquote(name).to_owned(),
            section,
            line: line_of(i),
        });
    }
    Ok(out)
}

/// The lines of section `section` of a library: after `.lib SECTION`, up to
/// the next `.endl`.
/// The lines of section `section` (between `.lib NAME` and `.endl`), as a
/// range of `lines`.
fn section_lines(lines: &[String], section: &str) -> Option<std::ops::Range<usize>> {
    let start = lines.iter().position(|l| {
        let t = tokens(l);
        t.len() == 2 && is_lib_cmd(t[0]) && unquote(t[1]).eq_ignore_ascii_case(section)
    })?;
    let len = lines[start + 1..]
        .iter()
        .take_while(|l| {
            let first = tokens(l).first().copied().unwrap_or("");
            !first.eq_ignore_ascii_case(".endl")
        })
        .count();
    Some(start + 1..start + 1 + len)
}

struct Walker {
    root: PathBuf,
    out: Vec<Include>,
    // (normalised path, section) being visited, with their logical names
    stack: Vec<(PathBuf, Option<String>, String)>,
    // (normalised path, section) walked to the end without an error: a
    // second directive for one adds nothing (its includes are all in `out`
    // and a cycle through it would have been found the first time), so it
    // is not read again. Without this, files that include the next one
    // many times cost exponential time (30 x 30 x 30 x 30 reads).
    done: HashSet<(PathBuf, Option<String>)>,
}

impl Walker {
    fn logical(&self, written: &str, resolved: &Path) -> String {
        if Path::new(written).is_absolute() {
            to_slashes(resolved)
        } else {
            relative_to(resolved, &self.root)
        }
    }

    fn chain(&self) -> Chain {
        Chain(self.stack.iter().map(|(_, _, l)| l.clone()).collect())
    }

    fn walk(
        &mut self,
        lines: &[String],
        numbers: &[usize],
        dir: &Path,
        file: &str,
    ) -> Result<(), IncludeError> {
        for d in directives(lines, numbers, file, &self.chain())? {
            let resolved = normalise_path(&dir.join(&d.name));
            let mut logical = self.logical(&d.name, &resolved);
            if let Some(s) = &d.section {
                logical = format!("{logical}[{s}]");
            }
            if self
                .stack
                .iter()
                .any(|(p, s, _)| *p == resolved && *s == d.section)
            {
                let mut chain = self.chain();
                chain.0.push(logical);
                return Err(IncludeError::Cycle {
                    file: file.to_owned(),
                    line: d.line,
                    chain,
                });
            }
            let visit = (resolved.clone(), d.section.clone());
            if self.done.contains(&visit) {
                continue;
            }
            let text = match read_netlist_file(&resolved) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let mut chain = self.chain();
                    chain.0.push(logical);
                    return Err(IncludeError::Missing {
                        file: file.to_owned(),
                        line: d.line,
                        name: d.name,
                        tried: resolved,
                        chain,
                    });
                }
                Err(source) => {
                    let mut chain = self.chain();
                    chain.0.push(logical);
                    return Err(IncludeError::Read {
                        chain,
                        path: resolved,
                        source,
                    });
                }
            };
            let (all, all_numbers) = include_lines_numbered(&text);
            let range = match &d.section {
                None => 0..all.len(),
                Some(s) => match section_lines(&all, s) {
                    Some(body) => body,
                    None => {
                        let mut chain = self.chain();
                        chain.0.push(logical.clone());
                        return Err(IncludeError::SectionNotFound {
                            file: file.to_owned(),
                            line: d.line,
                            lib: self.logical(&d.name, &resolved),
                            section: s.clone(),
                            chain,
                        });
                    }
                },
            };
            let taken = &all[range.clone()];
            let taken_numbers = all_numbers.get(range).unwrap_or(&[]);
            let canonical: String = taken.iter().map(|l| format!("{l}\n")).collect();
            let already = self.out.iter().any(|i| i.logical == logical);
            if !already {
                self.out.push(Include {
                    logical: logical.clone(),
                    path: resolved.clone(),
                    section: d.section.clone(),
                    sha256: crate::sha256_hex(canonical.as_bytes()),
                    canonical,
                });
            }
            let sub_dir = resolved.parent().map(Path::to_path_buf).unwrap_or_default();
            self.stack
                .push((resolved, d.section.clone(), logical.clone()));
            self.walk(taken, taken_numbers, &sub_dir, &logical)?;
            self.stack.pop();
            self.done.insert(visit);
        }
        Ok(())
    }
}

/// Every file reached from the netlist text `netlist_text`, which lives (or
/// is written as if it lived) at `netlist_path`, in the order first reached
/// (depth first), each once.
///
/// Names resolve as ngspice resolves them from a private working directory:
/// relative to the directory of the file that holds the directive (checked
/// with ngspice 39 on a two-level include). Quotes around a name are
/// dropped. `.lib FILE SECTION` takes only that section; the directives
/// inside it are followed, those elsewhere in the file are not. Logical
/// names are relative to `root` (the campaign directory), so moving the
/// whole campaign gives the same names.
pub fn resolve_includes(
    netlist_text: &str,
    netlist_path: &Path,
    root: &Path,
) -> Result<Vec<Include>, IncludeError> {
    let netlist_path = normalise_path(&absolute(netlist_path));
    let root = normalise_path(&absolute(root));
    let (_, lines, numbers) = netlist_lines_numbered(netlist_text);
    let mut w = Walker {
        root,
        out: Vec::new(),
        stack: Vec::new(),
        done: HashSet::new(),
    };
    let top = relative_to(&netlist_path, &w.root);
    let dir = netlist_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    w.stack.push((netlist_path.clone(), None, top.clone()));
    w.walk(&lines, &numbers, &dir, &top)?;
    Ok(w.out)
}

/// [`resolve_includes`] on the netlist read from `netlist_path`.
pub fn resolve_file(netlist_path: &Path, root: &Path) -> Result<Vec<Include>, IncludeError> {
    let text = read_netlist_file(netlist_path).map_err(|source| IncludeError::Read {
        chain: Chain(vec![netlist_path.display().to_string()]),
        path: netlist_path.to_path_buf(),
        source,
    })?;
    resolve_includes(&String::from_utf8_lossy(&text), netlist_path, root)
}

/// Largest netlist or included file read (a model library of a foundry PDK
/// is a few MB; this leaves room and stops a link to an endless device).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Reads a netlist or an included file: only a regular file (a FIFO would
/// block the read, a device such as `/dev/zero` never ends), and at most
/// [`MAX_FILE_BYTES`].
pub fn read_netlist_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    // metadata first: opening a FIFO for reading blocks until a writer comes
    let meta = std::fs::metadata(path)?;
    let not_regular = |meta: &std::fs::Metadata| {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        std::io::Error::new(std::io::ErrorKind::InvalidInput, kind)
    };
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} bytes, more than the {} MiB a netlist file may have",
                meta.len(),
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("grew past {} MiB while read", MAX_FILE_BYTES >> 20),
        ));
    }
    Ok(bytes)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_and_lexical() {
        assert_eq!(
            normalise_path(Path::new("/a/./b/../c")),
            PathBuf::from("/a/c")
        );
        assert_eq!(
            relative_to(Path::new("/c/m/x.lib"), Path::new("/c")),
            "m/x.lib"
        );
        assert_eq!(
            relative_to(Path::new("/p/x.lib"), Path::new("/c/d")),
            "../../p/x.lib"
        );
    }
}
