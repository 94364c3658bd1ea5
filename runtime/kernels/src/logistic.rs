//! LOGISTIC for INT8.
//!
//! Mirrors `reference_integer_ops::Logistic` (reference/integer_ops/logistic.h) with
//! parameters from `CalculateArithmeticOpDataLogistic`
//! (tensorflow/lite/micro/kernels/logistic_common.cc). The output is fixed by TFLM to
//! scale 1/256, zero point -128. Split axis: flat elements.

use crate::error::KernelResult;
use crate::fixed_point;
use crate::quant::{multiply_by_quantized_multiplier, rounding_divide_by_pot};
use crate::split::SplitRange;
use crate::unary::ElementwiseIo;

/// The input-side OpData shared by INT8 LOGISTIC and TANH (TFLM `OpDataLogistic`,
/// tanh.cc `OpData`), which convert the input to a Q4.27 fixed-point value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedPointInputParams {
    /// `input_zero_point`.
    pub input_zero_point: i32,
    /// `input_range_radius` = `CalculateInputRadius(4, input_left_shift, 31)`:
    /// `floor((2^4 - 1) * 2^27 / 2^input_left_shift)` in `f64`.
    pub input_range_radius: i32,
    /// `input_multiplier` = `(int32)round(q * 2^31)` where
    /// `q = frexp(input_scale * 2^27, &input_left_shift)` — note TFLM does *not*
    /// renormalise a `q` that rounds to 2^31 here.
    pub input_multiplier: i32,
    /// `input_left_shift`, the `frexp` exponent (positive = left shift).
    pub input_left_shift: i32,
}

/// Where an INT8 input lands relative to the range TFLM evaluates in fixed point.
pub(crate) enum FixedPointInput {
    /// At or below `-radius`: the op's minimum output.
    Low,
    /// At or above `radius`: the op's maximum output.
    High,
    /// Inside: the input as a Q4.27 raw value.
    Q4(i32),
}

impl FixedPointInputParams {
    pub(crate) fn convert(&self, x: i8) -> FixedPointInput {
        let input = i32::from(x).wrapping_sub(self.input_zero_point);
        if input <= -self.input_range_radius {
            FixedPointInput::Low
        } else if input >= self.input_range_radius {
            FixedPointInput::High
        } else {
            FixedPointInput::Q4(multiply_by_quantized_multiplier(
                input,
                self.input_multiplier,
                self.input_left_shift,
            ))
        }
    }
}

/// Maps each input of `range` through `interior(q4)` where it converts to Q4.27, and
/// saturates to the INT8 ends outside the input range (LOGISTIC and TANH).
pub(crate) fn map_fixed_point_input(
    params: &FixedPointInputParams,
    io: impl ElementwiseIo<i8, i8>,
    range: SplitRange,
    interior: impl Fn(i32) -> i8,
) -> KernelResult {
    io.map_range(range, |x| match params.convert(x) {
        FixedPointInput::Low => i8::MIN,
        FixedPointInput::High => i8::MAX,
        FixedPointInput::Q4(q4) => interior(q4),
    })
}

/// Number of integer bits of the fixed-point input (`kInputIntegerBits`).
pub(crate) const INPUT_INTEGER_BITS: i32 = 4;

/// LOGISTIC: `sigmoid` in gemmlowp fixed point, output in Q0.8 offset by -128.
pub fn logistic(
    params: &FixedPointInputParams,
    input: &[i8],
    output: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    logistic_io(params, (input, output), range)
}

/// [`logistic`] in place over `data` (input and output); only `range` is touched.
pub fn logistic_in_place(
    params: &FixedPointInputParams,
    data: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    logistic_io(params, data, range)
}

fn logistic_io(
    params: &FixedPointInputParams,
    io: impl ElementwiseIo<i8, i8>,
    range: SplitRange,
) -> KernelResult {
    map_fixed_point_input(params, io, range, |q4| {
        let q0 = fixed_point::logistic(q4, INPUT_INTEGER_BITS);
        let q23 = rounding_divide_by_pot(q0, 31 - 8);
        q23.wrapping_add(-128)
            .clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::quant::{frexp, round_half_away_f64};
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    /// Params as TFLM's Prepare computes them.
    pub(crate) fn prepare(input_scale: f32, input_zero_point: i32) -> FixedPointInputParams {
        let real = f64::from(input_scale) * f64::from(1 << 27);
        let (q, shift) = frexp(real);
        let multiplier = round_half_away_f64(q * f64::from(1u32 << 31)) as i32;
        let radius = (15.0 * f64::from(1 << 27) / 2f64.powi(shift)).floor() as i32;
        FixedPointInputParams {
            input_zero_point,
            input_range_radius: radius,
            input_multiplier: multiplier,
            input_left_shift: shift,
        }
    }

    #[test]
    fn matches_real_sigmoid_within_one_step() {
        let params = prepare(0.1, 3);
        let mut out = [0i8; 256];
        let input: Vec<i8> = (-128..=127).collect();
        logistic(&params, &input, &mut out, SplitRange::full(256)).unwrap();
        for (&x, &y) in input.iter().zip(out.iter()) {
            let real = 1.0 / (1.0 + (-(f64::from(x) - 3.0) * f64::from(0.1f32)).exp());
            let expected = real * 256.0 - 128.0;
            assert!(
                (f64::from(y) - expected).abs() <= 1.0,
                "x = {x}: {y} vs {expected}"
            );
        }
        // At the zero point sigmoid is exactly 0.5 -> 128 - 128 = 0.
        assert_eq!(out[(3 + 128) as usize], 0);
    }

    #[test]
    fn saturates_outside_the_radius() {
        // Scale 0.5: radius = floor(15 * 2^27 / 2^27) = 15 (frexp(2^26) = 0.5 * 2^27).
        let params = prepare(0.5, 0);
        assert_eq!(params.input_range_radius, 15);
        let mut out = [0i8; 4];
        logistic(&params, &[-15, 15, -16, 16], &mut out, SplitRange::full(4)).unwrap();
        assert_eq!(out, [-128, 127, -128, 127]);
    }

    #[test]
    fn split_equals_whole() {
        let input = pseudo_random_i8(50, 61);
        let params = prepare(0.07, -10);
        check_flat_split(50, 0i8, |r, out| logistic(&params, &input, out, r).unwrap());
    }

    #[test]
    fn in_place_equals_out_of_place() {
        let input: Vec<i8> = (-128..=127).collect();
        let params = prepare(0.07, -10);
        let mut expected = vec![0i8; 256];
        logistic(&params, &input, &mut expected, SplitRange::full(256)).unwrap();
        check_in_place_split(&input, &expected, |r, data| {
            logistic_in_place(&params, data, r).unwrap()
        });
    }
}
