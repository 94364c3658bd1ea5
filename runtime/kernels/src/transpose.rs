//! TRANSPOSE up to 6D.
//!
//! Mirrors `reference_ops::Transpose` (reference/transpose.h) as used by
//! tensorflow/lite/micro/kernels/transpose.cc (which accepts up to 5D): output axis
//! `i` is input axis `perm[i]`. Split axis: flat output elements.

use crate::error::{element, expect_len, KernelError, KernelResult};
use crate::shape::{row_major_strides, Shape, MAX_RANK};
use crate::split::SplitRange;
use crate::walk::{gather, AffineMap};

/// Writes the `range` part of the transposition of `input` by `perm`.
pub fn transpose<T: Copy>(
    input: &[T],
    input_shape: &Shape,
    perm: &[usize],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    transpose_with(gather, input, input_shape, perm, output, range)
}

/// [`transpose`] with the gather loop given: [`gather`] for the reference, a
/// faster equal one for the optimized kernel.
pub(crate) fn transpose_with<T: Copy>(
    gather: impl FnOnce(&[T], [usize; MAX_RANK], AffineMap, &mut [T], SplitRange) -> KernelResult,
    input: &[T],
    input_shape: &Shape,
    perm: &[usize],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    let rank = input_shape.rank();
    expect_len(input.len(), input_shape.element_count()?)?;
    expect_len(output.len(), input.len())?;
    expect_len(perm.len(), rank)?;
    let mut seen = [false; MAX_RANK];
    for &axis in perm {
        if axis >= rank || seen[axis] {
            return Err(KernelError::InvalidParameter);
        }
        seen[axis] = true;
    }
    range.check_within(output.len())?;
    if range.is_empty() {
        return Ok(());
    }
    let in_dims = input_shape.extended();
    let in_strides = row_major_strides(&in_dims);
    let lead = MAX_RANK - rank;
    let mut out_dims = [1; MAX_RANK];
    let mut strides = [0isize; MAX_RANK];
    let out_axes = out_dims.iter_mut().zip(&mut strides).skip(lead);
    for ((out_dim, stride), &axis) in out_axes.zip(perm) {
        *out_dim = element(&in_dims, lead + axis)?;
        *stride = element(&in_strides, lead + axis)? as isize;
    }
    gather(
        input,
        out_dims,
        AffineMap { base: 0, strides },
        output,
        range,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, flat_index, pseudo_random_i8};

    #[test]
    fn transposes_matrix() {
        let mut out = [0i8; 6];
        transpose(
            &[1, 2, 3, 4, 5, 6],
            &Shape::new(&[2, 3]).unwrap(),
            &[1, 0],
            &mut out,
            SplitRange::full(6),
        )
        .unwrap();
        assert_eq!(out, [1, 4, 2, 5, 3, 6]);
    }

    #[test]
    fn rejects_invalid_permutation() {
        let mut out = [0i8; 6];
        let shape = Shape::new(&[2, 3]).unwrap();
        assert_eq!(
            transpose(&[0; 6], &shape, &[0, 0], &mut out, SplitRange::full(6)),
            Err(KernelError::InvalidParameter)
        );
    }

    #[test]
    fn split_equals_whole_6d() {
        let shape = Shape::new(&[2, 1, 3, 2, 2, 3]).unwrap();
        let input = pseudo_random_i8(72, 131);
        let perm = [5, 2, 0, 4, 1, 3];
        let whole = check_flat_split(72, 0i8, |r, out| {
            transpose(&input, &shape, &perm, out, r).unwrap()
        });
        // Output coords (o0..o5) = input (o2, o4, o1, o5, o3, o0). Output dims
        // [3, 3, 2, 2, 1, 2]; check output (2, 1, 1, 0, 0, 1) = input (1, 0, 1, 1, 0, 2).
        let out_index = flat_index(&[2, 1, 1, 0, 0, 1], &[3, 3, 2, 2, 1, 2]);
        let in_index = flat_index(&[1, 0, 1, 1, 0, 2], &[2, 1, 3, 2, 2, 3]);
        assert_eq!(whole[out_index], input[in_index]);
    }
}
