//! Fixed-point requantization primitives shared by all kernels.
//!
//! These follow TFLM as built by default, i.e. *without* `TFLITE_SINGLE_ROUNDING`:
//! `MultiplyByQuantizedMultiplier` is gemmlowp's `SaturatingRoundingDoublingHighMul`
//! followed by `RoundingDivideByPOT` (tensorflow/lite/kernels/internal/common.cc).
//! Where C++ relies on two's-complement wrap-around (formally undefined behaviour,
//! but what every TFLM target does) these functions wrap explicitly.

/// A real multiplier `m` encoded as `multiplier * 2^shift / 2^31`, TFLM's
/// `(quantized_multiplier, shift)` pair. `shift > 0` means a left shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantizedMultiplier {
    /// Q0.31 significand, in `[2^30, 2^31)` for positive multipliers (0 for zero).
    pub multiplier: i32,
    /// Power-of-two exponent; positive = left shift (TFLM's `output_shift` convention).
    pub shift: i32,
}

impl QuantizedMultiplier {
    /// The exact multiplier 1.0 (`QuantizeMultiplier(1.0)` = `(2^30, 1)`).
    pub const ONE: Self = Self {
        multiplier: 1 << 30,
        shift: 1,
    };

    /// Applies the multiplier to `x` (TFLM `MultiplyByQuantizedMultiplier`).
    #[inline]
    pub fn apply(self, x: i32) -> i32 {
        multiply_by_quantized_multiplier(x, self.multiplier, self.shift)
    }
}

/// gemmlowp `SaturatingRoundingDoublingHighMul`: `round(a * b / 2^31)` with ties away
/// from zero, saturating the single overflow case `i32::MIN * i32::MIN`.
#[inline]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let product = i64::from(a) * i64::from(b);
    let nudge: i64 = if product >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // `/` truncates toward zero exactly like C++; the quotient always fits in i32.
    ((product + nudge) / (1i64 << 31)) as i32
}

/// [`saturating_rounding_doubling_high_mul`] as one add and shift: the nudge of
/// `2^30` (non-negative product) or `1 - 2^30` (negative) followed by a truncating
/// division is `floor((product + 2^30) / 2^31)` either way. Tested equal.
#[inline(always)]
pub fn saturating_rounding_doubling_high_mul_fast(a: i32, b: i32) -> i32 {
    let product = i64::from(a) * i64::from(b);
    // Only `i32::MIN * i32::MIN` saturates: its quotient 2^31 narrows to `i32::MIN`,
    // which no other product reaches (the most negative, `i32::MIN * i32::MAX`,
    // gives `i32::MIN + 1`). Testing the narrowed quotient is one compare where
    // testing the 64-bit product needs a second multiply.
    let high = ((product + (1 << 30)) >> 31) as i32;
    if high == i32::MIN {
        i32::MAX
    } else {
        high
    }
}

/// gemmlowp `RoundingDivideByPOT`: `x / 2^exponent` rounded to nearest, ties away
/// from zero. `exponent` must be in `0..=31` (TFLM asserts this); values outside are
/// clamped so the shift can never be out of range.
#[inline]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    debug_assert!((0..=31).contains(&exponent), "exponent {exponent}");
    let exponent = exponent.clamp(0, 31);
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// TFLM `MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift)`
/// (double rounding). Also equals TFLM's `...SmallerThanOneExp` (for `shift <= 0`)
/// and `...GreaterThanOne` (for `shift >= 0`) variants, which is why those have no
/// separate function here.
#[inline]
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left_shift = shift.clamp(0, 31) as u32;
    let right_shift = if shift > 0 { 0 } else { -shift };
    // C++ computes `x * (1 << left_shift)` in int, which wraps on every TFLM target.
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x.wrapping_shl(left_shift), multiplier),
        right_shift,
    )
}

