//! Single-precision math without `libm`: what TFLM's float kernels call from the C
//! library (`std::exp`, `std::log`, `std::tanh`, `std::expm1`, `std::sin`, `std::cos`,
//! `std::sqrt`, `std::floor`, `std::ceil`, `std::fmod`), for `no_std` targets.
//!
//! `sqrt`, `floor`, `ceil`, `fmod` and [`round_half_even`] are exact. The
//! transcendentals are evaluated in double precision (error below 2^-52 relative; `sin`
//! and `cos` after an exact reduction by pi/2) and rounded once to `f32`, so they give
//! the correctly rounded result except when the exact value lies within about 2^-52
//! (relative) of the midpoint between two floats; the tests compare with the
//! double-precision functions rounded to float. The C library TFLM calls need not be
//! correctly rounded: glibc's `expf`, `logf`, `sinf` and `cosf` are off by one ULP now
//! and then, its `tanhf` and `expm1f` (fdlibm's) by up to a few, and a
//! microcontroller's newlib differs again; `tinymlc check` reports the largest ULP
//! difference against the TFLM it runs.

/// ln 2, split so that `k * LN2_HI` is exact for `|k| < 2^11` (fdlibm's constants:
/// `LN2_HI` has 32 significant bits, `LN2_LO` the rest).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LN2: f64 = core::f64::consts::LN_2;

/// `e^r - 1` for `|r| <= ln(2)/2 + tiny`: Taylor series to degree 14 (the next term is
/// below 2^-60 of the result), Horner form.
fn expm1_reduced(r: f64) -> f64 {
    let mut sum = 0.0;
    let mut index = 14;
    while index > 0 {
        sum = (sum + 1.0) * r / f64::from(index);
        index -= 1;
    }
    sum
}

/// `2^k` for `|k| <= 1022`.
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `(k, r)` with `x = k ln 2 + r`, `|r| <= ln(2)/2` (nearly), for `|x| <= 300`.
fn reduce_ln2(x: f64) -> (i32, f64) {
    let scaled = x * core::f64::consts::LOG2_E;
    let k = (scaled + if scaled < 0.0 { -0.5 } else { 0.5 }) as i32;
    (k, x - f64::from(k) * LN2_HI - f64::from(k) * LN2_LO)
}

/// `e^x - 1` in double precision for any `x` of `f32` range (saturating far out).
fn expm1_f64(x: f64) -> f64 {
    if x > 300.0 {
        return f64::INFINITY;
    }
    if x < -300.0 {
        return -1.0;
    }
    if (-0.35..=0.35).contains(&x) {
        return expm1_reduced(x);
    }
    let (k, r) = reduce_ln2(x);
    // Both halves of the product are exact enough: e^x >= 1.41 or <= 0.71 here, so
    // subtracting 1 loses at most two bits of the double result.
    (1.0 + expm1_reduced(r)) * pow2(k) - 1.0
}

/// `e^x` in double precision for any `x` of `f32` range.
pub(crate) fn exp_f64(x: f64) -> f64 {
    if x > 300.0 {
        return f64::INFINITY;
    }
    if x < -300.0 {
        return 0.0;
    }
    let (k, r) = reduce_ln2(x);
    (1.0 + expm1_reduced(r)) * pow2(k)
}

/// `expf`.
pub fn exp(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    exp_f64(f64::from(x)) as f32
}

/// `expm1f`.
pub fn expm1(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    expm1_f64(f64::from(x)) as f32
}

/// `tanhf`: `t / (t + 2)` with `t = e^(2|x|) - 1`, sign restored (so `tanh(-0) = -0`).
pub fn tanh(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let magnitude = f64::from(abs(x));
    let result = if magnitude > 20.0 {
        1.0
    } else {
        let t = expm1_f64(2.0 * magnitude);
        (t / (t + 2.0)) as f32
    };
    with_sign_of(result, x)
}

/// `logf`: `e ln 2 + 2 atanh((m - 1) / (m + 1))` with `m` in `[sqrt(1/2), sqrt(2))`.
pub fn log(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f32::NEG_INFINITY;
    }
    if x < 0.0 {
        return invalid(x);
    }
    let mut value = f64::from(x);
    let bits = value.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i32 - 1023;
    // The mantissa with the exponent of 1 (every positive f32 is a normal f64).
    value = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023u64 << 52));
    if value > core::f64::consts::SQRT_2 {
        value *= 0.5;
        exponent += 1;
    }
    // Exact: `value` has at most 24 significant bits.
    let s = (value - 1.0) / (value + 1.0);
    let s2 = s * s;
    let mut series = 0.0;
    let mut odd = 23;
    while odd > 1 {
        series = (series + 1.0 / f64::from(odd)) * s2;
        odd -= 2;
    }
    let log_mantissa = 2.0 * s * (1.0 + series);
    (f64::from(exponent) * LN2 + log_mantissa) as f32
}

