//! `substitute_checked`: the job netlists the campaign runner writes, and
//! each refusal, on small netlists whose expected output is written out.

use incremental::{substitute, substitute_checked, SubstError};

#[test]
fn names_that_cannot_be_parameters_and_duplicates_are_refused() {
    let net = "t\nR1 a 0 {r1}\n";
    for bad in ["1r", "r-1", "", "r 1"] {
        assert_eq!(
            substitute(net, &[(bad, "1k")]),
            Err(SubstError::BadName { name: bad.into() }),
            "{bad:?}"
        );
    }
    assert_eq!(
        substitute(net, &[("r1", "1k"), ("R1", "2k")]),
        Err(SubstError::Duplicate { name: "R1".into() })
    );
    let e = substitute(net, &[("_r1", "1k")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter `_r1` is never used by the netlist (nor by the files it includes)"
    );
}

#[test]
fn a_param_line_that_cannot_be_read_is_refused_with_its_line() {
    // an unclosed brace, an unclosed quote, a name with no `=`
    for (line, text) in [
        (2, ".param r1={1k*(2"),
        (2, ".param r1='1k"),
        (2, ".param r1"),
    ] {
        let net = format!("t\n{text}\nR1 a 0 {{r1}}\n");
        let e = substitute(&net, &[("r1", "2k")]).unwrap_err();
        assert_eq!(
            e,
            SubstError::UnreadableParam {
                line,
                name: "r1".into(),
                text: text.into()
            },
            "{text}"
        );
        assert!(e
            .to_string()
            .starts_with("line 2: cannot read the `.param` line that defines `r1`"));
    }
    // an unreadable line that does not define a campaign parameter is kept
    let net = "t\n.param other={1\nR1 a 0 {r1}\n";
    let out = substitute(net, &[("r1", "2k")]).unwrap();
    assert_eq!(out, "t\n.param r1=2k\n.param other={1\nR1 a 0 {r1}\n");
}

#[test]
fn continuations_comments_and_control_blocks() {
    // a definition over four physical lines with a comment line inside:
    // each line after the first becomes a `(continued)` comment, so the
    // line count past the three inserted `.param` lines stays
    let net = "\
title
.param c1=1n
+ r1=1k
* a comment inside the logical line
+ l1=1u
R1 a b {r1}
C1 b 0 {c1}
L1 a 0 {l1}
.control
.param r1=5k
.endc
.end
";
    let out = substitute(net, &[("r1", "2k"), ("c1", "2n"), ("l1", "3u")]).unwrap();
    assert_eq!(
        out,
        "\
title
.param r1=2k
.param c1=2n
.param l1=3u
* spicelab: replaced by the campaign: .param c1=1n r1=1k l1=1u
* spicelab: (continued)
* spicelab: (continued)
* spicelab: (continued)
R1 a b {r1}
C1 b 0 {c1}
L1 a 0 {l1}
.control
.param r1=5k
.endc
.end
"
    );
    assert_eq!(out.lines().count(), net.lines().count() + 3);
    // a parameter used only in an included file counts as used
    let net = "t\n.include models.lib\nX1 a 0 sub\n";
    assert!(matches!(
        substitute(net, &[("vth", "0.4")]),
        Err(SubstError::UnusedParameter { .. })
    ));
    let out = substitute_checked(
        net,
        &[("vth", "0.4")],
        &[".subckt sub a b\nM1 a b b b nmos vto={vth}\n.ends\n"],
    )
    .unwrap();
    assert_eq!(out, "t\n.param vth=0.4\n.include models.lib\nX1 a 0 sub\n");
    // a title with no newline at the end of a one-line netlist
    let e = substitute("only a title", &[("x", "1")]).unwrap_err();
    assert_eq!(e, SubstError::UnusedParameter { name: "x".into() });
}

#[test]
fn quoted_and_braced_defaults_are_replaced_whole() {
    let net = "t\n.param a = 'b + 1' b={2*c} c=\"3\"\nV1 x 0 {a+b+c}\n";
    let out = substitute(net, &[("b", "7")]).unwrap();
    assert_eq!(
        out,
        "t\n.param b=7\n.param a='b + 1' c=\"3\" ; spicelab: replaced by the campaign: b={2*c}\nV1 x 0 {a+b+c}\n"
    );
}
