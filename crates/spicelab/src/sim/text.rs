//! Netlist text edits shared by the adapters.

use std::path::Path;

/// The netlist with `lines` inserted after its title (line 1).
pub(crate) fn insert_after_title(text: &str, lines: &[String]) -> String {
    if lines.is_empty() {
        return text.to_string();
    }
    let (title, rest) = match text.find('\n') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None => (text, ""),
    };
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(title);
    if !title.ends_with('\n') {
        out.push('\n');
    }
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(rest);
    out
}

/// The netlist with every relative file name of its own `.include`,
/// `.inc` and `.lib FILE SECTION` lines made absolute against `dir`.
///
/// The job's netlist is written in a private directory, so a relative name
/// would no longer be found next to it. Files reached from those files keep
/// their names: the simulator resolves them against the including file.
/// Lines after the title only; `.control` blocks are left alone.
pub(crate) fn absolute_includes(text: &str, dir: &Path) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut in_control = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let body = line.trim_start();
        let lower = body.to_ascii_lowercase();
        if lower.starts_with(".control") {
            in_control = true;
        } else if lower.starts_with(".endc") {
            in_control = false;
        }
        if i == 0 || in_control {
            out.push_str(line);
            continue;
        }
        match rewrite_include(body, dir) {
            Some(new) => {
                out.push_str(&new);
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

fn rewrite_include(line: &str, dir: &Path) -> Option<String> {
    let line = line.trim_end_matches(['\n', '\r']);
    let (word, rest) = match line.find(|c: char| c.is_whitespace()) {
        Some(i) => (&line[..i], line[i..].trim_start()),
        None => return None,
    };
    let w = word.to_ascii_lowercase();
    let is_include = w == ".include" || w == ".inc";
    let is_lib = w == ".lib";
    if !is_include && !is_lib {
        return None;
    }
    let (name, after) = if let Some(q) = rest.strip_prefix('"') {
        let end = q.find('"')?;
        (&q[..end], &q[end + 1..])
    } else if let Some(q) = rest.strip_prefix('\'') {
        let end = q.find('\'')?;
        (&q[..end], &q[end + 1..])
    } else {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        (&rest[..end], &rest[end..])
    };
    // `.lib NAME` alone opens a section (inside a library file); only
    // `.lib FILE SECTION` names a file.
    if is_lib && after.trim().is_empty() {
        return None;
    }
    if name.is_empty() || Path::new(name).is_absolute() || name.starts_with('~') {
        return None;
    }
    let abs = dir.join(name);
    Some(format!("{word} \"{}\"{after}", abs.display()))
}

/// Lines of a simulator log that are statistics, not messages.
fn is_noise(line: &str) -> bool {
    let l = line.trim();
    l.is_empty()
        || l.contains(" pages =")
        || l.starts_with("Stack =")
        || l.starts_with("Total DRAM")
        || l.starts_with("DRAM currently")
        || l.starts_with("Maximum ngspice program size")
        || l.starts_with("Current ngspice program size")
        || l.starts_with("Total elapsed time")
        || l.starts_with("Total analysis time")
        || l.starts_with("Note: No compatibility mode")
}

/// The last `n` lines of `log` that are not statistics or blank.
pub(crate) fn tail_lines(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !is_noise(l)).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_go_after_the_title() {
        assert_eq!(
            insert_after_title("t\nR1 a 0 1\n", &[".temp 50".into()]),
            "t\n.temp 50\nR1 a 0 1\n"
        );
        assert_eq!(insert_after_title("t", &[".x".into()]), "t\n.x\n");
    }

    #[test]
    fn relative_includes_become_absolute_and_nothing_else_changes() {
        let dir = Path::new("/proj/cir");
        let text = "title .include x\n.include models/r.lib\n.INC 'my m.mod'\n.lib lib/all.lib tt\n.lib tt\n.include /abs/x.lib\n.control\n.include y\n.endc\nR1 a 0 1\n";
        let got = absolute_includes(text, dir);
        assert_eq!(
            got,
            "title .include x\n.include \"/proj/cir/models/r.lib\"\n.INC \"/proj/cir/my m.mod\"\n.lib \"/proj/cir/lib/all.lib\" tt\n.lib tt\n.include /abs/x.lib\n.control\n.include y\n.endc\nR1 a 0 1\n"
        );
    }

    #[test]
    fn the_tail_skips_statistics() {
        let log = "Circuit: x\n\nError on line 4\n  q1 foo\nText (code) pages =    5.430 MB.\nStack = 0 bytes.\n";
        assert_eq!(tail_lines(log, 2), "Error on line 4\n  q1 foo");
    }
}
