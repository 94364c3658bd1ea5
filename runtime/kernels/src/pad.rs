//! PAD / PADV2 with a constant pad value, up to 6D.
//!
//! Mirrors `reference_ops::Pad` (reference/pad.h) as used by
//! tensorflow/lite/micro/kernels/pad.cc: the pad value is the `constant_values`
//! input when present (PADV2), otherwise the output zero point for quantized tensors.
//! Input and output share quantization; values are copied unchanged.
//!
//! Split axis: flat output elements.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::shape::{row_major_strides, Shape, MAX_RANK};
use crate::split::SplitRange;
use crate::walk::{AffineMap, StridedWalk};

/// Padding of one axis: elements added before and after the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisPadding {
    /// TFLM `left_padding[axis]`.
    pub before: usize,
    /// TFLM `right_padding[axis]`.
    pub after: usize,
}

/// A checked PAD: the extended output and input shapes, each axis's leading
/// padding, and the map from output coordinates to input offsets (valid where the
/// coordinates lie inside the input).
pub(crate) struct PadLayout {
    pub out_dims: [usize; MAX_RANK],
    pub in_dims: [usize; MAX_RANK],
    pub before: [usize; MAX_RANK],
    pub map: AffineMap,
}

impl PadLayout {
    /// Checks the lengths, `padding` and `range`; `None` for an empty range.
    pub(crate) fn new(
        input_len: usize,
        input_shape: &Shape,
        padding: &[AxisPadding],
        output_len: usize,
        range: SplitRange,
    ) -> Result<Option<Self>, KernelError> {
        expect_len(input_len, input_shape.element_count()?)?;
        expect_len(padding.len(), input_shape.rank())?;
        let mut out_dims = [1usize; MAX_RANK];
        let mut before = [0usize; MAX_RANK];
        // The input's axes are the last ones (`padding` has one entry per input axis).
        let axes = out_dims.iter_mut().zip(&mut before).rev();
        for ((out_dim, before), (&dim, p)) in axes.zip(input_shape.dims().iter().zip(padding).rev())
        {
            *out_dim = dim
                .checked_add(p.before)
                .and_then(|v| v.checked_add(p.after))
                .ok_or(KernelError::InvalidParameter)?;
            *before = p.before;
        }
        expect_len(output_len, Shape::new(&out_dims)?.element_count()?)?;
        range.check_within(output_len)?;
        if range.is_empty() {
            return Ok(None);
        }
        let in_dims = input_shape.extended();
        let strides = row_major_strides(&in_dims).map(|s| s as isize);
        let map = AffineMap {
            base: -(0..MAX_RANK)
                .map(|a| before[a] as isize * strides[a])
                .sum::<isize>(),
            strides,
        };
        Ok(Some(Self {
            out_dims,
            in_dims,
            before,
            map,
        }))
    }

    /// Whether output coordinate `coord` of `axis` lies inside the input.
    pub(crate) fn inside(&self, axis: usize, coord: usize) -> bool {
        coord >= self.before[axis] && coord - self.before[axis] < self.in_dims[axis]
    }
}

/// Writes the `range` part of `input` padded by `padding` (one entry per input axis)
/// with `pad_value`.
pub fn pad<T: Copy>(
    input: &[T],
    input_shape: &Shape,
    padding: &[AxisPadding],
    pad_value: T,
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    let Some(layout) = PadLayout::new(input.len(), input_shape, padding, output.len(), range)?
    else {
        return Ok(());
    };
    let mut walk = StridedWalk::starting_at(layout.out_dims, [layout.map], range.start);
    let part = output
        .get_mut(range.indices())
        .ok_or(KernelError::RangeOutOfBounds)?;
    for out in part {
        let inside = (0..MAX_RANK).all(|a| layout.inside(a, walk.coords()[a]));
        *out = if inside {
            *input
                .get(walk.offset(0))
                .ok_or(KernelError::ShapeMismatch)?
        } else {
            pad_value
        };
        walk.advance();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, flat_index, pseudo_random_i8};

    #[test]
    fn pads_two_axes_with_zero_point() {
        // [2, 2] input padded by (1, 0) rows and (0, 2) columns -> [3, 4], pad -5.
        let mut out = [0i8; 12];
        let padding = [
            AxisPadding {
                before: 1,
                after: 0,
            },
            AxisPadding {
                before: 0,
                after: 2,
            },
        ];
        pad(
            &[1, 2, 3, 4],
            &Shape::new(&[2, 2]).unwrap(),
            &padding,
            -5,
            &mut out,
            SplitRange::full(12),
        )
        .unwrap();
        assert_eq!(out, [-5, -5, -5, -5, 1, 2, -5, -5, 3, 4, -5, -5]);
    }

    #[test]
    fn output_length_must_match_padded_shape() {
        let mut out = [0i8; 5];
        let padding = [AxisPadding {
            before: 1,
            after: 1,
        }];
        assert_eq!(
            pad(
                &[1, 2],
                &Shape::new(&[2]).unwrap(),
                &padding,
                0,
                &mut out,
                SplitRange::full(5)
            ),
            Err(KernelError::ShapeMismatch)
        );
    }

    #[test]
    fn split_equals_whole_4d() {
        let shape = Shape::new(&[2, 3, 2, 3]).unwrap();
        let input = pseudo_random_i8(36, 121);
        let padding = [
            AxisPadding {
                before: 0,
                after: 1,
            },
            AxisPadding {
                before: 2,
                after: 1,
            },
            AxisPadding {
                before: 1,
                after: 1,
            },
            AxisPadding {
                before: 0,
                after: 2,
            },
        ];
        let len = 3 * 6 * 4 * 5;
        let whole = check_flat_split(len, 0i8, |r, out| {
            pad(&input, &shape, &padding, 9, out, r).unwrap()
        });
        // Element (0, 2, 1, 0) of the output is input (0, 0, 0, 0).
        assert_eq!(whole[flat_index(&[0, 2, 1, 0], &[3, 6, 4, 5])], input[0]);
    }
}
