//! REQUANTIZE_FLOAT: an int32 accumulator (the int8 linear kernels' exact sum, see
//! [`crate::linear_output`]) or a float32 value (a float graph input, a float
//! operator's result) to int8 as onnxruntime's CPU kernels requantize, for
//! `tinymlc --onnx_exact`.
//!
//! onnxruntime (MLAS `MlasRequantizeOutput`, `MlasQuantizeLinear`) multiplies the
//! accumulator converted to `float` by a per-channel `float` scale, or divides a float by
//! the output scale, then rounds half to even, adds the zero point and saturates
//! (QLinearMul adds its zero point as a float before rounding). Here one formula serves
//! them all, `(x * multiplier[c]) / divisor + offset`: a multiplier or divisor of 1 and an
//! offset of 0 leave the value unchanged bit for bit, so the compiler chooses which of the
//! roundings happen, in onnxruntime's order.
//!
//! Split axis: flat elements ([`SplitRange`]); the channel of element `i` is
//! `i % multipliers.len()` (the last axis).

use crate::element::QuantElement;
use crate::error::{expect_len, KernelError, KernelResult};
use crate::split::SplitRange;

/// `1.5 * 2^23`: adding it to a float of magnitude at most 2^22 leaves no fraction bits,
/// so the addition itself rounds half to even (IEEE's default), and subtracting it back
/// is exact.
const ROUNDING_BIAS: f32 = 12_582_912.0;

/// Largest magnitude the rounding trick handles; anything beyond saturates any 8- or
/// 16-bit output anyway.
const ROUNDING_LIMIT: f32 = 4_194_304.0;

/// What [`requantize_float`] reads: `f32` values, or `i32` accumulators, converted to
/// the nearest `f32` (ties to even) as onnxruntime's `static_cast<float>` does.
pub trait FloatSource: Copy {
    /// The value as `f32`.
    fn to_f32(self) -> f32;
}

impl FloatSource for f32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
}

impl FloatSource for i32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        // Rust's `as` rounds to nearest, ties to even, like C's conversion.
        self as f32
    }
}

/// The per-layer constants of [`requantize_float`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatRequantizeParams<'a> {
    /// One multiplier per channel of the last axis, or one for the whole tensor.
    pub multipliers: &'a [f32],
    /// Divides every product (1 when onnxruntime only multiplies).
    pub divisor: f32,
    /// Added in float before rounding (QLinearMul's zero point; 0 elsewhere).
    pub offset: f32,
    /// Added to the rounded integer: the output zero point (minus 128 for a uint8 output
    /// whose zero point is `offset`).
    pub zero_point: i32,
}

/// `x` rounded to the nearest integer, ties to even, after clamping to
/// [`ROUNDING_LIMIT`] (NaN becomes 0).
pub(crate) fn round_half_even_clamped(x: f32) -> i32 {
    let clamped = x.clamp(-ROUNDING_LIMIT, ROUNDING_LIMIT);
    ((clamped + ROUNDING_BIAS) - ROUNDING_BIAS) as i32
}