/// TFLM `MultiplyByQuantizedMultiplier(int64_t x, int32_t multiplier, int shift)`
/// (double-rounding build), which 16x8 kernels with 64-bit accumulators use: the
/// multiplier is first rounded to Q0.15, then `x * m15` is shifted right by
/// `15 - shift` with rounding half up. TFLM asserts `|x| < 2^47` and a result
/// within `i32`; outside that, this wraps (as C++ does on TFLM targets) instead of
/// panicking, and the shift is clamped to the representable `1..=63`.
#[inline]
pub fn multiply_by_quantized_multiplier_i64(x: i64, multiplier: i32, shift: i32) -> i32 {
    let reduced_multiplier = if multiplier < 0x7FFF_0000 {
        (multiplier + (1 << 15)) >> 16
    } else {
        0x7FFF
    };
    let total_shift = (15i32.saturating_sub(shift)).clamp(1, 63) as u32;
    let round = 1i64 << (total_shift - 1);
    (x.wrapping_mul(i64::from(reduced_multiplier))
        .wrapping_add(round)
        >> total_shift) as i32
}

/// [`multiply_by_quantized_multiplier`] with its shift decoded once, for kernels that
/// apply one multiplier to many values: the per-call clamps and masks of the
/// reference become constants, and the high multiply folds into one add and shift.
///
/// Equal to the reference for every input (see the tests): gemmlowp's
/// `SaturatingRoundingDoublingHighMul` nudges by `2^30` for a non-negative product
/// and by `1 - 2^30` for a negative one, then divides truncating; both cases are
/// `floor((product + 2^30) / 2^31)`. `RoundingDivideByPOT` is gemmlowp's own
/// 32-bit formula with its mask and threshold decoded once (no 64-bit shift by a
/// variable amount, which costs a dozen instructions on a 32-bit core).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requantizer {
    multiplier: i32,
    left_shift: u32,
    right_shift: u32,
    /// `2^right_shift - 1`: the bits the right shift drops.
    mask: i32,
    /// `mask >> 1`: dropped bits above it round up (one more for a negative value).
    threshold: i32,
}

impl Requantizer {
    /// Decodes `m` the way [`multiply_by_quantized_multiplier`] does per call.
    #[inline]
    pub fn new(m: QuantizedMultiplier) -> Self {
        // As the reference: no right shift for a left shift, else `-shift` clamped.
        let right_shift = if m.shift > 0 {
            0
        } else {
            m.shift.wrapping_neg().clamp(0, 31)
        } as u32;
        Self {
            multiplier: m.multiplier,
            left_shift: m.shift.clamp(0, 31) as u32,
            right_shift,
            mask: ((1u32 << right_shift) - 1) as i32,
            threshold: ((1u32 << right_shift) - 1) as i32 >> 1,
        }
    }

    /// `MultiplyByQuantizedMultiplier(x, multiplier, shift)`.
    #[inline(always)]
    pub fn apply(&self, x: i32) -> i32 {
        let high = saturating_rounding_doubling_high_mul_fast(
            x.wrapping_shl(self.left_shift),
            self.multiplier,
        );
        self.rounding_divide(high)
    }

    /// gemmlowp's `RoundingDivideByPOT(high, right_shift)`.
    #[inline(always)]
    fn rounding_divide(&self, high: i32) -> i32 {
        let threshold = self.threshold + i32::from(high < 0);
        (high >> self.right_shift) + i32::from(high & self.mask > threshold)
    }
}

/// [`multiply_by_quantized_multiplier`] plus an output offset as one 64-bit
/// multiply-add and one shift of its high word (four instructions on Armv7E-M: a
/// shift for the sign, SUBS/SBC, SMLAL, ASR), for a non-negative multiplier with a
/// right shift `e` of 1 to 20 (every CONV_2D and DEPTHWISE_CONV_2D channel of the
/// benchmark models) and an offset within `[-256, 256]`.
///
/// gemmlowp's two roundings are one: the high multiply is `h = floor((x*m + 2^30) /
/// 2^31)` and `RoundingDivideByPOT(h, e)` is `floor((h + 2^(e-1) - [h < 0]) / 2^e)`,
/// so (nested floors of integer quotients) the result plus the offset is
/// `floor((x*m + 2^30 + 2^(30+e) + offset*2^(31+e) - 2^31*[h < 0]) / 2^(31+e))`. With
/// `m >= 0`, `[h < 0]` may be read as `[x < 0]`: they differ only where `h` is 0,
/// whose quotient is 0 with either. The bounds keep the sum within `i64` (`|x*m| <
/// 2^62`, the constant below `2^60`) and the result within `i32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetRequantizer {
    multiplier: i32,
    /// `2^30 + 2^(30+e) + offset * 2^(31+e)`.
    rounding: i64,
    /// `e - 1`: the shift of the high word (`2^(31+e)` is `2^32 * 2^(e-1)`).
    high_shift: u32,
}

