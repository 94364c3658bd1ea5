//! DEPTHWISE_CONV_2D, INT8 activations with INT8 per-channel filters and INT32 bias,
//! with depth multiplier and dilation.
//!
//! Mirrors `tflite::reference_integer_ops::DepthwiseConvPerChannel`
//! (tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h) as
//! dispatched by tensorflow/lite/micro/kernels/depthwise_conv.cc.
//!
//! Split axes: output rows (`N*H`) and output channels, via [`OutputTile`].

use crate::accumulator::Accumulator;
use crate::conv::{ConvGeometry, LinearQuantParams};
use crate::element::QuantElement;
use crate::error::{element, expect_len, KernelError, KernelResult};
use crate::linear_output::LinearOutput;
use crate::shape::Nhwc;
use crate::spatial::{accumulate_window, check_feature_maps, for_each_tile_element, WindowAxis};
use crate::split::OutputTile;

/// Checks a DEPTHWISE_CONV_2D's tensors, parameters and tile; returns its window axes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn checked_depthwise_axes<O: LinearOutput<A>, A: Accumulator>(
    geometry: &ConvGeometry,
    depth_multiplier: usize,
    quant: &LinearQuantParams,
    (input_len, input_shape): (usize, Nhwc),
    (filter_len, filter_shape): (usize, Nhwc),
    bias: Option<&[A]>,
    (output_len, output_shape): (usize, Nhwc),
    tile: OutputTile,
) -> Result<(WindowAxis, WindowAxis), KernelError> {
    check_feature_maps(input_len, input_shape, output_len, output_shape, tile)?;
    expect_len(filter_len, filter_shape.element_count()?)?;
    quant.check_output::<O, A>(bias, output_shape.channels)?;
    depthwise_axes(
        geometry,
        depth_multiplier,
        input_shape,
        filter_shape,
        output_shape,
    )
}

/// The window axes of a DEPTHWISE_CONV_2D of these shapes (quantized or float),
/// checked: one `[1, height, width, output_channels]` filter, and `depth_multiplier`
/// output channels per input channel.
pub(crate) fn depthwise_axes(
    geometry: &ConvGeometry,
    depth_multiplier: usize,
    input_shape: Nhwc,
    filter_shape: Nhwc,
    output_shape: Nhwc,
) -> Result<(WindowAxis, WindowAxis), KernelError> {
    expect_len(filter_shape.batches, 1)?;
    expect_len(filter_shape.channels, output_shape.channels)?;
    if depth_multiplier == 0 {
        return Err(KernelError::InvalidParameter);
    }
    expect_len(
        input_shape
            .channels
            .checked_mul(depth_multiplier)
            .ok_or(KernelError::InvalidParameter)?,
        output_shape.channels,
    )?;
    geometry.checked_axes(input_shape, filter_shape, output_shape)
}

