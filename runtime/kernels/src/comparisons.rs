//! EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL with NumPy-style
//! broadcasting, and the BOOL ops LOGICAL_AND, LOGICAL_OR and LOGICAL_NOT.
//!
//! Mirrors tensorflow/lite/micro/kernels/comparisons.cc over
//! `reference_ops::Comparison*` (reference/comparisons.h): INT32 (and BOOL for
//! EQUAL / NOT_EQUAL) compare the stored values; INT8 compares both operands
//! rescaled to a common real scale (`*WithScaling`). LOGICAL_AND / LOGICAL_OR mirror
//! micro/kernels/logical_common.cc, LOGICAL_NOT `LogicalNot` in
//! micro/kernels/elementwise.cc.
//!
//! BOOL tensors are bytes, 0 or 1, as TFLM stores `bool`; the logical kernels read any
//! non-zero byte as true. Split axis: flat output elements ([`SplitRange`]).

use crate::binary::broadcast_binary;
use crate::element::QuantElement;
use crate::error::KernelResult;
use crate::quant::QuantizedMultiplier;
use crate::shape::Shape;
use crate::split::SplitRange;
use crate::unary::map_range;

/// Which comparison a comparison layer makes (`lhs <op> rhs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// EQUAL
    Equal,
    /// NOT_EQUAL
    NotEqual,
    /// LESS
    Less,
    /// LESS_EQUAL
    LessEqual,
    /// GREATER
    Greater,
    /// GREATER_EQUAL
    GreaterEqual,
}

impl Comparison {
    /// Whether `lhs <op> rhs` holds, as a TFLM `bool` byte.
    #[inline]
    fn holds<T: PartialOrd>(self, lhs: T, rhs: T) -> u8 {
        u8::from(match self {
            Comparison::Equal => lhs == rhs,
            Comparison::NotEqual => lhs != rhs,
            Comparison::Less => lhs < rhs,
            Comparison::LessEqual => lhs <= rhs,
            Comparison::Greater => lhs > rhs,
            Comparison::GreaterEqual => lhs >= rhs,
        })
    }
}

/// The INT8 fields of TFLM's `ComparisonParams`, set in `ComparisonsPrepare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComparisonScaling {
    /// `left_shift` (TFLM: always 8).
    pub left_shift: i32,
    /// `input1_offset` (minus input 1's zero point).
    pub input1_offset: i32,
    /// `input1_multiplier` / `input1_shift`: `QuantizeMultiplierSmallerThanOneExp(scale1)`.
    pub input1_multiplier: QuantizedMultiplier,
    /// `input2_offset` (minus input 2's zero point).
    pub input2_offset: i32,
    /// `input2_multiplier` / `input2_shift`: `QuantizeMultiplierSmallerThanOneExp(scale2)`.
    pub input2_multiplier: QuantizedMultiplier,
}

impl ComparisonScaling {
    /// `(x + offset) * 2^left_shift`, then the multiplier: the value on the common scale.
    #[inline]
    fn rescale(&self, x: i32, offset: i32, multiplier: QuantizedMultiplier) -> i32 {
        // C++ computes `value * (1 << left_shift)` in int (wrapping on every target).
        let shifted = x
            .wrapping_add(offset)
            .wrapping_mul(1i32.wrapping_shl(self.left_shift.clamp(0, 31) as u32));
        multiplier.apply(shifted)
    }
}

/// A comparison of the stored values (INT32, and BOOL bytes), over the `range` part of
/// the broadcast output.
#[allow(clippy::too_many_arguments)]
pub fn compare<T: Copy + PartialOrd>(
    comparison: Comparison,
    input1: &[T],
    input1_shape: &Shape,
    input2: &[T],
    input2_shape: &Shape,
    output: &mut [u8],
    output_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    broadcast_binary(
        input1,
        input1_shape,
        input2,
        input2_shape,
        output,
        output_shape,
        range,
        |a, b| comparison.holds(a, b),
    )
}

/// A comparison of quantized operands rescaled to one scale (TFLM `*WithScaling`),
/// over the `range` part of the broadcast output.
#[allow(clippy::too_many_arguments)]
pub fn compare_scaled<T: QuantElement>(
    comparison: Comparison,
    scaling: &ComparisonScaling,
    input1: &[T],
    input1_shape: &Shape,
    input2: &[T],
    input2_shape: &Shape,
    output: &mut [u8],
    output_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    broadcast_binary(
        input1,
        input1_shape,
        input2,
        input2_shape,
        output,
        output_shape,
        range,
        |a: T, b: T| {
            let lhs = scaling.rescale(a.widen(), scaling.input1_offset, scaling.input1_multiplier);
            let rhs = scaling.rescale(b.widen(), scaling.input2_offset, scaling.input2_multiplier);
            comparison.holds(lhs, rhs)
        },
    )
}

/// Which binary logical op a layer computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logical {
    /// LOGICAL_AND
    And,
    /// LOGICAL_OR
    Or,
}