impl OffsetRequantizer {
    /// `None` outside the multipliers and offsets described above.
    pub fn new(m: QuantizedMultiplier, offset: i32) -> Option<Self> {
        let right_shift = u32::try_from(m.shift.checked_neg()?).ok()?;
        if m.multiplier < 0 || !(1..=20).contains(&right_shift) || !(-256..=256).contains(&offset) {
            return None;
        }
        Some(Self {
            multiplier: m.multiplier,
            // `2^30 * (1 + (1 + 2 * offset) * 2^e)`: the factor fits an `i32` (at most
            // `513 * 2^20 + 1`), so only the constant shift is 64 bits wide.
            rounding: i64::from(1 + ((1 + 2 * offset) << right_shift)) << 30,
            high_shift: right_shift - 1,
        })
    }

    /// `MultiplyByQuantizedMultiplier(x, multiplier, shift) + offset`.
    #[inline(always)]
    pub fn apply(&self, x: i32) -> i32 {
        let rounding = self.rounding - (i64::from(x < 0) << 31);
        let sum = i64::from(x) * i64::from(self.multiplier) + rounding;
        ((sum >> 32) as i32) >> self.high_shift
    }
}

/// Applies a quantized multiplier: [`QuantizedMultiplier`] as the reference does per
/// call, or a [`Requantizer`] prepared once. Kernel formulas written against this
/// trait serve the reference and the optimized kernels alike.
pub(crate) trait Rescale: Copy {
    /// `MultiplyByQuantizedMultiplier(x, multiplier, shift)`.
    fn rescale(&self, x: i32) -> i32;
}

impl Rescale for QuantizedMultiplier {
    #[inline]
    fn rescale(&self, x: i32) -> i32 {
        self.apply(x)
    }
}

impl Rescale for Requantizer {
    #[inline(always)]
    fn rescale(&self, x: i32) -> i32 {
        self.apply(x)
    }
}

/// gemmlowp `SaturatingRoundingDoublingHighMul` for `int16_t`.
pub fn saturating_rounding_doubling_high_mul_i16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    let product = i32::from(a) * i32::from(b);
    let nudge: i32 = if product >= 0 { 1 << 14 } else { 1 - (1 << 14) };
    ((product + nudge) / (1 << 15)) as i16
}

/// gemmlowp `RoundingDivideByPOT` instantiated for `int16_t`, including its quirk that
/// the mask `(1 << exponent) - 1` is truncated to 16 bits.
pub fn rounding_divide_by_pot_i16(x: i16, exponent: i32) -> i16 {
    debug_assert!((0..=31).contains(&exponent), "exponent {exponent}");
    let exponent = exponent.clamp(0, 31);
    let mask = ((1i64 << exponent) - 1) as i16;
    let remainder = x & mask;
    let threshold = (i32::from(mask) >> 1) + i32::from(x < 0);
    // C++ promotes to int, adds, and narrows back to int16_t.
    ((i32::from(x) >> exponent) + i32::from(i32::from(remainder) > threshold)) as i16
}

/// TFLM `DownScaleInt32ToInt16Multiplier`: rounds a Q0.31 multiplier to Q0.15.
pub fn down_scale_int32_to_int16_multiplier(multiplier: i32) -> i16 {
    const ROUNDING_OFFSET: i32 = 1 << 15;
    if multiplier >= i32::MAX - ROUNDING_OFFSET {
        return i16::MAX;
    }
    ((multiplier + ROUNDING_OFFSET) >> 16) as i16
}

/// TFLM `QuantizeMultiplier` (tensorflow/lite/kernels/internal/quantization_util.cc),
/// for use by host-side tooling and tests; kernels receive its results precomputed.
///
/// `frexp` splits `real` into `q * 2^shift` with `|q|` in `[0.5, 1)`;
/// `multiplier = round(q * 2^31)` (ties away from zero); a multiplier of exactly
/// `2^31` becomes `2^30` with `shift + 1`; a shift below -31 flushes to `(0, 0)`.
/// Returns `None` for NaN or infinity, which TFLM never feeds it.
pub fn quantize_multiplier(real: f64) -> Option<QuantizedMultiplier> {
    if !real.is_finite() {
        return None;
    }
    if real == 0.0 {
        return Some(QuantizedMultiplier {
            multiplier: 0,
            shift: 0,
        });
    }
    let (fraction, mut shift) = frexp(real);
    let mut fixed = round_half_away_f64(fraction * (1i64 << 31) as f64) as i64;
    if fixed == 1 << 31 {
        fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        shift = 0;
        fixed = 0;
    }
    Some(QuantizedMultiplier {
        multiplier: fixed as i32,
        shift,
    })
}

