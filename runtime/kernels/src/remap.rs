//! Data movement by coordinate tables: DEPTH_TO_SPACE, SPACE_TO_DEPTH,
//! SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, MIRROR_PAD, RESIZE_NEAREST_NEIGHBOR,
//! BROADCAST_TO and GATHER with constant indices.
//!
//! Every one of these copies input elements to output positions; where an output
//! element comes from is a sum of per-axis terms. The compiler gives, for every index
//! `i` of every output axis `k`, how much it adds to each input coordinate
//! (`contributions[(first_k + i) * input_rank + a]`, `first_k` the sum of the
//! extents of the output axes before `k`). An output element reads the input at the
//! summed coordinates, or is `pad_value` when a coordinate falls outside its axis
//! (SPACE_TO_BATCH_ND's padding).
//!
//! Split axis: flat output elements.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::shape::{row_major_strides, Shape, MAX_RANK};
use crate::split::SplitRange;

/// Writes the `range` part of `output` (of `output_shape`) from `input` (of
/// `input_shape`) through the coordinate `contributions` described in the module
/// documentation.
pub fn remap<T: Copy>(
    input: &[T],
    input_shape: &Shape,
    output_shape: &Shape,
    contributions: &[i32],
    pad_value: T,
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), input_shape.element_count()?)?;
    expect_len(output.len(), output_shape.element_count()?)?;
    let in_rank = input_shape.rank();
    let out_dims = output_shape.dims();
    let table_rows = out_dims
        .iter()
        .try_fold(0usize, |acc, &d| acc.checked_add(d))
        .ok_or(KernelError::InvalidParameter)?;
    expect_len(
        contributions.len(),
        table_rows
            .checked_mul(in_rank)
            .ok_or(KernelError::InvalidParameter)?,
    )?;
    range.check_within(output.len())?;
    let mut in_dims = [1usize; MAX_RANK];
    for (slot, &dim) in in_dims.iter_mut().zip(input_shape.dims()) {
        *slot = dim;
    }
    // Padded with trailing ones, so the first `in_rank` strides are the input's.
    let in_strides = row_major_strides(&in_dims);
    let out_strides = {
        let mut dims = [1usize; MAX_RANK];
        for (slot, &dim) in dims.iter_mut().rev().zip(out_dims.iter().rev()) {
            *slot = dim;
        }
        row_major_strides(&dims)
    };
    let out_lead = MAX_RANK - out_dims.len();
    for (flat, slot) in output
        .iter_mut()
        .enumerate()
        .take(range.end)
        .skip(range.start)
    {
        let mut coords = [0i64; MAX_RANK];
        let mut first_row = 0usize;
        for (&extent, &stride) in out_dims.iter().zip(out_strides.iter().skip(out_lead)) {
            // Only a zero dimension (an empty output, never visited) divides by zero.
            let index = flat
                .checked_div(stride)
                .and_then(|quotient| quotient.checked_rem(extent))
                .ok_or(KernelError::InvalidParameter)?;
            let row = (first_row + index) * in_rank;
            let terms = contributions
                .get(row..row + in_rank)
                .ok_or(KernelError::InvalidParameter)?;
            for (coord, &term) in coords.iter_mut().zip(terms) {
                *coord += i64::from(term);
            }
            first_row += extent;
        }
        let mut offset = 0usize;
        let mut inside = true;
        for a in 0..in_rank {
            match usize::try_from(coords[a]) {
                Ok(c) if c < in_dims[a] => offset += c * in_strides[a],
                _ => inside = false,
            }
        }
        *slot = if inside {
            *input.get(offset).ok_or(KernelError::InvalidParameter)?
        } else {
            pad_value
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_flat_split;

    fn shape(dims: &[usize]) -> Shape {
        Shape::new(dims).unwrap()
    }

    #[test]
    fn transposes_and_pads_through_the_tables() {
        // Input [2, 3] = 0..6; output [4, 2]: output row r reads input column r - 1
        // (rows 0 and 3 are padding), output column c reads input row c.
        let input: Vec<i8> = (0..6).collect();
        // Output axis 0 (4 rows), then axis 1 (2 columns): (row term, column term).
        let contributions = [0, -1, 0, 0, 0, 1, 0, 3, 0, 0, 1, 0];
        let out = check_flat_split(8, 99i8, |range, out| {
            remap(
                &input,
                &shape(&[2, 3]),
                &shape(&[4, 2]),
                &contributions,
                -7,
                out,
                range,
            )
            .unwrap()
        });
        assert_eq!(out, vec![-7, -7, 0, 3, 1, 4, -7, -7]);
    }

    #[test]
    fn broadcasts_with_zero_terms() {
        let input = [5i16, 6];
        // [2] -> [3, 2]: axis 0 adds nothing, axis 1 walks the input.
        let contributions = [0, 0, 0, 0, 1];
        let mut out = [0i16; 6];
        remap(
            &input,
            &shape(&[2]),
            &shape(&[3, 2]),
            &contributions,
            0,
            &mut out,
            SplitRange::full(6),
        )
        .unwrap();
        assert_eq!(out, [5, 6, 5, 6, 5, 6]);
    }

    #[test]
    fn inconsistent_arguments_are_errors() {
        let input = [1i8, 2];
        let mut out = [0i8; 2];
        let run = |contributions: &[i32], out: &mut [i8], range| {
            remap(
                &input,
                &shape(&[2]),
                &shape(&[2]),
                contributions,
                0,
                out,
                range,
            )
        };
        assert_eq!(
            run(&[0], &mut out, SplitRange::full(2)),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            run(&[0, 1], &mut out, SplitRange::new(0, 3)),
            Err(KernelError::RangeOutOfBounds)
        );
        assert_eq!(run(&[i32::MAX, 1], &mut out, SplitRange::full(2)), Ok(()));
        assert_eq!(out, [0, 2]);
    }
}
