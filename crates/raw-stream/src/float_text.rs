//! Floats as text, one way for every text spicelab writes (RAW `Values:`,
//! CSV): the shortest decimal that reads back to the same value (`ryu`),
//! and `NaN`, `inf`, `-inf` for the values that are not finite.
//!
//! ```
//! let mut s = String::new();
//! raw_stream::float_text::push_f64(1e-9, &mut s);
//! s.push(',');
//! raw_stream::float_text::push_f64(f64::NEG_INFINITY, &mut s);
//! assert_eq!(s, "1e-9,-inf");
//! assert_eq!("1e-9".parse::<f64>(), Ok(1e-9));
//! ```

/// Appends the shortest text that reads back to the same f64.
pub fn push_f64(x: f64, out: &mut String) {
    if x.is_finite() {
        out.push_str(ryu::Buffer::new().format_finite(x));
    } else {
        out.push_str(non_finite(x.is_nan(), x > 0.0));
    }
}

/// Appends the shortest text that reads back to the same f32.
pub fn push_f32(x: f32, out: &mut String) {
    if x.is_finite() {
        out.push_str(ryu::Buffer::new().format_finite(x));
    } else {
        out.push_str(non_finite(x.is_nan(), x > 0.0));
    }
}

fn non_finite(nan: bool, positive: bool) -> &'static str {
    match (nan, positive) {
        (true, _) => "NaN",
        (false, true) => "inf",
        (false, false) => "-inf",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(x: f64) -> String {
        let mut s = String::new();
        push_f64(x, &mut s);
        s
    }

    #[test]
    fn reads_back_to_the_same_bits() {
        for x in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e-300,
            f64::MIN_POSITIVE / 3.0,
            f64::MAX,
            -7.123456789012345e-21,
            123456789.0,
        ] {
            let t = text(x);
            let back: f64 = fast_float2::parse(&t).unwrap_or(f64::NAN);
            assert_eq!(back.to_bits(), x.to_bits(), "{x:e} as {t}");
        }
        assert_eq!(text(0.5), "0.5");
        assert_eq!(text(-0.0), "-0.0");
        assert_eq!(text(f64::NAN), "NaN");
        assert_eq!(text(f64::INFINITY), "inf");
        let mut s = String::new();
        push_f32(0.1f32, &mut s);
        assert_eq!(s, "0.1");
    }

    #[test]
    fn the_reader_parses_the_non_finite_words() {
        for (t, want) in [
            ("NaN", f64::NAN),
            ("inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
        ] {
            let got: f64 = fast_float2::parse(t).unwrap_or(0.0);
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{t}"
            );
        }
    }
}
