//! RESIZE_BILINEAR int8: `reference_ops::ResizeBilinearInteger`
//! (reference/resize_bilinear.h) as used by
//! tensorflow/lite/micro/kernels/resize_bilinear.cc.
//!
//! Positions are in 10-bit fixed point. For every output row (column) the compiler
//! computes TFLM's `ComputeInterpolationValuesInteger`: the lower and upper input
//! rows and the position's distance from the lower one in 1/1024ths (outside 0..=1024
//! where half-pixel centers extrapolate at the edges). Each output is the weighted sum
//! of the four neighbours in 1/2^20ths, rounded half away from zero and truncated to
//! the element type as TFLM's `static_cast` does.
//!
//! The float kernel (`float::resize_bilinear`) shares the walk over the output.
//!
//! Split axis: flat output elements.

use crate::error::{element, expect_len, KernelError, KernelResult};
use crate::shape::Nhwc;
use crate::split::SplitRange;

/// One output row's (or column's) source: `ComputeInterpolationValuesInteger`
/// (`F = i32`), or the float `ComputeInterpolationValues` (`F = f32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample<F = i32> {
    /// `lower_bound`: the input index weighted by `1024 - fraction` (`1 - fraction`).
    pub lower: usize,
    /// `upper_bound`: the input index weighted by `fraction`.
    pub upper: usize,
    /// `scaled_value - 1024 * lower_bound` (float: `scaled_value - lower_bound`).
    pub fraction: F,
}

const ONE: i64 = 1 << 10;

/// Writes the `range` part of the `[batches, rows.len(), columns.len(), depth]`
/// output resized from `input` (of `input_shape`).
pub fn resize_bilinear(
    input: &[i8],
    input_shape: &Nhwc,
    rows: &[Sample],
    columns: &[Sample],
    output: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    resize_with(
        input,
        input_shape,
        (rows, columns),
        output,
        range,
        |[top_left, bottom_left, top_right, bottom_right], dy, dx| {
            let (dy, dx) = (i64::from(dy), i64::from(dx));
            let sum = i64::from(top_left) * (ONE - dy) * (ONE - dx)
                + i64::from(bottom_left) * dy * (ONE - dx)
                + i64::from(top_right) * (ONE - dy) * dx
                + i64::from(bottom_right) * dy * dx;
            let round = if sum > 0 { 1 << 19 } else { -(1 << 19) };
            // Division truncates toward zero and the cast wraps, as in C++.
            ((sum + round) / (1 << 20)) as i8
        },
    )
}

/// Writes the `range` part of the output: each element is `interpolate` of its four
/// neighbours (upper-left, lower-left, upper-right, lower-right, as TFLM sums them)
/// and its row's and column's fractions.
pub(crate) fn resize_with<T: Copy, F: Copy>(
    input: &[T],
    input_shape: &Nhwc,
    (rows, columns): (&[Sample<F>], &[Sample<F>]),
    output: &mut [T],
    range: SplitRange,
    interpolate: impl Fn([T; 4], F, F) -> T,
) -> KernelResult {
    expect_len(input.len(), input_shape.element_count()?)?;
    let Nhwc {
        batches,
        height,
        width,
        channels,
    } = *input_shape;
    let samples_inside = |samples: &[Sample<F>], extent: usize| {
        samples.iter().all(|s| s.lower < extent && s.upper < extent)
    };
    if !samples_inside(rows, height) || !samples_inside(columns, width) {
        return Err(KernelError::InvalidParameter);
    }
    let out_count = batches
        .checked_mul(rows.len())
        .and_then(|n| n.checked_mul(columns.len()))
        .and_then(|n| n.checked_mul(channels))
        .ok_or(KernelError::InvalidParameter)?;
    expect_len(output.len(), out_count)?;
    range.check_within(output.len())?;
    let at = |b: usize, y: usize, x: usize, c: usize| {
        element(input, ((b * height + y) * width + x) * channels + c)
    };
    // `max(1)`: an empty extent leaves no output to compute.
    let (depth, out_width, out_height) = (channels.max(1), columns.len().max(1), rows.len().max(1));
    for flat in range.indices() {
        let c = flat % depth;
        let x = (flat / depth) % out_width;
        let y = (flat / depth / out_width) % out_height;
        let b = flat / depth / out_width / out_height;
        let (row, column) = (element(rows, y)?, element(columns, x)?);
        let neighbours = [
            at(b, row.lower, column.lower, c)?,
            at(b, row.upper, column.lower, c)?,
            at(b, row.lower, column.upper, c)?,
            at(b, row.upper, column.upper, c)?,
        ];
        *output.get_mut(flat).ok_or(KernelError::RangeOutOfBounds)? =
            interpolate(neighbours, row.fraction, column.fraction);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_flat_split;

    fn sample(lower: usize, upper: usize, fraction: i32) -> Sample {
        Sample {
            lower,
            upper,
            fraction,
        }
    }

    #[test]
    fn interpolates_between_neighbours() {
        // [1, 2, 2, 1] = [[0, 100], [-100, 50]] -> one row halfway down, columns at
        // 0, 1/4 and the right edge.
        let input = [0i8, 100, -100, 50];
        let rows = [sample(0, 1, 512)];
        let columns = [sample(0, 1, 0), sample(0, 1, 256), sample(1, 1, 0)];
        let out = check_flat_split(3, 0i8, |range, out| {
            resize_bilinear(&input, &Nhwc::new(1, 2, 2, 1), &rows, &columns, out, range).unwrap()
        });
        // Row averages: -50 and 75; a quarter of the way: -50 + 125 / 4 = -18.75.
        assert_eq!(out, vec![-50, -19, 75]);
    }

    #[test]
    fn samples_outside_the_input_are_errors() {
        let mut out = [0i8; 1];
        assert_eq!(
            resize_bilinear(
                &[1, 2],
                &Nhwc::new(1, 1, 2, 1),
                &[sample(0, 1, 0)],
                &[sample(0, 0, 0)],
                &mut out,
                SplitRange::full(1)
            ),
            Err(KernelError::InvalidParameter)
        );
    }
}
