//! Element-wise FLOAT32 operators: one input (activations, math functions) or two
//! broadcast inputs (arithmetic), each element computed as TFLM's float kernels do.
//!
//! Mirrors tensorflow/lite/micro/kernels/{activations,logistic,tanh,hard_swish,
//! leaky_relu,elu,elementwise,exp,floor,ceil,round,neg,square,add,sub,mul,div,
//! maximum_minimum,squared_difference,floor_div,floor_mod,prelu_common}.cc with the float reference
//! functions of tensorflow/lite/kernels/internal/reference/.
//!
//! Split axis: flat output elements ([`SplitRange`]).

use super::math;
use super::FloatActivation;
use crate::binary::{broadcast_binary, broadcast_binary_in_place, InPlaceOperand};
use crate::error::KernelResult;
use crate::shape::Shape;
use crate::split::SplitRange;
use crate::unary::{map_range, ElementwiseIo};

/// A one-input float operator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FloatUnary {
    /// RELU: `x < 0 ? 0 : x`.
    Relu,
    /// RELU6: `x > 6 ? 6 : x < 0 ? 0 : x`.
    Relu6,
    /// RELU_N1_TO_1: `x > 1 ? 1 : x < -1 ? -1 : x`.
    ReluN1To1,
    /// LEAKY_RELU: `x > 0 ? x : x * alpha`.
    LeakyRelu(f32),
    /// LOGISTIC with TFLM's cut-offs (1 above 16.619..., `exp(x)` below -9).
    Logistic,
    /// TANH (`std::tanh`).
    Tanh,
    /// HARD_SWISH: `x * min(6, max(0, x + 3)) / 6`.
    HardSwish,
    /// ELU: `x < 0 ? expm1(x) : x`.
    Elu,
    /// EXP.
    Exp,
    /// LOG.
    Log,
    /// SIN.
    Sin,
    /// COS.
    Cos,
    /// SQRT.
    Sqrt,
    /// RSQRT: `1 / sqrt(x)`.
    Rsqrt,
    /// ABS.
    Abs,
    /// NEG.
    Neg,
    /// SQUARE: `x * x`.
    Square,
    /// FLOOR.
    Floor,
    /// CEIL.
    Ceil,
    /// ROUND: halves to even (`RoundToNearest`).
    Round,
}

impl FloatUnary {
    /// The operator's value at `x`.
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Self::Relu => {
                if x < 0.0 {
                    0.0
                } else {
                    x
                }
            }
            Self::Relu6 => clamp_like_tflm(x, 0.0, 6.0),
            Self::ReluN1To1 => clamp_like_tflm(x, -1.0, 1.0),
            Self::LeakyRelu(alpha) => {
                if x > 0.0 {
                    x
                } else {
                    x * alpha
                }
            }
            Self::Logistic => logistic(x),
            Self::Tanh => math::tanh(x),
            Self::HardSwish => {
                // std::max(0, x + 3), then std::min(6, ...), as TFLM's comparisons order them
                // (a NaN gate becomes 0, then stays).
                let gate = x + 3.0;
                let gate = if 0.0 < gate { gate } else { 0.0 };
                let gate = if gate < 6.0 { gate } else { 6.0 };
                x * gate / 6.0
            }
            Self::Elu => {
                if x < 0.0 {
                    math::expm1(x)
                } else {
                    x
                }
            }
            Self::Exp => math::exp(x),
            Self::Log => math::log(x),
            Self::Sin => math::sin(x),
            Self::Cos => math::cos(x),
            Self::Sqrt => math::sqrt(x),
            Self::Rsqrt => 1.0 / math::sqrt(x),
            Self::Abs => math::abs(x),
            Self::Neg => -x,
            Self::Square => x * x,
            Self::Floor => math::floor(x),
            Self::Ceil => math::ceil(x),
            Self::Round => math::round_half_even(x),
        }
    }
}

/// `x > high ? high : x < low ? low : x` (TFLM's RELU6 / RELU_N1_TO_1 order).
fn clamp_like_tflm(x: f32, low: f32, high: f32) -> f32 {
    if x > high {
        high
    } else if x < low {
        low
    } else {
        x
    }
}

/// TFLM's float `Logistic`: the cut-offs keep `exp` from overflowing.
pub(crate) fn logistic(x: f32) -> f32 {
    const CUTOFF_UPPER: f32 = 16.619_047;
    const CUTOFF_LOWER: f32 = -9.0;
    if x > CUTOFF_UPPER {
        1.0
    } else if x < CUTOFF_LOWER {
        math::exp(x)
    } else {
        1.0 / (1.0 + math::exp(-x))
    }
}

/// Computes the `range` part of a one-input float operator.
pub fn unary(op: FloatUnary, input: &[f32], output: &mut [f32], range: SplitRange) -> KernelResult {
    map_range(input, output, range, |x| op.apply(x))
}

/// [`unary`] over one buffer holding the input and receiving the output.
pub fn unary_in_place(op: FloatUnary, data: &mut [f32], range: SplitRange) -> KernelResult {
    data.map_range(range, |x| op.apply(x))
}

