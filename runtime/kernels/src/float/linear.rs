//! FLOAT32 CONV_2D (grouped, dilated), DEPTHWISE_CONV_2D, FULLY_CONNECTED and
//! BATCH_MATMUL.
//!
//! Mirrors the float `tflite::reference_ops::Conv`, `DepthwiseConv` and
//! `FullyConnected` (tensorflow/lite/kernels/internal/reference/conv.h,
//! depthwiseconv_float.h, fully_connected.h) and `BatchMatMul` (batch_matmul.h): each output sums its products in
//! window order (filter row, filter column, input channel) starting from `0.0`, skips
//! taps outside the input, then adds the bias (`0.0` without one) and clamps.
//!
//! Split axes: output rows (`N*H`, or FULLY_CONNECTED's batch rows) and channels;
//! BATCH_MATMUL: flat output elements.

use core::num::NonZeroUsize;

use super::FloatActivation;
use crate::conv::{ConvGeometry, ConvLayout};
use crate::depthwise_conv::depthwise_axes;
use crate::error::{element, elements, expect_len, KernelError, KernelResult};
use crate::fully_connected::FullyConnectedDims;
use crate::shape::{Nhwc, Shape};
use crate::spatial::{check_feature_maps, fold_window, for_each_tile_element};
use crate::split::{OutputTile, SplitRange};

/// `total + sum(a[i] * b[i])`, one product at a time.
pub(crate) fn dot_onto(total: f32, a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).fold(total, |sum, (x, w)| sum + x * w)
}

pub(crate) fn bias_at(bias: Option<&[f32]>, channel: usize) -> f32 {
    bias.and_then(|b| b.get(channel).copied()).unwrap_or(0.0)
}

fn check_bias(bias: Option<&[f32]>, channels: usize) -> KernelResult {
    bias.map_or(Ok(()), |b| expect_len(b.len(), channels))
}

/// The checks both convolutions share: feature maps and tile, the filter's length, one
/// bias per output channel.
pub(crate) fn check_window_operands(
    (input_len, input_shape): (usize, Nhwc),
    (filter_len, filter_shape): (usize, Nhwc),
    bias: Option<&[f32]>,
    (output_len, output_shape): (usize, Nhwc),
    tile: OutputTile,
) -> KernelResult {
    check_feature_maps(input_len, input_shape, output_len, output_shape, tile)?;
    expect_len(filter_len, filter_shape.element_count()?)?;
    check_bias(bias, output_shape.channels)
}

/// Computes the `tile` part of a float CONV_2D output.
///
/// `filter_shape` is `[output_channels, height, width, input_channels / groups]`.
#[allow(clippy::too_many_arguments)]
pub fn conv_2d(
    geometry: &ConvGeometry,
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
    let layout = ConvLayout::grouped(geometry, input_shape, filter_shape, output_shape)?;
    let depth = layout.filter_depth;
    for_each_tile_element(
        output,
        output_shape,
        tile,
        |batch, out_y, out_x, channel| {
            let first_input = layout.first_input_channel(channel)?;
            let total = fold_window(
                &layout.y_axis,
                &layout.x_axis,
                (out_y, out_x),
                0.0f32,
                |total, (filter_y, filter_x), (in_y, in_x)| {
                    let inputs = input_shape.offset(batch, in_y, in_x, first_input);
                    let weights = filter_shape.offset(channel, filter_y, filter_x, 0);
                    Ok(dot_onto(
                        total,
                        elements(input, inputs, depth)?,
                        elements(filter, weights, depth)?,
                    ))
                },
            )?;
            Ok(activation.apply(total + bias_at(bias, channel)))
        },
    )
}

/// Computes the `tile` part of a float DEPTHWISE_CONV_2D output: output channel
/// `c * depth_multiplier + m` filters input channel `c`; `filter_shape` is
/// `[1, height, width, output_channels]`.
#[allow(clippy::too_many_arguments)]
pub fn depthwise_conv_2d(
    geometry: &ConvGeometry,
    depth_multiplier: usize,
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
    let (y_axis, x_axis) = depthwise_axes(
        geometry,
        depth_multiplier,
        input_shape,
        filter_shape,
        output_shape,
    )?;
    for_each_tile_element(
        output,
        output_shape,
        tile,
        |batch, out_y, out_x, channel| {
            let input_channel = channel
                .checked_div(depth_multiplier)
                .ok_or(KernelError::ShapeMismatch)?;
            let total = fold_window(
                &y_axis,
                &x_axis,
                (out_y, out_x),
                0.0f32,
                |total, (filter_y, filter_x), (in_y, in_x)| {
                    Ok(total
                        + element(input, input_shape.offset(batch, in_y, in_x, input_channel))?
                            * element(filter, filter_shape.offset(0, filter_y, filter_x, channel))?)
                },
            )?;
            Ok(activation.apply(total + bias_at(bias, channel)))
        },
    )
}

