//! CONCATENATION along one axis.
//!
//! Mirrors `reference_ops::Concatenation` (reference/concatenation.h) as used by
//! tensorflow/lite/micro/kernels/concatenation.cc. TFLM's Prepare *requires* every
//! INT8 input to have the output's scale and zero point (it does not requantize; that
//! is TFLite's `ConcatenationWithScaling`), so this is a pure copy for any element
//! type. A compiler meeting differing quantization must insert a requantizing
//! QUANTIZE before the concatenation to stay TFLM-compatible.
//!
//! Split axis: flat output elements.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::split::SplitRange;

/// Layout of a concatenation, viewing every tensor as `[outer, axis, inner]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConcatLayout<'a> {
    /// Product of the dimensions before the axis.
    pub outer: usize,
    /// Product of the dimensions after the axis.
    pub inner: usize,
    /// Each input's extent along the axis, in input order.
    pub axis_sizes: &'a [usize],
}

impl ConcatLayout<'_> {
    /// Checks the input and output lengths and `range`; returns the length of one
    /// output row (`sum(axis_sizes) * inner`).
    pub(crate) fn checked_output_row<T>(
        &self,
        inputs: &[&[T]],
        output_len: usize,
        range: SplitRange,
    ) -> Result<usize, KernelError> {
        expect_len(inputs.len(), self.axis_sizes.len())?;
        let overflow = || KernelError::InvalidParameter;
        let mut output_axis = 0usize;
        for (input, &axis) in inputs.iter().zip(self.axis_sizes) {
            let count = self
                .outer
                .checked_mul(axis)
                .and_then(|v| v.checked_mul(self.inner));
            expect_len(input.len(), count.ok_or_else(overflow)?)?;
            output_axis = output_axis.checked_add(axis).ok_or_else(overflow)?;
        }
        let output_row = output_axis.checked_mul(self.inner).ok_or_else(overflow)?;
        expect_len(
            output_len,
            self.outer.checked_mul(output_row).ok_or_else(overflow)?,
        )?;
        range.check_within(output_len)?;
        Ok(output_row)
    }
}

/// Copies the `range` part of the concatenation of `inputs` into `output`.
pub fn concatenation<T: Copy>(
    layout: &ConcatLayout,
    inputs: &[&[T]],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    let output_row = layout.checked_output_row(inputs, output.len(), range)?;

    let mut index = range.start;
    while index < range.end {
        let (outer, mut position) = (index / output_row, index % output_row);
        // Find the input that owns `position` within this output row, then copy the
        // longest run that stays inside both that input's row and the range.
        for (input, &axis) in inputs.iter().zip(layout.axis_sizes) {
            let input_row = axis * layout.inner;
            if position < input_row {
                let run = (input_row - position).min(range.end - index);
                let source = outer * input_row + position;
                output[index..index + run].copy_from_slice(&input[source..source + run]);
                index += run;
                break;
            }
            position -= input_row;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, pseudo_random_i8};

    #[test]
    fn concatenates_along_middle_axis() {
        // Shapes [2, 1, 2] and [2, 2, 2] along axis 1 -> [2, 3, 2].
        let a = [1, 2, 3, 4];
        let b = [10, 11, 12, 13, 14, 15, 16, 17];
        let layout = ConcatLayout {
            outer: 2,
            inner: 2,
            axis_sizes: &[1, 2],
        };
        let mut out = [0i8; 12];
        concatenation(&layout, &[&a, &b], &mut out, SplitRange::full(12)).unwrap();
        assert_eq!(out, [1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17]);
    }

    #[test]
    fn empty_inputs_are_skipped() {
        let layout = ConcatLayout {
            outer: 1,
            inner: 1,
            axis_sizes: &[0, 2, 0, 1],
        };
        let mut out = [0i16; 3];
        concatenation(
            &layout,
            &[&[], &[7, 8], &[], &[9]],
            &mut out,
            SplitRange::full(3),
        )
        .unwrap();
        assert_eq!(out, [7, 8, 9]);
    }

    #[test]
    fn wrong_input_length_is_rejected() {
        let layout = ConcatLayout {
            outer: 1,
            inner: 1,
            axis_sizes: &[2],
        };
        let mut out = [0i8; 2];
        assert_eq!(
            concatenation(&layout, &[&[1]], &mut out, SplitRange::full(2)),
            Err(KernelError::ShapeMismatch)
        );
    }

    #[test]
    fn split_equals_whole() {
        let a = pseudo_random_i8(3 * 2 * 4, 111);
        let b = pseudo_random_i8(3 * 5 * 4, 112);
        let c = pseudo_random_i8(3 * 4, 113);
        let layout = ConcatLayout {
            outer: 3,
            inner: 4,
            axis_sizes: &[2, 5, 1],
        };
        check_flat_split(96, 0i8, |r, out| {
            concatenation(&layout, &[&a, &b, &c], out, r).unwrap()
        });
    }
}
