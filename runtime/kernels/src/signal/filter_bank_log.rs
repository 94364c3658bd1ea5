//! `SignalFilterBankLog`: the natural logarithm of each filter bank channel,
//! in fixed point with a caller-given output scale, saturated to int16.
//!
//! Mirrors signal/src/filter_bank_log.cc and signal/src/log.cc (`Log32`): log2
//! as the bit position plus a fraction from a 128-segment interpolated table,
//! then converted to ln and scaled. Split axis: channels.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::split::SplitRange;

/// `65536 * (log2(1 + i / 128) - i / 128)` rounded, for `i` in `0..=128` (the
/// correction from linear interpolation to log2 in each segment).
const LOG2_CORRECTION: [i32; 129] = [
    0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944,
    3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714,
    4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533,
    5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568,
    5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944,
    4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848, 3759,
    3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090,
    1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963, 830, 695, 559, 421, 282, 142, 0,
];
const SEGMENTS_LOG2: u32 = 7;
const SCALE_LOG2: u32 = 16;
/// `ln(2) * 2^16`, rounded: converts a 16.16 log2 to ln.
const LN2_Q16: u64 = 45426;
const HALF: u32 = 1 << (SCALE_LOG2 - 1);

/// The 16-bit fraction of log2(x) for `x` whose highest set bit is `integer`.
fn log2_fraction(x: u32, integer: u32) -> u32 {
    let mut fraction = x.wrapping_sub(1 << integer) as i32;
    if integer < SCALE_LOG2 {
        fraction <<= SCALE_LOG2 - integer;
    } else {
        fraction >>= integer - SCALE_LOG2;
    }
    // fraction < 2^16, so the segment is below 128 and its successor exists.
    let segment = (fraction >> (SCALE_LOG2 - SEGMENTS_LOG2)) as usize;
    let start = LOG2_CORRECTION.get(segment).copied().unwrap_or(0);
    let end = LOG2_CORRECTION.get(segment + 1).copied().unwrap_or(0);
    let segment_base = (segment as i32) << (SCALE_LOG2 - SEGMENTS_LOG2);
    let interpolated = ((end - start) * (fraction - segment_base)) >> SCALE_LOG2;
    (fraction + start + interpolated) as u32
}

/// `round(ln(x) * out_scale)` in TFLM's fixed point, for `x >= 2` (`Log32`).
fn log_scaled(x: u32, out_scale: u32) -> u32 {
    let integer = 31 - x.leading_zeros();
    let log2 = (integer << SCALE_LOG2).wrapping_add(log2_fraction(x, integer));
    let ln = ((LN2_Q16 * u64::from(log2) + u64::from(HALF)) >> SCALE_LOG2) as u32;
    out_scale.wrapping_mul(ln).wrapping_add(HALF) >> SCALE_LOG2
}

/// Writes `min(ln(input[c] << correction_bits) * output_scale, 32767)` to
/// `output[c]` for every channel `c` in `range`; 0 where the shifted input is 0 or 1.
///
/// `correction_bits` must be below 32 (TFLM shifts a `uint32_t` by it).
pub fn filter_bank_log(
    input: &[u32],
    output_scale: u32,
    correction_bits: u32,
    output: &mut [i16],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), output.len())?;
    if correction_bits >= 32 {
        return Err(KernelError::InvalidParameter);
    }
    range.check_within(output.len())?;
    for (out, &value) in output[range.indices()]
        .iter_mut()
        .zip(&input[range.indices()])
    {
        let scaled = value << correction_bits;
        *out = if scaled > 1 {
            log_scaled(scaled, output_scale).min(i16::MAX as u32) as i16
        } else {
            0
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_the_log2_correction() {
        for (i, &value) in LOG2_CORRECTION.iter().enumerate() {
            let x = i as f64 / 128.0;
            assert_eq!(
                value,
                (65536.0 * ((1.0 + x).log2() - x)).round() as i32,
                "entry {i}"
            );
        }
    }

    #[test]
    fn close_to_the_natural_logarithm() {
        let input = [0u32, 1, 2, 3, 1000, 65535, 1 << 20, u32::MAX];
        let mut out = [0i16; 8];
        filter_bank_log(&input, 1 << 10, 0, &mut out, SplitRange::full(8)).unwrap();
        for (&x, &y) in input.iter().zip(&out).skip(2) {
            let exact = (x as f64).ln() * 1024.0;
            assert!(
                (f64::from(y) - exact).abs() <= 2.0,
                "ln({x}) * 1024 = {exact}, got {y}"
            );
        }
        assert_eq!(out[..2], [0, 0]);
    }

    #[test]
    fn saturates_and_applies_the_correction_bits() {
        let mut out = [0i16; 2];
        filter_bank_log(&[1 << 20, 1], 1 << 16, 1, &mut out, SplitRange::full(2)).unwrap();
        assert_eq!(
            out,
            [i16::MAX, (2f64.ln() * 65536.0).round().min(32767.0) as i16]
        );
    }

    #[test]
    fn rejects_bad_parameters() {
        let mut out = [0i16; 1];
        let r = SplitRange::full(1);
        assert_eq!(
            filter_bank_log(&[5], 1, 32, &mut out, r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            filter_bank_log(&[5, 6], 1, 0, &mut out, r),
            Err(KernelError::ShapeMismatch)
        );
    }
}