/// C `frexp`: `x = fraction * 2^exponent` with `|fraction|` in `[0.5, 1)`
/// (`(x, 0)` for zero). `x` must be finite.
pub fn frexp(x: f64) -> (f64, i32) {
    const EXPONENT_MASK: u64 = 0x7ff << 52;
    let bits = x.to_bits();
    let biased = ((bits & EXPONENT_MASK) >> 52) as i32;
    if biased == 0 {
        if x == 0.0 {
            return (x, 0);
        }
        // Subnormal: scale into the normal range first.
        let (fraction, exponent) = frexp(x * (1u64 << 54) as f64);
        return (fraction, exponent - 54);
    }
    let fraction = f64::from_bits((bits & !EXPONENT_MASK) | (1022u64 << 52));
    (fraction, biased - 1022)
}

/// C `round`/`roundf` (ties away from zero), which `core` does not provide.
/// `$exact_from` is the magnitude from which every value of `$float` is an integer
/// (this also passes NaN and infinities through); below it the value fits `$int`.
macro_rules! round_half_away {
    ($(#[$doc:meta])* $name:ident, $float:ty, $int:ty, $exact_from:expr) => {
        $(#[$doc])*
        pub fn $name(x: $float) -> $float {
            if !(x.abs_below($exact_from)) {
                return x;
            }
            let truncated = x as $int as $float;
            // Exact: x and its integer part share their high bits.
            let fraction = x - truncated;
            // Without branches: on real data they mispredict half the time.
            let up = <$float>::from(u8::from(fraction >= 0.5));
            let down = <$float>::from(u8::from(fraction <= -0.5));
            truncated + up - down
        }
    };
}

round_half_away!(
    /// C `round` for `f64` (ties away from zero).
    round_half_away_f64,
    f64,
    i64,
    4_503_599_627_370_496.0
);

round_half_away!(
    /// C `roundf` for `f32` (ties away from zero).
    round_half_away_f32,
    f32,
    i32,
    8_388_608.0
);

trait AbsBelow {
    fn abs_below(self, limit: Self) -> bool;
}

impl AbsBelow for f64 {
    fn abs_below(self, limit: f64) -> bool {
        self < limit && self > -limit
    }
}

impl AbsBelow for f32 {
    fn abs_below(self, limit: f32) -> bool {
        self < limit && self > -limit
    }
}

/// A fused activation function of a TFLite builtin op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FusedActivation {
    /// `kTfLiteActNone`.
    None,
    /// `kTfLiteActRelu`: clamp below at 0.
    Relu,
    /// `kTfLiteActReluN1To1`: clamp to `[-1, 1]`.
    ReluN1To1,
    /// `kTfLiteActRelu6`: clamp to `[0, 6]`.
    Relu6,
}

/// The quantized clamp range `[min, max]` applied to an op's output
/// (TFLM `quantized_activation_min/max`, `output_activation_min/max`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivationRange {
    /// Lower bound, applied first.
    pub min: i32,
    /// Upper bound, applied second.
    pub max: i32,
}

impl ActivationRange {
    /// The full range of `T`: no activation.
    pub const fn full<T: crate::QuantElement>() -> Self {
        Self {
            min: T::MIN,
            max: T::MAX,
        }
    }

    /// `min(max(x, min), max)` in TFLM's order, so `min > max` yields `max`.
    #[inline]
    pub fn apply(self, x: i32) -> i32 {
        x.max(self.min).min(self.max)
    }
}

