//! CONV_2D, INT8 activations with INT8 (per-channel or per-tensor) filters and INT32
//! bias.
//!
//! Mirrors `tflite::reference_integer_ops::ConvPerChannel`
//! (tensorflow/lite/kernels/internal/reference/integer_ops/conv.h) as dispatched by
//! tensorflow/lite/micro/kernels/conv.cc, including grouped convolution
//! (`input_channels / filter_input_channels` groups).
//!
//! Split axes: output rows (`N*H`) and output channels, via [`OutputTile`].

use crate::accumulator::Accumulator;
use crate::element::QuantElement;
use crate::error::{elements, expect_len, KernelError, KernelResult};
use crate::linear_output::LinearOutput;
use crate::quant::{ActivationRange, ChannelMultipliers, Rescale};
use crate::shape::Nhwc;
use crate::spatial::{accumulate_window, check_feature_maps, for_each_tile_element, WindowAxis};
use crate::split::OutputTile;

/// Window geometry shared by CONV_2D and DEPTHWISE_CONV_2D (TFLM `ConvParams` /
/// `DepthwiseParams`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// `stride_height`.
    pub stride_height: usize,
    /// `stride_width`.
    pub stride_width: usize,
    /// `dilation_height_factor`.
    pub dilation_height: usize,
    /// `dilation_width_factor`.
    pub dilation_width: usize,
    /// `padding_values.height`: implicit zero rows above the input (TFLM
    /// `ComputePaddingHeightWidth`; SAME padding puts any odd extra row at the bottom).
    pub pad_top: usize,
    /// `padding_values.width`: implicit zero columns left of the input.
    pub pad_left: usize,
}

/// Quantization of an op that accumulates `(filter + weights_offset) *
/// (input + input_offset)` into INT32 and requantizes per output channel: CONV_2D,
/// DEPTHWISE_CONV_2D, FULLY_CONNECTED and BATCH_MATMUL.
#[derive(Clone, Copy, Debug)]
pub struct LinearQuantParams<'a> {
    /// TFLM `input_offset` = `-input_zero_point`.
    pub input_offset: i32,
    /// TFLM `weights_offset` = `-filter_zero_point`. Only per-tensor FULLY_CONNECTED
    /// and BATCH_MATMUL (rhs zero point) use it; TFLM's INT8 CONV_2D,
    /// DEPTHWISE_CONV_2D and per-channel FULLY_CONNECTED ignore the filter zero point
    /// (required to be 0), so pass 0 there.
    pub weights_offset: i32,
    /// TFLM `output_offset` = `output_zero_point`.
    pub output_offset: i32,
    /// TFLM `per_channel_output_multiplier` / `per_channel_output_shift` (or the
    /// per-tensor `output_multiplier` / `output_shift` as one-element slices).
    pub output_multipliers: ChannelMultipliers<'a>,
    /// TFLM `output_activation_min/max` from `CalculateActivationRangeQuantized`.
    pub activation: ActivationRange,
}

