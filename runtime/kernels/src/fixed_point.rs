//! The parts of gemmlowp's `fixedpoint.h` that TFLM's integer SOFTMAX, LOGISTIC,
//! TANH and RSQRT use, on raw `i32` values.
//!
//! gemmlowp encodes the integer-bit count of a `FixedPoint<int32_t, N>` in its type;
//! here it is an explicit argument where a function needs it. A raw value `r` with
//! `N` integer bits represents `r / 2^(31 - N)`. Additions wrap, as gemmlowp's plain
//! `int32_t` additions do on every TFLM target.

use crate::quant::{rounding_divide_by_pot, saturating_rounding_doubling_high_mul_fast};

/// Fixed-point product: the result has the sum of the operands' integer bits.
#[inline]
pub fn mul(a: i32, b: i32) -> i32 {
    saturating_rounding_doubling_high_mul_fast(a, b)
}

/// gemmlowp `SaturatingRoundingMultiplyByPOT` (and TFLM's
/// `SaturatingRoundingMultiplyByPOTParam`): `x * 2^exponent`, saturating left shifts
/// and rounding right shifts.
pub fn saturating_rounding_multiply_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent > 0 {
        let threshold = (1i32 << (31 - exponent.min(31))) - 1;
        if x > threshold {
            i32::MAX
        } else if x < -threshold {
            i32::MIN
        } else {
            x << exponent
        }
    } else {
        rounding_divide_by_pot(x, -exponent)
    }
}

/// gemmlowp `Rescale`: re-expresses a value with `from_bits` integer bits using
/// `to_bits` integer bits.
pub fn rescale(x: i32, from_bits: i32, to_bits: i32) -> i32 {
    saturating_rounding_multiply_by_pot(x, from_bits - to_bits)
}

/// gemmlowp `RoundingHalfSum`: `(a + b) / 2` rounded away from zero.
pub fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = i64::from(a) + i64::from(b);
    let sign = if sum >= 0 { 1 } else { -1 };
    ((sum + sign) / 2) as i32
}

/// Raw value of 1.0 with zero integer bits (saturated: `i32::MAX`).
const ONE_Q0: i32 = i32::MAX;

/// gemmlowp `exp_on_interval_between_negative_one_quarter_and_0_excl` (Q0 in, Q0 out).
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const EXP_MINUS_ONE_EIGHTH: i32 = 1_895_147_668;
    const ONE_THIRD: i32 = 715_827_883;
    let x = a.wrapping_add(1 << 28);
    let x2 = mul(x, x);
    let x3 = mul(x2, x);
    let x4 = mul(x2, x2);
    let x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2);
    let polynomial = saturating_rounding_multiply_by_pot(
        mul(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2),
        -1,
    );
    EXP_MINUS_ONE_EIGHTH.wrapping_add(mul(EXP_MINUS_ONE_EIGHTH, x.wrapping_add(polynomial)))
}

/// gemmlowp `exp_on_negative_values`: `exp(a)` for `a <= 0` with `integer_bits`
/// integer bits, result in Q0.
pub fn exp_on_negative_values(a: i32, integer_bits: i32) -> i32 {
    // (exponent of the power of two, exp(-2^exponent) in Q0)
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    let fractional_bits = 31 - integer_bits;
    let one_quarter = 1i32 << (fractional_bits - 2);
    let a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)).wrapping_sub(one_quarter);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(rescale(
        a_mod_quarter_minus_one_quarter,
        integer_bits,
        0,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    for (exponent, multiplier) in BARREL {
        if integer_bits > exponent && remainder & (1 << (fractional_bits + exponent)) != 0 {
            result = mul(result, multiplier);
        }
    }
    if integer_bits > 5 && a < -(1 << (36 - integer_bits)) {
        result = 0;
    }
    if a == 0 {
        ONE_Q0
    } else {
        result
    }
}

/// Newton-Raphson core shared by the two gemmlowp reciprocal helpers: returns
/// `x ~= 1 / half_denominator` in Q2.
fn reciprocal_of_half_denominator_q2(half_denominator: i32) -> i32 {
    const FORTY_EIGHT_OVER_SEVENTEEN: i32 = 1_515_870_810;
    const MINUS_THIRTY_TWO_OVER_SEVENTEEN: i32 = -1_010_580_540;
    const ONE_Q2: i32 = 1 << 29;
    let mut x = FORTY_EIGHT_OVER_SEVENTEEN
        .wrapping_add(mul(half_denominator, MINUS_THIRTY_TWO_OVER_SEVENTEEN));
    for _ in 0..3 {
        let one_minus_half_denominator_times_x = ONE_Q2.wrapping_sub(mul(half_denominator, x));
        x = x.wrapping_add(rescale(mul(x, one_minus_half_denominator_times_x), 4, 2));
    }
    x
}

/// gemmlowp `one_over_one_plus_x_for_x_in_0_1` (Q0 in, Q0 out).
pub fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    let x = reciprocal_of_half_denominator_q2(rounding_half_sum(a, ONE_Q0));
    // ExactMulByPot<-1> turns Q2 into Q1 without touching the raw value.
    rescale(x, 1, 0)
}

