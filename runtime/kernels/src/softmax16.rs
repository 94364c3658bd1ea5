//! SOFTMAX with INT16 input and output (16x8 quantization).
//!
//! Mirrors `reference_ops::SoftmaxInt16` (reference/softmax.h) with the parameters
//! TFLM's `CalculateSoftmaxParams` prepares (micro/kernels/softmax_common.cc): the
//! input differences from the row maximum are rescaled so that `[-65535, 0]` spans
//! `[-10, 0]`, exponentiated through a 513-entry interpolated lookup table, summed,
//! and divided through a second table of `1 / (1 + x)`. Both tables are made by
//! `LUTPopulate<int16_t>` in Prepare and passed in. Input and output are symmetric
//! (zero point 0); the output scale is 1/32768.
//!
//! Split axis: rows (all dimensions but the last, flattened).

use crate::error::KernelResult;
use crate::quant::multiply_by_quantized_multiplier;
use crate::split::{for_each_row, SplitRange};

/// Entries of an INT16 lookup table (`LUTSize<int16_t>()`): 512 steps and the end.
pub const LUT_LEN: usize = 513;

/// TFLM `SoftmaxParams` for INT16 input.
#[derive(Clone, Copy, Debug)]
pub struct SoftmaxInt16Params<'a> {
    /// `input_multiplier` = `QuantizeMultiplier(input_scale * beta / (10 / 65535))`.
    pub input_multiplier: i32,
    /// `input_left_shift` from the same call (positive = left shift).
    pub input_left_shift: i32,
    /// `exp_lut`: `exp(x)` for `x` in `[-10, 0]`, output Q0.15.
    pub exp_lut: &'a [i16; LUT_LEN],
    /// `one_over_one_plus_x_lut`: `1 / (1 + x)` for `x` in `[0, 1]`, output Q0.15.
    pub one_over_one_plus_x_lut: &'a [i16; LUT_LEN],
}

/// TFLM `LUTLookup(int16_t, const int16_t*)`: the table entry of the top 9 bits,
/// linearly interpolated by the low 7, in C++'s int16 wrap-around arithmetic.
pub(crate) fn lut_lookup(value: i16, lut: &[i16; LUT_LEN]) -> i16 {
    // `value >> 7` lies in -256..=255, so both indices are within the table.
    let index = (256 + i32::from(value >> 7)) as usize;
    let offset = i32::from(value & 0x7f);
    let base = lut[index];
    let slope = lut[index + 1].wrapping_sub(base);
    let delta = (i32::from(slope) * offset + 64) >> 7;
    (i32::from(base) + delta) as i16
}

/// Computes rows `range` of SOFTMAX over the last axis of a `rows x depth` tensor.
pub fn softmax_int16(
    params: &SoftmaxInt16Params,
    depth: usize,
    input: &[i16],
    output: &mut [i16],
    range: SplitRange,
) -> KernelResult {
    for_each_row(depth, input, output, range, |values, out| {
        let max_in_row = values.iter().copied().fold(i16::MIN, i16::max);
        // The exponentials are cached in the output row, as TFLM does.
        let mut sum_of_exps = 0i32;
        for (exp, &x) in out.iter_mut().zip(values) {
            let scaled_diff = multiply_by_quantized_multiplier(
                i32::from(x) - i32::from(max_in_row),
                params.input_multiplier,
                params.input_left_shift,
            );
            let centred = scaled_diff.wrapping_add(32767).clamp(-32768, 32767) as i16;
            *exp = lut_lookup(centred, params.exp_lut);
            sum_of_exps = sum_of_exps.wrapping_add(i32::from(*exp));
        }
        let headroom_plus_one = (sum_of_exps as u32).leading_zeros();
        let shifted_sum =
            ((i64::from(sum_of_exps) << headroom_plus_one.saturating_sub(1)) + (1 << 13)) >> 14;
        // The table is of 1/(1 + x): x = sum - 1, recentred from [0, 65535].
        let centred_sum = (shifted_sum - ((1 << 15) + (1 << 16))).clamp(-32768, 32767) as i16;
        let reciprocal = i64::from(lut_lookup(centred_sum, params.one_over_one_plus_x_lut));
        // A positive sum leaves a shift in 0..=30; an empty one (impossible: the
        // row maximum contributes about 1.0) must not panic.
        let right_shift = 31u32.saturating_sub(headroom_plus_one).min(62);
        let round = if right_shift > 0 {
            1i64 << (right_shift - 1)
        } else {
            0
        };
        for value in out.iter_mut() {
            let result = ((i64::from(*value) * reciprocal + round) >> right_shift) as i32;
            *value = result.clamp(0, 32767) as i16;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_flat_split;
    use crate::KernelError;

    /// A linear table from -32768 to 32767 in steps of 128: the lookup is then the
    /// identity (up to the interpolation's rounding).
    fn linear_lut() -> [i16; LUT_LEN] {
        let mut lut = [0i16; LUT_LEN];
        for (i, entry) in lut.iter_mut().enumerate() {
            *entry = (i as i32 * 128 - 32768).min(32767) as i16;
        }
        lut
    }

    #[test]
    fn lookup_interpolates_between_entries() {
        let lut = linear_lut();
        assert_eq!(lut_lookup(0, &lut), 0);
        assert_eq!(lut_lookup(100, &lut), 100);
        assert_eq!(lut_lookup(-32768, &lut), -32768);
        // Between the last two entries the slope is 127: 32640 + (127*127+64)>>7.
        assert_eq!(lut_lookup(32767, &lut), 32640 + 126);
    }

    #[test]
    fn equal_logits_share_the_reciprocal() {
        // An exp table that is constant 16384 (0.5 in Q0.15) and a reciprocal table
        // constant 16384: every output is the same, and the split equals the whole.
        let exp_lut = [16384i16; LUT_LEN];
        let recip_lut = [16384i16; LUT_LEN];
        let params = SoftmaxInt16Params {
            input_multiplier: 1 << 30,
            input_left_shift: 1,
            exp_lut: &exp_lut,
            one_over_one_plus_x_lut: &recip_lut,
        };
        let input: Vec<i16> = (0..40).map(|i| (i * 997 % 3000) as i16 - 1500).collect();
        let whole = check_flat_split(4, [0i16; 10], |rows, out_rows| {
            let mut flat = vec![0i16; 40];
            for (r, row) in out_rows.iter().enumerate() {
                flat[r * 10..(r + 1) * 10].copy_from_slice(row);
            }
            softmax_int16(&params, 10, &input, &mut flat, rows).unwrap();
            for (r, row) in out_rows.iter_mut().enumerate() {
                row.copy_from_slice(&flat[r * 10..(r + 1) * 10]);
            }
        });
        let first = whole[0][0];
        assert!(whole.iter().flatten().all(|&v| v == first));
    }

    #[test]
    fn mismatched_lengths_are_rejected() {
        let lut = linear_lut();
        let params = SoftmaxInt16Params {
            input_multiplier: 1 << 30,
            input_left_shift: 0,
            exp_lut: &lut,
            one_over_one_plus_x_lut: &lut,
        };
        let mut out = [0i16; 3];
        assert_eq!(
            softmax_int16(&params, 2, &[1, 2, 3, 4], &mut out, SplitRange::full(2)),
            Err(KernelError::ShapeMismatch)
        );
    }
}
