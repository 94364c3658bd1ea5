//! EMBEDDING_LOOKUP: rows of a table picked by ids read at run time
//! (tensorflow/lite/micro/kernels/embedding_lookup.cc, its copying path).
//!
//! An id outside the table is [`KernelError::InvalidParameter`], as TFLM fails the
//! invocation. Split axis: flat output elements.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::split::SplitRange;

/// Writes the `range` part of `output`: row `ids[r]` of `table` (rows of `row_len`
/// elements) at output row `r`.
pub fn embedding_lookup<T: Copy>(
    ids: &[i32],
    table: &[T],
    row_len: usize,
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    expect_len(
        output.len(),
        ids.len()
            .checked_mul(row_len)
            .ok_or(KernelError::InvalidParameter)?,
    )?;
    if row_len == 0 || table.len() % row_len != 0 {
        return Err(KernelError::InvalidParameter);
    }
    range.check_within(output.len())?;
    for (flat, slot) in output
        .iter_mut()
        .enumerate()
        .take(range.end)
        .skip(range.start)
    {
        let id = ids
            .get(flat / row_len)
            .ok_or(KernelError::InvalidParameter)?;
        let row = usize::try_from(*id).map_err(|_| KernelError::InvalidParameter)?;
        let offset = row
            .checked_mul(row_len)
            .and_then(|start| start.checked_add(flat % row_len))
            .ok_or(KernelError::InvalidParameter)?;
        *slot = *table.get(offset).ok_or(KernelError::InvalidParameter)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_flat_split;

    #[test]
    fn copies_the_rows_the_ids_name() {
        let table: Vec<i8> = (0..9).collect();
        let out = check_flat_split(6, 99i8, |range, out| {
            embedding_lookup(&[2, 0], &table, 3, out, range).unwrap()
        });
        assert_eq!(out, vec![6, 7, 8, 0, 1, 2]);
    }

    #[test]
    fn rejects_ids_outside_the_table() {
        let mut out = [0i8; 2];
        for id in [-1, 3] {
            let result = embedding_lookup(&[id], &[0i8; 6], 2, &mut out, SplitRange::full(2));
            assert_eq!(result, Err(KernelError::InvalidParameter));
        }
    }
}
