//! ADD_N for INT8: the element-wise sum of any number of same-shaped inputs that
//! share one quantization.
//!
//! Mirrors `reference_ops::AddN` for `int8_t` (reference/add_n.h) via
//! tensorflow/lite/micro/kernels/add_n.cc: each input is rescaled like an ADD operand
//! (`left_shift` 20, multiplier `s / 2s`), the rescaled values summed, and the sum
//! scaled to the output. TFLM's accumulator starts at the rescaled input offset
//! (its `x = input1_offset` term), so every output carries that extra term; this
//! kernel adds it too. FLOAT32 ([`FloatSum`]) sums plainly, from `0.0`, as TFLM's
//! float `AddN`. Split axis: flat elements.

use crate::error::{element, expect_len, KernelError, KernelResult};
use crate::quant::{ActivationRange, QuantizedMultiplier};
use crate::split::SplitRange;

/// TFLM ADD_N's and CUMSUM's `OpData` (the `ArithmeticParams` their Eval fills): the
/// rescaling of same-scale INT8 values into a sum and of the sum to the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SumParams {
    /// `left_shift` (TFLM's `kAddNIntegerShift` / `kCumSumIntegerShift`, 20).
    pub left_shift: i32,
    /// `input_offset` (minus the inputs' shared zero point).
    pub input_offset: i32,
    /// `input_multiplier` / `input_shift`: `QuantizeMultiplierSmallerThanOneExp(0.5)`.
    pub input_multiplier: QuantizedMultiplier,
    /// `output_offset` (the output zero point).
    pub output_offset: i32,
    /// `output_multiplier` / `output_shift`:
    /// `QuantizeMultiplierSmallerThanOneExp(2 s_in / (2^left_shift s_out))`.
    pub output_multiplier: QuantizedMultiplier,
    /// The output's full range (TFLM: `CalculateActivationRangeQuantized(kTfLiteActNone)`).
    pub activation: ActivationRange,
}

impl SumParams {
    /// `(value + offset) << left_shift`, then the input multiplier: one summand.
    #[inline]
    fn summand(&self, value: i32) -> i32 {
        let shift = 1i32.wrapping_shl(self.left_shift.clamp(0, 31) as u32);
        self.input_multiplier
            .apply(self.input_offset.wrapping_add(value).wrapping_mul(shift))
    }
}

/// How ADD_N and CUMSUM sum elements of type `T`: a running sum from `start`, each
/// element added in turn, the sum turned into an output element.
pub trait Summation<T> {
    /// The running sum's type.
    type Sum: Copy;
    /// The sum before the first element.
    fn start(&self) -> Self::Sum;
    /// `sum` with `value` added.
    fn add(&self, sum: Self::Sum, value: T) -> Self::Sum;
    /// The output element of `sum`.
    fn finish(&self, sum: Self::Sum) -> T;
}

impl Summation<i8> for SumParams {
    type Sum = i32;

    /// TFLM's initial accumulator, the summand of a stored 0 (its
    /// `x = input1_offset` term): every sum starts from it.
    #[inline]
    fn start(&self) -> i32 {
        self.summand(0)
    }

    #[inline]
    fn add(&self, sum: i32, value: i8) -> i32 {
        sum.wrapping_add(self.summand(i32::from(value)))
    }

    /// The sum rescaled to the output, offset and clamped.
    #[inline]
    fn finish(&self, sum: i32) -> i8 {
        let raw = self
            .output_multiplier
            .apply(sum)
            .wrapping_add(self.output_offset);
        self.activation.apply(raw) as i8
    }
}

/// TFLM's float ADD_N and CUMSUM (`reference_ops::AddN<float>`, `CumSum<float>`):
/// single-precision additions in order, from `0.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloatSum;

impl Summation<f32> for FloatSum {
    type Sum = f32;

    #[inline]
    fn start(&self) -> f32 {
        0.0
    }

    #[inline]
    fn add(&self, sum: f32, value: f32) -> f32 {
        sum + value
    }

    #[inline]
    fn finish(&self, sum: f32) -> f32 {
        sum
    }
}

/// ADD_N over `range`: every input and the output have the same length.
pub fn add_n<T: Copy>(
    summation: &impl Summation<T>,
    inputs: &[&[T]],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    for input in inputs {
        expect_len(input.len(), output.len())?;
    }
    range.check_within(output.len())?;
    for index in range.indices() {
        let sum = inputs.iter().try_fold(summation.start(), |sum, input| {
            Ok::<_, KernelError>(summation.add(sum, element(input, index)?))
        })?;
        *output.get_mut(index).ok_or(KernelError::RangeOutOfBounds)? = summation.finish(sum);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::quantize_multiplier;
    use crate::test_util::check_flat_split;

    #[test]
    fn sums_with_tflms_extra_offset_term() {
        // Inputs and output: scale 0.1, zero point 0 (no extra term) ...
        let params = SumParams {
            left_shift: 20,
            input_offset: 0,
            input_multiplier: quantize_multiplier(0.5).unwrap(),
            output_offset: 0,
            output_multiplier: quantize_multiplier(2.0 / f64::from(1 << 20)).unwrap(),
            activation: ActivationRange {
                min: -128,
                max: 127,
            },
        };
        let (a, b, c) = ([1i8, -50, 100], [2i8, -50, 20], [3i8, -50, 10]);
        let got = check_flat_split(3, 0i8, |range, out| {
            add_n(&params, &[&a, &b, &c], out, range).unwrap()
        });
        assert_eq!(got, [6, -128, 127]);
        // ... and with zero point 10 the sum gains one more (x - 10) = -10 term.
        let offset = SumParams {
            input_offset: -10,
            output_offset: 10,
            ..params
        };
        let mut out = [0i8; 3];
        add_n(
            &offset,
            &[&[11, 11, 11], &[12, 12, 12]],
            &mut out,
            SplitRange::full(3),
        )
        .unwrap();
        assert_eq!(out, [3, 3, 3]);
    }

    #[test]
    fn inputs_must_match_the_output_length() {
        let params = SumParams {
            left_shift: 20,
            input_offset: 0,
            input_multiplier: QuantizedMultiplier::ONE,
            output_offset: 0,
            output_multiplier: QuantizedMultiplier::ONE,
            activation: ActivationRange {
                min: -128,
                max: 127,
            },
        };
        let mut out = [0i8; 2];
        assert!(add_n(&params, &[&[1, 2], &[1]], &mut out, SplitRange::full(2)).is_err());
    }

    #[test]
    fn float_sums_start_from_positive_zero() {
        // 0.0 + -0.0 + -0.0 is 0.0; 1e8 + 1.0 rounds back to 1e8 before -1e8 cancels it.
        let (a, b) = ([-0.0f32, 1.0e8], [-0.0f32, 1.0]);
        let c = [-0.0f32, -1.0e8];
        let mut output = [7.0f32; 2];
        add_n(&FloatSum, &[&a, &b, &c], &mut output, SplitRange::full(2)).unwrap();
        assert_eq!(output[0].to_bits(), 0);
        assert_eq!(output[1], 0.0);
    }
}