/// TFLM `CalculateActivationRangeQuantized` (tensorflow/lite/kernels/kernel_util.cc)
/// for an output of range `[type_min, type_max]` (e.g. `-128, 127` for int8).
///
/// Each bound is `zero_point + (int)roundf(value / scale)` computed in `f32`; the
/// result is intersected with the type's range. Returns `None` where TFLM fails
/// (`roundf(value / scale)` outside the `i32` range).
pub fn calculate_activation_range_quantized(
    activation: FusedActivation,
    output_scale: f32,
    output_zero_point: i32,
    type_min: i32,
    type_max: i32,
) -> Option<ActivationRange> {
    let quantize = |value: f32| -> Option<i32> {
        let rounded = round_half_away_f32(value / output_scale);
        if rounded >= i32::MIN as f32 && rounded <= i32::MAX as f32 {
            Some(output_zero_point.wrapping_add(rounded as i32))
        } else {
            None
        }
    };
    let (min, max) = match activation {
        FusedActivation::None => (type_min, type_max),
        FusedActivation::Relu => (type_min.max(quantize(0.0)?), type_max),
        FusedActivation::Relu6 => (type_min.max(quantize(0.0)?), type_max.min(quantize(6.0)?)),
        FusedActivation::ReluN1To1 => (type_min.max(quantize(-1.0)?), type_max.min(quantize(1.0)?)),
    };
    Some(ActivationRange { min, max })
}

/// Per-output-channel requantization multipliers, as TFLM's
/// `per_channel_output_multiplier` / `per_channel_output_shift` arrays.
///
/// Slices of length 1 apply to every channel (per-tensor quantization, TFLM's
/// `output_multiplier` / `output_shift`); otherwise both slices have one entry per
/// output channel. Shifts use TFLM's convention: positive = left shift.
#[derive(Clone, Copy, Debug)]
pub struct ChannelMultipliers<'a> {
    /// Q0.31 significands.
    pub multipliers: &'a [i32],
    /// Exponents, positive = left shift.
    pub shifts: &'a [i32],
}

