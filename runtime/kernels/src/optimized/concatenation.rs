//! [`crate::concatenation`] row by row.
//!
//! The reference finds the input owning each run by a division and a search over
//! the inputs. Here each output row copies every input's row segment in turn, so
//! only the first row of a range needs locating.

pub use crate::concatenation::ConcatLayout;
use crate::error::{elements, KernelError, KernelResult};
use crate::split::SplitRange;

/// [`crate::concatenation::concatenation`], same results and errors.
pub fn concatenation<T: Copy>(
    layout: &ConcatLayout,
    inputs: &[&[T]],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    let output_row = layout.checked_output_row(inputs, output.len(), range)?;
    if range.is_empty() {
        return Ok(());
    }
    // A non-empty range has rows of at least one element.
    let output_row = output_row.max(1);
    let mut outer = range.start / output_row;
    let mut column = range.start % output_row;
    let mut index = range.start;
    while index < range.end {
        let row_end = output_row.min(column + (range.end - index));
        let row = output
            .get_mut(outer * output_row..)
            .ok_or(KernelError::RangeOutOfBounds)?;
        let mut segment_start = 0;
        for (input, &axis) in inputs.iter().zip(layout.axis_sizes) {
            let input_row = axis * layout.inner;
            let (lo, hi) = (
                column.max(segment_start),
                row_end.min(segment_start + input_row),
            );
            if lo < hi {
                let source = outer * input_row + (lo - segment_start);
                let part = row.get_mut(lo..hi).ok_or(KernelError::RangeOutOfBounds)?;
                part.copy_from_slice(elements(input, source, hi - lo)?);
            }
            segment_start += input_row;
        }
        index += row_end - column;
        column = 0;
        outer += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::concatenation as reference;
    use crate::test_util::{check_flat_split, pseudo_random_i8};

    #[test]
    fn equals_reference_on_random_layouts() {
        for seed in 1..150u32 {
            let r = pseudo_random_i8(16, seed);
            let pick = |i: usize, n: u8| (r[i] as u8 % n) as usize;
            let count = 1 + pick(0, 4);
            let axis_sizes: Vec<usize> = (0..count).map(|i| pick(1 + i, 4)).collect();
            let layout = ConcatLayout {
                outer: 1 + pick(8, 4),
                inner: 1 + pick(9, 5),
                axis_sizes: &axis_sizes,
            };
            let data: Vec<Vec<i8>> = axis_sizes
                .iter()
                .enumerate()
                .map(|(i, &a)| {
                    pseudo_random_i8(layout.outer * a * layout.inner, seed * 10 + i as u32)
                })
                .collect();
            let inputs: Vec<&[i8]> = data.iter().map(Vec::as_slice).collect();
            let len = layout.outer * axis_sizes.iter().sum::<usize>() * layout.inner;
            let mut expected = vec![0i8; len];
            reference::concatenation(&layout, &inputs, &mut expected, SplitRange::full(len))
                .unwrap();
            let got = check_flat_split(len, 0i8, |r, out| {
                concatenation(&layout, &inputs, out, r).unwrap()
            });
            assert_eq!(got, expected, "{layout:?}");
        }
    }

    #[test]
    fn rejects_what_the_reference_rejects() {
        let layout = ConcatLayout {
            outer: 1,
            inner: 1,
            axis_sizes: &[2],
        };
        let mut out = [0i8; 2];
        assert_eq!(
            concatenation(&layout, &[&[1]], &mut out, SplitRange::full(2)),
            reference::concatenation(&layout, &[&[1]], &mut out, SplitRange::full(2))
        );
        assert!(concatenation(&layout, &[&[1, 2]], &mut out, SplitRange::new(1, 3)).is_err());
    }
}
