//! Step parameters from the companion `.log` of a stepped run.
//!
//! LTspice writes `.step vin=1 r1=1000` lines (UTF-16LE on Windows, with a
//! byte-order mark on macOS, 8-bit in LTspice 26); QSPICE writes
//! ` 1 of 4 steps: .step vin=1 r1=1000`.

use std::path::Path;
use waveform::units::parse_spice_number;

/// Reads `<file>.log` beside a RAW (or `.qraw`) file and returns the
/// parameters of each `.step` line, or `None` when there is no log or it
/// lists no step. Only its first 16 MiB are read. For a compressed file
/// (`x.raw.zst`, `x.raw.gz`) the log is `x.log`.
pub fn step_params(raw_path: &Path) -> Option<Vec<Vec<(String, f64)>>> {
    use std::io::Read;
    let base = match raw_path.extension().and_then(|e| e.to_str()) {
        Some("gz" | "zst" | "zstd") => raw_path.with_extension(""),
        _ => raw_path.to_path_buf(),
    };
    let log = base.with_extension("log");
    let mut bytes = Vec::new();
    // Only a regular file: opening a FIFO would block until something writes to it.
    if let Some(what) = crate::source::not_regular(&std::fs::metadata(&log).ok()?) {
        tracing::warn!("{}: is {what}, not a regular file: ignored", log.display());
        return None;
    }
    std::fs::File::open(&log)
        .ok()?
        .take(16 << 20)
        .read_to_end(&mut bytes)
        .ok()?;
    let steps = parse_step_lines(&log_text(&bytes));
    (!steps.is_empty()).then_some(steps)
}

/// The text of a log: UTF-16LE (with or without a byte-order mark), UTF-8
/// (a byte-order mark skipped) or, failing that, latin-1.
pub fn log_text(bytes: &[u8]) -> String {
    use crate::header::{bom_len, decode_utf16le, looks_utf16};
    if looks_utf16(bytes) {
        return decode_utf16le(&bytes[bom_len(bytes, true)..]);
    }
    let b = &bytes[bom_len(bytes, false)..];
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|&c| char::from(c)).collect(),
    }
}

/// The parameters of every `.step` line of a log text: LTspice's
/// `.step vin=1 r1=1k` and QSPICE's `1 of 4 steps: .step vin=1 r1=1k`.
/// A `.step` line with no `name=value` pair (a netlist's own `.step param
/// ...` command echoed) is not a step.
pub fn parse_step_lines(text: &str) -> Vec<Vec<(String, f64)>> {
    text.lines()
        .filter_map(|l| step_rest(l.trim()))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_string(), parse_spice_number(v)?))
                })
                .collect::<Vec<_>>()
        })
        .filter(|params| !params.is_empty())
        .collect()
}

/// What follows `.step ` on a log line, after QSPICE's `N of M steps:`.
fn step_rest(line: &str) -> Option<&str> {
    let line = match line.split_once(':') {
        Some((counter, rest)) if is_step_counter(counter) => rest.trim_start(),
        _ => line,
    };
    let (word, rest) = line.split_once(char::is_whitespace)?;
    word.eq_ignore_ascii_case(".step").then_some(rest)
}

/// `1 of 4 steps` (QSPICE's step counter).
fn is_step_counter(s: &str) -> bool {
    let w: Vec<&str> = s.split_whitespace().collect();
    let number = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    matches!(w.as_slice(), [n, "of", m, "steps" | "step"] if number(n) && number(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines() {
        let t = "Circuit: x\n.step vin=1 r1=1k\n.step vin=10 r1=1000\nDate: y\n";
        let p = parse_step_lines(t);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0],
            vec![("vin".to_string(), 1.0), ("r1".to_string(), 1000.0)]
        );
        assert_eq!(p[1][0].1, 10.0);
    }

    #[test]
    fn qspice_step_lines() {
        let t = " 1 of 2 steps: .step vin=1 r1=1k\r\n 2 of 2 steps: .step vin=2.5 r1=.027k\r\n\
                 .step param vin list 1 2.5\r\n3 of x steps: .step a=1\r\n";
        let p = parse_step_lines(t);
        assert_eq!(
            p,
            vec![
                vec![("vin".to_string(), 1.0), ("r1".to_string(), 1000.0)],
                vec![("vin".to_string(), 2.5), ("r1".to_string(), 27.0)],
            ]
        );
    }

    #[test]
    fn log_encodings() {
        let text = ".step r=2\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let with_bom: Vec<u8> = [0xFF, 0xFE].into_iter().chain(le.iter().copied()).collect();
        let utf8_bom: Vec<u8> = [0xEF, 0xBB, 0xBF].into_iter().chain(text.bytes()).collect();
        for b in [le, with_bom, utf8_bom, text.as_bytes().to_vec()] {
            assert_eq!(log_text(&b), text, "{b:?}");
        }
        assert_eq!(log_text(b"\xb5s\n"), "\u{b5}s\n");
    }
}
