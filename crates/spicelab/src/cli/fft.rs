//! `spicelab fft`: the spectrum and distortion metrics of one vector.

use super::out::{note, outln, Fail, Kind};
use super::output::{self, Sink};
use super::OpenArgs;
use clap::Args;
use fft_gpu::{Backend, Interp, MetricOptions, RecordOptions, Window};
use raw_stream::Chunk;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

fn spice_value(s: &str) -> Result<f64, String> {
    waveform::units::parse_spice_number(s)
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("'{s}' is not a number (SPICE suffixes: 1u, 10m, 1meg)"))
}

/// `--window`: `auto` (None) or a window.
#[derive(Debug, Clone, Copy)]
struct WindowArg(Option<Window>);

fn window_arg(s: &str) -> Result<WindowArg, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(WindowArg(None));
    }
    Window::parse(s)
        .map(|w| WindowArg(Some(w)))
        .map_err(|e| e.to_string())
}

fn backend_arg(s: &str) -> Result<Backend, String> {
    Backend::parse(s).map_err(|e| e.to_string())
}

fn interp_arg(s: &str) -> Result<Interp, String> {
    Interp::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct FftArgs {
    #[command(flatten)]
    open: OpenArgs,
    /// The vector, e.g. --var 'v(out)'.
    #[arg(long = "var", value_name = "NAME")]
    var: String,
    /// The plot (0-based); default: the first plot that has the vector.
    #[arg(long = "plot", value_name = "N")]
    plot: Option<usize>,
    /// The step of a stepped plot (0-based).
    #[arg(long = "step", value_name = "K", default_value_t = 0)]
    step: usize,
    /// Start of the record (SPICE suffixes: 2m). Default: with --fundamental,
    /// the largest whole number of periods ending at --to; else the first point.
    #[arg(long, value_name = "T", value_parser = spice_value, allow_hyphen_values = true)]
    from: Option<f64>,
    /// End of the record. Default: the last point.
    #[arg(long, value_name = "T", value_parser = spice_value, allow_hyphen_values = true)]
    to: Option<f64>,
    /// Window: auto (rectangular for a whole number of periods, else
    /// blackman-harris), rectangular, hann, hamming, blackman-harris, flat-top,
    /// kaiser, kaiser:BETA.
    #[arg(long, value_name = "W", default_value = "auto", value_parser = window_arg)]
    window: WindowArg,
    /// The fundamental (Hz, SPICE suffixes: 1k). Default: the largest tone.
    #[arg(long, value_name = "HZ", value_parser = spice_value)]
    fundamental: Option<f64>,
    /// The highest harmonic order counted: THD over orders 2..=N (ngspice's
    /// `.four` default: 9).
    #[arg(long, value_name = "N", default_value_t = 9)]
    harmonics: u32,
    /// Points of the uniform grid. Default: the power of two at or above the
    /// samples in the record (at least 1024).
    #[arg(long, value_name = "N")]
    points: Option<usize>,
    /// Interpolation onto the grid: linear (as ngspice's linearize) or cubic.
    #[arg(long, value_name = "I", default_value = "linear", value_parser = interp_arg)]
    interp: Interp,
    /// auto: the GPU when one is usable (built with --features gpu), else the CPU.
    #[arg(long, value_name = "B", default_value = "auto", value_parser = backend_arg)]
    backend: Backend,
    /// One JSON object on stdout (docs/cli.md), an error too.
    #[arg(long)]
    json: bool,
    /// Write the spectrum as CSV (frequency_hz, amplitude, power, power_db,
    /// dbc), `-` for stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

impl FftArgs {
    /// `--json` given.
    pub fn json(&self) -> bool {
        self.json
    }
}

/// The samples of one vector of one step in `[from, to]`, with the points
/// just outside (for the interpolation at the ends).
fn read_vector(
    raw: &raw_stream::RawFile,
    plot: usize,
    col: usize,
    step: usize,
    from: Option<f64>,
    to: Option<f64>,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let p = raw.plot(plot)?;
    let steps = p.steps()?;
    let Some(&start) = steps.starts.get(step) else {
        return Err(Fail::new(
            Kind::Usage,
            format!(
                "--step {step}: plot {plot} has {} step(s)",
                steps.starts.len()
            ),
        )
        .into());
    };
    let end = steps.starts.get(step + 1).copied().unwrap_or(steps.total);
    let lo = from.unwrap_or(f64::NEG_INFINITY);
    let hi = to.unwrap_or(f64::INFINITY);
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    // two points each side: enough for the cubic
    let mut before: Vec<(f64, f64)> = Vec::new();
    let mut after = 0;
    let mut it = p.chunks_of(1 << 14, Some(vec![0, col]));
    let mut chunk = Chunk::default();
    'outer: while it.fill(&mut chunk)? {
        let (Some(xc), Some(yc)) = (chunk.columns.first(), chunk.columns.get(col)) else {
            break;
        };
        for i in 0..chunk.len {
            let k = chunk.start + i as u64;
            if k < start {
                continue;
            }
            if k >= end {
                break 'outer;
            }
            let (Some(x), Some(y)) = (xc.get_f64(i), yc.get_f64(i)) else {
                continue;
            };
            if x.is_nan() || y.is_nan() {
                continue;
            }
            if x < lo {
                before.push((x, y));
                if before.len() > 2 {
                    before.remove(0);
                }
                continue;
            }
            if xs.is_empty() {
                for (bx, by) in before.drain(..) {
                    xs.push(bx);
                    ys.push(by);
                }
            }
            if xs.len() >= fft_gpu::MAX_POINTS {
                return Err(Fail::new(
                    Kind::Input,
                    format!(
                        "more than {} samples in the record: narrow it with --from/--to",
                        fft_gpu::MAX_POINTS
                    ),
                )
                .into());
            }
            xs.push(x);
            ys.push(y);
            if x > hi {
                after += 1;
                if after >= 2 {
                    break 'outer;
                }
            }
        }
    }
    Ok((xs, ys))
}

pub fn run(a: &FftArgs) -> anyhow::Result<i32> {
    let input = |e: fft_gpu::FftError| Fail::wrap(Kind::Input, e);
    if let Some(o) = &a.output {
        output::refuse_input_as_output(o, &a.open.file)?;
    }
    let raw = a.open.open()?;
    let (plot, col) = match a.plot {
        Some(p) => (p, raw.plot(p)?.var_index(&a.var)?),
        None => raw
            .plots()
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.header.find(&a.var).map(|c| (i, c)))
            .ok_or_else(|| {
                Fail::new(
                    Kind::Input,
                    format!("no vector '{}' in {}", a.var, raw.path().display()),
                )
            })?,
    };
    let header = &raw.plots()[plot].header;
    if header.variables.get(col).is_some_and(|_| {
        raw.plot(plot)
            .map(|p| p.info().types[col].is_complex())
            .unwrap_or(false)
    }) {
        return Err(Fail::new(
            Kind::Usage,
            format!(
                "'{}' is complex (plot {plot} is '{}'): fft takes a transient's real vector",
                a.var, header.plotname
            ),
        )
        .into());
    }
    let (xs, ys) = read_vector(&raw, plot, col, a.step, a.from, a.to)?;
    let ropts = RecordOptions {
        from: a.from,
        to: a.to,
        fundamental: a.fundamental,
        points: a.points,
        window: a.window.0,
    };
    let chosen = fft_gpu::choose_record(&xs, &ropts).map_err(input)?;
    let samples = fft_gpu::resample(&xs, &ys, &chosen.grid, a.interp).map_err(input)?;
    let engine = fft_gpu::Engine::new(a.backend).map_err(|e| Fail::wrap(Kind::Usage, e))?;
    let t0 = std::time::Instant::now();
    let spectra = engine
        .spectra(vec![fft_gpu::Record::new(
            samples,
            chosen.grid.rate(),
            chosen.window,
        )])
        .map_err(input)?;
    let fft_s = t0.elapsed().as_secs_f64();
    let Some(spec) = spectra.first() else {
        return Err(Fail::new(Kind::Input, "no spectrum").into());
    };
    let mopts = MetricOptions {
        fundamental: a.fundamental,
        harmonics: a.harmonics,
    };
    let d = fft_gpu::distortion(spec, &mopts).map_err(input)?;

    let mut wrote = None;
    if let Some(o) = &a.output {
        let mut w = Sink::create(o)?;
        w.write_all(b"frequency_hz,amplitude,power,power_db,dbc\n")?;
        let amp = spec.amplitude();
        let pow = spec.power();
        let mut line = String::new();
        for k in 0..pow.len() {
            line.clear();
            let p_db = 10.0 * pow[k].log10();
            let dbc = 10.0 * (pow[k] / d.fundamental_power).log10();
            use std::fmt::Write as _;
            let _ = writeln!(
                line,
                "{},{},{},{},{}",
                spec.frequency(k),
                amp[k],
                pow[k],
                p_db,
                dbc
            );
            w.write_all(line.as_bytes())?;
        }
        let to_stdout = w.is_stdout();
        w.finish()?;
        if !to_stdout {
            wrote = Some((o.display().to_string(), pow.len()));
        }
    }
    if a.json {
        let doc = json!({
            "file": raw.path().display().to_string(),
            "plot": plot,
            "step": a.step,
            "var": header.variables[col].name,
            "backend": engine.kind().name(),
            "points": chosen.grid.points,
            "window": chosen.window.name(),
            "interp": a.interp.name(),
            "from": chosen.grid.start,
            "to": chosen.grid.end(),
            "sample_rate_hz": chosen.grid.rate(),
            "periods": chosen.periods,
            "coherent": chosen.coherent,
            "samples_in_record": chosen.samples_in,
            "gains": spec.gains,
            "fundamental_hz": d.fundamental_hz,
            "thd_db": d.thd_db,
            "thd_percent": d.thd_percent,
            "snr_db": d.snr_db,
            "sinad_db": d.sinad_db,
            "sfdr_db": d.sfdr_db,
            "enob": d.enob,
            "noise_floor_db": d.noise_floor_db,
            "metrics": d,
            "fft_s": fft_s,
        });
        outln!("{doc}")?;
    } else if !a.output.as_ref().is_some_and(|o| output::is_stdout(o)) {
        outln!(
            "{} plot {plot}{}: {} points over [{:.6e}, {:.6e}) s ({}), {} window, {} interpolation, {} backend",
            header.variables[col].name,
            if a.step > 0 { format!(" step {}", a.step) } else { String::new() },
            chosen.grid.points,
            chosen.grid.start,
            chosen.grid.end(),
            match chosen.periods {
                Some(p) if chosen.coherent => format!("{p:.0} whole periods"),
                Some(p) => format!("{p:.3} periods"),
                None => "fundamental found".to_string(),
            },
            chosen.window.name(),
            a.interp.name(),
            engine.kind().name()
        )?;
        outln!(
            "fundamental {:.6e} Hz, amplitude {:.6e} (bins {}..={})",
            d.fundamental_hz,
            d.fundamental_amplitude,
            d.fundamental_bins.lo,
            d.fundamental_bins.hi
        )?;
        outln!(
            "{:>5} {:>14} {:>10} {:>10}",
            "order",
            "frequency_hz",
            "dbc",
            "bin"
        )?;
        for h in &d.harmonics {
            outln!(
                "{:>5} {:>14.6e} {:>10.2} {:>10}{}",
                h.order,
                h.frequency_hz,
                h.dbc,
                h.bin,
                if h.folded { " (folded)" } else { "" }
            )?;
        }
        outln!(
            "THD {:.3} dB ({:.4} %)  SNR {:.2} dB  SINAD {:.2} dB  SFDR {:.2} dB  ENOB {:.2}  noise floor {:.1} dB/bin",
            d.thd_db,
            d.thd_percent,
            d.snr_db,
            d.sinad_db,
            d.sfdr_db,
            d.enob,
            d.noise_floor_db
        )?;
    }
    if let Some((path, bins)) = wrote {
        note!("wrote {path} ({bins} bins)");
    }
    Ok(0)
}