impl LinearQuantParams<'_> {
    /// Adds one tap to the accumulator: the product is formed in INT32 (as TFLM's
    /// `int32_t` operands) and wraps on overflow like C++ on TFLM targets.
    #[inline(always)]
    pub(crate) fn accumulate<T: QuantElement, A: Accumulator>(
        &self,
        acc: A,
        filter_value: i8,
        input_value: T,
    ) -> A {
        let filter = i32::from(filter_value) + self.weights_offset;
        let input = input_value.widen().wrapping_add(self.input_offset);
        acc.add_product(filter.wrapping_mul(input))
    }

    /// Adds the bias and requantizes the accumulator of output channel `channel`
    /// with the accumulator type's `MultiplyByQuantizedMultiplier`.
    pub(crate) fn finish<T: QuantElement, A: Accumulator>(
        &self,
        acc: A,
        bias: Option<&[A]>,
        channel: usize,
    ) -> T {
        let acc = match bias {
            // `check` bounded `channel`; `get` keeps the kernels free of panic paths.
            Some(bias) => acc.add_bias(bias.get(channel).copied().unwrap_or(A::ZERO)),
            None => acc,
        };
        let scaled = acc.rescale(self.output_multipliers.get(channel));
        // `check` keeps the activation range within `T`, so this never saturates.
        T::saturate(
            self.activation
                .apply(scaled.wrapping_add(self.output_offset)),
        )
    }

    /// [`Self::finish`] with the channel's multiplier given (prepared or not).
    #[inline(always)]
    pub(crate) fn finish_with(
        &self,
        acc: i32,
        bias: Option<&[i32]>,
        channel: usize,
        multiplier: impl Rescale,
    ) -> i8 {
        let acc = match bias {
            // `check` bounded `channel`; `get` keeps the kernels free of panic paths.
            Some(bias) => acc.wrapping_add(bias.get(channel).copied().unwrap_or(0)),
            None => acc,
        };
        // The activation range lies within i8, so the narrowing is exact.
        self.activation
            .apply(multiplier.rescale(acc).wrapping_add(self.output_offset)) as i8
    }

    /// Checks the per-channel slices and the bias against `channels` outputs, and
    /// the activation range against the output type `T`.
    pub(crate) fn check<T: QuantElement, A>(
        &self,
        bias: Option<&[A]>,
        channels: usize,
    ) -> KernelResult {
        self.check_within(bias, channels, (T::MIN, T::MAX))
    }

    /// [`Self::check`] for a kernel writing `O` (an `i32` accumulator output takes any
    /// activation range: it applies none).
    pub(crate) fn check_output<O: LinearOutput<A>, A: Accumulator>(
        &self,
        bias: Option<&[A]>,
        channels: usize,
    ) -> KernelResult {
        self.check_within(bias, channels, (O::MIN, O::MAX))
    }

    fn check_within<A>(
        &self,
        bias: Option<&[A]>,
        channels: usize,
        (min, max): (i32, i32),
    ) -> KernelResult {
        self.output_multipliers.check(channels)?;
        if let Some(bias) = bias {
            expect_len(bias.len(), channels)?;
        }
        if self.activation.min < min || self.activation.max > max {
            return Err(KernelError::InvalidParameter);
        }
        Ok(())
    }
}

impl ConvGeometry {
    /// The (height, width) window axes of `filter` over `input`, checked for the
    /// output extent.
    pub(crate) fn checked_axes(
        &self,
        input: Nhwc,
        filter: Nhwc,
        output: Nhwc,
    ) -> Result<(WindowAxis, WindowAxis), KernelError> {
        let (y_axis, x_axis) = self.axes(input, filter);
        y_axis.check(output.height)?;
        x_axis.check(output.width)?;
        Ok((y_axis, x_axis))
    }

    fn axes(&self, input: Nhwc, filter: Nhwc) -> (WindowAxis, WindowAxis) {
        (
            WindowAxis {
                stride: self.stride_height,
                dilation: self.dilation_height,
                pad: self.pad_top,
                taps: filter.height,
                input_len: input.height,
            },
            WindowAxis {
                stride: self.stride_width,
                dilation: self.dilation_width,
                pad: self.pad_left,
                taps: filter.width,
                input_len: input.width,
            },
        )
    }
}

/// A checked CONV_2D: window axes and grouping.
pub(crate) struct ConvLayout {
    pub y_axis: WindowAxis,
    pub x_axis: WindowAxis,
    /// Input channels each filter reads (`filter_shape.channels`).
    pub filter_depth: usize,
    /// Output channels per group; group `g` reads input channels
    /// `g * filter_depth ..`.
    pub filters_per_group: usize,
}

