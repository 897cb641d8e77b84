//! The footer's nested records, field by field: in every record an unknown
//! even field (added by a newer build) is skipped and an unknown odd field
//! (required) is refused as unsupported, naming the record and the field's
//! absolute byte offset; forged values (overflowing step starts, a
//! parameter with two values, an exit code out of range, an encoding, a
//! value type, a codec or a dictionary id this build does not know) are
//! refused at their field's offset; every job status round-trips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cache_zstd::tlv::{Fields, RecordWriter, WireError};
use cache_zstd::wire::{
    decode_block_header, decode_footer, encode_block_header, job_record, parse_job, BlockHeader,
};
use cache_zstd::{Codec, JobMeta, JobStatus, ParamValue};

/// Where the footer's first byte lies in a pretend envelope.
const BASE: u64 = 1000;

/// A footer whose last field is the plot record `plot` (so that the last
/// field of the plot's innermost record is the last field of the footer).
fn footer_with_plot(plot: &RecordWriter) -> Vec<u8> {
    let mut w = RecordWriter::new();
    w.str(1, "k").str(2, "ngspice").record(6, plot);
    w.into_bytes()
}

/// The bytes of a record holding only `f`'s fields (the size of a field).
fn size_of(f: impl FnOnce(&mut RecordWriter)) -> usize {
    let mut w = RecordWriter::new();
    f(&mut w);
    w.len()
}

/// The absolute offset of the last `len` bytes of `bytes`.
fn last_field_at(bytes: &[u8], len: usize) -> u64 {
    BASE + (bytes.len() - len) as u64
}

fn unsupported(bytes: &[u8]) -> WireError {
    let e = decode_footer(bytes, BASE).unwrap_err();
    assert!(e.unsupported, "{e}");
    e
}

fn corrupt(bytes: &[u8]) -> WireError {
    let e = decode_footer(bytes, BASE).unwrap_err();
    assert!(!e.unsupported, "{e}");
    e
}

/// `inner` wrapped as field `field` of a plot record.
fn plot_of(field: u32, inner: &RecordWriter) -> RecordWriter {
    let mut p = RecordWriter::new();
    p.str(3, "Transient Analysis").record(field, inner);
    p
}

/// A steps record whose only step holds `step`.
fn steps_of(step: &RecordWriter) -> RecordWriter {
    let mut s = RecordWriter::new();
    s.packed(1, [0, 3]).uint(2, 6).record(3, step);
    s
}

#[test]
fn even_unknown_fields_of_every_plot_record_are_skipped() {
    // flags
    let mut flags = RecordWriter::new();
    flags.uint(1, 1 | 8).str(2, "weird").str(40, "newer");
    // a variable
    let mut var = RecordWriter::new();
    var.str(1, "v(out)").str(2, "voltage").uint(40, 7);
    // a header line
    let mut line = RecordWriter::new();
    line.str(1, "Offset").str(2, "0.0").bytes(40, b"x");
    // a step parameter, in a step with an unknown field of its own
    let mut param = RecordWriter::new();
    param.str(1, "R1").f64(2, 2.5).uint(40, 1);
    let mut step = RecordWriter::new();
    step.record(1, &param).uint(40, 9);
    let mut steps = steps_of(&step);
    steps.uint(40, 3);
    let mut p = RecordWriter::new();
    p.str(3, "Transient Analysis")
        .record(4, &flags)
        .record(7, &var)
        .record(8, &line)
        .record(9, &steps)
        .uint(10, 6)
        .packed(11, [1])
        .uint(40, 5);
    let m = decode_footer(&footer_with_plot(&p), BASE).unwrap();
    let plot = &m.plots[0];
    assert_eq!(plot.header.plotname, "Transient Analysis");
    assert!(plot.header.flags.complex && plot.header.flags.stepped);
    assert!(!plot.header.flags.forward);
    assert_eq!(plot.header.flags.words, ["weird"]);
    assert_eq!(plot.header.variables.len(), 1);
    assert_eq!(plot.header.variables[0].name, "v(out)");
    assert_eq!(plot.header.variables[0].type_name, "voltage");
    assert_eq!(
        plot.header.extra,
        [("Offset".to_string(), "0.0".to_string())]
    );
    assert_eq!(plot.steps.starts, [0, 3]);
    assert_eq!(plot.steps.total, 6);
    assert_eq!(plot.steps.params, [vec![("R1".to_string(), 2.5)]]);
    assert_eq!(plot.n_points, 6);
    assert_eq!(plot.types, [waveform::ValueType::F64]);
}