/// Computes the `tile` part of a DEPTHWISE_CONV_2D output.
///
/// `filter_shape` is `[1, height, width, output_channels]`; output channel `c` reads
/// input channel `c / depth_multiplier` (TFLM's `m + in_channel * depth_multiplier`).
#[allow(clippy::too_many_arguments)]
pub fn depthwise_conv_2d<T: QuantElement, A: Accumulator, O: LinearOutput<A>>(
    geometry: &ConvGeometry,
    depth_multiplier: usize,
    quant: &LinearQuantParams,
    input: &[T],
    input_shape: Nhwc,
    filter: &[i8],
    filter_shape: Nhwc,
    bias: Option<&[A]>,
    output: &mut [O],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    let (y_axis, x_axis) = checked_depthwise_axes::<O, A>(
        geometry,
        depth_multiplier,
        quant,
        (input.len(), input_shape),
        (filter.len(), filter_shape),
        bias,
        (output.len(), output_shape),
        tile,
    )?;

    for_each_tile_element(
        output,
        output_shape,
        tile,
        |batch, out_y, out_x, out_channel| {
            let in_channel = out_channel / depth_multiplier;
            let acc = accumulate_window(
                &y_axis,
                &x_axis,
                (out_y, out_x),
                |acc, (filter_y, filter_x), (in_y, in_x)| {
                    let x = element(input, input_shape.offset(batch, in_y, in_x, in_channel))?;
                    let w = element(
                        filter,
                        filter_shape.offset(0, filter_y, filter_x, out_channel),
                    )?;
                    Ok(quant.accumulate(acc, w, x))
                },
            )?;
            Ok(O::finish(quant, acc, bias, out_channel))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv::tests::{quant, unit_geometry};
    use crate::quant::{ActivationRange, ChannelMultipliers, QuantizedMultiplier};
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    /// Output = 2 * 0.5 * accumulator: the accumulator itself, unclamped in INT8.
    fn identity_quant(input_offset: i32) -> LinearQuantParams<'static> {
        quant(&[1 << 30], &[1], input_offset, 0)
    }

    #[test]
    fn depth_multiplier_maps_output_channels_to_inputs() {
        // 2 input channels (3, 5), multiplier 2 -> 4 outputs with weights 1,2,3,4:
        // [3*1, 3*2, 5*3, 5*4] with input offset 1: [4, 8, 18, 24].
        let mut output = [0i8; 4];
        depthwise_conv_2d(
            &unit_geometry(),
            2,
            &identity_quant(1),
            &[3, 5],
            Nhwc::new(1, 1, 1, 2),
            &[1, 2, 3, 4],
            Nhwc::new(1, 1, 1, 4),
            None::<&[i32]>,
            &mut output,
            Nhwc::new(1, 1, 1, 4),
            OutputTile::full(1, 4),
        )
        .unwrap();
        assert_eq!(output, [4, 8, 18, 24]);
    }

    #[test]
    fn dilated_window_with_per_channel_scales() {
        // 1x1x4x2 input; 1x1x2x2 filter (taps at x and x+2 with dilation 2); no pad.
        // Channel 0 values 1,2,3,4; channel 1 values 10,20,30,40; weights all 1.
        // Output width 2: ch0 = [1+3, 2+4] = [4, 6]; ch1 = [40, 60].
        // Per-channel multipliers: ch0 x1, ch1 x0.5 -> ch1 = [20, 30].
        let input = [1, 10, 2, 20, 3, 30, 4, 40];
        let quant = LinearQuantParams {
            output_multipliers: ChannelMultipliers {
                multipliers: &[QuantizedMultiplier::ONE.multiplier, 1 << 30],
                shifts: &[QuantizedMultiplier::ONE.shift, 0],
            },
            ..identity_quant(0)
        };
        let geometry = ConvGeometry {
            dilation_width: 2,
            ..unit_geometry()
        };
        let mut output = [0i8; 4];
        depthwise_conv_2d(
            &geometry,
            1,
            &quant,
            &input,
            Nhwc::new(1, 1, 4, 2),
            &[1; 4],
            Nhwc::new(1, 1, 2, 2),
            Some(&[0, 0]),
            &mut output,
            Nhwc::new(1, 1, 2, 2),
            OutputTile::full(1, 2),
        )
        .unwrap();
        assert_eq!(output, [4, 20, 6, 30]);
    }

    #[test]
    fn saturates_to_int8() {
        // 127 * 127 = 16129 -> clamps to 127; -128 offset case: (-128 + 0) * 127 -> -128.
        let mut output = [0i8; 2];
        depthwise_conv_2d(
            &unit_geometry(),
            1,
            &identity_quant(0),
            &[127, -128],
            Nhwc::new(1, 1, 1, 2),
            &[127, 127],
            Nhwc::new(1, 1, 1, 2),
            None::<&[i32]>,
            &mut output,
            Nhwc::new(1, 1, 1, 2),
            OutputTile::full(1, 2),
        )
        .unwrap();
        assert_eq!(output, [127, -128]);
    }

    #[test]
    fn split_into_tiles_equals_whole() {
        let input_shape = Nhwc::new(2, 6, 5, 3);
        let filter_shape = Nhwc::new(1, 3, 3, 6);
        let output_shape = Nhwc::new(2, 3, 3, 6);
        let input = pseudo_random_i8(input_shape.element_count().unwrap(), 3);
        let filter = pseudo_random_i8(filter_shape.element_count().unwrap(), 4);
        let bias = [5, -50, 500, -5000, 0, 1];
        let multipliers = [1_300_000_000; 6];
        let shifts = [-8, -7, -8, -9, -6, -8];
        let quant = LinearQuantParams {
            activation: ActivationRange {
                min: -100,
                max: 100,
            },
            ..quant(&multipliers, &shifts, -7, 9)
        };
        let geometry = ConvGeometry {
            stride_height: 2,
            stride_width: 2,
            dilation_height: 2,
            dilation_width: 1,
            pad_top: 1,
            pad_left: 1,
        };
        let whole = check_tile_split(6, 3, 6, 0i8, |tile, out| {
            depthwise_conv_2d(
                &geometry,
                2,
                &quant,
                &input,
                input_shape,
                &filter,
                filter_shape,
                Some(&bias),
                out,
                output_shape,
                tile,
            )
            .unwrap()
        });
        assert!(whole.iter().any(|&v| v != 0));
    }

    #[test]
    fn sixteen_by_eight_depthwise_with_i64_bias() {
        // Channels (1000, -2000) x weights (100, 50), biases (2^32, -7): the first
        // accumulator needs 64 bits; output = round_half_up(acc / 2^20).
        let mut q = quant(&[1 << 30], &[-19], 0, 0);
        q.activation = ActivationRange::full::<i16>();
        let mut output = [0i16; 2];
        depthwise_conv_2d(
            &unit_geometry(),
            1,
            &q,
            &[1000i16, -2000],
            Nhwc::new(1, 1, 1, 2),
            &[100, 50],
            Nhwc::new(1, 1, 1, 2),
            Some(&[1i64 << 32, -7]),
            &mut output,
            Nhwc::new(1, 1, 1, 2),
            OutputTile::full(1, 2),
        )
        .unwrap();
        let rescale = |acc: i64| ((acc * (1 << 14) + (1 << 33)) >> 34) as i16;
        assert_eq!(
            output,
            [rescale(100_000 + (1 << 32)), rescale(-100_000 - 7)]
        );
    }
}
