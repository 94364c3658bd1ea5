//! ADD, SUB, MUL and DIV of unquantized INT32 tensors, with NumPy-style broadcasting.
//!
//! Mirrors the `kTfLiteInt32` paths of tensorflow/lite/micro/kernels/add.cc, sub.cc,
//! mul_common.cc and div.cc over `reference_ops::Add` / `BroadcastAdd6DSlow`,
//! `SubWithActivation` / `BroadcastSubSlow`, `Mul` / `BroadcastMul6DSlow` and
//! `Div` / `BroadcastDivSlow`: the plain integer operation (wrapping on overflow, as
//! C++ `int32_t` arithmetic does on every TFLM target; DIV truncates toward zero),
//! then the activation clamp TFLM set up (for ADD always the full range: TFLM ignores
//! its fused activation). A zero divisor anywhere in DIV's second operand is
//! [`KernelError::DivisionByZero`], before anything is written (C++ leaves it
//! undefined). Split axis: flat output elements.

use crate::binary::{broadcast_binary, broadcast_binary_in_place, InPlaceOperand};
use crate::error::{KernelError, KernelResult};
use crate::quant::ActivationRange;
use crate::shape::Shape;
use crate::split::SplitRange;

/// Which operation an INT32 arithmetic layer computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntegerOp {
    /// ADD: `a + b`.
    Add,
    /// SUB: `a - b`.
    Sub,
    /// MUL: `a * b`.
    Mul,
    /// DIV: `a / b`, truncated toward zero.
    Div,
}

impl IntegerOp {
    #[inline]
    fn apply(self, activation: ActivationRange, a: i32, b: i32) -> i32 {
        let value = match self {
            IntegerOp::Add => a.wrapping_add(b),
            IntegerOp::Sub => a.wrapping_sub(b),
            IntegerOp::Mul => a.wrapping_mul(b),
            // `check_divisors` ruled out zero; `i32::MIN / -1` wraps (ARM's SDIV).
            IntegerOp::Div if b == 0 => 0,
            IntegerOp::Div => a.wrapping_div(b),
        };
        activation.apply(value)
    }
}

/// DIV's precondition: no divisor is zero.
fn check_divisors(op: IntegerOp, divisors: &[i32]) -> KernelResult {
    if op == IntegerOp::Div && divisors.contains(&0) {
        return Err(KernelError::DivisionByZero);
    }
    Ok(())
}

/// The INT32 operation over the `range` part of the broadcast output.
#[allow(clippy::too_many_arguments)]
pub fn integer_binary(
    op: IntegerOp,
    activation: ActivationRange,
    input1: &[i32],
    input1_shape: &Shape,
    input2: &[i32],
    input2_shape: &Shape,
    output: &mut [i32],
    output_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    check_divisors(op, input2)?;
    broadcast_binary(
        input1,
        input1_shape,
        input2,
        input2_shape,
        output,
        output_shape,
        range,
        |a, b| op.apply(activation, a, b),
    )
}

/// [`integer_binary`] in place over input1 (`data`, not broadcast).
pub fn integer_binary_in_place_first(
    op: IntegerOp,
    activation: ActivationRange,
    data: &mut [i32],
    data_shape: &Shape,
    input2: &[i32],
    input2_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    check_divisors(op, input2)?;
    broadcast_binary_in_place(
        InPlaceOperand::First,
        data,
        data_shape,
        input2,
        input2_shape,
        range,
        |a, b| op.apply(activation, a, b),
    )
}

/// [`integer_binary`] in place over input2 (`data`, not broadcast).
pub fn integer_binary_in_place_second(
    op: IntegerOp,
    activation: ActivationRange,
    input1: &[i32],
    input1_shape: &Shape,
    data: &mut [i32],
    data_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    check_divisors(op, data)?;
    broadcast_binary_in_place(
        InPlaceOperand::Second,
        data,
        data_shape,
        input1,
        input1_shape,
        range,
        |a, b| op.apply(activation, a, b),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_flat_split;

    const FULL: ActivationRange = ActivationRange {
        min: i32::MIN,
        max: i32::MAX,
    };

    fn shape(dims: &[usize]) -> Shape {
        Shape::new(dims).unwrap()
    }

    fn run(op: IntegerOp, activation: ActivationRange, a: &[i32], b: &[i32]) -> Vec<i32> {
        let (sa, sb, so) = (shape(&[2, 2]), shape(&[1, 2]), shape(&[2, 2]));
        check_flat_split(4, 7, |range, out| {
            integer_binary(op, activation, a, &sa, b, &sb, out, &so, range).unwrap()
        })
    }

    #[test]
    fn operations_wrap_like_cpp_int32() {
        let a = [i32::MAX, -3, 5, i32::MIN];
        let b = [1, -2];
        assert_eq!(
            run(IntegerOp::Add, FULL, &a, &b),
            [i32::MIN, -5, 6, i32::MAX - 1]
        );
        assert_eq!(
            run(IntegerOp::Sub, FULL, &a, &b),
            [i32::MAX - 1, -1, 4, i32::MIN + 2]
        );
        assert_eq!(run(IntegerOp::Mul, FULL, &a, &b), [i32::MAX, 6, 5, 0]);
    }

    #[test]
    fn division_truncates_and_rejects_zero_divisors() {
        assert_eq!(
            run(IntegerOp::Div, FULL, &[7, -7, 9, i32::MIN], &[2, -1]),
            [3, 7, 4, i32::MIN]
        );
        let s = shape(&[2]);
        let mut out = [5; 2];
        let zero = integer_binary(
            IntegerOp::Div,
            FULL,
            &[1, 2],
            &s,
            &[1, 0],
            &s,
            &mut out,
            &s,
            SplitRange::full(2),
        );
        assert_eq!(zero, Err(KernelError::DivisionByZero));
        assert_eq!(out, [5, 5]);
    }

    #[test]
    fn activation_clamps_after_the_operation() {
        let relu6 = ActivationRange { min: 0, max: 6 };
        assert_eq!(
            run(IntegerOp::Mul, relu6, &[1, 2, 3, 4], &[-1, 3]),
            [0, 6, 0, 6]
        );
    }

    #[test]
    fn in_place_equals_out_of_place() {
        let b = [10, -10];
        let (s, sb) = (shape(&[2, 2]), shape(&[1, 2]));
        let expected = run(IntegerOp::Sub, FULL, &[1, 2, 3, 4], &b);
        let mut data = [1, 2, 3, 4];
        integer_binary_in_place_first(
            IntegerOp::Sub,
            FULL,
            &mut data,
            &s,
            &b,
            &sb,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(data.to_vec(), expected);
        let mut second = [10, -10, 10, -10];
        integer_binary_in_place_second(
            IntegerOp::Sub,
            FULL,
            &[1, 2, 3, 4],
            &s,
            &mut second,
            &s,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(second.to_vec(), expected);
    }
}
