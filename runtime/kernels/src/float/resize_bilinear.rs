//! FLOAT32 RESIZE_BILINEAR: the float `tflite::reference_ops::ResizeBilinear`
//! (tensorflow/lite/kernels/internal/reference/resize_bilinear.h).
//!
//! The compiler computes TFLM's `ComputeInterpolationValues` in float32 for every
//! output row and column: the lower and upper input index and the fraction
//! `scaled_value - lower` (outside 0..=1 where half-pixel centers extrapolate at the
//! edges). Each output is TFLM's expression in its order: the four neighbours times
//! their row weight, then their column weight (`1 - fraction` or `fraction`), summed
//! left to right, plus TFLM's rounding offset `0.0` (which turns `-0.0` into `0.0`).
//!
//! Split axis: flat output elements.

use crate::error::KernelResult;
use crate::resize_bilinear::{resize_with, Sample};
use crate::shape::Nhwc;
use crate::split::SplitRange;

/// Writes the `range` part of the `[batches, rows.len(), columns.len(), depth]`
/// output resized from `input` (of `input_shape`).
pub fn resize_bilinear(
    input: &[f32],
    input_shape: &Nhwc,
    rows: &[Sample<f32>],
    columns: &[Sample<f32>],
    output: &mut [f32],
    range: SplitRange,
) -> KernelResult {
    resize_with(
        input,
        input_shape,
        (rows, columns),
        output,
        range,
        |[top_left, bottom_left, top_right, bottom_right], dy, dx| {
            top_left * (1.0 - dy) * (1.0 - dx)
                + bottom_left * dy * (1.0 - dx)
                + top_right * (1.0 - dy) * dx
                + bottom_right * dy * dx
                + 0.0
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_flat_split;

    #[test]
    fn interpolates_in_tflm_order() {
        // [1, 2, 2, 1] = [[0, 100], [-100, 50]] -> one row halfway down, columns at
        // 0, 1/4 and the right edge; then a row extrapolated above the top.
        let input = [0.0f32, 100.0, -100.0, 50.0];
        let sample = |lower, upper, fraction| Sample {
            lower,
            upper,
            fraction,
        };
        let rows = [sample(0, 1, 0.5f32), sample(0, 1, -0.25)];
        let columns = [sample(0, 1, 0.0f32), sample(0, 1, 0.25), sample(1, 1, 0.0)];
        let out = check_flat_split(6, 7.0f32, |range, out| {
            resize_bilinear(&input, &Nhwc::new(1, 2, 2, 1), &rows, &columns, out, range).unwrap()
        });
        assert_eq!(out, vec![-50.0, -18.75, 75.0, 25.0, 46.875, 112.5]);
    }

    #[test]
    fn a_negative_zero_sum_is_positive_zero() {
        let input = [-0.0f32];
        let zero = [Sample {
            lower: 0,
            upper: 0,
            fraction: 0.0f32,
        }];
        let mut out = [1.0f32];
        resize_bilinear(
            &input,
            &Nhwc::new(1, 1, 1, 1),
            &zero,
            &zero,
            &mut out,
            SplitRange::full(1),
        )
        .unwrap();
        assert_eq!(out[0].to_bits(), 0);
    }
}
