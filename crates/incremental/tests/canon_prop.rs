//! Properties of the canonicaliser.

use incremental::{canonicalise_include, canonicalise_netlist};
use proptest::prelude::*;

/// Text made of the pieces that matter to the canonicaliser.
fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n+".to_owned()),
        Just("\n*".to_owned()),
        Just("\n.control\n".to_owned()),
        Just("\n.endc\n".to_owned()),
        Just(".include ".to_owned()),
        Just(".lib ".to_owned()),
        Just("$".to_owned()),
        Just(";".to_owned()),
        Just("/".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("=".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("\u{2003}".to_owned()),
        "[a-zA-Z0-9_.]{1,4}",
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

/// One element line: (name, nodes, value), written cleanly.
fn element() -> impl Strategy<Value = (String, Vec<String>, String)> {
    (
        "[rcl][0-9]{1,2}",
        prop::collection::vec("[a-z][a-z0-9]{0,3}", 2),
        prop_oneof!["[1-9][0-9]{0,2}(k|meg|u|n|p)?", "\\{[a-z]{1,3}\\}",],
    )
}

/// Noise: how one element is written (spacing, case, comments, continuation).
#[derive(Clone, Debug)]
struct Noise {
    gaps: Vec<String>,
    upper: Vec<bool>,
    comment: u8,
    split: bool,
    comment_line_before: bool,
    blank_after: bool,
}

fn noise() -> impl Strategy<Value = Noise> {
    (
        prop::collection::vec("[ \t]{1,3}", 4),
        prop::collection::vec(any::<bool>(), 4),
        0u8..5,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(gaps, upper, comment, split, comment_line_before, blank_after)| Noise {
                gaps,
                upper,
                comment,
                split,
                comment_line_before,
                blank_after,
            },
        )
}

fn clean(els: &[(String, Vec<String>, String)]) -> String {
    let mut out = String::from("Title\n.include Models/Dev.LIB\n");
    for (n, nodes, v) in els {
        out.push_str(&format!("{n} {} {} {v}\n", nodes[0], nodes[1]));
    }
    out.push_str(".end\n");
    out
}

fn noisy(els: &[(String, Vec<String>, String)], noise: &[Noise]) -> String {
    let mut out = String::from("Another title\n.INCLUDE  Models/Dev.LIB ; the models\n");
    for ((n, nodes, v), z) in els.iter().zip(noise) {
        if z.comment_line_before {
            out.push_str("* R1 a b 99k (commented out)\n");
        }
        let words = [n.as_str(), nodes[0].as_str(), nodes[1].as_str(), v.as_str()];
        let words: Vec<String> = words
            .iter()
            .zip(&z.upper)
            .map(|(w, u)| {
                if *u {
                    w.to_uppercase()
                } else {
                    (*w).to_owned()
                }
            })
            .collect();
        out.push_str(&z.gaps[0]);
        out.push_str(&words[0]);
        out.push_str(&z.gaps[1]);
        out.push_str(&words[1]);
        out.push_str(&z.gaps[2]);
        out.push_str(&words[2]);
        if z.split {
            out.push_str("\n* between\n+");
        }
        out.push_str(&z.gaps[3]);
        out.push_str(&words[3]);
        out.push_str(match z.comment {
            0 => "",
            1 => " $ a note",
            2 => "; a note",
            3 => " // a note",
            _ => "   ",
        });
        out.push('\n');
        if z.blank_after {
            out.push_str("\n  \t\n");
        }
    }
    out.push_str(".END\n");
    out
}

proptest! {
    #[test]
    fn canonicalising_twice_changes_nothing(text in soup()) {
        let once = canonicalise_netlist(&text);
        prop_assert_eq!(canonicalise_netlist(&once.text()), once.clone());
        let inc = canonicalise_include(&text);
        prop_assert_eq!(canonicalise_include(&inc.text()), inc);
    }

    #[test]
    fn spacing_case_and_comments_never_change_the_body(
        els in prop::collection::vec(element(), 1..8),
        noise in prop::collection::vec(noise(), 8),
    ) {
        let a = canonicalise_netlist(&clean(&els));
        let b = canonicalise_netlist(&noisy(&els, &noise));
        prop_assert_eq!(a.body(), b.body());
        prop_assert_eq!(a.sha256(), b.sha256());
        // the include's file name kept its case
        prop_assert_eq!(a.lines[0].as_str(), ".include Models/Dev.LIB");
    }

    #[test]
    fn changing_a_value_always_changes_the_body(
        els in prop::collection::vec(element(), 1..8),
        which in any::<prop::sample::Index>(),
        extra in "[1-9]",
    ) {
        let i = which.index(els.len());
        let mut changed = els.clone();
        changed[i].2 = format!("{}{}", changed[i].2, extra);
        let a = canonicalise_netlist(&clean(&els));
        let b = canonicalise_netlist(&clean(&changed));
        prop_assert_ne!(a.sha256(), b.sha256());
    }
}
