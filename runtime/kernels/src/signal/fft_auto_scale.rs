//! `SignalFftAutoScale`: shifts an int16 frame left by as many bits as its
//! largest magnitude leaves free, and reports that number of bits.
//!
//! Mirrors signal/src/fft_auto_scale.cc and max_abs.cc. tinymlc splits the
//! operator's two outputs into two steps: [`scale_bits`] (the int32 scalar, one
//! part) then [`fft_auto_scale`] (the frame, split by elements).

use crate::error::{expect_len, KernelError, KernelResult};
use crate::split::SplitRange;

/// `MaxAbs16`: the largest `|x|`, where `-(-32768)` wraps back to -32768 (which
/// then never exceeds the running maximum).
fn max_abs(input: &[i16]) -> i16 {
    input.iter().fold(0i16, |max, &value| {
        if value > max {
            value
        } else if value.wrapping_neg() > max {
            value.wrapping_neg()
        } else {
            max
        }
    })
}

/// Writes `15 - bit length of max |input|` (at least 0) to `scale[0]`; `part` is `0..1`.
pub fn scale_bits(input: &[i16], scale: &mut [i32], part: SplitRange) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    let out = scale.first_mut().ok_or(KernelError::ShapeMismatch)?;
    let bits = 32 - (max_abs(input) as u32).leading_zeros();
    *out = (15 - bits as i32).max(0);
    Ok(())
}

/// Writes `input[i] * 2^scale[0]`, wrapped to int16, for `i` in `range`; the scale
/// must be in `0..=15`.
pub fn fft_auto_scale(
    input: &[i16],
    scale: &[i32],
    output: &mut [i16],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), output.len())?;
    let bits = scale.first().copied().ok_or(KernelError::ShapeMismatch)?;
    if !(0..=15).contains(&bits) {
        return Err(KernelError::InvalidParameter);
    }
    range.check_within(output.len())?;
    for (out, &value) in output[range.indices()]
        .iter_mut()
        .zip(&input[range.indices()])
    {
        *out = (i32::from(value) << bits) as i16;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaled(input: &[i16]) -> (i32, [i16; 3]) {
        let mut bits = [0i32];
        scale_bits(input, &mut bits, SplitRange::full(1)).unwrap();
        let mut out = [0i16; 3];
        fft_auto_scale(input, &bits, &mut out, SplitRange::full(3)).unwrap();
        (bits[0], out)
    }

    #[test]
    fn fills_the_free_bits() {
        assert_eq!(scaled(&[100, -3, 0]), (8, [25600, -768, 0]));
        assert_eq!(scaled(&[0, 0, 0]), (15, [0, 0, 0]));
        assert_eq!(scaled(&[16384, 1, -1]), (0, [16384, 1, -1]));
    }

    #[test]
    fn minus_32768_alone_wraps_as_in_tflm() {
        // Its magnitude wraps to -32768, so the maximum stays 0 and it is shifted 15 bits.
        assert_eq!(scaled(&[-32768, 0, 0]), (15, [0, 0, 0]));
    }

    #[test]
    fn rejects_bad_scales() {
        let mut out = [0i16; 1];
        let r = SplitRange::full(1);
        assert_eq!(
            fft_auto_scale(&[1], &[16], &mut out, r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            fft_auto_scale(&[1], &[], &mut out, r),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            scale_bits(&[1], &mut [], r),
            Err(KernelError::ShapeMismatch)
        );
    }
}