/// `sqrtf`, correctly rounded: a double-precision estimate, then the float whose
/// rounding interval holds `x` (the interval ends' squares are exact in double).
pub fn sqrt(x: f32) -> f32 {
    if x.is_nan() || x == 0.0 || x == f32::INFINITY {
        return x;
    }
    if x < 0.0 {
        return invalid(x);
    }
    let target = f64::from(x);
    // Halving the exponent gives an estimate within a factor of 2; Newton doubles the
    // correct bits each step.
    let mut estimate = f64::from_bits((target.to_bits() >> 1) + (1023u64 << 51));
    for _ in 0..6 {
        estimate = 0.5 * (estimate + target / estimate);
    }
    let mut candidate = estimate as f32;
    for _ in 0..4 {
        let below = f32::from_bits(candidate.to_bits() - 1);
        let above = f32::from_bits(candidate.to_bits() + 1);
        let low_end = 0.5 * (f64::from(below) + f64::from(candidate));
        let high_end = 0.5 * (f64::from(candidate) + f64::from(above));
        if target < low_end * low_end {
            candidate = below;
        } else if target > high_end * high_end {
            candidate = above;
        } else {
            break;
        }
    }
    candidate
}

/// The NaN the C library returns for an argument outside a function's domain: that of
/// the invalid operation `0 / 0`, whose bits are the target's (x86's default NaN has the
/// sign bit set, Arm's does not), as glibc's `(x - x) / (x - x)` and `sqrtss` give.
// The subtraction and division of equal operands are the point: they raise "invalid".
#[allow(clippy::eq_op)]
fn invalid(x: f32) -> f32 {
    let zero = x - x;
    zero / zero
}

/// The first 256 bits of 2/pi after the binary point, most significant first (computed
/// with Machin's formula in integers).
const TWO_OVER_PI: [u32; 8] = [
    0xa2f9_836e,
    0x4e44_1529,
    0xfc27_57d1,
    0xf534_ddc0,
    0xdb62_9599,
    0x3c43_9041,
    0xfe51_63ab,
    0xdebb_c561,
];

/// Bits `skip + 1 ..= skip + 96` of 2/pi as an integer (`skip <= 160`).
fn two_over_pi_bits(skip: usize) -> u128 {
    let (word, offset) = (skip / 32, skip % 32);
    let window = (0..4).fold(0u128, |acc, index| {
        let bits = TWO_OVER_PI.get(word + index).copied().unwrap_or(0);
        acc << 32 | u128::from(bits)
    });
    (window << offset) >> 32
}

/// `(quadrant, r)` with `|x| = (quadrant + 4k) pi/2 + r`, `|r| <= pi/4`, for a finite
/// `x`: the exact product of x's significand with the bits of 2/pi that matter
/// (Payne and Hanek's reduction), so huge arguments reduce as exactly as small ones.
fn reduce_half_pi(x: f32) -> (u32, f64) {
    let magnitude = abs(x);
    if magnitude <= core::f32::consts::FRAC_PI_4 {
        return (0, f64::from(magnitude));
    }
    let bits = magnitude.to_bits();
    let significand = u128::from(bits & 0x7f_ffff | 1 << 23);
    let exponent = (bits >> 23) as i32 - 150;
    // Bits of 2/pi worth 4 or more times the significand's unit are whole turns: skipped.
    let skip = (exponent - 2).max(0);
    let product = significand * two_over_pi_bits(skip as usize);
    // product * 2^-shift = |x| * 2/pi modulo 4, `shift` fraction bits.
    let shift = (96 + skip - exponent) as u32;
    let unit = 1u128 << shift;
    let quadrant = (product >> shift) as u32 & 3;
    let fraction = product & (unit - 1);
    let (quadrant, fraction, negative) = if fraction >= unit >> 1 {
        ((quadrant + 1) & 3, unit - fraction, true)
    } else {
        (quadrant, fraction, false)
    };
    let r = fraction as f64 * pow2(-(shift as i32)) * core::f64::consts::FRAC_PI_2;
    (quadrant, if negative { -r } else { r })
}

