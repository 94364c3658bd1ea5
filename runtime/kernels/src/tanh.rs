//! TANH for INT8.
//!
//! Mirrors `reference_integer_ops::Tanh` (reference/integer_ops/tanh.h) with
//! parameters from `CalculateArithmeticOpData` in tensorflow/lite/micro/kernels/
//! tanh.cc (the same input conversion as LOGISTIC). The output is fixed by TFLM to
//! scale 1/128, zero point 0. Split axis: flat elements.

use crate::error::KernelResult;
use crate::fixed_point;
use crate::logistic::{map_fixed_point_input, FixedPointInputParams, INPUT_INTEGER_BITS};
use crate::quant::rounding_divide_by_pot;
use crate::split::SplitRange;
use crate::unary::ElementwiseIo;

/// TANH: `tanh` in gemmlowp fixed point, output in Q0.7.
pub fn tanh(
    params: &FixedPointInputParams,
    input: &[i8],
    output: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    tanh_io(params, (input, output), range)
}

/// [`tanh`] in place over `data` (input and output); only `range` is touched.
pub fn tanh_in_place(
    params: &FixedPointInputParams,
    data: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    tanh_io(params, data, range)
}

fn tanh_io(
    params: &FixedPointInputParams,
    io: impl ElementwiseIo<i8, i8>,
    range: SplitRange,
) -> KernelResult {
    map_fixed_point_input(params, io, range, |q4| {
        let q0 = fixed_point::tanh(q4, INPUT_INTEGER_BITS);
        rounding_divide_by_pot(q0, 31 - 7).clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logistic::tests::prepare;
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    #[test]
    fn matches_real_tanh_within_one_step() {
        let params = prepare(0.03, -2);
        let input: Vec<i8> = (-128..=127).collect();
        let mut out = [0i8; 256];
        tanh(&params, &input, &mut out, SplitRange::full(256)).unwrap();
        for (&x, &y) in input.iter().zip(out.iter()) {
            let expected = ((f64::from(x) + 2.0) * f64::from(0.03f32)).tanh() * 128.0;
            assert!(
                (f64::from(y) - expected).abs() <= 1.0,
                "x = {x}: {y} vs {expected}"
            );
        }
        // tanh(0) = 0 exactly; a large input saturates at 127 (1.0 does not fit Q0.7).
        assert_eq!(out[(-2i32 + 128) as usize], 0);
        assert_eq!(out[255], 127);
    }

    #[test]
    fn split_equals_whole() {
        let input = pseudo_random_i8(50, 71);
        let params = prepare(0.05, 4);
        check_flat_split(50, 0i8, |r, out| tanh(&params, &input, out, r).unwrap());
    }

    #[test]
    fn in_place_equals_out_of_place() {
        let input: Vec<i8> = (-128..=127).collect();
        let params = prepare(0.05, 4);
        let mut expected = vec![0i8; 256];
        tanh(&params, &input, &mut expected, SplitRange::full(256)).unwrap();
        check_in_place_split(&input, &expected, |r, data| {
            tanh_in_place(&params, data, r).unwrap()
        });
    }
}
