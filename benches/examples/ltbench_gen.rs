//! Throwaway generator of big files for measuring `spicelab stats` on
//! LTspice layouts: an ngspice binary (time + 7 f64 signals), an LTspice
//! normal and an LTspice fastaccess transient (f64 time + 8 f32 traces),
//! each about `SIZE` bytes, streamed with bounded memory (the fastaccess
//! file is written one column at a time, each value recomputed from its
//! index). Some LTspice times are stored negative, as LTspice does.
//!
//! `cargo run --release -p spicelab-benches --example ltbench_gen -- DIR [SIZE_BYTES]`

use raw_stream::{PlotWriter, RawFormat};
use std::io::{BufWriter, Write};
use waveform::{Flags, PlotHeader, ValueType, Variable};

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Time of point `i` (LTspice stores some of them negated).
fn time(i: u64, signed: bool) -> f64 {
    let t = i as f64 * 1e-9;
    if signed && i % 7 == 3 {
        -t
    } else {
        t
    }
}

/// Trace `j` (1-based) at point `i`: a smooth sine plus a little noise.
fn trace(i: u64, j: usize) -> f64 {
    let t = i as f64 * 1e-9;
    let f = 1e3 * (j as f64).powf(1.7);
    let a = 0.5 + 0.25 * j as f64;
    let noise = (splitmix(i.wrapping_mul(31).wrapping_add(j as u64)) >> 11) as f64
        / (1u64 << 53) as f64
        - 0.5;
    a * (std::f64::consts::TAU * f * t + j as f64).sin() + 0.02 * noise + 0.1 * j as f64
}

fn header(n_vars: usize, n: u64) -> PlotHeader {
    let mut variables = vec![Variable::new(0, "time", "time")];
    variables.extend((1..n_vars).map(|j| Variable::new(j, format!("V(n{j})"), "voltage")));
    PlotHeader {
        title: "* ltbench".into(),
        date: "Thu Jan  1 00:00:00 2026".into(),
        plotname: "Transient Analysis".into(),
        flags: Flags::parse("real forward"),
        n_points: n,
        variables,
        ..PlotHeader::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).ok_or("usage: ltbench_gen DIR [SIZE]")?);
    let size: u64 = match args.get(2) {
        Some(s) => s.parse()?,
        None => 2 << 30,
    };
    std::fs::create_dir_all(&dir)?;

    // ngspice binary: time + 7 f64 signals, 64 bytes a point
    let n = size / 64;
    let path = dir.join("ngspice.raw");
    let types = vec![ValueType::F64; 8];
    let f = std::fs::File::create(&path)?;
    let mut w = PlotWriter::begin(
        BufWriter::with_capacity(1 << 20, f),
        RawFormat::NgspiceBinary,
        &header(8, n),
        &types,
        n,
    )?;
    let mut row = [0.0f64; 8];
    for i in 0..n {
        row[0] = time(i, false);
        for (j, v) in row.iter_mut().enumerate().skip(1) {
            *v = trace(i, j);
        }
        w.write_point(&row)?;
    }
    w.finish()?;
    eprintln!("{}: {n} points", path.display());

    // LTspice normal: f64 time + 8 f32 traces, 40 bytes a point
    let n = size / 40;
    let mut types = vec![ValueType::F32; 9];
    types[0] = ValueType::F64;
    let path = dir.join("lt-normal.raw");
    let f = std::fs::File::create(&path)?;
    let mut w = PlotWriter::begin(
        BufWriter::with_capacity(1 << 20, f),
        RawFormat::LtspiceBinary,
        &header(9, n),
        &types,
        n,
    )?;
    let mut row = [0.0f64; 9];
    for i in 0..n {
        row[0] = time(i, true);
        for (j, v) in row.iter_mut().enumerate().skip(1) {
            *v = trace(i, j);
        }
        w.write_point(&row)?;
    }
    w.finish()?;
    eprintln!("{}: {n} points", path.display());

    // LTspice fastaccess: the normal header with the flag added, then each
    // column whole, one after the other
    let mut head = Vec::new();
    drop(PlotWriter::begin(
        &mut head,
        RawFormat::LtspiceBinary,
        &header(9, n),
        &types,
        n,
    )?);
    let units: Vec<u16> = head
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let text = String::from_utf16(&units)?.replacen("Flags: real", "Flags: real fastaccess", 1);
    let path = dir.join("lt-fastaccess.raw");
    let f = std::fs::File::create(&path)?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    for u in text.encode_utf16() {
        w.write_all(&u.to_le_bytes())?;
    }
    for i in 0..n {
        w.write_all(&time(i, true).to_le_bytes())?;
    }
    for j in 1..9 {
        for i in 0..n {
            w.write_all(&(trace(i, j) as f32).to_le_bytes())?;
        }
    }
    w.flush()?;
    eprintln!("{}: {n} points", path.display());
    Ok(())
}