/// gemmlowp `one_minus_x_over_one_plus_x_for_x_in_0_1` (Q0 in, Q0 out).
fn one_minus_x_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    let x = reciprocal_of_half_denominator_q2(rounding_half_sum(a, ONE_Q0));
    rescale(x.wrapping_sub(1 << 29), 2, 0)
}

/// gemmlowp `tanh` of a value with `integer_bits` integer bits, result in Q0.
pub fn tanh(a: i32, integer_bits: i32) -> i32 {
    if a == 0 {
        return 0;
    }
    let negative = a < 0;
    let minus_abs = if negative { a } else { a.wrapping_neg() };
    // ExactMulByPot<1>: the same raw value read with one more integer bit is 2a.
    let t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(
        minus_abs,
        integer_bits + 1,
    ));
    if negative {
        t.wrapping_neg()
    } else {
        t
    }
}

/// gemmlowp `logistic` of a value with `integer_bits` integer bits, result in Q0.
pub fn logistic(a: i32, integer_bits: i32) -> i32 {
    if a == 0 {
        return 1 << 30;
    }
    let positive = a > 0;
    let abs = if positive { a } else { a.wrapping_neg() };
    let result_if_positive =
        one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(abs.wrapping_neg(), integer_bits));
    if positive {
        result_if_positive
    } else {
        ONE_Q0.wrapping_sub(result_if_positive)
    }
}

/// TFLM `GetReciprocal` (common.h): for `x` with `x_integer_digits` integer bits,
/// returns `(1 / x` scaled into Q0, `num_bits_over_unit)`.
pub fn get_reciprocal(x: i32, x_integer_digits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros();
    let num_bits_over_unit = x_integer_digits - headroom_plus_one as i32;
    let shifted_sum_minus_one = (x as u32)
        .checked_shl(headroom_plus_one)
        .unwrap_or(0)
        .wrapping_sub(1 << 31) as i32;
    (
        one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one),
        num_bits_over_unit,
    )
}

