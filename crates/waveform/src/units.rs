//! Numbers as people write them: SPICE values (`1k`, `10u`, `1meg`) and sizes (`64MiB`, `2GB`).
//!
//! ```
//! use waveform::units::{parse_size, parse_spice_number};
//! assert_eq!(parse_spice_number("1meg"), Some(1e6));
//! assert_eq!(parse_spice_number("10m"), Some(10e-3));
//! assert_eq!(parse_spice_number("4.7nF"), Some(4.7e-9));
//! assert_eq!(parse_size("64MiB"), Some(64 << 20));
//! assert_eq!(parse_size("2GB"), Some(2_000_000_000));
//! ```

/// Parses a SPICE number: a float followed by an optional scale suffix
/// (`t g meg k m u n p f mil`, case-insensitive; `m` is milli, `meg` is 1e6)
/// and optional unit letters that are ignored (`10nF`, `1kOhm`).
pub fn parse_spice_number(text: &str) -> Option<f64> {
    let t = text.trim();
    // The numeric prefix: sign, digits, dot, exponent.
    let b = t.as_bytes();
    let mut end = 0;
    let mut seen_digit = false;
    if end < b.len() && (b[end] == b'+' || b[end] == b'-') {
        end += 1;
    }
    while end < b.len() && (b[end].is_ascii_digit() || b[end] == b'.') {
        seen_digit |= b[end].is_ascii_digit();
        end += 1;
    }
    if !seen_digit {
        return None;
    }
    // An exponent only if followed by digits (so `1e` is not eaten from `1meg`... which has no e first).
    if end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut k = end + 1;
        if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
            k += 1;
        }
        if k < b.len() && b[k].is_ascii_digit() {
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            end = k;
        }
    }
    let num = &t[..end];
    let base: f64 = num.parse().ok()?;
    let rest = t[end..].to_ascii_lowercase();
    if rest.starts_with('%') {
        return if rest == "%" {
            Some(base / 100.0)
        } else {
            None
        };
    }
    if !rest.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    if rest.starts_with("mil") {
        return Some(base * 25.4e-6);
    }
    let exp: i32 = if rest.starts_with("meg") {
        6
    } else {
        match rest.chars().next() {
            Some('t') => 12,
            Some('g') => 9,
            Some('k') => 3,
            Some('m') => -3,
            Some('u') => -6,
            Some('n') => -9,
            Some('p') => -12,
            Some('f') => -15,
            Some('a') => -18,
            _ => 0,
        }
    };
    if exp == 0 {
        return Some(base);
    }
    // Shift the decimal exponent in text, so `4.7n` is exactly the double nearest 4.7e-9.
    if !num.contains(['e', 'E']) {
        return format!("{num}e{exp}").parse().ok();
    }
    Some(base * 10f64.powi(exp))
}

/// Parses a size in bytes: `123`, `64KiB`, `64MiB`, `2GiB`, `1TiB` (powers of 1024)
/// or `10kB`, `200MB`, `2GB` (powers of 1000); `K`, `M`, `G` alone are binary.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return None,
    };
    let v = n * mult as f64;
    // `u64::MAX as f64` is 2^64, one past the largest u64: refuse it too.
    if !v.is_finite() || v < 0.0 || v >= u64::MAX as f64 {
        return None;
    }
    Some(v.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spice_numbers() {
        assert_eq!(parse_spice_number("1k"), Some(1e3));
        assert_eq!(parse_spice_number("1K"), Some(1e3));
        assert_eq!(parse_spice_number("1Meg"), Some(1e6));
        assert_eq!(parse_spice_number("2.5e-3"), Some(2.5e-3));
        assert_eq!(parse_spice_number("-3u"), Some(-3e-6));
        assert_eq!(parse_spice_number(".027k"), Some(27.0));
        assert_eq!(parse_spice_number("5%"), Some(0.05));
        assert_eq!(parse_spice_number("1000"), Some(1000.0));
        assert_eq!(parse_spice_number("abc"), None);
        assert_eq!(parse_spice_number(""), None);
        assert_eq!(parse_spice_number("1k2"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2GiB"), Some(2 << 30));
        assert_eq!(parse_size("200MB"), Some(200_000_000));
        assert_eq!(parse_size("1.5k"), Some(1536));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("5 parsecs"), None);
        assert_eq!(parse_size("18446744073709551616"), None); // 2^64
        assert_eq!(parse_size("16EiB"), None);
        assert_eq!(
            parse_size("18446744073709549568"),
            Some(18446744073709549568)
        );
    }
}
