//! FLOAT32 L2_NORMALIZATION along the innermost axis: the float
//! `tflite::reference_ops::L2Normalization`
//! (tensorflow/lite/kernels/internal/reference/l2normalization.h) with TFLM's
//! epsilon `1e-6`: per row, the squares summed from `0.0` in order, `sqrt`, at
//! least epsilon (`std::max`, which keeps a NaN norm), and every element divided by
//! it. Split axis: rows (all axes but the last).

use super::math;
use crate::error::KernelResult;
use crate::split::{for_each_row, SplitRange};

/// TFLM's `epsilon` (l2norm.cc): the smallest norm divided by.
const EPSILON: f32 = 1e-6;

/// L2_NORMALIZATION of rows of `depth` elements, for the rows in `range`.
pub fn l2_normalization(
    depth: usize,
    input: &[f32],
    output: &mut [f32],
    range: SplitRange,
) -> KernelResult {
    for_each_row(depth, input, output, range, |values, out_row| {
        let squared_norm = values.iter().fold(0.0f32, |sum, &x| sum + x * x);
        let norm = math::sqrt(squared_norm);
        // `std::max(norm, epsilon)`: `norm` unless it is less than epsilon.
        let norm = if norm < EPSILON { EPSILON } else { norm };
        for (out, &x) in out_row.iter_mut().zip(values) {
            *out = x / norm;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_unit_vectors() {
        // Rows (3, 4), (0, -0) (divided by epsilon, keeping their signs) and (-6, 8).
        let input = [3.0f32, 4.0, 0.0, -0.0, -6.0, 8.0];
        let mut out = [9.0f32; 6];
        l2_normalization(2, &input, &mut out, SplitRange::full(3)).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&out), bits(&[0.6, 0.8, 0.0, -0.0, -0.6, 0.8]));
        let mut part = [9.0f32; 6];
        l2_normalization(2, &input, &mut part, SplitRange::new(1, 2)).unwrap();
        assert_eq!(part, [9.0, 9.0, 0.0, -0.0, 9.0, 9.0]);
        assert!(l2_normalization(4, &input, &mut out, SplitRange::full(1)).is_err());
    }
}