/// TFLM `GetInvSqrtQuantizedMultiplierExp` (common.h) with `reverse_shift = -1`
/// (`kReverseShift`, as RSQRT uses it): `1 / sqrt(input)` as `(multiplier, shift)`,
/// shift positive = left.
pub fn inv_sqrt_quantized_multiplier_exp(input: i32) -> (i32, i32) {
    if input <= 1 {
        return (i32::MAX, 0);
    }
    let mut input = input;
    let mut shift: i32 = 11;
    while input >= 1 << 29 {
        input /= 4;
        shift += 1;
    }
    let max_left_shift_bits = (input as u32).leading_zeros() - 1;
    let left_shift_bit_pairs = max_left_shift_bits / 2 - 1;
    shift -= left_shift_bit_pairs as i32;
    input <<= 2 * left_shift_bit_pairs;

    // Newton-Raphson for 1/sqrt in Q3 (three integer bits).
    const ONE_Q3: i32 = 1 << 28;
    const THREE_HALVES_Q3: i32 = (1 << 28) + (1 << 27);
    const HALF_SQRT_2_Q0: i32 = 1_518_500_250;
    let half_input = saturating_rounding_multiply_by_pot(input >> 1, -1);
    let mut x = ONE_Q3;
    for _ in 0..5 {
        let x3 = rescale(mul(mul(x, x), x), 9, 3);
        x = rescale(
            mul(THREE_HALVES_Q3, x).wrapping_sub(mul(half_input, x3)),
            6,
            3,
        );
    }
    let mut multiplier = mul(x, HALF_SQRT_2_Q0);
    if shift < 0 {
        multiplier <<= -shift;
        shift = 0;
    }
    (multiplier, -shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_real(raw: i32, integer_bits: i32) -> f64 {
        f64::from(raw) / f64::from(1u32 << (31 - integer_bits) as u32)
    }

    #[test]
    fn multiply_by_pot_saturates_and_rounds() {
        assert_eq!(saturating_rounding_multiply_by_pot(1 << 29, 1), 1 << 30);
        assert_eq!(saturating_rounding_multiply_by_pot(1 << 30, 1), i32::MAX);
        assert_eq!(saturating_rounding_multiply_by_pot(-(1 << 30), 1), i32::MIN);
        assert_eq!(
            saturating_rounding_multiply_by_pot(-(1 << 30) - 1, 1),
            i32::MIN
        );
        assert_eq!(saturating_rounding_multiply_by_pot(-5, -1), -3);
    }

    #[test]
    fn rounding_half_sum_rounds_away_from_zero() {
        assert_eq!(rounding_half_sum(1, 2), 2);
        assert_eq!(rounding_half_sum(-1, -2), -2);
        assert_eq!(rounding_half_sum(i32::MAX, i32::MAX), i32::MAX);
    }

    #[test]
    fn exp_is_close_to_real_exp_and_exact_at_zero() {
        assert_eq!(exp_on_negative_values(0, 5), i32::MAX);
        // Known gemmlowp anchors: exp(-1/4) and exp(-1) hit the barrel constants.
        for (value, expected) in [
            (-0.25f64, 0.778_800_783),
            (-1.0, 0.367_879_441),
            (-3.0, 0.049_787_068),
        ] {
            let raw = (value * f64::from(1 << 26)) as i32;
            let got = to_real(exp_on_negative_values(raw, 5), 0);
            assert!((got - expected).abs() < 1e-6, "exp({value}) = {got}");
        }
        // Below -32 gemmlowp flushes to zero only for more than 5 integer bits.
        assert_eq!(exp_on_negative_values(i32::MIN, 6), 0);
    }

    #[test]
    fn reciprocal_matches_real_value() {
        // 1 / (1 + 0.5) = 2/3.
        let got = to_real(one_over_one_plus_x_for_x_in_0_1(1 << 30), 0);
        assert!((got - 2.0 / 3.0).abs() < 1e-8, "{got}");
        // 3.0 = 1.5 * 2^1: one bit over unit, and 1 / 1.5 = 2/3.
        let (scale, bits) = get_reciprocal(3 << 19, 12);
        assert_eq!(bits, 1);
        assert!((to_real(scale, 0) - 2.0 / 3.0).abs() < 1e-8);
    }

    #[test]
    fn tanh_and_logistic_are_odd_and_symmetric() {
        for raw in [1, 1000, 1 << 20, 1 << 26, 1 << 28, i32::MAX] {
            assert_eq!(tanh(-raw, 4), tanh(raw, 4).wrapping_neg());
            let sum = i64::from(logistic(raw, 4)) + i64::from(logistic(-raw, 4));
            assert_eq!(sum, i64::from(i32::MAX));
        }
        assert_eq!(tanh(0, 4), 0);
        assert_eq!(logistic(0, 4), 1 << 30);
        let one_q4 = 1 << 27;
        assert!((to_real(tanh(one_q4, 4), 0) - 0.761_594_156).abs() < 1e-6);
        assert!((to_real(logistic(one_q4, 4), 0) - 0.731_058_579).abs() < 1e-6);
    }

    #[test]
    fn inv_sqrt_matches_real_value() {
        assert_eq!(inv_sqrt_quantized_multiplier_exp(1), (i32::MAX, 0));
        for input in [2, 4, 100, 12345, 1 << 29, i32::MAX] {
            let (multiplier, shift) = inv_sqrt_quantized_multiplier_exp(input);
            let real = f64::from(multiplier) / f64::from(1u32 << 31) * 2f64.powi(shift);
            let expected = 1.0 / f64::from(input).sqrt();
            assert!(
                (real / expected - 1.0).abs() < 1e-5,
                "{input}: {real} vs {expected}"
            );
        }
    }
}