/// Computes the `tile` part of a float FULLY_CONNECTED output: `input` is
/// `batches x input_depth`, `filter` `output_depth x input_depth`, `output`
/// `batches x output_depth`.
pub fn fully_connected(
    activation: FloatActivation,
    dims: FullyConnectedDims,
    input: &[f32],
    filter: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
    tile: OutputTile,
) -> KernelResult {
    let depth = dims.input_depth;
    let size = |rows: usize| rows.checked_mul(depth).ok_or(KernelError::InvalidParameter);
    expect_len(input.len(), size(dims.batches)?)?;
    expect_len(filter.len(), size(dims.output_depth)?)?;
    expect_len(
        output.len(),
        dims.batches
            .checked_mul(dims.output_depth)
            .ok_or(KernelError::InvalidParameter)?,
    )?;
    check_bias(bias, dims.output_depth)?;
    tile.check_within(dims.batches, dims.output_depth)?;
    for batch in tile.rows.indices() {
        let row = elements(input, batch.wrapping_mul(depth), depth)?;
        for unit in tile.channels.indices() {
            let weights = elements(filter, unit.wrapping_mul(depth), depth)?;
            let total = dot_onto(0.0, row, weights);
            let out = output
                .get_mut(batch.wrapping_mul(dims.output_depth).wrapping_add(unit))
                .ok_or(KernelError::RangeOutOfBounds)?;
            *out = activation.apply(total + bias_at(bias, unit));
        }
    }
    Ok(())
}

