//! FULLY_CONNECTED, INT8 activations with INT8 filters (per-tensor or per-channel)
//! and INT32 bias.
//!
//! Mirrors `tflite::reference_integer_ops::FullyConnected` (per-tensor, with filter
//! offset) and `FullyConnectedPerChannel`
//! (tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h) as
//! dispatched by tensorflow/lite/micro/kernels/fully_connected.cc. Both are this one
//! kernel: per-tensor passes one-element multiplier slices, per-channel passes
//! `weights_offset = 0`.
//!
//! Split axes: batch rows and output units, via [`OutputTile`] (`rows` = batches,
//! `channels` = output units).

use crate::accumulator::Accumulator;
use crate::conv::LinearQuantParams;
use crate::element::QuantElement;
use crate::error::{expect_len, KernelError, KernelResult};
use crate::linear_output::LinearOutput;
use crate::split::OutputTile;

/// Sizes of a FULLY_CONNECTED layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FullyConnectedDims {
    /// Rows: all output dimensions but the last, flattened (TFLM `batches`).
    pub batches: usize,
    /// Length of each input row, the filter's last dimension (TFLM `accum_depth`).
    pub input_depth: usize,
    /// Output units, the filter's first dimension (TFLM `output_depth`).
    pub output_depth: usize,
}

/// Computes the `tile` part of a FULLY_CONNECTED output.
///
/// `input` is `batches x input_depth`, `filter` is `output_depth x input_depth`,
/// `output` is `batches x output_depth`, all row-major.
pub fn fully_connected<T: QuantElement, A: Accumulator, O: LinearOutput<A>>(
    quant: &LinearQuantParams,
    dims: FullyConnectedDims,
    input: &[T],
    filter: &[i8],
    bias: Option<&[A]>,
    output: &mut [O],
    tile: OutputTile,
) -> KernelResult {
    check::<O, A>(
        quant,
        dims,
        (input.len(), filter.len(), output.len()),
        bias,
        tile,
    )?;

    // The lengths were checked above; `get` states them again where the optimizer can see
    // them, so that no panic path is left (tools/tinymlc/tests/test_no_panic_link.py).
    let depth = dims.input_depth;
    for batch in tile.rows.indices() {
        let row = input
            .get(batch * depth..(batch + 1) * depth)
            .ok_or(KernelError::RangeOutOfBounds)?;
        for unit in tile.channels.indices() {
            let weights = filter
                .get(unit * depth..(unit + 1) * depth)
                .ok_or(KernelError::RangeOutOfBounds)?;
            let acc = weights
                .iter()
                .zip(row)
                .fold(A::ZERO, |acc, (&w, &x)| quant.accumulate(acc, w, x));
            let out = output
                .get_mut(batch * dims.output_depth + unit)
                .ok_or(KernelError::RangeOutOfBounds)?;
            *out = O::finish(quant, acc, bias, unit);
        }
    }
    Ok(())
}

