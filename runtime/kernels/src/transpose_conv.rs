//! TRANSPOSE_CONV: int8 activations with int32 bias, and 16x8 (int16 activations)
//! with int64 bias, int8 per-channel or per-tensor filters.
//!
//! Mirrors `reference_integer_ops::TransposeConv`
//! (tensorflow/lite/kernels/internal/reference/integer_ops/transpose_conv.h) as
//! dispatched by tensorflow/lite/micro/kernels/transpose_conv.cc. TFLM scatters
//! every input pixel times the filter into a scratch accumulator as large as the
//! output, then requantizes it. This kernel gathers instead: each output element
//! sums exactly the (input pixel, filter tap) products TFLM scatters onto it, in
//! the accumulator type, where wrapping addition is order-independent, so the
//! sums and outputs are identical, no scratch is needed, and any part of the
//! output can be computed on its own.
//!
//! Split axes: output rows (`N*H`) and output channels, via [`OutputTile`].

use crate::accumulator::Accumulator;
use crate::conv::LinearQuantParams;
use crate::element::QuantElement;
use crate::error::{elements, expect_len, KernelError, KernelResult};
use crate::shape::Nhwc;
use crate::spatial::{check_feature_maps, for_each_tile_element};
use crate::split::OutputTile;

/// Strides and padding of a TRANSPOSE_CONV (TFLM `ConvParams`; dilation is 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransposeConvGeometry {
    /// `stride_height`: output rows per input row.
    pub stride_height: usize,
    /// `stride_width`.
    pub stride_width: usize,
    /// `padding_values.height`: output rows the scattered window starts above 0
    /// (`ComputePaddingHeightWidth` over the output size).
    pub pad_top: usize,
    /// `padding_values.width`.
    pub pad_left: usize,
}

impl TransposeConvGeometry {
    /// Checks what both the integer and the float kernel need beyond the feature
    /// maps: an OHWI filter from the input's channels to the output's, and
    /// non-zero strides.
    pub(crate) fn check_filter(
        &self,
        input_shape: Nhwc,
        filter_shape: Nhwc,
        output_shape: Nhwc,
    ) -> KernelResult {
        expect_len(filter_shape.batches, output_shape.channels)?;
        expect_len(filter_shape.channels, input_shape.channels)?;
        if self.stride_height == 0 || self.stride_width == 0 {
            return Err(KernelError::InvalidParameter);
        }
        Ok(())
    }

    /// Folds `step` over the filter taps that TFLM's scatter lands on output
    /// pixel `(out_y, out_x)`, passing each tap `(filter_y, filter_x)` with the
    /// input pixel `(in_y, in_x)` it multiplies. Filter rows, then columns, run
    /// from last to first, so input rows, then columns, ascend: the order in
    /// which the scatter adds them (which the float kernel must keep).
    pub(crate) fn fold_taps<S>(
        &self,
        input_shape: Nhwc,
        filter_shape: Nhwc,
        (out_y, out_x): (usize, usize),
        init: S,
        mut step: impl FnMut(S, (usize, usize), (usize, usize)) -> Result<S, KernelError>,
    ) -> Result<S, KernelError> {
        let mut state = init;
        for filter_y in (0..filter_shape.height).rev() {
            let Some(in_y) = source(
                out_y,
                filter_y,
                self.pad_top,
                self.stride_height,
                input_shape.height,
            ) else {
                continue;
            };
            for filter_x in (0..filter_shape.width).rev() {
                let Some(in_x) = source(
                    out_x,
                    filter_x,
                    self.pad_left,
                    self.stride_width,
                    input_shape.width,
                ) else {
                    continue;
                };
                state = step(state, (filter_y, filter_x), (in_y, in_x))?;
            }
        }
        Ok(state)
    }
}

/// The input coordinate whose filter tap `tap` lands on output coordinate `out`
/// (`out = in * stride - pad + tap`), if there is one inside the input.
fn source(out: usize, tap: usize, pad: usize, stride: usize, input_len: usize) -> Option<usize> {
    let scaled = out.checked_add(pad)?.checked_sub(tap)?;
    let input = scaled.checked_div(stride)?;
    (scaled.checked_rem(stride)? == 0 && input < input_len).then_some(input)
}

