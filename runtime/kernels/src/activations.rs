//! RELU and RELU6 for INT8 and INT16.
//!
//! Mirrors `ReluQuantized` / `Relu6Quantized` (tensorflow/lite/micro/kernels/
//! activations.h) with parameters from `CalculateReluOpData` / `Relu6Prepare`
//! (activations_common.cc). Split axis: flat elements.

use crate::element::QuantElement;
use crate::error::KernelResult;
use crate::quant::{ActivationRange, QuantizedMultiplier};
use crate::split::SplitRange;
use crate::unary::ElementwiseIo;

/// TFLM `ReluOpData::params` for RELU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReluParams {
    /// `input_offset` — note: TFLM stores the input *zero point* here (not its
    /// negation) and subtracts it.
    pub input_zero_point: i32,
    /// `output_offset` = output zero point.
    pub output_zero_point: i32,
    /// `output_multiplier` / `output_shift` of `input_scale / output_scale` (the
    /// division done in `f32`, then widened).
    pub multiplier: QuantizedMultiplier,
    /// `quantized_activation_min/max`: `max(T_MIN, zp_out + (int)roundf(0 / s_out))`
    /// and `T_MAX`.
    pub activation: ActivationRange,
}

/// RELU: `clamp(zp_out + MultiplyByQuantizedMultiplier(x - zp_in))`.
pub fn relu<T: QuantElement>(
    params: &ReluParams,
    input: &[T],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    relu_io(params, (input, output), range)
}

/// [`relu`] in place: `data` is both the input and the output (same length,
/// same shape); only `range` is read and written.
pub fn relu_in_place<T: QuantElement>(
    params: &ReluParams,
    data: &mut [T],
    range: SplitRange,
) -> KernelResult {
    relu_io(params, data, range)
}

fn relu_io<T: QuantElement>(
    params: &ReluParams,
    io: impl ElementwiseIo<T, T>,
    range: SplitRange,
) -> KernelResult {
    io.map_range(range, |x| {
        let scaled = params
            .multiplier
            .apply(x.widen().wrapping_sub(params.input_zero_point))
            .wrapping_add(params.output_zero_point);
        T::saturate(params.activation.apply(scaled))
    })
}

/// RELU6: clamps the stored values to `[zero, six]` without requantizing (TFLM
/// requires input and output to share quantization). `zero` is the input zero point,
/// `six` is `FloatToQuantizedType<T>(6.0, scale, zero_point)` =
/// `clamp(round(6.0f / scale) + zero_point)` to `T`'s range.
pub fn relu6<T: QuantElement>(
    zero: T,
    six: T,
    input: &[T],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    relu6_io(zero, six, (input, output), range)
}

/// [`relu6`] in place over `data` (input and output); only `range` is touched.
pub fn relu6_in_place<T: QuantElement>(
    zero: T,
    six: T,
    data: &mut [T],
    range: SplitRange,
) -> KernelResult {
    relu6_io(zero, six, data, range)
}

fn relu6_io<T: QuantElement>(
    zero: T,
    six: T,
    io: impl ElementwiseIo<T, T>,
    range: SplitRange,
) -> KernelResult {
    io.map_range(range, |x| {
        if x > six {
            six
        } else if x < zero {
            zero
        } else {
            x
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    #[test]
    fn relu_requantizes_then_clamps() {
        // Scale ratio 2 ((2^30, 2)), zp_in -1, zp_out 3, clamp below at 3.
        let params = ReluParams {
            input_zero_point: -1,
            output_zero_point: 3,
            multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: 2,
            },
            activation: ActivationRange { min: 3, max: 127 },
        };
        let mut out = [0i8; 4];
        relu(&params, &[-1, 0, -5, 100], &mut out, SplitRange::full(4)).unwrap();
        // 0 -> 3 ; 1 -> 2 + 3 = 5 ; -4 -> -8 + 3 -> 3 ; 101 -> 205 -> 127.
        assert_eq!(out, [3, 5, 3, 127]);
    }

    #[test]
    fn relu6_clamps_stored_values() {
        let mut out = [0i16; 4];
        relu6(
            -10i16,
            50,
            &[-11, -10, 50, 51],
            &mut out,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(out, [-10, -10, 50, 50]);
    }

    #[test]
    fn split_equals_whole() {
        let input = pseudo_random_i8(29, 31);
        let params = ReluParams {
            input_zero_point: 5,
            output_zero_point: -20,
            multiplier: QuantizedMultiplier {
                multiplier: 1_234_567_890,
                shift: 0,
            },
            activation: ActivationRange { min: -20, max: 127 },
        };
        check_flat_split(29, 0i8, |r, out| relu(&params, &input, out, r).unwrap());
        check_flat_split(29, 0i8, |r, out| relu6(-3, 40, &input, out, r).unwrap());
    }

    #[test]
    fn in_place_equals_out_of_place() {
        let input = pseudo_random_i8(29, 32);
        let params = ReluParams {
            input_zero_point: -7,
            output_zero_point: 4,
            multiplier: QuantizedMultiplier {
                multiplier: 1_534_567_890,
                shift: 1,
            },
            activation: ActivationRange { min: 4, max: 127 },
        };
        let mut expected = vec![0i8; 29];
        relu(&params, &input, &mut expected, SplitRange::full(29)).unwrap();
        check_in_place_split(&input, &expected, |r, data| {
            relu_in_place(&params, data, r).unwrap()
        });
        relu6(-3, 40, &input, &mut expected, SplitRange::full(29)).unwrap();
        check_in_place_split(&input, &expected, |r, data| {
            relu6_in_place(-3, 40, data, r).unwrap()
        });
        let wide: Vec<i16> = input.iter().map(|&v| i16::from(v) * 200).collect();
        let mut expected = vec![0i16; 29];
        relu6(-1000i16, 9000, &wide, &mut expected, SplitRange::full(29)).unwrap();
        check_in_place_split(&wide, &expected, |r, data| {
            relu6_in_place(-1000, 9000, data, r).unwrap()
        });
    }
}
