//! FLOAT32 TRANSPOSE_CONV: the float `tflite::reference_ops::TransposeConv`
//! (tensorflow/lite/kernels/internal/reference/transpose_conv.h).
//!
//! TFLM zeroes the output, scatters every input pixel times every filter tap onto it
//! (`+=`, input rows, then columns, then channels), then adds the bias when there is
//! one and clamps. This kernel gathers instead, in the same order: an output element
//! receives input row `in_y` through filter row `out_y + pad - in_y * stride`, so
//! ascending input rows are descending filter rows (columns likewise), and each
//! output sums the very products TFLM adds to it, one at a time from `0.0`.
//!
//! Split axes: output rows (`N*H`) and output channels, via [`OutputTile`].

use super::linear::{check_window_operands, dot_onto};
use super::FloatActivation;
use crate::error::{element, elements, KernelResult};
use crate::shape::Nhwc;
use crate::spatial::for_each_tile_element;
use crate::split::OutputTile;
use crate::transpose_conv::TransposeConvGeometry;

/// Computes the `tile` part of a float TRANSPOSE_CONV output.
///
/// `filter_shape` is `[output_channels, height, width, input_channels]` (OHWI);
/// `bias`, when present, has one value per output channel.
#[allow(clippy::too_many_arguments)]
pub fn transpose_conv(
    geometry: &TransposeConvGeometry,
    activation: FloatActivation,
    input: &[f32],
    input_shape: Nhwc,
    filter: &[f32],
    filter_shape: Nhwc,
    bias: Option<&[f32]>,
    output: &mut [f32],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    check_window_operands(
        (input.len(), input_shape),
        (filter.len(), filter_shape),
        bias,
        (output.len(), output_shape),
        tile,
    )?;
    geometry.check_filter(input_shape, filter_shape, output_shape)?;
    let depth = input_shape.channels;
    for_each_tile_element(
        output,
        output_shape,
        tile,
        |batch, out_y, out_x, out_channel| {
            let mut total = geometry.fold_taps(
                input_shape,
                filter_shape,
                (out_y, out_x),
                0.0f32,
                |total, (filter_y, filter_x), (in_y, in_x)| {
                    Ok(dot_onto(
                        total,
                        elements(input, input_shape.offset(batch, in_y, in_x, 0), depth)?,
                        elements(
                            filter,
                            filter_shape.offset(out_channel, filter_y, filter_x, 0),
                            depth,
                        )?,
                    ))
                },
            )?;
            if let Some(bias) = bias {
                total += element(bias, out_channel)?;
            }
            Ok(activation.apply(total))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_tile_split;
    use crate::transpose_conv::tests::scatter_walk;

    /// TFLM's scatter: every product added onto its output element, then the bias.
    fn scatter(
        geometry: &TransposeConvGeometry,
        input: &[f32],
        input_shape: Nhwc,
        filter: &[f32],
        filter_shape: Nhwc,
        bias: Option<&[f32]>,
        output_shape: Nhwc,
    ) -> Vec<f32> {
        let mut output = vec![0.0f32; output_shape.element_count().unwrap()];
        scatter_walk(
            geometry,
            input_shape,
            filter_shape,
            output_shape,
            |out_at, in_at, filter_at| output[out_at] += input[in_at] * filter[filter_at],
        );
        for (at, value) in output.iter_mut().enumerate() {
            if let Some(bias) = bias {
                *value += bias[at % output_shape.channels];
            }
        }
        output
    }

    fn values(count: usize, seed: u32) -> Vec<f32> {
        // Spread magnitudes, so that the summation order shows in the low bits.
        (0..count)
            .map(|i| {
                let x = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8;
                (x % 2001) as f32 / 1000.0 - 1.0 + (x % 7) as f32 * 1e3
            })
            .collect()
    }

    #[test]
    fn matches_the_scatter_bit_for_bit() {
        let geometry = TransposeConvGeometry {
            stride_height: 2,
            stride_width: 3,
            pad_top: 1,
            pad_left: 2,
        };
        let input_shape = Nhwc::new(2, 3, 4, 5);
        let filter_shape = Nhwc::new(3, 3, 4, 5);
        let output_shape = Nhwc::new(2, 6, 10, 3);
        let input = values(input_shape.element_count().unwrap(), 1);
        let filter = values(filter_shape.element_count().unwrap(), 2);
        let bias = [0.5f32, -1.25, 3.0];
        for bias in [None, Some(&bias[..])] {
            let expected = scatter(
                &geometry,
                &input,
                input_shape,
                &filter,
                filter_shape,
                bias,
                output_shape,
            );
            let actual = check_tile_split(12, 10, 3, -7.0f32, |tile, out| {
                transpose_conv(
                    &geometry,
                    FloatActivation::NONE,
                    &input,
                    input_shape,
                    &filter,
                    filter_shape,
                    bias,
                    out,
                    output_shape,
                    tile,
                )
                .unwrap()
            });
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&actual), bits(&expected));
        }
    }

    #[test]
    fn inconsistent_operands_are_errors() {
        let geometry = TransposeConvGeometry {
            stride_height: 0,
            stride_width: 1,
            pad_top: 0,
            pad_left: 0,
        };
        let shape = Nhwc::new(1, 2, 2, 1);
        let mut out = [0.0f32; 4];
        let tile = OutputTile::full(2, 1);
        let run = |filter: &[f32], out: &mut [f32]| {
            transpose_conv(
                &geometry,
                FloatActivation::NONE,
                &[1.0; 4],
                shape,
                filter,
                Nhwc::new(1, 1, 1, 1),
                None,
                out,
                shape,
                tile,
            )
        };
        assert!(run(&[1.0], &mut out).is_err());
        assert!(run(&[], &mut out).is_err());
    }
}
