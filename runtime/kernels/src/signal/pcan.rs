//! `SignalPCAN`: per-channel automatic gain control (PCAN) of filter bank
//! energies by their noise estimates.
//!
//! Mirrors signal/src/pcan_argc_fixed.cc: a gain from the noise estimate
//! through a piecewise-quadratic lookup table (`WideDynamicFunction`), the
//! signal-to-noise ratio as `energy * gain >> snr_shift` in 12 fractional bits,
//! then the shrink curve to 6 fractional bits. Split axis: channels.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::split::SplitRange;

/// Fractional bits of the signal-to-noise ratio.
const SNR_BITS: u32 = 12;
/// Fractional bits of the output.
const OUTPUT_BITS: u32 = 6;
/// Gain table entries the largest uint32 noise estimate reads: 4 per bit position
/// (TFLM's `4 * interval - 6` offset plus three coefficients).
pub const GAIN_LUT_LEN: usize = 125;

/// TFLM's `WideDynamicFunction`: the gain for noise estimate `x`.
fn gain(x: u32, lut: &[i16; GAIN_LUT_LEN]) -> i16 {
    if x <= 2 {
        return lut[x as usize];
    }
    // 2..=32, so the coefficients lie at 2..=124.
    let interval = 32 - x.leading_zeros();
    let base = (4 * interval - 6) as usize;
    let fraction = (if interval < 11 {
        x << (11 - interval)
    } else {
        x >> (interval - 11)
    } & 0x3FF) as i32;
    let (c0, c1, c2) = (
        i32::from(lut[base]),
        i32::from(lut[base + 1]),
        i32::from(lut[base + 2]),
    );
    let mut result = (c2 * fraction) >> 5;
    result = result.wrapping_add(c1.wrapping_shl(5));
    result = result.wrapping_mul(fraction);
    result = result.wrapping_add(1 << 14) >> 15;
    result.wrapping_add(c0) as i16
}

/// TFLM's `PcanShrink`: x^2 / 4 below 2, x - 1 above.
fn shrink(snr: u32) -> u32 {
    if snr < (2 << SNR_BITS) {
        (snr * snr) >> (2 + 2 * SNR_BITS - OUTPUT_BITS)
    } else {
        (snr >> (SNR_BITS - OUTPUT_BITS)) - (1 << OUTPUT_BITS)
    }
}

/// Writes the gain-controlled `input[c]` to `output[c]` for every channel `c` in
/// `range`; `snr_shift` must be below 64 and the noise estimate cover every channel.
pub fn pcan(
    input: &[u32],
    noise_estimate: &[u32],
    gain_lut: &[i16],
    snr_shift: u32,
    output: &mut [u32],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), output.len())?;
    let lut: &[i16; GAIN_LUT_LEN] = gain_lut
        .get(..GAIN_LUT_LEN)
        .and_then(|head| head.try_into().ok())
        .ok_or(KernelError::ShapeMismatch)?;
    if snr_shift >= 64 || noise_estimate.len() < input.len() {
        return Err(KernelError::InvalidParameter);
    }
    range.check_within(output.len())?;
    let indices = range.indices();
    let channels = output[indices.clone()]
        .iter_mut()
        .zip(&input[indices.clone()])
        .zip(&noise_estimate[indices]);
    for ((out, &energy), &noise) in channels {
        // The int16 gain is sign-extended to uint32, as TFLM's conversion does.
        let gain = i32::from(gain(noise, lut)) as u32;
        let snr = ((u64::from(energy) * u64::from(gain)) >> snr_shift) as u32;
        *out = shrink(snr);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lut() -> [i16; GAIN_LUT_LEN] {
        core::array::from_fn(|i| (i as i16 * 97) % 2000 - 300)
    }

    #[test]
    fn small_estimates_read_the_table_directly() {
        let mut out = [0u32; 3];
        let table = lut();
        pcan(
            &[1000, 1000, 1000],
            &[0, 1, 2],
            &table,
            8,
            &mut out,
            SplitRange::full(3),
        )
        .unwrap();
        for (i, &o) in out.iter().enumerate() {
            let gain = i32::from(table[i]) as u32;
            let snr = ((1000u64 * u64::from(gain)) >> 8) as u32;
            assert_eq!(o, shrink(snr));
        }
    }

    #[test]
    fn shrink_is_quadratic_then_linear() {
        assert_eq!(shrink(1 << SNR_BITS), 1 << (OUTPUT_BITS - 2));
        assert_eq!(shrink(4 << SNR_BITS), 3 << OUTPUT_BITS);
    }

    #[test]
    fn gain_interpolates_within_an_interval() {
        let table = lut();
        // x = 2^k exactly: fraction 0, the interval's first coefficient.
        assert_eq!(gain(1 << 10, &table), table[4 * 11 - 6]);
        assert_eq!(gain(u32::MAX, &table), gain(u32::MAX, &table));
    }

    #[test]
    fn rejects_bad_parameters() {
        let mut out = [0u32; 1];
        let r = SplitRange::full(1);
        assert_eq!(
            pcan(&[1], &[1], &[0; 124], 0, &mut out, r),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            pcan(&[1], &[1], &lut(), 64, &mut out, r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            pcan(&[1], &[], &lut(), 0, &mut out, r),
            Err(KernelError::InvalidParameter)
        );
    }
}
