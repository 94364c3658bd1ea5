//! Sub-ranges of an operator's output, so that several cores can each compute a
//! disjoint part of it.
//!
//! A kernel is always given the *whole* output slice plus the part it owns; it writes
//! exactly the elements of that part and leaves every other element untouched. Running
//! a kernel once over the full range gives the same bytes as running it over any
//! partition of that range, in any order.

use crate::error::{elements, elements_mut, expect_len, KernelError, KernelResult};

/// A half-open range `start..end` along one split axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitRange {
    /// First index owned by this part.
    pub start: usize,
    /// One past the last index owned by this part.
    pub end: usize,
}

impl SplitRange {
    /// The range `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// The whole axis `0..len`.
    pub const fn full(len: usize) -> Self {
        Self { start: 0, end: len }
    }

    /// Part `index` of `parts` near-equal contiguous parts of `0..len`; the first
    /// `len % parts` parts get one extra element. `parts == 0` yields an empty range.
    pub const fn part(len: usize, parts: usize, index: usize) -> Self {
        if parts == 0 || index >= parts {
            return Self {
                start: len,
                end: len,
            };
        }
        let base = len / parts;
        let extra = len % parts;
        let start = index * base + if index < extra { index } else { extra };
        let size = base + if index < extra { 1 } else { 0 };
        Self {
            start,
            end: start + size,
        }
    }

    /// Number of indices in the range (zero when `end <= start`).
    #[inline]
    pub const fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the range contains no index.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks that the range lies within an axis of `axis_len` elements.
    pub(crate) fn check_within(&self, axis_len: usize) -> Result<(), KernelError> {
        if self.start <= self.end && self.end <= axis_len {
            Ok(())
        } else {
            Err(KernelError::RangeOutOfBounds)
        }
    }

    pub(crate) fn indices(&self) -> core::ops::Range<usize> {
        self.start..self.end
    }

    /// For a kernel that computes its whole layer at once (`part` is `0..1` or empty):
    /// checks the range and says whether this call is the one to compute it.
    pub(crate) fn owns_whole_layer(&self) -> Result<bool, KernelError> {
        self.check_within(1)?;
        Ok(!self.is_empty())
    }
}

/// Runs `row_op(input_row, output_row)` over the rows `rows` of an input and an output
/// of `depth`-element rows (same length), after checking both and the range.
///
/// Indexed rather than zipped chunks: the optimizer proves these bounds, not a zip's
/// division by the chunk length.
pub(crate) fn for_each_row<I, O>(
    depth: usize,
    input: &[I],
    output: &mut [O],
    rows: SplitRange,
    mut row_op: impl FnMut(&[I], &mut [O]) -> KernelResult,
) -> KernelResult {
    expect_len(input.len(), output.len())?;
    if depth == 0 || input.len() % depth != 0 {
        return Err(KernelError::ShapeMismatch);
    }
    rows.check_within(input.len() / depth)?;
    for row in rows.indices() {
        let start = row * depth;
        row_op(
            elements(input, start, depth)?,
            elements_mut(output, start, depth)?,
        )?;
    }
    Ok(())
}

/// A rectangular part of a two-level output: a range of *rows* (everything outside
/// the innermost axis, flattened, e.g. `N*H` for an NHWC feature map or the batch
/// rows of a fully-connected layer) and a range of *channels* (the innermost axis).
///
/// Spatial kernels (convolutions, pools) own every output column (`W`) of their rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputTile {
    /// Rows owned by this part (for NHWC: `batch * out_height + out_y`).
    pub rows: SplitRange,
    /// Innermost-axis indices owned by this part.
    pub channels: SplitRange,
}

impl OutputTile {
    /// The tile covering `rows` x `channels` completely.
    pub const fn full(rows: usize, channels: usize) -> Self {
        Self {
            rows: SplitRange::full(rows),
            channels: SplitRange::full(channels),
        }
    }

    pub(crate) fn check_within(&self, rows: usize, channels: usize) -> Result<(), KernelError> {
        self.rows.check_within(rows)?;
        self.channels.check_within(channels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_axis_without_overlap() {
        for len in 0..20 {
            for parts in 1..7 {
                let mut next = 0;
                for index in 0..parts {
                    let part = SplitRange::part(len, parts, index);
                    assert_eq!(part.start, next);
                    next = part.end;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn part_sizes_differ_by_at_most_one() {
        let sizes: [usize; 4] = core::array::from_fn(|i| SplitRange::part(10, 4, i).len());
        assert_eq!(sizes, [3, 3, 2, 2]);
    }

    #[test]
    fn out_of_bounds_ranges_are_rejected() {
        assert!(SplitRange::new(2, 5).check_within(5).is_ok());
        assert_eq!(
            SplitRange::new(2, 6).check_within(5),
            Err(KernelError::RangeOutOfBounds)
        );
        assert_eq!(
            SplitRange::new(4, 3).check_within(5),
            Err(KernelError::RangeOutOfBounds)
        );
    }
}
