//! [`crate::fully_connected`] with the dot products on the DSP instructions, four
//! output units at a time.
//!
//! `sum((x + input_offset) * (w + weights_offset))` is computed as
//! `sum((x + input_offset) * w) + weights_offset * sum(x + input_offset)`: the first
//! sum with the input row widened once per chunk (and block of units) to
//! `x + input_offset` in `i16` lanes ([`widen_packed`]), then four units' weight rows
//! against it in one pass ([`dot_4x1`]: each input word loaded feeds four units), the
//! second once per input row (zero for per-channel layers, whose weights offset TFLM
//! fixes at 0). INT32 sums wrap, so the rearranged sum has the reference's bits.
//! Each unit's multiplier is prepared once per output ([`ChannelOutput`]), or once
//! per call for a per-tensor layer.

use crate::conv::LinearQuantParams;
use crate::error::{elements, KernelError, KernelResult};
pub use crate::fully_connected::FullyConnectedDims;
use crate::fully_connected::{self as reference, check};
use crate::linear_output::Int8KernelOutput;
use crate::optimized::conv::{offset_fits_i16, ChannelOutput};
use crate::optimized::dsp::{lanes, FAST_PATHS};
use crate::optimized::mat_mult::{dot_4x1, widen_packed};
use crate::optimized::mve::{self, MVE_PATHS};
use crate::split::OutputTile;

/// Input elements widened at a time (a multiple of four), into a stack buffer of
/// [`CHUNK_WORDS`] (two words per four elements, a word each for the last chunk's
/// elements past its last four).
const CHUNK: usize = 512;
const CHUNK_WORDS: usize = CHUNK / 2 + 3;

/// Output units whose sums are kept on the stack while a row is walked chunk by
/// chunk; each block widens the row once.
const UNITS: usize = 64;

/// [`crate::fully_connected::fully_connected`], same results and errors.
pub fn fully_connected(
    quant: &LinearQuantParams,
    dims: FullyConnectedDims,
    input: &[i8],
    filter: &[i8],
    bias: Option<&[i32]>,
    output: &mut [i8],
    tile: OutputTile,
) -> KernelResult {
    fully_connected_into(quant, dims, input, filter, bias, output, tile)
}

/// [`fully_connected`] writing the int32 accumulators (bias included) instead of int8
/// outputs ([`crate::linear_output`]).
pub fn fully_connected_accumulators(
    quant: &LinearQuantParams,
    dims: FullyConnectedDims,
    input: &[i8],
    filter: &[i8],
    bias: Option<&[i32]>,
    output: &mut [i32],
    tile: OutputTile,
) -> KernelResult {
    fully_connected_into(quant, dims, input, filter, bias, output, tile)
}

