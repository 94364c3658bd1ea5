//! REDUCE_MAX, REDUCE_MIN (raw values over any set of axes) and ARG_MAX, ARG_MIN
//! (index along one axis, int32 or int64 output).
//!
//! REDUCE_MAX/MIN mirror `reference_ops::ReduceGeneric` as used by
//! tensorflow/lite/micro/kernels/reduce_common.cc: every output starts at the type's
//! lowest (max) or highest (min) value and takes each input element of its reduced
//! set. TFLM requires equal input and output quantization, so values are not
//! rescaled. ARG_MAX/MIN mirror `reference_ops::ArgMinMax`: the first index whose
//! value is strictly greater (smaller) than every earlier one. A float NaN compares
//! neither way: a NaN first element stays the result, as in TFLM's plain comparison.
//!
//! Split axis: flat output elements. `keep_dims` does not change the output's flat
//! layout, so it is not a parameter.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::shape::{row_major_strides, Shape, MAX_RANK};
use crate::split::SplitRange;
use crate::walk::{AffineMap, StridedWalk};

/// Which extreme a reduction keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extreme {
    /// REDUCE_MAX / ARG_MAX.
    Max,
    /// REDUCE_MIN / ARG_MIN.
    Min,
}

impl Extreme {
    fn replaces<T: PartialOrd>(self, candidate: T, current: T) -> bool {
        match self {
            Extreme::Max => candidate > current,
            Extreme::Min => candidate < current,
        }
    }
}

/// An integer element with the bounds ReduceGeneric starts from.
pub trait Bounded: Copy + PartialOrd {
    /// `std::numeric_limits<T>::lowest()`.
    const LOWEST: Self;
    /// `std::numeric_limits<T>::max()`.
    const HIGHEST: Self;
}

macro_rules! bounded {
    ($($t:ty),*) => {$(
        impl Bounded for $t {
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
        }
    )*};
}
bounded!(i8, i16, i32);

/// TFLM's bool byte (0 or 1): REDUCE_ALL is its minimum, starting from true.
impl Bounded for u8 {
    const LOWEST: Self = 0;
    const HIGHEST: Self = 1;
}

/// A reduction of an input over some of its axes, its operands checked: the extended
/// (MAX_RANK) dimensions of the input, of the output (1 on a reduced axis) and of each
/// output's reduced set (1 on a kept axis).
pub(crate) struct Reduction {
    in_dims: [usize; MAX_RANK],
    kept_dims: [usize; MAX_RANK],
    reduced_dims: [usize; MAX_RANK],
}

impl Reduction {
    /// The reduction of `input_shape` over `axes` (non-negative, duplicates ignored),
    /// after checking the input's and output's lengths and `range` against the output.
    pub(crate) fn checked(
        input_len: usize,
        input_shape: &Shape,
        axes: &[usize],
        output_len: usize,
        range: SplitRange,
    ) -> Result<Self, KernelError> {
        expect_len(input_len, input_shape.element_count()?)?;
        let rank = input_shape.rank();
        let lead = MAX_RANK - rank;
        let in_dims = input_shape.extended();
        let mut reduced = [false; MAX_RANK];
        for &axis in axes {
            if axis >= rank {
                return Err(KernelError::InvalidParameter);
            }
            *reduced
                .get_mut(lead + axis)
                .ok_or(KernelError::InvalidParameter)? = true;
        }
        let reduction = Self {
            in_dims,
            kept_dims: core::array::from_fn(|a| if reduced[a] { 1 } else { in_dims[a] }),
            reduced_dims: core::array::from_fn(|a| if reduced[a] { in_dims[a] } else { 1 }),
        };
        expect_len(
            output_len,
            Shape::new(&reduction.kept_dims)?.element_count()?,
        )?;
        range.check_within(output_len)?;
        Ok(reduction)
    }

    /// Input elements per output.
    pub(crate) fn count(&self) -> Result<usize, KernelError> {
        Shape::new(&self.reduced_dims)?.element_count()
    }

