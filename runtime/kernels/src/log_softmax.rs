//! LOG_SOFTMAX with INT8 input and output.
//!
//! Mirrors the quantized `reference_ops::LogSoftmax` (reference/log_softmax.h) with
//! the parameters of TFLM's `CalculateOpData` (micro/kernels/log_softmax.cc): the
//! differences from the row maximum are rescaled into Q5.26, their exponentials summed
//! in Q12.19, the log of the sum taken in Q5.26 by gemmlowp-style fixed point, and
//! each output is `diff - log(sum)` in TFLM's fixed output quantization (scale 16/256,
//! zero point 127).
//!
//! Split axis: rows (all dimensions but the last, flattened), since each row needs
//! all of its elements.

use crate::error::{elements, elements_mut, expect_len, KernelError, KernelResult};
use crate::fixed_point::{
    exp_on_negative_values, mul, one_over_one_plus_x_for_x_in_0_1, rescale, rounding_half_sum,
    saturating_rounding_multiply_by_pot,
};
use crate::quant::{multiply_by_quantized_multiplier, rounding_divide_by_pot};
use crate::split::SplitRange;

/// TFLM `SoftmaxParams` as LOG_SOFTMAX fills them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogSoftmaxParams {
    /// `input_multiplier` from `PreprocessLogSoftmaxScalingExp(1, input_scale, 5)`.
    pub input_multiplier: i32,
    /// Its `input_left_shift` (positive = left shift).
    pub input_left_shift: i32,
    /// `reverse_scaling_divisor`: the inverse of the input rescaling.
    pub reverse_scaling_divisor: i32,
    /// `reverse_scaling_right_shift` (TFLM negates the Prepare's left shift).
    pub reverse_scaling_right_shift: i32,
    /// `-CalculateInputRadius(5, input_left_shift)`: smaller differences contribute
    /// nothing to the sum.
    pub diff_min: i32,
}

/// Integer bits of the rescaled differences and of the log (`kInputIntegerBits`).
const INPUT_INTEGER_BITS: i32 = 5;
/// Integer bits of the sum of exponentials (`kAccumulationIntegerBits`).
const ACCUMULATION_INTEGER_BITS: i32 = 12;
/// Integer bits of the output before the narrowing (`kOutputIntegerBits`).
const OUTPUT_INTEGER_BITS: i32 = 4;

/// TFLite's `CountLeadingZeros` of the bits of `x` (32 for zero).
fn leading_zeros(x: i32) -> i32 {
    (x as u32).leading_zeros() as i32
}

/// TFLite `log_x_for_x_greater_than_or_equal_to_1_impl<5, 12>`: `ln(x)` of a Q12.19
/// `x >= 1`, as Q5.26. A Padé-style approximation on the mantissa in
/// `[sqrt(1/2), 1]` plus the power of two times `ln 2`, accumulated with one extra
/// integer bit.
fn log_x_for_x_at_least_one(x: i32) -> i32 {
    const LOG_2: i32 = 1_488_522_236;
    const SQRT_SQRT_HALF: i32 = 1_805_811_301;
    const SQRT_HALF: i32 = 1_518_500_250;
    const ONE_QUARTER: i32 = 536_870_912;
    const ALPHA_N: i32 = 117_049_297;
    const ALPHA_D: i32 = 127_690_142;
    const ALPHA_I: i32 = 1_057_819_769;
    const ALPHA_F: i32 = 638_450_708;
    const ACCUM_INTEGER_BITS: i32 = INPUT_INTEGER_BITS + 1;

    let shifted_quarter = rescale(ONE_QUARTER, 0, ACCUM_INTEGER_BITS);
    // The raw value read as Q0.31: its headroom gives the power of two.
    let z_a_headroom_plus_1 = leading_zeros(x);
    let r_a_tmp = saturating_rounding_multiply_by_pot(x, z_a_headroom_plus_1 - 1);
    let r_a = saturating_rounding_multiply_by_pot(mul(r_a_tmp, SQRT_HALF), 1);
    // TFLite's `SaturatingAddNonGemmlowp` and `SaturatingSub`.
    let z_a_pow_2_adj = saturating_rounding_multiply_by_pot(
        ACCUMULATION_INTEGER_BITS - z_a_headroom_plus_1,
        31 - ACCUM_INTEGER_BITS,
    )
    .saturating_add(shifted_quarter);
    // The same with the value premultiplied by sqrt(1/2).
    let z_b = mul(x, SQRT_HALF);
    let z_b_headroom = leading_zeros(z_b) - 1;
    let r_b = saturating_rounding_multiply_by_pot(x, z_b_headroom);
    let z_b_pow_2_adj = saturating_rounding_multiply_by_pot(
        ACCUMULATION_INTEGER_BITS - z_b_headroom,
        31 - ACCUM_INTEGER_BITS,
    )
    .saturating_sub(shifted_quarter);
    let r = r_a.min(r_b);
    let z_pow_2_adj = z_a_pow_2_adj.max(z_b_pow_2_adj);

    let p = rounding_half_sum(r, SQRT_SQRT_HALF);
    let q = r.wrapping_sub(SQRT_SQRT_HALF);
    let q = q.wrapping_add(q);
    let common_sq = mul(q, q);
    let num = mul(q, r).wrapping_add(mul(mul(q, common_sq), ALPHA_N));
    let denom_minus_one = mul(
        p,
        ALPHA_I
            .wrapping_add(q)
            .wrapping_add(mul(ALPHA_D, common_sq)),
    )
    .wrapping_add(mul(ALPHA_F, q));
    let recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one);
    let num_scaled = rescale(num, 0, ACCUM_INTEGER_BITS);
    rescale(
        mul(z_pow_2_adj, LOG_2).wrapping_add(mul(num_scaled, recip_denom)),
        ACCUM_INTEGER_BITS,
        INPUT_INTEGER_BITS,
    )
}

