//! AVERAGE_POOL_2D and MAX_POOL_2D for INT8 and INT16.
//!
//! Mirrors `tflite::reference_integer_ops::AveragePool` / `MaxPool`
//! (tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h) as dispatched by
//! tensorflow/lite/micro/kernels/pooling.cc. Input and output share quantization, so
//! no requantization happens; only the fused activation clamps.
//!
//! Split axes: output rows (`N*H`) and channels, via [`OutputTile`].

use crate::element::QuantElement;
use crate::error::{KernelError, KernelResult};
use crate::quant::ActivationRange;
use crate::shape::Nhwc;
use crate::spatial::{
    check_feature_maps, clipped_window, every_window_has_taps, for_each_tile_element, PoolWindow,
    WindowAxis,
};
use crate::split::OutputTile;

/// TFLM `PoolParams`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolParams {
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
    /// `quantized_activation_min/max` (`CalculateActivationRangeQuantized`).
    pub activation: ActivationRange,
}

impl PoolParams {
    pub(crate) fn axes(
        &self,
        input: Nhwc,
        output: Nhwc,
    ) -> Result<(WindowAxis, WindowAxis), KernelError> {
        let window = PoolWindow {
            stride: (self.stride_height, self.stride_width),
            filter: (self.filter_height, self.filter_width),
            pad: (self.pad_top, self.pad_left),
        };
        window.axes(input, output)
    }
}

/// Which reduction a pool applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PoolKind {
    Average,
    Max,
}

/// Checks a pool's tensors and tile and returns its window axes, failing as TFLM
/// does: an average pool fails if some window has no tap inside the input.
pub(crate) fn checked_pool_axes(
    kind: PoolKind,
    params: &PoolParams,
    (input_len, input_shape): (usize, Nhwc),
    (output_len, output_shape): (usize, Nhwc),
    tile: OutputTile,
) -> Result<(WindowAxis, WindowAxis), KernelError> {
    if kind == PoolKind::Average {
        let (y_axis, x_axis) = params.axes(input_shape, output_shape)?;
        if !every_window_has_taps(&y_axis, &x_axis, output_shape) {
            return Err(KernelError::InvalidParameter);
        }
    }
    check_feature_maps(input_len, input_shape, output_len, output_shape, tile)?;
    crate::error::expect_len(input_shape.channels, output_shape.channels)?;
    params.axes(input_shape, output_shape)
}

/// TFLM's average of `count` taps summing to `sum`: divided rounding half away from
/// zero (`count` is positive).
#[inline]
pub(crate) fn rounded_average(sum: i32, count: i32) -> i32 {
    // checked_div: `count` is positive, but only the caller's check shows it (no panic path).
    let half = count / 2;
    let rounded = if sum > 0 {
        sum.wrapping_add(half)
    } else {
        sum.wrapping_sub(half)
    };
    rounded.checked_div(count).unwrap_or(0)
}

/// Runs `reduce` over the clipped window of every output element in `tile`.
#[allow(clippy::too_many_arguments)]
fn pool<T: QuantElement>(
    kind: PoolKind,
    params: &PoolParams,
    input: &[T],
    input_shape: Nhwc,
    output: &mut [T],
    output_shape: Nhwc,
    tile: OutputTile,
    reduce: impl Fn(&mut dyn Iterator<Item = T>) -> i32,
) -> KernelResult {
    let (y_axis, x_axis) = checked_pool_axes(
        kind,
        params,
        (input.len(), input_shape),
        (output.len(), output_shape),
        tile,
    )?;
    for_each_tile_element(
        output,
        output_shape,
        tile,
        |batch, out_y, out_x, channel| {
            let (taps, _) = clipped_window(&y_axis, &x_axis, (out_y, out_x));
            let mut window = taps.map(|(in_y, in_x)| {
                // `clipped_window` keeps every tap inside the validated input.
                input
                    .get(input_shape.offset(batch, in_y, in_x, channel))
                    .copied()
                    .unwrap_or(T::saturate(T::MIN))
            });
            Ok(T::saturate(params.activation.apply(reduce(&mut window))))
        },
    )
}

/// Computes the `tile` part of an AVERAGE_POOL_2D output.
///
/// The sum of the in-image taps is divided by their count, rounding half away from
/// zero (`(sum ± count/2) / count`). Padded taps are excluded from the count. TFLM
/// fails the whole op if some window has no tap inside the input; so does this
/// function (with [`KernelError::InvalidParameter`], before writing anything).
pub fn average_pool_2d<T: QuantElement>(
    params: &PoolParams,
    input: &[T],
    input_shape: Nhwc,
    output: &mut [T],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    pool(
        PoolKind::Average,
        params,
        input,
        input_shape,
        output,
        output_shape,
        tile,
        |window| {
            let (sum, count) = window.fold((0i32, 0i32), |(sum, count), v| {
                (sum.wrapping_add(v.widen()), count + 1)
            });
            rounded_average(sum, count)
        },
    )
}

