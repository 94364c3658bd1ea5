//! What the linear kernels (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL)
//! write per output element: the requantized activation (`i8`, `i16`: TFLM's kernels),
//! or, for `tinymlc --onnx_exact`, the `i32` accumulator with the bias added and
//! nothing else, which REQUANTIZE_FLOAT then requantizes in float as onnxruntime does
//! (its integer kernels compute the same exact int32 sum before `MlasRequantizeOutput`).
//!
//! The output type is the kernels' last type parameter, inferred from the output slice:
//! the integer multiply-accumulate loops are the same for both.

use crate::accumulator::Accumulator;
use crate::conv::LinearQuantParams;
use crate::element::QuantElement;
use crate::optimized::conv::{finish as finish_prepared, ChannelOutput};

/// An element a linear kernel with accumulator `A` writes.
pub trait LinearOutput<A: Accumulator>: Copy {
    /// The smallest value the output holds: the activation range must lie within
    /// [`Self::MIN`]..=[`Self::MAX`] (an `i32` output ignores the range).
    const MIN: i32;
    /// The largest value the output holds.
    const MAX: i32;
    /// The output of `channel` from its accumulator `acc` (products only) and `bias`.
    fn finish(quant: &LinearQuantParams, acc: A, bias: Option<&[A]>, channel: usize) -> Self;
}

macro_rules! requantized_output {
    ($t:ty) => {
        impl<A: Accumulator> LinearOutput<A> for $t {
            const MIN: i32 = <$t as QuantElement>::MIN;
            const MAX: i32 = <$t as QuantElement>::MAX;
            #[inline(always)]
            fn finish(
                quant: &LinearQuantParams,
                acc: A,
                bias: Option<&[A]>,
                channel: usize,
            ) -> Self {
                quant.finish(acc, bias, channel)
            }
        }
    };
}

requantized_output!(i8);
requantized_output!(i16);

/// The accumulator plus bias: the multipliers, output offset and activation range of
/// `quant` are not applied.
impl LinearOutput<i32> for i32 {
    const MIN: i32 = i32::MIN;
    const MAX: i32 = i32::MAX;
    #[inline(always)]
    fn finish(_quant: &LinearQuantParams, acc: i32, bias: Option<&[i32]>, channel: usize) -> Self {
        // `check` bounded `channel`; `get` keeps the kernels free of panic paths.
        acc.wrapping_add(
            bias.and_then(|bias| bias.get(channel))
                .copied()
                .unwrap_or(0),
        )
    }
}

/// The outputs of the optimized int8 kernels (int32 accumulators), finished from a
/// channel's prepared multiplier and bias ([`ChannelOutput`]).
pub trait Int8KernelOutput: LinearOutput<i32> + Default {
    /// [`LinearOutput::finish`] with the channel's bias and multiplier prepared.
    fn finish_channel(channel: &ChannelOutput, quant: &LinearQuantParams, acc: i32) -> Self;
    /// Stores a block's sums (bias included): an int8 output through `requantize`, an
    /// int32 one as they are.
    fn store_sums(sums: &[i32], out: &mut [Self], requantize: impl FnOnce(&[i32], &mut [i8]));
    /// [`LinearOutput::finish`] with the multiplier prepared on the spot.
    fn finish_unprepared(
        quant: &LinearQuantParams,
        acc: i32,
        bias: Option<&[i32]>,
        channel: usize,
    ) -> Self;
}

impl Int8KernelOutput for i8 {
    #[inline(always)]
    fn store_sums(sums: &[i32], out: &mut [Self], requantize: impl FnOnce(&[i32], &mut [i8])) {
        requantize(sums, out);
    }
    #[inline(always)]
    fn finish_channel(channel: &ChannelOutput, quant: &LinearQuantParams, acc: i32) -> Self {
        channel.finish(quant, acc)
    }
    #[inline(always)]
    fn finish_unprepared(
        quant: &LinearQuantParams,
        acc: i32,
        bias: Option<&[i32]>,
        channel: usize,
    ) -> Self {
        finish_prepared(quant, acc, bias, channel)
    }
}