    /// Folds `step` over each output's input elements of `range` in row-major order,
    /// from `start`, and writes `finish` of the total.
    pub(crate) fn fold_each<T: Copy, A: Copy, O>(
        &self,
        input: &[T],
        output: &mut [O],
        range: SplitRange,
        start: A,
        mut step: impl FnMut(A, T) -> A,
        mut finish: impl FnMut(A) -> O,
    ) -> KernelResult {
        if range.is_empty() {
            return Ok(());
        }
        let count = self.count()?;
        let strides = row_major_strides(&self.in_dims).map(|s| s as isize);
        let map = AffineMap { base: 0, strides };
        let mut outputs = StridedWalk::starting_at(self.kept_dims, [map], range.start);
        let part = output
            .get_mut(range.indices())
            .ok_or(KernelError::RangeOutOfBounds)?;
        for out in part {
            let origin = AffineMap {
                base: outputs.offset(0) as isize,
                strides,
            };
            let mut taps = StridedWalk::starting_at(self.reduced_dims, [origin], 0);
            let mut total = start;
            for _ in 0..count {
                let tap = input
                    .get(taps.offset(0))
                    .copied()
                    .ok_or(KernelError::ShapeMismatch)?;
                total = step(total, tap);
                taps.advance();
            }
            *out = finish(total);
            outputs.advance();
        }
        Ok(())
    }
}

/// Writes outputs `range` of the maximum or minimum of `input` over `axes`
/// (non-negative axis indices of `input_shape`; duplicates are ignored).
pub fn reduce_extreme<T: Bounded>(
    extreme: Extreme,
    input: &[T],
    input_shape: &Shape,
    axes: &[usize],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    let Reduction {
        in_dims,
        kept_dims,
        reduced_dims,
    } = Reduction::checked(input.len(), input_shape, axes, output.len(), range)?;
    let start = match extreme {
        Extreme::Max => T::LOWEST,
        Extreme::Min => T::HIGHEST,
    };
    // `get_mut`: checked above, but the optimizer does not see it (no panic path).
    output
        .get_mut(range.indices())
        .ok_or(KernelError::RangeOutOfBounds)?
        .fill(start);
    let in_strides = row_major_strides(&in_dims);
    let out_strides = row_major_strides(&kept_dims);
    for (flat, &value) in input.iter().enumerate() {
        let target: usize = (0..MAX_RANK)
            .filter(|&a| reduced_dims[a] == 1)
            // `max(1)`: with a zero dimension there is no element to place.
            .map(|a| (flat / in_strides[a].max(1)) % in_dims[a].max(1) * out_strides[a])
            .sum();
        if range.indices().contains(&target) {
            let slot = output.get_mut(target).ok_or(KernelError::ShapeMismatch)?;
            if extreme.replaces(value, *slot) {
                *slot = value;
            }
        }
    }
    Ok(())
}