/// `sin r` and `cos r` for `|r| <= pi/4`: Taylor series to degree 19 / 20.
fn sin_cos_reduced(r: f64) -> (f64, f64) {
    let r2 = r * r;
    let (mut sin, mut cos) = (0.0, 0.0);
    let mut index = 20;
    while index > 0 {
        let n = f64::from(index);
        // Horner in r^2: each step divides by the next two factorial factors.
        cos = 1.0 - cos * r2 / (n * (n - 1.0));
        sin = 1.0 - sin * r2 / ((n + 1.0) * n);
        index -= 2;
    }
    (sin * r, cos)
}

/// `sinf`.
pub fn sin(x: f32) -> f32 {
    if x.is_nan() || abs(x) == f32::INFINITY {
        return invalid(x);
    }
    let (quadrant, r) = reduce_half_pi(x);
    let (s, c) = sin_cos_reduced(r);
    let value = match quadrant {
        0 => s,
        1 => c,
        2 => -s,
        _ => -c,
    };
    let result = value as f32;
    if x < 0.0 || x.to_bits() == 0x8000_0000 {
        -result
    } else {
        result
    }
}

/// `cosf`.
pub fn cos(x: f32) -> f32 {
    if x.is_nan() || abs(x) == f32::INFINITY {
        return invalid(x);
    }
    let (quadrant, r) = reduce_half_pi(x);
    let (s, c) = sin_cos_reduced(r);
    let value = match quadrant {
        0 => c,
        1 => -s,
        2 => -c,
        _ => s,
    };
    value as f32
}

/// `fmodf`, exact: `x - trunc(x / y) * y` with the sign of `x`, from the integer
/// significands (a float `%` would be a libm call on targets without one).
pub fn fmod(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() || abs(x) == f32::INFINITY || y == 0.0 {
        return invalid(x * y);
    }
    if abs(x) < abs(y) || abs(y) == f32::INFINITY {
        return x;
    }
    // |v| = significand * 2^exponent, significand < 2^24.
    let split = |v: f32| {
        let bits = v.to_bits() & 0x7fff_ffff;
        let (field, fraction) = ((bits >> 23) as i32, u64::from(bits & 0x7f_ffff));
        if field == 0 {
            (fraction, -149)
        } else {
            (fraction | 1 << 23, field - 150)
        }
    };
    let (mut remainder, x_exponent) = split(x);
    let (divisor, y_exponent) = split(y);
    // y != 0 (above), so its significand is too; `max(1)` tells the optimizer.
    let divisor = divisor.max(1);
    // |x| >= |y|, so x's exponent is at least y's once both are written this way.
    let mut excess = x_exponent - y_exponent;
    remainder %= divisor;
    while excess > 0 {
        let step = excess.min(32);
        remainder = (remainder << step) % divisor;
        excess -= step;
    }
    // Exact: the remainder is below 2^24 and a multiple of y's exponent's unit.
    let magnitude = (remainder as f64 * pow2(y_exponent)) as f32;
    with_sign_of(magnitude, x)
}

/// `fabsf`.
pub fn abs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7fff_ffff)
}

/// `result` with the sign bit of `sign`.
fn with_sign_of(result: f32, sign: f32) -> f32 {
    f32::from_bits((result.to_bits() & 0x7fff_ffff) | (sign.to_bits() & 0x8000_0000))
}

/// Floats of magnitude 2^23 and above are integers.
const INTEGRAL: f32 = 8_388_608.0;

/// `floorf` (`floor(-0) = -0`).
pub fn floor(x: f32) -> f32 {
    to_integer(x, -1.0)
}

/// `ceilf` (`ceil(-0.5) = -0`).
pub fn ceil(x: f32) -> f32 {
    to_integer(x, 1.0)
}

/// `x` rounded to an integer towards `direction` (-1: floor, 1: ceil); a zero result
/// keeps `x`'s sign, as the C library's.
fn to_integer(x: f32, direction: f32) -> f32 {
    if x.is_nan() || abs(x) >= INTEGRAL {
        return x;
    }
    let truncated = x as i32 as f32;
    // Truncation went the wrong way exactly when it moved `x` against `direction`.
    let result = if (truncated - x) * direction < 0.0 {
        truncated + direction
    } else {
        truncated
    };
    if result == 0.0 {
        with_sign_of(result, x)
    } else {
        result
    }
}

