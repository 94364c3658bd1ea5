//! SELECT_V2: `output = condition ? x : y` element by element, the three inputs
//! broadcast NumPy-style.
//!
//! Mirrors tensorflow/lite/micro/kernels/select.cc over `reference_ops::Select` /
//! `BroadcastSelect5DSlow` (reference/select.h): the stored values of `x` and `y` are
//! copied as they are, never requantized. The condition is BOOL bytes (non-zero is
//! true). Split axis: flat output elements ([`SplitRange`]).

use crate::error::{element, expect_len, KernelError, KernelResult};
use crate::shape::{Shape, MAX_RANK};
use crate::split::SplitRange;
use crate::walk::{map_fits, AffineMap, StridedWalk};

/// SELECT_V2 over the `range` part of the broadcast output.
#[allow(clippy::too_many_arguments)]
pub fn select<T: Copy>(
    condition: &[u8],
    condition_shape: &Shape,
    x: &[T],
    x_shape: &Shape,
    y: &[T],
    y_shape: &Shape,
    output: &mut [T],
    output_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    let operands = [
        (condition.len(), condition_shape),
        (x.len(), x_shape),
        (y.len(), y_shape),
    ];
    let out_dims = output_shape.extended();
    let mut maps = [AffineMap {
        base: 0,
        strides: [0; MAX_RANK],
    }; 3];
    for (map, (len, shape)) in maps.iter_mut().zip(operands) {
        expect_len(len, shape.element_count()?)?;
        let dims = shape.extended();
        if dims
            .iter()
            .zip(out_dims.iter())
            .any(|(&d, &o)| d != o && d != 1)
        {
            return Err(KernelError::ShapeMismatch);
        }
        *map = AffineMap::broadcast(&dims, &out_dims);
        if len > 0 && !map_fits(map, &out_dims, len) {
            return Err(KernelError::ShapeMismatch);
        }
    }
    expect_len(output.len(), output_shape.element_count()?)?;
    range.check_within(output.len())?;
    if range.is_empty() {
        return Ok(());
    }
    let mut walk = StridedWalk::starting_at(out_dims, maps, range.start);
    for index in range.indices() {
        let chosen = if element(condition, walk.offset(0))? != 0 {
            element(x, walk.offset(1))?
        } else {
            element(y, walk.offset(2))?
        };
        *output.get_mut(index).ok_or(KernelError::RangeOutOfBounds)? = chosen;
        walk.advance();
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
    fn selects_with_three_way_broadcast() {
        // condition [2, 1], x [1, 3], y [2, 3] -> output [2, 3].
        let condition = [1u8, 0];
        let x = [10i8, 20, 30];
        let y = [-1i8, -2, -3, -4, -5, -6];
        let got = check_flat_split(6, 0i8, |range, out| {
            select(
                &condition,
                &shape(&[2, 1]),
                &x,
                &shape(&[1, 3]),
                &y,
                &shape(&[2, 3]),
                out,
                &shape(&[2, 3]),
                range,
            )
            .unwrap()
        });
        assert_eq!(got, [10, 20, 30, -4, -5, -6]);
    }

    #[test]
    fn same_shapes_select_elementwise() {
        let condition = [0u8, 1, 2, 0];
        let s = shape(&[4]);
        let mut out = [0i32; 4];
        select(
            &condition,
            &s,
            &[1, 2, 3, 4],
            &s,
            &[5, 6, 7, 8],
            &s,
            &mut out,
            &s,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(out, [5, 2, 3, 8]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let s = shape(&[4]);
        let mut out = [0i8; 4];
        let short = select(
            &[1u8; 3],
            &s,
            &[0i8; 4],
            &s,
            &[0i8; 4],
            &s,
            &mut out,
            &s,
            SplitRange::full(4),
        );
        assert_eq!(short, Err(KernelError::ShapeMismatch));
        let wide = select(
            &[1u8; 2],
            &shape(&[2]),
            &[0i8; 4],
            &s,
            &[0i8; 4],
            &s,
            &mut out,
            &s,
            SplitRange::full(4),
        );
        assert_eq!(wide, Err(KernelError::ShapeMismatch));
    }
}