/// Computes the `tile` part of a TRANSPOSE_CONV output.
///
/// `filter_shape` is `[output_channels, height, width, input_channels]` (OHWI);
/// `bias`, when present, has one accumulator-typed value per output channel.
#[allow(clippy::too_many_arguments)]
pub fn transpose_conv<T: QuantElement, A: Accumulator>(
    geometry: &TransposeConvGeometry,
    quant: &LinearQuantParams,
    input: &[T],
    input_shape: Nhwc,
    filter: &[i8],
    filter_shape: Nhwc,
    bias: Option<&[A]>,
    output: &mut [T],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    check_feature_maps(input.len(), input_shape, output.len(), output_shape, tile)?;
    expect_len(filter.len(), filter_shape.element_count()?)?;
    quant.check::<T, A>(bias, output_shape.channels)?;
    geometry.check_filter(input_shape, filter_shape, output_shape)?;
    let depth = input_shape.channels;
    for_each_tile_element(
        output,
        output_shape,
        tile,
        |batch, out_y, out_x, out_channel| {
            // Wrapping accumulation makes the order of the taps immaterial here.
            let acc = geometry.fold_taps(
                input_shape,
                filter_shape,
                (out_y, out_x),
                A::ZERO,
                |acc, (filter_y, filter_x), (in_y, in_x)| {
                    let input_base = input_shape.offset(batch, in_y, in_x, 0);
                    let filter_base = filter_shape.offset(out_channel, filter_y, filter_x, 0);
                    Ok(elements(filter, filter_base, depth)?
                        .iter()
                        .zip(elements(input, input_base, depth)?)
                        .fold(acc, |acc, (&w, &x)| quant.accumulate(acc, w, x)))
                },
            )?;
            Ok(quant.finish(acc, bias, out_channel))
        },
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::conv::tests::quant;
    use crate::quant::{ActivationRange, QuantizedMultiplier};
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    /// TFLM's scatter order, literally: `add(output_at, input_at, filter_at)` for every
    /// input pixel and channel times every filter tap and output channel that lands
    /// inside the output.
    pub(crate) fn scatter_walk(
        geometry: &TransposeConvGeometry,
        input_shape: Nhwc,
        filter_shape: Nhwc,
        output_shape: Nhwc,
        mut add: impl FnMut(usize, usize, usize),
    ) {
        for batch in 0..input_shape.batches {
            for in_y in 0..input_shape.height {
                for in_x in 0..input_shape.width {
                    for c in 0..input_shape.channels {
                        for fy in 0..filter_shape.height {
                            for fx in 0..filter_shape.width {
                                for oc in 0..output_shape.channels {
                                    let out_y = (in_y * geometry.stride_height + fy) as isize
                                        - geometry.pad_top as isize;
                                    let out_x = (in_x * geometry.stride_width + fx) as isize
                                        - geometry.pad_left as isize;
                                    if out_y < 0
                                        || out_x < 0
                                        || out_y >= output_shape.height as isize
                                        || out_x >= output_shape.width as isize
                                    {
                                        continue;
                                    }
                                    add(
                                        output_shape.offset(
                                            batch,
                                            out_y as usize,
                                            out_x as usize,
                                            oc,
                                        ),
                                        input_shape.offset(batch, in_y, in_x, c),
                                        filter_shape.offset(oc, fy, fx, c),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// TFLM's scatter: every input pixel times every tap added into an accumulator
    /// per output element, then requantized.
    #[allow(clippy::too_many_arguments)]
    fn scatter<T: QuantElement, A: Accumulator>(
        geometry: &TransposeConvGeometry,
        quant: &LinearQuantParams,
        input: &[T],
        input_shape: Nhwc,
        filter: &[i8],
        filter_shape: Nhwc,
        bias: Option<&[A]>,
        output_shape: Nhwc,
    ) -> Vec<T> {
        let mut sums = vec![A::ZERO; output_shape.element_count().unwrap()];
        scatter_walk(
            geometry,
            input_shape,
            filter_shape,
            output_shape,
            |out_at, in_at, filter_at| {
                sums[out_at] = quant.accumulate(sums[out_at], filter[filter_at], input[in_at]);
            },
        );
        sums.iter()
            .enumerate()
            .map(|(i, &acc)| quant.finish(acc, bias, i % output_shape.channels))
            .collect()
    }

    #[test]
    fn one_pixel_stride_two_places_the_filter() {
        // A 1x1 input of 3 (offset 0) scatters the 2x2 filter [1, 2, 3, 4] times 3
        // onto the top-left of a 2x2 output.
        let q = quant(
            &[QuantizedMultiplier::ONE.multiplier],
            &[QuantizedMultiplier::ONE.shift],
            0,
            0,
        );
        let geometry = TransposeConvGeometry {
            stride_height: 2,
            stride_width: 2,
            pad_top: 0,
            pad_left: 0,
        };
        let mut output = [0i8; 4];
        transpose_conv(
            &geometry,
            &q,
            &[3i8],
            Nhwc::new(1, 1, 1, 1),
            &[1, 2, 3, 4],
            Nhwc::new(1, 2, 2, 1),
            None::<&[i32]>,
            &mut output,
            Nhwc::new(1, 2, 2, 1),
            OutputTile::full(2, 1),
        )
        .unwrap();
        assert_eq!(output, [3, 6, 9, 12]);
    }

    #[test]
    fn gather_equals_scatter_int8_and_16x8() {
        let input_shape = Nhwc::new(2, 3, 4, 3);
        let filter_shape = Nhwc::new(5, 3, 3, 3);
        let output_shape = Nhwc::new(2, 6, 8, 5);
        let input = pseudo_random_i8(input_shape.element_count().unwrap(), 7);
        let wide: Vec<i16> = input.iter().map(|&v| i16::from(v) * 173).collect();
        let filter = pseudo_random_i8(filter_shape.element_count().unwrap(), 8);
        let multipliers = [
            1 << 30,
            1_500_000_000,
            1_100_000_000,
            2_000_000_000,
            1 << 30,
        ];
        let geometry = TransposeConvGeometry {
            stride_height: 2,
            stride_width: 2,
            pad_top: 1,
            pad_left: 0,
        };
        let q8 = quant(&multipliers, &[-7, -8, -6, -9, -7], 3, -4);
        let bias8 = [100, -2000, 3, 0, 77];
        let expected8 = scatter(
            &geometry,
            &q8,
            &input,
            input_shape,
            &filter,
            filter_shape,
            Some(&bias8[..]),
            output_shape,
        );
        let rows = output_shape.rows();
        let whole8 = check_tile_split(rows, output_shape.width, 5, 0i8, |tile, out| {
            transpose_conv(
                &geometry,
                &q8,
                &input,
                input_shape,
                &filter,
                filter_shape,
                Some(&bias8),
                out,
                output_shape,
                tile,
            )
            .unwrap()
        });
        assert_eq!(whole8, expected8);

        let mut q16 = quant(&multipliers, &[-12, -13, -11, -14, -12], 0, 0);
        q16.activation = ActivationRange::full::<i16>();
        let bias16 = [1i64 << 35, -5, 70_000, 0, -1];
        let expected16 = scatter(
            &geometry,
            &q16,
            &wide,
            input_shape,
            &filter,
            filter_shape,
            Some(&bias16[..]),
            output_shape,
        );
        let whole16 = check_tile_split(rows, output_shape.width, 5, 0i16, |tile, out| {
            transpose_conv(
                &geometry,
                &q16,
                &wide,
                input_shape,
                &filter,
                filter_shape,
                Some(&bias16),
                out,
                output_shape,
                tile,
            )
            .unwrap()
        });
        assert_eq!(whole16, expected16);
        assert!(whole16.iter().any(|&v| v != 0));
    }

    #[test]
    fn zero_stride_and_mismatched_filters_are_rejected() {
        let q = quant(&[1 << 30], &[0], 0, 0);
        let geometry = TransposeConvGeometry {
            stride_height: 0,
            stride_width: 1,
            pad_top: 0,
            pad_left: 0,
        };
        let mut output = [0i8; 1];
        let call = |geometry: &TransposeConvGeometry, filter_shape: Nhwc, output: &mut [i8]| {
            transpose_conv(
                geometry,
                &q,
                &[1i8],
                Nhwc::new(1, 1, 1, 1),
                &[1],
                filter_shape,
                None::<&[i32]>,
                output,
                Nhwc::new(1, 1, 1, 1),
                OutputTile::full(1, 1),
            )
        };
        assert_eq!(
            call(&geometry, Nhwc::new(1, 1, 1, 1), &mut output),
            Err(KernelError::InvalidParameter)
        );
        let geometry = TransposeConvGeometry {
            stride_height: 1,
            ..geometry
        };
        assert_eq!(
            call(&geometry, Nhwc::new(1, 1, 1, 2), &mut output),
            Err(KernelError::ShapeMismatch)
        );
    }
}
