//! L2_NORMALIZATION for INT8 along the innermost axis.
//!
//! Mirrors `reference_integer_ops::L2Normalization`
//! (reference/integer_ops/l2normalization.h) via
//! tensorflow/lite/micro/kernels/l2norm.cc: per row, the sum of squared
//! `x - zero_point`, its inverse square root as a quantized multiplier
//! (`GetInvSqrtQuantizedMultiplierExp`), and every element rescaled to the fixed
//! output scale 1/128 (zero point 0). Split axis: rows (all axes but the last).

use crate::error::KernelResult;
use crate::fixed_point::inv_sqrt_quantized_multiplier_exp;
use crate::quant::multiply_by_quantized_multiplier;
use crate::split::{for_each_row, SplitRange};

/// TFLM's `kOutputScale`: the output is in units of 2^-7.
const OUTPUT_SCALE_BITS: i32 = 7;

/// L2_NORMALIZATION of rows of `depth` elements, for the rows in `range`.
pub fn l2_normalization(
    input_zero_point: i32,
    depth: usize,
    input: &[i8],
    output: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    for_each_row(depth, input, output, range, |values, out_row| {
        let centered = |x: i8| i32::from(x).wrapping_sub(input_zero_point);
        let sum_of_squares = values.iter().fold(0i32, |acc, &x| {
            acc.wrapping_add(centered(x).wrapping_mul(centered(x)))
        });
        let (multiplier, shift) = inv_sqrt_quantized_multiplier_exp(sum_of_squares);
        for (out, &x) in out_row.iter_mut().zip(values) {
            let scaled = multiply_by_quantized_multiplier(
                centered(x),
                multiplier,
                shift + OUTPUT_SCALE_BITS,
            );
            *out = scaled.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_flat_split;

    #[test]
    fn rows_become_unit_vectors_in_units_of_one_128th() {
        // Rows (3, 4) and (-6, 8) around zero point 2: unit vectors (0.6, 0.8), (-0.6, 0.8).
        let input = [5i8, 6, -4, 10];
        let rows = check_flat_split(2, [0i8; 2], |range, out: &mut [[i8; 2]]| {
            let mut flat = [0i8; 4];
            for (chunk, row) in flat.chunks_mut(2).zip(out.iter()) {
                chunk.copy_from_slice(row);
            }
            l2_normalization(2, 2, &input, &mut flat, range).unwrap();
            for (chunk, row) in flat.chunks(2).zip(out.iter_mut()) {
                row.copy_from_slice(chunk);
            }
        });
        assert_eq!(rows, [[77, 102], [-77, 102]]);
    }

    #[test]
    fn zero_rows_and_bad_depths() {
        let mut out = [9i8; 2];
        l2_normalization(0, 2, &[0, 0], &mut out, SplitRange::full(1)).unwrap();
        assert_eq!(out, [0, 0]);
        assert!(l2_normalization(0, 3, &[0, 0], &mut out, SplitRange::full(1)).is_err());
    }
}
