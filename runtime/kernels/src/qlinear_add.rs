//! QLinearAdd as onnxruntime computes it on x86-64 with AVX2 and FMA (MLAS
//! `MlasQLinearAddKernelAvx2Helper`), for `tinymlc --onnx_exact`.
//!
//! On the operands' stored integers `a` and `b` (uint8 or int8 as the model stores them),
//! with `ratio_a = s_a / s_c`, `ratio_b = s_b / s_c` and
//! `fixed = zp_c - fma(ratio_a, zp_a, ratio_b * zp_b)`, all float32:
//! `fma(a, ratio_a, fma(b, ratio_b, fixed))`, rounded half to even and saturated. When one
//! operand is a single value per innermost run of the broadcast (onnxruntime's scalar
//! spans), it is folded into `fixed` first, unfused: `fma(a, ratio_a, fixed + b * ratio_b)`.
//! Other hosts' onnxruntime computes QLinearAdd differently (SSE2: the same without
//! fusing; ARM: 22-bit fixed point).
//!
//! The fused multiply-adds are exact emulations in `f64` ([`fused_multiply_add`]), so
//! every core, with or without an FPU, gets the same bits.
//!
//! Split axis: flat output elements ([`SplitRange`]).

use crate::binary::broadcast_binary;
use crate::error::KernelResult;
use crate::requantize_float::round_half_even_clamped;
use crate::shape::Shape;
use crate::split::SplitRange;

/// Which operand onnxruntime folds into the fixed part (a single value per run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarOperand {
    /// Neither: both operands vary along the innermost run.
    Neither,
    /// Input 1 (`a`).
    First,
    /// Input 2 (`b`).
    Second,
}

/// The float32 constants onnxruntime derives from the scales and zero points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QLinearAddParams {
    /// `s_a / s_c`.
    pub ratio_a: f32,
    /// `s_b / s_c`.
    pub ratio_b: f32,
    /// `zp_c - fma(ratio_a, zp_a, ratio_b * zp_b)`.
    pub fixed: f32,
    /// Added to an int8 operand to give the value the model stores (128 for uint8).
    pub stored_offset: i32,
    /// Added to the rounded result to give the int8 output (-128 for uint8).
    pub output_offset: i32,
    /// Which operand is folded into `fixed`.
    pub scalar: ScalarOperand,
}

/// `a * b + c` rounded once to `f32` (IEEE fusedMultiplyAdd) without `libm`: the product
/// of two `f32` is exact in `f64`; the `f64` sum is made round-to-odd (its error found by
/// Knuth's TwoSum), which the final `f64` -> `f32` conversion then rounds correctly
/// (53 >= 2 * 24 + 2 bits).
pub fn fused_multiply_add(a: f32, b: f32, c: f32) -> f32 {
    let product = f64::from(a) * f64::from(b);
    let addend = f64::from(c);
    let sum = product + addend;
    let virtual_addend = sum - product;
    let error = (product - (sum - virtual_addend)) + (addend - virtual_addend);
    if error == 0.0 {
        return sum as f32;
    }
    if sum == 0.0 {
        // The exact value is `error` itself.
        return error as f32;
    }
    let bits = sum.to_bits();
    if bits & 1 == 1 {
        return sum as f32;
    }
    // `sum` and its neighbour towards the exact value bracket it; take the odd one.
    let away_from_zero = (error > 0.0) == (sum > 0.0);
    let odd = if away_from_zero {
        bits.wrapping_add(1)
    } else {
        bits.wrapping_sub(1)
    };
    f64::from_bits(odd) as f32
}

#[inline(always)]
fn add_element(p: &QLinearAddParams, a: i8, b: i8) -> i8 {
    let a = i32::from(a).wrapping_add(p.stored_offset) as f32;
    let b = i32::from(b).wrapping_add(p.stored_offset) as f32;
    let sum = match p.scalar {
        ScalarOperand::Neither => {
            fused_multiply_add(a, p.ratio_a, fused_multiply_add(b, p.ratio_b, p.fixed))
        }
        ScalarOperand::First => fused_multiply_add(b, p.ratio_b, p.fixed + a * p.ratio_a),
        ScalarOperand::Second => fused_multiply_add(a, p.ratio_a, p.fixed + b * p.ratio_b),
    };
    // Saturating to the stored type, then moving to int8, saturates to int8.
    round_half_even_clamped(sum)
        .saturating_add(p.output_offset)
        .clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
}