/// Computes the `range` part of a float BATCH_MATMUL: `output[.., i, j]` is the sum over
/// `k` of `lhs[.., i, k] * rhs[.., k, j]` (`adj_x` / `adj_y`: that operand's last two
/// axes transposed), batch axes broadcast. All three shapes have the output's rank.
#[allow(clippy::too_many_arguments)]
pub fn batch_matmul(
    adj_x: bool,
    adj_y: bool,
    lhs: &[f32],
    lhs_shape: &Shape,
    rhs: &[f32],
    rhs_shape: &Shape,
    output: &mut [f32],
    output_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    let (lhs_dims, rhs_dims, out_dims) = (lhs_shape.dims(), rhs_shape.dims(), output_shape.dims());
    let rank = out_dims.len();
    if rank < 2 || lhs_dims.len() != rank || rhs_dims.len() != rank {
        return Err(KernelError::ShapeMismatch);
    }
    expect_len(lhs.len(), lhs_shape.element_count()?)?;
    expect_len(rhs.len(), rhs_shape.element_count()?)?;
    expect_len(output.len(), output_shape.element_count()?)?;
    range.check_within(output.len())?;
    let batch_axes = rank - 2;
    // Each operand's matrix (rows, columns) as multiplied: its last two axes, swapped by
    // its adjoint flag.
    let matrix = |dims: &[usize], adjoint: bool| match dims.get(batch_axes..) {
        Some(&[a, b]) if adjoint => Ok((b, a)),
        Some(&[a, b]) => Ok((a, b)),
        _ => Err(KernelError::ShapeMismatch),
    };
    let (rows, depth) = matrix(lhs_dims, adj_x)?;
    let (rhs_depth, cols) = matrix(rhs_dims, adj_y)?;
    let broadcasts = |dims: &[usize]| {
        dims.iter()
            .zip(out_dims)
            .take(batch_axes)
            .all(|(&dim, &out)| dim == out || dim == 1)
    };
    if (rows, cols) != matrix(out_dims, false)?
        || depth != rhs_depth
        || !broadcasts(lhs_dims)
        || !broadcasts(rhs_dims)
    {
        return Err(KernelError::ShapeMismatch);
    }
    let (Some(nonzero_rows), Some(nonzero_cols)) =
        (NonZeroUsize::new(rows), NonZeroUsize::new(cols))
    else {
        // No output element to compute (`range` is within the empty output).
        return Ok(());
    };
    let matrix_len = nonzero_rows
        .checked_mul(nonzero_cols)
        .ok_or(KernelError::InvalidParameter)?;
    let batch_dims = || {
        out_dims
            .iter()
            .zip(lhs_dims)
            .zip(rhs_dims)
            .take(batch_axes)
            .rev()
    };
    for index in range.indices() {
        let (mut batch, i, j) = (
            index / matrix_len,
            index / nonzero_cols % nonzero_rows,
            index % nonzero_cols,
        );
        // The batch's first element in each operand (broadcast axes do not advance).
        let (mut lhs_base, mut rhs_base) = (0, 0);
        let (mut lhs_step, mut rhs_step) = (rows * depth, depth * cols);
        for ((&out, &lhs_dim), &rhs_dim) in batch_dims() {
            let out = NonZeroUsize::new(out).ok_or(KernelError::ShapeMismatch)?;
            let coordinate = batch % out;
            batch /= out;
            if lhs_dim != 1 {
                lhs_base += coordinate * lhs_step;
            }
            if rhs_dim != 1 {
                rhs_base += coordinate * rhs_step;
            }
            lhs_step *= lhs_dim;
            rhs_step *= rhs_dim;
        }
        let mut total = 0.0f32;
        for k in 0..depth {
            let a = if adj_x {
                lhs_base + k * rows + i
            } else {
                lhs_base + i * depth + k
            };
            let b = if adj_y {
                rhs_base + j * depth + k
            } else {
                rhs_base + k * cols + j
            };
            let (Some(&a), Some(&b)) = (lhs.get(a), rhs.get(b)) else {
                return Err(KernelError::ShapeMismatch);
            };
            total += a * b;
        }
        let out = output.get_mut(index).ok_or(KernelError::RangeOutOfBounds)?;
        *out = total;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_tile_split;

    fn unit_geometry(dilation: usize, pad: usize) -> ConvGeometry {
        ConvGeometry {
            stride_height: 1,
            stride_width: 1,
            dilation_height: dilation,
            dilation_width: dilation,
            pad_top: pad,
            pad_left: pad,
        }
    }

    #[test]
    fn conv_sums_window_then_adds_bias() {
        // 1x3x3x1 input 1..9, one 2x2 filter of ones, dilation 2, pad 1: output 1x2x2x1
        // (SAME-like): out(0,0) reads (1,1) only -> 5, out(0,1) (1,0),(1,2)... as below.
        let input: Vec<f32> = (1..=9).map(|v| v as f32).collect();
        let filter = [1.0f32; 4];
        let output = check_tile_split(2, 2, 1, f32::NAN.to_bits(), |tile, out_bits| {
            let mut out = [0.0f32; 4];
            for (o, b) in out.iter_mut().zip(out_bits.iter()) {
                *o = f32::from_bits(*b);
            }
            conv_2d(
                &unit_geometry(2, 1),
                FloatActivation::NONE,
                &input,
                Nhwc::new(1, 3, 3, 1),
                &filter,
                Nhwc::new(1, 2, 2, 1),
                Some(&[0.5]),
                &mut out,
                Nhwc::new(1, 2, 2, 1),
                tile,
            )
            .unwrap();
            for (b, o) in out_bits.iter_mut().zip(out.iter()) {
                *b = o.to_bits();
            }
        });
        let values: Vec<f32> = output.into_iter().map(f32::from_bits).collect();
        // Taps at input rows/cols -1 and 1 (out 0) or 0 and 2 (out 1).
        assert_eq!(
            values,
            [
                5.5,
                4.0 + 6.0 + 0.5,
                2.0 + 8.0 + 0.5,
                1.0 + 3.0 + 7.0 + 9.0 + 0.5
            ]
        );
    }

    #[test]
    fn depthwise_multiplies_channels() {
        let mut out = [0.0f32; 4];
        depthwise_conv_2d(
            &unit_geometry(1, 0),
            2,
            FloatActivation { min: 0.0, max: 6.0 },
            &[1.0, 2.0],
            Nhwc::new(1, 1, 1, 2),
            &[1.0, -1.0, 10.0, 0.5],
            Nhwc::new(1, 1, 1, 4),
            None,
            &mut out,
            Nhwc::new(1, 1, 1, 4),
            OutputTile::full(1, 4),
        )
        .unwrap();
        assert_eq!(out, [1.0, 0.0, 6.0, 1.0]);
    }

    #[test]
    fn batch_matmul_broadcasts_and_transposes() {
        // lhs [2, 2, 3] (two batches), rhs [1, 3, 2] shared; adj_y: rhs given as [1, 2, 3].
        let lhs: Vec<f32> = (1..=12).map(|v| v as f32).collect();
        let rhs_t = [1.0f32, 0.0, 2.0, 0.0, 1.0, -1.0];
        let mut out = [0.0f32; 8];
        batch_matmul(
            false,
            true,
            &lhs,
            &Shape::new(&[2, 2, 3]).unwrap(),
            &rhs_t,
            &Shape::new(&[1, 2, 3]).unwrap(),
            &mut out,
            &Shape::new(&[2, 2, 2]).unwrap(),
            SplitRange::full(8),
        )
        .unwrap();
        // Row [1, 2, 3]: column [1, 0, 2] -> 7, column [0, 1, -1] -> -1.
        assert_eq!(out, [7.0, -1.0, 16.0, -1.0, 25.0, -1.0, 34.0, -1.0]);
    }

    #[test]
    fn fully_connected_sums_each_row() {
        let mut out = [1.0f32; 2];
        fully_connected(
            FloatActivation::NONE,
            FullyConnectedDims {
                batches: 1,
                input_depth: 2,
                output_depth: 2,
            },
            &[-0.0, 1.0],
            &[1.0, -0.0, 2.0, 3.0],
            None,
            &mut out,
            OutputTile::full(1, 2),
        )
        .unwrap();
        assert_eq!(out[0].to_bits(), 0.0f32.to_bits());
        assert_eq!(out[1], 3.0);
    }
}
