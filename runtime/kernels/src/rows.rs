//! Consecutive rows of equal length of a slice, for kernels that must not panic.
//!
//! `chunks_exact` asserts a non-zero length, and `zip` over chunk iterators divides by
//! it (their exact size). The optimizer removes both checks only where it inlines
//! `Iterator::zip` into a caller that has checked the length; in a large binary it may
//! keep one `zip` per element type out of line, shared by all callers, and that copy
//! keeps its division-by-zero panic (the no-panic link found it in the LSTM and RFFT
//! kernels). These iterators split with `split_at_checked` and never divide or panic.

/// The rows of `len` elements of `slice`, in order; a shorter rest is left out, and a
/// zero `len` yields no row.
pub(crate) fn rows<T>(slice: &[T], len: usize) -> Rows<'_, T> {
    Rows { rest: slice, len }
}

/// The mutable form of [`rows`].
pub(crate) fn rows_mut<T>(slice: &mut [T], len: usize) -> RowsMut<'_, T> {
    RowsMut { rest: slice, len }
}

/// See [`rows`].
pub(crate) struct Rows<'a, T> {
    rest: &'a [T],
    len: usize,
}

impl<'a, T> Iterator for Rows<'a, T> {
    type Item = &'a [T];

    fn next(&mut self) -> Option<&'a [T]> {
        if self.len == 0 {
            return None;
        }
        let (row, rest) = self.rest.split_at_checked(self.len)?;
        self.rest = rest;
        Some(row)
    }
}

/// See [`rows_mut`].
pub(crate) struct RowsMut<'a, T> {
    rest: &'a mut [T],
    len: usize,
}

impl<'a, T> Iterator for RowsMut<'a, T> {
    type Item = &'a mut [T];

    fn next(&mut self) -> Option<&'a mut [T]> {
        if self.len == 0 {
            return None;
        }
        let (row, rest) = core::mem::take(&mut self.rest).split_at_mut_checked(self.len)?;
        self.rest = rest;
        Some(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_leave_out_a_shorter_rest() {
        let values = [1, 2, 3, 4, 5, 6, 7];
        let split: Vec<&[i32]> = rows(&values, 3).collect();
        assert_eq!(split, [&[1, 2, 3][..], &[4, 5, 6][..]]);
    }

    #[test]
    fn zero_length_yields_no_row() {
        assert_eq!(rows(&[1, 2], 0).count(), 0);
        assert_eq!(rows_mut(&mut [1, 2], 0).count(), 0);
    }

    #[test]
    fn mutable_rows_write_their_part() {
        let mut values = [0; 5];
        for (index, row) in rows_mut(&mut values, 2).enumerate() {
            row.fill(index + 1);
        }
        assert_eq!(values, [1, 1, 2, 2, 0]);
    }
}
