//! pcodec blocks: a column coded by pco, in a block of its own.

use super::{CodecError, Stream};

/// pcodec of a stream's float values in pco's float-mult mode with base
/// `2^exp2` (a normal float of the stream's width) and consecutive deltas
/// of order `order` (at most 7), both fixed: what `Auto` takes for a column
/// whose values are multiples of one binary quantum. Fixing both skips
/// pco's own search, most of its encode time (pco choosing both: 120 us
/// for a 1018-value f64 column of ngspice currents; fixed: about 35 us).
/// The decoder needs neither: a pco block records how it was coded.
pub(crate) fn pco_encode_float_mult(
    stream: &Stream,
    pco_level: usize,
    order: usize,
    exp2: i32,
) -> Result<Vec<u8>, CodecError> {
    let cfg = pco::ChunkConfig::default()
        .with_compression_level(pco_level)
        .with_delta_spec(pco::DeltaSpec::TryConsecutive(order.min(7)))
        .with_mode_spec(pco::ModeSpec::TryFloatMult(2f64.powi(exp2)));
    compress(stream, &cfg)
}

fn compress(stream: &Stream, cfg: &pco::ChunkConfig) -> Result<Vec<u8>, CodecError> {
    let r = match stream {
        Stream::W32(v) => {
            let f: Vec<f32> = v.iter().map(|&b| f32::from_bits(b)).collect();
            pco::standalone::simple_compress(&f, cfg)
        }
        Stream::W64(v) => {
            let f: Vec<f64> = v.iter().map(|&b| f64::from_bits(b)).collect();
            pco::standalone::simple_compress(&f, cfg)
        }
    };
    r.map_err(|e| format!("pco: {e}"))
}

/// pcodec of a stream's float values, pco choosing its mode and delta
/// encoding (what `Fixed(Codec::Pco)` does).
pub(crate) fn pco_encode(stream: &Stream, pco_level: usize) -> Result<Vec<u8>, CodecError> {
    compress(
        stream,
        &pco::ChunkConfig::default().with_compression_level(pco_level),
    )
}

/// Decodes a pco block into a stream of `n` words of `width` bytes. The
/// output size is fixed by `n` (checked by the caller against the
/// envelope), never by the block's own headers.
pub(crate) fn pco_decode(block: &[u8], width: usize, n: usize) -> Result<Stream, CodecError> {
    fn go<F: pco::data_types::Number>(block: &[u8], n: usize) -> Result<Vec<F>, CodecError> {
        let mut f = vec![F::default(); n];
        let p = pco::standalone::simple_decompress_into(block, &mut f)
            .map_err(|e| format!("pco: {e}"))?;
        if p.n_processed != n || !p.finished {
            return Err(format!(
                "pco block holds a different count than the {n} values declared"
            ));
        }
        Ok(f)
    }
    Ok(match width {
        4 => Stream::W32(go::<f32>(block, n)?.into_iter().map(f32::to_bits).collect()),
        _ => Stream::W64(go::<f64>(block, n)?.into_iter().map(f64::to_bits).collect()),
    })
}
