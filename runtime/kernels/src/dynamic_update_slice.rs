//! DYNAMIC_UPDATE_SLICE: the operand with a block overwritten by the update, at
//! start indices read at run time (tensorflow/lite/micro/kernels/dynamic_update_slice.cc).
//!
//! Each start index is clamped to `[0, operand_dim - update_dim]`, as TFLM does, so the
//! block always lies inside the operand. Split axis: flat output elements.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::shape::{row_major_strides, Shape, MAX_RANK};
use crate::split::SplitRange;

/// Writes the `range` part of `output` (of `operand_shape`): `update` (of
/// `update_shape`, same rank) inside the block at the clamped `start`, `operand` elsewhere.
#[allow(clippy::too_many_arguments)]
pub fn dynamic_update_slice<T: Copy, I: Copy + Into<i64>>(
    operand: &[T],
    operand_shape: &Shape,
    update: &[T],
    update_shape: &Shape,
    start: &[I],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    let rank = operand_shape.rank();
    expect_len(operand.len(), operand_shape.element_count()?)?;
    expect_len(output.len(), operand.len())?;
    expect_len(update.len(), update_shape.element_count()?)?;
    expect_len(update_shape.rank(), rank)?;
    expect_len(start.len(), rank)?;
    range.check_within(output.len())?;
    let dims = operand_shape.dims();
    let update_dims = update_shape.dims();
    let mut first = [0usize; MAX_RANK];
    for axis in 0..rank {
        let room = dims[axis]
            .checked_sub(update_dims[axis])
            .ok_or(KernelError::ShapeMismatch)?;
        let wanted: i64 = start[axis].into();
        let room = i64::try_from(room).map_err(|_| KernelError::InvalidParameter)?;
        // In 0..=room, so it fits a usize.
        first[axis] =
            usize::try_from(wanted.clamp(0, room)).map_err(|_| KernelError::InvalidParameter)?;
    }
    let mut padded = [1usize; MAX_RANK];
    padded[..rank].copy_from_slice(dims);
    let strides = row_major_strides(&padded);
    let mut update_padded = [1usize; MAX_RANK];
    update_padded[..rank].copy_from_slice(update_dims);
    let update_strides = row_major_strides(&update_padded);
    for (flat, slot) in output
        .iter_mut()
        .enumerate()
        .take(range.end)
        .skip(range.start)
    {
        let mut update_offset = 0usize;
        let mut inside = true;
        for axis in 0..rank {
            let coord = (flat / strides[axis]) % padded[axis];
            match coord.checked_sub(first[axis]) {
                Some(c) if c < update_dims[axis] => update_offset += c * update_strides[axis],
                _ => inside = false,
            }
        }
        let source = if inside {
            update.get(update_offset)
        } else {
            operand.get(flat)
        };
        *slot = *source.ok_or(KernelError::InvalidParameter)?;
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
    fn writes_the_block_at_the_start() {
        let operand: Vec<i8> = (0..12).collect();
        let update = [-1i8, -2, -3, -4];
        let out = check_flat_split(12, 99i8, |range, out| {
            dynamic_update_slice(
                &operand,
                &shape(&[3, 4]),
                &update,
                &shape(&[2, 2]),
                &[1i32, 2],
                out,
                range,
            )
            .unwrap()
        });
        assert_eq!(out, vec![0, 1, 2, 3, 4, 5, -1, -2, 8, 9, -3, -4]);
    }

    #[test]
    fn clamps_start_indices_into_the_operand() {
        let operand = [0i32; 6];
        let update = [7i32, 8];
        let mut out = [0i32; 6];
        dynamic_update_slice(
            &operand,
            &shape(&[2, 3]),
            &update,
            &shape(&[1, 2]),
            &[-5i64, 9],
            &mut out,
            SplitRange::full(6),
        )
        .unwrap();
        assert_eq!(out, [0, 7, 8, 0, 0, 0]);
    }

    #[test]
    fn rejects_an_update_larger_than_the_operand() {
        let mut out = [0i16; 2];
        let result = dynamic_update_slice(
            &[0i16; 2],
            &shape(&[2]),
            &[0i16; 3],
            &shape(&[3]),
            &[0i32],
            &mut out,
            SplitRange::full(2),
        );
        assert!(result.is_err());
    }
}
