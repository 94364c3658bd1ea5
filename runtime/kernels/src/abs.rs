//! ABS for quantized INT8 / INT16, unquantized INT16 and FLOAT32.
//!
//! Mirrors `AbsEval` / `AbsEvalQuantized` and `PrepareAbsRsqrt` in
//! tensorflow/lite/micro/kernels/elementwise.cc: `|x - input_zero_point|`, rescaled
//! only when the input and output scales differ, plus the output zero point,
//! saturated. Unquantized INT16 is `std::abs` narrowed back to `int16_t`, so
//! `|-32768|` wraps to -32768. Split axis: flat elements.

use crate::element::QuantElement;
use crate::error::KernelResult;
use crate::quant::QuantizedMultiplier;
use crate::split::SplitRange;
use crate::unary::map_range;

/// TFLM `OpDataAbsRsqrt` fields used by quantized ABS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbsParams {
    /// `input_offset` (the input zero point, subtracted).
    pub input_zero_point: i32,
    /// `output_offset` (the output zero point, added).
    pub output_zero_point: i32,
    /// `multiplier` / `shift` = `QuantizeMultiplier((double)(input_scale / output_scale))`
    /// when `needs_rescale` (the scales differ), else `None`.
    pub rescale: Option<QuantizedMultiplier>,
}

/// Quantized ABS over `range`.
pub fn abs<T: QuantElement>(
    params: &AbsParams,
    input: &[T],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    map_range(input, output, range, |x| {
        // |x - zero point| < 2^17: neither the subtraction nor `abs` can overflow.
        let value = (x.widen() - params.input_zero_point).abs();
        let scaled = match params.rescale {
            Some(multiplier) => multiplier.apply(value),
            None => value,
        };
        T::saturate(scaled.wrapping_add(params.output_zero_point))
    })
}

/// Unquantized INT16 ABS over `range` (`i16::MIN` stays `i16::MIN`, as in TFLM).
pub fn abs_i16(input: &[i16], output: &mut [i16], range: SplitRange) -> KernelResult {
    map_range(input, output, range, i16::wrapping_abs)
}

/// FLOAT32 ABS over `range`.
pub fn abs_f32(input: &[f32], output: &mut [f32], range: SplitRange) -> KernelResult {
    map_range(input, output, range, f32::abs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::quantize_multiplier;
    use crate::test_util::check_flat_split;

    #[test]
    fn int8_without_rescale_adds_the_output_zero_point_and_saturates() {
        let params = AbsParams {
            input_zero_point: -10,
            output_zero_point: -128,
            rescale: None,
        };
        let input = [-10i8, -11, 0, 127, -128];
        let got = check_flat_split(5, 0i8, |range, out| {
            abs(&params, &input, out, range).unwrap()
        });
        assert_eq!(got, [-128, -127, -118, 9, -10]);
    }

    #[test]
    fn int8_rescales_when_scales_differ() {
        let params = AbsParams {
            input_zero_point: 0,
            output_zero_point: -128,
            rescale: quantize_multiplier(0.5),
        };
        let input = [-100i8, 3, -3, 127];
        let mut out = [0i8; 4];
        abs(&params, &input, &mut out, SplitRange::full(4)).unwrap();
        // 50, round(1.5) = 2, 2, round(63.5) = 64; then - 128.
        assert_eq!(out, [-78, -126, -126, -64]);
    }

    #[test]
    fn unquantized_int16_wraps_like_cpp() {
        let mut out = [0i16; 3];
        abs_i16(&[i16::MIN, -5, 7], &mut out, SplitRange::full(3)).unwrap();
        assert_eq!(out, [i16::MIN, 5, 7]);
        let mut floats = [0.0f32; 2];
        abs_f32(&[-0.0, -2.5], &mut floats, SplitRange::full(2)).unwrap();
        assert_eq!(
            floats.map(f32::to_bits),
            [0.0f32.to_bits(), 2.5f32.to_bits()]
        );
    }
}