/// `output[i] = saturate(round_half_even((input[i] * multipliers[c]) / divisor + offset)
/// + zero_point)` for `i` in `range`.
pub fn requantize_float<S: FloatSource, T: QuantElement>(
    params: &FloatRequantizeParams<'_>,
    input: &[S],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), output.len())?;
    range.check_within(output.len())?;
    let channels = params.multipliers.len();
    if channels == 0 || output.len() % channels != 0 {
        return Err(KernelError::InvalidParameter);
    }
    for index in range.indices() {
        let (Some(out), Some(&value), Some(&multiplier)) = (
            output.get_mut(index),
            input.get(index),
            params.multipliers.get(index % channels),
        ) else {
            return Err(KernelError::RangeOutOfBounds);
        };
        let scaled = (value.to_f32() * multiplier) / params.divisor + params.offset;
        *out = T::saturate(round_half_even_clamped(scaled).saturating_add(params.zero_point));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(multipliers: &[f32], divisor: f32, zero_point: i32, input: &[f32]) -> Vec<i8> {
        let params = FloatRequantizeParams {
            multipliers,
            divisor,
            offset: 0.0,
            zero_point,
        };
        let mut output = vec![0i8; input.len()];
        requantize_float(&params, input, &mut output, SplitRange::full(input.len())).unwrap();
        output
    }

    #[test]
    fn ties_round_to_even() {
        let input = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998, 2.5000002];
        assert_eq!(run(&[1.0], 1.0, 0, &input), [0, 2, 2, 0, -2, -2, 2, 3]);
    }

    #[test]
    fn saturates_after_the_zero_point() {
        let input = [1.0e9, -1.0e9, 127.0, 128.0, -129.0, f32::NAN];
        assert_eq!(
            run(&[1.0], 1.0, -3, &input),
            [127, -128, 124, 125, -128, -3]
        );
    }

    #[test]
    fn multiplies_per_channel_then_divides() {
        // Channel 0 multiplies by 0.5, channel 1 by 0.25; both then divide by 0.5.
        let input = [3.0, 3.0, 5.0, 6.0];
        assert_eq!(run(&[0.5, 0.25], 0.5, 1, &input), [4, 3, 6, 4]);
    }

    #[test]
    fn int32_accumulators_convert_to_the_nearest_float_ties_to_even() {
        // 2^24 + 1 and 2^24 + 3 are ties between floats: they round to 2^24 and
        // 2^24 + 4 (even mantissas); times 2^-18 that is 64 and 64.0000153 -> 64;
        // 2^31 - 1 becomes 2^31, times 2^-24 exactly 128, saturating.
        let params = FloatRequantizeParams {
            multipliers: &[1.0 / 262_144.0, 1.0 / 16_777_216.0],
            divisor: 1.0,
            offset: 0.0,
            zero_point: 0,
        };
        let input = [16_777_217, i32::MAX, 16_777_219, -16_777_216 * 2 - 3];
        let mut output = [0i8; 4];
        requantize_float(&params, &input, &mut output, SplitRange::full(4)).unwrap();
        assert_eq!(output, [64, 127, 64, -2]);
        // 2^25 + 3 is odd: it becomes 2^25 + 4 (rounded, then the multiply is exact), so
        // `(2^25 + 4) / 2^24` = 2.00000024 rounds to 2; the float the float kernels
        // would have summed is the same.
        let large = [33_554_435i32];
        let mut one = [0i8; 1];
        let single = FloatRequantizeParams {
            multipliers: &[1.0 / 16_777_216.0],
            ..params
        };
        requantize_float(&single, &large, &mut one, SplitRange::full(1)).unwrap();
        assert_eq!(one, [2]);
    }

    #[test]
    fn a_float_offset_rounds_with_the_value() {
        // 0.5 + 2^-20 rounds up alone; plus 100 in float it is 100.5, a tie, rounding to
        // 100 (QLinearMul adds its zero point before rounding).
        let params = FloatRequantizeParams {
            multipliers: &[1.0],
            divisor: 1.0,
            offset: 100.0,
            zero_point: -128,
        };
        let mut output = [0i8; 2];
        let input = [0.5 + 1.0 / 1_048_576.0, 200.0];
        requantize_float(&params, &input, &mut output, SplitRange::full(2)).unwrap();
        assert_eq!(output, [-28, 127]);
    }

    #[test]
    fn computes_only_its_range() {
        let params = FloatRequantizeParams {
            multipliers: &[1.0],
            divisor: 1.0,
            offset: 0.0,
            zero_point: 0,
        };
        let mut output = [9i8; 4];
        requantize_float(
            &params,
            &[1.0, 2.0, 3.0, 4.0],
            &mut output,
            SplitRange::new(1, 3),
        )
        .unwrap();
        assert_eq!(output, [9, 2, 3, 9]);
    }

    #[test]
    fn rejects_bad_parameters_without_panicking() {
        let mut output = [0i8; 3];
        let empty = FloatRequantizeParams {
            multipliers: &[],
            divisor: 1.0,
            offset: 0.0,
            zero_point: 0,
        };
        assert_eq!(
            requantize_float(&empty, &[0.0; 3], &mut output, SplitRange::full(3)),
            Err(KernelError::InvalidParameter)
        );
        let two = FloatRequantizeParams {
            multipliers: &[1.0, 1.0],
            ..empty
        };
        assert_eq!(
            requantize_float(&two, &[0.0; 3], &mut output, SplitRange::full(3)),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            requantize_float(&two, &[0.0; 2], &mut output, SplitRange::full(3)),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            requantize_float(&empty, &[0.0; 3], &mut output, SplitRange::new(2, 5)),
            Err(KernelError::RangeOutOfBounds)
        );
    }
}