impl ConvLayout {
    /// Checks a CONV_2D's tensors, parameters and tile.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new<O: LinearOutput<A>, A: Accumulator>(
        geometry: &ConvGeometry,
        quant: &LinearQuantParams,
        (input_len, input_shape): (usize, Nhwc),
        (filter_len, filter_shape): (usize, Nhwc),
        bias: Option<&[A]>,
        (output_len, output_shape): (usize, Nhwc),
        tile: OutputTile,
    ) -> Result<Self, KernelError> {
        check_feature_maps(input_len, input_shape, output_len, output_shape, tile)?;
        expect_len(filter_len, filter_shape.element_count()?)?;
        quant.check_output::<O, A>(bias, output_shape.channels)?;
        Self::grouped(geometry, input_shape, filter_shape, output_shape)
    }

    /// The window axes and grouping of a CONV_2D of these shapes (quantized or float),
    /// checked: one filter per output channel, input channels a multiple of the
    /// filters' depth, output channels a multiple of the groups.
    pub(crate) fn grouped(
        geometry: &ConvGeometry,
        input_shape: Nhwc,
        filter_shape: Nhwc,
        output_shape: Nhwc,
    ) -> Result<Self, KernelError> {
        expect_len(filter_shape.batches, output_shape.channels)?;
        let filter_depth = filter_shape.channels;
        if filter_depth == 0 || input_shape.channels % filter_depth != 0 {
            return Err(KernelError::ShapeMismatch);
        }
        let groups = input_shape.channels / filter_depth;
        if groups == 0 || output_shape.channels % groups != 0 {
            return Err(KernelError::ShapeMismatch);
        }
        let (y_axis, x_axis) = geometry.checked_axes(input_shape, filter_shape, output_shape)?;
        Ok(Self {
            y_axis,
            x_axis,
            filter_depth,
            filters_per_group: output_shape.channels / groups,
        })
    }

    /// The first input channel the filter of `out_channel` reads: its group's.
    pub(crate) fn first_input_channel(&self, out_channel: usize) -> Result<usize, KernelError> {
        let group = out_channel
            .checked_div(self.filters_per_group)
            .ok_or(KernelError::InvalidParameter)?;
        Ok(group * self.filter_depth)
    }
}

