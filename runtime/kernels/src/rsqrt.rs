//! RSQRT for INT8.
//!
//! Mirrors `RsqrtEvalQuantized` and `SetRsqrtOutputMultiplier` in
//! tensorflow/lite/micro/kernels/elementwise.cc. Split axis: flat elements.

use crate::error::KernelResult;
use crate::fixed_point::inv_sqrt_quantized_multiplier_exp;
use crate::quant::{multiply_by_quantized_multiplier, QuantizedMultiplier};
use crate::split::SplitRange;
use crate::unary::ElementwiseIo;

/// TFLM `OpDataAbsRsqrt` fields used by INT8 RSQRT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RsqrtParams {
    /// `input_offset` (the input zero point, subtracted).
    pub input_zero_point: i32,
    /// `output_offset` (the output zero point, added).
    pub output_zero_point: i32,
    /// `multiplier` / `shift`:
    /// `QuantizeMultiplier(1.0 / (double)(sqrtf(input_scale) * output_scale))`, the
    /// square root and product in `f32`.
    pub multiplier: QuantizedMultiplier,
}

/// Fixed extra shift TFLM uses to keep `1 / sqrt(x)` an integer (`kShift`).
const EXTRA_SHIFT: i32 = 20;

/// RSQRT. TFLM fails the whole op on an input below the zero point; this kernel
/// does not check, and such inputs take TFLM's `input <= 1` branch of
/// `GetInvSqrtQuantizedMultiplierExp` (the result for `x - zero_point == 1`).
pub fn rsqrt(
    params: &RsqrtParams,
    input: &[i8],
    output: &mut [i8],
    range: SplitRange,
) -> KernelResult {
    rsqrt_io(params, (input, output), range)
}

/// [`rsqrt`] in place over `data` (input and output); only `range` is touched.
pub fn rsqrt_in_place(params: &RsqrtParams, data: &mut [i8], range: SplitRange) -> KernelResult {
    rsqrt_io(params, data, range)
}

fn rsqrt_io(
    params: &RsqrtParams,
    io: impl ElementwiseIo<i8, i8>,
    range: SplitRange,
) -> KernelResult {
    io.map_range(range, |x| {
        let value = i32::from(x).wrapping_sub(params.input_zero_point);
        if value == 0 {
            return i8::MAX;
        }
        let (inv_sqrt_multiplier, inv_sqrt_shift) = inv_sqrt_quantized_multiplier_exp(value);
        let data =
            multiply_by_quantized_multiplier(1, inv_sqrt_multiplier, inv_sqrt_shift + EXTRA_SHIFT);
        let scaled = multiply_by_quantized_multiplier(
            data,
            params.multiplier.multiplier,
            params.multiplier.shift - EXTRA_SHIFT,
        );
        scaled
            .wrapping_add(params.output_zero_point)
            .clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::quantize_multiplier;
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    fn prepare(input_scale: f32, input_zp: i32, output_scale: f32, output_zp: i32) -> RsqrtParams {
        let scale = 1.0 / f64::from(input_scale.sqrt() * output_scale);
        RsqrtParams {
            input_zero_point: input_zp,
            output_zero_point: output_zp,
            multiplier: quantize_multiplier(scale).unwrap(),
        }
    }

    #[test]
    fn perfect_squares_hand_checked() {
        // Input scale 1, output scale 1/64: rsqrt(4) = 0.5 -> 32, rsqrt(16) -> 16,
        // rsqrt(64) -> 8, rsqrt(1) = 1 -> 64; x == zp gives the maximum.
        let params = prepare(1.0, 0, 1.0 / 64.0, 0);
        let mut out = [0i8; 5];
        rsqrt(&params, &[4, 16, 64, 1, 0], &mut out, SplitRange::full(5)).unwrap();
        assert_eq!(out, [32, 16, 8, 64, 127]);
    }

    #[test]
    fn close_to_real_rsqrt() {
        let params = prepare(0.5, -128, 0.01, -100);
        let input: Vec<i8> = (-127..=127).collect();
        let mut out = vec![0i8; input.len()];
        rsqrt(&params, &input, &mut out, SplitRange::full(input.len())).unwrap();
        for (&x, &y) in input.iter().zip(&out) {
            let real = 1.0 / ((f64::from(x) + 128.0) * 0.5).sqrt();
            let expected = (real / 0.01 - 100.0).clamp(-128.0, 127.0);
            assert!(
                (f64::from(y) - expected).abs() <= 1.0,
                "x = {x}: {y} vs {expected}"
            );
        }
    }

    #[test]
    fn split_equals_whole() {
        let input: Vec<i8> = pseudo_random_i8(40, 91)
            .iter()
            .map(|&v| v.max(-120))
            .collect();
        let params = prepare(0.3, -120, 0.02, 5);
        check_flat_split(40, 0i8, |r, out| rsqrt(&params, &input, out, r).unwrap());
    }

    #[test]
    fn in_place_equals_out_of_place() {
        let input: Vec<i8> = pseudo_random_i8(40, 93)
            .iter()
            .map(|&v| v.max(-100))
            .collect();
        let params = prepare(0.2, -100, 0.03, -7);
        let mut expected = vec![0i8; 40];
        rsqrt(&params, &input, &mut expected, SplitRange::full(40)).unwrap();
        check_in_place_split(&input, &expected, |r, data| {
            rsqrt_in_place(&params, data, r).unwrap()
        });
    }
}
