//! FLOAT32 AVERAGE_POOL_2D, MAX_POOL_2D and L2_POOL_2D.
//!
//! Mirrors the float `tflite::reference_ops::AveragePool`, `MaxPool` and `L2Pool`
//! (tensorflow/lite/kernels/internal/reference/pooling.h): the window is clipped to
//! the input, summed (or maximised from `f32::MIN`) row by row, averaged by dividing by
//! the tap count, and clamped.
//!
//! Split axes: output rows (`N*H`) and channels.

use super::{math, FloatActivation};
use crate::error::{element, expect_len, KernelError, KernelResult};
use crate::shape::Nhwc;
use crate::spatial::{
    check_feature_maps, clipped_window, every_window_has_taps, for_each_tile_element, PoolWindow,
};
use crate::split::OutputTile;

/// TFLM `PoolParams` of a float pool.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatPoolParams {
    /// `stride_height`.
    pub stride_height: usize,
    /// `stride_width`.
    pub stride_width: usize,
    /// `filter_height`.
    pub filter_height: usize,
    /// `filter_width`.
    pub filter_width: usize,
    /// `padding_values.height`.
    pub pad_top: usize,
    /// `padding_values.width`.
    pub pad_left: usize,
    /// `float_activation_min/max`.
    pub activation: FloatActivation,
}

/// How a pool reduces its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatPoolKind {
    /// Sum divided by the tap count.
    Average,
    /// Largest value (`std::max` from `lowest()`).
    Max,
    /// `sqrt(sum of squares / tap count)`.
    L2,
}

/// Computes the `tile` part of a float pool's output. Like TFLM, a window with no tap
/// inside the input fails the whole operator (before anything is written).
pub fn pool_2d(
    kind: FloatPoolKind,
    params: &FloatPoolParams,
    input: &[f32],
    input_shape: Nhwc,
    output: &mut [f32],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    check_feature_maps(input.len(), input_shape, output.len(), output_shape, tile)?;
    expect_len(input_shape.channels, output_shape.channels)?;
    let window = PoolWindow {
        stride: (params.stride_height, params.stride_width),
        filter: (params.filter_height, params.filter_width),
        pad: (params.pad_top, params.pad_left),
    };
    let (y_axis, x_axis) = window.axes(input_shape, output_shape)?;
    if !every_window_has_taps(&y_axis, &x_axis, output_shape) {
        return Err(KernelError::InvalidParameter);
    }
    for_each_tile_element(
        output,
        output_shape,
        tile,
        |batch, out_y, out_x, channel| {
            let (taps, count) = clipped_window(&y_axis, &x_axis, (out_y, out_x));
            let count = count as f32;
            let mut total = match kind {
                FloatPoolKind::Max => f32::MIN,
                FloatPoolKind::Average | FloatPoolKind::L2 => 0.0,
            };
            for (in_y, in_x) in taps {
                let value = element(input, input_shape.offset(batch, in_y, in_x, channel))?;
                total = match kind {
                    FloatPoolKind::Average => total + value,
                    FloatPoolKind::Max => {
                        if total < value {
                            value
                        } else {
                            total
                        }
                    }
                    FloatPoolKind::L2 => total + value * value,
                };
            }
            let pooled = match kind {
                FloatPoolKind::Average => total / count,
                FloatPoolKind::Max => total,
                FloatPoolKind::L2 => math::sqrt(total / count),
            };
            Ok(params.activation.apply(pooled))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(filter: usize, stride: usize, pad: usize) -> FloatPoolParams {
        FloatPoolParams {
            stride_height: stride,
            stride_width: stride,
            filter_height: filter,
            filter_width: filter,
            pad_top: pad,
            pad_left: pad,
            activation: FloatActivation::NONE,
        }
    }

    #[test]
    fn pools_clip_the_window() {
        let input = [1.0f32, 2.0, 3.0, 4.0];
        let shape = Nhwc::new(1, 2, 2, 1);
        for (kind, expected) in [
            (FloatPoolKind::Average, [2.5f32, 3.0, 3.5, 4.0]),
            (FloatPoolKind::Max, [4.0, 4.0, 4.0, 4.0]),
            (
                FloatPoolKind::L2,
                [math::sqrt(7.5), math::sqrt(10.0), math::sqrt(12.5), 4.0],
            ),
        ] {
            let mut out = [0.0f32; 4];
            pool_2d(
                kind,
                &params(2, 1, 0),
                &input,
                shape,
                &mut out,
                shape,
                OutputTile::full(2, 1),
            )
            .unwrap();
            assert_eq!(out, expected, "{kind:?}");
        }
    }

    #[test]
    fn window_outside_the_input_is_rejected() {
        let mut out = [0.0f32; 4];
        let shape = Nhwc::new(1, 2, 2, 1);
        assert_eq!(
            pool_2d(
                FloatPoolKind::Max,
                &params(1, 1, 3),
                &[0.0; 4],
                shape,
                &mut out,
                shape,
                OutputTile::full(2, 1)
            ),
            Err(KernelError::InvalidParameter)
        );
    }
}
