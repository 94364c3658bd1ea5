//! MEAN (reduce-mean) for INT8 and INT16 over any set of axes.
//!
//! Mirrors `reference_ops::QuantizedMeanOrSum` with `compute_sum = false`
//! (reference/reduce.h) as used by `EvalIntegerMean` in
//! tensorflow/lite/micro/kernels/reduce_common.cc. Prepare only computes
//! `QuantizeMultiplier(input_scale / output_scale)`; the `1 / count` factor is folded
//! into that multiplier *at eval time* (see [`mean_multiplier`]).
//!
//! Split axis: flat output elements. `keep_dims` does not change the output's flat
//! layout, so it is not a parameter.

use crate::element::QuantElement;
use crate::error::{KernelError, KernelResult};
use crate::quant::QuantizedMultiplier;
use crate::reduce::Reduction;
use crate::shape::Shape;
use crate::split::SplitRange;

/// TFLM `OpDataReduce` fields used by quantized MEAN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeanParams {
    /// `input_zp`.
    pub input_zero_point: i32,
    /// `output_zp`.
    pub output_zero_point: i32,
    /// `multiplier` / `shift` = `QuantizeMultiplier((double)s_in / (double)s_out)`.
    pub multiplier: QuantizedMultiplier,
}

/// The eval-time multiplier of `QuantizedMeanOrSum`: with `s = floor(log2(count))`
/// clamped to `min(s, 32, 31 + shift)`, it is
/// `((int64)multiplier << s) / count` with shift `shift - s`.
pub fn mean_multiplier(base: QuantizedMultiplier, count: u64) -> QuantizedMultiplier {
    let log2 = 63 - count.max(1).leading_zeros() as i32;
    let shift = log2.min(32).min(31 + base.shift).max(0);
    // A positive divisor: no count is large enough for the clamp to change the result.
    let divisor = i64::try_from(count).unwrap_or(i64::MAX).max(1);
    let multiplier = (i64::from(base.multiplier) << shift) / divisor;
    QuantizedMultiplier {
        multiplier: multiplier as i32,
        shift: base.shift - shift,
    }
}

/// Writes outputs `range` of the mean of `input` over `axes` (resolved, non-negative
/// axis indices of `input_shape`; duplicates are ignored as TFLM's `ResolveAxis` does).
pub fn mean<T: QuantElement>(
    params: &MeanParams,
    input: &[T],
    input_shape: &Shape,
    axes: &[usize],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    mean_or_sum(false, params, input, input_shape, axes, output, range)
}

/// SUM: [`mean`] without the `1 / count` factor (`compute_sum = true`), the
/// multiplier used as Prepare computed it.
pub fn sum<T: QuantElement>(
    params: &MeanParams,
    input: &[T],
    input_shape: &Shape,
    axes: &[usize],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    mean_or_sum(true, params, input, input_shape, axes, output, range)
}

