//! `SignalEnergy`: the squared magnitude of each complex bin in
//! `start_index..end_index` of an interleaved (real, imaginary) int16 spectrum.
//!
//! Mirrors signal/src/energy.cc (`SpectrumToEnergy`). Like TFLM, the bins outside
//! the index range are left as they are. Split axis: output bins.

use crate::error::{KernelError, KernelResult};
use crate::split::SplitRange;

/// Writes `real^2 + imag^2` of bin `i` to `output[i]` for every `i` in `range`
/// (a part of `start_index..end_index`, so the caller splits that interval).
///
/// The sum is formed in 32-bit two's complement as in TFLM: `(-32768)^2 * 2`
/// wraps to `2^31`, which is exactly the unsigned result.
pub fn energy(spectrum: &[i16], output: &mut [u32], range: SplitRange) -> KernelResult {
    range.check_within(output.len())?;
    if range
        .end
        .checked_mul(2)
        .is_none_or(|needed| needed > spectrum.len())
    {
        return Err(KernelError::ShapeMismatch);
    }
    for i in range.indices() {
        let (Some(&real), Some(&imag)) = (spectrum.get(2 * i), spectrum.get(2 * i + 1)) else {
            return Err(KernelError::ShapeMismatch);
        };
        let square = |v: i16| (i32::from(v) * i32::from(v)) as u32;
        if let Some(out) = output.get_mut(i) {
            *out = square(real).wrapping_add(square(imag));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_only_the_range() {
        let mut out = [7u32; 3];
        energy(
            &[3, 4, -32768, -32768, 1, 1],
            &mut out,
            SplitRange::new(0, 2),
        )
        .unwrap();
        assert_eq!(out, [25, 1 << 31, 7]);
    }

    #[test]
    fn rejects_a_short_spectrum() {
        let mut out = [0u32; 2];
        assert_eq!(
            energy(&[1, 2, 3], &mut out, SplitRange::full(2)),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            energy(&[1, 2, 3, 4], &mut out, SplitRange::new(1, 3)),
            Err(KernelError::RangeOutOfBounds)
        );
    }
}
