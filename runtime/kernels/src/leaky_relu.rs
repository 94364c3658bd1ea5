//! LEAKY_RELU for INT8 and INT16.
//!
//! Mirrors `reference_ops::QuantizeLeakyRelu` (reference/leaky_relu.h) with
//! parameters from `CalculateOpDataLeakyRelu`
//! (tensorflow/lite/micro/kernels/leaky_relu_common.cc). Split axis: flat elements.

use crate::element::QuantElement;
use crate::error::KernelResult;
use crate::quant::{QuantizedMultiplier, Rescale};
use crate::split::SplitRange;
use crate::unary::ElementwiseIo;

/// TFLM `LeakyReluOpData`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeakyReluParams {
    /// `input_zero_point` (subtracted from the input).
    pub input_zero_point: i32,
    /// `output_zero_point`.
    pub output_zero_point: i32,
    /// `output_multiplier_alpha` / `output_shift_alpha`:
    /// `QuantizeMultiplier((double)(s_in * alpha / s_out))` with the product and
    /// quotient in `f32`. Negative for negative `alpha`.
    pub alpha: QuantizedMultiplier,
    /// `output_multiplier_identity` / `output_shift_identity`:
    /// `QuantizeMultiplier((double)(s_in / s_out))`, quotient in `f32`.
    pub identity: QuantizedMultiplier,
}

/// LEAKY_RELU: non-negative inputs use the identity multiplier, negative ones the
/// alpha multiplier (applied with its magnitude, then negated if alpha < 0).
pub fn leaky_relu<T: QuantElement>(
    params: &LeakyReluParams,
    input: &[T],
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    leaky_relu_io(params, |m| m, (input, output), range)
}

/// [`leaky_relu`] in place over `data` (input and output); only `range` is touched.
pub fn leaky_relu_in_place<T: QuantElement>(
    params: &LeakyReluParams,
    data: &mut [T],
    range: SplitRange,
) -> KernelResult {
    leaky_relu_io(params, |m| m, data, range)
}

/// The kernel body, with both multipliers turned into `M` by `rescaler` once (the
/// reference keeps them as they are; the optimized kernel prepares them).
pub(crate) fn leaky_relu_io<T: QuantElement, M: Rescale>(
    params: &LeakyReluParams,
    rescaler: impl Fn(QuantizedMultiplier) -> M,
    io: impl ElementwiseIo<T, T>,
    range: SplitRange,
) -> KernelResult {
    let alpha_is_negative = params.alpha.multiplier < 0;
    let alpha_magnitude = rescaler(QuantizedMultiplier {
        multiplier: params.alpha.multiplier.wrapping_abs(),
        shift: params.alpha.shift,
    });
    let identity = rescaler(params.identity);
    io.map_range(range, |x| {
        let value = x.widen().wrapping_sub(params.input_zero_point);
        let scaled = if value >= 0 {
            identity.rescale(value)
        } else {
            let magnitude = alpha_magnitude.rescale(value);
            if alpha_is_negative {
                magnitude.wrapping_neg()
            } else {
                magnitude
            }
        };
        T::saturate(scaled.wrapping_add(params.output_zero_point))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    #[test]
    fn positive_and_negative_alpha() {
        // identity 1.0, alpha 0.25 ((2^30, -1)), zp_in 2, zp_out -1.
        let params = LeakyReluParams {
            input_zero_point: 2,
            output_zero_point: -1,
            alpha: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -1,
            },
            identity: QuantizedMultiplier::ONE,
        };
        let mut out = [0i8; 4];
        leaky_relu(&params, &[12, 2, -6, -128], &mut out, SplitRange::full(4)).unwrap();
        // 10 -> 9 ; 0 -> -1 ; -8 -> -2 -> -3 ; -130 -> -65 (exact high mul) then
        // -65 / 2 = -32.5 in RoundingDivideByPOT, ties away from zero -> -33 -> -34.
        assert_eq!(out, [9, -1, -3, -34]);
        // alpha = -0.25: the magnitude is applied and negated: -8 -> +2 -> 1.
        let negative = LeakyReluParams {
            alpha: QuantizedMultiplier {
                multiplier: -(1 << 30),
                shift: -1,
            },
            ..params
        };
        leaky_relu(&negative, &[-6i8], &mut out[..1], SplitRange::full(1)).unwrap();
        assert_eq!(out[0], 1);
    }

    #[test]
    fn split_equals_whole() {
        let input = pseudo_random_i8(33, 41);
        let params = LeakyReluParams {
            input_zero_point: -4,
            output_zero_point: 7,
            alpha: QuantizedMultiplier {
                multiplier: 1_288_490_189,
                shift: -3,
            },
            identity: QuantizedMultiplier {
                multiplier: 1_900_000_000,
                shift: 0,
            },
        };
        check_flat_split(33, 0i8, |r, out| {
            leaky_relu(&params, &input, out, r).unwrap()
        });
    }

    #[test]
    fn in_place_equals_out_of_place() {
        let input = pseudo_random_i8(33, 43);
        let params = LeakyReluParams {
            input_zero_point: 3,
            output_zero_point: -5,
            alpha: QuantizedMultiplier {
                multiplier: -1_288_490_189,
                shift: -2,
            },
            identity: QuantizedMultiplier {
                multiplier: 1_700_000_000,
                shift: 1,
            },
        };
        let mut expected = vec![0i8; 33];
        leaky_relu(&params, &input, &mut expected, SplitRange::full(33)).unwrap();
        check_in_place_split(&input, &expected, |r, data| {
            leaky_relu_in_place(&params, data, r).unwrap()
        });
    }
}