/// The argument checks of [`fully_connected`], shared with its optimized variant.
/// The lengths are the input's, the filter's and the output's.
pub(crate) fn check<O: LinearOutput<A>, A: Accumulator>(
    quant: &LinearQuantParams,
    dims: FullyConnectedDims,
    (input, filter, output): (usize, usize, usize),
    bias: Option<&[A]>,
    tile: OutputTile,
) -> KernelResult {
    let product = |a: usize, b: usize| a.checked_mul(b).ok_or(KernelError::InvalidParameter);
    expect_len(input, product(dims.batches, dims.input_depth)?)?;
    expect_len(filter, product(dims.output_depth, dims.input_depth)?)?;
    expect_len(output, product(dims.batches, dims.output_depth)?)?;
    quant.check_output::<O, A>(bias, dims.output_depth)?;
    tile.check_within(dims.batches, dims.output_depth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::{ActivationRange, ChannelMultipliers};
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    /// `(input, weights, output)` offsets with per-channel (or one) multipliers.
    fn linear_quant(
        (input_offset, weights_offset, output_offset): (i32, i32, i32),
        multipliers: &'static [i32],
        shifts: &'static [i32],
        activation: ActivationRange,
    ) -> LinearQuantParams<'static> {
        LinearQuantParams {
            input_offset,
            weights_offset,
            output_offset,
            output_multipliers: ChannelMultipliers {
                multipliers,
                shifts,
            },
            activation,
        }
    }

    fn dims(batches: usize, input_depth: usize, output_depth: usize) -> FullyConnectedDims {
        FullyConnectedDims {
            batches,
            input_depth,
            output_depth,
        }
    }

    #[test]
    fn per_tensor_with_filter_offset_hand_checked() {
        // input zp 2 (offset -2), filter zp -1 (offset +1), multiplier 0.25
        // (2^30, shift -1), output zp -3, bias [4].
        // Row [4, 6] -> [2, 4]; weights [1, -2] -> [2, -1]: 4 - 4 = 0 + 4 = 4 -> 1 -> -2.
        // Row [12, 2] -> [10, 0]: 20 + 4 = 24 -> 6 -> 3.
        let quant = linear_quant(
            (-2, 1, -3),
            &[1 << 30],
            &[-1],
            ActivationRange::full::<i8>(),
        );
        let dims = dims(2, 2, 1);
        let mut output = [0i8; 2];
        fully_connected(
            &quant,
            dims,
            &[4, 6, 12, 2],
            &[1, -2],
            Some(&[4]),
            &mut output,
            OutputTile::full(2, 1),
        )
        .unwrap();
        assert_eq!(output, [-2, 3]);
    }

    #[test]
    fn per_channel_multipliers_and_negative_rounding() {
        // One row [3]; weights [1, 1, -1]; multipliers 0.5, 0.5 (shift -1 applied to
        // 2^31 * 0.5 * 2 ...) chosen so that: unit0 = 3 * 0.5 = 1.5 -> 2,
        // unit1 = 3 * 0.25 = 0.75 -> 1, unit2 = -3 * 0.5 = -1.5 -> -1 (ties up).
        let quant = linear_quant(
            (0, 0, 0),
            &[1 << 30, 1 << 30, 1 << 30],
            &[0, -1, 0],
            ActivationRange::full::<i8>(),
        );
        let dims = dims(1, 1, 3);
        let mut output = [0i8; 3];
        fully_connected(
            &quant,
            dims,
            &[3],
            &[1, 1, -1],
            None::<&[i32]>,
            &mut output,
            OutputTile::full(1, 3),
        )
        .unwrap();
        assert_eq!(output, [2, 1, -1]);
    }

    #[test]
    fn wrong_multiplier_count_is_rejected() {
        let quant = linear_quant(
            (0, 0, 0),
            &[1 << 30, 1 << 30],
            &[0, 0],
            ActivationRange::full::<i8>(),
        );
        let dims = dims(1, 1, 3);
        let mut output = [0i8; 3];
        let result = fully_connected(
            &quant,
            dims,
            &[3],
            &[1, 1, 1],
            None::<&[i32]>,
            &mut output,
            OutputTile::full(1, 3),
        );
        assert_eq!(result, Err(KernelError::ShapeMismatch));
    }

    #[test]
    fn split_into_tiles_equals_whole() {
        let dims = dims(5, 17, 7);
        let input = pseudo_random_i8(5 * 17, 7);
        let filter = pseudo_random_i8(7 * 17, 8);
        let bias: Vec<i32> = (0..7).map(|i| i * 1000 - 3000).collect();
        let quant = linear_quant(
            (5, 0, -1),
            &[1_700_000_000],
            &[-9],
            ActivationRange { min: -128, max: 60 },
        );
        let whole = check_tile_split(5, 1, 7, 0i8, |tile, out| {
            fully_connected(&quant, dims, &input, &filter, Some(&bias), out, tile).unwrap()
        });
        assert!(whole.iter().any(|&v| v != 0));
    }

    #[test]
    fn sixteen_by_eight_with_i32_and_i64_bias() {
        // Row (20000, -10000) . (3, 4) = 20000; bias 5; multiplier 2^-4 per channel.
        let quant = linear_quant((0, 0, 0), &[1 << 30], &[-3], ActivationRange::full::<i16>());
        let dims = dims(1, 2, 1);
        let mut with_i32 = [0i16; 1];
        fully_connected(
            &quant,
            dims,
            &[20_000i16, -10_000],
            &[3, 4],
            Some(&[5i32]),
            &mut with_i32,
            OutputTile::full(1, 1),
        )
        .unwrap();
        let mut with_i64 = [0i16; 1];
        fully_connected(
            &quant,
            dims,
            &[20_000i16, -10_000],
            &[3, 4],
            Some(&[5i64]),
            &mut with_i64,
            OutputTile::full(1, 1),
        )
        .unwrap();
        // 20005 / 16 = 1250.3125 -> 1250 both ways.
        assert_eq!((with_i32, with_i64), ([1250], [1250]));
    }
}
