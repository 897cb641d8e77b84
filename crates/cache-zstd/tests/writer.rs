//! `EntryWriter` used out of order or fed columns that do not fit its plot:
//! each mistake is an `Encode` error saying which plot and column, and a
//! failed writer refuses to go on; an output that cannot be written is a
//! `WriteEntry` error. A plot streamed in pieces reads back whole.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cache_zstd::{decode_entry, CacheError, EncodeOptions, EntryWriter, JobMeta};
use common::{key, same_bits, tran_plot, Rng};
use waveform::{Column, Dialect, Encoding, Plot, SimResult, Steps, ValueType};

fn writer() -> EntryWriter<Vec<u8>> {
    EntryWriter::new(
        Vec::new(),
        &EncodeOptions {
            block_bytes: 4096,
            ..EncodeOptions::default()
        },
        Dialect::Ngspice,
        Encoding::Binary,
    )
    .unwrap()
}

fn plot() -> Plot {
    tran_plot(&mut Rng(5), 1000)
}

fn types(p: &Plot) -> Vec<ValueType> {
    p.columns.iter().map(Column::value_type).collect()
}

/// The `what` of an `Encode` error.
fn encode_err<T: std::fmt::Debug>(r: cache_zstd::Result<T>) -> String {
    match r {
        Err(CacheError::Encode { what, .. }) => what,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_plot_in_pieces_reads_back_and_the_writer_counts_its_bytes() {
    let p = plot();
    let mut w = writer();
    assert_eq!(w.bytes_written(), cache_zstd::HEAD_LEN as u64);
    w.begin_plot(&p.header, &types(&p)).unwrap();
    for range in [0..1, 1..400, 400..400, 400..1000] {
        let part: Vec<Column> = p
            .columns
            .iter()
            .map(|c| match c {
                Column::F64(v) => Column::F64(v[range.clone()].to_vec()),
                Column::F32(v) => Column::F32(v[range.clone()].to_vec()),
                _ => unreachable!(),
            })
            .collect();
        w.write_columns(&part).unwrap();
    }
    w.end_plot(&p.steps).unwrap();
    // 1000 points of 20 bytes in blocks of 4096 bytes: 5 blocks, a codec
    // per column of each
    assert_eq!(w.codecs().len(), 1);
    assert_eq!(w.codecs()[0].len(), 5 * 3);
    let blocks_end = w.bytes_written();
    let k = key(40);
    let job = JobMeta {
        reason: "pieces".into(),
        ..JobMeta::default()
    };
    let bytes = w.finish(&k, &job).unwrap();
    assert!(bytes.len() as u64 > blocks_end);
    // The whole plot at once codes its last partial block straight from
    // the input, the pieces through the buffer: the same bytes.
    let mut whole = writer();
    whole.write_plot(&p).unwrap();
    assert_eq!(whole.codecs()[0].len(), 5 * 3);
    assert_eq!(whole.finish(&k, &job).unwrap(), bytes);
    let want = cache_zstd::Entry {
        result: SimResult {
            plots: vec![p],
            ..SimResult::default()
        },
        meta: job,
    };
    assert!(same_bits(&decode_entry(&bytes, &k, None).unwrap(), &want));
}

#[test]
fn calls_out_of_order_are_refused() {
    let p = plot();
    let mut w = writer();
    assert_eq!(
        encode_err(w.write_columns(&p.columns)),
        "write_columns outside a plot"
    );
    let mut w = writer();
    assert_eq!(
        encode_err(w.end_plot(&p.steps)),
        "end_plot without begin_plot"
    );
    let mut w = writer();
    w.begin_plot(&p.header, &types(&p)).unwrap();
    assert_eq!(
        encode_err(w.begin_plot(&p.header, &types(&p))),
        "begin_plot before end_plot of the previous plot"
    );
    let mut w = writer();
    w.begin_plot(&p.header, &types(&p)).unwrap();
    w.write_columns(&p.columns).unwrap();
    assert_eq!(
        encode_err(w.finish(&key(1), &JobMeta::default())),
        "finish before end_plot of the last plot"
    );
}

#[test]
fn columns_that_do_not_fit_the_plot_are_refused_and_end_the_entry() {
    let p = plot();
    let t = types(&p);
    let mut w = writer();
    assert_eq!(
        encode_err(w.begin_plot(&p.header, &t[..2])),
        "plot 0: 2 column types for 3 variables"
    );

    let mut w = writer();
    w.begin_plot(&p.header, &t).unwrap();
    assert_eq!(
        encode_err(w.write_columns(&p.columns[..1])),
        "plot 0: 1 columns for 3 variables"
    );
    // the writer is done for after that
    for what in [
        encode_err(w.write_columns(&p.columns)),
        encode_err(w.end_plot(&p.steps)),
        encode_err(w.begin_plot(&p.header, &t)),
    ] {
        assert_eq!(what, "an earlier error left this entry unfinished");
    }
    assert_eq!(
        encode_err(w.finish(&key(2), &JobMeta::default())),
        "an earlier error left this entry unfinished"
    );

    let mut w = writer();
    w.begin_plot(&p.header, &t).unwrap();
    let mut swapped = p.columns.clone();
    swapped.swap(1, 2);
    assert_eq!(
        encode_err(w.write_columns(&swapped)),
        "plot 0 column 1: F32 values for a F64 column"
    );

    let mut w = writer();
    w.begin_plot(&p.header, &t).unwrap();
    let mut short = p.columns.clone();
    if let Column::F32(v) = &mut short[2] {
        v.truncate(10);
    }
    assert_eq!(
        encode_err(w.write_columns(&short)),
        "plot 0 column 2: 10 values, column 0 has 1000"
    );

    let mut w = writer();
    w.begin_plot(&p.header, &t).unwrap();
    w.write_columns(&p.columns).unwrap();
    assert_eq!(
        encode_err(w.end_plot(&Steps {
            starts: vec![0, 1001],
            total: 2,
            params: Vec::new(),
        })),
        "plot 0: step starts are not increasing within its 1000 points"
    );
}

#[cfg(unix)]
#[test]
fn an_output_that_cannot_be_written_is_a_write_error() {
    // a /dev/full of our own (major 1, minor 7): every write fails (ENOSPC)
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    let made = std::process::Command::new("mknod")
        .arg(&full)
        .args(["c", "1", "7"])
        .output()
        .is_ok_and(|o| o.status.success());
    let Some(f) = made
        .then(|| std::fs::OpenOptions::new().write(true).open(&full).ok())
        .flatten()
    else {
        eprintln!("SKIPPED: cannot make or open a device node here (not root?)");
        return;
    };
    match EntryWriter::new(
        f,
        &EncodeOptions::default(),
        Dialect::Ngspice,
        Encoding::Binary,
    ) {
        Err(e @ CacheError::WriteEntry { .. }) => {
            assert_eq!(
                e.to_string(),
                "writing a cache entry: No space left on device (os error 28)"
            )
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}