/// Both forms: generic over the output, instantiated here for each (not in every model's
/// crate, where a size-optimized build would not inline the helpers of its loops).
fn fully_connected_into<O: Int8KernelOutput>(
    quant: &LinearQuantParams,
    dims: FullyConnectedDims,
    input: &[i8],
    filter: &[i8],
    bias: Option<&[i32]>,
    output: &mut [O],
    tile: OutputTile,
) -> KernelResult {
    if !(FAST_PATHS && offset_fits_i16(quant.input_offset)) {
        return reference::fully_connected(quant, dims, input, filter, bias, output, tile);
    }
    check::<O, i32>(
        quant,
        dims,
        (input.len(), filter.len(), output.len()),
        bias,
        tile,
    )?;
    // In range: offset_fits_i16.
    let offset = quant.input_offset as i16;
    let offsets = lanes(&[offset, offset]);
    let depth = dims.input_depth;
    // One multiplier for all units: prepared once (the bias set per unit).
    let per_tensor = (quant.output_multipliers.multipliers.len() == 1)
        .then(|| ChannelOutput::new(quant, None, 0));
    let mut words = [0u32; CHUNK_WORDS];
    for batch in tile.rows.indices() {
        // `check` bounded every index; `elements` and `get_mut` keep the kernel free of
        // panic paths where the optimizer does not see that.
        let row = elements(input, batch * depth, depth)?;
        let weights_term = if quant.weights_offset == 0 {
            0
        } else {
            let sum = row.iter().fold(0i32, |sum, &x| {
                sum.wrapping_add(i32::from(x) + quant.input_offset)
            });
            sum.wrapping_mul(quant.weights_offset)
        };
        let mut block_start = tile.channels.start;
        while block_start < tile.channels.end {
            let block_end = tile.channels.end.min(block_start + UNITS);
            // Per four units (the last repeating its last unit), their sums.
            let mut sums = [[0i32; 4]; UNITS / 4];
            let sums = sums
                .get_mut(..(block_end - block_start).div_ceil(4))
                .ok_or(KernelError::InvalidParameter)?;
            for (chunk_start, chunk) in (0..).step_by(CHUNK).zip(row.chunks(CHUNK)) {
                // Helium reads the inputs as they are (mve::dot_offset): nothing to widen.
                let x: &[u32] = if MVE_PATHS {
                    &[]
                } else {
                    widen_packed(chunk, offsets, &mut words).ok_or(KernelError::InvalidParameter)?
                };
                let weights = |unit: usize| {
                    elements(
                        filter,
                        unit.min(block_end - 1) * depth + chunk_start,
                        chunk.len(),
                    )
                };
                for (quad, first) in sums.iter_mut().zip((block_start..).step_by(4)) {
                    let rows = [
                        weights(first)?,
                        weights(first + 1)?,
                        weights(first + 2)?,
                        weights(first + 3)?,
                    ];
                    *quad = if MVE_PATHS {
                        let mut sums = *quad;
                        for (sum, row) in sums.iter_mut().zip(rows) {
                            *sum =
                                sum.wrapping_add(mve::dot_offset(chunk, row, quant.input_offset));
                        }
                        sums
                    } else {
                        dot_4x1(rows, x, *quad)
                    };
                }
            }
            let row_out = output
                .get_mut(batch * dims.output_depth..)
                .and_then(|row_out| row_out.get_mut(block_start..block_end))
                .ok_or(KernelError::RangeOutOfBounds)?;
            for ((out, &acc), unit) in row_out
                .iter_mut()
                .zip(sums.iter().flatten())
                .zip(block_start..)
            {
                let channel = match per_tensor {
                    Some(shared) => shared.with_bias_of(bias, unit),
                    None => ChannelOutput::new(quant, bias, unit),
                };
                *out = O::finish_channel(&channel, quant, acc.wrapping_add(weights_term));
            }
            block_start = block_end;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KernelError;
    use crate::quant::{ActivationRange, ChannelMultipliers};
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    #[test]
    fn equals_reference() {
        let multipliers: Vec<i32> = (0..70).map(|c| 1_200_000_000 + 9_000_000 * c).collect();
        let shifts: Vec<i32> = (0..70).map(|c| -5 - c % 3).collect();
        let mut seed = 3;
        for (batches, depth, units) in [
            (1, 1, 1),
            (3, 7, 5),
            (2, 64, 9),
            (1, 4000, 4),
            (4, 13, 2),
            (2, 259, 70),
        ] {
            for (input_offset, weights_offset, per_channel) in [
                (11, 0, true),
                (-128, 0, false),
                (128, 3, false),
                (40_000, 0, true),
            ] {
                seed += 3;
                let count = if per_channel { units } else { 1 };
                let quant = LinearQuantParams {
                    input_offset,
                    weights_offset,
                    output_offset: -7,
                    output_multipliers: ChannelMultipliers {
                        multipliers: &multipliers[..count],
                        shifts: &shifts[..count],
                    },
                    activation: ActivationRange {
                        min: -110,
                        max: 127,
                    },
                };
                let dims = FullyConnectedDims {
                    batches,
                    input_depth: depth,
                    output_depth: units,
                };
                let input = pseudo_random_i8(batches * depth, seed);
                let filter = pseudo_random_i8(units * depth, seed + 1);
                let bias: Vec<i32> = (0..units as i32).map(|u| 300 * u - 900).collect();
                for bias in [Some(bias.as_slice()), None] {
                    let mut expected = vec![0i8; batches * units];
                    let full = OutputTile::full(batches, units);
                    reference::fully_connected(
                        &quant,
                        dims,
                        &input,
                        &filter,
                        bias,
                        &mut expected,
                        full,
                    )
                    .unwrap();
                    let got = check_tile_split(batches, 1, units, 0i8, |tile, out| {
                        fully_connected(&quant, dims, &input, &filter, bias, out, tile).unwrap()
                    });
                    assert_eq!(
                        got, expected,
                        "{dims:?} offsets {input_offset} {weights_offset}"
                    );
                }
            }
        }
    }

    #[test]
    fn inconsistent_lengths_are_rejected() {
        let quant = LinearQuantParams {
            input_offset: 1,
            weights_offset: 0,
            output_offset: 0,
            output_multipliers: ChannelMultipliers {
                multipliers: &[1 << 30],
                shifts: &[0],
            },
            activation: ActivationRange {
                min: -128,
                max: 127,
            },
        };
        let dims = FullyConnectedDims {
            batches: 1,
            input_depth: 4,
            output_depth: 2,
        };
        let result = fully_connected(
            &quant,
            dims,
            &[0; 3],
            &[0; 8],
            None,
            &mut [0; 2],
            OutputTile::full(1, 2),
        );
        assert_eq!(result, Err(KernelError::ShapeMismatch));
    }
}
