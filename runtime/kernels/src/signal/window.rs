//! `SignalWindow`: each frame of the input times the window weights, shifted
//! right and saturated to int16.
//!
//! Mirrors signal/src/window.cc (`ApplyWindow`), applied by the kernel to every
//! `weights.len()` consecutive input values. Split axis: flat elements.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::split::SplitRange;

/// Writes `sat16((input[i] * weights[i % weights.len()]) >> shift)` for `i` in `range`.
///
/// `shift` must be in `0..32` and the input length a multiple of the window length.
pub fn window(
    input: &[i16],
    weights: &[i16],
    shift: u32,
    output: &mut [i16],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), output.len())?;
    if shift >= 32 || weights.is_empty() || input.len() % weights.len() != 0 {
        return Err(KernelError::InvalidParameter);
    }
    range.check_within(output.len())?;
    for i in range.indices() {
        let (Some(&x), Some(&w), Some(out)) = (
            input.get(i),
            weights.get(i % weights.len()),
            output.get_mut(i),
        ) else {
            return Err(KernelError::RangeOutOfBounds);
        };
        // |x * w| <= 2^30: the product fits in i32, as in TFLM.
        let product = (i32::from(x) * i32::from(w)) >> shift;
        *out = product.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_repeat_per_frame_and_saturate() {
        let mut out = [0i16; 4];
        window(
            &[100, -100, 32767, -32768],
            &[16384, 8192],
            14,
            &mut out,
            SplitRange::full(4),
        )
        .unwrap();
        assert_eq!(out, [100, -50, 32767, -16384]);
        window(
            &[32767, -32768],
            &[32767, 32767],
            0,
            &mut out[..2],
            SplitRange::full(2),
        )
        .unwrap();
        assert_eq!(out[..2], [i16::MAX, i16::MIN]);
    }

    #[test]
    fn arithmetic_shift_rounds_toward_minus_infinity() {
        let mut out = [0i16; 1];
        window(&[-3], &[1], 1, &mut out, SplitRange::full(1)).unwrap();
        assert_eq!(out, [-2]);
    }

    #[test]
    fn rejects_bad_parameters() {
        let mut out = [0i16; 3];
        let r = SplitRange::full(3);
        assert_eq!(
            window(&[1, 2, 3], &[1, 1], 0, &mut out, r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            window(&[1, 2, 3], &[1], 32, &mut out, r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            window(&[1, 2, 3], &[], 0, &mut out, r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            window(&[1, 2, 3], &[1], 0, &mut out, SplitRange::new(0, 4)),
            Err(KernelError::RangeOutOfBounds)
        );
    }
}
