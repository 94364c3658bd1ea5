//! `SignalFilterBankSpectralSubtraction`: subtracts a running noise estimate
//! from each filter bank channel, keeping at least a fraction of the signal.
//!
//! Mirrors signal/src/filter_bank_spectral_subtraction.cc. The noise estimate
//! is state (TFLM's persistent buffer, reset to zero): tinymlc gives it a
//! variable tensor, updated here in place, and copies it to the operator's
//! second output in a step of its own. The estimate of a channel depends only on
//! that channel, but the state is updated as a whole: `part` is `0..1`.

use crate::error::{KernelError, KernelResult};
use crate::split::SplitRange;

/// TFLM's `SpectralSubtractionConfig` (the operator's options).
#[derive(Clone, Copy, Debug)]
pub struct SpectralSubtractionConfig {
    /// Weight of the new signal in the estimate of even channels, in
    /// `spectral_subtraction_bits` fraction bits.
    pub smoothing: u32,
    /// Weight of the previous estimate of even channels.
    pub one_minus_smoothing: u32,
    /// Weight of the new signal for odd channels.
    pub alternate_smoothing: u32,
    /// Weight of the previous estimate of odd channels.
    pub alternate_one_minus_smoothing: u32,
    /// The fraction of the signal always kept, in `spectral_subtraction_bits`.
    pub min_signal_remaining: u32,
    /// Left shift of the signal while estimating (below 32).
    pub smoothing_bits: u32,
    /// Fraction bits of the coefficients (below 64).
    pub spectral_subtraction_bits: u32,
    /// Whether the estimate is clamped to the signal.
    pub clamping: bool,
}

/// Updates `noise_estimate[c]` and writes the denoised `output[c]` for every channel.
pub fn spectral_subtraction(
    config: &SpectralSubtractionConfig,
    input: &[u32],
    noise_estimate: &mut [u32],
    output: &mut [u32],
    part: SplitRange,
) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    if input.len() != output.len() || noise_estimate.len() != output.len() {
        return Err(KernelError::ShapeMismatch);
    }
    if config.smoothing_bits >= 32 || config.spectral_subtraction_bits >= 64 {
        return Err(KernelError::InvalidParameter);
    }
    let fraction_bits = config.spectral_subtraction_bits;
    let channels = input
        .iter()
        .zip(noise_estimate.iter_mut())
        .zip(output.iter_mut());
    for (channel, ((&signal, estimate), out)) in channels.enumerate() {
        let (smoothing, one_minus_smoothing) = if channel % 2 == 0 {
            (config.smoothing, config.one_minus_smoothing)
        } else {
            (
                config.alternate_smoothing,
                config.alternate_one_minus_smoothing,
            )
        };
        let scaled_up = signal << config.smoothing_bits;
        let smoothed = (u64::from(scaled_up) * u64::from(smoothing))
            .wrapping_add(u64::from(*estimate) * u64::from(one_minus_smoothing));
        *estimate = (smoothed >> fraction_bits) as u32;
        let mut subtracted_estimate = *estimate;
        if subtracted_estimate > scaled_up {
            subtracted_estimate = scaled_up;
            if config.clamping {
                *estimate = scaled_up;
            }
        }
        let floor =
            ((u64::from(signal) * u64::from(config.min_signal_remaining)) >> fraction_bits) as u32;
        let subtracted = (scaled_up - subtracted_estimate) >> config.smoothing_bits;
        *out = subtracted.max(floor);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: SpectralSubtractionConfig = SpectralSubtractionConfig {
        smoothing: 1024,
        one_minus_smoothing: 15360,
        alternate_smoothing: 2048,
        alternate_one_minus_smoothing: 14336,
        min_signal_remaining: 1638,
        smoothing_bits: 10,
        spectral_subtraction_bits: 14,
        clamping: false,
    };

    #[test]
    fn the_estimate_follows_the_signal() {
        let mut estimate = [0u32; 2];
        let mut out = [0u32; 2];
        let r = SplitRange::full(1);
        spectral_subtraction(&CONFIG, &[1000, 1000], &mut estimate, &mut out, r).unwrap();
        assert_eq!(estimate, [(1000 << 10) / 16, (1000 << 10) / 8]);
        // (1024000 - 64000) >> 10 and (1024000 - 128000) >> 10, rounded down.
        assert_eq!(out, [937, 875]);
        for _ in 0..200 {
            spectral_subtraction(&CONFIG, &[1000, 1000], &mut estimate, &mut out, r).unwrap();
        }
        // A steady signal is all noise: only the kept fraction remains.
        assert_eq!(out, [99, 99]);
    }

    #[test]
    fn clamping_keeps_the_estimate_below_the_signal() {
        let clamped = SpectralSubtractionConfig {
            clamping: true,
            ..CONFIG
        };
        let mut estimate = [1 << 30, 1 << 30];
        let mut out = [0u32; 2];
        spectral_subtraction(
            &clamped,
            &[5, 5],
            &mut estimate,
            &mut out,
            SplitRange::full(1),
        )
        .unwrap();
        assert_eq!(estimate, [5 << 10, 5 << 10]);
        assert_eq!(out, [0, 0]);
    }

    #[test]
    fn rejects_bad_parameters() {
        let mut out = [0u32; 1];
        let r = SplitRange::full(1);
        let wide = SpectralSubtractionConfig {
            smoothing_bits: 32,
            ..CONFIG
        };
        assert_eq!(
            spectral_subtraction(&wide, &[1], &mut [0], &mut out, r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            spectral_subtraction(&CONFIG, &[1], &mut [], &mut out, r),
            Err(KernelError::ShapeMismatch)
        );
    }
}
