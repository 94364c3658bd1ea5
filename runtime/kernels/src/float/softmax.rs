//! FLOAT32 SOFTMAX and LOG_SOFTMAX over the innermost axis.
//!
//! Mirrors the float `tflite::reference_ops::Softmax` and `LogSoftmax`
//! (tensorflow/lite/kernels/internal/reference/softmax.h, log_softmax.h): the row's
//! maximum (from `f32::MIN`), then `exp((x - max) * beta)` summed in order, then each
//! exponential divided by the sum; LOG_SOFTMAX: `x - max - log(sum of exp(x - max))`.
//!
//! Split axis: rows (every axis but the innermost, flattened).

use super::math;
use crate::error::KernelResult;
use crate::split::{for_each_row, SplitRange};

/// Which of the two operators.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FloatSoftmaxKind {
    /// SOFTMAX with its `beta` (TFLM's double, used as float).
    Softmax {
        /// `params.beta`.
        beta: f32,
    },
    /// LOG_SOFTMAX.
    LogSoftmax,
}

/// Computes the `rows` part of a float SOFTMAX / LOG_SOFTMAX whose rows have `depth`
/// elements.
pub fn softmax(
    kind: FloatSoftmaxKind,
    depth: usize,
    input: &[f32],
    output: &mut [f32],
    rows: SplitRange,
) -> KernelResult {
    for_each_row(depth, input, output, rows, |values, out| {
        let max = values
            .iter()
            .fold(f32::MIN, |max, &v| if max < v { v } else { max });
        match kind {
            FloatSoftmaxKind::Softmax { beta } => {
                let mut sum = 0.0f32;
                for (o, &v) in out.iter_mut().zip(values) {
                    *o = math::exp((v - max) * beta);
                    sum += *o;
                }
                for o in out.iter_mut() {
                    *o /= sum;
                }
            }
            FloatSoftmaxKind::LogSoftmax => {
                let sum = values
                    .iter()
                    .fold(0.0f32, |sum, &v| sum + math::exp(v - max));
                let log_sum = math::log(sum);
                for (o, &v) in out.iter_mut().zip(values) {
                    *o = v - max - log_sum;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_rows_sum_to_one() {
        let input = [1.0f32, 2.0, 3.0, 0.0, 0.0, 0.0];
        let mut out = [0.0f32; 6];
        softmax(
            FloatSoftmaxKind::Softmax { beta: 1.0 },
            3,
            &input,
            &mut out,
            SplitRange::full(2),
        )
        .unwrap();
        assert_eq!(out[3], 1.0 / 3.0);
        assert!((out[0] + out[1] + out[2] - 1.0).abs() < 1e-6);
        softmax(
            FloatSoftmaxKind::LogSoftmax,
            3,
            &input,
            &mut out,
            SplitRange::full(2),
        )
        .unwrap();
        assert!((out[2] - (-0.407_605_95)).abs() < 1e-6);
    }
}