impl Int8KernelOutput for i32 {
    #[inline(always)]
    fn store_sums(sums: &[i32], out: &mut [Self], _requantize: impl FnOnce(&[i32], &mut [i8])) {
        for (out, &sum) in out.iter_mut().zip(sums) {
            *out = sum;
        }
    }
    #[inline(always)]
    fn finish_channel(channel: &ChannelOutput, _quant: &LinearQuantParams, acc: i32) -> Self {
        acc.wrapping_add(channel.bias())
    }
    #[inline(always)]
    fn finish_unprepared(
        quant: &LinearQuantParams,
        acc: i32,
        bias: Option<&[i32]>,
        channel: usize,
    ) -> Self {
        <i32 as LinearOutput<i32>>::finish(quant, acc, bias, channel)
    }
}

#[cfg(test)]
mod tests {
    use crate::batch_matmul::BatchMatMulShapes;
    use crate::conv::{ConvGeometry, LinearQuantParams};
    use crate::error::KernelResult;
    use crate::fully_connected::FullyConnectedDims;
    use crate::optimized;
    use crate::quant::{ActivationRange, ChannelMultipliers};
    use crate::shape::{Nhwc, Shape};
    use crate::split::OutputTile;
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    type Conv = fn(
        &ConvGeometry,
        &LinearQuantParams,
        &[i8],
        Nhwc,
        &[i8],
        Nhwc,
        Option<&[i32]>,
        &mut [i32],
        Nhwc,
        OutputTile,
        &mut [i16],
    ) -> KernelResult;
    /// The reference (which takes no scratch) and the optimized CONV_2D.
    const CONVS: [Conv; 2] = [
        |geometry, quant, input, input_shape, filter, filter_shape, bias, out, shape, tile, _| {
            crate::conv::conv_2d(
                geometry,
                quant,
                input,
                input_shape,
                filter,
                filter_shape,
                bias,
                out,
                shape,
                tile,
            )
        },
        optimized::conv::conv_2d_accumulators,
    ];

    type Depthwise = fn(
        &ConvGeometry,
        usize,
        &LinearQuantParams,
        &[i8],
        Nhwc,
        &[i8],
        Nhwc,
        Option<&[i32]>,
        &mut [i32],
        Nhwc,
        OutputTile,
    ) -> KernelResult;
    const DEPTHWISES: [Depthwise; 2] = [
        crate::depthwise_conv::depthwise_conv_2d,
        optimized::depthwise_conv::depthwise_conv_2d_accumulators,
    ];

    type FullyConnected = fn(
        &LinearQuantParams,
        FullyConnectedDims,
        &[i8],
        &[i8],
        Option<&[i32]>,
        &mut [i32],
        OutputTile,
    ) -> KernelResult;
    const FULLY_CONNECTEDS: [FullyConnected; 2] = [
        crate::fully_connected::fully_connected,
        optimized::fully_connected::fully_connected_accumulators,
    ];

    type BatchMatMul = fn(
        &LinearQuantParams,
        &BatchMatMulShapes,
        &[i8],
        &[i8],
        &mut [i32],
        OutputTile,
        &mut [i16],
    ) -> KernelResult;
    /// The reference (which takes no scratch) and the optimized BATCH_MATMUL.
    const BATCH_MATMULS: [BatchMatMul; 2] = [
        |quant, shapes, lhs, rhs, out, tile, _| {
            crate::batch_matmul::batch_matmul(quant, shapes, lhs, rhs, out, tile)
        },
        optimized::batch_matmul::batch_matmul_accumulators,
    ];

