//! `StoredFold` of RAW rows: the stored types it was built with, and a fold
//! of no variables at all that leaves the accumulators alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use waveform::stats::{Accumulator, StoredFold, StoredReal};

#[test]
fn a_fold_reports_the_types_and_stride_it_reads() {
    let types = [
        StoredReal::AbsF64,
        StoredReal::F32,
        StoredReal::F64,
        StoredReal::F32,
    ];
    let fold = StoredFold::new(&types);
    assert_eq!(fold.types(), &types);
    assert_eq!(fold.stride(), 8 + 4 + 8 + 4);
    // one row: -2 (read as 2), 0.5f32, -1.25, 3f32
    let mut row = Vec::new();
    row.extend_from_slice(&(-2.0f64).to_le_bytes());
    row.extend_from_slice(&0.5f32.to_le_bytes());
    row.extend_from_slice(&(-1.25f64).to_le_bytes());
    row.extend_from_slice(&3.0f32.to_le_bytes());
    let mut accs = vec![Accumulator::default(); 4];
    fold.rows(&row, &mut accs);
    let means: Vec<Option<f64>> = accs.iter().map(Accumulator::mean).collect();
    assert_eq!(means, [Some(2.0), Some(0.5), Some(-1.25), Some(3.0)]);
}

#[test]
fn a_fold_of_no_variables_reads_nothing() {
    let fold = StoredFold::new(&[]);
    assert_eq!(fold.stride(), 0);
    assert!(fold.types().is_empty());
    let mut accs = vec![Accumulator::default(); 2];
    accs[1].push(7.0);
    fold.rows(&[1, 2, 3, 4, 5, 6, 7, 8], &mut accs);
    assert_eq!(accs[0].mean(), None);
    assert_eq!(accs[1].mean(), Some(7.0));
    assert_eq!((accs[1].min(), accs[1].max()), (Some(7.0), Some(7.0)));
}
