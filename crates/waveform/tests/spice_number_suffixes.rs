//! SPICE numbers with every scale suffix, compared with the value computed
//! here from the suffix table of the SPICE manuals, and sizes that do not
//! fit in 64 bits refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use waveform::units::{parse_size, parse_spice_number};

/// The scale suffixes of SPICE (case-insensitive) and their powers of ten.
const SUFFIXES: [(&str, i32); 10] = [
    ("t", 12),
    ("g", 9),
    ("meg", 6),
    ("k", 3),
    ("m", -3),
    ("u", -6),
    ("n", -9),
    ("p", -12),
    ("f", -15),
    ("a", -18),
];

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

#[test]
fn each_suffix_scales_by_its_power_of_ten() {
    assert_eq!(parse_spice_number("2T"), Some(2e12));
    assert_eq!(parse_spice_number("1.5g"), Some(1.5e9));
    assert_eq!(parse_spice_number("10p"), Some(10e-12));
    assert_eq!(parse_spice_number("4.7pF"), Some(4.7e-12));
    assert_eq!(parse_spice_number("3f"), Some(3e-15));
    assert_eq!(parse_spice_number("7a"), Some(7e-18));
    assert_eq!(parse_spice_number("-2.2fF"), Some(-2.2e-15));
    // mil: a thousandth of an inch, 25.4 um
    assert_eq!(parse_spice_number("1mil"), Some(25.4e-6));
    assert_eq!(parse_spice_number("10mil"), Some(10.0 * 25.4e-6));
    // `m` is milli, `meg` mega, whatever the case
    assert_eq!(parse_spice_number("1M"), Some(1e-3));
    assert_eq!(parse_spice_number("1MEG"), Some(1e6));
}

#[test]
fn a_suffix_after_an_exponent_multiplies_it() {
    assert_eq!(parse_spice_number("1e3k"), Some(1e6));
    assert_eq!(parse_spice_number("2.5e-3u"), Some(2.5e-9));
    let got = parse_spice_number("1.5E2p").unwrap();
    assert!(close(got, 1.5e-10), "{got:e}");
    // an `e` not followed by digits is not an exponent: it is unit letters
    assert_eq!(parse_spice_number("1e"), Some(1.0));
    assert_eq!(parse_spice_number("3eV"), Some(3.0));
    assert_eq!(parse_spice_number("2e+"), None);
}

#[test]
fn percent_must_end_the_number() {
    assert_eq!(parse_spice_number("5%"), Some(0.05));
    assert_eq!(parse_spice_number("5%x"), None);
    assert_eq!(parse_spice_number("5%%"), None);
    assert_eq!(parse_spice_number("5 %"), None);
}

#[test]
fn sizes_beyond_64_bits_are_refused() {
    assert_eq!(parse_size("16EiB"), None);
    assert_eq!(parse_size("20000000TiB"), None); // 2.2e19 > u64::MAX
    assert_eq!(parse_size("16777217TiB"), None); // 2^64 + 2^40
    assert_eq!(parse_size("16777215TiB"), Some(16_777_215u64 << 40));
    assert_eq!(parse_size("1.5KiB"), Some(1536));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `mantissa` + suffix (any case, with unit letters after it) is the
    /// mantissa times the suffix's power of ten, to the last bit or two.
    #[test]
    fn suffixed_numbers_scale_exactly(
        int in 0u32..100_000,
        frac in 0u32..1000,
        neg in any::<bool>(),
        which in 0usize..SUFFIXES.len(),
        upper in any::<bool>(),
        unit in prop::sample::select(vec!["", "F", "Ohm", "V", "s", "Hz"]),
    ) {
        let (suffix, exp) = SUFFIXES[which];
        // unit letters after the suffix (but none that would change it: "meg" after "m")
        prop_assume!(!(suffix == "m" && unit.to_ascii_lowercase().starts_with("eg")));
        let suffix = if upper { suffix.to_ascii_uppercase() } else { suffix.to_string() };
        let mantissa = format!("{}{int}.{frac:03}", if neg { "-" } else { "" });
        let text = format!("{mantissa}{suffix}{unit}");
        let want: f64 = format!("{mantissa}e{exp}").parse().unwrap();
        let got = parse_spice_number(&text);
        prop_assert_eq!(got, Some(want), "{}", text);
        // with an exponent of its own, the suffix multiplies it
        let text = format!("{mantissa}e1{suffix}{unit}");
        let m: f64 = format!("{mantissa}e1").parse().unwrap();
        let got = parse_spice_number(&text).unwrap();
        let want = m * 10f64.powi(exp);
        prop_assert!(close(got, want), "{}: {:e} vs {:e}", text, got, want);
    }

    /// Sizes with a unit are the count times the unit's multiple; one that
    /// overflows 64 bits is `None`, never a wrapped or saturated count.
    #[test]
    fn sizes_are_exact_or_refused(n in 0u64..1 << 40, unit in 0usize..9) {
        let units: [(&str, u128); 9] = [
            ("", 1), ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
            ("kB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ];
        let (name, mult) = units[unit];
        let exact = u128::from(n) * mult;
        let got = parse_size(&format!("{n}{name}"));
        // counts up to 2^53 are exact in the f64 the parser works in
        if exact < (1u128 << 53) {
            prop_assert_eq!(got, Some(exact as u64));
        } else if exact >= 1u128 << 64 {
            // 2^64 itself does not fit either
            prop_assert_eq!(got, None);
        } else {
            match got {
                Some(g) => prop_assert!((g as f64 - exact as f64).abs() <= exact as f64 * 1e-15),
                // only a count that rounds up to 2^64 in f64 is refused
                None => prop_assert!(exact as f64 >= 18446744073709551616.0),
            }
        }
    }
}