/// Writes outputs `range` of the index of the maximum or minimum of `input` along
/// `axis`; the input is `[outer, axis extent, inner]` around that axis.
pub fn arg_extreme<T: PartialOrd + Copy, O: TryFrom<usize>>(
    extreme: Extreme,
    input: &[T],
    input_shape: &Shape,
    axis: usize,
    output: &mut [O],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), input_shape.element_count()?)?;
    let dims = input_shape.dims();
    let extent = *dims.get(axis).ok_or(KernelError::InvalidParameter)?;
    if extent == 0 {
        return Err(KernelError::InvalidParameter);
    }
    // `max(1)`: a zero inner extent leaves no output to compute.
    let inner: usize = dims.iter().skip(axis + 1).product::<usize>().max(1);
    expect_len(output.len(), input.len() / extent)?;
    range.check_within(output.len())?;
    for o in range.indices() {
        let (outer, within) = (o / inner, o % inner);
        let at = |i: usize| input.get((outer * extent + i) * inner + within).copied();
        let mut best = at(0).ok_or(KernelError::ShapeMismatch)?;
        let mut best_index = 0;
        for i in 1..extent {
            let value = at(i).ok_or(KernelError::ShapeMismatch)?;
            if extreme.replaces(value, best) {
                best = value;
                best_index = i;
            }
        }
        let slot = output.get_mut(o).ok_or(KernelError::ShapeMismatch)?;
        *slot = O::try_from(best_index).map_err(|_| KernelError::InvalidParameter)?;
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
    fn reduces_over_any_axes() {
        // [2, 3, 2]: reduce axes 0 and 2 -> [3].
        let input: Vec<i8> = vec![5, -3, 7, 0, -128, 2, 4, 9, -1, 8, 127, -7];
        let max = check_flat_split(3, 0i8, |range, out| {
            reduce_extreme(
                Extreme::Max,
                &input,
                &shape(&[2, 3, 2]),
                &[0, 2],
                out,
                range,
            )
            .unwrap()
        });
        assert_eq!(max, vec![9, 8, 127]);
        let min = check_flat_split(3, 0i8, |range, out| {
            reduce_extreme(
                Extreme::Min,
                &input,
                &shape(&[2, 3, 2]),
                &[2, 0],
                out,
                range,
            )
            .unwrap()
        });
        assert_eq!(min, vec![-3, -1, -128]);
    }

    #[test]
    fn reduce_all_is_the_minimum_of_bool_bytes() {
        // [2, 3] bools along axis 1; an empty reduction stays true.
        let input = [1u8, 1, 1, 1, 0, 1];
        let all = check_flat_split(2, 7u8, |range, out| {
            reduce_extreme(Extreme::Min, &input, &shape(&[2, 3]), &[1], out, range).unwrap()
        });
        assert_eq!(all, vec![1, 0]);
        let mut empty = [7u8; 2];
        reduce_extreme(
            Extreme::Min,
            &[],
            &shape(&[2, 0]),
            &[1],
            &mut empty,
            SplitRange::new(0, 2),
        )
        .unwrap();
        assert_eq!(empty, [1, 1]);
    }

    #[test]
    fn arg_takes_the_first_extreme() {
        // [2, 4] along axis 1, ties at indices 1 and 3.
        let input = [1i8, 6, 0, 6, -2, -2, 3, -5];
        let max = check_flat_split(2, -1i64, |range, out| {
            arg_extreme(Extreme::Max, &input, &shape(&[2, 4]), 1, out, range).unwrap()
        });
        assert_eq!(max, vec![1, 2]);
        let mut min = [0i32; 4];
        arg_extreme(
            Extreme::Min,
            &input,
            &shape(&[2, 4]),
            0,
            &mut min,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(min, [1, 1, 0, 1]);
    }

    #[test]
    fn arg_keeps_a_leading_nan() {
        // Rows: NaN first (never replaced), NaN among values (never taken), all NaN.
        let nan = f32::NAN;
        let input = [nan, -3.0, 2.0, 1.0, nan, 5.0, nan, nan, nan];
        for (extreme, expected) in [(Extreme::Max, [0, 2, 0]), (Extreme::Min, [0, 0, 0])] {
            let indices = check_flat_split(3, -1i32, |range, out| {
                arg_extreme(extreme, &input, &shape(&[3, 3]), 1, out, range).unwrap()
            });
            assert_eq!(indices, expected);
        }
    }

    #[test]
    fn inconsistent_arguments_are_errors() {
        let input = [1i8, 2, 3, 4];
        let mut out = [0i8; 2];
        assert_eq!(
            reduce_extreme(
                Extreme::Max,
                &input,
                &shape(&[2, 2]),
                &[2],
                &mut out,
                SplitRange::full(2)
            ),
            Err(KernelError::InvalidParameter)
        );
        let mut indices = [0i32; 3];
        assert_eq!(
            arg_extreme(
                Extreme::Max,
                &input,
                &shape(&[2, 2]),
                1,
                &mut indices,
                SplitRange::full(3)
            ),
            Err(KernelError::ShapeMismatch)
        );
    }
}
