//! From the TOML text to a checked [`Campaign`].

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use waveform::units::parse_spice_number;

use super::tree::{line_of, Entry, Node};
use super::{
    round12, spice_text, Campaign, CampaignError, Corner, Dist, McParam, MonteCarlo, Origin,
    Outputs, SweepParam, RESERVED_NAMES, SIMULATORS,
};
use crate::measure::{Edge, MeasureKind, MeasureSpec, SpectralMetric, SpectralSpec};
use crate::spec::Spec;

type Result<T> = std::result::Result<T, CampaignError>;

const TABLES: &[&str] = &[
    "campaign",
    "sweep",
    "corners",
    "montecarlo",
    "measure",
    "spec",
    "outputs",
];
const CAMPAIGN_KEYS: &[&str] = &[
    "name",
    "netlist",
    "simulator",
    "temperature",
    "save",
    "timeout",
];
const RANGE_KEYS: &[&str] = &["from", "to", "points", "scale"];
const MC_PARAM_KEYS: &[&str] = &["dist", "nominal", "tol", "sigma", "lot", "lot_tol"];
const SPECTRAL: &[&str] = &["thd", "sinad", "sfdr", "enob", "snr"];
/// The most points a range may have.
const MAX_POINTS: i64 = 1_000_000;
const KINDS: &str = "min, max, mean, rms, pp, final, at, cross, thd, sinad, sfdr, enob, snr";

