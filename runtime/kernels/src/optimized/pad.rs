//! [`crate::pad`] written row by row.
//!
//! The reference decides inside-or-padding per element over all six axes. Here each
//! run of the innermost axis decides once for the outer axes, then fills its leading
//! padding, copies its input row as one slice and fills its trailing padding.

use crate::error::{elements, KernelError, KernelResult};
pub use crate::pad::AxisPadding;
use crate::pad::PadLayout;
use crate::shape::{Shape, MAX_RANK};
use crate::split::SplitRange;
use crate::walk::StridedWalk;

/// [`crate::pad::pad`], same results and errors.
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
    let last = MAX_RANK - 1;
    // A non-empty range has rows of at least one element.
    let row_len = layout.out_dims[last].max(1);
    // The input columns of a row that lies inside the input.
    let (copy_start, copy_end) = (
        layout.before[last],
        layout.before[last] + layout.in_dims[last],
    );
    let mut outer_dims = layout.out_dims;
    outer_dims[last] = 1;
    let mut walk = StridedWalk::starting_at(outer_dims, [layout.map], range.start / row_len);
    let mut index = range.start;
    let mut column = range.start % row_len;
    while index < range.end {
        let end_column = row_len.min(column + (range.end - index));
        let out = output
            .get_mut(index..index + (end_column - column))
            .ok_or(KernelError::RangeOutOfBounds)?;
        let row_inside = (0..last).all(|a| layout.inside(a, walk.coords()[a]));
        if row_inside {
            let (lo, hi) = (column.max(copy_start), end_column.min(copy_end));
            if lo < hi {
                // Inside rows reach the input from their column `copy_start` on: the
                // map's offset of column 0 plus `lo >= copy_start` is an input index.
                let source = (walk.signed_offset(0) + lo as isize) as usize;
                let row = elements(input, source, hi - lo)?;
                let (before, rest) = out
                    .split_at_mut_checked(lo - column)
                    .ok_or(KernelError::RangeOutOfBounds)?;
                let (copied, after) = rest
                    .split_at_mut_checked(hi - lo)
                    .ok_or(KernelError::RangeOutOfBounds)?;
                before.fill(pad_value);
                copied.copy_from_slice(row);
                after.fill(pad_value);
            } else {
                out.fill(pad_value);
            }
        } else {
            out.fill(pad_value);
        }
        index += end_column - column;
        column = 0;
        walk.advance();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pad as reference;
    use crate::test_util::{check_flat_split, pseudo_random_i8};

    #[test]
    fn equals_reference_on_random_paddings() {
        for seed in 1..200u32 {
            let r = pseudo_random_i8(32, seed);
            let pick = |i: usize, n: u8| (r[i] as u8 % n) as usize;
            let rank = 1 + pick(0, 5);
            let dims: Vec<usize> = (0..rank)
                .map(|a| pick(1 + a, 4))
                .map(|d| d + usize::from(seed % 7 != 0))
                .collect();
            let padding: Vec<AxisPadding> = (0..rank)
                .map(|a| AxisPadding {
                    before: pick(10 + a, 3),
                    after: pick(20 + a, 3),
                })
                .collect();
            let shape = Shape::new(&dims).unwrap();
            let input = pseudo_random_i8(shape.element_count().unwrap(), seed + 500);
            let len: usize = dims
                .iter()
                .zip(&padding)
                .map(|(d, p)| d + p.before + p.after)
                .product();
            let mut expected = vec![0i8; len];
            reference::pad(
                &input,
                &shape,
                &padding,
                -7,
                &mut expected,
                SplitRange::full(len),
            )
            .unwrap();
            let got = check_flat_split(len, 0i8, |r, out| {
                pad(&input, &shape, &padding, -7, out, r).unwrap()
            });
            assert_eq!(got, expected, "{dims:?} {padding:?}");
        }
    }

    #[test]
    fn rejects_what_the_reference_rejects() {
        let padding = [AxisPadding {
            before: 1,
            after: 1,
        }];
        let shape = Shape::new(&[2]).unwrap();
        let mut out = [0i8; 5];
        assert_eq!(
            pad(&[1, 2], &shape, &padding, 0, &mut out, SplitRange::full(5)),
            reference::pad(&[1, 2], &shape, &padding, 0, &mut out, SplitRange::full(5))
        );
        let mut out = [0i8; 4];
        assert!(pad(
            &[1, 2],
            &shape,
            &padding,
            0,
            &mut out,
            SplitRange::new(2, 5)
        )
        .is_err());
    }
}
