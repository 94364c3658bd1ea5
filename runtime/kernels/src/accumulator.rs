//! The accumulators the linear kernels sum products into: `i32` (INT8 activations,
//! and 16x8 layers with INT32 bias) or `i64` (16x8 layers with INT64 bias).
//!
//! The accumulator type is the bias type, as in TFLM's `AccumScalar`/`BiasType`
//! template parameter; each rescales with its own `MultiplyByQuantizedMultiplier`
//! overload (tensorflow/lite/kernels/internal/common.cc).

use crate::quant::QuantizedMultiplier;
use crate::quant::{multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_i64};

/// An accumulator of `i32` products (sealed: `i32` and `i64`).
pub trait Accumulator: Copy + private::Sealed {
    /// The empty sum.
    const ZERO: Self;
    /// `self + product`, wrapping like C++ on TFLM targets.
    fn add_product(self, product: i32) -> Self;
    /// `self + bias`, wrapping.
    fn add_bias(self, bias: Self) -> Self;
    /// TFLM's `MultiplyByQuantizedMultiplier` overload for this accumulator type.
    fn rescale(self, multiplier: QuantizedMultiplier) -> i32;
    /// Whether TFLM defines [`Self::rescale`] for `multiplier` (its 64-bit overload
    /// asserts a shift within -31..=7; outside it ours wraps instead).
    fn can_rescale(_multiplier: QuantizedMultiplier) -> bool {
        true
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for i32 {}
    impl Sealed for i64 {}
}

impl Accumulator for i32 {
    const ZERO: Self = 0;
    #[inline(always)]
    fn add_product(self, product: i32) -> Self {
        self.wrapping_add(product)
    }
    #[inline(always)]
    fn add_bias(self, bias: Self) -> Self {
        self.wrapping_add(bias)
    }
    #[inline(always)]
    fn rescale(self, multiplier: QuantizedMultiplier) -> i32 {
        multiply_by_quantized_multiplier(self, multiplier.multiplier, multiplier.shift)
    }
}

impl Accumulator for i64 {
    const ZERO: Self = 0;
    #[inline(always)]
    fn add_product(self, product: i32) -> Self {
        self.wrapping_add(i64::from(product))
    }
    #[inline(always)]
    fn add_bias(self, bias: Self) -> Self {
        self.wrapping_add(bias)
    }
    #[inline(always)]
    fn rescale(self, multiplier: QuantizedMultiplier) -> i32 {
        multiply_by_quantized_multiplier_i64(self, multiplier.multiplier, multiplier.shift)
    }
    fn can_rescale(multiplier: QuantizedMultiplier) -> bool {
        (-31..=7).contains(&multiplier.shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulators_wrap_like_cpp() {
        assert_eq!(i32::MAX.add_product(1), i32::MIN);
        assert_eq!(i64::from(i32::MAX).add_product(1), 1i64 << 31);
        assert_eq!(i64::MAX.add_bias(1), i64::MIN);
    }
}
