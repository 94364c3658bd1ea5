//! QUANTIZE (float -> INT8/INT16 and integer requantization) and DEQUANTIZE.
//!
//! Mirrors `reference_ops::AffineQuantize` (reference/quantize.h),
//! `reference_ops::Requantize` (reference/requantize.h) and
//! `reference_ops::Dequantize` (reference/dequantize.h) as dispatched by
//! tensorflow/lite/micro/kernels/quantize_common.cc and dequantize.cc.
//!
//! Split axis: flat elements ([`SplitRange`]).

use crate::element::QuantElement;
use crate::error::KernelResult;
use crate::quant::{round_half_away_f32, QuantizedMultiplier};
use crate::split::SplitRange;
use crate::unary::{map_range, ElementwiseIo};

/// Float -> quantized: `clamp((int32)roundf(x / scale) + zero_point)`, all in `f32`.
///
/// `scale`/`zero_point` are the output tensor's. Out-of-range quotients convert
/// saturating (what ARM's `VCVT` and Rust's `as` do) and the zero point is added with
/// wrap-around, as C++ `int32_t` addition behaves on TFLM targets.
pub fn quantize_f32<T: QuantElement>(
    input: &[f32],
    scale: f32,
    zero_point: i32,
    output: &mut [T],
    range: SplitRange,
) -> KernelResult {
    map_range(input, output, range, |x| {
        T::saturate((round_half_away_f32(x / scale) as i32).wrapping_add(zero_point))
    })
}

/// TFLM `OpDataQuantizeReference` fields used by integer -> integer QUANTIZE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequantizeParams {
    /// `input_zero_point`.
    pub input_zero_point: i32,
    /// `quantization_params.zero_point` (the output zero point).
    pub output_zero_point: i32,
    /// `requantize_output_multiplier` / `requantize_output_shift`:
    /// `QuantizeMultiplier(input_scale / output_scale)` in `f64`.
    pub multiplier: QuantizedMultiplier,
}

/// Integer -> integer QUANTIZE (INT8/INT16 -> INT8/INT16/INT32, INT32 -> INT8/INT16):
/// `clamp(MultiplyByQuantizedMultiplier(x - input_zp) + output_zp)`.
pub fn requantize<I: QuantElement, O: QuantElement>(
    params: &RequantizeParams,
    input: &[I],
    output: &mut [O],
    range: SplitRange,
) -> KernelResult {
    requantize_io(params, (input, output), range)
}

/// [`requantize`] in place, input and output of the same type `T` (the INT8 ->
/// INT8 requantize of QUANTIZE): `data` is both; only `range` is touched.
pub fn requantize_in_place<T: QuantElement>(
    params: &RequantizeParams,
    data: &mut [T],
    range: SplitRange,
) -> KernelResult {
    requantize_io(params, data, range)
}

fn requantize_io<I: QuantElement, O: QuantElement>(
    params: &RequantizeParams,
    io: impl ElementwiseIo<I, O>,
    range: SplitRange,
) -> KernelResult {
    io.map_range(range, |x| {
        O::saturate(
            params
                .multiplier
                .apply(x.widen().wrapping_sub(params.input_zero_point))
                .wrapping_add(params.output_zero_point),
        )
    })
}