/// LOGICAL_AND / LOGICAL_OR of BOOL bytes over the `range` part of the broadcast output.
#[allow(clippy::too_many_arguments)]
pub fn logical(
    op: Logical,
    input1: &[u8],
    input1_shape: &Shape,
    input2: &[u8],
    input2_shape: &Shape,
    output: &mut [u8],
    output_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    broadcast_binary(
        input1,
        input1_shape,
        input2,
        input2_shape,
        output,
        output_shape,
        range,
        |a: u8, b: u8| {
            let (a, b) = (a != 0, b != 0);
            u8::from(match op {
                Logical::And => a && b,
                Logical::Or => a || b,
            })
        },
    )
}

/// LOGICAL_NOT of BOOL bytes over `range`.
pub fn logical_not(input: &[u8], output: &mut [u8], range: SplitRange) -> KernelResult {
    map_range(input, output, range, |x| u8::from(x == 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::quantize_multiplier;
    use crate::test_util::check_flat_split;

    fn shape(dims: &[usize]) -> Shape {
        Shape::new(dims).unwrap()
    }

    fn smaller_than_one(scale: f64) -> QuantizedMultiplier {
        quantize_multiplier(scale).unwrap()
    }

    #[test]
    fn int32_comparisons_broadcast_and_split() {
        let a = [1i32, -5, 7, 7, 0, 3];
        let b = [7i32, 0];
        let expected = [
            (Comparison::Equal, [0u8, 0, 1, 0, 0, 0]),
            (Comparison::NotEqual, [1, 1, 0, 1, 1, 1]),
            (Comparison::Less, [1, 1, 0, 0, 1, 0]),
            (Comparison::LessEqual, [1, 1, 1, 0, 1, 0]),
            (Comparison::Greater, [0, 0, 0, 1, 0, 1]),
            (Comparison::GreaterEqual, [0, 0, 1, 1, 0, 1]),
        ];
        for (comparison, want) in expected {
            // a: [3, 2], b: [1, 2] broadcast along rows.
            let got = check_flat_split(6, 9u8, |range, out| {
                compare(
                    comparison,
                    &a,
                    &shape(&[3, 2]),
                    &b,
                    &shape(&[1, 2]),
                    out,
                    &shape(&[3, 2]),
                    range,
                )
                .unwrap()
            });
            assert_eq!(got, want, "{comparison:?}");
        }
    }

    #[test]
    fn int8_compares_real_values_across_scales() {
        // input1: scale 0.5, zp 10; input2: scale 0.25, zp -4.
        let scaling = ComparisonScaling {
            left_shift: 8,
            input1_offset: -10,
            input1_multiplier: smaller_than_one(0.5),
            input2_offset: 4,
            input2_multiplier: smaller_than_one(0.25),
        };
        // Reals: a = 0.5 * (q - 10), b = 0.25 * (q + 4).
        let a = [12i8, 10, 8, -128, 127];
        let b = [4i8, -4, -12, -128, 127];
        // a: 1.0, 0.0, -1.0, -69.0, 58.5; b: 2.0, 0.0, -2.0, -31.0, 32.75
        let got = check_flat_split(5, 9u8, |range, out| {
            compare_scaled(
                Comparison::Less,
                &scaling,
                &a,
                &shape(&[5]),
                &b,
                &shape(&[5]),
                out,
                &shape(&[5]),
                range,
            )
            .unwrap()
        });
        assert_eq!(got, [1, 0, 0, 1, 0]);
        let mut equal = [9u8; 5];
        compare_scaled(
            Comparison::Equal,
            &scaling,
            &a,
            &shape(&[5]),
            &b,
            &shape(&[5]),
            &mut equal,
            &shape(&[5]),
            SplitRange::full(5),
        )
        .unwrap();
        assert_eq!(equal, [0, 1, 0, 0, 0]);
    }

    #[test]
    fn logical_ops_read_any_nonzero_byte_as_true() {
        let a = [0u8, 1, 2, 0];
        let b = [0u8, 0, 1, 1];
        let mut out = [9u8; 4];
        let s = shape(&[4]);
        logical(
            Logical::And,
            &a,
            &s,
            &b,
            &s,
            &mut out,
            &s,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(out, [0, 0, 1, 0]);
        logical(
            Logical::Or,
            &a,
            &s,
            &b,
            &s,
            &mut out,
            &s,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(out, [0, 1, 1, 1]);
        let got = check_flat_split(4, 9u8, |range, out| logical_not(&a, out, range).unwrap());
        assert_eq!(got, [1, 0, 0, 1]);
    }

    #[test]
    fn mismatched_lengths_are_errors() {
        let mut out = [0u8; 2];
        let s = shape(&[2]);
        assert!(compare(
            Comparison::Less,
            &[1i32],
            &s,
            &[1, 2],
            &s,
            &mut out,
            &s,
            SplitRange::full(2)
        )
        .is_err());
        assert!(logical_not(&[1u8], &mut out, SplitRange::full(2)).is_err());
    }
}
