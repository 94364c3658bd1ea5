//! HARD_SWISH for INT8.
//!
//! Mirrors the quantized `reference_ops::HardSwish` (reference/hard_swish.h) with
//! parameters from `HardSwishPrepare` (tensorflow/lite/micro/kernels/
//! hard_swish_common.cc). All intermediate values are `int16_t`, as in TFLM.
//! Split axis: flat elements.

use crate::error::KernelResult;
use crate::quant::{rounding_divide_by_pot_i16, saturating_rounding_doubling_high_mul_i16};
use crate::split::SplitRange;
use crate::unary::ElementwiseIo;

/// TFLM `HardSwishParams`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HardSwishParams {
    /// `input_zero_point`.
    pub input_zero_point: i16,
    /// `output_zero_point`.
    pub output_zero_point: i16,
    /// `reluish_multiplier_fixedpoint_int16`: `DownScaleInt32ToInt16Multiplier` of
    /// the Q31 multiplier of `hires_input_scale / (3 / 32768)`.
    pub reluish_multiplier_fixedpoint_int16: i16,
    /// `reluish_multiplier_exponent` (positive = left shift).
    pub reluish_multiplier_exponent: i32,
    /// `output_multiplier_fixedpoint_int16`: `DownScaleInt32ToInt16Multiplier` of the
    /// Q31 multiplier of `hires_input_scale / output_scale`.
    pub output_multiplier_fixedpoint_int16: i16,
    /// `output_multiplier_exponent` (always <= 0; TFLM Prepare enforces it).
    pub output_multiplier_exponent: i32,
}

/// TFLM's `SaturatingLeftShift` on `int16_t`.
fn saturating_left_shift_i16(value: i16, amount: i32) -> i16 {
    let shifted = i64::from(value) << amount.clamp(0, 31);
    shifted.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// TFLM's non-rounding `SaturatingDoublingHighMul` on `int16_t`.
fn saturating_doubling_high_mul_i16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    ((i32::from(a) * i32::from(b)) / (1 << 15)) as i16
}

fn hard_swish_one(params: &HardSwishParams, x: i8) -> i8 {
    // C++ narrows each intermediate to int16_t; the casts below do the same.
    let input_value = (i32::from(x) - i32::from(params.input_zero_point)) as i16;
    let hires_input = (i32::from(input_value) * (1 << 7)) as i16;
    let preshift_output = saturating_rounding_doubling_high_mul_i16(
        hires_input,
        params.output_multiplier_fixedpoint_int16,
    );
    let exponent = params.reluish_multiplier_exponent;
    let mut reluish = hires_input;
    if exponent > 0 {
        reluish = saturating_left_shift_i16(reluish, exponent - 1);
    }
    reluish = saturating_rounding_doubling_high_mul_i16(
        reluish,
        params.reluish_multiplier_fixedpoint_int16,
    );
    if exponent > 0 {
        reluish = saturating_left_shift_i16(reluish, 1);
    }
    if exponent < 0 {
        reluish = rounding_divide_by_pot_i16(reluish, -exponent);
    }
    // Maps [-1, 1] in Q15 to [0, 1].
    let reluish = ((i32::from(reluish) + (1 << 15)) >> 1) as i16;
    let preshift = saturating_doubling_high_mul_i16(reluish, preshift_output);
    let output = rounding_divide_by_pot_i16(preshift, -params.output_multiplier_exponent);
    let output = (i32::from(output) + i32::from(params.output_zero_point)) as i16;
    output.clamp(i16::from(i8::MIN), i16::from(i8::MAX)) as i8
}

/// HARD_SWISH: `x * relu6(x + 3) / 6` in TFLM's 16-bit fixed-point arithmetic.
pub fn hard_swish(
    params: &HardSwishParams,
    input: &[i8],
    output: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    (input, output).map_range(range, |x| hard_swish_one(params, x))
}

/// [`hard_swish`] in place over `data` (input and output); only `range` is touched.
pub fn hard_swish_in_place(
    params: &HardSwishParams,
    data: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    data.map_range(range, |x| hard_swish_one(params, x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::{down_scale_int32_to_int16_multiplier, quantize_multiplier};
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    /// Params as `HardSwishPrepare` computes them.
    fn prepare(
        input_scale: f32,
        input_zp: i16,
        output_scale: f32,
        output_zp: i16,
    ) -> HardSwishParams {
        let hires_input_scale = (1.0f32 / 128.0) * input_scale;
        let reluish_scale = 3.0f32 / 32768.0;
        let output = quantize_multiplier(f64::from(hires_input_scale / output_scale)).unwrap();
        let reluish = quantize_multiplier(f64::from(hires_input_scale / reluish_scale)).unwrap();
        HardSwishParams {
            input_zero_point: input_zp,
            output_zero_point: output_zp,
            reluish_multiplier_fixedpoint_int16: down_scale_int32_to_int16_multiplier(
                reluish.multiplier,
            ),
            reluish_multiplier_exponent: reluish.shift,
            output_multiplier_fixedpoint_int16: down_scale_int32_to_int16_multiplier(
                output.multiplier,
            ),
            output_multiplier_exponent: output.shift,
        }
    }

    #[test]
    fn close_to_real_hard_swish_and_exact_at_saturation_points() {
        // Input scale 0.05 (range about [-6.4, 6.35]), output scale 0.05, zps 0.
        let params = prepare(0.05, 0, 0.05, 0);
        for x in -128i8..=127 {
            let real = f32::from(x) * 0.05;
            let expected = real * (real + 3.0).clamp(0.0, 6.0) / 6.0 / 0.05;
            let got = f32::from(hard_swish_one(&params, x));
            assert!(
                (got - expected).abs() <= 1.0,
                "x = {x}: {got} vs {expected}"
            );
        }
        // Below -3 hard-swish is exactly 0; at 0 it is 0.
        assert_eq!(hard_swish_one(&params, -100), 0);
        assert_eq!(hard_swish_one(&params, 0), 0);
        // Above 3 it is the identity: 5.0 -> 100.
        assert_eq!(hard_swish_one(&params, 100), 100);
    }

    #[test]
    fn int16_helpers_saturate() {
        assert_eq!(saturating_left_shift_i16(20000, 1), i16::MAX);
        assert_eq!(saturating_left_shift_i16(-20000, 1), i16::MIN);
        assert_eq!(
            saturating_doubling_high_mul_i16(i16::MIN, i16::MIN),
            i16::MAX
        );
        // Truncates toward zero, no rounding: -3 * 2^14 / 2^15 = -1.5 -> -1.
        assert_eq!(saturating_doubling_high_mul_i16(-3, 1 << 14), -1);
        assert_eq!(saturating_doubling_high_mul_i16(3, 1 << 14), 1);
    }

    #[test]
    fn split_equals_whole() {
        let input = pseudo_random_i8(40, 51);
        let params = prepare(0.1, -5, 0.07, 3);
        check_flat_split(40, 0i8, |r, out| {
            hard_swish(&params, &input, out, r).unwrap()
        });
    }

    #[test]
    fn in_place_equals_out_of_place() {
        let input = pseudo_random_i8(40, 53);
        let params = prepare(0.08, 7, 0.05, -2);
        let mut expected = vec![0i8; 40];
        hard_swish(&params, &input, &mut expected, SplitRange::full(40)).unwrap();
        check_in_place_split(&input, &expected, |r, data| {
            hard_swish_in_place(&params, data, r).unwrap()
        });
    }
}