/// DEQUANTIZE: `(float)((double)scale * (x - zero_point))`, the product in `f64`
/// exactly as TFLM (its `DequantizationParams::scale` is a `double`).
pub fn dequantize<T: QuantElement>(
    input: &[T],
    scale: f32,
    zero_point: i32,
    output: &mut [f32],
    range: SplitRange,
) -> KernelResult {
    map_range(input, output, range, |x| {
        (f64::from(scale) * f64::from(x.widen().wrapping_sub(zero_point))) as f32
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KernelError;
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    #[test]
    fn quantize_rounds_half_away_and_saturates() {
        let mut out = [0i8; 6];
        quantize_f32(
            &[0.25, -0.25, 0.74, 100.0, -100.0, f32::NAN],
            0.5,
            1,
            &mut out,
            SplitRange::full(6),
        )
        .unwrap();
        // 0.5 -> 1 -> 2 ; -0.5 -> -1 -> 0 ; 1.48 -> 1 -> 2 ; 200 -> 127 ; -200 -> -128 ;
        // NaN converts to 0 -> 1.
        assert_eq!(out, [2, 0, 2, 127, -128, 1]);
        let mut wide = [0i16; 2];
        quantize_f32(&[1000.0, -1e9], 0.01, 0, &mut wide, SplitRange::full(2)).unwrap();
        assert_eq!(wide, [32767, -32768]);
    }

    #[test]
    fn requantize_int8_to_int8_and_int16() {
        // Scale ratio 0.5 (2^30, 0): (x - 4) * 0.5 - 3.
        let params = RequantizeParams {
            input_zero_point: 4,
            output_zero_point: -3,
            multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: 0,
            },
        };
        let mut out = [0i8; 3];
        requantize(&params, &[10i8, 1, -128], &mut out, SplitRange::full(3)).unwrap();
        // 6 -> 3 -> 0 ; -3 -> -1.5 -> -1 (ties up) -> -4 ; -132 -> -66 -> -69.
        assert_eq!(out, [0, -4, -69]);
        // Ratio 256 = 2^30 * 2^9 / 2^31: int8 -> int16 widening.
        let widen = RequantizeParams {
            input_zero_point: 0,
            output_zero_point: 0,
            multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: 9,
            },
        };
        let mut wide = [0i16; 2];
        requantize(&widen, &[127i8, -128], &mut wide, SplitRange::full(2)).unwrap();
        assert_eq!(wide, [32512, -32768]);
    }

    #[test]
    fn requantize_int16_to_int32_and_back() {
        // Ratio 2^8 (2^30 with shift 9; the input is shifted left by 9 first, which
        // wraps, as in TFLM, for shifts that push int16 values past 31 bits).
        let widen = RequantizeParams {
            input_zero_point: 0,
            output_zero_point: 5,
            multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: 9,
            },
        };
        let mut wide = [0i32; 2];
        requantize(
            &widen,
            &[i16::MAX, i16::MIN],
            &mut wide,
            SplitRange::full(2),
        )
        .unwrap();
        assert_eq!(wide, [(32767 << 8) + 5, (-32768 << 8) + 5]);
        // Back at 2^-8 (shift -7): int32 values beyond int16 saturate.
        let narrow = RequantizeParams {
            input_zero_point: 5,
            output_zero_point: 0,
            multiplier: QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -7,
            },
        };
        let mut out = [0i16; 3];
        let input = [wide[0], wide[1], i32::MAX];
        requantize(&narrow, &input, &mut out, SplitRange::full(3)).unwrap();
        assert_eq!(out, [i16::MAX, i16::MIN, i16::MAX]);
    }

    #[test]
    fn dequantize_uses_double_product() {
        let mut out = [0f32; 2];
        dequantize(&[5i8, -128], 0.1, -3, &mut out, SplitRange::full(2)).unwrap();
        assert_eq!(out[0], (f64::from(0.1f32) * 8.0) as f32);
        assert_eq!(out[1], (f64::from(0.1f32) * -125.0) as f32);
    }

    #[test]
    fn length_mismatch_is_rejected() {
        let mut out = [0f32; 1];
        assert_eq!(
            dequantize(&[1i8, 2], 1.0, 0, &mut out, SplitRange::full(1)),
            Err(KernelError::ShapeMismatch)
        );
    }

    #[test]
    fn split_equals_whole() {
        let input: Vec<f32> = pseudo_random_i8(37, 21)
            .iter()
            .map(|&v| f32::from(v) * 0.37)
            .collect();
        check_flat_split(37, 0i8, |r, out| {
            quantize_f32(&input, 0.2, 3, out, r).unwrap()
        });
        let ints = pseudo_random_i8(37, 22);
        let params = RequantizeParams {
            input_zero_point: 2,
            output_zero_point: -1,
            multiplier: QuantizedMultiplier {
                multiplier: 1_500_000_000,
                shift: 1,
            },
        };
        check_flat_split(37, 0i8, |r, out| {
            requantize(&params, &ints, out, r).unwrap()
        });
        check_flat_split(37, 0f32, |r, out| {
            dequantize(&ints, 0.3, 1, out, r).unwrap()
        });
    }

    #[test]
    fn requantize_in_place_equals_out_of_place() {
        let input = pseudo_random_i8(37, 23);
        let params = RequantizeParams {
            input_zero_point: -6,
            output_zero_point: 9,
            multiplier: QuantizedMultiplier {
                multiplier: 1_700_000_000,
                shift: -1,
            },
        };
        let mut expected = vec![0i8; 37];
        requantize(&params, &input, &mut expected, SplitRange::full(37)).unwrap();
        check_in_place_split(&input, &expected, |r, data| {
            requantize_in_place(&params, data, r).unwrap()
        });
    }
}
