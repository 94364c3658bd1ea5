//! GELU for INT8 through a 256-entry lookup table.
//!
//! TFLM at the mirrored revision has no GELU kernel; TFLite's
//! (tensorflow/lite/kernels/gelu.cc) builds a table in Prepare with
//! `LUTPopulate<int8_t>` (tensorflow/lite/kernels/internal/common.h) over
//! `GeluTransform` / `GeluTransformApproximate`
//! (tensorflow/lite/kernels/internal/reference/gelu.h) and looks every input up.
//! The kernel takes that table as a parameter; [`populate_lut_int8`] builds it exactly
//! as `LUTPopulateInt8` does from any transform. The transform itself needs `erf` or
//! `tanh`, which `core` lacks: the compiler should evaluate it with the same libm
//! TFLite uses (see README).
//!
//! Split axis: flat elements.

use crate::error::KernelResult;
use crate::lookup::{lookup_int8, lookup_int8_in_place};
use crate::quant::round_half_away_f32;
use crate::split::SplitRange;

/// Looks every input of `range` up in `lut`, indexed by the input's bit pattern as
/// `u8` (TFLM `LUTLookup`: `lut[(uint8_t)value]`).
pub fn gelu(lut: &[i8; 256], input: &[i8], output: &mut [i8], range: SplitRange) -> KernelResult {
    lookup_int8(lut, input, output, range)
}

/// [`gelu`] in place over `data` (input and output); only `range` is touched.
pub fn gelu_in_place(lut: &[i8; 256], data: &mut [i8], range: SplitRange) -> KernelResult {
    lookup_int8_in_place(lut, data, range)
}

/// TFLM `LUTPopulateInt8`: entry `(u8)v` for every `v` in `-128..=127` is
/// `clamp((int32)(roundf(transform(s_in * (v - zp_in)) * (1 / s_out)) + zp_out))`,
/// every operation in `f32`.
pub fn populate_lut_int8(
    input_scale: f32,
    input_zero_point: i32,
    output_scale: f32,
    output_zero_point: i32,
    transform: impl Fn(f32) -> f32,
) -> [i8; 256] {
    let inverse_scale = 1.0 / output_scale;
    let mut lut = [0i8; 256];
    for value in i8::MIN..=i8::MAX {
        let dequantized = input_scale * (i32::from(value) - input_zero_point) as f32;
        let rescaled = round_half_away_f32(transform(dequantized) * inverse_scale);
        let quantized = (rescaled + output_zero_point as f32) as i32;
        lut[usize::from(value as u8)] =
            quantized.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8;
    }
    lut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, check_in_place_split, pseudo_random_i8};

    #[test]
    fn lut_hand_checked_with_identity_and_clamping() {
        // Identity transform, s_in = 0.5, zp_in = 2, s_out = 0.25, zp_out = -1:
        // v -> round((v - 2) * 2) - 1 = 2v - 5, clamped.
        let lut = populate_lut_int8(0.5, 2, 0.25, -1, |x| x);
        assert_eq!(lut[usize::from(10u8)], 15);
        assert_eq!(lut[usize::from((-3i8) as u8)], -11);
        assert_eq!(lut[usize::from(100u8)], 127);
        assert_eq!(lut[usize::from((-100i8) as u8)], -128);
    }

    #[test]
    fn lut_rounds_half_away_from_zero() {
        // s_in = 1, s_out = 2: v / 2 rounds 3 -> 2, -3 -> -2, 1 -> 1, -1 -> -1.
        let lut = populate_lut_int8(1.0, 0, 2.0, 0, |x| x);
        let at = |v: i8| lut[usize::from(v as u8)];
        assert_eq!([at(3), at(-3), at(1), at(-1)], [2, -2, 1, -1]);
    }

    #[test]
    fn lookup_indexes_by_bit_pattern() {
        let lut: [i8; 256] = core::array::from_fn(|i| (i as u8) as i8);
        let mut out = [0i8; 3];
        gelu(&lut, &[-128, -1, 5], &mut out, SplitRange::full(3)).unwrap();
        assert_eq!(out, [-128, -1, 5]);
    }

    #[test]
    fn split_equals_whole() {
        let lut = populate_lut_int8(0.05, 3, 0.04, -7, |x| if x > 0.0 { x } else { 0.1 * x });
        let input = pseudo_random_i8(45, 101);
        check_flat_split(45, 0i8, |r, out| gelu(&lut, &input, out, r).unwrap());
    }

    #[test]
    fn in_place_equals_out_of_place() {
        let lut = populate_lut_int8(0.05, 3, 0.04, -7, |x| if x > 0.0 { x } else { 0.1 * x });
        let input = pseudo_random_i8(45, 103);
        let mut expected = vec![0i8; 45];
        gelu(&lut, &input, &mut expected, SplitRange::full(45)).unwrap();
        check_in_place_split(&input, &expected, |r, data| {
            gelu_in_place(&lut, data, r).unwrap()
        });
    }
}