/// Computes the `tile` part of a MAX_POOL_2D output.
pub fn max_pool_2d<T: QuantElement>(
    params: &PoolParams,
    input: &[T],
    input_shape: Nhwc,
    output: &mut [T],
    output_shape: Nhwc,
    tile: OutputTile,
) -> KernelResult {
    pool(
        PoolKind::Max,
        params,
        input,
        input_shape,
        output,
        output_shape,
        tile,
        |window| window.map(QuantElement::widen).fold(T::MIN, i32::max),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_tile_split, pseudo_random_i8};

    fn params(filter: usize, stride: usize, pad: usize) -> PoolParams {
        PoolParams {
            stride_height: stride,
            stride_width: stride,
            filter_height: filter,
            filter_width: filter,
            pad_top: pad,
            pad_left: pad,
            activation: ActivationRange::full::<i8>(),
        }
    }

    #[test]
    fn average_rounds_half_away_from_zero_and_ignores_padding() {
        // The one output of `p` over the 1x2x2x1 input `input`.
        let average = |p: PoolParams, input: [i8; 4]| {
            let mut out = [0i8; 1];
            average_pool_2d(
                &p,
                &input,
                Nhwc::new(1, 2, 2, 1),
                &mut out,
                Nhwc::new(1, 1, 1, 1),
                OutputTile::full(1, 1),
            )
            .unwrap();
            out[0]
        };
        // 2x2 window, no pad -> 11/4 = 2.75 -> 3.
        assert_eq!(average(params(2, 1, 0), [1, 2, 4, 4]), 3);
        // -10/4 = -2.5 -> -3 (away from zero).
        assert_eq!(average(params(2, 1, 0), [-1, -2, -4, -3]), -3);
        // 5/4 = 1.25 -> 1.
        assert_eq!(average(params(2, 1, 0), [1, 1, 1, 2]), 1);
        // 3x3 window with pad 1 on a 2x2 input at output (0,0): only the 4 real taps
        // count: (1+2+4+4)/4 -> 3 (a zero-padded average would give 11/9 -> 1).
        assert_eq!(average(params(3, 1, 1), [1, 2, 4, 4]), 3);
    }

    #[test]
    fn average_of_empty_window_is_an_error() {
        // Pad 3 with a 2x2 window: output (0,0) covers only padding.
        let mut out = [5i8; 1];
        let result = average_pool_2d(
            &params(2, 1, 3),
            &[1, 2, 3, 4],
            Nhwc::new(1, 2, 2, 1),
            &mut out,
            Nhwc::new(1, 1, 1, 1),
            OutputTile::full(1, 1),
        );
        assert_eq!(result, Err(KernelError::InvalidParameter));
        assert_eq!(out, [5]);
    }

    #[test]
    fn max_pool_with_activation_and_int16() {
        let mut p = params(2, 2, 0);
        p.activation = ActivationRange { min: -5, max: 3 };
        let mut out = [0i8; 2];
        // Two channels: ch0 = [-9, -8, -7, -6] -> max -6 -> clamp -5; ch1 = [1,2,9,4] -> 9 -> 3.
        max_pool_2d(
            &p,
            &[-9, 1, -8, 2, -7, 9, -6, 4],
            Nhwc::new(1, 2, 2, 2),
            &mut out,
            Nhwc::new(1, 1, 1, 2),
            OutputTile::full(1, 2),
        )
        .unwrap();
        assert_eq!(out, [-5, 3]);
        let mut wide = [0i16; 1];
        let wide_params = PoolParams {
            activation: ActivationRange::full::<i16>(),
            ..params(2, 2, 0)
        };
        max_pool_2d(
            &wide_params,
            &[-30000i16, 1000, 32767, -1],
            Nhwc::new(1, 2, 2, 1),
            &mut wide,
            Nhwc::new(1, 1, 1, 1),
            OutputTile::full(1, 1),
        )
        .unwrap();
        assert_eq!(wide, [32767]);
    }

    #[test]
    fn int16_average_uses_32_bit_sum() {
        // 4 x 30000 would overflow int16 but not the int32 sum.
        let mut p = params(2, 2, 0);
        p.activation = ActivationRange::full::<i16>();
        let mut out = [0i16; 1];
        average_pool_2d(
            &p,
            &[30000i16, 30000, 30000, 30001],
            Nhwc::new(1, 2, 2, 1),
            &mut out,
            Nhwc::new(1, 1, 1, 1),
            OutputTile::full(1, 1),
        )
        .unwrap();
        assert_eq!(out, [30000]);
    }

    #[test]
    fn split_into_tiles_equals_whole() {
        let input_shape = Nhwc::new(2, 7, 6, 4);
        let output_shape = Nhwc::new(2, 4, 3, 4);
        let input = pseudo_random_i8(input_shape.element_count().unwrap(), 5);
        let p = params(3, 2, 1);
        for average in [false, true] {
            check_tile_split(8, 3, 4, 0i8, |tile, out| {
                if average {
                    average_pool_2d(&p, &input, input_shape, out, output_shape, tile).unwrap()
                } else {
                    max_pool_2d(&p, &input, input_shape, out, output_shape, tile).unwrap()
                }
            });
        }
    }
}
