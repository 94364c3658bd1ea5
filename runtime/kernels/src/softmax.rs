//! SOFTMAX with INT8 input and INT8 or INT16 output.
//!
//! Mirrors the quantized `reference_ops::Softmax` (reference/softmax.h) with
//! parameters from `CalculateSoftmaxParams`
//! (tensorflow/lite/micro/kernels/softmax_common.cc). TFLM fixes the output
//! quantization: scale 1/256 and zero point -128 for INT8, scale 1/65536 and zero
//! point -32768 for INT16.
//!
//! Split axis: rows (all dimensions but the last, flattened), since each row needs
//! all of its elements.

use crate::element::QuantElement;
use crate::error::KernelResult;
use crate::fixed_point::{exp_on_negative_values, get_reciprocal, mul, rescale};
use crate::quant::{multiply_by_quantized_multiplier, rounding_divide_by_pot};
use crate::split::{for_each_row, SplitRange};

/// TFLM `SoftmaxParams` for INT8 input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftmaxParams {
    /// `input_multiplier` from `PreprocessSoftmaxScaling(beta, input_scale, 5)`.
    pub input_multiplier: i32,
    /// `input_left_shift` from the same call (positive = left shift).
    pub input_left_shift: i32,
    /// `diff_min` = `-CalculateInputRadius(5, input_left_shift, 31)`; differences
    /// from the row maximum below it contribute nothing.
    pub diff_min: i32,
}

/// Integer bits of the rescaled input differences (`kScaledDiffIntegerBits`).
const SCALED_DIFF_INTEGER_BITS: i32 = 5;
/// Integer bits of the sum of exponentials (`kAccumulationIntegerBits`).
const ACCUMULATION_INTEGER_BITS: i32 = 12;

/// An int8 row's maximum and its sum of exponentials in Q12.19 (TFLM's `sum_of_exps`,
/// also LOG_SOFTMAX's): `exp_of_diff` (Q0.31) of every difference from the maximum of
/// at least `diff_min`, rescaled and summed wrapping.
pub(crate) fn max_and_sum_of_exps(
    values: &[i8],
    diff_min: i32,
    exp_of_diff: impl Fn(i32) -> i32,
) -> (i8, i32) {
    let max_in_row = values.iter().copied().fold(i8::MIN, i8::max);
    let sum_of_exps = values
        .iter()
        .map(|&x| i32::from(x) - i32::from(max_in_row))
        .filter(|&diff| diff >= diff_min)
        .fold(0i32, |sum, diff| {
            sum.wrapping_add(rescale(exp_of_diff(diff), 0, ACCUMULATION_INTEGER_BITS))
        });
    (max_in_row, sum_of_exps)
}

/// Computes rows `range` of SOFTMAX over the last axis of a `rows x depth` tensor.
pub fn softmax<O: QuantElement>(
    params: &SoftmaxParams,
    depth: usize,
    input: &[i8],
    output: &mut [O],
    range: SplitRange,
) -> KernelResult {
    let exp_of_diff = |diff: i32| {
        let scaled = multiply_by_quantized_multiplier(
            diff,
            params.input_multiplier,
            params.input_left_shift,
        );
        exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS)
    };
    for_each_row(depth, input, output, range, |values, out_row| {
        let (max_in_row, sum_of_exps) = max_and_sum_of_exps(values, params.diff_min, exp_of_diff);
        let diff_of = |x: i8| i32::from(x) - i32::from(max_in_row);
        let (shifted_scale, num_bits_over_unit) =
            get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS);
        let exponent = (num_bits_over_unit + 31 - O::BITS).clamp(0, 31);
        for (out, &x) in out_row.iter_mut().zip(values) {
            let diff = diff_of(x);
            *out = if diff >= params.diff_min {
                let unsaturated =
                    rounding_divide_by_pot(mul(shifted_scale, exp_of_diff(diff)), exponent);
                O::saturate(unsaturated.wrapping_add(O::MIN))
            } else {
                O::saturate(O::MIN)
            };
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::quantize_multiplier;
    use crate::test_util::{check_flat_split, pseudo_random_i8};

    /// `PreprocessSoftmaxScaling` + `CalculateInputRadius` as TFLM's Prepare runs them.
    fn prepare(beta: f64, input_scale: f32) -> SoftmaxParams {
        let real = (beta * f64::from(input_scale) * f64::from(1u32 << 26)).min(f64::from(i32::MAX));
        let m = quantize_multiplier(real).unwrap();
        let radius = (31.0 * f64::from(1u32 << 26) / 2f64.powi(m.shift)).floor() as i32;
        SoftmaxParams {
            input_multiplier: m.multiplier,
            input_left_shift: m.shift,
            diff_min: -radius,
        }
    }

    #[test]
    fn uniform_row_gives_equal_probabilities() {
        // Four equal logits: each 1/4 -> 64/256 -> 64 - 128 = -64.
        let params = prepare(1.0, 0.1);
        let mut out = [0i8; 4];
        softmax(&params, 4, &[7; 4], &mut out, SplitRange::full(1)).unwrap();
        assert_eq!(out, [-64; 4]);
        let mut wide = [0i16; 4];
        softmax(&params, 4, &[7; 4], &mut wide, SplitRange::full(1)).unwrap();
        // 1/4 of 65536 = 16384 -> -16384.
        assert_eq!(wide, [-16384; 4]);
    }

    #[test]
    fn close_to_real_softmax_and_far_values_underflow() {
        let params = prepare(1.0, 0.25);
        let input = [10i8, 6, 2, -120];
        let mut out = [0i8; 4];
        softmax(&params, 4, &input, &mut out, SplitRange::full(1)).unwrap();
        let exps: Vec<f64> = input.iter().map(|&x| (f64::from(x) * 0.25).exp()).collect();
        let total: f64 = exps.iter().sum();
        for (e, &y) in exps.iter().zip(out.iter()) {
            let expected = e / total * 256.0 - 128.0;
            assert!((f64::from(y) - expected).abs() <= 1.0, "{y} vs {expected}");
        }
        // -130 * 0.25 = -32.5 is below diff_min's -32 bound: exactly the minimum.
        assert_eq!(out[3], -128);
    }

    #[test]
    fn split_equals_whole() {
        let input = pseudo_random_i8(6 * 10, 81);
        let params = prepare(1.0, 0.05);
        // Rows are the split axis; check_flat_split sees one "element" per row by
        // running the kernel on whole rows and comparing the full buffers.
        check_flat_split(6, [0i8; 10], |rows, out_rows| {
            let mut flat = vec![0i8; 60];
            for (r, row) in out_rows.iter().enumerate() {
                flat[r * 10..(r + 1) * 10].copy_from_slice(row);
            }
            softmax(&params, 10, &input, &mut flat, rows).unwrap();
            for (r, row) in out_rows.iter_mut().enumerate() {
                row.copy_from_slice(&flat[r * 10..(r + 1) * 10]);
            }
        });
    }
}
