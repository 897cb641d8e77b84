//! The body of the fuzz target `campaign` (`fuzz/`), shared with
//! `tests/campaign_fuzz_regressions.rs`, which runs it on every input that
//! once crashed the target. A panic here is a bug (in the parser, or a
//! property stated wrongly here).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use spicelab::campaign::Campaign;
use waveform::units::parse_spice_number;
use waveform::ParamValue;

/// The netlists a campaign may name in the fuzz directory (the names the
/// example and test campaigns use), each using the parameters those
/// campaigns give, one with an include.
pub const NETLISTS: &[(&str, &str)] = &[
    (
        "rc.cir",
        "rc filter\n.param rload=1k\nV1 in 0 pulse(0 1 0 1u 1u 1m 2m)\nR1 in mid {r1}\n\
         R2 mid x {r2+r3}\nC1 mid 0 {c1}\nC2 out 0 {cval}\nRL out 0 {rload}\n\
         B1 out 0 V=v(x)*{vth+fc+a+r}\n.tran 1u 3m\n.end\n",
    ),
    (
        "clipper.cir",
        "clipper\n.include models/d.lib\nV1 in 0 sin(0 {amp} 1k)\nR1 in out {rs}\n\
         D1 out 0 dmod\n.tran 10u 2m\n.end\n",
    ),
    (
        "amp.cir",
        "amp\nR1 in out {rload}\nR2 out 0 {r1}\n.op\n.end\n",
    ),
    ("slow.cir", "slow\nR1 in 0 {r}\n.op\n.end\n"),
    ("t.cir", "t\nR1 in 0 {r}\n.op\n.end\n"),
    ("inc.cir", "inc\n.include missing.lib\nR1 in 0 {r}\n.end\n"),
    ("models/d.lib", ".model dmod d (is={is} n=1.8)\n"),
];

/// Writes [`NETLISTS`] under `dir`.
pub fn prepare(dir: &Path) {
    for (name, text) in NETLISTS {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Jobs expanded one by one and all at once are compared up to this count.
const ALL_JOBS: usize = 64;

/// `Campaign::parse` on `data` as the campaign file `dir/c.toml` (the
/// directory made by [`prepare`]), then `check_netlist` and the job
/// expansion. An error is fine; a panic or a hang is a bug. Checked on a
/// campaign that parses: parsing again gives the same campaign; `jobs()`
/// is `job(0..job_count())` and `job(job_count())` is `None`; every text a
/// job gives the netlist reads back (`parse_spice_number`) to the job's
/// number of that name; the job parameters are finite.
pub fn campaign_input(data: &[u8], dir: &Path) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = dir.join("c.toml");
    let c = match Campaign::parse(text, &file) {
        Ok(c) => c,
        Err(e) => {
            // every error names the file
            assert!(e.to_string().contains("c.toml"), "{e}");
            return;
        }
    };
    let again = Campaign::parse(text, &file).unwrap();
    assert_eq!(format!("{c:?}"), format!("{again:?}"));
    let _ = c.check_netlist();

    let n = c.job_count();
    assert!(n >= 1);
    assert!(c.job(n).is_none());
    let probe: Vec<usize> = if n <= ALL_JOBS {
        let all = c.jobs();
        assert_eq!(all.len(), n);
        (0..n).collect()
    } else {
        vec![0, 1, n / 2, n - 1]
    };
    for i in probe {
        let j = c.job(i).unwrap();
        assert_eq!(j.index, i);
        assert_eq!(Some(&j), c.job(i).as_ref(), "job {i} is not the same twice");
        if n <= ALL_JOBS {
            assert_eq!(c.jobs()[i], j);
        }
        for (name, text) in &j.netlist_params {
            let value = j
                .params
                .iter()
                .find_map(|(k, v)| match v {
                    ParamValue::Number(x) if k == name => Some(*x),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("job {i}: {name} has a text but no number"));
            assert!(value.is_finite(), "job {i}: {name} = {value}");
            assert_eq!(
                parse_spice_number(text),
                Some(value),
                "job {i}: {name} = `{text}` does not read back"
            );
        }
    }
}