/// Computes the `tile` part of a CONV_2D output.
///
/// `filter_shape` is `[output_channels, height, width, input_channels / groups]`
/// (TFLite OHWI). `bias`, when present, has one INT32 per output channel.
#[allow(clippy::too_many_arguments)]
pub fn conv_2d<T: QuantElement, A: Accumulator, O: LinearOutput<A>>(
    geometry: &ConvGeometry,
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
    let layout = ConvLayout::new::<O, A>(
        geometry,
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
            let input_channel_base = layout.first_input_channel(out_channel)?;
            let filter_depth = layout.filter_depth;
            let acc = accumulate_window(
                &layout.y_axis,
                &layout.x_axis,
                (out_y, out_x),
                |acc, (filter_y, filter_x), (in_y, in_x)| {
                    let input_base = input_shape.offset(batch, in_y, in_x, input_channel_base);
                    let filter_base = filter_shape.offset(out_channel, filter_y, filter_x, 0);
                    let inputs = elements(input, input_base, filter_depth)?;
                    let weights = elements(filter, filter_base, filter_depth)?;
                    Ok(weights
                        .iter()
                        .zip(inputs)
                        .fold(acc, |acc, (&w, &x)| quant.accumulate(acc, w, x)))
                },
            )?;
            Ok(O::finish(quant, acc, bias, out_channel))
        },
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::quant::QuantizedMultiplier;
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    const HALF: QuantizedMultiplier = QuantizedMultiplier {
        multiplier: 1 << 30,
        shift: 0,
    };

    /// Stride 1, dilation 1, no padding (shared with DEPTHWISE_CONV_2D's tests).
    pub(crate) fn unit_geometry() -> ConvGeometry {
        ConvGeometry {
            stride_height: 1,
            stride_width: 1,
            dilation_height: 1,
            dilation_width: 1,
            pad_top: 0,
            pad_left: 0,
        }
    }

    /// Symmetric filters, full INT8 activation range (shared with DEPTHWISE_CONV_2D's
    /// tests).
    pub(crate) fn quant<'a>(
        multipliers: &'a [i32],
        shifts: &'a [i32],
        input_offset: i32,
        output_offset: i32,
    ) -> LinearQuantParams<'a> {
        LinearQuantParams {
            input_offset,
            weights_offset: 0,
            output_offset,
            output_multipliers: ChannelMultipliers {
                multipliers,
                shifts,
            },
            activation: ActivationRange::full::<i8>(),
        }
    }

    #[test]
    fn one_by_one_conv_hand_checked() {
        // Input 1x1x2x2 = pixels (1,2) and (3,4), zero point -1 (offset +1).
        // Two filters [1,1] and [2,-1]; bias [10, -3]; multiplier 0.5; output zp 5.
        // Pixel 0: f0 = 2+3+10 = 15 -> 7.5 -> 8 -> 13 ; f1 = 4-3-3 = -2 -> -1 -> 4.
        // Pixel 1: f0 = 4+5+10 = 19 -> 9.5 -> 10 -> 15; f1 = 8-5-3 = 0 -> 5.
        let input = [1, 2, 3, 4];
        let filter = [1, 1, 2, -1];
        let bias = [10, -3];
        let q = quant(&[HALF.multiplier], &[HALF.shift], 1, 5);
        let mut output = [0i8; 4];
        conv_2d(
            &unit_geometry(),
            &q,
            &input,
            Nhwc::new(1, 1, 2, 2),
            &filter,
            Nhwc::new(2, 1, 1, 2),
            Some(&bias),
            &mut output,
            Nhwc::new(1, 1, 2, 2),
            OutputTile::full(1, 2),
        )
        .unwrap();
        assert_eq!(output, [13, 4, 15, 5]);
    }

    #[test]
    fn padding_strides_and_dilation_hand_checked() {
        // 1x3x3x1 input 1..9, 2x2 all-ones filter, dilation 2, pad 1, stride 2.
        // Output 2x2; taps at origin-offsets {0,2} in each axis.
        // (0,0): origin (-1,-1): taps rows {-1,1} cols {-1,1} -> only (1,1) = 5.
        // (0,1): origin (-1, 1): rows {1} cols {1,3->out} -> (1,1) = 5.
        // (1,0): origin ( 1,-1): rows {1,3->out} cols {1} -> 5.
        // (1,1): origin ( 1, 1): only (1,1) = 5.
        let input: [i8; 9] = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        let geometry = ConvGeometry {
            stride_height: 2,
            stride_width: 2,
            dilation_height: 2,
            dilation_width: 2,
            pad_top: 1,
            pad_left: 1,
        };
        let q = quant(
            &[QuantizedMultiplier::ONE.multiplier],
            &[QuantizedMultiplier::ONE.shift],
            0,
            0,
        );
        let mut output = [0i8; 4];
        conv_2d(
            &geometry,
            &q,
            &input,
            Nhwc::new(1, 3, 3, 1),
            &[1; 4],
            Nhwc::new(1, 2, 2, 1),
            None::<&[i32]>,
            &mut output,
            Nhwc::new(1, 2, 2, 1),
            OutputTile::full(2, 1),
        )
        .unwrap();
        assert_eq!(output, [5, 5, 5, 5]);
    }

    #[test]
    fn padding_contributes_nothing_even_with_input_offset() {
        // TFLM skips padded taps entirely instead of adding `input_offset * weight`.
        // 1x1x1x1 input 0 with offset 3, 3x3 ones filter, pad 1: only the centre tap
        // counts: (0 + 3) * 1 = 3.
        let geometry = ConvGeometry {
            pad_top: 1,
            pad_left: 1,
            ..unit_geometry()
        };
        let q = quant(
            &[QuantizedMultiplier::ONE.multiplier],
            &[QuantizedMultiplier::ONE.shift],
            3,
            0,
        );
        let mut output = [0i8; 1];
        conv_2d(
            &geometry,
            &q,
            &[0],
            Nhwc::new(1, 1, 1, 1),
            &[1; 9],
            Nhwc::new(1, 3, 3, 1),
            None::<&[i32]>,
            &mut output,
            Nhwc::new(1, 1, 1, 1),
            OutputTile::full(1, 1),
        )
        .unwrap();
        assert_eq!(output, [3]);
    }

    #[test]
    fn grouped_conv_reads_its_groups_channels() {
        // 4 input channels, filter depth 2 -> 2 groups, 2 output channels (one per group).
        // Filter 0 = [1, 0] reads channel 0; filter 1 = [0, 1] reads channel 3.
        let q = quant(
            &[QuantizedMultiplier::ONE.multiplier],
            &[QuantizedMultiplier::ONE.shift],
            0,
            0,
        );
        let mut output = [0i8; 2];
        conv_2d(
            &unit_geometry(),
            &q,
            &[10, 20, 30, 40],
            Nhwc::new(1, 1, 1, 4),
            &[1, 0, 0, 1],
            Nhwc::new(2, 1, 1, 2),
            None::<&[i32]>,
            &mut output,
            Nhwc::new(1, 1, 1, 2),
            OutputTile::full(1, 2),
        )
        .unwrap();
        assert_eq!(output, [10, 40]);
    }

    #[test]
    fn activation_clamps_after_offset() {
        // acc 100, multiplier 1, zp 20 -> 120, clamped to [−128, 110].
        let mut q = quant(
            &[QuantizedMultiplier::ONE.multiplier],
            &[QuantizedMultiplier::ONE.shift],
            0,
            20,
        );
        q.activation = ActivationRange { min: 20, max: 110 };
        let mut output = [0i8; 1];
        conv_2d(
            &unit_geometry(),
            &q,
            &[100],
            Nhwc::new(1, 1, 1, 1),
            &[1],
            Nhwc::new(1, 1, 1, 1),
            None::<&[i32]>,
            &mut output,
            Nhwc::new(1, 1, 1, 1),
            OutputTile::full(1, 1),
        )
        .unwrap();
        assert_eq!(output, [110]);
    }

    #[test]
    fn mismatched_shapes_are_rejected_without_writing() {
        let q = quant(&[1 << 30], &[0], 0, 0);
        let mut output = [7i8; 2];
        let result = conv_2d(
            &unit_geometry(),
            &q,
            &[1, 2, 3],
            Nhwc::new(1, 1, 2, 2),
            &[1, 1, 1, 1],
            Nhwc::new(2, 1, 1, 2),
            None::<&[i32]>,
            &mut output,
            Nhwc::new(1, 1, 1, 2),
            OutputTile::full(1, 2),
        );
        assert_eq!(result, Err(KernelError::ShapeMismatch));
        assert_eq!(output, [7, 7]);
    }

    #[test]
    fn split_into_tiles_equals_whole() {
        let input_shape = Nhwc::new(2, 5, 4, 3);
        let filter_shape = Nhwc::new(5, 3, 2, 3);
        let output_shape = Nhwc::new(2, 3, 2, 5);
        let input = pseudo_random_i8(input_shape.element_count().unwrap(), 1);
        let filter = pseudo_random_i8(filter_shape.element_count().unwrap(), 2);
        let bias = [100, -2000, 3, 0, 77];
        let multipliers = [
            1 << 30,
            1_500_000_000,
            1_100_000_000,
            2_000_000_000,
            1 << 30,
        ];
        let shifts = [-7, -8, -6, -9, -7];
        let geometry = ConvGeometry {
            stride_height: 2,
            stride_width: 2,
            dilation_height: 1,
            dilation_width: 2,
            pad_top: 1,
            pad_left: 1,
        };
        let q = quant(&multipliers, &shifts, 3, -4);
        let whole = check_tile_split(6, 2, 5, 0i8, |tile, out| {
            conv_2d(
                &geometry,
                &q,
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
    fn sixteen_by_eight_accumulates_in_i64_and_rescales_with_its_overload() {
        // INT16 input 30000 x filter 127 x 4 taps + bias 2^40 overflows i32; the
        // int64 MultiplyByQuantizedMultiplier with 2^-30 (multiplier 2^30, shift
        // -29, reduced to 2^14 and shifted by 44) gives round(acc / 2^30).
        let acc = 4 * 30_000 * 127 + (1i64 << 40);
        let q = quant(&[1 << 30], &[-29], 0, 0);
        let mut q16 = q;
        q16.activation = ActivationRange::full::<i16>();
        let mut output = [0i16; 1];
        conv_2d(
            &unit_geometry(),
            &q16,
            &[30_000i16; 4],
            Nhwc::new(1, 1, 1, 4),
            &[127; 4],
            Nhwc::new(1, 1, 1, 4),
            Some(&[1i64 << 40]),
            &mut output,
            Nhwc::new(1, 1, 1, 1),
            OutputTile::full(1, 1),
        )
        .unwrap();
        let expected = (acc * (1 << 14) + (1 << 43)) >> 44;
        assert_eq!(i64::from(output[0]), expected);
    }

    #[test]
    fn sixteen_by_eight_with_i32_bias_uses_the_i32_rescale() {
        // acc = -6 * 1, multiplier 0.25: the i32 overload rounds -1.5 away from
        // zero to -2 where the i64 one rounds half up to -1.
        let mut q = quant(&[1 << 30], &[-1], 0, 0);
        q.activation = ActivationRange::full::<i16>();
        let mut output = [0i16; 1];
        conv_2d(
            &unit_geometry(),
            &q,
            &[-6i16],
            Nhwc::new(1, 1, 1, 1),
            &[1],
            Nhwc::new(1, 1, 1, 1),
            Some(&[0i32]),
            &mut output,
            Nhwc::new(1, 1, 1, 1),
            OutputTile::full(1, 1),
        )
        .unwrap();
        assert_eq!(output, [-2]);
        conv_2d(
            &unit_geometry(),
            &q,
            &[-6i16],
            Nhwc::new(1, 1, 1, 1),
            &[1],
            Nhwc::new(1, 1, 1, 1),
            Some(&[0i64]),
            &mut output,
            Nhwc::new(1, 1, 1, 1),
            OutputTile::full(1, 1),
        )
        .unwrap();
        assert_eq!(output, [-1]);
    }

    #[test]
    fn activation_range_must_fit_the_output_type() {
        let mut q = quant(&[1 << 30], &[0], 0, 0);
        q.activation = ActivationRange::full::<i16>();
        let mut output = [0i8; 1];
        let result = conv_2d(
            &unit_geometry(),
            &q,
            &[1i8],
            Nhwc::new(1, 1, 1, 1),
            &[1],
            Nhwc::new(1, 1, 1, 1),
            None::<&[i32]>,
            &mut output,
            Nhwc::new(1, 1, 1, 1),
            OutputTile::full(1, 1),
        );
        assert_eq!(result, Err(KernelError::InvalidParameter));
    }

    #[test]
    fn sixteen_by_eight_split_into_tiles_equals_whole() {
        let input_shape = Nhwc::new(1, 5, 4, 3);
        let filter_shape = Nhwc::new(4, 3, 3, 3);
        let output_shape = Nhwc::new(1, 3, 2, 4);
        let input: Vec<i16> = pseudo_random_i8(input_shape.element_count().unwrap(), 3)
            .iter()
            .map(|&v| i16::from(v) * 211)
            .collect();
        let filter = pseudo_random_i8(filter_shape.element_count().unwrap(), 4);
        let bias = [1i64 << 33, -5, 70_000, 0];
        let geometry = ConvGeometry {
            stride_height: 2,
            stride_width: 2,
            pad_top: 1,
            pad_left: 1,
            ..unit_geometry()
        };
        let mut q = quant(
            &[1_300_000_000, 1 << 30, 2_000_000_000, 1 << 30],
            &[-12, -10, -14, -11],
            0,
            0,
        );
        q.activation = ActivationRange::full::<i16>();
        let whole = check_tile_split(3, 2, 4, 0i16, |tile, out| {
            conv_2d(
                &geometry,
                &q,
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
}
