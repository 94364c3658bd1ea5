//! CAST between INT8, INT16, INT32, UINT32, FLOAT32 and (as a source) BOOL.
//!
//! Mirrors tensorflow/lite/micro/kernels/cast.cc: each element goes through C++
//! `static_cast<ToT>`, which is Rust's `as` for every case C++ defines (integers
//! wrap to narrower types, integers round to nearest into `f32`, floats truncate
//! toward zero into integers). Where C++ leaves a float outside the target range
//! undefined, `as` saturates. BOOL bytes are 0 or 1. Split axis: flat elements.

use crate::error::KernelResult;
use crate::split::SplitRange;
use crate::unary::map_range;

/// `static_cast<Self>` from `From`.
pub trait CastFrom<From>: Copy {
    /// The converted value.
    fn cast_from(value: From) -> Self;
}

macro_rules! cast_from {
    ($($from:ty),* => $to:ty) => {
        $(
            // The identity cast is one of the pairs the macro spells out.
            #[allow(clippy::unnecessary_cast)]
            impl CastFrom<$from> for $to {
                #[inline]
                fn cast_from(value: $from) -> Self {
                    value as $to
                }
            }
        )*
    };
}

cast_from!(i8, i16, i32, u32, f32, u8 => i8);
cast_from!(i8, i16, i32, u32, f32, u8 => i16);
cast_from!(i8, i16, i32, u32, f32, u8 => i32);
cast_from!(i8, i16, i32, u32, f32, u8 => u32);
cast_from!(i8, i16, i32, u32, f32, u8 => f32);

/// CAST over `range` (input and output have the same number of elements).
pub fn cast<From: Copy, To: CastFrom<From>>(
    input: &[From],
    output: &mut [To],
    range: SplitRange,
) -> KernelResult {
    map_range(input, output, range, To::cast_from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::check_flat_split;

    #[test]
    fn integers_wrap_into_narrower_types() {
        let input = [300i32, -129, 127, i32::MIN];
        let got = check_flat_split(4, 0i8, |range, out| cast(&input, out, range).unwrap());
        assert_eq!(got, [44, 127, 127, 0]);
    }

    #[test]
    fn floats_truncate_toward_zero_and_integers_round_into_floats() {
        let mut ints = [0i16; 4];
        cast(&[-1.9f32, 1.9, -0.5, 300.7], &mut ints, SplitRange::full(4)).unwrap();
        assert_eq!(ints, [-1, 1, 0, 300]);
        let mut floats = [0.0f32; 2];
        cast(&[16_777_217i32, -3], &mut floats, SplitRange::full(2)).unwrap();
        assert_eq!(floats, [16_777_216.0, -3.0]);
    }

    #[test]
    fn bool_bytes_become_zero_or_one() {
        let mut out = [9i32; 2];
        cast(&[1u8, 0], &mut out, SplitRange::full(2)).unwrap();
        assert_eq!(out, [1, 0]);
    }

    #[test]
    fn uint32_wraps_to_and_from_signed_integers() {
        let mut signed = [0i32; 2];
        cast(&[u32::MAX, 7], &mut signed, SplitRange::full(2)).unwrap();
        assert_eq!(signed, [-1, 7]);
        let mut unsigned = [0u32; 2];
        cast(&[-1i32, 7], &mut unsigned, SplitRange::full(2)).unwrap();
        assert_eq!(unsigned, [u32::MAX, 7]);
    }
}