struct Cx<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Cx<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    fn err(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> CampaignError {
        CampaignError::Invalid {
            file: self.file.to_path_buf(),
            line: self.line(span),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// The entries of a table value, or an error.
    fn table<'n>(&self, v: &'n Spanned<Node>, key: &str, what: &str) -> Result<&'n [Entry]> {
        match v.get_ref() {
            Node::Table(t) => Ok(t),
            other => Err(self.err(
                v.span(),
                key,
                format!("expected {what}, found {}", other.kind()),
            )),
        }
    }

    /// Errors on the first key of `t` not in `allowed`.
    fn only(&self, t: &[Entry], prefix: &str, allowed: &[&str]) -> Result<()> {
        for e in t {
            if !allowed.contains(&e.name()) {
                return Err(self.err(
                    e.key_span(),
                    &format!("{prefix}{}", e.name()),
                    format!("unknown key (expected one of: {})", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn string<'n>(&self, v: &'n Spanned<Node>, key: &str) -> Result<&'n str> {
        match v.get_ref() {
            Node::Str(s) => Ok(s),
            other => Err(self.err(
                v.span(),
                key,
                format!("expected a string, found {}", other.kind()),
            )),
        }
    }

    fn int(&self, v: &Spanned<Node>, key: &str) -> Result<i64> {
        match v.get_ref() {
            Node::Int(i) => Ok(*i),
            other => Err(self.err(
                v.span(),
                key,
                format!("expected an integer, found {}", other.kind()),
            )),
        }
    }

    /// A number as a TOML number or a string with a SPICE suffix
    /// (`"1k"`, `"5%"`): (text for the netlist, value). A string keeps the
    /// user's text unless it holds `%` (the simulator would not read it).
    fn number(&self, v: &Spanned<Node>, key: &str) -> Result<(String, f64)> {
        let (text, x) = match v.get_ref() {
            Node::Str(s) => match parse_spice_number(s) {
                Some(x) => {
                    let t = s.trim();
                    let text = if t.contains('%') {
                        spice_text(x)
                    } else {
                        t.to_owned()
                    };
                    (text, x)
                }
                None => {
                    return Err(self.err(v.span(), key, format!("`{s}` is not a SPICE number")))
                }
            },
            Node::Int(i) => (i.to_string(), *i as f64),
            Node::Float(f) => (spice_text(*f), *f),
            other => {
                return Err(self.err(
                    v.span(),
                    key,
                    format!(
                        "expected a number or a SPICE number string (\"1k\"), found {}",
                        other.kind()
                    ),
                ))
            }
        };
        if !x.is_finite() {
            return Err(self.err(v.span(), key, format!("`{text}` is not a finite number")));
        }
        Ok((text, x))
    }

    fn value(&self, v: &Spanned<Node>, key: &str) -> Result<f64> {
        self.number(v, key).map(|(_, x)| x)
    }
}

fn find<'a>(t: &'a [Entry], name: &str) -> Option<&'a Entry> {
    t.iter().find(|e| e.name() == name)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parameter names seen so far, across sweep, corners and Monte Carlo.
struct Names {
    seen: Vec<(String, &'static str, usize)>,
}

impl Names {
    fn add(&mut self, cx: &Cx<'_>, e: &Entry, section: &'static str, key: &str) -> Result<()> {
        let name = e.name();
        if !valid_name(name) {
            return Err(cx.err(
                e.key_span(),
                key,
                format!("`{name}` is not a valid parameter name (letters, digits and `_`, not starting with a digit)"),
            ));
        }
        if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(cx.err(
                e.key_span(),
                key,
                format!(
                    "`{name}` is reserved (the job parameters use {})",
                    RESERVED_NAMES.join(", ")
                ),
            ));
        }
        let lower = name.to_ascii_lowercase();
        if let Some((_, other, line)) = self.seen.iter().find(|(n, _, _)| *n == lower) {
            if *other == "corners" && section == "corners" {
                return Ok(()); // the same parameter in another corner
            }
            return Err(cx.err(
                e.key_span(),
                key,
                format!(
                    "parameter `{name}` is already given in [{other}] (line {line}); a parameter belongs to one of [sweep], [corners], [montecarlo]"
                ),
            ));
        }
        self.seen.push((lower, section, cx.line(e.key_span())));
        Ok(())
    }
}

pub(crate) fn parse(text: &str, path: &Path) -> Result<Campaign> {
    let cx = Cx { file: path, text };
    let doc: Node = toml::from_str(text).map_err(|e| CampaignError::Syntax {
        file: path.to_path_buf(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: if e.message().contains("$__toml_private_datetime") {
            "a date or time is not a campaign value (write numbers and strings)".to_owned()
        } else {
            format!("not valid TOML: {}", e.message().trim())
        },
    })?;
    let Node::Table(top) = doc else {
        return Err(CampaignError::Syntax {
            file: path.to_path_buf(),
            line: 1,
            message: "a campaign file is a TOML table".to_owned(),
        });
    };
    for e in &top {
        if TABLES.contains(&e.name()) {
            continue;
        }
        return Err(match e.value.get_ref() {
            Node::Table(_) => cx.err(
                e.key_span(),
                &format!("[{}]", e.name()),
                format!("unknown table (expected one of: {})", TABLES.join(", ")),
            ),
            _ => cx.err(
                e.key_span(),
                e.name(),
                "unknown key at the top level (campaign settings go under [campaign])",
            ),
        });
    }

    let root = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };

    let Some(ce) = find(&top, "campaign") else {
        return Err(CampaignError::Invalid {
            file: path.to_path_buf(),
            line: 1,
            key: "[campaign]".to_owned(),
            message:
                "missing table (it names the netlist: `[campaign]` then `netlist = \"rc.cir\"`)"
                    .to_owned(),
        });
    };
    let ct = cx.table(&ce.value, "[campaign]", "a table")?;
    cx.only(ct, "[campaign] ", CAMPAIGN_KEYS)?;

    let name = match find(ct, "name") {
        Some(e) => {
            let s = cx.string(&e.value, "[campaign] name")?;
            if s.trim().is_empty() {
                return Err(cx.err(e.value.span(), "[campaign] name", "empty name"));
            }
            s.to_owned()
        }
        None => path.file_stem().map_or_else(
            || "campaign".to_owned(),
            |s| s.to_string_lossy().into_owned(),
        ),
    };

    let Some(ne) = find(ct, "netlist") else {
        return Err(cx.err(
            ce.key_span(),
            "[campaign] netlist",
            "missing required key (the netlist file, relative to the campaign file)",
        ));
    };
    let netlist_line = cx.line(ne.key_span());
    let nl = cx.string(&ne.value, "[campaign] netlist")?;
    if nl.trim().is_empty() {
        return Err(cx.err(ne.value.span(), "[campaign] netlist", "empty file name"));
    }
    let netlist = root.join(nl);
    if !netlist.is_file() {
        let what = if netlist.exists() {
            "is not a regular file (a directory, FIFO or device)"
        } else {
            "does not exist (relative paths are relative to the campaign file)"
        };
        return Err(cx.err(
            ne.value.span(),
            "[campaign] netlist",
            format!("the netlist `{}` {what}", netlist.display()),
        ));
    }

    let simulator = match find(ct, "simulator") {
        Some(e) => {
            let s = cx.string(&e.value, "[campaign] simulator")?;
            let lower = s.trim().to_ascii_lowercase();
            if !SIMULATORS.contains(&lower.as_str()) {
                return Err(cx.err(
                    e.value.span(),
                    "[campaign] simulator",
                    format!(
                        "unknown simulator `{s}` (expected one of: {})",
                        SIMULATORS.join(", ")
                    ),
                ));
            }
            lower
        }
        None => "ngspice".to_owned(),
    };

    let temperature = match find(ct, "temperature") {
        Some(e) => {
            let key = "[campaign] temperature";
            match e.value.get_ref() {
                Node::Array(items) => {
                    if items.is_empty() {
                        return Err(cx.err(e.value.span(), key, "empty list"));
                    }
                    items
                        .iter()
                        .map(|v| cx.value(v, key))
                        .collect::<Result<Vec<f64>>>()?
                }
                Node::Table(_) => sweep_values(&cx, e, key)?
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
                _ => vec![cx.value(&e.value, key)?],
            }
        }
        None => Vec::new(),
    };

    let save = match find(ct, "save") {
        Some(e) => {
            let key = "[campaign] save";
            let items: Vec<&Spanned<Node>> = match e.value.get_ref() {
                Node::Array(items) => items.iter().collect(),
                _ => vec![&e.value],
            };
            let mut out = Vec::new();
            for v in items {
                let s = cx.string(v, key)?.trim();
                if s.is_empty() {
                    return Err(cx.err(v.span(), key, "empty vector name"));
                }
                out.push(s.to_owned());
            }
            out
        }
        None => Vec::new(),
    };

    let timeout = match find(ct, "timeout") {
        Some(e) => Some(timeout(&cx, &e.value)?),
        None => None,
    };

    let mut names = Names { seen: Vec::new() };
    let mut origins = Vec::new();

    let mut sweep = Vec::new();
    if let Some(se) = find(&top, "sweep") {
        let st = cx.table(&se.value, "[sweep]", "a table")?;
        for e in st {
            let key = format!("[sweep] {}", e.name());
            names.add(&cx, e, "sweep", &key)?;
            origins.push(Origin {
                name: e.name().to_owned(),
                line: cx.line(e.key_span()),
                key: key.clone(),
            });
            sweep.push(SweepParam {
                name: e.name().to_owned(),
                values: sweep_values(&cx, e, &key)?,
            });
        }
    }

    let mut corners = Vec::new();
    if let Some(ke) = find(&top, "corners") {
        let kt = cx.table(&ke.value, "[corners]", "a table")?;
        for c in kt {
            let ckey = format!("[corners] {}", c.name());
            let pt = cx.table(
                &c.value,
                &ckey,
                "a table of parameters (`tt = { vth = 0.0 }`)",
            )?;
            let mut params = Vec::new();
            for p in pt {
                let key = format!("[corners] {}.{}", c.name(), p.name());
                names.add(&cx, p, "corners", &key)?;
                if !origins
                    .iter()
                    .any(|o: &Origin| o.name.eq_ignore_ascii_case(p.name()))
                {
                    origins.push(Origin {
                        name: p.name().to_owned(),
                        line: cx.line(p.key_span()),
                        key: key.clone(),
                    });
                }
                let (text, value) = cx.number(&p.value, &key)?;
                params.push((p.name().to_owned(), text, value));
            }
            corners.push(Corner {
                name: c.name().to_owned(),
                params,
            });
        }
    }

    let montecarlo = match find(&top, "montecarlo") {
        Some(me) => Some(montecarlo(&cx, me, &mut names, &mut origins)?),
        None => None,
    };

    let mut measures = Vec::new();
    if let Some(me) = find(&top, "measure") {
        let mt = cx.table(&me.value, "[measure]", "a table")?;
        for e in mt {
            if let Some(m) = measure(&cx, e)? {
                measures.push(m);
            }
        }
    }

    let mut specs = Vec::new();
    if let Some(pe) = find(&top, "spec") {
        let pt = cx.table(&pe.value, "[spec]", "a table")?;
        for e in pt {
            let key = format!("[spec] {}", e.name());
            if !measures.iter().any(|m| m.name == e.name()) {
                return Err(cx.err(
                    e.key_span(),
                    &key,
                    format!(
                        "no measure `{}` in [measure] (a spec is named after the measure it limits)",
                        e.name()
                    ),
                ));
            }
            let t = cx.table(&e.value, &key, "a table (`{ min = .., max = .. }`)")?;
            cx.only(t, &format!("{key}."), &["min", "max"])?;
            let min = find(t, "min")
                .map(|m| cx.value(&m.value, &format!("{key}.min")))
                .transpose()?;
            let max = find(t, "max")
                .map(|m| cx.value(&m.value, &format!("{key}.max")))
                .transpose()?;
            match (min, max) {
                (None, None) => {
                    return Err(cx.err(e.key_span(), &key, "give min, max or both"));
                }
                (Some(lo), Some(hi)) if lo > hi => {
                    return Err(cx.err(
                        e.key_span(),
                        &key,
                        format!("min ({lo}) is above max ({hi})"),
                    ));
                }
                _ => {}
            }
            specs.push(Spec {
                measure: e.name().to_owned(),
                min,
                max,
            });
        }
    }

    let mut outputs = Outputs::default();
    if let Some(oe) = find(&top, "outputs") {
        let ot = cx.table(&oe.value, "[outputs]", "a table")?;
        cx.only(ot, "[outputs] ", &["hdf5", "resample"])?;
        if let Some(h) = find(ot, "hdf5") {
            let s = cx.string(&h.value, "[outputs] hdf5")?;
            if s.trim().is_empty() {
                return Err(cx.err(h.value.span(), "[outputs] hdf5", "empty file name"));
            }
            outputs.hdf5 = Some(root.join(s));
        }
        if let Some(r) = find(ot, "resample") {
            let key = "[outputs] resample";
            let rt = cx.table(&r.value, key, "a table (`{ points = 2001 }`)")?;
            cx.only(rt, "[outputs] resample.", &["points"])?;
            let Some(p) = find(rt, "points") else {
                return Err(cx.err(
                    r.key_span(),
                    "[outputs] resample.points",
                    "missing required key",
                ));
            };
            let key = "[outputs] resample.points";
            let n = cx.int(&p.value, key)?;
            let n = usize::try_from(n).ok().filter(|&n| n >= 2).ok_or_else(|| {
                cx.err(p.value.span(), key, format!("{n}: need at least 2 points"))
            })?;
            outputs.resample_points = Some(n);
        }
    }

    Ok(Campaign {
        name,
        file: path.to_path_buf(),
        root,
        netlist,
        simulator,
        temperature,
        save,
        timeout,
        sweep,
        corners,
        montecarlo,
        measures,
        specs,
        outputs,
        origins,
        netlist_line,
    })
}

/// A duration: `"60s"`, `"2m"` (minutes), `"500ms"`, `"1h"`, `"1.5s"`, or a
/// bare number (TOML or string) of seconds. Must be above 0.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let t = s.trim();
    let (num, unit) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix("min") {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    let x: f64 = num.trim().parse().ok()?;
    if !x.is_finite() || x <= 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(x * unit).ok()
}

fn timeout(cx: &Cx<'_>, v: &Spanned<Node>) -> Result<Duration> {
    let key = "[campaign] timeout";
    let bad = |what: String| {
        cx.err(
            v.span(),
            key,
            format!(
                "{what} is not a duration above 0 (\"60s\", \"2m\", \"500ms\", \"1h\" or seconds)"
            ),
        )
    };
    match v.get_ref() {
        Node::Str(s) => parse_duration(s).ok_or_else(|| bad(format!("`{s}`"))),
        Node::Int(i) => parse_duration(&i.to_string()).ok_or_else(|| bad(i.to_string())),
        Node::Float(f) => parse_duration(&f.to_string()).ok_or_else(|| bad(f.to_string())),
        other => Err(cx.err(
            v.span(),
            key,
            format!("expected a duration, found {}", other.kind()),
        )),
    }
}

fn sweep_values(cx: &Cx<'_>, e: &Entry, key: &str) -> Result<Vec<(String, f64)>> {
    match e.value.get_ref() {
        Node::Array(items) => {
            if items.is_empty() {
                return Err(cx.err(e.key_span(), key, "empty list: a sweep needs at least one value"));
            }
            items.iter().map(|v| cx.number(v, key)).collect()
        }
        Node::Table(t) => {
            cx.only(t, &format!("{key}."), RANGE_KEYS)?;
            let get = |k: &str| -> Result<&Spanned<Node>> {
                find(t, k).map(|x| &x.value).ok_or_else(|| {
                    cx.err(
                        e.key_span(),
                        &format!("{key}.{k}"),
                        "missing required key (a range is `{ from = .., to = .., points = N }`)",
                    )
                })
            };
            let fv = get("from")?;
            let from = cx.value(fv, &format!("{key}.from"))?;
            let to = cx.value(get("to")?, &format!("{key}.to"))?;
            let pv = get("points")?;
            let pkey = format!("{key}.points");
            let points = cx.int(pv, &pkey)?;
            if points > MAX_POINTS {
                return Err(cx.err(
                    pv.span(),
                    &pkey,
                    format!("{points}: too many points (at most {MAX_POINTS})"),
                ));
            }
            if points < 1 || (points == 1 && from != to) {
                return Err(cx.err(
                    pv.span(),
                    &pkey,
                    format!("{points}: a range needs at least 2 points (1 only when from == to)"),
                ));
            }
            let n = usize::try_from(points)
                .map_err(|_| cx.err(pv.span(), &pkey, format!("{points}: too many points")))?;
            let log = match find(t, "scale") {
                Some(s) => match cx.string(&s.value, &format!("{key}.scale"))? {
                    "lin" => false,
                    "log" => true,
                    other => {
                        return Err(cx.err(
                            s.value.span(),
                            &format!("{key}.scale"),
                            format!("unknown scale `{other}` (expected lin or log)"),
                        ))
                    }
                },
                None => false,
            };
            if log && (from == 0.0 || to == 0.0 || (from < 0.0) != (to < 0.0)) {
                return Err(cx.err(
                    fv.span(),
                    &format!("{key}.from"),
                    "a log range needs from and to of the same sign, neither 0",
                ));
            }
            Ok((0..n)
                .map(|i| {
                    let x = if i == 0 {
                        from
                    } else if i + 1 == n {
                        to
                    } else {
                        let f = i as f64 / (n - 1) as f64;
                        if log {
                            round12(from * (to / from).powf(f))
                        } else {
                            round12(from + (to - from) * f)
                        }
                    };
                    (spice_text(x), x)
                })
                .collect())
        }
        other => Err(cx.err(
            e.value.span(),
            key,
            format!(
                "expected a list of values or a range `{{ from = .., to = .., points = N }}`, found {}",
                other.kind()
            ),
        )),
    }
}

fn montecarlo(
    cx: &Cx<'_>,
    me: &Entry,
    names: &mut Names,
    origins: &mut Vec<Origin>,
) -> Result<MonteCarlo> {
    let mt = cx.table(&me.value, "[montecarlo]", "a table")?;
    let Some(re) = find(mt, "runs") else {
        return Err(cx.err(
            me.key_span(),
            "[montecarlo] runs",
            "missing required key (the number of runs)",
        ));
    };
    let r = cx.int(&re.value, "[montecarlo] runs")?;
    let runs = u64::try_from(r).ok().filter(|&r| r >= 1).ok_or_else(|| {
        cx.err(
            re.value.span(),
            "[montecarlo] runs",
            format!("{r}: need at least 1 run"),
        )
    })?;
    let seed = match find(mt, "seed") {
        Some(se) => {
            let s = cx.int(&se.value, "[montecarlo] seed")?;
            u64::try_from(s).map_err(|_| {
                cx.err(
                    se.value.span(),
                    "[montecarlo] seed",
                    format!("{s}: a seed is 0 or more"),
                )
            })?
        }
        None => 0,
    };
    let mut params = Vec::new();
    for e in mt {
        if e.name() == "runs" || e.name() == "seed" {
            continue;
        }
        let key = format!("[montecarlo] {}", e.name());
        names.add(cx, e, "montecarlo", &key)?;
        origins.push(Origin {
            name: e.name().to_owned(),
            line: cx.line(e.key_span()),
            key: key.clone(),
        });
        let t = cx.table(
            &e.value,
            &key,
            "a table (`{ dist = \"gauss\", nominal = \"1k\", tol = \"5%\" }`) or runs/seed",
        )?;
        cx.only(t, &format!("{key}."), MC_PARAM_KEYS)?;
        let sub = |k: &str| format!("{key}.{k}");
        let dist = match find(t, "dist") {
            Some(d) => match cx.string(&d.value, &sub("dist"))? {
                "gauss" => Dist::Gauss,
                "uniform" => Dist::Uniform,
                other => {
                    return Err(cx.err(
                        d.value.span(),
                        &sub("dist"),
                        format!("unknown distribution `{other}` (expected gauss or uniform)"),
                    ))
                }
            },
            None => Dist::Gauss,
        };
        let Some(ne) = find(t, "nominal") else {
            return Err(cx.err(e.key_span(), &sub("nominal"), "missing required key"));
        };
        let nominal = cx.value(&ne.value, &sub("nominal"))?;
        let fraction = |k: &str| -> Result<f64> {
            match find(t, k) {
                Some(x) => {
                    let v = cx.value(&x.value, &sub(k))?;
                    if v < 0.0 {
                        return Err(cx.err(
                            x.value.span(),
                            &sub(k),
                            format!("{v}: a tolerance is 0 or more"),
                        ));
                    }
                    Ok(v)
                }
                None => Ok(0.0),
            }
        };
        let tol = fraction("tol")?;
        let lot_tol = fraction("lot_tol")?;
        let sigma = match (find(t, "sigma"), dist) {
            (Some(s), Dist::Gauss) => {
                let v = cx.value(&s.value, &sub("sigma"))?;
                if v <= 0.0 {
                    return Err(cx.err(
                        s.value.span(),
                        &sub("sigma"),
                        format!("{v}: sigma is above 0"),
                    ));
                }
                v
            }
            (Some(s), Dist::Uniform) => {
                return Err(cx.err(
                    s.key_span(),
                    &sub("sigma"),
                    "sigma applies to gauss only (a uniform draw spans nominal * (1 ± tol))",
                ))
            }
            (None, Dist::Gauss) => 3.0,
            (None, Dist::Uniform) => 1.0,
        };
        let lot = match find(t, "lot") {
            Some(l) => {
                let s = cx.string(&l.value, &sub("lot"))?.trim();
                if s.is_empty() {
                    return Err(cx.err(l.value.span(), &sub("lot"), "empty lot name"));
                }
                Some(s.to_owned())
            }
            None => None,
        };
        if lot.is_none() {
            if let Some(l) = find(t, "lot_tol") {
                return Err(cx.err(
                    l.key_span(),
                    &sub("lot_tol"),
                    "lot_tol needs a lot name (`lot = \"rnet\"`)",
                ));
            }
        }
        params.push(McParam {
            name: e.name().to_owned(),
            dist,
            nominal,
            tol,
            sigma,
            lot,
            lot_tol,
        });
    }
    Ok(MonteCarlo { runs, seed, params })
}

/// One `[measure]` entry (always `Some`; the `Option` is kept for kinds
/// that are read but not computed).
fn measure(cx: &Cx<'_>, e: &Entry) -> Result<Option<MeasureSpec>> {
    let key = format!("[measure] {}", e.name());
    let sub = |k: &str| format!("{key}.{k}");
    let t = cx.table(
        &e.value,
        &key,
        "a table (`{ kind = \"max\", var = \"v(out)\" }`)",
    )?;
    let Some(ke) = find(t, "kind") else {
        return Err(cx.err(
            e.key_span(),
            &sub("kind"),
            format!("missing required key (one of: {KINDS})"),
        ));
    };
    let kind_s = cx.string(&ke.value, &sub("kind"))?;
    let spectral = SPECTRAL.contains(&kind_s);
    let mut allowed = vec!["kind", "var", "plot", "from", "to"];
    match kind_s {
        "min" | "max" | "mean" | "rms" | "pp" | "final" => {}
        "at" => allowed.push("at"),
        "cross" => allowed.extend(["level", "edge", "n"]),
        _ if spectral => allowed.extend(["fundamental", "harmonics", "window"]),
        other => {
            return Err(cx.err(
                ke.value.span(),
                &sub("kind"),
                format!("unknown measure kind `{other}` (expected one of: {KINDS})"),
            ))
        }
    }
    cx.only(t, &format!("{key}."), &allowed)?;
    let Some(ve) = find(t, "var") else {
        return Err(cx.err(
            e.key_span(),
            &sub("var"),
            "missing required key (the vector, `v(out)`)",
        ));
    };
    let var = cx.string(&ve.value, &sub("var"))?.trim().to_owned();
    if var.is_empty() {
        return Err(cx.err(ve.value.span(), &sub("var"), "empty vector name"));
    }
    let plot = match find(t, "plot") {
        Some(p) => {
            let n = cx.int(&p.value, &sub("plot"))?;
            Some(usize::try_from(n).map_err(|_| {
                cx.err(
                    p.value.span(),
                    &sub("plot"),
                    format!("{n}: a plot index is 0 or more"),
                )
            })?)
        }
        None => None,
    };
    let opt = |k: &str| -> Result<Option<f64>> {
        find(t, k).map(|x| cx.value(&x.value, &sub(k))).transpose()
    };
    let from = opt("from")?;
    let to = opt("to")?;
    if let (Some(a), Some(b)) = (from, to) {
        if a > b {
            let span = find(t, "from").map_or(e.key_span(), |x| x.key_span());
            return Err(cx.err(span, &sub("from"), format!("from ({a}) is after to ({b})")));
        }
    }
    if spectral {
        let fundamental = opt("fundamental")?;
        if let Some(f) = fundamental {
            if !(f.is_finite() && f > 0.0) {
                let span = find(t, "fundamental").map_or(e.key_span(), |x| x.value.span());
                return Err(cx.err(span, &sub("fundamental"), format!("{f}: must be above 0")));
            }
        }
        let harmonics = match find(t, "harmonics") {
            Some(h) => {
                let n = cx.int(&h.value, &sub("harmonics"))?;
                let max = i64::from(fft_gpu::MAX_HARMONICS);
                if !(1..=max).contains(&n) {
                    return Err(cx.err(
                        h.value.span(),
                        &sub("harmonics"),
                        format!("{n}: between 1 and {max} (the highest order counted)"),
                    ));
                }
                u32::try_from(n).unwrap_or(9)
            }
            None => 9,
        };
        let window = match find(t, "window") {
            Some(w) => {
                let name = cx.string(&w.value, &sub("window"))?;
                if name.trim().eq_ignore_ascii_case("auto") {
                    None
                } else {
                    Some(
                        fft_gpu::Window::parse(name)
                            .map_err(|er| cx.err(w.value.span(), &sub("window"), er.to_string()))?,
                    )
                }
            }
            None => None,
        };
        let metric = SpectralMetric::parse(kind_s).ok_or_else(|| {
            cx.err(
                ke.value.span(),
                &sub("kind"),
                format!("unknown spectral kind `{kind_s}`"),
            )
        })?;
        return Ok(Some(MeasureSpec {
            name: e.name().to_owned(),
            kind: MeasureKind::Spectral(SpectralSpec {
                metric,
                fundamental,
                harmonics,
                window,
            }),
            var,
            plot,
            from,
            to,
        }));
    }
    let need = |k: &str| -> Result<f64> {
        match find(t, k) {
            Some(x) => cx.value(&x.value, &sub(k)),
            None => Err(cx.err(
                e.key_span(),
                &sub(k),
                format!("missing required key for kind {kind_s}"),
            )),
        }
    };
    let kind = match kind_s {
        "min" => MeasureKind::Min,
        "max" => MeasureKind::Max,
        "mean" => MeasureKind::Mean,
        "rms" => MeasureKind::Rms,
        "pp" => MeasureKind::Pp,
        "final" => MeasureKind::Final,
        "at" => MeasureKind::At { at: need("at")? },
        _ => {
            let level = need("level")?;
            let edge = match find(t, "edge") {
                Some(x) => match cx.string(&x.value, &sub("edge"))? {
                    "rise" => Edge::Rise,
                    "fall" => Edge::Fall,
                    "either" => Edge::Either,
                    other => {
                        return Err(cx.err(
                            x.value.span(),
                            &sub("edge"),
                            format!("unknown edge `{other}` (expected rise, fall or either)"),
                        ))
                    }
                },
                None => Edge::Either,
            };
            let n = match find(t, "n") {
                Some(x) => {
                    let n = cx.int(&x.value, &sub("n"))?;
                    u32::try_from(n).ok().filter(|&n| n >= 1).ok_or_else(|| {
                        cx.err(x.value.span(), &sub("n"), format!("{n}: n counts from 1"))
                    })?
                }
                None => 1,
            };
            MeasureKind::Cross { level, edge, n }
        }
    };
    Ok(Some(MeasureSpec {
        name: e.name().to_owned(),
        kind,
        var,
        plot,
        from,
        to,
    }))
}
