//! STRIDED_SLICE up to 6D (TFLM: 5D).
//!
//! Mirrors the loops of `reference_ops::StridedSlice` (reference/strided_slice.h) as
//! used by tensorflow/lite/micro/kernels/strided_slice.cc. The per-axis start, stride
//! and element count are resolved by the compiler from begin/end/strides and the
//! begin/end/shrink/ellipsis/new-axis masks exactly as TFLM's
//! `StridedSlicePadIndices`, `StridedSliceStartForAxis` and `StridedSliceEndForAxis`
//! (tensorflow/lite/kernels/internal/strided_slice_logic.h) do; see README.
//!
//! Split axis: flat output elements.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::shape::{checked_product, row_major_strides, Shape, MAX_RANK};
use crate::split::SplitRange;
use crate::walk::{gather, map_fits, AffineMap};

/// The resolved slice of one input axis: indices `start + i * stride` for
/// `i in 0..count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SliceAxis {
    /// First input index (TFLM `start` after `StridedSliceStartForAxis`).
    pub start: isize,
    /// Step, non-zero, may be negative.
    pub stride: isize,
    /// Number of iterations of TFLM's `for (i = start; stride > 0 ? i < stop : i > stop;
    /// i += stride)` loop.
    pub count: usize,
}

/// Writes the `range` part of the slice of `input` described by `axes` (one per
/// input axis). The output holds the product of the counts.
pub fn strided_slice<T: Copy>(
    input: &[T],
    input_shape: &Shape,
    axes: &[SliceAxis],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    strided_slice_with(gather, input, input_shape, axes, output, range)
}

/// [`strided_slice`] with the gather loop given: [`gather`] for the reference, a
/// faster equal one for the optimized kernel.
pub(crate) fn strided_slice_with<T: Copy>(
    gather: impl FnOnce(&[T], [usize; MAX_RANK], AffineMap, &mut [T], SplitRange) -> KernelResult,
    input: &[T],
    input_shape: &Shape,
    axes: &[SliceAxis],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), input_shape.element_count()?)?;
    expect_len(axes.len(), input_shape.rank())?;
    let mut counts = [1usize; MAX_RANK];
    let lead = MAX_RANK - axes.len();
    for (i, axis) in axes.iter().enumerate() {
        if axis.stride == 0 {
            return Err(KernelError::InvalidParameter);
        }
        counts[lead + i] = axis.count;
    }
    expect_len(output.len(), checked_product(&counts)?)?;
    range.check_within(output.len())?;
    if range.is_empty() {
        return Ok(());
    }
    let in_strides = row_major_strides(&input_shape.extended());
    let mut map = AffineMap {
        base: 0,
        strides: [0; MAX_RANK],
    };
    for (i, axis) in axes.iter().enumerate() {
        let in_stride = in_strides[lead + i] as isize;
        let step = axis.stride.checked_mul(in_stride);
        let offset = axis.start.checked_mul(in_stride);
        match (step, offset.and_then(|o| map.base.checked_add(o))) {
            (Some(step), Some(base)) => {
                map.strides[lead + i] = step;
                map.base = base;
            }
            _ => return Err(KernelError::InvalidParameter),
        }
    }
    // Each slice index must lie inside its axis, not merely inside the tensor.
    for (i, axis) in axes.iter().enumerate() {
        let one_axis = AffineMap {
            base: axis.start,
            strides: core::array::from_fn(|a| if a == lead + i { axis.stride } else { 0 }),
        };
        if !map_fits(&one_axis, &counts, input_shape.dims()[i]) {
            return Err(KernelError::InvalidParameter);
        }
    }
    gather(input, counts, map, output, range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, pseudo_random_i8};

    fn axis(start: isize, stride: isize, count: usize) -> SliceAxis {
        SliceAxis {
            start,
            stride,
            count,
        }
    }

    #[test]
    fn forward_and_reverse_slices() {
        // Input [3, 4] = 0..12. Rows 0 and 2 (stride 2), columns 3, 1 (stride -2).
        let input: Vec<i8> = (0..12).collect();
        let axes = [axis(0, 2, 2), axis(3, -2, 2)];
        let mut out = [0i8; 4];
        strided_slice(
            &input,
            &Shape::new(&[3, 4]).unwrap(),
            &axes,
            &mut out,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(out, [3, 1, 11, 9]);
    }

    #[test]
    fn out_of_axis_indices_are_rejected() {
        // Column 4 of a 4-wide row would alias the next row's column 0.
        let input: Vec<i8> = (0..12).collect();
        let axes = [axis(0, 1, 2), axis(3, 1, 2)];
        let mut out = [0i8; 4];
        assert_eq!(
            strided_slice(
                &input,
                &Shape::new(&[3, 4]).unwrap(),
                &axes,
                &mut out,
                SplitRange::full(4)
            ),
            Err(KernelError::InvalidParameter)
        );
    }

    #[test]
    fn split_equals_whole_5d() {
        let shape = Shape::new(&[2, 3, 4, 5, 2]).unwrap();
        let input = pseudo_random_i8(240, 141);
        let axes = [
            axis(1, -1, 2),
            axis(0, 2, 2),
            axis(3, -1, 3),
            axis(1, 3, 2),
            axis(1, 1, 1),
        ];
        check_flat_split(24, 0i8, |r, out| {
            strided_slice(&input, &shape, &axes, out, r).unwrap()
        });
    }
}