    /// Offsets only: an int32 output ignores the multipliers and the activation range.
    fn quant(input_offset: i32, weights_offset: i32) -> LinearQuantParams<'static> {
        LinearQuantParams {
            input_offset,
            weights_offset,
            output_offset: 5,
            output_multipliers: ChannelMultipliers {
                multipliers: &[1 << 30],
                shifts: &[-3],
            },
            activation: ActivationRange { min: -7, max: 9 },
        }
    }

    fn bias(channels: usize) -> Vec<i32> {
        (0..channels as i32).map(|c| 40_000 * c - 70_001).collect()
    }

    /// The exact `sum((x + input_offset) * (w + weights_offset)) + bias` of a
    /// convolution over NHWC `input` with `[out, h, w, depth]` filters, each output
    /// channel reading input channels from `first_channel(out_channel)`.
    #[allow(clippy::too_many_arguments)]
    fn naive_conv(
        geometry: &ConvGeometry,
        (input_offset, weights_offset): (i32, i32),
        input: &[i8],
        input_shape: Nhwc,
        filter: &[i8],
        (taps_y, taps_x, depth): (usize, usize, usize),
        filter_at: impl Fn(usize, usize, usize, usize) -> usize,
        bias: &[i32],
        output_shape: Nhwc,
        first_channel: impl Fn(usize) -> usize,
    ) -> Vec<i32> {
        let mut output = Vec::new();
        for n in 0..output_shape.batches {
            for oy in 0..output_shape.height {
                for ox in 0..output_shape.width {
                    for oc in 0..output_shape.channels {
                        let mut acc = bias[oc];
                        for ky in 0..taps_y {
                            for kx in 0..taps_x {
                                let y = (oy * geometry.stride_height
                                    + ky * geometry.dilation_height)
                                    .checked_sub(geometry.pad_top);
                                let x = (ox * geometry.stride_width + kx * geometry.dilation_width)
                                    .checked_sub(geometry.pad_left);
                                let (Some(y), Some(x)) = (y, x) else { continue };
                                if y >= input_shape.height || x >= input_shape.width {
                                    continue;
                                }
                                for d in 0..depth {
                                    let xv =
                                        input[input_shape.offset(n, y, x, first_channel(oc) + d)];
                                    let wv = filter[filter_at(oc, ky, kx, d)];
                                    acc += (i32::from(xv) + input_offset)
                                        * (i32::from(wv) + weights_offset);
                                }
                            }
                        }
                        output.push(acc);
                    }
                }
            }
        }
        output
    }

    fn geometry() -> ConvGeometry {
        ConvGeometry {
            stride_height: 2,
            stride_width: 1,
            dilation_height: 1,
            dilation_width: 2,
            pad_top: 1,
            pad_left: 2,
        }
    }

    #[test]
    fn conv_2d_writes_the_exact_accumulators() {
        let geometry = geometry();
        for (depth, out_channels, input_offset, weights_offset, scratch) in [
            (3, 5, 128, 0, 512),
            (16, 70, -127, 0, 20),
            (4, 3, 1, 9, 512),
        ] {
            let input_shape = Nhwc::new(2, 7, 6, depth);
            let filter_shape = Nhwc::new(out_channels, 3, 2, depth);
            let output_shape = Nhwc::new(2, 4, 4, out_channels);
            let input = pseudo_random_i8(input_shape.element_count().unwrap(), 3);
            let filter = pseudo_random_i8(filter_shape.element_count().unwrap(), 4);
            let bias = bias(out_channels);
            let expected = naive_conv(
                &geometry,
                (input_offset, weights_offset),
                &input,
                input_shape,
                &filter,
                (3, 2, depth),
                |oc, ky, kx, d| filter_shape.offset(oc, ky, kx, d),
                &bias,
                output_shape,
                |_| 0,
            );
            let quant = quant(input_offset, weights_offset);
            for (kernel, name) in CONVS.iter().zip(["reference", "optimized"]) {
                let got = check_tile_split(output_shape.rows(), 4, out_channels, 0, |tile, out| {
                    let mut scratch = vec![0i16; scratch];
                    let shapes = (input_shape, filter_shape, output_shape);
                    let bias = Some(&bias[..]);
                    kernel(
                        &geometry,
                        &quant,
                        &input,
                        shapes.0,
                        &filter,
                        shapes.1,
                        bias,
                        out,
                        shapes.2,
                        tile,
                        &mut scratch,
                    )
                    .unwrap();
                });
                assert_eq!(got, expected, "{name}, depth {depth}");
            }
        }
    }

    #[test]
    fn depthwise_conv_2d_writes_the_exact_accumulators() {
        let geometry = geometry();
        for (channels, multiplier, input_offset) in [(8, 1, 128), (70, 1, -3), (3, 2, 17)] {
            let out_channels = channels * multiplier;
            let input_shape = Nhwc::new(1, 7, 6, channels);
            let filter_shape = Nhwc::new(1, 3, 2, out_channels);
            let output_shape = Nhwc::new(1, 4, 4, out_channels);
            let input = pseudo_random_i8(input_shape.element_count().unwrap(), 5);
            let filter = pseudo_random_i8(filter_shape.element_count().unwrap(), 6);
            let bias = bias(out_channels);
            let expected = naive_conv(
                &geometry,
                (input_offset, 0),
                &input,
                input_shape,
                &filter,
                (3, 2, 1),
                |oc, ky, kx, _| filter_shape.offset(0, ky, kx, oc),
                &bias,
                output_shape,
                |oc| oc / multiplier,
            );
            let quant = quant(input_offset, 0);
            for (kernel, name) in DEPTHWISES.iter().zip(["reference", "optimized"]) {
                let got = check_tile_split(4, 4, out_channels, 0, |tile, out| {
                    let shapes = (input_shape, filter_shape, output_shape);
                    kernel(
                        &geometry,
                        multiplier,
                        &quant,
                        &input,
                        shapes.0,
                        &filter,
                        shapes.1,
                        Some(&bias),
                        out,
                        shapes.2,
                        tile,
                    )
                    .unwrap();
                });
                assert_eq!(got, expected, "{name}, {channels}x{multiplier}");
            }
        }
    }

    #[test]
    fn fully_connected_and_batch_matmul_write_the_exact_accumulators() {
        let (batches, depth, units) = (3, 600, 70);
        let input = pseudo_random_i8(batches * depth, 7);
        let filter = pseudo_random_i8(units * depth, 8);
        let bias = bias(units);
        for (input_offset, weights_offset) in [(128, 0), (-5, 127)] {
            let expected: Vec<i32> = (0..batches * units)
                .map(|at| {
                    let (b, u) = (at / units, at % units);
                    (0..depth).fold(bias[u], |acc, d| {
                        acc + (i32::from(input[b * depth + d]) + input_offset)
                            * (i32::from(filter[u * depth + d]) + weights_offset)
                    })
                })
                .collect();
            let quant = quant(input_offset, weights_offset);
            let dims = FullyConnectedDims {
                batches,
                input_depth: depth,
                output_depth: units,
            };
            for (kernel, name) in FULLY_CONNECTEDS.iter().zip(["reference", "optimized"]) {
                let got = check_tile_split(batches, 1, units, 0, |tile, out| {
                    kernel(&quant, dims, &input, &filter, Some(&bias), out, tile).unwrap();
                });
                assert_eq!(got, expected, "fully connected, {name}");
            }
            // The same product as a BATCH_MATMUL with `adj_y` (the filter's rows are
            // the RHS's columns), without the bias.
            let shapes = BatchMatMulShapes {
                lhs: Shape::new(&[batches, depth]).unwrap(),
                rhs: Shape::new(&[units, depth]).unwrap(),
                adj_x: false,
                adj_y: true,
            };
            let unbiased: Vec<i32> = expected
                .iter()
                .enumerate()
                .map(|(at, &acc)| acc - bias[at % units])
                .collect();
            for (kernel, name) in BATCH_MATMULS.iter().zip(["reference", "optimized"]) {
                let got = check_tile_split(batches, 1, units, 0, |tile, out| {
                    kernel(&quant, &shapes, &input, &filter, out, tile, &mut [0; 64]).unwrap();
                });
                assert_eq!(got, unbiased, "batch matmul, {name}");
            }
        }
    }
}