impl ChannelMultipliers<'_> {
    /// Checks the slices against the number of output channels.
    pub(crate) fn check(&self, channels: usize) -> Result<(), crate::KernelError> {
        let len = self.multipliers.len();
        if len == self.shifts.len() && (len == 1 || len == channels) {
            Ok(())
        } else {
            Err(crate::KernelError::ShapeMismatch)
        }
    }

    /// The multiplier of `channel`.
    #[inline]
    pub(crate) fn get(&self, channel: usize) -> QuantizedMultiplier {
        let index = if self.multipliers.len() == 1 {
            0
        } else {
            channel
        };
        // `check` bounded `index`; `get` keeps the kernels free of panic paths.
        QuantizedMultiplier {
            multiplier: self.multipliers.get(index).copied().unwrap_or(0),
            shift: self.shifts.get(index).copied().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiply_by_quantized_multiplier_i64_rounds_half_up() {
        // 0.5 = (2^30, 0): reduced to 2^14, shifted right by 15.
        assert_eq!(multiply_by_quantized_multiplier_i64(1000, 1 << 30, 0), 500);
        assert_eq!(multiply_by_quantized_multiplier_i64(3, 1 << 30, 0), 2);
        assert_eq!(multiply_by_quantized_multiplier_i64(-3, 1 << 30, 0), -1);
        // Multipliers at the top saturate to 0x7FFF; shift 7 leaves a shift of 8.
        assert_eq!(
            multiply_by_quantized_multiplier_i64(256, i32::MAX, 7),
            0x7FFF
        );
        // Out-of-contract inputs wrap rather than panic.
        let _ = multiply_by_quantized_multiplier_i64(i64::MAX, i32::MAX, -40);
        let _ = multiply_by_quantized_multiplier_i64(i64::MIN, 0, 40);
    }

    /// The `i32` edge cases, then `count` seeded random values of every magnitude (not
    /// only huge ones).
    fn edge_and_random_values(seed: u64, count: usize) -> Vec<i32> {
        let mut values = vec![
            0,
            1,
            -1,
            2,
            -2,
            i32::MAX,
            i32::MIN,
            i32::MIN + 1,
            1 << 30,
            -(1 << 30),
        ];
        let mut state = seed;
        for _ in 0..count {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            values.push(((state >> 32) as i32) >> (state % 32));
        }
        values
    }

    #[test]
    fn doubling_high_mul_rounds_ties_up() {
        // The negative nudge is 1 - 2^30, not -2^30, so after truncation toward zero
        // exact negative halves round toward +infinity: 1.5 -> 2 but -1.5 -> -1.
        assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
        assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
        // 0.5 -> 1 ; -0.5 -> 0.
        assert_eq!(saturating_rounding_doubling_high_mul(1, 1 << 30), 1);
        assert_eq!(saturating_rounding_doubling_high_mul(-1, 1 << 30), 0);
        // Non-ties round to nearest: -1.75 (-7 * 2^29 / 2^31) -> -2.
        assert_eq!(saturating_rounding_doubling_high_mul(-7, 1 << 29), -2);
        // 0.25 rounds to 0 either side.
        assert_eq!(saturating_rounding_doubling_high_mul(1, 1 << 29), 0);
        assert_eq!(saturating_rounding_doubling_high_mul(-1, 1 << 29), 0);
    }

    #[test]
    fn doubling_high_mul_saturates_only_min_times_min() {
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
            i32::MAX
        );
        // MIN * MAX / 2^31 = -(2^31 - 1) exactly.
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MAX),
            -i32::MAX
        );
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MAX, i32::MAX),
            i32::MAX - 1
        );
    }

    #[test]
    fn rounding_divide_by_pot_ties_away_from_zero() {
        assert_eq!(rounding_divide_by_pot(5, 1), 3); // 2.5
        assert_eq!(rounding_divide_by_pot(-5, 1), -3); // -2.5
        assert_eq!(rounding_divide_by_pot(-6, 2), -2); // -1.5
        assert_eq!(rounding_divide_by_pot(-5, 2), -1); // -1.25
        assert_eq!(rounding_divide_by_pot(-7, 2), -2); // -1.75
        assert_eq!(rounding_divide_by_pot(7, 0), 7);
        assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
        assert_eq!(rounding_divide_by_pot(i32::MAX, 31), 1);
    }

    #[test]
    fn multiply_by_quantized_multiplier_examples() {
        // 0.75 = 3 * 2^29 / 2^31, shift 0: 10 * 0.75 = 7.5 -> 8.
        assert_eq!(multiply_by_quantized_multiplier(10, 3 << 29, 0), 8);
        // -7.5 is a tie and rounds up to -7 (see the doubling-high-mul test).
        assert_eq!(multiply_by_quantized_multiplier(-10, 3 << 29, 0), -7);
        // 0.75 * 2^-2 = 0.1875: 10 -> 1.875 -> double rounding gives 8/4 = 2.
        assert_eq!(multiply_by_quantized_multiplier(10, 3 << 29, -2), 2);
        // Left shift: 0.75 * 2^3 = 6.
        assert_eq!(multiply_by_quantized_multiplier(-7, 3 << 29, 3), -42);
        // The left shift wraps like C++ int arithmetic on TFLM targets.
        assert_eq!(
            multiply_by_quantized_multiplier(1 << 30, 1 << 30, 2),
            saturating_rounding_doubling_high_mul(0, 1 << 30)
        );
    }

    #[test]
    fn fast_doubling_high_mul_equals_reference() {
        let values = edge_and_random_values(0x0bad_cafe, 300);
        for &a in &values {
            for &b in &values {
                assert_eq!(
                    saturating_rounding_doubling_high_mul_fast(a, b),
                    saturating_rounding_doubling_high_mul(a, b),
                    "{a} * {b}"
                );
            }
        }
        // Exact ties of both signs: products of +-2^30 (half) with odd multiples.
        for k in -5i32..=5 {
            let a = 2 * k + 1;
            for b in [1 << 30, -(1 << 30)] {
                assert_eq!(
                    saturating_rounding_doubling_high_mul_fast(a, b),
                    saturating_rounding_doubling_high_mul(a, b)
                );
            }
        }
    }

    #[test]
    fn requantizer_equals_multiply_by_quantized_multiplier() {
        let values = edge_and_random_values(0x1234_5678_9abc_def0, 400);
        let mut multipliers = vec![
            0,
            1,
            -1,
            1 << 30,
            i32::MAX,
            i32::MIN,
            1_500_000_000,
            -1_234_567_890,
        ];
        multipliers.extend(values.iter().step_by(37).copied());
        for &multiplier in &multipliers {
            // The reference asserts right shifts of at most 31; left shifts clamp at 31.
            for shift in -31..=40 {
                let fast = Requantizer::new(QuantizedMultiplier { multiplier, shift });
                for &x in &values {
                    let expected = multiply_by_quantized_multiplier(x, multiplier, shift);
                    assert_eq!(
                        fast.apply(x),
                        expected,
                        "x {x} multiplier {multiplier} shift {shift}"
                    );
                }
            }
        }
    }

    #[test]
    fn offset_requantizer_equals_multiply_by_quantized_multiplier_plus_offset() {
        let values = edge_and_random_values(0x0fed_cba9_8765_4321, 400);
        let mut multipliers = vec![0, 1, 2, 1 << 30, (1 << 30) + 1, i32::MAX, 1_500_000_000];
        multipliers.extend(values.iter().step_by(29).copied());
        // Exact ties of the second rounding, of both signs, for every shift.
        let mut xs = values.clone();
        for e in 1..=20 {
            for k in -3i32..=3 {
                xs.push((2 * k + 1) << (e - 1));
                xs.push(((2 * k + 1) << (e - 1)).wrapping_neg());
            }
        }
        let mut applicable = 0;
        for &multiplier in &multipliers {
            for shift in -31..=3 {
                for offset in [-257, -256, -128, -1, 0, 1, 5, 127, 256, 257] {
                    let m = QuantizedMultiplier { multiplier, shift };
                    let Some(folded) = OffsetRequantizer::new(m, offset) else {
                        assert!(
                            multiplier < 0 || !(-20..=-1).contains(&shift) || offset.abs() > 256
                        );
                        continue;
                    };
                    applicable += 1;
                    for &x in &xs {
                        assert_eq!(
                            folded.apply(x),
                            multiply_by_quantized_multiplier(x, multiplier, shift) + offset,
                            "x {x} multiplier {multiplier} shift {shift} offset {offset}"
                        );
                    }
                }
            }
        }
        assert!(applicable > 1000);
    }

    #[test]
    fn double_rounding_differs_from_single_rounding() {
        // Multiplier 0.3 (Q31 644245094) with shift -1 applied to 3: the high mul gives
        // round(0.9) = 1, then 1 / 2 = 0.5 rounds to 1. Single rounding of 0.45 gives 0.
        assert_eq!(multiply_by_quantized_multiplier(3, 644_245_094, -1), 1);
    }

    #[test]
    fn quantize_multiplier_matches_hand_values() {
        assert_eq!(quantize_multiplier(1.0), Some(QuantizedMultiplier::ONE));
        assert_eq!(
            quantize_multiplier(0.5),
            Some(QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: 0
            })
        );
        assert_eq!(
            quantize_multiplier(0.75),
            Some(QuantizedMultiplier {
                multiplier: 3 << 29,
                shift: 0
            })
        );
        assert_eq!(
            quantize_multiplier(3.0),
            Some(QuantizedMultiplier {
                multiplier: 3 << 29,
                shift: 2
            })
        );
        // 0.1 = 0.8 * 2^-3; round(0.8 * 2^31) = 1717986918.4 -> 1717986918.
        assert_eq!(
            quantize_multiplier(0.1),
            Some(QuantizedMultiplier {
                multiplier: 1_717_986_918,
                shift: -3
            })
        );
        assert_eq!(
            quantize_multiplier(-0.75),
            Some(QuantizedMultiplier {
                multiplier: -(3 << 29),
                shift: 0
            })
        );
    }

    #[test]
    fn quantize_multiplier_edge_cases() {
        assert_eq!(
            quantize_multiplier(0.0),
            Some(QuantizedMultiplier {
                multiplier: 0,
                shift: 0
            })
        );
        // Just below 1.0: q rounds up to 2^31 and is renormalised.
        assert_eq!(
            quantize_multiplier(1.0 - 1e-12),
            Some(QuantizedMultiplier::ONE)
        );
        // 2^-32 has shift -31 (0.5 * 2^-31): kept. 2^-33 -> shift -32: flushed.
        assert_eq!(
            quantize_multiplier(2f64.powi(-32)),
            Some(QuantizedMultiplier {
                multiplier: 1 << 30,
                shift: -31
            })
        );
        assert_eq!(
            quantize_multiplier(2f64.powi(-33)),
            Some(QuantizedMultiplier {
                multiplier: 0,
                shift: 0
            })
        );
        assert_eq!(quantize_multiplier(f64::NAN), None);
    }

    #[test]
    fn frexp_handles_subnormals() {
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(frexp(-0.75), (-0.75, 0));
        assert_eq!(frexp(f64::from_bits(1)), (0.5, -1073));
    }

    #[test]
    fn rounding_helpers_round_half_away_from_zero() {
        assert_eq!(round_half_away_f32(2.5), 3.0);
        assert_eq!(round_half_away_f32(-2.5), -3.0);
        assert_eq!(round_half_away_f32(2.4999998), 2.0);
        assert_eq!(round_half_away_f32(-0.4), 0.0);
        assert_eq!(round_half_away_f32(1e10), 1e10);
        assert_eq!(round_half_away_f64(0.5), 1.0);
        assert_eq!(round_half_away_f64(-1.5), -2.0);
        assert_eq!(round_half_away_f64(4503599627370497.0), 4503599627370497.0);
    }

    #[test]
    fn rounding_helpers_equal_std_round() {
        // Every 4099th f32 bit pattern (all exponents, both signs, NaNs and
        // infinities), and every value around each half from -1030 to 1030. Equal as
        // values: a zero result may lack C's sign, which no caller (all convert the
        // result to an integer) can see.
        let patterns = (0..=u32::MAX).step_by(4099).map(f32::from_bits);
        let halves = (-2060..=2060).flat_map(|half: i32| {
            let x = half as f32 / 2.0;
            [x.next_down(), x, x.next_up()]
        });
        for x in patterns.chain(halves) {
            let (ours, std) = (round_half_away_f32(x), x.round());
            assert!(ours == std || (ours.is_nan() && std.is_nan()), "{x:e}");
            let wide = f64::from(x);
            let (ours, std) = (round_half_away_f64(wide), wide.round());
            assert!(ours == std || (ours.is_nan() && std.is_nan()), "{x:e}");
        }
    }

    #[test]
    fn activation_ranges_match_hand_computation() {
        // scale 0.05, zp -10: 0 -> -10, 6 -> 120 - 10 = 110, +-1 -> -30 / 10.
        let range = |a| calculate_activation_range_quantized(a, 0.05, -10, -128, 127).unwrap();
        assert_eq!(
            range(FusedActivation::None),
            ActivationRange {
                min: -128,
                max: 127
            }
        );
        assert_eq!(
            range(FusedActivation::Relu),
            ActivationRange { min: -10, max: 127 }
        );
        assert_eq!(
            range(FusedActivation::Relu6),
            ActivationRange { min: -10, max: 110 }
        );
        assert_eq!(
            range(FusedActivation::ReluN1To1),
            ActivationRange { min: -30, max: 10 }
        );
        // A coarse scale: 6 / 0.01 = 600 saturates at the type limit.
        let coarse =
            calculate_activation_range_quantized(FusedActivation::Relu6, 0.01, 0, -128, 127);
        assert_eq!(coarse, Some(ActivationRange { min: 0, max: 127 }));
        let overflow =
            calculate_activation_range_quantized(FusedActivation::Relu6, 1e-12, 0, -128, 127);
        assert_eq!(overflow, None);
    }

    #[test]
    fn activation_apply_uses_tflm_clamp_order() {
        let inverted = ActivationRange { min: 10, max: 5 };
        assert_eq!(inverted.apply(0), 5);
        assert_eq!(inverted.apply(20), 5);
    }

    #[test]
    fn int16_helpers() {
        assert_eq!(
            saturating_rounding_doubling_high_mul_i16(i16::MIN, i16::MIN),
            i16::MAX
        );
        assert_eq!(saturating_rounding_doubling_high_mul_i16(3, 1 << 14), 2);
        assert_eq!(saturating_rounding_doubling_high_mul_i16(-3, 1 << 14), -1);
        assert_eq!(rounding_divide_by_pot_i16(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot_i16(100, 3), 13); // 12.5 -> 13
                                                            // Exponent 16: the mask truncates to -1 (all ones) in int16_t.
        assert_eq!(rounding_divide_by_pot_i16(100, 16), 1);
        assert_eq!(down_scale_int32_to_int16_multiplier(1 << 30), 1 << 14);
        assert_eq!(down_scale_int32_to_int16_multiplier(i32::MAX), i16::MAX);
        assert_eq!(down_scale_int32_to_int16_multiplier((3 << 15) - 1), 1);
    }
}