fn mean_or_sum<T: QuantElement>(
    compute_sum: bool,
    params: &MeanParams,
    input: &[T],
    input_shape: &Shape,
    axes: &[usize],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    let reduction = Reduction::checked(input.len(), input_shape, axes, output.len(), range)?;
    let count = reduction.count()?;
    if count == 0 || input.is_empty() {
        // TFLM value-initialises the output (zeros, not the zero point) and stops.
        // `get_mut`: checked above, but the optimizer does not see it (no panic path).
        output
            .get_mut(range.indices())
            .ok_or(KernelError::RangeOutOfBounds)?
            .fill(T::saturate(0));
        return Ok(());
    }
    let multiplier = if compute_sum {
        params.multiplier
    } else {
        mean_multiplier(params.multiplier, count as u64)
    };
    reduction.fold_each(
        input,
        output,
        range,
        0i32,
        |sum, tap| sum.wrapping_add(tap.widen()),
        |sum| {
            // C++ evaluates `temp_sum - zp * count` in int64 and narrows to int32.
            let shifted_sum =
                (i64::from(sum) - i64::from(params.input_zero_point) * count as i64) as i32;
            T::saturate(
                multiplier
                    .apply(shifted_sum)
                    .wrapping_add(params.output_zero_point),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, pseudo_random_i8};

    #[test]
    fn sum_keeps_the_prepared_multiplier() {
        // [2, 3] summed over axis 1 with input zero point 1 and multiplier 0.5
        // (2^30 * 2^0 / 2^31): (sum - 3 * 1) / 2, rounded half away from zero.
        let params = MeanParams {
            input_zero_point: 1,
            output_zero_point: -2,
            multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: 0,
            },
        };
        let input = [4i8, 6, 9, -100, -50, 1];
        let out = check_flat_split(2, 0i8, |range, out| {
            sum(
                &params,
                &input,
                &Shape::new(&[2, 3]).unwrap(),
                &[1],
                out,
                range,
            )
            .unwrap()
        });
        assert_eq!(out, vec![6, -78]); // 16 / 2 - 2 and -152 / 2 - 2
    }

    /// MEAN over `axes` of `input` (shape `dims`) with equal input and output scales
    /// and the given `(input, output)` zero points, written over `out`.
    fn equal_scale_mean<const N: usize>(
        (input_zero_point, output_zero_point): (i32, i32),
        input: &[i8],
        dims: &[usize],
        axes: &[usize],
        mut out: [i8; N],
    ) -> [i8; N] {
        let params = MeanParams {
            input_zero_point,
            output_zero_point,
            multiplier: QuantizedMultiplier::ONE,
        };
        mean(
            &params,
            input,
            &Shape::new(dims).unwrap(),
            axes,
            &mut out,
            SplitRange::full(N),
        )
        .unwrap();
        out
    }

    #[test]
    fn eval_time_multiplier_folds_in_the_count() {
        // Base 1.0 = (2^30, 1); count 4: s = 2, (2^30 << 2) / 4 = 2^30, shift -1.
        assert_eq!(
            mean_multiplier(QuantizedMultiplier::ONE, 4),
            QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -1
            }
        );
        // Count 3: s = 1, (2^31) / 3 = 715827882, shift 0 (= 1/3 in Q31).
        assert_eq!(
            mean_multiplier(QuantizedMultiplier::ONE, 3),
            QuantizedMultiplier {
                multiplier: 715_827_882,
                shift: 0
            }
        );
        // A shift of -31 leaves no room: s is clamped to 0 and the count is lost.
        let tiny = QuantizedMultiplier {
            multiplier: 1 << 30,
            shift: -31,
        };
        assert_eq!(
            mean_multiplier(tiny, 8),
            QuantizedMultiplier {
                multiplier: (1 << 30) / 8,
                shift: -31
            }
        );
    }

    #[test]
    fn spatial_mean_hand_checked() {
        // NHWC [1, 2, 2, 2], mean over H and W; zp_in 1, zp_out -2, scales equal.
        // ch0: 3, 5, 7, 9 -> sum 24 - 4 = 20 -> 5 -> 3 ; ch1: 0, 1, 1, 1 -> 3 - 4 = -1
        // -> -0.25 -> 0 -> -2.
        let input = [3i8, 0, 5, 1, 7, 1, 9, 1];
        assert_eq!(
            equal_scale_mean((1, -2), &input, &[1, 2, 2, 2], &[1, 2], [0; 2]),
            [3, -2]
        );
    }

    #[test]
    fn rounding_of_negative_means() {
        // Values -3, -2 over one axis: sum -5, mean -2.5.
        // Folded multiplier: s = 1, (2^30 << 1) / 2 = 2^30, shift 0: a pure high mul,
        // so the tie -2.5 rounds up to -2.
        assert_eq!(
            equal_scale_mean((0, 0), &[-3, -2], &[2], &[0], [0; 1]),
            [-2]
        );
    }

    #[test]
    fn empty_reduction_writes_zeros() {
        assert_eq!(equal_scale_mean((5, 7), &[], &[3, 0], &[1], [9; 3]), [0; 3]);
    }

    #[test]
    fn split_equals_whole() {
        let shape = Shape::new(&[2, 3, 4, 5]).unwrap();
        let input = pseudo_random_i8(120, 151);
        let params = MeanParams {
            input_zero_point: -3,
            output_zero_point: 4,
            multiplier: QuantizedMultiplier {
                multiplier: 1_400_000_000,
                shift: 0,
            },
        };
        check_flat_split(10, 0i8, |r, out| {
            mean(&params, &input, &shape, &[1, 2], out, r).unwrap()
        });
        check_flat_split(24, 0i8, |r, out| {
            mean(&params, &input, &shape, &[3], out, r).unwrap()
        });
    }
}