/// Computes rows `range` of LOG_SOFTMAX over the last axis of a `rows x depth` tensor.
pub fn log_softmax(
    params: &LogSoftmaxParams,
    depth: usize,
    input: &[i8],
    output: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), output.len())?;
    if depth == 0 || input.len() % depth != 0 {
        return Err(KernelError::ShapeMismatch);
    }
    range.check_within(input.len() / depth)?;
    let scaled = |diff: i32| {
        multiply_by_quantized_multiplier(diff, params.input_multiplier, params.input_left_shift)
    };
    for row in range.indices() {
        let values = elements(input, row * depth, depth)?;
        let max_in_row = values.iter().copied().fold(i8::MIN, i8::max);
        let diff_of = |x: i8| i32::from(x) - i32::from(max_in_row);
        let sum_of_exps = values
            .iter()
            .map(|&x| diff_of(x))
            .filter(|&diff| diff >= params.diff_min)
            .fold(0i32, |sum, diff| {
                let exp = exp_on_negative_values(scaled(diff), INPUT_INTEGER_BITS);
                sum.wrapping_add(rescale(exp, 0, ACCUMULATION_INTEGER_BITS))
            });
        let log_sum_of_exps = log_x_for_x_at_least_one(sum_of_exps);
        // The smallest Q5.26 value plus the log, rescaled back into input differences.
        let adjusted_diff_min =
            params
                .diff_min
                .wrapping_sub(1)
                .max(multiply_by_quantized_multiplier(
                    log_sum_of_exps.wrapping_add(i32::MIN),
                    params.reverse_scaling_divisor,
                    params.reverse_scaling_right_shift.wrapping_neg(),
                ));
        for (out, &x) in elements_mut(output, row * depth, depth)?
            .iter_mut()
            .zip(values)
        {
            let diff = diff_of(x);
            *out = if diff > adjusted_diff_min {
                let shifted = rounding_divide_by_pot(
                    scaled(diff).wrapping_sub(log_sum_of_exps),
                    31 - INPUT_INTEGER_BITS - OUTPUT_INTEGER_BITS,
                );
                shifted
                    .wrapping_add(i32::from(i8::MAX))
                    .clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
            } else {
                i8::MIN
            };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Q12.19 raw value of `x`.
    fn q12(x: f64) -> i32 {
        (x * f64::from(1 << 19)).round() as i32
    }

    #[test]
    fn log_of_sums_is_close_to_ln() {
        for x in [1.0, 1.5, 2.0, 3.7, 10.0, 100.0, 1000.0, 4000.0] {
            let log = f64::from(log_x_for_x_at_least_one(q12(x))) / f64::from(1 << 26);
            assert!((log - x.ln()).abs() < 1e-6, "ln({x}) = {log}");
        }
    }

    /// Input scale 1/16: one input step is 2^22 in Q5.26 (multiplier 2^30, left shift
    /// 23); the reverse scaling 2^-22 (2^30, right shift 21); the input radius
    /// `31 * 2^26 / 2^23` = 248.
    const SIXTEENTH: LogSoftmaxParams = LogSoftmaxParams {
        input_multiplier: 1 << 30,
        input_left_shift: 23,
        reverse_scaling_divisor: 1 << 30,
        reverse_scaling_right_shift: 21,
        diff_min: -248,
    };

    #[test]
    fn equal_inputs_give_minus_log_depth() {
        // log(1/4) = -1.386 -> -1.386 * 16 + 127 = 104.8 -> 105.
        let mut out = [0i8; 8];
        log_softmax(&SIXTEENTH, 4, &[10; 8], &mut out, SplitRange::new(0, 2)).unwrap();
        assert_eq!(out, [105; 8]);
    }

    #[test]
    fn far_below_the_maximum_saturates_and_rows_split() {
        let input = [127i8, -128, 0, 0];
        let mut whole = [0i8; 4];
        log_softmax(&SIXTEENTH, 2, &input, &mut whole, SplitRange::new(0, 2)).unwrap();
        assert_eq!(whole[0], 127);
        assert_eq!(whole[1], -128);
        // log(1/2) * 16 + 127 = 115.9.
        assert_eq!(&whole[2..], &[116, 116]);
        let mut parts = [0i8; 4];
        log_softmax(&SIXTEENTH, 2, &input, &mut parts, SplitRange::new(1, 2)).unwrap();
        log_softmax(&SIXTEENTH, 2, &input, &mut parts, SplitRange::new(0, 1)).unwrap();
        assert_eq!(parts, whole);
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let mut out = [0i8; 3];
        assert!(log_softmax(&SIXTEENTH, 2, &[0; 3], &mut out, SplitRange::new(0, 1)).is_err());
        assert!(log_softmax(&SIXTEENTH, 0, &[0; 3], &mut out, SplitRange::new(0, 1)).is_err());
        assert!(log_softmax(&SIXTEENTH, 3, &[0; 3], &mut out, SplitRange::new(0, 2)).is_err());
    }
}
