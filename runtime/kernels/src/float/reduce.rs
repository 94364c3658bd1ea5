//! FLOAT32 MEAN, SUM, REDUCE_MAX and REDUCE_MIN over any set of axes.
//!
//! Mirrors the float paths of tensorflow/lite/micro/kernels/reduce_common.cc
//! (`reference_ops::Mean` / `ReduceGeneric`, tensorflow/lite/kernels/internal/reference/
//! reduce.h): each output accumulates its reduced input elements in row-major order,
//! from `0.0` (MEAN, SUM), `f32::MIN` (MAX) or `f32::MAX` (MIN); MEAN then divides by
//! the element count.
//!
//! Split axis: flat output elements. `keep_dims` does not change the output's flat
//! layout, so it is not a parameter.

use crate::error::KernelResult;
use crate::reduce::Reduction;
use crate::shape::Shape;
use crate::split::SplitRange;

/// The reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatReduce {
    /// MEAN: the sum divided by the element count.
    Mean,
    /// SUM.
    Sum,
    /// REDUCE_MAX: `in > current ? in : current`.
    Max,
    /// REDUCE_MIN: `in < current ? in : current`.
    Min,
}

/// Writes outputs `range` of the reduction of `input` over `axes` (non-negative axis
/// indices of `input_shape`; duplicates are ignored).
pub fn reduce(
    op: FloatReduce,
    input: &[f32],
    input_shape: &Shape,
    axes: &[usize],
    output: &mut [f32],
    range: SplitRange,
) -> KernelResult {
    let reduction = Reduction::checked(input.len(), input_shape, axes, output.len(), range)?;
    let count = reduction.count()?;
    let start = match op {
        FloatReduce::Mean | FloatReduce::Sum => 0.0,
        FloatReduce::Max => f32::MIN,
        FloatReduce::Min => f32::MAX,
    };
    reduction.fold_each(
        input,
        output,
        range,
        start,
        |value, x| match op {
            FloatReduce::Mean | FloatReduce::Sum => value + x,
            FloatReduce::Max => {
                if x > value {
                    x
                } else {
                    value
                }
            }
            FloatReduce::Min => {
                if x < value {
                    x
                } else {
                    value
                }
            }
        },
        |value| match op {
            // TFLM leaves an empty reduction's output at zero.
            FloatReduce::Mean if count > 0 => value / count as f32,
            FloatReduce::Mean => 0.0,
            _ => value,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_the_middle_axes() {
        let input: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let shape = Shape::new(&[1, 2, 3, 2]).unwrap();
        // MAX names its axes out of order and once more: a set, as TFLM resolves it.
        let cases: [(FloatReduce, &[usize], [f32; 2]); 4] = [
            (FloatReduce::Mean, &[1, 2], [5.0, 6.0]),
            (FloatReduce::Sum, &[1, 2], [30.0, 36.0]),
            (FloatReduce::Max, &[2, 1, 2], [10.0, 11.0]),
            (FloatReduce::Min, &[1, 2], [0.0, 1.0]),
        ];
        for (op, axes, expected) in cases {
            let mut out = [0.0f32; 2];
            reduce(op, &input, &shape, axes, &mut out, SplitRange::full(2)).unwrap();
            assert_eq!(out, expected, "{op:?}");
        }
    }
}