/// QLinearAdd over the `range` part of the broadcast output.
#[allow(clippy::too_many_arguments)]
pub fn qlinear_add(
    params: &QLinearAddParams,
    input1: &[i8],
    input1_shape: &Shape,
    input2: &[i8],
    input2_shape: &Shape,
    output: &mut [i8],
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
        |a: i8, b: i8| add_element(params, a, b),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_multiply_add_rounds_once() {
        // 1 + 2^-24 is no f32; times (1 - 2^-24) it is 1 - 2^-48: unfused, the product
        // rounds to 1 and 1 - 1 = 0; fused, the exact -2^-48 survives.
        let a = 1.0 + f32::EPSILON;
        let b = 1.0 - f32::EPSILON / 2.0;
        assert_eq!(a * b - 1.0, 0.0);
        assert_eq!(
            fused_multiply_add(a, b, -1.0),
            f32::EPSILON / 2.0 - f32::EPSILON * f32::EPSILON / 2.0
        );
        assert_eq!(fused_multiply_add(3.0, 0.5, 0.25), 1.75);
        assert_eq!(fused_multiply_add(0.0, 1.0, -0.0), 0.0);
        // (1 + 2^-12)^2 + 2^-80 is just above a tie at f32 precision: a plain f64 sum loses
        // the 2^-80 and rounds the tie to even; once rounded it goes up.
        let near_tie = 1.0 + 1.0 / 4096.0;
        let tiny = f32::from_bits(0x1780_0000); // 2^-80
        assert_eq!(
            fused_multiply_add(near_tie, near_tie, tiny),
            1.0 + 1.0 / 2048.0 + f32::EPSILON
        );
        assert_eq!(
            (f64::from(near_tie) * f64::from(near_tie) + f64::from(tiny)) as f32,
            1.0 + 1.0 / 2048.0
        );
        // Just above a tie at f32 precision: rounds up.
        let tie_breaker = fused_multiply_add(
            1.0 + 2.0 * f32::EPSILON,
            1.0,
            f32::EPSILON / 2.0 * (1.0 + f32::EPSILON),
        );
        assert_eq!(tie_breaker, 1.0 + 3.0 * f32::EPSILON);
    }

    #[test]
    fn adds_like_onnxruntime_on_uint8() {
        // s_a = s_b = s_c: ratios 1, zero points 128 (uint8) -> fixed = 128 - 256 = -128.
        let params = QLinearAddParams {
            ratio_a: 1.0,
            ratio_b: 1.0,
            fixed: -128.0,
            stored_offset: 128,
            output_offset: -128,
            scalar: ScalarOperand::Neither,
        };
        let shape = Shape::new(&[4]).unwrap();
        let a = [0i8, 10, 100, -100];
        let b = [0i8, -3, 100, -100];
        let mut output = [0i8; 4];
        qlinear_add(
            &params,
            &a,
            &shape,
            &b,
            &shape,
            &mut output,
            &shape,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(output, [0, 7, 127, -128]);
    }

    #[test]
    fn a_scalar_operand_is_folded_unfused() {
        let params = QLinearAddParams {
            ratio_a: 0.5,
            ratio_b: 0.25,
            fixed: 1.0,
            stored_offset: 0,
            output_offset: 0,
            scalar: ScalarOperand::Second,
        };
        let a = [1i8, 2, 3];
        let mut output = [0i8; 3];
        let a_shape = Shape::new(&[3]).unwrap();
        let b_shape = Shape::new(&[1]).unwrap();
        qlinear_add(
            &params,
            &a,
            &a_shape,
            &[2],
            &b_shape,
            &mut output,
            &a_shape,
            SplitRange::full(3),
        )
        .unwrap();
        // 0.5 * a + 1.5: 2.0, 2.5 -> 2, 3.0.
        assert_eq!(output, [2, 2, 3]);
    }
}
