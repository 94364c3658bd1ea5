//! `SignalFilterBankSquareRoot`: the integer square root of each uint64
//! channel, shifted right by a run-time number of bits, as uint32.
//!
//! Mirrors signal/src/filter_bank_square_root.cc with square_root_32.cc and
//! square_root_64.cc: bit-by-bit square roots rounded to nearest, the 32-bit
//! routine for inputs below 2^32 (TFLM's shortcut). Split axis: channels.

use crate::error::{expect_len, KernelError, KernelResult};
use crate::split::SplitRange;

/// TFLM's `Sqrt32`: rounded to nearest, but at most 0xFFFF.
pub fn sqrt32(value: u32) -> u16 {
    if value == 0 {
        return 0;
    }
    let mut rest = value;
    let top = value.leading_zeros() | 1;
    let mut bit = 1u32 << (31 - top);
    let mut root = 0u32;
    for _ in 0..(31 - top) / 2 + 1 {
        if rest >= root + bit {
            rest -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    if rest > root && root != 0xFFFF {
        root += 1;
    }
    root as u16
}

/// TFLM's `Sqrt64`: rounded to nearest, but at most 0xFFFFFFFF.
pub fn sqrt64(value: u64) -> u32 {
    let Ok(low) = u32::try_from(value) else {
        let mut rest = value;
        let top = value.leading_zeros() | 1;
        let mut bit = 1u64 << (63 - top);
        let mut root = 0u64;
        for _ in 0..(63 - top) / 2 + 1 {
            if rest >= root + bit {
                rest -= root + bit;
                root = (root >> 1) + bit;
            } else {
                root >>= 1;
            }
            bit >>= 2;
        }
        if rest > root && root != 0xFFFF_FFFF {
            root += 1;
        }
        return root as u32;
    };
    u32::from(sqrt32(low))
}

/// Writes `sqrt64(input[c]) >> scale_bits[0]` to `output[c]` for `c` in `range`;
/// the shift must be in `0..32`.
pub fn filter_bank_square_root(
    input: &[u64],
    scale_bits: &[i32],
    output: &mut [u32],
    range: SplitRange,
) -> KernelResult {
    expect_len(input.len(), output.len())?;
    let shift = scale_bits
        .first()
        .copied()
        .ok_or(KernelError::ShapeMismatch)?;
    let Ok(shift @ 0..=31) = u32::try_from(shift) else {
        return Err(KernelError::InvalidParameter);
    };
    range.check_within(output.len())?;
    for (out, &value) in output[range.indices()]
        .iter_mut()
        .zip(&input[range.indices()])
    {
        *out = sqrt64(value) >> shift;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_nearest() {
        for value in [
            0u32,
            1,
            2,
            3,
            4,
            5,
            6,
            8,
            9,
            15,
            16,
            1000,
            65535,
            1 << 20,
            u32::MAX - 1,
            u32::MAX,
        ] {
            let exact = (f64::from(value)).sqrt().round().min(65535.0) as u16;
            assert_eq!(sqrt32(value), exact, "sqrt32({value})");
        }
        for value in [1u64 << 32, (1 << 40) + 12345, u64::MAX] {
            let exact = (value as f64).sqrt().round().min(4294967295.0) as u32;
            assert!(sqrt64(value).abs_diff(exact) <= 1, "sqrt64({value})");
        }
        assert_eq!(sqrt64(1 << 40), 1 << 20);
    }

    #[test]
    fn shifts_by_the_scale_bits() {
        let mut out = [0u32; 2];
        filter_bank_square_root(&[1 << 40, 100], &[4], &mut out, SplitRange::full(2)).unwrap();
        assert_eq!(out, [1 << 16, 0]);
        let r = SplitRange::full(2);
        assert_eq!(
            filter_bank_square_root(&[1, 2], &[32], &mut out, r),
            Err(KernelError::InvalidParameter)
        );
        assert_eq!(
            filter_bank_square_root(&[1, 2], &[], &mut out, r),
            Err(KernelError::ShapeMismatch)
        );
    }
}