/// A two-input float operator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FloatBinary {
    /// ADD, then the fused activation.
    Add(FloatActivation),
    /// SUB, then the fused activation.
    Sub(FloatActivation),
    /// MUL, then the fused activation.
    Mul(FloatActivation),
    /// DIV, then the fused activation.
    Div(FloatActivation),
    /// MAXIMUM: `a > b ? a : b`.
    Maximum,
    /// MINIMUM: `a < b ? a : b`.
    Minimum,
    /// SQUARED_DIFFERENCE: `(a - b) * (a - b)`.
    SquaredDifference,
    /// FLOOR_DIV: `floor(a / b)`.
    FloorDiv,
    /// PRELU of `a` with slopes `b`: `a >= 0 ? a : a * b`.
    Prelu,
    /// FLOOR_MOD: C's `fmod`, moved into the divisor's sign.
    FloorMod,
}

impl FloatBinary {
    /// The operator's value at `(a, b)`.
    pub fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            Self::Add(activation) => activation.apply(a + b),
            Self::Sub(activation) => activation.apply(a - b),
            Self::Mul(activation) => activation.apply(a * b),
            Self::Div(activation) => activation.apply(a / b),
            Self::Maximum => {
                if a > b {
                    a
                } else {
                    b
                }
            }
            Self::Minimum => {
                if a < b {
                    a
                } else {
                    b
                }
            }
            Self::SquaredDifference => {
                let difference = a - b;
                difference * difference
            }
            Self::FloorDiv => math::floor(a / b),
            Self::Prelu => {
                if a >= 0.0 {
                    a
                } else {
                    a * b
                }
            }
            Self::FloorMod => {
                let remainder = math::fmod(a, b);
                if remainder != 0.0 && ((b < 0.0) != (remainder < 0.0)) {
                    remainder + b
                } else {
                    remainder
                }
            }
        }
    }
}

/// Computes the `range` part of a broadcasting two-input float operator.
#[allow(clippy::too_many_arguments)]
pub fn binary(
    op: FloatBinary,
    input1: &[f32],
    input1_shape: &Shape,
    input2: &[f32],
    input2_shape: &Shape,
    output: &mut [f32],
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
        |a, b| op.apply(a, b),
    )
}

/// [`binary`] with the output written over input 1 (`data`, of the output's shape).
pub fn binary_in_place_first(
    op: FloatBinary,
    data: &mut [f32],
    data_shape: &Shape,
    input2: &[f32],
    input2_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    broadcast_binary_in_place(
        InPlaceOperand::First,
        data,
        data_shape,
        input2,
        input2_shape,
        range,
        |a, b| op.apply(a, b),
    )
}

/// [`binary`] with the output written over input 2 (`data`, of the output's shape).
pub fn binary_in_place_second(
    op: FloatBinary,
    input1: &[f32],
    input1_shape: &Shape,
    data: &mut [f32],
    data_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    broadcast_binary_in_place(
        InPlaceOperand::Second,
        data,
        data_shape,
        input1,
        input1_shape,
        range,
        |a, b| op.apply(a, b),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_in_place_split;

    #[test]
    fn activations_follow_tflm_comparisons() {
        assert_eq!(FloatUnary::Relu.apply(-0.5), 0.0);
        assert_eq!(FloatUnary::Relu.apply(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(FloatUnary::Relu6.apply(7.0), 6.0);
        assert_eq!(FloatUnary::ReluN1To1.apply(-3.0), -1.0);
        assert_eq!(FloatUnary::LeakyRelu(0.2).apply(-1.0), -0.2);
        assert_eq!(FloatUnary::Logistic.apply(20.0), 1.0);
        assert_eq!(FloatUnary::Logistic.apply(0.0), 0.5);
        assert_eq!(FloatUnary::HardSwish.apply(3.0), 3.0);
        assert_eq!(FloatUnary::Round.apply(0.5), 0.0);
        assert_eq!(FloatUnary::Square.apply(-3.0), 9.0);
    }

    #[test]
    fn floor_mod_takes_the_divisor_sign() {
        assert_eq!(FloatBinary::FloorMod.apply(-7.0, 3.0), 2.0);
        assert_eq!(FloatBinary::FloorMod.apply(7.0, -3.0), -2.0);
        assert_eq!(FloatBinary::FloorDiv.apply(-7.0, 2.0), -4.0);
    }

    #[test]
    fn broadcast_add_with_activation() {
        let shape1 = Shape::new(&[2, 2]).unwrap();
        let shape2 = Shape::new(&[1, 2]).unwrap();
        let relu = FloatActivation {
            min: 0.0,
            max: f32::MAX,
        };
        let mut output = [0.0f32; 4];
        binary(
            FloatBinary::Add(relu),
            &[1.0, -2.0, 3.0, -4.0],
            &shape1,
            &[0.5, 1.0],
            &shape2,
            &mut output,
            &shape1,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(output, [1.5, 0.0, 3.5, 0.0]);
        check_in_place_split(&[1.0, -2.0, 3.0, -4.0], &output, |range, data| {
            binary_in_place_first(
                FloatBinary::Add(relu),
                data,
                &shape1,
                &[0.5, 1.0],
                &shape2,
                range,
            )
            .unwrap();
        });
    }

    #[test]
    fn unary_in_place_matches_out_of_place() {
        let input = [-2.0f32, -0.5, 0.0, 0.5, 2.0];
        let mut expected = [0.0f32; 5];
        unary(FloatUnary::Tanh, &input, &mut expected, SplitRange::full(5)).unwrap();
        check_in_place_split(&input, &expected, |range, data| {
            unary_in_place(FloatUnary::Tanh, data, range).unwrap();
        });
    }
}
