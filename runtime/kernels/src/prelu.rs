//! PRELU for INT8 and INT16 inputs with an INT8 alpha broadcast NumPy-style
//! (typically one alpha per channel).
//!
//! Mirrors `reference_ops::BroadcastPrelu4DSlow` (reference/prelu.h) via
//! tensorflow/lite/micro/kernels/prelu.cc and `CalculatePreluParams`
//! (prelu_common.cc): a non-negative `x - zp_in` is rescaled by `s_in / s_out`,
//! a negative one multiplied by `alpha - zp_alpha` and rescaled by
//! `s_in * s_alpha / s_out`. Split axis: flat output elements.

use crate::binary::broadcast_binary;
use crate::element::QuantElement;
use crate::error::KernelResult;
use crate::quant::QuantizedMultiplier;
use crate::shape::Shape;
use crate::split::SplitRange;

/// TFLM `PreluParams`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreluParams {
    /// `input_offset` (minus the input zero point).
    pub input_offset: i32,
    /// `alpha_offset` (minus the alpha zero point).
    pub alpha_offset: i32,
    /// `output_offset` (the output zero point).
    pub output_offset: i32,
    /// `output_multiplier_1` / `output_shift_1`: `s_in / s_out` for `x >= 0`.
    pub identity: QuantizedMultiplier,
    /// `output_multiplier_2` / `output_shift_2`: `s_in * s_alpha / s_out` for `x < 0`.
    pub alpha: QuantizedMultiplier,
}

/// PRELU over the `range` part of the broadcast output.
#[allow(clippy::too_many_arguments)]
pub fn prelu<T: QuantElement>(
    params: &PreluParams,
    input: &[T],
    input_shape: &Shape,
    alpha: &[i8],
    alpha_shape: &Shape,
    output: &mut [T],
    output_shape: &Shape,
    range: SplitRange,
) -> KernelResult {
    broadcast_binary(
        input,
        input_shape,
        alpha,
        alpha_shape,
        output,
        output_shape,
        range,
        |x: T, a: i8| {
            let value = params.input_offset.wrapping_add(x.widen());
            let scaled = if value >= 0 {
                params.identity.apply(value)
            } else {
                let alpha_value = params.alpha_offset.wrapping_add(i32::from(a));
                params.alpha.apply(value.wrapping_mul(alpha_value))
            };
            T::saturate(scaled.wrapping_add(params.output_offset))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::quantize_multiplier;
    use crate::test_util::check_flat_split;

    #[test]
    fn negative_inputs_scale_by_their_channels_alpha() {
        // Input scale 0.1 (zp 0), alpha scale 0.01 (zp 0), output scale 0.1 (zp -10).
        let params = PreluParams {
            input_offset: 0,
            alpha_offset: 0,
            output_offset: -10,
            identity: quantize_multiplier(1.0).unwrap(),
            alpha: quantize_multiplier(0.01).unwrap(),
        };
        let input = [20i8, -20, -100, 5, -50, 127];
        let alpha = [25i8, 50, -100]; // alphas 0.25, 0.5, -1.0 for the three channels
        let got = check_flat_split(6, 0i8, |range, out| {
            prelu(
                &params,
                &input,
                &Shape::new(&[2, 3]).unwrap(),
                &alpha,
                &Shape::new(&[3]).unwrap(),
                out,
                &Shape::new(&[2, 3]).unwrap(),
                range,
            )
            .unwrap()
        });
        // Reals: 2 -> 2; -2 * 0.5 = -1; -10 * -1 = 10; 0.5; -5 * 0.5 = -2.5; 12.7.
        assert_eq!(got, [10, -20, 90, -5, -35, 117]);
    }
}
