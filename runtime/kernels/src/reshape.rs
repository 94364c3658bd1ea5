//! RESHAPE, SQUEEZE and EXPAND_DIMS: the data is copied unchanged.
//!
//! Mirrors tensorflow/lite/micro/kernels/reshape.cc / squeeze.cc, which `memcpy` the
//! input when it does not alias the output. Split axis: flat elements.

use crate::error::KernelResult;
use crate::split::SplitRange;
use crate::unary::map_range;

/// Copies the `range` part of `input` to `output` (same element count).
pub fn reshape<T: Copy>(input: &[T], output: &mut [T], range: SplitRange) -> KernelResult {
    map_range(input, output, range, |x| x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{check_flat_split, pseudo_random_i8};

    #[test]
    fn copies_only_the_range() {
        let mut out = [0i8; 4];
        reshape(&[1, 2, 3, 4], &mut out, SplitRange::new(1, 3)).unwrap();
        assert_eq!(out, [0, 2, 3, 0]);
    }

    #[test]
    fn split_equals_whole() {
        let input = pseudo_random_i8(19, 9);
        let whole = check_flat_split(19, 0i8, |r, out| reshape(&input, out, r).unwrap());
        assert_eq!(whole, input);
    }
}
