//! CUMSUM for INT8 along one axis, inclusive or exclusive, forward or reversed.
//!
//! Mirrors `reference_ops::CumSum` for `int8_t` (reference/cumsum.h) via
//! tensorflow/lite/micro/kernels/cumsum.cc: the ADD_N rescaling ([`crate::add_n::SumParams`]),
//! each running sum starting from TFLM's rescaled input-offset term. The tensor is
//! viewed as `[before, depth, after]` around the axis; each of the `before * after`
//! lines is scanned independently. FLOAT32 sums plainly from `0.0`
//! ([`crate::add_n::FloatSum`]), as TFLM's float `CumSum`. Split axis: lines
//! (`before * after`).

use core::num::NonZeroUsize;

use crate::add_n::Summation;
use crate::error::{element, expect_len, KernelError, KernelResult};
use crate::split::SplitRange;

/// How the tensor lies around the summed axis, and which sum is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CumSumLayout {
    /// Product of the dimensions before the axis.
    pub before: usize,
    /// The axis' dimension.
    pub depth: usize,
    /// Product of the dimensions after the axis.
    pub after: usize,
    /// `exclusive`: each output sums the elements before it, not including itself.
    pub exclusive: bool,
    /// `reverse`: sums run from the end of the axis.
    pub reverse: bool,
}

/// CUMSUM of the lines in `range` (line `l` is `before` index `l / after`,
/// `after` index `l % after`).
pub fn cumsum<T: Copy>(
    summation: &impl Summation<T>,
    layout: &CumSumLayout,
    input: &[T],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    let lines = layout
        .before
        .checked_mul(layout.after)
        .ok_or(KernelError::InvalidParameter)?;
    let elements = lines
        .checked_mul(layout.depth)
        .ok_or(KernelError::InvalidParameter)?;
    expect_len(input.len(), elements)?;
    expect_len(output.len(), elements)?;
    range.check_within(lines)?;
    // No lines without an `after` extent; `NonZeroUsize`: the divisions cannot panic.
    let Some(after_extent) = NonZeroUsize::new(layout.after) else {
        return Ok(());
    };
    for line in range.indices() {
        let (before, after) = (line / after_extent, line % after_extent);
        let base = before * layout.depth * layout.after + after;
        let mut accumulator = summation.start();
        for step in 0..layout.depth {
            let position = if layout.reverse {
                layout.depth - 1 - step
            } else {
                step
            };
            let index = base + position * layout.after;
            let before_this = accumulator;
            accumulator = summation.add(accumulator, element(input, index)?);
            let sum = if layout.exclusive {
                before_this
            } else {
                accumulator
            };
            *output.get_mut(index).ok_or(KernelError::RangeOutOfBounds)? = summation.finish(sum);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::add_n::{FloatSum, SumParams};
    use crate::quant::{quantize_multiplier, ActivationRange};
    use crate::test_util::check_flat_split;

    fn params() -> SumParams {
        SumParams {
            left_shift: 20,
            input_offset: 0,
            input_multiplier: quantize_multiplier(0.5).unwrap(),
            output_offset: 0,
            output_multiplier: quantize_multiplier(2.0 / f64::from(1 << 20)).unwrap(),
            activation: ActivationRange {
                min: -128,
                max: 127,
            },
        }
    }

    fn run(exclusive: bool, reverse: bool) -> Vec<i8> {
        // [2, 3] summed over axis 1 (before 2, depth 3, after 1) and split by lines.
        let layout = CumSumLayout {
            before: 2,
            depth: 3,
            after: 1,
            exclusive,
            reverse,
        };
        let input = [1i8, 2, 3, 10, 20, 30];
        let mut whole = vec![0i8; 6];
        cumsum(&params(), &layout, &input, &mut whole, SplitRange::full(2)).unwrap();
        let lines = check_flat_split(2, [0i8; 3], |range, out: &mut [[i8; 3]]| {
            let mut flat = [0i8; 6];
            cumsum(&params(), &layout, &input, &mut flat, range).unwrap();
            for line in range.indices() {
                out[line].copy_from_slice(&flat[line * 3..line * 3 + 3]);
            }
        });
        assert_eq!(lines.concat(), whole);
        whole
    }

    #[test]
    fn inclusive_exclusive_forward_and_reverse() {
        assert_eq!(run(false, false), [1, 3, 6, 10, 30, 60]);
        assert_eq!(run(true, false), [0, 1, 3, 0, 10, 30]);
        assert_eq!(run(false, true), [6, 5, 3, 60, 50, 30]);
        assert_eq!(run(true, true), [5, 3, 0, 50, 30, 0]);
    }

    #[test]
    fn sums_along_a_middle_axis() {
        // [2, 2] over axis 0: before 1, depth 2, after 2.
        let layout = CumSumLayout {
            before: 1,
            depth: 2,
            after: 2,
            exclusive: false,
            reverse: false,
        };
        let mut out = [0i8; 4];
        cumsum(
            &params(),
            &layout,
            &[1, 2, 3, 4],
            &mut out,
            SplitRange::full(2),
        )
        .unwrap();
        assert_eq!(out, [1, 2, 4, 6]);
        assert!(cumsum(
            &params(),
            &layout,
            &[1, 2, 3],
            &mut out,
            SplitRange::full(2)
        )
        .is_err());
    }

    #[test]
    fn float_sums_run_in_order_from_zero() {
        let layout = CumSumLayout {
            before: 1,
            depth: 3,
            after: 1,
            exclusive: true,
            reverse: true,
        };
        // Reversed: 1e8 first, then 1.0 is lost to rounding, then -1e8: 0.0 and not 1.0.
        let input = [-1.0e8f32, 1.0, 1.0e8];
        let mut output = [7.0f32; 3];
        cumsum(&FloatSum, &layout, &input, &mut output, SplitRange::full(1)).unwrap();
        assert_eq!(output, [1.0e8, 1.0e8, 0.0]);
        let inclusive = CumSumLayout {
            exclusive: false,
            ..layout
        };
        cumsum(
            &FloatSum,
            &inclusive,
            &input,
            &mut output,
            SplitRange::full(1),
        )
        .unwrap();
        assert_eq!(output, [0.0, 1.0e8, 1.0e8]);
    }
}