/// TFLM's `RoundToNearest`: halves go to the even neighbour, computed from `floor`
/// as TFLM does (so `round(-0.3)` is `+0`: `-1 + 1`).
pub fn round_half_even(x: f32) -> f32 {
    let floor_value = floor(x);
    let difference = x - floor_value;
    // `floor_value` is below 2^23 in magnitude whenever the difference is 0.5.
    if difference < 0.5 || (difference == 0.5 && (floor_value as i32) % 2 == 0) {
        floor_value
    } else {
        floor_value + 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ULPs between `ours` and the double-precision `reference` rounded to float.
    fn ulps(reference: f64, ours: f32) -> u32 {
        let expected = reference as f32;
        if expected == ours {
            0
        } else {
            expected.to_bits().abs_diff(ours.to_bits())
        }
    }

    #[test]
    fn exp_matches_std_on_a_sweep() {
        let mut worst = 0u32;
        let mut x = -104.0f32;
        while x < 89.0 {
            let expected = f64::from(x).exp() as f32;
            worst = worst.max(expected.to_bits().abs_diff(exp(x).to_bits()));
            x += 0.013_7;
        }
        assert_eq!(worst, 0, "largest ULP difference");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(100.0), f32::INFINITY);
        assert_eq!(exp(-200.0), 0.0);
    }

    #[test]
    fn log_tanh_expm1_match_std_on_a_sweep() {
        let mut worst = 0u32;
        let mut x = 1.0e-6f32;
        while x < 1.0e6 {
            worst = worst.max(ulps(f64::from(x).ln(), log(x)));
            x *= 1.0137;
        }
        let mut y = -12.0f32;
        while y < 12.0 {
            worst = worst.max(ulps(f64::from(y).tanh(), tanh(y)));
            worst = worst.max(ulps(f64::from(y).exp_m1(), expm1(y)));
            y += 0.0031;
        }
        assert_eq!(worst, 0, "largest ULP difference");
        assert_eq!(log(1.0), 0.0);
        assert_eq!(log(0.0), f32::NEG_INFINITY);
        assert!(log(-1.0).is_nan());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn sqrt_is_correctly_rounded() {
        let mut bits = 1u32;
        while bits < 0x7f80_0000 {
            let x = f32::from_bits(bits);
            assert_eq!(sqrt(x).to_bits(), x.sqrt().to_bits(), "sqrt({x})");
            bits += 0x3_1f1;
        }
        assert_eq!(sqrt(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(sqrt(-1.0).is_nan());
    }

    #[test]
    fn sin_cos_match_double_precision_on_a_sweep() {
        let mut worst = 0u32;
        let mut x = 1.0e-7f32;
        while x < 3.0e38 {
            for value in [x, -x] {
                worst = worst.max(ulps(f64::from(value).sin(), sin(value)));
                worst = worst.max(ulps(f64::from(value).cos(), cos(value)));
            }
            x *= 1.0173;
        }
        let mut y = -20.0f32;
        while y < 20.0 {
            worst = worst.max(ulps(f64::from(y).sin(), sin(y)));
            worst = worst.max(ulps(f64::from(y).cos(), cos(y)));
            y += 0.000_37;
        }
        assert_eq!(worst, 0, "largest ULP difference");
        assert_eq!(sin(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(sin(f32::INFINITY).is_nan());
    }

    #[test]
    fn fmod_matches_the_float_remainder() {
        let values = [
            7.5f32,
            -7.5,
            0.3,
            -0.3,
            1.0e-40,
            -3.0e-39,
            1.0e30,
            123.456,
            1.0,
            0.1,
            16_777_217.0,
        ];
        for &x in &values {
            for &y in &values {
                assert_eq!(fmod(x, y).to_bits(), (x % y).to_bits(), "fmod({x}, {y})");
            }
            assert_eq!(fmod(x, f32::INFINITY), x);
            assert!(fmod(x, 0.0).is_nan());
        }
    }

    #[test]
    fn rounding_functions_match_std() {
        for x in [
            -2.5f32, -1.5, -0.5, -0.3, -0.0, 0.0, 0.3, 0.5, 1.5, 2.5, 7.7, -7.7, 1.0e9,
        ] {
            assert_eq!(floor(x).to_bits(), x.floor().to_bits(), "floor({x})");
            assert_eq!(ceil(x).to_bits(), x.ceil().to_bits(), "ceil({x})");
        }
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(3.5), 4.0);
        assert_eq!(round_half_even(-2.5), -2.0);
        assert_eq!(round_half_even(-0.3).to_bits(), 0.0f32.to_bits());
    }
}