#[test]
fn odd_unknown_fields_are_refused_naming_their_record_and_offset() {
    // (what the error names, the footer): each odd field 41 is the last
    // field of the footer.
    let leaf = {
        let mut r = RecordWriter::new();
        r.uint(41, 0);
        r
    };
    let with_leaf = |f: &dyn Fn(&mut RecordWriter)| {
        let mut r = RecordWriter::new();
        f(&mut r);
        r.raw(leaf.as_bytes());
        r
    };
    let flags = with_leaf(&|r| {
        r.uint(1, 2);
    });
    let var = with_leaf(&|r| {
        r.str(1, "v");
    });
    let line = with_leaf(&|r| {
        r.str(1, "Offset");
    });
    let param = with_leaf(&|r| {
        r.str(1, "R1");
    });
    let step = {
        let mut s = RecordWriter::new();
        s.record(1, &param);
        s
    };
    let step_odd = with_leaf(&|r| {
        r.record(1, &{
            let mut p = RecordWriter::new();
            p.str(1, "R1").f64(2, 1.0);
            p
        });
    });
    let steps_odd = with_leaf(&|r| {
        r.packed(1, [0]);
    });
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("flags", footer_with_plot(&plot_of(4, &flags))),
        ("variable", footer_with_plot(&plot_of(7, &var))),
        ("header line", footer_with_plot(&plot_of(8, &line))),
        (
            "step parameter",
            footer_with_plot(&plot_of(9, &steps_of(&step))),
        ),
        ("step", footer_with_plot(&plot_of(9, &steps_of(&step_odd)))),
        ("steps", footer_with_plot(&plot_of(9, &steps_odd))),
        (
            "plot",
            footer_with_plot(&with_leaf(&|r| {
                r.str(3, "AC Analysis");
            })),
        ),
    ];
    let leaf_len = leaf.len();
    for (record, bytes) in &cases {
        let e = unsupported(bytes);
        assert_eq!(
            e.what,
            format!("required field 41 of the {record} record"),
            "{record}"
        );
        assert_eq!(e.offset, last_field_at(bytes, leaf_len), "{record}");
        assert_eq!(
            e.to_string(),
            format!("{} (byte {})", e.what, e.offset),
            "{record}"
        );
    }
    // A block record of the index, and a job's parameter and measure.
    let mut block = RecordWriter::new();
    block.uint(2, 3).uint(3, 10).bytes(4, &[0; 16]).uint(41, 0);
    let mut w = RecordWriter::new();
    w.str(1, "k").str(2, "ngspice").record(7, &block);
    let bytes = w.into_bytes();
    let e = unsupported(&bytes);
    assert_eq!(e.what, "required field 41 of the block record");
    assert_eq!(e.offset, last_field_at(&bytes, leaf_len));
    for (field, record) in [(1, "parameter"), (10, "measure")] {
        let mut inner = RecordWriter::new();
        inner.str(1, "x").uint(41, 0);
        let mut job = RecordWriter::new();
        job.record(field, &inner);
        let bytes = job.into_bytes();
        let e = parse_job(Fields::new(&bytes, BASE)).unwrap_err();
        assert!(e.unsupported);
        assert_eq!(e.what, format!("required field 41 of the {record} record"));
        assert_eq!(e.offset, last_field_at(&bytes, leaf_len));
    }
}

#[test]
fn forged_values_are_refused_at_their_field() {
    // Step starts whose deltas overflow a u64.
    let mut steps = RecordWriter::new();
    steps.packed(1, [u64::MAX, 1]);
    let bytes = footer_with_plot(&plot_of(9, &steps));
    let e = corrupt(&bytes);
    assert_eq!(e.what, "step starts overflow");
    let field = size_of(|w| {
        w.packed(1, [u64::MAX, 1]);
    });
    assert_eq!(e.offset, last_field_at(&bytes, field));

    // A value type this build does not know.
    let mut p = RecordWriter::new();
    p.str(3, "x").packed(11, [1, 7]);
    let bytes = footer_with_plot(&p);
    let e = unsupported(&bytes);
    assert_eq!(e.what, "value type code 7");
    assert_eq!(
        e.offset,
        last_field_at(
            &bytes,
            size_of(|w| {
                w.packed(11, [1, 7]);
            })
        )
    );

    // An encoding code past ASCII; binary spelled out is binary.
    let mut w = RecordWriter::new();
    w.str(1, "k").uint(3, 2);
    let bytes = w.into_bytes();
    let e = unsupported(&bytes);
    assert_eq!(e.what, "encoding code 2");
    assert_eq!(e.offset, BASE + 3);
    let mut w = RecordWriter::new();
    w.str(1, "k").uint(3, 0);
    assert_eq!(
        decode_footer(w.as_bytes(), BASE).unwrap().encoding,
        waveform::Encoding::Binary
    );
    let mut w = RecordWriter::new();
    w.str(1, "k").uint(3, 1);
    assert_eq!(
        decode_footer(w.as_bytes(), BASE).unwrap().encoding,
        waveform::Encoding::Ascii
    );

    // A dictionary id that is not 32 bytes.
    let mut w = RecordWriter::new();
    w.str(1, "k").bytes(9, &[7; 5]);
    let bytes = w.into_bytes();
    let e = corrupt(&bytes);
    assert_eq!(e.what, "dictionary id of 5 bytes, not 32");
    assert_eq!(e.offset, BASE + 3);
    let mut w = RecordWriter::new();
    w.bytes(9, &[7; 32]);
    assert_eq!(
        decode_footer(w.as_bytes(), BASE).unwrap().dictionary,
        Some([7; 32])
    );

    // A parameter with a number and a text; an exit code past i32.
    for (second, what) in [(2u32, 2.0f64), (4, 0.0)] {
        let mut param = RecordWriter::new();
        param.str(1, "r1").f64(2, 1.0);
        if second == 2 {
            param.f64(12, what); // an even unknown field between is fine
            param.str(4, "1k");
        } else {
            param.str(4, "1k");
        }
        let mut job = RecordWriter::new();
        job.record(1, &param);
        let bytes = job.into_bytes();
        let e = parse_job(Fields::new(&bytes, BASE)).unwrap_err();
        assert_eq!(e.what, "a parameter with two values");
        assert!(!e.unsupported);
        let text = size_of(|w| {
            w.str(4, "1k");
        });
        assert_eq!(e.offset, last_field_at(&bytes, text));
    }
    let mut job = RecordWriter::new();
    job.str(2, "ngspice").int(5, i64::from(i32::MAX) + 1);
    let bytes = job.into_bytes();
    let e = parse_job(Fields::new(&bytes, BASE)).unwrap_err();
    assert_eq!(e.what, format!("exit code {} out of range", 1u64 << 31));
    assert_eq!(
        e.offset,
        last_field_at(
            &bytes,
            size_of(|w| {
                w.int(5, i64::from(i32::MAX) + 1);
            })
        )
    );
}

