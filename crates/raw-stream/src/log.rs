//! Step parameters from the companion `.log` of an LTspice run.

use std::path::Path;
use waveform::units::parse_spice_number;

/// Reads `<file>.log` beside a RAW file and returns the parameters of each
/// `.step` line (`.step vin=1 r1=1000`), or `None` when there is no log or it
/// lists no step. The log may be 8-bit or UTF-16LE text; only its first
/// 16 MiB are read.
pub fn step_params(raw_path: &Path) -> Option<Vec<Vec<(String, f64)>>> {
    use std::io::Read;
    let log = raw_path.with_extension("log");
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
    let text = if crate::header::looks_utf16(&bytes) {
        crate::header::decode_utf16le(&bytes)
    } else {
        bytes.iter().map(|&b| char::from(b)).collect()
    };
    let steps = parse_step_lines(&text);
    (!steps.is_empty()).then_some(steps)
}

/// The parameters of every `.step` line of a log text.
pub fn parse_step_lines(text: &str) -> Vec<Vec<(String, f64)>> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(".step "))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_string(), parse_spice_number(v)?))
                })
                .collect()
        })
        .collect()
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
}
