//! `SignalFilterBank`: triangular (mel) filters over a uint32 energy spectrum,
//! accumulated in uint64.
//!
//! Mirrors signal/src/filter_bank.cc (`FilterbankAccumulateChannels`): each
//! bin's energy, times its weight, goes to one channel and, times its unweight,
//! to the next. The tables describe `num_channels + 1` channels; channel 0 only
//! carries the unweighted energy into channel 1 and is dropped. The sums run
//! across channels, so the layer is one part: `part` is `0..1` (or empty).

use crate::error::{KernelError, KernelResult};
use crate::split::SplitRange;

/// The filter bank's tables (TFLM's `FilterbankConfig`), each of the
/// `channel_*` tables with one entry per channel plus the leading scratch one.
#[derive(Clone, Copy, Debug)]
pub struct FilterBankTables<'a> {
    /// Each band's weights into its own channel, bin by bin.
    pub weights: &'a [i16],
    /// Each band's weights into the next channel (one minus the weight).
    pub unweights: &'a [i16],
    /// The first input bin of each channel's band.
    pub channel_frequency_starts: &'a [i16],
    /// Where each band's entries start in `weights` and `unweights`.
    pub channel_weight_starts: &'a [i16],
    /// The number of bins in each band (none where not positive).
    pub channel_widths: &'a [i16],
}

/// Band `(first bin, first weight, width)` of channel `channel`, checked to lie
/// within the input and the weight tables.
fn band(
    tables: &FilterBankTables<'_>,
    input_len: usize,
    channel: usize,
) -> Result<(usize, usize, usize), KernelError> {
    let entry = |table: &[i16]| {
        table
            .get(channel)
            .copied()
            .ok_or(KernelError::ShapeMismatch)
    };
    let width = entry(tables.channel_widths)?;
    if width <= 0 {
        return Ok((0, 0, 0));
    }
    let width = width as usize;
    let (frequency, weight) = (
        entry(tables.channel_frequency_starts)?,
        entry(tables.channel_weight_starts)?,
    );
    let (Ok(frequency), Ok(weight)) = (usize::try_from(frequency), usize::try_from(weight)) else {
        return Err(KernelError::InvalidParameter);
    };
    let weights_len = tables.weights.len().min(tables.unweights.len());
    if frequency + width > input_len || weight + width > weights_len {
        return Err(KernelError::InvalidParameter);
    }
    Ok((frequency, weight, width))
}

/// Writes channels `1..=output.len()` of the filter bank (`num_channels >= output.len()`).
///
/// Products and sums wrap modulo 2^64 as in TFLM, where a negative int16 weight
/// is converted to uint64 before the multiplication.
pub fn filter_bank(
    input: &[u32],
    tables: &FilterBankTables<'_>,
    num_channels: usize,
    output: &mut [u64],
    part: SplitRange,
) -> KernelResult {
    if !part.owns_whole_layer()? {
        return Ok(());
    }
    if output.len() > num_channels {
        return Err(KernelError::ShapeMismatch);
    }
    for channel in 0..=num_channels {
        band(tables, input.len(), channel)?;
    }
    let mut weighted: u64 = 0;
    let mut unweighted: u64 = 0;
    for channel in 0..=num_channels {
        let (frequency, weight, width) = band(tables, input.len(), channel)?;
        let bins = input.iter().skip(frequency).take(width);
        let weights = tables.weights.iter().skip(weight);
        let unweights = tables.unweights.iter().skip(weight);
        for ((&energy, &w), &u) in bins.zip(weights).zip(unweights) {
            let energy = u64::from(energy);
            weighted = weighted.wrapping_add((i64::from(w) as u64).wrapping_mul(energy));
            unweighted = unweighted.wrapping_add((i64::from(u) as u64).wrapping_mul(energy));
        }
        if let Some(out) = channel.checked_sub(1).and_then(|c| output.get_mut(c)) {
            *out = weighted;
        }
        weighted = unweighted;
        unweighted = 0;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLES: FilterBankTables<'static> = FilterBankTables {
        weights: &[1, 3, 2, -1],
        unweights: &[3, 1, 2, 5],
        channel_frequency_starts: &[0, 1, 3],
        channel_weight_starts: &[0, 1, 3],
        channel_widths: &[1, 2, 1],
    };

    #[test]
    fn weights_go_to_a_channel_and_unweights_to_the_next() {
        let mut out = [0u64; 2];
        filter_bank(&[10, 20, 30, 40], &TABLES, 2, &mut out, SplitRange::full(1)).unwrap();
        // Channel 1: weights of bins 1..3 plus the unweight of bin 0 (channel 0).
        assert_eq!(out[0], 3 * 20 + 2 * 30 + 3 * 10);
        // Channel 2: -1 * 40 wraps, plus the unweights of bins 1..3.
        assert_eq!(out[1], (20 + 2 * 30u64).wrapping_sub(40));
    }

    #[test]
    fn rejects_bands_outside_the_tables() {
        let mut out = [0u64; 2];
        assert_eq!(
            filter_bank(&[1, 2, 3], &TABLES, 2, &mut out, SplitRange::full(1)),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            filter_bank(&[1, 2, 3, 4], &TABLES, 3, &mut out, SplitRange::full(1)),
            Err(KernelError::ShapeMismatch)
        );
        assert_eq!(
            filter_bank(&[1, 2, 3, 4], &TABLES, 1, &mut out, SplitRange::full(1)),
            Err(KernelError::ShapeMismatch)
        );
    }
}