#[test]
fn every_job_status_round_trips_and_an_explicit_ok_reads_as_ok() {
    for status in [
        JobStatus::Ok,
        JobStatus::Failed,
        JobStatus::TimedOut,
        JobStatus::Cancelled,
    ] {
        let job = JobMeta {
            params: vec![
                ("r".into(), ParamValue::Number(-0.0)),
                ("corner".into(), ParamValue::from("ff")),
            ],
            status,
            exit_code: Some(-9),
            reason: status.name().into(),
            measures: vec![("vmax".into(), 1.25)],
            ..JobMeta::default()
        };
        let bytes = job_record(&job).into_bytes();
        let back = parse_job(Fields::new(&bytes, 0)).unwrap();
        assert_eq!(back, job, "{status}");
        assert!(matches!(back.params[0].1, ParamValue::Number(x) if x.is_sign_negative()));
    }
    let mut w = RecordWriter::new();
    w.uint(4, 0);
    assert_eq!(
        parse_job(Fields::new(w.as_bytes(), 0)).unwrap().status,
        JobStatus::Ok
    );
    let mut w = RecordWriter::new();
    w.uint(4, 2);
    assert_eq!(
        parse_job(Fields::new(w.as_bytes(), 0)).unwrap().status,
        JobStatus::TimedOut
    );
}

#[test]
fn block_headers_refuse_unknown_codecs_and_required_fields() {
    let good = BlockHeader {
        shared_len: 12,
        columns: vec![cache_zstd::wire::ColumnCoding {
            codec: Codec::OrdDeltaShuffleZstd(3),
            shift: 2,
            exp2: 0,
            quantized: true,
            part_len: 0,
        }],
    };
    let bytes = encode_block_header(&good);
    assert_eq!(decode_block_header(&bytes, BASE).unwrap(), good);
    // An even unknown field in a column record and in the header: skipped.
    let mut col = RecordWriter::new();
    col.uint(1, cache_zstd::wire::codec_code(Codec::Pco))
        .uint(4, 99)
        .uint(20, 1);
    let mut h = RecordWriter::new();
    h.record(2, &col).uint(20, 5);
    let back = decode_block_header(h.as_bytes(), BASE).unwrap();
    assert_eq!(back.columns[0].codec, Codec::Pco);
    assert_eq!(back.columns[0].part_len, 99);
    // Odd ones are refused, naming their record.
    let mut col = RecordWriter::new();
    col.uint(1, 0).uint(21, 1);
    let mut h = RecordWriter::new();
    h.record(2, &col);
    let bytes = h.into_bytes();
    let e = decode_block_header(&bytes, BASE).unwrap_err();
    assert!(e.unsupported);
    assert_eq!(e.what, "required field 21 of the column coding record");
    let odd = size_of(|w| {
        w.uint(21, 1);
    });
    assert_eq!(e.offset, last_field_at(&bytes, odd));
    let mut h = RecordWriter::new();
    h.uint(1, 0).uint(21, 1);
    let bytes = h.into_bytes();
    let e = decode_block_header(&bytes, BASE).unwrap_err();
    assert_eq!(e.what, "required field 21 of the block header record");
    assert_eq!(e.offset, last_field_at(&bytes, odd));
    // A codec code this build does not know.
    let mut col = RecordWriter::new();
    col.uint(1, 99);
    let mut h = RecordWriter::new();
    h.record(2, &col);
    let bytes = h.into_bytes();
    let e = decode_block_header(&bytes, BASE).unwrap_err();
    assert!(e.unsupported);
    assert_eq!(e.what, "codec code 99");
    let codec = size_of(|w| {
        w.uint(1, 99);
    });
    assert_eq!(e.offset, last_field_at(&bytes, codec));
}
